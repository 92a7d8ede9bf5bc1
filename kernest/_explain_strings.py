"""Text for a model that reads strings, fitted under JAX or PyTorch: their tensors hold no strings, so the text
layer (StringLookup, TextVectorization, or a model holding one) runs on the data outside the model, and the model
is trained from the ids on. One reader for both ways the failure reaches ``explain``: Keras refusing the NumPy
string array (``Invalid dtype: str``), and the string-data family of ``_explain``."""

from __future__ import annotations

import ast
from typing import Any

import keras

from kernest._callsite import DATA_METHODS, model_call
from kernest._errors import Mismatch
from kernest._graph import layers as _walk


def data_argument(statement: str, scope: dict[str, Any]) -> tuple[str, str] | None:
    """The data the user's ``fit`` / ``evaluate`` / ``predict`` call is given (its first argument, the whole
    statement read, over several lines too): as written, and as shown in a message (an array written out with
    several items, by its first: ``np.array([["good"], ...])``). None where no such call is read."""
    call = model_call(statement.strip(), scope, DATA_METHODS)
    node = call.node("x") if call is not None else None
    if call is None or node is None:
        return None
    given = call.call.text(node)
    items = node.args[0].elts if (isinstance(node, ast.Call) and len(node.args) == 1
                                  and isinstance(node.args[0], (ast.List, ast.Tuple))) else []
    if isinstance(node, ast.Call) and len(given) > 40 and len(items) > 1:
        return given, f"{call.call.text(node.func)}([{call.call.text(items[0])}, ...])"
    return given, given


def _layer_inputs(layer: Any) -> list[Any]:
    nodes = getattr(layer, "_inbound_nodes", [])
    return [t for n in nodes for t in keras.tree.flatten(n.arguments.args) if isinstance(t, keras.KerasTensor)]


def text_outside_the_model(model: Any, given: str, shown: str, var_of: Any) -> Mismatch | None:
    """The answer for ``model`` (whose Input takes strings) fitted on the array ``given`` (``shown`` in the
    message) under JAX or PyTorch: the layer that reads the text, called on the data outside the model, and the
    model rebuilt from the ids on. ``var_of``: the user's variable name of a layer or model. None where no layer
    of ``model`` reads its string input."""
    backend = keras.backend.backend()
    text_layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)
                   and any(getattr(t, "dtype", None) == "string" for t in _layer_inputs(layer))]
    if backend == "tensorflow" or not text_layers:
        return None
    layer = text_layers[0]
    lookups = [p for p, sub in _walk(model)
               if isinstance(sub, (keras.layers.StringLookup, keras.layers.TextVectorization))]
    out = layer.output
    rest = [lyr for lyr in model.layers if any(t is out for t in _layer_inputs(lyr))]
    shape = tuple(out.shape[1:])
    dtype = "int32" if "int" in str(out.dtype) else str(out.dtype)
    rebuilt = (f"`ids = keras.Input(shape={shape}, dtype=\"{dtype}\")` and `{var_of(model)} = keras.Model(ids, "
               f"{var_of(rest[0])}(ids))`" if len(rest) == 1 and rest[0].output is model.outputs[0]
               else f"the layers after {layer.name} rebuilt on `ids = keras.Input(shape={shape}, dtype=\"{dtype}\")`")
    where = f"its {lookups[0]} layer" if lookups else f"{layer.name}"
    return Mismatch(
        model.name, f"data -> {layer.name}", "numbers (the backend's tensors hold no strings)",
        f"{shown}, a NumPy array of strings, into {layer.name}",
        f"Under {backend} a model's tensors cannot hold strings, so the text cannot enter {model.name}; "
        f"{layer.name} ({type(layer).__name__}) runs on the data instead, outside the model. Turn the text into ids "
        f"first, with {where} called on {shown} outside the model: `ids_data = keras.ops.convert_to_numpy("
        f"{var_of(layer)}({given}))`; train a model on the ids, {rebuilt}, and fit it on ids_data (a model that "
        "reads raw text can be kept for the TensorFlow backend).",
    )
