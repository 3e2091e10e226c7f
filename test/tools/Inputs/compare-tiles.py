"""Prints "N layers, tiles equal" when the DRAM-level tiles of a schedule
JSON equal, in order, the tiles of the #romac.mapping attributes of the
compiled IR (the schedule's tiles are keyed by dim name in loop order, the
attribute's are in the linalg op's loop order); otherwise names the first
layer that differs and exits 1."""
import json
import re
import sys

schedule = json.load(open(sys.argv[1]))
ir = open(sys.argv[2]).read()
attrs = [[int(v) for v in m.split(",")]
         for m in re.findall(r"romac\.mapping<[^>]*tile = array<i64: ([^>]*)>", ir)]
layers = schedule["layers"]
if len(attrs) != len(layers):
    sys.exit(f"{len(layers)} layers in the schedule, {len(attrs)} mappings in the IR")
for layer, attr in zip(layers, attrs):
    tiles = list(layer["mapping"]["levels"][0]["tile"].values())
    if tiles != attr:
        sys.exit(f"{layer['name']}: schedule {tiles}, IR {attr}")
print(f"{len(layers)} layers, tiles equal")
