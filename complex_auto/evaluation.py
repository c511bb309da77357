"""MIREX scores of discovered patterns against a ground truth (``extract_motives_eval.py``).

The measures are those of the MIREX task "Discovery of Repeated Themes & Sections"
(Collins, 2013; https://www.music-ir.org/mirex/wiki/2013:Discovery_of_Repeated_Themes_%26_Sections),
computed with mir_eval (Raffel et al., "mir_eval: A Transparent Implementation of Common MIR
Metrics", ISMIR 2014), as Nieto & Farbood (ISMIR 2014) and the CAE paper report them:

- establishment F/P/R (``mir_eval.pattern.establishment_FPR``): is each pattern found at all;
- occurrence F/P/R at thresholds .75 and .5 (``occurrence_FPR``): are its occurrences found;
- three-layer F/P/R (``three_layer_FPR``): D. Meredith's measure, defined for that task in
  2013, which scores occurrences note by note;
- standard F/P/R (``standard_FPR``): exact prototype matches up to transposition.

``occurrence_FPR`` is called with ``thres`` directly: ``mir_eval.pattern.evaluate`` passes the
threshold as ``thresh``, which ``occurrence_FPR`` ignores, so both of its occurrence scores are
the .75 ones.

Estimates and references are paired by piece name (the file name up to its first dot), never by
position in a sorted listing; unpaired files are reported.

:func:`best_subset` scores a choice among an estimate's patterns, made greedily with the
reference at hand: what a better ranking of the same patterns could reach at the least (the
best subset scores no less; ``bench/discovery.py --best-subset``);
:func:`matching_occurrences` keeps only the occurrences that match annotated ones, as a filter
of the occurrences that knew the answers would.
:func:`establishment_matrix` (with :func:`establishment_parts`, the two shares behind each of
its scores) and :func:`three_layer_matrix` show, pattern by pattern, where the establishment
and three-layer scores come from (``extract_motives_eval.py --matches``).
"""
import csv
import datetime
import io
import logging
import re
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np

from . import checks
from .errors import DataError, ParameterError
from .jku import DEFAULT_REFDIR, read_mirex
from .layout import OUTPUT_ROOT, RunLayout, piece_name
from .runinfo import last_extraction, trained_pieces_scored
from .utils import atomic_write_text

log = logging.getLogger(__name__)

#: (column prefix, mir_eval.pattern function name, keyword arguments), in table order.
MEASURES = (
    ("Est", "establishment_FPR", {}),
    ("Occ.75", "occurrence_FPR", {"thres": 0.75}),
    ("ThreeLayer", "three_layer_FPR", {}),
    ("Occ.5", "occurrence_FPR", {"thres": 0.5}),
    ("Std", "standard_FPR", {}),
)
#: Score columns of the table and of ``results.csv`` (after ``piece``).
SCORE_COLUMNS = tuple(f"{name}_{k}" for name, _, _ in MEASURES for k in "FPR")
COLUMNS = ("piece",) + SCORE_COLUMNS


def load_patterns(path):
    """Read a MIREX pattern file with ``mir_eval.io.load_patterns``.

    Files that mir_eval's reader rejects only for blank lines are read by
    :func:`complex_auto.jku.read_mirex`, which otherwise gives the same result and names the
    offending line when there is a real problem.

    Returns
    -------
    list of list of list of (float, float)
        Patterns, occurrences, ``(onset, pitch)``.

    Raises
    ------
    DataError
        When the file is missing, a line is neither a header nor ``onset, pitch``, or a
        number is not finite.
    """
    import mir_eval

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: pattern file does not exist")
    try:
        patterns = mir_eval.io.load_patterns(str(path))
    except (ValueError, IndexError):
        return read_mirex(path)
    if not all(np.isfinite(occ).all() for pattern in patterns for occ in pattern):
        # mir_eval reads 'nan' and 'inf' as numbers, and every measure then scores 0:
        # read_mirex names the line
        return read_mirex(path)
    return patterns


