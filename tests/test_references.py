"""Core computations against independent references, not against themselves.

- the streamed, block-wise CQT against one whole-signal ``librosa.cqt`` of a real JKU excerpt;
- the self-similarity matrix against a direct, slow reading of DESIGN.md §7 (scipy's ``pdist``
  and ``convolve2d``);
- window starts and window contents against frames counted by hand;
- the file frame count of a real recording against the matrix size the reference produced.
"""
import numpy as np
import pytest
import soundfile as sf
import torch
from scipy.signal import convolve2d
from scipy.spatial.distance import pdist, squareform

from complex_auto import cqt as cqt_module
from complex_auto.config import load_config
from complex_auto.errors import DataError
from complex_auto.features import (conversion_cqt, encode_features, n_windows, window_batch,
                                   window_starts)
from complex_auto.selfsim import (convolve_same, diagonal_kernel, self_similarity,
                                  write_self_similarity)
from complex_auto.training import build_model

from .conftest import JKU_AUDIO, ROOT


# -- CQT ------------------------------------------------------------------------------------

def reference_cqt(y, cfg):
    """DESIGN §4 read directly: |librosa.cqt| of the whole signal, each frame standardised."""
    import librosa

    c = np.abs(librosa.cqt(y, sr=cfg["sr"], n_bins=cfg["n_bins"],
                           bins_per_octave=cfg["bins_per_oct"], fmin=cfg["fmin"],
                           hop_length=cfg["hop_length"]))
    return (c - c.mean(axis=0)) / (c.std(axis=0) + 1e-8)


@pytest.fixture(scope="module")
def long_excerpt(tmp_path_factory):
    """70 s of wtc2f20 at the mp3's own rate (11025 Hz): several CQT blocks, and resampling."""
    import librosa

    y, sr = librosa.load(str(JKU_AUDIO / "wtc2f20-poly.mp3"), sr=None, mono=True, offset=10,
                         duration=70)
    path = tmp_path_factory.mktemp("cqt") / "wtc2f20-poly.wav"
    sf.write(path, y, sr)
    return path


@pytest.fixture(scope="module")
def cfg():
    return load_config(ROOT / "config_cqt.ini")


