"""Silent problems in how the user set parts up, read from the built model and the user's own code: a loss function
of theirs that calls a built-in loss with the predictions first, a model (or layer) called inside a ``Lambda`` whose
weights the outer model therefore never tracks nor trains, and a ``BatchNormalization`` over a spatial axis of
channels-last maps, and a binary accuracy thresholded at 0.5 on a head that outputs logits. Nothing fails in any of them; ``kernest check --strict`` reports them."""

from __future__ import annotations

import ast
import difflib
import inspect
import re
from typing import Any

import keras

from kernest._graph import find_layer, layers
from kernest._lint import (
    Finding,
    _calls_to,
    _constructor_text,
    _is_compiled,
    _losses_per_output,
    _parsed_function,
    _parsed_script,
    _squashing,
    output_layer,
)
from kernest._trace import is_user_file


def setup_findings(model: Any) -> list[Finding]:
    """Every finding of the rules below, in a stable order."""
    return [*_loss_arguments_swapped(model), *_model_inside_lambda(model), *_batchnorm_over_space(model),
            *_accuracy_threshold_on_logits(model), *_settings_for_no_output(model), *_compiled_without_loss(model),
            *_predict_inside_call(model)]


# --- a user's loss calling a built-in loss with its arguments swapped -----------------------------------------------

# Losses where swapping labels and predictions changes the value (mean squared or absolute error do not care).
_ASYMMETRIC = re.compile(r"crossentropy|kl_divergence|kld|kullback|poisson|hinge|focal|dice|tversky", re.I)


def _function_def(fn: Any) -> ast.FunctionDef | None:
    parsed = _parsed_function(fn)
    return parsed[0] if parsed is not None else None


def _resolve(node: ast.AST, names: dict[str, Any]) -> Any:
    """The object a ``Name`` or dotted ``Attribute`` chain names in the function's globals, or None."""
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _resolve(node.value, names)
        return getattr(owner, node.attr, None) if owner is not None else None
    return None


def _builtin_loss(callee: Any) -> str | None:
    """The name of a Keras loss (function, ``Loss`` object or ``keras.ops`` cross-entropy) whose value changes when
    its two arguments are swapped; None for anything else."""
    if isinstance(callee, keras.losses.Loss):
        name = type(callee).__name__
    elif callable(callee) and getattr(callee, "__module__", "").startswith("keras."):
        name = getattr(callee, "__name__", "")
    else:
        return None
    return name if _ASYMMETRIC.search(name) else None


def _loss_arguments_swapped(model: Any) -> list[Finding]:
    """A user's loss function ``f(y_true, y_pred)`` that calls a built-in loss as ``loss(y_pred, y_true)``: Keras'
    losses take the labels first, so the model is fitted toward its own predictions' target, with no error."""
    if not _is_compiled(model):
        return []
    out, seen = [], set()
    for i, loss in enumerate(_losses_per_output(model)):
        fn = getattr(loss, "fn", loss)  # a function wrapped by Keras keeps it in .fn
        if not inspect.isfunction(fn) or not is_user_file(fn.__code__.co_filename) or id(fn) in seen:
            continue
        seen.add(id(fn))
        node = _function_def(fn)
        params = [a.arg for a in node.args.args] if node is not None else []
        if node is None or len(params) < 2:
            continue
        true, pred = params[:2]
        names = {**fn.__globals__, **inspect.getclosurevars(fn).nonlocals}
        for call in (n for n in ast.walk(node) if isinstance(n, ast.Call)):
            args = [a.id if isinstance(a, ast.Name) else None for a in call.args[:2]]
            name = _builtin_loss(_resolve(call.func, names)) if args == [pred, true] else None
            if name is None:
                continue
            swapped = ast.unparse(call)
            call.args[0], call.args[1] = call.args[1], call.args[0]
            fixed = ast.unparse(call)
            layer, path = output_layer(model.outputs[i])
            head = path or getattr(layer, "name", model.name)
            line = fn.__code__.co_firstlineno + call.lineno - 1
            out.append(Finding(
                head, f"{head.split('/')[0]} -> loss",
                f"the loss {fn.__name__}({true}, {pred}) of {head} calls {swapped} (line {line}): Keras' {name} takes "
                f"the labels first and the predictions second, so it scores the labels as if they were predictions "
                f"of the model's output, and training minimises the wrong quantity without an error.",
                f"pass the labels first: {fixed}.",
            ))
    return out


