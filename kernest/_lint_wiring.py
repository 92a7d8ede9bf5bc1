"""Silent wiring mistakes between a nested model and the layers after it (the lead's probe models, round 8): a
softmax (or sigmoid) applied again to what a nested model already squashed, and a constant array handed to a merge
layer beside a batch of tensors. ``kernest check --strict`` reports them; the model builds and trains on both."""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np

from kernest._graph import calls, is_symbolic
from kernest._lint import Finding, _entry_name, _models, _squashing, output_layer


def wiring_findings(model: Any) -> list[Finding]:
    """Every finding of the rules below for ``model``."""
    return _squashed_twice(model) + _constant_in_merge(model)


def _full(path: str, layer: Any) -> str:
    return f"{path}/{layer.name}" if path else str(layer.name)


# --- softmax or sigmoid on what is already probabilities -----------------------------------------------------------

def _squashed_twice(model: Any) -> list[Finding]:
    """An ``Activation("softmax")`` (or ``Softmax``, or sigmoid) layer on the output of a layer that already applies
    it, most often the last layer of a nested classifier: the probabilities are squashed a second time, which caps
    how sure the model can be (softmax) or makes every output at least 0.5 (sigmoid). A Dense with that activation
    is left alone: it maps the probabilities anew, as a model that reads them as features may mean to."""
    out = []
    for path, sub in _models(model):
        for call in calls(sub):
            kind = _squashing(call.layer)
            if kind is None or not isinstance(call.layer, (keras.layers.Activation, keras.layers.Softmax)):
                continue
            if len(call.data_inputs) != 1:
                continue
            before, before_path = output_layer(call.data_inputs[0])
            if before is None or _squashing(before) != kind:
                continue
            full = _full(path, call.layer)
            upstream = f"{path}/{before_path}" if path else before_path
            k = int(call.outputs[0].shape[-1] or 0) if call.outputs else 0
            if kind == "softmax":
                cap = f" (with {k} classes no probability can pass e/(e+{k - 1}) = {math.e / (math.e + k - 1):.2f})" \
                    if k > 1 else ""
                effect = (f"softmax of probabilities (each in [0, 1]) is close to uniform{cap}, so the model can never "
                          "be sure and the loss keeps pushing on weights that cannot get it there")
            else:
                effect = ("sigmoid of a probability is between 0.5 and 0.73, so every prediction reads as the positive "
                          "class at a 0.5 threshold")
            top = full.split("/")[0]
            out.append(Finding(
                full, f"{_entry_name(model, top, 'input')} -> {top}",
                f"{full} applies {kind} to the output of {upstream}, which already applies {kind}: {effect}.",
                f"drop {call.layer.name} ({upstream} already gives probabilities), or build {upstream} with "
                f"activation=None (logits) and keep {call.layer.name}.",
            ))
    return out


# --- a constant array given to a merge layer ---------------------------------------------------------------------

_MERGES = (keras.layers.Add, keras.layers.Subtract, keras.layers.Multiply, keras.layers.Average,
           keras.layers.Maximum, keras.layers.Minimum, keras.layers.Concatenate, keras.layers.Dot)


def _constant_in_merge(model: Any) -> list[Finding]:
    return [finding for _, finding in constant_merges(model)]


def constant_merges(model: Any, scope: dict[str, Any] | None = None) -> list[tuple[Any, Finding]]:
    """Each merge layer (Add, Concatenate, Dot ...) of ``model`` called on a list that holds a NumPy array (or a
    concrete tensor) beside the model's tensors, with its finding: a merge layer pairs its inputs sample by sample,
    and a constant has no batch axis, so Keras lines its first axis up with the batch (or expands it at axis 1). It
    builds, then fails (or pairs the wrong rows) on a batch of another size. The fix names the array as the user
    does: from ``scope`` (explain), or the names ``kernest check`` noted on the model."""
    out = []
    for path, sub in _models(model):
        for call in calls(sub):
            if not isinstance(call.layer, _MERGES):
                continue
            given = keras.tree.flatten(call.node.arguments.args)
            constants = [c for c in given if not is_symbolic(c) and np.ndim(c) >= 1]
            tensors = [t for t in given if is_symbolic(t)]
            if constants and tensors:
                named = ({id(v): k for k, v in scope.items()} if scope is not None
                         else getattr(model, "_kernest_array_names", {}))
                name = named.get(id(constants[0]), "table")
                out.append((call.layer, _constant_finding(_full(path, call.layer), call.layer, constants[0],
                                                          tensors[0], name)))
    return out


def _constant_finding(full: str, layer: Any, constant: Any, tensor: Any, name: str) -> Finding:
    table = tuple(int(d) for d in np.shape(constant))
    sample = tuple(tensor.shape[1:])
    shown = f"(batch, {', '.join(str(d) for d in sample)})"
    if isinstance(layer, keras.layers.Dot):
        fix = (f"to compare each sample with all {table[0]} rows, multiply by the table's transpose: "
               f"keras.ops.matmul(x, keras.ops.transpose({name})) gives (batch, {table[0]})")
    elif isinstance(layer, keras.layers.Concatenate):
        fix = (f"repeat it for every sample first, keras.ops.broadcast_to({name}, (keras.ops.shape(x)[0], "
               f"{', '.join(str(d) for d in table)})), or hold it in a layer as a weight")
    else:
        fix = (f"combine it with broadcasting instead, which gives every sample the same table: x + {name} "
               f"(or keras.ops.add(x, {name})), or hold it in a layer as a weight")
    if len(table) == len(sample) and table[1:] == sample[1:] and table[0] != sample[0]:
        fix += f"; its {table[0]} rows do not match the {sample[0]} steps of a sample either: take {name}[:{sample[0]}]"
    return Finding(
        full, f"constant {table} -> {full}",
        f"{full} ({type(layer).__name__}) is given a constant array of shape {table} beside tensors {shown}: a merge "
        "layer pairs its inputs sample by sample, and the constant has no batch axis, so Keras lines its first axis "
        "up with the batch; the model builds but fails (or pairs the wrong rows) on batches of another size.",
        fix + ".", expected=f"tensors {shown} for every input", received=f"a constant {table}",
    )
