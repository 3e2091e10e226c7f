#!/usr/bin/env bash
# dram_fidelity.sh BUILD_DIR [OUT_DIR] - romac's DRAM model against DRAMsim3.
#
# Needs DS3DRIVE: the DRAMsim3 trace driver that ../shared/oracles/build.sh
# builds (`bash ../shared/oracles/build.sh /tmp/oracles`, then
# DS3DRIVE=/tmp/oracles/ds3drive). Without it the script says so and exits 0:
# DRAMsim3 is not a dependency of romac. ORACLES (default ../shared/oracles
# next to the repository) holds compare.py.
#
# Writes `romac compile --dram-trace` folders into OUT_DIR (default a fresh
# temporary folder, removed at the end), runs every trace through DRAMsim3
# (compare.py) and prints the table of docs/dram-model.md: per folder and
# over all, the row-hit rate difference and the DRAMsim3 / romac ratios of
# ACTs, cycles and energy (median and worst), and issue #14's goals.
#   - AlexNet, VGG-16, MobileNet-v1 (light) on romanet-ddr3, --dram and --fuse;
#   - the same on edge-npu-lpddr4 under each of the six --dram-mapping values;
#   - AlexNet and MobileNet-v1 on bench/targets/romanet-ddr4-2x2.yaml (2
#     channels x 2 ranks of DDR4) under romanet, RoBaRaCoCh and RoCoRaBaCh;
#   - five SD2 UNet layers (light export, 64x64 latents, batch 2) on
#     edge-npu-lpddr4: a 3x3 convolution, attention QK^T and its cross
#     attention, a 1x1 convolution and the feed-forward matmul.
set -euo pipefail
BUILD_DIR=${1:?usage: dram_fidelity.sh BUILD_DIR [OUT_DIR]}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ORACLES=${ORACLES:-$ROOT/../shared/oracles}
if [ -z "${DS3DRIVE:-}" ]; then
  echo "dram_fidelity: DS3DRIVE is not set; build DRAMsim3 with" \
       "'bash $ORACLES/build.sh DIR' and set DS3DRIVE=DIR/ds3drive"
  exit 0
fi
if [ ! -x "$DS3DRIVE" ] || [ ! -f "$ORACLES/compare.py" ]; then
  echo "dram_fidelity: need an executable DS3DRIVE ($DS3DRIVE) and" \
       "$ORACLES/compare.py" >&2
  exit 1
fi
ROMAC=$BUILD_DIR/bin/romac
if [ -n "${2:-}" ]; then
  OUT=$2
  mkdir -p "$OUT"
else
  OUT=$(mktemp -d)
  trap 'rm -rf "$OUT"' EXIT
fi

traces() { # FOLDER ROMAC-COMPILE-ARGS...
  local dir=$OUT/$1
  shift
  rm -rf "$dir" "$dir.sim"
  "$ROMAC" compile "$@" --dram-trace "$dir" -q -o "$OUT/schedule.json"
  (cd "$OUT" && DS3DRIVE=$DS3DRIVE /usr/bin/python3 "$ORACLES/compare.py" \
     ds3 "$(basename "$dir")" > "$dir.txt")
  echo "dram_fidelity: $(tail -2 "$dir.txt" | head -1)"
}

nets=(alexnet vgg16 mobilenet-v1)
for net in "${nets[@]}"; do
  model=$ROOT/models/$net/light/model.onnx
  traces "ddr3-$net" "$model" --target romanet-ddr3 --dram
  traces "ddr3-fuse-$net" "$model" --target romanet-ddr3 --fuse
  for mapping in romanet drmap row-interleaved RoBaRaCoCh ChRaBaRoCo \
                 RoCoRaBaCh; do
    traces "lpddr4-$mapping-$net" "$model" --target edge-npu-lpddr4 \
      --dram-mapping "$mapping"
  done
done
for net in alexnet mobilenet-v1; do
  for mapping in romanet RoBaRaCoCh RoCoRaBaCh; do
    traces "ddr4x2-$mapping-$net" "$ROOT/models/$net/light/model.onnx" \
      --target "$ROOT/bench/targets/romanet-ddr4-2x2.yaml" \
      --dram-mapping "$mapping"
  done
done
unet=$ROOT/models/sd2-inpainting/light/unet/model.onnx
block=/down_blocks.0/attentions.0/transformer_blocks.0
for layer in /down_blocks.0/resnets.0/conv1/Conv "$block/attn1/MatMul" \
             "$block/attn2/MatMul" /down_blocks.1/resnets.0/conv_shortcut/Conv \
             "$block/ff/net.0/proj/MatMul"; do
  name=unet$(echo "$layer" | tr '/.' '--')
  traces "$name" "$unet" --dim batch_size=2 --dim height=64 --dim width=64 \
    --dim sequence_length=77 --target edge-npu-lpddr4 --dram --layer "$layer"
done

echo
echo "DRAMsim3 against romac, $(date -u +%Y-%m-%d), $(git -C "$ROOT" rev-parse --short HEAD)"
echo "issue #14's traces (its goals over them):"
issue=()
for f in "$OUT"/*.sim/results.json; do
  case $(basename "$(dirname "$f")") in ddr4x2-*) ;; *) issue+=("$f") ;; esac
done
/usr/bin/python3 "$ROOT/bench/dram_fidelity_table.py" --markdown "${issue[@]}"
echo
echo "romanet-ddr4-2x2 (2 channels x 2 ranks of DDR4):"
/usr/bin/python3 "$ROOT/bench/dram_fidelity_table.py" --markdown --no-goals \
  "$OUT"/ddr4x2-*.sim/results.json
