"""``check``: walk every interface of a nested model from shapes alone, before any weight exists.

Two kinds of target:

- a *description*: a list of stages (layers, Sequential models, functional models, ``over`` wrappers)
  and an input. Shapes flow through ``compute_output_shape``; no layer is built, so no weight is
  allocated, even for a model far larger than memory.
- a built model. Keras accepted its shapes, but not always rightly: a nested functional model called
  on a tensor of another shape passes at build time (``allow_last_axis_squeeze``) and fails at predict.
  Each call site is compared with the declared inputs of the model it calls, at every depth.

The inner checks record short facts (``Mismatch``); ``check`` raises them together, once, as an
``InterfaceError``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from typing import Any

import keras

from kernest._axes import Axes, Shape, expected_rank_text, fits, format_shape, layer_axes, shape_of
from kernest._axes import _infer as _infer_axes
from kernest._errors import InterfaceError, KernestError, KernestWarning, Mismatch
from kernest._explain import explain
from kernest._graph import (
    PLACEHOLDER_DTYPES,
    as_one_input,
    built_input_shapes,
    calls,
    children,
    format_batch,
    functional_of,
    is_input_layer,
    is_subclassed,
    layer_attributes,
    node_of,
    producer,
)
from kernest._lint import Finding, lint
from kernest._over import Over, child_shape, is_mapper, mapped_axis
from kernest._saving import shared_across_models
from kernest._trace import trace


@dataclass(frozen=True)
class Interface:
    """A tensor that crosses from ``producer`` to ``consumer`` (both nested paths). ``boundary`` is true
    where one side is a submodel or a model input: the interfaces shown by default."""

    producer: str
    consumer: str
    shape: str
    boundary: bool = True
    through: tuple[str, ...] = ()  # keras.ops calls between the two (``x * 2``, ``x[:, 0]``), in data order

    def line(self, width: int = 0, consumer_width: int = 0) -> str:
        ops = f"  (through {', '.join(self.through)})" if self.through else ""
        return f"  {self.producer:<{width}} -> {self.consumer:<{consumer_width}}  {self.shape}{ops}"


@dataclass
class CheckReport:
    """What ``check`` saw: every interface, and warnings about patterns that build but break later."""

    target: str
    interfaces: list[Interface] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    depth: int | None = None

    def shown(self) -> list[Interface]:
        """The interfaces printed: submodel boundaries by default, every one down to ``depth`` if set."""
        if self.depth is None:
            return [i for i in self.interfaces if i.boundary]
        return [i for i in self.interfaces if i.consumer.count("/") < self.depth]

    def __str__(self) -> str:
        shown = self.shown()
        if not self.interfaces:
            head = f"check {self.target}: no interfaces"
        else:
            hidden = len(self.interfaces) - len(shown)
            more = f" ({len(shown)} shown; --depth N or depth=N lists the {hidden} others)" if hidden else ""
            head = f"check {self.target}: {len(self.interfaces)} interfaces, all fit{more}"
        lines = [head]
        width = max((len(i.producer) for i in shown), default=0)
        consumer_width = max((len(i.consumer) for i in shown), default=0)
        lines += [i.line(width, consumer_width) for i in shown]
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from kernest._html import html_table

        rows = [[i.producer, i.consumer, i.shape + (f" (through {', '.join(i.through)})" if i.through else "")]
                for i in self.shown()]
        caption = f"check {self.target}: {len(self.interfaces)} interfaces, all fit"
        return html_table(["producer", "consumer", "shape"], rows, caption=caption,
                          footer=[f"warning: {w}" for w in self.warnings])


@dataclass(frozen=True)
class Sym:
    """A symbolic value flowing through a description: shape, axis names, who made it, and the last
    layer that removed an axis (to say *why* an axis is missing)."""

    shape: Shape
    axes: Axes
    origin: str
    dtype: str = "float32"
    reducer: tuple[str, Shape, Axes] | None = None

    def text(self) -> str:
        return format_batch(self.shape, self.axes)


def join(*parts: str) -> str:
    return "/".join(p for p in parts if p)


# --- description walk ----------------------------------------------------------------------------

class _Walker:
    def __init__(self) -> None:
        self.interfaces: list[Interface] = []
        self.mismatches: list[Mismatch] = []
        self.warnings: list[str] = []
        self.checked_models: set[int] = set()
        self.entered: dict[str, Sym] = {}  # stage path -> the first value it read, to name the axis over() maps

    def fail(self, path: str, interface: str, expected: str, received: str, fix: str) -> None:
        self.mismatches.append(Mismatch(path, interface, expected, received, fix))

    # a value is a Sym, or a list of Syms for multi-input/output stages
    def stage(self, layer: Any, value: Any, prefix: str, top: str) -> Any:
        """Push ``value`` through ``layer``; returns the output value, or None after a mismatch."""
        path = join(prefix, layer.name)
        for sym in _flat(value):
            self.interfaces.append(Interface(sym.origin, path, sym.text()))
            self.entered.setdefault(path, sym)
        if isinstance(layer, keras.Sequential):
            return self.sequential(layer, value, path, top)
        if isinstance(layer, keras.Model) and getattr(layer, "inputs", None):
            return self.functional(layer, value, path, top)
        if is_mapper(layer):
            return self.mapped(layer, value, path, top)
        return self.plain(layer, value, path, top)

    def sequential(self, model: Any, value: Any, path: str, top: str) -> Any:
        if getattr(model, "inputs", None) and not self.declared(model, value, path, top):
            return None
        for layer in model.layers:
            if is_input_layer(layer):
                continue
            value = self.stage(layer, value, path, top)
            if value is None:
                return None
        return _relabel(value, path)

    def functional(self, model: Any, value: Any, path: str, top: str) -> Any:
        if not self.declared(model, value, path, top):
            return _declared_outputs(model, path)
        check_built(model, self, path)
        in_axes = [s.axes for s in _flat(value)]
        in_shapes = [s.shape for s in _flat(value)]
        outs = []
        for i, t in enumerate(model.outputs):
            shape = (None,) + shape_of(t)[1:]
            outs.append(Sym(shape, layer_axes(model, in_axes, in_shapes, shape, i), path, _dtype(t)))
        return outs[0] if len(outs) == 1 else outs

    def declared(self, model: Any, value: Any, path: str, top: str) -> bool:
        """Compare what arrives with the model's declared inputs."""
        got = _flat(value)
        want = list(model.inputs)
        if len(got) != len(want):
            self.fail(
                path, f"{_origin(got)} -> {top}", f"{len(want)} input(s) {[format_shape(shape_of(t)) for t in want]}",
                f"{len(got)} tensor(s) {[s.text() for s in got]}",
                f"give {model.name} exactly {len(want)} input(s), or use kernest.connect to wire outputs to inputs by name.",
            )
            return False
        ok = True
        for sym, t in zip(got, want):
            declared = shape_of(t)
            if not fits(declared, sym.shape):
                d_axes = _infer_axes(t, {})
                self.fail(
                    path, f"{sym.origin} -> {top}", format_shape(declared, d_axes), sym.text(),
                    _declared_fix(model, t, declared, sym),
                )
                ok = False
        return ok

    def mapped(self, layer: Any, value: Any, path: str, top: str) -> Any:
        syms = _flat(value)
        first = syms[0]
        if isinstance(layer, Over):
            k = layer.resolve(first.axes, len(first.shape))
        else:
            k = 1
            if len(first.shape) < 3:
                self.fail(path, f"{first.origin} -> {top}", "(batch, steps, ...)", first.text(),
                          "TimeDistributed maps over axis 1 and needs at least 3 axes; give it a sequence.")
                return None
        inner_in = [Sym(child_shape(s.shape, k), s.axes[k:], s.origin, s.dtype) for s in syms]
        out = self.stage(layer.layer, inner_in[0] if len(inner_in) == 1 else inner_in, path, top)
        if out is None:
            return None
        lead, lead_axes = first.shape[: k + 1], first.axes[:k]
        mapped = [Sym(lead + o.shape[1:], lead_axes + o.axes, path, o.dtype) for o in _flat(out)]
        return mapped[0] if len(mapped) == 1 else mapped

    def plain(self, layer: Any, value: Any, path: str, top: str) -> Any:
        syms = _flat(value)
        problem = _spec_problem(layer, syms)
        if problem is not None:
            expected, sym = problem
            fix = _fix(layer, expected, sym, top, self.entered.get(_stage_of(sym.reducer[0])) if sym.reducer else None)
            self.fail(path, f"{sym.origin} -> {top}", expected, sym.text(), fix)
            return None
        attention = _attention_problem(layer, syms, path)
        if attention is not None:
            self.mismatches.append(attention)
            return None
        shapes = [s.shape for s in syms]
        try:
            out_shape = _output_shape(layer, syms)
        except Exception as exc:  # Keras' own shape rule refused the input
            sym = syms[0]
            self.fail(path, f"{sym.origin} -> {top}", f"an input {layer.name} accepts", " and ".join(s.text() for s in syms),
                      f"make the shapes agree: {_first_line(exc)}")
            return None
        outs = [tuple(s) for s in _shape_list(out_shape)] if _is_multi(out_shape) else [tuple(out_shape)]
        result = []
        for i, shape in enumerate(outs):
            shape = tuple(shape)
            axes = layer_axes(layer, [s.axes for s in syms], shapes, shape, i)
            reducer = syms[0].reducer
            if len(shape) < len(syms[0].shape):
                reducer = (path, syms[0].shape, syms[0].axes)
            dtype = "float32" if isinstance(layer, keras.layers.Embedding) else syms[0].dtype
            result.append(Sym(shape, axes, path, dtype, reducer))
        return result[0] if len(result) == 1 else result


