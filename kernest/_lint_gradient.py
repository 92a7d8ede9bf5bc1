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
from dataclasses import dataclass
from typing import Any

import keras

from kernest._axes import format_shape
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
        source = open(inspect.getsourcefile(fn) or "", encoding="utf-8").read()
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        return None
    args = list(code.co_varnames[: code.co_argcount])
    for node in ast.walk(tree):
        if isinstance(node, ast.Lambda) and node.lineno == code.co_firstlineno and [
                a.arg for a in node.args.args] == args:
            return node, source
    return None


def lambda_in_keras_ops(fn: Any, name: str) -> tuple[list[str], str] | None:
    """A Lambda's ``lambda`` that calls NumPy on its arguments (``np.log1p(c)``): the NumPy calls as written, and
    the fix, the same lambda with the keras.ops functions (``np.array(t)`` dropped), or what keras.ops lacks."""
    from kernest._callsite import keras_op

    parsed = lambda_node(fn)
    if parsed is None:
        return None
    node, source = parsed
    params = {a.arg for a in node.args.args}
    prefix = spelled(fn, keras.ops, "keras.ops") + "."
    names = dict(getattr(fn, "__globals__", {}))
    text = ast.get_source_segment(source, node.body) or ast.unparse(node.body)
    written: list[str] = []
    missing: list[str] = []

    class _ToOps(ast.NodeTransformer):
        def visit_Call(self, call: ast.Call) -> ast.AST:
            self.generic_visit(call)
            head, *rest = ast.unparse(call.func).split(".")
            value = names.get(head)
            for part in rest:
                value = getattr(value, part, None)
            module = (getattr(value, "__module__", None) or getattr(type(value), "__module__", "") or "").split(".")[0]
            reads = any(isinstance(n, ast.Name) and n.id in params for n in ast.walk(call))
            if value is None or module != "numpy" or not reads:
                return call  # not NumPy, or NumPy on constants only (np.float32(2.0)): fine in a Lambda
            op_name = rest[-1] if rest else head
            written.append(ast.get_source_segment(text, call) or ast.unparse(call))
            if op_name in ("array", "asarray") and len(call.args) == 1 and not call.keywords:
                return call.args[0]  # the tensor is already an array for keras.ops
            op = keras_op(call, op_name, prefix)
            if op is None:
                missing.append(written[-1])
                return call
            return ast.parse(op, mode="eval").body

    body = ast.unparse(_ToOps().visit(ast.parse(text, mode="eval")))
    if not written:
        return None
    if missing:
        return written, (f"keras.ops has no {', '.join(missing)}: compose it from keras.ops functions (they take "
                         "Keras tensors on every backend).")
    ctor = (f"{spelled(fn, keras.layers, 'keras.layers')}.Lambda(lambda {', '.join(a.arg for a in node.args.args)}: "
            f"{body}, name=\"{name}\")")
    return written, f"Write it with keras.ops, which takes Keras tensors on every backend: {ctor}."


def numpy_lambda_findings(model: Any) -> list[Any]:
    """A Lambda calling NumPy on its tensor that built anyway (PyTorch: NumPy read a CPU tensor that needs no
    gradient); TensorFlow and JAX refuse it when the model is built, and PyTorch on a GPU or behind a weight."""
    from kernest._graph import walk
    from kernest._lint import Finding

    out = []
    for entry in walk(model, shapes=False):
        layer = entry.layer
        fn = getattr(layer, "function", None) if isinstance(layer, keras.layers.Lambda) else None
        found = lambda_in_keras_ops(fn, layer.name) if fn is not None else None
        if found is None:
            continue
        written, fix = found
        out.append(Finding(
            entry.path, f"{layer.name} -> NumPy",
            f"{layer.name}'s function calls NumPy ({', '.join(written)}) on its tensor: it runs here only because "
            "the tensor needs no gradient and sits on the CPU; TensorFlow and JAX refuse it when the model is "
            "built, and PyTorch on a GPU or behind a trainable layer.", fix[0].lower() + fix[1:],
        ))
    return out


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
        what = f"{type(layer).__name__}.call"
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
    """An augmented assignment to a tensor in a user's ``call``: ``ait *= mask`` (line in the user's file), the
    op that made the tensor (``exp``), and the statement written out of place."""
    owner: str
    line: int
    text: str
    made_by: str | None
    fixed: str


def inplace_statements(cls: type) -> list[InPlace]:
    """The augmented assignments (``x *= m``, ``x[..., 0] += 1``) in ``cls.call`` (or a user's base class's) to a
    name that holds a tensor there: one of call's inputs, or a name assigned from a call (``ops.exp(...)``,
    ``self.dense(x)``). On PyTorch they change the tensor in place; TensorFlow and JAX make a new one."""
    for klass in cls.__mro__:
        if klass.__module__.startswith(("keras", "kernest", "builtins", "torch")):
            return []
        found = method_source(klass, "call")
        if found is None:
            continue
        fn, text, first = found
        tensors = {a.arg for a in fn.args.args[1:]}
        made: dict[str, str | None] = {}
        out = []
        for node in sorted((n for n in ast.walk(fn) if isinstance(n, (ast.Assign, ast.AugAssign))),
                           key=lambda n: (n.lineno, n.col_offset)):
            if isinstance(node, ast.Assign):
                for t in node.targets:
                    if isinstance(t, ast.Name) and isinstance(node.value, ast.Call):
                        func = node.value.func
                        made[t.id] = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
                        tensors.add(t.id)
                    elif isinstance(t, ast.Name):
                        tensors.discard(t.id)
                continue
            base = node.target.value if isinstance(node.target, ast.Subscript) else node.target
            if not isinstance(base, ast.Name) or base.id not in tensors or type(node.op) not in _OPS_TEXT:
                continue
            target = ast.get_source_segment(text, node.target) or ast.unparse(node.target)
            value = ast.get_source_segment(text, node.value) or ast.unparse(node.value)
            if isinstance(node.value, (ast.BinOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Lambda)):
                value = f"({value})"
            op = _OPS_TEXT[type(node.op)]
            fixed = (f"{target} = {target} {op} {value}" if isinstance(node.target, ast.Name) else
                     f"build the new values with ops.where or ops.slice_update instead of {target} {op}= {value}")
            out.append(InPlace(klass.__name__, first + node.lineno - 1,
                               ast.get_source_segment(text, node) or ast.unparse(node), made.get(base.id), fixed))
        return out  # the call that runs is the first one found: a base class's is overridden
    return []


def inplace_finding(model: Any) -> list[Any]:
    """The lint findings for in-place statements that break PyTorch's backward pass (see ``inplace_statements``)."""
    from kernest._graph import walk
    from kernest._lint import Finding

    out, seen = [], set()
    for path, layer in [("", model)] + [(e.path, e.layer) for e in walk(model, shapes=False)]:
        if type(layer) in seen:
            continue
        seen.add(type(layer))
        stmts = [s for s in inplace_statements(type(layer)) if (s.made_by or "") in _SAVES_OUTPUT]
        if not stmts:
            continue
        first = stmts[0]
        out.append(Finding(
            path or layer.name, f"{layer.name}.call -> {first.made_by}",
            f"{first.owner}.call changes the output of {first.made_by} in place, `{first.text}` (line {first.line}): "
            f"on PyTorch that is the tensor autograd kept for {first.made_by}'s backward pass, so training fails "
            "(\"modified by an inplace operation\"); TensorFlow and JAX make a new tensor.",
            "write it out of place: " + "; ".join(f"{s.fixed} (line {s.line})" for s in stmts) + ".",
        ))
    return out
