"""What ``convert.py`` records about how a run's features were made (``conversion.json``).

The extractor needs the duration of a matrix frame, which depends on the CQT hop, the sample
rate and the window step that conversion used; reading it here, rather than assuming the
reference's 0.0886 s, keeps ``--step-size 2`` runs and other configs in time. The report finds
each piece's recording through ``files``.

``conversion.json``::

    {"sr": 22050, "hop_length": 1984, "step": 1, "length_ngram": 32,
     "frame_seconds": 0.08997..., "features": "cae", "model": "models/...save",
     "model_sha256": "777e...",
     "toolkit": {"version": "0.1.0", "commit": "c7c4e8e...", "modified": false},
     "files": [{"piece": "mazurka24-4-poly", "audio": "data/jku/audio/...mp3",
                "features": "output/RUN/...pyc.bz", "matrix": "output/RUN/...npy" or null,
                "bpm": 138 or null}, ...]}

``toolkit`` (:func:`provenance`) says which code wrote the record, as ``extraction.json``'s
does; it is not a setting, so no rerun compares it.

What ``train.py`` records about what a model learned from (``training.json``, beside the
model, rewritten with each checkpoint)::

    {"data_type": "cqt", "filelists": ["filelist_audio.txt"],
     "files": ["data/jku/audio/wtc2f20-poly.mp3", ...], "test_data": [],
     "epochs": 68, "model_sha256": "9f2c...", "toolkit": {...}}

``filelists`` and ``files`` gather every list a model was trained on, a ``--resume`` with
another list included; ``test_data`` lists the files of the config's held-out list. The
evaluation reads it to say when a run scores pieces its model was trained on
(:func:`trained_pieces_scored`): such scores do not measure unseen music. ``model_sha256``
ties the record to the weights it describes; a model file replaced since is not described.
"""
import functools
import hashlib
import json
import logging
import subprocess
from pathlib import Path

from .errors import DataError
from .layout import TRAINING_INFO, piece_name
from .utils import atomic_write_text

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=None)
def provenance(root=Path(__file__).resolve().parents[1]):
    """Which toolkit writes a run's records: its version and, in a git checkout, its commit.

    Parameters
    ----------
    root : Path
        The checkout the package is imported from.

    Returns
    -------
    dict
        ``{"version": str, "commit": str or None, "modified": bool or None}``: the commit of
        ``root`` and whether its tracked files differ from it; None for both where ``root`` is
        not the top of a git checkout (an installed copy, also one inside another repository)
        or without git.
    """
    from . import __version__

    def git(*args):
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()

    commit = modified = None
    try:
        # only the toolkit's own checkout: an installed copy may sit inside another repository
        if Path(git("rev-parse", "--show-toplevel")).resolve() == Path(root).resolve():
            commit = git("rev-parse", "HEAD")
            modified = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        commit = modified = None
    return {"version": __version__, "commit": commit, "modified": modified}


def frame_seconds(cfg, step=1):
    """Seconds between successive windows: ``hop_length * step / sr``."""
    return cfg["hop_length"] * step / cfg["sr"]


def write_conversion_info(path, cfg, step, files, **extra):
    """Write ``conversion.json`` (atomically).

    Parameters
    ----------
    path : Path
        ``RunLayout.conversion_info``.
    cfg : dict
        The CQT config used.
    step : int
        Window hop in frames.
    files : list of dict
        One entry per converted recording (``piece, audio, features, matrix, bpm``).
    **extra
        Further keys (``features`` kind, ``model`` path, ...); with a ``model``, its SHA-256
        is recorded too (``model_sha256``).
    """
    info = {"sr": cfg["sr"], "hop_length": cfg["hop_length"], "step": int(step),
            "length_ngram": cfg["length_ngram"], "frame_seconds": frame_seconds(cfg, step)}
    info.update(extra)
    if extra.get("model") and Path(extra["model"]).is_file():
        # which weights made the features, whatever the path holds later
        info["model_sha256"] = file_sha256(extra["model"])
    info["toolkit"] = provenance()
    info["files"] = files
    atomic_write_text(path, json.dumps(info, indent=1) + "\n")


def read_conversion_info(path):
    """``conversion.json`` as a dict, or ``None`` when the run has none (older runs).

    Raises
    ------
    DataError
        When the file exists but is not what :func:`write_conversion_info` writes.
    """
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    try:
        info = json.loads(text)
        seconds = info["frame_seconds"]
        # a number, not "0.09" (whose comparison with 0 below was a TypeError's traceback)
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise DataError(f"{path}: not a conversion record written by convert.py "
                        "(remove it, or convert again)") from None
    if not seconds > 0 or seconds == float("inf"):
        raise DataError(f"{path}: frame_seconds must be positive, not {info['frame_seconds']}")
    for key in ("step", "length_ngram"):    # rows a window spans: length_ngram // step
        value = info.get(key, 1)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise DataError(f"{path}: {key} must be a positive whole number, not {value!r}")
    return info


