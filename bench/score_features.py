#!/usr/bin/env python
"""The features or the finder? ``families`` on a matrix made from the score's own notes.

On an annotated set the scores of a finder mix two things: how well the matrix marks the
repeats (the features) and how well the finder reads them off it. This benchmark takes the
features out of the question. It replaces each recording's matrix by one computed from the
notes of its score, placed in the audio as the MIREX output places them (the score's first
onset at the recording's first sound, at the piece's tempo): what a perfect transcription
would give. Two windows are as similar as the notes they share (the cardinality score of the
MIREX measures, Collins 2013): the onsets of one window that recur in the other at the same
place within ``--tolerance-frames``, under the best transposition up to ``--transpose``
semitones, over the larger window's onsets. A window spans the CAE's ``length_ngram`` frames
and each matrix goes through the CAE recipe's band and diagonal smoothing (DESIGN.md §7), so
that only the features differ. Then ``extract_motives.py --method families`` runs on these
matrices, and its patterns are scored beside their chance control and beside the CAE's run.

    python bench/score_features.py                          # the JKU PDD in data/jku
    python bench/score_features.py ../shared/data/bps-dev    # a folder laid out like bps-dev
    python bench/score_features.py --transpose 0            # exact repeats only
    python bench/score_features.py --melody --notes melody  # a transcription of the melody

With ``--melody`` the matrices are made from the score's melody alone (the notes no higher
note covers at their onset, :func:`complex_auto.melody.skyline`): what a perfect melody
transcription, or a perfect separation of the top voice, would give. ``--notes`` maps the
patterns of both runs, on the score's matrices and on the CAE's, as ``extract_motives.py
--notes`` does (``melody`` for annotations of one voice).

It first runs (or, with --keep, reuses) ``bench/discovery.py --methods families`` on the set,
whose folder gives the matrices' sizes and the recordings' first sounds. The score's matrices
and patterns are written to output/bench_score_features_NAME_tT[_wB][_fF][_notes-N][_melody]/
(tolerance and --notes named when they are not the defaults: span, or melody with --melody).
"""
import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from discovery import (MODEL, SHOWN, dataset_name, run_dataset, run_name,  # noqa: E402
                       subset_bound)
from complex_auto.chance import chance_scores  # noqa: E402
from complex_auto.cli import at_least_one, not_negative, number  # noqa: E402
from complex_auto.errors import ComplexAutoError  # noqa: E402
from complex_auto.evaluation import evaluate_folder  # noqa: E402
from complex_auto.jku import read_score_csv  # noqa: E402
from complex_auto.melody import skyline  # noqa: E402
from complex_auto.patterns import NOTES, extract_run  # noqa: E402
from complex_auto.selfsim import BAND, convolve_same, diagonal_kernel, zero_band  # noqa: E402

#: Largest transposition between two windows, in semitones: repeats in another key move by less
#: than an octave (as ``recurrence.MAX_TRANSPOSITION`` assumes).
TRANSPOSE = 12
#: An onset recurs when the other window has one at the same pitch within this many frames:
#: a frame is 0.09 s, and an onset falls into one of two frames depending on rounding.
TOLERANCE_FRAMES = 1


def onset_roll(seconds, pitches, n_frames, frame_seconds):
    """Binary onset piano roll, shape (128, n_frames): 1 where a note starts in a frame."""
    roll = np.zeros((128, n_frames), np.float32)
    f = np.floor(np.asarray(seconds) / frame_seconds).astype(int)
    ok = (f >= 0) & (f < n_frames)
    roll[np.asarray(pitches, int)[ok], f[ok]] = 1.0
    return roll


