//===- Importer.cpp - ONNX graph to func.func @main -------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The importer proper: validates the ModelProto (opset, cycles, domains),
// binds dynamic dims, runs ONNX shape inference, walks the graph in
// topological order and calls one converter per node. Initializers and
// weights are read in Initializers.cpp; small constants (shape arithmetic) are
// folded on the host.
//
//===----------------------------------------------------------------------===//

#include "Importer.h"
#include "ModelLoader.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Verifier.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <limits>
#include <memory>
#include <queue>

using namespace mlir;
using namespace romac;
using namespace romac::onnximport;

//===----------------------------------------------------------------------===//
// Options
//===----------------------------------------------------------------------===//

llvm::Error OnnxImportOptions::addDim(StringRef spec) {
  auto [name, value] = spec.split('=');
  int64_t v;
  if (name.empty() || value.empty() || value.getAsInteger(10, v) || v <= 0)
    return llvm::createStringError(
        "invalid dim binding '%s': expected NAME=N with N > 0",
        spec.str().c_str());
  dims[name] = v;
  return llvm::Error::success();
}

llvm::Error OnnxImportOptions::addShape(StringRef spec) {
  auto [name, dimsText] = spec.split('=');
  SmallVector<int64_t> shape;
  bool ok = !name.empty() && !dimsText.empty();
  if (ok && dimsText != "scalar") {
    SmallVector<StringRef> parts;
    dimsText.split(parts, 'x');
    for (StringRef p : parts) {
      int64_t v;
      if (p.getAsInteger(10, v) || v < 0) {
        ok = false;
        break;
      }
      shape.push_back(v);
    }
  }
  if (!ok)
    return llvm::createStringError(
        "invalid shape '%s': expected NAME=D0xD1x... (or NAME=scalar)",
        spec.str().c_str());
  shapes[name] = shape;
  return llvm::Error::success();
}

llvm::Error OnnxImportOptions::addFrozenInput(StringRef spec) {
  auto [name, file] = spec.split('=');
  if (name.empty() || file.empty())
    return llvm::createStringError(
        "invalid frozen input '%s': expected NAME=FILE.pb",
        spec.str().c_str());
  frozenInputs[name] = file.str();
  return llvm::Error::success();
}


//===----------------------------------------------------------------------===//
// Importer
//===----------------------------------------------------------------------===//


LogicalResult Importer::checkModel() {
  if (!model->has_graph())
    return error("the model has no graph (not an ONNX model?)");
  for (const auto &imp : model->opset_import())
    if (imp.domain().empty() || imp.domain() == "ai.onnx")
      opset = imp.version();
  if (opset == 0) {
    if (model->opset_import_size() == 0 && model->ir_version() < 3)
      opset = 1; // IR v1/v2 models predate opset_import.
    else
      return error("the model imports no version of the default ONNX "
                   "domain (opset_import)");
  }
  if (opset > 18)
    return error("opset " + Twine(opset) +
                 " is newer than this importer supports (7 to 18)");
  return success();
}

/// Turns the inputs named by --freeze into initializers holding the given
/// TensorProto files.
LogicalResult Importer::freezeInputs() {
  onnx::GraphProto *graph = model->mutable_graph();
  for (const auto &entry : options.frozenInputs) {
    StringRef name = entry.getKey();
    auto *inputs = graph->mutable_input();
    auto it = llvm::find_if(*inputs, [&](const onnx::ValueInfoProto &v) {
      return v.name() == name;
    });
    if (it == inputs->end())
      return error("--freeze names '" + name +
                   "', which is not an input of the model");
    auto buf = llvm::MemoryBuffer::getFile(entry.getValue(), /*IsText=*/false,
                                           /*RequiresNullTerminator=*/false);
    if (!buf)
      return error("--freeze " + name + ": cannot read '" + entry.getValue() +
                   "': " + buf.getError().message());
    onnx::TensorProto tensor;
    if ((*buf)->getBufferSize() > (1u << 30) ||
        !tensor.ParseFromArray((*buf)->getBufferStart(),
                               static_cast<int>((*buf)->getBufferSize())))
      return error("--freeze " + name + ": '" + entry.getValue() +
                   "' is not a serialized TensorProto");
    if (tensor.data_location() == onnx::TensorProto::EXTERNAL)
      return error("--freeze " + name + ": external data is not allowed");
    if (it->type().has_tensor_type() &&
        it->type().tensor_type().elem_type() != tensor.data_type())
      return error("--freeze " + name + ": the file holds " +
                   typeName(tensor.data_type()) + ", the input is " +
                   typeName(it->type().tensor_type().elem_type()));
    tensor.set_name(name.str());
    *graph->add_initializer() = std::move(tensor);
    inputs->erase(it);
  }
  return success();
}

