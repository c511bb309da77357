"""Audio loading and the constant-Q representation.

The representation is the magnitude of ``librosa.cqt`` with the config's ``sr``, ``n_bins``,
``bins_per_oct``, ``fmin`` and ``hop_length``, with every frame standardised across its bins.
"""
import logging
import re
import warnings

import numpy as np

from . import checks
from .errors import DataError, ParameterError
from .utils import native_stderr_silenced


log = logging.getLogger(__name__)


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
        When the file is missing, unreadable, not audio or holds samples that are not finite.
    ParameterError
        When ``sr`` is not a positive integer.
    """
    sr = checks.integer(sr, "sr")
    y = _decode(path, sr)
    if y.size == 0:
        raise DataError(f"{path}: audio file holds no samples")
    check_finite(y, path, sr)
    warn_if_cut_short(path)
    return y


def warn_if_cut_short(path, info=None):
    """Warn when a file holds less audio than its header says (a copy or download cut short).

    libsndfile reads what is there without an error, so such a file converts or trains on its
    first part in silence; its log of the header says ``data : N (should be M)``.

    Parameters
    ----------
    path : str or Path
    info : soundfile._SoundFileInfo, optional
        ``soundfile.info(path)``, when the caller has it.

    Returns
    -------
    bool
        True when the file was cut short.
    """
    import soundfile as sf

    try:
        info = info or sf.info(str(path))
    except Exception:                    # not a format soundfile reads: nothing to compare
        return False
    found = re.search(r"^(?:data|SSND)\s*: (\d+) \(should be (\d+)\)", info.extra_info or "",
                      re.MULTILINE)
    if not found or int(found.group(2)) >= int(found.group(1)):
        return False
    promised, held = int(found.group(1)), int(found.group(2))
    log.warning("%s: cut short: its header promises %.1f s of audio, the file holds %.1f s; "
                "using those", path, info.duration * promised / held, info.duration)
    return True


def check_finite(samples, path, sr, start=0):
    """Refuse NaN or infinite samples (a float file can hold them; the CQT cannot).

    Parameters
    ----------
    samples : np.ndarray
        Samples of ``path``, or of a block of it.
    path : str or Path
        The file, for the message.
    sr : int
        Sample rate of ``samples`` in Hz.
    start : int
        Index of ``samples[0]`` in the file, at ``sr`` Hz, so that the message names the time.

    Raises
    ------
    DataError
        Naming the time in seconds of the first sample that is not finite.
    """
    bad = ~np.isfinite(samples)
    if bad.any():
        t = (start + int(np.argmax(bad))) / sr
        raise DataError(f"{path}: holds samples that are not finite (NaN or infinite), the "
                        f"first at {t:.2f} s")


def _decode(path, sr, seconds=None):
    """Mono samples at ``sr`` Hz (the first ``seconds`` only, when given); one-line errors."""
    import librosa

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y, _ = librosa.load(str(path), sr=sr, mono=True, duration=seconds)
    except FileNotFoundError:
        raise DataError(f"{path}: audio file does not exist") from None
    except Exception as e:  # soundfile/audioread raise many types for bad files
        reason = str(e).splitlines()[0] if str(e) else "no decoder recognises its format"
        raise DataError(f"{path}: cannot read audio ({reason})") from None
    return y


#: A recording's first sound is its first sample within this many dB of the loudest sample of
#: its opening: -40 dB is far below the attack of any played note and above the noise floor of
#: a rendered or mastered recording (dither and hiss lie below -60 dB).
FIRST_SOUND_DB = -40.0
#: Seconds of the opening that :func:`first_sound` reads: long enough to hold the first notes
#: after any lead-in, short enough to decode quickly.
FIRST_SOUND_SECONDS = 60.0


def first_sound(path, sr=22050, threshold_db=FIRST_SOUND_DB, seconds=FIRST_SOUND_SECONDS):
    """Time of a recording's first sound, in seconds: where its score's first onset plays.

    A rendition may start with silence (each JKU recording with 0.7-1.2 s), which shifts every
    span of the recording against its score by that much.

    Parameters
    ----------
    path : str or Path
    sr : int
        Sample rate to decode at, Hz.
    threshold_db : float
        Level of the first sound relative to the loudest sample of the first ``seconds``.
    seconds : float
        Length of the opening read.

    Returns
    -------
    float
        Seconds from the start of the file to its first sample at or above the threshold
        (0 for a silent opening).

    Raises
    ------
    DataError
        When the file is missing or unreadable.
    """
    level = np.abs(_decode(path, sr, seconds))
    peak = float(level.max()) if level.size else 0.0
    if peak == 0.0:
        return 0.0
    return float(np.argmax(level >= peak * 10.0 ** (threshold_db / 20.0))) / sr


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


BLOCK_FRAMES = 512
MARGIN_FRAMES = 16


def _cqt_magnitude(y, cfg):
    import librosa

    if len(y) < 2:                   # librosa refuses one sample; a zero after it keeps one frame
        y = np.pad(y, (0, 2 - len(y)))
    # A recording of a fraction of a second is shorter than the FFT of the CQT's lowest
    # octaves, and librosa warns so; the caller skips it as shorter than one window, with a
    # message that says why, so the library's warning is only noise to a user.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "n_fft=.* is too large for input signal", UserWarning)
        return np.abs(librosa.cqt(y, sr=cfg["sr"], n_bins=cfg["n_bins"],
                                  bins_per_octave=cfg["bins_per_oct"], fmin=cfg["fmin"],
                                  hop_length=cfg["hop_length"]))


def _check_settings(cfg):
    checks.settings(cfg, integers=("n_bins", "bins_per_oct", "hop_length"),
                    numbers=("sr", "fmin"))


def cqt(y, cfg, block_frames=BLOCK_FRAMES, margin_frames=MARGIN_FRAMES):
    """Standardised CQT magnitude of a signal, computed in blocks of frames.

    Long signals are cut into blocks of ``block_frames`` frames, each with ``margin_frames``
    frames of signal on both sides (more than half the longest CQT filter at the default
    settings), so memory stays bounded for hour-long recordings while the frames equal those
    of one whole-signal CQT.

    Parameters
    ----------
    y : np.ndarray, shape (samples,)
    cfg : dict
        Uses ``sr``, ``n_bins``, ``bins_per_oct``, ``fmin``, ``hop_length``.
    block_frames : int
        Frames computed at a time.
    margin_frames : int
        Frames of signal added on both sides of a block and dropped after its CQT.

    Returns
    -------
    np.ndarray, shape (n_bins, frames), float32
        Frame ``t`` is centred on sample ``t * hop_length``; every frame has zero mean and
        unit variance across bins.

    Raises
    ------
    ParameterError
        When ``y`` is not a 1-D array of finite floating-point samples (a stereo signal must
        be mixed down first, e.g. ``y.mean(axis=1)`` for soundfile's ``(samples, channels)``;
        integer PCM scaled to [-1, 1]), or ``cfg`` lacks a setting or holds one that is not a
        positive number (an integer for ``n_bins``, ``bins_per_oct`` and ``hop_length``).
    """
    _check_settings(cfg)
    y = np.asarray(y)
    if y.ndim != 1:
        raise ParameterError(f"y must be one channel, a 1-D array of samples, not shape {y.shape}")
    if not np.issubdtype(y.dtype, np.floating):
        raise ParameterError(f"y must hold floating-point samples, not {y.dtype} (scale integer "
                             "PCM to [-1, 1], e.g. y / 32768 for int16)")
    # one sum first: a mask of an hour's samples costs 79 MB, for the rare signal with a NaN
    finite = np.isfinite(np.add.reduce(y, dtype=np.float64)) or np.isfinite(y)
    if not np.all(finite):
        k = int(np.argmin(finite))
        raise ParameterError(f"y holds {y[k]} at sample {k} ({k / cfg['sr']:.3f} s): every "
                             "sample must be a finite number")
    hop = cfg["hop_length"]
    n_frames = 1 + len(y) // hop
    if n_frames <= block_frames + 2 * margin_frames:
        return standardise_frames(_cqt_magnitude(y, cfg))
    margin = margin_frames * hop
    out = np.empty((cfg["n_bins"], n_frames), np.float32)
    for f0 in range(0, n_frames, block_frames):
        f1 = min(f0 + block_frames, n_frames)
        # Blocks at the ends of the signal stop there, so that librosa pads them exactly as
        # it pads the whole signal.
        lo, hi = max(f0 * hop - margin, 0), min(f1 * hop + margin, len(y))
        spec = _cqt_magnitude(y[lo:hi], cfg)
        first = f0 - lo // hop
        out[:, f0:f1] = standardise_frames(spec[:, first:first + f1 - f0])
    return out


def _stream_blocks(path, cfg, block_frames, margin_frames):
    """Yield ``(f0, f1, first, segment)`` from a file read piece by piece with soundfile.

    ``segment`` is the signal at ``cfg['sr']`` around frames ``f0..f1`` (with margins), and
    frame ``f0`` is frame ``first`` of the segment's CQT. Block starts are placed where the
    target and the file's sample grids meet, so resampling a segment gives the samples that
    resampling the whole file gives (away from the segment's ends, which the margins absorb).
    """
    import math

    import librosa
    import soundfile as sf

    sr, hop = cfg["sr"], cfg["hop_length"]
    with sf.SoundFile(str(path)) as f:
        sr0, n0 = f.samplerate, f.frames
        n = math.ceil(n0 * sr / sr0)                       # length after resampling
        unit = sr // math.gcd(hop * sr0, sr)               # frames between shared grid points
        block = -(-block_frames // unit) * unit
        margin = -(-margin_frames // unit) * unit * hop
        n_frames = 1 + n // hop
        for f0 in range(0, n_frames, block):
            f1 = min(f0 + block, n_frames)
            lo, hi = max(f0 * hop - margin, 0), min(f1 * hop + margin, n)
            a, b = lo * sr0 // sr, min(-(-hi * sr0 // sr), n0)
            with native_stderr_silenced():
                f.seek(a)
                seg = f.read(b - a, dtype="float32", always_2d=True).mean(axis=1)
            check_finite(seg, path, sr0, a)
            if sr0 != sr:
                seg = librosa.resample(seg, orig_sr=sr0, target_sr=sr)
            yield f0, f1, f0 - lo // hop, seg[:hi - lo]


def streamed_cqt(path, cfg, block_frames=BLOCK_FRAMES, margin_frames=MARGIN_FRAMES):
    """Standardised CQT of a whole file, read and transformed block by block.

    Memory stays bounded by a block of audio and the CQT itself, whatever the file's length.
    Files that soundfile cannot read are loaded whole with librosa instead.

    Parameters
    ----------
    path : str or Path
    cfg : dict
        Uses ``sr``, ``n_bins``, ``bins_per_oct``, ``fmin``, ``hop_length``.
    block_frames : int
        Frames computed at a time; rounded up so that blocks start where the file's and the
        target's sample grids meet.
    margin_frames : int
        Frames of signal added on both sides of a block (rounded up as ``block_frames``).

    Returns
    -------
    np.ndarray, shape (n_bins, frames), float32
        Frame ``t`` is centred on sample ``t * hop_length`` at ``sr``; every frame has zero
        mean and unit variance across bins.

    Raises
    ------
    DataError
        When the file is missing, unreadable, empty or holds samples that are not finite.
    """
    import soundfile as sf

    _check_settings(cfg)
    try:
        info = sf.info(str(path))
    except Exception:
        y = load_audio(path, cfg["sr"])
        warn_if_silent(path, np.abs(y).max(initial=0.0))
        return cqt(y, cfg, block_frames, margin_frames)
    if info.frames == 0:
        raise DataError(f"{path}: audio file holds no samples")
    warn_if_cut_short(path, info)
    blocks, peak = [], 0.0
    try:
        for f0, f1, first, seg in _stream_blocks(path, cfg, block_frames, margin_frames):
            peak = max(peak, np.abs(seg).max(initial=0.0))
            spec = _cqt_magnitude(seg, cfg)
            blocks.append(standardise_frames(spec[:, first:first + f1 - f0]))
    except sf.LibsndfileError as e:
        raise DataError(f"{path}: cannot read audio ({e})") from None
    warn_if_silent(path, peak)
    return np.concatenate(blocks, axis=1)


#: Up to half the smallest step of 16-bit audio a recording holds nothing but rounding (the
#: two channels of a stereo file, one the other inverted, mix to this).
SILENT_PEAK = 2.0 ** -16


def warn_if_silent(path, peak):
    """Warn when a recording is silent (mixed to mono, its peak at most :data:`SILENT_PEAK`).

    Each CQT frame is standardised, so silence turns into windows that are all alike (or
    rounding noise blown up), and a finder then reports patterns that are noise.

    Parameters
    ----------
    path : str or Path
    peak : float
        The largest absolute sample of the mono signal.

    Returns
    -------
    bool
        True when the recording is silent.
    """
    if peak > SILENT_PEAK:
        return False
    log.warning("%s: silent (%s): its windows are all alike, and patterns found in it are "
                "noise", path, "every sample 0" if peak == 0 else
                f"peak {20 * np.log10(peak):.0f} dBFS, mixed to mono")
    return True


def file_cqt(path, cfg, block_size=0, factor=1.0):
    """Load ``path`` and return its standardised CQT times ``factor``.

    Parameters
    ----------
    path : str or Path
    cfg : dict
        Uses ``sr``, ``n_bins``, ``bins_per_oct``, ``fmin``, ``hop_length``.
    block_size : int
        Use only the middle ``block_size`` samples (0: the whole file, streamed by
        :func:`streamed_cqt`).
    factor : float
        Training multiplies by 10; conversion uses 1.

    Returns
    -------
    np.ndarray, shape (n_bins, frames), float32
        No frame (shape ``(n_bins, 0)``) when the signal gives at most one.

    Raises
    ------
    ParameterError
        When ``block_size`` is not an integer of at least 0, ``factor`` not a number, or
        ``cfg`` lacks a setting or holds a bad one.
    DataError
        When the file is missing, unreadable, not audio or holds samples that are not finite.
    """
    _check_settings(cfg)
    block_size = checks.integer(block_size, "block_size", minimum=0)
    factor = checks.number(factor, "factor")
    if block_size <= 0:
        spec = streamed_cqt(path, cfg)
    else:
        y = middle_block(load_audio(path, cfg["sr"]), block_size)
        spec = cqt(y, cfg)
    if spec.shape[1] <= 1:
        return np.zeros((cfg["n_bins"], 0), np.float32)
    return spec * np.float32(factor)
