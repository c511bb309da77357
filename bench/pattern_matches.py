#!/usr/bin/env python
"""Which found patterns match an annotated one, piece by piece.

    python bench/pattern_matches.py RUN [--refdir DIR] [--match 0.75]

For every piece of an extracted run (``output/RUN/*.seg``, best pattern first) beside its
reference, prints the matrix behind the establishment scores
(complex_auto.evaluation.establishment_matrix): for each found pattern, its occurrences, the
onset span of its occurrences in beats (median), and its best cardinality score against each
annotated pattern; then each annotated pattern with the found pattern that matches it best.
The means of the two "best" columns are the piece's establishment precision and recall. A
found pattern that matches nothing is either a miss or a repeat the annotators did not mark:
this is where to look.
"""
import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from complex_auto.cli import share  # noqa: E402
from complex_auto.evaluation import (establishment_matrix, list_mirex_files,  # noqa: E402
                                     load_patterns, pair_by_name)
from complex_auto.jku import DEFAULT_REFDIR  # noqa: E402
from complex_auto.layout import RunLayout  # noqa: E402


def onset_span(pattern):
    """Median over the occurrences of last onset minus first onset (beats)."""
    return float(np.median([max(o for o, _ in occ) - min(o for o, _ in occ)
                            for occ in pattern if len(occ)]))


def describe(piece, ref, est, match):
    S = establishment_matrix(ref, est)
    found = int((S.max(axis=0) >= match).sum()) if S.size else 0
    hit = int((S.max(axis=1) >= match).sum()) if S.size else 0
    print(f"{piece}: {len(est)} found, {len(ref)} annotated; {found} found match an annotation "
          f"at >= {match:g}, {hit} of {len(ref)} annotations are matched")
    print(f"  {'found':>5} {'occ':>4} {'beats':>6} {'best':>5} {'match':>6} | against annotation "
          + " ".join(f"{i + 1:>4}" for i in range(len(ref))))
    for j, pattern in enumerate(est):
        col = S[:, j]
        best = f"{col.argmax() + 1:5d} {col.max():6.2f}" if len(col) else f"{'-':>5} {0:6.2f}"
        print(f"  {j + 1:5d} {len(pattern):4d} {onset_span(pattern):6.1f} {best} | "
              + " " * len("against annotation ") + " ".join(f"{v:4.2f}" for v in col))
    print(f"  {'annotated':>9} {'occ':>4} {'beats':>6} {'best found':>10} {'match':>6}")
    for i, pattern in enumerate(ref):
        row = S[i]
        best = f"{row.argmax() + 1:10d} {row.max():6.2f}" if len(row) else f"{'-':>10} {0:6.2f}"
        print(f"  {i + 1:9d} {len(pattern):4d} {onset_span(pattern):6.1f} {best}")
    precision = S.max(axis=0).mean() if S.shape[1] else 0.0
    recall = S.max(axis=1).mean() if S.shape[1] else 0.0
    print(f"  Est_P {precision:.3f} (mean of the found patterns' match), "
          f"Est_R {recall:.3f} (mean of the annotations' match)\n")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                epilog=__doc__.split("\n\n", 2)[2],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", metavar="RUN", help="an extracted run: output/RUN/*.seg")
    p.add_argument("--refdir", default=str(DEFAULT_REFDIR),
                   help="references PIECE.txt (default: the JKU ground truth in data/)")
    p.add_argument("--match", type=share, default=0.75,
                   help="a score that counts as a match in the summary lines (default .75, "
                        "the stricter MIREX occurrence threshold)")
    args = p.parse_args()
    folder = RunLayout(args.run).dir
    estimates = list_mirex_files(folder, (".seg",))
    if not estimates:
        sys.exit(f"error: {folder}: no .seg files; run extract_motives.py {args.run} with "
                 "csv scores first")
    pairs, _, _ = pair_by_name(estimates, list_mirex_files(args.refdir, (".txt",)))
    if not pairs:
        sys.exit(f"error: no piece of {folder} has a reference in {args.refdir}")
    for piece, est, ref in pairs:
        describe(piece, load_patterns(ref), load_patterns(est), args.match)


if __name__ == "__main__":
    main()
