"""Failures once a model runs: the user's own ``call()`` code, and what ``compile``/``fit`` were given.

``explain`` asks these readers before its message families. Each one reads something general - the
statement of the user's code that failed (with the tensors its names hold), the arguments the model was
compiled with against its outputs, the element a generator or dataset yields against the model's inputs -
and computes the fix from this model's own names and sizes. Each returns ``None`` when what it reads does
not show the mistake, so the families and the fallback still get their turn.
"""

from __future__ import annotations

import ast
import copy
import inspect
import re
import types
from typing import Any

import keras

from kernest._callsite import (
    DATA_METHODS,
    ModelCall,
    file_tree,
    keras_op,
    missing_op_advice,
    model_call,
    ops_spelling,
    value_of,
)
from kernest._errors import Mismatch
from kernest._explain_api import settings_against_outputs
from kernest._graph import is_input_layer, is_symbolic, producer
from kernest._trace import is_user_file

_BACKEND_MODULES = ("numpy", "tensorflow", "jax", "jaxlib", "torch")
# What a tensor handed to a function that cannot take it makes the backends say (JAX's tracer error can fail to
# format itself and leave only "'str' object has no attribute '_error_repr'").
_CONVERSION = re.compile(r"symbolic|KerasTensor|numpy|NumPy|[Cc]onvert|[Tt]racer|__array__|requires grad|_error_repr")


# --- the user's own call() ------------------------------------------------------------------------


def users_method_frame(exc: BaseException) -> tuple[types.FrameType, int, Any] | None:
    """The deepest frame, over the exception and the ones it wraps, that runs a method of a user's own
    layer or model in the user's file: (frame, line, the layer)."""
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        found, tb = None, link.__traceback__
        while tb is not None:
            frame = tb.tb_frame
            if is_user_file(frame.f_code.co_filename) and isinstance(frame.f_locals.get("self"), keras.layers.Layer):
                found = (frame, tb.tb_lineno, frame.f_locals["self"])
            tb = tb.tb_next
        if found is not None:
            return found
        link = link.__cause__ or link.__context__
    return None


def _function_node(frame: types.FrameType) -> ast.FunctionDef | None:
    """The ``def`` the frame runs, parsed from the user's file."""
    tree = file_tree(frame.f_code.co_filename)[1]
    if tree is None:
        return None
    first = frame.f_code.co_firstlineno
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == frame.f_code.co_name:
            starts = [node.lineno, *(d.lineno for d in node.decorator_list)]
            if first in starts:
                return node  # type: ignore[return-value]
    return None


def _statement_at(func: ast.AST, line: int) -> tuple[ast.stmt, list[ast.stmt]] | None:
    """The innermost statement of ``func`` that holds ``line``, with the statement list it sits in."""
    best: tuple[ast.stmt, list[ast.stmt]] | None = None
    for node in ast.walk(func):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if not isinstance(block, list):
                continue
            for stmt in block:
                if isinstance(stmt, ast.stmt) and stmt.lineno <= line <= (stmt.end_lineno or stmt.lineno):
                    if best is None or stmt.lineno >= best[0].lineno:
                        best = (stmt, block)
    return best


def _is_tensor(value: Any) -> bool:
    return hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, type)


def _tensor_names(node: ast.AST, names: dict[str, Any]) -> list[str]:
    return [n.id for n in ast.walk(node) if isinstance(n, ast.Name) and _is_tensor(names.get(n.id))]


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _lookup(dotted: str, frame: types.FrameType) -> Any:
    head, *rest = dotted.split(".")
    value = frame.f_locals.get(head, frame.f_globals.get(head))
    for part in rest:
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


def _ops_prefix(frame: types.FrameType) -> str:
    """How the user's file spells keras.ops (``ops.`` after ``from keras import ops``)."""
    for name, value in frame.f_globals.items():
        if value is keras.ops and not name.startswith("_"):
            return f"{name}."
    return "keras.ops."


