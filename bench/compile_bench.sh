#!/usr/bin/env bash
# compile_bench.sh BUILD_DIR [RUNS] - time `romac compile` on the SD2 graphs.
#
# Compiles the committed light export of the SD2-inpainting UNet (every layer
# at full size: import, tile search of all 346 contractions, schedule JSON)
# for edge-npu-lpddr4, RUNS times (default 5), and prints the median wall
# time and peak RSS; then the same with --verify (Z3 proofs of every distinct
# layer), --dram and --fuse. Last, the planning-speed goal of issue #14:
# `romac compile --fuse` of all four SD2 graphs (UNet, VAE encoder, VAE
# decoder, text encoder; light exports, images of 512x512) on the default
# target, one after the other: the total wall time (goal <= 10 s on 2
# cores) and the largest peak RSS.
set -euo pipefail
BUILD_DIR=${1:?usage: compile_bench.sh BUILD_DIR [RUNS]}
RUNS=${2:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
args=("$ROOT/models/sd2-inpainting/light/unet/model.onnx" --dim batch_size=1
      --dim height=64 --dim width=64 --dim sequence_length=77
      --target edge-npu-lpddr4 -q -o "$OUT/unet.json")
echo "compile_bench: SD2 UNet (light), edge-npu-lpddr4, $(nproc) cores"
"$ROOT/bench/median_time.sh" "$RUNS" "$BUILD_DIR/bin/romac" compile "${args[@]}"
echo "with --verify:"
"$ROOT/bench/median_time.sh" "$RUNS" "$BUILD_DIR/bin/romac" compile "${args[@]}" --verify
echo "with --dram:"
"$ROOT/bench/median_time.sh" "$RUNS" "$BUILD_DIR/bin/romac" compile "${args[@]}" --dram
echo "with --fuse:"
"$ROOT/bench/median_time.sh" "$RUNS" "$BUILD_DIR/bin/romac" compile "${args[@]}" --fuse
echo "MobileNet-v1 (light), romanet-ddr3, --fuse:"
"$ROOT/bench/median_time.sh" "$RUNS" "$BUILD_DIR/bin/romac" compile \
  "$ROOT/models/mobilenet-v1/light/model.onnx" --target romanet-ddr3 --fuse \
  -q -o "$OUT/mobilenet.json"
echo "all four SD2 graphs (light, 512x512), --fuse, default target, in a row:"
SD2="$ROOT/models/sd2-inpainting/light"
"$ROOT/bench/median_time.sh" "$RUNS" bash -c '
  set -e
  romac=$1 sd2=$2 out=$3
  "$romac" compile "$sd2/unet/model.onnx" --dim batch_size=1 --dim height=64 \
    --dim width=64 --dim sequence_length=77 --fuse -q -o "$out/u.json"
  "$romac" compile "$sd2/vae_encoder/model.onnx" --dim batch_size=1 \
    --dim height=512 --dim width=512 --fuse -q -o "$out/e.json"
  "$romac" compile "$sd2/vae_decoder/model.onnx" --dim batch_size=1 \
    --dim height_latent=64 --dim width_latent=64 --fuse -q -o "$out/d.json"
  "$romac" compile "$sd2/text_encoder/model.onnx" --dim batch_size=1 \
    --dim sequence_length=77 --fuse -q -o "$out/t.json"
' compile-sd2 "$BUILD_DIR/bin/romac" "$SD2" "$OUT"