def _output_shape(layer: Any, syms: list[Sym]) -> Any:
    """The layer's output shape(s) for these inputs, by Keras' own shape rule. A layer without one (a
    subclassed layer or model that defines only ``call``) is called on symbolic tensors instead, as Keras
    does when it is called in a functional model: that builds it, so it is the one case that makes weights."""
    shapes = [s.shape for s in syms]
    try:
        return layer.compute_output_shape(shapes[0] if len(shapes) == 1 else shapes)
    except NotImplementedError:
        pass
    tensors = [keras.KerasTensor(s.shape, dtype=s.dtype) for s in syms]
    out = layer(tensors[0] if len(tensors) == 1 else tensors)
    flat = keras.tree.flatten(out)
    return tuple(flat[0].shape) if len(flat) == 1 else [tuple(t.shape) for t in flat]


def _flat(value: Any) -> list[Sym]:
    if value is None:
        return []
    if isinstance(value, Sym):
        return [value]
    if isinstance(value, dict):
        return [v for v in value.values()]
    return list(value)


def _relabel(value: Any, origin: str) -> Any:
    syms = [Sym(s.shape, s.axes, origin, s.dtype, s.reducer) for s in _flat(value)]
    return syms[0] if len(syms) == 1 else syms


def _origin(syms: list[Sym]) -> str:
    return ", ".join(sorted({s.origin for s in syms})) or "input"


