"""Memory and disk checks made before a big step starts, so that it stops with a message
instead of crashing the machine.

A step estimates what it needs (from the number of frames and the dtypes it will hold) and
calls :func:`check_memory` (or :func:`check_disk`) first. The memory at hand is the kernel's
``MemAvailable`` (``/proc/meminfo``; on other systems the physical memory), capped by the
environment variable ``COMPLEX_AUTO_MAX_MEMORY`` when set (e.g. ``2G``, ``500M``): a shared
machine or a cluster job with a memory limit sets it to its share, and the tests use it to
stand for a small machine.
"""
import ctypes
import math
import os
import shutil

import numba
import numpy as np

from .errors import ComplexAutoError

#: Environment variable capping the memory that steps may plan to use (``2G``, ``512M``, bytes).
MAX_MEMORY_ENV = "COMPLEX_AUTO_MAX_MEMORY"
_UNITS = {"": 1, "B": 1, "K": 2 ** 10, "M": 2 ** 20, "G": 2 ** 30, "T": 2 ** 40}


class MemoryLimitError(ComplexAutoError):
    """A step would need more memory (or disk) than there is; raised before it starts."""


def parse_size(text):
    """``'2G'``, ``'512M'``, ``'1.5g'``, ``'1000000'`` → bytes (binary units).

    Raises
    ------
    ComplexAutoError
        When ``text`` is not a size.
    """
    s = str(text).strip().upper().removesuffix("IB").removesuffix("B")
    unit = s[-1:] if s[-1:] in _UNITS else ""
    try:
        value = float(s[:len(s) - len(unit)])
    except ValueError:
        raise ComplexAutoError(f"{MAX_MEMORY_ENV}={text!r}: not a size (e.g. 2G, 512M)") from None
    if not math.isfinite(value) or value <= 0:
        raise ComplexAutoError(f"{MAX_MEMORY_ENV}={text!r}: must be positive and finite")
    return int(value * _UNITS[unit])


def format_size(n):
    """Bytes as a short human string: ``'1.6 GB'``, ``'340 MB'`` (binary units)."""
    for unit, scale in (("TB", 2 ** 40), ("GB", 2 ** 30), ("MB", 2 ** 20), ("kB", 2 ** 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}" if n < 10 * scale else f"{n / scale:.0f} {unit}"
    return f"{int(n)} bytes"


def system_available():
    """Memory the kernel says new work can take, in bytes (``MemAvailable``)."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 2 ** 62


def available_memory():
    """Bytes a step may plan to use: ``MemAvailable``, capped by ``COMPLEX_AUTO_MAX_MEMORY``.

    Returns
    -------
    available : int
    capped : bool
        True when the environment variable set the figure.
    """
    avail = system_available()
    cap = os.environ.get(MAX_MEMORY_ENV)
    if cap:
        limit = parse_size(cap)
        if limit < avail:
            return limit, True
    return avail, False


def fits_in_memory(need):
    """Whether ``need`` bytes fit in :func:`available_memory`."""
    return need <= available_memory()[0]


def check_memory(need, what, hint):
    """Stop before a step that needs more memory than is available.

    Parameters
    ----------
    need : int
        Estimated peak bytes of the step.
    what : str
        The step, for the message (``'mazurka.mp3: the self-similarity matrix'``).
    hint : str
        What the user can do instead.

    Raises
    ------
    MemoryLimitError
        One line: what, how much it needs, how much there is, and the hint.
    """
    avail, capped = available_memory()
    if need > avail:
        source = f" ({MAX_MEMORY_ENV})" if capped else ""
        raise MemoryLimitError(f"{what} needs {format_size(need)} of memory but "
                               f"{format_size(avail)} is available{source}; {hint}")


def check_disk(need, folder, what, hint):
    """Stop before writing ``need`` bytes into ``folder`` when its disk has less free space.

    Parameters
    ----------
    need : int
        Estimated bytes the step writes.
    folder : str or Path
        An existing folder on the disk written to.
    what : str
        The step, for the message.
    hint : str
        What the user can do instead.

    Raises
    ------
    MemoryLimitError
        One line: what, how much it needs, how much is free, and the hint.
    """
    free = shutil.disk_usage(folder).free
    if need > free:
        raise MemoryLimitError(f"{what} needs {format_size(need)} of disk in {folder} but "
                               f"{format_size(free)} is free; {hint}")


def read_rows(X, lo, hi):
    """Rows ``lo:hi`` of ``X`` as a new array. A memory-mapped ``X`` is read with plain file
    reads: pages touched through the map would count as this process's memory.

    Parameters
    ----------
    X : np.ndarray or np.memmap, shape (N, M)
        A memory map must be C-ordered and start at row 0 of its file's data (as
        ``np.load(path, mmap_mode='r')`` gives).
    lo, hi : int
        First row and the row after the last, ``0 <= lo <= hi <= N``.

    Returns
    -------
    np.ndarray, shape (hi - lo, M), dtype of ``X``
    """
    filename = getattr(X, "filename", None)
    if filename is None:
        return np.array(X[lo:hi])
    n = X.shape[1]
    with open(filename, "rb") as f:
        f.seek(X.offset + lo * n * X.dtype.itemsize)
        return np.fromfile(f, dtype=X.dtype, count=(hi - lo) * n).reshape(hi - lo, n)


# pread(2) for numba: reading a few values of many rows through a memory map would touch (and
# keep resident) a page, or the kernel's fault-around of 16 pages, per row.
_pread = ctypes.CDLL(None, use_errno=True).pread
_pread.argtypes = (ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int64)
_pread.restype = ctypes.c_ssize_t


@numba.njit(nogil=True)      # not cached: calls pread through a ctypes pointer
def _pread_rows(fd, start, stride, out):
    for r in range(out.shape[0]):
        if _pread(fd, out[r].ctypes.data, out.shape[1], start + r * stride) != out.shape[1]:
            return False
    return True


def read_columns(X, rows, cols):
    """``X[rows, cols]`` of a memory-mapped C-ordered matrix as a new array, one ``pread`` per
    row, so that memory holds the result only.

    Parameters
    ----------
    X : np.memmap, shape (N, M)
        Any C-ordered 2-D memory map (e.g. ``np.load(path, mmap_mode='r')``).
    rows, cols : slice
        With steps of 1 (other steps are ignored).

    Returns
    -------
    np.ndarray, shape (rows, cols), dtype of ``X``

    Raises
    ------
    OSError
        When the file holds fewer bytes than the map says.
    """
    r0, r1, _ = rows.indices(X.shape[0])
    c0, c1, _ = cols.indices(X.shape[1])
    out = np.empty((max(r1 - r0, 0), max(c1 - c0, 0)), X.dtype)
    if out.size:
        item = X.dtype.itemsize
        fd = os.open(X.filename, os.O_RDONLY)
        try:
            ok = _pread_rows(fd, X.offset + (r0 * X.shape[1] + c0) * item, X.shape[1] * item,
                             out.view(np.uint8).reshape(len(out), -1))
        finally:
            os.close(fd)
        if not ok:
            raise OSError(f"{X.filename}: short read")
    return out
