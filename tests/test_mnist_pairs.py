"""Rotated-digit pairs: the three sources in order, rotation, kept angles and labels, the
scikit-learn fallback, the shipped configs, and tiny end-to-end ``train.py`` runs."""
import gzip
import logging

import numpy as np
import pytest
import torch

from complex_auto.config import load_config
from complex_auto.errors import DataError
from complex_auto.mnist_pairs import (ROTATION, DigitDraws, DigitPairs, angle_bank,
                                      load_digit_source, read_idx, rotate_images,
                                      sklearn_digits, training_sets)
from complex_auto.utils import save_pyc_bz

from .conftest import ROOT, run_cli, run_script, write_config


def blob_digits(n, seed=0):
    """Asymmetric synthetic 28×28 'digits' (an off-centre bar and a dot), values in [0, 1]."""
    g = np.random.default_rng(seed)
    out = np.zeros((n, 28, 28), np.float32)
    for i in range(n):
        r, c = g.integers(8, 14), g.integers(6, 12)
        out[i, r:r + 10, c:c + 3] = 1.0
        out[i, r - 3, c + 8] = g.uniform(0.5, 1.0)
    return out


def write_prepared(data_dir, n=10):
    img = blob_digits(n)
    rot = np.stack([np.rot90(a) for a in img])
    rows = [(img[i].ravel(), rot[i].ravel(), 90.0, i % 10) for i in range(n)]
    data_dir.mkdir(parents=True, exist_ok=True)
    save_pyc_bz(rows, data_dir / "mnist_rot.pyc.bz")
    return img, rot


def write_idx(path, array):
    array = np.asarray(array, np.uint8)
    head = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(head + array.tobytes())


def write_mnist_raw(data_dir, n_train=12, n_test=5):
    raw = data_dir / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    imgs = (blob_digits(n_train + n_test, seed=1) * 255).astype(np.uint8)
    labels = np.arange(n_train + n_test) % 10
    write_idx(raw / "train-images-idx3-ubyte", imgs[:n_train])
    write_idx(raw / "train-labels-idx1-ubyte", labels[:n_train])
    write_idx(raw / "t10k-images-idx3-ubyte.gz", imgs[n_train:])  # torchvision keeps the .gz too
    write_idx(raw / "t10k-labels-idx1-ubyte.gz", labels[n_train:])
    return imgs, labels


def test_sources_are_taken_in_order(tmp_path):
    data = tmp_path / "data"
    imgs, labels = write_mnist_raw(data)
    write_prepared(data)
    src = load_digit_source(data)
    assert src.name == "prepared" and len(src) == 10 and src.rotated is not None
    np.testing.assert_array_equal(src.angle, 90.0)
    np.testing.assert_array_equal(src.labels, np.arange(10))

    (data / "mnist_rot.pyc.bz").unlink()
    src = load_digit_source(data)
    assert src.name == "mnist" and len(src) == 17 and src.rotated is None
    np.testing.assert_allclose(src.images, imgs / 255.0, atol=1e-6)
    np.testing.assert_array_equal(src.labels, labels)
    assert "t10k-images-idx3-ubyte.gz" in src.path

    for f in (data / "MNIST" / "raw").iterdir():
        f.unlink()
    src = load_digit_source(data)
    assert src.name == "sklearn" and len(src) == 1797


def test_prepared_pairs_are_used_as_they_are(tmp_path):
    img, rot = write_prepared(tmp_path, n=10)
    train, ev = training_sets({"samples_epoch": 100}, tmp_path)
    assert len(train) == 8 and len(ev) == 2
    d = ev.sweep(np.random.default_rng(0))
    assert list(d.index) == [0, 1] and list(d.digit) == [8, 9]
    x, y = ev.build(d)
    def std01(a):
        a = a.reshape(len(a), -1) - a.reshape(len(a), -1).mean(axis=1, keepdims=True)
        return a * (0.1 / a.std(axis=1, keepdims=True))
    np.testing.assert_allclose(x, std01(img[8:]), atol=1e-5)
    np.testing.assert_allclose(y, std01(rot[8:]), atol=1e-5)
    np.testing.assert_array_equal(d.shift, 90.0)


