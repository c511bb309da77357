"""The JKU Patterns Development Database: tempi, csv scores, ground-truth files.

The pattern extractor (:mod:`complex_auto.patterns`) needs, for each piece, its tempo (to turn
matrix frames into beats) and, for MIREX output, its score as a JKU csv (to turn beats into
notes). The five polyphonic JKU PDD pieces have known tempi; any other recording needs its tempo
from the user.

csv scores have one note a row: ``onset_in_beats, MIDI_pitch, morphetic_pitch,
duration_in_beats, staff`` (only the first two columns are used).
"""
import warnings
from collections.abc import Sized
from pathlib import Path

import numpy as np

from . import checks
from .errors import DataError, ParameterError
from .utils import read_text

#: Tempo (beats per minute) of the JKU PDD audio renditions, by piece name.
JKU_BPM = {
    "wtc2f20-poly": 84,
    "sonata01-3-poly": 192,
    "mazurka24-4-poly": 138,
    "silverswan-poly": 54,
    "sonata04-2-poly": 120,
}

#: Where the JKU PDD ground truth of this repository lives (``PIECE.txt``, MIREX format).
DEFAULT_REFDIR = Path("data") / "jku" / "groundtruth"
#: The list of the JKU pieces' csv scores (with their tempi) that ``--csv auto`` reads.
CSV_LIST = Path("jku_csv_files.txt")


def piece_bpm(piece, bpm=None, default=None):
    """The tempo of a piece, by the one rule of every step: ``bpm``, else the JKU table's
    tempo of the piece, else ``default``.

    Parameters
    ----------
    piece : str
        Piece name without extensions (``mazurka24-4-poly``).
    bpm : float or None
        A tempo given for this piece (a list's tempo column); it wins over the JKU table.
    default : float or None
        The tempo of pieces that are not JKU pieces and have none of their own (``--bpm``).

    Returns
    -------
    float
        Beats per minute.

    Raises
    ------
    DataError
        When the tempo is not a positive number, or the piece is not a JKU piece and neither
        ``bpm`` nor ``default`` is given.
    """
    if bpm is None and piece not in JKU_BPM:
        bpm = default
    if bpm is not None:
        try:
            bpm = float(bpm)
        except (TypeError, ValueError):
            raise DataError(f"{piece}: tempo must be a number of beats per minute, not "
                            f"{bpm!r}") from None
        if not np.isfinite(bpm) or bpm <= 0:
            raise DataError(f"{piece}: tempo must be a positive number of beats per minute, "
                            f"not {bpm:g}")
        return bpm
    if piece in JKU_BPM:
        return float(JKU_BPM[piece])
    raise DataError(f"{piece}: unknown tempo (not one of the JKU pieces "
                    f"{', '.join(JKU_BPM)}); give it with --bpm BPM or as a second "
                    f"column in the matrix list")


