#!/usr/bin/env python
"""Training throughput: a whole epoch through the real code against the model step alone.

Prints pairs/s of one training epoch of ``train()`` on the JKU recordings (sampling, model
step, evaluation pass, checkpoint and log writing), pairs/s of the model's forward + backward +
Adam step alone on random tensors of the same shapes, and their ratio as the last line. A
ratio near 1 means the model step is the cost and the sampler is not in the way.

    python bench/train_throughput.py [--config config_cqt.ini] [--samples N] [--device cuda]
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from complex_auto.config import load_config  # noqa: E402
from complex_auto.data import training_data  # noqa: E402
from complex_auto.layout import RunLayout  # noqa: E402
from complex_auto.model import pair_loss  # noqa: E402
from complex_auto.training import build_model, train  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", default="config_cqt.ini",
                   help="config whose batches are timed (default %(default)s)")
    p.add_argument("--filelist", default="filelist_audio.txt",
                   help="recordings of the training pairs (default %(default)s)")
    p.add_argument("--samples", type=int, help="pairs per epoch (default: the config's)")
    p.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    args = p.parse_args()

    cfg = load_config(args.config, epochs=1, plot_interval=10 ** 6)
    args.samples = args.samples or cfg["samples_epoch"]
    cfg["samples_epoch"] = args.samples
    data = training_data(cfg, args.filelist)
    device = torch.device(args.device)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        train(cfg, RunLayout("bench", tmp), data.train, data.eval, device)
        epoch_s = time.perf_counter() - t0
    epoch_rate = args.samples / epoch_s

    torch.manual_seed(0)
    model = build_model(cfg, data.train.n_in).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    bs = cfg["batch_size"]
    x, y = (torch.randn(bs, data.train.n_in, device=device) * 0.1 for _ in range(2))
    n_batches = args.samples // bs
    model.train()
    t0 = time.perf_counter()
    for _ in range(n_batches):
        loss, _ = pair_loss(model, x, y, cfg["power_loss"])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    model_rate = n_batches * bs / (time.perf_counter() - t0)

    print(f"threads {torch.get_num_threads()}, batch {bs}, input {data.train.n_in}, "
          f"bases {cfg['n_bases']}, {args.samples} pairs")
    print(f"whole epoch (real code)    {epoch_rate:9.0f} pairs/s  ({epoch_s:.1f} s)")
    print(f"model step alone           {model_rate:9.0f} pairs/s")
    print(f"ratio {epoch_rate / model_rate:.2f}")


if __name__ == "__main__":
    main()
