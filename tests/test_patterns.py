"""Segment search, pattern grouping, notes and files of ``complex_auto.patterns``."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import mir_eval
import numpy as np
import pytest

from complex_auto.errors import DataError
from complex_auto.layout import RunLayout
from complex_auto.nf14 import DEFAULT_TH, find_segments, group_patterns, search_params
from complex_auto.patterns import (extract_run, format_mirex, occurrence_notes, plan_run,
                                   patterns_to_notes, read_segraw, score_offset, span_to_beats,
                                   write_mirex, write_patterns_csv, write_segraw)
from tests.conftest import child_env
from tests.segment_oracle import oracle_find_segments, raw_cqt_matrix

REPO = Path(__file__).resolve().parents[1]
WTC = REPO / "data" / "jku" / "audio" / "wtc2f20-poly.mp3"


def striped_matrix(rng, n, stripes=3, noise=1.0, level=0.5):
    """Symmetric random matrix with a few planted diagonal stripes, median-subtracted."""
    X = rng.random((n, n)) * noise
    X = (X + X.T) / 2
    for _ in range(stripes):
        i, j = sorted(rng.integers(0, n, 2))
        for t in range(int(rng.integers(5, n // 2))):
            if j + t < n:
                X[i + t, j + t] += level
                X[j + t, i + t] += level
    return X - np.median(X)


def assert_same(X, min_dur, th):
    fast, th_fast = find_segments(X, min_dur, th)
    slow, th_slow = oracle_find_segments(X, min_dur, th)
    assert fast.tolist() == slow
    assert th_fast == th_slow
    return fast, th_fast


# ---------------------------------------------------------------------------------------------
# the search against the oracle


@pytest.mark.parametrize("seed", range(30))
def test_search_equals_oracle_on_random_matrices(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(15, 90))
    X = striped_matrix(rng, n, stripes=int(rng.integers(0, 5)), noise=float(rng.choice([0.05, 1])))
    min_dur = int(rng.integers(1, 20))
    th = float(rng.choice([DEFAULT_TH, 0.001, 0.05, 0.2, 0.4]))
    assert_same(X, min_dur, th)


def test_search_lowers_the_threshold_when_nothing_is_found():
    # A faint stripe scoring 0.0063: nothing at 0.0105, ..., 0.0065; found at 0.0055, and
    # grown one frame past the stripe (the last 10 values then weigh 45/55 of 0.0063 > 0.0055).
    n = 80
    X = np.zeros((n, n))
    for t in range(50):
        X[5 + t, 25 + t] = 0.0063
    segments, th = assert_same(X, 20, DEFAULT_TH)
    assert th == pytest.approx(0.0055)
    assert segments.tolist() == [[5, 56, 25, 76]]


def test_search_below_zero_keeps_every_start_like_the_reference():
    # Nothing above the median: the threshold falls below 0, where a start of score 0 counts.
    X = -np.abs(np.random.default_rng(1).random((30, 30))) * 0.001
    segments, th = assert_same(X, 5, DEFAULT_TH)
    assert th < 0 and len(segments) > 0


def test_search_erases_finds_in_place_for_later_starts():
    # Two starts on one stripe: once the first is found and erased, the second is not.
    # The weighted score of the last 10 values stays above th for 10 frames past the stripe.
    X = np.zeros((80, 80))
    for t in range(40):
        X[t, 15 + t] = 1.0
    segments, _ = assert_same(X, 10, DEFAULT_TH)
    assert segments.tolist() == [[0, 50, 15, 65]]


def test_search_stops_growing_at_a_score_equal_to_the_threshold():
    # The growth stops at the first score <= th (DESIGN.md §8): at M = 2 the weighted score
    # (1 * 1.0 + 2 * -0.125) / 3 is exactly 0.25 = th, so the segment ends there; grown on,
    # it would end a frame later, where (0.75 + 3 * 0) / 6 falls below th.
    X = np.zeros((20, 20))
    X[2, 8], X[3, 9] = 1.0, -0.125
    segments, th = assert_same(X, 2, 0.25)
    assert segments.tolist() == [[2, 4, 8, 10]] and th == 0.25


def test_search_leaves_input_alone_unless_overwrite():
    rng = np.random.default_rng(3)
    X = striped_matrix(rng, 60)
    before = X.copy()
    segs, _ = find_segments(X, 8)
    assert np.array_equal(X, before)
    segs2, _ = find_segments(X, 8, overwrite=True)
    assert segs.tolist() == segs2.tolist() and not np.array_equal(X, before)


def test_search_too_small_matrix_finds_nothing():
    segs, th = find_segments(np.ones((10, 10)), 9)
    assert segs.shape == (0, 4) and th == DEFAULT_TH


def test_search_rejects_bad_matrices():
    with pytest.raises(DataError, match="square"):
        find_segments(np.zeros((4, 5)), 2)
    with pytest.raises(DataError, match="NaN"):
        find_segments(np.full((8, 8), np.nan), 2)


@pytest.fixture(scope="module")
def real_matrix():
    """Raw-CQT self-similarity matrix of the first 420 windows of wtc2f20-poly (no model)."""
    X = raw_cqt_matrix(WTC, crop=420)
    return X - np.median(X)


@pytest.mark.parametrize("bpm,th", [(84, DEFAULT_TH), (84, 0.03), (160, DEFAULT_TH), (160, 0.1)])
def test_search_equals_oracle_on_real_matrix(real_matrix, bpm, th):
    _, min_dur, _ = search_params(bpm)
    segments, _ = assert_same(real_matrix, min_dur, th)
    if th == DEFAULT_TH:
        assert len(segments) > 0


def test_search_equals_oracle_on_real_matrix_lowering(real_matrix):
    # Threshold above every score of min_dur frames: lowered many times before the first find.
    _, min_dur, _ = search_params(84)
    top = float(real_matrix.max())
    X = real_matrix * (0.012 / top)
    segments, th = assert_same(X, min_dur, DEFAULT_TH)
    assert th < DEFAULT_TH and len(segments) > 0


# ---------------------------------------------------------------------------------------------
# parameters, grouping, notes


def test_search_params_follow_the_design():
    h, min_dur, max_diff = search_params(120)
    assert h == pytest.approx(0.0886 * 2)
    assert min_dur == int(np.ceil(16 / h)) == 91
    assert max_diff == int(5 / h) == 28


def test_group_patterns_hand_made():
    segs = [[0, 100, 200, 300],      # opens pattern 1
            [10, 105, 400, 495],     # start 10, end 105: within 10 of (0, 100) -> pattern 1
            [50, 150, 300, 400],     # start 50 too far -> pattern 2
            [3, 115, 600, 712],      # start 3 near 0, end 115: 15 from 100 > 10 -> pattern 3
                                     # (the end alone decides; not 2: start 3 vs 50)
            [55, 145, 700, 790],     # within 10 of (50, 150) -> pattern 2
            [0, 110, 800, 910]]      # within 10 of (0, 100), both inclusive -> pattern 1
    patterns = group_patterns(segs, max_diff=10)
    assert [p.tolist() for p in patterns] == [
        [[0, 100, 0, 100], [0, 100, 200, 300], [10, 105, 400, 495], [0, 110, 800, 910]],
        [[50, 150, 50, 150], [50, 150, 300, 400], [55, 145, 700, 790]],
        [[3, 115, 3, 115], [3, 115, 600, 712]],
    ]


def test_group_patterns_compares_with_the_opening_segment_only():
    # b is near a, c is near b but not near a: c opens its own pattern.
    patterns = group_patterns([[0, 50, 100, 150], [8, 58, 200, 250], [16, 66, 300, 350]], 10)
    assert [len(p) for p in patterns] == [3, 2]
    assert group_patterns(np.zeros((0, 4)), 5) == []


@pytest.fixture
def small_score(tmp_path):
    rows = [(-1.0, 60), (0.0, 62), (0.0, 55), (0.125, 64), (0.5, 65), (1.0, 67), (1.3333333333, 70),
            (2.0, 69), (3.0, 71), (4.0, 72), (6.0, 74)]
    p = tmp_path / "piece.csv"
    p.write_text("".join(f"{on:.10f}, {pi:.10f}, 60.0, 1.0, 0.0\n" for on, pi in rows))
    return p


def test_frames_to_notes_on_hand_made_csv(small_score):
    from complex_auto.jku import read_score_csv

    score = read_score_csv(small_score)
    assert score_offset(score, "audio") == -1.0 and score_offset(score, "symbolic") == 0.0
    h, offset = 0.5, -1.0
    # frames [2, 7) -> beats round(0.0)=0 .. round(2.5)=2 (half to even), notes 0 <= onset < 2
    assert span_to_beats(2, 7, h, offset) == (0, 2)
    notes = occurrence_notes(score, 0, 2)
    # equal onsets keep file order; 1.333 is off the 1/8 grid and never matches
    assert notes.tolist() == [[0.0, 62], [0.0, 55], [0.125, 64], [0.5, 65], [1.0, 67]]
    patterns = [np.array([[2, 7, 2, 7], [2, 7, 9, 13], [2, 7, 30, 40]]),   # 3rd: no notes
                np.array([[0, 1, 0, 1], [0, 1, 30, 40]])]                  # 1 occ. left: dropped
    result = patterns_to_notes(patterns, score, h, offset)
    assert len(result) == 1 and len(result[0]) == 2
    assert result[0][0].tolist() == notes.tolist()
    assert result[0][1].tolist() == [[4.0, 72]]        # frames 9..13 -> beats 4 (3.5) .. 6 (5.5)


def test_first_sound_ends_a_silent_lead_in(tmp_path):
    import soundfile as sf

    from complex_auto.cqt import first_sound

    sr = 22050
    rng = np.random.default_rng(0)
    lead = 1e-4 * rng.normal(size=int(0.75 * sr))           # -74 dB of hiss against the tone
    t = np.arange(2 * sr) / sr
    tone = 0.5 * np.sin(2 * np.pi * 440 * t + 0.5)
    sf.write(tmp_path / "lead.wav", np.r_[lead, tone], sr)
    assert first_sound(tmp_path / "lead.wav") == pytest.approx(0.75, abs=1e-3)
    sf.write(tmp_path / "now.wav", tone, sr)
    assert first_sound(tmp_path / "now.wav") == pytest.approx(0.0, abs=1e-3)
    sf.write(tmp_path / "silent.wav", np.zeros(sr), sr)
    assert first_sound(tmp_path / "silent.wav") == 0.0
    with pytest.raises(DataError, match="nothing.wav: audio file does not exist"):
        first_sound(tmp_path / "nothing.wav")
    # the JKU renditions open with about a second of silence before the first onset
    assert 1.0 < first_sound(REPO / "data/jku/audio/sonata04-2-poly.mp3") < 1.2


def test_csv_errors_name_file_and_line(tmp_path):
    from complex_auto.jku import read_score_csv

    bad = tmp_path / "bad.csv"
    bad.write_text("1.0, 60, 60, 1, 0\n2.0, sixty, 60, 1, 0\n")
    with pytest.raises(DataError, match=r"bad\.csv, line 2"):
        read_score_csv(bad)


# ---------------------------------------------------------------------------------------------
# files


def test_mirex_writer_round_trips_through_mir_eval(tmp_path):
    patterns = [[np.array([[0.0, 60.0], [0.5, 62.0], [1.0 / 3, 64.0]]),
                 np.array([[8.0, 60.0], [-0.25, 62.0]])],
                [np.array([[100.125, 47.0]]), np.array([[200.875, 48.0]]),
                 np.array([[300.0, 49.0], [300.0, 52.0]])]]
    path = tmp_path / "x.seg"
    write_mirex(path, patterns)
    loaded = mir_eval.io.load_patterns(str(path))
    assert loaded == [[[tuple(r) for r in occ.tolist()] for occ in p] for p in patterns]
    assert format_mirex([]) == ""
    write_mirex(path, [])
    assert mir_eval.io.load_patterns(str(path)) == []


def test_segraw_and_patterns_csv(tmp_path):
    patterns = group_patterns([[0, 100, 200, 300], [3, 98, 500, 595]], 10)
    write_segraw(tmp_path / "x.segraw", patterns)
    assert [p.tolist() for p in read_segraw(tmp_path / "x.segraw")] == [[[0, 100], [200, 300], [500, 595]]]
    write_patterns_csv(tmp_path / "x.patterns.csv", patterns, frame_seconds=0.5)
    assert (tmp_path / "x.patterns.csv").read_text().splitlines() == [
        "pattern,occurrence,start_s,end_s,score", "1,1,0.000,50.000,", "1,2,100.000,150.000,",
        "1,3,250.000,297.500,"]
    # families: a score per pattern, and windows placed at their centre (shift in frames)
    write_patterns_csv(tmp_path / "x.patterns.csv", patterns, frame_seconds=0.5,
                       scores=[2.5], shift=4)
    assert (tmp_path / "x.patterns.csv").read_text().splitlines()[1:3] == [
        "1,1,2.000,52.000,2.5000", "1,2,102.000,152.000,2.5000"]


# ---------------------------------------------------------------------------------------------
# a run


def make_run(root, names, n=120, bpm_column=None):
    """A run folder with striped matrices and their list; returns its layout."""
    layout = RunLayout("r", root).make()
    lines = []
    for k, name in enumerate(names):
        X = striped_matrix(np.random.default_rng(k), n, stripes=4)
        X = (X - X.min()) / (X.max() - X.min())
        np.save(layout.matrix(name), X)
        col = "" if bpm_column is None else f"\t{bpm_column}"
        lines.append(f"{layout.matrix(name)}{col}\n")
    layout.matrix_list.write_text("".join(lines))
    return layout


def test_extract_run_writes_every_file(tmp_path, small_score):
    layout = make_run(tmp_path, ["wtc2f20-poly.mp3", "mine.wav"])
    csvs = tmp_path / "csvs.txt"
    csvs.write_text(f"{small_score}\n{small_score}\n")
    results = extract_run("r", csv_list=str(csvs), bpm=300, root=tmp_path)
    assert [r["piece"] for r in results] == ["wtc2f20-poly", "mine"]
    assert results[0]["bpm"] == 84 and results[1]["bpm"] == 300      # JKU tempo by name
    for piece in ("wtc2f20-poly", "mine"):
        for path in (layout.seg(piece), layout.segraw(piece), layout.patterns_csv(piece),
                     layout.patterns_image(piece)):
            assert path.is_file(), path
        assert layout.patterns_image(piece).read_bytes()[:4] == b"\x89PNG"
        mir_eval.io.load_patterns(str(layout.seg(piece)))
    # no score: no .seg (a stale one is removed), the rest is there
    extract_run("r", csv_list="none", bpm=300, root=tmp_path, plot=False)
    assert not layout.seg("mine").exists() and layout.patterns_csv("mine").is_file()


@pytest.mark.parametrize("method, bpm, said", [
    ("families", 120, []),
    ("nf14", 1000, ["a beat (0.060 s) is shorter than a frame (0.090 s)"]),
    # 111 frames (120 rows less the padding of 9) of 0.09 s at 1e-9 bpm: nothing repeats
    ("families", 1e-9, ["lasts 1.66e-10 beats, too few for two occurrences of the shortest "
                        "pattern (2 beats with families)"]),
    ("nf14", 120, ["lasts 20 beats, too few for two occurrences of the shortest pattern "
                   "(16 beats with nf14)"]),
])
def test_a_tempo_that_leaves_no_pattern_or_beats_finer_than_frames_is_said(
        tmp_path, caplog, method, bpm, said):
    # --bpm 1000 for 100 cut patterns to the wrong length, and 1e-9 gave 0 patterns, with no
    # word on why
    make_run(tmp_path, ["a.wav"], n=120)
    with caplog.at_level("WARNING"):
        extract_run("r", csv_list="none", bpm=bpm, root=tmp_path, plot=False, method=method,
                    frame_seconds=0.09)
    warned = [r.getMessage() for r in caplog.records if "tempo right" in r.getMessage()]
    assert len(warned) == len(said) and all(w in m for w, m in zip(said, warned)), warned
    assert all(m.startswith(f"a: at {bpm:g} bpm ") for m in warned)


def test_a_score_edited_in_place_is_extracted_again(tmp_path, small_score, caplog):
    # the skip rule compared the outputs with the matrix only: a score corrected in place
    # kept its path, and the .seg made from the old one was kept as up to date
    import os
    import time

    layout = make_run(tmp_path, ["mine.wav"])
    csvs = tmp_path / "csvs.txt"
    csvs.write_text(f"{small_score}\n")

    def extract():
        caplog.clear()
        with caplog.at_level("INFO"):
            extract_run("r", csv_list=str(csvs), bpm=300, root=tmp_path, plot=False,
                        overwrite=False)
        return caplog.text

    extract()
    now = time.time()
    for path, age in ((small_score, 300), (layout.matrix("mine.wav"), 200)):
        os.utime(path, (now - age, now - age))
    for path in layout.dir.rglob("*"):         # the outputs, written before the edit below
        if path.is_file() and path != layout.matrix("mine.wav"):
            os.utime(path, (now - 100, now - 100))
    assert "1 of 1 pieces already extracted" in extract()
    small_score.write_text(small_score.read_text())           # saved again: newer
    assert "already extracted" not in extract() and layout.seg("mine").stat().st_mtime > now - 50


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_extract_run_parallel_gives_the_same_files(tmp_path, monkeypatch, start):
    """With spawned workers too (macOS, Windows): the pool was always forked, which
    Windows cannot do ('cannot find context for fork')."""
    import multiprocessing

    from complex_auto import patterns

    pools = []
    monkeypatch.setattr(patterns, "pool_context",
                        lambda: pools.append(start) or multiprocessing.get_context(start))
    layout = make_run(tmp_path, ["a.wav", "b.wav", "c.wav"])
    extract_run("r", csv_list="none", bpm=200, root=tmp_path, plot=False)
    one = {p: layout.segraw(p).read_text() for p in "abc"}
    extract_run("r", csv_list="none", bpm=200, root=tmp_path, plot=False, jobs=2,
                overwrite=True)
    assert one == {p: layout.segraw(p).read_text() for p in "abc"} and pools == [start]


def test_segments_can_be_saved_and_reused(tmp_path, caplog):
    layout = make_run(tmp_path, ["a.wav"])
    extract_run("r", csv_list="none", bpm=200, root=tmp_path, plot=False, save_segments=True)
    first = layout.segraw("a").read_text()
    assert layout.segments_cache("a").is_file()
    layout.segraw("a").unlink()
    caplog.clear()
    with caplog.at_level("INFO"):
        extract_run("r", csv_list="none", bpm=200, th=0.99, root=tmp_path, plot=False,
                    load_segments=True)     # a search would find nothing and lower it
    assert layout.segraw("a").read_text() == first
    # the loaded segments' threshold is the one in effect, not a lowered --th
    assert "lowered" not in caplog.text and "a: " in caplog.text
    with pytest.raises(DataError, match="min_dur"):
        extract_run("r", csv_list="none", bpm=100, root=tmp_path, load_segments=True)


@pytest.mark.parametrize("method", ["nf14", "families"])
def test_a_matrix_no_larger_than_its_padding_is_named(tmp_path, method):
    # 9 rows (the padding) and no window: families said "n_rows must be at least 1" without
    # the file, after warning of a piece lasting -0.2 beats
    layout = make_run(tmp_path, ["a.wav"])
    np.save(layout.matrix("a.wav"), np.eye(9))
    with pytest.raises(DataError, match=r"a.wav.npy: 9 rows, no more than its 9 rows of "
                                        r"padding: not a matrix that convert.py writes"):
        extract_run("r", csv_list="none", bpm=120, root=tmp_path, plot=False, method=method)


def test_segments_reused_for_a_matrix_too_big_for_memory_are_scored_from_the_file(
        tmp_path, monkeypatch):
    # -pk loaded the whole matrix in float64 whatever its size: the matrices the search
    # reads from the file were a MemoryError there
    from complex_auto import patterns

    layout = make_run(tmp_path, ["a.wav"])
    extract_run("r", csv_list="none", bpm=200, root=tmp_path, plot=False, save_segments=True)
    first = layout.patterns_csv("a").read_text()

    def whole(*args, **kwargs):
        raise AssertionError("the whole matrix was loaded")
    monkeypatch.setattr(patterns, "fits_in_memory", lambda need: False)
    monkeypatch.setattr(patterns, "load_matrix", whole)
    extract_run("r", csv_list="none", bpm=200, root=tmp_path, plot=False, load_segments=True)
    assert layout.patterns_csv("a").read_text() == first


def test_tempo_from_list_column(tmp_path):
    make_run(tmp_path, ["mine.wav"], bpm_column=96)
    plan = plan_run("r", csv_list="none", bpm=50, root=tmp_path)
    assert plan[0]["bpm"] == 96


def test_a_copied_run_says_its_list_names_the_first_runs_matrices(tmp_path, caplog):
    """A run folder copied to another name kept its list, so its searches silently read the
    first run's matrices (and changed with them when that run was converted again)."""
    import shutil

    make_run(tmp_path, ["a.wav", "b.wav"])
    shutil.copytree(tmp_path / "r", tmp_path / "copy")
    caplog.set_level("WARNING")
    plan = plan_run("copy", csv_list="none", bpm=100, root=tmp_path)
    assert [Path(p["matrix"]).parent.name for p in plan] == ["r", "r"]    # the list's, read
    assert f"lists 2 matrices outside {tmp_path / 'copy'}, though it holds files of the same " \
           "name (a copied run?)" in caplog.text
    caplog.clear()
    plan_run("r", csv_list="none", bpm=100, root=tmp_path)                 # the run's own
    assert "copied run" not in caplog.text


