"""romac's C++ schedulers (lib/Zoom/Scheduler.cpp) against a torch reference of diffusers' formulas.

The reference below is written from diffusers' ``PNDMScheduler`` (skip_prk_steps: the PLMS
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
import math
import subprocess

import numpy as np
import pytest
import torch

from conftest import find_built
from romac.models import pipeline_files

# stabilityai/stable-diffusion-2-inpainting's scheduler/scheduler_config.json, as the model
# zoo writes it into SD2 exports.
SD2_CONFIG = pipeline_files.SCHEDULER_CONFIG
N_ELEMS = 16


# ----------------------------------------------------------------------------------------
# Reference (torch, float64), one function per scheduler: (timesteps, init_sigma, scales, samples)
# ----------------------------------------------------------------------------------------


def alphas_cumprod(cfg):
    T = cfg.get("num_train_timesteps", 1000)
    bs, be = cfg.get("beta_start", 0.0001), cfg.get("beta_end", 0.02)
    if cfg.get("beta_schedule", "linear") == "scaled_linear":
        betas = torch.linspace(bs**0.5, be**0.5, T, dtype=torch.float64) ** 2
    else:
        betas = torch.linspace(bs, be, T, dtype=torch.float64)
    return torch.cumprod(1.0 - betas, dim=0)


def model(x, t):
    i = torch.arange(N_ELEMS, dtype=torch.float64)
    return 0.3 * x + 0.1 * torch.sin(0.01 * float(t) + i)


def start(sigma):
    return torch.cos(0.5 * torch.arange(N_ELEMS, dtype=torch.float64)) * sigma


def int_timesteps(cfg, n, default):
    T, spacing = cfg.get("num_train_timesteps", 1000), cfg.get("timestep_spacing", default)
    if spacing == "leading":
        return list((np.arange(0, n) * (T // n)).round()[::-1].astype(np.int64) + cfg.get("steps_offset", 0))
    if spacing == "trailing":
        return list(np.round(np.arange(T, 0, -T / n)).astype(np.int64) - 1)
    return list(np.linspace(0, T - 1, n).round()[::-1].astype(np.int64))


def ref_pndm(cfg, n):
    ac = alphas_cumprod(cfg)
    final = 1.0 if cfg.get("set_alpha_to_one", True) else ac[0]
    T = cfg.get("num_train_timesteps", 1000)
    ratio = T // n
    _t = np.array(int_timesteps(cfg, n, "leading")[::-1])  # ascending
    plms = np.concatenate([_t[:-1], _t[-2:-1], _t[-1:]])[::-1].astype(np.int64)
    x, ets, cur, samples = start(1.0), [], None, []
    for counter, t in enumerate(plms):
        e = model(x, t)
        prev = t - ratio
        if counter != 1:
            ets = ets[-3:] + [e]
        else:
            prev, t = t, t + ratio
        if len(ets) == 1 and counter == 0:
            cur = x
        elif len(ets) == 1 and counter == 1:
            e, x, cur = (e + ets[-1]) / 2, cur, None
        elif len(ets) == 2:
            e = (3 * ets[-1] - ets[-2]) / 2
        elif len(ets) == 3:
            e = (23 * ets[-1] - 16 * ets[-2] + 5 * ets[-3]) / 12
        else:
            e = (55 * ets[-1] - 59 * ets[-2] + 37 * ets[-3] - 9 * ets[-4]) / 24
        a, ap = ac[t], (ac[prev] if prev >= 0 else final)
        denom = a * (1 - ap) ** 0.5 + (a * (1 - a) * ap) ** 0.5
        x = (ap / a) ** 0.5 * x - (ap - a) * e / denom
        samples.append(x)
    return [int(t) for t in plms], 1.0, [1.0] * len(plms), samples


def ref_ddim(cfg, n):
    ac = alphas_cumprod(cfg)
    final = 1.0 if cfg.get("set_alpha_to_one", True) else ac[0]
    ts = int_timesteps(cfg, n, "leading")
    x, samples = start(1.0), []
    for t in ts:
        e = model(x, t)
        prev = t - cfg.get("num_train_timesteps", 1000) // n
        a, ap = ac[t], (ac[prev] if prev >= 0 else final)
        x0 = (x - (1 - a) ** 0.5 * e) / a**0.5
        if cfg.get("clip_sample", True):
            r = cfg.get("clip_sample_range", 1.0)
            x0 = x0.clamp(-r, r)
        x = ap**0.5 * x0 + (1 - ap) ** 0.5 * e
        samples.append(x)
    return [int(t) for t in ts], 1.0, [1.0] * len(ts), samples


def ref_dpm(cfg, n):
    ac = alphas_cumprod(cfg)
    T = cfg.get("num_train_timesteps", 1000)
    if cfg.get("timestep_spacing", "linspace") == "linspace":
        ts = list(np.linspace(0, T - 1, n + 1).round()[::-1][:-1].astype(np.int64))
    else:
        ts = int_timesteps(cfg, n, "linspace")
    sig = [float(((1 - ac[t]) / ac[t]) ** 0.5) for t in ts]
    zero = cfg.get("final_sigmas_type", "zero") == "zero"
    sig.append(0.0 if zero else float(((1 - ac[0]) / ac[0]) ** 0.5))
    order, lof = cfg.get("solver_order", 2), cfg.get("lower_order_final", True)

    def alpha_sigma(s):
        a = 1.0 / math.sqrt(s * s + 1)
        return a, s * a

    def lam(s):
        a, sg = alpha_sigma(s)
        return math.log(a) - math.log(sg)

    x, outs, lower, samples = start(1.0), [], 0, []
    for i, t in enumerate(ts):
        e = model(x, t)
        a_s, s_s = alpha_sigma(sig[i])
        x0 = (x - s_s * e) / a_s
        outs = (outs + [x0])[-2:]
        last = i == len(ts) - 1
        first_order = order == 1 or lower < 1 or (last and ((lof and len(ts) < 15) or zero))
        if sig[i + 1] == 0.0:
            x = x0  # alpha_t = 1, sigma_t = 0, exp(-h) = 0
        else:
            a_t, s_t = alpha_sigma(sig[i + 1])
            h = lam(sig[i + 1]) - lam(sig[i])
            if first_order:
                x = (s_t / s_s) * x - (a_t * (math.exp(-h) - 1.0)) * x0
            else:
                r0 = (lam(sig[i]) - lam(sig[i - 1])) / h
                d0, d1 = outs[-1], (1.0 / r0) * (outs[-1] - outs[-2])
                x = (s_t / s_s) * x - (a_t * (math.exp(-h) - 1.0)) * d0 - 0.5 * (a_t * (math.exp(-h) - 1.0)) * d1
        lower = min(lower + 1, order)
        samples.append(x)
    return [int(t) for t in ts], 1.0, [1.0] * len(ts), samples


def ref_euler_a(cfg, n):
    ac = alphas_cumprod(cfg).numpy()
    T = cfg.get("num_train_timesteps", 1000)
    spacing = cfg.get("timestep_spacing", "linspace")
    if spacing == "linspace":
        ts = np.linspace(0, T - 1, n, dtype=np.float32)[::-1].copy()
    else:
        ts = np.array(int_timesteps(cfg, n, "linspace"), dtype=np.float32)
    sig = np.interp(ts, np.arange(T), ((1 - ac) / ac) ** 0.5)
    sig = list(sig) + [0.0]
    init = max(sig) if spacing in ("linspace", "trailing") else (max(sig) ** 2 + 1) ** 0.5
    x, samples, scales = start(init), [], []
    idx = torch.arange(N_ELEMS, dtype=torch.float64)
    for k, t in enumerate(ts):
        scale = 1.0 / (sig[k] ** 2 + 1) ** 0.5
        e = model(x * scale, t)
        s_from, s_to = sig[k], sig[k + 1]
        x0 = x - s_from * e
        up = (s_to**2 * (s_from**2 - s_to**2) / s_from**2) ** 0.5
        down = (s_to**2 - up**2) ** 0.5
        x = x + (x - x0) / s_from * (down - s_from) + torch.sin(1.7 * k + 0.3 * idx) * up
        samples.append(x)
        scales.append(scale)
    return [float(t) for t in ts], init, scales, samples


REFERENCES = {"pndm": ref_pndm, "ddim": ref_ddim, "dpm-solver++": ref_dpm, "euler-a": ref_euler_a}


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
    ts, init, scales, samples = REFERENCES[kind](cfg, n)
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
