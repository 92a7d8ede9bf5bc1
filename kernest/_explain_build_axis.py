"""A user's ``build()`` that sizes a nested part from the wrong axis of its shape argument: ``steps =
input_shape[1]`` then ``keras.Input((steps,))`` for a head that ``call()`` feeds the flattened window (steps x
features). Keras says only that the head's first layer expected one width and received another; the reader finds
the ``input_shape[k]`` in ``build()`` that gave the expected width, the expression over the same shape that gives
the width received (another axis, or the product of the axes after the batch), and prints the user's statement
with it."""

from __future__ import annotations

import ast
import inspect
import re
from typing import Any

from kernest._axes import format_shape
from kernest._errors import Mismatch
from kernest._explain_custom import _call_args, locate, user_method
from kernest._explain_settings import _constructed
from kernest._lint import _parsed_function

_EXPECTED = re.compile(r"expected axis -?\d+ of input shape to have value (\d+), but received input with shape "
                       r"\(([^)]*)\)")


def _index(node: ast.Subscript) -> int | None:
    idx = node.slice
    if isinstance(idx, ast.UnaryOp) and isinstance(idx.op, ast.USub) and isinstance(idx.operand, ast.Constant):
        return -idx.operand.value if isinstance(idx.operand.value, int) else None
    return idx.value if isinstance(idx, ast.Constant) and isinstance(idx.value, int) else None


def _giving(shape: tuple[Any, ...], arg: str, width: int) -> str | None:
    """An expression over ``arg`` (the shape) that gives ``width``: one axis, or the product of the axes after
    the batch (what a Flatten gives)."""
    rank = len(shape)
    axes = [j for j in range(1, rank) if shape[j] == width]
    if len(axes) == 1:
        return f"{arg}[{-1 if axes[0] == rank - 1 else axes[0]}]"
    sizes = shape[1:]
    product = 1
    for size in sizes:
        product = product * size if isinstance(size, int) else -1
    if rank > 2 and product == width:
        return " * ".join(f"{arg}[{j}]" for j in range(1, rank))
    return None


def build_sizes_from_the_wrong_axis(case: Any) -> Mismatch | None:
    """A nested part made in a user's build() from ``input_shape[k]`` fails on its first layer's width, and
    another axis of the same shape (or the product of the axes after the batch) gives the width received."""
    where = user_method(case.exc)
    m = _EXPECTED.search(case.message)
    if where is None or m is None:
        return None
    owner = where.layer
    build: Any = type(owner).__dict__.get("build")
    parsed = _parsed_function(build) if build is not None else None
    node = parsed[0] if parsed is not None else None
    given = [t for t in _call_args(case.exc, owner) if len(getattr(t, "shape", ())) >= 2]
    if parsed is None or node is None or len(node.args.args) < 2 or not given:
        return None
    expected = int(m.group(1))
    received = [d.strip() for d in m.group(2).split(",") if d.strip()]
    if not received or not received[-1].isdigit():
        return None
    width, shape, arg = int(received[-1]), tuple(given[0].shape), node.args.args[1].arg
    text, first = parsed[1], inspect.getsourcelines(build)[1]
    for stmt in (s for s in ast.walk(node) if isinstance(s, ast.Assign)):
        for sub in (n for n in ast.walk(stmt.value) if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name)
                    and n.value.id == arg):
            k = _index(sub)
            if k is None or not -len(shape) <= k < len(shape) or shape[k] != expected:
                continue
            right = _giving(shape, arg, width)
            if right is None:
                continue
            written = ast.get_source_segment(text, stmt) or ""
            wrong = ast.unparse(sub)
            fixed = written.replace(wrong, right, 1)
            line = first + stmt.lineno - 1
            failing = _constructed(case.exc, "__call__") or owner
            path = case.path(failing.name) if case.frames else locate(case, failing)[0]
            return Mismatch(
                path, case.interface(failing.name) if case.frames else f"{owner.name} -> {failing.name}",
                f"(batch, ..., {expected})", f"(batch, {width})",
                f"{type(owner).__name__}.build sizes {_part(path, owner, failing)} from {wrong} = {expected} (`{written}`, line {line}), but "
                f"call() gives it {width} values per sample, which is {right} of the same shape "
                f"{format_shape((None, *shape[1:]))}. Write `{fixed}`.",
            )
    return None


