"""Named axes: ``kernest.Input`` and the rules that carry axis names through layers.

A tensor made by ``kernest.Input((20, 16), axes=("words", "chars"))`` is a plain ``keras.Input`` that
remembers the names of its non-batch axes. Names are not stored on every tensor as the graph grows.
``axes_of(t)`` walks back through the functional graph that produced ``t`` and applies a small rule
per layer type (Dense keeps leading axes, Flatten merges, an RNN drops its steps axis, ...). Layers
without a known rule keep names only where the shape is unchanged, and fall back to positions.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Sequence
from typing import Any

import keras

from kernest._errors import KernestError

Shape = tuple[int | None, ...]
Axes = tuple[str | None, ...]  # names of the non-batch axes; None where unknown

_ATTR = "_kernest_axes"


def Input(  # noqa: N802 - mirrors keras.Input
    shape: Sequence[int | None],
    axes: Sequence[str] | None = None,
    dtype: Any = None,
    name: str | None = None,
    batch_size: int | None = None,
) -> Any:
    """A ``keras.Input`` whose non-batch axes carry names.

    Args:
        shape: the shape without the batch axis, e.g. ``(20, 16)``.
        axes: one name per axis of ``shape``, e.g. ``("words", "chars")``. Names are identifiers and unique.
        dtype: as for ``keras.Input`` (``"int32"`` for token or character ids).
        name: the input's name.
        batch_size: optional fixed batch size.

    Returns:
        The symbolic tensor ``keras.Input`` returns; ``kernest.axes_of`` gives back its names.

    Raises:
        KernestError: when the names do not match the shape or repeat.

    Example:
        >>> x = Input((20, 16), axes=("words", "chars"), dtype="int32")
        >>> tuple(x.shape), axes_of(x)
        ((None, 20, 16), ('words', 'chars'))
    """
    shape = tuple(shape)
    tensor = keras.Input(shape=shape, dtype=dtype, name=name, batch_size=batch_size)
    if axes is not None:
        names = _validate_axes(axes, shape)
        setattr(tensor, _ATTR, names)
    return tensor


def _validate_axes(axes: Sequence[str], shape: Shape) -> Axes:
    if isinstance(axes, str):
        axes = (axes,)
    names = tuple(axes)
    if len(names) != len(shape):
        fitted = names[: len(shape)] + tuple(f"axis{i + 1}" for i in range(len(names), len(shape)))
        raise KernestError(
            f"kernest.Input got {len(names)} axis name(s) {names} for a shape of {len(shape)} axes {shape}. "
            f"Give one name per non-batch axis (the batch axis is not named): e.g. shape={tuple(shape)}, "
            f"axes={fitted}."
        )
    for n in names:
        if not isinstance(n, str) or not n.isidentifier() or keyword.iskeyword(n) or n == "batch":
            raise KernestError(
                f"kernest.Input got the axis name {n!r}. Axis names are Python identifiers other than "
                "'batch' (the batch axis is always named 'batch'), e.g. 'steps' or 'features'."
            )
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise KernestError(
            f"kernest.Input got the axis name(s) {dupes} more than once in {names}. "
            "Each axis needs its own name so that over() and error messages can tell them apart."
        )
    return names


def shape_of(tensor: Any) -> Shape:
    return tuple(_dim(d) for d in tensor.shape)


def _dim(d: Any) -> int | None:
    """A static size, or None for an unknown one (JAX traces a subclassed model with symbolic sizes)."""
    try:
        return None if d is None else int(d)
    except Exception:  # jax's InconclusiveDimensionOperation derives from Exception only
        return None


def fits(expected: Shape, received: Shape) -> bool:
    """Whether a tensor of shape ``received`` fits where ``expected`` is declared: the same rank, and
    every axis both sides know has the same size. The batch axis (first) is free.

    Example:
        >>> fits((None, 20, 16), (32, 20, None)), fits((None, 16), (None, 8)), fits((None, 16), (None, 2, 16))
        (True, False, False)
    """
    if len(expected) != len(received):
        return False
    return all(e is None or r is None or e == r for e, r in zip(expected[1:], received[1:]))


def axes_of(tensor: Any) -> Axes:
    """Names of ``tensor``'s non-batch axes, ``None`` where no name is known.

    Example:
        >>> x = Input((20, 16), axes=("words", "chars"), dtype="int32")
        >>> e = keras.layers.Embedding(50, 8)(x)
        >>> axes_of(e)
        ('words', 'chars', 'embed')
    """
    return _infer(tensor, {})


def format_shape(shape: Sequence[int | None], axes: Sequence[str | None] | None = None) -> str:
    """``(batch, words=20, chars=16)``; unnamed axes show the size alone, unknown sizes as ``?``.

    Example:
        >>> format_shape((None, 20, 16), ("words", None))
        '(batch, words=20, 16)'
    """
    dims = list(shape)
    names: list[str | None] = list(axes) if axes is not None else []
    names = (names + [None] * len(dims))[: max(len(dims) - 1, 0)]
    parts = ["batch"] if dims else []
    for size, name in zip(dims[1:], names):
        size_text = "?" if size is None else str(size)
        parts.append(f"{name}={size_text}" if name else size_text)
    return "(" + ", ".join(parts) + ")"


# --- inference --------------------------------------------------------------------------------------

def _unknown(tensor: Any) -> Axes:
    return (None,) * max(len(tensor.shape) - 1, 0)


def _infer(tensor: Any, env: dict[int, Axes]) -> Axes:
    """Axes of a symbolic tensor. ``env`` maps ids of tensors inside a nested model's graph to the axes
    of the call site being traced (those tensors are shared by every call site, so nothing is stored on them)."""
    if id(tensor) in env:
        return env[id(tensor)]
    known = getattr(tensor, _ATTR, None)
    if known is not None:
        return known
    from kernest._graph import data_inputs, node_of, output_index  # local: _graph builds on this module

    node = node_of(tensor)
    if node is None:
        return _unknown(tensor)
    layer = node.operation
    inputs = data_inputs(node)
    in_axes = [_infer(t, env) for t in inputs]
    out = layer_axes(layer, in_axes, [shape_of(t) for t in inputs], shape_of(tensor), output_index(tensor), env)
    env[id(tensor)] = out
    return out


def layer_axes(
    layer: Any,
    in_axes: list[Axes],
    in_shapes: list[Shape],
    out_shape: Shape,
    index: int = 0,
    env: dict[int, Axes] | None = None,
) -> Axes:
    """Axis names of output ``index`` of ``layer`` given its inputs' names and shapes (batch included)."""
    try:
        out = _apply_rule(layer, in_axes, in_shapes, out_shape, index, env or {})
    except Exception:  # a naming rule must never break model building
        out = None
    if out is None or len(out) != len(out_shape) - 1:
        if len(in_shapes) == 1 and in_shapes[0][1:] == out_shape[1:]:
            return in_axes[0]
        return (None,) * max(len(out_shape) - 1, 0)
    return out


