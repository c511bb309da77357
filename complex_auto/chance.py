"""The chance control of a run: its own patterns moved to random places, scored the same way.

A finder that scores no better than its patterns dropped at random has found nothing: on pieces
where every stretch holds many notes and patterns are long, random spans already share notes
with the annotated ones. :func:`chance_scores` keeps every pattern's number of occurrences and
their lengths, draws each occurrence's start uniformly over the piece, maps the spans onto the
score exactly as the run's method does (:func:`complex_auto.patterns.patterns_to_notes`, with
the run's ``--notes``), and scores them with the same MIREX measures.

:func:`ceiling_scores` does the same for the annotated spans themselves: what a perfect audio
finder scores, and what its own chance control scores. Their difference bounds the margin any
finder can show on a measure.
"""
import numbers
import tempfile
from pathlib import Path

import numpy as np

from . import checks
from .errors import DataError, ParameterError
from .evaluation import SCORE_COLUMNS, evaluate_folder, evaluate_piece
from .jku import DEFAULT_REFDIR, occurrence_onsets
from .layout import OUTPUT_ROOT, RunLayout
from .patterns import (NOTES, open_matrix, patterns_to_notes, piece_timing, read_segraw,
                       write_mirex)
from .runinfo import read_extraction

#: Grid of the ceiling's random starts, in beats: finer than every onset of the scores but
#: triplets, so placing on it differs from uniform placement by nothing a score can show.
CEILING_GRID_BEATS = 1 / 16


def _seeds(seeds):
    """``seeds`` as a list of one seed at least (``bench/chance.py --seeds N`` is a count;
    here each seed is one placement)."""
    if isinstance(seeds, numbers.Integral):
        raise ParameterError(f"seeds must be a sequence of seeds (range({seeds}) for {seeds} "
                             f"placements), not {seeds}")
    seeds = list(seeds)
    if not seeds:
        raise ParameterError("seeds must hold one seed at least")
    return seeds


def random_placement(spans, n_frames, rng):
    """Occurrences of the same lengths at uniformly random starts within ``[0, n_frames)``.

    Parameters
    ----------
    spans : list of np.ndarray, each shape (occurrences, 2), int
        Frame spans ``[start, end)`` per pattern (:func:`complex_auto.patterns.read_segraw`).
    n_frames : int
        Frames of the piece.
    rng : np.random.Generator or int
        The generator, or a seed for one.

    Returns
    -------
    list of np.ndarray, each shape (occurrences, 4), int64
        In the ``(occurrences, 4)`` layout of :func:`complex_auto.nf14.group_patterns`
        (columns 2 and 3 are the spans).
    """
    rng = np.random.default_rng(rng)
    n_frames = checks.integer(n_frames, "n_frames")
    out = []
    for occ in spans:
        occ = np.asarray(occ).reshape(-1, 2)
        lengths = np.clip(occ[:, 1] - occ[:, 0], 1, n_frames)
        starts = (rng.random(len(occ)) * (n_frames - lengths + 1)).astype(np.int64)
        cols = np.column_stack([starts, starts + lengths])
        out.append(np.hstack([cols, cols]).astype(np.int64))
    return out


def chance_patterns(run, seeds=(0, 1, 2), root=OUTPUT_ROOT):
    """A run's patterns moved to random places and mapped onto notes, one placement a seed.

    Every pattern keeps its number of occurrences and their lengths; each occurrence gets a
    uniformly random start in its piece (:func:`random_placement`), and the spans are mapped
    onto the score as the run's method maps its own (``extraction.json``: the window's
    centre for ``families``, the run's ``--notes``).

    Parameters
    ----------
    run : str
        A run that ``extract_motives.py`` has processed with csv scores (it reads
        ``extraction.json`` and every piece's ``.segraw``).
    seeds : sequence of int
        One random placement per seed.
    root : Path
        Folder of the runs (``output/``).

    Yields
    ------
    dict
        Per seed, piece name → patterns of ``(notes, 2)`` arrays ``(onset, pitch)``, as
        :func:`complex_auto.patterns.patterns_to_notes` gives them.

    Raises
    ------
    DataError
        When the run has no ``extraction.json`` or no piece with a score.
    ParameterError
        When ``seeds`` holds none.
    """
    seeds = _seeds(seeds)
    layout = RunLayout(run, root)
    info = read_extraction(layout)
    shift = None if info["method"] == "nf14" else info["window"] / 2.0
    notes = info.get("notes", NOTES[0])
    pieces = [p for p in info["pieces"] if p["csv"] and layout.segraw(p["piece"]).is_file()]
    if not pieces:
        raise DataError(f"{run}: no piece was extracted with a csv score")
    # what each piece needs, read once for all seeds: frames, spans, score, timing
    inputs = [(p["piece"], len(open_matrix(p["matrix"])) - info["pad"],
               read_segraw(layout.segraw(p["piece"])), *piece_timing(info, p)) for p in pieces]
    for seed in seeds:
        rng = np.random.default_rng(seed)
        yield {piece: patterns_to_notes(random_placement(spans, n, rng), score, h, offset,
                                        shift, notes)
               for piece, n, spans, score, offset, h in inputs}


