#!/usr/bin/env python
"""Recompute every number README.md (and docs/results.md, which it links to) states and
print it beside the README's value.

    python bench/readme_numbers.py                  # the cheap entries (about a minute)
    python bench/readme_numbers.py --slow           # also those that train or time (longer)
    python bench/readme_numbers.py --only "Results on the JKU"   # one README section
    python bench/readme_numbers.py --only "marks" --slow         # entries whose name says so
    python bench/readme_numbers.py --list           # the entries, without computing

One line per number: README section, name, the README's text, the recomputed value, and
``ok`` when the recomputed value rounds to the README's (within half a unit of its last
digit), ``DIFF`` otherwise. Entries whose README text is no longer in README.md are marked
``MISSING`` (the README changed: update the entry). Exit status 1 when any entry is DIFF or
MISSING, so the script doubles as a check.

Adding a number
---------------
Register a function that computes it with :func:`number`, under the README section
(its ``###`` heading, or the closest heading above the number) where the number stands::

    @number("Results on the JKU PDD", "shipped model, mean Est_F", "0.528")
    def _():
        return pretrained_scores()["Est_F"]

``readme`` is the number exactly as README.md prints it (``"0.528"``, ``"80.3 %"``,
``"1,699"``); :func:`stated` reads its value and decimals. Return the value in the README's
unit (percent as 80.3, not 0.803). Share expensive work through cached helpers
(``functools.cache``), as :func:`pretrained_scores` does. Pass ``slow=True`` for entries
that train a model or take minutes. For a time pass ``rel=0.5, bound="upper"`` (a rate:
``bound="lower"``): it matches when at most (at least) that far above (below) the README's
value, so a faster machine matches too; the README text should say the machine and its load.
Give ``context`` (a longer README text around the number) when the number alone is ambiguous.
Numbers that would need hours of training are recomputed from the shipped models and logs
(``models/``), not retrained; the entry's ``how`` says so.
"""
import argparse
import csv
import functools
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from statistics import fmean

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
#: Where the numbers stand: the README and the studies it links to.
DOCS = (README, ROOT / "docs" / "results.md")
#: BPS-dev, for the numbers README reports on it; entries are skipped where it is missing
#: (a fresh clone has no ../shared).
BPS_DEV = os.environ.get("BPS_DEV", str(ROOT.parent / "shared" / "data" / "bps-dev"))
sys.path.insert(0, str(ROOT))


@functools.cache
def docs_text():
    """The text of :data:`DOCS`, one after the other: read once, for the registrations at
    import and the check in :func:`main` alike."""
    return "\n\n".join(path.read_text() for path in DOCS)


@dataclass
class Number:
    """One number that README.md states, and how to recompute it."""

    section: str          #: README heading the number stands under
    name: str             #: what it is, short
    readme: str           #: the number as README.md writes it
    compute: callable = field(repr=False)  #: () -> float, in the README's unit
    how: str = ""         #: the command or file it comes from (first docstring line)
    slow: bool = False    #: trains or takes minutes: only with --slow
    rel: float = 0.0      #: relative tolerance (timings); 0: the README's stated precision
    context: str = ""     #: README text around the number, when the number alone is ambiguous
    bound: str = ""       #: "upper" (a time) or "lower" (a rate): a faster machine also matches
    cuda: bool = False    #: measured on a CUDA GPU: not run where there is none


NUMBERS = []


def number(section, name, readme, slow=False, rel=0.0, context="", bound="", cuda=False):
    """Decorator: register ``fn`` as the computation of a README number (see module doc).

    ``context``: a longer README text that contains the number (e.g. a table row up to its
    cell), checked for presence instead of ``readme`` when the number alone is ambiguous.
    """
    def register(fn):
        how = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else ""
        NUMBERS.append(Number(section, name, readme, fn, how, slow, rel, context, bound, cuda))
        return fn
    return register


def stated(text):
    """Value and number of decimals of a number as the README writes it.

    ``"0.528"`` → (0.528, 3); ``"80.3 %"`` → (80.3, 1); ``"1,699"`` → (1699.0, 0);
    ``"49x"`` → (49.0, 0).
    """
    m = re.search(r"-?(?:\d[\d,]*(?:\.(\d+))?|\.(\d+))", text.replace("−", "-"))
    if not m:
        raise ValueError(f"no number in {text!r}")
    return float(m.group(0).replace(",", "")), len(m.group(1) or m.group(2) or "")


def matches(entry, value):
    """True when ``value`` agrees with the README's number within its stated precision."""
    want, decimals = stated(entry.readme)
    if entry.bound == "upper":          # a time measured on a loaded machine: at most that
        return value <= want * (1 + entry.rel)
    if entry.bound == "lower":          # a rate: at least that
        return value >= want * (1 - entry.rel)
    if entry.rel:
        return abs(value - want) <= entry.rel * abs(want)
    return abs(value - want) <= 0.5 * 10 ** -decimals + 1e-9


def format_value(entry, value):
    _, decimals = stated(entry.readme)
    return f"{value:,.{decimals + 1}f}"


# -- shared, cached computations ------------------------------------------------------------

def python_env():
    """Environment for the repository's commands: this interpreter, one torch thread, the
    repository first on PYTHONPATH and the caller's entries kept (``pip --target`` installs)."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS="1", MPLBACKEND="Agg",
                PYTHONPATH=path)


def run(*cmd, stream="stdout"):
    """Run a command in the repository root (``X.py``: with this interpreter); its ``stream``
    (``"stdout"``, or ``"stderr"`` for what a command logs); stop with its output when it
    fails."""
    cmd = [str(c) for c in cmd]
    if cmd[0].endswith(".py"):
        cmd.insert(0, sys.executable)
    proc = subprocess.run(cmd, cwd=ROOT, env=python_env(),
                          capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"failed ({proc.returncode}): {' '.join(map(str, cmd))}\n{proc.stderr[-3000:]}")
    return getattr(proc, stream)


def score_rows(results_csv):
    """piece → scores (floats) of a ``results.csv``, the ``mean`` row included."""
    with open(results_csv) as f:
        return {r.pop("piece"): {k: float(v) for k, v in r.items()} for r in csv.DictReader(f)}


OUT = ROOT / "output"


def fresh(run_name):
    """Remove ``output/RUN/``: commands skip work whose outputs exist, so a rerun would time
    nothing and score old files."""
    import shutil

    shutil.rmtree(OUT / run_name, ignore_errors=True)
    return run_name


@functools.cache
def extract_flags():
    """``--no-plot`` and, where the extractor has it, ``--no-report``: scores only, fast."""
    return ["--no-plot"] + (["--no-report"] if "--no-report" in run(
        "extract_motives.py", "--help") else [])


def extract_and_score(run_name, *extract_args):
    """Extract with the JKU csv scores and score a run; its per-piece rows and mean."""
    run("extract_motives.py", run_name, "--csv", "jku_csv_files.txt", *extract_flags(),
        *extract_args)
    run("extract_motives_eval.py", run_name)
    return score_rows(OUT / run_name / "results.csv")


@functools.cache
def quick_start():
    """Seconds and per-piece scores of the Quick Start command, as a user runs it."""
    t0 = time.perf_counter()
    run("./run_batch_audio.sh", fresh("readme_pretrained"), "--pretrained")
    seconds = time.perf_counter() - t0
    return seconds, score_rows(OUT / "readme_pretrained" / "results.csv")


def pretrained_scores():
    """Mean MIREX scores of the README's Quick Start command on the shipped model."""
    return quick_start()[1]["mean"]


@functools.cache
def vmo_rows():
    """VMO's published outputs (data/peers/vmo) scored as any run."""
    run("extract_motives_eval.py", fresh("readme_vmo"), "--estdir", "data/peers/vmo")
    return score_rows(OUT / "readme_vmo" / "results.csv")


@functools.cache
def legacy_rows():
    """The shipped model with the original's frame-major conversion (--legacy-layout)."""
    run("convert.py", fresh("readme_legacy"), "jku_input_audio.txt", "models/cqt_jku/config_cqt.ini",
        "--model", "models/cqt_jku/model_complex_auto_cqt.save", "--self-sim-matrix",
        "--legacy-layout", "--threads", "1")
    return extract_and_score("readme_legacy")


@functools.cache
def quick_training():
    """Minutes and scores of ./run_batch_audio.sh RUN config_cqt_quick.ini (trains)."""
    t0 = time.perf_counter()
    run("./run_batch_audio.sh", fresh("readme_quick"), "config_cqt_quick.ini")
    minutes = (time.perf_counter() - t0) / 60
    return minutes, score_rows(OUT / "readme_quick" / "results.csv")


@functools.cache
def train_throughput():
    """bench/train_throughput.py: (epoch pairs/s, epoch seconds, model-step pairs/s, ratio)."""
    out = run("bench/train_throughput.py")
    epoch = re.search(r"whole epoch.*?([\d.]+) pairs/s\s+\(([\d.]+) s\)", out)
    model = re.search(r"model step alone\s+([\d.]+) pairs/s", out)
    ratio = re.search(r"ratio ([\d.]+)", out)
    return (float(epoch.group(1)), float(epoch.group(2)), float(model.group(1)),
            float(ratio.group(1)))


@functools.cache
def device_speed():
    """bench/device_speed.py: name → value of its result lines (seconds, pairs/s, ratios)."""
    out = run("bench/device_speed.py")
    pick = {"train cuda s/epoch": r"train cuda\s+([\d.]+) s/epoch",
            "train cpu s/epoch": r"train cpu\s+([\d.]+) s/epoch",
            "train cuda pairs/s": r"train cuda\s+[\d.]+ s/epoch\s+(\d+) pairs/s",
            "training speed-up": r"training speed-up CUDA/CPU ([\d.]+)x",
            "conversion speed-up": r"conversion speed-up CUDA/CPU ([\d.]+)x",
            "convert cuda s": r"convert cuda\s+([\d.]+) s",
            "convert cpu s": r"convert cpu\s+([\d.]+) s",
            "largest difference": r"recordings: ([\d.e+-]+)"}
    return {k: float(re.search(v, out).group(1)) for k, v in pick.items()}


@functools.cache
def jku_timings():
    """Seconds of convert.py (five JKU recordings, matrices) and of extract_motives.py on them."""
    t0 = time.perf_counter()
    run("convert.py", fresh("readme_timing"), "jku_input_audio.txt", "models/cqt_jku/config_cqt.ini",
        "--model", "models/cqt_jku/model_complex_auto_cqt.save", "--self-sim-matrix",
        "--threads", "1")
    convert_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    run("extract_motives.py", "readme_timing", "--csv", "jku_csv_files.txt", *extract_flags())
    return convert_s, time.perf_counter() - t0



# -- the README's numbers, by section -------------------------------------------------------

_QUICK = "Quick Start"


@number(_QUICK, "Quick Start command, seconds", "60", rel=0.5, bound="upper",
        context="JKU pieces (~60 s)")
def _():
    """./run_batch_audio.sh RUN --pretrained, timed (2-core CPU)"""
    return quick_start()[0]


@number("Training for Audio (CQT", "whole quick run, minutes", "23", slow=True,
        rel=0.3, bound="upper", context="took 23 minutes")
def _():
    """./run_batch_audio.sh RUN config_cqt_quick.ini, timed"""
    return quick_training()[0]


_RESULTS = "Results on the JKU PDD"
_MEASURES = ("Est_F", "Occ.75_F", "Occ.5_F", "ThreeLayer_F")


def _register_row(label, row, rows, slow=False, rel=0.0):
    """One entry per measure of a README results row: ``| label | Est_F | Occ.75_F | ...``."""
    cells = [c.strip() for c in row.strip().strip("|").split("|")]
    for i, measure in enumerate(_MEASURES, 1):
        context = "| " + " | ".join(cells[:i + 1]) + " |"
        number(_RESULTS, f"{label}, mean {measure}", cells[i].strip("*"), slow=slow, rel=rel,
               context=context)(lambda m=measure: rows()["mean"][m])


_register_row("models/cqt_jku", "| `models/cqt_jku` (68 epochs on the JKU recordings; "
              "`--pretrained` before `models/cqt_piano`) | 0.546 | 0.683 | 0.634 | 0.515 |",
              lambda: jku_model_rows())
_register_row("shipped model", "| `./run_batch_audio.sh RUN --pretrained` (`models/cqt_piano`, "
              "69 epochs on rendered music21 scores) | 0.550 | 0.685 | 0.649 | 0.521 |",
              lambda: quick_start()[1])
# Training is seeded and gives the same scores twice on one machine, but its float sums depend
# on the processor: another machine gave .514 / .705 / .659 / .514 (the README says so), hence 1 %.
_register_row("quick training", "| `./run_batch_audio.sh RUN config_cqt_quick.ini` (quick "
              "training; see below) | 0.516 | 0.708 | 0.660 | 0.514 |", lambda: quick_training()[1],
              slow=True, rel=0.01)
_register_row("legacy layout", "| `models/cqt_jku`, `--legacy-layout` (the original's conversion) "
              "| 0.558 | 0.677 | 0.641 | 0.518 |", legacy_rows)
_register_row("VMO", "| VMO (Wang, Hsu & Dubnov 2015), audio: its published outputs in "
              "`data/peers/vmo`, `python extract_motives_eval.py vmo --estdir data/peers/vmo` "
              "| 0.528 | 0.705 | 0.674 | 0.483 |", vmo_rows)


@functools.cache
def original_frame_rows():
    """python convert.py RUN jku_input_audio.txt models/cqt_jku/config_cqt.ini --model models/cqt_jku/model_complex_auto_cqt.save --self-sim-matrix; extract_motives.py RUN --frame-seconds 0.0886; extract_motives_eval.py RUN"""
    jku_model_rows()        # the same conversion: extract its matrices again, frames of 0.0886 s
    return extract_and_score("readme_jku_model", "--frame-seconds", "0.0886")


_ORIGINAL_FRAME = ".528 / .650 / .610 / .496"
for _i, _m in enumerate(_MEASURES):
    number(_RESULTS, f"nf14, models/cqt_jku, --frame-seconds 0.0886: mean {_m}",
           _ORIGINAL_FRAME.split(" / ")[_i],
           context=" / ".join(_ORIGINAL_FRAME.split(" / ")[:_i + 1]))(
        lambda m=_m: original_frame_rows()["mean"][m])


# -- See and Hear What Was Found: the Quick Start run's report -------------------------------

@functools.cache
def report_summary():
    """./run_batch_audio.sh RUN --pretrained, then python -m complex_auto.report RUN: (clips, minutes, MB)"""
    quick_start()
    # the summary is a log line, on stderr
    log = run(sys.executable, "-m", "complex_auto.report", "readme_pretrained", stream="stderr")
    m = re.search(r"(\d+) clips?, ([\d.]+) min of audio; ([\d.]+) MB", log)
    if not m:
        sys.exit(f"python -m complex_auto.report readme_pretrained: no summary\n{log[-2000:]}")
    return int(m.group(1)), float(m.group(2)), float(m.group(3))


for _k, (_text, _context) in enumerate((("208", "makes 208 clips"), ("39.9", "(39.9 minutes"),
                                        ("5.3", "a 5.3 MB report"))):
    number("See and Hear What Was Found", ("clips", "minutes of audio", "MB")[_k], _text,
           context=_context)(lambda k=_k: report_summary()[k])


# -- Long Recordings: the matrices stored in float16 (bench/storage.py) ----------------------

_LONG = "Long Recordings and Large Collections"


@functools.cache
def storage_rows():
    """python bench/storage.py: (method, stored type) -> (the four means, .seg files differing from float64's)"""
    out = {}
    for line in run("bench/storage.py").splitlines():
        parts = line.split()
        if len(parts) >= 9 and parts[1].startswith("float") and parts[-2] == "of":
            out[parts[0], parts[1]] = (dict(zip(_MEASURES, map(float, parts[2:6]))),
                                       int(parts[-3]))
    return out


for _m, _dtype, _text, _context in (
        ("Est_F", "float64", ".653", "(Est_F .653"), ("Est_F", "float16", ".653", "(Est_F .653"),
        ("Occ.75_F", "float64", ".810", "Occ.75_F .810, Occ.5_F"),
        ("Occ.75_F", "float16", ".810", "Occ.75_F .810, Occ.5_F"),
        ("Occ.5_F", "float64", ".662", "Occ.5_F .662 and"),
        ("Occ.5_F", "float16", ".662", "Occ.5_F .662 and"),
        ("ThreeLayer_F", "float64", ".562", "F3 .562 unchanged"),
        ("ThreeLayer_F", "float16", ".562", "F3 .562 unchanged")):
    number(_LONG, f"families, matrices in {_dtype}: mean {_m}", _text, context=_context)(
        lambda m=_m, d=_dtype: storage_rows()["families", d][0][m])
