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

What ``train.py`` records about what a model learned from (``training_{data_type}.json``
beside the model, written before each model it saves)::

    {"data_type": "cqt", "complete": true,
     "sessions": [{"filelist": "filelist_audio.txt",
                   "trained": ["data/jku/audio/wtc2f20-poly.mp3", ...],
                   "evaluation": ["data/jku/audio/sonata04-2-poly.mp3"], "epochs": [0, 68]}],
     "models": [[1, "9f2c..."], ..., [68, "777e..."]], "toolkit": {...}}

A session is one ``train.py`` command that trained at least one epoch: its list, the files
that trained and those that gave only the evaluation loss (:func:`training_session`), and the
epochs it trained, from and to. ``models`` holds the epoch and SHA-256 of every model saved,
so that the weights that made a run's features (``conversion.json``'s ``model_sha256``) find
the sessions before them, also after the training went on. ``complete`` is false when the
training continued a model that had no record: the sessions before are unknown. The
evaluation reads it to say when a run scores pieces its model was trained on
(:func:`trained_pieces_scored`): such scores do not measure unseen music.
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
    path = Path(path)
    stat = path.stat()
    return _sha256(path.resolve(), stat.st_ino, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _sha256(path, inode, mtime_ns, size):
    # keyed by what a rewrite changes (an atomic one, the inode too): a model's hash is asked
    # for by the conversion, the evaluation and every training record beside it
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def training_session(cfg, filelist):
    """What one ``train.py`` command trains on, for the model's training record.

    Parameters
    ----------
    cfg : dict
        The training config (``data_type``, ``test_data``).
    filelist : str or Path
        The training list (not read for ``mnist``, whose digits come with the toolkit).

    Returns
    -------
    dict
        ``filelist`` (None for digits), ``trained`` and ``evaluation``: paths as
        :func:`complex_auto.convert.record_path` writes them. The files that give only the
        evaluation loss are the list's last fifth (:func:`complex_auto.filelist.held_out`) or
        those of ``test_data``.
    """
    from .convert import record_path
    from .filelist import held_out, read_filelist

    if cfg["data_type"] == "mnist":
        return {"filelist": None, "trained": [], "evaluation": []}
    files = [record_path(f) for f in read_filelist(filelist)]
    n_eval = held_out(files, cfg.get("test_data"))
    evaluation = ([record_path(f) for f in read_filelist(cfg["test_data"], check_exists=False)]
                  if cfg.get("test_data") else files[len(files) - n_eval:])
    return {"filelist": record_path(filelist), "trained": files[:len(files) - n_eval],
            "evaluation": evaluation}


def start_training_record(path, data_type, continued=None):
    """The record a training adds its sessions and models to.

    Parameters
    ----------
    path : Path
        The run's ``training_{data_type}.json`` (``RunLayout.training_info``).
    data_type : str
    continued : Path, optional
        The model file the training continues (``--resume``); None for a fresh training.

    Returns
    -------
    dict
        The run's record when it holds the model continued; else a new one, ``complete``
        false when a model is continued (with a warning: what it learned before is unknown).

    Raises
    ------
    DataError
        When the run's record is not one that :func:`write_training_info` writes.
    """
    fresh = {"data_type": data_type, "complete": continued is None, "sessions": [],
             "models": []}
    if continued is None:
        return fresh
    previous = read_training_info(path)
    digest = file_sha256(continued) if Path(continued).is_file() else None
    if previous is not None and any(h == digest for _, h in previous["models"]):
        return previous
    log.warning("%s continues a model %s: %s will list only what this training learns",
                continued, "of another training record" if previous else "with no training "
                "record", path)
    return fresh


def add_model(record, session, epochs, digest):
    """Enter a model about to be saved into ``record`` (in place).

    Parameters
    ----------
    record : dict
        From :func:`start_training_record`.
    session : dict or None
        This command's :func:`training_session` with ``epochs``, ``[start, start]``: entered
        once, its last epoch moved on with every model; None when the command trains nothing
        (the model saved is the one continued, or an initialisation).
    epochs : int
        The epoch the model has reached.
    digest : str
        The SHA-256 of the model's bytes.
    """
    if session is not None:
        if not any(s is session for s in record["sessions"]):
            record["sessions"].append(session)
        session["epochs"][1] = int(epochs)
    if [int(epochs), digest] not in record["models"]:
        record["models"].append([int(epochs), digest])


def write_training_info(path, record):
    """Write a training record (atomically), as :func:`add_model` left it."""
    atomic_write_text(path, json.dumps(dict(record, toolkit=provenance()), indent=1) + "\n")


def read_training_info(path):
    """A model's training record as a dict, or ``None`` when there is none (a model trained
    before the toolkit wrote it, or copied without it).

    Raises
    ------
    DataError
        When the path is no file that :func:`write_training_info` writes (not JSON, not text,
        a folder, wrong fields).
    """
    try:
        info = json.loads(Path(path).read_text())
        sessions, models = info["sessions"], info["models"]
        if not (all(isinstance(s.get(k), list) and all(isinstance(f, str) for f in s[k])
                    for s in sessions for k in ("trained", "evaluation"))
                and all(isinstance(s.get("epochs"), list) and len(s["epochs"]) == 2
                        and all(type(e) is int for e in s["epochs"]) for s in sessions)
                and all(isinstance(m, list) and len(m) == 2 and type(m[0]) is int
                        and isinstance(m[1], str) for m in models)):
            raise TypeError
    except FileNotFoundError:
        return None
    except OSError as e:
        raise DataError(f"{path}: cannot be read ({e.strerror or e})") from None
    except (ValueError, TypeError, KeyError, AttributeError):
        raise DataError(f"{path}: not a training record written by train.py (move it away to "
                        "train on: the new record then lists only what the training learns "
                        "from then on)") from None
    return info


def trained_files(record, digest):
    """The files that trained a model before it reached the weights of ``digest``.

    Parameters
    ----------
    record : dict
        A training record (:func:`read_training_info`).
    digest : str
        The SHA-256 of a model saved by that training.

    Returns
    -------
    list of str or None
        The ``trained`` files of every session that started before the model's epoch, in
        order, once each; None when the record holds no model of that SHA-256.
    """
    epochs = next((e for e, h in record["models"] if h == digest), None)
    if epochs is None:
        return None
    files = [f for s in record["sessions"] if s["epochs"][0] < epochs for f in s["trained"]]
    return list(dict.fromkeys(files))


def trained_pieces_scored(layout, pieces):
    """The scored pieces that the run's model was trained on, by its training record.

    Parameters
    ----------
    layout : RunLayout
        The run, whose ``conversion.json`` names the model that made its features.
    pieces : iterable of str
        The piece names scored.

    Returns
    -------
    model, record : Path or None
        The model file and the training record that describes the weights that made the
        features (the SHA-256 that ``conversion.json`` recorded, or else the file's); None
        when the run names no model (features without one, a run converted before
        ``conversion.json``) or no record beside it holds those weights.
    trained : list of str
        The pieces of ``pieces`` whose recording (by file name) trained those weights, sorted.
    """
    try:
        info = read_conversion_info(layout.conversion_info) or {}
    except DataError:
        return None, None, []                     # the extraction has said so already
    if not info.get("model"):
        return None, None, []
    model = recorded_path(info["model"], layout)
    try:
        digest = info.get("model_sha256") or (file_sha256(model) if model.is_file() else None)
        for path in sorted(model.parent.glob(TRAINING_INFO.format(data_type="*"))):
            files = trained_files(read_training_info(path), digest)
            if files is not None:
                names = {piece_name(f) for f in files}
                return model, path, sorted(set(pieces) & names)
    except (DataError, OSError) as e:
        log.warning("the training record of %s was not read: %s", model, e)
    return None, None, []
