"""Calls of ``keras.ops`` in a user's layer that fail on the sizes they are given, read from the failing frame.

An ``einsum`` whose operands give one subscript two sizes (keras-hub's Llama attention with 6
query heads over 4 key/value heads: ``einsum("bquh,bkuh->buqk", query, key)`` reads ``u`` as 6 and 4). Each backend
words it its own way (TensorFlow's batch matmul "must have compatible batch dimensions", PyTorch's "subscript u has
size 4 for operand 1", JAX's dot_general); the user's line says which operands and which subscript. The answer reads
the operands' shapes from the failing frame and, where the layer's config holds both sizes, names those settings.

A ``reshape`` whose target holds another number of values than its operand (keras-cv's SegFormer attention reshapes
its tokens to a square grid of side ``int(sqrt(tokens))``, which PyTorch runs while the model is built): the layout
answers of ``kernest._explain_layout`` on the operand's and the target's sizes."""

from __future__ import annotations

import ast
import linecache
import math
from typing import Any

import keras

from kernest._errors import Mismatch
from kernest._explain_args import _statement_at
from kernest._explain_layout import positions_fix, square_grid_fix
from kernest._lint_setup import _resolve
from kernest._trace import user_frames


def _value(node: ast.AST, scope: dict[str, Any]) -> Any:
    """The value of a name, an attribute chain or a number in ``scope``; None for any other expression (nothing is
    run)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        return -node.operand.value  # type: ignore[operator]
    return _resolve(node, scope)


def _calls_of(statement: str, name: str) -> list[ast.Call]:
    try:
        tree = ast.parse(statement)
    except SyntaxError:
        return []
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and ast.unparse(n.func).split(".")[-1] == name]


def _einsum_calls(statement: str) -> list[ast.Call]:
    return [n for n in _calls_of(statement, "einsum")
            if n.args and isinstance(n.args[0], ast.Constant) and isinstance(n.args[0].value, str)]


def _frames(case: Any) -> list[tuple[Any, str, dict[str, Any]]]:
    """The user's frames of the failure, deepest first: (frame, its statement, its names)."""
    out = []
    for frame in reversed(user_frames(case.exc)):
        file, line = frame.f_code.co_filename, frame.f_lineno
        out.append((frame, _statement_at(file, line, linecache.getline(file, line).strip()),
                    {**frame.f_globals, **frame.f_locals}))
    return out


def _conflict(spec: str, shapes: list[tuple[int, ...]]) -> tuple[str, list[tuple[int, int]]] | None:
    """The first subscript the operands give two sizes (sizes of 1 broadcast), with (operand, size) for each."""
    inputs = spec.replace(" ", "").split("->")[0].split(",")
    if "." in spec or len(inputs) != len(shapes) or any(len(s) != len(sh) for s, sh in zip(inputs, shapes, strict=True)):
        return None
    seen: dict[str, list[tuple[int, int]]] = {}
    for k, (letters, shape) in enumerate(zip(inputs, shapes, strict=True)):
        for letter, size in zip(letters, shape, strict=True):
            seen.setdefault(letter, []).append((k, size))
    for letter, sizes in seen.items():
        distinct = {s for _, s in sizes if s not in (1, None)}
        if len(distinct) > 1:
            return letter, sizes
    return None


def einsum_failure(case: Any) -> Mismatch | None:
    """The answer for an einsum in the user's code whose operands disagree on a subscript's size."""
    for frame, text, scope in _frames(case):
        for call in _einsum_calls(text):
            operands = [(ast.unparse(a), _value(a, scope)) for a in call.args[1:]]
            if not operands or any(not hasattr(v, "shape") for _, v in operands):
                continue
            shapes = [tuple(int(d) if d is not None else None for d in v.shape) for _, v in operands]
            spec = call.args[0].value  # type: ignore[attr-defined]
            found = _conflict(spec, shapes)  # type: ignore[arg-type]
            if found is None:
                continue
            return _answer(case, frame, spec, operands, shapes, *found)
    return None