def _backend_of(fn: Any) -> str | None:
    module = getattr(fn, "__module__", None) or getattr(type(fn), "__module__", "") or ""
    root = module.split(".", 1)[0]
    return root if root in _BACKEND_MODULES else None


def _sides(func: ast.AST, stmt: ast.stmt, arg: str, layer: Any, frame: types.FrameType) -> tuple[str, str] | None:
    """Inside a call() that chains its own sub-layers: the sub-layer whose output ``arg`` holds and the one
    the statement's result goes to next (``encoder -> head``)."""
    made = None
    for node in ast.walk(func):
        if (isinstance(node, ast.Assign) and node.lineno < stmt.lineno and isinstance(node.value, ast.Call)
                and any(isinstance(t, ast.Name) and t.id == arg for t in node.targets)):
            owner = _dotted(node.value.func)
            sub = _lookup(owner, frame) if owner and owner.startswith("self.") else None
            if isinstance(sub, keras.layers.Layer):
                made = sub
    if made is None:
        return None
    result = stmt.targets[0].id if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name) else None
    taker = layer
    for node in ast.walk(func):
        if (result and isinstance(node, ast.Call) and node.lineno > stmt.lineno
                and any(isinstance(a, ast.Name) and a.id == result for a in node.args)):
            owner = _dotted(node.func)
            sub = _lookup(owner, frame) if owner and owner.startswith("self.") else None
            if isinstance(sub, keras.layers.Layer):
                taker = sub
                break
    return str(made.name), str(taker.name)


def _fed_from(case: Any, layer: Any, local: Any) -> str:
    """``producer -> layer`` at the layer's own level: what made the tensor the layer's call() was given
    (``input:NAME`` for a model input), read from the symbolic tensor Keras passed or the one traced."""
    for t in (local, case.tensor if case.frames and case.frames[-1].layer is layer else None):
        src = producer(t) if t is not None and is_symbolic(t) else None
        if src is not None:
            return f"{'input:' if is_input_layer(src) else ''}{src.name} -> {layer.name}"
    return case.interface(layer.name) if case.frames else f"input -> {layer.name}"


_TO_NUMPY = {"convert_to_numpy", "asarray", "array", "numpy"}


def _unconverted(call: ast.Call) -> ast.Call:
    """``call`` with its arguments' conversions to NumPy taken off (``ops.convert_to_numpy(ids)`` -> ``ids``,
    ``x.numpy()`` -> ``x``): the keras.ops function takes the tensor itself."""
    class Strip(ast.NodeTransformer):
        def visit_Call(self, node: ast.Call) -> ast.AST:
            self.generic_visit(node)
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in _TO_NUMPY and len(node.args) == 1 and not node.keywords:
                return node.args[0]
            if name == "numpy" and not node.args and isinstance(node.func, ast.Attribute):
                return node.func.value
            return node

    copy = ast.parse(ast.unparse(call), mode="eval").body
    copy.args = [Strip().visit(a) for a in copy.args]  # type: ignore[attr-defined]
    return copy  # type: ignore[return-value]


