"""Reading file lists: one path a line, with an optional tempo column.

A line is ``path`` or ``path<TAB>bpm`` (or ``path bpm`` when the whole line is no file). Blank
lines and lines starting with ``#`` are skipped (with a warning when such a line names a file
that exists: ``./#1 take.wav`` lists it). A relative path is taken from the current folder, or
else from the list's own folder.
"""
import logging
from pathlib import Path

import numpy as np

from .errors import DataError
from .utils import read_text

log = logging.getLogger(__name__)


def parse_bpm(text, where):
    """Read a tempo column entry; ``where`` (``'file, line n'``) names it in errors."""
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"{where}: tempo '{text}' is not a number") from None
    if not np.isfinite(value) or value <= 0:
        raise DataError(f"{where}: tempo must be positive beats per minute, not '{text}'")
    return value


def _split_bpm(line, where, path_exists):
    """``'path<TAB>bpm'`` (or ``'path bpm'`` when the whole line is no file) → (path, bpm)."""
    if "\t" in line:
        first, rest = line.split("\t", 1)
        rest = rest.strip()
        return first.strip(), (parse_bpm(rest.split("\t")[0].strip(), where) if rest else None)
    parts = line.rsplit(None, 1)
    if len(parts) == 2 and not path_exists(line):
        try:
            return parts[0], parse_bpm(parts[1], where)
        except DataError:
            pass
    return line, None


