"""The one graph reader: the calls in a functional graph, the sub-layers of any layer, and the tree of
every layer of a nested model that every kernest tool walks.

Keras 3 keeps a functional graph in private attributes (``_keras_history``, ``_inbound_nodes``,
``_inputs_struct``, ``_build_shapes_dict``, ...). The tools that inspect, check and change models read
them through this module only, so a change in Keras touches one place.

``root(model)`` builds the tree: an ``Entry`` per layer at any depth, with its path, its call sites
(input and output shapes with axis names) and its children; ``walk(model)`` yields the entries, parents
before children. A functional graph gives its children in call order. A subclassed model (or a custom
layer holding sublayers) has no graph: its ``call`` is Python code, so ``trace_children`` runs that code
the way Keras does to find output shapes, symbolically, and records each sublayer call.
"""

from __future__ import annotations

import contextlib
import inspect
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import keras

from kernest._asfound import as_found
from kernest._axes import Axes, Shape, axes_of, format_shape, layer_axes, shape_of, with_declared
from kernest._errors import KernestError
from kernest._over import Over, child_shape, is_mapper, mapped_axis

SEP = "/"


# --- a functional graph's calls ------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Call:
    """One call of a layer (or a ``keras.ops`` operation) inside a functional graph."""

    layer: Any
    node: Any  # the Keras node, kept to re-call the layer with the same arguments
    inputs: tuple[Any, ...]  # every symbolic tensor the call got, keyword arguments (a mask) included
    outputs: tuple[Any, ...]

    @property
    def data_inputs(self) -> tuple[Any, ...]:
        """The tensors passed positionally (or as ``inputs=``): the data, without masks or states."""
        return tuple(data_inputs(self.node))

    @property
    def kwargs(self) -> dict[str, Any]:
        """The call's keyword arguments (``mask=``, ``training=``, ...)."""
        return dict(self.node.arguments.kwargs)


def data_inputs(node: Any) -> list[Any]:
    """The tensors passed to a call as positional arguments (or as ``inputs=``): its data, not a ``mask=``."""
    args, kwargs = node.arguments.args, node.arguments.kwargs
    found = [t for t in keras.tree.flatten(args) if isinstance(t, keras.KerasTensor)]
    if not found and "inputs" in kwargs:
        found = [t for t in keras.tree.flatten(kwargs["inputs"]) if isinstance(t, keras.KerasTensor)]
    return found or list(node.input_tensors)


def functional_of(model: Any) -> Any | None:
    """The functional graph behind ``model``: itself, a built Sequential's inner graph, or None."""
    if isinstance(model, keras.Sequential):
        return getattr(model, "_functional", None)
    if isinstance(model, keras.Model) and hasattr(model, "_nodes_by_depth"):
        return model
    return None


def is_subclassed(layer: Any) -> bool:
    """A ``keras.Model`` without a recorded graph: its layers run from Python code in ``call``."""
    return isinstance(layer, keras.Model) and not isinstance(layer, keras.Sequential) and functional_of(layer) is None


def layer_attributes(layer: Any) -> list[tuple[str, Any]]:
    """``(attribute name, layer)`` for the layers a model or custom layer holds as attributes, in the
    order Keras tracked them (``self.student = ...``). On PyTorch a layer is a ``torch.nn.Module`` too, which keeps
    them in ``_modules`` rather than in the instance's ``__dict__``."""
    names = [*vars(layer), *(getattr(layer, "_modules", None) or {})]
    named = {id(v): k for k in names if not k.startswith("_") and isinstance(v := getattr(layer, k, None),
                                                                              keras.layers.Layer)}
    return [(named[id(c)], c) for c in attribute_children(layer) if id(c) in named]


def var_name(layer: Any) -> str:
    """The layer's name where it reads as a Python variable (``vae``), else ``model``."""
    name = str(getattr(layer, "name", ""))
    return name if name.isidentifier() else "model"


def attribute_example(model: Any, template: str) -> str:
    """`` (kernest.extract(distiller.student, 'conv1') for its attribute 'student')``: ``template`` filled with
    a functional or Sequential submodel the model really holds and its first layer's name; ``""`` if it holds
    none."""
    var = var_name(model)
    held = [(k, v) for k, v in layer_attributes(model) if isinstance(v, keras.Model) and graph_inputs(v) is not None]
    if not held:
        return ""
    attr, sub = held[0]
    inner = next((str(x.name) for x in sub.layers if not is_input_layer(x)), "...")
    return f" ({template.format(f'{var}.{attr}', repr(inner))} for its attribute {attr!r})"


# Keras keeps the shapes a layer was first called with, not their dtypes: placeholders are float, and integer
# where the call refuses floats (a model called on token or node indices that it gathers with).
PLACEHOLDER_DTYPES = ("float32", "int32")
# The batch size of placeholders for a call that cannot run on an unknown one (``ops.squeeze`` without an axis on
# TensorFlow); 2, not 1, so that a squeeze without an axis keeps the batch axis.
KNOWN_BATCH = 2


def functional_around(model: Any) -> keras.Model | None:
    """A functional model whose one layer is the built subclassed ``model``, called on inputs of the shapes
    it was first called with; ``None`` when those are unknown or the call fails on placeholders. A call that
    cannot run on an unknown batch size is called on a batch of ``KNOWN_BATCH``: the model then takes any batch
    (Keras checks a functional model's inputs by their other axes)."""
    shapes = built_input_shapes(model)
    if not shapes:
        return None
    structure = built_input_structure(model)  # named as the dict's keys, as a functional model's inputs are
    names = ([next((str(k) for k in reversed(path) if isinstance(k, str)), None)
              for path, _ in keras.tree.flatten_with_path(structure)] if structure is not None
             else [None] * len(shapes))
    for batch in (None, KNOWN_BATCH):
        for dtype in PLACEHOLDER_DTYPES:
            inputs = [keras.Input(shape[1:], batch_size=batch, dtype=dtype, name=name)
                      for shape, name in zip(shapes, names, strict=True)]
            try:
                outputs = model(*_as_call_args(model, inputs))
            except Exception:  # a call that cannot run on placeholders: the caller says what to do instead
                continue
            return keras.Model(as_one_input(model, inputs), outputs, name=f"{model.name}_graph")
    return None


