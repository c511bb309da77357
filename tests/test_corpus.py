"""The rendered training corpus: deny-list, plan, FluidSynth rendering, build."""
import shutil

import numpy as np
import pytest

from .conftest import STRICT, needs

if not STRICT:                   # music21 comes with requirements.txt; .ci/run requires it
    pytest.importorskip("music21")

from complex_auto import corpus  # noqa: E402
from complex_auto.errors import ComplexAutoError  # noqa: E402

needs_fluidsynth = needs(shutil.which("fluidsynth") is not None and corpus.SOUNDFONT.is_file(),
                         "fluidsynth or its FluidR3_GM soundfont (fluid-soundfont-gm)")


@pytest.mark.parametrize("path, composer, title", [
    ("bach/bwv846.mxl", "", ""),                       # WTC I prelude: in the music21 corpus
    ("bach/bwv883.mxl", "", ""),                       # WTC II fugue 20 itself
    ("", "J.S. Bach", "Das wohltemperierte Klavier II"),
    ("chopin/mazurka24-4.krn", "", ""),
    ("", "Frederic Chopin", "Mazurka Op. 24 No. 1"),
    ("beethoven/opus2no1/movement1.mxl", "", ""),
    ("beethoven/opus2no3/movement1.mxl", "", ""),      # any Beethoven piano sonata
    ("", "Ludwig van Beethoven", "Piano Sonata No. 14"),
    ("beethoven/opus57/movement3.mxl", "", ""),
    ("mozart/k282/movement1.mxl", "", ""),             # the sonata of sonata04-2
    ("", "Wolfgang Amadeus Mozart", "Sonata K. 282"),
    ("gibbons/silver_swan.xml", "", ""),
    ("", "Orlando Gibbons", "The Silver Swan"),
])
def test_deny_list_keeps_evaluation_works_out(path, composer, title):
    assert corpus.denied(path, composer, title)


@pytest.mark.parametrize("path", [
    "bach/bwv66.6.mxl", "bach/bwv8.6.mxl", "chopin/mazurka06-2.krn", "mozart/k545/movement1_exposition.mxl",
    "beethoven/opus18no1/movement1.mxl", "beethoven/opus132.mxl", "beethoven/opus59no2/movement4.mxl",
])
def test_deny_list_lets_other_works_in(path):
    assert corpus.denied(path) is None


def test_sources_of_the_music21_corpus_hold_no_denied_score():
    from music21 import corpus as m21

    shipped = {str(p).replace("\\", "/").split("/corpus/", 1)[-1] for p in m21.getCorePaths()}
    assert "bach/bwv846.mxl" in shipped          # the deny-list has real work to do
    sources = corpus.corpus_sources()
    every = [p for paths in sources.values() for p in paths]
    assert "bach/bwv846.mxl" not in every
    assert not [p for p in every if corpus.denied(p)]
    assert all(sources[g] for g in ("chorale", "quartet", "piano", "folk"))


def test_plan_is_fixed_by_the_seed_and_mostly_piano():
    sources = corpus.corpus_sources()
    a, b = corpus.plan(3, 300, sources), corpus.plan(3, 300, sources)
    assert a == b
    assert corpus.plan(4, 300, sources) != a
    assert corpus.plan(3, 20, sources) == a[:20]       # a longer corpus extends a shorter one
    programs = np.array([r.program for r in a])
    assert 0.6 < np.mean(programs == corpus.PIANO) < 0.8
    assert set(programs) - {corpus.PIANO} <= set(corpus.OTHER_PROGRAMS)
    semis = np.array([r.semitones for r in a])
    assert semis.min() >= corpus.SEMITONE_RANGE[0] and semis.max() <= corpus.SEMITONE_RANGE[1]
    assert len(set(semis)) > 5 and len({r.bpm for r in a}) > 20
    assert len({r.group for r in a}) == len(corpus.GROUPS)