/// Applies --dim / --shape to the graph inputs so that shape inference sees
/// static shapes, and rejects inputs that stay dynamic.
LogicalResult Importer::bindInputShapes() {
  onnx::GraphProto *graph = model->mutable_graph();
  llvm::StringSet<> initNames;
  for (const auto &init : graph->initializer())
    initNames.insert(init.name());
  llvm::StringSet<> usedShapes;
  for (onnx::ValueInfoProto &in : *graph->mutable_input()) {
    if (initNames.contains(in.name()))
      continue;
    if (!in.type().has_tensor_type())
      return error("input '" + in.name() +
                   "' is not a tensor (sequences and maps are not supported)");
    auto *tensorType = in.mutable_type()->mutable_tensor_type();
    auto shapeIt = options.shapes.find(in.name());
    if (shapeIt != options.shapes.end()) {
      usedShapes.insert(in.name());
      const auto &shape = shapeIt->second;
      if (tensorType->has_shape() &&
          tensorType->shape().dim_size() != static_cast<int>(shape.size()))
        return error("--shape " + in.name() + ": the input has rank " +
                     Twine(tensorType->shape().dim_size()) + ", the flag gives " +
                     Twine(shape.size()) + " dims");
      for (int k = 0, e = shape.size(); k < e; ++k) {
        if (tensorType->has_shape()) {
          const auto &dim = tensorType->shape().dim(k);
          if (dim.has_dim_value() && dim.dim_value() != shape[k])
            return error("--shape " + in.name() + ": dim " + Twine(k) +
                         " is fixed to " + Twine(dim.dim_value()) +
                         " in the model, the flag gives " + Twine(shape[k]));
        }
      }
      tensorType->mutable_shape()->clear_dim();
      for (int64_t d : shape)
        tensorType->mutable_shape()->add_dim()->set_dim_value(d);
      continue;
    }
    if (!tensorType->has_shape())
      return error("input '" + in.name() +
                   "' has no shape; give it with --shape " + in.name() +
                   "=D0xD1x...");
    for (int k = 0; k < tensorType->shape().dim_size(); ++k) {
      auto *dim = tensorType->mutable_shape()->mutable_dim(k);
      if (dim->has_dim_value()) {
        if (dim->dim_value() < 0)
          return error("input '" + in.name() + "' has negative dim " +
                       Twine(dim->dim_value()));
        continue;
      }
      std::string param = dim->dim_param();
      auto it = options.dims.find(param);
      if (param.empty() || it == options.dims.end())
        return error("input '" + in.name() + "': dim " + Twine(k) +
                     (param.empty() ? Twine(" has no size")
                                    : Twine(" ('") + param + "') is unbound") +
                     "; bind it with --dim " +
                     (param.empty() ? std::string("NAME") : param) +
                     "=N or --shape " + in.name() + "=D0xD1x...");
      dim->set_dim_value(it->second);
    }
  }
  for (const auto &entry : options.shapes)
    if (!usedShapes.contains(entry.getKey()))
      return error("--shape names '" + entry.getKey() +
                   "', which is not an input of the model");
  // Every input is static now: its size must be representable.
  for (const onnx::ValueInfoProto &in : graph->input()) {
    if (initNames.contains(in.name()))
      continue;
    SmallVector<int64_t> shape;
    for (const auto &dim : in.type().tensor_type().shape().dim())
      shape.push_back(dim.dim_value());
    if (failed(checkTensorSize("input '" + in.name() + "'", shape,
                               in.type().tensor_type().elem_type())))
      return failure();
  }
  return success();
}