def require_graph(model: Any, doing: str, instead: str) -> None:
    """Raise a ``KernestError`` unless ``model`` is a built functional or Sequential model. ``doing`` names
    the action (``"extract from"``); ``instead`` says what to do with a subclassed model."""
    if isinstance(model, keras.Model) and graph_inputs(model) is not None:
        return
    name = getattr(model, "name", type(model).__name__)
    if is_subclassed(model):
        raise KernestError(
            f"Cannot {doing} {name!r}: it is a subclassed model, so its layers are called from Python code in "
            f"call() and kernest has no graph to work on. {instead}"
        )
    raise KernestError(
        f"Cannot {doing} {name!r}: it is not built, so it has no inputs to start from. Give the Sequential a "
        "keras.Input as its first layer, or call model.build(input_shape) first."
    )


def graph_inputs(model: Any) -> list[Any] | None:
    """The flat symbolic inputs of a functional or built Sequential model; ``None`` for other layers."""
    if not isinstance(model, keras.Model):
        return None
    try:
        inputs, outputs = model.inputs, model.outputs
    except (AttributeError, ValueError):  # a subclassed model, or a Sequential not built yet
        return None
    if not inputs or not outputs:
        return None
    return list(keras.tree.flatten(inputs))


def _struct(model: Any, attribute: str, flat: list[Any]) -> Any:
    struct = getattr(model, attribute, None)
    if struct is None or isinstance(model, keras.Sequential):
        return flat[0] if len(flat) == 1 else flat
    if isinstance(struct, (list, tuple)) and len(struct) == 1:
        return struct[0]
    return struct


def input_struct(model: Any) -> Any:
    """A functional model's inputs in the structure it is called with (a tensor, a list or a dict).

    ``model.input`` is no help for a nested model: it reads the first call site, which for a Sequential
    is the outer model's tensor.
    """
    return _struct(model, "_inputs_struct", graph_inputs(model) or [])


def output_struct(model: Any) -> Any:
    """A functional model's outputs in the structure it returns (a tensor, a list or a dict)."""
    return _struct(model, "_outputs_struct", list(keras.tree.flatten(model.outputs)))


def _keys(model: Any, attribute: str) -> list[str] | None:
    struct = getattr(model, attribute, None)
    if not isinstance(struct, dict):
        return None
    return [SEP.join(str(k) for k in path) for path, _ in keras.tree.flatten_with_path(struct)]


def input_keys(model: Any) -> list[str] | None:
    """The keys of a functional model's dict inputs, in the order of its flat inputs; ``None`` otherwise."""
    return _keys(model, "_inputs_struct")


def output_keys(model: Any) -> list[str] | None:
    """The keys of a functional model's dict outputs, in the order of its flat outputs; ``None`` otherwise."""
    return _keys(model, "_outputs_struct")


def compile_settings(model: Any) -> dict[str, Any]:
    """What ``compile`` was given (loss, loss_weights, metrics, ...) as the user gave it; {} when not compiled."""
    config = getattr(model, "_compile_config", None) if getattr(model, "compiled", False) else None
    settings = getattr(config, "config", None)
    return dict(settings) if isinstance(settings, dict) else {}


def node_of(tensor: Any) -> Any:
    """The graph node whose call made ``tensor``, or None."""
    history = getattr(tensor, "_keras_history", None)
    if history is None:
        return None
    operation, node_index, _ = history
    try:
        return operation._inbound_nodes[node_index]
    except (AttributeError, IndexError):
        return None


def call_nodes(layer: Any) -> list[Any]:
    """The graph nodes of every call of ``layer`` so far, first call first (``[]`` if never called)."""
    return list(getattr(layer, "_inbound_nodes", None) or [])


def call_inputs(layer: Any, index: int = 0) -> list[Any]:
    """The input tensors of ``layer``'s ``index``-th call (``[]`` if it had none)."""
    nodes = call_nodes(layer)
    return list(nodes[index].input_tensors) if len(nodes) > index else []


def graph_nodes(model: Any) -> list[Any]:
    """Every node of a functional model's graph, any order (``[]`` for a model without a graph)."""
    by_depth = getattr(functional_of(model), "_nodes_by_depth", None)
    return [n for nodes in (by_depth or {}).values() for n in nodes]


def mask_of(tensor: Any) -> Any | None:
    """The Keras mask that travels with a symbolic tensor, or None."""
    return getattr(tensor, "_keras_mask", None)


def set_mask(tensor: Any, mask: Any) -> Any:
    """Attach a Keras mask to a backend tensor, as a masking layer's call does; returns the tensor."""
    from keras.src.backend.common.masking import set_keras_mask  # no public API sets it

    set_keras_mask(tensor, mask)
    return tensor


def returns_list(model: Any, length: int | None = None) -> bool:
    """Whether a functional model returns a list (of ``length`` outputs, when given), not a tensor."""
    struct = getattr(model, "_outputs_struct", None)
    return isinstance(struct, list) and (length is None or len(struct) == length)


def output_index(tensor: Any) -> int:
    """Which output of the call that made ``tensor`` it is (0 for a single output)."""
    history = getattr(tensor, "_keras_history", None)
    return int(history[2]) if history is not None else 0


