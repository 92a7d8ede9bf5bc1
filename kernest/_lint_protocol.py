"""Silent breaks of a training protocol: a weight made as a raw backend variable (``tf.Variable``) in a user's layer,
which Keras does not track, so fit never trains it; a PyTorch ``train_step`` that never clears the stored gradients
(``self.zero_grad()``), so each update uses the sum of all past ones; and a model called without ``training=True``
inside a ``tf.GradientTape`` loop, so its BatchNormalization and Dropout run in inference mode while it trains.
``kernest check --strict`` reports them."""

from __future__ import annotations

import ast
from typing import Any

import keras
import numpy as np

from kernest._explain_boundary import _path_in, user_class
from kernest._lint import Finding, _parsed_function, _parsed_script

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
    given = config.get("metrics")
    listed = [m for m in (given if isinstance(given, (list, tuple)) else [given] if given is not None else [])
              if isinstance(m, _ELEMENTWISE) or (isinstance(m, str) and m.lower() in _ELEMENTWISE_NAMES)]
    outputs = list(getattr(model, "outputs", None) or [])
    for tensor, loss in zip(outputs, _losses_per_output(model)):
        name = _loss_name(loss) if loss is not None else ""
        units = tensor.shape[-1] if len(tensor.shape) >= 2 else None
        if not listed or not name.startswith("sparse_categorical") or not units or units < 2:
            continue
        metric = listed[0] if isinstance(listed[0], str) else f"keras.metrics.{type(listed[0]).__name__}()"
        var = labels or getattr(model, "_kernest_labels_var", None) or "y"
        return [Finding(
            model.name, f"{model.name} -> metrics",
            f"the loss {name} takes class ids as labels, but {metric} compares the labels with the {units} "
            f"probabilities position by position, so it needs one-hot labels shaped like the predictions: on class ids "
            f"fit fails on the shapes.",
            f"give fit one-hot labels, `keras.utils.to_categorical({var}, {units})`, and compile with the loss that "
            f'reads them, `loss="categorical_crossentropy"` (or drop {metric} and keep the sparse loss).',
        )]
    return []


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
    calls = [n for n in ast.walk(parsed[0]) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
    backward = [c for c in calls if c.func.attr == "backward"]  # type: ignore[attr-defined]
    cleared = any(c.func.attr == "zero_grad" for c in calls) or any(  # type: ignore[attr-defined]
        isinstance(n, ast.Assign) and any(isinstance(t, ast.Attribute) and t.attr == "grad" for t in n.targets)
        for n in ast.walk(parsed[0]))
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
    for block in _tape_blocks(parsed[1]):
        for node in (n for stmt in block.body for n in ast.walk(stmt)):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == var
                    and not any(k.arg == "training" for k in node.keywords)):
                call = ast.unparse(node)
                fixed = f"{call[:-1]}, training=True)" if node.args or node.keywords else f"{var}(training=True)"
                kinds = sorted({type(layer).__name__ for layer in dependent})
                where = sorted({(_path_in(model, layer) or layer.name) for layer in dependent})
                return [Finding(
                    model.name, f"{model.name} -> GradientTape",
                    f"`{call}` inside the GradientTape is called without training=True, so {model.name}'s "
                    f"{' and '.join(kinds)} ({', '.join(where)}) run in inference mode while it trains: "
                    f"BatchNormalization normalizes with its moving statistics and never updates them, Dropout drops "
                    f"nothing; fit calls the model with training=True.",
                    f"call it in training mode inside the tape: `{fixed}`.",
                )]
    return []
