"""1-D signal pairs: windowing, the shift between x and y, silence, the evaluation split,
the shipped configs, and a tiny end-to-end ``train.py`` run."""
import logging

import numpy as np
import pytest
import soundfile as sf
import torch

from complex_auto.config import load_config
from complex_auto.errors import DataError
from complex_auto.filelist import read_filelist
from complex_auto.signal_pairs import (TIME, SignalDraws, SignalPairs, hann, standardise_windows,
                                       training_sets)

from .conftest import ROOT, run_cli, write_config, write_filelist

SR = 22050
CFG = dict(length_ngram=512, shifts=[64, -1], sr=SR, cache_dir="cache", rebuild=False,
           test_data="")


def noise(n, seed=0):
    return np.random.default_rng(seed).standard_normal(n).astype(np.float32)


def expected(seg):
    """The item the spec describes for a raw stretch of samples (float64 reference)."""
    seg = np.asarray(seg, dtype=np.float64)
    w = (seg - seg.mean()) * np.hanning(513)[:512]  # periodic Hann from a symmetric one
    return w / (w.std() + 1e-8)


def test_items_are_hann_windowed_and_unit_variance():
    sig = noise(20000)
    pairs = SignalPairs([sig], CFG)
    d = SignalDraws(np.array([0, 0]), np.array([1000, 5000]), np.array([TIME] * 2),
                    np.array([7, -64]))
    x, y = pairs.build(d)
    assert x.shape == y.shape == (2, 512) and x.dtype == y.dtype == np.float32
    np.testing.assert_allclose(x[0], expected(sig[1000:1512]), atol=1e-4)
    np.testing.assert_allclose(y[1], expected(sig[5000 - 64:5000 - 64 + 512]), atol=1e-4)
    np.testing.assert_allclose(x.var(axis=1), 1.0, rtol=1e-4)
    np.testing.assert_allclose(y.var(axis=1), 1.0, rtol=1e-4)
    # The taper survives standardisation: the window's first sample is 0, its ends are small.
    assert np.all(x[:, 0] == 0) and np.abs(x[:, [1, -1]]).max() < 0.01
    np.testing.assert_allclose(hann(512), np.hanning(513)[:512], atol=1e-6)
    from scipy.signal import get_window

    np.testing.assert_allclose(hann(512), get_window("hann", 512), atol=1e-6)


def test_y_is_x_moved_by_the_drawn_shift():
    sig = noise(30000, seed=1)
    pairs = SignalPairs([sig], CFG)
    d = pairs.draw(np.random.default_rng(0), 2000)
    assert d.shift.min() >= -64 and d.shift.max() <= 63
    assert (d.shift < 0).any() and (d.shift > 0).any()
    assert np.all(d.start + d.shift >= 0) and np.all(d.start + d.shift + 512 <= len(sig))
    assert np.all(d.transform == TIME)
    assert d.labels()[:3] == [f"shiftx{s}" for s in d.shift[:3]]
    _, y = pairs.build(d)
    # y is exactly the x drawn at start + shift.
    moved = SignalDraws(d.file, d.start + d.shift, d.transform, np.zeros_like(d.shift))
    x_moved, _ = pairs.build(moved)
    np.testing.assert_array_equal(y, x_moved)


def test_silent_windows_stay_silent_and_finite():
    sig = np.concatenate([np.zeros(3000, np.float32), noise(3000), np.full(3000, 0.25, np.float32)])
    pairs = SignalPairs([sig], CFG)
    d = SignalDraws(np.zeros(3, int), np.array([1000, 3500, 6500]), np.full(3, TIME),
                    np.array([0, 3, 0]))
    x, y = pairs.build(d)
    assert np.isfinite(x).all() and np.isfinite(y).all()
    assert np.all(x[0] == 0) and np.all(x[2] == 0)  # digital silence and a constant (DC) stretch
    np.testing.assert_allclose(x[1].var(), 1.0, rtol=1e-4)
    z = standardise_windows(np.zeros((4, 512), np.float32), hann(512))
    assert np.all(z == 0)