def note_similarity(seconds, pitches, n_rows, window, frame_seconds,
                    transpose=TRANSPOSE, tolerance=TOLERANCE_FRAMES, span=None):
    """Similarity of every pair of windows of ``window`` frames: their shared notes.

    Parameters
    ----------
    seconds, pitches : np.ndarray, shape (n,)
        Note onsets in seconds of the recording and their MIDI pitches.
    n_rows : int
        Windows (row ``i`` covers frames ``i .. i + window - 1``, as ``convert.py``'s n-grams).
    window : int
        Frames per window.
    frame_seconds : float
        Seconds per frame.
    transpose, tolerance
        See :data:`TRANSPOSE` and :data:`TOLERANCE_FRAMES`.
    span : int, optional
        Compare only the central ``span`` frames of each window (default all ``window``): a
        finer time resolution, with every row still placed where ``convert.py`` places it.

    Returns
    -------
    np.ndarray, shape (n_rows, n_rows), float32
        Symmetric, in [0, 1]: the larger of the two directions' counts of recurring onsets,
        under the best transposition, over the larger window's onsets.
    """
    span = window if span is None else min(max(1, int(span)), window)
    lo = (window - span) // 2        # the central frames of each n-gram window
    roll = onset_roll(seconds, pitches, n_rows + window, frame_seconds)
    near = roll.copy()               # onsets widened by the tolerance: the side that is matched
    for d in range(1, tolerance + 1):
        near[:, d:] = np.maximum(near[:, d:], roll[:, :-d])
        near[:, :-d] = np.maximum(near[:, :-d], roll[:, d:])
    counts = np.convolve(roll.sum(0), np.ones(span), "valid")[lo:lo + n_rows]
    best = np.zeros((n_rows, n_rows), np.float32)
    for k in range(-transpose, transpose + 1):
        shifted = np.zeros_like(near)
        if k >= 0:
            shifted[:128 - k] = near[k:]
        else:
            shifted[-k:] = near[:128 + k]
        frames = roll.T @ shifted    # onsets of frame x found in frame y, k semitones up
        pairs = np.zeros((n_rows, n_rows), np.float32)
        for t in range(lo, lo + span):   # sum along the diagonals over a window
            pairs += frames[t:t + n_rows, t:t + n_rows]
        np.maximum(best, pairs, out=best)
    sim = best / np.maximum(np.maximum.outer(counts, counts), 1.0).astype(np.float32)
    return np.maximum(sim, sim.T)


def score_notes(path, melody=False):
    """Onsets (beats) and MIDI pitches of a score csv, shape (notes, 2): every note, or with
    ``melody`` only those no higher note covers at their onset (the skyline)."""
    score = np.asarray(read_score_csv(path, durations=melody))
    if melody:
        score = score[skyline(score)]
    return score[:, :2]


def recipe(sim):
    """The CAE matrix's smoothing (DESIGN.md §7): band zeroed, diagonal kernel, min-max."""
    out = convolve_same(zero_band(sim.astype(np.float64), BAND), diagonal_kernel())
    out = zero_band(out, BAND)
    lo, hi = out.min(), out.max()
    return (out - lo) / (hi - lo) if hi > lo else out


def score_run(source, run, transpose, tolerance, window_beats=None, melody=False):
    """Copy the CAE run ``source`` to ``run`` with every matrix made from the score's notes
    (with ``melody``, its melody's)."""
    src, dst = ROOT / "output" / source, ROOT / "output" / run
    if dst.exists():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    conversion = json.loads((src / "conversion.json").read_text())
    extraction = json.loads((src / "extraction.json").read_text())
    window, frame = conversion["length_ngram"], conversion["frame_seconds"]
    pieces = {p["piece"]: p for p in extraction["pieces"]}
    piece_of = {}
    for entry in conversion["files"]:
        piece = pieces[entry["piece"]]
        cae = np.load(ROOT / entry["matrix"], mmap_mode="r")
        n_rows = len(cae) - extraction["pad"]
        score = score_notes(ROOT / piece["csv"], melody)
        # as the MIREX output maps them: the first onset at the first sound, at the piece's bpm
        seconds = (score[:, 0] - score[:, 0].min()) * 60.0 / piece["bpm"] + piece["audio_start"]
        M = np.zeros(cae.shape, np.float32)
        span = None if window_beats is None else round(window_beats * 60.0 / piece["bpm"] / frame)
        M[:n_rows, :n_rows] = recipe(note_similarity(seconds, score[:, 1], n_rows, window, frame,
                                                     transpose, tolerance, span))
        name = Path(entry["matrix"]).name
        np.save(dst / name, M)
        piece_of[name] = piece
        entry["matrix"] = str((dst / name).relative_to(ROOT))
        entry["features"] = None
    conversion["features"] = "score melody" if melody else "score notes"
    (dst / "conversion.json").write_text(json.dumps(conversion, indent=1))
    # the source's lists in its order, each matrix replaced by this run's (a second column of
    # the matrix list is the bpm)
    matrices, csvs = [], []
    for line in (src / "ss_matrices_filelist.txt").read_text().splitlines():
        path, tab, bpm = line.partition("\t")
        name = Path(path).name
        matrices.append(f"{(dst / name).relative_to(ROOT)}{tab}{bpm}\n")
        csvs.append(f"{ROOT / piece_of[name]['csv']}\n")
    (dst / "ss_matrices_filelist.txt").write_text("".join(matrices))
    (dst / "csv_files.txt").write_text("".join(csvs))
    return dst / "csv_files.txt"


