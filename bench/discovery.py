#!/usr/bin/env python
"""Pattern discovery on an annotated set, every finder beside its own chance control.

Converts the recordings of a data set once (with the model that ``run_batch_audio.sh
--pretrained`` uses, models/cqt_piano, unless --model), runs every
``extract_motives.py --method`` on the same matrices, scores each with the MIREX measures, and
scores each run's own patterns moved to random places (complex_auto.chance, three seeds), per
piece (with the number of pieces where the run beats its chance) and on the mean, then the
last finder's mean less the first's (families less nf14). A finder that does not beat its
chance control has found nothing. With --best-subset it also
prints what a choice among each run's own patterns scores (picked greedily with the answers,
complex_auto.evaluation.best_subset; the best choice scores no less): far above the run,
the ranking loses what the candidates found; close to it, the candidates themselves fall
short. Beside it, the run with only its occurrences that match an annotated one
(complex_auto.evaluation.matching_occurrences):
what a filter of the occurrences that knew the answers reaches; and the run with each
occurrence moved onto the annotated occurrence it overlaps (boundary_bound): what boundaries
placed with the answers reach.

    python bench/discovery.py                          # the JKU PDD in data/jku
    python bench/discovery.py ../shared/data/bps-dev    # a folder laid out like bps-dev
    python bench/discovery.py --focus-frames 16         # features of the windows' centres
    python bench/discovery.py --occurrence-p 0.005      # families' occurrences tested against chance
    python bench/discovery.py --best-subset             # best choices of patterns, occurrences, boundaries
    python bench/discovery.py --candidates              # what its candidates could recall at best
    python bench/discovery.py FOLDER --max-beats 8      # families searches motifs only
    python bench/discovery.py --notes recurring         # an occurrence's notes that recur
    python bench/discovery.py --notes melody            # its highest sounding notes

A data set folder holds ``input_audio.txt`` (``audio<TAB>bpm``, paths relative to the folder),
``csv_files.txt`` (the scores, paired by piece name) and ``groundtruth/PIECE.txt``; the lists are
read as convert.py reads them. Runs are written to
output/bench_discovery_NAME_MODELDIR_{features}[_focusN]/ (MODELDIR: the folder of --model, e.g.
cqt_piano; --keep to reuse a conversion made there with the same model and config, of the same
recordings and tempi, none changed since). The script runs from any folder. The finders
run there one after the other, so the folder keeps the last one's patterns: extract_motives.py
on it again (or --methods with one finder) gives the files of another.
"""
import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from statistics import fmean
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from complex_auto.chance import ceiling_scores, chance_scores  # noqa: E402
from complex_auto.cli import at_least_one, number  # noqa: E402
from complex_auto.errors import ComplexAutoError, DataError  # noqa: E402
from complex_auto.filelist import read_list  # noqa: E402
from complex_auto.jku import occurrence_onsets, read_csv_list, read_score_csv  # noqa: E402
from complex_auto.layout import piece_name  # noqa: E402
from complex_auto.evaluation import (best_subset, evaluate_folder, evaluate_piece,  # noqa: E402
                                     list_mirex_files, load_patterns, matching_occurrences,
                                     pair_by_name)
from complex_auto.patterns import METHODS, NOTES, extract_run, parse_audio_start  # noqa: E402

SHOWN = ("Est_F", "Occ.75_F", "Occ.5_F", "ThreeLayer_F")
#: The model and config of ``run_batch_audio.sh --pretrained``: never trained on the JKU
#: pieces (models/cqt_jku was), so its scores there are a fair test.
MODEL = ROOT / "models/cqt_piano/model_complex_auto_cqt.save"
CONFIG = ROOT / "models/cqt_piano/config_cqt.ini"


