"""Training pairs from raw audio: two windows of the same recording, a few samples apart.

The 1-D experiment of the paper: the CAE sees ``length_ngram`` (512) samples of a waveform and
the same stretch moved by ``s`` samples, and learns complex Gabor-like band-pass filters whose
amplitudes ignore the shift and whose phases encode it.

An item is drawn as follows: a file uniformly at random, a shift ``s`` uniform in
``[-shifts[0], shifts[0])`` samples, and a position ``p`` uniform in
``[shifts[0], T - length_ngram - shifts[0]]`` (``T`` samples in the file), so that both windows
lie inside the file. Then

* ``x`` = samples ``p .. p + length_ngram`` and ``y`` = samples ``p + s .. p + s + length_ngram``;
* each has its mean removed (a DC offset of the recording is no signal), is multiplied by a
  ``length_ngram``-point Hann window, and is scaled to unit variance on its own. The mean is
  removed *before* windowing so that the item still tapers to zero at both ends. A silent
  window has variance 0; it is divided by ``std + 1e-8`` and so stays all zeros (finite).

Every pair carries transformation id 1 (time shift, as in :mod:`complex_auto.cqt_pairs`), its
shift ``s`` in samples and a label ``shiftx{s}``.

Evaluation set: the last ``len(files) // 5`` files (as for CQT). When that is 0 (fewer than
five files, e.g. the one recording of ``filelist_signal.txt``), the last fifth of every file's
samples is held out instead: training windows come from the first 80 % of each file,
evaluation windows from the last 20 %, and no window straddles the border (each part is cut
off and treated as a file of its own). ``test_data`` naming a file list overrides both.
"""
import logging
import math
from dataclasses import dataclass

import numpy as np
from .errors import DataError
from .filelist import held_out

TIME = 1
TRANSFORM_NAMES = {TIME: "time shift"}
EVAL_FRACTION = 0.2       #: tail of every file held out when there are fewer than 5 files
MAX_EVAL_WINDOWS = 20000  #: the evaluation sweep is thinned to at most this many windows
_EPS = 1e-8

log = logging.getLogger(__name__)


@dataclass
class SignalDraws:
    """The random choices behind a batch of signal pairs; every field has shape ``(batch,)``."""

    file: np.ndarray       #: index of the signal the window comes from
    start: np.ndarray      #: first sample ``p`` of ``x``
    transform: np.ndarray  #: always 1 (time shift)
    shift: np.ndarray      #: ``s`` in samples: ``y`` starts at ``p + s``

    def __len__(self):
        return len(self.file)

    def labels(self):
        """One label per item: ``shiftx-17`` for a shift of -17 samples."""
        return [f"shiftx{s}" for s in self.shift]


def hann(length):
    """The periodic ``length``-point Hann window, ``0.5 - 0.5·cos(2πn / length)``, float32.

    The same as ``scipy.signal.get_window('hann', length)``. Periodic rather than symmetric:
    it is the STFT convention (the window's first sample is 0, its last is not).
    """
    n = np.arange(length)
    return (0.5 - 0.5 * np.cos(2 * np.pi * n / length)).astype(np.float32)


def standardise_windows(x, window):
    """Remove the mean, apply ``window`` and scale every row to unit variance.

    Parameters
    ----------
    x : np.ndarray, shape (batch, length)
        Raw samples; modified in place when it is a float32 array.
    window : np.ndarray, shape (length,)

    Returns
    -------
    np.ndarray, float32, shape (batch, length)
        Each row has variance 1, or is all zeros when its samples were all equal (silence).
    """
    x = np.asarray(x, dtype=np.float32)
    x -= x.mean(axis=1, keepdims=True)
    x *= window[None, :]
    sd = x.std(axis=1, keepdims=True)
    x /= sd + _EPS
    return x


