"""Training pairs from CQT n-grams: pitch shift, time shift and tempo change.

A pair is an n-gram ``x`` (``n_bins × length_ngram`` frames of a standardised CQT) and ``y``,
the same n-gram under one transformation:

* 0, pitch shift by ``s ∈ [-shifts[1], shifts[1])`` bins (vacated bins are 0);
* 1, time shift: ``y`` starts ``s ∈ [-shifts[0], shifts[0])`` frames later in the same file;
* 2, tempo change by ``1 + scales[0]·u``, ``u ~ U(0, 1)`` (nearest neighbour, centre crop),
  with ``x`` and ``y`` swapped with probability ½.

Both items are min-maxed to [0, 1] before the transformation, optionally get onset emphasis,
and are then standardised to zero mean and standard deviation 0.1 and flattened bin-major
(index ``bin * length_ngram + frame``). Batches are built with vectorised indexing: the
random draws of a batch (:class:`PairDraws`) are made first, then :meth:`CQTPairs.build`
cuts all items at once.
"""
import functools
import logging
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)

PITCH, TIME, TEMPO = 0, 1, 2
TRANSFORM_NAMES = {PITCH: "pitch shift", TIME: "time shift", TEMPO: "tempo change"}
ITEM_STD = 0.1
EVAL_FRACTION = 0.2  #: tail of every file held out for evaluation when there are fewer than 5 files
_EPS = 1e-8


@dataclass
class PairDraws:
    """The random choices behind a batch of pairs; every field has shape ``(batch,)``."""

    file: np.ndarray       #: index of the file the n-gram comes from
    start: np.ndarray      #: first frame of ``x`` in that file
    transform: np.ndarray  #: 0 pitch, 1 time, 2 tempo
    shift: np.ndarray      #: bins (pitch) or frames (time); 0 for tempo
    scale: np.ndarray      #: stretch factor (tempo); 1 otherwise
    swap: np.ndarray       #: tempo pairs whose x and y are exchanged

    def __len__(self):
        return len(self.file)

    def labels(self):
        """One label per item: ``shifty5`` (pitch), ``shiftx-3`` (time), ``scale1.12`` (tempo)."""
        out = []
        for t, s, f in zip(self.transform, self.shift, self.scale):
            if t == PITCH:
                out.append(f"shifty{s}")
            elif t == TIME:
                out.append(f"shiftx{s}")
            else:
                out.append(f"scale{f:.2f}")
        return out


def pitch_shift(x, shift):
    """Move n-grams along the bin axis, filling vacated bins with 0.

    Parameters
    ----------
    x : np.ndarray, shape (batch, bins, frames)
    shift : np.ndarray of int, shape (batch,)
        Positive values move content to higher bins: ``y[b] = x[b - shift]``.

    Returns
    -------
    np.ndarray, shape (batch, bins, frames)
    """
    y = np.zeros_like(x)
    n_bins = x.shape[1]
    # One slice assignment per distinct shift value (at most 2·shifts[1] of them).
    for s in np.unique(shift):
        sel = np.flatnonzero(shift == s)
        if s >= 0:
            y[sel, s:] = x[sel, :n_bins - s]
        else:
            y[sel, :n_bins + s] = x[sel, -s:]
    return y


def stretch_indices(scale, length):
    """Source frame of every output frame of a nearest-neighbour stretch, centre-cropped.

    Parameters
    ----------
    scale : np.ndarray, shape (batch,)
        Stretch factors ``>= 1``.
    length : int
        Frames of the n-gram.

    Returns
    -------
    np.ndarray of int, shape (batch, length)
    """
    stretched = np.round(length * scale).astype(int)
    crop = (stretched - length) // 2
    t = np.arange(length)[None, :] + crop[:, None]
    return np.minimum(np.floor(t / scale[:, None]).astype(int), length - 1)


def min_max(x):
    """Scale every item of ``x`` (batch first) to [0, 1], in place for float arrays."""
    flat = x.reshape(len(x), -1)
    flat -= flat.min(axis=1, keepdims=True)
    flat /= flat.max(axis=1, keepdims=True) + _EPS
    return x


