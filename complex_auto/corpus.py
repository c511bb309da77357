"""A training corpus that ships as a recipe: scores of the music21 corpus rendered with FluidSynth.

``python -m complex_auto.corpus build DIR [--hours H] [--seed S]`` draws scores from the corpus
that ships inside the ``music21`` wheel (Bach chorales, string quartets, piano pieces, madrigals,
folk tunes...), transposes each by a random number of semitones, gives it a random tempo and a
General-MIDI instrument (mostly piano), renders it with the ``fluidsynth`` command and the
``FluidR3_GM`` soundfont (Debian: ``apt-get install fluidsynth fluid-soundfont-gm``), and writes
22050 Hz mono Ogg Vorbis files cut into pieces of at most :data:`CHUNK_SECONDS`, plus two file
lists: ``filelist.txt`` (training) and ``heldout.txt`` (whole pieces kept out, for the evaluation
loss). The same seed gives the same corpus.

No score that the toolkit is evaluated on goes in: :data:`DENY` names the JKU pieces and every
other movement of their works, all of Bach's Well-Tempered Clavier, and every Beethoven piano
sonata, matched on corpus paths and on the scores' metadata (:func:`denied`).
"""
import argparse
import functools
import logging
import math
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .cli import number
from .errors import ComplexAutoError, DataError
from .utils import counted, file_in_the_way

log = logging.getLogger(__name__)

SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
SR = 22050
#: Longest file written; long movements are cut so that files, which training samples
#: uniformly, weigh the music about equally per second.
CHUNK_SECONDS = 90.0
#: Quarter notes per minute, drawn uniformly: slow chorale to brisk allegro.
BPM_RANGE = (60.0, 150.0)
#: Transposition in semitones, drawn uniformly: about an octave of keys around the written one.
SEMITONE_RANGE = (-6, 6)
HELDOUT_SHARE = 0.1
PIANO = 0
#: Other General-MIDI programs (one per rendering): harpsichord, electric piano, organ,
#: guitar, strings, choir, flute, clarinet, vibraphone.
OTHER_PROGRAMS = (6, 4, 19, 24, 48, 52, 73, 71, 11)
PIANO_SHARE = 0.7

#: Source groups of the music21 corpus: (name, path regex, share of the draws).
GROUPS = (
    ("chorale", r"^bach/bwv\d+\.\d+\.(mxl|xml)$", 0.35),
    ("quartet", r"^(haydn|mozart/k(80|155|156|458)|beethoven/opus(18|59|74|132|133)"
                r"|schumann_robert/opus41)", 0.08),
    ("piano", r"^(joplin|schumann_clara|mozart/k545|chopin|cpebach|schoenberg/opus19|beach"
              r"|schubert|schumann_robert/dichterliebe)", 0.20),
    ("vocal", r"^(monteverdi/madrigal.*\.mxl|palestrina/|josquin/|trecento/|lusitano/)", 0.20),
    ("folk", r"^ryansMammoth/", 0.12),
    ("other", r"^(corelli|handel|verdi|weber|liliuokalani|johnson_j_r|leadSheet)/", 0.05),
)
SCORE_SUFFIXES = (".mxl", ".xml", ".musicxml", ".krn", ".abc")

#: Scores that must never be rendered: (regex on "corpus path | composer | title", reason).
DENY = (
    (r"bwv\s*0*(8(4[6-9]|[5-8]\d|9[0-3]))\b", "Bach, Well-Tempered Clavier (BWV 846-893; JKU wtc2f20)"),
    (r"well.?tempered|wohltemperi|\bwtc", "Bach, Well-Tempered Clavier (JKU wtc2f20)"),
    (r"chopin.*(mazurka\s*-?24|op(us)?\.?\s*24\b)", "Chopin, Mazurkas op. 24 (JKU mazurka24-4)"),
    (r"mazurka24", "Chopin, Mazurkas op. 24 (JKU mazurka24-4)"),
    (r"beethoven.*sonat", "Beethoven piano sonatas (evaluation; JKU sonata01-3)"),
    (r"beethoven.*op(us)?\.?\s*0*(2|7|10|13|14|22|26|27|28|31|49|53|54|57|78|79|81a?|90|101|106"
     r"|109|110|111)(?!\d)", "Beethoven piano sonatas (evaluation; JKU sonata01-3)"),
    (r"mozart.*\bk\.?\s*0*282\b|mozart.*k282", "Mozart, Sonata K. 282 (JKU sonata04-2)"),
    (r"silver\s*swan|gibbons", "Gibbons, The Silver Swan (JKU silverswan)"),
    (r"sonata0[14]", "JKU sonata pieces"),
)
_DENY = [(re.compile(p, re.IGNORECASE), why) for p, why in DENY]


