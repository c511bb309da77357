"""The ``nf14`` segment search over a matrix file too big for memory, with the same result.

:func:`complex_auto.nf14.find_segments` holds the median-subtracted matrix in float64 and
erases each find in place. Here the matrix stays on disk: a window of rows (median-subtracted,
float64) moves down the file as the search's row ``i`` does. The search at row ``i`` reads rows
``i .. i + M`` along a diagonal and erases a band of the block it finds; every value read is
either in the window, or, for the rare diagonal that grows past it, read from the file (with
``pread``, so that no page of the file counts as this process's memory) and checked against
the finds whose erased band reaches beyond the window (kept in a short list and applied to
rows as they enter the window). Values, order of work and
arithmetic are those of the in-memory search, so the segments are identical
(``tests/test_scale.py`` checks it against :func:`~complex_auto.nf14.find_segments`).

The median is found exactly in two or three passes over the file: a histogram of the values'
bit patterns (ordered like the values) narrows down the bin holding the middle, whose values
are then sorted.
"""
import logging
import os

import numba
import numpy as np

from ._segment_kernel import ERASE_BAND, SCORE_WINDOW
from .errors import DataError
from .half import as_float
from .memory import _pread, read_rows

log = logging.getLogger(__name__)

#: Largest window of rows (float64), in bytes; less when memory is short.
WINDOW_BYTES = 512 * 2 ** 20
#: Values sorted in memory once the median's bin holds no more than this many.
MEDIAN_SORT = 2 ** 20
#: Bytes of the matrix read at a time by the median's passes.
READ_BYTES = 2 ** 22


def _row_blocks(X, rows_bytes=READ_BYTES):
    step = max(1, rows_bytes // max(1, X.shape[1] * X.dtype.itemsize))
    for a in range(0, len(X), step):
        yield read_rows(X, a, min(a + step, len(X)))


def _sort_keys(values):
    """Unsigned integers ordered as the float ``values`` are (IEEE bit patterns, sign fixed)."""
    bits = values.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[values.dtype.itemsize])
    top = bits.dtype.type(1) << bits.dtype.type(8 * bits.dtype.itemsize - 1)
    return np.where(bits & top, ~bits, bits | top)


