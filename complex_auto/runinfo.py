"""What a run records about how its features, patterns and models were made
(``conversion.json``, ``extraction.json``, ``training_{data_type}.json``).

The extractor needs the duration of a matrix frame, which depends on the CQT hop, the sample
rate and the window step that conversion used; reading it here, rather than assuming the
reference's 0.0886 s, keeps ``--step-size 2`` runs and other configs in time. The report finds
each piece's recording through ``files``.

``conversion.json``::

    {"sr": 22050, "hop_length": 1984, "step": 1, "length_ngram": 32,
     "frame_seconds": 0.08997..., "features": "cae", "model": "models/...save",
     "weights_sha256": "58d1...",
     "toolkit": {"version": "0.1.0", "commit": "c7c4e8e...", "modified": false},
     "files": [{"piece": "mazurka24-4-poly", "audio": "data/jku/audio/...mp3",
                "features": "output/RUN/...pyc.bz", "matrix": "output/RUN/...npy" or null,
                "bpm": 138 or null}, ...],
     "too_short": ["data/clip.wav"]}           (only when a listed recording is too
                                                short for one window: it has no features)

``toolkit`` (:func:`provenance`) says which code wrote the record, as ``extraction.json``'s
does; it is not a setting, so no rerun compares it.

What ``train.py`` records about what a model learned from (``training_{data_type}.json``
beside the model, written before each model it saves)::

    {"data_type": "cqt",
     "sessions": [{"filelist": "filelist_audio.txt",
                   "trained": ["data/jku/audio/wtc2f20-poly.mp3", ...],
                   "evaluation": ["data/jku/audio/sonata04-2-poly.mp3"],
                   "epochs": [0, 68], "from": null}],
     "models": [[1, "9f2c...", 0], ..., [68, "777e...", 0]], "toolkit": {...}}

A session is one ``train.py`` command that trained at least one epoch: its list, the files
that trained and those that gave only the evaluation loss (:func:`training_session`), the
epochs it trained, from and to, and the weights it started from (``from``: their
:func:`weights_sha256`, null for a fresh model). ``models`` holds the epoch, weights digest and
session of every model saved (null: trained by none, as an initialisation). A model's training
is the chain of sessions back from it (:func:`trained_files`): after more training, or a
resume from older weights, each model keeps its own. ``conversion.json`` records the digest of
the weights that made the features, and the evaluation reads the record that holds them to
say when a run scores pieces its model was trained on (:func:`trained_pieces_scored`): such
scores do not measure unseen music.
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
        Further keys (``features`` kind, ``model`` path and ``weights_sha256``, the digest
        of the weights that made the features, :func:`weights_sha256`; ...).
    """
    info = {"sr": cfg["sr"], "hop_length": cfg["hop_length"], "step": int(step),
            "length_ngram": cfg["length_ngram"], "frame_seconds": frame_seconds(cfg, step)}
    info.update(extra)
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


def read_extraction(layout, missing_ok=False):
    """A run's ``extraction.json``, which every reader of extracted patterns needs.

    Parameters
    ----------
    layout : RunLayout
    missing_ok : bool
        Return ``{}`` for a run never extracted (the report of converted features) instead
        of raising.

    Returns
    -------
    dict
        ``method``, ``pieces`` (one dict per piece: its matrix, tempo, score, audio start) and
        the run's settings, as :func:`complex_auto.patterns.extract_run` writes them.

    Raises
    ------
    DataError
        When the run has not been through ``extract_motives.py`` (unless ``missing_ok``), or
        the file is not the record it writes (cut short, edited).
    """
    path = layout.extraction_info
    if not path.is_file():
        if missing_ok:
            return {}
        raise DataError(f"{path}: missing; run extract_motives.py {layout.run} first")
    try:
        info = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise DataError(f"{path}: unreadable ({e}); run extract_motives.py {layout.run} "
                        "again") from None
    missing = [k for k in ("method", "pieces") if not isinstance(info, dict) or k not in info]
    if missing:
        raise DataError(f"{path}: no '{missing[0]}'; not written by extract_motives.py? run "
                        f"it again for {layout.run}")
    return info


#: (folder, pieces) already warned about, so that a run read in several ways warns once.
_LEFT_OUT_SAID = set()