def backend_function_in_call(case: Any) -> Mismatch | None:
    """``np.clip(h, 0, 6)`` or ``tf.reduce_mean(x, axis=1)`` inside a layer's or model's call(): a NumPy
    function cannot take the symbolic or traced tensors Keras passes while it builds and trains, and a
    TensorFlow/JAX/torch function runs only on its own backend. The same op from keras.ops runs on all."""
    found = users_method_frame(case.exc)
    if found is None:
        return None
    frame, line, layer = found
    func = _function_node(frame)
    where = _statement_at(func, line) if func is not None else None
    if func is None or where is None:
        return None
    stmt = where[0]
    active = keras.backend.backend()
    for call in (n for n in ast.walk(stmt) if isinstance(n, ast.Call)):
        dotted = _dotted(call.func)
        fn = _lookup(dotted, frame) if dotted else None
        backend = _backend_of(fn) if fn is not None and not isinstance(fn, keras.layers.Layer) else None
        tensors = [n for a in [*call.args, *(k.value for k in call.keywords)] for n in _tensor_names(a, frame.f_locals)]
        if fn is keras.ops.convert_to_numpy and tensors and _CONVERSION.search(_chain_text(case.exc)):
            return _round_trip_through_numpy(case, frame, line, layer, stmt, call, tensors[0])
        if backend is None or not tensors or dotted is None:
            continue
        if backend in ("numpy", active) and not _CONVERSION.search(_chain_text(case.exc)):
            continue  # NumPy on concrete values, or the backend's own function: the failure is something else
        written = ast.unparse(call)
        op = keras_op(_unconverted(call), ops_spelling(dotted), _ops_prefix(frame), numpy=backend == "numpy")
        cast = next((p for p in ast.walk(stmt) if isinstance(p, ast.Call) and isinstance(p.func, ast.Name)
                     and p.func.id in ("int", "float") and any(a is call for a in p.args)), None)
        if op is not None and cast is not None:  # a Python number of a tensor: the tensor, in the dtype it meets
            written, op = ast.unparse(cast), f'{_ops_prefix(frame)}cast({op}, "float32")'
        where_text = f"{layer.name}'s {frame.f_code.co_name}() (line {line})"
        why = (f"{written} in {where_text} is a {backend} function; Keras passes "
               + ("symbolic and traced tensors while it builds and trains the model, which NumPy cannot take"
                  if backend == "numpy" else f"{active} tensors on this backend, which {backend} cannot take"))
        fix = (f"Write {op} instead: the keras.ops function runs on every backend." if op is not None else
               missing_op_advice([written]) if backend == "numpy" else
               f"keras.ops has no {dotted.rsplit('.', 1)[-1]}; compose it from keras.ops functions (they run on "
               f"every backend), or keep this layer on the {backend} backend.")
        sides = _sides(func, stmt, tensors[0], layer, frame)
        path = case.path(layer.name) if case.frames else layer.name
        interface = (f"{sides[0]} -> {sides[1]}" if sides is not None
                     else _fed_from(case, layer, frame.f_locals.get(tensors[0])))
        return Mismatch(path, interface, "keras.ops on a Keras tensor", f"{written} ({backend})", f"{why}. {fix}")
    return None


def _round_trip_through_numpy(case: Any, frame: types.FrameType, line: int, layer: Any, stmt: ast.stmt,
                              call: ast.Call, tensor: str) -> Mismatch:
    """``keras.ops.convert_to_numpy(s)`` inside call(): the symbolic or traced tensor Keras passes while it builds
    and trains has no values to convert, and values taken out of the graph get no gradient. The statement without
    the conversions (and without the ``convert_to_tensor`` that brought the values back) computes the same."""

    class _Keep(ast.NodeTransformer):
        def visit_Call(self, node: ast.Call) -> ast.AST:
            self.generic_visit(node)
            dotted = _dotted(node.func)
            fn = _lookup(dotted, frame) if dotted else None
            if fn in (keras.ops.convert_to_numpy, keras.ops.convert_to_tensor) and len(node.args) == 1:
                return node.args[0]
            return node

    rewritten = ast.unparse(_Keep().visit(copy.deepcopy(stmt)))
    written = ast.unparse(call)
    return Mismatch(
        case.path(layer.name) if case.frames else layer.name, _fed_from(case, layer, frame.f_locals.get(tensor)),
        "a tensor kept in the graph", f"{written} (values taken out of the graph)",
        f"{written} in {layer.name}'s {frame.f_code.co_name}() (line {line}) asks for the values of {tensor}, but "
        f"while Keras builds and trains the model {tensor} is a symbolic or traced tensor with no values yet, and "
        f"values taken out of the graph would get no gradient. Keep it a tensor: `{rewritten}` (keras.ops and "
        "Python arithmetic take tensors on every backend).")


