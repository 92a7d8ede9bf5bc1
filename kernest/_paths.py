"""Paths into nested Keras models: one address syntax for every kernest tool.

A path names a layer at any depth by the layer names on the way down, ``/`` separated. Wrappers are a
step of their own: ``per_word/char_cnn/conv`` is the layer ``conv`` of the model ``char_cnn`` that the
``over`` layer ``per_word`` applies to every word; ``word_lstm/forward_lstm`` is the forward RNN of a
``Bidirectional``. InputLayers are not addressable.

Globs use ``fnmatch`` rules per segment (``*``, ``?``, ``[abc]``) and never cross a ``/``; a segment
``**`` matches zero or more whole segments: ``per_word/char_cnn/*``, ``*/conv*``, ``**/dense``. As in
``.gitignore``, a pattern without ``/`` matches a layer name at any depth (``emb*`` reaches
``encoder/emb``), and a pattern with a ``/`` is anchored at the top. A plain name that is no path, e.g. a
Keras name like ``block_13_expand_relu``, resolves to the one layer of that name at any depth.

A layer called more than once (a shared encoder) is one path; ``@N`` at the end of a path picks its N-th
call, counting from 0 in execution order over every call of the layer and of the models around it:
``encoder/emb@1`` is ``emb`` as run by the second call of ``encoder``.

``walk(model)`` is the one traversal every tool builds on. It yields an ``Entry`` per path with the
layer, its call sites (input and output shapes with axis names) and its children. Reading a functional
graph needs Keras' private node attributes; they are touched only in ``graph_calls`` and ``call_again``.

A subclassed model (or a custom layer holding sublayers) has no graph: its ``call`` is Python code.
``trace`` runs that code the way Keras does to find output shapes, symbolically, and records each
sublayer call: the children come in call order with real shapes. The shapes a built subclassed model
was first called with are in Keras' private ``_build_shapes_dict``, read only in ``built_input_shapes``.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import keras

from kernest._axes import Axes, Shape, format_shape, layer_axes, shape_of
from kernest._errors import KernestError, PathError
from kernest._over import Over, child_shape

SEP = "/"
GLOB_CHARS = "*?["


# --- the one place that reads Keras' functional graph ------------------------------------------------

@dataclass(frozen=True, eq=False)
class Call:
    """One call of a layer inside a functional graph: ``outputs = layer(*inputs...)``."""

    layer: Any
    node: Any  # the Keras node, kept to re-call the layer with the same arguments
    inputs: tuple[Any, ...]  # flat symbolic tensors, keyword arguments (a mask) included
    outputs: tuple[Any, ...]

    @property
    def data_inputs(self) -> tuple[Any, ...]:
        """The tensors passed positionally (or as ``inputs=``): the data, without masks or states."""
        args = self.node.arguments.args
        kwargs = self.node.arguments.kwargs
        found = [t for t in keras.tree.flatten(args) if isinstance(t, keras.KerasTensor)]
        if not found and "inputs" in kwargs:
            found = [t for t in keras.tree.flatten(kwargs["inputs"]) if isinstance(t, keras.KerasTensor)]
        return tuple(found) or self.inputs


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


def input_struct(model: Any) -> Any:
    """A functional model's inputs in the structure it is called with (a tensor, a list or a dict).

    ``model.input`` is no help for a nested model: it reads the first call site, which for a Sequential
    is the outer model's tensor. The structure is kept in a private attribute, read only here.
    """
    struct = getattr(model, "_inputs_struct", None)
    if struct is None or isinstance(model, keras.Sequential):
        flat = graph_inputs(model) or []
        return flat[0] if len(flat) == 1 else flat
    if isinstance(struct, (list, tuple)) and len(struct) == 1:
        return struct[0]
    return struct


def output_struct(model: Any) -> Any:
    """A functional model's outputs in the structure it returns (a tensor, a list or a dict)."""
    struct = getattr(model, "_outputs_struct", None)
    if struct is None or isinstance(model, keras.Sequential):
        flat = list(keras.tree.flatten(model.outputs))
        return flat[0] if len(flat) == 1 else flat
    if isinstance(struct, (list, tuple)) and len(struct) == 1:
        return struct[0]
    return struct


def output_keys(layer: Any) -> list[str] | None:
    """The keys of a functional model's dict outputs, in the order of its flat outputs; ``None`` otherwise."""
    struct = getattr(layer, "_outputs_struct", None)
    if not isinstance(struct, dict):
        return None
    return ["/".join(str(k) for k in path) for path, _ in keras.tree.flatten_with_path(struct)]


