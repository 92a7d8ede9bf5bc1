"""``kernest.replace``: a new model with the submodel or layer at a nested path swapped.

Shapes first: the new part's input and output are checked against the shapes at every call site of
the old part before anything is built; a mismatch is an ``InterfaceError`` naming the interface.
A part that feeds a model output may change it (a head with another number of classes). Then each
functional graph on the way down is re-run with the new part in place: the parents are rebuilt as new
functional models (wrappers as new wrappers with the same axis). By default they are built from a copy
of the model (``clone_model`` plus its weights), so the original keeps its own layers; ``share=True``
re-uses the original layer objects (the same variables, the same trainable flags).
"""

from __future__ import annotations

import tempfile
from typing import Any

import keras

from kernest._axes import Axes, Shape, axes_of, fits, layer_axes, shape_of
from kernest._errors import InterfaceError, KernestError, Mismatch
from kernest._graph import (
    SEP,
    Entry,
    Site,
    attribute_example,
    call_again,
    find_layer,
    graph_calls,
    graph_inputs,
    input_struct,
    layer_attributes,
    layers,
    output_struct,
    require_graph,
    var_name,
    walk,
)
from kernest._over import Over
from kernest._paths import find, split_call
from kernest._saving import build_sublayers, carry_functions, copying

MODEL_OUTPUT = "the model's output"


def _neighbour(entry: Entry, upstream: bool) -> str:
    """The path of what feeds ``entry`` (``upstream``) or what reads its output, found in the nearest
    enclosing functional graph; the model's input or output at the top."""
    for e in reversed(entry.chain()):
        parent = e.parent
        assert parent is not None  # every entry of a chain is inside the model
        names = [edge.producer if upstream else edge.consumer for edge in parent.edges
                 if (edge.consumer if upstream else edge.producer) == e.name]
        if names:
            return f"{parent.path}{SEP}{names[0]}" if parent.path else names[0]
    return "the model's input" if upstream else MODEL_OUTPUT


def _new_inputs(new: Any) -> list[tuple[Shape, Axes]] | None:
    inputs = graph_inputs(new)
    if inputs is None:
        return None
    return [(shape_of(t), axes_of(t)) for t in inputs]


def _check(entry: Entry, new: Any, call_index: int | None = None) -> None:
    """Raise ``InterfaceError`` if ``new`` cannot take ``entry``'s place (at every call, or at the one
    ``call_index`` names), judged from shapes alone."""
    name = getattr(new, "name", type(new).__name__)
    mismatches: list[Mismatch] = []
    for site in entry.sites if call_index is None else entry.sites[call_index:call_index + 1]:
        if not site.in_shapes:
            continue
        found = _input_mismatches(entry, site, new, name)
        mismatches += found or _output_mismatches(entry, site, new, name)
    if mismatches:
        raise InterfaceError(mismatches, context=f"replace({entry.path!r}, {name!r})")


def _input_mismatches(entry: Entry, site: Site, new: Any, name: str) -> list[Mismatch]:
    """Whether ``new``'s declared inputs (a functional model's) take what the old part got."""
    wanted = _new_inputs(new)
    if wanted is None:
        return []
    producer = _neighbour(entry, upstream=True)
    if len(wanted) != len(site.in_shapes):
        return [Mismatch(
            entry.path, f"{producer} -> {entry.path}", f"{len(wanted)} input(s)", f"{len(site.in_shapes)} input(s)",
            f"give {name!r} one keras.Input per input the old part took ({len(site.in_shapes)}).",
        )]
    return [
        Mismatch(entry.path, f"{producer} -> {entry.path}", entry.format(w_shape, w_axes),
                 entry.format(received, axes),
                 f"build {name!r} on keras.Input({received[1:]}) so that it takes what {producer} gives.")
        for (w_shape, w_axes), received, axes in zip(wanted, site.in_shapes, site.in_axes, strict=True)
        if not fits(w_shape, received)
    ]