def emphasise_onsets(x, weight):
    """Add ``weight ×`` the positive frame-to-frame difference (0 for the first frame)."""
    if weight <= 0:
        return x
    diff = np.diff(x, axis=-1, prepend=x[..., :1])
    return x + weight * np.maximum(diff, 0)


def standardise_items(x, std=ITEM_STD):
    """Zero mean and standard deviation ``std`` for every item, flattened: ``(batch, -1)``.

    Works in place on ``x`` when it is a contiguous float array.
    """
    flat = x.reshape(len(x), -1)
    flat -= flat.mean(axis=1, keepdims=True)
    sd = np.sqrt(np.einsum("ij,ij->i", flat, flat) / flat.shape[1])
    flat *= (std / (sd + _EPS))[:, None].astype(flat.dtype)
    return flat


class CQTPairs:
    """Pairs of transformed n-grams from a set of CQT matrices.

    Parameters
    ----------
    cqts : list of np.ndarray, each (n_bins, frames)
        Standardised CQTs (training multiplies them by 10). Each must have more than
        ``length_ngram + 2 * shifts[0]`` frames.
    cfg : dict
        Uses ``length_ngram``, ``shifts``, ``scales``, ``transform``, ``emph_onset``.
    """

    #: Files of the list that :func:`training_sets` left out (silent or too short).
    skipped = ()
    #: Of an evaluation set, the files that give its loss; None when they are the list's own
    #: split (the last fifth of the files, or of every file's frames).
    sources = None

    def __init__(self, cqts, cfg):
        self.length = cfg["length_ngram"]
        self.max_time, self.max_pitch = (int(s) for s in cfg["shifts"])
        self.max_scale = float(cfg["scales"][0])
        self.transforms = np.asarray(cfg["transform"], dtype=int)
        self.emph_onset = cfg["emph_onset"]
        self.n_bins = cqts[0].shape[0] if cqts else cfg["n_bins"]
        self.lengths = np.array([c.shape[1] for c in cqts], dtype=int)
        self.offsets = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(int)
        # Frame-major storage, so that one n-gram is a contiguous block of memory.
        self.frames = (np.ascontiguousarray(np.concatenate(cqts, axis=1).T) if cqts
                       else np.zeros((0, self.n_bins), np.float32))

    @property
    def n_in(self):
        return self.n_bins * self.length

    def __len__(self):
        return len(self.lengths)

    # -- random draws ----------------------------------------------------------------------
    def _draw_transforms(self, rng, n):
        transform = rng.choice(self.transforms, n)
        pitch = (rng.integers(-self.max_pitch, self.max_pitch, n) if self.max_pitch
                 else np.zeros(n, int))
        time = (rng.integers(-self.max_time, self.max_time, n) if self.max_time
                else np.zeros(n, int))
        shift = np.where(transform == PITCH, pitch, np.where(transform == TIME, time, 0))
        scale = np.where(transform == TEMPO, 1.0 + self.max_scale * rng.random(n), 1.0)
        swap = (transform == TEMPO) & (rng.random(n) < 0.5)
        return transform, shift, scale, swap

    def draw(self, rng, n):
        """Random draws for ``n`` training pairs.

        A file is picked uniformly, then a start frame uniformly in
        ``[shifts[0], T - length_ngram - shifts[0])``, then a transformation.
        """
        file = rng.integers(0, len(self.lengths), n)
        start = rng.integers(self.max_time, self.lengths[file] - self.length - self.max_time)
        return PairDraws(file, start, *self._draw_transforms(rng, n))

    def sweep(self, rng):
        """Draws for every start in ``[2·shifts[0], T - length_ngram - 2·shifts[0])`` of every
        file, in order, with random transformations (the evaluation set)."""
        margin = 2 * self.max_time
        file, start = [], []
        for i, T in enumerate(self.lengths):
            s = np.arange(margin, T - self.length - margin)
            file.append(np.full(len(s), i))
            start.append(s)
        file = np.concatenate(file).astype(int) if file else np.zeros(0, int)
        start = np.concatenate(start).astype(int) if start else np.zeros(0, int)
        return PairDraws(file, start, *self._draw_transforms(rng, len(file)))

    # -- building ----------------------------------------------------------------------------
    def ngrams(self, file, start):
        """N-grams at the given starts, shape ``(batch, n_bins, length_ngram)``."""
        idx = (self.offsets[file] + start)[:, None] + np.arange(self.length)[None, :]
        return np.ascontiguousarray(self.frames[idx].transpose(0, 2, 1))

    def build(self, draws):
        """Cut the pairs of ``draws``.

        Returns
        -------
        x, y : np.ndarray, float32, each (batch, n_bins * length_ngram)
            Bin-major flattened, zero mean, standard deviation 0.1, plus 1e-8.
        """
        x = min_max(self.ngrams(draws.file, draws.start))
        t = draws.transform
        y = x.copy()
        if np.any(t == PITCH):
            sel = t == PITCH
            y[sel] = pitch_shift(x[sel], draws.shift[sel])
        if np.any(t == TIME):
            sel = t == TIME
            y[sel] = min_max(self.ngrams(draws.file[sel], draws.start[sel] + draws.shift[sel]))
        if np.any(t == TEMPO):
            sel = t == TEMPO
            src = stretch_indices(draws.scale[sel], self.length)
            y[sel] = np.take_along_axis(x[sel], src[:, None, :], axis=2)
            swap = draws.swap
            x[swap], y[swap] = y[swap], x[swap]
        out = []
        for item in (x, y):
            item = standardise_items(emphasise_onsets(item, self.emph_onset).astype(np.float32, copy=False))
            item += _EPS
            out.append(item)
        return out[0], out[1]


