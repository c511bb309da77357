"""``python -m complex_auto.invariance``: load a model and its items, measure, report."""
import argparse
import logging
from pathlib import Path

import numpy as np

from .. import cli
from ..transposition import DEFAULT_AUDIO, SECONDS
from ..errors import ComplexAutoError, DataError
from .cqt_items import (TRANSPOSITION_COLUMNS, CQTItems, recording_cqts, transposition_headline,
                        transposition_rows)
from .digits import DigitItems
from .measures import PITCH_RANGE, TIME_RANGE, make_encoder
from .recordings import recording_sources
from .report import analyse, headline, write_csv
from .signal_items import SignalItems

log = logging.getLogger(__name__)

COLUMN_HELP = """\
invariance.csv, one row per transformation and shift:
  transform                   pitch, time (cqt), time (signal) or rotation (mnist)
  shift                       the shift: bins, frames, samples or degrees (see unit)
  unit                        bins, frames, samples or degrees
  model_similarity            mean cosine similarity of the amplitudes of x and shifted x
  raw_similarity              the same for the raw model inputs x and shifted x
  unrelated_model_similarity  mean amplitude similarity of x and unrelated items (same in every row)
  unrelated_raw_similarity    mean raw-input similarity of x and unrelated items (same in every row)
  model_match_rate            fraction of shifted items whose most similar unshifted item (by
                              amplitudes, among the n_items) is their own original; chance 1/n_items
  raw_match_rate              the same by raw inputs
  n_items                     items averaged
  ftm2d_similarity,           cqt only: the same three for the 2-D Fourier magnitude of the
  unrelated_ftm2d_similarity, input n-gram (Bertin-Mahieux & Ellis 2012), a closed-form
  ftm2d_match_rate            invariant to circular pitch shift; empty for other data types
transposition.csv (cqt models), one row per features and shift:
  features           cae (the model's amplitudes), cqt (raw CQT n-grams), ftm2d (2-D Fourier
                     magnitude of log-CQT n-grams), as convert.py --features makes them
  semitones          pitch shift of the excerpt (librosa.effects.pitch_shift)
  found              share of the shifted excerpt's windows whose nearest window (cosine) in
                     the original is their own, within 3 frames
  chance             the share a representation blind to the music would reach
  windows, audio, seconds   windows of the excerpt; the recording and the excerpt's length
transformations.csv, one row per target, features and classifier:
  target             type (which transformation) or KEY_shift (the signed shift within KEY)
  features           phase ([cos, sin] of phase differences) or amplitude (amplitude differences)
  classifier         knn (5 neighbours) or logistic (logistic regression)
  accuracy           fraction of held-out pairs predicted exactly
  accuracy_within_1  fraction within one step of the truth (1 bin/frame/sample, 15 degrees);
                     empty for target type
  chance             frequency of the most common class among the held-out pairs
  n_classes          classes seen
  n_train, n_test    pairs used for fitting and for testing
digits.csv (digit models), one row per features and test rotation:
  features           amplitude or pixels (k-NN, cosine, 5 neighbours)
  test_rotation      the held-out digits' rotation in degrees; 'unseen' = all unseen ones
                     together; 'seen' = the fitting rotations (reference)
  error              digit classification error
  chance_error       1 - frequency of the most common digit among the test items
  n_train, n_test    items used for fitting and for testing
"""


