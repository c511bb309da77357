"""What ``convert.py`` records about how a run's features were made (``conversion.json``).

The extractor needs the duration of a matrix frame, which depends on the CQT hop, the sample
rate and the window step that conversion used; reading it here, rather than assuming the
reference's 0.0886 s, keeps ``--step-size 2`` runs and other configs in time. The report finds
each piece's recording through ``files``.

``conversion.json``::

    {"sr": 22050, "hop_length": 1984, "step": 1, "length_ngram": 32,
     "frame_seconds": 0.08997..., "features": "cae", "model": "models/...save",
     "toolkit": {"version": "0.1.0", "commit": "c7c4e8e...", "modified": false},
     "files": [{"piece": "mazurka24-4-poly", "audio": "data/jku/audio/...mp3",
                "features": "output/RUN/...pyc.bz", "matrix": "output/RUN/...npy" or null,
                "bpm": 138 or null}, ...]}

``toolkit`` (:func:`provenance`) says which code wrote the record, as ``extraction.json``'s
does; it is not a setting, so no rerun compares it.
"""
import functools
import json
import subprocess
from pathlib import Path

from .errors import DataError
from .utils import atomic_write_text


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
        Further keys (``features`` kind, ``model`` path, ...).
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


def recorded_path(path, layout):
    """A path recorded in a run's files: as given, else relative to the folder that holds
    ``output/`` (runs record paths as the command line gave them)."""
    p = Path(path)
    if p.is_absolute() or p.exists():
        return p
    alt = layout.root.parent / p         # not dir.parent.parent: runs nest (RUN/KIND/METHOD)
    return alt if alt.exists() else p
