"""bench/score_features.py: windows as similar as the notes they share, up to a transposition."""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from score_features import note_similarity  # noqa: E402

FRAME = 0.125          # seconds per frame: onsets below fall exactly on frames
WINDOW = 10            # frames per window: row i covers frames i .. i + 9
MOTIF = np.array([[0.0, 60], [0.25, 64], [0.5, 67], [0.875, 72]])   # (seconds, pitch)


def piece(copy_at=5.0, shift=5):
    """The motif at 1 s, other notes at 3 s, and the motif ``shift`` semitones up at ``copy_at``."""
    other = np.array([[3.0, 61], [3.375, 62], [3.5, 70], [4.0, 59]])
    notes = np.vstack([MOTIF + [1.0, 0], other, MOTIF + [copy_at, shift]])
    return notes[:, 0], notes[:, 1]


def test_a_transposed_repeat_is_as_similar_as_an_exact_one():
    sim = note_similarity(*piece(), n_rows=60, window=WINDOW, frame_seconds=FRAME, transpose=12)
    assert sim.shape == (60, 60)
    assert np.allclose(sim, sim.T) and sim.min() >= 0 and sim.max() <= 1
    assert sim[8, 40] == 1.0                    # the motif (frames 8..) and its copy (40..)
    assert sim[8, 24] < 0.5                     # against the other notes
    exact = note_similarity(*piece(shift=0), n_rows=60, window=WINDOW, frame_seconds=FRAME,
                            transpose=0)
    assert exact[8, 40] == 1.0


def test_without_transposition_a_transposed_repeat_shares_nothing():
    sim = note_similarity(*piece(), n_rows=60, window=WINDOW, frame_seconds=FRAME, transpose=0)
    assert sim[8, 40] == 0.0
    # a shift larger than --transpose is not tried either
    far = note_similarity(*piece(shift=7), n_rows=60, window=WINDOW, frame_seconds=FRAME,
                          transpose=5)
    assert far[8, 40] == 0.0


def test_onsets_a_frame_apart_match_within_the_tolerance_only():
    seconds, pitches = piece()
    late = seconds.copy()
    late[-2] += FRAME                           # one note of the copy a frame late
    kw = dict(n_rows=60, window=WINDOW, frame_seconds=FRAME, transpose=12)
    assert note_similarity(late, pitches, tolerance=1, **kw)[8, 40] == 1.0
    assert note_similarity(late, pitches, tolerance=0, **kw)[8, 40] == 0.75


def test_the_central_span_compares_fewer_frames_at_the_same_rows():
    # rows are placed as before, but only frames i + 4 .. i + 5 count: the motif's third note
    sim = note_similarity(*piece(), n_rows=60, window=WINDOW, frame_seconds=FRAME, transpose=5,
                          span=2)
    assert sim[8, 40] == 1.0
    # rows 2 and 34 hold the motif's and the copy's first two notes, but not in their centres
    whole = note_similarity(*piece(), n_rows=60, window=WINDOW, frame_seconds=FRAME, transpose=5)
    assert whole[2, 34] == 1.0 and sim[2, 34] == 0.0


def test_the_melody_is_the_highest_sounding_note_of_the_score(tmp_path):
    from score_features import score_notes

    # a tune over chords: C5 held over the chord at beat 1, then E5 over a chord, then a lone
    # bass note that sounds after the tune has stopped
    rows = [(0, 72, 2), (0, 60, 1), (0, 64, 1), (1, 55, 1), (2, 76, 1), (2, 67, 1), (3, 48, 1)]
    path = tmp_path / "tune.csv"
    path.write_text("".join(f"{t},{p},0,{d},0\n" for t, p, d in rows))
    every = score_notes(path)
    assert every.shape == (7, 2)
    assert score_notes(path, melody=True).tolist() == [[0, 72], [2, 76], [3, 48]]
    # on a real score: exactly the skyline's notes, fewer than all
    from complex_auto.jku import read_score_csv
    from complex_auto.melody import skyline

    csv = Path(__file__).resolve().parents[1] / "data/jku/csv/wtc2f20-poly.csv"
    score = read_score_csv(csv, durations=True)
    melody = score_notes(csv, melody=True)
    assert np.array_equal(melody, score[skyline(score)][:, :2])
    assert 0 < len(melody) < len(score)
