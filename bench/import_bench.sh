#!/usr/bin/env bash
# import_bench.sh BUILD_DIR MODEL_DIR [RUNS] - time `romac import` on a model.
#
# Imports MODEL_DIR/model.onnx (with its external data) RUNS times (default 5)
# under /usr/bin/time and prints each run, then the median wall time and the
# median peak RSS. `--summary` prints a summary instead of the IR: the point
# is the import, not writing gigabytes of weights as hex (MLIR's printer
# hex-encodes a blob before it decides to elide it). Binds the SD2 UNet's
# dims by default (override with DIMS=...).
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
data=$(du -sh "$MODEL_DIR" | cut -f1)
echo "import_bench: $model ($data with external data), $RUNS runs, $(nproc) cores"
walls=() rss=()
for i in $(seq 1 "$RUNS"); do
  out=$( { /usr/bin/time -f '%e %M' "$BUILD_DIR/bin/romac" import "$model" $DIMS \
            --summary -o /dev/null; } 2>&1 )
  read -r wall kb <<<"$(tail -n1 <<<"$out")"
  walls+=("$wall") rss+=("$kb")
  printf '  run %d: %6.2f s  %7.1f MiB peak RSS\n' "$i" "$wall" "$(awk -v k="$kb" 'BEGIN {print k / 1024}')"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
printf 'median: %.2f s wall, %.1f MiB peak RSS\n' "$(median "${walls[@]}")" \
  "$(awk -v k="$(median "${rss[@]}")" 'BEGIN {print k / 1024}')"
