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

Modules, by data type: :mod:`.measures` (what every data type shares: transformations,
similarities, match rates, pairs, classifiers), :mod:`.recordings` (items cut from recordings,
fitting and held-out parts), :mod:`.cqt_items`, :mod:`.signal_items`, :mod:`.digits`,
:mod:`.report` (csv files, figure, the whole analysis) and :mod:`.command` (the command line,
``python -m complex_auto.invariance``). Their public names are all importable from here.
"""
from .command import COLUMN_HELP, load_items, main, parser
from .cqt_items import CQTItems, recording_cqts
from .digits import DigitItems, digit_rows
from .measures import (CLASSIFIERS, DIGIT_COLUMNS, DIGIT_FIT_ANGLES, DIGIT_TEST_ANGLES,
                       FEATURES, INVARIANCE_COLUMNS, KNN_K, PITCH_RANGE, ROTATION_STEP,
                       TIME_RANGE, TRANSFORMATION_COLUMNS, PairSet, Positions, Transformation,
                       classification_rows, classify, encode_pairs, items_pairs,
                       items_similarity, make_classifier, make_encoder, match_rate,
                       pair_similarity, row_cosine, shift_range, similarity_curves,
                       summarise_similarity)
from .recordings import split_recordings
from .report import analyse, headline, plot_invariance, write_csv
from .signal_items import SignalItems

# `import *` and linters take the re-exports above for the package's API
__all__ = ["analyse", "classification_rows", "CLASSIFIERS", "classify", "COLUMN_HELP",
           "CQTItems", "DIGIT_COLUMNS", "DIGIT_FIT_ANGLES", "digit_rows", "DIGIT_TEST_ANGLES",
           "DigitItems", "encode_pairs", "FEATURES", "headline", "INVARIANCE_COLUMNS",
           "items_pairs", "items_similarity", "KNN_K", "load_items", "main", "make_classifier",
           "make_encoder", "match_rate", "pair_similarity", "PairSet", "parser", "PITCH_RANGE",
           "plot_invariance", "Positions", "recording_cqts", "ROTATION_STEP", "row_cosine",
           "shift_range", "SignalItems", "similarity_curves", "split_recordings",
           "summarise_similarity", "TIME_RANGE", "Transformation", "TRANSFORMATION_COLUMNS",
           "write_csv"]
