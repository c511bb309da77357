#!/usr/bin/env python
"""Planted defects across the toolkit: does the test suite catch each one?

    python bench/mutants.py [--only NAME ...] [--list]

A test suite that passes is worth what it would fail on. Each *mutant* below is one small,
plausible defect (an off-by-one, a dropped rule, a sign, a forgotten shift) in one module:

- the pattern finder and what it reports: ``families.py``, ``melody.py``, ``recurrence.py``,
  the chance control (``chance.py``), the mapping of spans onto notes (``patterns.py``), the
  compiled ``nf14`` segment search (``_segment_kernel.py``), the same search over a matrix file
  too big for memory (``nf14_stream.py``) and the measures that ``evaluation.py`` adds to
  mir_eval's;
- what every finder reads: the CQT, its windows and the self-similarity matrix (``cqt.py``,
  ``features.py``, ``selfsim.py``), conversion's outputs and records (``convert.py``), its
  record of how the features were made and where (``runinfo.py``) and the float16 matrices of
  long recordings (``half.py``);
- what trains the model: the CAE and its loss (``model.py``), the training pairs of the three
  experiments (``cqt_pairs.py``, ``signal_pairs.py``, ``mnist_pairs.py``), the data of each
  ``data_type`` (``data.py``), the preprocessing cache behind them (``cache.py``), the loop
  (``training.py``) and its data-parallel processes (``distributed.py``: ranks, the share of a
  batch, the averaged gradients and loss), its plots (``plots.py``), the README's filter
  figures with their measures of structure (``figures.py``) and the corpus rendered from
  music21's scores (``corpus.py``);
- what the benchmarks read and compare: the JKU ground truth and scores (``jku.py``), the
  transposition test (``transposition.py``), the baseline representations
  (``representations.py``), their comparison (``compare.py``) and how strongly a matrix marks
  the annotated repeats (``annotated.py``);
- what a trained model learned (``invariance/``): the invariance measures (``measures.py``:
  similarities and match rates of amplitudes under shifts, their unrelated-item baselines,
  the pairs of the phase classifiers), the transformed items they compare (``cqt_items.py``,
  ``signal_items.py``, ``digits.py``), the recordings they are cut from (``recordings.py``), the
  held-out pairs of the analysis (``report.py``) and the command (``command.py``: its options,
  the model it reads, the digits it holds out);
- what a user touches: the report (``report.py``) and the headless Chromium that checks and
  pictures it (``browser.py``), file lists (``filelist.py``), configs (``config.py``), the
  layout of a run (``layout.py``), the parts of a job array and the skipping of finished work
  (``shards.py``), atomic writes (``utils.py``), one-line errors (``cli.py``) and the memory
  limit (``memory.py``).

For each, the script copies the repository into a temporary folder, plants the defect there,
runs the tests of that module (stopping at the first failure) and prints *killed* (a test
failed) or *SURVIVED* (every test passed: a defect the suite would let through). The working
tree is never modified.

When a module entered the table, some of its mutants survived, and a test was written for each
(the commits that added them name it): among them the loss's power ignored, the same training
pairs every epoch, ground-truth durations read from the morphetic pitch, a pattern header
dropping the last occurrence before it, a pitch shift downwards, a file named ``take 2`` read
as a name and a tempo, the ``.segraw`` written over the ``.seg``, a failed write renamed into
place, the median of a matrix file holding negative values, the phase classifiers tested on the
fitting items, a cache key blind to a file rewritten at the same size, the GPU of a process
chosen by its global rank and ``--model`` ignored.

Every mutant of the table is killed by the suite as it is; a new survivor after a change of
the code or the tests is a hole in the tests. A mutant whose text no longer occurs once in its
module is an error (the code moved: update the table). Left out on purpose, because they
change no behaviour that matters: the early return of ``families.prepare_matrix`` for a piece
of fewer than ``2 × MIN_BEATS + 1`` cells (a shorter one finds nothing either); flooring
instead of rounding the note ends of ``melody.skyline`` on its 1/480-beat grid; cosine
distances left unclipped by ``selfsim.cosine_distances`` (they leave [0, 2] by rounding only);
and the sign of the pairs' differences in ``invariance/measures.py`` (``φ_x − φ_y`` or
``a_x − a_y``: the classifiers see fitting and held-out pairs flipped alike).

A killed mutant takes seconds to a minute, a survivor as long as its tests (a few minutes);
the whole table about 55 minutes on two cores. Exit status 1 when a mutant survives.
"""
import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from complex_auto.cli import add_verbose, run  # noqa: E402
from complex_auto.errors import DataError  # noqa: E402

#: Tests run against each module's mutants.
TESTS = {
    "families": ["tests/test_families.py", "tests/test_api.py"],
    "chance": ["tests/test_families.py", "tests/test_recurrence.py", "tests/test_melody.py"],
    "melody": ["tests/test_melody.py", "tests/test_families.py"],
    "patterns": ["tests/test_patterns.py", "tests/test_families.py", "tests/test_recurrence.py",
                 "tests/test_melody.py", "tests/test_evaluation.py"],
    "evaluation": ["tests/test_evaluation.py", "tests/test_api.py"],
    "selfsim": ["tests/test_references.py", "tests/test_api.py"],
    "cqt": ["tests/test_references.py", "tests/test_convert.py", "tests/test_api.py"],
    "features": ["tests/test_references.py", "tests/test_convert.py", "tests/test_api.py"],
    "model": ["tests/test_model.py", "tests/test_fourier_init.py", "tests/test_training.py"],
    "cqt_pairs": ["tests/test_cqt_pairs.py", "tests/test_training.py"],
    "training": ["tests/test_training.py", "tests/test_distributed.py"],
    "signal_pairs": ["tests/test_signal_pairs.py"],
    "mnist_pairs": ["tests/test_mnist_pairs.py"],
    "jku": ["tests/test_jku.py"],
    "transposition": ["tests/test_transposition.py"],
    "representations": ["tests/test_representations.py", "tests/test_transposition.py"],
    "report": ["tests/test_report.py"],
    "convert": ["tests/test_convert.py"],
    "compare": ["tests/test_compare.py"],
    "filelist": ["tests/test_filelist.py"],
    "layout": ["tests/test_layout.py"],
    "config": ["tests/test_config_cache.py"],
    "utils": ["tests/test_config_cache.py"],
    "cli": ["tests/test_flags.py"],
    "recurrence": ["tests/test_recurrence.py"],
    "half": ["tests/test_half.py"],
    "memory": ["tests/test_scale.py"],
    "nf14_stream": ["tests/test_scale.py"],
    "figures": ["tests/test_figures.py", "tests/test_fourier_init.py"],
    "plots": ["tests/test_plots.py", "tests/test_figures.py", "tests/test_training.py"],
    "corpus": ["tests/test_corpus.py"],
    "annotated": ["tests/test_annotated.py"],
    "invariance/measures": ["tests/test_invariance.py"],
    "invariance/cqt_items": ["tests/test_invariance.py"],
    "invariance/signal_items": ["tests/test_invariance.py"],
    "invariance/digits": ["tests/test_invariance.py"],
    "invariance/report": ["tests/test_invariance.py"],
    "_segment_kernel": ["tests/test_patterns.py"],
    "shards": ["tests/test_scale.py"],
    "runinfo": ["tests/test_convert.py", "tests/test_report.py"],
    "data": ["tests/test_data.py"],
    "cache": ["tests/test_config_cache.py"],
    "invariance/command": ["tests/test_invariance.py"],
    "invariance/recordings": ["tests/test_invariance.py"],
    "distributed": ["tests/test_distributed.py"],
    "browser": ["tests/test_report.py"],
}

#: Seconds the tests of one mutant may take: the longest module's tests take about 3 minutes.
TIMEOUT = 1200

