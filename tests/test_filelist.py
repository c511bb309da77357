"""File lists (complex_auto.filelist): the format every command reads, one path a line."""
import pytest

from complex_auto.errors import DataError
from complex_auto.filelist import check_distinct_names, parse_bpm, read_filelist, read_list


@pytest.fixture
def files(tmp_path):
    """Recordings in a folder of their own, two with a space in their name."""
    (tmp_path / "audio").mkdir()
    for name in ("a.wav", "b c.wav", "take 2"):
        (tmp_path / "audio" / name).write_bytes(b"")
    return tmp_path


def test_paths_tempi_comments_and_blank_lines(files, monkeypatch):
    monkeypatch.chdir(files)
    lst = files / "list.txt"
    lst.write_text("# the first line is a comment\n\naudio/a.wav\t96\n  \n"
                   "audio/b c.wav\n#audio/a.wav\n")
    entries = read_list(lst)
    assert [(f.name, bpm, line) for f, bpm, line in entries] == [("a.wav", 96.0, 3),
                                                                ("b c.wav", None, 5)]
    # a tempo after a space, when the whole line is no file; a name with a space is a name
    lst.write_text("audio/a.wav 120.5\naudio/b c.wav\n")
    assert [(f.name, bpm) for f, bpm, _ in read_list(lst)] == [("a.wav", 120.5),
                                                               ("b c.wav", None)]
    lst.write_text("audio/take 2\n")            # a file of that name: no tempo of 2 bpm
    assert [(f.name, bpm) for f, bpm, _ in read_list(lst)] == [("take 2", None)]
    # further tab columns are ignored; a tab with nothing after it gives no tempo
    lst.write_text("audio/a.wav\t96\tpiano\naudio/b c.wav\t\n")
    assert [bpm for _, bpm, _ in read_list(lst)] == [96.0, None]
    assert [f.name for f in read_filelist(lst)] == ["a.wav", "b c.wav"]


def test_a_comment_that_names_a_file_is_said(files, monkeypatch, caplog):
    # '#1 take.wav' was skipped as a comment with no word, and the recording was not converted
    monkeypatch.chdir(files)
    (files / "#1 take.wav").write_bytes(b"")
    lst = files / "list.txt"
    lst.write_text("# recordings\n#1 take.wav\t96\naudio/a.wav\n#audio/b c.wav\n")
    with caplog.at_level("WARNING"):
        assert [f.name for f in read_filelist(lst)] == ["a.wav"]
    assert caplog.text.count("read as a comment") == 1
    assert f"{lst}, line 2: '#1 take.wav' is read as a comment, though a file of that " \
        "name exists; to list it, write './#1 take.wav'" in caplog.text
    lst.write_text("./#1 take.wav\n")
    assert [f.name for f in read_filelist(lst)] == ["#1 take.wav"]


def test_a_relative_path_is_taken_from_the_list_s_folder_when_not_from_here(files, tmp_path,
                                                                           monkeypatch):
    lst = files / "audio" / "list.txt"
    lst.write_text("a.wav\n")
    monkeypatch.chdir(tmp_path)
    assert read_filelist(lst) == [files / "audio" / "a.wav"]
    # from the current folder first
    elsewhere = tmp_path / "here"
    elsewhere.mkdir()
    (elsewhere / "a.wav").write_bytes(b"")
    monkeypatch.chdir(elsewhere)
    assert read_filelist(lst)[0].resolve() == (elsewhere / "a.wav").resolve()


def test_a_base_folder_is_looked_in_last(files, tmp_path, monkeypatch):
    # a run's matrix list names files from the folder holding output/, not from its own
    run = files / "output" / "r"
    run.mkdir(parents=True)
    (run / "a.npy").write_bytes(b"")
    lst = run / "list.txt"
    lst.write_text("output/r/a.npy\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    with pytest.raises(DataError, match="line 1: listed matrix file 'output/r/a.npy' does not"):
        read_list(lst, "matrix")
    assert read_list(lst, "matrix", base=files)[0][0] == files / "output/r/a.npy"
    (run / "output" / "r").mkdir(parents=True)               # the list's own folder first
    (run / "output" / "r" / "a.npy").write_bytes(b"")
    assert read_list(lst, "matrix", base=files)[0][0] == run / "output/r/a.npy"


def test_a_data_sets_list_names_its_own_folders_files(files, tmp_path, monkeypatch):
    # run from inside another data set laid out alike, its files were taken instead
    lst = files / "list.txt"
    lst.write_text("audio/a.wav\n")
    other = tmp_path / "other"
    (other / "audio").mkdir(parents=True)
    (other / "audio" / "a.wav").write_bytes(b"")
    monkeypatch.chdir(other)
    assert read_list(lst)[0][0].resolve() == (other / "audio" / "a.wav").resolve()
    assert read_list(lst, own_folder=True)[0][0] == files / "audio" / "a.wav"


@pytest.mark.parametrize("text", ["0", "-96", "nan", "inf"])
def test_a_tempo_that_is_not_positive_is_refused_naming_the_line(files, text):
    lst = files / "list.txt"
    lst.write_text(f"{files / 'audio' / 'b c.wav'}\n{files / 'audio' / 'a.wav'}\t{text}\n")
    with pytest.raises(DataError, match=rf"list\.txt, line 2: tempo must be positive beats per "
                                        rf"minute, not '{text}'$"):
        read_list(lst)
    with pytest.raises(DataError, match="line 7: tempo 'fast' is not a number"):
        parse_bpm("fast", "x, line 7")


def test_missing_files_and_empty_lists_are_named(files):
    lst = files / "list.txt"
    lst.write_text(f"{files / 'audio' / 'a.wav'}\n{files / 'audio' / 'gone.wav'}\n")
    with pytest.raises(DataError, match=r"line 2: listed audio file '.*gone\.wav' does not exist"):
        read_list(lst, "audio")
    with pytest.raises(DataError, match=r"line 2: listed file '.*gone\.wav' does not exist"):
        read_list(lst)                                   # not "listed file file"
    assert len(read_list(lst, check_exists=False)) == 2
    lst.write_text("# nothing\n\n")
    with pytest.raises(DataError, match=r"file list is empty \(it lists no files\)$"):
        read_list(lst)
    with pytest.raises(DataError, match=r"\(it lists no audio files\)$"):
        read_list(lst, "audio")


def test_names_that_would_share_outputs_are_refused(files):
    a, b = files / "audio" / "a.wav", files / "other" / "A.wav"
    b.parent.mkdir()
    b.write_bytes(b"")
    entries = [(a, None, 1), (b, None, 4)]
    with pytest.raises(DataError, match=r"lst, line 4: .*A\.wav' has the file name of line 1 "
                                        r".* but for case"):
        check_distinct_names(entries, "lst")
    with pytest.raises(DataError, match=r"line 2: .* is listed again \(line 1\)"):
        check_distinct_names([(a, None, 1), (a, None, 2)], "lst")
    flac = files / "audio" / "a.flac"
    check_distinct_names([(a, None, 1), (flac, None, 2)], "lst")       # two names, one piece
    with pytest.raises(DataError, match=r"line 2: .*a\.flac' is piece 'a' again \(line 1\)"):
        check_distinct_names([(a, None, 1), (flac, None, 2)], "lst", pieces=True)