def read_score_csv(path, durations=False):
    """Read a JKU csv score.

    Parameters
    ----------
    path : str or Path
    durations : bool
        Also read each note's duration (the fourth column, in beats), which the melody of
        ``--notes melody`` needs (:func:`complex_auto.melody.skyline`).

    Returns
    -------
    np.ndarray, shape (notes, 2), or (notes, 3) with ``durations``, float64
        Onset in beats and MIDI pitch of each note (and its duration in beats), in file order.

    Raises
    ------
    DataError
        The file is missing or empty, or a row does not parse (names file and line).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: csv score does not exist")
    columns = (0, 1, 3) if durations else (0, 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")         # an empty file warns; handled below
            fast = np.loadtxt(path, delimiter=",", usecols=columns, ndmin=2, dtype=np.float64)
        if len(fast) and np.isfinite(fast).all() and (fast[:, 2:] >= 0).all():
            return fast
    except (ValueError, IndexError):
        pass                 # find and name the bad line below
    expected = ("onset_in_beats, MIDI_pitch, morphetic_pitch, duration_in_beats, ..."
                if durations else "onset_in_beats, MIDI_pitch, ...")
    rows = []
    for lineno, line in enumerate(read_text(path).splitlines(), 1):
        text = line.strip()
        if not text:
            continue
        fields = text.split(",")
        try:
            if len(fields) <= columns[-1]:
                raise ValueError
            row = tuple(float(fields[c]) for c in columns)
            if not np.isfinite(row).all() or (durations and row[2] < 0):
                raise ValueError
        except ValueError:
            shown = text if len(text) <= 60 else text[:57] + "..."
            raise DataError(f"{path}, line {lineno}: cannot read '{shown}' as a score row "
                            f"({expected})") from None
        rows.append(row)
    if not rows:
        raise DataError(f"{path}: csv score holds no notes")
    return np.array(rows, dtype=np.float64)


def read_csv_list(path):
    """The csv scores listed in a text file, one path a line (like ``jku_csv_files.txt``).

    Blank lines and ``#`` comments are skipped; a relative path is taken from the current
    folder, or else from the list's folder.

    Returns
    -------
    list of Path

    Raises
    ------
    DataError
        The list is missing or empty, or a listed file is missing (names the line).
    """
    from .filelist import read_filelist

    return read_filelist(path, check_exists=True)


def read_mirex(path):
    """Read a MIREX pattern file as :func:`mir_eval.io.load_patterns` does, without mir_eval.

    (Importing mir_eval costs seconds; the extractor only needs the spans of a ground truth
    for its pictures. Evaluation uses mir_eval's own reader.)

    Parameters
    ----------
    path : str or Path
        The MIREX file: ``patternN`` and ``occurrenceN`` headers, then ``onset, pitch`` lines.

    Returns
    -------
    list of list of list of (float, float)
        Patterns, occurrences, ``(onset, pitch)`` pairs.

    Raises
    ------
    DataError
        When a line is neither a header nor two finite numbers (names file and line): a NaN
        or infinite onset failed later, in the pictures and the report.
    """
    patterns, pattern, occurrence = [], [], []
    path = Path(path)
    for lineno, line in enumerate(read_text(path).splitlines(), 1):
        if "pattern" in line:
            if occurrence:
                pattern.append(occurrence)
            if pattern:
                patterns.append(pattern)
            pattern, occurrence = [], []
        elif "occurrence" in line:
            if occurrence:
                pattern.append(occurrence)
            occurrence = []
        elif line.strip():
            fields = line.split(",")
            try:
                note = (float(fields[0]), float(fields[1]))
            except (ValueError, IndexError):
                raise DataError(f"{path}, line {lineno}: expected 'onset, pitch', got "
                                f"'{line.strip()[:60]}'") from None
            if not np.isfinite(note).all():
                raise DataError(f"{path}, line {lineno}: onset and pitch must be finite "
                                f"numbers, not '{line.strip()[:60]}'")
            occurrence.append(note)
    if occurrence:
        pattern.append(occurrence)
    if pattern:
        patterns.append(pattern)
    return patterns


def occurrence_onsets(occurrence):
    """First and last onset of an annotated occurrence, in beats.

    An annotation lists notes, not a span; the readers that need the stretch of music an
    occurrence holds (pictures, the ceiling, bounds, chance) take it from here, from its first
    onset to its last (the report's clips run on to the end of the last note:
    :func:`complex_auto.report.reference_seconds`).

    Parameters
    ----------
    occurrence : sequence of (float, float)
        ``(onset, pitch)`` notes, as :func:`read_mirex` or :func:`mir_eval.io.load_patterns`
        give them; not empty.

    Returns
    -------
    (float, float)

    Raises
    ------
    ParameterError
        For an occurrence without notes, or one that is not a list of ``(onset, pitch)``.
    """
    if isinstance(occurrence, Sized) and not len(occurrence):
        raise ParameterError("occurrence holds no note: an annotated occurrence lists at "
                             "least one (onset, pitch)")
    notes = checks.score(occurrence, "occurrence")
    return float(notes[:, 0].min()), float(notes[:, 0].max())


def groundtruth_path(piece, refdir=DEFAULT_REFDIR):
    """``refdir/PIECE.txt`` when it exists, else ``None``."""
    p = Path(refdir) / f"{piece}.txt"
    return p if p.is_file() else None