def _dtype(t: Any) -> str:
    return str(getattr(t, "dtype", "float32"))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _is_multi(shape: Any) -> bool:
    return isinstance(shape, (list, dict)) or (
        isinstance(shape, tuple) and bool(shape) and isinstance(shape[0], (tuple, list))
    )


def _shape_list(shape: Any) -> list[Any]:
    if isinstance(shape, dict):
        return list(shape.values())
    return list(shape)


def _declared_outputs(model: Any, path: str) -> Any:
    outs = [Sym((None,) + shape_of(t)[1:], _infer_axes(t, {}), path, _dtype(t)) for t in model.outputs]
    return outs[0] if len(outs) == 1 else outs


# --- what a layer expects --------------------------------------------------------------------------

def _spec_problem(layer: Any, syms: list[Sym]) -> tuple[str, Sym] | None:
    """The first input that ``layer``'s InputSpec (or a rule Keras checks late) rejects."""
    spec_layer = layer.forward_layer if isinstance(layer, keras.layers.Bidirectional) else layer
    specs = keras.tree.flatten(spec_layer.input_spec) if spec_layer.input_spec is not None else []
    for spec, sym in zip(specs, syms):
        if spec is None:
            continue
        rank = len(sym.shape)
        if spec.ndim is not None and rank != spec.ndim:
            return expected_rank_text(spec_layer, spec.ndim), sym
        if spec.min_ndim is not None and rank < spec.min_ndim:
            return expected_rank_text(spec_layer, spec.min_ndim), sym
        if spec.max_ndim is not None and rank > spec.max_ndim:
            return f"at most {spec.max_ndim} axes", sym
        for axis, size in (spec.axes or {}).items():
            got = sym.shape[axis] if -rank <= axis < rank else None
            if size is not None and got is not None and got != size:
                return "(batch, ..., " + str(size) + ")", sym
    if isinstance(layer, keras.layers.Dense) and layer.built and syms:
        want = int(layer.kernel.shape[0])
        got = syms[0].shape[-1]
        if got is not None and got != want:
            return f"(batch, ..., {want})", syms[0]
    if isinstance(layer, keras.layers.Embedding) and syms and "float" in syms[0].dtype:
        return f"integer ids {format_shape(syms[0].shape, syms[0].axes)} (int32)", syms[0]
    return None