def test_draws_come_from_every_file_and_stay_inside():
    sigs = [noise(700, 1), noise(5000, 2)]
    pairs = SignalPairs(sigs, CFG)
    d = pairs.draw(np.random.default_rng(3), 4000)
    assert set(np.unique(d.file)) == {0, 1}
    lengths = np.array([700, 5000])[d.file]
    assert np.all(d.start >= 64) and np.all(d.start + 512 + 64 <= lengths)
    x, y = pairs.build(d)  # one fancy index for the whole batch, no Python loop
    assert x.shape == (4000, 512)


def test_every_start_of_the_spec_is_drawn_the_last_one_included():
    """Positions are uniform in [shifts[0], T - length_ngram - shifts[0]], both ends included:
    a signal of exactly length_ngram + 2 shifts[0] samples (the shortest accepted) has one."""
    shortest = SignalPairs([noise(512 + 2 * 64)], CFG)
    assert shortest.need == 640
    np.testing.assert_array_equal(shortest.draw(np.random.default_rng(0), 20).start, 64)
    d = SignalPairs([noise(700)], CFG).draw(np.random.default_rng(1), 4000)
    assert set(d.start) == set(range(64, 700 - 512 - 64 + 1))


def test_sweep_covers_positions_in_order_with_random_shifts():
    pairs = SignalPairs([noise(10000)], CFG)
    d = pairs.sweep(np.random.default_rng(0))
    # every half window (the hop of the sweep) from the first start to the last full window
    np.testing.assert_array_equal(d.start, np.arange(64, 10000 - 512 - 64 + 1, 256))
    assert len(np.unique(d.shift)) > 1
    assert len(SignalPairs([noise(100000)], CFG).sweep(np.random.default_rng(0), 50)) <= 50


def write_wavs(folder, seconds, seed=0):
    out = []
    for i, sec in enumerate(seconds):
        p = folder / f"tone{i}.wav"
        t = np.arange(int(sec * SR)) / SR
        sf.write(p, (0.3 * np.sin(2 * np.pi * 440 * (i + 1) * t)
                     + 0.01 * noise(len(t), seed + i)).astype(np.float32), SR)
        out.append(p)
    return out


def test_one_file_holds_out_its_last_fifth(tmp_path, caplog):
    files = write_wavs(tmp_path, [1.0])
    cfg = dict(CFG, cache_dir=str(tmp_path / "cache"))
    with caplog.at_level(logging.INFO):
        train, ev = training_sets(files, cfg, tmp_path / "list.txt")
    n = train.lengths[0] + ev.lengths[0]
    assert n == SR and ev.lengths[0] == round(0.2 * SR)
    # The held-out part is the file's tail; each part is cut off on its own, so no window
    # straddles the border.
    from complex_auto.cqt import load_audio

    audio = load_audio(files[0], SR)
    np.testing.assert_array_equal(train.samples, audio[:train.lengths[0]])
    np.testing.assert_array_equal(ev.samples, audio[train.lengths[0]:])
    assert "last fifth of every file held out" in caplog.text
    # The audio is cached: a second call reads the cache.
    caplog.clear()
    with caplog.at_level(logging.INFO):
        training_sets(files, cfg, tmp_path / "list.txt")
    assert "using cached data" in caplog.text


def test_five_files_hold_out_the_last_file(tmp_path):
    files = write_wavs(tmp_path, [0.5, 0.5, 0.5, 0.5, 0.3])
    train, ev = training_sets(files, dict(CFG, cache_dir=str(tmp_path / "c")), "list.txt")
    assert len(train) == 4 and len(ev) == 1 and ev.lengths[0] == int(0.3 * SR)


def test_too_short_files_are_a_data_error(tmp_path):
    files = write_wavs(tmp_path, [0.02])
    with pytest.raises(DataError, match="shorter than 640 samples"):
        training_sets(files, dict(CFG, cache_dir=str(tmp_path / "c")), "list.txt")


