"""Light exports: ConstantOfShape instead of weights, real shapes, real parameter counts."""

import glob
import os

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, numpy_helper

from conftest import CNNS, FIXTURE_SEED, SD2_COMPONENTS, fixture_path
from romac.models import cnn, export, onnx_utils, sd2
from test_sd2_modules import EXPECTED_PARAMS


def light_model(*parts):
    return onnx.load(fixture_path(*parts, "model.onnx"))


def all_light_fixtures():
    return sorted(glob.glob(fixture_path("**", "light", "**", "model.onnx"), recursive=True))


def test_every_model_and_component_has_a_light_fixture():
    expected = {fixture_path("sd2-inpainting", "light", c, "model.onnx") for c in SD2_COMPONENTS}
    expected |= {fixture_path(m, "light", "model.onnx") for m in CNNS}
    assert set(all_light_fixtures()) == expected


@pytest.mark.parametrize("path", all_light_fixtures(), ids=lambda p: os.path.relpath(p, fixture_path()))
def test_light_fixture_has_no_weights(path):
    assert os.path.getsize(path) < 2_000_000
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    floats = [i.name for i in m.graph.initializer if i.data_type in onnx_utils.FLOAT_TYPES]
    assert floats == []
    produced = onnx_utils.light_parameter_shapes(m)
    assert produced, "no ConstantOfShape parameters"
    for n in m.graph.node:
        if n.op_type == "ConstantOfShape" and n.output[0] in produced:
            value = numpy_helper.to_array(n.attribute[0].t)
            assert value.dtype == np.float32 and value.shape == (1,)
    # every graph input is a user input (no weight left as an input without data)
    assert all(not i.name.endswith(onnx_utils.SHAPE_SUFFIX) for i in m.graph.input)
    assert len(m.graph.input) <= 3


@pytest.mark.parametrize("component", SD2_COMPONENTS)
def test_sd2_light_parameter_counts(component):
    m = light_model("sd2-inpainting", "light", component)
    assert onnx_utils.light_parameter_count(m) == EXPECTED_PARAMS[component]


def _cnn_expected_params(name):
    """Conv weights + one bias per output channel (own bias or the folded BatchNorm) + Linear."""
    torch.manual_seed(0)
    mod = cnn.build(name)
    n = 0
    for m in mod.modules():
        if isinstance(m, torch.nn.Conv2d):
            n += m.weight.numel() + m.out_channels
        elif isinstance(m, torch.nn.Linear):
            n += m.weight.numel() + m.bias.numel()
    has_bn = any(isinstance(m, torch.nn.BatchNorm2d) for m in mod.modules())
    convs_without_bias = [m for m in mod.modules() if isinstance(m, torch.nn.Conv2d) and m.bias is None]
    assert has_bn or not convs_without_bias
    return n, sum(p.numel() for p in mod.parameters()), has_bn


@pytest.mark.parametrize("name", CNNS)
def test_cnn_light_parameter_counts(name):
    expected, torch_params, has_bn = _cnn_expected_params(name)
    got = onnx_utils.light_parameter_count(light_model(name, "light"))
    assert got == expected
    if not has_bn:
        assert got == torch_params  # nothing folded: exactly the torch parameters
    known = {"vgg16": 138_357_544, "alexnet": 61_100_840}
    if name in known:
        assert got == known[name]


