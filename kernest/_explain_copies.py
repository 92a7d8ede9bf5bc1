"""Keras copies a layer from its config while the user builds a model, not only when a file is loaded:
``Bidirectional`` makes its backward RNN from the config of the one it is given, and ``keras.models.clone_model``
remakes every layer. A custom class of the user's that Keras cannot find by name fails there with "Could not
locate class", and the fix is not the ``load_model(custom_objects=...)`` of a saved file."""

from __future__ import annotations

import ast

from kernest._callsite import LineCall, calls_on
from kernest._errors import Mismatch

_REGISTER = "@keras.saving.register_keras_serializable()"


def _named(call: LineCall, name: str) -> bool:
    func = call.node.func
    return (func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)) == name


def _backward_copy(call: LineCall) -> str | None:
    """The user's own forward RNN call, written again with ``go_backwards=True``: what ``backward_layer=``
    takes (``L.RNN(Cell(8))`` -> ``L.RNN(Cell(8), go_backwards=True)``)."""
    if not call.node.args or not isinstance(call.node.args[0], ast.Call):
        return None
    rnn = call.node.args[0]
    if any(k.arg == "go_backwards" for k in rnn.keywords):
        return None
    text = call.text(rnn)
    return f"{text[:-1].rstrip()}, go_backwards=True)" if rnn.args or rnn.keywords else f"{text[:-1]}go_backwards=True)"


def copied_class_failure(site_text: str, cls: str) -> Mismatch | None:
    """Where the user's line has no load call but makes a copy of a layer from its config (a ``Bidirectional``
    or a ``clone_model``), say that the copy is what needs the class, and how to give it (register the class,
    or for Bidirectional give the backward layer yourself)."""
    calls = calls_on(site_text)
    if any("load" in ast.unparse(c.node.func) for c in calls):
        return None
    register = f"Decorate class {cls} with {_REGISTER} where it is defined (Keras finds it by that name)"
    bidi = next((c for c in calls if _named(c, "Bidirectional")), None)
    if bidi is not None:
        if any(k.arg == "backward_layer" for k in bidi.node.keywords):
            return None
        backward = _backward_copy(bidi)
        own = (f"; or make the backward copy yourself: `{bidi.text()[:-1].rstrip()}, backward_layer={backward})`"
               if backward else "")
        return Mismatch(cls, f"Bidirectional -> {cls}", f"the class {cls} known to Keras", f"the name {cls!r} only",
                        f"Bidirectional makes its backward layer from the config of the layer it wraps, and that "
                        f"config names the class {cls}, which Keras cannot find. {register}{own}.")
    clone = next((c for c in calls if _named(c, "clone_model")), None)
    if clone is not None:
        return Mismatch(cls, f"clone_model -> {cls}", f"the class {cls} known to Keras", f"the name {cls!r} only",
                        f"{clone.text()} remakes each layer from its config, and that config names the class {cls}, "
                        f"which Keras cannot find. {register}; or make the copy inside "
                        f"`with keras.saving.custom_object_scope({{\"{cls}\": {cls}}}):`.")
    return None
