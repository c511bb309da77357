"""File helpers: bz2-compressed pickles and atomic writes.

Everything a later step trusts (models, checkpoints, caches, features, matrices) is written to a
temporary file in the target's folder and then renamed over the target, so an interrupted run
never leaves a truncated file behind.
"""
import bz2
import contextlib
import glob
import os
import pickle
import re
import signal
import socket
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np

from .errors import DataError


def read_text(path):
    """A text file a user wrote (a list, a score, an annotation), decoded as UTF-8.

    A byte-order mark is dropped: Windows editors and Excel's "CSV UTF-8" write one, and it
    would otherwise become part of the first path or number.

    Raises
    ------
    DataError
        When the file cannot be read, or is not UTF-8 text (names the line and the byte).
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as e:                 # a config read by configobj said so; keep that
        raise DataError(f"{path}: cannot read ({e.strerror or type(e).__name__})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise DataError(f"{path}, line {line}: not UTF-8 text (byte 0x{raw[e.start]:02x}); "
                        "save it as UTF-8") from None


def _current_umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


_HOST = socket.gethostname().replace(".", "_")


def remove_stale_temporaries(path):
    """Delete the temporary files of ``path`` left by killed processes of this host.

    A process killed by SIGKILL (or the out-of-memory killer, or a job's time limit) never
    reaches its clean-up, and a matrix's temporary file may hold tens of GB. Its name,
    ``.NAME.HOST.PID.XXXX.tmp``, says which process wrote it: one of this host whose PID no
    longer runs is gone. Files of other hosts (a shared cluster disk) are left alone.

    Returns
    -------
    list of Path
        The files deleted.
    """
    path = Path(path)
    return _remove_stale(path.parent.glob(f".{glob.escape(path.name)}.{_HOST}.*.tmp"))


def remove_stale_temporaries_in(folder):
    """Delete every temporary file in ``folder`` and its subfolders (one level: a run's
    records) left by killed processes of this host (see :func:`remove_stale_temporaries`).

    A rerun that keeps a file's complete outputs never writes them again, so the temporary
    file that a killed ``--overwrite`` left beside them stayed: the commands sweep their run's
    folder when they start.

    Returns
    -------
    list of Path
        The files deleted.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    pattern = f".*.{_HOST}.*.tmp"
    return _remove_stale([*folder.glob(pattern), *folder.glob(f"*/{pattern}")])


def sweep_temporaries(layout):
    """:func:`remove_stale_temporaries_in` a run's folder, saying what it deleted."""
    import logging

    removed = remove_stale_temporaries_in(layout.dir)
    if removed:
        logging.getLogger(__name__).info(
            "deleted %s that killed runs left in %s (first: %s)",
            counted(len(removed), "temporary file"), layout.dir, removed[0].name)
    return removed


def _remove_stale(candidates):
    removed = []
    for tmp in candidates:
        # .NAME.HOST.PID.XXXX.tmp: mkstemp's XXXX holds no dot
        found = re.fullmatch(rf"\..+\.{re.escape(_HOST)}\.(\d+)\.[^.]+\.tmp", tmp.name)
        if found and not _running(int(found.group(1))):
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
                removed.append(tmp)
    return removed


def _running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:         # someone else's process
        return True
    return True


def file_in_the_way(folder):
    """The file that stands where ``folder``, or a folder above it, would be; else None.

    Only the nearest existing path counts (what lies below it does not exist yet): a run,
    cache or output folder there could not be made, and its first file failed with a
    traceback (``FileExistsError``, ``NotADirectoryError``).

    Parameters
    ----------
    folder : str or Path

    Returns
    -------
    Path or None
    """
    folder = Path(folder)
    for above in (folder, *folder.parents):
        if above.exists():
            return None if above.is_dir() else above
    return None


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; rename it to ``path`` if the block succeeds.

    Parameters
    ----------
    path : str or Path
        The final destination. Its folder is created when missing.

    Yields
    ------
    Path
        An empty file in ``path``'s folder, ``.NAME.HOST.PID.*.tmp``, with the usual
        permissions; deleted when the block raises.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{_HOST}.{os.getpid()}.", suffix=".tmp",
                               dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the usual permissions
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path, text):
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text)


