"""Failures read from how the user wrote a value Keras takes: a weight list for ``set_weights`` shorter or longer than
the layer's variables, a layer size computed as a float (``Conv2D(32 * alpha, 3)``), ``keras.Input(sparse=True)``
under a backend without sparse tensors, and a trainable weight made with an integer dtype. Each reader prints the
user's statement rewritten, in their names, with the numbers of their model."""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from typing import Any

import keras
import numpy as np

from kernest._callsite import constructor_parameters, source_name, value_of
from kernest._errors import Mismatch
from kernest._explain_boundary import _path_in
from kernest._explain_contracts import _calls, _keyword, _script, _statement, _without_keywords
from kernest._explain_custom import first_answer
from kernest._explain_protocol import _locals_of, _outer_path
from kernest._explain_training import _parse, _replace_all
from kernest._graph import layers as _walk


def written_failure(case: Any) -> Mismatch | None:
    """The first of the readers below that recognises the failure, or None."""
    return first_answer(case, (_weight_list_length, _float_size, _sparse_input, _integer_weight))


# --- helpers ------------------------------------------------------------------------------------------------------

def _held_path(case: Any, layer: Any) -> str:
    """``layer``'s path inside the outermost model of the user's variables that holds it (``encoder/proj``), else
    its path among the models of the traceback."""
    paths = [p for v in case.scope.values() if isinstance(v, keras.Model) and v is not layer
             for p in [_path_in(v, layer)] if p is not None]
    return max(paths, key=lambda p: p.count("/")) if paths else _outer_path(case, layer)


def _name_kw(call: ast.Call) -> str | None:
    kw = _keyword(call, "name")
    return kw.value.value if kw is not None and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str) else None


def _made_in(tree: ast.AST, call: ast.Call) -> str | None:
    """The path of the layer ``call`` makes, from the names given in the statement: ``body/hidden`` when it is made
    inside ``keras.Sequential([...], name="body")``; its own ``name=`` otherwise."""
    own = _name_kw(call)
    if own is None:
        return None
    outer = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and n is not call and _name_kw(n)
             and any(c is call for c in ast.walk(n))]
    holders = [_name_kw(n) for n in sorted(outer, key=lambda n: (n.lineno, n.col_offset))]
    return "/".join([*[h for h in holders if h], own])


def _numbers(case: Any) -> dict[str, float]:
    """The user's variables holding plain numbers."""
    return {k: v for k, v in case.scope.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def _value(node: ast.AST, names: dict[str, float]) -> float | None:
    """The value of an arithmetic expression over numbers and the user's number variables, without running code."""
    ops = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
           ast.Div: lambda a, b: a / b, ast.FloorDiv: lambda a, b: a // b, ast.Pow: lambda a, b: a ** b}
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.BinOp) and type(node.op) in ops:
        left, right = _value(node.left, names), _value(node.right, names)
        if isinstance(node.op, ast.Pow) and right is not None and abs(right) > 64:
            return None  # no size is written as a huge power: not worth computing
        try:
            return ops[type(node.op)](left, right) if left is not None and right is not None else None
        except (ArithmeticError, OverflowError):
            return None
    return None


# --- set_weights([kernel]) on a layer with a kernel and a bias ----------------------------------------------------

_WEIGHT_COUNT = re.compile(r"You called `set_weights\(weights\)` on layer '(?P<layer>[^']+)' with a weight list of "
                           r"length (?P<got>\d+), but the layer was expecting (?P<want>\d+) weights")
_ZERO_START = ("bias", "beta", "moving_mean", "offset")
_ONE_START = ("gamma", "moving_variance", "scale")


