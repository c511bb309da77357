"""Measure what a trained model learned: invariant amplitudes, transformations in phases.

The paper makes two claims about a trained Complex Autoencoder: its amplitudes are invariant
to the transformations seen in training, and the differences of its phases encode those
transformations. This module measures both, for any trained model, from items prepared exactly
as in training.

**Invariance** (``invariance.csv``, ``invariance.png``). For ``N`` items ``x`` and every shift
``s`` of every transformation, the mean cosine similarity between the amplitude vectors of ``x``
and of its shifted version ``y``, next to two references: the same similarity between the raw
inputs ``x`` and ``y`` (the model's input vectors, so for CQT the standardised n-grams), and the
mean similarity between ``x`` and *unrelated* items ``z`` (other positions, other recordings),
once for amplitudes and once for raw inputs. Amplitudes are non-negative, so even unrelated
items have a positive amplitude similarity: the unrelated line is the floor to compare with.
Because that floor differs between amplitudes and raw inputs, each shift also gets a *match
rate* that does not depend on it: the fraction of shifted items whose most similar item among
the ``N`` unshifted ones is their own original (chance ``1/N``).

**Transformations from phases** (``transformations.csv``, ``phase_pca.png``). Pairs
``(x, y)`` with a random transformation and a random non-zero shift are drawn from some
recordings (the *fitting* part) and from held-out recordings (the *test* part). A classifier is
fitted on the fitting pairs and scored on the test pairs, for these targets:

* ``type``: which transformation (only when there are several, e.g. pitch vs time for CQT);
* ``KEY_shift`` (e.g. ``pitch_shift``, ``rotation_shift``): the signed shift (the angle for
  rotations), among the pairs of that transformation; also scored as right when within one
  step (±1 bin, frame or sample, ±15°, circular for angles).

Features: phase differences as ``[cos Δφ, sin Δφ]`` (``phase``), and, as a baseline that should
know little, amplitude differences ``a_y - a_x`` (``amplitude``). Classifiers: k nearest
neighbours (``knn``, k = 5, Euclidean, distance-weighted) and logistic regression
(``logistic``), both after per-feature standardisation. Chance is the frequency of the most
common class in the test set. The PCA of the phase differences of all pairs, one panel per
transformation, coloured by shift, is ``phase_pca.png``.

**Digits** (``digits.csv``, digit models only). Digit classification error of k-NN (cosine,
k = 5) on amplitudes against the same on raw pixels, fitted on the training digits at rotations
0, 30, ..., 180° and tested on held-out digits at rotations never used in fitting (195, 255,
315°), each angle alone and all together; the held-out digits at the fitting rotations are a
reference row.

Items per data type:

* ``cqt``: n-grams of every recording's whole-file conversion CQT (factor 1, cached in the
  config's ``cache_dir``), prepared as training prepares them
  (:class:`~complex_auto.cqt_pairs.CQTPairs`): min-max to [0, 1], pitch shift by ``s`` bins
  with zero fill, standardised to std 0.1, flattened bin-major. The time-shifted version is the
  n-gram that starts ``s`` frames later. So a shifted item is exactly what training would make
  of that n-gram and shift (min-max removes the training CQT's factor 10; training used only
  the middle ``block_size`` samples of each file, this uses whole files). Shifts: −24..+24
  bins, −12..+12 frames.
* ``signal``: windows of the recordings (Hann-windowed, unit variance, as
  :class:`~complex_auto.signal_pairs.SignalPairs`); time shifts −shifts[0]..+shifts[0] samples.
* ``mnist``: digits of :func:`~complex_auto.mnist_pairs.load_digit_source`, rotated by
  0..345° in steps of 15° with :func:`~complex_auto.mnist_pairs.rotate_images`.

Held-out recordings: the last fifth of the file list (at least one file). With a single
recording, its first half is the fitting part and its second half the test part. Digits: the
last fifth of the digits, as in training.

The library functions take generic arrays and an ``encode`` function (see
:func:`make_encoder`), so they also serve models built by hand (tests use exact Fourier bases).
"""
import argparse
import csv
import io
import logging
import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from . import cli
from .errors import ComplexAutoError, DataError

log = logging.getLogger(__name__)

PITCH_RANGE = 24            #: largest pitch shift measured for CQT, in bins
TIME_RANGE = 12             #: largest time shift measured for CQT, in frames
ROTATION_STEP = 15          #: degrees between measured rotations of digits
DIGIT_FIT_ANGLES = (0, 30, 60, 90, 120, 150, 180)   #: rotations of the k-NN's fitting digits
DIGIT_TEST_ANGLES = (195, 255, 315)                  #: rotations never used in fitting
KNN_K = 5

INVARIANCE_COLUMNS = ("transform", "shift", "unit", "model_similarity", "raw_similarity",
                      "unrelated_model_similarity", "unrelated_raw_similarity",
                      "model_match_rate", "raw_match_rate", "n_items")
TRANSFORMATION_COLUMNS = ("target", "features", "classifier", "accuracy", "accuracy_within_1",
                          "chance", "n_classes", "n_train", "n_test")
DIGIT_COLUMNS = ("features", "test_rotation", "error", "chance_error", "n_train", "n_test")
FEATURES = ("phase", "amplitude")
CLASSIFIERS = ("knn", "logistic")