def _attention_problem(layer: Any, syms: list[Sym], path: str) -> Mismatch | None:
    """A dot-product or additive attention given a query and a key of different widths. Its scores combine
    them feature by feature, but Keras' shape rule does not compare them: the model builds and fails at its
    first call."""
    if not isinstance(layer, (keras.layers.Attention, keras.layers.AdditiveAttention)) or len(syms) < 2:
        return None
    query, key = syms[0], syms[2] if len(syms) > 2 else syms[1]
    have, width = query.shape[-1], key.shape[-1]
    if have is None or width is None or have == width:
        return None
    role = "key" if len(syms) > 2 else "value"
    return Mismatch(
        path, f"{query.origin} -> {path}", f"a query of {width} features like the {role}", query.text(),
        f"{layer.name} scores the query ({query.origin}, {have} features) against the {role} ({key.origin}, "
        f"{width} features) feature by feature, so both need the same width. Project the query with "
        f"keras.layers.Dense({width}) before {layer.name}, or use keras.layers.MultiHeadAttention(num_heads=..., "
        f"key_dim={min(have, width)}), which projects both.",
    )


def _fix(layer: Any, expected: str, sym: Sym, top: str, entered: Sym | None) -> str:
    """One sentence saying how to make ``sym`` fit what ``layer`` expects. ``entered`` is what the stage
    holding the layer that removed an axis read, when one did."""
    rank = len(sym.shape)
    want_rank = expected.count(",") + 1 if expected.startswith("(batch") and "..." not in expected else None
    if expected.startswith("at most "):
        return (
            f"{layer.name} takes {expected} (batch included) but gets {rank}. Apply it per element of the leading "
            f"axes with kernest.over({_over_arg(sym)}, ...), or reduce or reshape axes first."
        )
    if want_rank is not None and rank < want_rank and sym.reducer is not None:
        return _reducer_fix(layer, sym, top, entered)
    if want_rank is not None and rank < want_rank:
        return (
            f"{layer.name} needs {want_rank} axes but gets {rank}. Give it a sequence, "
            f"e.g. keras.layers.Reshape(({sym.shape[-1]}, 1)) before it, or feed it {expected} data."
        )
    if want_rank is not None and rank > want_rank:
        return (
            f"{layer.name} gets one axis too many. Apply it per element with kernest.over({_over_arg(sym)}, ...), "
            f"or reduce an axis first (e.g. GlobalMaxPooling1D)."
        )
    if isinstance(layer, keras.layers.Embedding):
        return "feed integer ids (dtype='int32' in kernest.Input) to the Embedding, or drop the Embedding for float features."
    width = expected.rsplit(", ", 1)[-1].rstrip(")")
    if expected.startswith("(batch") and width.isdigit():
        return (
            f"make {sym.origin} give {expected}, e.g. add keras.layers.Dense({width}) before {layer.name}, or "
            f"rebuild {layer.name} for the width it receives."
        )
    return f"make {sym.origin} give {expected}, or rebuild {layer.name} for the input it receives."


def _over_arg(sym: Sym) -> str:
    """The axis to name in a ``kernest.over`` hint: the first named axis, else position 1."""
    named = next((a for a in sym.axes if a), None)
    return f'"{named}"' if named else "1"


def _stage_of(path: str) -> str:
    return path.split("/", 1)[0]


def _reducer_fix(layer: Any, sym: Sym, top: str, entered: Sym | None) -> str:
    """An axis the layer needs was removed upstream (a Flatten, a global pooling): keep it, or map the
    stage that removed it over the axis it should have kept."""
    assert sym.reducer is not None
    where, before, before_axes = sym.reducer
    inner = _stage_of(where)
    keep = f"{where} removed the steps axis. Drop the {_kind_of_path(where)} so {layer.name} reads {format_shape(before, before_axes)}"
    first = entered.axes[0] if entered is not None and entered.axes else None
    if first:
        return (f'{keep}, or apply {inner} to every {first} element with kernest.over("{first}", {inner}) so '
                f"{top} reads (batch, {first}, features).")
    size = entered.shape[1] if entered is not None and len(entered.shape) > 1 else None
    return (f"{keep}, or, if axis 1 of what {inner} reads is a sequence of items to encode one by one, apply "
            f"{inner} to each with kernest.over(1, {inner}) so {top} reads "
            f"(batch, {'?' if size is None else size}, features).")


