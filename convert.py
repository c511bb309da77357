#!/usr/bin/env python
"""Convert recordings into CAE features and self-similarity matrices.

Examples
--------
    python convert.py jku jku_input_audio.txt config_cqt.ini --self-sim-matrix
    python convert.py mine my_files.txt models/cqt_piano/config_cqt.ini \\
        --model models/cqt_piano/model_complex_auto_cqt.save --self-sim-matrix
    python convert.py mine16 my_files.txt models/cqt_piano/config_cqt.ini \\
        --model models/cqt_piano/model_complex_auto_cqt.save --self-sim-matrix \\
        --focus-frames 16                                   # a shorter view, for motifs
    python convert.py jku_chroma jku_input_audio.txt config_cqt.ini --features chroma \\
        --self-sim-matrix                                   # a baseline: no model needed
"""
import argparse
from pathlib import Path

import numpy as np

from complex_auto import cli
from complex_auto.config import load_config
from complex_auto.convert import convert_files, merge_run
from complex_auto.data import input_shape
from complex_auto.errors import ComplexAutoError
from complex_auto.filelist import check_distinct_names, read_list
from complex_auto.layout import RunLayout
from complex_auto.representations import check_kind, check_settings
from complex_auto.shards import add_shard_arguments, is_whole
from complex_auto.runinfo import weights_sha256
from complex_auto.training import load_model
from complex_auto.utils import counted