#: (module, name, text, planted text): the defect replaces the one occurrence of the text.
MUTANTS = [
    # steps 1-3: the matrix
    ("families", "pool: corner blocks divided as full ones",
     "out[r] = sums / (len(band) * np.diff(cols))", "out[r] = sums / (factor * factor)"),
    ("families", "lag normalisation without the median",
     "v = buf[t] - med", "v = buf[t] - 0.0 * med"),
    ("families", "equal values at their lowest quantile",
     "qs = (q[idx] + q[np.r_[idx[1:] - 1, len(q) - 1]]) / 2", "qs = q[idx]"),
    ("families", "equal values at their highest quantile",
     "qs = (q[idx] + q[np.r_[idx[1:] - 1, len(q) - 1]]) / 2",
     "qs = q[np.r_[idx[1:] - 1, len(q) - 1]]"),
    ("families", "smoothing off centre",
     "hi = min(m, t - half + width)", "hi = min(m, t + width)"),
    # step 4: candidates
    ("families", "a run not cut at its lag",
     "limit = min(max_len, d)", "limit = max_len"),
    ("families", "no piece ending where the run ends",
     "if t - s > limit and (t - s) % limit:", "if False:"),
    ("families", "candidates from one side of a run",
     "for s, e in ((a, b), (a + d, b + d)):", "for s, e in ((a, b),):"),
    # step 5: path families
    ("families", "the candidate a moment later as its own occurrence",
     "gain[np.abs(c - start) < length] = -1.0",
     "gain[np.abs(c - start) < length // 2] = -1.0"),
    ("families", "overlapping occurrences",
     "prev = best[x - length] if x - length >= 0 else 0.0",
     "prev = best[x - 1] if x - 1 >= 0 else 0.0"),
    ("families", "chance level at the wrong tail",
     "float(np.quantile(means, 1.0 - p))", "float(np.quantile(means, p))"),
    # step 6: choice
    ("families", "IoU over the first span, not the union",
     "return inter / (max(a1, b1) - min(a0, b0)) if inter > 0 else 0.0",
     "return inter / (a1 - a0) if inter > 0 else 0.0"),
    ("families", "'within' measured on the host",
     "return min(b, d) - max(a, c) >= share * (b - a)",
     "return min(b, d) - max(a, c) >= share * (d - c)"),
    ("families", "no 'its spans' rule",
     "if _share_matched(other, spans, iou) >= redundant:", "if False:"),
    ("families", "the first pattern always named the host",
     "return int(held.argmax())", "return 0"),
    ("families", "families chosen worst first",
     "for score, occ in sorted(families, key=lambda f: -f[0]):",
     "for score, occ in sorted(families, key=lambda f: f[0]):"),
    ("families", "excess not scaled to its room",
     "excess = (means - level) / (1 - level)", "excess = (means - level)"),
    ("families", "length power not read from its constant",
     "* ((b - a) * cell_beats) ** LENGTH_POWER)", "* ((b - a) * cell_beats) ** 0.5)"),
    # step 7: parts
    ("families", "runs along the pattern's own diagonal kept",
     "host[np.repeat(own, 2)] = -1", "pass"),
    ("families", "part level counting its own copy",
     "if k != host and c + offset + length <= len(P) - 1]",
     "if c + offset + length <= len(P) - 1]"),
    ("families", "part level not capped by chance",
     "level = min(level, caps[b - a])", "level = level"),
    ("families", "parts as long as the pattern",
     "max_len = int(PART_SHARE * (occ[0, 1] - occ[0, 0]))",
     "max_len = int(occ[0, 1] - occ[0, 0])"),
    ("families", "parts not checked by step 6",
     "chosen = select_patterns([f for p in parts for f in p[:PARTS_PER_PATTERN]], kept=chosen)",
     "chosen = chosen + [f for p in parts for f in p[:PARTS_PER_PATTERN]]"),
    ("families", "spans past the last window",
     "return [(score, np.minimum(occ * factor, n_rows)) for score, occ in chosen]",
     "return [(score, occ * factor) for score, occ in chosen]"),
    # the melody
    ("melody", "a note ending at an onset still covers it",
     "while held and held[0][1] <= now:", "while held and held[0][1] < now:"),
    ("melody", "held notes ignored",
     "            top = max(top, -held[0][0])", "            top = top"),
    ("melody", "negative durations accepted",
     "if (score[:, 2] < 0).any():", "if False:"),
    # the chance control
    ("chance", "the last start never drawn",
     "(n_frames - lengths + 1)", "(n_frames - lengths)"),
    ("chance", "spans longer than the piece not cut",
     "lengths = np.clip(occ[:, 1] - occ[:, 0], 1, n_frames)",
     "lengths = occ[:, 1] - occ[:, 0]"),
    ("chance", "random spans without the window's centre",
     'shift = None if info["method"] == "nf14" else info["window"] / 2.0', "shift = None"),
    ("chance", "random spans over the padding rows",
     '.shape[0] - info["pad"]', ".shape[0]"),
    ("chance", "one seed for every placement",
     "rng = np.random.default_rng(seed)\n        yield",
     "rng = np.random.default_rng(0)\n        yield"),
    ("chance", "the first seed's scores only",
     "mean = {c: float(np.mean([m[c] for m in per_seed])) for c in SCORE_COLUMNS}",
     "mean = {c: float(per_seed[0][c]) for c in SCORE_COLUMNS}"),
    ("chance", "ceiling spans without their last onset",
     "+ [0.0, 1e-3]", "+ [0.0, 0.0]"),
    ("chance", "ceiling placed from beat 0",
     "first = float(score[:, 0].min())", "first = 0.0"),
    ("chance", "ceiling's exact spans onto every note",
     "exact = patterns_to_notes([np.hstack([s, s]) for s in spans], score, 1.0, 0.0, 0.0, notes)",
     "exact = patterns_to_notes([np.hstack([s, s]) for s in spans], score, 1.0, 0.0, 0.0)"),
    ("chance", "ceiling's random spans onto every note",
     "found = patterns_to_notes(placed, score, CEILING_GRID_BEATS, first, 0.0, notes)",
     "found = patterns_to_notes(placed, score, CEILING_GRID_BEATS, first, 0.0)"),
    # spans onto notes
    ("patterns", "audio start added, not subtracted",
     "return first - audio_start * bpm / 60.0", "return first + audio_start * bpm / 60.0"),
    ("patterns", "an onset on a span's end inside it",
     "(score[:, 0] < end_beat - eps)", "(score[:, 0] <= end_beat + eps)"),
    ("patterns", "an onset on a span's start outside it",
     "(score[:, 0] >= start_beat - eps)", "(score[:, 0] > start_beat + eps)"),
    ("patterns", "a pattern of one occurrence kept",
     "        if len(occurrences) >= 2:\n            result.append",
     "        if len(occurrences) >= 1:\n            result.append"),
    ("patterns", "occurrences without notes kept",
     "            if len(found):\n", "            if True:\n"),
    ("patterns", "nf14 beats floored, not rounded",
     "return round(start * h + offset), round(end * h + offset)",
     "return int(start * h + offset), int(end * h + offset)"),
    ("patterns", "nf14 notes past a span's end",
     "points = np.arange(start_beat, end_beat, grid)",
     "points = np.arange(start_beat, end_beat + 1, grid)"),
    ("patterns", "onsets written rounded",
     'lines.extend(f"{float(on)!r}, {float(pitch)!r}" for on, pitch in occ)',
     'lines.extend(f"{float(on):.2f}, {float(pitch)!r}" for on, pitch in occ)'),
    ("patterns", "csv end seconds without the window's centre",
     'f"{(occ[3] + shift) * frame_seconds:.3f},{score}")',
     'f"{occ[3] * frame_seconds:.3f},{score}")'),
    ("patterns", "a family's rows from its last span",
     "        a, b = spans[0]\n", "        a, b = spans[-1]\n"),
    ("patterns", "families' scores not written",
     "        scores = [s for s, _ in found]\n", "        scores = None\n"),
    ("patterns", "families searching the padding rows",
     "found = find_patterns(X, h, n_rows=N - pad, occurrence_p=occurrence_p,",
     "found = find_patterns(X, h, n_rows=N, occurrence_p=occurrence_p,"),
    ("patterns", "the picture's annotated bars without the window's centre",
     "reference_spans = reference_frame_spans(ref, h, offset + (shift or 0.0) * h)",
     "reference_spans = reference_frame_spans(ref, h, offset)"),
    ("patterns", "--notes recurring ignored",
     'if notes == "recurring" and len(occurrences) >= 2:', "if False:"),
    # the measures the benchmarks add to mir_eval's
    ("evaluation", "cover and purity swapped",
     "top = (k / max(n_a, n_b), k / n_a, k / n_b)", "top = (k / max(n_a, n_b), k / n_b, k / n_a)"),
    ("evaluation", "of equal matches, the last",
     "if k / max(n_a, n_b) > top[0]:", "if k / max(n_a, n_b) >= top[0]:"),
    ("evaluation", "a doubled note counted once",
     "return [(set(map(tuple, occ)), len(occ)) for occ in pattern if len(occ)]",
     "return [(set(map(tuple, occ)), len(set(map(tuple, occ)))) for occ in pattern if len(occ)]"),
    ("evaluation", "best subset's precision and recall swapped",
     'return {"P": p, "R": r, "F": 2 * p * r / (p + r) if p + r else 0.0}[stat]',
     'return {"P": r, "R": p, "F": 2 * p * r / (p + r) if p + r else 0.0}[stat]'),
    ("evaluation", "best subset never the whole estimate",
     "return (whole, list(range(len(est)))) if whole > best else (float(best), chosen)",
     "return (float(best), chosen)"),
    ("evaluation", "matching occurrences above the share only",
     ">= share for a, n_a in annotated)", "> share for a, n_a in annotated)"),
    ("evaluation", "a matching occurrence alone kept",
     "return [pattern for pattern in kept if len(pattern) >= 2]",
     "return [pattern for pattern in kept if len(pattern) >= 1]"),
    # what every finder reads: features and matrices (the defects of issue 10's list)
    ("cqt", "a block's frames one frame late",
     "first = f0 - lo // hop", "first = f0 - lo // hop + 1"),
    ("features", "one window start fewer",
     "return np.arange(0, max(n_frames - length, 0), step)",
     "return np.arange(0, max(n_frames - length - 1, 0), step)"),
    ("features", "windows flattened frame-major, as the original converted",
     "win = win.transpose(1, 2, 0) if legacy_layout else win.transpose(1, 0, 2)",
     "win = win.transpose(1, 2, 0)"),
    ("features", "windows not scaled to unit variance",
     "flat /= flat.std(axis=1, keepdims=True) + 1e-8", "flat /= 1.0"),
    ("features", "focus at a window's start", "first = (length - focus) // 2", "first = 0"),
    ("features", "dropout while converting", "    model.eval()\n    try:",
     "    model.train()\n    try:"),
    ("selfsim", "smoothing kernel reduced to its main diagonal",
     "return (np.abs(i[:, None] - i[None, :]) <= 1).astype(np.float64)",
     "return (np.abs(i[:, None] - i[None, :]) <= 0).astype(np.float64)"),
    ("selfsim", "smoothing kernel widened",
     "KERNEL_SIZE = 10", "KERNEL_SIZE = 12"),
    ("selfsim", "a narrower zeroed band", "BAND = 8", "BAND = 7"),
    # arguments of the package's functions, called from Python (tests/test_api.py)
    ("selfsim", "a NaN in the features spread over the matrix",
     "    f = checks.array(features, name, ndim=2)\n",
     "    f = np.asarray(features, dtype=np.float64)\n"),
    ("features", "the model left in eval mode by encoding", "        model.train(training)\n",
     "        pass\n"),
    ("families", "an occurrence share outside (0, 1] taken",
     '        occurrence_p = checks.share(occurrence_p, "occurrence_p")',
     "        occurrence_p = float(occurrence_p)"),
    ("evaluation", "a NaN onset of a pattern list scored 0 without a word",
     "            if not np.isfinite(notes).all():", "            if False:"),
    ("convert", "the matrix picture in [0, 1] (black)", "IMAGE_QUANTILE = 0.995",
     "IMAGE_QUANTILE = 1.0"),
    ("report", "pages without a viewport (a phone shows them at 40 %)",
     "content=\"width=device-width, initial-scale=1\">'", "content=\"\">'"),
    ("utils", "queued files converted after Ctrl-C",
     "        pool.shutdown(wait=False, cancel_futures=True)\n",
     "        pool.shutdown(wait=True)\n"),
    ("signal_pairs", "silent signals trained with loss 0", "            elif not s.any():",
     "            elif False:"),
    ("cqt", "a file cut short converted in silence",
     "    if not found or int(found.group(2)) >= int(found.group(1)):",
     "    if True:"),
    ("config", "a learning rate of 0 accepted", '    if cfg["lr"] == 0:', "    if False:"),
    ("config", "an empty cache_dir accepted", "    if not str(cache_dir).strip():",
     "    if False:"),
    ("training", "a second 'interrupted' after the checkpoint's line",
     "            raise Interrupted() from None\n", ""),
    ("utils", "a killed run's temporaries in the records' folders kept",
     '    return _remove_stale([*folder.glob(pattern), *folder.glob(f"*/{pattern}")])',
     "    return _remove_stale(folder.glob(pattern))"),
    ("report", "a report of part of a run read as the whole", "    waiting = unextracted(layout)",
     "    waiting = []"),
    ("invariance/command", "a transposition excerpt of no seconds taken",
     "    if not seconds > 0:\n        raise ComplexAutoError(f\"--transposition-seconds",
     "    if False:\n        raise ComplexAutoError(f\"--transposition-seconds"),
    ("invariance/command", "time shifts past half an n-gram's window",
     '        max_time = (min(TIME_RANGE, cfg["length_ngram"] // 2) if max_time is None',
     "        max_time = (TIME_RANGE if max_time is None"),
    ("invariance/report", "the legends on the curves",
     '    outside = dict(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), '
     'borderaxespad=0.0)',
     '    outside = dict(fontsize=8, loc="lower left")'),
    ("filelist", "'listed file file'", '    noun = "file" if what == "file" else f"{what} file"',
     '    noun = f"{what} file"'),
    ("patterns", "the ground truth drawn in the patterns' colours",
     "                           fill=TRUTH_COLOUR)\n",
     "                           fill=PALETTE[p % len(PALETTE)])\n"),
    # the model: what makes the amplitudes invariant and the phases carry the transformation
    ("model", "amplitudes not exchanged within a pair",
     "amp_other = torch.cat([amp[n:], amp[:n]])", "amp_other = torch.cat([amp[:n], amp[n:]])"),
    ("model", "phase as atan2(im, re)",
     "torch.atan2(re, im)", "torch.atan2(im, re)"),
    ("model", "decoding with sine and cosine exchanged",
     "[amplitude * torch.sin(phase), amplitude * torch.cos(phase)]",
     "[amplitude * torch.cos(phase), amplitude * torch.sin(phase)]"),
    ("model", "cross reconstructions compared with the wrong item",
     "x_hat, y_hat = rec[:n], rec[n:]", "y_hat, x_hat = rec[:n], rec[n:]"),
    ("model", "learned norm without normalising the rows",
     "w = self.norm_val * w / (w.norm(dim=1, keepdim=True) + _EPS)", "w = self.norm_val * w"),
    ("model", "dropout not rescaled",
     "return x.masked_fill(noise < int(levels), 0.0) * (1.0 / (1.0 - p))",
     "return x.masked_fill(noise < int(levels), 0.0)"),
    ("model", "dropout while evaluating", "if not self.training or p == 0:", "if p == 0:"),
    ("model", "Fourier bases with the DC term",
     "if (u, v) != (0, 0) and (u > 0 or v > 0)", "if (u > 0 or v >= 0)"),
    ("model", "set_to_norm ignoring its value",
     "w.mul_(value / (w.norm(dim=1, keepdim=True) + _EPS))",
     "w.mul_(1.0 / (w.norm(dim=1, keepdim=True) + _EPS))"),
    ("model", "loss power ignored for one item",
     "rec = (y - y_hat).abs().pow(power).mean()", "rec = (y - y_hat).abs().pow(2).mean()"),
    ("model", "equal-norm penalty on the mean norm",
     "equal_norm_loss * norms.var()", "equal_norm_loss * norms.mean()"),
    # the training pairs
    ("cqt_pairs", "pitch shift downwards",
     "y[sel, s:] = x[sel, :n_bins - s]", "y[sel, :n_bins - s] = x[sel, s:]"),
    ("cqt_pairs", "time shift backwards",
     "draws.start[sel] + draws.shift[sel]", "draws.start[sel] - draws.shift[sel]"),
    ("cqt_pairs", "tempo pairs never exchanged",
     "x[swap], y[swap] = y[swap], x[swap]", "x[swap] = x[swap]"),
    ("cqt_pairs", "tempo stretch not centre-cropped",
     "crop = (stretched - length) // 2", "crop = 0 * stretched"),
    ("cqt_pairs", "onsets emphasised in both directions",
     "return x + weight * np.maximum(diff, 0)", "return x + weight * np.abs(diff)"),
    ("cqt_pairs", "items standardised to 1, not 0.1",
     "flat *= (std / (sd + _EPS))", "flat *= (1.0 / (sd + _EPS))"),
    ("cqt_pairs", "starts from frame 0, so time shifts leave the file",
     "start = rng.integers(self.max_time, ", "start = rng.integers(0, "),
    ("cqt_pairs", "evaluation sweep with one shift of margin",
     "margin = 2 * self.max_time", "margin = self.max_time"),
    # the training loop
    ("training", "the same pairs every epoch",
     'rng = np.random.default_rng([cfg["seed"], epoch])',
     'rng = np.random.default_rng([cfg["seed"], 0])'),
    ("training", "set_to_norm not applied", 'model.set_to_norm(cfg["set_to_norm"])', "pass"),
    ("training", "the epoch bar left at its start in a log",
     "            bar.update()\n", "            pass\n"),
    ("training", "a resume with nothing to train rewrites the run's config",
     "context.main and not (start and start >= epochs):", "context.main:"),
    ("training", "resume without the optimizer state",
     'opt.load_state_dict(ckpt["optimizer"])', "pass"),
    ("training", "resume forgets the history",
     'start, history = ckpt["epoch"], ckpt["history"]', 'start, history = ckpt["epoch"], []'),
    ("training", "train loss a sum of batch means",
     "total += rec.item() * (hi - lo)", "total += rec.item()"),
    ("training", "gradients not weighted by the part's share",
     "(loss * ((hi - lo) * context.world / size)).backward()", "loss.backward()"),
    # the pairs of the 1-D and digit experiments
    ("signal_pairs", "a symmetric Hann window",
     "np.cos(2 * np.pi * n / length)", "np.cos(2 * np.pi * n / (length - 1))"),
    ("signal_pairs", "mean removed after windowing",
     "x -= x.mean(axis=1, keepdims=True)\n    x *= window[None, :]",
     "x *= window[None, :]\n    x -= x.mean(axis=1, keepdims=True)"),
    ("signal_pairs", "the second window not shifted",
     "self.windows(draws.file, draws.start + draws.shift)",
     "self.windows(draws.file, draws.start)"),
    ("signal_pairs", "the last window start never drawn",
     "self.lengths[file] - self.length - self.max_shift + 1)",
     "self.lengths[file] - self.length - self.max_shift)"),
    ("signal_pairs", "shifts forward only",
     "rng.integers(-self.max_shift, self.max_shift, n)", "rng.integers(0, self.max_shift, n)"),
    ("signal_pairs", "evaluation windows a whole window apart",
     "hop = max(self.length // 2,", "hop = max(self.length,"),
    ("mnist_pairs", "digits rotated clockwise", "rotate(t, float(a),", "rotate(t, -float(a),"),
    ("mnist_pairs", "angles on half the circle",
     "rng.uniform(0.0, 360.0,", "rng.uniform(0.0, 180.0,"),
    ("mnist_pairs", "prepared pairs rotated again",
     "y = self.source.rotated[draws.index]", "y = rotate_images(x, draws.shift)"),
    ("mnist_pairs", "rotated digits not standardised like the upright ones",
     "standardise_items(y, ITEM_STD)", "standardise_items(y, 1.0)"),
    ("mnist_pairs", "a small evaluation source swept once",
     "reps = 1 if self.fixed or n == 0 else max(1, math.ceil(min_pairs / n))", "reps = 1"),
    # the ground truth of the JKU (jku.py): every score reads it
    ("jku", "durations read from the morphetic pitch",
     "columns = (0, 1, 3) if durations else (0, 1)",
     "columns = (0, 1, 2) if durations else (0, 1)"),
    ("jku", "negative durations pass the fast reader",
     "np.isfinite(fast).all() and (fast[:, 2:] >= 0).all()", "np.isfinite(fast).all()"),
    ("jku", "the table's tempo wins over the user's",
     "    if bpm is not None:\n        bpm = float(bpm)",
     "    if bpm is not None and piece not in JKU_BPM:\n        bpm = float(bpm)"),
    ("jku", "a pattern header drops the last occurrence",
     "        if \"pattern\" in line:\n            if occurrence:\n"
     "                pattern.append(occurrence)\n",
     "        if \"pattern\" in line:\n"),
    ("jku", "ground-truth pitch read as the onset",
     "note = (float(fields[0]), float(fields[1]))", "note = (float(fields[0]), float(fields[0]))"),
    ("jku", "an occurrence spans its first and last note in file order",
     "return min(onsets), max(onsets)", "return onsets[0], onsets[-1]"),
    # the transposition test (transposition.py)
    ("transposition", "a neighbour at the tolerance not counted",
     "np.abs(best - np.arange(n)) <= tolerance", "np.abs(best - np.arange(n)) < tolerance"),
    ("transposition", "silent windows count as found",
     "<= tolerance) & valid))", "<= tolerance)))"),
    ("transposition", "the nearest query of every key",
     "best = np.argmax(sim, axis=1)", "best = np.argmax(sim, axis=0)"),
    ("transposition", "chance not clipped at the last window",
     "np.minimum(i + tolerance, n_windows - 1)", "np.minimum(i + tolerance, n_windows)"),
    ("transposition", "shifted downwards",
     "n_steps=float(semitones))", "n_steps=-float(semitones))"),
    ("transposition", "the shifted excerpt against itself",
     "neighbour_hits(shifted, original, tolerance, similarity)",
     "neighbour_hits(shifted, shifted, tolerance, similarity)"),
    # the baselines the CAE competes with (representations.py)
    ("representations", "quarter-tone bins folded to one side only",
     "np.add.at(w, ((lo + 1) % PITCH_CLASSES, np.arange(n_bins)), frac)",
     "np.add.at(w, (lo % PITCH_CLASSES, np.arange(n_bins)), frac)"),
    ("representations", "chroma frames not standardised",
     "return standardise_frames(folded)", "return folded"),
    ("representations", "2-D Fourier magnitude along frames only",
     "np.fft.rfft2(w, axes=(1, 2))", "np.fft.rfft(w, axis=2)"),
    ("representations", "the last cyclic shift of the pitch classes not tried",
     "for shift in range(PITCH_CLASSES):", "for shift in range(PITCH_CLASSES - 1):"),
    ("representations", "pitch classes rolled along the frames",
     "np.roll(k, shift, axis=1)", "np.roll(k, shift, axis=2)"),
    ("representations", "padding of the matrix at distance zero",
     "np.full((n + PAD, n + PAD), d.max() if n else 0.0)", "np.full((n + PAD, n + PAD), 0.0)"),
    ("representations", "tichroma tested with plain cosine",
     "    if kind != \"tichroma\":\n        return None\n    return lambda",
     "    if True:\n        return None\n    return lambda"),
    ("representations", "tichroma features not folded to chroma",
     "if kind in (\"chroma\", \"tichroma\"):", "if kind == \"chroma\":"),
    ("representations", "the focus of the CAE windows ignored",
     "focus=focus)[0]", "focus=None)[0]"),
    # the report of a run (report.py): what a reader looks at and listens to
    ("report", "times truncated to the tenth below",
     "tenths = int(round(abs(seconds) * 10))", "tenths = int(abs(seconds) * 10)"),
    ("report", "negative times lose their sign",
     "sign = \"-\" if seconds < 0 else \"\"", "sign = \"\""),
    ("report", "a pattern's score not read",
     "{\"pattern\": p, \"score\": score,", "{\"pattern\": p, \"score\": None,"),
    ("report", "an occurrence ending before its start accepted",
     "if end < start:", "if end < start - 1e9:"),
    ("report", "an annotated occurrence ends at its last onset",
     "ends[key] = max(ends.get(key, onset), onset + dur)", "ends[key] = onset"),
    ("report", "annotated spans not moved by the recording's start",
     "occs.append(((start - offset) * beat, (end - offset) * beat))",
     "occs.append((start * beat, end * beat))"),
    ("report", "best matches numbered from 0",
     "int(S[:, k].argmax()) + 1", "int(S[:, k].argmax())"),
    ("report", "a clip faded in at its end",
     "clip[-n:] *= ramp[::-1]", "clip[-n:] *= ramp"),
    ("report", "a clip as long as its occurrence",
     "b = min(int(round(min(end, start + max_seconds) * sr)), len(y))",
     "b = min(int(round(end * sr)), len(y))"),
    ("report", "a clip's span past the recording's end",
     "a, b = max(start, 0.0), min(end, duration, start + max_seconds)",
     "a, b = max(start, 0.0), min(end, start + max_seconds)"),
    ("report", "overlapping occurrences drawn on one row",
     "next((r for r, end in enumerate(ends) if end <= b[\"start\"]), len(ends))", "0"),
    ("report", "bars past the end not clipped to the timeline",
     "\"x1\": min(max(e / duration, 0.0), 1.0)}", "\"x1\": e / duration}"),
    ("patterns", "extraction before a merge advises a conversion",
     "if not layout.conversion_info.exists() and any(layout.conversion_records.glob(",
     "if False and any(layout.conversion_records.glob("),
    ("report", "scores of other pieces shown as the run's",
     "if scores and not {info[\"piece\"] for info in pieces} & set(scores):", "if False:"),
    ("report", "pieces extracted with other methods not told apart",
     "    if mixed:\n", "    if False:\n"),
    ("report", "a mixed run labelled with the last command's method",
     "method = None if mixed else extraction.get(\"method\")", "method = extraction.get(\"method\")"),
    ("report", "a mixed method listed with every setting it changes",
     "if \"method\" in clauses:", "if False:"),
    # conversion's outputs and its records (convert.py), and the comparison (compare.py)
    ("convert", "the matrix of the phases",
     "else write_matrix(feats[0], matrix, threads))",
     "else write_matrix(feats[-1], matrix, threads))"),
    ("convert", "a recording of one window converted",
     "if spec.shape[1] <= length:", "if spec.shape[1] < length:"),
    ("convert", "--focus-frames ignored",
     "focus=cfg.get(\"focus_frames\"))", "focus=None)"),
    ("convert", "--legacy-layout ignored",
     "encode_features(model, spec, length, step, legacy_layout, device,",
     "encode_features(model, spec, length, step, False, device,"),
    ("convert", "a model named two ways is two settings",
     "settings[key] = record_path(settings[key])", "settings[key] = str(settings[key])"),
    ("convert", "records hold absolute paths (a moved project converted again)",
     "return p.relative_to(Path.cwd().resolve()).as_posix()", "return str(p)"),
    ("convert", "an earlier version's absolute record taken for another recording",
     "record.update({k: record_path(v) for k in _PATH_KEYS", "record.update({k: v for k in _PATH_KEYS"),
    ("convert", "another recording of the same name called other settings",
     "if record.get(\"audio\") != expected[\"audio\"]:", "if False:"),
    ("compare", "the csv list's tempo not read",
     "bpm if bpm is not None else score_bpm.get(piece_name(f))", "bpm"),
    ("compare", "tichroma compared with plain cosine",
     "similarity=similarity_function(kind, cfg[\"length_ngram\"])", "similarity=None"),
    # file lists (filelist.py): the format every command reads
    ("filelist", "a tempo after a tab ignored",
     "return first.strip(), (parse_bpm(rest.split(\"\\t\")[0].strip(), where) if rest else None)",
     "return first.strip(), None"),
    ("filelist", "a name with a space read as a name and a tempo",
     "if len(parts) == 2 and not path_exists(line):", "if len(parts) == 2:"),
    ("filelist", "comments read as paths",
     "if not line or line.startswith(\"#\"):", "if not line:"),
    ("filelist", "relative paths from the current folder only",
     "if not f.is_absolute() and not f.exists() and (path.parent / f).exists():", "if False:"),
    ("filelist", "a tempo of zero accepted",
     "if not np.isfinite(value) or value <= 0:", "if not np.isfinite(value) or value < 0:"),
    ("filelist", "names that differ in case taken for two",
     "key = f.name.casefold()", "key = f.name"),
    ("filelist", "two files of one piece accepted",
     "if piece_key in piece_lines:", "if False:"),
    # the layout of output/RUN/ (layout.py): the file names of the original's contract
    ("layout", "a piece named by the file's stem",
     "return Path(path).name.split(\".\")[0]", "return Path(path).stem"),
    ("layout", "a run keyword with '..' accepted",
     "Path(run).is_absolute() or \"..\" in parts:", "Path(run).is_absolute():"),
    ("layout", "the raw segments written over the patterns",
     "return self.dir / f\"{piece}.segraw\"", "return self.dir / f\"{piece}.seg\""),
    ("layout", "one record for two recordings of one piece",
     "return self.conversion_records / f\"{Path(name).name}.json\"",
     "return self.conversion_records / f\"{Path(name).stem}.json\""),
    # configs (config.py): every key named when it is wrong
    ("config", "unknown keys accepted", "    if unknown:\n", "    if False:\n"),
    ("config", "a number out of range called mistyped",
     "what = \"is out of range\" if isinstance(err, _RANGE_ERRORS) else f\"is not {want}\"",
     "what = f\"is not {want}\""),
    ("config", "numbers that are not finite accepted",
     "if any(isinstance(v, float) and not math.isfinite(v) for v in values):", "if False:"),
    ("config", "a transform of 3 accepted",
     "if t not in (0, 1, 2)]", "if t not in (0, 1, 2, 3)]"),
    ("config", "a dropout of 1 accepted",
     "if cfg[\"dropout\"] >= 1:", "if cfg[\"dropout\"] > 1:"),
    ("config", "a list of one value without its comma gets no hint",
     "hint = _one_value_list_hint(key, spec[key], conf[key])", "hint = \"\""),
    ("config", "a key's choices left out of its error", "if check == \"option\":", "if False:"),
    ("config", "a negative time shift of a signal config accepted",
     "if cfg[\"data_type\"] == \"signal\" and cfg[\"shifts\"] and cfg[\"shifts\"][0] < 0:",
     "if False:"),
    # what every command shares (utils.py, cli.py): atomic writes and one-line errors
    ("utils", "a failed write renamed into place",
     "    try:\n        yield Path(tmp)\n        os.replace(tmp, path)\n",
     "    try:\n        try:\n            yield Path(tmp)\n        finally:\n"
     "            os.replace(tmp, path)\n"),
    ("utils", "the temporary file of a failed write left behind",
     "            os.unlink(tmp)\n", "            pass\n"),
    ("utils", "outputs readable by their owner only",
     "os.chmod(tmp, 0o666 & ~_UMASK)", "os.chmod(tmp, 0o600)"),
    ("utils", "a bar cleared from a log when done",
     "        kwargs[\"leave\"] = True\n", "        pass\n"),
    ("utils", "bars in a log redrawn ten times a second",
     "kwargs.setdefault(\"mininterval\", LOG_INTERVAL)", "pass"),
    ("cli", "a user error exits 0",
     "print(f\"error: {e}\", file=sys.stderr)\n        sys.exit(1)",
     "print(f\"error: {e}\", file=sys.stderr)\n        sys.exit(0)"),
    ("cli", "a traceback without --verbose",
     "        if verbose:\n            traceback.print_exc()",
     "        if True:\n            traceback.print_exc()"),
    ("cli", "-j 0 accepted", "if getattr(args, \"jobs\", 1) < 1:",
     "if getattr(args, \"jobs\", 1) < 0:"),
    # the recurring notes of --notes recurring (recurrence.py)
    ("recurrence", "ties go to the larger transposition",
     "np.abs(vectors[:, 0] - centre), np.abs(vectors[:, 1]), -n))",
     "np.abs(vectors[:, 0] - centre), -np.abs(vectors[:, 1]), -n))"),
    ("recurrence", "the rarest translation chosen",
     "np.abs(vectors[:, 1]), -n))", "np.abs(vectors[:, 1]), n))"),
    ("recurrence", "no bound on the transposition",
     "ok = np.abs(d_p) <= max_shift", "ok = np.abs(d_p) >= 0"),
    ("recurrence", "the later occurrence keeps none of its notes",
     "            keep[y] |= in_y\n", "            pass\n"),
    ("recurrence", "an occurrence of too few recurring notes keeps those",
     "np.asarray(o)[k] if k.sum() >= min_notes else np.asarray(o)", "np.asarray(o)[k]"),
    # the float16 matrices of long recordings (half.py) and the memory limit (memory.py)
    ("half", "ties rounded up, not to even",
     "if low > half or (low == half and (r & np.uint64(1))):", "if low >= half:"),
    ("half", "a NaN whose payload is lost becomes infinity",
     "if mant and r == 0x7C00:", "if False:"),
    ("half", "subnormals truncated", "np.rint(abs(v) * 16777216.0)",
     "np.floor(abs(v) * 16777216.0)"),
    ("memory", "sizes in decimal units", "\"K\": 2 ** 10,", "\"K\": 10 ** 3,"),
    ("memory", "a memory limit of 0 accepted",
     "    if not math.isfinite(value) or value <= 0:",
     "    if not math.isfinite(value) or value < 0:"),
    # the nf14 search over a matrix file too big for memory (nf14_stream.py)
    ("nf14_stream", "the median of an even count as its upper middle",
     "middle = kept[[t - below for t in targets]]", "middle = kept[[targets[1] - below] * 2]"),
    ("nf14_stream", "negative values ordered as positive ones",
     "return np.where(bits & top, ~bits, bits | top)",
     "return np.where(bits & top, bits, bits | top)"),
    ("nf14_stream", "the median's bin without its last key",
     "keys = keys[(keys >= lo) & (keys <= hi - 1)]", "keys = keys[(keys >= lo) & (keys < hi - 1)]"),
    ("nf14_stream", "an erased band read back from the file",
     "abs(r - c) <= ERASE_BAND:\n            return 0.0",
     "abs(r - c) < ERASE_BAND:\n            return 0.0"),
    ("nf14_stream", "erasures forgotten as rows enter the window",
     "        _erase_entering(win, base, lo, hi, far, n_far)\n", ""),
    ("nf14_stream", "a find past the window not remembered",
     "if i + M > base + n_win:        # the band goes on below the window", "if False:"),
    ("nf14_stream", "diagonal scores unweighted", "total += k * _value(", "total += _value("),
    ("nf14_stream", "float16 values past the window read unsigned",
     "return -v if h >> 15 else v", "return v"),
    ("nf14_stream", "the threshold lowered by twice its step", "th = th - step",
     "th = th - 2 * step"),
    ("nf14_stream", "pattern scores without a segment's last row",
     "r = np.arange(max(a, i0), min(b, i1))", "r = np.arange(max(a, i0), min(b, i1) - 1)"),
    ("nf14_stream", "NaN in the file searched", "if not np.isfinite(rows).all():", "if False:"),
    # the README's filter figures and their measures (figures.py), the training plots (plots.py)
    ("figures", "analyticity of one direction of rotation only",
     "analytic = np.maximum(pos, neg) / (pos + neg + 1e-20)",
     "analytic = pos / (pos + neg + 1e-20)"),
    ("figures", "the imaginary rows read as the real ones",
     "np.fft.fft(weight[:n] + 1j * weight[n:2 * n], axis=1)",
     "np.fft.fft(weight[:n] + 1j * weight[:n], axis=1)"),
    ("figures", "angles turning clockwise",
     "coords = [c - rr * np.sin(tt), c + rr * np.cos(tt)]",
     "coords = [c + rr * np.sin(tt), c + rr * np.cos(tt)]"),
    ("figures", "angular energy not weighted by area",
     "** 2 * r[:, None]).sum(axis=0)", "** 2).sum(axis=0)"),
    ("figures", "the Fourier peak's neighbours not wrapped around",
     "power[np.arange(n), (pr + dr) % shape[0], (pc + dc) % shape[1]]",
     "power[np.arange(n), np.clip(pr + dr, 0, shape[0] - 1), np.clip(pc + dc, 0, shape[1] - 1)]"),
    ("figures", "CQT bases shown least Fourier-like first",
     "order=np.argsort(-conc, kind=\"stable\")", "order=np.argsort(conc, kind=\"stable\")"),
    ("figures", "digit bases shown least rotation-like first",
     "order=np.argsort(-purity, kind=\"stable\")", "order=np.argsort(purity, kind=\"stable\")"),
    ("figures", "a config of another data type drawn",
     "if cfg[\"data_type\"] != kind:", "if False:"),
    ("figures", "the start's cosine not divided by the basis' norm",
     " / (np.linalg.norm(weight, axis=1) + 1e-20)", ""),
    ("figures", "a missing model named on the command line skipped",
     "if model is not None and not Path(model).is_file():", "if False:"),
    ("plots", "tiles not scaled to [-1, 1]", "t = t / (np.abs(t).max() + 1e-12)", "t = t"),
    ("plots", "tiles placed column by column", "r, c = divmod(k, cols)",
     "c, r = divmod(k, cols)"),
    ("plots", "basis spectra from the real parts only",
     "return freqs, np.sqrt((re ** 2 + im ** 2) / 2)", "return freqs, re"),
    ("plots", "spectra in cycles per sample whatever the rate",
     "np.fft.rfftfreq(weight.shape[1], 1.0 / (sr or 1.0))", "np.fft.rfftfreq(weight.shape[1])"),
    ("plots", "phase differences taken the other way", "d = phase_y - phase_x",
     "d = phase_x - phase_y"),
    ("plots", "PCA without centring", "centred = features - features.mean(axis=0)",
     "centred = features"),
    ("plots", "the bases' order ignored",
     "order = np.arange(n) if order is None else np.asarray(order)[:k]", "order = np.arange(n)"),
    ("plots", "CQT tiles with the low bins at the top",
     "flip = (lambda t: t[:, ::-1]) if shape[0] != shape[1] else (lambda t: t)",
     "flip = (lambda t: t)"),
    ("plots", "a basis' imaginary tile from the next basis",
     "im = flip(weight[n + order[:k]].reshape(k, *shape))",
     "im = flip(weight[n + 1 + order[:k]].reshape(k, *shape))"),
    ("plots", "1-D bases not sorted by their peak frequency",
     "order = np.argsort(spec.argmax(axis=1), kind=\"stable\")", "order = np.arange(n)"),
    # the rendered training corpus (corpus.py): no evaluated work in, the same seed the same plan
    ("corpus", "the scores' metadata never matched",
     "for s in (path, composer or \"\", title or \"\"))", "for s in (path,))"),
    ("corpus", "a rendered score's metadata not checked",
     "why = denied(rendering.source, getattr(md, \"composer\", \"\") or \"\", "
     "getattr(md, \"title\", \"\") or \"\")",
     "why = denied(rendering.source)"),
    ("corpus", "groups drawn alike, not by their shares",
     "name = groups[rng.choice(len(groups), p=shares / shares.sum())][0]",
     "name = groups[rng.choice(len(groups))][0]"),
    ("corpus", "a score drawn again before the rest of its group",
     "        if not queues[name]:\n", "        if True:\n"),
    ("corpus", "transposed down when asked up",
     "score = score.transpose(semitones)", "score = score.transpose(-semitones)"),
    ("corpus", "the score's own tempo marks kept",
     "            el.activeSite.remove(el)\n", "            pass\n"),
    ("corpus", "pieces cut longer than CHUNK_SECONDS",
     "n = max(1, math.ceil(len(y) / (seconds * sr)))",
     "n = max(1, math.floor(len(y) / (seconds * sr)))"),
    ("corpus", "a work heard in training held out",
     "return train, [p for p in held if p[0].source not in trained]", "return train, held"),
    ("corpus", "--hours 0 accepted",
     "math.isfinite(hours) and hours > 0):", "math.isfinite(hours) and hours >= 0):"),
    ("corpus", "files rendered beyond the target left in DIR",
     "                    (out_dir / name).unlink(missing_ok=True)\n                continue",
     "                    pass\n                continue"),
    # how strongly a matrix marks annotated repeats (annotated.py)
    ("annotated", "the last cell of a diagonal left out",
     "return (P[first + lengths, second + lengths] - P[first, second]) / lengths",
     "return (P[first + lengths - 1, second + lengths - 1] - P[first, second]) / lengths"),
    ("annotated", "pairs of the longer occurrence's length",
     "length = max(1, int(min(spans[i, 1] - spans[i, 0], spans[j, 1] - spans[j, 0])))",
     "length = max(1, int(max(spans[i, 1] - spans[i, 0], spans[j, 1] - spans[j, 0])))"),
    ("annotated", "occurrences exactly min_lag apart left out",
     "if b - a >= min_lag and a >= 0 and b + length <= n:",
     "if b - a > min_lag and a >= 0 and b + length <= n:"),
    ("annotated", "an occurrence starting before the matrix kept",
     "if b - a >= min_lag and a >= 0 and b + length <= n:",
     "if b - a >= min_lag and b + length <= n:"),
    ("annotated", "the end profile read a cell early",
     "pairs[:, :2] + pairs[:, 2:3]):", "pairs[:, :2] + pairs[:, 2:3] - 1):"),
    ("annotated", "no random span ends at the matrix's edge",
     "* (n - L + 1)).astype(np.int64)", "* (n - L)).astype(np.int64)"),
    ("annotated", "profile offsets counted in rows, not cells",
     "np.array(PROFILE_BEATS) / (factor * beats_per_frame)",
     "np.array(PROFILE_BEATS) / beats_per_frame"),
    ("annotated", "the raw matrix averaged, not its quantiles",
     "P = diagonal_prefix(R)", "P = diagonal_prefix(np.asarray(X))"),
    # the invariance measures of a trained model (invariance/): similarities, match rates,
    # the transformed items they compare and the classifiers' held-out pairs
    ("invariance/measures", "amplitude similarity of the phases",
     "amp_y = encode(y)[0]\n        row = dict(", "amp_y = encode(y)[1]\n        row = dict("),
    ("invariance/measures", "match rate by dot product with the keys",
     "q, k = unit(queries), unit(keys)", "q, k = unit(queries), np.asarray(keys, np.float64)"),
    ("invariance/measures", "a silent item matches its own",
     "hits += int(np.sum((own >= sim.max(axis=1) - 1e-6) & nonzero))",
     "hits += int(np.sum(own >= sim.max(axis=1) - 1e-6))"),
    ("invariance/measures", "own keys of the first block only",
     "own = sim[np.arange(len(block)), np.arange(lo, lo + len(block))]",
     "own = sim[np.arange(len(block)), np.arange(len(block))]"),
    ("invariance/measures", "silent items make the mean NaN",
     "    v = v[np.isfinite(v)]\n", "    pass\n"),
    ("invariance/measures", "shift 0 in the mean over shifts",
     "sel = [r for r in rows if r[\"transform\"] == key and r[\"shift\"] != 0]",
     "sel = [r for r in rows if r[\"transform\"] == key]"),
    ("invariance/measures", "phase differences of the amplitudes",
     "PairSet(phase_difference_features(ph_x, ph_y)",
     "PairSet(phase_difference_features(amp_x, amp_y)"),
    ("invariance/measures", "the items themselves as the unrelated ones",
     "z = items.shifted(items.unrelated(rng, pos), first, 0)[0]",
     "z = items.shifted(pos, first, 0)[0]"),
    ("invariance/measures", "pairs with a shift of 0",
     "shift = rng.choice(np.asarray(t.classes), len(sel))",
     "shift = rng.choice(np.asarray(t.shifts), len(sel))"),
    ("invariance/cqt_items", "time-shifted n-grams start earlier",
     "min_max(self.pairs.ngrams(pos.file, pos.start + shift))",
     "min_max(self.pairs.ngrams(pos.file, pos.start - shift))"),
    ("invariance/cqt_items", "Fourier reference standardised across items",
     "x = (x - x.mean(axis=1, keepdims=True)) / (x.std(axis=1, keepdims=True) + 1e-8)",
     "x = (x - x.mean(axis=0, keepdims=True)) / (x.std(axis=0, keepdims=True) + 1e-8)"),
    ("invariance/signal_items", "signal windows shifted backwards",
     "np.broadcast_to(np.asarray(shift, dtype=np.int64), (n,)).copy()",
     "np.broadcast_to(-np.asarray(shift, dtype=np.int64), (n,)).copy()"),
    ("invariance/signal_items", "signal windows without room for the shift",
     "self.margin = int(max_time)", "self.margin = 0"),
    ("invariance/digits", "measured digits rotated clockwise",
     "np.broadcast_to(np.asarray(shift, np.float64), (n,)).copy()",
     "np.broadcast_to(-np.asarray(shift, np.float64), (n,)).copy()"),
    ("invariance/digits", "a digit unrelated to itself",
     "rng.integers(1, max(m, 2), len(pos))", "rng.integers(0, max(m, 2), len(pos))"),
    ("invariance/report", "classifiers tested on the fitting items",
     "test = items_pairs(encode, test_items, rng_test, n_pairs)",
     "test = items_pairs(encode, fit_items, rng_test, n_pairs)"),
    # what the runs share: the compiled segment search of nf14 (_segment_kernel.py), the parts
    # of a job array (shards.py), conversion's record (runinfo.py), the training data of a
    # config (data.py) and the preprocessing cache (cache.py)
    ("_segment_kernel", "score weights reversed, the first value weighing most",
     "total += k * X[i + t, j + t]", "total += (w + 1 - k) * X[i + t, j + t]"),
    ("_segment_kernel", "score over the first values of the diagonal, not the last",
     "t = M - w + k - 1", "t = k - 1"),
    ("_segment_kernel", "growth goes on at a score equal to the threshold",
     "if s <= th:\n                    break", "if s < th:\n                    break"),
    ("_segment_kernel", "segments exactly min_dur long dropped",
     "(M < min_dur or M == 1)", "(M <= min_dur or M == 1)"),
    ("_segment_kernel", "starts too close to the edge for min_dur tried",
     "for j in range(i + 1, N - min_dur):", "for j in range(i + 1, N):"),
    ("_segment_kernel", "starts walked column by column",
     "    for i in range(N - min_dur):\n        for j in range(i + 1, N - min_dur):",
     "    for j in range(1, N - min_dur):\n        for i in range(j):"),
    ("_segment_kernel", "only the diagonals above a find erased",
     "for k in range(-ERASE_BAND, ERASE_BAND + 1):", "for k in range(0, ERASE_BAND + 1):"),
    ("_segment_kernel", "starts at or below a negative threshold skipped",
     "skip_low = th >= 0.0", "skip_low = True"),
    ("shards", "parts of equal size, the remainder dropped",
     "range((k - 1) * n_items // n, k * n_items // n)",
     "range((k - 1) * (n_items // n), k * (n_items // n))"),
    ("shards", "a part K above N accepted",
     "not 1 <= int(m.group(1)) <= int(m.group(2))", "not 1 <= int(m.group(1))"),
    ("shards", "part 1/N taken for the whole list",
     "return shard is None or shard[1] == 1", "return shard is None or shard[0] == 1"),
    ("shards", "outputs judged by the newest, not the oldest",
     "oldest = min(p.stat().st_mtime for p in paths)",
     "oldest = max(p.stat().st_mtime for p in paths)"),
    ("runinfo", "frame duration without the window step",
     'return cfg["hop_length"] * step / cfg["sr"]', 'return cfg["hop_length"] / cfg["sr"]'),
    ("runinfo", "the window step recorded as 1",
     '"step": int(step),', '"step": 1,'),
    ("runinfo", "a frame of zero seconds accepted",
     'if info["frame_seconds"] <= 0:', 'if info["frame_seconds"] < 0:'),
    ("runinfo", "recorded paths read from the output folder",
     "alt = layout.dir.parent.parent / p", "alt = layout.dir.parent / p"),
    ("data", "CQT inputs shaped time by bins",
     'return (cfg["n_bins"], cfg["length_ngram"])', 'return (cfg["length_ngram"], cfg["n_bins"])'),
    ("data", "signal evaluation loss on the training pairs",
     'return TrainingData(train, ev, input_shape(cfg), TRANSFORM_NAMES, sr=cfg["sr"])',
     'return TrainingData(train, train, input_shape(cfg), TRANSFORM_NAMES, sr=cfg["sr"])'),
    ("data", "--refresh-cache ignored for CQT pairs",
     "cqt_pairs import TRANSFORM_NAMES, training_sets\n\n        train, ev = training_sets("
     "read_filelist(filelist), cfg, filelist, refresh, jobs)",
     "cqt_pairs import TRANSFORM_NAMES, training_sets\n\n        train, ev = training_sets("
     "read_filelist(filelist), cfg, filelist, False, jobs)"),
    ("data", "signal plots without their sample rate",
     ', TRANSFORM_NAMES, sr=cfg["sr"])', ", TRANSFORM_NAMES)"),
    ("cache", "a file rewritten at the same size keeps its key",
     "stamp.append([str(f), st.st_size, int(st.st_mtime)])",
     "stamp.append([str(f), st.st_size])"),
    ("cache", "the list's order ignored by the key",
     "for f in files:", "for f in sorted(files, key=str):"),
    ("cache", "caches of one list shared across kinds",
     '{Path(list_name).name}_{kind}_{key}.pyc.bz', '{Path(list_name).name}_{key}.pyc.bz'),
    ("cache", "refresh ignored when the cache is readable",
     "if path.exists() and not refresh:", "if path.exists():"),
    ("cache", "a corrupt cache file an error, not rebuilt",
     "except Exception as e:  # truncated bz2", "except OSError as e:  # truncated bz2"),
    # what runs around them: data-parallel training (distributed.py), the headless browser
    # that checks and pictures the report (browser.py), the invariance command
    # (invariance/command.py) and the recordings its items are cut from (invariance/recordings.py)
    ("distributed", "the last items of a batch on no rank",
     "return self.rank * n // self.world, (self.rank + 1) * n // self.world",
     "return self.rank * n // self.world, (self.rank + 1) * (n // self.world)"),
    ("distributed", "gradients not averaged over the ranks",
     "    if not context.active:\n        return model\n",
     "    if True:\n        return model\n"),
    ("distributed", "the loss of one rank reported as the epoch's",
     "    dist.all_reduce(t)\n", "    pass\n"),
    ("distributed", "the world size read per machine",
     'os.environ.get("WORLD_SIZE", "1")', 'os.environ.get("LOCAL_WORLD_SIZE", "1")'),
    ("distributed", "the GPU chosen by the global rank",
     'local = int(os.environ.get("LOCAL_RANK", rank))', "local = rank"),
    ("distributed", "every rank logs its progress",
     "    if rank != 0:\n        # One voice", "    if False:\n        # One voice"),
    ("browser", "screenshot width and height swapped",
     '"width": width, "height": height,', '"width": height, "height": width,'),
    ("browser", "the element asked for not scrolled into view",
     '"if (e) e.scrollIntoView(); return !!e;"', '"return !!e;"'),
    ("browser", "a missing element pictured from the top",
     '"if (e) e.scrollIntoView(); return !!e;"', '"if (e) e.scrollIntoView(); return true;"'),
    ("invariance/command", "--model ignored",
     "model_path = args.model or layout.model(kind)", "model_path = layout.model(kind)"),
    ("invariance/command", "a single item or pair accepted",
     "        if v < 2:\n", "        if v < 1:\n"),
    ("invariance/command", "a pitch shift by all the bins let through",
     '(args.max_pitch_shift or 0) >= cfg["n_bins"]', '(args.max_pitch_shift or 0) > cfg["n_bins"]'),
    ("invariance/command", "the held-out digits fitted on too",
     "DigitItems(source.subset(slice(0, n - n_test)))", "DigitItems(source.subset(slice(0, n)))"),
    ("invariance/recordings", "the last start of a recording never drawn",
     "counts = np.maximum(hi - lo + 1, 0)", "counts = np.maximum(hi - lo, 0)"),
    ("invariance/recordings", "an item drawn twice while others remain",
     "replace=n > counts.sum())", "replace=True)"),
    ("invariance/recordings", "a recording's first start drawn past the previous one's end",
     'file = np.searchsorted(edges, flat, side="right")',
     'file = np.searchsorted(edges, flat, side="left")'),
    ("invariance/recordings", "overlapping items taken as unrelated",
     "(np.abs(other.start - pos.start) < self.length)",
     "(np.abs(other.start - pos.start) < self.length // 2)"),
    # found by the audits of 2026-11-29 08:00 UTC (a user's recordings, the suite's gaps)
    ("patterns", "nf14's grouping compares segment starts only",
     "& (np.abs(segments[:, 1] - s[1]) <= max_diff))", ")"),
    ("evaluation", "a folder's .txt read before its .seg",
     "for ext in extensions:", "for ext in extensions[::-1]:"),
    ("features", "an odd focus's extra frame at the start",
     "first = (length - focus) // 2", "first = (length - focus + 1) // 2"),
    ("convert", "a long matrix's picture beyond max_pixels",
     "f = int(np.ceil(len(m) / max_pixels))", "f = int(len(m) // max_pixels)"),
    ("convert", "a long matrix's progress not shown",
     'desc=f"{path.stem}: matrix" if alone else None)', "desc=None)"),
    ("convert", "a long matrix's progress drawn beside the GPU path's bar",
     'desc=f"{path.stem}: matrix" if alone else None)', 'desc=f"{path.stem}: matrix")'),
    ("browser", "Chromium's temporary folder left in /tmp",
     'service = Service(_find(DRIVERS, "chromedriver"), env={**os.environ, "TMPDIR": tmp})',
     'service = Service(_find(DRIVERS, "chromedriver"))'),
    ("cqt", "channels that cancel taken for sound",
     "    if peak > SILENT_PEAK:", "    if peak > 0:"),
    ("cqt", "the CQT's settings unchecked",
     "    _check_settings(cfg)\n    y = np.asarray(y)", "    y = np.asarray(y)"),
    ("filelist", "a comment that names a file skipped without a word",
     "if resolve(named).is_file():", "if False:"),
    ("layout", "a piece called Index overwrites the run's page where case is ignored",
     'if piece.lower() == "index"', 'if piece == "index"'),
    ("patterns", "a beat shorter than a frame let through without a word",
     "    if beat < frame_seconds:", "    if False:"),
    ("patterns", "a piece with room for one shortest pattern called long enough",
     "    if beats < 2 * shortest:", "    if beats < shortest:"),
    ("patterns", "-pk's loaded threshold called lowered",
     "            th = th_used\n", ""),
    ("patterns", "the picture's title not wrapped",
     "lines = _wrapped(title, font, margin + size - 8) if title else []",
     "lines = [title] if title else []"),
    ("plots", "a loss of one epoch drawn as a line of one point",
     'marker = "o" if len(ep) <= 30 else None', "marker = None"),
    ("plots", "a loss within a decade labelled only at powers of ten",
     "ax.yaxis.set_minor_formatter(plain if hi <= 10 * lo else NullFormatter())",
     "ax.yaxis.set_minor_formatter(NullFormatter())"),
    ("report", "a run's clips not capped",
     "if name not in names and len(names) >= MAX_CLIPS:", "if False:"),
]