def graph_calls(model: Any) -> list[Call] | None:
    """Every call of ``model``'s functional graph in execution order (InputLayers left out, ``keras.ops``
    included), or ``None`` when ``model`` has no graph."""
    inputs = graph_inputs(model)
    if inputs is None:
        return None
    input_ids = {id(t) for t in inputs}
    order: list[Any] = []
    visited: set[int] = set()
    emitted: set[int] = set()
    # iterative post-order walk back from the outputs, so deep graphs don't hit the recursion limit
    stack: list[tuple[Any, bool]] = [
        (n, False) for t in reversed(keras.tree.flatten(model.outputs)) if (n := node_of(t)) is not None
    ]
    while stack:
        node, done = stack.pop()
        if done:
            if id(node) not in emitted:
                emitted.add(id(node))
                order.append(node)
            continue
        if id(node) in visited or node.is_input:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for t in reversed(node.input_tensors):
            before = None if id(t) in input_ids else node_of(t)
            if before is not None and id(before) not in visited:
                stack.append((before, False))
    return [Call(n.operation, n, tuple(n.input_tensors), tuple(n.output_tensors)) for n in order]


def calls(model: Any) -> list[Call]:
    """The layer calls of ``model``'s own graph in execution order (not those inside nested models, nor
    the ``keras.ops`` recorded in it, such as a mask's ``not_equal``); ``[]`` without a graph."""
    return [c for c in graph_calls(model) or [] if isinstance(c.layer, keras.layers.Layer)]


def call_again(call: Call, tensors: dict[int, Any], layer: Any = None) -> list[Any]:
    """Re-run ``call`` (or call ``layer`` instead) on the tensors that ``tensors`` maps the original
    inputs to (by ``id``); returns the flat outputs and records them in ``tensors``."""
    args, kwargs = call.node.arguments.fill_in(tensors)
    outputs = keras.tree.flatten((layer or call.layer)(*args, **kwargs))
    for old, new in zip(call.outputs, outputs, strict=False):
        tensors[id(old)] = new
    return outputs


def producer(tensor: Any) -> Any | None:
    """The layer that made ``tensor`` (an ``InputLayer`` for a model input)."""
    history = getattr(tensor, "_keras_history", None)
    return history.operation if history is not None else None


def producer_name(tensor: Any) -> str | None:
    """The name of the layer (or input) that produced a symbolic tensor, if known."""
    node = node_of(tensor)
    return None if node is None else str(node.operation.name)


def is_input_layer(layer: Any) -> bool:
    return isinstance(layer, keras.layers.InputLayer)


def is_symbolic(tensor: Any) -> bool:
    return isinstance(tensor, keras.KerasTensor)


def root_inputs(tensor: Any, _seen: set[int] | None = None) -> list[Any]:
    """The input tensors that ``tensor`` was computed from (following the graph back)."""
    seen = _seen if _seen is not None else set()
    if getattr(tensor, "_keras_history", None) is None or id(tensor) in seen:
        return []
    seen.add(id(tensor))
    if is_input_layer(producer(tensor)):
        return [tensor]
    node = node_of(tensor)
    if node is None:
        return []
    found: list[Any] = []
    for t in data_inputs(node):
        for r in root_inputs(t, seen):
            if all(r is not f for f in found):
                found.append(r)
    return found


def producer_chain(tensor: Any, limit: int = 64) -> Iterator[tuple[Any, str, Any]]:
    """The layers upstream of ``tensor``, nearest first, following each call's first data input and
    stepping into nested models: ``(layer, path relative to tensor's level, the tensor it was given)``."""
    resume: list[tuple[Any, str]] = []  # where to continue after leaving a nested model through its Input
    t, prefix = tensor, ""
    for _ in range(limit):
        layer = producer(t)
        if layer is None:
            return
        if is_input_layer(layer):
            if not resume:
                return
            t, prefix = resume.pop()
            continue
        node = node_of(t)
        if node is None:
            return
        given = data_inputs(node)
        t_in = given[0] if given else None
        path = f"{prefix}{SEP}{layer.name}" if prefix else layer.name
        yield layer, path, t_in
        graph = functional_of(layer)
        index = output_index(t)
        if graph is not None and index < len(graph.outputs):
            resume.append((t_in, prefix))
            t, prefix = graph.outputs[index], path
            continue
        if t_in is None:
            return
        t = t_in


# --- a layer's sub-layers -------------------------------------------------------------------------------

def _is_builtin(layer: Any) -> bool:
    return type(layer).__module__.split(".")[0] == "keras"


def attribute_children(layer: Any) -> list[Any]:
    """The sublayers a custom layer holds (in attributes, lists or dicts), in the order they were set.

    Keras tracks them in private state (on the torch backend they live in ``torch.nn.Module._modules``, out
    of ``vars()``); ``_flatten_layers`` is the one call that sees them on every backend.
    """
    flatten = getattr(layer, "_flatten_layers", None)
    if flatten is not None:
        try:
            return [c for c in flatten(include_self=False, recursive=False) if c is not layer]
        except TypeError:
            pass
    found: list[Any] = []
    for name, value in vars(layer).items():
        if name.startswith("_"):
            continue
        items: Iterable[Any]
        if isinstance(value, dict):
            items = value.values()
        elif isinstance(value, (list, tuple)):
            items = value
        else:
            items = (value,)
        for item in items:
            if isinstance(item, keras.layers.Layer) and item is not layer and all(item is not f for f in found):
                found.append(item)
    return found


def sublayers(layer: Any) -> list[Any]:
    """The direct sub-layers of any layer: a model's layers, a wrapper's layer, a Bidirectional's two
    directions, or the sub-layers a custom layer keeps as attributes. Keras' own layers (an LSTM's cell,
    an attention layer's projections) are leaves."""
    if isinstance(layer, keras.layers.Bidirectional):
        return [layer.forward_layer, layer.backward_layer]
    if isinstance(layer, keras.layers.Wrapper):
        return [layer.layer]
    if isinstance(layer, keras.Model):
        return [sub for sub in layer.layers if not is_input_layer(sub)]
    if _is_builtin(layer):
        return []
    return attribute_children(layer)


def children(layer: Any) -> list[tuple[str, Any]]:
    """``sublayers(layer)`` as ``(step name, layer)`` pairs."""
    return [(str(sub.name), sub) for sub in sublayers(layer)]


# --- tracing the Python call of a subclassed model -------------------------------------------------------

