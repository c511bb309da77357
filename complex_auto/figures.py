"""The filter figures of the README, drawn from the project's own trained models.

``python -m complex_auto.figures`` writes

* ``images/filters_cqt.png``    from ``models/cqt_piano/model_complex_auto_cqt.save`` (the
  model ``run_batch_audio.sh --pretrained`` uses),
* ``images/filters_signal.png`` from ``models/signal/model_complex_auto_signal.save``,
* ``images/filters_mnist.png``  from ``models/mnist/model_complex_auto_mnist.save``.

Each model is read with the config stored beside it (``config.ini``, else ``config*.ini``;
else the shipped ``config_cqt.ini``, ``config_signal1D.ini`` or ``config_mnist.ini``), which
gives the input shape. A missing default model is skipped with a warning, so the other figures
are still drawn; a model named on the command line must exist.

The figures also print a measure of the structure the paper describes:

* 1-D bases: how band-pass they are (share of a basis's spectral energy within ±5 % of the
  Nyquist frequency around its peak) and how analytic (share of the energy of ``re + i·im`` on
  one side of the spectrum: 0.5 for unrelated real and imaginary parts, 1 for a complex Gabor
  pair in quadrature);
* CQT bases: how close each is to one 2-D Fourier component (share of the energy of its 2-D
  spectrum next to the peak); the figure shows the 64 closest;
* digit bases: how close each complex basis is to an eigenvector of rotation, i.e. to an
  angular Fourier mode ``f(r)·e^{imθ}`` (share of its energy in its strongest angular
  frequency ``m``: 1 for a pure mode, about 0.05 for random filters).
"""
import argparse
import logging
from pathlib import Path

import numpy as np

from . import cli
from .errors import ComplexAutoError

log = logging.getLogger(__name__)

KINDS = ("cqt", "signal", "mnist")
DEFAULT_MODELS = {
    "cqt": Path("models/cqt_piano/model_complex_auto_cqt.save"),
    "signal": Path("models/signal/model_complex_auto_signal.save"),
    "mnist": Path("models/mnist/model_complex_auto_mnist.save"),
}
SHIPPED_CONFIGS = {"cqt": Path("config_cqt.ini"), "signal": Path("config_signal1D.ini"),
                   "mnist": Path("config_mnist.ini")}
TITLES = {
    "cqt": "2-D complex basis functions learned from CQT n-grams (pitch and time shifts)",
    "signal": "1-D complex basis functions learned from raw audio (time shifts)",
    "mnist": "Complex basis functions learned from rotated digits",
}
CQT_SHOWN = 64  #: CQT bases in the figure (all 256 tiles of 120×32 make an unreadable 4 MB PNG)