# --- a model called inside a Lambda -------------------------------------------------------------------------------

def _referenced(fn: Any) -> dict[str, Any]:
    """The names a function reads from its closure and globals, with their objects."""
    try:
        found = inspect.getclosurevars(fn)
    except (TypeError, ValueError):
        return {}
    return {**found.globals, **found.nonlocals}


def _direct_rewrite(model: Any, lam: Any, var: str) -> str | None:
    """The user's ``h = layers.Lambda(lambda t: encoder(t), ...)(inp)`` as ``h = encoder(inp)``, where the lambda
    does nothing but call ``var`` on its argument."""
    parsed = _parsed_script(getattr(model, "_kernest_script", None))
    if parsed is None:
        return None
    source, tree = parsed
    for stmt in ast.walk(tree):
        if not isinstance(stmt, ast.Assign):
            continue
        for outer in (n for n in ast.walk(stmt.value) if isinstance(n, ast.Call) and isinstance(n.func, ast.Call)):
            ctor = outer.func
            assert isinstance(ctor, ast.Call)
            named = any(k.arg == "name" and isinstance(k.value, ast.Constant) and k.value.value == lam.name
                        for k in ctor.keywords)
            body = ctor.args[0] if ctor.args else None
            if not named or not isinstance(body, ast.Lambda) or len(outer.args) != 1:
                continue
            inner = body.body
            param = body.args.args[0].arg if body.args.args else None
            if (isinstance(inner, ast.Call) and ast.unparse(inner.func) == var and len(inner.args) == 1
                    and isinstance(inner.args[0], ast.Name) and inner.args[0].id == param and not inner.keywords):
                statement = ast.get_source_segment(source, stmt) or ""
                old = ast.get_source_segment(source, outer) or ""
                arg = ast.get_source_segment(source, outer.args[0]) or ast.unparse(outer.args[0])
                return statement.replace(old, f"{var}({arg})", 1) if old in statement else None
    return None


def _model_inside_lambda(model: Any) -> list[Finding]:
    """``Lambda(lambda t: encoder(t))``: a Lambda holds no weights and does not track the layers its function
    uses, so the encoder's variables are not among the outer model's weights: fit never updates them, save does
    not write them."""
    if not isinstance(model, keras.Model):
        return []
    tracked = {id(v) for v in model.weights}
    out = []
    for path, lam in layers(model):
        if not isinstance(lam, keras.layers.Lambda):
            continue
        for var, obj in _referenced(lam.function).items():
            if not isinstance(obj, keras.layers.Layer) or not obj.weights:
                continue
            missing = [v for v in obj.weights if id(v) not in tracked]
            if not missing:
                continue
            direct = _direct_rewrite(model, lam, var)
            how = (f"call {var} as a layer instead of inside the Lambda: {direct}" if direct else
                   f"call {var} as a layer on the Lambda's input ({var}(x)) and keep only the weightless part in the "
                   "Lambda, or make a Layer subclass that holds it as an attribute")
            kind = "model" if isinstance(obj, keras.Model) else "layer"
            out.append(Finding(
                path, f"{obj.name} -> {lam.name}",
                f"the Lambda {path} calls the {kind} {var} ({obj.name}) in its function; a Lambda tracks no layers, so "
                f"{len(missing)} of {obj.name}'s weights ({', '.join(v.path for v in missing[:3])}"
                f"{', ...' if len(missing) > 3 else ''}) are not among {model.name}'s weights: fit never trains them "
                f"and save does not write them, with no error.",
                how + ".",
            ))
    return out


# --- BatchNormalization over a spatial axis of channels-last maps -------------------------------------------------

