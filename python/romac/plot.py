"""Plots of romac's benchmark results (matplotlib, no display needed).

``romanet``: the bar chart of docs/romanet-comparison.md from the CSV that
``romac-romanet-table --csv FILE`` writes: per network the DRAM energy and the
DRAM throughput of each configuration relative to the baseline, with
ROMANet's published savings as markers.

    PYTHONPATH=python /usr/bin/python3 -m romac.plot romanet CSV -o PNG

``plan``: the lever chart of ``romac plan -o plan.json`` (docs/plan.md): per
lever row its FPS/W (frames per joule) on a logarithmic axis, with FPS and
the ratio to the baseline written on the bars; levers that are not modelled
are drawn as gaps with their note.

    PYTHONPATH=python /usr/bin/python3 -m romac.plot plan PLAN.json -o PNG

``compression``: from ``bench/compression_table.py``'s JSON
(docs/compression.md), per model the total energy of each lever relative to
the uncompressed schedule against the least cosine similarity of its
outputs to the fp32 run: what each lever costs in accuracy for what it
saves.

    PYTHONPATH=python /usr/bin/python3 -m romac.plot compression TABLE.json -o PNG

Bad input (a missing file, a CSV without the expected columns or rows)
prints one line on stderr and exits with status 2; the PNG is written to a
temporary file and renamed.
"""

import argparse
import csv
import os
import sys
import tempfile

# The configurations plotted, in bar order, with their legend labels.
ENERGY_BARS = (
    ("baseline-tuned", "baseline tuned for its DRAM"),
    ("romanet", "ROMANet-style (same tiles)"),
    ("romac", "romac (DRAM-aware)"),
    ("romac+fusion", "romac + layer fusion"),
    ("floor", "floor (baseline bytes, streaming)"),
)
THROUGHPUT_BARS = (
    ("baseline-tuned", "baseline tuned for its DRAM"),
    ("romanet", "ROMANet-style (same tiles)"),
    ("romac", "romac (DRAM-aware)"),
    ("romac+fusion", "romac + layer fusion"),
)
# ROMANet's published DRAM throughput gain against its baseline (percent).
PUBLISHED_THROUGHPUT = 10.0

REQUIRED_COLUMNS = (
    "network", "target", "config", "dram_energy_uj", "dram_cycles",
    "published_saving_pct",
)


class PlotError(Exception):
    """Bad input: the message is one line for the user."""


def read_results(path):
    """Rows of the CSV as {(network, target): {config: row}} in file order,
    plus that order and each key's target (a network compared on several
    targets is one bar group per target)."""
    try:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in REQUIRED_COLUMNS
                       if c not in (reader.fieldnames or [])]
            if missing:
                raise PlotError(f"{path}: missing columns: {', '.join(missing)}")
            rows = list(reader)
    except OSError as e:
        raise PlotError(f"{path}: {e.strerror}") from None
    results, order, targets = {}, [], {}
    for i, row in enumerate(rows, start=2):
        net = (row["network"], row["target"])
        if net not in results:
            results[net] = {}
            order.append(net)
            targets[net] = row["target"]
        try:
            row["dram_energy_uj"] = float(row["dram_energy_uj"])
            row["dram_cycles"] = float(row["dram_cycles"])
            row["published_saving_pct"] = float(row["published_saving_pct"])
        except ValueError:
            raise PlotError(f"{path}:{i}: expected numbers") from None
        results[net][row["config"]] = row
    if not results:
        raise PlotError(f"{path}: no results")
    for net in order:
        for config, _ in ("baseline", None), *ENERGY_BARS:
            if config not in results[net]:
                raise PlotError(f"{path}: network '{net[0]}' on '{net[1]}' has "
                                f"no '{config}' row")
    return results, order, targets


def relative(results, order):
    """Per configuration of ENERGY_BARS: DRAM energy / baseline; per
    configuration of THROUGHPUT_BARS: throughput change against the baseline
    in percent (baseline cycles / cycles - 1)."""
    energy, throughput = {}, {}
    for config, _ in ENERGY_BARS:
        energy[config] = [results[n][config]["dram_energy_uj"] /
                          results[n]["baseline"]["dram_energy_uj"] for n in order]
    for config, _ in THROUGHPUT_BARS:
        throughput[config] = [
            100.0 * (results[n]["baseline"]["dram_cycles"] /
                     results[n][config]["dram_cycles"] - 1.0) for n in order]
    return energy, throughput


