"""CQT models: n-grams prepared as in training, shifted in pitch and time."""
import numpy as np

from .measures import PITCH_RANGE, TIME_RANGE, Transformation, shift_range
from .recordings import RecordingItems


class CQTItems(RecordingItems):
    """N-grams of CQTs prepared as for training, and their pitch- and time-shifted versions.

    Parameters
    ----------
    cqts : list of np.ndarray, each (n_bins, frames)
        Standardised CQTs; each must hold ``length_ngram + 2 * max_time + 1`` frames.
    cfg : dict
        Uses ``length_ngram`` (and what :class:`~complex_auto.cqt_pairs.CQTPairs` reads).
    max_pitch, max_time : int
        Largest pitch shift (bins) and time shift (frames) measured.
    """

    def __init__(self, cqts, cfg, max_pitch=PITCH_RANGE, max_time=TIME_RANGE):
        from ..cqt_pairs import PITCH, TIME, CQTPairs

        self.pairs = CQTPairs(cqts, dict(cfg, emph_onset=cfg.get("emph_onset", 0)))
        self.length = int(cfg["length_ngram"])
        self.margin = int(max_time)
        self.transformations = [
            Transformation("pitch", PITCH, "pitch shift", "bins", shift_range(max_pitch)),
            Transformation("time", TIME, "time shift", "frames", shift_range(max_time)),
        ]
        self._last = None  # (positions, min-maxed n-grams, finished items) of the last call

    def _finish(self, ngrams):
        """The last steps of :meth:`CQTPairs.build`: onset emphasis, std 0.1, flatten, +1e-8."""
        from ..cqt_pairs import emphasise_onsets, standardise_items

        item = emphasise_onsets(ngrams, self.pairs.emph_onset).astype(np.float32, copy=False)
        item = standardise_items(item)
        item += 1e-8
        return item

    def shifted(self, pos, t, shift):
        """Items at ``pos`` and their versions under ``t`` by ``shift``.

        The same items as :meth:`CQTPairs.build` makes for these draws (a test checks it);
        the unshifted n-grams are kept between calls with the same ``pos``, so a curve over
        many shifts cuts and scales them once.

        Returns
        -------
        x, y : np.ndarray, float32, each (n, n_bins * length_ngram)
        """
        from ..cqt_pairs import PITCH, TIME, min_max, pitch_shift

        n = len(pos)
        shift = np.broadcast_to(np.asarray(shift, dtype=int), (n,))
        if self._last is None or self._last[0] is not pos:
            base = min_max(self.pairs.ngrams(pos.file, pos.start))
            self._last = (pos, base, self._finish(base.copy()))
        _, base, x = self._last
        if t.tid == PITCH:
            y = pitch_shift(base, shift)
        elif t.tid == TIME:
            y = min_max(self.pairs.ngrams(pos.file, pos.start + shift))
        else:
            raise ValueError(f"transformation {t.name} is not measured for CQT")
        return x, self._finish(y)


def recording_cqts(files, cfg, list_name, refresh=False, jobs=1):
    """Whole-file conversion CQTs (factor 1) of recordings, cached in ``cfg['cache_dir']``.

    Returns
    -------
    list of np.ndarray, each (n_bins, frames), float32
    """
    import functools

    from ..cache import cache_key, cache_path, cached
    from ..features import conversion_cqt
    from ..utils import progress_map

    keys = ("sr", "n_bins", "bins_per_oct", "fmin", "hop_length")
    params = {k: cfg[k] for k in keys}
    path = cache_path(cfg["cache_dir"], list_name, "conversion_cqt",
                      cache_key(files, dict(params, factor=1.0, block_size=0)))
    build = lambda: progress_map(functools.partial(conversion_cqt, cfg=params), files,  # noqa: E731
                                 jobs=jobs, desc="CQT")
    return cached(path, build, refresh=refresh)