def read_list(path, what="file", missing_hint="", check_exists=True, base=None,
              own_folder=False):
    """Entries of a file list, with their tempo column and line number.

    Parameters
    ----------
    path : str or Path
    what : str
        What the files are, for messages (``'audio'``, ``'matrix'``, ``'csv score'``).
    missing_hint : str
        Appended to the message when the list itself is missing.
    check_exists : bool
        Raise when a listed file does not exist.
    base : str or Path, optional
        A folder a relative entry is also looked for in, after the working folder and the
        list's own: a run's lists name files from the folder that holds ``output/``, which is
        not the working folder of a command started elsewhere.
    own_folder : bool
        A relative entry names a file in the list's folder, never one of the working folder
        (a data set's lists: run from another data set's folder, they named its files).

    Returns
    -------
    list of (Path, float or None, int)
        File, tempo in beats per minute if given, line number.

    Raises
    ------
    DataError
        The list is missing or empty, a listed file is missing, or a tempo is not a positive
        number (naming the line).
    """
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path}: is a folder, not a file list")
    if not path.is_file():
        raise DataError(f"{path}: file list does not exist{missing_hint}")

    folders = [path.parent] + ([Path(base)] if base is not None else [])

    def resolve(entry):
        f = Path(entry)
        if own_folder and not f.is_absolute():
            return path.parent / f
        if not f.is_absolute() and not f.exists():
            f = next((d / f for d in folders if (d / f).exists()), f)
        return f

    noun = "file" if what == "file" else f"{what} file"      # not "listed file file"
    entries = []
    for lineno, raw in enumerate(read_text(path).splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            named = line.split("\t", 1)[0].strip()
            if resolve(named).is_file():
                log.warning("%s, line %d: '%s' is read as a comment, though a file of that "
                            "name exists; to list it, write './%s'", path, lineno, named, named)
            continue
        where = f"{path}, line {lineno}"
        entry, bpm = _split_bpm(line, where, lambda e: resolve(e).exists())
        f = resolve(entry)
        if check_exists and not f.is_file():
            why = "is a folder, not a file" if f.is_dir() else "does not exist"
            raise DataError(f"{where}: listed {noun} '{entry}' {why}")
        entries.append((f, bpm, lineno))
    if not entries:
        raise DataError(f"{path}: file list is empty (it lists no {noun}s)")
    return entries


def held_out(files, test_data=None):
    """How many files at the end of a training list give only the evaluation loss.

    0 when the config's ``test_data`` names a list of its own (every listed file trains),
    else the last ``len(files) // 5`` (0 for fewer than five files: the last fifth of every
    file's frames gives the evaluation loss instead): the rule of the CQT and 1-D signal pairs
    (:mod:`complex_auto.cqt_pairs`, :mod:`complex_auto.signal_pairs`), and of the record of
    what a model learned from (:func:`complex_auto.runinfo.training_session`).

    Parameters
    ----------
    files : list
        The training list's files.
    test_data : str or Path, optional
        The config's ``test_data``.

    Returns
    -------
    int
    """
    return 0 if test_data else len(files) // 5


def read_filelist(path, check_exists=True):
    """The paths listed in a text file (see :func:`read_list`), without tempi.

    Returns
    -------
    list of Path
    """
    return [f for f, _, _ in read_list(path, check_exists=check_exists)]


def check_distinct_names(entries, path, pieces=False):
    """Refuse a list whose files would write the same outputs.

    A run names each recording's outputs by its file name (``NAME_repres.pyc.bz``,
    ``NAME.npy``), and ``extract_motives.py`` names its own by piece (the name up to its
    first dot), so ``a/x.wav`` and ``b/x.wav`` would overwrite each other without a word, and
    so would ``a/X.wav`` and ``b/x.wav`` on a file system that ignores case.

    Parameters
    ----------
    entries : list of (Path, float or None, int)
        As :func:`read_list` gives them.
    path : str or Path
        The list, for messages.
    pieces : bool
        Also refuse two files of the same piece (``x.wav`` and ``x.flac``, or their matrices
        ``x.wav.npy`` and ``x.flac.npy``): ``extract_motives.py`` names its outputs by piece.

    Raises
    ------
    DataError
        Naming the later line, the earlier one and what they share.
    """
    from .layout import piece_name

    # Names are compared without case: on macOS and Windows X.wav and x.wav are one file.
    names, piece_lines = {}, {}
    for f, _, lineno in entries:
        where = f"{path}, line {lineno}"
        key = f.name.casefold()
        if key in names:
            first, earlier = names[key]
            if first.resolve() == f.resolve():
                raise DataError(f"{where}: '{f}' is listed again (line {earlier})")
            case = "" if first.name == f.name else " but for case"
            raise DataError(f"{where}: '{f}' has the file name of line {earlier} ('{first}')"
                            f"{case}; their outputs would overwrite each other: rename one")
        names[key] = (f, lineno)
        if pieces:
            piece = piece_name(f)
            piece_key = piece.casefold()
            if piece_key in piece_lines:
                earlier = piece_lines[piece_key]
                raise DataError(f"{where}: '{f}' is piece '{piece}' again (line {earlier}); "
                                "outputs are named by piece (extract_motives.py): rename one")
            piece_lines[piece_key] = lineno


def read_test_data(test_data, train_files, config=None):
    """The files of a config's ``test_data`` list, with a warning for any it shares with the
    training list (its evaluation loss would not be held out, and nothing else says so).

    Parameters
    ----------
    test_data : str or Path
        The list.
    train_files : list of Path
        The training list's files.
    config : str or Path, optional
        The config that names the list, for the message when it cannot be read.

    Raises
    ------
    DataError
        When the list cannot be read: names the config's key.

    Returns
    -------
    list of Path
    """
    import logging

    where = f"{config}: " if config else ""
    try:
        eval_files = read_filelist(test_data)
    except DataError as e:       # the path is the config's, not the command line's: say so
        raise DataError(f"{where}key 'test_data': {e}") from None
    training = {Path(f).resolve() for f in train_files}
    shared = [f for f in eval_files if f.resolve() in training]
    if shared:
        n = len(shared)
        logging.getLogger(__name__).warning(
            "test_data %s: %d of its %d files %s also in the training list (%s%s): the "
            "evaluation loss is not held out", test_data, n, len(eval_files),
            "is" if n == 1 else "are", shared[0], ", ..." if n > 1 else "")
    return eval_files