def last_extraction(layout, files, info=None):
    """The files of the pieces of a run's last extraction; the others are left out, said once.

    A run's folder keeps the files of pieces that an earlier extraction listed and the last one
    did not (a list cut short, another data set converted into a run of the same name): they
    are not the run's estimates, and scoring or showing them would mix two data sets.

    Parameters
    ----------
    layout : RunLayout
    files : dict
        piece name → path of the run's files of one kind (``.seg``, ``.patterns.csv``).
    info : dict, optional
        :func:`read_extraction` ``(layout, missing_ok=True)``, when the caller has read it
        already; read here otherwise.

    Returns
    -------
    kept : dict
        ``files`` less the pieces not in ``extraction.json``; all of them when the run was never
        extracted.
    stale : list of str
        The pieces left out, sorted.

    Raises
    ------
    DataError
        When ``extraction.json`` is not the record that ``extract_motives.py`` writes.
    """
    if info is None:
        info = read_extraction(layout, missing_ok=True)
    if not info:
        return dict(files), []
    extracted = {p.get("piece") for p in info["pieces"] if isinstance(p, dict)}
    stale = sorted(set(files) - extracted)
    if stale and (str(layout.dir), tuple(stale)) not in _LEFT_OUT_SAID:
        _LEFT_OUT_SAID.add((str(layout.dir), tuple(stale)))
        log.warning("%s: left out %s: not among the pieces of its last extraction "
                    "(extraction.json), so from an earlier one", layout.dir,
                    ", ".join(Path(files[s]).name for s in stale))
    return {p: f for p, f in files.items() if p in extracted}, stale


def recorded_path(path, layout):
    """A path recorded in a run's files: as given, else relative to the folder that holds
    ``output/`` (runs record paths as the command line gave them)."""
    p = Path(path)
    if p.is_absolute() or p.exists():
        return p
    alt = layout.root.parent / p         # not dir.parent.parent: runs nest (RUN/KIND/METHOD)
    return alt if alt.exists() else p


def weights_sha256(state):
    """The SHA-256 of a model's weights: names, dtypes, shapes and values.

    Of the values, not of a file: the same weights give the same digest on the CPU or a GPU,
    and however ``torch.save`` wrote them.

    Parameters
    ----------
    state : dict
        A state dict, name → tensor.

    Returns
    -------
    str
        Hexadecimal.
    """
    digest = hashlib.sha256()
    for name in sorted(state):
        tensor = state[name].detach().cpu().contiguous()
        digest.update(f"{name}:{tensor.dtype}:{tuple(tensor.shape)}:".encode())
        digest.update(tensor.numpy().tobytes())
    return digest.hexdigest()


def training_session(cfg, filelist, skipped=(), evaluated=None):
    """What one ``train.py`` command trains on, for the model's training record.

    Parameters
    ----------
    cfg : dict
        The training config (``data_type``, ``test_data``).
    filelist : str or Path
        The training list (not read for ``mnist``, whose digits come with the toolkit).
    skipped : sequence of str or Path
        Files of the list that training leaves out (silent or too short:
        :attr:`complex_auto.data.TrainingData.skipped`): not counted as trained.
    evaluated : sequence of str or Path, optional
        The files that give the evaluation loss when they are not the list's split
        (:attr:`complex_auto.data.TrainingData.evaluated`: evaluation files left out, or
        the training files in their place).

    Returns
    -------
    dict
        ``filelist`` (None for digits), ``trained`` and ``evaluation``: paths as
        :func:`complex_auto.convert.record_path` writes them. The files that give only the
        evaluation loss are the list's last fifth (:func:`complex_auto.filelist.held_out`) or
        those of ``test_data``. With files skipped, ``skipped`` lists them.
    """
    from .convert import record_path
    from .filelist import held_out, read_filelist

    if cfg["data_type"] == "mnist":
        return {"filelist": None, "trained": [], "evaluation": []}
    files = [record_path(f) for f in read_filelist(filelist)]
    n_eval = held_out(files, cfg.get("test_data"))
    evaluation = ([record_path(f) for f in read_filelist(cfg["test_data"], check_exists=False)]
                  if cfg.get("test_data") else files[len(files) - n_eval:])
    if evaluated is not None:
        evaluation = [record_path(f) for f in evaluated]
    left = {record_path(f) for f in skipped}
    session = {"filelist": record_path(filelist),
               "trained": [f for f in files[:len(files) - n_eval] if f not in left],
               "evaluation": evaluation}
    if left:
        session["skipped"] = [f for f in files[:len(files) - n_eval] if f in left]
    return session


