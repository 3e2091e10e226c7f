#!/usr/bin/env bash
# install-deps.sh - install the Debian packages romac needs (DESIGN.md section 2).
#
# Idempotent: installs only what is missing, runs `apt-get update` at most once,
# uses sudo when not root. Fails with a clear message naming the package that
# cannot be had. Nothing but Debian packages is installed; nothing is downloaded
# at build or run time.
set -euo pipefail

PACKAGES=(
  # build tools
  build-essential cmake ninja-build ccache pkg-config
  # IR, passes, codegen (LLVM/MLIR 22)
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  # fuzzing (libFuzzer runtime)
  clang-22 libclang-rt-22-dev
  # ONNX
  libonnx-dev libprotobuf-dev protobuf-compiler
  # solver, CLI, tests
  libz3-dev libcli11-dev googletest libbenchmark-dev
  # python tools and conformance data
  python3-onnx python3-numpy python3-torch python3-torchvision
  python3-matplotlib python3-pytest libonnx-testdata
  # romac zoom (lib/Zoom): Unicode classes (tokenizer), gzip, PNG, H.264 MP4
  libicu-dev zlib1g-dev libpng-dev
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev
  # zoom tests: the tokenizer oracle's \p{L}/\p{N}, the resize oracle, ffprobe
  python3-regex python3-pil ffmpeg
  # romac report: Chart.js inlined into the HTML; chromium renders it in the test
  libjs-chart.js chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "install-deps: error: not root and sudo not found; cannot install: ${missing[*]}" >&2
    exit 1
  fi
fi

echo "install-deps: installing ${#missing[@]} package(s): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || {
  echo "install-deps: error: 'apt-get update' failed" >&2
  exit 1
}
for p in "${missing[@]}"; do
  if ! apt-cache show "$p" >/dev/null 2>&1; then
    echo "install-deps: error: package '$p' is not available from the configured Debian sources" >&2
    exit 1
  fi
done
if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
  echo "install-deps: error: 'apt-get install' failed for: ${missing[*]}" >&2
  exit 1
fi
echo "install-deps: done"