def _training_cqt(path, cfg):
    from .cqt import file_cqt

    return file_cqt(path, cfg, block_size=cfg["block_size"], factor=10.0)


def training_sets(files, cfg, list_name, refresh=False, jobs=1):
    """Training and evaluation pairs of a file list (the CQT is cached).

    The last ``len(files) // 5`` files are the evaluation set (or the files of
    ``cfg['test_data']`` when that names a file list, all of ``files`` then training), the rest
    the training set. With fewer than five files and no ``test_data`` no file is left over, so
    the last fifth of the frames of every file long enough to split is held out instead (a
    warning says so), as :mod:`complex_auto.signal_pairs` does. Files of at most
    ``length_ngram + 2 * shifts[0]`` frames, and silent ones (every standardised CQT frame 0),
    are skipped with a warning. When no evaluation file is longer than
    ``length_ngram + 4 * shifts[0]`` frames (one n-gram of :meth:`CQTPairs.sweep`), the
    training files are the evaluation set too, with a warning.

    Parameters
    ----------
    files : list of Path
        The training list.
    cfg : dict
        Uses the CQT settings, ``block_size``, ``length_ngram``, ``shifts``, ``scales``,
        ``transform``, ``emph_onset``, ``test_data``, ``cache_dir`` and ``rebuild``.
    list_name : str or Path
        The list's file: names the cache file and the messages.
    refresh : bool
        Compute the CQTs again even when cached (``--refresh-cache``; so does
        ``cfg['rebuild']``).
    jobs : int
        Processes computing CQTs.

    Returns
    -------
    train, evaluation : CQTPairs
        ``train.skipped`` lists the training files left out (silent or too short);
        ``evaluation.sources`` the files that give the evaluation loss when they are not
        the list's split (files left out, or the training files taking their place).

    Raises
    ------
    ConfigError
        When pitch shifts are drawn and ``shifts[1]`` is not below ``n_bins``.
    DataError
        When no training file is usable (all silent or too short).
    """
    from .cache import cache_key, cache_path, cached
    from .errors import ConfigError, DataError
    from .filelist import held_out, read_test_data
    from .utils import counted, progress_map

    if PITCH in cfg["transform"] and cfg["shifts"][1] >= cfg["n_bins"]:
        # a shift by the whole range moves every bin out: numpy refused the pairs mid-epoch
        raise ConfigError(f"{cfg.get('config_path', 'config')}: key 'shifts' = "
                          f"{cfg['shifts'][0]}, {cfg['shifts'][1]}: the pitch shift must be "
                          f"fewer bins than n_bins = {cfg['n_bins']}")
    keys = ("sr", "n_bins", "bins_per_oct", "fmin", "hop_length", "block_size")
    params = {k: cfg[k] for k in keys}

    def load(paths, name):
        path = cache_path(cfg["cache_dir"], name, "cqt", cache_key(paths, params))
        build = lambda: progress_map(functools.partial(_training_cqt, cfg=params), paths,  # noqa: E731
                                     jobs=jobs, desc="CQT")
        return cached(path, build, refresh=refresh or cfg["rebuild"])

    if cfg["test_data"]:
        eval_files = read_test_data(cfg["test_data"], files, cfg.get("config_path"))
        train_files = list(files)
    else:
        n_eval = held_out(files)
        train_files, eval_files = files[:len(files) - n_eval], files[len(files) - n_eval:]
    cqts = load(list(files), list_name)
    eval_cqts = load(eval_files, cfg["test_data"]) if cfg["test_data"] else cqts[len(train_files):]
    train_cqts = cqts[:len(train_files)]
    need = cfg["length_ngram"] + 2 * cfg["shifts"][0] + 1  # at least one start position
    sweep_need = cfg["length_ngram"] + 4 * cfg["shifts"][0] + 1  # one CQTPairs.sweep n-gram
    split = not eval_files
    if split:
        heads, eval_files, eval_cqts = [], [], []
        for f, c in zip(train_files, train_cqts):
            k = c.shape[1] - int(round(c.shape[1] * EVAL_FRACTION))
            if k >= need and c.shape[1] - k >= sweep_need:
                heads.append(c[:, :k])
                eval_files.append(f"{f} [frames {k}:]")
                eval_cqts.append(c[:, k:])
            else:                     # too short to split: all of it trains
                heads.append(c)
        train_cqts = heads
        if eval_files:    # else the warning below says what the evaluation is
            log.warning("%s: %s, fewer than 5, so none is left for evaluation; evaluating "
                        "on the last fifth of the frames of %s, which training does not use",
                        list_name, counted(len(files), "file"),
                        "every file" if len(eval_files) == len(files)
                        else counted(len(eval_files), "file"))

    def usable(paths, arrays):
        kept, silent, left = [], 0, []
        for p, c in zip(paths, arrays):
            if c.shape[1] < need:
                log.warning("skipping %s: %d frames, fewer than the %d needed", p, c.shape[1], need)
                left.append(p)
            elif not c.any():
                # every frame is standardised, so digital silence is all zeros: its pairs
                # reconstruct perfectly with any weights, and the loss would read 0
                log.warning("skipping %s: silent (every CQT frame is 0), nothing to learn", p)
                silent += 1
                left.append(p)
            else:
                kept.append(c)
        return kept, silent, left

    train_cqts, silent, skipped = usable(train_files, train_cqts)
    eval_cqts, _, eval_left = usable(eval_files, eval_cqts)
    # what the training record names as giving the evaluation loss (None: the list's split)
    evaluated = None if split else [f for f in eval_files if f not in eval_left]
    if not train_cqts:
        seconds = need * cfg["hop_length"] / cfg["sr"]
        if silent == len(train_files):
            raise DataError(f"{list_name}: every training file is silent (every CQT frame is "
                            "0): nothing to learn")
        if silent:
            raise DataError(f"{list_name}: no training file is usable: {silent} silent, the "
                            f"others shorter than {need} CQT frames ({seconds:.1f} s)")
        raise DataError(f"{list_name}: every training file is shorter than {need} CQT frames "
                        f"({seconds:.1f} s), the length of one n-gram plus its time shifts")
    if not any(c.shape[1] >= sweep_need for c in eval_cqts):
        log.warning("no evaluation file has the %d frames an evaluation n-gram needs: "
                    "evaluating on the training files (the evaluation loss is then a "
                    "training loss)", sweep_need)
        eval_cqts = train_cqts
        evaluated = [f for f in train_files if f not in skipped]
    log.info("CQT pairs: %s (%d frames), %s (%d frames)",
             counted(len(train_cqts), "training file"), sum(c.shape[1] for c in train_cqts),
             counted(len(eval_cqts), "evaluation file"), sum(c.shape[1] for c in eval_cqts))
    train, evaluation = CQTPairs(train_cqts, cfg), CQTPairs(eval_cqts, cfg)
    train.skipped, evaluation.sources = skipped, evaluated
    return train, evaluation
