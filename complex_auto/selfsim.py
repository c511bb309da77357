"""Self-similarity matrices of feature sequences, as the pattern extractor expects them.

Recipe (that of the original implementation of Lattner, Dörfler & Arzt, ISMIR 2019;
DESIGN.md §7): cosine distances between all feature vectors; 9 padding rows and columns
holding the largest distance; similarity ``1 / (d + 1e-6)``; diagonals −8..8 set to 0; 2-D
convolution ('same' size) with the 10×10 matrix that has ones on its main diagonal and the
two beside it; min-max to [0, 1]. The band −8..8 is zeroed once more after the convolution,
so that the smoothing does not reintroduce values next to the trivial main diagonal.

:func:`self_similarity` returns the matrix in memory (float64), for pieces that fit;
:func:`write_self_similarity` writes it to a ``.npy`` block by block, holding one block of rows
at a time, so an hour-long recording (a 40,000-frame matrix: 6.4·10⁹ bytes in float32, stored
in float16 as 3.2·10⁹) converts in a few hundred MB. Both compute the same rows
(:func:`smoothed_blocks`).
"""
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from . import checks
from .errors import ParameterError
from .half import as_float, to_float16
from .memory import check_memory, read_columns

PAD = 9
BAND = 8
KERNEL_SIZE = 10


def diagonal_kernel(size=KERNEL_SIZE):
    """The ``size × size`` matrix with ones on its main diagonal and the two beside it."""
    i = np.arange(size)
    return (np.abs(i[:, None] - i[None, :]) <= 1).astype(np.float64)


def cosine_distances(features):
    """All pairwise cosine distances of the rows of ``features``, shape ``(N, N)``."""
    f = normalised_features(features)
    d = 1.0 - f @ f.T
    np.clip(d, 0.0, 2.0, out=d)
    return d


def zero_band(x, width=BAND):
    """Set the diagonals ``-width..width`` of a square matrix to 0, in place."""
    n = len(x)
    flat = x.reshape(-1)  # a view: diagonal k is flat[k::n+1] (k >= 0) or flat[-k*n::n+1]
    for k in range(min(width, n - 1) + 1):
        flat[k:(n - k) * n:n + 1] = 0
        flat[k * n::n + 1] = 0
    return x


def convolve_same(x, kernel):
    """2-D convolution of ``x`` with a small ``kernel``, same size as ``x``.

    Equal to ``scipy.signal.convolve2d(x, kernel, mode='same')``, computed as a sum of shifted
    copies of ``x`` over the kernel's non-zero entries (28 for the diagonal kernel), which is
    much faster for a sparse kernel.
    """
    kh, kw = kernel.shape
    n, m = x.shape
    padded = np.zeros((n + 2 * kh, m + 2 * kw), dtype=np.float64)
    padded[kh:kh + n, kw:kw + m] = x
    a, b = np.nonzero(kernel)
    # out[i, j] += k[a, b] * x[i + oh - a, j + ow - b], with x offset by (kh, kw) in padded
    rows = kh + (kh - 1) // 2 - a
    cols = kw + (kw - 1) // 2 - b
    return _shifted_sum(padded, rows, cols, kernel[a, b].astype(np.float64), n, m)


@numba.njit(cache=True, nogil=True)
def _shifted_sum(padded, rows, cols, weights, n, m):
    out = np.zeros((n, m))
    for i in range(n):
        for k in range(len(rows)):
            r = i + rows[k]
            c0 = cols[k]
            w = weights[k]
            for j in range(m):
                out[i, j] += w * padded[r, j + c0]
    return out