def dataset_lists(folder, tmp, durations=False):
    """Absolute-path copies of a data set's audio and csv lists; (audio list, csv list, refdir).

    The copies are written into ``tmp`` (made here). Raises DataError when ``folder`` is not
    laid out as the module's docstring says, or with ``durations`` when a score lacks the
    durations that a melody needs (``--notes melody``), before anything is written or converted.
    """
    if folder is None:
        if durations:
            _read_durations(read_csv_list(ROOT / "jku_csv_files.txt"))
        tmp.mkdir(parents=True, exist_ok=True)
        return ROOT / "jku_input_audio.txt", ROOT / "jku_csv_files.txt", ROOT / "data/jku/groundtruth"
    folder = Path(folder).resolve()
    if not folder.is_dir():
        raise DataError(f"{folder}: no such folder")
    for need, there in (("input_audio.txt", Path.is_file), ("csv_files.txt", Path.is_file),
                        ("groundtruth/", Path.is_dir)):
        if not there(folder / need):
            raise DataError(f"{folder}: no {need}; a data set folder holds input_audio.txt, "
                            f"csv_files.txt and groundtruth/ (see bench/discovery.py --help)")
    lists = {}
    for name, what in (("input_audio.txt", "audio"), ("csv_files.txt", "csv score")):
        # read as convert.py reads a list (comments, a tempo after a space, CRLF), written
        # back with absolute paths
        entries = read_list(folder / name, what, own_folder=True)
        files = [f.resolve() for f, _, _ in entries]
        lists[tmp / f"{folder.name}_{name}"] = "".join(
            f"{f}" + (f"\t{bpm}" if bpm is not None else "") + "\n"
            for f, (_, bpm, _) in zip(files, entries))
    if durations:
        _read_durations(files)          # the files of the last list: the scores
    tmp.mkdir(parents=True, exist_ok=True)
    for path, text in lists.items():
        path.write_text(text)
    audio, csvs = lists
    return audio, csvs, folder / "groundtruth"


def _read_durations(paths):
    # every score read as the melody reads it: a DataError names the first bad file and line
    for path in paths:
        read_score_csv(path, durations=True)


class Ceiling(NamedTuple):
    """What a perfect audio finder scores on a data set (:func:`ceiling`)."""

    #: Mean over pieces of the annotated spans' scores (every note they cover).
    top: dict
    #: Mean over pieces of the same spans at random places.
    chance: dict
    #: Piece -> ``(top, chance)`` of that piece: where a finder has room to gain.
    pieces: dict


def ceiling(csvs, refdir, seeds=3, notes="span"):
    """:func:`complex_auto.chance.ceiling_scores` of every piece and their means: the
    annotated spans themselves (every note they cover, or with ``notes="recurring"`` those
    that recur, with ``notes="melody"`` their melody) and the same spans at random places
    (``seeds`` draws).

    Returns
    -------
    Ceiling
    """
    pieces = {}
    for line in Path(csvs).read_text().splitlines():
        if line.strip():
            path = line.split("\t")[0]
            ref = Path(refdir) / f"{piece_name(path)}.txt"
            score = read_score_csv(path, durations=notes == "melody")
            pieces[piece_name(path)] = ceiling_scores(score, load_patterns(ref), range(seeds),
                                                      notes)
    top, chance = ({c: sum(r[k][c] for r in pieces.values()) / len(pieces) for c in SHOWN}
                   for k in (0, 1))
    return Ceiling(top, chance, pieces)


def _scored_pieces(estdir, refdir, score):
    # mean over pieces of score(reference, estimate) -> {measure: value}
    pairs, _, _ = pair_by_name(list_mirex_files(estdir, (".seg",)),
                               list_mirex_files(refdir, (".txt",)))
    rows = [score(load_patterns(ref), load_patterns(est)) for _, est, ref in pairs]
    return {m: sum(r[m] for r in rows) / len(rows) for m in rows[0]}


def subset_bound(estdir, refdir, measures=SHOWN):
    """Mean over pieces of :func:`complex_auto.evaluation.best_subset`, per measure.

    Each measure gets its own best subset of each piece's patterns (``.seg`` files of
    ``estdir`` paired by name with ``refdir/PIECE.txt``).
    """
    return _scored_pieces(estdir, refdir,
                          lambda ref, est: {m: best_subset(ref, est, m)[0] for m in measures})