/// Checks that a tensor of `shape` and element type `type` has an element
/// count and a size in bytes that fit in 64 bits; the error names the tensor
/// (`what`).
LogicalResult Importer::checkTensorSize(const Twine &what,
                                        ArrayRef<int64_t> shape,
                                        OnnxType type) {
  std::optional<int64_t> numel = checkedNumel(shape);
  if (!numel)
    return error(what + " has shape " + shapeString(shape) +
                 ": its element count overflows 64 bits");
  int64_t bytes;
  if (llvm::MulOverflow(*numel, std::max<int64_t>(elementBytes(type), 1),
                        bytes))
    return error(what + " has shape " + shapeString(shape) + " (" +
                 typeName(type) + "): its size in bytes overflows 64 bits");
  return success();
}

FailureOr<RankedTensorType> Importer::staticType(const onnx::TypeProto &type,
                                                 StringRef what) {
  if (!type.has_tensor_type())
    return error(what + " is not a tensor");
  const auto &tt = type.tensor_type();
  Type elem = toMlirType(&ctx, tt.elem_type());
  if (!elem)
    return error(what + " has unsupported element type " +
                 typeName(tt.elem_type()));
  if (!tt.has_shape())
    return error(what + " has no static shape");
  SmallVector<int64_t> shape;
  for (const auto &d : tt.shape().dim()) {
    if (!d.has_dim_value())
      return error(what + " has a dynamic dim" +
                   (d.dim_param().empty() ? "" : " '" + d.dim_param() + "'"));
    if (d.dim_value() < 0)
      return error(what + " has negative dim " + Twine(d.dim_value()));
    shape.push_back(d.dim_value());
  }
  return RankedTensorType::get(shape, elem);
}

/// Orders the nodes so that every value is defined before use; reports
/// cycles and undefined values by name.
LogicalResult
Importer::sortNodes(SmallVectorImpl<const onnx::NodeProto *> &order) {
  const auto &graph = model->graph();
  llvm::StringMap<int> producer;
  for (int n = 0; n < graph.node_size(); ++n)
    for (const std::string &out : graph.node(n).output()) {
      if (out.empty())
        continue;
      if (values.count(out) || !producer.try_emplace(out, n).second)
        return error("value '" + out + "' is defined more than once");
    }
  std::vector<int> pending(graph.node_size(), 0);
  std::vector<SmallVector<int>> users(graph.node_size());
  for (int n = 0; n < graph.node_size(); ++n) {
    const auto &node = graph.node(n);
    for (const std::string &in : node.input()) {
      if (in.empty() || values.count(in))
        continue;
      auto it = producer.find(in);
      if (it == producer.end())
        return error("node '" + nodeName(node) + "' (" + node.op_type() +
                     ") uses value '" + in + "', which nothing defines");
      ++pending[n];
      users[it->second].push_back(n);
    }
    if (node.op_type() == "If" || node.op_type() == "Loop" ||
        node.op_type() == "Scan")
      return error("node '" + nodeName(node) + "': control flow (" +
                   node.op_type() + ") is not supported");
  }
  // Kahn's algorithm, always taking the ready node that comes first in the
  // file, so the IR follows the model's order.
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (int n = 0; n < graph.node_size(); ++n)
    if (pending[n] == 0)
      ready.push(n);
  while (!ready.empty()) {
    int n = ready.top();
    ready.pop();
    order.push_back(&graph.node(n));
    for (int u : users[n])
      if (--pending[u] == 0)
        ready.push(u);
  }
  if (static_cast<int>(order.size()) != graph.node_size()) {
    for (int n = 0; n < graph.node_size(); ++n)
      if (pending[n] > 0)
        return error("the graph has a cycle through node '" +
                     nodeName(graph.node(n)) + "' (" + graph.node(n).op_type() +
                     ")");
  }
  return success();
}

