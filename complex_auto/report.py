"""An HTML report of a run: see and hear the repeated sections found (``output/RUN/report/``).

``extract_motives.py`` writes it, ``extract_motives_eval.py`` adds its scores to it, and
``python -m complex_auto.report RUN`` rebuilds it from the files of a run:

- ``PIECE.patterns.csv`` (``pattern,occurrence,start_s,end_s`` and, when the finder writes one,
  ``score``): the patterns, in the finder's order (its ranking) and its numbering;
- ``PIECE_patterns.png``: the matrix with the segments found;
- ``conversion.json``: which recording each piece was converted from (``files[].audio``) and
  its tempo; ``ss_matrices_filelist.txt``'s tempo column;
- the ground truth ``REFDIR/PIECE.txt`` (MIREX, score onsets in beats) with the piece's csv
  score, whose first onset is the recording's time 0 and whose note durations end each
  occurrence (the JKU audio renditions play the score at a constant tempo);
- ``results.csv``: the MIREX scores of the run, per piece and their mean.

The report folder holds ``index.html`` (the pieces, their scores and the mean), one
``PIECE.html`` per piece (timeline, matrix picture, table of occurrences with a playable clip
each), ``img/`` (copies of the pictures) and ``clips/PIECE/`` (one MP3 per distinct occurrence
span). Everything is referenced by relative paths, with the styles and scripts inside each
page: the folder opens from disk, or anywhere it is copied to, with no network and no server.
The recordings themselves stay where they are.
"""
import argparse
import csv
import html
import json
import logging
import shutil
from pathlib import Path
from urllib.parse import quote

import numpy as np

from . import audio_clips
from .cli import number
from .errors import DataError
from .filelist import read_list
from .jku import (CSV_LIST, DEFAULT_REFDIR, groundtruth_path, occurrence_onsets, piece_bpm,
                  read_mirex, read_score_csv)
from .layout import OUTPUT_ROOT, RunLayout, piece_name, report_page_name
from .display import PALETTE, TRUTH_COLOUR
from .nf14 import DEFAULT_TH
from .patterns import extraction_entry, extraction_settings, score_offset
from .runinfo import last_extraction, read_conversion_info, read_extraction, recorded_path
from .utils import atomic_path, atomic_write_text, counted, file_in_the_way

log = logging.getLogger(__name__)

SCORE_SUFFIXES = ("_F", "_P", "_R")
#: Options of extract_motives.py recorded in extraction.json when given, shown beside the method
#: (and nf14's --th, recorded always, when it is not the default).
SEARCH_OPTIONS = ("max_beats", "occurrence_p", "notes")


# ---------------------------------------------------------------------------------------------
# reading a run


def format_time(seconds):
    """Seconds as ``m:ss.s`` (``73.26`` → ``'1:13.3'``; negative times keep their sign)."""
    sign = "-" if seconds < 0 else ""
    tenths = int(round(abs(seconds) * 10))
    minutes, tenths = divmod(tenths, 600)
    return f"{sign}{minutes}:{tenths // 10:02d}.{tenths % 10}"