def toy_sources(per_group=5):
    """``per_group`` made-up corpus paths in every group."""
    return {g: [f"{g}/{k}.mxl" for k in range(per_group)] for g, _, _ in corpus.GROUPS}


def test_plan_draws_groups_by_their_shares():
    drawn = [r.group for r in corpus.plan(5, 3000, toy_sources())]
    for name, _, share in corpus.GROUPS:
        # 3000 draws: a share's standard error is below 0.01
        assert abs(drawn.count(name) / len(drawn) - share) < 0.03, name
    # a group without paths is never drawn, and the others keep their proportions
    sources = toy_sources() | {"chorale": []}
    drawn = [r.group for r in corpus.plan(5, 3000, sources)]
    assert "chorale" not in drawn
    rest = sum(share for name, _, share in corpus.GROUPS if name != "chorale")
    assert abs(drawn.count("piano") / len(drawn) - 0.20 / rest) < 0.03


def test_plan_uses_every_score_of_a_group_before_reusing_one():
    sources = toy_sources(per_group=7)
    renderings = corpus.plan(11, 600, sources)
    for name, paths in sources.items():
        order = [r.source for r in renderings if r.group == name]
        assert len(order) >= 2 * len(paths), name          # at least two rounds to look at
        for k in range(0, len(order) - len(paths) + 1, len(paths)):
            assert sorted(order[k:k + len(paths)]) == sorted(paths), (name, k)
    # in a seeded random order, not the listed one
    chorales = [r.source for r in renderings if r.group == "chorale"][:7]
    assert chorales != sources["chorale"] and chorales != sources["chorale"][::-1]


def test_build_keeps_exactly_the_files_it_lists(monkeypatch, tmp_path):
    # Rendering stands in (no FluidSynth): every score gives one 100-s file. A target of 250 s
    # is reached by the third score; the fourth of its batch is rendered and must be deleted.
    def render_one(rendering, out_dir, soundfont=None):
        name = f"{rendering.stem}_0.ogg"
        (out_dir / name).write_bytes(b"audio")
        return [(name, 100.0)]

    monkeypatch.setattr(corpus, "check_tools", lambda soundfont: None)
    monkeypatch.setattr(corpus, "render_one", render_one)
    res = corpus.build(tmp_path / "c", hours=250 / 3600, seed=3, jobs=1,
                       sources=toy_sources(per_group=20))
    listed = res["train"] + res["heldout"]
    assert res["pieces"] == 3 and len(listed) == 3
    assert sorted(str(p) for p in (tmp_path / "c").glob("*.ogg")) == sorted(listed)


def test_held_out_pieces_are_works_training_never_heard():
    plan = [corpus.Rendering(i, src, "chorale", 0, 100.0, 0)
            for i, src in enumerate(["a", "b", "c", "d", "e", "f", "g", "h", "b", "i"])]
    pieces = [(r, [(f"{r.index}.ogg", 60.0)]) for r in plan]
    train, held = corpus.split_pieces(pieces, share=0.2)
    assert [r.source for r, _ in train] == list("abcdefgh")
    assert [r.source for r, _ in held] == ["i"]       # "b" again is no held-out work
    assert corpus.split_pieces(pieces[:1]) == (pieces[:1], [])


def test_missing_fluidsynth_is_named(monkeypatch, tmp_path):
    monkeypatch.setattr(corpus.shutil, "which", lambda name: None)
    with pytest.raises(ComplexAutoError, match="fluidsynth"):
        corpus.check_tools()
    with pytest.raises(ComplexAutoError, match="fluid-soundfont-gm"):
        corpus.check_tools(tmp_path / "none.sf2")


def two_bars(pitch="C4"):
    """Two bars of 4/4 quarter notes of one pitch."""
    from music21 import meter, note, stream

    part = stream.Part()
    for bar in range(2):
        m = stream.Measure(number=bar + 1)
        if bar == 0:
            m.append(meter.TimeSignature("4/4"))
        for _ in range(4):
            m.append(note.Note(pitch, quarterLength=1.0))
        part.append(m)
    score = stream.Score()
    score.insert(0, part)
    return score