def self_similarity(features, block_rows=None):
    """Self-similarity matrix of a feature sequence.

    Computed block by block (:func:`smoothed_blocks`); the result is the whole matrix in
    memory, so this is for pieces that fit. :func:`write_self_similarity` writes a matrix of
    any length to a file in bounded memory.

    Parameters
    ----------
    features : np.ndarray, shape (N, dims)
        One feature vector per window (the CAE amplitudes).
    block_rows : int, optional
        Rows computed at a time (default: :func:`default_block_rows`); any value gives the
        same matrix, up to the rounding of the matrix product.

    Returns
    -------
    np.ndarray, shape (N + 9, N + 9), float64
        Symmetric, in [0, 1], zero on the diagonals −8..8.

    Raises
    ------
    MemoryLimitError
        When the matrix does not fit in the memory at hand (:mod:`complex_auto.memory`).
    """
    features = checks.array(features, "features", ndim=2)   # named before any work
    n = len(features)
    size = n + PAD
    check_memory(size * size * 8 + block_memory(size, BLOCK_MIN), f"a {size}x{size} "
                 "self-similarity matrix", "write it block by block with "
                 "complex_auto.selfsim.write_self_similarity")
    out = np.empty((size, size))
    for r0, rows in smoothed_blocks(features, block_rows):
        out[r0:r0 + len(rows)] = rows
    first = r0                           # the final block: complete rows first..size
    out[:first, first:] = out[first:, :first].T
    lo, hi = out.min(), out.max()
    if hi > lo:
        out -= lo
        out /= hi - lo
    else:
        out[:] = 0.0
    return out


# ---------------------------------------------------------------------------------------------
# block by block
#
# Row r of the padded similarity S (before smoothing) needs only feature r and all features;
# row i of the smoothed matrix needs rows i-5..i+4 of S (the kernel's reach). So rows are
# computed a block at a time with a halo of 9 rows. Two global numbers remain: the largest
# distance, which fills the 9 padding rows and columns, and the min and max of the result.
# The largest distance is known only once every row has been seen; it reaches the smoothed
# matrix only in its last 13 rows and columns (index >= N - 4). So every block but the last
# is computed with the padding left at 0 and is valid left of column N - 4; the last block
# (rows N - 4 .. N + 8) is computed once the largest distance is known, and, the matrix being
# symmetric, its transpose gives the last 13 columns of all earlier rows. Min and max come
# from the valid parts; a second pass over the stored rows normalises them.

#: Memory (bytes) a block of rows may take while it is computed (about 6 arrays of its size).
BLOCK_BYTES = 512 * 2 ** 20
#: Fewest rows per block: below this the halo of 9 rows dominates the work.
BLOCK_MIN = 16
#: Matrices up to this size are stored in float64, larger ones in float32 (half the disk and
#: memory; within float32 rounding, ~6e-8 relative, of the float64 values).
FLOAT64_MAX_SIZE = 8192
#: Matrices beyond this size (about 49 minutes at the CQT hop of 0.09 s; 4 GiB in float32,
#: more than a laptop keeps in its page cache) are stored in float16: half the disk and half
#: the reading again. Their values, in [0, 1], keep 11 significant bits, rounded twice (the
#: first pass stores the values before the min-max, to 2^-11 of each, and the second after it,
#: to 2^-12 above 0.5): within 2^-11 + 2^-12 = 7.3e-4 of the float64 values. On the
#: five JKU pieces stored so, nf14 finds the same segments and families' mean scores move by
#: at most 0.002 (bench/storage.py).
FLOAT32_MAX_SIZE = 32768
#: Rows beyond the diagonal that one row of the smoothed matrix depends on (kernel reach).
_ABOVE, _BELOW = (KERNEL_SIZE - 1) - (KERNEL_SIZE - 1) // 2, (KERNEL_SIZE - 1) // 2


def block_memory(size, block_rows):
    """Bytes that computing ``block_rows`` rows of a ``size``-wide matrix takes (estimate)."""
    return 6 * (block_rows + 2 * KERNEL_SIZE + PAD) * (size + 2 * KERNEL_SIZE) * 8


def default_block_rows(size, budget=BLOCK_BYTES):
    """Rows per block for a ``size``-wide matrix so that a block takes about ``budget`` bytes."""
    rows = budget // (6 * (size + 2 * KERNEL_SIZE) * 8) - 2 * KERNEL_SIZE - PAD
    return int(max(BLOCK_MIN, min(rows, size)))