def _features(axes: Axes, name: str = "features") -> Axes:
    """Keep every axis but the last, which becomes ``name`` (unless it already carries one)."""
    return axes[:-1] + (name,)


# A rule gives the names of output ``index`` of a layer from its inputs' names and shapes and its output
# shape (batch included), or None to fall back to positions.
AxisRule = Callable[[Any, list[Axes], list[Shape], Shape, int], "Axes | None"]
_RULES: dict[type, AxisRule] = {}


def register_axis_rule(layer_type: type, rule: AxisRule) -> None:
    """Name the output axes of ``layer_type`` layers with ``rule``. The module that defines a layer registers
    its rule (``kernest._over`` registers ``Over``'s), so this module imports none of them."""
    _RULES[layer_type] = rule


def mapped_axes(inner: Any, k: int, in_axes: list[Axes], in_shapes: list[Shape], out_shape: Shape,
                index: int) -> Axes:
    """Names of a wrapper's output that applies ``inner`` to every element of axes ``1..k``: the ``k``
    leading names, then what ``inner`` makes of one element (``TimeDistributed``, ``kernest.over``)."""
    child_in = [(None,) + s[k + 1 :] for s in in_shapes]
    child_axes = [t[k:] for t in in_axes]
    inner_out = layer_axes(inner, child_axes, child_in, (None,) + out_shape[k + 1 :], index)
    return in_axes[0][:k] + inner_out


