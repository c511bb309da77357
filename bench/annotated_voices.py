#!/usr/bin/env python
"""How many voices the annotated occurrences of a data set hold, how much of them is melody,
and how much of the piece they cover.

    python bench/annotated_voices.py [FOLDER]

FOLDER holds ``csv_files.txt`` and ``groundtruth/PIECE.txt``, as for bench/discovery.py
(default: the JKU PDD, ``jku_csv_files.txt`` and ``data/jku/groundtruth``; ``PATH/TO/bps-dev``
for the motifs of BPS-dev). Per piece: the annotated
occurrences, the share of them that are one voice (no two notes with the same onset), and the
share of their notes that are the highest sounding at their onset, the skyline that
``extract_motives.py --notes melody`` keeps (complex_auto.melody). An audio finder's span
stands for every note in it: where annotations hold one voice that is the melody,
``--notes melody`` suits them; where they hold chords and several voices, the default.

Column *spanned* is the share of the occurrences that are at least three quarters of the
notes of their own span (from their first to their last onset): reported as exactly that span,
as the ceiling of bench/discovery.py reports it, such an occurrence matches its annotation at
.75 or better, the threshold of Occ.75_F; the others it does not, because their span also
holds the notes of other voices (a shorter span may still, where it leaves out a chord at an
end). Where few are spanned, occurrence F at .75 is mostly out of reach of an audio finder
with every note of its spans (``--notes span``, the default).

The last column is the share of the annotated stretch of each piece (from its first to its
last annotated onset) that lies within some annotated occurrence (from its first to its last
onset). Where it is high, a span dropped at random lies on an annotated occurrence most of the
time, and establishment F, which scores each pattern by its best occurrence, is high by chance
(the chance control of bench/discovery.py shows how high).
"""
import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from complex_auto.errors import DataError  # noqa: E402
from complex_auto.evaluation import load_patterns  # noqa: E402
from complex_auto.jku import occurrence_onsets, read_csv_list, read_score_csv  # noqa: E402
from complex_auto.layout import piece_name  # noqa: E402
from complex_auto.melody import skyline  # noqa: E402
from complex_auto.patterns import span_notes  # noqa: E402


def _pieces(folder=None):
    """(piece, score csv, its ground truth file) of each piece of the data set."""
    if folder is None:
        csvs, refdir = ROOT / "jku_csv_files.txt", ROOT / "data/jku/groundtruth"
    else:
        csvs, refdir = Path(folder) / "csv_files.txt", Path(folder) / "groundtruth"
    for csv in read_csv_list(csvs):
        yield piece_name(csv), csv, refdir / f"{piece_name(csv)}.txt"


def _occurrences(path):
    """Every annotated occurrence of a ground truth file, pattern after pattern."""
    return [o for p in load_patterns(path) for o in p]


def voices(folder=None):
    """Piece -> (occurrences, one-voice occurrences, notes, notes on the skyline)."""
    out = {}
    for piece, csv, truth in _pieces(folder):
        score = read_score_csv(csv, durations=True)
        top = set(map(tuple, score[skyline(score), :2]))
        occurrences = _occurrences(truth)
        out[piece] = (len(occurrences),
                      sum(len({n[0] for n in o}) == len(o) for o in occurrences),
                      sum(map(len, occurrences)),
                      sum(tuple(n) in top for o in occurrences for n in o))
    return out


def spanned(folder=None):
    """Piece -> (annotated patterns, patterns with a spanned occurrence, lengths in beats of
    the spanned occurrences): those at least three quarters of the notes of their own span."""
    out = {}
    for piece, csv, truth in _pieces(folder):
        score = read_score_csv(csv)
        patterns, lengths = load_patterns(truth), []
        with_one = 0
        for pattern in patterns:
            found = []
            for occ in pattern:
                first, last = occurrence_onsets(occ)
                # the notes a span maps onto (patterns.span_notes), as the ceiling maps them
                held = len(span_notes(score, first, last + 1e-3))
                if len(set(map(tuple, occ))) >= 0.75 * max(held, len(occ)):
                    found.append(last - first)
            lengths += found
            with_one += bool(found)
        out[piece] = (len(patterns), with_one, lengths)
    return out


def coverage(folder=None):
    """Piece -> share of its annotated stretch (first to last annotated onset, in beats) that
    lies within an annotated occurrence (its first to its last onset)."""
    out = {}
    for piece, _, truth in _pieces(folder):
        spans = sorted(occurrence_onsets(o) for o in _occurrences(truth) if o)
        if not spans:
            out[piece] = 0.0
            continue
        first, last = spans[0][0], max(b for _, b in spans)
        covered, reach = 0.0, first
        for a, b in spans:              # the union of the spans, swept in order of start
            covered += max(0.0, b - max(a, reach))
            reach = max(reach, b)
        out[piece] = covered / (last - first) if last > first else 0.0
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("folder", nargs="?", metavar="FOLDER",
                   help="data set folder (default: the JKU PDD)")
    args = p.parse_args()
    try:
        pieces, covered = voices(args.folder), coverage(args.folder)
        spans = spanned(args.folder)
    except DataError as e:
        sys.exit(f"error: {e}")
    print(f"{'piece':<20}{'occurrences':>12}{'one voice':>11}{'notes':>8}{'melody':>8}"
          f"{'spanned':>9}{'covered':>9}")
    for piece, (n, mono, notes, top) in pieces.items():
        print(f"{piece:<20}{n:>12}{mono / n:>11.2f}{notes:>8}{top / notes:>8.2f}"
              f"{len(spans[piece][2]) / n:>9.2f}{covered[piece]:>9.2f}")
    n, mono, notes, top = np.sum(list(pieces.values()), axis=0)
    lengths = [b for _, _, piece_lengths in spans.values() for b in piece_lengths]
    print(f"{'all':<20}{n:>12}{mono / n:>11.2f}{notes:>8}{top / notes:>8.2f}"
          f"{len(lengths) / n:>9.2f}{np.mean(list(covered.values())):>9.2f}")
    patterns = sum(p for p, _, _ in spans.values())
    with_one = sum(k for _, k, _ in spans.values())
    median = f", median {np.median(lengths):g} beats from first to last onset" if lengths else ""
    print(f"\nspanned: {len(lengths)} of {n} occurrences{median}, in {with_one} of {patterns} "
          "patterns")


if __name__ == "__main__":
    main()