def _batchnorm_over_space(model: Any) -> list[Finding]:
    """BatchNormalization keeps one mean and scale per entry of its ``axis``. After a layer that makes
    channels-last maps (batch, ..., channels), ``axis=1`` (the channels-first setting of Keras 1/Theano recipes)
    is a spatial axis: it normalises each row of the map, not each channel, and nothing fails."""
    out = []
    for path, call, x in _calls_to(model, (keras.layers.BatchNormalization,)):
        bn = call.layer
        maker, _ = output_layer(x)
        rank = len(x.shape)
        axes = [a % rank for a in (bn.axis if isinstance(bn.axis, (list, tuple)) else [bn.axis])]
        if maker is None or getattr(maker, "data_format", None) != "channels_last" or rank < 3 or rank - 1 in axes:
            continue
        full = f"{path}/{bn.name}" if path else bn.name
        maker_path = find_layer(model, maker) or maker.name
        written = _constructor_text(model, bn)
        if written and re.search(r"\baxis\s*=", written):
            fixed = re.sub(r"\baxis\s*=\s*[^,)]+", "axis=-1", written, count=1)
        elif written and re.match(r"[\w.]*BatchNormalization\(\s*-?\d", written):
            fixed = re.sub(r"BatchNormalization\(\s*-?\d+", "BatchNormalization(axis=-1", written, count=1)
        else:
            fixed = "keras.layers.BatchNormalization(axis=-1)"
        out.append(Finding(
            full, f"{maker.name} -> {bn.name}",
            f"{maker_path} makes channels-last maps {tuple(x.shape[1:])} ({x.shape[-1]} channels on the last axis), "
            f"but {full} normalises axis {bn.axis}, of size {x.shape[axes[0]]}: it keeps one mean and scale per "
            f"position on that axis (the channels-first setting), not per channel.",
            f"normalise the channels: {fixed}.",
        ))
    return out


# --- a binary accuracy thresholded at 0.5 on logits ---------------------------------------------------------------

_ACCURACY_NAMES = ("accuracy", "acc", "binary_accuracy")


def _binary_logits_loss(loss: Any) -> bool:
    """Whether ``loss`` is a binary cross-entropy (plain or focal) told its predictions are logits."""
    if not isinstance(loss, keras.losses.Loss):
        return False
    kwargs = getattr(loss, "_fn_kwargs", None) or {}
    logits = bool(getattr(loss, "from_logits", kwargs.get("from_logits", False)))
    name = type(loss).__name__ + getattr(getattr(loss, "fn", None), "__name__", "")
    return logits and "binary" in name.lower()


def _thresholds_at_half(metric: Any) -> bool:
    if isinstance(metric, str):
        return metric in _ACCURACY_NAMES
    return type(metric) is keras.metrics.BinaryAccuracy and float(getattr(metric, "threshold", 0.5)) == 0.5


def accuracy_at_half(model: Any, index: int) -> list[Any]:
    """The metrics compiled for output ``index`` that are a binary accuracy thresholded at 0.5 ("accuracy" on a
    binary cross-entropy, or ``BinaryAccuracy()``)."""
    config = getattr(getattr(model, "_compile_config", None), "config", None) or {}
    metrics = config.get("metrics")
    names = list(getattr(model, "output_names", None) or [])
    given = metrics.get(names[index]) if isinstance(metrics, dict) and index < len(names) else metrics
    given = given if isinstance(given, (list, tuple)) else [given]
    return [m for m in given if _thresholds_at_half(m)]


def _accuracy_threshold_on_logits(model: Any) -> list[Finding]:
    """A head without an activation trained with a binary cross-entropy ``from_logits=True`` (right), whose accuracy
    is Keras' binary accuracy: it counts a prediction as class 1 above 0.5, but a logit's class boundary is 0, so
    every logit in (0, 0.5) is scored as class 0 and the figure is wrong, with no error."""
    if not _is_compiled(model):
        return []
    losses = _losses_per_output(model)
    out = []
    for i, tensor in enumerate(getattr(model, "outputs", None) or []):
        if i >= len(losses) or not _binary_logits_loss(losses[i]):
            continue
        wrong = accuracy_at_half(model, i)
        layer, path = output_layer(tensor)
        if not wrong or layer is None or _squashing(layer) is not None:
            continue
        shown = ", ".join(repr(m) if isinstance(m, str) else f"{type(m).__name__}()" for m in wrong)
        top = path.split("/")[0]
        out.append(Finding(
            path, f"{top} -> metrics",
            f"{path} outputs logits (no activation; the loss {type(losses[i]).__name__} is told from_logits=True), but "
            f"the metric {shown} is Keras' binary accuracy with threshold 0.5: a logit's class boundary is 0 "
            f"(sigmoid(0) = 0.5), so every logit between 0 and 0.5 is counted as class 0 and the accuracy is wrong.",
            "threshold the logits at 0: use keras.metrics.BinaryAccuracy(threshold=0.0) in metrics (or put a sigmoid "
            "on the head and drop from_logits=True).",
        ))
    return out


