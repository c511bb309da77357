"""The melody of a score: its skyline, the highest note sounding at each moment.

A finder on audio says *where* a passage repeats; mapped onto a score, its span holds every
note that sounds there. Annotations of motifs often hold one voice only: 574 of the 575
annotated occurrences of BPS-dev's motifs are one voice, and 88 % of their notes are the
highest note sounding at their onset (``python bench/annotated_voices.py PATH/TO/bps-dev``;
in the JKU PDD 42 % of the occurrences are one voice, and 42 % of the notes are the highest).
:func:`skyline` keeps those notes of a score, so that a span can stand for its melody instead
of its whole texture (``extract_motives.py --notes melody``).

This is the skyline of Uitdenbogerd & Zobel ("Manipulation of music for melody matching",
ACM Multimedia 1998), with durations: a note stays unless a higher note sounds at its onset,
whether that note starts with it or earlier and is still held. A melody note that the
accompaniment crosses from above is lost, and an inner voice that enters during a rest of the
top voice is kept: the rule knows no voices, only pitch and time.
"""
import heapq

import numpy as np

from .errors import DataError
from .recurrence import TICKS_PER_BEAT


def skyline(score):
    """Which notes of a score are the highest sounding at their onset.

    Parameters
    ----------
    score : np.ndarray, shape (notes, >= 3)
        Onset (beats), MIDI pitch and duration (beats) of each note, in any order
        (:func:`complex_auto.jku.read_score_csv` with ``durations=True``).

    Returns
    -------
    np.ndarray of bool, shape (notes,)
        True for a note that no higher note covers at its onset: none starts with it, and none
        that started before still sounds (onset + duration after it). Notes of equal pitch and
        onset are kept or dropped together.

    Raises
    ------
    DataError
        When the score has no duration column, a negative duration or a number that is not
        finite.
    """
    score = np.asarray(score, dtype=np.float64)
    if score.ndim != 2 or score.shape[1] < 3:
        raise DataError(f"a melody needs each note's duration: the score has shape "
                        f"{score.shape}, not (notes, 3) of onset, pitch, duration")
    if not np.isfinite(score[:, :3]).all():
        k = int(np.argmax(~np.isfinite(score[:, :3]).all(axis=1)))
        raise DataError(f"note {k} of the score holds a number that is not finite: "
                        f"{score[k, :3].tolist()}")
    if (score[:, 2] < 0).any():
        k = int(np.argmax(score[:, 2] < 0))
        raise DataError(f"a melody needs durations >= 0, but note {k} of the score lasts "
                        f"{score[k, 2]:g} beats")
    # on the grid of recurrence.TICKS_PER_BEAT: a csv's rounded decimals (a triplet's
    # 0.3333333333) would otherwise let a note end a hair after the next one starts
    onsets = np.round(score[:, 0] * TICKS_PER_BEAT).astype(np.int64)
    ends = np.round((score[:, 0] + score[:, 2]) * TICKS_PER_BEAT).astype(np.int64)
    pitches = score[:, 1]
    order = np.argsort(onsets, kind="stable")
    keep = np.zeros(len(score), bool)
    held = []                       # (-pitch, end) of notes begun so far: a max-heap on pitch
    i = 0
    while i < len(order):
        j = i
        while j < len(order) and onsets[order[j]] == onsets[order[i]]:
            j += 1
        now, group = onsets[order[i]], order[i:j]
        while held and held[0][1] <= now:       # the highest held note has ended: drop it
            heapq.heappop(held)
        top = pitches[group].max()
        if held:
            top = max(top, -held[0][0])
        keep[group] = pitches[group] >= top
        for k in group:
            heapq.heappush(held, (-pitches[k], ends[k]))
        i = j
    return keep
