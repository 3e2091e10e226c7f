"""``romac zoom`` end to end on the committed tiny SD2-inpainting models (issue #13).

The tiny graphs have random weights, so the frames are noise-like pictures; what is checked is
the wiring and the pipeline's invariants:

* the outputs: every key frame and video frame as a PNG of the right size, both MP4s (ffprobe:
  h264, frame count, size, fps), zoom.json with the parameters, the seed and the stage times;
* each new key frame keeps the previous key frame, shrunk (PIL BICUBIC), exactly in its centre;
* the interpolated frames equal a PIL/numpy reference of v8hid's crop, resize and paste;
* the same seed gives byte-identical key frames, another seed other frames;
* ``--resume`` after deleting the last key frame writes it again, identical;
* ``--precision bf16`` gives key frames within 40 dB PSNR of the fp32 ones, not equal to them;
* ``--quantize w8a8`` gives key frames within 30 dB PSNR and 0.97 SSIM of the fp32 ones;
* bad input (options, model dir, PNG, output folder) is one error naming the option or file,
  a non-zero exit, and nothing written.

The four graphs are compiled once into an artefact cache under the build folder
(``BUILD/test/zoom-cache``, kept between runs), so only the first run pays for the compile.
"""

import json
import os
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from conftest import find_built, fixture_path

TINY = fixture_path("sd2-inpainting", "tiny")
SIZE, MASK, KEYS, INTERP, FPS = 64, 16, 2, 4, 10
BASE = ["--prompt", "a lighthouse on a cliff, oil painting", "--prompt-at", "2=a stormy sea",
        "--negative-prompt", "blurry", "--steps", "2", "--size", str(SIZE), "--mask-width", str(MASK),
        "--outpaint-steps", str(KEYS), "--interp-frames", str(INTERP), "--fps", str(FPS)]


def _find_build():
    return os.path.dirname(os.path.dirname(find_built("bin/romac", "romac")))


@pytest.fixture(scope="module")
def zoom():
    build = _find_build()
    env = dict(os.environ, ROMAC_CACHE_DIR=os.path.join(build, "test", "zoom-cache"))

    def run(*args, check=True):
        p = subprocess.run([os.path.join(build, "bin", "romac"), "zoom", *args], capture_output=True,
                           text=True, env=env, timeout=900)
        if check:
            assert p.returncode == 0, p.stderr
        return p
    return run


@pytest.fixture(scope="module")
def first(zoom, tmp_path_factory):
    out = tmp_path_factory.mktemp("zoom") / "a"
    zoom("--model-dir", TINY, *BASE, "--seed", "7", "--out", str(out))
    return out


def _png(path):
    return np.asarray(Image.open(path).convert("RGB"))


def _ffprobe(path):
    p = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries",
                        "stream=codec_name,width,height,r_frame_rate,nb_read_frames,pix_fmt", "-of", "json",
                        str(path)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)["streams"][0]


def test_outputs_and_zoom_json(first):
    frames = 1 + KEYS * INTERP
    for k in range(KEYS + 1):
        assert _png(first / f"keyframe_{k:04d}.png").shape == (SIZE, SIZE, 3)
    for i in range(frames):
        assert _png(first / f"frame_{i:05d}.png").shape == (SIZE, SIZE, 3)
    assert not (first / f"frame_{frames:05d}.png").exists()
    meta = json.loads((first / "zoom.json").read_text())
    assert meta["status"] == "done"
    assert meta["key_frames"] == KEYS + 1 and meta["video_frames"] == frames
    p = meta["parameters"]
    assert p["seed"] == "7" and p["size"] == SIZE and p["mask_width"] == MASK and p["steps"] == 2
    assert p["scheduler"] == "pndm" and p["negative_prompt"] == "blurry"
    assert p["prompts"] == [{"key_frame": 0, "prompt": "a lighthouse on a cliff, oil painting"},
                            {"key_frame": 2, "prompt": "a stormy sea"}]
    s = meta["seconds"]
    for stage in ("load", "text", "vae_encode", "unet", "vae_decode", "interpolation", "video_encode",
                  "total"):
        assert s[stage] >= 0, stage
    assert len(s["per_key_frame"]) == KEYS + 1 and meta["video_frames_per_second"] > 0
    _check_predictions(meta, "host", unet_calls=2 + 1, text_runs=3, diffused=KEYS + 1)
    # Key frames and video frames agree: frame 0 is key frame 0, frame k*INTERP key frame k.
    for k in range(KEYS + 1):
        assert np.array_equal(_png(first / f"frame_{k * INTERP:05d}.png"),
                              _png(first / f"keyframe_{k:04d}.png"))


