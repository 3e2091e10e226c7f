"""Writes a model whose weight lives in an external-data file, and its data.

Usage: external_data_model.py DIR SEED
DIR/model.onnx computes y = x @ w + 1 (x: float32[4, 128], w: float32[128,
128] in DIR/weights.bin, 64 KiB, so the importer memory-maps it); DIR/x.npy
is an input and DIR/ref/y.npy the expected output. SEED picks w (x is
fixed), so a second call with another seed changes only the data file.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out, seed = sys.argv[1], int(sys.argv[2])
os.makedirs(os.path.join(out, "ref"), exist_ok=True)
w = np.random.default_rng(seed).standard_normal((128, 128)).astype(np.float32)
x = np.linspace(-1, 1, 4 * 128, dtype=np.float32).reshape(4, 128)
with open(os.path.join(out, "weights.bin"), "wb") as f:
    f.write(w.tobytes())
weight = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=w.shape)
weight.data_location = TensorProto.EXTERNAL
for key, value in (("location", "weights.bin"), ("offset", "0"),
                   ("length", str(w.nbytes))):
    entry = weight.external_data.add()
    entry.key, entry.value = key, value
one = numpy_helper.from_array(np.ones((1,), np.float32), "one")
graph = helper.make_graph(
    [helper.make_node("MatMul", ["x", "w"], ["xw"], name="matmul"),
     helper.make_node("Add", ["xw", "one"], ["y"], name="add")],
    "external", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 128])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 128])],
    [weight, one])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
with open(os.path.join(out, "model.onnx"), "wb") as f:
    f.write(model.SerializeToString())
np.save(os.path.join(out, "x.npy"), x)
np.save(os.path.join(out, "ref", "y.npy"), (x @ w + 1).astype(np.float32))
