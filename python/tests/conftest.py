"""Shared fixtures for the model zoo tests (run with /usr/bin/python3 -m pytest python/tests)."""

import glob
import os
import shutil
import sys
import tempfile

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


@pytest.fixture(scope="session", autouse=True)
def private_artefact_cache():
    """Every ``romac`` the tests start caches into a folder of its own, removed at the end.

    Without it the suite's models (the zoo's VGG-16 alone is 528 MiB compiled) went into the
    user's ~/.cache/romac on every run and pushed their own entries out of its size cap."""
    saved = os.environ.get("ROMAC_CACHE_DIR")
    folder = tempfile.mkdtemp(prefix="romac-test-cache-")
    os.environ["ROMAC_CACHE_DIR"] = folder
    yield folder
    if saved is None:
        del os.environ["ROMAC_CACHE_DIR"]
    else:
        os.environ["ROMAC_CACHE_DIR"] = saved
    shutil.rmtree(folder, ignore_errors=True)


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