def _check_predictions(meta, target, unet_calls, text_runs, diffused):
    """zoom.json's "predicted": the schedules' totals per graph, combined per key frame and per
    video frame as docs/zoom.md says."""
    pred = meta["predicted"]
    assert pred["target"] == target
    graphs = pred["graphs"]
    for name in ("text_encoder", "unet", "vae_encoder", "vae_decoder"):
        assert graphs[name]["energy_j"] > 0 and graphs[name]["seconds"] > 0, name
    assert pred["unet_calls_per_key_frame"] == unet_calls and pred["text_encoder_runs"] == text_runs
    assert pred["diffused_key_frames"] == diffused
    for unit in ("energy_j", "seconds"):
        key = graphs["vae_encoder"][unit] + unet_calls * graphs["unet"][unit] + graphs["vae_decoder"][unit]
        assert pred["per_key_frame"][unit] == pytest.approx(key, rel=1e-12)
        text = text_runs * graphs["text_encoder"][unit]
        assert pred["text"][unit] == pytest.approx(text, rel=1e-12)
        video = (text + diffused * key) / meta["video_frames"]
        assert pred["per_video_frame"][unit] == pytest.approx(video, rel=1e-12)


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffmpeg (ffprobe) is not installed")
def test_mp4s(first):
    for name in ("zoom_out.mp4", "zoom_in.mp4"):
        info = _ffprobe(first / name)
        assert info["codec_name"] == "h264" and info["pix_fmt"] == "yuv420p"
        assert (info["width"], info["height"]) == (SIZE, SIZE)
        assert info["r_frame_rate"] == f"{FPS}/1"
        assert int(info["nb_read_frames"]) == 1 + KEYS * INTERP


def test_previous_frame_pasted_back_exactly(first):
    """The issue's property: key frame k's centre is key frame k-1 shrunk, pixel for pixel."""
    for k in range(1, KEYS + 1):
        prev = Image.open(first / f"keyframe_{k - 1:04d}.png").convert("RGB")
        shrunk = np.asarray(prev.resize((SIZE - 2 * MASK, SIZE - 2 * MASK)))  # PIL's BICUBIC
        cur = _png(first / f"keyframe_{k:04d}.png")
        assert np.array_equal(cur[MASK:SIZE - MASK, MASK:SIZE - MASK], shrunk), k
        # The border was painted, not left black.
        assert cur[:MASK].any()


def _interpolated(prev, cur, j):
    """v8hid's frame j of the step prev -> cur (docs/zoom.md), with PIL's BICUBIC resize."""
    w = round((1 - (1 - 2 * MASK / SIZE) ** (1 - j / INTERP)) * SIZE / 2)
    frame = cur.crop((w, w, SIZE - w, SIZE - w)).resize((SIZE, SIZE))
    w2 = round((1 - (SIZE - 2 * MASK) / (SIZE - 2 * w)) / 2 * SIZE)
    if SIZE - 2 * w2 > 0:
        frame.paste(prev.resize((SIZE - 2 * w2, SIZE - 2 * w2)), (w2, w2))
    return np.asarray(frame)


def test_interpolated_frames_match_reference(first):
    for k in range(1, KEYS + 1):
        prev = Image.open(first / f"keyframe_{k - 1:04d}.png").convert("RGB")
        cur = Image.open(first / f"keyframe_{k:04d}.png").convert("RGB")
        for j in range(1, INTERP):
            got = _png(first / f"frame_{(k - 1) * INTERP + j:05d}.png")
            assert np.array_equal(got, _interpolated(prev, cur, j)), (k, j)


def test_same_seed_same_frames_other_seed_other_frames(zoom, first, tmp_path):
    zoom("--model-dir", TINY, *BASE, "--seed", "7", "--out", str(tmp_path / "b"))
    for k in range(KEYS + 1):
        name = f"keyframe_{k:04d}.png"
        assert (tmp_path / "b" / name).read_bytes() == (first / name).read_bytes(), name
    zoom("--model-dir", TINY, *BASE, "--seed", "8", "--out", str(tmp_path / "c"))
    assert not np.array_equal(_png(tmp_path / "c" / "keyframe_0000.png"), _png(first / "keyframe_0000.png"))


