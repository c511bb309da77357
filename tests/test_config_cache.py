"""Config validation and the preprocessing cache."""
import bz2
import io
import logging
import os
import re
import signal
import sys
from pathlib import Path

import numpy as np
import pytest

from complex_auto.cache import cache_key, cache_path, cached
from complex_auto.config import load_config
from complex_auto.errors import ConfigError
from complex_auto.utils import LOG_INTERVAL, load_pyc_bz, progress, progress_map, save_pyc_bz

from .conftest import ROOT, write_config


@pytest.mark.parametrize("name", ["config_cqt.ini", "config_cqt_quick.ini"])
def test_shipped_configs_load(name):
    cfg = load_config(ROOT / name)
    assert cfg["data_type"] == "cqt" and cfg["n_bases"] == 256 and cfg["length_ngram"] == 32
    assert cfg["shifts"] == [12, 24] and cfg["transform"] == [0, 1]


def test_paper_values_in_config_cqt():
    cfg = load_config(ROOT / "config_cqt.ini")
    expect = dict(samples_epoch=100000, batch_size=1000, epochs=500, lr=1e-3, power_loss=1,
                  dropout=0.5, fmin=65.4, hop_length=1984, block_size=2556416, n_bins=120,
                  bins_per_oct=24, sr=22050, seed=1, plot_interval=10, learn_norm=False,
                  set_to_norm=-1.0, emph_onset=0, scales=[0.0, 0.0])
    for k, v in expect.items():
        assert cfg[k] == v, k


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.ini")


def test_unknown_key(tmp_path):
    p = write_config(tmp_path / "c.ini", colour="blue")
    with pytest.raises(ConfigError, match=r"c\.ini: unknown key 'colour'"):
        load_config(p)


def test_missing_key(tmp_path):
    text = (ROOT / "config_cqt.ini").read_text().replace("n_bases = 256\n", "")
    (tmp_path / "c.ini").write_text(text)
    with pytest.raises(ConfigError, match=r"c\.ini: missing key 'n_bases'"):
        load_config(tmp_path / "c.ini")


@pytest.mark.parametrize("key,value", [("n_bases", "many"), ("lr", "fast"),
                                       ("learn_norm", "maybe"), ("shifts", "1, x"),
                                       ("data_type", "video"), ("dropout", "1.5")])
def test_wrong_type(tmp_path, key, value):
    p = write_config(tmp_path / "c.ini", **{key: value})
    with pytest.raises(ConfigError, match=rf"c\.ini: key '{key}'"):
        load_config(p)


@pytest.mark.parametrize("key,value,choices", [("data_type", "wav", "cqt, signal, mnist"),
                                               ("init", "xavier", "random, fourier")])
def test_a_value_not_among_the_choices_names_them(tmp_path, key, value, choices):
    # said 'is not one of (the value "wav" is unacceptable.)': the choices were left out
    p = write_config(tmp_path / "c.ini", **{key: value})
    with pytest.raises(ConfigError) as e:
        load_config(p)
    assert str(e.value).endswith(f"c.ini: key '{key}' = '{value}' is not one of {choices}")


@pytest.mark.parametrize("key,value", [("lr", "nan"), ("fmin", "nan"), ("dropout", "nan"),
                                       ("lr", "inf"), ("scales", "nan, 0.0")])
def test_numbers_that_are_not_finite_are_refused(tmp_path, key, value):
    # the spec's min and max let NaN through (every comparison with it is false)
    p = write_config(tmp_path / "c.ini", **{key: value})
    with pytest.raises(ConfigError, match=rf"c\.ini: key '{key}' = .* is not a finite number"):
        load_config(p)


def test_dropout_of_one_is_refused(tmp_path):
    # every input dropped: the model divided by 1 - dropout = 0 at the first batch
    with pytest.raises(ConfigError, match=r"c\.ini: key 'dropout' = 1 drops every input"):
        load_config(write_config(tmp_path / "c.ini", dropout="1.0"))
    assert load_config(write_config(tmp_path / "c.ini", dropout="0.99"))["dropout"] == 0.99


