"""The notes of a pattern that recur: what its occurrences share, read off the score.

A finder on audio says *where* a passage repeats: spans of time. Mapped onto a score, a span
holds every note that sounds in it, the accompaniment and the other voices as well as the
repeated material. :func:`recurring_notes` keeps, in each occurrence, the notes that come back
in at least one other occurrence of the same pattern under one translation in time and pitch:
the pattern in the sense of SIATEC's translational equivalence classes (Meredith, Lemström &
Wiggins, 2002), where a pattern and its occurrences are point sets that map onto each other by
a vector ``(time, pitch)``. The vector between two occurrences is the most frequent difference
between their notes (the peak of their translation-vector histogram), its time part within
:data:`TOLERANCE_BEATS` of what the spans say, its pitch part at most an octave.

The spans still come from the audio alone: which passages repeat, and where, is not decided
here. Only the notes listed for an occurrence are; an occurrence in which fewer than
:data:`MIN_NOTES` notes recur keeps every note of its span.
"""
import numpy as np

from .errors import ParameterError

#: How far (in beats) the time part of a translation may be from the difference of two
#: occurrences' span starts: the finders place a span to within about a beat (``families``
#: smooths the matrix over one beat, ``families.SMOOTH_BEATS``; ``nf14`` works in whole beats).
TOLERANCE_BEATS = 1.0
#: Largest transposition in semitones between two occurrences: repeats in another key move by
#: less than an octave (most by a fourth or a fifth), and an octave doubling is within it.
MAX_TRANSPOSITION = 12
#: Fewer recurring notes than this are not a pattern (one note always recurs somewhere): the
#: occurrence then keeps every note of its span.
MIN_NOTES = 2
#: Onsets are compared on a grid of 1/480 beat: exact for sixteenths, triplets and quintuplets
#: of a csv score, and immune to its rounding in the last decimals.
TICKS_PER_BEAT = 480


def translation(a, b, dt, tolerance=TOLERANCE_BEATS, max_shift=MAX_TRANSPOSITION):
    """The vector that maps most notes of ``a`` onto notes of ``b``, near ``dt`` in time.

    Parameters
    ----------
    a, b : np.ndarray, shape (n, 2) and (m, 2)
        Notes ``(onset in beats, MIDI pitch)``.
    dt : float
        The expected time part in beats (the difference of the two spans' starts).
    tolerance : float
        Largest ``|time part - dt|`` in beats.
    max_shift : int
        Largest ``|pitch part|`` in semitones.

    Returns
    -------
    vector : tuple of (float, int) or None
        ``(time in beats, semitones)``; None when no pair of notes fits. Ties go to the
        smaller transposition, then to the time part nearer ``dt``, then the earlier.
    matched_a, matched_b : np.ndarray of bool, shapes (n,) and (m,)
        The notes of ``a`` that the vector maps onto a note of ``b``, and those notes of ``b``.
    """
    ta, pa = _ticks(a)
    tb, pb = _ticks(b)
    none = (None, np.zeros(len(ta), bool), np.zeros(len(tb), bool))
    if not len(ta) or not len(tb):
        return none
    order = np.argsort(tb, kind="stable")
    tb, pb = tb[order], pb[order]
    centre, tol = int(round(dt * TICKS_PER_BEAT)), int(round(tolerance * TICKS_PER_BEAT))
    # every pair (i, j) with tb[j] - ta[i] within the tolerance of dt: a window of b per note
    lo = np.searchsorted(tb, ta + centre - tol, "left")
    hi = np.searchsorted(tb, ta + centre + tol, "right")
    counts = hi - lo
    if not counts.sum():
        return none
    i = np.repeat(np.arange(len(ta)), counts)
    j = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts) + lo[i]
    d_t, d_p = tb[j] - ta[i], pb[j] - pa[i]
    ok = np.abs(d_p) <= max_shift
    if not ok.any():
        return none
    vectors, n = np.unique(np.column_stack([d_t[ok], d_p[ok]]), axis=0, return_counts=True)
    key = np.lexsort((vectors[:, 0], np.abs(vectors[:, 0] - centre), np.abs(vectors[:, 1]), -n))
    vt, vp = vectors[key[0]]
    a_keys = (ta + vt) * 256 + (pa + vp)
    b_keys = tb * 256 + pb
    matched_b = np.zeros(len(tb), bool)
    matched_b[order] = np.isin(b_keys, a_keys)
    return (vt / TICKS_PER_BEAT, int(vp)), np.isin(a_keys, b_keys), matched_b


def _ticks(notes):
    notes = np.asarray(notes, float).reshape(-1, 2)
    return (np.round(notes[:, 0] * TICKS_PER_BEAT).astype(np.int64),
            np.round(notes[:, 1]).astype(np.int64))


def recurring_notes(occurrences, starts, tolerance=TOLERANCE_BEATS, max_shift=MAX_TRANSPOSITION,
                    min_notes=MIN_NOTES):
    """Each occurrence's notes that recur in another occurrence of the same pattern.

    Parameters
    ----------
    occurrences : list of np.ndarray, each shape (n, 2)
        Notes ``(onset in beats, MIDI pitch)`` of each occurrence's span.
    starts : sequence of float
        Each span's start in beats: the translation between occurrences ``i`` and ``j`` is
        sought within ``tolerance`` of ``starts[j] - starts[i]``.
    tolerance, max_shift
        See :func:`translation`.
    min_notes : int
        An occurrence with fewer recurring notes keeps all its notes.

    Returns
    -------
    list of np.ndarray, each shape (k, 2)
        The same occurrences, in the same order, each a subset of its notes in their order.
    """
    if len(occurrences) != len(starts):
        raise ParameterError(f"{len(occurrences)} occurrences but {len(starts)} starts")
    keep = [np.zeros(len(o), bool) for o in occurrences]
    for x in range(len(occurrences)):
        for y in range(x + 1, len(occurrences)):
            _, in_x, in_y = translation(occurrences[x], occurrences[y], starts[y] - starts[x],
                                        tolerance, max_shift)
            keep[x] |= in_x
            keep[y] |= in_y
    return [np.asarray(o)[k] if k.sum() >= min_notes else np.asarray(o)
            for o, k in zip(occurrences, keep)]