def _kind_of_path(path: str) -> str:
    last = path.rsplit("/", 1)[-1].lower()
    if "flatten" in last:
        return "Flatten"
    if "pool" in last:
        return "pooling"
    return f"layer {last}"


def _declared_fix(model: Any, tensor: Any, declared: Shape, sym: Sym) -> str:
    if len(declared) != len(sym.shape):
        return (
            f"{model.name} was built for {len(declared) - 1} non-batch axes but receives {len(sym.shape) - 1}; "
            f"rebuild it with keras.Input({sym.shape[1:]}) or reshape what {sym.origin} gives."
        )
    if "int" in sym.dtype:  # ids: a length to pad or cut, not features to project
        n = declared[-1]
        return (
            f"rebuild {model.name} with keras.Input({sym.shape[1:]}, dtype=\"{sym.dtype}\") (None on the last "
            f"axis takes any length), or cut / zero-pad the ids' last axis to {n} before they reach it "
            f"(ids[..., :{n}] cuts; keras.utils.pad_sequences(rows, maxlen={n}, padding=\"post\") pads rows)."
        )
    return (
        f"rebuild {model.name} with keras.Input({sym.shape[1:]}), or insert keras.layers.Dense({declared[-1]}) "
        f"after {sym.origin} to project {sym.shape[-1]} to {declared[-1]} features."
    )


# --- built models ------------------------------------------------------------------------------------

def check_built(model: Any, walker: _Walker, prefix: str = "") -> None:
    """Every call site in ``model``'s graph, and in the graphs nested in it, against declared inputs."""
    if id(model) in walker.checked_models:
        return
    walker.checked_models.add(id(model))
    env: dict[int, Axes] = {}  # axis names of this graph's tensors, each found once (a DenseNet has 400 calls)
    call_of = _call_numbers(model)
    for call in calls(model):
        layer = call.layer
        path = join(prefix, layer.name)
        for t in call.data_inputs:
            shape = format_batch(shape_of(t), _infer_axes(t, env))
            for made, ops in _made_by(t):
                src: Any = producer(made)  # a layer: _made_by steps over the ops
                src_name = f"input:{src.name}" if is_input_layer(src) else join(prefix, src.name) + call_of.get(id(made), "")
                boundary = _is_container(layer) or _is_container(src) or (is_input_layer(src) and not prefix)
                walker.interfaces.append(Interface(src_name, path, shape, boundary, ops))
        _check_call_site(layer, call, walker, path, env)


def _is_container(layer: Any) -> bool:
    """A model, or a wrapper holding one (``over``, ``TimeDistributed(model)``)."""
    if isinstance(layer, keras.Model):
        return True
    inner = getattr(layer, "layer", None)
    return isinstance(layer, keras.layers.Wrapper) and isinstance(inner, keras.Model)


def _check_call_site(layer: Any, call: Any, walker: _Walker, path: str, env: dict[int, Axes]) -> None:
    target, received, k = layer, list(call.data_inputs), 0
    if is_mapper(layer):
        k, target = mapped_axis(layer), layer.layer
    if isinstance(target, keras.Model) and getattr(target, "inputs", None):
        syms = [
            Sym(child_shape(shape_of(t), k) if k else shape_of(t), _infer_axes(t, env)[k:], _producer_path(t, path))
            for t in received
        ]
        inner_path = join(path, target.name) if target is not layer else path
        walker.declared(target, syms[0] if len(syms) == 1 else syms, inner_path, inner_path)
        check_built(target, walker, inner_path)
    else:
        syms = [Sym(shape_of(t), _infer_axes(t, env), _producer_path(t, path)) for t in received]
        attention = _attention_problem(target, syms, path)
        if attention is not None:
            walker.mismatches.append(attention)
        for name, sub in children(target):
            if isinstance(sub, keras.Model) and getattr(sub, "inputs", None):
                check_built(sub, walker, join(path, name))


def _call_numbers(model: Any) -> dict[int, str]:
    """``@i`` for each output of a layer that ``model``'s graph calls more than once (a shared tower), as
    ``path@i`` names that call elsewhere; nothing for a layer called once."""
    runs: dict[int, list[Any]] = {}
    for call in calls(model):
        runs.setdefault(id(call.layer), []).append(call)
    return {id(t): f"@{i}" for sites in runs.values() if len(sites) > 1
            for i, call in enumerate(sites) for t in call.outputs}


