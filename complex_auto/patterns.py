"""Repeated themes and sections from a self-similarity matrix (``extract_motives.py``).

Two methods (``--method``), whose files are the same: ``nf14``, the default, is the original's
search (Nieto & Farbood 2014, :mod:`complex_auto.nf14`); ``families`` finds patterns at every
scale, motifs included, as path families of a rank-normalised matrix
(:mod:`complex_auto.families`). This module maps what they find onto the score and writes it:

1. :func:`piece_timing` and :func:`score_offset`: a matrix row in beats, and the score time of
   row 0 (the audio's start, ``--audio-start``).
2. :func:`patterns_to_notes`: occurrence spans to score notes (JKU csv), for the MIREX output
   (:func:`write_mirex`); with ``--notes recurring`` only the notes that recur in another
   occurrence (:mod:`complex_auto.recurrence`), with ``--notes melody`` only the highest
   sounding ones (:mod:`complex_auto.melody`). Without a score, :func:`write_patterns_csv`
   gives the spans in seconds.
3. The picture, ``PIECE_patterns.png`` (:func:`complex_auto.display.plot_patterns`).

:func:`extract_piece` runs all of it for one matrix and writes the files of
:class:`~complex_auto.layout.RunLayout`; :func:`extract_run` does it for a run's matrix list.

Frames are rows of the matrix (windows of the CQT, one hop apart). Segments are
``[i, i + M, j, j + M]``: the frames ``i..i+M`` repeat at ``j..j+M`` (half-open spans).
"""
import contextlib
import json
import logging
import math
import time
from pathlib import Path

import numpy as np

from . import checks
from .display import plot_patterns, reference_frame_spans
from .errors import DataError, ParameterError
from .filelist import check_distinct_names, read_list
from .half import as_float
from .jku import (CSV_LIST, DEFAULT_REFDIR, groundtruth_path, piece_bpm, read_mirex,
                  read_score_csv)
from .layout import OUTPUT_ROOT, RunLayout, piece_name
from .melody import skyline
from .memory import check_memory, fits_in_memory
from .nf14 import (DEFAULT_RHO, DEFAULT_TH, LOWER_STEP, MIN_BEATS, find_segments, group_patterns,
                   load_segment_cache, pattern_scores, save_segment_cache, search_params)
from .recurrence import recurring_notes
from .runinfo import provenance, read_conversion_info, recorded_path
from .utils import (atomic_write_text, counted, ignoring_interrupts, interrupts_ignored,
                    pool_context, sweep_temporaries, worker_start)

log = logging.getLogger(__name__)

#: Hop of config_cqt.ini, for runs converted before ``conversion.json`` recorded it.
DEFAULT_HOP_SECONDS = 1984 / 22050
#: Grid of the score positions that an occurrence's notes may start on, in beats.
NOTE_GRID = 0.125
DOMAINS = ("audio", "symbolic")
#: The pattern finders of ``extract_motives.py --method``; the first is the default.
METHODS = ("nf14", "families")
#: What an occurrence's notes are (``extract_motives.py --notes``); the first is the default.
#: span: every note in its span, as in the reference; recurring: those of them that recur in
#: another occurrence of the pattern (:mod:`complex_auto.recurrence`); melody: those that are
#: the highest note sounding at their onset (:mod:`complex_auto.melody`).
NOTES = ("span", "recurring", "melody")
#: The named values of ``extract_motives.py --audio-start`` (else seconds); the first is the default.
AUDIO_STARTS = ("auto", "first-sound")
#: Longest ``--max-beats`` accepted: more than a day of music at 60 bpm, longer than any piece
#: (a larger number overflowed the compiled search's integers).
MAX_BEATS_LIMIT = 100_000


def warn_if_tempo_implausible(piece, bpm, n_frames, frame_seconds, method):
    """Warn when a tempo leaves a piece no pattern to find, or beats finer than its frames.

    A mistyped ``--bpm`` (1000 for 100, or 1e-9) otherwise gives patterns cut to the wrong
    length, or none, with no word on why.

    Parameters
    ----------
    piece : str
    bpm : float
    n_frames : int
        Rows of the piece's matrix, padding left out.
    frame_seconds : float
    method : str
        ``'nf14'`` (shortest segment :data:`complex_auto.nf14.MIN_BEATS` beats) or ``'families'``
        (:data:`complex_auto.families.MIN_BEATS`).

    Returns
    -------
    list of str
        What was warned (empty when the tempo is plausible).

    Raises
    ------
    ParameterError
        When ``bpm`` or ``frame_seconds`` is not a positive number.
    """
    from . import families

    bpm = checks.number(bpm, "bpm", positive=True)
    frame_seconds = checks.number(frame_seconds, "frame_seconds", positive=True)
    said = []
    beat = 60.0 / bpm
    if beat < frame_seconds:
        said.append(f"{piece}: at {bpm:g} bpm a beat ({beat:.3f} s) is shorter than a frame "
                    f"({frame_seconds:.3f} s); is the tempo right?")
    shortest = MIN_BEATS if method == "nf14" else families.MIN_BEATS
    beats = n_frames * frame_seconds / beat
    if beats < 2 * shortest:
        said.append(f"{piece}: at {bpm:g} bpm it lasts {beats:.3g} beats, too few for two "
                    f"occurrences of the shortest pattern ({shortest:g} beats with {method}): "
                    + ("only noise can be found" if method == "nf14" else  # th falls below 0
                       "no pattern can be found") + "; is the tempo right?")
    for line in said:
        log.warning(line)
    return said


# ---------------------------------------------------------------------------------------------
# frames -> beats -> notes


def score_offset(score, domain="audio", audio_start=0.0, bpm=120.0):
    """Score time (beats) at frame 0.

    ``'audio'``: the recording plays the score's first onset (the smallest onset of the csv,
    −1 for a piece with a pick-up) ``audio_start`` seconds in, at ``bpm``. ``'symbolic'``:
    frame 0 is beat 0, less ``audio_start``.

    Parameters
    ----------
    score : np.ndarray, shape (notes, >=2)
        Onsets in beats in column 0 (:func:`complex_auto.jku.read_score_csv`); read for
        ``'audio'`` only.
    domain : {'audio', 'symbolic'}
        :data:`DOMAINS`.
    audio_start : float
        Seconds into the recording where the first onset plays (:func:`audio_starts`).
    bpm : float
        Tempo in beats per minute, to turn ``audio_start`` into beats.

    Returns
    -------
    float
        Beats; frame ``f`` is at ``f * h + offset`` (``h`` from
        :func:`complex_auto.nf14.search_params`).

    Raises
    ------
    ParameterError
        When ``domain`` is not one of :data:`DOMAINS`, ``bpm`` is not a positive number,
        ``audio_start`` not a number or ``score`` not a score array.
    """
    if domain not in DOMAINS:
        raise ParameterError(f"domain must be one of {DOMAINS}, not {domain!r}")
    audio_start = checks.number(audio_start, "audio_start")
    bpm = checks.number(bpm, "bpm", positive=True)
    first = float(np.min(checks.score(score)[:, 0])) if domain == "audio" else 0.0
    return first - audio_start * bpm / 60.0


