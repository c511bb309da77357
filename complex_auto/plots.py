"""Training plots: filters, reconstructions, amplitudes and phases, losses, phase-difference PCA.

Every function takes what it draws and a path, and writes one PNG atomically.
"""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from .utils import save_figure  # noqa: E402


def mosaic(tiles, cols=None, pad=1):
    """Arrange 2-D tiles in a grid, each scaled to [-1, 1]; NaN between tiles.

    Parameters
    ----------
    tiles : np.ndarray, shape (n, h, w)
    cols : int, optional
        Tiles per row (default: a grid about twice as wide as high).
    pad : int
        Pixels of NaN between neighbouring tiles (blank in ``imshow``).

    Returns
    -------
    np.ndarray, shape (rows * (h + pad) - pad, cols * (w + pad) - pad)
        Row-major: tile ``k`` in row ``k // cols``; every tile divided by its largest
        absolute value.
    """
    n, h, w = tiles.shape
    # About twice as wide as high, whatever the tiles' aspect.
    cols = cols or min(n, int(np.ceil(np.sqrt(2 * n * (h + pad) / (w + pad)))))
    rows = int(np.ceil(n / cols))
    out = np.full((rows * (h + pad) - pad, cols * (w + pad) - pad), np.nan)
    for k in range(n):
        t = tiles[k]
        t = t / (np.abs(t).max() + 1e-12)
        r, c = divmod(k, cols)
        out[r * (h + pad):r * (h + pad) + h, c * (w + pad):c * (w + pad) + w] = t
    return out


