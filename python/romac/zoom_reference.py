"""An independent Python reference of ``romac zoom``'s key frame (docs/zoom.md), for the whole-frame test.

Everything the C++ pipeline (tools/romac/Zoom.cpp, lib/Zoom) computes for one key frame,
written again from the published formulas, in numpy/torch/PIL, without romac's runtime:

* the prompt: ``romac.clip_tokenizer`` (CLIP's BPE, padded to 77 with id 0), the ids taken
  modulo the text encoder's ``vocab_size`` when one is out of range (the tiny text encoder
  has 1000 tokens, CLIP 49408), the text encoder run once for the negative prompt and once
  for the prompt;
* the canvas: key frame 0 starts from a black canvas with an all-repaint mask; key frame k
  from the previous key frame shrunk by ``2 m`` with PIL's BICUBIC (``Image.resize``'s
  default) and pasted centred on black, repainting the border of width m (v8hid's
  ``shrink_and_paste_on_blank``);
* diffusers' inpainting inputs: the image as ``2 p / 255 - 1``, the masked image
  ``image * (mask < 0.5)``, VAE-encoded; the mean of ``latent_dist`` (its first 4
  channels) times 0.18215; the mask nearest-downsampled to the latent size;
* the noise: the stream of romac's ``NormalNoise`` (SplitMix64 and Box-Muller, one stream per
  (seed, key frame)), reproduced here, times the scheduler's ``init_noise_sigma``; Euler
  ancestral's step noise follows the initial latents in the same stream;
* the loop: ``romac.scheduler_reference`` (torch float64) around the UNet at batch 2
  ([negative; prompt], the 9 input channels latents * scale_model_input, mask, masked-image
  latents), classifier-free guidance ``e_u + g (e_c - e_u)`` in float32 (off at g <= 1);
* the decode: latents / 0.18215 through the VAE decoder, ``round(clamp(x / 2 + 0.5, 0, 1) *
  255)`` (half to even), then the canvas' centre pasted back over it.

The four ONNX graphs are run by ``romac.models.numpy_eval`` (a float32 numpy interpreter,
the model zoo's own check of its exports), with the model directory's weights.
"""

import json
import math
import os
from typing import Dict, Optional

import numpy as np
import onnx
import torch
from PIL import Image

from romac import scheduler_reference
from romac.clip_tokenizer import ReferenceClipTokenizer
from romac.models import numpy_eval, pipeline_files

LATENT_SCALE = 0.18215
MASK64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15


# ----------------------------------------------------------------------------------------
# romac's noise
# ----------------------------------------------------------------------------------------


class NormalNoise:
    """romac's standard normal stream of key frame ``key`` of a run seeded ``seed``.

    SplitMix64 gives 53-bit uniforms u1 in (0, 1] and u2 in [0, 1); Box-Muller turns each
    pair into r cos(2 pi u2) then r sin(2 pi u2), r = sqrt(-2 ln u1)."""

    def __init__(self, seed: int, key: int):
        self.state = (seed ^ (GOLDEN * (key + 1))) & MASK64
        self.spare = None

    def _bits(self) -> int:
        self.state = (self.state + GOLDEN) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def next(self) -> float:
        if self.spare is not None:
            value, self.spare = self.spare, None
            return value
        u1 = ((self._bits() >> 11) + 1) * 2.0**-53
        u2 = (self._bits() >> 11) * 2.0**-53
        r = math.sqrt(-2.0 * math.log(u1))
        angle = 2.0 * math.pi * u2
        self.spare = r * math.sin(angle)
        return r * math.cos(angle)

    def take(self, count: int) -> np.ndarray:
        return np.array([self.next() for _ in range(count)], dtype=np.float64)


# ----------------------------------------------------------------------------------------
# The model directory
# ----------------------------------------------------------------------------------------


class ModelDir:
    """The four graphs, the text encoder's vocabulary size and the scheduler config of an
    SD2-inpainting export (Optimum's layout; the built-in SD2 config when there is none)."""

    def __init__(self, path: str):
        self.graphs: Dict[str, onnx.ModelProto] = {}
        for part in ("text_encoder", "unet", "vae_encoder", "vae_decoder"):
            self.graphs[part] = onnx.load(os.path.join(path, part, "model.onnx"))
        config = os.path.join(path, "text_encoder", "config.json")
        self.vocab_size = 0
        if os.path.exists(config):
            with open(config, encoding="utf-8") as fh:
                self.vocab_size = int(json.load(fh).get("vocab_size", 0))
        scheduler = os.path.join(path, "scheduler", "scheduler_config.json")
        if os.path.exists(scheduler):
            with open(scheduler, encoding="utf-8") as fh:
                self.scheduler_config = json.load(fh)
        else:
            self.scheduler_config = dict(pipeline_files.SCHEDULER_CONFIG)
        self.tokenizer = ReferenceClipTokenizer()
        unet_inputs = {i.name: i for i in self.graphs["unet"].graph.input}
        t = unet_inputs["timestep"].type.tensor_type
        self.timestep_dtype = np.int64 if t.elem_type == onnx.TensorProto.INT64 else np.float32
        self.timestep_rank = len(t.shape.dim)

    def run(self, part: str, **feeds) -> np.ndarray:
        """The first output of graph ``part``."""
        model = self.graphs[part]
        return numpy_eval.run(model, feeds)[model.graph.output[0].name]

    def encode_prompt(self, text: str) -> np.ndarray:
        ids = self.tokenizer.tokenize(text)
        if self.vocab_size > 0 and any(i >= self.vocab_size for i in ids):
            ids = [i % self.vocab_size for i in ids]
        return self.run("text_encoder", input_ids=np.array([ids], dtype=np.int64))


