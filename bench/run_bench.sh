#!/usr/bin/env bash
# run_bench.sh - romac run and onnxruntime side by side, in one run, on this machine.
#
# usage: bench/run_bench.sh [--build DIR] [--models DIR] [--graphs a,b,...] [--runs N]
#                           [--warmup N] [--threads N] [--timeout S] [--seed S]
#                           [--romac-args "ARGS"] [--precisions fp32,bf16]
#
# For every graph: writes its input tensors once as .npy (bench/make_inputs.py), times
# onnxruntime (npm onnxruntime-node, bench/ort_bench.js) and `romac run` on them with the
# same thread count, compares their outputs, and records the median time, romac's import
# (with the schedule search) and compile times and the peak RSS of each process (GNU time, %M). Prints one table,
# and writes it to BUILD/bench-results.md and BUILD/bench-results.json.
#
#   --build DIR     romac's build folder (default: build/ of this checkout); romac is DIR/bin/romac
#   --models DIR    the full-size SD2 exports, DIR/<graph>/model.onnx (default:
#                   BUILD/models/sd2-inpainting/full, where `make models-full` writes them)
#   --graphs LIST   comma-separated subset of: unet, vae_decoder, vae_encoder,
#                   text_encoder, alexnet, vgg16, mobilenet_v2 (default: all, cheapest first)
#   --runs N        timed runs per runtime (default 5; the median is reported)
#   --warmup N      untimed runs before them (default 2)
#   --threads N     threads of both runtimes: onnxruntime's intraOpNumThreads and
#                   ROMAC_NUM_THREADS (default 2)
#   --timeout S     a runtime that takes longer on one graph is stopped and the graph
#                   reported as failed (default 3600)
#   --seed S        seed of the input tensors (default 0)
#   --romac-args A  extra words for every `romac run` (e.g. "--no-tile" or
#                   "--target edge-npu-lpddr4"; default none: the host's schedule)
#   --precisions L  comma-separated `romac run --precision` values, each timed against
#                   the same onnxruntime (fp32) run, one table row each (default fp32)
#
# onnxruntime-node is installed with `npm install --ignore-scripts` into BUILD/bench-npm
# when it is not there yet (the bench may download npm packages; romac never downloads
# anything). The CNNs (AlexNet, VGG-16, MobileNet-v2: torchvision structure, seeded random
# weights, 224x224, batch 1) are taken from BUILD/models/<model>/full when `make
# models-full` wrote them, else exported with the model zoo into BUILD/bench-models.
# A graph whose run fails (compile error, out of memory, timeout) is reported as failed
# with the first error line; the other graphs go on, and the exit status is then 1 (2 for
# bad options). See docs/benchmarks.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ALL_GRAPHS=mobilenet_v2,alexnet,vgg16,text_encoder,vae_encoder,vae_decoder,unet
BUILD=$ROOT/build MODELS="" GRAPHS=$ALL_GRAPHS RUNS=5 WARMUP=2 THREADS=2 TIMEOUT=3600 SEED=0 ROMAC_ARGS=""
PRECISIONS=fp32

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
die() { echo "run_bench.sh: error: $*" >&2; exit 2; }
need_int() { [[ $2 =~ ^[0-9]+$ ]] || die "$1 needs a non-negative integer, got '$2'"; }

while (($#)); do
  case $1 in
    -h|--help) usage; exit 0 ;;
    --build|--models|--graphs|--runs|--warmup|--threads|--timeout|--seed|--romac-args|--precisions)
      (($# >= 2)) || die "$1 needs a value"
      case $1 in
        --build) BUILD=$2 ;;
        --models) MODELS=$2 ;;
        --graphs) GRAPHS=$2 ;;
        --runs) need_int "$1" "$2"; RUNS=$2 ;;
        --warmup) need_int "$1" "$2"; WARMUP=$2 ;;
        --threads) need_int "$1" "$2"; THREADS=$2 ;;
        --timeout) need_int "$1" "$2"; TIMEOUT=$2 ;;
        --seed) need_int "$1" "$2"; SEED=$2 ;;
        --romac-args) ROMAC_ARGS=$2 ;;
        --precisions) PRECISIONS=$2 ;;
      esac
      shift 2 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