def _weight_list_length(case: Any) -> Mismatch | None:
    """``layer.set_weights([kernel])`` where the layer holds a kernel and a bias: Keras wants one array per variable,
    in the layer's order. The missing ones are written with the values such a variable starts from (zeros for a
    bias, ones for a scale), or the layer's own current values; extra ones are left out."""
    m = _WEIGHT_COUNT.search(case.message)
    layer = next(iter(_locals_of(case.exc, lambda v: isinstance(v, keras.layers.Layer) and m is not None
                                 and v.name == m.group("layer"))[::-1]), None)
    found = _statement(case) if layer is not None else None
    if m is None or layer is None or found is None:
        return None
    text, tree = found
    call = next(iter(_calls(tree, "set_weights")), None)
    if call is None or not call.args or not isinstance(call.func, ast.Attribute):
        return None
    given, got, want = call.args[0], int(m.group("got")), int(m.group("want"))
    receiver = ast.get_source_segment(text, call.func.value) or "layer"
    variables = list(layer.weights)
    names = [v.path.rsplit("/", 1)[-1] for v in variables]
    shapes = [tuple(int(d) for d in v.shape) for v in variables]

    np_name = next((k for k, v in case.scope.items() if v is np), "np")  # numpy as the user imported it

    def start(i: int) -> str:
        if names[i].startswith(_ZERO_START):
            return f"{np_name}.zeros({shapes[i]!r})"
        if names[i].startswith(_ONE_START):
            return f"{np_name}.ones({shapes[i]!r})"
        return f"{receiver}.get_weights()[{i}]"

    if isinstance(given, (ast.List, ast.Tuple)):
        items = [ast.get_source_segment(text, e) or ast.unparse(e) for e in given.elts][:want]
        items += [start(i) for i in range(len(items), want)]
        new_list = f"[{', '.join(items)}]"
    elif got < want:
        new_list = f"{ast.get_source_segment(text, given) or ast.unparse(given)} + [{', '.join(start(i) for i in range(got, want))}]"
    else:
        new_list = f"{ast.get_source_segment(text, given) or ast.unparse(given)}[:{want}]"
    fixed = _replace_all(text, [(given, new_list)]).strip()
    listed = ", ".join(f"{n} {s}" for n, s in zip(names, shapes))
    held = f"{want} variable{'s' if want != 1 else ''}"
    if got < want:
        why = (f"{layer.name} holds {held} ({listed}) and set_weights takes one array for each, in that "
               f"order; the list gives {got}. Give the missing ones too")
    else:
        why = (f"{layer.name} holds {held} ({listed}), and the list gives {got}: leave out the arrays it has "
               f"no variable for")
    return Mismatch(_held_path(case, layer), f"weights -> {layer.name}", f"{want} array{'s' if want != 1 else ''} ({listed})",
                    f"a list of {got}", f"{why}: `{fixed}`.")


# --- a layer size computed as a float -----------------------------------------------------------------------------

_FLOAT_SIZE = re.compile(r"Found invalid dimension '(?P<a>\d+\.\d*)' of type '<class 'float'>'|"
                         r"expected a positive integer\. Received: \w+=(?P<b>\d+\.\d*)")
_SIZE_ARGS = ("units", "filters", "num_heads", "key_dim", "output_dim", "input_dim", "n", "size")


def division_hint(written: str) -> str:
    """For a size written with a true division (``width / 3``): the note that ``//`` divides to a whole number."""
    return " (or // for a whole-number division)" if re.search(r"[^/]/[^/]", written) else ""


