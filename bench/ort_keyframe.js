#!/usr/bin/env node
// ort_keyframe.js - one SD2-inpainting key frame driven by onnxruntime
// (npm onnxruntime-node): the peer of `romac zoom` in bench/zoom_bench.sh.
//
//   NODE_PATH=BUILD/bench-npm/node_modules node bench/ort_keyframe.js MODEL_DIR
//       [--size 512] [--steps 50] [--guidance 7.5] [--threads 2]
//
// MODEL_DIR has the layout of `optimum-cli export onnx --task inpainting`
// (text_encoder/, unet/, vae_encoder/, vae_decoder/, scheduler/). The
// pipeline is romac zoom's key frame 0 without --init-image (docs/zoom.md):
// the text encoder for the prompt and for the negative prompt, the VAE
// encoder on the masked canvas, PNDM (PLMS, skip_prk_steps: steps + 1 UNet
// calls at batch 2, classifier-free guidance), the VAE decoder. The token ids
// are fixed (tokenizing costs nothing next to the graphs) and the noise is a
// seeded normal stream; the times do not depend on the values. Prints one
// line with the seconds of each stage and their total (load: the sessions'
// creation, not in the total):
//   ort_keyframe: load=X text=X vae_encode=X unet=X vae_decode=X total=X unet_calls=N
// Errors: one line "ort_keyframe: error: ..." on stderr, exit status 1.

'use strict';

const fs = require('fs');
const path = require('path');
const { loadOnnxruntime, sessionOptions } =
    require(path.join(__dirname, 'ort_session.js'));

function fail(message) {
  process.stderr.write(`ort_keyframe: error: ${message}\n`);
  process.exit(1);
}

function parseArgs(argv) {
  const args = { size: 512, steps: 50, guidance: 7.5, threads: 2 };
  const rest = [];
  for (let i = 0; i < argv.length; ++i) {
    const flag = argv[i];
    if (!flag.startsWith('--')) {
      rest.push(flag);
      continue;
    }
    const key = flag.slice(2);
    if (!(key in args)) fail(`unknown option ${flag}`);
    const value = Number(argv[++i]);
    if (!Number.isFinite(value) || value <= 0) fail(`${flag} needs a positive number`);
    args[key] = value;
  }
  if (rest.length !== 1) fail('usage: ort_keyframe.js MODEL_DIR [--size S] [--steps N] [--guidance G] [--threads T]');
  if (args.size % 8 !== 0) fail(`--size ${args.size} is not a multiple of 8`);
  args.modelDir = rest[0];
  return args;
}

/// A standard normal stream (SplitMix64 + Box-Muller), seeded.
function makeNormal(seed) {
  let state = BigInt(seed);
  const mask = (1n << 64n) - 1n;
  const next = () => {
    state = (state + 0x9e3779b97f4a7c15n) & mask;
    let z = state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & mask;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & mask;
    z ^= z >> 31n;
    return (Number(z >> 11n) + 0.5) / 2 ** 53;
  };
  return () => Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
}

