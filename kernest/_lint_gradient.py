"""Silent gradient problems inside nested models, read from the user's own code: a step function between
trainable layers, an in-place change that breaks PyTorch's backward pass, NumPy in a Lambda.

A layer whose output does not move when its input moves (argmax, round, a cast to integers, a comparison) passes
no gradient. At a model's output Keras fails ("No gradients provided", read by ``explain``); between layers, with
trainable layers after it, the model trains and the layers before it never learn (TensorFlow only warns,
"Gradients do not exist for variables"; JAX and PyTorch say nothing). This rule finds such a layer anywhere in
the nested graph, names the trainable layers that get no gradient through any path, and writes the user's own
function as a straight-through form that keeps its forward values.

``x *= m`` in a user's call() changes the tensor in place on PyTorch; when ``x`` is the output of an op whose
backward pass reads it (exp, sigmoid, tanh...), autograd fails in training. ``inplace_statements`` reads those
statements (for ``explain`` and a lint rule on every backend). ``lambda_in_keras_ops`` rewrites a Lambda's NumPy
calls as keras.ops calls (for ``explain``, and a lint rule where the model built anyway).
"""

from __future__ import annotations

import ast
import inspect
import re
from dataclasses import dataclass
from typing import Any

import keras

from kernest._axes import Shape, format_shape
from kernest._callsite import file_tree
from kernest._graph import SEP, calls, functional_of, output_index, producer

_STEP_NAMES = {"argmax", "argmin", "round", "floor", "ceil", "sign", "cast", "greater", "less", "equal",
               "greater_equal", "less_equal", "not_equal", "astype"}


@dataclass(frozen=True)
class _Step:
    path: str
    call: Any  # the graph Call of the step layer


def _is_candidate(layer: Any) -> bool:
    """A Lambda, or a user's own weightless layer: the only places a step function hides (Keras' own
    weightless layers are differentiable, and its lookup layers take integers)."""
    if isinstance(layer, keras.Model) or layer.trainable_weights:
        return False
    if isinstance(layer, keras.layers.Lambda):
        return True
    return not type(layer).__module__.startswith(("keras", "kernest", "tensorflow", "tf_keras"))


def _is_step(call: Any) -> bool:
    """Whether the call's layer gives (nearly) the same output for a sample and the sample moved by 1e-3: a
    step function. A smooth layer moves every value; a piecewise-constant one moves few or none."""
    import numpy as np

    given = call.data_inputs
    if len(given) != 1 or len(call.outputs) != 1:
        return False
    shape = tuple(given[0].shape)[1:]
    if any(d is None for d in shape) or "float" not in str(given[0].dtype):
        return False
    sample = np.random.default_rng(0).random((4, *shape)).astype("float32")
    try:
        a = np.asarray(keras.ops.convert_to_numpy(call.layer(sample)), "float64")
        b = np.asarray(keras.ops.convert_to_numpy(call.layer(sample + 1e-3)), "float64")
    except Exception:  # noqa: BLE001 - a layer that cannot run on its own is not judged
        return False
    if a.shape != b.shape or a.size == 0 or float(np.mean(a != b)) >= 0.25:
        return False
    return not _passes_gradient(call.layer, sample)


def _passes_gradient(layer: Any, sample: Any) -> bool:
    """Whether the sum of ``layer``'s output has a nonzero gradient with respect to its input at ``sample``, on
    the running backend (a straight-through form's does, a bare argmax's does not). True when it cannot tell."""
    import numpy as np

    backend = keras.backend.backend()
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            x = tf.constant(sample)
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.reduce_sum(tf.cast(layer(x), "float32"))
            grad = tape.gradient(y, x)
            return grad is not None and bool(np.any(grad.numpy() != 0))
        if backend == "jax":
            import jax
            import jax.numpy as jnp

            grad = jax.grad(lambda x: jnp.sum(jnp.asarray(layer(x), "float32")))(jnp.asarray(sample))
            return bool(np.any(np.asarray(grad) != 0))
        if backend == "torch":
            import torch

            x = torch.tensor(sample, requires_grad=True)
            y = layer(x)
            if not getattr(y, "requires_grad", False):
                return False
            y.float().sum().backward()
            return x.grad is not None and bool(torch.any(x.grad != 0))
    except Exception:  # noqa: BLE001 - no gradient could be taken here: do not flag
        return True
    return True


def _trainable_live(model: Any, live_out: set[int], prefix: str, blocked: set[int],
                    steps: list[_Step] | None, seen: dict[str, bool]) -> set[int]:
    """Walk ``model``'s graph back from its outputs ``live_out`` (indices) that the loss reaches; record in
    ``seen`` every trainable layer (by path) and whether a gradient reaches it, not passing the step calls in
    ``blocked`` (ids). Nested graph models are walked with their own live outputs; other layers are leaves.
    Returns the indices of ``model``'s inputs a gradient reaches. Collects step calls in ``steps`` if given."""
    graph = calls(model)
    live = {id(t) for k, t in enumerate(keras.tree.flatten(model.outputs)) if k in live_out}
    for call in reversed(graph):
        layer = call.layer
        path = f"{prefix}{SEP}{layer.name}" if prefix else layer.name
        reached = any(id(t) in live for t in call.outputs)
        inner = functional_of(layer) if isinstance(layer, keras.Model) else None
        if inner is not None:
            outs = {output_index(t) for t in call.outputs if id(t) in live} if reached else set()
            ins = _trainable_live(inner, outs, path, blocked, steps, seen)
            given = call.data_inputs
            live |= {id(given[k]) for k in ins if k < len(given)}
            continue
        if steps is not None and _is_candidate(layer) and _is_step(call):
            steps.append(_Step(path, call))
        if layer.trainable_weights:
            seen[path] = seen.get(path, False) or reached
        if reached and id(call.node) not in blocked:
            live |= {id(t) for t in call.inputs}
    return {k for k, t in enumerate(keras.tree.flatten(model.inputs)) if id(t) in live}


def steps_without_gradient(model: Any) -> list[tuple[_Step, list[str]]]:
    """Each step call in ``model``'s nested graph with the trainable layers (paths) that get no gradient
    because of it: those a gradient reaches when only this step is let through, and not otherwise."""
    if functional_of(model) is None or not model.trainable_weights:
        return []
    every = set(range(len(keras.tree.flatten(model.outputs))))
    steps: list[_Step] = []
    _trainable_live(model, every, "", set(), steps, {})
    if not steps:
        return []
    found = []
    blocked = {id(s.call.node) for s in steps}
    dead_all: dict[str, bool] = {}
    _trainable_live(model, every, "", blocked, None, dead_all)
    for step in steps:
        one: dict[str, bool] = {}
        _trainable_live(model, every, "", blocked - {id(step.call.node)}, None, one)
        killed = [p for p, ok in dead_all.items() if not ok and one.get(p)]
        if killed:
            found.append((step, killed))
    return found


