"""Writes float32 .npy files for the e2e tests, in plain Python.

As a module: write_npy(path, shape, values) (values row-major).
As a script: npy_file.py OUT.npy SHAPE SEED [SCALE]  (SHAPE like 1x4x8x8)
writes seeded values uniform in [-SCALE, SCALE] (SCALE 1 by default).
"""
import random
import struct
import sys


def write_npy(path, shape, values):
    dims = ", ".join("%d" % d for d in shape) + ("," if len(shape) == 1 else "")
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % dims
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)))
        f.write(header.encode())
        f.write(struct.pack("<%df" % len(values), *values))


def main():
    path, shape = sys.argv[1], [int(d) for d in sys.argv[2].split("x")]
    rng = random.Random(int(sys.argv[3]))
    scale = float(sys.argv[4]) if len(sys.argv) > 4 else 1.0
    count = 1
    for d in shape:
        count *= d
    write_npy(path, shape, [rng.uniform(-scale, scale) for _ in range(count)])


if __name__ == "__main__":
    main()
