"""Which representation finds repeats: every feature kind through every finder, end to end.

``python -m complex_auto.compare RUN`` converts the JKU recordings once per feature kind
(:mod:`complex_auto.representations`: the CAE amplitudes and the baselines without a model),
runs every pattern finder (``extract_motives.py --method``) on every kind's matrices, scores
the patterns with the MIREX measures, scores the same patterns dropped at random places (the
chance control of :mod:`complex_auto.chance`), and runs the transposition test
(:mod:`complex_auto.transposition`) on every kind. Everything but the matrix recipe's input
stays fixed: the same windows, matrix recipe, search and evaluation.

Writes, in ``output/RUN/``:

* ``KIND/``: the kind's features, matrices, ``conversion.json``;
  ``KIND/METHOD/``: that finder's patterns and ``results.csv`` (a run of its own, so
  ``extract_motives_eval.py RUN/KIND/METHOD`` and the HTML report work on it);
* ``compare.csv``: one row per kind and finder (and the peer VMO's published outputs): the
  mean MIREX scores over the pieces, the chance scores, and the share of transposed windows
  found per shift;
* ``compare.md``: the table as the README shows it; ``compare.png``: grouped bars.

Example
-------
    python -m complex_auto.compare jku_compare                  # all kinds, all finders
    python -m complex_auto.compare quick --features cae cqt --method nf14
"""
import argparse
import csv
import io
import logging
import shutil
import time
from pathlib import Path

import numpy as np

from . import cli
from .errors import ComplexAutoError, DataError
from .jku import CSV_LIST
from .layout import OUTPUT_ROOT, RunLayout, piece_name
from .representations import (KINDS, LABELS, check_kind, check_settings, featurizer,
                              similarity_function)

log = logging.getLogger(__name__)

#: The model of ``run_batch_audio.sh --pretrained``, never trained on the JKU pieces
#: (``models/cqt_jku`` was, which would flatter the CAE here).
DEFAULT_MODEL = Path("models/cqt_piano/model_complex_auto_cqt.save")
DEFAULT_CONFIG = Path("models/cqt_piano/config_cqt.ini")
DEFAULT_FILELIST = Path("jku_input_audio.txt")
PEERS = {"VMO (published outputs)": Path("data/peers/vmo")}
#: The four measures the table shows (all of :data:`~complex_auto.evaluation.SCORE_COLUMNS`
#: go into the csv).
SHOWN = ("Est_F", "Occ.75_F", "Occ.5_F", "ThreeLayer_F")


def available_methods():
    """The finders of ``extract_motives.py --method`` (``('nf14',)`` when none are listed)."""
    from . import patterns

    return tuple(getattr(patterns, "METHODS", ("nf14",)))


def check_methods(methods):
    """``methods`` as a list, once every one is a finder of :func:`available_methods`.

    Raises
    ------
    ComplexAutoError
        Naming the first unknown finder.
    """
    known = available_methods()
    for m in methods:
        if m not in known:
            raise ComplexAutoError(f"--method {m}: unknown finder; choose from {', '.join(known)}")
    return list(methods)


def check_tempi(entries, filelist, jku_list=CSV_LIST):
    """Refuse a recording whose tempo the finders will not know, before any conversion.

    The finders turn frames into beats with the list's tempo column, else the tempo of a
    JKU piece (by name, or from the tempo column of ``jku_list``).

    Parameters
    ----------
    entries : list of (Path, float or None, int)
        The recordings, as :func:`complex_auto.filelist.read_list` gives them.
    filelist : Path
        Their list, for the message.
    jku_list : Path
        The csv list the finders read (``extract_motives.py --csv auto``).

    Raises
    ------
    DataError
        Naming the list's line and how to give the tempo.
    """
    from .filelist import read_list
    from .jku import piece_bpm

    scores = (read_list(jku_list, "csv score", check_exists=False)
              if Path(jku_list).is_file() else [])
    score_bpm = {piece_name(f): bpm for f, bpm, _ in scores if bpm}
    for f, bpm, lineno in entries:
        try:       # as the finders will (patterns.plan_run): the list's tempo, then the JKU's
            piece_bpm(piece_name(f), bpm if bpm is not None else score_bpm.get(piece_name(f)))
        except DataError:
            raise DataError(f"{filelist}, line {lineno}: tempo of {f.name} unknown (not a JKU "
                            "piece); add it to the line after a tab: PATH<TAB>BPM") from None