def test_resume_reproduces_the_last_key_frame(zoom, first, tmp_path):
    out = tmp_path / "resumed"
    shutil.copytree(first, out)
    last = f"keyframe_{KEYS:04d}.png"
    (out / last).unlink()
    # Without --seed the seed zoom.json recorded is used.
    p = zoom("--model-dir", TINY, *BASE, "--out", str(out), "--resume")
    assert "resumed after 2 key frame(s)" in p.stderr
    assert (out / last).read_bytes() == (first / last).read_bytes()
    meta = json.loads((out / "zoom.json").read_text())
    assert meta["resumed_key_frames"] == KEYS and meta["parameters"]["seed"] == "7"
    # Other options than the run's are refused, naming the parameter.
    p = zoom("--model-dir", TINY, *BASE[:-2], "--fps", "12", "--out", str(out), "--resume", check=False)
    assert p.returncode != 0 and "parameter 'fps'" in p.stderr


def test_bf16_key_frames_are_close_to_fp32(zoom, first, tmp_path):
    # --precision bf16: bfloat16 products in every graph's matmuls and convolutions. Each
    # painted key frame differs from the fp32 run's (the rounding is real) but stays close: a
    # PSNR of at least 40 dB over the frame (about 50 dB measured). zoom.json records the precision.
    out = tmp_path / "bf16"
    zoom("--model-dir", TINY, *BASE, "--seed", "7", "--precision", "bf16", "--out", str(out))
    assert json.loads((out / "zoom.json").read_text())["parameters"]["precision"] == "bf16"
    for k in range(KEYS + 1):
        name = f"keyframe_{k:04d}.png"
        a, b = _png(out / name).astype(np.float64), _png(first / name).astype(np.float64)
        assert not np.array_equal(a, b), name
        psnr = 10 * np.log10(255.0 ** 2 / np.mean((a - b) ** 2))
        assert psnr >= 40, (name, psnr)


def _ssim(a, b):
    """Mean SSIM of two RGB frames (Wang et al. 2004: an 11x11 Gaussian window of sigma 1.5,
    K1 = 0.01, K2 = 0.03, L = 255), per channel, averaged."""
    from numpy.lib.stride_tricks import sliding_window_view
    g = np.exp(-((np.arange(11) - 5) ** 2) / (2 * 1.5 ** 2))
    w = np.outer(g, g) / g.sum() ** 2
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(z):
        return (sliding_window_view(z, (11, 11)) * w).sum(axis=(-1, -2))
    values = []
    for c in range(a.shape[2]):
        x, y = a[..., c], b[..., c]
        mx, my = blur(x), blur(y)
        sxx, syy, sxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
        values.append((((2 * mx * my + c1) * (2 * sxy + c2)) /
                       ((mx * mx + my * my + c1) * (sxx + syy + c2))).mean())
    return float(np.mean(values))


def test_ssim_of_the_test_itself():
    # The SSIM above: 1 for equal frames, symmetric, lower the more noise is added.
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (32, 32, 3)).astype(np.float64)
    light = np.clip(a + rng.normal(0, 10, a.shape), 0, 255)
    heavy = np.clip(a + rng.normal(0, 60, a.shape), 0, 255)
    assert _ssim(a, a) == pytest.approx(1.0)
    assert _ssim(a, light) == pytest.approx(_ssim(light, a))
    assert 1.0 > _ssim(a, light) > _ssim(a, heavy) > 0.3


def test_quantized_key_frames_against_fp32(zoom, first, tmp_path):
    # --quantize w8a8 (docs/compression.md): every graph's weights and the activations they
    # multiply as 8-bit codes (the int8 kernels where the CPU has VNNI). Each key frame differs
    # from the fp32 run's but stays close; measured on the tiny models: 33.8-37.5 dB PSNR, SSIM
    # 0.982-0.990 (w4a8: 25-28 dB, 0.89-0.92). zoom.json records the compression.
    out = tmp_path / "w8a8"
    zoom("--model-dir", TINY, *BASE, "--seed", "7", "--quantize", "w8a8", "--out", str(out))
    assert json.loads((out / "zoom.json").read_text())["parameters"]["compression"] == \
        "--quantize w8a8"
    for k in range(KEYS + 1):
        name = f"keyframe_{k:04d}.png"
        a, b = _png(out / name).astype(np.float64), _png(first / name).astype(np.float64)
        assert not np.array_equal(a, b), name
        psnr = 10 * np.log10(255.0 ** 2 / np.mean((a - b) ** 2))
        assert psnr >= 30 and _ssim(a, b) >= 0.97, (name, psnr, _ssim(a, b))


