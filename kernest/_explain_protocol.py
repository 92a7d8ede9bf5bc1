"""Failures where a user's class or call breaks a protocol Keras relies on, read from the user's own code: a tensor
written in place (``x[:, 0] = 0.0``) in ``call``, a multi-input layer's ``build`` reading ``input_shape[-1]`` from a
list of shapes, a custom metric whose ``update_state`` takes no ``sample_weight``, and a custom RNN cell without
``state_size``.
Each reader prints the user's statement rewritten, in their names."""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from typing import Any

import keras

from kernest._errors import Mismatch
from kernest._explain_boundary import _path_in, user_class
from kernest._explain_custom import first_answer
from kernest._explain_training import _parse, _replace_all, _users_line
from kernest._lint_gradient import _int_index
from kernest._trace import unfiltered_traceback


def protocol_failure(case: Any) -> Mismatch | None:
    """The first of the readers below that recognises the failure, or None."""
    return first_answer(case, (_item_assignment, _shapes_list_in_build, _metric_without_sample_weight,
                               _cell_without_state_size))


# --- helpers ------------------------------------------------------------------------------------------------------

def _method(cls: type, name: str) -> ast.FunctionDef | None:
    """The def of ``cls``'s own method ``name``, parsed from its source; None where it cannot be read."""
    fn = vars(cls).get(name)
    try:
        node = ast.parse(textwrap.dedent(inspect.getsource(fn))).body[0]  # type: ignore[arg-type]
    except (OSError, TypeError, SyntaxError, IndexError):
        return None
    return node if isinstance(node, ast.FunctionDef) else None


def _frames(exc: BaseException) -> list[Any]:
    """The frames of ``exc``'s traceback, outermost first, with those Keras' traceback filtering dropped."""
    out, tb = [], unfiltered_traceback(exc) or exc.__traceback__
    while tb is not None:
        out.append(tb.tb_frame)
        tb = tb.tb_next
    return out


def _selves(exc: BaseException) -> list[Any]:
    """The ``self`` of every frame, innermost last."""
    return [f.f_locals["self"] for f in _frames(exc) if "self" in f.f_locals]


def _locals_of(exc: BaseException, wanted: Any) -> list[Any]:
    """Every value of the traceback's frames' variables for which ``wanted`` holds, innermost last."""
    return [v for f in _frames(exc) for v in list(f.f_locals.values()) if wanted(v)]


def _producer(tensor: Any) -> str | None:
    """The name of the layer or model that made a Keras tensor, or of the Input it is."""
    history = getattr(tensor, "_keras_history", None)
    op = getattr(history, "operation", None) if history is not None else None
    if op is None:
        return None
    if isinstance(op, keras.layers.InputLayer):
        return f"input:{op.name}"
    return str(op.name)


def _inputs_of_call(exc: BaseException, layer: Any) -> list[Any]:
    """The tensors ``layer`` was being called on in the traceback (its ``__call__`` frame), flattened."""
    for frame in _frames(exc):
        if frame.f_locals.get("self") is layer and frame.f_code.co_name == "__call__":
            args = frame.f_locals.get("args", ())
            return [t for t in keras.tree.flatten(args[0] if args else ()) if hasattr(t, "shape")]
    nodes = getattr(layer, "_inbound_nodes", [])
    return list(nodes[0].input_tensors) if nodes else []


def _outer_path(case: Any, layer: Any) -> str:
    """``layer``'s nested path: inside the model the user's line fits (``encoder/zero_first``), else from the
    outermost model in the traceback that holds it (being built or called: ``encoder/zero_first``); its own name
    where no model holds it."""
    fitted = case.fitted_model()
    inside = _path_in(fitted, layer) if fitted is not None and fitted is not layer else None
    if inside is not None:
        return inside
    for model in (s for s in _selves(case.exc) if isinstance(s, keras.Model) and s is not layer):
        inside = _path_in(model, layer)
        if inside is not None:
            return f"{model.name}/{inside}"
    return str(layer.name)


def _ops_prefix(fn: Any) -> str:
    """How the user's module reaches ``keras.ops``: ``ops`` where it imported it, else ``keras.ops``."""
    names = getattr(fn, "__globals__", {})
    for name, value in names.items():
        if value is keras.ops:
            return name
    return "keras.ops"


# --- x[:, 0] = 0.0 in call() --------------------------------------------------------------------------------------

_ITEM_ASSIGNED = re.compile(r"does not support item assignment|JAX arrays are immutable|"
                            r"modified by an inplace operation|leaf Variable that requires grad is being used in an "
                            r"in-place operation")


