"""The whole pipeline on one short JKU excerpt with a tiny model, and run_batch_audio.sh."""
import csv
import subprocess

import mir_eval
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
    assert (run / "wtc2f20-poly.wav.npy").exists()
    assert (run / "wtc2f20-poly.segraw").exists()
    assert (run / "wtc2f20-poly_patterns.png").stat().st_size > 1000
    patterns = mir_eval.io.load_patterns(str(run / "wtc2f20-poly.seg"))
    assert len(patterns) >= 1 and all(len(p) >= 2 for p in patterns)
    rows = list(csv.DictReader((run / "results.csv").open()))
    assert [r["piece"] for r in rows] == ["wtc2f20-poly", "mean"]
    assert 0 <= float(rows[0]["Est_F"]) <= 1
    assert "wtc2f20-poly" in (run / "results.txt").read_text()


def test_run_batch_audio_stops_at_the_first_failing_step(tmp_path):
    proc = subprocess.run([str(ROOT / "run_batch_audio.sh"), "ci_fail", str(tmp_path / "no.ini")],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 1
    assert "no.ini: config file does not exist" in proc.stderr
    assert "step 'train' failed" in proc.stderr
    assert "== convert" not in proc.stdout