def occurrence_bound(estdir, refdir, measures=SHOWN):
    """Mean over pieces of the scores of each piece's patterns with only the occurrences that
    match an annotated one (:func:`complex_auto.evaluation.matching_occurrences`), or of the
    whole estimate where that scores more: like :func:`subset_bound`, never below the run
    (a perfect filter would keep everything rather than lose)."""
    def score(ref, est):
        whole, kept = evaluate_piece(ref, est), evaluate_piece(ref, matching_occurrences(ref, est))
        return {m: max(whole[m], kept[m]) for m in measures}

    return _scored_pieces(estdir, refdir, score)


def snap_spans(spans, annotated, h, offset, shift=None, iou=None):
    """Found occurrences moved onto the annotated occurrences they overlap.

    Parameters
    ----------
    spans : list of np.ndarray, each shape (occurrences, 2)
        Frame spans ``[start, end)`` of each pattern (``.segraw``).
    annotated : list of (float, float)
        Annotated occurrences as ``(first onset, last onset)`` in beats.
    h, offset, shift
        As for :func:`complex_auto.patterns.patterns_to_notes`: frame ``f`` is at beat
        ``(f + shift)·h + offset`` (``shift=None``: ``nf14``'s whole beats, shift 0).
    iou : float, optional
        Least intersection over union of a found and an annotated span (in beats) for the
        move; default :data:`complex_auto.families.SAME_SPAN_IOU`, at which ``families``
        takes two spans for the same passage placed differently.

    Returns
    -------
    snapped : list of np.ndarray, each shape (occurrences, 2), float
        The spans, each occurrence whose span in beats overlaps an annotated one by ``iou``
        or more replaced by the best such: from its first onset to just after its last
        (``nf14``: the whole beats that hold them).
    moved : int
        How many occurrences were replaced.
    """
    import numpy as np

    from complex_auto import families

    iou = families.SAME_SPAN_IOU if iou is None else iou
    if not annotated:
        return [np.asarray(o, dtype=float) for o in spans], 0
    ref = np.asarray(annotated, dtype=float)
    sh = 0.0 if shift is None else shift
    snapped, moved = [], 0
    for pattern in spans:
        out = np.asarray(pattern, dtype=float).copy()
        for row in out:
            b0, b1 = (row + sh) * h + offset
            inter = np.clip(np.minimum(b1, ref[:, 1]) - np.maximum(b0, ref[:, 0]), 0, None)
            union = np.maximum(b1, ref[:, 1]) - np.minimum(b0, ref[:, 0])
            overlap = inter / np.maximum(union, 1e-9)
            k = int(overlap.argmax())
            if overlap[k] < iou:
                continue
            r0, r1 = ref[k]
            # the end is exclusive: just past the last onset (families' spans map every note
            # of [start, end)); nf14 maps whole beats, so the beats that hold the onsets
            beats = ((r0, r1 + 1 / 64) if shift is not None
                     else (np.floor(r0), np.floor(r1) + 1.0))
            row[:] = (np.asarray(beats) - offset) / h - sh
            moved += 1
        snapped.append(out)
    return snapped, moved


def boundary_bound(run, refdir, root=ROOT / "output", measures=SHOWN):
    """Mean over pieces of the scores of each piece's patterns with their occurrences moved
    onto the annotated occurrences they overlap (:func:`snap_spans`), or of the run where
    that scores more: what boundaries placed with the answers would reach.

    Every pattern and occurrence of the run stays; only where an occurrence lies is changed,
    and the moved spans are mapped onto notes as the run maps its own (``--notes``).

    Returns
    -------
    scores : dict
        measure -> mean over pieces.
    moved : float
        Share of the run's occurrences that were moved.
    """
    import numpy as np

    from complex_auto.layout import RunLayout
    from complex_auto.patterns import patterns_to_notes, piece_timing, read_segraw
    from complex_auto.runinfo import read_extraction

    layout = RunLayout(run, root)
    info = read_extraction(layout)
    shift = info["window"] / 2.0 if info.get("method") == "families" else None
    rows, moved, total = [], 0, 0
    for piece in info["pieces"]:
        if not piece["csv"]:            # no score: the run has no notes to match either
            continue
        score, offset, h = piece_timing(info, piece)
        ref = load_patterns(Path(refdir) / f"{piece['piece']}.txt")
        spans = read_segraw(layout.segraw(piece["piece"]))
        annotated = [occurrence_onsets(occ) for pattern in ref for occ in pattern if occ]
        snapped, k = snap_spans(spans, annotated, h, offset, shift)
        moved, total = moved + k, total + sum(len(o) for o in spans)
        est = patterns_to_notes([np.hstack([o, o]) for o in snapped], score, h, offset, shift,
                                info.get("notes", NOTES[0]))
        whole = evaluate_piece(ref, layout.seg(piece["piece"]))
        placed = evaluate_piece(ref, [[list(map(tuple, occ)) for occ in p] for p in est])
        rows.append({m: max(whole[m], placed[m]) for m in measures})
    if not rows:
        raise DataError(f"{layout.extraction_info}: no piece with a score to place notes on")
    return {m: fmean(r[m] for r in rows) for m in measures}, moved / max(total, 1)


