"""What a model learned (``python -m complex_auto.invariance``): invariance and phase readouts."""
import csv

import numpy as np
import pytest
import torch

from complex_auto import cli
from complex_auto import invariance as inv
from complex_auto.config import load_config
from complex_auto.cqt_pairs import PITCH, TIME, CQTPairs, PairDraws
from complex_auto.layout import RunLayout
from complex_auto.mnist_pairs import DigitSource
from complex_auto.model import ComplexAutoEncoder
from complex_auto.signal_pairs import hann
from complex_auto.training import build_model

from .conftest import ROOT, TINY, write_config, write_filelist

N = 16  # length of the 1-D items of the hand-built Fourier model


def fourier_model(n=N):
    """Complex bases that are exact Fourier pairs, frequencies 1..n/2-1 (no training).

    Real part ``sin(2πkt/n)``, imaginary part ``cos(2πkt/n)``: then ``im + i·re`` is the DFT
    coefficient of frequency ``-k``, a circular shift by ``s`` multiplies it by
    ``exp(2πiks/n)``, the amplitude stays and the phase ``atan2(re, im)`` moves by ``2πks/n``.
    """
    k = np.arange(1, n // 2)[:, None]
    t = np.arange(n)[None, :]
    model = ComplexAutoEncoder(n, len(k))
    with torch.no_grad():
        model.layer.weight.copy_(torch.from_numpy(
            np.concatenate([np.sin(2 * np.pi * k * t / n), np.cos(2 * np.pi * k * t / n)])))
    return model


CIRCULAR = inv.Transformation("circular", 0, "circular shift", "samples",
                              tuple(range(-(N // 2 - 1), N // 2)))


def circular_pairs(encode, rng, n):
    shift = rng.choice(np.asarray(CIRCULAR.classes), n)
    x = rng.standard_normal((n, N))
    y = np.stack([np.roll(a, s) for a, s in zip(x, shift)])
    return inv.encode_pairs(encode, x, y, "circular", shift)


def test_fourier_amplitudes_do_not_change_under_circular_shifts():
    encode = inv.make_encoder(fourier_model())
    g = np.random.default_rng(0)
    x = g.standard_normal((200, N))
    shifted = [("circular", s, np.roll(x, s, axis=1)) for s in CIRCULAR.shifts]
    rows = inv.similarity_curves(encode, x, shifted, unrelated=g.standard_normal((200, N)),
                                 units={"circular": "samples"})
    assert [r["shift"] for r in rows] == list(CIRCULAR.shifts)
    for r in rows:
        assert r["model_similarity"] == pytest.approx(1.0, abs=1e-6)
        assert r["model_match_rate"] == 1.0
        assert r["unit"] == "samples" and r["n_items"] == 200
        if r["shift"] != 0:
            assert r["raw_similarity"] < 0.5  # the inputs themselves do change
    ref = rows[0]["unrelated_model_similarity"]
    assert 0 < ref < 0.95 and abs(rows[0]["unrelated_raw_similarity"]) < 0.2
    summary = inv.summarise_similarity(rows)["circular"]
    assert summary["model"] == pytest.approx(1.0, abs=1e-6) and summary["max_shift"] == N // 2 - 1
    # the mean over the shifts leaves shift 0 (raw similarity 1) out
    assert rows[N // 2 - 1]["shift"] == 0 and rows[N // 2 - 1]["raw_similarity"] == pytest.approx(1)
    assert summary["raw"] == pytest.approx(np.mean([r["raw_similarity"] for r in rows
                                                    if r["shift"] != 0]))


def test_fourier_shift_is_inferred_exactly_from_phase_differences():
    encode = inv.make_encoder(fourier_model())
    g = np.random.default_rng(1)
    fit, test = circular_pairs(encode, g, 400), circular_pairs(encode, g, 200)
    rows = inv.classification_rows(fit, test, [CIRCULAR])
    assert {(r["features"], r["classifier"]) for r in rows} == {
        (f, c) for f in inv.FEATURES for c in inv.CLASSIFIERS}
    for r in rows:
        assert r["target"] == "circular_shift" and r["n_classes"] == N - 2
        assert (r["n_train"], r["n_test"]) == (400, 200)
        most = np.unique(test.shift, return_counts=True)[1].max()
        assert r["chance"] == pytest.approx(most / 200)
        if r["features"] == "phase":
            assert r["accuracy"] == 1.0 and r["accuracy_within_1"] == 1.0
        else:  # the amplitudes are exactly invariant: their differences are rounding noise
            assert r["accuracy"] < 0.3


def test_type_target_and_circular_distance():
    g = np.random.default_rng(2)
    # two transformations told apart by one feature; shifts by another
    def pairs(n):
        kind = g.integers(0, 2, n)
        shift = g.integers(1, 4, n) * 15
        feat = np.stack([kind * 10.0, shift / 15.0], axis=1) + 0.01 * g.standard_normal((n, 2))
        return inv.PairSet(feat, np.zeros((n, 1)), np.where(kind, "b", "a").astype(object), shift)
    a = inv.Transformation("a", 0, "a", "degrees", (0, 15, 30, 45), period=360.0)
    b = inv.Transformation("b", 1, "b", "degrees", (0, 15, 30, 45), period=360.0)
    rows = inv.classification_rows(pairs(200), pairs(100), [a, b], classifiers=("knn",),
                                   features=("phase",))
    assert [r["target"] for r in rows] == ["type", "a_shift", "b_shift"]
    assert rows[0]["accuracy"] == 1.0 and rows[0]["accuracy_within_1"] is None
    assert all(r["accuracy"] == 1.0 for r in rows)
    res = inv.classify(np.zeros((2, 1)), [350, 350], np.zeros((1, 1)), [10], step=15, period=360)
    assert res["accuracy"] == 0.0 and res["accuracy_within_1"] == 0.0  # 20 degrees apart
    res = inv.classify(np.zeros((2, 1)), [355, 355], np.zeros((1, 1)), [5], step=15, period=360)
    assert res["accuracy_within_1"] == 1.0                               # 10 degrees apart


def test_cosine_and_match_rate():
    a = np.array([[1.0, 0.0], [0.0, 2.0], [0.0, 0.0]])
    b = np.array([[2.0, 0.0], [1.0, 1.0], [1.0, 0.0]])
    c = np.array([[2.0, 0.2], [0.1, 1.0]])
    sim = inv.row_cosine(a, b)
    np.testing.assert_allclose(sim[:2], [1.0, np.sqrt(0.5)])
    assert np.isnan(sim[2])  # a zero vector has no direction
    assert inv.match_rate(c, a[:2]) == 1.0
    assert inv.match_rate(a[::-1][1:], a[:2]) == 0.0
    same = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]])
    keys = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    assert inv.match_rate(same, keys) == pytest.approx(2 / 3)  # a tie with an identical key matches


def test_match_rate_of_silent_queries_and_of_many_queries():
    # a silent query has no nearest key: it never matches, though its similarities tie at 0
    assert inv.match_rate(np.array([[0.0, 0.0], [0.0, 1.0]]), np.eye(2)) == 0.5
    # more queries than one block of 1024: every one is compared with its own key
    g = np.random.default_rng(7)
    keys = g.standard_normal((1100, 8))
    assert inv.match_rate(keys + 0.01 * g.standard_normal(keys.shape), keys) == 1.0


def test_silent_items_are_left_out_of_the_mean_similarities():
    encode = inv.make_encoder(fourier_model())
    x = np.random.default_rng(8).standard_normal((20, N))
    x[3] = 0.0  # a silent item: no direction, neither as input nor as amplitudes
    y = np.roll(x, 3, axis=1)
    model, raw = inv.pair_similarity(encode, x, y)
    assert model == pytest.approx(1.0, abs=1e-5)
    keep = np.arange(20) != 3
    assert raw == pytest.approx(np.mean(inv.row_cosine(x[keep], y[keep])))


class CircularItems:
    """An item source of random 1-D items under circular shifts (as ``CQTItems`` for CQT)."""

    def __init__(self, x, shifts=CIRCULAR.shifts):
        self.x = x
        self.transformations = [inv.Transformation("circular", 0, "circular shift", "samples",
                                                   tuple(shifts))]

    def draw(self, rng, n):
        return inv.Positions(index=rng.permutation(len(self.x))[:n])

    def unrelated(self, rng, pos):
        return inv.Positions(index=(pos.index + 1) % len(self.x))

    def shifted(self, pos, t, shift):
        x = self.x[pos.index]
        shift = np.broadcast_to(shift, (len(x),))
        return x, np.stack([np.roll(a, s) for a, s in zip(x, shift)])


def test_similarity_and_pairs_of_an_item_source():
    encode = inv.make_encoder(fourier_model())
    g = np.random.default_rng(9)
    items = CircularItems(g.standard_normal((300, N)))
    rows = inv.items_similarity(encode, items, g, 40)
    assert [r["shift"] for r in rows] == list(CIRCULAR.shifts)
    # the unrelated items are other items: their raw similarity is near 0, not 1
    assert abs(rows[0]["unrelated_raw_similarity"]) < 0.3
    assert rows[0]["unrelated_model_similarity"] < 0.95
    assert all(r["model_similarity"] == pytest.approx(1.0, abs=1e-5) for r in rows)

    pairs = inv.items_pairs(encode, items, g, 300)
    assert len(pairs) == 300 and set(pairs.transform) == {"circular"}
    assert set(pairs.shift) <= set(CIRCULAR.classes) and (pairs.shift != 0).all()
    # a circular shift by s turns the phase of frequency k by 2πks/N: [cos, sin] of that
    turn = 2 * np.pi * np.arange(1, N // 2)[None, :] * pairs.shift[:, None] / N
    np.testing.assert_allclose(pairs.phase, np.hstack([np.cos(turn), np.sin(turn)]), atol=1e-4)


def test_analyse_tests_the_classifiers_on_the_held_out_items(in_tmp):
    encode = inv.make_encoder(fourier_model())
    g = np.random.default_rng(10)
    items = CircularItems(g.standard_normal((60, N)))
    fit = CircularItems(g.standard_normal((60, N)))
    # the held-out items are shifted by 3 only: their most common shift is all of them
    held_out = CircularItems(g.standard_normal((60, N)), shifts=(0, 3))
    layout = RunLayout("circular")
    result = inv.analyse(encode, items, fit, held_out, layout, n_items=30, n_pairs=60)
    assert [r["target"] for r in result["transformations"]] == ["circular_shift"] * 4
    for r in result["transformations"]:
        assert r["chance"] == 1.0 and (r["n_train"], r["n_test"]) == (60, 60)
        if r["features"] == "phase" and r["classifier"] == "knn":
            assert r["accuracy"] == 1.0
    assert result["digits"] is None and layout.transformations_csv.exists()


@pytest.mark.parametrize("emph_onset", [0, 1.5])
def test_cqt_items_are_the_training_items(emph_onset):
    g = np.random.default_rng(3)
    cfg = dict(length_ngram=6, shifts=[2, 3], scales=[0, 0], transform=[0, 1],
               emph_onset=emph_onset, n_bins=20)
    cqts = [g.standard_normal((20, 60)).astype(np.float32) for _ in range(2)]
    items = inv.CQTItems(cqts, cfg, max_pitch=5, max_time=4)
    pairs = CQTPairs(cqts, cfg)
    pos = items.draw(g, 30)
    assert pos.start.min() >= 4 and (pos.start + 6 + 4 <= 60).all()
    for t in items.transformations:
        for s in (-4, -1, 0, 3):
            x, y = items.shifted(pos, t, s)
            draws = PairDraws(pos.file, pos.start, np.full(30, t.tid), np.full(30, s),
                              np.ones(30), np.zeros(30, bool))
            x_ref, y_ref = pairs.build(draws)
            np.testing.assert_allclose(x, x_ref, atol=1e-6)
            np.testing.assert_allclose(y, y_ref, atol=1e-6)
    assert [t.tid for t in items.transformations] == [PITCH, TIME]
    every = items.draw(g, 2 * (60 - 6 - 2 * 4 + 1))  # all valid positions, each once
    assert len(set(zip(every.file, every.start))) == len(every)
    assert every.start.min() == 4 and every.start.max() == 60 - 6 - 4
    other = items.unrelated(g, pos)
    assert not ((other.file == pos.file) & (np.abs(other.start - pos.start) < 6)).any()


def test_cqt_reference_is_per_item_and_blind_to_circular_shifts():
    g = np.random.default_rng(11)
    cfg = dict(length_ngram=6, shifts=[2, 3], scales=[0, 0], transform=[0, 1], n_bins=20)
    items = inv.CQTItems([g.standard_normal((20, 40)).astype(np.float32)], cfg, max_time=4)
    pos = items.draw(g, 10)
    x = items.shifted(pos, items.transformations[0], 0)[0]
    ref = items.reference(x)
    assert ref.shape == (10, 20 * 4)
    # each item's own, whichever items are beside it
    np.testing.assert_allclose(items.reference(x[:1]), ref[:1], rtol=1e-4, atol=1e-4)
    # the n-gram image rolled circularly along bins and frames: the same magnitudes
    rolled = np.roll(x.reshape(10, 20, 6), (3, 2), axis=(1, 2)).reshape(10, -1)
    np.testing.assert_allclose(items.reference(rolled), ref, rtol=1e-4, atol=1e-4)


def test_signal_items_are_hann_windows_of_the_shifted_samples():
    g = np.random.default_rng(12)
    signals = [g.standard_normal(60).astype(np.float32), g.standard_normal(45).astype(np.float32)]
    items = inv.SignalItems(signals, dict(length_ngram=16), max_time=5)
    every = items.draw(g, (60 - 16 - 10 + 1) + (45 - 16 - 10 + 1))  # each valid start once
    assert len(set(zip(every.file, every.start))) == len(every)
    lengths = np.array([60, 45])[every.file]
    assert every.start.min() == 5 and (every.start + 16 + 5 <= lengths).all()
    assert (every.start + 16 + 5 == lengths).sum() == 2  # the last start of both recordings

    def window(f, a):
        w = signals[f][a:a + 16].astype(np.float64)
        w = (w - w.mean()) * hann(16)
        return w / w.std()

    t = items.transformations[0]
    for s in (-5, -1, 0, 3):
        x, y = items.shifted(every, t, s)
        np.testing.assert_allclose(x, [window(f, a) for f, a in zip(every.file, every.start)],
                                   atol=1e-5)
        np.testing.assert_allclose(y, [window(f, a + s) for f, a in zip(every.file, every.start)],
                                   atol=1e-5)


def test_digit_items_rotate_counter_clockwise_and_unrelated_digits_are_others():
    g = np.random.default_rng(13)
    images = g.random((3, 28, 28)).astype(np.float32)
    items = inv.DigitItems(DigitSource("test", "", images, np.array([1, 7, 4])))
    pos = items.draw(g, 3)
    rot = items.transformations[0]
    x, y = items.shifted(pos, rot, 90)

    def standard(a):
        a = a - a.mean()
        return (0.1 * a / a.std()).ravel()

    np.testing.assert_allclose(x, [standard(images[i]) for i in pos.index], atol=1e-5)
    np.testing.assert_allclose(y, [standard(np.rot90(images[i])) for i in pos.index], atol=1e-5)
    assert (items.labels(pos) == np.array([1, 7, 4])[pos.index]).all()
    for m in (2, 3):
        few = inv.DigitItems(DigitSource("test", "", images[:m], np.arange(m)))
        pos = few.draw(g, 200)
        other = few.unrelated(g, pos)
        assert (other.index != pos.index).all() and set(other.index) == set(range(m))


def test_split_recordings():
    one = np.zeros((3, 101))
    fit, test, how = inv.split_recordings(["a.wav"], [one])
    assert fit[0][1].shape == (3, 50) and test[0][1].shape == (3, 51) and "one recording" in how
    fit, test, _ = inv.split_recordings(list("abcde"), [one] * 5)
    assert [n for n, _ in fit] == list("abcd") and [n for n, _ in test] == ["e"]
    fit, test, _ = inv.split_recordings(list("ab"), [one] * 2)
    assert [n for n, _ in test] == ["b"]
    fit, test, _ = inv.split_recordings(list("abcdefghij"), [one] * 10)
    assert [n for n, _ in test] == ["i", "j"]


# -- the command line ------------------------------------------------------------------------
def run_invariance(capsys, *args):
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        cli.run(inv.main, inv.parser(), [str(a) for a in args])
    return e.value.code, capsys.readouterr().err


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]


def save_random_model(cfg_path, layout, n_in):
    cfg = load_config(cfg_path)
    torch.manual_seed(0)
    path = layout.model(cfg["data_type"])
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(build_model(cfg, n_in).state_dict(), path)


def assert_png(path):
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("option, value, message", [
    ("--n-ngrams", "1", "--n-ngrams 1: must be >= 2"),
    ("--n-pairs", "1", "--n-pairs 1: must be >= 2"),
    ("--max-pitch-shift", "0", "--max-pitch-shift 0: must be >= 1"),
    ("--max-time-shift", "0", "--max-time-shift 0: must be >= 1")])
def test_cli_refuses_a_single_item_and_no_shift(in_tmp, capsys, option, value, message):
    code, err = run_invariance(capsys, "dig", "no_filelist", ROOT / "config_mnist.ini", option,
                               value)
    assert code == 1 and err.strip() == f"error: {message}"


@pytest.mark.parametrize("args, message", [
    (["--transposition-seconds", "-5"], "--transposition-seconds -5: must be positive"),
    (["--transposition-seconds", "0"], "--transposition-seconds 0: must be positive"),
    (["--transposition-seconds", "1"], "--transposition-seconds 1: the excerpt has 12 CQT "
                                       "frames, not more than one window of 32 (2.9 s)"),
    (["--transposition-audio", "nosuch.mp3"], "--transposition-audio nosuch.mp3: no such file")])
def test_the_transposition_options_are_checked_before_any_work(in_tmp, capsys, monkeypatch,
                                                               args, message):
    """-5 s ran on a long excerpt and reported lower scores, 0 s ran 40 s, and 1 s or a
    mistyped recording failed after a minute of measures."""
    monkeypatch.setattr(inv, "load_items", lambda *a, **k: pytest.fail("work began"))
    code, err = run_invariance(capsys, "t", "x.txt", ROOT / "models/cqt_piano/config_cqt.ini",
                               "--model", ROOT / "models/cqt_piano/model_complex_auto_cqt.save",
                               *args)
    assert code == 1 and err.strip().startswith(f"error: {message}"), err


def test_digit_items_hold_out_the_last_fifth(in_tmp):
    cfg = load_config(ROOT / "config_mnist.ini")
    items, fit, test, how = inv.load_items(cfg, "no_filelist", data_dir=in_tmp)
    n = len(items.source)
    assert (len(fit.source), len(test.source)) == (n - n // 5, n // 5)
    # fitting and held-out digits are the list's two parts: none of them in both
    np.testing.assert_array_equal(np.concatenate([fit.source.images, test.source.images]),
                                  items.source.images)
    assert f"testing on the held-out last {n // 5}" in how


# scikit-learn warns that 60 pairs hold more than half as many classes (shifts) as samples:
# expected for this tiny run, which checks the command, not the classifiers
@pytest.mark.filterwarnings("ignore:The number of unique classes is greater than 50%:UserWarning")
def test_cli_on_a_tiny_cqt_model(in_tmp, short_wavs, capsys):
    cfg = write_config(in_tmp / "tiny.ini", cache_dir=str(in_tmp / "cache"), **TINY)
    flist = write_filelist(in_tmp / "list.txt", short_wavs)
    layout = RunLayout("tiny")
    code, err = run_invariance(capsys, "tiny", flist, cfg, "-j", "1")
    assert code == 1
    assert err.strip() == (f"error: {layout.model('cqt')}: no model there; train one with "
                           f"'python train.py tiny FILELIST {cfg}' or pass --model PATH")

    code, err = run_invariance(capsys, "tiny", flist, cfg, "--max-pitch-shift", "120")
    assert code == 1                                      # was numpy's shape mismatch
    assert err.strip() == (f"error: --max-pitch-shift 120: must be fewer bins than "
                           f"n_bins = 120 of {cfg}")

    save_random_model(cfg, layout, 120 * 8)
    code, err = run_invariance(capsys, "tiny", flist, cfg, "-j", "1", "--n-ngrams", "40",
                               "--n-pairs", "60", "--device", "cpu", "--seed", "3",
                               "--transposition-audio", short_wavs[0],
                               "--transposition-seconds", "8")
    assert code == 0, err
    header, rows = read_csv(layout.invariance_csv)
    assert tuple(header) == inv.INVARIANCE_COLUMNS
    assert [(r["transform"], int(r["shift"])) for r in rows] == (
        [("pitch", s) for s in range(-24, 25)] + [("time", s) for s in range(-4, 5)])  # 8 frames
    assert {r["unit"] for r in rows} == {"bins", "frames"}
    for r in rows:
        assert int(r["n_items"]) == 40
        assert -1 <= float(r["raw_similarity"]) <= 1 and 0 <= float(r["model_similarity"]) <= 1
        if int(r["shift"]) == 0:
            assert float(r["model_similarity"]) == pytest.approx(1.0, abs=1e-5)
            assert float(r["model_match_rate"]) == 1.0
    assert len({r["unrelated_model_similarity"] for r in rows}) == 1
    # the 2-D Fourier magnitude beside them: all but blind to pitch shifts (zero fill keeps it
    # from exactly 1), unlike the raw input
    pitch = [r for r in rows if r["transform"] == "pitch" and 0 < abs(int(r["shift"])) <= 6]
    assert min(float(r["ftm2d_similarity"]) for r in pitch) > 0.8
    assert np.mean([float(r["ftm2d_match_rate"]) for r in pitch]) > \
        np.mean([float(r["raw_match_rate"]) for r in pitch])

    header, rows = read_csv(layout.transposition_csv)
    assert [(r["features"], int(r["semitones"])) for r in rows] == [
        (k, s) for k in ("cae", "cqt", "ftm2d") for s in range(1, 8)]
    found = {(r["features"], int(r["semitones"])): float(r["found"]) for r in rows}
    assert all(0 <= v <= 1 for v in found.values())
    assert np.mean([found["ftm2d", s] for s in range(1, 8)]) > 0.8
    assert np.mean([found["cqt", s] for s in range(1, 8)]) < 0.5
    assert "transposition test (8 s of" in err

    header, rows = read_csv(layout.transformations_csv)
    assert tuple(header) == inv.TRANSFORMATION_COLUMNS
    assert [(r["target"], r["features"], r["classifier"]) for r in rows] == [
        (t, f, c) for t in ("type", "pitch_shift", "time_shift")
        for f in ("phase", "amplitude") for c in ("knn", "logistic")]
    for r in rows:
        assert 0 <= float(r["accuracy"]) <= 1 and 0 < float(r["chance"]) <= 1
        assert (r["accuracy_within_1"] == "") == (r["target"] == "type")
        assert int(r["n_train"]) > 0 and int(r["n_test"]) > 0
    n_pitch, n_time = (sum(int(r["n_test"]) for r in part) for part in (rows[4:8], rows[8:]))
    assert n_pitch + n_time == 4 * 60  # every held-out pair is a pitch or a time pair
    for png in (layout.invariance_png, layout.phase_pca_png):
        assert_png(png)
    assert not layout.digits_csv.exists()
    assert "pitch shift (±24 bins" in err and "pitch_shift from phase differences" in err


def test_cli_on_tiny_signal_and_digit_models(in_tmp, short_wavs, capsys):
    sig = write_config(in_tmp / "sig.ini", base=ROOT / "config_signal1D.ini",
                       cache_dir=str(in_tmp / "cache"), length_ngram=64, n_bases=8,
                       shifts=(8, -1), rebuild=False)
    save_random_model(sig, RunLayout("sig"), 64)
    flist = write_filelist(in_tmp / "one.txt", short_wavs[:1])
    code, err = run_invariance(capsys, "sig", flist, sig, "-j", "1", "--n-ngrams", "30",
                               "--n-pairs", "40")
    assert code == 0, err
    assert "one recording only" in err
    _, rows = read_csv(RunLayout("sig").invariance_csv)
    assert [int(r["shift"]) for r in rows] == list(range(-8, 9))
    assert {r["unit"] for r in rows} == {"samples"}
    _, rows = read_csv(RunLayout("sig").transformations_csv)
    assert [r["target"] for r in rows] == ["time_shift"] * 4

    dig = write_config(in_tmp / "dig.ini", base=ROOT / "config_mnist.ini",
                       cache_dir=str(in_tmp / "cache"), n_bases=8)
    layout = RunLayout("dig")
    save_random_model(dig, layout, 784)
    code, err = run_invariance(capsys, "dig", "no_filelist", dig, "--n-ngrams", "20",
                               "--n-pairs", "40")
    assert code == 0, err
    _, rows = read_csv(layout.invariance_csv)
    assert [int(r["shift"]) for r in rows] == list(range(0, 360, 15))
    header, rows = read_csv(layout.digits_csv)
    assert tuple(header) == inv.DIGIT_COLUMNS
    assert [(r["features"], r["test_rotation"]) for r in rows] == [
        (f, a) for f in ("amplitude", "pixels") for a in ("195", "255", "315", "unseen", "seen")]
    assert [int(r["n_test"]) for r in rows[:5]] == [20, 20, 20, 60, 140]
    assert all(int(r["n_train"]) == 140 and 0 <= float(r["error"]) <= 1 for r in rows)
    assert_png(layout.invariance_png)
    assert_png(layout.phase_pca_png)


def test_cli_reads_the_model_given_by_model(in_tmp, capsys):
    dig = write_config(in_tmp / "dig.ini", base=ROOT / "config_mnist.ini",
                       cache_dir=str(in_tmp / "cache"), n_bases=8)
    save_random_model(dig, RunLayout("dig"), 784)             # the run's own model (seed 0)
    other = in_tmp / "elsewhere" / "digits.save"
    other.parent.mkdir()
    torch.manual_seed(1)
    torch.save(build_model(load_config(dig), 784).state_dict(), other)
    args = ("no_filelist", dig, "--n-ngrams", "20", "--n-pairs", "40")
    code, err = run_invariance(capsys, "dig", *args, "--model", other)
    assert code == 0, err
    assert f"model {other};" in err
    # the same measures as a run whose own model is that file
    mine = RunLayout("mine").model("mnist")
    mine.parent.mkdir(parents=True)
    mine.write_bytes(other.read_bytes())
    code, err = run_invariance(capsys, "mine", *args)
    assert code == 0, err
    _, rows = read_csv(RunLayout("dig").invariance_csv)
    _, mine_rows = read_csv(RunLayout("mine").invariance_csv)
    assert [r["model_similarity"] for r in rows] == [r["model_similarity"] for r in mine_rows]


def test_invariance_figures_keep_curves_and_titles_in_view(tmp_path, monkeypatch):
    """The legends sat on the curves where invariance breaks down, and a one-panel figure's
    title (run, model file, counts) ran past both edges; the phase colour bar said 'shift'
    without a unit, and rotation's diverging map made 15 and 345 degrees opposite colours."""
    from complex_auto import utils
    from complex_auto.invariance.measures import Transformation
    from complex_auto.invariance.report import plot_invariance
    from complex_auto.plots import plot_phase_pca

    from complex_auto import plots

    figures = {}

    def keep(fig, path, **kwargs):
        figures[path.name] = fig

    monkeypatch.setattr(utils, "save_figure", keep)
    monkeypatch.setattr(plots, "save_figure", keep, raising=False)
    rot = Transformation("rotation", 3, "rotation", "degrees", tuple(range(0, 360, 15)))
    rows = [dict(transform="rotation", shift=s, model_similarity=0.9, raw_similarity=0.5,
                 unrelated_model_similarity=0.8, unrelated_raw_similarity=0.6,
                 model_match_rate=0.9, raw_match_rate=0.1, n_items=100) for s in rot.shifts]
    title = "a_long_run_name (model_complex_auto_mnist.save): amplitude similarity (1000 items)"
    plot_invariance(rows, [rot], tmp_path / "inv.png", title)
    fig = figures["inv.png"]
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    width = fig.bbox.width
    for ax in fig.axes:
        legend = ax.get_legend()
        assert legend is not None
        assert legend.get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1
    head = fig._suptitle.get_window_extent(renderer)
    assert head.x0 >= 0 and head.x1 <= width
    g = np.random.default_rng(0)
    plot_phase_pca(g.standard_normal((40, 6)), np.full(40, 3), g.uniform(0, 360, 40),
                   {3: "rotation"}, tmp_path / "pca.png", title, units={3: "degrees"})
    fig = figures["pca.png"]
    fig.canvas.draw()
    bar = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"][0]
    assert bar.get_ylabel() == "shift (degrees)"
    assert fig.axes[0].collections[0].get_cmap().name == "twilight"
    head = fig._suptitle.get_window_extent(fig.canvas.get_renderer())
    assert head.x0 >= 0 and head.x1 <= fig.bbox.width


def test_the_cqt_time_shifts_stop_at_half_a_window(in_tmp, short_wavs):
    """An 8-frame model was measured at ±12 frames, where a shifted n-gram shares nothing with
    the unshifted one: its time curve read as a poor model."""
    for length, reach in ((8, 4), (32, 12)):
        cfg = load_config(write_config(in_tmp / "c.ini", cache_dir=str(in_tmp / "cache"),
                                       **dict(TINY, length_ngram=str(length))))
        flist = write_filelist(in_tmp / "list.txt", short_wavs)
        items, _, _, _ = inv.load_items(cfg, flist)
        time = [t for t in items.transformations if t.key == "time"][0]
        assert (min(time.shifts), max(time.shifts)) == (-reach, reach)
    items, _, _, _ = inv.load_items(cfg, flist, max_time=3)              # as asked
    assert max([t for t in items.transformations if t.key == "time"][0].shifts) == 3
