"""MIREX scoring of ``complex_auto.evaluation`` and ``extract_motives_eval.py``."""
import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import mir_eval
import numpy as np
import pytest

from complex_auto.errors import DataError, ParameterError
from complex_auto.evaluation import (COLUMNS, SCORE_COLUMNS, evaluate_folder, evaluate_piece,
                                     evaluate_run, load_patterns, pair_by_name)
from complex_auto.layout import RunLayout
from complex_auto.patterns import write_mirex
from tests.conftest import child_env

REPO = Path(__file__).resolve().parents[1]
GT = REPO / "data" / "jku" / "groundtruth"


@pytest.mark.parametrize("piece", ["silverswan-poly", "mazurka24-4-poly", "sonata01-3-poly"])
def test_ground_truth_against_itself_scores_one(piece):
    scores = evaluate_piece(GT / f"{piece}.txt", GT / f"{piece}.txt")
    assert scores["Est_F"] == pytest.approx(1.0)
    assert scores["ThreeLayer_F"] == pytest.approx(1.0)
    assert scores["Occ.75_F"] == pytest.approx(1.0) and scores["Occ.5_F"] == pytest.approx(1.0)
    assert set(scores) == set(SCORE_COLUMNS)


def test_occurrence_threshold_is_passed_directly():
    # Estimated occurrences share 2 of 3 notes with the reference's (cardinality .67):
    # counted at .5, not at .75. (mir_eval.pattern.evaluate would give 0 for both.)
    ref = [[[(0.0, 60.0), (1.0, 62.0), (2.0, 64.0)], [(10.0, 60.0), (11.0, 62.0), (12.0, 64.0)]]]
    est = [[[(0.0, 60.0), (1.0, 62.0), (2.0, 70.0)], [(10.0, 60.0), (11.0, 62.0), (12.0, 70.0)]]]
    scores = evaluate_piece(ref, est)
    assert scores["Occ.75_F"] == 0.0
    assert scores["Occ.5_F"] == pytest.approx(2 / 3)
    assert mir_eval.pattern.evaluate(ref, est)["F_occ.5"] == 0.0   # why we do not use it


def test_empty_estimate_scores_zero(tmp_path):
    (tmp_path / "x.seg").write_text("")
    scores = evaluate_piece(GT / "silverswan-poly.txt", tmp_path / "x.seg")
    assert all(v == 0.0 for v in scores.values())


def test_a_reference_without_patterns_is_refused(tmp_path):
    # an empty or truncated ground truth scored 0 everywhere and entered the mean unnoticed
    est = tmp_path / "est"
    ref = tmp_path / "ref"
    est.mkdir()
    ref.mkdir()
    for piece in ("a", "b"):
        shutil.copy(GT / "silverswan-poly.txt", est / f"{piece}.seg")
        shutil.copy(GT / "silverswan-poly.txt", ref / f"{piece}.txt")
    for text in ("", "pattern1\noccurrence1\n"):
        (ref / "b.txt").write_text(text)
        with pytest.raises(DataError, match=r"b\.txt: reference holds no pattern"):
            evaluate_folder(est, ref)
    with pytest.raises(DataError, match="^reference holds no pattern"):
        evaluate_piece([], GT / "silverswan-poly.txt")


def test_pairs_by_name_not_by_sorted_position(tmp_path):
    est = tmp_path / "est"
    ref = tmp_path / "ref"
    est.mkdir()
    ref.mkdir()
    # Sorted listings would pair a.seg with b.txt and b.seg with c.txt.
    shutil.copy(GT / "silverswan-poly.txt", est / "b.seg")
    shutil.copy(GT / "silverswan-poly.txt", est / "c.seg")
    shutil.copy(GT / "mazurka24-4-poly.txt", est / "a.seg")
    shutil.copy(GT / "silverswan-poly.txt", ref / "b.txt")
    shutil.copy(GT / "silverswan-poly.txt", ref / "c.txt")
    shutil.copy(GT / "silverswan-poly.txt", ref / "d.txt")
    rows, mean, unpaired = evaluate_folder(est, ref)
    assert [r["piece"] for r in rows] == ["b", "c"]
    assert all(r["Est_F"] == pytest.approx(1.0) for r in rows)
    assert unpaired == {"estimate_only": ["a"], "reference_only": ["d"]}
    assert mean["Est_F"] == pytest.approx(1.0)
    pairs, e, r = pair_by_name({"x": 1, "y": 2}, {"y": 3, "z": 4})
    assert pairs == [("y", 2, 3)] and e == ["x"] and r == ["z"]


def test_estdir_reads_txt_files_when_no_seg(tmp_path):
    est = tmp_path / "peer"
    est.mkdir()
    shutil.copy(GT / "silverswan-poly.txt", est / "silverswan-poly.txt")
    rows, _, _ = evaluate_folder(est, GT)
    assert [r["piece"] for r in rows] == ["silverswan-poly"]
    # beside .seg files, .txt are not estimates: a run folder holds results.txt and lists
    shutil.copy(GT / "silverswan-poly.txt", est / "silverswan-poly.seg")
    (est / "silverswan-poly.txt").write_text("pattern1\noccurrence1\n1.0, 60\n")
    rows, _, _ = evaluate_folder(est, GT)
    assert [r["piece"] for r in rows] == ["silverswan-poly"] and rows[0]["Est_F"] == 1.0
    # two estimates of one piece: the one sorted last was scored, the other dropped silently
    shutil.copy(GT / "silverswan-poly.txt", est / "silverswan-poly.v2.seg")
    with pytest.raises(DataError, match=r"silverswan-poly.seg and silverswan-poly.v2.seg are "
                                        r"both piece 'silverswan-poly'"):
        evaluate_folder(est, GT)


