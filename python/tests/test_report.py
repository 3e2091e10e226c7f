"""`romac report` rendered in a real browser (issue #17, docs/report.md).

Headless Chromium (Debian's `chromium`) loads the report from a file and
dumps the DOM after the scripts ran: every chart canvas must say it was drawn
(data-rendered="1") and have painted pixels (data-pixels, a sample the page
counts from the canvas), the layer table must have one row per layer, the page
must have recorded no script error (window.onerror and console.error land in
#report-errors, and Chromium's own console log is read too), and a layer whose
ONNX node name is `<script>alert(1)</script>` must show as text. A screenshot
is kept as a test artefact (BUILD/test-artefacts/report-*.png and the pytest
tmp dir). The tests skip, saying so, only where chromium is not installed.
"""

import html.parser
import json
import os
import re
import shutil
import subprocess
import time

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import MODELS, find_built

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
EVIL = "<script>alert(1)</script>"

# Every chart of a report with DRAM statistics, fusion and a comparison.
CHARTS = ("chart-split", "chart-energy", "chart-rowhit", "chart-dram-bytes",
          "chart-fusion", "chart-buffers", "chart-compare")


@pytest.fixture(scope="module")
def romac():
    return find_built("bin/romac", "romac")


def need_chromium():
    if not CHROMIUM:
        pytest.skip("chromium is not installed (apt-get install chromium; "
                    "scripts/install-deps.sh does): the report is not rendered")


def artefact_dir(tmp_path):
    build = os.environ.get("ROMAC_BUILD_DIR")
    if build and os.path.isdir(build):
        out = os.path.join(build, "test-artefacts")
        os.makedirs(out, exist_ok=True)
        return out
    return str(tmp_path)


def chromium(tmp_path, *args, timeout=120):
    """Runs headless Chromium; returns (stdout, stderr, seconds)."""
    profile = tmp_path / "chromium-profile"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
           "--no-first-run", "--disable-extensions", "--mute-audio",
           "--enable-logging=stderr", "--v=0",
           f"--user-data-dir={profile}", *args]
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    seconds = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout, proc.stderr, seconds


class Dom(html.parser.HTMLParser):
    """The parts of a dumped DOM the tests check."""

    def __init__(self):
        super().__init__()
        self.canvases = []  # attribute dicts
        self.body = {}
        self.rows = 0
        self.table_rows = {}  # table id -> rows of its body
        self.errors = ""
        self.scripts = 0
        self._stack = []
        self._in_errors = False
        self._in_table_body = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "canvas":
            self.canvases.append(a)
        elif tag == "body":
            self.body = a
        elif tag == "script":
            self.scripts += 1
        elif tag == "pre" and a.get("id") == "report-errors":
            self._in_errors = True
        elif tag == "table":
            self._stack.append(a.get("id"))
        elif tag == "tbody" and self._stack:
            self._in_table_body = True
        elif tag == "tr" and self._in_table_body:
            table = self._stack[-1]
            self.table_rows[table] = self.table_rows.get(table, 0) + 1
            if table == "layer-table":
                self.rows += 1

    def handle_endtag(self, tag):
        if tag == "pre":
            self._in_errors = False
        elif tag == "tbody":
            self._in_table_body = False
        elif tag == "table" and self._stack:
            self._stack.pop()

    def handle_data(self, data):
        if self._in_errors:
            self.errors += data


def parse_dom(text):
    dom = Dom()
    dom.feed(text)
    return dom


def console_errors(stderr):
    """Chromium's console lines that report an error (uncaught exceptions,
    console.error) and failed loads."""
    bad = []
    for line in stderr.splitlines():
        if "CONSOLE" in line and ("Uncaught" in line or ":ERROR:" in line):
            bad.append(line)
        elif "net::ERR_" in line:
            bad.append(line)
    return bad