def read_patterns_csv(path):
    """The patterns of ``PIECE.patterns.csv``, in the file's order.

    Columns are found by name: ``pattern, occurrence, start_s, end_s`` are required, ``score``
    (a pattern's rank score) is used when present, any other column is ignored.

    Returns
    -------
    list of dict
        One per pattern, in order of first appearance (the finder's order):
        ``pattern`` (int), ``score`` (float or None) and ``occurrences``, a list of
        ``(occurrence, start_s, end_s)``.

    Raises
    ------
    DataError
        Missing file or column, or a row whose numbers do not parse (names file and line).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: pattern table does not exist")
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in ("pattern", "occurrence", "start_s", "end_s")
                   if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError(f"{path}: no column {', '.join(missing)} (header: "
                            f"{','.join(reader.fieldnames or [])})")
        patterns = {}
        for lineno, row in enumerate(reader, 2):
            try:
                p, o = int(row["pattern"]), int(row["occurrence"])
                start, end = float(row["start_s"]), float(row["end_s"])
                score = float(row["score"]) if row.get("score") not in (None, "") else None
            except (TypeError, ValueError):
                raise DataError(f"{path}, line {lineno}: cannot read "
                                f"'{','.join(str(v) for v in row.values())[:60]}'") from None
            if not (np.isfinite(start) and np.isfinite(end)):
                raise DataError(f"{path}, line {lineno}: times must be finite numbers")
            if end < start:
                raise DataError(f"{path}, line {lineno}: occurrence ends ({end}) before it "
                                f"starts ({start})")
            entry = patterns.setdefault(p, {"pattern": p, "score": score, "occurrences": []})
            entry["occurrences"].append((o, start, end))
    return list(patterns.values())


def read_scores(path):
    """``results.csv`` as ``{piece: {column: value}}`` with a ``'mean'`` entry; ``{}`` if none.

    Only the score columns (``*_F``, ``*_P``, ``*_R``) are kept, so columns added later are
    shown without a change here.
    """
    path = Path(path)
    if not path.is_file():
        return {}
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    scores = {}
    for row in rows:
        values = {}
        for key, value in row.items():
            if key and key.endswith(SCORE_SUFFIXES):
                try:
                    values[key] = float(value)
                except (TypeError, ValueError):
                    continue
        scores[row.get("piece", "")] = values
    return scores


def reference_seconds(refpath, score_csv, bpm, domain="audio", audio_start=0.0):
    """Ground-truth occurrences as spans of the recording, in seconds.

    A rendition plays at ``bpm`` and its score's first onset at ``audio_start`` seconds, so beat
    ``b`` is at ``(b - first_onset) · 60 / bpm + audio_start`` seconds. An occurrence runs from
    its first onset to the end of its last-ending note (the csv's duration column; its last
    onset when a note is not in the csv).

    Parameters
    ----------
    refpath : str or Path
        MIREX file of the ground truth (onsets in beats, MIDI pitches).
    score_csv : str or Path
        The piece's csv score (``onset, MIDI pitch, morphetic pitch, duration, staff``).
    bpm : float
        Tempo of the recording in beats per minute.
    domain : {'audio', 'symbolic'}
        Time 0 of the recording is the score's first onset (``'audio'``, the JKU renditions)
        or beat 0 (``'symbolic'``), as for the extractor
        (:func:`~complex_auto.patterns.score_offset`).
    audio_start : float
        Seconds of the recording before the first onset, as the extractor took it
        (``extraction.json``, :func:`~complex_auto.patterns.audio_starts`).

    Returns
    -------
    list of list of (float, float)
        Per ground-truth pattern, per occurrence: ``(start_s, end_s)``.
    """
    score = read_score_csv(score_csv)
    offset = score_offset(score, domain, audio_start, bpm)
    ends = {}
    try:
        for onset, pitch, dur in read_score_csv(score_csv, durations=True):
            key = (onset, pitch)
            ends[key] = max(ends.get(key, onset), onset + dur)
    except DataError as e:              # e.g. a score of onsets and pitches only
        log.warning("%s; occurrences end at their last onset", e)
    beat = 60.0 / bpm
    spans = []
    for pattern in read_mirex(refpath):
        occs = []
        for occ in pattern:
            start = occurrence_onsets(occ)[0]
            end = max(ends.get((on, pitch), on) for on, pitch in occ)
            occs.append(((start - offset) * beat, (end - offset) * beat))
        spans.append(occs)
    return spans


def _score_lists(csv_list):
    """``{piece: csv path}`` from a csv list (``'auto'``: ``jku_csv_files.txt`` when there)."""
    if csv_list is None or str(csv_list).lower() == "none":
        return {}
    if str(csv_list) == "auto":
        csv_list = CSV_LIST
        if not csv_list.is_file():
            return {}
    return {piece_name(f): f for f, _, _ in read_list(csv_list, "csv score", check_exists=False)}


def unextracted(layout):
    """Pieces of the run's matrix list without a ``PIECE.patterns.csv``, in the list's order."""
    if not layout.matrix_list.is_file():
        return []
    listed = [piece_name(m) for m, _, _ in read_list(layout.matrix_list, "matrix",
                                                     check_exists=False)]
    return [p for p in listed if not layout.patterns_csv(p).is_file()]


def run_pieces(layout, csv_list="auto", bpm=None):
    """The pieces of a run with what the report needs to know about each.

    Pieces are those with a ``PIECE.patterns.csv``, in the order of the matrix list (others
    after it, by name); when ``extraction.json`` lists pieces, only those (the others' files
    are an earlier extraction's, left out with a warning). Tempo, csv score and audio start
    are those the extractor used (the piece's own record, else ``extraction.json``); where
    that gives none, the tempo is the matrix list's column, then ``conversion.json``'s, then
    the JKU table by name, then ``bpm``, and the csv score comes from ``csv_list``. A tempo
    may stay unknown (``None``, also when the one found is not positive): lengths in beats
    are then left out.

    Parameters
    ----------
    layout : RunLayout
    csv_list : str or Path, optional
        Csv scores: a list file (paired by piece name), ``'auto'`` (``jku_csv_files.txt``
        when it exists) or ``'none'``.
    bpm : float, optional
        Tempo of pieces that neither the run's files nor the JKU table give one.

    Returns
    -------
    list of dict
        ``piece, patterns_csv, audio (Path or None), bpm (float or None), score_csv (Path or
        None), audio_start`` (seconds before the first onset, from ``extraction.json``; 0
        without it).
    """
    info = read_conversion_info(layout.conversion_info) or {}
    records = {r.get("piece"): r for r in info.get("files", []) if isinstance(r, dict)}
    extraction = read_extraction(layout, missing_ok=True)
    extracted = {r.get("piece"): r for r in extraction.get("pieces", []) if isinstance(r, dict)}
    listed = {}
    if layout.matrix_list.is_file():
        for m, list_bpm, _ in read_list(layout.matrix_list, "matrix", check_exists=False):
            listed[piece_name(m)] = list_bpm
    found = {piece_name(p): p for p in layout.dir.glob("*.patterns.csv")}
    found, _ = last_extraction(layout, found, extraction)
    order = [p for p in listed if p in found] + sorted(p for p in found if p not in listed)
    scores = _score_lists(csv_list)
    pieces = []
    for piece in order:
        record = records.get(piece, {})
        # its own record first: the audio start its patterns and scores were mapped with
        used = extraction_entry(layout, piece) or extracted.get(piece, {})
        given = used.get("bpm") or listed.get(piece) or record.get("bpm")
        try:
            tempo = piece_bpm(piece, given, default=bpm)
        except DataError:
            tempo = None
        audio = recorded_path(record["audio"], layout) if record.get("audio") else None
        score_csv = used.get("csv") or scores.get(piece)
        score_csv = recorded_path(score_csv, layout) if score_csv else None
        pieces.append({"piece": piece, "patterns_csv": found[piece], "audio": audio,
                       "bpm": tempo, "score_csv": score_csv,
                       "audio_start": float(used.get("audio_start") or 0.0)})
    return pieces


def best_matches(seg, reference, n_patterns):
    """Each found pattern's best annotated pattern: which annotation it finds, and how well.

    Parameters
    ----------
    seg : Path
        The run's ``PIECE.seg`` (the patterns' notes, in the order of ``PIECE.patterns.csv``).
    reference : Path
        The ground truth ``PIECE.txt``.
    n_patterns : int
        Patterns in ``PIECE.patterns.csv``.

    Returns
    -------
    matches : list of (int, float) or None
        Per found pattern, the 1-based number of the annotated pattern with the highest
        establishment score against it, and that score
        (:func:`~complex_auto.evaluation.establishment_matrix`); None when they cannot be told.
    note : str or None
        Why not, when the page should say so: the ``.seg`` lists another number of patterns
        (those without two occurrences with notes are left out of it), or a file is
        unreadable. None also when the run has no ``.seg`` (no csv score: nothing to match).
    """
    from .evaluation import establishment_matrix, load_patterns

    if not Path(seg).is_file():
        return None, None
    try:
        S = establishment_matrix(load_patterns(reference), load_patterns(seg))
    except DataError as e:
        return None, f"{e}: best matches with the ground truth not shown"
    if S.shape[1] != n_patterns:
        return None, (f"{Path(seg).name} lists {S.shape[1]} patterns with notes of the "
                      f"{n_patterns} found: best matches with the ground truth not shown")
    if not len(S):
        return None, None
    return [(int(S[:, k].argmax()) + 1, float(S[:, k].max())) for k in range(n_patterns)], None


# ---------------------------------------------------------------------------------------------
# timeline


def timeline_data(patterns, references, duration):
    """What the timeline draws: one lane per found pattern, then one per ground-truth pattern.

    Parameters
    ----------
    patterns : list of dict
        From :func:`read_patterns_csv`, in the finder's order.
    references : list of list of (float, float) or None
        From :func:`reference_seconds`.
    duration : float
        The recording's length in seconds: the timeline's extent.

    Returns
    -------
    list of dict
        Lanes in drawing order: ``kind`` (``'found'`` or ``'truth'``), ``label``,
        ``pattern`` (its number: the csv's, or the ground truth's 1-based position), ``colour``,
        ``rows`` and ``bars``: per occurrence ``occurrence, start, end`` (seconds, as given),
        ``x0, x1``, its extent as fractions of ``duration`` clipped to ``[0, 1]``, and ``row``:
        overlapping occurrences of a lane go to different rows (the first row free at their
        start, in order of start), so that every one of them stays visible.
    """
    def lane(kind, label, number, colour, occurrences):
        bars = [{"occurrence": o, "start": s, "end": e,
                 "x0": min(max(s / duration, 0.0), 1.0), "x1": min(max(e / duration, 0.0), 1.0)}
                for o, s, e in occurrences]
        ends = []                   # end of the last bar of each row so far
        for b in sorted(bars, key=lambda b: (b["start"], b["end"])):
            b["row"] = next((r for r, end in enumerate(ends) if end <= b["start"]), len(ends))
            ends[b["row"]:b["row"] + 1] = [b["end"]]
        return {"kind": kind, "label": label, "pattern": number, "colour": colour,
                "rows": max(len(ends), 1), "bars": bars}

    lanes = [lane("found", f"P{p['pattern']}", p["pattern"], PALETTE[k % len(PALETTE)],
                  p["occurrences"]) for k, p in enumerate(patterns)]
    lanes += [lane("truth", f"truth {k}", k, TRUTH_COLOUR,
                   [(o, s, e) for o, (s, e) in enumerate(occs, 1)])
              for k, occs in enumerate(references or [], 1)]
    return lanes


def _tick_step(duration, target=10):
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600):
        if duration / step <= target:
            return step
    return 3600 * int(np.ceil(duration / 3600 / target))


def _rgb(c):
    return f"rgb({c[0]},{c[1]},{c[2]})"


def timeline_svg(lanes, duration, width=1000, label_width=64, lane_height=14, row_height=6,
                 gap=4):
    """The timeline as inline SVG: lanes of bars over a time axis in m:ss.

    A lane holds its occurrences in the rows of :func:`timeline_data` (at least
    ``row_height`` px each, so that overlapping occurrences stay countable). Found
    occurrences are ``<rect class="occ" data-pattern data-occurrence>``, ground-truth ones
    ``<rect class="truth">``; clicking a found one plays its clip (the page's script).

    Parameters
    ----------
    lanes : list of dict
        :func:`timeline_data`.
    duration : float
        Seconds that the time axis spans.
    width : int
        Of the drawing, in px; the SVG is scaled to the page's width.
    label_width : int
        Px left of the axis for the lanes' labels.
    lane_height : int
        Least height of a lane, in px.
    row_height : int
        Least height of one row of a lane, in px.
    gap : int
        Px between lanes (10 more between the found lanes and the ground truth's).

    Returns
    -------
    str
    """
    axis = 18
    plot = width - label_width - 8
    heights = [max(lane_height, lane["rows"] * row_height + 2) for lane in lanes]
    tops, y = [], axis
    for i, lane in enumerate(lanes):
        if lane["kind"] == "truth" and i and lanes[i - 1]["kind"] != "truth":
            y += 10                     # a gap between the found lanes and the truth's
        tops.append(y)
        y += heights[i] + gap
    height = y + 4
    out = ['<div class="scroll"><div class="tl">'
           f'<svg class="timeline" viewBox="0 0 {width} {height}" width="100%" '
           f'xmlns="http://www.w3.org/2000/svg" role="img" aria-label="timeline of the '
           f'occurrences">']
    # The labels again, over the first: on a screen narrower than the timeline it scrolls,
    # and this copy stays at the left edge (sticky), so that a bar far into the piece still
    # shows whose it is. Of the same scale (the same share of the width), it covers the
    # first's labels exactly when nothing is scrolled.
    sticky = [f'<svg class="lanelabels" viewBox="0 0 {label_width} {height}" '
              f'style="width:{100 * label_width / width:.4g}%" aria-hidden="true" '
              f'xmlns="http://www.w3.org/2000/svg"><rect y="{axis - 4}" width="{label_width}" '
              f'height="{height - axis + 4}" fill="#fff"/>']
    step = _tick_step(duration)
    for t in np.arange(0, duration + 1e-9, step):
        x = label_width + plot * t / duration
        out.append(f'<line x1="{x:.1f}" y1="{axis - 4}" x2="{x:.1f}" y2="{height}" '
                   f'class="tick"/><text x="{x:.1f}" y="{axis - 7}" class="ticklabel">'
                   f'{format_time(t)[:-2]}</text>')
    for lane, y, h in zip(lanes, tops, heights):
        kind = lane["kind"]
        label = (f'<text x="{label_width - 6}" y="{y + min(h, lane_height) - 3}" '
                 f'class="{{}} {kind}">{html.escape(lane["label"])}</text>')
        out.append(label.format("lanelabel"))
        sticky.append(label.format("stickylabel"))
        out.append(f'<rect x="{label_width}" y="{y}" width="{plot}" height="{h}" class="lane"/>')
        row = (h - 2) / lane["rows"]
        for b in lane["bars"]:
            x0, x1 = label_width + plot * b["x0"], label_width + plot * b["x1"]
            tip = (f'{lane["label"]} occurrence {b["occurrence"]}: {format_time(b["start"])}'
                   f'–{format_time(b["end"])}')
            attrs = (f'class="occ" data-pattern="{lane["pattern"]}" '
                     f'data-occurrence="{b["occurrence"]}"' if kind == "found"
                     else f'class="truth" data-truth="{lane["pattern"]}"')
            out.append(f'<rect {attrs} x="{x0:.2f}" y="{y + 1 + b["row"] * row:.2f}" '
                       f'width="{max(x1 - x0, 1.0):.2f}" height="{max(row - 1, 1):.2f}" '
                       f'fill="{_rgb(lane["colour"])}"><title>{html.escape(tip)}</title></rect>')
    out.append("</svg>")
    return "\n".join(out + sticky + ["</svg></div></div>"])


# ---------------------------------------------------------------------------------------------
# pages

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.2em auto;max-width:1200px;padding:0 1em;color:#222;
overflow-wrap:break-word}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;margin:1.2em 0 .4em}
a{color:#1f5fa8}.meta{color:#555}.note{color:#7a4b00;background:#fff6e0;padding:.3em .6em}
table{border-collapse:collapse;margin:.4em 0}td,th{padding:2px 8px;border-bottom:1px solid #ddd;
text-align:right}th{background:#f2f2f2}th[colspan]{text-align:center}
td.l,th.l{text-align:left}tr.mean td{font-weight:bold}
tr.pattern td{background:#f7f7f7;font-weight:bold;text-align:left;padding-top:6px}
.swatch{display:inline-block;width:.9em;height:.9em;border-radius:2px;vertical-align:-1px;
margin-right:4px}
table{display:block;overflow-x:auto;max-width:100%}.scroll{overflow-x:auto}
.tl{display:grid;grid-template-columns:minmax(0,1fr);min-width:720px;margin:.4em 0}
.tl>svg{grid-area:1/1;display:block}svg.lanelabels{position:sticky;left:0;height:auto}
svg.timeline{background:#fff}svg .lane{fill:#f4f4f4}
svg .tick{stroke:#ddd;stroke-width:1}svg .ticklabel{font-size:10px;fill:#666;text-anchor:middle}
svg :is(.lanelabel,.stickylabel){font-size:10px;text-anchor:end;fill:#333}
svg :is(.lanelabel,.stickylabel).truth{fill:#777}
svg rect.occ{fill-opacity:.65;stroke:#000;stroke-opacity:.35;cursor:pointer}
svg rect.truth{fill-opacity:.6;stroke:#fff;stroke-width:1}
svg rect.occ.playing{fill-opacity:1;stroke:#000;stroke-opacity:1;stroke-width:2}
audio{height:28px;width:260px;vertical-align:middle}button{cursor:pointer}
img.matrix{max-width:100%;height:auto;border:1px solid #ccc}
@media (max-width:640px){table.occurrences tr{display:flex;flex-wrap:wrap;align-items:center;
border-bottom:1px solid #ddd}table.occurrences td,table.occurrences th{border:0;flex:1 1 0;
min-width:0;padding:2px 4px}table.occurrences th{font-size:.8em;overflow-wrap:normal}
table.occurrences td.l .meta{white-space:nowrap}
table.occurrences :is(td,th):first-child{flex-grow:1.5}
table.occurrences td.l,table.occurrences th.l,table.occurrences tr.pattern td{flex:1 0 100%;
box-sizing:border-box;text-align:left}}
"""

SCRIPT = """
// One clip at a time; a pattern's clips one after another with "play all".
let queue = [];
function bars(a) {
  return document.querySelectorAll('svg .occ[data-pattern="' + a.dataset.pattern +
    '"][data-occurrence="' + a.dataset.occurrence + '"]');
}
document.addEventListener('play', e => {
  document.querySelectorAll('audio').forEach(a => { if (a !== e.target) a.pause(); });
  bars(e.target).forEach(b => b.classList.add('playing'));
}, true);
['pause', 'ended'].forEach(t => document.addEventListener(t, e => {
  bars(e.target).forEach(b => b.classList.remove('playing'));
}, true));
document.addEventListener('ended', e => {
  if (queue.length && queue[0] === e.target) { queue.shift(); playNext(); }
}, true);
function playNext() {
  if (!queue.length) return;
  const a = queue[0]; a.currentTime = 0; a.play();
}
function playAll(p) {
  queue = Array.from(document.querySelectorAll('audio[data-pattern="' + p + '"]'));
  playNext();
}
function playOccurrence(p, o) {
  const a = document.querySelector('audio[data-pattern="' + p + '"][data-occurrence="' + o + '"]');
  if (a) { queue = []; a.currentTime = 0; a.play(); }
}
document.querySelectorAll('svg .occ').forEach(r => r.addEventListener('click',
  () => playOccurrence(r.dataset.pattern, r.dataset.occurrence)));
"""


def _option_value(value):
    return format(value, "g") if isinstance(value, (int, float)) else str(value)


def _url(path):
    """A relative path as an attribute value: URL-quoted (spaces, ``#``, ``?``), HTML-escaped."""
    return html.escape(quote(str(path)))


def _page(title, body, script=""):
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            # without it a phone lays the page out 980 px wide and shows it at 40 %
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title><link rel=\"icon\" href=\"data:,\">"
            f"<style>{STYLE}</style></head><body>\n{body}\n"
            + (f"<script>{script}</script>" if script else "") + "</body></html>\n")


def scores_table(scores, pieces, link=False):
    """HTML table of the F scores: a row per piece of ``pieces`` with scores, then the mean.

    Parameters
    ----------
    scores : dict
        :func:`read_scores`.
    pieces : list of str
        Rows in order; pieces without scores are left out.
    link : bool
        Make every piece's name a link to its page.

    Returns
    -------
    str
        A ``<table class="scores">`` with a column per ``*_F`` score of ``scores``; the
        ``mean`` row comes last, when ``scores`` has one.
    """
    columns = [c for c in dict.fromkeys(k for row in scores.values() for k in row)
               if c.endswith("_F")]
    head = "".join(f"<th>{html.escape(c.replace('_', ' '))}</th>" for c in columns)
    rows = []
    for piece in list(pieces) + ["mean"]:
        if piece not in scores:
            continue
        name = (f'<a href="{_url(report_page_name(piece))}">{html.escape(piece)}</a>'
                if link and piece != "mean" else html.escape(piece))
        cells = "".join(f"<td>{scores[piece].get(c, float('nan')):.3f}</td>" for c in columns)
        rows.append(f'<tr{" class=mean" if piece == "mean" else ""}><td class="l">{name}'
                    f"</td>{cells}</tr>")
    return f'<table class="scores"><tr><th class="l">piece</th>{head}</tr>{"".join(rows)}</table>'


def piece_scores_table(scores, piece):
    """HTML table of one piece's MIREX scores beside the run's mean: a row per measure.

    Parameters
    ----------
    scores : dict
        :func:`read_scores`; a score missing from it shows as a dash.
    piece : str

    Returns
    -------
    str
        A ``<table class="scores">`` with F, P and R columns for ``piece`` and for ``mean``
        (each only when ``scores`` has it).
    """
    columns = list(dict.fromkeys(k for row in scores.values() for k in row))
    measures = list(dict.fromkeys(c.rsplit("_", 1)[0] for c in columns))
    sides = [p for p in (piece, "mean") if p in scores]
    head = "".join(f'<th colspan="3">{html.escape(p)}</th>' for p in sides)
    sub = "<th>F</th><th>P</th><th>R</th>" * len(sides)
    rows = []
    for m in measures:
        cells = "".join(f"<td>{scores[p][f'{m}_{k}']:.3f}</td>" if f"{m}_{k}" in scores[p]
                        else "<td>—</td>" for p in sides for k in "FPR")
        rows.append(f'<tr><td class="l">{html.escape(m)}</td>{cells}</tr>')
    return (f'<table class="scores"><tr><th class="l" rowspan="2">measure</th>{head}</tr>'
            f'<tr>{sub}</tr>{"".join(rows)}</table>')


def piece_page(run, info, patterns, lanes, duration, clips, scores, notes, matches=None):
    """The HTML of one piece's page (see the module docstring).

    Parameters
    ----------
    run : str
        The run's keyword, for the title and the link back to the index.
    info : dict
        An entry of :func:`run_pieces`, with ``reference`` (the ground truth's path, when
        shown) and ``image`` (the matrix picture relative to the report, or None) added.
    patterns : list of dict
        :func:`read_patterns_csv`.
    lanes : list of dict
        :func:`timeline_data`.
    duration : float
        The recording's length in seconds.
    clips : dict
        ``{(pattern, occurrence): (src, (start, end))}``: each clip's path relative to the
        report and the seconds it plays; an occurrence without one shows a dash.
    scores : dict
        :func:`read_scores`.
    notes : list of str
        Shown at the top of the page (no recording, scores older than the patterns, ...).
    matches : list of (int, float), optional
        Each pattern's best annotated pattern and its establishment score
        (:func:`best_matches`).

    Returns
    -------
    str
        A whole HTML document, with the script that plays the clips.
    """
    piece = info["piece"]
    bpm = info["bpm"]
    n_occ = sum(len(p["occurrences"]) for p in patterns)
    parts = [f'<p><a href="index.html">← {html.escape(run)}</a></p>',
             f"<h1>{html.escape(piece)}</h1>",
             f'<p class="meta">recording {html.escape(str(info["audio"]))}, '
             f"{format_time(duration)}"
             + (f", {bpm:g} bpm" if bpm else ", tempo unknown") +
             f"; {len(patterns)} patterns, {n_occ} occurrences"
             + ("; ground truth: " + html.escape(str(info["reference"]))
                if info.get("reference") else "; no ground truth") + "</p>"]
    parts += [f'<p class="note">{html.escape(n)}</p>' for n in notes]
    if scores.get(piece):
        parts += ["<h2>MIREX scores</h2>",
                  piece_scores_table(scores, piece)]
    parts += ["<h2>Timeline</h2>",
              '<p class="meta">One lane per pattern, in the finder\'s order; grey lanes: the '
              "ground truth. Click a bar to hear that occurrence.</p>",
              timeline_svg(lanes, duration)]
    if info.get("image"):
        parts += ["<h2>Self-similarity matrix and the segments found</h2>",
                  f'<img class="matrix" src="{_url(info["image"])}" '
                  f'alt="matrix of {html.escape(piece)} with its segments">']
    parts += ["<h2>Patterns and occurrences</h2>",
              f'<p class="meta">Clips are mono MP3 at {audio_clips.CLIP_SR} Hz with '
              f"{audio_clips.FADE_SECONDS * 1000:g} ms fades; occurrences longer than "
              f"{audio_clips.MAX_CLIP_SECONDS:g} s play their first {audio_clips.MAX_CLIP_SECONDS:g} s.</p>",
              '<table class="occurrences"><tr><th>occurrence</th><th>start</th><th>end</th>'
              "<th>seconds</th><th>beats</th><th class=\"l\">clip</th></tr>"]
    for k, p in enumerate(patterns):
        colour = _rgb(PALETTE[k % len(PALETTE)])
        score = f", score {p['score']:.4g}" if p["score"] is not None else ""
        match = ""
        if matches:
            truth, value = matches[k]
            match = (f"; best match truth {truth}, establishment {value:.2f}" if value > 0
                     else "; shares no note with any annotated pattern")
        parts.append(f'<tr class="pattern"><td colspan="6"><span class="swatch" '
                     f'style="background:{colour}"></span>Pattern {p["pattern"]}{score}: '
                     f'{len(p["occurrences"])} occurrences{match} <button class="playall" '
                     f'data-pattern="{p["pattern"]}" onclick="playAll({p["pattern"]})">'
                     "▶ play all</button></td></tr>")
        for o, start, end in p["occurrences"]:
            clip = clips.get((p["pattern"], o))
            if clip is None:
                cell = "—"
            else:
                src, (a, b) = clip
                cut = (f" first {b - a:.1f} s" if b - a < min(end, duration) - start - 1e-6
                       else "")
                cell = (f'<audio controls preload="metadata" src="{_url(src)}" '
                        f'data-pattern="{p["pattern"]}" data-occurrence="{o}" '
                        f'data-start="{a:.3f}" data-duration="{b - a:.3f}"></audio>'
                        + (f'<span class="meta">{cut}</span>' if cut else ""))
            beats = f"{(end - start) * bpm / 60:.1f}" if bpm else "—"
            parts.append(f"<tr><td>{o}</td><td>{format_time(start)}</td>"
                         f"<td>{format_time(end)}</td><td>{end - start:.1f}</td>"
                         f'<td>{beats}</td><td class="l">{cell}</td></tr>')
    parts.append("</table>")
    return _page(f"{piece} — {run}", "\n".join(parts), SCRIPT)


def index_page(run, summaries, scores, notes, size, how=""):
    """The HTML of the index: the pieces and, with an evaluation, their scores and the mean.

    Parameters
    ----------
    run : str
    summaries : list of dict
        One per piece: ``piece, duration`` (seconds), ``bpm`` (or None), ``patterns``,
        ``occurrences``, ``clip_bytes`` and ``reference`` (the ground truth's path, or None).
    scores : dict
        :func:`read_scores`; ``{}`` before an evaluation.
    notes : list of str
        The pieces' notes, prefixed by their piece, shown at the top.
    size : int
        The report's size in bytes.
    how : str
        How the patterns were found (method, features, model), on one line.

    Returns
    -------
    str
        A whole HTML document.
    """
    parts = [f"<h1>Repeated sections found in run {html.escape(run)}</h1>",
             f'<p class="meta">{counted(len(summaries), "piece")}; report {size / 1e6:.1f} MB '
             "(opens from disk; recordings are not copied, only clips of the occurrences)."
             + (f"<br>{html.escape(how)}" if how else "") + "</p>"]
    parts += [f'<p class="note">{html.escape(n)}</p>' for n in notes]
    parts.append('<table class="pieces"><tr><th class="l">piece</th><th>duration</th>'
                 "<th>bpm</th><th>patterns</th><th>occurrences</th><th>clips MB</th>"
                 "<th class=\"l\">ground truth</th></tr>")
    for s in summaries:
        name = html.escape(s["piece"])
        page = _url(report_page_name(s["piece"]))
        parts.append(f'<tr><td class="l"><a href="{page}">{name}</a></td>'
                     f'<td>{format_time(s["duration"])}</td>'
                     f'<td>{format(s["bpm"], "g") if s["bpm"] else "—"}</td>'
                     f'<td>{s["patterns"]}</td><td>{s["occurrences"]}</td>'
                     f'<td>{s["clip_bytes"] / 1e6:.2f}</td>'
                     f'<td class="l">{"yes" if s["reference"] else "no"}</td></tr>')
    parts.append("</table>")
    if scores:
        parts += ["<h2>MIREX scores (results.csv)</h2>",
                  scores_table(scores, [s["piece"] for s in summaries], link=True)]
    return _page(f"report — {run}", "\n".join(parts))


# ---------------------------------------------------------------------------------------------
# the whole report


def _folder_size(folder):
    return sum(f.stat().st_size for f in Path(folder).rglob("*") if f.is_file())


def _copy_if_changed(src, dst):
    if dst.is_file() and dst.stat().st_size == src.stat().st_size \
            and dst.stat().st_mtime >= src.stat().st_mtime:
        return
    with atomic_path(dst) as tmp:
        shutil.copyfile(src, tmp)


def mixed_settings(layout, pieces):
    """The extraction settings that differ between the pieces of a run, as text; '' if none.

    Each piece's record (:meth:`~complex_auto.layout.RunLayout.extraction_record`) holds the
    settings its patterns were found with; shards of one run given other options differ.

    Parameters
    ----------
    layout : RunLayout
    pieces : list of str

    Returns
    -------
    str
        ``'method: nf14 for a; families for b, c'``: the method alone when it differs (the
        settings of two searches differ with it), else a clause per setting that differs.
    """
    records = {piece: extraction_settings(layout, piece) for piece in pieces}
    records = {piece: r for piece, r in records.items() if r is not None}
    clauses = {}
    for key in sorted({k for r in records.values() for k in r}):
        by_value = {}
        for piece, record in records.items():
            by_value.setdefault(json.dumps(record.get(key)), []).append(piece)
        if len(by_value) > 1:
            clauses[key] = f"{key}: " + "; ".join(
                f"{'not given' if v == 'null' else json.loads(v)} for {', '.join(p)}"
                for v, p in by_value.items())
    if "method" in clauses:     # the other settings of two searches differ with it
        return clauses["method"]
    return ". ".join(clauses.values())


def saved_options(path):
    """The options ``report.json`` recorded at the previous build, those of the right type.

    The file is the report's own, but a user may edit it: an entry that is not what a build
    writes (``refdir`` and ``csv`` strings, ``bpm`` a number or null) is left out with a
    warning naming it, and a file that is no JSON object (or no JSON) gives none, with a
    warning, so the defaults apply.

    Parameters
    ----------
    path : Path
        ``report/report.json``; need not exist.

    Returns
    -------
    dict
        Some of ``refdir``, ``csv``, ``bpm``.
    """
    try:
        saved = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        log.warning("%s: unreadable (%s); the report is built with the default options",
                    path, e)
        return {}
    if not isinstance(saved, dict):
        log.warning("%s: not a JSON object; the report is built with the default options",
                    path)
        return {}
    kinds = {"refdir": str, "csv": str, "bpm": (int, float, type(None))}
    kept = {}
    for key, value in saved.items():
        if key in kinds and isinstance(value, kinds[key]) and not isinstance(value, bool):
            kept[key] = value
        elif key in kinds:
            log.warning("%s: %s %s is no %s; left out", path, key, json.dumps(value),
                        "number" if key == "bpm" else "text")
    return kept


def build_report(run, root=OUTPUT_ROOT, refdir=None, csv_list=None, bpm=None):
    """Write ``output/RUN/report/``: an index page and a page per piece, with clips.

    Options not given are those recorded by the previous build (``report/report.json``),
    else the defaults: ``refdir`` the JKU ground truth, ``csv_list`` ``'auto'``, no ``bpm``.

    Parameters
    ----------
    run : str
        Run keyword: reads ``root/RUN/``.
    root : str or Path
        Folder of the runs.
    refdir : str or Path, optional
        Ground truth folder (``PIECE.txt``, MIREX); ``''``: none.
    csv_list : str or Path, optional
        Csv scores (for the ground truth's time base): a list file, ``'auto'`` or ``'none'``.
    bpm : float, optional
        Tempo of pieces without one in the run's files.

    Returns
    -------
    dict
        ``index`` (Path), ``pieces`` (names), ``clips`` (the number of clip files),
        ``clip_seconds`` (their total length) and ``bytes`` (the report's size).

    Raises
    ------
    DataError
        When the run has no pattern tables or one of its files is unreadable, or the csv
        list (given, or recorded by the previous build) does not exist.
    """
    layout = RunLayout(run, root)
    options = _report_options(layout, run, refdir, csv_list, bpm)
    pieces = run_pieces(layout, options["csv"], options["bpm"])
    if not pieces:
        raise DataError(f"{layout.dir}: no PIECE.patterns.csv; find patterns first with "
                        f"python extract_motives.py {run}")
    extraction = read_extraction(layout, missing_ok=True)
    # shards of one run extracted with other options: extraction.json names the last one's
    mixed = mixed_settings(layout, [info["piece"] for info in pieces])
    how = _how_found(extraction, read_conversion_info(layout.conversion_info) or {}, mixed)
    layout.report_dir.mkdir(parents=True, exist_ok=True)
    run_notes, scores = _run_notes(layout, run, pieces, read_scores(layout.results_csv), mixed)
    summaries = []
    for info in pieces:
        summary, notes = _piece_report(layout, run, info, options,
                                       extraction.get("domain", "audio"), scores)
        summaries.append(summary)
        run_notes += [f"{info['piece']}: {n}" for n in notes]
    _drop_other_pieces(layout, [s["piece"] for s in summaries])
    if scores:
        from .evaluation import seen_in_training

        trained = seen_in_training(layout.results_txt)    # as the evaluation found it
        if trained:
            run_notes.insert(0, f"the scores: {trained}")
    atomic_write_text(layout.report_options, json.dumps(options) + "\n")
    return _write_index(layout, run, summaries, scores, run_notes, how)


def _report_options(layout, run, refdir, csv_list, bpm):
    """The options of this build: those given, else the previous build's, else defaults."""
    saved = saved_options(layout.report_options)
    options = {"refdir": str(refdir) if refdir is not None else saved.get("refdir",
                                                                            str(DEFAULT_REFDIR)),
               "csv": str(csv_list) if csv_list is not None else saved.get("csv", "auto"),
               "bpm": bpm if bpm is not None else saved.get("bpm")}
    if csv_list is None and options["csv"].lower() not in ("auto", "none") \
            and not Path(options["csv"]).is_file():
        # not given now: say where it came from, or the user looks for a --csv never typed
        raise DataError(f"--csv {options['csv']}: file list does not exist; the path is "
                        f"recorded in {layout.report_options} by an earlier build of the "
                        f"report; give another: python -m complex_auto.report {run} --csv LIST "
                        "(or auto, or none)")
    return options


def _how_found(extraction, conversion, mixed):
    """The finder, its options that change what is found, the features and the model, as
    the index states them (a shared report says how its patterns were found)."""
    method = None if mixed else extraction.get("method")
    if method:
        given = [f"--{k.replace('_', '-')} {_option_value(extraction[k])}"
                 for k in SEARCH_OPTIONS if k in extraction]
        if extraction.get("th", DEFAULT_TH) != DEFAULT_TH:      # recorded always, for nf14
            given.insert(0, f"--th {_option_value(extraction['th'])}")
        method += f" ({', '.join(given)})" if given else ""
    return ", ".join(f"{k} {v}" for k, v in (("method", method),
                                              ("features", conversion.get("features")),
                                              ("model", conversion.get("model"))) if v)


def _run_notes(layout, run, pieces, scores, mixed):
    """What the index warns of the whole run, and the scores it may show."""
    run_notes = []
    if mixed:
        run_notes.append(f"the pieces were not all extracted alike ({mixed}): run "
                         "extract_motives.py again with one set of options")
        log.warning("report: %s", run_notes[-1])
    waiting = unextracted(layout)
    if waiting:
        # parts of a sharded extraction that failed or never ran: a report of the rest read
        # as the whole run
        run_notes.append(f"{len(waiting)} of {len(waiting) + len(pieces)} pieces in the "
                         f"matrix list have no patterns (first: {waiting[0]}): extract them "
                         f"(python extract_motives.py {run}, every --shard part) and build "
                         "the report again")
        log.warning("report: %s", run_notes[-1])
    if scores and not {info["piece"] for info in pieces} & set(scores):
        # extract_motives_eval.py RUN --estdir OTHER writes OTHER's scores into RUN: their
        # mean would stand on this run's pages as if it were the run's own
        run_notes.append(f"{layout.results_csv} scores none of this run's pieces (written by "
                         "extract_motives_eval.py --estdir?): not shown")
        log.warning("report: %s", run_notes[-1])
        scores = {}
    return run_notes, scores


def _piece_report(layout, run, info, options, domain, scores):
    """Write a piece's page (and cut its clips): its summary for the index, and its notes."""
    piece = info["piece"]
    notes = []
    patterns = read_patterns_csv(info["patterns_csv"])
    ref = groundtruth_path(piece, options["refdir"]) if options["refdir"] else None
    references = None
    if ref is not None and info["score_csv"] is not None and info["bpm"]:
        references = reference_seconds(ref, info["score_csv"], info["bpm"], domain,
                                       info["audio_start"])
        info["reference"] = ref
    elif ref is not None:
        notes.append(f"ground truth {ref} not shown: no csv score"
                     + ("" if info["bpm"] else " and no tempo") + " to place it in time")
    matches = None
    if references is not None:
        matches, why = best_matches(layout.seg(piece), ref, len(patterns))
        notes += [why] if why else []
    duration, clips = _piece_clips(layout, info, patterns, notes)
    image = layout.patterns_image(piece)
    info["image"] = None
    if image.is_file():
        _copy_if_changed(image, layout.report_images / image.name)
        info["image"] = (layout.report_images / image.name).relative_to(
            layout.report_dir).as_posix()
    for n in notes:
        log.warning("report, %s: %s", piece, n)
    unscored = _unscored_occurrences(layout.seg(piece), patterns)
    if unscored:      # the MIREX rule, not a fault: said on the page, not as a warning
        notes.append(f"{counted(unscored, 'occurrence')} of the table "
                     f"{'is' if unscored == 1 else 'are'} not in {piece}.seg, so not "
                     "scored: no note of the score in the span (a rest, a held final "
                     "chord), none that recurs (--notes recurring), or the last of a "
                     "pattern whose other occurrences have none")
    if scores.get(piece) and layout.results_csv.stat().st_mtime \
            < info["patterns_csv"].stat().st_mtime:
        # expected between extraction and evaluation: said on the page, not as a warning
        notes.append("scores are from results.csv, written before these patterns: "
                     "run extract_motives_eval.py again")
    lanes = timeline_data(patterns, references, duration)
    atomic_write_text(layout.report_page(piece),
                      piece_page(run, info, patterns, lanes, duration, clips, scores,
                                 notes, matches))
    clip_dir = layout.report_clips(piece)
    summary = {"piece": piece, "duration": duration, "bpm": info["bpm"],
               "patterns": len(patterns),
               "occurrences": sum(len(p["occurrences"]) for p in patterns),
               "clip_bytes": _folder_size(clip_dir) if clip_dir.is_dir() else 0,
               "reference": info.get("reference")}
    return summary, notes


def _piece_clips(layout, info, patterns, notes):
    """A piece's clips (:func:`~complex_auto.audio_clips.piece_clips`) and the length of its
    timeline; what went wrong is added to ``notes``."""
    audio = info["audio"]
    last = max([e for p in patterns for _, _, e in p["occurrences"]] + [0.0])
    clips = {}
    duration = None
    if audio is not None and audio.is_file():
        try:
            duration, clips = audio_clips.piece_clips(layout.report_clips(info["piece"]),
                                                      audio, patterns)
        except DataError as e:      # the patterns are still worth seeing
            notes.append(f"{e}: no clips")
    else:
        notes.append(f"recording {audio} not found: no clips" if audio else
                     "the run does not record this piece's recording (conversion.json): "
                     "no clips")
    if len({name for name, _ in clips.values()}) >= audio_clips.MAX_CLIPS:
        unheard = sum(len(p["occurrences"]) for p in patterns) - len(clips)
        if unheard:
            notes.append(f"clips of the first {audio_clips.MAX_CLIPS} distinct spans only: "
                         f"{unheard} occurrences have none (so many patterns are mostly "
                         "noise: a silent recording, or a tempo far off?)")
    if duration is None:
        duration = max(last, 1.0)
    if last > duration + 0.5:
        notes.append(f"occurrences reach {format_time(last)}, past the recording's end "
                     f"({format_time(duration)})")
    return duration, clips


def _write_index(layout, run, summaries, scores, run_notes, how):
    """Write ``index.html``, which states the report's size; what :func:`build_report`
    returns."""
    # written twice: its own size barely changes the total
    atomic_write_text(layout.report_index, index_page(run, summaries, scores, run_notes, 0, how))
    size = _folder_size(layout.report_dir)
    atomic_write_text(layout.report_index,
                      index_page(run, summaries, scores, run_notes, size, how))
    size = _folder_size(layout.report_dir)
    clips = list(layout.report_clips().glob("*/*.mp3"))
    seconds = sum(audio_clips.clip_seconds(c) for c in clips)
    log.info("report: %s (%s; %s, %.1f min of audio; %.1f MB)", layout.report_index,
             counted(len(summaries), "piece"), counted(len(clips), "clip"), seconds / 60,
             size / 1e6)
    return {"index": layout.report_index, "pieces": [s["piece"] for s in summaries],
            "clips": len(clips), "clip_seconds": seconds, "bytes": size}


def _unscored_occurrences(seg, patterns):
    """How many occurrences of ``patterns`` (the table's) the ``.seg`` lacks: those without a
    note of the score, which the MIREX file leaves out (and a pattern left with one); 0
    without a readable ``.seg``."""
    try:
        scored = sum(len(p) for p in read_mirex(seg)) if seg.is_file() else None
    except DataError:
        scored = None
    return 0 if scored is None else max(0, sum(len(p["occurrences"]) for p in patterns) - scored)


def _drop_other_pieces(layout, pieces):
    """Remove the pages, clips and pictures of pieces the report no longer shows (a run
    extracted again from a shorter list): unlinked, they still counted in its size and went
    with it when the folder was sent."""
    out = layout.report_dir
    pages = {layout.report_page(p).name for p in pieces} | {layout.report_index.name}
    images = {layout.patterns_image(p).name for p in pieces}
    dropped = [f for f in out.glob("*.html") if f.name not in pages]
    dropped += [f for f in layout.report_images.glob("*_patterns.png") if f.name not in images]
    dropped += [d for d in layout.report_clips().glob("*") if d.is_dir() and d.name not in pieces]
    for f in dropped:
        if f.is_dir():
            shutil.rmtree(f)
        else:
            f.unlink()
    if dropped:
        log.info("report: removed %s of pieces no longer in the run",
                 ", ".join(str(f.relative_to(out)) for f in dropped))


def refresh_report(run, root=OUTPUT_ROOT, refdir=None):
    """Rebuild a run's report, with its current scores, when it has one (for the evaluation).

    The report is built with the options of its previous build (``report/report.json``), but
    ``refdir`` when given: the ground truth the scores were computed with.
    When that fails on the user's input (a csv list recorded then and deleted since, say),
    a warning says why and the report stays as it was.

    Parameters
    ----------
    run : str
        Run keyword: reads ``root/RUN/``.
    root : str or Path
        Folder of the runs.
    refdir : str or Path, optional
        Ground truth folder, as for :func:`build_report`.

    Returns
    -------
    dict or None
        The summary of :func:`build_report`; ``None`` when the run has no report or it could
        not be rebuilt.
    """
    from .errors import ComplexAutoError

    layout = RunLayout(run, root)
    if not layout.report_index.is_file():
        log.info("no report to update in %s (build one with python -m complex_auto.report %s)",
                 layout.report_dir, run)
        return None
    try:
        return build_report(run, root, refdir=refdir)
    except ComplexAutoError as e:
        # A warning, not an error: the caller's own work (the evaluation's results.csv and
        # table) is done, and exit status 1 would tell a user or a batch script that it was
        # not. The report is a view of those results; the warning says it is out of date.
        log.warning("%s not updated, it shows the previous scores: %s", layout.report_dir, e)
        return None


# ---------------------------------------------------------------------------------------------
# command line


def parser():
    """The command line of ``python -m complex_auto.report``."""
    p = argparse.ArgumentParser(
        prog="python -m complex_auto.report",
        description="Rebuild the HTML report of a run (output/RUN/report/index.html) from its "
                    "files: per piece a timeline of the patterns found beside the ground "
                    "truth, the matrix picture, a table of occurrences and a playable clip "
                    "of each; with results.csv the MIREX scores. Opens from disk; no network.",
        epilog="Options not given are those of the previous build of the report. Clips are "
               f"mono MP3 at {audio_clips.CLIP_SR} Hz, at most "
               f"{audio_clips.MAX_CLIP_SECONDS:g} s each.")
    p.add_argument("run", metavar="RUN", help="run keyword: reads output/RUN/")
    p.add_argument("--refdir", metavar="DIR",
                   help=f"ground truth, DIR/PIECE.txt in MIREX format (default: "
                        f"{DEFAULT_REFDIR}); 'none' for none")
    p.add_argument("-csv", "--csv", dest="csv", metavar="LIST",
                   help="csv scores that place the ground truth in time: a list file (paired "
                        "by piece name), 'auto' (jku_csv_files.txt) or 'none' (default: auto)")
    p.add_argument("--bpm", type=number, metavar="BPM",
                   help="tempo of pieces whose tempo the run does not record (for lengths in "
                        "beats)")
    p.add_argument("--screenshot", metavar="PNG",
                   help="also save a picture of a page of the report, as headless Chromium "
                        "shows it (needs chromium, chromedriver and selenium)")
    p.add_argument("--page", metavar="PIECE",
                   help="the page for --screenshot: a piece, or 'index' (default: the first "
                        "piece's)")
    p.add_argument("--at", metavar="CSS",
                   help="for --screenshot: the element to show at the top, e.g. "
                        "'table.occurrences' (default: the top of the page)")
    p.add_argument("--width", type=int, default=1280, help="width of the screenshot in pixels "
                                                            "(default: %(default)s)")
    p.add_argument("--height", type=int, default=1100, help="height of the screenshot in "
                                                             "pixels (default: %(default)s)")
    from . import cli

    cli.add_verbose(p)
    return p


def main(args):
    """Check the options, build the report and, with ``--screenshot``, take its picture."""
    from . import cli

    refdir = None if args.refdir is None else ("" if args.refdir.lower() == "none"
                                               else args.refdir)
    # checked before the build, which takes a while for a long run
    cli.check_csv_option(args.csv)
    if refdir:
        cli.check_folder(refdir, "--refdir")
    if args.bpm is not None and not args.bpm > 0:
        raise cli.ComplexAutoError(f"--bpm {args.bpm:g}: must be positive beats per minute")
    bad = [(k, v) for k, v in (("width", args.width), ("height", args.height)) if v < 1]
    if bad:
        raise cli.ComplexAutoError(f"--{bad[0][0]} {bad[0][1]}: must be at least 1 pixel")
    if args.screenshot is not None:
        check_png_path(args.screenshot)
    result = build_report(args.run, refdir=refdir, csv_list=args.csv, bpm=args.bpm)
    if args.screenshot is not None:
        from .browser import screenshot

        piece = args.page or result["pieces"][0]
        page = result["index"].parent / report_page_name(piece)
        if not page.is_file():
            raise cli.ComplexAutoError(f"--page {piece}: no page {page}")
        try:
            screenshot(page, args.screenshot, args.width, args.height, args.at)
        except (_selector_errors() if args.at else ()) as e:   # querySelector refused it
            raise cli.ComplexAutoError(f"--at {args.at}: not a CSS selector Chromium accepts "
                                       "(e.g. 'table.occurrences')") from e
        cli.log.info("screenshot of %s: %s", page, args.screenshot)


def check_png_path(path, option="--screenshot"):
    """Refuse a picture's path that no file can be written to, before the browser starts.

    Parameters
    ----------
    path : str or Path
        Where the PNG goes.
    option : str
        The option that named it, for the message.

    Raises
    ------
    ComplexAutoError
        When ``path`` is empty or a folder, or a folder above it is a file.
    """
    from .errors import ComplexAutoError

    if not str(path).strip():
        raise ComplexAutoError(f"{option} '': empty; give a file name, e.g. page.png")
    path = Path(path)
    if path.is_dir():
        raise ComplexAutoError(f"{option} {path}: a folder; give a file name, e.g. "
                               f"{path / 'page.png'}")
    blocking = file_in_the_way(path.parent)
    if blocking is not None:
        raise ComplexAutoError(f"{option} {path}: {blocking} is a file, not a folder")


def _selector_errors():
    """Selenium's exceptions for a selector the page's ``querySelector`` refuses (``()``
    without selenium, whose absence :mod:`complex_auto.browser` reports itself)."""
    try:
        from selenium.common.exceptions import (InvalidElementStateException,
                                                InvalidSelectorException, JavascriptException)
    except ImportError:
        return ()
    return InvalidElementStateException, InvalidSelectorException, JavascriptException


if __name__ == "__main__":
    from . import cli

    cli.run(main, parser())
