"""The run folder: a keyword inside output/, never a file in its place."""
from pathlib import Path

import pytest

from complex_auto.errors import DataError
from complex_auto.layout import RunLayout


def test_make_creates_nested_run_folders(tmp_path):
    layout = RunLayout("mine/piano", tmp_path).make()
    assert layout.dir == tmp_path / "mine" / "piano" and layout.dir.is_dir()
    assert RunLayout("mine/piano", tmp_path).make().dir.is_dir()     # again: kept


@pytest.mark.parametrize("run, message", [
    ("afile", r"^.*output/afile is a file, not a run folder$"),
    ("afile/sub", r"^.*output/afile is a file, not a folder$"),
])
def test_a_file_in_the_run_folders_place_is_one_line(tmp_path, run, message):
    # train.py and convert.py failed with FileExistsError, the report with NotADirectoryError
    root = tmp_path / "output"
    root.mkdir()
    (root / "afile").write_text("")
    with pytest.raises(DataError, match=message):
        RunLayout(run, root)
    assert (root / "afile").read_text() == ""


def test_a_file_made_after_the_layout_is_refused_by_make(tmp_path):
    layout = RunLayout("late", tmp_path)
    (tmp_path / "late").write_text("")
    with pytest.raises(DataError, match=r"late is a file, not a run folder$"):
        layout.make()


def test_a_run_folder_that_cannot_be_created_is_one_line():
    if not Path("/proc/self").is_dir():
        pytest.skip("needs /proc, where no folder can be made")
    with pytest.raises(DataError, match=r"^/proc/run: cannot create the run folder \("):
        RunLayout("run", "/proc").make()


@pytest.mark.parametrize("run", ["", " ", "/abs", "../out"])
def test_keywords_outside_output_are_refused(tmp_path, run):
    with pytest.raises(DataError, match="must name a folder inside"):
        RunLayout(run, tmp_path)
