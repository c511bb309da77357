"""complex_auto.half: float16 casts bit for bit those of NumPy, and the matrices they store."""
import numpy as np
import pytest

from complex_auto import selfsim
from complex_auto.half import as_float, from_float16, to_float16

from .test_scale import repeating_features

ALL16 = np.arange(1 << 16, dtype=np.uint16).view(np.float16)


def hard_cases():
    """Every float16 value, every midpoint between neighbours (the ties) and the float64
    numbers just beside them, specials, float64 subnormals, and random values of every scale."""
    with np.errstate(invalid="ignore"):
        exact = ALL16.astype(np.float64)                 # NaNs with all their payloads
    finite = np.unique(exact[np.isfinite(exact)])
    mid = (finite[:-1] + finite[1:]) / 2
    g = np.random.default_rng(0)
    return np.concatenate([
        exact, mid, np.nextafter(mid, np.inf), np.nextafter(mid, -np.inf),
        [65504.0, 65519.999, 65520.0, 1e300, -1e300, np.inf, -np.inf, np.nan, -0.0,
         5e-324, -5e-324, 2.0 ** -1022, 2.0 ** -25, -2.0 ** -25, 2.0 ** -26],
        np.array([0x7FF0000000000001, 0xFFF0000000000100], np.uint64).view(np.float64),  # NaNs
        g.standard_normal(200_000) * 10.0 ** g.integers(-12, 7, 200_000),
        10.0 ** g.uniform(-320, -4, 100_000), g.random(100_000)])


@pytest.mark.parametrize("scale", [1.0, 2.0 ** -9, 0.3])
def test_to_float16_rounds_as_numpy(scale):
    x = hard_cases()
    with np.errstate(all="ignore"):
        expected = (x * scale if scale != 1.0 else x).astype(np.float16)
    got = to_float16(x, scale)
    assert got.dtype == np.float16
    bad = np.flatnonzero(got.view(np.uint16) != expected.view(np.uint16))
    assert bad.size == 0, (x[bad[:5]], expected[bad[:5]], got[bad[:5]])


def test_to_float16_keeps_shape_and_reads_any_layout():
    x = np.random.default_rng(1).random((7, 12)) * 1e-5
    for view in (x, x.T, x[::2, 3:]):                    # not C-contiguous
        assert np.array_equal(to_float16(view).view(np.uint16),
                              view.astype(np.float16).view(np.uint16))
        assert to_float16(view).shape == view.shape
    assert to_float16(np.float64(0.5)).shape == ()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_from_float16_is_numpy_for_every_bit_pattern(dtype):
    with np.errstate(invalid="ignore"):
        expected = ALL16.astype(dtype)
    got = from_float16(ALL16.reshape(256, 256).T, dtype)     # a transposed view, too
    assert got.dtype == dtype
    assert np.array_equal(got.view(np.uint8),
                          np.ascontiguousarray(expected.reshape(256, 256).T).view(np.uint8))
    with pytest.raises(TypeError, match="float16"):
        from_float16(np.zeros(3))


def test_as_float_casts_other_types_as_numpy_and_does_not_copy_its_own():
    x = np.random.default_rng(2).random((5, 5))
    assert as_float(x) is x
    assert np.array_equal(as_float(x.astype(np.float32)), x.astype(np.float32).astype(np.float64))
    h = (x * 1e-5).astype(np.float16)
    assert np.array_equal(as_float(h, np.float32), h.astype(np.float32))


def test_stored_float16_matrix_is_the_one_numpy_casts_give(tmp_path, monkeypatch):
    """The fast casts change no bit of a stored matrix: the same matrix written with NumPy's
    own casts (the code before complex_auto.half) is the same file, byte for byte."""
    f = repeating_features(300, dims=8, seed=5)
    for upper in (False, True):
        fast = tmp_path / f"fast{upper}.npy"
        selfsim.write_self_similarity(f, fast, dtype=np.float16, block_rows=37, upper=upper)
        with monkeypatch.context() as m:
            m.setattr(selfsim, "to_float16",
                      lambda x, scale=1.0: (x * scale if scale != 1.0 else x).astype(np.float16))
            m.setattr(selfsim, "as_float", lambda x, dtype=np.float64: x.astype(dtype))
            slow = tmp_path / f"slow{upper}.npy"
            selfsim.write_self_similarity(f, slow, dtype=np.float16, block_rows=37, upper=upper)
        stored = np.load(fast)
        assert fast.read_bytes() == slow.read_bytes()
        # mostly subnormal float16 values: the case NumPy is slow at
        assert np.mean((stored > 0) & (stored < 2.0 ** -14)) > 0.5

