"""Checks the invariants of a `romac plan` JSON (test/tools/plan.test).

Recomputes what the JSON derives (FPS, FPS/W, power, battery life) from its
energy and time, and checks the lever table's order: rows after a lever
that is not modelled repeat nothing, int4 weights and 2:4 pruning never
cost more energy than the rows before them (fewer bytes, a cheaper MAC),
sparse painting and fewer steps cut the energy of a video frame by at least
the share of work they remove.
Usage: check-plan.py PLAN.json zoom|model [cap|deadline|none]
"""
import json
import math
import sys


def close(a, b, rel=1e-6):
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)


def check_figures(f, battery_mwh, where):
    assert f["energy_mj"] > 0 and f["time_ms"] > 0, where
    assert close(f["fps"], 1000.0 / f["time_ms"]), where
    assert close(f["power_w"], f["energy_mj"] / f["time_ms"]), where
    assert close(f["fps_per_w"], f["fps"] / f["power_w"]), where
    assert close(f["battery_hours"], battery_mwh / (1000 * f["power_w"])), where
    assert close(f["energy_mj"], f["npu_energy_mj"] + f["dram_energy_mj"]), where


def main():
    plan = json.load(open(sys.argv[1]))
    kind, bound = sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "none"
    assert plan["format"] == "romac-plan" and plan["version"] == 1
    p = plan["parameters"]
    battery = p["battery_mwh"]
    levers = plan["levers"]
    names = [l["lever"] for l in levers]
    assert names[0].startswith("baseline"), names
    for l in levers:
        if l["modelled"]:
            check_figures(l["per_video_frame"], battery, l["lever"])
        else:
            assert "per_video_frame" not in l, l
            assert any(w in l["note"] for w in
                       ("issue #15", "dvfs", "not applicable")), l
    fused = next(l for l in levers if l["lever"] == "+ fusion")
    int4 = next(l for l in levers if l["lever"].startswith("+ int8, then int4"))
    shared = next(l for l in levers if l["lever"].startswith("+ weight sharing"))
    pruned = next(l for l in levers if l["lever"].startswith("+ pruning"))
    assert int4["modelled"] and shared["modelled"] and pruned["modelled"]
    # Without a bound every row before scaling runs at the nominal clock:
    # half the weight bytes and a cheaper MAC cost less; 2:4 stores fewer
    # bits again (3 of 4 for shared 4-bit indices).
    if bound == "none":
        e = lambda l: l["per_video_frame"]["energy_mj"]
        assert e(int4) < e(fused), (int4, fused)
        assert e(pruned) < e(shared), (pruned, shared)
    scaled = next(l for l in levers
                  if l["lever"] == "+ layer-wise frequency scaling")
    # Scaling plans the last compression row's work.
    f3, f7 = pruned["per_video_frame"], scaled["per_video_frame"]
    if bound == "none":
        # The least energy never costs more than the fixed clock.
        assert f7["energy_mj"] <= f3["energy_mj"] * (1 + 1e-9), (f3, f7)
    if bound == "cap":
        cap = p["power_cap_mw"]
        for l in levers:
            if l["modelled"]:
                assert l["per_video_frame"]["peak_npu_power_mw"] <= cap + 1e-6
        # The optimum under the cap is never slower than the fixed clock.
        assert f7["time_ms"] <= f3["time_ms"] * (1 + 1e-9), (f3, f7)
    if bound == "deadline":
        assert f7["time_ms"] <= p["deadline_ms"] * (1 + 1e-9) or \
            "misses" in scaled.get("note", ""), scaled
    if kind == "zoom":
        sparse = levers[names.index(next(n for n in names
                                         if n.startswith("+ sparse")))]
        fewer = levers[-1]
        assert fewer["lever"].startswith("+ fewer steps"), fewer
        key_share = p["key_frames"] / p["video_frames"]
        # Sparse painting paints key_frames of video_frames: the energy of a
        # frame falls at least to that share plus the (cheap) interpolation.
        assert sparse["per_video_frame"]["energy_mj"] < \
            f7["energy_mj"] * key_share * 1.5, (sparse, f7, key_share)
        calls = p["unet_calls_per_key_frame"]
        assert fewer["per_video_frame"]["energy_mj"] < \
            sparse["per_video_frame"]["energy_mj"] * (20 / calls * 1.5 + 0.01)
        assert len(plan["graphs"]) == 4
    else:
        assert len(plan["graphs"]) == 1
    plans = plan["frequency_plans"]["plans"]
    assert plans, plan["frequency_plans"]
    rules = [q["rule"] for q in plans]
    assert rules[0] == "fixed", rules
    for q in plans:
        check_figures(q, battery, q["rule"])
    if bound == "cap":
        assert rules == ["fixed", "highest-under-cap", "min-latency-under-cap"]
        best = plans[2]["time_ms"]
        assert best <= plans[0]["time_ms"] * (1 + 1e-9)
        assert best <= plans[1]["time_ms"] * (1 + 1e-9)
    else:
        assert plans[1]["energy_mj"] <= plans[0]["energy_mj"] * (1 + 1e-9)
    print("plan ok:", len(levers), "levers,", ", ".join(rules))


if __name__ == "__main__":
    main()