def _subscript_assignments(cls: type) -> list[ast.Assign]:
    call = _method(cls, "call")
    return [n for n in ast.walk(call) if isinstance(n, ast.Assign) and len(n.targets) == 1
            and isinstance(n.targets[0], ast.Subscript) and isinstance(n.targets[0].value, ast.Name)] if call else []


def _writing_layer(case: Any) -> Any:
    """The user's layer whose ``call`` writes into a tensor by index: the one in the traceback, else (PyTorch fails
    in the backward pass, outside call) the first such layer of the model fit was running."""
    for s in reversed(_selves(case.exc)):
        if isinstance(s, keras.layers.Layer) and user_class(type(s)) and _subscript_assignments(type(s)):
            return s
    model = case.fitted_model()
    for layer in model._flatten_layers(include_self=False) if isinstance(model, keras.Model) else []:
        if user_class(type(layer)) and _subscript_assignments(type(layer)):
            return layer
    return None


def _axis_condition(index: ast.expr, rank: int | None, var: str, ops: str) -> str | None:
    """For ``var[index]`` selecting along one axis (``[:, 0]``, ``[..., 2]``, ``[:, 1:3]``), a boolean expression
    over that axis, shaped to broadcast against ``var``; None for any other index."""
    parts = list(index.elts) if isinstance(index, ast.Tuple) else [index]
    full = [isinstance(p, ast.Slice) and p.lower is None and p.upper is None and p.step is None for p in parts]
    dots = [isinstance(p, ast.Constant) and p.value is Ellipsis for p in parts]
    chosen = [i for i, p in enumerate(parts) if not full[i] and not dots[i]]
    if len(chosen) != 1 or sum(dots) > 1:
        return None
    at = chosen[0]
    if any(dots) and dots.index(True) < at:
        axis = at - len(parts)  # counted from the end
    elif rank is not None and not any(dots):
        axis = at - rank
    else:
        return None
    size = f"{var}.shape[{axis}]"
    part = parts[at]
    if isinstance(part, ast.Slice) and part.step is None:
        low = _int_index(part.lower) if part.lower is not None else 0
        high = _int_index(part.upper) if part.upper is not None else None
        if low is None or (part.upper is not None and high is None):
            return None
        cond = f"({ops}.arange({size}) >= {low})" + (f" & ({ops}.arange({size}) < {high})" if high is not None else "")
    else:
        k = _int_index(part)
        if k is None:
            return None
        cond = f"{ops}.arange({size}) == {k}" if k >= 0 else f"{ops}.arange({size}) == {size} - {-k}"
    if axis != -1:
        cond = f"{ops}.reshape({cond}, (-1,{' 1,' * (-axis - 1)}))".replace(",)", ")")
    return cond


def _rank(tensors: list[Any]) -> int | None:
    shape = getattr(tensors[0], "shape", None) if tensors else None
    return len(shape) if shape is not None else None


def _item_assignment(case: Any) -> Mismatch | None:
    """``x[:, 0] = 0.0`` in a user's ``call``: Keras tensors on TensorFlow and JAX cannot be written in place, and on
    PyTorch the write breaks the gradient of the op that made ``x``. ``ops.where`` over the indexed axis makes the
    new tensor the user meant."""
    if not _ITEM_ASSIGNED.search(case.message):
        return None
    layer = _writing_layer(case)
    if layer is None:
        return None
    inputs = _inputs_of_call(case.exc, layer)
    ops = _ops_prefix(type(layer).call)
    node = _subscript_assignments(type(layer))[0]
    target = node.targets[0]
    var = target.value.id  # type: ignore[attr-defined]
    cond = _axis_condition(target.slice, _rank(inputs), var, ops)  # type: ignore[attr-defined]
    if cond is None:  # another index (a mask, several axes): the older in-place reader answers
        return None
    statement = ast.unparse(node)
    rewritten = f"{var} = {ops}.where({cond}, {ast.unparse(node.value)}, {var})"
    producer = _producer(inputs[0]) if inputs else None
    cls = type(layer).__name__
    return Mismatch(
        _outer_path(case, layer), f"{producer or 'input'} -> {layer.name}",
        "a new tensor (tensors cannot be written in place)", f"`{statement}` in {cls}.call",
        f"{cls}.call assigns into a tensor by index; TensorFlow and JAX tensors cannot be changed in place, and on "
        f"PyTorch the in-place write breaks the gradient of the operation that made {var}. Make a new tensor instead: "
        f"in {cls}.call replace `{statement}` with `{rewritten}`.",
    )


