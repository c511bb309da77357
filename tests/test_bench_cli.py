"""The benchmarks that take a data set folder or a run: bad input is one line, exit 1, no files."""
import shutil
import sys

import numpy as np
import pytest

from .conftest import ROOT, run_cli


def bench(script, *args):
    return run_cli(f"bench/{script}", *args, cwd=ROOT)


def one_line_error(proc, *words):
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    for word in words:
        assert word in lines[0], lines[0]


def bad_folder(tmp_path, layout):
    """A data set folder named uniquely, holding the files of ``layout`` (name -> text)."""
    folder = tmp_path / f"set_{tmp_path.name}"
    (folder / "groundtruth").mkdir(parents=True)
    for name, text in layout.items():
        (folder / name).write_text(text)
    return folder


@pytest.mark.parametrize("script", ["discovery.py", "score_features.py", "sensitivity.py"])
@pytest.mark.parametrize("case", ["missing", "no lists", "empty list", "missing audio"])
def test_a_folder_that_is_not_a_data_set(tmp_path, script, case):
    if case == "missing":
        folder, words = tmp_path / f"nowhere_{tmp_path.name}", ("nowhere", "no such folder")
    elif case == "no lists":
        folder = bad_folder(tmp_path, {"csv_files.txt": ""})
        words = (str(folder), "no input_audio.txt")
    elif case == "empty list":
        folder = bad_folder(tmp_path, {"input_audio.txt": "\n", "csv_files.txt": ""})
        words = ("input_audio.txt: file list is empty",)
    else:
        folder = bad_folder(tmp_path, {"input_audio.txt": "a.wav\t120\n",
                                       "csv_files.txt": "csv/a.csv\n"})
        (folder / "csv").mkdir()
        (folder / "csv" / "a.csv").write_text("0,60,60,1,0\n")
        words = ("input_audio.txt, line 1", "'a.wav' does not exist")
    one_line_error(bench(script, folder), *words)
    # nothing written for it under output/
    assert not list((ROOT / "output").glob(f"bench_*{folder.name}*"))


@pytest.mark.parametrize("script, option", [("discovery.py", ("--notes", "melody")),
                                            ("score_features.py", ("--melody",))])
def test_a_melody_needs_durations_and_is_refused_before_any_conversion(tmp_path, script, option):
    folder = bad_folder(tmp_path, {"input_audio.txt": "a.wav\t120\n",
                                   "csv_files.txt": "csv/a.csv\n"})
    (folder / "a.wav").write_bytes(b"not audio: never read")
    (folder / "csv").mkdir()
    (folder / "csv" / "a.csv").write_text("0,60\n1,62\n")
    one_line_error(bench(script, folder, *option), "a.csv, line 1", "duration_in_beats")
    assert not list((ROOT / "output").glob(f"bench_*{folder.name}*"))


def test_a_data_set_list_is_read_as_convert_py_reads_it(tmp_path, monkeypatch):
    """discovery.py refused a comment line, a tempo after a space and a trailing space, which
    convert.py accepts; and a folder given as '.' named its run 'bench_discovery__...'."""
    sys.path.insert(0, str(ROOT / "bench"))
    import discovery

    folder = bad_folder(tmp_path, {
        "input_audio.txt": "# held-out movements: audio<TAB>bpm\r\naudio/a.ogg 90\r\n"
                           "audio/b.ogg\t120.5\r\n\r\n",
        "csv_files.txt": "csv/a.csv \ncsv/b.csv\n"})
    for name in ("audio/a.ogg", "audio/b.ogg", "csv/a.csv", "csv/b.csv"):
        (folder / name).parent.mkdir(exist_ok=True)
        (folder / name).write_text("")
    audio, csvs, refdir = discovery.dataset_lists(folder, tmp_path / "lists")
    assert audio.read_text() == (f"{folder / 'audio/a.ogg'}\t90.0\n"
                                 f"{folder / 'audio/b.ogg'}\t120.5\n")
    assert csvs.read_text() == f"{folder / 'csv/a.csv'}\n{folder / 'csv/b.csv'}\n"
    assert refdir == folder / "groundtruth"
    monkeypatch.chdir(folder)
    assert discovery.run_name(".") == f"bench_discovery_{folder.name}_cqt_piano_cae"
    # from inside another data set laid out alike, the lists still name their own folder's
    other = tmp_path / "other"
    shutil.copytree(folder, other)
    audio, csvs, _ = discovery.dataset_lists(other, tmp_path / "lists2")
    assert str(other / "audio/a.ogg") in audio.read_text() and str(folder) not in \
        audio.read_text() + csvs.read_text()


