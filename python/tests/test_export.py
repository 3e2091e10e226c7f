"""Export machinery: external data, atomic output, light conversion errors, full CNN export."""

import os

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper

from romac.models import export, onnx_utils, registry, sd2


def _model_with_weights(sizes):
    inits, nodes, prev = [], [], "x"
    for i, n in enumerate(sizes):
        w = numpy_helper.from_array(np.arange(n, dtype=np.float32) + i, f"w{i}")
        inits.append(w)
        nodes.append(helper.make_node("Add", [prev, f"w{i}"], [f"y{i}"]))
        prev = f"y{i}"
    g = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None])],
        [helper.make_tensor_value_info(prev, TensorProto.FLOAT, [None])], inits,
    )
    return helper.make_model(g)


def test_consolidate_external_data(tmp_path):
    sizes = [3, 300, 1000, 7]  # 12 B, 1200 B, 4000 B, 28 B
    model = _model_with_weights(sizes)
    path = str(tmp_path / "model.onnx")
    # one file per tensor, as torch writes >2 GB models
    onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=False, size_threshold=0)
    per_tensor = sorted(set(os.listdir(tmp_path)) - {"model.onnx"})
    assert len(per_tensor) == 4

    onnx_utils.consolidate_external_data(path)
    assert sorted(os.listdir(tmp_path)) == ["model.onnx", "model.onnx_data"]
    header = onnx.load(path, load_external_data=False)
    ext = {}
    for t in header.graph.initializer:
        if t.data_location == TensorProto.EXTERNAL:
            info = {e.key: e.value for e in t.external_data}
            assert info["location"] == "model.onnx_data"
            assert int(info["offset"]) % onnx_utils.EXTERNAL_ALIGNMENT == 0
            ext[t.name] = int(info["length"])
    assert ext == {"w1": 1200, "w2": 4000}  # < 1024 bytes stays inline
    full = onnx.load(path)
    onnx.checker.check_model(full)
    for i, n in enumerate(sizes):
        w = next(t for t in full.graph.initializer if t.name == f"w{i}")
        np.testing.assert_array_equal(numpy_helper.to_array(w), np.arange(n, dtype=np.float32) + i)


def test_consolidate_moves_big_inline_tensors_out(tmp_path):
    path = str(tmp_path / "model.onnx")
    onnx.save_model(_model_with_weights([10, 600]), path)
    onnx_utils.consolidate_external_data(path)
    header = onnx.load(path, load_external_data=False)
    assert [t.data_location for t in header.graph.initializer] == [TensorProto.DEFAULT, TensorProto.EXTERNAL]
    w1 = next(t for t in onnx.load(path).graph.initializer if t.name == "w1")
    np.testing.assert_array_equal(numpy_helper.to_array(w1), np.arange(600, dtype=np.float32) + 1)


def test_failed_export_leaves_output_untouched(tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    (out / "vae_decoder").mkdir()
    (out / "vae_decoder" / "model.onnx").write_bytes(b"old")
    calls = []
    real = export.export_spec

    def failing(spec, folder, *a, **k):
        calls.append(spec.folder)
        if len(calls) == 2:
            raise RuntimeError("boom")
        return real(spec, folder, *a, **k)

    monkeypatch.setattr(export, "export_spec", failing)
    with pytest.raises(RuntimeError, match="boom"):
        export.export_model("sd2-inpainting", str(out), "tiny", 14, 0, components=["vae_encoder", "vae_decoder"])
    assert calls == ["vae_encoder", "vae_decoder"]
    assert sorted(os.listdir(out)) == ["vae_decoder"]  # no vae_encoder, no temp folder
    assert (out / "vae_decoder" / "model.onnx").read_bytes() == b"old"


def test_failed_export_removes_the_folder_it_created(tmp_path, monkeypatch):
    monkeypatch.setattr(export, "export_spec", lambda *a, **k: (_ for _ in ()).throw(OSError(28, "No space left on device")))
    with pytest.raises(OSError):
        export.export_model("alexnet", str(tmp_path / "new" / "alexnet" / "light"), "light", 14, 0)
    assert os.listdir(tmp_path) == []
    (tmp_path / "keep").mkdir()
    with pytest.raises(OSError):
        export.export_model("alexnet", str(tmp_path / "keep" / "light"), "light", 14, 0)
    assert os.listdir(tmp_path) == ["keep"] and os.listdir(tmp_path / "keep") == []


def test_light_conversion_rejects_non_float_parameter_inputs():
    g = helper.make_graph(
        [helper.make_node("Add", ["x", "p"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.INT64, [2]), helper.make_tensor_value_info("p", TensorProto.INT64, [2])],
        [helper.make_tensor_value_info("y", TensorProto.INT64, [2])],
    )
    with pytest.raises(onnx_utils.LightError, match="non-float"):
        onnx_utils.inputs_to_constant_of_shape(helper.make_model(g), ["x"])


def test_expand_parameters_uses_no_memory_and_distinct_values():
    with sd2.init_device("meta"):
        unet = sd2.UNet2DConditionModel()
    export.expand_parameters(unet)
    params = list(unet.parameters())
    assert all(p.device.type == "cpu" and all(s == 0 for s in p.stride()) for p in params)
    firsts = [p.reshape(-1)[0].item() for p in params]
    assert len(set(firsts)) == len(firsts)
    assert sum(p.numel() for p in params) == 865_925_124


def test_full_cnn_export_holds_the_torch_weights(tmp_path):
    export.export_model("mobilenet-v1", str(tmp_path), "full", 14, 5)
    m = onnx.load(str(tmp_path / "model.onnx"))
    onnx.checker.check_model(m, full_check=True)
    spec = export.cnn_spec("mobilenet-v1", 5)
    w = next(i for i in m.graph.initializer if i.name == "classifier.weight")
    np.testing.assert_array_equal(numpy_helper.to_array(w), spec.module.classifier.weight.detach().numpy())
    # the light export of the same model has the same graph
    light = export.export_light_proto(export.cnn_spec("mobilenet-v1", 5), 14)
    lightened = onnx_utils.lighten(m)
    assert [(n.op_type, list(n.input)) for n in light.graph.node] == [(n.op_type, list(n.input)) for n in lightened.graph.node]


def test_registry_matches_the_modules():
    assert registry.SD2_COMPONENTS == sd2.COMPONENTS
    assert export.MODELS is registry.MODELS


def test_randomized_tensors_are_distinct():
    torch.manual_seed(0)
    m = sd2.CLIPTextModel(sd2.SD2InpaintingConfig.tiny().text)
    export.randomize_constant_tensors(m, 0)
    ln = m.text_model.final_layer_norm
    assert not torch.all(ln.weight == 1) and not torch.all(ln.bias == 0)
    w = [p for n, p in m.named_parameters() if "layer_norm" in n and n.endswith("weight")]
    assert len({tuple(p.tolist()) for p in w}) == len(w)


def test_lean_tracing_gives_the_same_graph():
    cfg = sd2.SD2InpaintingConfig.tiny()
    [spec] = export.sd2_specs(cfg, 0, components=("vae_decoder",))
    lean = export.export_normal_proto(spec, 14, lean=True)
    stock = export.export_normal_proto(spec, 14, lean=False)
    assert lean.SerializeToString() == stock.SerializeToString()
    # the swap is undone afterwards
    from torch.jit import _trace

    assert _trace.ONNXTracedModule.forward.__qualname__ == "ONNXTracedModule.forward"