/// Verifies every node against its ONNX schema, then runs ONNX shape
/// inference and records the inferred types.
///
/// libonnx (1.12) propagates shape values (Shape -> Gather -> Mul -> Concat
/// -> Reshape) in 32-bit integers: with `--dim height=1000000 --dim
/// width=1000000` the product height*width wraps around and inference fails
/// with "Invalid dimension value: -727379968" (or, when the wrapped value is
/// positive, infers a wrong dim). When inference with data propagation fails,
/// it runs again without: the converters compute every shape in 64 bits, and
/// checkResultTypes() names the first node whose result has a dim ONNX cannot
/// represent. If no node does, the first failure is reported after the
/// conversion (dataPropagationError).
LogicalResult Importer::runShapeInference() {
  onnx::GraphProto &graph = *model->mutable_graph();
  std::string err;
  int nodeIndex = 0;
  if (!verifyNodes(*model, opset, nodeIndex, err)) {
    const onnx::NodeProto &node = graph.node(nodeIndex);
    return error("node '" + nodeName(node) + "' (" + node.op_type() +
                 "): " + err);
  }
  // Inference adds value_info and refines the outputs, even when it fails.
  auto valueInfo = graph.value_info();
  auto outputs = graph.output();
  if (!inferShapes(*model, err)) {
    *graph.mutable_value_info() = std::move(valueInfo);
    *graph.mutable_output() = std::move(outputs);
    std::string retryErr;
    if (!inferShapes(*model, retryErr, /*dataPropagation=*/false))
      return error(err);
    dataPropagationError = std::move(err);
  }
  for (const auto &vi : graph.value_info())
    inferredTypes[vi.name()] = &vi.type();
  for (const auto &vi : graph.output())
    inferredTypes[vi.name()] = &vi.type();
  return success();
}

/// Before a node is converted: the sizes of the results ONNX shape inference
/// knows completely must fit in 64 bits (converters may build tables or fold
/// constants of that size).
LogicalResult Importer::checkInferredSizes(const onnx::NodeProto &node) {
  for (const std::string &out : node.output()) {
    auto it = out.empty() ? inferredTypes.end() : inferredTypes.find(out);
    if (it == inferredTypes.end() || !it->second->has_tensor_type() ||
        !it->second->tensor_type().has_shape())
      continue;
    SmallVector<int64_t> shape;
    for (const auto &d : it->second->tensor_type().shape().dim()) {
      if (!d.has_dim_value())
        break;
      shape.push_back(d.dim_value());
    }
    if (static_cast<int>(shape.size()) !=
        it->second->tensor_type().shape().dim_size())
      continue;
    if (failed(checkTensorSize("node '" + nodeName(node) + "' (" +
                                   node.op_type() + "): result '" + out + "'",
                               shape, it->second->tensor_type().elem_type())))
      return failure();
  }
  return success();
}

/// Checks the size of every result the converter made and cross-checks its
/// shape against ONNX shape inference.
LogicalResult Importer::checkResultTypes(const onnx::NodeProto &node) {
  for (const std::string &out : node.output()) {
    if (out.empty())
      continue;
    ValueEntry *entry = lookup(out);
    if (!entry)
      return error("internal error: node '" + nodeName(node) + "' (" +
                   node.op_type() + ") did not define '" + out + "'");
    SmallVector<int64_t> ours;
    if (entry->value)
      ours.assign(cast<RankedTensorType>(entry->value.getType())
                      .getShape()
                      .begin(),
                  cast<RankedTensorType>(entry->value.getType())
                      .getShape()
                      .end());
    else if (entry->host)
      ours = entry->host->shape;
    std::string what =
        "node '" + nodeName(node) + "' (" + node.op_type() + "): result '" +
        out + "'";
    if (failed(checkTensorSize(what, ours, entry->type)))
      return failure();
    auto it = inferredTypes.find(out);
    const onnx::TensorShapeProto *inferred =
        it != inferredTypes.end() && it->second->has_tensor_type() &&
                it->second->tensor_type().has_shape()
            ? &it->second->tensor_type().shape()
            : nullptr;
    if (failed(checkDimsForOnnx(what, ours, inferred)))
      return failure();
    if (!inferred)
      continue;
    const auto &shape = *inferred;
    bool mismatch = shape.dim_size() != static_cast<int>(ours.size());
    for (int k = 0; !mismatch && k < shape.dim_size(); ++k)
      mismatch = shape.dim(k).has_dim_value() &&
                 shape.dim(k).dim_value() != ours[k];
    if (mismatch) {
      SmallVector<int64_t> theirs;
      for (const auto &d : shape.dim())
        theirs.push_back(d.has_dim_value() ? d.dim_value() : -1);
      return error(what + " has shape " + shapeString(ours) +
                   " but ONNX shape inference gives " + shapeString(theirs));
    }
  }
  return success();
}

