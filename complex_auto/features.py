"""Invariant features of recordings: CAE amplitudes and phases of every CQT window.

Each window of ``length_ngram`` frames (step ``step_size``) of a recording's whole-file CQT is
flattened in the layout the model was trained on (bin-major: index ``bin * length_ngram +
frame``), standardised to zero mean and unit variance, and encoded. Windows are built and
encoded in chunks, so memory stays bounded by the recording's CQT and its features.

The original implementation flattened windows frame-major here while training flattened them
bin-major, so trained bases met scrambled inputs (DESIGN.md §7). ``legacy_layout=True``
reproduces that, only to compare with the original's numbers.
"""
import numbers

import numpy as np
import torch

from . import checks
from .errors import ParameterError

CHUNK = 512


def window_starts(n_frames, length, step=1):
    """First frames of the windows of a CQT of ``n_frames`` frames.

    Starts are ``0, step, ...`` below ``n_frames - length``: the reference's count, which gives
    matrices of ``windows + 9`` rows (e.g. 2704 for mazurka24-4); it leaves out the window
    that would end on the last frame.

    Parameters
    ----------
    n_frames : int
        Frames of the CQT.
    length : int
        Frames per window (``length_ngram``).
    step : int
        Hop between windows, in frames (``step_size``).

    Returns
    -------
    np.ndarray of int64, shape (windows,)
        Empty when the CQT is no longer than one window.

    Raises
    ------
    ParameterError
        When ``n_frames`` is not an integer of at least 0, or ``length`` or ``step`` not a
        positive integer.
    """
    n_frames = checks.integer(n_frames, "n_frames", minimum=0)
    length, step = checks.integer(length, "length"), checks.integer(step, "step")
    return np.arange(0, max(n_frames - length, 0), step, dtype=np.int64)


def n_windows(n_frames, length, step=1):
    """Number of windows of a CQT of ``n_frames`` frames (see :func:`window_starts`).

    Parameters
    ----------
    n_frames, length, step : int
        As for :func:`window_starts`: frames of the CQT, frames per window, hop in frames.

    Returns
    -------
    int
        0 when the CQT is no longer than one window.
    """
    return len(window_starts(n_frames, length, step))


def window_batch(spec, starts, length, legacy_layout=False, focus=None):
    """Flattened, standardised windows of a CQT.

    Parameters
    ----------
    spec : np.ndarray, shape (n_bins, frames)
    starts : np.ndarray of int, shape (n,)
        First frame of every window.
    length : int
        Frames per window.
    legacy_layout : bool
        Flatten frame-major (``frame * n_bins + bin``) as the original conversion did.
    focus : int, optional
        Keep only the central ``focus`` frames of every window (after standardising the
        whole window) and set the others to 0 (:func:`focus_mask`); default all.

    Returns
    -------
    np.ndarray, shape (n, n_bins * length), float32
        Every row has zero mean and unit variance (before the focus).

    Raises
    ------
    ParameterError
        When ``spec`` is not 2-D, ``length`` not a positive integer, or a window does not
        lie within ``spec``'s frames.
    """
    spec = np.asarray(spec)
    if spec.ndim != 2:
        raise ParameterError(f"spec must be (n_bins, frames), not shape {spec.shape}")
    length = checks.integer(length, "length")
    starts = np.asarray(starts, dtype=np.int64).reshape(-1)
    if len(starts) and (starts.min() < 0 or starts.max() + length > spec.shape[1]):
        raise ParameterError(f"windows of {length} frames at starts {starts.min()}.."
                             f"{starts.max()} do not fit in {spec.shape[1]} frames")
    idx = starts[:, None] + np.arange(length)[None, :]          # (n, length)
    win = spec[:, idx]                                           # (bins, n, length)
    win = win.transpose(1, 2, 0) if legacy_layout else win.transpose(1, 0, 2)
    flat = np.ascontiguousarray(win, dtype=np.float32).reshape(len(starts), -1)
    flat -= flat.mean(axis=1, keepdims=True)
    flat /= flat.std(axis=1, keepdims=True) + 1e-8
    if focus is not None and focus < length:
        keep = focus_mask(length, focus)
        shape = (len(starts), length, -1) if legacy_layout else (len(starts), -1, length)
        flat.reshape(shape)[...] *= keep[:, None] if legacy_layout else keep
    return flat