@pytest.mark.parametrize("key,value,bound", [("lr", "-1", "too small"),
                                             ("dropout", "1.5", "too big"),
                                             ("epochs", "-3", "too small"),
                                             ("batch_size", "0", "too small"),
                                             ("samples_epoch", "0", "too small"),
                                             ("n_bases", "0", "too small"),
                                             ("length_ngram", "0", "too small"),
                                             ("hop_length", "0", "too small"),
                                             # NumPy's generators, seeded in training,
                                             # refused it at the first epoch
                                             ("seed", "-1", "too small"),
                                             ("seed", "4294967296", "too big")])
def test_out_of_range(tmp_path, key, value, bound):
    # a number outside the spec's bounds is named as such, not as "not a number"
    p = write_config(tmp_path / "c.ini", **{key: value})
    with pytest.raises(ConfigError, match=rf"c\.ini: key '{key}' = '{value}' is out of range "
                                          rf"\(.*{bound}"):
        load_config(p)


@pytest.mark.parametrize("keys,message", [
    (dict(fmin="0"), "key 'fmin' = 0 must be above 0 Hz"),
    (dict(n_bins="240"), "'n_bins' = 240 and 'bins_per_oct' = 24 reach 65063 Hz"),
    # the shipped bins: the top one is 2033 Hz, its filter reaches 2077.3 Hz, as librosa
    # computes it; 4154 Hz is refused, although its Nyquist frequency is above the top bin
    (dict(sr="4154"), "reach 2033 Hz, whose filter passes the Nyquist frequency of 'sr' = 4154"),
    (dict(sr="4156"), None),
    (dict(bins_per_oct="1"), "'bins_per_oct' = 1 reach 4.35e+37 Hz"),
])
def test_cqt_settings_that_cannot_work_are_refused_when_loaded(tmp_path, keys, message):
    # these failed only at the first recording or training batch, with a traceback
    p = write_config(tmp_path / "c.ini", **keys)
    if message is None:
        assert load_config(p)["data_type"] == "cqt"
    else:
        with pytest.raises(ConfigError, match=rf"c\.ini: .*{re.escape(message)}"):
            load_config(p)


def test_a_negative_time_shift_of_a_signal_config_is_refused(tmp_path):
    # read as 0: it trained on pairs of a window and itself, and said nothing
    cfg = (ROOT / "config_signal1D_quick.ini").read_text()
    bad = tmp_path / "neg.ini"
    bad.write_text(cfg.replace("shifts = 64, -1", "shifts = -64, -1"))
    with pytest.raises(ConfigError, match=r"neg\.ini: key 'shifts' = -64, \.\.\.: its first "
                                          "value, the largest time shift in samples, must be "
                                          "non-negative for data_type signal"):
        load_config(bad)
    assert load_config(ROOT / "config_signal1D_quick.ini")["shifts"] == [64, -1]


def test_negative_scales_are_refused_when_loaded(tmp_path):
    # a tempo change stretched by 1 + scales[0] * u < 1: an IndexError in the first batch,
    # after output/RUN/config.ini was written
    p = write_config(tmp_path / "c.ini", scales="-5.0, 0.0", transform="2,")
    with pytest.raises(ConfigError, match=r"c\.ini: key 'scales' = -5, 0 must be "
                                          "non-negative for data_type cqt"):
        load_config(p)
    assert load_config(write_config(tmp_path / "c.ini", scales="0.5, 0.0",
                                    transform="2,"))["scales"] == [0.5, 0.0]


def test_a_transformation_the_pairs_do_not_know_is_refused(tmp_path):
    for bad, shown in (("0, 3", 3), ("-1,", -1)):
        p = write_config(tmp_path / "c.ini", transform=bad)
        with pytest.raises(ConfigError, match=rf"c\.ini: key 'transform' has {shown}; allowed "
                                              r"are 0 \(pitch shift\), 1 \(time shift\), 2 "):
            load_config(p)
    assert load_config(write_config(tmp_path / "c.ini", transform="0, 1, 2"))["transform"] == [
        0, 1, 2]


def test_a_list_of_one_value_without_its_comma_gets_a_hint(tmp_path):
    # configobj reads 'transform = 2' as the string '2'
    p = write_config(tmp_path / "c.ini", transform="2")
    with pytest.raises(ConfigError, match=r"key 'transform' = '2' is not a comma-separated "
                                          r"list of integers: .*\(transform = 2,\)$"):
        load_config(p)
    with pytest.raises(ConfigError, match=r"key 'transform' = 'x' .*wrong type.*\)$"):
        load_config(write_config(tmp_path / "c.ini", transform="x"))
    assert load_config(write_config(tmp_path / "c.ini", transform="2,"))["transform"] == [2]


