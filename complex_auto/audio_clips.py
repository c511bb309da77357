"""Clips of a recording's occurrences, to hear in the report (``output/RUN/report/clips/``).

Each clip is one span of the recording, at most :data:`MAX_CLIP_SECONDS` long, faded in and
out, mono MP3 at up to :data:`CLIP_SR` Hz; it is named by its span, so that a rebuild reuses it.
Spans are read by seeking (soundfile), so an hour-long recording is never decoded whole.
"""
import json
import math
from pathlib import Path

import numpy as np

from .errors import DataError
from .utils import atomic_path, atomic_write_text, native_stderr_silenced, progress

#: Longest clip, in seconds: 16 beats (the finder's shortest pattern, four bars of 4/4) at 64
#: bpm, enough to hear a theme through and to compare its occurrences by ear. Longer
#: occurrences (whole sections, up to most of a piece) play their first 15 s, and the page
#: says so. The occurrences of the five JKU pieces overlap and together last about an hour,
#: four times the recordings; capped, their clips last 44 minutes.
MAX_CLIP_SECONDS = 15.0
#: Clips of one piece at most (distinct spans, best patterns first): 500 of at most 15 s last
#: at most 2 hours and take about 13 MB, four times the most that a piece of the JKU or of
#: BPS-dev needs (130 with --method families, bps14). More patterns than that are mostly noise
#: (nf14 lists hundreds on a silent recording), and their clips would fill the disk.
MAX_CLIPS = 500
#: Fade in and out at each clip's ends, in seconds: removes the click of a cut through a sound,
#: shorter than a note's attack so that no onset is lost.
FADE_SECONDS = 0.015
#: Highest sample rate of the clips (Hz). The JKU renditions are at 11025 Hz; 11 kHz keeps the
#: pitches and the timbre recognisable (5.5 kHz of bandwidth) at a quarter of CD rate.
CLIP_SR = 11025
#: libsndfile's MP3 compression level, with an average bit rate: about 13 kbit/s (1.7 kB per
#: second of clip) at 11025 Hz mono, measured on the JKU clips. MP3 plays in every browser;
#: unlike a constant bit rate, this mode writes the LAME header that tells decoders the exact
#: length (without it a clip plays ~0.1 s of encoder padding too).
CLIP_COMPRESSION = 0.9


