"""The training loop and ``train.py``: resuming, end-to-end runs, bad input."""
import csv
import json
import logging
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from complex_auto.config import load_config
from complex_auto.cqt_pairs import CQTPairs
from complex_auto.errors import ComplexAutoError, DataError
from complex_auto.layout import RunLayout
from complex_auto.runinfo import (add_model, read_training_info, start_training_record,
                                  trained_files, training_session, weights_sha256,
                                  write_training_info)
from complex_auto.training import LOG_HEADER, build_model, load_model, train

from .conftest import TINY, png_content, run_cli, run_script, write_config, write_filelist

def weights_of(path):
    return weights_sha256(torch.load(path, weights_only=True))


CFG = dict(cache_dir="cache", train_it=True, continue_train=False, start_epoch=0, test_data="",
           data_type="cqt", samples_epoch=64, batch_size=16, epochs=4, lr=1e-2,
           sparsity_reg=0.0, weight_reg=0.0, seed=3, plot_interval=100, set_to_norm=-1.0,
           norm_loss=0.0, learn_norm=False, equal_norm_loss=0.0, power_loss=1, dropout=0.5,
           n_bases=4, length_ngram=6, shifts=[2, 3], scales=[0.0, 0.0], transform=[0, 1],
           emph_onset=0, n_bins=10)


def synthetic_sets():
    g = np.random.default_rng(0)
    cqts = [g.standard_normal((10, 50)).astype(np.float32) for _ in range(3)]
    return CQTPairs(cqts[:2], CFG), CQTPairs(cqts[2:], CFG)


def test_resume_continues_epochs_and_loss_curve(tmp_path):
    tr, ev = synthetic_sets()
    full = RunLayout("full", tmp_path)
    _, h_full = train(CFG, full, tr, ev, "cpu")
    assert [h["epoch"] for h in h_full] == [1, 2, 3, 4]

    part = RunLayout("part", tmp_path)
    _, h_half = train(CFG, part, tr, ev, "cpu", epochs=2)
    assert [h["epoch"] for h in h_half] == [1, 2]
    model, h_resumed = train(CFG, part, tr, ev, "cpu", resume=True)
    assert [h["epoch"] for h in h_resumed] == [1, 2, 3, 4]
    np.testing.assert_allclose([h["train_loss"] for h in h_resumed],
                               [h["train_loss"] for h in h_full], rtol=1e-5)
    np.testing.assert_allclose([h["eval_loss"] for h in h_resumed],
                               [h["eval_loss"] for h in h_full], rtol=1e-5)
    a = torch.load(full.model("cqt"), weights_only=True)["layer.weight"]
    b = torch.load(part.model("cqt"), weights_only=True)["layer.weight"]
    assert torch.allclose(a, b, atol=1e-6)
    rows = list(csv.reader(part.train_log.open()))
    assert ",".join(rows[0]) == LOG_HEADER and [r[0] for r in rows[1:]] == ["1", "2", "3", "4"]


def test_the_epoch_bar_counts_the_epochs_done_in_a_log(tmp_path, capsys):
    # In a log (stderr not a terminal) the bar drew "0/4" beside every epoch's line until the
    # end: iterating, tqdm writes its count back only at its refresh interval (30 s there).
    import re

    tr, ev = synthetic_sets()
    train(CFG, RunLayout("bar", tmp_path), tr, ev, "cpu")
    out, err = capsys.readouterr()
    drawn = [int(m) for m in re.findall(r"epochs:.*?\| *(\d+)/4 \[", err)]
    assert re.findall(r"^epoch (\d)/4 ", out, flags=re.M) == ["1", "2", "3", "4"], out
    assert drawn == sorted(drawn) and {1, 2, 3, 4} <= set(drawn), (drawn, err)


def test_ctrl_c_says_which_checkpoint_once(tmp_path, monkeypatch, capsys, caplog):
    """train.py printed the interrupt twice: the checkpoint to resume from, then a bare
    'interrupted' from the command line's handler."""
    import complex_auto.training as training
    from complex_auto import cli
    from complex_auto.errors import Interrupted

    tr, ev = synthetic_sets()
    written = training.write_log

    def interrupt_after_two(path, history):
        written(path, history)
        if len(history) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(training, "write_log", interrupt_after_two)
    with pytest.raises(Interrupted):
        train(CFG, RunLayout("r", tmp_path), tr, ev, "cpu")
    assert "interrupted: checkpoint of epoch 2 is in" in caplog.text
    # a SIGTERM (the command lines' handler raises Terminated) was said 'interrupted'
    from complex_auto.errors import Terminated

    def terminate_after_two(path, history):
        written(path, history)
        if len(history) == 2:
            raise Terminated

    monkeypatch.setattr(training, "write_log", terminate_after_two)
    caplog.clear()
    with pytest.raises(Interrupted):
        train(CFG, RunLayout("t", tmp_path), tr, ev, "cpu")
    assert "terminated: checkpoint of epoch 2 is in" in caplog.text
    assert "interrupted" not in caplog.text
    capsys.readouterr()                                       # the progress bar's

    class Parser:
        def parse_args(self, argv):
            return type("Args", (), {})()

    for raised, printed in ((Interrupted(), ""), (KeyboardInterrupt(), "interrupted\n")):
        def main(args, raised=raised):
            raise raised
        with pytest.raises(SystemExit) as stop:
            cli.run(main, Parser(), [])
        assert stop.value.code == 130 and capsys.readouterr().err == printed


