"""What the command lines share: ``-v``, logging, one-line errors, device choice.

A script builds its ``argparse`` parser, then calls :func:`run` with its ``main``: problems the
user can fix (:class:`~complex_auto.errors.ComplexAutoError`) become one line on stderr and
exit status 1; ``-v/--verbose`` shows debug logging and full tracebacks.
"""
import argparse
import logging
import math
import signal
import sys
import traceback
from pathlib import Path

from .errors import ComplexAutoError  # noqa: F401  (re-exported for scripts)
from .errors import Interrupted, Terminated

log = logging.getLogger("complex_auto")


def add_verbose(parser):
    """Add ``-v/--verbose``, which :func:`run` reads, to ``parser``; returns ``parser``."""
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="debug logging, and full tracebacks on errors")
    return parser


def add_device(parser):
    """Add ``--device`` and ``--threads``, for :func:`resolve_device`; returns ``parser``."""
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                        help="where the model runs; auto uses CUDA when present (default: auto)")
    parser.add_argument("--threads", type=int, metavar="N",
                        help="CPU threads of torch (default: one per core); use 1 when other "
                             "jobs share the CPU, where more threads slow each other down")
    return parser


def add_jobs(parser, what="processes computing CQTs"):
    """Add ``-j/--jobs``, default one per CPU this process may use; :func:`run` refuses < 1.

    Parameters
    ----------
    parser : argparse.ArgumentParser
    what : str
        What the processes do, for the option's help.

    Returns
    -------
    argparse.ArgumentParser
        ``parser``.
    """
    from .utils import default_jobs

    parser.add_argument("-j", "--jobs", type=int, default=default_jobs(), metavar="N",
                        help=f"{what} (default: all CPUs)")
    return parser


def _whole_number(text, least):
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if n < least:
        raise argparse.ArgumentTypeError(f"must be at least {least}, not {n}")
    return n


def at_least_one(text):
    """argparse type of a count (``--seeds``, ``--files``): an integer of at least 1."""
    return _whole_number(text, 1)


def not_negative(text):
    """argparse type of a seed: an integer of at least 0 (what NumPy's generators take)."""
    return _whole_number(text, 0)


def number(text):
    """argparse type of a float option: a finite number (``nan`` and ``inf`` ran, or crashed
    deep inside, where each command only checked the sign)."""
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not math.isfinite(x):
        raise argparse.ArgumentTypeError(f"must be a finite number, not {text}")
    return x


def share(text):
    """argparse type of a share or score threshold: a number in (0, 1]."""
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not 0 < x <= 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], not {text}")
    return x


def check_folder(path, option):
    """Refuse an option's folder that is missing or a file, naming the option.

    Raises
    ------
    ComplexAutoError
        When ``path`` is not a folder.
    """
    if not Path(path).is_dir():
        why = "a file, not a folder" if Path(path).exists() else "folder does not exist"
        raise ComplexAutoError(f"{option} {path}: {why}")


def check_csv_option(value):
    """Refuse an empty ``--csv`` (``Path('')`` is the current folder, which misleads).

    Raises
    ------
    ComplexAutoError
        When ``value`` is empty or blank.
    """
    if value is not None and not value.strip():
        raise ComplexAutoError("--csv '': empty; give a list of csv scores, 'auto' or 'none'")


def setup_logging(verbose=False):
    """Log to stderr from INFO (bare messages) or, when ``verbose``, from DEBUG (with level and
    logger); numba, matplotlib, PIL and h5py only from WARNING; Python warnings are logged."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(message)s" if not verbose else "%(levelname)s %(name)s: %(message)s",
                        force=True)
    for noisy in ("numba", "matplotlib", "PIL", "h5py"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.captureWarnings(True)


def run(main, parser, argv=None):
    """Parse arguments, call ``main(args)`` and turn user errors into one line and exit 1.

    Never returns: exits with ``main``'s return value (0 for None), 1 after a
    :class:`~complex_auto.errors.ComplexAutoError` (also for ``--jobs`` below 1), 2 on
    arguments argparse refuses, 130 when interrupted (Ctrl-C), 143 when terminated (SIGTERM,
    handled as Ctrl-C). Other exceptions propagate with their traceback.

    Parameters
    ----------
    main : callable
        ``main(args)`` with the parsed ``argparse.Namespace``.
    parser : argparse.ArgumentParser
    argv : list of str, optional
        Arguments to parse (default ``sys.argv[1:]``).
    """
    args = parser.parse_args(argv)
    verbose = getattr(args, "verbose", False)
    terminated = []

    def on_term(signum, frame):
        # SIGTERM (a job's time limit, kill) ends the command as Ctrl-C does, so that every
        # temporary file is deleted and workers stopped; by default it died without a word
        terminated.append(signum)
        raise Terminated

    signal.signal(signal.SIGTERM, on_term)
    setup_logging(verbose)
    try:
        # every script's -j counts processes: 0 or fewer would run nothing, or one, silently
        if getattr(args, "jobs", 1) < 1:
            raise ComplexAutoError(f"-j {args.jobs}: must be at least 1")
        code = main(args)
    except ComplexAutoError as e:
        if verbose:
            traceback.print_exc()
        print(f"error: {e}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt as e:
        if not isinstance(e, Interrupted):
            print("terminated" if terminated else "interrupted", file=sys.stderr)
        sys.exit(143 if terminated else 130)
    sys.exit(code or 0)


def resolve_device(name, threads=None):
    """``'auto'``, ``'cpu'`` or ``'cuda'`` → a ``torch.device``; raises when CUDA is missing.

    Parameters
    ----------
    name : {'auto', 'cpu', 'cuda'}
        ``--device``; ``'auto'`` takes CUDA when it is available.
    threads : int, optional
        ``--threads``: sets torch's number of CPU threads (default: left as it is).

    Returns
    -------
    torch.device

    Raises
    ------
    ComplexAutoError
        When ``threads`` is below 1, or ``name`` is ``'cuda'`` and CUDA is not available.
    """
    import torch

    if threads is not None:
        if threads < 1:
            raise ComplexAutoError(f"--threads {threads}: must be >= 1")
        torch.set_num_threads(threads)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ComplexAutoError("--device cuda: CUDA is not available on this machine "
                               "(use --device cpu or auto)")
    return torch.device(name)