/// diffusers' PNDMScheduler with skip_prk_steps (PLMS), epsilon prediction,
/// from scheduler_config.json.
function makePndm(config, steps) {
  const train = config.num_train_timesteps || 1000;
  if (config.beta_schedule !== 'scaled_linear') fail(`beta_schedule ${config.beta_schedule} is not scaled_linear`);
  if (!config.skip_prk_steps) fail('only skip_prk_steps (PLMS) is benchmarked');
  const alphasCumprod = new Float64Array(train);
  let product = 1;
  const lo = Math.sqrt(config.beta_start), hi = Math.sqrt(config.beta_end);
  for (let t = 0; t < train; ++t) {
    const beta = (lo + ((hi - lo) * t) / (train - 1)) ** 2;
    product *= 1 - beta;
    alphasCumprod[t] = product;
  }
  const finalAlpha = config.set_alpha_to_one ? 1 : alphasCumprod[0];
  const ratio = Math.floor(train / steps);
  const base = [];
  for (let i = 0; i < steps; ++i) base.push(i * ratio + (config.steps_offset || 0));
  // [..., t_{N-2}, t_{N-2}, t_{N-1}] reversed: N + 1 calls.
  const timesteps = base.slice(0, -1).concat(base.slice(-2, -1), base.slice(-1)).reverse();
  const ets = [];
  let counter = 0, curSample = null;
  const step = (eps, t, sample) => {
    let prevT = t - ratio;
    if (counter !== 1) {
      ets.push(eps);
      if (ets.length > 4) ets.shift();
    } else {
      prevT = t;
      t = t + ratio;
    }
    const n = sample.length, e = new Float32Array(n);
    const k = ets.length;
    if (k === 1 && counter === 0) {
      e.set(eps);
      curSample = sample;
    } else if (k === 1 && counter === 1) {
      for (let i = 0; i < n; ++i) e[i] = (eps[i] + ets[k - 1][i]) / 2;
      sample = curSample;
      curSample = null;
    } else if (k === 2) {
      for (let i = 0; i < n; ++i) e[i] = (3 * ets[1][i] - ets[0][i]) / 2;
    } else if (k === 3) {
      for (let i = 0; i < n; ++i) e[i] = (23 * ets[2][i] - 16 * ets[1][i] + 5 * ets[0][i]) / 12;
    } else {
      for (let i = 0; i < n; ++i)
        e[i] = (55 * ets[3][i] - 59 * ets[2][i] + 37 * ets[1][i] - 9 * ets[0][i]) / 24;
    }
    const a = alphasCumprod[t], aPrev = prevT >= 0 ? alphasCumprod[prevT] : finalAlpha;
    const sampleCoeff = Math.sqrt(aPrev / a);
    const denom = a * Math.sqrt(1 - aPrev) + Math.sqrt(a * (1 - a) * aPrev);
    const out = new Float32Array(n);
    for (let i = 0; i < n; ++i) out[i] = sampleCoeff * sample[i] - ((aPrev - a) * e[i]) / denom;
    ++counter;
    return out;
  };
  return { timesteps, step };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const ort = loadOnnxruntime(fail);
  const graph = (name) => {
    const file = path.join(args.modelDir, name, 'model.onnx');
    if (!fs.existsSync(file)) fail(`${file}: no such file`);
    return file;
  };
  let config;
  const configFile = path.join(args.modelDir, 'scheduler', 'scheduler_config.json');
  try {
    config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
  } catch (e) {
    fail(`${configFile}: ${e.message}`);
  }
  const options = sessionOptions(args.threads);
  const seconds = {};
  const time = async (stage, fn) => {
    const start = process.hrtime.bigint();
    const result = await fn();
    seconds[stage] = (seconds[stage] || 0) + Number(process.hrtime.bigint() - start) / 1e9;
    return result;
  };
  const sessions = await time('load', async () => {
    const s = {};
    for (const name of ['text_encoder', 'unet', 'vae_encoder', 'vae_decoder'])
      s[name] = await ort.InferenceSession.create(graph(name), options);
    return s;
  });
  const S = args.size, L = S / 8, latent = 4 * L * L;

  // The text encoder: the prompt and the negative prompt (BOS, a few
  // tokens, EOS padding to 77).
  const tokens = (ids) => {
    const t = new BigInt64Array(77).fill(49407n);
    ids.forEach((id, i) => { t[i] = BigInt(id); });
    return new ort.Tensor('int64', t, [1, 77]);
  };
  const embed = async (ids) => {
    const out = await sessions.text_encoder.run({ input_ids: tokens(ids) });
    return out.last_hidden_state.data;
  };
  const [cond, uncond] = await time('text', async () => [
    await embed([49406, 320, 1929, 539, 320, 2445, 49407]),
    await embed([49406, 49407]),
  ]);
  const width = cond.length / 77;
  const hidden = new Float32Array(2 * 77 * width);
  hidden.set(uncond, 0);
  hidden.set(cond, 77 * width);

  // Key frame 0 from a black canvas, all of it repainted: the masked image
  // is zero, the latent mask one.
  const encoded = await time('vae_encode', async () =>
    (await sessions.vae_encoder.run({
      sample: new ort.Tensor('float32', new Float32Array(3 * S * S), [1, 3, S, S]),
    })).latent_parameters.data);
  const maskedLatents = new Float32Array(latent);
  for (let i = 0; i < latent; ++i) maskedLatents[i] = encoded[i] * 0.18215;

  const pndm = makePndm(config, args.steps);
  const normal = makeNormal(0);
  let latents = new Float32Array(latent);
  for (let i = 0; i < latent; ++i) latents[i] = normal();
  const channels = 9 * L * L, plane = L * L;
  await time('unet', async () => {
    for (const t of pndm.timesteps) {
      const sample = new Float32Array(2 * channels);
      for (let b = 0; b < 2; ++b) {
        sample.set(latents, b * channels);
        sample.fill(1, b * channels + 4 * plane, b * channels + 5 * plane);
        sample.set(maskedLatents, b * channels + 5 * plane);
      }
      const out = (await sessions.unet.run({
        sample: new ort.Tensor('float32', sample, [2, 9, L, L]),
        timestep: new ort.Tensor('float32', new Float32Array([t]), []),
        encoder_hidden_states: new ort.Tensor('float32', hidden, [2, 77, width]),
      })).out_sample.data;
      const eps = new Float32Array(latent);
      for (let i = 0; i < latent; ++i)
        eps[i] = out[i] + args.guidance * (out[latent + i] - out[i]);
      latents = pndm.step(eps, t, latents);
    }
  });
  await time('vae_decode', async () => {
    const z = new Float32Array(latent);
    for (let i = 0; i < latent; ++i) z[i] = latents[i] / 0.18215;
    await sessions.vae_decoder.run({
      latent_sample: new ort.Tensor('float32', z, [1, 4, L, L]),
    });
  });
  const total = seconds.text + seconds.vae_encode + seconds.unet + seconds.vae_decode;
  const f = (x) => x.toFixed(2);
  process.stdout.write(
    `ort_keyframe: load=${f(seconds.load)} text=${f(seconds.text)} ` +
    `vae_encode=${f(seconds.vae_encode)} unet=${f(seconds.unet)} ` +
    `vae_decode=${f(seconds.vae_decode)} total=${f(total)} ` +
    `unet_calls=${pndm.timesteps.length}\n`);
}

main().catch((e) => fail(e.message));
