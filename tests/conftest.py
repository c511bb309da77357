"""Shared fixtures: tiny configs, short real excerpts, the repository root."""
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
JKU_AUDIO = ROOT / "data" / "jku" / "audio"
#: Set by ``.ci/run``: there a system package a test needs must be installed, and its tests
#: fail rather than skip, so that CI never passes without having run them.
STRICT = os.environ.get("COMPLEX_AUTO_STRICT_TESTS", "") not in ("", "0")


#: Variables of the shell that change what the toolkit does: inside a torchrun or SLURM job
#: (WORLD_SIZE, RANK, ...) every test that trains would try to join a process group, and a
#: memory cap would turn tests of the in-memory paths into tests of the file-streamed ones.
#: Each test starts without them (those that need one set it).
OUTSIDE_ENV = ("WORLD_SIZE", "RANK", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR",
               "MASTER_PORT", "COMPLEX_AUTO_MAX_MEMORY")


@pytest.fixture(autouse=True)
def _without_the_shells_job_settings(monkeypatch):
    for name in OUTSIDE_ENV:
        monkeypatch.delenv(name, raising=False)


def needs(available, what):
    """Mark for tests that need a system package (FluidSynth, Chromium): skipped with the
    package's name where it is missing, except under ``COMPLEX_AUTO_STRICT_TESTS``."""
    return pytest.mark.skipif(not available and not STRICT,
                              reason=f"not installed: {what} (see the README's Prerequisites)")


def write_config(path, base=ROOT / "config_cqt.ini", **changes):
    """Copy a shipped config with some keys changed; returns the path."""
    lines = []
    for line in Path(base).read_text().splitlines():
        key = line.split("=")[0].strip()
        if key in changes and "=" in line and not line.lstrip().startswith("#"):
            value = changes.pop(key)
            if isinstance(value, (list, tuple)):
                value = ", ".join(str(v) for v in value)
            line = f"{key} = {value}"
        lines.append(line)
    lines += [f"{k} = {v}" for k, v in changes.items()]
    Path(path).write_text("\n".join(lines) + "\n")
    return Path(path)


TINY = dict(samples_epoch=300, batch_size=100, epochs=2, plot_interval=2, n_bases=8,
            length_ngram=8, shifts=(2, 4), block_size=0)


@pytest.fixture
def tiny_config(tmp_path):
    """A CQT config with a small model and few pairs; cache in tmp_path."""
    return write_config(tmp_path / "tiny.ini", cache_dir=str(tmp_path / "cache"), **TINY)


def excerpt(path, seconds, start=0.0, sr=22050):
    """The first ``seconds`` of a JKU recording, resampled to ``sr``."""
    import librosa

    y, _ = librosa.load(str(path), sr=sr, mono=True, offset=start, duration=seconds)
    return y


@pytest.fixture(scope="session")
def short_wavs(tmp_path_factory):
    """Two real excerpts (12 s and 10 s) of JKU recordings as wav files."""
    d = tmp_path_factory.mktemp("wavs")
    out = []
    for name, sec in (("wtc2f20-poly", 12), ("silverswan-poly", 10)):
        p = d / f"{name}.wav"
        sf.write(p, excerpt(JKU_AUDIO / f"{name}.mp3", sec, start=5), 22050)
        out.append(p)
    return out


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Run in tmp_path (output/ and cache/ land there)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write_filelist(path, files):
    Path(path).write_text("".join(f"{f}\n" for f in files))
    return Path(path)


def copy_tree(src, dst):
    shutil.copytree(src, dst)
    return dst


rng = np.random.default_rng


def run_script(script, *args, capsys=None):
    """Run a top-level script's ``main`` in this process; returns (exit code, stderr).

    The same path as ``python SCRIPT ARGS`` (argument parsing, error handling, exit code),
    without a new interpreter's start-up time.
    """
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"_script_{Path(script).stem}", ROOT / script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from complex_auto import cli

    if capsys is not None:
        capsys.readouterr()
    try:
        cli.run(module.main, module.parser(), [str(a) for a in args])
        code = 0
    except SystemExit as e:
        code = e.code
    err = capsys.readouterr().err if capsys is not None else ""
    return code, err


def child_env(clean=False, **extra):
    """Environment for a child ``python``: this repository first on ``PYTHONPATH``.

    The caller's ``PYTHONPATH`` is kept after it, because packages installed with
    ``pip install --target`` (as on a GPU machine whose image lacks librosa) live there.
    ``clean`` starts from ``PATH=/usr/bin:/bin`` alone instead of this process's environment,
    so that a command is shown to need no activated environment; ``extra`` adds variables.
    """
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    base = {"PATH": "/usr/bin:/bin"} if clean else dict(os.environ)
    return dict(base, PYTHONPATH=path, **extra)


def run_cli(script, *args, cwd=None):
    """Run ``python SCRIPT ARGS`` in a subprocess; returns the CompletedProcess."""
    import subprocess
    import sys

    env = child_env()
    return subprocess.run([sys.executable, str(ROOT / script), *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=600)


def png_content(path):
    """What a PNG shows: ``(width, height, grey-level std, distinct colours)``.

    A blank or single-colour picture has std near 0 and very few colours.
    """
    from PIL import Image

    with Image.open(path) as im:
        rgb = np.asarray(im.convert("RGB"), dtype=np.float64)
    colours = len(np.unique(rgb.reshape(-1, 3)[::7], axis=0))
    return rgb.shape[1], rgb.shape[0], float(rgb.mean(axis=2).std()), colours


@pytest.fixture
def saved_figures(monkeypatch):
    """Record every figure the project saves: file name → list of its drawn axes.

    Each axes is summarised as a dict: ``images`` (imshow arrays), ``lines`` (number of plotted
    lines), ``points`` (scatter points), ``colorbar`` (whether it is a colour bar).
    """
    from complex_auto import utils

    figures = {}
    original = utils.save_figure

    def record(fig, path, **kwargs):
        axes = []
        for ax in fig.axes:
            axes.append(dict(images=[im.get_array() for im in ax.get_images()],
                             lines=len(ax.get_lines()),
                             points=sum(len(c.get_offsets()) for c in ax.collections
                                        if hasattr(c, "get_offsets")),
                             colorbar=ax.get_label() == "<colorbar>"))
        figures[Path(path).name] = axes
        original(fig, path, **kwargs)

    import complex_auto.plots as plots

    monkeypatch.setattr(utils, "save_figure", record)
    monkeypatch.setattr(plots, "save_figure", record)
    return figures
