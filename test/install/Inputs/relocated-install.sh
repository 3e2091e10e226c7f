#!/usr/bin/env bash
# relocated-install.sh PREFIX SRC_ROOT OBJ_ROOT MODEL
#
# Copies an installed romac (PREFIX) to a fresh folder outside the source and
# build trees, hides both trees where the kernel allows it (a private mount
# namespace: `unshare -rm`, tmpfs over each tree), clears ROMAC_TARGETS_DIR,
# and runs the copy: its version text, a compile for a target given by name,
# romac-translate and romac-opt. Prints what it sees for FileCheck.
set -euo pipefail
PREFIX=$1 SRC=$(cd "$2" && pwd -P) OBJ=$(cd "$3" && pwd -P) MODEL=$4

WORK=$(mktemp -d /tmp/romac-install.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cp -a "$PREFIX" "$WORK/romac"
cp "$MODEL" "$WORK/model.onnx"

cat >"$WORK/run.sh" <<'INNER'
set -uo pipefail
cd "$WORK"
unset ROMAC_TARGETS_DIR
if [ -e "$SRC/targets" ] || [ -e "$OBJ/bin/romac" ]; then
  echo "source and build trees: visible (no mount namespace)"
else
  echo "source and build trees: hidden"
fi
bin=$WORK/romac/bin
"$bin/romac" --version
"$bin/romac" compile model.onnx --target romanet-ddr3 -q -o schedule.json
echo "compile exit: $?"
grep -o '"name": "romanet-ddr3"' schedule.json | head -n 1
"$bin/romac" compile model.onnx --target no-such-npu -q 2>&1
"$bin/romac-translate" --import-onnx model.onnx | grep -c linalg.conv_2d_nchw_fchw
echo 'module {}' | "$bin/romac-opt" --romac-attach-target=target=edge-npu-lpddr4
INNER

inside() { WORK=$WORK SRC=$SRC OBJ=$OBJ bash "$WORK/run.sh"; }
# Hide the trees only when the copy is outside both of them.
case "$WORK/" in
  "$SRC"/* | "$OBJ"/*) inside; exit ;;
esac
if unshare -rm true 2>/dev/null; then
  export WORK SRC OBJ
  unshare -rm bash -c '
    mount -t tmpfs tmpfs "$SRC" &&
    { case "$OBJ/" in "$SRC"/*) ;; *) mount -t tmpfs tmpfs "$OBJ" ;; esac; } &&
    bash "$WORK/run.sh"'
else
  inside
fi