def test_a_cache_dir_that_is_a_file_is_refused_when_loaded(tmp_path):
    (tmp_path / "f").write_text("")
    for folder, why in [(tmp_path / "f", "is a file, not a folder"),
                        (tmp_path / "f" / "sub", "lies in .*f, a file, not a folder")]:
        p = write_config(tmp_path / "c.ini", cache_dir=str(folder))
        with pytest.raises(ConfigError, match=rf"c\.ini: key 'cache_dir' = '{folder}' {why}$"):
            load_config(p)


def test_an_empty_cache_dir_and_a_learning_rate_of_zero_are_refused(tmp_path):
    """cache_dir = "" wrote the cache into the working folder; lr = 0 trained a whole run and
    saved a model whose weights never moved (the spec's min=0 lets 0 through)."""
    for key, value, message in (("cache_dir", '""', "key 'cache_dir' is empty: name a folder"),
                                ("cache_dir", '"  "', "key 'cache_dir' is empty"),
                                ("lr", "0", "key 'lr' = 0: the weights would never move"),
                                ("lr", "0.0", "key 'lr' = 0")):
        with pytest.raises(ConfigError, match=rf"c\.ini: {message}"):
            load_config(write_config(tmp_path / "c.ini", **{key: value}))
    assert load_config(write_config(tmp_path / "c.ini", lr="1e-9"))["lr"] == 1e-9


def test_a_missing_test_data_list_names_the_configs_key(tmp_path):
    """'error: /x/none.txt: file list does not exist' named a path the user never typed."""
    from complex_auto.errors import DataError
    from complex_auto.filelist import read_test_data

    with pytest.raises(DataError, match=r"^my\.ini: key 'test_data': .*none\.txt: file list "
                                        "does not exist"):
        read_test_data(tmp_path / "none.txt", [], "my.ini")


def test_a_cache_folder_that_cannot_be_made_is_named_before_building(tmp_path):
    # FileExistsError / FileNotFoundError tracebacks, after the CQTs were computed
    (tmp_path / "f").write_text("")
    calls = []
    folders = [(tmp_path / "f", "is a file, not a folder"),
               (tmp_path / "f" / "sub", "lies in .*f, a file, not a folder")]
    if Path("/proc/self").is_dir():
        folders.append((Path("/proc/nope"), r"cannot create the folder \(No such file"))
    for folder, why in folders:
        with pytest.raises(ConfigError, match=rf"^key 'cache_dir' = '{folder}'.* {why}"):
            cached(folder / "x.pyc.bz", lambda: calls.append(1))
    assert not calls
    assert cached(tmp_path / "new" / "x.pyc.bz", lambda: 7) == 7


def test_overrides(tmp_path):
    assert load_config(ROOT / "config_cqt.ini", epochs=3)["epochs"] == 3


def test_pyc_bz_round_trip(tmp_path):
    obj = {"a": np.arange(10.0), "b": [np.ones((2, 3), np.float32)]}
    save_pyc_bz(obj, tmp_path / "x.pyc.bz")
    back = load_pyc_bz(tmp_path / "x.pyc.bz")
    np.testing.assert_array_equal(back["a"], obj["a"])
    np.testing.assert_array_equal(back["b"][0], obj["b"][0])
    assert not list(tmp_path.glob(".*tmp"))  # no temporary left behind


def test_cache_round_trip_and_corrupt_rebuild(tmp_path, caplog):
    calls = []

    def build():
        calls.append(1)
        return [np.arange(5)]

    path = tmp_path / "c.pyc.bz"
    first = cached(path, build)
    second = cached(path, build)
    assert len(calls) == 1
    np.testing.assert_array_equal(first[0], second[0])
    cached(path, build, refresh=True)
    assert len(calls) == 2
    # truncate the file: it must be detected, rebuilt and rewritten whole
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with caplog.at_level(logging.WARNING):
        third = cached(path, build)
    assert len(calls) == 3 and "corrupt" in caplog.text
    np.testing.assert_array_equal(third[0], np.arange(5))
    with bz2.open(path) as f:
        assert f.read()  # valid again