def compile_schedule(romac, model, out, *flags):
    proc = subprocess.run([romac, "compile", model, "-q", "-o", str(out), *flags],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return str(out)


def write_report(romac, out, *schedules):
    proc = subprocess.run([romac, "report", *schedules, "-o", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return str(out)


def render(tmp_path, report, name):
    """Dumps the report's DOM and takes a screenshot (kept as an artefact)."""
    url = "file://" + os.path.abspath(report)
    dom_text, stderr, seconds = chromium(tmp_path, "--dump-dom", url)
    shot = os.path.join(artefact_dir(tmp_path), f"report-{name}.png")
    if os.path.exists(shot):
        os.remove(shot)
    chromium(tmp_path, f"--screenshot={shot}", "--window-size=1400,2600",
             "--hide-scrollbars", url)
    shutil.copy(shot, tmp_path / os.path.basename(shot))
    return dom_text, stderr, seconds, shot


def check_page(dom_text, stderr, layers, charts):
    """The checks every rendered report passes; returns the parsed DOM."""
    dom = parse_dom(dom_text)
    assert dom.errors.strip() == "", "script errors:\n" + dom.errors
    assert console_errors(stderr) == [], "\n".join(console_errors(stderr))
    assert dom.body.get("data-rendered") == "1", "the report script did not finish"
    by_id = {c.get("id"): c for c in dom.canvases if c.get("id")}
    for chart in charts:
        assert chart in by_id, f"no canvas {chart}"
        assert by_id[chart].get("data-rendered") == "1", f"{chart} not drawn"
        assert int(by_id[chart].get("data-pixels", "0")) > 0, f"{chart} is blank"
    boxes = [c for c in dom.canvases if "tile-box" in c.get("class", "")]
    assert boxes, "the tiling view drew no tile boxes"
    assert all(int(c.get("data-pixels", "0")) > 0 for c in boxes)
    assert dom.rows == layers, f"{dom.rows} table rows for {layers} layers"
    return dom


def check_screenshot(shot):
    from PIL import Image

    img = np.asarray(Image.open(shot).convert("RGB"))
    assert img.shape[0] > 100 and img.shape[1] > 100
    # Not one flat colour: text and charts were painted.
    assert len(np.unique(img.reshape(-1, 3), axis=0)) > 50


def evil_model(path):
    """Two convolutions and a matmul; the first convolution's node name is
    `<script>alert(1)</script>` (and another name has `&`, quotes and a
    U+2028)."""
    rng = np.random.default_rng(0)
    w1 = numpy_helper.from_array(rng.standard_normal((8, 3, 3, 3)).astype(np.float32), "w1")
    w2 = numpy_helper.from_array(rng.standard_normal((8, 8, 3, 3)).astype(np.float32), "w2")
    w3 = numpy_helper.from_array(rng.standard_normal((128, 10)).astype(np.float32), "w3")
    shape = numpy_helper.from_array(np.array([1, 128], dtype=np.int64), "shape")
    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["c1"], name=EVIL, pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "w2"], ["c2"], name="conv2 & \"q\" \u2028 'x'",
                         pads=[1, 1, 1, 1], strides=[4, 4]),
        helper.make_node("Reshape", ["c2", "shape"], ["flat"], name="flatten"),
        helper.make_node("MatMul", ["flat", "w3"], ["y"], name="fc"),
    ]
    graph = helper.make_graph(
        nodes, "evil",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])],
        [w1, w2, w3, shape])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return str(path)


