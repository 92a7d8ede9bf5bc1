"""Silent problems in the order of steps or axes that the user's wiring gives a tensor: a recurrent layer run with
``go_backwards=True`` whose reversed sequence is merged step by step with a forward one, and a ``Reshape`` used to
move an axis (which only a ``Permute`` does). Both build and train; the numbers meet the wrong numbers.
``kernest check --strict`` reports them."""

from __future__ import annotations

import ast
import itertools
from typing import Any

import keras

from kernest._callsite import source_offset
from kernest._graph import Call, calls, is_input_layer, producer
from kernest._lint import Finding, _constructor_text, _models

_MERGES = {keras.layers.Concatenate: "concat", keras.layers.Add: "sum", keras.layers.Multiply: "mul",
           keras.layers.Average: "ave"}
_ELEMENTWISE = (keras.layers.Concatenate, keras.layers.Add, keras.layers.Multiply, keras.layers.Average,
                keras.layers.Subtract, keras.layers.Maximum, keras.layers.Minimum)


def order_findings(model: Any) -> list[Finding]:
    """Every finding of the rules below, for ``model`` and every model nested in it."""
    out: list[Finding] = []
    for path, inner in _models(model):
        graph = calls(inner)
        taken_by: dict[int, list[Call]] = {}
        for call in graph:
            for t in keras.tree.flatten(list(call.data_inputs)):
                taken_by.setdefault(id(t), []).append(call)
        prefix = f"{path}/" if path else ""
        for call in graph:
            out.extend(_reversed_steps_merged(model, prefix, call, taken_by))
            out.extend(_reshape_as_transpose(model, prefix, call, taken_by))
    return out


def _side(tensor: Any) -> str:
    made_by = producer(tensor)
    if made_by is None:
        return "data"
    return f"input:{made_by.name}" if is_input_layer(made_by) else str(made_by.name)


def _splice(text: str, node: ast.AST, new: str) -> str:
    """``text`` with ``node``'s own segment replaced by ``new`` (the user's spelling kept everywhere else)."""
    lines = text.splitlines(keepends=True)
    start = source_offset(lines, getattr(node, "lineno", None), getattr(node, "col_offset", None))
    end = source_offset(lines, getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None))
    return text[:start] + new + text[end:]


def _call_node(text: str) -> ast.Call | None:
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return None
    return node if isinstance(node, ast.Call) else None


def _without_name(text: str) -> str:
    """A constructor's text without its ``name=`` keyword."""
    call = _call_node(text)
    if call is None:
        return text
    keep = [ast.get_source_segment(text.strip(), a) or ast.unparse(a) for a in call.args]
    keep += [ast.get_source_segment(text.strip(), k) or ast.unparse(k) for k in call.keywords if k.arg != "name"]
    return f"{ast.get_source_segment(text.strip(), call.func) or ast.unparse(call.func)}({', '.join(keep)})"


def _name_keyword(text: str | None) -> str:
    """``, name="flat"`` as the user's constructor wrote it, or ''."""
    call = _call_node(text) if text else None
    keyword = next((k for k in call.keywords if k.arg == "name"), None) if call is not None else None
    segment = ast.get_source_segment(text.strip(), keyword) if keyword is not None and text else None
    return f", {segment}" if segment else ""


def _module_prefix(text: str | None, fallback: str = "keras.layers.") -> str:
    """``layers.`` for the user's ``layers.Concatenate(...)``: the spelling of the module their layers come from."""
    call = _call_node(text) if text else None
    if call is None or not isinstance(call.func, ast.Attribute):
        return fallback if call is None else ""
    return ast.unparse(call.func.value) + "."


# --- a go_backwards sequence merged step by step with a forward one ---------------------------------------------

def _backward_sequence(layer: Any) -> bool:
    return (isinstance(layer, keras.layers.RNN) and bool(getattr(layer, "go_backwards", False))
            and bool(getattr(layer, "return_sequences", False)))


def _forward_twin(backward: Call, other: Any) -> Any | None:
    """The recurrent layer that made ``other`` when it is ``backward``'s forward counterpart: same class and units,
    all steps returned, run forward on the same input."""
    layer = producer(other)
    node = getattr(getattr(other, "_keras_history", None), "node_index", None)
    if not isinstance(layer, type(backward.layer)) or node is None or getattr(layer, "go_backwards", True):
        return None
    if getattr(layer, "units", None) != getattr(backward.layer, "units", None):
        return None
    same_input = [id(t) for t in layer._inbound_nodes[node].input_tensors[:1]] == [
        id(t) for t in backward.data_inputs[:1]]
    return layer if same_input and getattr(layer, "return_sequences", False) else None


