"""Portability lints: a user's call() that runs on the current backend but fails on another, read from its code.

JAX and PyTorch run a layer's call() on tensors of a known batch, and PyTorch runs fit eagerly; TensorFlow builds
the model with the batch unknown (None) and traces call() to train, and JAX traces it too. Two mistakes pass
unseen where the model was checked and fail where it is moved:

- the batch size read from the static shape, ``x.shape[0]`` (a Python number on JAX/PyTorch, None where
  TensorFlow builds the model): ``keras.ops.reshape(x, (x.shape[0], -1, d))`` fails there. ``-1`` or
  ``keras.ops.shape(x)[0]`` (known when it runs) works everywhere. A static axis (``x.shape[-1]``) is fine.
- a Python ``if`` / ``while`` on a tensor's values (PyTorch only: the tensor has a value eagerly), which cannot
  be True or False while TensorFlow or JAX traces call(). ``keras.ops.where`` / ``keras.ops.cond`` work everywhere.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from typing import Any

import keras

# calls whose result is a tensor's metadata (a Python value on every backend), not its values
_METADATA_CALLS = {"len", "isinstance", "hasattr", "callable", "type", "shape", "ndim", "dtype", "is_tensor",
                   "standardize_dtype", "is_keras_tensor", "getattr"}
_METADATA_ATTRS = {"shape", "ndim", "dtype", "name"}
_BACKENDS = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}


def _user_calls(model: Any) -> Iterator[tuple[str, Any, ast.FunctionDef, str, int, Any]]:
    """``(path, layer, def, text, first line, function)`` for the ``call`` of each user class in ``model`` (the
    model's own too, at its name), once per class, at its first path."""
    from kernest._lint import _parsed_function, users_classes

    seen: set[type] = set()
    for path, layer in users_classes(model):
        fn = type(layer).__dict__.get("call")
        parsed = _parsed_function(fn) if fn is not None and type(layer) not in seen else None
        seen.add(type(layer))
        if fn is not None and parsed is not None:
            yield path or model.name, layer, parsed[0], parsed[1], inspect.getsourcelines(fn)[1], fn


def _tensor_params(fdef: ast.FunctionDef) -> set[str]:
    """The parameters of call() that receive tensors: the positional ones without a default, and ``mask``;
    ``training`` and settings with a default value (``scale=1.0``) are not tensors."""
    args = fdef.args.args[1:]  # not self
    defaults = dict(zip([a.arg for a in args][len(args) - len(fdef.args.defaults):], fdef.args.defaults))
    out = {a.arg for a in args if a.arg not in defaults and a.arg != "training"}
    return out | ({"mask"} if "mask" in defaults or any(a.arg == "mask" for a in fdef.args.kwonlyargs) else set())


def _reads_tensor(node: ast.AST, tensors: set[str]) -> bool:
    """Whether ``node`` reads the values of a tensor in ``tensors``: not through its shape, rank or dtype
    (``x.shape[-1]``, ``len(x)``, ``ops.shape(x)``), nor an ``is None`` test."""
    if isinstance(node, ast.Call):
        func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if func in _METADATA_CALLS:
            return False
    if isinstance(node, ast.Attribute) and node.attr in _METADATA_ATTRS:
        return False
    if isinstance(node, ast.Compare) and all(isinstance(op, (ast.Is, ast.IsNot)) for op in node.ops):
        return False
    if isinstance(node, ast.Name):
        return node.id in tensors
    return any(_reads_tensor(child, tensors) for child in ast.iter_child_nodes(node))


def _tensors_in(fdef: ast.FunctionDef) -> set[str]:
    """call()'s tensor parameters and the names assigned from their values, in order of the statements."""
    tensors = _tensor_params(fdef)
    for node in sorted((n for n in ast.walk(fdef) if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign))),
                       key=lambda n: n.lineno):
        value = node.value
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if value is not None and _reads_tensor(value, tensors):
            tensors |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return tensors


def _batched(fdef: ast.FunctionDef) -> set[str]:
    """The names in call() that hold the batch axis first for sure: the tensor parameters and the outputs of
    the layer's own sub-layers (``h = self.proj(x)``). A transposed or reshaped tensor is left out."""
    names = _tensor_params(fdef) - {"mask"}
    for node in ast.walk(fdef):
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Attribute)
                and isinstance(node.value.func.value, ast.Name) and node.value.func.value.id == "self"):
            names.add(node.targets[0].id)
    return names


