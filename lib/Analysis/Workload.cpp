//===- Workload.cpp - loop-nest description of one layer --------*- C++ -*-===//
//
// Part of romac, under the Apache License v2.0 with LLVM Exceptions.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "romac/Analysis/Workload.h"
#include "romac/Support/Error.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include <cctype>
#include <numeric>

using namespace romac;
using llvm::StringRef;

//===----------------------------------------------------------------------===//
// Small helpers
//===----------------------------------------------------------------------===//

std::optional<OpKind> romac::getConvOpKind(OpKind variant,
                                           unsigned spatialDims) {
  if (spatialDims < 1 || spatialDims > 3)
    return std::nullopt;
  unsigned offset = spatialDims - 1;
  switch (variant) {
  case OpKind::Conv2d:
    return OpKind(unsigned(OpKind::Conv1d) + offset);
  case OpKind::DepthwiseConv2d:
    return OpKind(unsigned(OpKind::DepthwiseConv1d) + offset);
  case OpKind::GroupedConv2d:
    return OpKind(unsigned(OpKind::GroupedConv1d) + offset);
  default:
    return std::nullopt;
  }
}

int64_t IndexExpr::getCoeff(unsigned dim) const {
  for (const AffineTerm &term : terms)
    if (term.dim == dim)
      return term.coeff;
  return 0;
}

bool Operand::isIndexedBy(unsigned dim) const {
  return llvm::any_of(projection,
                      [&](const IndexExpr &e) { return e.getCoeff(dim) != 0; });
}

llvm::SmallVector<DimComponent, 4>
Operand::getDimComponents(unsigned numDims) const {
  // Union-find over tensor dims joined by a shared loop dim.
  size_t rank = projection.size();
  llvm::SmallVector<unsigned, 4> parent(rank);
  std::iota(parent.begin(), parent.end(), 0u);
  auto find = [&](unsigned x) {
    while (parent[x] != x)
      x = parent[x] = parent[parent[x]];
    return x;
  };
  llvm::SmallVector<int, 8> owner(numDims, -1);
  for (auto [j, expr] : llvm::enumerate(projection))
    for (const AffineTerm &term : expr.terms) {
      if (owner[term.dim] < 0)
        owner[term.dim] = j;
      else
        parent[find(j)] = find(owner[term.dim]);
    }
  llvm::SmallVector<DimComponent, 4> components;
  llvm::SmallVector<int, 4> componentOf(rank, -1);
  for (unsigned j = 0; j < rank; ++j) {
    unsigned root = find(j);
    if (componentOf[root] < 0) {
      componentOf[root] = components.size();
      components.emplace_back();
    }
    components[componentOf[root]].tensorDims.push_back(j);
  }
  for (unsigned d = 0; d < numDims; ++d)
    if (owner[d] >= 0)
      components[componentOf[find(owner[d])]].loopDims.push_back(d);
  return components;
}

std::optional<int64_t> Workload::getTouchedElements(unsigned o) const {
  const Operand &op = operands[o];
  constexpr int64_t kMaxPoints = int64_t(1) << 24;
  int64_t total = 1;
  for (const DimComponent &c : op.getDimComponents(dims.size())) {
    // Walk every point of the component's loop dims (an odometer) and mark
    // the tensor index tuple it reaches, when inside the tensor.
    int64_t points = 1, cells = 1;
    for (unsigned d : c.loopDims) {
      points *= dims[d].bound;
      if (points > kMaxPoints)
        return std::nullopt;
    }
    for (unsigned t : c.tensorDims) {
      cells *= op.extent[t];
      if (cells > kMaxPoints * 16)
        return std::nullopt;
    }
    std::vector<bool> touched(static_cast<size_t>(cells), false);
    llvm::SmallVector<int64_t, 4> at(c.loopDims.size(), 0);
    int64_t count = 0;
    for (int64_t p = 0; p < points; ++p) {
      int64_t cell = 0;
      bool inside = true;
      for (unsigned t : c.tensorDims) {
        const IndexExpr &e = op.projection[t];
        int64_t index = e.constant;
        for (const AffineTerm &term : e.terms) {
          auto pos = llvm::find(c.loopDims, term.dim) - c.loopDims.begin();
          index += term.coeff * at[pos];
        }
        if (index < 0 || index >= op.extent[t]) {
          inside = false;
          break;
        }
        cell = cell * op.extent[t] + index;
      }
      if (inside && !touched[cell]) {
        touched[cell] = true;
        ++count;
      }
      for (size_t k = 0; k < at.size(); ++k) {
        if (++at[k] < dims[c.loopDims[k]].bound)
          break;
        at[k] = 0;
      }
    }
    total *= count;
  }
  return total;
}