def test_checkpoint_without_weights_resumes_from_the_model_file(tmp_path):
    """The shipped checkpoint leaves its weights to the model file beside it: resuming from
    it must continue exactly as from a whole checkpoint, and say so when the file is gone."""
    tr, ev = synthetic_sets()
    runs = {}
    for name in ("whole", "stripped"):
        runs[name] = RunLayout(name, tmp_path)
        train(CFG, runs[name], tr, ev, "cpu", epochs=2)
    path = runs["stripped"].checkpoint("cqt")
    ckpt = torch.load(path, weights_only=False)
    del ckpt["model"]
    torch.save(ckpt, path)
    h = {k: train(CFG, layout, tr, ev, "cpu", resume=True)[1] for k, layout in runs.items()}
    assert [r["train_loss"] for r in h["whole"]] == [r["train_loss"] for r in h["stripped"]]
    a, b = (torch.load(runs[k].model("cqt"), weights_only=True) for k in runs)
    assert torch.equal(a["layer.weight"], b["layer.weight"])
    torch.save(ckpt, path)                  # epoch 2 again, without weights or model file
    runs["stripped"].model("cqt").unlink()
    with pytest.raises(ComplexAutoError, match="holds no weights"):
        train(CFG, runs["stripped"], tr, ev, "cpu", resume=True)


def test_a_resume_takes_the_configs_learning_rate_and_refuses_other_inputs(tmp_path,
                                                                           tiny_config, caplog):
    """Lowered to fine-tune, the learning rate stayed the checkpoint's while config.ini said
    the new one; another hop went on training without a word, and config.ini then named only
    the new settings."""
    from complex_auto.config import load_config

    cfg = load_config(tiny_config, epochs=1)
    g = np.random.default_rng(0)
    cqts = [g.standard_normal((cfg["n_bins"], 60)).astype(np.float32) for _ in range(3)]
    tr, ev = CQTPairs(cqts[:2], cfg), CQTPairs(cqts[2:], cfg)
    run = RunLayout("r", tmp_path)
    text = tiny_config.read_text()
    train(cfg, run, tr, ev, "cpu", config_text=text)
    assert torch.load(run.checkpoint("cqt"), weights_only=False)["optimizer"][
        "param_groups"][0]["lr"] == cfg["lr"]
    with caplog.at_level(logging.INFO):
        train(dict(cfg, lr=cfg["lr"] / 10), run, tr, ev, "cpu", epochs=2, resume=True,
              config_text=text)
    saved = torch.load(run.checkpoint("cqt"), weights_only=False)
    assert saved["epoch"] == 2 and saved["optimizer"]["param_groups"][0]["lr"] == \
        pytest.approx(cfg["lr"] / 10)
    assert f"learning rate {cfg['lr'] / 10:g} from the config (the checkpoint's: " \
        f"{cfg['lr']:g})" in caplog.text
    # another hop: refused, naming the run's config and the setting; config.ini kept
    before = run.config.read_text()
    with pytest.raises(DataError, match=r"config.ini: the model to continue was trained with "
                                        r"other input settings \(hop_length 1984 there, 1024 "
                                        r"here\): continue with that config"):
        train(dict(cfg, hop_length=1024), run, tr, ev, "cpu", epochs=3, resume=True,
              config_text="changed")
    assert run.config.read_text() == before


def test_a_fresh_training_into_a_trained_run_says_that_it_replaces_the_model(tmp_path, caplog):
    """Without --resume a second train.py replaced a run's model without a word; with --epochs
    0 it left the old checkpoint and log, which --resume and convert.py then took for the new
    model's. Continued from the model file, its log's epochs were rewritten from 0 unsaid."""
    tr, ev = synthetic_sets()
    run = RunLayout("r", tmp_path)
    train(CFG, run, tr, ev, "cpu", epochs=2)
    assert "holds a model already" not in caplog.text
    with caplog.at_level(logging.WARNING):
        train(CFG, run, tr, ev, "cpu", epochs=0)
    assert f"{run.model('cqt')} holds a model already: training from scratch replaces it " \
        "(--resume continues it)" in caplog.text
    assert not run.checkpoint("cqt").exists() and run.train_log.read_text() == LOG_HEADER + "\n"
    # continued from the model file (no checkpoint) at start_epoch 0 with a log of 2 epochs
    train(CFG, run, tr, ev, "cpu", epochs=2)
    run.checkpoint("cqt").unlink()
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        train(CFG, run, tr, ev, "cpu", epochs=3, resume=True)
    assert "lists 2 epochs, and the epochs count on from start_epoch = 0: its rows past it " \
        "are rewritten (set start_epoch = 2 to continue the count)" in caplog.text
    assert "holds a model already" not in caplog.text


def test_pairs_cut_in_threads_train_the_same_model(tmp_path, monkeypatch):
    """On a GPU, threads cut the batches ahead of the model; the batches, in their order,
    and so the model, must be those of one thread. Uneven batches exercise the queue's end."""
    from complex_auto import training

    tr, ev = synthetic_sets()
    cfg = dict(CFG, samples_epoch=70, batch_size=8)
    runs = {}
    for threads in (0, 3):
        layout = RunLayout(f"t{threads}", tmp_path)
        runs[threads] = train(cfg, layout, tr, ev, "cpu", threads=threads)[1]
        runs[threads] = (runs[threads], torch.load(layout.model("cqt"), weights_only=True))
    (h0, m0), (h3, m3) = runs[0], runs[3]
    assert [h["train_loss"] for h in h0] == [h["train_loss"] for h in h3]
    assert [h["eval_loss"] for h in h0] == [h["eval_loss"] for h in h3]
    assert all(torch.equal(m0[k], m3[k]) for k in m0)
    assert training.build_threads("cpu") == 0
    monkeypatch.setattr(training, "default_jobs", lambda: 16)
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")
    assert training.build_threads(torch.device("cuda", 0)) == 7
    # batches of 100 MB: 5 threads keep 10 of them, 1 GB, in flight
    assert training.build_threads("cuda", 100 * 2 ** 20) == 5
    assert training.build_threads("cuda", 2 ** 32) == 1


