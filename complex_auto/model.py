"""The Complex Autoencoder (Lattner, Dörfler & Arzt, ISMIR 2019).

One bias-free linear map ``W`` of shape ``(2 * n_bases, n_in)`` holds ``n_bases`` complex basis
functions: rows ``0..n-1`` are their real parts, rows ``n..2n-1`` their imaginary parts.

* encode: ``re = W[:n] x``, ``im = W[n:] x``, amplitude ``a = sqrt(re² + im²)``,
  phase ``φ = atan2(re, im)``;
* decode: ``x̂ = W[:n]ᵀ (a sin φ) + W[n:]ᵀ (a cos φ)``;
* training on pairs ``(x, y)`` reconstructs each item from its own phase and the other's
  amplitude, so the amplitudes become invariant to the transformation between them and the
  phases carry it.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .errors import ParameterError

_EPS = 1e-8


class ComplexAutoEncoder(nn.Module):
    """Complex basis functions learned from pairs.

    Parameters
    ----------
    n_in : int
        Input size (``n_bins * length_ngram`` for CQT n-grams, ``length_ngram`` for signals,
        784 for digits).
    n_bases : int
        Number of complex basis functions.
    dropout : float
        Input dropout rate, applied while training only.
    learn_norm : bool
        Renormalise every basis row to one learned scalar norm (initially 0.43) inside the
        forward pass.
    init : {'random', 'fourier'}
        Initial bases: Gaussian (std ``1 / sqrt(n_in)``), or the lowest-frequency 2-D Fourier
        gratings of an input of shape ``shape`` (see :func:`fourier_bases`).
    shape : tuple of int, optional
        ``(n_bins, length_ngram)``, the 2-D shape of an input, for ``init='fourier'``.
    """

    def __init__(self, n_in, n_bases, dropout=0.0, learn_norm=False, init="random", shape=None):
        super().__init__()
        self.n_in = n_in
        self.n_bases = n_bases
        self.layer = nn.Linear(n_in, 2 * n_bases, bias=False)
        if init == "fourier":
            if shape is None or len(shape) != 2 or shape[0] * shape[1] != n_in:
                raise ParameterError(f"init='fourier' needs the 2-D input shape, got {shape}")
            with torch.no_grad():
                self.layer.weight.copy_(fourier_bases(shape, n_bases))
        elif init == "random":
            nn.init.normal_(self.layer.weight, std=1.0 / math.sqrt(n_in))
        else:
            raise ParameterError(f"unknown init '{init}' (random or fourier)")
        self.drop = nn.Dropout(dropout)
        self.learn_norm = learn_norm
        if learn_norm:
            self.norm_val = nn.Parameter(torch.tensor(0.43))

    @property
    def weight(self):
        """The effective basis matrix ``W``, shape ``(2 * n_bases, n_in)``."""
        w = self.layer.weight
        if self.learn_norm:
            w = self.norm_val * w / (w.norm(dim=1, keepdim=True) + _EPS)
        return w

    def project(self, x):
        """Real and imaginary coefficients ``(re, im)``, each ``(batch, n_bases)``.

        Input dropout (training only) is applied here.
        """
        coef = F.linear(self._dropped(x), self.weight)
        return coef[:, :self.n_bases], coef[:, self.n_bases:]

    def _dropped(self, x):
        p = self.drop.p
        if not self.training or p == 0:
            return x
        levels = p * 256
        if levels != int(levels):
            return self.drop(x)
        # Same distribution as nn.Dropout when p is a multiple of 1/256 (0.5 is), at a
        # fraction of its cost: one random byte per input instead of a float draw.
        noise = torch.randint(0, 256, x.shape, dtype=torch.uint8, device=x.device)
        return x.masked_fill(noise < int(levels), 0.0) * (1.0 / (1.0 - p))

    def encode(self, x):
        """Amplitudes and phases of ``x``.

        Parameters
        ----------
        x : torch.Tensor, shape (batch, n_in)

        Returns
        -------
        amplitude, phase : torch.Tensor, each (batch, n_bases)
            Phase in radians, ``atan2(re, im)``.
        """
        re, im = self.project(x)
        return torch.sqrt(re ** 2 + im ** 2), torch.atan2(re, im)

    def decode(self, amplitude, phase):
        """Signal from amplitudes and phases, shape ``(batch, n_in)``."""
        coef = torch.cat([amplitude * torch.sin(phase), amplitude * torch.cos(phase)], dim=1)
        return coef @ self.weight

    def forward(self, x, y):
        """Cross reconstructions of a pair.

        Returns
        -------
        y_hat, x_hat : torch.Tensor, each (batch, n_in)
            ``dec(a_x, φ_y)`` and ``dec(a_y, φ_x)``.
        amp_x, amp_y : torch.Tensor, each (batch, n_bases)
        """
        n = x.shape[0]
        re, im = self.project(torch.cat([x, y]))
        # sin φ = re / a and cos φ = im / a, written without atan2 so that the gradient stays
        # finite where an amplitude is zero.
        amp = torch.sqrt(re ** 2 + im ** 2 + _EPS)
        unit_re, unit_im = re / amp, im / amp
        amp_other = torch.cat([amp[n:], amp[:n]])  # (a_y, a_x) against (φ_x, φ_y)
        coef = torch.cat([amp_other * unit_re, amp_other * unit_im], dim=1)
        rec = coef @ self.weight
        x_hat, y_hat = rec[:n], rec[n:]
        return y_hat, x_hat, amp[:n], amp[n:]

    def row_norms(self):
        """Norm of every row of ``W``, shape ``(2 * n_bases,)``."""
        return self.weight.norm(dim=1)

    @torch.no_grad()
    def set_to_norm(self, value):
        """Rescale every row of the raw weight to norm ``value`` (no-op when ``value < 0``)."""
        if value < 0:
            return
        w = self.layer.weight
        w.mul_(value / (w.norm(dim=1, keepdim=True) + _EPS))


def fourier_bases(shape, n_bases):
    """The ``n_bases`` lowest-frequency complex 2-D Fourier gratings of a ``shape`` input.

    Basis ``k`` has real part ``cos 2π(u b / B + v t / T)`` and imaginary part
    ``sin 2π(u b / B + v t / T)`` over bins ``b < B`` and frames ``t < T``, so its amplitude is
    the magnitude of the input's 2-D DFT at ``(u, v)``: invariant to circular shifts in pitch
    and time, the invariance the pair training seeks. Frequencies are taken in the order of
    ``(u / B)² + (v / T)²`` (ties by ``u``, then ``v``), one of each ``±(u, v)`` pair, DC
    excluded; rows are scaled to norm 1, that of the random initialisation.

    Parameters
    ----------
    shape : (int, int)
        ``(B, T)``: bins and frames; inputs are flattened bin-major.
    n_bases : int
        At most ``(B' T' - 1) / 2``, with ``B'`` and ``T'`` the odd numbers ``B`` and ``T``
        or one below them: the Nyquist frequencies of an even side are left out, as their
        gratings have no imaginary part (24 for an 8 × 8 input, 1844 for 120 × 32).

    Returns
    -------
    torch.Tensor, shape (2 * n_bases, B * T)
        Real parts in rows ``0..n_bases-1``, imaginary parts below.
    """
    n_b, n_t = shape
    cand = [(u, v) for u in range(0, n_b // 2 + 1) for v in range(-(n_t // 2), n_t // 2 + 1)
            if (u, v) != (0, 0) and (u > 0 or v > 0)
            and (u < n_b / 2 or u == 0) and abs(v) < n_t / 2]
    if n_bases > len(cand):
        raise ParameterError(f"{n_bases} Fourier bases requested, a {n_b}x{n_t} input has "
                             f"{len(cand)}")
    cand.sort(key=lambda f: ((f[0] / n_b) ** 2 + (f[1] / n_t) ** 2, f[0], f[1]))
    freq = torch.tensor(cand[:n_bases], dtype=torch.float64)
    b = torch.arange(n_b, dtype=torch.float64)
    t = torch.arange(n_t, dtype=torch.float64)
    arg = 2 * math.pi * (freq[:, :1, None] * b[None, :, None] / n_b
                         + freq[:, 1:, None] * t[None, None, :] / n_t)   # (n_bases, B, T)
    w = torch.cat([torch.cos(arg), torch.sin(arg)]).reshape(2 * n_bases, -1)
    return (w / w.norm(dim=1, keepdim=True)).float()


def pair_loss(model, x, y, power=1, norm_loss=0.0, equal_norm_loss=0.0,
              sparsity_reg=0.0, weight_reg=0.0):
    """The CAE training loss of a batch of pairs.

    ``mean|y - dec(a_x, φ_y)|^p + mean|x - dec(a_y, φ_x)|^p`` plus optional penalties:
    ``norm_loss`` × mean row norm, ``equal_norm_loss`` × variance of the row norms,
    ``sparsity_reg`` × mean amplitude, ``weight_reg`` × mean squared weight.

    Parameters
    ----------
    model : ComplexAutoEncoder
    x, y : torch.Tensor, each (batch, n_in)
    power : int
        The exponent ``p`` (1 for CQT, 2 for signals and digits).
    norm_loss, equal_norm_loss, sparsity_reg, weight_reg : float
        Weights of the penalties above (0: off).

    Returns
    -------
    total, reconstruction : torch.Tensor (scalars)
        The loss to minimise and its reconstruction part alone (what is logged).
    """
    y_hat, x_hat, amp_x, amp_y = model(x, y)
    rec = (y - y_hat).abs().pow(power).mean() + (x - x_hat).abs().pow(power).mean()
    total = rec
    if norm_loss or equal_norm_loss:
        norms = model.row_norms()
        total = total + norm_loss * norms.mean() + equal_norm_loss * norms.var()
    if sparsity_reg:
        total = total + sparsity_reg * 0.5 * (amp_x.mean() + amp_y.mean())
    if weight_reg:
        total = total + weight_reg * model.layer.weight.pow(2).mean()
    return total, rec
