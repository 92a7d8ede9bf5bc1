"""``probe``: what would a failing layer accept? Try it on shapes near the one it received.

When no family of ``_explain`` knows a failure, the layer itself is the best reference for what it needs.
A fresh copy is rebuilt from its config and called symbolically (``keras.KerasTensor``, so no data, no
training, and the copy's weights are dropped) on candidate inputs derived from the received shape: a config
value that does not fit (an ``axis`` out of range, ``groups`` that do not divide, ``padding="valid"`` on too
short an input), an axis of size 1 added, a size-1 axis removed or two neighbours merged, an axis pooled away,
two axes swapped or the channels moved to the other end, or the width a built layer's weights were made for.
The first candidate that works is the fix, with the adapter that turns the received shape into it.

The order of candidates reads the layer's ``data_format`` (an axis is added and channels are moved where the
layer keeps its channels) and never assumes a layout or an axis name. At most ``MAX_TRIES`` symbolic calls.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import keras

from kernest._axes import Shape, fits, format_shape, shape_of
from kernest._graph import built_input_shapes, call_parameters

MAX_TRIES = 30


@dataclass(frozen=True)
class Candidate:
    """One input (or config) the layer might accept, and the change that gets there from what it received."""

    shape: Shape  # the input shape tried, batch as None
    adapter: str  # code for the change: ``keras.layers.Reshape((32, 1))``, or a config ``axis=-1``
    how: str  # the change in words
    config: dict[str, Any] | None = None  # a config change instead of an input change


@dataclass(frozen=True)
class Probe:
    """What ``probe`` learned: the first candidate that worked (``None`` if none did) and how many it tried."""

    layer: Any
    received: Shape
    found: Candidate | None
    tries: int

    def accepts_text(self) -> str:
        """What the layer accepts, in words: ``(batch, 32, 1)``, or the received shape with a config change."""
        if self.found is None:
            return ""
        if self.found.config is not None:
            return f"{format_shape(self.received)} with {self.found.adapter}"
        return format_shape(self.found.shape)


def probe(layer: Any, received: Shape, dtype: str = "float32") -> Probe | None:
    """Try a fresh copy of ``layer`` on candidate inputs near ``received`` (one tensor, batch first).

    Returns ``None`` when the layer cannot be copied from its config (a model, or a custom layer without
    ``get_config``); otherwise a ``Probe`` whose ``found`` is the first candidate that worked, or ``None``.
    """
    if isinstance(layer, keras.Model) or len(received) < 1:
        return None
    try:
        config = layer.get_config()
        _fresh(layer, config)
    except Exception:  # not rebuildable from its config: nothing to probe honestly
        return None
    received = (None, *received[1:])
    built = built_input_shapes(layer) if layer.built else None
    if built and built[0] == received:
        built = None  # built on this very input before its call failed: no other shape to keep to
    tries = 0
    for cand in _candidates(layer, config, received, built):
        if not cand.adapter or (built and not fits(built[0], cand.shape)):
            continue  # no code says this change, or the weights were made for another shape
        if tries >= MAX_TRIES:
            break
        tries += 1
        if _works(layer, {**config, **(cand.config or {})}, cand.shape, dtype):
            return Probe(layer, received, cand, tries)
    return Probe(layer, received, None, tries)


def _fresh(layer: Any, config: dict[str, Any]) -> Any:
    return type(layer).from_config(config)


def _works(layer: Any, config: dict[str, Any], shape: Shape, dtype: str) -> bool:
    """Whether a fresh copy built from ``config`` can be called on a symbolic tensor of ``shape``."""
    try:
        copy = _fresh(layer, config)
        x = keras.KerasTensor(shape, dtype=dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = copy(*[x] * _tensor_arguments(copy))
        # a layer that reads the batch axis as data (an image layer taking rank 3 as one unbatched image)
        # has not accepted a batch
        return all(len(o.shape) > 0 and o.shape[0] is None for o in keras.tree.flatten(out))
    except Exception:  # any refusal is an answer: this candidate does not work
        return False


def _tensor_arguments(layer: Any) -> int:
    """How many tensors ``call`` requires positionally (attention takes query and value: self-attention
    passes the same tensor to both)."""
    required = [p for p in call_parameters(layer) if p.default is p.empty]
    return max(1, min(len(required), 3))


# --- candidates, smallest change first ---------------------------------------------------------------

def _candidates(layer: Any, config: dict[str, Any], received: Shape, built: list[Shape] | None) -> Iterator[Candidate]:
    wrong_axis = _axis_out_of_range(config, received)
    if wrong_axis:
        yield from _axis_changes(config, received)
    yield from _config_changes(config, received)
    if built:
        yield from _built_shape(received, built[0])
    first = config.get("data_format") == "channels_first"
    yield from _added_axes(received, first)
    yield from _removed_axes(received, first)
    yield from _pooled_axes(received)
    yield from _moved_axes(received, first)
    yield from _split_axes(received, first)
    if not wrong_axis:
        yield from _axis_changes(config, received)


def _axis_of(config: dict[str, Any]) -> int | None:
    axis = config.get("axis")
    if isinstance(axis, (list, tuple)) and len(axis) == 1:
        axis = axis[0]
    return axis if isinstance(axis, int) else None


def _axis_out_of_range(config: dict[str, Any], received: Shape) -> bool:
    axis = _axis_of(config)
    return axis is not None and not -len(received) <= axis < len(received)


def _axis_changes(config: dict[str, Any], received: Shape) -> Iterator[Candidate]:
    """The same input with another ``axis`` (last axis first)."""
    now, rank = _axis_of(config), len(received)
    if now is None:
        return
    for new in [-1, *range(1, rank)]:
        if not (-rank <= now < rank and new % rank == now % rank):  # not the same axis again
            value = new if isinstance(config["axis"], int) else [new]
            yield Candidate(received, f"axis={new}", f"axis={new} instead of axis={now}", {"axis": value})


def _config_changes(config: dict[str, Any], received: Shape) -> Iterator[Candidate]:
    """The same input with ``groups`` or ``padding`` changed (the config values Keras layers raise about)."""
    groups = config.get("groups")
    if isinstance(groups, int) and groups > 1:
        for new in range(groups - 1, 0, -1):
            yield Candidate(received, f"groups={new}", f"groups={new} instead of groups={groups}", {"groups": new})
    if config.get("padding") == "valid":
        yield Candidate(received, 'padding="same"', 'padding="same" instead of "valid"', {"padding": "same"})


def _reshape(received: Shape, target: Shape, how: str, added: int | None = None) -> Candidate:
    """A Reshape to ``target`` (one unknown size becomes -1). With two unknown sizes a Reshape cannot say it:
    an added axis is ``keras.ops.expand_dims``; any other change is left for the layer's needs to tell."""
    dims = target[1:]
    unknown = sum(d is None for d in dims)
    if unknown <= 1:
        code = f"keras.layers.Reshape({_tuple(tuple(-1 if d is None else d for d in dims))})"
    elif added is not None:
        code = f"keras.ops.expand_dims(x, {added})"
    else:
        code = ""
    return Candidate(target, code, how)