def plot_filters(weight, shape, path, title="", max_filters=256, order=None, pairs=False,
                 dpi=110):
    """Real and imaginary parts of the bases as image tiles (2-D inputs) or curves (1-D).

    1-D bases go to :func:`plot_filter_curves`, with ``path`` and ``title`` only.

    Parameters
    ----------
    weight : np.ndarray, shape (2 * n_bases, n_in)
        Real parts in the first ``n_bases`` rows, imaginary parts in the others.
    shape : tuple
        Input shape: ``(n_bins, length_ngram)``, ``(28, 28)`` or ``(length,)``.
    path : str or Path
        The PNG to write.
    title : str
        Written above the bases.
    max_filters : int
        Bases drawn (the first ones of ``order``).
    order : array of int, optional
        Bases in the order to draw them (default: as stored).
    pairs : bool
        Draw every basis as one tile ``real | imaginary``, both parts on one colour scale,
        instead of a panel of real parts and one of imaginary parts (suits digit bases,
        where the two parts of a rotation eigenvector are the same pattern turned a little).
    dpi : int
        Resolution of the PNG.

    Returns
    -------
    None
        The picture is written to ``path`` (by :func:`plot_filter_curves` for 1-D bases).
    """
    n = weight.shape[0] // 2
    k = min(n, max_filters)
    if len(shape) == 1:
        return plot_filter_curves(weight, path, title)
    order = np.arange(n) if order is None else np.asarray(order)[:k]
    # Non-square tiles are (bins, frames): flip each so that low bins are at its bottom, and
    # keep the grid itself top-down, so the first bases are at the top left.
    flip = (lambda t: t[:, ::-1]) if shape[0] != shape[1] else (lambda t: t)  # noqa: E731
    if pairs:
        re = flip(weight[order[:k]].reshape(k, *shape))
        im = flip(weight[n + order[:k]].reshape(k, *shape))
        gap = np.zeros((k, shape[0], 1))
        tiles = np.concatenate([re, gap, im], axis=2)
        h, w = tiles.shape[1:]
        # About twice as wide as high, preferring a column count that fills the last row.
        guess = int(np.ceil(np.sqrt(2 * k * (h + 3) / (w + 3))))
        fits = [c for c in range(max(1, guess - 3), guess + 4) if k % c == 0]
        cols = min(fits, key=lambda c: abs(c - guess)) if fits else guess
        grid = mosaic(tiles, cols=min(cols, k), pad=3)
        fig, ax = plt.subplots(figsize=(14, 14 * grid.shape[0] / grid.shape[1] + 0.6))
        ax.imshow(grid, cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
        ax.set_title(f"{k} bases, each as real part | imaginary part", fontsize=10)
        ax.axis("off")
    else:
        fig, axes = plt.subplots(2, 1, figsize=(14, 14))
        for ax, rows, name in ((axes[0], order[:k], "real"), (axes[1], n + order[:k], "imaginary")):
            ax.imshow(mosaic(flip(weight[rows].reshape(k, *shape))), cmap="RdBu_r", vmin=-1, vmax=1,
                      interpolation="nearest")
            ax.set_title(f"{name} parts of {k} bases")
            ax.axis("off")
    fig.suptitle(title)
    # Leave the suptitle its lines: tight_layout alone lets a two-line title hit the axes'.
    top = 1 - 0.25 * (title.count("\n") + 1) / fig.get_figheight() if title else 1
    fig.tight_layout(rect=(0, 0, 1, top))
    save_figure(fig, path, dpi=dpi)


def basis_spectra(weight, sr=None):
    """Magnitude spectrum of every 1-D basis, from its real and imaginary part together.

    Parameters
    ----------
    weight : np.ndarray, shape (2 * n_bases, length)
    sr : float, optional
        Sample rate in Hz; frequencies are in cycles per sample without it.

    Returns
    -------
    freqs : np.ndarray, shape (length // 2 + 1,)
        Hz, or cycles per sample.
    spectra : np.ndarray, shape (n_bases, length // 2 + 1)
        ``sqrt((|F re|² + |F im|²) / 2)``: the band each basis passes (both parts of a
        complex Gabor filter share it).
    """
    n = weight.shape[0] // 2
    re = np.abs(np.fft.rfft(weight[:n], axis=1))
    im = np.abs(np.fft.rfft(weight[n:2 * n], axis=1))
    freqs = np.fft.rfftfreq(weight.shape[1], 1.0 / (sr or 1.0))
    return freqs, np.sqrt((re ** 2 + im ** 2) / 2)


def plot_filter_curves(weight, path, title="", max_filters=128, sr=None, cols=16):
    """1-D bases: every basis as two curves (real, imaginary part), and their magnitude spectra.

    The bases are sorted by the frequency of their spectral peak. Below the curves, the
    magnitude spectrum of every basis is drawn twice: as an image (bases × frequency, one
    column per basis) and as overlaid curves, each scaled to its peak, so that band-pass
    filters show as a diagonal ridge and as a row of single bumps.

    Parameters
    ----------
    weight : np.ndarray, shape (2 * n_bases, length)
    path : str or Path
        The PNG to write.
    title : str
        Written above the bases.
    max_filters : int
        Bases drawn as curves (evenly spread over the sorted bases when there are more).
    sr : float, optional
        Sample rate in Hz, for the frequency axes.
    cols : int
        Curve panels per row.
    """
    n = weight.shape[0] // 2
    k = min(n, max_filters)
    freqs, spec = basis_spectra(weight, sr)
    order = np.argsort(spec.argmax(axis=1), kind="stable")
    shown = order[np.linspace(0, n - 1, k).round().astype(int)]
    cols = min(cols, k)
    rows = int(np.ceil(k / cols))
    height = 0.9 * rows + 4.6
    fig = plt.figure(figsize=(16, height))
    gs = fig.add_gridspec(rows + 4, cols, hspace=0.35, wspace=0.08,
                          top=1 - 0.45 / height, bottom=0.5 / height, left=0.05, right=0.98)
    unit = "Hz" if sr else "cyc/smp"
    for j, b in enumerate(shown):
        ax = fig.add_subplot(gs[j // cols, j % cols])
        ax.plot(weight[b], lw=0.6, color="C0")
        ax.plot(weight[n + b], lw=0.6, color="C1")
        peak = freqs[spec[b].argmax()]
        ax.text(0.02, 0.96, f"{peak:.0f}" if sr else f"{peak:.3f}", transform=ax.transAxes,
                fontsize=6, va="top", color="0.3")
        ax.set_xticks([])
        ax.set_yticks([])
        for side in ax.spines.values():
            side.set_linewidth(0.3)
    fig.text(0.5, 1 - 0.12 / height,
             f"{k} of {n} bases, sorted by peak frequency ({unit}, top left of each): "
             "real part (blue) and imaginary part (orange)", ha="center", va="top", fontsize=10)

    ax = fig.add_subplot(gs[rows + 1:, :cols // 2])
    ax.imshow(spec[order].T, aspect="auto", origin="lower", cmap="magma", interpolation="nearest",
              extent=[-0.5, n - 0.5, freqs[0], freqs[-1]])
    ax.set_xlabel("basis (sorted by peak frequency)")
    ax.set_ylabel(f"frequency ({unit})")
    ax.set_title("magnitude spectrum of every basis", fontsize=10)

    ax = fig.add_subplot(gs[rows + 1:, cols // 2 + 1:])
    colours = plt.cm.viridis(np.linspace(0, 1, n))
    for c, b in zip(colours, order):
        ax.plot(freqs, spec[b] / (spec[b].max() + 1e-12), lw=0.6, color=c)
    ax.set_xlim(freqs[0], freqs[-1])
    ax.set_xlabel(f"frequency ({unit})")
    ax.set_ylabel("magnitude / peak")
    ax.set_title("the same spectra as curves: one band-pass bump per basis", fontsize=10)
    if title:
        fig.suptitle(title, y=1 + 0.25 / height, fontsize=12)
    save_figure(fig, path, dpi=100, bbox_inches="tight")


def plot_losses(history, path):
    """Train and evaluation loss per epoch, on a log scale.

    Parameters
    ----------
    history : list of dict
        ``epoch``, ``train_loss``, ``eval_loss`` per epoch (as :func:`~complex_auto.training.train`
        returns it).
    path : str or Path
        The PNG to write.
    """
    from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter

    fig, ax = plt.subplots(figsize=(7, 4))
    ep = [h["epoch"] for h in history]
    # points too, when there are few: one epoch is a line of one point, which draws nothing
    marker = "o" if len(ep) <= 30 else None
    ax.plot(ep, [h["train_loss"] for h in history], label="train", marker=marker, ms=3)
    ax.plot(ep, [h["eval_loss"] for h in history], label="eval", marker=marker, ms=3)
    ax.set_xlabel("epoch")
    ax.set_ylabel("reconstruction loss")
    ax.set_yscale("log")
    if len(ep) <= 10:                   # no epoch 1.25, and one epoch is not 0.945 to 1.05
        ax.set_xticks(ep)
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    # plain numbers (0.125, not 1.25×10⁻¹); minor ticks labelled only when the axis spans a
    # decade or less, where they are the only labels (over more they would overlap)
    plain = FuncFormatter(lambda y, _: f"{y:.3g}")
    lo, hi = ax.get_ylim()
    ax.yaxis.set_major_formatter(plain)
    ax.yaxis.set_minor_formatter(plain if hi <= 10 * lo else NullFormatter())
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, path, dpi=100)


def plot_reconstructions(x, y, y_hat, x_hat, shape, path, labels=None, n=4):
    """Rows of ``x``, ``y``, ``dec(a_x, φ_y)`` and ``dec(a_y, φ_x)`` for a few pairs.

    Parameters
    ----------
    x, y : np.ndarray, shape (batch, n_in)
        The pairs' items.
    y_hat, x_hat : np.ndarray, shape (m, n_in)
        Reconstructions of the first ``m >= n`` pairs (the model's first two outputs).
    shape : tuple
        Input shape: an item is drawn as a curve when 1-D, else as an image (``(bins,
        frames)`` with low bins at the bottom; square digits top-down).
    path : str or Path
        The PNG to write.
    labels : list of str, optional
        One per pair, written beside its row.
    n : int
        Pairs drawn, at most ``len(x)``.
    """
    n = min(n, len(x))
    fig, axes = plt.subplots(n, 4, figsize=(10, 2.2 * n), squeeze=False)
    names = ["x", "y", "dec(a_x, φ_y) ≈ y", "dec(a_y, φ_x) ≈ x"]
    for i in range(n):
        for j, arr in enumerate((x, y, y_hat, x_hat)):
            ax = axes[i, j]
            if len(shape) == 1:
                ax.plot(arr[i], lw=0.7)
            else:
                ax.imshow(arr[i].reshape(shape), aspect="auto", cmap="viridis",
                          origin="lower" if shape[0] != shape[1] else "upper")
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(names[j], fontsize=9)
        if labels is not None:
            axes[i, 0].set_ylabel(labels[i], fontsize=8)
    fig.tight_layout()
    save_figure(fig, path, dpi=90)


def plot_amplitudes_phases(amp, phase, path):
    """Amplitude and phase of a batch, items × bases.

    Parameters
    ----------
    amp, phase : np.ndarray, shape (items, n_bases)
        The encoder's output; phases in radians, in [-π, π].
    path : str or Path
        The PNG to write.
    """
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    im = axes[0].imshow(amp, aspect="auto", cmap="magma", interpolation="nearest")
    axes[0].set_title("amplitudes")
    fig.colorbar(im, ax=axes[0])
    im = axes[1].imshow(phase, aspect="auto", cmap="twilight", vmin=-np.pi, vmax=np.pi,
                        interpolation="nearest")
    axes[1].set_title("phases (rad)")
    fig.colorbar(im, ax=axes[1])
    for ax in axes:
        ax.set_xlabel("basis")
        ax.set_ylabel("item")
    fig.tight_layout()
    save_figure(fig, path, dpi=90)


def phase_difference_features(phase_x, phase_y):
    """``[cos Δφ, sin Δφ]`` of the phase differences, shape ``(batch, 2 * n_bases)``.

    Cosine and sine, rather than ``Δφ`` itself, so that differences near ±π lie together.

    Parameters
    ----------
    phase_x, phase_y : np.ndarray, shape (batch, n_bases)
        Phases of a pair's items in radians; ``Δφ = phase_y - phase_x``.

    Returns
    -------
    np.ndarray, shape (batch, 2 * n_bases)
        ``cos Δφ`` in the first ``n_bases`` columns, ``sin Δφ`` in the others; of the phases'
        float dtype (float32 for a model's phases).
    """
    d = phase_y - phase_x
    return np.concatenate([np.cos(d), np.sin(d)], axis=1)


def pca_2d(features):
    """Projection of ``features`` (items × dims) on its first two principal axes."""
    centred = features - features.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt[:2].T


def wrapped_title(fig, title):
    """``title`` broken into lines that fit ``fig``'s width (a long run name and model file
    ran past both edges of a one-panel figure)."""
    import textwrap

    return textwrap.fill(title, width=max(30, int(fig.get_figwidth() * 9)))


def plot_phase_pca(features, transform, shift, names, path, title="PCA of phase differences",
                   units=None):
    """2-D PCA of phase-difference features, one panel per transformation, coloured by shift.

    Parameters
    ----------
    features : np.ndarray, shape (items, dims)
        :func:`phase_difference_features` of the pairs.
    transform, shift : np.ndarray, shape (items,)
        Each pair's transformation id and its amount; a transformation with fewer than 3
        pairs gets an empty panel.
    names : dict
        Transformation id → panel title (default: the id).
    path : str or Path
        The PNG to write.
    title : str
        Written above the panels (wrapped to their width).
    units : dict, optional
        Transformation id → unit of its shift (bins, frames, samples, degrees), for the
        colour bar's label.
    """
    kinds = [t for t in np.unique(transform)]
    fig, axes = plt.subplots(1, len(kinds), figsize=(5.5 * len(kinds), 4.6), squeeze=False)
    for ax, t in zip(axes[0], kinds):
        sel = transform == t
        if sel.sum() < 3:
            continue
        z = pca_2d(features[sel])
        unit = (units or {}).get(int(t))
        # a rotation is cyclic: 15 and 345 degrees are turns as small, so alike in colour
        sc = ax.scatter(z[:, 0], z[:, 1], c=shift[sel], s=6,
                        cmap="twilight" if unit == "degrees" else "coolwarm")
        fig.colorbar(sc, ax=ax, label=f"shift ({unit})" if unit else "shift")
        ax.set_title(names.get(int(t), str(t)))
        ax.set_xlabel("PC 1")
        ax.set_ylabel("PC 2")
    fig.suptitle(wrapped_title(fig, title))
    fig.tight_layout()
    save_figure(fig, path, dpi=100)


class TrainingPlotter:
    """Draws the training plots of a run from a fixed batch of pairs.

    Parameters
    ----------
    layout : RunLayout
    pairs
        A pair source (``draw``, ``build``); its first draws are reused at every call.
    shape : tuple
        Input shape for drawing items and filters.
    device : torch.device
    transform_names : dict, optional
        Transformation id → name, for the phase-difference PCA.
    n_pca : int
        Pairs drawn once, for the PCA; the first four also show the reconstructions and the
        first 64 the amplitudes and phases.
    seed : int
        Seeds the draw of those pairs.
    sr : float, optional
        Sample rate in Hz, for the frequency axes of 1-D bases.
    """

    def __init__(self, layout, pairs, shape, device, transform_names=None, n_pca=2000, seed=0,
                 sr=None):
        self.layout, self.shape, self.device = layout, shape, device
        self.names = transform_names or {}
        self.sr = sr
        draws = pairs.draw(np.random.default_rng(seed), n_pca)
        self.x, self.y = pairs.build(draws)
        self.transform = np.asarray(draws.transform)
        self.shift = np.asarray(getattr(draws, "shift", np.zeros(len(draws))), dtype=float)
        self.labels = draws.labels() if hasattr(draws, "labels") else None

    @torch.no_grad()
    def __call__(self, model, epoch, history):
        d = self.layout.plots
        model.eval()
        w = model.weight.detach().cpu().numpy()
        title = f"{self.layout.run}, epoch {epoch}"
        if len(self.shape) == 1:
            plot_filter_curves(w, d / "filters.png", title, sr=self.sr)
        else:
            plot_filters(w, self.shape, d / "filters.png", title)
        x = torch.from_numpy(self.x).to(self.device)
        y = torch.from_numpy(self.y).to(self.device)
        y_hat, x_hat, _, _ = model(x[:4], y[:4])
        plot_reconstructions(self.x, self.y, y_hat.cpu().numpy(), x_hat.cpu().numpy(),
                             self.shape, d / "reconstructions.png", self.labels)
        amp_x, ph_x = (t.cpu().numpy() for t in model.encode(x))
        _, ph_y = (t.cpu().numpy() for t in model.encode(y))
        plot_amplitudes_phases(amp_x[:64], ph_x[:64], d / "amplitudes_phases.png")
        if history:
            plot_losses(history, d / "loss.png")
        plot_phase_pca(phase_difference_features(ph_x, ph_y), self.transform, self.shift,
                       self.names, d / "phase_pca.png", f"PCA of phase differences, epoch {epoch}")