def piece_timing(info, piece):
    """An extracted piece's score, the score time (beats) at frame 0, and beats per frame.

    Parameters
    ----------
    info : dict
        :func:`~complex_auto.runinfo.read_extraction`.
    piece : dict
        One of ``info['pieces']``; it must have a csv score.

    Returns
    -------
    score : np.ndarray, shape (notes, 2 or 3)
        :func:`complex_auto.jku.read_score_csv`, with durations when the run's notes are
        ``'melody'``.
    offset : float
        :func:`score_offset`, in the run's domain.
    h : float
        Beats per frame.
    """
    score = read_score_csv(piece["csv"], durations=info.get("notes") == "melody")
    offset = score_offset(score, info.get("domain", "audio"), piece.get("audio_start", 0.0),
                          piece["bpm"])
    return score, offset, info["frame_seconds"] * piece["bpm"] / 60.0


def span_to_beats(start, end, h, offset):
    """Frames ``[start, end)`` to whole beats: ``round(frame·h + offset)`` of either end.

    Python's :func:`round`: a half goes to the even beat.

    Parameters
    ----------
    start, end : int or float
        The span in frames (rows of the matrix).
    h : float
        Beats per frame (:func:`complex_auto.nf14.search_params`).
    offset : float
        Score time of frame 0 in beats (:func:`score_offset`).

    Returns
    -------
    (int, int)
        The span in beats, half-open.
    """
    return round(start * h + offset), round(end * h + offset)


def occurrence_notes(score, start_beat, end_beat, grid=NOTE_GRID):
    """The notes of a score that start on the grid ``start_beat + k·grid < end_beat``.

    Parameters
    ----------
    score : np.ndarray, shape (notes, >=2)
        Onsets (beats) and MIDI pitches, as read by :func:`complex_auto.jku.read_score_csv`.
    start_beat, end_beat : int
        The span in beats (half-open).
    grid : float
        Spacing in beats of the points ``start_beat + k * grid`` an onset must equal.

    Returns
    -------
    np.ndarray, shape (n, 2)
        ``(onset, pitch)`` ordered by onset, notes with equal onsets in file order. Onsets off
        the grid (triplets, for instance) never match, as in the reference.
    """
    score = np.asarray(score)
    points = np.arange(start_beat, end_beat, grid)
    idx = np.flatnonzero(np.isin(score[:, 0], points))
    idx = idx[np.argsort(score[idx, 0], kind="stable")]
    return score[idx, :2]


def span_notes(score, start_beat, end_beat):
    """The notes of a score whose onsets lie in ``[start_beat, end_beat)`` (beats, any value).

    Unlike :func:`occurrence_notes` (the reference's whole beats and 1/8-beat grid), onsets off
    the grid (triplets) are found too, and spans need not start on a beat: ``families`` gives
    spans in seconds, which are mapped onto the score as they are.

    Parameters
    ----------
    score : np.ndarray, shape (notes, >=2)
        Onsets (beats) and MIDI pitches, as read by :func:`complex_auto.jku.read_score_csv`.
    start_beat, end_beat : float
        The span in beats, half-open, moved 1e-9 beats down: a note on a boundary belongs to
        the span it starts, even when float error puts the boundary just past its onset.

    Returns
    -------
    np.ndarray, shape (n, 2)
        ``(onset, pitch)`` ordered by onset, notes with equal onsets in file order.
    """
    score = np.asarray(score)
    eps = 1e-9     # an onset exactly on the end belongs to the next span
    idx = np.flatnonzero((score[:, 0] >= start_beat - eps) & (score[:, 0] < end_beat - eps))
    idx = idx[np.argsort(score[idx, 0], kind="stable")]
    return score[idx, :2]


def patterns_to_notes(patterns, score, h, offset, shift=None, notes="span"):
    """Map each occurrence's span (columns 2, 3) to score notes (DESIGN.md §8, step 4).

    With ``shift=None`` (``nf14``) spans become whole beats and notes on the 1/8-beat grid, as
    in the reference; otherwise (``families``) frame ``f`` is at beat ``(f + shift)·h + offset``
    and every note in the span counts (:func:`span_notes`). With ``notes="recurring"`` each
    occurrence then keeps the notes that recur in another occurrence of its pattern
    (:func:`complex_auto.recurrence.recurring_notes`); with ``notes="melody"`` spans are
    mapped onto the score's skyline only (:func:`complex_auto.melody.skyline`). Occurrences
    without notes are dropped, then patterns left with fewer than two occurrences.

    Parameters
    ----------
    patterns : list of np.ndarray, each shape (occurrences, 4)
        Frame spans, rows ``[i0, i1, j0, j1]`` (:func:`complex_auto.nf14.group_patterns`,
        :func:`families_to_patterns`).
    score : np.ndarray, shape (notes, >=2)
        ``(onset in beats, pitch)``; ``notes="melody"`` needs durations in a third column
        (:func:`complex_auto.jku.read_score_csv` with ``durations=True``).
    h : float
        Beats per frame.
    offset : float
        Score time of frame 0 in beats (:func:`score_offset`).
    shift : float, optional
        Frames from a matrix row to the music it stands for (half a window for ``families``).
    notes : {'span', 'recurring', 'melody'}
        :data:`NOTES`: every note of the span, the notes of it that recur, or its melody.

    Returns
    -------
    list of list of np.ndarray (n, 2)
        Patterns, occurrences, ``(onset, pitch)`` rows.

    Raises
    ------
    ParameterError
        When ``notes`` is not one of :data:`NOTES`, ``h`` not a positive number, ``offset``
        or ``shift`` not a number, ``score`` not a score array or ``patterns`` not in the
        ``(occurrences, 4)`` layout (:func:`families_to_patterns` makes it of ``families``'
        output).
    """
    if notes not in NOTES:
        raise ParameterError(f"notes must be one of {', '.join(NOTES)}, not '{notes}'")
    patterns = checks.patterns(patterns)
    score = checks.score(score)
    h, offset = checks.number(h, "h", positive=True), checks.number(offset, "offset")
    shift = None if shift is None else checks.number(shift, "shift")
    if notes == "melody":
        score = score[skyline(score)]
    result = []
    for pattern in patterns:
        occurrences, starts = [], []
        for occ in pattern:
            if shift is None:
                start, end = span_to_beats(occ[2], occ[3], h, offset)
                found = occurrence_notes(score, start, end)
            else:
                start, end = (occ[2] + shift) * h + offset, (occ[3] + shift) * h + offset
                found = span_notes(score, start, end)
            if len(found):
                occurrences.append(found)
                starts.append(start)
        if notes == "recurring" and len(occurrences) >= 2:
            occurrences = recurring_notes(occurrences, starts)
        if len(occurrences) >= 2:
            result.append(occurrences)
    return result


# ---------------------------------------------------------------------------------------------
# writers


