"""python -m complex_auto.compare end to end on a short JKU excerpt, and its bad input."""
import csv
from pathlib import Path

import pytest

from complex_auto import cli, compare
from complex_auto.representations import KINDS

from .conftest import png_content, write_config

ROOT = Path(__file__).resolve().parents[1]
SEMITONES = (2,)


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """All kinds and finders on the first 24 s of sonata01-3 (192 bpm: 16 beats are 5 s)."""
    import soundfile as sf

    from complex_auto.cqt import load_audio

    tmp = tmp_path_factory.mktemp("compare")
    y = load_audio(ROOT / "data/jku/audio/sonata01-3-poly.mp3", 22050)[:24 * 22050]
    wav = tmp / "sonata01-3-poly.wav"      # named as the JKU piece: its score and tempo apply
    sf.write(wav, y, 22050)
    (tmp / "list.txt").write_text(f"{wav}\n")
    rows = compare.compare("cmp", filelist=tmp / "list.txt", audio=wav, seconds=12.0,
                           semitones=SEMITONES, chance_seeds=(0,), root=tmp / "output",
                           cache_dir=tmp / "cache", model_path=ROOT / compare.DEFAULT_MODEL)
    return tmp / "output" / "cmp", rows


def test_every_kind_and_finder_is_scored(compared):
    run, rows = compared
    methods = compare.available_methods()
    assert [(r["features"], r["method"]) for r in rows[:len(KINDS) * len(methods)]] == \
        [(k, m) for k in KINDS for m in methods]
    assert rows[-1]["method"] == "vmo"                   # the peer's published outputs
    # each row holds its finder's scores and its own chance control, computed again here
    # from the files it left (ranges alone let a swap of the two through)
    from complex_auto.chance import chance_scores
    from complex_auto.evaluation import evaluate_run
    from complex_auto.layout import RunLayout

    layout = RunLayout(run.name, run.parent)
    for r in rows[:-1]:
        sub = layout.compare_run(r["features"], r["method"])
        mean = evaluate_run(sub, root=run.parent)[1]
        chance = chance_scores(sub, seeds=(0,), root=run.parent)
        for c in compare.SHOWN:
            assert r[c] == pytest.approx(mean[c]) and r[f"chance_{c}"] == pytest.approx(
                chance[c]), (r["features"], r["method"], c)
        assert (run / r["features"] / r["method"] / "results.csv").is_file()
        assert (run / r["features"] / "sonata01-3-poly.wav.npy").is_file()
    # the peer row scores the pieces compared (its five-piece mean, .528, stood beside means
    # of the pieces listed)
    from complex_auto.evaluation import evaluate_folder

    vmo = {r["piece"]: r for r in evaluate_folder(ROOT / "data/peers/vmo")[0]}
    assert rows[-1]["Est_F"] == pytest.approx(vmo["sonata01-3-poly"]["Est_F"]) != \
        pytest.approx(0.528, abs=1e-3)
    assert compare.peer_rows(pieces={"mine"}) == []


def test_transposition_separates_invariant_kinds(compared):
    _, rows = compared
    found = {r["features"]: r["transposed_+2"] for r in rows if r["features"] in KINDS}
    assert found["ftm2d"] > 0.9 and found["tichroma"] > 0.8
    assert found["cqt"] < 0.3 and found["chroma"] < 0.3
    assert found["cae"] > 0.9         # the model's amplitudes: invariant as its README says


def test_outputs_table_csv_and_chart(compared):
    run, rows = compared
    with open(run / "compare.csv") as f:
        table = list(csv.DictReader(f))
    assert len(table) == len(rows)
    assert float(table[0]["Est_F"]) == pytest.approx(rows[0]["Est_F"], abs=1e-6)
    md = (run / "compare.md").read_text().splitlines()
    assert len(md) == 2 + len(rows)
    assert md[0].startswith("| features | finder | Est_F |")
    assert "2-D Fourier magnitude of log-CQT n-grams" in "\n".join(md)
    width, height, spread, colours = png_content(run / "compare.png")
    assert width > 1000 and height > 300 and spread > 20 and colours > 10