# ----------------------------------------------------------------------------------------
# Images
# ----------------------------------------------------------------------------------------


def shrink_and_paste_on_blank(image: np.ndarray, mask_width: int) -> np.ndarray:
    """v8hid's canvas: ``image`` (H, W, 3 uint8) shrunk by 2 m (PIL BICUBIC), centred on black."""
    h, w = image.shape[:2]
    small = Image.fromarray(image).resize((w - 2 * mask_width, h - 2 * mask_width), Image.BICUBIC)
    canvas = np.zeros_like(image)
    canvas[mask_width : h - mask_width, mask_width : w - mask_width] = np.asarray(small)
    return canvas


def border_mask(size: int, mask_width: int) -> np.ndarray:
    """[1, 1, S, S] float32: 1 on the border (repaint), 0 inside (keep)."""
    mask = np.ones((1, 1, size, size), dtype=np.float32)
    mask[..., mask_width : size - mask_width, mask_width : size - mask_width] = 0
    return mask


def to_tensor(image: np.ndarray) -> np.ndarray:
    """diffusers' VaeImageProcessor: [1, 3, H, W] float32 ``(p / 255) * 2 - 1``."""
    x = image.astype(np.float32).transpose(2, 0, 1)[None] / np.float32(255)
    return x * np.float32(2) - np.float32(1)


def to_image(x: np.ndarray) -> np.ndarray:
    """diffusers' postprocess: round(clamp(x / 2 + 0.5, 0, 1) * 255), half to even, as (H, W, 3)."""
    v = np.clip(x[0] / np.float32(2) + np.float32(0.5), 0, 1) * np.float32(255)
    return np.rint(v).astype(np.uint8).transpose(1, 2, 0)


# ----------------------------------------------------------------------------------------
# One key frame
# ----------------------------------------------------------------------------------------


def key_frame(
    models: ModelDir,
    *,
    prompt: str,
    negative_prompt: str = "",
    steps: int = 50,
    guidance: float = 7.5,
    scheduler: str = "pndm",
    seed: int,
    key: int = 0,
    size: int = 512,
    mask_width: int = 128,
    previous: Optional[np.ndarray] = None,
) -> Dict[str, np.ndarray]:
    """Key frame ``key`` as ``romac zoom`` makes it, from ``previous`` (H, W, 3 uint8; None:
    the first key frame, from a black canvas with an all-repaint mask).

    Returns ``latents`` (the initial noise latents, float64 [1, 4, S/8, S/8]), ``final``
    (the denoised latents), ``decoded`` (the VAE decoder's float32 [1, 3, S, S], before
    quantisation and paste-back) and ``image`` (the key frame, (S, S, 3) uint8)."""
    latent = size // 8
    m = mask_width if previous is not None else size // 2
    canvas = shrink_and_paste_on_blank(previous, m) if previous is not None else np.zeros((size, size, 3), np.uint8)
    mask = border_mask(size, m)
    masked = to_tensor(canvas) * (mask < 0.5)
    moments = models.run("vae_encoder", sample=masked.astype(np.float32))
    masked_latents = (moments[:, :4] * np.float32(LATENT_SCALE)).astype(np.float32)
    latent_mask = mask[:, :, ::8, ::8]  # nearest: source index i * 8
    context = np.concatenate([models.encode_prompt(negative_prompt), models.encode_prompt(prompt)])

    noise = NormalNoise(seed, key)
    count = 4 * latent * latent
    shape = (1, 4, latent, latent)

    def start(init_sigma):
        return torch.from_numpy(noise.take(count) * init_sigma)

    def step_noise(_k):
        return torch.from_numpy(noise.take(count))

    def unet(x, t):
        scaled = x.numpy().astype(np.float32).reshape(shape)
        item = np.concatenate([scaled, latent_mask, masked_latents], axis=1)
        timestep = np.array(t, dtype=models.timestep_dtype).reshape((1,) * models.timestep_rank)
        out = models.run("unet", sample=np.concatenate([item, item]), timestep=timestep,
                         encoder_hidden_states=context)
        uncond, cond = out[0].reshape(-1), out[1].reshape(-1)
        eps = uncond + np.float32(guidance) * (cond - uncond) if guidance > 1 else cond
        return torch.from_numpy(eps.astype(np.float64))

    initial = []

    def recording_start(init_sigma):
        x = start(init_sigma)
        initial.append(x.clone())
        return x

    _, _, _, samples = scheduler_reference.REFERENCES[scheduler](
        models.scheduler_config, steps, unet, recording_start, step_noise)
    final = samples[-1].numpy().reshape(shape)
    decoded = models.run("vae_decoder", latent_sample=(final / LATENT_SCALE).astype(np.float32))
    image = to_image(decoded)
    if previous is not None:
        image[m : size - m, m : size - m] = canvas[m : size - m, m : size - m]
    return {"latents": initial[0].numpy().reshape(shape), "final": final, "decoded": decoded, "image": image}
