"""Time the segment search: the slow oracle against the numba one, on the same matrices.

Matrices: a 600×600 random one (random sections that recur, see :func:`random_matrix`), and the five JKU pieces as raw-CQT self-similarity matrices
(no model needed; kept in ``output/_bench_raw/`` with an ``ss_matrices_filelist.txt``, so that
``python extract_motives.py _bench_raw -csv jku_csv_files.txt`` can be timed afterwards).
Both searches get the median-subtracted matrix, the piece's ``min_dur`` and ``-th 0.0105``;
their segments are checked to be identical. The last line is the ratio of the total times.

Usage::

    python bench/segment_search.py            # random + all five pieces (oracle: minutes)
    python bench/segment_search.py --quick    # random + wtc2f20-poly only
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from complex_auto.jku import JKU_BPM  # noqa: E402
from complex_auto.layout import RunLayout  # noqa: E402
from complex_auto.nf14 import DEFAULT_TH, find_segments, search_params  # noqa: E402
from complex_auto.utils import atomic_write_text, save_npy  # noqa: E402
from tests.segment_oracle import oracle_find_segments, raw_cqt_matrix  # noqa: E402

AUDIO_LIST = ROOT / "jku_input_audio.txt"


def bench_run(run="_bench_raw"):
    """Raw-CQT matrices of the JKU audio in ``output/RUN`` (made once), in list order."""
    layout = RunLayout(run, ROOT / "output").make()
    paths = []
    for line in AUDIO_LIST.read_text().split():
        audio = ROOT / line
        out = layout.matrix(audio.name)
        if not out.is_file():
            print(f"making {out.relative_to(ROOT)} ...", flush=True)
            save_npy(out, raw_cqt_matrix(audio))
        paths.append(out)
    atomic_write_text(layout.matrix_list,
                      "".join(f"{p.relative_to(ROOT)}\n" for p in paths))
    return paths


def random_matrix(n=600, seed=1):
    """A random ``n × n`` matrix with repeats: random feature sections, some of them recurring
    with noise, through the self-similarity recipe. (A matrix of independent noise holds no
    stripe of ``min_dur`` frames, so the search would only lower its threshold below 0.)"""
    from complex_auto.selfsim import PAD, self_similarity

    rng = np.random.default_rng(seed)
    sections = [rng.standard_normal((int(rng.integers(60, 140)), 24)) for _ in range(4)]
    seq = []
    while sum(len(s) for s in seq) < n - PAD:
        s = sections[int(rng.integers(len(sections)))]
        seq.append(s + 0.3 * rng.standard_normal(s.shape))
    return self_similarity(np.concatenate(seq)[:n - PAD])


def timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="random matrix and wtc2f20-poly only")
    args = ap.parse_args()

    cases = []
    cases.append(("random 600x600 (bpm 120)", random_matrix(), 120))
    for path in bench_run():
        piece = path.name.split(".")[0]
        if args.quick and piece != "wtc2f20-poly":
            continue
        cases.append((piece, np.load(path), JKU_BPM[piece]))

    find_segments(np.zeros((40, 40)) + 1, 3)   # load the compiled search before timing
    total_oracle = total_fast = 0.0
    print(f"{'matrix':28s} {'N':>5s} {'segments':>8s} {'oracle s':>9s} {'fast s':>8s} {'ratio':>7s}")
    for name, X, bpm in cases:
        X = X - np.median(X)
        _, min_dur, _ = search_params(bpm)
        (fast, th_f), t_fast = timed(find_segments, X, min_dur, DEFAULT_TH)
        (slow, th_s), t_oracle = timed(oracle_find_segments, X, min_dur, DEFAULT_TH)
        if fast.tolist() != slow or th_f != th_s:
            raise SystemExit(f"{name}: fast and oracle searches differ")
        total_oracle += t_oracle
        total_fast += t_fast
        print(f"{name:28s} {len(X):5d} {len(fast):8d} {t_oracle:9.2f} {t_fast:8.3f} "
              f"{t_oracle / t_fast:7.0f}", flush=True)
    print(f"total: oracle {total_oracle:.2f} s, fast {total_fast:.3f} s (identical segments)")
    print(f"ratio oracle/fast: {total_oracle / total_fast:.0f}x")


if __name__ == "__main__":
    main()
