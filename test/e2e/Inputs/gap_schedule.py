"""Corrupts a tiled module: the first tile loop steps by its whole bound.

Usage: gap_schedule.py IN.mlir OUT.mlir
`scf.for %i = %lb to %ub step %s` becomes `... step %ub`: the loop runs once,
so every tile after the first is never computed (a schedule that leaves a
gap). Prints the loop it changed.
"""
import re
import sys

text = open(sys.argv[1]).read()
loop = re.search(r"scf\.for (%\w+) = (%\w+) to (%\w+) step (%\w+)", text)
if not loop:
    sys.exit("no scf.for in " + sys.argv[1])
print("corrupted: " + loop.group(0))
text = text[: loop.start(4)] + loop.group(3) + text[loop.end(4) :]
open(sys.argv[2], "w").write(text)