def load_items(cfg, filelist, max_pitch=None, max_time=None, refresh=False, jobs=1,
               data_dir="data"):
    """The item sources of a config: all items, fitting items and held-out items.

    Parameters
    ----------
    cfg : dict
    filelist : str or Path
        Recordings (``cqt``, ``signal``); not read for ``mnist``.
    max_pitch, max_time : int, optional
        Largest shifts measured. Defaults: 24 bins and 12 frames (``cqt``); ``shifts[0]``
        samples (``signal``).
    refresh : bool
        Read the recordings again instead of their cached CQTs or signals.
    jobs : int
        Processes that read the recordings.
    data_dir : str or Path
        Where the digits are looked for (``mnist``;
        :func:`~complex_auto.mnist_pairs.load_digit_source`).

    Returns
    -------
    items, fit_items, test_items
        :class:`CQTItems`, :class:`SignalItems` or :class:`DigitItems`.
    how : str
        Which items are held out.
    """
    from ..filelist import read_filelist

    kind = cfg["data_type"]
    if kind == "cqt":
        max_pitch = PITCH_RANGE if max_pitch is None else max_pitch
        # at most half a window: a shift beyond it leaves an n-gram sharing less than half its
        # frames with the unshifted one (±12 of an 8-frame model's window measured mostly
        # other music, and read as a poor model)
        max_time = (min(TIME_RANGE, cfg["length_ngram"] // 2) if max_time is None
                    else max_time)
        files = read_filelist(filelist)
        cqts = recording_cqts(files, cfg, filelist, refresh, jobs)
        need = cfg["length_ngram"] + 2 * max_time + 1
        return recording_sources(lambda a: CQTItems(a, cfg, max_pitch, max_time),
                                  list(zip(map(str, files), cqts)), need, "frames", filelist)
    if kind == "signal":
        from ..signal_pairs import load_signals

        max_time = int(cfg["shifts"][0]) if max_time is None else max_time
        files = read_filelist(filelist)
        signals = load_signals(files, cfg, filelist, refresh, jobs)
        need = cfg["length_ngram"] + 2 * max_time + 1
        return recording_sources(lambda a: SignalItems(a, cfg, max_time),
                                  list(zip(map(str, files), signals)), need, "samples", filelist)
    if kind == "mnist":
        from ..mnist_pairs import SOURCE_NAMES, load_digit_source

        source = load_digit_source(data_dir)
        n = len(source)
        n_test = n // 5
        if n_test < 1 or n - n_test < 1:
            raise DataError(f"{source.path}: {n} digits are too few to fit and test on")
        how = (f"{SOURCE_NAMES[source.name]}: fitting on the first {n - n_test} digits, "
               f"testing on the held-out last {n_test}")
        return (DigitItems(source), DigitItems(source.subset(slice(0, n - n_test))),
                DigitItems(source.subset(slice(n - n_test, n))), how)
    raise ComplexAutoError(f"{cfg.get('config_path', 'config')}: unknown data_type '{kind}'")



# -- command line ---------------------------------------------------------------------------
def parser():
    p = argparse.ArgumentParser(
        prog="python -m complex_auto.invariance",
        description="""\
Measure what a trained Complex Autoencoder learned, so that you can judge a model before you
use it. (1) Are its amplitudes invariant to the transformations of training? For N items and
every shift: mean cosine similarity of the item's amplitudes to those of its shifted version,
against the same for the raw inputs, the similarity of unrelated items, and a match rate.
(2) Do its phase differences encode the transformations? Classifiers (k-NN and logistic
regression) fitted on pairs of some recordings predict, on pairs of held-out recordings, the
transformation type and the shift, from phase differences against amplitude differences and
chance. Writes output/RUN/invariance.csv, invariance.png, transformations.csv,
phase_pca.png, and for digit models digits.csv (digit error of k-NN on amplitudes against
pixels, at rotations unseen in fitting). The headline numbers are printed at the end.""",
        epilog=f"""\
Items are prepared as in training. CQT: n-grams of every recording's whole-file CQT, min-maxed,
pitch-shifted with zero fill (-24..+24 bins) or taken s frames later (-12..+12 frames),
standardised to std 0.1, flattened bin-major. Signal: Hann-windowed stretches shifted by
-shifts[0]..+shifts[0] samples. Digits: rotations 0..345 degrees in steps of 15.
Held out for testing the classifiers: the last fifth of the file list (at least one file);
with one file, its second half. Digits: the last fifth of the digits.

{COLUMN_HELP}
examples:
  python -m complex_auto.invariance cqt_jku filelist_audio.txt config_cqt.ini
  python -m complex_auto.invariance mine filelist_audio.txt models/cqt_jku/config_cqt.ini \\
      --model models/cqt_jku/model_complex_auto_cqt.save
  python -m complex_auto.invariance mnist no_filelist config_mnist.ini
""",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", metavar="RUN", help="run keyword: results go to output/RUN/")
    p.add_argument("filelist", metavar="FILELIST",
                   help="text file listing recordings, one a line (not read for digit models: "
                        "write no_filelist)")
    p.add_argument("config", metavar="CONFIG", help="the config the model was trained with")
    p.add_argument("--model", type=Path, metavar="PATH",
                   help="model file (default output/RUN/model_complex_auto_{data_type}.save)")
    p.add_argument("--n-ngrams", type=int, default=1000, metavar="N",
                   help="items (n-grams, windows, digits) per shift in the similarity curves, "
                        "and digits per part for digits.csv (default 1000)")
    p.add_argument("--n-pairs", type=int, default=2000, metavar="M",
                   help="pairs for fitting the classifiers, and as many held-out pairs for "
                        "testing them (default 2000)")
    p.add_argument("--max-pitch-shift", type=int, metavar="BINS",
                   help="largest pitch shift measured, in bins (cqt; default 24)")
    p.add_argument("--max-time-shift", type=int, metavar="STEPS",
                   help="largest time shift measured: frames for cqt (default 12, at most half "
                        "the window: 4 for 8-frame n-grams), samples for signal (default: the "
                        "config's shifts[0])")
    p.add_argument("--seed", type=int, default=0, help="seed of every random draw (default 0)")
    p.add_argument("--transposition-audio", default=str(DEFAULT_AUDIO), metavar="FILE",
                   help="cqt models: recording of the transposition test (its middle is "
                        "pitch-shifted +1..+7 semitones with librosa; the model, raw CQT "
                        "n-grams and their 2-D Fourier magnitude must find each shifted window "
                        "among the original's; transposition.csv); 'none' skips it "
                        "(default: %(default)s)")
    p.add_argument("--transposition-seconds", type=cli.number, default=SECONDS, metavar="S",
                   help="length of that excerpt in seconds (default %(default)g)")
    p.add_argument("--refresh-cache", action="store_true",
                   help="recompute the recordings' CQTs (or audio) instead of reading the cache "
                        "in the config's cache_dir")
    cli.add_jobs(p)
    cli.add_device(p)
    cli.add_verbose(p)
    return p


def check_transposition_options(cfg, audio, seconds):
    """Refuse the transposition test's recording or length before any work: they were read
    at the end of the run (a mistyped file failed after a minute of measures; -5 s ran on a
    long excerpt, 1 s ended with an error about a shape of features).

    Raises
    ------
    ComplexAutoError
        Naming ``--transposition-audio`` or ``--transposition-seconds``.
    """
    if not seconds > 0:
        raise ComplexAutoError(f"--transposition-seconds {seconds:g}: must be positive")
    frames = 1 + int(seconds * cfg["sr"]) // cfg["hop_length"]
    if frames <= cfg["length_ngram"]:
        raise ComplexAutoError(
            f"--transposition-seconds {seconds:g}: the excerpt has {frames} CQT frames, not "
            f"more than one window of {cfg['length_ngram']} "
            f"({cfg['length_ngram'] * cfg['hop_length'] / cfg['sr']:.1f} s); give more seconds")
    if not audio.is_file():
        raise ComplexAutoError(f"--transposition-audio {audio}: no such file (or 'none' to "
                               "skip the test)")


def main(args):
    from ..config import load_config
    from ..data import input_shape
    from ..layout import RunLayout
    from ..training import load_model

    for name in ("n_ngrams", "n_pairs"):
        v = getattr(args, name)
        if v < 2:
            raise ComplexAutoError(f"--{name.replace('_', '-')} {v}: must be >= 2")
    for name in ("max_pitch_shift", "max_time_shift"):
        v = getattr(args, name)
        if v is not None and v < 1:
            raise ComplexAutoError(f"--{name.replace('_', '-')} {v}: must be >= 1")
    cfg = load_config(args.config)
    kind = cfg["data_type"]
    if kind == "cqt" and (args.max_pitch_shift or 0) >= cfg["n_bins"]:
        # a shift by the whole range leaves an empty n-gram: numpy's shape mismatch
        raise ComplexAutoError(f"--max-pitch-shift {args.max_pitch_shift}: must be fewer bins "
                               f"than n_bins = {cfg['n_bins']} of {args.config}")
    layout = RunLayout(args.run)
    model_path = args.model or layout.model(kind)
    if not Path(model_path).is_file():
        raise ComplexAutoError(f"{model_path}: no model there; train one with 'python train.py "
                               f"{args.run} FILELIST {args.config}' or pass --model PATH")
    if kind == "cqt" and args.transposition_audio.lower() != "none":
        check_transposition_options(cfg, Path(args.transposition_audio),
                                    args.transposition_seconds)
    device = cli.resolve_device(args.device, args.threads)
    model = load_model(cfg, int(np.prod(input_shape(cfg))), model_path, device)
    items, fit_items, test_items, how = load_items(
        cfg, args.filelist, args.max_pitch_shift, args.max_time_shift,
        refresh=args.refresh_cache, jobs=args.jobs)
    log.info("model %s; %s", model_path, how)
    result = analyse(make_encoder(model, device), items, fit_items, test_items, layout,
                     n_items=args.n_ngrams, n_pairs=args.n_pairs, seed=args.seed,
                     title=f"{args.run} ({Path(model_path).name})")
    for line in headline(result, items.transformations):
        log.info("%s", line)
    written = [layout.invariance_csv, layout.invariance_png, layout.transformations_csv,
               layout.phase_pca_png] + ([layout.digits_csv] if result["digits"] else [])
    if kind == "cqt" and args.transposition_audio.lower() != "none":
        rows = transposition_rows(cfg, model, Path(args.transposition_audio),
                                  args.transposition_seconds, device=device)
        write_csv(layout.transposition_csv, rows, TRANSPOSITION_COLUMNS)
        for line in transposition_headline(rows):
            log.info("%s", line)
        written.append(layout.transposition_csv)
    log.info("wrote %s", ", ".join(str(p) for p in written))
