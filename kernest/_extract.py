"""``kernest.extract``: a model whose outputs are the activations at nested paths.

``keras.Model(m.input, m.get_layer("per_word").layer.get_layer("conv").output)`` fails: the inner
``conv`` output lives in the inner model's graph, not in the outer one. ``extract`` instead re-uses the
outer graph's own tensors and, for every step down the path, calls a small "tap" of the submodel (its
inputs -> the inner activation) where the submodel was called. A tap of a model inside ``over`` or
``TimeDistributed`` is wrapped in a new wrapper with the same axis, so the mapped axis is kept:
``(batch, words, chars, filters)``. A subclassed model (or custom layer) has no graph; its tap runs its
Python ``call`` as it is and records what the requested sublayers return on the way (``_CallTap``). Every
tap re-uses the original layer objects, so the extractor shares weights with the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import keras

from kernest._errors import KernestError
from kernest._graph import (
    SEP,
    Call,
    Entry,
    attribute_example,
    call_again,
    functional_around,
    graph_calls,
    graph_inputs,
    input_struct,
    is_subclassed,
    require_graph,
    root,
    walk,
)
from kernest._over import Over, is_mapper, mapped_axis
from kernest._paths import find, is_glob, split_call


class _Names:
    """Unique names for the taps of one extraction (Keras wants unique layer names in a model)."""

    def __init__(self, taken: set[str]) -> None:
        self.taken = set(taken)

    def __call__(self, base: str) -> str:
        name, i = base, 2
        while name in self.taken:
            name, i = f"{base}_{i}", i + 1
        self.taken.add(name)
        return name


def _no_graph(layer: Any, path: str) -> KernestError:
    return KernestError(
        f"Cannot extract {path!r}: {layer.name!r} ({type(layer).__name__}) has no functional graph to tap, "
        "its sublayers are called from Python code, and here (inside over/TimeDistributed or a "
        "Bidirectional) kernest cannot run that code. Extract the activation of the layer itself instead, "
        "or rebuild it with the functional API (keras.Model(inputs, outputs))."
    )


class _CallTap(keras.layers.Layer):
    """Calls ``layer`` as it is and returns its outputs (flat) followed by what each of ``targets`` (layers
    at any depth inside it, called from its Python ``call``) returned, every call in order. ``sizes[k]``:
    the number of tensors of each call of target ``k`` in the latest run (the first run is symbolic, when
    the extractor is built, so the layout is known before any data flows)."""

    def __init__(self, layer: Any, targets: list[Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.inner = layer
        unique = list({id(t): t for t in targets}.values())
        object.__setattr__(self, "_targets", unique)  # not tracked again: they live inside ``inner``
        self.which = [next(k for k, u in enumerate(unique) if u is t) for t in targets]
        self.sizes: list[list[int]] = [[] for _ in unique]
        self.n_out = 0

    def call(self, *args: Any, **kwargs: Any) -> Any:
        seen: list[list[list[Any]]] = [[] for _ in self._targets]

        def recorder(k: int, original: Any) -> Any:
            def call(*a: Any, **kw: Any) -> Any:
                out = original(*a, **kw)
                seen[k].append(list(keras.tree.flatten(out)))
                return out
            return call

        for k, target in enumerate(self._targets):  # on the instance, for this run only
            object.__setattr__(target, "call", recorder(k, target.call))
        try:
            out = list(keras.tree.flatten(self.inner(*args, **kwargs)))
        finally:
            for target in self._targets:
                object.__delattr__(target, "call")
        self.n_out = len(out)
        self.sizes = [[len(group) for group in calls] for calls in seen]
        return out + [t for calls in seen for group in calls for t in group]

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().compute_output_spec(*args, **kwargs)
        except Exception:  # noqa: BLE001 - a call that reads sizes from its data, which a symbolic run cannot
            return self._spec_from_zeros(args, kwargs)

    def _spec_from_zeros(self, args: Any, kwargs: Any) -> list[Any]:
        """The outputs' specs from two runs on zeros, each unknown size 2 and then 3 (Keras' JAX backend finds
        unknown sizes the same way): a size that differs between the runs is unknown. keras.io's MPNN pads each
        molecule's atoms to the largest count it finds in the data."""
        def zeros(size: int) -> Any:
            return keras.tree.map_structure(
                lambda t: keras.ops.zeros([size if d is None else d for d in t.shape], t.dtype)
                if isinstance(t, keras.KerasTensor) else t, (args, kwargs))

        runs = []
        for size in (2, 3):
            a, kw = zeros(size)
            runs.append(self.call(*a, **kw))  # (batch, ...) per output, flat
        return [keras.KerasTensor(tuple(d if d == e else None for d, e in zip(x.shape, y.shape, strict=True)),
                                  dtype=keras.backend.standardize_dtype(x.dtype))
                for x, y in zip(*runs, strict=True)]

    def positions(self) -> list[list[list[int]]]:
        """Per target as given, per call: the indices of its tensors among the outputs."""
        found, start = [], self.n_out
        for sizes in self.sizes:
            groups = []
            for size in sizes:
                groups.append(list(range(start, start + size)))
                start += size
            found.append(groups)
        return [found[k] for k in self.which]


