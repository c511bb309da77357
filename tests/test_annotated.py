"""How strongly a matrix marks annotated repeats (complex_auto.annotated), on planted repeats."""
import numpy as np
import pytest

from complex_auto import annotated as A
from complex_auto.errors import DataError, ParameterError
from complex_auto.families import diagonal_prefix
from complex_auto.selfsim import PAD, self_similarity
from tests.test_families import features_with_repeats


def occurrence(start_beat, end_beat, pitch=60):
    """A ground-truth occurrence (read_mirex's layout) from its first to its last onset."""
    onsets = list(np.arange(start_beat, end_beat, 0.5)) + [end_beat]
    return [(float(b), pitch) for b in onsets]


def test_diagonal_means_average_along_the_diagonal():
    R = np.random.default_rng(0).random((30, 30))
    P = diagonal_prefix(R)
    got = A.diagonal_means(P, [2, 0, 5], [10, 20, 6], [5, 10, 1])
    want = [np.mean([R[a + k, b + k] for k in range(L)]) for a, b, L in ((2, 10, 5), (0, 20, 10),
                                                                          (5, 6, 1))]
    assert np.allclose(got, want)


def test_occurrence_pairs_leave_out_close_and_outside_pairs():
    spans = np.array([[0, 8], [20, 26], [22, 30], [95, 105]])
    pairs = A.occurrence_pairs(spans, n=100, min_lag=4)
    # (20, 22) is a passage against itself a moment later; [95, 105) runs past the matrix
    assert pairs.tolist() == [[0, 20, 6], [0, 22, 8]]


def test_occurrence_pairs_keep_pairs_at_the_least_lag_and_the_edge_but_not_before_the_matrix():
    # the finder searches lags >= min_lag: occurrences exactly min_lag apart are a pair, and
    # one that ends at the matrix's last cell fits it
    spans = np.array([[0, 4], [4, 8], [16, 20]])
    assert A.occurrence_pairs(spans, n=20, min_lag=4).tolist() == [[0, 4, 4], [0, 16, 4],
                                                                   [4, 16, 4]]
    # an occurrence annotated before the first window's centre starts at a negative cell: no
    # pair (its diagonal would wrap to the matrix's other end)
    spans = np.array([[-3, 2], [10, 15], [30, 35]])
    assert A.occurrence_pairs(spans, n=40, min_lag=4).tolist() == [[10, 30, 5]]


def test_boundary_profiles_read_the_diagonal_around_start_and_end():
    R = np.random.default_rng(2).random((40, 40))
    pairs = np.array([[3, 20, 10], [30, 36, 2]])
    start, end = A.boundary_profiles(R, pairs, [-4, 0, 5])
    # 4 cells before (3, 20) is row -1: off the matrix, NaN
    assert np.isnan(start[0][0]) and start[0][1:].tolist() == [R[3, 20], R[8, 25]]
    assert end[0].tolist() == [R[9, 26], R[13, 30], R[18, 35]]
    # the second pair runs off the matrix after its end: NaN there, not a wrapped index
    assert start[1].tolist()[:2] == [R[26, 32], R[30, 36]] and np.isnan(start[1][2])
    assert end[1][1] == R[32, 38] and np.isnan(end[1][2])


def test_boundary_profiles_of_a_planted_repeat_rise_at_its_start_and_fall_at_its_end():
    # rows 40-99 repeated at 200-259: a row per quarter beat, beat = row / 4
    f = features_with_repeats(400, [(40, 200, 60)], seed=3)
    X = self_similarity(f)
    got = A.piece_quantiles(X, len(X) - PAD, 0.25, 0, 0.0,
                            [[occurrence(10, 24.75), occurrence(50, 64.75)]],
                            np.random.default_rng(0))
    start, end = got[0]["start"][0], got[0]["end"][0]
    before, inside = [A.PROFILE_BEATS.index(b) for b in (-4, 2)]
    assert start[inside] > 0.95 and start[before] < 0.8
    # the end is the last onset, a quarter beat before the repeat stops: +4 beats is outside
    assert end[A.PROFILE_BEATS.index(-2)] > 0.95 and end[A.PROFILE_BEATS.index(4)] < 0.8