def _made_by(t: Any, memo: dict[int, list[tuple[Any, tuple[str, ...]]]] | None = None
             ) -> list[tuple[Any, tuple[str, ...]]]:
    """The outputs of layers (or inputs) that make ``t``, each with the ``keras.ops`` calls on the way
    (``relu(enc(x)) * 2``: ``enc``'s output through relu, multiply). An interface is between the user's
    layers; an op is part of the edge."""
    memo = {} if memo is None else memo
    if id(t) in memo:
        return memo[id(t)]
    src = producer(t)
    node = node_of(t)
    found: list[tuple[Any, tuple[str, ...]]] = []
    if isinstance(src, keras.layers.Layer):
        found.append((t, ()))
    elif src is not None and node is not None:
        memo[id(t)] = found  # a cycle cannot occur in a graph; this only stops repeated work
        for x in node.input_tensors:
            for made, ops in _made_by(x, memo):
                if all(made is not f for f, _ in found):
                    found.append((made, (*ops, str(src.name))))
    memo[id(t)] = found
    return found


def _producer_path(t: Any, consumer: str) -> str:
    parent = consumer.rsplit("/", 1)[0] if "/" in consumer else ""
    layers: dict[Any, None] = dict.fromkeys(producer(made) for made, _ in _made_by(t))
    names = [f"input:{src.name}" if is_input_layer(src) else join(parent, src.name) for src in layers]
    return ", ".join(names) or "?"


# --- public entry ----------------------------------------------------------------------------------

def check(target: Any, input: Any = None, depth: int | None = None, data: Any = None) -> CheckReport:  # noqa: A002
    """Check every interface of a nested model from shapes alone.

    Args:
        target: a Keras model or layer, or a list of stages (layers, models, ``over`` wrappers).
        input: what flows in: a tensor from ``kernest.Input``/``keras.Input`` (its axis names are used),
            or a shape without the batch axis. Needed for a list of stages and for an unbuilt model.
        depth: list interfaces down to this nesting depth (1: the top level). By default the report
            lists submodel boundaries only; every interface is checked either way.
        data: optional sample input (an array, a list per input, or a dict by name) to compare with what
            the layers take: fractions fed to an Embedding, ids past its range. ``kernest check SCRIPT``
            uses the data the script trains on.

    Returns:
        A ``CheckReport`` listing every interface with producer path, consumer path and shape, and
        warnings for silent problems (trainable changed after compile, a dropped mask, ...).

    Raises:
        InterfaceError: one or more interfaces do not fit; each mismatch has path, interface,
            expected, received and fix, the first one first.
        KernestError: the target is not a model, layer or list of them, or an input is missing.

    Example:
        >>> import keras, kernest
        >>> cnn = keras.Sequential([keras.layers.Conv1D(4, 3), keras.layers.Flatten()], name="char_cnn")
        >>> rnn = keras.Sequential([keras.layers.LSTM(8)], name="word_lstm")
        >>> try:
        ...     kernest.check([cnn, rnn], input=(10, 5))
        ... except kernest.InterfaceError as e:
        ...     print(e.path, "|", e.interface, "|", e.received)
        word_lstm/lstm | char_cnn -> word_lstm | (batch, 32)
    """
    if is_subclassed(target) and input is None and not _has_call(target):
        return _check_held(target, depth)
    if is_subclassed(target):
        return _check_traced(target, input, depth)
    stages, start, name = _normalise(target, input)
    walker = _Walker()
    if stages is None:
        check_built(target, walker)
    else:
        value: Any = start
        for stage in stages:
            value = walker.stage(stage, value, "", stage.name)
            if value is None:
                break
    walker.warnings.extend(_shared_layer_warnings(target))
    if walker.mismatches:
        raise InterfaceError(walker.mismatches, context=f"check({name})")
    walker.warnings.extend(str(f) for f in _failing_raised(lint(target, data), name))
    report = CheckReport(name, walker.interfaces, walker.warnings, depth)
    for w in walker.warnings:
        warnings.warn(w, KernestWarning, stacklevel=2)
    return report


def _failing_raised(findings: list[Finding], name: str) -> list[Finding]:
    """The findings that are risks, after raising those that are certain failures at a later epoch of fit."""
    failing = [f.as_mismatch() for f in findings if f.fails]
    if failing:
        raise InterfaceError(failing, context=f"check({name})")
    return findings


def _has_call(model: Any) -> bool:
    return type(model).call is not keras.Model.call


