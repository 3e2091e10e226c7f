"""torch float64 references of the diffusers schedulers ``romac zoom`` implements (lib/Zoom/Scheduler.cpp).

Written from diffusers' ``PNDMScheduler`` (skip_prk_steps: the PLMS steps),
``DDIMScheduler`` (eta 0), ``DPMSolverMultistepScheduler`` (dpmsolver++, order 2,
midpoint) and ``EulerAncestralDiscreteScheduler``, in float64 (diffusers keeps its tables
in float32; romac computes in double). Each ``ref_*(cfg, n, model, start, noise)`` runs
``n`` steps of the scheduler configured by ``cfg`` (a scheduler_config.json as a dict):

* ``model(x, t)`` is the model's epsilon for the (already ``scale_model_input``-scaled)
  sample ``x`` (a float64 torch tensor) at timestep ``t``;
* ``start(init_noise_sigma)`` is the initial sample;
* ``noise(k)`` is Euler-ancestral's standard normal noise of step ``k`` (the others ignore it).

Each returns ``(timesteps, init_noise_sigma, scales, samples)``: the model calls'
timesteps, the initial sigma, the input scale of each call and the sample after each call.
Shared by ``python/tests/test_zoom_scheduler.py`` (a closed-form model) and the
whole-pipeline reference ``romac.zoom_reference`` (the tiny UNet).
"""

import math

import numpy as np
import torch


def alphas_cumprod(cfg):
    T = cfg.get("num_train_timesteps", 1000)
    bs, be = cfg.get("beta_start", 0.0001), cfg.get("beta_end", 0.02)
    if cfg.get("beta_schedule", "linear") == "scaled_linear":
        betas = torch.linspace(bs**0.5, be**0.5, T, dtype=torch.float64) ** 2
    else:
        betas = torch.linspace(bs, be, T, dtype=torch.float64)
    return torch.cumprod(1.0 - betas, dim=0)


def int_timesteps(cfg, n, default):
    T, spacing = cfg.get("num_train_timesteps", 1000), cfg.get("timestep_spacing", default)
    if spacing == "leading":
        return list((np.arange(0, n) * (T // n)).round()[::-1].astype(np.int64) + cfg.get("steps_offset", 0))
    if spacing == "trailing":
        return list(np.round(np.arange(T, 0, -T / n)).astype(np.int64) - 1)
    return list(np.linspace(0, T - 1, n).round()[::-1].astype(np.int64))


def ref_pndm(cfg, n, model, start, noise=None):
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


def ref_ddim(cfg, n, model, start, noise=None):
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


def ref_dpm(cfg, n, model, start, noise=None):
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


def ref_euler_a(cfg, n, model, start, noise):
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
    for k, t in enumerate(ts):
        scale = 1.0 / (sig[k] ** 2 + 1) ** 0.5
        e = model(x * scale, t)
        s_from, s_to = sig[k], sig[k + 1]
        x0 = x - s_from * e
        up = (s_to**2 * (s_from**2 - s_to**2) / s_from**2) ** 0.5
        down = (s_to**2 - up**2) ** 0.5
        x = x + (x - x0) / s_from * (down - s_from) + noise(k) * up
        samples.append(x)
        scales.append(scale)
    return [float(t) for t in ts], init, scales, samples


REFERENCES = {"pndm": ref_pndm, "ddim": ref_ddim, "dpm-solver++": ref_dpm, "euler-a": ref_euler_a}
