"""The JKU tempi against the data: data/jku/README.md, the MIDI files and the recordings."""
import re

import numpy as np
import pytest
import soundfile as sf

from complex_auto.errors import ParameterError
from complex_auto.jku import JKU_BPM, occurrence_onsets, piece_bpm, read_mirex

from .conftest import ROOT

JKU = ROOT / "data" / "jku"


def readme_tempi():
    """piece → bpm from the table of data/jku/README.md."""
    out = {}
    for line in (JKU / "README.md").read_text().splitlines():
        m = re.match(r"\|\s*([\w-]+-poly)\b.*?\|[^|]*\|\s*(\d+)\s*\|", line)
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


def midi_tempi(path):
    """Tempi (bpm) of the set-tempo meta events (FF 51 03 tttttt) of a MIDI file."""
    data = path.read_bytes()
    return [60e6 / int.from_bytes(data[m.end():m.end() + 3], "big")
            for m in re.finditer(b"\xff\x51\x03", data)]


def test_every_piece_has_the_tempo_of_the_data_readme():
    table = readme_tempi()
    assert sorted(table) == sorted(p.stem for p in (JKU / "csv").glob("*.csv"))
    assert JKU_BPM == table
    for piece, bpm in table.items():
        assert piece_bpm(piece) == bpm


@pytest.mark.parametrize("piece", sorted(JKU_BPM))
def test_tempo_agrees_with_midi_and_recording(piece):
    bpm = JKU_BPM[piece]
    tempi = midi_tempi(JKU / "midi" / f"{piece}.mid")
    # wtc2f20's MIDI file has no tempo event; the others state one tempo throughout.
    assert all(t == pytest.approx(bpm, abs=0.01) for t in tempi)
    if piece != "wtc2f20-poly":
        assert tempi
    # The rendition starts at the score's first onset and ends a few seconds after its last
    # note: the score's span at this tempo leaves 2.5 to 6.5 s of the recording.
    score = np.loadtxt(JKU / "csv" / f"{piece}.csv", delimiter=",", ndmin=2)
    span = (np.max(score[:, 0] + score[:, 3]) - score[:, 0].min()) * 60 / bpm
    info = sf.info(str(JKU / "audio" / f"{piece}.mp3"))
    assert 2.5 < info.duration - span < 6.5, (info.duration, span)


def test_user_tempo_wins_and_bad_tempi_are_refused():
    assert piece_bpm("wtc2f20-poly", 90) == 90.0
    assert piece_bpm("mine", "96") == 96.0
    from complex_auto.errors import DataError

    for bad in (0, -3, float("nan")):
        with pytest.raises(DataError, match="positive number"):
            piece_bpm("mine", bad)
    with pytest.raises(DataError, match="mine: unknown tempo"):
        piece_bpm("mine")
    # the one rule of the finders, the report and the comparison: a piece's own tempo, then
    # the JKU table by name, then the default (--bpm) for the others
    assert piece_bpm("mine", default=100) == 100.0
    assert piece_bpm("wtc2f20-poly", default=100) == 84.0 != 100.0
    assert piece_bpm("wtc2f20-poly", 90, default=100) == 90.0
    with pytest.raises(DataError, match="positive number"):
        piece_bpm("mine", default=-1)


def test_occurrence_onsets_span_the_notes_whatever_their_order():
    # notes of a chord and a voice crossing: the file's order is not time order
    assert occurrence_onsets([(4.5, 60), (3.0, 64), (6.25, 59), (3.0, 55)]) == (3.0, 6.25)
    assert occurrence_onsets([(2.0, 60)]) == (2.0, 2.0)
    # on real ground truth: every occurrence's span holds its notes and starts on one of them
    for pattern in read_mirex(ROOT / "data" / "jku" / "groundtruth" / "wtc2f20-poly.txt"):
        for occ in pattern:
            first, last = occurrence_onsets(occ)
            assert first <= last
            assert {first, last} <= {on for on, _ in occ}
    # an occurrence without notes, or not of (onset, pitch) notes: one line, not min()'s error
    for bad, match in (([], "occurrence holds no note"), (np.zeros((0, 2)), "holds no note"),
                       ([1.0, 2.0], "occurrence must have 2 dimensions"),
                       ([(1.0, 60.0), (2.0,)], "occurrence must be an array of numbers")):
        with pytest.raises(ParameterError, match=match):
            occurrence_onsets(bad)


