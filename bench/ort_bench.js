#!/usr/bin/env node
// ort_bench.js - time one ONNX model on onnxruntime (npm onnxruntime-node), the
// other half of bench/run_bench.sh.
//
//   NODE_PATH=BUILD/bench-npm/node_modules node bench/ort_bench.js MODEL.onnx
//       [--input NAME=FILE.npy]... [--threads N] [--warmup N] [--runs N]
//       [--output-dir DIR]
//
// Loads MODEL.onnx into an InferenceSession (intraOpNumThreads = --threads,
// one inter-op thread, sequential execution, all graph optimisations), feeds
// the .npy inputs, runs --warmup untimed runs, then --runs timed runs, and
// prints on stdout:
//   ort: MODEL: loaded in X s; ran N time(s): median X ms (min X, max X)
// With --output-dir, writes every output of the last run as NAME.npy.
// Errors: one line "ort_bench: error: ..." on stderr, exit status 1.

'use strict';

const fs = require('fs');
const path = require('path');
const { loadOnnxruntime, sessionOptions } =
    require(path.join(__dirname, 'ort_session.js'));

function fail(message) {
  process.stderr.write(`ort_bench: error: ${message}\n`);
  process.exit(1);
}

/// The .npy element types the bench reads and writes: descr -> [ORT type, array].
const NPY_TYPES = {
  '<f4': ['float32', Float32Array],
  '<f8': ['float64', Float64Array],
  '<i4': ['int32', Int32Array],
  '<i8': ['int64', BigInt64Array],
  '|u1': ['uint8', Uint8Array],
  '|i1': ['int8', Int8Array],
  '|b1': ['bool', Uint8Array],
};

/// Reads a little-endian, C-order .npy file (format 1.0, 2.0 or 3.0).
function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (buf.length < 10 || buf.toString('latin1', 0, 6) !== '\x93NUMPY')
    fail(`${file}: not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header);
  const fortran = /'fortran_order':\s*(True|False)/.exec(header);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shape)
    fail(`${file}: unreadable .npy header`);
  if (fortran[1] === 'True')
    fail(`${file}: Fortran-order arrays are not supported`);
  const type = NPY_TYPES[descr[1]];
  if (!type)
    fail(`${file}: element type ${descr[1]} is not supported`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter((s) => s)
                   .map(Number);
  const count = dims.reduce((a, b) => a * b, 1);
  const [ortType, ArrayType] = type;
  const offset = start + headerLen;
  if (buf.length - offset !== count * ArrayType.BYTES_PER_ELEMENT)
    fail(`${file}: ${buf.length - offset} data bytes, expected ` +
         `${count * ArrayType.BYTES_PER_ELEMENT} for shape (${dims})`);
  // Copy into a fresh, aligned buffer: typed arrays need an aligned offset.
  const data = new ArrayType(count);
  Buffer.from(data.buffer).set(buf.subarray(offset));
  return {ortType, data, dims};
}

/// Writes a tensor as a .npy file (format 1.0).
function writeNpy(file, tensor) {
  const descr = Object.keys(NPY_TYPES).find(
      (k) => NPY_TYPES[k][0] === tensor.type);
  if (!descr)
    fail(`cannot write an output of type ${tensor.type} as .npy`);
  const dims = tensor.dims.join(', ') + (tensor.dims.length === 1 ? ',' : '');
  let header = `{'descr': '${descr}', 'fortran_order': False, ` +
               `'shape': (${dims}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const prefix = Buffer.alloc(10);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  const data = Buffer.from(tensor.data.buffer, tensor.data.byteOffset,
                           tensor.data.byteLength);
  fs.writeFileSync(file, Buffer.concat([prefix, Buffer.from(header), data]));
}

function parseArgs(argv) {
  const args = {inputs: [], threads: 2, warmup: 2, runs: 5, outputDir: null};
  const int = (flag, value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0)
      fail(`${flag} needs a non-negative integer, got '${value}'`);
    return n;
  };
  for (let i = 0; i < argv.length; ++i) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length)
        fail(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--input') {
      const v = value();
      const eq = v.indexOf('=');
      if (eq <= 0)
        fail(`--input needs NAME=FILE.npy, got '${v}'`);
      args.inputs.push([v.slice(0, eq), v.slice(eq + 1)]);
    } else if (a === '--threads') {
      args.threads = int(a, value());
    } else if (a === '--warmup') {
      args.warmup = int(a, value());
    } else if (a === '--runs') {
      args.runs = int(a, value());
    } else if (a === '--output-dir') {
      args.outputDir = value();
    } else if (a === '-h' || a === '--help') {
      process.stdout.write(fs.readFileSync(__filename, 'utf8')
                               .split('\n').slice(1, 16)
                               .map((l) => l.replace(/^\/\/ ?/, ''))
                               .join('\n') + '\n');
      process.exit(0);
    } else if (a.startsWith('-')) {
      fail(`unknown option ${a}`);
    } else if (!args.model) {
      args.model = a;
    } else {
      fail(`unexpected argument '${a}'`);
    }
  }
  if (!args.model)
    fail('no model given (ort_bench.js MODEL.onnx [--input NAME=FILE]...)');
  if (args.runs < 1 || args.threads < 1)
    fail('--runs and --threads must be at least 1');
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const ort = loadOnnxruntime(fail);
  const feeds = {};
  for (const [name, file] of args.inputs) {
    const {ortType, data, dims} = readNpy(file);
    feeds[name] = new ort.Tensor(ortType, data, dims);
  }
  const t0 = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(
      args.model, sessionOptions(args.threads));
  const loadSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  for (const name of session.inputNames)
    if (!(name in feeds))
      fail(`${args.model}: input '${name}' not given (inputs: ` +
           `${session.inputNames.join(', ')})`);
  let results;
  for (let i = 0; i < args.warmup; ++i)
    results = await session.run(feeds);
  const times = [];
  for (let i = 0; i < args.runs; ++i) {
    const start = process.hrtime.bigint();
    results = await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted.length % 2
      ? sorted[(sorted.length - 1) / 2]
      : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  process.stdout.write(
      `ort: ${args.model}: loaded in ${loadSeconds.toFixed(2)} s; ran ` +
      `${times.length} time(s): median ${median.toFixed(2)} ms (min ` +
      `${sorted[0].toFixed(2)}, max ${sorted[sorted.length - 1].toFixed(2)})` +
      ` after ${args.warmup} warm-up(s), ${args.threads} thread(s)\n`);
  if (args.outputDir) {
    fs.mkdirSync(args.outputDir, {recursive: true});
    for (const name of session.outputNames)
      writeNpy(path.join(args.outputDir,
                         name.replace(/[^A-Za-z0-9._-]/g, '_') + '.npy'),
               results[name]);
  }
}

main().catch((e) => fail(e.message.split('\n')[0]));