def _check_held(model: Any, depth: int | None) -> CheckReport:
    """A subclassed model without ``call()`` (keras.io's GAN, trained by its own ``train_step``) is the sum of
    the models it holds: check each of them, its paths under its attribute's layer name."""
    held = [v for _, v in layer_attributes(model) if isinstance(v, keras.Model)]
    if not held:
        raise KernestError(
            f"check() cannot see the shapes of {model.name!r}: {type(model).__name__} has no call() and holds no "
            "model to check. Check the models its train_step uses instead, e.g. kernest.check(generator)."
        )
    interfaces: list[Interface] = []
    found: list[str] = []
    for sub in held:  # each check warns about its own model
        report = check(sub, depth=depth)
        interfaces += [replace(i, producer=i.producer if i.producer.startswith("input") else f"{sub.name}/{i.producer}",
                               consumer=f"{sub.name}/{i.consumer}")
                       for i in report.interfaces]
        found += [w for w in report.warnings if w not in found]
    return CheckReport(model.name, interfaces, found, depth)


def _check_traced(model: Any, input: Any, depth: int | None) -> CheckReport:  # noqa: A002
    """Check a subclassed model by calling it on symbolic inputs under ``trace()``: every layer call
    it makes is an interface; a failure is explained with its nested path."""
    inputs = _symbolic_inputs(model, input)
    with trace() as tracer:
        try:
            model(as_one_input(model, inputs))
        except Exception as exc:  # whatever Keras raised while calling it
            ids = _as_ids(inputs) if input is None else None
            if ids is not None and _runs_on(model, ids):  # built on integer ids (tokens, node indices)
                return _check_traced(model, ids[0] if len(ids) == 1 else ids, depth)
            explained = explain(exc, model)
            if explained is not None:
                raise _relative_to(explained, model.name) from None
            raise KernestError(f"check({model.name}): calling it on {[format_shape(shape_of(t)) for t in inputs]} "
                               f"failed: {_first_line(exc)}") from None
    interfaces = []
    made: dict[int, str] = {}  # id(tensor) -> path of the call that returned it
    top = tracer.calls[0].path + "/" if tracer.calls else ""
    for call in tracer.calls[1:]:  # the first is the model itself
        path = call.path[len(top):] if call.path.startswith(top) else call.path
        for t in call.inputs:
            source = producer(t) if isinstance(t, keras.KerasTensor) else None
            src = made.get(id(t)) or (f"input:{source.name}" if source is not None else "input")
            axes = _infer_axes(t, {}) if isinstance(t, keras.KerasTensor) else None
            interface = Interface(src, path, format_shape(shape_of(t), axes), _is_container(call.layer) or "/" not in path)
            if interface not in interfaces:  # Keras may call the model twice (build, then call)
                interfaces.append(interface)
        for t in call.outputs:
            made.setdefault(id(t), path)  # a nested model's output is its last layer's too: keep the model
    found = [str(f) for f in _failing_raised(lint(model), model.name)]
    for w in found:
        warnings.warn(w, KernestWarning, stacklevel=3)
    return CheckReport(model.name, interfaces, found, depth)


def _as_ids(inputs: list[Any]) -> list[Any] | None:
    """The float placeholders ``inputs`` again as integer ones; None where they are not float."""
    if not all("float" in str(t.dtype) for t in inputs):
        return None
    return [keras.Input(tuple(t.shape[1:]), batch_size=t.shape[0], dtype=PLACEHOLDER_DTYPES[1]) for t in inputs]


def _runs_on(model: Any, inputs: list[Any]) -> bool:
    try:
        model(as_one_input(model, inputs))
    except Exception:  # noqa: BLE001 - it refuses integers too: the float call's failure is the one to explain
        return False
    return True


def _relative_to(err: InterfaceError, top: str) -> InterfaceError:
    """The error with paths relative to the model being checked, as for functional models."""
    prefix = top + "/"
    fixed = [Mismatch(m.path[len(prefix):] if m.path.startswith(prefix) else m.path, m.interface, m.expected,
                      m.received, m.fix) for m in err.mismatches]
    return InterfaceError(fixed, context=f"check({top})")


