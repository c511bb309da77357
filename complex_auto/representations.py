"""Feature kinds for self-similarity, the CAE's amplitudes and the baselines they compete with.

Every kind describes the same windows as :mod:`complex_auto.features` (``length_ngram`` frames
of the conversion CQT, starts :func:`~complex_auto.features.window_starts`, hop ``step``), so
their matrices have the same size and frame times and ``extract_motives.py`` and the
evaluation take them unchanged. Kinds (``convert.py --features``):

``cae``
    Amplitudes of the trained Complex Autoencoder (the default; the only kind with a model).
``cqt``
    The raw CQT n-gram, flattened bin-major and standardised to zero mean and unit variance:
    exactly the vector the CAE receives (:func:`~complex_auto.features.window_batch`).
``chroma``
    Chroma n-grams: the CQT's bins folded into the 12 pitch classes, every frame standardised,
    then the n-gram flattened and standardised as above. Folding the conversion CQT, rather
    than ``librosa.feature.chroma_cqt``, keeps the frames, the hop and the pitch range of the
    other kinds, so only the representation differs. With ``bins_per_oct = 24`` every
    semitone has its own bin and a quarter-tone bin on either side; the semitone's bin counts
    fully, each quarter-tone bin half to both neighbours (triangular weights, see
    :func:`chroma_weights`). When ``n_bins`` is a whole number of octaves every pitch class
    gets the same total weight, so folding the frame-standardised CQT and standardising again
    gives exactly the standardised chroma of the magnitudes (standardising a frame is an
    affine map of it, which the fold and the second standardisation undo).
``ftm2d``
    The magnitude of the 2-D Fourier transform of the log-CQT n-gram (Bertin-Mahieux & Ellis,
    "Large-scale cover song recognition using the 2D Fourier transform magnitude", ISMIR
    2012): the n-gram of the CQT in dB (80 dB below the recording's loudest bin and lower
    clipped), standardised, then ``|rfft2|`` over bins and frames, shape
    ``(n_bins, length_ngram // 2 + 1)`` flattened. It is exactly invariant to a circular shift
    along pitch (and along time) within the n-gram; standardising first removes the DC term,
    which would otherwise make every window alike. This kind needs the CQT magnitudes, so the
    recording is read whole (the other kinds stream it block by block).
``tichroma``
    Transposition-invariant chroma (Müller & Clausen, "Transposition-invariant
    self-similarity matrices", ISMIR 2007). The features are the chroma n-grams; the
    invariance lives in the matrix: the similarity of two windows is the largest cosine
    similarity over the 12 cyclic shifts of one window's pitch classes (the same shift for
    all its frames). The matrix recipe (DESIGN.md §7) then applies to the distances
    ``1 − max_k cos`` unchanged: same padding, band, smoothing and size ``windows + 9``.

Feature files (``NAME_repres.pyc.bz``): ``np.array([amplitudes, phases])`` for ``cae``;
``np.array([features])``, shape ``(1, windows, dims)``, for the other kinds. In both, ``[0]``
holds the vectors the matrix is made of.
"""
import numpy as np

from . import checks
from .errors import ConfigError, ParameterError
from .features import CHUNK, window_batch, window_starts
from .selfsim import (BAND, PAD, convolve_same, diagonal_kernel, normalised_features,
                      self_similarity, zero_band)

KINDS = ("cae", "cqt", "chroma", "ftm2d", "tichroma")
LABELS = {
    "cae": "CAE amplitudes",
    "cqt": "raw CQT n-grams",
    "chroma": "chroma n-grams",
    "ftm2d": "2-D Fourier magnitude of log-CQT n-grams",
    "tichroma": "transposition-invariant chroma",
}
TOP_DB = 80.0   #: dynamic range of the log-CQT: quieter bins are the floor (inaudible in a mix)
PITCH_CLASSES = 12


def check_kind(kind):
    """Return ``kind``; raise :class:`ParameterError` unless it is one of :data:`KINDS`."""
    if kind not in KINDS:
        raise ParameterError(f"--features {kind}: unknown feature kind; "
                             f"choose one of {', '.join(KINDS)}")
    return kind


