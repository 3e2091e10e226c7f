"""The tiny SD2 fixtures: executable graphs whose test data reproduce from the committed seed."""

import os

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, numpy_helper

from conftest import FIXTURE_SEED, SD2_COMPONENTS, fixture_path, load_test_set
from romac.models import export, numpy_eval, sd2

TINY = fixture_path("sd2-inpainting", "tiny")


def committed(component):
    return onnx.load(os.path.join(TINY, component, "model.onnx"))


@pytest.mark.parametrize("component", SD2_COMPONENTS)
def test_fixture_size_and_validity(component):
    path = os.path.join(TINY, component, "model.onnx")
    assert os.path.getsize(path) < 4_000_000
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    assert not any(t.data_location == TensorProto.EXTERNAL for t in m.graph.initializer)


@pytest.mark.parametrize("component", SD2_COMPONENTS)
def test_test_data_matches_graph_signature(component):
    m = committed(component)
    ins, outs = load_test_set(os.path.join(TINY, component))
    for values, infos in ((ins, m.graph.input), (outs, m.graph.output)):
        assert [n for n, _ in values] == [i.name for i in infos]
        for (_, arr), info in zip(values, infos):
            tt = info.type.tensor_type
            assert arr.dtype == onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[tt.elem_type]
            assert arr.ndim == len(tt.shape.dim)
            for n, d in zip(arr.shape, tt.shape.dim):
                if d.HasField("dim_value"):
                    assert n == d.dim_value
            assert np.all(np.isfinite(arr))
    for _, arr in outs:
        assert arr.std() > 1e-3  # not a degenerate constant output


@pytest.mark.parametrize("component", SD2_COMPONENTS)
def test_committed_onnx_reproduces_its_test_data(component):
    """Execute the committed graph with the numpy interpreter on input_*.pb -> output_*.pb."""
    ins, outs = load_test_set(os.path.join(TINY, component))
    got = numpy_eval.run(committed(component), dict(ins))
    for name, want in outs:
        assert got[name].shape == want.shape
        np.testing.assert_allclose(got[name], want, rtol=1e-4, atol=1e-5)


def test_numpy_interpreter_detects_a_wrong_graph():
    """The check above is not vacuous: perturbing one weight changes the result."""
    m = committed("vae_decoder")
    init = next(i for i in m.graph.initializer if i.name == "decoder.conv_out.bias")
    arr = numpy_helper.to_array(init).copy()
    arr[0] += 0.5
    init.CopyFrom(numpy_helper.from_array(arr, init.name))
    ins, outs = load_test_set(os.path.join(TINY, "vae_decoder"))
    got = numpy_eval.run(m, dict(ins))["sample"]
    assert not np.allclose(got, outs[0][1], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("component", SD2_COMPONENTS)
def test_reexport_with_committed_seed_reproduces_fixture(tiny_reexport, component):
    fresh = onnx.load(os.path.join(tiny_reexport, component, "model.onnx"))
    old = committed(component)
    assert [(n.op_type, list(n.input), list(n.output)) for n in fresh.graph.node] == [
        (n.op_type, list(n.input), list(n.output)) for n in old.graph.node
    ]
    # attributes too (epsilons, Resize modes, constants): the whole node
    for a, b in zip(fresh.graph.node, old.graph.node):
        assert a == b, a.name
    assert [i.name for i in fresh.graph.initializer] == [i.name for i in old.graph.initializer]
    for a, b in zip(fresh.graph.initializer, old.graph.initializer):
        np.testing.assert_allclose(numpy_helper.to_array(a), numpy_helper.to_array(b), rtol=1e-6, atol=1e-7)
    fresh_ins, fresh_outs = load_test_set(os.path.join(tiny_reexport, component))
    old_ins, old_outs = load_test_set(os.path.join(TINY, component))
    for (n1, a1), (n2, a2) in zip(fresh_ins + fresh_outs, old_ins + old_outs):
        assert n1 == n2
        np.testing.assert_allclose(a1, a2, rtol=1e-5, atol=1e-6)
    assert len(fresh_ins + fresh_outs) == len(old_ins + old_outs)


def test_weights_in_onnx_are_the_torch_weights():
    """Named initializers hold exactly the torch parameters of the seeded tiny model."""
    [spec] = export.sd2_specs(sd2.SD2InpaintingConfig.tiny(), FIXTURE_SEED, components=("unet",))
    sd = spec.module.state_dict()
    m = committed("unet")
    named = [i for i in m.graph.initializer if i.name in sd]
    assert len(named) > 100
    for i in named:
        np.testing.assert_array_equal(numpy_helper.to_array(i), sd[i.name].numpy())


def test_seed_changes_weights_and_inputs():
    cfg = sd2.SD2InpaintingConfig.tiny()
    [a] = export.sd2_specs(cfg, 0, components=("vae_decoder",))
    [b] = export.sd2_specs(cfg, 1, components=("vae_decoder",))
    [c] = export.sd2_specs(cfg, 0, components=("vae_decoder",))
    wa, wb, wc = (s.module.decoder.conv_in.weight for s in (a, b, c))
    assert torch.equal(wa, wc) and not torch.equal(wa, wb)
    assert not torch.equal(a.args[0], b.args[0])


def test_component_weights_do_not_depend_on_the_other_components():
    cfg = sd2.SD2InpaintingConfig.tiny()
    alone = export.sd2_specs(cfg, 0, components=("vae_decoder",))[0].module.state_dict()
    together = {s.folder: s for s in export.sd2_specs(cfg, 0)}["vae_decoder"].module.state_dict()
    assert alone.keys() == together.keys()
    assert all(torch.equal(alone[k], together[k]) for k in alone)
