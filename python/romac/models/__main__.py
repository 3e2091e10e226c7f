"""Command line of the model zoo.

    python3 -m romac.models list
    python3 -m romac.models export --model sd2-inpainting --out DIR [--variant full|light|tiny]
                                   [--opset 14|17] [--seed N] [--components unet,...] [--reference]
    python3 -m romac.models export-all --out DIR [--variants light,tiny] [--models a,b]
                                       [--opset 14|17] [--seed N] [--reference]

``--reference`` (full variant): also write ``test_data_set_0/{input,output}_N.pb``, the example
inputs and torch's outputs on the same seeded weights (fp32, one thread), the reference for
``romac run --check``. The tiny variant always has one; light models have no weights.

Threads: ``ROMAC_THREADS`` (default: up to 2).

Bad input (unknown model or variant, bad opset, unwritable output) prints one line on
stderr and exits with status 2; nothing is left half-written.
"""

import argparse
import os
import sys
import time

PROG = "romac.models"


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        _fail(message)


def _fail(message, code=2):
    sys.stderr.write(f"{PROG}: error: {message}\n")
    sys.exit(code)


def _csv(text):
    return [t.strip() for t in text.split(",") if t.strip()]


def _int(name):
    def parse(text):
        try:
            return int(text, 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be an integer, got {text!r}")

    return parse


def build_parser():
    p = _Parser(prog=f"python3 -m {PROG}", description="Export the romac model zoo to ONNX.")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    sub.add_parser("list", help="list the models and their variants")

    e = sub.add_parser("export", help="export one model")
    e.add_argument("--model", required=True, help="model name (see `list`)")
    e.add_argument("--out", required=True, help="output folder (created if missing)")
    e.add_argument("--variant", default="full", help="full (default), light or tiny")
    e.add_argument("--opset", type=_int("--opset"), default=None, help="ONNX opset: 14 (default) or 17")
    e.add_argument("--seed", type=_int("--seed"), default=None, help="weight/input seed (default 0)")
    e.add_argument("--components", type=_csv, default=None,
                   help="sd2-inpainting only: comma-separated subset of "
                        "text_encoder,unet,vae_encoder,vae_decoder")
    e.add_argument("--reference", action="store_true",
                   help="full variant: also write test_data_set_0 with torch's outputs")
    e.add_argument("--quiet", action="store_true", help="no progress lines")

    a = sub.add_parser("export-all", help="export every model in the given variants")
    a.add_argument("--out", required=True, help="output folder: OUT/<model>/<variant>/")
    a.add_argument("--variants", type=_csv, default=["light", "tiny"],
                   help="comma-separated variants (default light,tiny); models lacking a variant skip it")
    a.add_argument("--models", type=_csv, default=None, help="comma-separated models (default all)")
    a.add_argument("--opset", type=_int("--opset"), default=None, help="ONNX opset: 14 (default) or 17")
    a.add_argument("--seed", type=_int("--seed"), default=None, help="weight/input seed (default 0)")
    a.add_argument("--reference", action="store_true",
                   help="add test_data_set_0 with torch's outputs to the full exports")
    a.add_argument("--quiet", action="store_true", help="no progress lines")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.command is None:
        _fail("missing command (list, export or export-all)")

    from . import registry as reg

    if args.command == "list":
        for info in reg.MODELS.values():
            print(f"{info.name:16} {','.join(info.variants):16} {info.description}")
        return 0

    opset = reg.DEFAULT_OPSET if args.opset is None else args.opset
    seed = reg.DEFAULT_SEED if args.seed is None else args.seed
    if seed < 0:
        _fail(f"--seed must be >= 0, got {seed}")
    try:  # validate before importing torch (fast errors)
        if args.command == "export":
            reg.check_request(args.model, args.variant, opset, args.components, args.reference)
        else:
            reg.check_all_request(args.variants, args.models, opset, args.reference)
    except reg.ExportError as e:
        _fail(str(e))

    from . import export as ex
    log = (lambda s: None) if args.quiet else (lambda s: print(f"{PROG}: {s}", file=sys.stderr, flush=True))

    import torch

    threads = os.environ.get("ROMAC_THREADS", "")
    torch.set_num_threads(int(threads) if threads.isdigit() and int(threads) > 0 else max(1, min(2, os.cpu_count() or 1)))
    start = time.time()
    try:
        if args.command == "export":
            entries = ex.export_model(
                args.model, args.out, args.variant, opset, seed, args.components, log=log,
                reference=args.reference,
            )
            log(f"wrote {', '.join(entries)} to {args.out} in {time.time() - start:.1f}s")
        else:
            done = ex.export_all(
                args.out, args.variants, args.models, opset, seed, log=log, reference=args.reference
            )
            log(f"wrote {len(done)} exports to {args.out} in {time.time() - start:.1f}s")
    except ex.ExportError as e:
        _fail(str(e))
    except MemoryError:
        _fail("out of memory while exporting", code=1)
    except OSError as e:
        _fail(f"{e.strerror or e}: {e.filename or args.out}", code=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