def candidate_bound(run, refdir, root=ROOT / "output", pieces=None):
    """Establishment recall of every candidate family of a ``families`` run, before its choice.

    Runs :func:`complex_auto.families.find_patterns` again on the run's matrices, with the
    run's settings (``extraction.json``) but ``select=False`` (step 5's families and every part
    step 7 tried), maps every family to notes as
    the run did, and gives each annotated pattern the best establishment score any family
    reaches (:func:`complex_auto.evaluation.establishment_matrix`). The mean of these is what
    establishment recall could be for *any* choice among the candidates: below it, the
    candidates themselves miss the annotation. ``pieces``: what
    :func:`_families_against_truth` gave already (its first family list and matrix are used).

    Returns
    -------
    dict
        piece -> ``(bound, families)``: the mean over its annotated patterns, and how many
        families there were.
    """
    if pieces is None:
        pieces = _families_against_truth(run, refdir, root, (False,))
    out = {}
    for piece, (found, *_), (S, *_), _ in pieces:
        out[piece] = (float(S.max(axis=1).mean()) if S.size else 0.0, len(found))
    return out


#: How :func:`lost_patterns` words the rules of :func:`complex_auto.families.excluded_by`.
RULES = {"same spans": "same spans as", "its spans": "holds the spans of", "inside": "inside"}


def lost_patterns(run, refdir, root=ROOT / "output", gap=0.1, pieces=None):
    """The annotated patterns that a candidate of a ``families`` run matches better than the
    run does, and which of the run's patterns step 6's rules dropped that candidate for.

    Returns
    -------
    list of tuple
        ``(piece, pattern, run's best, candidate's, candidate's length in beats, its
        occurrences, reason)`` for every annotated pattern (1-based) whose best candidate's
        establishment score exceeds the run's best by at least ``gap``. ``reason`` names the
        rule of :func:`complex_auto.families.excluded_by` and the run's pattern (1-based, as
        in ``PIECE.patterns.csv``), or says that no rule excluded it (a part of step 7, of
        which each pattern keeps one). ``pieces``: what :func:`_families_against_truth` gave
        already with ``select=(False, True)``.
    """
    from complex_auto.families import excluded_by

    if pieces is None:
        pieces = _families_against_truth(run, refdir, root, (False, True))
    out = []
    for piece, (found, chosen), (S, R), h in pieces:
        if S.size == 0:                 # no candidate at all: nothing was dropped
            continue
        for i in range(S.shape[0]):
            j = int(S[i].argmax())
            best = float(R[i].max()) if R.size else 0.0
            if S[i, j] - best < gap:
                continue
            occ = found[j][1]
            why = excluded_by(occ, [c[1] for c in chosen])
            reason = (f"{RULES[why[1]]} pattern {why[0] + 1}" if why
                      else "no rule: a part not kept (one per pattern)")
            out.append((piece, i + 1, best, float(S[i, j]), float((occ[0, 1] - occ[0, 0]) * h),
                        len(occ), reason))
    return out