COLUMN_HELP = """\
invariance.csv, one row per transformation and shift:
  transform                   pitch, time (cqt), time (signal) or rotation (mnist)
  shift                       the shift: bins, frames, samples or degrees (see unit)
  unit                        bins, frames, samples or degrees
  model_similarity            mean cosine similarity of the amplitudes of x and shifted x
  raw_similarity              the same for the raw model inputs x and shifted x
  unrelated_model_similarity  mean amplitude similarity of x and unrelated items (same in every row)
  unrelated_raw_similarity    mean raw-input similarity of x and unrelated items (same in every row)
  model_match_rate            fraction of shifted items whose most similar unshifted item (by
                              amplitudes, among the n_items) is their own original; chance 1/n_items
  raw_match_rate              the same by raw inputs
  n_items                     items averaged
transformations.csv, one row per target, features and classifier:
  target             type (which transformation) or KEY_shift (the signed shift within KEY)
  features           phase ([cos, sin] of phase differences) or amplitude (amplitude differences)
  classifier         knn (5 neighbours) or logistic (logistic regression)
  accuracy           fraction of held-out pairs predicted exactly
  accuracy_within_1  fraction within one step of the truth (1 bin/frame/sample, 15 degrees);
                     empty for target type
  chance             frequency of the most common class among the held-out pairs
  n_classes          classes seen
  n_train, n_test    pairs used for fitting and for testing
digits.csv (digit models), one row per features and test rotation:
  features           amplitude or pixels (k-NN, cosine, 5 neighbours)
  test_rotation      the held-out digits' rotation in degrees; 'unseen' = all unseen ones
                     together; 'seen' = the fitting rotations (reference)
  error              digit classification error
  chance_error       1 - frequency of the most common digit among the test items
  n_train, n_test    items used for fitting and for testing
"""


# -- transformations ----------------------------------------------------------------------
@dataclass(frozen=True)
class Transformation:
    """One kind of transformation and the shifts measured for it.

    Parameters
    ----------
    key : str
        Short name written in the csv files (``pitch``, ``time``, ``rotation``).
    tid : int
        Transformation id of the pair source (0 pitch, 1 time, 3 rotation).
    name : str
        Readable name (``pitch shift``).
    unit : str
        Unit of the shifts (``bins``, ``frames``, ``samples``, ``degrees``).
    shifts : tuple of int
        Every shift of the similarity curve, 0 included, increasing.
    period : float, optional
        Shifts are taken modulo ``period`` when comparing them (360 for rotations).
    """

    key: str
    tid: int
    name: str
    unit: str
    shifts: tuple
    period: float = None

    @property
    def classes(self):
        """The non-zero shifts: the classes of the shift classifier."""
        return tuple(s for s in self.shifts if s != 0)

    @property
    def step(self):
        """Distance between neighbouring shifts (what "within 1" means)."""
        s = np.diff(self.shifts)
        return float(s.min()) if len(s) else 1.0


def shift_range(largest):
    """``(-largest, ..., largest)`` as a tuple of int."""
    return tuple(range(-int(largest), int(largest) + 1))


# -- encoding and similarities ------------------------------------------------------------
def make_encoder(model, device="cpu", chunk=4096):
    """An ``encode`` function for numpy items.

    Parameters
    ----------
    model : ComplexAutoEncoder
        Put into evaluation mode (no dropout).
    device : str or torch.device
    chunk : int
        Items encoded at once.

    Returns
    -------
    callable
        ``encode(x)`` with ``x`` of shape ``(n, n_in)`` returns ``(amplitude, phase)``, numpy
        arrays of shape ``(n, n_bases)``; phases in radians.
    """
    import torch

    model.eval()
    dtype = model.layer.weight.dtype

    @torch.no_grad()
    def encode(x):
        x = np.asarray(x)
        amps, phases = [], []
        for lo in range(0, len(x), chunk):
            t = torch.from_numpy(np.ascontiguousarray(x[lo:lo + chunk])).to(device, dtype=dtype)
            a, p = model.encode(t)
            amps.append(a.cpu().numpy())
            phases.append(p.cpu().numpy())
        if not amps:
            empty = np.zeros((0, model.n_bases), np.float32)
            return empty, empty.copy()
        return np.concatenate(amps), np.concatenate(phases)

    return encode


def row_cosine(a, b):
    """Cosine similarity of corresponding rows.

    Parameters
    ----------
    a, b : np.ndarray, shape (n, d)

    Returns
    -------
    np.ndarray, shape (n,), float64
        NaN for a row where either vector is zero (a silent item).
    """
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != np.float32 or b.dtype != np.float32:
        # float32 inputs (long CQT items) stay float32: a float64 copy costs more than the sum.
        a, b = a.astype(np.float64, copy=False), b.astype(np.float64, copy=False)
    num = np.einsum("ij,ij->i", a, b).astype(np.float64)
    den = np.sqrt(np.einsum("ij,ij->i", a, a)) * np.sqrt(np.einsum("ij,ij->i", b, b))
    den = den.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def match_rate(queries, keys):
    """Fraction of queries whose most cosine-similar key is the key of the same row.

    Parameters
    ----------
    queries, keys : np.ndarray, shape (n, d)
        Row ``i`` of ``queries`` belongs to row ``i`` of ``keys`` (e.g. a shifted item and its
        original).

    Returns
    -------
    float
        In [0, 1]; chance is ``1 / n``. A tie with the own key (an identical item elsewhere,
        within float rounding) counts as a match; rows with a zero vector never match.
    """
    def unit(v):
        v = np.asarray(v)
        v = v if v.dtype == np.float32 else v.astype(np.float64)
        norm = np.sqrt(np.einsum("ij,ij->i", v, v))[:, None]
        return np.divide(v, norm, out=np.zeros_like(v), where=norm > 0)

    q, k = unit(queries), unit(keys)
    hits = 0
    for lo in range(0, len(q), 1024):  # bounded memory: 1024 x n similarities at a time
        block = q[lo:lo + 1024]
        sim = block @ k.T
        own = sim[np.arange(len(block)), np.arange(lo, lo + len(block))]
        nonzero = np.abs(block).sum(axis=1) > 0
        hits += int(np.sum((own >= sim.max(axis=1) - 1e-6) & nonzero))
    return hits / len(q) if len(q) else float("nan")


def _nanmean(v):
    v = np.asarray(v, np.float64)
    v = v[np.isfinite(v)]
    return float(v.mean()) if len(v) else float("nan")


