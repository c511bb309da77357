"""The HTML report of a run (complex_auto.report), checked in headless Chromium.

Two fabricated runs: ``jku`` holds the real recording, score and ground truth of wtc2f20-poly
with hand-made patterns (one longer than a clip may be, one running past the recording's end)
and is scored by the real extract_motives_eval.py; ``plain`` is a synthetic recording of a
non-JKU piece with no ground truth and no scores. The extractor's own call is checked on a
synthetic matrix.
"""
import csv
import html
import json
import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import unquote

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from complex_auto import browser as browsers
from complex_auto.browser import chromium, screenshot
from complex_auto.errors import ComplexAutoError, DataError
from complex_auto.jku import read_mirex
from complex_auto.layout import RunLayout
from complex_auto.audio_clips import (FADE_SECONDS, MAX_CLIP_SECONDS, clip_span, cut_clip,
                                      open_recording, write_clip)
from complex_auto.report import (best_matches, build_report, format_time, read_patterns_csv,
                                 reference_seconds, run_pieces, saved_options, timeline_data)

from .conftest import ROOT, needs, run_script

JKU_PIECE = "wtc2f20-poly"
JKU_WAV = ROOT / "data" / "jku" / "audio" / f"{JKU_PIECE}.mp3"
GROUNDTRUTH = ROOT / "data" / "jku" / "groundtruth"
# pattern, occurrence, start_s, end_s, score: P2's first occurrence is longer than a clip may
# be, P3's second runs past the end of the 82.7 s recording.
JKU_ROWS = [(1, 1, 1.0, 9.5, 0.9), (1, 2, 20.0, 28.5, 0.9), (1, 3, 40.2, 48.7, 0.9),
            (2, 1, 0.5, 30.0, 0.5), (2, 2, 30.0, 59.5, 0.5),
            (3, 1, 60.0, 70.0, 0.2), (3, 2, 75.0, 90.0, 0.2)]
PLAIN = "my tones #2"            # a name to quote in URLs
PLAIN_WAV = f"{PLAIN}.wav"
PLAIN_ROWS = [(1, 1, 0.5, 3.0), (1, 2, 6.5, 9.0), (2, 1, 2.0, 4.0), (2, 2, 4.0, 6.0),
              (2, 3, 8.0, 11.5)]
needs_chromium = needs(browsers.available(), "Chromium (or Chrome) and its chromedriver")


