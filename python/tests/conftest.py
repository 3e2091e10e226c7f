"""Shared fixtures for the model zoo tests (run with /usr/bin/python3 -m pytest python/tests)."""

import glob
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.dirname(HERE)
REPO = os.path.dirname(PYTHON_DIR)
MODELS = os.path.join(REPO, "models")
if PYTHON_DIR not in sys.path:
    sys.path.insert(0, PYTHON_DIR)

import onnx  # noqa: E402
import torch  # noqa: E402
from onnx import numpy_helper  # noqa: E402

torch.set_num_threads(1)

FIXTURE_SEED = 0  # the seed models/README.md documents
SD2_COMPONENTS = ("text_encoder", "unet", "vae_encoder", "vae_decoder")
CNNS = ("mobilenet-v1", "mobilenet-v2", "vgg16", "alexnet")


def find_built(relpath, target):
    """BUILD/relpath, BUILD being $ROMAC_BUILD_DIR (scripts/run-tests.sh sets it) or build/.

    Fails when $ROMAC_BUILD_DIR is set but the file is missing (the suite was meant to
    have it); skips when neither has it (a python-only run)."""
    build = os.path.abspath(os.environ.get("ROMAC_BUILD_DIR") or os.path.join(REPO, "build"))
    path = os.path.join(build, relpath)
    if os.path.exists(path):
        return path
    if os.environ.get("ROMAC_BUILD_DIR"):
        pytest.fail(f"{path} is missing: build the {target} target")
    pytest.skip(f"{target} is not built (set ROMAC_BUILD_DIR)")


def fixture_path(*parts):
    return os.path.join(MODELS, *parts)


def load_tensor(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return t.name, numpy_helper.to_array(t)


def load_test_set(folder):
    """(inputs, outputs) of ``folder/test_data_set_0`` as ordered lists of (name, array)."""
    d = os.path.join(folder, "test_data_set_0")
    ins = [load_tensor(p) for p in sorted(glob.glob(os.path.join(d, "input_*.pb")))]
    outs = [load_tensor(p) for p in sorted(glob.glob(os.path.join(d, "output_*.pb")))]
    return ins, outs


@pytest.fixture(scope="session")
def tiny_reexport(tmp_path_factory):
    """The tiny SD2 export redone from scratch with the committed seed (about 15 s)."""
    from romac.models import export

    out = str(tmp_path_factory.mktemp("tiny") / "sd2")
    export.export_model("sd2-inpainting", out, "tiny", export.DEFAULT_OPSET, FIXTURE_SEED)
    return out