int64_t Workload::getCompulsoryDramBytes() const {
  // Per distinct tensor (name and shape) the largest touched count.
  llvm::SmallVector<std::pair<unsigned, int64_t>, 4> tensors;
  for (unsigned o = 0; o < operands.size(); ++o) {
    std::optional<int64_t> n = getTouchedElements(o);
    if (!n)
      continue;
    int64_t bytes = operands[o].getStorageBytes(*n);
    auto same = llvm::find_if(tensors, [&](const auto &t) {
      const Operand &a = operands[t.first], &b = operands[o];
      return !a.tensor.empty() && a.tensor == b.tensor && a.extent == b.extent;
    });
    if (same == tensors.end())
      tensors.push_back({o, bytes});
    else
      same->second = std::max(same->second, bytes);
  }
  int64_t total = 0;
  for (const auto &t : tensors)
    total += t.second;
  return total;
}

int64_t Operand::getNumElements() const {
  int64_t n = 1;
  for (int64_t e : extent)
    n *= e;
  return n;
}

int64_t Operand::getStorageBytes(int64_t elements) const {
  // In 128 bits, saturated at INT64_MAX like the search's products.
  __int128 bytes =
      storageBits16
          ? (static_cast<__int128>(elements) * storageBits16 + 127) / 128
          : static_cast<__int128>(elements) * bytesPerElement;
  return bytes > INT64_MAX ? INT64_MAX : static_cast<int64_t>(bytes);
}

/// Prints a signed 64-bit magnitude without negating INT64_MIN.
static std::string absString(int64_t v) {
  uint64_t mag = v < 0 ? 0 - static_cast<uint64_t>(v) : v;
  return llvm::utostr(mag);
}

//===----------------------------------------------------------------------===//
// Verification
//===----------------------------------------------------------------------===//

llvm::Error Workload::verify() const {
  std::string where = "workload '" + name + "'";
  llvm::StringSet<> dimNames;
  int64_t iterations = 1;
  for (const LoopDim &dim : dims) {
    if (dim.name.empty())
      return makeLayerError(name, where + ": a loop dim has an empty name");
    if (!dimNames.insert(dim.name).second)
      return makeLayerError(name,
                            where + ": duplicate loop dim '" + dim.name + "'");
    if (dim.bound <= 0)
      return makeLayerError(name, where + ": loop dim '" + dim.name +
                                      "' has bound " + llvm::Twine(dim.bound) +
                                      ", expected > 0");
    if (llvm::MulOverflow(iterations, dim.bound, iterations))
      return makeLayerError(name, where + ": iteration count overflows int64");
  }

  llvm::StringSet<> operandNames;
  for (const Operand &op : operands) {
    std::string opWhere = where + ", operand '" + op.name + "'";
    if (op.name.empty())
      return makeLayerError(name, where + ": an operand has an empty name");
    if (!operandNames.insert(op.name).second)
      return makeLayerError(name,
                            where + ": duplicate operand '" + op.name + "'");
    if (op.bytesPerElement <= 0)
      return makeLayerError(name, opWhere + ": bytes per element is " +
                                      llvm::Twine(op.bytesPerElement) +
                                      ", expected > 0");
    if (op.projection.size() != op.extent.size())
      return makeLayerError(name, opWhere + ": projection has " +
                                      llvm::Twine(op.projection.size()) +
                                      " dims but the extent has " +
                                      llvm::Twine(op.extent.size()));
    int64_t bytes = op.bytesPerElement;
    for (auto [i, e] : llvm::enumerate(op.extent)) {
      if (e <= 0)
        return makeLayerError(
            name, opWhere + ": extent of tensor dim " + llvm::Twine(i) +
                      " is " + llvm::Twine(e) + ", expected a static size > 0");
      if (llvm::MulOverflow(bytes, e, bytes))
        return makeLayerError(
            name, opWhere + ": tensor size in bytes overflows int64");
    }
    for (auto [i, expr] : llvm::enumerate(op.projection)) {
      std::string exprWhere = opWhere + ", tensor dim " + std::to_string(i);
      llvm::SmallVector<bool, 8> seen(dims.size(), false);
      // Bounds of the index over the whole iteration space; every partial
      // sum the cost model forms lies between them.
      int64_t lo = std::min<int64_t>(expr.constant, 0);
      int64_t hi = std::max<int64_t>(expr.constant, 0);
      for (const AffineTerm &term : expr.terms) {
        if (term.dim >= dims.size())
          return makeLayerError(name, exprWhere + ": term names loop dim #" +
                                          llvm::Twine(term.dim) +
                                          " but there are only " +
                                          llvm::Twine(dims.size()));
        const LoopDim &dim = dims[term.dim];
        if (term.coeff == 0)
          return makeLayerError(name, exprWhere + ": loop dim '" + dim.name +
                                          "' has a zero coefficient");
        if (seen[term.dim])
          return makeLayerError(name, exprWhere + ": loop dim '" + dim.name +
                                          "' occurs twice");
        seen[term.dim] = true;
        if (op.role == OperandRole::ReadWrite &&
            dim.kind == LoopKind::Reduction)
          return makeLayerError(name, exprWhere +
                                          ": read-write operand is indexed by "
                                          "reduction dim '" +
                                          dim.name + "'");
        int64_t span;
        if (llvm::MulOverflow(term.coeff, dim.bound - 1, span))
          return makeLayerError(name,
                                exprWhere + ": index range overflows int64");
        int64_t &end = span < 0 ? lo : hi;
        if (llvm::AddOverflow(end, span, end))
          return makeLayerError(name,
                                exprWhere + ": index range overflows int64");
      }
    }
  }
  return llvm::Error::success();
}

