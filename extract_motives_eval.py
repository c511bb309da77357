#!/usr/bin/env python
"""Score discovered patterns against a ground truth with the MIREX measures (mir_eval).

Examples
--------
    python extract_motives_eval.py jku
    python extract_motives_eval.py vmo --estdir data/peers/vmo     # VMO's published outputs
    python extract_motives_eval.py jku --matches     # and which annotation each pattern finds
"""
import argparse

from complex_auto import cli
from complex_auto.evaluation import (establishment_matrix, evaluate_run, format_matches,
                                     format_table, format_three_layer, piece_matrices,
                                     three_layer_matrix)
from complex_auto.jku import DEFAULT_REFDIR
from complex_auto.layout import RunLayout
from complex_auto.report import refresh_report


def parser():
    p = argparse.ArgumentParser(
        description="Score the patterns in output/RUN/*.seg (written by extract_motives.py) "
                    "against references of the same piece name: establishment, occurrence "
                    "(.75 and .5), three-layer and standard F/P/R (mir_eval). Prints the "
                    "per-piece table and the mean, appends them to output/RUN/results.txt and "
                    "writes output/RUN/results.csv. When the run has an HTML report "
                    "(output/RUN/report/index.html) and --estdir is not given, it also "
                    "rebuilds the report with the new scores and their --refdir, using the "
                    "other options of the report's previous build (its --csv and --bpm, "
                    "recorded in output/RUN/report/report.json by extract_motives.py or "
                    "python -m complex_auto.report).",
        epilog="Files are paired by piece name (the file name up to its first dot); files "
               "without a partner are listed and left out of the mean. If the report cannot "
               "be rebuilt (e.g. a csv list recorded by its previous build no longer "
               "exists), a warning says why and the evaluation still succeeds; rebuild it "
               "with python -m complex_auto.report RUN and new options.")
    p.add_argument("run", metavar="RUN", help="run keyword: output/RUN/ holds estimates and results")
    p.add_argument("--refdir", "-refdir", dest="refdir", default=str(DEFAULT_REFDIR),
                   metavar="DIR", help="references, DIR/PIECE.txt in MIREX format "
                                       "(default: %(default)s)")
    p.add_argument("--estdir", "-estdir", dest="estdir", metavar="DIR",
                   help="score this folder's MIREX files (PIECE.seg, or PIECE.txt when it has "
                        "no .seg, e.g. a peer's published outputs) instead of output/RUN/*.seg; "
                        "results still go to output/RUN/")
    p.add_argument("--matches", action="store_true",
                   help="also print, per piece, how well each found pattern matches each "
                        "annotated one (the establishment matrix: rows found patterns in file "
                        "order, columns annotated ones), to see which patterns cost "
                        "precision and which annotations were missed; and for each annotated "
                        "pattern the found one that matches it best by three-layer F, with "
                        "how many of the found occurrences are right (occ P) and how many of "
                        "the annotated ones were found (occ R)")
    cli.add_verbose(p)
    return p


def main(args):
    rows, mean, unpaired, text = evaluate_run(args.run, refdir=args.refdir, estdir=args.estdir)
    for piece in unpaired["estimate_only"]:
        cli.log.warning("no reference for estimate %s (not scored)", piece)
    for piece in unpaired["reference_only"]:
        cli.log.warning("no estimate for reference %s (not scored)", piece)
    print(format_table(rows, mean))
    missing = unpaired["reference_only"]
    if missing and rows:
        # a piece without a .seg would otherwise lift the mean above the run's: say so last
        cli.log.warning("the mean is over %d of %d references, without %s (an empty .seg "
                        "would count as 0)", len(rows), len(rows) + len(missing),
                        ", ".join(missing))
    layout = RunLayout(args.run)
    if args.matches:
        estdir, ext = ((layout.dir, (".seg",)) if args.estdir is None
                       else (args.estdir, (".seg", ".txt")))
        both = piece_matrices(lambda ref, est: (establishment_matrix(ref, est),
                                                three_layer_matrix(ref, est)),
                              estdir, args.refdir, ext)
        for piece, (S, layer) in both:
            print("\n" + format_matches(S, piece))
            print("\n" + format_three_layer(layer, piece))
    cli.log.info("appended to %s; wrote %s", layout.results_txt, layout.results_csv)
    if args.estdir is None:         # a peer's files are not the patterns of this run's report
        refresh_report(args.run, refdir=args.refdir)    # the ground truth of its scores


if __name__ == "__main__":
    cli.run(main, parser())
