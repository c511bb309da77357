"""The Complex Autoencoder: shapes, exact reconstruction, invariance of the cross loss."""
import numpy as np
import pytest
import torch

from complex_auto.model import ComplexAutoEncoder, pair_loss


def fourier_model(n):
    """A CAE whose bases are the 1-D Fourier pairs of length ``n`` (frequencies 1..n/2-1)."""
    t = np.arange(n)
    k = np.arange(1, n // 2)
    re = np.cos(2 * np.pi * k[:, None] * t / n) * np.sqrt(2 / n)
    im = np.sin(2 * np.pi * k[:, None] * t / n) * np.sqrt(2 / n)
    model = ComplexAutoEncoder(n, len(k))
    model.layer.weight.data = torch.tensor(np.vstack([re, im]), dtype=torch.float32)
    return model.eval(), np.vstack([re, im])


def test_shapes():
    model = ComplexAutoEncoder(60, 7)
    x = torch.randn(5, 60)
    amp, phase = model.encode(x)
    assert amp.shape == phase.shape == (5, 7)
    assert model.decode(amp, phase).shape == (5, 60)
    y_hat, x_hat, ax, ay = model(x, x)
    assert y_hat.shape == x_hat.shape == (5, 60) and ax.shape == ay.shape == (5, 7)
    assert model.weight.shape == (14, 60)
    assert (amp >= 0).all() and (phase.abs() <= np.pi).all()


def test_decode_encode_is_identity_for_orthonormal_complex_pairs():
    n_bases, n_in = 16, 32
    q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((n_in, n_in)))
    model = ComplexAutoEncoder(n_in, n_bases).eval()
    model.layer.weight.data = torch.tensor(q.T, dtype=torch.float32)  # orthonormal rows
    x = torch.randn(10, n_in)
    assert torch.allclose(model.decode(*model.encode(x)), x, atol=1e-5)


def test_phase_convention_is_atan2_re_im():
    model = ComplexAutoEncoder(4, 1).eval()
    model.layer.weight.data = torch.tensor([[1.0, 0, 0, 0], [0, 1.0, 0, 0]])
    amp, phase = model.encode(torch.tensor([[3.0, 4.0, 0, 0]]))
    assert amp.item() == pytest.approx(5.0)
    assert phase.item() == pytest.approx(np.arctan2(3.0, 4.0))


def test_cross_loss_is_zero_for_a_transformation_the_bases_represent():
    n = 32
    model, w = fourier_model(n)
    g = np.random.default_rng(1)
    x = g.standard_normal((8, w.shape[0])) @ w          # in the span of the bases
    y = np.roll(x, 5, axis=1)                            # circular shift: a phase rotation
    x, y = (torch.tensor(a, dtype=torch.float32) for a in (x, y))
    loss, rec = pair_loss(model, x, y, power=2)
    assert rec.item() < 1e-10
    ax, _ = model.encode(x)
    ay, _ = model.encode(y)
    assert torch.allclose(ax, ay, atol=1e-4)
    # while an unrelated pair is not free
    z = torch.tensor(g.standard_normal((8, w.shape[0])) @ w, dtype=torch.float32)
    assert pair_loss(model, x, z, power=2)[1].item() > 1e-3


def test_dropout_only_in_training_and_rate_kept():
    model = ComplexAutoEncoder(1000, 4, dropout=0.5)
    x = torch.ones(200, 1000)
    model.train()
    dropped = model._dropped(x)
    frac = (dropped == 0).float().mean().item()
    assert 0.48 < frac < 0.52
    assert torch.allclose(dropped[dropped != 0], torch.tensor(2.0))
    model.eval()
    assert torch.equal(model._dropped(x), x)
    model = ComplexAutoEncoder(1000, 4, dropout=0.3).train()   # not a multiple of 1/256
    frac = (model._dropped(x) == 0).float().mean().item()
    assert 0.28 < frac < 0.32


def test_learn_norm_and_set_to_norm():
    model = ComplexAutoEncoder(20, 3, learn_norm=True)
    assert torch.allclose(model.row_norms(), torch.tensor(0.43), atol=1e-5)
    model = ComplexAutoEncoder(20, 3)
    model.set_to_norm(0.7)
    assert torch.allclose(model.row_norms(), torch.tensor(0.7), atol=1e-5)
    before = model.layer.weight.clone()
    model.set_to_norm(-1)
    assert torch.equal(before, model.layer.weight)


def test_penalties_add_to_the_loss():
    torch.manual_seed(0)
    model = ComplexAutoEncoder(20, 3)
    x, y = torch.randn(4, 20), torch.randn(4, 20)
    base, rec = pair_loss(model, x, y)
    assert torch.isclose(base, rec)
    norms = model.row_norms()
    with_norm, rec2 = pair_loss(model, x, y, norm_loss=2.0, equal_norm_loss=3.0)
    assert torch.isclose(rec2, rec)
    assert torch.isclose(with_norm, rec + 2.0 * norms.mean() + 3.0 * norms.var(), atol=1e-6)


@pytest.mark.parametrize("power", [1, 2])
def test_reconstruction_loss_is_the_mean_power_of_both_cross_errors(power):
    """CQT models train on absolute errors (power 1), signals and digits on squared ones:
    both cross reconstructions count, each with the config's power."""
    torch.manual_seed(0)
    model = ComplexAutoEncoder(20, 3)
    x, y = torch.randn(4, 20), torch.randn(4, 20)
    y_hat, x_hat, _, _ = model(x, y)
    want = ((y - y_hat).abs() ** power).mean() + ((x - x_hat).abs() ** power).mean()
    total, rec = pair_loss(model, x, y, power=power)
    assert torch.isclose(rec, want) and torch.isclose(total, want)


def test_gradients_finite_at_zero_input():
    model = ComplexAutoEncoder(10, 3).train()
    x = torch.zeros(2, 10)
    loss, _ = pair_loss(model, x, x)
    loss.backward()
    assert torch.isfinite(model.layer.weight.grad).all()
