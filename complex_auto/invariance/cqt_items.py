"""CQT models: n-grams prepared as in training, shifted in pitch and time; the transposition test."""
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

    def reference(self, x):
        """2-D Fourier magnitude of items: the closed-form invariant beside the amplitudes.

        Every item, standardised, as its ``(n_bins, length_ngram)`` image; ``|rfft2|``
        (:func:`complex_auto.representations.fourier_magnitude`). This is the transform of
        Bertin-Mahieux & Ellis (2012) applied to the model's own input, so that the two see
        the same n-gram (``convert.py --features ftm2d`` applies it to the log-CQT). It is
        exactly invariant to circular shifts; the items' pitch shifts fill with zeros, so it
        is nearly, not exactly, invariant to them.

        Parameters
        ----------
        x : np.ndarray, shape (n, n_bins * length_ngram)

        Returns
        -------
        np.ndarray, shape (n, n_bins * (length_ngram // 2 + 1)), float32
        """
        from ..representations import fourier_magnitude

        x = np.asarray(x, np.float64)
        x = (x - x.mean(axis=1, keepdims=True)) / (x.std(axis=1, keepdims=True) + 1e-8)
        return fourier_magnitude(x, x.shape[1] // self.length, self.length)

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


#: Shifts of the transposition test here: every semitone up to a fifth.
TRANSPOSITION_SEMITONES = (1, 2, 3, 4, 5, 6, 7)
#: Representations the transposition test compares: the model, what it reads, and the
#: closed-form invariant (:mod:`complex_auto.representations`).
TRANSPOSITION_KINDS = ("cae", "cqt", "ftm2d")
TRANSPOSITION_COLUMNS = ("features", "semitones", "found", "chance", "windows", "audio",
                         "seconds")


def transposition_rows(cfg, model, audio_path, seconds=None, semitones=TRANSPOSITION_SEMITONES,
                       kinds=TRANSPOSITION_KINDS, device="cpu", cache_dir=None):
    """Rows of ``transposition.csv``: :func:`complex_auto.transposition.transposition_test`
    of the model beside the raw CQT n-grams and their 2-D Fourier magnitude.

    Parameters
    ----------
    cfg : dict
        The model's config.
    model : ComplexAutoEncoder
    audio_path : Path
        Recording whose middle ``seconds`` are pitch-shifted.
    seconds : float, optional
        Default :data:`complex_auto.transposition.SECONDS`.
    semitones : tuple of int
        Pitch shifts tested, in semitones.
    kinds : tuple of str
        Features compared (:data:`complex_auto.representations.KINDS`).
    device : str or torch.device
        Where the model encodes.
    cache_dir : Path, optional
        Cache of the pitch-shifted excerpts (default
        :data:`complex_auto.transposition.CACHE_DIR`).

    Returns
    -------
    list of dict
        Keys :data:`TRANSPOSITION_COLUMNS`, one row per kind and shift.
    """
    from .. import transposition as tp
    from ..representations import featurizer, similarity_function

    seconds = tp.SECONDS if seconds is None else seconds      # 0 is refused, not the default
    y = tp.excerpt(audio_path, cfg["sr"], seconds)
    rows = []
    for kind in kinds:
        featurize = featurizer(kind, cfg, model, device)
        windows = len(featurize(y))
        found = tp.transposition_test(featurize, y, cfg["sr"], semitones,
                                      cache_dir=cache_dir or tp.CACHE_DIR,
                                      similarity=similarity_function(kind, cfg["length_ngram"]))
        rows += [dict(features=kind, semitones=s, found=v, chance=tp.chance_share(windows),
                      windows=windows, audio=str(audio_path), seconds=seconds)
                 for s, v in found.items()]
    return rows


def transposition_headline(rows):
    """One line per kind: ``transposition test, cae: +1 51 %, ... (chance 2 %)``."""
    lines = []
    for kind in dict.fromkeys(r["features"] for r in rows):
        sel = [r for r in rows if r["features"] == kind]
        shares = ", ".join(f"{r['semitones']:+g} {100 * r['found']:.0f} %" for r in sel)
        lines.append(f"transposition test ({sel[0]['seconds']:g} s of "
                     f"{sel[0]['audio']}), {kind}: windows found {shares} "
                     f"(chance {100 * sel[0]['chance']:.0f} %)")
    return lines