def _call_tap(entry: Entry, requests: list[list[Entry]], names: _Names) -> _CallTap:
    """A tap of a layer without a graph: its Python call, run as it is, recording the requested layers."""
    for chain in requests:
        if any(is_mapper(e.layer) or isinstance(e.layer, keras.layers.Bidirectional) for e in chain[:-1]):
            raise _no_graph(entry.layer, chain[-1].path)
    return _CallTap(entry.layer, [chain[-1].layer for chain in requests], name=names(f"{entry.layer.name}_tap"))


def _keep_or_rerun(call: Call, tensors: dict[int, Any]) -> list[Any]:
    if all(tensors.get(id(t)) is t for t in call.inputs):  # nothing upstream changed: keep the tensors
        tensors.update((id(t), t) for t in call.outputs)
        return list(call.outputs)
    return call_again(call, tensors)


# An activation is one tensor list per call of the layer (a shared layer gives several), in call order.
Groups = list[list[Any]]


def _run(container: Any, children: list[Entry], requests: list[list[Entry]], names: _Names
         ) -> tuple[list[Any], list[Groups]]:
    """Re-run ``container``'s functional graph so that each requested activation is one of its tensors.

    ``requests`` are chains relative to ``container`` (first step: one of its ``children``). A child
    with requests inside it is replaced, at every one of its calls, by one tap that gives its own outputs
    and the activations; the layers after it read the tap's outputs, so each original layer sits in one
    place only (Keras cannot load a file where one layer sits inside two models). Returns the container's
    outputs (flat) and, per request, its activation at every call.
    """
    calls = graph_calls(container)
    if calls is None:
        raise _no_graph(container, requests[0][-1].path)
    tensors: dict[int, Any] = {id(t): t for t in graph_inputs(container) or []}
    acts: list[Groups] = [[] for _ in requests]
    children_ids = {id(e.layer): e for e in children}
    taps: dict[int, tuple[Any, list[list[list[int]]]]] = {}
    for call in calls:
        child = children_ids.get(id(call.layer))
        wanted = [i for i, chain in enumerate(requests) if child is not None and chain[0].layer is call.layer]
        deep = [i for i in wanted if len(requests[i]) > 1]
        if deep and isinstance(call.layer, keras.layers.Bidirectional):
            outs = _keep_or_rerun(call, tensors)
            for i in deep:
                acts[i].append(_one_direction(call, tensors, requests[i]))
        elif deep:
            assert child is not None
            if id(call.layer) not in taps:
                taps[id(call.layer)] = _tap(child, [requests[i][1:] for i in deep], names)
            tap, positions = taps[id(call.layer)]
            outs = call_again(call, tensors, layer=tap)
            if isinstance(tap, _CallTap):
                if any(not groups for groups in tap.positions()):
                    raise _not_called(child, [requests[i][-1] for i in deep], tap)
                positions = tap.positions()
            for i, groups in zip(deep, positions, strict=True):
                acts[i] += [[outs[j] for j in group] for group in groups]
        else:
            outs = _keep_or_rerun(call, tensors)
        for i in wanted:
            if len(requests[i]) == 1:
                acts[i].append(outs[: len(call.outputs)])
    outputs = [tensors[id(t)] for t in keras.tree.flatten(container.outputs)]
    return outputs, acts


def _not_called(entry: Entry, wanted: list[Entry], tap: _CallTap) -> KernestError:
    missing = [e.path for e, groups in zip(wanted, tap.positions(), strict=True) if not groups]
    return KernestError(
        f"Cannot extract {', '.join(repr(p) for p in missing)}: {entry.path!r} ({type(entry.layer).__name__}) "
        "does not call it when the model runs (its call() skips it, e.g. a layer used only in training). "
        "Extract a layer that runs, or return the activation from call()."
    )