def format_mirex(note_patterns):
    """MIREX pattern text: ``patternK`` / ``occurrenceK`` / ``onset, pitch`` lines.

    Numbers are written with ``repr`` so that :func:`mir_eval.io.load_patterns` reads back the
    very same floats.

    Parameters
    ----------
    note_patterns : list of list of array-like, each shape (notes, 2)
        Per pattern, per occurrence: ``(onset in beats, MIDI pitch)`` rows
        (:func:`patterns_to_notes`).

    Returns
    -------
    str
        The file's text, a newline after every line.
    """
    lines = []
    for p, pattern in enumerate(note_patterns, 1):
        lines.append(f"pattern{p}")
        for o, occ in enumerate(pattern, 1):
            lines.append(f"occurrence{o}")
            lines.extend(f"{float(on)!r}, {float(pitch)!r}" for on, pitch in occ)
    return "".join(line + "\n" for line in lines)


def write_mirex(path, note_patterns):
    """Write patterns of notes (:func:`patterns_to_notes`) as a MIREX file (``.seg``)."""
    atomic_write_text(path, format_mirex(note_patterns))


def write_segraw(path, patterns):
    """Write patterns as frame spans (``.segraw``), atomically.

    Same layout as a MIREX file, with ``start_frame, end_frame`` (half-open; columns 2 and 3
    of each occurrence) in place of ``onset, pitch``, so ``mir_eval.io.load_patterns`` reads
    it too.

    Parameters
    ----------
    path : str or Path
    patterns : list of np.ndarray, each shape (occurrences, 4)
        Per pattern, its occurrences in the layout of
        :func:`complex_auto.nf14.group_patterns` and
        :func:`complex_auto.families.families_to_patterns`: an occurrence's own span
        ``[start, end)`` in frames is its columns 2 and 3, which are written.
    """
    lines = []
    for p, pattern in enumerate(patterns, 1):
        lines.append(f"pattern{p}")
        for o, occ in enumerate(pattern, 1):
            lines.append(f"occurrence{o}")
            lines.append(f"{int(occ[2])}, {int(occ[3])}")
    atomic_write_text(path, "".join(line + "\n" for line in lines))


def read_segraw(path):
    """Read a ``.segraw`` file back: list of ``(occurrences, 2)`` int arrays of frame spans."""
    return [np.array([occ[0] for occ in pattern], dtype=np.int64).reshape(-1, 2)
            for pattern in read_mirex(path)]


def write_patterns_csv(path, patterns, frame_seconds, scores=None, shift=0.0):
    """Write ``pattern,occurrence,start_s,end_s,score``, one row per occurrence (1-based numbers).

    Pattern and occurrence numbers are those of the ``.segraw`` file, in the order of
    ``patterns``: best first for ``families``, in the order found for ``nf14``.

    Parameters
    ----------
    path : str or Path
        The CSV to write (``PIECE.patterns.csv``), atomically.
    patterns : list of np.ndarray, each shape (occurrences, 4)
        Each occurrence's span is its columns 2 and 3, in frames.
    frame_seconds : float
        Seconds per frame, for ``start_s`` and ``end_s`` (3 decimals).
    scores : list of float, optional
        One per pattern (:func:`complex_auto.nf14.pattern_scores`); the column is empty
        without them.
    shift : float
        Frames from a matrix row to the music it stands for (half a window for ``families``).

    Raises
    ------
    ParameterError
        When ``frame_seconds`` is not a positive number, ``shift`` not a number or
        ``patterns`` not in the ``(occurrences, 4)`` layout.
    """
    patterns = checks.patterns(patterns)
    frame_seconds = checks.number(frame_seconds, "frame_seconds", positive=True)
    shift = checks.number(shift, "shift")
    rows = ["pattern,occurrence,start_s,end_s,score"]
    for p, pattern in enumerate(patterns, 1):
        score = "" if scores is None else f"{scores[p - 1]:.4f}"
        for o, occ in enumerate(pattern, 1):
            rows.append(f"{p},{o},{(occ[2] + shift) * frame_seconds:.3f},"
                        f"{(occ[3] + shift) * frame_seconds:.3f},{score}")
    atomic_write_text(path, "\n".join(rows) + "\n")


# ---------------------------------------------------------------------------------------------
# one piece, one run


def load_matrix(path):
    """Load a listed ``.npy`` self-similarity matrix (float16, float32 or float64) in memory.

    Parameters
    ----------
    path : str or Path
        As ``convert.py --self-sim-matrix`` writes it.

    Returns
    -------
    np.ndarray, shape (frames, frames), float64, C-contiguous

    Raises
    ------
    DataError
        When the file is missing, no ``.npy`` file, not a square matrix, or holds NaN or
        infinite values.
    """
    X = np.ascontiguousarray(as_float(open_matrix(path, mmap_mode=None)))
    if not np.isfinite(X).all():
        raise DataError(f"{path}: matrix holds NaN or infinite values")
    return X


def open_matrix(path, mmap_mode="r"):
    """A listed ``.npy`` self-similarity matrix, its header checked.

    What every reader of a run's matrices opens: memory-mapped, a cheap check of shape and
    type, so that bad input fails before any work, and a search that reads only the cells it
    needs.

    Parameters
    ----------
    path : str or Path
        As ``convert.py --self-sim-matrix`` writes it.
    mmap_mode : {'r', None}
        ``None`` reads the whole file into memory (:func:`load_matrix`).

    Returns
    -------
    np.memmap or np.ndarray, shape (frames, frames)
        As stored (float16, float32 or float64).

    Raises
    ------
    DataError
        When the file is missing, no ``.npy`` file, or not a square matrix of real numbers.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: self-similarity matrix does not exist")
    try:
        X = np.load(path, mmap_mode=mmap_mode, allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        # numpy takes a file without the .npy header for a pickle, and says so
        why = ("not a NumPy .npy file" if "pickle" in str(e)
               else str(e).splitlines()[0] if str(e) else type(e).__name__)
        raise DataError(f"{path}: cannot read matrix ({why})") from None
    if X.ndim != 2 or X.shape[0] != X.shape[1] or X.size == 0:
        raise DataError(f"{path}: matrix is {'x'.join(map(str, X.shape))}, not square "
                        "with at least one frame")
    if X.dtype.kind not in "biuf":
        raise DataError(f"{path}: matrix holds {X.dtype} values, not real numbers")
    return X


def families_to_patterns(found):
    """:func:`complex_auto.families.find_patterns` output as ``(occurrences, 4)`` arrays.

    Row 0 is the first occurrence as a repeat of itself, row ``k`` ``[a, b, c_k, d_k]``: the
    layout of :func:`complex_auto.nf14.group_patterns`, so that writers and pictures serve
    both methods.

    Parameters
    ----------
    found : list of (float, array_like of shape (occurrences, 2))
        Score and frame spans ``[start, end)`` of each pattern.

    Returns
    -------
    list of np.ndarray, each shape (occurrences, 4), int64

    Raises
    ------
    ParameterError
        When a pattern's spans are not an ``(occurrences, 2)`` array of numbers.
    """
    patterns = []
    for k, (_, spans) in enumerate(found):
        spans = checks.array(spans, f"found[{k}] spans", ndim=2)
        if spans.shape[1] != 2 or not len(spans):
            raise ParameterError(f"found[{k}] spans must have shape (occurrences, 2), not "
                                 f"{spans.shape}")
        a, b = spans[0]
        patterns.append(np.column_stack([np.full(len(spans), a), np.full(len(spans), b),
                                         spans[:, 0], spans[:, 1]]).astype(np.int64))
    return patterns


@contextlib.contextmanager
def _about(matrix_path):
    """A search's :class:`DataError` names the matrix file it is about."""
    try:
        yield
    except DataError as e:
        raise DataError(f"{matrix_path}: {e}") from None


