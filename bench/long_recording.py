#!/usr/bin/env python
"""Long recordings and large collections: peak memory and wall time against the goals.

1. ``long``: a recording of ``--minutes`` (default 120) made by joining the five JKU
   recordings over and over (written once to ``cache/bench_long/``), converted with the
   shipped model and ``--self-sim-matrix``, then searched by ``extract_motives.py`` with each
   ``--method``. Every step runs as its own child process; the bench prints its peak resident
   memory (``getrusage(RUSAGE_CHILDREN).ru_maxrss`` of a fresh wrapper process, so one step's
   figure is not mixed with another's) and wall time, against the goal of 4 GB and 10 minutes
   for conversion plus extraction.
2. ``shards``: ``--files`` (default 100) short excerpts of the JKU recordings, converted and
   extracted once, and again as 4 shards (``--shard K/4``) followed by ``convert.py --merge``,
   in two separate folders; every file of the two ``output/RUN/`` folders is compared byte for
   byte.

    python bench/long_recording.py                      # both, 2 hours and 100 files
    python bench/long_recording.py long --minutes 30
    python bench/long_recording.py shards --files 20

The CPU load average is printed beside the times: on a shared machine they are upper bounds.
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# the model run_batch_audio.sh --pretrained uses (any CQT model of the paper's size costs the same)
MODEL = ROOT / "models" / "cqt_piano" / "model_complex_auto_cqt.save"
CONFIG = ROOT / "models" / "cqt_piano" / "config_cqt.ini"
JKU = sorted((ROOT / "data" / "jku" / "audio").glob("*.mp3"))
GOAL_GB, GOAL_MINUTES = 4.0, 10.0


def child_env():
    """The environment of every step: one thread, and the project ahead of the caller's
    PYTHONPATH (kept: packages installed with ``pip --target`` live there)."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return dict(os.environ, PYTHONPATH=path, OMP_NUM_THREADS="1")


