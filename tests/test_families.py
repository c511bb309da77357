"""The ``families`` pattern finder: each step on planted repeats, then the whole pipeline.

Synthetic feature sequences get repeats planted at known places (exact, a few frames off, in
another key through the shipped model); their matrices are made with the project's own recipe
(:func:`complex_auto.selfsim.self_similarity`), as ``convert.py`` makes them.
"""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from complex_auto import families as F
from complex_auto.chance import ceiling_scores, chance_scores, random_placement
from complex_auto.errors import DataError, ParameterError
from complex_auto.layout import RunLayout
from complex_auto.patterns import extract_run
from complex_auto.runinfo import read_extraction
from complex_auto.selfsim import PAD, self_similarity
from tests.conftest import child_env

ROOT = Path(__file__).resolve().parents[1]


def features_with_repeats(n, plants, dims=24, seed=0, noise=0.0, smooth=4):
    """Random, slowly changing features with ``plants``: ``(src, dst, length)`` copies.

    Each copy may carry ``noise`` (relative to the features' spread). Smoothing over a few
    frames makes neighbouring frames alike, as the windows of real features are.
    """
    rng = np.random.default_rng(seed)
    raw = rng.normal(size=(n + smooth, dims))
    f = np.stack([raw[i:i + smooth].mean(axis=0) for i in range(n)]) + 3.0
    for src, dst, length in plants:
        f[dst:dst + length] = f[src:src + length] + noise * rng.normal(size=(length, dims)) * f.std()
    return f


def find(features, beats_per_frame=0.25):
    X = self_similarity(features)
    return F.find_patterns(X, beats_per_frame, n_rows=len(X) - PAD)


def overlaps(span, target, tol):
    return abs(span[0] - target[0]) <= tol and abs(span[1] - target[1]) <= tol


def pattern_with(found, targets, tol):
    """The first found pattern that has an occurrence near every target span."""
    for rank, (score, spans) in enumerate(found):
        if all(any(overlaps(s, t, tol) for s in spans) for t in targets):
            return rank, score, spans
    return None


# ---------------------------------------------------------------------------------------------
# steps


def test_pool_matrix_averages_blocks_and_drops_padding():
    X = np.arange(49, dtype=float).reshape(7, 7)
    P = F.pool_matrix(X, 2, n=5)
    assert P.shape == (3, 3)
    assert P[0, 0] == pytest.approx(np.mean([0, 1, 7, 8]))
    assert P[2, 2] == pytest.approx(X[4, 4])               # edge block of one cell
    assert P[0, 2] == pytest.approx(np.mean([4, 11]))      # rows 0-1, column 4 only
    assert np.array_equal(F.pool_matrix(X, 1), X.astype(np.float32))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pool_matrix_reads_a_matrix_file_as_it_reads_memory(tmp_path, dtype):
    X = np.random.default_rng(0).random((53, 53)).astype(dtype)
    np.save(tmp_path / "x.npy", X)
    on_disk = np.load(tmp_path / "x.npy", mmap_mode="r")
    assert np.array_equal(F.pool_matrix(on_disk, 4, 50), F.pool_matrix(X, 4, 50))


def test_lag_normalise_removes_each_diagonals_median():
    rng = np.random.default_rng(0)
    S = rng.random((30, 30)).astype(np.float32)
    S = ((S + S.T) / 2 - 0.1 * np.abs(np.subtract.outer(np.arange(30), np.arange(30))))
    S = S.astype(np.float32)
    N = F.lag_normalise(S, 3)
    assert np.allclose(N, N.T)
    for d in range(3, 30):
        assert np.median(np.diagonal(N, d)) == pytest.approx(0, abs=1e-6)
        assert np.allclose(np.diagonal(N, d), np.diagonal(S, d) - np.median(np.diagonal(S, d)),
                           atol=1e-6)
    assert not N[np.abs(np.subtract.outer(np.arange(30), np.arange(30))) < 3].any()


def test_rank_transform_gives_quantiles():
    rng = np.random.default_rng(1)
    S = rng.normal(size=(200, 200)).astype(np.float32)
    S = (S + S.T) / 2
    R = F.rank_transform(S, 2)
    iu = np.triu_indices(200, 2)
    # about a tenth of the pairs lie above the 0.9 quantile, and order is kept
    assert np.mean(R[iu] >= 0.9) == pytest.approx(0.1, abs=0.01)
    a, b = np.argsort(S[iu])[[100, 10000]]
    assert R[iu][a] <= R[iu][b]
    assert R[0, 0] == 0 and R[0, 1] == 0


def test_rank_transform_gives_equal_values_the_middle_of_their_quantiles():
    # Half the pairs equal (a flat stretch: a held chord, float16 steps): they are neither
    # above nor below each other, so each takes the middle of the quantiles they span, a
    # quarter; none may fall to 0 or pass a 0.9 threshold, and the other half lies above.
    rng = np.random.default_rng(3)
    S = rng.random((100, 100)).astype(np.float32) + 1
    S = (S + S.T) / 2
    iu = np.triu_indices(100, 2)
    flat = rng.random(len(iu[0])) < 0.5
    S[iu[0][flat], iu[1][flat]] = S[iu[1][flat], iu[0][flat]] = 0.5
    R = F.rank_transform(S, 2)
    assert R[iu][flat] == pytest.approx(np.full(flat.sum(), flat.mean() / 2), abs=0.01)
    assert R[iu][~flat].min() >= R[iu][flat].max()


def test_equal_values_at_the_top_are_no_repeat():
    # A silent stretch: its windows are all alike, so most pairs share the highest value.
    # Sharing it, they are above none of each other: none reaches the run threshold, and a
    # piece of one value (a silent recording) holds no pattern.
    rng = np.random.default_rng(4)
    S = rng.random((120, 120)).astype(np.float32)
    S = (S + S.T) / 2
    iu = np.triu_indices(120, 2)
    top = rng.random(len(iu[0])) < 0.8
    S[iu[0][top], iu[1][top]] = S[iu[1][top], iu[0][top]] = 1.0
    R = F.rank_transform(S, 2)
    assert R[iu][top] == pytest.approx(np.full(top.sum(), 1 - top.mean() / 2), abs=0.01)
    assert R[iu].max() < F.RUN_QUANTILE
    flat = np.ones((400, 400), np.float32)
    assert F.find_patterns(flat, 0.1) == []


