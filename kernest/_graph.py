"""Read a built functional model's graph: its call nodes in order, and sub-layers of any layer.

Keras 3 keeps the graph in private attributes (``_nodes_by_depth``, ``_inbound_nodes``). They are read
here and nowhere else, so a change in Keras touches one module.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import keras


@dataclass(frozen=True)
class Call:
    """One call of ``layer`` inside a functional graph."""

    layer: Any
    inputs: tuple[Any, ...]  # symbolic tensors, flattened
    outputs: tuple[Any, ...]
    kwargs: dict[str, Any] | None = None  # the call's keyword arguments (mask=, training=, ...)


def functional_of(model: Any) -> Any | None:
    """The functional graph behind ``model``: itself, a built Sequential's inner graph, or None."""
    if isinstance(model, keras.Sequential):
        return getattr(model, "_functional", None)
    if isinstance(model, keras.Model) and hasattr(model, "_nodes_by_depth"):
        return model
    return None


def calls(model: Any) -> Iterator[Call]:
    """Every layer call in ``model``'s own graph, inputs first (not the calls inside nested models)."""
    graph = functional_of(model)
    if graph is None:
        return
    by_depth = graph._nodes_by_depth
    for depth in sorted(by_depth, reverse=True):
        for node in by_depth[depth]:
            if not isinstance(node.operation, keras.layers.Layer) or node.is_input:
                continue  # inputs, and keras.ops recorded in the graph (a mask's not_equal/any)
            yield Call(node.operation, tuple(data_inputs(node)), tuple(node.outputs), dict(node.arguments.kwargs))


def data_inputs(node: Any) -> list[Any]:
    """The tensors passed to a call as positional arguments: its data, not a ``mask=`` or other keyword."""
    args = keras.tree.flatten(node.arguments.args)
    found = [a for a in args if isinstance(a, keras.KerasTensor)]
    return found or list(node.input_tensors)


def producer(tensor: Any) -> Any | None:
    """The layer that made ``tensor`` (an ``InputLayer`` for a model input)."""
    history = getattr(tensor, "_keras_history", None)
    return history.operation if history is not None else None


def is_input_layer(layer: Any) -> bool:
    return isinstance(layer, keras.layers.InputLayer)


def root_inputs(tensor: Any, _seen: set[int] | None = None) -> list[Any]:
    """The input tensors that ``tensor`` was computed from (following the graph back)."""
    seen = _seen if _seen is not None else set()
    history = getattr(tensor, "_keras_history", None)
    if history is None or id(tensor) in seen:
        return []
    seen.add(id(tensor))
    layer, node_index, _ = history
    if is_input_layer(layer):
        return [tensor]
    try:
        node = layer._inbound_nodes[node_index]
    except (AttributeError, IndexError):
        return []
    found: list[Any] = []
    for t in data_inputs(node):
        for r in root_inputs(t, seen):
            if all(r is not f for f in found):
                found.append(r)
    return found


def children(layer: Any) -> list[tuple[str, Any]]:
    """Direct sub-layers of any layer, as ``(step name, layer)``: a model's layers, a wrapper's layer, a
    Bidirectional's two directions, or the sub-layers a custom layer keeps as attributes."""
    if isinstance(layer, keras.layers.Bidirectional):
        return [(layer.forward_layer.name, layer.forward_layer), (layer.backward_layer.name, layer.backward_layer)]
    if isinstance(layer, keras.layers.Wrapper):
        return [(layer.layer.name, layer.layer)]
    if isinstance(layer, keras.Model):
        return [(sub.name, sub) for sub in layer.layers if not is_input_layer(sub)]
    subs = getattr(layer, "_layers", None) or []
    return [(sub.name, sub) for sub in subs if isinstance(sub, keras.layers.Layer)]


def is_symbolic(tensor: Any) -> bool:
    return isinstance(tensor, keras.KerasTensor)


def find_layer(root: Any, layer: Any, prefix: str = "") -> str | None:
    """The path of ``layer`` (the object) inside ``root`` at any depth, or None."""
    for step, sub in children(root):
        path = f"{prefix}/{step}" if prefix else step
        if sub is layer:
            return path
        found = find_layer(sub, layer, path)
        if found is not None:
            return found
    return None


def producer_chain(tensor: Any, limit: int = 64) -> Iterator[tuple[Any, str, Any]]:
    """The layers upstream of ``tensor``, nearest first, following each call's first data input and
    stepping into nested models: ``(layer, path relative to tensor's level, the tensor it was given)``."""
    resume: list[tuple[Any, str]] = []  # where to continue after leaving a nested model through its Input
    t, prefix = tensor, ""
    for _ in range(limit):
        history = getattr(t, "_keras_history", None)
        if history is None:
            return
        layer, node_index, index = history
        if is_input_layer(layer):
            if not resume:
                return
            t, prefix = resume.pop()
            continue
        try:
            node = layer._inbound_nodes[node_index]
        except (AttributeError, IndexError):
            return
        given = data_inputs(node)
        t_in = given[0] if given else None
        path = f"{prefix}/{layer.name}" if prefix else layer.name
        yield layer, path, t_in
        graph = functional_of(layer)
        if graph is not None and index < len(graph.outputs):
            resume.append((t_in, prefix))
            t, prefix = graph.outputs[index], path
            continue
        if t_in is None:
            return
        t = t_in
