#!/usr/bin/env bash
# Repeated-section discovery on the JKU pieces, end to end:
# train (or take the shipped model), convert the JKU recordings with self-similarity matrices,
# extract patterns with the csv scores, evaluate against the ground truth.
#
#   ./run_batch_audio.sh RUN [CONFIG]          train on filelist_audio.txt with CONFIG
#                                              (default config_cqt.ini), then the rest
#   ./run_batch_audio.sh RUN --pretrained      skip training: use models/cqt_jku/
#
# Environment: PYTHON (default python), EXTRACT_ARGS (extra flags for extract_motives.py,
# e.g. "-th 0.01"), DEVICE (auto, cpu or cuda; default auto).
set -uo pipefail
cd "$(dirname "$0")"

usage() { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
[ $# -ge 1 ] || usage
case "$1" in -h|--help) usage 0 ;; esac
RUN=$1; shift
CONFIG=config_cqt.ini
PRETRAINED=0
for arg in "$@"; do
    case "$arg" in
        --pretrained) PRETRAINED=1 ;;
        -h|--help) usage 0 ;;
        -*) echo "error: unknown option $arg" >&2; usage ;;
        *) CONFIG=$arg ;;
    esac
done
PY=${PYTHON:-python}
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

MODEL_ARGS=()
if [ $PRETRAINED -eq 1 ]; then
    CONFIG=models/cqt_jku/config_cqt.ini
    MODEL_ARGS=(--model models/cqt_jku/model_complex_auto_cqt.save)
else
    step train "$PY" train.py "$RUN" filelist_audio.txt "$CONFIG" --device "$DEVICE"
fi
step convert "$PY" convert.py "$RUN" jku_input_audio.txt "$CONFIG" --self-sim-matrix \
    --device "$DEVICE" "${MODEL_ARGS[@]}"
# shellcheck disable=SC2086
step extract "$PY" extract_motives.py "$RUN" -csv jku_csv_files.txt ${EXTRACT_ARGS:-}
step evaluate "$PY" extract_motives_eval.py "$RUN"
echo "results: output/$RUN/results.csv (table), output/$RUN/results.txt (log),"
echo "         output/$RUN/*_patterns.png (matrices with the patterns found)"
