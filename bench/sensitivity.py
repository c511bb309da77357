#!/usr/bin/env python
"""How much the families finder's scores depend on each of its constants.

Every constant of ``complex_auto/families.py`` has a written reason, not a value fitted to
the JKU's five pieces. This benchmark shows what each reason is worth: it runs
``extract_motives.py --method families`` on a converted data set (as ``bench/discovery.py``
converts it) with the defaults, then with one constant at a time moved to a neighbour on
either side (:data:`NEIGHBOURS`), and prints every run's four mean scores beside its margin
over its own chance control (the run's patterns at random places, complex_auto.chance). A
default that a neighbour beats on both data sets, run and margin, was a poor reason; a
default that wins on one set and loses on the other shows why no value is tuned to one.

    python bench/sensitivity.py                              # the JKU PDD in data/jku
    python bench/sensitivity.py ../shared/data/bps-dev        # a folder laid out like bps-dev
    python bench/sensitivity.py --only RUN_QUANTILE MIN_BEATS # some constants
    python bench/sensitivity.py --set OCCURRENCE_QUANTILE=0.9 # one variant beside the defaults
    python bench/sensitivity.py --set INSIDE_ANY=0            # a switch of the finder turned off

Converts once (reusing ``bench/discovery.py``'s run folder when it holds the same model's
conversion); each variant then takes as long as one ``families`` run and its chance control
(10 seeds): about 7 s on the JKU and 35 s on BPS-dev on an idle 2-core machine, so the whole
sweep of 30 variants and the defaults takes about 3 and 17 minutes. The run folder keeps
the defaults' patterns at the end.
"""
import argparse
import contextlib
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from complex_auto import families  # noqa: E402
from complex_auto.cli import at_least_one  # noqa: E402
from complex_auto.errors import ComplexAutoError, DataError  # noqa: E402
from discovery import (CONFIG, MODEL, SHOWN, convert_dataset, dataset_name,  # noqa: E402
                       score_method)

#: The neighbours each constant is tried at. Lengths in beats and counts are halved and
#: doubled: musical durations differ by factors of two, and a constant that matters only at
#: that scale is not a fine-tuned one. Quantiles move by 0.05, half the distance from the run
#: level (0.90) to the top. Shares of spans move halfway to 0 and to 1. The candidates' grid
#: is already the search's (``RESOLUTION_BEATS``): both its neighbours are coarser. A count
#: of one moves to none (0: no parts) and to two. The score's exponents move to
#: the simple powers beside them: length not counted (0) or in full (1), how far occurrences
#: stand out counted as it is (1) or cubed (3).
NEIGHBOURS = {
    "RESOLUTION_BEATS": (0.125, 0.5),
    "MIN_BEATS": (1.0, 4.0),
    "MAX_BEATS": (64.0, 256.0),
    "SMOOTH_BEATS": (0.5, 2.0),
    "CANDIDATE_GRID_BEATS": (0.5, 1.0),     # a finer grid than the search's is the same
    "MAX_CANDIDATES": (200, 800),
    "RUN_QUANTILE": (0.85, 0.95),
    "OCCURRENCE_QUANTILE": (0.75, 0.85),
    "SAME_SPAN_IOU": (0.25, 0.75),
    "REDUNDANT_SHARE": (0.25, 0.75),
    "PART_SHARE": (0.25, 0.75),
    "MAX_PART_CANDIDATES": (25, 100),
    "PARTS_PER_PATTERN": (0, 2),
    "EXCESS_POWER": (1.0, 3.0),
    "LENGTH_POWER": (0.0, 1.0),
}


#: Switches of the finder, which ``--set NAME=0`` turns off and ``--set NAME=1`` on (no
#: neighbours: the sweep leaves them as they are).
SWITCHES = ("INSIDE_ANY",)


def check_name(name):
    """Raise :class:`DataError` unless ``name`` is one of :data:`NEIGHBOURS`' constants or
    :data:`SWITCHES`."""
    if name not in NEIGHBOURS and name not in SWITCHES:
        raise DataError(f"{name}: not a constant of the families finder "
                        f"(one of {', '.join((*NEIGHBOURS, *SWITCHES))})")


@contextlib.contextmanager
def setting(name, value):
    """``complex_auto.families.NAME`` set to ``value`` inside the block, restored after it.

    Raises
    ------
    DataError
        ``name`` is not one of :data:`NEIGHBOURS`' constants or :data:`SWITCHES`.
    """
    check_name(name)
    old = getattr(families, name)
    setattr(families, name, type(old)(value))
    try:
        yield
    finally:
        setattr(families, name, old)