def branch_on_tensor(case: Any) -> Mismatch | None:
    """``if ops.max(x) > 1.0: return x / 255.0`` in a call(): Python's ``if`` needs one True/False, but while
    Keras builds and compiles the model the tensor has no value yet. A tensor op that picks per element
    (``ops.where``) or runs one branch (``ops.cond``) keeps the choice inside the graph."""
    found = users_method_frame(case.exc)
    if found is None:
        return None
    frame, line, layer = found
    func = _function_node(frame)
    where = _statement_at(func, line) if func is not None else None
    if where is None:
        return None
    stmt, block = where
    test = stmt.test if isinstance(stmt, (ast.If, ast.While)) and stmt.lineno == line else None
    if test is None or not _tensor_names(test, frame.f_locals):
        return None
    ops = _ops_prefix(frame)
    cond = ast.unparse(test)
    chosen = _where_for(stmt, block, cond, ops) if isinstance(stmt, ast.If) else None
    fix = (f"Write {chosen}: {ops}where picks per element inside the graph (use {ops}cond(pred, true_fn, false_fn) to "
           "run only one branch)." if chosen is not None else
           f"Make the choice a tensor op: {ops}where(condition, a, b) to pick per element, or {ops}cond(pred, "
           "true_fn, false_fn) to run one branch.")
    names = _tensor_names(test, frame.f_locals)
    local = next((frame.f_locals[n] for n in names), None)
    # The branch's own assignment (``if c: h = h * 2.0``) names what goes on, to the sub-layer that takes it next.
    body = stmt.body if isinstance(stmt, ast.If) else []
    assigned = body[0] if len(body) == 1 and isinstance(body[0], ast.Assign) else stmt
    sides = _sides(func, assigned, names[0], layer, frame) if func is not None else None
    return Mismatch(
        case.path(layer.name) if case.frames else layer.name,
        f"{sides[0]} -> {sides[1]}" if sides is not None else _fed_from(case, layer, local),
        "a choice made by a tensor op", f"Python `{'if' if isinstance(stmt, ast.If) else 'while'} {cond}`",
        f"{layer.name}'s {frame.f_code.co_name}() branches in Python on `{cond}` (line {line}), a tensor with no "
        f"value while Keras builds the model (and traces it to train), so it cannot be True or False. {fix}",
    )


def _where_for(stmt: ast.If, block: list[ast.stmt], cond: str, ops: str) -> str | None:
    """``if c: return a`` + ``return b`` (or ``else: return b``) as ``return ops.where(c, a, b)``;
    ``if c: x = a`` as ``x = ops.where(c, a, x)``."""
    body = stmt.body
    if len(body) == 1 and isinstance(body[0], ast.Return) and body[0].value is not None:
        other: ast.stmt | None = stmt.orelse[0] if len(stmt.orelse) == 1 else None
        if other is None and not stmt.orelse:
            i = next((j for j, s in enumerate(block) if s is stmt), -1)
            other = block[i + 1] if 0 <= i < len(block) - 1 else None
        if isinstance(other, ast.Return) and other.value is not None:
            return f"return {ops}where({cond}, {ast.unparse(body[0].value)}, {ast.unparse(other.value)})"
    if (len(body) == 1 and isinstance(body[0], ast.Assign) and len(body[0].targets) == 1
            and isinstance(body[0].targets[0], ast.Name) and not stmt.orelse):
        var = body[0].targets[0].id
        return f"{var} = {ops}where({cond}, {ast.unparse(body[0].value)}, {var})"
    return None


def in_users_code(case: Any) -> Mismatch | None:
    """The mistakes a user's own call() shows by itself, whatever the model around it."""
    return branch_on_tensor(case) or backend_function_in_call(case)



# --- what compile and fit were given ---------------------------------------------------------------

_STRUCTURE = re.compile(r"arity mismatch|structure|as many entries|does not correspond to any model output")