def denied(path, composer="", title=""):
    """Why a score must stay out of the corpus, or ``None`` when it may go in.

    Parameters
    ----------
    path : str
        The score's path inside the music21 corpus, e.g. ``"bach/bwv846.mxl"``.
    composer, title : str
        The score's metadata, where known.

    Returns
    -------
    str or None
        The reason of the first pattern of :data:`DENY` that ``"path | composer | title"``
        matches (case ignored), e.g. ``"Bach, Well-Tempered Clavier (JKU wtc2f20)"``; None
        when none does.
    """
    text = " | ".join(str(s) for s in (path, composer or "", title or ""))
    for pattern, why in _DENY:
        if pattern.search(text):
            return why
    return None


@dataclass
class Rendering:
    """One score to render and how."""

    index: int
    source: str      #: path inside the music21 corpus
    group: str
    semitones: int
    bpm: float
    program: int     #: General-MIDI program for every part

    @property
    def stem(self):
        name = re.sub(r"[^A-Za-z0-9]+", "-", self.source.rsplit(".", 1)[0]).strip("-")
        return f"{self.index:04d}_{name}_p{self.program}_t{self.semitones:+d}_{int(self.bpm)}bpm"


def corpus_sources():
    """Paths of the music21 corpus by group, denied scores removed, in sorted order.

    Returns
    -------
    dict
        group name -> list of corpus paths (relative, e.g. ``"bach/bwv66.6.mxl"``).
    """
    try:
        from music21 import corpus
    except ImportError:
        raise ComplexAutoError("the music21 package is missing: pip install music21") from None
    rel = sorted({str(p).replace("\\", "/").split("/corpus/", 1)[-1] for p in corpus.getCorePaths()})
    # One file per work: the .krn twin of an .mxl score is the same music.
    by_stem = {}
    for p in rel:
        if p.endswith(SCORE_SUFFIXES):
            by_stem.setdefault(p.rsplit(".", 1)[0], p)
    out = {}
    for name, pattern, _ in GROUPS:
        rx = re.compile(pattern)
        out[name] = [p for p in sorted(by_stem.values()) if rx.search(p) and not denied(p)]
    return out


def plan(seed, n, sources=None):
    """The first ``n`` renderings the corpus of ``seed`` draws.

    Groups are drawn with their shares; within a group, scores come in a seeded random order
    and are reused (with new keys and tempi) only after all were used.

    Parameters
    ----------
    seed : int
        Seed of every draw: the plan of ``n + 1`` renderings starts with that of ``n``.
    n : int
        Renderings planned.
    sources : dict, optional
        Group name → corpus paths (default :func:`corpus_sources`); groups without paths are
        never drawn.

    Returns
    -------
    list of Rendering
    """
    sources = corpus_sources() if sources is None else sources
    groups = [g for g in GROUPS if sources.get(g[0])]
    rng = np.random.default_rng(seed)
    shares = np.array([g[2] for g in groups])
    queues = {g[0]: [] for g in groups}
    out = []
    for i in range(n):
        name = groups[rng.choice(len(groups), p=shares / shares.sum())][0]
        if not queues[name]:
            queues[name] = [sources[name][j] for j in rng.permutation(len(sources[name]))]
        source = queues[name].pop()
        semitones = int(rng.integers(SEMITONE_RANGE[0], SEMITONE_RANGE[1] + 1))
        bpm = float(np.round(rng.uniform(*BPM_RANGE)))
        program = PIANO if rng.random() < PIANO_SHARE else int(rng.choice(OTHER_PROGRAMS))
        out.append(Rendering(i, source, name, semitones, bpm, program))
    return out


def check_tools(soundfont=SOUNDFONT):
    """Raise with the install command when FluidSynth or the soundfont is missing."""
    missing = []
    if shutil.which("fluidsynth") is None:
        missing.append("the fluidsynth command (apt-get install fluidsynth)")
    if not Path(soundfont).is_file():
        missing.append(f"the soundfont {soundfont} (apt-get install fluid-soundfont-gm)")
    if missing:
        raise ComplexAutoError("cannot render the corpus: missing " + " and ".join(missing))


