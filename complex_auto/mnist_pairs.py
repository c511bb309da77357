"""Training pairs of rotated digits: a 28×28 digit and the same digit rotated.

No download is possible, so the digits come from disk, from the first of these that exists
(relative to ``data_dir``, by default ``data/`` in the current folder):

1. ``mnist_rot.pyc.bz``, the reference's prepared file: a bz2 pickle of rows
   ``(image, rotated image, third field, digit class)``. Its pairs are used as they are; the
   third field is kept as the pair's angle when it is a number (the file's own unit), else
   the angle is NaN.
2. MNIST in torchvision's raw layout, ``MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte``
   (plain or ``.gz``): every digit present (both parts when both are there).
3. The 1797 8×8 digits that scikit-learn ships (``sklearn.datasets.load_digits``), resized to
   20×20 and padded to 28×28, which is MNIST's own layout (digits fill a 20×20 box centred in
   the 28×28 frame): a digit filling the whole frame would lose its corners when rotated.

For sources 2 and 3 a pair is a digit ``x`` and ``y`` = ``x`` rotated counter-clockwise by an
angle uniform in ``[0, 360)`` degrees with ``torchvision.transforms.functional.rotate``
(bilinear, zero fill). One ``rotate`` call handles a whole group of images with the same angle,
so each batch draws a bank of :data:`ANGLES_PER_BATCH` angles and gives each pair one of them:
every pair's angle is still uniform on the circle, and the angle is stored with the pair.

Every item is standardised to zero mean and standard deviation 0.1 and flattened row-major to
784 values. The last fifth of the digits (or of the prepared rows) is held out for evaluation.
Each pair carries transformation id 3 (rotation), ``shift`` = its angle in degrees and
``digit`` = its class.
"""
import bz2
import gzip
import logging
import math
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .cqt_pairs import ITEM_STD, standardise_items
from .errors import DataError

ROTATION = 3
TRANSFORM_NAMES = {ROTATION: "rotation"}
SIDE = 28
N_IN = SIDE * SIDE
PREPARED_NAME = "mnist_rot.pyc.bz"
RAW_DIR = Path("MNIST") / "raw"
ANGLES_PER_BATCH = 32   #: distinct angles in one batch (one rotate call each)
MIN_EVAL_PAIRS = 2000   #: small evaluation sets are swept several times, at other angles
SOURCE_NAMES = {"prepared": "prepared rotated-MNIST file", "mnist": "MNIST (torchvision raw files)",
                "sklearn": "scikit-learn 8x8 digits resized to 28x28"}

log = logging.getLogger(__name__)


@dataclass
class DigitDraws:
    """The random choices behind a batch of digit pairs; every field has shape ``(batch,)``."""

    index: np.ndarray      #: digit (or prepared row) in the source's pool
    transform: np.ndarray  #: always 3 (rotation)
    shift: np.ndarray      #: rotation angle in degrees (NaN when a prepared file lacks it)
    digit: np.ndarray      #: digit class 0-9

    def __len__(self):
        return len(self.index)

    def labels(self):
        """One label per item: ``rot123 d7`` for a 7 rotated by 123 degrees."""
        return [f"rot{a:.0f} d{d}" if np.isfinite(a) else f"rot? d{d}"
                for a, d in zip(self.shift, self.digit)]


@dataclass
class DigitSource:
    """Digits read from disk, before the train/evaluation split.

    ``rotated`` and ``angle`` are set for the prepared file only: its pairs are fixed.
    """

    name: str                        #: 'prepared', 'mnist' or 'sklearn'
    path: str                        #: what was read
    images: np.ndarray               #: (n, 28, 28) float32
    labels: np.ndarray               #: (n,) int64 digit classes
    rotated: np.ndarray = None       #: (n, 28, 28) float32, prepared pairs only
    angle: np.ndarray = None         #: (n,) float64, prepared pairs only

    def __len__(self):
        return len(self.images)

    def subset(self, sel):
        """The digits ``sel`` (a slice or index array), with their rotated pairs and angles."""
        pick = lambda a: None if a is None else a[sel]  # noqa: E731
        return DigitSource(self.name, self.path, self.images[sel], self.labels[sel],
                           pick(self.rotated), pick(self.angle))