# -- measures of structure --------------------------------------------------------------------
def band_pass_stats(weight, width=0.05):
    """Per-basis band concentration and analyticity of 1-D bases.

    Parameters
    ----------
    weight : np.ndarray, shape (2 * n_bases, length)
    width : float
        Half-width of the band around the peak, as a fraction of the Nyquist frequency.

    Returns
    -------
    concentration : np.ndarray, shape (n_bases,)
        Share of the energy of ``|F re|² + |F im|²`` within ``±width`` of its peak.
    analytic : np.ndarray, shape (n_bases,)
        ``max(E+, E-) / (E+ + E-)`` for the spectrum of ``re + i·im`` (0.5 … 1).
    """
    from .plots import basis_spectra

    n = weight.shape[0] // 2
    _, spec = basis_spectra(weight)
    power = spec ** 2
    bins = power.shape[1]
    half = max(1, int(round(width * (bins - 1))))
    peak = power.argmax(axis=1)
    idx = np.arange(bins)[None, :]
    near = np.abs(idx - peak[:, None]) <= half
    concentration = (power * near).sum(axis=1) / (power.sum(axis=1) + 1e-20)
    full = np.abs(np.fft.fft(weight[:n] + 1j * weight[n:2 * n], axis=1)) ** 2
    length = weight.shape[1]
    pos = full[:, 1:(length + 1) // 2].sum(axis=1)
    neg = full[:, length // 2 + 1:].sum(axis=1)
    analytic = np.maximum(pos, neg) / (pos + neg + 1e-20)
    return concentration, analytic


def angular_purity(weight, radius=13.0, n_angles=64):
    """How close every complex 28×28 basis is to an eigenvector of rotation.

    An eigenvector of every rotation is an angular Fourier mode, ``f(r)·e^{imθ}`` for one
    integer ``m``. The basis ``re + i·im`` is resampled on a polar grid (radii 0.5 … ``radius``
    pixels around the image centre, ``n_angles`` angles, bilinear), Fourier transformed along
    the angle, and its energy summed per angular frequency ``m`` (weighted by radius, i.e. by
    area).

    Parameters
    ----------
    weight : np.ndarray, shape (2 * n_bases, 784)
    radius : float
        Pixels from the centre that count (the corners are lost under rotation).
    n_angles : int
        Angles of the polar grid, i.e. the angular frequencies told apart.

    Returns
    -------
    purity : np.ndarray, shape (n_bases,)
        Share of the energy in the strongest angular frequency: 1 for an angular Fourier
        mode, about 0.05 for random filters.
    frequency : np.ndarray of int, shape (n_bases,)
        That angular frequency ``m`` (signed: counter-clockwise phase progression is positive).
    """
    from scipy.ndimage import map_coordinates

    from .mnist_pairs import SIDE

    n = weight.shape[0] // 2
    c = (SIDE - 1) / 2
    r = np.arange(0.5, radius + 1e-9, 0.5)
    th = np.arange(n_angles) * 2 * np.pi / n_angles
    rr, tt = np.meshgrid(r, th, indexing="ij")
    coords = [c - rr * np.sin(tt), c + rr * np.cos(tt)]  # image rows grow downwards
    purity, freq = np.zeros(n), np.zeros(n, dtype=int)
    m = np.round(np.fft.fftfreq(n_angles, 1.0 / n_angles)).astype(int)
    for k in range(n):
        re = map_coordinates(weight[k].reshape(SIDE, SIDE), coords, order=1)
        im = map_coordinates(weight[n + k].reshape(SIDE, SIDE), coords, order=1)
        energy = (np.abs(np.fft.fft(re + 1j * im, axis=1)) ** 2 * r[:, None]).sum(axis=0)
        purity[k] = energy.max() / (energy.sum() + 1e-20)
        freq[k] = m[energy.argmax()]
    return purity, freq


def fourier_concentration(weight, shape):
    """How close every complex 2-D basis is to one 2-D Fourier component.

    Parameters
    ----------
    weight : np.ndarray, shape (2 * n_bases, n_bins * length_ngram)
    shape : tuple
        ``(n_bins, length_ngram)``, the bin-major layout of an input.

    Returns
    -------
    np.ndarray, shape (n_bases,)
        Share of the energy of the 2-D spectrum of ``re + i·im`` in the 3×3 bins around its
        peak (circularly): 1 for a pure complex exponential on a bin, about ``9 / n_in`` for
        white noise.
    """
    n = weight.shape[0] // 2
    b = (weight[:n] + 1j * weight[n:2 * n]).reshape(n, *shape)
    power = np.abs(np.fft.fft2(b)) ** 2
    flat = power.reshape(n, -1)
    pr, pc = np.unravel_index(flat.argmax(axis=1), shape)
    near = np.zeros(n)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            near += power[np.arange(n), (pr + dr) % shape[0], (pc + dc) % shape[1]]
    return near / (flat.sum(axis=1) + 1e-20)


def start_similarity(weight, shape):
    """Cosine between every row of a model trained from ``init = fourier`` and its start.

    Parameters
    ----------
    weight : np.ndarray, shape (2 * n_bases, n_bins * length_ngram)
    shape : tuple
        ``(n_bins, length_ngram)``.

    Returns
    -------
    np.ndarray, shape (2 * n_bases,)
        1 for a row still equal (up to scale) to its initial grating, about 0 for one that
        training replaced.
    """
    from .model import fourier_bases

    start = fourier_bases(shape, weight.shape[0] // 2).numpy()
    return np.einsum("ij,ij->i", weight, start) / (np.linalg.norm(weight, axis=1) + 1e-20)


# -- loading and drawing ----------------------------------------------------------------------
def model_config(kind, model_path, config_path=None):
    """The config for a model: ``config_path``, else the one beside it
    (:func:`~complex_auto.config.config_beside`), else the shipped one.

    Parameters
    ----------
    kind : {'cqt', 'signal', 'mnist'}
        The figure (:data:`KINDS`); the config's ``data_type`` must be the same.
    model_path : str or Path
        The saved model, whose folder is searched for its config.
    config_path : str or Path, optional
        A config that wins over the one beside the model.

    Returns
    -------
    dict
        The config, as :func:`~complex_auto.config.load_config` reads it.

    Raises
    ------
    ComplexAutoError
        When the config's ``data_type`` is not ``kind``, or it cannot be read.
    """
    from .config import config_beside, load_config

    if config_path is None:
        config_path = config_beside(model_path) or SHIPPED_CONFIGS[kind]
    cfg = load_config(config_path)
    if cfg["data_type"] != kind:
        raise ComplexAutoError(f"{config_path}: data_type is '{cfg['data_type']}', but the "
                               f"model is drawn as '{kind}'")
    return cfg


def load_weight(kind, model_path, config_path=None):
    """Effective basis matrix of a saved model and its input shape.

    Parameters
    ----------
    kind, model_path, config_path
        As for :func:`model_config`.

    Returns
    -------
    weight : np.ndarray, shape (2 * n_bases, n_in)
        With the learned norm applied when the model has one.
    shape : tuple
        Input shape: ``(n_bins, length_ngram)``, ``(length_ngram,)`` or ``(28, 28)``.
    cfg : dict
        The model's config (:func:`model_config`).

    Raises
    ------
    ComplexAutoError
        When the config does not fit ``kind``, or the model is missing, unreadable or of
        other sizes than its config.
    """
    import torch

    from .data import input_shape
    from .training import load_model

    cfg = model_config(kind, model_path, config_path)
    shape = input_shape(cfg)
    model = load_model(cfg, int(np.prod(shape)), model_path)
    with torch.no_grad():
        return model.weight.detach().cpu().numpy(), shape, cfg


def draw(kind, model_path, out_path, config_path=None):
    """Draw one figure; returns a one-line summary of the structure found.

    Parameters
    ----------
    kind : {'cqt', 'signal', 'mnist'}
        Which figure, and which measure of structure it prints: :func:`band_pass_stats`,
        :func:`angular_purity` or :func:`fourier_concentration` (with
        :func:`start_similarity` for a model trained from ``init = fourier``).
    model_path : str or Path
        The saved model.
    out_path : str or Path
        The PNG to write.
    config_path : str or Path, optional
        As for :func:`model_config`.

    Returns
    -------
    str
        The number of bases and the median of the measure over them (with a few other
        figures of it), for the log.
    """
    from .plots import plot_filter_curves, plot_filters

    weight, shape, cfg = load_weight(kind, model_path, config_path)
    n = weight.shape[0] // 2
    if kind == "signal":
        plot_filter_curves(weight, out_path, TITLES[kind], sr=cfg["sr"])
        conc, analytic = band_pass_stats(weight)
        return (f"{n} bases: median band concentration {np.median(conc):.2f}, "
                f"median analyticity {np.median(analytic):.2f}")
    if kind == "mnist":
        purity, _ = angular_purity(weight)
        # Closest to rotation eigenvectors first, so the structure is seen at a glance.
        plot_filters(weight, shape, out_path, f"{TITLES[kind]}\nall {n}, closest to rotation "
                     "eigenvectors (angular Fourier modes) first",
                     order=np.argsort(-purity, kind="stable"), pairs=True, dpi=90)
        return (f"{n} bases: median angular purity {np.median(purity):.2f} "
                f"(random filters: about 0.05), {np.mean(purity > 0.5):.0%} above 0.5")
    conc = fourier_concentration(weight, shape)
    k = min(n, CQT_SHOWN)
    title, moved = TITLES[kind], ""
    if cfg.get("init") == "fourier":
        # Gratings from a Fourier start say little by themselves: show how far training took them.
        cos = start_similarity(weight, shape)
        title += f",\ntrained from 2-D Fourier gratings (mean cosine to its start {np.mean(cos):.2f})"
        moved = f", mean cosine to the initial gratings {np.mean(cos):.3f}"
    plot_filters(weight, shape, out_path, f"{title}\nthe {k} of {n} bases closest to 2-D "
                 "Fourier components (low bins at the bottom of each tile)",
                 order=np.argsort(-conc, kind="stable"), max_filters=k, pairs=True)
    return (f"{n} bases of {shape[0]} bins x {shape[1]} frames: median 2-D Fourier "
            f"concentration {np.median(conc):.2f}{moved}")


def parser():
    """The command line of ``python -m complex_auto.figures``."""
    p = argparse.ArgumentParser(
        prog="python -m complex_auto.figures",
        description="Draw the README's filter figures (images/filters_{cqt,signal,mnist}.png) "
                    "from the trained models under models/. A default model that is missing "
                    "is skipped with a warning; a model named on the command line must exist.")
    for kind in KINDS:
        p.add_argument(f"--{kind}-model", type=Path, default=None, metavar="PATH",
                       help=f"{kind} model (default: {DEFAULT_MODELS[kind]}, skipped with a "
                            "warning when missing)")
        p.add_argument(f"--{kind}-config", type=Path, default=None, metavar="PATH",
                       help=f"its config (default: config.ini or config*.ini beside the "
                            f"model, else {SHIPPED_CONFIGS[kind]})")
    # a str, not a Path: Path('') is '.', which would hide an empty --out-dir
    p.add_argument("--out-dir", default="images", metavar="DIR",
                   help="where the PNGs go, made when missing (default: images)")
    p.add_argument("--only", nargs="+", choices=KINDS, default=list(KINDS),
                   help="draw only these figures")
    cli.add_verbose(p)
    return p


def check_out_dir(path):
    """Refuse an ``--out-dir`` that is empty, a file, or below a file, before any drawing.

    Parameters
    ----------
    path : str or Path
        The folder (made when missing).

    Raises
    ------
    ComplexAutoError
        Naming ``--out-dir`` and what is wrong.
    """
    if not str(path).strip():       # would write into the current folder
        raise ComplexAutoError("--out-dir '': empty; give a folder, e.g. images")
    from .utils import file_in_the_way

    path = Path(path)
    blocking = file_in_the_way(path)
    if blocking is not None:
        where = "a file" if blocking == path else f"{blocking} is a file"
        raise ComplexAutoError(f"--out-dir {path}: {where}, not a folder")


def main(args):
    """Draw the figures of ``args.only``; a missing default model only warns."""
    check_out_dir(args.out_dir)
    drawn = 0
    for kind in args.only:
        model = getattr(args, f"{kind}_model")
        if model is not None and not Path(model).is_file():
            # asked for by name: a typo must not pass as "nothing to draw"
            raise ComplexAutoError(f"--{kind}-model {model}: model file does not exist")
        model = model or DEFAULT_MODELS[kind]
        if not Path(model).is_file():
            log.warning("%s: model not found; skipping images/filters_%s.png", model, kind)
            continue
        out = Path(args.out_dir) / f"filters_{kind}.png"
        summary = draw(kind, model, out, getattr(args, f"{kind}_config"))
        log.info("%s: %s (from %s)", out, summary, model)
        drawn += 1
    if drawn == 0:
        log.warning("no figure drawn")
    return 0


if __name__ == "__main__":
    cli.run(main, parser())