def _static_batch_reads(fdef: ast.FunctionDef) -> list[tuple[ast.stmt, ast.AST, str]]:
    """``(statement, node, tensor)`` for each read of a batched tensor's static batch size: ``x.shape[0]``, or
    the first name of ``b, t, d = x.shape``. A comparison (``x.shape[0] is None``) is a guard, not a use."""
    batched = _batched(fdef)
    guarded = {id(c) for n in ast.walk(fdef) if isinstance(n, ast.Compare)
               for part in [n.left, *n.comparators] for c in ast.walk(part)}
    read = {n.id for n in ast.walk(fdef) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    found: list[tuple[ast.stmt, ast.AST, str]] = []
    for stmt in ast.walk(fdef):
        if not isinstance(stmt, (ast.Assign, ast.Return, ast.Expr, ast.AugAssign)):
            continue
        if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Tuple)
                and isinstance(stmt.value, ast.Attribute) and stmt.value.attr == "shape"
                and isinstance(stmt.value.value, ast.Name) and stmt.value.value.id in batched):
            first = stmt.targets[0].elts[0] if stmt.targets[0].elts else None
            if isinstance(first, ast.Name) and first.id in read:  # b, t, d = x.shape, and b is used
                found.append((stmt, stmt.value, stmt.value.value.id))
            continue
        for node in ast.walk(stmt):
            if (isinstance(node, ast.Subscript) and id(node) not in guarded and isinstance(node.value, ast.Attribute)
                    and node.value.attr == "shape" and isinstance(node.value.value, ast.Name)
                    and node.value.value.id in batched and isinstance(node.slice, ast.Constant)
                    and node.slice.value == 0):
                found.append((stmt, node, node.value.value.id))
    return sorted(found, key=lambda f: (f[0].lineno, getattr(f[1], "col_offset", 0)))


def _batch_fixed(stmt: ast.stmt, node: ast.AST, tensor: str, text: str, ops: str) -> tuple[str, bool]:
    """The statement with the static batch size replaced: ``-1`` as the first size of a reshape that has no
    other ``-1``, else ``ops.shape(x)[0]`` (``ops.shape(x)`` for an unpacked ``x.shape``); and whether it is -1."""
    seg = ast.get_source_segment(text, stmt) or ast.unparse(stmt)
    old = ast.get_source_segment(text, node) or ast.unparse(node)
    if isinstance(node, ast.Attribute):  # b, t, d = x.shape
        return seg.replace(old, f"{ops}shape({tensor})", 1), False
    for call in ast.walk(stmt):
        if (isinstance(call, ast.Call) and getattr(call.func, "attr", getattr(call.func, "id", "")) == "reshape"
                and len(call.args) == 2 and isinstance(call.args[1], (ast.Tuple, ast.List))
                and call.args[1].elts and call.args[1].elts[0] is node
                and not any(isinstance(e, ast.UnaryOp) and ast.unparse(e) == "-1" for e in call.args[1].elts)):
            return seg.replace(old, "-1", 1), True
    return seg.replace(old, f"{ops}shape({tensor})[0]", 1), False


def static_batch_reads(layer: Any) -> tuple[list[str], list[str], int, bool] | None:
    """The reads of the static batch size in ``layer``'s own call() (``x.shape[0]``, ``b, t, d = x.shape``): as
    written, each statement rewritten to take the size when call() runs (with its line), the first line, and
    whether a rewrite puts -1 in a reshape.
    None where call() reads none (or its source cannot be read)."""
    from kernest._lint import _parsed_function
    from kernest._lint_gradient import spelled

    fn = type(layer).__dict__.get("call")
    parsed = _parsed_function(fn) if fn is not None else None
    reads = _static_batch_reads(parsed[0]) if parsed is not None else []
    if fn is None or parsed is None or not reads:
        return None
    text, first = parsed[1], inspect.getsourcelines(fn)[1]
    ops = spelled(fn, keras.ops, "keras.ops") + "."
    written = list(dict.fromkeys(ast.get_source_segment(text, n) or ast.unparse(n) for _, n, _ in reads))
    rewritten = [(_batch_fixed(s, n, t, text, ops), first + s.lineno - 1) for s, n, t in reads]
    fixes = list(dict.fromkeys(f"`{fixed}` (line {line})" for (fixed, _), line in rewritten))
    return written, fixes, first + reads[0][0].lineno - 1, any(minus for (_, minus), _ in rewritten)