def test_report_escapes_layer_names(romac, tmp_path):
    need_chromium()
    model = evil_model(tmp_path / "evil.onnx")
    base = compile_schedule(romac, model, tmp_path / "evil.json")
    other = compile_schedule(romac, model, tmp_path / "evil-ws.json",
                             "--policy", "weight-stationary")
    with open(base) as f:
        layers = len(json.load(f)["layers"])
    assert layers == 3
    report = write_report(romac, tmp_path / "evil.html", base, other)
    with open(report, encoding="utf-8") as f:
        page = f.read()
    # The name is in the data blob only as escaped JSON.
    assert EVIL not in page
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in page
    assert "\u2028" not in page
    dom_text, stderr, _, shot = render(tmp_path, report, "escape")
    dom = check_page(dom_text, stderr, layers, CHARTS)
    # Shown as text (escaped in the serialised DOM), never as an element.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom_text
    assert EVIL not in dom_text
    assert dom.scripts == 4, "the page has exactly its own four scripts"
    check_screenshot(shot)


def test_report_fused_dram_schedule(romac, tmp_path):
    """A DRAM-aware, fused MobileNet-v1 against its flat schedule: every
    chart, including row-hit rates and fused groups."""
    need_chromium()
    model = os.path.join(MODELS, "mobilenet-v1", "light", "model.onnx")
    fused = compile_schedule(romac, model, tmp_path / "fused.json",
                             "--target", "romanet-ddr3", "--fuse")
    flat = compile_schedule(romac, model, tmp_path / "flat.json",
                            "--target", "romanet-ddr3")
    with open(fused) as f:
        schedule = json.load(f)
    assert schedule["fusion"]["groups"]
    report = write_report(romac, tmp_path / "mb.html", fused, flat)
    size = os.path.getsize(report)
    with open(report, encoding="utf-8") as f:
        page = f.read()
    # Self-contained: no external script, style sheet or image.
    assert not re.search(r"<(script|img|link|iframe)[^>]*\s(src|href)=", page)
    dom_text, stderr, seconds, shot = render(tmp_path, report, "mobilenet-v1")
    dom = check_page(dom_text, stderr, len(schedule["layers"]), CHARTS)
    # One row per streaming layer (its biases, ReLUs, the pooling, ...).
    streaming = len(schedule["streaming_layers"])
    assert streaming > 0
    assert dom.table_rows.get("streaming-table") == streaming
    assert "fused into another layer" in dom_text
    check_screenshot(shot)
    print(f"report {size} bytes, dump-dom {seconds:.2f} s")


def test_report_with_plan(romac, tmp_path):
    """romac report --plan: the lever chart and tables of romac plan's JSON,
    with a model path that would be markup shown as text."""
    need_chromium()
    model = tmp_path / "alex<b>net.onnx"
    shutil.copy(os.path.join(MODELS, "alexnet", "light", "model.onnx"), model)
    schedule = compile_schedule(romac, str(model), tmp_path / "alex.json")
    plan = tmp_path / "plan.json"
    proc = subprocess.run([romac, "plan", "--model", str(model), "-q",
                           "--power-cap-mw", "450", "-o", str(plan)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    with open(plan) as f:
        levers = json.load(f)["levers"]
    proc = subprocess.run([romac, "report", schedule, "--plan", str(plan),
                           "-o", str(tmp_path / "plan.html")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    dom_text, stderr, _, shot = render(tmp_path, str(tmp_path / "plan.html"),
                                       "plan")
    with open(schedule) as f:
        layers = len(json.load(f)["layers"])
    dom = check_page(dom_text, stderr, layers,
                     ("chart-split", "chart-energy", "chart-plan"))
    assert dom.table_rows.get("plan-table") == len(levers)
    # (c) DVFS, (a) the paper's rule, (b) romac under the cap.
    assert dom.table_rows.get("plan-freq-table") == 3
    assert "alex&lt;b&gt;net.onnx" in dom_text
    assert "<b>net" not in dom_text
    check_screenshot(shot)


def test_report_bad_input_keeps_output(romac, tmp_path):
    """A bad schedule is one error and leaves -o untouched (no browser)."""
    out = tmp_path / "r.html"
    out.write_text("keep me")
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    proc = subprocess.run([romac, "report", str(bad), "-o", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "bad.json: error: invalid JSON" in proc.stderr
    assert out.read_text() == "keep me"
