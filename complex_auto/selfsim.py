"""Self-similarity matrices of feature sequences, as the pattern extractor expects them.

Recipe (DESIGN.md §7): cosine distances between all feature vectors; 9 padding rows and
columns holding the largest distance; similarity ``1 / (d + 1e-6)``; diagonals −8..8 set to 0;
2-D convolution ('same' size) with the 10×10 matrix that has ones on its main diagonal and the
two beside it; min-max to [0, 1]. The band −8..8 is zeroed once more after the convolution,
so that the smoothing does not reintroduce values next to the trivial main diagonal.
"""
import numba
import numpy as np

PAD = 9
BAND = 8
KERNEL_SIZE = 10


def diagonal_kernel(size=KERNEL_SIZE):
    """The ``size × size`` matrix with ones on its main diagonal and the two beside it."""
    i = np.arange(size)
    return (np.abs(i[:, None] - i[None, :]) <= 1).astype(np.float64)


def cosine_distances(features):
    """All pairwise cosine distances of the rows of ``features``, shape ``(N, N)``."""
    f = np.asarray(features, dtype=np.float64)
    norms = np.linalg.norm(f, axis=1, keepdims=True)
    f = f / np.where(norms > 0, norms, 1.0)
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


def self_similarity(features):
    """Self-similarity matrix of a feature sequence.

    Parameters
    ----------
    features : np.ndarray, shape (N, dims)
        One feature vector per window (the CAE amplitudes).

    Returns
    -------
    np.ndarray, shape (N + 9, N + 9), float64
        Symmetric, in [0, 1], zero on the diagonals −8..8.
    """
    d = cosine_distances(features)
    n = len(d)
    padded = np.full((n + PAD, n + PAD), d.max() if n else 0.0)
    padded[:n, :n] = d
    sim = 1.0 / (padded + 1e-6)
    zero_band(sim)
    sim = convolve_same(sim, diagonal_kernel())
    zero_band(sim)
    lo, hi = sim.min(), sim.max()
    return (sim - lo) / (hi - lo) if hi > lo else np.zeros_like(sim)
