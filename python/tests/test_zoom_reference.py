"""Whole key frames of ``romac zoom`` against an independent Python pipeline (issue #13).

``romac zoom`` runs on the committed tiny SD2-inpainting models (2 key frames, 3 scheduler
steps, each scheduler, a fixed seed, guidance 7.5, a negative prompt) with ``--dump-tensors``, which writes
each key frame's initial latents and its VAE-decoded floats before quantisation. The
reference is ``romac.zoom_reference``: the tokenizer, the four ONNX graphs run by the model
zoo's numpy interpreter (not romac's runtime), the schedulers of ``romac.scheduler_reference``,
guidance, the mask, the VAE scaling and the paste-back, in numpy/torch/PIL.

Checked, per key frame:

* the noise: the reference reproduces romac's SplitMix64/Box-Muller stream, so the initial
  latents must agree to 1e-12 (both sides compute in double with the C library's log/sin/cos);
* the decoded image (pre-quantisation floats in [-1, 1]) within 1e-3 max abs (the issue's
  bound); both sides run float32 graphs, so what is left is float32 rounding (measured:
  at most 2.0e-5);
* the PNG: 1e-3 on x in [-1, 1] is 0.13 of an 8-bit level after ``(x / 2 + 0.5) * 255``, so a
  pixel may round the other way only next to a .5 boundary: at most 1 level anywhere, and
  the pasted-back centre is exact.

Key frame 1 outpaints around the PNG of key frame 0 that romac wrote (both sides start from
the same pixels). The comparison is sensitive: the reference with guidance 7.0 instead of
7.5 is more than 1e-3 away from romac's frame (1.8e-2 with PNDM).
"""

import os
import subprocess

import numpy as np
import pytest
from PIL import Image

from conftest import find_built, fixture_path

pytest.importorskip("regex")
from romac import zoom_reference  # noqa: E402

TINY = fixture_path("sd2-inpainting", "tiny")
SIZE, MASK, STEPS, SEED, GUIDANCE = 64, 16, 3, 11, 7.5
PROMPT, NEGATIVE = "a lighthouse on a cliff, oil painting", "blurry"
TOLERANCE = 1e-3


@pytest.fixture(scope="module")
def models():
    return zoom_reference.ModelDir(TINY)


def _romac_zoom(out, scheduler):
    build = os.path.dirname(os.path.dirname(find_built("bin/romac", "romac")))
    env = dict(os.environ, ROMAC_CACHE_DIR=os.path.join(build, "test", "zoom-cache"))
    args = ["--model-dir", TINY, "--prompt", PROMPT, "--negative-prompt", NEGATIVE, "--steps", str(STEPS),
            "--guidance", str(GUIDANCE), "--scheduler", scheduler, "--seed", str(SEED), "--size", str(SIZE),
            "--mask-width", str(MASK), "--outpaint-steps", "1", "--interp-frames", "2", "--dump-tensors",
            "--out", str(out)]
    p = subprocess.run([os.path.join(build, "bin", "romac"), "zoom", *args], capture_output=True, text=True,
                       env=env, timeout=900)
    assert p.returncode == 0, p.stderr
    return out


def _png(path):
    return np.asarray(Image.open(path).convert("RGB"))


def _reference(models, key, previous, **changes):
    options = dict(prompt=PROMPT, negative_prompt=NEGATIVE, steps=STEPS, guidance=GUIDANCE, seed=SEED, key=key,
                   size=SIZE, mask_width=MASK, previous=previous)
    options.update(changes)
    return zoom_reference.key_frame(models, **options)


@pytest.mark.parametrize("scheduler", ["pndm", "ddim", "dpm-solver++", "euler-a"])
def test_key_frames_match_the_python_reference(models, scheduler, tmp_path):
    out = _romac_zoom(tmp_path / "zoom", scheduler)
    for key in (0, 1):
        previous = _png(out / f"keyframe_{key - 1:04d}.png") if key else None
        ref = _reference(models, key, previous, scheduler=scheduler)
        tensors = out / "tensors"
        latents = np.load(tensors / f"keyframe_{key:04d}_latents.npy")
        assert latents.dtype == np.float64 and latents.shape == ref["latents"].shape
        assert np.abs(latents - ref["latents"]).max() <= 1e-12, key
        decoded = np.load(tensors / f"keyframe_{key:04d}_decoded.npy")
        assert decoded.shape == (1, 3, SIZE, SIZE)
        error = float(np.abs(decoded - ref["decoded"]).max())
        assert error <= TOLERANCE, (scheduler, key, error)
        image = _png(out / f"keyframe_{key:04d}.png")
        assert np.abs(image.astype(int) - ref["image"].astype(int)).max() <= 1, (scheduler, key)
        if key:
            inner = slice(MASK, SIZE - MASK)
            assert np.array_equal(image[inner, inner], ref["image"][inner, inner])


def test_comparison_detects_a_changed_guidance(models, tmp_path):
    out = _romac_zoom(tmp_path / "zoom", "pndm")
    decoded = np.load(out / "tensors" / "keyframe_0000_decoded.npy")
    assert np.abs(decoded - _reference(models, 0, None)["decoded"]).max() <= TOLERANCE
    perturbed = _reference(models, 0, None, guidance=7.0)["decoded"]
    assert np.abs(decoded - perturbed).max() > TOLERANCE


def test_noise_stream_is_romacs():
    """The first numbers romac drew for seed 11, key frame 0 (its --dump-tensors of the initial
    latents; PNDM's init_noise_sigma is 1) pin the Python copy of NormalNoise."""
    assert zoom_reference.NormalNoise(11, 0).take(4).tolist() == [
        -0.07279607420781486, 0.7537988368997983, -0.05485185052179886, 0.6939806352551005]
    assert zoom_reference.NormalNoise(11, 1).take(1)[0] == -0.6366434687981702
