// RUN: romac-opt %s --romac-attach-target | FileCheck %s --check-prefix=DEFAULT
// RUN: romac-opt %s --romac-attach-target=target=romanet-ddr3 | FileCheck %s --check-prefix=NAMED
// RUN: not romac-opt %s --romac-attach-target=target=bad:name 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not romac-opt %s --romac-attach-target=target=no-such-npu 2>&1 | FileCheck %s --check-prefix=UNKNOWN

// An existing target is replaced, other module attributes are kept. The
// target's description travels in the attribute, key for key as in its YAML
// file (targets/romanet-ddr3.yaml), numbers typed.
// DEFAULT: module attributes {romac.target = #romac.target<"edge-npu-lpddr4", {compute = {bytes_per_element = {input = 1 : i64, output = 1 : i64, weight = 1 : i64}, cols = 32 : i64, frequency_mhz = 800 : i64, mac_energy_pj = 3.150000e-01 : f64, mac_energy_pj_by_precision = {w4a16 = 3.150000e-01 : f64, w4a8 = 2.100000e-01 : f64, w8a16 = 5.250000e-01 : f64, w8a8 = 3.150000e-01 : f64}, rows = 32 : i64, skips_zero_operands = false}, {{.*}}name = "edge-npu-lpddr4", power = {dfs_switch_us = 10 : i64, static_power_mw = 60 : i64}}>, test.keep = 1 : i32}
// NAMED: module attributes {romac.target = #romac.target<"romanet-ddr3", {
// NAMED-SAME: dram = {address_mapping = "romanet", {{.*}}standard = "DDR3", {{.*}}timing = {CL = 11 : i64,
// NAMED-SAME: memories = [{bandwidth_bytes_per_cycle = {{[^,]+}}, bytes = "{{[0-9]+}}KiB", holds = ["input"], name = "{{[A-Za-z]+}}"
// NAMED-SAME: name = "romanet-ddr3"}>, test.keep = 1 : i32}
// BAD: error: romac-attach-target: invalid target name 'bad:name'
// UNKNOWN: error: romac-attach-target: error: unknown target 'no-such-npu' (available: {{.*}}romanet-ddr3{{.*}})
module attributes {romac.target = #romac.target<"old">, test.keep = 1 : i32} {
  func.func @main(%a: tensor<4xf32>) -> tensor<4xf32> {
    return %a : tensor<4xf32>
  }
}
