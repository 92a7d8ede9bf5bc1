"""CLI commands for inspecting nested models: ``summary``, ``plot`` and ``diff``. Parsing only; the work
is done by ``kernest.summary``, ``kernest.plot`` and ``kernest.diff``."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Iterable
from typing import Any

from kernest.cli import int_at_least

TARGET_HELP = "a .keras file, module:function, a Python script that builds a model, or script.py:NAME"
SCRIPT_TIMEOUT = 120.0  # seconds; a script's fit() runs one step, so only a hand-written training loop takes long
IMPORT_HELP = "import MODULE first, e.g. the one that registers the custom layers of a .keras file (repeatable)"


def add_import_option(parser: argparse.ArgumentParser) -> None:
    """``--import MODULE`` (repeatable), read by ``import_modules(args.imports)``, and ``--timeout SECONDS``."""
    parser.add_argument("--import", dest="imports", action="append", default=[], metavar="MODULE", help=IMPORT_HELP)
    parser.add_argument("--timeout", type=float, default=SCRIPT_TIMEOUT, metavar="SECONDS",
                        help=f"stop a script that runs longer than this and use the model it built (default "
                             f"{SCRIPT_TIMEOUT:g})")


def import_modules(names: Iterable[str]) -> None:
    """Import each module (from the current folder too), so that the layers it registers can be loaded."""
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError as err:
            from kernest._errors import KernestError

            raise KernestError(
                f"--import {name}: cannot import it ({err}). Give a module name as you would write it after "
                "`import` (e.g. mypackage.layers), and run from the folder that holds it."
            ) from None


def _load(spec: str, args: argparse.Namespace) -> Any:
    from kernest._target import load_target

    import_modules(args.imports)
    return load_target(spec, safe_mode=not args.unsafe, timeout=args.timeout)


def _cmd_summary(args: argparse.Namespace) -> int:
    from kernest._summary import summary

    result = summary(_load(args.target, args), depth=args.depth, filter=args.filter)
    print(result.to_json() if args.json else str(result), end="" if not args.json else "\n")
    return 0


def _cmd_plot(args: argparse.Namespace) -> int:
    from kernest._plot import plot

    written = plot(_load(args.target, args), args.output, depth=args.depth)
    print(f"wrote {written}")
    return 0


def _cmd_diff(args: argparse.Namespace) -> int:
    from kernest._diff import diff

    result = diff(_load(args.a, args), _load(args.b, args))
    print(result.to_json() if args.json else str(result), end="" if not args.json else "\n")
    return 0


def register(subparsers: Any) -> None:
    """Add ``summary``, ``plot`` and ``diff`` to the ``kernest`` command's subparsers."""
    p = subparsers.add_parser("summary", help="every nested model and layer, with shapes and params")
    p.add_argument("target", help=TARGET_HELP)
    p.add_argument("--depth", type=int_at_least(1), help="show rows down to this depth (1 = the model's own layers)")
    p.add_argument("--filter", help="only paths matching this path or glob, e.g. 'per_word/**'")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.add_argument("--unsafe", action="store_true", help="load a .keras file without Keras safe mode")
    add_import_option(p)
    p.set_defaults(func=_cmd_summary)

    p = subparsers.add_parser("plot", help="draw the nesting as a PNG or SVG picture")
    p.add_argument("target", help=TARGET_HELP)
    p.add_argument("-o", "--output", required=True, help="the picture to write: FILE.png or FILE.svg")
    p.add_argument("--depth", type=int_at_least(1),
                   help="draw every layer down to this depth (default: the submodels and the model's own layers)")
    p.add_argument("--unsafe", action="store_true", help="load a .keras file without Keras safe mode")
    add_import_option(p)
    p.set_defaults(func=_cmd_plot)

    p = subparsers.add_parser("diff", help="paths added, removed or changed between two models")
    p.add_argument("a", help=TARGET_HELP)
    p.add_argument("b", help=TARGET_HELP)
    p.add_argument("--json", action="store_true", help="print the changes as JSON")
    p.add_argument("--unsafe", action="store_true", help="load .keras files without Keras safe mode")
    add_import_option(p)
    p.set_defaults(func=_cmd_diff)
