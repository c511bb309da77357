"""The README's filter figures: the structure measures and ``python -m complex_auto.figures``."""
import logging
import shutil

import numpy as np
import pytest
import torch

from complex_auto import figures
from complex_auto.errors import ComplexAutoError
from complex_auto.figures import angular_purity, band_pass_stats, fourier_concentration
from complex_auto.model import ComplexAutoEncoder

from .conftest import ROOT, png_content, write_config


def gabor_bank(n=16, length=512, seed=0):
    g = np.random.default_rng(seed)
    t = np.arange(length)
    env = np.exp(-0.5 * ((t - length / 2) / (length / 8)) ** 2)
    f = g.uniform(0.02, 0.4, n)[:, None]
    return np.concatenate([env * np.cos(2 * np.pi * f * t), env * np.sin(2 * np.pi * f * t)])


def angular_modes():
    yy, xx = np.mgrid[:28, :28] - 13.5
    r, th = np.hypot(yy, xx), np.arctan2(-yy, xx)
    b = np.array([np.exp(-(r - r0) ** 2 / 4) * np.exp(1j * m * th)
                  for m in (-2, 1, 3) for r0 in (4, 8)]).reshape(6, -1)
    return np.concatenate([b.real, b.imag]), [-2, -2, 1, 1, 3, 3]


def test_band_pass_stats_tell_gabor_pairs_from_noise():
    conc, analytic = band_pass_stats(gabor_bank())
    assert conc.min() > 0.9 and analytic.min() > 0.95
    conc, analytic = band_pass_stats(np.random.default_rng(0).standard_normal((32, 512)))
    assert np.median(conc) < 0.2 and np.median(analytic) < 0.6


def test_angular_purity_finds_rotation_eigenvectors():
    w, m = angular_modes()
    purity, freq = angular_purity(w)
    assert purity.min() > 0.95 and list(freq) == m
    noise, _ = angular_purity(np.random.default_rng(0).standard_normal((40, 784)))
    assert np.median(noise) < 0.1


def test_fourier_concentration_finds_2d_fourier_components():
    rows, cols = np.mgrid[:12, :8]
    b = np.array([np.exp(2j * np.pi * (k * rows / 12 + (k % 3) * cols / 8)) for k in range(4)])
    w = np.concatenate([b.real.reshape(4, -1), b.imag.reshape(4, -1)])
    assert fourier_concentration(w, (12, 8)).min() > 0.99
    noise = fourier_concentration(np.random.default_rng(0).standard_normal((8, 96)), (12, 8))
    assert noise.max() < 0.5


def test_band_pass_stats_count_either_direction_of_rotation_as_analytic():
    bank = gabor_bank()
    n = len(bank) // 2
    conjugate = np.concatenate([bank[:n], -bank[n:]])      # re - i·im: negative frequencies
    _, analytic = band_pass_stats(conjugate)
    assert analytic.min() > 0.95


def test_angular_purity_weighs_each_ring_by_its_area():
    """The strongest angular frequency is the one with most energy per area: a mode on an
    outer ring outweighs a slightly stronger one on an inner ring of the same width (the
    polar grid samples every ring with as many points)."""
    yy, xx = np.mgrid[:28, :28] - 13.5
    r, th = np.hypot(yy, xx), np.arctan2(-yy, xx)
    b = (1.2 * np.exp(-(r - 3) ** 2 / 2) * np.exp(1j * th)
         + np.exp(-(r - 10) ** 2 / 2) * np.exp(2j * th)).reshape(1, -1)
    purity, freq = angular_purity(np.concatenate([b.real, b.imag]))
    assert list(freq) == [2] and 0.5 < purity[0] < 0.95


def test_fourier_concentration_is_a_share_at_the_spectrum_edges_too():
    """A component on frequency bin 0 has neighbours across the edge (the spectrum is
    circular): its concentration is 1, never more."""
    rows, cols = np.mgrid[:12, :8]
    b = np.array([np.exp(2j * np.pi * (k * rows / 12 - cols / 8)) for k in (0, 11)])
    b[1] += 0.3 * np.exp(2j * np.pi * (-2 * rows / 12))     # energy next to the peak, wrapped
    w = np.concatenate([b.real.reshape(2, -1), b.imag.reshape(2, -1)])
    conc = fourier_concentration(w, (12, 8))
    assert conc[0] == pytest.approx(1.0) and conc[1] <= 1.0 + 1e-12
    noise = fourier_concentration(np.random.default_rng(1).standard_normal((40, 96)), (12, 8))
    assert 0 < noise.min() and noise.max() <= 1.0


def save_model(folder, cfg_base, n_in, n_bases, learn_norm, data_type, config_name="config.ini",
               **changes):
    folder.mkdir(parents=True)
    write_config(folder / config_name, base=ROOT / cfg_base, n_bases=n_bases, **changes)
    torch.manual_seed(0)
    model = ComplexAutoEncoder(n_in, n_bases, learn_norm=learn_norm)
    path = folder / f"model_complex_auto_{data_type}.save"
    torch.save(model.state_dict(), path)
    return path


