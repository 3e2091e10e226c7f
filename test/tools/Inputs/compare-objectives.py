"""Compares schedules that `romac compile --dram` wrote under different
DRAM objectives (test/tools/compile-objectives.test).

Usage: compare-objectives.py NAME=SCHEDULE.json ...  (NAME: the objective)

Prints, per schedule, its DRAM objective and totals, then checks that
  - every schedule records the objective it was asked for;
  - each one is no worse than every other on its own measure (latency:
    total cycles; dram-accesses: DRAM bytes; energy: total energy;
    dram-energy: DRAM energy), to 1e-9;
  - the schedules are not all the same (some layer's tiles or loop order
    differ between two objectives that disagree).
"""
import json
import sys


def measure(name, s):
    t = s["totals"]
    return {
        "latency": t["cycles"],
        "dram-accesses": t["dram"]["read_bytes"] + t["dram"]["write_bytes"],
        "energy": t["energy_pj"]["total"],
        "dram-energy": t["energy_pj"]["dram"],
    }[name]


def tiling(s):
    return [json.dumps(l["mapping"], sort_keys=True) for l in s["layers"]]


def main():
    runs = {}
    for arg in sys.argv[1:]:
        name, path = arg.split("=", 1)
        with open(path) as f:
            runs[name] = json.load(f)
    for name, s in runs.items():
        got = s["search"].get("dram_objective")
        assert got == name, f"{name}: the schedule says {got}"
        t = s["totals"]
        print(f"{name}: cycles {t['cycles']:.0f}, DRAM bytes "
              f"{measure('dram-accesses', s)}, energy {t['energy_pj']['total']:.0f}")
    for a, sa in runs.items():
        for b, sb in runs.items():
            assert measure(a, sa) <= measure(a, sb) * (1 + 1e-9), \
                f"{a}'s schedule is worse on {a} than {b}'s: " \
                f"{measure(a, sa)} > {measure(a, sb)}"
    differing = {(a, b) for a in runs for b in runs
                 if a < b and tiling(runs[a]) != tiling(runs[b])}
    assert differing, "every objective gave the same tilings"
    print("differ:", ", ".join(f"{a}/{b}" for a, b in sorted(differing)))


if __name__ == "__main__":
    main()