def test_smooth_diagonals_is_a_centred_mean_over_the_cells_that_exist():
    # brute force: along each diagonal, the mean of the cells t - width // 2 .. t - width // 2
    # + width - 1 that lie on it (fewer at the ends, never padded with zeros)
    rng = np.random.default_rng(5)
    R = rng.random((13, 13)).astype(np.float32)
    for width in (1, 3, 4, 5):
        S = F.smooth_diagonals(R, width)
        assert S.dtype == np.float32 and np.allclose(S, S.T) and not np.diagonal(S).any()
        for d in range(1, 13):
            v = np.diagonal(R, d).astype(float)
            lo = [max(0, t - width // 2) for t in range(len(v))]
            want = [v[a:t - width // 2 + width].mean() for t, a in enumerate(lo)]
            assert np.diagonal(S, d) == pytest.approx(want, rel=1e-5)
    # a stripe along a whole diagonal keeps its level at both ends
    R = np.zeros((20, 20), np.float32)
    R[np.arange(15), np.arange(15) + 5] = 0.95
    assert np.diagonal(F.smooth_diagonals(R, 4), 5) == pytest.approx(np.full(15, 0.95))


def test_the_search_smooths_the_diagonals_over_smooth_beats(monkeypatch):
    # SMOOTH_BEATS in cells of the grid: one beat is 4 cells of a quarter beat, 2 of half a
    # beat; two beats on the quarter-beat grid are 8 cells
    widths = []
    real = F.smooth_diagonals

    def recorded(R, width):
        widths.append(width)
        return real(R, width)

    monkeypatch.setattr(F, "smooth_diagonals", recorded)
    rng = np.random.default_rng(0)
    X = rng.random((200, 200))
    X = (X + X.T) / 2
    F.find_patterns(X, 0.25)                        # a frame a cell of a quarter beat
    F.find_patterns(X, 0.125, resolution=0.5)       # 4 frames a cell of half a beat
    monkeypatch.setattr(F, "SMOOTH_BEATS", 2.0)
    F.find_patterns(X, 0.0625)                      # 4 frames a cell of a quarter beat
    assert widths == [4, 2, 8]


def test_diagonal_runs_find_a_planted_stripe():
    R = np.zeros((60, 60), np.float32)
    for t in range(10, 25):
        R[t, t + 30] = R[t + 30, t] = 0.95
    runs = F.diagonal_runs(R, 0.9, 5, 100, 3)
    assert runs.shape == (1, 5)
    a, b, lag, mean, strength = runs[0]
    assert (a, b, lag) == (10, 25, 30)
    assert mean == pytest.approx(0.95) and strength == pytest.approx(15 * 0.05, rel=1e-5)
    assert len(F.diagonal_runs(R, 0.9, 16, 100, 3)) == 0          # shorter than min_len
    # cut into pieces of max_len, and one more that ends where the run ends
    assert [tuple(r[:2]) for r in F.diagonal_runs(R, 0.9, 5, 8, 3)] == [(10, 18), (18, 25),
                                                                        (17, 25)]


def test_a_run_longer_than_its_lag_is_cut_at_the_lag_from_both_ends():
    R = np.zeros((60, 60), np.float32)
    for t in range(5, 32):                  # 27 cells at lag 10: overlaps its own repeat
        R[t, t + 10] = R[t + 10, t] = 0.95
    runs = F.diagonal_runs(R, 0.9, 5, 100, 3)
    assert [tuple(r[:3]) for r in runs if r[2] == 10] == [(5, 15, 10), (15, 25, 10),
                                                          (25, 32, 10), (22, 32, 10)]


def test_candidates_are_both_sides_of_each_run_strongest_first_once_each():
    # rows: start, end, lag, mean, strength
    runs = np.array([[10, 20, 30, 0.95, 1.0],
                     [50, 58, 40, 0.99, 3.0],     # strongest: its two sides come first
                     [10, 21, 30, 0.94, 0.5]],    # a cell longer than the first run
                    float)
    assert F.candidates(runs).tolist() == [[50, 58], [90, 98], [10, 20], [40, 50], [10, 21],
                                           [40, 51]]
    # on a grid of 5 cells the third run's sides are the first run's: tried once
    assert F.candidates(runs, grid=5).tolist() == [[50, 58], [90, 98], [10, 20], [40, 50]]
    assert F.candidates(runs, max_count=3).tolist() == [[50, 58], [90, 98], [10, 20]]
    assert F.candidates(np.zeros((0, 5))).shape == (0, 2)


def test_best_intervals_picks_the_heaviest_non_overlapping_set():
    gain = np.array([-1, 0.5, 0.6, -1, -1, 0.9, -1, 0.2, 0.3, -1], float)
    # length 2: 2 (0.6) and 5 (0.9) and 8 (0.3) beat 1 (0.5) + 5 + 7/8
    assert F._best_intervals(gain, 2).tolist() == [2, 5, 8]
    # length 4: 1 and 5 overlap neither... 1 (0.5) + 5 (0.9) = 1.4 > 2 (0.6) + 7? no: 2+4=6
    assert F._best_intervals(gain, 4).tolist() == [1, 5]
    assert F._best_intervals(np.full(5, -1.0), 2).tolist() == []


def test_path_family_excludes_the_candidate_a_moment_later():
    # a constant high matrix: every span is "similar", but occurrences must not overlap the
    # candidate or each other
    R = np.full((40, 40), 0.95, np.float32)
    np.fill_diagonal(R, 0)
    P = F.diagonal_prefix(R)
    starts, means = F.path_family(P, 10, 20)
    assert len(starts) > 0
    spans = sorted([(10, 20)] + [(s, s + 10) for s in starts])
    assert all(b0 >= a1 for (_, a1), (b0, _) in zip(spans, spans[1:]))   # no overlaps
    assert (means >= F.OCCURRENCE_QUANTILE).all()


def test_path_family_tries_the_last_start_that_fits():
    # The only repeat of [0, 8) ends with the piece (40 cells): its occurrence starts at 32,
    # the last start a span of 8 has.
    R = np.zeros((40, 40), np.float32)
    R[np.arange(8), 32 + np.arange(8)] = 0.95
    starts, means = F.path_family(F.diagonal_prefix(R), 0, 8)
    assert starts.tolist() == [32] and means == pytest.approx([0.95])


def test_chance_level_is_the_quantile_of_random_span_pairs_and_stricter_when_short():
    rng = np.random.default_rng(7)
    R = rng.random((120, 120)).astype(np.float32)     # quantiles, as rank_transform gives
    P = F.diagonal_prefix(R)
    # brute force: the mean of every pair of non-overlapping spans of 3 cells
    L = 3
    means = [np.mean([R[i + t, j + t] for t in range(L)])
             for i in range(121 - L) for j in range(121 - L) if abs(i - j) >= L]
    assert np.quantile(means, 0.99) > F.OCCURRENCE_QUANTILE
    assert F.chance_level(P, L, 0.01) == pytest.approx(np.quantile(means, 0.99), abs=0.01)
    # a short span's mean reaches high levels by chance, a long one's does not
    short, long_ = F.chance_level(P, 2, 0.005), F.chance_level(P, 40, 0.005)
    assert short > 0.9 and long_ == F.OCCURRENCE_QUANTILE
    assert F.chance_level(P, 4, 0.001) > F.chance_level(P, 4, 0.05)
    assert F.chance_level(P, 70, 0.005) == 1.0      # two spans of 70 do not fit apart
    # a piece in two equal halves: the only pair of spans of half its length is the repeat
    R = np.zeros((2000, 2000), np.float32)
    R[np.arange(1000), np.arange(1000) + 1000] = 0.9
    assert F.chance_level(F.diagonal_prefix(R), 1000, 0.005) == pytest.approx(0.9)


def test_diagonal_prefix_sums_diagonals():
    R = np.random.default_rng(2).random((9, 9))
    P = F.diagonal_prefix(R)
    assert P[7, 5] - P[3, 1] == pytest.approx(sum(R[3 + t, 1 + t] for t in range(4)))


def test_select_patterns_drops_repeats_and_parts_but_keeps_motifs_that_sound_elsewhere():
    section = (10.0, np.array([[0, 40], [100, 140], [300, 340]]))
    same = (5.0, np.array([[2, 41], [99, 139], [301, 342]]))             # the same spans
    part = (4.0, np.array([[10, 20], [110, 120], [310, 320]]))           # a part of each, same lags
    inner = (3.0, np.array([[0, 8], [20, 28], [100, 108], [120, 128]]))  # twice in each occurrence
    beyond = (2.5, np.array([[4, 12], [104, 112], [400, 408]]))          # a motif, once elsewhere
    other = (2.0, np.array([[50, 60], [200, 210]]))
    kept = F.select_patterns([part, other, beyond, section, inner, same])
    assert [s for s, _ in kept] == [10.0, 2.5, 2.0]


def test_inside_any_drops_what_sounds_only_within_better_patterns(monkeypatch):
    section = (10.0, np.array([[0, 40], [100, 140], [300, 340]]))
    inner = (3.0, np.array([[0, 8], [20, 28], [100, 108], [120, 128]]))  # twice in each occurrence
    beyond = (2.5, np.array([[4, 12], [104, 112], [400, 408]]))        # a motif, once elsewhere
    other = (2.0, np.array([[50, 60], [200, 210]]))
    across = (1.0, np.array([[30, 45], [52, 55], [205, 208]]))         # in the section, then other
    assert [s for s, _ in F.select_patterns([section, inner, beyond, other, across])] == [
        10.0, 2.5, 2.0]
    # the narrower rule of versions 1-4 (SIATEC's maximality) keeps the figure and the family
    # across two patterns: each of their occurrences is not within its own one of one pattern
    monkeypatch.setattr(F, "INSIDE_ANY", False)
    assert [s for s, _ in F.select_patterns([section, inner, beyond, other, across])] == [
        10.0, 3.0, 2.5, 2.0, 1.0]
    monkeypatch.setattr(F, "INSIDE_ANY", True)
    # within is by half a span's length (SAME_SPAN_IOU): [30, 45] has 10 of its 15 cells in
    # the section's [0, 40]; moved to [33, 48] it has 7 and the family stays
    moved = (1.0, np.array([[33, 48], [52, 55], [205, 208]]))
    assert [s for s, _ in F.select_patterns([section, other, moved])] == [10.0, 2.0, 1.0]
    # named for the pattern that holds most of its spans
    assert F.excluded_by(inner[1], [other[1], section[1]]) == (1, "inside")
    assert F.excluded_by([[52, 55], [205, 208], [0, 8]], [section[1], other[1]]) == (1, "inside")
    assert F.excluded_by(beyond[1], [section[1], other[1]]) is None


def test_excluded_by_names_the_first_chosen_pattern_and_its_rule(monkeypatch):
    section = np.array([[0, 40], [100, 140], [300, 340]])
    other = np.array([[50, 60], [200, 210]])
    assert F.excluded_by([[2, 41], [99, 139], [301, 342]], [other, section]) == (1, "same spans")
    # a family with two of the section's three spans among five of its own: the section's
    # spans are its spans (2 of 3), not the other way round (2 of 5)
    wider = [[0, 40], [100, 140], [500, 540], [600, 640], [700, 740]]
    assert F.excluded_by(wider, [section]) == (0, "its spans")
    assert F.excluded_by([[10, 20], [110, 120], [310, 320]], [other, section]) == (1, "inside")
    # twice in each occurrence: inside; only with the narrower rule, kept
    assert F.excluded_by([[0, 8], [20, 28], [100, 108], [120, 128]], [section]) == (0, "inside")
    with monkeypatch.context() as m:
        m.setattr(F, "INSIDE_ANY", False)
        assert F.excluded_by([[10, 20], [110, 120], [310, 320]], [other, section]) == (
            1, "inside")
        assert F.excluded_by([[0, 8], [20, 28], [100, 108], [120, 128]], [section]) is None
    # elsewhere: kept
    assert F.excluded_by([[400, 420], [450, 470]], [section, other]) is None
    # the shares and the iou are the select_patterns' ones
    assert F.excluded_by(wider, [section], redundant=0.7) is None
    assert F.excluded_by([[2, 41], [99, 139], [301, 342]], [section], iou=0.99) is None


def test_select_patterns_keeps_the_patterns_chosen_already_first():
    section = (10.0, np.array([[0, 40], [100, 140], [300, 340]]))
    same = (50.0, np.array([[2, 41], [99, 139], [301, 342]]))           # higher score, same spans
    other = (20.0, np.array([[50, 60], [200, 210]]))
    kept = F.select_patterns([same, other], kept=[section])
    assert [s for s, _ in kept] == [10.0, 20.0]


def test_part_candidates_lie_in_an_occurrence_strongest_first_off_the_patterns_diagonal():
    occ = np.array([[100, 140], [300, 340]])
    runs = np.array([
        [110, 120, 200, 0.95, 9.0],    # the pattern against itself, 10 cells into each occurrence
        [105, 135, 600, 0.95, 8.0],    # longer than max_len
        [112, 122, 400, 0.95, 4.0],    # inside the first occurrence; its partner 512 is not
        [120, 130, 450, 0.95, 3.5],    # tried in step 5 already
        [50, 60, 265, 0.95, 3.0],      # its partner (315, 325) lies in the second occurrence
        [112, 122, 400, 0.95, 2.0],    # the same span again
        [10, 20, 30, 0.95, 1.0],       # nowhere near the pattern
    ])
    got = F.part_candidates(runs, occ, max_len=20, tried={(120, 130)}, tolerance=2)
    assert got == [(112, 122, 0), (315, 325, 1)]
    assert F.part_candidates(runs, occ, max_len=20, max_count=1, tried={(120, 130)}) == \
        [(112, 122, 0)]
    # without a tolerance the run at the pattern's own lag but 3 cells off is a candidate
    runs[0, :3] = [110, 120, 203]
    assert F.part_candidates(runs, occ, 20, tolerance=0)[0] == (110, 120, 0)
    assert F.part_candidates(runs, occ, 20, tolerance=3)[0] == (112, 122, 0)


def test_a_run_within_a_beat_of_the_patterns_own_diagonal_gives_no_part(monkeypatch):
    # A section at 100 and 300 (80 cells of a quarter beat, lag 200), and a 30-cell stripe
    # joining [120, 150) to a place in the copy at another lag. At lag 202-204 the stripe
    # lies within the smoothing (a beat, 4 cells) of the section's own diagonal: it is the
    # section against itself and gives no part. From lag 205 on it is a run elsewhere, and
    # the parts it gives show that the search for parts runs on this matrix.
    monkeypatch.setattr(F, "candidates", lambda runs, grid: np.array([[100, 180]]))

    def every(lag):
        X = np.zeros((400, 400))
        X[100 + np.arange(80), 300 + np.arange(80)] = 1.0
        X[120 + np.arange(30), lag + 120 + np.arange(30)] = 1.0
        X = np.maximum(X, X.T)
        return [spans.tolist() for _, spans in F.find_patterns(X, 0.25, select=False)]

    for lag in (202, 203, 204):
        assert every(lag) == [[[100, 180], [300, 380]]], lag
    for lag in (205, 210):
        found = every(lag)
        assert found[0] == [[100, 180], [300, 380]] and len(found) > 1, lag
        assert all(b - a <= 40 for spans in found[1:] for a, b in spans)     # parts


def test_part_level_is_the_median_similarity_to_the_copies_in_the_other_occurrences():
    R = np.zeros((70, 70))
    for k in range(4):                         # the part [2, 6) of the occurrence at 0
        R[2 + k, 22 + k] = 0.9                 # its copy in the occurrence at 20
        R[2 + k, 42 + k] = 0.7                 # and in the one at 40
        R[2 + k, 62 + k] = 0.2
    P = F.diagonal_prefix(R)
    occ = np.array([[0, 10], [20, 30], [40, 50]])
    assert F.part_level(P, 2, 6, occ, 0) == pytest.approx(0.8)
    occ = np.array([[0, 10], [20, 30], [40, 50], [60, 70]])
    assert F.part_level(P, 2, 6, occ, 0) == pytest.approx(0.7)
    assert F.part_level(P, 2, 6, np.array([[0, 10], [67, 77]]), 0) is None   # past the end


def motif_in_a_section(seed=2, noise=0.2, motif=24):
    """A 20-beat section twice (frames 100 and 300, 0.25 beats a frame), and a 6-beat motif
    from inside it (frame 120) twice more elsewhere (480, 580), the copies noisy."""
    rng = np.random.default_rng(100 + seed)
    f = features_with_repeats(700, [(100, 300, 80)], seed=seed, smooth=2)
    f[300:380] += noise * rng.normal(size=(80, f.shape[1])) * f.std()
    for dst in (480, 580):
        f[dst:dst + motif] = (f[120:120 + motif]
                              + noise * rng.normal(size=(motif, f.shape[1])) * f.std())
    return f, [(120, 120 + motif), (320, 320 + motif), (480, 480 + motif), (580, 580 + motif)]


def parts_of(found, targets):
    """Patterns with one occurrence in each target span (by half their length) and few more."""
    def holds(span, target):
        return min(span[1], target[1]) - max(span[0], target[0]) >= 0.5 * (span[1] - span[0])

    return [spans for _, spans in found if len(spans) <= len(targets) + 1
            and all(any(holds(s, t) for s in spans) for t in targets)]


def test_a_motif_inside_a_section_that_recurs_elsewhere_is_found_as_its_part(monkeypatch):
    # Step 5 gets one candidate, the section: the motif, which recurs where the section does
    # and twice more, is found inside it by step 7.
    f, motif = motif_in_a_section()
    X = self_similarity(f)
    monkeypatch.setattr(F, "candidates", lambda runs, grid: np.array([[100, 180]]))
    found = F.find_patterns(X, 0.25, n_rows=len(X) - PAD)
    assert pattern_with(found, [(100, 180), (300, 380)], tol=6) is not None
    parts = parts_of(found, motif)
    assert parts, [s.tolist() for _, s in found]
    assert all(b - a <= F.PART_SHARE * 80 for a, b in parts[0])
    monkeypatch.setattr(F, "MAX_PART_CANDIDATES", 0)             # no step 7
    assert not parts_of(F.find_patterns(X, 0.25, n_rows=len(X) - PAD), motif)


def test_a_pattern_gives_its_best_parts_up_to_parts_per_pattern(monkeypatch):
    # Two motifs inside the section, each recurring twice more elsewhere: the default
    # reports one of them beside the section, PARTS_PER_PATTERN = 2 both.
    rng = np.random.default_rng(7)
    f, first = motif_in_a_section()
    for dst in (200, 420):                 # the section's last 24 frames, twice more
        f[dst:dst + 24] = f[150:174] + 0.2 * rng.normal(size=(24, f.shape[1])) * f.std()
    second = [(150, 174), (350, 374), (200, 224), (420, 444)]
    X = self_similarity(f)
    monkeypatch.setattr(F, "candidates", lambda runs, grid: np.array([[100, 180]]))

    def found_motifs():
        found = F.find_patterns(X, 0.25, n_rows=len(X) - PAD)
        return [bool(parts_of(found, motif)) for motif in (first, second)], len(found)

    assert F.PARTS_PER_PATTERN == 1
    motifs, count = found_motifs()
    assert sum(motifs) == 1 and count == 2
    monkeypatch.setattr(F, "PARTS_PER_PATTERN", 2)
    assert found_motifs() == ([True, True], 3)
    monkeypatch.setattr(F, "PARTS_PER_PATTERN", 0)
    assert found_motifs() == ([False, False], 1)


# ---------------------------------------------------------------------------------------------
# planted repeats


def test_finds_an_exact_repeat_and_reports_it_once():
    f = features_with_repeats(400, [(60, 250, 40)])
    found = find(f)
    hit = pattern_with(found, [(60, 100), (250, 290)], tol=6)
    assert hit is not None, [s.tolist() for _, s in found[:5]]
    rank, _, spans = hit
    assert spans[0, 1] - spans[0, 0] >= 34          # nearly its whole length
    # reported once: no other pattern holds both spans again
    assert pattern_with(found[:rank] + found[rank + 1:], [(60, 100), (250, 290)], tol=6) is None
    # no occurrence is the passage against itself a moment later
    assert all(b0 >= a1 for (_, a1), (b0, _) in zip(spans, spans[1:]))


def test_finds_a_repeat_a_few_frames_off_and_with_noise():
    # three occurrences, the copies shifted by odd frame counts and noisy
    f = features_with_repeats(600, [(50, 263, 48), (50, 471, 48)], noise=0.3, seed=3)
    hit = pattern_with(find(f), [(50, 98), (263, 311), (471, 519)], tol=6)
    assert hit is not None
    assert len(hit[2]) == 3


def test_a_section_that_ends_with_the_opening_theme_twice_is_a_candidate():
    # A A X A A X A A, then other music (A: 20 frames, X: 60). The stripe at lag 100 runs
    # from the first A to the last but two, longer than its lag; the repeated section X A A
    # (a rounded binary form's B) is its piece that ends there, A A X the one that starts
    # there. Both are candidates; which one a piece's annotation marks is the choice's job.
    f = features_with_repeats(600, [(0, 20, 20), (0, 100, 20), (0, 120, 20), (40, 140, 60),
                                    (0, 200, 20), (0, 220, 20)], seed=5)
    X = self_similarity(f)
    every = F.find_patterns(X, 0.25, n_rows=len(X) - PAD, select=False)
    for section in ([(40, 140), (140, 240)], [(0, 100), (100, 200)]):
        assert pattern_with(every, section, tol=6) is not None, section


def test_short_motif_of_two_beats_is_found():
    # 2.5 beats at 0.25 beats per frame = 10 frames, three times. The windows of the matrix
    # smear a repeat by a few frames at either end, and the smooth random features recur by
    # chance in short "texture" families of 20 or more spans: the motif is the pattern whose
    # three occurrences each hold one planted copy, and not much more.
    f = features_with_repeats(300, [(40, 150, 10), (40, 230, 10)], seed=4, smooth=2)
    motif = [(40, 50), (150, 160), (230, 240)]

    def holds(span, target):
        return min(span[1], target[1]) - max(span[0], target[0]) >= 0.8 * (target[1] - target[0])

    hits = [spans for _, spans in find(f) if len(spans) == len(motif)
            and all(any(holds(s, t) for s in spans) for t in motif)]
    assert hits, "the planted motif is not a pattern"
    assert all(b - a <= 2 * 10 for a, b in hits[0])            # the motif, not a section


def test_clearer_and_longer_repeats_rank_first():
    # 60 frames copied exactly, and 36 frames copied with noise: both are found, the first
    # with the higher score and ahead of the second. (Features without smoothing: smoothed
    # ones recur by chance in short "texture" families that swallow a short noisy copy.)
    f = features_with_repeats(700, [(30, 400, 60), (150, 600, 36)], seed=5, smooth=1)
    f[600:636] += 0.6 * np.random.default_rng(9).normal(size=(36, f.shape[1])) * f.std()
    found = find(f)
    strong = pattern_with(found, [(30, 90), (400, 460)], tol=6)
    weak = pattern_with(found, [(150, 186), (600, 636)], tol=6)
    assert strong is not None and weak is not None
    assert strong[0] < weak[0] and weak[1] < strong[1]
    scores = [s for s, _ in found]
    assert scores == sorted(scores, reverse=True)


def test_nothing_repeats_nothing_long_is_found():
    # Short chance matches exist in any matrix (the chance control measures what they are
    # worth); a long one appears only where something was planted.
    def longest(found):
        return max(s[0, 1] - s[0, 0] for _, s in found)

    assert longest(find(features_with_repeats(300, [], seed=6))) < 30
    assert longest(find(features_with_repeats(300, [(20, 180, 40)], seed=6))) >= 34


def test_occurrences_tested_against_chance_keep_planted_repeats_and_drop_chance_ones():
    def occurrences(found):
        return sum(len(s) for _, s in found)

    f = features_with_repeats(600, [(50, 263, 48), (50, 471, 48)], noise=0.3, seed=3)
    X = self_similarity(f)
    plain = F.find_patterns(X, 0.25, n_rows=len(X) - PAD)
    tested = F.find_patterns(X, 0.25, n_rows=len(X) - PAD, occurrence_p=F.OCCURRENCE_P)
    hit = pattern_with(tested, [(50, 98), (263, 311), (471, 519)], tol=6)
    assert hit is not None and len(hit[2]) == 3
    assert occurrences(tested) < occurrences(plain)
    # where nothing was planted, the short chance matches lose most of their occurrences
    X = self_similarity(features_with_repeats(400, [], seed=6))
    plain = F.find_patterns(X, 0.25, n_rows=len(X) - PAD)
    tested = F.find_patterns(X, 0.25, n_rows=len(X) - PAD, occurrence_p=F.OCCURRENCE_P)
    assert occurrences(tested) < occurrences(plain) / 2


def test_max_beats_keeps_the_motif_and_cuts_the_section():
    # a 2.5-beat motif three times and a 15-beat section twice, at 0.25 beats per frame
    f = features_with_repeats(500, [(40, 150, 10), (40, 230, 10), (280, 420, 60)], seed=5,
                              smooth=2)
    X = self_similarity(f)
    motif, section = [(40, 50), (150, 160), (230, 240)], [(280, 340), (420, 480)]
    plain = F.find_patterns(X, 0.25, n_rows=len(X) - PAD)
    motifs = F.find_patterns(X, 0.25, n_rows=len(X) - PAD, max_beats=F.MOTIF_BEATS)
    assert pattern_with(plain, motif, tol=4) and pattern_with(plain, section, tol=6)
    assert pattern_with(motifs, motif, tol=4) and not pattern_with(motifs, section, tol=6)
    assert max(s[0, 1] - s[0, 0] for _, s in motifs) * 0.25 <= F.MOTIF_BEATS


def test_constants_are_read_when_the_search_runs(monkeypatch):
    # bench/sensitivity.py moves one constant at a time: each must act when set, not only
    # as the default it had when the module was imported
    f = features_with_repeats(500, [(40, 150, 10), (40, 230, 10), (280, 420, 60)], seed=5,
                              smooth=2)
    X = self_similarity(f)
    motif, section = [(40, 50), (150, 160), (230, 240)], [(280, 340), (420, 480)]

    def search():
        return F.find_patterns(X, 0.25, n_rows=len(X) - PAD)

    def shortest(found):
        return min(s[0, 1] - s[0, 0] for _, s in found) * 0.25

    assert pattern_with(search(), motif, tol=4) and pattern_with(search(), section, tol=6)
    assert shortest(search()) < 4
    with monkeypatch.context() as m:
        m.setattr(F, "MIN_BEATS", 4.0)                  # the 2.5-beat motif is too short
        assert shortest(search()) >= 4 and pattern_with(search(), section, tol=6)
    with monkeypatch.context() as m:
        m.setattr(F, "MAX_BEATS", F.MOTIF_BEATS)        # the 15-beat section is too long
        assert pattern_with(search(), motif, tol=4) and not pattern_with(search(), section, tol=6)
    with monkeypatch.context() as m:
        m.setattr(F, "MAX_CANDIDATES", 1)
        assert len(search()) <= 2                       # one pattern, and at most one part
        m.setattr(F, "MAX_PART_CANDIDATES", 0)
        assert len(search()) == 1
        m.setattr(F, "MAX_PART_CANDIDATES", 50)
        m.setattr(F, "PART_SHARE", 0.0)                 # no part is short enough
        assert len(search()) == 1
    with monkeypatch.context() as m:
        m.setattr(F, "OCCURRENCE_QUANTILE", 1.0)        # nothing is similar enough
        assert search() == []

    def ranks(found):
        return pattern_with(found, motif, tol=4)[0], pattern_with(found, section, tol=6)[0]

    found = search()
    motif_rank, section_rank = ranks(found)
    assert motif_rank < section_rank
    best = found[0][0]
    with monkeypatch.context() as m:
        m.setattr(F, "LENGTH_POWER", 3.0)               # length outweighs how often
        motif_rank, section_rank = ranks(search())
        assert section_rank < motif_rank
    with monkeypatch.context() as m:
        m.setattr(F, "EXCESS_POWER", 1.0)       # excesses lie in (0, 1]: a lower power, more
        assert search()[0][0] > best
    section = (10.0, np.array([[0, 40], [100, 140], [300, 340]]))
    same = (5.0, np.array([[2, 41], [99, 139], [301, 342]]))
    assert len(F.select_patterns([section, same])) == 1
    with monkeypatch.context() as m:
        m.setattr(F, "SAME_SPAN_IOU", 0.99)             # nearly the same spans are now others
        assert len(F.select_patterns([section, same])) == 2


def test_too_short_matrix_gives_nothing():
    X = self_similarity(np.random.default_rng(0).normal(size=(3, 4)))
    assert F.find_patterns(X, 0.25, n_rows=3) == []


@pytest.mark.parametrize("beats_per_frame", [0.18, 0.07, 0.3])
def test_no_pattern_is_shorter_than_min_beats_on_any_grid(beats_per_frame):
    # grids of 0.18, 0.28 and 0.3 beats a cell, none a divisor of MIN_BEATS: the shortest
    # length is the first number of cells that holds MIN_BEATS, not the last that does not
    X = np.random.default_rng(0).random((120, 120))
    _, factor, min_len, _ = F.prepare_matrix((X + X.T) / 2, beats_per_frame)
    cell = factor * beats_per_frame
    assert min_len * cell >= F.MIN_BEATS > (min_len - 1) * cell


def test_the_grid_has_at_most_max_cells_a_side():
    # 1009 windows in at most 150 cells: 7 windows a cell (6 would give 169 cells)
    X = np.random.default_rng(0).random((1009, 1009))
    R, factor, _, _ = F.prepare_matrix((X + X.T) / 2, 0.25, n_rows=1009, max_cells=150)
    assert len(R) <= 150 and factor == 7 and len(R) == -(-1009 // 7)


def test_long_recordings_use_a_coarser_grid():
    f = features_with_repeats(900, [(100, 600, 120)], seed=7)
    X = self_similarity(f)
    found = F.find_patterns(X, 0.05, n_rows=len(X) - PAD, max_cells=150)   # 6 frames a cell
    assert pattern_with(found, [(100, 220), (600, 720)], tol=12) is not None


def test_a_repeat_up_to_the_last_window_ends_there_on_a_coarse_grid():
    # 403 windows in cells of 4 (a quarter beat of 0.0625-beat frames): the last cell holds 3
    # windows, and an occurrence that ends with it must not end past the last window (the
    # caller would place it after the recording).
    rng = np.random.default_rng(0)
    n = 403
    X = rng.random((n + PAD, n + PAD))
    X = (X + X.T) / 2
    for t in range(50):
        X[150 + t, n - 50 + t] = X[n - 50 + t, 150 + t] = 3.0
    found = F.find_patterns(X, 0.0625, n_rows=n)
    assert pattern_with(found, [(150, 200), (n - 50, n)], tol=8) is not None   # two cells
    assert max(s.max() for _, s in found) == n


def shipped(name):
    from complex_auto.config import load_config
    from complex_auto.data import input_shape
    from complex_auto.training import load_model

    cfg = load_config(ROOT / f"models/{name}/config_cqt.ini")
    model = load_model(cfg, int(np.prod(input_shape(cfg))),
                       ROOT / f"models/{name}/model_complex_auto_cqt.save", "cpu")
    return cfg, model


@pytest.fixture(scope="module")
def shipped_model():
    return shipped("cqt_jku")


@pytest.mark.parametrize("name, focus", [("cqt_jku", None), ("cqt_piano", 16),
                                         ("cqt_piano_n8", None)])
def test_a_transposed_repeat_is_a_stripe_through_the_model(name, focus):
    """A passage of a real recording, pitch-shifted 2 semitones and appended, is found, also
    through the centre of the windows alone (``convert.py --focus-frames``) and through the
    8-frame windows of the motif model."""
    import librosa

    from complex_auto.cqt import standardise_frames
    from complex_auto.features import encode_features

    cfg, model = shipped(name)
    sr = cfg["sr"]
    y, _ = librosa.load(ROOT / "data/jku/audio/sonata04-2-poly.mp3", sr=sr, offset=0.0,
                        duration=40.0)
    passage = y[int(4 * sr):int(14 * sr)]                 # 10 s
    shifted = librosa.effects.pitch_shift(passage, sr=sr, n_steps=2)
    audio = np.concatenate([y, shifted])
    C = np.abs(librosa.cqt(audio, sr=sr, hop_length=cfg["hop_length"], fmin=cfg["fmin"],
                           n_bins=cfg["n_bins"], bins_per_octave=cfg["bins_per_oct"]))
    spec = standardise_frames(C)
    amps = encode_features(model, spec, cfg["length_ngram"], focus=focus)[0]
    X = self_similarity(amps)
    fs = cfg["hop_length"] / sr
    h = fs * 120 / 60
    found = F.find_patterns(X, h, n_rows=len(X) - PAD)
    half = cfg["length_ngram"] // 2
    # rows are window starts: the music at [a + half, b + half) frames
    src = (round(4 / fs) - half, round(14 / fs) - half)
    dst = (round(40 / fs) - half, round(50 / fs) - half)
    hit = None
    for rank, (score, spans) in enumerate(found):
        a = [s for s in spans if s[0] < src[1] and s[1] > src[0]]
        b = [s for s in spans if s[0] < dst[1] and s[1] > dst[0]]
        if a and b and any(abs((sb[0] - sa[0]) - (dst[0] - src[0])) <= 8 for sa in a for sb in b):
            hit = rank
            break
    assert hit is not None and hit < 5, [s.tolist() for _, s in found[:5]]


# ---------------------------------------------------------------------------------------------
# the chance control


def assert_chance_by_piece_is_the_mean(chance, ref):
    """Per piece (bench/discovery.py prints it): the same draws, so the excerpt's one piece
    has the mean's scores."""
    mean, pieces = chance_scores("ex", seeds=(0, 1, 2), refdir=ref, by_piece=True)
    assert mean == chance and list(pieces) == ["sonata04-2-poly"]
    assert pieces["sonata04-2-poly"] == pytest.approx(chance)


def test_random_placement_keeps_counts_and_lengths():
    spans = [np.array([[0, 10], [50, 60], [80, 90]]), np.array([[5, 45], [100, 140]])]
    placed = random_placement(spans, 150, np.random.default_rng(0))
    assert [len(p) for p in placed] == [3, 2]
    for orig, p in zip(spans, placed):
        assert np.array_equal(p[:, 3] - p[:, 2], orig[:, 1] - orig[:, 0])
        assert (p[:, 2] >= 0).all() and (p[:, 3] <= 150).all()
    again = random_placement(spans, 150, np.random.default_rng(0))
    assert all(np.array_equal(a, b) for a, b in zip(placed, again))
    moved = random_placement(spans, 150, np.random.default_rng(1))
    assert not all(np.array_equal(a, b) for a, b in zip(placed, moved))


def test_random_placement_draws_every_start_that_fits_equally_often():
    # 4 frames in a piece of 10: starts 0..6, the last (ending with the piece) included
    draws = random_placement([np.array([[2, 6]] * 70_000)], 10, np.random.default_rng(0))[0]
    counts = np.bincount(draws[:, 2], minlength=7)
    assert len(counts) == 7 and draws[:, 3].max() == 10
    assert counts / len(draws) == pytest.approx(np.full(7, 1 / 7), abs=0.01)
    # a span longer than the piece is cut to it (a run's pattern of another recording's length)
    assert random_placement([np.array([[0, 30]])], 10, np.random.default_rng(0))[0].tolist() \
        == [[0, 10, 0, 10]]


def test_ceiling_draws_every_grid_start_that_fits_equally_often(monkeypatch):
    # Onsets at 0, 1/4 and 1/2 beat: 9 cells of 1/16 beat, 0..8. An occurrence of the first
    # two notes is 4 cells long (0 to 1/4 beat): it may start at cells 0..5, the last holding
    # the last note (cells 5..8), each equally often.
    import complex_auto.chance as chance
    from complex_auto.evaluation import SCORE_COLUMNS

    placed = []

    def recorded(spans, n_frames, rng):
        placed.append(random_placement(spans, n_frames, rng))
        return placed[-1]

    monkeypatch.setattr(chance, "random_placement", recorded)
    # the draws are what is measured here: no mir_eval over thousands of occurrences
    monkeypatch.setattr(chance, "evaluate_piece",
                        lambda ref, est: dict.fromkeys(SCORE_COLUMNS, 0.0))
    score = np.array([[0.0, 60.0], [0.25, 62.0], [0.5, 64.0]])
    ref = [[[(0.0, 60.0), (0.25, 62.0)]] * 3000]
    ceiling_scores(score, ref, seeds=(0, 1, 2))
    draws = np.vstack([p[0] for p in placed])
    assert len(draws) == 9000 and (draws[:, 3] - draws[:, 2] == 4).all()
    counts = np.bincount(draws[:, 2], minlength=6)
    assert len(counts) == 6 and draws[:, 3].max() == 9
    assert counts / len(draws) == pytest.approx(np.full(6, 1 / 6), abs=0.02)


def _line_score(beats, voices=1, seed=0):
    # a note on every beat in each voice, random pitches: (onset, pitch) rows
    rng = np.random.default_rng(seed)
    return np.array([(float(t), float(rng.integers(40 + 20 * v, 60 + 20 * v)))
                     for t in range(beats) for v in range(voices)])


def test_ceiling_of_exact_spans_is_perfect_and_above_its_chance():
    # A single voice: an annotated occurrence's span holds its notes and no others, so the
    # perfect finder scores 1; moved to random places, the same spans score far less.
    score = _line_score(200)
    ref = [[[tuple(score[t]) for t in range(s, s + 4)] for s in (10, 60, 130)],
           [[tuple(score[t]) for t in range(s, s + 8)] for s in (30, 150)]]
    top, chance = ceiling_scores(score, ref, seeds=(0, 1, 2))
    assert top["Est_F"] == pytest.approx(1.0) and top["ThreeLayer_F"] == pytest.approx(1.0)
    assert chance["Est_F"] < 0.8 and chance["ThreeLayer_F"] < 0.5
    # where the score's beats are counted from (an upbeat at -1, a movement's bar 100) does
    # not matter: the random spans are drawn over the score, from its first onset to its last
    for origin in (-1.0, 100.0):
        moved = score + [origin, 0.0]
        moved_ref = [[[(t + origin, p) for t, p in occ] for occ in pat] for pat in ref]
        assert ceiling_scores(moved, moved_ref, seeds=(0, 1, 2)) == (top, chance)


def test_ceiling_counts_every_note_a_span_covers():
    # A second voice the annotation leaves out halves what an exact span can score.
    score = _line_score(200, voices=2)
    melody = score[score[:, 1] < 60]
    ref = [[[tuple(melody[t]) for t in range(s, s + 4)] for s in (10, 60, 130)]]
    top, chance = ceiling_scores(score, ref, seeds=(0,))
    assert top["Est_F"] == pytest.approx(0.5)
    assert chance["Est_F"] <= top["Est_F"]
    # an annotation of the upper voice, mapped onto the melody (--notes melody) as a run would
    # be: the exact span is the annotation
    upper = score[score[:, 1] >= 60]
    ref = [[[tuple(upper[t]) for t in range(s, s + 4)] for s in (10, 60, 130)]]
    with_durations = np.column_stack([score, np.ones(len(score))])
    top, chance = ceiling_scores(with_durations, ref, seeds=(0,))
    assert top["Est_F"] == pytest.approx(0.5)
    top_m, chance_m = ceiling_scores(with_durations, ref, seeds=(0,), notes="melody")
    assert top_m["Est_F"] == pytest.approx(1.0) and top_m["ThreeLayer_F"] == pytest.approx(1.0)
    # the random spans are mapped onto the melody too: they hold no lower notes either
    assert chance["Est_F"] < chance_m["Est_F"] < top_m["Est_F"]


# ---------------------------------------------------------------------------------------------
# a run: the JKU excerpt end to end


@pytest.fixture(scope="module")
def excerpt_run(tmp_path_factory, shipped_model):
    """60 s of sonata04-2 converted with the shipped model; extraction with families."""
    import soundfile as sf

    from tests.conftest import excerpt

    tmp = tmp_path_factory.mktemp("families_run")
    wav = tmp / "sonata04-2-poly.wav"
    sf.write(wav, excerpt(ROOT / "data/jku/audio/sonata04-2-poly.mp3", 60.0), 22050)
    (tmp / "csv.txt").write_text(f"{ROOT / 'data/jku/csv/sonata04-2-poly.csv'}\n")
    convert(tmp, wav, "models/cqt_jku")
    return tmp


def convert(tmp, wav, model):
    """``convert.py ex`` on one recording in ``tmp``, with the model shipped in ``model``."""
    (tmp / "list.txt").write_text(f"{wav}\n")
    res = subprocess.run([sys.executable, str(ROOT / "convert.py"), "ex", "list.txt",
                          str(ROOT / model / "config_cqt.ini"), "--model",
                          str(ROOT / model / "model_complex_auto_cqt.save"),
                          "--self-sim-matrix", "-j", "1"], cwd=tmp,
                         env=child_env(clean=True, OMP_NUM_THREADS="1"),
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def extract(tmp, *options, method="families", csv="csv.txt"):
    scores = ["-csv", csv] if csv else []
    res = subprocess.run([sys.executable, str(ROOT / "extract_motives.py"), "ex", "--method",
                          method, *scores, "--no-report", *options], cwd=tmp,
                         env=child_env(clean=True),
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_a_silent_recording_holds_no_pattern(tmp_path):
    """20 s of digital silence through the shipped model: its windows are all alike, so no
    pair of them stands out, and ``families`` reports nothing (it reported patterns of
    silence while equal similarities took their highest quantile)."""
    import soundfile as sf

    sf.write(tmp_path / "silence.wav", np.zeros(20 * 22050, np.float32), 22050)
    convert(tmp_path, tmp_path / "silence.wav", "models/cqt_piano")
    extract(tmp_path, "--bpm", "60", csv=None)
    layout = RunLayout("ex", tmp_path / "output")
    assert layout.patterns_csv("silence").read_text().splitlines() == [
        "pattern,occurrence,start_s,end_s,score"]


def test_pipeline_on_a_jku_excerpt(excerpt_run, monkeypatch):
    from complex_auto.evaluation import evaluate_piece

    tmp = excerpt_run
    monkeypatch.chdir(tmp)
    layout = RunLayout("ex", Path("output"))
    ref = ROOT / "data/jku/groundtruth"
    # the original's mapping: the score's first onset at 0 s, though the recording opens
    # with 1.1 s of silence
    extract(tmp, "--audio-start", "0")
    unaligned = evaluate_piece(ref / "sonata04-2-poly.txt", layout.seg("sonata04-2-poly"))
    extract(tmp)
    info = json.loads(layout.extraction_info.read_text())
    assert info["method"] == "families" and info["frame_seconds"] == pytest.approx(1984 / 22050)
    assert 1.0 < info["pieces"][0]["audio_start"] < 1.2        # the recording's first sound
    rows = layout.patterns_csv("sonata04-2-poly").read_text().splitlines()
    assert rows[0] == "pattern,occurrence,start_s,end_s,score"
    scores = {}
    for r in rows[1:]:
        p, _, start, end, score = r.split(",")
        scores.setdefault(int(p), float(score))
        assert 0 <= float(start) < float(end) <= 61
    assert len(scores) >= 2
    assert list(scores.values()) == sorted(scores.values(), reverse=True)     # best first
    # the excerpt holds the theme and its repeat (bars 1-4 again from 8 s): found, and
    # better than the same patterns at random places
    assert layout.seg("sonata04-2-poly").is_file()
    real = evaluate_piece(ref / "sonata04-2-poly.txt", layout.seg("sonata04-2-poly"))
    chance = chance_scores("ex", seeds=(0, 1, 2), refdir=ref)
    assert real["Occ.75_F"] > chance["Occ.75_F"]
    assert_chance_by_piece_is_the_mean(chance, ref)
    # occurrences placed where the recording plays them match the annotations better
    assert real["Occ.75_F"] > unaligned["Occ.75_F"] and real["Occ.5_F"] > unaligned["Occ.5_F"]
    # the chance control maps its random spans the same way: past the end, nothing is left
    info["pieces"][0]["audio_start"] = 1000.0
    layout.extraction_info.write_text(json.dumps(info))
    assert chance_scores("ex", seeds=(0,), refdir=ref)["Est_F"] == 0.0


def test_chance_shares_split_establishment_recall_for_the_run_and_its_placements(excerpt_run,
                                                                                 monkeypatch):
    """``bench/chance.py RUN --shares``: the run's score column is its establishment recall,
    the chance column that of :func:`chance_scores`' own placements, and neither mean score
    exceeds its cover or its purity (each pattern's score is the smaller of the two)."""
    from complex_auto.chance import chance_patterns
    from complex_auto.evaluation import evaluate_piece

    from tests.conftest import run_cli

    monkeypatch.chdir(excerpt_run)
    extract(excerpt_run)
    ref = ROOT / "data/jku/groundtruth"
    res = run_cli("bench/chance.py", "ex", "--refdir", ref, "--seeds", "2", "--shares",
                  cwd=excerpt_run)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("piece"))
    assert lines[head].split()[1:] == ["run", "score", "run", "cover", "run", "purity",
                                       "chance", "score", "chance", "cover", "chance", "purity"]
    rows = {line.split()[0]: [float(v) for v in line.split()[1:]] for line in lines[head + 1:]}
    assert set(rows) == {"sonata04-2-poly", "mean"}
    run_score, run_cover, run_purity, rand_score, rand_cover, rand_purity = rows["mean"]
    real = evaluate_piece(ref / "sonata04-2-poly.txt", RunLayout("ex").seg("sonata04-2-poly"))
    assert run_score == pytest.approx(real["Est_R"], abs=5e-4)
    placed = [evaluate_piece(ref / "sonata04-2-poly.txt",
                             [[[tuple(n) for n in occ] for occ in pattern]
                              for pattern in seeds["sonata04-2-poly"]])["Est_R"]
              for seeds in chance_patterns("ex", seeds=(0, 1))]
    assert rand_score == pytest.approx(np.mean(placed), abs=5e-4)
    assert chance_scores("ex", seeds=(0, 1), refdir=ref)["Est_R"] == pytest.approx(
        np.mean(placed), abs=1e-12)
    # placements drawn once and handed over score as those drawn inside
    drawn = list(chance_patterns("ex", seeds=(0, 1)))
    assert (chance_scores("ex", refdir=ref, placements=drawn)
            == chance_scores("ex", seeds=(0, 1), refdir=ref))
    assert chance_scores("ex", refdir=ref, placements=drawn[:1]) != chance_scores(
        "ex", seeds=(0, 1), refdir=ref)
    for score, cover, purity in ((run_score, run_cover, run_purity),
                                 (rand_score, rand_cover, rand_purity)):
        assert 0 < score <= min(cover, purity) + 5e-4 and max(cover, purity) <= 1
    assert "chance: 2 placements, seeds 0-1" in lines
    # --first-seed: another draw of the control, the one of those seeds
    res = run_cli("bench/chance.py", "ex", "--refdir", ref, "--seeds", "1", "--first-seed", "1",
                  cwd=excerpt_run)
    lines = res.stdout.splitlines()
    measures = next(line.split() for line in lines if line.split()[:1] == ["Est_F"])
    chance = next(line.split()[1:] for line in lines if line.startswith("chance "))
    assert lines[-1] == "chance: 1 placement, seed 1"
    later = chance_scores("ex", seeds=(1,), refdir=ref)
    assert [float(v) for v in chance] == pytest.approx([later[c] for c in measures], abs=5e-4)
    assert later != chance_scores("ex", seeds=(0,), refdir=ref)


def test_the_excerpts_annotated_repeats_stand_out_of_random_pairs(excerpt_run, monkeypatch):
    from complex_auto.annotated import repeat_quantiles

    monkeypatch.chdir(excerpt_run)
    extract(excerpt_run)
    got = repeat_quantiles("ex", ROOT / "data/jku/groundtruth")
    patterns = got["sonata04-2-poly"]
    annotated = np.concatenate([p["annotated"] for p in patterns])
    rand = np.concatenate([p["random"] for p in patterns])
    # the theme and its repeat lie in the excerpt: the matrix marks them (median .89 when
    # written), random pairs of the same lengths are ordinary
    assert len(annotated) >= 10 and np.median(annotated) > 0.8
    assert 0.3 < np.median(rand) < 0.7


def test_audio_start_of_each_method(excerpt_run):
    tmp = excerpt_run
    starts = {}
    for method, *options in (("nf14",), ("nf14", "--audio-start", "first-sound"),
                             ("families", "--audio-start", "0.5")):
        extract(tmp, *options, method=method)
        info = json.loads((tmp / "output/ex/extraction.json").read_text())
        starts[(method, *options)] = info["pieces"][0]["audio_start"]
    assert starts[("nf14",)] == 0.0                        # the original's mapping
    assert 1.0 < starts[("nf14", "--audio-start", "first-sound")] < 1.2
    assert starts[("families", "--audio-start", "0.5")] == 0.5


def test_bad_method_and_nf14_only_options(excerpt_run):
    tmp = excerpt_run
    env = child_env(clean=True)
    res = subprocess.run([sys.executable, str(ROOT / "extract_motives.py"), "ex", "--method",
                          "nope"], cwd=tmp, env=env, capture_output=True, text=True)
    assert res.returncode == 2 and "invalid choice: 'nope'" in res.stderr
    res = subprocess.run([sys.executable, str(ROOT / "extract_motives.py"), "ex", "--method",
                          "families", "-spk"], cwd=tmp, env=env, capture_output=True, text=True)
    assert res.returncode == 1 and res.stderr.count("\n") == 1
    assert "nf14 search only" in res.stderr
    res = subprocess.run([sys.executable, str(ROOT / "extract_motives.py"), "ex",
                          "--audio-start", "soon"], cwd=tmp, env=env, capture_output=True,
                         text=True)
    assert res.returncode == 1 and res.stderr == ("error: --audio-start: must be 'auto', "
                                                  "'first-sound' or seconds (0 or more)\n")
    with pytest.raises(ParameterError, match="method must be one of"):
        extract_run("ex", method="bogus", root=tmp / "output")
    # the ranges extract_motives.py checked, checked for a call from Python too (a frame of
    # 1e-300 s overflowed the grids; a threshold above 1 was lowered for ever)
    for options, match in ((dict(frame_seconds=20.0), "--frame-seconds 20: must be from 0.001"),
                           (dict(frame_seconds=float("nan")), "--frame-seconds must be a fin"),
                           (dict(th=2.0), r"--th 2: must be at most 1"),
                           (dict(bpm=-1.0), "--bpm -1: must be positive beats per minute")):
        with pytest.raises(ParameterError, match=match):
            extract_run("ex", root=tmp / "output", **options)
    for options in (("--method", "nf14", "--occurrence-p", "0.005"),
                    ("--method", "families", "--occurrence-p", "2")):
        res = subprocess.run([sys.executable, str(ROOT / "extract_motives.py"), "ex", *options],
                             cwd=tmp, env=env, capture_output=True, text=True)
        assert res.returncode == 1 and res.stderr.count("\n") == 1, res.stderr
        assert "--occurrence-p" in res.stderr
    # (--max-beats inf is argparse's to refuse: test_flags, every float option)
    for options in (("--method", "nf14", "--max-beats", "8"),
                    ("--method", "families", "--max-beats", "1")):
        res = subprocess.run([sys.executable, str(ROOT / "extract_motives.py"), "ex", *options],
                             cwd=tmp, env=env, capture_output=True, text=True)
        assert res.returncode == 1 and res.stderr.count("\n") == 1, res.stderr
        assert "--max-beats" in res.stderr
    for options, message in ((("--bpm", "-3"), "error: --bpm -3: must be positive beats per "
                                               "minute\n"),
                             (("--shard", "3/2"), "error: argument --shard: expected K/N with "
                                                  "1 <= K <= N (e.g. 3/8)\n"),
                             (("--refdir", "no_such"), "error: --refdir no_such: folder does "
                                                       "not exist\n"),
                             (("--refdir", "output/ex/conversion.json"),
                              "error: --refdir output/ex/conversion.json: a file, not a "
                              "folder\n")):
        res = subprocess.run([sys.executable, str(ROOT / "extract_motives.py"), "ex", *options],
                             cwd=tmp, env=env, capture_output=True, text=True)
        assert res.returncode in (1, 2) and res.stderr.endswith(message), res.stderr
        assert "Traceback" not in res.stderr


def test_max_beats_is_recorded_and_bounds_every_pattern(excerpt_run, monkeypatch):
    import csv

    tmp = excerpt_run
    monkeypatch.chdir(tmp)
    layout = RunLayout("ex", tmp / "output")
    def longest():
        with open(layout.patterns_csv("sonata04-2-poly")) as fh:
            return max(float(r["end_s"]) - float(r["start_s"]) for r in csv.DictReader(fh))

    extract(tmp, "--max-beats", "4")
    assert json.loads(layout.extraction_info.read_text())["max_beats"] == 4.0
    # sonata04-2 at 120 bpm: 4 beats are 2 s
    assert longest() <= 2.0
    extract(tmp)
    assert "max_beats" not in json.loads(layout.extraction_info.read_text())
    assert longest() > 3.0


def test_occurrence_p_is_recorded_and_thins_the_occurrences(excerpt_run, monkeypatch):
    tmp = excerpt_run
    monkeypatch.chdir(tmp)
    layout = RunLayout("ex", tmp / "output")

    def occurrences():
        rows = layout.patterns_csv("sonata04-2-poly").read_text().splitlines()[1:]
        return len(rows)

    extract(tmp)
    plain = occurrences()
    extract(tmp, "--occurrence-p", "0.005")
    info = json.loads(layout.extraction_info.read_text())
    assert info["occurrence_p"] == 0.005
    assert 2 <= occurrences() < plain
    # the theme and its repeat are still found, better than at random places
    from complex_auto.evaluation import evaluate_piece

    ref = ROOT / "data/jku/groundtruth"
    real = evaluate_piece(ref / "sonata04-2-poly.txt", layout.seg("sonata04-2-poly"))
    chance = chance_scores("ex", seeds=(0, 1, 2), refdir=ref)
    assert real["Occ.75_F"] > chance["Occ.75_F"]
    assert_chance_by_piece_is_the_mean(chance, ref)


def every_note_then(tmp, notes):
    """The excerpt run extracted with every note, then with ``--notes NOTES`` (recorded in
    extraction.json): its layout, the patterns and chance control with every note, and the
    patterns with ``NOTES``."""
    from complex_auto.evaluation import load_patterns

    layout = RunLayout("ex", tmp / "output")
    extract(tmp)
    every = load_patterns(layout.seg("sonata04-2-poly"))
    chance_every = chance_scores("ex", seeds=(0, 1, 2), refdir=ROOT / "data/jku/groundtruth")
    extract(tmp, "--notes", notes)
    assert json.loads(layout.extraction_info.read_text())["notes"] == notes
    return layout, every, chance_every, load_patterns(layout.seg("sonata04-2-poly"))


def test_recurring_notes_are_recorded_and_the_chance_control_maps_as_the_run(excerpt_run,
                                                                             monkeypatch):
    from complex_auto.evaluation import evaluate_piece

    tmp = excerpt_run
    monkeypatch.chdir(tmp)
    ref = ROOT / "data/jku/groundtruth"
    layout, every, chance_every, recurring = every_note_then(tmp, "recurring")
    # the same patterns and occurrences, each a subset of its span's notes, some thinned
    assert [len(p) for p in recurring] == [len(p) for p in every]
    assert all(set(r) <= set(e) for p, q in zip(every, recurring) for e, r in zip(p, q))
    assert sum(map(len, sum(recurring, []))) < sum(map(len, sum(every, [])))
    # random spans keep fewer of their notes than the found repeats do: the chance control,
    # mapped the same way, falls, and the run stays far above it
    real = evaluate_piece(ref / "sonata04-2-poly.txt", layout.seg("sonata04-2-poly"))
    chance = chance_scores("ex", seeds=(0, 1, 2), refdir=ref)
    assert chance["Est_F"] < chance_every["Est_F"] - 0.1
    assert real["Est_F"] > chance["Est_F"] + 0.1 and real["Occ.75_F"] > chance["Occ.75_F"]
    extract(tmp)
    assert "notes" not in json.loads(layout.extraction_info.read_text())
    env = child_env(clean=True)
    res = subprocess.run([sys.executable, str(ROOT / "extract_motives.py"), "ex", "--notes",
                          "all"], cwd=tmp, env=env, capture_output=True, text=True)
    assert res.returncode == 2 and "invalid choice: 'all'" in res.stderr
    with pytest.raises(ParameterError, match="--notes all: must be one of span, recurring, melody$"):
        extract_run("ex", notes="all", root=tmp / "output")
    # without a csv score there are no notes to choose: it ran without a word
    for csv, warned in (("csv.txt", False), ("none", True)):
        res = subprocess.run([sys.executable, str(ROOT / "extract_motives.py"), "ex",
                              "--method", "families", "--notes", "recurring", "-csv", csv,
                              "--no-report"], cwd=tmp, env=env, capture_output=True, text=True)
        assert res.returncode == 0, res.stderr
        assert ("--notes recurring: no piece has a csv score" in res.stderr) == warned


def test_melody_notes_are_the_skyline_of_each_span_and_the_chance_control_maps_them(
        excerpt_run, monkeypatch):
    from complex_auto.jku import read_score_csv
    from complex_auto.melody import skyline

    tmp = excerpt_run
    monkeypatch.chdir(tmp)
    ref = ROOT / "data/jku/groundtruth"
    layout, every, chance_every, melody = every_note_then(tmp, "melody")
    score = read_score_csv(ROOT / "data/jku/csv/sonata04-2-poly.csv", durations=True)
    top = set(map(tuple, score[skyline(score), :2]))
    # the same patterns and occurrences, each the notes of its span that are the melody
    assert [len(p) for p in melody] == [len(p) for p in every]
    assert all(set(m) == set(e) & top for p, q in zip(every, melody) for e, m in zip(p, q))
    assert sum(map(len, sum(melody, []))) < 0.8 * sum(map(len, sum(every, [])))
    # the chance control reads the run's option and maps its random spans onto the melody,
    # which a polyphonic annotation shares less of than it shares of whole spans
    chance = chance_scores("ex", seeds=(0, 1, 2), refdir=ref)
    assert chance["Est_F"] < chance_every["Est_F"] - 0.1
    # a score without durations is refused before any search, naming the line
    bad = tmp / "nodur.csv"
    bad.write_text("-1.0, 74\n")
    (tmp / "csv_nodur.txt").write_text(f"{bad}\n")
    res = subprocess.run([sys.executable, str(ROOT / "extract_motives.py"), "ex", "--method",
                          "families", "-csv", "csv_nodur.txt", "--notes", "melody",
                          "--no-report"], cwd=tmp, env=child_env(clean=True),
                         capture_output=True, text=True)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert "nodur.csv, line 1" in res.stderr and "duration_in_beats" in res.stderr


@pytest.mark.parametrize("option", ["occurrence_p", "max_beats", "notes"])
def test_an_option_given_last_time_and_not_now_redoes_every_piece(tmp_path, option):
    """The outputs of a run with an option are not those of a run without it: a later run
    without the option must not skip the pieces (it once did, and kept the old files under
    an extraction.json that no longer named the option). The record read is the piece's own,
    written after its outputs."""
    from complex_auto.patterns import _pieces_to_do, _stamp

    layout = RunLayout("r", tmp_path).make()
    matrix = layout.dir / "a.npy"
    np.save(matrix, np.zeros((2, 2)))
    for path in (layout.segraw("a"), layout.patterns_csv("a")):
        path.write_text("x\n")
    piece = {"piece": "a", "bpm": 120.0, "csv": None, "matrix": str(matrix)}
    plain = {"method": "families", "pieces": [piece]}
    with_option = dict(plain, **{option: 8.0})
    for before, now, redone in ((plain, plain, 0), (with_option, with_option, 0),
                                (with_option, plain, 1), (plain, with_option, 1)):
        layout.extraction_record("a").parent.mkdir(exist_ok=True)
        layout.extraction_record("a").write_text(json.dumps(_stamp(before, piece)))
        assert len(_pieces_to_do(layout, [piece], now, None, False, False)) == redone


def test_a_run_of_an_earlier_version_of_the_search_is_redone(excerpt_run, monkeypatch):
    monkeypatch.chdir(excerpt_run)
    layout = RunLayout("ex", Path("output"))
    extract(excerpt_run)
    info = json.loads(layout.extraction_info.read_text())
    assert info["families_version"] == F.VERSION
    csv_file = layout.patterns_csv("sonata04-2-poly")
    csv_file.write_text("pattern,occurrence,start_s,end_s,score\n")   # as an older search left it
    extract(excerpt_run)                                                # same version: kept
    assert csv_file.read_text().count("\n") == 1
    stamp = layout.extraction_record("sonata04-2-poly")
    stamp.write_text(json.dumps({k: v for k, v in json.loads(stamp.read_text()).items()
                                 if k != "families_version"}))
    extract(excerpt_run)                                                # older version: redone
    assert csv_file.read_text().count("\n") > 2


def test_chance_control_needs_an_extracted_run(tmp_path):
    with pytest.raises(DataError, match="extraction.json: missing"):
        chance_scores("nothing", root=tmp_path)


def test_the_chance_control_names_a_matrix_it_cannot_read(tmp_path):
    """It opened the run's matrices unchecked: a file gone or overwritten since the
    extraction ended in a traceback."""
    from complex_auto.patterns import write_segraw

    layout = RunLayout("r", tmp_path).make()
    matrix = layout.dir / "p.wav.npy"
    matrix.write_text("not a matrix")
    layout.extraction_info.write_text(json.dumps({"method": "families", "window": 32, "pad": 9,
                                                  "pieces": [{"piece": "p", "csv": "p.csv",
                                                              "matrix": str(matrix)}]}))
    write_segraw(layout.segraw("p"), [np.array([[0, 4, 10, 14]])])
    with pytest.raises(DataError, match=r"p.wav.npy: cannot read matrix \(not a NumPy"):
        chance_scores("r", root=tmp_path)
    matrix.unlink()
    with pytest.raises(DataError, match="p.wav.npy: self-similarity matrix does not exist"):
        chance_scores("r", root=tmp_path)


def test_a_family_becomes_rows_of_its_first_span_against_each_occurrence():
    # the layout of nf14's groups, which the writers and the picture read: the picture draws
    # row k from (first span, occurrence k), so the first span must be the candidate's
    from complex_auto.patterns import families_to_patterns

    found = [(2.5, np.array([[10, 20], [40, 50], [70, 80]])), (1.0, np.array([[5, 9], [30, 34]]))]
    rows = families_to_patterns(found)
    assert [r.tolist() for r in rows] == [
        [[10, 20, 10, 20], [10, 20, 40, 50], [10, 20, 70, 80]], [[5, 9, 5, 9], [5, 9, 30, 34]]]
    assert all(r.dtype == np.int64 for r in rows)


def test_every_selected_family_is_a_candidate():
    f = features_with_repeats(600, [(50, 263, 48), (50, 471, 48), (400, 120, 20)], seed=4)
    chosen = find(f)
    X = self_similarity(f)
    every = F.find_patterns(X, 0.25, n_rows=len(X) - PAD, select=False)
    assert len(every) > len(chosen) >= 2
    assert [s for s, _ in every] == sorted((s for s, _ in every), reverse=True)
    spans = {tuple(sorted(map(tuple, occ.tolist()))) for _, occ in every}
    assert all(tuple(map(tuple, occ.tolist())) in spans for _, occ in chosen)


def test_candidates_bound_the_runs_establishment_recall(excerpt_run, monkeypatch):
    """bench/discovery.py --candidates: any choice among the candidates, the run's included,
    recalls at most what all of them do."""
    sys.path.insert(0, str(ROOT / "bench"))
    from discovery import candidate_bound, lost_patterns

    from complex_auto.evaluation import establishment_matrix, evaluate_piece, load_patterns

    monkeypatch.chdir(excerpt_run)
    extract(excerpt_run)
    ref = ROOT / "data/jku/groundtruth"
    run = evaluate_piece(ref / "sonata04-2-poly.txt", Path("output/ex/sonata04-2-poly.seg"))
    bound, n = candidate_bound("ex", ref, root=Path("output"))["sonata04-2-poly"]
    n_run = len({line.split(",")[0] for line in
                 Path("output/ex/sonata04-2-poly.patterns.csv").read_text().splitlines()[1:]})
    assert n > n_run
    assert run["Est_R"] - 1e-9 <= bound <= 1.0
    # the annotated patterns a candidate matches better than the run: each by the gap or
    # more, its run score the run's own establishment recall of it, and a reason
    S = establishment_matrix(load_patterns(ref / "sonata04-2-poly.txt"),
                             load_patterns(Path("output/ex/sonata04-2-poly.seg")))
    lost = lost_patterns("ex", ref, root=Path("output"), gap=0.0)
    assert [i for _, i, *_ in lost] == list(range(1, len(S) + 1))
    for piece, i, best, cand, beats, occ, reason in lost:
        assert piece == "sonata04-2-poly" and cand >= best
        assert best == pytest.approx(S[i - 1].max())
        assert beats >= 2.0 and occ >= 2
        assert reason.startswith(("same spans as pattern", "holds the spans of pattern",
                                  "inside pattern", "no rule"))
        if not reason.startswith("no rule"):
            assert 1 <= int(reason.split()[-1]) <= n_run
    assert all(cand - best >= 0.2 for _, _, best, cand, *_ in
               lost_patterns("ex", ref, root=Path("output"), gap=0.2))
    extract(excerpt_run, method="nf14")
    with pytest.raises(DataError, match="not a families run"):
        candidate_bound("ex", ref, root=Path("output"))


def test_snap_spans_moves_an_overlapping_occurrence_onto_the_annotated_one():
    """bench/discovery.py --best-subset, boundaries picked with the answers: an occurrence
    overlapping an annotated one by IoU >= .5 takes its span (first onset to just past the
    last), one that overlaps less stays, and nf14's spans become whole beats."""
    sys.path.insert(0, str(ROOT / "bench"))
    from discovery import snap_spans

    h, offset, shift = 0.5, 1.0, 4.0             # frame f at beat (f + 4)·0.5 + 1
    spans = [np.array([[0, 8], [20, 28]]), np.array([[40, 44], [60, 64]])]
    # beats: [3, 7), [13, 17) | [23, 25), [33, 35)
    annotated = [(4.0, 7.0), (13.5, 16.5), (23.0, 30.0)]
    snapped, moved = snap_spans(spans, annotated, h, offset, shift)
    assert moved == 2                             # [3, 7) → IoU .75; [13, 17) → .75; [23, 25) → .29
    beats = [(o + shift) * h + offset for o in snapped]
    np.testing.assert_allclose(beats[0], [[4.0, 7 + 1 / 64], [13.5, 16.5 + 1 / 64]])
    np.testing.assert_allclose(beats[1], [[23.0, 25.0], [33.0, 35.0]])
    # nf14: no shift, whole beats; [4.5, 8.5) against [4.5, 7.25] is .69, [1, 5) .17
    snapped, moved = snap_spans([np.array([[7, 15], [0, 8]])], [(4.5, 7.25)], h, offset, None)
    assert moved == 1
    np.testing.assert_allclose(snapped[0] * h + offset, [[4.0, 8.0], [1.0, 5.0]])
    assert snap_spans(spans, [], h, offset, shift)[1] == 0
    assert snap_spans(spans, annotated, h, offset, shift, iou=1.0)[1] == 0


@pytest.mark.parametrize("method", ["families", "nf14"])
def test_boundary_bound_maps_spans_as_the_run_did_and_never_scores_below_it(
        excerpt_run, monkeypatch, method):
    sys.path.insert(0, str(ROOT / "bench"))
    from discovery import SHOWN, boundary_bound, snap_spans

    from complex_auto.evaluation import evaluate_piece, load_patterns
    from complex_auto.patterns import patterns_to_notes, piece_timing, read_segraw

    monkeypatch.chdir(excerpt_run)
    extract(excerpt_run, method=method)
    layout = RunLayout("ex", Path("output"))
    info = read_extraction(layout)
    piece = info["pieces"][0]
    score, offset, h = piece_timing(info, piece)
    shift = info["window"] / 2.0 if method == "families" else None
    spans = read_segraw(layout.segraw("sonata04-2-poly"))
    # unmoved spans give back the run's own notes: the bound changes where they lie, nothing else
    same, moved = snap_spans(spans, [], h, offset, shift)
    notes = patterns_to_notes([np.hstack([o, o]) for o in same], score, h, offset, shift)
    assert moved == 0
    assert [[list(map(tuple, o)) for o in p] for p in notes] == [
        [[tuple(n) for n in o] for o in p] for p in load_patterns(layout.seg("sonata04-2-poly"))]
    ref = ROOT / "data/jku/groundtruth"
    run = evaluate_piece(ref / "sonata04-2-poly.txt", layout.seg("sonata04-2-poly"))
    placed, share = boundary_bound("ex", ref, root=Path("output"))
    assert 0 < share <= 1
    assert all(placed[m] >= run[m] - 1e-12 for m in SHOWN)
    assert any(placed[m] > run[m] for m in SHOWN)


@pytest.mark.parametrize("method", ["families", "nf14"])
def test_chance_control_placed_where_the_run_placed_gives_back_the_runs_notes(
        excerpt_run, monkeypatch, method):
    """The control differs from the run only in where its spans lie: put where the run put
    them, they are the run's own notes (the window's centre for families, the start for
    nf14, the run's audio start), and they are drawn over the piece's windows, not its
    padding rows."""
    from complex_auto import chance
    from complex_auto.evaluation import load_patterns

    monkeypatch.chdir(excerpt_run)
    extract(excerpt_run, method=method)
    layout = RunLayout("ex", Path("output"))
    frames = []

    def in_place(spans, n_frames, rng):
        frames.append(n_frames)
        return [np.hstack([o, o]).astype(np.int64) for o in spans]

    monkeypatch.setattr(chance, "random_placement", in_place)
    (placed,) = chance.chance_patterns("ex", seeds=(0,))
    assert [[list(map(tuple, o)) for o in p] for p in placed["sonata04-2-poly"]] == [
        [[tuple(n) for n in o] for o in p] for p in load_patterns(layout.seg("sonata04-2-poly"))]
    matrix = np.load(layout.matrix("sonata04-2-poly.wav"), mmap_mode="r")
    assert frames == [len(matrix) - PAD]


@pytest.mark.parametrize("method", ["families", "nf14"])
def test_the_pictures_annotated_bars_are_placed_as_the_runs_spans(excerpt_run, monkeypatch,
                                                                  method):
    """A bar of the picture is an annotated occurrence in the frames of the matrix: mapped
    back as the run maps its own spans onto the score (half a window later for families),
    it starts on the occurrence's first onset."""
    from complex_auto import patterns as pat
    from complex_auto.evaluation import load_patterns
    from complex_auto.jku import occurrence_onsets

    drawn = {}
    monkeypatch.setattr(pat, "plot_patterns",
                        lambda path, X, found, title="", reference_spans=None, **kw:
                        drawn.setdefault("bars", reference_spans))
    monkeypatch.chdir(excerpt_run)
    ref = ROOT / "data/jku/groundtruth"
    pat.extract_run("ex", csv_list="csv.txt", method=method, refdir=ref, root=Path("output"))
    info = read_extraction(RunLayout("ex", Path("output")))
    _, offset, h = pat.piece_timing(info, info["pieces"][0])
    shift = info["window"] / 2.0 if method == "families" else 0.0
    annotated = load_patterns(ref / "sonata04-2-poly.txt")
    assert [len(p) for p in drawn["bars"]] == [len(p) for p in annotated]
    for bars, pattern in zip(drawn["bars"], annotated):
        for (start, end), occ in zip(bars, pattern):
            first, last = occurrence_onsets(occ)
            assert (start + shift) * h + offset == pytest.approx(first)
            assert (end + shift) * h + offset == pytest.approx(last)


def test_the_pictures_mark_the_ground_truth_the_report_keeps(excerpt_run, tmp_path,
                                                            monkeypatch):
    """After extract_motives_eval.py --refdir DIR, extract_motives.py without --refdir drew
    the JKU ground truth on the pictures while the report showed DIR's."""
    import shutil

    from complex_auto import patterns as pat
    from tests.conftest import run_script

    run = tmp_path / "run"
    shutil.copytree(excerpt_run, run)
    drawn = []
    monkeypatch.setattr(pat, "plot_patterns",
                        lambda path, X, found, title="", reference_spans=None, **kw:
                        drawn.append(reference_spans))
    monkeypatch.chdir(run)
    args = ("extract_motives.py", "ex", "-csv", "csv.txt", "--method", "families",
            "--no-report", "--overwrite")
    report = run / "output" / "ex" / "report"
    report.mkdir(parents=True)
    empty = tmp_path / "truth"                        # a ground truth without this piece
    empty.mkdir()
    for refdir, marked in ((ROOT / "data/jku/groundtruth", True), (empty, False)):
        (report / "report.json").write_text(json.dumps({"refdir": str(refdir)}))
        assert run_script(*args)[0] == 0
        assert bool(drawn[-1]) == marked