def pair_similarity(encode, x, y, amp_x=None):
    """Mean cosine similarity of amplitudes and of raw inputs over pairs.

    Parameters
    ----------
    encode : callable
        See :func:`make_encoder`.
    x, y : np.ndarray, shape (n, n_in)
        Items and their partners.
    amp_x : np.ndarray, shape (n, n_bases), optional
        Amplitudes of ``x`` when already known.

    Returns
    -------
    model, raw : float
        Mean similarity of the amplitude vectors and of the input vectors (items with a zero
        vector are left out).
    """
    if amp_x is None:
        amp_x = encode(x)[0]
    amp_y = encode(y)[0]
    return _nanmean(row_cosine(amp_x, amp_y)), _nanmean(row_cosine(x, y))


def similarity_curves(encode, x, shifted, unrelated=None, units=None):
    """Rows of ``invariance.csv``: amplitude and raw similarity of items and shifted items.

    Parameters
    ----------
    encode : callable
        See :func:`make_encoder`.
    x : np.ndarray, shape (n, n_in)
        The items.
    shifted : iterable of (str, int, np.ndarray)
        ``(transform, shift, y)``: ``y`` of shape ``(n, n_in)`` holds the items of ``x`` under
        that shift, row for row.
    unrelated : np.ndarray, shape (n, n_in), optional
        Items unrelated to ``x`` (row for row); the reference columns are NaN without it.
    units : dict, optional
        ``transform -> unit`` for the ``unit`` column.

    Returns
    -------
    list of dict
        Keys :data:`INVARIANCE_COLUMNS`. Besides the mean similarities, the match rates: the
        fraction of shifted items whose most similar unshifted item among the ``n`` is their
        own original (:func:`match_rate`; chance ``1/n``), which does not depend on how
        similar unrelated items are.
    """
    amp_x = encode(x)[0]
    ref_model = ref_raw = float("nan")
    if unrelated is not None:
        ref_model, ref_raw = pair_similarity(encode, x, unrelated, amp_x)
    rows = []
    for key, shift, y in shifted:
        amp_y = encode(y)[0]
        rows.append(dict(transform=key, shift=int(shift), unit=(units or {}).get(key, ""),
                         model_similarity=_nanmean(row_cosine(amp_x, amp_y)),
                         raw_similarity=_nanmean(row_cosine(x, y)),
                         unrelated_model_similarity=ref_model, unrelated_raw_similarity=ref_raw,
                         model_match_rate=match_rate(amp_y, amp_x), raw_match_rate=match_rate(y, x),
                         n_items=len(x)))
    return rows


def summarise_similarity(rows):
    """Mean similarities over the non-zero shifts of every transformation.

    Returns
    -------
    dict
        ``transform -> {"model", "raw", "model_match", "raw_match", "n_items",
        "unrelated_model", "unrelated_raw", "max_shift", "unit"}``.
    """
    out = {}
    for key in dict.fromkeys(r["transform"] for r in rows):
        sel = [r for r in rows if r["transform"] == key and r["shift"] != 0]
        if not sel:
            continue
        out[key] = dict(model=_nanmean([r["model_similarity"] for r in sel]),
                        raw=_nanmean([r["raw_similarity"] for r in sel]),
                        model_match=_nanmean([r["model_match_rate"] for r in sel]),
                        raw_match=_nanmean([r["raw_match_rate"] for r in sel]),
                        n_items=sel[0]["n_items"],
                        unrelated_model=sel[0]["unrelated_model_similarity"],
                        unrelated_raw=sel[0]["unrelated_raw_similarity"],
                        max_shift=max(abs(r["shift"]) for r in sel), unit=sel[0]["unit"])
    return out


# -- pairs and classifiers ----------------------------------------------------------------
@dataclass
class PairSet:
    """Features of pairs ``(x, y)`` for the transformation classifiers.

    All fields have ``n`` rows.
    """

    phase: np.ndarray       #: (n, 2 * n_bases): [cos Δφ, sin Δφ], Δφ = φ_y − φ_x
    amplitude: np.ndarray   #: (n, n_bases): a_y − a_x
    transform: np.ndarray   #: (n,) transformation key of every pair (str)
    shift: np.ndarray       #: (n,) its shift

    def __len__(self):
        return len(self.shift)

    def features(self, name):
        return getattr(self, name)

    def subset(self, sel):
        return PairSet(self.phase[sel], self.amplitude[sel], self.transform[sel], self.shift[sel])

    @staticmethod
    def concat(sets):
        sets = [s for s in sets if len(s)]
        return PairSet(*(np.concatenate([getattr(s, f) for s in sets])
                         for f in ("phase", "amplitude", "transform", "shift")))


def encode_pairs(encode, x, y, transform, shift):
    """The :class:`PairSet` of pairs ``(x, y)``.

    Parameters
    ----------
    encode : callable
        See :func:`make_encoder`.
    x, y : np.ndarray, shape (n, n_in)
    transform : str or array of str, shape (n,)
    shift : int or array, shape (n,)
    """
    from .plots import phase_difference_features

    amp_x, ph_x = encode(x)
    amp_y, ph_y = encode(y)
    n = len(x)
    return PairSet(phase_difference_features(ph_x, ph_y), amp_y - amp_x,
                   np.broadcast_to(np.asarray(transform, dtype=object), (n,)).copy(),
                   np.broadcast_to(np.asarray(shift), (n,)).copy())


