"""The notes of a pattern that recur (``complex_auto.recurrence``, ``--notes recurring``)."""
from pathlib import Path

import numpy as np
import pytest

from complex_auto.errors import ParameterError
from complex_auto.patterns import patterns_to_notes
from complex_auto.recurrence import recurring_notes, translation

ROOT = Path(__file__).resolve().parents[1]
MOTIF = np.array([[0.0, 60], [0.5, 62], [1.0, 64], [1.5, 65], [2.0, 67]])


def noise(rng, start, low=30, n=8, beats=3.0):
    """Other notes: random onsets on a 1/3-beat grid, random pitches in ``low .. low + 7``."""
    return np.column_stack([start + np.round(rng.random(n) * beats * 3) / 3,
                            rng.integers(low, low + 8, n)]).astype(float)


def test_translation_finds_a_transposed_repeat_among_other_notes():
    rng = np.random.default_rng(0)
    a = np.vstack([MOTIF, noise(rng, 0.0)])
    b = np.vstack([noise(rng, 8.0), MOTIF + [8.25, 5]])      # a fourth up, a quarter beat late
    vector, in_a, in_b = translation(a, b, 8.0)
    assert vector == (8.25, 5)
    assert in_a.tolist() == [True] * 5 + [False] * 8
    assert in_b.tolist() == [False] * 8 + [True] * 5
    # the time part is sought within a beat of the spans' difference, the pitch part within
    # an octave
    assert translation(MOTIF, MOTIF + [8.25, 5], 4.0)[0] is None      # 6.25 beats at least
    vector, in_a, _ = translation(MOTIF, MOTIF + [8, 13], 8.0)
    assert vector[1] != 13 and in_a.sum() < 5
    assert translation(MOTIF, MOTIF + [8, -12], 8.0)[0] == (8.0, -12)
    assert translation(MOTIF[:0], MOTIF, 0.0)[0] is None


def test_translation_ties_go_to_the_smaller_transposition_then_the_nearer_time():
    a = np.array([[0.0, 60], [1.0, 64]])
    b = np.array([[8.0, 67], [9.0, 71], [8.0, 60], [9.0, 64]])    # up a fifth, or unmoved
    assert translation(a, b, 8.0)[0] == (8.0, 0)
    b = np.array([[7.5, 60], [8.5, 64], [8.25, 60], [9.25, 64]])
    assert translation(a, b, 8.0)[0] == (8.25, 0)
    # order of the notes does not matter
    vector, in_a, in_b = translation(a[::-1], b[::-1], 8.0)
    assert vector == (8.25, 0) and in_b.tolist() == [True, True, False, False]


def test_recurring_notes_keep_the_motif_and_drop_what_sounds_beside_it():
    rng = np.random.default_rng(1)
    starts = [0.0, 12.0, 40.0]
    shifts = [0, 5, -3]
    # each occurrence's other notes in a band of its own: none recurs under the motif's shifts
    occurrences = [np.vstack([noise(rng, s, low), MOTIF + [s, p]])
                   for s, p, low in zip(starts, shifts, (20, 32, 44))]
    kept = recurring_notes(occurrences, starts)
    for occ, s, p in zip(kept, starts, shifts):
        assert occ.tolist() == (MOTIF + [s, p]).tolist()
    # an exact repeat keeps every note; an occurrence sharing nothing keeps all of its own
    stranger = noise(rng, 70.0, low=90, n=6)    # more than an octave above everything else
    kept = recurring_notes([occurrences[0], occurrences[0] + [20, 0], stranger],
                           [0.0, 20.0, 70.0])
    assert kept[0].tolist() == occurrences[0].tolist()
    assert kept[1].tolist() == (occurrences[0] + [20, 0]).tolist()
    assert kept[2].tolist() == stranger.tolist()
    # one note in common is not a pattern: both keep everything
    single = recurring_notes([MOTIF[:1], np.array([[20.0, 60], [20.5, 40]])], [0.0, 20.0])
    assert [len(o) for o in single] == [1, 2]
    with pytest.raises(ParameterError, match="2 occurrences but 1 starts"):
        recurring_notes(occurrences[:2], starts[:1])