def storage_dtype(size):
    """Stored type of a ``size × size`` matrix: float64 up to :data:`FLOAT64_MAX_SIZE`, float32
    up to :data:`FLOAT32_MAX_SIZE`, float16 beyond."""
    if size <= FLOAT64_MAX_SIZE:
        return np.dtype(np.float64)
    return np.dtype(np.float32 if size <= FLOAT32_MAX_SIZE else np.float16)


def matrix_needs(n, dims):
    """Memory and disk (bytes) that :func:`write_self_similarity` needs at the least.

    Parameters
    ----------
    n, dims : int
        Feature vectors and their length.

    Returns
    -------
    memory : int
        The features in float64 (twice) and one block of :data:`BLOCK_MIN` rows.
    disk : int
        The ``.npy`` file.
    """
    size = n + PAD
    memory = 2 * n * dims * 8 + block_memory(size, BLOCK_MIN)
    return memory, size * size * storage_dtype(size).itemsize + 4096


def normalised_features(features, name="features"):
    """Rows of ``features`` scaled to unit length (zero rows kept), float64.

    Raises
    ------
    ParameterError
        When ``features`` is not 2-D or holds a NaN or an infinity (named by its index): one
        such value would reach every row of the matrix through the largest distance and the
        normalisation.
    """
    f = checks.array(features, name, ndim=2)
    norms = np.linalg.norm(f, axis=1, keepdims=True)
    return f / np.where(norms > 0, norms, 1.0)


def _distance_rows(fn, lo, hi, c0=0):
    d = fn[lo:hi] @ fn[c0:].T
    np.subtract(1.0, d, out=d)           # in place, and max/min for clip: fewer passes
    np.maximum(d, 0.0, out=d)
    np.minimum(d, 2.0, out=d)
    return d


def _zero_band_rows(rows, r0, width=BAND, c0=0):
    """Zero the entries ``|r - c| <= width`` of rows ``r0 ..`` (columns ``c0 ..``), in place."""
    r = np.arange(r0, r0 + len(rows))
    for k in range(-width, width + 1):
        c = r + k - c0
        ok = (c >= 0) & (c < rows.shape[1])
        rows[np.flatnonzero(ok), c[ok]] = 0.0


def _similarity_rows(fn, r0, r1, pad_value, c0=0):
    """Rows ``r0..r1``, columns ``c0..``, of the padded, band-zeroed similarity; rows outside
    the matrix are 0.

    Returns the rows and the largest distance among the real rows computed (-inf if none).
    """
    n = len(fn)
    size = n + PAD
    rows = np.zeros((r1 - r0, size - c0))
    a, b = max(r0, 0), min(r1, n)
    dmax = -np.inf
    if b > a:
        d = _distance_rows(fn, a, b, min(c0, n))
        dmax = d.max() if d.size else dmax
        d += 1e-6
        np.divide(1.0, d, out=rows[a - r0:b - r0, :max(n - c0, 0)])
        rows[a - r0:b - r0, max(n - c0, 0):] = 1.0 / (pad_value + 1e-6)
    lo, hi = max(r0, n), min(r1, size)
    if hi > lo:
        rows[lo - r0:hi - r0] = 1.0 / (pad_value + 1e-6)
    _zero_band_rows(rows, r0, c0=c0)
    return rows, dmax


def _smoothed_rows(fn, r0, r1, pad_value, c0=0):
    """Rows ``r0..r1``, columns ``c0..``, of the smoothed, band-zeroed matrix (not normalised)."""
    cs = max(c0 - _ABOVE, 0)             # the kernel reaches 5 columns left
    sim, dmax = _similarity_rows(fn, r0 - _ABOVE, r1 + _BELOW, pad_value, cs)
    out = _smooth_diagonal(sim)[:, c0 - cs:]
    _zero_band_rows(out, r0, c0=c0)
    return out, dmax


