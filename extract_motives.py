#!/usr/bin/env python
"""Find repeated themes and sections in the self-similarity matrices of a run.

Examples
--------
    python extract_motives.py jku -csv jku_csv_files.txt
    python extract_motives.py jku -r 2 -th 0.01 -j 2
    python extract_motives.py mysongs --bpm 96          # own recordings, no score
    python extract_motives.py jku --method families     # motifs as well as sections
"""
import argparse
import time

from complex_auto import cli, families, nf14
from complex_auto.cqt import FIRST_SOUND_DB, FIRST_SOUND_SECONDS
from complex_auto.shards import add_shard_arguments, is_whole
from complex_auto.jku import DEFAULT_REFDIR, JKU_BPM
from complex_auto.layout import RunLayout
from complex_auto.nf14 import DEFAULT_RHO, DEFAULT_TH
from complex_auto.patterns import DOMAINS, METHODS, NOTES, extract_run, parse_audio_start
from complex_auto.report import build_report, saved_options
from complex_auto.utils import counted


def parser():
    # the numbers of the help come from the constants that the code uses, so that it cannot
    # say another than the code does
    tempi = ", ".join(f"{piece} {bpm:g}" for piece, bpm in JKU_BPM.items())
    p = argparse.ArgumentParser(
        description="Discover repeated themes and sections in "
                    "the matrices listed in output/RUN/ss_matrices_filelist.txt (made by "
                    "python convert.py RUN FILELIST CONFIG --self-sim-matrix). Per piece it "
                    "writes output/RUN/PIECE.segraw (patterns as frame spans), "
                    "PIECE.patterns.csv (pattern,occurrence,start_s,end_s,score), "
                    "PIECE_patterns.png and, with a csv score, PIECE.seg (MIREX pattern format, for "
                    "extract_motives_eval.py).",
        epilog=f"Tempo: the {len(JKU_BPM)} JKU pieces are known by name ({tempi} bpm); for "
               "other recordings give --bpm, or a second column (tab or space) in "
               "ss_matrices_filelist.txt or in the -csv list, which wins over --bpm. "
               "A frame lasts hop * step / sr seconds as recorded by convert.py in "
               f"output/RUN/conversion.json (--frame-seconds {nf14.FRAME_SECONDS:g} reproduces "
               "the reference).")
    p.add_argument("run", metavar="RUN", help="run keyword: reads and writes output/RUN/")
    p.add_argument("--method", choices=METHODS, default=METHODS[0],
                   help="pattern finder (default: %(default)s). nf14: the original's search "
                        "(Nieto & Farbood, ISMIR 2014): greedy diagonal segments of at least "
                        f"{nf14.MIN_BEATS:g} beats, in the order found. families: patterns of "
                        f"every length from {families.MIN_BEATS:g} beats (motifs) to sections, each a path family of a rank-normalised "
                        "matrix, and the motifs found inside them, ranked best first "
                        "(complex_auto/families.py)")
    p.add_argument("--occurrence-p", type=cli.number, metavar="P",
                   help="families only: an occurrence must also be as similar to its "
                        "pattern as at most a share P of random pairs of spans of its length "
                        f"in the piece ({families.OCCURRENCE_P:g} suggested: about one chance "
                        "occurrence per motif family). Fewer occurrences, better placed than chance; off by default "
                        "(see README, 'Occurrences tested against chance')")
    p.add_argument("--max-beats", type=cli.number, metavar="B",
                   help="families only: the longest pattern in beats (default "
                        f"{families.MAX_BEATS:g}, a section of {families.MAX_BEATS / 4:g} bars "
                        "of 4/4). 8 (two bars) searches motifs only, for "
                        "annotations that mark motifs and not sections (see README, "
                        "'Motifs only')")
    p.add_argument("--notes", choices=NOTES, default=NOTES[0],
                   help="the notes of an occurrence in PIECE.seg (default: %(default)s). span: "
                        "every note of the score in its span, as in the reference. recurring: "
                        "those of them that recur in another occurrence of the same pattern, "
                        "under one shift in time (within a beat of the spans') and pitch (at "
                        "most an octave): the repeated material without what sounds beside it "
                        "(complex_auto/recurrence.py; see README, 'Recurring notes'). melody: "
                        "those of them that are the highest note sounding at their onset, "
                        "for annotations that mark one voice; needs the csv's duration "
                        "column (complex_auto/melody.py; see README, 'Melody notes')")
    # None: not given (the families search has neither, and says so when one is given)
    p.add_argument("--rho", "-r", dest="rho", type=int, metavar="RHO",
                   help=f"nf14: rho of the segment score (default: {DEFAULT_RHO}). Accepted as "
                        "in the reference, where it has no effect: only the main diagonal counts")
    p.add_argument("--th", "-th", dest="th", type=cli.number, metavar="TH",
                   help=f"nf14: score threshold of the segment search (default: {DEFAULT_TH}); "
                        f"when a piece gives nothing it is lowered by {nf14.LOWER_STEP:g} until "
                        "something is found")
    p.add_argument("--csv", "-csv", dest="csv", default="auto", metavar="LIST",
                   help="text file listing one csv score per matrix (e.g. "
                        "jku_csv_files.txt): paired by name when the two lists name the same "
                        "pieces, else line by line, in the order of ss_matrices_filelist.txt; "
                        "'auto' (default): "
                        "JKU pieces get theirs from jku_csv_files.txt by name, other "
                        "recordings none; 'none': no scores. Without a score there is no .seg")
    p.add_argument("-j", "--jobs", dest="jobs", type=int, default=1, metavar="JOBS",
                   help="pieces processed in parallel (default: %(default)s)")
    p.add_argument("--domain", "-dom", dest="domain", choices=DOMAINS, default="audio",
                   help="time base of the matrix frames against the score (default: "
                        "%(default)s). audio: the score's first onset plays at --audio-start "
                        "seconds of the recording; symbolic: frame 0 is beat 0 of the score. (The "
                        "reference's flag is undocumented; this is our reading of it.)")
    p.add_argument("--load-segments", "-pk", dest="load_segments", action="store_true",
                   help="read each piece's segments from output/RUN/PIECE.segments.json, saved "
                        "by an earlier run with -spk, instead of searching (-th and -r are "
                        "then unused). The reference's -pk likewise read pickled results")
    p.add_argument("--save-segments", "-spk", dest="save_segments", action="store_true",
                   help="save each piece's segments to output/RUN/PIECE.segments.json for a "
                        "later -pk. (The reference's -spk read a pickled matrix; here the "
                        "matrix always comes from the .npy that convert.py wrote)")
    p.add_argument("--tonnetz", "-t", dest="tonnetz", action="store_true",
                   help="accepted for compatibility, no effect: in the reference it chose "
                        "tonnetz over chroma features, but here the features are the model's "
                        "(the matrix is made by convert.py)")
    p.add_argument("--bpm", type=cli.number, metavar="BPM",
                   help="tempo of pieces that are not JKU pieces and have no tempo column")
    p.add_argument("--frame-seconds", type=cli.number, metavar="S",
                   help="seconds per matrix frame (default: hop * step / sr from "
                        "output/RUN/conversion.json, 1984/22050 = 0.0900 s for config_cqt.ini); "
                        "0.0886 reproduces the reference's mapping")
    p.add_argument("--audio-start", default="auto", metavar="S|auto|first-sound",
                   help="seconds into each recording where its score's first onset plays. "
                        "first-sound: each recording's first sound (its first sample within "
                        f"{-FIRST_SOUND_DB:g} dB of the loudest of its first "
                        f"{FIRST_SOUND_SECONDS:g} s; the JKU renditions open "
                        "with 0.7-1.2 s of silence); auto (default): first-sound with "
                        "--method families in the audio domain, else 0, the original's mapping")
    p.add_argument("--refdir", "-refdir", metavar="DIR",
                   help="ground truth (DIR/PIECE.txt) to mark on the pictures and in the "
                        f"report when there (default: {DEFAULT_REFDIR}; the report keeps the "
                        "one of its last build, e.g. an evaluation's); a folder named here "
                        "must exist")
    p.add_argument("--no-plot", dest="plot", action="store_false",
                   help="do not draw PIECE_patterns.png")
    p.add_argument("--no-report", dest="report", action="store_false",
                   help="do not write the HTML report output/RUN/report/index.html (per piece: "
                        "a timeline of the patterns beside the ground truth, the matrix picture "
                        "and a playable clip of every occurrence; see python -m "
                        "complex_auto.report --help)")
    add_shard_arguments(p, "pieces")
    cli.add_verbose(p)
    return p


