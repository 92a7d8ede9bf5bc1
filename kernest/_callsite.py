"""The user's own call on the line that failed, read as Python.

Many failures are visible in the call itself, whatever the model: a keyword the callee does not take, a flag
passed by position to a layer, tensors handed to a layer's constructor, a TensorFlow/JAX/torch function applied
to a symbolic Keras tensor, a file name Keras refuses. Each check here reads the parsed line and the values its
names hold in the user's scope, and computes the corrected call from the user's own text.
"""

from __future__ import annotations

import ast
import difflib
import inspect
import linecache
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import keras

from kernest._errors import Mismatch
from kernest._graph import call_parameters, is_input_layer, is_symbolic, outermost, producer

_BACKEND_MODULES = ("tensorflow", "jax", "torch")
# Backend spellings that keras.ops spells otherwise (the others keep their name: clip, matmul, expand_dims ...).
OPS_NAME = {
    "reduce_mean": "mean", "reduce_sum": "sum", "reduce_max": "max", "reduce_min": "min", "reduce_prod": "prod",
    "reduce_any": "any", "reduce_all": "all", "reduce_std": "std", "reduce_variance": "var",
    "reduce_logsumexp": "logsumexp", "concat": "concatenate", "cat": "concatenate", "clip_by_value": "clip",
    "clamp": "clip", "pow": "power", "gather": "take", "range": "arange", "rank": "ndim", "unsqueeze": "expand_dims",
    "permute": "transpose", "mm": "matmul", "bmm": "matmul", "asarray": "convert_to_tensor",
    "array": "convert_to_tensor",
}
OPS_KEYWORD = {"dim": "axis", "keepdim": "keepdims", "a_min": "x_min", "a_max": "x_max",
                "clip_value_min": "x_min", "clip_value_max": "x_max", "input_tensor": "x"}


def snake_case(name: str) -> str:
    """A class name as Keras names its instances and losses: ``MaxPooling1D`` -> ``max_pooling1_d``,
    ``BinaryCrossentropy`` -> ``binary_crossentropy``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def keras_op(call: ast.Call, name: str, prefix: str = "keras.ops.",
             text: Callable[[ast.AST], str] = ast.unparse, numpy: bool = False) -> str | None:
    """A TensorFlow/torch/NumPy call as the keras.ops call that does the same (``tf.reduce_mean(x, axis=1)``
    as ``keras.ops.mean(x, axis=1)``, ``torch.cat(xs, dim=1)`` as ``keras.ops.concatenate(xs, axis=1)``), its
    arguments written by ``text``; for NumPy (``numpy=True``) also a function keras.ops lacks as its keras.ops
    composition (``np.degrees(x)`` as ``keras.ops.rad2deg(x)``, ``np.fix`` as ``trunc``...). None when keras.ops has no such
    op, or its op takes none of a keyword given (``np.std(x, ddof=1)``): never a name that does something else."""
    args = [text(a) for a in call.args]
    kwargs = {k.arg: text(k.value) for k in call.keywords if k.arg}
    if numpy:
        if name in _NUMPY_DIFFERS or len(kwargs) < len(call.keywords):
            return None
        if name in _NUMPY_COMPOSED:
            return _NUMPY_COMPOSED[name](args, kwargs, prefix)
    op = OPS_NAME.get(name, name)
    found: Any = keras.ops
    for part in op.split("."):  # "image.resize": keras.ops.image.resize
        found = getattr(found, part, None)
    if found is None or not _takes(found, len(call.args), [OPS_KEYWORD.get(k.arg, k.arg) for k in call.keywords if k.arg]):
        return None
    args += [f"{OPS_KEYWORD.get(k.arg, k.arg)}={text(k.value)}" if k.arg else f"**{text(k.value)}" for k in call.keywords]
    return f"{prefix}{op}({', '.join(args)})"


def ops_spelling(dotted: str) -> str:
    """How keras.ops names the function a backend's dotted call names: ``image.resize`` for ``tf.image.resize``
    (keras.ops has it in a submodule only), else the last name (``reduce_sum`` for ``tf.math.reduce_sum``)."""
    *path, name = dotted.split(".")
    sub = getattr(keras.ops, path[-1], None) if path else None
    if not hasattr(keras.ops, OPS_NAME.get(name, name)) and sub is not None and hasattr(sub, name):
        return f"{path[-1]}.{name}"
    return name


def _takes(fn: Any, positional: int, keywords: list[str]) -> bool:
    """Whether ``fn`` takes that many positional arguments and those keywords (True where it cannot be told)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return True
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return True
    named = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return (positional <= len(named) or any(p.kind is p.VAR_POSITIONAL for p in params)) and all(
        any(p.name == k for p in params if p.kind is not p.POSITIONAL_ONLY) for k in keywords)


