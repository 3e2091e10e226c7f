#!/usr/bin/env bash
# demo.sh BUILD_DIR - run romac's main job on a bundled input.
#
# Today the richest stage that works end to end is the compile pipeline on a
# bundled linalg program (test/e2e/conv-block.mlir): it attaches the target and
# normalizes the IR. Later stages (import, tile search) extend this script.
set -euo pipefail
BUILD_DIR=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$BUILD_DIR/bin"

echo "== romac version =="
"$BIN/romac" version
echo
echo "== romac-opt --romac-compile-pipeline=target=edge-npu-lpddr4 test/e2e/conv-block.mlir =="
"$BIN/romac-opt" "$ROOT/test/e2e/conv-block.mlir" \
  --romac-compile-pipeline=target=edge-npu-lpddr4