def chance_scores(run, seeds=(0, 1, 2), refdir=DEFAULT_REFDIR, root=OUTPUT_ROOT, by_piece=False,
                  placements=None):
    """Mean MIREX scores of a run's patterns moved to random places, averaged over seeds.

    Parameters
    ----------
    run : str
        A run that ``extract_motives.py`` has processed with csv scores (it reads
        ``extraction.json`` and every piece's ``.segraw``).
    seeds : sequence of int
        One random placement per seed (:func:`chance_patterns`).
    refdir : str or Path
        Ground truth folder.
    root : Path
        Folder of the runs (``output/``).
    by_piece : bool
        Also return every piece's scores.
    placements : sequence of dict, optional
        What :func:`chance_patterns` yields for ``run`` and ``seeds``, when the caller drew it
        already to read it otherwise too (``bench/chance.py --shares``); ``seeds`` is then unused.

    Returns
    -------
    dict
        :data:`~complex_auto.evaluation.SCORE_COLUMNS` → mean over seeds of the mean over pieces.
    pieces : dict, only with ``by_piece``
        Piece name → :data:`~complex_auto.evaluation.SCORE_COLUMNS` → mean over seeds.

    Raises
    ------
    DataError
        When the run has no ``extraction.json`` or no piece with a score.
    ParameterError
        When ``seeds`` (or ``placements``) holds none.
    """
    per_seed, rows_per_seed = [], []
    for placed in chance_patterns(run, seeds, root) if placements is None else placements:
        with tempfile.TemporaryDirectory() as tmp:
            for piece, patterns in placed.items():
                write_mirex(Path(tmp) / f"{piece}.seg", patterns)
            rows, mean, _ = evaluate_folder(tmp, refdir)
        per_seed.append(mean)
        rows_per_seed.append({r["piece"]: r for r in rows})
    if not per_seed:
        raise ParameterError("placements must hold one placement at least")
    mean = {c: float(np.mean([m[c] for m in per_seed])) for c in SCORE_COLUMNS}
    if not by_piece:
        return mean
    return mean, {piece: {c: float(np.mean([rows[piece][c] for rows in rows_per_seed]))
                          for c in SCORE_COLUMNS} for piece in rows_per_seed[0]}


def _as_tuples(note_patterns):
    # patterns_to_notes gives (n, 2) arrays; mir_eval compares occurrences as sets of tuples
    return [[[tuple(n) for n in occ] for occ in p] for p in note_patterns]


def ceiling_scores(score, reference, seeds=(0, 1, 2), notes="span"):
    """What a perfect audio finder scores on a piece, and what its chance control scores.

    The perfect finder reports every annotated occurrence's span exactly; like every audio
    finder, a span stands for all the notes it covers, while an annotation may hold a single
    voice. Its chance control moves each occurrence to a uniformly random start within the
    score (same length; on a grid of :data:`CEILING_GRID_BEATS`), as :func:`chance_scores` does
    for a run. The difference is the most by which any finder can beat its chance control on
    each measure: where it is small, the measure cannot tell a finder from chance on the piece.

    Parameters
    ----------
    score : np.ndarray, shape (notes, >= 2)
        ``(onset in beats, pitch, ...)`` (:func:`complex_auto.jku.read_score_csv`).
    reference : list
        Annotated patterns, each a list of occurrences of ``(onset, pitch)`` notes
        (:func:`complex_auto.evaluation.load_patterns`).
    seeds : sequence of int
        One random placement per seed.
    notes : {'span', 'recurring', 'melody'}
        What an occurrence's notes are, as for a run (``extract_motives.py --notes``).

    Returns
    -------
    top, chance : dict
        :data:`~complex_auto.evaluation.SCORE_COLUMNS` → score; ``chance`` averaged over seeds.

    Raises
    ------
    ParameterError
        When ``seeds`` holds none or ``score`` is not a score array.
    """
    # an occurrence's span: from its first onset to just past its last
    spans = [np.array([occurrence_onsets(occ) for occ in pattern]) + [0.0, 1e-3]
             for pattern in reference]
    # in beats (h = 1, offset 0), every note a span covers, as for a families run
    seeds = _seeds(seeds)
    score = checks.score(score)
    exact = patterns_to_notes([np.hstack([s, s]) for s in spans], score, 1.0, 0.0, 0.0, notes)
    top = evaluate_piece(reference, _as_tuples(exact))
    first = float(score[:, 0].min())
    grid = [np.round((s - first) / CEILING_GRID_BEATS).astype(np.int64) for s in spans]
    n = int(np.ceil((score[:, 0].max() - first) / CEILING_GRID_BEATS)) + 1
    per_seed = []
    for seed in seeds:
        placed = random_placement(grid, n, np.random.default_rng(seed))
        found = patterns_to_notes(placed, score, CEILING_GRID_BEATS, first, 0.0, notes)
        per_seed.append(evaluate_piece(reference, _as_tuples(found)))
    return top, {c: float(np.mean([r[c] for r in per_seed])) for c in SCORE_COLUMNS}