def missing_op_advice(written: list[str]) -> str:
    """What to do about NumPy calls keras.ops has no function or composition for: said so, and where the work
    can go instead."""
    return (f"keras.ops has no function that takes {', '.join(written)} as written, and kernest knows no keras.ops "
            "composition that gives the same values: compute it on the data before the model (NumPy runs there), "
            "or write a custom keras.layers.Layer whose call() builds it from keras.ops functions.")


def _arg(args: list[str], kwargs: dict[str, str], k: int, name: str) -> str | None:
    return args[k] if k < len(args) else kwargs.get(name)


def _only(args: list[str], kwargs: dict[str, str], names: tuple[str, ...]) -> bool:
    return len(args) + len(kwargs) <= len(names) and all(k in names[len(args):] for k in kwargs)


def _unary(op: str) -> Callable[[list[str], dict[str, str], str], str | None]:
    return lambda a, k, p: f"{p}{op}({a[0]})" if len(a) == 1 and not k else None


def _around(a: list[str], k: dict[str, str], p: str) -> str | None:
    d = _arg(a, k, 1, "decimals")
    return f"{p}round({a[0]}" + (f", decimals={d})" if d else ")") if a and _only(a, k, ("a", "decimals")) else None


def _power(a: list[str], k: dict[str, str], p: str) -> str | None:
    return f"{p}power({a[0]}, {a[1]})" if len(a) == 2 and not k else None


def _remainder(a: list[str], k: dict[str, str], p: str) -> str | None:
    return f"{p}mod({a[0]}, {a[1]})" if len(a) == 2 and not k else None


def _copysign(a: list[str], k: dict[str, str], p: str) -> str | None:
    return (f"{p}abs({a[0]}) * {p}where({p}signbit({a[1]}), -1.0, 1.0)"  # the sign of a negative zero too
            if len(a) == 2 and not k else None)


def _ediff1d(a: list[str], k: dict[str, str], p: str) -> str | None:
    return f"{p}diff({p}ravel({a[0]}))" if len(a) == 1 and not k else None


def _array_equal(a: list[str], k: dict[str, str], p: str) -> str | None:
    return f"{p}all({p}equal({a[0]}, {a[1]}))" if len(a) == 2 and not k else None  # (tensors of one shape)


def _trapezoid(a: list[str], k: dict[str, str], p: str) -> str | None:
    if not a or not _only(a, k, ("y", "x", "dx", "axis")) or _arg(a, k, 1, "x") is not None:
        return None  # sample points given: no short composition
    y, dx, axis = a[0], _arg(a, k, 2, "dx"), _arg(a, k, 3, "axis") or "-1"
    n = f"{p}shape({y})[{axis}]"
    area = (f"{p}sum({p}take({y}, {p}arange(1, {n}), axis={axis}) + {p}take({y}, {p}arange(0, {n} - 1), "
            f"axis={axis}), axis={axis}) / 2.0")
    return f"{area} * {dx}" if dx else area


# NumPy functions keras.ops has none of by that name, and the keras.ops composition that gives the same values
_NUMPY_COMPOSED: dict[str, Callable[[list[str], dict[str, str], str], str | None]] = {
    "degrees": _unary("rad2deg"), "radians": _unary("deg2rad"), "rint": _unary("round"), "fix": _unary("trunc"),
    "around": _around, "float_power": _power, "remainder": _remainder, "copysign": _copysign,
    "ediff1d": _ediff1d, "array_equal": _array_equal, "trapz": _trapezoid, "trapezoid": _trapezoid,
}
# NumPy names keras.ops has a function of, that takes other arguments or does another thing
_NUMPY_DIFFERS = {"fft", "ifft", "fft2", "ifft2", "rfft", "irfft", "stft", "istft", "normal", "uniform", "random",
                  "shuffle", "choice", "permutation"}


@dataclass
class LineCall:
    """One call on the user's line: its node, the source text it was parsed from, and where it sits."""

    node: ast.Call
    source: str
    parent: LineCall | None = None
    parent_key: str | None = None  # the keyword under which this call is passed to ``parent``

    def text(self, node: ast.AST | None = None) -> str:
        return ast.get_source_segment(self.source, node or self.node) or ast.unparse(node or self.node)


def parse_line(text: str) -> tuple[ast.AST, str]:
    """The user's line as Python, and the source it was parsed from: a call continued on the next lines is
    closed where it stops parsing."""
    for end in range(len(text), 0, -1):
        head = text[:end].rstrip().rstrip(",")
        source = head + ")" * max(0, head.count("(") - head.count(")"))
        try:
            return ast.parse(source), source
        except SyntaxError:
            continue
    return ast.parse(""), ""


