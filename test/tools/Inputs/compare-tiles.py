"""Prints "N layers, tiles equal" when the DRAM-level tiles of a schedule
JSON equal, in order, the tiles of the #romac.mapping attributes of the
compiled IR; otherwise names the first layer that differs and exits 1."""
import json
import re
import sys

schedule = json.load(open(sys.argv[1]))
ir = open(sys.argv[2]).read()
attrs = [dict((k, int(v)) for k, v in re.findall(r"(\w+) = (\d+) : i64", m))
         for m in re.findall(r"romac\.mapping<[^>]*tile = \{([^}]*)\}", ir)]
layers = schedule["layers"]
if len(attrs) != len(layers):
    sys.exit(f"{len(layers)} layers in the schedule, {len(attrs)} mappings in the IR")
for layer, attr in zip(layers, attrs):
    tiles = layer["mapping"]["levels"][0]["tile"]
    if tiles != attr:
        sys.exit(f"{layer['name']}: schedule {tiles}, IR {attr}")
print(f"{len(layers)} layers, tiles equal")
