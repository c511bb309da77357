"""Conversion to features and self-similarity matrices (``convert.py``)."""
import json
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from complex_auto.config import load_config
from complex_auto.cqt_pairs import CQTPairs
from complex_auto.features import conversion_cqt, encode_spec, n_windows, window_batch
from complex_auto.layout import RunLayout
from complex_auto.selfsim import self_similarity
from complex_auto.training import build_model
from complex_auto.utils import load_pyc_bz

from .conftest import TINY, run_script, write_config, write_filelist


def save_random_model(cfg, path, seed=0):
    torch.manual_seed(seed)
    model = build_model(cfg, cfg["n_bins"] * cfg["length_ngram"])
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), path)
    return model.eval()


def test_training_window_and_conversion_window_agree():
    g = np.random.default_rng(0)
    spec = g.standard_normal((12, 60)).astype(np.float32)
    cfg = dict(length_ngram=8, shifts=[3, 5], scales=[0, 0], transform=[1], emph_onset=0,
               n_bins=12)
    pairs = CQTPairs([spec * 10], cfg)       # training multiplies the CQT by 10
    draws = pairs.draw(g, 40)
    x, _ = pairs.build(draws)                 # x is the untransformed n-gram
    conv = window_batch(spec, draws.start, 8)  # conversion: factor 1, unit variance
    np.testing.assert_allclose(x * 10, conv, atol=1e-5)
    legacy = window_batch(spec, draws.start, 8, legacy_layout=True)
    assert not np.allclose(legacy, conv)
    np.testing.assert_allclose(np.sort(legacy, axis=1), np.sort(conv, axis=1), atol=1e-6)
    # legacy is frame-major: element (frame t, bin b) at t * n_bins + b
    np.testing.assert_allclose(legacy[0].reshape(8, 12).T, conv[0].reshape(12, 8), atol=1e-6)


def test_window_count_and_chunking_do_not_change_features():
    g = np.random.default_rng(1)
    spec = g.standard_normal((12, 100)).astype(np.float32)
    model = build_model(dict(n_bases=5, dropout=0.5, learn_norm=False), 96)
    a1, p1 = encode_spec(model, spec, 8, chunk=7)
    a2, p2 = encode_spec(model, spec, 8, chunk=1000)
    assert a1.shape == (n_windows(100, 8), 5) == (92, 5)
    np.testing.assert_allclose(a1, a2, atol=1e-5)
    np.testing.assert_allclose(p1, p2, atol=1e-5)
    a3, _ = encode_spec(model, spec, 8, step=4)
    np.testing.assert_allclose(a3, a1[::4], atol=1e-5)


def test_self_similarity_properties():
    feats = np.abs(np.random.default_rng(2).standard_normal((50, 6)))
    m = self_similarity(feats)
    assert m.shape == (59, 59)
    np.testing.assert_allclose(m, m.T, atol=1e-12)
    assert m.min() == 0 and m.max() == pytest.approx(1.0)
    i = np.arange(59)
    assert (m[np.abs(i[:, None] - i[None, :]) <= 8] == 0).all()
    assert (m[np.abs(i[:, None] - i[None, :]) == 9] > 0).any()


def test_self_similarity_sees_repetition():
    g = np.random.default_rng(3)
    a = np.abs(g.standard_normal((30, 8)))
    feats = np.vstack([a, np.abs(g.standard_normal((20, 8))), a])   # a repeats at +50
    m = self_similarity(feats)
    lag50 = np.mean([m[t, t + 50] for t in range(5, 25)])
    other = np.mean([m[t, t + 20] for t in range(5, 25)])
    assert lag50 > 3 * other


def test_features_of_a_recording_shifted_by_whole_frames(short_wavs):
    cfg = load_config(write_config(short_wavs[0].parent / "c.ini", n_bases=16))
    y, sr = sf.read(short_wavs[0], dtype="float32")
    k = 7
    shifted = short_wavs[0].parent / "shifted.wav"
    sf.write(shifted, np.concatenate([np.zeros(k * cfg["hop_length"], np.float32), y]), sr)
    model = build_model(cfg, 3840).eval()
    a, _ = encode_spec(model, conversion_cqt(short_wavs[0], cfg), 32)
    b, _ = encode_spec(model, conversion_cqt(shifted, cfg), 32)
    assert len(b) == len(a) + k
    inner = slice(3, len(a) - 3)        # away from the edges of the recording
    np.testing.assert_allclose(b[k:][inner], a[inner], rtol=2e-3, atol=2e-3)


def test_convert_py_writes_features_matrices_and_list(in_tmp, short_wavs, tiny_config, capsys):
    cfg = load_config(tiny_config)
    layout = RunLayout("conv")
    model = save_random_model(cfg, layout.model("cqt"))
    flist = write_filelist(in_tmp / "list.txt", short_wavs)
    code, err = run_script("convert.py", "conv", flist, tiny_config, "--self-sim-matrix",
                           "-j", "2", capsys=capsys)
    assert code == 0, err
    listed = layout.matrix_list.read_text().split()
    assert sorted(listed) == sorted(str(layout.matrix(w.name)) for w in short_wavs)
    assert sorted(p.name for p in layout.dir.glob("*.npy")) == sorted(
        f"{w.name}.npy" for w in short_wavs)
    for w in short_wavs:
        feats = load_pyc_bz(layout.features(w.name))
        spec = conversion_cqt(w, cfg)
        assert feats.shape == (2, n_windows(spec.shape[1], 8), 8)
        amp, phase = encode_spec(model, spec, 8)
        np.testing.assert_allclose(feats[0], amp, atol=1e-4)
        np.testing.assert_allclose(feats[1], phase, atol=1e-3)
        m = np.load(layout.matrix(w.name))
        assert m.shape == (feats.shape[1] + 9,) * 2
        np.testing.assert_allclose(m, self_similarity(feats[0]), atol=1e-9)
        assert layout.matrix_image(w.name).stat().st_size > 100


