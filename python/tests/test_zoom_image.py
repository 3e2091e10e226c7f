"""romac's zoom image ops and MP4 writer (lib/Zoom/{Image,Video}.cpp) against PIL, numpy, torch
and ffprobe.

* resize: Pillow 9.4's ``Image.resize`` default filter for RGB, BICUBIC, is the one v8hid's
  ``shrink_and_paste_on_blank`` and its interpolation crops use; romac's C++ port of it must
  match PIL within 1 (8-bit) per sample — it is expected to be exact, and the test reports
  the maximum seen. Down-scaling (the 2x shrink of the zoom, odd ratios) and up-scaling.
  LANCZOS (a = 3, v8hid's filter for a custom init image) likewise, and against a numpy
  float reference of the separable Lanczos-3 resampling (within 1 level: Pillow rounds its
  weights to 22-bit fixed point and the horizontal pass to 8 bits).
* canvas: the shrunk image pasted centred on black, the border mask (1 = repaint), the
  image tensor 2p/255 - 1, masked image = image * (mask < 0.5), the mask at latent size by
  ``torch.nn.functional.interpolate(mode="nearest")``, tensor -> image round trip.
* PNG: written atomically (no temporary left, an existing file kept when writing fails),
  bad PNG input gives one clear error.
* MP4: ffprobe sees codec h264, the frame count, size and fps; ffmpeg decodes frame 0 back
  within a tolerance of the PNG it was made from.
"""

import json
import os
import shutil
import subprocess

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import find_built


def _tool():
    return find_built("unittests/romac-zoom-tool", "romac-zoom-tool")


def run(*args):
    return subprocess.run([_tool(), *map(str, args)], capture_output=True, text=True, timeout=120)