def _output_mismatches(entry: Entry, site: Site, new: Any, name: str) -> list[Mismatch]:
    """Whether ``new`` accepts the old input and gives what the layers after it read."""
    received_arg: Any = site.in_shapes[0] if len(site.in_shapes) == 1 else site.in_shapes
    try:
        outs = _shapes(_output_shape(new, received_arg))
    except Exception as err:  # the layer itself says it cannot take this input
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return [Mismatch(
            entry.path, f"{_neighbour(entry, upstream=True)} -> {entry.path}", f"an input {name!r} accepts ({reason})",
            entry.shape_text(site, "in"), f"make {name!r} accept {entry.shape_text(site, 'in')}.",
        )]
    consumer = _neighbour(entry, upstream=False)
    if consumer == MODEL_OUTPUT:
        return []  # a part that feeds a model output may change that output (a new number of classes)
    if len(outs) == len(site.out_shapes) and all(fits(o, n) for o, n in zip(site.out_shapes, outs, strict=False)):
        return []
    new_axes = [layer_axes(new, site.in_axes, site.in_shapes, o) for o in outs]
    return [Mismatch(
        entry.path, f"{entry.path} -> {consumer}", entry.shape_text(site, "out"),
        ", ".join(entry.format(o, a) for o, a in zip(outs, new_axes, strict=False)),
        f"make {name!r} output {entry.shape_text(site, 'out')} as the old part did, or replace {consumer} too.",
    )]


def _output_shape(new: Any, received: Any) -> Any:
    """``new.compute_output_shape``; a subclassed layer or model that lacks one is traced symbolically. A
    layer not built yet (whose ``build()`` makes its weights from the input shape) is asked through a copy,
    built as Keras will build it, so ``new`` stays unbuilt when the check fails."""
    probe = _unbuilt_copy(new)
    if probe is not None:
        specs = [keras.KerasTensor(s) for s in received] if not _is_shape(received) else keras.KerasTensor(received)
        return keras.tree.map_structure(lambda t: tuple(t.shape), probe(specs))
    try:
        return new.compute_output_shape(received)
    except NotImplementedError:
        specs = [keras.KerasTensor(s) for s in received] if not _is_shape(received) else keras.KerasTensor(received)
        return keras.tree.map_structure(lambda t: tuple(t.shape), new.compute_output_spec(specs))


def _unbuilt_copy(new: Any) -> Any:
    """A fresh copy of an unbuilt layer from its config, or None (built, or not copyable)."""
    if getattr(new, "built", True) or isinstance(new, keras.Model):
        return None
    try:
        return type(new).from_config(new.get_config())
    except Exception:  # a layer whose config does not rebuild it: ask the layer itself
        return None


def _is_shape(value: Any) -> bool:
    return isinstance(value, (tuple, list)) and all(d is None or isinstance(d, int) for d in value)


def _shapes(out: Any) -> list[Shape]:
    """``compute_output_shape``'s answer (a shape, a list or a dict of shapes) as a flat list, a dict's in
    the order of its sorted keys, as ``keras.tree.flatten`` lists a call's outputs."""
    if _is_shape(out):
        return [tuple(out)]
    values = [out[k] for k in sorted(out)] if isinstance(out, dict) else out
    return [s for v in values for s in _shapes(v)]


def _keep_or_rerun(call: Any, tensors: dict[int, Any]) -> None:
    if all(tensors.get(id(t)) is t for t in call.inputs):
        tensors.update((id(t), t) for t in call.outputs)  # upstream of the change: keep as is
    else:
        call_again(call, tensors)