def test_equal_weights_are_saved_as_equal_bytes(tmp_path):
    """torch.save named the archive's folder after the temporary file (host, process id,
    random letters), so two trainings to the same weights wrote files that cmp and sha256
    told apart, and the shipped model held a temporary name."""
    from complex_auto.training import save_state

    tr, ev = synthetic_sets()
    cfg = dict(CFG, samples_epoch=16, batch_size=8)
    files = []
    for name in ("a", "b"):
        layout = RunLayout(name, tmp_path)
        train(cfg, layout, tr, ev, "cpu")
        files.append(layout.model("cqt").read_bytes())
    assert files[0] == files[1]
    state = {"w": torch.arange(6.0)}
    save_state(state, tmp_path / "x.save")
    save_state(state, tmp_path / "sub.pt")
    assert (tmp_path / "x.save").read_bytes() == (tmp_path / "sub.pt").read_bytes()
    assert torch.equal(torch.load(tmp_path / "x.save", weights_only=True)["w"], state["w"])


def test_every_epoch_draws_its_own_pairs_from_the_seed_and_its_number(tmp_path, monkeypatch):
    """Epoch e draws its batches from the generator of (seed, e): new pairs every epoch, and
    the same pairs again when a run resumes at e (or another rank draws the batch)."""
    tr, ev = synthetic_sets()
    drawn, draw = [], tr.draw
    monkeypatch.setattr(tr, "draw", lambda rng, n: drawn.append(draw(rng, n)) or drawn[-1])
    train(dict(CFG, epochs=2), RunLayout("r", tmp_path), tr, ev, "cpu")
    batches = CFG["samples_epoch"] // CFG["batch_size"]
    assert len(drawn) == 2 * batches
    for epoch in (0, 1):
        rng = np.random.default_rng([CFG["seed"], epoch])
        for got in drawn[epoch * batches:(epoch + 1) * batches]:
            want = draw(rng, CFG["batch_size"])
            assert all(np.array_equal(getattr(got, k), getattr(want, k)) for k in vars(want))
    assert not np.array_equal(drawn[0].start, drawn[batches].start)


def test_set_to_norm_leaves_every_basis_at_its_norm(tmp_path):
    """``set_to_norm`` rescales the bases after every optimiser step (-1: left free)."""
    tr, ev = synthetic_sets()
    norms = {}
    for value in (0.5, -1.0):
        model, _ = train(dict(CFG, epochs=1, set_to_norm=value),
                         RunLayout(f"n{value}", tmp_path), tr, ev, "cpu")
        norms[value] = model.layer.weight.detach().norm(dim=1)
    assert torch.allclose(norms[0.5], torch.full_like(norms[0.5], 0.5), atol=1e-5)
    assert norms[-1.0].std() > 1e-3       # the random start and the steps leave them unequal


def test_training_lowers_the_loss(tmp_path):
    tr, ev = synthetic_sets()
    _, h = train(dict(CFG, epochs=8), RunLayout("r", tmp_path), tr, ev, "cpu")
    assert h[-1]["train_loss"] < h[0]["train_loss"]


def test_train_it_false_loads_without_training(tmp_path):
    tr, ev = synthetic_sets()
    layout = RunLayout("r", tmp_path)
    train(dict(CFG, epochs=1), layout, tr, ev, "cpu")
    before = layout.model("cqt").stat().st_mtime_ns
    _, h = train(dict(CFG, train_it=False), layout, tr, ev, "cpu")
    assert h == [] and layout.model("cqt").stat().st_mtime_ns == before


def test_load_model_names_the_sizes_that_differ(tmp_path):
    tr, ev = synthetic_sets()
    layout = RunLayout("r", tmp_path)
    train(dict(CFG, epochs=1), layout, tr, ev, "cpu")
    with pytest.raises(ComplexAutoError, match="n_bases 4 in the model, 5 in the config"):
        load_model(dict(CFG, n_bases=5), 60, layout.model("cqt"))
    with pytest.raises(ComplexAutoError, match="input size 60 in the model, 70"):
        load_model(CFG, 70, layout.model("cqt"))


def test_a_checkpoint_given_as_the_model_gives_its_weights_or_says_where_they_are(tmp_path):
    # --model checkpoint_cqt.pt said "not a complex_auto model (no 'layer.weight')"
    tr, ev = synthetic_sets()
    layout = RunLayout("r", tmp_path)
    train(dict(CFG, epochs=1), layout, tr, ev, "cpu")
    saved = load_model(CFG, 60, layout.model("cqt")).state_dict()
    from_ckpt = load_model(CFG, 60, layout.checkpoint("cqt")).state_dict()
    assert all(torch.equal(saved[k], from_ckpt[k]) for k in saved)
    ckpt = torch.load(layout.checkpoint("cqt"), weights_only=False)
    del ckpt["model"]                                   # as shipped in models/cqt_piano/
    torch.save(ckpt, layout.checkpoint("cqt"))
    with pytest.raises(ComplexAutoError, match="a training checkpoint without weights; pass "
                                               "the model file saved beside it"):
        load_model(CFG, 60, layout.checkpoint("cqt"))
    torch.save(torch.zeros(3), tmp_path / "tensor.pt")
    with pytest.raises(ComplexAutoError, match="not a complex_auto model"):
        load_model(CFG, 60, tmp_path / "tensor.pt")
    # a file that is no torch file at all said "cannot read model (IndexError)"
    (tmp_path / "notes.save").write_text("hello\n")
    with pytest.raises(ComplexAutoError, match=r"notes.save: not a model file that train.py "
                                               r"writes \(a torch state dict"):
        load_model(CFG, 60, tmp_path / "notes.save")
    with pytest.raises(DataError, match=r"r: a folder, not a model file"):
        load_model(CFG, 60, tmp_path / "r")


