# onnxruntime_node.sh - sourced by the bench scripts that drive onnxruntime
# (run_bench.sh, zoom_bench.sh).
#
# use_onnxruntime_node BUILD NAME: installs npm onnxruntime-node into
# BUILD/bench-npm on first use (`npm install --ignore-scripts`: the package
# carries its own CPU library, nothing is built) and exports NODE_PATH so
# that node finds it. NAME prefixes the progress line; the caller's die()
# reports a failure. The bench may download npm packages; romac never
# downloads anything.
use_onnxruntime_node() {
  local npm_dir=$1/bench-npm name=$2
  if [[ ! -f $npm_dir/node_modules/onnxruntime-node/package.json ]]; then
    command -v npm >/dev/null || die "npm is missing: apt-get install npm"
    echo "$name: installing onnxruntime-node into $npm_dir (npm, --ignore-scripts)" >&2
    mkdir -p "$npm_dir"
    npm install --ignore-scripts --no-audit --no-fund --prefix "$npm_dir" onnxruntime-node >&2 ||
      die "npm install onnxruntime-node failed"
  fi
  export NODE_PATH=$npm_dir/node_modules
}
