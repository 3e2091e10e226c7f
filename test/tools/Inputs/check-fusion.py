"""Checks the fusion section of a schedule JSON against its layers and the
compiled IR: groups in order and disjoint, every grouped layer marked with
its group (and no other layer), as many `romac.fused_group` attributes in the
IR as grouped layers, and the network's DRAM energy with fusion below the
unfused schedule's. Prints "N groups, M fused layers, DRAM energy X of Y"
(X/Y as a ratio) or exits 1 naming the first problem."""
import json
import re
import sys

schedule = json.load(open(sys.argv[1]))
ir = open(sys.argv[2]).read()
layers = schedule["layers"]
fusion = schedule.get("fusion")
if fusion is None:
    sys.exit("no fusion section")
covered = {}
end = -1
for g, group in enumerate(fusion["groups"]):
    first, last = group["first"], group["last"]
    if not (end < first < last < len(layers)):
        sys.exit(f"group {g}: bad range {first}..{last}")
    end = last
    for k in range(first, last + 1):
        covered[k] = g
    if group["first_layer"] != layers[first]["name"]:
        sys.exit(f"group {g}: first_layer is not layer {first}")
for k, layer in enumerate(layers):
    if layer.get("fused_group") != covered.get(k):
        sys.exit(f"layer {k} ({layer['name']}): fused_group "
                 f"{layer.get('fused_group')}, expected {covered.get(k)}")
marks = re.findall(r"romac\.fused_group = (\d+) : i64", ir)
if len(marks) != len(covered):
    sys.exit(f"{len(marks)} fused_group attributes in the IR, "
             f"{len(covered)} fused layers")
unfused = schedule["totals"]["energy_pj"]["dram"]
fused = fusion["dram_energy_pj"]
if not fused < unfused:
    sys.exit(f"fused DRAM energy {fused} is not below the unfused {unfused}")
print(f"{len(fusion['groups'])} groups, {len(covered)} fused layers, "
      f"DRAM energy {fused / unfused:.2f} of unfused")
