"""The picture of a piece's patterns: its self-similarity matrix with every occurrence drawn.

:func:`plot_patterns` writes ``PIECE_patterns.png`` (``extract_motives.py``, both methods):
the matrix max-pooled to at most 800 pixels a side, each pattern's segments in one colour of
:data:`PALETTE` in the order the patterns are listed, and the ground truth's occurrences
(:func:`reference_frame_spans`) as grey bars along the top and the left edge. The report
(:mod:`complex_auto.report`) uses the same colours, so that a pattern looks alike in both.
"""
import functools
from pathlib import Path

import numpy as np

from . import checks
from .errors import ParameterError
from .half import as_float
from .jku import occurrence_onsets, read_mirex
from .memory import read_rows
from .utils import atomic_path

#: Colours of successive patterns: matplotlib's tab10 with a dark teal for its grey, which
#: is the ground truth's colour (:data:`TRUTH_COLOUR`).
PALETTE = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
           (140, 86, 75), (227, 119, 194), (0, 105, 92), (188, 189, 34), (23, 190, 207))
#: Colour of the ground truth's occurrences, in the picture and the report's timeline.
TRUTH_COLOUR = (110, 110, 110)
#: Spacings of the picture's time ticks (seconds): the first that gives at most 8 ticks.
TICK_SECONDS = (10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)