def test_in_process_path_writes_what_the_workers_write(in_tmp, short_wavs, tiny_config):
    """A device other than plain 'cpu' (CUDA) encodes here and writes in threads; its files
    must be those of the worker processes. torch.device('cpu', 0) takes that path on a CPU."""
    from complex_auto.convert import convert_files

    cfg = load_config(tiny_config)
    model = save_random_model(cfg, in_tmp / "m.save")
    runs = {}
    for name, device in (("workers", "cpu"), ("inprocess", torch.device("cpu", 0))):
        runs[name] = RunLayout(name).make()
        written = convert_files(model, list(short_wavs), cfg, runs[name], self_sim=True,
                                device=device, jobs=2)
        assert sorted(p.name for p in written) == sorted(
            runs[name].features(w.name).name for w in short_wavs)
    for w in short_wavs:
        a, b = (load_pyc_bz(runs[k].features(w.name)) for k in ("workers", "inprocess"))
        np.testing.assert_allclose(a[0], b[0], atol=1e-4)    # more threads, other rounding
        np.testing.assert_allclose(a[1], b[1], atol=1e-3)
        a, b = (np.load(runs[k].matrix(w.name)) for k in ("workers", "inprocess"))
        np.testing.assert_allclose(a, b, atol=1e-6)
        assert runs["inprocess"].matrix_image(w.name).stat().st_size > 100
    assert (runs["inprocess"].matrix_list.read_text().split()
            == [str(runs["inprocess"].matrix(w.name)) for w in short_wavs])


def test_a_conversion_in_this_process_keeps_the_callers_torch_threads(in_tmp, short_wavs,
                                                                      tiny_config):
    # -j 1 (or a single file) converts here, and the workers' one thread a process was set
    # on the caller: --threads was ignored, and a notebook's torch left at one thread
    from complex_auto.convert import convert_files

    cfg = load_config(tiny_config)
    model = save_random_model(cfg, in_tmp / "m.save")
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        convert_files(model, list(short_wavs[:1]), cfg, RunLayout("one").make(), jobs=1)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_convert_py_with_model_path_creates_run_folder(in_tmp, short_wavs, tiny_config, capsys):
    cfg = load_config(tiny_config)
    save_random_model(cfg, in_tmp / "m.save")
    flist = write_filelist(in_tmp / "list.txt", short_wavs[:1])
    code, err = run_script("convert.py", "fresh", flist, tiny_config, "--model", "m.save",
                           "--step-size", "2", "-j", "1", capsys=capsys)
    assert code == 0, err
    feats = load_pyc_bz(RunLayout("fresh").features(short_wavs[0].name))
    assert feats.shape[2] == 8
    assert not RunLayout("fresh").matrix_list.exists()
    # a conversion without matrices after one with them: the old matrix list went on naming
    # matrices that conversion.json no longer lists, and extract_motives.py read them
    flist = write_filelist(in_tmp / "both.txt", short_wavs[:2])
    code, err = run_script("convert.py", "fresh", flist, tiny_config, "--model", "m.save",
                           "--self-sim-matrix", "-j", "1", capsys=capsys)
    assert code == 0 and RunLayout("fresh").matrix_list.exists(), err
    one = write_filelist(in_tmp / "one.txt", short_wavs[1:2])
    code, err = run_script("convert.py", "fresh", one, tiny_config, "--model", "m.save", "-j", "1",
                           capsys=capsys)
    assert code == 0, err
    assert not RunLayout("fresh").matrix_list.exists()
    assert "ss_matrices_filelist.txt, the matrices of an earlier conversion" in err
    code, err = run_script("extract_motives.py", "fresh", "--bpm", "120", capsys=capsys)
    assert code == 1 and "ss_matrices_filelist.txt" in err, err


def check_error(code, err, *needles):
    assert code == 1 and "Traceback" not in err
    line = [x for x in err.splitlines() if x.startswith("error:")]
    assert len(line) == 1, err
    for n in needles:
        assert n in line[0], line[0]


def test_no_model(in_tmp, short_wavs, tiny_config, capsys):
    flist = write_filelist(in_tmp / "list.txt", short_wavs[:1])
    code, err = run_script("convert.py", "none", flist, tiny_config, capsys=capsys)
    check_error(code, err, "output/none/model_complex_auto_cqt.save", "python train.py none")
    # a --model that is not there: it told the user to pass --model
    code, err = run_script("convert.py", "none", flist, tiny_config, "--model", "gone.save",
                           capsys=capsys)
    check_error(code, err, "--model gone.save: no such model file")
    assert "pass --model" not in err
    # features without a model ignored --model in silence
    code, err = run_script("convert.py", "none", flist, tiny_config, "--model", "gone.save",
                           "--features", "chroma", "-j", "1", capsys=capsys)
    assert code == 0 and "--model: no effect with --features chroma" in err, err


def test_model_that_does_not_fit(in_tmp, short_wavs, tiny_config, capsys):
    cfg = load_config(tiny_config)
    save_random_model(dict(cfg, n_bases=6), RunLayout("r").model("cqt"))
    flist = write_filelist(in_tmp / "list.txt", short_wavs[:1])
    code, err = run_script("convert.py", "r", flist, tiny_config, capsys=capsys)
    check_error(code, err, "does not fit", "n_bases 6 in the model, 8 in the config")


def test_missing_filelist_or_a_folder_listed(in_tmp, tiny_config, capsys):
    save_random_model(load_config(tiny_config), RunLayout("r").model("cqt"))
    code, err = run_script("convert.py", "r", "nope.txt", tiny_config, capsys=capsys)
    check_error(code, err, "nope.txt", "does not exist")
    (in_tmp / "song.wav").mkdir()         # it exists: "does not exist" misled
    flist = write_filelist(in_tmp / "list.txt", ["song.wav"])
    code, err = run_script("convert.py", "r", flist, tiny_config, capsys=capsys)
    check_error(code, err, "list.txt, line 1", "'song.wav' is a folder, not a file")
    code, err = run_script("convert.py", "r", "song.wav", tiny_config, capsys=capsys)
    check_error(code, err, "song.wav: is a folder, not a file list")      # not 'does not exist'