def test_streamed_conversion_cqt_equals_whole_file_librosa_cqt(long_excerpt, cfg):
    import librosa

    y = librosa.load(str(long_excerpt), sr=cfg["sr"], mono=True)[0]
    ref = reference_cqt(y, cfg)
    got = conversion_cqt(long_excerpt, cfg)
    assert got.shape == ref.shape == (120, 1 + len(y) // cfg["hop_length"])
    assert got.shape[1] > cqt_module.BLOCK_FRAMES + 2 * cqt_module.MARGIN_FRAMES  # blocks used
    np.testing.assert_allclose(got, ref, atol=1e-4)


@pytest.mark.parametrize("block_frames", [40, 97])
def test_streamed_and_in_memory_cqt_with_small_blocks(long_excerpt, cfg, block_frames):
    import librosa

    y = librosa.load(str(long_excerpt), sr=cfg["sr"], mono=True)[0][:30 * cfg["sr"]]
    ref = reference_cqt(y, cfg)
    np.testing.assert_allclose(cqt_module.cqt(y, cfg, block_frames=block_frames), ref, atol=1e-4)
    short = long_excerpt.parent / f"short{block_frames}.wav"
    sf.write(short, y, cfg["sr"])
    np.testing.assert_allclose(cqt_module.streamed_cqt(short, cfg, block_frames=block_frames),
                               ref, atol=1e-4)


def test_streamed_cqt_of_a_tiny_and_an_empty_file(tmp_path, cfg):
    import warnings

    tiny, empty = tmp_path / "tiny.wav", tmp_path / "empty.wav"
    sf.write(tiny, np.random.default_rng(0).standard_normal(3000) * 0.1, cfg["sr"])
    sf.write(empty, np.zeros(0), cfg["sr"])
    # 0.14 s: shorter than the FFT of the lowest octaves; converted without librosa's warning
    # (the caller skips it as shorter than one window and says so)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = cqt_module.streamed_cqt(tiny, cfg)
    assert got.shape == (cfg["n_bins"], 1 + 3000 // cfg["hop_length"])
    with pytest.raises(DataError, match="empty.wav: audio file holds no samples"):
        cqt_module.streamed_cqt(empty, cfg)


def test_training_cqt_is_the_middle_block_times_ten(long_excerpt, cfg):
    import librosa

    y = librosa.load(str(long_excerpt), sr=cfg["sr"], mono=True)[0]
    block = 20 * cfg["sr"]
    start = (len(y) - block) // 2
    ref = reference_cqt(y[start:start + block], cfg) * 10
    got = cqt_module.file_cqt(long_excerpt, cfg, block_size=block, factor=10.0)
    np.testing.assert_allclose(got, ref, atol=1e-3)


# -- self-similarity ------------------------------------------------------------------------

def reference_self_similarity(features):
    """DESIGN §7 step by step with scipy, as slowly and plainly as possible."""
    d = squareform(pdist(np.asarray(features, np.float64), metric="cosine"))
    n = len(d)
    padded = np.full((n + 9, n + 9), d.max())
    padded[:n, :n] = d
    sim = 1.0 / (padded + 1e-6)
    m = len(sim)
    for i in range(m):
        for j in range(m):
            if abs(i - j) <= 8:
                sim[i, j] = 0.0
    kernel = np.zeros((10, 10))
    for i in range(10):
        for j in range(10):
            if abs(i - j) <= 1:          # main diagonal and the two beside it: 28 ones
                kernel[i, j] = 1.0
    sim = convolve2d(sim, kernel, mode="same")
    for i in range(m):
        for j in range(m):
            if abs(i - j) <= 8:          # zeroed again after smoothing (README: differences)
                sim[i, j] = 0.0
    return (sim - sim.min()) / (sim.max() - sim.min())


def structured_features(n, seed):
    """Non-negative amplitudes with a repeated stretch, so the matrix has structure."""
    g = np.random.default_rng(seed)
    feats = np.abs(g.standard_normal((n, 7)))
    feats[n // 2:n // 2 + n // 4] = feats[:n // 4] + 0.01 * g.standard_normal((n // 4, 7))
    return feats


@pytest.mark.parametrize("n", [12, 40, 73])
@pytest.mark.parametrize("block_rows", [None, 16])
def test_self_similarity_equals_design_recipe(n, block_rows):
    feats = structured_features(n, n)
    np.testing.assert_allclose(self_similarity(feats, block_rows=block_rows),
                               reference_self_similarity(feats), atol=1e-10)


def test_matrix_written_block_by_block_equals_design_recipe(tmp_path):
    feats = structured_features(90, 5)
    write_self_similarity(feats, tmp_path / "m.npy", block_rows=16)
    np.testing.assert_allclose(np.load(tmp_path / "m.npy"), reference_self_similarity(feats),
                               atol=1e-10)


def test_smoothing_kernel_and_convolution():
    kernel = diagonal_kernel()
    assert kernel.shape == (10, 10) and kernel.sum() == 28
    assert all(kernel[i, j] == (abs(i - j) <= 1) for i in range(10) for j in range(10))
    x = np.random.default_rng(0).standard_normal((23, 23))
    np.testing.assert_allclose(convolve_same(x, kernel), convolve2d(x, kernel, mode="same"),
                               atol=1e-12)


def test_self_similarity_of_real_features(cfg):
    # Features of a real recording through a fixed random model: a matrix like the pipeline's.
    import librosa

    y = librosa.load(str(JKU_AUDIO / "silverswan-poly.mp3"), sr=cfg["sr"], duration=25)[0]
    spec = reference_cqt(y, cfg).astype(np.float32)
    torch.manual_seed(0)
    model = build_model(dict(n_bases=16, dropout=0.5, learn_norm=False), 120 * 32)
    amp = encode_features(model, spec, 32)[0]
    np.testing.assert_allclose(self_similarity(amp), reference_self_similarity(amp), atol=1e-10)


# -- windows --------------------------------------------------------------------------------

def test_window_starts_counted_by_hand():
    # Starts 0, step, ... while below n_frames - length (the reference's count).
    assert window_starts(10, 4).tolist() == [0, 1, 2, 3, 4, 5]
    assert window_starts(10, 4, 2).tolist() == [0, 2, 4]
    assert window_starts(10, 4, 3).tolist() == [0, 3]
    assert window_starts(5, 4).tolist() == [0]
    assert window_starts(4, 4).tolist() == [] and window_starts(3, 4).tolist() == []
    assert n_windows(10, 4) == 6 and n_windows(10, 4, 2) == 3


def test_mazurka_matrix_has_the_references_2704_rows(cfg):
    # The reference implementation's matrix of mazurka24-4 had 2704 rows: windows + 9, with
    # one frame per hop of the decoded signal (librosa decodes 5,409,792 samples at 22050 Hz).
    import librosa

    samples = len(librosa.load(str(JKU_AUDIO / "mazurka24-4-poly.mp3"), sr=cfg["sr"])[0])
    assert 1 + samples // cfg["hop_length"] == 2727
    frames = conversion_cqt(JKU_AUDIO / "mazurka24-4-poly.mp3", cfg).shape[1]
    assert frames == 2727
    assert n_windows(frames, 32) + 9 == 2704


def test_window_contents_and_features_by_hand():
    # A CQT whose every value names its frame and bin: window k must hold frames k..k+L-1.
    bins, frames, L = 5, 12, 4
    spec = (np.arange(frames)[None, :] * 10 + np.arange(bins)[:, None]).astype(np.float32)
    starts = window_starts(frames, L, 2)                     # [0, 2, 4, 6]
    flat = window_batch(spec, starts, L)
    for row, s in zip(flat, starts):
        raw = np.array([[10 * (s + t) + b for t in range(L)] for b in range(bins)],
                       np.float64).ravel()                   # bin-major: bin * L + frame
        want = (raw - raw.mean()) / raw.std()
        np.testing.assert_allclose(row, want, atol=1e-5)
    # Features: window k encoded on its own gives row k of the encoding of the whole CQT.
    g = np.random.default_rng(4)
    spec = g.standard_normal((bins, frames)).astype(np.float32)
    torch.manual_seed(1)
    model = build_model(dict(n_bases=3, dropout=0.5, learn_norm=False), bins * L).eval()
    feats = encode_features(model, spec, L, step=3)
    assert feats.shape == (2, 3, 3)                          # starts 0, 3, 6
    for k, s in enumerate([0, 3, 6]):
        x = spec[:, s:s + L].astype(np.float64).ravel()
        x = (x - x.mean()) / (x.std() + 1e-8)
        a, p = model.encode(torch.tensor(x[None], dtype=torch.float32))
        np.testing.assert_allclose(feats[0, k], a[0].detach().numpy(), atol=1e-5)
        np.testing.assert_allclose(feats[1, k], p[0].detach().numpy(), atol=1e-4)