@pytest.mark.parametrize("args,message", [
    (["--features", "cae", "mfcc"], "--features mfcc: unknown feature kind"),
    (["--method", "nf14", "dtw"], "--method dtw: unknown finder"),
])
def test_bad_arguments_are_one_line(tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        cli.run(compare.main, compare.parser(), ["x", *args])
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
    assert not (tmp_path / "output").exists()


def test_a_list_whose_files_share_a_name_is_refused_before_any_work(tmp_path, monkeypatch,
                                                                    capsys):
    monkeypatch.chdir(tmp_path)
    for d in "ab":
        (tmp_path / d).mkdir()
        (tmp_path / d / "x.wav").write_bytes(b"")    # never read: refused by their names
    (tmp_path / "list.txt").write_text("a/x.wav\nb/x.wav\n")
    with pytest.raises(SystemExit) as exit_:
        cli.run(compare.main, compare.parser(),
                ["x", "--features", "chroma", "--filelist", "list.txt",
                 "--config", str(ROOT / "models/cqt_piano/config_cqt.ini")])
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "list.txt, line 2: 'b/x.wav' has the file name of line 1" in err
    assert not (tmp_path / "output").exists()


def test_the_device_reaches_conversion_and_the_transposition_test(tmp_path, monkeypatch):
    """``--device cuda`` loaded the model onto the GPU, then converted on CPU workers and fed
    the transposition test CPU tensors. Without a GPU here, the calls are watched instead;
    chroma needs no model, so both run on the CPU whatever the device says."""
    import soundfile as sf

    from complex_auto import convert
    from complex_auto.cqt import load_audio

    seen = {}
    real_convert, real_featurizer = convert.convert_files, compare.featurizer

    def convert_files(*args, device="cpu", **kwargs):
        seen["convert"] = device
        return real_convert(*args, device="cpu", **kwargs)

    def featurizer(kind, cfg, model=None, device="cpu", step=1):
        seen["transposition"] = device
        return real_featurizer(kind, cfg, model, "cpu", step)

    monkeypatch.setattr(convert, "convert_files", convert_files)
    monkeypatch.setattr(compare, "featurizer", featurizer)
    y = load_audio(ROOT / "data/jku/audio/sonata01-3-poly.mp3", 22050)[:12 * 22050]
    wav = tmp_path / "sonata01-3-poly.wav"
    sf.write(wav, y, 22050)
    (tmp_path / "list.txt").write_text(f"{wav}\n")
    compare.compare("dev", kinds=("chroma",), methods=("families",), filelist=tmp_path / "list.txt",
                    audio=wav, seconds=8.0, semitones=SEMITONES, chance_seeds=(),
                    root=tmp_path / "output", cache_dir=tmp_path / "cache", device="cuda")
    assert seen == {"convert": "cuda", "transposition": "cuda"}


@pytest.fixture(scope="module")
def short_wavs(tmp_path_factory):
    """The first 20 s of sonata01-3 (named as the JKU piece), its first 1 s, and a copy of
    the 20 s under a name that is no JKU piece."""
    import soundfile as sf

    from complex_auto.cqt import load_audio

    tmp = tmp_path_factory.mktemp("wavs")
    y = load_audio(ROOT / "data/jku/audio/sonata01-3-poly.mp3", 22050)[:20 * 22050]
    for name, part in (("sonata01-3-poly", y), ("one", y[:22050]), ("foo", y)):
        sf.write(tmp / f"{name}.wav", part, 22050)
    write_config(tmp / "eighteen.ini", bins_per_oct=18)
    return tmp


@pytest.mark.parametrize("args,message", [
    (["--seconds", "0"], "--seconds 0: must be positive"),
    (["--seconds", "-5"], "--seconds -5: must be positive"),
    (["--semitones", "2", "100"], "--semitones 100: the CQT spans 60 semitones"),
    (["--seconds", "2"], "--seconds 2: the excerpt has 23 CQT frames, not more than one "
                         "window of 32 (2.9 s)"),
    (["--audio", "{wavs}/one.wav"], "one.wav: 1.0 s of audio, 12 CQT frames, not more than"),
    (["--filelist", "foo.txt"], "foo.txt, line 1: tempo of foo.wav unknown (not a JKU piece); "
                                "add it to the line after a tab: PATH<TAB>BPM"),
    (["--config", "{wavs}/eighteen.ini"], "eighteen.ini: key 'bins_per_oct' = 18: --features "
                                          "chroma needs a multiple of 12"),
])
def test_transposition_options_and_tempi_are_checked_before_any_work(
        short_wavs, tmp_path, monkeypatch, capsys, args, message):
    """They ran (``--seconds 0`` took the default 40 s) or failed with a ValueError, or a
    --bpm that compare does not have, after conversion and extraction."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "list.txt").write_text(f"{short_wavs / 'sonata01-3-poly.wav'}\n")
    (tmp_path / "foo.txt").write_text(f"{short_wavs / 'foo.wav'}\n")
    with pytest.raises(SystemExit) as exit_:
        cli.run(compare.main, compare.parser(),
                ["x", "--features", "chroma", "--method", "nf14", "--filelist", "list.txt",
                 "--audio", str(short_wavs / "sonata01-3-poly.wav"),
                 "--config", str(ROOT / "models/cqt_piano/config_cqt.ini"),
                 *[a.format(wavs=short_wavs) for a in args]])
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
    assert not (tmp_path / "output").exists()


def test_a_tempo_from_the_csv_list_lets_a_recording_through(tmp_path):
    # the finders read a tempo from the csv list's second column (extract_motives.py --csv):
    # compare's check before converting must accept what they will accept
    from complex_auto.errors import DataError

    entries = [(tmp_path / "mine.wav", None, 1)]
    scores = tmp_path / "scores.txt"
    scores.write_text(f"{tmp_path / 'mine.csv'}\t96\n")
    compare.check_tempi(entries, tmp_path / "list.txt", jku_list=scores)
    scores.write_text(f"{tmp_path / 'other.csv'}\t96\n")
    with pytest.raises(DataError, match=r"list\.txt, line 1: tempo of mine\.wav unknown"):
        compare.check_tempi(entries, tmp_path / "list.txt", jku_list=scores)
    compare.check_tempi([(tmp_path / "mine.wav", 120.0, 1)], tmp_path / "list.txt",
                        jku_list=scores)