@numba.njit(cache=True, nogil=True)
def _smooth_diagonal(sim):
    # The 'same' convolution with diagonal_kernel() of the rows 5..len-4 of ``sim`` (the
    # others are the halo), equal to convolve_same up to the order of the additions. Output
    # (t, j) sums sim[t + 9 - a, j + 4 - b] over |a - b| <= 1, a, b in 0..9: ten diagonal
    # steps of the three-wide row sums T, less the two terms T adds beyond the kernel's
    # corners (b = -1 at a = 0, b = 10 at a = 9). About half the additions of 28 shifts;
    # each output summed in a register, in the order of a, so any column gives the same bits.
    h, m = sim.shape
    rows = h - KERNEL_SIZE + 1
    tri = np.empty((h, m + 2))              # tri[r, c + 1] = sim[r, c-1] + sim[r, c] + sim[r, c+1]
    for r in range(h):
        s, t = sim[r], tri[r]
        if m == 1:
            t[0] = t[1] = t[2] = s[0]
            continue
        t[0] = s[0]
        t[1] = s[0] + s[1]
        for k in range(2, m):
            t[k] = (s[k - 2] + s[k - 1]) + s[k]
        t[m] = s[m - 2] + s[m - 1]
        t[m + 1] = s[m - 1]
    out = np.empty((rows, m))
    for t in range(rows):
        o, s9, s0 = out[t], sim[t + KERNEL_SIZE - 1], sim[t]
        t0, t1, t2, t3, t4 = tri[t + 9], tri[t + 8], tri[t + 7], tri[t + 6], tri[t + 5]
        t5, t6, t7, t8, t9 = tri[t + 4], tri[t + 3], tri[t + 2], tri[t + 1], tri[t]
        lo, hi = min(6, m), max(m - 5, min(6, m))   # columns with every term inside
        for j in range(lo):
            o[j] = _smoothed_cell(tri, sim, t, j, m)
        for j in range(lo, hi):
            o[j] = (0.0 + t0[j + 5] + t1[j + 4] + t2[j + 3] + t3[j + 2] + t4[j + 1] + t5[j]
                    + t6[j - 1] + t7[j - 2] + t8[j - 3] + t9[j - 4] - s9[j + 5] - s0[j - 6])
        for j in range(hi, m):
            o[j] = _smoothed_cell(tri, sim, t, j, m)
    return out


@numba.njit(cache=True, nogil=True)
def _smoothed_cell(tri, sim, t, j, m):
    # One output of _smooth_diagonal near the left or right edge, where terms fall outside.
    acc = 0.0
    for a in range(KERNEL_SIZE):
        k = j + 5 - a
        if 0 <= k <= m + 1:
            acc += tri[t + KERNEL_SIZE - 1 - a, k]
    if j + 5 < m:
        acc -= sim[t + KERNEL_SIZE - 1, j + 5]
    if j >= 6:
        acc -= sim[t, j - 6]
    return acc