def main(args):
    # the options' ranges are checked by extract_run, for a call from Python as well
    given = [o for o, v in (("--th", args.th), ("--rho", args.rho)) if v is not None]
    if args.method != "nf14" and given:
        cli.log.warning("%s: no effect with --method %s (options of the nf14 search)",
                        " and ".join(given), args.method)
    args.th = DEFAULT_TH if args.th is None else args.th
    args.rho = DEFAULT_RHO if args.rho is None else args.rho
    cli.check_csv_option(args.csv)
    if args.refdir is not None:
        cli.check_folder(args.refdir, "--refdir")
    # the report keeps the ground truth of its last build (an evaluation's) unless given, and
    # the pictures mark the same one
    report_refdir = args.refdir
    if args.refdir is None:
        saved = saved_options(RunLayout(args.run).report_options).get("refdir")
        args.refdir = saved if saved is not None else str(DEFAULT_REFDIR)
    args.audio_start = parse_audio_start(args.audio_start)
    if args.tonnetz:
        cli.log.warning("-t has no effect: the matrices come from the model's features")
    t0 = time.perf_counter()
    results = extract_run(args.run, csv_list=args.csv, bpm=args.bpm, th=args.th,
                          rho=args.rho, jobs=args.jobs, domain=args.domain,
                          frame_seconds=args.frame_seconds, refdir=args.refdir,
                          load_segments=args.load_segments, save_segments=args.save_segments,
                          plot=args.plot, method=args.method, shard=args.shard,
                          overwrite=args.overwrite, audio_start=args.audio_start,
                          occurrence_p=args.occurrence_p, max_beats=args.max_beats,
                          notes=args.notes)
    cli.log.info("%s in %.1f s; files in %s", counted(len(results), "piece"),
                 time.perf_counter() - t0, RunLayout(args.run).dir)
    if args.report and not is_whole(args.shard):
        cli.log.info("shard %d/%d: no report; after the last shard run python -m "
                     "complex_auto.report %s", *args.shard, args.run)
    elif args.report:
        build_report(args.run, refdir=report_refdir, csv_list=args.csv, bpm=args.bpm)


if __name__ == "__main__":
    cli.run(main, parser())