def test_an_audio_start_without_a_score_is_said_to_change_nothing(tmp_path, caplog):
    """--audio-start 1000 on a recording without a csv score gave the outputs of 0, silently,
    where --notes says it changes nothing."""
    make_run(tmp_path, ["a.wav"])
    caplog.set_level("WARNING")
    extract_run("r", csv_list="none", bpm=100, root=tmp_path, plot=False, audio_start=1000.0)
    assert "--audio-start 1000.0: no piece has a csv score to align with its recording (the " \
           "option changes nothing)" in caplog.text
    caplog.clear()
    extract_run("r", csv_list="none", bpm=100, root=tmp_path, plot=False, overwrite=True)
    assert "--audio-start" not in caplog.text


def test_plan_errors(tmp_path, small_score):
    with pytest.raises(DataError, match="convert.py r FILELIST CONFIG --self-sim-matrix"):
        plan_run("r", root=tmp_path)
    layout = make_run(tmp_path, ["mine.wav", "other.wav"])
    with pytest.raises(DataError, match="mine: unknown tempo.*--bpm"):
        plan_run("r", csv_list="none", root=tmp_path)
    csvs = tmp_path / "csvs.txt"
    csvs.write_text(f"{small_score}\n")
    with pytest.raises(DataError, match="lists 1 csv score but .* lists 2 matrices"):
        plan_run("r", csv_list=str(csvs), bpm=100, root=tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_text("1.0, 60\n\n3.0\n")
    csvs.write_text(f"{small_score}\n{bad}\n")
    with pytest.raises(DataError, match=r"bad\.csv, line 3"):
        plan_run("r", csv_list=str(csvs), bpm=100, root=tmp_path)
    np.save(layout.matrix("other.wav"), np.zeros((5, 6)))
    with pytest.raises(DataError, match="5x6, not square"):
        plan_run("r", csv_list="none", bpm=100, root=tmp_path)
    # an empty or text matrix passed the header check and failed in the search, a traceback;
    # a picture listed by mistake was 'pickled data ... allow_pickle'
    for bad_matrix, why in [(np.zeros((0, 0)), "0x0, not square with at least one frame"),
                            (np.array([["a", "b"], ["c", "d"]]), "holds <U1 values, not real")]:
        np.save(layout.matrix("other.wav"), bad_matrix)
        with pytest.raises(DataError, match=why):
            plan_run("r", csv_list="none", bpm=100, root=tmp_path)
    layout.matrix("other.wav").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    with pytest.raises(DataError, match=r"other\.wav\.npy: cannot read matrix \(not a NumPy "
                                        r"\.npy file\)"):
        plan_run("r", csv_list="none", bpm=100, root=tmp_path)
    layout.matrix("other.wav").unlink()
    with pytest.raises(DataError, match="line 2: listed matrix .* does not exist"):
        plan_run("r", csv_list="none", bpm=100, root=tmp_path)
    for second in ("mine.flac", "MINE.flac"):     # one piece; MINE.seg is mine.seg on macOS
        make_run(tmp_path, ["mine.wav", second])
        with pytest.raises(DataError, match=rf"line 2: .* is piece '{second[:4]}' again "
                                            r"\(line 1\); outputs are named by piece"):
            plan_run("r", csv_list="none", bpm=100, root=tmp_path)


def test_a_run_is_planned_from_any_working_folder(tmp_path, monkeypatch):
    """convert.py lists matrices relative to the folder holding output/; a command started
    elsewhere (bench/discovery.py from /tmp) found none of them."""
    layout = make_run(tmp_path, ["a.wav", "b.wav"])
    layout.matrix_list.write_text("output/r/a.wav.npy\t100\noutput/r/b.wav.npy\t100\n")
    (tmp_path / "output").mkdir()
    shutil.move(layout.dir, tmp_path / "output" / "r")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    plan = plan_run("r", csv_list="none", root=tmp_path / "output")
    assert [q["matrix"] for q in plan] == [tmp_path / "output/r/a.wav.npy",
                                           tmp_path / "output/r/b.wav.npy"]


def test_extract_piece_takes_the_runs_timing_as_the_command_does(tmp_path, monkeypatch):
    """From Python, extract_piece mapped frames with the original's 0.0886 s and a window of
    0 frames whatever the run's conversion was: other seconds and notes than the command's."""
    from complex_auto.patterns import extract_piece

    layout = make_run(tmp_path, ["a.wav"])
    layout.conversion_info.write_text(json.dumps({"frame_seconds": 0.25, "length_ngram": 8,
                                                  "step": 2}))
    out = RunLayout("out", tmp_path)
    matrix = layout.matrix("a.wav")
    rows = {}
    for name, kwargs in (("default", {}), ("given", {"frame_seconds": 0.25, "window": 4,
                                                    "pad": 9})):
        extract_piece(matrix, out.make(), 100, method="families", plot=False, **kwargs)
        rows[name] = out.patterns_csv("a").read_text()
    assert rows["default"] == rows["given"] and rows["default"].count("\n") > 2
    extract_piece(matrix, out, 100, method="families", plot=False, frame_seconds=0.0886,
                  window=4, pad=9)
    assert out.patterns_csv("a").read_text() != rows["given"]
    monkeypatch.chdir(layout.dir)                       # a matrix named from its own folder
    extract_piece("a.wav.npy", out, 100, method="families", plot=False)
    assert out.patterns_csv("a").read_text() == rows["given"]


def test_scores_pair_with_matrices_by_name_when_the_lists_name_the_same_pieces(
        tmp_path, small_score, caplog):
    """A csv list in another order than the audio list paired every piece with another's
    score, line by line, and scored it (a warning said so, and the scores were near 0)."""
    make_run(tmp_path, ["a.wav", "b.wav", "c.wav"])
    scores = {}
    for name, tempo in (("a", 60), ("b", 70), ("c", 80)):
        scores[name] = tmp_path / f"{name}.csv"
        scores[name].write_text(small_score.read_text())
    csvs = tmp_path / "csvs.txt"
    csvs.write_text(f"{scores['c']}\t80\n{scores['a']}\t60\n\n{scores['b']}\t70\n")
    plan = plan_run("r", csv_list=str(csvs), root=tmp_path)
    assert [(q["piece"], Path(q["csv"]).name, q["bpm"]) for q in plan] == [
        ("a", "a.csv", 60), ("b", "b.csv", 70), ("c", "c.csv", 80)]
    # a score of a piece listed on another line, in lists that are not of the same pieces:
    # out of order, refused (its line in the file, blank lines counted)
    other = tmp_path / "d.csv"
    other.write_text(small_score.read_text())
    csvs.write_text(f"{scores['b']}\n\n{scores['a']}\n{other}\n")
    with pytest.raises(DataError, match=r"csvs\.txt, line 1: .*b\.csv is the score of b, whose "
                                        r"matrix is on another line of .*ss_matrices"):
        plan_run("r", csv_list=str(csvs), bpm=100, root=tmp_path)
    # one score for two recordings of it, one of them named as the score: line by line
    make_run(tmp_path, ["a.wav", "a_live.wav"])
    csvs.write_text(f"{scores['a']}\n{scores['a']}\n")
    plan = plan_run("r", csv_list=str(csvs), bpm=100, root=tmp_path)
    assert [(q["piece"], Path(q["csv"]).name) for q in plan] == [("a", "a.csv"),
                                                                 ("a_live", "a.csv")]
    make_run(tmp_path, ["a.wav", "b.wav", "c.wav"])
    # files named otherwise: line by line, as the original, with a warning
    named = [tmp_path / f"score{k}.csv" for k in range(3)]
    for f in named:
        f.write_text(small_score.read_text())
    csvs.write_text("".join(f"{f}\n" for f in named))
    caplog.set_level("WARNING")
    plan = plan_run("r", csv_list=str(csvs), bpm=100, root=tmp_path)
    assert [Path(q["csv"]).name for q in plan] == ["score0.csv", "score1.csv", "score2.csv"]
    assert "is paired with csv" in caplog.text and "score0.csv (same line number" in caplog.text


@pytest.mark.parametrize("method,streamed", [("nf14", False), ("nf14", True),
                                             ("families", False)])
def test_a_matrix_with_nan_is_refused_by_every_finder(tmp_path, monkeypatch, method, streamed):
    # families searched it without a word; nf14 from the file named no file
    import complex_auto.patterns as patterns

    layout = make_run(tmp_path, ["mine.wav"])
    X = np.load(layout.matrix("mine.wav"))
    X[70, 30] = X[30, 70] = np.nan
    np.save(layout.matrix("mine.wav"), X)
    if streamed:
        monkeypatch.setattr(patterns, "fits_in_memory", lambda n: False)
    with pytest.raises(DataError, match=r"mine\.wav\.npy: .*NaN or infinite"):
        extract_run("r", csv_list="none", bpm=150, method=method, root=tmp_path, jobs=1)
    assert not layout.patterns_csv("mine").exists()


def run_script(args, cwd):
    env = child_env()
    return subprocess.run([sys.executable, str(REPO / "extract_motives.py")] + args, cwd=cwd,
                          env=env, capture_output=True, text=True)


def test_script_errors_are_one_line(tmp_path):
    res = run_script(["nothing"], tmp_path)
    assert res.returncode == 1
    assert res.stderr.count("\n") == 1 and res.stderr.startswith("error: ")
    assert "python convert.py nothing FILELIST CONFIG --self-sim-matrix" in res.stderr
    res = run_script(["nothing", "-v"], tmp_path)
    assert res.returncode == 1 and "Traceback" in res.stderr


def test_script_runs(tmp_path):
    make_run(tmp_path / "output", ["mine.wav"])
    res = run_script(["r", "--bpm", "150", "-t"], tmp_path)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "output" / "r" / "mine.patterns.csv").is_file()
    assert "-t has no effect" in res.stderr
    assert "--th" not in res.stderr                 # nf14 takes it: nothing to say
    # the families search has no threshold: it ignored -th in silence
    res = run_script(["r", "--bpm", "150", "--method", "families", "-th", "0.02", "--overwrite"],
                     tmp_path)
    assert res.returncode == 0, res.stderr
    assert "--th: no effect with --method families" in res.stderr, res.stderr


