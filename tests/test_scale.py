"""Long recordings and large collections: block-wise matrices, memory limits, shards."""
import itertools
import json
import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf

from complex_auto import nf14_stream
from complex_auto.config import load_config
from complex_auto.errors import ComplexAutoError, DataError
from complex_auto.layout import RunLayout
from complex_auto.memory import MAX_MEMORY_ENV, MemoryLimitError, format_size, parse_size
from complex_auto.nf14 import find_segments, group_patterns, pattern_scores
from complex_auto.selfsim import (convolve_same, cosine_distances, diagonal_kernel,
                                  self_similarity, write_self_similarity, zero_band)
from complex_auto.shards import outputs_complete, parse_shard, shard_range
from complex_auto.utils import load_pyc_bz

from .conftest import JKU_AUDIO, excerpt, run_cli, run_script, write_filelist
from .test_convert import check_error, save_random_model


def whole_matrix(features):
    """DESIGN.md §7 on the whole matrix at once (the implementation before it went block-wise)."""
    d = cosine_distances(features)
    n = len(d)
    padded = np.full((n + 9, n + 9), d.max())
    padded[:n, :n] = d
    sim = zero_band(1.0 / (padded + 1e-6))
    sim = zero_band(convolve_same(sim, diagonal_kernel()))
    return (sim - sim.min()) / (sim.max() - sim.min())


