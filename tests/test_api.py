"""The package called from Python, as a researcher does in a notebook: bad arguments raise
one ParameterError naming the argument (never a hang, a wrong result or a numpy traceback
three calls deep), and the documented guarantees hold beyond the command lines' inputs."""
import bz2
import math

import numpy as np
import pytest
import soundfile as sf

from complex_auto import (chance, cqt, display, evaluation, families, features, melody, nf14,
                          patterns, representations, selfsim)
from complex_auto.config import load_config
from complex_auto.convert import write_matrix
from complex_auto.errors import ComplexAutoError, ConfigError, DataError, ParameterError
from complex_auto.model import ComplexAutoEncoder, fourier_bases
from complex_auto.representations import chroma, window_features
from complex_auto.transposition import neighbour_hits
from complex_auto.utils import load_pyc_bz

from .conftest import ROOT

JKU = ROOT / "data" / "jku"


def smooth_features(n=120, dims=8, seed=0):
    return np.cumsum(np.random.default_rng(seed).standard_normal((n, dims)), axis=0)


def test_parameter_error_is_the_toolkits_error_and_a_value_error():
    # the command lines print a ComplexAutoError as one line; code that caught the
    # ValueError these functions raised before keeps working
    assert issubclass(ParameterError, ComplexAutoError) and issubclass(ParameterError, ValueError)


def test_a_nan_in_the_features_is_named_not_spread_over_the_matrix(tmp_path):
    """One NaN made self_similarity return all zeros (and the file version all NaN), and the
    finders then found nothing or a flood of junk, without a word."""
    f = smooth_features()
    f[50, 3] = np.nan
    for call in (lambda: selfsim.self_similarity(f),
                 lambda: selfsim.write_self_similarity(f, tmp_path / "m.npy"),
                 lambda: write_matrix(f, tmp_path / "m.npy"),
                 lambda: selfsim.cosine_distances(f)):
        with pytest.raises(ParameterError, match=r"features holds nan at index \(50, 3\)"):
            call()
    assert not list(tmp_path.iterdir())
    f[50, 3] = np.inf
    with pytest.raises(ParameterError, match="inf at index"):
        selfsim.self_similarity(f)
    with pytest.raises(ParameterError, match="queries holds nan"):
        neighbour_hits(np.full((3, 4), np.nan), np.ones((3, 4)))
    with pytest.raises(ParameterError,
                       match=r"features must have 2 dimensions, not shape \(120,\)"):
        selfsim.self_similarity(smooth_features()[:, 0])


def test_matrix_arguments_that_gave_a_wrong_matrix_are_refused(tmp_path):
    f = smooth_features()
    with pytest.raises(ParameterError, match="block_rows must be at least 1, not -5"):
        selfsim.self_similarity(f, block_rows=-5)
    with pytest.raises(ParameterError, match="dtype must be float16, float32 or float64"):
        selfsim.write_self_similarity(f, tmp_path / "m.npy", dtype=np.int32)
    with pytest.raises(ParameterError, match="view_pixels must be at least 1"):
        selfsim.write_self_similarity(f, tmp_path / "m.npy", view_pixels=0)
    assert not list(tmp_path.iterdir())
    # a str path, as every other writer takes
    view = write_matrix(f, str(tmp_path / "m.npy"))
    np.testing.assert_allclose(np.load(tmp_path / "m.npy"), selfsim.self_similarity(f), atol=1e-12)
    assert view.shape == (len(f) + selfsim.PAD,) * 2


def test_float16_storage_is_within_its_documented_bound(tmp_path):
    """Smooth random features (not the planted repeats of test_scale) went past the 2^-11 that
    the comment promised; the values are rounded twice, so the bound is 2^-11 + 2^-12."""
    worst = 0.0
    for seed in range(3):
        f = smooth_features(300, 16, seed)
        selfsim.write_self_similarity(f, tmp_path / "m.npy", dtype=np.float16, upper=True)
        worst = max(worst, np.abs(np.load(tmp_path / "m.npy").astype(np.float64)
                                  - selfsim.self_similarity(f)).max())
    assert 2 ** -12 < worst <= 2 ** -11 + 2 ** -12


