"""Conversions between float64 (or float32) and float16, bit for bit those of NumPy, but fast.

Matrices of long recordings are stored in float16 (:func:`complex_auto.selfsim.storage_dtype`).
Once normalised to [0, 1], most of their values are below 2^-14 = 6.1e-5, float16's least
normal number, and NumPy converts such subnormal values on a slow path: about 85 ns a value
to float16 and 10 back, against 3 and 1–2 ns for normal values, on this 2-core machine
(``python bench/float16.py``). That made the casts half the time of a 2-hour conversion.
:func:`to_float16` rounds in a compiled loop instead (2 ns a value): to nearest, ties to even,
as IEEE 754 and ``ndarray.astype(np.float16)`` do, with subnormals, overflow to infinity and
NaN payloads as NumPy gives them. :func:`from_float16` looks every value up in a table of all
65,536 float16 numbers, converted by NumPy itself.
"""
import numba
import numpy as np

#: Value of every float16 bit pattern in float64 and float32, by NumPy's own conversion.
with np.errstate(invalid="ignore"):
    _TABLES = {np.dtype(t): np.arange(1 << 16, dtype=np.uint16).view(np.float16).astype(t)
               for t in (np.float64, np.float32)}


@numba.njit(cache=True, nogil=True)
def _round_half(v):
    # float64 -> float16 bits, round to nearest, ties to even
    b = np.float64(v).view(np.uint64)
    sign = np.uint16((b >> np.uint64(48)) & np.uint64(0x8000))
    e = np.int64((b >> np.uint64(52)) & np.uint64(0x7FF))
    mant = b & np.uint64((1 << 52) - 1)
    if e == 0x7FF:                                   # infinity, or NaN with NumPy's payload
        r = np.uint64(0x7C00) + (mant >> np.uint64(42))
        if mant and r == 0x7C00:
            r += np.uint64(1)                        # a NaN must stay a NaN
        return sign | np.uint16(r)
    he = e - 1023 + 15                               # the float16 exponent field
    if he >= 31:
        return sign | np.uint16(0x7C00)
    if he >= 1:                                      # normal: keep 10 of 52 fraction bits
        r = np.uint64(he << 10) + (mant >> np.uint64(42))
        low = mant & np.uint64((1 << 42) - 1)
        half = np.uint64(1 << 41)
        if low > half or (low == half and (r & np.uint64(1))):
            r += np.uint64(1)                        # a carry moves on to the exponent, or inf
        return sign | np.uint16(r)
    # float16 subnormal: a whole number of 2^-24 (1024 of them make the least normal). The
    # product is exact (a power of two) and rint rounds to nearest, ties to even.
    return sign | np.uint16(np.rint(abs(v) * 16777216.0))


@numba.njit(cache=True, nogil=True)
def _to_half(x, scale, out):
    xs = x.reshape(-1)
    o = out.reshape(-1)
    for i in range(xs.size):
        v = xs[i] if scale == 1.0 else xs[i] * scale   # x * 1.0 would quiet a signalling NaN
        o[i] = _round_half(v)


@numba.njit(cache=True, nogil=True)
def _from_half(h, table, out):
    hs = h.reshape(-1)
    o = out.reshape(-1)
    for i in range(hs.size):
        o[i] = table[hs[i]]


def to_float16(x, scale=1.0):
    """``(x * scale).astype(np.float16)``, bit for bit, without NumPy's slow cast.

    Parameters
    ----------
    x : np.ndarray, float64
        Any shape.
    scale : float
        Multiplies every value (in float64) before rounding.

    Returns
    -------
    np.ndarray, same shape, float16, C-ordered
    """
    x = np.require(x, np.float64, "C")
    out = np.empty(x.shape, np.uint16)
    _to_half(x, float(scale), out)
    return out.view(np.float16)


def from_float16(h, dtype=np.float64):
    """``h.astype(dtype)`` for a float16 array (float64 or float32), bit for bit.

    Parameters
    ----------
    h : np.ndarray, float16
    dtype : np.float64 or np.float32

    Returns
    -------
    np.ndarray, same shape, ``dtype``, C-ordered
    """
    h = np.require(h, requirements="C")
    if h.dtype != np.float16:
        raise TypeError(f"from_float16 expects float16, not {h.dtype}")
    table = _TABLES[np.dtype(dtype)]
    out = np.empty(h.shape, table.dtype)
    _from_half(h.view(np.uint16), table, out)
    return out


def as_float(x, dtype=np.float64):
    """``x.astype(dtype, copy=False)``, bit for bit; float16 to float32 or float64 through
    :func:`from_float16`, 12 to 23 times faster than NumPy's cast for the subnormal values
    (below 6.1e-5) that make up most of a stored matrix."""
    if x.dtype == np.float16 and np.dtype(dtype) in _TABLES:
        return from_float16(x, dtype)
    return np.asarray(x).astype(dtype, copy=False)
