"""Splitting a file list into parts for a cluster job array, and skipping finished work.

``--shard K/N`` gives the K-th of N parts of a list *by position* (contiguous runs of lines,
part sizes differing by at most one), so every line lands in exactly one part whatever the
list holds. A file counts as done when all its outputs exist, each written atomically (under
a temporary name, then renamed), so a killed job leaves either a whole output or none; a
re-run of the same part redoes only what is missing.
"""
import argparse
import re

from .errors import ComplexAutoError

SHARD_HELP = ("process only the K-th of N parts of the list (by position, K = 1..N), e.g. "
              "--shard $SLURM_ARRAY_TASK_ID/8 in a job array")
OVERWRITE_HELP = ("redo files whose outputs already exist (default: skip those made from the same input with the same settings, as the record beside them says, and newer than their inputs)")


def parse_shard(text):
    """``'K/N'`` → ``(K, N)`` with ``1 <= K <= N``.

    Raises
    ------
    ComplexAutoError
        When ``text`` is not of that form.
    """
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
    if not m or not 1 <= int(m.group(1)) <= int(m.group(2)):
        raise ComplexAutoError(f"--shard {text}: expected K/N with 1 <= K <= N (e.g. 3/8)")
    return int(m.group(1)), int(m.group(2))


def _shard_argument(text):
    # argparse turns only its own error type into a usage line; ours would be a traceback
    try:
        return parse_shard(text)
    except ComplexAutoError as e:
        raise argparse.ArgumentTypeError(str(e).removeprefix(f"--shard {text}: ")) from None


def add_shard_arguments(parser, what="files"):
    """``--shard K/N`` and ``--overwrite`` for a command that works through a list."""
    parser.add_argument("--shard", type=_shard_argument, metavar="K/N", help=SHARD_HELP)
    parser.add_argument("--overwrite", action="store_true",
                        help=OVERWRITE_HELP.replace("files", what))
    return parser


def shard_range(n_items, shard):
    """Positions ``range(lo, hi)`` of part ``shard = (K, N)`` of ``n_items`` items.

    Part K holds items ``floor((K-1)·n/N) .. floor(K·n/N) - 1``; ``None`` means all.
    """
    if shard is None:
        return range(n_items)
    k, n = shard
    return range((k - 1) * n_items // n, k * n_items // n)


def is_whole(shard):
    """True when ``shard`` selects the whole list (``None`` or ``1/1``)."""
    return shard is None or shard[1] == 1


def outputs_complete(paths, newer_than=()):
    """Whether every path exists and none is older than the files in ``newer_than``.

    Parameters
    ----------
    paths : list of Path
        A file's outputs.
    newer_than : list of Path
        Inputs (a model, a config): outputs written before one of them changed are stale.

    Returns
    -------
    bool
        False when a path is missing or ``paths`` is empty, or when the oldest output is older
        than an input; inputs that do not exist are not compared.
    """
    try:
        oldest = min(p.stat().st_mtime for p in paths)
    except (FileNotFoundError, ValueError):
        return False
    return all(oldest >= q.stat().st_mtime for q in newer_than if q.exists())
