#!/usr/bin/env python
"""A run's scores beside its chance control: its own patterns moved to random places.

    python bench/chance.py RUN [--refdir DIR] [--seeds 3] [--first-seed 0] [--shares]

RUN must have been through ``extract_motives.py`` with csv scores. Every pattern keeps its
number of occurrences and their lengths; each occurrence gets a uniformly random start in the
piece; the spans are mapped onto the score the way the run's method maps them and scored with
the same MIREX measures (complex_auto.chance). A finder that does not beat this has found
nothing. The control is a draw: ``--first-seed`` takes other seeds, to see how much it varies
(one generator a seed places the pieces in the run's order, so the same patterns listed in
another order are another draw).

``--shares`` also says why establishment recall is won or lost against chance. For each
annotated pattern it takes the found occurrence that matches one of its occurrences best (the
score behind establishment recall) and splits that score into the two shares it is the
smaller of (complex_auto.evaluation.establishment_parts): *cover*, the share of the
annotated occurrence's notes that the found one holds, and *purity*, the share of the found
occurrence's notes that are annotated. Means over the annotated patterns, per piece and over
the pieces, for the run and for its random placements.
"""
import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from complex_auto.chance import chance_patterns, chance_scores  # noqa: E402
from complex_auto.cli import at_least_one, not_negative  # noqa: E402
from complex_auto.errors import ComplexAutoError  # noqa: E402
from complex_auto.evaluation import (establishment_parts, evaluate_folder,  # noqa: E402
                                     load_patterns)
from complex_auto.jku import DEFAULT_REFDIR  # noqa: E402
from complex_auto.layout import RunLayout  # noqa: E402
from complex_auto.utils import counted  # noqa: E402

SHOWN = ("Est_F", "Occ.75_F", "Occ.5_F", "ThreeLayer_F")
SHARES = ("score", "cover", "purity")


def recall_shares(reference, estimate):
    """Mean over the annotated patterns of their best match's (score, cover, purity).

    The best match of an annotated pattern is the found pattern, and within the two the pair
    of occurrences, of highest cardinality score (its mean is establishment recall); an
    estimate without patterns gives zeros.

    Returns
    -------
    np.ndarray, shape (3,)
    """
    score, cover, purity = establishment_parts(reference, estimate)
    if score.size == 0:
        return np.zeros(3)
    rows = np.arange(len(score))
    best = score.argmax(axis=1)
    return np.array([m[rows, best].mean() for m in (score, cover, purity)])


def shares_table(run, refdir, placements):
    """Per piece: (run's :func:`recall_shares`, their mean over the random placements).

    ``placements`` is what :func:`complex_auto.chance.chance_patterns` yields for the run, as a
    list: the same placements that :func:`complex_auto.chance.chance_scores` scores.
    """
    out = {}
    for piece in placements[0]:
        reference = load_patterns(Path(refdir) / f"{piece}.txt")
        found = recall_shares(reference, load_patterns(RunLayout(run).dir / f"{piece}.seg"))
        chance = np.mean([recall_shares(reference, [[[tuple(n) for n in occ] for occ in p]
                                                     for p in placed[piece]])
                          for placed in placements], axis=0)
        out[piece] = (found, chance)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run", metavar="RUN",
                   help="a run in output/ that extract_motives.py has processed with csv scores")
    p.add_argument("--refdir", default=str(DEFAULT_REFDIR),
                   help="ground truth folder, PIECE.txt per piece (default: the JKU's, "
                        "data/jku/groundtruth)")
    p.add_argument("--seeds", type=at_least_one, default=3,
                   help="random placements averaged for the chance control (default 3)")
    p.add_argument("--first-seed", type=not_negative, default=0, metavar="K",
                   help="the placements' seeds are K, K+1, ... (default 0); other seeds show "
                        "how much the control varies from draw to draw")
    p.add_argument("--shares", action="store_true",
                   help="also split each annotated pattern's best match into the share of its "
                        "notes the found occurrence holds (cover) and the share of the found "
                        "occurrence's notes that are annotated (purity), run beside chance")
    args = p.parse_args()
    _, mean, _ = evaluate_folder(RunLayout(args.run).dir, args.refdir, est_extensions=(".seg",))
    # drawn once: --shares reads the same placements that the chance row scores (without it,
    # chance_scores draws them one seed at a time and holds none)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    placements = list(chance_patterns(args.run, seeds)) if args.shares else None
    chance = chance_scores(args.run, seeds=seeds, refdir=args.refdir, placements=placements)
    print(f"{'':<8}" + "".join(f"{c:>14}" for c in SHOWN))
    print(f"{'run':<8}" + "".join(f"{mean[c]:14.3f}" for c in SHOWN))
    print(f"{'chance':<8}" + "".join(f"{chance[c]:14.3f}" for c in SHOWN))
    # a run and its chance both at 0 is a tie, not a run infinitely above chance
    print(f"{'ratio':<8}" + "".join(f"{mean[c] / chance[c]:14.2f}" if chance[c]
                                    else f"{'—' if not mean[c] else 'inf':>14}"
                                    for c in SHOWN))
    print(f"chance: {counted(len(seeds), 'placement')}, seed{'s' if len(seeds) > 1 else ''} "
          f"{seeds[0]}{f'-{seeds[-1]}' if len(seeds) > 1 else ''}")
    if args.shares:
        table = shares_table(args.run, args.refdir, placements)
        print("\neach annotated pattern's best match: score = min(cover, purity); "
              "mean over the annotated patterns")
        print(f"{'piece':<22}" + "".join(f"{'run ' + s:>13}" for s in SHARES)
              + "".join(f"{'chance ' + s:>15}" for s in SHARES))
        rows = list(table.items()) + [("mean", tuple(np.mean([v[k] for v in table.values()],
                                                             axis=0) for k in (0, 1)))]
        for piece, (found, rand) in rows:
            print(f"{piece:<22}" + "".join(f"{v:13.3f}" for v in found)
                  + "".join(f"{v:15.3f}" for v in rand))


if __name__ == "__main__":
    try:
        main()
    except ComplexAutoError as e:      # a folder or run it cannot use: one line, exit 1
        sys.exit(f"error: {e}")