def _symbolic_inputs(model: Any, input: Any) -> list[Any]:  # noqa: A002
    # JAX traces a subclassed call with jax.eval_shape, which cannot compare a symbolic batch size.
    batch = 2 if keras.backend.backend() == "jax" else None
    if input is not None:
        given = input if isinstance(input, (list, tuple)) and input and not isinstance(input[0], (int, type(None))) else [input]
        return [keras.Input(tuple(t.shape[1:]), batch_size=batch, dtype=t.dtype) if isinstance(t, keras.KerasTensor)
                else keras.Input(tuple(t), batch_size=batch) for t in given]
    shapes = built_input_shapes(model)
    if shapes:
        return [keras.Input(tuple(shape[1:]), batch_size=batch) for shape in shapes]
    data = getattr(model, "_kernest_data", None)  # the arrays fit or predict gave it (JAX keeps no build shapes)
    arrays = list(data) if isinstance(data, (list, tuple)) else [data] if data is not None else []
    if arrays and all(len(getattr(a, "shape", ())) >= 1 for a in arrays):
        return [keras.Input(tuple(a.shape[1:]), batch_size=batch,
                            dtype="int32" if getattr(a, "dtype", None) is not None and a.dtype.kind in "iu" else None)
                for a in arrays]
    raise KernestError(
        f"check() cannot see the shapes of the subclassed model {model.name!r}: it has not been called yet. "
        f"Pass input=, e.g. kernest.check({model.name}, input=keras.Input((16,))), or call the model on data once."
    )


def _normalise(target: Any, input: Any) -> tuple[list[Any] | None, Any, str]:  # noqa: A002
    """(stages, start value, display name); stages is None for a built model checked in place."""
    if isinstance(target, (list, tuple)):
        if not target:
            raise KernestError(
                "check() got an empty list of stages. Pass the models or layers in the order data flows "
                "through them, e.g. check([char_cnn, word_lstm], input=kernest.Input(...))."
            )
        for i, stage in enumerate(target):
            if not isinstance(stage, keras.layers.Layer):
                raise KernestError(
                    f"check() stage {i} is a {type(stage).__name__}, not a Keras model or layer. "
                    "Every stage must be a keras.layers.Layer or keras.Model."
                )
        if input is None:
            raise KernestError(
                "check() of a list of stages needs input=: a kernest.Input(shape, axes=...) tensor or a "
                "shape without the batch axis, e.g. input=(20, 16)."
            )
        return list(target), _start(input), " -> ".join(s.name for s in target)
    if not isinstance(target, keras.layers.Layer):
        raise KernestError(
            f"check() needs a Keras model or layer (or a list of them), but got {type(target).__name__}. "
            "Pass the model itself, e.g. kernest.check(model)."
        )
    if input is not None:
        return [target], _start(input), target.name
    if functional_of(target) is None or not getattr(target, "inputs", None):
        first = _first_model(target)
        if first is not None:  # keras.Sequential([a_built_model, ...]): the inner model declares the inputs
            inputs = list(first.inputs)
            return [target], _start(inputs if len(inputs) > 1 else inputs[0]), target.name
        raise KernestError(
            f"check() cannot see the shapes of {target.name!r}: it is not built and has no declared input. "
            f"Pass the shape of one sample without the batch axis, e.g. kernest.check({target.name}, "
            "input=keras.Input((n_features,))) for rows of features or input=keras.Input((height, width, channels)) "
            f"for images, or start {target.name} with a keras.Input."
        )
    return None, None, target.name


def _first_model(target: keras.layers.Layer) -> keras.Model | None:
    """The built functional model that a Sequential without a declared input starts with, or None."""
    layers = getattr(target, "layers", None) if isinstance(target, keras.Sequential) else None
    first = layers[0] if layers else None
    return first if isinstance(first, keras.Model) and functional_of(first) is not None and first.inputs else None


def _start(input: Any) -> Any:  # noqa: A002
    if isinstance(input, (list, tuple)) and input and not all(d is None or isinstance(d, int) for d in input):
        syms = [_start(i) for i in input]
        return syms
    if isinstance(input, keras.KerasTensor):
        src = producer(input)
        return Sym(shape_of(input), _infer_axes(input, {}), f"input:{getattr(src, 'name', input.name)}", _dtype(input))
    if isinstance(input, (list, tuple)):
        shape = (None,) + tuple(input)
        return Sym(shape, (None,) * len(input), "input")
    raise KernestError(
        f"check() input= must be a kernest.Input/keras.Input tensor or a shape tuple, not {type(input).__name__}."
    )


def _shared_layer_warnings(target: Any) -> list[str]:
    if not isinstance(target, keras.Model):
        return []
    out = []
    for name, paths in shared_across_models(target):
        out.append(
            f"layer {name!r} is shared by more than one model ({', '.join(paths)}); Keras 3 saves "
            "such a model but cannot load it. Keep the shared layer inside one model, or wrap both uses in a submodel."
        )
    return out