def load_script(name):
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"_script_{name[:-3]}", REPO / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("args, message", [
    # inf and 1e400 overflowed turning beats into notes; nan was refused without its reason
    (["--audio-start", "inf"], "--audio-start inf: must be a finite number of seconds"),
    (["--audio-start", "1e400"], "--audio-start 1e400: must be a finite number of seconds"),
    (["--audio-start", "nan"], "--audio-start nan: must be a finite number of seconds"),
    # beyond int64 in cells: numba's TypingError from the compiled search
    (["--method", "families", "--max-beats", "1e19"],
     "--max-beats 1e+19: must be a number of beats from 2 (the shortest pattern) to 100000"),
    # overflows in the families grid (1e-300) and the mapping onto notes (1e300)
    (["--frame-seconds", "1e-300"],
     "--frame-seconds 1e-300: must be from 0.001 to 10 seconds (one CQT hop)"),
    (["--frame-seconds", "1e300"],
     "--frame-seconds 1e+300: must be from 0.001 to 10 seconds (one CQT hop)"),
    # th - 0.001 == th: the search lowered its threshold for ever
    (["--th", "1e300"],
     "--th 1e+300: must be at most 1 (the similarities of the matrix lie in [0, 1])"),
    # read as the current folder
    (["--csv", ""], "--csv '': empty; give a list of csv scores, 'auto' or 'none'"),
    # a NaN onset in the ground truth: a traceback in the report's format_time
    (["--refdir", "gt", "--no-plot"],
     "gt/mine.txt, line 3: onset and pitch must be finite numbers, not 'nan, 60.0'"),
])
def test_script_refuses_numbers_that_are_not_finite_in_one_line(tmp_path, small_score,
                                                                monkeypatch, capsys, args,
                                                                message):
    from complex_auto import cli

    monkeypatch.chdir(tmp_path)
    make_run(tmp_path / "output", ["mine.wav"])
    (tmp_path / "csvs.txt").write_text(f"{small_score}\n")
    (tmp_path / "gt").mkdir()
    (tmp_path / "gt" / "mine.txt").write_text("pattern1\noccurrence1\nnan, 60.0\n"
                                              "1.0, 62.0\noccurrence2\n4.0, 60.0\n")
    script = load_script("extract_motives.py")
    with pytest.raises(SystemExit) as e:
        cli.run(script.main, script.parser(),
                ["r", "--bpm", "150", "--csv", "csvs.txt"] + args)
    err = capsys.readouterr().err.strip().splitlines()
    assert e.value.code == 1 and err[-1] == f"error: {message}", err
    assert not any("Traceback" in line for line in err)