def calls_on(text: str) -> list[LineCall]:
    """Every call on the line, outermost first, each knowing the call it is an argument of."""
    tree, source = parse_line(text)
    found: list[LineCall] = []

    def visit(node: ast.AST, parent: LineCall | None, key: str | None) -> None:
        if isinstance(node, ast.Call):
            call = LineCall(node, source, parent, key)
            found.append(call)
            visit(node.func, parent, None)
            for arg in node.args:
                visit(arg, call, None)
            for kw in node.keywords:
                visit(kw.value, call, kw.arg)
            return
        for child in ast.iter_child_nodes(node):
            visit(child, parent, key)

    visit(tree, None, None)
    return found


# A model's methods that take data, compile settings or a file, as the user calls them on a model.
DATA_METHODS = ("fit", "evaluate", "predict", "train_on_batch", "test_on_batch", "predict_on_batch")
MODEL_METHODS = (*DATA_METHODS, "compile", "save", "save_weights", "load_weights", "__call__")


@dataclass
class ModelCall:
    """One parsed view of a call on a model on the user's line (``net.fit(x, [y1, y2], sample_weight=w)``,
    ``net(x)``): which model, which method, and each argument by its parameter name, whether it was written by
    position or by keyword, with the values its names hold in the user's scope."""

    call: LineCall
    method: str  # "fit", "predict", ..., "__call__" for the model called directly
    model: Any  # the keras.Model it is called on; None when the line's name holds no model
    scope: dict[str, Any]

    @property
    def owner(self) -> str:
        """The source text of the model the method is called on (``net``, ``self.model``)."""
        func = self.call.node.func
        return self.call.text(func.value if isinstance(func, ast.Attribute) else func)

    def parameters(self) -> list[str]:
        """The method's parameter names in positional order (a model's ``__call__`` takes ``inputs`` first)."""
        if self.method == "__call__":
            names = [p.name for p in call_parameters(self.model)] if self.model is not None else []
            return ["inputs", *names[1:]]
        try:
            params = inspect.signature(getattr(keras.Model, self.method)).parameters
        except (AttributeError, TypeError, ValueError):
            return []
        return [n for n, p in params.items() if n != "self" and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]

    def node(self, key: str) -> ast.AST | None:
        """The argument given for parameter ``key``, by keyword or by position."""
        for kw in self.call.node.keywords:
            if kw.arg == key:
                return kw.value
        params = self.parameters()
        i = params.index(key) if key in params else -1
        return self.call.node.args[i] if 0 <= i < len(self.call.node.args) else None

    def text(self, key: str) -> str | None:
        node = self.node(key)
        return self.call.text(node) if node is not None else None

    def value(self, key: str) -> Any:
        node = self.node(key)
        return value_of(node, self.scope) if node is not None else None

    def names(self, *keys: str) -> set[str]:
        """The variable names read inside the arguments for ``keys``."""
        nodes = [self.node(k) for k in keys]
        return {n.id for node in nodes if node is not None for n in ast.walk(node) if isinstance(n, ast.Name)}

    def listed(self, key: str) -> list[str] | None:
        """The variable names of a list or tuple literal given for ``key`` (``fit([a, b], y)``); None otherwise."""
        node = self.node(key)
        if not isinstance(node, (ast.List, ast.Tuple)) or not all(isinstance(e, ast.Name) for e in node.elts):
            return None
        return [e.id for e in node.elts if isinstance(e, ast.Name)]


def model_calls(text: str, scope: dict[str, Any], methods: tuple[str, ...] = MODEL_METHODS) -> list[ModelCall]:
    """Every call on the line of one of ``methods`` (outermost first): ``x.fit(...)`` whatever ``x`` holds,
    and ``m(...)`` where ``m`` holds a keras.Model (``__call__``)."""
    found = []
    for call in calls_on(text):
        func = call.node.func
        if isinstance(func, ast.Attribute) and func.attr in methods and func.attr != "__call__":
            owner = value_of(func.value, scope)
            found.append(ModelCall(call, func.attr, owner if isinstance(owner, keras.Model) else None, scope))
        elif "__call__" in methods:
            callee = value_of(func, scope)
            if isinstance(callee, keras.Model):
                found.append(ModelCall(call, "__call__", callee, scope))
    return found


def model_call(text: str, scope: dict[str, Any], methods: tuple[str, ...] = MODEL_METHODS) -> ModelCall | None:
    """The outermost call on the line of one of ``methods``, or None."""
    return next(iter(model_calls(text, scope, methods)), None)