def test_cache_key_changes_with_params_and_files(tmp_path):
    a = tmp_path / "a.txt"
    a.write_text("1")
    k1 = cache_key([a], {"sr": 22050})
    assert k1 == cache_key([a], {"sr": 22050})
    assert k1 != cache_key([a], {"sr": 16000})
    a.write_text("22")
    assert k1 != cache_key([a], {"sr": 22050})
    assert cache_path("cache", "lists/x.txt", "cqt", k1).name == f"x.txt_cqt_{k1}.pyc.bz"


def test_cache_key_changes_with_a_rewrite_of_the_same_size_and_with_the_order(tmp_path):
    # A recording re-exported at the same length keeps its size: its mtime tells it apart.
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("1")
    b.write_text("2")
    k1 = cache_key([a, b], {"sr": 22050})
    a.write_text("3")
    st = a.stat()
    os.utime(a, (st.st_atime, st.st_mtime + 5))
    k2 = cache_key([a, b], {"sr": 22050})
    assert k2 != k1
    # The pairs depend on the list's order (the last files are held out): so does the key.
    assert cache_key([b, a], {"sr": 22050}) != k2


def test_atomic_writes_get_the_usual_permissions(tmp_path):
    import os

    from complex_auto.utils import atomic_write_text

    atomic_write_text(tmp_path / "a.txt", "x")
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o666 & ~mask


@pytest.mark.parametrize("failure", [RuntimeError, KeyboardInterrupt])
def test_a_write_that_fails_keeps_the_old_file_and_leaves_no_temporary(tmp_path, failure):
    # what a later step would trust: never the half-written file of a killed or failed write
    from complex_auto.utils import atomic_path

    path = tmp_path / "out.npy"
    path.write_text("old")
    with pytest.raises(failure):
        with atomic_path(path) as tmp:
            tmp.write_text("half")
            raise failure()
    assert path.read_text() == "old" and sorted(tmp_path.iterdir()) == [path]
    with atomic_path(path) as tmp:
        tmp.write_text("new")
    assert path.read_text() == "new" and sorted(tmp_path.iterdir()) == [path]


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bars_redraw_seldom_in_a_log(monkeypatch):
    """Redirected to a file, a bar keeps its first and last states but redraws every
    LOG_INTERVAL s, not ten times a second; on a terminal it stays live."""
    log = io.StringIO()
    monkeypatch.setattr(sys, "stderr", log)
    with progress(range(40), desc="files", unit="file") as bar:
        assert sum(1 for _ in bar) == 40
    assert bar.mininterval == LOG_INTERVAL
    out = log.getvalue()
    assert "files:   0%" in out and "40/40" in out
    assert progress(range(3), mininterval=2.0).mininterval == 2.0   # an explicit choice wins
    # a bar that a terminal clears when done (the report's clips) ends on its count in a log
    log.seek(0)
    log.truncate()
    assert sum(1 for _ in progress(range(44), desc="clips", leave=False)) == 44
    assert "clips: 100%" in log.getvalue() and "44/44" in log.getvalue(), log.getvalue()

    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    bar = progress(range(3), desc="files")
    assert bar.mininterval < 1 and bar.fp is not None
    list(bar)
    assert "3/3" in terminal.getvalue()
    bar = progress(range(3), desc="clips", leave=False)
    list(bar)
    assert bar.leave is False                  # a terminal clears it, as asked