def test_prepared_pairs_keep_their_stored_rotation_where_one_made_here_would_differ(tmp_path):
    """A prepared file's rotated digit is the pair's target as stored (another tool, another
    interpolation): here a bar along the top edge that no rotation of the digit draws."""
    img = blob_digits(10)
    rot = np.stack([np.rot90(a) for a in img])
    rot[:, 0, :] = 1.0
    save_pyc_bz([(img[i].ravel(), rot[i].ravel(), 90.0, i) for i in range(10)],
                tmp_path / "mnist_rot.pyc.bz")
    _, ev = training_sets({"samples_epoch": 100}, tmp_path)
    _, y = ev.build(ev.sweep(np.random.default_rng(0)))
    want = rot[8:].reshape(2, -1) - rot[8:].reshape(2, -1).mean(axis=1, keepdims=True)
    np.testing.assert_allclose(y, want * (0.1 / want.std(axis=1, keepdims=True)), atol=1e-5)


def test_bad_sources_are_data_errors_naming_the_file(tmp_path):
    save_pyc_bz([(np.zeros(10), np.zeros(10), 0, 1)], tmp_path / "mnist_rot.pyc.bz")
    with pytest.raises(DataError, match="mnist_rot.pyc.bz: .*not 784"):
        load_digit_source(tmp_path)
    (tmp_path / "mnist_rot.pyc.bz").write_bytes(b"not bz2")
    with pytest.raises(DataError, match="mnist_rot.pyc.bz: cannot read"):
        load_digit_source(tmp_path)
    (tmp_path / "mnist_rot.pyc.bz").unlink()
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    (raw / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x09\x03garbage")
    write_idx(raw / "train-labels-idx1-ubyte", np.zeros(3))
    with pytest.raises(DataError, match="train-images-idx3-ubyte: not an unsigned-byte IDX"):
        load_digit_source(tmp_path)
    write_idx(raw / "train-images-idx3-ubyte", np.zeros((2, 28, 28)))
    with pytest.raises(DataError, match="3 labels for the 2 images"):
        load_digit_source(tmp_path)


def test_read_idx_round_trips_plain_and_gz(tmp_path):
    a = np.random.default_rng(0).integers(0, 256, (3, 28, 28)).astype(np.uint8)
    for name in ("a-idx3-ubyte", "a-idx3-ubyte.gz"):
        write_idx(tmp_path / name, a)
        np.testing.assert_array_equal(read_idx(tmp_path / name), a)


def test_rotation_by_0_and_360_is_the_identity_and_90_turns_counter_clockwise():
    img = blob_digits(3)
    np.testing.assert_array_equal(rotate_images(img, np.zeros(3)), img)
    np.testing.assert_array_equal(rotate_images(img, np.full(3, 360.0)), img)
    np.testing.assert_array_equal(rotate_images(img, np.full(3, -720.0)), img)
    quarter = rotate_images(img, np.full(3, 90.0))
    np.testing.assert_allclose(quarter, np.rot90(img, k=1, axes=(1, 2)), atol=1e-5)
    # A full turn in four quarter turns comes back (the blobs stay inside the frame).
    back = img
    for _ in range(4):
        back = rotate_images(back, np.full(3, 90.0))
    np.testing.assert_allclose(back, img, atol=1e-4)
    # Different angles in one call: each image gets its own.
    mixed = rotate_images(img, np.array([0.0, 90.0, 180.0]))
    np.testing.assert_array_equal(mixed[0], img[0])
    np.testing.assert_allclose(mixed[2], img[2, ::-1, ::-1], atol=1e-5)


def test_pairs_keep_angle_and_digit_and_are_standardised():
    imgs = blob_digits(20)
    from complex_auto.mnist_pairs import DigitSource

    src = DigitSource("mnist", "fake", imgs, np.arange(20) % 10)
    pairs = DigitPairs(src)
    d = pairs.draw(np.random.default_rng(0), 500)
    assert isinstance(d, DigitDraws) and np.all(d.transform == ROTATION)
    assert d.shift.min() >= 0 and d.shift.max() < 360 and len(np.unique(d.shift)) > 5
    np.testing.assert_array_equal(d.digit, src.labels[d.index])
    assert d.labels()[0] == f"rot{d.shift[0]:.0f} d{d.digit[0]}"
    x, y = pairs.build(d)
    assert x.shape == y.shape == (500, 784) and x.dtype == np.float32
    np.testing.assert_allclose(x.std(axis=1), 0.1, rtol=1e-4)
    np.testing.assert_allclose(y.std(axis=1), 0.1, rtol=1e-4)
    np.testing.assert_allclose(x.mean(axis=1), 0.0, atol=1e-6)
    # y is x rotated by the pair's own angle.
    ref = rotate_images(imgs[d.index[:5]], d.shift[:5]).reshape(5, -1)
    ref = ref - ref.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(y[:5], ref * (0.1 / ref.std(axis=1, keepdims=True)), atol=1e-5)


def test_angle_bank_is_uniform_on_the_circle():
    a = angle_bank(np.random.default_rng(0), 200000, bank=200000)
    assert a.min() >= 0 and a.max() < 360
    counts, _ = np.histogram(a, bins=12, range=(0, 360))
    assert counts.min() > 0.9 * counts.mean()


def test_sklearn_fallback_gives_28x28_digits_in_an_mnist_frame():
    src = sklearn_digits()
    assert src.images.shape == (1797, 28, 28) and src.images.dtype == np.float32
    assert src.images.min() >= 0 and src.images.max() <= 1 and src.images.max() > 0.9
    assert np.all(src.images[:, :4] == 0) and np.all(src.images[:, :, -4:] == 0)
    assert set(np.unique(src.labels)) == set(range(10))


def test_one_fifth_is_held_out_and_the_log_names_the_source(tmp_path, caplog):
    with caplog.at_level(logging.INFO):
        train, ev = training_sets({"samples_epoch": 1000}, tmp_path / "nothing")
    assert len(train) == 1438 and len(ev) == 359
    assert "scikit-learn" in caplog.text and "1797 digits" in caplog.text
    assert "1000 pairs" in caplog.text
    d = ev.sweep(np.random.default_rng(0))
    assert len(d) >= 2000 and set(np.unique(d.index)) == set(range(359))


def test_shipped_mnist_configs():
    cfg = load_config(ROOT / "config_mnist.ini")
    paper = dict(data_type="mnist", samples_epoch=100000, batch_size=1000, epochs=200,
                 power_loss=2, dropout=0.5, n_bases=256, learn_norm=True)
    assert {k: cfg[k] for k in paper} == paper
    quick = load_config(ROOT / "config_mnist_quick.ini")
    assert quick["data_type"] == "mnist" and quick["learn_norm"] and quick["n_bases"] == 256


def tiny_mnist_config(tmp_path):
    return write_config(tmp_path / "tiny.ini", base=ROOT / "config_mnist_quick.ini",
                        cache_dir="cache", samples_epoch=200, batch_size=50, epochs=1,
                        plot_interval=1, n_bases=8)


def test_train_py_mnist_end_to_end_with_the_sklearn_fallback(tmp_path):
    proc = run_cli("train.py", "digits", "no_filelist", tiny_mnist_config(tmp_path),
                   "--device", "cpu", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    run = tmp_path / "output" / "digits"
    state = torch.load(run / "model_complex_auto_mnist.save", weights_only=True)
    assert tuple(state["layer.weight"].shape) == (16, 784)
    assert "norm_val" in state  # learn_norm = True: one learned norm for every basis row
    for name in ("filters", "reconstructions", "amplitudes_phases", "loss", "phase_pca"):
        assert (run / "plots" / f"{name}.png").stat().st_size > 0
    log = proc.stderr + proc.stdout
    assert "scikit-learn" in log and "1797 digits" in log


def test_train_py_mnist_reads_the_prepared_file_first(in_tmp, capsys):
    # In this process (no second interpreter start-up): data/ is the current folder's.
    write_prepared(in_tmp / "data", n=20)
    write_mnist_raw(in_tmp / "data")
    code, err = run_script("train.py", "prep", "no_filelist", tiny_mnist_config(in_tmp),
                           "--device", "cpu", capsys=capsys)
    assert code == 0, err
    assert "prepared rotated-MNIST file" in err and "20 pairs" in err
    assert (in_tmp / "output" / "prep" / "model_complex_auto_mnist.save").is_file()
    assert "is not read" not in err
    # a list given by mistake (the audio one) was ignored without a word
    (in_tmp / "list.txt").write_text("a.wav\n")
    code, err = run_script("train.py", "prep", "list.txt", tiny_mnist_config(in_tmp),
                           "--device", "cpu", "--epochs", "1", capsys=capsys)
    assert code == 0, err
    assert "list.txt is not read: digits (data_type mnist) come with the toolkit" in err
