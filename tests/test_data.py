"""Training data by ``data_type`` (``complex_auto.data``): which pairs a config trains and
is evaluated on, the shape of one item, and the preprocessing cache behind them."""
import logging

import numpy as np

from complex_auto.config import load_config
from complex_auto.data import input_shape, training_data

from .conftest import TINY, write_config, write_filelist
from .test_signal_pairs import CFG as SIGNAL_CFG
from .test_signal_pairs import SR, write_wavs


def test_cqt_items_have_the_data_shape_and_refresh_rebuilds_the_cache(tmp_path, caplog):
    files = write_wavs(tmp_path, [2.0] * 5)
    flist = write_filelist(tmp_path / "list.txt", files)
    cfg = load_config(write_config(tmp_path / "tiny.ini", cache_dir=str(tmp_path / "cache"),
                                   **TINY))
    data = training_data(cfg, flist)
    # Plots and the Fourier init reshape a flat item to data.shape: the n-gram's own layout,
    # bins by frames (the same product either way, so only the layout tells them apart).
    draws = data.train.draw(np.random.default_rng(0), 3)
    ngrams = data.train.ngrams(draws.file, draws.start)
    assert data.shape == input_shape(cfg) == ngrams.shape[1:] == (cfg["n_bins"], 8)
    assert data.train.build(draws)[0].shape == (3, np.prod(data.shape))
    assert len(data.train) == 4 and len(data.eval) == 1            # the last file held out
    with caplog.at_level(logging.INFO):
        training_data(cfg, flist)
    assert "using cached data" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.INFO):
        again = training_data(cfg, flist, refresh=True)          # --refresh-cache
    assert "using cached data" not in caplog.text
    np.testing.assert_array_equal(again.train.frames, data.train.frames)


def test_signal_data_evaluates_on_the_held_out_file_and_plots_in_hertz(tmp_path):
    files = write_wavs(tmp_path, [0.5, 0.5, 0.5, 0.5, 0.3])
    cfg = dict(SIGNAL_CFG, data_type="signal", cache_dir=str(tmp_path / "cache"))
    data = training_data(cfg, write_filelist(tmp_path / "list.txt", files))
    assert len(data.train) == 4 and len(data.eval) == 1
    assert data.eval.lengths.tolist() == [int(0.3 * SR)]           # not a training file
    assert data.sr == SR
    x, _ = data.train.build(data.train.draw(np.random.default_rng(0), 2))
    assert data.shape == input_shape(cfg) == x.shape[1:] == (512,)