def _one_direction(call: Call, tensors: dict[int, Any], chain: list[Entry]) -> list[Any]:
    """One half of a Bidirectional, called on the Bidirectional's inputs."""
    if len(chain) != 2:
        raise _no_graph(chain[1].layer, chain[-1].path)
    return call_again(call, dict(tensors), layer=chain[1].layer)


def _tap(entry: Entry, requests: list[list[Entry]], names: _Names) -> tuple[Any, list[list[list[int]]]]:
    """A layer to call instead of ``entry.layer``: it gives ``entry.layer``'s outputs (flat) followed by the
    activations at ``requests`` (chains relative to ``entry``). Also returns, per request and per call
    inside ``entry``, the indices of its tensors among the tap's flat outputs."""
    layer = entry.layer
    if graph_calls(layer) is not None:
        return _graph_tap(entry, requests, names)
    if is_mapper(layer) and entry.children:
        return _wrapper_tap(entry, requests, names)
    if isinstance(layer, keras.layers.Bidirectional):
        raise _no_graph(layer, requests[0][-1].path)
    return _call_tap(entry, requests, names), []  # the positions are known once it has run


def _graph_tap(entry: Entry, requests: list[list[Entry]], names: _Names) -> tuple[Any, list[list[list[int]]]]:
    layer = entry.layer
    outs, acts = _run(layer, entry.children, requests, names)
    flat, positions = list(outs), []
    for groups in acts:
        placed = []
        for group in groups:
            placed.append(list(range(len(flat), len(flat) + len(group))))
            flat += group
        positions.append(placed)
    return keras.Model(input_struct(layer), flat, name=names(f"{layer.name}_tap")), positions


def _wrapper_tap(entry: Entry, requests: list[list[Entry]], names: _Names) -> tuple[Any, list[list[list[int]]]]:
    """A tap of the model inside ``over``/``TimeDistributed``, wrapped again on the same axis."""
    layer, inner = entry.layer, entry.children[0]
    n_out = max(len(entry.sites[0].out_shapes), 1) if entry.sites else 1
    deep = [i for i, r in enumerate(requests) if len(r) > 1]
    positions = [[list(range(n_out))] for _ in requests]  # the inner model's own output: the wrapper's
    if not deep:
        return layer, positions
    inner_tap, inner_pos = _tap(inner, [requests[i][1:] for i in deep], names)
    if isinstance(inner_tap, _CallTap):  # folded into the batch, its activations' layout is not known here
        raise _no_graph(inner.layer, requests[deep[0]][-1].path)
    for i, pos in zip(deep, inner_pos, strict=True):
        positions[i] = pos
    # TimeDistributed takes one output only; an Over on the same axis folds alike and takes several
    wrapper = Over(inner_tap, axis=layer.axis if isinstance(layer, Over) else 1, axis_index=mapped_axis(layer),
                   mask_padding=layer.mask_padding if isinstance(layer, Over) else False,
                   name=names(f"{layer.name}_tap"))
    return wrapper, positions


# A requested path: (output key, pattern, call index or None, the entries it matched).
Request = tuple[str, str, int | None, list[Entry]]


def _requests(model: Any, paths: Any, entries: list[Entry]) -> list[Request]:
    """Every requested path as ``(key, pattern, call index or None, matched entries)``, in order."""
    items = [(paths, paths)] if isinstance(paths, str) else list(paths.items()) if isinstance(paths, Mapping) \
        else [(p, p) for p in paths]
    out = []
    for key, spec in items:
        pattern, index = split_call(spec) if isinstance(spec, str) else (spec, None)
        found = find(model, pattern, entries)
        if not found:
            raise KernestError(f"extract: the glob {pattern!r} matches no path; kernest.paths(model) lists them.")
        if isinstance(paths, Mapping) and len(found) != 1:
            raise KernestError(f"extract: {key!r}: the glob {pattern!r} matches {len(found)} layers; a dict "
                               "output needs one path per name.")
        out.append((str(key), pattern, index, found))
    return out


def _value(groups: Groups, path: str, index: int | None) -> Any:
    """One activation (``@N`` or a layer called once), else a list with one activation per call."""
    values = [g[0] if len(g) == 1 else g for g in groups]
    if index is None:
        return values[0] if len(values) == 1 else values
    if index >= len(values):
        raise KernestError(
            f"extract: {path}@{index}: {path!r} runs {len(values)} time(s) in this model, so its calls are "
            f"{', '.join(f'@{i}' for i in range(len(values)))}. Pick one of them, or leave '@N' off for all."
        )
    return values[index]


