"""The training plots' arithmetic: mosaics of bases, spectra, phase differences and their PCA."""
import numpy as np
import pytest

from complex_auto import plots
from complex_auto.plots import (basis_spectra, mosaic, pca_2d, phase_difference_features,
                                plot_filter_curves, plot_filters)

from .conftest import png_content


def test_mosaic_places_tiles_row_by_row_each_scaled_to_one():
    tiles = np.random.default_rng(0).standard_normal((6, 2, 3)) * np.arange(1, 7)[:, None, None]
    out = mosaic(tiles, cols=4, pad=1)
    assert out.shape == (2 * 3 - 1, 4 * 4 - 1)
    for k in range(6):
        r, c = divmod(k, 4)
        tile = out[r * 3:r * 3 + 2, c * 4:c * 4 + 3]
        assert np.allclose(tile, tiles[k] / np.abs(tiles[k]).max()), k
        assert np.abs(tile).max() == pytest.approx(1.0)
    assert np.isnan(out[2]).all() and np.isnan(out[:, 3]).all()   # the padding
    assert np.isnan(out[3:, 8:]).all()                   # no tile past the last one


def test_mosaic_keeps_each_tiles_shape_of_values():
    tile = np.array([[0.0, 2.0], [-4.0, 1.0]])
    out = mosaic(np.stack([tile, 10 * tile]), cols=2, pad=0)
    assert np.allclose(out, np.hstack([tile / 4, tile / 4]))