@pytest.mark.parametrize("kwargs, message", [
    ({"step": 0}, "step must be above 0, not 0"),
    ({"step": -0.001}, "step must be above 0"),
    ({"th": float("inf")}, "th must be a finite number"),
    ({"th": float("nan")}, "th must be a finite number"),
    ({"min_dur": 0}, "min_dur must be at least 1, not 0"),
    ({"min_dur": 2.5}, "min_dur must be an integer, not 2.5"),
])
def test_segment_search_arguments_that_never_ended_are_refused(kwargs, message):
    """The threshold is lowered until something is found or it drops below 0: with a step of
    0 or a threshold of inf or NaN it never did, and the call hung."""
    args = {"min_dur": 5, **kwargs}
    with pytest.raises(ParameterError, match=message):
        nf14.find_segments(np.zeros((60, 60)), args.pop("min_dur"), **args)


@pytest.mark.parametrize("bpm, frame_seconds, message", [
    (-60, 0.09, "bpm must be above 0, not -60"), (0, 0.09, "bpm must be above 0"),
    (float("nan"), 0.09, "bpm must be a finite number"), (60, 0, "frame_seconds must be above 0"),
])
def test_search_params_refuses_a_tempo_that_is_not_one(bpm, frame_seconds, message):
    with pytest.raises(ParameterError, match=message):
        nf14.search_params(bpm, frame_seconds)
    assert nf14.search_params(60, 0.25) == (0.25, 64, 20)


@pytest.mark.parametrize("kwargs, message", [
    ({"beats_per_frame": -0.25}, "beats_per_frame must be above 0"),
    ({"beats_per_frame": 0}, "beats_per_frame must be above 0"),
    ({"beats_per_frame": float("nan")}, "beats_per_frame must be a finite number"),
    ({"n_rows": 500}, r"n_rows \(500\) exceeds the matrix's 129 rows"),
    ({"n_rows": -1}, "n_rows must be at least 0"),
    ({"max_cells": 0}, "max_cells must be at least 1"),
    ({"occurrence_p": 2}, r"occurrence_p must lie in \(0, 1\]"),
    ({"occurrence_p": 0}, r"occurrence_p must lie in \(0, 1\]"),
    ({"resolution": -1}, "resolution must be above 0"),
    ({"max_beats": 0}, "max_beats must be above 0"),
])
def test_the_families_finder_checks_its_arguments(kwargs, message):
    """A negative tempo ran for 25 s and returned 22 patterns; 0 divided by zero; an
    occurrence share of 0 returned nothing without a word."""
    X = selfsim.self_similarity(smooth_features())
    args = {"beats_per_frame": 0.25, **kwargs}
    with pytest.raises(ParameterError, match=message):
        families.find_patterns(X, args.pop("beats_per_frame"), **args)


def test_the_families_finder_needs_a_square_matrix():
    X = selfsim.self_similarity(smooth_features())
    with pytest.raises(ParameterError, match=r"X must be a square matrix, not shape \(129, 100\)"):
        families.find_patterns(X[:, :100], 0.25)
    assert families.find_patterns(X, 0.25, n_rows=len(X) - selfsim.PAD)   # the valid call works


def small_model(bins=6, length=8, bases=5):
    return ComplexAutoEncoder(bins * length, bases, dropout=0.5)