def recorded_path(path, layout):
    """A path recorded in a run's files: as given, else relative to the folder that holds
    ``output/`` (runs record paths as the command line gave them)."""
    p = Path(path)
    if p.is_absolute() or p.exists():
        return p
    alt = layout.root.parent / p         # not dir.parent.parent: runs nest (RUN/KIND/METHOD)
    return alt if alt.exists() else p


def file_sha256(path):
    """The SHA-256 of a file's bytes, as a hexadecimal string."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def training_record(cfg, filelist, previous=None):
    """What a model is trained on: its file list and the files in it, for ``training.json``.

    Parameters
    ----------
    cfg : dict
        The training config (``data_type``, ``test_data``).
    filelist : str or Path
        The training list (not read for ``mnist``, whose digits come with the toolkit).
    previous : dict, optional
        The record of the run the training continues (``--resume``): its lists and files are
        kept, the new ones added after them.

    Returns
    -------
    dict
        ``data_type``, ``filelists``, ``files`` and ``test_data`` (paths as
        :func:`complex_auto.convert.record_path` writes them).
    """
    from .convert import record_path
    from .filelist import read_filelist

    def union(key, new):
        return list(dict.fromkeys([*(previous or {}).get(key, []), *new]))

    audio = cfg["data_type"] != "mnist"
    files = [record_path(f) for f in read_filelist(filelist)] if audio else []
    test = ([record_path(f) for f in read_filelist(cfg["test_data"], check_exists=False)]
            if audio and cfg.get("test_data") else [])
    return {"data_type": cfg["data_type"],
            "filelists": union("filelists", [record_path(filelist)] if audio else []),
            "files": union("files", files), "test_data": union("test_data", test)}


def write_training_info(path, record, model_path, epochs):
    """Write ``training.json`` (atomically) for the model just saved.

    Parameters
    ----------
    path : Path
        ``RunLayout.training_info``.
    record : dict
        What :func:`training_record` returns.
    model_path : Path
        The model file the record describes (its SHA-256 is recorded).
    epochs : int
        Epochs the model has been trained.
    """
    info = dict(record, epochs=int(epochs), model_sha256=file_sha256(model_path),
                toolkit=provenance())
    atomic_write_text(path, json.dumps(info, indent=1) + "\n")


def read_training_info(path):
    """``training.json`` as a dict, or ``None`` when there is none (a model trained before
    the toolkit wrote it, or copied without it).

    Raises
    ------
    DataError
        When the file exists but is not what :func:`write_training_info` writes.
    """
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        return None
    try:
        info = json.loads(text)
        if not (isinstance(info, dict) and isinstance(info.get("model_sha256"), str)
                and all(isinstance(info.get(k), list) and all(isinstance(f, str) for f in info[k])
                        for k in ("filelists", "files", "test_data"))):
            raise ValueError
    except ValueError:
        raise DataError(f"{path}: not a training record written by train.py (remove it: "
                        "the next checkpoint writes a new one)") from None
    return info


def trained_pieces_scored(layout, pieces):
    """The scored pieces that the run's model was trained on, by its ``training.json``.

    Parameters
    ----------
    layout : RunLayout
        The run, whose ``conversion.json`` names the model that made its features.
    pieces : iterable of str
        The piece names scored.

    Returns
    -------
    model : Path or None
        The model file; None when the run names none (features without a model, a run
        converted before ``conversion.json``) or the model has no record of its training
        (or one of other weights than those that made the features: the SHA-256 that
        ``conversion.json`` recorded, or else the file's, differs).
    trained : list of str
        The pieces of ``pieces`` whose recording (by file name) was in a training list of the
        model, sorted.
    """
    try:
        info = read_conversion_info(layout.conversion_info) or {}
    except DataError:
        return None, []                     # the extraction has said so already
    if not info.get("model"):
        return None, []
    model = recorded_path(info["model"], layout)
    try:
        training = read_training_info(model.parent / TRAINING_INFO)
        if training is None or not model.is_file():
            return None, []
        # the weights that made the features (runs converted before the hash was recorded:
        # those in the file now)
        if training["model_sha256"] != (info.get("model_sha256") or file_sha256(model)):
            log.debug("%s describes other weights than those that made the features: not "
                      "read", model.parent / TRAINING_INFO)
            return None, []
    except (DataError, OSError) as e:
        log.warning("%s: the model's training record was not read (%s)", model, e)
        return None, []
    names = {piece_name(f) for f in training["files"]}
    return model, sorted(set(pieces) & names)