def _families_against_truth(run, refdir, root, select):
    """Per piece with a score: (piece, the families of
    :func:`complex_auto.families.find_patterns` with each ``select`` in turn, their
    establishment matrices against the annotations, beats per frame)."""
    import numpy as np

    from complex_auto.evaluation import establishment_matrix
    from complex_auto.families import MAX_BEATS, find_patterns
    from complex_auto.layout import RunLayout
    from complex_auto.patterns import (families_to_patterns, open_matrix, patterns_to_notes,
                                       piece_timing)
    from complex_auto.runinfo import read_extraction

    layout = RunLayout(run, root)
    info = read_extraction(layout)
    if info.get("method") != "families":
        raise DataError(f"{layout.extraction_info}: not a families run")
    for piece in info["pieces"]:
        if not piece["csv"]:            # no score: the run has no notes to match either
            continue
        score, offset, h = piece_timing(info, piece)
        X = open_matrix(piece["matrix"])
        truth = load_patterns(Path(refdir) / f"{piece['piece']}.txt")
        founds, matrices = [], []
        for sel in select:
            found = find_patterns(X, h, n_rows=len(X) - info["pad"],
                                  occurrence_p=info.get("occurrence_p"),
                                  max_beats=info.get("max_beats", MAX_BEATS), select=sel)
            notes = patterns_to_notes(families_to_patterns(found), score, h, offset,
                                      info["window"] / 2.0, info.get("notes", NOTES[0]))
            founds.append(found)
            matrices.append(np.asarray(establishment_matrix(truth, notes)))
        yield piece["piece"], founds, matrices, h


def _same_conversion(folder, model, config, focus=None, audio=None):
    """Whether ``folder`` holds a complete conversion made with this model, config and focus,
    and of the recordings and tempi that the list ``audio`` gives, none changed since.

    Runs are named by the data set folder's name: two folders of one name (or a list edited
    since) would otherwise score one set's matrices against the other's scores.
    """
    import json

    info_path = folder / "conversion.json"
    try:
        info = json.loads(info_path.read_text())
    except (OSError, ValueError):
        return False
    same = all(Path(info.get(k) or "").resolve() == Path(v).resolve()
               for k, v in (("model", model), ("config", config)))
    same = same and info.get("focus_frames") == focus
    if same and audio is not None:
        # convert.py ran in ROOT: the paths it recorded are relative to it, or absolute
        done = [(ROOT / r.get("audio", ""), r.get("bpm")) for r in info.get("files", [])
                if isinstance(r, dict)]
        listed = [(f.resolve(), bpm) for f, bpm, _ in read_list(audio, "audio")]
        # recordings too short for a window are listed but have no features
        short = {(ROOT / f).resolve() for f in info.get("too_short", [])}
        same = ([(f.resolve(), bpm) for f, bpm in done]
                == [(f, bpm) for f, bpm in listed if f not in short]
                and all(f.stat().st_mtime <= info_path.stat().st_mtime for f, _ in listed))
    return same and (folder / "ss_matrices_filelist.txt").is_file()


def dataset_name(folder=None):
    """The name runs give a data set folder: its own (``.`` as the folder it is, a link as
    itself, not its target), ``jku`` for the default."""
    return Path(os.path.abspath(folder)).name if folder else "jku"


def run_name(folder=None, model=MODEL,
             features="cae", focus=None):
    """The run :func:`run_dataset` writes: ``bench_discovery_NAME_MODELDIR_FEATURES[_focusN]``."""
    name = dataset_name(folder)
    # the model's folder in the name: runs of two models must not overwrite each other
    return (f"bench_discovery_{name}_{Path(model).parent.name}_{features}"
            + (f"_focus{focus}" if focus else ""))


class MethodResult(NamedTuple):
    """What :func:`run_dataset` gives for one finder."""

    #: Per-piece score rows (``evaluate_folder``'s, with a ``piece`` key).
    pieces: list
    #: Mean scores over the pieces.
    mean: dict
    #: Mean scores of the chance control (the run's own patterns at random places).
    chance: dict
    #: Wall time of the extraction, in seconds.
    seconds: float
    #: :func:`subset_bound` (``subset=True``), else None.
    bound: dict | None
    #: Piece -> scores of its chance control.
    piece_chance: dict
    #: :func:`candidate_bound` (``families`` with ``candidates=True``), else None.
    candidates: dict | None = None
    #: :func:`occurrence_bound` (``subset=True``), else None.
    occurrences: dict | None = None
    #: :func:`lost_patterns` (``families`` with ``candidates=True``), else None.
    lost: list | None = None
    #: :func:`boundary_bound` (``subset=True``): its scores and the share of occurrences it
    #: moved, else None.
    boundaries: tuple | None = None