def first_listed(text: str) -> list[str] | None:
    """The entries, as written, of the list literal that the first call on the line taking one first holds
    (``model.fit([a, b], y)``, ``scorer([user, np.zeros((2, 3))])``); None when no call takes such a list first."""
    for call in calls_on(text):
        if call.node.args and isinstance(call.node.args[0], ast.List):
            return [call.text(e) for e in call.node.args[0].elts]
    return None


def constructor_parameters(made: Any) -> list[str]:
    """The names of the constructor parameters of class ``made`` (``units``, ``activation``... for Dense), in
    order, without ``self``; [] where ``made`` is no class or its signature cannot be read."""
    if not inspect.isclass(made):
        return []
    try:
        return [p for p in inspect.signature(made.__init__).parameters if p != "self"]
    except (TypeError, ValueError):
        return []


def value_of(node: ast.AST, scope: dict[str, Any]) -> Any:
    """The value of a side-effect-free expression (names, attributes, constants, lists) in the user's scope;
    None when it cannot be known without running code."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return scope.get(node.id)
    if isinstance(node, ast.Attribute):
        base = value_of(node.value, scope)
        try:
            return getattr(base, node.attr, None) if base is not None else None
        except Exception:  # a property that raises (``model.output`` of a model never called)
            return None
    if isinstance(node, (ast.List, ast.Tuple)):
        return [value_of(e, scope) for e in node.elts]
    if isinstance(node, ast.Dict) and all(isinstance(k, ast.Constant) for k in node.keys):
        return {k.value: value_of(v, scope) for k, v in zip(node.keys, node.values) if isinstance(k, ast.Constant)}
    return None



def file_source(file: str | None) -> str:
    """The text of the user's ``file``, '' when it cannot be read. Read through ``linecache``, which also holds
    the cells of a notebook, that have no file on disk; a file changed since it was cached is read anew."""
    if not file:
        return ""
    linecache.checkcache(file)
    return "".join(linecache.getlines(file))


def file_tree(file: str | None) -> tuple[str, ast.Module | None]:
    """The text of the user's ``file`` ('' when it cannot be read) and its syntax tree (None where it does not
    parse), parsed anew for each reader (some edit the tree to write their fix)."""
    source = file_source(file)
    try:
        return source, ast.parse(source)
    except (SyntaxError, ValueError):
        return source, None


def user_source(case: Any) -> str:
    """The text of the user's file that holds the failing line; '' when it cannot be read."""
    return file_source(getattr(case.site, "file", None))


def user_tree(case: Any) -> tuple[str, ast.Module | None]:
    """The user's file that holds the failing line and its syntax tree, as ``file_tree`` reads them."""
    return file_tree(getattr(case.site, "file", None))


def source_offset(lines: list[str], line: int | None, col: int | None) -> int:
    """The position in the text of ``lines`` (kept ends) of 1-based ``line`` and column ``col``, as ast gives them."""
    return sum(len(x) for x in lines[: (line or 1) - 1]) + (col or 0)


def assignment_of(source: str, var: str) -> ast.Assign | None:
    """The statement of the user's file ``source`` that assigns the name ``var`` (``features = ...``), or None."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    return next((node for node in ast.walk(tree) if isinstance(node, ast.Assign)
                 and isinstance(node.targets[0], ast.Name) and node.targets[0].id == var), None)

def _tensors(value: Any) -> list[Any]:
    items = value if isinstance(value, (list, tuple)) else [value]
    return [v for v in items if is_symbolic(v)]


def source_name(node: ast.AST, scope: dict[str, Any]) -> str | None:
    """The part that made the tensor an argument holds: ``input:NAME`` for a model input, the layer's name
    for a layer's output, or the called layer for an argument written as ``layer(...)``."""
    if isinstance(node, (ast.List, ast.Tuple)):
        return next((n for n in (source_name(e, scope) for e in node.elts) if n), None)
    if isinstance(node, ast.Call):
        callee = value_of(node.func, scope)
        return str(callee.name) if isinstance(callee, keras.layers.Layer) else None
    for tensor in _tensors(value_of(node, scope)):
        made = producer(tensor)
        if made is not None:
            return f"input:{made.name}" if is_input_layer(made) else str(made.name)
    return None


def _has_tensors(node: ast.AST, scope: dict[str, Any]) -> bool:
    if isinstance(node, (ast.List, ast.Tuple)):
        return any(_has_tensors(e, scope) for e in node.elts)
    if isinstance(node, ast.Call):
        return isinstance(value_of(node.func, scope), keras.layers.Layer)
    return bool(_tensors(value_of(node, scope)))