number(_LONG, "families, float16: .seg files differing from float64", "2", context="changes 2 of its 5")(
    lambda: storage_rows()["families", "float16"][1])
number(_LONG, "nf14, float16: .seg files differing from float64 (the same segments)", "0",
       context="give `nf14` the same segments")(lambda: storage_rows()["nf14", "float16"][1])


@functools.cache
def long_recording():
    """python bench/long_recording.py long --minutes 120: step -> (peak GB, minutes); 'nf14' and 'families': conversion + extraction"""
    out = run("bench/long_recording.py", "long", "--minutes", "120")
    steps = {m.group(1).split()[-1]: (float(m.group(2)), float(m.group(3))) for m in re.finditer(
        r"^\s+(convert --self-sim-matrix|extract --method \w+)\s+peak\s+([\d.]+) GB\s+([\d.]+) min",
        out, re.M)}
    for m in re.finditer(r"convert \+ extract --method (\w+): peak ([\d.]+) GB .*?, ([\d.]+) min",
                         out):
        steps["with " + m.group(1)] = (float(m.group(2)), float(m.group(3)))
    return steps


for _step, _row in (("--self-sim-matrix", "| `convert.py --self-sim-matrix` |"),
                    ("nf14", "| `extract_motives.py --method nf14` (searched from the file) |"),
                    ("families", "| `extract_motives.py --method families` |")):
    _cells = [c.strip() for c in next((l for l in docs_text().splitlines()
                                       if l.startswith(_row)), _row + " | |").split("|")[2:4]]
    if all(_cells):
        number(_LONG, f"2-hour recording, {_step}: peak memory", _cells[0], slow=True, rel=0.1,
               context=f"{_row} {_cells[0]}")(lambda s=_step: long_recording()[s][0])
        number(_LONG, f"2-hour recording, {_step}: minutes", _cells[1], slow=True, rel=0.3,
               bound="upper", context=f"{_row} {_cells[0]} | {_cells[1]}")(
            lambda s=_step: long_recording()[s][1])
for _method, _gb, _minutes in (("nf14", "1.35 GB", "7.0 minutes"),
                               ("families", "1.35 GB", "5.7 minutes")):
    _context = f"{_gb} and {_minutes} with `{_method}`"
    number(_LONG, f"2-hour recording with {_method}: peak memory", _gb, slow=True, rel=0.1,
           context=_context)(lambda m=_method: long_recording()["with " + m][0])
    number(_LONG, f"2-hour recording with {_method}: minutes", _minutes, slow=True, rel=0.3,
           bound="upper", context=_context)(lambda m=_method: long_recording()["with " + m][1])
# The same bench run a second time (the README gives both runs, so a reader sees the spread).
_RERUN = "gave 4.79, 1.68 and 0.45 minutes, 6.5 and 5.2 in all"
for _step, _minutes in (("--self-sim-matrix", "4.79"), ("nf14", "1.68"), ("families", "0.45"),
                        ("with nf14", "6.5"), ("with families", "5.2")):
    number(_LONG, f"2-hour recording, rerun, {_step}: minutes", _minutes, slow=True, rel=0.3,
           bound="upper", context=_RERUN)(lambda s=_step: long_recording()[s][1])
# The figures before complex_auto.half (9.6, 2.5, 1.3; 9.57, 2.29, 1.31 minutes) are the same
# command at commit 46bd903, as the README says: HEAD cannot recompute them.


@functools.cache
def float16_casts():
    """python bench/float16.py: (values, cast) -> (numpy ns, half ns, ratio)"""
    out = run("bench/float16.py")
    return {(m.group(1), m.group(2)): (float(m.group(3)), float(m.group(4)), float(m.group(5)))
            for m in re.finditer(r"^(\w+)\s+(float\d+ -> float\d+)\s+numpy\s+([\d.]+) ns\s+half"
                                 r"\s+([\d.]+) ns\s+ratio numpy/half\s+([\d.]+)x", out, re.M)}


_CASTS = ("subnormal float64 → float16 85.3 ns against 1.9 ns (44x), float16 → float32 11.4 ns "
          "against 0.5 ns (22x)")
for _what, _text, _key, _k, _bound in (
        ("NumPy, subnormal float64 -> float16, ns", "85.3 ns", "float64 -> float16", 0, "lower"),
        ("half, subnormal float64 -> float16, ns", "1.9 ns", "float64 -> float16", 1, "upper"),
        ("ratio, subnormal float64 -> float16", "44x", "float64 -> float16", 2, "lower"),
        ("NumPy, subnormal float16 -> float32, ns", "11.4 ns", "float16 -> float32", 0, "lower"),
        ("half, subnormal float16 -> float32, ns", "0.5 ns", "float16 -> float32", 1, "upper"),
        ("ratio, subnormal float16 -> float32", "22x", "float16 -> float32", 2, "lower")):
    number("Benchmarks", f"float16 casts: {_what}", _text, slow=True, rel=0.5, bound=_bound,
           context=_CASTS)(lambda c=_key, k=_k: float16_casts()["subnormal", c][k])


_BENCH = "Benchmarks"


@number(_BENCH, "training epoch through the real code, pairs/s", "345", slow=True,
        rel=0.3, bound="lower", context="through the real code: 345 pairs/s")
def _():
    """python bench/train_throughput.py (one thread)"""
    return train_throughput()[0]


@number(_BENCH, "model step alone, pairs/s", "528", slow=True, rel=0.3, bound="lower",
        context="Adam step alone: 528 pairs/s")
def _():
    """python bench/train_throughput.py (one thread)"""
    return train_throughput()[2]


@number(_BENCH, "ratio epoch / model step", "0.65", slow=True, rel=0.15, bound="lower",
        context="`ratio 0.65`")
def _():
    """python bench/train_throughput.py (one thread)"""
    return train_throughput()[3]


def _device_number(name, readme, key, unit=1.0, **kw):
    """A number of bench/device_speed.py (H200 and its 16 cores), in units of ``unit``:
    checked on a CUDA machine."""
    def compute():
        """python bench/device_speed.py (CUDA)"""
        return device_speed()[key] / unit

    number(_BENCH, name, readme, slow=True, cuda=True, **kw)(compute)


_device_number("CUDA training, s/epoch", "1.0", "train cuda s/epoch", rel=0.5, bound="upper",
               context="1.0 s/epoch on CUDA")
_device_number("CPU training on the GPU machine, s/epoch", "12.1", "train cpu s/epoch", rel=0.5,
               context="12.1 s/epoch on its 16 CPU cores")
_device_number("training speed-up CUDA/CPU", "11.6", "training speed-up", rel=0.5,
               context="`training speed-up CUDA/CPU 11.6x`")
_device_number("CUDA training, pairs/s", "95,640", "train cuda pairs/s", rel=0.5,
               bound="lower", context="on CUDA (95,640 pairs/s)")
_device_number("conversion speed-up CUDA/CPU", "0.7", "conversion speed-up", rel=0.5,
               context="(`0.7x`)")
_device_number("conversion with CUDA, s", "4.9", "convert cuda s", rel=0.5,
               context="4.9 s with CUDA")
_device_number("conversion on 16 CPU workers, s", "3.3", "convert cpu s", rel=0.5,
               context="3.3 s on 16 CPU workers")
_device_number("largest |CUDA - CPU| matrix entry, 1e-6", "1.25", "largest difference",
               unit=1e-6, rel=10.0, bound="upper", context="matrices within 1.25e-06")


@number(_BENCH, "convert.py, five JKU recordings with matrices, seconds", "52", rel=0.5,
        bound="upper", context="takes about 52 s")
def _():
    """convert.py RUN jku_input_audio.txt (shipped model) --self-sim-matrix, timed"""
    return jku_timings()[0]


@number(_BENCH, "extract_motives.py on them, seconds", "9", rel=0.5, bound="upper",
        context="on them about 9 s")
def _():
    """python extract_motives.py RUN --csv jku_csv_files.txt --no-plot, timed"""
    return jku_timings()[1]

@functools.cache
def segment_search():
    """bench/segment_search.py: (oracle s, fast s, ratio); stops unless segments are identical."""
    out = run("bench/segment_search.py")
    m = re.search(r"oracle ([\d.]+) s, fast ([\d.]+) s \(identical segments\)", out)
    if not m:
        sys.exit(f"bench/segment_search.py: segments differ or output changed:\n{out[-500:]}")
    return float(m.group(1)), float(m.group(2)), float(re.search(r"ratio oracle/fast: (\d+)x",
                                                                  out).group(1))


# Timings on a shared machine: the README gives runs at two loads, each checked within a half.
# The times at load 8 are upper bounds: the same search on a less loaded machine is faster.
_SEARCH_ROW = "the five JKU matrices: 20.2 s against 0.61 s, identical segments, "
for _what, _text, _k, _context, _bound in (
        ("oracle seconds", "20.2 s", 0, _SEARCH_ROW, ""),
        ("compiled seconds", "0.61 s", 1, _SEARCH_ROW, ""),
        ("ratio", "33x", 2, "`ratio oracle/fast: 33x`", ""),
        ("ratio, second run", "27x", 2, "(27x and 30x in two more runs", ""),
        ("ratio, third run", "30x", 2, "(27x and 30x in two more runs", ""),
        ("ratio at load 8", "50x", 2, "50x, 29.7 s against 0.59 s", ""),
        ("oracle seconds at load 8", "29.7 s", 0, "50x, 29.7 s against 0.59 s", "upper"),
        ("compiled seconds at load 8", "0.59 s", 1, "50x, 29.7 s against 0.59 s", "upper")):
    number("Benchmarks", f"segment search: {_what}", _text, slow=True, rel=0.5,
           context=_context, bound=_bound)(lambda k=_k: segment_search()[k])


@functools.cache
def mutants():
    """bench/mutants.py: (mutants in the table, mutants killed, minutes)."""
    t0 = time.perf_counter()
    # not run(): a survivor makes the script exit 1, and the count is what is checked
    out = subprocess.run([sys.executable, str(ROOT / "bench/mutants.py")], cwd=ROOT,
                         env=python_env(), capture_output=True, text=True).stdout
    m = re.search(r"killed (\d+) of (\d+) mutants", out)
    if not m:
        sys.exit(f"bench/mutants.py: no summary line:\n{out[-500:]}")
    return int(m.group(2)), int(m.group(1)), (time.perf_counter() - t0) / 60


_MUTANTS_ROW = "`killed 422 of 422 mutants (100%)`"
number("Benchmarks", "mutants in the table", "422", context="`--list` names the 422")(
    lambda: len(run("bench/mutants.py", "--list").splitlines()))
number("Benchmarks", "mutants in the run", "422", slow=True, context=_MUTANTS_ROW)(
    lambda: mutants()[0])
number("Benchmarks", "mutants killed", "422", slow=True, context=_MUTANTS_ROW)(
    lambda: mutants()[1])
number("Benchmarks", "mutants: minutes", "120", slow=True, rel=0.5, bound="upper",
       context="(about 120 minutes on two cores, partly beside other work; the working tree")(
    lambda: mutants()[2])


# Both finders per piece, their chance controls, and the same on the BPS-motif folder
# (bench/discovery.py; BPS_DEV names the folder, default ../shared/data/bps-dev).

def discovery(folder=None, model="cqt_piano", focus=None, audio_start="auto", occurrence_p=None,
              subset=False, max_beats=None, notes="span", seeds=3):
    """bench/discovery.py [--focus-frames N] [--audio-start S] [--occurrence-p P --methods
    families] [--best-subset] [--max-beats B --methods families] [--notes N] [--seeds K]:
    ``run_dataset``'s (method -> MethodResult, Ceiling)."""
    # every argument passed, so that calls spelled differently share one cached run
    return _discovery(folder, model, focus, audio_start, occurrence_p, subset, max_beats, notes,
                      seeds)


@functools.cache
def _discovery(folder, model, focus, audio_start, occurrence_p, subset, max_beats, notes, seeds):
    sys.path.insert(0, str(ROOT / "bench"))
    import discovery as bench_discovery

    methods = ("families",) if occurrence_p or max_beats else bench_discovery.METHODS
    return bench_discovery.run_dataset(folder, methods=methods,
                                       model=ROOT / f"models/{model}/model_complex_auto_cqt.save",
                                       config=ROOT / f"models/{model}/config_cqt.ini",
                                       focus=focus, audio_start=audio_start,
                                       occurrence_p=occurrence_p, subset=subset,
                                       max_beats=max_beats, notes=notes, seeds=seeds)


def finder_score(method, m, what="mean", folder=None, model="cqt_piano", notes="span",
                 piece=None, seeds=3):
    """bench/discovery.py [FOLDER] [--model ...] [--notes N] [--seeds K]: a finder's ``m`` as
    its run's ``mean``, its ``chance`` control, or the ``margin`` between them; with
    ``piece``, that piece's run score."""
    res = discovery(folder, model, notes=notes, seeds=seeds)[0][method]
    if piece is not None:
        return next(r[m] for r in res.pieces if r["piece"] == piece + "-poly")
    if what == "margin":
        return res.mean[m] - res.chance[m]
    return getattr(res, what)[m]


def families_run(folder=None):
    """bench/discovery.py [FOLDER]'s run folder holding ``families``' patterns with the
    defaults, extracted again (later entries extract other variants into the same folder):
    (run name, ground truth folder)."""
    sys.path.insert(0, str(ROOT / "bench"))
    import discovery as bench_discovery
    from complex_auto.patterns import extract_run

    discovery(folder)
    base = bench_discovery.run_name(folder)
    _, csvs, refdir = bench_discovery.dataset_lists(folder, ROOT / "output" / base)
    extract_run(base, csv_list=str(csvs), method="families", refdir=refdir, plot=False,
                root=ROOT / "output", overwrite=True)
    return base, refdir


def jku_matches(piece, *measures):
    """bench/discovery.py --methods families, then extract_motives_eval.py RUN --matches:
    each of ``measures`` (establishment_matrix, three_layer_matrix) of one JKU piece"""
    from complex_auto.evaluation import piece_matrices

    base, refdir = families_run()
    return dict(piece_matrices(lambda ref, est: tuple(m(ref, est) for m in measures),
                               ROOT / "output" / base, refdir, (".seg",)))[piece]


@functools.cache
def chance_shares(folder=None):
    """bench/discovery.py [FOLDER] --methods families, then bench/chance.py RUN --refdir
    FOLDER/groundtruth --seeds 10 --shares: the mean over the pieces of (run's, chance's)
    (score, cover, purity) of each annotated pattern's best match."""
    import numpy as np

    sys.path.insert(0, str(ROOT / "bench"))
    from chance import shares_table
    from complex_auto.chance import chance_patterns

    base, refdir = families_run(folder)
    table = shares_table(base, refdir, list(chance_patterns(base, range(10))))
    return tuple(np.mean([v[k] for v in table.values()], axis=0) for k in (0, 1))


@functools.cache
def mazurka_matches():
    """bench/discovery.py --methods families, then extract_motives_eval.py RUN --matches:
    mazurka24-4-poly's establishment matrix (annotated x found)"""
    from complex_auto.evaluation import establishment_matrix
    return jku_matches("mazurka24-4-poly", establishment_matrix)[0]


@functools.cache
def sonata04_matches():
    """bench/discovery.py --methods families, then extract_motives_eval.py RUN --matches:
    sonata04-2-poly's establishment matrix and three-layer match (annotated x found)"""
    from complex_auto.evaluation import establishment_matrix, three_layer_matrix
    return jku_matches("sonata04-2-poly", establishment_matrix, three_layer_matrix)


for _name, _text, _context, _fn in (
        ("pattern 2, best", ".55", ".55 at most against any annotation",
         lambda: mazurka_matches()[:, 1].max()),
        ("pattern 1 on annotation 1", ".88", "which pattern 1 finds, at .88",
         lambda: mazurka_matches()[0, 0]),
        # the found pattern that shares no note with any annotation: the one all-zero column
        ("the pattern that shares no note", "4", "pattern 4 shares no note",
         lambda: 1 + int((mazurka_matches().max(axis=0) == 0).argmax()))):
    number("Extract Repeated Themes and Sections", f"--matches: mazurka24-4 {_name}", _text,
           context=_context)(lambda f=_fn: float(f()))
