"""``explain``: turn a raw Keras exception into an ``InterfaceError`` with nested path and fix.

Each rule is a regular expression over the message families Keras 3.15 prints at nested-model
interfaces (see shared/KERAS_PITFALLS.md), and a function that builds the ``Mismatch``. Paths come from
the target model where one is given: the layer Keras names is looked up at every depth.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import keras

from kernest._axes import format_shape
from kernest._errors import InterfaceError, KernestError, Mismatch
from kernest._graph import children, producer, root_inputs

Rule = Callable[[re.Match[str], Any, BaseException], Mismatch]


def find_paths(model: Any, name: str, prefix: str = "") -> list[str]:
    """Every path at which a layer called ``name`` sits inside ``model`` (wrappers included)."""
    found = []
    for step, sub in children(model):
        path = f"{prefix}/{step}" if prefix else step
        if step == name:
            found.append(path)
        found.extend(find_paths(sub, name, path))
    return found


def _path(target: Any, name: str) -> str:
    if target is not None and isinstance(target, keras.layers.Layer):
        paths = find_paths(target, name)
        if paths:
            return paths[0]
    return name


def _shape_text(raw: str) -> str:
    dims = [d.strip() for d in raw.strip("()[] ").split(",") if d.strip()]
    shape = tuple(None if d in ("None", "?") else int(d) for d in dims)
    return format_shape(shape)


def _ndim(m: re.Match[str], target: Any, exc: BaseException) -> Mismatch:
    layer, want, got, shape = m.group("layer"), int(m.group("want")), int(m.group("got")), m.group("shape")
    path = _path(target, layer)
    expected = {3: "(batch, steps, features)", 4: "(batch, height, width, channels)"}.get(want, f"{want} axes")
    owner, models = _traceback_models(exc)
    if owner is not None and target is None:
        path = f"{owner.name}/{layer}"
    source = _model_giving(models, shape, exclude=owner)
    reducer = _last_reducer(source) if source is not None and got < want else None
    if source is not None and reducer is not None and owner is not None:
        name, before = reducer
        return Mismatch(
            path, f"{source.name} -> {owner.name}", expected, _shape_text(shape),
            f"{source.name}/{name} removed the steps axis. Drop the {name} so {layer} reads {format_shape(before)}, "
            f'or apply {source.name} per word with kernest.over("words", {source.name}) so {owner.name} reads '
            "(batch, words, features).",
        )
    if got < want:
        fix = (
            f"the tensor reaching {layer} lost an axis: a Flatten or global pooling before it removed the steps "
            f"axis. Drop it so {layer} gets a sequence, or apply the inner model per element with "
            f'kernest.over("words", inner) so the outer model reads (batch, words, features).'
        )
    else:
        fix = (
            f"{layer} gets {got - want} axis(es) too many. Apply it per element with kernest.over(axis, ...) or "
            "reduce an axis first (pooling, Flatten)."
        )
    return Mismatch(path, f"? -> {path.split('/')[0]}", expected, _shape_text(shape), fix)


def _axis_value(m: re.Match[str], target: Any, exc: BaseException) -> Mismatch:
    layer, want, shape = m.group("layer"), m.group("want"), m.group("shape")
    path = _path(target, layer)
    got = _shape_text(shape)
    return Mismatch(
        path, f"? -> {path.split('/')[0]}", f"(batch, ..., {want})", got,
        f"the previous stage gives {shape.split(',')[-1].strip(' )')} features but {layer} was built for {want}: "
        f"add keras.layers.Dense({want}) before it, or rebuild it with keras.Input for the width it receives.",
    )


def _full_shape(m: re.Match[str], target: Any, exc: BaseException) -> Mismatch:
    layer = m.group("layer")
    path = _path(target, layer)
    return Mismatch(
        path, f"? -> {path.split('/')[0]}", _shape_text(m.group("want")), _shape_text(m.group("got")),
        f"declare {layer}'s input with the shape it receives, or project to the declared width with a Dense layer.",
    )


def _disconnected(m: re.Match[str], target: Any, exc: BaseException) -> Mismatch:
    inputs, outputs, name = _model_args_from_traceback(exc)
    where = name or "<model>"
    if inputs is not None and outputs is not None:
        given = keras.tree.flatten(inputs)
        given_names = [getattr(producer(t), "name", "?") for t in given]
        orphans: list[str] = []
        for i, out in enumerate(keras.tree.flatten(outputs)):
            for root in root_inputs(out):
                if all(root is not g for g in given):
                    orphans.append(
                        f"output {i} ({getattr(producer(out), 'name', '?')}) comes from Input "
                        f"{getattr(producer(root), 'name', '?')!r}{_variable_name(exc, root)}"
                    )
        if orphans:
            return Mismatch(
                where, f"inputs -> {where} outputs", f"outputs computed from the inputs {given_names}",
                "; ".join(orphans),
                "build every output from the model's declared input(s), e.g. Dense(32)(x) with the x you pass as "
                "inputs, instead of a new keras.Input(). To take an inner layer's output of a nested model use "
                "kernest.extract(model, paths).",
            )
    return Mismatch(
        where, f"inputs -> {where} outputs", "outputs computed from the given inputs",
        "an output not connected to them",
        "an output was built from a keras.Input that is not among the model's inputs, or is an inner layer's output "
        "of a nested model (get_layer('inner').get_layer('x').output). Reuse the declared input, or use "
        "kernest.extract(model, paths) for inner activations.",
    )


def _arity(m: re.Match[str], target: Any, exc: BaseException) -> Mismatch:
    layer = m.group("layer")
    path = _path(target, layer)
    return Mismatch(
        path, f"? -> {layer}", f"{m.group('want')} input(s)", f"{m.group('got')} input tensor(s)",
        f"give {layer} exactly {m.group('want')} input(s); to feed a multi-output model into a multi-input one, "
        "use kernest.connect(inner, outer), which matches outputs to inputs by name.",
    )


def _structure(m: re.Match[str], target: Any, exc: BaseException) -> Mismatch:
    return Mismatch(
        "<inputs>", "? -> model", "the structure of the model's inputs (list or dict)", "another structure",
        "pass inputs in the same structure the model was built with (a dict with the same keys, or a list in "
        "order), or use kernest.connect to wire outputs to inputs by name.",
    )


def _optimizer(m: re.Match[str], target: Any, exc: BaseException) -> Mismatch:
    return Mismatch(
        "<optimizer>", "model -> optimizer", f"{m.group('was')} trainable variables (as compiled)",
        f"{m.group('now')} trainable variables",
        "trainable was changed after compile(). Recompile the model, or use kernest.freeze/unfreeze(model, "
        "pattern, recompile=True), which recompiles with the same optimizer settings, loss and metrics.",
    )


def _index_range(m: re.Match[str], target: Any, exc: BaseException) -> Mismatch:
    return Mismatch(
        "<embedding>", "data -> embedding", f"ids in [0, {m.group('hi')})", f"id {m.group('id')}",
        f"the data holds id {m.group('id')} but the Embedding has input_dim={m.group('hi')}: raise input_dim to "
        "the vocabulary size (the largest id + 1), or map unknown ids to an out-of-vocabulary id.",
    )


def _dtype(m: re.Match[str], target: Any, exc: BaseException) -> Mismatch:
    return Mismatch(
        "<input>", "data -> model", f"{m.group('to')} values", f"{m.group('frm')} values",
        "feed the dtype the model's Input declares: integer ids for an Embedding, float features otherwise "
        "(set dtype= in kernest.Input, or cast the data).",
    )


def _kernel_rank(m: re.Match[str], target: Any, exc: BaseException) -> Mismatch:
    return Mismatch(
        "<conv>", "? -> conv", f"an input of {len(m.group('kernel').split(','))} axes", _shape_text(m.group("shape")),
        "the convolution got an input without a channel (or time) axis. Add one, e.g. keras.layers.Reshape((28, 28, 1)), "
        "or for a per-step model use kernest.over on (batch, steps, height, width, channels).",
    )


def _to_shape(m: re.Match[str], target: Any, exc: BaseException) -> Mismatch:
    return Mismatch(
        "<sub-model output>", "sub-model -> next layer", "a tensor", f"a one-element list {m.group('value')}",
        "a reloaded sub-model returns a one-element list: take its first element (outputs[0]) or rebuild the "
        "sub-model with a single output tensor instead of a list.",
    )


def _removed_attr(m: re.Match[str], target: Any, exc: BaseException) -> Mismatch:
    return Mismatch(
        f"<{m.group('cls')}>", "user code -> layer", "Keras 3 API", f"the removed attribute {m.group('attr')!r}",
        "Keras 3 removed it: read tensor.shape of the layer's output, call layer.compute_output_shape(shape), "
        "or use kernest.summary(model) to see every shape.",
    )


_LAYER = r"(?:of )?layer ['\"](?P<layer>[^'\"]+)['\"]"
RULES: list[tuple[re.Pattern[str], Rule]] = [
    (re.compile(_LAYER + r" is incompatible with the layer: expected (?:min_|max_)?ndim=(?P<want>\d+), found ndim=(?P<got>\d+)\. Full shape received: (?P<shape>\([^)]*\))"), _ndim),
    (re.compile(_LAYER + r" is incompatible with the layer: expected axis -?\d+ of input shape to have value (?P<want>\d+), but received input with shape (?P<shape>\([^)]*\))"), _axis_value),
    (re.compile(_LAYER + r" is incompatible with the layer: expected shape=(?P<want>\([^)]*\)), found shape=(?P<got>\([^)]*\))"), _full_shape),
    (re.compile(r"is not connected to [`'\"]?inputs|Graph disconnected"), _disconnected),
    (re.compile(r"Layer ['\"](?P<layer>[^'\"]+)['\"] expects (?P<want>\d+) (?:named )?input\(s\).*?received (?P<got>\d+) input"), _arity),
    (re.compile(r"structure of .?inputs.? doesn't match|doesn't match the expected structure"), _structure),
    (re.compile(r"== (?P<now>\d+) whereas the optimizer was built with (?P<was>\d+)"), _optimizer),
    (re.compile(r"indices\[[^\]]*\] = (?P<id>-?\d+) is not in \[0, (?P<hi>\d+)\)"), _index_range),
    (re.compile(r"Cast (?P<frm>\w+) to (?P<to>\w+) is not supported"), _dtype),
    (re.compile(r"Kernel shape must have the same length as input, but received kernel of shape (?P<kernel>\([^)]*\)) and input of shape (?P<shape>\([^)]*\))"), _kernel_rank),
    (re.compile(r"Cannot convert '(?P<value>.*?)' to a shape"), _to_shape),
    (re.compile(r"'(?P<cls>\w+)' object has no attribute '(?P<attr>get_output_at|output_shape|get_input_at|input_shape)'"), _removed_attr),
]


def explain(exc: BaseException, target: Any = None) -> InterfaceError | None:
    """Turn a raw Keras exception into an ``InterfaceError`` with path, expected, received and fix.

    Args:
        exc: the exception Keras raised.
        target: optional model in which to look up the layer Keras names, to give its nested path.

    Returns:
        An ``InterfaceError`` (not raised), or ``None`` when the message is not one kernest knows.

    Example:
        >>> import keras, kernest
        >>> try:
        ...     keras.layers.LSTM(4)(keras.Input((10,)))
        ... except ValueError as e:
        ...     print(kernest.explain(e).expected)
        (batch, steps, features)
    """
    if isinstance(exc, KernestError):
        return exc if isinstance(exc, InterfaceError) else None
    text = str(exc)
    for pattern, rule in RULES:
        m = pattern.search(text)
        if m:
            return InterfaceError([rule(m, target, exc)], context=f"explain({type(exc).__name__})")
    return None


def _traceback_models(exc: BaseException) -> tuple[Any, list[Any]]:
    """The model being built when ``exc`` was raised (outermost first), and the models the user's code
    held in its variables at that moment."""
    owner: Any = None
    models: list[Any] = []
    tb = exc.__traceback__
    while tb is not None:
        local = tb.tb_frame.f_locals
        this = local.get("self")
        if owner is None and isinstance(this, keras.Model) and "site-packages" in tb.tb_frame.f_code.co_filename:
            owner = this
        if "site-packages" not in tb.tb_frame.f_code.co_filename:
            models += [v for v in list(local.values()) if isinstance(v, keras.Model) and all(v is not m for m in models)]
        tb = tb.tb_next
    return owner, models


def _model_giving(models: list[Any], shape: str, exclude: Any) -> Any:
    want = _shape_text(shape)
    for model in models:
        try:
            outputs = model.outputs
        except (AttributeError, ValueError):
            continue
        if model is not exclude and len(outputs) == 1 and format_shape(tuple(outputs[0].shape)) == want:
            return model
    return None


def _last_reducer(model: Any) -> tuple[str, tuple[int | None, ...]] | None:
    """The last Flatten or global pooling in ``model`` and the shape that went into it."""
    for layer in reversed(model.layers):
        if isinstance(layer, (keras.layers.Flatten, keras.layers.GlobalMaxPooling1D, keras.layers.GlobalAveragePooling1D)):
            return layer.name, tuple(layer.input.shape)
    return None


def _model_args_from_traceback(exc: BaseException) -> tuple[Any, Any, str | None]:
    """The ``inputs``, ``outputs`` and ``name`` a failing ``keras.Model(...)`` call was given, read from
    the frames of its constructor."""
    tb = exc.__traceback__
    found: tuple[Any, Any, str | None] = (None, None, None)
    while tb is not None:
        local = tb.tb_frame.f_locals
        if "inputs" in local and "outputs" in local and isinstance(local.get("self"), keras.Model):
            name = local.get("name") or (local.get("kwargs") or {}).get("name")
            if found[0] is None:  # the outermost constructor holds the arguments as the user gave them
                found = (local["inputs"], local["outputs"], found[2])
            if found[2] is None and isinstance(name, str):
                found = (found[0], found[1], name)
        tb = tb.tb_next
    return found


def _variable_name(exc: BaseException, tensor: Any) -> str:
    """`` (variable `x` in file.py)`` for the user's variable holding ``tensor``, if one is found."""
    tb = exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if "site-packages" not in frame.f_code.co_filename:
            for name, value in frame.f_locals.items():
                if value is tensor:
                    return f" (variable `{name}` in {frame.f_code.co_filename.rsplit('/', 1)[-1]})"
        tb = tb.tb_next
    return ""