def name_kw(call: ast.Call) -> str | None:
    """The string given as ``name=`` in a call, if any."""
    for kw in call.keywords:
        if kw.arg == "name" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
            return kw.value.value
    return None


def _name_kwarg(call: LineCall) -> str | None:
    return name_kw(call.node)


def _short(callee_text: str) -> str:
    return callee_text.rsplit(".", 1)[-1]


def tensors_given_to_constructor(calls: list[LineCall], scope: dict[str, Any]) -> Mismatch | None:
    """``Concatenate([a, b], axis=1)``: a layer class given the tensors it should be called on. A model
    class is not one: ``keras.Model(inputs, outputs)`` takes tensors by design."""
    for call in calls:
        cls = value_of(call.node.func, scope)
        if not (isinstance(cls, type) and issubclass(cls, keras.layers.Layer)) or issubclass(cls, keras.Model):
            continue
        tensors = [a for a in call.node.args if _has_tensors(a, scope)]
        if not tensors:
            continue
        settings = [call.text(a) for a in call.node.args if a not in tensors]
        settings += [call.text(kw) for kw in call.node.keywords]
        callee = call.text(call.node.func)
        fixed = f"{callee}({', '.join(settings)})({', '.join(call.text(t) for t in tensors)})"
        name = _name_kwarg(call) or _short(callee)
        source = source_name(tensors[0], scope) or "?"
        return Mismatch(
            name, f"{source} -> {name}", f"{_short(callee)}(settings)(tensors)", f"tensors in {_short(callee)}(...)",
            f"{_short(callee)} is a layer class: its constructor takes settings, and the built layer is then "
            f"called on the tensors. The tensors went to the constructor. Write {fixed}.",
        )
    return None


def flag_passed_by_position(calls: list[LineCall], scope: dict[str, Any], caller: str = "?") -> Mismatch | None:
    """``backbone(x, False)``, ``self.block(h, training)``: Keras 3 layers take only tensors by position; a flag or
    number goes by keyword. Each is named with the ``call`` parameter its variable is named after, ``training``
    for a bool where ``call`` has one, else the parameter at its place. ``caller``: the interface's side when the
    tensor has no graph (a line inside a user's ``call``)."""
    for call in calls:
        layer = value_of(call.node.func, scope)
        if not isinstance(layer, keras.layers.Layer) or len(call.node.args) < 2:
            continue
        params = [p.name for p in call_parameters(layer)]
        kept, named = [call.text(call.node.args[0])], []
        for i, arg in enumerate(call.node.args[1:], start=1):
            value = value_of(arg, scope)
            if not isinstance(value, (bool, int, float, type(None))) or (value is None and not isinstance(arg, ast.Constant)):
                kept.append(call.text(arg))  # a tensor, or what cannot be read: left where it is
            elif isinstance(arg, ast.Name) and arg.id in params:
                named.append((arg.id, call.text(arg)))
            elif isinstance(value, bool) and "training" in params:
                named.append(("training", call.text(arg)))
            elif i < len(params):
                named.append((params[i], call.text(arg)))
            else:
                named = []
                break
        if not named:
            continue
        fixed = ", ".join(kept + [f"{key}={text}" for key, text in named] + [call.text(kw) for kw in call.node.keywords])
        source = source_name(call.node.args[0], scope) or caller
        given = ", ".join(text for _, text in named)
        second = f" (its second parameter is {params[1]!r})" if len(params) > 1 and params[1] != named[0][0] else ""
        return Mismatch(
            str(layer.name), f"{source} -> {layer.name}", "tensors by position, flags by keyword", f"{given} by position",
            f"Keras 3 layers and models take only tensors as positional arguments{second}; {layer.name}'s call reads "
            f"{given} as its {', '.join(repr(k) for k, _ in named)} argument. Pass it by keyword: "
            f"{call.text(call.node.func)}({fixed}).",
        )
    return None


def _backend_function(callee: Any, callee_text: str) -> str | None:
    module = getattr(callee, "__module__", None) or ""
    root = callee_text.split(".", 1)[0]
    if module.split(".", 1)[0] in (*_BACKEND_MODULES, "numpy") or root in ("tf", "jnp", "jax", "torch", "np"):
        return _short(callee_text)
    return None


def _consumer(var: str | None, later: str, scope: dict[str, Any]) -> str | None:
    """The layer the script calls next on ``var`` (``decoder(h)`` further down), by its Keras name."""
    if not var:
        return None
    for found in re.finditer(rf"([A-Za-z_][\w.]*)\(\s*\[?\s*{re.escape(var)}\b", later):
        node = ast.parse(found.group(1), mode="eval").body
        layer = value_of(node, scope)
        if isinstance(layer, keras.layers.Layer):
            return str(layer.name)
    return None


