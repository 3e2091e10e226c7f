"""romac.plot: the ROMANet comparison chart from romac-romanet-table's CSV."""

import csv

import pytest

from romac import plot

CONFIGS = ("baseline", "baseline-tuned", "romanet", "romac", "romac+fusion",
           "floor")


def write_csv(path, networks, drop=None, target="t"):
    fields = ["network", "target", "config", "dram_energy_uj", "dram_cycles",
              "published_saving_pct"]
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for net, published, values in networks:
            for config in CONFIGS:
                if (net, config) == drop:
                    continue
                energy, cycles = values[config]
                w.writerow({"network": net, "target": target, "config": config,
                            "dram_energy_uj": energy, "dram_cycles": cycles,
                            "published_saving_pct": published})


NETWORKS = [
    ("AlexNet", 12, {"baseline": (100, 1000), "baseline-tuned": (90, 950),
                     "romanet": (80, 800), "romac": (50, 500),
                     "romac+fusion": (30, 250), "floor": (40, 400)}),
    ("UNet", -1, {"baseline": (200, 2000), "baseline-tuned": (200, 2000),
                  "romanet": (150, 1600), "romac": (100, 2500),
                  "romac+fusion": (100, 2500), "floor": (90, 1000)}),
]


def test_relative_values(tmp_path):
    path = tmp_path / "r.csv"
    write_csv(path, NETWORKS)
    results, order, targets = plot.read_results(str(path))
    assert order == [("AlexNet", "t"), ("UNet", "t")]
    assert targets[("UNet", "t")] == "t"
    energy, throughput = plot.relative(results, order)
    assert energy["romac"] == [0.5, 0.5]
    assert energy["floor"] == [0.4, 0.45]
    assert throughput["romac"] == [pytest.approx(100.0), pytest.approx(-20.0)]
    assert throughput["romanet"] == [pytest.approx(25.0), pytest.approx(25.0)]
    assert energy["romac+fusion"] == [0.3, 0.5]
    assert throughput["romac+fusion"] == [pytest.approx(300.0),
                                          pytest.approx(-20.0)]


def test_one_network_on_two_targets_is_two_groups(tmp_path):
    path = tmp_path / "r.csv"
    write_csv(path, NETWORKS[:1])
    other = tmp_path / "other.csv"
    halved = [(net, published, {c: (e / 2, cy) for c, (e, cy) in v.items()})
              for net, published, v in NETWORKS[:1]]
    write_csv(other, halved, target="u")
    with open(path, "a") as f:
        f.write("".join(other.read_text().splitlines(True)[1:]))
    results, order, targets = plot.read_results(str(path))
    assert order == [("AlexNet", "t"), ("AlexNet", "u")]
    assert targets[("AlexNet", "u")] == "u"
    assert results[("AlexNet", "t")]["romac"]["dram_energy_uj"] == 50
    assert results[("AlexNet", "u")]["romac"]["dram_energy_uj"] == 25


def test_writes_png(tmp_path):
    path = tmp_path / "r.csv"
    write_csv(path, NETWORKS)
    png = tmp_path / "out.png"
    assert plot.main(["romanet", str(path), "-o", str(png)]) == 0
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 10000
    # Only the PNG is left behind (written to a temporary file, renamed).
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png", "r.csv"]


def test_bad_input(tmp_path, capsys):
    missing = tmp_path / "missing.csv"
    assert plot.main(["romanet", str(missing), "-o", str(tmp_path / "x.png")]) == 2
    assert "romac.plot: error:" in capsys.readouterr().err

    path = tmp_path / "r.csv"
    write_csv(path, NETWORKS, drop=("UNet", "romac"))
    with pytest.raises(plot.PlotError,
                       match="network 'UNet' on 't' has no 'romac' row"):
        plot.read_results(str(path))

    path.write_text("network,config\nA,baseline\n")
    with pytest.raises(plot.PlotError, match="missing columns: target"):
        plot.read_results(str(path))
    assert not (tmp_path / "x.png").exists()


def write_plan(path, levers):
    import json
    figures = lambda fpw: {"fps_per_w": fpw, "fps": fpw * 2}
    path.write_text(json.dumps({
        "format": "romac-plan", "version": 1,
        "parameters": {"target": "t", "model": "m.onnx"},
        "levers": [{"lever": name, "modelled": fpw is not None,
                    **({"per_video_frame": figures(fpw)} if fpw else
                       {"note": "not modelled yet (issue #15)"})}
                   for name, fpw in levers]}))


def test_plan_chart(tmp_path):
    path = tmp_path / "plan.json"
    write_plan(path, [("baseline", 1.0), ("+ fusion", 1.5), ("+ int8", None)])
    rows, title = plot.read_plan(str(path))
    assert [r[0] for r in rows] == ["baseline", "+ fusion", "+ int8"]
    assert rows[2][1] is None and "issue #15" in rows[2][2]
    assert title == "romac plan on t: m.onnx"
    png = tmp_path / "plan.png"
    assert plot.main(["plan", str(path), "-o", str(png)]) == 0
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_plan_bad_input(tmp_path, capsys):
    path = tmp_path / "plan.json"
    path.write_text('{"format": "romac-schedule"}')
    assert plot.main(["plan", str(path), "-o", str(tmp_path / "x.png")]) == 2
    assert "not a romac plan" in capsys.readouterr().err
    write_plan(path, [("baseline", None)])
    with pytest.raises(plot.PlotError, match="the baseline lever has no figures"):
        plot.read_plan(str(path))
    path.write_text("{")
    with pytest.raises(plot.PlotError, match="invalid JSON"):
        plot.read_plan(str(path))
    assert not (tmp_path / "x.png").exists()


def test_compression_chart(tmp_path, capsys):
    import json
    path = tmp_path / "table.json"
    table = {"models": {"net": {
        "none": {"total_mj": 4.0, "outputs": []},
        "int4": {"total_mj": 2.0, "outputs": [{"cosine": 0.99},
                                               {"cosine": 0.98}]},
        "k16": {"total_mj": 3.0},
    }}}
    path.write_text(json.dumps(table))
    models = plot.read_compression([str(path)])
    # Relative energy and the least cosine; a lever without a run is left out.
    assert models == {"net": [("int4", 0.5, 0.98)]}
    png = tmp_path / "c.png"
    assert plot.main(["compression", str(path), "-o", str(png)]) == 0
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    path.write_text('{"models": {"net": {"int4": {"total_mj": 1}}}}')
    assert plot.main(["compression", str(path), "-o", str(tmp_path / "x.png")]) == 2
    assert "not a compression table" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()