# -- rotation -------------------------------------------------------------------------------
def rotate_images(images, angles):
    """Rotate every image counter-clockwise by its angle with torchvision.

    Parameters
    ----------
    images : np.ndarray, shape (batch, 28, 28)
    angles : np.ndarray, shape (batch,)
        Degrees. Angles are taken modulo 360; a multiple of 360 returns the image unchanged
        (exactly, without resampling).

    Returns
    -------
    np.ndarray, float32, shape (batch, 28, 28)
        Bilinear interpolation, zeros where the rotated frame uncovers the corners.
    """
    import torch
    from torchvision.transforms import InterpolationMode
    from torchvision.transforms.functional import rotate

    images = np.asarray(images, dtype=np.float32)
    angles = np.mod(np.asarray(angles, dtype=np.float64), 360.0)
    out = images.copy()
    # Each call rotates a few 28×28 images: too little work to share between threads. With
    # several threads, and other processes on the cores, each call waited ~15 ms for its
    # threads instead of taking 0.3 ms, so the rotations run on one thread.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        # One call per distinct angle: rotate() takes a single angle for a whole batch.
        for a in np.unique(angles):
            if a == 0.0:
                continue
            sel = np.flatnonzero(angles == a)
            t = torch.from_numpy(np.ascontiguousarray(images[sel]))[:, None]
            out[sel] = rotate(t, float(a), interpolation=InterpolationMode.BILINEAR,
                              fill=0.0)[:, 0].numpy()
    finally:
        torch.set_num_threads(threads)
    return out


def angle_bank(rng, n, bank=ANGLES_PER_BATCH):
    """``n`` angles in degrees, each uniform in [0, 360), drawn from ``bank`` fresh values.

    Few distinct angles make few ``rotate`` calls (:func:`rotate_images`); each angle is still
    uniform on the circle.

    Parameters
    ----------
    rng : np.random.Generator
    n : int
        Angles wanted.
    bank : int
        Distinct values drawn at most (fewer when ``n`` is smaller).

    Returns
    -------
    np.ndarray, shape (n,), float64
    """
    values = rng.uniform(0.0, 360.0, min(bank, max(n, 1)))
    return values[rng.integers(0, len(values), n)]


# -- sources ----------------------------------------------------------------------------------
def _as_image(a, path, row):
    a = np.asarray(a, dtype=np.float32)
    if a.size != N_IN:
        raise DataError(f"{path}: row {row} holds an image of {a.size} values, not {N_IN} (28x28)")
    return a.reshape(SIDE, SIDE)


def _scalar(v):
    try:
        a = np.asarray(v, dtype=np.float64)
    except (TypeError, ValueError):
        return np.nan
    return float(a.reshape(-1)[0]) if a.size == 1 else np.nan


def _is_column_form(data):
    """Four equally long columns (images, rotated, third field, classes) rather than rows?"""
    if not (isinstance(data, (tuple, list)) and len(data) == 4):
        return False
    try:
        return np.ndim(data[0]) >= 2 and len(data[0]) == len(data[3])
    except (TypeError, ValueError):  # a row: ragged fields, or a scalar class without len()
        return False


def _columns(data):
    """The four fields of the prepared file as four sequences of equal length."""
    if _is_column_form(data):
        return data
    rows = list(data)
    if not rows:
        raise ValueError("no rows")
    fields = [tuple(r) for r in rows]
    if min(map(len, fields)) < 4:
        raise ValueError("rows have fewer than four fields")
    return list(zip(*[f[:4] for f in fields]))


def load_prepared(path):
    """The reference's ``mnist_rot.pyc.bz``: rows ``(image, rotated, third field, class)``.

    Also accepts the same four fields as columns (a sequence of four arrays of equal length).

    Returns
    -------
    DigitSource
        With ``rotated`` and ``angle`` set; an angle is NaN where the third field is not a
        number.

    Raises
    ------
    DataError
        When the file cannot be unpickled, or does not hold such rows (or columns) of 28×28
        images and digit classes.
    """
    path = Path(path)
    try:
        with bz2.BZ2File(path, "rb") as f:
            data = pickle.load(f)
    except Exception as e:
        raise DataError(f"{path}: cannot read the prepared rotated-digit file "
                        f"({type(e).__name__})") from None
    try:
        cols = _columns(data)
        images = np.stack([_as_image(a, path, i) for i, a in enumerate(cols[0])])
        rotated = np.stack([_as_image(a, path, i) for i, a in enumerate(cols[1])])
        angle = np.array([_scalar(v) for v in cols[2]], dtype=np.float64)
        labels = np.array([int(np.asarray(v).ravel()[0]) for v in cols[3]], dtype=np.int64)
    except DataError:
        raise
    except Exception as e:
        raise DataError(f"{path}: not rows of (image, rotated image, third field, digit class) "
                        f"({e})") from None
    return DigitSource("prepared", str(path), images, labels, rotated, angle)