def _apply_rule(
    layer: Any, in_axes: list[Axes], in_shapes: list[Shape], out_shape: Shape, index: int, env: dict[int, Axes]
) -> Axes | None:
    L = keras.layers
    a = in_axes[0] if in_axes else ()
    if isinstance(layer, keras.Model) and hasattr(layer, "inputs") and layer.inputs:
        return _through_model(layer, in_axes, index, env)
    for layer_type, rule in _RULES.items():
        if isinstance(layer, layer_type):
            return rule(layer, in_axes, in_shapes, out_shape, index)
    if isinstance(layer, L.TimeDistributed):
        return mapped_axes(layer.layer, 1, in_axes, in_shapes, out_shape, index)
    if isinstance(layer, L.Bidirectional):
        return _rnn_axes(layer.forward_layer, a, index)
    if isinstance(layer, L.RNN):
        return _rnn_axes(layer, a, index)
    if isinstance(layer, L.Embedding):
        return a + ("embed",)
    if isinstance(layer, L.Dense):
        return _features(a, a[-1] if a and a[-1] in ("features", "units") else "features")
    if isinstance(layer, (L.Conv1D, L.Conv2D, L.Conv3D)):
        return _rename_channels(layer, a, "filters")
    if isinstance(layer, _GLOBAL_POOLING):
        return _global_pooling_axes(layer, a)
    if isinstance(layer, _POOLING + _RESIZING):
        return a
    if isinstance(layer, L.Flatten):
        named = [n for n in a if n]
        return ("*".join(named) if len(named) == len(a) and named else None,)
    if isinstance(layer, L.Concatenate):
        ax = layer.axis if layer.axis >= 0 else len(a) + 1 + layer.axis
        merged = list(a)
        if 1 <= ax <= len(a):
            names = {t[ax - 1] for t in in_axes}
            merged[ax - 1] = names.pop() if len(names) == 1 else "features"
        return tuple(merged)
    if isinstance(layer, L.Reshape):
        return _reshape_axes(in_shapes[0][1:], a, out_shape[1:])
    if isinstance(layer, L.MultiHeadAttention) and index == 0:  # (batch, ..., query's features), as the query
        return a if out_shape[1:] == in_shapes[0][1:] else a[:-1] + (None,)
    if isinstance(layer, _ELEMENTWISE_MERGE):
        return merged_axes(in_axes, in_shapes, out_shape)
    from kernest._graph import composite_axes  # local: _graph builds on this module

    return composite_axes(layer, in_axes, in_shapes, index)


_GLOBAL_POOLING = tuple(getattr(keras.layers, f"Global{kind}Pooling{n}D") for kind in ("Max", "Average") for n in (1, 2, 3))
_POOLING = tuple(getattr(keras.layers, f"{kind}Pooling{n}D") for kind in ("Max", "Average") for n in (1, 2, 3))
# resize every spatial axis and keep what each axis is
_RESIZING = tuple(getattr(keras.layers, f"{kind}{n}D") for kind in ("UpSampling", "ZeroPadding", "Cropping")
                  for n in (1, 2, 3))


_ELEMENTWISE_MERGE = (keras.layers.Add, keras.layers.Subtract, keras.layers.Multiply, keras.layers.Average,
                      keras.layers.Maximum, keras.layers.Minimum)