def test_a_conversion_is_reused_only_for_the_same_recordings_and_tempi(tmp_path):
    """Runs are named by the data set folder's name: --keep (and sensitivity.py, always)
    scored one folder's matrices against another's scores, or ignored an edited tempo."""
    import json
    import os

    sys.path.insert(0, str(ROOT / "bench"))
    import discovery

    run = tmp_path / "run"
    run.mkdir()
    (run / "ss_matrices_filelist.txt").write_text("")
    a, b = tmp_path / "a.ogg", tmp_path / "b.ogg"
    for f in (a, b):
        f.write_text("")
        os.utime(f, (1_000_000, 1_000_000))
    (run / "conversion.json").write_text(json.dumps({
        "model": str(discovery.MODEL), "config": str(discovery.CONFIG), "focus_frames": None,
        "files": [{"audio": str(a), "bpm": 90.0}, {"audio": str(b), "bpm": None}]}))
    listed = tmp_path / "list.txt"

    def same(text):
        listed.write_text(text)
        return discovery._same_conversion(run, discovery.MODEL, discovery.CONFIG, None, listed)

    assert same(f"{a}\t90\n{b}\n")
    assert not same(f"{a}\t45\n{b}\n")                  # a tempo edited
    assert not same(f"{b}\n{a}\t90\n")                  # another order, so other matrices
    assert not same(f"{a}\t90\n")                        # a list cut short
    c = tmp_path / "other" / "a.ogg"                      # another folder's recording
    c.parent.mkdir()
    c.write_text("")
    assert not same(f"{c}\t90\n{b}\n")
    # a recording too short for a window has no features: the conversion is the same (it was
    # converted again at every --keep)
    short = tmp_path / "short.ogg"
    short.write_text("")
    os.utime(short, (1_000_000, 1_000_000))
    assert not same(f"{a}\t90\n{short}\n{b}\n")
    info = json.loads((run / "conversion.json").read_text())
    (run / "conversion.json").write_text(json.dumps(dict(info, too_short=[str(short)])))
    assert same(f"{a}\t90\n{short}\n{b}\n") and same(f"{a}\t90\n{b}\n")
    os.utime(b)                                           # a recording changed since
    assert not same(f"{a}\t90\n{b}\n")


def test_chance_of_a_run_that_was_not_extracted(tmp_path):
    one_line_error(bench("chance.py", f"no_such_run_{tmp_path.name}"), "does not exist")


@pytest.mark.parametrize("value, words", [
    ("NO_SUCH=1", ("NO_SUCH: not a constant of the families finder", "RUN_QUANTILE")),
    ("RUN_QUANTILE", ("--set RUN_QUANTILE: not NAME=VALUE",)),
    ("RUN_QUANTILE=high", ("--set RUN_QUANTILE=high", "'high' is not a number")),
    ("PARTS_PER_PATTERN=2.5", ("--set PARTS_PER_PATTERN=2.5", "a whole number")),
    ("INSIDE_ANY=2", ("--set INSIDE_ANY=2", "a switch, 0 (off) or 1 (on)"))])
def test_sensitivity_with_a_bad_setting(value, words):
    one_line_error(bench("sensitivity.py", "--set", value), *words)