def _run_layout(folder):
    """The run whose folder ``folder`` is (any folder of estimates may be one); None for ``/``."""
    folder = Path(folder).resolve()         # '.' names no run; its absolute path does
    return RunLayout(folder.name, folder.parent) if folder.name else None


def list_mirex_files(folder, extensions=(".seg", ".txt")):
    """MIREX files of a folder: those with the first of ``extensions`` that any file has.

    In a run's folder only the ``.seg`` files of the pieces of its last extraction
    (:func:`~complex_auto.runinfo.last_extraction`); the others are left out with a warning.

    Returns
    -------
    dict
        piece name → path, sorted by name.

    Raises
    ------
    DataError
        When two files name one piece (``a.seg`` and ``a.v2.seg``: the piece is the name up to
        its first dot), which would score one of them and drop the other without a word.
    """
    folder = Path(folder)
    layout = _run_layout(folder)
    extracted = layout is not None and layout.extraction_info.is_file()
    for ext in extensions:
        files = sorted(p for p in folder.glob(f"*{ext}") if p.is_file())
        if extracted:
            if ext != ".seg":
                continue            # a run's estimates are its .seg; its .txt are lists, results
            kept, _ = last_extraction(layout, {piece_name(p): p for p in files})
            files = [p for p in files if piece_name(p) in kept]
        if files:
            found = {}
            for p in files:
                other = found.setdefault(piece_name(p), p)
                if other != p:
                    raise DataError(f"{folder}: {other.name} and {p.name} are both piece "
                                    f"'{piece_name(p)}' (its name up to the first dot); "
                                    "keep one of them there")
            return found
    return {}


def pair_by_name(estimates, references):
    """Pair estimate and reference files by piece name.

    Parameters
    ----------
    estimates, references : dict
        piece name → path.

    Returns
    -------
    pairs : list of (str, Path, Path)
        ``(piece, estimate, reference)``, sorted by piece.
    estimate_only, reference_only : list of str
        Pieces without a partner.
    """
    pairs = [(p, estimates[p], references[p]) for p in sorted(estimates) if p in references]
    return (pairs, sorted(set(estimates) - set(references)),
            sorted(set(references) - set(estimates)))


def _as_patterns(patterns, name, empty=True):
    """A MIREX file read by :func:`load_patterns`, or patterns already read, checked as a
    file's are: mir_eval divides by zero on an empty occurrence and scores a NaN onset 0;
    ``empty`` False: a pattern without occurrences is refused too (mir_eval's measures fail
    on one, while the matrices here score it 0)."""
    if isinstance(patterns, (str, Path)):
        return load_patterns(patterns)
    for i, pattern in enumerate(patterns):
        if not hasattr(pattern, "__len__"):
            raise ParameterError(f"{name}: pattern {i + 1} must be a list of occurrences, each "
                                 f"a list of (onset, pitch) pairs, not {pattern!r}")
        if len(pattern) == 0 and not empty:
            raise ParameterError(f"{name}: pattern {i + 1} has no occurrence")
        for j, occ in enumerate(pattern):
            try:
                notes = np.asarray(occ, dtype=float)
            except (TypeError, ValueError):
                notes = np.zeros(0)
            if notes.ndim != 2 or len(notes) == 0 or notes.shape[1] != 2:
                raise ParameterError(f"{name}: pattern {i + 1}, occurrence {j + 1} must be a "
                                     "non-empty list of (onset, pitch) pairs")
            if not np.isfinite(notes).all():
                raise ParameterError(f"{name}: pattern {i + 1}, occurrence {j + 1} holds a "
                                     "number that is not finite")
    return patterns


