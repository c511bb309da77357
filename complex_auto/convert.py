"""Convert recordings into feature files and self-similarity matrices (``convert.py``).

On the CPU every file is handled whole (decode, CQT, encode, matrix, writes) by one of
``jobs`` worker processes, each running torch on one thread; with CUDA the CQTs are computed
in workers, the encoding runs on the GPU in this process, and threads write each
file's outputs while the GPU encodes the next.
"""
import functools
import json
import logging
import multiprocessing
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from . import checks
from .errors import DataError
from .features import conversion_cqt, encode_features
from .representations import file_input, window_features, write_ti_matrix
from .layout import piece_name
from .runinfo import weights_sha256, write_conversion_info
from .memory import available_memory, check_disk, check_memory
from .selfsim import (BLOCK_BYTES, BLOCK_MIN, PAD, block_memory, default_block_rows,
                      matrix_needs, write_self_similarity)
from .shards import is_whole, outputs_complete, shard_range
from .utils import (atomic_path, atomic_write_text, counted, default_jobs, progress,
                    progress_map, save_pyc_bz, sweep_temporaries)

log = logging.getLogger(__name__)

CQT_KEYS = ("sr", "n_bins", "bins_per_oct", "fmin", "hop_length")
IMAGE_MAX_PIXELS = 1500


#: The share of a matrix's values below the top of the picture's colour map. The recipe's
#: similarity 1 / (d + 1e-6) gives the few near-identical pairs values thousands of times the
#: rest, so after its min-max 99 % of a JKU matrix lies below 0.02 and a picture of [0, 1]
#: is black but for a few dots; scaled to this quantile the repeats show as stripes.
IMAGE_QUANTILE = 0.995