class Result(NamedTuple):
    """What :func:`score_features` gives: ``families`` on the score's matrices and on the CAE's."""

    #: Per-piece score rows on the score's matrices (``evaluate_folder``'s).
    pieces: list
    #: Their mean, and the mean of their chance control.
    mean: dict
    chance: dict
    #: Piece -> scores of the chance control.
    piece_chance: dict
    #: ``bench/discovery.py``'s result for ``families`` on the CAE's matrices.
    cae: object
    #: Wall time of the extraction on the score's matrices, in seconds.
    seconds: float
    #: ``subset_bound`` of the run on the score's matrices (``subset=True``), else None.
    bound: dict | None


def score_features(folder=None, transpose=TRANSPOSE, tolerance=TOLERANCE_FRAMES,
                   window_beats=None, seeds=3, keep=True, subset=False, melody=False,
                   notes="span"):
    """Run ``families`` on matrices made from the scores of a data set; see the module doc.

    With ``subset``, the best choice among each run's own patterns (picked with the answers,
    ``bench/discovery.py --best-subset``) is scored too, on both kinds of matrices. With
    ``melody`` the matrices hold the score's melody only; ``notes`` maps the patterns of both
    runs (``extract_motives.py --notes``).
    """
    results, _ = run_dataset(folder, ("families",), seeds, keep, subset=subset, notes=notes,
                             durations=melody)
    name = dataset_name(folder)
    # every setting its own folder: pattern_matches.py and annotated_repeats.py read the
    # default's, which a run with another tolerance or --notes overwrote under its name
    run = (f"bench_score_features_{name}_t{transpose}"
           + (f"_w{window_beats:g}" if window_beats is not None else "")
           + (f"_f{tolerance}" if tolerance != TOLERANCE_FRAMES else "")
           + (f"_notes-{notes}" if notes != ("melody" if melody else "span") else "")
           + ("_melody" if melody else ""))
    csvs = score_run(run_name(folder, MODEL, "cae"), run, transpose, tolerance, window_beats,
                     melody)
    refdir = Path(folder).resolve() / "groundtruth" if folder else ROOT / "data/jku/groundtruth"
    t1 = time.perf_counter()
    extract_run(run, csv_list=str(csvs), method="families", refdir=refdir, plot=False,
                root=ROOT / "output", overwrite=True, audio_start="first-sound", notes=notes)
    seconds = time.perf_counter() - t1
    pieces, mean, _ = evaluate_folder(ROOT / "output" / run, refdir, est_extensions=(".seg",))
    chance, piece_chance = chance_scores(run, seeds=range(seeds), refdir=refdir,
                                         root=ROOT / "output", by_piece=True)
    bound = subset_bound(ROOT / "output" / run, refdir) if subset else None
    return Result(pieces, mean, chance, piece_chance, results["families"], seconds, bound)


def semitones(text):
    """argparse type of --transpose: 0 to 127 semitones (the MIDI range; below 0 scored
    nothing, above it failed deep in the note matrices)."""
    n = not_negative(text)
    if n > 127:
        raise argparse.ArgumentTypeError(f"must be at most 127 semitones, not {n}")
    return n