def extract_piece(matrix_path, layout, bpm, csv_path=None, th=DEFAULT_TH, rho=DEFAULT_RHO,
                  domain="audio", frame_seconds=None, refdir=DEFAULT_REFDIR,
                  load_segments=False, save_segments=False, plot=True, method="nf14",
                  window=None, pad=None, audio_start=0.0, occurrence_p=None, max_beats=None,
                  notes="span", share=1):
    """Find the patterns of one matrix and write its files into the run folder.

    Writes ``PIECE.segraw``, ``PIECE.patterns.csv`` and (``plot``) ``PIECE_patterns.png``; with
    a csv score also ``PIECE.seg`` (MIREX). Without a score a stale ``PIECE.seg`` is removed.

    Parameters
    ----------
    matrix_path : str or Path
        ``output/RUN/NAME.npy``.
    layout : RunLayout
        The run folder written to.
    bpm : float
        Tempo of the piece in beats per minute.
    csv_path : str or Path, optional
        The piece's score (JKU csv).
    th, rho : float, int
        See :func:`complex_auto.nf14.find_segments` (``nf14`` only).
    domain : {'audio', 'symbolic'}
        Time base of the frames relative to the score (:func:`score_offset`).
    frame_seconds : float, optional
        Seconds per frame, for beats and for the seconds of ``.patterns.csv``; by default
        that of the run the matrix is in (:func:`run_timing` of its folder, as
        ``extract_motives.py`` takes it); :data:`complex_auto.nf14.FRAME_SECONDS` for the
        original's mapping.
    refdir : str or Path
        Ground truth (``PIECE.txt``) to mark on the picture, when there and a score is given.
    load_segments, save_segments : bool
        Read the segments from / save them to ``layout.segments_cache(piece)`` (``nf14`` only).
    plot : bool
        Also draw ``PIECE_patterns.png`` (:func:`complex_auto.display.plot_patterns`).
    method : {'nf14', 'families'}
        The finder (:data:`METHODS`).
    window : int, optional
        Frames (matrix rows) a feature window spans, ``length_ngram // step``; by default
        the run's (:func:`run_timing`). ``families`` places a window at its centre,
        ``window / 2`` frames after its start.
    pad : int, optional
        Rows at the end of the matrix that are padding, not windows (``families`` ignores
        them); by default the run's (:func:`run_timing`).
    audio_start : float
        Seconds into the recording where the score's first onset plays (``'audio'`` domain).
        ``extract_motives.py`` passes what :func:`audio_starts` gives (by default the
        recording's first sound for ``families``, 0 for ``nf14``).
    occurrence_p : float, optional
        ``families`` only: occurrences must also beat the chance level of their length for
        this share of random span pairs (:func:`complex_auto.families.chance_level`).
    max_beats : float, optional
        ``families`` only: the longest pattern in beats (default
        :data:`complex_auto.families.MAX_BEATS`; ``MOTIF_BEATS`` for motifs only).
    notes : {'span', 'recurring', 'melody'}
        The notes of an occurrence in ``PIECE.seg`` (:data:`NOTES`, :func:`patterns_to_notes`).
    share : int
        Pieces searched at a time (``-j``): ``nf14`` counts on a ``share``-th of the memory at
        hand, as the others take as much beside it.

    Returns
    -------
    dict
        ``piece, frames, bpm, method, th, th_used, segments, patterns, patterns_with_notes,
        seconds`` and ``files`` (paths written).

    Raises
    ------
    ParameterError
        When ``method`` is unknown (or ``notes``, with a score), or ``bpm`` is not a
        positive number.
    DataError
        When the matrix is missing, or its values, the score or the saved segments are
        unusable.
    MemoryLimitError
        When the matrix is too big for memory and even the search from the file
        (:mod:`complex_auto.nf14_stream`) does not fit.
    """
    if method not in METHODS:
        raise ParameterError(f"method must be one of {', '.join(METHODS)}, not '{method}'")
    t0 = time.perf_counter()
    piece = piece_name(matrix_path)
    bpm = checks.number(bpm, "bpm", positive=True)
    frames = len(open_matrix(matrix_path))     # the header, checked before any work
    if frame_seconds is None or window is None or pad is None:
        run_dir = Path(matrix_path).resolve().parent
        seconds, run_window, run_pad = run_timing(RunLayout(run_dir.name, run_dir.parent),
                                                  frame_seconds)
        frame_seconds = seconds
        window, pad = (run_window if window is None else window,
                       run_pad if pad is None else pad)
    h, min_dur, max_diff = search_params(bpm, frame_seconds)
    n_rows = frames - pad
    if n_rows < 1:
        raise DataError(f"{matrix_path}: {n_rows + pad} rows, no more than its {pad} rows of "
                        "padding: not a matrix that convert.py writes")
    warn_if_tempo_implausible(piece, bpm, n_rows, frame_seconds, method)
    if method == "families":
        X, patterns, scores = _search_families(matrix_path, h, pad, occurrence_p, max_beats)
        shift, th_used, n_segments = window / 2.0, None, sum(len(p) - 1 for p in patterns)
    else:
        X, patterns, scores, th_used, n_segments = _search_nf14(
            matrix_path, layout, piece, n_rows + pad, min_dur, max_diff, th, rho,
            load_segments, save_segments, share)
        # the threshold in effect is the one that found the segments: -pk's, not --th (the
        # summary would call it lowered)
        th = th_used if load_segments else th
        shift = None
    N = len(X)

    files = []
    write_segraw(layout.segraw(piece), patterns)
    files.append(layout.segraw(piece))
    write_patterns_csv(layout.patterns_csv(piece), patterns, frame_seconds, scores, shift or 0.0)
    files.append(layout.patterns_csv(piece))
    n_with_notes = reference_spans = None
    if csv_path is not None:
        n_with_notes, reference_spans = _write_notes(layout, piece, patterns, csv_path, notes,
                                                     domain, audio_start, bpm, h, shift, refdir)
        files.append(layout.seg(piece))
    elif layout.seg(piece).exists():
        layout.seg(piece).unlink()
        log.info("%s: removed stale %s (no csv score this time)", piece, layout.seg(piece))
    if plot:
        how = (f"th {th_used:.4f}" if method == "nf14" else "families" if occurrence_p is None
               else f"families, occurrences p < {occurrence_p:g}")
        if max_beats is not None:
            how += f", at most {max_beats:g} beats"
        title = (f"{piece}: {len(patterns)} patterns, best first ({how}, {bpm:g} bpm)"
                 if method == "families" else
                 f"{piece}: {n_segments} segments, {len(patterns)} patterns ({how}, {bpm:g} bpm)")
        plot_patterns(layout.patterns_image(piece), X, patterns, title, reference_spans,
                      frame_seconds=frame_seconds, shift=shift or 0.0)
        files.append(layout.patterns_image(piece))
    return {"piece": piece, "frames": N, "bpm": bpm, "method": method, "th": th,
            "th_used": th_used, "segments": n_segments, "patterns": len(patterns),
            "patterns_with_notes": n_with_notes, "seconds": time.perf_counter() - t0,
            "files": files}