def test_silent_files_are_skipped_as_the_cqt_pairs_skip_them(tmp_path, caplog):
    """A silent file trained with loss 0 and no word; a list of silence saved a 'trained'
    model whose log read 0."""
    files = write_wavs(tmp_path, [0.5, 0.5, 0.5, 0.5, 0.3])
    sf.write(tmp_path / "quiet.wav", np.zeros(SR // 2, np.float32), SR)
    cfg = dict(CFG, cache_dir=str(tmp_path / "c"))
    with caplog.at_level(logging.WARNING):
        train, ev = training_sets([tmp_path / "quiet.wav"] + files, cfg, "list.txt")
    assert len(train) == 4 and "quiet.wav: silent (every sample is 0), nothing to learn" in \
        caplog.text
    assert train.skipped == [tmp_path / "quiet.wav"]       # for the model's training record
    assert ev.sources == files[-1:]             # the last fifth of the list: one file of six
    with pytest.raises(DataError, match="list2.txt: every training signal is silent"):
        training_sets([tmp_path / "quiet.wav"], cfg, "list2.txt")
    (tmp_path / "short").mkdir()
    short = write_wavs(tmp_path / "short", [0.02])
    with pytest.raises(DataError, match="1 silent, the others shorter than 640 samples"):
        training_sets([tmp_path / "quiet.wav"] + short, cfg, "list3.txt")


def test_shipped_signal_configs_and_filelist():
    cfg = load_config(ROOT / "config_signal1D.ini")
    paper = dict(data_type="signal", length_ngram=512, samples_epoch=100000, batch_size=500,
                 epochs=250, power_loss=2, dropout=0.0, n_bases=128, shifts=[64, -1],
                 rebuild=True, plot_interval=5, sr=22050)
    assert {k: cfg[k] for k in paper} == paper
    quick = load_config(ROOT / "config_signal1D_quick.ini")
    assert quick["data_type"] == "signal" and quick["n_bases"] == 128
    assert quick["samples_epoch"] * quick["epochs"] <= 500000
    files = read_filelist(ROOT / "filelist_signal.txt")
    assert len(files) == 1 and "jku" in str(files[0])


def test_train_py_signal_end_to_end(tmp_path):
    wav = write_wavs(tmp_path, [1.5])[0]
    flist = write_filelist(tmp_path / "list.txt", [wav.name])
    cfg = write_config(tmp_path / "tiny.ini", base=ROOT / "config_signal1D_quick.ini",
                       cache_dir="cache", samples_epoch=200, batch_size=50, epochs=1,
                       plot_interval=1, n_bases=8, length_ngram=64, shifts=(8, -1))
    proc = run_cli("train.py", "sig", flist, cfg, "--device", "cpu", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    run = tmp_path / "output" / "sig"
    state = torch.load(run / "model_complex_auto_signal.save", weights_only=True)
    assert tuple(state["layer.weight"].shape) == (16, 64)
    for name in ("filters", "reconstructions", "amplitudes_phases", "loss", "phase_pca"):
        assert (run / "plots" / f"{name}.png").stat().st_size > 0
    assert "last fifth of every file held out" in proc.stderr + proc.stdout
    assert (tmp_path / "cache").is_dir()


def test_a_missing_test_data_list_is_named_with_its_config(tmp_path):
    files = write_wavs(tmp_path, [0.5])
    cfg = dict(CFG, cache_dir=str(tmp_path / "c"), test_data=str(tmp_path / "none.txt"),
               config_path="sig.ini")
    with pytest.raises(DataError, match="^sig.ini: key 'test_data': .*none.txt: file list does "
                                        "not exist"):
        training_sets(files, cfg, "list.txt")


def test_test_data_that_shares_training_files_is_named(tmp_path, caplog):
    files = write_wavs(tmp_path, [0.5, 0.5])
    held = tmp_path / "held.txt"
    held.write_text(f"{files[0]}\n{files[1]}\n")
    cfg = dict(CFG, cache_dir=str(tmp_path / "c"), test_data=str(held))
    with caplog.at_level(logging.WARNING):
        training_sets(files, cfg, "list.txt")
    assert f"test_data {held}: 2 of its 2 files are also in the training list" in caplog.text
