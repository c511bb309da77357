"""Feature kinds of complex_auto.representations and ``convert.py --features``."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from complex_auto import representations as rep
from complex_auto.cqt import standardise_frames
from complex_auto.errors import ComplexAutoError, ParameterError
from complex_auto.features import n_windows
from complex_auto.selfsim import cosine_distances, self_similarity
from tests.conftest import child_env, write_config

ROOT = Path(__file__).resolve().parents[1]
LENGTH = 8
BINS, PER_OCT = 120, 24


def random_spec(frames=40, seed=0):
    return np.random.default_rng(seed).random((BINS, frames)).astype(np.float32)


def test_chroma_weights_fold_quarter_tones_half_to_each_side():
    w = rep.chroma_weights(BINS, PER_OCT)
    assert w.shape == (12, BINS)
    np.testing.assert_allclose(w.sum(axis=0), 1.0)        # every bin shared out in full
    np.testing.assert_allclose(w.sum(axis=1), 10.0)       # every class equal: 5 octaves x 2
    assert w[0, 0] == 1 and w[1, 2] == 1 and w[0, 24] == 1
    assert w[0, 1] == w[1, 1] == 0.5
    assert w[11, 119] == w[0, 119] == 0.5                 # cyclic at the top
    with pytest.raises(ComplexAutoError, match="multiple of 12"):
        rep.chroma_weights(100, 10)


def test_chroma_of_standardised_cqt_is_standardised_chroma_of_magnitudes():
    mag = random_spec() ** 2
    direct = standardise_frames(rep.chroma_weights(BINS, PER_OCT) @ mag)
    np.testing.assert_allclose(rep.chroma(standardise_frames(mag), PER_OCT), direct, atol=1e-5)


@pytest.mark.parametrize("kind,dims", [("cqt", BINS * LENGTH), ("chroma", 12 * LENGTH),
                                       ("tichroma", 12 * LENGTH),
                                       ("ftm2d", BINS * (LENGTH // 2 + 1))])
def test_window_features_shapes_and_finiteness(kind, dims):
    spec = standardise_frames(random_spec())
    f = rep.window_features(kind, spec, LENGTH, step=2, bins_per_oct=PER_OCT)
    assert f.shape == (n_windows(40, LENGTH, 2), dims)
    assert f.dtype == np.float32 and np.isfinite(f).all()
    if kind == "cqt":  # exactly the CAE's input vectors
        np.testing.assert_allclose(f[1], (spec[:, 2:2 + LENGTH].ravel() - spec[:, 2:2 + LENGTH].mean())
                                   / spec[:, 2:2 + LENGTH].std(), atol=1e-4)


def test_ftm2d_is_exactly_invariant_to_a_circular_pitch_shift():
    spec = random_spec()
    f = rep.window_features("ftm2d", spec, LENGTH)
    for bins in (1, 2, 14):
        g = rep.window_features("ftm2d", np.roll(spec, bins, axis=0), LENGTH)
        np.testing.assert_allclose(g, f, rtol=1e-4, atol=1e-3)   # float32 rounding
    # the raw n-grams of the same shift are far apart
    raw = rep.window_features("cqt", spec, LENGTH)
    raw_shifted = rep.window_features("cqt", np.roll(spec, 2, axis=0), LENGTH)
    assert np.abs(raw - raw_shifted).max() > 1


def test_tichroma_is_exactly_invariant_to_a_circular_pitch_shift():
    spec = standardise_frames(random_spec())
    f = rep.window_features("tichroma", spec, LENGTH, bins_per_oct=PER_OCT)
    for semitones in (1, 5, 7):
        shifted = np.roll(spec, 2 * semitones, axis=0)
        g = rep.window_features("tichroma", shifted, LENGTH, bins_per_oct=PER_OCT)
        np.testing.assert_allclose(rep.ti_similarities(g, f, LENGTH),
                                   rep.ti_similarities(f, f, LENGTH), atol=1e-9)
        # plain cosine of the same chroma windows is not invariant
        assert np.diag(1 - cosine_distances(np.concatenate([f, g]))[:len(f), len(f):]).max() < 0.9
    # and the matrix of a passage followed by its transposition finds the repeat perfectly
    both = np.concatenate([f, rep.window_features("tichroma", np.roll(spec, 10, axis=0), LENGTH,
                                                  bins_per_oct=PER_OCT)])
    m = rep.kind_self_similarity("tichroma", both, LENGTH)
    n = len(f)
    assert m.shape == (2 * n + 9, 2 * n + 9)
    np.testing.assert_allclose(m, m.T, atol=1e-12)
    assert 0 <= m.min() and m.max() == 1
    np.testing.assert_allclose(np.diag(m, n)[:n - 4], m[np.arange(n - 4) + n, np.arange(n - 4)])
    assert np.diag(m, n)[5:n - 5].mean() > 5 * m[:n, :n].mean()


def test_the_transposition_test_compares_tichroma_with_its_shifts():
    # tichroma's invariance lives in its similarity, not its features: the transposition
    # test must use it (and plain cosine for every other kind)
    spec = standardise_frames(random_spec())
    f = rep.window_features("tichroma", spec, LENGTH, bins_per_oct=PER_OCT)
    g = rep.window_features("tichroma", np.roll(spec, 6, axis=0), LENGTH, bins_per_oct=PER_OCT)
    sim = rep.similarity_function("tichroma", LENGTH)
    np.testing.assert_allclose(np.diag(sim(g, f)), 1.0, atol=1e-9)
    assert (np.argmax(sim(g, f), axis=1) == np.arange(len(f))).all()
    assert all(rep.similarity_function(kind, LENGTH) is None
               for kind in rep.KINDS if kind != "tichroma")


def test_matrix_from_distances_is_the_self_similarity_recipe():
    f = np.random.default_rng(3).normal(size=(30, 12))
    np.testing.assert_allclose(rep.matrix_from_distances(cosine_distances(f)), self_similarity(f))


def test_bad_kind():
    # an argument of a function: ParameterError (a ValueError too), as the API's others
    with pytest.raises(ParameterError, match="--features mfcc: unknown feature kind"):
        rep.check_kind("mfcc")


@pytest.fixture(scope="module")
def jku_cfg():
    from complex_auto.config import load_config

    return load_config(ROOT / "models/cqt_jku/config_cqt.ini")


@pytest.fixture(scope="module")
def jku_excerpt(jku_cfg):
    from complex_auto.transposition import excerpt

    return excerpt(ROOT / "data/jku/audio/silverswan-poly.mp3", jku_cfg["sr"], seconds=6.0)


@pytest.mark.parametrize("kind", rep.KINDS)
def test_every_kind_on_a_jku_excerpt(kind, jku_cfg, jku_excerpt):
    from complex_auto.data import input_shape
    from complex_auto.training import load_model

    model = None
    if kind == "cae":
        model = load_model(jku_cfg, int(np.prod(input_shape(jku_cfg))),
                           ROOT / "models/cqt_jku/model_complex_auto_cqt.save")
    f = rep.featurizer(kind, jku_cfg, model)(jku_excerpt)
    frames = 1 + len(jku_excerpt) // jku_cfg["hop_length"]
    assert len(f) == n_windows(frames, jku_cfg["length_ngram"]) > 20
    assert np.isfinite(f).all() and f.std() > 0
    m = rep.kind_self_similarity(kind, f, jku_cfg["length_ngram"])
    assert m.shape == (len(f) + 9,) * 2 and np.isfinite(m).all()


def test_cae_needs_a_model(jku_cfg):
    with pytest.raises(ParameterError, match="need a model"):
        rep.featurizer("cae", jku_cfg)


def run_convert(tmp_path, *args):
    return subprocess.run([sys.executable, str(ROOT / "convert.py"), *args], cwd=tmp_path,
                          capture_output=True, text=True,
                          env=child_env(clean=True, OMP_NUM_THREADS="1"))


def test_convert_bad_features_is_one_line(tmp_path):
    (tmp_path / "list.txt").write_text(str(ROOT / "data/jku/audio/silverswan-poly.mp3") + "\n")
    res = run_convert(tmp_path, "r", "list.txt", str(ROOT / "models/cqt_jku/config_cqt.ini"),
                      "--features", "mfcc")
    assert res.returncode == 1
    assert res.stderr.count("\n") == 1 and "--features mfcc" in res.stderr
    assert "cae, cqt, chroma, ftm2d, tichroma" in res.stderr


@pytest.mark.parametrize("kind", ["chroma", "tichroma"])
def test_convert_chroma_needs_no_model_and_records_its_kind(tmp_path, kind):
    import soundfile as sf

    from complex_auto.transposition import excerpt
    from complex_auto.utils import load_pyc_bz

    y = excerpt(ROOT / "data/jku/audio/wtc2f20-poly.mp3", 22050, seconds=8.0)
    sf.write(tmp_path / "a.wav", y, 22050)
    (tmp_path / "list.txt").write_text("a.wav\t84\n")
    res = run_convert(tmp_path, "r", "list.txt", str(ROOT / "models/cqt_jku/config_cqt.ini"),
                      "--features", kind, "--self-sim-matrix", "-j", "1")
    assert res.returncode == 0, res.stderr
    run = tmp_path / "output" / "r"
    feats = load_pyc_bz(run / "a.wav_repres.pyc.bz")
    assert feats.shape[0] == 1 and feats.shape[2] == 12 * 32
    m = np.load(run / "a.wav.npy")
    assert m.shape == (feats.shape[1] + 9,) * 2
    # the matrix of the kind's own similarity (tichroma's: the best of 12 pitch shifts)
    np.testing.assert_allclose(m, rep.kind_self_similarity(kind, feats[0], 32), atol=2e-3)
    info = json.loads((run / "conversion.json").read_text())
    assert info["features"] == kind and info["model"] is None
    assert (run / "ss_matrices_filelist.txt").read_text().strip().endswith("\t84")


def test_chroma_of_a_config_without_whole_semitones_is_refused_before_any_work(tmp_path):
    # found after the first file's CQT, and the error named neither the config nor the key
    cfg = write_config(tmp_path / "eighteen.ini", bins_per_oct=18)
    (tmp_path / "list.txt").write_text(str(ROOT / "data/jku/audio/silverswan-poly.mp3") + "\n")
    res = run_convert(tmp_path, "r", "list.txt", str(cfg), "--features", "chroma")
    assert res.returncode == 1 and res.stderr.count("\n") == 1, res.stderr
    assert "eighteen.ini: key 'bins_per_oct' = 18: --features chroma needs a multiple of 12" \
        in res.stderr
    assert not (tmp_path / "output" / "r").exists()
