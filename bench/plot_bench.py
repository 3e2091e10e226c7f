#!/usr/bin/env python3
"""plot_bench.py - the speed ratio per graph of bench/run_bench.sh's results, as a PNG.

    bench/plot_bench.py BUILD/bench-results.json [MORE.json...] -o docs/benchmarks.png

One bar per graph and romac precision (fp32, bf16: `run_bench.sh --precisions`):
onnxruntime's fp32 median / romac's median (log scale; above 1 romac is faster), with
issue #12's goal for the graph and precision as a marker. Several result files are merged
(a graph and precision in a later file replaces the earlier one; rows without a precision
are fp32); failed ones are listed under the axis. The subtitle names the CPU and thread count of the first file. Bad input prints
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
GOALS = {"fp32": {"unet": 1.25, "vae_decoder": 1.0, "vae_encoder": 1.0, "text_encoder": 1.2,
                  "alexnet": 1.0, "vgg16": 1.0, "mobilenet_v2": 1.0},
         "bf16": {"unet": 2.5, "vae_decoder": 2.0, "vae_encoder": 2.0}}
COLORS = {"fp32": "#4477aa", "bf16": "#ee7733"}


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
            graphs[(row["graph"], row.get("precision") or "fp32")] = row
    return meta, graphs


def plot(meta, graphs, png):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    names = list(dict.fromkeys(g for g, _ in graphs))
    precisions = [p for p in ("fp32", "bf16") if any(q == p for _, q in graphs)]
    width = 0.8 / len(precisions)
    fig, ax = plt.subplots(figsize=(max(4.0, 1.1 * len(names) + 2), 3.6))
    failed, top = [], 1.0
    for k, precision in enumerate(precisions):
        xs, ratios, goals = [], [], []
        for i, name in enumerate(names):
            row = graphs.get((name, precision))
            if not row:
                continue
            x = i + (k - (len(precisions) - 1) / 2) * width
            if not row.get("speed_ratio"):
                failed.append(f"{name} ({precision})")
                continue
            xs.append(x)
            ratios.append(row["speed_ratio"])
            goals.append((x, GOALS[precision].get(name)))
        bars = ax.bar(xs, ratios, width=width * 0.95, color=COLORS[precision],
                      label=f"romac {precision} / onnxruntime fp32")  # fmt: skip
        for bar, ratio in zip(bars, ratios):
            ax.annotate(f"{ratio:.3g}x", (bar.get_x() + bar.get_width() / 2, ratio),
                        ha="center", va="bottom", fontsize=7)  # fmt: skip
        marked = [(x, v) for x, v in goals if v]
        ax.scatter([x for x, _ in marked], [v for _, v in marked], marker="_", s=300,
                   color="#cc3311", zorder=3,
                   label="issue #12 goal" if k == 0 else None)  # fmt: skip
        top = max([top] + ratios + [v for _, v in marked])
    ax.axhline(1.0, color="gray", linewidth=0.8)
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%gx"))
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_yticks([0.25, 0.5, 1, 2, 4])
    ax.set_xticks(range(len(names)), names, rotation=20, ha="right")
    ax.set_ylabel("speed ratio (ort / romac)")
    ax.set_title(f"romac run vs onnxruntime (fp32), {meta['threads']} threads\n{meta['cpu']} "
                 f"({meta.get('cpuid_brand') or '?'}), {meta['date'][:10]}", fontsize=9)  # fmt: skip
    ax.set_ylim(top=max(4.0, 2.0 * top))
    ax.legend(fontsize=7, loc="upper left", ncol=2)
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
