"""Shared fixtures: tiny configs, short real excerpts, the repository root."""
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
JKU_AUDIO = ROOT / "data" / "jku" / "audio"


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


def run_cli(script, *args, cwd=None):
    """Run ``python SCRIPT ARGS`` in a subprocess; returns the CompletedProcess."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, str(ROOT / script), *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=600)