def evaluate_piece(reference, estimate):
    """All scores of one estimate against its reference.

    Parameters
    ----------
    reference, estimate : str or Path or list
        MIREX files, or pattern lists as returned by :func:`load_patterns`.

    Returns
    -------
    dict
        ``SCORE_COLUMNS`` → float in [0, 1]. An empty estimate scores 0 everywhere.

    Raises
    ------
    DataError
        When the reference holds no pattern (an empty or truncated file scored 0 and pulled
        the mean down without a word).
    ParameterError
        When a pattern list has a pattern without occurrences, an occurrence without notes
        or a number that is not finite.
    """
    ref = _as_patterns(reference, "reference", empty=False)
    est = _as_patterns(estimate, "estimate", empty=False)
    if not ref:
        where = f"{reference}: " if isinstance(reference, (str, Path)) else ""
        raise DataError(f"{where}reference holds no pattern: nothing to score against")
    scores = {}
    for name, _, _ in MEASURES:
        f, p, r = _measure(ref, est, name)
        scores.update({f"{name}_F": f, f"{name}_P": p, f"{name}_R": r})
    return scores


def _measure(ref, est, name):
    # (F, P, R) of one of MEASURES, by its column prefix
    import mir_eval.pattern

    fn, kwargs = next((fn, kwargs) for n, fn, kwargs in MEASURES if n == name)
    with warnings.catch_warnings():
        # mir_eval warns about empty pattern lists, and then scores them 0.
        warnings.filterwarnings("ignore", message=".*patterns are empty")
        return tuple(float(v) for v in getattr(mir_eval.pattern, fn)(ref, est, **kwargs))


def _note_sets(pattern):
    # each non-empty occurrence's distinct notes, and its length with duplicates (a note
    # doubled in unison), as mir_eval counts them
    return [(set(map(tuple, occ)), len(occ)) for occ in pattern if len(occ)]


def establishment_matrix(reference, estimate):
    """How well each estimated pattern matches each reference pattern.

    Entry ``(i, j)`` is the best cardinality score over the occurrences of reference pattern
    ``i`` and estimated pattern ``j``: the distinct notes (onset, pitch) two occurrences
    share, over the length of the longer one's note list (duplicates counted, as mir_eval
    counts them). This is the matrix behind establishment precision (the mean of
    its column maxima) and recall (the mean of its row maxima): Collins (2013), as computed by
    ``mir_eval.pattern.establishment_FPR``.

    Parameters
    ----------
    reference, estimate
        As for :func:`evaluate_piece`.

    Returns
    -------
    np.ndarray, shape (n_reference_patterns, n_estimated_patterns)
        Values in [0, 1].
    """
    return establishment_parts(reference, estimate)[0]


def establishment_parts(reference, estimate):
    """:func:`establishment_matrix` with the two shares its score is the smaller of.

    Two occurrences that share ``k`` notes score ``k / max(n_ref, n_est)``, which is the
    smaller of ``k / n_ref``, the share of the annotated occurrence that the found one
    holds (*cover*), and ``k / n_est``, the share of the found occurrence that is annotated
    (*purity*). A found span that lies on a one-voice motif covers it but is impure when it
    holds the other voices too; a short one that holds only the motif's first notes is pure
    but covers little. For each pair of patterns the shares are those of its best pair of
    occurrences (of equals, the first in the order of the annotated occurrences, then of the
    found ones).

    Parameters
    ----------
    reference, estimate
        As for :func:`evaluate_piece`.

    Returns
    -------
    score, cover, purity : np.ndarray, each shape (n_reference_patterns, n_estimated_patterns)
        Values in [0, 1]; ``score`` is :func:`establishment_matrix`, and ``score = min(cover,
        purity)`` everywhere.
    """
    ref, est = _as_patterns(reference, "reference"), _as_patterns(estimate, "estimate")

    def best(p, q):
        top = (0.0, 0.0, 0.0)
        for a, n_a in p:
            for b, n_b in q:
                k = len(a & b)
                if k / max(n_a, n_b) > top[0]:
                    top = (k / max(n_a, n_b), k / n_a, k / n_b)
        return top

    ref_sets, est_sets = [_note_sets(p) for p in ref], [_note_sets(q) for q in est]
    parts = np.array([[best(p, q) for q in est_sets] for p in ref_sets]).reshape(
        len(ref), len(est), 3)
    return parts[..., 0], parts[..., 1], parts[..., 2]