def shifted_key(semitone):
    """Column name of a transposition result: ``transposed_+1``."""
    return f"transposed_{semitone:+g}"


# -- the three stages -------------------------------------------------------------------------
def convert_kind(layout, kind, files, tempi, cfg, model, model_path, config_path, jobs=1,
                 root=OUTPUT_ROOT, device="cpu"):
    """Features and matrices of every file for one kind, into ``root/RUN/KIND/``.

    Every file is converted again (``overwrite``), with a window hop of one frame: on the
    CPU in ``jobs`` processes, or, on a GPU, encoded there while ``jobs`` threads write.

    Parameters
    ----------
    layout : RunLayout
        The comparison's run.
    kind : str
        Feature kind (:data:`~complex_auto.representations.KINDS`).
    files : list of Path
        The recordings.
    tempi : list of float or None
        Tempo of each file in beats per minute (``None``: none given), for the matrix list
        and ``conversion.json``.
    cfg : dict
        CQT and window settings.
    model : ComplexAutoEncoder or None
        Used only for ``'cae'``.
    model_path, config_path : Path or str
        Recorded in ``conversion.json`` (the model only for ``'cae'``).
    jobs : int
        Worker processes.
    root : Path
        Folder of the runs (``output/``).
    device : torch.device or str
        Where ``model`` is (:func:`complex_auto.convert.convert_files`).

    Returns
    -------
    RunLayout
        The kind's run, ``RUN/KIND``.
    """
    from .convert import convert_files

    sub = RunLayout(layout.compare_run(kind), root).make()
    convert_files(model if kind == "cae" else None, files, cfg, sub, self_sim=True, jobs=jobs,
                  tempi=tempi, features=kind, device=device,
                  info={"model": str(model_path) if kind == "cae" else None,
                        "config": str(config_path)})
    return sub


def find_and_score(layout, kind, method, jobs=1, chance_seeds=(0, 1, 2), root=OUTPUT_ROOT):
    """Run a finder on a kind's matrices and score it; returns ``(mean, chance mean)``.

    The finder's run ``output/RUN/KIND/METHOD/`` gets a copy of the kind's matrix list and
    ``conversion.json`` (the matrices themselves stay in ``KIND/``).

    Parameters
    ----------
    layout : RunLayout
        The comparison's run.
    kind : str
        Feature kind, already converted (:func:`convert_kind`).
    method : str
        Finder (``extract_motives.py --method``).
    jobs : int
        Processes finding patterns.
    chance_seeds : sequence of int
        Random placements averaged in the chance score (empty: none).
    root : Path
        Folder of the runs (``output/``).

    Returns
    -------
    mean : dict
        :data:`~complex_auto.evaluation.SCORE_COLUMNS` → mean over the pieces.
    chance : dict
        The same of the patterns at random places (:func:`complex_auto.chance.chance_scores`);
        empty without ``chance_seeds``.
    """
    from .chance import chance_scores
    from .evaluation import evaluate_run
    from .patterns import extract_run

    conv = RunLayout(layout.compare_run(kind), root)
    sub = RunLayout(layout.compare_run(kind, method), root).make()
    for name in ("matrix_list", "conversion_info"):
        shutil.copyfile(getattr(conv, name), getattr(sub, name))
    extract_run(sub.run, method=method, jobs=jobs, plot=False, root=root)
    _, mean, _, _ = evaluate_run(sub.run, root=root)
    chance = chance_scores(sub.run, seeds=chance_seeds, root=root) if chance_seeds else {}
    return mean, chance