def _rebuild(entry_layer: Any, chain: list[Entry], new: Any, call_index: int | None = None) -> Any:
    """A copy of ``entry_layer`` (same name, same sublayer objects) with ``chain[-1]`` replaced by ``new``
    (at its ``call_index``-th call only, if given); ``chain`` starts at a child of ``entry_layer``."""
    first = chain[0]
    replacement = new if len(chain) == 1 else _rebuild(first.layer, chain[1:], new, call_index)
    only = call_index if len(chain) == 1 else None
    calls = graph_calls(entry_layer)
    if calls is not None:
        tensors = {id(t): t for t in graph_inputs(entry_layer) or []}
        seen = 0
        for call in calls:
            if call.layer is first.layer and (only is None or seen == only):
                seen += 1
                call_again(call, tensors, layer=replacement)
            elif only is None and call.layer is not first.layer and find_layer(first.layer, call.layer):
                # a layer of the replaced part called outside it too (a tied head): the new part's layer there
                call_again(call, tensors, layer=_counterpart(first.layer, call.layer, replacement))
            elif call.layer is first.layer:
                seen += 1
                _keep_or_rerun(call, tensors)
            else:
                _keep_or_rerun(call, tensors)
        outputs = keras.tree.map_structure(lambda t: tensors[id(t)], output_struct(entry_layer))
        return keras.Model(input_struct(entry_layer), outputs, name=entry_layer.name,
                           trainable=entry_layer.trainable)
    if isinstance(entry_layer, Over):
        return Over(replacement, axis=entry_layer.axis, axis_index=entry_layer.axis_index,
                    mask_padding=entry_layer.mask_padding, name=entry_layer.name)
    if isinstance(entry_layer, keras.layers.TimeDistributed):
        return keras.layers.TimeDistributed(replacement, name=entry_layer.name)
    raise KernestError(
        f"Cannot replace {chain[-1].path!r}: its parent {entry_layer.name!r} ({type(entry_layer).__name__}) "
        "is not a functional model or an over/TimeDistributed wrapper, so it cannot be rebuilt around a new "
        f"part. Replace {entry_layer.name!r} as a whole instead."
    )


def _counterpart(old: Any, layer: Any, new: Any) -> Any:
    """The layer of ``new`` at the path ``layer`` has inside ``old``."""
    path = find_layer(old, layer)
    found = dict(layers(new)).get(path) if path else None
    if found is None or type(found) is not type(layer):
        raise KernestError(
            f"Cannot replace {old.name!r} with {getattr(new, 'name', new)!r}: the model also calls {layer.name!r}, a "
            f"layer of {old.name!r} (at {old.name}/{path}), outside it, and {getattr(new, 'name', 'the new part')!r} "
            f"has no {type(layer).__name__} at {path!r} to take that call. Give the new part that layer, or rebuild "
            "the model around the new part."
        )
    return found


def _subclassed_advice(model: Any) -> str:
    cls, var = type(model).__name__, var_name(model)
    kept = sorted((k for k, _ in layer_attributes(model)), key=lambda k: not isinstance(getattr(model, k), keras.Model))
    copy = (f" (new.{kept[0]}.set_weights({var}.{kept[0]}.get_weights()))" if kept else "")
    inside = attribute_example(model, "kernest.replace({}, {}, ...)")
    return (
        f"Keras refuses new layers on a built model. Create a new {cls} whose __init__ makes the new part "
        f"(for a head, e.g. with another number of classes), call it once on data to build it, and copy the weights "
        f"you keep{copy}." + (f" To change a functional submodel it holds, call kernest.replace on that "
                              f"submodel{inside}." if inside else "")
    )


def _every_layer(layer: Any) -> list[Any]:
    """``layer`` and every layer inside it, in Keras' own (deterministic) order."""
    return list(layer._flatten_layers(include_self=True, recursive=True))


def _carry_state(old: keras.Model, new: keras.Model) -> None:
    """What ``set_weights`` leaves behind: the functions a config names as others (``keras.ops.gelu`` read
    back as ``keras.activations.gelu``), an adapted vocabulary (an asset, not a weight) and the mean and
    variance a ``Normalization`` computes from its weights once they are loaded (``finalize_state``)."""
    before, after = _every_layer(old), _every_layer(new)
    pairs = list(zip(before, after, strict=False))
    if len(before) != len(after) or any(type(a) is not type(b) for a, b in pairs):
        return  # not the same structure: leave it to Keras (names may differ: a MultiHeadAttention names its
        # own dropout and softmax anew in each copy)
    for a, b in pairs:
        if a is b:  # the part being replaced, left uncopied
            continue
        carry_functions(a, b)
        if hasattr(a, "save_assets") and hasattr(b, "load_assets"):
            with tempfile.TemporaryDirectory() as folder:
                a.save_assets(folder)
                b.load_assets(folder)
        if b.built and callable(getattr(b, "finalize_state", None)):
            b.finalize_state()