def make_classifier(name):
    """A scikit-learn classifier: ``knn`` or ``logistic``, after per-feature standardisation."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if name == "knn":
        # Distance weights: an exact match decides alone, whatever the other neighbours are.
        clf = KNeighborsClassifier(n_neighbors=KNN_K, weights="distance")
    elif name == "logistic":
        # Mild regularisation: a few hundred pairs per target against 2 * n_bases features.
        # A loose tolerance keeps the fit to seconds; accuracy changes in the third digit.
        clf = LogisticRegression(C=0.1, tol=1e-3, max_iter=300)
    else:
        raise ValueError(f"unknown classifier {name!r}")
    return make_pipeline(StandardScaler(), clf)


def _distance(a, b, period):
    d = np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))
    return np.minimum(d, period - d) if period else d


def classify(train_x, train_y, test_x, test_y, classifier="knn", step=None, period=None):
    """Fit a classifier and score it on held-out items.

    Parameters
    ----------
    train_x, test_x : np.ndarray, shape (n, d)
    train_y, test_y : np.ndarray, shape (n,)
        Class labels (numbers when ``step`` is given).
    classifier : str
        ``knn`` or ``logistic`` (:func:`make_classifier`).
    step : float, optional
        Distance between neighbouring classes; with it, ``accuracy_within_1`` counts
        predictions within one step of the truth.
    period : float, optional
        Labels are compared modulo ``period`` (360 for rotations).

    Returns
    -------
    dict
        ``accuracy``, ``accuracy_within_1`` (None without ``step``), ``chance`` (frequency of
        the most common class in ``test_y``), ``n_classes``, ``n_train``, ``n_test``.
    """
    train_y, test_y = np.asarray(train_y), np.asarray(test_y)
    _, counts = np.unique(test_y, return_counts=True)
    classes = np.unique(np.concatenate([train_y, test_y]))
    out = dict(n_classes=len(classes), n_train=len(train_y), n_test=len(test_y),
               chance=float(counts.max() / len(test_y)) if len(test_y) else float("nan"))
    if len(np.unique(train_y)) < 2 or not len(test_y):
        # Nothing to learn: predicting the one class seen is all a classifier could do.
        pred = np.full(len(test_y), train_y[0] if len(train_y) else None, dtype=test_y.dtype)
    else:
        pred = make_classifier(classifier).fit(train_x, train_y).predict(test_x)
    out["accuracy"] = float(np.mean(pred == test_y)) if len(test_y) else float("nan")
    out["accuracy_within_1"] = None
    if step is not None and len(test_y):
        out["accuracy_within_1"] = float(np.mean(_distance(pred, test_y, period) <= step + 1e-9))
    return out


def classification_rows(fit, test, transformations, classifiers=CLASSIFIERS, features=FEATURES):
    """Rows of ``transformations.csv``.

    Parameters
    ----------
    fit, test : PairSet
        Pairs for fitting and held-out pairs for testing.
    transformations : list of Transformation
        The transformations the pairs use (their ``key`` matches ``PairSet.transform``).

    Returns
    -------
    list of dict
        Keys :data:`TRANSFORMATION_COLUMNS`; target ``type`` first when there are several
        transformations, then ``KEY_shift`` for each.
    """
    targets = []
    if len(transformations) > 1:
        targets.append(("type", slice(None), slice(None), "transform", None))
    for t in transformations:
        targets.append((f"{t.key}_shift", fit.transform == t.key, test.transform == t.key,
                        "shift", t))
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits

    rows = []
    # One BLAS thread: these fits are small, and extra threads only contend with the
    # model's own (they made logistic regression 20 times slower on a busy 2-core machine).
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for target, sel_fit, sel_test, label, t in targets:
            f, s = fit.subset(sel_fit), test.subset(sel_test)
            for feat in features:
                for name in classifiers:
                    res = classify(f.features(feat), getattr(f, label), s.features(feat),
                                   getattr(s, label), name, step=t.step if t else None,
                                   period=t.period if t else None)
                    rows.append(dict(target=target, features=feat, classifier=name, **res))
    return rows


# -- item sources ---------------------------------------------------------------------------
@dataclass
class Positions:
    """Where items come from: ``file`` and ``start`` (recordings) or ``index`` (digits)."""

    file: np.ndarray = None
    start: np.ndarray = None
    index: np.ndarray = None

    def __len__(self):
        return len(self.index if self.index is not None else self.file)


class _RecordingItems:
    """Items cut from recordings at ``(file, start)``, with a margin for time shifts."""

    margin = 0
    length = 0

    def _valid_starts(self):
        lo = self.margin
        hi = self.pairs.lengths - self.length - self.margin  # last valid start, inclusive
        return lo, hi

    def draw(self, rng, n):
        """``n`` positions, uniform over every valid start of every recording.

        Without replacement while there are enough positions, so that no item is counted
        twice.
        """
        lo, hi = self._valid_starts()
        counts = np.maximum(hi - lo + 1, 0)
        flat = rng.choice(counts.sum(), size=n, replace=n > counts.sum())
        edges = np.cumsum(counts)
        file = np.searchsorted(edges, flat, side="right")
        start = lo + flat - (edges[file] - counts[file])
        return Positions(file=file, start=start)

    def unrelated(self, rng, pos, tries=20):
        """Positions of other items: another recording, or not overlapping in the same one."""
        other = self.draw(rng, len(pos))
        for _ in range(tries):
            clash = (other.file == pos.file) & (np.abs(other.start - pos.start) < self.length)
            if not clash.any():
                break
            redo = self.draw(rng, int(clash.sum()))
            other.file[clash], other.start[clash] = redo.file, redo.start
        return other


class CQTItems(_RecordingItems):
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
        from .cqt_pairs import PITCH, TIME, CQTPairs

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
        from .cqt_pairs import emphasise_onsets, standardise_items

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
        from .cqt_pairs import PITCH, TIME, min_max, pitch_shift

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


class SignalItems(_RecordingItems):
    """Hann-windowed stretches of audio and their time-shifted versions.

    Parameters
    ----------
    signals : list of np.ndarray, each (samples,)
    cfg : dict
        Uses ``length_ngram``.
    max_time : int
        Largest time shift measured, in samples.
    """

    def __init__(self, signals, cfg, max_time):
        from .signal_pairs import TIME, SignalPairs

        self.pairs = SignalPairs(signals, dict(cfg, shifts=[int(max_time), -1]))
        self.length = int(cfg["length_ngram"])
        self.margin = int(max_time)
        self.transformations = [Transformation("time", TIME, "time shift", "samples",
                                               shift_range(max_time))]

    def shifted(self, pos, t, shift):
        from .signal_pairs import SignalDraws

        n = len(pos)
        draws = SignalDraws(pos.file, pos.start, np.full(n, t.tid),
                            np.broadcast_to(np.asarray(shift, dtype=np.int64), (n,)).copy())
        return self.pairs.build(draws)


class DigitItems:
    """Digits, standardised as for training, and their rotated versions.

    Parameters
    ----------
    source : complex_auto.mnist_pairs.DigitSource
        A prepared file's fixed pairs are not used: every rotation is made here.
    step : int
        Degrees between measured rotations.
    """

    def __init__(self, source, step=ROTATION_STEP):
        from .mnist_pairs import ROTATION, DigitPairs

        self.source = replace(source, rotated=None, angle=None)
        self.pairs = DigitPairs(self.source)
        self.transformations = [Transformation("rotation", ROTATION, "rotation", "degrees",
                                               tuple(range(0, 360, int(step))), period=360.0)]

    def __len__(self):
        return len(self.source)

    def draw(self, rng, n):
        """``n`` digits drawn without replacement while there are enough."""
        m = len(self.source)
        index = rng.permutation(m)[:n] if n <= m else rng.integers(0, m, n)
        return Positions(index=index)

    def unrelated(self, rng, pos):
        """Other digits (never the digit itself)."""
        m = len(self.source)
        return Positions(index=(pos.index + rng.integers(1, max(m, 2), len(pos))) % max(m, 1))

    def shifted(self, pos, t, shift):
        from .mnist_pairs import DigitDraws

        n = len(pos)
        draws = DigitDraws(pos.index, np.full(n, t.tid),
                           np.broadcast_to(np.asarray(shift, np.float64), (n,)).copy(),
                           self.source.labels[pos.index])
        return self.pairs.build(draws)

    def labels(self, pos):
        return self.source.labels[pos.index]


def items_similarity(encode, items, rng, n):
    """:func:`similarity_curves` for ``n`` items of a source and all its shifts.

    Parameters
    ----------
    items : CQTItems, SignalItems or DigitItems
    rng : np.random.Generator
    n : int
        Items averaged per shift.

    Returns
    -------
    list of dict
        Rows of ``invariance.csv``.
    """
    from tqdm import tqdm

    pos = items.draw(rng, n)
    first = items.transformations[0]
    x = items.shifted(pos, first, 0)[0]
    z = items.shifted(items.unrelated(rng, pos), first, 0)[0]
    jobs = [(t, s) for t in items.transformations for s in t.shifts]

    def shifted():
        for t, s in tqdm(jobs, desc="similarity", unit="shift"):
            yield t.key, s, items.shifted(pos, t, s)[1]

    units = {t.key: t.unit for t in items.transformations}
    return similarity_curves(encode, x, shifted(), unrelated=z, units=units)


def items_pairs(encode, items, rng, n):
    """A :class:`PairSet` of ``n`` pairs: each a random transformation and non-zero shift."""
    pos = items.draw(rng, n)
    which = rng.integers(0, len(items.transformations), n)
    sets = []
    for i, t in enumerate(items.transformations):
        sel = np.flatnonzero(which == i)
        if not len(sel):
            continue
        shift = rng.choice(np.asarray(t.classes), len(sel))
        sub = Positions(*(None if v is None else v[sel] for v in (pos.file, pos.start, pos.index)))
        x, y = items.shifted(sub, t, shift)
        sets.append(encode_pairs(encode, x, y, t.key, shift))
    return PairSet.concat(sets)


# -- digits ---------------------------------------------------------------------------------
def digit_rows(encode, fit_items, test_items, rng, n, fit_angles=DIGIT_FIT_ANGLES,
               test_angles=DIGIT_TEST_ANGLES, k=KNN_K):
    """Rows of ``digits.csv``: k-NN digit error on amplitudes and on pixels.

    Parameters
    ----------
    fit_items, test_items : DigitItems
        Fitting digits and held-out digits.
    n : int
        At most this many digits of each part (every one at every angle).
    fit_angles, test_angles : tuple of float
        Rotations of the fitting digits and of the test digits, in degrees.
    k : int
        Neighbours (cosine distance).

    Returns
    -------
    list of dict
        Keys :data:`DIGIT_COLUMNS`.
    """
    from sklearn.neighbors import KNeighborsClassifier

    rot = fit_items.transformations[0]

    def encoded(items, angles):
        pos = items.draw(rng, min(n, len(items)))
        amp, pix, lab, ang = [], [], [], []
        for a in angles:
            y = items.shifted(pos, rot, a)[1]
            amp.append(encode(y)[0])
            pix.append(y)
            lab.append(items.labels(pos))
            ang.append(np.full(len(pos), a, np.float64))
        return dict(amplitude=np.concatenate(amp), pixels=np.concatenate(pix),
                    labels=np.concatenate(lab), angle=np.concatenate(ang))

    fit = encoded(fit_items, fit_angles)
    test = encoded(test_items, tuple(test_angles) + tuple(fit_angles))
    groups = [(str(int(a)) if float(a).is_integer() else str(a), test["angle"] == a)
              for a in test_angles]
    groups.append(("unseen", np.isin(test["angle"], test_angles)))
    groups.append(("seen", np.isin(test["angle"], fit_angles)))
    rows = []
    for feat in ("amplitude", "pixels"):
        knn = KNeighborsClassifier(n_neighbors=min(k, len(fit["labels"])), metric="cosine",
                                   algorithm="brute").fit(fit[feat], fit["labels"])
        pred = knn.predict(test[feat])
        for name, sel in groups:
            _, counts = np.unique(test["labels"][sel], return_counts=True)
            rows.append(dict(features=feat, test_rotation=name,
                             error=float(np.mean(pred[sel] != test["labels"][sel])),
                             chance_error=float(1 - counts.max() / sel.sum()),
                             n_train=len(fit["labels"]), n_test=int(sel.sum())))
    return rows


# -- data loading ---------------------------------------------------------------------------
def split_recordings(names, arrays):
    """Fitting and held-out recordings: the last fifth of the list (at least one).

    With a single recording, its first half (along the last axis, time) is the fitting part
    and its second half the held-out part.

    Parameters
    ----------
    names : list of str
    arrays : list of np.ndarray
        Time along the last axis: ``(n_bins, frames)`` or ``(samples,)``.

    Returns
    -------
    fit, test : list of (str, np.ndarray)
    how : str
        One sentence saying which split was made.
    """
    names = [str(n) for n in names]
    if len(arrays) >= 2:
        n_test = max(1, len(arrays) // 5)
        fit = list(zip(names[:-n_test], arrays[:-n_test]))
        test = list(zip(names[-n_test:], arrays[-n_test:]))
        how = (f"fitting on {len(fit)} recordings, testing on the held-out "
               f"{', '.join(Path(n).name for n, _ in test)}")
        return fit, test, how
    (name, a), = zip(names, arrays)
    half = a.shape[-1] // 2
    how = (f"one recording only: fitting on the first half of {Path(name).name}, "
           "testing on its second half")
    fit = [(f"{name} [first half]", a[..., :half])]
    return fit, [(f"{name} [second half]", a[..., half:])], how


def _usable(named, need, what):
    kept = []
    for name, a in named:
        if a.shape[-1] < need:
            log.warning("skipping %s: %d %s, fewer than the %d needed", name, a.shape[-1], what,
                        need)
        else:
            kept.append(a)
    return kept


def recording_cqts(files, cfg, list_name, refresh=False, jobs=1):
    """Whole-file conversion CQTs (factor 1) of recordings, cached in ``cfg['cache_dir']``.

    Returns
    -------
    list of np.ndarray, each (n_bins, frames), float32
    """
    import functools

    from .cache import cache_key, cache_path, cached
    from .features import conversion_cqt
    from .utils import progress_map

    keys = ("sr", "n_bins", "bins_per_oct", "fmin", "hop_length")
    params = {k: cfg[k] for k in keys}
    path = cache_path(cfg["cache_dir"], list_name, "conversion_cqt",
                      cache_key(files, dict(params, factor=1.0, block_size=0)))
    build = lambda: progress_map(functools.partial(conversion_cqt, cfg=params), files,  # noqa: E731
                                 jobs=jobs, desc="CQT")
    return cached(path, build, refresh=refresh)


def _recording_sources(make, named, need, what, list_name):
    arrays = [a for _, a in named]
    fit, test, how = split_recordings([n for n, _ in named], arrays)
    everything = _usable(named, need, what)
    fit_arr, test_arr = _usable(fit, need, what), _usable(test, need, what)
    if not everything or not fit_arr or not test_arr:
        raise DataError(f"{list_name}: too few recordings with at least {need} {what} (an item "
                        "plus the largest time shift both ways) for fitting and testing")
    return make(everything), make(fit_arr), make(test_arr), how


def load_items(cfg, filelist, max_pitch=None, max_time=None, refresh=False, jobs=1,
               data_dir="data"):
    """The item sources of a config: all items, fitting items and held-out items.

    Parameters
    ----------
    cfg : dict
    filelist : str or Path
        Recordings (``cqt``, ``signal``); not read for ``mnist``.
    max_pitch, max_time : int, optional
        Largest shifts measured. Defaults: 24 bins and 12 frames (``cqt``); ``shifts[0]``
        samples (``signal``).

    Returns
    -------
    items, fit_items, test_items
        :class:`CQTItems`, :class:`SignalItems` or :class:`DigitItems`.
    how : str
        Which items are held out.
    """
    from .filelist import read_filelist

    kind = cfg["data_type"]
    if kind == "cqt":
        max_pitch = PITCH_RANGE if max_pitch is None else max_pitch
        max_time = TIME_RANGE if max_time is None else max_time
        files = read_filelist(filelist)
        cqts = recording_cqts(files, cfg, filelist, refresh, jobs)
        need = cfg["length_ngram"] + 2 * max_time + 1
        return _recording_sources(lambda a: CQTItems(a, cfg, max_pitch, max_time),
                                  list(zip(map(str, files), cqts)), need, "frames", filelist)
    if kind == "signal":
        from .signal_pairs import load_signals

        max_time = int(cfg["shifts"][0]) if max_time is None else max_time
        files = read_filelist(filelist)
        signals = load_signals(files, cfg, filelist, refresh, jobs)
        need = cfg["length_ngram"] + 2 * max_time + 1
        return _recording_sources(lambda a: SignalItems(a, cfg, max_time),
                                  list(zip(map(str, files), signals)), need, "samples", filelist)
    if kind == "mnist":
        from .mnist_pairs import SOURCE_NAMES, load_digit_source

        source = load_digit_source(data_dir)
        n = len(source)
        n_test = n // 5
        if n_test < 1 or n - n_test < 1:
            raise DataError(f"{source.path}: {n} digits are too few to fit and test on")
        how = (f"{SOURCE_NAMES[source.name]}: fitting on the first {n - n_test} digits, "
               f"testing on the held-out last {n_test}")
        return (DigitItems(source), DigitItems(source.subset(slice(0, n - n_test))),
                DigitItems(source.subset(slice(n - n_test, n))), how)
    raise ComplexAutoError(f"{cfg.get('config_path', 'config')}: unknown data_type '{kind}'")


# -- writing --------------------------------------------------------------------------------
def _fmt(v):
    if v is None:
        return ""
    if isinstance(v, (float, np.floating)):
        return "nan" if not math.isfinite(v) else f"{v:.6g}"
    return str(v)


def write_csv(path, rows, columns):
    """Write ``rows`` (dicts) with ``columns`` to ``path`` atomically; floats to 6 digits."""
    from .utils import atomic_write_text

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([_fmt(r[c]) for c in columns])
    atomic_write_text(path, buf.getvalue())


def plot_invariance(rows, transformations, path, title=""):
    """Similarity against shift, one panel per transformation; match rates below.

    Top row: mean cosine similarity of the model's amplitudes and of the raw inputs to those
    of the unshifted items (one curve each), with the unrelated-item references as dashed
    horizontal lines. Bottom row: the match rates, with chance (``1 / n_items``) dashed.
    """
    from .plots import plt
    from .utils import save_figure

    k = len(transformations)
    fig, axes = plt.subplots(2, k, figsize=(6 * k, 7.6), squeeze=False,
                             gridspec_kw=dict(height_ratios=[3, 2]))
    for j, t in enumerate(transformations):
        sel = [r for r in rows if r["transform"] == t.key]
        s = [r["shift"] for r in sel]
        ax = axes[0, j]
        ax.plot(s, [r["model_similarity"] for r in sel], "o-", ms=3, color="C0",
                label="model amplitudes")
        ax.plot(s, [r["raw_similarity"] for r in sel], "s-", ms=3, color="C1", label="raw input")
        if sel:
            ax.axhline(sel[0]["unrelated_model_similarity"], color="C0", ls="--", lw=1,
                       label="amplitudes, unrelated items")
            ax.axhline(sel[0]["unrelated_raw_similarity"], color="C1", ls="--", lw=1,
                       label="raw input, unrelated items")
        ax.set_ylabel("mean cosine similarity\nto the unshifted item")
        ax.set_title(t.name)
        ax.set_ylim(min(-0.05, ax.get_ylim()[0]), 1.03)
        ax.legend(fontsize=8, loc="lower left")
        ax = axes[1, j]
        ax.plot(s, [r["model_match_rate"] for r in sel], "o-", ms=3, color="C0",
                label="model amplitudes")
        ax.plot(s, [r["raw_match_rate"] for r in sel], "s-", ms=3, color="C1", label="raw input")
        if sel:
            ax.axhline(1.0 / sel[0]["n_items"], color="0.4", ls="--", lw=1,
                       label=f"chance (1/{sel[0]['n_items']})")
        ax.set_ylabel("fraction whose nearest\nunshifted item is its own")
        ax.set_xlabel(f"{t.name} ({t.unit})")
        ax.set_ylim(-0.03, 1.03)
        ax.legend(fontsize=8, loc="upper right")
        for ax in axes[:, j]:
            ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    save_figure(fig, path, dpi=100)


# -- the whole analysis ---------------------------------------------------------------------
def analyse(encode, items, fit_items, test_items, layout, n_items=1000, n_pairs=2000, seed=0,
            title=""):
    """Write ``invariance.csv/png``, ``transformations.csv``, ``phase_pca.png`` (and
    ``digits.csv`` for digits) into the run folder.

    Parameters
    ----------
    encode : callable
        See :func:`make_encoder`.
    items, fit_items, test_items
        Item sources (:func:`load_items`).
    layout : RunLayout
    n_items : int
        Items per shift in the similarity curves (and digits per part for ``digits.csv``).
    n_pairs : int
        Pairs for fitting the classifiers, and as many held-out pairs for testing them.
    seed : int

    Returns
    -------
    dict
        ``similarity`` (:func:`summarise_similarity`), ``invariance`` and ``transformations``
        (the csv rows), ``digits`` (rows or None).
    """
    from .plots import plot_phase_pca

    rng_sim, rng_fit, rng_test, rng_dig = (np.random.default_rng([seed, i]) for i in range(4))
    layout.make()
    ts = items.transformations

    rows = items_similarity(encode, items, rng_sim, n_items)
    write_csv(layout.invariance_csv, rows, INVARIANCE_COLUMNS)
    plot_invariance(rows, ts, layout.invariance_png,
                    f"{title}: amplitude similarity under shifts ({n_items} items)")

    log.info("encoding %d fitting and %d held-out pairs", n_pairs, n_pairs)
    fit = items_pairs(encode, fit_items, rng_fit, n_pairs)
    test = items_pairs(encode, test_items, rng_test, n_pairs)
    log.info("fitting the classifiers")
    trows = classification_rows(fit, test, ts)
    write_csv(layout.transformations_csv, trows, TRANSFORMATION_COLUMNS)

    both = PairSet.concat([fit, test])
    ids = {t.key: i for i, t in enumerate(ts)}
    plot_phase_pca(both.phase, np.array([ids[k] for k in both.transform]),
                   both.shift.astype(float), {i: t.name for i, t in enumerate(ts)},
                   layout.phase_pca_png, f"{title}: PCA of phase differences "
                   f"({len(both)} pairs)")

    drows = None
    if isinstance(items, DigitItems):
        drows = digit_rows(encode, fit_items, test_items, rng_dig, n_items)
        write_csv(layout.digits_csv, drows, DIGIT_COLUMNS)
    return dict(similarity=summarise_similarity(rows), invariance=rows,
                transformations=trows, digits=drows)


def headline(result, transformations):
    """The numbers worth reading first, as lines of text."""
    lines = []
    for t in transformations:
        s = result["similarity"].get(t.key)
        if s is None:
            continue
        span = (f"{min(t.shifts)}..{max(t.shifts)}" if t.period else f"±{s['max_shift']}")
        lines.append(f"{t.name} ({span} {s['unit']}, mean over non-zero shifts): "
                     f"amplitude similarity {s['model']:.3f}, raw input {s['raw']:.3f}; "
                     f"unrelated items {s['unrelated_model']:.3f} (amplitudes), "
                     f"{s['unrelated_raw']:.3f} (raw); nearest-item match rate "
                     f"{s['model_match']:.3f} (amplitudes), {s['raw_match']:.3f} (raw), "
                     f"chance {1 / s['n_items']:.3f}")
    by = {(r["target"], r["features"], r["classifier"]): r for r in result["transformations"]}
    for target in dict.fromkeys(r["target"] for r in result["transformations"]):
        for feat in FEATURES:
            parts = []
            for c in CLASSIFIERS:
                r = by[(target, feat, c)]
                w = (f" ({r['accuracy_within_1']:.3f} within ±1 step)"
                     if r["accuracy_within_1"] is not None else "")
                parts.append(f"{c} {r['accuracy']:.3f}{w}")
            chance = by[(target, feat, CLASSIFIERS[0])]["chance"]
            lines.append(f"{target} from {feat} differences: {', '.join(parts)}; "
                         f"chance {chance:.3f}")
    for r in result["digits"] or []:
        lines.append(f"digit error from {r['features']} at test rotation {r['test_rotation']}: "
                     f"{r['error']:.3f} (chance {r['chance_error']:.3f})")
    return lines


# -- command line ---------------------------------------------------------------------------
def parser():
    p = argparse.ArgumentParser(
        prog="python -m complex_auto.invariance",
        description="""\
