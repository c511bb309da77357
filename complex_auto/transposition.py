"""The transposition test: does a representation find a passage again when it is transposed?

An excerpt of a recording (by default the middle 40 s of a JKU piece) is pitch-shifted with
``librosa.effects.pitch_shift`` by a few semitones. Every window of the shifted excerpt and of
the original is turned into a feature vector by the representation under test. For every window
of the shifted version, its nearest neighbour (cosine similarity) among the original's windows
is looked up; the test reports the share of windows whose neighbour is the same window, give or
take ``tolerance`` frames. A representation that ignores transposition scores 100 %; one that
sees a transposed passage as different music scores near chance, about
``(2 * tolerance + 1) / windows`` (2 % for 40 s at the default hop).

Pitch shifting is slow (seconds per shift), so shifted excerpts are cached as ``.npy`` files
under ``cache/transposition/``, keyed by a hash of the excerpt's samples, the sample rate and
the shift.

The test takes any representation as a function ``featurize(y) -> (windows, dims)`` of a mono
signal at the excerpt's sample rate: :func:`model_featurizer` makes one from a trained CAE,
:func:`complex_auto.representations.featurizer` one for every feature kind of ``convert.py``.

Example
-------
    python -m complex_auto.transposition --model models/cqt_piano/model_complex_auto_cqt.save
"""
import argparse
import hashlib
import logging
from pathlib import Path

import numpy as np

from . import cli
from .errors import ComplexAutoError, ParameterError

log = logging.getLogger(__name__)

#: The JKU recording whose middle the test uses by default: dense piano texture over the whole
#: keyboard, so transposed frames are neither silent nor trivially alike.
DEFAULT_AUDIO = Path("data/jku/audio/mazurka24-4-poly.mp3")
SECONDS = 40.0      #: excerpt length: several phrases, about 440 frames at hop 1984 / 22050 Hz
SEMITONES = (1, 2, 5, 7)   #: a step, a tone, a fourth and a fifth
TOLERANCE = 3       #: frames a neighbour may lie off its own window (±0.27 s at hop 1984)
CACHE_DIR = Path("cache") / "transposition"


def excerpt(path, sr, seconds=SECONDS):
    """The middle ``seconds`` of a recording, mono at ``sr`` Hz.

    Parameters
    ----------
    path : str or Path
        An audio file.
    sr : int
        Sample rate in Hz to read it at.
    seconds : float
        Length of the excerpt.

    Returns
    -------
    np.ndarray, shape (samples,), float32
        The whole recording when it is shorter than ``seconds``.

    Raises
    ------
    DataError
        When the file cannot be read as audio.
    """
    from .cqt import load_audio, middle_block

    return middle_block(load_audio(path, sr), int(round(seconds * sr)))


def pitch_shifted(audio, sr, semitones, cache_dir=CACHE_DIR):
    """``audio`` transposed by ``semitones`` (``librosa.effects.pitch_shift``), cached on disk.

    Parameters
    ----------
    audio : np.ndarray, shape (samples,)
    sr : int
        Sample rate in Hz.
    semitones : float
        Shift in equal-tempered semitones (positive: up).
    cache_dir : Path or None
        Folder of the cache (``None``: no cache).

    Returns
    -------
    np.ndarray, shape (samples,), float32
        Same length as ``audio``.
    """
    import librosa

    audio = np.ascontiguousarray(audio, dtype=np.float32)
    path = None
    if cache_dir is not None:
        key = hashlib.sha1(audio.tobytes() + f"|{sr}|{float(semitones):g}".encode()).hexdigest()
        path = Path(cache_dir) / f"shift{float(semitones):+g}_{key[:16]}.npy"
        if path.is_file():
            try:
                return np.load(path)
            except (OSError, ValueError):
                log.warning("cache file %s is corrupt; shifting again", path)
    shifted = librosa.effects.pitch_shift(audio, sr=sr, n_steps=float(semitones))
    shifted = shifted.astype(np.float32)
    if path is not None:
        from .utils import save_npy

        path.parent.mkdir(parents=True, exist_ok=True)
        save_npy(path, shifted)
    return shifted


def neighbour_hits(queries, keys, tolerance=TOLERANCE, similarity=None):
    """Share of queries whose most similar key lies within ``tolerance`` rows of their own.

    Parameters
    ----------
    queries, keys : np.ndarray, shape (n, d) and (m, d)
        Row ``i`` of ``queries`` belongs to row ``i`` of ``keys``; queries past ``m`` are
        left out.
    tolerance : int
        Rows the neighbour may lie off.
    similarity : callable, optional
        ``similarity(queries, keys) -> (n, m)``; default cosine similarity.

    Returns
    -------
    float
        In [0, 1]; rows that are zero vectors in either array never count as found. NaN when
        either array has no rows.
    """
    queries, keys = np.asarray(queries, np.float64), np.asarray(keys, np.float64)
    n = min(len(queries), len(keys))
    if n == 0:
        return float("nan")
    queries = queries[:n]
    if similarity is None:
        from .selfsim import normalised_features

        sim = normalised_features(queries, "queries") @ normalised_features(keys, "keys").T
    else:
        sim = similarity(queries, keys)
    best = np.argmax(sim, axis=1)
    valid = (np.abs(queries).sum(axis=1) > 0) & (np.abs(keys[:n]).sum(axis=1) > 0)
    return float(np.mean((np.abs(best - np.arange(n)) <= tolerance) & valid))


