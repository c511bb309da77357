"""The compiled pass of the segment search (see :func:`complex_auto.nf14.find_segments`).

Kept apart from ``nf14.py`` so that numba's on-disk cache (``cache=True``, in
``__pycache__``), which is invalidated whenever its source file changes, survives edits of the
rest of the extractor: the compilation is paid once per installation, not once per edit.
"""
import numba
import numpy as np

#: A segment's score is the weighted mean of at most this many last diagonal values.
SCORE_WINDOW = 10
#: A found segment erases the diagonals ``-ERASE_BAND..ERASE_BAND`` of its block.
ERASE_BAND = 3


@numba.njit(cache=True, nogil=True)
def diagonal_score(X, i, j, M):
    # Weighted mean of the last w = min(M, 10) values of the diagonal of length M from (i, j);
    # weights 1..w, the last value weighing most. Summed in this exact order so that the
    # result is bit-identical to the oracle in tests/segment_oracle.py.
    w = M if M < SCORE_WINDOW else SCORE_WINDOW
    total = 0.0
    for k in range(1, w + 1):
        t = M - w + k - 1
        total += k * X[i + t, j + t]
    return total / (w * (w + 1) // 2)


@numba.njit(cache=True, nogil=True)
def search_pass(X, min_dur, th):
    """One pass of the search at threshold ``th``; erases finds in ``X`` in place."""
    N = X.shape[0]
    out = np.empty((16, 4), np.int64)
    n = 0
    skip_low = th >= 0.0
    for i in range(N - min_dur):
        for j in range(i + 1, N - min_dur):
            # Shortcut, same result: the score at M = 1 is X[i, j] itself; at or below th the
            # growth stops at M = 1, whose segment score 0 is kept only when th < 0.
            if skip_low and X[i, j] <= th:
                continue
            M = 1
            prev = 0.0          # the score at M - 1
            while i + M < N and j + M < N:
                s = diagonal_score(X, i, j, M)
                if s <= th:
                    break
                prev = s
                M += 1
            seg_score = 0.0 if (M < min_dur or M == 1) else prev
            if seg_score > th:
                if n == out.shape[0]:
                    bigger = np.empty((2 * n, 4), np.int64)
                    bigger[:n] = out
                    out = bigger
                out[n, 0] = i
                out[n, 1] = i + M
                out[n, 2] = j
                out[n, 3] = j + M
                n += 1
                # Erase the find and its close neighbours, so that later starts on the same
                # stripe do not report it again; later scores see the zeros.
                for k in range(-ERASE_BAND, ERASE_BAND + 1):
                    for r in range(M):
                        c = r + k
                        if 0 <= c < M:
                            X[i + r, j + c] = 0.0
    return out[:n].copy()
