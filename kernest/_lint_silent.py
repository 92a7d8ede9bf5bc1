"""Silent problems between the data and a nested model's first layers: 0-255 integer pixels reaching the first
convolution (or Dense) unscaled, a ``LayerNormalization`` whose axis is the steps of a sequence (each position is
scaled by the statistics of all positions, later ones included), and a ``Masking`` layer whose mask the next layer
(a ``Conv1D``, often the first layer of a nested model) ignores, so that the padded steps are pooled in as data.
Nothing fails in any of them; ``kernest check --strict`` reports them."""

from __future__ import annotations

import ast
from typing import Any

import keras
import numpy as np

from kernest._errors import Mismatch
from kernest._graph import calls, find_layer, producer_chain
from kernest._lint import (
    _KEEPS_VALUES,
    Finding,
    _calls_to,
    _constructor_text,
    _fed_from_parent,
    _mask_dropped,
    _models,
    _parsed_script,
    _per_input,
)


def silent_findings(model: Any, data: Any) -> list[Finding]:
    """Every finding of the rules below for ``model`` (the model the script fits) and ``data``, the arrays it is
    given (None where none are known)."""
    from kernest._lint_samples import samples_findings

    return (_unscaled_pixels(model, data) + _normalised_across_steps(model) + _mask_ignored_after_masking(model)
            + samples_findings(model, data))


def _back_to_data(model: Any, path: str, x: Any) -> tuple[list[Any], int | None]:
    """The layers between ``model``'s inputs and the tensor ``x`` of the model at ``path``, nearest first (each
    call's first data input, into nested models and out through their inputs), and the index of the outermost
    input the walk ends at (None where it ends elsewhere: a nested model no call of which is found)."""
    subs = dict(_models(model))
    met: list[Any] = []
    t = x
    for _ in range(16):
        for lay, _, given in producer_chain(t):
            if not isinstance(lay, keras.Model):
                met.append(lay)
            t = given
        inputs = list(getattr(subs.get(path), "inputs", None) or [])
        index = next((i for i, inp in enumerate(inputs) if inp is t), None)
        if index is None:
            return met, None
        if not path:
            return met, index
        up = _fed_from_parent(subs, path, index)
        if up is None or up[0] is None:
            return met, None
        t, path = up[0], up[1]
    return met, None


def _user_call(model: Any, layer: Any) -> tuple[str, ast.Call | None, Any] | None:
    """The user's constructor of ``layer`` in the script (found by its ``name=``): its text, the call that applies
    it to a tensor (``Conv2D(...)(px)``) if it is written so, and the node holding it."""
    parsed = _parsed_script(getattr(model, "_kernest_script", None))
    written = _constructor_text(model, layer)
    if parsed is None or written is None:
        return None
    source, tree = parsed
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Call) and ast.get_source_segment(source, child) == written:
                applied = node if isinstance(node, ast.Call) and node.func is child and node.args else None
                return written, applied, node
    return written, None, None


def _module_prefix(written: str) -> str:
    """``layers.`` of ``layers.Conv2D(...)``: how the user's script names Keras' layers."""
    head = written.split("(", 1)[0]
    return head.rsplit(".", 1)[0] + "." if "." in head else "keras.layers."


# --- 0-255 integer pixels into a convolution --------------------------------------------------------------------

_MOVES_PIXELS = (keras.layers.MaxPooling1D, keras.layers.MaxPooling2D, keras.layers.MaxPooling3D,
                 keras.layers.AveragePooling1D, keras.layers.AveragePooling2D, keras.layers.AveragePooling3D,
                 keras.layers.ZeroPadding2D, keras.layers.Cropping2D, keras.layers.RandomFlip,
                 keras.layers.RandomRotation, keras.layers.RandomTranslation, keras.layers.RandomZoom,
                 keras.layers.RandomCrop, keras.layers.Resizing, keras.layers.CenterCrop)


def _pixels(array: Any) -> bool:
    """Integer images (batch, height, width[, channels]) whose values run past 1, up to 255."""
    return (isinstance(array, np.ndarray) and array.dtype.kind in "ui" and array.ndim >= 3 and array.size > 0
            and int(array.min()) >= 0 and 1 < int(array.max()) <= 255)