def _node_of(tensor: Any) -> Any:
    history = getattr(tensor, "_keras_history", None)
    if history is None:
        return None
    operation, node_index, _ = history
    try:
        return operation._inbound_nodes[node_index]
    except (AttributeError, IndexError):
        return None


def graph_calls(model: Any) -> list[Call] | None:
    """The calls of ``model``'s functional graph in execution order (InputLayers left out), or ``None``."""
    inputs = graph_inputs(model)
    if inputs is None:
        return None
    input_ids = {id(t) for t in inputs}
    order: list[Any] = []
    visited: set[int] = set()
    emitted: set[int] = set()
    # iterative post-order walk back from the outputs, so deep graphs don't hit the recursion limit
    stack: list[tuple[Any, bool]] = [
        (n, False) for t in reversed(keras.tree.flatten(model.outputs)) if (n := _node_of(t)) is not None
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
            parent = None if id(t) in input_ids else _node_of(t)
            if parent is not None and id(parent) not in visited:
                stack.append((parent, False))
    return [Call(n.operation, n, tuple(n.input_tensors), tuple(n.output_tensors)) for n in order]


def producer_name(tensor: Any) -> str | None:
    """The name of the layer (or input) that produced a symbolic tensor, if known."""
    node = _node_of(tensor)
    return None if node is None else str(node.operation.name)


def call_again(call: Call, tensors: dict[int, Any], layer: Any = None) -> list[Any]:
    """Re-run ``call`` (or call ``layer`` instead) on the tensors that ``tensors`` maps the original
    inputs to (by ``id``); returns the flat outputs and records them in ``tensors``."""
    args, kwargs = call.node.arguments.fill_in(tensors)
    outputs = keras.tree.flatten((layer or call.layer)(*args, **kwargs))
    for old, new in zip(call.outputs, outputs, strict=False):
        tensors[id(old)] = new
    return outputs


# --- tracing the Python call of a subclassed model -------------------------------------------------------

def built_input_shapes(layer: Any) -> list[Shape] | None:
    """The input shapes a built layer was first called with, batch as ``None``; ``None`` if unknown."""
    shapes = getattr(layer, "_build_shapes_dict", None)
    if not isinstance(shapes, dict) or not shapes:
        return None
    found = [tuple(s) for s in shapes.values() if isinstance(s, (tuple, list)) and all(
        d is None or isinstance(d, int) for d in s)]
    if len(found) != len(shapes) or any(not s for s in found):
        return None
    return [(None, *s[1:]) for s in found]


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


def _trace_once(layer: Any, children: list[Any], shapes: list[Shape]) -> tuple[list[Traced], list[Shape]]:
    """Run ``layer.call`` on symbolic inputs of ``shapes`` (all known), recording each child's calls."""
    seen: list[Traced] = []
    origin: dict[int, tuple[Any, ...]] = {}  # id of a tensor -> where it came from (see Traced.sources)

    def recorder(child: Any, original: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            out = original(*args, **kwargs)
            given = _tensors_in(args) or _tensors_in(kwargs.get("inputs"))
            sources = tuple(origin.get(id(t)) for t in given)
            origin.update((id(t), ("out", len(seen), k)) for k, t in enumerate(_tensors_in(out)))
            seen.append(Traced(child, _shapes_in(args) or _shapes_in(kwargs.get("inputs")), _shapes_in(out), sources))
            return out
        return call

    specs = [keras.KerasTensor(s) for s in shapes]
    origin.update((id(t), ("in", i)) for i, t in enumerate(specs))
    for child in children:  # on the instance, so that only this trace sees it; removed below
        object.__setattr__(child, "call", recorder(child, child.call))
    try:
        out = keras.Operation.compute_output_spec(layer, *specs)  # traces call(), as Keras does
    finally:
        for child in children:
            object.__delattr__(child, "call")
    return seen, _shapes_in(out)


def _merge(a: Shape, b: Shape) -> Shape:
    """Two traces with different sizes for the unknown axes: an axis that differs is unknown."""
    return tuple(x if x == y else None for x, y in zip(a, b, strict=True)) if len(a) == len(b) else a


def trace(layer: Any, in_shapes: list[Shape]) -> tuple[list[Traced], list[Shape]] | None:
    """The calls of ``layer``'s direct sublayers in call order with their shapes, and ``layer``'s output
    shapes, found by running its ``call`` symbolically; ``None`` when that fails (the layer needs real
    data, or more than its inputs)."""
    children = list({id(c): c for c in _attribute_children(layer)}.values())
    if not children or not in_shapes:
        return None
    # unknown axes get two different sizes, so the axes that follow them are told apart from fixed ones
    runs = []
    for fill in ((2, 5), (3, 7)):
        concrete: list[Shape] = [tuple(fill[0] if i == 0 and d is None else fill[1] if d is None else d
                                       for i, d in enumerate(s)) for s in in_shapes]
        try:
            runs.append(_trace_once(layer, children, concrete))
        except Exception:  # a call that cannot run on placeholders: fall back to attribute order
            return None
    (calls_a, out_a), (calls_b, out_b) = runs
    if len(calls_a) != len(calls_b):
        return None
    calls = [Traced(a.layer, [_merge(x, y) for x, y in zip(a.in_shapes, b.in_shapes, strict=False)],
                    [_merge(x, y) for x, y in zip(a.out_shapes, b.out_shapes, strict=False)], a.sources)
             for a, b in zip(calls_a, calls_b, strict=True)]
    return calls, [_merge(x, y) for x, y in zip(out_a, out_b, strict=False)]


# --- the tree ------------------------------------------------------------------------------------------

@dataclass(eq=False)
class Site:
    """One call site of a layer: what goes in and out, with axis names (batch included in shapes)."""

    in_shapes: list[Shape]
    in_axes: list[Axes]
    out_shapes: list[Shape]
    out_axes: list[Axes]
    call: Call | None = None  # the call in the parent's functional graph, if the parent has one


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

    def shape_text(self, site: Site, which: str) -> str:
        """Formatted input (``"in"``) or output (``"out"``) shapes of one call site."""
        shapes = site.in_shapes if which == "in" else site.out_shapes
        axes = site.in_axes if which == "in" else site.out_axes
        if not shapes:
            return "?"
        texts = [self.format(s, a) for s, a in zip(shapes, axes, strict=False)]
        keys = output_keys(self.layer) if which == "out" else None
        if keys is not None and len(keys) == len(texts):
            return "{" + ", ".join(f"{k}: {t}" for k, t in zip(keys, texts, strict=True)) + "}"
        return texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"

    def format(self, shape: Shape, axes: Axes) -> str:
        """``format_shape``, but inside ``over`` the batch reads ``batch*words``: every element is one
        row of the inner model's batch."""
        text = format_shape(shape, axes)
        if self.per and text.startswith("(batch"):
            text = "(batch*" + "*".join(self.per) + text[len("(batch"):]
        return text


def kind_of(layer: Any) -> str:
    if isinstance(layer, Over):
        return f"Over({layer.axis})"
    return type(layer).__name__


def is_subclassed(layer: Any) -> bool:
    """A subclassed ``keras.Model``: its layers run from Python code in ``call``, there is no graph."""
    return isinstance(layer, keras.Model) and not isinstance(layer, keras.Sequential) and (
        type(layer).__module__.split(".")[0] != "keras")


def _is_builtin(layer: Any) -> bool:
    return type(layer).__module__.split(".")[0] == "keras"


def _attribute_children(layer: Any) -> list[Any]:
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


def _site_from_call(call: Call, env: dict[int, Axes]) -> Site:
    inputs = call.data_inputs
    in_shapes = [shape_of(t) for t in inputs]
    in_axes = [env.get(id(t), (None,) * (len(t.shape) - 1)) for t in inputs]
    out_shapes = [shape_of(t) for t in call.outputs]
    out_axes = [layer_axes(call.layer, in_axes, in_shapes, s, i) for i, s in enumerate(out_shapes)]
    for t, a in zip(call.outputs, out_axes, strict=False):
        env[id(t)] = a
    return Site(in_shapes, in_axes, out_shapes, out_axes, call)


def _mapped(layer: Any) -> int:
    return (layer.axis_index or 1) if isinstance(layer, Over) else 1


def _axis_label(axes: Axes, k: int) -> tuple[str, ...]:
    return tuple(a or f"axis{i + 1}" for i, a in enumerate(list(axes[:k]) + [None] * (k - len(axes[:k]))))


def _expand(parent: Entry, ancestors: frozenset[int]) -> None:
    """Fill ``parent.children`` (and ``parent.edges`` for a functional graph), recursively."""
    layer, sites, per = parent.layer, parent.sites, parent.per
    found: list[tuple[Any, list[Site], tuple[str, ...]]] = []  # (child, its sites, its per)
    calls = graph_calls(layer)
    if calls is not None:
        env: dict[int, Axes] = {}
        for t, s in zip(graph_inputs(layer) or [], sites[0].in_axes if sites else [], strict=False):
            if len(s) == len(t.shape) - 1:
                env[id(t)] = s
        by_layer: dict[int, tuple[Any, list[Site]]] = {}
        for call in calls:
            site = _site_from_call(call, env)
            if not isinstance(call.layer, keras.layers.Layer):
                continue  # a keras.ops call in the graph (e.g. a mask computation): not a layer
            if id(call.layer) not in by_layer:
                by_layer[id(call.layer)] = (call.layer, [])
            by_layer[id(call.layer)][1].append(site)
            for t, shape, axes in zip(call.data_inputs, site.in_shapes, site.in_axes, strict=False):
                source = _node_of(t)
                name = str(source.operation.name) if source is not None else "?"
                parent.edges.append(Edge(name, str(call.layer.name), shape, axes))
        found = [(child, child_sites, per) for child, child_sites in by_layer.values()]
    elif isinstance(layer, (Over, keras.layers.TimeDistributed)):
        k = _mapped(layer)
        inner_sites = [
            Site([child_shape(s, k) for s in site.in_shapes], [a[k:] for a in site.in_axes],
                 [child_shape(s, k) for s in site.out_shapes], [a[k:] for a in site.out_axes])
            for site in sites
        ]
        label = _axis_label(sites[0].in_axes[0], k) if sites and sites[0].in_axes else ("axis1",)
        found = [(layer.layer, inner_sites, per + label)]
    elif isinstance(layer, keras.layers.Bidirectional):
        for child in (layer.forward_layer, layer.backward_layer):
            found.append((child, [_derived_site(child, s) for s in sites], per))
    elif not _is_builtin(layer) and sites and sites[0].in_shapes:
        found = [(c, s, per) for c, s in _traced_children(layer, sites[0])]
    elif isinstance(layer, keras.Model):
        found = [(c, [], per) for c in layer.layers if not isinstance(c, keras.layers.InputLayer)]
    elif isinstance(layer, keras.layers.Wrapper) or not _is_builtin(layer):
        found = [(c, [], per) for c in _attribute_children(layer)]

    for child, child_sites, child_per in found:
        if isinstance(child, keras.layers.InputLayer) or id(child) in ancestors:
            continue
        path = f"{parent.path}{SEP}{child.name}" if parent.path else str(child.name)
        entry = Entry(path, child, parent, parent.depth + 1, child_per, child_sites)
        _expand(entry, ancestors | {id(child)})
        parent.children.append(entry)


def _traced_children(layer: Any, site: Site) -> list[tuple[Any, list[Site]]]:
    """A custom layer's or subclassed model's sublayers in call order, each with its call sites; those its
    call never ran follow in attribute order, without shapes."""
    traced = trace(layer, site.in_shapes)
    order: dict[int, tuple[Any, list[Site]]] = {}
    known: dict[tuple[Any, ...], Axes] = {("in", i): a for i, a in enumerate(site.in_axes)}  # axes by source
    for j, t in enumerate(traced[0] if traced else []):
        in_axes: list[Axes] = [known.get(src, ()) if src is not None else () for src in t.sources]
        in_axes = [a if len(a) == len(s) - 1 else (None,) * (len(s) - 1)
                   for a, s in zip(in_axes + [()] * len(t.in_shapes), t.in_shapes, strict=False)]
        out_axes = [layer_axes(t.layer, in_axes, t.in_shapes, s, i) for i, s in enumerate(t.out_shapes)]
        known.update((("out", j, k), a) for k, a in enumerate(out_axes))
        order.setdefault(id(t.layer), (t.layer, []))[1].append(Site(t.in_shapes, in_axes, t.out_shapes, out_axes))
    for child in _attribute_children(layer):
        order.setdefault(id(child), (child, []))
    return list(order.values())


def _derived_site(child: Any, site: Site) -> Site:
    """A site for a layer that sees its parent's inputs (the two halves of a Bidirectional)."""
    try:
        out = tuple(child.compute_output_shape(site.in_shapes[0]))
        return Site(site.in_shapes, site.in_axes, [out], [layer_axes(child, site.in_axes, site.in_shapes, out)])
    except Exception:  # a layer that cannot say its shape: leave it unknown
        return Site(site.in_shapes, site.in_axes, [], [])


def root_site(model: Any) -> Site | None:
    """The model's own inputs and outputs as a site; for a built subclassed model, traced from the shapes it
    was first called with; ``None`` when neither is known."""
    from kernest._axes import axes_of

    inputs = graph_inputs(model)
    if inputs is None:
        return _traced_root_site(model)
    outputs = keras.tree.flatten(model.outputs)
    return Site([shape_of(t) for t in inputs], [axes_of(t) for t in inputs],
                [shape_of(t) for t in outputs], [axes_of(t) for t in outputs])


def _traced_root_site(model: Any) -> Site | None:
    shapes = built_input_shapes(model) if not _is_builtin(model) else None
    traced = trace(model, shapes) if shapes else None
    if shapes is None or traced is None:
        return None
    in_axes: list[Axes] = [(None,) * (len(s) - 1) for s in shapes]
    return Site(shapes, in_axes, traced[1], [(None,) * (len(s) - 1) for s in traced[1]])


def root(model: Any) -> Entry:
    """The model itself as an entry (path ``""``, depth 0) with its layers as children at every depth."""
    if not isinstance(model, keras.layers.Layer):
        raise KernestError(
            f"Expected a Keras model or layer, got {type(model).__name__}. "
            "Pass the model object, e.g. kernest.summary(model)."
        )
    site = root_site(model)
    top = Entry("", model, None, 0, (), [site] if site else [])
    _expand(top, frozenset({id(model)}))
    return top


def walk(model: Any, top: Entry | None = None) -> Iterator[Entry]:
    """Every entry of ``model`` in depth-first order (parents before children), the model itself left out."""
    stack = list(reversed((top or root(model)).children))
    while stack:
        entry = stack.pop()
        yield entry
        stack.extend(reversed(entry.children))


# --- addressing ------------------------------------------------------------------------------------------

def is_glob(pattern: str) -> bool:
    return any(c in pattern for c in GLOB_CHARS)


def _match_segments(pattern: list[str], path: list[str]) -> bool:
    if not pattern:
        return not path
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_match_segments(rest, path[i:]) for i in range(len(path) + 1))
    return bool(path) and fnmatch.fnmatchcase(path[0], head) and _match_segments(rest, path[1:])


def matches(pattern: str, path: str) -> bool:
    """Whether ``path`` matches ``pattern`` (fnmatch per segment; ``**`` spans any number of segments).

    A pattern without ``/`` matches the last segment, so a name at any depth (as in ``.gitignore``).

    Example:
        >>> matches("per_word/*/conv*", "per_word/char_cnn/conv")
        True
        >>> matches("**/conv", "per_word/char_cnn/conv"), matches("*/conv", "per_word/char_cnn/conv")
        (True, False)
        >>> matches("conv*", "per_word/char_cnn/conv"), matches("*char_cnn*", "per_word/char_cnn")
        (True, True)
    """
    segments = _split(pattern)
    if len(segments) == 1 and segments[0] != "**":
        return fnmatch.fnmatchcase(path.split(SEP)[-1], segments[0])
    return _match_segments(segments, path.split(SEP))


CALL_SUFFIX = re.compile(r"^(?P<path>.*?)@(?P<index>\d+)$")


def split_call(path: str) -> tuple[str, int | None]:
    """``"encoder/emb@1"`` -> ``("encoder/emb", 1)``; a path without ``@N`` -> ``(path, None)``.

    Example:
        >>> split_call("encoder/emb@1"), split_call("head")
        (('encoder/emb', 1), ('head', None))
    """
    found = CALL_SUFFIX.match(path.strip()) if isinstance(path, str) else None
    if found is None:
        return path, None
    return found["path"], int(found["index"])


def _split(pattern: str) -> list[str]:
    return [s for s in pattern.strip().strip(SEP).split(SEP) if s]


def nearest(path: str, candidates: list[str], n: int = 5) -> list[str]:
    """The valid paths nearest to ``path``: close matches of the whole path and of its last step."""
    close = difflib.get_close_matches(path, candidates, n=n, cutoff=0.5)
    last = path.split(SEP)[-1]
    by_name = [c for c in candidates if difflib.SequenceMatcher(None, c.split(SEP)[-1], last).ratio() >= 0.75]
    out: list[str] = []
    for c in close + by_name:
        if c not in out:
            out.append(c)
    return out[:n] or candidates[:n]


def path_error(model: Any, pattern: str, candidates: list[str]) -> PathError:
    near = nearest(pattern, candidates)
    return PathError(
        f"No layer at path {pattern!r} in model {getattr(model, 'name', '?')!r}. "
        f"Nearest valid paths: {', '.join(near) if near else '(the model has no addressable layers)'}. "
        "Paths are layer names joined by '/', wrappers included, e.g. 'per_word/char_cnn/conv'; "
        "kernest.paths(model) lists them all."
    )


def find(model: Any, pattern: str, entries: list[Entry] | None = None) -> list[Entry]:
    """Entries whose path matches ``pattern``, in depth-first order.

    A plain path that names nothing raises ``PathError`` with the nearest valid paths; a glob that
    matches nothing returns ``[]`` (callers warn).
    """
    if isinstance(pattern, str):
        pattern, _ = split_call(pattern)  # every call of a layer is the same layer object
    if not isinstance(pattern, str) or not _split(pattern):
        raise PathError(f"A path is a non-empty string like 'per_word/char_cnn/conv', not {pattern!r}.")
    all_entries = list(walk(model)) if entries is None else entries
    if is_glob(pattern):
        return [e for e in all_entries if matches(pattern, e.path)]
    wanted = SEP.join(_split(pattern))
    hits = [e for e in all_entries if e.path == wanted]
    if not hits and SEP not in wanted:
        hits = _by_name(model, wanted, all_entries)
    if not hits:
        raise path_error(model, wanted, [e.path for e in all_entries])
    return hits


def _by_name(model: Any, name: str, entries: list[Entry]) -> list[Entry]:
    """The entries of the one layer called ``name`` at any depth; a name two layers share is an error."""
    hits = [e for e in entries if e.name == name]
    if len({id(e.layer) for e in hits}) > 1:
        listed = ", ".join(e.path for e in hits[:8])
        raise PathError(
            f"{name!r} is the name of {len({id(e.layer) for e in hits})} different layers in model "
            f"{getattr(model, 'name', '?')!r} ({listed}). Give the full path of the one you mean."
        )
    return hits


def paths(model: keras.layers.Layer) -> list[str]:
    """Every addressable path of ``model``, parents before children.

    Args:
        model: a Keras model (or a layer holding sublayers).

    Returns:
        Paths like ``per_word/char_cnn/conv``; a layer reachable in two places has two paths.

    Example:
        >>> import keras, kernest
        >>> a = keras.Input((4,), name="a")
        >>> inner = keras.Model(a, keras.layers.Dense(3, name="dense")(a), name="inner")
        >>> b = keras.Input((4,), name="b")
        >>> outer = keras.Model(b, keras.layers.Dense(1, name="head")(inner(b)), name="outer")
        >>> kernest.paths(outer)
        ['inner', 'inner/dense', 'head']
    """
    return [e.path for e in walk(model)]


def get(model: keras.layers.Layer, path: str) -> Any:
    """The layer or model at ``path``, at any depth.

    Args:
        model: a Keras model.
        path: ``/`` separated layer names, e.g. ``per_word/char_cnn/conv``; a glob must match one layer.

    Returns:
        The layer object itself (not a copy): changing it changes the model.

    Raises:
        PathError: nothing at ``path`` (the message lists the nearest valid paths), or a glob matched
            no layer or several different layers.

    Example:
        >>> import keras, kernest
        >>> a = keras.Input((4,), name="a")
        >>> inner = keras.Model(a, keras.layers.Dense(3, name="dense")(a), name="inner")
        >>> b = keras.Input((4,), name="b")
        >>> outer = keras.Model(b, inner(b), name="outer")
        >>> kernest.get(outer, "inner/dense").units
        3
    """
    entries = list(walk(model))
    hits = find(model, path, entries)
    layers = {id(e.layer): e for e in hits}
    if len(layers) != 1:
        if not hits:
            raise path_error(model, path, [e.path for e in entries])
        raise PathError(
            f"The glob {path!r} matches {len(layers)} layers ({', '.join(e.path for e in hits[:8])}); "
            "kernest.get needs exactly one. Give the full path."
        )
    return hits[0].layer


def expand_patterns(model: Any, patterns: str | Iterable[str], entries: list[Entry]) -> list[Entry]:
    """Entries matched by one pattern or several, without repeats, in the order of the patterns."""
    if isinstance(patterns, str):
        patterns = [patterns]
    out: list[Entry] = []
    for p in patterns:
        for e in find(model, p, entries):
            if all(e is not o for o in out):
                out.append(e)
    return out