def test_light_io_signatures():
    te = light_model("sd2-inpainting", "light", "text_encoder")
    un = light_model("sd2-inpainting", "light", "unet")
    ve = light_model("sd2-inpainting", "light", "vae_encoder")
    vd = light_model("sd2-inpainting", "light", "vae_decoder")

    def sig(values):
        out = []
        for v in values:
            tt = v.type.tensor_type
            dims = [d.dim_param or d.dim_value for d in tt.shape.dim]
            out.append((v.name, TensorProto.DataType.Name(tt.elem_type), dims))
        return out

    assert sig(te.graph.input) == [("input_ids", "INT64", ["batch_size", "sequence_length"])]
    assert sig(te.graph.output) == [
        ("last_hidden_state", "FLOAT", ["batch_size", "sequence_length", 1024]),
        ("pooler_output", "FLOAT", ["batch_size", 1024]),
    ]
    assert sig(un.graph.input) == [
        ("sample", "FLOAT", ["batch_size", 9, "height", "width"]),
        ("timestep", "FLOAT", []),
        ("encoder_hidden_states", "FLOAT", ["batch_size", "sequence_length", 1024]),
    ]
    assert sig(un.graph.output) == [("out_sample", "FLOAT", ["batch_size", 4, "height", "width"])]
    assert sig(ve.graph.input) == [("sample", "FLOAT", ["batch_size", 3, "height", "width"])]
    assert sig(ve.graph.output) == [
        ("latent_parameters", "FLOAT", ["batch_size", 8, "height_latent", "width_latent"])
    ]
    assert sig(vd.graph.input) == [
        ("latent_sample", "FLOAT", ["batch_size", 4, "height_latent", "width_latent"])
    ]
    assert sig(vd.graph.output) == [("sample", "FLOAT", ["batch_size", 3, "height", "width"])]
    for name in CNNS:
        m = light_model(name, "light")
        assert sig(m.graph.input) == [("input", "FLOAT", [1, 3, 224, 224])]
        assert sig(m.graph.output) == [("output", "FLOAT", [1, 1000])]


def _node_signature(model):
    return [(n.op_type, list(n.input), list(n.output)) for n in model.graph.node]


@pytest.mark.parametrize("component", SD2_COMPONENTS)
def test_light_path_matches_lightened_normal_export_on_tiny(tiny_reexport, component):
    """Exporting from meta with expanded parameters == normal export + lighten, node by node,
    and ONNX shape inference gives every node output the same shape in all three."""
    normal = onnx.load(os.path.join(tiny_reexport, component, "model.onnx"))
    lightened = onnx_utils.lighten(onnx.load(os.path.join(tiny_reexport, component, "model.onnx")))
    [spec] = export.sd2_specs(sd2.SD2InpaintingConfig.tiny(), FIXTURE_SEED, device="meta", components=(component,))
    light = export.export_light_proto(spec, export.DEFAULT_OPSET)

    assert _node_signature(light) == _node_signature(lightened)
    assert onnx_utils.light_parameter_count(light) == onnx_utils.initializer_parameter_count(normal)

    ref = onnx_utils.infer_value_shapes(normal)
    assert len(ref) > 100
    for other in (light, lightened):
        got = onnx_utils.infer_value_shapes(other)
        for name, dims in ref.items():
            assert got.get(name) == dims, name
        compute_outputs = [o for n in normal.graph.node for o in n.output]
        assert all(o in got for o in compute_outputs if o in ref)


def test_lighten_replaces_exactly_the_float_initializers():
    from onnx import helper

    w = numpy_helper.from_array(np.ones((4, 3), np.float32), "w")
    shape = numpy_helper.from_array(np.array([3, 2], np.int64), "shape")
    g = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"]), helper.make_node("Reshape", ["y", "shape"], ["z"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, [3, 2])],
        [w, shape],
    )
    m = onnx_utils.lighten(helper.make_model(g))
    onnx.checker.check_model(m, full_check=True)
    assert [i.name for i in m.graph.initializer] == ["w__SHAPE", "shape"]
    assert m.graph.node[0].op_type == "ConstantOfShape" and m.graph.node[0].output[0] == "w"
    assert onnx_utils.light_parameter_shapes(m) == {"w": [4, 3]}
    assert onnx_utils.op_histogram(m) == {"MatMul": 1, "Reshape": 1}


@pytest.mark.parametrize("component", ["vae_encoder", "vae_decoder"])
def test_full_size_light_fixture_is_current(component):
    """Re-export the (cheap) full-size VAE light graphs and compare with the committed files."""
    [spec] = export.sd2_specs(sd2.SD2InpaintingConfig(), FIXTURE_SEED, device="meta", components=(component,))
    fresh = export.export_light_proto(spec, export.DEFAULT_OPSET)
    committed = light_model("sd2-inpainting", "light", component)
    assert _node_signature(fresh) == _node_signature(committed)
    assert list(fresh.graph.initializer) == list(committed.graph.initializer)


def test_cnn_light_fixture_is_current(tmp_path):
    export.export_model("mobilenet-v2", str(tmp_path), "light", export.DEFAULT_OPSET, FIXTURE_SEED)
    fresh = onnx.load(str(tmp_path / "model.onnx"))
    assert _node_signature(fresh) == _node_signature(light_model("mobilenet-v2", "light"))