def transposition_row(kind, cfg, model, audio, semitones, cache_dir, device="cpu"):
    """``{transposed_+S: share}`` of one kind on the excerpt, and ``transposed_chance``.

    Parameters
    ----------
    kind : str
        Feature kind (:data:`~complex_auto.representations.KINDS`).
    cfg : dict
        CQT and window settings.
    model : ComplexAutoEncoder or None
        Needed for ``'cae'`` only.
    audio : np.ndarray, shape (samples,)
        The excerpt, mono at ``cfg['sr']`` Hz.
    semitones : sequence of float
        Pitch shifts tested.
    cache_dir : Path
        Cache of the pitch-shifted excerpts.
    device : torch.device or str
        Where ``model`` is.

    Returns
    -------
    dict
        Per shift (:func:`shifted_key`), the share of shifted windows found again
        (:func:`complex_auto.transposition.transposition_test`); ``transposed_chance``, the
        share a representation blind to the music reaches.
    """
    from .transposition import chance_share, transposition_test

    featurize = featurizer(kind, cfg, model, device)
    result = transposition_test(featurize, audio, cfg["sr"], semitones, cache_dir=cache_dir,
                                similarity=similarity_function(kind, cfg["length_ngram"]))
    row = {shifted_key(s): v for s, v in result.items()}
    row["transposed_chance"] = chance_share(len(featurize(audio)))
    return row


def peer_rows(peers=PEERS, pieces=None):
    """Mean scores of the peers' published outputs that ship in ``data/peers/``.

    Parameters
    ----------
    peers : dict
        ``{name: folder of MIREX estimates}``.
    pieces : collection of str, optional
        The pieces compared: a peer's mean is taken over those of them it has (a peer
        without any gives no row), so that it stands beside means of the same pieces.

    Returns
    -------
    list of dict
        Per peer its mean scores, ``features`` (its name) and ``method`` (its folder's).
    """
    from .evaluation import evaluate_folder, mean_scores

    rows = []
    for name, folder in peers.items():
        if folder.is_dir():
            scored, _, _ = evaluate_folder(folder)
            scored = [r for r in scored if pieces is None or r["piece"] in pieces]
            if scored:
                rows.append(dict(mean_scores(scored), features=name, method=folder.name))
    return rows