def save_png(fig, png_path):
    """Writes `fig` to `png_path` through a temporary file in the same folder
    that is renamed over it (a failure leaves no half-written PNG), with the
    permissions of a newly created file (mkstemp makes it 0600) and no
    software-version metadata (the bytes do not depend on matplotlib's)."""
    out_dir = os.path.dirname(os.path.abspath(png_path))
    fd, tmp = tempfile.mkstemp(suffix=".png", dir=out_dir)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=110, metadata={"Software": None})
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, png_path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def plot_romanet(csv_path, png_path):
    results, order, targets = read_results(csv_path)
    energy, throughput = relative(results, order)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(max(11, 1.35 * len(order)), 8.5), sharex=True)
    n = len(order)
    width = 0.8 / len(ENERGY_BARS)
    xs = range(n)
    colors = ("#9e9e9e", "#4c72b0", "#dd8452", "#c44e52", "#55a868")
    for k, (config, label) in enumerate(ENERGY_BARS):
        pos = [x - 0.4 + (k + 0.5) * width for x in xs]
        ax1.bar(pos, energy[config], width, label=label, color=colors[k],
                hatch="//" if config == "floor" else None,
                edgecolor="white" if config == "floor" else None)
    published = [(x, 1.0 - results[net]["baseline"]["published_saving_pct"] / 100)
                 for x, net in zip(xs, order)
                 if results[net]["baseline"]["published_saving_pct"] >= 0]
    if published:
        ax1.scatter([p[0] for p in published], [p[1] for p in published],
                    marker="_", s=900, linewidths=3, color="black", zorder=5,
                    label="ROMANet published (1 - saving)")
    ax1.axhline(1.0, color="black", linewidth=0.8)
    ax1.set_ylabel("DRAM energy / baseline")
    ax1.set_ylim(0, 1.32)
    ax1.set_title("DRAM energy and throughput against the SmartShuttle-like "
                  "baseline (row-major, RoBaRaCoCh)")
    ax1.legend(fontsize=7.5, ncol=5, loc="upper center", markerscale=0.4)
    ax1.grid(axis="y", alpha=0.3)

    width = 0.8 / len(THROUGHPUT_BARS)
    for k, (config, label) in enumerate(THROUGHPUT_BARS):
        pos = [x - 0.4 + (k + 0.5) * width for x in xs]
        ax2.bar(pos, throughput[config], width, label=label, color=colors[k])
    ax2.axhline(PUBLISHED_THROUGHPUT, color="black", linestyle="--",
                linewidth=1, label="ROMANet published (+10 %)")
    ax2.axhline(0, color="black", linewidth=0.8)
    ax2.set_ylabel("DRAM throughput vs baseline (%)")
    ax2.set_yscale("symlog", linthresh=20)
    ax2.legend(fontsize=7.5, ncol=4, loc="upper center")
    ax2.set_ylim(-10, 600)
    ax2.grid(axis="y", alpha=0.3)
    ax2.set_xticks(list(xs))
    ax2.set_xticklabels([f"{net[0]}\n({targets[net]})" for net in order],
                        fontsize=8)
    fig.tight_layout()
    try:
        save_png(fig, png_path)
    finally:
        plt.close(fig)


def load_json(path):
    """The JSON document of `path`, or a PlotError naming the problem."""
    import json
    try:
        with open(path) as f:
            return json.load(f)
    except OSError as e:
        raise PlotError(f"{path}: cannot read ({e.strerror})")
    except ValueError as e:
        raise PlotError(f"{path}: invalid JSON ({e})")


def read_plan(path):
    """The lever rows of a romac plan JSON: [(lever, figures or None, note)]
    and a title."""
    plan = load_json(path)
    if not isinstance(plan, dict) or plan.get("format") != "romac-plan":
        raise PlotError(f"{path}: not a romac plan (format 'romac-plan')")
    try:
        rows = [(l["lever"], l.get("per_video_frame") if l["modelled"] else None,
                 l.get("note", "")) for l in plan["levers"]]
        params = plan["parameters"]
        title = (f"romac plan on {params['target']}: "
                 + (f"SD2 zoom {params['size']}x{params['size']}"
                    if "model_dir" in params else
                    os.path.basename(params.get("model", "model"))))
    except (KeyError, TypeError) as e:
        raise PlotError(f"{path}: missing field {e}")
    if not rows or rows[0][1] is None:
        raise PlotError(f"{path}: the baseline lever has no figures")
    return rows, title


