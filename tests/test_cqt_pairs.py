"""The CQT pair sampler against a plain one-item-at-a-time reading of its specification."""
import numpy as np
import pytest

from complex_auto.cqt_pairs import (PITCH, TEMPO, TIME, CQTPairs, PairDraws, pitch_shift,
                                    stretch_indices)

CFG = dict(length_ngram=8, shifts=[3, 5], scales=[0.5, 0.0], transform=[0, 1, 2],
           emph_onset=0, n_bins=12)


def make_cqts(seed=0, lengths=(40, 55, 31)):
    g = np.random.default_rng(seed)
    return [g.standard_normal((12, n)).astype(np.float32) * 10 for n in lengths]


def reference_item(cqts, cfg, file, start, transform, shift, scale, swap):
    """One pair, built exactly as DESIGN.md §5 reads, with plain loops."""
    L = cfg["length_ngram"]
    c = cqts[file].astype(np.float64)

    def cut(s):
        ngram = c[:, s:s + L].copy()
        return (ngram - ngram.min()) / (ngram.max() - ngram.min() + 1e-8)

    x = cut(start)
    if transform == PITCH:
        y = np.zeros_like(x)
        for b in range(x.shape[0]):
            if 0 <= b - shift < x.shape[0]:
                y[b] = x[b - shift]
    elif transform == TIME:
        y = cut(start + shift)
    else:
        stretched_len = int(round(L * scale))
        stretched = [x[:, int(np.floor(k / scale))] if int(np.floor(k / scale)) < L
                     else x[:, L - 1] for k in range(stretched_len)]
        crop = (stretched_len - L) // 2
        y = np.stack(stretched[crop:crop + L], axis=1)
        if swap:
            x, y = y, x
    out = []
    for item in (x, y):
        if cfg["emph_onset"]:
            d = np.zeros_like(item)
            d[:, 1:] = np.maximum(item[:, 1:] - item[:, :-1], 0)
            item = item + cfg["emph_onset"] * d
        item = item - item.mean()
        item = item / (item.std() + 1e-8) * 0.1
        flat = np.array([item[b, t] for b in range(item.shape[0]) for t in range(L)])  # bin-major
        out.append(flat + 1e-8)
    return out


@pytest.mark.parametrize("emph", [0, 2])
def test_batch_sampler_agrees_with_one_item_reading(emph):
    cfg = dict(CFG, emph_onset=emph)
    cqts = make_cqts()
    pairs = CQTPairs(cqts, cfg)
    draws = pairs.draw(np.random.default_rng(3), 300)
    x, y = pairs.build(draws)
    assert x.dtype == np.float32 and x.shape == (300, 12 * 8)
    assert set(draws.transform) == {PITCH, TIME, TEMPO} and draws.swap.any()
    for i in range(len(draws)):
        rx, ry = reference_item(cqts, cfg, draws.file[i], draws.start[i], draws.transform[i],
                                draws.shift[i], draws.scale[i], draws.swap[i])
        np.testing.assert_allclose(x[i], rx, atol=2e-6)
        np.testing.assert_allclose(y[i], ry, atol=2e-6)


def test_draw_ranges_transform_ids_and_labels():
    pairs = CQTPairs(make_cqts(), CFG)
    d = pairs.draw(np.random.default_rng(0), 5000)
    L, s0, s1 = 8, 3, 5
    assert (d.start >= s0).all() and (d.start < pairs.lengths[d.file] - L - s0).all()
    assert set(np.unique(d.file)) == {0, 1, 2}
    p, t, k = d.transform == PITCH, d.transform == TIME, d.transform == TEMPO
    assert d.shift[p].min() == -s1 and d.shift[p].max() == s1 - 1
    assert d.shift[t].min() == -s0 and d.shift[t].max() == s0 - 1
    assert (d.shift[k] == 0).all() and (d.scale[~k] == 1).all()
    assert (d.scale[k] >= 1).all() and (d.scale[k] < 1.5).all()
    assert not d.swap[~k].any()
    labels = d.labels()
    i_p, i_t, i_k = np.flatnonzero(p)[0], np.flatnonzero(t)[0], np.flatnonzero(k)[0]
    assert labels[i_p] == f"shifty{d.shift[i_p]}"
    assert labels[i_t] == f"shiftx{d.shift[i_t]}"
    assert labels[i_k] == f"scale{d.scale[i_k]:.2f}"


def test_pitch_shift_moves_bins_and_fills_zeros():
    x = np.arange(1, 6, dtype=float)[None, :, None].repeat(2, axis=0)  # bins 1..5
    y = pitch_shift(x, np.array([2, -1]))
    np.testing.assert_array_equal(y[0, :, 0], [0, 0, 1, 2, 3])
    np.testing.assert_array_equal(y[1, :, 0], [2, 3, 4, 5, 0])


def test_time_shift_reads_the_right_frames():
    # Every frame of the CQT is distinct, so the frames read can be identified.
    c = np.tile(np.arange(60, dtype=np.float32), (12, 1)) + np.arange(12)[:, None] * 0.01
    cfg = dict(CFG, transform=[1])
    pairs = CQTPairs([c], cfg)
    draws = PairDraws(np.array([0, 0]), np.array([10, 20]), np.array([TIME, TIME]),
                      np.array([3, -2]), np.ones(2), np.zeros(2, bool))
    x, y = pairs.build(draws)
    for i, (start, shift) in enumerate([(10, 3), (20, -2)]):
        for item, first in ((x[i], start), (y[i], start + shift)):
            frames = item.reshape(12, 8)
            # after standardisation the frame order is kept: compare with the raw frames
            raw = c[:, first:first + 8]
            np.testing.assert_allclose(np.corrcoef(frames.ravel(), raw.ravel())[0, 1], 1, atol=1e-6)


def test_items_have_mean_zero_and_std_0_1():
    pairs = CQTPairs(make_cqts(1), CFG)
    x, y = pairs.build(pairs.draw(np.random.default_rng(1), 500))
    for a in (x, y):
        np.testing.assert_allclose(a.mean(axis=1), 1e-8, atol=1e-6)
        np.testing.assert_allclose(a.std(axis=1), 0.1, rtol=1e-4)


def test_stretch_indices_centre_crop():
    idx = stretch_indices(np.array([1.0, 2.0]), 8)
    np.testing.assert_array_equal(idx[0], np.arange(8))
    np.testing.assert_array_equal(idx[1], [2, 2, 3, 3, 4, 4, 5, 5])


def test_sweep_covers_every_start_in_order():
    pairs = CQTPairs(make_cqts(lengths=(40, 30)), CFG)
    d = pairs.sweep(np.random.default_rng(0))
    exp0 = np.arange(6, 40 - 8 - 6)
    exp1 = np.arange(6, 30 - 8 - 6)
    np.testing.assert_array_equal(d.start, np.concatenate([exp0, exp1]))
    np.testing.assert_array_equal(d.file, [0] * len(exp0) + [1] * len(exp1))
    x, y = pairs.build(d)
    assert np.isfinite(x).all() and np.isfinite(y).all()


def test_same_seed_same_batch():
    pairs = CQTPairs(make_cqts(), CFG)
    a = pairs.build(pairs.draw(np.random.default_rng(7), 50))
    b = pairs.build(pairs.draw(np.random.default_rng(7), 50))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
