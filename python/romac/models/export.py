"""Export the model zoo to ONNX: full, light and tiny variants.

Variants
  full   seeded random weights at the real sizes (the SD2 UNet, ~3.46 GB fp32, goes to
         ``model.onnx_data`` external data, as Optimum does).
  light  the same graph with every float initializer replaced by ``ConstantOfShape``.
         Produced without materialising the weights: the model is built on the ``meta``
         device, every parameter becomes a stride-0 expanded scalar (bytes, not GBs), and
         the graph is traced with ``export_params=False`` so the constant-folded parameters
         come out as shaped graph inputs, which are then turned into ConstantOfShape nodes.
  tiny   (SD2 only) the same structure with small widths, real (seeded) weights and a
         reference data set ``test_data_set_0/{input,output}_N.pb`` computed by torch (fp32).

Reference data (``reference=True``, the CLI's ``--reference``): a full export also writes
``test_data_set_0/{input,output}_N.pb``, the example inputs (CNNs: a 1x3x224x224 image drawn
uniformly from [0, 1) with ``seed + 1``) and torch's outputs for them on the same weights
(fp32, eval mode, one thread), so that ``romac run MODEL --input .../input_0.pb --check
.../test_data_set_0`` checks a compiled full-size model against torch. The tiny variant
always has it; a light model has no weights, so no reference. Without ``--reference`` a
full export is the same bytes as before the option existed.

Output layout (Optimum's, for SD2): ``OUT/{text_encoder,unet,vae_encoder,vae_decoder}/model.onnx``
plus ``config.json``, and (when every component is exported) ``OUT/tokenizer/`` and
``OUT/scheduler/`` (``pipeline_files``); CNNs: ``OUT/model.onnx``. Everything is written into a temporary folder
inside OUT and renamed into place on success.
"""

import contextlib
import gc
import io
import json
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import onnx
import torch
from onnx import numpy_helper
from torch import nn

from . import cnn, onnx_utils, pipeline_files, sd2
from .registry import (  # the registry is part of this module's interface
    DEFAULT_OPSET,
    DEFAULT_SEED,
    MODELS,
    OPSETS,
    VARIANTS,
    ExportError,
    ModelInfo,
    check_all_request,
    check_request,
)

__all__ = [
    "DEFAULT_OPSET", "DEFAULT_SEED", "MODELS", "OPSETS", "VARIANTS", "ExportError", "ModelInfo",
    "GraphSpec", "check_request", "check_all_request", "export_model", "export_all",
    "export_light_proto", "export_normal", "export_normal_proto", "sd2_specs", "cnn_spec",
    "expand_parameters", "randomize_constant_tensors", "lean_tracing",
]  # fmt: skip


@dataclass
class GraphSpec:
    """One ONNX graph: the module to trace and its Optimum signature."""

    folder: str  # sub-folder of the output ('' -> the output folder itself)
    module: nn.Module
    args: Tuple  # example inputs for tracing (and for the tiny test data set)
    input_names: List[str]
    output_names: List[str]
    dynamic_axes: Dict[str, Dict[int, str]]
    config: Optional[dict] = None


# --------------------------------------------------------------------------------------
# Graph specs
# --------------------------------------------------------------------------------------