# --- build(input_shape) of a layer called on a list: input_shape[-1] is a shape ------------------------------------

_SHAPE_OF_SHAPES = re.compile(r"Cannot convert '.*' to a shape\. Found invalid (?:dimension|entry) '[\(\[]")


def _build_frame(exc: BaseException) -> Any:
    """The deepest frame of a user's ``build`` whose shape argument is a list of shapes."""
    found = None
    for frame in _frames(exc):
        layer = frame.f_locals.get("self")
        if frame.f_code.co_name != "build" or not isinstance(layer, keras.layers.Layer) or not user_class(type(layer)):
            continue
        names = frame.f_code.co_varnames[1:2]
        shapes = frame.f_locals.get(names[0]) if names else None
        if isinstance(shapes, (list, tuple)) and shapes and all(isinstance(s, (list, tuple)) for s in shapes):
            found = frame
    return found


def _input_index_of_weight(cls: type, attr: str | None) -> int:
    """Which of the inputs ``call`` multiplies the weight ``self.<attr>`` with (``user, ctx = inputs``, then
    ``ops.matmul(user, self.kernel)``: 0); 0 where the code does not say."""
    call = _method(cls, "call")
    if call is None or attr is None or len(call.args.args) < 2:
        return 0
    param = call.args.args[1].arg
    index: dict[str, int] = {}
    for node in ast.walk(call):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) and node.value.id == param:
            for target in node.targets:
                if isinstance(target, (ast.Tuple, ast.List)):
                    index.update({e.id: i for i, e in enumerate(target.elts) if isinstance(e, ast.Name)})
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Subscript)
                and isinstance(node.value.value, ast.Name) and node.value.value.id == param
                and _int_index(node.value.slice) is not None):
            index.update({t.id: _int_index(node.value.slice) for t in node.targets  # type: ignore[misc]
                          if isinstance(t, ast.Name)})
    for node in ast.walk(call):
        if not isinstance(node, ast.Call):
            continue
        args = [*node.args, *(k.value for k in node.keywords)]
        uses = any(isinstance(a, ast.Attribute) and a.attr == attr and isinstance(a.value, ast.Name)
                   and a.value.id == "self" for a in args)
        names = [a.id for a in args if isinstance(a, ast.Name) and a.id in index]
        if uses and names:
            return index[names[0]]
    return 0


def _shapes_list_in_build(case: Any) -> Mismatch | None:
    """``self.add_weight(shape=(input_shape[-1], units))`` in the ``build`` of a layer called on a list of tensors:
    Keras gives ``build`` the list of their shapes, so ``input_shape[-1]`` is the last input's whole shape."""
    if not _SHAPE_OF_SHAPES.search(case.message):
        return None
    frame = _build_frame(case.exc)
    where = _users_line(case.exc)
    tree = _parse(where[2]) if where is not None else None
    if frame is None or tree is None or where is None:
        return None
    layer, param = frame.f_locals["self"], frame.f_code.co_varnames[1]
    shapes = frame.f_locals[param]
    parents = {id(c): p for p in ast.walk(tree) for c in ast.iter_child_nodes(p)}
    reads = [n for n in ast.walk(tree) if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name)
             and n.value.id == param and not isinstance(parents.get(id(n)), ast.Subscript)]
    if not reads:
        return None
    assigned = next((t.attr for n in ast.walk(tree) if isinstance(n, ast.Assign) for t in n.targets
                     if isinstance(t, ast.Attribute)), None)
    i = _input_index_of_weight(type(layer), assigned)
    rewritten = _replace_all(where[2], [(n, f"{param}[{i}][{ast.unparse(n.slice)}]") for n in reads]).strip()
    inputs = _inputs_of_call(case.exc, layer)
    producer = _producer(inputs[i]) if i < len(inputs) else None
    cls = type(layer).__name__
    listed = ", ".join(str(tuple(s)) for s in shapes)
    return Mismatch(
        _outer_path(case, layer), f"{producer or 'input'} -> {layer.name}",
        f"one input's shape, {param}[{i}]", f"{param} = [{listed}], one shape per input",
        f"{layer.name} is called on a list of {len(shapes)} tensors, so Keras gives {cls}.build the list of their "
        f"shapes, [{listed}], and `{ast.unparse(reads[0])}` is a whole shape, not a size; read the size from the input "
        f"the weight multiplies ({param}[{i}] is input {i}): `{rewritten}`.",
    )


