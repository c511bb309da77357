"""The run folder: a keyword inside output/, never a file in its place."""
from pathlib import Path

import pytest

from complex_auto.errors import DataError
from complex_auto.layout import RunLayout, piece_name


def test_make_creates_nested_run_folders(tmp_path):
    layout = RunLayout("mine/piano", tmp_path).make()
    assert layout.dir == tmp_path / "mine" / "piano" and layout.dir.is_dir()
    assert RunLayout("mine/piano", tmp_path).make().dir.is_dir()     # again: kept


@pytest.mark.parametrize("run, message", [
    ("afile", r"^.*output/afile is a file, not a run folder$"),
    ("afile/sub", r"^.*output/afile is a file, not a folder$"),
])
def test_a_file_in_the_run_folders_place_is_one_line(tmp_path, run, message):
    # train.py and convert.py failed with FileExistsError, the report with NotADirectoryError
    root = tmp_path / "output"
    root.mkdir()
    (root / "afile").write_text("")
    with pytest.raises(DataError, match=message):
        RunLayout(run, root)
    assert (root / "afile").read_text() == ""


def test_a_file_made_after_the_layout_is_refused_by_make(tmp_path):
    layout = RunLayout("late", tmp_path)
    (tmp_path / "late").write_text("")
    with pytest.raises(DataError, match=r"late is a file, not a run folder$"):
        layout.make()


def test_a_run_folder_that_cannot_be_created_is_one_line():
    if not Path("/proc/self").is_dir():
        pytest.skip("needs /proc, where no folder can be made")
    with pytest.raises(DataError, match=r"^/proc/run: cannot create the run folder \("):
        RunLayout("run", "/proc").make()


@pytest.mark.parametrize("run", ["", " ", "/abs", "../out"])
def test_keywords_outside_output_are_refused(tmp_path, run):
    with pytest.raises(DataError, match="must name a folder inside"):
        RunLayout(run, tmp_path)


def test_the_names_of_a_run_are_those_its_layout_documents(tmp_path):
    # the original README's contract (ss_matrices_filelist.txt, .seg, .segraw, ...) and the
    # listing in complex_auto/layout.py: one file each, none two names for one
    r = RunLayout("r", tmp_path)
    name, piece = "data/x/mazurka24-4-poly.mp3", "mazurka24-4-poly"
    expected = {
        r.model("cqt"): "model_complex_auto_cqt.save",
        r.checkpoint("signal"): "checkpoint_signal.pt",
        r.features(name): "mazurka24-4-poly.mp3_repres.pyc.bz",
        r.matrix(name): "mazurka24-4-poly.mp3.npy",
        r.matrix_image(name): "mazurka24-4-poly.mp3.png",
        r.matrix_list: "ss_matrices_filelist.txt",
        r.conversion_info: "conversion.json",
        r.conversion_record(name): ".converted/mazurka24-4-poly.mp3.json",
        r.seg(piece): "mazurka24-4-poly.seg",
        r.segraw(piece): "mazurka24-4-poly.segraw",
        r.patterns_csv(piece): "mazurka24-4-poly.patterns.csv",
        r.patterns_image(piece): "mazurka24-4-poly_patterns.png",
        r.segments_cache(piece): "mazurka24-4-poly.segments.json",
        r.extraction_info: "extraction.json",
        r.extraction_record(piece): ".extracted/mazurka24-4-poly.json",
        r.results_txt: "results.txt",
        r.results_csv: "results.csv",
        r.report_index: "report/index.html",
        r.report_page(piece): "report/mazurka24-4-poly.html",
        # a piece called index would overwrite the run's page (in any case on a file system
        # that ignores it)
        r.report_page("index"): "report/index-piece.html",
        r.report_page("INDEX"): "report/INDEX-piece.html",
        r.report_page("indexes"): "report/indexes.html",
    }
    assert {path: path.relative_to(tmp_path / "r").as_posix() for path in expected} == expected
    # two recordings of one piece (x.wav, x.flac) keep records of their own
    assert r.conversion_record("x.wav") != r.conversion_record("x.flac")
    assert r.compare_run("chroma", "families") == "r/chroma/families"


def test_a_piece_is_the_file_name_up_to_its_first_dot():
    assert piece_name("data/x/mazurka24-4-poly.mp3.npy") == "mazurka24-4-poly"
    assert piece_name(Path("output/r/wtc2f20-poly.wav")) == "wtc2f20-poly"
    assert piece_name("op. 2.wav") == "op"