def test_encoding_checks_its_arguments_and_the_spectrum_against_the_model():
    model = small_model()
    spec = np.random.default_rng(0).standard_normal((6, 40)).astype(np.float32)
    ok = features.encode_features(model, spec, 8)
    assert ok.shape == (2, 32, 5) and np.isfinite(ok).all()
    # chunk -1 returned np.empty's garbage (values like -9e23), never filled
    for kwargs, message in (({"chunk": -1}, "chunk must be at least 1, not -1"),
                            ({"chunk": 0}, "chunk must be at least 1"),
                            ({"chunk": 0.5}, "chunk must be an integer"),
                            ({"step": 0}, "step must be at least 1"),
                            ({"focus": 40}, "focus of 40 frames: must be 1..8")):
        with pytest.raises(ParameterError, match=message):
            features.encode_features(model, spec, 8, **kwargs)
    with pytest.raises(ParameterError, match="spec has 10 bins: windows of 8 frames give 80 "
                                             "values, the model takes 48"):
        features.encode_features(model, np.ones((10, 40)), 8)
    bad = spec.copy()
    bad[2, 7] = np.nan
    with pytest.raises(ParameterError, match=r"spec holds nan at index \(2, 7\)"):
        features.encode_features(model, bad, 8)
    with pytest.raises(ParameterError, match="chunk must be at least 1"):
        window_features("ftm2d", spec, 8, chunk=-1)
    with pytest.raises(ParameterError, match="step must be at least 1"):
        features.window_starts(100, 32, 0)


def test_encoding_leaves_the_model_in_the_mode_it_found():
    """encode_features switched a training model to eval mode for good: dropout was off for
    the rest of a notebook's training."""
    model = small_model()
    spec = np.random.default_rng(1).standard_normal((6, 30))
    model.train()
    a = features.encode_features(model, spec, 8)
    assert model.training
    b = features.encode_features(model, spec, 8)          # still no dropout while encoding
    np.testing.assert_array_equal(a, b)
    model.eval()
    features.encode_spec(model, spec, 8)
    assert not model.training


def test_the_cqt_wants_one_channel_of_float_samples(tmp_path):
    cfg = load_config(ROOT / "config_cqt.ini")
    stereo = np.zeros((4000, 2), np.float32)       # soundfile's (samples, channels)
    with pytest.raises(ParameterError, match=r"one channel, a 1-D array of samples, not shape "
                                             r"\(4000, 2\)"):
        cqt.cqt(stereo, cfg)
    with pytest.raises(ParameterError, match="floating-point samples, not int16"):
        cqt.cqt(np.zeros(4000, np.int16), cfg)
    assert cqt.cqt([0.0, 0.1, 0.2], cfg).shape == (cfg["n_bins"], 1)
    # a file of one sample was librosa's "too short" error; the docstring promises no frame
    for n in (1, 2, 50):
        sf.write(tmp_path / "n.wav", np.full(n, 0.1, np.float32), cfg["sr"])
        assert features.conversion_cqt(tmp_path / "n.wav", cfg).shape == (cfg["n_bins"], 0)


def test_the_cqt_names_a_setting_its_dict_lacks_or_holds_wrong(tmp_path):
    # a dict built by hand: a KeyError or ZeroDivisionError from inside librosa named nothing
    cfg = {k: v for k, v in load_config(ROOT / "config_cqt.ini").items() if k != "hop_length"}
    sf.write(tmp_path / "a.wav", np.zeros(4000, np.float32), cfg["sr"])
    for call in (lambda c: cqt.cqt(np.zeros(4000, np.float32), c),
                 lambda c: cqt.streamed_cqt(tmp_path / "a.wav", c),
                 lambda c: cqt.file_cqt(tmp_path / "a.wav", c, block_size=2000)):
        with pytest.raises(ParameterError, match=r"^cfg lacks 'hop_length'$"):
            call(cfg)
        with pytest.raises(ParameterError, match=r"cfg\['hop_length'\] must be at least 1, not 0"):
            call(dict(cfg, hop_length=0))
        with pytest.raises(ParameterError, match=r"cfg\['fmin'\] must be above 0"):
            call(dict(cfg, hop_length=512, fmin=-1.0))


def test_chroma_needs_a_positive_multiple_of_twelve():
    with pytest.raises(ComplexAutoError, match="bins_per_oct 0: chroma needs a positive multiple"):
        chroma(np.ones((24, 5)), 0)


