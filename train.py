#!/usr/bin/env python
"""Train a Complex Autoencoder.

Examples
--------
    python train.py demo filelist_audio.txt config_cqt_quick.ini
    python train.py jku filelist_audio.txt config_cqt.ini --epochs 50
    python train.py jku filelist_audio.txt config_cqt.ini --resume
    torchrun --nproc_per_node 4 train.py jku filelist_audio.txt config_cqt.ini   # data-parallel
"""
import argparse
import re
from pathlib import Path

from complex_auto import cli, distributed
from complex_auto.config import load_config
from complex_auto.data import training_data
from complex_auto.layout import RunLayout
from complex_auto.plots import TrainingPlotter
from complex_auto.runinfo import read_training_info, training_session
from complex_auto.training import train
from complex_auto.utils import default_jobs


def parser():
    p = argparse.ArgumentParser(
        description="Train a Complex Autoencoder on pairs of transformed inputs (CQT n-grams, "
                    "raw 1-D signals or rotated digits). Everything lands in output/RUN/: the "
                    "model, a checkpoint, train_log.csv, training_{cqt,signal,mnist}.json (what the "
                    "model learned from) and plots/.",
        epilog="Audio preprocessing is cached in the config's cache_dir; the cache is keyed by "
               "the listed files and the data parameters. Ctrl-C keeps the checkpoint of the "
               "last finished epoch; continue with --resume. Data-parallel: torchrun "
               "--nproc_per_node N train.py ... (several machines: torchrun's --nnodes and "
               "--rdzv-endpoint) splits every batch over N processes (batch_size stays the "
               "total batch); gloo on CPUs, nccl on GPUs (one per process); rank 0 writes "
               "the files.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", metavar="RUN", help="run keyword: results go to output/RUN/")
    p.add_argument("filelist", metavar="FILELIST",
                   help="text file listing audio files, one a line (no_filelist for digits)")
    p.add_argument("config", metavar="CONFIG", help="config file, e.g. config_cqt.ini")
    p.add_argument("--refresh-cache", action="store_true",
                   help="recompute the preprocessed data instead of reading the cache")
    p.add_argument("--epochs", type=int, metavar="N", help="train to N epochs (overrides the config)")
    p.add_argument("--resume", action="store_true",
                   help="continue from output/RUN's checkpoint (as continue_train = True)")
    cli.add_device(p)
    cli.add_verbose(p)
    return p


def main(args):
    cfg = load_config(args.config)
    if args.epochs is not None:
        if args.epochs < 0:
            raise cli.ComplexAutoError(f"--epochs {args.epochs}: must be >= 0")
        cfg["epochs"] = args.epochs
    device = cli.resolve_device(args.device, args.threads)
    context, device = distributed.setup(device)
    layout = RunLayout(args.run)        # checked now, made once the data are read
    if args.resume or cfg["continue_train"]:
        read_training_info(layout.training_info(cfg["data_type"]))   # checked before the data
    if not context.main:
        distributed.barrier(context)    # rank 0 fills the cache first; the others read it
    data = training_data(cfg, args.filelist, refresh=args.refresh_cache, jobs=default_jobs())
    if context.main:
        distributed.barrier(context)
    layout.make()
    # The run's copy of the config holds what was used, --epochs included.
    text = Path(args.config).read_text()
    if args.epochs is not None:
        text = re.sub(r"(?m)^(\s*epochs\s*=).*$", rf"\g<1> {args.epochs}", text)
    plotter = TrainingPlotter(layout, data.train, data.shape, device, data.transform_names,
                              seed=cfg["seed"], sr=data.sr)
    model, history = train(cfg, layout, data.train, data.eval, device, resume=args.resume,
                           plotter=plotter, context=context, config_text=text,
                           session=training_session(cfg, args.filelist, data.skipped,
                                                   data.evaluated))
    distributed.barrier(context)
    distributed.teardown(context)
    if not context.main:
        return
    cli.log.info("model: %s", layout.model(cfg["data_type"]))
    if layout.train_log.exists():         # 0 epochs write none
        cli.log.info("log:   %s", layout.train_log)
    cli.log.info("plots: %s/", layout.plots)


if __name__ == "__main__":
    cli.run(main, parser())