def write_rows(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def run_report(*args):
    """``python -m complex_auto.report ARGS`` in this process; returns the exit code."""
    from complex_auto import cli, report

    try:
        cli.run(report.main, report.parser(), [str(a) for a in args])
    except SystemExit as e:
        return e.code
    return 0


def tones(seconds, sr=22050):
    """A melody of 0.5 s sine tones (C major scale), so clips are not silence."""
    t = np.arange(int(seconds * sr)) / sr
    freqs = 261.63 * 2 ** (np.array([0, 2, 4, 5, 7, 9, 11, 12])[(t // 0.5).astype(int) % 8] / 12)
    return (0.3 * np.sin(2 * np.pi * np.cumsum(freqs) / sr)).astype(np.float32)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Both fabricated runs, built; returns their folder (which holds output/)."""
    base = tmp_path_factory.mktemp("report")
    # jku: real recording, csv and ground truth, hand-made patterns, scored by the real eval
    run = base / "output" / "jku"
    run.mkdir(parents=True)
    (run / "conversion.json").write_text(json.dumps({
        "frame_seconds": 0.09, "files": [{"piece": JKU_PIECE, "audio": str(JKU_WAV),
                                          "bpm": None}]}))
    (run / "ss_matrices_filelist.txt").write_text(f"output/jku/{JKU_PIECE}.mp3.npy\n")
    write_rows(run / f"{JKU_PIECE}.patterns.csv",
               ["pattern", "occurrence", "start_s", "end_s", "score"], JKU_ROWS)
    Image.new("RGB", (120, 90), (200, 30, 30)).save(run / f"{JKU_PIECE}_patterns.png")
    shutil.copy(GROUNDTRUTH / f"{JKU_PIECE}.txt", run / f"{JKU_PIECE}.seg")
    csvs = base / "csvs.txt"
    csvs.write_text(f"{ROOT / 'data' / 'jku' / 'csv' / f'{JKU_PIECE}.csv'}\n")
    # plain: synthetic recording of an unknown piece, tempo in the matrix list, no truth
    plain = base / "output" / "plain"
    plain.mkdir(parents=True)
    sf.write(base / PLAIN_WAV, tones(12.0), 22050)
    (plain / "conversion.json").write_text(json.dumps({
        "frame_seconds": 0.09, "files": [{"piece": PLAIN, "audio": PLAIN_WAV, "bpm": None}]}))
    (plain / "ss_matrices_filelist.txt").write_text(f"output/plain/{PLAIN}.wav.npy\t100\n")
    write_rows(plain / f"{PLAIN}.patterns.csv", ["pattern", "occurrence", "start_s", "end_s"],
               PLAIN_ROWS)

    import os

    cwd = os.getcwd()
    os.chdir(base)
    try:
        assert run_report("jku", "--refdir", GROUNDTRUTH, "--csv", csvs) == 0
        code, _ = run_script("extract_motives_eval.py", "jku", "--refdir", GROUNDTRUTH)
        assert code == 0
        summary = build_report("plain")
    finally:
        os.chdir(cwd)
    assert summary["pieces"] == [PLAIN]
    return base


@pytest.fixture(scope="module")
def browser():
    with chromium(1280, 1000) as driver:
        yield driver


LOAD_MEDIA = """
const done = arguments[arguments.length - 1];
const audios = Array.from(document.querySelectorAll('audio'));
Promise.all(audios.map(a => new Promise(resolve => {
  const report = () => resolve({src: a.getAttribute('src'), duration: a.duration,
    error: a.error ? a.error.code : null, state: a.readyState,
    pattern: +a.dataset.pattern, occurrence: +a.dataset.occurrence});
  if (a.readyState >= 4) return report();
  a.addEventListener('canplaythrough', report, {once: true});
  a.addEventListener('error', report, {once: true});
  a.preload = 'auto'; a.load();
}))).then(done);
"""


def open_page(driver, path):
    """Load a page; returns (media states, severe console messages)."""
    driver.get_log("browser")           # drop what earlier pages logged
    driver.get(Path(path).resolve().as_uri())
    driver.set_script_timeout(30)
    media = driver.execute_async_script(LOAD_MEDIA)
    severe = [m for m in driver.get_log("browser") if m["level"] == "SEVERE"]
    return media, severe


def images_loaded(driver):
    return driver.execute_script(
        "return Array.from(document.images).map(i => [i.getAttribute('src'), i.complete, "
        "i.naturalWidth]);")


def expected_clip(start, end, duration):
    return min(end, duration, start + MAX_CLIP_SECONDS) - start


# ---------------------------------------------------------------------------------------------
# units


def test_browser_tests_skip_only_where_chromium_is_missing_and_never_in_ci(monkeypatch):
    """Without Chromium on PATH the browser tests failed (ComplexAutoError) on a laptop;
    they skip, naming it, there, and under .ci/run's COMPLEX_AUTO_STRICT_TESTS they run
    and fail, so CI cannot pass without them."""
    from . import conftest

    found = {"chromium": "/usr/bin/chromium", "chromedriver": "/usr/bin/chromedriver"}
    monkeypatch.setattr(browsers.shutil, "which", found.get)
    assert browsers.available()
    monkeypatch.setattr(browsers.shutil, "which", {"chromium": "/usr/bin/chromium"}.get)
    assert not browsers.available()
    mac = "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"
    monkeypatch.setattr(browsers.shutil, "which", {mac: mac, "chromedriver": "/d"}.get)
    assert browsers.available() and browsers._find(browsers.BROWSERS, "browser") == mac
    for strict, missing, skipped in ((False, True, True), (False, False, False),
                                     (True, True, False), (True, False, False)):
        monkeypatch.setattr(conftest, "STRICT", strict)
        mark = conftest.needs(not missing, "Chromium").mark
        assert mark.args[0] is skipped and "not installed: Chromium" in mark.kwargs["reason"]
    assert (ROOT / ".ci" / "run").read_text().count("export COMPLEX_AUTO_STRICT_TESTS=1") == 1


def test_format_time():
    assert format_time(0) == "0:00.0"
    assert format_time(73.26) == "1:13.3"
    assert format_time(-2.0) == "-0:02.0"
    assert format_time(59.96) == "1:00.0"
    assert format_time(600.04) == "10:00.0"


def test_cut_clip_length_fades_cap_and_ends():
    sr = 1000
    y = np.ones(30 * sr, np.float32)
    clip = cut_clip(y, sr, 2.0, 5.0)
    assert len(clip) == 3 * sr
    n = int(round(FADE_SECONDS * sr))
    assert clip[0] < 0.1 and clip[-1] < 0.1                       # faded in and out
    assert np.all(np.diff(clip[:n]) > 0) and np.all(np.diff(clip[-n:]) < 0)
    assert np.all(clip[n:-n] == 1.0)                              # untouched in between
    # the samples are the recording's own, from the right place
    ramp = np.arange(30 * sr, dtype=np.float32)
    assert np.array_equal(cut_clip(ramp, sr, 2.0, 5.0, fade=0)[[0, -1]], [2000, 4999])
    # capped at max_seconds, clipped at the recording's end, empty outside it
    assert len(cut_clip(y, sr, 1.0, 29.0, max_seconds=4.0)) == 4 * sr
    assert len(cut_clip(y, sr, 28.0, 35.0)) == 2 * sr
    assert len(cut_clip(y, sr, 31.0, 35.0)) == 0
    assert len(cut_clip(y, sr, -1.0, 0.5)) == sr // 2
    # a clip shorter than two fades still fades (and keeps its length)
    short = cut_clip(y, sr, 1.0, 1.01)
    assert len(short) == 10 and short.max() < 1.0


def test_a_clip_is_named_by_the_span_it_plays():
    # the span cut_clip cuts, known before the recording is read (clips are reused by it)
    assert clip_span(2.0, 5.0, 30.0) == (2.0, 5.0)
    assert clip_span(-1.0, 3.0, 30.0) == (0.0, 3.0)
    assert clip_span(1.0, 29.0, 30.0, max_seconds=4.0) == (1.0, 5.0)
    assert clip_span(28.0, 35.0, 30.0) == (28.0, 30.0)      # the recording ends first
    assert clip_span(31.0, 35.0, 30.0) is None
    sr, y = 1000, np.ones(30 * 1000, np.float32)
    for start, end in ((28.0, 35.0), (-1.0, 0.5), (1.0, 29.0)):
        a, b = clip_span(start, end, 30.0, max_seconds=4.0)
        assert len(cut_clip(y, sr, start, end, max_seconds=4.0)) == round((b - a) * sr)


def test_written_clip_decodes_to_its_length_and_pitch(tmp_path):
    sr = 11025
    t = np.arange(int(3.3 * sr)) / sr
    y = (0.4 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    clip = cut_clip(y, sr, 0.4, 2.9)
    write_clip(tmp_path / "c.mp3", clip, sr)
    back, sr_back = sf.read(tmp_path / "c.mp3", dtype="float32")
    assert sr_back == sr and back.ndim == 1
    assert abs(len(back) / sr - 2.5) < 0.05
    spectrum = np.abs(np.fft.rfft(back))
    assert abs(np.argmax(spectrum) * sr / len(back) - 440) < 5
    assert (tmp_path / "c.mp3").stat().st_size < 2.5 * 2500      # under 2.5 kB a second


def test_recording_spans_and_decoded_length(tmp_path):
    # a span read by seeking is the very samples of the file (8 kHz: no resampling)
    y = np.random.default_rng(1).uniform(-0.5, 0.5, 8000 * 5).astype(np.float32)
    sf.write(tmp_path / "r.wav", np.stack([y, -y], axis=1), 8000, subtype="FLOAT")
    duration, read = open_recording(tmp_path / "r.wav")
    assert duration == 5.0
    span, sr = read(1.25, 2.0)
    assert sr == 8000 and np.array_equal(span, np.zeros(6000, np.float32))   # mono: L+R / 2
    sf.write(tmp_path / "m.wav", y, 8000, subtype="FLOAT")
    _, read = open_recording(tmp_path / "m.wav")
    assert np.array_equal(read(1.25, 2.0)[0], y[10000:16000])
    assert len(read(4.5, 9.0)[0]) == 4000                  # clipped at the end
    # above CLIP_SR, spans come resampled; an MP3's length is its decoded one, not its header's
    _, read = open_recording(ROOT / "data" / "jku" / "audio" / f"{JKU_PIECE}.mp3", max_sr=8000)
    assert read(10.0, 12.0)[1] == 8000 and len(read(10.0, 12.0)[0]) == 16000
    duration, read = open_recording(JKU_WAV)
    decoded = sf.read(JKU_WAV, dtype="float32")[0]
    assert round(duration * 11025) == len(decoded) != sf.info(str(JKU_WAV)).frames
    # spans read by seeking an MP3 are the samples of a whole decode
    for start in (0.0, 17.3, 61.9):
        a, b = round(start * 11025), round((start + 1.0) * 11025)
        assert np.allclose(read(start, start + 1.0)[0], decoded[a:b], atol=1e-6)
    with pytest.raises(DataError, match="cannot read the recording"):
        (tmp_path / "x.wav").write_text("no audio")
        open_recording(tmp_path / "x.wav")


def test_read_patterns_csv_by_column_name(tmp_path):
    path = tmp_path / "p.patterns.csv"
    path.write_text("end_s,pattern,extra,occurrence,start_s\n5.0,2,x,1,1.0\n9.0,2,x,2,6.5\n"
                    "3.0,1,x,1,0.0\n")
    patterns = read_patterns_csv(path)
    assert [p["pattern"] for p in patterns] == [2, 1]           # the file's (finder's) order
    assert patterns[0]["occurrences"] == [(1, 1.0, 5.0), (2, 6.5, 9.0)]
    assert patterns[0]["score"] is None
    path.write_text("pattern,occurrence,start_s,end_s,score\n1,1,0,2,0.75\n1,2,3,x,0.75\n")
    with pytest.raises(DataError, match="line 3"):
        read_patterns_csv(path)
    path.write_text("pattern,start_s,end_s\n1,0,2\n")
    with pytest.raises(DataError, match="no column occurrence"):
        read_patterns_csv(path)
    path.write_text("pattern,occurrence,start_s,end_s\n1,1,0,2\n1,2,7.5,7.25\n")
    with pytest.raises(DataError, match=r"p\.patterns\.csv, line 3: occurrence ends \(7\.25\) "
                                        r"before it starts \(7\.5\)$"):
        read_patterns_csv(path)


def test_timeline_data_lanes_positions_and_rows():
    patterns = [{"pattern": 1, "score": 0.9, "occurrences": [(1, 0.0, 10.0), (2, 5.0, 15.0),
                                                              (3, 12.0, 20.0)]},
                {"pattern": 2, "score": 0.4, "occurrences": [(1, 30.0, 45.0)]}]
    lanes = timeline_data(patterns, [[(2.0, 4.0), (50.0, 60.0)]], duration=40.0)
    assert [(lane["kind"], lane["label"]) for lane in lanes] == [
        ("found", "P1"), ("found", "P2"), ("truth", "truth 1")]
    p1 = lanes[0]
    assert [(b["x0"], b["x1"]) for b in p1["bars"]] == [(0.0, 0.25), (0.125, 0.375),
                                                        (0.3, 0.5)]
    # 5-15 s overlaps 0-10 s and goes to a second row; 12-20 s fits the first row again
    assert [b["row"] for b in p1["bars"]] == [0, 1, 0] and p1["rows"] == 2
    assert lanes[1]["bars"][0]["x1"] == 1.0                   # clipped at the recording's end
    truth = lanes[2]["bars"]
    assert [b["occurrence"] for b in truth] == [1, 2]
    assert truth[1]["x0"] == truth[1]["x1"] == 1.0            # wholly after the end
    assert lanes[0]["colour"] != lanes[1]["colour"]


def test_reference_seconds_from_score_time(tmp_path):
    # A pick-up at beat -1 is time 0; 120 bpm is half a second a beat; an occurrence ends
    # where its last-ending note ends.
    score = tmp_path / "s.csv"
    score.write_text("-1, 55, 57, 1, 1\n0, 60, 60, 1, 1\n1, 62, 61, 0.5, 1\n2, 64, 62, 2, 1\n"
                     "4, 60, 60, 1, 1\n")
    ref = tmp_path / "r.txt"
    ref.write_text("pattern1\noccurrence1\n0, 60\n1, 62\noccurrence2\n2, 64\n4, 60\n"
                   "pattern2\noccurrence1\n-1, 55\n")
    spans = reference_seconds(ref, score, 120)
    assert spans == [[(0.5, 1.25), (1.5, 3.0)], [(0.0, 0.5)]]
    # symbolic time: the recording starts at beat 0, so everything is half a second earlier
    assert reference_seconds(ref, score, 120, "symbolic")[0] == [(0.0, 0.75), (1.0, 2.5)]
    # a recording whose first onset plays 1.25 s in: everything 1.25 s later
    assert reference_seconds(ref, score, 120, audio_start=1.25)[0] == [(1.75, 2.5), (2.75, 4.25)]


def test_reference_seconds_of_a_score_without_durations_end_at_last_onsets(tmp_path, caplog):
    # a bad duration dropped every duration without a word; now the warning names the line
    score = tmp_path / "s.csv"
    score.write_text("0, 60, 60, 1, 1\n1, 62, 61, x, 1\n2, 64, 62, 2, 1\n")
    ref = tmp_path / "r.txt"
    ref.write_text("pattern1\noccurrence1\n0, 60\n1, 62\noccurrence2\n2, 64\n")
    with caplog.at_level("WARNING"):
        spans = reference_seconds(ref, score, 120)
    assert spans == [[(0.0, 0.5), (1.0, 1.0)]]
    assert "s.csv, line 2" in caplog.text and "occurrences end at their last onset" in caplog.text


# ---------------------------------------------------------------------------------------------
# the fabricated runs


def test_report_files_and_scores(runs):
    report = runs / "output" / "jku" / "report"
    page = (report / f"{JKU_PIECE}.html").read_text()
    index = (report / "index.html").read_text()
    assert f'href="{JKU_PIECE}.html"' in index
    # scored by the real evaluation: estimates equal to the ground truth score 1
    rows = {r["piece"]: r for r in csv.DictReader(open(runs / "output" / "jku" / "results.csv"))}
    assert float(rows[JKU_PIECE]["Est_F"]) == pytest.approx(1.0)
    assert "MIREX scores" in index and "MIREX scores" in page
    assert index.count("1.000") >= 2                          # the piece and the mean
    # clips and pictures are inside the report folder; nothing points outside it or online
    for text in (page, index):
        assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert "https://" not in text and "../" not in text
    assert (report / "img" / f"{JKU_PIECE}_patterns.png").is_file()
    assert f"first {MAX_CLIP_SECONDS:.1f} s" in page
    assert "report.json" in {p.name for p in report.iterdir()}
    # the .seg is the ground truth itself: pattern k finds annotated pattern k, fully
    for k in (1, 2, 3):
        assert f"Pattern {k}, score 0.{(9, 5, 2)[k - 1]}: {(3, 2, 2)[k - 1]} occurrences; " \
               f"best match truth {k}, establishment 1.00 <button" in page


def test_best_matches_against_the_ground_truth(tmp_path):
    from complex_auto.patterns import write_mirex

    def occ(onset, pitches):
        return [(float(onset + i), float(p)) for i, p in enumerate(pitches)]

    ref, seg = tmp_path / "piece.txt", tmp_path / "piece.seg"
    write_mirex(ref, [[occ(0, [60, 62, 64, 65]), occ(20, [60, 62, 64, 65])],
                      [occ(40, [70, 71, 72, 73]), occ(60, [70, 71, 72, 73])]])
    # found: B with half its notes wrong, then A exactly, then something else entirely
    write_mirex(seg, [[occ(40, [70, 71, 50, 51]), occ(60, [70, 71, 50, 51])],
                      [occ(0, [60, 62, 64, 65]), occ(20, [60, 62, 64, 65])],
                      [occ(100, [40, 45, 41, 47]), occ(120, [40, 45, 41, 47])]])
    assert best_matches(seg, ref, 3) == ([(2, 0.5), (1, 1.0), (1, 0.0)], None)
    # a pattern without notes is not in the .seg: numbers no longer line up, say so
    matches, note = best_matches(seg, ref, 4)
    assert matches is None and "piece.seg lists 3 patterns with notes of the 4 found" in note
    assert best_matches(tmp_path / "none.seg", ref, 3) == (None, None)   # no csv score
    seg.write_text("pattern1\noccurrence1\n1.0 60.0\n")
    matches, note = best_matches(seg, ref, 1)
    assert matches is None and "piece.seg, line 3" in note


def test_scores_older_than_the_patterns_are_marked(runs, tmp_path, monkeypatch):
    import os

    run = tmp_path / "output" / "jku"
    shutil.copytree(runs / "output" / "jku", run)
    monkeypatch.chdir(tmp_path)
    later = (run / "results.csv").stat().st_mtime + 60
    os.utime(run / f"{JKU_PIECE}.patterns.csv", (later, later))
    summary = build_report("jku")               # options as recorded by the first build
    assert summary["clips"] == len(JKU_ROWS)    # one per distinct span
    page = (run / "report" / f"{JKU_PIECE}.html").read_text()
    assert "written before these patterns" in page and "MIREX scores" in page
    assert page.count('class="truth"') == sum(len(p) for p in read_mirex(
        GROUNDTRUTH / f"{JKU_PIECE}.txt"))


def test_scores_of_other_pieces_are_not_shown_as_the_runs(runs, tmp_path, monkeypatch, caplog):
    # extract_motives_eval.py plain --estdir output/jku writes the JKU run's scores into the
    # plain run: its report showed their mean as if the plain piece had been scored
    run = tmp_path / "output" / "plain"
    shutil.copytree(runs / "output" / "plain", run)
    shutil.copy(runs / "output" / "jku" / "results.csv", run / "results.csv")
    monkeypatch.chdir(tmp_path)
    build_report("plain")
    index = (run / "report" / "index.html").read_text()
    page = (run / "report" / f"{PLAIN}.html").read_text()
    assert "MIREX" not in page and "<table class=\"scores\">" not in index
    assert "results.csv scores none of this run&#x27;s pieces" in index, index
    assert "scores none of this run's pieces" in caplog.text


def test_the_index_says_when_the_scores_are_of_pieces_the_model_was_trained_on(
        runs, tmp_path, monkeypatch):
    from complex_auto.runinfo import add_model, write_training_info

    run = tmp_path / "output" / "jku"
    shutil.copytree(runs / "output" / "jku", run)
    monkeypatch.chdir(tmp_path)
    model = tmp_path / "m" / "model_complex_auto_cqt.save"
    model.parent.mkdir()
    info = json.loads((run / "conversion.json").read_text())
    (run / "conversion.json").write_text(json.dumps(dict(info, model=str(model),
                                                         weights_sha256="w")))
    record = {"data_type": "cqt", "sessions": [], "models": []}
    add_model(record, {"filelist": "l.txt", "trained": [str(JKU_WAV)], "evaluation": [],
                       "epochs": [0, 0], "from": None}, 5, "w")
    write_training_info(model.parent / "training_cqt.json", record)
    note = (f"the scores: the piece scored ({JKU_PIECE}) is in the training data of {model} "
            f"(its record: {model.parent / 'training_cqt.json'}): its score does not measure "
            "unseen music")
    build_report("jku")                 # the scores were not evaluated with the record
    assert "training data" not in (run / "report" / "index.html").read_text()
    code, _ = run_script("extract_motives_eval.py", "jku", "--refdir", GROUNDTRUTH)
    assert code == 0                    # ... now they are, and the report is rebuilt
    assert note in html.unescape((run / "report" / "index.html").read_text())
    # a peer's files scored into the run are not the model's: no note beside their scores
    code, _ = run_script("extract_motives_eval.py", "jku", "--refdir", GROUNDTRUTH,
                         "--estdir", GROUNDTRUTH)
    assert code == 0
    build_report("jku")
    assert "training data" not in (run / "report" / "index.html").read_text()


def test_report_of_a_run_without_ground_truth(runs):
    report = runs / "output" / "plain" / "report"
    page = (report / f"{PLAIN}.html").read_text()
    index = (report / "index.html").read_text()
    assert "no ground truth" in page
    assert 'class="truth"' not in page and "MIREX" not in page and "MIREX" not in index
    assert page.count('class="occ"') == len(PLAIN_ROWS)
    assert "<img" not in page                                 # the run has no picture
    # beats from the tempo column of the matrix list (100 bpm): 2.5 s are 4.2 beats
    assert "<td>4.2</td>" in page


def test_a_piece_called_index_keeps_the_runs_page(runs, tmp_path, monkeypatch):
    # index.wav's page was written as index.html, then the run's page over it: the piece's
    # link led back to the run, and its page was gone
    plain = runs / "output" / "plain"
    run = tmp_path / "output" / "plain"
    run.mkdir(parents=True)
    shutil.copy2(runs / PLAIN_WAV, tmp_path / "Index.wav")
    info = json.loads((plain / "conversion.json").read_text())
    info["files"][0].update(piece="Index", audio="Index.wav")
    (run / "conversion.json").write_text(json.dumps(info))
    (run / "ss_matrices_filelist.txt").write_text("output/plain/Index.wav.npy\t100\n")
    shutil.copy2(plain / f"{PLAIN}.patterns.csv", run / "Index.patterns.csv")
    monkeypatch.chdir(tmp_path)
    build_report("plain")
    index = (run / "report" / "index.html").read_text()
    page = (run / "report" / "Index-piece.html").read_text()
    assert 'href="Index-piece.html"' in index and "<th>occurrences</th>" in index
    assert page.count('class="occ"') == len(PLAIN_ROWS) and 'href="index.html"' in page


@pytest.mark.parametrize("args, message", [
    (["--refdir", "no_such_folder"], "--refdir no_such_folder: folder does not exist"),
    (["--refdir", "output/plain/conversion.json"],     # it exists: "does not exist" misled
     "--refdir output/plain/conversion.json: a file, not a folder"),
    (["--bpm", "-5"], "--bpm -5: must be positive beats per minute"),
    # read as the current folder: '.: is a folder, not a file list'
    (["--csv", ""], "--csv '': empty; give a list of csv scores, 'auto' or 'none'"),
    (["--screenshot", "x.png", "--width", "0"], "--width 0: must be at least 1 pixel"),
    # a folder, and a path below a file: tracebacks after the build (IsADirectoryError,
    # FileExistsError)
    (["--screenshot", "output"], "--screenshot output: a folder; give a file name, e.g. "
                                 "output/page.png"),
    (["--screenshot", "output/plain/conversion.json/x.png"],
     "--screenshot output/plain/conversion.json/x.png: output/plain/conversion.json is a "
     "file, not a folder")])
def test_report_refuses_bad_options_before_building(runs, monkeypatch, capsys, args, message):
    monkeypatch.chdir(runs)
    index = runs / "output" / "plain" / "report" / "index.html"
    before = index.stat().st_mtime_ns
    assert run_report("plain", *args) == 1
    assert capsys.readouterr().err == f"error: {message}\n"
    assert index.stat().st_mtime_ns == before and not (runs / "x.png").exists()


def test_a_recorded_csv_list_that_is_gone_is_named_with_where_it_came_from(
        runs, tmp_path, monkeypatch, capsys):
    """The evaluation rebuilds the report with the options of its last build: a csv list
    deleted since failed it (exit 1, after results.csv was written) with 'gone.txt: file
    list does not exist', though the user had not typed gone.txt in that command."""
    shutil.copytree(runs / "output" / "jku", tmp_path / "output" / "jku")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "gone.txt").write_text(f"{ROOT / 'data' / 'jku' / 'csv' / f'{JKU_PIECE}.csv'}\n")
    assert run_report("jku", "--csv", "gone.txt") == 0
    (tmp_path / "gone.txt").unlink()
    results = tmp_path / "output" / "jku" / "results.csv"
    results.unlink()
    where = ("--csv gone.txt: file list does not exist; the path is recorded in "
             "output/jku/report/report.json by an earlier build of the report")
    code, err = run_script("extract_motives_eval.py", "jku", "--refdir", GROUNDTRUTH,
                           capsys=capsys)
    assert code == 0 and results.is_file()       # its own work is done: a warning only
    assert f"output/jku/report not updated, it shows the previous scores: {where}" in err
    assert run_report("jku") == 1
    assert capsys.readouterr().err.startswith(f"error: {where}; give another")


@pytest.mark.parametrize("text, kept, warned", [
    ('["auto"]\n', {}, "not a JSON object"),
    ('"auto"\n', {}, "not a JSON object"),
    ('{"csv": 3, "refdir": null, "bpm": "90"}\n', {}, "csv 3 is no text"),
    ('{"csv": "auto", "refdir": "gt", "bpm": true}\n', {"csv": "auto", "refdir": "gt"},
     "bpm true is no number"),
    ('{"csv": "none", "refdir": "gt", "bpm": null}\n',
     {"csv": "none", "refdir": "gt", "bpm": None}, None),
    ('{"csv": "none", "bpm": 96.5, "other": [1]}\n', {"csv": "none", "bpm": 96.5}, None),
    ('{"csv": "none"', {}, "unreadable (Expecting ',' delimiter"),
])
def test_saved_options_keep_only_what_a_build_writes(tmp_path, caplog, text, kept, warned):
    """A hand-edited report.json that was no object (a list, a string) or held a number for
    the csv list was a traceback (AttributeError) at the next build."""
    path = tmp_path / "report.json"
    path.write_text(text)
    assert saved_options(path) == kept
    assert (warned in caplog.text) if warned else not caplog.text
    assert saved_options(tmp_path / "none.json") == {}


def test_a_hand_edited_report_json_does_not_stop_the_build(runs, tmp_path, monkeypatch,
                                                            capsys):
    shutil.copytree(runs / "output" / "plain", tmp_path / "output" / "plain")
    monkeypatch.chdir(tmp_path)
    options = tmp_path / "output" / "plain" / "report" / "report.json"
    options.write_text('["none"]\n')
    assert run_report("plain") == 0
    assert "report.json: not a JSON object" in capsys.readouterr().err
    assert json.loads(options.read_text())["csv"] == "auto"


def test_rebuild_reuses_clips_and_drops_stale_ones(runs, tmp_path, monkeypatch):
    src = runs / "output" / "plain"
    run = tmp_path / "output" / "plain"
    shutil.copytree(src, run)
    shutil.copy2(runs / PLAIN_WAV, tmp_path / PLAIN_WAV)     # same recording, same time
    monkeypatch.chdir(tmp_path)
    clips = run / "report" / "clips" / PLAIN
    before = {p.name: p.stat().st_mtime_ns for p in clips.glob("*.mp3")}
    write_rows(run / f"{PLAIN}.patterns.csv", ["pattern", "occurrence", "start_s", "end_s"],
               PLAIN_ROWS[:2])
    build_report("plain")
    after = {p.name: p.stat().st_mtime_ns for p in clips.glob("*.mp3")}
    assert len(after) == 2 and all(before[name] == after[name] for name in after)
    # another recording at the same path, or a record that cannot be read: cut again
    stamp = (tmp_path / PLAIN_WAV).stat().st_mtime_ns + 10 ** 9
    os.utime(tmp_path / PLAIN_WAV, ns=(stamp, stamp))
    old = 10 ** 9              # 1970: a clip cut again has a newer time on any file system
    for change in (lambda: None, lambda: (clips / "source.json").write_text("{")):
        change()
        for clip in clips.glob("*.mp3"):
            os.utime(clip, ns=(old, old))
        build_report("plain")
        again = {p.name: p.stat().st_mtime_ns for p in clips.glob("*.mp3")}
        assert again.keys() == after.keys() and old not in again.values(), again


def test_clips_are_capped_and_the_page_says_which_are_missing(runs, tmp_path, monkeypatch):
    # nf14 on a silent recording listed 990 patterns: 52 minutes of clips for 30 s of audio
    from complex_auto import audio_clips

    run = tmp_path / "output" / "plain"
    shutil.copytree(runs / "output" / "plain", run)
    shutil.copy2(runs / PLAIN_WAV, tmp_path / PLAIN_WAV)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(audio_clips, "MAX_CLIPS", 3)
    build_report("plain")
    clips = sorted(p.name for p in (run / "report" / "clips" / PLAIN).glob("*.mp3"))
    spans = [f"{round(a * 1000):07d}-{round(b * 1000):07d}.mp3" for _, _, a, b in PLAIN_ROWS]
    assert clips == sorted(spans[:3])                   # the best patterns' first
    page = (run / "report" / f"{PLAIN}.html").read_text()
    assert f"clips of the first 3 distinct spans only: {len(PLAIN_ROWS) - 3} occurrences " \
        "have none" in page


def test_report_without_the_recording_and_of_a_run_without_patterns(runs, tmp_path,
                                                                    monkeypatch, capsys):
    run = tmp_path / "output" / "plain"
    run.mkdir(parents=True)
    shutil.copy(runs / "output" / "plain" / f"{PLAIN}.patterns.csv", run)
    monkeypatch.chdir(tmp_path)
    build_report("plain")                       # no conversion.json: no recording known
    page = (run / "report" / f"{PLAIN}.html").read_text()
    assert "does not record this piece's recording" in html.unescape(page)
    assert "<audio" not in page and page.count('class="occ"') == len(PLAIN_ROWS)
    # a recording that cannot be decoded: the page says so, the rest is there
    (tmp_path / "broken.wav").write_text("not audio")
    (run / "conversion.json").write_text(json.dumps(
        {"frame_seconds": 0.09, "files": [{"piece": PLAIN, "audio": "broken.wav"}]}))
    build_report("plain")
    page = html.unescape((run / "report" / f"{PLAIN}.html").read_text())
    assert "broken.wav: cannot read the recording" in page
    assert "<audio" not in page and page.count('class="occ"') == len(PLAIN_ROWS)
    (tmp_path / "output" / "empty").mkdir()
    assert run_report("empty") == 1
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith(
        "error: output/empty: no PIECE.patterns.csv")


def test_extract_motives_writes_the_report_unless_told_not_to(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    sf.write(tmp_path / "tones.wav", tones(27.0), 22050)
    n = 300                                     # 27 s at 0.09 s a frame
    i, j = np.indices((n, n))
    # a passage that repeats every 100 frames: stripes on the diagonals at +-100 and +-200
    X = np.where(np.abs(i - j) % 100 == 0, 1.0, 0.05) + 0.01 * np.random.default_rng(0).random(
        (n, n))
    for name in ("with", "without"):
        run = tmp_path / "output" / name
        run.mkdir(parents=True)
        np.save(run / "tones.wav.npy", X)
        (run / "ss_matrices_filelist.txt").write_text(f"output/{name}/tones.wav.npy\t120\n")
        (run / "conversion.json").write_text(json.dumps(
            {"sr": 22050, "hop_length": 1984, "step": 1, "length_ngram": 32,
             "frame_seconds": 0.09, "features": "cae",
             "files": [{"piece": "tones", "audio": "tones.wav", "bpm": 120}]}))
    code, err = run_script("extract_motives.py", "with", "--csv", "none", capsys=capsys)
    assert code == 0, err
    page = tmp_path / "output" / "with" / "report" / "tones.html"
    assert page.is_file()
    rows = list(csv.DictReader(open(tmp_path / "output" / "with" / "tones.patterns.csv")))
    assert rows and page.read_text().count('class="occ"') == len(rows)
    code, err = run_script("extract_motives.py", "without", "--csv", "none", "--no-report",
                           capsys=capsys)
    assert code == 0, err
    assert not (tmp_path / "output" / "without" / "report").exists()


# ---------------------------------------------------------------------------------------------
# in the browser


@needs_chromium
def test_pages_in_chromium(runs, browser, tmp_path):
    decoded, sr = sf.read(JKU_WAV)
    duration = len(decoded) / sr            # the header's estimate is 0.4 s longer
    truth = read_mirex(GROUNDTRUTH / f"{JKU_PIECE}.txt")
    report = runs / "output" / "jku" / "report"
    cases = [(report / f"{JKU_PIECE}.html", JKU_ROWS, duration, sum(len(p) for p in truth), 1),
             (runs / "output" / "plain" / "report" / f"{PLAIN}.html", PLAIN_ROWS, 12.0, 0, 0)]
    for page, rows, length, n_truth, n_images in cases:
        media, severe = open_page(browser, page)
        assert severe == [], f"{page.name}: console errors {severe}"
        images = images_loaded(browser)
        assert len(images) == n_images and all(ok and w > 0 for _, ok, w in images), images
        spans = {(r[0], r[1]): (r[2], r[3]) for r in rows}
        assert len(media) == len(rows)             # every occurrence has a clip
        for m in media:
            assert (page.parent / unquote(m["src"])).is_file(), m
            assert m["error"] is None and m["state"] >= 4, m
            start, end = spans[(m["pattern"], m["occurrence"])]
            assert abs(m["duration"] - expected_clip(start, end, length)) < 0.1, m
        bars = browser.execute_script("return document.querySelectorAll('svg rect.occ').length")
        assert bars == len(rows)
        assert browser.execute_script(
            "return document.querySelectorAll('svg rect.truth').length") == n_truth
        lanes = browser.execute_script(
            "return Array.from(document.querySelectorAll('svg .lanelabel.found'))"
            ".map(t => t.textContent)")
        assert lanes == [f"P{p}" for p in dict.fromkeys(r[0] for r in rows)]
        # every lane is labelled legibly (dark text, no outline), the truth's too
        labels = browser.execute_script(
            "return Array.from(document.querySelectorAll('svg .lanelabel')).map(t => {"
            "const s = getComputedStyle(t); return [t.textContent, s.fill, s.stroke]; })")
        assert len(labels) == len(lanes) + (len(truth) if n_truth else 0)
        assert all(fill != "rgb(255, 255, 255)" and stroke == "none"
                   for _, fill, stroke in labels), labels
        # the copy of the labels that stays in sight on a phone lies exactly over them here
        boxes = browser.execute_script(
            "return ['lanelabel', 'stickylabel'].map(c => Array.from(document"
            ".querySelectorAll('svg .' + c)).map(t => { const r = t.getBoundingClientRect();"
            " return [t.textContent, r.left, r.top, r.width]; }));")
        assert len(boxes[0]) == len(boxes[1]) == len(labels)
        assert all(a[0] == b[0] and np.allclose(a[1:], b[1:], atol=0.5)
                   for a, b in zip(*boxes)), boxes
    shot = tmp_path / "report.png"
    browser.save_screenshot(str(shot))
    assert Image.open(shot).size[0] >= 1000

    # the index links every piece and its scores, and opens cleanly too
    _, severe = open_page(browser, report / "index.html")
    assert severe == []
    links = browser.execute_script(
        "return Array.from(document.querySelectorAll('table.pieces a')).map(a => a.href)")
    assert len(links) == 1 and links[0].endswith(f"{JKU_PIECE}.html")
    # a piece whose name needs quoting in a URL is reached from its index
    _, severe = open_page(browser, runs / "output" / "plain" / "report" / "index.html")
    assert severe == []
    browser.find_element("css selector", "table.pieces a").click()
    assert browser.find_element("css selector", "h1").text == PLAIN


@needs_chromium
def test_pages_fit_a_phone(runs, browser, tmp_path):
    """Without a viewport a phone laid the pages out 980 px wide and showed them at 40 %: text
    of 5.6 px. Now they take the phone's width, and what is wider (the timeline, the tables)
    scrolls on its own; a long path (the recording's, in a deep folder) wraps."""
    report = runs / "output" / "jku" / "report"
    deep = tmp_path / ("a_folder_name_without_any_space_" * 4) / "recording_of_a_long_name.wav"
    long = tmp_path / "long.html"          # not in the shared report, which others count
    long.write_text((report / f"{JKU_PIECE}.html").read_text().replace(
        "recording ", f"recording {deep} ", 1))
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    try:
        for page in (report / f"{JKU_PIECE}.html", report / "index.html", long):
            browser.get(page.resolve().as_uri())
            width, scroll, font = browser.execute_script(
                "return [window.innerWidth, document.documentElement.scrollWidth, "
                "parseFloat(getComputedStyle(document.body).fontSize) * window.visualViewport"
                ".scale];")
            assert width == 390 and scroll <= 390 and font >= 14, (page.name, width, scroll, font)
            # a table wider than the phone scrolls; its numbers do not break over lines
            lines = browser.execute_script(
                "return Math.max(0, ...Array.from(document.querySelectorAll("
                "'table.scores td:not(.l)')).map(td => { const r = document.createRange(); "
                "r.selectNodeContents(td); return r.getClientRects().length; }));")
            assert lines <= 1, (page.name, lines)
        # every clip player and pattern heading within the screen, not past the table's
        # scroll edge (a 641 px table put all 84 players of a BPS movement out of sight)
        browser.get((report / f"{JKU_PIECE}.html").resolve().as_uri())
        right = browser.execute_script(
            "return Math.max(...Array.from(document.querySelectorAll("
            "'table.occurrences audio, table.occurrences tr.pattern td')).map("
            "e => e.getBoundingClientRect().right));")
        assert right <= 390, right
        # the timeline scrolls, and its lane labels stay in sight at the left edge (they
        # scrolled away with the bars: a bar at 3:00 did not say whose it was)
        left, labels = browser.execute_script(
            "const s = document.querySelector('.scroll'); s.scrollLeft = s.scrollWidth;"
            "return [s.getBoundingClientRect().left, Array.from(document.querySelectorAll("
            "'svg .stickylabel')).map(t => [t.textContent, t.getBoundingClientRect().left,"
            " t.getBoundingClientRect().width])];")
        names = browser.execute_script("return Array.from(document.querySelectorAll("
                                       "'svg .lanelabel')).map(t => t.textContent);")
        assert [name for name, _, _ in labels] == names and names
        assert all(left <= x and x + w <= left + 60 for _, x, w in labels), (left, labels)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@needs_chromium
def test_a_selector_chromium_refuses_is_one_line(runs, tmp_path, monkeypatch, capsys):
    """``--at '###'`` ended in selenium's InvalidElementStateException traceback."""
    shutil.copytree(runs / "output" / "plain", tmp_path / "output" / "plain")
    shutil.copy2(runs / PLAIN_WAV, tmp_path / PLAIN_WAV)
    monkeypatch.chdir(tmp_path)
    assert run_report("plain", "--screenshot", "s.png", "--at", "###") == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "error: --at ###: not a CSS selector Chromium accepts (e.g. 'table.occurrences')")
    assert not (tmp_path / "s.png").exists()


@needs_chromium
def test_screenshot_of_a_page_is_the_size_asked(runs, tmp_path, monkeypatch):
    shutil.copytree(runs / "output" / "plain", tmp_path / "output" / "plain")
    shutil.copy2(runs / PLAIN_WAV, tmp_path / PLAIN_WAV)
    monkeypatch.chdir(tmp_path)
    assert run_report("plain", "--screenshot", "s.png", "--width", "900", "--height", "600") == 0
    # the picture is 900 × 600 px of the page, whatever the window's frame takes
    assert Image.open(tmp_path / "s.png").size == (900, 600)


@needs_chromium
def test_screenshot_at_an_element_shows_it_at_the_top(tmp_path):
    # a white block of 2000 px, then a red one: only a picture scrolled to the red one shows
    # red at its top
    page = tmp_path / "page.html"
    page.write_text('<html><body style="margin:0"><div style="height:2000px;background:#fff">'
                    '</div><div id="low" style="height:2000px;background:#c00"></div>'
                    "</body></html>")
    screenshot(page, tmp_path / "low.png", 400, 300, at="#low")
    picture = Image.open(tmp_path / "low.png").convert("RGB")
    assert picture.size == (400, 300) and picture.getpixel((200, 20)) == (204, 0, 0)
    # a selector that matches nothing is an error, not a picture of the page's top
    with pytest.raises(ComplexAutoError, match="no element '#nowhere' to show"):
        screenshot(page, tmp_path / "none.png", 400, 300, at="#nowhere")
    assert not (tmp_path / "none.png").exists()


@needs_chromium
def test_a_screenshot_leaves_nothing_in_the_temporary_folder(tmp_path, monkeypatch):
    # Chromium leaves a folder with its singleton socket in $TMPDIR after each session: one
    # for every picture a user takes, unless the browser gets a folder of its own. (The
    # system's short temporary path, not tmp_path: a socket's path has at most 107 bytes.)
    with tempfile.TemporaryDirectory() as temporary:
        monkeypatch.setenv("TMPDIR", temporary)
        monkeypatch.setattr(tempfile, "tempdir", None)
        page = tmp_path / "page.html"
        page.write_text("<html><body>a page</body></html>")
        screenshot(page, tmp_path / "page.png", 200, 100)
        assert (tmp_path / "page.png").exists() and list(Path(temporary).iterdir()) == []


def wait_until(driver, script, seconds=10.0):
    """Poll a script until it returns something true (a busy CI machine may be slow)."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds, poll_frequency=0.1).until(
        lambda d: d.execute_script(script))


@needs_chromium
def test_play_all_plays_a_patterns_clips_in_turn(runs, browser):
    open_page(browser, runs / "output" / "jku" / "report" / f"{JKU_PIECE}.html")
    browser.find_element("css selector", 'button.playall[data-pattern="1"]').click()
    audios = "Array.from(document.querySelectorAll('audio[data-pattern=\"1\"]'))"
    # the first clip plays, the others wait, its bar on the timeline is lit
    wait_until(browser, f"const a = {audios}; return !a[0].paused && a[0].currentTime > 0.2;")
    assert browser.execute_script(f"return {audios}.slice(1).every(a => a.paused)")
    assert browser.execute_script(
        "return document.querySelector('svg .occ[data-pattern=\"1\"][data-occurrence=\"1\"]')"
        ".classList.contains('playing')")
    # near its end the first clip hands over to the second
    browser.execute_script(f"const a = {audios}[0]; a.currentTime = a.duration - 0.2;")
    wait_until(browser, f"const a = {audios}; return a[0].paused && !a[1].paused "
                        "&& a[1].currentTime > 0.1;")
    assert browser.execute_script(f"return {audios}[2].paused")


def test_mixed_settings_names_what_differs_between_pieces(tmp_path):
    from complex_auto.layout import RunLayout
    from complex_auto.report import mixed_settings

    layout = RunLayout("r", tmp_path / "output")
    layout.extraction_record("a").parent.mkdir(parents=True)

    def record(piece, **settings):
        layout.extraction_record(piece).write_text(json.dumps(
            dict(dict(method="families", frame_seconds=0.09), piece={"piece": piece},
                 **settings)))

    for piece in ("a", "c"):
        record(piece)
    record("b", occurrence_p=0.005)
    assert mixed_settings(layout, ["a", "c"]) == ""           # each piece's entry differs
    assert mixed_settings(layout, ["a", "b", "c"]) == \
        "occurrence_p: not given for a, c; 0.005 for b"
    record("b", method="nf14", th=0.0105)
    assert mixed_settings(layout, ["a", "b", "c"]) == "method: families for a, c; nf14 for b"
    layout.extraction_record("c").write_text("{cut")                 # unreadable: left out
    assert mixed_settings(layout, ["a", "c", "d"]) == ""


def test_a_run_whose_pieces_were_found_by_two_methods_says_so(runs, tmp_path, monkeypatch):
    # shards of one run extracted with --method nf14 and families: every piece was labelled
    # with the method of the last command (extraction.json)
    from complex_auto.layout import RunLayout

    run = tmp_path / "output" / "plain"
    shutil.copytree(runs / "output" / "plain", run)
    shutil.copy(run / f"{PLAIN}.patterns.csv", run / "other.patterns.csv")
    with open(run / "ss_matrices_filelist.txt", "a") as f:
        f.write("output/plain/other.wav.npy\t100\n")
    (run / "extraction.json").write_text(json.dumps({"method": "families", "pieces": [
        {"piece": PLAIN}, {"piece": "other"}]}))
    layout = RunLayout("plain", tmp_path / "output")
    layout.extraction_record(PLAIN).parent.mkdir(exist_ok=True)
    for piece, method in ((PLAIN, "nf14"), ("other", "families")):
        layout.extraction_record(piece).write_text(json.dumps({"method": method,
                                                               "piece": {"piece": piece}}))
    monkeypatch.chdir(tmp_path)
    build_report("plain")
    index = (run / "report" / "index.html").read_text()
    assert f"not all extracted alike (method: nf14 for {PLAIN}; families for other)" in index
    assert "method families" not in index


def test_a_report_of_part_of_a_run_says_which_pieces_are_missing(runs, tmp_path, monkeypatch,
                                                                 caplog):
    """Parts of a sharded extraction that failed left a report of the rest, built without a
    word (even with -v), that read as the whole run."""
    run = tmp_path / "output" / "plain"
    shutil.copytree(runs / "output" / "plain", run)
    with open(run / "ss_matrices_filelist.txt", "a") as f:
        f.write("output/plain/later.wav.npy\t100\noutput/plain/last.wav.npy\t100\n")
    monkeypatch.chdir(tmp_path)
    caplog.set_level("WARNING")
    build_report("plain")
    said = ("2 of 3 pieces in the matrix list have no patterns (first: later): extract "
            "them (python extract_motives.py plain, every --shard part)")
    assert said in caplog.text and said in (run / "report" / "index.html").read_text()


def test_a_report_shows_the_pieces_of_the_last_extraction_only(runs, tmp_path, monkeypatch,
                                                               caplog):
    """A run extracted again from a shorter list (or another data set of the same name) kept
    the other pieces' tables, and its report counted them as the run's."""
    run = tmp_path / "output" / "plain"
    shutil.copytree(runs / "output" / "plain", run)
    shutil.copy(run / f"{PLAIN}.patterns.csv", run / "earlier.patterns.csv")
    monkeypatch.chdir(tmp_path)
    assert build_report("plain")["pieces"] == [PLAIN, "earlier"]      # no record: every table
    (run / "extraction.json").write_text(json.dumps({"method": "families",
                                                     "pieces": [{"piece": PLAIN}]}))
    caplog.set_level("WARNING")
    assert build_report("plain")["pieces"] == [PLAIN]
    assert "left out earlier.patterns.csv: not among the pieces of its last extraction" \
        in caplog.text
    # a record cut short or edited: the report read it as none and showed every table
    (run / "extraction.json").write_text(json.dumps({"method": "families"}))
    with pytest.raises(DataError, match="extraction.json: no 'pieces'"):
        build_report("plain")


def test_the_report_shows_the_ground_truth_its_scores_were_computed_with(runs, tmp_path,
                                                                        monkeypatch):
    """extract_motives_eval.py --refdir scored a BPS movement against its ground truth, and the
    report rebuilt with the JKU default beside those scores said 'no ground truth'."""
    run = tmp_path / "output" / "jku"
    shutil.copytree(runs / "output" / "jku", run)
    truth = tmp_path / "truth"                       # a ground truth elsewhere than the JKU's
    shutil.copytree(GROUNDTRUTH, truth)
    monkeypatch.chdir(tmp_path)
    build_report("jku", refdir="")                   # a report built without any
    assert 'class="truth"' not in (run / "report" / f"{JKU_PIECE}.html").read_text()
    code, _ = run_script("extract_motives_eval.py", "jku", "--refdir", truth)
    assert code == 0
    assert json.loads((run / "report" / "report.json").read_text())["refdir"] == str(truth)
    assert 'class="truth"' in (run / "report" / f"{JKU_PIECE}.html").read_text()
    build_report("jku")                              # a later build without --refdir keeps it
    assert json.loads((run / "report" / "report.json").read_text())["refdir"] == str(truth)


def test_a_report_drops_the_pages_and_clips_of_pieces_no_longer_in_the_run(runs, tmp_path,
                                                                          monkeypatch):
    """A run extracted again from a shorter list kept the dropped piece's page, clips and
    picture in report/: counted in its size, and sent with it."""
    run = tmp_path / "output" / "jku"
    shutil.copytree(runs / "output" / "jku", run)
    report = run / "report"
    for name in ("gone.html", "img/gone_patterns.png", "clips/gone/0-1000.mp3"):
        (report / name).parent.mkdir(parents=True, exist_ok=True)
        (report / name).write_bytes(b"x" * 1000)
    monkeypatch.chdir(tmp_path)
    summary = build_report("jku")
    assert summary["pieces"] == [JKU_PIECE]
    assert not (report / "gone.html").exists() and not (report / "clips" / "gone").exists()
    assert not (report / "img" / "gone_patterns.png").exists()
    assert (report / f"{JKU_PIECE}.html").is_file() and (report / "clips" / JKU_PIECE).is_dir()
    assert (report / "index.html").is_file()


def test_the_report_maps_a_piece_with_the_audio_start_its_own_record_holds(runs, tmp_path,
                                                                           monkeypatch):
    """In a run whose shards were extracted with other methods, extraction.json holds the last
    command's audio start for every piece, and the ground truth of a piece it did not extract
    moved by that much against the patterns and scores."""
    run = tmp_path / "output" / "jku"
    shutil.copytree(runs / "output" / "jku", run)
    monkeypatch.chdir(tmp_path)
    (run / "extraction.json").write_text(json.dumps({"method": "families", "pieces": [
        {"piece": JKU_PIECE, "bpm": None, "csv": None, "audio_start": 5.0}]}))
    (run / ".extracted").mkdir()
    (run / ".extracted" / f"{JKU_PIECE}.json").write_text(json.dumps({
        "method": "nf14", "piece": {"piece": JKU_PIECE, "audio_start": 0.0}}))
    pieces = run_pieces(RunLayout("jku", tmp_path / "output"))
    assert [p["audio_start"] for p in pieces] == [0.0]
    (run / ".extracted" / f"{JKU_PIECE}.json").unlink()        # no record: the run's
    assert [p["audio_start"] for p in run_pieces(RunLayout("jku", tmp_path / "output"))] == [5.0]


def test_the_page_says_how_many_occurrences_are_not_scored(runs, tmp_path, monkeypatch):
    """An occurrence after the last onset has no note, so the MIREX file leaves it out: the
    page counted it among the pattern's occurrences without a word."""
    from complex_auto.patterns import write_mirex

    run = tmp_path / "output" / "jku"
    shutil.copytree(runs / "output" / "jku", run)
    monkeypatch.chdir(tmp_path)
    build_report("jku")
    assert "so not scored" not in (run / "report" / f"{JKU_PIECE}.html").read_text()
    # the same table, with a .seg that scored two of its occurrences fewer
    n_table = len(JKU_ROWS)
    write_mirex(run / f"{JKU_PIECE}.seg",
                [[np.array([[float(k), 60.0]]) for k in range(n_table - 2)]])
    build_report("jku")
    page = (run / "report" / f"{JKU_PIECE}.html").read_text()
    assert f"2 occurrences of the table are not in {JKU_PIECE}.seg, so not scored" in page


def test_the_index_names_the_options_that_changed_the_search(runs, tmp_path, monkeypatch):
    """A report of --max-beats 8 --notes melody said only 'method families', like one of the
    defaults, though its scores were half theirs."""
    run = tmp_path / "output" / "plain"
    shutil.copytree(runs / "output" / "plain", run)
    pieces = [{"piece": PLAIN}]
    (run / "extraction.json").write_text(json.dumps({"method": "families", "max_beats": 8.0,
                                                     "occurrence_p": 0.005, "notes": "melody",
                                                     "pieces": pieces}))
    monkeypatch.chdir(tmp_path)
    build_report("plain")
    index = (run / "report" / "index.html").read_text()
    assert "method families (--max-beats 8, --occurrence-p 0.005, --notes melody)" in index
    (run / "extraction.json").write_text(json.dumps({"method": "families", "pieces": pieces}))
    build_report("plain")
    index = (run / "report" / "index.html").read_text()
    assert "method families" in index and "--max-beats" not in index
    # nf14's threshold is recorded always: named when it is not the default
    for th, named in ((0.05, True), (0.0105, False)):
        (run / "extraction.json").write_text(json.dumps({"method": "nf14", "th": th,
                                                         "pieces": pieces}))
        build_report("plain")
        index = (run / "report" / "index.html").read_text()
        assert "method nf14" in index and ("method nf14 (--th 0.05)" in index) == named
        assert ("--th" in index) == named
