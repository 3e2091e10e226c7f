#!/usr/bin/env python3
"""Sum JUnit XML reports (lit, ctest, pytest) into one totals line.

Prints one line per report and then "N passed, N failed, N skipped".
Exits 1 when a test failed or when the reports hold no test at all.
"""
import sys
import xml.etree.ElementTree as ET


def count(path):
    passed = failed = skipped = 0
    for case in ET.parse(path).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def main(paths):
    totals = [0, 0, 0]
    for path in paths:
        try:
            result = count(path)
        except (OSError, ET.ParseError) as err:
            print(f"test-totals: error: cannot read report {path}: {err}", file=sys.stderr)
            return 1
        print(f"  {path.rsplit('/', 1)[-1]}: {result[0]} passed, {result[1]} failed, {result[2]} skipped")
        totals = [t + r for t, r in zip(totals, result)]
    passed, failed, skipped = totals
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    if passed + failed == 0:
        print("test-totals: error: no test ran", file=sys.stderr)
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