def _unscaled_pixels(model: Any, data: Any) -> list[Finding]:
    """uint8 (0-255) images fed to a model whose first layer with weights is a convolution or a Dense, with only
    layers that move pixels (pooling, padding, flips) before it: the first layer sees inputs up to 255, its
    activations are huge at initialisation and training is slow or unstable. Nothing fails."""
    kinds = (keras.layers.Dense, keras.layers.EinsumDense, keras.layers.Conv1D, keras.layers.Conv2D,
             keras.layers.Conv3D, keras.layers.SeparableConv2D, keras.layers.DepthwiseConv2D)
    return [_pixels_finding(model, layer, met, array, index) for layer, met, array, index
            in first_weighted_reads(model, data, kinds, _pixels, _KEEPS_VALUES + _MOVES_PIXELS)]


def first_weighted_reads(model: Any, data: Any, kinds: tuple[type[Any], ...], wanted: Any, passes: tuple[type, ...]
                         ) -> list[tuple[Any, list[Any], Any, int]]:
    """For each model input whose data ``wanted`` picks, the first layer of ``kinds`` with weights that the data
    reach through layers of ``passes`` only: ``(layer, the layers met on the way, the input's array, its index)``,
    each input once."""
    per_input = _per_input(model, data) if data is not None else []
    if not any(wanted(a) for a in per_input):
        return []
    out: list[tuple[Any, list[Any], Any, int]] = []
    reported: set[int] = set()
    for path, sub in _models(model):
        for call in calls(sub):
            layer = call.layer
            if isinstance(layer, keras.Model) or not isinstance(layer, kinds) or not layer.weights \
                    or not call.data_inputs:
                continue
            met, index = _back_to_data(model, path, call.data_inputs[0])
            if (index is None or index in reported or index >= len(per_input) or not wanted(per_input[index])
                    or not all(isinstance(m, passes) for m in met)):
                continue
            reported.add(index)
            out.append((layer, met, per_input[index], index))
    return out


def _pixels_finding(model: Any, layer: Any, met: list[Any], array: Any, index: int) -> Finding:
    full = find_layer(model, layer) or layer.name
    first = met[-1] if met else layer  # the layer nearest the data
    first_path = find_layer(model, first) or first.name
    holder = first_path.rsplit("/", 1)[0] if "/" in first_path else model.name
    name = model.inputs[index].name if index < len(model.inputs) else "x"
    var = getattr(model, "_kernest_data_var", None)
    fed = f"`{var}`" if var and len(model.inputs) == 1 else f"the data for input {name}"
    found = _user_call(model, first)
    if found is not None and found[1] is not None:
        written, applied = found[0], found[1]
        rescale = f"{_module_prefix(written)}Rescaling(1 / 255)"
        fix = (f"make {rescale} the first layer of {holder}: "
               f"{written}({rescale}({ast.unparse(applied.args[0])})).")
    elif found is not None and isinstance(found[2], ast.List):
        rescale = f"{_module_prefix(found[0])}Rescaling(1 / 255)"
        fix = f"make {rescale} the first layer of {holder}: [{rescale}, {found[0]}, ...]."
    else:
        fix = f"make keras.layers.Rescaling(1 / 255) the first layer of {holder}, before {first.name}."
    return Finding(
        full, f"input:{name} -> {full.split('/')[0]}",
        f"{fed} holds {array.dtype} pixels in [{int(array.min())}, {int(array.max())}], and nothing rescales them "
        f"before {full} ({type(layer).__name__}), the first layer with weights: it is initialised for inputs "
        "around [0, 1] and gets values up to 255, so its first activations are huge and training is slow or "
        "unstable. Nothing fails.",
        f"{fix} (Dividing the arrays by 255 in the script does the same; keep one of the two.)",
    )


# --- LayerNormalization across the steps of a sequence ------------------------------------------------------------