def format_matches(S, piece=""):
    """The establishment matrix as a table: where establishment precision and recall go.

    Rows are the estimated patterns (``P1`` ... in file order), columns the reference ones
    (``A1`` ...). Each row ends with its best entry and the reference pattern it matches
    best (none when it shares no note with any); a last row holds each reference pattern's
    best. The means of the two are establishment precision and recall
    (:func:`establishment_matrix`). A row of zeros is a pattern that no annotation shares a
    note with; a low column, an annotation that nothing found.

    Parameters
    ----------
    S : np.ndarray, shape (n_reference_patterns, n_estimated_patterns)
        As returned by :func:`establishment_matrix`.
    piece : str
        Title of the table.

    Returns
    -------
    str
        Fixed-width text, without a final newline.
    """
    S = checks.array(S, "S", ndim=2)
    n_ref, n_est = S.shape
    title = (f"{piece}: " if piece else "") + (f"establishment of {n_est} found patterns "
                                               f"(rows) against {n_ref} annotated (columns)")
    head = "      " + "".join(f"{f'A{i + 1}':>6}" for i in range(n_ref)) + "    best"
    lines = [title, head]
    for j in range(n_est):
        row = "".join(f"{v:6.2f}" for v in S[:, j])
        best = S[:, j].max(initial=0.0)
        best = f"{best:6.2f}" + (f" A{S[:, j].argmax() + 1}" if best > 0 else "")
        lines.append(f"{f'P{j + 1}':<6}{row}  {best}")
    lines.append("best  " + "".join(f"{v:6.2f}" for v in (S.max(axis=1) if n_est
                                                          else np.zeros(n_ref))))
    precision = S.max(axis=0).mean() if n_ref and n_est else 0.0
    recall = S.max(axis=1).mean() if n_ref and n_est else 0.0
    lines.append(f"precision {precision:.3f} (mean of the rows' best), "
                 f"recall {recall:.3f} (mean of the last row)")
    return "\n".join(lines)


class PatternLayer(NamedTuple):
    """:func:`three_layer_matrix`: the second layer of the three-layer measure, per pair."""

    #: (reference patterns, estimated ones): the pair's F, harmonic mean of ``P`` and ``R``.
    F: np.ndarray
    #: Mean over the estimated pattern's occurrences of their best note F against the
    #: reference pattern's: how many of the found occurrences are right.
    P: np.ndarray
    #: Mean over the reference pattern's occurrences of their best: how many were found.
    R: np.ndarray
    #: Occurrences of each reference pattern.
    ref_occurrences: tuple
    #: Occurrences of each estimated pattern.
    est_occurrences: tuple


def three_layer_matrix(reference, estimate):
    """How well each estimated pattern's occurrences match each reference pattern's.

    The three-layer measure (Meredith 2013, as ``mir_eval.pattern.three_layer_FPR`` computes
    it) scores every pair of occurrences by the F of their shared notes (onset, pitch; the
    first layer), every pair of patterns by the F of the means of the first layer's column
    and row maxima (the second), and the estimate by the means of the second layer's column
    and row maxima (three-layer precision and recall). Unlike establishment, which takes each
    pair's one best occurrence, it weighs every occurrence: a found pattern with the right
    occurrences and some wrong ones has a low ``P``, one that misses some has a low ``R``.

    Parameters
    ----------
    reference, estimate
        As for :func:`evaluate_piece`.

    Returns
    -------
    PatternLayer
        ``F``, ``P``, ``R`` of shape (n_reference_patterns, n_estimated_patterns), values in
        [0, 1]; the occurrence counts of both.
    """
    ref, est = _as_patterns(reference, "reference"), _as_patterns(estimate, "estimate")

    def occurrence_f(a, n_a, b, n_b):
        # mir_eval's first layer: shared distinct notes over each list's length
        shared = len(a & b)
        return 2 * shared / (n_a + n_b) if shared else 0.0

    ref_notes, est_notes = [_note_sets(p) for p in ref], [_note_sets(q) for q in est]
    shape = (len(ref), len(est))
    F, P, R = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for i, p in enumerate(ref_notes):
        for j, q in enumerate(est_notes):
            if not p or not q:
                continue
            first = np.array([[occurrence_f(a, n_a, b, n_b) for b, n_b in q] for a, n_a in p])
            P[i, j], R[i, j] = first.max(axis=0).mean(), first.max(axis=1).mean()
            F[i, j] = 2 * P[i, j] * R[i, j] / (P[i, j] + R[i, j]) if P[i, j] + R[i, j] else 0.0
    return PatternLayer(F, P, R, tuple(len(p) for p in ref), tuple(len(q) for q in est))


