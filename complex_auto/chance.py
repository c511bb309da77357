"""The chance control of a run: its own patterns moved to random places, scored the same way.

A finder that scores no better than its patterns dropped at random has found nothing: on pieces
where every stretch holds many notes and patterns are long, random spans already share notes
with the annotated ones. :func:`chance_scores` keeps every pattern's number of occurrences and
their lengths, draws each occurrence's start uniformly over the piece, maps the spans onto the
score exactly as the run's method does (:func:`complex_auto.patterns.patterns_to_notes`), and
scores them with the same MIREX measures.
"""
import tempfile
from pathlib import Path

import numpy as np

from .errors import DataError
from .evaluation import SCORE_COLUMNS, evaluate_folder
from .jku import DEFAULT_REFDIR
from .layout import OUTPUT_ROOT, RunLayout
from .patterns import (patterns_to_notes, piece_timing, read_extraction, read_segraw,
                       write_mirex)


def random_placement(spans, n_frames, rng):
    """Occurrences of the same lengths at uniformly random starts within ``[0, n_frames)``.

    Parameters
    ----------
    spans : list of np.ndarray, each shape (occurrences, 2), int
        Frame spans ``[start, end)`` per pattern (:func:`complex_auto.patterns.read_segraw`).
    n_frames : int
        Frames of the piece.
    rng : np.random.Generator

    Returns
    -------
    list of np.ndarray, each shape (occurrences, 4), int64
        In the ``(occurrences, 4)`` layout of :func:`complex_auto.patterns.group_patterns`
        (columns 2 and 3 are the spans).
    """
    out = []
    for occ in spans:
        lengths = np.clip(occ[:, 1] - occ[:, 0], 1, n_frames)
        starts = (rng.random(len(occ)) * (n_frames - lengths + 1)).astype(np.int64)
        cols = np.column_stack([starts, starts + lengths])
        out.append(np.hstack([cols, cols]).astype(np.int64))
    return out


def chance_scores(run, seeds=(0, 1, 2), refdir=DEFAULT_REFDIR, root=OUTPUT_ROOT):
    """Mean MIREX scores of a run's patterns moved to random places, averaged over seeds.

    Parameters
    ----------
    run : str
        A run that ``extract_motives.py`` has processed with csv scores (it reads
        ``extraction.json`` and every piece's ``.segraw``).
    seeds : sequence of int
        One random placement per seed.
    refdir : str or Path
        Ground truth folder.

    Returns
    -------
    dict
        :data:`~complex_auto.evaluation.SCORE_COLUMNS` → mean over seeds of the mean over pieces.

    Raises
    ------
    DataError
        When the run has no ``extraction.json`` or no piece with a score.
    """
    layout = RunLayout(run, root)
    info = read_extraction(layout)
    shift = None if info["method"] == "nf14" else info["window"] / 2.0
    pieces = [p for p in info["pieces"] if p["csv"] and layout.segraw(p["piece"]).is_file()]
    if not pieces:
        raise DataError(f"{run}: no piece was extracted with a csv score")
    # what each piece needs, read once for all seeds: frames, spans, score, timing
    inputs = [(p["piece"], np.load(p["matrix"], mmap_mode="r").shape[0] - info["pad"],
               read_segraw(layout.segraw(p["piece"])), *piece_timing(info, p)) for p in pieces]
    per_seed = []
    for seed in seeds:
        rng = np.random.default_rng(seed)
        with tempfile.TemporaryDirectory() as tmp:
            for piece, n, spans, score, offset, h in inputs:
                placed = random_placement(spans, n, rng)
                notes = patterns_to_notes(placed, score, h, offset, shift)
                write_mirex(Path(tmp) / f"{piece}.seg", notes)
            rows, mean, _ = evaluate_folder(tmp, refdir)
        per_seed.append(mean)
    return {c: float(np.mean([m[c] for m in per_seed])) for c in SCORE_COLUMNS}