def save_npy(path, array):
    """Save a numpy array to ``path`` (``.npy``) atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.save(f, array)


def save_figure(fig, path, **kwargs):
    """Save a matplotlib figure atomically and close it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or Path
        The image to write; its suffix names the format (``png`` when it has none).
    **kwargs
        Passed to ``Figure.savefig`` (``dpi``, ``bbox_inches``, ...).
    """
    import matplotlib.pyplot as plt

    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip(".") or "png", **kwargs)
    plt.close(fig)


def save_pyc_bz(obj, filename):
    """Pickle ``obj`` into a bz2-compressed file, atomically.

    Parameters
    ----------
    obj : object
        Anything picklable (typically a numpy array or a dict of arrays).
    filename : str or Path
        Destination, conventionally ending in ``.pyc.bz``.
    """
    with atomic_path(filename) as tmp:
        with bz2.BZ2File(tmp, "wb") as f:
            pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)


def load_pyc_bz(filename):
    """Load an object written by :func:`save_pyc_bz`.

    Parameters
    ----------
    filename : str or Path
        A ``.pyc.bz`` file.

    Returns
    -------
    object
        For the features written by ``convert.py``: an array whose ``[0]`` holds the
        vectors of the matrix, shape ``(2, windows, n_bases)`` (amplitudes, phases) for the
        CAE and ``(1, windows, dims)`` for the other kinds
        (:mod:`complex_auto.representations`).

    Raises
    ------
    DataError
        When the file is missing or is not a complete bz2 pickle (e.g. cut short).
    """
    if not Path(filename).is_file():
        raise DataError(f"{filename}: file does not exist")
    try:
        with bz2.BZ2File(filename, "rb") as f:
            return pickle.load(f)
    except (OSError, EOFError, pickle.UnpicklingError, ValueError) as e:
        raise DataError(f"{filename}: not a complete .pyc.bz file ({e})") from None


#: Seconds between updates of a progress bar written to a file or pipe rather than a
#: terminal: a batch job's log then gets a line every half minute, not ten a second.
LOG_INTERVAL = 30.0

# True in a worker process of progress_map: its bars are not drawn (see ignoring_interrupts)
_IN_WORKER = False


def counted(n, noun, plural=None):
    """``'1 piece'``, ``'5 pieces'``: a count and its noun, for messages.

    Parameters
    ----------
    n : int
    noun : str
        The singular.
    plural : str, optional
        For nouns that do not just add an ``s`` (``'batches'``).

    Returns
    -------
    str
        The singular only when ``n == 1`` (``'0 pieces'``).
    """
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def progress(iterable=None, **kwargs):
    """A tqdm bar on stderr: live on a terminal, every :data:`LOG_INTERVAL` s in a log.

    tqdm redraws up to ten times a second wherever stderr goes, which fills a redirected
    log with thousands of carriage-return updates; the first and last states are kept
    either way. In a log a bar is also kept when it closes (``leave=False`` clears it from a
    terminal only): cleared, its last drawn state was its first, and the log read "0/44" for
    work that was done. ``kwargs`` go to ``tqdm`` (``desc``, ``unit``, ``total``, ...).
    In a worker of :func:`progress_map` the bar is not drawn: the main process's bar counts
    the items.
    """
    from tqdm import tqdm

    if _IN_WORKER:
        kwargs["disable"] = True
    stream = kwargs.get("file") or sys.stderr
    if not (hasattr(stream, "isatty") and stream.isatty()):
        kwargs.setdefault("mininterval", LOG_INTERVAL)
        kwargs["leave"] = True
    return tqdm(iterable, **kwargs)


def progress_map(fn, items, jobs=1, desc=None, unit="file", initializer=None, initargs=()):
    """``[fn(item) for item in items]`` with a tqdm bar, in ``jobs`` processes when > 1.

    Results keep the order of ``items``. The first exception raised by ``fn`` propagates.

    Parameters
    ----------
    fn : callable
        Picklable (a module-level function or a ``functools.partial`` of one) when
        ``jobs > 1``.
    items : iterable
    jobs : int
        Worker processes, at most one per item; with ``jobs <= 1`` or a single item, ``fn``
        runs in this process, with no pool to start.
    desc, unit : str
        Label and unit of the progress bar.
    initializer : callable, optional
        ``initializer(*initargs)`` runs once in every worker, or once here when ``fn`` does.
    initargs : tuple

    Returns
    -------
    list
    """
    items = list(items)
    if jobs <= 1 or len(items) <= 1:
        if initializer is not None:
            initializer(*initargs)
        with progress(items, desc=desc, unit=unit) as bar:  # closed (newline) also on errors
            return [fn(item) for item in bar]
    from concurrent.futures import ProcessPoolExecutor, as_completed

    results = [None] * len(items)
    pool = ProcessPoolExecutor(min(jobs, len(items)), mp_context=pool_context(),
                               initializer=ignoring_interrupts,
                               initargs=worker_start(initializer, initargs))
    try:
        with interrupts_ignored():       # the workers start (fork) here, and inherit it
            futures = {pool.submit(fn, item): i for i, item in enumerate(items)}
        with progress(as_completed(futures), total=len(items), desc=desc, unit=unit) as bar:
            for fut in bar:
                results[futures[fut]] = fut.result()
    except BaseException:
        # Ctrl-C, or an item's error: start no other item, and stop those running now (their
        # outputs are written under temporary names, so nothing half-written is left)
        processes = list((pool._processes or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join()
        raise
    pool.shutdown()
    return results


def pool_context():
    """The ``multiprocessing`` context of the worker pools: ``fork`` on Linux, where the
    workers inherit what the main process loaded (compiled searches, torch), else the
    platform's default (``spawn`` on macOS, where forking is unsafe, and Windows, which has no
    fork); the outputs are the same."""
    import multiprocessing

    return multiprocessing.get_context("fork" if sys.platform.startswith("linux") else None)


def worker_start(initializer=None, initargs=()):
    """``initargs`` of :func:`ignoring_interrupts` for a pool started here: the worker's own
    ``initializer(*initargs)``, and this process's logging level when a command set its logging
    up (None otherwise)."""
    import logging

    root = logging.getLogger()
    return initializer, initargs, root.level if root.handlers else None


def ignoring_interrupts(initializer=None, initargs=(), log_level=None):
    """A worker process's start: Ctrl-C (SIGINT, sent to the whole process group) is left to
    the main process, which stops the workers itself; each worker interrupted on its own went
    on with the next item, printed its traceback, or left the pool waiting for it for good.

    A spawned worker (macOS, Windows) starts without the command's logging: with ``log_level``
    (:func:`worker_start`) it is set up as the command's, so the worker's messages are shown.
    """
    import logging

    import tqdm

    global _IN_WORKER
    if log_level is not None and not logging.getLogger().handlers:
        from .cli import setup_logging

        setup_logging(verbose=log_level <= logging.DEBUG)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)   # not the command's handler: terminate() kills
    # A worker's first progress bar (drawn or not) made tqdm's lock a named semaphore, which a
    # worker stopped by terminate() never released: spawned workers left "leaked semaphore"
    # warnings after the one-line error.
    tqdm.tqdm.set_lock(threading.RLock())
    # Nor do workers draw bars: several processes' bars overwrote each other on a terminal,
    # and in a log the unfinished line of a worker stopped on another's error ("b:   0%|")
    # was continued by the one-line error.
    _IN_WORKER = True
    if initializer is not None:
        initializer(*initargs)


@contextlib.contextmanager
def interrupts_ignored():
    """Hold SIGINT back (and leave SIGTERM to its default) while worker processes are forked,
    so that none is interrupted, or kept alive by the command's SIGTERM handler, before its
    initializer (:func:`ignoring_interrupts`) runs; the main thread only.

    A Ctrl-C that comes meanwhile is delivered when the block ends: ignored, it was lost, and
    a busy machine's pool (whose workers start while items are still being handed out) then
    ran to its end."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
    term = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.signal(signal.SIGTERM, term)
    if held:
        signal.raise_signal(signal.SIGINT)


def default_jobs():
    """Worker processes for per-file work: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


@contextlib.contextmanager
def native_stderr_silenced():
    """Silence what C libraries print on stderr: mpg123 (through libsndfile) reports harmless
    bit-reservoir errors after every seek into an MP3. Python's own writes to ``sys.stderr``
    before the block are flushed first; nothing is silenced where stderr is no file (captured).
    """
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # no real stderr (e.g. captured)
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)