def built_input_shapes(layer: Any) -> list[Shape] | None:
    """The input shapes a built layer was first called with, batch as ``None``; ``None`` if unknown. A call
    on one dict (or lists holding dicts) gives its shapes in ``keras.tree`` order (dict keys sorted)."""
    shapes = getattr(layer, "_build_shapes_dict", None)
    if not isinstance(shapes, dict) or not shapes:
        return None
    found: list[Shape] = []
    for value in shapes.values():  # a shape, a list of shapes where call() took one list, or a dict of them
        structure = _shape_structure(value)
        leaves = keras.tree.flatten(structure) if structure is not None else [value]
        for s in leaves:
            s = s.shape if isinstance(s, _Leaf) else s
            if not _is_shape(s) or not s:
                return None
            found.append(tuple(s))
    return [(None, *s[1:]) for s in found]


class _Leaf:
    """One shape inside the structure a layer was called with (``keras.tree`` would flatten a bare tuple)."""

    def __init__(self, shape: Any) -> None:
        self.shape = tuple(shape)


def _is_shape(value: Any) -> bool:
    return isinstance(value, (tuple, list)) and all(d is None or isinstance(d, int) for d in value)


def _shape_structure(value: Any) -> Any | None:
    """``value`` (one argument's shapes, as Keras keeps them) with each shape as a ``_Leaf``, where it is a
    structure of shapes (a list, a dict, lists holding dicts); None for a single shape."""
    if _is_shape(value):
        return None
    try:
        return keras.tree.map_shape_structure(_Leaf, _plain(value))
    except (TypeError, ValueError):
        return None


def _plain(value: Any) -> Any:
    """Keras' tracked dicts and lists as plain ones (JAX's tracing takes no ``TrackedDict``); shapes as they are."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and not _is_shape(value):
        return [_plain(v) for v in value]
    return value


def built_input_structure(layer: Any) -> Any | None:
    """The structure of the one argument a built layer was first called with, where that holds a dict
    (``model({"user_id": ..., "age": ...})``), with a ``_Leaf`` per shape; ``None`` otherwise (one tensor,
    or tensors by position or in one flat list, which ``_as_call_args`` arranges)."""
    shapes = getattr(layer, "_build_shapes_dict", None)
    if not isinstance(shapes, dict) or len(shapes) != 1:
        return None
    structure = _shape_structure(next(iter(shapes.values())))
    if structure is None or not any(isinstance(v, dict) for v in _containers(structure)):
        return None
    return structure


def built_input_dict(layer: Any) -> dict[str, Shape] | None:
    """Where a built layer was first called on one flat dict of tensors, its keys (sorted) with their shapes,
    batch as ``None``; None otherwise."""
    structure = built_input_structure(layer)
    if not isinstance(structure, dict) or not all(isinstance(v, _Leaf) for v in structure.values()):
        return None
    return {str(k): (None, *structure[k].shape[1:]) for k in sorted(structure)}


def built_input_keys(layer: Any) -> list[str] | None:
    """Where a built layer was first called on a dict (or lists holding dicts), how each of its inputs is
    reached in ``built_input_shapes`` order (``['user_id']``, ``[2]['input_mask']``); None otherwise."""
    structure = built_input_structure(layer)
    if structure is None:
        return None
    return ["".join(f"[{k!r}]" for k in path) for path, _ in keras.tree.flatten_with_path(structure)]


def as_one_input(layer: Any, inputs: list[Any]) -> Any:
    """``inputs`` as the one argument a model takes: arranged as the dict (or lists holding dicts) it was
    first called with, else the tensor or the list."""
    structure = built_input_structure(layer)
    if structure is not None and len(keras.tree.flatten(structure)) == len(inputs):
        return keras.tree.pack_sequence_as(structure, inputs)
    return inputs[0] if len(inputs) == 1 else inputs


def _containers(structure: Any) -> Iterator[Any]:
    yield structure
    if isinstance(structure, dict):
        structure = list(structure.values())
    if isinstance(structure, (list, tuple)):
        for v in structure:
            yield from _containers(v)


@dataclass(frozen=True)
class Traced:
    """One sublayer call seen while tracing a parent's ``call``."""

    layer: Any
    in_shapes: list[Shape]
    out_shapes: list[Shape]
    # where each input came from: ("in", i) the parent's i-th input, ("out", j, k) output k of call j
    sources: tuple[tuple[Any, ...] | None, ...] = ()


def _tensors_in(value: Any) -> list[Any]:
    return [t for t in keras.tree.flatten(value) if hasattr(t, "shape") and t.shape is not None]


def _shapes_in(value: Any) -> list[Shape]:
    return [tuple(None if d is None else int(d) for d in t.shape)
            for t in keras.tree.flatten(value) if hasattr(t, "shape") and t.shape is not None]


def _call_inputs(call: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any]:
    """The tensors a layer was called on: those passed by position, or, for a call by keyword only
    (``attention(query=x, value=x, attention_mask=m)``), those of the parameters without a default."""
    given = _tensors_in(args)
    if given or not kwargs:
        return given
    try:
        params = inspect.signature(call).parameters.values()
    except (TypeError, ValueError):
        return _tensors_in(kwargs.get("inputs"))
    required = [kwargs[p.name] for p in params if p.default is inspect.Parameter.empty and p.name in kwargs]
    return _tensors_in(required) or _tensors_in(kwargs.get("inputs"))


@dataclass(frozen=True)
class CallTrace:
    """What running a parent's ``call`` symbolically showed: its sublayer calls in order, its output shapes,
    and where each output came from (``("out", j, k)``: output k of call j; ``("in", i)``; None: an op)."""

    calls: list[Traced]
    out_shapes: list[Shape]
    out_sources: tuple[tuple[Any, ...] | None, ...] = ()


