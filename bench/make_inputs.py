#!/usr/bin/env python3
"""make_inputs.py - the input tensors of one bench graph, and the comparison of the outputs.

Used by ``bench/run_bench.sh`` so that romac and onnxruntime see the same bytes.

    make_inputs.py inputs GRAPH MODEL.onnx OUT_DIR [--seed S]
        Writes every graph input of MODEL.onnx as OUT_DIR/NAME.npy (names outside
        [A-Za-z0-9._-] become '_') and prints one line ``NAME=PATH`` per input. The free
        dims of the model's inputs are bound from the graph's shape table (``GRAPHS``);
        the values are valid for the input: token ids in [0, vocab) for the text
        encoder, a diffusion timestep for the UNet, normal latents and hidden states,
        images in [-1, 1].

    make_inputs.py compare ROMAC_DIR ORT_DIR
        Compares every ORT_DIR/NAME.npy with ROMAC_DIR/NAME.npy and prints one line:
        the largest ``max |romac - ort| / max |ort|`` over the outputs, and the output
        it came from (``-`` and exit status 1 when a file is missing or a shape differs).

Only numpy and onnx (without loading external data) are needed.
"""

import argparse
import json
import os
import re
import sys

import numpy as np

#: Free dims of each bench graph (the SD2 exports of ``make models-full`` have symbolic
#: batch, image and sequence dims; the CNNs are fixed at 1x3x224x224).
GRAPHS = {
    "unet": {"batch_size": 2, "height": 64, "width": 64, "sequence_length": 77},
    "vae_decoder": {"batch_size": 1, "height_latent": 64, "width_latent": 64},
    "vae_encoder": {"batch_size": 1, "height": 512, "width": 512},
    "text_encoder": {"batch_size": 1, "sequence_length": 77},
    "alexnet": {"batch_size": 1},
    "vgg16": {"batch_size": 1},
    "mobilenet_v2": {"batch_size": 1},
}

#: ONNX TensorProto element types the bench can fill.
DTYPES = {1: np.float32, 6: np.int32, 7: np.int64, 11: np.float64}

CLIP_VOCAB = 49408  # SD2's CLIP text encoder; config.json's vocab_size wins when present


def vocab_size(model_path):
    config = os.path.join(os.path.dirname(model_path), "config.json")
    try:
        with open(config) as f:
            return int(json.load(f).get("vocab_size", CLIP_VOCAB))
    except (OSError, ValueError):
        return CLIP_VOCAB


def fill(name, dtype, shape, rng, model_path):
    """Valid values for the input called ``name``."""
    if name == "input_ids" or np.issubdtype(dtype, np.integer):
        vocab = vocab_size(model_path)
        ids = rng.integers(0, vocab, size=shape, dtype=np.int64)
        if ids.ndim == 2 and ids.shape[1] >= 2:  # BOS first, EOS (the largest id) last
            ids[:, 0], ids[:, -1] = vocab - 2, vocab - 1
        return ids.astype(dtype)
    if name == "timestep":
        return np.full(shape, 981.0, dtype=dtype)  # a typical first step of 50 (PNDM)
    if len(shape) == 4 and shape[1] == 3:  # an image
        return rng.uniform(-1.0, 1.0, size=shape).astype(dtype)
    return rng.standard_normal(size=shape).astype(dtype)  # latents, hidden states


def file_name(name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", name) + ".npy"


def make_inputs(graph, model_path, out_dir, seed):
    import onnx

    dims = GRAPHS.get(graph)
    if dims is None:
        sys.exit(f"make_inputs.py: error: unknown graph '{graph}' (known: {', '.join(GRAPHS)})")
    model = onnx.load(model_path, load_external_data=False)
    initializers = {t.name for t in model.graph.initializer}
    rng = np.random.default_rng(seed)
    os.makedirs(out_dir, exist_ok=True)
    for value in model.graph.input:
        if value.name in initializers:
            continue
        ttype = value.type.tensor_type
        dtype = DTYPES.get(ttype.elem_type)
        if dtype is None:
            sys.exit(f"make_inputs.py: error: {model_path}: input '{value.name}' has element "
                     f"type {ttype.elem_type}, which the bench cannot fill")  # fmt: skip
        shape = []
        for d in ttype.shape.dim:
            if d.HasField("dim_value"):
                shape.append(d.dim_value)
            elif d.dim_param in dims:
                shape.append(dims[d.dim_param])
            else:
                sys.exit(f"make_inputs.py: error: {model_path}: input '{value.name}' has the "
                         f"free dim '{d.dim_param}', not in the shape table of '{graph}'")  # fmt: skip
        path = os.path.join(out_dir, file_name(value.name))
        np.save(path, fill(value.name, dtype, tuple(shape), rng, model_path))
        print(f"{value.name}={os.path.abspath(path)}")


def compare(romac_dir, ort_dir):
    worst, where = 0.0, "-"
    names = sorted(n for n in os.listdir(ort_dir) if n.endswith(".npy"))
    if not names:
        print("- (no onnxruntime outputs)")
        return 1
    for name in names:
        ours = os.path.join(romac_dir, name)
        if not os.path.exists(ours):
            print(f"- (romac wrote no {name})")
            return 1
        got, ref = np.load(ours), np.load(os.path.join(ort_dir, name))
        if got.shape != ref.shape:
            print(f"- ({name}: romac {got.shape}, onnxruntime {ref.shape})")
            return 1
        scale = float(np.abs(ref).max()) or 1.0
        err = float(np.abs(got.astype(np.float64) - ref.astype(np.float64)).max()) / scale
        if err >= worst:
            worst, where = err, name[: -len(".npy")]
    print(f"{worst:.2e} {where}")
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    i = sub.add_parser("inputs", help="write the inputs of GRAPH as .npy")
    i.add_argument("graph")
    i.add_argument("model")
    i.add_argument("out_dir")
    i.add_argument("--seed", type=int, default=0)
    c = sub.add_parser("compare", help="largest relative difference of the outputs")
    c.add_argument("romac_dir")
    c.add_argument("ort_dir")
    args = p.parse_args()
    if args.cmd == "inputs":
        make_inputs(args.graph, args.model, args.out_dir, args.seed)
        return 0
    return compare(args.romac_dir, args.ort_dir)


if __name__ == "__main__":
    sys.exit(main())
