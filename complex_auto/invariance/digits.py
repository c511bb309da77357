"""Digit models: digits rotated in steps, and the digit error of k-NN on amplitudes."""
from dataclasses import replace

import numpy as np

from .measures import (DIGIT_FIT_ANGLES, DIGIT_TEST_ANGLES, KNN_K, ROTATION_STEP, Positions,
                       Transformation)


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
        from ..mnist_pairs import ROTATION, DigitPairs

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
        from ..mnist_pairs import DigitDraws

        n = len(pos)
        draws = DigitDraws(pos.index, np.full(n, t.tid),
                           np.broadcast_to(np.asarray(shift, np.float64), (n,)).copy(),
                           self.source.labels[pos.index])
        return self.pairs.build(draws)

    def labels(self, pos):
        return self.source.labels[pos.index]


# -- digits ---------------------------------------------------------------------------------
def digit_rows(encode, fit_items, test_items, rng, n, fit_angles=DIGIT_FIT_ANGLES,
               test_angles=DIGIT_TEST_ANGLES, k=KNN_K):
    """Rows of ``digits.csv``: k-NN digit error on amplitudes and on pixels.

    Parameters
    ----------
    encode : callable
        ``encode(x)`` → ``(amplitude, phase)``
        (:func:`~complex_auto.invariance.measures.make_encoder`).
    fit_items, test_items : DigitItems
        Fitting digits and held-out digits.
    rng : np.random.Generator
        Draws the digits.
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