def test_run_results_files(tmp_path):
    layout = RunLayout("r", tmp_path).make()
    # Three pieces with different scores (with two, a median would pass for the mean).
    for piece, keep in (("silverswan-poly", None), ("mazurka24-4-poly", 1),
                        ("sonata04-2-poly", 2)):
        write_mirex(layout.seg(piece), load_patterns(GT / f"{piece}.txt")[:keep])
    rows, mean, unpaired, text = evaluate_run("r", refdir=GT, root=tmp_path)
    assert "sonata01-3-poly" in unpaired["reference_only"]
    with open(layout.results_csv) as f:
        table = list(csv.reader(f))
    assert tuple(table[0]) == COLUMNS == (
        "piece", "Est_F", "Est_P", "Est_R", "Occ.75_F", "Occ.75_P", "Occ.75_R", "ThreeLayer_F",
        "ThreeLayer_P", "ThreeLayer_R", "Occ.5_F", "Occ.5_P", "Occ.5_R", "Std_F", "Std_P",
        "Std_R")                                    # the results.csv format users read
    assert [row[0] for row in table[1:]] == ["mazurka24-4-poly", "silverswan-poly",
                                             "sonata04-2-poly", "mean"]
    values = [[float(v) for v in row[1:]] for row in table[1:]]
    assert len({v[0] for v in values[:3]}) == 3                # three different Est_F
    for col in range(len(values[0])):
        assert values[3][col] == pytest.approx(sum(v[col] for v in values[:3]) / 3, abs=1e-6)
    assert values[1][0] == pytest.approx(1.0)
    evaluate_run("r", refdir=GT, root=tmp_path)
    results = layout.results_txt.read_text()
    assert results.count("\nmean ") == 2 and text in results    # appended, not replaced


def test_the_rule_of_the_last_extraction_is_said_once_and_reads_the_record_strictly(
        tmp_path, caplog):
    # the evaluation and the report each had their own copy of the rule, the report's warning
    # said at every read and a broken record read as none
    from complex_auto.runinfo import last_extraction

    layout = RunLayout("r", tmp_path).make()
    files = {"a": layout.seg("a"), "b": layout.seg("b")}
    assert last_extraction(layout, files) == (files, [])             # never extracted: all
    layout.extraction_info.write_text(json.dumps({"method": "families",
                                                  "pieces": [{"piece": "a"}]}))
    with caplog.at_level("WARNING"):
        for _ in range(2):
            assert last_extraction(layout, files) == ({"a": files["a"]}, ["b"])
    assert caplog.text.count("left out b.seg: not among the pieces") == 1
    layout.extraction_info.write_text(json.dumps({"method": "families"}))
    with pytest.raises(DataError, match="extraction.json: no 'pieces'"):
        last_extraction(layout, files)


def test_a_run_scores_the_pieces_of_its_last_extraction_only(tmp_path, caplog, monkeypatch):
    # another data set converted and extracted into a run of the same name, or a list cut
    # short, leaves .seg files of pieces the last extraction did not list: scored, they mixed
    # two data sets in one mean
    layout = RunLayout("r", tmp_path).make()
    for piece, keep in (("silverswan-poly", None), ("mazurka24-4-poly", 1),
                        ("sonata04-2-poly", 2)):
        write_mirex(layout.seg(piece), load_patterns(GT / f"{piece}.txt")[:keep])
    layout.extraction_info.write_text(json.dumps({"method": "families", "pieces": [
        {"piece": "mazurka24-4-poly"}, {"piece": "sonata04-2-poly"}]}))
    with caplog.at_level("WARNING"):
        rows, mean, unpaired, text = evaluate_run("r", refdir=GT, root=tmp_path)
    assert [r["piece"] for r in rows] == ["mazurka24-4-poly", "sonata04-2-poly"]
    assert mean["Est_F"] == pytest.approx((rows[0]["Est_F"] + rows[1]["Est_F"]) / 2)
    assert "silverswan-poly" in unpaired["reference_only"]
    assert "# left out, an earlier extraction's: silverswan-poly" in text
    assert "silverswan-poly.seg: not among the pieces of its last extraction" in caplog.text
    # a folder of estimates that is no run's is read whole, as before, also as '.'
    est = tmp_path / "est"
    shutil.copytree(layout.dir, est, ignore=shutil.ignore_patterns("extraction.json"))
    assert len(evaluate_folder(est, GT, (".seg",))[0]) == 3
    monkeypatch.chdir(est)
    assert len(evaluate_folder(".", GT, (".seg",))[0]) == 3
    monkeypatch.chdir(layout.dir)                 # the run's folder as '.': still the run's
    assert len(evaluate_folder(".", GT, (".seg",))[0]) == 2


