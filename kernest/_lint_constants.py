"""A layer called on a constant while a functional model is built (keras.io's Behavior Sequence Transformer calls its
position ``Embedding`` on ``keras.ops.arange(...)``): no input of the model reaches it, so Keras runs it at once and
keeps its result in the graph as a constant. The layer is no part of the model (its weights are not in
``model.weights``, never train and are not saved); on PyTorch the constant still holds the autograd graph of the
lookup, and the second training step fails with "Trying to backward through the graph a second time".

The layer leaves no node in the graph; its result does, as a constant argument of the call that reads it. Where that
constant carries the history of how it was computed from trainable weights (PyTorch's autograd), the finding names
the operation that computed it and the weights' shape. On TensorFlow and JAX a constant keeps no such history, and a
constant computed from weights cannot be told from one the user meant (a table of sines), so nothing is reported
there."""

from __future__ import annotations

import re
from typing import Any

import keras

from kernest._errors import Mismatch
from kernest._graph import graph_calls, is_symbolic
from kernest._lint import Finding, _models

_BACKWARD_TWICE = re.compile(r"backward through the graph a second time")


def constants_from_weights(model: Any) -> list[Finding]:
    """One finding per call in ``model`` (or a model nested in it) given a constant computed from trainable
    weights while the model was built."""
    out = []
    for path, sub in _models(model):
        for call in graph_calls(sub) or []:
            given = keras.tree.flatten((call.node.arguments.args, call.node.arguments.kwargs))
            for constant in given:
                made = _made_from_weights(constant)
                if made is not None:
                    out.append(_finding(path, sub, call, constant, made))
                    break
    return out


def _made_from_weights(value: Any) -> tuple[str, list[tuple[int, ...]]] | None:
    """For a concrete tensor that autograd tracks (PyTorch), the operation that made it and the shapes of the
    trainable weights it was computed from; None for anything else."""
    if is_symbolic(value) or not getattr(value, "requires_grad", False) or getattr(value, "grad_fn", None) is None:
        return None
    leaves, seen, stack = [], set(), [value.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        variable = getattr(fn, "variable", None)  # an AccumulateGrad: a leaf weight
        if variable is not None:
            leaves.append(tuple(int(d) for d in variable.shape))
        stack.extend(next_fn for next_fn, _ in getattr(fn, "next_functions", ()))
    operation = re.sub(r"Backward\d*$", "", type(value.grad_fn).__name__)
    return (operation, leaves) if leaves else None


def _finding(path: str, sub: Any, call: Any, constant: Any, made: tuple[str, list[tuple[int, ...]]]) -> Finding:
    operation, leaves = made
    name = str(call.layer.name)
    full = f"{path}/{name}" if path else name
    shape = tuple(int(d) for d in constant.shape)
    weights = " and ".join(str(s) for s in leaves)
    reads = (f"{full} reads a tensor of shape {shape} that is no function of the inputs of {sub.name}: it was "
             f"computed from trainable weights of shape {weights} ({_operation_text(operation)}) while the model was built, "
             "by a layer called on a constant (such as keras.ops.arange(...) for positions) rather than on a tensor "
             "of the model. Keras ran that layer at once and keeps its result as a fixed constant: the layer is no "
             f"part of {sub.name} (its weights are not in {sub.name}.weights, never train and are not saved), and on "
             "PyTorch the second training step fails (\"Trying to backward through the graph a second time\").")
    inside = ("e.g. in a custom layer whose call() computes the positions from its input: positions = "
              "keras.ops.arange(keras.ops.shape(x)[1]); return x + self.position_embedding(positions)"
              if operation == "Embedding" else
              "e.g. a custom layer that holds the values as its own weight (self.add_weight in build()) and adds or "
              "concatenates it to its input in call()")
    fix = ("call that layer inside the graph, on a tensor that comes from the model's inputs, so that it becomes part "
           f"of the model: {inside}.")
    return Finding(full, f"constant {shape} -> {full}", reads, fix,
                   expected="a tensor computed from the model's inputs", received=f"a constant {shape} made from weights")


def _operation_text(operation: str) -> str:
    return "an Embedding lookup" if operation == "Embedding" else f"its last operation {operation}"


def graph_reused_failure(case: Any) -> Mismatch | None:
    """PyTorch's "Trying to backward through the graph a second time" in a training step, where the model given to
    explain holds a constant computed from trainable weights while it was built: that finding."""
    model = case.target
    if not _BACKWARD_TWICE.search(case.message) or not isinstance(model, keras.Model):
        return None
    found = constants_from_weights(model)
    return found[0].as_mismatch() if found else None
