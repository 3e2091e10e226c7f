"""Op histograms of the committed exports.

Compute ops are derived from the torch architecture (module counts); the whole histogram
(shape plumbing included) is also pinned in ``data/op_histograms.json`` so that any change
of the exporter's output is noticed. Tiny and light SD2 graphs must have equal histograms:
they are the same architecture at different widths.
"""

import glob
import json
import os

import onnx
import pytest
import torch
import torchvision
from torch import nn

from conftest import CNNS, HERE, SD2_COMPONENTS, fixture_path
from romac.models import cnn, onnx_utils, sd2

with open(os.path.join(HERE, "data", "op_histograms.json")) as f:
    GOLDEN = json.load(f)

SD2_KEYS = [f"sd2-inpainting/{v}/{c}" for v in ("light", "tiny") for c in SD2_COMPONENTS]
CNN_KEYS = [f"{m}/light" for m in CNNS]
# The light text encoder exported at opset 17 (native LayerNormalization),
# committed for the importer's tests.
OPSET17_KEYS = ["sd2-inpainting/light-opset17/text_encoder"]


def histogram(key):
    return onnx_utils.op_histogram(onnx.load(fixture_path(key, "model.onnx")))


def count(module, cls):
    return sum(isinstance(m, cls) for m in module.modules())


def sd2_expected_ops(component, module, opset=14):
    """Compute-op counts implied by the module tree of an SD2 graph."""
    resnets = [m for m in module.modules() if isinstance(m, sd2.ResnetBlock2D)]
    linears = [(n, m) for n, m in module.named_modules() if isinstance(m, nn.Linear)]
    # Linear layers on 2-D inputs (the time embedding path) become Gemm, the rest MatMul.
    gemm = sum(1 for n, _ in linears if n.startswith("time_embedding.") or n.endswith("time_emb_proj"))
    attentions = count(module, sd2.Attention) + count(module, sd2.CLIPAttention)
    silu_outside_resnets = sum(
        1
        for n, m in module.named_modules()
        if isinstance(m, nn.SiLU) and ".resnets." not in f".{n}"
    )
    # Each resnet: SiLU after norm1 and norm2; SiLU(temb) is the same value in every resnet
    # and the exporter's CSE keeps one.
    shared_temb_silu = int(any(r.time_emb_proj is not None for r in resnets))
    layer_norms = count(module, nn.LayerNorm)
    exp = {
        "Conv": count(module, nn.Conv2d),
        "InstanceNormalization": count(module, nn.GroupNorm),
        "Gemm": gemm,
        "MatMul": len(linears) - gemm + 2 * attentions,
        "Softmax": attentions,
        "Erf": count(module, sd2.GEGLU) + count(module, sd2.CLIPMLP),
        "Resize": count(module, sd2.Upsample2D),
        "Pad": sum(1 for m in module.modules() if isinstance(m, sd2.Downsample2D) and m.padding == 0),
        "Sigmoid": 2 * len(resnets) + shared_temb_silu + silu_outside_resnets,
        "Sin": count(module, sd2.Timesteps),
        "Cos": count(module, sd2.Timesteps),
        "Trilu": count(module, sd2.CLIPTextTransformer),
        "ArgMax": count(module, sd2.CLIPTextTransformer),
        "Relu": 0,
        "BatchNormalization": 0,
        "GroupNormalization": 0,
        "Einsum": 0,
        "Gelu": 0,
        "Tanh": 0,
    }
    if opset >= 17:
        exp["LayerNormalization"] = layer_norms
    else:
        exp.update(LayerNormalization=0, ReduceMean=2 * layer_norms, Pow=layer_norms, Sqrt=layer_norms, Sub=layer_norms)
    return exp


def cnn_expected_ops(name):
    torch.manual_seed(0)
    m = cnn.build(name)
    adaptive = count(m, nn.AdaptiveAvgPool2d) + (1 if name == "mobilenet-v2" else 0)  # F.adaptive_avg_pool2d
    residual = sum(
        1
        for b in m.modules()
        if isinstance(b, torchvision.models.mobilenetv2.InvertedResidual) and b.use_res_connect
    )
    return {
        "Conv": count(m, nn.Conv2d),
        "Gemm": count(m, nn.Linear),
        "Relu": sum(1 for x in m.modules() if type(x) is nn.ReLU),
        "Clip": count(m, nn.ReLU6),
        "MaxPool": count(m, nn.MaxPool2d),
        "AveragePool+GlobalAveragePool": adaptive,
        "Add": residual,
        "BatchNormalization": 0,  # folded into the convolutions
        "MatMul": 0,
    }


@pytest.fixture(scope="module")
def sd2_modules():
    with sd2.init_device("meta"):
        return sd2.build_components(sd2.SD2InpaintingConfig())


@pytest.mark.parametrize("key", SD2_KEYS + CNN_KEYS + OPSET17_KEYS)
def test_histogram_matches_golden(key):
    assert histogram(key) == GOLDEN[key]


def test_golden_covers_exactly_the_fixtures():
    found = sorted(
        os.path.relpath(os.path.dirname(p), fixture_path())
        for p in glob.glob(fixture_path("**", "model.onnx"), recursive=True)
    )
    assert found == sorted(GOLDEN) == sorted(SD2_KEYS + CNN_KEYS + OPSET17_KEYS)


@pytest.mark.parametrize("variant", ["light", "tiny"])
@pytest.mark.parametrize("component", SD2_COMPONENTS)
def test_sd2_compute_ops_follow_the_architecture(sd2_modules, component, variant):
    hist = histogram(f"sd2-inpainting/{variant}/{component}")
    for op, n in sd2_expected_ops(component, sd2_modules[component]).items():
        assert hist.get(op, 0) == n, op


def test_opset17_text_encoder_follows_the_architecture(sd2_modules):
    hist = histogram(OPSET17_KEYS[0])
    expected = sd2_expected_ops("text_encoder", sd2_modules["text_encoder"], opset=17)
    assert expected["LayerNormalization"] == 2 * 23 + 1
    for op, n in expected.items():
        assert hist.get(op, 0) == n, op


def test_unet_counts_from_the_reference():
    hist = GOLDEN["sd2-inpainting/light/unet"]
    assert hist["InstanceNormalization"] == 61  # 61 GroupNorms
    assert hist["Conv"] == 66
    assert hist["Gemm"] == 24  # time embedding (2) + 22 time_emb_proj
    assert hist["Softmax"] == 32 and hist["Erf"] == 16 and hist["Resize"] == 3
    assert hist["Pow"] == 48  # 48 LayerNorms, decomposed at opset 14


@pytest.mark.parametrize("component", SD2_COMPONENTS)
def test_tiny_and_light_have_the_same_ops(component):
    assert histogram(f"sd2-inpainting/tiny/{component}") == histogram(f"sd2-inpainting/light/{component}")


@pytest.mark.parametrize("name", CNNS)
def test_cnn_compute_ops_follow_the_architecture(name):
    hist = histogram(f"{name}/light")
    exp = cnn_expected_ops(name)
    pools = exp.pop("AveragePool+GlobalAveragePool")
    assert hist.get("AveragePool", 0) + hist.get("GlobalAveragePool", 0) == pools
    for op, n in exp.items():
        assert hist.get(op, 0) == n, op