def _tuple(dims: tuple[Any, ...]) -> str:
    return f"({dims[0]},)" if len(dims) == 1 else "(" + ", ".join(str(d) for d in dims) + ")"


def _built_shape(received: Shape, built: Shape) -> Iterator[Candidate]:
    """The shape a built layer's weights were made for."""
    if len(built) == len(received) and all(a == b for a, b in zip(built[:-1], received[:-1])) and built[-1]:
        yield Candidate(built, f"keras.layers.Dense({built[-1]})", f"project the last axis {received[-1]} -> {built[-1]}")
    elif _size(built) is not None and _size(built) == _size(received):
        yield _reshape(received, built, "regroup the same values into the shape it was built for")


def _size(shape: Shape) -> int | None:
    dims = shape[1:]
    return math.prod(dims) if all(d is not None for d in dims) else None  # type: ignore[arg-type]


def _added_axes(received: Shape, first: bool) -> Iterator[Candidate]:
    """An axis of size 1, where the layer keeps its channels first, then at every other place."""
    places = list(range(1, len(received) + 1))
    places = [1, *places[1:]] if first else [len(received), *places[:-1]]
    for p in places:
        target = (*received[:p], 1, *received[p:])
        yield _reshape(received, target, f"add an axis of size 1 at position {p}", added=p)


def _removed_axes(received: Shape, first: bool) -> Iterator[Candidate]:
    """A size-1 axis squeezed out, or two neighbouring axes merged (from the channels end first)."""
    n = len(received)
    for i in range(1, n):
        if received[i] == 1:
            yield _reshape(received, received[:i] + received[i + 1:], f"remove the size-1 axis {i}")
    pairs = list(range(1, n - 1))
    for i in pairs if first else reversed(pairs):
        a, b = received[i], received[i + 1]
        merged = a * b if a is not None and b is not None else None
        yield _reshape(received, (*received[:i], merged, *received[i + 2:]), f"merge axes {i} and {i + 1}")
    if n > 3:
        yield Candidate((None, _size(received)), "keras.layers.Flatten()", "flatten every axis after the batch")


_GLOBAL_POOL = {3: "GlobalAveragePooling1D", 4: "GlobalAveragePooling2D", 5: "GlobalAveragePooling3D"}


def _pooled_axes(received: Shape) -> Iterator[Candidate]:
    """The spatial axes averaged away by global pooling, channels last or first."""
    n = len(received)
    pool = _GLOBAL_POOL.get(n)
    if pool is None:
        return
    yield Candidate((None, received[-1]), f"keras.layers.{pool}()", "average every axis between the batch and the last away")
    yield Candidate((None, received[1]), f'keras.layers.{pool}(data_format="channels_first")',
                    "average every axis after the first away (channels first)")


