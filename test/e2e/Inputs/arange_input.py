"""Writes the input the ONNX light models' reference outputs were made from.

Usage: arange_input.py MODEL.onnx OUT.npy
The model's first graph input (dims without a value count as 1) filled with
(arange(n).reshape(shape) / n).astype(float32), n = number of elements; see
models/onnx-light/README.md.
"""
import sys

import numpy as np
import onnx

model = onnx.load(sys.argv[1])
inits = {i.name for i in model.graph.initializer}
first = next(i for i in model.graph.input if i.name not in inits)
shape = [d.dim_value or 1 for d in first.type.tensor_type.shape.dim]
n = int(np.prod(shape))
np.save(sys.argv[2], (np.arange(n).reshape(shape) / n).astype(np.float32))
print(first.name)
