"""The whole pipeline on one short JKU excerpt with a tiny model, and run_batch_audio.sh."""
import csv
import os
import subprocess
import sys
from pathlib import Path

import mir_eval
import numpy as np
import pytest
import soundfile as sf

from .conftest import JKU_AUDIO, ROOT, excerpt, run_cli, write_filelist


def test_pipeline_on_a_short_piece(in_tmp, tiny_config):
    # The piece keeps its JKU name, so its tempo, csv score and ground truth are found.
    wav = in_tmp / "wtc2f20-poly.wav"
    sf.write(wav, excerpt(JKU_AUDIO / "wtc2f20-poly.mp3", 45), 22050)
    flist = write_filelist(in_tmp / "list.txt", [wav])
    csvs = write_filelist(in_tmp / "csvs.txt", [ROOT / "data" / "jku" / "csv" / "wtc2f20-poly.csv"])
    steps = [
        ("train.py", "pipe", flist, tiny_config),
        ("convert.py", "pipe", flist, tiny_config, "--self-sim-matrix"),
        ("extract_motives.py", "pipe", "-csv", csvs, "-th", "0.0105"),
        ("extract_motives_eval.py", "pipe", "-refdir", ROOT / "data" / "jku" / "groundtruth"),
    ]
    for script, *args in steps:
        proc = run_cli(script, *args, cwd=in_tmp)
        assert proc.returncode == 0, f"{script}: {proc.stderr[-2000:]}"
    run = in_tmp / "output" / "pipe"
    # the model was trained on the recording it scores, and the evaluation says so
    record = Path("output/pipe/training_cqt.json")
    trained = (f"the piece scored (wtc2f20-poly) is in the training data of "
               f"{Path('output/pipe/model_complex_auto_cqt.save')} (its record: {record}): "
               "its score does not measure unseen music")
    assert trained in proc.stderr
    assert f"# seen in training: {trained}" in (run / "results.txt").read_text()
    # the weights that made the features are found in the record after more training too
    proc = run_cli("train.py", "pipe", flist, tiny_config, "--resume", "--epochs", "3",
                   cwd=in_tmp)
    assert proc.returncode == 0, proc.stderr
    assert trained in run_cli(*steps[-1], cwd=in_tmp).stderr
    # a model without its record (copied alone, trained before records) says nothing
    (in_tmp / record).unlink()
    proc = run_cli(*steps[-1], cwd=in_tmp)
    assert proc.returncode == 0 and "training data" not in proc.stderr, proc.stderr
    matrix = np.load(run / "wtc2f20-poly.wav.npy")
    frames = 1 + 45 * 22050 // 1984
    assert matrix.shape == (frames - 8 + 9,) * 2        # windows of 8 frames, 9 padding rows
    patterns = mir_eval.io.load_patterns(str(run / "wtc2f20-poly.seg"))
    assert len(patterns) >= 1 and all(len(p) >= 2 for p in patterns)
    # Every occurrence's notes lie in the 45 s excerpt (84 bpm: 63 beats after the first onset).
    onsets = [n[0] for p in patterns for o in p for n in o]
    assert min(onsets) >= -1 and max(onsets) <= 63
    rows = list(csv.DictReader((run / "results.csv").open()))
    assert [r["piece"] for r in rows] == ["wtc2f20-poly", "mean"]
    # results.csv holds the scores of the .seg file against the ground truth.
    ref = mir_eval.io.load_patterns(str(ROOT / "data" / "jku" / "groundtruth" / "wtc2f20-poly.txt"))
    f, p, r = mir_eval.pattern.establishment_FPR(ref, patterns)
    assert float(rows[0]["Est_F"]) == pytest.approx(f, abs=1e-6)
    assert float(rows[0]["Est_P"]) == pytest.approx(p, abs=1e-6)
    assert "wtc2f20-poly" in (run / "results.txt").read_text()