for _name, _text, _context, _fn in (
        ("establishment", ".96", "by its pattern 2 at establishment .96",
         lambda: sonata04_matches()[0][4, 1]),
        ("found occurrences", "5", "pattern 2 lists 5 occurrences",
         lambda: sonata04_matches()[1].est_occurrences[1]),
        ("occurrence precision", ".58", "occurrence precision is .58",
         lambda: sonata04_matches()[1].P[4, 1]),
        ("occurrence recall", ".96", "occurrence recall .96",
         lambda: sonata04_matches()[1].R[4, 1]),
        ("three-layer F", ".72", "its three-layer F .72", lambda: sonata04_matches()[1].F[4, 1]),
        ("best by three-layer F", "2", "best by three-layer F is pattern 2",
         lambda: 1 + sonata04_matches()[1].F[4].argmax())):
    number("Extract Repeated Themes and Sections", f"--matches: sonata04-2 annotation 5, {_name}",
           _text, context=_context)(lambda f=_fn: float(f()))


_SHORT = {"mazurka24-4": "mazurka24-4-poly", "silverswan": "silverswan-poly",
          "sonata01-3": "sonata01-3-poly", "sonata04-2": "sonata04-2-poly",
          "wtc2f20": "wtc2f20-poly"}


def _row_cells(row_text, signed=False):
    """The numbers of a README row, in order, each with the row text up to and including it;
    ``signed``: margins keep their sign (``+.052``, ``−.033``)."""
    pattern = r"(?<![\w.])[+−]?\.\d+" if signed else r"(?<![\w.])\.\d+|\d+\.\d+"
    return [(m.group(0), row_text[:m.end()]) for m in re.finditer(pattern, row_text)]


def _register_discovery_row(label, row_text, getters, slow=False, section=_RESULTS):
    cells = _row_cells(row_text)
    assert len(cells) == len(getters), (label, len(cells), len(getters))
    for (text, context), (name, fn) in zip(cells, getters):
        number(section, f"{label}: {name}", text, slow=slow, context=context)(fn)


def _getters(folder, what, piece=None, methods=("nf14", "families"), model="cqt_piano",
             focus=None):
    out = []
    for method in methods:
        for m in _MEASURES:
            if what == "piece":
                fn = (lambda method=method, m=m: next(
                    r[m] for r in discovery(folder, model, focus)[0][method].pieces
                    if r["piece"] == piece))
            elif what == "mean":
                fn = lambda method=method, m=m: discovery(folder, model, focus)[0][method].mean[m]
            else:
                fn = lambda method=method, m=m: discovery(folder, model, focus)[0][method].chance[m]
            out.append((f"{method} {what} {m}", fn))
    return out


def _bps_folder():
    """The BPS-dev folder (``BPS_DEV``) when it is there, else None."""
    return BPS_DEV if Path(BPS_DEV).is_dir() else None


def _table_rows(header):
    """The rows of the README table under ``header`` (none when it is gone), and
    :func:`_bps_folder`."""
    text = docs_text()
    table = text.split(header, 1)[1].split("\n\n", 1)[0] if header in text else ""
    return table.splitlines(), _bps_folder()


def _register_model_table(header, label, model, focus):
    """The JKU and BPS-dev rows (run, chance control) of the README table under ``header``."""
    rows, bps = _table_rows(header)
    for where, folder in (("JKU", None), ("BPS-dev", bps)):
        if where == "BPS-dev" and folder is None:
            continue
        for row_label, what in ((f"| {where}, run |", "mean"),
                                (f"| {where}, chance control |", "chance")):
            row = next((l for l in rows if l.startswith(row_label)), None)
            if row:
                _register_discovery_row(f"{label} {'BPS' if folder else 'JKU'} {what}", row,
                                        _getters(folder, what, model=model, focus=focus),
                                        slow=folder is not None)


def _register_discovery():
    text = docs_text()
    for short, piece in _SHORT.items():
        row = next((l for l in text.splitlines() if l.startswith(f"| {short} |")), None)
        if row:
            vmo = [(f"VMO {m}", lambda piece=piece, m=m: vmo_rows()[piece][m]) for m in _MEASURES]
            _register_discovery_row(piece, row, _getters(None, "piece", piece) + vmo)
    row = next((l for l in text.splitlines() if l.startswith("| **mean** |")), None)
    if row:
        vmo = [(f"VMO mean {m}", lambda m=m: vmo_rows()["mean"][m]) for m in _MEASURES]
        _register_discovery_row("JKU mean", row, _getters(None, "mean") + vmo)
    row = next((l for l in text.splitlines() if l.startswith("| chance control (mean) |")), None)
    if row:
        _register_discovery_row("JKU chance", row, _getters(None, "chance"))
    bps = BPS_DEV
    for header, label, model, focus in (
            ("| `models/cqt_jku` (trained on the JKU recordings) |", "cqt_jku", "cqt_jku", None),
            ("| `models/cqt_piano`, central 16 frames |", "cqt_piano focus 16", "cqt_piano", 16),
            ("| `models/cqt_piano_n8` |", "cqt_piano_n8", "cqt_piano_n8", None)):
        _register_model_table(header, label, model, focus)
    if Path(bps).is_dir():
        for label, what in (("| run |", "mean"), ("| chance control |", "chance")):
            row = next((l for l in text.splitlines() if l.startswith(label)), None)
            if row:
                _register_discovery_row(f"BPS {what}", row, _getters(bps, what), slow=True)
    # The ceiling line of bench/discovery.py: the annotated spans, then the same at random places.
    ceilings = [("JKU", None, ".841 / .884 / .885 / .828", ".574 / .385 / .377 / .298", False)]
    if Path(bps).is_dir():
        ceilings.append(("BPS", bps, ".473 / .373 / .452 / .511", ".416 / .049 / .074 / .097", True))
    for name, folder, spans, placed, slow in ceilings:
        for kind, sentence in (("top", spans), ("chance", placed)):
            if sentence in text:
                _register_discovery_row(
                    f"{name} ceiling{' chance' if kind == 'chance' else ''}", sentence,
                    [(m, lambda folder=folder, f=kind, m=m: getattr(discovery(folder)[1], f)[m])
                     for m in _MEASURES], slow=slow)

    _PIECES = ("the annotated\nspans is .997 in sonata01-3, .999 in mazurka24-4 and .967 in "
               "sonata04-2, whose annotations\nhold every voice, but .580 in wtc2f20 and .597 in "
               "silverswan")
    for piece, value in (("sonata01-3", ".997"), ("mazurka24-4", ".999"), ("sonata04-2", ".967"),
                         ("wtc2f20", ".580"), ("silverswan", ".597")):
        number(_RESULTS, f"JKU ceiling, {piece}: ThreeLayer_F", value, context=_PIECES)(
            lambda p=piece: discovery()[1].pieces[p + "-poly"][0]["ThreeLayer_F"])
    _FAM = "(`families` scores .807, .813 and .499 there)"
    for piece, value in (("sonata01-3", ".807"), ("mazurka24-4", ".813"), ("sonata04-2", ".499")):
        number(_RESULTS, f"JKU families, {piece}: ThreeLayer_F (beside its ceiling)", value,
               context=_FAM)(lambda p=piece: finder_score("families", "ThreeLayer_F", piece=p))


_register_discovery()


def _register_occurrence_p():
    """The table and per-piece sentence of README's '--occurrence-p' paragraph."""
    text = docs_text()
    bps = BPS_DEV
    for row_label, model, folder in (("| JKU, `models/cqt_piano` |", "cqt_piano", None),
                                     ("| JKU, `models/cqt_jku` |", "cqt_jku", None),
                                     ("| BPS-dev, `models/cqt_piano` |", "cqt_piano", bps)):
        row = next((l for l in text.splitlines() if l.startswith(row_label)), None)
        if row is None or (folder and not Path(folder).is_dir()):
            continue
        getters = [(f"families p .005 {what} {m}",
                    lambda f=folder, mo=model, what=what, m=m: getattr(
                        discovery(f, mo, None, "auto", 0.005)[0]["families"], what)[m])
                   for what in ("mean", "chance") for m in _MEASURES]
        where = "BPS" if folder else "JKU"
        _register_discovery_row(f"--occurrence-p {where} {model}", row, getters,
                                slow=folder is not None)
    for short, piece in _SHORT.items():
        match = re.search(rf"{short} \.\d+ /\s+\.\d+ /\s+\.\d+ /\s+\.\d+", text)
        if match:
            _register_discovery_row(f"--occurrence-p {piece}", match.group(0), [
                (f"families p .005 piece {m}", lambda piece=piece, m=m: next(
                    r[m] for r in discovery(None, "cqt_piano", None, "auto", 0.005)[0]
                    ["families"].pieces if r["piece"] == piece)) for m in _MEASURES])


_register_occurrence_p()


def _families_score(m, what="mean", folder=None, model="cqt_piano", focus=None, p=None,
                    max_beats=None, subset=False, method="families"):
    """A computation of one score of a :func:`discovery` run: its ``mean``, ``chance``,
    ``bound``, ``occurrences`` or ``boundaries`` (``subset``) value of ``m``, the ``margin``
    (mean less chance, unrounded, as bench/discovery.py prints it), or the percentage of its
    occurrences that ``boundaries`` ``moved``."""
    def compute():
        r = discovery(folder, model, focus, "auto", p, subset, max_beats)[0][method]
        if what == "margin":
            return r.mean[m] - r.chance[m]
        if what in ("boundaries", "moved"):
            placed, moved = r.boundaries
            return placed[m] if what == "boundaries" else 100 * moved
        return getattr(r, what)[m]
    return compute


def _register_best_subset():
    """The table of README's '--best-subset' paragraph: run, best subset, annotated
    occurrences and annotated boundaries per finder."""
    rows, bps = _table_rows("| `models/cqt_piano` | run | best subset | annotated occurrences "
                            "| annotated boundaries |")
    for where, folder in (("JKU", None), ("BPS-dev", bps)):
        for label, method, p in (("`nf14`", "nf14", None), ("`families`", "families", None),
                                 ("`families --occurrence-p 0.005`", "families", 0.005)):
            prefix = f"| {where}, {label} |"
            row = next((l for l in rows if l.startswith(prefix)), None)
            if row is None or (where == "BPS-dev" and folder is None):
                continue
            row = row[len(prefix):]     # the label's own number (0.005) is not a result
            getters = [(f"{what} {m}", _families_score(m, what, folder, p=p, subset=True,
                                                      method=method))
                       for what in ("mean", "bound", "occurrences", "boundaries")
                       for m in _MEASURES]
            _register_discovery_row(f"--best-subset {where} {label}", row, getters,
                                    slow=folder is not None)


_register_best_subset()


@functools.cache
def candidates(folder=None, max_beats=None):
    """bench/discovery.py [FOLDER] --methods families --candidates [--max-beats B]: piece ->
    establishment recall of every candidate, and the run's mean establishment recall"""
    sys.path.insert(0, str(ROOT / "bench"))
    import discovery as bench_discovery

    res = bench_discovery.run_dataset(folder, methods=("families",), seeds=1, keep=True,
                                      max_beats=max_beats, candidates=True)[0]["families"]
    return ({piece: bound for piece, (bound, _) in res.candidates.items()}, res.mean["Est_R"],
            res.lost, {r["piece"]: r["Est_R"] for r in res.pieces})


def _register_candidates():
    """The table and the sentence of README's '--candidates' paragraph."""
    rows, bps = _table_rows("| `families`, `models/cqt_piano` | candidates | run |")
    for prefix, folder, max_beats in (("| JKU |", None, None), ("| BPS-dev |", bps, None),
                                      ("| BPS-dev, `--max-beats 8` |", bps, 8.0)):
        row = next((l for l in rows if l.startswith(prefix)), None)
        if row is None or (prefix != "| JKU |" and folder is None):
            continue
        getters = [("candidates", lambda f=folder, b=max_beats: fmean(
                        candidates(f, b)[0].values())),
                   ("run", lambda f=folder, b=max_beats: candidates(f, b)[1])]
        _register_discovery_row(f"--candidates {prefix.strip('| ')}", row[len(prefix):],
                                getters, slow=folder is not None)
    for name, value, context, fn in (
            ("wtc2f20", ".525", "wtc2f20\n(.525)", lambda: candidates()[0]["wtc2f20-poly"]),
            ("silverswan", ".582", "silverswan (.582)",
             lambda: candidates()[0]["silverswan-poly"]),
            ("lowest of the other three", ".838", "against .838 to",
             lambda: min(v for k, v in candidates()[0].items()
                         if k not in ("wtc2f20-poly", "silverswan-poly"))),
            ("highest of the other three", ".988", ".838 to .988",
             lambda: max(candidates()[0].values()))):
        number(_RESULTS, f"--candidates JKU {name}", value, context=context)(fn)
    _register_lost_patterns()


@functools.cache
def sensitivity_study(folder=None, extra=(), only=None):
    """python bench/sensitivity.py [FOLDER] [--only NAME] [--set NAME=VALUE ...] (``extra``:
    ``((NAME, VALUE), ...)``): variant label -> MethodResult (10 seeds)"""
    sys.path.insert(0, str(ROOT / "bench"))
    import sensitivity as bench_sensitivity

    return bench_sensitivity.sensitivity(folder, only=only, extra=extra,
                                         log=lambda *a, **k: None)


def iou_study(folder=None):
    """python bench/sensitivity.py [FOLDER] --set SAME_SPAN_IOU=0.67"""
    return sensitivity_study(folder, (("SAME_SPAN_IOU", 0.67),))


def ties_study(folder=None):
    """python bench/sensitivity.py [FOLDER] --set SAME_SPAN_IOU=0.5000001 --set
    REDUNDANT_SHARE=0.5000001"""
    return sensitivity_study(folder, (("SAME_SPAN_IOU", 0.5000001),
                                      ("REDUNDANT_SHARE", 0.5000001)))


def iou_value_run(value):
    """python bench/sensitivity.py --set SAME_SPAN_IOU=VALUE (JKU): that variant's
    MethodResult, found by its constant's name (the labels of two values that round alike
    would collide, so each value has a study of its own)."""
    rows = sensitivity_study(None, (("SAME_SPAN_IOU", value),))
    return next(r for k, r in rows.items() if k.startswith("SAME_SPAN_IOU"))


def _register_study_rows(tag, rows, study):
    """A README table of `bench/sensitivity.py --set` variants, a row per variant and a column
    per set (JKU, BPS-dev), each cell 'run / ... (margin / ...)': every number of it, as
    ``study`` (label -> MethodResult) computes it. ``rows``: (variant label, row start)."""
    text = docs_text()
    for label, start in rows:
        row = next((line for line in text.splitlines() if line.startswith(start)), start)
        jku, _, bps = row[len(start):].partition("|")
        for folder, cell in ((None, jku), (BPS_DEV, bps)):
            if folder is not None and not Path(folder).is_dir():
                continue
            set_name = "JKU" if folder is None else "BPS-dev"
            prefix = row[:len(start)] + (jku + "|" if folder else "")
            runs, margins = cell.split("(", 1) if "(" in cell else (cell, "")
            for what, part, signed in (("mean", runs, False), ("margin", margins, True)):
                base = prefix + (runs + "(" if what == "margin" else "")
                for m, (value, context) in zip(_MEASURES, _row_cells(part, signed)):
                    number(_RESULTS, f"{tag} {set_name} {label} {what} {m}", value, slow=True,
                           context=base + context)(
                        _study_cell(label, m, what, folder=folder, study=study))


def inside_study(folder=None):
    """python bench/sensitivity.py [FOLDER] --set INSIDE_ANY=0"""
    return sensitivity_study(folder, (("INSIDE_ANY", 0.0),))


def _register_inside():
    """README's 'Fragments of better patterns' table (both sets), the goal its prose says the
    rule meets, and the goals bullet's score without it."""
    _register_study_rows("inside", (("defaults", "| defaults |"),
                                    ("INSIDE_ANY", "| `INSIDE_ANY` off |")), inside_study)
    number(_RESULTS, "inside JKU establishment goal met", ".653", slow=True,
           context="met (.653; F3 stays short of .60)")(
        _study_cell("defaults", "Est_F", study=inside_study))
    number(_RESULTS, "inside JKU Est_F with INSIDE_ANY off, goals bullet", ".644", slow=True,
           context="(.644 with the rule of versions 1–4")(
        _study_cell("INSIDE_ANY", "Est_F", study=inside_study))