def convert_dataset(folder=None, keep=False, model=MODEL, config=CONFIG, features="cae",
                    focus=None, durations=False):
    """Convert a data set's recordings once (``keep``: reuse the same model's conversion);
    ``durations``: first check that every score has them (:func:`dataset_lists`).

    Returns
    -------
    run : str
        The run's name (:func:`run_name`).
    csvs : Path
        Its list of csv scores.
    refdir : Path
        Its ground truth folder.
    """
    base = run_name(folder, model, features, focus)
    tmp = ROOT / "output" / base
    audio, csvs, refdir = dataset_lists(folder, tmp, durations)
    if not (keep and _same_conversion(tmp, model, config, focus, audio)):
        cmd = [sys.executable, str(ROOT / "convert.py"), base, str(audio), str(config),
               "--self-sim-matrix", "--model", str(model)]
        if features != "cae":
            cmd += ["--features", features]
        if focus:
            cmd += ["--focus-frames", str(focus)]
        if subprocess.run(cmd, cwd=ROOT).returncode:
            raise DataError(f"convert.py failed on the recordings of {audio} (its error is above)")
    return base, csvs, refdir


def score_method(run, csvs, refdir, method, seeds=3, audio_start="auto", occurrence_p=None,
                 max_beats=None, notes="span", subset=False, candidates=False):
    """Run one finder on a converted data set and score it beside its chance control.

    ``occurrence_p`` and ``max_beats`` go to ``families`` only; see :func:`run_dataset`.

    Returns
    -------
    MethodResult
    """
    t1 = time.perf_counter()
    families = method == "families"
    extract_run(run, csv_list=str(csvs), method=method, refdir=refdir, plot=False,
                root=ROOT / "output", overwrite=True, audio_start=audio_start,
                occurrence_p=occurrence_p if families else None,
                max_beats=max_beats if families else None, notes=notes)
    seconds = time.perf_counter() - t1
    pieces, mean, _ = evaluate_folder(ROOT / "output" / run, refdir, est_extensions=(".seg",))
    chance, piece_chance = chance_scores(run, seeds=range(seeds), refdir=refdir,
                                         root=ROOT / "output", by_piece=True)
    bound = subset_bound(ROOT / "output" / run, refdir) if subset else None
    occurrences = occurrence_bound(ROOT / "output" / run, refdir) if subset else None
    boundaries = boundary_bound(run, refdir) if subset else None
    cands = lost = None
    if candidates and families:
        # one search of each piece serves both: every candidate, and the run's choice
        searched = list(_families_against_truth(run, refdir, ROOT / "output", (False, True)))
        cands = candidate_bound(run, refdir, pieces=searched)
        lost = lost_patterns(run, refdir, pieces=searched)
    return MethodResult(pieces, mean, chance, seconds, bound, piece_chance, cands, occurrences,
                        lost, boundaries)


