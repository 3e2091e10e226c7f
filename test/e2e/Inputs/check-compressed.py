"""Checks the weights a compressed `romac run` used (test/e2e/run-compressed.test).

The model is Y = X W with X the 16x16 identity, so Y is the weight W[k][n]
(k the reduction, n the output channel) the run computed with. Each lever is
checked against its definition (docs/compression.md), computed here from the
uncompressed run's W with plain Python, independently of romac's code:

  2:4           in every column n and group of 4 consecutive k, only the 2
                of largest |w| may be non-zero (ties: the lower k kept), and
                alone they keep their exact value;
  prune=R       the floor(R * 256) weights of smallest |w| are zero (ties:
                the lower index in channel-major order n * 16 + k first), the
                rest unchanged;
  int4 / int8   per column, w' = clamp(round-half-away(w / s), -q, q) * s with
                s = max |w| / q, q = 7 or 127;
  k=K           at most K distinct values; with no codebook rounding, every
                weight sits at its nearest value and each value is the mean
                of its weights (a k-means fixed point);
  int4-codebook the distinct values lie on one int4 grid, s * [-7, 7].

With `--quantize wXaY` the activations are rounded too: `check-act` takes
a non-identity X, the weights W' of the identity run with the same lever,
and checks Y = q(X) W' with q the per-tensor symmetric Y-bit rounding
(scale max |X| / (2^(Y-1) - 1), half to even) of docs/compression.md.

Usage: check-compressed.py write X.npy
       check-compressed.py write-x X.npy
       check-compressed.py check PLAIN.npy COMPRESSED.npy SPEC...
       check-compressed.py check-act W.npy X.npy Y.npy BITS
"""
import math
import struct
import sys

import npy_file

N = 16


def write_npy(path, rows):
    npy_file.write_npy(path, (len(rows), len(rows[0])),
                       [v for r in rows for v in r])


def read_npy(path):
    data = open(path, "rb").read()
    assert data[:6] == b"\x93NUMPY", path
    major = data[6]
    if major == 1:
        hlen = struct.unpack("<H", data[8:10])[0]
        start = 10 + hlen
    else:
        hlen = struct.unpack("<I", data[8:12])[0]
        start = 12 + hlen
    header = data[start - hlen:start].decode()
    assert "'<f4'" in header and "(16, 16)" in header, header
    values = struct.unpack("<256f", data[start:start + 1024])
    return [list(values[k * N:(k + 1) * N]) for k in range(N)]


def round_half_away(x):
    return math.floor(abs(x) + 0.5) * (1 if x >= 0 else -1)


def close(a, b):
    return abs(a - b) <= 1e-5 * max(1.0, abs(a), abs(b))


def check_24(w, c, exact):
    for n in range(N):
        for g in range(0, N, 4):
            ks = list(range(g, g + 4))
            keep = sorted(ks, key=lambda k: (-abs(w[k][n]), k))[:2]
            for k in ks:
                if k not in keep:
                    assert c[k][n] == 0, ("2:4 pruned", k, n, c[k][n])
                elif exact:
                    assert c[k][n] == w[k][n], ("2:4 kept", k, n)


def check_prune(w, c, ratio):
    order = sorted(((abs(w[k][n]), n * N + k, k, n)
                    for n in range(N) for k in range(N)))
    count = math.floor(ratio * N * N + 1e-9)
    pruned = {(k, n) for _, _, k, n in order[:count]}
    for k in range(N):
        for n in range(N):
            want = 0.0 if (k, n) in pruned else w[k][n]
            assert c[k][n] == want, ("prune", k, n, c[k][n], want)


def check_quant(w, c, q):
    for n in range(N):
        m = max(abs(w[k][n]) for k in range(N))
        s = m / q if m > 0 else 1.0
        for k in range(N):
            x = w[k][n] / s
            # An exact .5 may round either way in float: accept both.
            cands = {max(-q, min(q, round_half_away(x)))}
            if abs(abs(x - math.trunc(x)) - 0.5) < 1e-4:
                cands |= {math.floor(x), math.ceil(x)}
            assert any(close(c[k][n], v * s) for v in cands), \
                ("int", k, n, c[k][n], [v * s for v in cands])


def check_shared(w, c, k_max, fixed_point, pruned):
    flat_w = [w[k][n] for k in range(N) for n in range(N)]
    flat_c = [c[k][n] for k in range(N) for n in range(N)]
    # Pruned weights are zeros outside the codebook.
    values = sorted(set(v for v in flat_c if v != 0 or not pruned))
    assert len(values) <= k_max, ("distinct values", values)
    if not fixed_point:
        return
    for x, y in zip(flat_w, flat_c):
        nearest = min(abs(x - v) for v in values)
        assert abs(x - y) <= nearest + 1e-5, ("not nearest", x, y, values)
    for v in values:
        members = [x for x, y in zip(flat_w, flat_c) if y == v]
        assert close(sum(members) / len(members), v), ("not a mean", v)


def check_codebook_grid(c):
    flat = [c[k][n] for k in range(N) for n in range(N)]
    m = max(abs(v) for v in flat)
    s = m / 7
    for v in flat:
        assert abs(v / s - round(v / s)) < 1e-4 and abs(round(v / s)) <= 7, v


def x_values():
    return [[((i * 7 + j * 13) % 29 - 14) / 9.0 for j in range(N)]
            for i in range(N)]


def check_act(w, x, y, bits):
    q = 2 ** (bits - 1) - 1
    s = max(abs(v) for r in x for v in r) / q
    xq = [[max(-q, min(q, round(v / s))) * s for v in r] for r in x]
    top = max(abs(v) for r in y for v in r)
    for i in range(N):
        for n in range(N):
            want = sum(xq[i][k] * w[k][n] for k in range(N))
            assert abs(y[i][n] - want) <= 1e-5 * top, ("act", i, n, y[i][n],
                                                      want)
    # The rounding is visible: the fp32 product differs.
    exact = [[sum(x[i][k] * w[k][n] for k in range(N)) for n in range(N)]
             for i in range(N)]
    assert any(abs(exact[i][n] - y[i][n]) > 1e-5 * top
               for i in range(N) for n in range(N)), "activations not rounded"


def main():
    if sys.argv[1] == "write-x":
        write_npy(sys.argv[2], x_values())
        return
    if sys.argv[1] == "check-act":
        check_act(read_npy(sys.argv[2]), read_npy(sys.argv[3]),
                  read_npy(sys.argv[4]), int(sys.argv[5]))
        print("activations ok")
        return
    if sys.argv[1] == "write":
        write_npy(sys.argv[2], [[1.0 if i == j else 0.0 for j in range(N)]
                                for i in range(N)])
        return
    w, c = read_npy(sys.argv[2]), read_npy(sys.argv[3])
    specs = sys.argv[4:]
    shared = next((int(s[2:]) for s in specs if s.startswith("k=")), None)
    codebook = "int4-codebook" in specs
    if "2:4" in specs:
        check_24(w, c, exact=shared is None and len(specs) == 1)
    for s in specs:
        if s.startswith("prune="):
            check_prune(w, c, float(s[6:]))
        elif s == "int4":
            check_quant(w, c, 7)
        elif s == "int8":
            check_quant(w, c, 127)
    if shared is not None:
        pruned = any(s == "2:4" or s.startswith("prune=") for s in specs)
        check_shared(w, c, shared, fixed_point=not codebook and not pruned,
                     pruned=pruned)
    if codebook:
        check_codebook_grid(c)
    print("compressed ok:", " ".join(specs))


if __name__ == "__main__":
    main()