def _with(args):
    """BASE with the options of ``args`` replacing (or added to) its own."""
    merged = list(BASE)
    for name, value in zip(args[::2], args[1::2]):
        if name in merged:
            merged[merged.index(name) + 1] = value
        else:
            merged += [name, value]
    return merged


def _expect_error(zoom, tmp_path, args, needle, model_dir=TINY):
    out = tmp_path / "never"
    p = zoom("--model-dir", str(model_dir), *_with(args), "--seed", "1", "--out", str(out), check=False)
    assert p.returncode != 0, p.stderr
    errors = [line for line in p.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and needle in errors[0], p.stderr
    assert "ready in" not in p.stderr  # refused before any graph was compiled or loaded
    assert not out.exists()


@pytest.mark.parametrize("args,needle", [
    (["--size", "60"], "--size 60"),
    (["--size", "96"], "--size 96"),
    (["--mask-width", "32"], "--mask-width 32"),
    (["--scheduler", "heun"], "unknown scheduler 'heun'"),
    (["--precision", "fp16"], "--precision fp16: expected fp32 or bf16"),
    (["--quantize", "int4"], "--quantize: invalid spec 'int4'"),
    (["--weight-sharing", "3"], "--weight-sharing: K must be a power of two greater than 1"),
    (["--prompt-at", "9=too late"], "--prompt-at 9=too late"),
    (["--prompt-at", "x"], "--prompt-at x"),
])
def test_bad_options(zoom, tmp_path, args, needle):
    _expect_error(zoom, tmp_path, args, needle)


def test_bad_model_dir_and_png(zoom, tmp_path):
    partial = tmp_path / "partial"
    partial.mkdir()
    for part in ("text_encoder", "vae_encoder", "vae_decoder"):
        os.symlink(os.path.join(TINY, part), partial / part)
    _expect_error(zoom, tmp_path, [], "unet/model.onnx", model_dir=partial)
    _expect_error(zoom, tmp_path, [], "--model-dir", model_dir=tmp_path / "nowhere")
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png at all")
    _expect_error(zoom, tmp_path, ["--init-image", str(bad)], str(bad))


def _misfit_dir(tmp_path, part, edit=None, config=None):
    """TINY with graph ``part`` rewritten: ``edit(model)`` changes its declared shapes, ``config``
    updates its config.json."""
    import onnx

    d = tmp_path / f"misfit-{part}-{len(os.listdir(tmp_path))}"
    d.mkdir()
    for other in ("text_encoder", "unet", "vae_encoder", "vae_decoder"):
        if other != part:
            os.symlink(os.path.join(TINY, other), d / other)
    (d / part).mkdir()
    model = onnx.load(os.path.join(TINY, part, "model.onnx"))
    if edit:
        edit(model)
    onnx.save(model, str(d / part / "model.onnx"))
    with open(os.path.join(TINY, part, "config.json")) as fh:
        cfg = json.load(fh)
    (d / part / "config.json").write_text(json.dumps(dict(cfg, **(config or {}))))
    return d


def _set_dim(values, name, index, size):
    for v in values:
        if v.name == name:
            v.type.tensor_type.shape.dim[index].dim_value = size


@pytest.mark.parametrize("part,edit,config,needle", [
    ("unet", lambda m: _set_dim(m.graph.input, "sample", 1, 4), None, "input 'sample' has 4 channels"),
    ("unet", lambda m: [_set_dim(m.graph.input, "sample", i, 16) for i in (2, 3)], None,
     "input 'sample' dim 2 is 16, expected 8"),
    ("unet", lambda m: _set_dim(m.graph.input, "encoder_hidden_states", 2, 64), None,
     "input 'encoder_hidden_states' dim 2 is 64, expected 32"),
    ("unet", lambda m: _set_dim(m.graph.output, "out_sample", 1, 8), None, "output 'out_sample' dim 1 is 8"),
    ("vae_decoder", lambda m: _set_dim(m.graph.input, "latent_sample", 1, 8), None,
     "input 'latent_sample' dim 1 is 8, expected 4"),
    ("vae_encoder", lambda m: _set_dim(m.graph.output, "latent_parameters", 1, 4), None,
     "output 'latent_parameters' dim 1 is 4, expected 8"),
    ("vae_encoder", None, {"block_out_channels": [8, 16, 16]}, "the VAE scales by 4, expected 8"),
])
def test_graphs_that_do_not_fit_are_refused_before_compiling(zoom, tmp_path, part, edit, config, needle):
    """Read from the ONNX files' declared shapes (and the VAE's config.json) up front: nothing is
    compiled or loaded (no "ready in"), one error line names the graph file."""
    d = _misfit_dir(tmp_path, part, edit, config)
    _expect_error(zoom, tmp_path, [], needle, model_dir=d)


def test_existing_output_is_never_overwritten(zoom, tmp_path):
    out = tmp_path / "busy"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    p = zoom("--model-dir", TINY, *BASE, "--out", str(out), check=False)
    assert p.returncode != 0 and "--out" in p.stderr and "not empty" in p.stderr
    assert os.listdir(out) == ["keep.txt"] and (out / "keep.txt").read_text() == "mine"
    p = zoom("--model-dir", TINY, *BASE, "--out", str(tmp_path / "fresh"), "--resume", check=False)
    assert p.returncode != 0 and "--resume" in p.stderr


def test_init_image_is_key_frame_zero(zoom, tmp_path):
    init = tmp_path / "init.png"
    rng = np.random.default_rng(3)
    Image.fromarray(rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)).save(init)
    out = tmp_path / "init-run"
    zoom("--model-dir", TINY, "--prompt", "a garden", "--steps", "1", "--size", str(SIZE), "--mask-width",
         str(MASK), "--outpaint-steps", "1", "--interp-frames", "2", "--init-image", str(init), "--seed", "3",
         "--out", str(out))
    assert np.array_equal(_png(out / "keyframe_0000.png"), _png(init))
    # Sparse painting: key frame 0 is the image, one key frame is diffused.
    meta = json.loads((out / "zoom.json").read_text())
    _check_predictions(meta, "host", unet_calls=1, text_runs=2, diffused=1)  # PNDM, 1 step: 1 call
    shrunk = np.asarray(Image.open(init).convert("RGB").resize((SIZE - 2 * MASK,) * 2))
    assert np.array_equal(_png(out / "keyframe_0001.png")[MASK:SIZE - MASK, MASK:SIZE - MASK], shrunk)