def test_config_overrides_are_checked_as_the_files_values(tmp_path):
    path = ROOT / "config_cqt.ini"
    assert load_config(path, epochs=3)["epochs"] == 3
    for kwargs, message in (({"epochz": 3}, "override of unknown key 'epochz'"),
                            ({"epochs": "x"}, "key 'epochs' = 'x' is not an integer"),
                            ({"hop_length": 0}, "key 'hop_length' = 0 is out of range"),
                            ({"n_bins": 0}, "key 'n_bins' = 0 is out of range")):
        with pytest.raises(ConfigError, match=message):
            load_config(path, **kwargs)


def test_patterns_given_as_lists_are_checked_as_files_are():
    """A pattern without occurrences divided by zero in mir_eval; a NaN onset, refused in a
    file, scored 0 everywhere without a word."""
    ref = JKU / "groundtruth" / "silverswan-poly.txt"
    est = evaluation.load_patterns(ref)
    assert evaluation.evaluate_piece(ref, est)["Est_F"] == 1.0
    for bad, message in (([p + [[]] for p in est], "pattern 1, occurrence .* must be a non-empty"),
                         (est + [[]], f"pattern {len(est) + 1} has no occurrence"),
                         ([[[(np.nan, 60.0)]]], "pattern 1, occurrence 1 holds a number that "
                                                "is not finite")):
        with pytest.raises(ParameterError, match="estimate: " + message):
            evaluation.evaluate_piece(ref, bad)