def plot_plan(json_path, png_path):
    rows, title = read_plan(json_path)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    base = rows[0][1]["fps_per_w"]
    fig, ax = plt.subplots(figsize=(10, 0.55 * len(rows) + 1.6))
    ys = list(range(len(rows)))[::-1]
    top = max(f["fps_per_w"] for _, f, _ in rows if f)
    for y, (lever, f, note) in zip(ys, rows):
        if f is None:
            ax.text(base, y, f"  {note}", va="center", fontsize=8,
                    color="#777777")
            continue
        ax.barh(y, f["fps_per_w"], color="#4c72b0" if y != ys[0] else
                "#9e9e9e")
        ax.text(f["fps_per_w"], y,
                f"  {f['fps_per_w']:.3g} FPS/W, {f['fps']:.3g} FPS, "
                f"{f['fps_per_w'] / base:.3g}x", va="center", fontsize=8)
    ax.set_yticks(ys)
    ax.set_yticklabels([lever for lever, _, _ in rows], fontsize=8)
    ax.set_xscale("log")
    ax.set_xlim(base / 2, top * 30)
    ax.set_xlabel("FPS/W (video frames per joule), cumulative levers")
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    try:
        save_png(fig, png_path)
    finally:
        plt.close(fig)


def read_compression(paths):
    """The rows of compression_table.py JSONs: {model: [(lever, relative
    total energy, least cosine)]}, levers without a run left out."""
    models = {}
    for path in paths:
        table = load_json(path)
        try:
            for name, levers in table["models"].items():
                base = levers["none"]["total_mj"]
                rows = models.setdefault(name, [])
                for lever, r in levers.items():
                    if lever == "none" or not r.get("outputs"):
                        continue
                    rows.append((lever, r["total_mj"] / base,
                                 min(o["cosine"] for o in r["outputs"])))
        except (KeyError, TypeError, AttributeError) as e:
            raise PlotError(f"{path}: not a compression table (missing {e})")
    if not any(models.values()):
        raise PlotError("no lever with a measured error in "
                        + ", ".join(paths))
    return models


def plot_compression(json_paths, png_path):
    models = read_compression(json_paths)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 6))
    markers = "os^vDP*X"
    for i, (name, rows) in enumerate(models.items()):
        xs = [e for _, e, _ in rows]
        ys = [1 - c for _, _, c in rows]
        ax.scatter(xs, ys, marker=markers[i % len(markers)], label=name)
        for lever, x, y in zip((l for l, _, _ in rows), xs, ys):
            ax.annotate(lever, (x, y), fontsize=6, xytext=(3, 2),
                        textcoords="offset points")
    ax.set_yscale("log")
    ax.set_xlabel("total energy relative to the uncompressed schedule "
                  "(romac compile --dram)")
    ax.set_ylabel("1 - cosine similarity to fp32 (romac run, random "
                  "weights)")
    ax.set_title("compression levers: energy against output error",
                 fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    try:
        save_png(fig, png_path)
    finally:
        plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="romac.plot", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("romanet", help="the ROMANet comparison bar chart")
    p.add_argument("csv", help="CSV written by romac-romanet-table --csv")
    p.add_argument("-o", "--output", required=True, help="PNG to write")
    p = sub.add_parser("plan", help="the lever chart of romac plan")
    p.add_argument("json", help="JSON written by romac plan -o")
    p.add_argument("-o", "--output", required=True, help="PNG to write")
    p = sub.add_parser("compression",
                       help="energy against error of the compression levers")
    p.add_argument("tables", nargs="+",
                   help="JSON written by bench/compression_table.py")
    p.add_argument("-o", "--output", required=True, help="PNG to write")
    args = parser.parse_args(argv)
    try:
        if args.command == "romanet":
            plot_romanet(args.csv, args.output)
        elif args.command == "plan":
            plot_plan(args.json, args.output)
        elif args.command == "compression":
            plot_compression(args.tables, args.output)
    except PlotError as e:
        print(f"romac.plot: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