BOM = b"\xef\xbb\xbf"


def test_a_byte_order_mark_is_read_past_and_other_encodings_are_named(tmp_path):
    # Excel's "CSV UTF-8" and Windows editors begin a file with a byte-order mark: a score so
    # saved was refused at its first row, and a Latin-1 file was UnicodeDecodeError's traceback
    from complex_auto.errors import DataError
    from complex_auto.evaluation import load_patterns
    from complex_auto.jku import read_score_csv

    score = ROOT / "data/jku/csv/silverswan-poly.csv"
    truth = ROOT / "data/jku/groundtruth/silverswan-poly.txt"
    for src, read in ((score, read_score_csv), (truth, read_mirex), (truth, load_patterns)):
        marked = tmp_path / f"marked{src.suffix}"
        marked.write_bytes(BOM + src.read_bytes().replace(b"\n", b"\r\n"))
        assert str(read(marked)) == str(read(src)), read
        latin = tmp_path / f"latin{src.suffix}"
        lines = src.read_bytes().splitlines(keepends=True)
        latin.write_bytes(b"".join(lines[:2]) + lines[2].replace(b"\n", b" \xe9\n")
                          + b"".join(lines[3:]))
        with pytest.raises(DataError, match=re.escape(f"{latin}, line 3: not UTF-8 text "
                                                      "(byte 0xe9)")):
            read(latin)


@pytest.mark.parametrize("line", ["nan, 60.0", "1.0, inf", "-inf, 60", "1e400, 60"])
def test_a_ground_truth_note_that_is_not_finite_is_refused_naming_the_line(tmp_path, line):
    # read_mirex took NaN and infinite onsets: the report failed later in format_time with a
    # traceback
    from complex_auto.errors import DataError

    truth = tmp_path / "piece.txt"
    truth.write_text(f"pattern1\noccurrence1\n1.0, 60.0\n{line}\noccurrence2\n5.0, 60.0\n")
    with pytest.raises(DataError, match=re.escape(f"{truth}, line 4: onset and pitch must be "
                                                  f"finite numbers, not '{line}'")):
        read_mirex(truth)
    truth.write_text("pattern1\noccurrence1\n1.0, 60.0\n2.5, 62\noccurrence2\n5.0, 60.0\n")
    assert read_mirex(truth) == [[[(1.0, 60.0), (2.5, 62.0)], [(5.0, 60.0)]]]


def test_ground_truth_is_read_as_mir_eval_reads_it():
    # read_mirex stands in for mir_eval.io.load_patterns (whose import costs seconds): every
    # pattern, occurrence and note of every JKU ground truth the same, in the same order
    import mir_eval

    files = sorted((JKU / "groundtruth").glob("*.txt"))
    assert len(files) == len(JKU_BPM)
    for path in files:
        ours = read_mirex(path)
        theirs = mir_eval.io.load_patterns(str(path))
        assert len(ours) == len(theirs) > 1, path
        assert [[list(map(tuple, occ)) for occ in pat] for pat in theirs] == ours, path


def test_score_rows_and_durations_are_the_files_columns(tmp_path):
    from complex_auto.errors import DataError
    from complex_auto.jku import read_score_csv

    path = JKU / "csv" / "mazurka24-4-poly.csv"
    table = np.loadtxt(path, delimiter=",", ndmin=2)
    np.testing.assert_array_equal(read_score_csv(path), table[:, :2])
    # onset, MIDI pitch and duration: the fourth column, not the morphetic pitch of the third
    np.testing.assert_array_equal(read_score_csv(path, durations=True), table[:, [0, 1, 3]])
    bad = tmp_path / "neg.csv"
    bad.write_text("0, 60, 60, 1, 1\n1, 62, 61, -0.5, 1\n")
    assert read_score_csv(bad).tolist() == [[0, 60], [1, 62]]   # durations not read: no check
    with pytest.raises(DataError, match=re.escape(f"{bad}, line 2: cannot read '1, 62, 61, "
                                                  "-0.5, 1' as a score row")):
        read_score_csv(bad, durations=True)