def _copy(dest):
    """The repository without what runs leave (outputs, caches, git)."""
    skip = shutil.ignore_patterns("output", "cache", ".git", "__pycache__", ".pytest_cache")
    shutil.copytree(ROOT, dest, ignore=skip, symlinks=True)


def check(mutants):
    """Raise when a mutant's text is not exactly once in its module (the code moved)."""
    for module, name, text, _ in mutants:
        source = (ROOT / "complex_auto" / f"{module}.py").read_text()
        if source.count(text) != 1:
            raise DataError(f"mutant '{name}': its text occurs {source.count(text)} times in "
                            f"complex_auto/{module}.py, not once; update bench/mutants.py")


def try_mutant(copy, module, text, planted):
    """Plant one defect in ``copy``, run its module's tests, restore. Returns (killed, line)."""
    path = copy / "complex_auto" / f"{module}.py"
    source = path.read_text()
    path.write_text(source.replace(text, planted))
    try:
        res = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                              *TESTS[module]], cwd=copy, capture_output=True, text=True,
                             timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        # a defect that makes the tests hang is noticed, as mutation testing counts it
        return True, f"tests still running after {TIMEOUT} s"
    finally:
        path.write_text(source)
        # numba caches machine code beside the source (the tests' child processes too), known
        # by the file's time stamp: dropped (the subpackage's too), so that no run can load
        # another's defect
        for folder in {copy / "complex_auto", path.parent}:
            shutil.rmtree(folder / "__pycache__", ignore_errors=True)
    lines = res.stdout.splitlines()
    failed = [line.split()[1] for line in lines if line.startswith("FAILED")]
    summary = next((line for line in reversed(lines) if " passed" in line or " failed" in line
                    or " error" in line), "no summary")
    return res.returncode != 0, (failed[0] if failed else summary)


