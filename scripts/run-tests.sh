#!/usr/bin/env bash
# run-tests.sh BUILD_DIR - run every romac test suite and print one totals line.
#
# Suites: lit (FileCheck tests in test/), gtest (unittests/, through ctest),
# pytest (python/tests). Each writes a JUnit XML report; the totals line
# "N passed, N failed, N skipped" is computed from those reports. The exit
# status is non-zero when any suite fails or reports no tests at all.
set -uo pipefail

BUILD_DIR=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
REPORTS="$BUILD_DIR/test-reports"
rm -rf "$REPORTS" && mkdir -p "$REPORTS"
status=0

echo "== lit =="
/usr/lib/llvm-22/bin/lit -sv --xunit-xml-output="$REPORTS/lit.xml" "$BUILD_DIR/test" || status=1

echo "== gtest (ctest) =="
(cd "$BUILD_DIR" && ctest --output-on-failure -j 2 --output-junit "$REPORTS/ctest.xml") || status=1

if compgen -G "$ROOT/python/tests/test_*.py" >/dev/null; then
  echo "== pytest =="
  (cd "$ROOT" && PYTHONPATH="$ROOT/python" ROMAC_BUILD_DIR="$BUILD_DIR" /usr/bin/python3 -m pytest -q -p no:cacheprovider \
      --junitxml="$REPORTS/pytest.xml" python/tests) || status=1
fi

/usr/bin/python3 "$ROOT/scripts/test-totals.py" "$REPORTS"/*.xml || status=1
exit $status
