#!/usr/bin/env bash
# schedule-snapshot.sh BUILD_DIR OUT_DIR - compile every committed model into
# OUT_DIR (schedule JSON, printed table, --emit-mlir IR, errors) for a matrix
# of targets and search modes, so that a refactoring can be checked to leave
# every schedule byte-identical:
#
#   scripts/schedule-snapshot.sh build-before /tmp/before
#   scripts/schedule-snapshot.sh build /tmp/after
#   diff -r /tmp/before /tmp/after && echo identical
#
# Flat search: every model on every shipped target. DRAM-aware search and
# fusion: every model on romanet-ddr3 and edge-npu-lpddr4 (the SD2 light
# VAE decoder, ~30 s a run, on edge-npu-lpddr4 only). Wall time ~5 min on
# 2 cores.
set -euo pipefail
BUILD_DIR=${1:?usage: schedule-snapshot.sh BUILD_DIR OUT_DIR}
OUT=${2:?usage: schedule-snapshot.sh BUILD_DIR OUT_DIR}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROMAC="$BUILD_DIR/bin/romac"
mkdir -p "$OUT"

SD2_DIMS="--dim batch_size=1 --dim sequence_length=77"
declare -A DIMS=(
  [sd2-light-unet]="$SD2_DIMS --dim height=64 --dim width=64"
  [sd2-light-vae_encoder]="$SD2_DIMS --dim height=512 --dim width=512"
  [sd2-light-vae_decoder]="$SD2_DIMS --dim height_latent=64 --dim width_latent=64"
  [sd2-light-text_encoder]="$SD2_DIMS"
  [sd2-tiny-unet]="$SD2_DIMS --dim height=16 --dim width=16"
  [sd2-tiny-vae_encoder]="$SD2_DIMS --dim height=64 --dim width=64"
  [sd2-tiny-vae_decoder]="$SD2_DIMS --dim height_latent=8 --dim width_latent=8"
  [sd2-tiny-text_encoder]="$SD2_DIMS"
)
declare -A MODELS
for m in "$ROOT"/models/onnx-light/*.onnx; do
  MODELS[$(basename "$m" .onnx)]=$m
done
for m in alexnet vgg16 mobilenet-v1 mobilenet-v2; do
  MODELS[$m]="$ROOT/models/$m/light/model.onnx"
done
for v in light tiny; do
  for g in unet vae_encoder vae_decoder text_encoder; do
    MODELS[sd2-$v-$g]="$ROOT/models/sd2-inpainting/$v/$g/model.onnx"
  done
done

run() { # NAME TARGET MODE
  local name=$1 target=$2 mode=$3 flags=()
  case $mode in
    flat) ;;
    dram) flags=(--dram) ;;
    fuse) flags=(--fuse) ;;
  esac
  local base="$OUT/$name.$target.$mode"
  # shellcheck disable=SC2086
  "$ROMAC" compile "${MODELS[$name]}" ${DIMS[$name]:-} --target "$target" \
    "${flags[@]}" -o "$base.json" --emit-mlir "$base.mlir" \
    >"$base.table" 2>"$base.log" || echo "exit $?" >>"$base.log"
  # Progress lines carry timings and paths: keep only what must not change.
  grep -E 'error|warning|exit' "$base.log" >"$base.stderr" || true
  rm -f "$base.log"
}

for name in $(printf '%s\n' "${!MODELS[@]}" | sort); do
  for target in edge-npu-lpddr4 romanet-ddr3 eyeriss-like simba-like; do
    run "$name" "$target" flat
  done
  for target in romanet-ddr3 edge-npu-lpddr4; do
    if [[ $name == sd2-light-vae_decoder && $target == romanet-ddr3 ]]; then
      continue
    fi
    run "$name" "$target" dram
    run "$name" "$target" fuse
  done
  echo "$name done"
done