Measure what a trained Complex Autoencoder learned, so that you can judge a model before you
use it. (1) Are its amplitudes invariant to the transformations of training? For N items and
every shift: mean cosine similarity of the item's amplitudes to those of its shifted version,
against the same for the raw inputs, the similarity of unrelated items, and a match rate.
(2) Do its phase differences encode the transformations? Classifiers (k-NN and logistic
regression) fitted on pairs of some recordings predict, on pairs of held-out recordings, the
transformation type and the shift, from phase differences against amplitude differences and
chance. Writes output/RUN/invariance.csv, invariance.png, transformations.csv,
phase_pca.png, and for digit models digits.csv (digit error of k-NN on amplitudes against
pixels, at rotations unseen in fitting). The headline numbers are printed at the end.""",
        epilog=f"""\
Items are prepared as in training. CQT: n-grams of every recording's whole-file CQT, min-maxed,
pitch-shifted with zero fill (-24..+24 bins) or taken s frames later (-12..+12 frames),
standardised to std 0.1, flattened bin-major. Signal: Hann-windowed stretches shifted by
-shifts[0]..+shifts[0] samples. Digits: rotations 0..345 degrees in steps of 15.
Held out for testing the classifiers: the last fifth of the file list (at least one file);
with one file, its second half. Digits: the last fifth of the digits.

