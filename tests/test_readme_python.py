"""The README's *From Python* example runs and gives what the command lines give."""
import ast
import csv
import subprocess
import sys

from .conftest import ROOT, child_env, run_cli


def readme_example():
    text = (ROOT / "README.md").read_text()
    section = text.split("### From Python\n", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_python_example_gives_the_scores_of_the_command_lines(tmp_path):
    code = readme_example()
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=child_env(),
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    printed = ast.literal_eval(res.stdout.strip().splitlines()[-1])
    # the same piece through convert.py, extract_motives.py and extract_motives_eval.py
    listed = tmp_path / "list.txt"
    listed.write_text(f"{ROOT / 'data/jku/audio/silverswan-poly.mp3'}\n")
    csvs = tmp_path / "csvs.txt"
    csvs.write_text(f"{ROOT / 'data/jku/csv/silverswan-poly.csv'}\n")
    model = ROOT / "models/cqt_piano"
    steps = [("convert.py", "py", listed, model / "config_cqt.ini", "--self-sim-matrix",
              "--model", model / "model_complex_auto_cqt.save"),
             ("extract_motives.py", "py", "--csv", csvs, "--method", "families", "--no-report"),
             ("extract_motives_eval.py", "py", "--refdir", ROOT / "data/jku/groundtruth")]
    for script, *args in steps:
        done = run_cli(script, *args, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    with open(tmp_path / "output/py/results.csv") as f:
        row = next(r for r in csv.DictReader(f) if r["piece"] == "silverswan-poly")
    assert set(printed) == {"Est_F", "Occ.75_F", "Occ.5_F", "ThreeLayer_F"}
    for measure, value in printed.items():
        assert abs(float(row[measure]) - value) < 1e-3, (measure, row[measure], value)
    # and what the README says it prints: silverswan's row of its per-piece table
    assert printed == readme_families_row("silverswan"), printed


def readme_families_row(piece):
    """The ``families`` cell of ``piece``'s row in the README's per-piece JKU table."""
    lines = (ROOT / "README.md").read_text().splitlines()
    head = next(k for k, line in enumerate(lines)
                if line.startswith("| piece | `nf14` | `families` |"))
    column = [c.strip() for c in lines[head].strip("|").split("|")].index("`families`")
    row = next(line for line in lines[head:] if line.startswith(f"| {piece} |"))
    cell = [c.strip() for c in row.strip("|").split("|")][column]
    measures = ("Est_F", "Occ.75_F", "Occ.5_F", "ThreeLayer_F")
    return dict(zip(measures, (float(v) for v in cell.split(" / ")), strict=True))