def _entry_code(entry: Any) -> str:
    """A compile entry as the user would write it: ``"accuracy"``, ``keras.metrics.AUC()``."""
    if isinstance(entry, str):
        return f'"{entry}"'
    if isinstance(entry, (list, tuple)):
        return "[" + ", ".join(_entry_code(e) for e in entry) + "]"
    if isinstance(entry, (int, float)) or entry is None:
        return repr(entry)
    module = type(entry).__module__.split(".")
    kind = next((m for m in ("metrics", "losses") if m in module), None)
    cls = type(entry).__name__
    return f"keras.{kind}.{cls}()" if kind else getattr(entry, "__name__", cls)


def compiled_for_other_outputs(case: Any) -> Mismatch | None:
    """``compile(metrics=["accuracy"])`` (or a loss or loss_weights list) on a model of several outputs:
    a list there needs one entry per output, in the outputs' order. Repeat the entry for each output, or
    key them by output name."""
    if not _STRUCTURE.search(case.message):
        return None
    model = case.fitted_model()
    outputs = list(getattr(model, "outputs", None) or [])
    if model is None or len(outputs) < 2:
        return None
    names = list(getattr(model, "output_names", None) or [getattr(t, "name", str(i)) for i, t in enumerate(outputs)])
    order = ("metrics", "weighted_metrics", "loss", "loss_weights")  # the lists Keras 3 stops reading first
    counts = sorted((f for f in settings_against_outputs(model, names) if f[2] == "count" and f[1]),
                    key=lambda found: order.index(found[0]))
    for key, given, _ in counts:
        if len(given) == 1:
            entry = _entry_code(given[0])
            as_list = f"{key}=[{', '.join([entry] * len(outputs))}]"
            as_dict = f"{key}={{{', '.join(f'{chr(34)}{n}{chr(34)}: {entry}' for n in names)}}}"
            fix = (f"write {as_list} (one entry per output, in the order {', '.join(names)}), or key them by output "
                   f"name: {as_dict}.")
        else:
            fix = (f"give one entry per output, in the order {', '.join(names)}, or a dict keyed by those names "
                   f"({', '.join(names)}).")
        return Mismatch(
            str(model.name), f"{model.name} -> {key}", f"{len(outputs)} {key} entries (outputs {', '.join(names)})",
            f"{key}={_entry_code(list(given))} ({len(given)} entr{'y' if len(given) == 1 else 'ies'})",
            f"{model.name} has {len(outputs)} outputs ({', '.join(names)}), and compile got a {key} list of "
            f"{len(given)}: Keras 3 reads a list as one entry per output, it does not repeat one. {fix[0].upper()}{fix[1:]}",
        )
    return None


_ARITY = re.compile(r"expects (?P<want>\d+) (?:named )?input\(s\).*?received (?P<got>\d+) input"
                    r"|Data is expected to be in format `x`, `\(x,\)`, `\(x, y\)`")


def users_model_call(case: Any, methods: tuple[str, ...] = DATA_METHODS) -> ModelCall | None:
    """The user's failing line read as a call of one of a model's ``methods``, in the call-site reader's one
    parsed view (``_callsite.ModelCall``)."""
    return model_call(case.site.text.strip(), case.scope, methods) if case.site is not None else None


def _fit_argument(case: Any) -> tuple[ast.AST, Any] | None:
    """The data of the user's failing ``fit``/``evaluate``/``predict`` call, with what it names (for a call
    such as ``batches()``, the function it calls)."""
    call = users_model_call(case, ("fit", "evaluate", "predict"))
    arg = call.node("x") if call is not None else None
    if arg is None:
        return None
    return arg, value_of(arg.func if isinstance(arg, ast.Call) else arg, case.scope)


def _flat_yields(source_of: Any, width: int) -> list[ast.Tuple]:
    """The ``yield a, b, c`` (or ``return a, b, c`` of a Sequence's __getitem__) tuples of ``width`` items."""
    from kernest._lint import _parsed_function

    parsed = _parsed_function(source_of)
    if parsed is None:
        return []
    found = []
    for node in ast.walk(parsed[0]):
        value = node.value if isinstance(node, (ast.Yield, ast.Return)) else None
        if isinstance(value, ast.Tuple) and len(value.elts) == width:
            found.append(value)
    return found


