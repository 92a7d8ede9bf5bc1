"""Fixes for merges whose branches differ in width, told in the model's own terms.

A residual connection adds a block's output to the block's own input (``Add()([feedforward(x), x])``): the input
side cannot change width, so the block must give the width it was given. A part of a model called on its own
with fewer features than the model gives it, where the model joins several inputs for it
(``generator(concatenate([noise, labels]))``), is missing the other parts of that join.
"""

from __future__ import annotations

from typing import Any

import keras

from kernest._axes import shape_of
from kernest._graph import SEP, data_inputs, graph_nodes, layers, node_of


def feeds(source: Any, tensor: Any, limit: int = 500) -> bool:
    """Whether ``tensor`` is computed from ``source`` (``source`` lies upstream of it in the graph)."""
    stack, seen = [tensor], set()
    while stack and limit > 0:
        t = stack.pop()
        limit -= 1
        if t is source:
            return True
        node = node_of(t)
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        stack.extend(data_inputs(node))
    return False


def width_layer(layer: Any) -> tuple[str, Any] | None:
    """``(path, layer)`` of the layer with ``units`` that sets ``layer``'s output width: the layer itself, or
    the last such layer of a nested model (a feed-forward Sequential's last Dense)."""
    if isinstance(getattr(layer, "units", None), int):
        return str(layer.name), layer
    for sub in reversed(getattr(layer, "layers", None) or []):
        found = width_layer(sub)
        if found is not None:
            return f"{layer.name}{SEP}{found[0]}", found[1]
    return None


def residual_fix(name: str, kind: str, skip: Any, skip_by: Any, branch: Any, branch_by: Any) -> str | None:
    """The fix for a merge of a block's output (``branch``) with the block's own input (``skip``, upstream of
    it) of another width: the block must give the skip's width. None where it is not such a connection."""
    if skip_by is None or branch_by is None or not feeds(skip, branch):
        return None
    want, have = shape_of(skip)[-1], shape_of(branch)[-1]
    found = width_layer(branch_by)
    rebuild = (f"build {found[0]} with {want} units (keras.layers.{type(found[1]).__name__}({want}), its other "
               "arguments as they are)" if found is not None
               else f"make {branch_by.name} give {want}")
    return (f"{name} ({kind}) merges {branch_by.name}'s output ({have} features) with {skip_by.name}'s ({want} "
            f"features), which {branch_by.name} is computed from (a residual connection), so {branch_by.name} must "
            f"give {want}: {rebuild}, or project {skip_by.name}'s output with keras.layers.Dense({have}) before "
            f"{name}.")


def joined_parts(model: Any, part: Any, width: int) -> tuple[list[tuple[str, int]], int] | None:
    """Where ``model`` calls ``part`` on a join along the last axis of several tensors, one of them ``width``
    wide: ``([(name, width) of each joined tensor], index of the one of width ``width``)``; else None."""
    for node in graph_nodes(model) if isinstance(model, keras.Model) else []:
        if node.operation is not part:
            continue
        given = data_inputs(node)
        joined = node_of(given[0]) if len(given) == 1 else None
        if joined is None or "concat" not in type(joined.operation).__name__.lower():
            continue
        pieces = data_inputs(joined)
        if len(pieces) < 2:
            continue
        widths = [shape_of(p)[-1] for p in pieces]
        if sum(w or 0 for w in widths) != shape_of(given[0])[-1] or width not in widths:
            continue
        names = [_tensor_name(p) for p in pieces]
        return list(zip(names, [int(w or 0) for w in widths], strict=True)), widths.index(width)
    return None


def _tensor_name(tensor: Any) -> str:
    node = node_of(tensor)
    operation = getattr(node, "operation", None)
    return str(getattr(operation, "name", None) or getattr(tensor, "name", "?"))


def missing_join_fix(model: Any, part: Any, got: int, want: int, given: str) -> str | None:
    """``part`` called on ``given`` (``got`` features) where ``model`` (or a model inside it) calls it on several
    tensors joined along the last axis (``want`` features), one of them ``got`` wide: join the others to it."""
    holders = [model, *(sub for _, sub in layers(model) if isinstance(sub, keras.Model))]
    for holder in holders:
        found = joined_parts(holder, part, got) if holder is not part else None
        if found is None:
            continue
        parts, mine = found
        listed = " and ".join(f"{n} ({w})" for n, w in parts)
        others = ", ".join(n for i, (n, _) in enumerate(parts) if i != mine)
        joined = ", ".join(given if i == mine else n for i, (n, _) in enumerate(parts))
        return (f"{holder.name} calls {part.name} on {listed} joined along the last axis ({want} features), and "
                f"{given} has {got}, the width of {parts[mine][0]} alone. Join {others} to it as {holder.name} "
                f"does: {part.name}(keras.ops.concatenate([{joined}], axis=-1)).")
    return None