def _register_ties():
    """README's 'Ties at one half' table (both sets) and the per-piece Occ.75_F it names."""
    def piece(label, name):
        def compute():
            res = next(r for k, r in ties_study().items() if k.startswith(label))
            return next(r["Occ.75_F"] for r in res.pieces if r["piece"] == name + "-poly")
        return compute

    _register_study_rows("ties", (("defaults", "| defaults (ties count) |"),
                                  ("SAME_SPAN_IOU", "| `SAME_SPAN_IOU` just above ½ |"),
                                  ("REDUNDANT_SHARE", "| `REDUNDANT_SHARE` just above ½ |")),
                         ties_study)
    for name, value, context, label in (
            ("wtc2f20", ".575", "(wtc2f20 falls from .575\nto 0)", "defaults"),
            ("wtc2f20", "0", "(wtc2f20 falls from .575\nto 0)", "SAME_SPAN_IOU")):
        number(_RESULTS, f"ties JKU {label} Occ.75_F {name}", value, slow=True,
               context=context)(piece(label, name))
    for value, shown, context in (
            (0.6667, ".654", "SAME_SPAN_IOU=0.6667` gives the JKU establishment F .654"),
            (2 / 3, ".657", "SAME_SPAN_IOU=0.6666666666666666` .657)")):
        number(_RESULTS, f"ties JKU SAME_SPAN_IOU={value!r} Est_F", shown, slow=True,
               context=context)(lambda v=value: iou_value_run(v).mean["Est_F"])
    number(_RESULTS, "ties JKU SAME_SPAN_IOU Occ.75_F cost", ".115", slow=True,
           context="costs the JKU Occ.75_F .115")(
        lambda: -(_study_cell("SAME_SPAN_IOU", "Occ.75_F", study=ties_study)()
                  - _study_cell("defaults", "Occ.75_F", study=ties_study)()))


def _study_cell(label, m, what="mean", folder=None, only=None, study=None):
    """A computation of one score of a bench/sensitivity.py study (default
    :func:`constants_study`): the variant whose label starts with ``label``, its ``mean`` or
    its ``margin`` over chance on ``m``."""
    def compute():
        rows = study(folder) if study else constants_study(folder, only)
        res = next(r for k, r in rows.items() if k.startswith(label))
        return res.mean[m] - (res.chance[m] if what == "margin" else 0.0)
    return compute


def _register_lost_patterns():
    """The sentences of README's '--candidates' paragraph on what the choice lost."""
    def lost():
        return candidates()[2]

    def a6_beats():
        return next(beats for piece, i, _, _, beats, _, _ in lost()
                    if piece == "sonata04-2-poly" and i == 6)

    said = [("sonata04-2 candidates", ".838", "(.838 against the run's .581)",
             lambda: candidates()[0]["sonata04-2-poly"]),
            ("sonata04-2 run Est_R", ".581", "(.838 against the run's .581)",
             lambda: candidates()[3]["sonata04-2-poly"]),
            ("patterns lost", "10", "JKU it lists 10 patterns", lambda: len(lost())),
            ("patterns lost in sonata04-2", "7", "7 of them in sonata04-2",
             lambda: sum(piece == "sonata04-2-poly" for piece, *_ in lost())),
            ("sonata04-2 A6 candidate beats", "60", "(A6's candidate, 60 beats", a6_beats)]
    for name, value, context, fn in said:
        number(_RESULTS, f"--candidates JKU {name}", value, context=context)(fn)
    bps = _bps_folder()
    for where, folder, label, context, what in (
            ("JKU", None, "SAME_SPAN_IOU = 0.67", "JKU .656 / .717 / .673 / .572", "mean"),
            ("JKU", None, "SAME_SPAN_IOU = 0.67", "(+.073 / +.314 / +.302 / +.247", "margin"),
            ("JKU", None, "defaults", "+.066 / +.511 / +.286 / +.241) gain", "margin"),
            ("BPS-dev", bps, "SAME_SPAN_IOU = 0.67",
             "BPS-dev's margins (−.026 / +.066 / +.035 / +.032", "margin"),
            ("BPS-dev", bps, "defaults", "(−.023 / +.066 / +.050 / +.036). So the default stays",
             "margin")):
        if where == "BPS-dev" and folder is None:
            continue
        for m, (text, _) in zip(_MEASURES, _row_cells(context, signed=True)):
            number(_RESULTS, f"--candidates {where} {label} {what} {m}", text, slow=True,
                   context=context)(_study_cell(label, m, what, folder, study=iou_study))


_register_candidates()


def parts_count_study(folder=None):
    """python bench/sensitivity.py [FOLDER] --set PARTS_PER_PATTERN=2 --set
    PARTS_PER_PATTERN=1000"""
    return sensitivity_study(folder, (("PARTS_PER_PATTERN", 2.0), ("PARTS_PER_PATTERN", 1000.0)))


_register_ties()
_register_inside()
_register_study_rows("parts a pattern", (("defaults", "| one (default) |"),
                                         ("PARTS_PER_PATTERN = 2", "| two |"),
                                         ("PARTS_PER_PATTERN = 1000", "| every part (1000) |")),
                     parts_count_study)


def _register_max_beats():
    """The table of README's '--max-beats' paragraph: run and chance control."""
    rows, bps = _table_rows(
        "| `families --max-beats 8`, `models/cqt_piano` | run | chance control |")
    for where, folder in (("JKU", None), ("BPS-dev", bps)):
        row = next((l for l in rows if l.startswith(f"| {where} |")), None)
        if row is None or (where == "BPS-dev" and folder is None):
            continue
        getters = [(f"{what} {m}", lambda f=folder, k=k, m=m: getattr(discovery(
            f, "cqt_piano", None, "auto", None, False, 8.0)[0]["families"], k)[m])
            for k, what in (("mean", "run"), ("chance", "chance")) for m in _MEASURES]
        _register_discovery_row(f"--max-beats 8 {where}", row, getters, slow=folder is not None)


_register_max_beats()


def _register_notes_table(notes):
    """The table of README's '--notes NOTES' paragraph: run and chance control of both
    finders, and the ceiling with its chance control. Returns the BPS-dev folder (or None)."""
    rows, bps = _table_rows(f"| `--notes {notes}`, `models/cqt_piano` | run | chance control |")
    for where, folder in (("JKU", None), ("BPS-dev", bps)):
        if where == "BPS-dev" and folder is None:
            continue

        def run_of(f=folder):
            return discovery(f, notes=notes)

        for label, method in (("`nf14`", "nf14"), ("`families`", "families"),
                              ("ceiling (annotated spans)", None)):
            row = next((l for l in rows if l.startswith(f"| {where}, {label} |")), None)
            if row is None:
                continue
            if method:
                getters = [(f"{k} {m}", lambda me=method, k=k, m=m, r=run_of: getattr(
                    r()[0][me], k)[m]) for k in ("mean", "chance") for m in _MEASURES]
            else:
                getters = [(f"{k} {m}", lambda k=k, m=m, r=run_of: getattr(r()[1], k)[m])
                           for k in ("top", "chance") for m in _MEASURES]
            _register_discovery_row(f"--notes {notes} {where} {method or 'ceiling'}", row,
                                    getters, slow=folder is not None)
    return bps


def _register_recurring():
    """README's '--notes recurring' paragraph: its table, and the margins and every-note
    scores that the prose below it quotes."""
    bps = _register_notes_table("recurring")

    def margin(folder, method, notes="recurring"):
        return finder_score(method, "Est_F", "margin", folder, notes=notes)

    def ceiling_of(k, notes):
        return getattr(discovery(notes=notes)[1], k)["Est_F"]

    said = [("families Est_F margin", "+.287", "establishment F included (`families` +.287",
             lambda: margin(None, "families")),
            ("families Est_F margin, every note", "+.063", "+.287, against +.063",
             lambda: margin(None, "families", notes="span")),
            ("nf14 Est_F margin", "+.231", "`nf14` +.231", lambda: margin(None, "nf14")),
            ("nf14 Est_F margin, every note", "+.027", "+.231 against +.027",
             lambda: margin(None, "nf14", notes="span")),
            ("ceiling Est_F, every note", ".841", "(.841 → .846",
             lambda: ceiling_of("top", "span")),
            ("ceiling Est_F", ".846", ".841 → .846", lambda: ceiling_of("top", "recurring")),
            ("ceiling chance Est_F, every note", ".574", "(.574 → .336",
             lambda: ceiling_of("chance", "span")),
            ("ceiling chance Est_F", ".336", ".574 → .336",
             lambda: ceiling_of("chance", "recurring"))]
    if bps:
        said += [("BPS families Est_F, every note", ".190", "(`families` .190 → .199",
                  lambda: discovery(bps)[0]["families"].mean["Est_F"]),
                 ("BPS families Est_F", ".199", ".190 → .199",
                  lambda: discovery(bps, notes="recurring")[0]["families"].mean["Est_F"]),
                 ("BPS families Est_F margin", "−.041", "stays below chance (−.041",
                  lambda: margin(bps, "families")),
                 ("BPS families Est_F margin, every note", "−.026", "against −.026 with every",
                  lambda: margin(bps, "families", notes="span"))]
    for name, text, context, fn in said:
        number(_RESULTS, f"--notes recurring: {name}", text, context=context,
               slow=name.startswith("BPS"))(fn)
    # the same runs with every note, quoted beside the table
    for method, context in (("families", "every note (.653 / .810 / .662 / .562)"),
                            ("nf14", "(.550 / .685 / .649 / .521 with")):
        _register_discovery_row(f"--notes recurring: {method} with every note", context,
                                _getters(None, "mean", methods=(method,)))


_register_recurring()


def _register_melody():
    """README's '--notes melody' paragraph: its table, the one-voice shares of the
    annotations (bench/annotated_voices.py), and the margins and every-note scores its prose
    quotes."""
    bps = _register_notes_table("melody")
    sys.path.insert(0, str(ROOT / "bench"))
    from annotated_voices import voices

    def share(folder, k):
        # voices(): piece -> (occurrences, one voice, notes, notes on the skyline); summed
        n, mono, notes, top = map(sum, zip(*voices(folder).values()))
        return {"occurrences": n, "one voice": mono, "one-voice %": 100 * mono / n,
                "melody %": 100 * top / notes}[k]

    def families(notes, m, what="mean", folder=None):
        return finder_score("families", m, what, folder, notes=notes)

    said = [("JKU one-voice occurrences", "42 %", "in the JKU 42 % of the occurrences",
             lambda: share(None, "one-voice %")),
            ("JKU melody notes", "42 %", "and 42 % of the annotated notes",
             lambda: share(None, "melody %"))]

    def cell(k):
        # a list "a / b / c / d" of the four measures, with cell k the one to read
        return " / ".join("{}" if j == k else "[.]" for j in range(4))

    for notes, line in (("melody", "`families` scores {} with it against"),
                        ("span", "with it against {}.")):
        for k, m in enumerate(_MEASURES):
            said.append((f"JKU families {m}, {notes}", None, line.format(cell(k)),
                         lambda n=notes, m=m: families(n, m)))
    if bps:
        def ceiling_margin(notes):
            top = discovery(bps, notes=notes)[1]
            return top.top["Est_F"] - top.chance["Est_F"]

        said += [("BPS one-voice occurrences", "574", "574 of BPS-dev's",
                  lambda: share(bps, "one voice")),
                 ("BPS occurrences", "575", "575 annotated motif occurrences",
                  lambda: share(bps, "occurrences")),
                 ("BPS melody notes", "88 %", "and 88 % of their notes are the highest note",
                  lambda: share(bps, "melody %")),
                 ("BPS one-voice occurrences, BPS paragraph", "574", "(574 of 575 occurrences",
                  lambda: share(bps, "one voice")),
                 ("BPS melody notes, BPS paragraph", "88 %", "and 88 % of their",
                  lambda: share(bps, "melody %")),
                 ("BPS ceiling Est_F margin", "+.246", "by +.246 on establishment F",
                  lambda: ceiling_margin("melody")),
                 ("BPS ceiling Est_F margin, every note", "+.057", "(+.057 with every",
                  lambda: ceiling_margin("span")),
                 ("BPS families Est_F margin", "−.062",
                  "Establishment F stays below chance (−.062",
                  lambda: families("melody", "Est_F", "margin", bps)),
                 ("BPS families Est_F margin, every note", "−.026", "against −.026 with every",
                  lambda: families("span", "Est_F", "margin", bps))]
        for k, m in enumerate(_MEASURES):
            said.append((f"BPS families {m}, every note", None,
                         f"({cell(k)}), beats `nf14` on all four",
                         lambda m=m: families("span", m, folder=bps)))
        for m, shown, mel, span in (("Occ.75_F", "Occ.75_F", "+.070", "+.066"),
                                    ("Occ.5_F", "Occ.5_F", "+.117", "+.052"),
                                    ("ThreeLayer_F", "F3", "+.063", "+.037")):
            said += [(f"BPS families {m} margin", mel, f"{shown} {mel}",
                      lambda m=m: families("melody", m, "margin", bps)),
                     (f"BPS families {m} margin, every note", span, None,
                      lambda m=m: families("span", m, "margin", bps))]

        def ratios():
            return [families("melody", m, folder=bps) / families("span", m, folder=bps)
                    for m in _MEASURES]

        said += [("BPS families melody / every note, least", "1.9", "scores 1.9 to 3.8 times",
                  lambda: min(ratios())),
                 ("BPS families melody / every note, most", "3.8", "scores 1.9 to 3.8 times",
                  lambda: max(ratios()))]

        def motifs():
            return discovery(bps, max_beats=8.0, notes="melody")[0]["families"]

        for what, line in (("mean", "{}, beside a chance"), ("chance", "control of {}: short")):
            for k, m in enumerate(_MEASURES):
                said.append((f"BPS families --max-beats 8 {what} {m}", None,
                             line.format(cell(k)), lambda w=what, m=m: getattr(motifs(), w)[m]))
        ten = ("−.051 / +.068 / +.112 / +.064 with the melody against "
               "−.023 / +.066 / +.050 / +.036")
        for notes, shown in (("melody", ten.split(" with")[0]),
                             ("span", ten.split("against ")[1])):
            for m, value in zip(_MEASURES, shown.split(" / ")):
                said.append((f"BPS families {m} margin, 10 seeds, {notes}", value, ten,
                             lambda n=notes, m=m: finder_score("families", m, "margin", bps,
                                                               notes=n, seeds=10)))
    text = docs_text()
    every_note = text[text.find("(with every note +"):].split(")", 1)[0]
    for name, shown, context, fn in said:
        if shown is None:       # a cell of a score list "a / b / c / d": found by position
            pattern = re.escape(context).replace(re.escape("[.]"), r"\.\d{3}")
            found = re.search(pattern.replace(re.escape("{}"), r"(\.\d{3})"), text)
            # not found: the template is not in the README, so the entry shows as MISSING
            shown, context = (found.group(1), found.group(0)) if found else ("0", context)
        elif context is None:   # the margins with every note, in their order
            context = every_note
        number(_RESULTS, f"--notes melody: {name}", shown, context=context,
               slow=name.startswith("BPS"))(fn)


_register_melody()


def _register_density():
    """README's BPS-dev paragraph: how much of each movement the annotated motifs cover
    (bench/annotated_voices.py) beside each movement's establishment F margin."""
    bps = BPS_DEV
    if not Path(bps).is_dir():
        return
    sys.path.insert(0, str(ROOT / "bench"))
    from annotated_voices import coverage

    sparse = ("bps30", "bps14")

    def covered():
        return {piece: 100 * share for piece, share in coverage(bps).items()}

    def margins():
        res = discovery(bps)[0]["families"]
        return {r["piece"]: r["Est_F"] - res.piece_chance[r["piece"]]["Est_F"]
                for r in res.pieces}

    def dense(values):
        return [v for k, v in values.items() if k not in sparse]

    for name, text, context, fn in (
            ("mean", "69 %", "cover 69 % of each movement's",
             lambda: sum(covered().values()) / len(covered())),
            ("bps30", "48 %", "(48 %) and bps14 (52 %)", lambda: covered()["bps30"]),
            ("bps14", "52 %", "(48 %) and bps14 (52 %)", lambda: covered()["bps14"]),
            ("bps30 Est_F margin", "−.004", "(−.004", lambda: margins()["bps30"]),
            ("bps14 Est_F margin", "+.002", "and +.002)", lambda: margins()["bps14"]),
            ("others, least covered", "73", "covered 73–87 %", lambda: min(dense(covered()))),
            ("others, most covered", "87", "covered 73–87 %", lambda: max(dense(covered()))),
            ("others, Est_F margin nearest", ".006", "it is .006 to .069 below",
             lambda: -max(dense(margins()))),
            ("others, Est_F margin farthest", ".069", "it is .006 to .069 below",
             lambda: -min(dense(margins())))):
        number(_RESULTS, f"BPS-dev motif coverage: {name}", text, slow=True,
               context=context)(fn)