def test_train_py_end_to_end_on_real_excerpts(in_tmp, short_wavs, tiny_config):
    flist = write_filelist(in_tmp / "list.txt", short_wavs)
    proc = run_cli("train.py", "e2e", flist, tiny_config, "--device", "cpu", cwd=in_tmp)
    assert proc.returncode == 0, proc.stderr
    run = in_tmp / "output" / "e2e"
    assert (run / "model_complex_auto_cqt.save").stat().st_size > 0
    rows = list(csv.reader((run / "train_log.csv").open()))
    assert rows[0] == LOG_HEADER.split(",") and len(rows) == 3
    # Two files: none is left for evaluation, so the files' last fifths are (not NaN).
    assert all(np.isfinite(float(r[1])) and np.isfinite(float(r[2])) for r in rows[1:]), rows
    for plot in ("filters", "reconstructions", "amplitudes_phases", "loss", "phase_pca"):
        assert (run / "plots" / f"{plot}.png").stat().st_size > 1000, plot
    assert (run / "config.ini").exists()
    assert list((in_tmp / "cache").glob("list.txt_cqt_*.pyc.bz"))
    # what the model learned from, and every model saved, tied to its weights by their hash
    record = json.loads((run / "training_cqt.json").read_text())
    wavs = [str(Path(w).resolve()) for w in short_wavs]
    assert record["sessions"] == [{"filelist": "list.txt", "trained": wavs, "evaluation": [],
                                   "epochs": [0, 2], "from": None}]   # two files: none held out
    assert [(e, k) for e, _, k in record["models"]] == [(1, 0), (2, 0)]
    assert record["models"][-1][1] == weights_of(run / "model_complex_auto_cqt.save")
    assert record["toolkit"]["version"]
    # --resume with more epochs continues the log
    proc = run_cli("train.py", "e2e", flist, tiny_config, "--resume", "--epochs", "3", cwd=in_tmp)
    assert proc.returncode == 0, proc.stderr
    assert "training on cpu: 1 epoch (epoch 3 to 3) of" in proc.stderr
    assert len((run / "train_log.csv").read_text().splitlines()) == 4
    assert "\nepochs = 3\n" in (run / "config.ini").read_text()
    record = json.loads((run / "training_cqt.json").read_text())
    assert [x["epochs"] for x in record["sessions"]] == [[0, 2], [2, 3]]
    assert record["sessions"][1]["from"] == record["models"][1][1]     # epoch 2's weights
    assert [(e, k) for e, _, k in record["models"]] == [(1, 0), (2, 0), (3, 1)]
    assert record["models"][-1][1] == weights_of(run / "model_complex_auto_cqt.save")
    # a target below the checkpoint trains nothing and says so (it announced "2 epochs")
    weights = torch.load(run / "model_complex_auto_cqt.save")
    proc = run_cli("train.py", "e2e", flist, tiny_config, "--resume", "--epochs", "2", cwd=in_tmp)
    assert proc.returncode == 0, proc.stderr
    assert "training on" not in proc.stderr
    assert "model already trained for 3 epochs (the target is 2): nothing to train" in proc.stderr
    assert json.loads((run / "training_cqt.json").read_text()) == record   # it learned nothing
    assert len((run / "train_log.csv").read_text().splitlines()) == 4
    assert "\nepochs = 3\n" in (run / "config.ini").read_text()   # the model's, not the target
    again = torch.load(run / "model_complex_auto_cqt.save")
    assert all(torch.equal(weights[k], again[k]) for k in weights)
    # --resume with a config of another model size is refused in one line, and leaves the
    # run's config as it was (it was rewritten first, and the run then fitted no config)
    before = (run / "config.ini").read_text()
    wider = write_config(in_tmp / "wider.ini", cache_dir=str(in_tmp / "cache"),
                         **dict(TINY, n_bases=16))
    proc = run_cli("train.py", "e2e", flist, wider, "--resume", "--epochs", "4", cwd=in_tmp)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "checkpoint_cqt.pt: model does not fit the config: n_bases 8 in the model, 16 in " \
           "the config" in proc.stderr
    assert (run / "config.ini").read_text() == before