def plot_patterns(path, X, patterns, title="", reference_spans=None, max_pixels=800,
                  frame_seconds=None, shift=0.0):
    """Picture of a matrix with its found segments and, optionally, reference pattern spans.

    Drawn with Pillow rather than matplotlib: a figure per piece through matplotlib costs more
    than the whole search.

    Parameters
    ----------
    path : str or Path
        The PNG to write (``NAME_patterns.png``).
    X : np.ndarray, shape (N, N)
        The self-similarity matrix as loaded; shown max-pooled to at most ``max_pixels``
        pixels a side, dark where similar (grey levels spread between the 2nd and 99.5th
        percentiles).
    patterns : list of np.ndarray, each shape (occurrences, 4)
        In the layout of :func:`complex_auto.nf14.group_patterns` (both methods'; see
        :func:`complex_auto.patterns.families_to_patterns`). Each pattern's segments get one
        colour, drawn above the main diagonal from ``(x=j, y=i)`` to ``(j+M, i+M)`` and
        mirrored below it.
    title : str
        Written above the matrix.
    reference_spans : list of list of (float, float), optional
        Per ground-truth pattern, its occurrences' frame spans
        (:func:`reference_frame_spans`); drawn as grey bars (:data:`TRUTH_COLOUR`) along the
        top and the left edge, one row of bars per pattern, the first outermost.
    max_pixels : int
        Largest side of the picture of the matrix.
    frame_seconds : float, optional
        Seconds per row of ``X``: when given, a time axis (m:ss) runs under the matrix.
    shift : float
        Rows from a row's start to the time it stands for (a window's centre for
        ``families``), as in ``.patterns.csv``.

    Raises
    ------
    ParameterError
        When ``X`` is not a square matrix of finite numbers with a row at least,
        ``patterns`` not in the ``(occurrences, 4)`` layout, ``max_pixels`` not a positive
        integer, or ``frame_seconds`` (when given) not a positive number.
    """
    from PIL import Image, ImageDraw

    if getattr(X, "ndim", None) != 2:       # a memory-mapped matrix is read in bands below
        X = np.asarray(X)
    if X.ndim != 2 or X.shape[0] != X.shape[1] or not len(X):
        raise ParameterError(f"X must be a square matrix with a row at least, not shape "
                             f"{X.shape}")
    patterns = checks.patterns(patterns)
    max_pixels = checks.integer(max_pixels, "max_pixels")
    if frame_seconds is not None:
        frame_seconds = checks.number(frame_seconds, "frame_seconds", positive=True)
    shift = checks.number(shift, "shift")
    N = len(X)
    factor = max(1, -(-N // max_pixels))
    shown = _max_pool_bands(X, factor)
    if not np.isfinite(shown).all():     # the largest of each block: a NaN anywhere shows
        raise ParameterError("X holds NaN or infinite values: the picture would be blank")
    # Contrast from percentiles: a few near-identical frames can hold the maximum while the
    # rest of the matrix sits in a narrow band far below it.
    lo, hi = (float(v) for v in np.percentile(shown, [2, 99.5]))
    scaled = (shown - lo) / (hi - lo) if hi > lo else np.zeros_like(shown)
    grey = (255 - np.clip(scaled, 0, 1) * 255).astype(np.uint8)
    n_ref = len(reference_spans) if reference_spans else 0
    bar, gap = 6, 2
    margin = n_ref * (bar + gap) + (gap if n_ref else 0)
    size = len(grey)
    font = label_font()
    lines = _wrapped(title, font, margin + size - 8) if title else []
    title_h = 14 * len(lines) + 2 * bool(lines)
    axis_h = 16 if frame_seconds else 0
    canvas = Image.new("RGB", (margin + size, title_h + margin + size + axis_h), "white")
    canvas.paste(Image.fromarray(grey).convert("RGB"), (margin, title_h + margin))
    draw = ImageDraw.Draw(canvas)
    for k, line in enumerate(lines):
        draw.text((4, 2 + 14 * k), line, fill=(0, 0, 0), font=font)
    x0, y0 = margin, title_h + margin

    def px(frame):
        return frame / factor

    for p, pattern in enumerate(patterns):
        colour = PALETTE[p % len(PALETTE)]
        for s in pattern[1:]:         # row 0 is the first span as an occurrence of itself
            draw.line([(x0 + px(s[2]), y0 + px(s[0])), (x0 + px(s[3]), y0 + px(s[1]))],
                      fill=colour, width=2)
            draw.line([(x0 + px(s[0]), y0 + px(s[2])), (x0 + px(s[1]), y0 + px(s[3]))],
                      fill=colour, width=2)
    for p, spans in enumerate(reference_spans or []):
        off = gap + p * (bar + gap)
        for a, b in spans:
            a, b = max(px(a), 0), min(px(b), size)
            if b <= a:
                continue
            draw.rectangle([x0 + a, title_h + off, x0 + b, title_h + off + bar - 1],
                           fill=TRUTH_COLOUR)
            draw.rectangle([off, y0 + a, off + bar - 1, y0 + b], fill=TRUTH_COLOUR)
    if frame_seconds:
        total = (N + shift) * frame_seconds
        every = next((t for t in TICK_SECONDS if total / t <= 8), TICK_SECONDS[-1])
        for t in range(0, int(total) + 1, every):
            x = x0 + px(t / frame_seconds - shift)
            if x0 <= x <= x0 + size:
                draw.line([(x, y0 + size), (x, y0 + size + 3)], fill=(0, 0, 0))
                draw.text((x + 2, y0 + size + 3), f"{t // 60}:{t % 60:02d}", fill=(0, 0, 0),
                          font=font)
    with atomic_path(path) as tmp:
        canvas.save(tmp, format="PNG", compress_level=1)


@functools.lru_cache(maxsize=1)
def label_font(size=11):
    """The DejaVu Sans that matplotlib ships: PIL's own default font draws é, ü or — as boxes,
    and a user's file names are in the picture's title."""
    import matplotlib
    from PIL import ImageFont

    return ImageFont.truetype(str(Path(matplotlib.get_data_path()) / "fonts" / "ttf"
                                  / "DejaVuSans.ttf"), size)


def _wrapped(text, font, width):
    """``text`` in lines of at most ``width`` pixels, broken at spaces (a word longer than a
    line stands alone)."""
    lines = []
    for word in text.split(" "):
        if lines and font.getlength(lines[-1] + " " + word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def reference_frame_spans(refpath, h, offset):
    """Ground-truth patterns as frame spans.

    Parameters
    ----------
    refpath : str or Path
        MIREX file of the ground truth.
    h : float
        Beats per frame.
    offset : float
        Score time of frame 0 in beats.

    Returns
    -------
    list of list of (float, float)
        Per pattern, per occurrence: first and last onset as frames ``(beat - offset) / h``.

    Raises
    ------
    ParameterError
        When ``h`` is not a positive number or ``offset`` not a number.
    """
    h, offset = checks.number(h, "h", positive=True), checks.number(offset, "offset")
    spans = []
    for pattern in read_mirex(refpath):
        spans.append([tuple((beat - offset) / h for beat in occurrence_onsets(occ))
                      for occ in pattern])
    return spans


def _max_pool(X, factor):
    """Largest value of each ``factor × factor`` block (edge blocks may be smaller)."""
    if factor <= 1:
        return X

    def pool_rows(A):       # A's own length: a band of rows is not square
        full = len(A) // factor * factor
        parts = [A[:full].reshape(full // factor, factor, -1).max(axis=1)] if full else []
        if full < len(A):   # the last, shorter block (a whole band, when it is short)
            parts.append(A[full:].max(axis=0, keepdims=True))
        return np.vstack(parts)

    return pool_rows(pool_rows(X).T).T


def _max_pool_bands(X, factor, band_bytes=2 ** 28):
    """:func:`_max_pool` of ``X`` in float32, read a band of rows at a time: a
    memory-mapped matrix of a long recording is never loaded whole."""
    band = max(factor, band_bytes // (4 * max(len(X), 1)) // factor * factor)
    return np.vstack([_max_pool(as_float(read_rows(X, a, min(a + band, len(X))), np.float32),
                                factor) for a in range(0, len(X), band)])
