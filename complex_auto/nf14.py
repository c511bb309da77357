"""The original's search: Nieto & Farbood (2014) on the CAE's self-similarity matrix (``nf14``).

Nieto & Farbood, "Identifying Polyphonic Patterns From Audio Recordings Using Music
Segmentation Techniques", ISMIR 2014, with their chroma matrix replaced by the matrix of the
Complex Autoencoder's amplitudes (DESIGN.md §8). ``extract_motives.py --method nf14``, the
default, runs it segment for segment as the original did:

1. :func:`search_params`: frames to beats, minimum segment length and grouping tolerance.
2. :func:`find_segments`: diagonal stripes of high similarity, found greedily; each find is
   erased from the matrix before the search goes on, and the threshold is lowered until
   something is found (the pass itself is compiled, in :mod:`complex_auto._segment_kernel`;
   :mod:`complex_auto.nf14_stream` runs it on a matrix too large to hold).
3. :func:`group_patterns`: segments that start and end near each other are occurrences of one
   pattern; :func:`pattern_scores` gives each its mean similarity, for the ``score`` column.

:func:`complex_auto.patterns.extract_piece` runs it and maps the patterns onto notes.
Segments are ``[i, i + M, j, j + M]``: the frames ``i..i+M`` repeat at ``j..j+M`` (half-open
spans). ``-spk`` / ``-pk`` keep the found segments in a file (:func:`save_segment_cache`).
"""
import json
import logging
import math
from pathlib import Path

import numpy as np

from . import checks
from .errors import DataError, ParameterError
from .utils import atomic_write_text

log = logging.getLogger(__name__)

#: Default score threshold of the segment search (``-th``).
DEFAULT_TH = 0.0105
#: Default ``rho`` (``-r``); accepted, without effect (see :func:`find_segments`).
DEFAULT_RHO = 2
#: Seconds per matrix frame that the reference used to map frames onto beats (the real hop of
#: config_cqt.ini is :data:`complex_auto.patterns.DEFAULT_HOP_SECONDS`; ``--frame-seconds
#: 0.0886`` reproduces it).
FRAME_SECONDS = 0.0886
#: Shortest segment, in beats (``min_dur = ceil(MIN_BEATS / h)`` frames).
MIN_BEATS = 16
#: Largest start/end difference within one pattern, in beats
#: (``max_diff = int(MAX_DIFF_BEATS / h)``).
MAX_DIFF_BEATS = 5
#: How far the threshold drops each time a search finds nothing.
LOWER_STEP = 0.001
# The score window (10 values) and the erased band (diagonals -3..3) are constants of the
# compiled search, in complex_auto/_segment_kernel.py.


# ---------------------------------------------------------------------------------------------
# 1. parameters


def search_params(bpm, frame_seconds=FRAME_SECONDS):
    """Frame length in beats and the search's frame counts for a tempo.

    Parameters
    ----------
    bpm : float
        Tempo in beats per minute.
    frame_seconds : float
        Seconds per matrix frame (the reference's 0.0886).

    Returns
    -------
    h : float
        Beats per frame, ``frame_seconds * bpm / 60``.
    min_dur : int
        Shortest segment in frames, ``ceil(16 / h)``.
    max_diff : int
        Grouping tolerance in frames, ``int(5 / h)``.

    Raises
    ------
    ParameterError
        When ``bpm`` or ``frame_seconds`` is not a positive number.
    """
    h = (checks.number(frame_seconds, "frame_seconds", positive=True)
         * checks.number(bpm, "bpm", positive=True) / 60.0)
    return h, int(math.ceil(MIN_BEATS / h)), int(MAX_DIFF_BEATS / h)


# ---------------------------------------------------------------------------------------------
# 2. segment search