def transposition_test(featurize, audio, sr, semitones=SEMITONES, tolerance=TOLERANCE,
                       cache_dir=CACHE_DIR, similarity=None):
    """Share of transposed windows that a representation finds again, per shift.

    Parameters
    ----------
    featurize : callable
        ``featurize(y) -> np.ndarray (windows, dims)``: one feature vector per window of a mono
        signal ``y`` at ``sr`` Hz. Window ``i`` of two signals of the same length must cover
        the same time span.
    audio : np.ndarray, shape (samples,)
        The excerpt (see :func:`excerpt`).
    sr : int
        Sample rate in Hz.
    semitones : sequence of float
        Pitch shifts to test.
    tolerance : int
        Windows a neighbour may lie off its own.
    cache_dir : Path or None
        Cache of the pitch-shifted excerpts.
    similarity : callable, optional
        ``similarity(queries, keys) -> (n, m)`` between feature rows; default cosine (e.g.
        :func:`complex_auto.representations.similarity_function` for ``tichroma``).

    Returns
    -------
    dict
        ``{semitone: share}``, shares in [0, 1], in the order of ``semitones``.

    Raises
    ------
    ParameterError
        When ``featurize`` gives the excerpt no window (or no 2-D array).
    """
    original = np.asarray(featurize(audio))
    if original.ndim != 2 or len(original) == 0:
        raise ParameterError(f"the excerpt gives features of shape {original.shape}; "
                             "need (windows, dims) with at least one window")
    result = {}
    for s in semitones:
        shifted = np.asarray(featurize(pitch_shifted(audio, sr, s, cache_dir)))
        result[s] = neighbour_hits(shifted, original, tolerance, similarity)
    return result


def chance_share(n_windows, tolerance=TOLERANCE):
    """Share a representation blind to the music would reach: ``(2 t + 1) / n`` (less at ends)."""
    if n_windows <= 0:
        return float("nan")
    i = np.arange(n_windows)
    return float(np.mean(np.minimum(i + tolerance, n_windows - 1)
                         - np.maximum(i - tolerance, 0) + 1) / n_windows)


def model_featurizer(model_path, config, device="cpu", step=1):
    """A ``featurize`` function from a trained CQT model: the CAE amplitudes of every window.

    The windows are those of conversion (:mod:`complex_auto.features`): standardised CQT,
    ``length_ngram`` frames, hop ``step`` frames, flattened bin-major and standardised.

    Parameters
    ----------
    model_path : str or Path
        The model file (or a ``train.py`` checkpoint with its weights).
    config : str or Path or dict
        The model's config (file or loaded); a ``focus_frames`` key encodes only the central
        frames of every window, as ``convert.py --focus-frames``.
    device : torch.device or str
        Where the model runs.
    step : int
        Hop between windows in frames.

    Returns
    -------
    callable
        ``featurize(y) -> np.ndarray (windows, n_bases)`` for a mono signal at ``cfg['sr']``.

    Raises
    ------
    ComplexAutoError
        When the config or the model cannot be read, or they do not fit each other.
    """
    from .config import load_config
    from .data import input_shape
    from .representations import featurizer
    from .training import load_model

    cfg = config if isinstance(config, dict) else load_config(config)
    model = load_model(cfg, int(np.prod(input_shape(cfg))), model_path, device)
    return featurizer("cae", cfg, model, device, step)


def format_result(name, result, n_windows=None):
    """One line: ``NAME: +1 65 %, +2 62 %, ...`` (and chance when ``n_windows`` is given).

    Parameters
    ----------
    name : str
        The representation tested.
    result : dict
        :func:`transposition_test`.
    n_windows : int, optional
        Windows of the excerpt, for :func:`chance_share`.

    Returns
    -------
    str
        Shares in whole percent, in the order of ``result``; no newline.
    """
    parts = [f"{s:+g} {100 * v:.0f} %" for s, v in result.items()]
    tail = f" (chance {100 * chance_share(n_windows):.0f} %)" if n_windows else ""
    return f"{name}: " + ", ".join(parts) + tail