def batch(*args, env=None, cwd=None, timeout=300):
    """Run run_batch_audio.sh with this interpreter as $PYTHON (no activated env needed)."""
    env = {**os.environ, "PYTHON": sys.executable, "OMP_NUM_THREADS": "1", **(env or {})}
    return subprocess.run([str(ROOT / "run_batch_audio.sh"), *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=timeout, cwd=cwd)


def test_run_batch_audio_stops_at_the_first_failing_step(tmp_path):
    proc = batch("ci_fail", tmp_path / "no.ini", cwd=tmp_path)
    assert proc.returncode == 1
    assert "no.ini: config file does not exist" in proc.stderr
    assert "step 'train' failed" in proc.stderr
    assert "== convert" not in proc.stdout


@pytest.fixture
def recorder(tmp_path):
    """A stand-in interpreter that logs its arguments, one command a line, and succeeds."""
    log = tmp_path / "calls.txt"
    fake = tmp_path / "fakepython"
    fake.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\n')
    fake.chmod(0o755)
    return fake, log


def calls(log):
    return {line.split()[0]: line.split()[1:] for line in log.read_text().splitlines()}


def test_pretrained_passes_the_shipped_model_its_config_and_the_csv_scores(recorder):
    fake, log = recorder
    proc = batch("rec", "--pretrained", env={"PYTHON": str(fake)})
    assert proc.returncode == 0, proc.stderr
    c = calls(log)
    assert list(c) == ["convert.py", "extract_motives.py", "extract_motives_eval.py"]
    conv = c["convert.py"]
    assert conv[:3] == ["rec", "jku_input_audio.txt", "models/cqt_piano/config_cqt.ini"]
    assert "--self-sim-matrix" in conv
    assert conv[conv.index("--model") + 1] == "models/cqt_piano/model_complex_auto_cqt.save"
    ext = c["extract_motives.py"]
    assert ext[0] == "rec" and ext[ext.index("--csv") + 1] == "jku_csv_files.txt"
    assert "--method" not in ext                        # the extractor's default
    assert c["extract_motives_eval.py"] == ["rec"]
    for script, args in c.items():                      # every path named exists
        assert (ROOT / script).is_file()
        assert all((ROOT / a).exists() for a in args if "/" in a or a.endswith(".txt"))


def test_training_run_passes_config_and_method(recorder):
    fake, log = recorder
    proc = batch("rec", "config_cqt_quick.ini", "--method", "families",
                 env={"PYTHON": str(fake), "DEVICE": "cpu"})
    assert proc.returncode == 0, proc.stderr
    c = calls(log)
    assert list(c) == ["train.py", "convert.py", "extract_motives.py", "extract_motives_eval.py"]
    assert c["train.py"] == ["rec", "filelist_audio.txt", "config_cqt_quick.ini", "--device", "cpu"]
    assert c["convert.py"][2] == "config_cqt_quick.ini" and "--model" not in c["convert.py"]
    ext = c["extract_motives.py"]
    assert ext[ext.index("--method") + 1] == "families"
    log.unlink()
    assert batch("rec", "--method=nf14", "--pretrained",
                 env={"PYTHON": str(fake)}).returncode == 0
    ext = calls(log)["extract_motives.py"]
    assert ext[ext.index("--method") + 1] == "nf14"


def test_pretrained_name_picks_another_shipped_model(recorder):
    fake, log = recorder
    proc = batch("rec", "--pretrained=cqt_piano_n8", "--method", "families",
                 env={"PYTHON": str(fake)})
    assert proc.returncode == 0, proc.stderr
    conv = calls(log)["convert.py"]
    assert conv[2] == "models/cqt_piano_n8/config_cqt.ini"
    assert conv[conv.index("--model") + 1] == "models/cqt_piano_n8/model_complex_auto_cqt.save"
    assert all((ROOT / a).is_file() for a in conv if a.startswith("models/"))


@pytest.mark.parametrize("args, message", [
    (["rec", "config_cqt_quick.ini", "--pretrained"], "--pretrained uses the shipped model"),
    (["rec", "--pretrained=mnist"], "--pretrained=mnist: no CQT model in models/mnist/ (shipped: "
                                    "cqt_jku cqt_piano"),
    (["rec", "--pretrained="], "--pretrained= needs a model folder name"),
    (["rec", "a.ini", "b.ini"], "two configs given"),
    (["rec", "--method"], "--method needs a value"),
    (["rec", "--method="], "--method= needs a value"),       # it trained with the default
    (["rec", "--method", ""], "--method needs a value"),
    (["rec", "--pretrained", "--method", "famlies"], "--method famlies: not a method"),
    (["rec", "--fast"], "unknown option --fast"),
    (["--pretrained"], "the first argument is the run keyword"),
])
def test_run_batch_audio_refuses_what_it_would_ignore(recorder, args, message):
    fake, log = recorder
    proc = batch(*args, env={"PYTHON": str(fake)})
    assert proc.returncode == 2 and message in proc.stderr
    assert not log.exists()                              # nothing ran


def test_run_batch_audio_knows_every_method_of_extract_motives():
    from complex_auto.patterns import METHODS

    text = (ROOT / "run_batch_audio.sh").read_text()
    assert f'""|{"|".join(METHODS)})' in text


def test_run_batch_audio_without_python_on_path(recorder, tmp_path):
    # No activated environment and no $PYTHON: python3 from PATH; none at all: a clear error.
    fake, log = recorder
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "python3").symlink_to(fake)
    for tool in ("dirname", "sed", "sh", "bash"):
        path = subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True,
                              text=True).stdout.strip()
        (bindir / tool).symlink_to(path)
    env = {k: v for k, v in os.environ.items() if k != "PYTHON"}
    env["PATH"] = str(bindir)
    proc = subprocess.run([str(bindir / "bash"), str(ROOT / "run_batch_audio.sh"), "rec",
                           "--pretrained"], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert list(calls(log)) == ["convert.py", "extract_motives.py", "extract_motives_eval.py"]
    (bindir / "python3").unlink()
    proc = subprocess.run([str(bindir / "bash"), str(ROOT / "run_batch_audio.sh"), "rec",
                           "--pretrained"], env=env, capture_output=True, text=True)
    assert proc.returncode == 2 and "set PYTHON=" in proc.stderr


def test_run_batch_audio_expands_empty_arrays_the_bash_3_2_way():
    # bash < 4.4 stops on "${a[@]}" of an empty array under set -u (macOS ships bash 3.2):
    # every array expansion must be guarded as ${a[@]+"${a[@]}"}.
    import re

    text = (ROOT / "run_batch_audio.sh").read_text()
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    expansions = re.findall(r'\$\{(\w+)\[@\]', body)
    guarded = re.findall(r'\$\{(\w+)\[@\]\+"\$\{\1\[@\]\}"\}', body)
    assert expansions and len(expansions) == 2 * len(guarded), body


# The README's Quick Start, checked against the README: its table of nf14 runs gives the
# mean MIREX scores that `./run_batch_audio.sh RUN --pretrained` prints for the shipped model.
# A change to the CQT, the model, the matrix, the extractor or the scoring moves them; when a
# change is meant to, rerun the command and update the README (python bench/readme_numbers.py
# --only Results checks every table of it).
QUICK_START_MODEL = "models/cqt_piano/model_complex_auto_cqt.save"
QUICK_START_ROW = "| `./run_batch_audio.sh RUN --pretrained` (`models/cqt_piano`"
QUICK_START_MEASURES = ("Est_F", "Occ.75_F", "Occ.5_F", "ThreeLayer_F")   # the table's columns


def readme_quick_start_means():
    """The README's row for the Quick Start: {measure: value}."""
    rows = [line for line in (ROOT / "README.md").read_text().splitlines()
            if line.startswith(QUICK_START_ROW)]
    assert len(rows) == 1, "the README's table of nf14 runs has no Quick Start row"
    cells = [c.strip() for c in rows[0].strip("|").split("|")][1:]
    return dict(zip(QUICK_START_MEASURES, map(float, cells), strict=True))


def project_of_links(folder):
    """The project as links in ``folder``, where ``run_batch_audio.sh`` (which works in its
    own folder) writes ``output/`` and ``cache/``: not into the repository, where a run of
    the same name, or another suite run from the same checkout, would lose its files."""
    folder.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in ("output", "cache", ".git"):
            (folder / entry.name).symlink_to(entry)
    return folder


def test_quick_start_scores_of_the_shipped_model(tmp_path):
    text = (ROOT / "run_batch_audio.sh").read_text()
    assert f"PRETRAINED_MODEL={QUICK_START_MODEL}" in text, "the README's model is not shipped"
    claimed = readme_quick_start_means()
    project = project_of_links(tmp_path / "project")
    env = {**os.environ, "PYTHON": sys.executable, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([str(project / "run_batch_audio.sh"), "pytest_quick_start",
                           "--pretrained"], env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    run = project / "output" / "pytest_quick_start"
    rows = {r["piece"]: r for r in csv.DictReader((run / "results.csv").open())}
    assert not (ROOT / "output" / "pytest_quick_start").exists()
    assert sorted(rows) == ["mazurka24-4-poly", "mean", "silverswan-poly", "sonata01-3-poly",
                            "sonata04-2-poly", "wtc2f20-poly"]
    for k in claimed:                           # the mean row is the mean of the pieces
        pieces = [float(r[k]) for p, r in rows.items() if p != "mean"]
        assert float(rows["mean"][k]) == pytest.approx(np.mean(pieces), abs=1e-6)  # 6 decimals
    assert {k: round(float(rows["mean"][k]), 3) for k in claimed} == claimed
    assert "mean" in proc.stdout and "results: output/pytest_quick_start/results.csv" in proc.stdout