def save_matrix_image(matrix, path, max_pixels=IMAGE_MAX_PIXELS):
    """The self-similarity matrix as a PNG (``hot`` colour map), written atomically.

    Matrices larger than ``max_pixels`` are shown block-averaged to at most that size. Values
    are divided by their :data:`IMAGE_QUANTILE` quantile and clipped to [0, 1], so that the
    top half percent of the similarities are white.

    Parameters
    ----------
    matrix : np.ndarray, shape (N, N)
        Similarities, >= 0.
    path : Path
        The PNG to write.
    max_pixels : int
        Largest side of the picture: ``ceil(N / max_pixels)`` rows and columns are averaged
        into one pixel, and the trailing ones that fill no whole block are dropped.
    """
    from matplotlib import colormaps
    from PIL import Image

    m = np.asarray(matrix, dtype=np.float64)   # a matrix, or the view write_matrix returns
    f = int(np.ceil(len(m) / max_pixels))
    if f > 1:
        n = len(m) // f * f
        m = m[:n, :n].reshape(n // f, f, n // f, f).mean(axis=(1, 3))
    top = np.quantile(m, IMAGE_QUANTILE) if m.size else 0.0
    rgb = (colormaps["hot"](np.clip(m / top if top > 0 else m, 0, 1))[..., :3] * 255)
    rgb = rgb.astype(np.uint8)
    with atomic_path(path) as tmp:
        Image.fromarray(rgb).save(tmp, format="png", compress_level=1)


def encode_and_save(path, spec, model, cfg, layout, step, self_sim, legacy_layout, device,
                    features="cae", threads=1, settings=None):
    """Encode one CQT and write its features (and matrix); returns their paths.

    ``features`` other than ``'cae'`` (:mod:`complex_auto.representations`) need no model:
    ``spec`` is then :func:`~complex_auto.representations.file_input` of that kind and the
    file holds ``np.array([features])``.

    Parameters
    ----------
    path : Path
        The recording; its file name names the outputs.
    spec : np.ndarray, shape (n_bins, frames)
        Its standardised CQT (factor 1), or the input of the feature kind.
    model : ComplexAutoEncoder or None
        Used only for ``'cae'``.
    cfg : dict
        Uses ``length_ngram``, ``bins_per_oct`` and ``focus_frames`` (optional).
    layout : RunLayout
    step : int
        Window hop in frames.
    self_sim : bool
        Also write the matrix and its picture.
    legacy_layout : bool
        Flatten windows frame-major, as the original implementation did (``'cae'`` only).
    device : torch.device or str
        Where the model runs.
    features : str
        Feature kind (:data:`complex_auto.representations.KINDS`).
    threads : int
        Blocks of the matrix computed at a time (:func:`write_matrix`).
    settings : dict, optional
        :func:`conversion_settings`; when given, the file's record is written last.

    Returns
    -------
    features, matrix : Path or None
        The feature file and the matrix (``None`` without ``self_sim``); both ``None`` when
        the recording is too short for one window.
    """
    feats = encode(spec, model, cfg, path, step, legacy_layout, device, features)
    if feats is None:
        return None, None
    return save_outputs(path, feats, cfg, layout, self_sim, features, threads, settings)


def encode(spec, model, cfg, path, step, legacy_layout, device, features="cae"):
    """Features of one CQT, ``(2, n_windows, n_bases)`` for ``'cae'``; None if too short.

    Parameters
    ----------
    spec : np.ndarray, shape (n_bins, frames)
        Standardised CQT (factor 1), or the input of the feature kind.
    model : ComplexAutoEncoder or None
        Used only for ``'cae'``.
    cfg : dict
        Uses ``length_ngram``, ``bins_per_oct`` and ``focus_frames`` (optional).
    path : Path
        The recording, named in the warning about a short one.
    step : int
        Window hop in frames.
    legacy_layout : bool
        Flatten windows frame-major (``'cae'`` only).
    device : torch.device or str
        Where the model runs.
    features : str
        Feature kind (:data:`complex_auto.representations.KINDS`).

    Returns
    -------
    np.ndarray, shape (2, windows, n_bases) or (1, windows, dims), float32, or None
        ``[amplitudes, phases]`` for ``'cae'``, ``[features]`` for the other kinds; ``None``
        (with a warning) when ``spec`` has no more frames than one window of ``length_ngram``.
    """
    length = cfg["length_ngram"]
    if spec.shape[1] <= length:
        log.warning("skipping %s: %d CQT frames, not more than one window of %d",
                    path, spec.shape[1], length)
        return None
    if features == "cae":
        return encode_features(model, spec, length, step, legacy_layout, device,
                               focus=cfg.get("focus_frames"))
    return window_features(features, spec, length, step, cfg["bins_per_oct"])[None]


def save_outputs(path, feats, cfg, layout, self_sim, features="cae", threads=1, settings=None):
    """Write one file's features (and its matrix and picture); returns their paths.

    With ``settings`` (:func:`conversion_settings`), the file's record
    (:meth:`~complex_auto.layout.RunLayout.conversion_record`) is written last.

    Parameters
    ----------
    path : Path
        The recording; its file name names the outputs.
    feats : np.ndarray, shape (2 or 1, windows, dims)
        :func:`encode`; the matrix is that of ``feats[0]`` (the amplitudes for ``'cae'``).
    cfg : dict
        Uses ``length_ngram`` (for ``'tichroma'``).
    layout : RunLayout
    self_sim : bool
        Also write the matrix and its picture.
    features : str
        Feature kind: ``'tichroma'`` has a matrix of its own
        (:func:`~complex_auto.representations.write_ti_matrix`).
    threads : int
        Blocks of the matrix computed at a time (:func:`write_matrix`).
    settings : dict, optional
        :func:`conversion_settings`.

    Returns
    -------
    features : Path
    matrix : Path or None
        ``None`` without ``self_sim``.
    """
    out = layout.features(path.name)
    save_pyc_bz(feats, out)
    matrix = None
    if self_sim:
        matrix = layout.matrix(path.name)
        view = (write_ti_matrix(feats[0], matrix, cfg["length_ngram"]) if features == "tichroma"
                else write_matrix(feats[0], matrix, threads))
        save_matrix_image(view, layout.matrix_image(path.name))
    if settings is not None:
        atomic_write_text(layout.conversion_record(path.name),
                          json.dumps(_record(settings, path), sort_keys=True) + "\n")
    return out, matrix


#: The settings of a record that are paths (:func:`record_path`).
_PATH_KEYS = ("audio", "model", "config")


def conversion_settings(info, step, legacy_layout, features):
    """What makes a file's outputs what they are, besides its recording, model and config
    contents (those are checked by time): the keys of ``info`` (``model``, ``config``,
    ``focus_frames``), the step, the layout and the feature kind.

    Parameters
    ----------
    info : dict or None
        Further settings; the ``model`` and ``config`` paths are normalised
        (:func:`record_path`), so that one file named two ways is one setting.
    step : int
        Window hop in frames.
    legacy_layout : bool
    features : str
        Feature kind.

    Returns
    -------
    dict
        What each file's record holds, besides the recording's path (:func:`record_path`).
    """
    settings = dict(info or {}, step=int(step), legacy_layout=bool(legacy_layout),
                    features=features)
    for key in _PATH_KEYS[1:]:              # './m.save' and 'm.save' are one model
        if settings.get(key):
            settings[key] = record_path(settings[key])
    return settings


def record_path(path):
    """A path as a conversion record keeps it: one spelling per file, and portable.

    Relative to the working folder (the one that holds ``output/``) when the file lies in it,
    else absolute; symbolic links and ``..`` resolved. A project moved or copied elsewhere
    (another disk, a cluster's nodes that mount it at other places) then finds its records
    naming the same files, and keeps its outputs.

    Parameters
    ----------
    path : str or Path
        Relative paths are read from the working folder.

    Returns
    -------
    str
        POSIX separators when relative.
    """
    p = Path(path).resolve()
    try:
        return p.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(p)


def _record(settings, path):
    return json.loads(json.dumps(dict(settings, audio=record_path(path))))


# what the log says of outputs converted again, for one file and for several
_REASONS = {"other settings": ("was made with other settings",
                               "were made with other settings"),
            "another recording": ("was made from another recording of the same name",
                                  "were made from other recordings of the same names"),
            "no record": ("has outputs without a record of how they were made",
                          "have outputs without a record of how they were made"),
            "an unreadable record": ("has an unreadable record", "have unreadable records")}


def _made_so(layout, path, settings):
    """Why the outputs of ``path`` were not made with ``settings`` from it; None if they were."""
    try:
        record = json.loads(layout.conversion_record(path.name).read_text())
    except FileNotFoundError:
        return "no record"
    except (OSError, ValueError):
        return "an unreadable record"
    expected = _record(settings, path)
    if not isinstance(record, dict):
        return "an unreadable record"
    # Records of earlier versions hold absolute paths: read them as this version writes them.
    record.update({k: record_path(v) for k in _PATH_KEYS
                   if isinstance(v := record.get(k), str) and v})
    if record.get("audio") != expected["audio"]:
        return "another recording"
    return None if record == expected else "other settings"


def write_matrix(features, path, threads=1):
    """Write the self-similarity matrix block by block, in the memory at hand.

    Returns the downsampled view of :func:`~complex_auto.selfsim.write_self_similarity`.

    Parameters
    ----------
    features : np.ndarray, shape (windows, dims)
        One feature vector per window (the amplitudes for ``'cae'``).
    path : str or Path
        The ``.npy`` to write.
    threads : int
        Blocks computed at a time at most; fewer when memory holds fewer blocks.

    Returns
    -------
    np.ndarray, shape (≤ IMAGE_MAX_PIXELS, ≤ IMAGE_MAX_PIXELS), float64
        The matrix block-averaged to at most :data:`IMAGE_MAX_PIXELS` a side, for its
        picture (:func:`save_matrix_image`).

    Raises
    ------
    MemoryLimitError
        When not even the smallest block fits in memory, or the file not on the disk.
    """
    path = Path(path)
    features = checks.array(features, "features", ndim=2)
    size = len(features) + PAD
    need, disk = matrix_needs(len(features), features.shape[1])
    what = f"{path.name}: the {size}x{size} self-similarity matrix"
    check_memory(need, what, "free memory, or convert without --self-sim-matrix")
    check_disk(disk, path.parent, what, "free disk space, or convert without --self-sim-matrix")
    budget = min(BLOCK_BYTES, available_memory()[0] - need + block_memory(size, BLOCK_MIN))
    threads = max(1, min(threads, budget // block_memory(size, BLOCK_MIN)))
    # A bar of its own only where no other bar is drawn beside it: not in the workers of -j N
    # (the files' bar is), nor in the threads that write while the GPU encodes.
    alone = (multiprocessing.parent_process() is None
             and threading.current_thread() is threading.main_thread())
    return write_self_similarity(features, path, view_pixels=IMAGE_MAX_PIXELS, threads=threads,
                                 block_rows=default_block_rows(size, budget // threads),
                                 desc=f"{path.stem}: matrix" if alone else None)


_WORKER = {}


def _init_worker(state, cfg, options):
    import torch

    from .training import build_model

    if multiprocessing.parent_process() is not None:
        # -j N: N processes of one thread each. Here (-j 1, or one file) the caller's
        # --threads stand, and a notebook's torch keeps its threads after the call.
        torch.set_num_threads(1)
    model = None
    if state is not None:   # features other than 'cae' have no model
        model = build_model(cfg, state["layer.weight"].shape[1])
        model.load_state_dict(state)
        model.eval()
    _WORKER.update(model=model, cfg=cfg, options=options)


def _convert_in_worker(path):
    w = _WORKER
    spec = file_input(w["options"]["features"], path, {k: w["cfg"][k] for k in CQT_KEYS})
    return encode_and_save(path, spec, w["model"], w["cfg"], device="cpu", **w["options"])


def convert_files(model, files, cfg, layout, step=1, self_sim=False, legacy_layout=False,
                  device="cpu", jobs=1, tempi=None, info=None, features="cae", shard=None,
                  overwrite=True, newer_than=()):
    """Features (and matrices) of every file into the run folder.

    Parameters
    ----------
    model : ComplexAutoEncoder or None
        ``None`` for ``features`` other than ``'cae'``.
    files : list of Path
        The recordings; their file names name the outputs.
    cfg : dict
        The config: CQT settings, ``length_ngram``, ``n_bases``, ``focus_frames`` (optional).
    layout : RunLayout
    step : int
        Window hop in frames.
    self_sim : bool
        Also write ``NAME.npy``, ``NAME.png`` and ``ss_matrices_filelist.txt``.
    legacy_layout : bool
        Flatten windows frame-major, as the original implementation did.
    device : torch.device or str
        Where the model runs. On the CPU each file is converted whole in a worker; otherwise
        the workers compute the CQTs and the model encodes here.
    jobs : int
        Worker processes.
    tempi : list of float or None, optional
        Tempo of each file in beats per minute, copied as a second column into
        ``ss_matrices_filelist.txt`` for ``extract_motives.py``, and into ``conversion.json``.
    info : dict, optional
        Further keys for ``conversion.json`` and each file's record (e.g. ``model``).
    features : str
        Feature kind (:data:`complex_auto.representations.KINDS`), recorded in
        ``conversion.json``; only ``'cae'`` uses ``model``.
    shard : (int, int), optional
        Convert only part ``K`` of ``N`` of ``files`` (:func:`~complex_auto.shards.shard_range`)
        and leave the run's lists to :func:`merge_run`.
    overwrite : bool
        Redo files whose outputs exist; when False they are skipped unless incomplete, older
        than the recording or a file of ``newer_than``, or their record
        (:meth:`~complex_auto.layout.RunLayout.conversion_record`) is missing or names another
        recording of the same file name or other settings.
    newer_than : list of Path
        Inputs (model, config) that outputs must be newer than to be kept.

    Returns
    -------
    list of Path
        The feature files of the converted and the skipped files (of the shard's part only,
        with ``shard``), in list order; recordings too short for a window have none.

    Raises
    ------
    DataError
        When no recording is long enough for one window (not checked for a shard).
    MemoryLimitError
        With ``self_sim``, when a matrix does not fit the memory or the disk.
    """
    tempi = tempi or [None] * len(files)
    sweep_temporaries(layout)
    settings = conversion_settings(info, step, legacy_layout, features)
    part = shard_range(len(files), shard)
    results = [None] * len(files)
    todo, redone = [], {}
    for i in part:
        outputs = _outputs(layout, files[i], self_sim)
        # Outputs are named by file name: b/x.wav must not take a/x.wav's, nor an edited
        # recording its older self's, nor a rerun with other settings the outputs a killed
        # command left (it wrote no conversion.json; shards never do).
        why = None if overwrite else _made_so(layout, files[i], settings)
        if not overwrite and why is None and outputs_complete(
                outputs + [layout.conversion_record(files[i].name)], [*newer_than, files[i]]):
            results[i] = (outputs[0], outputs[1] if self_sim else None)
        else:
            todo.append(i)
            if why in _REASONS and outputs[0].exists():
                redone.setdefault(why, []).append(files[i].name)
    for why, names in redone.items():
        one = len(names) == 1
        log.info("%s (%s%s) %s: converting %s again", counted(len(names), "file"), names[0],
                 "" if one else ", ...", _REASONS[why][not one], "it" if one else "them")
    if len(todo) < len(part):
        log.info("%d of %d files already converted: skipped (--overwrite redoes them)",
                 len(part) - len(todo), len(part))
    if self_sim and todo:
        check_matrix_resources([files[i] for i in todo], cfg, step, layout, jobs)
    # CPUs left to a file's matrix by the files converted beside it.
    threads = max(1, default_jobs() // max(1, min(jobs, len(todo))))
    options = dict(layout=layout, step=step, self_sim=self_sim, legacy_layout=legacy_layout,
                   features=features, threads=threads, settings=settings)
    if not todo:
        pass
    elif str(device) == "cpu":
        state = (None if model is None
                 else {k: v.cpu() for k, v in model.state_dict().items()})
        # Longest files first, so that the workers finish together.
        order = sorted(todo, key=lambda i: -files[i].stat().st_size)
        done = progress_map(_convert_in_worker, [files[i] for i in order], jobs=jobs,
                            desc="convert", initializer=_init_worker,
                            initargs=(state, cfg, options))
        for i, r in zip(order, done):
            results[i] = r
    else:
        params = {k: cfg[k] for k in CQT_KEYS}
        specs = progress_map(functools.partial(file_input, features, cfg=params),
                             [files[i] for i in todo], jobs=jobs, desc="CQT")
        # The GPU encodes one file while threads write the ones before it: the writes
        # (compression, matrix, picture) take longer than the encoding, and release the GIL.
        with ThreadPoolExecutor(max(1, min(jobs, len(todo)))) as pool:
            writes = {}
            for i, s in zip(todo, progress(specs, desc="encode", unit="file")):
                feats = encode(s, model, cfg, files[i], step, legacy_layout, device, features)
                if feats is not None:
                    writes[i] = pool.submit(save_outputs, files[i], feats, cfg, layout,
                                            self_sim, features, threads, settings)
            for i, w in writes.items():
                results[i] = w.result()
    results = [r if r is not None else (None, None) for r in results]
    written = [f for f, _ in results if f is not None]
    if not is_whole(shard):
        log.info("shard %d/%d: %d files converted, %d skipped; when every shard is done, run "
                 "convert.py with --merge to write the run's lists", shard[0], shard[1],
                 len(todo), len(part) - len(todo))
        return written
    write_run_lists(layout, cfg, step, files, results, tempi, self_sim, legacy_layout,
                    dict(info or {}, features=features),
                    weights_sha256(model.state_dict()) if model is not None else None)
    return written


def check_matrix_resources(files, cfg, step, layout, jobs=1):
    """Stop before converting when a file's matrix cannot be made in the memory or disk at hand.

    The number of windows is estimated from each file's duration (its header); files whose
    header cannot be read are checked when their features are known (:func:`write_matrix`).
    Creates the run's folder, whose disk is checked.

    Parameters
    ----------
    files : list of Path
        The recordings still to convert.
    cfg : dict
        Uses ``sr``, ``hop_length``, ``length_ngram`` and ``n_bases``.
    step : int
        Window hop in frames.
    layout : RunLayout
    jobs : int
        Worker processes: the ``jobs`` largest matrices are made at a time.

    Raises
    ------
    MemoryLimitError
        When the largest matrices made at a time need more memory than is available, or all
        the matrices more disk than is free.
    """
    import soundfile

    needs = []
    for p in files:
        try:
            seconds = soundfile.info(str(p)).duration
        except Exception:        # decoded by another backend later; checked then
            continue
        windows = max(int(seconds * cfg["sr"] / cfg["hop_length"]) - cfg["length_ngram"], 0)
        needs.append((p, *matrix_needs(windows // step, cfg["n_bases"])))
    if not needs:
        return
    p, memory, _ = max(needs, key=lambda t: t[1])
    concurrent = min(jobs, len(needs))
    what = f"{p.name}: its self-similarity matrix"
    if concurrent > 1:
        memory = sum(sorted(n[1] for n in needs)[-concurrent:])
        what += f" with {concurrent} files converted at a time"
    check_memory(memory, what, "use -j 1, free memory, or convert without --self-sim-matrix"
                 if concurrent > 1 else "free memory, or convert without --self-sim-matrix")
    layout.make()
    check_disk(sum(n[2] for n in needs), layout.dir, f"the matrices of {len(needs)} files",
               "free disk space, convert fewer files at a time (--shard), or convert "
               "without --self-sim-matrix")


def _outputs(layout, path, self_sim):
    """The files that make a converted recording complete."""
    outputs = [layout.features(path.name)]
    if self_sim:
        outputs += [layout.matrix(path.name), layout.matrix_image(path.name)]
    return outputs


def write_run_lists(layout, cfg, step, files, results, tempi, self_sim, legacy_layout, info,
                    weights=None):
    """``ss_matrices_filelist.txt`` and ``conversion.json``, in the order of ``files``.

    Parameters
    ----------
    layout : RunLayout
    cfg : dict
        The config, recorded in ``conversion.json``.
    step : int
        Window hop in frames.
    files : list of Path
        The recordings, in the order of the run's list.
    results : list of (Path or None, Path or None)
        Per file, its features and matrix (``None`` for a file too short to convert).
    tempi : list of float or None
        Per file, its tempo from the list's second column (``None``: none given).
    self_sim : bool
        Matrices were written: write ``ss_matrices_filelist.txt`` too.
    legacy_layout : bool
    info : dict or None
        Further settings to record in ``conversion.json`` (as given to :func:`convert_files`).
    weights : str, optional
        The digest of the model's weights that made the features
        (:func:`complex_auto.runinfo.weights_sha256`), recorded as ``weights_sha256``.

    Raises
    ------
    DataError
        When no recording is long enough for one window.
    """
    written = [f for f, _ in results if f is not None]
    if not written:
        names = ", ".join(f.name for f in files[:3]) + (f" and {len(files) - 3} more"
                                                         if len(files) > 3 else "")
        raise DataError(f"no recording is longer than one window "
                        f"({cfg['length_ngram']} frames = "
                        f"{cfg['length_ngram'] * cfg['hop_length'] / cfg['sr']:.1f} s): "
                        f"{names}")
    if self_sim:
        lines = [f"{m}\t{bpm:g}\n" if bpm else f"{m}\n"
                 for (_, m), bpm in zip(results, tempi) if m]
        atomic_write_text(layout.matrix_list, "".join(lines))
    elif layout.matrix_list.exists():
        # The run's lists describe its last conversion: an older matrix list beside this
        # conversion.json would have extract_motives.py read matrices it no longer lists.
        layout.matrix_list.unlink()
        log.warning("removed %s, the matrices of an earlier conversion: this one made none "
                    "(--self-sim-matrix makes them)", layout.matrix_list)
    records = [{"piece": piece_name(p), "audio": str(p), "features": str(f),
                "matrix": str(m) if m else None, "bpm": bpm}
               for p, (f, m), bpm in zip(files, results, tempi) if f is not None]
    extra = dict(info or {}, **({"weights_sha256": weights} if weights else {}))
    # listed but too short for one window: recorded, so that a reader comparing the run with
    # its list (bench/discovery.py --keep) can tell them from files never converted
    too_short = [str(p) for p, (f, _) in zip(files, results) if f is None]
    if too_short:
        extra["too_short"] = too_short
    write_conversion_info(layout.conversion_info, cfg, step, records,
                          legacy_layout=legacy_layout, **extra)


def merge_run(files, cfg, layout, step=1, legacy_layout=False, tempi=None, info=None,
              weights=None):
    """Write a run's lists from the outputs of its shards (``convert.py ... --merge``).

    The matrix list is written when the shards made matrices (any ``.npy`` of a listed file
    exists); then every file needs its matrix and picture.

    Parameters
    ----------
    files : list of Path
        The whole list, in order.
    cfg, layout, step, legacy_layout, tempi, info
        As given to the shards (see :func:`convert_files`); ``info`` may hold ``features``.
    weights : str, optional
        The digest of the model's weights (:func:`write_run_lists`).

    Returns
    -------
    list of Path
        The feature files, in list order; recordings too short for a window have none.

    Raises
    ------
    DataError
        When a listed file long enough to convert has no complete outputs, when the record of
        one is missing or unreadable or names other settings or another recording, or when no
        recording is long enough for one window.
    """
    tempi = tempi or [None] * len(files)
    info = dict(info or {})
    settings = conversion_settings(info, step, legacy_layout, info.pop("features", "cae"))
    self_sim = any(layout.matrix(p.name).exists() for p in files)
    results, missing, other = [], [], []
    for p in files:
        outputs = _outputs(layout, p, self_sim)
        if all(o.exists() for o in outputs):
            results.append((outputs[0], outputs[1] if self_sim else None))
            why = _made_so(layout, p, settings)
            if why:
                other.append(f"{p}: {why}")
        elif _too_short(p, cfg):
            results.append((None, None))
        else:
            missing.append(p)
    if missing:
        # a part run without --self-sim-matrix has its features but no matrix: run as it was,
        # it is skipped, and the merge failed again for good
        no_matrix = self_sim and all(layout.features(p.name).exists()
                                     and not layout.matrix(p.name).exists() for p in missing)
        again = ("run their shards again with --self-sim-matrix, as the others were" if no_matrix
                 else "run their shards again")
        what = "no self-similarity matrix" if no_matrix else "no complete outputs"
        raise DataError(f"{len(missing)} of {len(files)} listed files have {what} in "
                        f"{layout.dir} (first: {missing[0]}); {again}")
    if other:
        raise DataError(f"{len(other)} of {len(files)} listed files were not converted as this "
                        f"merge says (first: {other[0]}); run their shards again with the "
                        "merge's list, config, --model, --step-size, --features and "
                        "--focus-frames")
    write_run_lists(layout, cfg, step, files, results, tempi, self_sim, legacy_layout,
                    dict(info, features=settings["features"]), weights)
    return [f for f, _ in results if f is not None]


def _too_short(path, cfg):
    """Whether a recording gives no window, as :func:`encode_and_save` skips it."""
    try:
        import soundfile

        seconds = soundfile.info(str(path)).duration
        if seconds * cfg["sr"] / cfg["hop_length"] > 2 * cfg["length_ngram"] + 2:
            return False
    except Exception:        # unreadable header: decide from the CQT below
        pass
    try:
        spec = conversion_cqt(path, {k: cfg[k] for k in CQT_KEYS})
    except Exception:
        return False
    return spec.shape[1] <= cfg["length_ngram"]