def test_sensitivity_sets_one_constant_and_restores_it():
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    from sensitivity import NEIGHBOURS, setting, variants

    from complex_auto import families

    default = families.RUN_QUANTILE
    with pytest.raises(RuntimeError):
        with setting("RUN_QUANTILE", 0.5):
            assert families.RUN_QUANTILE == 0.5
            raise RuntimeError("an interrupted run")
    assert families.RUN_QUANTILE == default
    with setting("MAX_CANDIDATES", 800.0):                 # keeps the constant's type
        assert families.MAX_CANDIDATES == 800 and isinstance(families.MAX_CANDIDATES, int)
    # the defaults first, then each constant at both neighbours, or only the --set ones
    every = variants()
    assert every[0] == ("defaults", None, None) and len(every) == 1 + 2 * len(NEIGHBOURS)
    assert {name for _, name, _ in every[1:]} == set(NEIGHBOURS)
    assert all(getattr(families, name) not in NEIGHBOURS[name] for name in NEIGHBOURS)
    assert [v[1:] for v in variants(extra=[("RUN_QUANTILE", 0.8)])] == [
        (None, None), ("RUN_QUANTILE", 0.8)]
    assert [v[1:] for v in variants(only=["MIN_BEATS"])][1:] == [
        ("MIN_BEATS", 1.0), ("MIN_BEATS", 4.0)]


def table_lines(stdout):
    """The rows of bench/annotated_voices.py's table: after its header, before the summary."""
    return stdout.split("\n\n")[0].splitlines()[1:]


def test_annotated_voices_counts_the_jku_annotations_and_names_a_bad_score(tmp_path):
    from complex_auto.evaluation import load_patterns

    proc = bench("annotated_voices.py")
    assert proc.returncode == 0, proc.stderr
    rows = {line.split()[0]: line.split()[1:] for line in table_lines(proc.stdout)}
    occurrences = [o for f in sorted((ROOT / "data/jku/groundtruth").glob("*.txt"))
                   for p in load_patterns(f) for o in p]
    one_voice = sum(len({n[0] for n in o}) == len(o) for o in occurrences)
    n, share, notes, melody = rows["all"][:4]
    assert int(n) == len(occurrences) and int(notes) == sum(map(len, occurrences))
    assert float(share) == round(one_voice / len(occurrences), 2)
    assert 0 < float(melody) < 1 and len(rows) == 6          # five pieces and all
    # a score without durations cannot give a melody
    folder = bad_folder(tmp_path, {"csv_files.txt": "csv/a.csv\n"})
    (folder / "csv").mkdir()
    (folder / "csv" / "a.csv").write_text("0,60\n")
    one_line_error(bench("annotated_voices.py", folder), "a.csv, line 1", "duration_in_beats")


