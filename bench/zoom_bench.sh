#!/usr/bin/env bash
# zoom_bench.sh - one SD2-inpainting key frame on romac (`romac zoom`) and on
# onnxruntime (bench/ort_keyframe.js, npm onnxruntime-node), in one go on the
# same machine: the bench of issue #13.
#
# usage: bench/zoom_bench.sh [--build DIR] [--model-dir DIR] [--size 512]
#                            [--steps 50] [--threads 2] [--precisions fp32,bf16]
#
# --model-dir holds the four graphs, the tokenizer and the scheduler in the
# layout `optimum-cli export onnx --task inpainting` writes (default:
# BUILD/models/sd2-inpainting/full, from `make models-full`; random weights
# time the same as real ones). Both sides make key frame 0 without an init
# image: the text encoder for the prompt and the negative prompt, the VAE
# encoder, PNDM with steps + 1 UNet calls at batch 2 (classifier-free
# guidance 7.5), the VAE decoder. romac's graphs are compiled (or loaded from
# the artefact cache) before its clock starts, as onnxruntime's sessions are
# created before its own. --precisions (default fp32) runs romac zoom once per
# `--precision` against the one onnxruntime (fp32) run. Prints seconds per
# stage for each and their ratios.

set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build MODEL_DIR="" SIZE=512 STEPS=50 THREADS=2 PRECISIONS=fp32

die() { echo "zoom_bench.sh: error: $*" >&2; exit 2; }
while (($#)); do
  case $1 in
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --build|--model-dir|--size|--steps|--threads|--precisions)
      (($# >= 2)) || die "$1 needs a value"
      case $1 in
        --build) BUILD=$2 ;;
        --model-dir) MODEL_DIR=$2 ;;
        --size) SIZE=$2 ;;
        --steps) STEPS=$2 ;;
        --threads) THREADS=$2 ;;
        --precisions) PRECISIONS=$2 ;;
      esac
      shift 2 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[[ $SIZE =~ ^[0-9]+$ && $STEPS =~ ^[0-9]+$ && $THREADS =~ ^[0-9]+$ ]] ||
  die "--size, --steps and --threads take positive integers"
IFS=, read -r -a precisions <<<"$PRECISIONS"
((${#precisions[@]})) || die "--precisions is empty"
for p in "${precisions[@]}"; do
  [[ $p == fp32 || $p == bf16 ]] || die "unknown precision '$p' (known: fp32, bf16)"
done
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || die "no build folder '$BUILD'"
MODEL_DIR=${MODEL_DIR:-$BUILD/models/sd2-inpainting/full}
[[ -d $MODEL_DIR ]] || die "no model dir '$MODEL_DIR' (make models-full)"
ROMAC=$BUILD/bin/romac
[[ -x $ROMAC ]] || die "$ROMAC is missing: build the romac target first"
command -v node >/dev/null || die "node is missing: apt-get install nodejs npm"
# shellcheck source=bench/onnxruntime_node.sh
source "$ROOT/bench/onnxruntime_node.sh"
use_onnxruntime_node "$BUILD" zoom_bench.sh

OUT=$BUILD/zoom-bench
rm -rf "$OUT"
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
CPUID=$("$ROMAC" --print-host 2>/dev/null | sed -n 's/^model: \(.*\) \[cpuid\]$/\1/p' | head -n1)
echo "zoom_bench.sh: $(date -u '+%Y-%m-%d %H:%M UTC'); CPU: $CPU${CPUID:+ ($CPUID)}, $(nproc) cores; $THREADS thread(s); size $SIZE, $STEPS PNDM steps"

ROMAC_LINES=()
for p in "${precisions[@]}"; do
  echo "zoom_bench.sh: romac zoom --precision $p ..." >&2
  rm -rf "$OUT"
  ROMAC_NUM_THREADS=$THREADS "$ROMAC" zoom --model-dir "$MODEL_DIR" \
    --prompt "a photograph of a forest" --steps "$STEPS" --scheduler pndm \
    --size "$SIZE" --outpaint-steps 0 --interp-frames 1 --seed 0 --precision "$p" --out "$OUT" \
    >"$OUT.log" 2>&1 || { tail -n 5 "$OUT.log" >&2; die "romac zoom failed (log: $OUT.log)"; }
  line=$(/usr/bin/python3 - "$OUT/zoom.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))["seconds"]
stages = ["text", "vae_encode", "unet", "vae_decode"]
print(" ".join(f"{k}={s[k]:.2f}" for k in ["load"] + stages),
      f"total={sum(s[k] for k in stages):.2f}")
EOF
)
  ROMAC_LINES+=("$p $line")
done

echo "zoom_bench.sh: onnxruntime ..." >&2
ORT_LINE=$(node "$ROOT/bench/ort_keyframe.js" "$MODEL_DIR" --size "$SIZE" \
  --steps "$STEPS" --threads "$THREADS") || die "ort_keyframe.js failed"
ORT_LINE=${ORT_LINE#ort_keyframe: }

/usr/bin/python3 - "$ORT_LINE" "${ROMAC_LINES[@]}" <<'EOF'
import sys
def parse(line):
    out = {}
    for item in line.split():
        key, value = item.split("=")
        out[key] = float(value)
    return out
ort = parse(sys.argv[1])
runs = [(line.split(" ", 1)[0], parse(line.split(" ", 1)[1])) for line in sys.argv[2:]]
header = f"{'stage':<12}" + "".join(f" {'romac ' + p + ' s':>14}" for p, _ in runs)
header += f" {'onnxruntime s':>14}" + "".join(f" {p + '/ort':>10}" for p, _ in runs)
print(header)
for stage in ["load", "text", "vae_encode", "unet", "vae_decode", "total"]:
    o = ort.get(stage)
    line = f"{stage:<12}" + "".join(f" {r[stage]:>14.2f}" for _, r in runs) + f" {o:>14.2f}"
    line += "".join(f" {r[stage] / o:>10.2f}" if o else f" {'-':>10}" for _, r in runs)
    print(line)
print("(total: text + vae_encode + unet + vae_decode; load: romac's compile or "
      "cache load, onnxruntime's session creation, fp32)")
EOF