def backend_op_on_symbolic(calls: list[LineCall], scope: dict[str, Any], assigned: str | None,
                           later: str) -> Mismatch | None:
    """``tf.expand_dims(encoder(x), -1)`` in a functional model: a backend function cannot take the
    symbolic tensor; the ``keras.ops`` function that does the same can (named as _callsite.OPS_NAME maps it),
    and works on every backend."""
    for call in calls:
        callee_text = call.text(call.node.func)
        fn = _backend_function(value_of(call.node.func, scope), callee_text)
        symbolic = [a for a in call.node.args if _has_tensors(a, scope)]
        if fn is None or not symbolic:
            continue
        source = source_name(symbolic[0], scope) or "?"
        consumer = _consumer(assigned, later, scope) or "?"
        op = keras_op(call.node, fn, "keras.ops.", call.text)
        if op is not None:
            fix = f"use the Keras op instead, which takes symbolic tensors on every backend: {op}."
        else:
            fix = (f"keras.ops has no {fn}; put the call in a layer (a keras.layers.Layer subclass whose call() "
                   f"does {callee_text}(...)) and call that layer on the tensor.")
        return Mismatch(
            source, f"{source} -> {consumer}", "a Keras op or layer", f"{callee_text}(...) on a symbolic tensor",
            f"{callee_text} is a {'NumPy' if callee_text.startswith(('np.', 'numpy.')) else 'backend'} function; "
            f"while the model is being built, {source}'s output is a symbolic "
            f"KerasTensor it cannot take. {fix[0].upper()}{fix[1:]}",
        )
    return None


def _accepted_keywords(callee: Any) -> list[str] | None:
    """The named parameters a class's constructors (or a function) accept; None when unknown."""
    functions = ([vars(c)["__init__"] for c in callee.__mro__ if "__init__" in vars(c)] if isinstance(callee, type)
                 else [callee] if callable(callee) else [])
    names: list[str] = []
    for fn in functions:
        try:
            params = inspect.signature(fn).parameters.values()
        except (TypeError, ValueError):
            continue
        names += [p.name for p in params if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and p.name != "self"]
    return sorted(set(names)) or None


def keyword_not_accepted(calls: list[LineCall], scope: dict[str, Any], message: str,
                         renamed: dict[str, str | None]) -> Mismatch | None:
    """``Adam(lr=0.001)``: a keyword the callee does not take (the message quotes it). The Keras 3 name
    comes from ``renamed`` (Keras 1/2 names) or is the closest parameter the callee does take."""
    for call in calls:
        callee = value_of(call.node.func, scope)
        accepted = _accepted_keywords(callee) if callee is not None else None
        if accepted is None:
            continue
        bad = [kw.arg for kw in call.node.keywords if kw.arg and kw.arg not in accepted
               and re.search(rf"['\"`]{re.escape(kw.arg)}['\"`]", message)]
        if not bad:
            continue
        fixed, said = call.text(), []
        for key in bad:
            new = renamed.get(key)
            new = new if new in accepted else next(iter(difflib.get_close_matches(key, accepted, 1, 0.6)), None)
            if new:
                fixed = re.sub(rf"\b{re.escape(key)}(\s*=)", rf"{new}\1", fixed)
                said.append(f"{key} is {new}")
            else:
                fixed = re.sub(rf",?\s*\b{re.escape(key)}\s*=\s*[^,()]+(\([^()]*\))?", "", fixed)
                said.append(f"{key} is not one of its arguments")
        callee_text = call.text(call.node.func)
        name = _name_kwarg(call) or _short(callee_text)
        path, interface = name, f"{bad[0]}= -> {name}"
        if call.parent is not None and call.parent_key and isinstance(call.parent.node.func, ast.Attribute):
            owner = value_of(call.parent.node.func.value, scope)
            if isinstance(owner, keras.layers.Layer):
                path, interface = str(owner.name), f"{owner.name} -> {call.parent_key}"
        return Mismatch(
            path, interface, f"arguments {_short(callee_text)} takes", ", ".join(f"{k}=" for k in bad),
            f"{_short(callee_text)} does not take {', '.join(bad)} ({'; '.join(said)}). Write {fixed}.",
        )
    return None


def _wanted_ending(message: str) -> str | None:
    """The file ending Keras asks for: ``must end in .weights.h5``, or ``add either a `.keras` extension``."""
    wanted = re.search(r"must end in (?:[`'\"](\.[^`'\"]+)[`'\"]|(\.[\w.]*\w))", message)
    if wanted is not None:
        return wanted.group(1) or wanted.group(2)
    either = re.search(r"add either a [`'\"]?(\.\w+)[`'\"]? extension", message)
    return either.group(1) if either is not None else None