# --- a custom metric's update_state without sample_weight ------------------------------------------------------------

_NO_SAMPLE_WEIGHT = re.compile(r"(?P<cls>\w+)\.update_state\(\) got an unexpected keyword argument 'sample_weight'")


def _metric_without_sample_weight(case: Any) -> Mismatch | None:
    """``def update_state(self, y_true, y_pred):`` in a user's Metric: compile's metrics are called with
    ``sample_weight=`` at every step, so the method must accept it (and may ignore it)."""
    m = _NO_SAMPLE_WEIGHT.search(case.message)
    metrics = _locals_of(case.exc, lambda v: isinstance(v, keras.metrics.Metric) and type(v).__name__ == m.group("cls")) if m else []
    metric = metrics[-1] if metrics else None
    if metric is None:
        return None
    cls = type(metric)
    owner = next((c for c in cls.__mro__ if "update_state" in vars(c)), cls)
    node = _method(owner, "update_state")
    if node is None:
        return None
    args = node.args
    args.args.append(ast.arg("sample_weight"))
    args.defaults.append(ast.Constant(None))
    header = f"def update_state({ast.unparse(args)}):"
    model = case.fitted_model() or next((s for s in _selves(case.exc) if isinstance(s, keras.Model)), None)
    name = model.name if model is not None else "model"
    return Mismatch(
        name, f"{name} -> metrics", "update_state(y_true, y_pred, sample_weight=None)",
        f"{owner.__name__}.update_state without sample_weight",
        f"Keras calls every compiled metric as update_state(y_true, y_pred, sample_weight=...) at each step, and "
        f"{owner.__name__}.update_state takes no sample_weight; accept it (it is None unless fit is given sample "
        f"weights, and may be ignored): `{header}`.",
    )


# --- a custom RNN cell without state_size ---------------------------------------------------------------------------

_NO_STATE_SIZE = re.compile(r"The RNN cell should have a `state_size` attribute")


def _state_width(cls: type) -> tuple[str, str] | None:
    """The attribute that sizes a cell's recurrent weight (``self.units`` in ``shape=(self.units, self.units)``, or
    in any weight shape of ``build``) and the statement of ``__init__`` that sets it."""
    build, init = _method(cls, "build"), _method(cls, "__init__")
    if build is None or init is None:
        return None
    counted: dict[str, int] = {}
    for node in ast.walk(build):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add_weight":
            shape = next((k.value for k in node.keywords if k.arg == "shape"), node.args[0] if node.args else None)
            attrs = [a.attr for a in ast.walk(shape) if isinstance(a, ast.Attribute)  # type: ignore[arg-type]
                     and isinstance(a.value, ast.Name) and a.value.id == "self"] if shape is not None else []
            for attr in attrs:
                counted[attr] = max(counted.get(attr, 0), attrs.count(attr))
    for attr in sorted(counted, key=lambda a: -counted[a]):
        for node in ast.walk(init):
            if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Attribute)
                    and node.targets[0].attr == attr):
                return attr, ast.unparse(node)
    return None


def _cell_without_state_size(case: Any) -> Mismatch | None:
    """``layers.RNN(MyCell(12))`` where ``MyCell`` never sets ``self.state_size``: RNN reads it to make the
    initial state. The size is the width the cell's recurrent weight is built with."""
    if not _NO_STATE_SIZE.search(case.message):
        return None
    found = next((f.f_locals for f in _frames(case.exc)
                  if isinstance(f.f_locals.get("self"), keras.layers.RNN) and "cell" in f.f_locals), None)
    if found is None:
        return None
    cell = found["cell"]
    rnn = getattr(found["self"], "name", None) or found.get("kwargs", {}).get("name") or "rnn"  # raised before naming
    cls = type(cell)
    width = _state_width(cls)
    if width is None:
        return None
    attr, statement = width
    value = statement.split("=", 1)[1].strip()
    line = f"self.state_size = {value}"
    return Mismatch(
        str(rnn), f"{cell.name} -> {rnn}", "a cell with state_size (the width of its state)",
        f"{cls.__name__} without state_size",
        f"layers.RNN makes the cell's initial state from cell.state_size, and {cls.__name__} does not set it; its "
        f"state is self.{attr} wide (the recurrent weight's size), so in {cls.__name__}.__init__, after "
        f"`{statement}`, add `{line}` (a list of sizes, one per state, for a cell with several states).",
    )