_register_density()


def _register_spanned():
    """README's BPS-dev paragraph: how many annotated occurrences are at least three quarters
    of the notes of their own span (bench/annotated_voices.py, column spanned), on BPS-dev
    and on the JKU."""
    import statistics

    sys.path.insert(0, str(ROOT / "bench"))
    from annotated_voices import spanned, voices

    @functools.cache
    def summary(folder):
        # spanned(): piece -> (patterns, patterns with a spanned occurrence, their lengths)
        pieces = spanned(folder).values()
        lengths = [b for _, _, piece in pieces for b in piece]
        return {"spanned": len(lengths), "median": statistics.median(lengths),
                "patterns": sum(with_one for _, with_one, _ in pieces),
                "all patterns": sum(patterns for patterns, _, _ in pieces),
                "pieces": sum(bool(piece) for _, _, piece in pieces),
                "occurrences": sum(n for n, *_ in voices(folder).values())}

    def count(folder, key):
        return summary(folder)[key]

    said = [("JKU spanned occurrences", "72", "the JKU: 72 of 121", None, "spanned"),
            ("JKU occurrences", "121", "the JKU: 72 of 121", None, "occurrences"),
            ("JKU spanned median", "21.5", "median 21.5", None, "median"),
            ("JKU spanned patterns", "21", "in 21 of 26 patterns", None, "patterns"),
            ("JKU patterns", "26", "in 21 of 26 patterns", None, "all patterns")]
    if Path(BPS_DEV).is_dir():
        said += [("BPS spanned occurrences", "86", "86 of the 575", BPS_DEV, "spanned"),
                 ("BPS occurrences", "575", "86 of the 575", BPS_DEV, "occurrences"),
                 ("BPS spanned median", "3", "(median 3 beats", BPS_DEV, "median"),
                 ("BPS spanned patterns", "9", "in 9\nof the 45", BPS_DEV, "patterns"),
                 ("BPS patterns", "45", "of the 45 patterns", BPS_DEV, "all patterns"),
                 ("BPS movements with one", "3", "and 3 of the 6 movements", BPS_DEV, "pieces")]
    for name, text, context, folder, k in said:
        number(_RESULTS, f"spanned occurrences: {name}", text, slow=folder is not None,
               context=context)(lambda f=folder, k=k: count(f, k))


_register_spanned()


def _register_shares():
    """README's BPS-dev paragraph: each annotated pattern's best match split into cover and
    purity, run beside chance (bench/chance.py --shares), on BPS-dev and on the JKU."""
    for folder, label, slow, entries in (
            (BPS_DEV, "BPS-dev", True, (
                ("run cover", ".830", "(cover .830 against", 0, 1),
                ("chance cover", ".837", ".830 against\n.837)", 1, 1),
                ("run purity", ".203", "(purity .203 against", 0, 2),
                ("chance purity", ".244", ".203 against .244)", 1, 2))),
            (None, "JKU", False, (
                ("run cover", ".824", "(cover .824 against", 0, 1),
                ("chance cover", ".760", "against .760)", 1, 1),
                ("run purity", ".705", "are as pure (.705", 0, 2),
                ("chance purity", ".674", "(.705 against .674)", 1, 2)))):
        if folder is not None and not Path(folder).is_dir():
            continue
        for name, text, context, side, share in entries:
            number(_RESULTS, f"{label} establishment shares: {name}", text, slow=slow,
                   context=context)(lambda f=folder, a=side, b=share: chance_shares(f)[a][b])


_register_shares()


def _register_bps_movements():
    """README's BPS-dev paragraph: in how many movements each measure of ``families`` is above
    its chance control (bench/discovery.py's 'above chance' row), and bps09's Occ.75_F."""
    if not Path(BPS_DEV).is_dir():
        return

    def above(m):
        res = discovery(BPS_DEV)[0]["families"]
        return sum(r[m] > res.piece_chance[r["piece"]][m] for r in res.pieces)

    def bps09(what):
        res = discovery(BPS_DEV)[0]["families"]
        row = next(r for r in res.pieces if r["piece"] == "bps09")
        return row["Occ.75_F"] if what == "run" else res.piece_chance["bps09"]["Occ.75_F"]

    def others_occ75():
        res = discovery(BPS_DEV)[0]["families"]
        return max(max(r["Occ.75_F"], res.piece_chance[r["piece"]]["Occ.75_F"])
                   for r in res.pieces if r["piece"] != "bps09")

    for name, text, context, fn in (
            ("F3 above chance", "5", "chance control in 5 of 6 movements",
             lambda: above("ThreeLayer_F")),
            ("Occ.75_F above chance", "1", "but Occ.75_F only in bps09", lambda: above("Occ.75_F")),
            ("bps09 Occ.75_F", ".399", "(.399 against .000;", lambda: bps09("run")),
            ("bps09 Occ.75_F chance", ".000", "(.399 against .000;", lambda: bps09("chance")),
            ("others' Occ.75_F, run and chance, at most", "0",
             "five score 0, as their chance controls do", others_occ75),
            ("Occ.5_F above chance", "1", "Occ.5_F in 1 of 6", lambda: above("Occ.5_F")),
            ("Est_F above chance", "1", "establishment F in 1 of 6", lambda: above("Est_F"))):
        number(_RESULTS, f"BPS-dev movements: {name}", text, slow=True, context=context)(fn)


_register_bps_movements()


def _register_what_this_says():
    """The bullets under README's JKU table ('What this says')."""
    def piece(method, name, m):
        return lambda: finder_score(method, m, piece=name)

    def mean(method, m):
        return lambda: finder_score(method, m)

    def margin(method, m):
        return lambda: finder_score(method, m, "margin")

    for name, text, context, fn in (
            ("wtc2f20 families Est_F", ".503", "(wtc2f20: Est_F .503",
             piece("families", "wtc2f20", "Est_F")),
            ("wtc2f20 nf14 Est_F", ".147", "Est_F .503 against .147",
             piece("nf14", "wtc2f20", "Est_F")),
            ("wtc2f20 families Occ.75_F", ".575", "Occ.75_F .575",
             piece("families", "wtc2f20", "Occ.75_F")),
            ("nf14 Est_F", ".550", "establishment F from .550", mean("nf14", "Est_F")),
            ("families Est_F", ".653", ".550 to .653", mean("families", "Est_F")),
            ("nf14 Occ.75_F", ".685", "Occ.75_F from .685", mean("nf14", "Occ.75_F")),
            ("families Occ.75_F", ".810", ".685 to .810", mean("families", "Occ.75_F")),
            ("nf14 Occ.5_F", ".649", "(.662 against .649", mean("nf14", "Occ.5_F")),
            ("families Occ.5_F", ".662", "(.662 against .649", mean("families", "Occ.5_F")),
            ("nf14 ThreeLayer_F", ".521", "three-layer F from .521", mean("nf14", "ThreeLayer_F")),
            ("families ThreeLayer_F", ".562", ".521 to .562", mean("families", "ThreeLayer_F")),
            ("sonata04-2 nf14 ThreeLayer_F", ".698", "(F3 .698 against .499)",
             piece("nf14", "sonata04-2", "ThreeLayer_F")),
            ("sonata04-2 families ThreeLayer_F", ".499", "(F3 .698 against .499)",
             piece("families", "sonata04-2", "ThreeLayer_F")),
            ("sonata04-2 families patterns", "4", "`families` keeps 4 patterns for the 9",
             lambda: sonata04_matches()[0].shape[1]),
            ("nf14 Est_F margin", "+.027", "(margin +.027)", margin("nf14", "Est_F")),
            ("families Est_F margin", "+.063", "for `families` (+.063)",
             margin("families", "Est_F")),
            ("nf14 Occ.75_F margin", "+.28", "(Occ.75_F +.28", margin("nf14", "Occ.75_F")),
            ("families Occ.75_F margin", "+.48", "+.28 and +.48", margin("families", "Occ.75_F")),
            ("nf14 F3 margin", "+.18", "F3 +.18 and", margin("nf14", "ThreeLayer_F")),
            ("families F3 margin", "+.23", "+.23). Listing", margin("families", "ThreeLayer_F")),
            ("goal: families Est_F", ".653", "establishment F (.653)", mean("families", "Est_F")),
            ("goal: families F3", ".562", "(.562) does not",
             mean("families", "ThreeLayer_F")),
            ("goal: families Occ.75_F", ".810", "Occ.75_F (.810) reaches",
             mean("families", "Occ.75_F"))):
        number(_RESULTS, f"What this says: {name}", text, context=context)(fn)


_register_what_this_says()


@functools.cache
def chance_draws():
    """bench/discovery.py --methods families; bench/chance.py RUN --first-seed 0, 3, 6, 9
    in turn: the chance control of four disjoint triples of seeds, {measure: [4 values]}."""
    from complex_auto.chance import chance_scores

    base, refdir = families_run()
    draws = [chance_scores(base, seeds=range(k, k + 3), refdir=refdir) for k in (0, 3, 6, 9)]
    return {m: [d[m] for d in draws] for m in _MEASURES}


def _register_chance_draws():
    spread = ".577–.590 / .245–.340 / .325–.410 / .308–.329"
    lows_highs = [cell.split("–") for cell in spread.split(" / ")]
    for m, (low, high) in zip(_MEASURES, lows_highs):
        for text, fn in ((low, min), (high, max)):
            number(_RESULTS, f"chance draws: families {m} {fn.__name__}", text,
                   context=f"spans {spread}")(lambda m=m, fn=fn: fn(chance_draws()[m]))


_register_chance_draws()


def _register_cqt_jku_and_bps_sentences():
    """The sentences under README's models/cqt_jku table and its BPS-dev table."""
    def mean(what, m, folder=None, model="cqt_piano"):
        return lambda: finder_score("families", m, what, folder, model)

    def margin(m, folder=None, model="cqt_piano"):
        return mean("margin", m, folder, model)

    said = [("cqt_jku Est_F", ".666", "(.666 against .653)",
             mean("mean", "Est_F", None, "cqt_jku")),
            ("cqt_piano Est_F", ".653", "(.666 against .653)", mean("mean", "Est_F")),
            ("cqt_jku F3", ".557", "(.557 against .562)",
             mean("mean", "ThreeLayer_F", None, "cqt_jku")),
            ("cqt_piano F3", ".562", "(.557 against .562)", mean("mean", "ThreeLayer_F")),
            ("cqt_jku Occ.75_F", ".711", "(Occ.75_F .711 against",
             mean("mean", "Occ.75_F", None, "cqt_jku")),
            ("cqt_piano Occ.75_F", ".810", ".711 against .810", mean("mean", "Occ.75_F")),
            ("cqt_jku Occ.75_F margin", "+.37", "+.37 above chance",
             margin("Occ.75_F", None, "cqt_jku")),
            ("cqt_piano Occ.75_F margin", "+.48", "+.48). On the", margin("Occ.75_F"))]
    bps = BPS_DEV
    if Path(bps).is_dir():
        for m, run_text, chance_text in (("Occ.75_F", ".066", ".000"),
                                         ("Occ.5_F", ".078", ".026"),
                                         ("ThreeLayer_F", ".120", ".084"),
                                         ("Est_F", ".190", ".217")):
            context = f"({run_text} against {chance_text})"
            said += [(f"BPS {m}", run_text, context, mean("mean", m, bps)),
                     (f"BPS {m} chance", chance_text, context, mean("chance", m, bps))]
    for name, text, context, fn in said:
        number(_RESULTS, f"families sentences: {name}", text, context=context,
               slow=name.startswith(("cqt_jku", "BPS")))(fn)


_register_cqt_jku_and_bps_sentences()


def constants_study(folder=None, only=None):
    """python bench/sensitivity.py [FOLDER] [--only NAME]"""
    return sensitivity_study(folder, only=only)


def parts_study(folder=None):
    """python bench/sensitivity.py [FOLDER] --set MAX_PART_CANDIDATES=0"""
    return sensitivity_study(folder, (("MAX_PART_CANDIDATES", 0.0),))