def test_short_recordings_skipped_then_error(in_tmp, short_wavs, tiny_config, capsys):
    save_random_model(load_config(tiny_config), RunLayout("r").model("cqt"))
    sf.write(in_tmp / "tiny.wav", np.random.default_rng(0).standard_normal(3000) * 0.1, 22050)
    flist = write_filelist(in_tmp / "list.txt", [short_wavs[0], in_tmp / "tiny.wav"])
    code, err = run_script("convert.py", "r", flist, tiny_config, "-j", "1", capsys=capsys)
    assert code == 0 and "skipping" in err and "tiny.wav" in err
    assert "1 feature file in output/r/" in err                 # one, not "1 feature files"
    # recorded as listed but too short, apart from the files converted
    info = json.loads(RunLayout("r").conversion_info.read_text())
    assert [r["piece"] for r in info["files"]] == [short_wavs[0].name.split(".")[0]]
    assert info["too_short"] == [str(in_tmp / "tiny.wav")]
    flist = write_filelist(in_tmp / "list2.txt", [in_tmp / "tiny.wav"])
    code, err = run_script("convert.py", "r", flist, tiny_config, "-j", "1", capsys=capsys)
    check_error(code, err, "no recording is longer than one window (8 frames = 0.7 s): tiny.wav")


def test_empty_recording_is_one_line(in_tmp, short_wavs, tiny_config, capsys):
    save_random_model(load_config(tiny_config), RunLayout("r").model("cqt"))
    sf.write(in_tmp / "empty.wav", np.zeros(0), 22050)
    flist = write_filelist(in_tmp / "list.txt", [short_wavs[0], in_tmp / "empty.wav"])
    code, err = run_script("convert.py", "r", flist, tiny_config, "-j", "1", capsys=capsys)
    check_error(code, err, "empty.wav", "holds no samples")
    assert "Traceback" not in err


def test_files_that_would_write_the_same_outputs_are_refused(in_tmp, short_wavs, tiny_config,
                                                             capsys):
    # a/x.wav and b/x.wav both wrote output/RUN/x.wav_repres.pyc.bz: the second silently
    # replaced the first, and the matrix list named the same file twice
    save_random_model(load_config(tiny_config), in_tmp / "m.save")
    for d, src in (("a", short_wavs[0]), ("b", short_wavs[1])):
        (in_tmp / d).mkdir()
        (in_tmp / d / "x.wav").write_bytes(src.read_bytes())
    sf.write(in_tmp / "a" / "x.flac", *sf.read(short_wavs[1]))

    def convert(files, *flags):
        flist = write_filelist(in_tmp / "list.txt", files)
        return run_script("convert.py", "r", flist, tiny_config, "--model", "m.save", "-j",
                          "1", *flags, capsys=capsys)

    code, err = convert(["a/x.wav", "b/x.wav"], "--self-sim-matrix")
    check_error(code, err, "list.txt, line 2", "'b/x.wav' has the file name of line 1",
                "'a/x.wav'", "overwrite")
    code, err = convert(["a/x.wav", "a/../a/x.wav"])
    check_error(code, err, "line 2", "is listed again (line 1)")
    (in_tmp / "b" / "X.wav").write_bytes(short_wavs[1].read_bytes())
    code, err = convert(["a/x.wav", "b/X.wav"])      # one file on macOS and Windows
    check_error(code, err, "line 2", "'b/X.wav' has the file name of line 1 ('a/x.wav') but "
                "for case")
    code, err = convert(["a/x.wav", "a/x.flac"], "--self-sim-matrix")
    check_error(code, err, "line 2", "'a/x.flac' is piece 'x' again (line 1", "by piece")
    assert not (in_tmp / "output").exists()
    # without matrices the piece does not matter: features only, named by file name
    code, err = convert(["a/x.wav", "a/x.flac"])
    assert code == 0, err
    assert {p.name for p in (in_tmp / "output" / "r").glob("*_repres.pyc.bz")} == {
        "x.wav_repres.pyc.bz", "x.flac_repres.pyc.bz"}


def test_done_outputs_of_another_recording_of_one_name_are_not_kept(in_tmp, short_wavs,
                                                                     tiny_config, capsys):
    # a second list naming b/x.wav skipped it as "already converted": a/x.wav's features and
    # matrix stood for it, and conversion.json said they came from b/x.wav
    import json
    import os

    save_random_model(load_config(tiny_config), in_tmp / "m.save")
    for d, src in (("a", short_wavs[0]), ("b", short_wavs[1])):
        (in_tmp / d).mkdir()
        (in_tmp / d / "x.wav").write_bytes(src.read_bytes())
    run = in_tmp / "output" / "r"

    def convert(name):
        flist = write_filelist(in_tmp / "list.txt", [f"{name}/x.wav"])
        code, err = run_script("convert.py", "r", flist, tiny_config, "--model", "m.save",
                               "--self-sim-matrix", "-j", "1", capsys=capsys)
        assert code == 0, err
        return err, load_pyc_bz(run / "x.wav_repres.pyc.bz")

    _, of_a = convert("a")
    err, of_b = convert("b")
    assert "already converted" not in err and of_b.shape != of_a.shape   # 10 s, not 12 s
    assert "was made from another recording of the same name" in err, err
    info = json.loads((run / "conversion.json").read_text())
    assert info["files"][0]["audio"] == "b/x.wav"
    # the weights that made them, by the digest of their values (as a training record keeps)
    from complex_auto.runinfo import weights_sha256

    assert info["weights_sha256"] == weights_sha256(torch.load(in_tmp / "m.save"))
    err, _ = convert("b")
    assert "1 of 1 files already converted" in err                       # the same: kept
    later = (run / "x.wav.npy").stat().st_mtime + 10     # the recording edited since
    os.utime(in_tmp / "b" / "x.wav", (later, later))
    err, _ = convert("b")
    assert "already converted" not in err