def test_extraction_before_a_merge_names_the_merge(tmp_path):
    # shards convert files but leave the run's lists to --merge: extraction then said to
    # make the matrices, which were all there
    from complex_auto.patterns import plan_run

    layout = RunLayout("r", tmp_path / "output")
    layout.conversion_record("a.wav").parent.mkdir(parents=True)
    with pytest.raises(DataError, match="make the matrices first with: python convert.py r"):
        plan_run("r", root=tmp_path / "output")                 # nothing converted yet
    layout.conversion_record("a.wav").write_text("{}")
    with pytest.raises(DataError, match=r"ran in parts \(--shard\) whose lists python "
                                        r"convert.py r FILELIST CONFIG --merge writes"):
        plan_run("r", root=tmp_path / "output")
    layout.conversion_info.write_text("{}")    # a whole run that made no matrices
    with pytest.raises(DataError, match="make the matrices first"):
        plan_run("r", root=tmp_path / "output")


def test_the_picture_tells_the_ground_truth_from_the_patterns_and_has_a_time_axis(tmp_path):
    """Annotated pattern k had found pattern k's colour, so a bar read as 'where pattern k is';
    the eighth pattern was grey, the ground truth's colour in the report; no time was shown."""
    from PIL import Image

    from complex_auto.display import PALETTE, TRUTH_COLOUR, plot_patterns

    X = np.random.default_rng(0).random((200, 200))
    found = [np.array([[10, 30, 10, 30], [10, 30, 20 * k + 40, 20 * k + 60]]) for k in range(8)]
    plot_patterns(tmp_path / "a.png", X, found, reference_spans=[[(40.0, 60.0)]])
    plain = np.asarray(Image.open(tmp_path / "a.png").convert("RGB")).astype(int)
    colours = {tuple(int(v) for v in c) for c in plain.reshape(-1, 3)}
    assert all(c in colours for c in PALETTE[:8])
    assert all(max(c) - min(c) > 40 for c in PALETTE)            # no pattern drawn in grey
    top = plain[2:8, 10 + 40:10 + 60]                            # the bar row; the margin is 10
    assert (top == TRUTH_COLOUR).all()
    plot_patterns(tmp_path / "b.png", X, found, reference_spans=[[(40.0, 60.0)]],
                  frame_seconds=0.5, shift=0.0)                  # 100 s: ticks every 15 s
    timed = np.asarray(Image.open(tmp_path / "b.png").convert("RGB"))
    assert timed.shape[0] == plain.shape[0] + 16 and timed.shape[1] == plain.shape[1]
    axis = timed[plain.shape[0]:plain.shape[0] + 3]              # the tick marks under the matrix
    ticks = np.flatnonzero((axis == 0).all(axis=2).any(axis=0)) - 10
    assert ticks.tolist() == [0, 30, 60, 90, 120, 150, 180]     # 15 s = 30 rows of 0.5 s


def test_the_pictures_title_draws_accents_and_wraps_to_its_width(tmp_path):
    """PIL's own font drew a user's 'mélodie' with a box for é, and a long title ran off the
    picture's edge."""
    from PIL import Image

    from complex_auto.display import plot_patterns

    X = np.random.default_rng(0).random((200, 200))

    def title_strip(title):
        plot_patterns(tmp_path / "t.png", X, [], title)
        picture = np.asarray(Image.open(tmp_path / "t.png").convert("L"))
        return picture, picture[:picture.shape[0] - 200]

    _, accent = title_strip("é")
    _, box = title_strip("\ue000")          # a private-use character: every font's box
    assert accent.shape == box.shape and (accent != box).any()
    one, _ = title_strip("title")
    words = " ".join(["patterns"] * 20)
    tall, strip = title_strip(words)
    assert tall.shape[1] == one.shape[1] and tall.shape[0] >= one.shape[0] + 3 * 14
    assert (strip[:, -3:] == 255).all()     # nothing runs off the right edge
