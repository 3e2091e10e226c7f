#!/usr/bin/env bash
# demo.sh BUILD_DIR - run romac's main job on a bundled model.
#
# Compiles the bundled light export of the Stable Diffusion 2 inpainting UNet
# (every layer at its real size, 512x512 images, 77 text tokens) for the
# default target, edge-npu-lpddr4: imports the ONNX graph, searches the
# tiling of every contraction, proves the schedule with Z3, prints the
# per-layer table and totals, and writes the schedule JSON.
set -euo pipefail
BUILD_DIR=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$BUILD_DIR/bin"
OUT="$BUILD_DIR/demo"
mkdir -p "$OUT"

echo "== $("$BIN/romac" version)"
echo "== romac compile models/sd2-inpainting/light/unet/model.onnx --target edge-npu-lpddr4 --verify"
"$BIN/romac" compile "$ROOT/models/sd2-inpainting/light/unet/model.onnx" \
  --dim batch_size=1 --dim height=64 --dim width=64 --dim sequence_length=77 \
  --target edge-npu-lpddr4 --verify -o "$OUT/unet.schedule.json"
echo
echo "== schedule written to $OUT/unet.schedule.json; inspect it with:"
echo "   $BIN/romac inspect $OUT/unet.schedule.json [--layer NAME] [--compare OTHER]"
