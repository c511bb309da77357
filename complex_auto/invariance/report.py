"""Writing the measures: csv files, the invariance figure, the whole analysis, its headline."""
import csv
import io
import logging
import math

import numpy as np

from .digits import DigitItems, digit_rows
from .measures import (CLASSIFIERS, DIGIT_COLUMNS, FEATURES, INVARIANCE_COLUMNS,
                       TRANSFORMATION_COLUMNS, PairSet, classification_rows, items_pairs,
                       items_similarity, summarise_similarity)

log = logging.getLogger(__name__)


def _fmt(v):
    if v is None:
        return ""
    if isinstance(v, (float, np.floating)):
        return "nan" if not math.isfinite(v) else f"{v:.6g}"
    return str(v)


def write_csv(path, rows, columns):
    """Write ``rows`` (dicts) with ``columns`` to ``path`` atomically; floats to 6 digits."""
    from ..utils import atomic_write_text

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([_fmt(r[c]) for c in columns])
    atomic_write_text(path, buf.getvalue())


def plot_invariance(rows, transformations, path, title=""):
    """Similarity against shift, one panel per transformation; match rates below.

    Top row: mean cosine similarity of the model's amplitudes and of the raw inputs (and,
    for CQT, of their 2-D Fourier magnitudes) to those of the unshifted items (one curve
    each), with the unrelated-item references as dashed horizontal lines. Bottom row: the
    match rates, with chance (``1 / n_items``) dashed.
    """
    from ..plots import plt, wrapped_title
    from ..utils import save_figure

    k = len(transformations)
    # legends beside the panels: inside, any corner hid a curve where invariance breaks down
    fig, axes = plt.subplots(2, k, figsize=(6 * k + 3.4, 7.6), squeeze=False,
                             gridspec_kw=dict(height_ratios=[3, 2]), layout="constrained")
    outside = dict(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    for j, t in enumerate(transformations):
        sel = [r for r in rows if r["transform"] == t.key]
        s = [r["shift"] for r in sel]
        ax = axes[0, j]
        ax.plot(s, [r["model_similarity"] for r in sel], "o-", ms=3, color="C0",
                label="model amplitudes")
        ax.plot(s, [r["raw_similarity"] for r in sel], "s-", ms=3, color="C1", label="raw input")
        ftm = bool(sel) and sel[0].get("ftm2d_similarity") is not None
        if ftm:
            ax.plot(s, [r["ftm2d_similarity"] for r in sel], "^-", ms=3, color="C2",
                    label="2-D Fourier magnitude of the input")
            ax.axhline(sel[0]["unrelated_ftm2d_similarity"], color="C2", ls="--", lw=1,
                       label="2-D Fourier magnitude, unrelated items")
        if sel:
            ax.axhline(sel[0]["unrelated_model_similarity"], color="C0", ls="--", lw=1,
                       label="amplitudes, unrelated items")
            ax.axhline(sel[0]["unrelated_raw_similarity"], color="C1", ls="--", lw=1,
                       label="raw input, unrelated items")
        ax.set_ylabel("mean cosine similarity\nto the unshifted item")
        ax.set_title(t.name)
        ax.set_ylim(min(-0.05, ax.get_ylim()[0]), 1.03)
        if j == k - 1:
            ax.legend(**outside)
        ax = axes[1, j]
        ax.plot(s, [r["model_match_rate"] for r in sel], "o-", ms=3, color="C0",
                label="model amplitudes")
        ax.plot(s, [r["raw_match_rate"] for r in sel], "s-", ms=3, color="C1", label="raw input")
        if ftm:
            ax.plot(s, [r["ftm2d_match_rate"] for r in sel], "^-", ms=3, color="C2",
                    label="2-D Fourier magnitude")
        if sel:
            ax.axhline(1.0 / sel[0]["n_items"], color="0.4", ls="--", lw=1,
                       label=f"chance (1/{sel[0]['n_items']})")
        ax.set_ylabel("fraction whose nearest\nunshifted item is its own")
        ax.set_xlabel(f"{t.name} ({t.unit})")
        ax.set_ylim(-0.03, 1.03)
        if j == k - 1:
            ax.legend(**outside)
        for ax in axes[:, j]:
            ax.grid(alpha=0.3)
    if title:
        fig.suptitle(wrapped_title(fig, title))
    save_figure(fig, path, dpi=100)


# -- the whole analysis ---------------------------------------------------------------------
def analyse(encode, items, fit_items, test_items, layout, n_items=1000, n_pairs=2000, seed=0,
            title=""):
    """Write ``invariance.csv/png``, ``transformations.csv``, ``phase_pca.png`` (and
    ``digits.csv`` for digits) into the run folder.

    Parameters
    ----------
    encode : callable
        See :func:`make_encoder`.
    items, fit_items, test_items
        Item sources (:func:`load_items`).
    layout : RunLayout
    n_items : int
        Items per shift in the similarity curves (and digits per part for ``digits.csv``).
    n_pairs : int
        Pairs for fitting the classifiers, and as many held-out pairs for testing them.
    seed : int
    title : str
        Start of the pictures' titles (the run and model).

    Returns
    -------
    dict
        ``similarity`` (:func:`summarise_similarity`), ``invariance`` and ``transformations``
        (the csv rows), ``digits`` (rows or None).
    """
    from ..plots import plot_phase_pca

    rng_sim, rng_fit, rng_test, rng_dig = (np.random.default_rng([seed, i]) for i in range(4))
    layout.make()
    ts = items.transformations

    rows = items_similarity(encode, items, rng_sim, n_items)
    write_csv(layout.invariance_csv, rows, INVARIANCE_COLUMNS)
    plot_invariance(rows, ts, layout.invariance_png,
                    f"{title}: amplitude similarity under shifts ({n_items} items)")

    log.info("encoding %d fitting and %d held-out pairs", n_pairs, n_pairs)
    fit = items_pairs(encode, fit_items, rng_fit, n_pairs)
    test = items_pairs(encode, test_items, rng_test, n_pairs)
    log.info("fitting the classifiers")
    trows = classification_rows(fit, test, ts)
    write_csv(layout.transformations_csv, trows, TRANSFORMATION_COLUMNS)

    both = PairSet.concat([fit, test])
    ids = {t.key: i for i, t in enumerate(ts)}
    plot_phase_pca(both.phase, np.array([ids[k] for k in both.transform]),
                   both.shift.astype(float), {i: t.name for i, t in enumerate(ts)},
                   layout.phase_pca_png, f"{title}: PCA of phase differences "
                   f"({len(both)} pairs)", units={i: t.unit for i, t in enumerate(ts)})

    drows = None
    if isinstance(items, DigitItems):
        drows = digit_rows(encode, fit_items, test_items, rng_dig, n_items)
        write_csv(layout.digits_csv, drows, DIGIT_COLUMNS)
    return dict(similarity=summarise_similarity(rows), invariance=rows,
                transformations=trows, digits=drows)


def headline(result, transformations):
    """The numbers worth reading first, as lines of text."""
    lines = []
    for t in transformations:
        s = result["similarity"].get(t.key)
        if s is None:
            continue
        span = (f"{min(t.shifts)}..{max(t.shifts)}" if t.period else f"±{s['max_shift']}")
        lines.append(f"{t.name} ({span} {s['unit']}, mean over non-zero shifts): "
                     f"amplitude similarity {s['model']:.3f}, raw input {s['raw']:.3f}; "
                     f"unrelated items {s['unrelated_model']:.3f} (amplitudes), "
                     f"{s['unrelated_raw']:.3f} (raw); nearest-item match rate "
                     f"{s['model_match']:.3f} (amplitudes), {s['raw_match']:.3f} (raw), "
                     f"chance {1 / s['n_items']:.3f}")
        if "ftm2d" in s:
            lines.append(f"{t.name}, 2-D Fourier magnitude of the input: similarity "
                         f"{s['ftm2d']:.3f}, unrelated items {s['unrelated_ftm2d']:.3f}, "
                         f"match rate {s['ftm2d_match']:.3f}")
    by = {(r["target"], r["features"], r["classifier"]): r for r in result["transformations"]}
    for target in dict.fromkeys(r["target"] for r in result["transformations"]):
        for feat in FEATURES:
            parts = []
            for c in CLASSIFIERS:
                r = by[(target, feat, c)]
                w = (f" ({r['accuracy_within_1']:.3f} within ±1 step)"
                     if r["accuracy_within_1"] is not None else "")
                parts.append(f"{c} {r['accuracy']:.3f}{w}")
            chance = by[(target, feat, CLASSIFIERS[0])]["chance"]
            lines.append(f"{target} from {feat} differences: {', '.join(parts)}; "
                         f"chance {chance:.3f}")
    for r in result["digits"] or []:
        lines.append(f"digit error from {r['features']} at test rotation {r['test_rotation']}: "
                     f"{r['error']:.3f} (chance {r['chance_error']:.3f})")
    return lines