def _static_batch_findings(model: Any) -> list[Any]:
    from kernest._lint import Finding

    backend = keras.backend.backend()
    inputs = list(getattr(model, "inputs", None) or [])
    if backend == "tensorflow" or (inputs and all(getattr(t, "shape", (None,))[0] is not None for t in inputs)):
        return []  # TensorFlow built it (the batch was known), or every input fixes the batch size
    out = []
    for path, layer, _, _, _, _ in _user_calls(model):
        found = static_batch_reads(layer)
        if found is None:
            continue
        written, fixes, line, minus_one = found
        out.append(Finding(
            path, f"{layer.name} -> batch size",
            f"{type(layer).__name__}.call reads the batch size from the static shape ({', '.join(written)}, line "
            f"{line}): {_BACKENDS.get(backend, backend)} runs call() on tensors of a known batch, so it works here, "
            "but TensorFlow builds the model with the batch unknown, where that size is None, and the model fails "
            "there.",
            f"take the batch size when call() runs: {'; '.join(fixes)}"
            + (" (-1 lets the reshape keep the batch axis)." if minus_one else "."),
        ))
    return out


def _block_of(fdef: ast.FunctionDef, stmt: ast.stmt) -> list[ast.stmt]:
    for node in ast.walk(fdef):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and any(s is stmt for s in block):
                return block
    return []


def _branch_findings(model: Any) -> list[Any]:
    from kernest._lint import Finding
    from kernest._lint_gradient import spelled
    from kernest._runtime import _where_for

    if keras.backend.backend() != "torch":
        return []  # TensorFlow and JAX refuse a Python branch on a tensor when they build the model
    out = []
    for path, layer, fdef, text, first, fn in _user_calls(model):
        tensors = _tensors_in(fdef)
        branches = sorted((n for n in ast.walk(fdef) if isinstance(n, (ast.If, ast.While, ast.IfExp))
                           and _reads_tensor(n.test, tensors)), key=lambda n: n.lineno)
        if not branches:
            continue
        ops = spelled(fn, keras.ops, "keras.ops") + "."
        stmt = branches[0]
        cond = ast.get_source_segment(text, stmt.test) or ast.unparse(stmt.test)
        chosen = _where_for(stmt, _block_of(fdef, stmt), cond, ops) if isinstance(stmt, ast.If) else None
        if isinstance(stmt, ast.IfExp):
            chosen = (f"{ops}where({cond}, {ast.get_source_segment(text, stmt.body) or ast.unparse(stmt.body)}, "
                      f"{ast.get_source_segment(text, stmt.orelse) or ast.unparse(stmt.orelse)})")
        how = (f"write `{chosen}` (line {first + stmt.lineno - 1}): {ops}where picks per element inside the graph "
               f"(use {ops}cond(pred, true_fn, false_fn) to run only one branch)" if chosen is not None else
               f"make the choice a tensor op: {ops}where(condition, a, b) to pick per element, or {ops}cond(pred, "
               "true_fn, false_fn) to run one branch")
        kind = "if" if isinstance(stmt, (ast.If, ast.IfExp)) else "while"
        out.append(Finding(
            path, f"{layer.name} -> Python {kind}",
            f"{type(layer).__name__}.call branches in Python on a tensor's value (`{kind} {cond}`, line "
            f"{first + stmt.lineno - 1}): PyTorch runs it eagerly, so it works here, but TensorFlow and JAX trace "
            "call() with no values, where the condition cannot be True or False, and the model fails there"
            + (f" ({len(branches) - 1} more such branch{'es' if len(branches) > 2 else ''} in this call)."
               if len(branches) > 1 else "."),
            how + ".",
        ))
    return out


def portability_findings(model: Any) -> list[Any]:
    """A user's call() that runs here but fails on another backend: the static batch size (JAX, PyTorch), a
    Python branch on a tensor (PyTorch)."""
    return _static_batch_findings(model) + _branch_findings(model)
