#!/usr/bin/python3
"""The compression table of docs/compression.md (issue #15).

For each model and each lever (none, int8, int4, 16 / 4 shared weights, 50 %
and 2:4 pruning, combinations) it records

  - what `romac compile --dram --objective edp --target T LEVER` predicts: the constant
    weights' size as stored, DRAM traffic, DRAM and total energy, latency
    (the schedule JSON's totals; the DRAM-aware search, no fusion);
  - what `romac run LEVER --compare-fp32` measures on this CPU: the median
    time of --runs runs (after one warm-up) and, per output, the cosine
    similarity and the max abs / relative error against the fp32 run, on
    seeded random inputs; for the levers that quantize, once with dynamic
    activation scales and once with static ones (--calibrate-seed, on other
    seeded inputs than the run's).

Usage:
  bench/compression_table.py [--build build] [--cnn-models DIR]
      [--sd2-models DIR] [--target edge-npu-lpddr4] [--models a,b,...]
      [--levers none,int8,...] [--runs 3] [--no-run] [--calibrate-seed 2]
      [-o OUT_PREFIX]

Writes OUT_PREFIX.md (the table) and OUT_PREFIX.json (every number).
"""
import argparse
import json
import math
import os
import platform
import re
import subprocess
import sys
import time

LEVERS = {
    "none": [],
    "int8": ["--quantize", "w8a8"],
    "int4": ["--quantize", "w4a8"],
    "k16": ["--weight-sharing", "16"],
    "k4": ["--weight-sharing", "4"],
    "prune50": ["--prune", "0.5"],
    "2:4": ["--prune", "2:4"],
    "int4+2:4": ["--quantize", "w4a8", "--prune", "2:4"],
    "k16+prune50": ["--weight-sharing", "16", "--prune", "0.5"],
    "int4+k16+2:4": ["--quantize", "w4a8", "--weight-sharing", "16",
                     "--prune", "2:4"],
}

SD2_DIMS = {
    "unet": ["--dim", "batch_size=1", "--dim", "height=64", "--dim",
             "width=64", "--dim", "sequence_length=77"],
    "vae_decoder": ["--dim", "batch_size=1", "--dim", "height_latent=64",
                    "--dim", "width_latent=64"],
}


def model_path(args, name):
    if name in SD2_DIMS:
        return os.path.join(args.sd2_models, name, "model.onnx"), SD2_DIMS[name]
    folder = {"alexnet": "alexnet", "vgg16": "vgg16",
              "mobilenet_v2": "mobilenet-v2"}[name]
    return os.path.join(args.cnn_models, folder, "full", "model.onnx"), []


def weight_bytes(schedule):
    """The constant weights of the contractions as stored, each tensor once."""
    seen = {}
    for layer in schedule["layers"]:
        for op in layer["operands"]:
            if not op.get("constant"):
                continue
            n = math.prod(op["extent"])
            bits = op.get("stored_bits_per_element",
                          8 * op["bytes_per_element"])
            seen[op["tensor"]] = math.ceil(n * bits / 8)
    return sum(seen.values())


def compile_row(args, path, dims, lever, work):
    out = os.path.join(work, "schedule.json")
    cmd = [os.path.join(args.build, "bin", "romac"), "compile", path,
           "--target", args.target, "--dram", "--objective", args.objective,
           "-q", "-o", out] + dims + \
        LEVERS[lever]
    start = time.time()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    s = json.load(open(out))
    t = s["totals"]
    mhz = s["target"]["array"]["frequency_mhz"]
    return {
        "compile_s": time.time() - start,
        "weight_bytes": weight_bytes(s),
        "dram_bytes": t["dram"]["read_bytes"] + t["dram"]["write_bytes"],
        "dram_mj": t["energy_pj"]["dram"] * 1e-9,
        "total_mj": t["energy_pj"]["total"] * 1e-9,
        "latency_ms": t["cycles"] / (mhz * 1e3),
    }