def repeating_features(n, dims=6, seed=0):
    g = np.random.default_rng(seed)
    f = np.abs(g.standard_normal((n, dims)))
    f[n // 2:n // 2 + n // 5] = f[n // 8:n // 8 + n // 5]      # an exact repeat: d = 0
    return f


@pytest.mark.parametrize("n", [1, 4, 5, 13, 150])
def test_blocks_equal_whole(n, tmp_path):
    f = repeating_features(n)
    ref = whole_matrix(f)
    for rows in (1, 7, 64, 10 ** 6):
        np.testing.assert_allclose(self_similarity(f, block_rows=rows), ref, rtol=0, atol=1e-12)
    for (dtype, atol), upper, rows in itertools.product(
            ((np.float64, 1e-12), (np.float32, 2e-7), (np.float16, 2 ** -11)), (False, True),
            (3, 7, 10 ** 6)):
        view = write_self_similarity(f, tmp_path / "m.npy", dtype=dtype, block_rows=rows,
                                     view_pixels=40, threads=2, upper=upper)
        m = np.load(tmp_path / "m.npy")
        assert m.dtype == dtype and m.shape == ref.shape
        np.testing.assert_allclose(m, ref, rtol=0, atol=atol)
        if upper:                       # mirrored, so exactly symmetric
            assert np.array_equal(m, m.T)
        k = -(-len(m) // 40)
        cut = len(m) // k * k
        np.testing.assert_allclose(
            view, ref[:cut, :cut].reshape(cut // k, k, cut // k, k).mean(axis=(1, 3)), atol=atol)


def test_sizes_and_shards_parse():
    assert parse_size("2G") == 2 * 2 ** 30 and parse_size("512m") == 512 * 2 ** 20
    assert parse_size("1.5GiB") == int(1.5 * 2 ** 30) and parse_size("1000") == 1000
    assert parse_size("64k") == 65536 and parse_size("1T") == 2 ** 40     # binary units all
    assert format_size(1.6 * 2 ** 30) == "1.6 GB"
    for bad, why in (("0", "must be positive"), ("-2G", "must be positive"),
                     ("lots", "not a size"), ("nan", "must be positive and finite"),
                     ("inf", "must be positive and finite")):
        with pytest.raises(ComplexAutoError, match=rf"{MAX_MEMORY_ENV}='{bad}': {why}"):
            parse_size(bad)
    assert parse_shard("3/8") == (3, 8) and parse_shard(" 1 / 1 ") == (1, 1)
    for bad in ("0/4", "5/4", "a/b", "3", "-1/2"):
        with pytest.raises(ComplexAutoError, match="K/N"):
            parse_shard(bad)
    for n_items in (0, 1, 7, 100):
        for parts in (1, 3, 4, 11):
            seen = [i for k in range(1, parts + 1) for i in shard_range(n_items, (k, parts))]
            assert seen == list(range(n_items))       # each item in exactly one part, in order


def test_outputs_are_complete_only_when_all_exist_and_none_is_older_than_an_input(tmp_path):
    import os

    out_a, out_b, model = tmp_path / "a.npy", tmp_path / "b.npy", tmp_path / "model.save"
    for p, t in ((out_a, 100), (model, 200), (out_b, 300)):
        p.write_text("x")
        os.utime(p, (t, t))
    # a.npy was written before the model changed: stale, though b.npy is newer than it
    assert not outputs_complete([out_a, out_b], [model])
    assert outputs_complete([out_b], [model])
    os.utime(out_a, (250, 250))
    assert outputs_complete([out_a, out_b], [model])
    assert outputs_complete([out_a, out_b], [model, tmp_path / "gone.ini"])   # no input: no age
    assert not outputs_complete([out_a, tmp_path / "missing.npy"], [model])
    assert not outputs_complete([], [model])


# -- a recording whose matrix exceeds a memory cap -------------------------------------------

@pytest.fixture(scope="module")
def long_wav(tmp_path_factory):
    """60 s of synthetic music: a 10 s phrase of tones over noise, repeated with variations."""
    sr = 22050
    g = np.random.default_rng(0)
    t = np.arange(10 * sr) / sr
    phrase = sum(np.sin(2 * np.pi * f0 * t) * (((t * 2) % 1) < 0.6 * (k + 1) / 4)
                 for k, f0 in enumerate((220.0, 277.2, 329.6, 440.0)))
    y = np.concatenate([phrase * (0.8 + 0.2 * g.random()) + 0.05 * g.standard_normal(len(t))
                        for _ in range(6)]).astype(np.float32)
    path = tmp_path_factory.mktemp("long") / "long.wav"
    sf.write(path, y / np.abs(y).max(), sr)
    return path


def test_matrix_over_the_cap_is_made_block_by_block_or_refused(in_tmp, long_wav, tiny_config,
                                                               monkeypatch, capsys):
    cfg = load_config(tiny_config)
    save_random_model(cfg, in_tmp / "m.save")
    flist = write_filelist(in_tmp / "list.txt", [long_wav])
    args = ("--model", "m.save", "--self-sim-matrix", "-j", "1")

    # 3 MB: less than the whole matrix (~670 rows, 3.6 MB in float64), more than a block.
    monkeypatch.setenv(MAX_MEMORY_ENV, "3M")
    code, err = run_script("convert.py", "capped", flist, tiny_config, *args, capsys=capsys)
    assert code == 0, err
    layout = RunLayout("capped")
    feats = load_pyc_bz(layout.features("long.wav"))[0]
    m = np.load(layout.matrix("long.wav"))
    assert m.nbytes > parse_size("3M") and len(m) == len(feats) + 9
    with pytest.raises(MemoryLimitError, match=f"needs .* of memory .*{MAX_MEMORY_ENV}"):
        self_similarity(feats)                 # the whole matrix in memory: refused
    monkeypatch.delenv(MAX_MEMORY_ENV)
    np.testing.assert_allclose(m, self_similarity(feats), rtol=0, atol=1e-12)

    # 1 MB: not even one block; stops before converting anything, with one line.
    monkeypatch.setenv(MAX_MEMORY_ENV, "1M")
    code, err = run_script("convert.py", "tiny", flist, tiny_config, *args, capsys=capsys)
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: long.wav: its self-similarity")
    assert "needs" in err and "1.0 MB is available" in err and MAX_MEMORY_ENV in err
    assert not list(RunLayout("tiny").dir.glob("*long*"))


# -- collections: shards, merge, resume -------------------------------------------------------

@pytest.fixture(scope="module")
def collection(tmp_path_factory):
    """Seven short recordings (one too short for a window) and their list, with tempi."""
    d = tmp_path_factory.mktemp("coll")
    paths = []
    for k, (name, start) in enumerate([("wtc2f20-poly", 0), ("silverswan-poly", 3),
                                       ("sonata01-3-poly", 0), ("mazurka24-4-poly", 2),
                                       ("sonata04-2-poly", 1), ("wtc2f20-poly", 9)]):
        p = d / f"r{k}-{name}.wav"
        sf.write(p, excerpt(JKU_AUDIO / f"{name}.mp3", 3 + k % 3, start=start), 22050)
        paths.append(p)
    short = d / "r9-short.wav"
    sf.write(short, 0.1 * np.random.default_rng(9).standard_normal(2000).astype(np.float32),
             22050)                     # too short, not silent (which is said as well)
    paths.insert(3, short)
    lst = d / "list.txt"
    lst.write_text("".join(f"{p}\t{100 + k}\n" if k % 2 else f"{p}\n"
                           for k, p in enumerate(paths)))
    return lst, paths


def run_folder_bytes(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def convert(run_dir, monkeypatch, capsys, *args):
    monkeypatch.chdir(run_dir)
    return run_script("convert.py", "coll", *args, capsys=capsys)


# librosa warns that the lowest octaves of the collection's 0.09 s recording (the one too short
# for a window) are shorter than its FFT: expected
@pytest.mark.filterwarnings("ignore:n_fft=.* is too large for input signal:UserWarning")
def test_shards_and_merge_equal_one_run_and_resume(tmp_path, collection, tiny_config,
                                                   monkeypatch, capsys):
    lst, paths = collection
    cfg = load_config(tiny_config)
    common = (lst, tiny_config, "--model", "m.save", "--self-sim-matrix", "-j", "1")
    one, sharded = tmp_path / "one", tmp_path / "sharded"
    for d in (one, sharded):
        d.mkdir()
        save_random_model(cfg, d / "m.save")
    assert convert(one, monkeypatch, capsys, *common)[0] == 0
    expected = run_folder_bytes(one / "output" / "coll")
    assert "r9-short.wav.npy" not in expected and len(expected) == 6 * 3 + 2

    for k in (1, 2):
        code, err = convert(sharded, monkeypatch, capsys, *common, "--shard", f"{k}/3")
        assert code == 0, err
    folder = sharded / "output" / "coll"
    assert not (folder / "ss_matrices_filelist.txt").exists()    # lists only from --merge
    # extraction before the merge says what is missing: the merge, not a conversion
    monkeypatch.chdir(sharded)
    code, err = run_script("extract_motives.py", "coll", "--bpm", "120", capsys=capsys)
    assert code == 1 and "--merge writes" in err and "make the matrices first" not in err, err
    code, err = convert(sharded, monkeypatch, capsys, *common, "--merge")
    assert code == 1 and "3 of 7 listed files have no complete outputs" in err
    assert len(err.strip().splitlines()) == 1
    # a part run without --self-sim-matrix: "run their shards again" skipped every file, and
    # the merge failed again, for good
    nomatrix = tuple(a for a in common if a != "--self-sim-matrix")
    assert convert(sharded, monkeypatch, capsys, *nomatrix, "--shard", "3/3")[0] == 0
    code, err = convert(sharded, monkeypatch, capsys, *common, "--merge")
    assert code == 1 and err.strip().endswith("run their shards again with --self-sim-matrix, "
                                              "as the others were"), err
    assert "listed files have no self-similarity matrix" in err

    # Shard 3 was killed while writing its first matrix: a partial temporary file, no .npy.
    code, err = convert(sharded, monkeypatch, capsys, *common, "--shard", "3/3")
    assert code == 0, err
    victim = paths[5].name
    (folder / f"{victim}.npy").unlink()
    (folder / f"{victim}.png").unlink()
    from complex_auto.utils import _HOST

    gone = subprocess.Popen(["true"])
    gone.wait()                                  # the killed writer: its PID runs no more
    partial = folder / f".{victim}.npy.{_HOST}.{gone.pid}.x1y2z3.tmp"
    elsewhere = folder / f".{victim}.npy.other-node.{gone.pid}.x1y2z3.tmp"
    for tmp in (partial, elsewhere):
        tmp.write_bytes(b"\x93NUMPY partial")
    kept = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    code, err = convert(sharded, monkeypatch, capsys, *common, "--shard", "3/3")
    assert code == 0, err
    assert "2 of 3 files already converted" in err
    for name, mtime in kept.items():                             # only the victim was redone
        if not name.startswith(victim) and not name.startswith("."):
            assert (folder / name).stat().st_mtime_ns == mtime, name
    assert not partial.exists() and elsewhere.exists()     # another host's file is its own
    elsewhere.unlink()
    code, err = convert(sharded, monkeypatch, capsys, *common, "--merge", "--shard", "2/3")
    assert code == 0 and "--shard: no effect with --merge" in err, err     # was silent
    assert run_folder_bytes(folder) == expected                 # byte for byte

    # --overwrite redoes the files of its part.
    before = (folder / f"{paths[0].name}_repres.pyc.bz").stat().st_mtime_ns
    assert convert(sharded, monkeypatch, capsys, *common, "--shard", "1/3",
                   "--overwrite")[0] == 0
    assert (folder / f"{paths[0].name}_repres.pyc.bz").stat().st_mtime_ns > before

    # Extraction in two shards equals one run; a piece whose outputs were lost is redone.
    ext = ("--bpm", "120", "-csv", "none", "--no-report")
    monkeypatch.chdir(one)
    assert run_script("extract_motives.py", "coll", *ext, capsys=capsys)[0] == 0
    expected = run_folder_bytes(one / "output" / "coll")
    monkeypatch.chdir(sharded)
    for k in (1, 2):
        code, err = run_script("extract_motives.py", "coll", *ext, "--shard", f"{k}/2",
                               capsys=capsys)
        assert code == 0, err
    assert run_folder_bytes(folder) == expected
    lost = folder / f"{paths[0].name.split('.')[0]}.segraw"
    lost.unlink()
    code, err = run_script("extract_motives.py", "coll", *ext, "--shard", "1/2", capsys=capsys)
    assert code == 0 and "2 of 3 pieces already extracted" in err, err
    assert "other settings" not in err                  # the other part's are the same
    assert run_folder_bytes(folder) == expected

    # A part extracted again with another method: extraction.json names the last command's,
    # and the report labelled every piece with it; now it says the pieces differ.
    code, err = run_script("extract_motives.py", "coll", *ext, "--shard", "2/2", "--method",
                           "families", capsys=capsys)
    assert code == 0, err
    assert "3 pieces outside part 2/2 were extracted with other settings than this part's " \
           "(first: r0-wtc2f20-poly)" in err, err                  # said when it happens
    from complex_auto.report import build_report

    build_report("coll", csv_list="none", bpm=120)
    index = (folder / "report" / "index.html").read_text()
    mixed = index.split("not all extracted alike (")[1].split(")")[0]
    assert mixed.startswith("method: nf14 for ") and "; families for " in mixed, mixed
    assert "method families" not in index                  # the run-wide label is dropped


@pytest.mark.filterwarnings("ignore:n_fft=.* is too large for input signal:UserWarning")
def test_a_shard_rerun_with_other_settings_keeps_nothing_and_merge_checks(
        tmp_path, collection, tiny_config, monkeypatch, capsys):
    # Shards write no conversion.json, so a shard run again with --step-size 2 kept the
    # step-1 outputs as "already converted", and --merge listed them as step 2 without a word.
    lst, paths = collection
    save_random_model(load_config(tiny_config), tmp_path / "m.save")
    common = (lst, tiny_config, "--model", "m.save", "--self-sim-matrix", "-j", "1")
    folder = tmp_path / "output" / "coll"
    for k in (1, 2, 3):
        assert convert(tmp_path, monkeypatch, capsys, *common, "--shard", f"{k}/3")[0] == 0
    step1 = load_pyc_bz(folder / f"{paths[0].name}_repres.pyc.bz")
    code, err = convert(tmp_path, monkeypatch, capsys, *common, "--merge", "--step-size", "2")
    check_error(code, err, "7 listed files were not converted as this merge says",
                f"{paths[0]}: other settings", "run their shards again")
    assert not (folder / "conversion.json").exists()
    code, err = convert(tmp_path, monkeypatch, capsys, *common, "--shard", "1/3",
                        "--step-size", "2")
    assert code == 0 and "already converted" not in err, err
    assert "2 files (" in err and "were made with other settings" in err, err
    assert "matrices listed" not in err                 # a shard writes no list
    step2 = load_pyc_bz(folder / f"{paths[0].name}_repres.pyc.bz")
    assert step2.shape[1] == (step1.shape[1] + 1) // 2
    code, err = convert(tmp_path, monkeypatch, capsys, *common, "--merge", "--step-size", "2")
    check_error(code, err, "were not converted as this merge says",
                f"{paths[2]}: other settings")          # shard 2 is still at step 1
    for k in (2, 3):
        assert convert(tmp_path, monkeypatch, capsys, *common, "--shard", f"{k}/3",
                       "--step-size", "2")[0] == 0
    assert convert(tmp_path, monkeypatch, capsys, *common, "--merge", "--step-size", "2")[0] == 0
    assert json.loads((folder / "conversion.json").read_text())["step"] == 2


@pytest.mark.filterwarnings("ignore:n_fft=.* is too large for input signal:UserWarning")
def test_an_interrupted_extraction_with_other_settings_keeps_nothing(
        tmp_path, collection, tiny_config, monkeypatch, capsys):
    # extract_motives.py writes extraction.json before its pieces: Ctrl-C (or a kill) during
    # a --method families run left nf14's outputs beside a record saying families, and the
    # rerun kept all of them as "already extracted"
    from complex_auto import patterns

    lst, paths = collection
    save_random_model(load_config(tiny_config), tmp_path / "m.save")
    assert convert(tmp_path, monkeypatch, capsys, lst, tiny_config, "--model", "m.save",
                   "--self-sim-matrix", "-j", "1")[0] == 0
    folder = tmp_path / "output" / "coll"
    ext = ("extract_motives.py", "coll", "--bpm", "120", "-csv", "none", "--no-report",
           "-j", "1")
    assert run_script(*ext, capsys=capsys)[0] == 0
    pieces = [p.name.split(".")[0] for p in folder.glob("*.patterns.csv")]
    assert len(pieces) == 6

    def made_by():
        return {json.loads((folder / ".extracted" / f"{p}.json").read_text())["method"]
                for p in pieces}

    assert made_by() == {"nf14"}

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(patterns, "extract_piece", interrupted)
        code, _ = run_script(*ext, "--method", "families", capsys=capsys)
    assert code != 0 and json.loads((folder / "extraction.json").read_text())["method"] == \
        "families"
    code, err = run_script(*ext, "--method", "families", capsys=capsys)
    assert code == 0 and "already extracted" not in err, err
    assert made_by() == {"families"}                  # every piece redone
    resumed = run_folder_bytes(folder)
    assert run_script(*ext, "--method", "families", "--overwrite", capsys=capsys)[0] == 0
    assert resumed == run_folder_bytes(folder)
    # the same command again keeps them; a finished piece of a killed run is kept too
    (folder / "extraction.json").unlink()
    code, err = run_script(*ext, "--method", "families", capsys=capsys)
    assert code == 0 and "6 of 6 pieces already extracted" in err, err


def stored_matrix(folder, X):
    """``X`` saved as ``folder/m.npy`` and mapped back, as the nf14 file search reads it."""
    np.save(folder / "m.npy", X)
    return np.load(folder / "m.npy", mmap_mode="r")


def assert_file_search_as_in_memory(stored, min_dur, th, windows, step=0.001):
    """The file search, through windows of each of ``windows`` rows, returns the segments and
    threshold of :func:`find_segments` on the median-subtracted matrix; returns those."""
    X64 = np.array(stored, dtype=np.float64)
    expected = find_segments(X64 - np.median(X64), min_dur, th, step=step)
    for rows in windows:
        got = nf14_stream.find_segments_file(stored, min_dur, th, step,
                                             window_bytes=8 * len(stored) * rows)
        assert np.array_equal(got[0], expected[0]) and got[1] == expected[1], rows
    return expected


@pytest.mark.parametrize("seed", range(6))
def test_nf14_search_from_the_file_equals_the_search_in_memory(seed, tmp_path, monkeypatch):
    monkeypatch.setattr(nf14_stream, "MEDIAN_SORT", 50)     # several passes for the median
    g = np.random.default_rng(seed)
    n = int(g.integers(40, 260))
    X = self_similarity(repeating_features(n, seed=seed))
    for dtype in (np.float64, np.float32, np.float16):
        stored = stored_matrix(tmp_path, X.astype(dtype))
        assert nf14_stream.exact_median(stored) == np.median(np.array(stored, np.float64))
        min_dur, th = int(g.integers(3, 30)), float(g.choice([0.0105, 0.05, 0.3]))
        # windows of rows, down to the smallest
        assert_file_search_as_in_memory(stored, min_dur, th, (2, 5, 40, 10 ** 4))


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_exact_median_of_signed_values_and_ties_at_a_bins_edge(dtype, tmp_path, monkeypatch):
    """``np.median`` of any matrix: values below zero (ordered by their bit patterns, sign
    flipped), and a value repeated so often that it is the median, whose bit pattern ends in
    ones (the largest float below 1): the last key of every histogram bin that holds it."""
    monkeypatch.setattr(nf14_stream, "MEDIAN_SORT", 50)
    g = np.random.default_rng(7)
    top = np.nextafter(dtype(1), dtype(0))
    for X in (g.standard_normal((61, 61)) * 3,                       # odd count, signed
              -np.abs(g.standard_normal((40, 40))),                  # even count, all negative
              np.where(g.random((50, 50)) < 0.6, top, g.standard_normal((50, 50)))):
        stored = stored_matrix(tmp_path, X.astype(dtype))
        assert nf14_stream.exact_median(stored) == np.median(np.array(stored, np.float64))


@pytest.mark.parametrize("seed", range(3))
def test_nf14_search_from_the_file_equals_the_search_in_memory_below_zero(seed, tmp_path):
    """Signed values and a negative threshold: an erased cell (0 after the median) is then
    above the threshold, so a search starts on it and runs along the erased band past the
    window, where every value read from the file must be the erased one."""
    g = np.random.default_rng(seed)
    n = int(g.integers(60, 120))
    X = 4 * self_similarity(repeating_features(n, seed=seed)) - 1
    # cells far below the median stop every diagonal that meets them, except on an erased
    # band, where they read 0
    holes = np.where(g.random((n, n)) < 0.2, -5.0, 0.1 * g.standard_normal((n, n)))
    for X, dtype in itertools.product((X, holes), (np.float64, np.float16)):
        min_dur, th = int(g.integers(3, 12)), -float(g.uniform(0.01, 0.2))
        expected = assert_file_search_as_in_memory(stored_matrix(tmp_path, X.astype(dtype)),
                                                   min_dur, th, (2, 3, 7))
        assert len(expected[0])


def test_nf14_search_from_the_file_lowers_a_threshold_above_every_value_as_in_memory(tmp_path):
    X = self_similarity(repeating_features(90, seed=3))
    th = float(X.max() - np.median(X)) + 0.3         # several passes find nothing
    expected = assert_file_search_as_in_memory(stored_matrix(tmp_path, X), 8, th, (5,),
                                               step=0.07)
    assert expected[1] < th - 0.3 and len(expected[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_pattern_scores_from_the_file_equal_those_in_memory(dtype, tmp_path):
    X = self_similarity(repeating_features(150, seed=5)).astype(dtype)
    stored = stored_matrix(tmp_path, X)
    patterns = group_patterns(find_segments(X - np.median(X), 5, 0.05)[0], 3)
    # and segments of every kind by hand: below the diagonal, one frame, empty, the last row
    patterns += [np.array([[0, 0, 0, 0], [3, 40, 60, 97], [100, 140, 5, 45], [7, 8, 9, 10]]),
                 np.array([[0, 0, 0, 0], [20, 20, 30, 30]]),
                 np.array([[0, 0, 0, 0], [120, 150, 0, 30]])]
    expected = pattern_scores(X, patterns)
    for read_bytes in (1, 7 * 150 * X.itemsize, 2 ** 26):   # a row a block, 7 rows, all
        assert nf14_stream.pattern_scores_file(stored, patterns, read_bytes) == expected


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nf14_search_from_the_file_refuses_a_value_that_is_not_finite(bad, tmp_path):
    X = self_similarity(repeating_features(60, seed=2))
    X[50, 3] = bad                                      # in a row that enters the window late
    with pytest.raises(DataError, match="NaN or infinite"):
        nf14_stream.search_pass_file(stored_matrix(tmp_path, X), 0.5, 5, 0.05, 4)


def test_nf14_search_over_the_cap_reads_the_file_or_is_refused(in_tmp, monkeypatch, capsys):
    def extract(run):
        code, err = run_script("extract_motives.py", run, "--bpm", "120", "--no-report",
                               "-csv", "none", "--overwrite", capsys=capsys)
        return code, err, [line for line in err.splitlines() if line.startswith("error:")]

    big = RunLayout("big").make()
    np.save(big.matrix("big.wav"), self_similarity(repeating_features(1500, seed=4)))
    big.matrix_list.write_text(f"{big.matrix('big.wav')}\n")
    code, err, _ = extract("big")                       # in memory: needs 28 bytes a cell
    assert code == 0 and "searched from the file" not in err
    expected = run_folder_bytes(big.dir)
    monkeypatch.setenv(MAX_MEMORY_ENV, "45M")           # < 28 x 1509^2 = 61 MB
    code, err, _ = extract("big")
    assert code == 0 and "searched from the file" in err, err
    assert run_folder_bytes(big.dir) == expected and big.segraw("big").stat().st_size > 20

    # two pieces at a time (-j 2) share the cap: each planned with all of it, and together
    # they went over it (10.2 GB under a 9 GB cap on two hour-long matrices)
    shutil.copy(big.matrix("big.wav"), big.matrix("twin.wav"))
    big.matrix_list.write_text(f"{big.matrix('big.wav')}\n{big.matrix('twin.wav')}\n")
    monkeypatch.setenv(MAX_MEMORY_ENV, "100M")          # one search of 61 MB fits, two do not
    for jobs, streamed in (("1", 0), ("2", 2)):
        res = run_cli("extract_motives.py", "big", "--bpm", "120", "--no-report", "-csv",
                      "none", "--overwrite", "-j", jobs, cwd=in_tmp)
        assert res.returncode == 0 and res.stderr.count("searched from the file") == streamed, \
            res.stderr

    small = RunLayout("small").make()
    np.save(small.matrix("small.wav"), self_similarity(repeating_features(300)))
    small.matrix_list.write_text(f"{small.matrix('small.wav')}\n")
    monkeypatch.setenv(MAX_MEMORY_ENV, "1M")
    code, err, errors = extract("small")
    assert code == 1 and len(errors) == 1 and "Traceback" not in err
    assert errors[0].startswith("error: small: the nf14 search of its 309x309 matrix needs ")
    assert "--method families" in errors[0] and not small.segraw("small").exists()


def test_long_matrices_are_stored_compactly_and_computed_once_per_pair(tmp_path, monkeypatch):
    from complex_auto import selfsim

    assert [selfsim.storage_dtype(n) for n in (8192, 8193, 32768, 32769)] == \
        [np.float64, np.float32, np.float32, np.float16]
    f = repeating_features(120, seed=3)
    calls = []
    real = selfsim._smoothed_rows
    monkeypatch.setattr(selfsim, "_smoothed_rows",
                        lambda fn, r0, r1, pad, c0=0: calls.append(c0) or real(fn, r0, r1, pad, c0))
    monkeypatch.setattr(selfsim, "FLOAT64_MAX_SIZE", 100)     # 129 rows count as long
    monkeypatch.setattr(selfsim, "FLOAT32_MAX_SIZE", 100)
    write_self_similarity(f, tmp_path / "m.npy", block_rows=16)
    m = np.load(tmp_path / "m.npy")
    assert m.dtype == np.float16 and np.array_equal(m, m.T)
    np.testing.assert_allclose(m, whole_matrix(f), rtol=0, atol=2 ** -11)
    assert calls[:-1] == list(range(0, len(f) - 4, 16)) and calls[-1] == 0


@pytest.mark.parametrize("n, factor", [(103, 4), (100, 5), (61, 7)])
def test_picture_pooled_in_bands_equals_the_whole_matrix_pooled(n, factor):
    """The picture of a long recording's matrix is max-pooled a band of rows at a time; every
    band is wider than tall, and the result must be the pooling of the whole matrix."""
    from complex_auto.display import _max_pool_bands

    X = np.random.default_rng(n).random((n, n)).astype(np.float32)
    cells = -(-n // factor)
    # the reference, one block at a time: max over rows [i*f, (i+1)*f) and columns alike
    want = np.array([[X[i * factor:(i + 1) * factor, j * factor:(j + 1) * factor].max()
                      for j in range(cells)] for i in range(cells)])
    row_bytes = 4 * n
    for rows_per_band in (factor, 2 * factor, n):      # several bands, then one
        got = _max_pool_bands(X, factor, band_bytes=rows_per_band * row_bytes)
        np.testing.assert_array_equal(got, want)