def find_segments(X, min_dur, th=DEFAULT_TH, rho=DEFAULT_RHO, step=LOWER_STEP, overwrite=False):
    """Greedy search for repeated diagonal stripes (DESIGN.md §8, step 2).

    For every start ``(i, j)``, ``0 <= i < j < N - min_dur`` in row-major order, a diagonal is
    grown from ``(i, j)`` for ``M = 1, 2, ...`` while ``j + M < N``. Its score at length ``M``
    is the weighted mean of its last ``w = min(M, 10)`` values (weights ``1..w``, the last
    value weighing ``w``). Growth stops at the first ``M`` scoring ``<= th``. The segment
    ``[i, i + M, j, j + M]`` is kept when its score (the score at ``M - 1``; 0 when
    ``M < min_dur`` or ``M == 1``) is ``> th``; its block's diagonals −3..3 are then set to 0
    before the search goes on. When a whole pass finds nothing, ``th`` is lowered by ``step``
    and the search runs again. Scores are float64 throughout.

    As in the reference, a threshold lowered below 0 keeps *every* start, short ones included
    (their score 0 exceeds it): a matrix without any stripe of ``min_dur`` frames scoring
    above ~0 yields a flood of one-frame segments. The extractor logs the lowered threshold.

    Parameters
    ----------
    X : np.ndarray, shape (N, N)
        Self-similarity matrix, already median-subtracted (see
        :func:`complex_auto.patterns.extract_piece`).
    min_dur : int
        Shortest segment, in frames.
    th : float
        Score threshold.
    rho : int
        Accepted for compatibility and ignored: the reference summed the traces at offsets
        ``-rho+1 .. rho-1`` of a matrix it had already reduced to its diagonal, so only offset
        0 ever counted.
    step : float
        How much ``th`` drops after a pass that found nothing.
    overwrite : bool
        Work in ``X`` itself (float64, C-contiguous) instead of a copy; it is left with the
        found blocks erased.

    Returns
    -------
    segments : np.ndarray, shape (n_segments, 4), int64
        Rows ``[i, i + M, j, j + M]`` in the order found; empty when the matrix is too small
        for any segment (``N - min_dur < 2``).
    th : float
        The threshold of the pass that found them.

    Raises
    ------
    DataError
        When ``X`` is not a square matrix of finite numbers.
    ParameterError
        When ``min_dur`` is not a positive integer, ``th`` not a finite number or ``step`` not
        above 0.
    """
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[0] != X.shape[1]:
        raise DataError(f"self-similarity matrix must be square, not {'x'.join(map(str, X.shape))}")
    if overwrite and X.dtype == np.float64 and X.flags.c_contiguous and X.flags.writeable:
        work = X
    else:
        work = np.array(X, dtype=np.float64, order="C", copy=True)
    if not np.isfinite(work).all():
        raise DataError("self-similarity matrix holds NaN or infinite values")
    min_dur, th = checks.integer(min_dur, "min_dur"), checks.number(th, "th")
    step = checks.number(step, "step", positive=True)   # else the lowering never ends
    if len(work) - min_dur < 2:
        return np.zeros((0, 4), np.int64), th
    from ._segment_kernel import search_pass
    # Terminates: once th < 0 every start scores 0 or more and is kept.
    while True:
        segments = search_pass(work, min_dur, th)
        if len(segments):
            return segments, th
        log.debug("no segment at th=%.4f; lowering it by %g", th, step)
        th = th - step


# ---------------------------------------------------------------------------------------------
# 3. patterns


def group_patterns(segments, max_diff):
    """Group segments into patterns (DESIGN.md §8, step 3; Nieto & Farbood's ``obtain_patterns``).

    Segments are walked in order. One not yet assigned opens a pattern whose occurrences are
    ``[s0, s1, s0, s1]`` (its first span, as an occurrence of itself) and ``s``; every later
    unassigned segment whose ``(start, end)`` are both within ``max_diff`` frames of ``s``'s
    ``(s0, s1)`` joins it.

    Parameters
    ----------
    segments : array_like, shape (n_segments, 4), int
    max_diff : int
        Tolerance in frames (inclusive).

    Returns
    -------
    list of np.ndarray, each shape (occurrences, 4), int64
        One array per pattern; an occurrence's own span is its columns 2 and 3.

    Raises
    ------
    ParameterError
        When ``segments`` is not of shape ``(n_segments, 4)`` or ``max_diff`` not an integer
        of at least 0.
    """
    segments = np.asarray(segments, dtype=np.int64)
    if segments.size == 0:
        segments = segments.reshape(0, 4)
    if segments.ndim != 2 or segments.shape[1] != 4:
        raise ParameterError(f"segments must have shape (n_segments, 4), rows "
                             f"[i, i + M, j, j + M], not {segments.shape}")
    max_diff = checks.integer(max_diff, "max_diff", minimum=0)
    assigned = np.zeros(len(segments), bool)
    patterns = []
    for a, s in enumerate(segments):
        if assigned[a]:
            continue
        # Every segment before ``a`` is assigned already, so this scans the later ones.
        near = (~assigned & (np.abs(segments[:, 0] - s[0]) <= max_diff)
                & (np.abs(segments[:, 1] - s[1]) <= max_diff))
        near[a] = False
        members = segments[np.flatnonzero(near)]
        assigned[near] = True
        assigned[a] = True
        patterns.append(np.vstack([[s[0], s[1], s[0], s[1]], s, members]).astype(np.int64))
    return patterns


