"""A small numpy interpreter for the ONNX ops the model zoo's graphs use.

There is no onnxruntime here (and onnx 1.12 has no ``onnx.reference``), so this is what
checks that an exported graph computes what torch computed: run a ``test_data_set_*``
through the ONNX file and compare with its ``output_*.pb``. It implements exactly the
subset of opset 14-17 semantics the zoo needs, float32 throughout, and raises
``NotImplementedError`` for anything else (it never guesses).
"""

import math
from typing import Dict, List

import numpy as np
import onnx
from onnx import helper, numpy_helper

_ERF = np.vectorize(math.erf, otypes=[np.float64])


def _attrs(node) -> dict:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _s(v):
    return v.decode() if isinstance(v, bytes) else v


def _int_div(a, b):
    q = np.abs(a) // np.abs(b)
    return (q * np.sign(a) * np.sign(b)).astype(np.result_type(a, b))


def _conv(x, w, b, a):
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    group = a.get("group", 1)
    sh, sw = a.get("strides", [1, 1])
    dh, dw = a.get("dilations", [1, 1])
    pads = a.get("pads", [0, 0, 0, 0])
    if _s(a.get("auto_pad", "NOTSET")) not in ("NOTSET",):
        raise NotImplementedError("Conv auto_pad")
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    hp, wp = x.shape[2], x.shape[3]
    oh = (hp - (dh * (kh - 1) + 1)) // sh + 1
    ow = (wp - (dw * (kw - 1) + 1)) // sw + 1
    # im2col: [n, c, kh, kw, oh, ow]
    cols = np.empty((n, c, kh, kw, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = x[:, :, i * dh : i * dh + sh * oh : sh, j * dw : j * dw + sw * ow : sw]
    mg = m // group
    out = np.empty((n, m, oh, ow), dtype=np.float32)
    for g in range(group):
        cg_cols = cols[:, g * cg : (g + 1) * cg].reshape(n, cg * kh * kw, oh * ow)
        wg = w[g * mg : (g + 1) * mg].reshape(mg, cg * kh * kw)
        out[:, g * mg : (g + 1) * mg] = np.matmul(wg, cg_cols).reshape(n, mg, oh, ow)
    if b is not None:
        out += b.reshape(1, m, 1, 1)
    return out


def _pool(x, a, kind):
    kh, kw = a["kernel_shape"]
    sh, sw = a.get("strides", [1, 1])
    pads = a.get("pads", [0, 0, 0, 0])
    if a.get("ceil_mode", 0) or _s(a.get("auto_pad", "NOTSET")) != "NOTSET":
        raise NotImplementedError(f"{kind} ceil_mode/auto_pad")
    fill = -np.inf if kind == "MaxPool" else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])), constant_values=fill)
    oh = (xp.shape[2] - kh) // sh + 1
    ow = (xp.shape[3] - kw) // sw + 1
    win = np.stack(
        [xp[:, :, i : i + sh * oh : sh, j : j + sw * ow : sw] for i in range(kh) for j in range(kw)]
    )
    if kind == "MaxPool":
        return win.max(axis=0)
    if a.get("count_include_pad", 0) or not any(pads):
        return win.mean(axis=0).astype(x.dtype)
    ones = np.pad(np.ones_like(x), ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    cnt = np.stack(
        [ones[:, :, i : i + sh * oh : sh, j : j + sw * ow : sw] for i in range(kh) for j in range(kw)]
    ).sum(axis=0)
    return (win.sum(axis=0) / cnt).astype(x.dtype)


def _resize(x, roi, scales, sizes, a):
    if _s(a.get("mode", "nearest")) != "nearest":
        raise NotImplementedError("Resize mode")
    if _s(a.get("coordinate_transformation_mode", "half_pixel")) != "asymmetric":
        raise NotImplementedError("Resize coordinate_transformation_mode")
    if _s(a.get("nearest_mode", "round_prefer_floor")) != "floor":
        raise NotImplementedError("Resize nearest_mode")
    if sizes is not None and sizes.size:
        out_shape = [int(s) for s in sizes]
        scales = [o / i for o, i in zip(out_shape, x.shape)]
    else:
        out_shape = [int(math.floor(d * s)) for d, s in zip(x.shape, scales)]
    y = x
    for axis, (n_out, s) in enumerate(zip(out_shape, scales)):
        if n_out == x.shape[axis] and s == 1:
            continue
        idx = np.minimum(np.floor(np.arange(n_out) / s).astype(np.int64), x.shape[axis] - 1)
        y = np.take(y, idx, axis=axis)
    return y


def _slice(x, starts, ends, axes=None, steps=None):
    axes = list(range(len(starts))) if axes is None else [int(v) for v in axes]
    steps = [1] * len(starts) if steps is None else [int(v) for v in steps]
    sl = [slice(None)] * x.ndim
    for st, en, ax, sp in zip(starts, ends, axes, steps):
        ax = ax % x.ndim
        dim = x.shape[ax]
        st, en = int(st), int(en)
        st = max(min(st + dim if st < 0 else st, dim if sp > 0 else dim - 1), 0 if sp > 0 else -1)
        if en < 0:
            en += dim
        en = max(min(en, dim if sp > 0 else dim - 1), 0 if sp > 0 else -1)
        sl[ax] = slice(st, en if en >= 0 else None, sp)
    return x[tuple(sl)]


def _trilu(x, k, upper):
    k = int(k) if k is not None else 0
    rows, cols = x.shape[-2], x.shape[-1]
    i = np.arange(rows)[:, None]
    j = np.arange(cols)[None, :]
    keep = (j - i >= k) if upper else (j - i <= k)
    return np.where(keep, x, np.zeros_like(x))


_UNARY = {
    "Sigmoid": lambda x: (1.0 / (1.0 + np.exp(-x))).astype(x.dtype),
    "Sin": np.sin,
    "Cos": np.cos,
    "Sqrt": np.sqrt,
    "Relu": lambda x: np.maximum(x, 0).astype(x.dtype),
    "Erf": lambda x: _ERF(x).astype(x.dtype),
    "Exp": np.exp,
    "Neg": np.negative,
    "Identity": lambda x: x,
}


def run_node(node, ins: List, a: dict):
    op = node.op_type
    if op in _UNARY:
        return [_UNARY[op](ins[0])]
    if op == "Add":
        return [ins[0] + ins[1]]
    if op == "Sub":
        return [ins[0] - ins[1]]
    if op == "Mul":
        return [ins[0] * ins[1]]
    if op == "Div":
        x, y = ins
        if np.issubdtype(np.result_type(x, y), np.integer):
            return [_int_div(x, y)]
        return [x / y]
    if op == "Pow":
        return [np.power(ins[0], ins[1]).astype(ins[0].dtype)]
    if op == "Equal":
        return [np.equal(ins[0], ins[1])]
    if op == "Where":
        return [np.where(ins[0], ins[1], ins[2])]
    if op == "MatMul":
        return [np.matmul(ins[0], ins[1])]
    if op == "Gemm":
        A, B = ins[0], ins[1]
        if a.get("transA", 0):
            A = A.T
        if a.get("transB", 0):
            B = B.T
        y = a.get("alpha", 1.0) * (A @ B)
        if len(ins) > 2 and ins[2] is not None:
            y = y + a.get("beta", 1.0) * ins[2]
        return [y.astype(np.float32)]
    if op == "Conv":
        return [_conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a)]
    if op in ("MaxPool", "AveragePool"):
        return [_pool(ins[0], a, op)]
    if op == "GlobalAveragePool":
        return [ins[0].mean(axis=tuple(range(2, ins[0].ndim)), keepdims=True)]
    if op == "InstanceNormalization":
        x, scale, bias = ins
        axes = tuple(range(2, x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
        shp = (1, -1) + (1,) * (x.ndim - 2)
        y = (x - mean) / np.sqrt(var + np.float32(a.get("epsilon", 1e-5)))
        return [(y * scale.reshape(shp) + bias.reshape(shp)).astype(x.dtype)]
    if op == "LayerNormalization":
        x, scale = ins[0], ins[1]
        bias = ins[2] if len(ins) > 2 else None
        axis = a.get("axis", -1) % x.ndim
        axes = tuple(range(axis, x.ndim))
        mean = x.mean(axis=axes, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
        y = (x - mean) / np.sqrt(var + np.float32(a.get("epsilon", 1e-5))) * scale
        if bias is not None:
            y = y + bias
        return [y.astype(x.dtype)]
    if op == "Softmax":
        x = ins[0]
        axis = a.get("axis", -1)
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        return [(e / e.sum(axis=axis, keepdims=True)).astype(x.dtype)]
    if op == "ReduceMean":
        axes = a.get("axes")
        if len(ins) > 1:
            axes = ins[1]
        axes = None if axes is None else tuple(int(v) for v in axes)
        return [ins[0].mean(axis=axes, keepdims=bool(a.get("keepdims", 1))).astype(ins[0].dtype)]
    if op == "Clip":
        x = ins[0]
        lo = ins[1] if len(ins) > 1 and ins[1] is not None else -np.inf
        hi = ins[2] if len(ins) > 2 and ins[2] is not None else np.inf
        return [np.clip(x, lo, hi).astype(x.dtype)]
    if op == "Shape":
        if "start" in a or "end" in a:
            raise NotImplementedError("Shape start/end")
        return [np.asarray(ins[0].shape, dtype=np.int64)]
    if op == "Reshape":
        x, shape = ins
        shape = [int(v) for v in shape]
        if not a.get("allowzero", 0):
            shape = [x.shape[i] if v == 0 else v for i, v in enumerate(shape)]
        return [x.reshape(shape)]
    if op == "Flatten":
        x = ins[0]
        axis = a.get("axis", 1) % (x.ndim + 1) if x.ndim else 0
        return [x.reshape(int(np.prod(x.shape[:axis])), -1)]
    if op == "Transpose":
        return [np.transpose(ins[0], a.get("perm"))]
    if op == "Unsqueeze":
        x = ins[0]
        axes = sorted(int(v) % (x.ndim + len(ins[1])) for v in ins[1])
        for ax in axes:
            x = np.expand_dims(x, ax)
        return [x]
    if op == "Squeeze":
        axes = None if len(ins) < 2 else tuple(int(v) for v in ins[1])
        return [np.squeeze(ins[0], axis=axes)]
    if op == "Concat":
        return [np.concatenate(ins, axis=a["axis"])]
    if op == "Gather":
        return [np.take(ins[0], ins[1].astype(np.int64), axis=a.get("axis", 0))]
    if op == "Slice":
        return [_slice(ins[0], ins[1], ins[2], *(ins[3:5]))]
    if op == "Cast":
        to = helper.tensor_dtype_to_np_dtype(a["to"]) if hasattr(helper, "tensor_dtype_to_np_dtype") else onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[a["to"]]
        return [np.asarray(ins[0]).astype(to)]
    if op == "Constant":
        if "value" not in a:
            raise NotImplementedError("Constant without 'value'")
        return [numpy_helper.to_array(a["value"])]
    if op == "ConstantOfShape":
        v = numpy_helper.to_array(a["value"]) if "value" in a else np.zeros(1, np.float32)
        return [np.full([int(d) for d in ins[0]], v.reshape(-1)[0], dtype=v.dtype)]
    if op == "Expand":
        x, shape = ins
        out = np.broadcast_shapes(x.shape, tuple(int(v) for v in shape))
        return [np.broadcast_to(x, out).copy()]
    if op == "Range":
        start, limit, delta = (v.item() for v in ins)
        return [np.arange(start, limit, delta, dtype=ins[0].dtype)]
    if op == "Trilu":
        return [_trilu(ins[0], ins[1] if len(ins) > 1 else None, a.get("upper", 1))]
    if op == "ArgMax":
        x = ins[0]
        axis = a.get("axis", 0)
        if a.get("select_last_index", 0):
            flipped = np.flip(x, axis=axis)
            idx = x.shape[axis] - 1 - np.argmax(flipped, axis=axis)
        else:
            idx = np.argmax(x, axis=axis)
        if a.get("keepdims", 1):
            idx = np.expand_dims(idx, axis)
        return [idx.astype(np.int64)]
    if op == "Pad":
        x, pads = ins[0], [int(v) for v in ins[1]]
        if _s(a.get("mode", "constant")) != "constant":
            raise NotImplementedError("Pad mode")
        value = ins[2].item() if len(ins) > 2 and ins[2] is not None and ins[2].size else 0
        r = x.ndim
        return [np.pad(x, [(pads[i], pads[i + r]) for i in range(r)], constant_values=value)]
    if op == "Resize":
        x = ins[0]
        roi = ins[1] if len(ins) > 1 else None
        scales = ins[2] if len(ins) > 2 else None
        sizes = ins[3] if len(ins) > 3 else None
        return [_resize(x, roi, scales, sizes, a)]
    if op == "Dropout":
        return [ins[0], np.ones(ins[0].shape, dtype=bool)][: len(node.output)]
    raise NotImplementedError(f"op {op}")


def run(model: onnx.ModelProto, feeds: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    """Evaluate ``model`` (topologically sorted, external data loaded) on ``feeds``."""
    env: Dict[str, np.ndarray] = {"": None}
    for init in model.graph.initializer:
        env[init.name] = numpy_helper.to_array(init)
    for inp in model.graph.input:
        if inp.name in env:
            continue
        if inp.name not in feeds:
            raise KeyError(f"missing input {inp.name!r}")
        env[inp.name] = np.asarray(feeds[inp.name])
    for node in model.graph.node:
        if node.domain not in ("", "ai.onnx"):
            raise NotImplementedError(f"domain {node.domain}")
        try:
            ins = [env[n] for n in node.input]
        except KeyError as e:
            raise KeyError(f"node {node.name!r} reads undefined value {e}") from None
        outs = run_node(node, ins, _attrs(node))
        for name, value in zip(node.output, outs):
            if name:
                env[name] = np.asarray(value)
    return {o.name: env[o.name] for o in model.graph.output}