std::optional<unsigned> Workload::findDim(llvm::StringRef dimName) const {
  for (auto [i, dim] : llvm::enumerate(dims))
    if (dim.name == dimName)
      return i;
  return std::nullopt;
}

std::optional<unsigned> Workload::findOperand(llvm::StringRef opName) const {
  for (auto [i, op] : llvm::enumerate(operands))
    if (op.name == opName)
      return i;
  return std::nullopt;
}

int64_t Workload::getIterationCount() const {
  int64_t n = 1;
  for (const LoopDim &dim : dims)
    n *= dim.bound;
  return n;
}

//===----------------------------------------------------------------------===//
// Projection strings
//===----------------------------------------------------------------------===//

/// Prints `expr`, naming dim `d` with `dimName(d)`.
template <typename NameFn>
static std::string printExpr(const IndexExpr &expr, NameFn dimName) {
  std::string out;
  if (expr.terms.size() == 1 && expr.terms[0].coeff == 1 && expr.constant == 0)
    return dimName(expr.terms[0].dim);
  if (expr.terms.empty())
    return std::to_string(expr.constant);
  for (auto [i, term] : llvm::enumerate(expr.terms)) {
    if (term.coeff < 0)
      out += "-";
    else if (i > 0)
      out += "+";
    out += dimName(term.dim) + "*" + absString(term.coeff);
  }
  if (expr.constant != 0)
    out += (expr.constant < 0 ? "-" : "+") + absString(expr.constant);
  return out;
}

std::string Workload::projectionString(const IndexExpr &expr) const {
  return printExpr(expr, [&](unsigned d) {
    return d < dims.size() ? dims[d].name : "#" + std::to_string(d);
  });
}

std::string Workload::projectionString(unsigned operand,
                                       unsigned tensorDim) const {
  return projectionString(operands[operand].projection[tensorDim]);
}