def parser():
    p = argparse.ArgumentParser(
        description="Encode every window of every listed recording with a trained CQT model. "
                    "Writes output/RUN/NAME_repres.pyc.bz (a bz2 pickle of "
                    "np.array([amplitudes, phases]), each (windows, n_bases); load it with "
                    "complex_auto.utils.load_pyc_bz) and, with --self-sim-matrix, "
                    "output/RUN/NAME.npy, NAME.png and ss_matrices_filelist.txt.",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("run", metavar="RUN", help="run keyword: output/RUN/ holds the model and results")
    p.add_argument("filelist", metavar="FILELIST",
                   help="text file listing audio files, one a line; an optional second column "
                        "(after a tab) gives the tempo in bpm, passed on to extract_motives.py")
    p.add_argument("config", metavar="CONFIG", help="the config the model was trained with")
    p.add_argument("--step-size", type=int, default=1, metavar="N",
                   help="hop between windows in CQT frames (default 1)")
    p.add_argument("--refresh-cache", action="store_true",
                   help="accepted for compatibility: conversion computes every CQT afresh")
    p.add_argument("--self-sim-matrix", action="store_true",
                   help="also write a self-similarity matrix per file, for extract_motives.py")
    p.add_argument("--model", type=Path, metavar="PATH",
                   help="model file to use instead of output/RUN/model_complex_auto_cqt.save")
    p.add_argument("--features", default="cae", metavar="KIND",
                   help="what the matrices are made of (default: cae): cae = the model's "
                        "amplitudes; baselines without a model, over the same windows: cqt = "
                        "the raw CQT n-grams the model sees, chroma = chroma n-grams, ftm2d = "
                        "2-D Fourier magnitude of log-CQT n-grams, tichroma = chroma with "
                        "transposition-invariant similarity (max over 12 pitch-class shifts). "
                        "Non-cae files hold np.array([features]); see "
                        "complex_auto/representations.py")
    p.add_argument("--focus-frames", type=int, metavar="N",
                   help="encode only the central N frames of every window, the rest set to 0 "
                        "(default: all length_ngram): a shorter view for motifs, with the same "
                        "model; e.g. 16 = 1.4 s, about three beats at 120 bpm. cae features only")
    p.add_argument("--legacy-layout", action="store_true",
                   help="flatten windows frame-major, as the original implementation did "
                        "(a defect: the model was trained bin-major); only to compare with "
                        "the original's numbers")
    add_shard_arguments(p)
    p.add_argument("--merge", action="store_true",
                   help="convert nothing: after all --shard jobs, write the run's "
                        "ss_matrices_filelist.txt and conversion.json in the list's order "
                        "(give the same FILELIST, CONFIG, --step-size, --features, --focus-frames "
                        "and --model)")
    cli.add_jobs(p, "processes converting files")
    cli.add_device(p)
    cli.add_verbose(p)
    return p


def main(args):
    cfg = load_config(args.config)
    if cfg["data_type"] != "cqt":
        raise ComplexAutoError(f"{args.config}: convert.py needs a cqt config, "
                               f"not data_type {cfg['data_type']}")
    if args.step_size < 1:
        raise ComplexAutoError(f"--step-size {args.step_size}: must be >= 1")
    check_kind(args.features)
    check_settings(args.features, cfg, args.config)
    layout = RunLayout(args.run)
    model_path = args.model or layout.model("cqt")
    if args.features == "cae" and not args.merge and not model_path.is_file():
        if args.model:
            raise ComplexAutoError(f"--model {args.model}: no such model file")
        raise ComplexAutoError(
            f"{model_path}: no trained model; train one with "
            f"'python train.py {args.run} filelist_audio.txt {args.config}' or pass --model "
            "(e.g. models/cqt_piano/model_complex_auto_cqt.save)")
    if args.model and args.features != "cae":
        cli.log.warning("--model: no effect with --features %s (only cae features come from "
                        "a model)", args.features)
    if args.merge and not is_whole(args.shard):
        cli.log.warning("--shard: no effect with --merge (it lists every part of the run)")
    entries = read_list(args.filelist, "audio")
    check_distinct_names(entries, args.filelist, pieces=args.self_sim_matrix)
    info = {"model": str(model_path) if args.features == "cae" else None,
            "config": str(args.config)}
    if args.focus_frames is not None and args.focus_frames != cfg["length_ngram"]:
        if not 1 <= args.focus_frames < cfg["length_ngram"]:
            raise ComplexAutoError(f"--focus-frames {args.focus_frames}: must be 1.."
                                   f"{cfg['length_ngram']} (length_ngram of {args.config})")
        if args.features != "cae":
            raise ComplexAutoError(f"--focus-frames: only for --features cae, "
                                   f"not {args.features}")
        cfg = dict(cfg, focus_frames=args.focus_frames)
        info["focus_frames"] = args.focus_frames
    if args.merge:
        weights = (weights_sha256(load_model(cfg, int(np.prod(input_shape(cfg))),
                                             model_path).state_dict())
                   if args.features == "cae" else None)
        written = merge_run([f for f, _, _ in entries], cfg, layout, step=args.step_size,
                            legacy_layout=args.legacy_layout,
                            tempi=[bpm for _, bpm, _ in entries],
                            info=dict(info, features=args.features), weights=weights)
        cli.log.info("merged %s into the lists of %s/", counted(len(written), "feature file"),
                     layout.dir)
        return
    device = cli.resolve_device(args.device, args.threads)
    model = None
    if args.features == "cae":
        model = load_model(cfg, int(np.prod(input_shape(cfg))), model_path, device)
    layout.make()
    written = convert_files(model, [f for f, _, _ in entries], cfg, layout,
                            step=args.step_size, self_sim=args.self_sim_matrix,
                            legacy_layout=args.legacy_layout, device=device, jobs=args.jobs,
                            tempi=[bpm for _, bpm, _ in entries],
                            info=info, features=args.features, shard=args.shard,
                            overwrite=args.overwrite,
                            newer_than=[Path(args.config)] + ([model_path] if model is not None else []))
    cli.log.info("%s in %s/", counted(len(written), "feature file"), layout.dir)
    if args.self_sim_matrix and is_whole(args.shard):    # a shard leaves the lists to --merge
        cli.log.info("matrices listed in %s", layout.matrix_list)


if __name__ == "__main__":
    cli.run(main, parser())
