"""Self-similarity matrices of feature sequences, as the pattern extractor expects them.

Recipe (DESIGN.md §7): cosine distances between all feature vectors; 9 padding rows and
columns holding the largest distance; similarity ``1 / (d + 1e-6)``; diagonals −8..8 set to 0;
2-D convolution ('same' size) with the 10×10 matrix that has ones on its main diagonal and the
two beside it; min-max to [0, 1]. The band −8..8 is zeroed once more after the convolution,
so that the smoothing does not reintroduce values next to the trivial main diagonal.
"""
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
    i = np.arange(n)
    x[np.abs(i[:, None] - i[None, :]) <= width] = 0
    return x


def convolve_same(x, kernel):
    """2-D convolution of ``x`` with a small ``kernel``, same size as ``x``.

    Equal to ``scipy.signal.convolve2d(x, kernel, mode='same')``, computed as a sum of shifted
    copies of ``x`` over the kernel's non-zero entries (28 for the diagonal kernel), which is
    much faster for a sparse kernel.
    """
    kh, kw = kernel.shape
    oh, ow = (kh - 1) // 2, (kw - 1) // 2
    n, m = x.shape
    padded = np.zeros((n + 2 * kh, m + 2 * kw), dtype=np.float64)
    padded[kh:kh + n, kw:kw + m] = x
    out = np.zeros((n, m), dtype=np.float64)
    for a, b in zip(*np.nonzero(kernel)):
        # out[i, j] += k[a, b] * x[i + oh - a, j + ow - b]
        r0, c0 = kh + oh - a, kw + ow - b
        out += kernel[a, b] * padded[r0:r0 + n, c0:c0 + m]
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