def test_a_project_moved_elsewhere_keeps_its_outputs(tmp_path, monkeypatch, short_wavs,
                                                     capsys):
    # Records held absolute paths: a project copied to another place (another disk, a
    # cluster node that mounts it elsewhere) converted every file again, saying its
    # recordings were "other recordings of the same names".
    import json
    import shutil

    first = tmp_path / "first"
    (first / "audio").mkdir(parents=True)
    shutil.copy2(short_wavs[0], first / "audio" / "x.wav")
    config = write_config(first / "tiny.ini", cache_dir="cache", **TINY)
    save_random_model(load_config(config), first / "m.save")
    write_filelist(first / "list.txt", ["audio/x.wav"])

    def convert(project):
        monkeypatch.chdir(project)
        code, err = run_script("convert.py", "r", "list.txt", "tiny.ini", "--model", "m.save",
                               "--self-sim-matrix", "-j", "1", capsys=capsys)
        assert code == 0, err
        return err

    assert "already converted" not in convert(first)
    record = first / "output" / "r" / ".converted" / "x.wav.json"
    kept = json.loads(record.read_text())
    assert (kept["audio"], kept["model"], kept["config"]) == ("audio/x.wav", "m.save", "tiny.ini")
    moved = tmp_path / "moved"
    shutil.copytree(first, moved)                      # times kept, as mv, cp -a or rsync -a
    err = convert(moved)
    assert "1 of 1 files already converted" in err and "other recording" not in err, err
    # a record written by an earlier version (absolute paths) is still this file's
    record = moved / "output" / "r" / ".converted" / "x.wav.json"
    record.write_text(json.dumps(dict(kept, **{k: str(moved / kept[k])
                                               for k in ("audio", "model", "config")})))
    assert "1 of 1 files already converted" in convert(moved)
    # ... and one of the first place names other files: those are converted again
    record.write_text(json.dumps(dict(kept, audio=str(first / "audio" / "x.wav"))))
    err = convert(moved)
    assert "already converted" not in err and "another recording of the same name" in err, err


def test_a_killed_command_resumes_but_other_settings_redo_its_outputs(in_tmp, short_wavs,
                                                                      tiny_config, capsys):
    # A command killed before its lists left no conversion.json; run again with another
    # --step-size (or --features), it kept the files the killed one had finished as "already
    # converted", and the new conversion.json said they were made with the new settings.
    save_random_model(load_config(tiny_config), in_tmp / "m.save")
    flist = write_filelist(in_tmp / "list.txt", short_wavs[:2])
    layout = RunLayout("r")

    def convert(*args):
        code, err = run_script("convert.py", "r", flist, tiny_config, "--model", "m.save",
                               "--self-sim-matrix", "-j", "1", *args, capsys=capsys)
        assert code == 0, err
        return err, load_pyc_bz(layout.features(short_wavs[0].name))

    _, step1 = convert()
    layout.conversion_info.unlink()                   # killed before writing its lists
    err, _ = convert()
    assert "2 of 2 files already converted" in err    # the same command resumes
    layout.conversion_info.unlink()
    err, step2 = convert("--step-size", "2")
    assert "already converted" not in err and "were made with other settings" in err, err
    assert step2.shape[1] == (step1.shape[1] + 1) // 2
    err, chroma = convert("--features", "chroma")
    assert "already converted" not in err and chroma.shape[0] == 1
    # a record that is not one, as a killed writer cannot leave (it renames a whole file)
    layout.conversion_record(short_wavs[0].name).write_text("[1, 2]")
    err, _ = convert("--features", "chroma")
    assert "1 of 2 files already converted" in err and "unreadable record" in err


def test_samples_that_are_not_finite_are_one_line(in_tmp, short_wavs, tiny_config, capsys):
    save_random_model(load_config(tiny_config), RunLayout("r").model("cqt"))
    y, sr = sf.read(short_wavs[0], dtype="float32")
    y[int(7.5 * sr)] = np.inf                      # a float file can hold it; librosa raised
    sf.write(in_tmp / "inf.wav", y, sr, subtype="FLOAT")
    flist = write_filelist(in_tmp / "list.txt", [in_tmp / "inf.wav"])
    code, err = run_script("convert.py", "r", flist, tiny_config, "-j", "1", capsys=capsys)
    check_error(code, err, "inf.wav", "not finite (NaN or infinite), the first at 7.50 s")


def test_tempo_column_is_passed_to_the_matrix_list(in_tmp, short_wavs, tiny_config, capsys):
    save_random_model(load_config(tiny_config), RunLayout("r").model("cqt"))
    (in_tmp / "list.txt").write_text(f"{short_wavs[0]}\t96\n{short_wavs[1]}\n")
    code, err = run_script("convert.py", "r", "list.txt", tiny_config, "--self-sim-matrix",
                           "-j", "1", capsys=capsys)
    assert code == 0, err
    lines = RunLayout("r").matrix_list.read_text().splitlines()
    assert lines[0].endswith("\t96") and "\t" not in lines[1]
    (in_tmp / "bad.txt").write_text(f"{short_wavs[0]}\tfast\n")
    code, err = run_script("convert.py", "r", "bad.txt", tiny_config, capsys=capsys)
    check_error(code, err, "bad.txt, line 1", "tempo 'fast' is not a number")