def _search_families(matrix_path, h, pad, occurrence_p, max_beats):
    """:func:`complex_auto.families.find_patterns` on a matrix file: ``(X, patterns,
    scores)``, the matrix memory-mapped, the patterns as :func:`families_to_patterns` lays
    them out, best first."""
    from .families import find_patterns

    X = open_matrix(matrix_path)
    N = len(X)
    with _about(matrix_path):
        found = find_patterns(X, h, n_rows=N - pad, occurrence_p=occurrence_p,
                              max_beats=max_beats)
    patterns = families_to_patterns(found)
    scores = [s for s, _ in found]
    return X, patterns, scores


def _search_nf14(matrix_path, layout, piece, N, min_dur, max_diff, th, rho, load_segments,
                 save_segments, share):
    """The original's search on a matrix file (or its segments loaded with -pk):
    ``(X, patterns, scores, threshold used, number of segments)``."""
    # In memory the search holds the matrix, a copy and the median's (28 bytes a cell);
    # when that does not fit it reads the file a window of rows at a time. Segments loaded
    # with -pk need no search: the matrix alone (8 bytes a cell), read from the file too when
    # even that does not fit.
    streamed = not fits_in_memory((8 if load_segments else 28) * N * N * share)
    if streamed:
        from .nf14_stream import find_segments_file, window_memory

        beside = f" with {share} pieces searched at a time" if share > 1 else ""
        if not load_segments:
            check_memory(window_memory(N) * share,
                         f"{piece}: the nf14 search of its {N}x{N} matrix{beside}",
                         "use -j 1, " * (share > 1) + "use --method families, or a "
                         "machine with more memory")
        X = open_matrix(matrix_path)
    else:
        X = load_matrix(matrix_path)
    cache = layout.segments_cache(piece)
    if load_segments:
        segments, th_used = load_segment_cache(cache, N, min_dur)
    elif streamed:
        log.info("%s: %dx%d matrix searched from the file (too big for memory)", piece, N, N)
        with _about(matrix_path):
            segments, th_used = find_segments_file(X, min_dur, th, LOWER_STEP)
    else:
        work = X - np.median(X)
        segments, th_used = find_segments(work, min_dur, th, rho, overwrite=True)
        if th_used != th:
            log.info("%s: nothing found at th=%g; found at th=%.4f", piece, th, th_used)
    if save_segments:
        save_segment_cache(cache, segments, th_used, N, min_dur)
    patterns = group_patterns(segments, max_diff)
    if streamed:      # diagonals read from the file (through the map: a page a row)
        from .nf14_stream import pattern_scores_file

        scores = pattern_scores_file(X, patterns)
    else:
        scores = pattern_scores(X, patterns)
    return X, patterns, scores, th_used, len(segments)


def _write_notes(layout, piece, patterns, csv_path, notes, domain, audio_start, bpm, h, shift,
                 refdir):
    """Write ``PIECE.seg``, the patterns' notes in the csv score: ``(patterns with notes,
    the ground truth's spans in frames for the picture, or None)``."""
    score = read_score_csv(csv_path, durations=notes == "melody")
    offset = score_offset(score, domain, audio_start, bpm)
    note_patterns = patterns_to_notes(patterns, score, h, offset, shift, notes)
    if not note_patterns:
        log.warning("%s: no pattern has two occurrences with notes in %s; %s is empty",
                    piece, csv_path, layout.seg(piece))
    write_mirex(layout.seg(piece), note_patterns)
    ref = groundtruth_path(piece, refdir) if refdir else None
    reference_spans = (reference_frame_spans(ref, h, offset + (shift or 0.0) * h)
                       if ref is not None else None)
    return len(note_patterns), reference_spans


def plan_run(run, csv_list="auto", bpm=None, root=OUTPUT_ROOT, jku_list=CSV_LIST,
             durations=False):
    """Check a run's inputs and pair every matrix with its tempo and score, before any work.

    Parameters
    ----------
    run : str
        The run's name: its folder under ``root``.
    csv_list : str or Path or None
        ``'auto'``: JKU pieces get their score from ``jku_list`` by name, others none.
        ``None`` or ``'none'``: no scores. A path: one csv per matrix, paired by piece name
        when the two lists name the same pieces, else in the same order.
    bpm : float, optional
        Tempo of the pieces that are not JKU pieces and have none in a list's second column.
        (Tempo precedence: list column of the matrix list, then of the csv list, then the
        JKU table by name, then ``bpm``.)
    root : str or Path
        Where the runs are.
    jku_list : str or Path
        The csv list of the JKU pieces, for ``csv_list='auto'``.
    durations : bool
        Also check each score's duration column (``--notes melody`` reads it).

    Returns
    -------
    list of dict
        ``matrix, piece, bpm, csv`` per listed matrix.

    Raises
    ------
    DataError
        Missing matrix list or matrix, non-square matrix, csv list of the wrong length, a csv
        row that does not parse, a piece of unknown tempo, two matrices of the same piece.
    """
    layout = RunLayout(run, root)
    hint = (f"; make the matrices first with: python convert.py {run} FILELIST CONFIG "
            "--self-sim-matrix")
    if not layout.conversion_info.exists() and any(layout.conversion_records.glob("*.json")):
        # files converted, but no command wrote the run's lists: a stopped conversion, or
        # shards, which leave them to the merge (a whole run writes conversion.json)
        hint = (f"; its conversion was stopped, or ran in parts (--shard) whose lists "
                f"python convert.py {run} FILELIST CONFIG --merge writes")
    matrices = read_list(layout.matrix_list, "matrix", hint, base=layout.root.parent)
    check_distinct_names(matrices, layout.matrix_list, pieces=True)
    for m, _, _ in matrices:
        open_matrix(m)
    _warn_other_folders([m for m, _, _ in matrices], layout)

    csvs = [(None, None)] * len(matrices)
    if isinstance(csv_list, str) and csv_list.lower() == "none":
        csv_list = None
    if isinstance(csv_list, str) and csv_list == "auto":
        if Path(jku_list).is_file():
            by_name = {piece_name(f): (f, b) for f, b, _ in read_list(jku_list, "csv score")}
            csvs = [by_name.get(piece_name(m), (None, None)) for m, _, _ in matrices]
        else:
            log.debug("%s not found: no csv scores", jku_list)
    elif csv_list is not None:
        listed = read_list(csv_list, "csv score")
        if len(listed) != len(matrices):
            raise DataError(f"{csv_list} lists {counted(len(listed), 'csv score')} but "
                            f"{layout.matrix_list} lists "
                            f"{counted(len(matrices), 'matrix', 'matrices')}; "
                            "list one csv per matrix, in the same order")
        csvs = _pair_scores(matrices, listed, layout.matrix_list, csv_list)

    plan = []
    for (m, list_bpm, _), (c, csv_bpm) in zip(matrices, csvs):
        piece = piece_name(m)
        given = list_bpm if list_bpm is not None else csv_bpm
        if c is not None:
            read_score_csv(c, durations)    # fail now on a bad row, not after the searches
        plan.append({"matrix": m, "piece": piece, "bpm": piece_bpm(piece, given, default=bpm),
                     "csv": c})
    return plan