{COLUMN_HELP}
examples:
  python -m complex_auto.invariance cqt_jku filelist_audio.txt config_cqt.ini
  python -m complex_auto.invariance mine filelist_audio.txt models/cqt_jku/config_cqt.ini \\
      --model models/cqt_jku/model_complex_auto_cqt.save
  python -m complex_auto.invariance mnist no_filelist config_mnist.ini
""",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", metavar="RUN", help="run keyword: results go to output/RUN/")
    p.add_argument("filelist", metavar="FILELIST",
                   help="text file listing recordings, one a line (not read for digit models: "
                        "write no_filelist)")
    p.add_argument("config", metavar="CONFIG", help="the config the model was trained with")
    p.add_argument("--model", type=Path, metavar="PATH",
                   help="model file (default output/RUN/model_complex_auto_{data_type}.save)")
    p.add_argument("--n-ngrams", type=int, default=1000, metavar="N",
                   help="items (n-grams, windows, digits) per shift in the similarity curves, "
                        "and digits per part for digits.csv (default 1000)")
    p.add_argument("--n-pairs", type=int, default=2000, metavar="M",
                   help="pairs for fitting the classifiers, and as many held-out pairs for "
                        "testing them (default 2000)")
    p.add_argument("--max-pitch-shift", type=int, metavar="BINS",
                   help="largest pitch shift measured, in bins (cqt; default 24)")
    p.add_argument("--max-time-shift", type=int, metavar="STEPS",
                   help="largest time shift measured: frames for cqt (default 12), samples for "
                        "signal (default: the config's shifts[0])")
    p.add_argument("--seed", type=int, default=0, help="seed of every random draw (default 0)")
    p.add_argument("--refresh-cache", action="store_true",
                   help="recompute the recordings' CQTs (or audio) instead of reading the cache "
                        "in the config's cache_dir")
    cli.add_jobs(p)
    cli.add_device(p)
    cli.add_verbose(p)
    return p


def main(args):
    from .config import load_config
    from .data import input_shape
    from .layout import RunLayout
    from .training import load_model

    for name in ("n_ngrams", "n_pairs"):
        v = getattr(args, name)
        if v < 2:
            raise ComplexAutoError(f"--{name.replace('_', '-')} {v}: must be >= 2")
    for name in ("max_pitch_shift", "max_time_shift"):
        v = getattr(args, name)
        if v is not None and v < 1:
            raise ComplexAutoError(f"--{name.replace('_', '-')} {v}: must be >= 1")
    cfg = load_config(args.config)
    kind = cfg["data_type"]
    layout = RunLayout(args.run)
    model_path = args.model or layout.model(kind)
    if not Path(model_path).is_file():
        raise ComplexAutoError(f"{model_path}: no model there; train one with 'python train.py "
                               f"{args.run} FILELIST {args.config}' or pass --model PATH")
    device = cli.resolve_device(args.device, args.threads)
    model = load_model(cfg, int(np.prod(input_shape(cfg))), model_path, device)
    items, fit_items, test_items, how = load_items(
        cfg, args.filelist, args.max_pitch_shift, args.max_time_shift,
        refresh=args.refresh_cache, jobs=args.jobs)
    log.info("model %s; %s", model_path, how)
    result = analyse(make_encoder(model, device), items, fit_items, test_items, layout,
                     n_items=args.n_ngrams, n_pairs=args.n_pairs, seed=args.seed,
                     title=f"{args.run} ({Path(model_path).name})")
    for line in headline(result, items.transformations):
        log.info("%s", line)
    written = [layout.invariance_csv, layout.invariance_png, layout.transformations_csv,
               layout.phase_pca_png] + ([layout.digits_csv] if result["digits"] else [])
    log.info("wrote %s", ", ".join(str(p) for p in written))


if __name__ == "__main__":
    cli.run(main, parser())