def test_missing_or_empty_folders(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no estimate files"):
        evaluate_folder(tmp_path / "empty", GT)
    with pytest.raises(DataError, match="no reference files"):
        evaluate_folder(GT, tmp_path / "empty")
    with pytest.raises(DataError, match="does not exist"):
        evaluate_folder(tmp_path / "nowhere", GT)
    (tmp_path / "a.txt").write_text("")
    with pytest.raises(DataError, match=r"a\.txt: reference is a file, not a folder"):
        evaluate_folder(GT, tmp_path / "a.txt")
    RunLayout("r", tmp_path).make()
    with pytest.raises(DataError, match=r"no .seg estimates; run python extract_motives.py r "
                                        r"--csv CSV_LIST first, with a score \(csv\) for each"):
        evaluate_run("r", refdir=GT, root=tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / "unrelated.seg").write_text("pattern1\noccurrence1\n1.0, 60.0\n")
    with pytest.raises(DataError, match="has a reference of the same name"):
        evaluate_folder(other, GT)


def test_bad_estimate_line_is_named(tmp_path):
    (tmp_path / "x.seg").write_text("pattern1\noccurrence1\n1.0, 60.0\n\n1.0 60.0\n")
    with pytest.raises(DataError, match=r"x\.seg, line 5"):
        load_patterns(tmp_path / "x.seg")
    # mir_eval reads nan and inf as numbers, and an annotation holding one scored 0
    for number in ("nan", "inf"):
        (tmp_path / "y.txt").write_text(f"pattern1\noccurrence1\n1.0, 60.0\n{number}, 62.0\n")
        with pytest.raises(DataError, match=r"y\.txt, line 4: .*must be finite"):
            load_patterns(tmp_path / "y.txt")


def test_script_prints_table_and_fails_in_one_line(tmp_path):
    env = child_env()
    script = str(REPO / "extract_motives_eval.py")
    peer = tmp_path / "peer"
    peer.mkdir()
    shutil.copy(GT / "silverswan-poly.txt", peer / "silverswan-poly.txt")
    res = subprocess.run([sys.executable, script, "r", "--estdir", str(peer), "-refdir", str(GT)],
                         cwd=tmp_path, env=env, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "silverswan-poly" in res.stdout and "mean" in res.stdout
    assert "no estimate for reference wtc2f20-poly" in res.stderr
    # the mean of one piece is not the run's: said after the table, where it is read
    assert ("the mean is over 1 of 5 references, without mazurka24-4-poly, sonata01-3-poly, "
            "sonata04-2-poly, wtc2f20-poly (an empty .seg would count as 0)") in res.stderr
    assert (tmp_path / "output" / "r" / "results.csv").is_file()
    res = subprocess.run([sys.executable, script, "r", "--estdir", str(tmp_path / "nothing")],
                         cwd=tmp_path, env=env, capture_output=True, text=True)
    assert res.returncode == 1 and res.stderr.startswith("error: ")
    assert res.stderr.count("\n") == 1


def occurrence(onset, pitches):
    """Notes ``(onset + k, pitch_k)``, one beat apart."""
    return [(float(onset + k), float(p)) for k, p in enumerate(pitches)]


# Two annotated patterns of four notes, each occurring twice.
REF_A = [occurrence(0, [60, 62, 64, 65]), occurrence(20, [60, 62, 64, 65])]
REF_B = [occurrence(40, [70, 71, 72, 73]), occurrence(60, [70, 71, 72, 73])]
# An estimate that shares half of every note set of B (cardinality score 2/4).
HALF_B = [occurrence(40, [70, 71, 50, 51]), occurrence(60, [70, 71, 50, 51])]
JUNK = [occurrence(100, [40, 45, 41, 47]), occurrence(120, [40, 45, 41, 47])]


def test_establishment_precision_differs_from_recall():
    # Score matrix (references x estimates) of best occurrence matches:
    #   A: [1, 0, 0]   B: [0, 1/2, 0]
    # precision = mean over estimates of their best = (1 + 1/2 + 0) / 3 = 1/2
    # recall    = mean over references of their best = (1 + 1/2) / 2 = 3/4
    # F = 2 * 1/2 * 3/4 / (1/2 + 3/4) = 3/5
    scores = evaluate_piece([REF_A, REF_B], [REF_A, HALF_B, JUNK])
    assert scores["Est_P"] == pytest.approx(1 / 2)
    assert scores["Est_R"] == pytest.approx(3 / 4)
    assert scores["Est_F"] == pytest.approx(3 / 5)
    # Standard F/P/R: prototypes equal up to translation: A only, of 3 estimates, 2 references.
    assert scores["Std_P"] == pytest.approx(1 / 3)
    assert scores["Std_R"] == pytest.approx(1 / 2)
    assert scores["Std_F"] == pytest.approx(2 / 5)


def test_occurrence_precision_differs_from_recall():
    # One reference pattern found with both its occurrences, plus a third estimated occurrence
    # that matches nothing: occurrence scores of the pair are [[1, 0, 0], [0, 1, 0]]
    # (reference occurrences x estimated ones): precision (1 + 1 + 0) / 3, recall (1 + 1) / 2.
    est = [REF_A + [occurrence(80, [30, 31, 32, 33])]]
    scores = evaluate_piece([REF_A], est)
    for name in ("Occ.75", "Occ.5"):
        assert scores[f"{name}_P"] == pytest.approx(2 / 3)
        assert scores[f"{name}_R"] == pytest.approx(1.0)
        assert scores[f"{name}_F"] == pytest.approx(0.8)
    assert scores["Est_P"] == scores["Est_R"] == pytest.approx(1.0)


def test_finding_one_of_two_patterns_exactly():
    # Every estimate is right (precision 1), half the references are found (recall 1/2),
    # in every measure; F = 2/3.
    scores = evaluate_piece([REF_A, REF_B], [REF_A])
    for name in ("Est", "ThreeLayer", "Std", "Occ.75", "Occ.5"):
        assert scores[f"{name}_P"] == pytest.approx(1.0), name
        assert scores[f"{name}_R"] == pytest.approx(1 / 2 if name not in ("Occ.75", "Occ.5")
                                                    else 1.0), name
    assert scores["Est_F"] == pytest.approx(2 / 3)
    assert scores["ThreeLayer_F"] == pytest.approx(2 / 3)


def test_results_csv_columns_carry_precision_and_recall(tmp_path):
    layout = RunLayout("pr", tmp_path).make()
    write_mirex(layout.seg("silverswan-poly"), [REF_A, HALF_B, JUNK])
    ref = tmp_path / "ref"
    ref.mkdir()
    write_mirex(ref / "silverswan-poly.txt", [REF_A, REF_B])
    rows, mean, _, text = evaluate_run("pr", refdir=ref, root=tmp_path)
    with open(layout.results_csv) as f:
        row = next(csv.DictReader(f))
    assert float(row["Est_P"]) == pytest.approx(0.5, abs=1e-6)
    assert float(row["Est_R"]) == pytest.approx(0.75, abs=1e-6)
    assert float(row["Est_F"]) == pytest.approx(0.6, abs=1e-6)
    header = text.splitlines()[1].split()
    values = text.splitlines()[2].split()
    assert dict(zip(header, values))["Est_P"] == "0.500"
    assert dict(zip(header, values))["Est_R"] == "0.750"


def test_establishment_matrix_by_hand_with_a_doubled_note():
    from complex_auto.evaluation import establishment_matrix

    # the reference doubles a note (two voices in unison): mir_eval counts it in the length
    ref = [[[(0.0, 60.0), (0.0, 60.0), (1.0, 62.0)], [(8.0, 60.0), (9.0, 62.0)]]]
    est = [[[(0.0, 60.0), (1.0, 62.0)]],                      # 2 shared of 3 listed
           [[(8.0, 60.0), (9.0, 62.0), (10.0, 64.0), (11.0, 65.0)]],   # 2 of 4, better: 1st
           [[(20.0, 60.0)]]]
    S = establishment_matrix(ref, est)
    assert S.shape == (1, 3)
    assert S[0] == pytest.approx([2 / 3, 2 / 4, 0.0])


@pytest.mark.parametrize("piece, other", [("mazurka24-4-poly", "silverswan-poly"),
                                          ("sonata04-2-poly", "wtc2f20-poly")])
def test_establishment_matrix_gives_mir_evals_precision_and_recall(piece, other):
    """Column maxima average to Est_P, row maxima to Est_R, on a real reference against a
    thinned copy of itself (every other note of every occurrence) and another piece's."""
    from complex_auto.evaluation import establishment_matrix

    ref = load_patterns(GT / f"{piece}.txt")
    thinned = [[occ[::2] for occ in pattern] for pattern in ref]
    est = thinned[::2] + load_patterns(GT / f"{other}.txt")
    S = establishment_matrix(ref, est)
    scores = evaluate_piece(ref, est)
    assert S.shape == (len(ref), len(est))
    assert S.max(axis=0).mean() == pytest.approx(scores["Est_P"], abs=1e-12)
    assert S.max(axis=1).mean() == pytest.approx(scores["Est_R"], abs=1e-12)
    assert 0 < scores["Est_R"] < 1


def test_establishment_parts_split_each_score_into_cover_and_purity():
    from complex_auto.evaluation import establishment_parts

    # a one-voice motif of 3 notes, and found occurrences that hold it among 6 notes (cover
    # 1, purity 1/2), hold 2 of its notes alone (cover 2/3, purity 1), or miss it
    motif = [(0.0, 72.0), (1.0, 74.0), (2.0, 76.0)]
    ref = [[motif, [(t + 8.0, p) for t, p in motif]]]
    chords = [(t, p - 12.0) for t, p in motif]
    est = [[motif + chords],
           [motif[:2], [(30.0, 60.0)]],
           [[(20.0, 60.0)]]]
    score, cover, purity = establishment_parts(ref, est)
    assert score.shape == cover.shape == purity.shape == (1, 3)
    assert cover[0] == pytest.approx([1.0, 2 / 3, 0.0])
    assert purity[0] == pytest.approx([0.5, 1.0, 0.0])
    assert score[0] == pytest.approx([0.5, 2 / 3, 0.0])
    # of two pairs with one score, the first annotated occurrence's gives the shares: the
    # second found occurrence against the first annotated one (2 of 3 notes, all annotated),
    # not the first against the second (2 of 3 notes, 2 of 3 annotated)
    tie = [[[(8.0, 72.0), (9.0, 74.0), (9.5, 50.0)], motif[:2]]]
    score, cover, purity = establishment_parts(ref, tie)
    assert (score[0, 0], cover[0, 0], purity[0, 0]) == pytest.approx((2 / 3, 2 / 3, 1.0))
    assert [m.shape for m in establishment_parts(ref, [])] == [(1, 0)] * 3


@pytest.mark.parametrize("piece, other", [("sonata04-2-poly", "wtc2f20-poly")])
def test_establishment_parts_give_the_establishment_matrix(piece, other):
    from complex_auto.evaluation import establishment_matrix, establishment_parts

    ref = load_patterns(GT / f"{piece}.txt")
    est = [[occ[::2] for occ in pattern] for pattern in ref][::2] + load_patterns(
        GT / f"{other}.txt")
    score, cover, purity = establishment_parts(ref, est)
    np.testing.assert_array_equal(score, establishment_matrix(ref, est))
    np.testing.assert_allclose(score, np.minimum(cover, purity))
    # a thinned copy holds half of each annotated occurrence, all of it annotated
    assert cover.max() < 1 and purity.max() == 1.0


def _pattern(start, length=3, pitch=60.0, occurrences=(0.0, 16.0)):
    return [[(start + at + k, pitch + k) for k in range(length)] for at in occurrences]


# Occurrence F only weighs the patterns it finds established: one of them scores 1 already,
# and the junk costs nothing.
# Est and F3 of the whole: precision 2/4, recall 1, F 2/3.
@pytest.mark.parametrize("measure, wanted, whole", [("Est_F", [[1, 3]], 2 / 3),
                                                    ("ThreeLayer_F", [[1, 3]], 2 / 3),
                                                    ("Occ.5_F", [[1], [3]], 1.0)])
def test_best_subset_leaves_out_the_junk_and_scores_its_choice(measure, wanted, whole):
    from complex_auto.evaluation import best_subset

    a, b = _pattern(0.0), _pattern(4.0, pitch=70.0)
    junk = [_pattern(40.0, pitch=50.0), _pattern(50.0, pitch=40.0)]
    est = [junk[0], a, junk[1], b]
    score, chosen = best_subset([a, b], est, measure)
    assert sorted(chosen) in wanted
    assert score == pytest.approx(1.0)
    assert evaluate_piece([a, b], est)[measure] == pytest.approx(whole)


def test_best_subset_agrees_with_mir_eval_on_real_patterns():
    """Est_F is read off one matrix for every subset; the subset it picks must score the same
    through mir_eval, and never less than the whole estimate."""
    from complex_auto.evaluation import best_subset

    ref = load_patterns(GT / "sonata04-2-poly.txt")
    est = [[occ[::2] for occ in p] for p in ref[::3]] + load_patterns(GT / "wtc2f20-poly.txt")
    whole = evaluate_piece(ref, est)
    for measure in ("Est_F", "Est_P", "Est_R"):
        score, chosen = best_subset(ref, est, measure)
        assert score == pytest.approx(evaluate_piece(ref, [est[k] for k in chosen])[measure],
                                      abs=1e-12)
        assert score >= whole[measure] - 1e-12
    # the wtc2f20 patterns share nothing with sonata04-2: a best choice of precision drops them
    _, chosen = best_subset(ref, est, "Est_P")
    assert all(k < len(ref[::3]) for k in chosen)


def test_best_subset_keeps_the_whole_estimate_when_it_scores_best():
    from complex_auto.evaluation import best_subset

    ref = [_pattern(0.0), _pattern(4.0, pitch=70.0)]
    score, chosen = best_subset(ref, ref, "ThreeLayer_F")
    assert score == pytest.approx(1.0) and sorted(chosen) == [0, 1]
    assert best_subset(ref, [], "Est_F") == (0.0, [])


def test_best_subset_is_the_whole_estimate_where_greedy_selection_stops_short():
    # Found by a random search: greedy selection stops at two patterns (Est_F 6/7, .857; no
    # third raises it alone) while all three score .860, more than any proper subset. The
    # result must never be below the estimate's own score.
    from itertools import combinations

    from complex_auto.evaluation import best_subset

    ref = [[[(0.0, 62.0)], [(4.0, 62.0)]], [[(2.0, 62.0), (4.0, 62.0)], [(2.0, 62.0)]]]
    est = [[[(4.0, 62.0), (2.0, 62.0), (0.0, 62.0)], [(3.0, 60.0), (4.0, 60.0)]],
           [[(3.0, 60.0)], [(0.0, 62.0), (5.0, 60.0)], [(0.0, 62.0)]],
           [[(2.0, 60.0), (1.0, 60.0)], [(2.0, 62.0), (4.0, 60.0)], [(0.0, 62.0)]]]
    whole = evaluate_piece(ref, est)["Est_F"]
    subsets = [evaluate_piece(ref, [est[k] for k in s])["Est_F"]
               for n in (1, 2) for s in combinations(range(3), n)]
    assert whole == pytest.approx(80 / 93) and max(subsets) == pytest.approx(6 / 7)
    assert max(subsets) < whole
    assert best_subset(ref, est, "Est_F") == (pytest.approx(whole), [0, 1, 2])


def test_best_subset_names_an_unknown_measure():
    from complex_auto.evaluation import best_subset

    with pytest.raises(ParameterError, match="unknown measure 'Est'"):
        best_subset([_pattern(0.0)], [_pattern(0.0)], "Est")


def test_matching_occurrences_keeps_those_that_share_half_their_notes():
    from complex_auto.evaluation import matching_occurrences

    a = _pattern(0.0)                                        # occurrences at beats 0 and 16
    junk = _pattern(40.0, pitch=50.0)[0]
    half = a[1] + [(30.0, 40.0), (31.0, 41.0), (32.0, 42.0)]  # a's notes and as many others: 3/6
    est = [[a[0], junk, half],                               # two occurrences match
           [junk, _pattern(60.0, pitch=45.0)[0]],            # none does: dropped
           [a[1], junk]]                                     # one left: no longer a repeat
    assert matching_occurrences([a], est) == [[a[0], half]]
    assert matching_occurrences([a], est, share=0.6) == []
    assert matching_occurrences([a], est, share=1.0) == []
    assert matching_occurrences([a], [[a[0], junk, a[1]]], share=1.0) == [a]
    # one note of three shares a third, though every note it has is annotated
    assert matching_occurrences([a], [[a[0][:1], a[1][:1]]]) == []
    assert evaluate_piece([a], [a])["ThreeLayer_F"] == pytest.approx(1.0)
    assert evaluate_piece([a], [[a[0], junk, a[1]]])["ThreeLayer_F"] < 1.0


def test_matching_occurrences_recovers_the_annotation_from_a_noisy_estimate():
    """Real patterns with another piece's occurrences mixed in: only the annotated ones stay,
    and every measure reaches the annotation's own score."""
    from complex_auto.evaluation import matching_occurrences

    ref = load_patterns(GT / "sonata04-2-poly.txt")
    other = [occ for p in load_patterns(GT / "wtc2f20-poly.txt") for occ in p]
    noisy = [p[:1] + other[k::7] + p[1:] for k, p in enumerate(ref)]
    kept = matching_occurrences(ref, noisy)
    assert [[sorted(o) for o in p] for p in kept] == [[sorted(o) for o in p] for p in ref]
    assert evaluate_piece(ref, noisy)["ThreeLayer_F"] < 0.9
    assert all(v == pytest.approx(1.0) for k, v in evaluate_piece(ref, kept).items()
               if k.endswith("_F"))
    with pytest.raises(ParameterError, match="share must lie in"):
        matching_occurrences(ref, noisy, share=0.0)


def test_format_matches_reads_precision_and_recall_off_the_table():
    from complex_auto.evaluation import establishment_matrix, format_matches

    est = [REF_A, HALF_B, JUNK]
    text = format_matches(establishment_matrix([REF_A, REF_B], est), "toy")
    lines = text.splitlines()
    assert lines[0] == "toy: establishment of 3 found patterns (rows) against 2 annotated (columns)"
    assert lines[1].split() == ["A1", "A2", "best"]
    assert lines[2].split() == ["P1", "1.00", "0.00", "1.00", "A1"]
    assert lines[3].split() == ["P2", "0.00", "0.50", "0.50", "A2"]
    assert lines[4].split() == ["P3", "0.00", "0.00", "0.00"]        # matches nothing
    assert lines[5].split() == ["best", "1.00", "0.50"]
    scores = evaluate_piece([REF_A, REF_B], est)
    assert lines[6].startswith(f"precision {scores['Est_P']:.3f} (") and \
        f"recall {scores['Est_R']:.3f} (" in lines[6]
    # an estimate without patterns: no rows, every annotation missed
    empty = format_matches(establishment_matrix([REF_A, REF_B], [])).splitlines()
    assert empty[2].split() == ["best", "0.00", "0.00"] and "precision 0.000" in empty[3]
    # a matrix of another shape or with a NaN: one line naming it, not an unpacking error
    for bad, match in (([1.0, 2.0], "S must have 2 dimensions"),
                       ([[np.nan]], "S holds nan at index")):
        with pytest.raises(ParameterError, match=match):
            format_matches(bad)


def test_three_layer_matrix_by_hand():
    from complex_auto.evaluation import three_layer_matrix

    # the first annotated occurrence doubles a note (two voices in unison): mir_eval counts
    # it in the length, 5 notes listed, 4 distinct
    ref = [occurrence(0, [60, 62, 64, 65]) + [(0.0, 60.0)], occurrence(20, [60, 62, 64, 65])]
    est = [occurrence(0, [60, 62, 64, 65]),         # the first occurrence: F 2*4/(5+4)
           occurrence(20, [60, 62, 64, 65])[:2],    # 2 of the second's 4 notes: F 2*2/(4+2)
           occurrence(100, [40, 45, 41, 47])]       # nothing
    layer = three_layer_matrix([ref], [est, JUNK])
    # first layer (annotated x found occurrences) [[8/9, 0, 0], [0, 2/3, 0]]:
    # P = mean of column maxima over the 3 found, R = mean of row maxima over the 2 annotated
    p, r = (8 / 9 + 2 / 3) / 3, (8 / 9 + 2 / 3) / 2
    assert layer.P[0] == pytest.approx([p, 0.0]) and layer.R[0] == pytest.approx([r, 0.0])
    assert layer.F[0] == pytest.approx([2 * p * r / (p + r), 0.0])
    assert layer.ref_occurrences == (2,) and layer.est_occurrences == (3, 2)
    # a found pattern without occurrences matches nothing (and does not fail)
    assert three_layer_matrix([ref], [[]]).F.tolist() == [[0.0]]


@pytest.mark.parametrize("piece, other", [("mazurka24-4-poly", "silverswan-poly"),
                                          ("sonata04-2-poly", "wtc2f20-poly")])
def test_three_layer_matrix_gives_mir_evals_precision_and_recall(piece, other):
    """Column maxima of F average to ThreeLayer_P, row maxima to ThreeLayer_R, on a real
    reference against a thinned copy of part of itself and another piece's patterns."""
    from complex_auto.evaluation import three_layer_matrix

    ref = load_patterns(GT / f"{piece}.txt")
    thinned = [[occ[::2] for occ in pattern[:-1]] for pattern in ref]   # and one occurrence less
    est = thinned[::2] + load_patterns(GT / f"{other}.txt")
    layer = three_layer_matrix(ref, est)
    scores = evaluate_piece(ref, est)
    assert layer.F.shape == (len(ref), len(est))
    assert layer.F.max(axis=0).mean() == pytest.approx(scores["ThreeLayer_P"], abs=1e-12)
    assert layer.F.max(axis=1).mean() == pytest.approx(scores["ThreeLayer_R"], abs=1e-12)
    assert 0 < scores["ThreeLayer_R"] < 1


def test_format_three_layer_reads_precision_and_recall_off_the_table():
    from complex_auto.evaluation import format_three_layer, three_layer_matrix

    est = [REF_A, HALF_B, JUNK]
    text = format_three_layer(three_layer_matrix([REF_A, REF_B], est), "toy")
    lines = text.splitlines()
    assert lines[0] == "toy: three-layer match of 2 annotated patterns (rows) by 3 found"
    assert lines[1].split() == ["best", "F", "occ", "P", "occ", "R", "found", "annotated"]
    assert lines[2].split() == ["A1", "P1", "1.00", "1.00", "1.00", "2", "2"]
    assert lines[3].split() == ["A2", "P2", "0.50", "0.50", "0.50", "2", "2"]   # half the notes
    assert lines[4].split() == ["found", "P1", "P2", "P3"]
    assert lines[5].split() == ["best", "1.00", "0.50", "0.00"]                   # P3: nothing
    scores = evaluate_piece([REF_A, REF_B], est)
    assert lines[6].startswith(f"precision {scores['ThreeLayer_P']:.3f} (") and \
        f"recall {scores['ThreeLayer_R']:.3f} (" in lines[6]
    # an estimate without patterns: every annotation unmatched
    empty = format_three_layer(three_layer_matrix([REF_A, REF_B], [])).splitlines()
    assert empty[2].split() == ["A1", "none", "0.00"] and "precision 0.000" in empty[-1]


def test_script_prints_matches_per_piece(tmp_path):
    peer = tmp_path / "peer"
    peer.mkdir()
    # silverswan's annotation, its patterns in reverse order, scored against itself
    write_mirex(peer / "silverswan-poly.txt", load_patterns(GT / "silverswan-poly.txt")[::-1])
    res = subprocess.run([sys.executable, str(REPO / "extract_motives_eval.py"), "r",
                          "--estdir", str(peer), "--refdir", str(GT), "--matches"],
                         cwd=tmp_path, env=child_env(), capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    table = res.stdout.split("silverswan-poly: establishment of 4 found patterns")[1]
    rows = {line.split()[0]: line.split() for line in table.splitlines()[2:6]}
    assert [rows[f"P{j}"][-2:] for j in range(1, 5)] == [["1.00", f"A{5 - j}"]
                                                         for j in range(1, 5)]
    assert "precision 1.000" in table and "recall 1.000" in table
    layer = res.stdout.split("silverswan-poly: three-layer match of 4 annotated patterns "
                             "(rows) by 4 found")[1].splitlines()
    assert [line.split()[:3] for line in layer[2:6]] == [[f"A{i}", f"P{5 - i}", "1.00"]
                                                         for i in range(1, 5)]
    assert "precision 1.000" in layer[8] and "recall 1.000" in layer[8]


@pytest.mark.parametrize("model, trained", [
    ("cqt_jku", ["mazurka24-4-poly", "silverswan-poly", "sonata01-3-poly", "wtc2f20-poly"]),
    ("cqt_piano", [])])               # trained on a rendered corpus, and records no list here
def test_a_run_of_a_shipped_model_says_whether_it_scores_the_models_training_pieces(
        tmp_path, model, trained, caplog):
    from complex_auto.filelist import read_filelist
    import torch

    from complex_auto.runinfo import trained_pieces_scored, weights_sha256, write_conversion_info

    weights = REPO / "models" / model / "model_complex_auto_cqt.save"
    record = weights.parent / "training_cqt.json"
    if trained:     # the shipped record holds the shipped weights; sonata04-2 did not train
        listed = [f.as_posix() for f in read_filelist(REPO / "filelist_audio.txt")]
        session = json.loads(record.read_text())["sessions"][0]
        assert (session["trained"], session["evaluation"]) == (listed[:4], listed[4:])
    layout = RunLayout("r", tmp_path).make()
    cfg = {"sr": 22050, "hop_length": 1984, "length_ngram": 32}
    digest = weights_sha256(torch.load(weights, weights_only=True))
    write_conversion_info(layout.conversion_info, cfg, 1, [], model=str(weights),
                          weights_sha256=digest)
    info = json.loads(layout.conversion_info.read_text())
    pieces = ["wtc2f20-poly", "unseen", "sonata04-2-poly", "mazurka24-4-poly",
              "silverswan-poly", "sonata01-3-poly"]
    assert trained_pieces_scored(layout, pieces) == ((weights, record, trained, True)
                                                     if trained else (None, None, [], True))
    shutil.copy(GT / "wtc2f20-poly.txt", layout.seg("wtc2f20-poly"))
    shutil.copy(GT / "sonata04-2-poly.txt", layout.seg("sonata04-2-poly"))
    text = evaluate_run("r", refdir=GT, root=tmp_path)[3]
    note = (f"1 of the 2 pieces scored (wtc2f20-poly) is in the training data of {weights} "
            f"(its record: {record}): its score does not measure unseen music")
    assert (f"# seen in training: {note}" in text) == (note in caplog.text) == bool(trained)
    if trained:     # weights other than those that made the features: not in the record
        layout.conversion_info.write_text(json.dumps(dict(info, weights_sha256="0" * 64)))
        assert trained_pieces_scored(layout, pieces) == (None, None, [], True)
        # the record found beside the model the conversion names, the file itself gone
        other = tmp_path / "other" / weights.name
        other.parent.mkdir()
        shutil.copy(record, other.parent)
        layout.conversion_info.write_text(json.dumps(dict(info, model=str(other))))
        assert trained_pieces_scored(layout, pieces) == (other, other.parent / record.name,
                                                         trained, True)
        # a record beside it that cannot be read is passed over, with a warning
        (other.parent / "training_a.json").write_text("{")    # read before cqt
        assert trained_pieces_scored(layout, pieces)[2] == trained
        assert "training_a.json: not a training record" in caplog.text
    # a run converted before the digest was recorded: its weights are not known
    layout.conversion_info.write_text(json.dumps({k: v for k, v in info.items()
                                                  if k != "weights_sha256"}))
    assert trained_pieces_scored(layout, pieces) == (None, None, [], True)
    write_conversion_info(layout.conversion_info, cfg, 1, [], features="cqt")
    assert trained_pieces_scored(layout, pieces) == (None, None, [], True)   # no model


def test_the_note_on_training_pieces_is_read_from_the_last_evaluation(tmp_path):
    from complex_auto.evaluation import SEEN_IN_TRAINING, seen_in_training

    path = tmp_path / "results.txt"
    assert seen_in_training(path) is None
    block = "# 2026-11-29T10:00:00  estimates: {}  references: data/jku/groundtruth\ntable\n"
    path.write_text(block.format("output/r/*.seg") + SEEN_IN_TRAINING + "the note\n\n")
    assert seen_in_training(path) == "the note"
    path.write_text(path.read_text() + block.format("peers/vmo") + "# no estimate for: x\n\n")
    assert seen_in_training(path) is None           # the last scores are a peer's


def test_the_note_says_when_the_record_does_not_know_all_that_trained_the_weights(tmp_path):
    from complex_auto.evaluation import trained_on_note
    from complex_auto.runinfo import add_model, write_conversion_info, write_training_info

    model = tmp_path / "m" / "model_complex_auto_cqt.save"
    model.parent.mkdir()
    layout = RunLayout("r", tmp_path).make()
    write_conversion_info(layout.conversion_info, {"sr": 22050, "hop_length": 1984,
                                                   "length_ngram": 32}, 1, [],
                          model=str(model), weights_sha256="w")
    record = {"data_type": "cqt", "sessions": [], "models": []}
    session = {"filelist": "l.txt", "trained": ["a/x.wav", "b/y.mp3"], "evaluation": [],
               "epochs": [3, 3], "from": "weights of no record"}       # a resumed model
    add_model(record, session, 4, "w")
    write_training_info(model.parent / "training_cqt.json", record)
    rows = [{"piece": "x"}, {"piece": "z"}, {"piece": "y"}]
    assert trained_on_note(layout, rows) == (
        f"2 of the 3 pieces scored (x, y) are in the training data of {model} (its record: "
        f"{model.parent / 'training_cqt.json'}; what trained the weights it resumed is "
        "unknown): their scores do not measure unseen music")
    session["from"] = None                                             # a fresh model
    write_training_info(model.parent / "training_cqt.json", record)
    assert "unknown" not in trained_on_note(layout, rows)
    assert trained_on_note(layout, [{"piece": "z"}]) is None