def compare(run, kinds=KINDS, methods=None, model_path=DEFAULT_MODEL, config_path=None,
            filelist=DEFAULT_FILELIST, audio=None, seconds=None, semitones=None, jobs=1,
            chance_seeds=(0, 1, 2), root=OUTPUT_ROOT, cache_dir=None, device="cpu"):
    """Convert, extract, evaluate and transposition-test every kind; write the comparison.

    Parameters
    ----------
    run : str
        Run keyword: everything goes into ``root/run/``.
    kinds : sequence of str
        Feature kinds (:data:`~complex_auto.representations.KINDS`).
    methods : sequence of str, optional
        Finders (default: all of :func:`available_methods`).
    model_path : Path
        The CAE model (used only for ``cae``).
    config_path : Path, optional
        CQT and window settings (default: with ``'cae'``, the config beside the model, else
        the shipped ``config_cqt.ini``; without it, :data:`DEFAULT_CONFIG`).
    filelist : Path
        Recordings, as for ``convert.py`` (an optional tempo column).
    audio : Path, optional
        Recording of the transposition test (default: its default JKU piece).
    seconds : float, optional
        Length of the transposition test's excerpt (default
        :data:`complex_auto.transposition.SECONDS`).
    semitones : sequence of float, optional
        Pitch shifts of the transposition test (default
        :data:`complex_auto.transposition.SEMITONES`).
    jobs : int
        Processes for conversion and extraction.
    chance_seeds : sequence of int
        Random placements per chance score (empty: no chance control).
    root : Path
        Folder of the runs (``output/``).
    cache_dir : Path, optional
        Cache of the pitch-shifted excerpts.
    device : torch.device or str
        Where the CAE runs, for conversion and the transposition test.

    Returns
    -------
    list of dict
        The rows of ``compare.csv``.

    Raises
    ------
    ComplexAutoError
        Before any work: an unknown kind or finder, a bad model or config, file list,
        excerpt length, pitch shift, or a recording of unknown tempo (:func:`check_tempi`).
    """
    from . import transposition as tp
    from .data import input_shape
    from .filelist import check_distinct_names, read_list
    from .figures import model_config
    from .training import load_model

    kinds = [check_kind(k) for k in kinds]
    methods = check_methods(methods or available_methods())
    semitones = tuple(semitones or tp.SEMITONES)
    seconds = tp.SECONDS if seconds is None else seconds    # 0 is refused, not the default
    model = None
    if "cae" in kinds:
        cfg = model_config("cqt", model_path, config_path)
        model = load_model(cfg, int(np.prod(input_shape(cfg))), model_path, device)
    else:   # the baselines need only the CQT and window settings
        cfg = model_config("cqt", model_path, config_path or DEFAULT_CONFIG)
    config_path = config_path or cfg.get("config_path", "")
    tp.check_options(cfg, seconds, semitones)
    for kind in kinds:
        check_settings(kind, cfg, config_path)
    entries = read_list(filelist, "audio")
    check_distinct_names(entries, filelist, pieces=True)
    check_tempi(entries, filelist)
    files, tempi = [f for f, _, _ in entries], [b for _, b, _ in entries]
    audio = audio or tp.DEFAULT_AUDIO
    excerpt = tp.excerpt(audio, cfg["sr"], seconds)
    tp.check_excerpt(excerpt, audio, cfg, seconds)
    cache_dir = cache_dir or tp.CACHE_DIR
    layout = RunLayout(run, root).make()

    rows = []
    for kind in kinds:
        t0 = time.perf_counter()
        convert_kind(layout, kind, files, tempi, cfg, model, model_path, config_path, jobs,
                     root, device)
        shifted = transposition_row(kind, cfg, model, excerpt, semitones, cache_dir, device)
        for method in methods:
            mean, chance = find_and_score(layout, kind, method, jobs, chance_seeds, root)
            rows.append(dict({c: mean[c] for c in mean}, features=kind, method=method,
                             **{f"chance_{c}": v for c, v in chance.items()}, **shifted))
        log.info("%s: %s (%.0f s)", kind, "; ".join(
            f"{r['method']} Est_F {r['Est_F']:.3f}" for r in rows if r["features"] == kind),
            time.perf_counter() - t0)
    rows += peer_rows(pieces={piece_name(f) for f in files})
    write_outputs(layout, rows, semitones)
    return rows


# -- outputs ----------------------------------------------------------------------------------
def csv_columns(rows):
    """Columns of ``compare.csv``: ``features, method``, then every other key in first-seen order."""
    cols = ["features", "method"]
    for r in rows:
        cols += [k for k in r if k not in cols]
    return cols


def format_csv(rows):
    """``compare.csv`` as text: :func:`csv_columns`, floats to 6 decimals, missing cells empty."""
    cols = csv_columns(rows)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow([_cell(r.get(c)) for c in cols])
    return out.getvalue()


def _cell(v):
    if v is None:
        return ""
    return f"{v:.6f}" if isinstance(v, float) else str(v)


def _num(v, fmt="{:.3f}"):
    return "–" if v is None or (isinstance(v, float) and np.isnan(v)) else fmt.format(v)