def _float_size(case: Any) -> Mismatch | None:
    """``Conv2D(32 * alpha, 3)`` or ``Dense(n / 2)``: a layer's size computed as a float (24.0); Keras 3 takes
    whole numbers for sizes. The expression in the user's line is wrapped in ``int(...)``."""
    m = _FLOAT_SIZE.search(case.message)
    found = _statement(case) if m is not None else None
    if m is None or found is None:
        return None
    text, tree = found
    bad, names = float(m.group("a") or m.group("b")), _numbers(case)
    hits = []
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
        args = call.args[:1] + [k.value for k in call.keywords if k.arg in _SIZE_ARGS]
        hits += [(call, a) for a in args if not isinstance(a, ast.Constant) or isinstance(a.value, float)
                 if isinstance(_value(a, names), float) and _value(a, names) == bad]
    if len(hits) != 1:
        return None
    call, arg = hits[0]
    written = ast.get_source_segment(text, arg) or ast.unparse(arg)
    whole = str(int(bad)) if isinstance(arg, ast.Constant) else f"int({written})"
    fixed = _replace_all(text, [(arg, whole)]).strip()
    layer = _made_in(tree, call) or (ast.get_source_segment(text, call.func) or "layer")
    used = [n.id for n in ast.walk(arg) if isinstance(n, ast.Name) and n.id in names]
    # the interface: the layer whose output the new layer is applied to on this line (Dense(n / 2)(h)), else the
    # numbers the size is computed from
    applied = next((n for n in ast.walk(tree) if isinstance(n, ast.Call) and n.func is call and n.args), None)
    source = ((source_name(applied.args[0], case.scope) if applied is not None else None)
              or ", ".join(dict.fromkeys(used)) or written)
    first = next(iter(constructor_parameters(value_of(call.func, case.scope))), None)  # units, filters...
    keyword = next((k.arg for k in call.keywords if k.value is arg), None) or first
    said = f"{keyword}={bad!r}" if keyword else f"{bad!r}"
    rounded = (f" (it rounds down; use round({written}) to round to the nearest)" if bad != int(bad) else
               division_hint(written))
    return Mismatch(layer, f"{source} -> {layer.rsplit('/', 1)[-1]}", "a whole number of units or filters",
                    f"{written} = {bad!r}",
                    f"{written} is the float {bad!r} ({said}); Keras 3 takes a layer's size as an int: write "
                    f"`{f'{keyword}=' if keyword else ''}{whole}`{rounded}: `{fixed}`.")



# --- keras.Input(sparse=True) under a backend without sparse tensors ----------------------------------------------

_NO_SPARSE = re.compile(r"`sparse=True` is not supported with (?:the )?'?(?P<backend>\w+)'? backend|"
                        r"`sparse=True` is not supported with backend: '?(?P<named>\w+)")


def _sparse_input(case: Any) -> Mismatch | None:
    """``keras.Input(shape=(n,), sparse=True)`` under PyTorch: Keras has sparse tensors on TensorFlow and JAX only.
    The Input is written without ``sparse=True``; sparse data (SciPy matrices) is given dense."""
    m = _NO_SPARSE.search(case.message)
    found = _statement(case) if m is not None else None
    if m is None or found is None:
        return None
    text, tree = found
    call = next((c for c in ast.walk(tree) if isinstance(c, ast.Call) and _keyword(c, "sparse") is not None), None)
    if call is None:
        return None
    fixed = _replace_all(text, [(call, _without_keywords(text, call, {"sparse"}))]).strip()
    target = next((t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)),
                  None)
    name = _name_kw(call) or target or "input"
    consumer = _first_consumer(case, target) if target else None
    return Mismatch(
        name, f"input:{name} -> {consumer or 'model'}", "a dense Input", "an Input with sparse=True",
        f"the {m.group('backend') or m.group('named')} backend has no sparse tensors in Keras (TensorFlow and JAX do): declare the Input "
        f"dense, `{fixed}`, and give the data as a dense array (x.toarray() for a SciPy sparse matrix).")


def _first_consumer(case: Any, variable: str) -> str | None:
    """The name of the first layer or model the user's script calls on ``variable`` (``encoder(bow)``)."""
    tree = _parse(_script(case))
    calls = sorted((n for n in ast.walk(tree) if isinstance(n, ast.Call)
                    and any(isinstance(a, ast.Name) and a.id == variable for a in n.args)),
                   key=lambda n: (n.lineno, n.col_offset)) if tree is not None else []
    for call in calls:
        func = call.func
        held = case.scope.get(func.id) if isinstance(func, ast.Name) else None
        if isinstance(held, keras.layers.Layer):
            return str(held.name)
        made = _name_kw(func) if isinstance(func, ast.Call) else None
        if made:
            return made
    return None


# --- a trainable weight with an integer dtype ---------------------------------------------------------------------

_INT_GRAD = re.compile(r"grad requires real- or complex-valued inputs \(input dtype that is a sub-dtype of "
                       r"np\.inexact\), but got (?P<jax>u?int\d+|bool)|Only Tensors of floating point and complex dtype "
                       r"can require gradients")