def run_dataset(folder=None, methods=METHODS, seeds=3, keep=False,
                model=MODEL, config=CONFIG, features="cae", focus=None,
                audio_start="auto", occurrence_p=None, subset=False, max_beats=None,
                notes="span", candidates=False, durations=False):
    """Convert a data set once, run every finder, score it and its chance control.

    ``occurrence_p`` and ``max_beats`` go to ``families`` (``extract_motives.py
    --occurrence-p``, ``--max-beats``), ``notes`` to every finder and the ceiling
    (``--notes``); with ``subset``, each run's :func:`subset_bound` and
    :func:`occurrence_bound` and :func:`boundary_bound` are computed too, with ``candidates`` the :func:`candidate_bound`
    of the ``families`` run. Every score is checked for durations before the conversion when
    ``notes`` is ``melody`` or ``durations`` is set.

    Returns
    -------
    results : dict
        method -> :class:`MethodResult`
    ceiling : Ceiling
        :func:`ceiling` of the data set: its means, their chance control (``seeds`` draws),
        and both per piece.
    """
    base, csvs, refdir = convert_dataset(folder, keep, model, config, features, focus,
                                         durations or notes == "melody")
    results = {method: score_method(base, csvs, refdir, method, seeds, audio_start,
                                    occurrence_p, max_beats, notes, subset, candidates)
               for method in methods}
    return results, ceiling(csvs, refdir, seeds, notes)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("folder", nargs="?",
                   help="data set folder holding input_audio.txt (audio<TAB>bpm), csv_files.txt "
                        "and groundtruth/PIECE.txt (default: the JKU PDD in data/jku)")
    p.add_argument("--model", default=str(MODEL),
                   help="the CAE (default: the one --pretrained uses, models/cqt_piano)")
    p.add_argument("--config", default=str(CONFIG), help="its config (default: models/cqt_piano's)")
    p.add_argument("--features", default="cae", help="convert.py --features (default cae)")
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS,
                   help="finders to run, each beside its chance control (default: all)")
    p.add_argument("--focus-frames", type=int, metavar="N",
                   help="convert.py --focus-frames N (the central N frames of every window)")
    p.add_argument("--audio-start", default="auto", metavar="S|auto|first-sound",
                   help="extract_motives.py --audio-start (default auto)")
    p.add_argument("--occurrence-p", type=number, metavar="P",
                   help="extract_motives.py --occurrence-p P for families (default off)")
    p.add_argument("--max-beats", type=number, metavar="B",
                   help="extract_motives.py --max-beats B for families (default 128)")
    p.add_argument("--notes", choices=NOTES, default=NOTES[0],
                   help="extract_motives.py --notes for every finder and the ceiling "
                        "(default span: every note of an occurrence's span)")
    p.add_argument("--best-subset", action="store_true",
                   help="also score a choice among each run's own patterns, the "
                        "run with only its occurrences that match an annotated one (half "
                        "their notes in common), and the run with its occurrences moved onto "
                        "the annotated ones they overlap (IoU >= .5), all three picked with "
                        "the answers (about a minute on BPS-dev)")
    p.add_argument("--candidates", action="store_true",
                   help="also give the establishment recall that every candidate of families "
                        "reaches before its choice, per piece and mean, beside the run's: below "
                        "it the candidates themselves miss an annotation (a few seconds)")
    p.add_argument("--seeds", type=at_least_one, default=3,
                   help="random placements for chance (default %(default)s)")
    p.add_argument("--keep", action="store_true",
                   help="reuse an earlier conversion with the same model and config, of the "
                        "same recordings and tempi, none changed since")
    args = p.parse_args()
    t0 = time.perf_counter()
    results, top = run_dataset(args.folder, args.methods, args.seeds, args.keep,
                               Path(args.model).resolve(), Path(args.config).resolve(),
                               args.features, args.focus_frames,
                               parse_audio_start(args.audio_start), args.occurrence_p,
                               args.best_subset, args.max_beats, args.notes, args.candidates)
    name = dataset_name(args.folder)
    for method, res in results.items():
        pieces, piece_chance = res.pieces, res.piece_chance
        print(f"\n{method}, per piece: run (chance)")
        print(f"{'piece':<20}" + "".join(f"{c:>15}" for c in SHOWN))
        for r in pieces:
            print(f"{r['piece']:<20}" + "".join(f"{r[c]:8.3f} ({piece_chance[r['piece']][c]:.3f})"
                                                for c in SHOWN))
        wins = [sum(r[c] > piece_chance[r["piece"]][c] for r in pieces) for c in SHOWN]
        print(f"{'above chance':<20}" + "".join(f"{w:>8} of {len(pieces):<4}" for w in wins))
        if res.candidates:
            print(f"\n{method}, establishment recall of every candidate before the choice "
                  "(a bound for any choice) and of the run")
            print(f"{'piece':<20}{'candidates':>11}{'Est_R bound':>14}{'Est_R run':>12}")
            for r in pieces:
                bound, n = res.candidates[r["piece"]]
                print(f"{r['piece']:<20}{n:11d}{bound:14.3f}{r['Est_R']:12.3f}")
            print(f"{'mean':<20}{'':11}{fmean(v[0] for v in res.candidates.values()):14.3f}"
                  f"{res.mean['Est_R']:12.3f}")
            print("\nannotated patterns that a candidate matches better than the run (by .1 "
                  "or more; establishment score), and the rule of step 6 that dropped it")
            print(f"{'piece':<20}{'pattern':>8}{'run':>7}{'cand.':>7}{'beats':>7}{'occ.':>6}"
                  "  dropped for")
            for piece, i, best, cand, beats, occ, reason in res.lost:
                print(f"{piece:<20}{i:>8}{best:7.2f}{cand:7.2f}{beats:7.1f}{occ:6d}  {reason}")
    print("\nceiling, per piece: the annotated spans (the same at random places)")
    print(f"{'piece':<20}" + "".join(f"{c:>15}" for c in SHOWN))
    for piece, (spans, placed) in top.pieces.items():
        print(f"{piece:<20}" + "".join(f"{spans[c]:8.3f} ({placed[c]:.3f})" for c in SHOWN))
    focus = f" (central {args.focus_frames} frames)" if args.focus_frames else ""
    print(f"\n{name}, features {args.features}{focus}: mean over pieces "
          f"(chance = the run's own patterns at random places, {args.seeds} seeds); "
          f"{time.perf_counter() - t0:.0f} s in all")
    print(f"{'method':<10} {'':<7}" + "".join(f"{c:>14}" for c in SHOWN) + f"{'extract s':>11}")
    for method, res in results.items():
        mean, chance, bound = res.mean, res.chance, res.bound
        print(f"{method:<10} {'run':<7}" + "".join(f"{mean[c]:14.3f}" for c in SHOWN)
              + f"{res.seconds:11.1f}")
        print(f"{'':<10} {'chance':<7}" + "".join(f"{chance[c]:14.3f}" for c in SHOWN))
        print(f"{'':<10} {'margin':<7}" + "".join(f"{mean[c] - chance[c]:+14.3f}" for c in SHOWN))
        if bound:
            print(f"{'':<10} {'subset':<7}" + "".join(f"{bound[c]:14.3f}" for c in SHOWN)
                  + "   (a choice among its patterns, picked greedily with the answers)")
            print(f"{'':<10} {'occ':<7}" + "".join(f"{res.occurrences[c]:14.3f}" for c in SHOWN)
                  + "   (only its occurrences that match an annotated one, where that helps)")
            placed, moved = res.boundaries
            print(f"{'':<10} {'bounds':<7}" + "".join(f"{placed[c]:14.3f}" for c in SHOWN)
                  + f"   ({moved:.0%} of its occurrences moved onto the annotated ones they "
                  "overlap, where that helps)")
    if len(results) > 1:                # the new finder against the seed's (nf14, the first)
        first, last = list(results)[0], list(results)[-1]
        print(f"{last:<10} {'- ' + first:<7}"
              + "".join(f"{results[last].mean[c] - results[first].mean[c]:+14.3f}" for c in SHOWN)
              + f"   (run of {last} less run of {first})")
    print(f"{'ceiling':<10} {'':<7}" + "".join(f"{top.top[c]:14.3f}" for c in SHOWN)
          + {"span": "   (the annotated spans, every note they cover)",
             "recurring": "   (the annotated spans, the notes of them that recur)",
             "melody": "   (the annotated spans, their melody)"}[args.notes])
    print(f"{'':<10} {'chance':<7}" + "".join(f"{top.chance[c]:14.3f}" for c in SHOWN)
          + "   (the same spans at random places)")
    print(f"{'':<10} {'margin':<7}" + "".join(f"{top.top[c] - top.chance[c]:+14.3f}" for c in SHOWN)
          + "   (the most any finder can beat its chance control by)")


if __name__ == "__main__":
    try:
        main()
    except ComplexAutoError as e:      # a folder or run it cannot use: one line, exit 1
        sys.exit(f"error: {e}")