def _pair_scores(matrices, csvs, matrix_list, csv_list):
    """The csv score of each matrix: by name when the two lists name the same pieces, else
    line by line (the original's rule, for files named otherwise).

    Lists of the same pieces in two orders paired line by line scored every piece against
    another's score, with a warning; now they pair by name. A csv that names a piece of
    another line, whose own line has another score, is a list out of order: refused rather
    than scored against the wrong score (one score for two recordings of it is not).
    """
    names = [piece_name(m) for m, _, _ in matrices]
    by_name = {piece_name(c): (c, b) for c, b, _ in csvs}
    if sorted(names) == sorted(by_name) and len(by_name) == len(csvs):
        if names != [piece_name(c) for c, _, _ in csvs]:
            log.info("%s and %s list the same pieces in other orders: paired by name",
                     matrix_list, csv_list)
        return [by_name[n] for n in names]
    line_of = {n: k for k, n in enumerate(names)}
    for (m, _, _), (c, _, line) in zip(matrices, csvs):
        if piece_name(c) != piece_name(m):
            own = line_of.get(piece_name(c))
            if own is not None and Path(csvs[own][0]).resolve() != Path(c).resolve():
                raise DataError(f"{csv_list}, line {line}: {c} is the score of "
                                f"{piece_name(c)}, whose matrix is on another line of "
                                f"{matrix_list}; list one csv per matrix, in its order")
            log.warning("matrix %s is paired with csv %s (same line number, different "
                        "names)", m, c)
    return [(c, b) for c, b, _ in csvs]


def _warn_other_folders(matrices, layout):
    """Say when listed matrices lie outside the run while the run holds files of their names.

    A run folder copied to another name keeps its list, which names the first run's files: the
    copy's searches read those, and change when that run is converted again.
    """
    here = layout.dir.resolve()
    elsewhere = [m for m in matrices if Path(m).resolve().parent != here
                 and (layout.dir / Path(m).name).is_file()]
    if elsewhere:
        log.warning("%s lists %s outside %s, though it holds %s of the same name (a copied "
                    "run?), first %s: the listed ones are read; to search this run's own, "
                    "convert it again or edit the list", layout.matrix_list,
                    counted(len(elsewhere), "matrix", "matrices"), layout.dir,
                    "one" if len(elsewhere) == 1 else "files", elsewhere[0])


def parse_audio_start(value):
    """``--audio-start`` as given: one of :data:`AUDIO_STARTS`, else seconds (float, >= 0).

    Parameters
    ----------
    value : str or float
        ``'auto'``, ``'first-sound'``, or seconds as a number or its text.

    Returns
    -------
    str or float
        The name, or the seconds: finite and 0 or more.

    Raises
    ------
    DataError
        For anything else: another word, a negative number, NaN or an infinite one (which
        overflowed later, turned into samples).
    """
    if value in AUDIO_STARTS:
        return value
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if seconds < 0:
        raise DataError("--audio-start: must be 'auto', 'first-sound' or seconds (0 or more)")
    if not math.isfinite(seconds):
        raise DataError(f"--audio-start {value}: must be a finite number of seconds")
    return seconds


def audio_starts(layout, plan, audio_start="auto", method="nf14", domain="audio"):
    """Seconds into each recording of ``plan`` where its score's first onset plays.

    A number applies to every piece. ``'first-sound'``: each recording's first sound
    (:func:`complex_auto.cqt.first_sound`; the recording is found through
    ``conversion.json``), for pieces with a score. ``'auto'``: the same for ``families`` in the
    ``'audio'`` domain, 0 otherwise. So ``nf14`` keeps the original's mapping, time 0 at the
    first onset: it places a segment at its first window's start, half a window (3 beats at
    120 bpm) before the music the window stands for, which the lead-in of the JKU renditions
    (0.7–1.2 s) partly makes up for; its segments give the seed's results.

    Parameters
    ----------
    layout : RunLayout
        The run, whose ``conversion.json`` names each piece's recording.
    plan : list of dict
        From :func:`plan_run`.
    audio_start : str or float
        ``'auto'``, ``'first-sound'`` or seconds (:func:`parse_audio_start`).
    method : {'nf14', 'families'}
        The finder, for ``'auto'``.
    domain : {'audio', 'symbolic'}
        Time base of the frames, for ``'auto'``.

    Returns
    -------
    list of float
        Seconds, one per entry of ``plan``. A recording that cannot be read or is not
        recorded gets 0 with a warning.

    Raises
    ------
    DataError
        When ``audio_start`` is none of these, or ``conversion.json`` is malformed.
    """
    audio_start = parse_audio_start(audio_start)
    if audio_start not in AUDIO_STARTS:
        return [audio_start] * len(plan)
    if (audio_start == "auto" and (method == "nf14" or domain != "audio")
            or not any(p["csv"] for p in plan)):
        return [0.0] * len(plan)
    from .cqt import first_sound

    info = read_conversion_info(layout.conversion_info) or {}
    records = {r.get("piece"): r for r in info.get("files", []) if isinstance(r, dict)}
    starts = []
    for p in plan:
        audio = records.get(p["piece"], {}).get("audio")
        start = 0.0
        if p["csv"] and audio:
            try:
                start = round(first_sound(recorded_path(audio, layout), info.get("sr", 22050)), 4)
            except DataError as e:
                log.warning("%s; the score's first onset is taken at 0 s (--audio-start "
                            "sets it)", e)
        elif p["csv"]:
            log.warning("%s: %s records no recording of %s; the score's first onset is taken "
                        "at 0 s (--audio-start sets it)", p["piece"], layout.conversion_info,
                        p["piece"])
        starts.append(start)
    return starts


def _extract_job(job):
    job = dict(job)
    layout, stamp = job.pop("layout"), job.pop("stamp")
    result = extract_piece(job.pop("matrix"), layout, job.pop("bpm"), csv_path=job.pop("csv"),
                           **job)
    atomic_write_text(layout.extraction_record(stamp["piece"]["piece"]),
                      json.dumps(stamp, sort_keys=True) + "\n")
    return result


def _stamp(record, entry):
    """What a piece's outputs were made with: the run's settings and the piece's entry."""
    return json.loads(json.dumps(dict({k: v for k, v in record.items() if k != "pieces"},
                                      piece=entry)))


