"""float16 casts: NumPy against complex_auto.half, for normal and subnormal values.

Usage: python bench/float16.py [--values N]

Prints nanoseconds per value of each cast, best of three runs into a reused output array
(so that page faults of fresh memory do not count), and the ratio NumPy / half. The matrices
of long recordings hold mostly subnormal float16 values (below 6.1e-5), which NumPy converts
on a slow path.
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from complex_auto.half import _TABLES, _from_half, _to_half  # noqa: E402


def best_of(fn, runs=3):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--values", type=int, default=20_000_000, help="values per cast")
    n = ap.parse_args().values
    rng = np.random.default_rng(0)
    inputs = {"normal": rng.uniform(6.2e-5, 1.0, n),          # normal in float16
              "subnormal": 10.0 ** rng.uniform(-8, -4.3, n)}  # as in a normalised matrix
    for kind, x in inputs.items():
        h = x.astype(np.float16)
        to16, bits = np.empty(n, np.float16), np.empty(n, np.uint16)
        casts = [("float64 -> float16", lambda: np.copyto(to16, x, casting="unsafe"),
                  lambda: _to_half(x, 1.0, bits))]
        for t in (np.float32, np.float64):
            out_numpy, out_half, table = np.empty(n, t), np.empty(n, t), _TABLES[np.dtype(t)]
            casts.append((f"float16 -> {t.__name__}",
                          lambda o=out_numpy: np.copyto(o, h),
                          lambda o=out_half, tb=table: _from_half(h.view(np.uint16), tb, o)))
        for name, numpy_cast, half_cast in casts:
            half_cast()                              # compile (or load the cached kernel)
            a, b = best_of(numpy_cast), best_of(half_cast)
            print(f"{kind:<10} {name:<19} numpy {a / n * 1e9:6.1f} ns  half {b / n * 1e9:6.1f} ns"
                  f"  ratio numpy/half {a / b:5.1f}x")


if __name__ == "__main__":
    main()
