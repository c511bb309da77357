"""Every Python file of the project passes pyflakes: no undefined name, no unused import.

An undefined name is a crash on a path the tests may not take (an error message's branch); an
unused import is an import cost (torch, librosa) and a reader's detour.
"""
from pathlib import Path

from pyflakes.api import checkPath
from pyflakes.reporter import Reporter

ROOT = Path(__file__).resolve().parents[1]


class _Collect(Reporter):
    def __init__(self):
        self.messages = []

    def unexpectedError(self, filename, msg):
        self.messages.append(f"{filename}: {msg}")

    def syntaxError(self, filename, msg, lineno, offset, text):
        self.messages.append(f"{filename}:{lineno}: {msg}")

    def flake(self, message):
        self.messages.append(str(message))


def python_files():
    files = sorted(ROOT.glob("*.py"))
    for folder in ("complex_auto", "tests", "bench"):
        files += sorted((ROOT / folder).rglob("*.py"))
    return files


def test_every_python_file_passes_pyflakes():
    files = python_files()
    assert {"train.py", "families.py", "test_lint.py", "mutants.py"} <= {f.name for f in files}
    report = _Collect()
    for f in files:
        checkPath(str(f), report)
    assert not report.messages, "\n".join(report.messages)


def test_a_planted_unused_import_and_undefined_name_are_reported(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n\n\ndef f():\n    return undefined_name\n")
    report = _Collect()
    checkPath(str(bad), report)
    assert len(report.messages) == 2, report.messages
    assert "'os' imported but unused" in report.messages[0]
    assert "undefined name 'undefined_name'" in report.messages[1]