def smoothed_blocks(features, block_rows=None, threads=1, upper=False):
    """The matrix before min-max normalisation, a block of rows at a time.

    Parameters
    ----------
    features : np.ndarray, shape (N, dims)
    block_rows : int, optional
        Rows per block (default :func:`default_block_rows`).
    threads : int
        Blocks computed at a time (the matrix product, the divisions and the smoothing
        release the GIL); memory grows with it.
    upper : bool
        Compute every block but the last only from its own first row's column on (the
        matrix is symmetric, so the rest is the transpose of earlier blocks): half the work.

    Yields
    ------
    r0 : int
        First row of the block.
    rows : np.ndarray, shape (rows, N + 9 - c0), float64
        The block, its columns ``c0..`` (``c0 = r0`` with ``upper`` but for the last block,
        else 0). Every block but the last is valid only in its columns ``< F``, where
        ``F`` is the ``r0`` of the last block (``max(N - 4, 0)``); their columns ``F..`` are
        the transpose of the last block's first ``F`` columns.
    """
    fn = normalised_features(features)
    n = len(fn)
    size = n + PAD
    block_rows = (default_block_rows(size) if block_rows is None
                  else checks.integer(block_rows, "block_rows"))
    threads = checks.integer(threads, "threads")
    first = max(n - _BELOW, 0)           # rows from here on depend on the padding
    dmax = -np.inf
    starts = list(range(0, first, block_rows))
    with ThreadPoolExecutor(threads) as pool:
        for k in range(0, len(starts), threads):
            # Padding not known yet: 1 / inf = 0 there (a large stand-in would cost precision).
            batch = [(r0, pool.submit(_smoothed_rows, fn, r0, min(r0 + block_rows, first),
                                      np.inf, r0 if upper else 0))
                     for r0 in starts[k:k + threads]]
            for r0, future in batch:
                rows, m = future.result()
                dmax = max(dmax, m)
                yield r0, rows
    # The last block's halo reaches back to row first - 5; those rows' distances may hold the
    # largest one, so take it before the padding value is used.
    tail = _distance_rows(fn, max(first - _ABOVE, 0), n)
    if tail.size:
        dmax = max(dmax, tail.max())
    dmax = 0.0 if dmax == -np.inf else dmax
    rows, _ = _smoothed_rows(fn, first, size, dmax)
    yield first, rows


