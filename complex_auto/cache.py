"""The preprocessing cache: one bz2 pickle per file list and data setting, in ``cache_dir``.

A cache file is named after the file list and a hash of everything its content depends on
(the listed files with their sizes and modification times, and the data parameters), so a
changed list or parameter never silently reuses stale data. ``--refresh-cache`` (or
``rebuild = True``) rebuilds it anyway. A cache file that cannot be read is rebuilt with a
warning.
"""
import hashlib
import json
import logging
import os
from pathlib import Path

from .errors import ConfigError
from .utils import file_in_the_way, load_pyc_bz, save_pyc_bz

log = logging.getLogger(__name__)


def cache_key(files, params):
    """A short hash of the files (path, size, mtime) and ``params`` (a JSON-able dict).

    Parameters
    ----------
    files : sequence of str or Path
        The listed files, in order; a change of order, size or whole-second mtime changes
        the key.
    params : dict
        The data settings the cached content depends on.

    Returns
    -------
    str
        The first 12 hex digits of a SHA-1.

    Raises
    ------
    OSError
        When a file is missing or its metadata cannot be read (``os.stat``).
    """
    stamp = []
    for f in files:
        st = os.stat(f)
        stamp.append([str(f), st.st_size, int(st.st_mtime)])
    blob = json.dumps({"files": stamp, "params": params}, sort_keys=True)
    return hashlib.sha1(blob.encode()).hexdigest()[:12]


def cache_path(cache_dir, list_name, kind, key):
    """``cache_dir/LISTNAME_KIND_KEY.pyc.bz``.

    Parameters
    ----------
    cache_dir : str or Path
        Folder of the cache (the config's ``cache_dir``).
    list_name : str or Path
        The file list; only its file name goes into the cache file's name.
    kind : str
        What is cached (``'cqt'``, ``'signal'``), so that caches of one list do not collide.
    key : str
        :func:`cache_key` of the list's files and settings.

    Returns
    -------
    Path
    """
    return Path(cache_dir) / f"{Path(list_name).name}_{kind}_{key}.pyc.bz"


def check_not_a_file(folder):
    """Raise when a file stands where the cache folder, or a folder above it, would be.

    The config checks this when it is loaded and :func:`make_cache_dir` again before the
    first write, so that a file is named rather than mkdir's errno ('Not a directory').

    Parameters
    ----------
    folder : str or Path
        The config's ``cache_dir``, as given.

    Raises
    ------
    ConfigError
        Naming the file.
    """
    blocking = file_in_the_way(folder)
    if blocking is not None:
        where = "is a file" if blocking == Path(folder) else f"lies in {blocking}, a file"
        raise ConfigError(f"key 'cache_dir' = '{folder}' {where}, not a folder")


def make_cache_dir(folder):
    """Create the cache folder when missing, or say in one line why it cannot be one.

    Parameters
    ----------
    folder : str or Path
        The config's ``cache_dir``.

    Raises
    ------
    ConfigError
        When ``folder`` (or a folder above it) is a file, or cannot be created or written.
    """
    check_not_a_file(folder)
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"key 'cache_dir' = '{folder}': cannot create the folder "
                          f"({e.strerror or e})") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(f"key 'cache_dir' = '{folder}': the folder is not writable")


def cached(path, build, refresh=False):
    """Return the object cached at ``path``, building and saving it when needed.

    Parameters
    ----------
    path : Path
        The cache file.
    build : callable
        Called with no arguments to compute the object.
    refresh : bool
        Rebuild even when the cache file is readable.

    Returns
    -------
    object
        The cached object, or what ``build`` returned (then saved at ``path``).

    Raises
    ------
    ConfigError
        When the folder of ``path`` (the config's ``cache_dir``) is a file or cannot be
        created; checked before ``build`` runs, so no work is lost.
    """
    path = Path(path)
    make_cache_dir(path.parent)
    if path.exists() and not refresh:
        try:
            obj = load_pyc_bz(path)
            log.info("using cached data %s", path)
            return obj
        except Exception as e:  # truncated bz2, bad pickle, ...
            log.warning("cache file %s is corrupt (%s); rebuilding it", path,
                        type(e).__name__)
    obj = build()
    save_pyc_bz(obj, path)
    return obj
