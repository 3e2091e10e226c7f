// The intermediate is also read by a concat (no workload): it must reach DRAM.
func.func @net(%x: tensor<1x32x56x56xf32> {onnx.name = "image"}, %w1: tensor<32x32x3x3xf32> {onnx.name = "w1"},
               %w2: tensor<32x32x3x3xf32> {onnx.name = "w2"}) -> tensor<1x64x56x56xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x32x56x56xf32> to tensor<1x32x58x58xf32> loc("conv1")
  %e = tensor.empty() : tensor<1x32x56x56xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x32x56x56xf32>) -> tensor<1x32x56x56xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%p, %w1 : tensor<1x32x58x58xf32>, tensor<32x32x3x3xf32>) outs(%init : tensor<1x32x56x56xf32>) -> tensor<1x32x56x56xf32> loc("conv1")
  %p2 = tensor.pad %c low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x32x56x56xf32> to tensor<1x32x58x58xf32> loc("conv2")
  %c2 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%p2, %w2 : tensor<1x32x58x58xf32>, tensor<32x32x3x3xf32>) outs(%init : tensor<1x32x56x56xf32>) -> tensor<1x32x56x56xf32> loc("conv2")
  %cat = tensor.concat dim(1) %c, %c2 : (tensor<1x32x56x56xf32>, tensor<1x32x56x56xf32>) -> tensor<1x64x56x56xf32> loc("cat")
  return %cat : tensor<1x64x56x56xf32>
}