/// A dim of `ours` past INT32_MAX that ONNX shape inference got wrong (its
/// data propagation is 32-bit, see runShapeInference) or could not compute
/// after a failed inference is an error that names the tensor (`what`).
LogicalResult
Importer::checkDimsForOnnx(const Twine &what, ArrayRef<int64_t> ours,
                           const onnx::TensorShapeProto *inferred) {
  constexpr int64_t kMaxOnnxDim = std::numeric_limits<int32_t>::max();
  for (auto [k, dim] : llvm::enumerate(ours)) {
    if (dim <= kMaxOnnxDim)
      continue;
    bool known = inferred && static_cast<int>(k) < inferred->dim_size() &&
                 inferred->dim(k).has_dim_value();
    bool wrong = known ? inferred->dim(k).dim_value() != dim
                       : dataPropagationError.has_value();
    if (wrong)
      return error(what + " has dim " + Twine(k) + " = " + Twine(dim) +
                   ", more than " + Twine(kMaxOnnxDim) +
                   ", the largest dim ONNX shape inference computes (its "
                   "shape arithmetic is 32-bit); give smaller sizes with "
                   "--dim or --shape");
  }
  return success();
}

/// Rejects nodes in unknown domains and ops (or opset versions) that have no
/// converter, naming the first such node.
LogicalResult
Importer::checkSupport(ArrayRef<const onnx::NodeProto *> order) {
  const auto &registry = opRegistry();
  for (const onnx::NodeProto *node : order) {
    if (!node->domain().empty() && node->domain() != "ai.onnx")
      return error("node '" + nodeName(*node) + "' (" + node->op_type() +
                   ") is in unknown domain '" + node->domain() + "'");
    auto it = registry.find(node->op_type());
    if (it == registry.end() || opset < it->second.minOpset ||
        opset > it->second.maxOpset)
      return error("unsupported op '" + node->op_type() + "' (node '" +
                   nodeName(*node) + "', opset " + Twine(opset) + ")");
  }
  return success();
}

LogicalResult Importer::convertNode(const onnx::NodeProto &node) {
  auto it = opRegistry().find(node.op_type());
  Location loc = NameLoc::get(StringAttr::get(&ctx, nodeName(node)));
  NodeContext nc(*this, node, loc, opset);

  // Fold on the host when every input is known at import time.
  SmallVector<const HostTensor *> hostInputs;
  bool allKnown = true;
  for (unsigned i = 0; i < nc.numInputs() && allKnown; ++i) {
    if (!nc.hasInput(i)) {
      hostInputs.push_back(nullptr);
      continue;
    }
    const HostTensor *h = nc.constInput(i);
    allKnown = h != nullptr;
    hostInputs.push_back(h);
  }
  if (allKnown) {
    if (auto results = evaluateOnHost(nc, hostInputs)) {
      for (unsigned k = 0; k < results->size() && k < nc.numOutputs(); ++k)
        if (nc.hasOutput(k))
          nc.setConstResult(k, std::move((*results)[k]));
      return failedOnce ? failure() : success();
    }
    if (failedOnce)
      return failure();
  }
  if (failed(it->second.convert(nc)))
    return failure();
  return failedOnce ? failure() : success();
}