def test_random_pairs_keep_lengths_and_distance():
    pairs = A.random_pairs([5, 12], n=60, min_lag=8, rng=np.random.default_rng(1), draws=50)
    assert len(pairs) == 100 and set(pairs[:50, 2]) == {5} and set(pairs[50:, 2]) == {12}
    assert np.all(pairs[:, 1] - pairs[:, 0] >= 8) and np.all(pairs[:, 1] + pairs[:, 2] <= 60)
    with pytest.raises(ParameterError, match="no two spans of 55 cells"):
        A.random_pairs([55], n=60, min_lag=8, rng=np.random.default_rng(1))


def test_random_pairs_reach_both_ends_of_the_matrix():
    # 12 cells, spans of 5: a pair may start at cell 0 and end at cell 12 (second = 7)
    pairs = A.random_pairs([5], n=12, min_lag=2, rng=np.random.default_rng(3), draws=400)
    assert pairs[:, 0].min() == 0 and pairs[:, 1].max() == 7
    assert set(pairs[:, 1]) == set(range(2, 8))                 # every start that fits


def test_profiles_are_read_in_beats_on_a_pooled_matrix():
    # 8 rows a beat, pooled by 2 onto the 0.25-beat grid: PROFILE_BEATS are 4 cells a beat
    from complex_auto.families import RESOLUTION_BEATS, prepare_matrix

    rng = np.random.default_rng(4)
    X = rng.random((240, 240))
    X = (X + X.T) / 2
    R, factor, _, _ = prepare_matrix(X, 0.125, 240, RESOLUTION_BEATS)
    assert factor == 2 and len(R) == 120
    got = A.piece_quantiles(X, 240, 0.125, 0, 0.0, [[occurrence(5, 8), occurrence(15, 18)]],
                            rng)
    # beats 5 and 15 are cells 20 and 60; the last onsets, 3 beats later, cells 32 and 72
    k = 4 * np.array(A.PROFILE_BEATS)
    assert np.allclose(got[0]["start"][0], R[20 + k, 60 + k])
    assert np.allclose(got[0]["end"][0], R[32 + k, 72 + k])


def test_a_planted_repeat_stands_out_and_a_false_annotation_does_not():
    # rows 40-99 are repeated at 200-259 and 400-459; at 0.25 beats a row (grid = rows), and
    # a row standing for the music at its own start (window 0), beat = row / 4
    f = features_with_repeats(600, [(40, 200, 60), (40, 400, 60)], seed=3)
    X = self_similarity(f)
    true = [occurrence(10, 24.75), occurrence(50, 64.75), occurrence(100, 114.75)]
    false = [occurrence(30, 44.75), occurrence(80, 94.75), occurrence(125, 139.75)]
    got = A.piece_quantiles(X, len(X) - PAD, 0.25, 0, 0.0, [true, false],
                            np.random.default_rng(0))
    assert [g["occurrences"] for g in got] == [3, 3] and got[0]["beats"] == pytest.approx(14.75)
    assert len(got[0]["annotated"]) == 3 and len(got[0]["random"]) == 3 * A.DRAWS
    assert got[0]["annotated"].min() > 0.95
    assert np.median(got[1]["annotated"]) < 0.8
    assert 0.3 < np.median(np.concatenate([g["random"] for g in got])) < 0.7
    # a row stands for its window's centre: the same beats read with a window of 40 rows
    # and frame 0 at beat -5 (20 rows = 5 beats earlier) find the same pairs
    shifted = A.piece_quantiles(X, len(X) - PAD, 0.25, 40, -5.0, [true],
                                np.random.default_rng(0))
    assert np.allclose(shifted[0]["annotated"], got[0]["annotated"])


def test_repeat_quantiles_needs_an_extracted_run(tmp_path):
    with pytest.raises(DataError, match="extraction.json: missing"):
        A.repeat_quantiles("nothing", root=tmp_path)


def test_repeat_quantiles_names_a_missing_matrix(tmp_path):
    import json

    run = tmp_path / "r"
    run.mkdir()
    ref = tmp_path / "gt"
    ref.mkdir()
    (ref / "p.txt").write_text("pattern1\noccurrence1\n1.0, 60\n")
    (run / "extraction.json").write_text(json.dumps({
        "method": "families", "frame_seconds": 0.09, "window": 32, "pad": 9, "domain": "audio",
        "pieces": [{"piece": "p", "bpm": 120.0, "csv": "p.csv",
                    "matrix": str(run / "p.npy"), "audio_start": 0.0}]}))
    with pytest.raises(DataError, match=r"p\.npy: self-similarity matrix does not exist"):
        A.repeat_quantiles("r", refdir=ref, root=tmp_path)