def _trace_once(layer: Any, subs: list[Any], shapes: list[Shape], dtype: str = "float32", **kwargs: Any) -> CallTrace:
    """Run ``layer.call`` on symbolic inputs of ``shapes`` (all known), recording each sublayer's calls."""
    seen: list[Traced] = []
    origin: dict[int, tuple[Any, ...]] = {}  # id of a tensor -> where it came from (see Traced.sources)
    building: set[int] = set()  # children that Keras is building by tracing their call: not a call to record

    def builder(child: Any, original: Any) -> Any:
        def maybe_build(*args: Any, **kwargs: Any) -> Any:
            building.add(id(child))
            try:
                return original(*args, **kwargs)
            finally:
                building.discard(id(child))
        return maybe_build

    def recorder(child: Any, original: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            out = original(*args, **kwargs)
            if id(child) in building:
                return out
            given = _call_inputs(original, args, kwargs)
            sources = tuple(origin.get(id(t)) for t in given)
            origin.update((id(t), ("out", len(seen), k)) for k, t in enumerate(_tensors_in(out)))
            seen.append(Traced(child, _shapes_in(given), _shapes_in(out), sources))
            return out
        return call

    out_sources: list[tuple[Any, ...] | None] = []

    def parent(original: Any) -> Any:
        # Keras hands call() its own placeholders, not the specs given below: name those as the inputs
        def call(*args: Any, **kwargs: Any) -> Any:
            given = _call_inputs(original, args, kwargs)
            origin.update((id(t), ("in", i)) for i, t in enumerate(given))
            out = original(*args, **kwargs)
            out_sources[:] = [origin.get(id(t)) for t in _tensors_in(out)]
            return out
        return call

    specs = _as_call_args(layer, [keras.KerasTensor(s, dtype=dtype) for s in shapes])
    patched = [(layer, "call", parent(layer.call)), *[(child, "call", recorder(child, child.call)) for child in subs],
               *[(child, "_maybe_build", builder(child, child._maybe_build)) for child in subs if not child.built]]
    for owner, name, method in patched:  # on the instance, so that only this trace sees it; removed below
        object.__setattr__(owner, name, method)
    try:
        out = keras.Operation.compute_output_spec(layer, *specs, **kwargs)  # traces call(), as Keras does
    finally:
        for owner, name, _ in patched:
            object.__delattr__(owner, name)
    return CallTrace(seen, _shapes_in(out), tuple(out_sources))


def call_parameters(layer: Any) -> list[inspect.Parameter]:
    """The parameters of ``layer.call`` that may be passed by position; [] when its signature cannot be read."""
    try:
        params = inspect.signature(layer.call).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _as_call_args(layer: Any, specs: list[Any]) -> list[Any]:
    """The positional arguments of ``layer.call`` for inputs ``specs``: one each, or all in one list where
    ``call`` takes them as one argument (``def call(self, inputs)`` with ``images, noise = inputs``), or
    arranged as the dict (or lists holding dicts) it was first called with."""
    if built_input_structure(layer) is not None:
        return [as_one_input(layer, specs)]
    if len(specs) < 2:
        return specs
    try:
        params = inspect.signature(layer.call).parameters.values()
    except (TypeError, ValueError):
        return specs
    positional = [p for p in params if p.name not in ("training", "mask") and p.kind in (
        inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in params) or len(positional) >= len(specs):
        return specs
    return [specs]


def _trace_twice(layer: Any, subs: list[Any], in_shapes: list[Shape], **kwargs: Any
                 ) -> tuple[CallTrace, CallTrace] | None:
    """Two traces where the unknown axes get different sizes, so the axes that follow them are told apart
    from fixed ones; ``None`` when the call cannot run on placeholders."""
    for dtype in PLACEHOLDER_DTYPES:
        runs = []
        for fill in ((2, 5), (3, 7)):
            concrete: list[Shape] = [tuple(fill[0] if i == 0 and d is None else fill[1] if d is None else d
                                           for i, d in enumerate(s)) for s in in_shapes]
            try:
                runs.append(_trace_once(layer, subs, concrete, dtype, **kwargs))
            except Exception:  # a call that cannot run on placeholders: fall back to attribute order
                break
        if len(runs) == 2:
            return runs[0], runs[1]
    return None


def _takes_training(layer: Any) -> bool:
    try:
        return "training" in inspect.signature(layer.call).parameters
    except (TypeError, ValueError):
        return False


def _merge(a: Shape, b: Shape) -> Shape:
    """Two traces with different sizes for the unknown axes: an axis that differs is unknown."""
    return tuple(x if x == y else None for x, y in zip(a, b, strict=True)) if len(a) == len(b) else a


_TRACES: weakref.WeakKeyDictionary[Any, dict[tuple[Any, ...], CallTrace | None]] = weakref.WeakKeyDictionary()


def forget_traces(model: Any) -> None:
    """Drop the remembered traces of ``model`` and every layer inside it (after their sublayers changed)."""
    for layer in [model, *(sub for _, sub in layers(model))]:
        with contextlib.suppress(TypeError):
            _TRACES.pop(layer, None)


def trace_children(layer: Any, in_shapes: list[Shape]) -> CallTrace | None:
    """The calls of ``layer``'s direct sublayers in call order with their shapes, and ``layer``'s output
    shapes, found by running its ``call`` symbolically; ``None`` when that fails (the layer needs real
    data, or more than its inputs). Remembered per layer, sublayers and shapes: tracing a call that runs
    a keras.applications backbone takes seconds, and summary, check and paths each need it."""
    subs = list({id(c): c for c in attribute_children(layer)}.values())
    if not subs or not in_shapes:
        return None
    key = (tuple(tuple(s) for s in in_shapes), tuple(id(c) for c in subs))
    try:
        known = _TRACES.setdefault(layer, {})
    except TypeError:  # a layer that cannot be weakly referenced: trace it each time
        known = {}
    if key not in known:
        with as_found(layer):  # a traced call builds sublayers left unbuilt: reading must not change the model
            known[key] = _trace_children(layer, subs, in_shapes)
    return known[key]


def _trace_children(layer: Any, subs: list[Any], in_shapes: list[Shape]) -> CallTrace | None:
    runs = _trace_twice(layer, subs, in_shapes)
    if runs is None:
        return None
    if len({id(t.layer) for t in runs[0].calls}) < len(subs) and _takes_training(layer):
        # a sublayer that runs in training only (a Dropout behind ``if training:``): trace that path instead
        training = _trace_twice(layer, subs, in_shapes, training=True)
        if training is not None and len({id(t.layer) for t in training[0].calls}) > len(
                {id(t.layer) for t in runs[0].calls}):
            runs = training
    first, second = runs
    if len(first.calls) != len(second.calls):
        return None
    traced = [Traced(a.layer, [_merge(x, y) for x, y in zip(a.in_shapes, b.in_shapes, strict=False)],
                     [_merge(x, y) for x, y in zip(a.out_shapes, b.out_shapes, strict=False)], a.sources)
              for a, b in zip(first.calls, second.calls, strict=True)]
    out = [_merge(x, y) for x, y in zip(first.out_shapes, second.out_shapes, strict=False)]
    return CallTrace(traced, out, first.out_sources)


def _fitted(axes: Axes | None, shape: Shape) -> Axes:
    """``axes`` if they name the non-batch axes of ``shape``, else unnamed ones."""
    return axes if axes is not None and len(axes) == len(shape) - 1 else (None,) * max(len(shape) - 1, 0)


def _agreed(candidates: list[Axes], shape: Shape) -> Axes:
    """The names of a tensor of ``shape`` made by Python code, from the named tensors of the same shape: an
    axis keeps a name where they all agree on it and no other axis has its size; unnamed otherwise."""
    dims = list(shape[1:])
    if not candidates:
        return _fitted(None, shape)
    return tuple(
        a[0] if a[0] is not None and len(set(a)) == 1 and dims.count(dims[i]) == 1 else None
        for i, a in enumerate(zip(*candidates, strict=True))
    )


def follow_axes(trace: CallTrace, in_shapes: list[Shape], in_axes: list[Axes]) -> tuple[list[Site], list[Axes]]:
    """A site per traced call, the axis names carried from the parent's inputs through the calls, and the
    names of the parent's outputs. A tensor made by Python code between the calls (``h + f(h)``) has no
    recorded source: it takes the names that every earlier tensor of the same shape agrees on (a residual
    keeps them), on the axes whose size no other axis has (a transpose of equal sizes could swap those).
    While the parent's batch is free, a traced tensor whose first axis has a fixed size has no batch axis
    (a position table, a weight): its site says so, and it is shown without ``batch``."""
    known: dict[tuple[Any, ...], Axes] = {("in", i): a for i, a in enumerate(in_axes)}
    seen: list[tuple[Shape, Axes]] = list(zip(in_shapes, in_axes, strict=False))  # every named tensor so far
    batch_free = bool(in_shapes) and all(s and s[0] is None for s in in_shapes)

    def batched(shapes: list[Shape]) -> tuple[bool, ...]:
        return tuple(not batch_free or not s or s[0] is None for s in shapes)

    def names(source: tuple[Any, ...] | None, shape: Shape) -> Axes:
        if source is not None and source in known:
            return _fitted(known[source], shape)
        return _agreed([a for s, a in seen if s == shape and len(a) == len(s) - 1], shape)

    sites: list[Site] = []
    for j, t in enumerate(trace.calls):
        sources = list(t.sources) + [None] * len(t.in_shapes)
        axes = [names(src, s) for src, s in zip(sources, t.in_shapes)]
        out_axes = [layer_axes(t.layer, axes, t.in_shapes, s, i) for i, s in enumerate(t.out_shapes)]
        known.update((("out", j, k), a) for k, a in enumerate(out_axes))
        seen += zip(t.out_shapes, out_axes, strict=False)
        sites.append(Site(t.in_shapes, axes, t.out_shapes, out_axes,
                          in_batched=batched(t.in_shapes), out_batched=batched(t.out_shapes)))
    sources = list(trace.out_sources) + [None] * len(trace.out_shapes)
    return sites, [names(src, s) for src, s in zip(sources, trace.out_shapes)]


def composite_axes(layer: Any, in_axes: list[Axes], in_shapes: list[Shape], index: int) -> Axes | None:
    """The names of output ``index`` of a custom layer (or subclassed model) that holds sublayers, followed
    through its traced call; ``None`` for other layers or a call that cannot be traced."""
    if _is_builtin(layer) or functional_of(layer) is not None or not getattr(layer, "built", False):
        return None  # (an unbuilt layer would build its sublayers while traced: no weights are made here)
    if not attribute_children(layer):
        return None
    trace = trace_children(layer, in_shapes)
    if trace is None or index >= len(trace.out_shapes):
        return None
    return follow_axes(trace, in_shapes, in_axes)[1][index]


# --- the tree ------------------------------------------------------------------------------------------

@dataclass(eq=False)
class Site:
    """One call site of a layer: what goes in and out, with axis names (batch included in shapes)."""

    in_shapes: list[Shape]
    in_axes: list[Axes]
    out_shapes: list[Shape]
    out_axes: list[Axes]
    call: Call | None = None  # the call in the parent's functional graph, if the parent has one
    in_batched: tuple[bool, ...] = ()  # per input, whether its first axis is the batch; () when all are
    out_batched: tuple[bool, ...] = ()


@dataclass(frozen=True)
class Edge:
    """A tensor passed from one layer (or input) to another inside one functional graph."""

    producer: str
    consumer: str
    shape: Shape
    axes: Axes


@dataclass(eq=False)
class Entry:
    """One addressable layer: its path, the layer object, call sites and children."""

    path: str
    layer: Any
    parent: Entry | None
    depth: int  # 1 for the model's own layers
    per: tuple[str, ...]  # axes folded into the batch above this entry (inside over / TimeDistributed)
    sites: list[Site] = field(default_factory=list)
    children: list[Entry] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)  # tensors passed between layers of this entry's graph

    @property
    def name(self) -> str:
        return str(self.layer.name)

    @property
    def kind(self) -> str:
        return kind_of(self.layer)

    @property
    def is_container(self) -> bool:
        return bool(self.children)

    def chain(self) -> list[Entry]:
        """The entries from the model's own layer (depth 1) down to this one: its ancestors, then itself."""
        out: list[Entry] = []
        e: Entry | None = self
        while e is not None and e.depth >= 1:
            out.append(e)
            e = e.parent
        return out[::-1]

    def shape_text(self, site: Site, which: str) -> str:
        """Formatted input (``"in"``) or output (``"out"``) shapes of one call site."""
        shapes = site.in_shapes if which == "in" else site.out_shapes
        axes = site.in_axes if which == "in" else site.out_axes
        if not shapes:
            return "?"
        batched = (site.in_batched if which == "in" else site.out_batched) or (True,) * len(shapes)
        texts = [self.format(s, a) if b else format_unbatched(s)
                 for s, a, b in zip(shapes, axes, batched, strict=False)]
        keys = output_keys(self.layer) if which == "out" else None
        if keys is not None and len(keys) == len(texts):
            return "{" + ", ".join(f"{k}: {t}" for k, t in zip(keys, texts, strict=True)) + "}"
        return texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"

    def format(self, shape: Shape, axes: Axes) -> str:
        """``format_shape``, but inside ``over`` the batch reads ``batch*words``: every element is one
        row of the inner model's batch; a fixed batch size shows, ``batch=2``."""
        text = format_batch(shape, axes)
        if self.per and text.startswith("(batch"):
            text = "(batch*" + "*".join(self.per) + text[len("(batch"):]
        return text


def format_batch(shape: Shape, axes: Axes) -> str:
    """``format_shape`` for a graph's tensor: a batch of fixed size (``keras.Input(batch_size=2)``) reads
    ``batch=2``, so the summary says what the model really takes."""
    text = format_shape(shape, axes)
    if shape and shape[0] is not None and text.startswith("(batch"):
        text = f"(batch={shape[0]}" + text[len("(batch"):]
    return text


def format_unbatched(shape: Shape) -> str:
    """A tensor without a batch axis: every size, ``?`` where unknown, e.g. ``(6, 8)``."""
    return "(" + ", ".join("?" if d is None else str(d) for d in shape) + ")"


def kind_of(layer: Any) -> str:
    if isinstance(layer, Over):
        return f"Over({layer.axis})"
    return type(layer).__name__


def _unnamed(shapes: list[Shape]) -> list[Axes]:
    return [(None,) * (len(s) - 1) for s in shapes]


def _site_from_call(call: Call, env: dict[int, Axes]) -> Site:
    inputs = call.data_inputs
    in_shapes = [shape_of(t) for t in inputs]
    in_axes = [env.get(id(t), (None,) * (len(t.shape) - 1)) for t in inputs]
    out_shapes = [shape_of(t) for t in call.outputs]
    out_axes = [layer_axes(call.layer, in_axes, in_shapes, s, i) for i, s in enumerate(out_shapes)]
    for t, a in zip(call.outputs, out_axes, strict=False):
        env[id(t)] = a
    return Site(in_shapes, in_axes, out_shapes, out_axes, call)


def _axis_label(axes: Axes, k: int) -> tuple[str, ...]:
    return tuple(a or f"axis{i + 1}" for i, a in enumerate(list(axes[:k]) + [None] * (k - len(axes[:k]))))


# A child found while expanding an entry: the layer, its call sites, and the axes folded into its batch.
Found = list[tuple[Any, list[Site], tuple[str, ...]]]


def _graph_children(parent: Entry, graph: list[Call], shapes: bool) -> Found:
    """A functional graph's layers in call order, each with a site per call; records the graph's edges."""
    env: dict[int, Axes] = {}
    sites = parent.sites
    for t, s in zip(graph_inputs(parent.layer) or [], sites[0].in_axes if sites else [], strict=False):
        if len(s) == len(t.shape) - 1:
            env[id(t)] = with_declared(t, s)
    by_layer: dict[int, tuple[Any, list[Site]]] = {}
    for call in graph:
        is_layer = isinstance(call.layer, keras.layers.Layer)  # not a keras.ops call (a mask computation)
        if is_layer and id(call.layer) not in by_layer:
            by_layer[id(call.layer)] = (call.layer, [])
        if not shapes:
            continue
        site = _site_from_call(call, env)
        if not is_layer:
            continue
        by_layer[id(call.layer)][1].append(site)
        for t, shape, axes in zip(call.data_inputs, site.in_shapes, site.in_axes, strict=False):
            parent.edges.append(Edge(producer_name(t) or "?", str(call.layer.name), shape, axes))
    return [(child, child_sites, parent.per) for child, child_sites in by_layer.values()]


def _mapped_children(parent: Entry) -> Found:
    """The layer inside ``over``/``TimeDistributed``: it sees one element, the mapped axes in its batch."""
    k, sites = mapped_axis(parent.layer), parent.sites
    inner_sites = [
        Site([child_shape(s, k) for s in site.in_shapes], [a[k:] for a in site.in_axes],
             [child_shape(s, k) for s in site.out_shapes], [a[k:] for a in site.out_axes])
        for site in sites
    ]
    label = _axis_label(sites[0].in_axes[0], k) if sites and sites[0].in_axes else ("axis1",)
    return [(parent.layer.layer, inner_sites, parent.per + label)]


def _derived_site(child: Any, site: Site) -> Site:
    """A site for a layer that sees its parent's inputs (the two halves of a Bidirectional)."""
    try:
        outs = _shape_list(child.compute_output_shape(site.in_shapes[0]))
    except Exception:  # a layer that cannot say its shape: leave it unknown
        return Site(site.in_shapes, site.in_axes, [], [])
    return Site(site.in_shapes, site.in_axes, outs,
                [layer_axes(child, site.in_axes, site.in_shapes, out, i) for i, out in enumerate(outs)])


def _shape_list(found: Any) -> list[Shape]:
    """``compute_output_shape``'s answer as a list of shapes: one shape, or several (an RNN with
    ``return_state`` gives its output and each state)."""
    if isinstance(found, (tuple, list)) and found and all(isinstance(s, (tuple, list)) for s in found):
        return [tuple(s) for s in found]
    return [tuple(found)]


def _traced_children(parent: Entry, site: Site) -> list[tuple[Any, list[Site]]]:
    """A custom layer's or subclassed model's sublayers in call order, each with its call sites; those its
    call never ran follow in attribute order, without shapes. A tensor one sublayer passes straight to
    another is an edge of ``parent`` (one made by Python code in between is not)."""
    layer = parent.layer
    traced = trace_children(layer, site.in_shapes)
    order: dict[int, tuple[Any, list[Site]]] = {}
    sites = follow_axes(traced, site.in_shapes, site.in_axes)[0] if traced else []
    for t, child_site in zip(traced.calls if traced else [], sites, strict=True):
        order.setdefault(id(t.layer), (t.layer, []))[1].append(child_site)
        for src, shape, axes in zip(t.sources, child_site.in_shapes, child_site.in_axes, strict=False):
            if src is not None and src[0] == "out" and traced is not None:
                edge = Edge(str(traced.calls[src[1]].layer.name), str(t.layer.name), shape, axes)
                if edge not in parent.edges:
                    parent.edges.append(edge)
    for child in attribute_children(layer):
        order.setdefault(id(child), (child, []))
    return list(order.values())


def _children_of(parent: Entry, shapes: bool) -> Found:
    layer, sites, per = parent.layer, parent.sites, parent.per
    graph = graph_calls(layer)
    if graph is not None:
        return _graph_children(parent, graph, shapes)
    if is_mapper(layer):
        return _mapped_children(parent)
    if isinstance(layer, keras.layers.Bidirectional):
        return [(child, [_derived_site(child, s) for s in sites], per) for child in sublayers(layer)]
    # a Sequential not built yet (inside a custom layer Keras built from compute_output_shape) has no graph
    # either: its call runs its layers in turn
    if shapes and (not _is_builtin(layer) or isinstance(layer, keras.Sequential)) and sites and sites[0].in_shapes:
        return [(c, s, per) for c, s in _traced_children(parent, sites[0])]
    # a parent never called (a GAN trained by its own train_step): a functional child still has its own shapes
    return [(c, [site] if shapes and (site := _graph_site(c)) else [], per) for c in sublayers(layer)]


def _graph_site(layer: Any) -> Site | None:
    return root_site(layer) if graph_inputs(layer) is not None else None


def _expand(parent: Entry, ancestors: frozenset[int], shapes: bool) -> None:
    """Fill ``parent.children`` (and ``parent.edges`` for a functional graph or a traced call), recursively."""
    for child, child_sites, child_per in _children_of(parent, shapes):
        if is_input_layer(child) or id(child) in ancestors:
            continue
        path = f"{parent.path}{SEP}{child.name}" if parent.path else str(child.name)
        entry = Entry(path, child, parent, parent.depth + 1, child_per, child_sites)
        _expand(entry, ancestors | {id(child)}, shapes)
        parent.children.append(entry)


def root_site(model: Any) -> Site | None:
    """The model's own inputs and outputs as a site; for a built subclassed model, traced from the shapes it
    was first called with; ``None`` when neither is known."""
    inputs = graph_inputs(model)
    if inputs is None:
        return _traced_root_site(model)
    outputs = keras.tree.flatten(model.outputs)
    return Site([shape_of(t) for t in inputs], [axes_of(t) for t in inputs],
                [shape_of(t) for t in outputs], [axes_of(t) for t in outputs])


def _traced_root_site(model: Any) -> Site | None:
    shapes = built_input_shapes(model) if not _is_builtin(model) else None
    traced = trace_children(model, shapes) if shapes else None
    if shapes is None or traced is None:
        return None
    return Site(shapes, _unnamed(shapes), traced.out_shapes, follow_axes(traced, shapes, _unnamed(shapes))[1])


def root(model: Any, shapes: bool = True) -> Entry:
    """The model itself as an entry (path ``""``, depth 0) with its layers as children at every depth.
    ``shapes=False`` finds the structure only: no call sites, no edges, no tracing (cheaper)."""
    if not isinstance(model, keras.layers.Layer):
        raise KernestError(
            f"Expected a Keras model or layer, got {type(model).__name__}. "
            "Pass the model object, e.g. kernest.summary(model)."
        )
    site = root_site(model) if shapes else None
    top = Entry("", model, None, 0, (), [site] if site else [])
    _expand(top, frozenset({id(model)}), shapes)
    return top


def walk(model: Any, top: Entry | None = None, shapes: bool = True) -> Iterator[Entry]:
    """Every entry of ``model`` in depth-first order (parents before children), the model itself left out."""
    stack = list(reversed((top or root(model, shapes)).children))
    while stack:
        entry = stack.pop()
        yield entry
        stack.extend(reversed(entry.children))


def layers(model: Any) -> list[tuple[str, Any]]:
    """``(path, layer)`` for every layer inside ``model`` at any depth, parents first (structure only)."""
    return [(e.path, e.layer) for e in walk(model, shapes=False)]


def outermost(models: Iterable[Any]) -> list[Any]:
    """The models that no other one of ``models`` holds at any depth (a VAE, not its encoder), each once, in
    the order given."""
    unique = list({id(m): m for m in models}.values())
    inside = {id(sub) for m in unique for _, sub in layers(m) if isinstance(sub, keras.Model)}
    return [m for m in unique if id(m) not in inside]


def find_layer(model: Any, layer: Any) -> str | None:
    """The path of ``layer`` (the object) inside ``model`` at any depth, or None."""
    return next((path for path, sub in layers(model) if sub is layer), None)
