"""One spelling per flag across commands (GNU long form), the original's spellings still accepted."""
import importlib.util

import pytest

from .conftest import ROOT


def parser(script):
    spec = importlib.util.spec_from_file_location(f"_flags_{script[:-3]}", ROOT / script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.parser()


@pytest.mark.parametrize("script, old, new", [
    ("extract_motives.py",
     ["-th", "0.02", "-r", "3", "-csv", "a.txt", "-j", "2", "-dom", "symbolic", "-pk", "-spk",
      "-t", "-refdir", "gt"],
     ["--th", "0.02", "--rho", "3", "--csv", "a.txt", "--jobs", "2", "--domain", "symbolic",
      "--load-segments", "--save-segments", "--tonnetz", "--refdir", "gt"]),
    ("extract_motives_eval.py", ["-refdir", "gt", "-estdir", "peer"],
     ["--refdir", "gt", "--estdir", "peer"]),
    ("convert.py", ["-j", "3"], ["--jobs", "3"]),
])
def test_old_and_gnu_spellings_mean_the_same(script, old, new):
    positional = {"extract_motives.py": ["RUN"], "extract_motives_eval.py": ["RUN"],
                  "convert.py": ["RUN", "list.txt", "c.ini"]}[script]
    p = parser(script)
    a, b = vars(p.parse_args(positional + old)), vars(p.parse_args(positional + new))
    assert a == b
    assert a != vars(p.parse_args(positional))      # the flags changed something


@pytest.mark.parametrize("script", ["train.py", "convert.py", "extract_motives.py",
                                    "extract_motives_eval.py"])
def test_every_flag_has_a_gnu_long_form(script):
    for action in parser(script)._actions:
        if action.option_strings:
            assert any(o.startswith("--") for o in action.option_strings), action.option_strings


def test_shared_flags_are_spelled_alike():
    # The same meaning has the same long name in every command that has it.
    names = {}
    for script in ("train.py", "convert.py", "extract_motives.py", "extract_motives_eval.py"):
        for action in parser(script)._actions:
            for o in action.option_strings:
                names.setdefault(action.dest, set()).add(o)
    for dest in ("jobs", "refdir", "device", "threads", "verbose"):
        long_forms = {o for o in names.get(dest, ()) if o.startswith("--")}
        assert len(long_forms) <= 1, (dest, long_forms)


def test_extract_help_states_the_finders_constants(monkeypatch):
    # the help's numbers are the constants the code uses: changed, the help says the new ones
    # (it spelled out 16 beats, 128, 0.005, 0.001, 40 dB and the tempi by hand)
    from complex_auto import cqt, families, jku, nf14

    def helps():
        p = parser("extract_motives.py")
        return dict({a.dest: " ".join(a.help.split()) for a in p._actions if a.help},
                    epilog=" ".join(p.epilog.split()))

    told = helps()
    assert f"{families.MOTIF_BEATS:g} (two bars) searches motifs only" in told["max_beats"]
    assert all(f"{piece} {bpm:g}" in told["epilog"] for piece, bpm in jku.JKU_BPM.items())
    for module, name, value in ((families, "MAX_BEATS", 64.0), (families, "MIN_BEATS", 3.0),
                                (families, "OCCURRENCE_P", 0.01), (nf14, "MIN_BEATS", 12),
                                (nf14, "LOWER_STEP", 0.002), (nf14, "FRAME_SECONDS", 0.0877),
                                (cqt, "FIRST_SOUND_DB", -30.0)):
        monkeypatch.setattr(module, name, value)
    told = helps()
    assert "(default 64, a section of 16 bars" in told["max_beats"]
    assert "from 3 beats (motifs)" in told["method"] and "at least 12 beats" in told["method"]
    assert "(0.01 suggested" in told["occurrence_p"]
    assert "lowered by 0.002 until" in told["th"] and "within 30 dB" in told["audio_start"]
    assert "--frame-seconds 0.0877 reproduces" in told["epilog"]


@pytest.mark.parametrize("command, args", [
    ("convert.py", ["RUN", "list.txt", "c.ini"]),
    ("extract_motives.py", ["RUN"]),
    ("complex_auto.corpus", ["build", "DIR"]),
    ("complex_auto.compare", ["RUN"]),
    ("complex_auto.invariance", ["RUN", "list.txt", "c.ini"]),
])
@pytest.mark.parametrize("jobs", ["0", "-2"])
def test_jobs_below_one_are_refused_before_any_work(command, args, jobs, capsys, monkeypatch,
                                                    tmp_path):
    import importlib

    from complex_auto import cli

    monkeypatch.chdir(tmp_path)                          # nothing may be written anywhere
    if command.endswith(".py"):
        p = parser(command)
        main = None
    else:
        module = importlib.import_module(command if "invariance" not in command
                                         else "complex_auto.invariance.command")
        p, main = module.parser(), module.main
    called = []
    with pytest.raises(SystemExit) as e:
        cli.run(lambda a: called.append(a) if main is None else main(a), p, args + ["-j", jobs])
    err = capsys.readouterr().err.strip().splitlines()
    assert e.value.code == 1 and err == [f"error: -j {jobs}: must be at least 1"], err
    assert not called and not list(tmp_path.iterdir())



FLOAT_OPTIONS = [
    ("extract_motives.py", ["RUN"], ["--occurrence-p", "--max-beats", "--th", "--bpm",
                                     "--frame-seconds"]),
    ("complex_auto.report", ["RUN"], ["--bpm"]),
    ("complex_auto.corpus", ["build", "DIR"], ["--hours"]),
    ("complex_auto.compare", ["RUN"], ["--seconds", "--semitones"]),
    ("complex_auto.transposition", [], ["--seconds", "--semitones"]),
    ("complex_auto.invariance.command", ["RUN", "list.txt", "c.ini"], ["--transposition-seconds"]),
    ("bench/discovery.py", [], ["--occurrence-p", "--max-beats"]),
    ("bench/score_features.py", [], ["--window-beats"]),
]


@pytest.mark.parametrize("command, args, options", FLOAT_OPTIONS)
@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_float_options_refuse_what_is_not_finite(command, args, options, value, capsys,
                                                 monkeypatch, tmp_path):
    # --frame-seconds nan crashed deep in the search and inf ran for 18 s; --hours nan built
    # an empty corpus: the commands checked only the sign, which NaN passes
    import importlib
    import sys

    monkeypatch.chdir(tmp_path)
    for option in options:
        argv = args + [f"{option}={value}"]      # "-inf" alone reads as an option
        with pytest.raises(SystemExit) as e:
            if command.startswith("bench/"):         # the benches parse inside main()
                spec = importlib.util.spec_from_file_location(
                    f"_flags_{command[6:-3]}", ROOT / command)
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                monkeypatch.setattr(sys, "argv", [command] + argv)
                module.main()
            elif command.endswith(".py"):
                parser(command).parse_args(argv)
            else:
                importlib.import_module(command).parser().parse_args(argv)
        err = capsys.readouterr().err.strip().splitlines()[-1]
        assert e.value.code == 2 and f"argument {option}" in err, err
        assert f"must be a finite number, not {value}" in err, err
        assert not list(tmp_path.iterdir())


def test_no_float_option_is_parsed_without_the_finite_check():
    # a new option with type=float would take nan again; cli.number is the type
    import re

    files = [ROOT / f for f in ("train.py", "convert.py", "extract_motives.py",
                                "extract_motives_eval.py")]
    files += sorted((ROOT / "complex_auto").rglob("*.py")) + sorted((ROOT / "bench").glob("*.py"))
    found = [f"{f.name}: {line.strip()}" for f in files for line in f.read_text().splitlines()
             if re.search(r"add_argument\(.*type=float", line)]
    assert found == []
