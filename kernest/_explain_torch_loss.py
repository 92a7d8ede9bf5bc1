"""PyTorch's "grad_input must be contiguous" in a training step of a model that gives probabilities over a map (a
segmenter: (batch, height, width, classes)) and is compiled with sparse categorical cross-entropy of probabilities
(``from_logits=False``, the loss name's default). Keras' PyTorch backend computes that loss with ``nll_loss`` on the
class axis moved to axis 1, and the backward of that loss over a map (PyTorch's ``NllLoss2d``) refuses the moved,
non-contiguous tensor on the CPU. The model and the labels are right; ``from_logits=True`` takes PyTorch's
``cross_entropy`` instead, which trains (checked on Keras 3.15, PyTorch 2, CPU: a Conv2D with softmax fails, the same
with logits trains; a sequence of probabilities, rank 3, trains too)."""

from __future__ import annotations

import re
from typing import Any

import keras

from kernest._axes import format_shape, shape_of
from kernest._errors import Mismatch
from kernest._lint import Finding, _losses_per_output, _squashing, output_layer

_NOT_CONTIGUOUS = re.compile(r"grad_input must be contiguous")


def _sparse_of_probabilities(loss: Any) -> bool:
    if isinstance(loss, str):
        return loss == "sparse_categorical_crossentropy"
    if loss is keras.losses.sparse_categorical_crossentropy:
        return True
    return isinstance(loss, keras.losses.SparseCategoricalCrossentropy) and not loss.get_config().get("from_logits")


def _candidates(case: Any) -> list[Any]:
    found = [case.fitted_model(), case.target]
    return [m for i, m in enumerate(found) if isinstance(m, keras.Model) and m not in found[:i]]


def _over_a_map(model: Any) -> list[tuple[Any, str]]:
    """Each output of ``model`` of rank 4 or more compiled with sparse cross-entropy of probabilities, with the
    fix's first words (the softmax to drop)."""
    out = []
    for tensor, loss in zip(list(getattr(model, "outputs", None) or []), _losses_per_output(model), strict=False):
        if not _sparse_of_probabilities(loss) or len(shape_of(tensor)) < 4:
            continue
        layer, path = output_layer(tensor)
        kind = _squashing(layer) if layer is not None else None
        softmax_layer = isinstance(layer, keras.layers.Softmax)
        out.append((tensor, f"drop the softmax of {path} ({'remove that Softmax layer' if softmax_layer else 'activation=None'}) "
                    if kind == "softmax" else "let the last layer give logits (no softmax) "))
    return out


def _fix(model: Any, tensor: Any, last: str) -> str:
    return (f"{model.name} gives probabilities of shape {format_shape(shape_of(tensor))} and is compiled with sparse "
            "categorical cross-entropy of probabilities (from_logits=False). Keras' PyTorch backend computes that loss "
            "over a map with nll_loss on the classes moved to axis 1, and its backward fails on such a moved tensor "
            "(\"grad_input must be contiguous\"): the model and the labels are right. Train on logits instead: "
            f"{last}and compile with loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), which PyTorch "
            "computes with cross_entropy; apply keras.ops.softmax(..., axis=-1) to the predictions where you need "
            "probabilities.")


def sparse_loss_findings(model: Any) -> list[Finding]:
    """``check`` on PyTorch, before training: the finding for each such output (a compiled model)."""
    if keras.backend.backend() != "torch" or getattr(model, "optimizer", None) is None:
        return []
    out = []
    for tensor, last in _over_a_map(model):
        problem, _, fix = _fix(model, tensor, last).partition(" Train on logits instead: ")
        out.append(Finding(str(model.name), f"{model.name} -> loss", problem + " Its first training step will fail.",
                           "train on logits instead: " + fix))
    return out


def sparse_loss_over_a_map(case: Any) -> Mismatch | None:
    """The answer for the failure above, naming the output's softmax layer and the loss to compile with."""
    if not _NOT_CONTIGUOUS.search(case.message):
        return None
    for model in _candidates(case):
        for tensor, last in _over_a_map(model):
            return Mismatch(str(model.name), f"{model.name} -> loss", "logits with from_logits=True (on PyTorch)",
                            f"probabilities {format_shape(shape_of(tensor))} with from_logits=False",
                            _fix(model, tensor, last))
    return None
