"""A direct, slow, obviously faithful segment search: the oracle for the fast one.

Written line by line from DESIGN.md §8, step 2, with nothing clever: plain Python loops over
Python floats (IEEE doubles, the same arithmetic as float64), every score recomputed from scratch,
the block zeroed cell by cell. ``complex_auto.nf14.find_segments`` must return exactly what
this returns.
"""
import numpy as np


def weighted_score(X, i, j, M):
    """Weighted mean of the last ``min(M, 10)`` values of the diagonal from ``(i, j)``, length M.

    The last value weighs ``min(M, 10)``, the one before one less, ..., the first of them 1.
    """
    w = min(M, 10)
    total = 0.0
    weight_sum = 0
    for k in range(1, w + 1):
        t = M - w + k - 1           # diagonal position, from M - w up to M - 1
        total = total + k * X[i + t][j + t]
        weight_sum = weight_sum + k
    return total / weight_sum


def search_once(X, min_dur, th):
    """One pass of the search at threshold ``th``; zeroes ``X`` (a list of lists) in place."""
    N = len(X)
    segments = []
    for i in range(0, N - min_dur):
        for j in range(i + 1, N - min_dur):
            M = 1
            score = None
            while i + M < N and j + M < N:
                score = weighted_score(X, i, j, M)
                if score <= th:
                    break
                M += 1
            if M < min_dur or M == 1:
                segment_score = 0
            else:
                segment_score = weighted_score(X, i, j, M - 1)
            if segment_score > th:
                segments.append([i, i + M, j, j + M])
                for k in range(-3, 4):          # diagonals -3..3 of the block
                    for r in range(M):
                        c = r + k
                        if 0 <= c < M:
                            X[i + r][j + c] = 0.0
    return segments


def oracle_find_segments(X, min_dur, th, rho=2, step=0.001):
    """The whole search of DESIGN.md §8 step 2, with the lowering of the threshold.

    Parameters
    ----------
    X : np.ndarray, shape (N, N)
        Already median-subtracted; not modified (the search works on a copy).
    min_dur : int
    th : float
    rho : int
        Ignored, as in the reference (only the main diagonal of its score counts).

    Returns
    -------
    segments : list of [i, i + M, j, j + M]
    th : float
        The threshold at which segments were found.
    """
    Xl = np.asarray(X, dtype=np.float64).tolist()
    N = len(Xl)
    if N - min_dur < 2:
        return [], th
    while True:
        segments = search_once(Xl, min_dur, th)
        if segments:
            return segments, th
        th = th - step


# ---------------------------------------------------------------------------------------------
# Real matrices without a trained model, for the tests and bench/segment_search.py.

RAW_CQT = dict(sr=22050, n_bins=120, bins_per_oct=24, fmin=65.4, hop_length=1984)
NGRAM = 32


def raw_cqt_matrix(audio_path, crop=None):
    """Self-similarity matrix of raw CQT n-grams (no model): windows of 32 frames, step 1.

    Same recipe as ``convert.py --self-sim-matrix`` with the flattened CQT windows standing in
    for the amplitudes. ``crop`` keeps only the first ``crop`` windows.
    """
    from complex_auto.cqt import file_cqt
    from complex_auto.selfsim import self_similarity

    C = file_cqt(audio_path, RAW_CQT)
    windows = np.lib.stride_tricks.sliding_window_view(C, NGRAM, axis=1)  # bins, n, 32
    windows = windows.transpose(1, 0, 2).reshape(windows.shape[1], -1)
    if crop is not None:
        windows = windows[:crop]
    return self_similarity(windows)