def _answer(case: Any, frame: Any, spec: str, operands: list[tuple[str, Any]], shapes: list[Any], letter: str,
            sizes: list[tuple[int, int]]) -> Mismatch:
    (i, a), (j, b) = sizes[0], next((k, s) for k, s in sizes if s not in (1, None, sizes[0][1]))
    first, second = operands[i][0], operands[j][0]
    owner = frame.f_locals.get("self")
    layer = owner if isinstance(owner, keras.layers.Layer) else None
    where = (f"{type(layer).__name__}.call ({layer.name})" if layer is not None else frame.f_code.co_name)
    fix = (f"{where}, line {frame.f_lineno}: einsum(\"{spec}\", {', '.join(n for n, _ in operands)}) reads subscript "
           f"{letter} as {a} in {first} {_shape(shapes[i])} and as {b} in {second} {_shape(shapes[j])}; einsum takes one "
           f"size per subscript.")
    settings = _settings(layer, a, b)
    if settings:
        fix += (f" {a} and {b} are {layer.name}'s {settings[0]} and {settings[1]} (its config): choose values for which "  # type: ignore[union-attr]
                f"{first} and {second} get the same size on {letter}, as the call's arithmetic between them requires.")
    else:
        fix += (f" Make {second} give {a} on that axis as {first} does (or, if they are different axes, give them "
                "different subscripts).")
    path = case.failure.path if case.failure is not None else (layer.name if layer is not None else where)
    return Mismatch(str(path), f"{first} x {second} -> einsum", f"{letter} = {a} in both", f"{letter} = {a} and {b}",
                    fix)


def reshape_failure(case: Any) -> Mismatch | None:
    """The answer for ``keras.ops.reshape(x, (...))`` in the user's code whose target cannot hold ``x``'s values,
    where the target's sizes are names, attributes or numbers (``(B, H, W, C)``) and the sizes say the fix: a square
    grid of the wrong side, or positions counted for another input size. Other reshapes go to the other readers."""
    for frame, text, scope in _frames(case):
        for call in _calls_of(text, "reshape"):
            if len(call.args) != 2 or not isinstance(call.args[1], (ast.Tuple, ast.List)):
                continue
            value = _value(call.args[0], scope)
            sizes = [_value(e, scope) for e in call.args[1].elts]
            if not hasattr(value, "shape") or any(s is None for s in sizes):
                continue
            try:
                given, target = tuple(int(d) for d in value.shape), tuple(int(s) for s in sizes)
            except (TypeError, ValueError):
                continue
            n, known = math.prod(given), math.prod(s for s in target if s != -1)
            if (n == known if -1 not in target else known and n % known == 0):
                continue
            lead = 1 if given[:1] == target[:1] else 0  # both keep the batch axis first
            name = ast.unparse(call.args[0])
            layer = frame.f_locals.get("self")
            where = f"{type(layer).__name__}.call ({layer.name})" if isinstance(layer, keras.layers.Layer) else \
                frame.f_code.co_name
            said = square_grid_fix(name, given[lead:], target[lead:]) or positions_fix(name, given[lead:], target[lead:])
            if said is None:  # no fix read from the sizes: the readers of a written batch size and others answer
                continue
            shown, wanted = (("batch", *given[1:]), ("batch", *target[1:])) if lead else (given, target)
            per = given[0] if lead and given[0] else 1  # values per sample where both keep the batch
            fix = f"{where}, line {frame.f_lineno}: {ast.unparse(call)} reshapes {name} {_shape(shown)}: {said}"
            path = case.failure.path if case.failure is not None else where
            return Mismatch(str(path), f"{name} -> reshape", f"{known // per} values {_shape(wanted)}",
                            f"{n // per} values {_shape(shown)}", fix)
    return None


def _settings(layer: Any, a: int, b: int) -> tuple[str, str] | None:
    """The config entries of ``layer`` that hold ``a`` and ``b`` (one each), as ``name=value``."""
    try:
        config = layer.get_config() if layer is not None else {}
    except Exception:  # a user's get_config that cannot run says nothing here
        return None
    first = [k for k, v in config.items() if v == a and isinstance(v, int) and not isinstance(v, bool)]
    second = [k for k, v in config.items() if v == b and isinstance(v, int) and not isinstance(v, bool)]
    if len(first) != 1 or len(second) != 1:
        return None
    return f"{first[0]}={a}", f"{second[0]}={b}"


def _shape(shape: tuple[Any, ...]) -> str:
    return "(" + ", ".join("?" if d is None else str(d) for d in shape) + ")"