def format_three_layer(layer, piece=""):
    """The second layer of the three-layer measure as a table: where its F goes.

    One row per reference pattern (``A1`` ...): the estimated pattern (``P1`` ... in file
    order) that matches it best, the pair's F, the share of the found occurrences that are
    right (occurrence precision) and of the annotated ones that were found (occurrence
    recall), and how many occurrences the two have (``found``, ``annotated``). Then each
    estimated pattern's best F. The mean of those is three-layer precision, the mean of the
    rows' F three-layer recall (:func:`three_layer_matrix`).

    Parameters
    ----------
    layer : PatternLayer
        As returned by :func:`three_layer_matrix`.
    piece : str
        Title of the table.

    Returns
    -------
    str
        Fixed-width text, without a final newline.
    """
    F, P, R = (np.asarray(a, float) for a in layer[:3])
    n_ref, n_est = F.shape
    title = (f"{piece}: " if piece else "") + (f"three-layer match of {n_ref} annotated "
                                               f"patterns (rows) by {n_est} found")
    lines = [title, f"{'':6}{'best':>6}{'F':>7}{'occ P':>7}{'occ R':>7}{'found':>7}"
                    f"{'annotated':>11}"]
    for i in range(n_ref):
        if n_est and F[i].max() > 0:
            j = int(F[i].argmax())
            lines.append(f"{f'A{i + 1}':<6}{f'P{j + 1}':>6}{F[i, j]:7.2f}{P[i, j]:7.2f}"
                         f"{R[i, j]:7.2f}{layer.est_occurrences[j]:7d}"
                         f"{layer.ref_occurrences[i]:11d}")
        else:
            lines.append(f"{f'A{i + 1}':<6}{'none':>6}{0.0:7.2f}")
    best = F.max(axis=0) if n_ref else np.zeros(n_est)
    lines.append("found " + "".join(f"{f'P{j + 1}':>6}" for j in range(n_est)))
    lines.append("best  " + "".join(f"{v:6.2f}" for v in best))
    precision = best.mean() if n_ref and n_est else 0.0
    recall = F.max(axis=1).mean() if n_ref and n_est else 0.0
    lines.append(f"precision {precision:.3f} (mean of the found patterns' best), "
                 f"recall {recall:.3f} (mean of the annotated patterns' F)")
    return "\n".join(lines)


def piece_matrices(measure, estdir, refdir=DEFAULT_REFDIR, est_extensions=(".seg", ".txt")):
    """``measure(reference, estimate)`` of every estimate of a folder that has a reference.

    Files are found and paired as by :func:`evaluate_folder`; unpaired ones are left out.

    Parameters
    ----------
    measure : callable
        :func:`establishment_matrix`, :func:`three_layer_matrix`, or any function of the two
        pattern lists (each file is read once).
    estdir, refdir, est_extensions
        As for :func:`evaluate_folder`.

    Returns
    -------
    list of (str, object)
        ``(piece, measure(reference, estimate))`` sorted by piece.
    """
    pairs, _, _ = pair_by_name(list_mirex_files(estdir, est_extensions),
                               list_mirex_files(refdir, (".txt",)))
    return [(piece, measure(load_patterns(ref), load_patterns(est))) for piece, est, ref in pairs]


