"""The exporter's command line: good runs, and one clear message + exit 2 on bad input."""

import os
import subprocess
import sys

import onnx
import pytest

from conftest import PYTHON_DIR

PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def run(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR, ROMAC_THREADS="1")
    return subprocess.run(
        [PYTHON, "-m", "romac.models", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=300,
    )


def assert_bad_input(proc, *needles):
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("romac.models: error: ")
    assert "Traceback" not in proc.stderr
    for n in needles:
        assert n in lines[0], lines[0]


def test_list():
    p = run("list")
    assert p.returncode == 0
    names = [line.split()[0] for line in p.stdout.splitlines()]
    assert names == ["sd2-inpainting", "mobilenet-v1", "mobilenet-v2", "vgg16", "alexnet"]
    assert "full,light,tiny" in p.stdout


@pytest.mark.parametrize(
    "args,needles",
    [
        (["export", "--model", "resnet-1000", "--out", "{tmp}/o"], ["unknown model 'resnet-1000'"]),
        (["export", "--model", "vgg16", "--variant", "huge", "--out", "{tmp}/o"], ["unknown variant 'huge'"]),
        (["export", "--model", "vgg16", "--variant", "tiny", "--out", "{tmp}/o"], ["no 'tiny' variant"]),
        (["export", "--model", "alexnet", "--opset", "13", "--out", "{tmp}/o"], ["unsupported opset 13"]),
        (["export", "--model", "alexnet", "--opset", "fourteen", "--out", "{tmp}/o"], ["--opset", "fourteen"]),
        (["export", "--model", "alexnet", "--seed", "-3", "--out", "{tmp}/o"], ["--seed"]),
        (["export", "--model", "alexnet", "--variant", "light", "--out", "{tmp}/file.txt/o"], ["cannot write", "file.txt"]),
        (["export", "--model", "alexnet", "--variant", "light", "--out", "{tmp}/file.txt"], ["not a folder"]),
        (["export", "--model", "sd2-inpainting", "--variant", "light", "--components", "unet,clip", "--out", "{tmp}/o"], ["unknown component 'clip'"]),
        (["export", "--model", "alexnet"], ["--out"]),
        (["export-all", "--out", "{tmp}/o", "--variants", "light,medium"], ["unknown variant 'medium'"]),
        (["export-all", "--out", "{tmp}/o", "--models", "vgg16,vgg99"], ["unknown model 'vgg99'"]),
        (["export-all", "--out", "{tmp}/o", "--opset", "18"], ["unsupported opset 18"]),
        (["frobnicate"], ["frobnicate"]),
        ([], ["missing command"]),
    ],
)
def test_bad_input_exits_2_with_one_message(tmp_path, args, needles):
    (tmp_path / "file.txt").write_text("not a folder")
    before = sorted(os.listdir(tmp_path))
    p = run(*[a.format(tmp=tmp_path) for a in args])
    assert_bad_input(p, *needles)
    assert sorted(os.listdir(tmp_path)) == before  # nothing created, nothing left behind


def test_export_light_cnn_and_overwrite(tmp_path):
    out = tmp_path / "alex"
    out.mkdir()
    (out / "keep.txt").write_text("unrelated file")
    for _ in range(2):  # the second run replaces the first export in place
        p = run("export", "--model", "alexnet", "--variant", "light", "--out", str(out), "--quiet")
        assert p.returncode == 0, p.stderr
        assert p.stderr == ""
        assert sorted(os.listdir(out)) == ["keep.txt", "model.onnx"]
    m = onnx.load(str(out / "model.onnx"))
    onnx.checker.check_model(m)
    assert m.opset_import[0].version == 14


def test_export_all_layout_and_opset17(tmp_path):
    p = run("export-all", "--out", str(tmp_path), "--variants", "light,tiny", "--models", "alexnet,mobilenet-v1", "--opset", "17")
    assert p.returncode == 0, p.stderr
    files = sorted(
        os.path.relpath(os.path.join(d, f), tmp_path) for d, _, fs in os.walk(tmp_path) for f in fs
    )
    assert files == ["alexnet/light/model.onnx", "mobilenet-v1/light/model.onnx"]
    assert onnx.load(str(tmp_path / "alexnet/light/model.onnx")).opset_import[0].version == 17
    assert "wrote 2 exports" in p.stderr


def test_export_sd2_component_subset(tmp_path):
    p = run("export", "--model", "sd2-inpainting", "--variant", "light", "--components", "vae_decoder",
            "--out", str(tmp_path), "--seed", "3", "--quiet")
    assert p.returncode == 0, p.stderr
    assert sorted(os.listdir(tmp_path)) == ["vae_decoder"]
    assert sorted(os.listdir(tmp_path / "vae_decoder")) == ["config.json", "model.onnx"]