class SignalPairs:
    """Pairs of time-shifted, windowed stretches of audio.

    Parameters
    ----------
    signals : list of np.ndarray, each (samples,)
        Mono audio; each must hold at least ``length_ngram + 2 * shifts[0]`` samples.
    cfg : dict
        Uses ``length_ngram`` (window length in samples) and ``shifts[0]`` (largest shift in
        samples; ``shifts[1]`` is not used).
    """

    #: Files of the list that :func:`training_sets` left out (silent or too short).
    skipped = ()
    #: Of an evaluation set, the files that give its loss; None when they are the tails of
    #: the training files.
    sources = None

    def __init__(self, signals, cfg):
        self.length = int(cfg["length_ngram"])
        self.max_shift = max(int(cfg["shifts"][0]), 0)
        self.window = hann(self.length)
        self.lengths = np.array([len(s) for s in signals], dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)
        # One contiguous buffer, so that a batch is cut with a single fancy index.
        self.samples = (np.concatenate([np.asarray(s, np.float32) for s in signals]) if signals
                        else np.zeros(0, np.float32))

    @property
    def n_in(self):
        """Samples per item (``length_ngram``): the model's input size."""
        return self.length

    def __len__(self):
        return len(self.lengths)

    @property
    def need(self):
        """Samples a signal needs for one pair: ``length_ngram + 2 * shifts[0]``."""
        return self.length + 2 * self.max_shift

    def _shifts(self, rng, n):
        if self.max_shift == 0:
            return np.zeros(n, np.int64)
        return rng.integers(-self.max_shift, self.max_shift, n)

    def draw(self, rng, n):
        """Random draws for ``n`` training pairs (file, position, shift)."""
        file = rng.integers(0, len(self.lengths), n)
        start = rng.integers(self.max_shift, self.lengths[file] - self.length - self.max_shift + 1)
        return SignalDraws(file, start, np.full(n, TIME), self._shifts(rng, n))

    def sweep(self, rng, max_windows=MAX_EVAL_WINDOWS):
        """Draws for the evaluation set: positions in order, with random shifts.

        Every file is swept from ``shifts[0]`` to its last full window with a hop of half a
        window (larger when that would give more than ``max_windows`` windows in all).
        """
        lo = self.max_shift
        hi = self.lengths - self.length - self.max_shift  # last valid start, inclusive
        span = np.maximum(hi - lo + 1, 0)
        hop = max(self.length // 2, math.ceil(span.sum() / max(max_windows, 1)), 1)
        file, start = [], []
        for i, h in enumerate(hi):
            s = np.arange(lo, h + 1, hop)
            file.append(np.full(len(s), i, np.int64))
            start.append(s)
        file = np.concatenate(file) if file else np.zeros(0, np.int64)
        start = np.concatenate(start).astype(np.int64) if start else np.zeros(0, np.int64)
        return SignalDraws(file, start, np.full(len(file), TIME), self._shifts(rng, len(file)))

    def windows(self, file, start):
        """Raw sample windows, shape ``(batch, length_ngram)``, float32 (a copy)."""
        idx = (self.offsets[file] + start)[:, None] + np.arange(self.length)[None, :]
        return self.samples[idx]

    def build(self, draws):
        """Cut the pairs of ``draws``.

        Returns
        -------
        x, y : np.ndarray, float32, each (batch, length_ngram)
            Hann-windowed, unit variance (silent windows all zeros).
        """
        x = standardise_windows(self.windows(draws.file, draws.start), self.window)
        y = standardise_windows(self.windows(draws.file, draws.start + draws.shift), self.window)
        return x, y


def _load(path, sr):
    from .cqt import load_audio

    return load_audio(path, sr)


def load_signals(files, cfg, list_name, refresh=False, jobs=1):
    """Every listed file as mono audio at ``cfg['sr']`` Hz, cached in ``cfg['cache_dir']``.

    The cache is keyed by the files' paths, sizes and modification times and the sample rate,
    so an edited or re-encoded file is read again.

    Parameters
    ----------
    files : list of Path
    cfg : dict
        Uses ``sr``, ``cache_dir`` and ``rebuild`` (read again, as ``refresh``).
    list_name : str or Path
        Names the cache file.
    refresh : bool
        Read the audio again even if it is cached.
    jobs : int
        Processes reading the audio.

    Returns
    -------
    list of np.ndarray, each (samples,), float32
        In the order of ``files``.

    Raises
    ------
    DataError
        When a file cannot be read as audio.
    """
    import functools

    from .cache import cache_key, cache_path, cached
    from .utils import progress_map

    files = list(files)
    params = {"sr": cfg["sr"], "kind": "signal"}
    path = cache_path(cfg["cache_dir"], list_name, "signal", cache_key(files, params))
    build = lambda: progress_map(functools.partial(_load, sr=cfg["sr"]), files,  # noqa: E731
                                 jobs=jobs, desc="audio")
    return cached(path, build, refresh=refresh or cfg["rebuild"])


def split_signals(files, signals):
    """Training and evaluation signals: last ``len(files)//5`` files, or every file's tail.

    Parameters
    ----------
    files : list of Path
    signals : list of np.ndarray, each (samples,)
        The audio of ``files``, in their order.

    Returns
    -------
    train, evaluation : list of (name, np.ndarray)
        ``name`` is the file's path; for a file split in two it is followed by the part's
        sample range, ``'a.wav [0:cut]'`` and ``'a.wav [cut:T]'``, the tail being the last
        :data:`EVAL_FRACTION` of the samples.
    """
    n_eval = held_out(files)
    if n_eval:
        named = list(zip(map(str, files), signals))
        return named[:-n_eval], named[-n_eval:]
    train, ev = [], []
    for f, s in zip(files, signals):
        cut = len(s) - int(round(len(s) * EVAL_FRACTION))
        train.append((f"{f} [0:{cut}]", s[:cut]))
        ev.append((f"{f} [{cut}:{len(s)}]", s[cut:]))
    return train, ev


def training_sets(files, cfg, list_name, refresh=False, jobs=1):
    """Training and evaluation pairs of a file list of recordings.

    Parameters
    ----------
    files : list of Path
    cfg : dict
        Uses ``sr``, ``length_ngram``, ``shifts``, ``cache_dir``, ``rebuild``, ``test_data``.
    list_name : str or Path
        Names the cache file.
    refresh : bool
        Read the audio again even if it is cached.
    jobs : int
        Processes reading the audio.

    Returns
    -------
    train, evaluation : SignalPairs
        ``train.skipped`` lists the training files left out (silent or too short),
        ``evaluation.sources`` the files that give the evaluation loss (None for the tails
        of the training files).

    Raises
    ------
    DataError
        When no training file holds ``length_ngram + 2 * shifts[0]`` samples and a sound
        (silent files are skipped with a warning, as too short ones).
    """
    from .filelist import read_test_data
    from .utils import counted

    files = list(files)
    signals = load_signals(files, cfg, list_name, refresh, jobs)
    if cfg["test_data"]:
        eval_files = read_test_data(cfg["test_data"], files, cfg.get("config_path"))
        eval_signals = load_signals(eval_files, cfg, cfg["test_data"], refresh, jobs)
        train, ev = list(zip(map(str, files), signals)), list(zip(map(str, eval_files), eval_signals))
    else:
        train, ev = split_signals(files, signals)

    need = int(cfg["length_ngram"]) + 2 * max(int(cfg["shifts"][0]), 0)

    def usable(named):
        kept, silent, left = [], 0, []
        for k, (name, s) in enumerate(named):
            if len(s) < need:
                log.warning("skipping %s: %d samples, fewer than the %d needed", name, len(s), need)
                left.append(k)
            elif not s.any():
                # every item of digital silence is zero: its pairs reconstruct perfectly with
                # any weights, and the loss would read 0 (as the CQT pairs say)
                log.warning("skipping %s: silent (every sample is 0), nothing to learn", name)
                silent += 1
                left.append(k)
            else:
                kept.append(s)
        return kept, silent, left

    (train_sig, silent, left), (eval_sig, _, eval_left) = usable(train), usable(ev)
    if not train_sig:
        if silent == len(train):
            raise DataError(f"{list_name}: every training signal is silent (every sample is "
                            "0): nothing to learn")
        raise DataError(f"{list_name}: no training signal is usable: "
                        + (f"{silent} silent, the others" if silent else "every one is")
                        + f" shorter than {need} samples (length_ngram plus twice shifts[0])")
    sr = cfg["sr"]
    how = ("last fifth of every file held out" if not cfg["test_data"] and len(files) < 5
           else "evaluation files " + ("from test_data" if cfg["test_data"] else "= last fifth of the list"))
    log.info("signal pairs: %s (%.1f s), %s (%.1f s); %s",
             counted(len(train_sig), "training signal"), sum(map(len, train_sig)) / sr,
             counted(len(eval_sig), "evaluation signal"), sum(map(len, eval_sig)) / sr, how)
    pairs, evaluation = SignalPairs(train_sig, cfg), SignalPairs(eval_sig, cfg)
    pairs.skipped = [files[k] for k in left]    # the training signals are files' heads, in order
    n_eval = held_out(files)
    if cfg["test_data"] or n_eval:      # whole files, not the training files' tails
        sources = eval_files if cfg["test_data"] else files[len(files) - n_eval:]
        evaluation.sources = [f for k, f in enumerate(sources) if k not in eval_left]
    return pairs, evaluation
