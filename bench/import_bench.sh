#!/usr/bin/env bash
# import_bench.sh BUILD_DIR MODEL_DIR [RUNS] - time `romac import` on a model.
#
# Imports MODEL_DIR/model.onnx (with its external data) RUNS times (default 5)
# and prints the median wall time and peak RSS. `--summary` prints a summary
# instead of the IR: the point is the import, not writing gigabytes of
# weights as hex (MLIR's printer hex-encodes a blob before it decides to
# elide it). Binds the SD2 UNet's dims by default (override with DIMS=...).
#
#   make models-full   # writes build/models/sd2-inpainting/full/...
#   bench/import_bench.sh build build/models/sd2-inpainting/full/unet
set -euo pipefail
BUILD_DIR=${1:?usage: import_bench.sh BUILD_DIR MODEL_DIR [RUNS]}
MODEL_DIR=${2:?usage: import_bench.sh BUILD_DIR MODEL_DIR [RUNS]}
RUNS=${3:-5}
DIMS=${DIMS:---dim batch_size=1 --dim height=64 --dim width=64 --dim sequence_length=77}
model="$MODEL_DIR/model.onnx"
[ -f "$model" ] || { echo "import_bench: error: no model at '$model'" >&2; exit 2; }
echo "import_bench: $model ($(du -sh "$MODEL_DIR" | cut -f1) with external data), $(nproc) cores"
# shellcheck disable=SC2086
"$(dirname "$0")/median_time.sh" "$RUNS" "$BUILD_DIR/bin/romac" import "$model" $DIMS --summary
