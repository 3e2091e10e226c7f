// ort_session.js - what the onnxruntime halves of the benches share
// (ort_bench.js, ort_keyframe.js): loading onnxruntime-node and the session
// options, so that every comparison runs onnxruntime the same way.

'use strict';

/// onnxruntime-node, found through NODE_PATH; fail(message) when missing.
function loadOnnxruntime(fail) {
  try {
    return require('onnxruntime-node');
  } catch (e) {
    fail(`cannot load onnxruntime-node (set NODE_PATH): ${e.message}`);
  }
}

/// `threads` intra-op threads, one inter-op thread, sequential execution,
/// all graph optimisations.
function sessionOptions(threads) {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
}

module.exports = { loadOnnxruntime, sessionOptions };
