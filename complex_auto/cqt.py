"""Audio loading and the constant-Q representation.

The representation is the magnitude of ``librosa.cqt`` with the config's ``sr``, ``n_bins``,
``bins_per_oct``, ``fmin`` and ``hop_length``, with every frame standardised across its bins.
"""
import warnings

import numpy as np

from .errors import DataError


def load_audio(path, sr):
    """Load a file as mono at ``sr`` Hz.

    Parameters
    ----------
    path : str or Path
    sr : int
        Target sample rate in Hz.

    Returns
    -------
    np.ndarray, shape (samples,), float32

    Raises
    ------
    DataError
        When the file is missing, unreadable or not audio.
    """
    import librosa

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y, _ = librosa.load(str(path), sr=sr, mono=True)
    except FileNotFoundError:
        raise DataError(f"{path}: audio file does not exist") from None
    except Exception as e:  # soundfile/audioread raise many types for bad files
        reason = str(e).splitlines()[0] if str(e) else "no decoder recognises its format"
        raise DataError(f"{path}: cannot read audio ({reason})") from None
    if y.size == 0:
        raise DataError(f"{path}: audio file holds no samples")
    return y


def middle_block(y, block_size):
    """The middle ``block_size`` samples of ``y`` (all of ``y`` when shorter or ``block_size <= 0``)."""
    if block_size <= 0 or len(y) <= block_size:
        return y
    start = (len(y) - block_size) // 2
    return y[start:start + block_size]


def standardise_frames(spec):
    """Zero mean and unit variance across the bins of every frame.

    Parameters
    ----------
    spec : np.ndarray, shape (bins, frames)

    Returns
    -------
    np.ndarray, shape (bins, frames), float32
    """
    spec = spec - spec.mean(axis=0, keepdims=True)
    return (spec / (spec.std(axis=0, keepdims=True) + 1e-8)).astype(np.float32)


def cqt(y, cfg):
    """Standardised CQT magnitude of a signal.

    Parameters
    ----------
    y : np.ndarray, shape (samples,)
    cfg : dict
        Uses ``sr``, ``n_bins``, ``bins_per_oct``, ``fmin``, ``hop_length``.

    Returns
    -------
    np.ndarray, shape (n_bins, frames), float32
        Each frame has zero mean and unit variance across bins.
    """
    import librosa

    spec = np.abs(librosa.cqt(y, sr=cfg["sr"], n_bins=cfg["n_bins"],
                              bins_per_octave=cfg["bins_per_oct"], fmin=cfg["fmin"],
                              hop_length=cfg["hop_length"]))
    return standardise_frames(spec)


def file_cqt(path, cfg, block_size=0, factor=1.0):
    """Load ``path`` and return its standardised CQT times ``factor``.

    Parameters
    ----------
    path : str or Path
    cfg : dict
    block_size : int
        Use only the middle ``block_size`` samples (0: the whole file).
    factor : float
        Training multiplies by 10; conversion uses 1.

    Returns
    -------
    np.ndarray, shape (n_bins, frames), float32
    """
    y = middle_block(load_audio(path, cfg["sr"]), block_size)
    if len(y) < cfg["hop_length"]:
        return np.zeros((cfg["n_bins"], 0), np.float32)
    return cqt(y, cfg) * np.float32(factor)


def frames_to_seconds(frames, cfg):
    """Time in seconds of frame indices at the config's ``hop_length`` and ``sr``."""
    return np.asarray(frames) * cfg["hop_length"] / cfg["sr"]