def test_records_name_the_code_that_wrote_them(tmp_path, monkeypatch):
    """conversion.json and extraction.json held no trace of which code made a run's features
    and patterns: a result could not be traced back to a commit."""
    import json
    import os
    import subprocess
    import time

    import complex_auto
    from complex_auto import patterns
    from complex_auto.patterns import extract_run
    from complex_auto.runinfo import provenance, write_conversion_info

    from .conftest import ROOT
    from .test_patterns import make_run

    def git(*args, at=ROOT):
        return subprocess.run(["git", "-C", str(at), *args], capture_output=True,
                              text=True).stdout.strip()

    # the commit of this checkout when the repository is its own (not vendored in another)
    own = git("rev-parse", "--show-toplevel") and Path(
        git("rev-parse", "--show-toplevel")).resolve() == ROOT.resolve()
    here = provenance()
    assert here["version"] == complex_auto.__version__
    assert here["commit"] == (git("rev-parse", "HEAD") if own else None)
    assert isinstance(here["modified"], bool) == bool(own)
    if own:
        assert here["modified"] == bool(git("status", "--porcelain", "--untracked-files=no"))
    nothing = {"version": complex_auto.__version__, "commit": None, "modified": None}
    assert provenance(tmp_path) == nothing                               # no checkout
    project = tmp_path / "project"
    git("init", "-q", str(project), at=tmp_path)
    git("-c", "user.name=u", "-c", "user.email=u@x", "commit", "-q", "--allow-empty", "-m", "a",
        at=project)
    (project / "site-packages").mkdir()
    assert git("rev-parse", "HEAD", at=project)                         # a commit to take
    # whether the code differs from its commit: a tracked file edited, not an untracked one
    (project / "code.py").write_text("a = 1\n")
    git("add", "code.py", at=project)
    git("-c", "user.name=u", "-c", "user.email=u@x", "commit", "-q", "-m", "b", at=project)
    (project / "new.py").write_text("")
    assert provenance(project)["modified"] is False
    (project / "code.py").write_text("a = 2\n")
    provenance.cache_clear()        # asked once a process; the edit is a new process's
    assert provenance(project) == {"version": complex_auto.__version__, "modified": True,
                                   "commit": git("rev-parse", "HEAD", at=project)}
    assert provenance(project / "site-packages") == nothing             # another's checkout
    path = tmp_path / "conversion.json"
    write_conversion_info(path, dict(sr=22050, hop_length=1984, length_ngram=32), 1, [])
    assert json.loads(path.read_text())["toolkit"] == here
    layout = make_run(tmp_path, ["a.wav"])
    extract_run("r", csv_list="none", bpm=200, root=tmp_path, plot=False)
    assert json.loads(layout.extraction_info.read_text())["toolkit"] == here
    # not a setting: the next run, by other code, still keeps the piece's outputs
    now = time.time()
    for f in layout.dir.rglob("*"):            # the matrix older than what was made of it
        age = 200 if f == layout.matrix("a.wav") else 100
        os.utime(f, (now - age, now - age))
    stamp = layout.segraw("a").stat().st_mtime_ns
    other = {"version": "9", "commit": "0" * 40, "modified": False}
    monkeypatch.setattr(patterns, "provenance", lambda: other)
    extract_run("r", csv_list="none", bpm=200, root=tmp_path, plot=False, overwrite=False)
    assert layout.segraw("a").stat().st_mtime_ns == stamp
    assert json.loads(layout.extraction_info.read_text())["toolkit"] == other


def test_conversion_record_round_trips_and_a_frame_without_duration_is_refused(tmp_path):
    import json

    from complex_auto.errors import DataError
    from complex_auto.runinfo import read_conversion_info, write_conversion_info

    path = tmp_path / "conversion.json"
    assert read_conversion_info(path) is None                 # an older run without one
    files = [{"piece": "x", "audio": "x.wav", "features": "x.pyc.bz", "matrix": None,
              "bpm": None}]
    write_conversion_info(path, dict(sr=22050, hop_length=1984, length_ngram=32), 2, files,
                          features="cae")
    info = read_conversion_info(path)
    assert info["frame_seconds"] == pytest.approx(2 * 1984 / 22050) and info["step"] == 2
    assert info["files"] == files and info["features"] == "cae"
    # a frame of 0 s would put every pattern at time 0
    for seconds in (0, -0.09):
        path.write_text(json.dumps(dict(info, frame_seconds=seconds)))
        with pytest.raises(DataError, match="frame_seconds must be positive"):
            read_conversion_info(path)
    path.write_text('{"files": []}')
    with pytest.raises(DataError, match="not a conversion record"):
        read_conversion_info(path)
    # edited by hand: a string was a TypeError's traceback, NaN a frame of no length
    for seconds in ("0.09", True):
        path.write_text(json.dumps(dict(info, frame_seconds=seconds)))
        with pytest.raises(DataError, match="not a conversion record"):
            read_conversion_info(path)
    for seconds in (float("nan"), float("inf")):
        path.write_text(json.dumps(dict(info, frame_seconds=seconds)))
        with pytest.raises(DataError, match="frame_seconds must be positive"):
            read_conversion_info(path)
    # a step of 0 divided by zero, "2" was int()'s ValueError: tracebacks both
    for key, value in (("step", 0), ("step", "2"), ("length_ngram", 2.5)):
        path.write_text(json.dumps(dict(info, **{key: value})))
        with pytest.raises(DataError, match=f"{key} must be a positive whole number, not "
                                            f"{re.escape(repr(value))}"):
            read_conversion_info(path)


def test_recorded_relative_paths_are_found_beside_output_from_anywhere(tmp_path, monkeypatch):
    from complex_auto.runinfo import recorded_path

    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    (project / "data" / "x.wav").write_text("")
    layout = RunLayout("run", root=project / "output")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert recorded_path("data/x.wav", layout) == project / "data" / "x.wav"
    assert recorded_path(project / "data" / "x.wav", layout) == project / "data" / "x.wav"
    assert recorded_path("data/gone.wav", layout) == Path("data/gone.wav")    # named as given
    # a nested run (compare.py's RUN/KIND/METHOD) is two folders deeper, output/ is not
    monkeypatch.chdir(elsewhere)
    nested = RunLayout("run/chroma/families", root=project / "output")
    assert recorded_path("data/x.wav", nested) == project / "data" / "x.wav"
    monkeypatch.chdir(project)
    assert recorded_path("data/x.wav", layout) == Path("data/x.wav")          # found as given


