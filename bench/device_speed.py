#!/usr/bin/env python
"""Training and conversion on the CPU against CUDA, on the same machine.

Trains the CQT model of a config for a few epochs on each device (the real ``train()``:
sampling, model step, evaluation pass, checkpoint and log), then converts the listed
recordings with a trained model into features and self-similarity matrices on each device
(the real ``convert_files()``: decoding, CQT, encoding, matrix, writes). Prints seconds and
pairs/s per device, the CUDA/CPU speed-up of each step, and how far the CUDA features and
matrices are from the CPU ones (they differ by float rounding only).

    python bench/device_speed.py [--config config_cqt.ini] [--filelist filelist_audio.txt]
        [--model models/cqt_piano/model_complex_auto_cqt.save] [--epochs 3] [--cpu-epochs 1]

The CPU uses every core it has (torch's default threads; conversion one process per core).
Needs a CUDA GPU: without one it says so and exits 1.
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from complex_auto.config import load_config  # noqa: E402
from complex_auto.convert import convert_files  # noqa: E402
from complex_auto.data import input_shape, training_data  # noqa: E402
from complex_auto.filelist import read_list  # noqa: E402
from complex_auto.layout import RunLayout  # noqa: E402
from complex_auto.training import load_model, train  # noqa: E402
from complex_auto.utils import default_jobs  # noqa: E402


def time_training(cfg, data, device, epochs):
    """Seconds per epoch (mean over ``epochs``, from the run's own log) and the last loss."""
    with tempfile.TemporaryDirectory() as tmp:
        _, history = train(cfg, RunLayout("bench", tmp), data.train, data.eval,
                           torch.device(device), epochs=epochs)
    return np.mean([h["seconds"] for h in history]), history[-1]["train_loss"]


def time_conversion(cfg, files, model_path, device, tmp):
    """Seconds to convert ``files`` with matrices, and the run folder they went to."""
    model = load_model(cfg, int(np.prod(input_shape(cfg))), model_path, device)
    layout = RunLayout(f"convert_{device}", tmp).make()
    t0 = time.perf_counter()
    convert_files(model, files, cfg, layout, self_sim=True, device=torch.device(device),
                  jobs=default_jobs())
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - t0, layout


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", default="config_cqt.ini",
                   help="config to train with (default %(default)s)")
    p.add_argument("--filelist", default="filelist_audio.txt",
                   help="recordings to train on and to convert (default %(default)s)")
    p.add_argument("--model", default="models/cqt_piano/model_complex_auto_cqt.save",
                   help="model the conversion uses (default %(default)s)")
    p.add_argument("--epochs", type=int, default=3, help="CUDA training epochs (default 3)")
    p.add_argument("--cpu-epochs", type=int, default=1, help="CPU training epochs (default 1)")
    p.add_argument("--samples", type=int, help="pairs per epoch (default: the config's)")
    args = p.parse_args()
    if not torch.cuda.is_available():
        sys.exit("device_speed: CUDA is not available on this machine; nothing to compare")

    cfg = load_config(args.config, plot_interval=10 ** 6)
    if args.samples:
        cfg["samples_epoch"] = args.samples
    print(f"GPU {torch.cuda.get_device_name()}, CPU threads {torch.get_num_threads()}, "
          f"torch {torch.__version__}")
    data = training_data(cfg, args.filelist, jobs=default_jobs())
    n = cfg["samples_epoch"]
    train_s = {}
    for device, epochs in (("cuda", args.epochs), ("cpu", args.cpu_epochs)):
        train_s[device], loss = time_training(cfg, data, device, epochs)
        print(f"train {device:4s} {train_s[device]:7.1f} s/epoch  {n / train_s[device]:9.0f} "
              f"pairs/s  ({epochs} epochs of {n} pairs, last train loss {loss:.4f})")
    print(f"training speed-up CUDA/CPU {train_s['cpu'] / train_s['cuda']:.1f}x")

    files = [f for f, _, _ in read_list(args.filelist, "audio")]
    with tempfile.TemporaryDirectory() as tmp:
        conv_s, layouts = {}, {}
        for device in ("cuda", "cpu"):
            conv_s[device], layouts[device] = time_conversion(cfg, files, args.model, device, tmp)
            print(f"convert {device:4s} {conv_s[device]:6.1f} s  ({len(files)} recordings, "
                  "features and matrices)")
        print(f"conversion speed-up CUDA/CPU {conv_s['cpu'] / conv_s['cuda']:.1f}x")
        worst = 0.0
        for f in files:
            a, b = (np.load(layouts[d].matrix(f)) for d in ("cuda", "cpu"))
            worst = max(worst, float(np.abs(a - b).max()))
        print(f"largest |CUDA - CPU| matrix entry over {len(files)} recordings: {worst:.2e}")


if __name__ == "__main__":
    main()