def start_training_record(path, data_type, continued=None):
    """The record a training adds its sessions and models to.

    Parameters
    ----------
    path : Path
        The run's ``training_{data_type}.json`` (``RunLayout.training_info``).
    data_type : str
    continued : str, optional
        The :func:`weights_sha256` of the weights the training continues (``--resume``, or a
        model file continued at ``start_epoch``); None for a fresh model.

    Returns
    -------
    dict
        The run's record, or a new one when there is none or it does not hold the weights
        continued (with a warning: what trained them is then unknown).

    Raises
    ------
    DataError
        When the run's record is not one that :func:`write_training_info` writes.
    """
    previous = read_training_info(path)
    if previous is not None and (continued is None
                                 or any(m[1] == continued for m in previous["models"])):
        return previous                  # a fresh model's sessions stand apart in it
    if continued is not None:
        log.warning("the weights continued are in no training record (%s): it will list "
                    "what trains them from now on, not what trained them before", path)
    return {"data_type": data_type, "sessions": [], "models": []}


def add_model(record, session, epochs, digest):
    """Enter a model about to be saved into ``record`` (in place).

    Parameters
    ----------
    record : dict
        From :func:`start_training_record`.
    session : dict or None
        This command's :func:`training_session` with ``epochs`` ``[start, start]`` and
        ``from`` (the digest of the weights it started from, or None): entered at its first
        model, its last epoch moved on with every one; None when the command trains nothing
        (the model saved is the one continued, or an initialisation).
    epochs : int
        The epoch the model has reached.
    digest : str
        The model's :func:`weights_sha256`.
    """
    index = None
    if session is not None:
        index = next((k for k, s in enumerate(record["sessions"]) if s is session), None)
        if index is None:
            record["sessions"].append(session)
            index = len(record["sessions"]) - 1
        session["epochs"][1] = int(epochs)
    if not any(m[1] == digest and (index is None or m[2] == index) for m in record["models"]):
        record["models"].append([int(epochs), digest, index])


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
                        and all(type(e) is int for e in s["epochs"])
                        and (s.get("from") is None or isinstance(s["from"], str))
                        for s in sessions)
                and all(isinstance(m, list) and len(m) == 3 and type(m[0]) is int
                        and isinstance(m[1], str)
                        and (m[2] is None or type(m[2]) is int and 0 <= m[2] < len(sessions))
                        for m in models)):
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
    """The files that trained the weights of ``digest``: its sessions, back to a fresh model.

    Parameters
    ----------
    record : dict
        A training record (:func:`read_training_info`).
    digest : str
        A model's :func:`weights_sha256`.

    Returns
    -------
    files : list of str or None
        The ``trained`` files of the chain of sessions that led to the weights, the earliest
        first, once each; None when the record holds no model of that digest.
    complete : bool
        False when the chain starts from weights the record does not hold (a resume of a
        model that had no record): what trained those is unknown.
    """
    def made_by(h):
        # the session that saved the weights h; None: an initialisation, trained by none;
        # -1: weights saved without their training (a model continued that had no record)
        entries = [m for m in record["models"] if m[1] == h]
        trained = [m[2] for m in entries if m[2] is not None]
        if trained:
            return trained[-1]
        return None if entries and all(m[0] == 0 for m in entries) else -1

    if not any(m[1] == digest for m in record["models"]):
        return None, True
    chain, index = [], made_by(digest)
    while index not in (None, -1) and all(s is not record["sessions"][index] for s in chain):
        chain.append(record["sessions"][index])
        start = chain[-1].get("from")
        index = None if start is None else made_by(start)
    files = [f for s in reversed(chain) for f in s["trained"]]
    return list(dict.fromkeys(files)), index != -1


def trained_pieces_scored(layout, pieces):
    """The scored pieces that the run's model was trained on, by its training record.

    Parameters
    ----------
    layout : RunLayout
        The run, whose ``conversion.json`` names the model that made its features and the
        digest of its weights (``weights_sha256``).
    pieces : iterable of str
        The piece names scored.

    Returns
    -------
    model, record : Path or None
        The model file and the training record beside it that holds those weights; None when
        the run names no model (features without one, a run converted before the digest was
        recorded) or no record beside it holds them.
    trained : list of str
        The pieces of ``pieces`` whose recording (by file name) trained those weights, sorted.
    complete : bool
        False when the record does not know all that trained them (:func:`trained_files`).
    """
    try:
        info = read_conversion_info(layout.conversion_info) or {}
    except DataError:
        return None, None, [], True               # the extraction has said so already
    if not info.get("model") or not info.get("weights_sha256"):
        return None, None, [], True
    model = recorded_path(info["model"], layout)
    for path in sorted(model.parent.glob(TRAINING_INFO.format(data_type="*"))):
        try:
            record = read_training_info(path)
        except DataError as e:
            log.warning("a training record beside %s was not read: %s", model, e)
            continue
        files, complete = (None, True) if record is None else trained_files(
            record, info["weights_sha256"])       # None: removed since the folder was listed
        if files is not None:
            names = {piece_name(f) for f in files}
            return model, path, sorted(set(pieces) & names), complete
    return None, None, [], True
