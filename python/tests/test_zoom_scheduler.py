"""romac's C++ schedulers (lib/Zoom/Scheduler.cpp) against a torch reference of diffusers' formulas.

The reference (``romac.scheduler_reference``, shared with the whole-pipeline reference
``romac.zoom_reference``) is written from diffusers' ``PNDMScheduler`` (skip_prk_steps: the PLMS
steps), ``DDIMScheduler`` (eta 0), ``DPMSolverMultistepScheduler`` (dpmsolver++, order 2,
midpoint) and ``EulerAncestralDiscreteScheduler``, in float64 (diffusers keeps its tables in
float32; romac computes in double). Each scheduler runs a closed-form "model" that is linear
in the sample, eps(x, t)[i] = 0.3 x[i] + 0.1 sin(0.01 t + i), from x0[i] = cos(0.5 i) *
init_noise_sigma, Euler's noise of call k being sin(1.7 k + 0.3 i); the C++ side is
``romac-zoom-tool schedule``. Timesteps must be equal and every sample of the trajectory
within 1e-6 relative (of the trajectory's scale). Known answers from the published formulas
anchor the timesteps (PNDM, 50 steps: 981, 961, 961, 941, ..., 21, 1, i.e. 51 model calls).
"""

import json
import subprocess

import numpy as np
import pytest
import torch

from conftest import find_built
from romac import scheduler_reference
from romac.models import pipeline_files

# stabilityai/stable-diffusion-2-inpainting's scheduler/scheduler_config.json, as the model
# zoo writes it into SD2 exports.
SD2_CONFIG = pipeline_files.SCHEDULER_CONFIG
N_ELEMS = 16


# ----------------------------------------------------------------------------------------
# The closed-form model the references (romac.scheduler_reference) and the C++ side run
# ----------------------------------------------------------------------------------------


def model(x, t):
    i = torch.arange(N_ELEMS, dtype=torch.float64)
    return 0.3 * x + 0.1 * torch.sin(0.01 * float(t) + i)


def start(sigma):
    return torch.cos(0.5 * torch.arange(N_ELEMS, dtype=torch.float64)) * sigma


def euler_noise(k):
    return torch.sin(1.7 * k + 0.3 * torch.arange(N_ELEMS, dtype=torch.float64))


def reference(kind, cfg, n):
    return scheduler_reference.REFERENCES[kind](cfg, n, model, start, euler_noise)


REFERENCES = scheduler_reference.REFERENCES


# ----------------------------------------------------------------------------------------
# Tests
# ----------------------------------------------------------------------------------------


def _tool():
    return find_built("unittests/romac-zoom-tool", "romac-zoom-tool")


def cpp_schedule(kind, n, cfg, tmp_path):
    path = tmp_path / "scheduler_config.json"
    path.write_text(json.dumps(cfg))
    p = subprocess.run([_tool(), "schedule", kind, str(n), str(path)], capture_output=True, text=True, timeout=60)
    return p


VARIANTS = {
    "sd2": {},
    "trailing": {"timestep_spacing": "trailing"},
    "linear-alpha1": {"beta_schedule": "linear", "beta_start": 0.0001, "beta_end": 0.02, "set_alpha_to_one": True},
    "sigma_min-order1": {"final_sigmas_type": "sigma_min", "solver_order": 1},
    "sigma_min": {"final_sigmas_type": "sigma_min"},
    "leading": {"timestep_spacing": "leading"},
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("n", [1, 4, 10, 20, 50])
@pytest.mark.parametrize("kind", sorted(REFERENCES))
def test_trajectory_matches_reference(kind, n, variant, tmp_path):
    if n == 1 and kind == "euler-a" and variant in ("sd2", "sigma_min", "sigma_min-order1", "linear-alpha1"):
        pytest.skip("linspace with one step gives timestep 0 and sigma 0 / 0 in diffusers too")
    cfg = dict(SD2_CONFIG, **VARIANTS[variant])
    p = cpp_schedule(kind, n, cfg, tmp_path)
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout)
    ts, init, scales, samples = reference(kind, cfg, n)
    assert got["timesteps"] == pytest.approx(ts, abs=0)
    assert got["init_noise_sigma"] == pytest.approx(init, rel=1e-12)
    assert got["scales"] == pytest.approx(scales, rel=1e-12)
    want = torch.stack(samples).numpy()
    have = np.array(got["samples"])
    assert have.shape == want.shape
    scale = max(1.0, np.abs(want).max())
    assert np.abs(have - want).max() <= 1e-6 * scale, np.abs(have - want).max()


def test_known_timesteps(tmp_path):
    p = cpp_schedule("pndm", 50, SD2_CONFIG, tmp_path)
    ts = json.loads(p.stdout)["timesteps"]
    assert ts[:4] == [981, 961, 961, 941] and ts[-2:] == [21, 1] and len(ts) == 51
    assert ts == [981] + list(range(961, 0, -20))[:1] + list(range(961, 0, -20))
    ddim = json.loads(cpp_schedule("ddim", 50, SD2_CONFIG, tmp_path).stdout)["timesteps"]
    assert ddim == list(range(981, 0, -20))
    dpm = json.loads(cpp_schedule("dpm-solver++", 10, SD2_CONFIG, tmp_path).stdout)["timesteps"]
    assert dpm == [999, 899, 799, 699, 599, 500, 400, 300, 200, 100]  # round(linspace(0, 999, 11))[::-1][:-1]
    ea = json.loads(cpp_schedule("euler-a", 4, SD2_CONFIG, tmp_path).stdout)["timesteps"]
    assert ea == [999, 666, 333, 0]


@pytest.mark.parametrize(
    "text,message",
    [
        ("{", "is not valid JSON"),
        ('{"beta_schedule": "cosine"}', '"beta_schedule" must be one of linear, scaled_linear'),
        ('{"skip_prk_steps": false}', '"skip_prk_steps" must be true'),
        ('{"steps_offset": "one"}', '"steps_offset" must be a non-negative integer'),
        ('{"prediction_type": "v_prediction"}', '"prediction_type" must be one of epsilon'),
        ("[1]", "must hold a JSON object"),
    ],
)
def test_bad_config_is_one_clear_error(text, message, tmp_path):
    path = tmp_path / "scheduler_config.json"
    path.write_text(text)
    p = subprocess.run([_tool(), "schedule", "pndm", "10", str(path)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 1
    lines = p.stderr.strip().split("\n")
    assert len(lines) == 1 and str(path) in lines[0] and message in lines[0], p.stderr