OwningOpRef<ModuleOp> Importer::run(std::shared_ptr<onnx::ModelProto> m) {
  model = std::move(m);
  if (failed(checkModel()) || failed(freezeInputs()) ||
      failed(bindInputShapes()) || failed(checkInitializers()))
    return {};
  const auto &graph = model->graph();

  // Initializers first; graph inputs with the same name (IR < 4) are
  // constants, not arguments.
  for (const auto &init : graph.initializer()) {
    ValueEntry &e = values[init.name()];
    e.initializer = &init;
    e.type = init.data_type();
  }
  SmallVector<const onnx::ValueInfoProto *> args;
  for (const auto &in : graph.input())
    if (!values.count(in.name()))
      args.push_back(&in);
  for (const auto *a : args)
    values[a->name()]; // defined before any node

  // Structure and op support before ONNX's shape inference, whose messages
  // for such models are less clear.
  SmallVector<const onnx::NodeProto *> order;
  if (failed(sortNodes(order)) || failed(checkSupport(order)) ||
      failed(runShapeInference()))
    return {};

  OwningOpRef<ModuleOp> module = ModuleOp::create(UnknownLoc::get(&ctx));
  builder.setInsertionPointToEnd(module->getBody());
  SmallVector<Type> argTypes;
  for (const auto *a : args) {
    FailureOr<RankedTensorType> t =
        staticType(a->type(), "input '" + a->name() + "'");
    if (failed(t))
      return {};
    argTypes.push_back(*t);
  }

  auto func = func::FuncOp::create(builder, UnknownLoc::get(&ctx),
                                   options.funcName,
                                   builder.getFunctionType(argTypes, {}));
  Block *body = func.addEntryBlock();
  for (auto [k, a] : llvm::enumerate(args)) {
    ValueEntry &e = values[a->name()];
    e.value = body->getArgument(k);
    e.type = a->type().tensor_type().elem_type();
    func.setArgAttr(k, "onnx.name", builder.getStringAttr(a->name()));
  }
  builder.setInsertionPointToEnd(body);

  for (const onnx::NodeProto *node : order)
    if (failed(checkInferredSizes(*node)) || failed(convertNode(*node)) ||
        failed(checkResultTypes(*node)))
      return {};
  // Shape inference failed with data propagation and no node explained why.
  if (dataPropagationError) {
    (void)error(*dataPropagationError);
    return {};
  }

  SmallVector<Value> results;
  for (const auto &out : graph.output()) {
    ValueEntry *e = lookup(out.name());
    if (!e) {
      (void)error("graph output '" + out.name() + "' is never defined");
      return {};
    }
    Value v = materializeEntry(out.name(), *e,
                               NameLoc::get(builder.getStringAttr(out.name())));
    if (!v)
      return {};
    results.push_back(v);
  }
  func::ReturnOp::create(builder, UnknownLoc::get(&ctx), results);
  func.setFunctionType(builder.getFunctionType(
      argTypes, ValueRange(results).getTypes()));
  for (auto [k, out] : llvm::enumerate(graph.output()))
    func.setResultAttr(k, "onnx.name", builder.getStringAttr(out.name()));

  if (failed(verify(*module))) {
    (void)error("internal error: the imported IR does not verify");
    return {};
  }
  return module;
}

//===----------------------------------------------------------------------===//
// Public entry points
//===----------------------------------------------------------------------===//

OwningOpRef<ModuleOp> romac::importOnnxBuffer(StringRef bytes,
                                              StringRef displayName,
                                              StringRef baseDir,
                                              MLIRContext &context,
                                              const OnnxImportOptions &options) {
  context.loadDialect<func::FuncDialect, linalg::LinalgDialect,
                      tensor::TensorDialect, arith::ArithDialect,
                      math::MathDialect>();
  auto model = std::make_shared<onnx::ModelProto>();
  std::string err;
  if (!onnximport::parseModel(bytes, *model, err)) {
    emitError(UnknownLoc::get(&context)) << displayName << ": " << err;
    return {};
  }
  Importer importer(context, displayName, baseDir, options);
  return importer.run(std::move(model));
}

OwningOpRef<ModuleOp> romac::importOnnxFile(StringRef path,
                                            MLIRContext &context,
                                            const OnnxImportOptions &options) {
  if (llvm::sys::fs::is_directory(path)) {
    emitError(UnknownLoc::get(&context))
        << path << ": is a folder, not an ONNX model file";
    return {};
  }
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    emitError(UnknownLoc::get(&context))
        << path << ": cannot open: " << buffer.getError().message();
    return {};
  }
  SmallString<256> dir(path);
  llvm::sys::path::remove_filename(dir);
  if (dir.empty())
    dir = ".";
  return importOnnxBuffer((*buffer)->getBuffer(), path, dir, context, options);
}

void romac::registerOnnxImportDialects(DialectRegistry &registry) {
  registry.insert<func::FuncDialect, linalg::LinalgDialect,
                  tensor::TensorDialect, arith::ArithDialect,
                  math::MathDialect>();
}