def write_self_similarity(features, path, dtype=None, block_rows=None, view_pixels=1500,
                          threads=1, upper=None, desc=None):
    """Compute the self-similarity matrix block by block into a ``.npy`` file.

    Memory stays at one block of rows (:func:`block_memory`) plus the features, whatever the
    length: the rows are written with plain file writes (not through a memory map, whose
    pages would count as the process's memory), then read back once to be normalised. The
    file appears only when complete (written under a temporary name, then renamed).

    Parameters
    ----------
    features : np.ndarray, shape (N, dims)
    path : str or Path
        The ``.npy`` to write.
    dtype : numpy dtype, optional
        Stored type; default :func:`storage_dtype`.
    block_rows : int, optional
        Rows per block (default :func:`default_block_rows`).
    view_pixels : int
        Largest side of the returned view.
    threads : int
        Blocks computed at a time (see :func:`smoothed_blocks`).
    upper : bool, optional
        Compute only the upper triangle and mirror it (half the work; default: for matrices
        beyond :data:`FLOAT64_MAX_SIZE`, whose values are rounded to float32 or float16 anyway,
        so that smaller ones keep the rounding of the whole rows bit for bit).
    desc : str, optional
        Label of a progress bar over the rows of both passes, shown for matrices beyond
        :data:`FLOAT64_MAX_SIZE` rows (an hour's takes minutes); none without it.

    Returns
    -------
    np.ndarray, shape (≤ view_pixels, ≤ view_pixels), float64
        The matrix block-averaged by ``f = ceil((N + 9) / view_pixels)`` (trailing rows and
        columns that do not fill a block dropped): the picture of a long matrix.
    """
    from .utils import atomic_path, progress

    features = checks.array(features, "features", ndim=2)
    size = len(features) + PAD
    dtype = np.dtype(dtype or storage_dtype(size))
    if dtype not in (np.float16, np.float32, np.float64):
        raise ParameterError(f"dtype must be float16, float32 or float64, not {dtype}")
    view_pixels = checks.integer(view_pixels, "view_pixels")
    upper = size > FLOAT64_MAX_SIZE if upper is None else upper
    f = max(1, -(-size // view_pixels))
    cut = size // f * f
    view = np.zeros((cut // f, cut // f))
    valid = _valid_columns(features)
    # float16 holds at most 65504, and the first pass stores values before normalisation, up to
    # 28 x 1e6 (28 kernel cells of at most 1 / 1e-6): stored times 2^-9, exact in binary.
    stage = 2.0 ** -9 if dtype == np.float16 else 1.0
    bar = progress(total=2 * size, desc=desc, unit="row",
                   disable=desc is None or size <= FLOAT64_MAX_SIZE)
    with bar, atomic_path(path) as tmp:
        header = np.lib.format.open_memmap(tmp, mode="w+", dtype=dtype, shape=(size, size))
        offset = header.offset
        del header
        row_bytes = size * dtype.itemsize
        lo, hi = np.inf, -np.inf
        with open(tmp, "r+b") as fh:
            for r0, rows in smoothed_blocks(features, block_rows, threads, upper):
                first, last = r0, rows
                c0 = size - rows.shape[1]
                ok = rows if r0 + len(rows) == size else rows[:, :max(valid - c0, 0)]
                if ok.size:
                    lo, hi = min(lo, ok.min()), max(hi, ok.max())
                stored = _stored(rows, dtype, stage)
                if c0 == 0:
                    fh.seek(offset + r0 * row_bytes)
                    fh.write(np.ascontiguousarray(stored))
                else:                        # the upper part of each row
                    stored = np.ascontiguousarray(stored)
                    for k in range(len(rows)):
                        fh.seek(offset + (r0 + k) * row_bytes + c0 * dtype.itemsize)
                        fh.write(stored[k])
                bar.update(len(rows))
            if upper:                        # the last rows' own square, mirrored too
                _mirror_upper(last[:, first:])
            scale = 1.0 / (hi - lo) if hi > lo else 0.0
            step = f * max(1, _normalise_rows(size, block_rows) // f)
            written = np.memmap(tmp, dtype=dtype, mode="r", offset=offset, shape=(size, size))
            for a in range(0, size, step):
                b = min(a + step, size)
                fh.flush()
                fh.seek(offset + a * row_bytes)
                rows = np.fromfile(fh, dtype=dtype, count=(b - a) * size).reshape(b - a, size)
                rows = as_float(rows)
                if stage != 1.0:
                    rows /= stage
                if upper:                    # the square on the diagonal from its upper half
                    _mirror_upper(rows[:, a:b])
                if a < first:
                    rows[:min(b, first) - a, first:] = last[:, a:min(b, first)].T
                if b > first:
                    rows[max(a, first) - a:] = last[max(a, first) - first:b - first]
                if lo:                       # 0 whenever the zeroed band is there
                    rows -= lo
                rows *= scale
                if upper and a:              # left of the square: rows already normalised
                    rows[:, :a] = as_float(read_columns(written, slice(0, a), slice(a, b))).T
                fh.seek(offset + a * row_bytes)
                fh.write(_stored(rows, dtype))
                bar.update(b - a)
                if a < cut:
                    k = (min(b, cut) - a) // f
                    view[a // f:a // f + k] = (rows[:k * f, :cut]
                                               .reshape(k, f, cut // f, f).mean(axis=(1, 3)))
    return view


def _stored(rows, dtype, stage=1.0):
    """``(rows * stage).astype(dtype)``; float16 through :func:`complex_auto.half.to_float16`:
    most normalised values are float16 subnormals, which NumPy rounds some 40 times slower
    (``python bench/float16.py``)."""
    if dtype == np.float16:
        return to_float16(rows, stage)
    return (rows * stage if stage != 1.0 else rows).astype(dtype, copy=False)


def _mirror_upper(square):
    """Make a square block symmetric from its upper triangle (diagonal included), in place."""
    square[:] = np.triu(square) + np.triu(square, 1).T


def _normalise_rows(size, block_rows=None):
    """Rows the normalising pass reads at a time: a given ``block_rows``, else about
    :data:`BLOCK_BYTES` of float64 rows (more rows, fewer reads of the transposed columns)."""
    return int(block_rows or max(BLOCK_MIN, min(size, BLOCK_BYTES // (2 * 8 * size))))


def _valid_columns(features):
    return max(len(features) - _BELOW, 0)
