"""Reading file lists: one path a line, relative to the current folder or to the list."""
from pathlib import Path

from .errors import DataError


def read_filelist(path, check_exists=True):
    """The paths listed in a text file.

    Blank lines and lines starting with ``#`` are skipped. A relative path is taken from the
    current folder, or else from the list's own folder.

    Parameters
    ----------
    path : str or Path
    check_exists : bool
        Raise when a listed file does not exist.

    Returns
    -------
    list of Path

    Raises
    ------
    DataError
        The list is missing or empty, or a listed file is missing (names the line).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file list does not exist")
    files = []
    for lineno, line in enumerate(path.read_text().splitlines(), 1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        entry = entry.split("\t")[0].strip()
        f = Path(entry)
        if not f.is_absolute() and not f.exists() and (path.parent / f).exists():
            f = path.parent / f
        if check_exists and not f.is_file():
            raise DataError(f"{path}, line {lineno}: listed file '{entry}' does not exist")
        files.append(f)
    if not files:
        raise DataError(f"{path}: file list is empty")
    return files