def main(args):
    chosen = [m for m in MUTANTS if not args.only or m[1] in args.only]
    unknown = set(args.only or ()) - {m[1] for m in MUTANTS}
    if unknown:
        raise DataError(f"--only: no mutant named {', '.join(sorted(map(repr, unknown)))} "
                        f"(--list names them)")
    if args.list:
        for module, name, *_ in chosen:
            print(f"{module:23s} {name}")
        return 0
    check(chosen)
    survivors = []
    with tempfile.TemporaryDirectory(prefix="mutants_") as tmp:
        copy = Path(tmp) / "repo"
        _copy(copy)
        for k, (module, name, text, planted) in enumerate(chosen, 1):
            t0 = time.perf_counter()
            killed, line = try_mutant(copy, module, text, planted)
            print(f"{k:3d}/{len(chosen)} {'killed  ' if killed else 'SURVIVED'} {module:23s} "
                  f"{name:56s} {time.perf_counter() - t0:5.0f} s  {line}", flush=True)
            if not killed:
                survivors.append(name)
    n = len(chosen)
    print(f"killed {n - len(survivors)} of {n} mutants ({(n - len(survivors)) / n:.0%})")
    for name in survivors:
        print(f"  survived: {name}")
    return 1 if survivors else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description="Plant each defect of a table in a copy of the repository and run the "
                    "tests of its module: killed (a test fails) or survived.")
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help="only these mutants (names as --list prints them)")
    parser.add_argument("--list", action="store_true", help="name the mutants, run nothing")
    run(main, add_verbose(parser))
