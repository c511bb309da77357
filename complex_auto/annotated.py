"""How strongly a run's matrices mark its annotated repeats: the features apart from the finder.

A finder can only find a repeat that the matrix marks. :func:`repeat_quantiles` reads every
pair of annotated occurrences of a pattern off the matrix the ``families`` finder reads
(:func:`complex_auto.families.prepare_matrix`: lag-normalised, as quantiles of the piece) and
averages it along the pair's diagonal. The same is done for pairs of spans of the same lengths
at random places, the control: a representation that marks repeats well puts the annotated
pairs near 1 and the random ones near 0.5. When the annotated pairs stand out and the finder
still scores at chance, the finder is at fault; when they do not, no finder on this matrix can
do much better.
"""
from pathlib import Path

import numpy as np

from .errors import DataError, ParameterError
from .families import RESOLUTION_BEATS, diagonal_prefix, prepare_matrix
from .jku import DEFAULT_REFDIR, read_mirex
from .layout import OUTPUT_ROOT, RunLayout
from .patterns import open_matrix, piece_timing
from .runinfo import read_extraction

#: Random pairs drawn per annotated pair for the control.
DRAWS = 20
#: Beats before (negative) and after an annotated boundary at which :func:`boundary_profiles`
#: reads the matrix: out to 4 beats, a little more than half a 32-frame window (1.44 s: 2.9
#: beats at 120 bpm, 3.8 at 160), so the whole smear of windows across the boundary is in view.
PROFILE_BEATS = (-4, -2, -1, 0, 1, 2, 4)


def diagonal_means(P, first, second, lengths):
    """Mean of a matrix along the diagonals from ``(first, second)``, ``lengths`` cells long.

    Parameters
    ----------
    P : np.ndarray, shape (n + 1, n + 1)
        :func:`complex_auto.families.diagonal_prefix` of the matrix.
    first, second, lengths : np.ndarray of int, shape (pairs,)
        Start cells of both spans and their common length; ``max(first, second) + lengths``
        must not exceed ``n``.

    Returns
    -------
    np.ndarray, shape (pairs,), float
    """
    first, second, lengths = (np.asarray(v, np.int64) for v in (first, second, lengths))
    return (P[first + lengths, second + lengths] - P[first, second]) / lengths


def occurrence_pairs(spans, n, min_lag):
    """Every pair of occurrences of one pattern that fits the matrix, as diagonal segments.

    Parameters
    ----------
    spans : np.ndarray, shape (occurrences, 2), int
        ``[start, end)`` cells of each occurrence.
    n : int
        Cells of the matrix.
    min_lag : int
        Pairs closer than this (a passage against itself) are left out, as the finder leaves
        them out.

    Returns
    -------
    np.ndarray, shape (pairs, 3), int64
        ``first, second, length`` with ``length`` the shorter occurrence's.
    """
    out = []
    for i in range(len(spans)):
        for j in range(i + 1, len(spans)):
            a, b = sorted((int(spans[i, 0]), int(spans[j, 0])))
            length = max(1, int(min(spans[i, 1] - spans[i, 0], spans[j, 1] - spans[j, 0])))
            if b - a >= min_lag and a >= 0 and b + length <= n:
                out.append((a, b, length))
    return np.array(out, np.int64).reshape(-1, 3)


def boundary_profiles(R, pairs, offsets):
    """The matrix along each pair's diagonal around the pair's start and around its end.

    Where a repeat starts, the similarity of its two occurrences does not jump: windows
    centred before the start hold some of the repeat, those after it some of what preceded.
    These profiles show how the matrix the finder reads rises across the annotated start
    and falls across the annotated end.

    Parameters
    ----------
    R : np.ndarray, shape (n, n)
        The matrix (:func:`complex_auto.families.prepare_matrix`).
    pairs : np.ndarray, shape (pairs, 3), int
        ``first, second, length`` (:func:`occurrence_pairs`).
    offsets : sequence of int
        Cells from the boundary, negative before it.

    Returns
    -------
    start, end : np.ndarray, shape (pairs, len(offsets)), float
        ``R[first + k, second + k]`` and ``R[first + length + k, second + length + k]`` for
        each offset ``k``; NaN where that lies outside the matrix.
    """
    pairs = np.asarray(pairs, np.int64).reshape(-1, 3)
    k = np.asarray(offsets, np.int64)
    n = len(R)
    out = []
    for anchor in (pairs[:, :2], pairs[:, :2] + pairs[:, 2:3]):
        rows, cols = anchor[:, :1] + k, anchor[:, 1:] + k
        inside = (rows >= 0) & (cols < n)
        values = np.full(rows.shape, np.nan)
        values[inside] = R[rows[inside], cols[inside]]
        out.append(values)
    return tuple(out)