def test_a_config_or_list_that_cannot_be_read_is_one_line(tmp_path, monkeypatch):
    # configobj's own open was caught; reading the text first (for its byte-order mark)
    # must not turn a permission error into a traceback
    from complex_auto.errors import DataError
    from complex_auto.filelist import read_list

    config = write_config(tmp_path / "c.ini")
    flist = tmp_path / "list.txt"
    flist.write_text("a.wav\n")

    def denied(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(ConfigError, match=f"^{re.escape(str(config))}: cannot read "
                                          r"\(Permission denied\)$"):
        load_config(config)
    with pytest.raises(DataError, match=r"list.txt: cannot read \(Permission denied\)$"):
        read_list(flist)


def test_a_ctrl_c_while_workers_are_forked_is_delivered_after_it_not_lost():
    # SIGINT was ignored while a pool's workers started: on a busy machine the items are still
    # being handed out when the first ones begin, and a Ctrl-C then let the pool run to its end
    from complex_auto.utils import interrupts_ignored

    # Python's own handler, also where the suite runs as a shell's background job (which
    # starts with SIGINT ignored: no Ctrl-C to deliver)
    saved = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        before = signal.getsignal(signal.SIGINT)
        reached = []
        with pytest.raises(KeyboardInterrupt):
            with interrupts_ignored():
                signal.raise_signal(signal.SIGINT)
                reached.append("the block went on")   # no worker is interrupted half-started
        assert reached == ["the block went on"] and signal.getsignal(signal.SIGINT) is before
        with interrupts_ignored():                    # no Ctrl-C: nothing raised
            reached.append("quiet")
        assert reached[-1] == "quiet"
    finally:
        signal.signal(signal.SIGINT, saved)


INTERRUPTED = r"""
import signal, sys, time
from pathlib import Path

# a Ctrl-C raises here, also when the suite runs as a background job that ignores SIGINT
signal.signal(signal.SIGINT, signal.default_int_handler)

from complex_auto import patterns
from complex_auto.utils import progress_map

MARKS = Path(sys.argv[2])


def work(item):
    name = item if isinstance(item, str) else Path(item["matrix"]).name   # an extraction job
    (MARKS / f"started {name}").touch()
    time.sleep(20.0)                    # interrupted long before it ends
    (MARKS / f"finished {name}").touch()
    return {}


if __name__ == "__main__":
    try:
        if sys.argv[1] == "progress_map":
            progress_map(work, [f"file{k}" for k in range(6)], jobs=2, desc="files")
        else:                           # extract_motives.py -j 2's pool
            patterns._extract_job = work
            patterns.extract_run("r", csv_list="none", bpm=120, root=sys.argv[3], jobs=2)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
"""


@pytest.mark.parametrize("pool", ["progress_map", "extract_run"])
def test_one_ctrl_c_stops_every_worker(pool, tmp_path):
    """Ctrl-C reaches the whole process group: each worker was interrupted on its own, the
    main process then waited for every file queued (converted after 'interrupted'), and
    convert.py -j 2 now and then hung for good, waiting for a worker. The workers leave
    Ctrl-C to the main process, which starts no other item and stops those running."""
    import subprocess
    import time

    from .conftest import child_env
    from .test_patterns import make_run

    make_run(tmp_path / "runs", [f"p{k}.wav" for k in range(6)], n=40)
    marks = tmp_path / "marks"
    marks.mkdir()
    (tmp_path / "script.py").write_text(INTERRUPTED)
    proc = subprocess.Popen([sys.executable, str(tmp_path / "script.py"), pool, str(marks),
                             str(tmp_path / "runs")], cwd=ROOT, env=child_env(),
                            start_new_session=True, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while len(list(marks.iterdir())) < 2 and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and err.rstrip().endswith("interrupted"), err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    marked = sorted(m.name.split()[0] for m in marks.iterdir())
    # no item began after Ctrl-C, and the running ones were stopped, not waited for: an
    # item waited for would have ended its 20 s and marked itself finished
    assert marked == ["started", "started"], marked


SPAWNED = r"""
import logging, multiprocessing, sys, time
from pathlib import Path

from complex_auto.cli import setup_logging
from complex_auto.utils import progress, progress_map


A_LOGGED = Path(__file__).with_name("a logged")


def work(item):
    logging.getLogger("complex_auto.worker").info("working on %s", item)
    if item == "a":
        A_LOGGED.touch()
    else:                                   # the error comes after a's message, on any load
        deadline = time.time() + 60
        while not A_LOGGED.exists() and time.time() < deadline:
            time.sleep(0.01)
    with progress(range(1), desc=item):    # a worker's bar, though not drawn there
        time.sleep(0.2 if item == "bad" else 5.0)
    if item == "bad":
        raise ValueError("bad item")
    return item


if __name__ == "__main__":
    multiprocessing.set_start_method("spawn", force=True)
    from complex_auto import utils
    utils.pool_context = multiprocessing.get_context       # macOS's and Windows' default
    setup_logging()
    try:
        progress_map(work, ["bad", "a", "b", "c"], jobs=2)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
"""


def test_spawned_workers_stopped_on_an_error_leave_no_warning(tmp_path):
    """Under spawn (macOS, Windows; forkserver is Linux's default from Python 3.14) a worker's
    first progress bar made tqdm's lock a named semaphore that terminate() left behind: the
    one-line error came with 'There appear to be 2 leaked semaphore objects'. And the workers'
    messages were lost: a spawned worker started without the command's logging."""
    import subprocess

    from .conftest import child_env

    (tmp_path / "script.py").write_text(SPAWNED)
    res = subprocess.run([sys.executable, str(tmp_path / "script.py")], cwd=ROOT,
                         env=child_env(), capture_output=True, text=True, timeout=120)
    assert res.returncode == 1 and res.stderr.strip().splitlines()[-1] == "error: bad item"
    assert "leaked" not in res.stderr and "Traceback" not in res.stderr, res.stderr
    assert "working on bad\n" in res.stderr and "working on a\n" in res.stderr


def _bar_drawn(item):
    return not progress(range(1), desc=item).disable


def test_workers_draw_no_bars():
    """The main process's bar counts the items. A worker's own bar, stopped by another item's
    error, left its first state unfinished in a log ("b:   0%|"), and the one-line error
    continued that line; on a terminal the workers' bars overwrote each other."""
    assert progress_map(_bar_drawn, ["a", "b", "c"], jobs=2) == [False, False, False]
    assert progress_map(_bar_drawn, ["a", "b"], jobs=1) == [True, True]    # no pool: drawn


def test_pools_fork_on_linux_only(monkeypatch):
    """Elsewhere the platform's default: macOS's spawn (forking is unsafe there), Windows'
    spawn (no fork). On Linux the default is fork until Python 3.14 (then forkserver)."""
    import multiprocessing

    from complex_auto import utils

    monkeypatch.setattr(utils.sys, "platform", "linux")
    assert utils.pool_context().get_start_method() == "fork"
    monkeypatch.setattr(multiprocessing, "get_context", lambda method=None: method)
    for platform, method in (("linux", "fork"), ("darwin", None), ("win32", None)):
        monkeypatch.setattr(utils.sys, "platform", platform)
        assert utils.pool_context() == method


def test_a_run_sweeps_the_temporary_files_of_killed_runs(tmp_path, caplog):
    """A killed --overwrite left its temporary matrix (gigabytes) beside complete outputs, and
    the rerun, keeping those, never wrote that file again: the README's promise that a rerun
    deletes them held only for files it redid."""
    import subprocess

    from complex_auto.patterns import extract_run
    from complex_auto.utils import _HOST

    from .test_patterns import make_run

    layout = make_run(tmp_path, ["a.wav"])
    extract_run("r", csv_list="none", bpm=100, root=tmp_path, plot=False)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = [layout.dir / f".a.wav.npy.{_HOST}.{dead.pid}.k2j4h5g1.tmp",
             layout.dir / ".extracted" / f".a.json.{_HOST}.{dead.pid}.x9.tmp"]
    alive = [layout.dir / f".b.npy.{_HOST}.{os.getpid()}.q1.tmp",         # a running process
             layout.dir / f".b.npy.otherhost.{dead.pid}.q2.tmp"]          # another node's
    for f in stale + alive:
        f.write_text("half")
    caplog.set_level(logging.INFO)
    extract_run("r", csv_list="none", bpm=100, root=tmp_path, plot=False)
    assert not any(f.exists() for f in stale) and all(f.exists() for f in alive)
    assert f"deleted 2 temporary files that killed runs left in {layout.dir}" in caplog.text


TERMINATED = r"""
import sys, time
from pathlib import Path

from complex_auto import cli
from complex_auto.utils import atomic_path


def main(args):
    with atomic_path(Path(sys.argv[1]) / "out.npy") as tmp:
        tmp.write_text("half")
        (Path(sys.argv[1]) / "started").touch()
        time.sleep(30)


cli.run(main, cli.argparse.ArgumentParser(), [])
"""


def test_sigterm_ends_a_command_as_ctrl_c_does(tmp_path):
    """A job's time limit (SIGTERM) killed a command without a word, leaving its temporary
    files; it now ends as Ctrl-C does: one line, exit 143, nothing half-written."""
    import subprocess
    import time

    from .conftest import child_env

    (tmp_path / "script.py").write_text(TERMINATED)
    proc = subprocess.Popen([sys.executable, str(tmp_path / "script.py"), str(tmp_path)],
                            cwd=ROOT, env=child_env(), stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not (tmp_path / "started").exists() and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143 and err == "terminated\n", err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["script.py", "started"]