def best_subset(reference, estimate, measure="Est_F"):
    """The best score a choice among the estimated patterns reaches: what ranking could do.

    A finder falls short in one of two ways: none of its patterns lies where an annotated one
    does (its candidates), or the good ones are drowned among bad ones (its choice). This
    separates the two. It picks, with the reference at hand, the subset of ``estimate`` that
    scores best on ``measure``: greedy forward selection (add the pattern that raises the score
    most; stop when none does), compared with the whole estimate. The result is therefore at
    least the estimate's own score, and a lower bound on the best subset's.

    Parameters
    ----------
    reference, estimate
        As for :func:`evaluate_piece`.
    measure : str
        An F, P or R column of :data:`SCORE_COLUMNS`, e.g. ``"Est_F"`` or ``"ThreeLayer_F"``.

    Returns
    -------
    score : float
        In [0, 1].
    chosen : list of int
        Indices into ``estimate`` of the subset, in the order chosen (all of them, in order,
        when the whole estimate scores best).

    Raises
    ------
    ParameterError
        When ``measure`` is not a score column.
    """
    if measure not in SCORE_COLUMNS:
        raise ParameterError(f"best_subset: unknown measure {measure!r}; "
                             f"one of {', '.join(SCORE_COLUMNS)}")
    ref, est = _as_patterns(reference, "reference"), _as_patterns(estimate, "estimate")
    name, stat = measure.rsplit("_", 1)
    if name == "Est":
        # every subset's Est scores are read off one matrix: column and row maxima
        S = establishment_matrix(ref, est)

        def score(chosen):
            if not chosen or not len(ref):
                return 0.0
            p, r = S[:, chosen].max(axis=0).mean(), S[:, chosen].max(axis=1).mean()
            return {"P": p, "R": r, "F": 2 * p * r / (p + r) if p + r else 0.0}[stat]
    else:
        def score(chosen):
            if not chosen:
                return 0.0
            return dict(zip("FPR", _measure(ref, [est[k] for k in chosen], name)))[stat]
    chosen, best = [], 0.0
    while len(chosen) < len(est):
        value, k = max((score(chosen + [k]), k) for k in range(len(est)) if k not in chosen)
        if value <= best:
            break
        chosen, best = chosen + [k], value
    whole = score(list(range(len(est))))
    return (whole, list(range(len(est)))) if whole > best else (float(best), chosen)


def matching_occurrences(reference, estimate, share=0.5):
    """The estimate with only its occurrences that match an annotated one: what a filter of
    its occurrences that knew the answers would keep.

    :func:`best_subset` keeps or drops whole patterns; a finder also loses where a pattern
    it found well lists occurrences that no annotation has. This keeps, with the reference at
    hand, each occurrence whose notes reach a cardinality score of ``share`` against some
    occurrence of any reference pattern (the distinct notes both hold over the longer one's
    note count, as :func:`establishment_matrix` counts them), and drops the patterns left with
    fewer than two occurrences: those no longer repeat.

    Parameters
    ----------
    reference, estimate
        As for :func:`evaluate_piece`.
    share : float
        Least cardinality score of a kept occurrence, in (0, 1]. The default is the looser
        threshold of the MIREX occurrence measures (``Occ.5``): half its notes in common.

    Returns
    -------
    list
        Patterns in the layout of :func:`load_patterns`, in the estimate's order; empty when
        no pattern keeps two occurrences.

    Raises
    ------
    ParameterError
        When ``share`` is not a number in (0, 1].
    """
    share = checks.share(share, "matching_occurrences: share")
    ref, est = _as_patterns(reference, "reference"), _as_patterns(estimate, "estimate")
    annotated = [notes for pattern in ref for notes in _note_sets(pattern)]

    def matches(occ):
        notes, n = set(map(tuple, occ)), len(occ)
        return bool(n) and any(len(notes & a) / max(n, n_a) >= share for a, n_a in annotated)

    kept = [[occ for occ in pattern if matches(occ)] for pattern in est]
    return [pattern for pattern in kept if len(pattern) >= 2]


