#!/usr/bin/env bash
# demo.sh BUILD_DIR - run romac's main job on a bundled model.
#
# Compiles the bundled light export of the Stable Diffusion 2 inpainting UNet
# (every layer at its real size, 512x512 images, 77 text tokens) for the
# default target, edge-npu-lpddr4: imports the ONNX graph, searches the
# tiling of every contraction, proves the schedule with Z3, prints the
# per-layer table and totals, and writes the schedule JSON.
#
# Then a short `romac zoom` on the bundled tiny SD2-inpainting models (random
# weights, so the pictures are noise-like): 2 key frames of 64x64, 8 video
# frames per outpaint step, PNGs and both MP4s. The tiny graphs compile once
# into romac's artefact cache (docs/runtime.md; a few minutes on a loaded
# 2-core machine), later demos load them in well under a second.
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

ZOOM="$OUT/zoom"
rm -rf "$ZOOM"
echo
echo "== romac zoom --model-dir models/sd2-inpainting/tiny (2 key frames, 8 frames per step)"
"$BIN/romac" zoom --model-dir "$ROOT/models/sd2-inpainting/tiny" \
  --prompt "a lighthouse on a cliff at dusk, oil painting" --negative-prompt "blurry" \
  --size 64 --mask-width 16 --steps 4 --outpaint-steps 1 --interp-frames 8 --fps 8 \
  --seed 1 --out "$ZOOM"
echo
echo "== zoom written to $ZOOM:"
echo "   key frames   $ZOOM/keyframe_0000.png, keyframe_0001.png"
echo "   video frames $ZOOM/frame_00000.png .. frame_00008.png"
echo "   videos       $ZOOM/zoom_out.mp4, $ZOOM/zoom_in.mp4"
echo "   timings      $ZOOM/zoom.json"
