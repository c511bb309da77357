"""Checks of the arguments of the toolkit's functions.

Each returns the value in the form the caller computes with, or raises
:class:`~complex_auto.errors.ParameterError` with one line naming the argument and what is
wrong with it: the same message in a notebook as on the command line, instead of a
``ZeroDivisionError`` three calls deeper, a loop that never ends or a silently wrong result.
"""
import math
import numbers

import numpy as np

from .errors import ParameterError


def integer(value, name, minimum=1):
    """``value`` as an ``int`` of at least ``minimum`` (a float is refused: ``2.5`` frames is
    a mistake, not a request to round)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ParameterError(f"{name} must be an integer, not {value!r}")
    if value < minimum:
        raise ParameterError(f"{name} must be at least {minimum}, not {value}")
    return int(value)


def number(value, name, positive=False):
    """``value`` as a finite ``float`` (and ``> 0`` with ``positive``)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be a number, not {value!r}") from None
    if not math.isfinite(x):
        raise ParameterError(f"{name} must be a finite number, not {value!r}")
    if positive and x <= 0:
        raise ParameterError(f"{name} must be above 0, not {value!r}")
    return x


def share(value, name):
    """``value`` as a ``float`` in (0, 1]: a probability or a share of something."""
    x = number(value, name)
    if not 0 < x <= 1:
        raise ParameterError(f"{name} must lie in (0, 1], not {value!r}")
    return x


def array(x, name, ndim=None, dtype=np.float64):
    """``x`` as a NumPy array of finite numbers (``dtype``), of ``ndim`` dimensions.

    The first non-finite entry is named by its index, so a NaN in a long feature sequence
    can be found, instead of spreading through a matrix product to every value.
    """
    try:
        a = np.asarray(x, dtype=dtype)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} must be an array of numbers") from None
    if ndim is not None and a.ndim != ndim:
        raise ParameterError(f"{name} must have {ndim} dimension{'s' * (ndim > 1)}, "
                             f"not shape {a.shape}")
    if np.issubdtype(a.dtype, np.inexact):
        bad = ~np.isfinite(a)
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ParameterError(f"{name} holds {a[where]} at index "
                                 f"{where[0] if len(where) == 1 else where}: "
                                 "every value must be a finite number")
    return a


def score(notes, name="score", columns=2):
    """``notes`` as a score array, shape ``(notes, >= columns)``: onsets in beats, MIDI
    pitches (and durations), as :func:`complex_auto.jku.read_score_csv` reads them."""
    a = array(notes, name, ndim=2)
    if a.shape[1] < columns:
        raise ParameterError(f"{name} must have at least {columns} columns (onset, pitch"
                             f"{', duration' if columns > 2 else ''}), not shape {a.shape}")
    return a


#: How to get :func:`patterns`' layout from the other finder's output.
_FAMILIES_HINT = ("; complex_auto.families.find_patterns gives (score, spans) pairs, which "
                  "complex_auto.patterns.families_to_patterns turns into these")


def patterns(found, name="patterns"):
    """``found`` as a list of ``(occurrences, 4)`` arrays of frames, rows ``[i0, i1, j0, j1]``:
    the layout of :func:`complex_auto.nf14.group_patterns` that every writer reads (the
    occurrence's own span in columns 2 and 3)."""
    out = []
    for k, pattern in enumerate(found):
        try:
            a = np.asarray(pattern)
        except (TypeError, ValueError):
            a = None
        if a is None or a.ndim != 2 or a.shape[1] != 4 or not np.issubdtype(a.dtype, np.number):
            shape = "" if a is None else f", not shape {a.shape}"
            # what families.find_patterns gives: (score, spans) pairs, or their (n, 2) spans
            hint = _FAMILIES_HINT if a is None or a.shape[-1:] == (2,) else ""
            raise ParameterError(f"{name}[{k}] must be an array of shape (occurrences, 4) "
                                 f"(rows [i0, i1, j0, j1]){shape}{hint}")
        out.append(array(a, f"{name}[{k}]", dtype=a.dtype))
    return out


def settings(cfg, integers=(), numbers=(), name="cfg"):
    """``cfg`` with each key of ``integers`` a positive integer and of ``numbers`` a positive
    number; a missing key is named, not a ``KeyError`` from deep inside a computation."""
    missing = [k for k in (*integers, *numbers) if k not in cfg]
    if missing:
        raise ParameterError(f"{name} lacks {', '.join(repr(k) for k in missing)}")
    for k in integers:
        integer(cfg[k], f"{name}[{k!r}]")
    for k in numbers:
        number(cfg[k], f"{name}[{k!r}]", positive=True)
    return cfg