def _file_names(call: LineCall, scope: dict[str, Any], ending: str, received: str = "") -> list[tuple[str | None, str]]:
    """The file names a call is given that lack ``ending``: (the variable that holds it, or None for a string
    written on the line; the name). ``received``: the name Keras says it was given, so that a last part without
    a dot (``os.path.join(folder, "tfmodel")``) is found too."""
    found = []
    for node in [*call.node.args, *(k.value for k in call.node.keywords if k.arg == "filepath")]:
        if isinstance(node, (ast.Name, ast.Constant)):  # the name itself, written here or held by a variable
            held = value_of(node, scope)
            if isinstance(held, str) and held and not held.endswith(ending):
                found.append((call.text(node) if isinstance(node, ast.Name) else None, held))
            continue
        found += [(None, str(c.value)) for c in ast.walk(node) if isinstance(c, ast.Constant)
                  and isinstance(c.value, str) and not c.value.endswith(ending)
                  and ("." in c.value or (received and c.value == os.path.basename(received)))]
    return found


# Endings a user gives a file that Keras 3 names otherwise: dropped before the ending Keras asks for.
_OLD_ENDINGS = (".h5", ".hdf5", ".keras", ".weights", ".ckpt", ".tf", ".pb")


def _writer(call: LineCall, scope: dict[str, Any]) -> Any:
    """What writes the file: the object a method is called on (``model.save``), or, for a callback made on the
    line (``keras.callbacks.ModelCheckpoint(...)``), the outermost model in scope, which fit will give it."""
    func = call.node.func
    owner = value_of(func.value, scope) if isinstance(func, ast.Attribute) else None
    if owner is not None and not inspect.ismodule(owner):
        return owner
    made = value_of(func, scope)
    if inspect.isclass(made) and issubclass(made, keras.callbacks.Callback):
        outer = outermost(v for v in scope.values() if isinstance(v, keras.Model))
        return outer[0] if len(outer) == 1 else None
    return None


def file_name_refused(calls: list[LineCall], scope: dict[str, Any], message: str) -> Mismatch | None:
    """``encoder.save_weights("enc.h5")`` when Keras wants ``.weights.h5`` (or ``model.save(path)`` without
    ``.keras``): the user's file name with the ending Keras asks for."""
    ending = _wanted_ending(message)
    if ending is None:
        return None
    said = re.search(r"Received: filepath=(\S+?)\.?$", message.strip())
    received = said.group(1) if said else ""
    for call in calls:
        names = _file_names(call, scope, ending, received)
        owner = _writer(call, scope)
        if not names or owner is None:
            continue  # os.path.join(...), kernest.explain(...): not the object that writes the file
        func = call.node.func
        who = str(getattr(owner, "name", call.text(func.value if isinstance(func, ast.Attribute) else func)))
        source, old = names[0]
        base = os.path.basename(old)
        stem = os.path.splitext(base)[0] if base.endswith(_OLD_ENDINGS) else base
        new = stem + ending  # the user's name, with the ending Keras asks for instead of theirs
        give = (f'give "{new}" instead of "{base}"' if source is None
                else f'give {source} + "{ending}" ("{new}")' if stem == base
                else f'give a name ending in {ending} ("{new}") instead of {source} ("{base}")')
        return Mismatch(
            who, f"{who} -> file", f"a file name ending in {ending}", base,
            f"Keras 3 writes this file only under a name ending in {ending}: {give} (and load it back from that name).",
        )
    return None


# Python's own words when a call's arguments do not bind to the callee's signature.
_UNBOUND = re.compile(r"missing (?:a|\d+) required (?:positional )?argument|too many positional arguments"
                      r"|takes \d+ positional arguments? but \d+ (?:were|was) given")


