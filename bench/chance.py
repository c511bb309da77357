#!/usr/bin/env python
"""A run's scores beside its chance control: its own patterns moved to random places.

    python bench/chance.py RUN [--refdir DIR] [--seeds 3]

RUN must have been through ``extract_motives.py`` with csv scores. Every pattern keeps its
number of occurrences and their lengths; each occurrence gets a uniformly random start in the
piece; the spans are mapped onto the score the way the run's method maps them and scored with
the same MIREX measures (complex_auto.chance). A finder that does not beat this has found
nothing.
"""
import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from complex_auto.chance import chance_scores  # noqa: E402
from complex_auto.errors import ComplexAutoError  # noqa: E402
from complex_auto.evaluation import evaluate_folder  # noqa: E402
from complex_auto.jku import DEFAULT_REFDIR  # noqa: E402
from complex_auto.layout import RunLayout  # noqa: E402

SHOWN = ("Est_F", "Occ.75_F", "Occ.5_F", "ThreeLayer_F")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run", metavar="RUN")
    p.add_argument("--refdir", default=str(DEFAULT_REFDIR))
    p.add_argument("--seeds", type=int, default=3)
    args = p.parse_args()
    _, mean, _ = evaluate_folder(RunLayout(args.run).dir, args.refdir, est_extensions=(".seg",))
    chance = chance_scores(args.run, seeds=range(args.seeds), refdir=args.refdir)
    print(f"{'':<8}" + "".join(f"{c:>14}" for c in SHOWN))
    print(f"{'run':<8}" + "".join(f"{mean[c]:14.3f}" for c in SHOWN))
    print(f"{'chance':<8}" + "".join(f"{chance[c]:14.3f}" for c in SHOWN))
    print(f"{'ratio':<8}" + "".join(f"{mean[c] / chance[c] if chance[c] else float('inf'):14.2f}"
                                    for c in SHOWN))


if __name__ == "__main__":
    try:
        main()
    except ComplexAutoError as e:      # a folder or run it cannot use: one line, exit 1
        sys.exit(f"error: {e}")