_SEQUENCE_MAKERS = (keras.layers.Embedding, keras.layers.Conv1D, keras.layers.RNN, keras.layers.LSTM, keras.layers.GRU,
                    keras.layers.SimpleRNN, keras.layers.Bidirectional, keras.layers.MultiHeadAttention,
                    keras.layers.TextVectorization)


def _normalised_across_steps(model: Any) -> list[Finding]:
    """``LayerNormalization(axis=1)`` on a (batch, steps, features) sequence: each step is scaled by the mean and
    spread of every step, later ones included, so a position's vector depends on the positions after it (a leak in
    a causal model) and on how much padding the sequence has. On a (batch, features) tensor axis 1 is the
    features, which is right; that is not reported."""
    out: list[Finding] = []
    for path, call, x in _calls_to(model, (keras.layers.LayerNormalization,)):
        norm = call.layer
        rank = len(x.shape)
        axes = sorted({a % rank for a in (norm.axis if isinstance(norm.axis, (list, tuple)) else [norm.axis])})
        if rank != 3 or 1 not in axes:
            continue
        met, _ = _back_to_data(model, path, x)
        makers = [m for m in met if isinstance(m, _SEQUENCE_MAKERS)]
        if not makers:
            continue  # a (batch, height, width) image or a table: axis 1 is no sequence
        full = f"{path}/{norm.name}" if path else norm.name
        causal = next((m for m in met if getattr(m, "padding", None) == "causal"), None)
        leak = (f" {find_layer(model, causal) or causal.name} is causal (padding=\"causal\"), and this undoes it: "
                "the future leaks into the past." if causal is not None else "")
        written = _constructor_text(model, norm)
        if written and "axis" in written:
            fixed = written[:written.index("axis")] + "axis=-1" + _after_value(written, written.index("axis"))
        else:
            fixed = f"keras.layers.LayerNormalization(axis=-1, name=\"{norm.name}\")"
        out.append(Finding(
            full, f"{makers[0].name} -> {norm.name}",
            f"{full} normalises axis {_written_axis(norm.axis)} of (batch, steps={x.shape[1]}, features={x.shape[2]}), the steps "
            f"that {find_layer(model, makers[0]) or makers[0].name} ({type(makers[0]).__name__}) makes: each step is "
            f"scaled by the mean and spread of all {x.shape[1]} steps, so its vector depends on the steps after it "
            f"and on the padding.{leak} Nothing fails.",
            f"normalise each step over its features: {fixed}.",
        ))
    return out


def _written_axis(axis: Any) -> str:
    return str(axis[0]) if isinstance(axis, (list, tuple)) and len(axis) == 1 else str(axis)


