// A model as `romac import` writes it (locations name the ONNX nodes) with
// one op the code generation does not lower: `linalg.softmax` (the importer
// writes Softmax as element-wise generics and reductions, so no ONNX model
// reaches it today). Used by run-unsupported-op.test.
func.func @main(%x: tensor<2x8xf32> {onnx.name = "x"}) -> (tensor<2x8xf32> {onnx.name = "y"}) {
  %e = tensor.empty() : tensor<2x8xf32> loc("/attn/Softmax")
  %y = linalg.softmax dimension(1) ins(%x : tensor<2x8xf32>) outs(%e : tensor<2x8xf32>) -> tensor<2x8xf32> loc("/attn/Softmax")
  return %y : tensor<2x8xf32>
}