def flat_data_element(case: Any) -> Mismatch | None:
    """A generator (or Sequence, or dataset) for a model of n inputs that gives ``(x1, x2, y)``: Keras reads
    a flat tuple as ``(x, y, sample_weight)``, so the model gets x1 alone. The inputs go in one tuple:
    ``yield (x1, x2), y``."""
    m = _ARITY.search(case.message)
    model = case.fitted_model()
    inputs = list(getattr(model, "inputs", None) or [])
    found = _fit_argument(case)
    if m is None or model is None or len(inputs) < 2 or found is None:
        return None
    arg, value = found
    width = len(inputs) + 1
    source: Any = None
    if _is_generator(value):
        source = value if not hasattr(value, "gi_code") else value.gi_code
    elif isinstance(value, keras.utils.PyDataset):
        source = type(value).__getitem__
    spec = getattr(value, "element_spec", None)
    names = [getattr(t, "name", str(i)) for i, t in enumerate(inputs)]
    where, fix = None, None
    if source is not None:
        flat = _flat_yields(source, width)
        if flat:
            items = [ast.unparse(e) for e in flat[0].elts]
            keyword = "yield" if _is_generator(value) else "return"
            where = f"{keyword} {', '.join(items)}"
            fix = f"{keyword} ({', '.join(items[:-1])}), {items[-1]}"
    elif isinstance(spec, tuple) and len(spec) == width:
        parts = [f"t{i}" for i in range(width)]
        where = f"{ast.unparse(arg)} yields {width} items"
        fix = f"{ast.unparse(arg)}.map(lambda {', '.join(parts)}: (({', '.join(parts[:-1])}), {parts[-1]}))"
    if fix is None:
        return None
    return Mismatch(
        str(model.name), f"data -> {model.name}", f"(({', '.join(names)}), labels)", where or "?",
        f"{model.name} takes {len(inputs)} inputs ({', '.join(names)}), and each batch comes as {width} separate "
        f"items; Keras reads a flat tuple as (x, y, sample_weight), so {model.name} got only the first. Group the "
        f"inputs in one tuple: {fix}.",
    )


def _is_generator(value: Any) -> bool:
    return inspect.isgenerator(value) or inspect.isgeneratorfunction(value)


_SPLIT_REFUSED = re.compile(r"`?validation_split`? is only supported for [Tt]ensors or NumPy arrays")


def split_refused(case: Any) -> Mismatch | None:
    """``fit(dataset, validation_split=0.2)``: Keras splits only arrays it can slice. Hold batches of the
    dataset out (``take``/``skip``) and pass them as validation_data; a list or table becomes an array."""
    if not _SPLIT_REFUSED.search(case.message):
        return None
    model = case.fitted_model()
    found = _fit_argument(case)
    if model is None or found is None:
        return None
    arg, value = found
    call = users_model_call(case, ("fit",))
    share = call.value("validation_split") if call is not None else None
    split = float(share) if isinstance(share, (int, float)) else 0.2
    var = ast.unparse(arg)
    count = _batches(value)
    if count is not None:
        held = max(1, round(count * split))
        fix = (f"hold out batches of the dataset instead: val = {var}.take({held}); {var} = {var}.skip({held}); "
               f"then {case.var(model)}.fit({var}, validation_data=val, ...) ({held} of its {count} batches; "
               f"validation_split asked for {split:g} of the data).")
    elif hasattr(value, "element_spec") or _is_generator(value) or isinstance(value, keras.utils.PyDataset):
        fix = ("give held-out data yourself: a second dataset or generator over other samples, passed as "
               "validation_data=... (validation_split works only on arrays).")
    else:
        fix = f"convert the data to arrays first (np.asarray({var})), or pass held-out data as validation_data=..."
    kind = type(value).__name__ if value is not None else "this data"
    return Mismatch(
        str(model.name), f"data -> {model.name}", "arrays (to split)", f"{var}: {kind}",
        f"fit was given validation_split={split:g} with {kind}, which Keras cannot slice into a training and a "
        f"validation part; {fix}",
    )


