# -*- Python -*-
# lit configuration for romac's FileCheck tests.

import os
import shutil

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "ROMAC"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.romac_obj_root, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%romac_src_root", config.romac_src_root))
config.substitutions.append(("%romac_obj_root", config.romac_obj_root))
if os.path.exists(os.path.join(config.romac_obj_root, "build.ninja")):
    config.available_features.add("ninja-build")
config.substitutions.append(("%models", os.path.join(config.romac_src_root, "models")))
# The rest of the execution matrix (test/e2e/run-matrix-*-full.test: the tiny
# UNet and text encoder, and every CNN, with every target's schedule; many
# minutes of LLVM compiles) runs only with ROMAC_FULL_MATRIX=1 or
# `lit --param romac_full_matrix=1`.
if lit_config.params.get("romac_full_matrix") or os.environ.get("ROMAC_FULL_MATRIX"):
    config.available_features.add("romac-full-matrix")
config.substitutions.append(("%python", "/usr/bin/python3"))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
# romac run keeps compiled models in its artefact cache: the tests use one of
# their own, emptied at the start of every lit run (not the user's).
romac_cache = os.path.join(config.romac_obj_root, "test", "romac-cache")
shutil.rmtree(romac_cache, ignore_errors=True)
config.environment["ROMAC_CACHE_DIR"] = romac_cache
llvm_config.use_default_substitutions()

tool_dirs = [config.romac_tools_dir, config.llvm_tools_dir]
tools = [
    ToolSubst("romac", unresolved="fatal"),
    ToolSubst("romac-opt", unresolved="fatal"),
    ToolSubst("romac-translate", unresolved="fatal"),
    ToolSubst("romac-tensor-tool", unresolved="fatal"),
]
llvm_config.add_tool_substitutions(tools, tool_dirs)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.romac_tools_dir, append_path=True)