def run_row(args, path, dims, lever, extra=()):
    cmd = [os.path.join(args.build, "bin", "romac"), "run", path,
           "--random-inputs", "1", "--warmup", "1", "--repeat",
           str(args.runs)] + dims + \
        LEVERS[lever] + list(extra)
    if lever != "none":
        # Every cosine passes (a heavily pruned random network's may be
        # negative): the run is here to be measured, not judged.
        cmd += ["--compare-fp32", "--min-cosine", "-1"]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        # One failed run is reported in its row; the table goes on.
        lines = (p.stderr or p.stdout).strip().splitlines()
        print("compression_table: %s failed: %s" % (
            " ".join(cmd), lines[-1] if lines else p.returncode),
            file=sys.stderr, flush=True)
        return {"run_ms": None, "outputs": [],
                "error": lines[-1] if lines else "exit %d" % p.returncode}
    m = re.search(r"median ([0-9.]+) ms", p.stdout + p.stderr)
    row = {"run_ms": float(m.group(1)) if m else None, "outputs": []}
    for line in p.stdout.splitlines():
        c = re.match(r"compare-fp32 (\S+): cosine ([-0-9.naif]+), max abs error "
                     r"(\S+) \((\S+) of the largest .*max rel error (\S+):",
                     line)
        if c:
            row["outputs"].append({"name": c.group(1),
                                   "cosine": float(c.group(2)),
                                   "max_abs": float(c.group(3)),
                                   "max_abs_of_max": float(c.group(4)),
                                   "max_rel": float(c.group(5))})
    return row


def mib(b):
    return "%.1f MiB" % (b / 2**20) if b >= 2**20 else "%.0f KiB" % (b / 1024)


def render(result):
    """The markdown table of a result (main's JSON)."""
    lines = ["| model | lever | weights | DRAM | DRAM mJ | total mJ | "
             "predicted ms | run ms | min cosine | max error / max \\|fp32\\| "
             "| run ms, static | min cosine, static |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]

    def fmt_ms(v):
        return "%.1f" % v if v is not None else "-"

    def fmt_cos(outs):
        return "%.6f" % min(o["cosine"] for o in outs) if outs else "-"

    for name, rows in result["models"].items():
        for lever, r in rows.items():
            outs = r.get("outputs", [])
            rel = ("%.2e" % max(o["max_abs_of_max"] for o in outs)
                   if outs else "-")
            lines.append("| %s | %s | %s | %s | %.3f | %.3f | %.3f | %s | %s "
                         "| %s | %s | %s |" % (
                             name, lever, mib(r["weight_bytes"]),
                             mib(r["dram_bytes"]), r["dram_mj"], r["total_mj"],
                             r["latency_ms"], fmt_ms(r.get("run_ms")),
                             fmt_cos(outs), rel,
                             fmt_ms(r.get("static_run_ms")),
                             fmt_cos(r.get("static_outputs", []))))
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--cnn-models", default="/work/full-models-all")
    ap.add_argument("--sd2-models", default="/work/full-models")
    ap.add_argument("--target", default="edge-npu-lpddr4")
    ap.add_argument("--objective", default="edp",
                    help="romac compile --objective (edp: a lever's latency "
                    "is not traded for a sliver of energy)")
    ap.add_argument("--models",
                    default="alexnet,vgg16,mobilenet_v2,unet,vae_decoder")
    ap.add_argument("--levers", default=",".join(LEVERS))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-run", action="store_true")
    ap.add_argument("--calibrate-seed", type=int, default=2,
                    help="also run each quantizing lever with static "
                    "activation scales calibrated on seeded inputs (not the "
                    "run's own, seed 1); -1: dynamic scales only")
    ap.add_argument("-o", default="build/compression-table")
    args = ap.parse_args()
    levers = args.levers.split(",")
    for lever in levers:
        if lever not in LEVERS:
            sys.exit("compression_table.py: error: unknown lever '%s' "
                     "(expected one of %s)" % (lever, ", ".join(LEVERS)))
    work = args.o + "-work"
    os.makedirs(work, exist_ok=True)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), platform.processor())
    result = {"target": args.target, "objective": args.objective, "cpu": cpu,
              "runs": args.runs,
              "models": {}}
    for name in args.models.split(","):
        path, dims = model_path(args, name)
        rows = result["models"][name] = {}
        for lever in levers:
            print("compression_table: %s %s..." % (name, lever),
                  file=sys.stderr, flush=True)
            row = compile_row(args, path, dims, lever, work)
            if not args.no_run:
                row.update(run_row(args, path, dims, lever))
                if "--quantize" in LEVERS[lever] and args.calibrate_seed >= 0:
                    static = run_row(args, path, dims, lever,
                                     ["--calibrate-seed",
                                      str(args.calibrate_seed)])
                    row["static_run_ms"] = static["run_ms"]
                    row["static_outputs"] = static["outputs"]
                    if "error" in static:
                        row["static_error"] = static["error"]
            rows[lever] = row
            # After every row, so that a long run keeps what it measured.
            json.dump(result, open(args.o + ".json", "w"), indent=1)
    json.dump(result, open(args.o + ".json", "w"), indent=1)
    table = render(result)
    open(args.o + ".md", "w").write(table)
    print(table, end="")

if __name__ == "__main__":
    main()