def format_markdown(rows, semitones):
    """The comparison as a markdown table: scores, chance, transposed windows found.

    Parameters
    ----------
    rows : list of dict
        The rows of ``compare.csv``.
    semitones : sequence of float
        Shifts whose shares are shown, in this order; missing values show as ``–``.

    Returns
    -------
    str
    """
    shifts = " / ".join(f"{s:+g}" for s in semitones)
    chance = next((r["transposed_chance"] for r in rows if r.get("transposed_chance")), None)
    head = ["features", "finder"] + list(SHOWN) + [
        "chance " + " / ".join(SHOWN), f"transposed windows found, {shifts} semitones"
        + (f" (chance {chance:.0%})" if chance else "")]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        label = LABELS.get(r["features"], r["features"])
        chance = [r.get(f"chance_{c}") for c in SHOWN]
        moved = [r.get(shifted_key(s)) for s in semitones]
        lines.append("| " + " | ".join(
            [label, r["method"]] + [_num(r.get(c)) for c in SHOWN]
            + [" / ".join(_num(v, "{:.2f}") for v in chance) if any(v is not None for v in chance)
               else "–",
               " / ".join(_num(v, "{:.0%}") for v in moved) if any(v is not None for v in moved)
               else "–"]) + " |")
    return "\n".join(lines) + "\n"