def test_basis_spectra_use_both_parts_and_the_sample_rate():
    length, n = 64, 2
    t = np.arange(length)
    re = np.zeros((n, length))
    im = np.stack([np.sin(2 * np.pi * 8 * t / length), np.sin(2 * np.pi * 20 * t / length)])
    freqs, spec = basis_spectra(np.concatenate([re, im]), sr=16000)
    assert spec.shape == (n, length // 2 + 1) and len(freqs) == length // 2 + 1
    assert list(spec.argmax(axis=1)) == [8, 20]          # a basis with no real part has a band
    assert freqs[8] == pytest.approx(8 * 16000 / length) and freqs[-1] == pytest.approx(8000)
    # a Gabor pair: cos and sin share one band, of the same height as either part alone
    gabor = np.stack([np.cos(2 * np.pi * 8 * t / length), np.sin(2 * np.pi * 8 * t / length)])
    _, spec = basis_spectra(gabor)
    assert spec[0].argmax() == 8
    assert spec[0, 8] == pytest.approx(np.abs(np.fft.rfft(gabor[0]))[8])


def test_phase_differences_are_y_minus_x_as_cosine_and_sine():
    px = np.array([[0.0, np.pi / 2]])
    py = np.array([[np.pi / 3, -np.pi / 2 + 0.1]])
    f = phase_difference_features(px, py)
    d = py - px
    assert np.allclose(f, np.hstack([np.cos(d), np.sin(d)]))
    assert f[0, 2] > 0                                   # y a third of pi after x: sine positive
    # differences just either side of ±pi lie together
    near = phase_difference_features(np.zeros((2, 1)), np.array([[np.pi - .01], [.01 - np.pi]]))
    assert np.linalg.norm(near[0] - near[1]) < 0.03


def test_pca_2d_projects_centred_points_on_their_widest_axes():
    g = np.random.default_rng(0)
    pts = g.standard_normal((500, 3)) * [5.0, 2.0, 0.1] + [100.0, -50.0, 7.0]
    z = pca_2d(pts)
    assert z.shape == (500, 2)
    assert np.allclose(z.mean(axis=0), 0.0, atol=1e-9)
    assert z[:, 0].std() == pytest.approx(5.0, rel=0.1)
    assert z[:, 1].std() == pytest.approx(2.0, rel=0.1)


def capture_tiles(monkeypatch):
    """The tiles plot_filters hands to :func:`mosaic`, one list per call."""
    calls = []

    def recording(tiles, *args, **kw):
        calls.append(np.array(tiles))
        return mosaic(tiles, *args, **kw)

    monkeypatch.setattr(plots, "mosaic", recording)
    return calls


@pytest.mark.parametrize("pairs", [False, True])
def test_plot_filters_draws_the_bases_in_order_with_low_bins_at_the_bottom(
        tmp_path, monkeypatch, pairs):
    n, shape = 5, (4, 3)                                 # (bins, frames): not square
    weight = np.random.default_rng(1).standard_normal((2 * n, 12))
    calls = capture_tiles(monkeypatch)
    plot_filters(weight, shape, tmp_path / "f.png", "title", order=[3, 0, 4], max_filters=2,
                 pairs=pairs)
    assert png_content(tmp_path / "f.png")
    re = [weight[b].reshape(shape)[::-1] for b in (3, 0)]
    im = [weight[n + b].reshape(shape)[::-1] for b in (3, 0)]
    if pairs:
        (tiles,) = calls
        assert tiles.shape == (2, 4, 2 * 3 + 1)
        for k in range(2):
            assert np.array_equal(tiles[k][:, :3], re[k]) and np.array_equal(tiles[k][:, 4:], im[k])
    else:
        real, imag = calls
        assert np.array_equal(real, np.stack(re)) and np.array_equal(imag, np.stack(im))


def test_plot_filters_keeps_square_digit_tiles_top_down(tmp_path, monkeypatch):
    weight = np.random.default_rng(2).standard_normal((4, 9))
    calls = capture_tiles(monkeypatch)
    plot_filters(weight, (3, 3), tmp_path / "f.png")
    assert np.array_equal(calls[0], weight[:2].reshape(2, 3, 3))


def test_filter_curves_draw_bases_sorted_by_peak_frequency(tmp_path, monkeypatch):
    length = 128
    t = np.arange(length)
    cycles = [30, 5, 17, 50]
    weight = np.concatenate([np.cos(2 * np.pi * np.outer(cycles, t) / length),
                             np.sin(2 * np.pi * np.outer(cycles, t) / length)])
    drawn = []
    real_plot = plots.plt.Axes.plot

    def recording(ax, *args, **kw):
        if len(args) == 1:                              # a basis' curve: y values only
            drawn.append(np.asarray(args[0]))
        return real_plot(ax, *args, **kw)

    monkeypatch.setattr(plots.plt.Axes, "plot", recording)
    plot_filter_curves(weight, tmp_path / "c.png", sr=8000)
    assert png_content(tmp_path / "c.png")
    order = np.argsort(cycles)
    expected = [row for b in order for row in (weight[b], weight[4 + b])]
    assert len(drawn) == 8 and all(np.array_equal(a, b) for a, b in zip(drawn, expected))


def capture_figure(monkeypatch):
    """The figure a plot function saves, drawn but kept open to be read."""
    figures = []

    def keep(fig, path, **kwargs):
        fig.canvas.draw()
        figures.append(fig)
    monkeypatch.setattr(plots, "save_figure", keep)
    return figures


@pytest.mark.parametrize("epochs", [1, 3, 40])
def test_loss_plot_counts_whole_epochs_and_shows_each_of_a_few(tmp_path, monkeypatch, epochs):
    figures = capture_figure(monkeypatch)
    history = [dict(epoch=e, train_loss=0.13 - 0.001 * e, eval_loss=0.10 - 0.001 * e)
               for e in range(1, epochs + 1)]
    plots.plot_losses(history, tmp_path / "loss.png")
    ax = figures[0].axes[0]
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks)
    # one epoch is a line of one point: drawn only as a marker; many are lines
    assert [line.get_marker() for line in ax.get_lines()] == [("o" if epochs <= 30 else "None")] * 2
    # a loss within a decade is labelled in plain numbers on its minor ticks (no 1.25×10⁻¹)
    labels = [t.get_text() for t in ax.get_yticklabels(minor=True) if t.get_text()]
    assert labels and all(label.replace(".", "").isdigit() for label in labels), labels
