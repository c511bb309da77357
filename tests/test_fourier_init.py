"""The ``init`` config key: random (the paper's) or 2-D Fourier gratings."""
from pathlib import Path

import numpy as np
import pytest
import torch

from complex_auto.config import load_config
from complex_auto.errors import ConfigError
from complex_auto.model import ComplexAutoEncoder, fourier_bases
from complex_auto.training import build_model

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted(ROOT.glob("config_*.ini")) + sorted(ROOT.glob("models/*/config*.ini"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_config_loads(path):
    cfg = load_config(path)
    assert cfg["init"] in ("random", "fourier")


def test_configs_without_init_keep_the_random_initialisation():
    cfg = load_config(ROOT / "config_cqt_quick.ini")
    assert "init" not in (ROOT / "config_cqt_quick.ini").read_text()
    assert cfg["init"] == "random"
    torch.manual_seed(0)
    w = build_model(cfg, cfg["n_bins"] * cfg["length_ngram"]).layer.weight
    torch.manual_seed(0)
    ref = ComplexAutoEncoder(cfg["n_bins"] * cfg["length_ngram"], cfg["n_bases"]).layer.weight
    assert torch.equal(w, ref)


def test_piano_config_trains_from_fourier_gratings():
    cfg = load_config(ROOT / "models/cqt_piano/config_cqt.ini")
    assert cfg["init"] == "fourier"
    model = build_model(cfg, cfg["n_bins"] * cfg["length_ngram"])
    assert torch.allclose(model.layer.weight, fourier_bases((cfg["n_bins"], cfg["length_ngram"]),
                                                            cfg["n_bases"]))


def test_fourier_amplitudes_ignore_circular_shifts_and_phases_carry_them():
    shape = (24, 8)
    model = ComplexAutoEncoder(24 * 8, 40, init="fourier", shape=shape)
    x = torch.randn(3, *shape)
    a, p = model.encode(x.reshape(3, -1))
    shifted = torch.roll(x, shifts=(5, 3), dims=(1, 2))
    a2, p2 = model.encode(shifted.reshape(3, -1))
    assert torch.allclose(a, a2, atol=1e-5)
    assert not torch.allclose(p, p2, atol=1e-2)
    # A random initialisation has no such invariance.
    rand = ComplexAutoEncoder(24 * 8, 40)
    r, _ = rand.encode(x.reshape(3, -1))
    r2, _ = rand.encode(shifted.reshape(3, -1))
    assert not torch.allclose(r, r2, atol=1e-2)


def test_fourier_bases_are_orthonormal_low_frequencies():
    w = fourier_bases((24, 8), 40)
    assert w.shape == (80, 24 * 8)
    assert torch.allclose(w @ w.T, torch.eye(80), atol=1e-5)
    # The first basis is the slowest grating: one cycle over 24 bins or 8 frames at most.
    grid = w[0].reshape(24, 8)
    assert torch.allclose(grid[:, 0], grid[:, 1], atol=1e-6) or torch.allclose(grid[0], grid[1], atol=1e-6)
    with pytest.raises(ValueError, match="Fourier bases"):
        fourier_bases((4, 4), 9)


def test_fourier_init_needs_2d_inputs(tmp_path):
    text = (ROOT / "config_signal1D_quick.ini").read_text() + "\ninit = fourier\n"
    path = tmp_path / "signal.ini"
    path.write_text(text)
    with pytest.raises(ConfigError, match="signal.ini: key 'init'"):
        load_config(path)
    path.write_text(text.replace("init = fourier", "init = wavelet"))
    with pytest.raises(ConfigError, match="key 'init' = 'wavelet'"):
        load_config(path)


def test_figure_measures_how_far_training_took_the_gratings():
    from complex_auto.figures import start_similarity

    shape = (24, 8)
    start = ComplexAutoEncoder(24 * 8, 40, init="fourier", shape=shape).weight.detach().numpy()
    assert np.allclose(start_similarity(3.0 * start, shape), 1.0, atol=1e-5)   # scale ignored
    rand = ComplexAutoEncoder(24 * 8, 40).weight.detach().numpy()
    assert np.abs(start_similarity(rand, shape)).mean() < 0.2