def check_settings(kind, cfg, source):
    """Raise before any work when ``cfg`` cannot give features of ``kind``.

    Parameters
    ----------
    kind : str
        One of :data:`KINDS`.
    cfg : dict
        CQT settings.
    source : str or Path
        The config, named in the error.

    Raises
    ------
    ConfigError
        When ``kind`` folds bins into pitch classes (``chroma``, ``tichroma``) and
        ``bins_per_oct`` is not a multiple of 12: found after the CQT of the first file, the
        error cost a conversion's worth of time and did not name the config.
    """
    if kind in ("chroma", "tichroma") and cfg["bins_per_oct"] % PITCH_CLASSES:
        raise ConfigError(f"{source}: key 'bins_per_oct' = {cfg['bins_per_oct']}: "
                          f"--features {kind} needs a multiple of 12")


# -- inputs -------------------------------------------------------------------------------------
def log_cqt(y, cfg):
    """CQT magnitude of a signal in dB, at most :data:`TOP_DB` below its maximum.

    Parameters
    ----------
    y : np.ndarray, shape (samples,)
    cfg : dict
        ``sr``, ``n_bins``, ``bins_per_oct``, ``fmin``, ``hop_length``.

    Returns
    -------
    np.ndarray, shape (n_bins, frames), float32
        The frames of :func:`complex_auto.cqt.cqt` (frame ``t`` centred on ``t * hop``).
    """
    import librosa

    from .cqt import _cqt_magnitude

    mag = _cqt_magnitude(np.asarray(y, np.float32), cfg)
    return librosa.amplitude_to_db(mag, ref=np.max, top_db=TOP_DB).astype(np.float32)


def signal_input(kind, y, cfg):
    """The spectrum a kind's windows are cut from, for a signal: log-CQT or standardised CQT.

    Parameters
    ----------
    kind : str
        One of :data:`KINDS`; ``ftm2d`` gets :func:`log_cqt`, every other kind the
        standardised CQT of :func:`complex_auto.cqt.cqt`.
    y : np.ndarray, shape (samples,)
        Mono, at ``cfg['sr']`` Hz.
    cfg : dict
        ``sr``, ``n_bins``, ``bins_per_oct``, ``fmin``, ``hop_length``.

    Returns
    -------
    np.ndarray, shape (n_bins, frames), float32
    """
    from .cqt import cqt

    return log_cqt(y, cfg) if kind == "ftm2d" else cqt(y, cfg)


def file_input(kind, path, cfg):
    """:func:`signal_input` of a recording (the standardised CQT is streamed block by block).

    Parameters
    ----------
    kind : str
        One of :data:`KINDS`.
    path : str or Path
        An audio file, read at ``cfg['sr']`` Hz; whole for ``ftm2d``.
    cfg : dict
        ``sr``, ``n_bins``, ``bins_per_oct``, ``fmin``, ``hop_length``.

    Returns
    -------
    np.ndarray, shape (n_bins, frames), float32
    """
    from .cqt import load_audio
    from .features import conversion_cqt

    if kind == "ftm2d":
        return log_cqt(load_audio(path, cfg["sr"]), cfg)
    return conversion_cqt(path, cfg)


# -- window features ----------------------------------------------------------------------------
def chroma_weights(n_bins, bins_per_oct):
    """Weights that fold CQT bins into pitch classes, shape ``(12, n_bins)``.

    Bin ``b`` lies ``b * 12 / bins_per_oct`` semitones above the first bin, and gives weight
    ``1 − distance`` to the (at most two) semitones within one semitone of it, cyclically:
    with 24 bins per octave, the semitone's bin counts 1 and the quarter-tone bins ½ each side.
    Pitch class 0 is the first bin's.

    Parameters
    ----------
    n_bins : int
        Bins of the CQT.
    bins_per_oct : int
        A multiple of 12.

    Returns
    -------
    np.ndarray, shape (12, n_bins), float64
        Every column (bin) sums to 1.

    Raises
    ------
    ParameterError
        When ``bins_per_oct`` is not a positive multiple of 12.
    """
    if isinstance(bins_per_oct, bool) or bins_per_oct <= 0 or bins_per_oct % PITCH_CLASSES:
        raise ParameterError(f"bins_per_oct {bins_per_oct}: chroma needs a positive "
                             "multiple of 12")
    per = bins_per_oct // PITCH_CLASSES
    semis = np.arange(n_bins) / per
    w = np.zeros((PITCH_CLASSES, n_bins))
    lo = np.floor(semis).astype(int)
    frac = semis - lo
    np.add.at(w, (lo % PITCH_CLASSES, np.arange(n_bins)), 1 - frac)
    np.add.at(w, ((lo + 1) % PITCH_CLASSES, np.arange(n_bins)), frac)
    return w