def exact_median(X):
    """``np.median(X)`` in float64 of a (memory-mapped) matrix, in bounded memory.

    Parameters
    ----------
    X : np.ndarray or np.memmap, float16, float32 or float64

    Returns
    -------
    float
        The mean of the two middle values (even count) or the middle one, as ``np.median``.
    """
    total = X.size
    targets = [(total - 1) // 2, total // 2]
    bits = 8 * X.dtype.itemsize
    lo, hi, below = 0, 1 << bits, 0        # keys in [lo, hi); `below` values have smaller keys
    while True:
        shift = max(0, (hi - lo - 1).bit_length() - 20)
        counts = np.zeros(((hi - lo - 1) >> shift) + 1, np.int64)
        for block in _row_blocks(X):
            keys = _sort_keys(block.ravel())
            if (lo, hi) != (0, 1 << bits):
                keys = keys[(keys >= lo) & (keys <= hi - 1)]
            counts += np.bincount(((keys - keys.dtype.type(lo)) >> keys.dtype.type(shift))
                                  .astype(np.int64), minlength=len(counts))[:len(counts)]
        cum = below + np.cumsum(counts)
        first, last = (int(np.searchsorted(cum, t, side="right")) for t in targets)
        new_below = below + int(cum[first - 1] - below if first else 0)
        lo, hi = lo + (first << shift), min(hi, lo + ((last + 1) << shift))
        below = new_below
        if int(cum[last] - (cum[first - 1] if first else below)) <= MEDIAN_SORT or shift == 0:
            break
    kept = []
    for block in _row_blocks(X):
        v = block.ravel()
        keys = _sort_keys(v)
        kept.append(v[(keys >= lo) & (keys <= hi - 1)].astype(np.float64))
    kept = np.sort(np.concatenate(kept))
    middle = kept[[t - below for t in targets]]
    return float(np.mean(middle))


# Values past the window are read with pread(2), not through the memory map: every page touched
# through a map counts as resident memory, and a diagonal that runs on for thousands of rows
# touches a page per row.


@numba.njit(cache=True, nogil=True)
def _half_to_double(h):
    # IEEE 754 binary16 bits -> float64 (numba has no float16 on the CPU).
    e, m = (h >> 10) & 0x1F, h & 0x3FF
    if e == 0:
        v = m * 2.0 ** -24
    elif e == 31:
        v = np.inf if m == 0 else np.nan
    else:
        v = (1.0 + m / 1024.0) * 2.0 ** (e - 15)
    return -v if h >> 15 else v


@numba.njit(nogil=True)      # not cached: calls pread through a ctypes pointer
def _file_value(src, a, b):
    # src = (fd, data offset, row length, item size, 1-element uint16, float32, float64 buffers)
    fd, offset, n, size, s16, s32, s64 = src
    if size == 8:
        _pread(fd, s64.ctypes.data, 8, offset + (a * n + b) * 8)
        return s64[0]
    if size == 4:
        _pread(fd, s32.ctypes.data, 4, offset + (a * n + b) * 4)
        return np.float64(s32[0])
    _pread(fd, s16.ctypes.data, 2, offset + (a * n + b) * 2)
    return _half_to_double(np.int64(s16[0]))


@numba.njit(nogil=True)
def _value(win, base, n_win, src, med, far, n_far, a, b):
    # The working value of cell (a, b): in the window, or from the file unless a find erased it.
    if a < base + n_win:
        return win[a - base, b]
    for s in range(n_far):
        r = a - far[s, 0]
        c = b - far[s, 2]
        if 0 <= r < far[s, 1] and 0 <= c < far[s, 1] and abs(r - c) <= ERASE_BAND:
            return 0.0
    return _file_value(src, a, b) - med


@numba.njit(nogil=True)
def _score(win, base, n_win, src, med, far, n_far, i, j, M):
    # As _segment_kernel.diagonal_score, value by value in the same order.
    w = M if M < SCORE_WINDOW else SCORE_WINDOW
    total = 0.0
    for k in range(1, w + 1):
        t = M - w + k - 1
        total += k * _value(win, base, n_win, src, med, far, n_far, i + t, j + t)
    return total / (w * (w + 1) // 2)


@numba.njit(nogil=True)
def _search_rows(win, base, n_win, src, med, far, n_far, i_lo, i_hi, min_dur, th, out, n):
    # Rows i_lo..i_hi of one pass of _segment_kernel.search_pass.
    N = win.shape[1]
    skip_low = th >= 0.0
    for i in range(i_lo, i_hi):
        for j in range(i + 1, N - min_dur):
            if skip_low and win[i - base, j] <= th:
                continue
            M = 1
            prev = 0.0
            while i + M < N and j + M < N:
                s = _score(win, base, n_win, src, med, far, n_far, i, j, M)
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
                for k in range(-ERASE_BAND, ERASE_BAND + 1):
                    for r in range(M):
                        c = r + k
                        if 0 <= c < M and i + r < base + n_win:
                            win[i + r - base, j + c] = 0.0
                if i + M > base + n_win:        # the band goes on below the window
                    if n_far == far.shape[0]:
                        bigger_far = np.empty((2 * n_far, 3), np.int64)
                        bigger_far[:n_far] = far
                        far = bigger_far
                    far[n_far, 0] = i
                    far[n_far, 1] = M
                    far[n_far, 2] = j
                    n_far += 1
    return out, n, far, n_far


@numba.njit(cache=True, nogil=True)
def _erase_entering(win, base, lo, hi, far, n_far):
    # Apply the remembered erasures to window rows lo..hi (absolute) that just entered.
    for s in range(n_far):
        i0, M, j0 = far[s, 0], far[s, 1], far[s, 2]
        for a in range(max(lo, i0), min(hi, i0 + M)):
            r = a - i0
            for c in range(max(0, r - ERASE_BAND), min(M, r + ERASE_BAND + 1)):
                win[a - base, j0 + c] = 0.0


def _load(src, lo, hi, med, out):
    """Rows ``lo..hi`` of ``src`` minus ``med`` into ``out``, a few MB read at a time."""
    step = max(1, READ_BYTES // (src.shape[1] * src.dtype.itemsize))
    for a in range(lo, hi, step):
        b = min(a + step, hi)
        rows = np.subtract(as_float(read_rows(src, a, b)), med, out=out[a - lo:b - lo])
        if not np.isfinite(rows).all():
            raise DataError("self-similarity matrix holds NaN or infinite values")


def search_pass_file(src, med, min_dur, th, window_rows):
    """One pass of the search over the memory-mapped matrix ``src`` (median ``med``).

    The pass of :func:`complex_auto._segment_kernel.search_pass` at one threshold, on
    ``src - med`` read a window of rows at a time.

    Parameters
    ----------
    src : np.memmap, shape (N, N), float16, float32 or float64
        The matrix as stored, C-ordered (``np.load(path, mmap_mode='r')``).
    med : float
        Its median (:func:`exact_median`), subtracted from every value read.
    min_dur : int
        Shortest segment, in frames.
    th : float
        Score threshold.
    window_rows : int
        Rows held in memory (float64); at least 2 and at most ``N`` are used.

    Returns
    -------
    np.ndarray, shape (n_segments, 4), int64
        Rows ``[i, i + M, j, j + M]`` in the order found; empty when none scores above
        ``th``.

    Raises
    ------
    DataError
        When the matrix holds NaN or infinite values (found as rows enter the window).
    """
    N = len(src)
    fd = os.open(src.filename, os.O_RDONLY)
    try:
        reader = (fd, int(src.offset), N, src.dtype.itemsize, np.zeros(1, np.uint16),
                  np.zeros(1, np.float32), np.zeros(1, np.float64))
        return _search_file(src, reader, med, min_dur, th, window_rows)
    finally:
        os.close(fd)


def _search_file(src, reader, med, min_dur, th, window_rows):
    N = len(src)
    R = max(2, min(window_rows, N))
    win = np.empty((R, N))
    _load(src, 0, R, med, win)
    base, n_win = 0, R
    far, n_far = np.zeros((16, 3), np.int64), 0
    out, n = np.empty((16, 4), np.int64), 0
    i, last = 0, N - min_dur
    while i < last:
        i_hi = last if base + n_win >= N else min(last, base + max(1, R // 2))
        out, n, far, n_far = _search_rows(win, base, n_win, reader, med, far, n_far, i, i_hi,
                                          min_dur, th, out, n)
        i = i_hi
        if i >= last:
            break
        keep = base + n_win - i
        shift = i - base            # move the kept rows up, in pieces that do not overlap
        for a in range(0, keep, shift):
            win[a:min(a + shift, keep)] = win[a + shift:min(a + 2 * shift, keep + shift)]
        lo, hi = base + n_win, min(i + R, N)
        _load(src, lo, hi, med, win[keep:keep + hi - lo])
        base, n_win = i, keep + hi - lo
        _erase_entering(win, base, lo, hi, far, n_far)
        alive = far[:n_far, 0] + far[:n_far, 1] > base + n_win
        far, n_far = np.ascontiguousarray(far[:n_far][alive]), int(alive.sum())
        if len(far) == 0:
            far = np.zeros((16, 3), np.int64)
    return out[:n].copy()


def find_segments_file(X, min_dur, th, step, window_bytes=None):
    """:func:`complex_auto.nf14.find_segments` of ``X - median(X)`` without holding it.

    Parameters
    ----------
    X : np.memmap, shape (N, N), float16, float32 or float64
        The matrix as stored (not median-subtracted), e.g. ``np.load(path, mmap_mode='r')``.
    min_dur : int
        Shortest segment, in frames.
    th, step : float
        Threshold and its lowering step, as for ``find_segments``.
    window_bytes : int, optional
        Memory of the window of rows (default: :data:`WINDOW_BYTES`, or what memory allows);
        the window holds at least two rows whatever it says.

    Returns
    -------
    segments : np.ndarray, shape (n_segments, 4), int64
        As ``find_segments`` returns them; empty when ``N - min_dur < 2``.
    th : float
        The threshold of the pass that found them.

    Raises
    ------
    DataError
        When the matrix holds NaN or infinite values.
    """
    N = len(X)
    min_dur, th = int(min_dur), float(th)
    if N - min_dur < 2:
        return np.zeros((0, 4), np.int64), th
    med = exact_median(X)
    if window_bytes is None:
        from .memory import available_memory

        window_bytes = min(WINDOW_BYTES, available_memory()[0] - window_memory(N))
    rows = max(2, window_bytes // (8 * N))
    while True:
        segments = search_pass_file(X, med, min_dur, th, rows)
        if len(segments):
            return segments, th
        log.debug("no segment at th=%.4f; lowering it by %g", th, step)
        th = th - step


def window_memory(n):
    """Least bytes :func:`find_segments_file` needs for an ``n``-row matrix: a read block with
    its sort keys, the median's last bin, and a window of two rows."""
    return 3 * min(READ_BYTES, 8 * n * n) + 16 * min(MEDIAN_SORT, n * n) + 16 * n


def pattern_scores_file(X, patterns, read_bytes=2 ** 26):
    """:func:`complex_auto.nf14.pattern_scores` of a matrix file, in one pass over its rows.

    Each segment's diagonal values are gathered from blocks of rows read with plain file reads
    (indexing the memory map along a diagonal touches a page per row, and a page stays
    resident), then averaged exactly as there: same values, same dtype, same order.

    Parameters
    ----------
    X : np.memmap, shape (N, N)
        The matrix as stored, C-ordered (``np.load(path, mmap_mode='r')``).
    patterns : list of np.ndarray, each shape (occurrences, 4)
        From :func:`complex_auto.nf14.group_patterns`; rows 1.. are the segments scored.
    read_bytes : int
        Bytes of rows read at a time: the memory of a block.

    Returns
    -------
    list of float
        One score per pattern; 0.0 for a pattern without a segment of positive length.
    """
    segments = [(p, i0, i1, j0) for p, pattern in enumerate(patterns)
                for i0, i1, j0, _ in pattern[1:] if i1 > i0]
    values = [np.empty(i1 - i0, X.dtype) for _, i0, i1, _ in segments]
    if segments:
        starts = np.array([s[1] for s in segments])
        ends = np.array([s[2] for s in segments])
        step = max(1, read_bytes // (X.shape[1] * X.dtype.itemsize))
        for a in range(int(starts.min()), int(ends.max()), step):
            b = min(a + step, len(X))
            block = None
            for k in np.flatnonzero((starts < b) & (ends > a)):
                _, i0, i1, j0 = segments[k]
                if block is None:
                    block = read_rows(X, a, b)
                r = np.arange(max(a, i0), min(b, i1))
                values[k][r - i0] = block[r - a, j0 + r - i0]
    per_pattern = [[] for _ in patterns]
    for (p, *_), v in zip(segments, values):
        per_pattern[p].append(v.mean())
    return [float(np.mean(v)) if v else 0.0 for v in per_pattern]