def read_idx(path):
    """An IDX array (the MNIST file format), from a plain or ``.gz`` file.

    Returns
    -------
    np.ndarray of uint8
        ``(n, rows, cols)`` for images, ``(n,)`` for labels.

    Raises
    ------
    DataError
        When the file cannot be read, is not an unsigned-byte IDX file, or its size is not
        what its header says.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise DataError(f"{path}: cannot read IDX file ({e})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DataError(f"{path}: not an unsigned-byte IDX file (bad magic number)")
    ndim = raw[3]
    head = 4 + 4 * ndim
    if len(raw) < head:
        raise DataError(f"{path}: truncated IDX header")
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    count = math.prod(dims)
    if len(raw) - head != count:
        raise DataError(f"{path}: IDX header says {dims} ({count} bytes) but {len(raw) - head} "
                        "bytes follow")
    return np.frombuffer(raw, dtype=np.uint8, offset=head).reshape(dims)


def _idx_file(raw_dir, stem):
    for name in (stem, stem + ".gz"):
        if (raw_dir / name).is_file():
            return raw_dir / name
    return None


def load_mnist_raw(raw_dir):
    """MNIST from torchvision's raw files; ``None`` when no images/labels pair is there.

    Returns
    -------
    DigitSource or None
        Training digits first, then the t10k digits; values scaled to [0, 1]. A part with
        images but no labels, or the reverse, is left out with a warning.

    Raises
    ------
    DataError
        When a file is not IDX (:func:`read_idx`), the images are not 28×28, or the labels
        do not match the images in number.
    """
    raw_dir = Path(raw_dir)
    images, labels, used = [], [], []
    for part in ("train", "t10k"):
        img = _idx_file(raw_dir, f"{part}-images-idx3-ubyte")
        lab = _idx_file(raw_dir, f"{part}-labels-idx1-ubyte")
        if img is None or lab is None:
            if img is not None or lab is not None:
                log.warning("%s: %s has images or labels but not both; not used", raw_dir, part)
            continue
        x, y = read_idx(img), read_idx(lab)
        if x.ndim != 3 or x.shape[1:] != (SIDE, SIDE):
            raise DataError(f"{img}: images are {x.shape[1:]}, not 28x28")
        if y.ndim != 1 or len(y) != len(x):
            raise DataError(f"{lab}: {len(y)} labels for the {len(x)} images of {img.name}")
        images.append(x)
        labels.append(y)
        used.append(img.name)
    if not images:
        return None
    return DigitSource("mnist", f"{raw_dir} ({', '.join(used)})",
                       np.concatenate(images).astype(np.float32) / 255.0,
                       np.concatenate(labels).astype(np.int64))


def sklearn_digits():
    """scikit-learn's 8×8 digits, resized to 20×20 (bilinear) and centred in a 28×28 frame.

    Returns
    -------
    DigitSource
        1797 digits, values in [0, 1].
    """
    import torch
    from sklearn.datasets import load_digits
    from torchvision.transforms import InterpolationMode
    from torchvision.transforms.functional import pad, resize

    d = load_digits()
    x = torch.from_numpy(d.images.astype(np.float32) / 16.0)[:, None]  # (n, 1, 8, 8), 0..1
    x = resize(x, [20, 20], interpolation=InterpolationMode.BILINEAR, antialias=True)
    x = pad(x, [4, 4, 4, 4], fill=0.0)[:, 0].clamp_(0.0, 1.0)
    return DigitSource("sklearn", "sklearn.datasets.load_digits", x.numpy().copy(),
                       d.target.astype(np.int64))


def load_digit_source(data_dir="data"):
    """The digits of the first source that exists: prepared file, MNIST raw files, scikit-learn.

    Parameters
    ----------
    data_dir : str or Path
        Folder holding ``mnist_rot.pyc.bz`` and/or ``MNIST/raw/``.

    Returns
    -------
    DigitSource

    Raises
    ------
    DataError
        When the source found is unusable (:func:`load_prepared`, :func:`load_mnist_raw`):
        a broken file is an error, not a reason to fall back to the next source.
    """
    data_dir = Path(data_dir)
    prepared = data_dir / PREPARED_NAME
    if prepared.is_file():
        return load_prepared(prepared)
    raw = load_mnist_raw(data_dir / RAW_DIR) if (data_dir / RAW_DIR).is_dir() else None
    if raw is not None:
        return raw
    return sklearn_digits()


# -- pairs ------------------------------------------------------------------------------------
class DigitPairs:
    """Pairs ``(digit, rotated digit)`` from a :class:`DigitSource`.

    Parameters
    ----------
    source : DigitSource
        With ``rotated`` set, its fixed pairs are used; otherwise every pair is rotated here.
    """

    def __init__(self, source):
        self.source = source
        self.images = source.images
        self.labels_ = source.labels
        self.fixed = source.rotated is not None

    @property
    def n_in(self):
        """Values per item: 784 (28 × 28)."""
        return N_IN

    def __len__(self):
        return len(self.images)

    def _draws(self, rng, index):
        n = len(index)
        angle = self.source.angle[index] if self.fixed else angle_bank(rng, n)
        return DigitDraws(index, np.full(n, ROTATION), np.asarray(angle, dtype=np.float64),
                          self.labels_[index])

    def draw(self, rng, n):
        """Random draws for ``n`` pairs: a digit uniformly, an angle uniform in [0, 360).

        A prepared source's pairs keep the angle stored with them.

        Returns
        -------
        DigitDraws
        """
        return self._draws(rng, rng.integers(0, len(self.images), n))

    def sweep(self, rng, min_pairs=MIN_EVAL_PAIRS):
        """Draws for the evaluation set: every digit in order, with random angles.

        A source with fewer than ``min_pairs`` digits is swept several times (each time at
        new angles), so that the evaluation loss is not dominated by a few angles. Fixed
        (prepared) pairs are swept once, at their stored angles.

        Parameters
        ----------
        rng : np.random.Generator
        min_pairs : int
            Least number of draws of a source rotated here.

        Returns
        -------
        DigitDraws
        """
        n = len(self.images)
        reps = 1 if self.fixed or n == 0 else max(1, math.ceil(min_pairs / n))
        index = np.tile(np.arange(n), reps)
        if self.fixed:
            return self._draws(rng, index)
        # One bank for the whole sweep bounds the rotate() calls of every evaluation batch.
        angle = angle_bank(rng, len(index))
        return DigitDraws(index, np.full(len(index), ROTATION), angle, self.labels_[index])

    def build(self, draws):
        """The pairs of ``draws``.

        Returns
        -------
        x, y : np.ndarray, float32, each (batch, 784)
            Row-major flattened, zero mean, standard deviation 0.1.
        """
        x = self.images[draws.index]  # fancy indexing copies
        if self.fixed:
            y = self.source.rotated[draws.index]
        else:
            y = rotate_images(x, draws.shift)
        return standardise_items(x, ITEM_STD), standardise_items(y, ITEM_STD)


def training_sets(cfg, data_dir="data"):
    """Training and evaluation pairs of the first digit source on disk.

    The last fifth of the digits (prepared rows) is the evaluation set.

    Parameters
    ----------
    cfg : dict
        Uses ``samples_epoch`` (for the log line only).
    data_dir : str or Path
        As for :func:`load_digit_source`.

    Returns
    -------
    train, evaluation : DigitPairs

    Raises
    ------
    DataError
        When the source is unusable (:func:`load_digit_source`) or holds no digit.
    """
    source = load_digit_source(data_dir)
    n = len(source)
    n_eval = n // 5
    if n - n_eval < 1:
        raise DataError(f"{source.path}: {n} digits are too few to train on")
    train = DigitPairs(source.subset(slice(0, n - n_eval)))
    ev = DigitPairs(source.subset(slice(n - n_eval, n)))
    if source.rotated is not None:
        log.info("digit pairs from %s (%s): %d pairs, %d for training, %d held out for "
                 "evaluation; %d drawn per epoch", SOURCE_NAMES[source.name], source.path, n,
                 n - n_eval, n_eval, cfg["samples_epoch"])
    else:
        log.info("digit pairs from %s (%s): %d digits, %d for training, %d held out for "
                 "evaluation; %d pairs (digit, digit rotated by a uniform angle) per epoch, "
                 "%d evaluation pairs", SOURCE_NAMES[source.name], source.path, n, n - n_eval,
                 n_eval, cfg["samples_epoch"], len(ev.sweep(np.random.default_rng(0))))
    return train, ev