def test_reading_features_names_a_missing_or_cut_file(tmp_path):
    with pytest.raises(DataError, match="none.pyc.bz: file does not exist"):
        load_pyc_bz(tmp_path / "none.pyc.bz")
    whole = bz2.compress(b"\x80\x04\x95" + bytes(200))
    (tmp_path / "cut.pyc.bz").write_bytes(whole[:len(whole) // 2])
    with pytest.raises(DataError, match="cut.pyc.bz: not a complete .pyc.bz file"):
        load_pyc_bz(tmp_path / "cut.pyc.bz")


@pytest.mark.parametrize("shape", [(8, 8), (7, 9), (6, 5), (120, 32)])
def test_fourier_bases_count_is_the_documented_one(shape):
    b, t = shape
    most = ((b - 1 + b % 2) * (t - 1 + t % 2) - 1) // 2
    assert fourier_bases(shape, most).shape == (2 * most, b * t)
    with pytest.raises(ParameterError, match=f"a {b}x{t} input has {most}"):
        fourier_bases(shape, most + 1)


def test_skyline_refuses_a_duration_that_is_not_finite():
    """An infinite duration was cast to a garbage tick count: the 58 below a held 60 was kept."""
    with pytest.raises(DataError, match="note 0 of the score holds a number that is not finite"):
        melody.skyline(np.array([[0, 60, np.inf], [1, 58, 1.0]]))
    assert melody.skyline(np.array([[0, 60, 4.0], [1, 58, 1.0]])).tolist() == [True, False]


def test_checks_in_their_own_words():
    from complex_auto import checks

    assert checks.integer(np.int64(3), "n") == 3 and checks.number("2.5", "x") == 2.5
    for call, message in ((lambda: checks.integer(True, "n"), "n must be an integer, not True"),
                          (lambda: checks.number("abc", "x"), "x must be a number, not 'abc'"),
                          (lambda: checks.share(math.inf, "p"), "p must be a finite number"),
                          (lambda: checks.array([[1, 2], [3]], "a"), "a must be an array of "
                                                                     "numbers")):
        with pytest.raises(ParameterError, match=message):
            call()


# What a researcher passes from a notebook (a helper's audit from Python): each gave a
# TypeError, ZeroDivisionError or IndexError from deep inside, or a silently wrong result.

def striped(n=60):
    X = np.full((n, n), 0.2)
    for k in range(n):
        X[k, k] = 1.0
        if k + 20 < n:
            X[k, k + 20] = X[k + 20, k] = 0.9
    return X


def jku_score():
    from complex_auto.jku import read_score_csv

    return read_score_csv(JKU / "csv" / "silverswan-poly.csv")


@pytest.mark.parametrize("call, message", [
    (lambda s: patterns.score_offset(s, "audio", 1.2, 0), "bpm must be above 0, not 0"),
    (lambda s: patterns.score_offset(s, "audio", float("nan"), 60), "audio_start must be a finite"),
    (lambda s: patterns.patterns_to_notes([np.array([[0, 4, 8, 12]])], s, 0.0, 0.0),
     "h must be above 0, not 0.0"),
    (lambda s: patterns.patterns_to_notes([np.array([[0, 4, 8, 12]])], s, 0.5, np.nan),
     "offset must be a finite number"),
    (lambda s: patterns.warn_if_tempo_implausible("p", 0, 1000, 0.09, "nf14"),
     "bpm must be above 0"),
    (lambda s: display.reference_frame_spans(JKU / "groundtruth" / "silverswan-poly.txt", 0, 0),
     "h must be above 0"),
    (lambda s: patterns.extract_piece("nowhere.npy", None, 54),
     r"nowhere\.npy: self-similarity matrix does not exist"),
    (lambda s: patterns.patterns_to_notes([], s[:, :1], 0.5, 0.0),      # onsets, no pitches
     r"score must have at least 2 columns \(onset, pitch\), not shape \(\d+, 1\)"),
])
def test_a_tempo_or_a_frame_length_of_zero_is_named(call, message):
    with pytest.raises(ComplexAutoError, match=message):
        call(jku_score())


def test_lists_in_place_of_arrays_are_taken():
    X, score = striped(), jku_score()
    # a matrix with a planted repeat, so that there is something to find (the striped one
    # gives no pattern: 0 == 0 whatever a list became)
    from complex_auto.selfsim import self_similarity
    from tests.test_families import features_with_repeats

    R = self_similarity(features_with_repeats(300, [(20, 150, 60)]))
    from_array = families.find_patterns(R, 0.25)
    from_list = families.find_patterns(R.tolist(), 0.25)
    assert from_array and [(s, a.tolist()) for s, a in from_list] == \
        [(s, a.tolist()) for s, a in from_array]
    found = [np.array([[0, 4, 20, 24], [0, 4, 40, 44]])]
    assert nf14.pattern_scores(X.tolist(), [f.tolist() for f in found]) == \
        nf14.pattern_scores(X, found)
    as_arrays = patterns.patterns_to_notes(found, score, 1.0, 0.0)
    as_lists = patterns.patterns_to_notes([f.tolist() for f in found], score.tolist(), 1.0, 0.0)
    assert [[o.tolist() for o in p] for p in as_lists] == [[o.tolist() for o in p]
                                                           for p in as_arrays]
    assert patterns.score_offset(score.tolist()) == patterns.score_offset(score)
    placed = chance.random_placement([[[0, 10], [20, 30]]], 100, 7)       # a seed for the rng
    assert [p.tolist() for p in placed] == [
        p.tolist() for p in chance.random_placement([np.array([[0, 10], [20, 30]])], 100,
                                                    np.random.default_rng(7))]
    with pytest.raises(ParameterError, match="X must hold real numbers, not <U1"):
        families.find_patterns(np.full((50, 50), "a"), 0.25)


def test_the_other_finders_output_is_refused_with_the_way_to_convert_it(tmp_path):
    X, score = striped(), jku_score()
    found = [(0.8, np.array([[0, 10], [20, 30]])), (0.5, np.array([[2, 6], [40, 44]]))]
    for given in (found, [spans for _, spans in found]):
        for call in (lambda: patterns.patterns_to_notes(given, score, 0.25, 0.0, 16),
                     lambda: display.plot_patterns(tmp_path / "p.png", X, given),
                     lambda: patterns.write_patterns_csv(tmp_path / "p.csv", given, 0.09)):
            with pytest.raises(ParameterError, match=r"patterns\[0\] must be an array of shape "
                                                     r"\(occurrences, 4\).*families_to_patterns"):
                call()
    converted = patterns.families_to_patterns(found)
    display.plot_patterns(tmp_path / "p.png", X, converted)
    assert (tmp_path / "p.png").is_file() and not (tmp_path / "p.csv").exists()


@pytest.mark.parametrize("X, kwargs, message", [
    (np.full((4, 4), np.nan), {}, "X holds NaN or infinite values"),
    (np.ones(40), {}, r"X must be a square matrix with a row at least, not shape \(40,\)"),
    (np.zeros((0, 0)), {}, "not shape \\(0, 0\\)"),
    (np.eye(40), {"max_pixels": 0}, "max_pixels must be at least 1"),
    (np.eye(40), {"frame_seconds": float("nan")}, "frame_seconds must be a finite number"),
])
def test_the_picture_refuses_what_it_would_draw_wrong(tmp_path, X, kwargs, message):
    with pytest.raises(ParameterError, match=message):
        display.plot_patterns(tmp_path / "p.png", X, [], **kwargs)
    assert not list(tmp_path.iterdir())


def test_the_nf14_grouping_checks_its_segments_and_tolerance():
    with pytest.raises(ParameterError, match=r"segments must have shape \(n_segments, 4\)"):
        nf14.group_patterns(np.zeros((4, 3), int), 28)
    for bad in (-1, float("nan"), 2.5):
        with pytest.raises(ParameterError, match="max_diff must be"):
            nf14.group_patterns(np.zeros((2, 4), int), bad)
    assert nf14.group_patterns([], 5) == []


def test_chance_seeds_are_a_sequence_of_one_at_least():
    score = jku_score()
    reference = evaluation.load_patterns(JKU / "groundtruth" / "silverswan-poly.txt")
    with pytest.raises(ParameterError, match=r"seeds must be a sequence of seeds \(range\(5\)"):
        chance.ceiling_scores(score, reference, seeds=5)
    with pytest.raises(ParameterError, match="seeds must hold one seed at least"):
        chance.ceiling_scores(score, reference, seeds=[])
    with pytest.raises(ParameterError, match="seeds must hold one seed at least"):
        next(chance.chance_patterns("no run", seeds=[]))


def test_samples_rates_and_sizes_that_are_no_audio_settings_are_named():
    cfg = {"sr": 22050, "n_bins": 120, "bins_per_oct": 24, "fmin": 65.4, "hop_length": 1984}
    y = np.zeros(22050, np.float32)
    y[100] = np.nan
    with pytest.raises(ParameterError, match=r"y holds nan at sample 100 \(0\.005 s\)"):
        cqt.cqt(y, cfg)
    audio = JKU / "audio" / "silverswan-poly.mp3"
    with pytest.raises(ParameterError, match="sr must be at least 1, not 0"):
        cqt.load_audio(audio, 0)
    with pytest.raises(ParameterError, match="block_size must be an integer, not 22050.5"):
        cqt.file_cqt(audio, cfg, block_size=22050.5)
    with pytest.raises(ParameterError, match="n_frames must be an integer, not nan"):
        features.window_starts(float("nan"), 32)
    assert features.window_starts(100, 32).dtype == np.int64
    spec = np.ones((12, 40), np.float32)
    with pytest.raises(ParameterError, match=r"windows of 8 frames at starts 30\.\.35 do not fit"):
        features.window_batch(spec, np.array([30, 35]), 8)
    assert features.window_batch(spec, [0, 1], 8).shape == (2, 96)


def test_pattern_lists_nested_one_level_short_are_named():
    reference = evaluation.load_patterns(JKU / "groundtruth" / "silverswan-poly.txt")
    with pytest.raises(ParameterError, match="estimate: pattern 1, occurrence 1 must be a "
                                             "non-empty list of"):
        evaluation.evaluate_piece(reference, [(1.0, 60), (2.0, 62)])
    with pytest.raises(ParameterError, match="estimate: pattern 1 must be a list of occurrences"):
        evaluation.evaluate_piece(reference, [1.0])
    with pytest.raises(ParameterError, match="unknown measure"):
        evaluation.best_subset(reference, reference, "F")
    with pytest.raises(ParameterError, match="unknown feature kind"):
        representations.kind_self_similarity("foo", np.ones((40, 10)), 4)