def sd2_example_inputs(cfg: sd2.SD2InpaintingConfig, seed: int, latent: int = 16):
    """Example inputs per component (Optimum-like dummy shapes, small spatial sizes).

    ``latent`` is the UNet/decoder latent size (the VAE encoder image is 8x that); tracing
    the full-size models uses 8 (intermediates stay small, the graph is the same).
    """
    g = torch.Generator().manual_seed(seed + 1)
    batch, seq = 2, 16
    vocab = cfg.text.vocab_size
    ids = torch.randint(1, vocab - 2, (batch, seq), generator=g)
    ids[:, 0] = vocab - 2  # BOS (49406 for the real tokenizer)
    for b, eos in enumerate((7, 11)):  # EOS then padding with id 0 (SD2's pad token "!")
        ids[b, eos] = vocab - 1
        ids[b, eos + 1 :] = 0
    lat = latent
    return {
        "text_encoder": (ids,),
        "unet": (
            torch.randn(batch, cfg.unet.in_channels, lat, lat, generator=g),
            torch.tensor(981.0),
            torch.randn(batch, seq, cfg.unet.cross_attention_dim, generator=g),
        ),
        "vae_encoder": (torch.rand(1, cfg.vae.in_channels, 4 * lat, 4 * lat, generator=g) * 2 - 1,),
        "vae_decoder": (torch.randn(1, cfg.vae.latent_channels, lat // 2, lat // 2, generator=g),),
    }


_SD2_STREAMS = {"text_encoder": 1, "unet": 2, "vae": 3}

SD2_SIGNATURES = {
    "text_encoder": (
        ["input_ids"],
        ["last_hidden_state", "pooler_output"],
        {
            "input_ids": {0: "batch_size", 1: "sequence_length"},
            "last_hidden_state": {0: "batch_size", 1: "sequence_length"},
            "pooler_output": {0: "batch_size"},
        },
    ),
    "unet": (
        ["sample", "timestep", "encoder_hidden_states"],
        ["out_sample"],
        {
            "sample": {0: "batch_size", 2: "height", 3: "width"},
            "encoder_hidden_states": {0: "batch_size", 1: "sequence_length"},
            "out_sample": {0: "batch_size", 2: "height", 3: "width"},
        },
    ),
    "vae_encoder": (
        ["sample"],
        ["latent_parameters"],
        {
            "sample": {0: "batch_size", 2: "height", 3: "width"},
            "latent_parameters": {0: "batch_size", 2: "height_latent", 3: "width_latent"},
        },
    ),
    "vae_decoder": (
        ["latent_sample"],
        ["sample"],
        {
            "latent_sample": {0: "batch_size", 2: "height_latent", 3: "width_latent"},
            "sample": {0: "batch_size", 2: "height", 3: "width"},
        },
    ),
}

SD2_CONFIG_OF = {
    "text_encoder": ("CLIPTextModel", lambda c: c.text),
    "unet": ("UNet2DConditionModel", lambda c: c.unet),
    "vae_encoder": ("AutoencoderKL", lambda c: c.vae),
    "vae_decoder": ("AutoencoderKL", lambda c: c.vae),
}


def sd2_specs(
    cfg: sd2.SD2InpaintingConfig, seed: int, device=None, components=sd2.COMPONENTS
) -> List[GraphSpec]:
    """GraphSpecs for the SD2 components; weights seeded with ``seed`` unless on meta.

    Each model (text encoder, UNet, VAE) draws its weights from its own generator state,
    so a component's weights do not depend on which other components are exported.
    """
    modules = {}
    for name in components:
        if name in modules:
            continue
        group = ["vae_encoder", "vae_decoder"] if name.startswith("vae_") else [name]
        group = [c for c in group if c in components]
        stream = _SD2_STREAMS["vae" if name.startswith("vae_") else name]
        torch.manual_seed(seed * 16 + stream)
        ctx = sd2.init_device(device) if device is not None else contextlib.nullcontext()
        with ctx:
            built = sd2.build_components(cfg, group)
        if device is None:
            for m in built.values():
                randomize_constant_tensors(m, seed * 16 + stream)
        modules.update(built)
    inputs = sd2_example_inputs(cfg, seed, latent=16 if cfg.unet.sample_size <= 16 else 8)
    specs = []
    for name in components:
        ins, outs, axes = SD2_SIGNATURES[name]
        cls, pick = SD2_CONFIG_OF[name]
        config = {"_class_name": cls, "_romac_component": name, **sd2.config_dict(pick(cfg))}
        specs.append(GraphSpec(name, modules[name], inputs[name], ins, outs, axes, config))
    return specs


def cnn_spec(model: str, seed: int) -> GraphSpec:
    torch.manual_seed(seed)
    module = cnn.build(model).eval()
    randomize_constant_tensors(module, seed)
    x = torch.rand(1, 3, 224, 224, generator=torch.Generator().manual_seed(seed + 1))
    return GraphSpec("", module, (x,), ["input"], ["output"], {}, None)


def randomize_constant_tensors(module: nn.Module, seed: int):
    """Give every constant-initialised float parameter/buffer random values.

    Norm scales/shifts start at ones/zeros and torchvision zeroes biases; a real checkpoint
    has no two equal tensors. With equal ones the exporter would deduplicate them into a
    few shared initializers and the graph would not be the real model's. A tensor filled
    with ``c`` becomes ``c + 0.1 * N(0, 1)`` (variances ``c * (1 + 0.1 * U(0, 1))``).
    """
    g = torch.Generator().manual_seed(seed * 7919 + 17)
    with torch.no_grad():
        for m in module.modules():
            tensors = list(m._parameters.items()) + list(m._buffers.items())
            for name, t in tensors:
                if t is None or not t.is_floating_point() or t.numel() < 2:
                    continue
                first = t.reshape(-1)[0]
                if not bool((t == first).all()):
                    continue
                if name == "running_var":
                    t.copy_(first * (1 + 0.1 * torch.rand(t.shape, generator=g)))
                else:
                    t.copy_(first + 0.1 * torch.randn(t.shape, generator=g))


def expand_parameters(module: nn.Module):
    """Replace every float parameter/buffer by a distinct stride-0 expanded scalar.

    Shapes are kept, memory is not used. Distinct values keep the exporter from
    deduplicating same-shaped initializers (a real model has none equal).
    """
    count = 0

    def fake(t):
        nonlocal count
        count += 1
        value = 0.5 + count / 1024.0  # exact in fp32, positive (BN variances)
        return torch.full((), value, dtype=t.dtype).expand(t.shape)

    for m in module.modules():
        for name, p in list(m._parameters.items()):
            if p is not None and p.is_floating_point():
                m._parameters[name] = nn.Parameter(fake(p), requires_grad=False)
        for name, b in list(m._buffers.items()):
            if b is not None and b.is_floating_point():
                m._buffers[name] = fake(b)
    return module


# --------------------------------------------------------------------------------------
# Exporting one graph
# --------------------------------------------------------------------------------------


@contextlib.contextmanager
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@contextlib.contextmanager
def lean_tracing(enabled=True):
    """Trace without torch 1.13's copy of every traced input.

    ``torch.jit._trace.ONNXTracedModule.forward`` clones all traced inputs, the parameters
    included (a contiguous copy of every weight: +3.5 GB for the UNet, and the whole model
    for the stride-0 parameters of a light export), only to hand the clones back when
    ``return_inputs`` is set, which ``torch.onnx.export`` never does. This swaps in the
    same forward without the clone; the traced graph is identical (tested). Falls back to
    torch's own forward where its internals differ.
    """
    from torch.jit import _trace

    cls = getattr(_trace, "ONNXTracedModule", None)
    needed = ("_flatten", "_unflatten", "_unique_state_dict", "_create_interpreter_name_lookup_fn")
    if not enabled or cls is None or not all(hasattr(_trace, n) for n in needed):
        yield
        return
    original = cls.forward

    def forward(self, *args):
        if getattr(self, "_return_inputs", True):
            return original(self, *args)
        states = getattr(self, "_return_inputs_states", False)
        in_vars, in_desc = _trace._flatten(args)
        module_state = list(_trace._unique_state_dict(self, keep_vars=True).values())
        outs, inputs_states = [], []

        def wrapper(*traced):
            in_args = list(traced[: len(in_vars)])
            inputs = _trace._unflatten(in_args, in_desc)
            if states:
                inputs_states.append(_trace._unflatten(in_args, in_desc))
            outs.append(self.inner(*inputs))
            if states:
                inputs_states[0] = (inputs_states[0], inputs)
            out_vars, _ = _trace._flatten(outs)
            return out_vars[0] if len(out_vars) == 1 else tuple(out_vars)

        graph, _ = torch._C._create_graph_by_tracing(
            wrapper,
            in_vars + module_state,
            _trace._create_interpreter_name_lookup_fn(),
            self.strict,
            self._force_outplace,
        )
        if states:
            return graph, outs[0], inputs_states[0]
        return graph, outs[0]

    cls.forward = forward
    try:
        yield
    finally:
        cls.forward = original


def _export_kwargs(spec: GraphSpec, opset: int):
    return dict(
        opset_version=opset,
        do_constant_folding=True,
        input_names=spec.input_names,
        output_names=spec.output_names,
        dynamic_axes=spec.dynamic_axes,
    )


def export_normal(spec: GraphSpec, path: str, opset: int) -> None:
    """torch.onnx.export with the weights; >2 GB models get one ``model.onnx_data``."""
    with _quiet(), torch.no_grad(), lean_tracing():
        torch.onnx.export(spec.module, spec.args, path, **_export_kwargs(spec, opset))
    header = onnx.load(path, load_external_data=False)
    if onnx_utils.uses_external_data(header):
        del header
        onnx_utils.consolidate_external_data(path)
        onnx.checker.check_model(path)
    else:  # all inline (< 2 GB): check what is loaded already (VGG-16: 6 s less than reloading)
        onnx.checker.check_model(header)


def export_normal_proto(spec: GraphSpec, opset: int, lean: bool = True) -> onnx.ModelProto:
    """In-memory normal export (small models only)."""
    f = io.BytesIO()
    with _quiet(), torch.no_grad(), lean_tracing(lean):
        torch.onnx.export(spec.module, spec.args, f, **_export_kwargs(spec, opset))
    return onnx.load_from_string(f.getvalue())


def export_light_proto(spec: GraphSpec, opset: int) -> onnx.ModelProto:
    """Light export of ``spec.module`` (which may live on meta); see the module docstring."""
    expand_parameters(spec.module)
    f = io.BytesIO()
    with _quiet(), torch.no_grad(), lean_tracing():
        torch.onnx.export(
            spec.module, spec.args, f, export_params=False, **_export_kwargs(spec, opset)
        )
    model = onnx.load_from_string(f.getvalue())
    onnx_utils.inputs_to_constant_of_shape(model, spec.input_names)
    model.producer_name = "romac.models (light)"
    onnx.checker.check_model(model, full_check=True)
    return model


def write_test_data(spec: GraphSpec, folder: str) -> None:
    """``test_data_set_0/input_N.pb`` / ``output_N.pb`` as in the ONNX backend test data.

    Computed on one thread so that the bytes do not depend on the thread count.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.no_grad():
            outs = spec.module(*spec.args)
    finally:
        torch.set_num_threads(threads)
    if isinstance(outs, torch.Tensor):
        outs = (outs,)
    d = os.path.join(folder, "test_data_set_0")
    os.makedirs(d)
    for kind, names, values in (
        ("input", spec.input_names, spec.args),
        ("output", spec.output_names, outs),
    ):
        for i, (n, v) in enumerate(zip(names, values)):
            t = numpy_helper.from_array(v.detach().cpu().numpy(), n)
            with open(os.path.join(d, f"{kind}_{i}.pb"), "wb") as fh:
                fh.write(t.SerializeToString())


def _write_config(spec: GraphSpec, folder: str, variant: str, seed: int, opset: int):
    if spec.config is None:
        return
    cfg = dict(spec.config)
    cfg["_romac_export"] = {"variant": variant, "seed": seed, "opset": opset}
    with open(os.path.join(folder, "config.json"), "w") as fh:
        json.dump(cfg, fh, indent=2, sort_keys=True)
        fh.write("\n")


def export_spec(
    spec: GraphSpec, folder: str, variant: str, opset: int, seed: int, reference: bool = False
) -> None:
    """Write one graph (and, for tiny or with ``reference``, its torch test data set)."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "model.onnx")
    if variant == "light":
        onnx.save_model(export_light_proto(spec, opset), path)
    else:
        if variant == "tiny" or reference:
            write_test_data(spec, folder)
        export_normal(spec, path, opset)
    _write_config(spec, folder, variant, seed, opset)


# --------------------------------------------------------------------------------------
# Exporting a model (all its graphs) atomically
# --------------------------------------------------------------------------------------


def spec_builders(model: str, variant: str, seed: int, components=None):
    """One zero-argument builder per graph, so that only one model's weights live at a time."""
    if model == "sd2-inpainting":
        comps = tuple(components or sd2.COMPONENTS)
        if variant == "tiny":
            cfg, device = sd2.SD2InpaintingConfig.tiny(), None
        else:
            cfg, device = sd2.SD2InpaintingConfig(), ("meta" if variant == "light" else None)
        return [
            (lambda c=c: sd2_specs(cfg, seed, device=device, components=(c,))[0]) for c in comps
        ]
    return [lambda: cnn_spec(model, seed)]


def specs_for(model: str, variant: str, seed: int, components=None) -> List[GraphSpec]:
    return [b() for b in spec_builders(model, variant, seed, components)]


def prepare_output(out_dir: str) -> Optional[str]:
    """Create ``out_dir`` if needed and check it is writable.

    Returns the topmost folder this created (None if ``out_dir`` existed already).
    """
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise ExportError(f"output folder {out_dir!r} exists and is not a folder")
    created = None
    probe_dir = os.path.abspath(out_dir)
    while not os.path.exists(probe_dir):
        created = probe_dir
        probe_dir = os.path.dirname(probe_dir)
    try:
        os.makedirs(out_dir, exist_ok=True)
        probe = tempfile.mkdtemp(prefix=".romac-probe-", dir=out_dir)
        os.rmdir(probe)
    except OSError as e:
        raise ExportError(f"cannot write to output folder {out_dir!r}: {e.strerror or e}")
    return created


def export_model(
    model: str,
    out_dir: str,
    variant: str = "full",
    opset: int = DEFAULT_OPSET,
    seed: int = DEFAULT_SEED,
    components: Optional[Sequence[str]] = None,
    log: Callable[[str], None] = lambda s: None,
    reference: bool = False,
) -> List[str]:
    """Export ``model``/``variant`` into ``out_dir``; returns the written top-level entries.

    ``reference``: also write torch's outputs as ``test_data_set_0`` (full variant; the
    tiny variant always does; see the module docstring).
    """
    check_request(model, variant, opset, components, reference)
    created = prepare_output(out_dir)
    tmp = tempfile.mkdtemp(prefix=".romac-export-", dir=out_dir)
    try:
        for build in spec_builders(model, variant, seed, components):
            spec = build()
            log(f"exporting {model} {variant} {spec.folder or 'model'}")
            export_spec(spec, os.path.join(tmp, spec.folder), variant, opset, seed, reference)
            del spec  # free this graph's weights before building the next one
            gc.collect()
        if model == "sd2-inpainting" and not components:
            # The whole pipeline: also the tokenizer and scheduler of Optimum's layout.
            pipeline_files.write_pipeline_files(tmp)
        entries = sorted(os.listdir(tmp))
        _publish(tmp, out_dir, entries)
        return entries
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if created:  # remove the (now empty) folders this export created
            d = os.path.abspath(out_dir)
            with contextlib.suppress(OSError):
                while True:
                    os.rmdir(d)
                    if d == created:
                        break
                    d = os.path.dirname(d)
        raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _publish(tmp: str, out_dir: str, entries: Sequence[str]) -> None:
    """Rename every entry of ``tmp`` into ``out_dir``, replacing same-named old entries."""
    for e in entries:
        src, dst = os.path.join(tmp, e), os.path.join(out_dir, e)
        if os.path.lexists(dst):
            trash = tempfile.mkdtemp(prefix=".romac-old-", dir=out_dir)
            os.rename(dst, os.path.join(trash, e))
            os.rename(src, dst)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.rename(src, dst)


def export_all(
    out_dir: str,
    variants: Sequence[str] = ("light", "tiny"),
    models: Optional[Sequence[str]] = None,
    opset: int = DEFAULT_OPSET,
    seed: int = DEFAULT_SEED,
    log: Callable[[str], None] = lambda s: None,
    reference: bool = False,
) -> List[str]:
    """Every model in every requested variant it has: ``OUT/<model>/<variant>/...``.

    ``reference`` adds torch's test data set to the full exports.
    """
    check_all_request(variants, models, opset, reference)
    models = list(models or MODELS)
    prepare_output(out_dir)
    done = []
    for m in models:
        for v in variants:
            if v in MODELS[m].variants:
                ref = reference and v == "full"
                export_model(m, os.path.join(out_dir, m, v), v, opset, seed, log=log, reference=ref)
                done.append(f"{m}/{v}")
    return done