def _moved_axes(received: Shape, first: bool) -> Iterator[Candidate]:
    """The channels moved to the other end, then any two axes swapped."""
    n = len(received) - 1
    if n < 2:
        return
    orders = [tuple(range(2, n + 1)) + (1,), (n, *range(1, n))]
    orders = orders[::-1] if first else orders
    orders += [o for o in _swaps(n) if o not in orders]
    for order in orders:
        target = (None, *(received[k] for k in order))
        if target != received:
            yield Candidate(target, f"keras.layers.Permute({_tuple(order)})", f"reorder the axes as {order}")


def _split_axes(received: Shape, first: bool) -> Iterator[Candidate]:
    """One axis split into its most square pair of factors (the inverse of Flatten), alone and with a size-1
    channel axis added where the layer keeps its channels."""
    for i in range(1, len(received)):
        n = received[i]
        a = max((f for f in range(2, math.isqrt(n) + 1) if n % f == 0), default=None) if n else None
        if a is None:
            continue
        split = (*received[:i], a, n // a, *received[i + 1:])  # type: ignore[operator]
        yield _reshape(received, split, f"split axis {i} of {n} into {a} x {n // a}")  # type: ignore[operator]
        with_channel = (None, 1, *split[1:]) if first else (*split, 1)
        yield _reshape(received, with_channel, f"split axis {i} of {n} into {a} x {n // a} and add a channel axis")  # type: ignore[operator]


def _swaps(n: int) -> list[tuple[int, ...]]:
    out = []
    for i, j in itertools.combinations(range(1, n + 1), 2):
        order = list(range(1, n + 1))
        order[i - 1], order[j - 1] = j, i
        out.append(tuple(order))
    return out


def probe_call(layer: Any, tensors: tuple[Any, ...] | list[Any]) -> Probe | None:
    """``probe`` for a layer called on one tensor (symbolic or data); ``None`` for several tensors."""
    if len(tensors) != 1 or not hasattr(tensors[0], "shape"):
        return None
    t = tensors[0]
    dtype = str(getattr(getattr(t, "dtype", None), "name", None) or getattr(t, "dtype", "float32"))
    try:
        return probe(layer, shape_of(t), dtype if "float" in dtype or "int" in dtype else "float32")
    except Exception:  # the probe only adds to a diagnosis: it must never replace it with its own failure
        return None


# Layers that read their input's axes as steps, or repeat a vector along new steps: an axis too many is most
# often one to reduce (merge, pool), not one to map over.
_STEP_READERS = (keras.layers.RNN, keras.layers.Bidirectional, keras.layers.RepeatVector)


def reduction(layer: Any, tensor: Any) -> Candidate | None:
    """For a layer that reads steps (an RNN) or repeats a vector (RepeatVector) given one axis too many: the
    first change removing an axis that a fresh copy accepts. A sequence given where a vector is read is pooled
    over its steps first; a grid given where a sequence is read has its last two axes merged first (each row
    a step); then a size-1 axis squeezed, any two neighbours merged, Flatten."""
    if not isinstance(layer, _STEP_READERS) or not hasattr(tensor, "shape"):
        return None
    try:
        config = layer.get_config()
        _fresh(layer, config)
    except Exception:  # not rebuildable from its config
        return None
    received = (None, *shape_of(tensor)[1:])
    pooled, removed = list(_pooled_axes(received))[:1], list(_removed_axes(received, False))
    for cand in (pooled + removed if len(received) == 3 else removed + pooled)[:MAX_TRIES]:
        if cand.adapter and _works(layer, config, cand.shape, "float32"):
            return cand
    return None


def fix_text(found: Probe, name: str, reason: str) -> str:
    """The fix a probe computed, in one paragraph: the change, both shapes, and how it was learned."""
    kind, got = type(found.layer).__name__, format_shape(found.received)
    c = found.found
    if c is None:
        needs = needs_text(found.layer)
        return (f"{kind} {name} refused {got}: {reason}. No nearby input (an axis added, removed, merged or "
                f"moved) and no config change worked on a fresh copy either ({found.tries} tried)"
                + (f"; it is configured with {needs}" if needs else "") + ". Give it an input its config fits, "
                "or change its config (kernest.summary shows every shape).")
    if c.config is not None:
        return (f"{kind} {name} refused {got}: {reason}. Build {name} with {c.adapter} ({c.how}): a fresh "
                f"{kind} with it accepts {got}.")
    return (f"{kind} {name} accepts {format_shape(c.shape)} but gets {got} ({reason}). Put {c.adapter} just "
            f"before {name} to {c.how}: a fresh {kind} accepts the result.")


def needs_text(layer: Any) -> str:
    """What the layer's input_spec and config say it needs, for when no candidate worked."""
    parts = []
    for spec in keras.tree.flatten(getattr(layer, "input_spec", None) or []):
        for key in ("ndim", "min_ndim", "max_ndim", "axes"):
            value = getattr(spec, key, None)
            if value:
                parts.append(f"{key}={value}")
    config = layer.get_config() if hasattr(layer, "get_config") else {}
    for key in ("axis", "groups", "data_format", "padding", "kernel_size", "pool_size", "strides", "target_shape", "dims"):
        if key in config and config[key] is not None:
            parts.append(f"{key}={config[key]!r}")
    return ", ".join(parts)
