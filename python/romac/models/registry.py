"""What the model zoo can export (no torch import: the CLI validates requests with it first)."""

from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

OPSETS = (14, 17)
DEFAULT_OPSET = 14  # Optimum 1.x's DEFAULT_ONNX_OPSET for the SD configs (CLIP needs Trilu)
DEFAULT_SEED = 0
VARIANTS = ("full", "light", "tiny")
SD2_COMPONENTS = ("text_encoder", "unet", "vae_encoder", "vae_decoder")


class ExportError(Exception):
    """A user-facing error (bad model/variant/opset/component, unwritable output)."""


@dataclass(frozen=True)
class ModelInfo:
    name: str
    variants: Tuple[str, ...]
    description: str


MODELS = {
    "sd2-inpainting": ModelInfo(
        "sd2-inpainting",
        ("full", "light", "tiny"),
        "stabilityai/stable-diffusion-2-inpainting: text_encoder, unet, vae_encoder, vae_decoder",
    ),
    "mobilenet-v1": ModelInfo("mobilenet-v1", ("full", "light"), "MobileNet v1 1.0-224"),
    "mobilenet-v2": ModelInfo("mobilenet-v2", ("full", "light"), "torchvision mobilenet_v2"),
    "vgg16": ModelInfo("vgg16", ("full", "light"), "torchvision vgg16"),
    "alexnet": ModelInfo("alexnet", ("full", "light"), "torchvision alexnet"),
}


def _known(kind, value, known):
    if value not in known:
        raise ExportError(f"unknown {kind} {value!r} (known: {', '.join(known)})")


def check_opset(opset: int):
    if opset not in OPSETS:
        raise ExportError(f"unsupported opset {opset} (supported: {', '.join(map(str, OPSETS))})")


# Variants whose weights are real values, so that torch's outputs are a reference for them.
REFERENCE_VARIANTS = ("full", "tiny")


def check_request(
    model: str,
    variant: str,
    opset: int,
    components: Optional[Sequence[str]] = None,
    reference: bool = False,
) -> ModelInfo:
    _known("model", model, MODELS)
    _known("variant", variant, VARIANTS)
    info = MODELS[model]
    if variant not in info.variants:
        raise ExportError(
            f"model {model!r} has no {variant!r} variant (it has: {', '.join(info.variants)})"
        )
    if reference and variant not in REFERENCE_VARIANTS:
        raise ExportError(
            f"--reference needs weights: the {variant!r} variant has none (use full)"
        )
    check_opset(opset)
    if components:
        if model != "sd2-inpainting":
            raise ExportError("--components only applies to sd2-inpainting")
        for c in components:
            _known("component", c, SD2_COMPONENTS)
    return info


def check_all_request(
    variants: Sequence[str], models: Optional[Sequence[str]], opset: int, reference: bool = False
):
    for v in variants:
        _known("variant", v, VARIANTS)
    if reference and "full" not in variants:
        raise ExportError(
            "--reference applies to the full variant (tiny always has reference data, "
            "light has no weights)"
        )
    for m in models or ():
        _known("model", m, MODELS)
    check_opset(opset)