def positive(text):
    """argparse type of --window-beats: a number of beats above 0."""
    x = number(text)
    if x <= 0:
        raise argparse.ArgumentTypeError(f"must be above 0 beats, not {text}")
    return x


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("folder", nargs="?",
                   help="data set folder, laid out as for bench/discovery.py (default: the JKU "
                        "PDD in data/jku)")
    p.add_argument("--transpose", type=semitones, default=TRANSPOSE, metavar="T",
                   help=f"largest transposition between windows in semitones (default "
                        f"{TRANSPOSE}; 0: exact repeats only)")
    p.add_argument("--tolerance-frames", type=not_negative, default=TOLERANCE_FRAMES, metavar="F",
                   help=f"onsets this many frames apart are the same (default {TOLERANCE_FRAMES})")
    p.add_argument("--window-beats", type=positive, metavar="B",
                   help="compare only the central B beats of every window (default: the whole "
                        "window of the CAE's n-grams, 32 frames, about 6 beats at 120 bpm)")
    p.add_argument("--melody", action="store_true",
                   help="make the matrices from the score's melody alone (the highest note "
                        "sounding at each onset): a perfect melody transcription")
    p.add_argument("--notes", choices=NOTES, default=NOTES[0],
                   help="extract_motives.py --notes for both runs (default span: every note of "
                        "an occurrence's span; melody: its highest sounding notes)")
    p.add_argument("--best-subset", action="store_true",
                   help="also score the best choice among each run's own patterns, picked "
                        "with the answers: what the candidates hold, whatever the ranking")
    p.add_argument("--seeds", type=at_least_one, default=3, help="random placements for chance")
    p.add_argument("--keep", action="store_true",
                   help="reuse the CAE run of bench/discovery.py if it is there")
    args = p.parse_args()
    t0 = time.perf_counter()
    res = score_features(args.folder, args.transpose, args.tolerance_frames, args.window_beats,
                         args.seeds, args.keep, args.best_subset, args.melody, args.notes)
    window = f", central {args.window_beats:g} beats" if args.window_beats else ""
    source = "melody" if args.melody else "notes"
    print(f"\nfamilies on the score's {source} (transpose {args.transpose}{window}; onsets within "
          f"{args.tolerance_frames} frames; --notes {args.notes}), per piece: run (chance); "
          "below it the CAE's run (chance)")
    print(f"{'piece':<20}" + "".join(f"{c:>15}" for c in SHOWN))
    by_cae = {r["piece"]: r for r in res.cae.pieces}
    for r in res.pieces:
        c = by_cae[r["piece"]]
        print(f"{r['piece']:<20}" + "".join(
            f"{r[m]:8.3f} ({res.piece_chance[r['piece']][m]:.3f})" for m in SHOWN))
        print(f"{'  CAE':<20}" + "".join(
            f"{c[m]:8.3f} ({res.cae.piece_chance[r['piece']][m]:.3f})" for m in SHOWN))
    name = dataset_name(args.folder)
    print(f"\n{name}: families, mean over pieces (chance = the run's own patterns at random "
          f"places, {args.seeds} seeds); {time.perf_counter() - t0:.0f} s in all, "
          f"extraction on the score's matrices {res.seconds:.1f} s")
    print(f"{'features':<12} {'':<7}" + "".join(f"{c:>14}" for c in SHOWN))
    for label, m, ch, bound in ((f"score {source}", res.mean, res.chance, res.bound),
                                ("CAE", res.cae.mean, res.cae.chance, res.cae.bound)):
        print(f"{label:<12} {'run':<7}" + "".join(f"{m[c]:14.3f}" for c in SHOWN))
        print(f"{'':<12} {'chance':<7}" + "".join(f"{ch[c]:14.3f}" for c in SHOWN))
        print(f"{'':<12} {'margin':<7}" + "".join(f"{m[c] - ch[c]:+14.3f}" for c in SHOWN))
        if bound:
            print(f"{'':<12} {'subset':<7}" + "".join(f"{bound[c]:14.3f}" for c in SHOWN)
                  + "   (the best choice among its patterns, picked with the answers)")


if __name__ == "__main__":
    try:
        main()
    except ComplexAutoError as e:      # a folder or run it cannot use: one line, exit 1
        sys.exit(f"error: {e}")
