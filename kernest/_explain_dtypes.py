"""Float types that do not agree inside a user's layer under a mixed precision policy (``mixed_float16``,
``mixed_bfloat16``): Keras casts a layer's inputs to its compute dtype, but a tensor the layer makes itself in
``call`` (``ops.arange(n, dtype="float32")``, ``tf.constant(..., tf.float32)``) keeps the type written, and
TensorFlow refuses to add or multiply a float16 tensor and a float32 one. The fix is the user's statement with
the layer's own compute dtype in place of the type written."""

from __future__ import annotations

import ast
import re
from typing import Any

import keras

from kernest._errors import Mismatch
from kernest._explain_boundary import user_class
from kernest._explain_protocol import _inputs_of_call, _method, _outer_path, _producer, _selves

# TensorFlow's words for the two sides ("half" is float16, "float" float32), graph and eager
_CLASH = re.compile(r"has type (?:b?float\d+|half|float) that does not match type (?:b?float\d+|half|float)|"
                    r"was expected to be a \w+ tensor but is a \w+ tensor|"
                    r"expected m1 and m2 to have the same dtype|expected scalar type \w+ but found \w+")
_FLOAT32 = {"float32", "float"}


def dtype_failure(case: Any) -> Mismatch | None:
    """A float16/float32 clash inside a user's layer while a mixed policy is set: the statements of its ``call``
    that write float32 as a dtype, rewritten with ``self.compute_dtype``; a cast where none is written."""
    policy = keras.config.dtype_policy().name
    if not _CLASH.search(case.message) or not policy.startswith("mixed_"):
        return None
    layer = next((s for s in reversed(_selves(case.exc)) if isinstance(s, keras.layers.Layer)
                  and user_class(type(s))), None)
    if layer is None:
        return None
    cls = type(layer).__name__
    compute = layer.compute_dtype
    call = _method(type(layer), "call")
    written = _float32_statements(call) if call is not None else []
    inputs = _inputs_of_call(case.exc, layer)
    producer = _producer(inputs[0]) if inputs else None
    head = (f"the policy is {policy}, so Keras runs {cls} in {compute} and casts its inputs to {compute}, but a tensor "
            f"made inside {cls}.call keeps the type it is given, and {compute} and float32 tensors do not mix")
    if written:
        rewrites = "; ".join(f"`{old}` -> `{new}`" for old, new in written)
        fix = f"{head}. Make it in the layer's compute dtype: in {cls}.call {rewrites}."
    else:
        fix = (f"{head}. Cast what {cls}.call makes before it meets the input: "
               f"keras.ops.cast(t, self.compute_dtype) (or make it with dtype=self.compute_dtype).")
    return Mismatch(_outer_path(case, layer), f"{producer or 'input'} -> {layer.name}",
                    f"tensors of one float type ({compute} under {policy})", "float32 made inside call", fix)


def _float32_statements(call: ast.FunctionDef) -> list[tuple[str, str]]:
    """``(statement, rewritten)`` for each statement of ``call`` that gives float32 as a dtype (a ``dtype=``
    keyword, or the dtype argument of a cast): the type written replaced by ``self.compute_dtype``."""
    out = []
    for stmt in (n for n in ast.walk(call) if isinstance(n, (ast.Assign, ast.AugAssign, ast.Return, ast.Expr))):
        if not _writes_float32(stmt):
            continue
        new = _Rewrite().visit(ast.parse(ast.unparse(stmt)))
        out.append((ast.unparse(stmt), ast.unparse(new)))
    return out


def _is_float32(node: ast.expr) -> bool:
    """``"float32"``, ``tf.float32``, ``np.float32``, ``"float"``."""
    if isinstance(node, ast.Constant):
        return node.value in _FLOAT32
    return isinstance(node, ast.Attribute) and node.attr == "float32"


def _dtype_args(call: ast.Call) -> list[ast.expr]:
    """The dtype a call is given: its ``dtype=`` keyword, or the second argument of a cast."""
    found = [k.value for k in call.keywords if k.arg == "dtype"]
    name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
    if name in ("cast", "convert_to_tensor", "constant") and len(call.args) >= 2:
        found.append(call.args[1])
    return found


def _writes_float32(stmt: ast.AST) -> bool:
    return any(_is_float32(d) for c in ast.walk(stmt) if isinstance(c, ast.Call) for d in _dtype_args(c))


class _Rewrite(ast.NodeTransformer):
    """float32 given as a dtype becomes ``self.compute_dtype``."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        for k in node.keywords:
            if k.arg == "dtype" and _is_float32(k.value):
                k.value = ast.parse("self.compute_dtype", mode="eval").body
        if len(node.args) >= 2 and any(d is node.args[1] for d in _dtype_args(node)) and _is_float32(node.args[1]):
            node.args[1] = ast.parse("self.compute_dtype", mode="eval").body
        return node