# --- the fix: the user's own function as a straight-through form ---------------------------------------------

def lambda_node(fn: Any) -> tuple[ast.Lambda, str] | None:
    """The ``lambda`` expression of a Lambda layer's function in the user's file, and that file's text."""
    code = getattr(fn, "__code__", None)
    if code is None or getattr(fn, "__name__", "") != "<lambda>":
        return None
    try:
        source, tree = file_tree(inspect.getsourcefile(fn))
    except TypeError:  # a built-in
        return None
    if tree is None:
        return None
    args = list(code.co_varnames[: code.co_argcount])
    for node in ast.walk(tree):
        if isinstance(node, ast.Lambda) and node.lineno == code.co_firstlineno and [
                a.arg for a in node.args.args] == args:
            return node, source
    return None


_LIBRARY = {"numpy": "NumPy", "tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}


def foreign_modules() -> set[str]:
    """The libraries whose functions cannot take the tensors Keras passes on this backend: NumPy always (no
    symbolic or traced tensor, no gradient), and the other backends' own."""
    return {"numpy"} | ({"tensorflow", "jax", "torch"} - {keras.backend.backend()})


def library_of(written: list[str], names: dict[str, Any]) -> str:
    """``NumPy`` / ``TensorFlow`` ... : the libraries of the calls in ``written``, resolved in ``names``."""
    found = []
    for text in written:
        value = names.get(text.split(".", 1)[0].split("(", 1)[0].strip())
        root = (getattr(value, "__name__", "") or "").split(".")[0]
        label = _LIBRARY.get(root, "NumPy")
        if label not in found:
            found.append(label)
    return " and ".join(found) or "NumPy"


class _NumpyToOps(ast.NodeTransformer):
    """NumPy calls, and other backends' functions (``tf.image.resize`` on JAX), that read a function's tensors
    (``params``) rewritten as keras.ops calls (``np.array(t)``, ``keras.ops.convert_to_numpy(t)`` and ``t.numpy()``
    dropped: keras.ops takes the tensor itself); NumPy on constants only (``np.float32(2.0)``,
    ``np.sqrt(self.width)``) is kept. ``written``: the calls as the user wrote them; ``missing``: those keras.ops
    has no function for."""

    def __init__(self, text: str, params: set[str], names: dict[str, Any], prefix: str) -> None:
        self.text, self.params, self.names, self.prefix = text, params, names, prefix
        self.foreign = foreign_modules()
        self.written: list[str] = []
        self.missing: list[str] = []

    def _note(self, call: ast.Call) -> None:
        here = ast.get_source_segment(self.text, call) or ast.unparse(call)
        self.written = [w for w in self.written if w not in here] + [here]  # np.log10(np.maximum(...)): the outer

    def visit_Call(self, call: ast.Call) -> ast.AST:
        from kernest._callsite import keras_op, ops_spelling

        self.generic_visit(call)
        reads = _reads_values(call, self.params)
        if (reads and isinstance(call.func, ast.Attribute) and call.func.attr == "numpy" and not call.args
                and not call.keywords):
            self._note(call)
            return call.func.value  # x.numpy(): the tensor itself
        if (isinstance(call.func, ast.Name) and call.func.id in ("int", "float") and len(call.args) == 1
                and isinstance(call.args[0], ast.Call) and ast.unparse(call.args[0]).startswith(self.prefix)):
            return ast.parse(f'{self.prefix}cast({ast.unparse(call.args[0])}, "float32")', mode="eval").body
        head, *rest = ast.unparse(call.func).split(".")
        value = self.names.get(head)
        for part in rest:
            value = getattr(value, part, None)
        if reads and value is keras.ops.convert_to_numpy and len(call.args) == 1:
            self._note(call)
            return call.args[0]
        module = (getattr(value, "__module__", None) or getattr(type(value), "__module__", "") or "").split(".")[0]
        if value is None or module not in self.foreign or not reads:
            return call  # not a foreign function, or NumPy on constants only: fine in a Lambda
        op_name = rest[-1] if rest else head
        self._note(call)
        if op_name in ("array", "asarray") and len(call.args) == 1 and not call.keywords:
            return call.args[0]  # the tensor is already an array for keras.ops
        op = keras_op(call, ops_spelling(ast.unparse(call.func)), self.prefix, numpy=module == "numpy")
        if op is None:
            self.missing.append(self.written[-1])
            return call
        return ast.parse(op, mode="eval").body


_METADATA = {"shape", "ndim", "dtype"}


def _reads_values(node: ast.AST, params: set[str]) -> bool:
    """Whether ``node`` reads the values of a tensor in ``params``: ``np.tril_indices(len(inputs))`` or
    ``np.prod(x.shape[1:])`` read only a list's length or a shape, Python numbers on every backend."""
    if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "len":
        return False
    if isinstance(node, ast.Attribute) and node.attr in _METADATA:
        return False
    if isinstance(node, ast.Name):
        return node.id in params
    return any(_reads_values(child, params) for child in ast.iter_child_nodes(node))


def _missing_ops(missing: list[str]) -> str:
    from kernest._callsite import missing_op_advice

    return missing_op_advice(missing)


def lambda_in_keras_ops(fn: Any, name: str) -> tuple[list[str], str] | None:
    """A Lambda's function that calls NumPy on its arguments (``lambda c: np.log1p(c)``, or a named def or method
    given to the Lambda): the NumPy calls as written, and the fix, the same lambda (or the def's statements, by
    line) with the keras.ops functions, or what keras.ops lacks."""
    parsed = lambda_node(fn)
    if parsed is None:
        return _def_in_keras_ops(fn)
    node, source = parsed
    prefix = spelled(fn, keras.ops, "keras.ops") + "."
    text = ast.get_source_segment(source, node.body) or ast.unparse(node.body)
    rewrite = _NumpyToOps(text, {a.arg for a in node.args.args}, dict(getattr(fn, "__globals__", {})), prefix)
    body = ast.unparse(rewrite.visit(ast.parse(text, mode="eval")))
    if not rewrite.written:
        return None
    if rewrite.missing:
        return rewrite.written, _missing_ops(rewrite.missing)
    ctor = (f"{spelled(fn, keras.layers, 'keras.layers')}.Lambda(lambda {', '.join(a.arg for a in node.args.args)}: "
            f"{body}, name=\"{name}\")")
    return rewrite.written, f"Write it with keras.ops, which takes Keras tensors on every backend: {ctor}."


def _def_in_keras_ops(fn: Any) -> tuple[list[str], str] | None:
    """A named def (or a method) given to a Lambda that calls NumPy on its tensor: its statements that do, each
    rewritten with keras.ops (by line in the user's file). The tensor is the def's parameters (not ``self``) and
    the names assigned from them."""
    from kernest._lint import _parsed_function

    func = getattr(fn, "__func__", fn)
    parsed = _parsed_function(func) if inspect.isfunction(func) and func.__name__ != "<lambda>" else None
    if parsed is None:
        return None
    fdef, text = parsed
    first = inspect.getsourcelines(func)[1]
    params = {a.arg for a in fdef.args.args} - ({fdef.args.args[0].arg} if fn is not func else set())
    rewrite = _NumpyToOps(text, params, dict(func.__globals__), spelled(func, keras.ops, "keras.ops") + ".")
    changed: list[str] = []
    for stmt in sorted((n for n in ast.walk(fdef) if isinstance(n, (ast.Assign, ast.AugAssign, ast.Return, ast.Expr))),
                       key=lambda n: n.lineno):
        seg = ast.get_source_segment(text, stmt) or ast.unparse(stmt)
        before, rewrite.text = len(rewrite.written), seg
        new = rewrite.visit(ast.parse(seg))
        if len(rewrite.written) > before:
            changed.append(f"`{ast.unparse(new)}` (line {first + stmt.lineno - 1})")
        if isinstance(stmt, ast.Assign) and _reads_values(stmt.value, params):
            params |= {n.id for t in stmt.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    if not rewrite.written:
        return None
    if rewrite.missing:
        return rewrite.written, _missing_ops(rewrite.missing)
    return rewrite.written, (f"Write {func.__qualname__} with keras.ops, which takes Keras tensors on every backend: "
                             f"{'; '.join(changed)}.")


def numpy_lambda_findings(model: Any) -> list[Any]:
    """A Lambda's function, or a user's layer's or model's own ``call``, that calls NumPy (or another backend's
    function, ``tf.one_hot`` on PyTorch) on its tensor or takes the tensor's values out
    (``keras.ops.convert_to_numpy``, ``.numpy()``), in a model that built and trained anyway: PyTorch runs fit
    eagerly, so it reads the values of a CPU tensor that needs no gradient, or of one convert_to_numpy detached,
    and no gradient flows back through them. TensorFlow and JAX refuse it when they trace the model."""
    from kernest._graph import walk
    from kernest._lint import Finding
    from kernest._trace import is_user_file

    out, seen = [], set()
    for path, layer in [(model.name, model), *((e.path, e.layer) for e in walk(model, shapes=False))]:
        if isinstance(layer, keras.layers.Lambda):
            fn, owner = getattr(layer, "function", None), f"{layer.name}'s function"
            found = lambda_in_keras_ops(fn, layer.name) if fn is not None else None
        else:
            fn = type(layer).__dict__.get("call")
            code = getattr(fn, "__code__", None)
            if code is None or type(layer) in seen or not is_user_file(code.co_filename):
                continue
            seen.add(type(layer))
            owner, found = f"{type(layer).__name__}.call", _def_in_keras_ops(layer.call)
        if found is None or _no_gradient_to_cut(fn, found[0]) or _integers_only(layer, found[0]):
            continue
        written, fix = found
        library = library_of(written, dict(getattr(getattr(fn, "__func__", fn), "__globals__", {})))
        tracers = [name for name in ("TensorFlow", "JAX") if name not in library]
        out.append(Finding(
            path, f"{layer.name} -> {library}",
            f"{owner} takes its tensor's values out of the model's graph ({', '.join(written)}: {library}): "
            f"{_LIBRARY.get(keras.backend.backend(), keras.backend.backend())} runs fit eagerly here, on a CPU tensor "
            "that needs no gradient (or one convert_to_numpy detached), so nothing fails, but no gradient flows back "
            f"through those values to the layers before {layer.name}, and it fails where fit traces the model "
            f"({' and '.join(tracers)}) or the tensor needs a gradient or sits on a GPU.", fix[0].lower() + fix[1:],
        ))
    return out


def _integers_only(layer: Any, written: list[str]) -> bool:
    """Whether every tensor the calls ``written`` read is an argument of the layer's call that the model gives
    integer or boolean values (token ids, a mask): no gradient flows through those on any backend, so taking their
    values out loses none. Read from the layer's first call in the graph; False where it has none (a subclassed
    model) or a call reads another name (a value computed in call)."""
    nodes = getattr(layer, "_inbound_nodes", None) or []
    try:
        bound = inspect.signature(layer.call).bind(*nodes[0].arguments.args, **nodes[0].arguments.kwargs)
        read = {n.id for w in written for n in ast.walk(ast.parse(w, mode="eval")) if isinstance(n, ast.Name)}
    except (IndexError, TypeError, AttributeError, SyntaxError):
        return False
    code = getattr(getattr(layer.call, "__func__", None), "__code__", None)
    read &= set(code.co_varnames if code is not None else ())  # the call's own names: its arguments and locals
    tensors = {name: keras.tree.flatten(value) for name, value in bound.arguments.items()}
    return bool(read) and all(
        name in tensors and tensors[name] and all(
            isinstance(t, keras.KerasTensor) and keras.backend.standardize_dtype(t.dtype).startswith(("int", "uint", "bool"))
            for t in tensors[name])
        for name in read)


# ops whose outputs carry no gradient whatever they read: counts, shapes, indices
_NO_GRADIENT_OPS = {"bincount", "argmax", "argmin", "argsort", "shape", "size", "count_nonzero", "nonzero",
                    "searchsorted", "digitize", "unique", "len", "int", "ones", "zeros", "arange", "full", "eye"}


def _no_gradient_to_cut(fn: Any, written: list[str]) -> bool:
    """Whether every value the function takes out of the graph (``written``, as the user wrote them) is a count,
    a shape or an index: ``ops.convert_to_numpy(ops.max(ops.bincount(ids)))`` for a padding size cuts no gradient
    (keras.io's MPNN does this), nor does one taken out as a Python ``int(...)``. Names count as such when assigned
    from such values only, in the function."""
    from kernest._lint import _parsed_function

    func = getattr(fn, "__func__", fn)
    parsed = _parsed_function(func) if inspect.isfunction(func) else None
    if parsed is None:
        return False
    free: set[str] = set()
    for _ in range(3):  # names assigned from names assigned from counts ...
        for node in ast.walk(parsed[0]):
            if isinstance(node, ast.Assign) and _gradient_free(node.value, free):
                free |= {n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    as_ints = {ast.unparse(c.args[0]) for c in ast.walk(parsed[0])  # int(...): a size or a count, never a gradient
               if isinstance(c, ast.Call) and getattr(c.func, "id", "") == "int" and len(c.args) == 1}
    try:
        taken = [ast.parse(w, mode="eval").body for w in written]
    except SyntaxError:
        return False
    return all(ast.unparse(expr) in as_ints or _gradient_free(expr, free) for expr in taken)


def _gradient_free(expr: ast.AST, free: set[str]) -> bool:
    """Whether ``expr``'s value can carry no gradient: an op of ``_NO_GRADIENT_OPS``, a name in ``free``, a
    constant, or a call (``ops.max``, ``convert_to_numpy``) or arithmetic on such values only."""
    if isinstance(expr, ast.Call):
        func = expr.func.attr if isinstance(expr.func, ast.Attribute) else getattr(expr.func, "id", "")
        args = [*expr.args, *(k.value for k in expr.keywords)]
        return func in _NO_GRADIENT_OPS or (bool(args) and all(_gradient_free(a, free) for a in args))
    if isinstance(expr, ast.Name):
        return expr.id in free
    if isinstance(expr, ast.BinOp):
        return _gradient_free(expr.left, free) and _gradient_free(expr.right, free)
    if isinstance(expr, ast.Attribute):
        return expr.attr == "shape" or _gradient_free(expr.value, free)
    if isinstance(expr, ast.Subscript):
        return _gradient_free(expr.value, free)
    if isinstance(expr, (ast.Tuple, ast.List)):
        return all(_gradient_free(e, free) for e in expr.elts)
    return isinstance(expr, ast.Constant)


def spelled(fn: Any, module: Any, default: str) -> str:
    """How the user's module spells ``module`` (``ops``, ``K``, ``L``...), or ``default``."""
    names = dict(getattr(fn, "__globals__", {}))
    code, cells = getattr(fn, "__code__", None), getattr(fn, "__closure__", None) or ()
    for name, cell in zip(code.co_freevars if code else (), cells):
        try:
            names[name] = cell.cell_contents
        except ValueError:  # an empty cell
            continue
    for name, value in names.items():
        if value is module:
            return name
    return default


def _step_ops(node: ast.AST) -> list[str]:
    found = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            name = sub.func.attr if isinstance(sub.func, ast.Attribute) else getattr(sub.func, "id", "")
            if name in _STEP_NAMES and name not in found:
                found.append(name)
        elif isinstance(sub, ast.Compare) and "comparison" not in found:
            found.append("comparison")
    return found


def step_fix(step: _Step) -> tuple[str, str]:
    """(what the step does, the fix), computed from the layer's function and its input and output shapes."""
    layer, call = step.call.layer, step.call
    shape_in = tuple(call.data_inputs[0].shape)
    shape_out = tuple(call.outputs[0].shape)
    fn = getattr(layer, "function", None) if isinstance(layer, keras.layers.Lambda) else None
    found = lambda_node(fn) if fn is not None else None
    if found is None:
        from kernest._lint_call_steps import int_cast_in_call, int_cast_text

        what = f"{type(layer).__name__}.call"
        cast = int_cast_in_call(layer)
        if cast is not None:
            return what, int_cast_text(what, *cast[:4])
        if shape_in == shape_out:
            return what, (f"in {type(layer).__name__}.call, return x + ops.stop_gradient(out - x) (x its input, out "
                          "what it returns now, ops = keras.ops): the same values forward, and its input's gradient "
                          "passes it (a straight-through estimator); or leave the step to after predict.")
        return what, (f"let {layer.name} pass its input's values on (the {shape_in[-1]} scores before the step) and "
                      "take the step after predict, or return a straight-through form from "
                      f"{type(layer).__name__}.call: soft + ops.stop_gradient(out - soft), soft a differentiable "
                      "value of out's shape.")
    node, source = found
    arg, body = node.args.args[0].arg, ast.get_source_segment(source, node.body) or ast.unparse(node.body)
    ops, layers_ = spelled(fn, keras.ops, "keras.ops"), spelled(fn, keras.layers, "keras.layers")
    kinds = _step_ops(node.body)
    what = f"lambda {arg}: {body}" + (f", uses {' and '.join(kinds)}" if kinds else "")
    width = shape_in[-1]
    picks = "argmax" in kinds or "argmin" in kinds
    if shape_in == shape_out:
        soft, first = arg, arg
    elif picks and (shape_out == shape_in[:-1] or shape_out == (*shape_in[:-1], 1)):
        keep = "True" if len(shape_out) == len(shape_in) else "False"
        sign = "-" if "argmin" in kinds else ""
        soft = "soft"
        first = (f"(soft := {ops}.sum({ops}.softmax({sign}{arg}, axis=-1) * {ops}.arange({width}, dtype=\"float32\"), "
                 f"axis=-1, keepdims={keep}))")
    else:
        return what, (f"keep what {layer.name} is given (the {width} values of {format_shape(shape_in)}) for the "
                      "layers after it, and take the step after predict.")
    ctor = f"{layers_}.Lambda(lambda {arg}: {first} + {ops}.stop_gradient({body} - {soft}), name=\"{layer.name}\")"
    also = (f" Or keep the {width} probabilities for the layers after it: {layers_}.Softmax(name=\"{layer.name}\")."
            if picks else "")
    passes = "its input's gradient" if soft == arg else f"the gradient of the expected {'class index'}"
    return what, (f"write it in a straight-through form, {ctor}: the same values forward, and {passes} passes back."
                  + also)


def step_finding(step: _Step, killed: list[str]) -> tuple[str, str, str, str]:
    """(path, interface, problem, fix) for a step layer that leaves ``killed`` without a gradient."""
    layer = step.call.layer
    before = producer(step.call.data_inputs[0])
    fed = before.name if before is not None and not isinstance(before, keras.layers.InputLayer) else "input"
    what, fix = step_fix(step)
    names = ", ".join(killed[:6]) + (f" and {len(killed) - 6} more" if len(killed) > 6 else "")
    return (step.path, f"{fed} -> {layer.name}",
            f"{layer.name} ({what}) is a step function: its output does not move when its input moves, so no "
            f"gradient passes it, and the trainable layers before it ({names}) never learn; only the layers after "
            "it train. Nothing fails (TensorFlow only warns that gradients do not exist).",
            fix)


# --- an in-place operation on a tensor in a user's call() ----------------------------------------------------

# ops whose backward pass on PyTorch reads their own output: changing that output in place breaks the gradient
_SAVES_OUTPUT = {"exp", "sigmoid", "tanh", "softmax", "log_softmax", "sqrt", "rsqrt", "relu", "elu", "selu",
                 "gelu", "silu", "swish", "softplus", "expm1", "pow", "power", "square", "reciprocal"}
_OPS_TEXT = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%",
             ast.Pow: "**", ast.MatMult: "@"}


def method_source(klass: type, name: str) -> tuple[ast.FunctionDef, str, int] | None:
    """``klass``'s own method ``name`` parsed from the user's file: (its def, its dedented text, its first line)."""
    from kernest._lint import _parsed_function

    fn = klass.__dict__.get(name)
    parsed = _parsed_function(fn) if fn is not None else None
    return (*parsed, inspect.getsourcelines(fn)[1]) if fn is not None and parsed is not None else None


@dataclass(frozen=True)
class InPlace:
    """A statement that changes a tensor in place on PyTorch in a user's ``call`` or a helper call() calls:
    ``ait *= mask``, ``g.mul_(0.5)``, ``g[..., 0] = 0.0`` (line in the user's file), the op that made the tensor
    (``exp``), and the statement written out of place. ``via``: the helper it is in (``Pool._mask``,
    ``masked_softmax``), empty in call itself."""
    owner: str
    line: int
    text: str
    made_by: str | None
    fixed: str
    via: str = ""
    state: str = ""  # "variable" / "tensor": the statement changes the layer's own attribute (``self.mean``)

    @property
    def where(self) -> str:
        return f"{self.via} (called from {self.owner}.call)" if self.via else f"{self.owner}.call"


# torch's in-place methods that are a Python operator written out of place, and those that are a keras.ops function
_METHOD_OPS = {"add_": "+", "sub_": "-", "mul_": "*", "div_": "/", "pow_": "**"}
_METHOD_UNARY = {"exp_": "exp", "sigmoid_": "sigmoid", "tanh_": "tanh", "relu_": "relu", "sqrt_": "sqrt",
                 "abs_": "abs", "neg_": "negative", "log_": "log", "square_": "square"}


def inplace_statements(cls: type, layer: Any = None) -> list[InPlace]:
    """The statements in ``cls.call`` (or a user's base class's), and in the user's helpers it calls (methods of
    the class, functions of its module, two levels down), that change a tensor in place on PyTorch: an augmented
    assignment (``x *= m``, ``x[..., 0] += 1``), a torch in-place method (``x.mul_(m)``, ``x.masked_fill_(m, 0)``)
    or an item assignment (``x[..., 0] = 0``), to a name that holds a tensor there: one of call's inputs, a name
    assigned from a call (``ops.exp(...)``, ``self.dense(x)``), or a helper's parameter given one. TensorFlow and
    JAX make a new tensor for an augmented assignment and refuse the other two.

    Given the ``layer``, also the statements that change its own weights or tensors held on it in place
    (``self.mean.add_(m)``, ``self.state[0] = v``, ``self.steps += 1``; ``state`` says which): a Keras weight has
    none of these on any backend (it changes through ``assign``), and ``self.steps += 1`` rebinds the attribute
    to a new tensor, so the weight is never updated and the tensor leaks out of the traced step."""
    from kernest._lint import helpers_with_arguments

    state = _layer_state(layer) if layer is not None else {}
    shapes: dict[str, Shape] = {}
    for attr in state:
        value: Any = getattr(layer, attr, None)
        if hasattr(value, "shape"):
            shapes[attr] = tuple(value.shape)

    for klass in cls.__mro__:
        if klass.__module__.startswith(("keras", "kernest", "builtins", "torch")):
            return []
        found = method_source(klass, "call")
        if found is None:
            continue
        call = klass.__dict__["call"]
        ops = spelled(call, keras.ops, "keras.ops")
        fn, text, first = found
        inputs: dict[str, str | None] = {a.arg: None for a in fn.args.args[1:]}
        todo = [(fn, text, first, getattr(call, "__globals__", {}), inputs, "")]
        out: list[InPlace] = []
        for depth in range(3):
            later = []
            for fn, text, first, names, given, via in todo:
                stmts, calls = _inplace_in(fn, text, first, given, ops, state, shapes)
                out.extend(InPlace(klass.__name__, *s[:4], via=via, state=s[4]) for s in stmts)
                if depth == 2:
                    continue
                for label, helper, parsed, passed in helpers_with_arguments(fn, klass, names, calls,
                                                                            keep=lambda arg: arg is not False):
                    later.append((*parsed, inspect.getsourcelines(helper)[1], getattr(helper, "__globals__", names),
                                  passed, f"{via} -> {label}" if via else label))
            todo = later
        return out  # the call that runs is the first one found: a base class's is overridden
    return []


def _made_by(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        func = node.func
        return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return None


def _weights_in_source(cls: type) -> set[str]:
    """The attributes the user's classes of ``cls`` make weights of in their source (``self.steps =
    self.add_weight(...)``, ``keras.Variable(...)``), even where a statement in call has since rebound one."""
    from kernest._lint import _parsed_function

    found: set[str] = set()
    for klass in cls.__mro__:
        if klass.__module__.startswith(("keras", "kernest", "builtins", "torch", "tensorflow", "jax")):
            break
        # method by method: a class's own source cannot be read when its script ran as __main__ through runpy
        defs = [_parsed_function(f) for f in vars(klass).values() if inspect.isfunction(f)]
        for node in (n for d in defs if d is not None for n in ast.walk(d[0])):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and \
                    (_made_by(node.value) or "") in ("add_weight", "add_variable", "Variable"):
                found |= {a for a in map(_self_attr, node.targets) if a}
    return found


def _layer_state(layer: Any) -> dict[str, str]:
    """The layer's attributes that hold a Keras weight ("variable", also one its source makes that a statement
    has rebound since) or a backend tensor ("tensor")."""
    found: dict[str, str] = dict.fromkeys(_weights_in_source(type(layer)), "variable")
    for attr, value in list(vars(layer).items()):
        if attr in found:
            continue
        if isinstance(value, keras.Variable):
            found[attr] = "variable"
        elif hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, keras.layers.Layer) \
                and type(value).__module__.split(".")[0] in ("torch", "tensorflow", "jax", "jaxlib"):
            found[attr] = "tensor"
    return found


def _self_attr(node: ast.AST) -> str | None:
    """``attr`` for ``self.attr``."""
    return node.attr if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
        node.value.id == "self" else None


_ASSIGN_METHOD = {"+": "assign_add", "-": "assign_sub"}


def _as_assign(x: str, fixed: str) -> str:
    """``self.mean = EXPR`` (an out-of-place form) as the weight's own update, ``self.mean.assign(EXPR)``."""
    return f"{x}.assign({fixed[len(x) + 3:]})" if fixed.startswith(f"{x} = ") else fixed


def _inplace_in(fn: ast.FunctionDef, text: str, first: int, given: dict[str, str | None], ops: str,
                state: dict[str, str] | None = None, shapes: dict[str, Shape] | None = None
                ) -> tuple[list[tuple[int, str, str | None, str, str]], dict[str, list[Any]]]:
    """The in-place statements of one function (line, text, made by, fixed, and the kind of ``self.<attr>`` it
    changes, ``state``'s, or ""), and for each function it calls by name (``masked_softmax``, ``self._gate``)
    what it passes: per argument, the op that made it (None for a tensor of unknown making) or False for what is
    not a tensor here."""
    tensors = set(given)
    made: dict[str, str | None] = dict(given)
    state, shapes = state or {}, shapes or {}
    kinds = _names_of_kind(fn)
    out: list[tuple[int, str, str | None, str, str]] = []
    calls: dict[str, list[Any]] = {}

    def seg(node: ast.AST) -> str:
        return ast.get_source_segment(text, node) or ast.unparse(node)

    def tensor_arg(node: ast.AST) -> Any:
        if isinstance(node, ast.Name):
            return made.get(node.id) if node.id in tensors else False
        return _made_by(node) if isinstance(node, ast.Call) else False

    def held(node: ast.AST) -> tuple[str, str | None, str] | None:
        """(its text, the op that made it, the attribute's kind) for a name holding a tensor or ``self.<attr>``
        holding a weight or tensor; None for anything else."""
        if isinstance(node, ast.Name) and node.id in tensors:
            return node.id, made.get(node.id), ""
        attr = _self_attr(node)
        return (f"self.{attr}", None, state[attr]) if attr in state else None

    nodes = sorted((n for n in ast.walk(fn) if isinstance(n, (ast.Assign, ast.AugAssign, ast.Expr, ast.Call))),
                   key=lambda n: (n.lineno, n.col_offset, not isinstance(n, ast.Call)))
    for node in nodes:
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name and name not in calls:
                calls[name] = [tensor_arg(a) for a in node.args]
            continue
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name) and isinstance(node.value, ast.Call):
                    made[t.id] = _made_by(node.value)
                    tensors.add(t.id)
                elif isinstance(t, ast.Name):
                    tensors.discard(t.id)
                elif isinstance(t, ast.Subscript) and held(t.value) is not None:
                    base, by, kind = held(t.value) or ("", None, "")
                    fixed = _item_assignment_fixed(base, t.slice, seg(node.value), ops, seg,
                                                   shapes.get(base[5:]) if kind else None,
                                                   f"{base}.value" if kind == "variable" else "", kinds)
                    if kind:
                        fixed = _as_assign(base, fixed) if fixed.startswith(f"{base} = ") else \
                            f"{fixed}, and write them with {base}.assign(...)"
                    out.append((first + node.lineno - 1, seg(node), by, fixed, kind))
                elif (attr := _self_attr(t)) is not None and state.get(attr) == "variable" and any(
                        _self_attr(n) == attr for n in ast.walk(node.value)):  # self.steps = self.steps + 1
                    out.append((first + node.lineno - 1, seg(node), None, f"self.{attr}.assign({seg(node.value)})",
                                "variable"))
            continue
        if isinstance(node, ast.Expr):
            chain = _inplace_chain(node.value)
            innermost = chain[0].func if chain else None
            found = held(innermost.value) if isinstance(innermost, ast.Attribute) else None
            if found is None or not isinstance(innermost, ast.Attribute):
                continue
            base, by, kind = found
            fixed = _chain_fixed(base, chain, ops, seg)
            call, method = chain[0], innermost.attr[:-1]
            if kind and len(chain) == 1 and method in ("add", "sub") and len(call.args) == 1 and not call.keywords:
                fixed = f"{base}.assign_{method}({seg(call.args[0])})"
            out.append((first + node.lineno - 1, seg(node), by, _as_assign(base, fixed) if kind else fixed, kind))
            continue
        base_node = node.target.value if isinstance(node.target, ast.Subscript) else node.target
        found = held(base_node)
        if found is None or type(node.op) not in _OPS_TEXT:
            continue
        base, by, kind = found
        target, value = seg(node.target), seg(node.value)
        if isinstance(node.value, (ast.BinOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Lambda)):
            value = f"({value})"
        op = _OPS_TEXT[type(node.op)]
        if kind and isinstance(node.target, ast.Attribute):
            fixed = (f"{target}.{_ASSIGN_METHOD[op]}({seg(node.value)})" if op in _ASSIGN_METHOD else
                     f"{target}.assign({target} {op} {value})")
        elif isinstance(node.target, ast.Name):
            fixed = f"{target} = {target} {op} {value}"
        else:
            shape = shapes.get(base[5:]) if kind else None
            index = node.target.slice if isinstance(node.target, ast.Subscript) else None
            read = f"{base}.value" if kind == "variable" else ""
            update = (_slice_update(base, index, f"{target} {op} {value}", ops, seg, shape, read)
                      if index and shape else None)
            update = update or (_computed_index_update(base, index, f"{target} {op} {value}", ops, seg, shape, read,
                                                       kinds) if index else None)
            fixed = _as_assign(base, update) if update else (
                f"build the new values with ops.where or ops.slice_update instead of {target} {op}= {value}"
                + (f", and write them with {base}.assign(...)" if kind else ""))
        out.append((first + node.lineno - 1, seg(node), by, fixed, kind))
    return out, calls


_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "**": 3}


