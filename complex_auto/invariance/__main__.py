"""``python -m complex_auto.invariance``: see :mod:`complex_auto.invariance.command`."""
from .. import cli
from .command import main, parser

cli.run(main, parser())