def random_pairs(lengths, n, min_lag, rng, draws=DRAWS):
    """``draws`` pairs of spans at uniformly random places per length, at least ``min_lag`` apart.

    Parameters
    ----------
    lengths : np.ndarray of int, shape (pairs,)
        Span lengths in cells, one per annotated pair (its ``length``).
    n : int
        Cells of the matrix: both spans of a pair lie in ``[0, n)``.
    min_lag : int
        Least distance in cells between the starts of a pair; closer pairs are redrawn.
    rng : np.random.Generator
    draws : int
        Pairs drawn per length.

    Returns
    -------
    np.ndarray, shape (len(lengths) * draws, 3), int64
        ``first, second, length``, the ``draws`` pairs of each length in a row.

    Raises
    ------
    ParameterError
        When a length leaves no room for such a pair in ``n`` cells.
    """
    lengths = np.repeat(np.asarray(lengths, np.int64), draws)
    if len(lengths) and lengths.max() + min_lag > n:
        raise ParameterError(f"no two spans of {lengths.max()} cells fit {min_lag} apart in {n}")
    out = np.zeros((len(lengths), 3), np.int64)
    out[:, 2] = lengths
    todo = np.arange(len(lengths))
    while len(todo):        # redraw the pairs that came out too close; few rounds
        L = lengths[todo]
        a, b = (rng.random((2, len(todo))) * (n - L + 1)).astype(np.int64)
        a, b = np.minimum(a, b), np.maximum(a, b)
        ok = b - a >= min_lag
        out[todo[ok], 0], out[todo[ok], 1] = a[ok], b[ok]
        todo = todo[~ok]
    return out


def piece_quantiles(X, n_rows, beats_per_frame, window, offset, reference, rng,
                    resolution=RESOLUTION_BEATS):
    """The annotated and random pairs of one piece and their mean quantiles.

    Parameters
    ----------
    X : np.ndarray or np.memmap, shape (N, N)
        The piece's matrix.
    n_rows : int
        Rows of ``X`` that are windows.
    beats_per_frame : float
        Beats per row of ``X``.
    window : int
        Frames per window: a row stands for the music at its window's centre.
    offset : float
        Score time (beats) at frame 0 (:func:`complex_auto.patterns.score_offset`).
    reference : list
        Ground-truth patterns as :func:`complex_auto.jku.read_mirex` reads them; an occurrence
        spans its first to its last onset.
    rng : np.random.Generator
        Draws the control pairs (:func:`random_pairs`).
    resolution : float
        Grid of the comparison in beats (:data:`RESOLUTION_BEATS`, that of ``families``).

    Returns
    -------
    list of dict
        Per annotated pattern: ``occurrences``, ``beats`` (median length), ``annotated``
        (mean quantile per pair), ``random`` (:data:`DRAWS` random pairs per pair), and
        ``start`` and ``end``, shape (pairs, len(PROFILE_BEATS)): each pair's quantile at
        :data:`PROFILE_BEATS` from its annotated start and end (:func:`boundary_profiles`;
        the end is the last onset). Patterns without a pair that fits the matrix are left
        out; the list is empty when the piece is too short for the finder's grid.
    """
    R, factor, min_len, _ = prepare_matrix(X, beats_per_frame, n_rows, resolution)
    if R is None:
        return []
    P = diagonal_prefix(R)
    n = len(R)
    offsets = np.round(np.array(PROFILE_BEATS) / (factor * beats_per_frame)).astype(np.int64)
    out = []
    for pattern in reference:
        beats = np.array([(min(o for o, _ in occ), max(o for o, _ in occ)) for occ in pattern])
        rows = (beats - offset) / beats_per_frame - window / 2.0
        cells = np.round(rows / factor).astype(np.int64)
        pairs = occurrence_pairs(cells, n, min_len)
        if not len(pairs):
            continue
        control = random_pairs(pairs[:, 2], n, min_len, rng)
        start, end = boundary_profiles(R, pairs, offsets)
        out.append({"occurrences": len(pattern),
                    "beats": float(np.median(beats[:, 1] - beats[:, 0])),
                    "annotated": diagonal_means(P, *pairs.T),
                    "random": diagonal_means(P, *control.T),
                    "start": start, "end": end})
    return out


def repeat_quantiles(run, refdir=DEFAULT_REFDIR, seed=0, root=OUTPUT_ROOT):
    """:func:`piece_quantiles` of every piece of an extracted run that has a ground truth.

    Parameters
    ----------
    run : str
        A run that ``extract_motives.py`` has processed with csv scores (its
        ``extraction.json`` gives each piece's matrix, tempo, score and audio start).
    refdir : str or Path
        Ground truth folder (``PIECE.txt``).
    seed : int
        Seed of the random pairs.
    root : Path
        Folder of the runs (``output/``).

    Returns
    -------
    dict
        Piece → list of per-pattern dicts (:func:`piece_quantiles`).

    Raises
    ------
    DataError
        When the run has no ``extraction.json``, the matrix of a piece with a score and a
        ground truth is missing, or no piece has both.
    """
    info = read_extraction(RunLayout(run, root))
    rng = np.random.default_rng(seed)
    out = {}
    for p in info["pieces"]:
        ref = Path(refdir) / f"{p['piece']}.txt"
        if not p["csv"] or not ref.is_file():
            continue
        X = open_matrix(p["matrix"])
        _, offset, h = piece_timing(info, p)
        out[p["piece"]] = piece_quantiles(X, len(X) - info["pad"], h, info["window"], offset,
                                          read_mirex(ref), rng)
    if not out:
        raise DataError(f"{run}: no piece has both a csv score and a ground truth in {refdir}")
    return out