def _integer_weight(case: Any) -> Mismatch | None:
    """A layer's ``self.add_weight(..., dtype="int32")`` left trainable: gradients exist for floats only (JAX's grad
    and PyTorch's requires_grad refuse integers). The user's add_weight is written with a float dtype."""
    if _INT_GRAD.search(case.message) is None:
        return None
    layers = _locals_of(case.exc, lambda v: isinstance(v, keras.layers.Layer) and not isinstance(v, keras.Model))
    models = [m for m in [case.fitted_model(), *case.scope.values()] if isinstance(m, keras.Model)]
    layers += [layer for m in models for _, layer in _walk(m)]
    owners = [layer for layer in dict.fromkeys(layers) if _int_add_weight(layer) is not None
              and (not layer.built or any("int" in str(v.dtype) for v in layer.trainable_weights))]
    if not owners:
        return None
    layer = owners[-1]
    line, fixed = _int_add_weight(layer)  # type: ignore[misc]
    return Mismatch(
        _held_path(case, layer), f"{layer.name} -> optimizer", "a trainable weight of a float dtype",
        "an integer weight",
        f"{type(layer).__name__} makes a trainable weight with an integer dtype, `{line}`; gradients exist for "
        f"floats only (JAX's grad and PyTorch's requires_grad refuse integers). Make it a float weight: `{fixed}` "
        f"(or, for a constant it never learns, keep the dtype and pass trainable=False).")


def _int_add_weight(layer: Any) -> tuple[str, str] | None:
    """The ``add_weight(..., dtype=<an int>)`` in ``layer``'s class without ``trainable=False``: (as written, with
    dtype="float32")."""
    try:
        source = textwrap.dedent(inspect.getsource(type(layer)))
    except (OSError, TypeError):
        return None
    tree = _parse(source)
    for call in _calls(tree, "add_weight") + _calls(tree, "add_variable") if tree is not None else []:
        dtype, trainable = _keyword(call, "dtype"), _keyword(call, "trainable")
        if trainable is not None and isinstance(trainable.value, ast.Constant) and trainable.value.value is False:
            continue
        if dtype is not None and isinstance(dtype.value, ast.Constant) and re.fullmatch(r"u?int\d+", str(dtype.value.value)):
            line = ast.get_source_segment(source, call) or ast.unparse(call)
            quote = "'" if "'" in (ast.get_source_segment(source, dtype.value) or "") else '"'
            return line, line.replace(ast.get_source_segment(source, dtype.value) or "", f"{quote}float32{quote}", 1)
    return None


# --- names dropped from an unpacking, used further on -------------------------------------------------------------

def dropped_uses(later: str, dropped: list[str]) -> tuple[list[str], str | None]:
    """Where the user's code after the failing line uses names an unpacking must drop (``state_c`` once a GRU's
    ``enc_out, state_h, state_c = ...`` keeps two): the lists holding them rewritten without them
    (``initial_state=[state_h]``), and the ``name=`` of the layer first called with such a list."""
    tree = _parse(textwrap.dedent(later)) if later.strip() else None
    if tree is None or not dropped:
        return [], None
    rewrites, consumer = [], None
    listed = [(n, n.value) for n in ast.walk(tree) if isinstance(n, ast.keyword) and isinstance(n.value, (ast.List, ast.Tuple))]
    for node, items in sorted(listed, key=lambda p: (p[1].lineno, p[1].col_offset)):
        kept = [e for e in items.elts if not (isinstance(e, ast.Name) and e.id in dropped)]
        if len(kept) == len(items.elts):
            continue
        rewrites.append(f"{node.arg}=[{', '.join(ast.unparse(e) for e in kept)}]")
        call = next((c for c in ast.walk(tree) if isinstance(c, ast.Call) and node in c.keywords), None)
        made = _name_kw(call.func) if call is not None and isinstance(call.func, ast.Call) else None
        consumer = consumer or made
    return list(dict.fromkeys(rewrites)), consumer

