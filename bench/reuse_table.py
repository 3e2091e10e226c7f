#!/usr/bin/env python3
"""Per-layer DRAM accesses of the fixed ROMANet reuse schemes and of romac's
adaptive choice, for the light AlexNet and VGG-16 exports.

For every model and policy runs
  romac compile MODEL --target TARGET --objective dram-accesses --policy P -q -o S.json
and prints a Markdown table (one row per layer: DRAM bytes of
input-stationary, weight-stationary, output-stationary and adaptive, and the
saving of adaptive over the best fixed scheme), then totals.

usage: bench/reuse_table.py BUILD_DIR [--target romanet-ddr3] [--out FILE]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

POLICIES = ["input-stationary", "weight-stationary", "output-stationary", "adaptive"]
MODELS = {"AlexNet": "models/alexnet/light/model.onnx",
          "VGG-16": "models/vgg16/light/model.onnx"}


def layer_bytes(layer):
    dram = layer["dram"]
    return sum(dram["read_bytes"].values()) + sum(dram["write_bytes"].values())


def compile_model(romac, model, target, policy, tmp):
    out = os.path.join(tmp, f"{os.path.basename(os.path.dirname(os.path.dirname(model)))}-{policy}.json")
    subprocess.run([romac, "compile", model, "--target", target, "--objective",
                    "dram-accesses", "--policy", policy, "-q", "-o", out], check=True)
    with open(out) as f:
        return json.load(f)


def fmt(n):
    return f"{n / 1024:,.1f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build_dir")
    ap.add_argument("--target", default="romanet-ddr3")
    ap.add_argument("--out")
    args = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    romac = os.path.join(args.build_dir, "bin", "romac")
    lines = [f"# DRAM accesses per layer: fixed reuse schemes vs adaptive",
             "",
             f"Target `{args.target}` (int8), objective `dram-accesses`; KiB moved between",
             "DRAM and the on-chip buffers per layer (reads + writes), as counted by",
             "the exact access-count model. Regenerate with",
             f"`bench/reuse_table.py build --target {args.target}`.",
             ""]
    with tempfile.TemporaryDirectory() as tmp:
        for name, rel in MODELS.items():
            runs = {p: compile_model(romac, os.path.join(root, rel), args.target, p, tmp)
                    for p in POLICIES}
            lines += [f"## {name}", "",
                      "| layer | op | input-stationary | weight-stationary | output-stationary | adaptive | adaptive vs best fixed |",
                      "|---|---|---:|---:|---:|---:|---:|"]
            totals = {p: 0 for p in POLICIES}
            for i, layer in enumerate(runs["adaptive"]["layers"]):
                per = {p: layer_bytes(runs[p]["layers"][i]) for p in POLICIES}
                for p in POLICIES:
                    totals[p] += per[p]
                best = min(per[p] for p in POLICIES[:3])
                saving = 100.0 * (best - per["adaptive"]) / best if best else 0.0
                lines.append(f"| `{layer['name']}` | {layer['op']} | " +
                             " | ".join(fmt(per[p]) for p in POLICIES) +
                             f" | {saving:.1f} % |")
            best = min(totals[p] for p in POLICIES[:3])
            lines.append("| **total** | | " + " | ".join(f"**{fmt(totals[p])}**" for p in POLICIES) +
                         f" | **{100.0 * (best - totals['adaptive']) / best:.1f} %** |")
            lines.append("")
            savings = ", ".join(
                f"{100.0 * (totals[p] - totals['adaptive']) / totals[p]:.1f} % vs {p}"
                for p in POLICIES[:3])
            lines += [f"Adaptive moves {savings}.", ""]
    text = "\n".join(lines) + "\n"
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
