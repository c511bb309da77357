"""The transposition test (complex_auto.transposition) on synthetic notes and a tiny model."""
import numpy as np
import pytest

from complex_auto import transposition as tp

from .conftest import ROOT

SR = 8000
HOP = 256


def notes(seconds=4.0, seed=0):
    """Random sine notes of 0.25 s with random loudness: every window is different."""
    rng = np.random.default_rng(seed)
    n = int(SR * 0.25)
    t = np.arange(n) / SR
    parts = [rng.uniform(0.1, 1.0) * np.sin(2 * np.pi * 220 * 2 ** (rng.integers(0, 24) / 12) * t)
             * np.hanning(n) for _ in range(int(seconds / 0.25))]
    return np.concatenate(parts).astype(np.float32)


def spectrum(y):
    """Magnitude spectra of 4 frames of 256 samples: sees pitch."""
    k = len(y) // HOP
    spec = np.abs(np.fft.rfft(y[:k * HOP].reshape(k, HOP) * np.hanning(HOP), axis=1))
    return np.stack([spec[i:i + 4].ravel() for i in range(k - 4)])


def test_neighbour_hits_counts_within_tolerance():
    rng = np.random.default_rng(1)
    keys = rng.normal(size=(50, 8))
    assert tp.neighbour_hits(keys, keys) == 1.0
    # every query is key i + 2: found within 3, not within 1
    q = np.roll(keys, -2, axis=0)[:48]
    assert tp.neighbour_hits(q, keys, tolerance=3) == 1.0
    assert tp.neighbour_hits(q, keys, tolerance=1) == 0.0
    assert tp.neighbour_hits(q, keys, tolerance=2) == 1.0     # the tolerance itself counts
    zero = keys.copy()
    zero[:10] = 0
    assert tp.neighbour_hits(zero, keys) == pytest.approx(0.8)


def test_chance_share():
    assert tp.chance_share(100, 3) == pytest.approx((7 * 94 + 2 * (4 + 5 + 6)) / 100 / 100)
    assert tp.chance_share(1, 3) == 1.0


def test_shifts_are_found_only_when_the_features_allow_and_are_cached(tmp_path):
    y = notes()
    got = tp.transposition_test(spectrum, y, SR, semitones=(0, 5), cache_dir=tmp_path)
    assert list(got) == [0, 5]
    assert got[0] > 0.95      # a zero shift leaves the audio (nearly) as it was
    assert got[5] < 0.2       # spectra of notes a fourth apart differ
    cached = sorted(tmp_path.glob("*.npy"))
    assert len(cached) == 2
    shifted = tp.pitch_shifted(y, SR, 5, cache_dir=tmp_path)
    assert shifted.shape == y.shape
    # the cache hit returns exactly what was stored
    assert any(np.array_equal(shifted, np.load(c)) for c in cached)


@pytest.mark.parametrize("semitones", [5, -7])
def test_a_shift_moves_the_pitch_up_by_its_semitones(tmp_path, semitones):
    # the test's shifts are named '+5', '-7': a sine goes where the sign says
    t = np.arange(SR) / SR
    shifted = tp.pitch_shifted(np.sin(2 * np.pi * 440 * t), SR, semitones, cache_dir=None)
    spectrum = np.abs(np.fft.rfft(shifted[SR // 4:-SR // 4] * np.hanning(SR // 2)))
    peak = np.argmax(spectrum) * SR / (SR // 2)
    assert peak == pytest.approx(440 * 2 ** (semitones / 12), abs=4)


def test_model_featurizer_gives_amplitudes_of_every_window(tmp_path):
    import torch

    from complex_auto.config import load_config
    from complex_auto.features import n_windows
    from complex_auto.training import build_model

    cfg = load_config(ROOT / "config_cqt_quick.ini")
    cfg.update(n_bins=24, bins_per_oct=12, length_ngram=8, n_bases=16, hop_length=512, sr=SR,
               fmin=110.0)
    torch.manual_seed(0)
    model = build_model(cfg, cfg["n_bins"] * cfg["length_ngram"])
    torch.save(model.state_dict(), tmp_path / "m.save")
    featurize = tp.model_featurizer(tmp_path / "m.save", cfg)
    y = notes(2.0)
    f = featurize(y)
    assert f.shape == (n_windows(1 + len(y) // 512, 8), 16)
    assert np.isfinite(f).all() and (f >= 0).all()
    # --focus-frames: the centre of every window only, as convert.py encodes it
    from complex_auto.cqt import cqt
    from complex_auto.features import encode_features

    focused = tp.model_featurizer(tmp_path / "m.save", dict(cfg, focus_frames=3))(y)
    np.testing.assert_allclose(focused, encode_features(model, cqt(y, cfg), 8, focus=3)[0],
                               atol=1e-5)
    assert not np.allclose(focused, f, atol=1e-3)


@pytest.mark.parametrize("args, message", [
    (["--seconds", "-5"], "--seconds -5: must be positive"),
    (["--tolerance", "-1"], "--tolerance -1: must be 0 or more frames"),
    (["--semitones", "2", "100"], "--semitones 100: the CQT spans 60 semitones"),
    (["--audio", "{tiny}"], "tiny.wav: 0.1 s of audio, 2 CQT frames, not more than one "
                            "window of 32 (2.9 s)"),
])
def test_cli_refuses_what_it_cannot_test(tmp_path, capsys, args, message):
    import soundfile as sf

    from complex_auto import cli

    tiny = tmp_path / "tiny.wav"
    sf.write(tiny, np.random.default_rng(0).standard_normal(3000) * 0.1, 22050)
    with pytest.raises(SystemExit) as e:
        cli.run(tp.main, tp.parser(), [a.format(tiny=tiny) for a in args] + ["--device", "cpu"])
    err = capsys.readouterr().err.strip().splitlines()
    assert e.value.code == 1 and len(err) == 1 and message in err[0], err