def parse_set(text):
    """``NAME=VALUE`` -> ``(NAME, float)``; a clear error otherwise (an unknown name, not a
    number, a fraction for a whole-number constant, a switch other than 0 or 1)."""
    name, sep, value = text.partition("=")
    if not sep:
        raise DataError(f"--set {text}: not NAME=VALUE")
    try:
        number = float(value)
    except ValueError:
        raise DataError(f"--set {text}: {value!r} is not a number") from None
    check_name(name)
    kind = type(getattr(families, name))
    if kind is bool and number not in (0, 1):
        raise DataError(f"--set {text}: {name} is a switch, 0 (off) or 1 (on)")
    if kind is int and not number.is_integer():
        # setting() casts to the constant's type: 2.5 would run as 2 under the label 2.5
        raise DataError(f"--set {text}: {name} is a whole number")
    return name, number


def variants(only=None, extra=()):
    """The runs to make: ``(label, name or None, value)``, the defaults first."""
    out = [("defaults", None, None)]
    for name, value in extra:
        out.append((f"{name} = {value:g}", name, value))
    if not extra:
        for name in only or NEIGHBOURS:
            for value in NEIGHBOURS[name]:
                out.append((f"{name} = {value:g} (default {getattr(families, name):g})",
                            name, value))
    return out


def run_variant(run, csvs, refdir, name=None, value=None, seeds=10):
    """``families`` on a converted data set with ``NAME = value`` (None: the defaults), scored
    beside its chance control (``discovery.score_method``)."""
    with setting(name, value) if name else contextlib.nullcontext():
        return score_method(run, csvs, refdir, "families", seeds)


def sensitivity(folder=None, only=None, extra=(), seeds=10, model=MODEL, config=CONFIG,
                log=print):
    """Run ``families`` with the defaults and every variant; label -> MethodResult."""
    run, csvs, refdir = convert_dataset(folder, True, model, config)
    out = {}
    todo = variants(only, extra)
    # the defaults last as well, so that the run folder ends with their patterns
    for k, (label, name, value) in enumerate(todo[1:] + todo[:1], 1):
        out[label] = run_variant(run, csvs, refdir, name, value, seeds)
        log(f"[{k}/{len(todo)}] {label}: {out[label].seconds:.1f} s", file=sys.stderr)
    return {label: out[label] for label, _, _ in todo}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("folder", nargs="?",
                   help="data set folder holding input_audio.txt (audio<TAB>bpm), csv_files.txt "
                        "and groundtruth/PIECE.txt (default: the JKU PDD in data/jku)")
    p.add_argument("--only", nargs="+", metavar="NAME", choices=list(NEIGHBOURS),
                   help="move only these constants (default all: " + ", ".join(NEIGHBOURS) + ")")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="run this variant beside the defaults instead of the neighbours "
                        "(repeatable: one run each); NAME is a constant of --only's list or "
                        "a switch, " + ", ".join(SWITCHES) + ", which =0 turns off and =1 on")
    p.add_argument("--seeds", type=at_least_one, default=10,
                   help="random placements for chance (default 10: margins of a few hundredths "
                        "are compared here, finer than bench/discovery.py's 3 seeds resolve)")
    p.add_argument("--model", default=str(MODEL),
                   help="the CAE (default: the one --pretrained uses, models/cqt_piano)")
    p.add_argument("--config", default=str(CONFIG), help="its config (default: models/cqt_piano's)")
    args = p.parse_args()
    extra = [parse_set(s) for s in args.set]
    t0 = time.perf_counter()
    results = sensitivity(args.folder, args.only, extra, args.seeds,
                          Path(args.model).resolve(), Path(args.config).resolve())
    name = dataset_name(args.folder)
    print(f"\n{name}, families: mean over pieces, run (margin over its chance control, "
          f"{args.seeds} seeds); {time.perf_counter() - t0:.0f} s in all")
    print(f"{'variant':<44}" + "".join(f"{c:>17}" for c in SHOWN))
    for label, res in results.items():
        print(f"{label:<44}" + "".join(f"{res.mean[c]:8.3f} ({res.mean[c] - res.chance[c]:+.3f})"
                                       for c in SHOWN))


if __name__ == "__main__":
    try:
        main()
    except ComplexAutoError as e:      # a folder it cannot use, a bad --set: one line, exit 1
        sys.exit(f"error: {e}")
