#!/usr/bin/python3
"""check-sizes.py [--list] [--root DIR] - size limits of romac's sources (issue #10).

In lib/, tools/, test/lib/ and bench/: no .cpp over 1,000 lines and no function over
150 lines, unless this file names it in ALLOWED with the reason. Functions are
found with a brace matcher (top-level definitions and member functions defined
in a class body or out of line): good enough for LLVM-style code, whose
function bodies open with '{' at the end of the signature line.

Exit status 1 and one line per violation when a limit is exceeded; --list
prints the largest files and functions.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIRS = ["lib", "tools", "test/lib", "bench"]
MAX_FILE_LINES = 1000
MAX_FUNCTION_LINES = 150
# "path" or "path:function" -> why it may exceed a limit.
ALLOWED = {}

SIGNATURE = re.compile(
    r"^(?P<indent>\s*)(?!(?:if|for|while|switch|return|else|do|case)\b)"
    r"[\w:<>,*&~\s\[\]]*?(?P<name>[~\w:]+(?:<[^()]*>)?|operator\S+)\s*\([^;]*$")


def functions(path):
    """Yields (name, first line, length) of every function body in path."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        m = SIGNATURE.match(lines[i])
        if not m or lines[i].lstrip().startswith(("//", "#")):
            i += 1
            continue
        # Find the line that opens the body: the signature may wrap.
        j = i
        while j < len(lines) and j < i + 12 and not lines[j].rstrip().endswith("{"):
            if lines[j].rstrip().endswith(";"):
                break
            j += 1
        if j >= len(lines) or not lines[j].rstrip().endswith("{"):
            i += 1
            continue
        depth = 0
        k = j
        while k < len(lines):
            code = re.sub(r'"(\\.|[^"\\])*"|\'(\\.|[^\'\\])*\'|//.*', "", lines[k])
            depth += code.count("{") - code.count("}")
            if depth <= 0:
                break
            k += 1
        name = m.group("name")
        if name not in ("namespace", "struct", "class", "enum", "union"):
            yield name, i + 1, k - i + 1
        i = j + 1 if name in ("struct", "class") else k + 1


def main():
    global ROOT
    listing = "--list" in sys.argv
    if "--root" in sys.argv:
        ROOT = os.path.abspath(sys.argv[sys.argv.index("--root") + 1])
    problems, sizes, funcs = [], [], []
    for d in DIRS:
        for dirpath, _, files in os.walk(os.path.join(ROOT, d)):
            for f in files:
                if not f.endswith(".cpp"):
                    continue
                path = os.path.join(dirpath, f)
                rel = os.path.relpath(path, ROOT)
                with open(path, encoding="utf-8") as fh:
                    n = sum(1 for _ in fh)
                sizes.append((n, rel))
                if n > MAX_FILE_LINES and rel not in ALLOWED:
                    problems.append(f"{rel}: {n} lines (limit {MAX_FILE_LINES})")
                for name, line, length in functions(path):
                    funcs.append((length, f"{rel}:{line} {name}"))
                    key = f"{rel}:{name}"
                    if length > MAX_FUNCTION_LINES and key not in ALLOWED:
                        problems.append(f"{rel}:{line}: function {name} is "
                                        f"{length} lines (limit {MAX_FUNCTION_LINES})")
    if listing:
        print("largest files:")
        for n, rel in sorted(sizes, reverse=True)[:10]:
            print(f"  {n:5d} {rel}")
        print("largest functions:")
        for n, where in sorted(funcs, reverse=True)[:10]:
            print(f"  {n:5d} {where}")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