def test_step_size_is_recorded_and_extraction_times_frames_by_it(in_tmp, capsys):
    # convert.py --step-size 2 halves the matrix rows; the extractor must then take each row as
    # 2 hops (conversion.json), or every pattern lands at half its time (Est_F fell to .415).
    import csv as csv_module
    import json

    from complex_auto.patterns import extract_run

    from .conftest import JKU_AUDIO, ROOT

    piece = JKU_AUDIO / "silverswan-poly.mp3"
    flist = write_filelist(in_tmp / "list.txt", [piece])
    config = ROOT / "models" / "cqt_jku" / "config_cqt.ini"
    model = ROOT / "models" / "cqt_jku" / "model_complex_auto_cqt.save"
    starts = {}
    for step in (1, 2):
        run = f"step{step}"
        code, err = run_script("convert.py", run, flist, config, "--model", model,
                               "--self-sim-matrix", "--step-size", step, "-j", "1",
                               capsys=capsys)
        assert code == 0, err
        layout = RunLayout(run)
        info = json.loads(layout.conversion_info.read_text())
        assert info["step"] == step and info["hop_length"] == 1984 and info["sr"] == 22050
        assert info["frame_seconds"] == pytest.approx(1984 * step / 22050)
        rows = np.load(layout.matrix(piece.name), mmap_mode="r").shape[0]
        assert rows == len(range(0, 1089 - 32, step)) + 9        # 1089 CQT frames
        extract_run(run, csv_list="none", plot=False)
        with open(layout.patterns_csv("silverswan-poly")) as f:
            table = list(csv_module.DictReader(f))
        segraw = layout.segraw("silverswan-poly").read_text().splitlines()
        first_span = [int(v) for v in segraw[2].split(",")]
        assert float(table[0]["start_s"]) == pytest.approx(first_span[0] * 1984 * step / 22050,
                                                           abs=1e-3)
        starts[step] = float(table[0]["start_s"])
    # The same first pattern is found at the same time, whatever the step (one step apart).
    assert starts[2] == pytest.approx(starts[1], abs=0.5)


def test_focus_keeps_the_central_frames_of_every_window():
    g = np.random.default_rng(2)
    spec = g.standard_normal((12, 60)).astype(np.float32)
    starts = np.arange(0, 40, 3)
    whole = window_batch(spec, starts, 8)

    def by_frame(x, legacy):
        return (x.reshape(len(starts), 8, 12) if legacy
                else x.reshape(len(starts), 12, 8).transpose(0, 2, 1))

    for legacy in (False, True):
        frames = by_frame(window_batch(spec, starts, 8, legacy_layout=legacy, focus=4), legacy)
        assert not frames[:, [0, 1, 6, 7]].any()           # frames 2..5 are the centre
        ref = by_frame(window_batch(spec, starts, 8, legacy_layout=legacy), legacy)
        np.testing.assert_array_equal(frames[:, 2:6], ref[:, 2:6])
    assert np.array_equal(window_batch(spec, starts, 8, focus=8), whole)
    # an odd number of frames left out: the extra one at the end, as documented (the window's
    # centre, between frames 3 and 4 of 8, then lies in the kept frames 2..4)
    from complex_auto.features import focus_mask
    assert focus_mask(8, 3).tolist() == [0, 0, 1, 1, 1, 0, 0, 0]
    assert focus_mask(7, 2).tolist() == [0, 0, 1, 1, 0, 0, 0]
    model = build_model(dict(n_bases=5, dropout=0.5, learn_norm=False), 96)
    a, _ = encode_spec(model, spec, 8)
    model.eval()                       # as encoding does, which leaves the model as it was
    with torch.no_grad():
        expected = model.encode(torch.from_numpy(window_batch(spec, np.arange(52), 8,
                                                              focus=3)))[0].numpy()
    from complex_auto.features import encode_features

    focused = encode_features(model, spec, 8, focus=3, chunk=7)[0]
    np.testing.assert_allclose(focused, expected, atol=1e-5)
    assert not np.allclose(focused, a, atol=1e-3)


def test_convert_py_focus_frames_recorded_redone_and_checked(in_tmp, short_wavs, tiny_config,
                                                              capsys):
    import json

    cfg = load_config(tiny_config)
    model = save_random_model(cfg, in_tmp / "m.save")
    flist = write_filelist(in_tmp / "list.txt", short_wavs[:1])
    args = ("convert.py", "foc", flist, tiny_config, "--model", "m.save", "-j", "1")
    code, err = run_script(*args, "--focus-frames", "4", capsys=capsys)
    assert code == 0, err
    layout = RunLayout("foc")
    assert json.loads(layout.conversion_info.read_text())["focus_frames"] == 4
    feats = load_pyc_bz(layout.features(short_wavs[0].name))
    from complex_auto.features import encode_features

    spec = conversion_cqt(short_wavs[0], cfg)
    np.testing.assert_allclose(feats[0], encode_features(model, spec, 8, focus=4)[0], atol=1e-4)
    # the same command without the focus must not keep the focused features
    code, err = run_script(*args, capsys=capsys)
    assert code == 0 and "made with other settings" in err, err
    assert "focus_frames" not in json.loads(layout.conversion_info.read_text())
    np.testing.assert_allclose(load_pyc_bz(layout.features(short_wavs[0].name))[0],
                               encode_spec(model, spec, 8)[0], atol=1e-4)
    check_error(*run_script(*args, "--focus-frames", "9", capsys=capsys),
                "--focus-frames 9: must be 1..8")
    check_error(*run_script(*args, "--focus-frames", "4", "--features", "chroma", capsys=capsys),
                "--focus-frames: only for --features cae")