def extract(model: keras.Model, paths: str | Sequence[str] | Mapping[str, str], *, name: str | None = None
            ) -> keras.Model:
    """A plain ``keras.Model`` with ``model``'s inputs whose outputs are the activations at ``paths``.

    Works at any depth, also inside ``over``/``TimeDistributed`` (the mapped axis is kept), for each
    half of a ``Bidirectional``, and inside a subclassed submodel or custom layer (its Python ``call`` runs as
    it is and the layer's output is recorded on the way; such an extractor is for inspection, not for
    saving). The extractor shares every weight with ``model``. A layer that runs more
    than once (a shared encoder) gives a list with its activation at every call, in call order; end the
    path with ``@N`` for the N-th call only (from 0): ``"encoder/emb@1"``.

    Args:
        model: a built functional or Sequential model, or a subclassed model called once on data (its
            ``call`` is tapped on inputs of the shapes of that first call).
        paths: one path or glob, a list of them (a glob may add several outputs), or a dict
            ``{output name: path}`` for dict outputs. A plain layer name finds that layer at any depth.
        name: the extractor's name (default ``"<model>_extract"``).

    Returns:
        A ``keras.Model``: a single path gives one output, a list gives a list, a dict gives a dict.

    Raises:
        PathError: a path names nothing (the message lists the nearest paths).
        KernestError: the model is not built (a subclassed one never called); a path is inside a subclassed layer
            that sits inside ``over``/``TimeDistributed``, or that its ``call`` never runs.

    Example:
        >>> import keras, kernest
        >>> cnn = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4, name="dense")], name="cnn")
        >>> x = kernest.Input((6, 8), axes=("words", "chars"))
        >>> model = keras.Model(x, kernest.over("words", cnn, name="per_word")(x))
        >>> tuple(kernest.extract(model, "per_word/cnn/dense").output.shape)
        (None, 6, 4)
    """
    wrapper = functional_around(model) if is_subclassed(model) else None
    if wrapper is not None:  # a built subclassed model: tap its Python call() as inside a functional model
        entries = list(walk(model, root(model)))
        for path in _listed(paths):
            if not is_glob(path):
                find(model, path, entries)  # a path the model lacks is told in the model's own names
        return extract(wrapper, _under(str(model.name), paths), name=name or f"{model.name}_extract")
    require_graph(model, "extract from", (
        f"Call it on data once (model(x)) so its input shapes are known, or extract from a functional "
        f"submodel it holds{attribute_example(model, 'kernest.extract({}, {})')}."))
    top = root(model)
    entries = list(walk(model, top))
    names = _Names({e.name for e in entries} | {str(model.name)})
    requests = _requests(model, paths, entries)
    chains = [e.chain() for *_, found in requests for e in found]
    _, acts = _run(model, top.children, chains, names)  # one pass through the graph computes them all

    outputs = _outputs(paths, requests, acts)
    return keras.Model(input_struct(model), outputs, name=name or f"{model.name}_extract")


def _listed(paths: Any) -> list[str]:
    """The paths of ``extract``'s argument: one, a list of them or a dict of them."""
    if isinstance(paths, str):
        return [paths]
    return [str(p) for p in (paths.values() if isinstance(paths, Mapping) else paths)]


def _under(top: str, paths: Any) -> Any:
    """``paths`` of a model as paths of a functional model that holds it as its one layer ``top``; a plain
    name (no ``/``) finds a layer at any depth already."""
    def one(p: str) -> str:
        return p if SEP not in p else f"{top}{SEP}{p}"

    if isinstance(paths, str):
        return one(paths)
    if isinstance(paths, Mapping):
        return {key: one(p) for key, p in paths.items()}
    return [one(p) for p in paths]


def _outputs(paths: Any, requests: list[Request], acts: list[Groups]) -> Any:
    """The extractor's outputs in the structure ``paths`` was given in: one path gives one output (a glob
    a list), a list gives a flat list, a dict gives a dict."""
    values: list[list[Any]] = []
    for *_, index, found in requests:
        values += [[_value(acts.pop(0), e.path, index) for e in found]]
    if isinstance(paths, str):
        return values[0] if is_glob(paths) else values[0][0]
    if isinstance(paths, Mapping):
        return {key: v[0] for (key, *_), v in zip(requests, values, strict=True)}
    return [v for group in values for v in group]