def _operand(text: str, op: str, right: bool = False) -> str:
    """``text`` as an operand of the Python operator ``op``, in parentheses only where precedence needs them."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return f"({text})"
    if isinstance(node, (ast.Name, ast.Attribute, ast.Call, ast.Subscript, ast.Constant)):
        return text
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS_TEXT:
        inner, outer = _PRECEDENCE.get(_OPS_TEXT[type(node.op)], 0), _PRECEDENCE[op]
        if inner > outer or (inner == outer and not right and op != "**"):
            return text
    return f"({text})"


def _inplace_chain(node: ast.AST) -> list[ast.Call]:
    """The torch in-place calls of one statement, innermost first: ``w.mul_(m).add_(v)`` -> [mul_(m), add_(v)]
    (the innermost one's ``func.value`` is what they change); [] for anything else."""
    chain: list[ast.Call] = []
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
            node.func.attr.endswith("_") and not node.func.attr.startswith("_"):
        chain.insert(0, node)
        node = node.func.value
    return chain


def _chain_fixed(x: str, chain: list[ast.Call], ops: str, seg: Any) -> str:
    """``x.mul_(m).add_(v)`` written out of place as one new value of ``x``: ``x = x * m + v``."""
    value = x
    for call in chain:
        step = _method_value(value, call, ops, seg)
        if step is None:  # a method not known here: said as it is
            return _method_fixed(x, call, ops, seg)
        value = step
    return f"{x} = {value}"


def _method_value(x: str, call: ast.Call, ops: str, seg: Any) -> str | None:
    """The value ``x.mul_(m)`` leaves in ``x`` (an expression), with Python operators or keras.ops (which run on
    every backend); None for a method not known here."""
    name, args = call.func.attr if isinstance(call.func, ast.Attribute) else "", call.args
    kw = {k.arg: seg(k.value) for k in call.keywords}
    if name in _METHOD_OPS and len(args) == 1 and not kw:
        op = _METHOD_OPS[name]
        return f"{_operand(x, op)} {op} {_operand(seg(args[0]), op, right=True)}"
    if name in _METHOD_UNARY and not args and not kw:
        return f"{ops}.{_METHOD_UNARY[name]}({x})"
    if name == "masked_fill_" and len(args) + len(kw) == 2:
        mask = seg(args[0]) if args else kw.get("mask", "")
        value = seg(args[1]) if len(args) > 1 else kw.get("value", "")
        return f"{ops}.where({mask}, {value}, {x})"
    if name in ("clamp_", "clip_"):
        low = seg(args[0]) if args else kw.get("min", "None")
        high = seg(args[1]) if len(args) > 1 else kw.get("max", "None")
        return f"{ops}.clip({x}, {low}, {high})" if "None" not in (low, high) else (
            f"{ops}.{'maximum' if high == 'None' else 'minimum'}({x}, {low if high == 'None' else high})")
    if name == "zero_" and not args:
        return f"{ops}.zeros_like({x})"
    if name == "copy_" and len(args) == 1 and not kw:
        return seg(args[0])
    if name == "fill_" and len(args) == 1:
        return f"{ops}.full_like({x}, {seg(args[0])})"
    return None


def _method_fixed(x: str, call: ast.Call, ops: str, seg: Any) -> str:
    """``x.mul_(m)`` written out of place (``x = x * m``)."""
    value = _method_value(x, call, ops, seg)
    name = call.func.attr if isinstance(call.func, ast.Attribute) else ""
    return f"{x} = {value}" if value is not None else \
        f"{x} = the keras.ops function for {name[:-1]} applied to {x}, assigned to a new tensor"


def _int_index(node: ast.AST | None) -> int | None:
    """The integer an index expression is written as (``3``, ``-1``), else None."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _int_index(node.operand)
        return -inner if inner is not None else None
    return node.value if isinstance(node, ast.Constant) and type(node.value) is int else None


def _slice_update(x: str, index: ast.AST, value: str, ops: str, seg: Any, shape: Shape, read: str = "") -> str | None:
    """``x[0] = v`` (integers and constant slices, on a tensor of known ``shape``) as a new tensor from
    keras.ops.slice_update, ``v`` broadcast to the block it fills as NumPy broadcasts it; None for another index.
    ``read``: how the current values are read (``self.w.value`` for a weight: JAX's slice_update takes no
    keras.Variable)."""
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    if len(parts) > len(shape) or any(n is None for n in shape):
        return None
    starts, sizes, block, ints = [], [], [], []
    for axis, (part, n) in enumerate(zip(parts, shape)):
        k = _int_index(part)
        if k is not None:
            if not -n <= k < n:  # type: ignore[operator]
                return None
            starts.append(k % n)  # type: ignore[operator]
            sizes.append(1)
            ints.append(axis)
            continue
        if not isinstance(part, ast.Slice) or part.step is not None:
            return None
        low, high = (_int_index(part.lower) if part.lower else 0), (_int_index(part.upper) if part.upper else n)
        if low is None or high is None:
            return None
        start, stop, _ = slice(low, high).indices(n)  # type: ignore[arg-type]
        if stop <= start:
            return None
        starts.append(start)
        sizes.append(stop - start)
        block.append(stop - start)
    rest = [int(n) for n in shape[len(parts):]]  # type: ignore[arg-type]
    starts, sizes, block = starts + [0] * len(rest), sizes + rest, block + rest
    if ints == list(range(len(ints))):  # the integer axes lead: broadcasting adds them as axes of size 1
        update = f"{ops}.broadcast_to({value}, {tuple(sizes)})"
    else:
        update = f"{ops}.reshape({ops}.broadcast_to({value}, {tuple(block)}), {tuple(sizes)})"
    return f"{x} = {ops}.slice_update({read or x}, {tuple(starts)}, {update})"


_BOOLEAN_OPS = {"equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "logical_and", "logical_or",
                "logical_not", "logical_xor", "isnan", "isinf", "isfinite", "isclose"}
_INTEGER_OPS = {"argmax", "argmin", "argsort", "top_k", "floor_divide", "mod", "size"}


def _value_kind(node: ast.AST) -> str:
    """"mask" for an expression that gives booleans (a comparison, ``~m``, ``a & b``, ``ops.isnan(x)``), "index" for
    one that gives integers (``ops.argmax(x)``, ``n // 2``, ``3``, ``int(...)``, a cast to an int dtype), "" where
    the text does not say."""
    if isinstance(node, ast.Compare):
        return "mask"
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Invert, ast.Not)):
        return _value_kind(node.operand)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitAnd, ast.BitOr, ast.BitXor)):
        return "mask" if "mask" in (_value_kind(node.left), _value_kind(node.right)) else ""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.FloorDiv, ast.Mod)):
        return "index"
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return "index"
    if isinstance(node, ast.Call):
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name in _BOOLEAN_OPS:
            return "mask"
        if name in _INTEGER_OPS or name == "int":
            return "index"
        dtype = [str(a.value) for a in node.args[1:2] + [k.value for k in node.keywords if k.arg == "dtype"]
                 if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if name == "cast" and dtype:
            return "mask" if dtype[0] == "bool" else "index" if "int" in dtype[0] else ""
    return ""


def _names_of_kind(fn: ast.FunctionDef) -> dict[str, str]:
    """The names ``fn`` assigns to masks or integer indexes (``dead = ops.mean(x, axis=0) < 0.05``)."""
    kinds: dict[str, str] = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            kinds[node.targets[0].id] = _value_kind(node.value)
    return kinds


def _computed_index_update(x: str, index: ast.AST, value: str, ops: str, seg: Any, shape: Shape | None,
                           read: str, kinds: dict[str, str]) -> str | None:
    """``x[m] = v`` with a boolean mask ``m`` as keras.ops.where; ``x[i] = v`` with an integer ``i`` computed in the
    call as a where over the positions of the first axis; ``x[a:b:k] = v`` (constant bounds and step) as
    keras.ops.scatter_update of those rows. Each runs on every backend; None for another index."""
    kind = _value_kind(index) or (kinds.get(index.id, "") if isinstance(index, ast.Name) else "")
    current = read or x  # JAX's where takes no keras.Variable
    if kind == "mask":
        return f"{x} = {ops}.where({seg(index)}, {value}, {current})"
    if not shape or shape[0] is None:
        return None
    n, rest = int(shape[0]), tuple(int(d) for d in shape[1:] if d is not None)
    if len(rest) != len(shape) - 1:
        return None
    if isinstance(index, ast.Slice) and index.step is not None:
        bounds = [_int_index(b) if b is not None else None for b in (index.lower, index.upper, index.step)]
        if any(b is None and node is not None for b, node in zip(bounds, (index.lower, index.upper, index.step))):
            return None
        rows = range(n)[slice(*bounds)]
        if not rows:
            return None
        picked = f"{ops}.reshape({ops}.arange({rows.start}, {rows.stop}, {rows.step}), ({len(rows)}, 1))"
        return f"{x} = {ops}.scatter_update({read or x}, {picked}, {ops}.broadcast_to({value}, {(len(rows), *rest)}))"
    if isinstance(index, ast.Name) and _int_index(index) is None:
        at = f"{ops}.arange({n}) == {seg(index)}"
        cond = at if not rest else f"{ops}.reshape({at}, {(n, *(1 for _ in rest))})"
        written = f"{x} = {ops}.where({cond}, {value}, {current})"
        if kind == "index":
            return written
        return (f"build the new values with {ops}.where: if {seg(index)} is one position on the first axis, "
                f"{written}; if it is a boolean mask of {x}'s shape, {x} = {ops}.where({seg(index)}, {value}, "
                f"{current})")
    return None


def _item_assignment_fixed(x: str, index: ast.AST, value: str, ops: str, seg: Any,
                           shape: Shape | None = None, read: str = "", kinds: dict[str, str] | None = None) -> str:
    """``x[0] = v`` (``x``'s ``shape`` known) as a new tensor from keras.ops.slice_update; ``x[..., k] = v`` /
    ``x[x < 0] = v`` / ``x[mask] = v`` from keras.ops.where; a computed index or a step as in
    ``_computed_index_update``."""
    update = _slice_update(x, index, value, ops, seg, shape, read) if shape is not None else None
    update = update or _computed_index_update(x, index, value, ops, seg, shape, read, kinds or {})
    if update is not None:
        return update
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    last = parts[-1]
    if (len(parts) >= 1 and all(isinstance(p, ast.Constant) and p.value is Ellipsis for p in parts[:-1])
            and isinstance(last, ast.Constant) and isinstance(last.value, int) and len(parts) == 2):
        return f"{x} = {ops}.where({ops}.arange({ops}.shape({x})[-1]) == {last.value}, {value}, {x})"
    if len(parts) == 1 and isinstance(index, (ast.Compare, ast.UnaryOp)):
        return f"{x} = {ops}.where({seg(index)}, {value}, {x})"
    return f"build the new values with {ops}.where or {ops}.slice_update instead of {x}[{seg(index)}] = {value}"


def inplace_finding(model: Any) -> list[Any]:
    """The lint findings for in-place statements that break PyTorch's backward pass, and for those that change a
    layer's own weight or a tensor held on it (see ``inplace_statements``)."""
    from kernest._graph import walk
    from kernest._lint import Finding

    out, seen = [], set()
    for path, layer in [("", model)] + [(e.path, e.layer) for e in walk(model, shapes=False)]:
        if type(layer) in seen:
            continue
        seen.add(type(layer))
        found = inplace_statements(type(layer), layer)
        held = [s for s in found if s.state]
        if held:
            out.append(Finding(path or layer.name, f"{layer.name}.call -> self.{state_attr(held[0])}",
                               *state_change_text(layer, held)))
        stmts = [s for s in found if not s.state and (s.made_by or "") in _SAVES_OUTPUT]
        if not stmts:
            continue
        first = stmts[0]
        out.append(Finding(
            path or layer.name, f"{layer.name}.call -> {first.made_by}",
            f"{first.where} changes the output of {first.made_by} in place, `{first.text}` (line {first.line}): "
            f"on PyTorch that is the tensor autograd kept for {first.made_by}'s backward pass, so training fails "
            "(\"modified by an inplace operation\"); TensorFlow and JAX make a new tensor.",
            "write it out of place: " + "; ".join(f"{s.fixed} (line {s.line})" for s in stmts) + ".",
        ))
    return out


def state_attr(stmt: InPlace) -> str:
    """The attribute an in-place statement on the layer's state changes (``running_mean``)."""
    found = re.search(r"\bself\.(\w+)", stmt.text)
    return found.group(1) if found else "?"


def rebinds_weight(stmt: InPlace) -> bool:
    """``self.steps += 1`` or ``self.steps = self.steps + 1``: the attribute is bound to a new tensor."""
    return re.match(r"self\.\w+\s*((\*\*|//|[-+*/%@&|^])?=)(?!=)", stmt.text) is not None


def state_change_text(layer: Any, stmts: list[InPlace]) -> tuple[str, str]:
    """(problem, fix) for statements that change a layer's own weight or a tensor held on it in place."""
    first, attr = stmts[0], state_attr(stmts[0])
    value = getattr(layer, attr, None)
    rebinds = rebinds_weight(first)
    if first.state == "variable":
        fix = ("update the weight through its own assign methods: "
               + "; ".join(f"{s.fixed} (line {s.line})" for s in stmts) + ".")
        if rebinds:
            return (f"{first.where} updates the weight self.{attr} with `{first.text}` (line {first.line}): Python "
                    "rebinds the attribute to a new tensor, so the weight is never updated (it keeps its first value, "
                    "and is saved so), and the tensor leaks out of the traced step (TensorFlow: \"out of scope\", "
                    "JAX: an UnexpectedTracerError, PyTorch goes on with a detached tensor)."), fix
        return (f"{first.where} changes the weight self.{attr} in place, `{first.text}` (line {first.line}): a "
                "keras.Variable has no in-place methods or item assignment on any backend, so the model fails "
                "where it is built."), fix
    shape = tuple(getattr(value, "shape", ()))
    values = _initial_values(value)
    problem = (f"{first.where} changes the tensor self.{attr} held on {layer.name} in place, `{first.text}` (line "
               f"{first.line}): it is not a weight, so the change is never saved and not undone between runs, and "
               "TensorFlow's and JAX's tensors cannot change in place (the model fails where it is built there).")
    fix = (f"keep it as a weight: in {first.owner}.build, self.{attr} = self.add_weight(shape={shape}, "
           f"initializer={values}, trainable=False, name=\"{attr}\"), and update it with its assign methods: "
           + "; ".join(f"{s.fixed} (line {s.line})" for s in stmts) + ".")
    return problem, fix


def _initial_values(value: Any) -> str:
    """The initializer that gives ``value``'s current values ("zeros", "ones", or a constant)."""
    import numpy as np

    try:
        arr = np.asarray(keras.ops.convert_to_numpy(value))
    except Exception:  # noqa: BLE001 - a tensor that cannot be read here
        return "<its first values>"
    if not arr.any():
        return '"zeros"'
    if np.all(arr == 1):
        return '"ones"'
    if np.all(arr == arr.flat[0]):
        return f"keras.initializers.Constant({arr.flat[0].item()!r})"
    return "<its first values>"