def _part(path: str, owner: Any, failing: Any) -> str:
    """The part of ``owner`` that holds the failing layer (``head`` in ``forecaster/head/hidden``)'s input."""
    parts = path.split("/")
    below = parts[parts.index(owner.name) + 1:] if owner.name in parts else []
    return f"{below[0]}'s input" if below else f"{failing.name}'s input"


def dict_of_shapes_in_build(case: Any, where: Any, arg: str, k: int, shapes: dict[str, Any]) -> Mismatch | None:
    """``input_shape[-1]`` in the build() of a layer called on a dict of tensors: Keras gives build the dict of
    their shapes, so the index is looked up as a key. The size is read by key: the input the weight multiplies, or,
    where call() concatenates the inputs by key, the sum of their sizes."""
    layer = where.layer
    sizes = {key: (tuple(shape)[k] if -len(tuple(shape)) <= k < len(tuple(shape)) else None)
             for key, shape in shapes.items()}
    parsed = _parsed_function(type(layer).__dict__.get("call"))
    joined: list[str] = []
    for node in ast.walk(parsed[0]) if parsed is not None else ():
        if isinstance(node, ast.Call) and ast.unparse(node.func).split(".")[-1] in ("concatenate", "concat", "cat"):
            keys = [sub.slice.value for sub in ast.walk(node) if isinstance(sub, ast.Subscript)
                    and isinstance(sub.slice, ast.Constant) and sub.slice.value in shapes]
            if set(keys) == set(shapes):
                joined = keys
    read = f"{arg}[{k}]"
    if joined:
        size = " + ".join(f'{arg}["{key}"][{k}]' for key in joined)
        why = (f"{type(layer).__name__}.call concatenates {', '.join(joined)}, so the weight meets "
               f"{sum(sizes[j] or 0 for j in joined)} values")
    else:
        key = _key_beside_weight(parsed[0] if parsed is not None else None, where.text, shapes) or next(
            (key for key, n in sizes.items() if n is not None), next(iter(shapes)))
        size, why = f'{arg}["{key}"][{k}]', "read the size from one input's shape, by its key"
    fixed = where.text.replace(read, size, 1)
    listed = "{" + ", ".join(f'"{key}": {format_shape(tuple(shape))}' for key, shape in shapes.items()) + "}"
    path, _ = locate(case, layer)
    return Mismatch(
        path, f"{', '.join(shapes)} -> {layer.name}", f"{arg}[\"key\"] (a dict of shapes)", f"{arg} = {listed}",
        f"{layer.name} is called on a dict of {len(shapes)} tensors, so {type(layer).__name__}.build gets the dict of "
        f"their shapes, {arg} = {listed}, and `{read}` looks up the key {k}. {why[0].upper()}{why[1:]}: `{fixed}`.",
    )


def _key_beside_weight(call: ast.AST | None, built: str, shapes: dict[str, Any]) -> str | None:
    """The key of the input that call() uses in the statement that uses the weight ``built`` makes
    (``ops.matmul(d["signal"], self.k)``)."""
    m = re.match(r"\s*self\.(\w+)\s*=", built)
    if call is None or m is None:
        return None
    for stmt in (n for n in ast.walk(call) if isinstance(n, (ast.Assign, ast.Return, ast.Expr))):
        if not any(isinstance(a, ast.Attribute) and a.attr == m.group(1) for a in ast.walk(stmt)):
            continue
        keys = [sub.slice.value for sub in ast.walk(stmt) if isinstance(sub, ast.Subscript)
                and isinstance(sub.slice, ast.Constant) and sub.slice.value in shapes]
        if keys:
            return str(keys[0])
    return None