def _fresh_accepts(layer: Any, *args: Any) -> bool:
    """Whether a fresh copy of ``layer`` (from its config) can be called on ``args`` (symbolic tensors or
    lists of them): the check that a rewritten call works, without touching the user's layer."""
    def spec(value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return [spec(v) for v in value]
        return keras.KerasTensor(tuple(value.shape), dtype=getattr(value, "dtype", "float32"))
    try:
        copy = type(layer).from_config(layer.get_config())
        copy(*[spec(a) for a in args])
        return True
    except Exception:  # any refusal (or a layer that cannot be copied) means: not shown to work
        return False


def _called_layer(node: ast.AST, scope: dict[str, Any], failing: Any) -> Any:
    """The layer a call's callee holds: a name's value, or for a layer built on the line itself
    (``Concatenate(name="joined")(a, b)``) the failing layer when it is of that class."""
    layer = value_of(node, scope)
    if layer is None and isinstance(node, ast.Call):
        cls = value_of(node.func, scope)
        layer = failing if isinstance(cls, type) and isinstance(failing, cls) else None
    return layer


def arguments_refused(calls: list[LineCall], scope: dict[str, Any], message: str, failing: Any = None) -> Mismatch | None:
    """A layer called with arguments its ``call`` signature does not take: tensors given one by one to a
    layer that takes them as one list (``Concatenate()(a, b)``), or a required tensor left out
    (``MultiHeadAttention(...)(x)`` without its value). The corrected call is read from ``call``'s own
    parameters and checked on a fresh copy of the layer before it is offered."""
    if not _UNBOUND.search(message):
        return None
    for call in calls:
        layer = _called_layer(call.node.func, scope, failing)
        if not isinstance(layer, keras.layers.Layer) or not call.node.args:
            continue
        params = call_parameters(layer)
        given = [value_of(a, scope) for a in call.node.args]
        if any(not hasattr(g, "shape") for g in given):
            continue
        texts = [call.text(a) for a in call.node.args]
        keywords = [call.text(kw) for kw in call.node.keywords]
        callee = call.text(call.node.func)
        if len(given) > len(params):
            found = _one_list(layer, callee, given, texts, keywords, call, scope)
        else:
            found = _missing_tensors(layer, callee, params, given, texts, keywords, call, scope)
        if found is not None:
            return found
    return None


def _one_list(layer: Any, callee: str, given: list[Any], texts: list[str], keywords: list[str],
              call: LineCall, scope: dict[str, Any]) -> Mismatch | None:
    names = [p.name for p in call_parameters(layer)]
    listed = "[" + ", ".join(texts) + "]"
    fixed = f"{callee}({', '.join([listed, *keywords])})"
    source = source_name(call.node.args[len(names)], scope) or "?"
    works = _fresh_accepts(layer, list(given))
    fix = (f"{type(layer).__name__} takes its tensors as one list. Write {fixed}." if works else
           f"no list of these tensors works on a fresh copy either: check which of them {layer.name} should get.")
    return Mismatch(
        str(layer.name), f"{source} -> {layer.name}", f"{len(names)} positional argument(s): {', '.join(names)}",
        f"{len(given)} tensors by position",
        f"{layer.name}'s call takes {', '.join(names) or 'no tensors'} by position, and the line passes "
        f"{len(given)} tensors ({', '.join(texts)}); {fix}",
    )


def _missing_tensors(layer: Any, callee: str, params: list[Any], given: list[Any], texts: list[str],
                     keywords: list[str], call: LineCall, scope: dict[str, Any]) -> Mismatch | None:
    passed = {kw.arg for kw in call.node.keywords}
    # training and mask are Keras' own call arguments, never tensors the line should pass (a required one is
    # the layer's fault: _explain_custom._required_call_arg)
    missing = [p.name for p in params[len(given):] if p.default is p.empty and p.name not in passed
               and p.name not in ("training", "mask")]
    if not missing:
        return None
    wanted = [p.name for p in params[: len(given) + len(missing)]]
    repeated = [*given, *[given[0]] * len(missing)]
    source = source_name(call.node.args[0], scope) or "?"
    if _fresh_accepts(layer, *repeated):  # e.g. self-attention: the sequence is query and value
        fixed = f"{callee}({', '.join([*texts, *[texts[0]] * len(missing)] + keywords)})"
        fix = (f"to attend {texts[0]} to itself, pass it again: {fixed} (a fresh copy accepts that); otherwise pass "
               f"the tensor meant as {' and '.join(missing)}.")
    else:
        fix = f"pass the tensor meant as {' and '.join(missing)}."
    return Mismatch(
        str(layer.name), f"{source} -> {layer.name}", ", ".join(wanted), ", ".join(wanted[: len(given)]),
        f"{layer.name}'s call requires {', '.join(wanted)}, and {callee}({', '.join(texts)}) leaves out "
        f"{' and '.join(missing)}; {fix}",
    )


def check_line(text: str, scope: dict[str, Any], message: str, renamed: dict[str, str | None],
               assigned: str | None = None, later: str = "", failing: Any = None) -> Mismatch | None:
    """The first mistake the user's call on ``text`` shows by itself, or None (``failing``: the layer that
    raised, when known)."""
    calls = calls_on(text)
    if not calls:
        return None
    return (tensors_given_to_constructor(calls, scope) or flag_passed_by_position(calls, scope)
            or backend_op_on_symbolic(calls, scope, assigned, later)
            or keyword_not_accepted(calls, scope, message, renamed) or file_name_refused(calls, scope, message)
            or arguments_refused(calls, scope, message, failing))