def mean_scores(rows):
    """Column means of per-piece score dicts."""
    return {c: float(np.mean([r[c] for r in rows])) for c in SCORE_COLUMNS}


def format_table(rows, mean):
    """The per-piece table and the mean row as fixed-width text."""
    width = max([len("piece")] + [len(r["piece"]) for r in rows] + [len("mean")])
    head = f"{'piece':<{width}} " + " ".join(f"{c:>12s}" for c in SCORE_COLUMNS)
    lines = [head]
    for r in rows + [dict(mean, piece="mean")]:
        lines.append(f"{r['piece']:<{width}} " + " ".join(f"{r[c]:12.3f}" for c in SCORE_COLUMNS))
    return "\n".join(lines)


def format_csv(rows, mean):
    """``results.csv`` text: one row per piece and a ``mean`` row, columns :data:`COLUMNS`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in rows + [dict(mean, piece="mean")]:
        writer.writerow([r["piece"]] + [f"{r[c]:.6f}" for c in SCORE_COLUMNS])
    return out.getvalue()


def evaluate_folder(estdir, refdir=DEFAULT_REFDIR, est_extensions=(".seg", ".txt")):
    """Score every estimate of a folder that has a reference of the same name.

    Parameters
    ----------
    estdir : str or Path
        Folder of MIREX estimate files (``PIECE.seg``, or ``PIECE.txt`` when there is no
        ``.seg``; see :func:`list_mirex_files`).
    refdir : str or Path
        Folder of references ``PIECE.txt``.
    est_extensions : tuple of str

    Returns
    -------
    rows : list of dict
        ``piece`` and :data:`SCORE_COLUMNS` per paired piece, sorted by piece.
    mean : dict
        Mean over the paired pieces.
    unpaired : dict
        ``{'estimate_only': [...], 'reference_only': [...]}``.

    Raises
    ------
    DataError
        When a folder is missing or holds no pattern files, or no estimate has a reference.
    """
    estdir, refdir = Path(estdir), Path(refdir)
    for folder, what in ((estdir, "estimate"), (refdir, "reference")):
        if not folder.is_dir():
            why = "is a file, not a folder" if folder.exists() else "folder does not exist"
            raise DataError(f"{folder}: {what} {why}")
    estimates = list_mirex_files(estdir, est_extensions)
    if not estimates:
        raise DataError(f"{estdir}: no estimate files ({' or '.join('*' + e for e in est_extensions)})")
    references = list_mirex_files(refdir, (".txt",))
    if not references:
        raise DataError(f"{refdir}: no reference files (*.txt)")
    pairs, est_only, ref_only = pair_by_name(estimates, references)
    if not pairs:
        raise DataError(f"no estimate in {estdir} ({', '.join(est_only)}) has a reference of "
                        f"the same name in {refdir} ({', '.join(ref_only)})")
    rows = []
    for piece, est, ref in pairs:
        scores = evaluate_piece(ref, est)
        rows.append(dict(scores, piece=piece))
        log.debug("%s: %s vs %s", piece, est, ref)
    return rows, mean_scores(rows), {"estimate_only": est_only, "reference_only": ref_only}


#: Starts the line of ``results.txt`` that names the scored pieces the model learned from.
SEEN_IN_TRAINING = "# seen in training: "


def trained_on_note(layout, rows):
    """A sentence naming the scored pieces that the run's model was trained on, or None.

    Their scores measure how well a model retrieves what it learned, not unseen music; the
    model's training record says which recordings trained it
    (:func:`complex_auto.runinfo.trained_pieces_scored`).

    Parameters
    ----------
    layout : RunLayout
        The run whose ``conversion.json`` names its model.
    rows : list of dict
        The scored pieces' rows (``piece``), as :func:`evaluate_folder` returns them.

    Returns
    -------
    str or None
    """
    model, record, trained, complete = trained_pieces_scored(layout,
                                                             [r["piece"] for r in rows])
    if not trained:
        return None
    k, n = len(trained), len(rows)
    which = (f"the piece scored ({trained[0]}) is" if n == 1 else
             f"{k} of the {n} pieces scored ({', '.join(trained)}) "
             + ("is" if k == 1 else "are"))
    unknown = "" if complete else "; what trained the weights it resumed is unknown"
    return (f"{which} in the training data of {model} (its record: {record}{unknown}): "
            f"{'its score does' if k == 1 else 'their scores do'} not measure unseen music")


def seen_in_training(results_txt):
    """The note of :func:`trained_on_note` in the last evaluation of ``results.txt``, or None.

    The report shows it beside the scores only when the evaluation that wrote them found it
    (scores of a peer's files, ``--estdir``, have none).
    """
    path = Path(results_txt)
    if not path.is_file():
        return None
    last = re.split(r"(?m)^# \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d  estimates: ", path.read_text())[-1]
    return next((line[len(SEEN_IN_TRAINING):] for line in last.splitlines()
                 if line.startswith(SEEN_IN_TRAINING)), None)


def evaluate_run(run, refdir=DEFAULT_REFDIR, estdir=None, root=OUTPUT_ROOT):
    """Score a run's ``.seg`` files (or ``estdir``'s MIREX files) and save the results.

    Appends the table and the mean to ``output/RUN/results.txt`` and writes
    ``output/RUN/results.csv`` (:func:`format_csv`).

    Parameters
    ----------
    run : str
    refdir : str or Path
        References ``PIECE.txt`` (default: the JKU ground truth of ``data/``).
    estdir : str or Path, optional
        Score this folder's MIREX files instead of ``output/RUN/*.seg``.
    root : Path
        Folder of the runs (``output/``).

    Returns
    -------
    rows, mean, unpaired
        As :func:`evaluate_folder`.
    text : str
        The block appended to ``results.txt``.
    """
    layout = RunLayout(run, root)
    if estdir is None:
        if not layout.dir.is_dir():
            raise DataError(f"{layout.dir} does not exist; run python extract_motives.py {run} "
                            "first")
        if not any(layout.dir.glob("*.seg")):
            # a .seg lists notes, so only a run extracted with the pieces' scores has them
            raise DataError(f"{layout.dir}: no .seg estimates; run python extract_motives.py "
                            f"{run} --csv CSV_LIST first, with a score (csv) for each piece "
                            "(jku_csv_files.txt for the JKU pieces)")
        rows, mean, unpaired = evaluate_folder(layout.dir, refdir, (".seg",))
        source = f"{layout.dir}/*.seg"
    else:
        rows, mean, unpaired = evaluate_folder(estdir, refdir)
        source = str(estdir)
    stamp = datetime.datetime.now().isoformat(timespec="seconds")
    notes = []
    if unpaired["estimate_only"]:
        notes.append("no reference for: " + ", ".join(unpaired["estimate_only"]))
    if unpaired["reference_only"]:
        notes.append("no estimate for: " + ", ".join(unpaired["reference_only"]))
    if estdir is None:
        _, stale = last_extraction(layout, {piece_name(p): p for p in layout.dir.glob("*.seg")})
        if stale:
            notes.append("left out, an earlier extraction's: " + ", ".join(stale))
        trained = trained_on_note(layout, rows)
        if trained:
            log.warning("%s", trained)
            notes.append(SEEN_IN_TRAINING[2:] + trained)
    text = "\n".join([f"# {stamp}  estimates: {source}  references: {refdir}",
                      format_table(rows, mean)] + [f"# {n}" for n in notes]) + "\n\n"
    layout.make()
    previous = layout.results_txt.read_text() if layout.results_txt.is_file() else ""
    atomic_write_text(layout.results_txt, previous + text)
    atomic_write_text(layout.results_csv, format_csv(rows, mean))
    return rows, mean, unpaired, text
