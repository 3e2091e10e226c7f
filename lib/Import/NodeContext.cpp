//===- NodeContext.cpp - what an op converter sees --------------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// NodeContext: a converter's view of one node and of the importer (inputs as
// values, types or host constants; attributes; results; errors that name the
// node).
//
//===----------------------------------------------------------------------===//

#include "Importer.h"

using namespace mlir;
using namespace romac;
using namespace romac::onnximport;

//===----------------------------------------------------------------------===//
// NodeContext
//===----------------------------------------------------------------------===//

NodeContext::NodeContext(Importer &importer, const onnx::NodeProto &node,
                         Location loc, int64_t opset)
    : importer(importer), node(node), b(importer.builder), loc(loc),
      opset(opset) {}

bool NodeContext::hasInput(unsigned i) const {
  return i < static_cast<unsigned>(node.input_size()) &&
         !node.input(i).empty();
}

Value NodeContext::input(unsigned i) {
  if (!hasInput(i)) {
    (void)fail("input " + Twine(i) + " is missing");
    return {};
  }
  ValueEntry *e = importer.lookup(node.input(i));
  if (!e)
    return {};
  Value v = importer.materializeEntry(node.input(i), *e, loc);
  if (!v)
    (void)fail("input '" + node.input(i) + "' has no value");
  return v;
}

RankedTensorType NodeContext::inputType(unsigned i) {
  if (!hasInput(i))
    return {};
  ValueEntry *e = importer.lookup(node.input(i));
  if (!e)
    return {};
  if (e->value)
    return cast<RankedTensorType>(e->value.getType());
  Type elem = toMlirType(ctx(), e->type);
  if (e->initializer)
    return RankedTensorType::get(
        SmallVector<int64_t>(e->initializer->dims().begin(),
                             e->initializer->dims().end()),
        elem);
  if (e->host)
    return RankedTensorType::get(e->host->shape, elem);
  return {};
}

ArrayRef<int64_t> NodeContext::inputShape(unsigned i) {
  RankedTensorType t = inputType(i);
  return t ? t.getShape() : ArrayRef<int64_t>();
}

OnnxType NodeContext::inputOnnxType(unsigned i) {
  ValueEntry *e = hasInput(i) ? importer.lookup(node.input(i)) : nullptr;
  return e ? e->type : onnx::TensorProto::UNDEFINED;
}

const HostTensor *NodeContext::constInput(unsigned i) {
  ValueEntry *e = hasInput(i) ? importer.lookup(node.input(i)) : nullptr;
  return e ? importer.hostValue(*e) : nullptr;
}

const onnx::AttributeProto *NodeContext::attr(StringRef name) const {
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

bool NodeContext::hasAttr(StringRef name) const { return attr(name); }

int64_t NodeContext::attrInt(StringRef name, int64_t dflt) const {
  const auto *a = attr(name);
  return a ? a->i() : dflt;
}

float NodeContext::attrFloat(StringRef name, float dflt) const {
  const auto *a = attr(name);
  return a ? a->f() : dflt;
}

std::string NodeContext::attrString(StringRef name, StringRef dflt) const {
  const auto *a = attr(name);
  return a ? a->s() : dflt.str();
}

SmallVector<int64_t> NodeContext::attrInts(StringRef name) const {
  const auto *a = attr(name);
  return a ? SmallVector<int64_t>(a->ints().begin(), a->ints().end())
           : SmallVector<int64_t>();
}

SmallVector<float> NodeContext::attrFloats(StringRef name) const {
  const auto *a = attr(name);
  return a ? SmallVector<float>(a->floats().begin(), a->floats().end())
           : SmallVector<float>();
}

bool NodeContext::hasOutput(unsigned i) const {
  return i < static_cast<unsigned>(node.output_size()) &&
         !node.output(i).empty();
}

void NodeContext::setResult(unsigned i, Value v, OnnxType type) {
  if (!hasOutput(i))
    return;
  ValueEntry &e = importer.define(node.output(i));
  e.value = v;
  e.type = type;
}

void NodeContext::setConstResult(unsigned i, HostTensor t) {
  if (!hasOutput(i))
    return;
  ValueEntry &e = importer.define(node.output(i));
  e.type = t.type;
  e.host = std::move(t);
}

std::optional<HostTensor> NodeContext::readTensor(const onnx::TensorProto &t) {
  return importer.readHostTensor(t);
}

Value NodeContext::tensorConstant(const onnx::TensorProto &t) {
  return importer.weightConstant(t, loc);
}

LogicalResult NodeContext::fail(const Twine &msg) {
  return importer.error("node '" + nodeName(node) + "' (" + node.op_type() +
                        "): " + msg);
}

FailureOr<int64_t> NodeContext::normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1))
    return fail("axis " + Twine(axis) + " is out of range for rank " +
                Twine(rank));
  return axis < 0 ? axis + rank : axis;
}