def _register_constants_study():
    """README's 'Are the constants tuned?' paragraph and its table of the parts (step 7)."""
    def span(m, end, folder=None, margin=False):
        return lambda: (min if end == "low" else max)(
            r.mean[m] - (r.chance[m] if margin else 0.0)
            for label, r in constants_study(folder).items() if label != "defaults")

    cell = _study_cell

    bps = _bps_folder()
    oq = "OCCURRENCE_QUANTILE = 0.75"
    said = [("OCCURRENCE_QUANTILE 0.75 JKU Est_F", ".673", "gives establishment F .673",
             cell(oq, "Est_F")),
            ("OCCURRENCE_QUANTILE 0.75 JKU Occ.75_F", ".760", ".673 but Occ.75_F\n.760",
             cell(oq, "Occ.75_F")),
            ("JKU defaults Est_F", ".653", "(defaults .653)", cell("defaults", "Est_F"))]
    for m, low, high, default in (("Est_F", ".549", ".673", None),
                                  ("Occ.75_F", ".687", ".851", ".810"),
                                  ("Occ.5_F", ".596", ".752", ".662"),
                                  ("ThreeLayer_F", ".508", ".583", ".562")):
        context = f"{low}–{high}" + (f" ({default})" if default else "")
        said += [(f"JKU lowest {m}", low, context, span(m, "low")),
                 (f"JKU highest {m}", high, context, span(m, "high"))]
        if default:
            said.append((f"JKU defaults {m}", default, context, cell("defaults", m)))
    grid = ("CANDIDATE_GRID_BEATS",)
    half = "CANDIDATE_GRID_BEATS = 0.5"
    rows = [("JKU", None, "half a beat gives the JKU .635 / .831 / .653 / .537", half, "mean"),
            ("JKU", None, "(margins over chance +.057 / +.543 / +.304 / +.232", half, "margin"),
            ("JKU", None, "against +.066 / +.511 / +.286 / +.241 with a quarter", "defaults",
             "margin")]
    whole = "LENGTH_POWER = 1"        # length counted in full
    rows += [("JKU", None, "(1) gives the JKU .639 / .851 / .679 / .575", whole, "mean"),
             ("JKU", None, "(margins +.083 / +.489 / +.293 / +.255)", whole, "margin"),
             ("JKU", None, "margins of +.073 / +.456 / +.290 / +.251 on the JKU",
              "EXCESS_POWER = 3", "margin")]
    if bps:
        rows += [("BPS", bps, "but BPS-dev .184 / .000 / .081 / .111", whole, "mean"),
                 ("BPS", bps, "(margins\n−.020 / .000 / +.052 / +.033)", whole, "margin"),
                 ("BPS", bps, "bps09 too (BPS-dev margins −.023 / .000 / +.056 / +.034)",
                  "EXCESS_POWER = 1", "margin"),
                 ("BPS", bps, "and −.030 / +.063 / +.035 / +.035\non BPS-dev",
                  "EXCESS_POWER = 3", "margin"),
                 ("BPS", bps, "and BPS-dev .199 / .066 / .078 / .119", half, "mean"),
                 ("BPS", bps, "(margins −.028 / +.066 / +.031 / +.032", half, "margin"),
                 ("BPS", bps, "against −.023 / +.066 / +.050 / +.036):", "defaults", "margin")]
    for where, folder, context, label, what in rows:
        for m, (text, _) in zip(_MEASURES, _row_cells(context, signed=True)):
            # the grid's rows come from its own sweep (--only), the exponents' from the full one
            only = grid if label in (half, "defaults") else None
            said.append((f"{label} {where} {what} {m}", text, context,
                         cell(label, m, what, folder, only)))
    if bps:
        said += [("BPS lowest Est_F margin", "−.045", "(margins −.045 to −.006)",
                  span("Est_F", "low", bps, True)),
                 ("BPS highest Est_F margin", "−.006", "(margins −.045 to −.006)",
                  span("Est_F", "high", bps, True)),
                 ("BPS lowest F3 margin", "+.024", "(+.024 to +.044)",
                  span("ThreeLayer_F", "low", bps, True)),
                 ("BPS highest F3 margin", "+.044", "(+.024 to +.044)",
                  span("ThreeLayer_F", "high", bps, True)),
                 ("OCCURRENCE_QUANTILE 0.75 BPS Occ.5_F", ".146", "0.75: .146, +.106 over chance",
                  cell(oq, "Occ.5_F", folder=bps)),
                 ("OCCURRENCE_QUANTILE 0.75 BPS Occ.5_F margin", "+.106",
                  "0.75: .146, +.106 over chance", cell(oq, "Occ.5_F", "margin", bps)),
                 ("OCCURRENCE_QUANTILE 0.75 JKU Occ.75_F, beside BPS", ".760",
                  "JKU Occ.75_F (.760) and F3 (.545)", cell(oq, "Occ.75_F")),
                 ("OCCURRENCE_QUANTILE 0.75 JKU F3, beside BPS", ".545",
                  "JKU Occ.75_F (.760) and F3 (.545)", cell(oq, "ThreeLayer_F"))]
    for name, text, context, fn in said:
        number(_RESULTS, f"constants study: {name}", text, context=context, slow=True)(fn)

    @number(_RESULTS, "constants study: variants", "30", context="the 30 variants span")
    def _():
        sys.path.insert(0, str(ROOT / "bench"))
        from sensitivity import variants

        return len(variants()) - 1            # beside the defaults
    # the table of the parts: without them (MAX_PART_CANDIDATES = 0) and with (the defaults)
    table, _ = _table_rows("| `families`, `models/cqt_piano` | without parts | with parts")
    for where, folder in (("JKU", None), ("BPS-dev", bps)):
        if where == "BPS-dev" and folder is None:
            continue
        row = next((line for line in table if line.startswith(f"| {where} | ")), None)
        if row is None:
            continue
        cells = _row_cells(row, signed=True)
        labels = [("MAX_PART_CANDIDATES = 0", w) for w in ("mean", "margin")] + \
                 [("defaults", w) for w in ("mean", "margin")]
        for k, (text, context) in enumerate(cells):
            label, what = labels[k // 4]
            m = _MEASURES[k % 4]
            number(_RESULTS, f"parts study: {where} {label} {what} {m}", text, context=context,
                   slow=True)(cell(label, m, what, folder, study=parts_study))
    if bps:     # the paragraph under the table repeats the BPS-dev margins with parts
        context = "(+.066, +.050),\nwhile establishment F falls further below it (−.023)"
        for m, text in (("Occ.75_F", "+.066"), ("Occ.5_F", "+.050"), ("Est_F", "−.023")):
            number(_RESULTS, f"parts study: paragraph, BPS-dev defaults margin {m}", text,
                   context=context, slow=True)(cell("defaults", m, "margin", bps,
                                                    study=parts_study))


_register_constants_study()


@functools.cache
def marks(features, folder=None):
    """python bench/discovery.py [FOLDER] --features F --methods families --model models/cqt_piano/model_complex_auto_cqt.save --config models/cqt_piano/config_cqt.ini; python bench/annotated_repeats.py bench_discovery_NAME_cqt_piano_F [--refdir FOLDER/groundtruth]: (the numbers of its 'all pairs' line, families mean, chance)"""
    sys.path.insert(0, str(ROOT / "bench"))
    import discovery as bench_discovery

    model = ROOT / "models/cqt_piano/model_complex_auto_cqt.save"
    results, _ = bench_discovery.run_dataset(folder, methods=("families",), features=features,
                                             model=model,
                                             config=ROOT / "models/cqt_piano/config_cqt.ini")
    extra = ["--refdir", str(Path(folder) / "groundtruth")] if folder else []
    line = next(l for l in run("bench/annotated_repeats.py",
                               bench_discovery.run_name(folder, model, features), *extra)
                .splitlines() if l.startswith("all pairs"))
    families = results["families"]
    return [float(v) for v in line.split()[2:]], families.mean, families.chance


# columns of the 'all pairs' line: pairs, annotated median, >= .8, >= .9, random median, ...
for _name, _text, _context, _col in (
        ("pairs", "275", "the 275 annotated", 0),
        ("annotated median", "0.93", "pairs of the JKU have a median of 0.93", 1),
        ("annotated share >= .9", "55 %", "and 55 %", 3),
        ("random median", "0.52", "of 0.52", 4),
        ("random share >= .9", "4 %", "and 4 % reach 0.9", 6)):
    number(_RESULTS, f"JKU annotated repeats (cqt_piano): {_name}", _text, context=_context)(
        lambda c=_col, pct=_text.endswith("%"): marks("cae")[0][c] * (100 if pct else 1))


@functools.cache
def boundaries(folder=None):
    """python bench/annotated_repeats.py bench_discovery_NAME_cqt_piano_cae [--refdir FOLDER/groundtruth] --boundaries (after bench/discovery.py as for the line above): the 'all pairs' rows around the annotated start and end"""
    sys.path.insert(0, str(ROOT / "bench"))
    import discovery as bench_discovery

    marks("cae", folder)        # converts and extracts the run, as the README's command does
    model = ROOT / "models/cqt_piano/model_complex_auto_cqt.save"
    extra = ["--refdir", str(Path(folder) / "groundtruth")] if folder else []
    out = run("bench/annotated_repeats.py", bench_discovery.run_name(folder, model, "cae"),
              *extra, "--boundaries").split("around the annotated ")
    rows = {}
    for block in out[1:]:
        edge = block.split(":")[0]
        line = next(l for l in block.splitlines() if l.startswith("all pairs"))
        rows[edge] = dict(zip((-4, -2, -1, 0, 1, 2, 4), map(float, line.split()[3:])))
    return rows


for _name, _text, _context, _edge, _beat in (
        ("start -2", "0.53", "from 0.53 two beats", "start", -2),
        ("start 0", "0.72", "to 0.72 at it", "start", 0),
        ("start +2", "0.82", "and 0.82 two beats after", "start", 2),
        ("halfway between start -2 and +2", "0.68", "against 0.68 halfway", "start", None),
        ("end 0", "0.81", "from 0.81 there", "end", 0),
        ("end +2", "0.64", "to 0.64 two beats later", "end", 2)):
    number(_RESULTS, f"JKU annotated boundaries (cqt_piano): {_name}", _text, context=_context)(
        lambda e=_edge, b=_beat: boundaries()[e][b] if b is not None
        else (boundaries()[e][-2] + boundaries()[e][2]) / 2)


def _register_bps_boundaries():
    bps = BPS_DEV
    if not Path(bps).is_dir():
        return
    for name, text, context, beat in (("start -2", "0.59", "flatter: 0.59", -2),
                                      ("start 0", "0.67", "two beats before, 0.67", 0),
                                      ("start +2", "0.68", "0.68 two beats after it", 2)):
        number(_RESULTS, f"BPS-dev annotated boundaries (cqt_piano): {name}", text, slow=True,
               context=context)(lambda b=beat: boundaries(bps)["start"][b])


_register_bps_boundaries()


def _register_marks():
    """The table of README's 'Which representation marks the annotated repeats'."""
    text = docs_text()
    bps = BPS_DEV
    rows = {"CAE amplitudes (`models/cqt_piano`)": "cae", "raw CQT n-grams": "cqt",
            "chroma n-grams": "chroma", "2-D Fourier magnitude": "ftm2d",
            "transposition-invariant chroma": "tichroma"}
    for label, features in rows.items():
        row = next((l for l in text.splitlines() if l.startswith(f"| {label} | 0.")), None)
        if row is None:
            continue
        cells = [(m.group(0), row[:m.end()]) for m in re.finditer(r"\d*\.\d+|\d+(?= %)", row)]
        getters = [("JKU median", lambda f=features: marks(f)[0][1]),
                   ("JKU share >= .9", lambda f=features: 100 * marks(f)[0][3])]
        if Path(bps).is_dir():
            getters += [("BPS median", lambda f=features: marks(f, bps)[0][1]),
                        ("BPS share >= .9", lambda f=features: 100 * marks(f, bps)[0][3])]
            getters += [(f"BPS families {m}", lambda f=features, m=m: marks(f, bps)[1][m])
                        for m in _MEASURES]
            getters += [(f"BPS chance {m}", lambda f=features, m=m: marks(f, bps)[2][m])
                        for m in _MEASURES]
        for (value, context), (name, fn) in zip(cells, getters):
            number("Which Representation Finds Repeats", f"marks {features}: {name}", value,
                   slow=True, context=context)(fn)


_register_marks()


def _register_prose_margins():
    """Margins over chance that README's paragraphs quote beside their tables: each is a
    run's mean less its chance control's, as bench/discovery.py prints it (unrounded means,
    so it can differ by .001 from the difference of two rounded table cells)."""
    bps = BPS_DEV

    def margin(m, **run):
        return _families_score(m, "margin", bps, **run)

    def marks_margin(features, m):
        return lambda: marks(features, bps)[1][m] - marks(features, bps)[2][m]

    focus = "(margins: Occ.5_F +.010 against +.052, F3 +.035\nagainst +.037)"
    n8 = ("the most (+.415), and there the margin grows from +.037 to +.040; the central 16 "
          "frames give\n+.035. Establishment F stays below chance (−.042)")
    p = ("move both ways (establishment F −.029 against −.026, Occ.5_F −.009 against +.052, "
         "three-layer\nF +.036 against +.037, Occ.75_F .000 against +.066)")
    beats = ("grows to +.062 (+.037 without); those of Occ.5_F and\nOcc.75_F shrink (+.036 and "
             "+.016, against +.052 and +.066). Establishment F stays below its\nchance control "
             "(−.038)")
    kinds = ("(Occ.75_F, Occ.5_F and F3: +.066, +.052, +.037); the other kinds beat theirs by\n"
             ".033 at most (the 2-D Fourier magnitude's F3: .000, −.026, +.033)")
    said = [  # (name, text, context, computation), in the order of the context
        ("focus 16 Occ.5_F", "+.010", focus, margin("Occ.5_F", focus=16)),
        ("whole windows Occ.5_F", "+.052", focus, margin("Occ.5_F")),
        ("focus 16 F3", "+.035", focus, margin("ThreeLayer_F", focus=16)),
        ("whole windows F3", "+.037", focus, margin("ThreeLayer_F")),
        ("ceiling F3", "+.415", n8,
         lambda: discovery(bps)[1].top["ThreeLayer_F"] - discovery(bps)[1].chance["ThreeLayer_F"]),
        ("n8 F3 (from)", "+.037", n8, margin("ThreeLayer_F")),
        ("n8 F3", "+.040", n8, margin("ThreeLayer_F", model="cqt_piano_n8")),
        ("n8 F3 (focus 16)", "+.035", n8, margin("ThreeLayer_F", focus=16)),
        ("n8 Est_F", "−.042", n8, margin("Est_F", model="cqt_piano_n8")),
        ("p .005 Est_F", "−.029", p, margin("Est_F", p=0.005)),
        ("p .005: default Est_F", "−.026", p, margin("Est_F")),
        ("p .005 Occ.5_F", "−.009", p, margin("Occ.5_F", p=0.005)),
        ("p .005: default Occ.5_F", "+.052", p, margin("Occ.5_F")),
        ("p .005 F3", "+.036", p, margin("ThreeLayer_F", p=0.005)),
        ("p .005: default F3", "+.037", p, margin("ThreeLayer_F")),
        ("p .005 Occ.75_F", ".000", p, margin("Occ.75_F", p=0.005)),
        ("p .005: default Occ.75_F", "+.066", p, margin("Occ.75_F")),
        ("max-beats 8 F3", "+.062", beats, margin("ThreeLayer_F", max_beats=8.0)),
        ("max-beats 8: default F3", "+.037", beats, margin("ThreeLayer_F")),
        ("max-beats 8 Occ.5_F", "+.036", beats, margin("Occ.5_F", max_beats=8.0)),
        ("max-beats 8 Occ.75_F", "+.016", beats, margin("Occ.75_F", max_beats=8.0)),
        ("max-beats 8: default Occ.5_F", "+.052", beats, margin("Occ.5_F")),
        ("max-beats 8: default Occ.75_F", "+.066", beats, margin("Occ.75_F")),
        ("max-beats 8 Est_F", "−.038", beats, margin("Est_F", max_beats=8.0)),
    ] + [(f"{kind} {m}", text, kinds, marks_margin(kind, m))
         for kind, texts in (("cae", ("+.066", "+.052", "+.037")),
                             ("ftm2d", (".000", "−.026", "+.033")))
         for m, text in zip(("Occ.75_F", "Occ.5_F", "ThreeLayer_F"), texts)]
    if not Path(bps).is_dir():
        return
    for name, text, context, fn in said:
        section = "Which Representation Finds Repeats" if context is kinds else _RESULTS
        number(section, f"BPS margins in prose: {name}", text, slow=True, context=context)(fn)


_register_prose_margins()


def _register_prose_repeats():
    """Scores that README's paragraphs repeat from the tables beside them (a run against
    another), so that a table updated without its prose shows here."""
    bps = BPS_DEV
    fam = _families_score

    def vmo(m):
        return lambda: vmo_rows()["mean"][m]

    E, O75, O5, F3 = _MEASURES
    focus = ("(establishment F .190 → .233, Occ.5_F .078 → .088, F3 .120 → .124) and loses "
             "Occ.75_F (.066 →\n.000)")
    focus_jku = "(establishment F .653 → .636, Occ.5_F .662 → .635, F3 .562 → .533)"
    n8 = ("establishment F .190 → .280 (but its chance control\nrises as much, .217 → .321), "
          "Occ.5_F .078 → .110 and F3 .120 → .140; Occ.75_F falls (.066 →\n.022")
    n8_jku = "Occ.75_F .810 → .703 and F3 .562 → .498"
    p_jku = ("(+.109 with the\nshipped model, against +.063 without the test), and three-layer F "
             "rises from .562 to .582 and\nOcc.5_F from .662 to .774; Est_F falls a little "
             "(.653 → .613) and Occ.75_F more (.810 → .754)")
    p_bps = "(.190 / .066 / .078 / .120 without the test)"
    subset = ("establishment F .717 (the run has .653). But three-layer F, which weighs every "
              "occurrence,\nreaches .648 for `families` and .620 for `nf14`")
    filtered = "`families`' occurrences would reach F3 .627\nand Occ.5_F .783"
    placed = ("raise\nestablishment F more than the filter of occurrences does (.695 against "
              ".674), F3 less (.585\nagainst .627)")
    placed_p = "would reach .635 / .845 / .798 / .599, F3 just short"
    placed_bps = "establishment F .225, level with its chance control (.217)"
    said = [  # (name, text, context, computation, on BPS-dev)
        ("VMO Occ.75_F", ".705", "above VMO's .528, .705 and .483", vmo(O75), False),
        ("VMO ThreeLayer_F", ".483", "above VMO's .528, .705 and .483", vmo(F3), False),
        ("VMO Occ.5_F", ".674", "VMO .674)", vmo(O5), False),
        ("--occurrence-p F3", ".582", "raises F3 to .582", fam(F3, p=0.005), False),
        ("best subset F3", ".648", "would reach F3 .648, and its",
         fam(F3, "bound", subset=True), False),
        ("annotated occurrences F3", ".627", "annotated ones .627",
         fam(F3, "occurrences", subset=True), False),
        ("focus 16 JKU Est_F", ".636", focus_jku, fam(E, focus=16), False),
        ("focus 16 JKU Occ.5_F", ".635", focus_jku, fam(O5, focus=16), False),
        ("focus 16: default JKU F3", ".562", focus_jku, fam(F3), False),
        ("focus 16 JKU F3", ".533", focus_jku, fam(F3, focus=16), False),
        ("n8: default JKU Occ.75_F", ".810", n8_jku, fam(O75), False),
        ("n8 JKU Occ.75_F", ".703", n8_jku, fam(O75, model="cqt_piano_n8"), False),
        ("n8: default JKU F3", ".562", n8_jku, fam(F3), False),
        ("n8 JKU F3", ".498", n8_jku, fam(F3, model="cqt_piano_n8"), False),
        ("--occurrence-p JKU Est_F margin", "+.109", p_jku, fam(E, "margin", p=0.005), False),
        ("--occurrence-p: default JKU Est_F margin", "+.063", p_jku, fam(E, "margin"), False),
        ("--occurrence-p: default JKU F3", ".562", p_jku, fam(F3), False),
        ("--occurrence-p JKU F3", ".582", p_jku, fam(F3, p=0.005), False),
        ("--occurrence-p: default JKU Occ.5_F", ".662", p_jku, fam(O5), False),
        ("--occurrence-p JKU Occ.5_F", ".774", p_jku, fam(O5, p=0.005), False),
        ("--occurrence-p: default JKU Est_F", ".653", p_jku, fam(E), False),
        ("--occurrence-p JKU Est_F", ".613", p_jku, fam(E, p=0.005), False),
        ("--occurrence-p: default JKU Occ.75_F", ".810", p_jku, fam(O75), False),
        ("--occurrence-p JKU Occ.75_F", ".754", p_jku, fam(O75, p=0.005), False),
        ("best subset JKU Est_F", ".717", subset, fam(E, "bound", subset=True), False),
        ("best subset JKU F3", ".648", subset, fam(F3, "bound", subset=True), False),
        ("best subset JKU nf14 F3", ".620", subset,
         fam(F3, "bound", subset=True, method="nf14"), False),
        ("annotated occurrences JKU F3", ".627", filtered,
         fam(F3, "occurrences", subset=True), False),
        ("annotated occurrences JKU Occ.5_F", ".783", filtered,
         fam(O5, "occurrences", subset=True), False),
        ("annotated boundaries JKU moved", "29 %", "move 29 % of",
         fam(None, "moved", subset=True), False),
        ("annotated boundaries JKU Est_F", ".695", placed,
         fam(E, "boundaries", subset=True), False),
        ("annotated boundaries: occurrences JKU Est_F", ".674", placed,
         fam(E, "occurrences", subset=True), False),
        ("annotated boundaries JKU F3", ".585", placed,
         fam(F3, "boundaries", subset=True), False),
        ("annotated boundaries: occurrences JKU F3", ".627", placed,
         fam(F3, "occurrences", subset=True), False),
        ("annotated boundaries --occurrence-p moved", "72 %", "move 72 %",
         fam(None, "moved", p=0.005, subset=True), False),
    ] + [(f"annotated boundaries --occurrence-p JKU {m}", text, placed_p,
          fam(m, "boundaries", p=0.005, subset=True), False)
         for m, text in zip(_MEASURES, (".635", ".845", ".798", ".599"))] + [
        ("annotated boundaries BPS Est_F", ".225", placed_bps,
         fam(E, "boundaries", folder=bps, subset=True), True),
        ("annotated boundaries: BPS Est_F chance", ".217", placed_bps,
         fam(E, "chance", folder=bps, subset=True), True),
        ("--max-beats 8: default JKU F3", ".562", ".562 → .303", fam(F3), False),
        ("--max-beats 8 JKU F3", ".303", ".562 → .303", fam(F3, max_beats=8.0), False),
        ("BPS ceiling Est_F margin", ".057", "by .057 at most",
         lambda: discovery(bps)[1].top[E] - discovery(bps)[1].chance[E], True),
        ("focus 16 BPS Est_F", ".233", focus, fam(E, folder=bps, focus=16), True),
        ("focus 16: default BPS Occ.5_F", ".078", focus, fam(O5, folder=bps), True),
        ("focus 16 BPS Occ.5_F", ".088", focus, fam(O5, folder=bps, focus=16), True),
        ("focus 16: default BPS F3", ".120", focus, fam(F3, folder=bps), True),
        ("focus 16 BPS F3", ".124", focus, fam(F3, folder=bps, focus=16), True),
        ("focus 16: default BPS Occ.75_F", ".066", focus, fam(O75, folder=bps), True),
        ("focus 16 BPS Occ.75_F", ".000", focus, fam(O75, folder=bps, focus=16), True),
        ("n8 BPS Est_F", ".280", n8, fam(E, folder=bps, model="cqt_piano_n8"), True),
        ("n8: default BPS Est_F chance", ".217", n8, fam(E, "chance", folder=bps), True),
        ("n8 BPS Est_F chance", ".321", n8,
         fam(E, "chance", folder=bps, model="cqt_piano_n8"), True),
        ("n8: default BPS Occ.5_F", ".078", n8, fam(O5, folder=bps), True),
        ("n8 BPS Occ.5_F", ".110", n8, fam(O5, folder=bps, model="cqt_piano_n8"), True),
        ("n8: default BPS F3", ".120", n8, fam(F3, folder=bps), True),
        ("n8 BPS F3", ".140", n8, fam(F3, folder=bps, model="cqt_piano_n8"), True),
        ("n8: default BPS Occ.75_F", ".066", n8, fam(O75, folder=bps), True),
        ("n8 BPS Occ.75_F", ".022", n8, fam(O75, folder=bps, model="cqt_piano_n8"), True),
    ] + [(f"--occurrence-p: default BPS {m}", text, p_bps, fam(m, folder=bps), True)
         for m, text in zip(_MEASURES, (".190", ".066", ".078", ".120"))] + [
        ("best subset BPS Est_F", ".231", "(.231 against .217)",
         fam(E, "bound", folder=bps, subset=True), True),
        ("best subset: BPS Est_F chance", ".217", "(.231 against .217)",
         fam(E, "chance", folder=bps, subset=True), True),
        ("annotated occurrences BPS Occ.5_F gain", ".009", "but for .009 of",
         lambda: (lambda r: r.occurrences[O5] - r.mean[O5])(
             discovery(bps, "cqt_piano", None, "auto", None, True)[0]["families"]), True)]
    for name, text, context, fn, on_bps in said:
        if on_bps and not Path(bps).is_dir():
            continue
        number(_RESULTS, f"prose: {name}", text, slow=on_bps, context=context)(fn)


_register_prose_repeats()


@functools.cache
def score_features(folder=None, transpose=12, window_beats=None, subset=False, melody=False,
                   notes="span"):
    """python bench/score_features.py [FOLDER] [--transpose T] [--window-beats B] [--best-subset] [--melody] [--notes N]: its Result (families on the scores' own notes, and on the CAE's matrices)"""
    sys.path.insert(0, str(ROOT / "bench"))
    import score_features as bench_score

    discovery(folder)       # a fresh conversion of the set, which the benchmark reuses
    return bench_score.score_features(folder, transpose=transpose, window_beats=window_beats,
                                      keep=True, subset=subset, melody=melody, notes=notes)


@functools.cache
def _score_marks(folder=None, melody=False):
    """bench/annotated_repeats.py on the score's matrices (of its melody only): the numbers of
    its 'all pairs' line."""
    import discovery as bench_discovery

    score_features(folder, melody=melody, notes="melody" if melody else "span")
    name = bench_discovery.dataset_name(folder)
    return _repeat_marks(f"bench_score_features_{name}_t12" + ("_melody" if melody else ""),
                         folder)


@functools.cache
def _cae_marks(folder=None):
    """bench/annotated_repeats.py on the CAE's matrices that score_features() compares with."""
    sys.path.insert(0, str(ROOT / "bench"))
    from discovery import run_name

    score_features(folder)
    return _repeat_marks(run_name(folder), folder)


def _repeat_marks(run_name, folder=None):
    """The numbers of the 'all pairs' line of bench/annotated_repeats.py RUN."""
    extra = ["--refdir", str(Path(folder) / "groundtruth")] if folder else []
    line = next(l for l in run("bench/annotated_repeats.py", run_name, *extra).splitlines()
                if l.startswith("all pairs"))
    return [float(v) for v in line.split()[2:]]


def _mazurka_counts():
    """Occurrences of each pattern of mazurka24-4 on the score's matrices, best pattern first
    (output/bench_score_features_jku_t12/, which score_features() writes)."""
    sys.path.insert(0, str(ROOT))
    from complex_auto.report import read_patterns_csv

    score_features()
    path = ROOT / "output/bench_score_features_jku_t12/mazurka24-4-poly.patterns.csv"
    return [len(p["occurrences"]) for p in read_patterns_csv(path)]


def _margin(result, measure):
    """A run's mean less its chance control's, on one measure."""
    return result.mean[measure] - result.chance[measure]


def _register_score_features():
    """The table and the sentences of README's 'A perfect transcription as features'."""
    rows, bps = _table_rows("| `families` on | run | chance control |")
    melody = dict(melody=True, notes="melody")
    variants = (("melody, central 2 beats", dict(melody, window_beats=2.0)),
                ("the score's melody", melody), ("exact repeats only", dict(transpose=0)),
                ("central 2 beats", dict(window_beats=2.0)), ("the score's notes", {}))
    for row in rows[2:]:
        label, cells = row.split("|")[1].strip(), row.split("|", 2)[2]
        where = label.split(",")[0]
        folder = bps if where == "BPS-dev" else None
        if where == "BPS-dev" and bps is None:
            continue
        if "CAE" in label:
            # the CAE's run with --notes melody is the one beside the melody's matrices
            def result(f=folder, kw=melody if "--notes melody" in label else {}):
                return score_features(f, **kw).cae
        else:
            kw = next(k for text, k in variants if text in label)

            def result(f=folder, kw=kw):
                return score_features(f, **kw)
        getters = [(f"{what} {m}", lambda r=result, k=k, m=m: getattr(r(), k)[m])
                   for k, what in (("mean", "run"), ("chance", "chance")) for m in _MEASURES]
        _register_discovery_row(f"score features {label}", cells, getters,
                                slow=folder is not None, section=_COMPARE)
    # the sentences: bench/annotated_repeats.py and the patterns of mazurka24-4 on the score's
    # matrices (the default run, bench_score_features_jku_t12, made by score_features())
    sentences = [("JKU median", "94th", "at the piece's 94th percentile",
                  lambda: 100 * _score_marks()[1]),
                 ("JKU run Est_F", ".639", "(.639 against .627)",
                  lambda: score_features().mean["Est_F"]),
                 ("JKU chance Est_F", ".627", "(.639 against .627)",
                  lambda: score_features().chance["Est_F"]),
                 ("mazurka best pattern occurrences", "43", "the best pattern has 43 occurrences",
                  lambda: _mazurka_counts()[0]),
                 ("mazurka third pattern occurrences", "16", "the third 16",
                  lambda: _mazurka_counts()[2]),
                 ("best subset F3", ".501", "reaches F3 .501",
                  lambda: score_features(subset=True).bound["ThreeLayer_F"]),
                 ("best subset F3, 2 beats", ".606", "(.606 with `--window-beats 2`)",
                  lambda: score_features(window_beats=2.0, subset=True).bound["ThreeLayer_F"]),
                 ("best subset F3, CAE", ".648", "against .648 on the CAE's",
                  lambda: score_features(subset=True).cae.bound["ThreeLayer_F"])]
    if bps:
        sentences += [("BPS median", "85th", "and at the\n85th on the motifs",
                       lambda: 100 * _score_marks(bps)[1]),
                      ("BPS share >= .9", "45 %", "85th on the motifs of BPS-dev (CAE 75th), 45 %",
                       lambda: 100 * _score_marks(bps)[3]),
                      ("BPS F3 margin, 2 beats", "+.020", "(+.020 against\n+.037)",
                       lambda: _margin(score_features(bps, window_beats=2.0), "ThreeLayer_F")),
                      ("BPS F3 margin, CAE", "+.037", "(+.020 against\n+.037)",
                       lambda: _margin(score_features(bps).cae, "ThreeLayer_F")),
                      ("BPS Est_F, 2 beats", ".288", "(.288 against .320)",
                       lambda: score_features(bps, window_beats=2.0).mean["Est_F"]),
                      ("BPS Est_F chance, 2 beats", ".320", "(.288 against .320)",
                       lambda: score_features(bps, window_beats=2.0).chance["Est_F"])]
        sentences += _melody_sentences(bps)
    for name, value, context, fn in sentences:
        number(_COMPARE, f"score features: {name}", value, slow="BPS" in name,
               context=context)(fn)


def _melody_sentences(bps):
    """The paragraph 'A transcription of the melody?': (name, README text, context, getter)."""
    def mel(**kw):
        return score_features(bps, melody=True, notes="melody", **kw)

    def cae():
        return mel().cae

    return [
        ("melody BPS median", "80th", "piece's 80th percentile",
         lambda: 100 * _score_marks(bps, melody=True)[1]),
        ("melody BPS median, every note", "85th", "against the 85th with every",
         lambda: 100 * _score_marks(bps)[1]),
        ("melody BPS median, CAE", "75th", "note and the CAE's 75th",
         lambda: 100 * _cae_marks(bps)[1]),
        ("melody BPS Est_F", ".584", "(.584 against .485)", lambda: mel().mean["Est_F"]),
        ("melody BPS Est_F, CAE", ".485", "(.584 against .485)", lambda: cae().mean["Est_F"]),
        ("melody BPS Est_F margin", "−.034", "(−.034 against −.062)",
         lambda: _margin(mel(), "Est_F")),
        ("melody BPS Est_F margin, CAE", "−.062", "(−.034 against −.062)",
         lambda: _margin(cae(), "Est_F"))] + [
        (f"melody BPS {m} margin", text, f"{m} {text}" if m != "ThreeLayer_F" else f"F3 {text}",
         lambda m=m: _margin(mel(), m))
        for m, text in (("Occ.75_F", "+.011"), ("Occ.5_F", "+.024"), ("ThreeLayer_F", "+.024"))] + [
        (f"melody BPS {m} margin, CAE", text, context, lambda m=m: _margin(cae(), m))
        for m, text, context in (("Occ.75_F", "+.070", "against +.070, +.117"),
                                 ("Occ.5_F", "+.117", "+.070, +.117, +.063)"),
                                 ("ThreeLayer_F", "+.063", "+.117, +.063)"))] + [
        ("melody BPS Est_F margin, 2 beats", "−.052", "(establishment F −.052, F3 +.038)",
         lambda: _margin(mel(window_beats=2.0), "Est_F")),
        ("melody BPS F3 margin, 2 beats", "+.038", "(establishment F −.052, F3 +.038)",
         lambda: _margin(mel(window_beats=2.0), "ThreeLayer_F"))]


_COMPARE = "Which Representation Finds Repeats"
_register_score_features()

_SEED_MAPPING = ("lower (.542 / .657 / .637 / .515 against .550 / .685 / .649 / .521, "
                 "`models/cqt_piano`)")
if _SEED_MAPPING in docs_text():
    _register_discovery_row("nf14 JKU mean, first onset at the first sound vs at 0 s",
                            _SEED_MAPPING, [
        # start None: the same call as the tables', so their cached run is reused
        (f"nf14 mean {m} ({start or 'auto'})", lambda m=m, start=start: discovery(
            None, "cqt_piano", *(None, start) if start else ())[0]["nf14"].mean[m])
        for start in ("first-sound", None) for m in _MEASURES],
        section="Differences from the Original Implementation")
_OLD_MAPPING = ".641 / .699 / .586 / .517 to these numbers"
if _OLD_MAPPING in docs_text():
    _register_discovery_row("families JKU mean, --audio-start 0", _OLD_MAPPING, [
        (f"families mean {m}", lambda m=m: discovery(None, "cqt_piano", None, 0.0)[0]
         ["families"].mean[m]) for m in _MEASURES])


_SHOWN = ("Est_F", "Occ.75_F", "Occ.5_F", "ThreeLayer_F")
_SHIFTS = ("+1", "+2", "+5", "+7")
#: The README's comparison table, cell for cell: features|finder -> the four scores, the four
#: chance scores, the transposed windows found at +1/+2/+5/+7 semitones.
_COMPARE_TABLE = {
    "cae|nf14": "0.550 0.685 0.649 0.521 0.52 0.41 0.40 0.34 93% 90% 85% 91%",
    "cae|families": "0.653 0.810 0.662 0.562 0.59 0.33 0.40 0.33 93% 90% 85% 91%",
    "cqt|nf14": "0.547 0.666 0.622 0.515 0.51 0.33 0.38 0.33 3% 0% 0% 5%",
    "cqt|families": "0.654 0.625 0.639 0.482 0.62 0.35 0.37 0.32 3% 0% 0% 5%",
    "chroma|nf14": "0.546 0.651 0.608 0.518 0.47 0.27 0.35 0.32 0% 0% 0% 3%",
    "chroma|families": "0.660 0.594 0.567 0.455 0.64 0.38 0.36 0.32 0% 0% 0% 3%",
    "ftm2d|nf14": "0.514 0.538 0.502 0.412 0.56 0.41 0.39 0.37 100% 100% 100% 100%",
    "ftm2d|families": "0.601 0.756 0.686 0.497 0.60 0.43 0.41 0.34 100% 100% 100% 100%",
    "tichroma|nf14": "0.547 0.655 0.611 0.518 0.49 0.37 0.34 0.31 97% 100% 99% 94%",
    "tichroma|families": "0.625 0.658 0.582 0.432 0.62 0.30 0.32 0.31 97% 100% 99% 94%",
    "VMO (published outputs)|vmo": "0.528 0.705 0.674 0.483",
}


@functools.cache
def compare_rows():
    """python -m complex_auto.compare RUN -j 2, output/RUN/compare.csv (about 7 minutes)"""
    run(sys.executable, "-m", "complex_auto.compare", "readme_compare", "-j", "2",
        "--threads", "1")
    with open(ROOT / "output" / "readme_compare" / "compare.csv") as f:
        return {f"{r['features']}|{r['method']}": r for r in csv.DictReader(f)}


def _compare_cell(key, column, scale):
    def compute():
        return scale * float(compare_rows()[key][column])
    compute.__doc__ = compare_rows.__doc__
    return compute


for _key, _cells in _COMPARE_TABLE.items():
    _columns = (list(_SHOWN) + [f"chance_{c}" for c in _SHOWN]
                + [f"transposed_{s}" for s in _SHIFTS])
    for _column, _text in zip(_columns, _cells.split()):
        number(_COMPARE, f"{_key}: {_column}", _text, slow=True)(
            _compare_cell(_key, _column, 100.0 if _text.endswith("%") else 1.0))


@number(_COMPARE, "transposition test: chance", "chance 2 %", slow=True)
def _():
    """python -m complex_auto.compare RUN, output/RUN/compare.csv (transposed_chance)"""
    return 100 * float(compare_rows()["cae|nf14"]["transposed_chance"])


# -- What a Model Learned: the 2-D Fourier magnitude and the transposition test --------------

_LEARNED = "What a Model Learned"


#: The models of 'What a Model Learned': the shipped one and the one trained on the JKU.
LEARNED_MODELS = ("cqt_piano", "cqt_jku")


@functools.cache
def invariance_tables(model="cqt_piano"):
    """python -m complex_auto.invariance RUN filelist_audio.txt models/MODEL/config_cqt.ini --model models/MODEL/model_complex_auto_cqt.save"""
    run(sys.executable, "-m", "complex_auto.invariance", f"readme_invariance_{model}",
        "filelist_audio.txt", f"models/{model}/config_cqt.ini", "--model",
        f"models/{model}/model_complex_auto_cqt.save", "-j", "2", "--threads", "1")
    out = ROOT / "output" / f"readme_invariance_{model}"
    with open(out / "invariance.csv") as f:
        invariance = list(csv.DictReader(f))
    with open(out / "transposition.csv") as f:
        transposition = list(csv.DictReader(f))
    return invariance, transposition


def _shift_mean(transform, column, model="cqt_piano"):
    """invariance.csv: mean of ``column`` over the shifts of ``transform`` but 0."""
    rows = [r for r in invariance_tables(model)[0]
            if r["transform"] == transform and r["shift"] != "0"]
    return sum(float(r[column]) for r in rows) / len(rows)


def _found(kind, model="cqt_piano"):
    return [100 * float(r["found"]) for r in invariance_tables(model)[1] if r["features"] == kind]


@number(_LEARNED, "2-D Fourier magnitude: similarity to the pitch-shifted n-gram", "0.988",
        slow=True)
def _():
    """python -m complex_auto.invariance RUN ..., invariance.csv ftm2d_similarity, mean over pitch shifts"""
    return _shift_mean("pitch", "ftm2d_similarity")


@number(_LEARNED, "2-D Fourier magnitude: pitch-shifted n-gram finds its original", "99.0 %",
        slow=True)
def _():
    """python -m complex_auto.invariance RUN ..., invariance.csv ftm2d_match_rate, mean over pitch shifts"""
    return 100 * _shift_mean("pitch", "ftm2d_match_rate")


@number(_LEARNED, "transposition test +1..+7: cqt_piano, least", "82–93 %", slow=True)
def _():
    """python -m complex_auto.invariance RUN ..., transposition.csv"""
    return min(_found("cae"))


@number(_LEARNED, "transposition test +1..+7: cqt_piano, most", "–93 % of the transposed",
        slow=True)
def _():
    """python -m complex_auto.invariance RUN ..., transposition.csv"""
    return max(_found("cae"))


@number(_LEARNED, "transposition test +1..+7: cqt_jku, least", "46–51 %", slow=True)
def _():
    """python -m complex_auto.invariance RUN ... --model models/cqt_jku/..., transposition.csv"""
    return min(_found("cae", "cqt_jku"))


@number(_LEARNED, "transposition test +1..+7: cqt_jku, most", "–51 %)", slow=True)
def _():
    """python -m complex_auto.invariance RUN ... --model models/cqt_jku/..., transposition.csv"""
    return max(_found("cae", "cqt_jku"))


@number(_LEARNED, "transposition test +1..+7: raw CQT, least", "raw CQT n-grams 0–5 %",
        slow=True)
def _():
    """python -m complex_auto.invariance RUN ..., transposition.csv"""
    return min(_found("cqt"))


@number(_LEARNED, "transposition test +1..+7: raw CQT, most", "–5 %, their", slow=True)
def _():
    """python -m complex_auto.invariance RUN ..., transposition.csv"""
    return max(_found("cqt"))


@number(_LEARNED, "transposition test +1..+7: 2-D Fourier magnitude, least",
        "magnitude 100 %.", slow=True)
def _():
    """python -m complex_auto.invariance RUN ..., transposition.csv"""
    return min(_found("ftm2d"))


def _classifier(target, features, column="accuracy", model="cqt_piano"):
    """transformations.csv: the logistic regression's ``column`` for ``target`` from ``features``."""
    invariance_tables(model)            # runs the command when no entry before has
    with open(ROOT / "output" / f"readme_invariance_{model}" / "transformations.csv") as f:
        row = next(r for r in csv.DictReader(f) if r["target"] == target
                   and r["features"] == features and r["classifier"] == "logistic")
    return float(row[column])


def _register_learned():
    """The two tables of README's 'What a Model Learned', cell by cell, and the ratio below."""
    text = docs_text()
    def pct(fn):
        return lambda: 100 * fn()

    piano, jku = LEARNED_MODELS

    def both(fn):
        """Cells of the shipped model then of cqt_jku, as the README gives them."""
        return [lambda: fn(piano), lambda: fn(jku)]

    tables = {
        "| cosine similarity to the pitch-shifted n-gram (±24 bins, mean) |": [
            *both(lambda m: _shift_mean("pitch", "model_similarity", m)),
            lambda: _shift_mean("pitch", "raw_similarity"),
            *both(lambda m: _shift_mean("pitch", "unrelated_model_similarity", m)),
            lambda: _shift_mean("pitch", "unrelated_raw_similarity")],
        "| the pitch-shifted n-gram's nearest neighbour among 1000 is its original |": [
            *both(lambda m: 100 * _shift_mean("pitch", "model_match_rate", m)),
            pct(lambda: _shift_mean("pitch", "raw_match_rate")),
            lambda: 100 / float(invariance_tables()[0][0]["n_items"])],
        "| cosine similarity to the time-shifted n-gram (±12 frames, mean) |": [
            *both(lambda m: _shift_mean("time", "model_similarity", m)),
            lambda: _shift_mean("time", "raw_similarity")],
        "| pitch shift in bins (48 classes) |": [
            *both(lambda m: 100 * _classifier("pitch_shift", "phase", model=m)),
            *both(lambda m: 100 * _classifier("pitch_shift", "phase", "accuracy_within_1", m)),
            *both(lambda m: 100 * _classifier("pitch_shift", "amplitude", model=m)),
            pct(lambda: _classifier("pitch_shift", "phase", "chance"))],
        "| time shift in frames (24 classes) |": [
            *both(lambda m: 100 * _classifier("time_shift", "phase", model=m)),
            *both(lambda m: 100 * _classifier("time_shift", "phase", "accuracy_within_1", m)),
            *both(lambda m: 100 * _classifier("time_shift", "amplitude", model=m)),
            pct(lambda: _classifier("time_shift", "phase", "chance"))],
        "| pitch or time shift |": [
            *both(lambda m: 100 * _classifier("type", "phase", model=m)),
            *both(lambda m: 100 * _classifier("type", "amplitude", model=m)),
            pct(lambda: _classifier("type", "phase", "chance"))],
    }
    for label, getters in tables.items():
        row = next((l for l in text.splitlines() if l.startswith(label)), None)
        if row is None:
            continue
        # the numbers after the label (which holds numbers of its own), each with its row up to it
        cells = [(m.group(0), row[:m.end()])
                 for m in re.compile(r"\d+\.\d+(?: %)?|\d+ %").finditer(row, len(label))]
        assert len(cells) == len(getters), (label, cells)
        for k, ((value, context), fn) in enumerate(zip(cells, getters)):
            number(_LEARNED, f"{label.strip('| ')}: cell {k + 1}", value, slow=True,
                   context=context)(fn)
    ratio = (lambda m: _shift_mean("pitch", "model_match_rate", m)
             / _shift_mean("pitch", "raw_match_rate"))
    for value, fn in (("(0.81 ", lambda: _shift_mean("pitch", "unrelated_model_similarity")),
                      ("and 0.88)", lambda: _shift_mean("pitch", "unrelated_model_similarity",
                                                        jku)),
                      ("16 times", lambda: ratio(piano)),
                      ("4.7 times", lambda: ratio(jku))):
        if value in text:
            number(_LEARNED, f"invariance: {value}", value, slow=True)(fn)
    number(_LEARNED, "invariance: time shift within a frame", "98.3 % of the held-out",
           slow=True)(lambda: 100 * _classifier("time_shift", "phase", "accuracy_within_1"))


_register_learned()


# -- Which model --pretrained uses: models/cqt_piano against models/cqt_jku (issue 12) -------

_MODELS = "Which Model `--pretrained` Uses"
PIANO = "models/cqt_piano/model_complex_auto_cqt.save"
JKU_MODEL = "models/cqt_jku/model_complex_auto_cqt.save"
JKU_AUDIO = sorted((ROOT / "data" / "jku" / "audio").glob("*.mp3"))


@functools.cache
def transposition_found(model, audio=None, focus=None):
    """python -m complex_auto.transposition --model MODEL [--audio FILE] [--focus-frames N]:
    {semitones: % found}"""
    extra = (["--audio", audio] if audio else []) + (["--focus-frames", str(focus)] if focus else [])
    out = run(sys.executable, "-m", "complex_auto.transposition", "--model", model,
              "--threads", "1", *extra)
    return {int(s): float(v) for s, v in re.findall(r"\+(\d+) (\d+) %", out)}


def transposition_mean(model, semitones, focus=None):
    """Mean over the five JKU recordings of the share of transposed windows found."""
    return sum(transposition_found(model, str(a), focus)[semitones]
               for a in JKU_AUDIO) / len(JKU_AUDIO)


@functools.cache
def jku_model_rows():
    """python convert.py RUN jku_input_audio.txt models/cqt_jku/config_cqt.ini --model models/cqt_jku/model_complex_auto_cqt.save --self-sim-matrix; extract_motives.py; extract_motives_eval.py"""
    run("convert.py", "readme_jku_model", "jku_input_audio.txt", "models/cqt_jku/config_cqt.ini",
        "--model", JKU_MODEL, "--self-sim-matrix", "--threads", "1")
    return extract_and_score("readme_jku_model")


def _transposition_entry(label, model, semitones, text, mean=False, focus=None,
                         section=_MODELS, context=None):
    def compute():
        return (transposition_mean(model, semitones, focus) if mean
                else transposition_found(model, focus=focus)[semitones])
    compute.__doc__ = transposition_found.__doc__
    if context is None:
        context = _ROW if label == "cqt_piano" else ""
    number(section, f"{label}: transposed +{semitones} found{' (five pieces)' if mean else ''}",
           text, context=context)(compute)


def _scores_entry(label, rows, measure, text):
    def compute():
        return rows()["mean"][measure]
    compute.__doc__ = getattr(rows, "__doc__", None) or quick_start.__doc__
    number(_MODELS, f"{label}: mean {measure}", text, slow=True,
           context="| JKU discovery, mean Est_F / Occ.75_F / Occ.5_F / ThreeLayer_F |")(compute)


@number(_MODELS, "cqt_piano: epochs trained", "69", context="| 69 epochs of `models/cqt_piano")
def _():
    """models/cqt_piano/train_log.csv, rows"""
    return len((ROOT / "models/cqt_piano/train_log.csv").read_text().splitlines()) - 1


@number(_MODELS, "cqt_piano: hours of training audio", "2.32", slow=True,
        context="| 2.32 h rendered from the scores")
def _():
    """python -m complex_auto.corpus build cache/corpus --hours 2.6 --seed 0; cache/corpus/corpus.csv"""
    listing = ROOT / "cache" / "corpus" / "corpus.csv"
    if not listing.is_file():
        run(sys.executable, "-m", "complex_auto.corpus", "build", "cache/corpus", "--hours", "2.6",
            "--seed", "0")
    with open(listing) as f:
        return sum(float(r["seconds"]) for r in csv.DictReader(f) if r["set"] == "train") / 3600


_ROW = "| transposed windows found, +2 / +5 semitones, mean of the five JKU recordings (chance 2 %) | "
for _s, _text in ((2, "89.4 %"), (5, "87.8 %")):
    _transposition_entry("cqt_piano, central 16 frames", PIANO, _s, _text, mean=True, focus=16,
                         section=_RESULTS, context="mean of the five JKU recordings: 89.4 % found")
_transposition_entry("cqt_piano", PIANO, 2, "91.4 %", mean=True)
_transposition_entry("cqt_piano", PIANO, 5, "91.4 %", mean=True)
for _s, _text in ((2, "85.6 %"), (5, "84.8 %")):
    _transposition_entry("cqt_piano_n8", "models/cqt_piano_n8/model_complex_auto_cqt.save", _s,
                         _text, mean=True, section=_RESULTS,
                         context=(f"{_text} of the windows at +2" if _s == 2
                                  else f"and {_text} at +5 (chance 2 %)"))
_transposition_entry("cqt_jku", JKU_MODEL, 2, "53.8 %", mean=True)
_transposition_entry("cqt_jku", JKU_MODEL, 5, "51.6 %", mean=True)
for _i, (_m, _p, _j) in enumerate(zip(_MEASURES, "0.550 0.685 0.649 0.521".split(),
                                      "0.546 0.683 0.634 0.515".split())):
    _scores_entry("cqt_piano", lambda: quick_start()[1], _m, _p)
    _scores_entry("cqt_jku", jku_model_rows, _m, _j)


# -- command line ---------------------------------------------------------------------------

def has_cuda():
    import torch

    return torch.cuda.is_available()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n", 1)[1])
    p.add_argument("--only", metavar="SECTION",
                   help="only the entries whose section or name contains SECTION "
                        "(case-insensitive)")
    p.add_argument("--slow", action="store_true",
                   help="also the entries that train a model or take minutes")
    p.add_argument("--list", action="store_true", help="list the entries without computing")
    args = p.parse_args(argv)

    text = docs_text()
    chosen = [n for n in NUMBERS
              if (not args.only or args.only.lower() in n.section.lower()
                  or args.only.lower() in n.name.lower())
              and (args.slow or not n.slow or args.list)]
    if not chosen:
        sys.exit(f"no entry matches --only {args.only!r}")
    bad = skipped = 0
    head = f"{'section':<28} {'number':<46} {'README':>10} {'computed':>12}  status"
    print(head)
    for n in chosen:
        present = (n.context or n.readme) in text
        if args.list:
            print(f"{n.section[:28]:<28} {n.name[:46]:<46} {n.readme:>10} {'':>12}  "
                  f"{'slow' if n.slow else ''}  {n.how}")
            continue
        if n.cuda and not has_cuda():
            skipped += 1
            print(f"{n.section[:28]:<28} {n.name[:46]:<46} {n.readme:>10} {'':>12}  "
                  f"{'needs CUDA' if present else 'MISSING'}", flush=True)
            bad += not present
            continue
        value = n.compute()
        ok = matches(n, value) and present
        bad += not ok
        status = "ok" if ok else ("MISSING" if not present else "DIFF")
        print(f"{n.section[:28]:<28} {n.name[:46]:<46} {n.readme:>10} "
              f"{format_value(n, value):>12}  {status}", flush=True)
    if not args.list:
        print(f"{len(chosen) - bad - skipped} of {len(chosen)} numbers reproduced"
              + (f"; {skipped} need a CUDA GPU (bench/device_speed.py), not run here"
                 if skipped else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