def plot_comparison(rows, semitones, path):
    """Grouped bars: the four scores per kind and finder (chance as ticks); transposition.

    A kind keeps its colour in both panels; finders differ by hatching; peers are grey.

    Parameters
    ----------
    rows : list of dict
        The rows of ``compare.csv``; the transposition panel reads each kind's first row.
    semitones : sequence of float
        Shifts of the transposition panel.
    path : Path
        The PNG to write.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .utils import save_figure

    palette = plt.get_cmap("tab10")
    methods = list(dict.fromkeys(r["method"] for r in rows if r["features"] in KINDS))
    hatches = ("", "//", "..", "xx", "\\\\")

    def style(r):
        if r["features"] not in KINDS:
            return dict(color="0.6", hatch="")
        return dict(color=palette(KINDS.index(r["features"])),
                    hatch=hatches[methods.index(r["method"]) % len(hatches)])

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 5.2), width_ratios=(3, 2))
    width = 0.8 / max(len(rows), 1)
    for i, r in enumerate(rows):
        x = np.arange(len(SHOWN)) + (i - (len(rows) - 1) / 2) * width
        ax.bar(x, [r[c] for c in SHOWN], width, edgecolor="white", linewidth=0.3,
               label=f"{LABELS.get(r['features'], r['features'])}, {r['method']}", **style(r))
        chance = [r.get(f"chance_{c}") for c in SHOWN]
        if all(v is not None for v in chance):
            ax.hlines(chance, x - width / 2, x + width / 2, colors="black", linewidth=1.5)
    ax.set_xticks(np.arange(len(SHOWN)), SHOWN)
    ax.set_ylabel("mean over the pieces compared")
    ax.set_ylim(0, 1)
    ax.set_title("patterns found (black ticks: the same patterns at random places)", fontsize=10)
    ax.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.08), frameon=False)
    kinds = [k for k in KINDS if any(r["features"] == k and r.get(shifted_key(semitones[0]))
                                     is not None for r in rows)]
    bw = 0.8 / max(len(kinds), 1)
    for i, kind in enumerate(kinds):
        r = next(r for r in rows if r["features"] == kind)
        x = np.arange(len(semitones)) + (i - (len(kinds) - 1) / 2) * bw
        bx.bar(x, [100 * r[shifted_key(s)] for s in semitones], bw, label=LABELS[kind],
               color=palette(KINDS.index(kind)))
    bx.set_xticks(np.arange(len(semitones)), [f"{s:+g}" for s in semitones])
    bx.set_xlabel("pitch shift (semitones)")
    bx.set_ylabel("% of shifted windows whose nearest\noriginal window is their own (±3 frames)")
    bx.set_ylim(0, 105)
    bx.set_title("transposition test", fontsize=10)
    bx.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), frameon=False, ncol=2)
    fig.tight_layout()
    save_figure(fig, path, dpi=110)


def write_outputs(layout, rows, semitones):
    """Write ``compare.csv``, ``compare.md`` and ``compare.png`` into the run's folder.

    Parameters
    ----------
    layout : RunLayout
        The comparison's run.
    rows : list of dict
        One per kind and finder, and per peer.
    semitones : sequence of float
        Shifts of the transposition test.
    """
    from .utils import atomic_write_text

    atomic_write_text(layout.compare_csv, format_csv(rows))
    atomic_write_text(layout.compare_md, format_markdown(rows, semitones))
    plot_comparison(rows, semitones, layout.compare_png)


def parser():
    """The command line of ``python -m complex_auto.compare``."""
    p = argparse.ArgumentParser(
        prog="python -m complex_auto.compare",
        description="Compare feature kinds for pattern discovery on the JKU recordings: convert "
                    "with every kind (convert.py --features), find patterns with every finder "
                    "(extract_motives.py --method), score them (MIREX measures, beside the same "
                    "patterns at random places and VMO's published outputs) and run the "
                    "transposition test on every kind. Writes output/RUN/compare.csv, "
                    "compare.md and compare.png; each kind's files are in output/RUN/KIND/, each "
                    "finder's in output/RUN/KIND/METHOD/.",
        epilog=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", metavar="RUN", help="run keyword: writes output/RUN/")
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL, metavar="PATH",
                   help="CAE model for the cae kind (default: %(default)s)")
    p.add_argument("--config", type=Path, metavar="INI",
                   help="CQT and window settings (default: the config beside the model)")
    p.add_argument("--features", nargs="+", default=list(KINDS), metavar="KIND",
                   help=f"feature kinds to compare (default: all: {' '.join(KINDS)})")
    p.add_argument("--method", nargs="+", metavar="METHOD",
                   help="finders to run (default: all that extract_motives.py offers)")
    p.add_argument("--filelist", type=Path, default=DEFAULT_FILELIST, metavar="LIST",
                   help="recordings to convert, one a line; a recording that is not a JKU "
                        "piece needs its tempo after a tab: PATH<TAB>BPM (default: "
                        "%(default)s)")
    p.add_argument("--audio", type=Path, metavar="FILE",
                   help="recording whose middle the transposition test uses "
                        "(default: data/jku/audio/mazurka24-4-poly.mp3)")
    p.add_argument("--seconds", type=cli.number, metavar="S",
                   help="length of the transposition test's excerpt (default 40)")
    p.add_argument("--semitones", type=cli.number, nargs="+", metavar="N",
                   help="pitch shifts of the transposition test (default: 1 2 5 7)")
    p.add_argument("--chance-seeds", type=int, default=3, metavar="N",
                   help="random placements averaged in each chance score (default 3; 0: none)")
    cli.add_jobs(p, "processes converting files and finding patterns")
    cli.add_device(p)
    cli.add_verbose(p)
    return p


def main(args):
    """Run :func:`compare` on the parsed arguments and print ``compare.md``."""
    for k in args.features:
        check_kind(k)
    if args.method:
        check_methods(args.method)
    if args.chance_seeds < 0:
        raise ComplexAutoError(f"--chance-seeds {args.chance_seeds}: must be >= 0")
    device = cli.resolve_device(args.device, args.threads)
    t0 = time.perf_counter()
    rows = compare(args.run, args.features, args.method, args.model, args.config, args.filelist,
                   args.audio, args.seconds, args.semitones, args.jobs,
                   tuple(range(args.chance_seeds)), device=device)
    layout = RunLayout(args.run)
    print(layout.compare_md.read_text(), end="")
    cli.log.info("%d rows in %.0f s: %s, %s, %s", len(rows), time.perf_counter() - t0,
                 layout.compare_csv, layout.compare_md, layout.compare_png)


if __name__ == "__main__":
    cli.run(main, parser())