def _after_value(written: str, start: int) -> str:
    """The rest of ``written`` after the value of the keyword argument at ``start`` (``axis=1, name=...``)."""
    depth, i = 0, written.index("=", start) + 1
    while i < len(written):
        ch = written[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif ch == "," and depth == 0:
            break
        i += 1
    return written[i:]


# --- a Masking layer's mask dropped by the next layer ------------------------------------------------------------

_REDUCERS = (keras.layers.GlobalAveragePooling1D, keras.layers.GlobalMaxPooling1D)


def _mask_ignored_after_masking(model: Any) -> list[Finding]:
    """A ``Masking`` layer whose masked sequence reaches a layer that takes no mask (a ``Conv1D``, here often the
    first layer of a nested model), through layers that only pass values on: Keras drops the mask there (a
    UserWarning at most), and the padded steps are convolved and pooled as readings. Where ``_mask_dropped``
    reports the same layer (a recurrent or attention layer further on needs the mask), that finding stands."""
    known = {f.path for f in _mask_dropped(model)}
    out: list[Finding] = []
    for path, sub in _models(model):
        for call in calls(sub):
            layer = call.layer
            if (isinstance(layer, keras.Model) or getattr(layer, "supports_masking", False) or not call.data_inputs
                    or call.kwargs.get("mask") is not None):
                continue
            met, _ = _back_to_data(model, path, call.data_inputs[0])
            before = next((i for i, m in enumerate(met) if not isinstance(m, _KEEPS_VALUES)), None)
            if before is None or not isinstance(met[before], keras.layers.Masking):
                continue
            full = f"{path}/{layer.name}" if path else layer.name
            if full in known or (find_layer(model, layer) or full) in known:
                continue
            out.append(_masking_finding(model, sub, call, met[before], find_layer(model, layer) or full))
    return out


def _reducer_after(sub: Any, call: Any) -> Any | None:
    """The first call after ``call`` in ``sub`` that pools the steps of what ``call`` gave (through layers that keep
    the steps), or None."""
    made = {id(t) for t in call.outputs}
    for later in calls(sub):
        given = later.data_inputs
        if not given or id(given[0]) not in made:
            continue
        if isinstance(later.layer, _REDUCERS):
            return later
        if not isinstance(later.layer, _KEEPS_VALUES + (keras.layers.Activation,)):
            return None
        made |= {id(t) for t in later.outputs if len(t.shape) == len(given[0].shape)}
    return None


def _masking_finding(model: Any, sub: Any, call: Any, masking: Any, full: str) -> Finding:
    layer = call.layer
    masking_path = find_layer(model, masking) or masking.name
    holder = full.rsplit("/", 1)[0] if "/" in full else model.name
    x, y = call.data_inputs[0], call.outputs[0] if call.outputs else None
    same_steps = y is not None and len(y.shape) == len(x.shape) and y.shape[1] == x.shape[1]
    reducer = _reducer_after(sub, call) if same_steps else None
    value = masking.mask_value
    problem = (f"{masking_path} masks the steps equal to {value}, but {full} ({type(layer).__name__}) takes no mask: "
               f"Keras drops it there, and the padded steps are {'convolved' if 'Conv' in type(layer).__name__ else 'used'}"
               f" and {'pooled by ' + (find_layer(model, reducer.layer) or reducer.layer.name) if reducer else 'read'}"
               " as data. Nothing fails.")
    own, theirs = _user_call(model, layer), _user_call(model, reducer.layer) if reducer else None
    if own is not None and own[1] is not None and theirs is not None and theirs[1] is not None:
        steps = ast.unparse(own[1].args[0])
        mask = f"keras.ops.any(keras.ops.not_equal({steps}, {value}), axis=-1)"
        fix = (f"give the mask to the layer that pools the steps, computed from {full.rsplit('/', 1)[-1]}'s input in "
               f"{holder}: {theirs[0]}({ast.unparse(theirs[1].args[0])}, mask={mask}); then {masking.name} can go "
               f"(its mask never gets past {layer.name}).")
    else:
        fix = (f"compute the mask from the sequence in {holder}, keras.ops.any(keras.ops.not_equal(x, {value}), "
               f"axis=-1), and pass it as mask= to the layer that pools or reads the steps after {layer.name} (a "
               "GlobalAveragePooling1D, an LSTM); keep the steps' count there (padding=\"same\", strides=1).")
    return Finding(full, f"{masking.name} -> {full.split('/')[0]}", problem, fix)


def layernorm_refused(case: Any, m: Any) -> Mismatch | None:
    """PyTorch's layer norm takes only trailing axes, so there Keras' ``LayerNormalization(axis=1)`` on a
    (batch, steps, features) sequence fails where TensorFlow and JAX train silently: the same finding, as the
    failure's explanation."""
    layer = case.layer
    model = case.called_model()
    if not isinstance(layer, keras.layers.LayerNormalization) or not isinstance(model, keras.Model):
        return None
    if getattr(model, "_kernest_script", None) is None and case.site is not None:
        model._kernest_script = case.site.file  # the fix is read from the user's constructor, as the lint rules read it
    found = next((f for f in _normalised_across_steps(model) if f.path == find_layer(model, layer)), None)
    if found is None:
        return None
    return Mismatch(found.path, found.interface, "the features axis, axis=-1", f"axis={_written_axis(layer.axis)}",
                    f"{found.problem.replace(' Nothing fails.', '')} (PyTorch refuses it: its layer norm takes only "
                    f"the last axes; TensorFlow and JAX train on it.) {found.fix[:1].upper()}{found.fix[1:]}")