# --- compile settings keyed by a name that is no output ------------------------------------------------------------

def _settings_for_no_output(model: Any) -> list[Finding]:
    """``loss_weights={"type": 0.5}`` (or ``metrics=`` keyed so) where no output is named ``type``: Keras 3 trains
    without a word, the entry unused (the output weighted 1.0, the metric never computed). A ``loss=`` keyed so
    fails in fit and is explained there."""
    from kernest._explain_api import _outputs, settings_against_outputs

    outs = [name for name, _ in _outputs(model)]
    found = []
    for key, given, kind in settings_against_outputs(model, outs):
        if kind != "keys" or key == "loss":
            continue
        wrong = [k for k in given if k not in outs]
        free = [o for o in outs if o not in given]
        near = {w: m[0] for w in wrong if (m := difflib.get_close_matches(w, free, n=1, cutoff=0.3))}
        if not near and len(wrong) == 1 and len(free) == 1:
            near = {wrong[0]: free[0]}
        renamed = ", ".join(f'"{near.get(k, k)}": {given[k]!r}' for k in given)
        found.append(Finding(
            model.name, f"{model.name} -> compile",
            f"{key}= names {', '.join(repr(w) for w in wrong)}, which is no output of {model.name} (its outputs: "
            f"{', '.join(outs)}); Keras leaves the entry unused without a word"
            + (" (the output it was meant for keeps weight 1.0)." if key == "loss_weights"
               else " (the metric is never computed)."),
            f"key it by the output's name: compile(..., {key}={{{renamed}}})" if near else
            f"key it by one of the outputs' names ({', '.join(outs)}).",
        ))
    return found


# --- compiled without a loss -------------------------------------------------------------------------------------

def _compiled_without_loss(model: Any) -> list[Finding]:
    """``compile(optimizer)`` with no loss, and no layer adding one: TensorFlow and PyTorch refuse to fit ("No loss
    to compute"), JAX fits with a loss of 0 and changes nothing. Read once fit ran (add_loss shows then)."""
    from kernest._explain_usage import _loss_for
    from kernest._graph import compile_settings

    settings = compile_settings(model)
    if not settings or settings.get("loss") is not None or model.losses or not getattr(model, "history", None):
        return []
    return [Finding(
        model.name, f"{model.name} -> compile",
        f"{model.name} was compiled without a loss and no layer adds one (add_loss): fit has nothing to minimise "
        "(JAX trains on a loss of 0 and changes no weight).",
        f"give compile a loss: compile(..., loss={_loss_for(model)}).",
    )]


# --- predict() inside a user's call() ----------------------------------------------------------------------------

def _predict_inside_call(model: Any) -> list[Finding]:
    """``self.encoder.predict(x)`` in call(): PyTorch runs it (eagerly) and no gradient reaches the encoder;
    TensorFlow and JAX fail, and are explained there (``_explain_usage._predict_in_call``)."""
    from kernest._explain_usage import _predict_line

    found = []
    for path, layer in [("", model), *layers(model)]:
        hit = _predict_line(layer)
        if hit is None:
            continue
        text, call = hit
        owner = call.text(call.node.func.value)
        part = owner.removeprefix("self.")
        where = "/".join(p for p in (model.name, path, part) if p)
        found.append(Finding(
            where, f"{part} -> {layer.name}",
            f"{type(layer).__name__}.call runs {call.text()}: predict returns NumPy, so no gradient reaches {part} "
            "and it never trains (TensorFlow and JAX refuse it while tracing).",
            f"call the part as a layer: {text.replace(call.text(), f'{owner}({call.text(call.node.args[0])})')}.",
        ))
    return found
