"""Items cut from recordings (CQTs, signals), and the split into fitting and held-out parts."""
import logging
from pathlib import Path

import numpy as np

from ..errors import DataError
from .measures import Positions

log = logging.getLogger(__name__)


class RecordingItems:
    """Items cut from recordings at ``(file, start)``, with a margin for time shifts."""

    margin = 0
    length = 0

    def _valid_starts(self):
        lo = self.margin
        hi = self.pairs.lengths - self.length - self.margin  # last valid start, inclusive
        return lo, hi

    def draw(self, rng, n):
        """``n`` positions, uniform over every valid start of every recording.

        Without replacement while there are enough positions, so that no item is counted
        twice.
        """
        lo, hi = self._valid_starts()
        counts = np.maximum(hi - lo + 1, 0)
        flat = rng.choice(counts.sum(), size=n, replace=n > counts.sum())
        edges = np.cumsum(counts)
        file = np.searchsorted(edges, flat, side="right")
        start = lo + flat - (edges[file] - counts[file])
        return Positions(file=file, start=start)

    def unrelated(self, rng, pos, tries=20):
        """Positions of other items: another recording, or not overlapping in the same one."""
        other = self.draw(rng, len(pos))
        for _ in range(tries):
            clash = (other.file == pos.file) & (np.abs(other.start - pos.start) < self.length)
            if not clash.any():
                break
            redo = self.draw(rng, int(clash.sum()))
            other.file[clash], other.start[clash] = redo.file, redo.start
        return other


# -- data loading ---------------------------------------------------------------------------
def split_recordings(names, arrays):
    """Fitting and held-out recordings: the last fifth of the list (at least one).

    With a single recording, its first half (along the last axis, time) is the fitting part
    and its second half the held-out part.

    Parameters
    ----------
    names : list of str
    arrays : list of np.ndarray
        Time along the last axis: ``(n_bins, frames)`` or ``(samples,)``.

    Returns
    -------
    fit, test : list of (str, np.ndarray)
    how : str
        One sentence saying which split was made.
    """
    names = [str(n) for n in names]
    if len(arrays) >= 2:
        n_test = max(1, len(arrays) // 5)
        fit = list(zip(names[:-n_test], arrays[:-n_test]))
        test = list(zip(names[-n_test:], arrays[-n_test:]))
        how = (f"fitting on {len(fit)} recordings, testing on the held-out "
               f"{', '.join(Path(n).name for n, _ in test)}")
        return fit, test, how
    (name, a), = zip(names, arrays)
    half = a.shape[-1] // 2
    how = (f"one recording only: fitting on the first half of {Path(name).name}, "
           "testing on its second half")
    fit = [(f"{name} [first half]", a[..., :half])]
    return fit, [(f"{name} [second half]", a[..., half:])], how


def _usable(named, need, what):
    kept = []
    for name, a in named:
        if a.shape[-1] < need:
            log.warning("skipping %s: %d %s, fewer than the %d needed", name, a.shape[-1], what,
                        need)
        else:
            kept.append(a)
    return kept



def recording_sources(make, named, need, what, list_name):
    arrays = [a for _, a in named]
    fit, test, how = split_recordings([n for n, _ in named], arrays)
    everything = _usable(named, need, what)
    fit_arr, test_arr = _usable(fit, need, what), _usable(test, need, what)
    if not everything or not fit_arr or not test_arr:
        raise DataError(f"{list_name}: too few recordings with at least {need} {what} (an item "
                        "plus the largest time shift both ways) for fitting and testing")
    return make(everything), make(fit_arr), make(test_arr), how