def focus_mask(length, focus):
    """1 on the central ``focus`` of ``length`` frames, 0 elsewhere, float32.

    A model's window of ``length_ngram`` frames (32: 2.9 s, about six beats at 120 bpm) is longer
    than most motifs, so two occurrences of a motif in different surroundings share only part
    of their windows. Zeroing all but the centre gives the same model a shorter view (its
    bases, near 2-D gratings, still measure a transposition-invariant magnitude there) and
    keeps each window's centre where it was.

    Parameters
    ----------
    length : int
        Frames per window.
    focus : int
        Frames kept, ``1 <= focus <= length``; when ``length - focus`` is odd, the extra 0 is
        at the end.

    Returns
    -------
    np.ndarray, shape (length,), float32

    Raises
    ------
    ParameterError
        When ``focus`` is not in ``1..length``.
    """
    if (isinstance(focus, bool) or not isinstance(focus, numbers.Integral)
            or not 1 <= focus <= length):
        raise ParameterError(f"focus of {focus} frames: must be 1..{length}")
    mask = np.zeros(length, np.float32)
    first = (length - focus) // 2
    mask[first:first + focus] = 1.0
    return mask


@torch.no_grad()
def encode_features(model, spec, length, step=1, legacy_layout=False, device="cpu", chunk=CHUNK,
                    focus=None):
    """Amplitudes and phases of every window of a CQT, as one array.

    Parameters
    ----------
    model : ComplexAutoEncoder
    spec : np.ndarray, shape (n_bins, frames)
        A standardised CQT (factor 1).
    length, step : int
        Window length and hop in frames.
    legacy_layout : bool
        Flatten windows frame-major, as the original conversion did.
    device : torch.device or str
        Where the model runs.
    chunk : int
        Windows built and encoded at a time (bounds memory).
    focus : int, optional
        Encode only the central ``focus`` frames of every window (:func:`focus_mask`).

    Returns
    -------
    np.ndarray, shape (2, windows, n_bases), float32
        ``[amplitudes, phases]``, phases in radians. The model runs in eval mode (no dropout)
        and is left in the mode it was in.

    Raises
    ------
    ParameterError
        When ``spec`` is not a 2-D array of finite numbers whose windows have the model's
        ``n_in`` values, or ``length``, ``step``, ``chunk`` or ``focus`` is not a positive
        integer (``focus`` at most ``length``).
    """
    spec = checks.array(spec, "spec", ndim=2, dtype=np.float32)
    length, step = checks.integer(length, "length"), checks.integer(step, "step")
    chunk = checks.integer(chunk, "chunk")
    if focus is not None:
        focus_mask(length, focus)                                # checks it
    if spec.shape[0] * length != model.n_in:
        raise ParameterError(f"spec has {spec.shape[0]} bins: windows of {length} frames "
                             f"give {spec.shape[0] * length} values, the model takes "
                             f"{model.n_in}")
    starts = window_starts(spec.shape[1], length, step)
    out = np.empty((2, len(starts), model.n_bases), np.float32)
    training = model.training
    model.eval()
    try:
        for lo in range(0, len(starts), chunk):
            x = torch.from_numpy(window_batch(spec, starts[lo:lo + chunk], length,
                                              legacy_layout, focus))
            a, p = model.encode(x.to(device))
            out[0, lo:lo + len(a)] = a.cpu().numpy()
            out[1, lo:lo + len(a)] = p.cpu().numpy()
    finally:
        model.train(training)
    return out


def encode_spec(model, spec, length, step=1, legacy_layout=False, device="cpu", chunk=CHUNK):
    """Amplitudes and phases of every window of a CQT, as two arrays.

    Parameters
    ----------
    model, spec, length, step, legacy_layout, device, chunk
        As for :func:`encode_features` (windows are encoded whole: no ``focus``).

    Returns
    -------
    amplitudes, phases : np.ndarray, each (windows, n_bases), float32
    """
    feats = encode_features(model, spec, length, step, legacy_layout, device, chunk)
    return feats[0], feats[1]


def conversion_cqt(path, cfg):
    """Whole-file standardised CQT (factor 1) of a recording, shape ``(n_bins, frames)``.

    Parameters
    ----------
    path : str or Path
        The audio file.
    cfg : dict
        The CQT settings of a config (``sr``, ``n_bins``, ``bins_per_oct``, ``fmin``,
        ``hop_length``).

    Returns
    -------
    np.ndarray, shape (n_bins, frames), float32
        Transformed block by block where soundfile reads the file
        (:func:`complex_auto.cqt.streamed_cqt`), so that a long recording is never held
        whole; ``(n_bins, 0)`` for a file of at most one frame.

    Raises
    ------
    DataError
        When the file cannot be read as audio or holds no samples.
    """
    from .cqt import file_cqt

    return file_cqt(path, cfg, block_size=0, factor=1.0)