def _copy(model: keras.Model, keep: Any = None) -> keras.Model:
    """A copy of ``model`` with new layer objects holding the same weights, state and trainable flags;
    ``keep``, one of its own layers about to be swapped out, is not copied (a backbone takes seconds)."""

    # a layer of one of its submodels that the model also calls itself (a tied LM head calls the backbone's
    # token embedding) is, in the copy, the copied submodel's own layer: cloned alone, the copy would have two
    inside = {id(sub): (owner, path) for owner in reversed(getattr(model, "layers", []))
              for path, sub in layers(owner) if sub is not owner}
    made: dict[int, Any] = {}

    def clone(layer: Any) -> Any:
        if id(layer) not in made:
            if id(layer) in inside:
                owner, path = inside[id(layer)]
                made[id(layer)] = dict(layers(clone(owner)))[path]
            else:
                made[id(layer)] = layer if layer is keep else layer.__class__.from_config(layer.get_config())
        return made[id(layer)]

    try:
        # the copy is built on the original's input tensors, so their axis names stay. Safe mode guards
        # against code in a file; this config comes from the user's own live model (a Lambda included).
        inputs = None if isinstance(model, keras.Sequential) else model.input
        from kernest._saving import carried_arguments

        with copying(model), carried_arguments(model):
            try:
                copy = keras.models.clone_model(model, input_tensors=inputs, clone_function=clone)
            except Exception:  # a layer whose config does not rebuild it: its model's own config might
                copy = _copy_from_own_config(model)
        if len(copy.weights) != len(model.weights):
            build_sublayers(copy)
        copy.set_weights(model.get_weights())
        _carry_state(model, copy)
    except Exception as err:  # e.g. one layer object inside two models: the clone has two
        from kernest._saving import shared_across_models

        shared = shared_across_models(model)
        if shared:
            name, paths = shared[0]
            raise KernestError(
                f"replace: cannot copy {model.name!r} to keep the original apart: it holds one layer object, "
                f"{name!r}, at {' and '.join(paths)}, and a copy would split it in two. Pass share=True to build "
                "the new model from the original layer objects (they then share weights and trainable flags)."
            ) from None
        raise KernestError(
            f"replace: cannot copy {model.name!r} to keep the original apart ({str(err).strip().splitlines()[0]}). "
            "Pass share=True to build the new model from the original layer objects (they then share weights "
            "and trainable flags)."
        ) from None
    return copy


def _copy_from_own_config(model: keras.Model) -> keras.Model:
    """A copy made by the model's class from the model's config, with its trainable flags. A keras-hub backbone
    rebuilds its layers from its own arguments; some of its layers' configs cannot rebuild them alone."""
    copy = type(model).from_config(model.get_config())
    old, new = _every_layer(model), _every_layer(copy)
    if [type(a) for a in old] != [type(b) for b in new]:
        raise ValueError(f"{type(model).__name__}.from_config builds another structure")
    for a, b in zip(old, new, strict=True):
        b.trainable = a.trainable
    return copy


def _target(model: Any, path: str, entries: list[Entry]) -> Entry:
    hits = find(model, path, entries)
    if len({id(e.layer) for e in hits}) != 1:
        raise KernestError(
            f"replace: {path!r} matches {len(hits)} paths ({', '.join(e.path for e in hits[:6])}); "
            "give one path."
        )
    return hits[0]


def _check_call_index(target: Entry, spec: str, call_index: int | None) -> None:
    """``@N`` picks one call of a part whose parents each run once; say so when that is not the case."""
    if call_index is None:
        return
    shared_above = [e for e in target.chain()[:-1] if len(e.sites) > 1]
    if shared_above:
        above = shared_above[-1]
        raise KernestError(
            f"replace({spec!r}): {above.path!r} runs {len(above.sites)} times, so '@N' on a part inside it is "
            f"ambiguous. Replace '{above.path}@N' as a whole, or leave '@N' off to replace {target.path!r} in "
            "every call."
        )
    if call_index >= len(target.sites):
        raise KernestError(
            f"replace({spec!r}): {target.path!r} runs {len(target.sites)} time(s), so its calls are "
            f"{', '.join(f'@{i}' for i in range(len(target.sites)))}. Pick one, or leave '@N' off for all."
        )