llvm::Expected<IndexExpr> Workload::parseProjection(llvm::StringRef str) const {
  auto fail = [&](const llvm::Twine &why) {
    return makeStringError("invalid projection '" + str + "': " + why);
  };
  IndexExpr expr;
  StringRef rest = str.trim();
  if (rest.empty())
    return fail("empty expression");
  bool first = true;
  while (!rest.empty()) {
    bool negative = false;
    if (rest.consume_front("-"))
      negative = true;
    else if (!rest.consume_front("+") && !first)
      return fail("expected '+' or '-' before '" + rest + "'");
    first = false;
    rest = rest.ltrim();
    size_t len = rest.find_first_of("+-*");
    StringRef atom = rest.substr(0, len).rtrim();
    rest = rest.substr(std::min(len, rest.size()));
    if (atom.empty())
      return fail("missing term");
    if (std::isdigit(static_cast<unsigned char>(atom.front()))) {
      int64_t value;
      if (atom.getAsInteger(10, value))
        return fail("bad integer '" + atom + "'");
      if (negative)
        value = -value;
      if (llvm::AddOverflow(expr.constant, value, expr.constant))
        return fail("constant overflows int64");
      continue;
    }
    std::optional<unsigned> dim = findDim(atom);
    if (!dim)
      return fail("unknown loop dim '" + atom + "'");
    int64_t coeff = 1;
    if (rest.consume_front("*")) {
      rest = rest.ltrim();
      size_t end = rest.find_first_of("+-");
      StringRef num = rest.substr(0, end).rtrim();
      rest = rest.substr(std::min(end, rest.size()));
      if (num.getAsInteger(10, coeff))
        return fail("bad coefficient '" + num + "'");
    }
    if (coeff == 0)
      return fail("zero coefficient for '" + atom + "'");
    if (expr.getCoeff(*dim) != 0)
      return fail("loop dim '" + atom + "' occurs twice");
    expr.terms.push_back({*dim, negative ? -coeff : coeff});
    rest = rest.ltrim();
  }
  return expr;
}

//===----------------------------------------------------------------------===//
// Keys and printing
//===----------------------------------------------------------------------===//

std::string Workload::getCanonicalKey() const {
  std::string key;
  llvm::raw_string_ostream os(key);
  os << "dims[";
  llvm::interleave(
      dims, os,
      [&](const LoopDim &d) {
        os << d.bound << (d.kind == LoopKind::Parallel ? 'p' : 'r');
      },
      ",");
  os << "]";
  if (macFraction != 1)
    os << "m" << llvm::format("%.17g", macFraction);
  for (const Operand &op : operands) {
    os << (op.role == OperandRole::Read ? "|r" : "|rw") << op.bytesPerElement;
    if (op.storageBits16)
      os << "s" << op.storageBits16;
    os << "[";
    llvm::interleave(
        op.projection, os,
        [&](const IndexExpr &e) {
          IndexExpr sorted = e;
          llvm::sort(sorted.terms,
                     [](const AffineTerm &a, const AffineTerm &b) {
                       return a.dim < b.dim;
                     });
          os << printExpr(sorted, [](unsigned d) {
            return "d" + std::to_string(d) + "*1";
          });
        },
        ",");
    os << "]{";
    llvm::interleave(op.extent, os, ",");
    os << "}";
  }
  return key;
}

uint64_t Workload::getCanonicalHash() const {
  return llvm::xxh3_64bits(StringRef(getCanonicalKey()));
}