def test_init_image_is_resized_with_lanczos(zoom, tmp_path):
    """v8hid resizes a custom init image with LANCZOS (romac: resizeLanczos, Pillow's bit for bit)."""
    init = tmp_path / "init.png"
    rng = np.random.default_rng(4)
    Image.fromarray(rng.integers(0, 256, (80, 100, 3), dtype=np.uint8)).save(init)
    out = tmp_path / "lanczos-run"
    zoom("--model-dir", TINY, "--prompt", "a garden", "--steps", "1", "--size", str(SIZE), "--mask-width",
         str(MASK), "--outpaint-steps", "0", "--interp-frames", "2", "--init-image", str(init), "--seed", "3",
         "--out", str(out))
    want = np.asarray(Image.open(init).convert("RGB").resize((SIZE, SIZE), Image.LANCZOS))
    assert np.array_equal(_png(out / "keyframe_0000.png"), want)


def test_predictions_for_another_target(zoom, tmp_path):
    """--target T: the graphs are scheduled (and compiled) for T, zoom.json predicts T's energy and
    latency (the first run compiles the four tiny graphs for T, about a minute)."""
    out = tmp_path / "npu"
    zoom("--model-dir", TINY, "--prompt", "a garden", "--steps", "2", "--size", str(SIZE), "--mask-width",
         str(MASK), "--outpaint-steps", "1", "--interp-frames", "2", "--target", "edge-npu-lpddr4", "--seed", "3",
         "--out", str(out))
    meta = json.loads((out / "zoom.json").read_text())
    assert meta["parameters"]["target"] == "edge-npu-lpddr4"
    _check_predictions(meta, "edge-npu-lpddr4", unet_calls=2 + 1, text_runs=2, diffused=2)