def test_a_model_whose_training_was_killed_is_used_with_a_warning(in_tmp, short_wavs,
                                                                   tiny_config):
    # train.py saves the model after every epoch; a run killed at epoch 1 of 1000 left a
    # model that convert.py used as the run's trained model without a word
    import signal
    import subprocess
    import sys
    import time

    from .conftest import ROOT, child_env

    flist = write_filelist(in_tmp / "list.txt", short_wavs)
    run = in_tmp / "output" / "k"
    proc = subprocess.Popen([sys.executable, str(ROOT / "train.py"), "k", str(flist),
                             str(tiny_config), "--epochs", "1000", "--device", "cpu"],
                            cwd=in_tmp, env=child_env(), stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        log = run / "train_log.csv"
        if log.exists() and len(log.read_text().splitlines()) > 1:
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    logged = len((run / "train_log.csv").read_text().splitlines()) - 1
    done = torch.load(run / "checkpoint_cqt.pt", weights_only=False)["epoch"]
    assert 1 <= logged <= done < 1000          # the log is written after the checkpoint
    convert = ("convert.py", "k", flist, tiny_config, "-j", "1")

    def warned():
        proc = run_cli(*convert, cwd=in_tmp)
        assert proc.returncode == 0, proc.stderr
        return proc.stderr

    assert f"{Path('output/k/model_complex_auto_cqt.save')} is from epoch {logged} of 1000: " \
           "its training stopped early (train.py ... --resume --epochs 1000 finishes it)" \
           in warned()                 # not plain --resume: it trains to the config's epochs
    resume = ("train.py", "k", flist, tiny_config, "--resume", "--epochs", done + 1)
    assert run_cli(*resume, cwd=in_tmp).returncode == 0
    assert "stopped early" not in warned()
    # killed between its checkpoint and its log: the log an epoch behind the model, which a
    # resume that has nothing to train brings up to date
    log = run / "train_log.csv"
    log.write_text("".join(log.read_text().splitlines(keepends=True)[:-1]))
    assert f"is from epoch {done} of {done + 1}" in warned()
    proc = run_cli(*resume, cwd=in_tmp)
    assert proc.returncode == 0 and "nothing to train" in proc.stderr, proc.stderr
    assert len(log.read_text().splitlines()) == done + 2
    assert "stopped early" not in warned()


def test_a_training_session_names_the_files_that_train_and_those_held_out(in_tmp, short_wavs):
    wavs = [str(Path(w).resolve()) for w in short_wavs]
    five = write_filelist(in_tmp / "five.txt", short_wavs * 2 + short_wavs[:1])
    assert training_session(CFG, five) == {"filelist": "five.txt", "trained": wavs * 2,
                                           "evaluation": wavs[:1]}      # the last fifth
    held = write_filelist(in_tmp / "held.txt", [in_tmp / "elsewhere.wav"])   # need not exist
    assert training_session(dict(CFG, test_data=str(held)), five) == {
        "filelist": "five.txt", "trained": wavs * 2 + wavs[:1], "evaluation": ["elsewhere.wav"]}
    assert training_session(dict(CFG, data_type="mnist"), "no_filelist") == {
        "filelist": None, "trained": [], "evaluation": []}
    # files training left out (silent, too short) are named apart, each time it is listed
    assert training_session(CFG, five, skipped=[short_wavs[1]]) == {
        "filelist": "five.txt", "trained": [wavs[0], wavs[0]], "skipped": [wavs[1], wavs[1]],
        "evaluation": wavs[:1]}


def test_a_model_is_found_with_the_sessions_that_trained_it_also_after_more_training():
    def session(name, files, start, origin):
        return {"filelist": name, "trained": files, "evaluation": [], "epochs": [start, start],
                "from": origin}

    record = start_training_record(Path("missing.json"), "cqt")
    add_model(record, None, 0, "h0")                    # the initialisation: learned nothing
    a = session("a.txt", ["x.wav", "y.wav"], 0, "h0")
    for epoch in (1, 2, 3):
        add_model(record, a, epoch, f"a{epoch}")
    add_model(record, None, 3, "a3")                    # a resume that trains nothing adds none
    b = session("b.txt", ["z.wav", "x.wav"], 3, "a3")
    add_model(record, b, 4, "b4")
    c = session("c.txt", ["w.wav"], 1, "a1")            # resumed from older weights
    add_model(record, c, 2, "c2")
    assert [s["epochs"] for s in record["sessions"]] == [[0, 3], [3, 4], [1, 2]]
    assert [m[2] for m in record["models"]] == [None, 0, 0, 0, 1, 2]
    assert trained_files(record, "h0") == ([], True)
    assert trained_files(record, "a2") == (["x.wav", "y.wav"], True)
    assert trained_files(record, "b4") == (["x.wav", "y.wav", "z.wav"], True)
    assert trained_files(record, "c2") == (["x.wav", "y.wav", "w.wav"], True)   # not z.wav
    assert trained_files(record, "other") == (None, True)
    d = session("d.txt", ["v.wav"], 5, "unrecorded")    # continued weights of no record
    add_model(record, d, 6, "d6")
    assert trained_files(record, "d6") == (["v.wav"], False)


def test_a_continued_model_keeps_its_record_or_says_that_it_has_none(tmp_path, caplog):
    path = tmp_path / "training_cqt.json"
    assert start_training_record(path, "cqt", "w") == {"data_type": "cqt", "sessions": [],
                                                       "models": []}
    assert "the weights continued are in no training record" in caplog.text
    record = start_training_record(path, "cqt")
    add_model(record, None, 4, "w")
    write_training_info(path, record)
    caplog.clear()
    assert start_training_record(path, "cqt", "w")["models"] == [[4, "w", None]]
    assert start_training_record(path, "cqt")["models"] == [[4, "w", None]]  # kept, fresh too
    assert not caplog.text
    assert start_training_record(path, "cqt", "other")["models"] == []
    assert "the weights continued are in no training record" in caplog.text


def test_a_model_continued_from_its_file_keeps_its_lineage(tmp_path, caplog):
    # continue_train from the model file alone (no checkpoint) at the configs' start_epoch 0:
    # the weights were loaded, so the record goes on (it was started afresh, as complete)
    layout = RunLayout("r", tmp_path).make()
    first = {"filelist": "a.txt", "trained": ["x.wav"], "evaluation": []}
    train(CFG, layout, *synthetic_sets(), "cpu", epochs=1, session=first)
    layout.checkpoint("cqt").unlink()
    then = dict(first, filelist="b.txt", trained=["z.wav"])
    train(dict(CFG, continue_train=True), layout, *synthetic_sets(), "cpu", epochs=1,
          session=then)
    record = read_training_info(layout.training_info("cqt"))
    assert trained_files(record, weights_of(layout.model("cqt"))) == (["x.wav", "z.wav"], True)
    layout.training_info("cqt").unlink()               # a model whose record is gone
    layout.checkpoint("cqt").unlink()
    train(dict(CFG, continue_train=True), layout, *synthetic_sets(), "cpu", epochs=1,
          session=first)
    assert "the weights continued are in no training record" in caplog.text
    record = read_training_info(layout.training_info("cqt"))
    assert trained_files(record, weights_of(layout.model("cqt"))) == (["x.wav"], False)


def test_the_record_holds_the_model_on_disk_when_a_run_dies_between_the_two(tmp_path,
                                                                           monkeypatch):
    # the record is written before the model: a run killed just after the model (before its
    # checkpoint) leaves a model that the record holds (written after it, the record did not)
    import contextlib

    import complex_auto.training as T

    layout = RunLayout("r", tmp_path).make()
    model_path = layout.model("cqt")
    real, writes = T.atomic_path, []

    @contextlib.contextmanager
    def dies_at_the_second_model(path):
        with real(path) as tmp:
            yield tmp
        if Path(path) == model_path:
            writes.append(path)
            if len(writes) == 2:
                raise RuntimeError("killed")

    monkeypatch.setattr(T, "atomic_path", dies_at_the_second_model)
    session = {"filelist": "a.txt", "trained": ["x.wav"], "evaluation": []}
    with pytest.raises(RuntimeError, match="killed"):
        train(CFG, layout, *synthetic_sets(), "cpu", epochs=3, session=session)
    record = read_training_info(layout.training_info("cqt"))
    assert [e for e, _, _ in record["models"]] == [1, 2]
    assert trained_files(record, weights_of(model_path)) == (["x.wav"], True)


@pytest.mark.parametrize("text", ["[]", "{", '{"sessions": [], "models": [[1, "h"]]}',
                                  '{"sessions": [{"trained": [1], "evaluation": [], '
                                  '"epochs": [0, 1]}], "models": []}',
                                  '{"sessions": [], "models": [["1", "h", null]]}',
                                  '{"sessions": [], "models": [[1, "h", 0]]}',
                                  '{"models": []}', b"\xff\xfe"])
def test_a_malformed_training_record_is_named(tmp_path, text):
    path = tmp_path / "training_cqt.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(DataError, match=r"training_cqt.json: not a training record written "
                                        r"by train.py \(move it away to train on"):
        read_training_info(path)
    assert read_training_info(tmp_path / "missing.json") is None
    (tmp_path / "folder.json").mkdir()
    with pytest.raises(DataError, match=r"folder.json: cannot be read \(Is a directory\)"):
        read_training_info(tmp_path / "folder.json")


