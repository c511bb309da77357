"""1-D signal models: Hann-windowed stretches of audio, shifted in time."""
import numpy as np

from .measures import Transformation, shift_range
from .recordings import RecordingItems


class SignalItems(RecordingItems):
    """Hann-windowed stretches of audio and their time-shifted versions.

    Parameters
    ----------
    signals : list of np.ndarray, each (samples,)
    cfg : dict
        Uses ``length_ngram``.
    max_time : int
        Largest time shift measured, in samples.
    """

    def __init__(self, signals, cfg, max_time):
        from ..signal_pairs import TIME, SignalPairs

        self.pairs = SignalPairs(signals, dict(cfg, shifts=[int(max_time), -1]))
        self.length = int(cfg["length_ngram"])
        self.margin = int(max_time)
        self.transformations = [Transformation("time", TIME, "time shift", "samples",
                                               shift_range(max_time))]

    def shifted(self, pos, t, shift):
        from ..signal_pairs import SignalDraws

        n = len(pos)
        draws = SignalDraws(pos.file, pos.start, np.full(n, t.tid),
                            np.broadcast_to(np.asarray(shift, dtype=np.int64), (n,)).copy())
        return self.pairs.build(draws)