def _batches(value: Any) -> int | None:
    """The number of batches a tf.data dataset holds, when it is known."""
    try:
        count = int(value.cardinality())
    except (AttributeError, TypeError, ValueError):
        return None
    return count if count > 0 else None


_LAMBDA_REFUSED = re.compile(r"deserialization of a `?Lambda`? layer")


def lambda_refused_on_load(case: Any) -> Mismatch | None:
    """``load_model`` in safe mode refuses a file holding a ``Lambda(lambda ...)``: name the Lambda where it
    sits in the model that was saved, and say both ways out (load with safe_mode=False when the file is the
    user's own, or replace the lambda with a registered Layer subclass, which loads safely)."""
    if not _LAMBDA_REFUSED.search(case.message):
        return None
    from kernest._graph import layers as walk

    found = [(p, layer) for model in case.models() for p, layer in walk(model)
             if isinstance(layer, keras.layers.Lambda) and getattr(getattr(layer, "function", None), "__name__", "")
             == "<lambda>"]
    found.sort(key=lambda hit: -hit[0].count("/"))  # its path from the outermost model that holds it
    path, name = (found[0][0], found[0][1].name) if found else ("Lambda", "Lambda")
    text = (case.site.text if case.site is not None else "").strip()
    call = re.search(r"((?:[\w.]+\.)?load_model\((?P<args>.*)\))", text)
    loaded = (f"{call.group(1)[:-1]}, safe_mode=False)" if call is not None
              else "keras.models.load_model(path, safe_mode=False)")
    return Mismatch(
        path, f"file -> {name}", "a file without Python code", f"Lambda {name} holding a Python lambda",
        f"The saved model holds {path}, a Lambda whose function is a Python lambda; loading it would run code "
        f"from the file, so safe mode refuses. If the file is your own, load it with {loaded}. To load safely, "
        f"replace the Lambda with a small keras.layers.Layer subclass registered with "
        f"@keras.saving.register_keras_serializable() (or a built-in layer that does the same), and save again.",
    )


_RETRIED = re.compile(r"(?P<cls>\w+)\.call\(\) got an unexpected keyword argument 'training'")
_INFERRING = re.compile(r"Could not automatically infer the output shape / dtype of '(?P<layer>[^']+)'")


def _chain_text(exc: BaseException) -> str:
    """Every message of the exception and of the ones it wraps."""
    seen: set[int] = set()
    texts: list[str] = []
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        texts.append(str(link))
        link = link.__cause__ or link.__context__
    return "\n".join(texts)


def real_error_lost(case: Any) -> Mismatch | None:
    """On TensorFlow, when a custom layer's call() fails while Keras infers its output, Keras calls it again
    with ``training=``; a call() without that parameter then hides the first error behind "unexpected keyword
    argument 'training'". Nothing was passed by the user: say how to see the real error."""
    m = _RETRIED.search(case.message)
    inferring = _INFERRING.search(_chain_text(case.exc)) if m is not None else None
    if m is None or inferring is None:
        return None
    name, cls = inferring.group("layer"), m.group("cls")
    try:
        params = ", ".join(str(p) for p in inspect.signature(case.layer.call).parameters.values())
    except (AttributeError, TypeError, ValueError):
        params = "x"
    return Mismatch(
        case.path(name), _fed_from(case, case.layer, None) if case.layer is not None else f"input -> {name}",
        f"{cls}.call() that returns a tensor", "an error hidden by Keras' retry with training=",
        f"{cls}.call() failed while Keras worked out what {name} returns, and Keras then retried it with "
        f"training=..., which call() does not take, so the first error was lost (nobody passed training). Add "
        f"training=None to its parameters (def call(self, {params}, training=None)) and run again to see the real "
        "error; "
        "the usual one is a NumPy or backend function on the tensor, where a keras.ops function is needed.",
    )