def test_counted():
    from complex_auto.utils import counted

    assert [counted(n, "piece") for n in (0, 1, 2)] == ["0 pieces", "1 piece", "2 pieces"]
    assert counted(1, "feature file") == "1 feature file"
    assert counted(3, "family", "families") == "3 families"


@pytest.mark.parametrize("run", ["", ".", " ", "..", "../elsewhere", "a/../..", "/tmp/abs"])
def test_a_run_keyword_outside_output_is_refused(run, in_tmp, short_wavs, tiny_config, capsys):
    # '' converted into output/ itself, among the runs, and '../x' wrote beside output/
    from complex_auto.errors import DataError

    with pytest.raises(DataError, match="must name a folder inside output/"):
        RunLayout(run)
    save_random_model(load_config(tiny_config), in_tmp / "m.save")
    flist = write_filelist(in_tmp / "list.txt", short_wavs[:1])
    code, err = run_script("convert.py", run, flist, tiny_config, "--model", "m.save",
                           capsys=capsys)
    check_error(code, err, f"run keyword '{run}'")
    assert not (in_tmp / "output").exists() and not (in_tmp.parent / "elsewhere").exists()
    assert RunLayout("a/b").dir.parts == ("output", "a", "b")      # nested runs stay allowed


def test_lists_and_configs_with_a_byte_order_mark_or_not_in_utf8(in_tmp, short_wavs, tiny_config,
                                                                  capsys):
    # a list saved with a byte-order mark named a file '\ufeffa.wav' that "does not exist";
    # a Latin-1 list or config was UnicodeDecodeError's traceback
    save_random_model(load_config(tiny_config), in_tmp / "m.save")
    marked = in_tmp / "marked.txt"
    marked.write_bytes(b"\xef\xbb\xbf" + f"{short_wavs[0]}\r\n{short_wavs[1]}\r\n".encode())
    config = in_tmp / "marked.ini"
    config.write_bytes(b"\xef\xbb\xbf" + tiny_config.read_bytes())
    code, err = run_script("convert.py", "r", marked, config, "--model", "m.save", "-j", "1",
                           capsys=capsys)
    assert code == 0, err
    assert len(list((in_tmp / "output" / "r").glob("*_repres.pyc.bz"))) == 2
    latin = in_tmp / "latin.txt"
    latin.write_bytes(f"{short_wavs[0]}\n".encode() + b"caf\xe9.wav\n")
    check_error(*run_script("convert.py", "r", latin, tiny_config, "--model", "m.save",
                            capsys=capsys), f"{latin}, line 2: not UTF-8 text (byte 0xe9)")
    config.write_bytes(tiny_config.read_bytes() + b"# caf\xe9\n")
    check_error(*run_script("convert.py", "r", marked, config, "--model", "m.save",
                            capsys=capsys), f"{config}, line ", "not UTF-8 text (byte 0xe9)")


def test_a_model_fed_other_input_settings_than_it_was_trained_with_is_named(in_tmp, short_wavs,
                                                                           tiny_config, capsys):
    # the shipped model with a config of another sample rate or lowest frequency (same
    # window shape) converted without a word, into features that mean something else
    cfg = load_config(tiny_config)
    (in_tmp / "m").mkdir()
    save_random_model(cfg, in_tmp / "m" / "model.save")
    (in_tmp / "m" / "config_cqt.ini").write_bytes(tiny_config.read_bytes())   # as trained
    flist = write_filelist(in_tmp / "list.txt", short_wavs[:1])
    other = write_config(in_tmp / "other.ini", base=tiny_config, fmin=80)
    for config, warned in ((tiny_config, False), (other, True)):
        code, err = run_script("convert.py", "r", flist, config, "--model", "m/model.save",
                               "-j", "1", "--overwrite", capsys=capsys)
        assert code == 0, err
        assert ("was trained with other input settings than the config gives "
                f"({Path('m/config_cqt.ini')}: " in err) == warned, err
        assert (f"fmin {cfg['fmin']:g} there, 80 here" in err) == warned


def test_encode_skips_a_recording_of_one_window_and_honours_the_layout(tiny_config, caplog):
    from complex_auto.convert import encode
    from complex_auto.features import encode_features

    cfg = load_config(tiny_config)
    length = cfg["length_ngram"]
    torch.manual_seed(3)
    model = build_model(cfg, cfg["n_bins"] * length).eval()
    rng = np.random.default_rng(0)
    # one window's frames hold no repeat to find: skipped with a warning, as the docstring says
    assert encode(rng.normal(size=(cfg["n_bins"], length)), model, cfg, Path("one.wav"), 1,
                  False, "cpu") is None
    assert (f"skipping one.wav: {length} CQT frames, not more than one window of {length}"
            in caplog.text)
    spec = rng.normal(size=(cfg["n_bins"], length + 5)).astype(np.float32)
    got = {legacy: encode(spec, model, cfg, Path("x.wav"), 1, legacy, "cpu")
           for legacy in (False, True)}
    for legacy, feats in got.items():
        want = encode_features(model, spec, length, 1, legacy_layout=legacy)
        np.testing.assert_array_equal(feats, want)
    assert not np.allclose(got[True], got[False], atol=1e-3)


def test_a_model_named_two_ways_is_one_setting(in_tmp):
    from complex_auto.convert import conversion_settings

    (in_tmp / "m").mkdir()
    a = conversion_settings({"model": "m/x.save", "config": "c.ini"}, 1, False, "cae")
    b = conversion_settings({"model": "./m/../m/x.save", "config": str(in_tmp / "c.ini")}, 1,
                            False, "cae")
    assert a == b and (a["model"], a["config"]) == ("m/x.save", "c.ini")
    outside = in_tmp.parent / "elsewhere.save"        # not under the working folder: absolute
    assert conversion_settings({"model": str(outside)}, 1, False, "cae")["model"] == str(
        outside.resolve())
    assert conversion_settings({"model": "m/x.save"}, 2, False, "cae") != a


