"""ONNX helpers for the model zoo: light models, external data, counting.

*Light* models follow the ONNX project's ``onnx/backend/test/data/light`` idiom: every
float initializer ``W`` becomes ``W = ConstantOfShape(W__SHAPE)`` with ``W__SHAPE`` an int64
initializer holding W's dims, so a file of kilobytes keeps every layer's real shape.
"""

import collections
import os
from typing import Dict, Iterable, List

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

LIGHT_FILL = 0.02  # the value the ONNX project's light models use
SHAPE_SUFFIX = "__SHAPE"
FLOAT_TYPES = (TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.DOUBLE, TensorProto.BFLOAT16)

EXTERNAL_DATA_NAME = "model.onnx_data"
EXTERNAL_SIZE_THRESHOLD = 1024  # bytes; smaller tensors stay inline (as Optimum does)
EXTERNAL_ALIGNMENT = 4096  # every tensor starts on a page boundary (mmap friendly)


class LightError(ValueError):
    pass


def _constant_of_shape(name: str, dims: List[int], elem_type: int):
    shape = numpy_helper.from_array(np.asarray(dims, dtype=np.int64), name + SHAPE_SUFFIX)
    value = helper.make_tensor("value", elem_type, [1], [LIGHT_FILL])
    node = helper.make_node(
        "ConstantOfShape", [shape.name], [name], name=name + "__ConstantOfShape", value=value
    )
    return shape, node


def lighten(model: onnx.ModelProto) -> onnx.ModelProto:
    """Replace every float initializer of ``model`` (in place) by a ConstantOfShape node."""
    g = model.graph
    keep, nodes, shapes = [], [], []
    for init in g.initializer:
        if init.data_type in FLOAT_TYPES:
            shape, node = _constant_of_shape(init.name, list(init.dims), init.data_type)
            shapes.append(shape)
            nodes.append(node)
        else:
            keep.append(init)
    _rewrite(g, nodes, shapes + keep, list(g.input))
    return model


def inputs_to_constant_of_shape(model: onnx.ModelProto, user_inputs: Iterable[str]):
    """Light conversion of a model exported with ``export_params=False``.

    Such a model has the (constant-folded) parameters as extra graph inputs with static
    shapes and no data; each becomes a ConstantOfShape node.
    """
    user_inputs = set(user_inputs)
    g = model.graph
    keep_inputs, nodes, shapes = [], [], []
    for inp in g.input:
        if inp.name in user_inputs:
            keep_inputs.append(inp)
            continue
        tt = inp.type.tensor_type
        if tt.elem_type not in FLOAT_TYPES:
            raise LightError(
                f"parameter input {inp.name!r} has non-float type "
                f"{TensorProto.DataType.Name(tt.elem_type)}; cannot make it light"
            )
        dims = []
        for d in tt.shape.dim:
            if not d.HasField("dim_value"):
                raise LightError(f"parameter input {inp.name!r} has a dynamic shape")
            dims.append(d.dim_value)
        shape, node = _constant_of_shape(inp.name, dims, tt.elem_type)
        shapes.append(shape)
        nodes.append(node)
    _rewrite(g, nodes, shapes + list(g.initializer), keep_inputs)
    return model


def _rewrite(g, new_nodes, initializers, inputs):
    old_nodes = list(g.node)
    del g.node[:]
    g.node.extend(new_nodes + old_nodes)
    del g.initializer[:]
    g.initializer.extend(initializers)
    del g.input[:]
    g.input.extend(inputs)


def light_parameter_shapes(model: onnx.ModelProto) -> Dict[str, List[int]]:
    """name -> dims of every float tensor a light model builds with ConstantOfShape."""
    shapes = {
        i.name: [int(v) for v in numpy_helper.to_array(i)]
        for i in model.graph.initializer
        if i.name.endswith(SHAPE_SUFFIX)
    }
    out = {}
    for n in model.graph.node:
        if n.op_type == "ConstantOfShape" and n.input and n.input[0] in shapes:
            out[n.output[0]] = shapes[n.input[0]]
    return out


