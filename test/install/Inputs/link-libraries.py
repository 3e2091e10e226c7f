"""link-libraries.py BUILD_DIR OUTPUT... - the libraries on the link lines.

For each output (bin/romac, ...) prints `OUTPUT: LIB LIB ...`, the file names
of the libraries its Ninja link command names (romac's own static libraries
left out), and exits 1 when a line carries libMLIR.so together with a static
MLIR or LLVM component library (libMLIRIR.a, libLLVMSupport.a, ...): every
symbol would be there twice.
"""

import os
import re
import shlex
import subprocess
import sys


def ninja_program(build_dir):
    with open(os.path.join(build_dir, "CMakeCache.txt")) as cache:
        for line in cache:
            if line.startswith("CMAKE_MAKE_PROGRAM:"):
                return line.split("=", 1)[1].strip()
    return "ninja"


def main():
    build_dir, outputs = sys.argv[1], sys.argv[2:]
    ninja = ninja_program(build_dir)
    status = 0
    for output in outputs:
        commands = subprocess.run(
            [ninja, "-C", build_dir, "-t", "commands", output],
            check=True, capture_output=True, text=True).stdout.splitlines()
        libs = []
        for arg in shlex.split(commands[-1]):
            name = os.path.basename(arg)
            if re.search(r"\.(a|so)(\.[0-9.]+)?$", name) and \
                    not name.startswith("libRomac"):
                if name not in libs:
                    libs.append(name)
        print(output + ": " + " ".join(sorted(libs)))
        shared = any(n.startswith("libMLIR.so") for n in libs)
        static = [n for n in libs if re.match(r"lib(MLIR|LLVM).+\.a$", n)]
        if shared and static:
            print("error: " + output + " links libMLIR.so and " +
                  " ".join(static))
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
