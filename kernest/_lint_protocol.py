"""Silent breaks of a training protocol: a weight made as a raw backend variable (``tf.Variable``) in a user's layer,
which Keras does not track, so fit never trains it; a PyTorch ``train_step`` that never clears the stored gradients
(``self.zero_grad()``), so each update uses the sum of all past ones; and a model called without ``training=True``
inside a ``tf.GradientTape`` loop, so its BatchNormalization and Dropout run in inference mode while it trains.
``kernest check --strict`` reports them."""

from __future__ import annotations

import ast
import inspect
from typing import Any

import keras
import numpy as np

from kernest._explain_boundary import _path_in, user_class
from kernest._lint import Finding, _parsed_function, _parsed_script
from kernest._trace import is_user_file

# Layers that behave otherwise when training (they read the call's training flag).
_TRAINING_DEPENDENT = (keras.layers.BatchNormalization, keras.layers.Dropout, keras.layers.SpatialDropout1D,
                       keras.layers.SpatialDropout2D, keras.layers.GaussianNoise, keras.layers.GaussianDropout,
                       keras.layers.AlphaDropout)


def protocol_findings(model: Any) -> list[Finding]:
    """Every finding of the rules below for ``model`` (the model the script fits or trains)."""
    return (_raw_variables(model) + _gradients_never_cleared(model) + _tape_call_without_training(model)
            + elementwise_metric_on_class_ids(model))


# --- Precision (or Recall, AUC...) on class ids for a softmax head ---------------------------------------------------

# Metrics that compare y_true and y_pred position by position, so the labels must be shaped like the predictions.
_ELEMENTWISE = (keras.metrics.Precision, keras.metrics.Recall, keras.metrics.AUC, keras.metrics.TruePositives,
                keras.metrics.FalsePositives, keras.metrics.TrueNegatives, keras.metrics.FalseNegatives,
                keras.metrics.PrecisionAtRecall, keras.metrics.RecallAtPrecision,
                keras.metrics.SensitivityAtSpecificity, keras.metrics.SpecificityAtSensitivity)
_ELEMENTWISE_NAMES = {"precision", "recall", "auc"}


def elementwise_metric_on_class_ids(model: Any, labels: str | None = None) -> list[Finding]:
    """``metrics=[keras.metrics.Precision()]`` with ``sparse_categorical_crossentropy`` on a head of several units:
    the loss takes class ids, (batch,) or (batch, 1), and the metric compares them position by position with the
    (batch, classes) probabilities, so fit fails on the shapes. The metric needs one-hot labels."""
    from kernest._lint import _is_compiled, _loss_name, _losses_per_output

    if not _is_compiled(model):
        return []
    config = getattr(getattr(model, "_compile_config", None), "config", None) or {}
    outputs = list(getattr(model, "outputs", None) or [])
    names = list(getattr(model, "output_names", None) or [])
    for i, (tensor, loss, given) in enumerate(zip(outputs, _losses_per_output(model),
                                                  _metrics_per_output(config.get("metrics"), names, len(outputs)))):
        listed = [m for m in given if isinstance(m, _ELEMENTWISE) or (isinstance(m, str)
                                                                      and m.lower() in _ELEMENTWISE_NAMES)]
        name = _loss_name(loss) if loss is not None else ""
        units = tensor.shape[-1] if len(tensor.shape) >= 2 else None
        if not listed or not name.startswith("sparse_categorical") or not units or units < 2:
            continue
        metric = listed[0] if isinstance(listed[0], str) else f"keras.metrics.{type(listed[0]).__name__}()"
        known = labels or getattr(model, "_kernest_labels_var", None)
        var = known or "y"
        head = names[i] if len(outputs) > 1 and len(names) == len(outputs) else None
        if head is None:
            fix = (f"give fit one-hot labels, `keras.utils.to_categorical({var}, {units})`, and compile with the loss "
                   f'that reads them, `loss="categorical_crossentropy"` (or drop {metric} and keep the sparse loss).')
        else:
            given_labels = f'{known}["{head}"]' if known and known.isidentifier() else f"<the {head} class ids>"
            fix = (f"give fit one-hot labels for {head}, `keras.utils.to_categorical({given_labels}, {units})`, and "
                   f'compile {head} with the loss that reads them, `"{head}": "categorical_crossentropy"` in the loss '
                   f"(or drop {metric} from {head}'s metrics and keep the sparse loss).")
        return [Finding(
            model.name if head is None else f"{model.name}/{head}", f"{model.name} -> metrics",
            f"the loss {name} takes class ids as labels{f' for {head}' if head else ''}, but {metric} compares the "
            f"labels with the {units} probabilities position by position, so it needs one-hot labels shaped like the "
            f"predictions: on class ids fit fails on the shapes.", fix,
        )]
    return []