def test_zero_epochs_saves_the_initialisation_and_says_so(in_tmp, short_wavs, tiny_config):
    # it said "model already trained for 0 epochs" and named a log it had not written
    flist = write_filelist(in_tmp / "list.txt", short_wavs[:1])
    proc = run_cli("train.py", "init", flist, tiny_config, "--epochs", "0", cwd=in_tmp)
    assert proc.returncode == 0, proc.stderr
    assert "0 epochs: the model saved is its initialisation (init = random)" in proc.stderr
    assert "already trained" not in proc.stderr and "log:" not in proc.stderr
    run = in_tmp / "output" / "init"
    assert not (run / "train_log.csv").exists()
    record = json.loads((run / "training_cqt.json").read_text())
    assert (record["sessions"], [m[::2] for m in record["models"]]) == ([], [[0, None]])
    cfg = load_config(run / "config.ini")
    torch.manual_seed(cfg["seed"])
    init = build_model(cfg, cfg["n_bins"] * cfg["length_ngram"]).state_dict()
    saved = torch.load(run / "model_complex_auto_cqt.save")
    assert all(torch.equal(init[k], saved[k]) for k in init)


def check_error(code, err, *needles):
    assert code == 1
    assert "Traceback" not in err
    lines = [line for line in err.strip().splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    for n in needles:
        assert n in lines[0], lines[0]


def test_bad_input_is_one_line_exit_1_subprocess(in_tmp, tiny_config):
    proc = run_cli("train.py", "x", "missing.txt", tiny_config, cwd=in_tmp)
    check_error(proc.returncode, proc.stderr, "missing.txt", "does not exist")
    proc = run_cli("train.py", "x", "missing.txt", tiny_config, "-v", cwd=in_tmp)
    assert proc.returncode == 1 and "Traceback" in proc.stderr


@pytest.mark.parametrize("case", ["empty_list", "missing_audio", "not_audio", "no_config",
                                  "unknown_key", "missing_key", "bad_type", "too_short",
                                  "silent", "not_finite", "pitch_shift", "cuda"])
def test_bad_input(case, in_tmp, tiny_config, short_wavs, capsys):
    flist = write_filelist(in_tmp / "list.txt", short_wavs[:1])
    config = tiny_config
    args = []
    needles = []
    if case == "empty_list":
        flist.write_text("\n# nothing\n")
        needles = ["list.txt", "empty"]
    elif case == "missing_audio":
        flist.write_text(f"{short_wavs[0]}\ngone.wav\n")
        needles = ["list.txt, line 2", "gone.wav"]
    elif case == "not_audio":
        (in_tmp / "fake.mp3").write_text("this is not audio\n")
        flist.write_text("fake.mp3\n")
        needles = ["fake.mp3", "cannot read audio"]
    elif case == "no_config":
        config = in_tmp / "nope.ini"
        needles = ["nope.ini", "does not exist"]
    elif case == "unknown_key":
        config = write_config(in_tmp / "c.ini", base=tiny_config, speed=3)
        needles = ["c.ini", "unknown key 'speed'"]
    elif case == "missing_key":
        (in_tmp / "c.ini").write_text(tiny_config.read_text().replace("\nlr = ", "\n# lr = "))
        config = in_tmp / "c.ini"
        needles = ["c.ini", "missing key 'lr'"]
    elif case == "bad_type":
        config = write_config(in_tmp / "c.ini", base=tiny_config, epochs="ten")
        needles = ["c.ini", "'epochs'", "integer"]
    elif case == "too_short":
        sf.write(in_tmp / "short.wav", np.zeros(22050, np.float32), 22050)
        flist.write_text("short.wav\n")
        needles = ["shorter than", "frames"]
    elif case == "silent":
        sf.write(in_tmp / "silent.wav", np.zeros(10 * 22050, np.float32), 22050)
        flist.write_text("silent.wav\n")
        needles = ["list.txt", "every training file is silent"]
    elif case == "not_finite":       # a float file can hold NaN: the CQT raised a traceback
        y = np.full(10 * 22050, 0.1, np.float32)
        y[3 * 22050] = np.nan
        sf.write(in_tmp / "nan.wav", y, 22050, subtype="FLOAT")
        flist.write_text("nan.wav\n")
        needles = ["nan.wav", "not finite", "3.00 s"]
    elif case == "pitch_shift":      # by the whole range: numpy's shape mismatch mid-epoch
        config = write_config(in_tmp / "c.ini", base=tiny_config, shifts="2, 130")
        needles = ["c.ini", "key 'shifts' = 2, 130", "fewer bins than n_bins = 120"]
    elif case == "cuda":
        if torch.cuda.is_available():            # then the CUDA path must work instead
            code, err = run_script("train.py", "ok", flist, config, "--device", "cuda",
                                   capsys=capsys)
            assert code == 0, err
            log = (in_tmp / "output" / "ok" / "train_log.csv").read_text().splitlines()[1:]
            assert log and all(np.isfinite(float(v)) for r in log for v in r.split(",")[1:3])
            return
        args = ["--device", "cuda"]
        needles = ["--device cuda", "CUDA is not available"]
    code, err = run_script("train.py", "bad", flist, config, *args, capsys=capsys)
    check_error(code, err, *needles)


def test_a_silent_training_file_is_skipped_with_a_warning(in_tmp, tiny_config, short_wavs,
                                                         capsys):
    """Digital silence standardises to zeros, whose pairs any weights reconstruct: trained
    on, it would pull the loss towards 0 and teach nothing. It is skipped, by name, and the
    model trains on the rest."""
    sf.write(in_tmp / "silent.wav", np.zeros(10 * 22050, np.float32), 22050)
    flist = write_filelist(in_tmp / "list.txt", [short_wavs[0], in_tmp / "silent.wav"])
    code, err = run_script("train.py", "mixed", flist, tiny_config, capsys=capsys)
    assert code == 0, err
    assert "skipping" in err and "silent.wav: silent" in err
    log = (in_tmp / "output" / "mixed" / "train_log.csv").read_text().splitlines()[1:]
    assert log and all(float(r.split(",")[1]) > 0 for r in log)
    # the model's record names the silent file as skipped, not as one that trained it (an
    # evaluation of it would have said "seen in training")
    session = json.loads((in_tmp / "output" / "mixed" / "training_cqt.json").read_text())[
        "sessions"][-1]
    assert session["trained"] == [str(Path(short_wavs[0]).resolve())]
    assert session["skipped"] == ["silent.wav"]


def noise_files(folder, seconds, sr=22050):
    """White-noise wav files of the given lengths (distinct lengths identify the files)."""
    g = np.random.default_rng(5)
    out = []
    for i, sec in enumerate(seconds):
        path = folder / f"f{i}.wav"
        sf.write(path, (0.1 * g.standard_normal(int(sec * sr))).astype(np.float32), sr)
        out.append(path)
    return out


def test_evaluation_set_is_the_last_fifth_of_the_files(tmp_path, tiny_config):
    from complex_auto.config import load_config
    from complex_auto.cqt_pairs import training_sets

    cfg = load_config(tiny_config)
    seconds = [2 + 0.25 * i for i in range(14)]
    files = noise_files(tmp_path, seconds)
    frames = [1 + int(sec * 22050) // cfg["hop_length"] for sec in seconds]
    # len // 5 evaluation files, the last ones of the list: 5 -> 1, 9 -> 1, 14 -> 2
    # (len // 4 or len // 6 would differ in one of these).
    for n, n_eval in ((5, 1), (9, 1), (14, 2)):
        train_set, eval_set = training_sets(files[:n], cfg, f"list{n}")
        assert eval_set.lengths.tolist() == frames[n - n_eval:n], n
        assert train_set.lengths.tolist() == frames[:n - n_eval], n


def test_the_evaluation_files_are_those_that_give_the_evaluation_loss(tmp_path, tiny_config,
                                                                       caplog):
    """The training record named the list's last fifth as the evaluation files also when
    they were skipped and the training files gave the evaluation loss instead; with files too
    short to split, two warnings said two different things."""
    from complex_auto.config import load_config
    from complex_auto.cqt_pairs import training_sets

    cfg = load_config(tiny_config)
    five = noise_files(tmp_path, [8, 9, 10, 11, 7])
    _, ev = training_sets(five, cfg, "five")
    assert ev.sources == [five[4]]
    (tmp_path / "short").mkdir()
    short = noise_files(tmp_path / "short", [0.5])[0]        # fewer frames than one pair
    with caplog.at_level("WARNING"):
        _, ev = training_sets(five[:4] + [short], cfg, "short5")
    assert ev.sources == five[:4] and "evaluating on the training files" in caplog.text
    record = training_session(dict(cfg, test_data=""), write_filelist(
        tmp_path / "short5.txt", five[:4] + [short]), evaluated=ev.sources)
    assert record["evaluation"] == record["trained"] == [str(f.resolve()) for f in five[:4]]
    # files whose last fifths are shorter than an evaluation n-gram (30 frames here): none
    # is split, so one warning, of the training files
    caplog.clear()
    with caplog.at_level("WARNING"):
        _, ev = training_sets(five[:2] + [short], dict(cfg, length_ngram=30), "three")
    assert "last fifth" not in caplog.text and "evaluating on the training files" in \
        caplog.text
    with caplog.at_level("WARNING"):
        _, ev = training_sets(five[:2], cfg, "two")
    assert ev.sources is None         # the files' last fifths: the record says none


def test_fewer_than_five_files_evaluate_on_held_out_frames(tmp_path, tiny_config, caplog):
    from complex_auto.config import load_config
    from complex_auto.cqt_pairs import training_sets

    cfg = load_config(tiny_config)
    files = noise_files(tmp_path, [8, 10])
    frames = [1 + int(sec * 22050) // cfg["hop_length"] for sec in (8, 10)]
    with caplog.at_level("WARNING"):
        train_set, eval_set = training_sets(files, cfg, "two")
    assert "two: 2 files, fewer than 5" in caplog.text and "last fifth" in caplog.text
    tails = [round(0.2 * n) for n in frames]
    assert eval_set.lengths.tolist() == tails
    assert train_set.lengths.tolist() == [n - t for n, t in zip(frames, tails)]
    # the held-out frames are the files' last ones; training keeps the frames before them
    from complex_auto.cqt_pairs import _training_cqt

    whole = _training_cqt(files[0], cfg)
    np.testing.assert_array_equal(eval_set.frames[:tails[0]], whole[:, -tails[0]:].T)
    np.testing.assert_array_equal(train_set.frames[:frames[0] - tails[0]],
                                  whole[:, :-tails[0]].T)
    assert len(eval_set.sweep(np.random.default_rng(0))) > 0


def test_training_plots_show_what_they_say(tmp_path, saved_figures):
    from complex_auto.cqt_pairs import TRANSFORM_NAMES
    from complex_auto.plots import TrainingPlotter

    tr, ev = synthetic_sets()
    layout = RunLayout("plots", tmp_path)
    plotter = TrainingPlotter(layout, tr, (10, 6), "cpu", TRANSFORM_NAMES, n_pca=200)
    _, history = train(dict(CFG, epochs=3, plot_interval=2), layout, tr, ev, "cpu", plotter=plotter)
    d = layout.plots
    for name in ("filters", "reconstructions", "amplitudes_phases", "loss", "phase_pca"):
        width, height, std, colours = png_content(d / f"{name}.png")
        assert width >= 300 and height >= 250, name
        assert std > 5 and colours > 20, f"{name}.png looks blank"
    # 4 pairs x (x, y, and the two cross reconstructions), each an n-gram of 10 x 6
    rec = saved_figures["reconstructions.png"]
    assert len(rec) == 16 and all(a["images"][0].shape == (10, 6) for a in rec)
    amp = saved_figures["amplitudes_phases.png"]
    images = [a for a in amp if not a["colorbar"]]
    assert len(images) == 2 and len(amp) == 4                 # two maps, two colour bars
    assert [a["images"][0].shape for a in images] == [(64, 4), (64, 4)]   # items x bases
    loss = saved_figures["loss.png"]
    assert len(loss) == 1 and loss[0]["lines"] == 2           # train and evaluation
    pca = [a for a in saved_figures["phase_pca.png"] if not a["colorbar"]]
    assert len(pca) == 2                                      # pitch shift, time shift
    assert sum(a["points"] for a in pca) == 200
    filt = [a for a in saved_figures["filters.png"] if a["images"]]
    assert filt and sum(im.size for a in filt for im in a["images"]) >= 4 * 60


def test_test_data_that_shares_training_files_is_named(tmp_path, tiny_config, caplog):
    # a held-out list naming training files gave an evaluation loss that was not held out
    from complex_auto.config import load_config
    from complex_auto.cqt_pairs import training_sets

    files = noise_files(tmp_path, [4, 4, 4])
    held = write_filelist(tmp_path / "held.txt", [files[2], tmp_path / "." / files[1].name])
    cfg = dict(load_config(tiny_config), test_data=str(held))
    with caplog.at_level("WARNING"):
        training_sets(files[:2], cfg, "train")
    assert (f"test_data {held}: 1 of its 2 files is also in the training list "
            f"({tmp_path / '.' / files[1].name}): the evaluation loss is not held out"
            in caplog.text)
    caplog.clear()
    held.write_text(f"{files[2]}\n")
    with caplog.at_level("WARNING"):
        training_sets(files[:2], cfg, "train")
    assert "not held out" not in caplog.text


def test_a_failed_read_of_the_data_leaves_no_run_folder(in_tmp, short_wavs):
    # the run folder was made first, and a cache folder that cannot be made left it empty
    config = write_config(in_tmp / "c.ini", cache_dir="/proc/nope", **TINY)
    flist = write_filelist(in_tmp / "list.txt", short_wavs[:1])
    proc = run_cli("train.py", "r", flist, config, "--device", "cpu", cwd=in_tmp)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "key 'cache_dir' = '/proc/nope'" in proc.stderr
    assert not (in_tmp / "output" / "r").exists()