def light_parameter_count(model: onnx.ModelProto) -> int:
    return sum(int(np.prod(s, dtype=np.int64)) for s in light_parameter_shapes(model).values())


def initializer_parameter_count(model: onnx.ModelProto) -> int:
    """Sum of the element counts of the float initializers (a normal, non-light model)."""
    return sum(
        int(np.prod(i.dims, dtype=np.int64))
        for i in model.graph.initializer
        if i.data_type in FLOAT_TYPES
    )


def op_histogram(model: onnx.ModelProto, exclude_light=True) -> Dict[str, int]:
    """op_type -> count; the ConstantOfShape nodes a light conversion adds are left out."""
    c = collections.Counter()
    for n in model.graph.node:
        if exclude_light and n.op_type == "ConstantOfShape" and n.name.endswith("__ConstantOfShape"):
            continue
        c[n.op_type] += 1
    return dict(sorted(c.items()))


def consolidate_external_data(model_path: str, threshold=EXTERNAL_SIZE_THRESHOLD):
    """Gather the per-tensor files torch writes for >2 GB models into one ``model.onnx_data``.

    Streams one tensor at a time (never holds the weights in memory). Tensors smaller than
    ``threshold`` bytes move inline; the others are appended at ``EXTERNAL_ALIGNMENT``
    aligned offsets. The per-tensor files are deleted.
    """
    folder = os.path.dirname(os.path.abspath(model_path))
    model = onnx.load(model_path, load_external_data=False)
    data_path = os.path.join(folder, EXTERNAL_DATA_NAME)
    consumed = []
    with open(data_path, "wb") as out:
        for t in model.graph.initializer:
            if t.data_location == TensorProto.EXTERNAL:
                info = {e.key: e.value for e in t.external_data}
                src = os.path.join(folder, info["location"])
                offset = int(info.get("offset", 0))
                with open(src, "rb") as f:
                    f.seek(offset)
                    if "length" in info:
                        raw = f.read(int(info["length"]))
                    else:
                        raw = f.read()
                consumed.append(src)
                del t.external_data[:]
            else:
                # torch keeps some tensors inline; apply the same threshold to them
                raw = t.raw_data if t.HasField("raw_data") else numpy_helper.to_array(t).tobytes()
                if len(raw) < threshold:
                    continue
                name, dims, dtype = t.name, list(t.dims), t.data_type
                t.Clear()
                t.name, t.data_type = name, dtype
                t.dims.extend(dims)
                t.data_location = TensorProto.EXTERNAL
            if len(raw) < threshold:
                t.data_location = TensorProto.DEFAULT
                t.raw_data = raw
                continue
            t.data_location = TensorProto.EXTERNAL
            pos = out.tell()
            pad = (-pos) % EXTERNAL_ALIGNMENT
            if pad:
                out.write(b"\0" * pad)
                pos += pad
            out.write(raw)
            for k, v in (("location", EXTERNAL_DATA_NAME), ("offset", str(pos)), ("length", str(len(raw)))):
                e = t.external_data.add()
                e.key, e.value = k, v
            del raw
    for src in set(consumed):
        if os.path.abspath(src) != os.path.abspath(data_path):
            os.remove(src)
    onnx.save_model(model, model_path)
    if os.path.getsize(data_path) == 0:
        os.remove(data_path)
    return model


def uses_external_data(model: onnx.ModelProto) -> bool:
    return any(t.data_location == TensorProto.EXTERNAL for t in model.graph.initializer)


def infer_value_shapes(model: onnx.ModelProto) -> Dict[str, list]:
    """value name -> dims (int or symbolic str) after ONNX shape inference (strict)."""
    inferred = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    out = {}
    for vi in list(inferred.graph.value_info) + list(inferred.graph.output):
        tt = vi.type.tensor_type
        if not tt.HasField("shape"):
            out[vi.name] = None
            continue
        out[vi.name] = [d.dim_value if d.HasField("dim_value") else d.dim_param for d in tt.shape.dim]
    return out