def test_image(w, h, seed):
    rng = np.random.default_rng(seed)
    # smooth gradients plus noise and hard edges: exercises rounding and clipping
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([(x * 255 // max(w - 1, 1)), (y * 255 // max(h - 1, 1)), ((x // 7 + y // 5) % 2) * 255], -1)
    img = np.clip(img + rng.integers(-40, 41, img.shape), 0, 255).astype(np.uint8)
    return img


test_image.__test__ = False  # a helper, not a test


@pytest.mark.parametrize(
    "src,dst",
    [((512, 512), (256, 256)), ((96, 64), (37, 50)), ((64, 48), (150, 101)), ((33, 17), (33, 40)),
     ((40, 40), (13, 40)), ((1, 5), (4, 3))],
)
def test_resize_matches_pil_bicubic(tmp_path, src, dst):
    img = test_image(*src, seed=src[0] * 7 + dst[1])
    Image.fromarray(img).save(tmp_path / "in.png")
    p = run("resize", tmp_path / "in.png", dst[0], dst[1], tmp_path / "out.png")
    assert p.returncode == 0, p.stderr
    got = np.asarray(Image.open(tmp_path / "out.png"))
    want = np.asarray(Image.fromarray(img).resize(dst))  # default filter: BICUBIC
    assert got.shape == want.shape
    diff = np.abs(got.astype(int) - want.astype(int)).max()
    assert diff <= 1, diff
    assert diff == 0, f"within tolerance but not exact: {diff}"
    assert sorted(os.listdir(tmp_path)) == ["in.png", "out.png"]  # no temporary left


def lanczos_reference(img, width, height):
    """Separable Lanczos-3 resampling in float64, as Pillow defines it: output pixel i samples
    around centre (i + 0.5) * scale with the kernel sinc(x) sinc(x / 3) stretched by max(scale, 1),
    taps [int(centre - support + 0.5), int(centre + support + 0.5)) clipped to the image,
    weights normalised; horizontal pass first, rounded and clipped to 8 bits."""

    def kernel(x):
        return np.where((x >= -3) & (x < 3), np.sinc(x) * np.sinc(x / 3), 0.0)

    def matrix(n_in, n_out):
        scale = n_in / n_out
        fs = max(scale, 1.0)
        m = np.zeros((n_out, n_in))
        for i in range(n_out):
            centre = (i + 0.5) * scale
            lo, hi = max(int(centre - 3 * fs + 0.5), 0), min(int(centre + 3 * fs + 0.5), n_in)
            taps = np.arange(lo, hi)
            w = kernel((taps - centre + 0.5) / fs)
            m[i, lo:hi] = w / w.sum()
        return m

    out = img.astype(np.float64)
    h, w = img.shape[:2]
    if width != w:
        out = np.clip(np.round(np.einsum("ow,hwc->hoc", matrix(w, width), out)), 0, 255)
    if height != h:
        out = np.clip(np.round(np.einsum("oh,hwc->owc", matrix(h, height), out)), 0, 255)
    return out.astype(np.uint8)


@pytest.mark.parametrize(
    "src,dst",
    [((512, 512), (256, 256)), ((96, 64), (37, 50)), ((64, 48), (150, 101)), ((33, 17), (33, 40)),
     ((40, 40), (13, 40)), ((100, 80), (64, 64)), ((1, 5), (4, 3))],
)
def test_resize_lanczos_matches_pil_and_numpy(tmp_path, src, dst):
    img = test_image(*src, seed=src[0] * 5 + dst[1])
    Image.fromarray(img).save(tmp_path / "in.png")
    p = run("resize", tmp_path / "in.png", dst[0], dst[1], tmp_path / "out.png", "lanczos")
    assert p.returncode == 0, p.stderr
    got = np.asarray(Image.open(tmp_path / "out.png")).astype(int)
    assert np.array_equal(got, np.asarray(Image.fromarray(img).resize(dst, Image.LANCZOS)))
    assert np.abs(got - lanczos_reference(img, *dst).astype(int)).max() <= 1


def test_canvas_mask_and_tensors(tmp_path):
    size, m = 64, 16
    img = test_image(size, size, seed=3)
    Image.fromarray(img).save(tmp_path / "in.png")
    p = run("canvas", tmp_path / "in.png", m, tmp_path)
    assert p.returncode == 0, p.stderr
    # v8hid's shrink_and_paste_on_blank (RGB part): resize (default filter), paste centred.
    want = np.zeros_like(img)
    want[m:size - m, m:size - m] = np.asarray(Image.fromarray(img).resize((size - 2 * m, size - 2 * m)))
    canvas = np.asarray(Image.open(tmp_path / "canvas.png"))
    assert np.array_equal(canvas, want)
    image = np.load(tmp_path / "image.npy")
    ref_image = (torch.from_numpy(want).permute(2, 0, 1)[None].float() / 255.0) * 2.0 - 1.0
    assert image.dtype == np.float32 and np.array_equal(image, ref_image.numpy())
    mask = np.load(tmp_path / "mask.npy")
    ref_mask = np.ones((1, 1, size, size), np.float32)
    ref_mask[..., m:size - m, m:size - m] = 0
    assert np.array_equal(mask, ref_mask)
    masked = np.load(tmp_path / "masked.npy")
    assert np.array_equal(masked, (ref_image * (torch.from_numpy(ref_mask) < 0.5)).numpy())
    latent = np.load(tmp_path / "latent_mask.npy")
    ref_latent = torch.nn.functional.interpolate(torch.from_numpy(ref_mask), size=(size // 8, size // 8))
    assert np.array_equal(latent, ref_latent.numpy())
    # diffusers' postprocess: (x / 2 + 0.5).clamp(0, 1), then numpy_to_pil's (x * 255).round()
    back = np.asarray(Image.open(tmp_path / "back.png"))
    ref_back = ((ref_image / 2 + 0.5).clamp(0, 1) * 255).round()[0].permute(1, 2, 0).numpy().astype(np.uint8)
    assert np.array_equal(back, ref_back) and np.array_equal(back, want)


def test_bad_png_is_one_clear_error(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png at all")
    p = run("resize", bad, 4, 4, tmp_path / "out.png")
    assert p.returncode == 1 and p.stderr.count("\n") == 1
    assert str(bad) in p.stderr and "is not a PNG file" in p.stderr
    good = tmp_path / "good.png"
    Image.fromarray(test_image(16, 16, 1)).save(good)
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(good.read_bytes()[:60])
    p = run("resize", truncated, 4, 4, tmp_path / "out.png")
    assert p.returncode == 1 and str(truncated) in p.stderr and "not a valid PNG" in p.stderr
    assert not (tmp_path / "out.png").exists()


def test_png_write_failure_keeps_existing_file(tmp_path):
    Image.fromarray(test_image(16, 16, 1)).save(tmp_path / "in.png")
    ro = tmp_path / "ro"
    ro.mkdir()
    (ro / "out.png").write_bytes(b"old")
    os.chmod(ro, 0o500)
    try:
        if os.access(ro, os.W_OK):
            pytest.skip("running as a user who can write into read-only folders (root)")
        p = run("resize", tmp_path / "in.png", 8, 8, ro / "out.png")
        assert p.returncode == 1 and str(ro / "out.png") in p.stderr
        assert (ro / "out.png").read_bytes() == b"old"
    finally:
        os.chmod(ro, 0o700)


def _ffprobe(path):
    p = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries",
                        "stream=codec_name,width,height,r_frame_rate,nb_read_frames,pix_fmt", "-of", "json",
                        str(path)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)["streams"][0]


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffmpeg (ffprobe) is not installed")
def test_mp4_h264_frames_size_fps_and_pixels(tmp_path):
    out = tmp_path / "zoom.mp4"
    out.write_bytes(b"previous")
    p = run("mp4", out, 30, 12, 96, 64)
    assert p.returncode == 0, p.stderr
    s = _ffprobe(out)
    assert s["codec_name"] == "h264" and s["pix_fmt"] == "yuv420p"
    assert (s["width"], s["height"]) == (96, 64)
    assert s["r_frame_rate"] == "30/1"
    assert int(s["nb_read_frames"]) == 12
    dec = subprocess.run(["ffmpeg", "-v", "error", "-i", str(out), "-frames:v", "1", "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], capture_output=True, timeout=120)
    assert dec.returncode == 0, dec.stderr
    frame = np.frombuffer(dec.stdout, np.uint8).reshape(64, 96, 3).astype(int)
    want = np.asarray(Image.open(str(out) + ".frame0.png")).astype(int)
    err = np.abs(frame - want)
    # CRF 18 with 4:2:0 chroma: small mean error, bounded worst case at colour edges
    assert err.mean() < 4.0 and np.percentile(err, 99) < 24, (err.mean(), np.percentile(err, 99))
    assert sorted(os.listdir(tmp_path)) == ["zoom.mp4", "zoom.mp4.frame0.png"]


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffmpeg (ffprobe) is not installed")
def test_mp4_failure_keeps_existing_file(tmp_path):
    out = tmp_path / "zoom.mp4"
    out.write_bytes(b"previous")
    p = run("mp4", out, 30, 3, 95, 64)  # odd width: refused before anything is written
    assert p.returncode == 1 and str(out) in p.stderr and "even width" in p.stderr
    assert out.read_bytes() == b"previous"
    assert sorted(os.listdir(tmp_path)) == ["zoom.mp4", "zoom.mp4.frame0.png"]