std::string Workload::str() const {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << "workload '" << name << "' (" << stringifyOpKind(op) << ")\n  dims:";
  for (const LoopDim &d : dims)
    os << " " << d.name << "=" << d.bound
       << (d.kind == LoopKind::Parallel ? "" : "(r)");
  os << "\n";
  for (const Operand &o : operands) {
    os << "  " << o.name << " '" << o.tensor << "' "
       << stringifyOperandRole(o.role) << " " << o.bytesPerElement << "B";
    if (o.storageBits16)
      os << " (stored " << o.storageBits16 / 16.0 << " bits)";
    os << " [";
    llvm::interleaveComma(o.projection, os, [&](const IndexExpr &e) {
      os << projectionString(e);
    });
    os << "] extent [";
    llvm::interleaveComma(o.extent, os);
    os << "]\n";
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Factories
//===----------------------------------------------------------------------===//

namespace {
/// Builds a workload dim by dim and operand by operand.
struct Builder {
  Workload w;
  unsigned dim(StringRef name, int64_t bound, LoopKind kind) {
    w.dims.push_back({name.str(), bound, kind});
    return w.dims.size() - 1;
  }
  Operand &operand(StringRef name, StringRef tensor, OperandRole role,
                   int64_t bytes) {
    Operand op;
    op.name = name.str();
    op.tensor = tensor.str();
    op.role = role;
    op.bytesPerElement = bytes;
    w.operands.push_back(std::move(op));
    return w.operands.back();
  }
  llvm::Expected<Workload> finish() {
    if (llvm::Error err = w.verify())
      return std::move(err);
    return std::move(w);
  }
};

IndexExpr term(unsigned d) { return IndexExpr{{{d, 1}}, 0}; }
IndexExpr window(unsigned p, int64_t stride, unsigned r, int64_t dilation,
                 int64_t pad) {
  return IndexExpr{{{p, stride}, {r, dilation}}, -pad};
}
IndexExpr blocked(unsigned outer, int64_t block, unsigned inner) {
  return IndexExpr{{{outer, block}, {inner, 1}}, 0};
}
} // namespace

llvm::Expected<Workload> Workload::conv2d(const Conv2dSpec &s) {
  std::string where = "conv2d '" + s.name + "'";
  for (auto [v, what] : {std::pair{s.n, "n"},
                         {s.c, "c"},
                         {s.h, "h"},
                         {s.w, "w"},
                         {s.k, "k"},
                         {s.r, "r"},
                         {s.s, "s"},
                         {s.strideH, "strideH"},
                         {s.strideW, "strideW"},
                         {s.dilationH, "dilationH"},
                         {s.dilationW, "dilationW"},
                         {s.groups, "groups"}})
    if (v <= 0)
      return makeStringError(where + ": " + what + " is " + llvm::Twine(v) +
                             ", expected > 0");
  for (int64_t pad : {s.padTop, s.padLeft, s.padBottom, s.padRight})
    if (pad < 0)
      return makeStringError(where + ": negative padding");
  if (s.c % s.groups || s.k % s.groups)
    return makeStringError(where + ": groups " + llvm::Twine(s.groups) +
                           " does not divide channels " + llvm::Twine(s.c) +
                           " -> " + llvm::Twine(s.k));
  // Output size along one axis; -1 when the arithmetic overflows.
  auto outSize = [&](int64_t in, int64_t padA, int64_t padB, int64_t kernel,
                     int64_t dil, int64_t stride) -> int64_t {
    int64_t span, total;
    if (llvm::MulOverflow(dil, kernel - 1, span) ||
        llvm::AddOverflow(in, padA, total) ||
        llvm::AddOverflow(total, padB, total) ||
        llvm::SubOverflow(total, span, total))
      return -1;
    // `total` is now the number of valid window start positions.
    return total <= 0 ? 0 : (total - 1) / stride + 1;
  };
  int64_t p = outSize(s.h, s.padTop, s.padBottom, s.r, s.dilationH, s.strideH);
  int64_t q = outSize(s.w, s.padLeft, s.padRight, s.s, s.dilationW, s.strideW);
  if (p <= 0 || q <= 0)
    return makeStringError(where + ": empty output (" + llvm::Twine(p) + " x " +
                           llvm::Twine(q) +
                           "); the kernel does not fit the padded "
                           "input");

  Builder b;
  b.w.name = s.name;
  const LoopKind par = LoopKind::Parallel, red = LoopKind::Reduction;
  // The input is read through sliding windows in H and W.
  auto addWindows = [&](Operand &in, unsigned n, IndexExpr chan, unsigned dp,
                        unsigned dq, unsigned dr, unsigned ds) {
    in.projection = {term(n), std::move(chan),
                     window(dp, s.strideH, dr, s.dilationH, s.padTop),
                     window(dq, s.strideW, ds, s.dilationW, s.padLeft)};
    in.extent = {s.n, s.c, s.h, s.w};
  };

  if (s.groups == 1) {
    b.w.op = OpKind::Conv2d;
    unsigned n = b.dim("N", s.n, par), k = b.dim("K", s.k, par),
             c = b.dim("C", s.c, red), dp = b.dim("P", p, par),
             dq = b.dim("Q", q, par), dr = b.dim("R", s.r, red),
             ds = b.dim("S", s.s, red);
    Operand &in =
        b.operand("input", s.inputTensor, OperandRole::Read, s.inputBytes);
    addWindows(in, n, term(c), dp, dq, dr, ds);
    Operand &wt =
        b.operand("weight", s.weightTensor, OperandRole::Read, s.weightBytes);
    wt.projection = {term(k), term(c), term(dr), term(ds)};
    wt.extent = {s.k, s.c, s.r, s.s};
    Operand &out = b.operand("output", s.outputTensor, OperandRole::ReadWrite,
                             s.outputBytes);
    out.projection = {term(n), term(k), term(dp), term(dq)};
    out.extent = {s.n, s.k, p, q};
    return b.finish();
  }

  if (s.groups == s.c) {
    b.w.op = OpKind::DepthwiseConv2d;
    int64_t mult = s.k / s.c;
    unsigned n = b.dim("N", s.n, par), c = b.dim("C", s.c, par);
    std::optional<unsigned> m;
    if (mult > 1)
      m = b.dim("M", mult, par);
    unsigned dp = b.dim("P", p, par), dq = b.dim("Q", q, par),
             dr = b.dim("R", s.r, red), ds = b.dim("S", s.s, red);
    IndexExpr outChan = m ? blocked(c, mult, *m) : term(c);
    Operand &in =
        b.operand("input", s.inputTensor, OperandRole::Read, s.inputBytes);
    addWindows(in, n, term(c), dp, dq, dr, ds);
    Operand &wt =
        b.operand("weight", s.weightTensor, OperandRole::Read, s.weightBytes);
    wt.projection = {outChan, IndexExpr{}, term(dr), term(ds)};
    wt.extent = {s.k, 1, s.r, s.s};
    Operand &out = b.operand("output", s.outputTensor, OperandRole::ReadWrite,
                             s.outputBytes);
    out.projection = {term(n), outChan, term(dp), term(dq)};
    out.extent = {s.n, s.k, p, q};
    return b.finish();
  }

  b.w.op = OpKind::GroupedConv2d;
  int64_t cg = s.c / s.groups, kg = s.k / s.groups;
  unsigned n = b.dim("N", s.n, par), g = b.dim("G", s.groups, par),
           k = b.dim("K", kg, par), c = b.dim("C", cg, red),
           dp = b.dim("P", p, par), dq = b.dim("Q", q, par),
           dr = b.dim("R", s.r, red), ds = b.dim("S", s.s, red);
  Operand &in =
      b.operand("input", s.inputTensor, OperandRole::Read, s.inputBytes);
  addWindows(in, n, blocked(g, cg, c), dp, dq, dr, ds);
  Operand &wt =
      b.operand("weight", s.weightTensor, OperandRole::Read, s.weightBytes);
  wt.projection = {blocked(g, kg, k), term(c), term(dr), term(ds)};
  wt.extent = {s.k, cg, s.r, s.s};
  Operand &out = b.operand("output", s.outputTensor, OperandRole::ReadWrite,
                           s.outputBytes);
  out.projection = {term(n), blocked(g, kg, k), term(dp), term(dq)};
  out.extent = {s.n, s.k, p, q};
  return b.finish();
}

llvm::Expected<Workload> Workload::depthwiseConv2d(Conv2dSpec spec) {
  spec.groups = spec.c;
  return conv2d(spec);
}

llvm::Expected<Workload> Workload::matmul(int64_t m, int64_t n, int64_t k,
                                          int64_t bytes, llvm::StringRef name) {
  Builder b;
  b.w.name = name.str();
  b.w.op = OpKind::Matmul;
  unsigned dm = b.dim("M", m, LoopKind::Parallel),
           dn = b.dim("N", n, LoopKind::Parallel),
           dk = b.dim("K", k, LoopKind::Reduction);
  Operand &a = b.operand("input", "A", OperandRole::Read, bytes);
  a.projection = {term(dm), term(dk)};
  a.extent = {m, k};
  Operand &w = b.operand("weight", "B", OperandRole::Read, bytes);
  w.projection = {term(dk), term(dn)};
  w.extent = {k, n};
  Operand &c = b.operand("output", "C", OperandRole::ReadWrite, bytes);
  c.projection = {term(dm), term(dn)};
  c.extent = {m, n};
  return b.finish();
}

llvm::Expected<Workload> Workload::batchMatmul(int64_t batch, int64_t m,
                                               int64_t n, int64_t k,
                                               int64_t bytes,
                                               llvm::StringRef name) {
  Builder b;
  b.w.name = name.str();
  b.w.op = OpKind::BatchMatmul;
  unsigned db = b.dim("B", batch, LoopKind::Parallel),
           dm = b.dim("M", m, LoopKind::Parallel),
           dn = b.dim("N", n, LoopKind::Parallel),
           dk = b.dim("K", k, LoopKind::Reduction);
  Operand &l = b.operand("lhs", "A", OperandRole::Read, bytes);
  l.projection = {term(db), term(dm), term(dk)};
  l.extent = {batch, m, k};
  Operand &r = b.operand("rhs", "B", OperandRole::Read, bytes);
  r.projection = {term(db), term(dk), term(dn)};
  r.extent = {batch, k, n};
  Operand &c = b.operand("output", "C", OperandRole::ReadWrite, bytes);
  c.projection = {term(db), term(dm), term(dn)};
  c.extent = {batch, m, n};
  return b.finish();
}