def _metrics_per_output(given: Any, names: list[str], count: int) -> list[list[Any]]:
    """compile's ``metrics`` as one list per output: a dict by output name, a list of lists per output, or one
    list (or one metric) for every output."""
    def listed(value: Any) -> list[Any]:
        return list(value) if isinstance(value, (list, tuple)) else [] if value is None else [value]

    if isinstance(given, dict):
        return [listed(given.get(n)) for n in names] if len(names) == count else [[] for _ in range(count)]
    if (isinstance(given, (list, tuple)) and count > 1 and len(given) == count
            and all(isinstance(m, (list, tuple, dict)) or m is None for m in given)):
        return [listed(m) for m in given]
    return [listed(given)] * count


# --- a tf.Variable made in a user's layer --------------------------------------------------------------------------

def _raw_variable(value: Any) -> bool:
    """A TensorFlow or PyTorch variable that is not a Keras one (Keras tracks only its own)."""
    if isinstance(value, keras.Variable):
        return False
    kind = type(value)
    return ((kind.__module__.startswith("tensorflow") and hasattr(value, "assign") and hasattr(value, "trainable"))
            or (kind.__module__.startswith("torch") and kind.__name__ == "Parameter"))


def _initializer(value: Any) -> str:
    array = np.asarray(value.numpy() if hasattr(value, "numpy") and not hasattr(value, "detach")
                       else value.detach().numpy())
    if array.size and np.all(array == 0):
        return '"zeros"'
    if array.size and np.all(array == 1):
        return '"ones"'
    if array.size and np.all(array == array.flat[0]):
        return f"keras.initializers.Constant({array.flat[0].item()!r})"
    return '"glorot_uniform"'


def _made_at(cls: type, attr: str) -> ast.Assign | None:
    """The ``self.<attr> = ...`` statement of ``cls.__init__`` or ``cls.build``."""
    for method in ("__init__", "build"):
        parsed = _parsed_function(vars(cls)[method]) if method in vars(cls) else None
        for node in ast.walk(parsed[0]) if parsed is not None else ():
            if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Attribute)
                    and node.targets[0].attr == attr):
                return node
    return None


def _raw_variables(model: Any) -> list[Finding]:
    """``self.scale = tf.Variable(1.0)`` in a user's layer: Keras 3 lists, trains and saves only the weights made
    with ``add_weight``, so the variable keeps its first value through fit and is not saved."""
    out: list[Finding] = []
    for layer in model._flatten_layers(include_self=True):
        if not user_class(type(layer)):
            continue
        for attr, value in list(vars(layer).items()):
            if not _raw_variable(value) or not getattr(value, "trainable", getattr(value, "requires_grad", False)):
                continue
            made = _made_at(type(layer), attr)
            call = made.value if made is not None else None
            given = {k.arg: ast.unparse(k.value) for k in call.keywords} if isinstance(call, ast.Call) else {}
            name = given.get("name", repr(attr)).strip("'\"")
            shape = tuple(int(d) for d in value.shape)
            weight = (f"self.add_weight(shape={shape!r}, initializer={_initializer(value)}, trainable=True, "
                      f'name="{name}")')
            path = model.name if layer is model else (_path_in(model, layer) or layer.name)
            out.append(Finding(
                path, f"{layer.name} -> optimizer",
                f"{type(layer).__name__} keeps a {type(value).__name__} in self.{attr}"
                + (f" (`{ast.unparse(made)}`)" if made is not None else "")
                + "; Keras 3 tracks only the weights made with add_weight, so it is not among the model's trainable "
                "weights: fit never changes it, and saving drops it.",
                f"make it a Keras weight: `self.{attr} = {weight}`.",
            ))
    return out


# --- a PyTorch train_step that never calls zero_grad -----------------------------------------------------------------