def chroma(spec, bins_per_oct):
    """Chroma of a standardised CQT, every frame standardised, shape ``(12, frames)``.

    Parameters
    ----------
    spec : np.ndarray, shape (n_bins, frames)
    bins_per_oct : int
        Of the CQT; a multiple of 12 (:func:`chroma_weights`).

    Returns
    -------
    np.ndarray, shape (12, frames), float32
        Zero mean and unit variance across the pitch classes of every frame
        (:func:`complex_auto.cqt.standardise_frames`).
    """
    from .cqt import standardise_frames

    folded = chroma_weights(len(spec), bins_per_oct) @ np.asarray(spec, np.float64)
    return standardise_frames(folded)


def fourier_magnitude(windows, n_rows, length):
    """``|rfft2|`` of every window, shape ``(n, n_rows * (length // 2 + 1))``, float32.

    Parameters
    ----------
    windows : np.ndarray, shape (n, n_rows * length)
        Flattened bin-major.
    n_rows : int
        Bins per window.
    length : int
        Frames per window; the real FFT runs along them.

    Returns
    -------
    np.ndarray, shape (n, n_rows * (length // 2 + 1)), float32
        Flattened bin-major, as ``windows``.
    """
    w = np.asarray(windows).reshape(len(windows), n_rows, length)
    return np.abs(np.fft.rfft2(w, axes=(1, 2))).astype(np.float32).reshape(len(windows), -1)


