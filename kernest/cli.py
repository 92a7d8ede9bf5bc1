"""The ``kernest`` command. It parses arguments and calls the Python API; nothing else lives here.

Exit codes: 0 success; 1 a model's interfaces do not fit (``check``); 2 bad input or arguments.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

BACKENDS = ("tensorflow", "jax", "torch")


def int_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse ``type``: a whole number of at least ``minimum`` (bad values exit 2 with one line)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def _backend_first(argv: Sequence[str]) -> None:
    """``--backend`` must be set before Keras is imported, so it is read ahead of the full parser."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--backend")
    known, _ = pre.parse_known_args(argv)
    if known.backend is not None:
        if known.backend not in BACKENDS:
            print(f"kernest: error: unknown backend {known.backend!r}; choose one of {', '.join(BACKENDS)}.", file=sys.stderr)
            raise SystemExit(2)
        loaded = sys.modules.get("keras")
        if loaded is not None and loaded.backend.backend() != known.backend:
            # Keras fixes its backend at import; start again with the one asked for.
            env = {**os.environ, "KERAS_BACKEND": known.backend}
            os.execve(sys.executable, [sys.executable, "-m", "kernest", *argv], env)
        os.environ["KERAS_BACKEND"] = known.backend


def _cmd_check(args: argparse.Namespace) -> int:
    from kernest._check import check
    from kernest._cli_inspect import import_modules
    from kernest._errors import InterfaceError
    from kernest._target import load_target

    import_modules(args.imports)
    try:
        model = load_target(args.target, safe_mode=not args.unsafe, timeout=args.timeout)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the report prints them
            report = check(model, depth=args.depth)
    except InterfaceError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(report)
    return 1 if args.strict and report.warnings else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kernest", description="Nested Keras models: check, inspect, change, train.")
    parser.add_argument("--backend", choices=BACKENDS, help="Keras backend (default: KERAS_BACKEND or tensorflow)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("check", help="check every interface of a model; explain a failing build")
    p.add_argument("target", help="a .keras file, module:function, a Python script that builds a model, or script.py:NAME")
    p.add_argument("--unsafe", action="store_true", help="load a .keras file without Keras safe mode")
    p.add_argument("--strict", action="store_true", help="exit 1 on warnings too (a model that builds but misbehaves)")
    p.add_argument("--depth", type=int_at_least(1), default=None,
                   help="list interfaces down to this nesting depth (default: submodel boundaries only)")
    from kernest._cli_inspect import add_import_option

    add_import_option(p)
    p.set_defaults(func=_cmd_check)

    from kernest._startup import quietly

    for module in ("kernest._cli_inspect", "kernest.text._cli"):
        try:
            with quietly():  # the text app imports TensorFlow, also on another backend
                registrar = __import__(module, fromlist=["register"])
        except ImportError:
            continue
        registrar.register(sub)
    return parser


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: Any = None, line: str | None = None) -> None:
    """kernest's own warnings as one line for the user, not as a source location; others as Python shows them."""
    from kernest._errors import KernestWarning

    if issubclass(category, KernestWarning):
        print(f"kernest: warning: {message}", file=sys.stderr)
    else:
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # see kernest._startup, which sets it before Keras loads
    _backend_first(argv)
    from kernest._errors import KernestError

    args = build_parser().parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return int(args.func(args) or 0)
    except KernestError as exc:
        print(f"kernest: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kernest: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