def cut_clip(y, sr, start, end, fade=FADE_SECONDS, max_seconds=MAX_CLIP_SECONDS):
    """The samples of ``[start, end)`` seconds, at most ``max_seconds`` long, faded in and out.

    Parameters
    ----------
    y : np.ndarray, shape (samples,)
        The recording, mono.
    sr : int
        Its sample rate (Hz).
    start, end : float
        The occurrence in seconds; clipped to the recording.
    fade : float
        Length of the linear fade at each end, in seconds (shortened for very short clips).
    max_seconds : float
        The longest clip; a longer occurrence gives its first ``max_seconds``.

    Returns
    -------
    np.ndarray, shape (samples,), float32
        The samples of ``[max(start, 0), min(end, start + max_seconds))`` that lie in ``y``;
        empty when the span lies outside the recording.
    """
    a = max(int(round(start * sr)), 0)
    b = min(int(round(min(end, start + max_seconds) * sr)), len(y))
    clip = np.array(y[a:b], dtype=np.float32) if b > a else np.zeros(0, np.float32)
    n = min(int(round(fade * sr)), len(clip) // 2)
    if n > 0:
        ramp = np.arange(1, n + 1, dtype=np.float32) / (n + 1)
        clip[:n] *= ramp
        clip[-n:] *= ramp[::-1]
    return clip


def write_clip(path, clip, sr):
    """Write a clip as a mono MP3 (average bit rate, :data:`CLIP_COMPRESSION`), atomically.

    Parameters
    ----------
    path : str or Path
    clip : np.ndarray, shape (samples,)
        Mono audio in [-1, 1] (:func:`cut_clip`).
    sr : int
        Sample rate in Hz.
    """
    import soundfile as sf

    with atomic_path(path) as tmp:
        sf.write(tmp, clip, sr, format="MP3", compression_level=CLIP_COMPRESSION,
                 bitrate_mode="AVERAGE")


def clip_span(start, end, duration, max_seconds=MAX_CLIP_SECONDS):
    """The part of an occurrence that its clip plays: ``(start, end)`` in seconds, or ``None``.

    The span :func:`cut_clip` cuts, known before the recording is read, so that a clip is named
    by it and reused when the file is there.

    Parameters
    ----------
    start, end : float
        The occurrence in seconds.
    duration : float
        The recording's length in seconds.
    max_seconds : float
        The longest clip.

    Returns
    -------
    (float, float) or None
        ``(max(start, 0), min(end, duration, start + max_seconds))``; None when that is empty.
    """
    a, b = max(start, 0.0), min(end, duration, start + max_seconds)
    return (a, b) if b > a else None


def _downsample(y, sr, max_sr):
    """``(y, sr)`` brought down to ``max_sr`` by polyphase filtering when above it."""
    from scipy.signal import resample_poly

    if sr > max_sr:
        g = math.gcd(int(sr), int(max_sr))
        y, sr = resample_poly(y, max_sr // g, int(sr) // g), max_sr
    return np.asarray(y, dtype=np.float32), int(sr)


#: How much of a recording's end is decoded to learn its true length, in seconds (an MP3's
#: header may be off by tenths of a second; the JKU ones by up to 0.4 s).
END_PROBE_SECONDS = 30.0
#: Decoded and dropped before each span, in seconds: an MP3 frame may draw on bits of the
#: frames before it (its bit reservoir), so the first frames after a seek come out wrong;
#: 0.25 s is several frames at any rate (0.1 s already gave the exact samples on the JKU MP3s).
PREROLL_SECONDS = 0.25


def open_recording(path, max_sr=CLIP_SR):
    """A recording's decoded length, and a reader of its spans.

    With soundfile (WAV, FLAC, OGG, MP3, ...) spans are read by seeking, so an hour-long
    recording is never held whole; other formats (m4a, ...) are decoded whole by librosa.

    Parameters
    ----------
    path : str or Path
    max_sr : int
        Highest sample rate of what ``read`` returns (Hz).

    Returns
    -------
    duration : float
        Seconds of audio, as decoded.
    read : callable
        ``read(start, end)`` → ``(y, sr)``: the span ``[start, end)`` seconds (clipped to the
        recording) as mono float32 at ``min(rate, max_sr)``.

    Raises
    ------
    DataError
        When no decoder reads the file.
    """
    import soundfile as sf

    path = str(path)
    try:
        with native_stderr_silenced(), sf.SoundFile(path) as f:
            rate = f.samplerate
            f.seek(max(0, f.frames - int(END_PROBE_SECONDS * rate)))
            frames = f.tell() + len(f.read(dtype="float32", always_2d=True))
    except (RuntimeError, TypeError, ValueError):   # libsndfile cannot read it
        y, sr = _load_whole(path, max_sr)
        return len(y) / sr, lambda start, end: (
            y[max(int(round(start * sr)), 0):max(int(round(end * sr)), 0)], sr)

    def read(start, end):
        a = min(max(int(round(start * rate)), 0), frames)
        b = min(max(int(round(end * rate)), a), frames)
        a0 = max(a - int(PREROLL_SECONDS * rate), 0)
        with native_stderr_silenced(), sf.SoundFile(path) as f:
            f.seek(a0)
            y = f.read(b - a0, dtype="float32", always_2d=True)[a - a0:].mean(axis=1)
        return _downsample(y, rate, max_sr)

    return frames / rate, read


def _load_whole(path, max_sr):
    """A whole recording through librosa's decoders, mono, at ``min(rate, max_sr)``."""
    import warnings

    import librosa

    try:
        with warnings.catch_warnings():     # its fallback warnings; failure is said below
            warnings.simplefilter("ignore")
            y, sr = librosa.load(str(path), sr=None, mono=True)
    except Exception as e:      # decoders raise many types; the user needs the file name
        raise DataError(f"{path}: cannot read the recording ({type(e).__name__}: {e})") from None
    return _downsample(y, sr, max_sr)


def clip_name(span):
    """The file name of the clip of ``span`` (``(start, end)`` seconds): its ends in
    milliseconds, ``0012340-0023450.mp3``."""
    return f"{int(round(span[0] * 1000)):07d}-{int(round(span[1] * 1000)):07d}.mp3"


def clip_seconds(path):
    """How long the clip at ``path`` plays, in seconds, read off its :func:`clip_name`."""
    start, end = (int(t) for t in Path(path).stem.split("-"))
    return (end - start) / 1000


def _saved_duration(record, source):
    """The decoded length ``source.json`` at ``record`` holds, when it records ``source``
    (the same recording, the same clip settings); else None."""
    try:
        saved = json.loads(record.read_text())
        duration = float(saved.pop("duration"))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return duration if saved == source else None


def piece_clips(folder, audio, patterns):
    """Cut (or reuse) the clips of a piece.

    A clip is named by its span in milliseconds (:func:`clip_name`), so occurrences with the
    same span share one file and a rebuild reuses what is there. ``source.json`` records the
    recording they were cut from and its decoded length; clips of another recording, or no
    longer used, are removed. (The decoded length is the one to trust: an MP3's header can be
    off by tenths of a second.) At most :data:`MAX_CLIPS` distinct spans, the best patterns'
    first.

    Parameters
    ----------
    folder : Path
        The piece's clips folder (``RunLayout.report_clips(piece)``); made when missing.
    audio : Path
        The recording.
    patterns : list of dict
        Best first, each with ``pattern`` and ``occurrences``, a list of ``(occurrence,
        start_s, end_s)`` (:func:`complex_auto.report.read_patterns_csv`).

    Returns
    -------
    duration : float
        The recording's decoded length in seconds.
    clips : dict
        ``{(pattern, occurrence): (src relative to the report, (start, end) played)}``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    source = {"audio": str(audio), "size": audio.stat().st_size,
              "mtime": audio.stat().st_mtime, "sr": CLIP_SR, "max_seconds": MAX_CLIP_SECONDS,
              "fade": FADE_SECONDS, "compression": CLIP_COMPRESSION, "format": "mp3 abr"}
    record = folder / "source.json"
    read = None
    duration = _saved_duration(record, source)
    if duration is None:        # another recording, other clip settings, or no record
        for f in folder.glob("*.mp3"):
            f.unlink()
        duration, read = open_recording(audio)
    wanted, names = {}, set()
    for p in patterns:                   # best first: the clips left out are of the last
        for o, start, end in p["occurrences"]:
            span = clip_span(start, end, duration)
            if span is None:
                continue
            name = clip_name(span)
            if name not in names and len(names) >= MAX_CLIPS:
                continue
            names.add(name)
            wanted[(p["pattern"], o)] = (name, span)
    missing = sorted({name: span for name, span in wanted.values()
                      if not (folder / name).is_file()}.items())
    if missing:
        if read is None:
            _, read = open_recording(audio)
        for name, (a, b) in progress(missing, desc=f"clips {folder.name}", unit="clip",
                                     leave=False):
            y, sr = read(a, b)
            write_clip(folder / name, cut_clip(y, sr, 0.0, b - a), sr)
    keep = {name for name, _ in wanted.values()}
    for f in folder.glob("*.mp3"):
        if f.name not in keep:
            f.unlink()
    atomic_write_text(record, json.dumps(dict(source, duration=duration)) + "\n")
    return duration, {k: (f"clips/{folder.name}/{name}", span)
                      for k, (name, span) in wanted.items()}