def check_options(cfg, seconds, semitones):
    """Refuse an excerpt length or pitch shifts that the transposition test cannot use.

    Made before any work, by this command and by ``python -m complex_auto.compare``.

    Parameters
    ----------
    cfg : dict
        CQT settings (``n_bins``, ``bins_per_oct``).
    seconds : float
        ``--seconds``: length of the excerpt.
    semitones : sequence of float
        ``--semitones``: pitch shifts.

    Raises
    ------
    ComplexAutoError
        When ``seconds`` is not positive, or a shift spans the CQT's whole range or more
        (every partial would leave it).
    """
    if not seconds > 0:
        raise ComplexAutoError(f"--seconds {seconds:g}: must be positive")
    span = cfg["n_bins"] * 12 // cfg["bins_per_oct"]
    wide = [s for s in semitones if abs(s) >= span]
    if wide:
        raise ComplexAutoError(f"--semitones {wide[0]:g}: the CQT spans {span} semitones; "
                               "shift by less than that")


def check_excerpt(audio, path, cfg, seconds):
    """Refuse an excerpt too short for one window of features (it would give no window).

    Parameters
    ----------
    audio : np.ndarray, shape (samples,)
        The excerpt, mono at ``cfg['sr']`` Hz.
    path : Path
        The recording it comes from, for the message.
    cfg : dict
        CQT and window settings (``sr``, ``hop_length``, ``length_ngram``).
    seconds : float
        The excerpt length asked for.

    Raises
    ------
    ComplexAutoError
        Naming ``--seconds`` when a longer excerpt would do, else the recording.
    """
    sr, hop, length = cfg["sr"], cfg["hop_length"], cfg["length_ngram"]
    frames = 1 + len(audio) // hop
    if frames > length:      # convert.py skips a shorter recording for the same reason
        return
    need = f"not more than one window of {length} ({length * hop / sr:.1f} s)"
    if len(audio) < int(round(seconds * sr)):       # the whole recording is that short
        raise ComplexAutoError(f"--audio {path}: {len(audio) / sr:.1f} s of audio, {frames} "
                               f"CQT frames, {need}; use a longer recording")
    raise ComplexAutoError(f"--seconds {seconds:g}: the excerpt has {frames} CQT frames, "
                           f"{need}; give more seconds")


def parser():
    """The command line of ``python -m complex_auto.transposition``."""
    p = argparse.ArgumentParser(
        prog="python -m complex_auto.transposition",
        description="Transposition test of a trained CQT model: pitch-shift the middle of a "
                    "recording with librosa and report the share of windows of the shifted "
                    "version whose nearest neighbour (cosine, CAE amplitudes) among the "
                    "original's windows is the same window within ±TOLERANCE frames.",
        epilog=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, default=Path("models/cqt_piano/model_complex_auto_cqt.save"),
                   metavar="PATH",
                   help="model file (default: the one run_batch_audio.sh --pretrained uses)")
    p.add_argument("--config", type=Path, metavar="INI",
                   help="the model's config (default: the config*.ini beside the model)")
    p.add_argument("--audio", type=Path, default=DEFAULT_AUDIO, metavar="FILE",
                   help=f"recording whose middle is used (default: {DEFAULT_AUDIO})")
    p.add_argument("--seconds", type=cli.number, default=SECONDS,
                   help=f"excerpt length in seconds (default {SECONDS:g})")
    p.add_argument("--semitones", type=cli.number, nargs="+", default=list(SEMITONES),
                   help="pitch shifts to test (default: 1 2 5 7)")
    p.add_argument("--tolerance", type=int, default=TOLERANCE,
                   help=f"frames a neighbour may lie off (default {TOLERANCE})")
    p.add_argument("--focus-frames", type=int, metavar="N",
                   help="encode only the central N frames of every window, as convert.py "
                        "--focus-frames does (default: the whole window)")
    cli.add_device(p)
    cli.add_verbose(p)
    return p


def main(args):
    """Check the options against the model's config, run the test and print its line."""
    from .figures import model_config

    device = cli.resolve_device(args.device, args.threads)
    cfg = model_config("cqt", args.model, args.config)
    if args.focus_frames is not None:
        if not 1 <= args.focus_frames <= cfg["length_ngram"]:
            raise ComplexAutoError(f"--focus-frames {args.focus_frames}: must be 1.."
                                   f"{cfg['length_ngram']}")
        cfg = dict(cfg, focus_frames=args.focus_frames)
    if args.tolerance < 0:
        raise ComplexAutoError(f"--tolerance {args.tolerance}: must be 0 or more frames")
    check_options(cfg, args.seconds, args.semitones)
    featurize = model_featurizer(args.model, cfg, device)
    audio = excerpt(args.audio, cfg["sr"], args.seconds)
    check_excerpt(audio, args.audio, cfg, args.seconds)
    result = transposition_test(featurize, audio, cfg["sr"], args.semitones, args.tolerance)
    print(format_result(str(args.model), result, len(featurize(audio))))


if __name__ == "__main__":
    cli.run(main, parser())