((RUNS >= 1)) || die "--runs must be at least 1"
((THREADS >= 1)) || die "--threads must be at least 1"
((TIMEOUT >= 1)) || die "--timeout must be at least 1"
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || die "no build folder '$BUILD'"
MODELS=${MODELS:-$BUILD/models/sd2-inpainting/full}
IFS=, read -r -a graphs <<<"$GRAPHS"
read -r -a romac_extra <<<"$ROMAC_ARGS"
((${#graphs[@]})) || die "--graphs is empty"
for g in "${graphs[@]}"; do
  [[ ,$ALL_GRAPHS, == *,$g,* ]] || die "unknown graph '$g' (known: $ALL_GRAPHS)"
done
IFS=, read -r -a precisions <<<"$PRECISIONS"
((${#precisions[@]})) || die "--precisions is empty"
for p in "${precisions[@]}"; do
  [[ $p == fp32 || $p == bf16 ]] || die "unknown precision '$p' (known: fp32, bf16)"
done

ROMAC=$BUILD/bin/romac
PYTHON=/usr/bin/python3
[[ -x $PYTHON ]] || PYTHON=python3
[[ -x $ROMAC ]] || die "$ROMAC is missing: build the romac target first"
[[ -x /usr/bin/time ]] || die "/usr/bin/time (GNU time) is missing: apt-get install time"
command -v node >/dev/null || die "node is missing: apt-get install nodejs npm"

# onnxruntime-node, installed once into the build folder.
# shellcheck source=bench/onnxruntime_node.sh
source "$ROOT/bench/onnxruntime_node.sh"
use_onnxruntime_node "$BUILD" run_bench.sh
ORT_VERSION=$(node -p "require('onnxruntime-node/package.json').version")

WORK=$BUILD/bench-work
mkdir -p "$WORK"
ROWS=$WORK/rows.tsv FAILED=0
: >"$ROWS"

# romac run has no warm-up option (yet): its median is then over WARMUP + RUNS runs.
if "$ROMAC" run --help 2>/dev/null | grep -q -- '--warmup'; then
  ROMAC_TIMING=(--warmup "$WARMUP" --repeat "$RUNS") ROMAC_NOTE="median of $RUNS after $WARMUP warm-up(s)${ROMAC_ARGS:+, romac run $ROMAC_ARGS}"
else
  ROMAC_TIMING=(--repeat $((RUNS + WARMUP)))
  ROMAC_NOTE="median of all $((RUNS + WARMUP)) runs (romac run has no --warmup: the warm-ups count)"
fi

CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
CPUID=$("$ROMAC" --print-host 2>/dev/null | sed -n 's/^model: \(.*\) \[cpuid\]$/\1/p' | head -n1)
LLVM_CPU=$("$ROMAC" --print-host 2>/dev/null | sed -n 's/^llvm cpu: //p' | head -n1)
CPU_FLAGS=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' |
            grep -xE 'avx2|avx512f|avx512_bf16|amx_tile' | tr '\n' ' ' | sed 's/ $//')

# The model file of graph $1 (exports the zoo's CNNs when missing).
model_of() {
  local g=$1 zoo=${1//_/-}
  case $g in
    unet|vae_decoder|vae_encoder|text_encoder) echo "$MODELS/$g/model.onnx" ;;
    *)
      if [[ -f $BUILD/models/$zoo/full/model.onnx ]]; then
        echo "$BUILD/models/$zoo/full/model.onnx"
        return
      fi
      local dir=$BUILD/bench-models/$g
      if [[ ! -f $dir/model.onnx ]]; then
        echo "run_bench.sh: exporting $zoo (full, seed 0) into $dir" >&2
        rm -rf "$dir.tmp"
        PYTHONPATH=$ROOT/python ROMAC_THREADS=$THREADS "$PYTHON" -m romac.models export \
          --model "$zoo" --variant full --seed 0 --out "$dir.tmp" --quiet >&2 || return 1
        mv "$dir.tmp" "$dir"
      fi
      echo "$dir/model.onnx" ;;
  esac
}

# The first error line of a failed run: stderr file $1, exit status $2, RSS file $3.
first_error() {
  local line
  case $2 in
    124) echo "timed out after $TIMEOUT s"; return ;;
    137) echo "killed by SIGKILL (out of memory, or still running 30 s after the timeout)"; return ;;
  esac
  line=$(grep -m1 -iE 'error|terminate|abort|killed|signal' "$1" 2>/dev/null || true)
  [[ -n $line ]] || line=$(grep -v '^[[:space:]]*$' "$1" 2>/dev/null | tail -n1 || true)
  [[ -n $line ]] || line=$(grep -m1 'Command' "$3" 2>/dev/null || true)
  echo "${line:-exit status $2}" | tr '\t' ' ' | cut -c1-200
}

# Runs "$@" under GNU time and timeout; stdout+stderr to $LOG, peak RSS (KiB) to $RSS.
timed() {
  local rc=0
  /usr/bin/time -f %M -o "$RSS" timeout -k 30 "$TIMEOUT" "$@" >"$LOG" 2>&1 || rc=$?
  PEAK=$(tail -n1 "$RSS" 2>/dev/null || true)
  [[ $PEAK =~ ^[0-9]+$ ]] || PEAK=-
  return $rc
}

num() { sed -n "s/.*$1 \([0-9.]*\).*/\1/p" "$LOG" | tail -n1; }

echo "run_bench.sh: $(date -u '+%Y-%m-%d %H:%M UTC'); CPU: $CPU${CPUID:+ ($CPUID, $LLVM_CPU)}," \
     "$(nproc) cores; $THREADS thread(s); $RUNS runs after $WARMUP warm-up(s);" \
     "load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# Prepares graph $1's model and inputs (MODEL, INPUTS) and times onnxruntime on them into
# the o_* variables; on a failure to prepare, sets r_err and o_err.
bench_ort() {
  local g=$1 gw=$WORK/$1 model line status
  local -a inputs=()
  rm -rf "$gw"
  mkdir -p "$gw"
  if ! model=$(model_of "$g") || [[ ! -f $model ]]; then
    r_err="no model ${model:-for $g} (SD2 graphs: make models-full, or --models DIR)"
    o_err=$r_err
    echo "run_bench.sh: $g: $r_err" >&2
    return
  fi
  if ! "$PYTHON" "$ROOT/bench/make_inputs.py" inputs "$g" "$model" "$gw/inputs" \
      --seed "$SEED" >"$gw/inputs.txt" 2>"$gw/inputs.err"; then
    r_err=$(grep -m1 . "$gw/inputs.err" || echo "make_inputs.py failed") o_err=$r_err
    echo "run_bench.sh: $g: $r_err" >&2
    return
  fi
  while read -r line; do inputs+=(--input "$line"); done <"$gw/inputs.txt"

  echo "run_bench.sh: $g: onnxruntime $ORT_VERSION ..." >&2
  LOG=$gw/ort.log RSS=$gw/ort.rss status=0
  timed node "$ROOT/bench/ort_bench.js" "$model" "${inputs[@]}" --threads "$THREADS" \
    --warmup "$WARMUP" --runs "$RUNS" --output-dir "$gw/ort-out" || status=$?
  if ((status == 0)); then
    o_med=$(num median) o_min=$(num min) o_max=$(num max) o_load=$(num 'loaded in')
  else
    o_err=$(first_error "$LOG" "$status" "$RSS")
  fi
  o_rss=$PEAK
  echo "run_bench.sh: $g: onnxruntime: ${o_err:-median $o_med ms, peak RSS $o_rss KiB}" >&2

  MODEL=$model INPUTS=("${inputs[@]}")
}

# Times `romac run --precision $2` on graph $1 (bench_ort's MODEL and INPUTS) into the r_*
# variables, and compares its outputs with onnxruntime's.
bench_romac() {
  local g=$1 p=$2 gw=$WORK/$1 line status
  echo "run_bench.sh: $g: romac run --precision $p ..." >&2
  LOG=$gw/romac-$p.log RSS=$gw/romac-$p.rss status=0
  timed env ROMAC_NUM_THREADS="$THREADS" "$ROMAC" run "$MODEL" "${INPUTS[@]}" \
    "${ROMAC_TIMING[@]}" "${romac_extra[@]}" --precision "$p" --output-dir "$gw/romac-out-$p" \
    || status=$?
  if ((status == 0)); then
    r_med=$(num median) r_min=$(num min) r_max=$(num max)
    # Import and schedule search together (romac run reports them apart).
    r_imp=$(awk -v a="$(num 'imported in')" -v b="$(num 'schedule in')" \
      'BEGIN { printf "%.2f", a + b }') r_comp=$(num 'compiled in')
  else
    r_err=$(first_error "$LOG" "$status" "$RSS")
  fi
  r_rss=$PEAK
  line="median $r_med ms, compiled in $r_comp s, peak RSS $r_rss KiB"
  echo "run_bench.sh: $g: romac ($p): ${r_err:-$line}" >&2

  if [[ -z $r_err && -z $o_err ]]; then
    line=$("$PYTHON" "$ROOT/bench/make_inputs.py" compare "$gw/romac-out-$p" "$gw/ort-out" || true)
    diff=${line%% *} diff_out=${line#* }
  fi
}

for g in "${graphs[@]}"; do
  o_med=- o_min=- o_max=- o_load=- o_rss=- o_err="" r_err="" MODEL="" INPUTS=()
  bench_ort "$g"
  prepared_err=$r_err
  for p in "${precisions[@]}"; do
    r_med=- r_min=- r_max=- r_imp=- r_comp=- r_rss=- r_err=$prepared_err diff=- diff_out=-
    [[ -n $prepared_err ]] || bench_romac "$g" "$p"
    [[ -z $r_err && -z $o_err ]] || FAILED=1
    printf '%s\t' "$g" "$p" "$r_med" "$r_min" "$r_max" "$r_imp" "$r_comp" "$r_rss" "${r_err:--}" \
      "$o_med" "$o_min" "$o_max" "$o_load" "$o_rss" "${o_err:--}" "${diff:--}" >>"$ROWS"
    printf '%s\n' "${diff_out:--}" >>"$ROWS"
  done
done

# The table: stdout, BUILD/bench-results.md and BUILD/bench-results.json.
CPU="$CPU" CPUID="$CPUID" LLVM_CPU="$LLVM_CPU" CPU_FLAGS="$CPU_FLAGS" CORES=$(nproc) \
THREADS=$THREADS RUNS=$RUNS WARMUP=$WARMUP ORT_VERSION=$ORT_VERSION ROMAC_NOTE="$ROMAC_NOTE" \
ROMAC_VERSION="$("$ROMAC" --version | head -n1)" LOAD="$(cut -d' ' -f1-3 /proc/loadavg)" \
"$PYTHON" - "$ROWS" "$BUILD/bench-results.json" "$BUILD/bench-results.md" <<'EOF'
import datetime, json, os, sys

rows_file, json_file, md_file = sys.argv[1:4]
keys = ["graph", "precision", "romac_median_ms", "romac_min_ms", "romac_max_ms", "romac_import_s",
        "romac_compile_s", "romac_peak_rss_kib", "romac_error", "ort_median_ms", "ort_min_ms",
        "ort_max_ms", "ort_load_s", "ort_peak_rss_kib", "ort_error", "max_rel_diff",
        "max_rel_diff_output"]
text = {"graph", "precision", "romac_error", "ort_error", "max_rel_diff_output"}
rows = []
for line in open(rows_file):
    values = line.rstrip("\n").split("\t")
    row = {}
    for k, v in zip(keys, values):
        if v == "-" or v == "":
            row[k] = None
        elif k in text:
            row[k] = v
        elif k.endswith("_kib"):
            row[k] = int(v)
        else:
            row[k] = float(v)
    ok = row["romac_median_ms"] and row["ort_median_ms"]
    row["speed_ratio"] = row["ort_median_ms"] / row["romac_median_ms"] if ok else None
    rows.append(row)
env = os.environ
meta = {
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    "cpu": env["CPU"], "cpuid_brand": env["CPUID"], "llvm_cpu": env["LLVM_CPU"],
    "cpu_flags": env["CPU_FLAGS"], "cores": int(env["CORES"]), "threads": int(env["THREADS"]),
    "runs": int(env["RUNS"]), "warmup": int(env["WARMUP"]), "load_average_at_end": env["LOAD"],
    "onnxruntime": "onnxruntime-node " + env["ORT_VERSION"], "romac": env["ROMAC_VERSION"],
    "romac_timing": env["ROMAC_NOTE"],
}
with open(json_file + ".tmp", "w") as f:
    json.dump({**meta, "graphs": rows}, f, indent=2)
    f.write("\n")
os.replace(json_file + ".tmp", json_file)

def ms(v):
    return "-" if v is None else (f"{v:.0f}" if v >= 100 else f"{v:.3g}" if v < 10 else f"{v:.1f}")

def mib(v):
    return "-" if v is None else f"{v / 1024:.0f} MiB" if v < 1 << 20 else f"{v / (1 << 20):.2f} GiB"

out = [f"CPU: {meta['cpu']}" + (f" ({meta['cpuid_brand']}, {meta['llvm_cpu']})" if meta["cpuid_brand"] else "")
       + f", {meta['cores']} cores, {meta['cpu_flags'] or 'no AVX2'}",
       f"threads: {meta['threads']}; {meta['runs']} timed runs after {meta['warmup']} warm-up(s) "
       f"(romac: {meta['romac_timing']}); {meta['onnxruntime']}; {meta['romac']}; "
       f"{meta['date']}; load average at the end {meta['load_average_at_end']}",
       "",
       "| graph | romac precision | romac median ms | onnxruntime (fp32) median ms "
       "| speed ratio (ort/romac) | romac compile s | peak RSS romac / ort | max rel diff |",
       "|---|---|---:|---:|---:|---:|---|---:|"]
notes = []
for r in rows:
    rom = ms(r["romac_median_ms"]) if not r["romac_error"] else "failed"
    ort = ms(r["ort_median_ms"]) if not r["ort_error"] else "failed"
    ratio = "-" if r["speed_ratio"] is None else f"{r['speed_ratio']:.2f}x"
    comp = "-" if r["romac_compile_s"] is None else f"{r['romac_compile_s']:.1f}"
    if r["romac_import_s"] is not None:
        comp += f" (+{r['romac_import_s']:.1f} import and search)"
    diff = "-" if r["max_rel_diff"] is None else f"{r['max_rel_diff']:.1e}"
    out.append(f"| {r['graph']} | {r['precision']} | {rom} | {ort} | {ratio} | {comp} | "
               f"{mib(r['romac_peak_rss_kib'])} / {mib(r['ort_peak_rss_kib'])} | {diff} |")
    if r["romac_error"] and r["romac_error"] == r["ort_error"]:
        notes.append(f"- {r['graph']} ({r['precision']}): failed: {r['romac_error']}")
        continue
    for who in ("romac", "ort"):
        if r[who + "_error"]:
            notes.append(f"- {r['graph']} ({r['precision']}): "
                         f"{'romac' if who == 'romac' else 'onnxruntime'} "
                         f"failed: {r[who + '_error']}")
out += [""] + notes if notes else []
out += ["", "speed ratio > 1: romac is faster. max rel diff: max |romac - ort| / max |ort| "
        "over the outputs. Peak RSS: GNU time %M of each process (romac's includes the compile)."]
with open(md_file + ".tmp", "w") as f:
    f.write("\n".join(out) + "\n")
os.replace(md_file + ".tmp", md_file)
print("\n".join(out))
EOF
echo "run_bench.sh: wrote $BUILD/bench-results.md and $BUILD/bench-results.json" >&2
exit $((FAILED ? 1 : 0))