def peak_hz(y, sr):
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    freqs = np.fft.rfftfreq(len(y), 1 / sr)
    band = (freqs > 100) & (freqs < 1000)
    return freqs[band][np.argmax(spec[band])]


def test_prepare_score_leaves_one_tempo_one_program_and_the_key_asked():
    from music21 import instrument, tempo

    score = two_bars("C4")
    first = score.parts[0].getElementsByClass("Measure")[0]
    first.insert(0, tempo.MetronomeMark(number=60))            # the score's own tempo
    first.insert(0, instrument.Violin())                       # and its own instrument
    out = corpus.prepare_score(score, semitones=2, bpm=132.0, program=19)
    marks = list(out.recurse().getElementsByClass(tempo.MetronomeMark))
    assert [m.number for m in marks] == [132.0]
    programs = [i.midiProgram for i in out.recurse().getElementsByClass(instrument.Instrument)]
    assert programs == [19]
    assert {n.pitch.nameWithOctave for n in out.recurse().notes} == {"D4"}
    assert out.metronomeMarkBoundaries()[0][2].number == 132.0


@pytest.mark.parametrize("samples", [0, 7, 250, 251, 500, 751, 1249])
def test_chunks_are_at_most_the_longest_piece_and_about_equal(samples):
    y = np.arange(samples, dtype=np.float32)
    pieces = corpus.chunks(y, sr=10, seconds=25.0)             # at most 250 samples a piece
    assert len(pieces) == max(1, -(-samples // 250))           # as few as fit
    lengths = [len(p) for p in pieces]
    assert max(lengths) <= 250 and max(lengths) - min(lengths) <= 1
    assert np.array_equal(np.concatenate(pieces), y)


@pytest.mark.parametrize("composer, title, denied", [
    ("Orlando Gibbons", "The Silver Swan", True),
    ("J.S. Bach", "Das wohltemperierte Klavier II", True),
    ("Thomas Morley", "April is in my mistress' face", False),
])
def test_a_score_whose_metadata_is_denied_is_not_rendered(monkeypatch, tmp_path, composer,
                                                          title, denied):
    # the path says nothing (a madrigal of some collection); the metadata inside names the work
    from music21 import corpus as m21
    from music21 import metadata

    def parse(source):
        score = two_bars()
        score.metadata = metadata.Metadata(composer=composer, title=title)
        return score

    rendered = []

    def render_score(score, *args, **kwargs):
        rendered.append(score)
        return np.full(corpus.SR // 10, 0.1, np.float32)

    monkeypatch.setattr(m21, "parse", parse)
    monkeypatch.setattr(corpus, "render_score", render_score)
    r = corpus.Rendering(0, "madrigals/book3/no7.mxl", "vocal", 0, 100.0, 0)
    assert corpus.denied(r.source) is None
    files = corpus.render_one(r, tmp_path)
    if denied:
        assert files == [] and rendered == [] and not list(tmp_path.iterdir())
    else:
        assert len(rendered) == 1 and [n for n, _ in files] == [f"{r.stem}_0.ogg"]
        assert sorted(p.name for p in tmp_path.iterdir()) == [f"{r.stem}_0.ogg"]


@needs_fluidsynth
def test_two_bars_render_at_the_tempo_and_key_asked():
    sr = corpus.SR
    y = corpus.render_score(two_bars(), semitones=0, bpm=120.0)
    # eight quarters at 120 bpm last 4 s; the release tail adds less than a second and a half
    assert 4.0 <= len(y) / sr <= 5.5
    assert y.dtype == np.float32 and np.isclose(np.abs(y).max(), 0.5)
    slow = corpus.render_score(two_bars(), semitones=0, bpm=60.0)
    assert 8.0 <= len(slow) / sr <= 9.5
    up = corpus.render_score(two_bars(), semitones=2, bpm=120.0)
    assert abs(peak_hz(y[:sr * 4], sr) - 261.6) < 3           # C4
    assert abs(peak_hz(up[:sr * 4], sr) - 293.7) < 3          # D4: two semitones up


@needs_fluidsynth
def test_build_writes_lists_and_is_reproducible(tmp_path):
    import soundfile as sf

    sources = {"chorale": ["bach/bwv66.6.mxl", "bach/bwv1.6.mxl", "bach/bwv846.mxl"]}
    runs = []
    for name in ("a", "b"):
        res = corpus.build(tmp_path / name, hours=0.004, seed=7, jobs=1, sources=sources)
        runs.append(res)
        csv = (tmp_path / name / "corpus.csv").read_text()
        assert "bwv846" not in csv                          # denied even when listed
        assert res["seconds"]["train"] + res["seconds"]["heldout"] >= 0.004 * 3600
        listed = (tmp_path / name / "filelist.txt").read_text().split()
        assert listed == res["train"] and res["train"]
        # the batch renders two scores and the first reaches the target: the second's files
        # are deleted, and every file left is listed
        on_disk = sorted(str(p) for p in (tmp_path / name).glob("*.ogg"))
        assert on_disk == sorted(res["train"] + res["heldout"]) and res["pieces"] == 1
        info = sf.info(res["train"][0])
        assert info.samplerate == corpus.SR and info.channels == 1 and info.format == "OGG"
        assert info.duration <= corpus.CHUNK_SECONDS + 1
    csv_a = (tmp_path / "a" / "corpus.csv").read_text()
    assert csv_a == (tmp_path / "b" / "corpus.csv").read_text()


@needs_fluidsynth
def test_a_corpus_of_one_piece_says_it_holds_nothing_out(tmp_path, caplog):
    # "1 pieces: ..., 0.00 h held out (.../heldout.txt, 0 files)", and a config naming that
    # empty list as test_data stopped training later at "file list is empty"
    import argparse
    import logging

    caplog.set_level(logging.INFO)
    corpus.main(argparse.Namespace(dir=tmp_path / "c", hours=0.001, seed=0, jobs=1))
    assert "1 piece: " in caplog.text and "1 pieces" not in caplog.text
    assert (tmp_path / "c" / "heldout.txt").read_text().split() == []
    assert "heldout.txt lists no file: no piece could be held out" in caplog.text


@pytest.mark.parametrize("where, changes, message", [
    ("new", dict(seed=-1), "--seed -1: must be a whole number of at least 0"),
    ("new", dict(hours=float("nan")), "--hours nan: must be > 0"),
    ("new", dict(hours=0), "--hours 0: must be > 0"),
    ("new", dict(hours=-1.5), "--hours -1.5: must be > 0"),
    ("file", {}, "is a file, not a folder"),
    ("file/x", {}, "is a file, not a folder"),
    ("", {}, "DIR '': give the folder"),                   # rendered into the current folder
])
def test_build_refuses_arguments_before_making_anything(tmp_path, monkeypatch, where, changes,
                                                        message):
    # a negative seed failed in NumPy (a traceback) after DIR was made; a file as DIR in mkdir
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file").write_text("")
    args = dict(hours=0.001, seed=0, jobs=1, sources={}) | changes
    with pytest.raises(ComplexAutoError, match=message):
        corpus.build(where, **args)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_the_command_refuses_a_negative_seed_in_one_line(tmp_path, capsys):
    from complex_auto import cli

    with pytest.raises(SystemExit) as stop:
        cli.run(corpus.main, corpus.parser(), ["build", str(tmp_path / "c"), "--seed", "-1"])
    assert stop.value.code == 1
    assert capsys.readouterr().err == "error: --seed -1: must be a whole number of at least 0\n"
    assert not (tmp_path / "c").exists()