def prepare_score(score, semitones, bpm, program):
    """Transpose ``score``, set one tempo and one General-MIDI program for all its parts.

    Parameters
    ----------
    score : music21.stream.Score or music21.stream.Opus
        An opus gives its first score.
    semitones : int
        Transposition, up when positive.
    bpm : float
        Quarter notes per minute; the score's own tempo marks are removed.
    program : int
        General-MIDI program (0 = acoustic grand piano).

    Returns
    -------
    music21.stream.Score
    """
    from music21 import instrument, stream, tempo

    if isinstance(score, stream.Opus):
        score = score.scores[0]
    if semitones:
        score = score.transpose(semitones)
    parts = list(score.parts) or [score]
    for part in parts:
        for el in list(part.recurse().getElementsByClass((instrument.Instrument,
                                                           tempo.MetronomeMark,
                                                           tempo.TempoIndication))):
            el.activeSite.remove(el)
        ins = instrument.Instrument()
        ins.midiProgram = program
        part.insert(0, ins)
    parts[0].insert(0, tempo.MetronomeMark(number=bpm))
    return score


def render_midi(midi_path, soundfont=SOUNDFONT, sr=SR):
    """Render a MIDI file with FluidSynth.

    Parameters
    ----------
    midi_path : str or Path
    soundfont : str or Path
        The ``.sf2`` soundfont.
    sr : int
        Sample rate in Hz.

    Returns
    -------
    np.ndarray, shape (samples,), float32
        Mono audio at ``sr`` Hz, cut half a second after its last sample above 1e-3 (-60 dB),
        peak scaled to 0.5; empty when nothing reaches that level.

    Raises
    ------
    ComplexAutoError
        When FluidSynth or the soundfont is missing (:func:`check_tools`).
    DataError
        When FluidSynth fails or writes another sample rate.
    """
    import soundfile as sf

    check_tools(soundfont)
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "out.wav"
        cmd = ["fluidsynth", "-ni", "-q", "-g", "0.5", "-r", str(sr), "-F", str(wav),
               str(soundfont), str(midi_path)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0 or not wav.is_file():
            raise DataError(f"{midi_path}: fluidsynth failed: {proc.stderr.strip()[:200]}")
        y, rate = sf.read(str(wav), dtype="float32", always_2d=True)
    if rate != sr:
        raise DataError(f"{midi_path}: fluidsynth wrote {rate} Hz instead of {sr}")
    y = y.mean(axis=1)
    loud = np.flatnonzero(np.abs(y) > 1e-3)
    if loud.size == 0:
        return np.zeros(0, np.float32)
    y = y[:loud[-1] + sr // 2]
    return (0.5 * y / np.abs(y).max()).astype(np.float32)


def render_score(score, semitones=0, bpm=100.0, program=PIANO, soundfont=SOUNDFONT, sr=SR):
    """Audio of a music21 score (see :func:`prepare_score` and :func:`render_midi`).

    Parameters
    ----------
    score : music21.stream.Score or music21.stream.Opus
    semitones : int
        Transposition, up when positive.
    bpm : float
        Quarter notes per minute.
    program : int
        General-MIDI program of every part.
    soundfont : str or Path
    sr : int
        Sample rate in Hz.

    Returns
    -------
    np.ndarray, shape (samples,), float32
        As :func:`render_midi`.
    """
    check_tools(soundfont)
    score = prepare_score(score, semitones, bpm, program)
    with tempfile.TemporaryDirectory() as tmp:
        midi = Path(tmp) / "score.mid"
        score.write("midi", fp=str(midi))
        return render_midi(midi, soundfont, sr)


def chunks(y, sr=SR, seconds=CHUNK_SECONDS):
    """Cut ``y`` into equal pieces of at most ``seconds``.

    Parameters
    ----------
    y : np.ndarray, shape (samples,)
    sr : int
        Sample rate of ``y`` in Hz.
    seconds : float
        Longest piece.

    Returns
    -------
    list of np.ndarray
        ``ceil(duration / seconds)`` pieces (one at least) whose lengths differ by one sample
        at most.
    """
    n = max(1, math.ceil(len(y) / (seconds * sr)))
    bounds = np.linspace(0, len(y), n + 1).astype(int)
    return [y[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def render_one(rendering, out_dir, soundfont=SOUNDFONT):
    """Render one planned score into ``out_dir``; returns ``[(file name, seconds), ...]``.

    A score whose metadata hits :data:`DENY`, that music21 cannot read, or whose rendering
    raises anything but a :class:`DataError`, returns ``[]`` with a warning.

    Parameters
    ----------
    rendering : Rendering
    out_dir : str or Path
        Receives the score's Ogg Vorbis files, ``STEM_K.ogg`` (:func:`chunks`).
    soundfont : str or Path

    Returns
    -------
    list of (str, float)
        The file name (in ``out_dir``) and seconds of every chunk written, in order; empty
        when the score is skipped.

    Raises
    ------
    DataError
        When FluidSynth fails or writes another sample rate (:func:`render_midi`).
    """
    import soundfile as sf
    from music21 import corpus

    from .utils import atomic_path

    try:
        score = corpus.parse(rendering.source)
    except Exception as e:  # music21 raises many types for scores it cannot read
        log.warning("skipping %s: music21 cannot read it (%s)", rendering.source, type(e).__name__)
        return []
    md = score.metadata
    why = denied(rendering.source, getattr(md, "composer", "") or "", getattr(md, "title", "") or "")
    if why:
        log.warning("skipping %s: %s", rendering.source, why)
        return []
    try:
        y = render_score(score, rendering.semitones, rendering.bpm, rendering.program, soundfont)
    except DataError:
        raise
    except Exception as e:
        log.warning("skipping %s: cannot render (%s)", rendering.source, type(e).__name__)
        return []
    out = []
    for k, piece in enumerate(chunks(y)):
        name = f"{rendering.stem}_{k}.ogg"
        with atomic_path(Path(out_dir) / name) as tmp:
            sf.write(str(tmp), piece, SR, format="OGG", subtype="VORBIS")
        out.append((name, len(piece) / SR))
    return out


def split_pieces(pieces, share=HELDOUT_SHARE):
    """Training and held-out pieces: the last ``share`` of the pieces are held out, except
    other renderings of scores the training part has (a work heard in training tests nothing).

    Parameters
    ----------
    pieces : list of (Rendering, files)
    share : float
        Share of the pieces held out (at least one when there are two or more).

    Returns
    -------
    train, heldout : list of (Rendering, files)
    """
    n_held = max(1, round(share * len(pieces))) if len(pieces) > 1 else 0
    train, held = pieces[:len(pieces) - n_held], pieces[len(pieces) - n_held:]
    trained = {r.source for r, _ in train}
    return train, [p for p in held if p[0].source not in trained]


def check_arguments(out_dir, hours, seed, jobs):
    """Refuse arguments of :func:`build` that cannot make a corpus, before anything is made.

    A negative seed failed in NumPy after ``DIR`` was made, a file as ``DIR`` failed in
    ``mkdir``, and an empty ``DIR`` rendered into the current folder.

    Parameters
    ----------
    out_dir : str or Path
        ``DIR``: must name a folder (existing or not), not a file and not ``''``.
    hours : float
        Must be finite and above 0.
    seed : int
        Must be a whole number of at least 0 (what NumPy's generators take).
    jobs : int
        Must be at least 1.

    Raises
    ------
    ComplexAutoError
        Naming the argument and what is wrong with it.
    """
    if not str(out_dir).strip():
        raise ComplexAutoError(f"DIR '{out_dir}': give the folder to render the corpus into")
    blocking = file_in_the_way(out_dir)
    if blocking is not None:
        where = "" if blocking == Path(out_dir) else f"{blocking} "
        raise DataError(f"DIR {out_dir}: {where}is a file, not a folder")
    if not (isinstance(hours, (int, float)) and math.isfinite(hours) and hours > 0):
        raise ComplexAutoError(f"--hours {hours}: must be > 0")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ComplexAutoError(f"--seed {seed}: must be a whole number of at least 0")
    if not isinstance(jobs, (int, np.integer)) or jobs < 1:
        raise ComplexAutoError(f"-j {jobs}: must be at least 1")


def build(out_dir, hours=2.5, seed=0, jobs=2, soundfont=SOUNDFONT, sources=None):
    """Render the corpus of ``seed`` until it holds ``hours`` of audio.

    Scores are rendered in plan order, in batches over ``jobs`` processes; the corpus is the
    shortest prefix of the plan reaching ``hours``, so the result does not depend on ``jobs``.
    The last :data:`HELDOUT_SHARE` of the pieces (whole pieces, all their files; see
    :func:`split_pieces`) are listed in ``heldout.txt``, the rest in ``filelist.txt``;
    held-out renderings of a score that training has are deleted. ``corpus.csv`` lists every
    file with its source and rendering parameters.

    Parameters
    ----------
    out_dir : str or Path
        Folder of the audio files and lists, created when missing.
    hours : float
        Audio to render, in hours; the last score may overshoot it.
    seed : int
        Seed of the plan (:func:`plan`).
    jobs : int
        Rendering processes.
    soundfont : str or Path
    sources : dict, optional
        Group name → corpus paths (default :func:`corpus_sources`); denied paths are dropped.

    Returns
    -------
    dict
        ``train`` and ``heldout`` file lists (paths), ``seconds`` of each (a dict by set) and
        ``pieces``, the number of scores rendered (deleted ones included).

    Raises
    ------
    ComplexAutoError
        When an argument cannot work (:func:`check_arguments`), or FluidSynth, the soundfont
        or music21 is missing; then nothing is created.
    DataError
        When ``out_dir`` is a file or cannot be created, or FluidSynth fails.
    """
    from .utils import atomic_write_text, progress_map

    check_arguments(out_dir, hours, seed, jobs)
    check_tools(soundfont)
    sources = corpus_sources() if sources is None else sources
    sources = {g: [p for p in paths if not denied(p)] for g, paths in sources.items()}
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DataError(f"{out_dir}: cannot create the folder ({e.strerror or e})") from None
    target = hours * 3600.0
    done, total, batch = [], 0.0, 2 * jobs
    while total < target:
        todo = plan(seed, len(done) + batch, sources)[len(done):]
        results = progress_map(functools.partial(render_one, out_dir=out_dir, soundfont=soundfont),
                               todo, jobs=jobs, desc=f"rendering ({total / 3600:.2f} h)",
                               unit="score")
        for r, files in zip(todo, results):
            if total >= target:
                for name, _ in files:  # rendered in the batch beyond the target
                    (out_dir / name).unlink(missing_ok=True)
                continue
            done.append((r, files))
            total += sum(s for _, s in files)
    pieces = [(r, files) for r, files in done if files]
    train, held = split_pieces(pieces)
    kept = {id(p) for p in train + held}
    for piece in pieces:
        if id(piece) not in kept:          # a re-rendering of a training score, not held out
            for name, _ in piece[1]:
                (out_dir / name).unlink(missing_ok=True)
    rows = ["file,source,group,semitones,bpm,program,seconds,set"]
    lists = {}
    for label, part in (("train", train), ("heldout", held)):
        paths = []
        for r, files in part:
            for name, sec in files:
                paths.append(str(out_dir / name))
                rows.append(f"{name},{r.source},{r.group},{r.semitones},{r.bpm:g},{r.program},"
                            f"{sec:.2f},{label}")
        lists[label] = paths
    atomic_write_text(out_dir / "filelist.txt", "\n".join(lists["train"]) + "\n")
    atomic_write_text(out_dir / "heldout.txt", "\n".join(lists["heldout"]) + "\n")
    atomic_write_text(out_dir / "corpus.csv", "\n".join(rows) + "\n")
    seconds = {label: sum(s for r, fs in part for _, s in fs)
               for label, part in (("train", train), ("heldout", held))}
    return {"train": lists["train"], "heldout": lists["heldout"], "seconds": seconds,
            "pieces": len(pieces)}


def parser():
    """The command line of ``python -m complex_auto.corpus``."""
    p = argparse.ArgumentParser(
        prog="python -m complex_auto.corpus",
        description="Render a training corpus from the scores that ship with music21, with "
                    "FluidSynth: mostly piano, some other instruments, random keys and tempi. "
                    "Writes DIR/*.ogg, DIR/filelist.txt (training), DIR/heldout.txt (held-out "
                    "pieces) and DIR/corpus.csv (what each file is).",
        epilog="Needs: pip install music21; apt-get install fluidsynth fluid-soundfont-gm. "
               "No JKU piece nor another movement of its work, no Well-Tempered Clavier and no "
               "Beethoven piano sonata is rendered (complex_auto.corpus.DENY).")
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="render a corpus into DIR")
    b.add_argument("dir", metavar="DIR", help="output folder, e.g. cache/corpus")
    b.add_argument("--hours", type=number, default=2.5, help="hours of audio (default 2.5)")
    b.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    b.add_argument("-j", "--jobs", type=int, default=2,
                   help="rendering processes (default 2)")
    b.add_argument("-v", "--verbose", action="store_true", help="debug logging and tracebacks")
    return p


def main(args):
    """Build the corpus the arguments ask for and log what it holds."""
    res = build(args.dir, hours=args.hours, seed=args.seed, jobs=args.jobs)
    log.info("%s: %.2f h for training (%s/filelist.txt, %s), %.2f h held out (%s/heldout.txt, "
             "%s)", counted(res["pieces"], "piece"), res["seconds"]["train"] / 3600, args.dir,
             counted(len(res["train"]), "file"), res["seconds"]["heldout"] / 3600, args.dir,
             counted(len(res["heldout"]), "file"))
    if not res["heldout"]:
        # a config whose test_data names it would stop at "file list is empty"
        log.warning("%s/heldout.txt lists no file: no piece could be held out (a corpus of one "
                    "piece or one work); give more --hours to have an evaluation set",
                    args.dir)


if __name__ == "__main__":
    from . import cli

    cli.run(main, parser())