def _gradients_never_cleared(model: Any) -> list[Finding]:
    """``loss.backward()`` in a user's ``train_step`` with no ``self.zero_grad()``: PyTorch adds each backward
    pass's gradients to those already stored on the weights."""
    cls = type(model)
    owner = next((c for c in cls.__mro__ if "train_step" in vars(c)), None)
    if owner is None or not user_class(owner):
        return []
    parsed = _parsed_function(vars(owner)["train_step"])
    if parsed is None:
        return []
    nodes = list(_reached(vars(owner)["train_step"], cls))
    calls = [n for n in nodes if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
    backward = [c for c in calls if c.func.attr == "backward"]  # type: ignore[attr-defined]
    cleared = any(c.func.attr == "zero_grad" for c in calls) or any(  # type: ignore[attr-defined]
        isinstance(n, ast.Assign) and any(isinstance(t, ast.Attribute) and t.attr == "grad" for t in n.targets)
        for n in nodes)
    if not backward or cleared:
        return []
    start = next((s for s in parsed[0].body if isinstance(s, ast.Assign) and "self(" in ast.unparse(s.value)), None)
    before = f"before `{ast.unparse(start)}`" if start is not None else "at the start of train_step"
    return [Finding(
        model.name, f"{model.name} -> optimizer",
        f"{owner.__name__}.train_step calls `{ast.unparse(backward[0])}` but never clears the stored gradients; "
        f"PyTorch adds each backward pass's gradients to those already on the weights, so from the second batch on "
        f"every update uses the sum of all past gradients.",
        f"call `self.zero_grad()` in train_step {before}, as Keras' own PyTorch train_step does.",
    )]


def _reached(fn: Any, cls: type | None = None, depth: int = 2) -> Any:
    """The AST nodes of the user's function ``fn`` and of the user's helpers it calls, ``depth`` levels down:
    methods of ``cls`` called as ``self.name(...)`` and functions of its module called by name."""
    parsed = _parsed_function(fn)
    if parsed is None:
        return
    yield from ast.walk(parsed[0])
    if depth == 0:
        return
    for node in ast.walk(parsed[0]):
        if not isinstance(node, ast.Call):
            continue
        target = node.func
        helper = (getattr(cls, target.attr, None) if cls is not None and isinstance(target, ast.Attribute)
                  and isinstance(target.value, ast.Name) and target.value.id == "self" else
                  getattr(fn, "__globals__", {}).get(target.id) if isinstance(target, ast.Name) else None)
        helper = getattr(helper, "__func__", helper)
        if inspect.isfunction(helper) and helper is not fn and is_user_file(helper.__code__.co_filename):
            yield from _reached(helper, cls, depth - 1)


# --- model(x) without training=True inside a GradientTape ----------------------------------------------------------

def _tape_blocks(tree: ast.AST) -> list[ast.With]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.With) and any(
                isinstance(item.context_expr, ast.Call) and ast.unparse(item.context_expr.func).endswith("GradientTape")
                for item in node.items):
            out.append(node)
    return out


def _tape_call_without_training(model: Any) -> list[Finding]:
    """``preds = model(x)`` inside ``with tf.GradientTape() as tape:`` where the model holds BatchNormalization or
    Dropout: a call without ``training=True`` runs them in inference mode (fit passes ``training=True``)."""
    var = getattr(model, "_kernest_var", None)
    parsed = _parsed_script(getattr(model, "_kernest_script", None))
    dependent = [layer for layer in model._flatten_layers(include_self=False) if isinstance(layer, _TRAINING_DEPENDENT)]
    if var is None or parsed is None or not dependent:
        return []
    defs = {n.name: n for n in ast.walk(parsed[1]) if isinstance(n, ast.FunctionDef)}
    for block in _tape_blocks(parsed[1]):
        found = next(_untrained_calls(block.body, var, {var}, defs, 2), None)
        if found is None:
            continue
        node, helper = found
        call = ast.unparse(node)
        fixed = f"{call[:-1]}, training=True)" if node.args or node.keywords else f"{ast.unparse(node.func)}(training=True)"
        kinds = sorted({type(layer).__name__ for layer in dependent})
        where = sorted({(_path_in(model, layer) or layer.name) for layer in dependent})
        via = (f" (in {helper.name}, line {node.lineno}, which the tape's block calls)" if helper is not None
               else "")
        return [Finding(
            model.name, f"{model.name} -> GradientTape",
            f"`{call}`{via} inside the GradientTape is called without training=True, so {model.name}'s "
            f"{' and '.join(kinds)} ({', '.join(where)}) run in inference mode while it trains: "
            f"BatchNormalization normalizes with its moving statistics and never updates them, Dropout drops "
            f"nothing; fit calls the model with training=True.",
            f"call it in training mode inside the tape{f' (in {helper.name})' if helper is not None else ''}: "
            f"`{fixed}`.",
        )]
    return []


def _untrained_calls(body: list[ast.stmt], var: str, names: set[str], defs: dict[str, ast.FunctionDef], depth: int,
                     helper: ast.FunctionDef | None = None) -> Any:
    """The calls in ``body`` of a name in ``names`` (the model's variable, or a helper's parameter it was given)
    without ``training=``, and in the script's functions that ``body`` calls with the model, ``depth`` levels
    down: (the call, the helper it is in or None)."""
    for node in (n for stmt in body for n in ast.walk(stmt)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        if node.func.id in names and not any(k.arg == "training" for k in node.keywords):
            yield node, helper
        inner = defs.get(node.func.id)
        if inner is None or depth == 0 or inner is helper:
            continue
        params = [a.arg for a in inner.args.args]
        given = {params[i] for i, a in enumerate(node.args[:len(params)]) if isinstance(a, ast.Name) and a.id in names}
        given |= {k.arg for k in node.keywords if k.arg and isinstance(k.value, ast.Name) and k.value.id in names}
        free = {var} - set(params)  # the model's global variable, read inside the helper
        yield from _untrained_calls(inner.body, var, given | free, defs, depth - 1, inner)