def window_features(kind, spec, length, step=1, bins_per_oct=24, chunk=CHUNK):
    """Features of every window of a spectrum, for a kind without a model.

    Parameters
    ----------
    kind : {'cqt', 'chroma', 'ftm2d', 'tichroma'}
    spec : np.ndarray, shape (n_bins, frames)
        :func:`signal_input` / :func:`file_input` of that kind.
    length, step : int
        Window length and hop in frames.
    bins_per_oct : int
        Of the CQT (for ``chroma`` and ``tichroma``).
    chunk : int
        Windows built at a time (bounds memory for ``ftm2d``).

    Returns
    -------
    np.ndarray, shape (windows, dims), float32
        ``dims``: ``n_bins * length`` (cqt), ``12 * length`` (chroma, tichroma; bin-major, so
        pitch class ``c`` of frame ``t`` is column ``c * length + t``),
        ``n_bins * (length // 2 + 1)`` (ftm2d).

    Raises
    ------
    ParameterError
        For ``cae`` (its features need a model) or an unknown kind; when ``spec`` is not a
        2-D array of finite numbers, or ``length``, ``step`` or ``chunk`` not a positive
        integer.
    """
    check_kind(kind)
    if kind == "cae":
        raise ParameterError("features 'cae' come from a model: use "
                             "complex_auto.features.encode_features")
    spec = checks.array(spec, "spec", ndim=2, dtype=np.float32)
    chunk = checks.integer(chunk, "chunk")
    if kind in ("chroma", "tichroma"):
        spec = chroma(spec, bins_per_oct)
    starts = window_starts(spec.shape[1], length, step)
    if kind != "ftm2d":
        return window_batch(spec, starts, length)
    out = np.empty((len(starts), len(spec) * (length // 2 + 1)), np.float32)
    for lo in range(0, len(starts), chunk):
        batch = window_batch(spec, starts[lo:lo + chunk], length)
        out[lo:lo + len(batch)] = fourier_magnitude(batch, len(spec), length)
    return out


# -- similarities and matrices ----------------------------------------------------------------
def ti_similarities(queries, keys, length):
    """Transposition-invariant cosine similarities of chroma n-grams.

    Parameters
    ----------
    queries, keys : np.ndarray, shape (n, 12 * length) and (m, 12 * length)
        Chroma n-grams, bin-major (:func:`window_features`).
    length : int
        Frames per n-gram.

    Returns
    -------
    np.ndarray, shape (n, m), float64
        ``max_k cos(q_i, roll_k(k_j))`` over the 12 cyclic shifts ``roll_k`` of the pitch
        classes (one shift for all frames of the n-gram). Symmetric when ``queries is keys``.
    """
    q = normalised_features(queries, "queries")
    k = normalised_features(keys, "keys").reshape(len(keys), PITCH_CLASSES, length)
    best = np.full((len(q), len(k)), -np.inf)
    for shift in range(PITCH_CLASSES):
        rolled = np.roll(k, shift, axis=1).reshape(len(k), -1)
        np.maximum(best, q @ rolled.T, out=best)
    return best


def matrix_from_distances(d):
    """The self-similarity recipe of :func:`complex_auto.selfsim.self_similarity`, from distances.

    Parameters
    ----------
    d : np.ndarray, shape (N, N)
        Symmetric distances in [0, 2] (cosine distances or their transposition-invariant form).

    Returns
    -------
    np.ndarray, shape (N + 9, N + 9), float64
    """
    n = len(d)
    padded = np.full((n + PAD, n + PAD), d.max() if n else 0.0)
    padded[:n, :n] = d
    sim = 1.0 / (padded + 1e-6)
    zero_band(sim, BAND)
    sim = convolve_same(sim, diagonal_kernel())
    zero_band(sim, BAND)
    lo, hi = sim.min(), sim.max()
    return (sim - lo) / (hi - lo) if hi > lo else np.zeros_like(sim)


def kind_self_similarity(kind, features, length):
    """Self-similarity matrix of a kind's features (``windows + 9`` square, in [0, 1]).

    ``tichroma`` uses the distances ``1 − max_k cos`` (:func:`ti_similarities`); every other
    kind the cosine distances of :func:`complex_auto.selfsim.self_similarity`.

    Parameters
    ----------
    kind : str
        One of :data:`KINDS`.
    features : np.ndarray, shape (windows, dims)
        :func:`window_features` of that kind (or the CAE amplitudes).
    length : int
        Frames per window, which ``tichroma`` needs to shift the pitch classes.

    Returns
    -------
    np.ndarray, shape (windows + 9, windows + 9), float64
        In [0, 1].

    Raises
    ------
    ParameterError
        When ``kind`` is not one of :data:`KINDS`.
    """
    if check_kind(kind) != "tichroma":
        return self_similarity(features)
    d = 1.0 - ti_similarities(features, features, length)
    np.clip(d, 0.0, 2.0, out=d)
    return matrix_from_distances(d)


def write_ti_matrix(features, path, length):
    """Write the ``tichroma`` matrix of chroma n-grams to ``path`` (``.npy``) and return it.

    The whole matrix is computed in memory (12 similarity products of ``windows²``), which
    suits recordings up to about an hour at the default hop.

    Parameters
    ----------
    features : np.ndarray, shape (windows, 12 * length)
        Chroma n-grams, bin-major (:func:`window_features`).
    path : str or Path
    length : int
        Frames per n-gram.

    Returns
    -------
    np.ndarray, shape (windows + 9, windows + 9), float64
    """
    from .utils import save_npy

    m = kind_self_similarity("tichroma", features, length)
    save_npy(path, m)
    return m


def similarity_function(kind, length):
    """``similarity(queries, keys) -> (n, m)`` for the transposition test, or ``None`` (cosine)."""
    if kind != "tichroma":
        return None
    return lambda q, k: ti_similarities(q, k, length)


def featurizer(kind, cfg, model=None, device="cpu", step=1):
    """``featurize(y) -> (windows, dims)`` of a kind, for a mono signal at ``cfg['sr']``.

    Parameters
    ----------
    kind : str
        One of :data:`KINDS`.
    cfg : dict
        CQT settings and ``length_ngram`` (and ``focus_frames`` for ``cae``, optional: see
        :func:`~complex_auto.features.focus_mask`).
    model : ComplexAutoEncoder, optional
        Needed for ``cae``.
    device : torch.device or str
        Where the model runs.
    step : int
        Hop between windows in frames.

    Returns
    -------
    callable
        ``featurize(y)`` with ``y`` of shape ``(samples,)`` returns a float32 array of shape
        ``(windows, dims)``: :func:`window_features` of the kind, or for ``cae`` the
        amplitudes of :func:`~complex_auto.features.encode_features` (``dims = n_bases``).

    Raises
    ------
    ParameterError
        For an unknown kind, or ``cae`` without a model.
    """
    check_kind(kind)
    length = cfg["length_ngram"]
    if kind == "cae":
        if model is None:
            raise ParameterError("features 'cae' need a model")
        from .cqt import cqt
        from .features import encode_features

        focus = cfg.get("focus_frames")          # convert.py --focus-frames
        return lambda y: encode_features(model, cqt(y, cfg), length, step, device=device,
                                         focus=focus)[0]
    return lambda y: window_features(kind, signal_input(kind, y, cfg), length, step,
                                     cfg["bins_per_oct"])