def _rebuild_explained(model: Any, target: Entry, new: Any, call_index: int | None) -> keras.Model:
    try:
        return _rebuild(model, target.chain(), new, call_index)
    except KernestError:
        raise
    except Exception as err:  # Keras found a problem the shape check could not see
        reason = str(err).strip().splitlines()[0]
        if "names should be unique" in reason:  # e.g. a copy of a shared tower, replacing one of its calls
            reason += (f" The old part stays at its other calls (or another layer has that name): give the new "
                       f"one its own name first, e.g. new.name = '{getattr(new, 'name', 'new')}_2'.")
        raise KernestError(
            f"replace({target.path!r}): Keras could not rebuild the model with {getattr(new, 'name', new)!r} "
            f"in place of {target.name!r}: {reason}"
        ) from None


def replace(model: keras.Model, path: str, new: keras.layers.Layer, *, share: bool = False) -> keras.Model:
    """A NEW model in which the submodel or layer at ``path`` is ``new``; the original is left as it was.

    By default the new model holds copies of the original's other layers, with the same weights and
    trainable flags: training or freezing one model leaves the other alone. ``share=True`` re-uses the
    original layer objects instead (no copy, so the two models share weights and trainable flags).
    ``new`` itself goes in as given. A part that feeds a model output may change that output, e.g. a head
    with a different number of classes; every other interface must fit. Parents along the path are
    rebuilt as functional models with their old names. A shared part is replaced at every call; end
    the path with ``@N`` to replace its N-th call only (from 0), e.g. ``"encoder@1"``.

    Args:
        model: a built functional or Sequential model.
        path: where to swap, e.g. ``per_word/char_cnn`` or ``per_word/char_cnn/conv`` (a glob must match
            exactly one layer; a plain name finds a layer at any depth).
        new: the new layer or model. Inside ``over`` it sees one element, e.g. ``(batch, chars)``.
        share: build from the original layer objects instead of copies.

    Returns:
        A new ``keras.Model`` with the same inputs (and the same outputs unless ``new`` feeds one).

    Raises:
        PathError: nothing at ``path``.
        InterfaceError: ``new`` does not take the input the old part got, or does not give the output
            the layers after it expect (checked from shapes, before anything is built).
        KernestError: ``path`` is inside a layer that cannot be rebuilt (a ``Bidirectional``, a custom
            layer), or the model is subclassed or not built (the message says what to do instead).

    Example:
        >>> import keras, kernest
        >>> a = keras.Input((4,), name="a")
        >>> inner = keras.Model(a, keras.layers.Dense(3, name="dense")(a), name="inner")
        >>> b = keras.Input((4,), name="b")
        >>> outer = keras.Model(b, keras.layers.Dense(5, name="head")(inner(b)), name="outer")
        >>> bigger = kernest.replace(outer, "inner/dense", keras.layers.Dense(3, activation="relu", name="relu3"))
        >>> kernest.paths(bigger)
        ['inner', 'inner/relu3', 'head']
        >>> tuple(kernest.replace(outer, "head", keras.layers.Dense(2)).output.shape)  # fewer classes
        (None, 2)
    """
    require_graph(model, "replace inside", _subclassed_advice(model))
    if not isinstance(new, keras.layers.Layer):
        raise KernestError(f"replace(..., new) needs a Keras layer or model, got {type(new).__name__}.")
    plain, call_index = split_call(path)
    target = _target(model, plain, list(walk(model)))
    _check_call_index(target, path, call_index)
    _check(target, new, call_index)
    whole = call_index is None and len(target.chain()) == 1  # one of the model's own layers, at every call
    base = model if share else _copy(model, keep=target.layer if whole else None)
    _finalize_state(new)
    return _rebuild_explained(base, _target(base, plain, list(walk(base))), new, call_index)


def _finalize_state(new: Any) -> None:
    """The state a layer derives from its weights, brought up to date: weights given to a copy with
    ``set_weights`` (``clone_model`` then ``set_weights``) reach an adapted ``Normalization``'s mean and
    variance only through ``finalize_state``, as when Keras loads a file."""
    for layer in _every_layer(new):
        if layer.built and callable(getattr(layer, "finalize_state", None)):
            layer.finalize_state()
