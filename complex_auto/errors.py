"""The one error type of the toolkit.

Every problem that the user can fix (a missing file, a bad config value, audio that is too
short) raises :class:`ComplexAutoError` with a one-line message naming the file, line or key.
The command lines print that line and exit with status 1; other exceptions are bugs and keep
their traceback.
"""


class ComplexAutoError(Exception):
    """A problem with the user's input: files, configuration or arguments."""


class ConfigError(ComplexAutoError):
    """A configuration file is missing, malformed, or has a bad key or value."""


class DataError(ComplexAutoError):
    """An input file (list, audio, matrix, csv) is missing or unusable."""


class ParameterError(ComplexAutoError, ValueError):
    """A function of the toolkit was called with an argument it cannot use (a negative
    length, a NaN tempo, a matrix of the wrong shape); also a ``ValueError``, as NumPy's
    and librosa's argument errors are."""


class Interrupted(KeyboardInterrupt):
    """A Ctrl-C whose consequence was already said (e.g. which checkpoint to resume from): the
    command lines exit 130 without a second 'interrupted'."""


class Terminated(KeyboardInterrupt):
    """SIGTERM (a job's time limit, ``kill``), raised by the command lines' handler so that it
    ends a command as Ctrl-C does (temporary files deleted, workers stopped); said
    'terminated', exit 143."""