def _reversed_steps_merged(model: Any, prefix: str, call: Call, taken_by: dict[int, list[Call]]) -> list[Finding]:
    """``LSTM(..., go_backwards=True, return_sequences=True)`` returns its steps last input step first; merging it
    with a forward sequence joins step t of one with step T-1-t of the other."""
    if not _backward_sequence(call.layer) or not call.outputs:
        return []
    out = call.outputs[0]
    steps = tuple(out.shape)[1] if len(out.shape) > 2 else None
    found = []
    for merge in taken_by.get(id(out), []):
        if not isinstance(merge.layer, _ELEMENTWISE):
            continue
        others = [t for t in merge.data_inputs if t is not out and len(t.shape) > 2 and tuple(t.shape)[1] == steps
                  and not _backward_sequence(producer(t))]
        if not others:
            continue
        twin = _forward_twin(call, others[0])
        name, merged = call.layer.name, merge.layer.name
        merge_text = _constructor_text(model, merge.layer)
        mode = _MERGES.get(type(merge.layer))
        if twin is not None and mode is not None:
            inner = _without_name(_constructor_text(model, twin) or f"keras.layers.{type(twin).__name__}("
                                  f"{twin.units}, return_sequences=True)")
            inner = inner.replace("go_backwards=False, ", "")
            extra = "" if mode == "concat" else f', merge_mode="{mode}"'
            wrapper = f'{_module_prefix(merge_text)}Bidirectional({inner}{extra}, name="{merged}")'
            fix = (f"let Keras run the backward copy and turn its steps back: {wrapper}, called on what {twin.name} and "
                   f"{name} are called on, in place of {twin.name}, {name} and {merged}.")
        else:
            fix = (f"reverse {name}'s steps back before {merged}: keras.layers.Lambda(lambda t: keras.ops.flip(t, "
                   f"axis=1))({name}'s output), or build both directions with keras.layers.Bidirectional.")
        found.append(Finding(
            f"{prefix}{name}", f"{name} -> {merged}",
            f"{prefix}{name} runs with go_backwards=True and return_sequences=True, so its {steps or 'T'} steps come out "
            f"in reverse order (its first step read the last input step), and {merged} joins them step by step with "
            f"{_side(others[0])}, which runs forward: step t meets step {f'{steps - 1}' if steps else 'T-1'}-t, with no error.",
            fix,
        ))
    return found


# --- a Reshape that moves an axis ---------------------------------------------------------------------------------

def _groupings(shape: tuple[int, ...], parts: int) -> list[list[list[int]]]:
    """Every way to cut the axes of ``shape`` into ``parts`` runs of neighbouring axes, as lists of axis indices."""
    n = len(shape)
    if parts < 1 or parts > n:
        return []
    found = []
    for cuts in itertools.combinations(range(1, n), parts - 1):
        bounds = (0, *cuts, n)
        found.append([list(range(bounds[i], bounds[i + 1])) for i in range(parts)])
    return found


def _size(shape: tuple[int, ...], axes: list[int]) -> int:
    size = 1
    for a in axes:
        size *= shape[a]
    return size


def _as_transpose(before: tuple[int, ...], after: tuple[int, ...]) -> tuple[list[list[int]], tuple[int, ...]] | None:
    """``(groups, order)`` when ``after`` is ``before``'s runs of axes put in another order (``(4, 4, 3)`` ->
    ``(3, 16)``) and no in-order cut of ``before`` gives ``after``; None otherwise."""
    cuts = _groupings(before, len(after))
    sizes = [tuple(_size(before, g) for g in groups) for groups in cuts]
    if after in sizes:
        return None
    for groups, size in zip(cuts, sizes, strict=True):
        for order in itertools.permutations(range(len(groups))):
            if order != tuple(range(len(groups))) and tuple(size[i] for i in order) == after:
                return groups, order
    return None


def _shape_text(shape: tuple[int, ...]) -> str:
    return f"({shape[0]},)" if len(shape) == 1 else "(" + ", ".join(str(d) for d in shape) + ")"


def _with_first_argument(text: str | None, new: str, fallback: str) -> str:
    call = _call_node(text) if text else None
    if text is None or call is None or not call.args:
        return fallback
    return _splice(text.strip(), call.args[0], new)


def _reshape_as_transpose(model: Any, prefix: str, call: Call, taken_by: dict[int, list[Call]]) -> list[Finding]:
    """``Reshape((3, 16))`` on a ``(4, 4, 3)`` map: a reshape keeps the order of the numbers in memory, so it cannot
    put the channel axis first; it cuts each pixel's values apart and joins values of several pixels in a row."""
    if not isinstance(call.layer, keras.layers.Reshape) or not call.data_inputs or not call.outputs:
        return []
    before = tuple(call.data_inputs[0].shape)[1:]
    after = tuple(call.outputs[0].shape)[1:]
    if not before or not after or any(not isinstance(d, int) for d in (*before, *after)) or before == after:
        return []
    moved = _as_transpose(before, after)
    if moved is None:
        return []
    groups, order = moved
    name = call.layer.name
    text = _constructor_text(model, call.layer)
    permute = next((c for c in taken_by.get(id(call.outputs[0]), []) if isinstance(c.layer, keras.layers.Permute)), None)
    in_order = tuple(_size(before, g) for g in groups)
    if permute is not None and tuple(permute.outputs[0].shape)[1:] == in_order:
        reshape = _with_first_argument(text, _shape_text(in_order), f"keras.layers.Reshape({_shape_text(in_order)})")
        fix = (f"{permute.layer.name} puts the axes back as a reshape in order gives them, so reshape in order and "
               f"drop {permute.layer.name}: {reshape}.")
    elif all(len(g) == 1 for g in groups):
        dims = tuple(groups[i][0] + 1 for i in order)
        fix = (f"to move the axes, use a Permute in its place: {_module_prefix(text)}Permute({_shape_text(dims)}"
               f"{_name_keyword(text)}).")
    else:
        dims = tuple(a + 1 for i in order for a in groups[i])
        fix = (f"move the axes with a Permute first, then reshape: keras.layers.Permute({_shape_text(dims)}) before "
               f"{_with_first_argument(text, _shape_text(after), f'keras.layers.Reshape({_shape_text(after)})')}.")
    return [Finding(
        f"{prefix}{name}", f"{_side(call.data_inputs[0])} -> {name}",
        f"{prefix}{name} reshapes {_shape_text(before)} to {_shape_text(after)}: the parts of "
        f"{_shape_text(in_order)} (the axes of {_shape_text(before)} joined in order) put in another order. A Reshape "
        f"keeps the numbers in memory order and does not move an axis, so each row of its output mixes values of "
        f"several positions, with no error.",
        fix,
    )]
