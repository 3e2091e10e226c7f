#!/usr/bin/env python3
"""plot_bench.py - the speed ratio per graph of bench/run_bench.sh's results, as a PNG.

    bench/plot_bench.py BUILD/bench-results.json [MORE.json...] -o docs/benchmarks.png

One bar per graph: onnxruntime's median / romac's median (log scale; above 1 romac is
faster), with issue #12's fp32 goal for the graph as a marker. Several result files are
merged (a graph in a later file replaces the earlier one); failed graphs are listed under
the axis. The subtitle names the CPU and thread count of the first file. Bad input prints
one line on stderr and exits with status 2; the PNG is written to a temporary file and
renamed.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from romac.plot import save_png  # noqa: E402  (romac's python/ folder)

#: Issue #12's fp32 goals (speed ratio against onnxruntime fp32).
FP32_GOALS = {"unet": 1.25, "vae_decoder": 1.0, "vae_encoder": 1.0, "text_encoder": 1.2,
              "alexnet": 1.0, "vgg16": 1.0, "mobilenet_v2": 1.0}


def die(message):
    print(f"plot_bench.py: error: {message}", file=sys.stderr)
    sys.exit(2)


def load(paths):
    meta, graphs = None, {}
    for path in paths:
        try:
            with open(path) as f:
                data = json.load(f)
            rows = data["graphs"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            die(f"{path}: not a bench result ({e})")
        meta = meta or data
        for row in rows:
            graphs[row["graph"]] = row
    return meta, graphs


def plot(meta, graphs, png):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = [g for g, r in graphs.items() if r.get("speed_ratio")]
    failed = [g for g in graphs if g not in ok]
    fig, ax = plt.subplots(figsize=(max(4.0, 1.1 * len(ok) + 2), 3.6))
    ratios = [graphs[g]["speed_ratio"] for g in ok]
    bars = ax.bar(range(len(ok)), ratios, color="#4477aa", label="romac fp32 / onnxruntime fp32")
    for bar, ratio in zip(bars, ratios):
        ax.annotate(f"{ratio:.3g}x", (bar.get_x() + bar.get_width() / 2, ratio),
                    ha="center", va="bottom", fontsize=8)  # fmt: skip
    goals = [FP32_GOALS.get(g) for g in ok]
    ax.scatter([i for i, v in enumerate(goals) if v], [v for v in goals if v], marker="_",
               s=400, color="#cc3311", label="issue #12 fp32 goal", zorder=3)  # fmt: skip
    ax.axhline(1.0, color="gray", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_xticks(range(len(ok)), ok, rotation=20, ha="right")
    ax.set_ylabel("speed ratio (ort / romac)")
    ax.set_title(f"romac run vs onnxruntime, {meta['threads']} threads\n{meta['cpu']} "
                 f"({meta.get('cpuid_brand') or '?'}), {meta['date'][:10]}", fontsize=9)  # fmt: skip
    ax.set_ylim(top=max(4.0, 2.0 * max(ratios, default=1.0)))
    ax.legend(fontsize=7, loc="upper right", ncol=2)
    if failed:
        fig.text(0.01, 0.01, "failed: " + ", ".join(failed), fontsize=7)
    fig.tight_layout()
    save_png(fig, png)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("results", nargs="+", help="bench-results.json files (later ones win)")
    p.add_argument("-o", "--output", required=True, help="the PNG to write")
    args = p.parse_args()
    meta, graphs = load(args.results)
    if not graphs:
        die("no graphs in the results")
    plot(meta, graphs, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