def _two_voice_score(rng):
    # a melody on every beat with a motif at beats 10 and 60 (a third up), a random bass that
    # differs there by 5 to 11 semitones: by no shift the motif has (+4), nor by none
    melody = np.column_stack([np.arange(100.0), rng.integers(60, 80, 100)]).astype(float)
    melody[10:15, 1] = MOTIF[:, 1]
    melody[60:65, 1] = MOTIF[:, 1] + 4
    bass = np.column_stack([np.arange(100.0) + 0.5, rng.integers(36, 48, 100)]).astype(float)
    bass[9:16, 1] = rng.integers(36, 40, 7)
    bass[59:66, 1] = rng.integers(44, 48, 7)
    score = np.vstack([melody, bass])
    return score[np.argsort(score[:, 0], kind="stable")]


def test_patterns_to_notes_lists_the_recurring_notes_of_each_span():
    score = _two_voice_score(np.random.default_rng(2))
    # spans in beats (h = 1, offset 0, families' mapping): beats 10-15 and 60-65, half a beat
    # of slack at the end
    pattern = [np.array([[0, 0, 10, 15.5], [0, 0, 60, 65.5]])]
    span = patterns_to_notes(pattern, score, 1.0, 0.0, 0.0)
    rec = patterns_to_notes(pattern, score, 1.0, 0.0, 0.0, notes="recurring")
    assert [len(o) for o in span[0]] == [11, 11]
    assert rec[0][0].tolist() == [[10.0 + k, p] for k, p in enumerate(MOTIF[:, 1])]
    assert rec[0][1].tolist() == [[60.0 + k, p + 4] for k, p in enumerate(MOTIF[:, 1])]
    with pytest.raises(ParameterError,
                       match="notes must be one of span, recurring, melody, not 'all'"):
        patterns_to_notes(pattern, score, 1.0, 0.0, 0.0, notes="all")


@pytest.mark.parametrize("piece", ["mazurka24-4-poly", "sonata01-3-poly", "sonata04-2-poly",
                                   "silverswan-poly", "wtc2f20-poly"])
def test_annotated_repeats_keep_their_notes_and_random_spans_lose_them(piece):
    """A JKU piece's annotated occurrences, as spans over its score: their notes recur (all
    but a few, where an annotated repeat is varied or the fugue's other voices move on); the
    same spans at random places share only some of theirs."""
    from complex_auto.chance import random_placement
    from complex_auto.evaluation import load_patterns
    from complex_auto.jku import read_score_csv

    score = read_score_csv(ROOT / f"data/jku/csv/{piece}.csv")
    spans = [np.array([[min(n[0] for n in occ), max(n[0] for n in occ) + 1e-3] for occ in p])
             for p in load_patterns(ROOT / f"data/jku/groundtruth/{piece}.txt")]

    def kept(patterns, h, offset):
        every, recurring = (patterns_to_notes(patterns, score, h, offset, 0.0, notes)
                            for notes in ("span", "recurring"))
        assert all(set(map(tuple, r)) <= set(map(tuple, e))
                   for p, q in zip(every, recurring) for e, r in zip(p, q))
        return sum(len(o) for p in recurring for o in p) / sum(len(o) for p in every for o in p)

    annotated = kept([np.hstack([s, s]) for s in spans], 1.0, 0.0)
    first, grid = score[:, 0].min(), 1 / 16
    cells = [np.round((s - first) / grid).astype(np.int64) for s in spans]
    placed = random_placement(cells, int((score[:, 0].max() - first) / grid) + 1,
                              np.random.default_rng(0))
    at_random = kept(placed, grid, first)
    assert annotated > 0.85 and at_random < annotated - 0.15, (annotated, at_random)