def merged_axes(in_axes: list[Axes], in_shapes: list[Shape], out_shape: Shape) -> Axes:
    """Names of an element-wise merge (``Add``, ``Multiply``, ...): the inputs line up from the last axis,
    as in broadcasting. An output axis is named where the inputs that really have it (not a broadcast size 1)
    name it alike; an unnamed input does not contradict a named one. Two different names drop it.

    Example:
        >>> merged_axes([("steps", "features"), (None, "feats")], [(None, 5, 4)] * 2, (None, 5, 4))
        ('steps', None)
    """
    rank = len(out_shape) - 1
    out: list[str | None] = []
    for k in range(rank):
        names = set()
        for names_of, shape in zip(in_axes, in_shapes):
            j = k - (rank - (len(shape) - 1))  # the same axis in this input, counted from the last
            if j < 0 or j >= len(names_of) or (shape[j + 1] == 1 and out_shape[k + 1] != 1):
                continue  # this input has no such axis, or broadcasts along it
            names.add(names_of[j])
        names.discard(None)
        out.append(names.pop() if len(names) == 1 else None)
    return tuple(out)


def _channels_first(layer: Any) -> bool:
    return getattr(layer, "data_format", "channels_last") == "channels_first"


def _rename_channels(layer: Any, a: Axes, name: str) -> Axes:
    """The input's names with the channels axis (first or last, by ``data_format``) called ``name``."""
    if not a:
        return a
    return (name,) + a[1:] if _channels_first(layer) else a[:-1] + (name,)


def _global_pooling_axes(layer: Any, a: Axes) -> Axes:
    """A global pooling keeps the channels axis and removes the others (or keeps them as size 1, unnamed)."""
    if not a:
        return a
    if getattr(layer, "keepdims", False):
        return (a[0],) + (None,) * (len(a) - 1) if _channels_first(layer) else (None,) * (len(a) - 1) + (a[-1],)
    return (a[0],) if _channels_first(layer) else (a[-1],)


def _rnn_axes(rnn: Any, a: Axes, index: int = 0) -> Axes:
    units = "units"
    return (a[0], units) if rnn.return_sequences and index == 0 else (units,)  # output 1, 2, ...: a state


def _through_model(model: Any, in_axes: list[Axes], index: int, env: dict[int, Axes]) -> Axes | None:
    inner_env = dict(env)
    for t, names in zip(model.inputs, in_axes):
        if len(names) == len(t.shape) - 1:
            inner_env[id(t)] = with_declared(t, names)
    outputs = model.outputs
    if index >= len(outputs):
        return None
    return _infer(outputs[index], inner_env)


def with_declared(inner_input: Any, given: Axes) -> Axes:
    """The names of a nested model's input at one call: those the caller's tensor carries, and where it
    names an axis not, those the nested model's own ``kernest.Input`` declares.

    Example:
        >>> i = Input((5, 4), axes=("steps", "feats"))
        >>> with_declared(i, (None, "channels"))
        ('steps', 'channels')
    """
    declared = getattr(inner_input, _ATTR, None)
    if declared is None or len(declared) != len(given):
        return given
    return tuple(g if g is not None else d for g, d in zip(given, declared))


def _reshape_axes(src: Shape, a: Axes, dst: Shape) -> Axes:
    out: list[str | None] = [None] * len(dst)
    # keep names for a common prefix and a common suffix of equal sizes
    i = 0
    while i < min(len(src), len(dst)) and src[i] == dst[i] and src[i] is not None:
        out[i] = a[i]
        i += 1
    j = 1
    while j <= min(len(src), len(dst)) - i and src[-j] == dst[-j] and src[-j] is not None:
        out[-j] = a[-j]
        j += 1
    return tuple(out)


def expected_rank_text(layer: Any, ndim: int) -> str:
    """The input a layer expects, in words: ``(batch, steps, channels)`` for a channels-last Conv1D,
    ``(batch, channels, height, width)`` for a channels-first Conv2D."""
    spatial = {3: ["steps"], 4: ["height", "width"], 5: ["depth", "height", "width"]}.get(ndim)
    if spatial is None:
        return "(" + ", ".join(["batch"] + ["?"] * (ndim - 1)) + ")"
    fmt = getattr(layer, "data_format", None)
    if fmt == "channels_first":
        return "(" + ", ".join(["batch", "channels", *spatial]) + ")"
    last = "features" if ndim == 3 and fmt is None else "channels"  # an RNN reads features, a CNN channels
    return "(" + ", ".join(["batch", *spatial, last]) + ")"
