#!/usr/bin/env bash
# Repeated-section discovery on the JKU pieces, end to end:
# train (or take the shipped model), convert the JKU recordings with self-similarity matrices,
# extract patterns with the csv scores, evaluate against the ground truth.
#
#   ./run_batch_audio.sh RUN [CONFIG] [--method M]   train on filelist_audio.txt with CONFIG
#                                                    (default config_cqt.ini), then the rest
#   ./run_batch_audio.sh RUN --pretrained [--method M]
#                                                    skip training: use the shipped model
#                                                    (models/cqt_piano/, with its own config)
#   ./run_batch_audio.sh RUN --pretrained=NAME [--method M]
#                                                    another shipped CQT model, models/NAME/
#                                                    (e.g. cqt_piano_n8, 8-frame windows for
#                                                    motifs, with --method families)
#
# --method M is passed on to extract_motives.py (nf14, the default, or families).
# Environment: PYTHON (the interpreter; default python3, else python), EXTRACT_ARGS (extra flags
# for extract_motives.py, e.g. "--th 0.01"), DEVICE (auto, cpu or cuda; default auto).
set -uo pipefail
cd "$(dirname "$0")"

# The shipped model and the config it was trained with.
PRETRAINED_MODEL=models/cqt_piano/model_complex_auto_cqt.save
PRETRAINED_CONFIG=models/cqt_piano/config_cqt.ini

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
die() { echo "error: $*" >&2; exit 2; }
[ $# -ge 1 ] || usage
case "$1" in -h|--help) usage 0 ;; -*) die "the first argument is the run keyword, not $1" ;; esac
RUN=$1; shift
CONFIG=
PRETRAINED=0
METHOD=
while [ $# -gt 0 ]; do
    case "$1" in
        --pretrained) PRETRAINED=1 ;;
        --pretrained=*) PRETRAINED=1; NAME=${1#--pretrained=}
                        [ -n "$NAME" ] || die "--pretrained= needs a model folder name"
                        PRETRAINED_MODEL=models/$NAME/model_complex_auto_cqt.save
                        PRETRAINED_CONFIG=models/$NAME/config_cqt.ini
                        [ -f "$PRETRAINED_MODEL" ] && [ -f "$PRETRAINED_CONFIG" ] ||
                            die "--pretrained=$NAME: no CQT model in models/$NAME/ (shipped:" \
                                "$(cd models && ls -d */model_complex_auto_cqt.save 2>/dev/null |
                                   sed 's,/.*,,' | paste -sd ' ' -))" ;;
        --method) [ $# -ge 2 ] || die "--method needs a value (nf14 or families)"
                  METHOD=$2; shift
                  [ -n "$METHOD" ] || die "--method needs a value (nf14 or families)" ;;
        --method=*) METHOD=${1#--method=}
                    [ -n "$METHOD" ] || die "--method= needs a value (nf14 or families)" ;;
        -h|--help) usage 0 ;;
        -*) echo "error: unknown option $1" >&2; usage ;;
        *) [ -z "$CONFIG" ] || die "two configs given: $CONFIG and $1"
           CONFIG=$1 ;;
    esac
    shift
done
# Checked before any step runs, so a typo does not cost a training or a conversion first
# (the names of complex_auto.patterns.METHODS; a test keeps the two lists equal).
case "$METHOD" in
    ""|nf14|families) ;;
    *) die "--method $METHOD: not a method of extract_motives.py (nf14 or families)" ;;
esac
if [ $PRETRAINED -eq 1 ] && [ -n "$CONFIG" ]; then
    die "--pretrained uses the shipped model with its own config ($PRETRAINED_CONFIG);" \
        "leave out $CONFIG, or drop --pretrained to train with it"
fi

# The interpreter: $PYTHON, else python3, else python (bash 3.2 and no activated env welcome).
if [ -n "${PYTHON:-}" ]; then
    PY=$PYTHON
elif command -v python3 >/dev/null 2>&1; then
    PY=python3
elif command -v python >/dev/null 2>&1; then
    PY=python
else
    die "no python3 or python on PATH; set PYTHON=/path/to/python"
fi
DEVICE=${DEVICE:-auto}

step() {
    local name=$1; shift
    echo "== $name: $*"
    "$@"
    local code=$?
    if [ $code -ne 0 ]; then
        echo "error: step '$name' failed (exit $code); stopping" >&2
        exit $code
    fi
}

# Arrays may be empty: "${a[@]+"${a[@]}"}" expands to nothing then, also under bash 3.2's set -u.
MODEL_ARGS=()
METHOD_ARGS=()
[ -z "$METHOD" ] || METHOD_ARGS=(--method "$METHOD")
if [ $PRETRAINED -eq 1 ]; then
    CONFIG=$PRETRAINED_CONFIG
    MODEL_ARGS=(--model "$PRETRAINED_MODEL")
else
    CONFIG=${CONFIG:-config_cqt.ini}
    step train "$PY" train.py "$RUN" filelist_audio.txt "$CONFIG" --device "$DEVICE"
fi
step convert "$PY" convert.py "$RUN" jku_input_audio.txt "$CONFIG" --self-sim-matrix \
    --device "$DEVICE" ${MODEL_ARGS[@]+"${MODEL_ARGS[@]}"}
# shellcheck disable=SC2086
step extract "$PY" extract_motives.py "$RUN" --csv jku_csv_files.txt \
    ${METHOD_ARGS[@]+"${METHOD_ARGS[@]}"} ${EXTRACT_ARGS:-}
step evaluate "$PY" extract_motives_eval.py "$RUN"
echo "results: output/$RUN/results.csv (table), output/$RUN/results.txt (log),"
echo "         output/$RUN/*_patterns.png (matrices with the patterns found)"
