"""Data-parallel training with ``torchrun`` (complex_auto/distributed.py) on 2 CPU processes."""
import logging
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
import torch

from complex_auto import distributed
from complex_auto.distributed import SINGLE, Context
from complex_auto.layout import RunLayout

from .conftest import JKU_AUDIO, ROOT, child_env, excerpt, run_script, write_config, write_filelist


def test_parts_cover_a_batch_once():
    for n in (1, 2, 7, 100, 101):
        for world in (1, 2, 3, 8):
            parts = [Context(r, world).part(n) for r in range(world)]
            assert parts[0][0] == 0 and parts[-1][1] == n
            assert all(a[1] == b[0] for a, b in zip(parts, parts[1:]))
            sizes = [hi - lo for lo, hi in parts]
            assert max(sizes) - min(sizes) <= 1
    assert SINGLE.part(37) == (0, 37) and SINGLE.main and not SINGLE.active


def test_setup_reads_the_rank_and_takes_the_gpu_of_its_machine(monkeypatch):
    # the second process on the second of two machines of 2 GPUs each, as torchrun describes
    # it; the group counts as joined already, so that no rendezvous is awaited
    import torch.distributed as dist

    monkeypatch.setattr(dist, "is_initialized", lambda: True)
    gpus = []
    monkeypatch.setattr(torch.cuda, "set_device", gpus.append)
    for name, value in (("RANK", "3"), ("WORLD_SIZE", "4"), ("LOCAL_RANK", "1")):
        monkeypatch.setenv(name, value)
    logger = logging.getLogger("complex_auto")
    level = logger.level
    try:
        context, device = distributed.setup(torch.device("cuda"))
        assert context == Context(3, 4, 1) and context.active and not context.main
        assert gpus == [1] and device == torch.device("cuda", 1)     # GPU 1 of its machine
        assert logger.level == logging.ERROR       # only rank 0 reports, warnings too
        logger.setLevel(level)
        # rank 0, on CPUs: its device as asked, its messages all kept
        monkeypatch.setenv("RANK", "0")
        monkeypatch.setenv("LOCAL_RANK", "0")
        context, device = distributed.setup(torch.device("cpu"))
        assert context == Context(0, 4, 0) and context.main
        assert device == torch.device("cpu") and gpus == [1] and logger.level == level
    finally:
        logger.setLevel(level)


@pytest.fixture
def signal_run(in_tmp):
    """A 1-D signal config on a real 6 s excerpt: cheap pairs, no dropout (see below)."""
    sf.write(in_tmp / "a.wav", excerpt(JKU_AUDIO / "wtc2f20-poly.mp3", 6), 22050)
    flist = write_filelist(in_tmp / "list.txt", [in_tmp / "a.wav"])
    # 431 pairs in batches of 100: the last batch (31) splits unevenly over 2 ranks, which the
    # loss weighting must handle. Dropout 0: each rank draws its own dropout masks, so with
    # dropout the two runs would differ by design.
    cfg = write_config(in_tmp / "sig.ini", base=ROOT / "config_signal1D.ini",
                       samples_epoch=431, batch_size=100, epochs=2, n_bases=8,
                       length_ngram=64, shifts=(8, -1), plot_interval=100, cache_dir="cache",
                       dropout=0.0)
    return flist, cfg


def test_torchrun_two_cpu_processes_resume_and_match_one_process(signal_run, capsys):
    flist, cfg = signal_run
    code, err = run_script("train.py", "one", flist, cfg, "--device", "cpu", capsys=capsys)
    assert code == 0, err
    # Epoch 1 in this process, then epoch 2 resumed from its checkpoint by two processes.
    code, err = run_script("train.py", "two", flist, cfg, "--device", "cpu", "--epochs", "1",
                           capsys=capsys)
    assert code == 0, err
    env = child_env(OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                           "--nproc_per_node", "2", str(ROOT / "train.py"), "two", str(flist),
                           str(cfg), "--device", "cpu", "--resume"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "2 processes" in proc.stderr and "resuming from" in proc.stderr
    assert proc.stderr.count("model: output/two/") == 1          # rank 0 alone reports

    one, two = RunLayout("one"), RunLayout("two")
    log_one = np.loadtxt(one.train_log, delimiter=",", skiprows=1)
    log_two = np.loadtxt(two.train_log, delimiter=",", skiprows=1)
    assert log_two[:, 0].tolist() == [1, 2]
    # Same pairs, same start, gradients averaged over the two halves of every batch: the
    # runs differ only by float32 rounding of sums taken in another order (~1e-7 relative
    # per step, over 10 Adam steps), hence these tolerances, far below the change one
    # epoch makes (checked below).
    np.testing.assert_allclose(log_two[:, 1:3], log_one[:, 1:3], rtol=1e-5)
    w1 = torch.load(one.model("signal"), weights_only=True)["layer.weight"]
    w2 = torch.load(two.model("signal"), weights_only=True)["layer.weight"]
    assert torch.allclose(w1, w2, atol=1e-5), (w1 - w2).abs().max()
    ckpt = torch.load(two.checkpoint("signal"), weights_only=False)
    assert ckpt["epoch"] == 2
    epoch1 = torch.load(one.checkpoint("signal"), weights_only=False)["history"][0]
    assert abs(log_one[1, 1] - epoch1["train_loss"]) > 100 * 1e-5 * log_one[1, 1]


def _listening_port():
    """A free port below the kernel's range for outgoing connections: a port from bind(0),
    closed and bound again by torchrun seconds later, comes from that range, where any
    process's next connection could take it meanwhile (the rendezvous then waits for good)."""
    import random
    import socket
    from pathlib import Path

    ranges = Path("/proc/sys/net/ipv4/ip_local_port_range")
    low = int(ranges.read_text().split()[0]) if ranges.exists() else 32768
    for port in random.Random().sample(range(low // 2, low), 200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError(f"no free port between {low // 2} and {low}")


def test_torchrun_two_nodes_by_rendezvous_match_one_process(signal_run, capsys):
    # Two "machines": two torchrun launchers, one process each, meeting through the c10d
    # rendezvous of the README's multi-node command (here both on localhost).
    flist, cfg = signal_run
    code, err = run_script("train.py", "one", flist, cfg, "--device", "cpu", capsys=capsys)
    assert code == 0, err
    port = _listening_port()
    env = child_env(OMP_NUM_THREADS="1")
    nodes = [subprocess.Popen([sys.executable, "-m", "torch.distributed.run", "--nnodes", "2",
                               "--nproc_per_node", "1", "--rdzv-backend", "c10d",
                               "--rdzv-endpoint", f"127.0.0.1:{port}", "--rdzv-id", "test",
                               str(ROOT / "train.py"), "nodes", str(flist), str(cfg),
                               "--device", "cpu"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    errs = [node.communicate(timeout=300)[1] for node in nodes]
    assert [node.returncode for node in nodes] == [0, 0], errs[0][-2000:] + errs[1][-2000:]
    assert sum("2 processes" in e for e in errs) == 1               # rank 0 alone reports
    one, nodes_run = RunLayout("one"), RunLayout("nodes")
    np.testing.assert_allclose(np.loadtxt(nodes_run.train_log, delimiter=",", skiprows=1)[:, 1:3],
                               np.loadtxt(one.train_log, delimiter=",", skiprows=1)[:, 1:3],
                               rtol=1e-5)
    w1 = torch.load(one.model("signal"), weights_only=True)["layer.weight"]
    w2 = torch.load(nodes_run.model("signal"), weights_only=True)["layer.weight"]
    assert torch.allclose(w1, w2, atol=1e-5), (w1 - w2).abs().max()