def measured(cmd, cwd=ROOT):
    """Run ``cmd`` in a fresh wrapper process; returns (exit code, peak RSS in bytes, seconds,
    last lines of its stderr)."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "_measure", *map(str, cmd)], cwd=cwd,
                          capture_output=True, text=True,
                          env=child_env())
    seconds = time.perf_counter() - t0
    lines = proc.stdout.strip().splitlines()
    peak = int(lines[-1]) if lines and lines[-1].isdigit() else 0
    return proc.returncode, peak, seconds, proc.stderr.strip().splitlines()[-3:]


def _measure(cmd):
    """The wrapper: run ``cmd``, pass its stderr on, print its peak RSS (bytes) last."""
    code = subprocess.call(cmd)
    unit = 1 if sys.platform == "darwin" else 1024     # ru_maxrss: bytes on macOS, else KiB
    print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * unit)
    sys.exit(code)


def load():
    return "load average %.1f %.1f %.1f on %d CPUs (shared)" % (*os.getloadavg(), os.cpu_count())


def long_recording(minutes, cache, methods, convert=True):
    """Write the recording (once), then convert and extract it, each step measured."""
    import numpy as np
    import soundfile as sf

    sr = 22050
    wav = cache / f"jku_joined_{minutes}min.wav"
    if not wav.exists():
        import librosa

        cache.mkdir(parents=True, exist_ok=True)
        pieces = [librosa.load(str(p), sr=sr, mono=True)[0] for p in JKU]
        need, k = minutes * 60 * sr, 0
        tmp = wav.with_suffix(".part.wav")
        with sf.SoundFile(tmp, "w", sr, 1, subtype="PCM_16") as f:
            while need > 0:
                y = pieces[k % len(pieces)][:need]
                f.write(y.astype(np.float32))
                need -= len(y)
                k += 1
        os.replace(tmp, wav)
    lst = cache / "long_list.txt"
    lst.write_text(f"{wav}\t120\n")
    print(f"{wav.name}: {sf.info(str(wav)).duration / 60:.0f} minutes; {load()}")

    run = f"bench_long_{minutes}"
    steps = [("convert --self-sim-matrix",
              [sys.executable, "convert.py", run, lst, CONFIG, "--model", MODEL,
               "--self-sim-matrix", "-j", "1", "--threads", "1", "--overwrite"])][:int(convert)]
    for m in methods:
        steps.append((f"extract --method {m}",
                      [sys.executable, "extract_motives.py", run, "--method", m, "-csv", "none",
                       "--no-report", "--overwrite"]))
    results = {}
    for name, cmd in steps:
        code, peak, sec, tail = measured(cmd)
        results[name] = (code, peak, sec)
        status = "ok" if code == 0 else "exit %d: %s" % (code, tail[-1] if tail else "")
        print(f"  {name:32s} peak {peak / 2 ** 30:6.2f} GB  {sec / 60:6.2f} min  {status}")
    npy = ROOT / "output" / run / f"{wav.name}.npy"
    if npy.exists():
        m = np.load(npy, mmap_mode="r")
        print(f"  matrix {m.shape[0]} x {m.shape[1]} {m.dtype}, {npy.stat().st_size / 2 ** 30:.1f} GB "
              f"on disk")
    if not convert:
        return
    conv = results[steps[0][0]]
    for name, (code, peak, sec) in list(results.items())[1:]:
        if code != 0 or conv[0] != 0:
            continue
        total_peak, total_min = max(peak, conv[1]) / 2 ** 30, (sec + conv[2]) / 60
        print(f"  convert + {name}: peak {total_peak:.2f} GB ({total_peak / GOAL_GB:.2f} of the "
              f"{GOAL_GB:g} GB goal), {total_min:.1f} min ({total_min / GOAL_MINUTES:.2f} of the "
              f"{GOAL_MINUTES:g} min goal); {load()}")


def collection(n_files, cache):
    """One run against 4 shards + merge, in two folders; returns True when byte-identical."""
    import librosa
    import numpy as np
    import soundfile as sf

    folder = cache / f"collection_{n_files}"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    audio = {p: librosa.load(str(p), sr=22050, mono=True)[0] for p in JKU}
    paths = []
    for k in range(n_files):
        src = JKU[k % len(JKU)]
        y = audio[src]
        length = int(rng.uniform(4, 12) * 22050)
        start = int(rng.integers(0, max(len(y) - length, 1)))
        p = folder / f"{k:03d}-{src.stem}.wav"
        if not p.exists():
            sf.write(p, y[start:start + length], 22050)
        paths.append(p)
    lst = folder / "list.txt"
    lst.write_text("".join(f"{p}\t{90 + k % 7 * 10}\n" for k, p in enumerate(paths)))
    conv = ["convert.py", "coll", lst, CONFIG, "--model", MODEL, "--self-sim-matrix",
            "--threads", "1"]
    ext = ["extract_motives.py", "coll", "-csv", "none", "--no-report"]
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        one, sharded = Path(tmp) / "one", Path(tmp) / "sharded"
        one.mkdir(), sharded.mkdir()
        t0 = time.perf_counter()
        for cmd in (conv, ext):
            _run([sys.executable, ROOT / cmd[0], *cmd[1:]], one)
        t_one = time.perf_counter() - t0
        t0 = time.perf_counter()
        for k in range(1, 5):
            _run([sys.executable, ROOT / conv[0], *conv[1:], "-j", "1", "--shard", f"{k}/4"],
                 sharded)
        _run([sys.executable, ROOT / conv[0], *conv[1:], "--merge"], sharded)
        for k in range(1, 5):
            _run([sys.executable, ROOT / ext[0], *ext[1:], "--shard", f"{k}/4"], sharded)
        t_shards = time.perf_counter() - t0
        a = {p.relative_to(one): p.read_bytes() for p in (one / "output").rglob("*") if p.is_file()}
        b = {p.relative_to(sharded): p.read_bytes()
             for p in (sharded / "output").rglob("*") if p.is_file()}
        differ = sorted(str(k) for k in a.keys() | b.keys() if a.get(k) != b.get(k))
    print(f"{n_files} files: one run {t_one:.0f} s, 4 shards + merge {t_shards:.0f} s "
          f"(sequentially; {load()})")
    print(f"  {len(a)} files written by the one run, {len(b)} by the shards; "
          f"{'all identical byte for byte' if not differ else f'{len(differ)} differ: {differ[:5]}'}")
    return not differ


def _run(cmd, cwd):
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True,
                          env=child_env())
    if proc.returncode:
        sys.exit(f"{' '.join(map(str, cmd))} failed: {proc.stderr.strip().splitlines()[-1:]}")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "_measure":
        return _measure(sys.argv[2:])
    from complex_auto.cli import at_least_one
    from complex_auto.patterns import METHODS

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("what", nargs="?", choices=["long", "shards", "both"], default="both",
                   help="long: one recording of --minutes; shards: a collection of --files "
                        "converted in parts; both (default)")
    p.add_argument("--minutes", type=at_least_one, default=120, help="length of the long recording")
    p.add_argument("--files", type=at_least_one, default=100, help="files in the collection")
    p.add_argument("--method", action="append", choices=METHODS,
                   help=f"finders to run on the long recording (default: all, {METHODS})")
    p.add_argument("--cache", type=Path, default=ROOT / "cache" / "bench_long",
                   help="where the made recordings are kept between runs (default "
                        "cache/bench_long)")
    p.add_argument("--no-convert", dest="convert", action="store_false",
                   help="extract only, from the matrix of an earlier run of this bench")
    args = p.parse_args()
    if args.what in ("long", "both"):
        long_recording(args.minutes, args.cache, args.method or list(METHODS), args.convert)
    if args.what in ("shards", "both"):
        collection(args.files, args.cache)


if __name__ == "__main__":
    main()