def run_timing(layout, frame_seconds=None):
    """Seconds per matrix row, window length and padding rows of a run's matrices.

    From ``conversion.json`` (:mod:`complex_auto.runinfo`): the hop and step that conversion
    used. ``frame_seconds`` given (``--frame-seconds``) wins, e.g. the reference's 0.0886. A run
    converted before that record existed gets config_cqt.ini's hop, 1984 / 22050 s, and
    32-frame windows, with a warning unless ``frame_seconds`` is given.

    Parameters
    ----------
    layout : RunLayout
        The run, whose ``conversion.json`` is read.
    frame_seconds : float, optional
        Seconds per matrix row that win over the record.

    Returns
    -------
    frame_seconds : float
        Seconds per matrix row (``hop_length * step / sr``).
    window : int
        Matrix rows a feature window spans, ``length_ngram // step``.
    pad : int
        Padding rows at the end of each matrix (the recipe's 9).

    Raises
    ------
    DataError
        When ``conversion.json`` exists but is malformed.
    """
    from .selfsim import PAD

    info = read_conversion_info(layout.conversion_info)
    if info is None:
        if frame_seconds is None:
            log.warning("%s not found (converted by an older version?): taking frames of "
                        "1984/22050 s and 32-frame windows", layout.conversion_info)
        return frame_seconds or DEFAULT_HOP_SECONDS, 32, PAD
    step = int(info.get("step", 1))
    return (frame_seconds or float(info["frame_seconds"]),
            int(info.get("length_ngram", 32)) // step, PAD)


def extract_run(run, csv_list="auto", bpm=None, th=DEFAULT_TH, rho=DEFAULT_RHO, jobs=1,
                domain="audio", frame_seconds=None, refdir=DEFAULT_REFDIR,
                load_segments=False, save_segments=False, plot=True, root=OUTPUT_ROOT,
                method="nf14", shard=None, overwrite=True, audio_start="auto",
                occurrence_p=None, max_beats=None, notes="span"):
    """Run :func:`extract_piece` on every matrix of ``output/RUN/ss_matrices_filelist.txt``.

    All inputs are checked first (:func:`plan_run`), then the run's settings are written to
    ``extraction.json``, before any piece. Each piece's record,
    ``output/RUN/.extracted/PIECE.json``, is written after its outputs: it holds the run's
    settings and the piece's tempo, score, matrix and audio start. ``overwrite=False`` skips
    a piece whose record is the one this call would write and whose outputs (with the ``.seg``
    when it has a score, the picture with ``plot``) all exist, none older than its matrix.
    ``extraction.json`` cannot vouch for that: a run killed midway, or another shard, leaves
    it beside outputs of other settings.

    Parameters
    ----------
    run : str
        The run's name: its folder under ``root``.
    csv_list, bpm
        The scores and tempi of the pieces, as for :func:`plan_run`.
    th, rho
        As for :func:`complex_auto.nf14.find_segments` (``nf14`` only; recorded as settings).
    jobs : int
        Processes (:func:`complex_auto.utils.pool_context`) that run pieces at once, the
        largest matrices first; 1 runs them here, in list order.
    domain
        As for :func:`extract_piece`.
    frame_seconds : float, optional
        Seconds per matrix row; None takes it from the run's ``conversion.json``
        (:func:`run_timing`, which also gives the window and padding rows).
    refdir, load_segments, save_segments, plot
        As for :func:`extract_piece`. ``load_segments`` and ``save_segments`` need
        ``nf14`` and redo every piece.
    root : str or Path
        Where the runs are.
    method
        As for :func:`extract_piece`.
    shard : (int, int), optional
        ``(K, N)``: only the K-th of N parts of the list (:mod:`complex_auto.shards`); all
        pieces are checked and recorded in ``extraction.json`` all the same.
    overwrite : bool
        Redo pieces whose outputs are up to date (see above).
    audio_start : str or float
        ``'auto'``, ``'first-sound'`` or seconds (:func:`audio_starts`).
    occurrence_p, max_beats, notes
        As for :func:`extract_piece`. ``occurrence_p`` (in (0, 1)) and ``max_beats`` (from
        :data:`complex_auto.families.MIN_BEATS` to :data:`MAX_BEATS_LIMIT`) need
        ``families``.

    Returns
    -------
    list of dict
        The summaries of :func:`extract_piece` of the pieces run (not those skipped), in
        list order.

    Raises
    ------
    ParameterError
        When an option is unknown, out of range or not one of ``method``'s.
    DataError
        When an input is unusable (:func:`plan_run`, :func:`extract_piece`).
    """
    if domain not in DOMAINS:
        raise ParameterError(f"domain must be one of {', '.join(DOMAINS)}, not '{domain}'")
    if method not in METHODS:
        raise ParameterError(f"method must be one of {', '.join(METHODS)}, not '{method}'")
    if method != "nf14" and (load_segments or save_segments):
        raise ParameterError("-pk and -spk save and load the segments of the nf14 search only")
    if occurrence_p is not None and method != "families":
        raise ParameterError("--occurrence-p is an option of --method families")
    if occurrence_p is not None and not 0 < occurrence_p < 1:
        raise ParameterError(f"--occurrence-p {occurrence_p:g}: must be between 0 and 1")
    if max_beats is not None and method != "families":
        raise ParameterError("--max-beats is an option of --method families")
    if notes not in NOTES:
        raise ParameterError(f"--notes {notes}: must be one of {', '.join(NOTES)}")
    if max_beats is not None:
        from .families import MIN_BEATS

        if not (math.isfinite(max_beats) and MIN_BEATS <= max_beats <= MAX_BEATS_LIMIT):
            raise ParameterError(f"--max-beats {max_beats:g}: must be a number of beats from "
                                 f"{MIN_BEATS:g} (the shortest pattern) to {MAX_BEATS_LIMIT:g}")
    # A frame is one CQT hop: 1 ms is 22 samples at 22050 Hz, 10 s a window of minutes.
    # Beyond, the grids of the finders overflowed (1e-300) or the mapping onto notes did.
    if frame_seconds is not None and not 0.001 <= checks.number(frame_seconds,
                                                                "--frame-seconds") <= 10:
        raise ParameterError(f"--frame-seconds {frame_seconds:g}: must be from 0.001 to 10 "
                             "seconds (one CQT hop)")
    # Segment scores are means of similarities in [0, 1]: above 1 nothing is found, and the
    # threshold came down 0.001 a pass (for ever from 1e300, where th - 0.001 == th).
    if checks.number(th, "--th") > 1:
        raise ParameterError(f"--th {th:g}: must be at most 1 (the similarities of the "
                             "matrix lie in [0, 1])")
    if bpm is not None and checks.number(bpm, "--bpm") <= 0:
        raise ParameterError(f"--bpm {bpm:g}: must be positive beats per minute")
    layout = RunLayout(run, root)
    plan = plan_run(run, csv_list, bpm, root, durations=notes == "melody")
    sweep_temporaries(layout)
    if not any(p["csv"] for p in plan):
        if notes != NOTES[0]:
            log.warning("--notes %s: no piece has a csv score, so no span is mapped onto "
                        "notes (the option changes nothing)", notes)
        if audio_start != "auto":
            log.warning("--audio-start %s: no piece has a csv score to align with its "
                        "recording (the option changes nothing)", audio_start)
    frame_seconds, window, pad = run_timing(layout, frame_seconds)
    for p, start in zip(plan, audio_starts(layout, plan, audio_start, method, domain)):
        p["audio_start"] = start
    extra = dict(layout=layout, th=th, rho=rho, domain=domain, frame_seconds=frame_seconds,
                 refdir=refdir, load_segments=load_segments, save_segments=save_segments,
                 plot=plot, method=method, window=window, pad=pad, occurrence_p=occurrence_p,
                 max_beats=max_beats, notes=notes)
    record = {"method": method, "frame_seconds": frame_seconds, "window": window, "pad": pad,
              "domain": domain, "pieces": [{"piece": p["piece"], "bpm": p["bpm"],
                                             "csv": str(p["csv"]) if p["csv"] else None,
                                             "matrix": str(p["matrix"]),
                                             "audio_start": p["audio_start"]} for p in plan]}
    if method == "nf14":
        record.update(th=th, rho=rho)
    else:
        from .families import VERSION

        record["families_version"] = VERSION
    if occurrence_p is not None:
        record["occurrence_p"] = occurrence_p
    if max_beats is not None:
        record["max_beats"] = max_beats
    if notes != NOTES[0]:
        record["notes"] = notes
    _warn_other_parts(layout, plan, record, shard)
    plan = _pieces_to_do(layout, plan, record, shard,
                         overwrite or load_segments or save_segments, plot)
    # which code found them, beside (not among) the settings that the reruns compare
    atomic_write_text(layout.extraction_info,
                      json.dumps(dict(record, toolkit=provenance()), indent=1) + "\n")
    entries = {q["piece"]: q for q in record["pieces"]}
    # pieces searched at a time share the memory (-j): each nf14 search plans with its part
    extra["share"] = max(1, min(jobs, len(plan)))
    jobs_list = [dict(p, **extra, stamp=_stamp(record, entries[p["piece"]])) for p in plan]
    for p in jobs_list:
        p.pop("piece")
    if jobs <= 1 or len(jobs_list) <= 1:
        results = []
        for job in jobs_list:
            results.append(_extract_job(job))
            _log_summary(results[-1])
        return results
    if not load_segments and method == "nf14":
        # Load the compiled search once here; forked processes inherit it.
        from ._segment_kernel import search_pass

        search_pass(np.zeros((4, 4)), 1, 0.0)
    # Heaviest matrices first keeps the processes busy until the end.
    sizes = [len(open_matrix(p["matrix"])) for p in plan]
    order = sorted(range(len(jobs_list)), key=lambda k: -sizes[k])
    results = [None] * len(jobs_list)
    with interrupts_ignored():           # Ctrl-C is the main process's (utils.progress_map)
        pool = pool_context().Pool(min(jobs, len(jobs_list)), initializer=ignoring_interrupts,
                                   initargs=worker_start())
    with pool:                           # terminates the workers on the way out, also on Ctrl-C
        for k, res in zip(order, pool.imap(_extract_job, [jobs_list[k] for k in order])):
            results[k] = res
            _log_summary(res)
    return results


def extraction_entry(layout, piece):
    """A piece's own entry (tempo, score, matrix, audio start) in the record of the extraction
    that found its patterns; None without a readable one.

    In a run whose shards were extracted with other options, ``extraction.json`` holds the
    last command's entries: a piece it did not extract keeps its own in its record.

    Parameters
    ----------
    layout : RunLayout
    piece : str

    Returns
    -------
    dict or None
    """
    entry = (_read_record(layout, piece) or {}).get("piece")
    return entry if isinstance(entry, dict) else None


def extraction_settings(layout, piece):
    """The settings a piece's patterns were found with: its record less its own entry.

    Parameters
    ----------
    layout : RunLayout
    piece : str

    Returns
    -------
    dict or None
        None when the piece has no readable record
        (:meth:`~complex_auto.layout.RunLayout.extraction_record`).
    """
    record = _read_record(layout, piece)
    return None if record is None else {k: v for k, v in record.items() if k != "piece"}


def _read_record(layout, piece):
    """A piece's ``.extracted/PIECE.json`` as a dict; None when missing or unreadable."""
    try:
        record = json.loads(layout.extraction_record(piece).read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def _warn_other_parts(layout, plan, record, shard):
    """Say when pieces outside part ``shard`` were extracted with other settings.

    Each part runs on its own, so a part given another ``--method`` (or option) than the
    others leaves a run that mixes two searches, and ``extraction.json`` names the last one.
    """
    from .shards import is_whole, shard_range

    if is_whole(shard):
        return
    mine = set(shard_range(len(plan), shard))
    settings = {k: v for k, v in record.items() if k != "pieces"}
    other = [p["piece"] for i, p in enumerate(plan) if i not in mine
             and extraction_settings(layout, p["piece"]) not in (None, settings)]
    if other:
        log.warning("%s outside part %d/%d %s extracted with other settings than this part's "
                    "(first: %s): run their parts again with the same options",
                    counted(len(other), "piece"), *shard, "was" if len(other) == 1 else "were",
                    other[0])


def _pieces_to_do(layout, plan, record, shard, overwrite, plot):
    """The pieces of ``plan`` in part ``shard`` whose outputs are missing, stale or unwanted."""
    from .shards import outputs_complete, shard_range

    plan = [plan[i] for i in shard_range(len(plan), shard)]
    if overwrite:
        return plan
    entries = {q["piece"]: q for q in record["pieces"]}

    def done(p):
        # The piece's own record, not extraction.json: a killed command or a shard has
        # written that before its pieces, so it would vouch for outputs of other settings.
        # Every setting counts, also one only the earlier run had (an option given then).
        stamp = layout.extraction_record(p["piece"])
        try:
            if json.loads(stamp.read_text()) != _stamp(record, entries[p["piece"]]):
                return False            # other settings, tempo, score or matrix than last time
        except (OSError, ValueError):
            return False
        outputs = [layout.segraw(p["piece"]), layout.patterns_csv(p["piece"]), stamp]
        outputs += [layout.seg(p["piece"])] if p["csv"] else []
        outputs += [layout.patterns_image(p["piece"])] if plot else []
        # the score too: edited in place it keeps its path, and the .seg made from it is stale
        return outputs_complete(outputs, [Path(p["matrix"])] + ([Path(p["csv"])] if p["csv"]
                                                                 else []))

    todo = [p for p in plan if not done(p)]
    if len(todo) < len(plan):
        log.info("%d of %d pieces already extracted: skipped (--overwrite redoes them)",
                 len(plan) - len(todo), len(plan))
    return todo


def _log_summary(r):
    notes = ("" if r["patterns_with_notes"] is None
             else f", {r['patterns_with_notes']} with notes")
    lowered = ("" if r["th_used"] is None or r["th_used"] == r["th"]
               else f" (th lowered to {r['th_used']:.4f})")
    log.info("%s: %d frames, %g bpm: %s, %s%s%s (%.2f s)", r["piece"], r["frames"], r["bpm"],
             counted(r["segments"], "segment"), counted(r["patterns"], "pattern"), notes,
             lowered, r["seconds"])