def test_the_matrix_picture_shows_the_repeats_not_black(tmp_path):
    """The recipe's 1 / (d + 1e-6) puts a few near-identical pairs thousands of times above the
    rest: in [0, 1] the picture was black but for a few dots. Scaled to its 99.5th percentile,
    a repeat's stripe is bright and the background visible."""
    from PIL import Image

    from complex_auto.convert import save_matrix_image

    g = np.random.default_rng(0)
    f = np.abs(g.standard_normal((300, 8)))
    f[200:260] = f[40:100] + 0.01 * g.standard_normal((60, 8))   # a repeat, not an exact one
    f[150] = f[20]                                               # one identical pair: d = 0
    m = self_similarity(f)
    assert np.quantile(m, 0.99) < 0.02                           # what the raw picture shows
    save_matrix_image(m, tmp_path / "m.png")
    rgb = np.asarray(Image.open(tmp_path / "m.png").convert("RGB")).astype(float)
    stripe = rgb[np.arange(45, 95), np.arange(205, 255)].mean()
    background = np.median(rgb[:100, 150:200])
    assert stripe > 150 and 10 < background < stripe
    # a long matrix is averaged in blocks of ceil(N / max_pixels): 250 rows at most 100 px
    # a side take blocks of 3, giving 83 px (blocks of 2 would give 125)
    block = np.kron(g.random((84, 84)), np.ones((3, 3)))[:250, :250]
    save_matrix_image(block, tmp_path / "long.png", max_pixels=100)
    picture = np.asarray(Image.open(tmp_path / "long.png"))
    assert picture.shape[:2] == (83, 83)


def test_a_file_cut_short_is_said_not_converted_in_silence(tmp_path, caplog):
    """A WAV cut short (a copy or download stopped) converted its first part with no word:
    libsndfile reads what is there."""
    import logging

    from complex_auto.cqt import load_audio

    from .conftest import ROOT

    cfg = load_config(ROOT / "config_cqt.ini")
    y = 0.1 * np.random.default_rng(0).standard_normal(4 * 22050).astype(np.float32)
    sf.write(tmp_path / "whole.wav", y, 22050, subtype="PCM_16")
    data = (tmp_path / "whole.wav").read_bytes()
    (tmp_path / "cut.wav").write_bytes(data[:len(data) // 2])
    with caplog.at_level(logging.WARNING):
        whole = conversion_cqt(tmp_path / "whole.wav", cfg)
        assert caplog.text == ""
        cut = conversion_cqt(tmp_path / "cut.wav", cfg)
    assert "cut.wav: cut short: its header promises 4.0 s of audio, the file holds 2.0 s" \
        in caplog.text
    assert cut.shape[1] < whole.shape[1]
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        load_audio(tmp_path / "cut.wav", 22050)                 # training reads it so
    assert "cut.wav: cut short" in caplog.text


def test_a_silent_recording_is_said_before_its_patterns_are_read(tmp_path, caplog):
    """Digital silence, or a stereo file whose channels cancel, standardises to windows that
    are all alike: converted with no word, a finder then listed hundreds of noise patterns."""
    import logging

    from .conftest import ROOT

    cfg = load_config(ROOT / "config_cqt.ini")
    y = 0.1 * np.random.default_rng(0).standard_normal(3 * 22050).astype(np.float32)
    sf.write(tmp_path / "sound.wav", np.stack([y, 0.5 * y], axis=1), 22050, subtype="PCM_16")
    sf.write(tmp_path / "zeros.wav", np.zeros(3 * 22050, np.float32), 22050)
    sf.write(tmp_path / "cancel.wav", np.stack([y, -y], axis=1), 22050, subtype="PCM_16")
    # a quiet recording is not silence: -80 dBFS is still 3 steps of 16-bit audio
    sf.write(tmp_path / "quiet.wav", 1e-4 * y / np.abs(y).max(), 22050, subtype="PCM_16")
    with caplog.at_level(logging.WARNING):
        for name in ("sound", "quiet"):
            conversion_cqt(tmp_path / f"{name}.wav", cfg)
        assert caplog.text == ""
        conversion_cqt(tmp_path / "zeros.wav", cfg)
        conversion_cqt(tmp_path / "cancel.wav", cfg)
    assert "zeros.wav: silent (every sample 0)" in caplog.text
    assert "cancel.wav: silent (peak -96 dBFS, mixed to mono)" in caplog.text


def test_a_long_matrix_shows_its_progress_where_no_other_bar_is_drawn(tmp_path, monkeypatch,
                                                                       capsys):
    # an hour's matrix takes minutes to write: a bar over the rows of both passes, drawn in
    # the converting process itself, not in a thread that writes while the GPU encodes
    import threading

    from complex_auto import selfsim
    from complex_auto.convert import write_matrix

    f = np.abs(np.random.default_rng(3).standard_normal((120, 6)))
    monkeypatch.setattr(selfsim, "FLOAT64_MAX_SIZE", 100)     # 129 rows count as long
    write_matrix(f, tmp_path / "long.npy")
    err = capsys.readouterr().err
    assert "long: matrix" in err and "258/258" in err, err
    thread = threading.Thread(target=write_matrix, args=(f, tmp_path / "quiet.npy"))
    thread.start()
    thread.join()
    assert (tmp_path / "quiet.npy").exists() and "matrix" not in capsys.readouterr().err
    monkeypatch.setattr(selfsim, "FLOAT64_MAX_SIZE", 8192)    # a short one has no bar
    write_matrix(f, tmp_path / "short.npy")
    assert "matrix" not in capsys.readouterr().err
