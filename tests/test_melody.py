"""The melody of a score, its skyline (``complex_auto.melody``, ``--notes melody``)."""
from pathlib import Path

import numpy as np
import pytest

from complex_auto.errors import DataError
from complex_auto.jku import read_score_csv
from complex_auto.melody import skyline
from complex_auto.patterns import patterns_to_notes

ROOT = Path(__file__).resolve().parents[1]


def covered(score):
    """The definition, note by note: a higher note sounds at this note's onset (times on the
    grid of 1/480 beat)."""
    on = np.round(score[:, 0] * 480)
    end, pitch = np.round((score[:, 0] + score[:, 2]) * 480), score[:, 1]
    return np.array([((on <= on[i]) & ((end > on[i]) | (on == on[i])) & (pitch > pitch[i])).any()
                     for i in range(len(score))])


def test_skyline_keeps_the_highest_sounding_note():
    score = np.array([
        [0.0, 72, 2.0],     # melody, held two beats
        [0.0, 48, 1.0],     # bass under it
        [0.0, 60, 0.5],     # chord tone under it
        [0.5, 64, 0.5],     # inner voice moving while the melody is held: not melody
        [2.0, 74, 1.0],     # melody
        [2.0, 74, 1.0],     # the same note doubled: kept with its twin
        [3.0, 55, 1.0],     # the melody rests: the highest sounding note is the tune
        [3.5, 76, 0.0],     # a grace note (no duration) is its own onset's highest
        [4.0, 71, 1.0],     # melody again; the 55 ended at 4.0 and does not cover it
        [4.0, 52, 2.0],
        [4.5, 50, 0.5],     # under the held 52 and the 71
    ])
    keep = skyline(score)
    assert keep.tolist() == [True, False, False, False, True, True, True, True, True, False,
                             False]
    # the order of the notes does not matter
    order = np.random.default_rng(0).permutation(len(score))
    assert (skyline(score[order]) == keep[order]).all()
    assert skyline(score[:0]).tolist() == []
    # a csv's rounded decimals: the triplet above ends a hair after the next note starts
    triplet = np.array([[0.0, 80, 0.3333334], [0.3333333, 70, 1.0], [0.3333333, 60, 1.0]])
    assert skyline(triplet).tolist() == [True, True, False]


def test_skyline_of_a_real_score_matches_the_definition_note_by_note():
    for piece in ("wtc2f20-poly", "silverswan-poly", "mazurka24-4-poly"):
        score = read_score_csv(ROOT / f"data/jku/csv/{piece}.csv", durations=True)
        keep = skyline(score)
        assert (keep == ~covered(score)).all()
        # a melody: fewer notes than the score, at most one pitch per onset (or a doubling)
        assert 0.2 * len(score) < keep.sum() < 0.8 * len(score)
        kept = score[keep]
        for onset in np.unique(kept[:, 0]):
            assert len(np.unique(kept[kept[:, 0] == onset, 1])) == 1


def test_skyline_needs_durations():
    with pytest.raises(DataError, match=r"needs each note's duration.*\(5, 2\)"):
        skyline(np.zeros((5, 2)))
    with pytest.raises(DataError, match="note 1 of the score lasts -1 beats"):
        skyline(np.array([[0.0, 60, 1], [1.0, 62, -1]]))


def test_read_score_csv_reads_durations_and_names_a_bad_line(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("0.0, 60, 60, 1.5, 0\n1.0, 64, 62, 0.5, 1\n")
    assert read_score_csv(good).tolist() == [[0.0, 60.0], [1.0, 64.0]]
    assert read_score_csv(good, durations=True).tolist() == [[0.0, 60.0, 1.5], [1.0, 64.0, 0.5]]
    short = tmp_path / "short.csv"
    short.write_text("0.0, 60, 60, 1.5, 0\n1.0, 64\n")
    assert read_score_csv(short).shape == (2, 2)         # onset and pitch are all it needs
    with pytest.raises(DataError, match=r"short\.csv, line 2: .*duration_in_beats"):
        read_score_csv(short, durations=True)
    negative = tmp_path / "negative.csv"
    negative.write_text("0.0, 60, 60, 1.5, 0\n1.0, 64, 62, -0.5, 1\n")
    with pytest.raises(DataError, match=r"negative\.csv, line 2"):
        read_score_csv(negative, durations=True)


def test_patterns_to_notes_maps_spans_onto_the_melody():
    # a tune over repeated chords; the pattern is the tune's first bar and its repeat a fourth
    # up four beats later
    tune = [(0, 72), (1, 74), (2, 76), (3, 72), (4, 77), (5, 79), (6, 81), (7, 77)]
    chords = [(b, p) for b in range(8) for p in (48, 55, 64)]
    score = np.array([(b, p, 1.0) for b, p in tune + chords], dtype=float)
    pattern = [np.array([[0, 0, 0, 4], [0, 0, 4, 8]])]       # beats, h = 1, offset 0
    span = patterns_to_notes(pattern, score, 1.0, 0.0, 0.0)
    melody = patterns_to_notes(pattern, score, 1.0, 0.0, 0.0, notes="melody")
    assert [len(o) for o in span[0]] == [16, 16]
    assert [o.tolist() for o in melody[0]] == [[list(n) for n in tune[:4]],
                                               [list(n) for n in tune[4:]]]
    # the nf14 mapping (whole beats, notes on the 1/8-beat grid) reads the same melody
    assert [o.tolist() for o in patterns_to_notes(pattern, score, 1.0, 0.0, None, "melody")[0]] \
        == [o.tolist() for o in melody[0]]
    with pytest.raises(DataError, match="needs each note's duration"):
        patterns_to_notes(pattern, score[:, :2], 1.0, 0.0, 0.0, notes="melody")