def test_figures_command_draws_what_exists_and_skips_what_does_not(tmp_path, caplog,
                                                                   saved_figures, monkeypatch):
    sig = save_model(tmp_path / "signal", "config_signal1D.ini", 64, 8, False, "signal",
                     length_ngram=64)
    mn = save_model(tmp_path / "mnist", "config_mnist.ini", 784, 8, True, "mnist")
    # A config named config*.ini beside the model is found too (its shape differs from the
    # shipped config_cqt.ini's, so loading would fail with the wrong one).
    cqt = save_model(tmp_path / "cqt", "config_cqt.ini", 12 * 4, 8, False, "cqt",
                     config_name="config_cqt.ini", n_bins=12, length_ngram=4)
    out = tmp_path / "images"
    args = figures.parser().parse_args([
        "--signal-model", str(sig), "--mnist-model", str(mn), "--cqt-model", str(cqt),
        "--out-dir", str(out)])
    with caplog.at_level(logging.INFO):
        assert figures.main(args) == 0
    for kind in ("cqt", "signal", "mnist"):
        width, height, std, colours = png_content(out / f"filters_{kind}.png")
        assert width >= 400 and height >= 300 and std > 5 and colours > 20, kind
    # signal: one panel per basis (8) and the two spectrum panels
    assert len(saved_figures["filters_signal.png"]) == 8 + 2
    # digits: every basis as a pair of 28 x 28 tiles (real, imaginary) in one mosaic
    tiles = [im for a in saved_figures["filters_mnist.png"] for im in a["images"]]
    assert sum(im.size for im in tiles) >= 2 * 8 * 28 * 28
    tiles = [im for a in saved_figures["filters_cqt.png"] for im in a["images"]]
    assert sum(im.size for im in tiles) >= 2 * 8 * 12 * 4
    assert "angular purity" in caplog.text and "band concentration" in caplog.text

    shutil.rmtree(out)
    caplog.clear()
    # a default model not trained yet is skipped; one named on the command line must exist
    monkeypatch.setitem(figures.DEFAULT_MODELS, "cqt", tmp_path / "missing.save")
    args = figures.parser().parse_args(["--only", "cqt", "--out-dir", str(out)])
    with caplog.at_level(logging.WARNING):
        assert figures.main(args) == 0
    assert "missing.save: model not found; skipping" in caplog.text
    args = figures.parser().parse_args(["--cqt-model", str(tmp_path / "typo.save"),
                                        "--only", "cqt", "--out-dir", str(out)])
    with pytest.raises(ComplexAutoError, match=r"--cqt-model .*typo\.save: model file does not"):
        figures.main(args)
    assert not (out / "filters_cqt.png").exists()


@pytest.mark.parametrize("kind", ["cqt", "mnist"])
def test_figures_show_the_most_structured_bases_first(kind, tmp_path, monkeypatch):
    from complex_auto import plots

    if kind == "cqt":
        path = save_model(tmp_path / kind, "config_cqt.ini", 12 * 4, 8, False, kind,
                          n_bins=12, length_ngram=4)
    else:
        path = save_model(tmp_path / kind, "config_mnist.ini", 784, 8, True, kind)
    weight, shape, _ = figures.load_weight(kind, path)
    measure = (fourier_concentration(weight, shape) if kind == "cqt"
               else angular_purity(weight)[0])
    shown = {}
    monkeypatch.setattr(plots, "plot_filters", lambda *a, **kw: shown.update(kw))
    figures.draw(kind, path, tmp_path / "f.png")
    assert sorted(shown["order"]) == list(range(8))
    assert np.all(np.diff(measure[shown["order"]]) <= 0)
    assert measure[shown["order"][0]] > np.median(measure)


def test_a_config_of_another_data_type_is_an_error(tmp_path):
    sig = save_model(tmp_path / "signal", "config_signal1D.ini", 64, 8, False, "signal",
                     length_ngram=64)
    with pytest.raises(ComplexAutoError, match="data_type is 'signal'"):
        figures.draw("mnist", sig, tmp_path / "x.png", config_path=tmp_path / "signal" / "config.ini")


def shipped_models():
    """Every model folder under models/ with a trained model in it."""
    return sorted(d for d in (ROOT / "models").iterdir()
                  if d.is_dir() and list(d.glob("model_complex_auto_*.save")))


def test_the_shipped_models_fit_their_configs():
    kinds = {d.name: next(d.glob("model_complex_auto_*.save")) for d in shipped_models()}
    assert {"cqt_jku", "signal", "mnist"} <= set(kinds)      # the README's three figures
    for name, path in kinds.items():
        kind = path.stem.rsplit("_", 1)[1]
        w, shape, cfg = figures.load_weight(kind, path)
        assert w.shape[1] == int(np.prod(shape)), name


def test_shipped_configs_say_how_long_their_model_trained():
    from complex_auto.config import load_config

    for d in shipped_models():
        config = next(p for p in sorted(d.glob("config*.ini")))
        rows = (d / "train_log.csv").read_text().splitlines()[1:]
        assert int(rows[-1].split(",")[0]) == len(rows), d.name
        assert load_config(config)["epochs"] == len(rows), f"{config}: epochs"


@pytest.mark.parametrize("out_dir, message", [
    ("afile", "--out-dir afile: a file, not a folder"),          # was FileExistsError
    ("afile/sub", "--out-dir afile/sub: afile is a file, not a folder"),
    ("", "--out-dir '': empty; give a folder, e.g. images"),     # drew into the current folder
])
def test_a_bad_out_dir_is_one_line_before_drawing(tmp_path, monkeypatch, capsys, out_dir,
                                                  message):
    from complex_auto import cli

    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("")
    with pytest.raises(SystemExit) as exit_:
        cli.run(figures.main, figures.parser(), [
            "--only", "signal", "--out-dir", out_dir,
            "--signal-model", str(ROOT / "models/signal/model_complex_auto_signal.save")])
    assert exit_.value.code == 1
    assert capsys.readouterr().err == f"error: {message}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]