def pattern_scores(X, patterns):
    """Mean matrix value along each pattern's segments (rows 1.., the repeats of row 0).

    The ``nf14`` search keeps patterns in the order it finds them (the seed's order); this gives
    each a score for the ``score`` column without reordering them.

    Parameters
    ----------
    X : np.ndarray, shape (N, N)
        The self-similarity matrix (:func:`complex_auto.patterns.extract_piece` passes it as
        loaded, not median-subtracted).
    patterns : list of np.ndarray, each shape (occurrences, 4)
        From :func:`group_patterns`: row ``k >= 1`` is the segment ``[i0, i1, j0, j1]``,
        whose values ``X[i0 + t, j0 + t]`` are averaged.

    Returns
    -------
    list of float
        The mean of the segments' means, one per pattern; 0.0 for a pattern without a
        segment of positive length.

    Raises
    ------
    ParameterError
        When ``patterns`` is not in the ``(occurrences, 4)`` layout.
    """
    X = np.asarray(X)
    patterns = checks.patterns(patterns)
    scores = []
    for pattern in patterns:
        vals = [X[np.arange(i0, i1), np.arange(j0, j0 + (i1 - i0))].mean()
                for i0, i1, j0, _ in pattern[1:] if i1 > i0]
        scores.append(float(np.mean(vals)) if vals else 0.0)
    return scores


# ---------------------------------------------------------------------------------------------
# segment cache (-spk / -pk)


def save_segment_cache(path, segments, th, n_frames, min_dur):
    """Store found segments (JSON) so that a later run can skip the search.

    Parameters
    ----------
    path : str or Path
        The file to write (``layout.segments_cache(piece)``), atomically.
    segments : array_like, shape (n_segments, 4), int
        From :func:`find_segments`.
    th : float
        The threshold that found them.
    n_frames : int
        Rows of the matrix searched.
    min_dur : int
        Shortest segment in frames. With ``n_frames``, it lets :func:`load_segment_cache`
        refuse segments found for a matrix of another size or at another tempo.
    """
    data = {"n_frames": int(n_frames), "min_dur": int(min_dur), "th": float(th),
            "segments": np.asarray(segments, dtype=np.int64).tolist()}
    atomic_write_text(path, json.dumps(data) + "\n")


def load_segment_cache(path, n_frames, min_dur):
    """Segments saved by :func:`save_segment_cache`; checks they belong to this matrix.

    Parameters
    ----------
    path : str or Path
        The file :func:`save_segment_cache` wrote.
    n_frames : int
        Rows of this matrix.
    min_dur : int
        Shortest segment in frames at this piece's tempo.

    Returns
    -------
    segments : np.ndarray, shape (n_segments, 4), int64
    th : float
        The threshold that found them.

    Raises
    ------
    DataError
        When the file is missing, is not such a file, or was saved for another number of
        frames or ``min_dur``.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no saved segments (-pk reads what an earlier run with -spk "
                        "saved)")
    try:
        data = json.loads(path.read_text())
        segments = np.array(data["segments"], dtype=np.int64).reshape(-1, 4)
        saved_n, saved_min, th = int(data["n_frames"]), int(data["min_dur"]), float(data["th"])
    except (ValueError, KeyError, TypeError):
        raise DataError(f"{path}: not a segment file written by extract_motives.py -spk") from None
    if saved_n != n_frames or saved_min != min_dur:
        raise DataError(f"{path}: saved for a {saved_n}-frame matrix with min_dur {saved_min}, "
                        f"not this {n_frames}-frame one with min_dur {min_dur}; "
                        "run again with -spk instead of -pk")
    return segments, th
