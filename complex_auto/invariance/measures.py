"""Invariance and phase measures of the Complex Autoencoder, for any data type.

Shared by every item source (:mod:`.cqt_items`, :mod:`.signal_items`, :mod:`.digits`): the
transformations measured, an ``encode`` function for a model, cosine similarities and match
rates of amplitudes against raw inputs, pairs of items and the classifiers that read shifts
from phase differences.
"""
import logging
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)

PITCH_RANGE = 24            #: largest pitch shift measured for CQT, in bins
TIME_RANGE = 12             #: largest time shift measured for CQT, in frames
ROTATION_STEP = 15          #: degrees between measured rotations of digits
DIGIT_FIT_ANGLES = (0, 30, 60, 90, 120, 150, 180)   #: rotations of the k-NN's fitting digits
DIGIT_TEST_ANGLES = (195, 255, 315)                  #: rotations never used in fitting
KNN_K = 5

INVARIANCE_COLUMNS = ("transform", "shift", "unit", "model_similarity", "raw_similarity",
                      "unrelated_model_similarity", "unrelated_raw_similarity",
                      "model_match_rate", "raw_match_rate", "n_items", "ftm2d_similarity",
                      "unrelated_ftm2d_similarity", "ftm2d_match_rate")
TRANSFORMATION_COLUMNS = ("target", "features", "classifier", "accuracy", "accuracy_within_1",
                          "chance", "n_classes", "n_train", "n_test")
DIGIT_COLUMNS = ("features", "test_rotation", "error", "chance_error", "n_train", "n_test")
FEATURES = ("phase", "amplitude")
CLASSIFIERS = ("knn", "logistic")


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


def similarity_curves(encode, x, shifted, unrelated=None, units=None, reference=None):
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
    reference : callable, optional
        A closed-form representation of the inputs, ``reference(x) -> (n, d)``, measured as
        the amplitudes are (the ``ftm2d_*`` columns; for CQT the 2-D Fourier magnitude of the
        n-gram). Without it those columns are ``None``.

    Returns
    -------
    list of dict
        Keys :data:`INVARIANCE_COLUMNS`. Besides the mean similarities, the match rates: the
        fraction of shifted items whose most similar unshifted item among the ``n`` is their
        own original (:func:`match_rate`; chance ``1/n``), which does not depend on how
        similar unrelated items are.
    """
    amp_x = encode(x)[0]
    ref_x = reference(x) if reference else None
    ref_model = ref_raw = ref_ftm = float("nan")
    if unrelated is not None:
        ref_model, ref_raw = pair_similarity(encode, x, unrelated, amp_x)
        if reference:
            ref_ftm = _nanmean(row_cosine(ref_x, reference(unrelated)))
    rows = []
    for key, shift, y in shifted:
        amp_y = encode(y)[0]
        row = dict(transform=key, shift=int(shift), unit=(units or {}).get(key, ""),
                   model_similarity=_nanmean(row_cosine(amp_x, amp_y)),
                   raw_similarity=_nanmean(row_cosine(x, y)),
                   unrelated_model_similarity=ref_model, unrelated_raw_similarity=ref_raw,
                   model_match_rate=match_rate(amp_y, amp_x), raw_match_rate=match_rate(y, x),
                   n_items=len(x), ftm2d_similarity=None, unrelated_ftm2d_similarity=None,
                   ftm2d_match_rate=None)
        if reference:
            ref_y = reference(y)
            row.update(ftm2d_similarity=_nanmean(row_cosine(ref_x, ref_y)),
                       unrelated_ftm2d_similarity=ref_ftm,
                       ftm2d_match_rate=match_rate(ref_y, ref_x))
        rows.append(row)
    return rows


def summarise_similarity(rows):
    """Mean similarities over the non-zero shifts of every transformation.

    Returns
    -------
    dict
        ``transform -> {"model", "raw", "model_match", "raw_match", "n_items",
        "unrelated_model", "unrelated_raw", "max_shift", "unit"}``, and ``"ftm2d"``,
        ``"ftm2d_match"``, ``"unrelated_ftm2d"`` when the rows have them.
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
        if sel[0].get("ftm2d_similarity") is not None:
            out[key].update(ftm2d=_nanmean([r["ftm2d_similarity"] for r in sel]),
                            ftm2d_match=_nanmean([r["ftm2d_match_rate"] for r in sel]),
                            unrelated_ftm2d=sel[0]["unrelated_ftm2d_similarity"])
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

    Returns
    -------
    PairSet
        ``n`` pairs: ``phase``, shape ``(n, 2 * n_bases)``, the
        :func:`~complex_auto.plots.phase_difference_features` from ``x``'s phases to ``y``'s;
        ``amplitude``, shape ``(n, n_bases)``, ``y``'s amplitudes minus ``x``'s; ``transform``
        (an object array of str) and ``shift`` broadcast to shape ``(n,)``.
    """
    from ..plots import phase_difference_features

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
    train_x : np.ndarray, shape (n_train, d)
    train_y : np.ndarray, shape (n_train,)
        Class labels (numbers when ``step`` is given).
    test_x : np.ndarray, shape (n_test, d)
    test_y : np.ndarray, shape (n_test,)
        Class labels, as ``train_y``.
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
    classifiers : tuple of str
        ``'knn'`` and/or ``'logistic'``.
    features : tuple of str
        What the classifiers read (fields of :class:`PairSet`): ``'phase'`` (a pair's phase
        differences as cosine and sine) and/or ``'amplitude'`` (its amplitude differences).

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


def items_similarity(encode, items, rng, n):
    """:func:`similarity_curves` for ``n`` items of a source and all its shifts.

    Parameters
    ----------
    encode : callable
        ``encode(x)`` → ``(amplitude, phase)`` (:func:`make_encoder`).
    items : CQTItems, SignalItems or DigitItems
    rng : np.random.Generator
    n : int
        Items averaged per shift.

    Returns
    -------
    list of dict
        Rows of ``invariance.csv``.
    """
    from ..utils import progress

    pos = items.draw(rng, n)
    first = items.transformations[0]
    x = items.shifted(pos, first, 0)[0]
    z = items.shifted(items.unrelated(rng, pos), first, 0)[0]
    jobs = [(t, s) for t in items.transformations for s in t.shifts]

    def shifted():
        for t, s in progress(jobs, desc="similarity", unit="shift"):
            yield t.key, s, items.shifted(pos, t, s)[1]

    units = {t.key: t.unit for t in items.transformations}
    return similarity_curves(encode, x, shifted(), unrelated=z, units=units,
                             reference=getattr(items, "reference", None))


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