def test_annotated_voices_gives_the_share_of_the_annotated_stretch_that_occurrences_cover(
        tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    from annotated_voices import coverage

    # occurrences over beats 0-4 and 2-6 (overlapping), 10-12, and 3-5 (inside): 8 of 12 beats
    folder = bad_folder(tmp_path, {"csv_files.txt": "csv/a.csv\n"})
    (folder / "csv").mkdir()
    (folder / "csv" / "a.csv").write_text("0,60,60,1,0\n")
    occurrences = [(0, 2, 4), (2, 6), (10, 11, 12), (3, 5)]
    (folder / "groundtruth" / "a.txt").write_text("pattern1\n" + "".join(
        f"occurrence{k + 1}\n" + "".join(f"{t}, 60\n" for t in o)
        for k, o in enumerate(occurrences)))
    assert coverage(folder) == {"a": 8 / 12}
    # the printed column: on the JKU each piece against a fine grid of its annotated stretch
    proc = bench("annotated_voices.py")
    assert proc.returncode == 0, proc.stderr
    rows = {line.split()[0]: float(line.split()[-1]) for line in table_lines(proc.stdout)}
    from complex_auto.evaluation import load_patterns

    for f in sorted((ROOT / "data/jku/groundtruth").glob("*.txt")):
        spans = [(min(n[0] for n in o), max(n[0] for n in o))
                 for p in load_patterns(f) for o in p]
        grid = np.arange(min(a for a, _ in spans), max(b for _, b in spans), 1 / 64)
        inside = np.zeros(len(grid), bool)
        for a, b in spans:
            inside |= (grid >= a) & (grid < b)
        assert abs(rows[f.stem] - inside.mean()) <= 0.005 + 1e-9, f.stem
    assert rows["all"] == round(float(np.mean(list(coverage().values()))), 2)


def test_annotated_voices_counts_the_occurrences_that_their_own_span_matches_at_three_quarters(
        tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    from annotated_voices import spanned

    from complex_auto.chance import ceiling_scores
    from complex_auto.evaluation import load_patterns
    from complex_auto.jku import read_score_csv

    # a chord of three at beats 0 and 4, a melody note on every beat: a melodic line 1-3 is
    # all its span holds (spanned); one from the chord's top note at 0 to beat 1 shares its
    # span with the chord's two other notes (2 of 4 notes: not spanned)
    folder = bad_folder(tmp_path, {"csv_files.txt": "csv/a.csv\n"})
    (folder / "csv").mkdir()
    notes = ([(0, 48), (0, 55), (0, 72), (4, 48), (4, 55), (4, 72)]
             + [(t, 70 + t) for t in (1, 2, 3, 5, 6, 7)])
    (folder / "csv" / "a.csv").write_text("".join(f"{t},{p},60,1,0\n" for t, p in notes))
    line = {"spanned": [[(1, 71), (2, 72), (3, 73)], [(5, 75), (6, 76), (7, 77)]],
            "not spanned": [[(0, 72), (1, 71)], [(4, 72), (5, 75)]]}
    (folder / "groundtruth" / "a.txt").write_text("".join(
        f"pattern{p + 1}\n" + "".join(f"occurrence{k + 1}\n"
                                     + "".join(f"{t}, {n}\n" for t, n in o)
                                     for k, o in enumerate(occs))
        for p, occs in enumerate(line.values())))
    assert spanned(folder) == {"a": (2, 1, [2, 2])}
    # the ceiling, which reports exactly these spans, matches the spanned pattern wholly and
    # the other at 2 of 4 notes, below the .75 of Occ.75_F, which scores the first pair only
    ref = load_patterns(folder / "groundtruth" / "a.txt")
    top, _ = ceiling_scores(read_score_csv(folder / "csv" / "a.csv"), ref, seeds=(0,))
    assert top["Est_R"] == pytest.approx((1 + 2 / 4) / 2)
    assert top["Occ.75_R"] == 1.0 and top["Occ.5_R"] == pytest.approx((1 + 2 / 4) / 2)
    # the printed column and summary on the JKU
    proc = bench("annotated_voices.py")
    assert proc.returncode == 0, proc.stderr
    jku = spanned()
    rows = {line.split()[0]: line.split() for line in table_lines(proc.stdout)}
    assert proc.stdout.splitlines()[0].split()[-2:] == ["spanned", "covered"]
    for piece, (_, _, lengths) in jku.items():
        assert float(rows[piece][-2]) == round(len(lengths) / int(rows[piece][1]), 2)
    total = sum(len(lengths) for _, _, lengths in jku.values())
    assert f"spanned: {total} of {rows['all'][1]} occurrences" in proc.stdout
    assert f"in {sum(k for _, k, _ in jku.values())} of 26 patterns" in proc.stdout


@pytest.mark.parametrize("script, args, message", [
    # no chance control rests on zero placements (chance.py printed ratios of nan)
    ("chance.py", ["RUN", "--seeds", "0"], "--seeds: must be at least 1, not 0"),
    ("chance.py", ["RUN", "--first-seed", "-1"], "--first-seed: must be at least 0, not -1"),
    ("discovery.py", ["--seeds", "0"], "--seeds: must be at least 1, not 0"),
    ("score_features.py", ["--seeds", "0"], "--seeds: must be at least 1, not 0"),
    # a transposition of -3 scored all 0 without a word, 200 failed in the note matrices, a
    # window of 0 beats ran as one frame under the label "central 0 beats"
    ("score_features.py", ["--transpose", "-3"], "--transpose: must be at least 0, not -3"),
    ("score_features.py", ["--transpose", "200"],
     "--transpose: must be at most 127 semitones, not 200"),
    ("score_features.py", ["--window-beats", "0"], "--window-beats: must be above 0 beats, not 0"),
    ("score_features.py", ["--tolerance-frames", "-1"],
     "--tolerance-frames: must be at least 0, not -1"),
    ("sensitivity.py", ["--seeds", "-1"], "--seeds: must be at least 1, not -1"),
    # these ran the whole benchmark (or failed inside convert.py) before
    ("long_recording.py", ["--minutes", "-1"], "--minutes: must be at least 1, not -1"),
    ("long_recording.py", ["--files", "0"], "--files: must be at least 1, not 0"),
    ("pattern_matches.py", ["RUN", "--match", "2"], "--match: must be in (0, 1], not 2"),
    ("annotated_repeats.py", ["RUN", "--seed", "-1"], "--seed: must be at least 0, not -1"),
    ("annotated_repeats.py", ["RUN", "--seed", "x"], "--seed: 'x' is not a whole number"),
])
def test_counts_and_shares_out_of_range_are_a_usage_error(script, args, message):
    proc = bench(script, *args)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].endswith(f"error: argument {message}"), \
        proc.stderr


def test_score_features_gives_every_setting_its_own_folder(monkeypatch):
    """A run with another tolerance or --notes was written into the default's folder, which
    pattern_matches.py and annotated_repeats.py read for the README's numbers."""
    sys.path.insert(0, str(ROOT / "bench"))
    import score_features

    class Named(Exception):
        pass

    runs = []

    def score_run(source, run, *args):
        runs.append(run)
        raise Named                      # the folder is all this test needs

    monkeypatch.setattr(score_features, "run_dataset", lambda *a, **k: ({"families": None}, 0))
    monkeypatch.setattr(score_features, "score_run", score_run)
    calls = [{}, {"tolerance": 3}, {"notes": "melody"}, {"melody": True, "notes": "melody"},
             {"window_beats": 2.0}, {"melody": True, "notes": "span"}]
    for kw in calls:
        with pytest.raises(Named):
            score_features.score_features(**kw)
    assert runs == ["bench_score_features_jku_t12", "bench_score_features_jku_t12_f3",
                    "bench_score_features_jku_t12_notes-melody",
                    "bench_score_features_jku_t12_melody", "bench_score_features_jku_t12_w2",
                    "bench_score_features_jku_t12_notes-span_melody"]


def test_a_broken_extraction_record_is_one_line(tmp_path):
    """chance.py and annotated_repeats.py ended in a JSONDecodeError or KeyError traceback."""
    from complex_auto.errors import DataError
    from complex_auto.layout import RunLayout
    from complex_auto.runinfo import read_extraction

    layout = RunLayout("x", tmp_path).make()
    for text, message in (("{bad", "unreadable"), ("{}", "no 'method'"),
                          ('{"method": "families"}', "no 'pieces'")):
        layout.extraction_info.write_text(text)
        with pytest.raises(DataError, match=f"extraction.json: {message}"):
            read_extraction(layout)


def test_every_planted_defect_of_the_mutant_table_is_in_the_code():
    # the table goes stale when the code moves: each defect must still replace one place
    sys.path.insert(0, str(ROOT / "bench"))
    import mutants

    mutants.check(mutants.MUTANTS)
    assert len({name for _, name, *_ in mutants.MUTANTS}) == len(mutants.MUTANTS)
    assert {module for module, *_ in mutants.MUTANTS} == set(mutants.TESTS)
    with pytest.raises(mutants.DataError, match="'moved'.*0 times.*complex_auto/melody.py"):
        mutants.check([("melody", "moved", "no such text", "")])


def test_a_planted_defect_is_killed_and_the_working_tree_kept():
    source = (ROOT / "complex_auto/families.py").read_text()
    res = bench("mutants.py", "--only", "lag normalisation without the median")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "killed" in res.stdout.splitlines()[0] and "test_lag_normalise" in res.stdout
    assert res.stdout.splitlines()[-1] == "killed 1 of 1 mutants (100%)"
    assert (ROOT / "complex_auto/families.py").read_text() == source
    one_line_error(bench("mutants.py", "--only", "no such defect"), "no mutant named")
