#!/usr/bin/env python
"""Stored type of the matrices against the finders' results, on the JKU.

Matrices beyond 8192 rows are stored in float32 and beyond 32,768 rows in float16
(complex_auto/selfsim.py). This converts the five JKU recordings once (their matrices are
short, so float64), stores copies of the matrices in float32 and float16, runs every
``extract_motives.py --method`` on each copy, and prints the mean scores beside the float64
ones and how many pieces' ``.seg`` differ from float64's.

    python bench/storage.py                     # models/cqt_piano
    python bench/storage.py --model models/cqt_jku/model_complex_auto_cqt.save \\
        --config models/cqt_jku/config_cqt.ini
"""
import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from complex_auto.evaluation import evaluate_folder  # noqa: E402
from complex_auto.patterns import METHODS, extract_run  # noqa: E402

SHOWN = ("Est_F", "Occ.75_F", "Occ.5_F", "ThreeLayer_F")
TYPES = (np.float64, np.float32, np.float16)


def stored_copy(base, dtype):
    """A run folder beside ``base`` whose matrices are ``base``'s stored as ``dtype``."""
    src, run = ROOT / "output" / base, f"{base}_{np.dtype(dtype).name}"
    dst = ROOT / "output" / run
    shutil.rmtree(dst, ignore_errors=True)
    dst.mkdir(parents=True)
    shutil.copy(src / "conversion.json", dst)
    lines = []
    for line in (src / "ss_matrices_filelist.txt").read_text().splitlines():
        path, *bpm = line.split("\t")
        out = dst / Path(path).name
        np.save(out, np.load(path).astype(dtype))
        lines.append("\t".join([str(out.relative_to(ROOT)), *bpm]))
    (dst / "ss_matrices_filelist.txt").write_text("\n".join(lines) + "\n")
    return run


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("--model", default=str(ROOT / "models/cqt_piano/model_complex_auto_cqt.save"),
                   help="the CAE whose matrices are stored (default: the shipped one)")
    p.add_argument("--config", default=str(ROOT / "models/cqt_piano/config_cqt.ini"),
                   help="its config (default: the shipped one's)")
    args = p.parse_args()
    base = "bench_storage_jku"
    subprocess.run([sys.executable, str(ROOT / "convert.py"), base, "jku_input_audio.txt",
                    str(Path(args.config).resolve()), "--model", str(Path(args.model).resolve()),
                    "--self-sim-matrix"], cwd=ROOT, check=True)
    runs = {np.dtype(t).name: stored_copy(base, t) for t in TYPES}
    print(f"{'method':<10}{'stored':<9}" + "".join(f"{c:>14}" for c in SHOWN)
          + "   .seg differing from float64")
    for method in METHODS:
        segs = {}
        for name, run in runs.items():
            extract_run(run, csv_list=str(ROOT / "jku_csv_files.txt"), method=method, plot=False,
                        root=ROOT / "output", overwrite=True)
            _, mean, _ = evaluate_folder(ROOT / "output" / run, est_extensions=(".seg",))
            segs[name] = {f.name: f.read_bytes() for f in (ROOT / "output" / run).glob("*.seg")}
            differ = sum(segs[name][k] != v for k, v in segs["float64"].items())
            print(f"{method:<10}{name:<9}" + "".join(f"{mean[c]:14.3f}" for c in SHOWN)
                  + f"   {differ} of {len(segs['float64'])}")


if __name__ == "__main__":
    main()
