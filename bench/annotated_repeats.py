#!/usr/bin/env python
"""How strongly a run's matrices mark the annotated repeats, beside random pairs of spans.

    python bench/annotated_repeats.py RUN [--refdir DIR] [--seed 0] [--boundaries]

RUN must have been through ``extract_motives.py`` with csv scores (any method). For every pair
of annotated occurrences of a pattern, the mean of the ``families`` finder's matrix
(lag-normalised similarity as a quantile of the piece, 1 = the most similar pairs of the piece)
along the pair's diagonal; beside it the same for random pairs of spans of the same lengths
(complex_auto.annotated). Annotated pairs near 1 and random ones near 0.5 mean the
representation marks the repeats and the finder has something to find.

``--boundaries`` also prints the same matrix along the annotated pairs' diagonals at a few
beats before and after their annotated start and end (the last onset): how the similarity of
a repeat rises and falls across its boundaries, which the windows of the features smear.
"""
import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from complex_auto.cli import not_negative  # noqa: E402
from complex_auto.annotated import PROFILE_BEATS, repeat_quantiles  # noqa: E402
from complex_auto.errors import DataError  # noqa: E402
from complex_auto.jku import DEFAULT_REFDIR  # noqa: E402


def summary(values):
    """Median and the shares at least .8 and .9 of an array of quantiles."""
    v = np.asarray(values)
    return f"{np.median(v):7.2f}{np.mean(v >= 0.8):7.2f}{np.mean(v >= 0.9):7.2f}"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run", metavar="RUN",
                   help="an extracted run: output/RUN/ holds extraction.json and the matrices")
    p.add_argument("--refdir", default=str(DEFAULT_REFDIR),
                   help="ground truth folder (default %(default)s; FOLDER/groundtruth for "
                        "another data set)")
    p.add_argument("--seed", type=not_negative, default=0, help="seed of the random pairs")
    p.add_argument("--boundaries", action="store_true",
                   help="also print the mean quantile along the annotated pairs at "
                        f"{', '.join(f'{b:+d}' for b in PROFILE_BEATS)} beats from their "
                        "annotated start and end")
    args = p.parse_args()
    try:
        pieces = repeat_quantiles(args.run, args.refdir, args.seed)
    except DataError as e:
        sys.exit(f"error: {e}")
    head = "".join(f"{c:>7}" for c in ("median", ">=.8", ">=.9"))
    print(f"{'piece':<20}{'patterns':>9}{'pairs':>7}   annotated{head}   random{head}")
    every = {"annotated": [], "random": []}
    for piece, patterns in pieces.items():
        if not patterns:        # no two occurrences of a pattern fit the matrix
            print(f"{piece:<20}{0:>9}{0:>7}")
            continue
        ann = np.concatenate([q["annotated"] for q in patterns])
        rnd = np.concatenate([q["random"] for q in patterns])
        every["annotated"].append(ann)
        every["random"].append(rnd)
        print(f"{piece:<20}{len(patterns):>9}{len(ann):>7}   {'':9}{summary(ann)}   {'':6}"
              f"{summary(rnd)}")
    if not every["annotated"]:
        sys.exit(f"error: {args.run}: no pair of annotated occurrences fits its matrices")
    ann, rnd = (np.concatenate(every[k]) for k in ("annotated", "random"))
    print(f"{'all pairs':<20}{'':>9}{len(ann):>7}   {'':9}{summary(ann)}   {'':6}{summary(rnd)}")
    if args.boundaries:
        print_boundaries(pieces)


def print_boundaries(pieces):
    """Per piece and over all pairs, the mean quantile at PROFILE_BEATS from the annotated
    start and from the annotated end (NaN where a pair runs off the matrix is left out)."""
    cols = "".join(f"{b:>+6d}" for b in PROFILE_BEATS)
    for edge in ("start", "end"):
        print(f"\naround the annotated {edge}: mean quantile, beats from it")
        print(f"{'piece':<20}{'pairs':>7}{cols}")
        rows = []
        for piece, patterns in pieces.items():
            if patterns:
                v = np.vstack([q[edge] for q in patterns])
                rows.append(v)
                print(f"{piece:<20}{len(v):>7}" + "".join(f"{m:6.2f}" for m in np.nanmean(v, 0)))
        v = np.vstack(rows)
        print(f"{'all pairs':<20}{len(v):>7}" + "".join(f"{m:6.2f}" for m in np.nanmean(v, 0)))


if __name__ == "__main__":
    main()
