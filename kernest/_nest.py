"""``nest`` and ``connect``: build plain functional ``keras.Model``s out of models, checked first.

``nest(char_cnn_over_words, word_lstm, input=x)`` runs ``check`` on the stages before anything is
built, then calls them in order. ``connect(inner, outer)`` wires a multi-output model into a multi-input
model by name, by order where no names match, and names the result's outputs uniquely by path (Keras
3.15 gives a nested multi-output model duplicate ``output_names``, so per-output losses fail).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import keras

from kernest._axes import _ATTR, axes_of, shape_of
from kernest._check import Sym, _Walker, check
from kernest._errors import InterfaceError, KernestError
from kernest._graph import input_keys, output_keys, producer


def nest(*stages: Any, input: Any = None, name: str | None = None) -> keras.Model:  # noqa: A002
    """Chain models and layers into one functional model, checking every interface first.

    Args:
        *stages: models or layers, in the order data flows through them (``kernest.over(...)`` too).
        input: a ``kernest.Input``/``keras.Input`` tensor, or a shape without the batch axis. By default, the
            input the first stage was built with (a model of one input).
        name: the model's name.

    Returns:
        A plain ``keras.Model``.

    Raises:
        InterfaceError: an interface does not fit (nothing is built then).
        KernestError: no stages, a stage that is not a layer, or no usable input.

    Example:
        >>> import keras, kernest
        >>> inner = keras.Sequential([keras.Input((10,)), keras.layers.Dense(32)], name="inner")
        >>> outer = keras.Sequential([keras.Input((32,)), keras.layers.Dense(1)], name="outer")
        >>> m = kernest.nest(inner, outer, input=kernest.Input((10,), axes=("features",)), name="mlp")
        >>> m.output_shape
        (None, 1)
    """
    if not stages:
        raise KernestError(
            "nest() got no stages. Pass the models or layers in order, e.g. "
            "kernest.nest(kernest.over('words', char_cnn), word_lstm, input=x)."
        )
    if input is None:
        input = _first_input(stages[0])  # noqa: A001
    tensor = input if isinstance(input, keras.KerasTensor) else None
    if tensor is None:
        if not isinstance(input, (tuple, list)) or not all(d is None or isinstance(d, int) for d in input):
            raise KernestError(
                f"nest() input= must be a kernest.Input/keras.Input tensor or a shape tuple, not {input!r}."
            )
        tensor = keras.Input(tuple(input))
    try:
        check(list(stages), input=tensor)
    except InterfaceError as exc:  # name the user's call, not the check it made
        raise InterfaceError(exc.mismatches, context=f"nest({', '.join(s.name for s in stages)})") from None
    x = tensor
    for stage in stages:
        with warnings.catch_warnings():
            # A nested model does consume the mask it is given (Functional.call applies it to its inputs);
            # Keras only warns that the model's *output* carries none.
            warnings.filterwarnings("ignore", message=".*does not support masking.*")
            x = stage(x)
    return keras.Model(tensor, x, name=name)


@dataclass(frozen=True)
class Wire:
    """One output of the inner model feeding one input of the outer model, and how they were matched."""

    output: str
    input: str
    by: str  # "name" or "order"

    def __str__(self) -> str:
        return f"{self.output} -> {self.input} (by {self.by})"


def _output_names(model: Any) -> list[str]:
    """Names of ``model``'s outputs, in the order of ``model.outputs``: dict keys, else producing layers."""
    if isinstance(model, _Side):
        return model.output_names
    return output_keys(model) or [getattr(producer(t), "name", "?") for t in model.outputs]


def _input_names(model: Any) -> list[str]:
    return input_keys(model) or [getattr(producer(t), "name", "?") for t in model.inputs]


def match(inner: Any, outer: Any) -> list[Wire]:
    """Pair inner outputs with outer inputs: equal names first, then the rest in order."""
    outs, ins = _output_names(inner), _input_names(outer)
    if len(outs) != len(ins):
        raise InterfaceError(
            [_count_mismatch(inner, outer, outs, ins)], context=f"connect({inner.name}, {outer.name})"
        )
    wires: dict[str, Wire] = {n: Wire(n, n, "name") for n in ins if n in outs}
    rest_out = [o for o in outs if o not in wires]
    for n, o in zip([n for n in ins if n not in wires], rest_out):
        wires[n] = Wire(o, n, "order")
    return [wires[n] for n in ins]


def _count_mismatch(inner: Any, outer: Any, outs: list[str], ins: list[str]) -> Any:
    from kernest._errors import Mismatch

    return Mismatch(
        outer.name, f"{inner.name} -> {outer.name}", f"{len(ins)} input(s) {ins}", f"{len(outs)} output(s) {outs}",
        f"make {inner.name} return one output per input of {outer.name}, or wire them by hand.",
    )


def _first_input(stage: Any) -> Any:
    """A fresh Input like the one the first stage was built with, for ``nest`` called without ``input=``."""
    declared = getattr(stage, "inputs", None) if isinstance(stage, keras.Model) else None
    if not declared or len(declared) != 1:
        raise KernestError(
            f"nest() needs input=: its first stage {getattr(stage, 'name', stage)!r} declares "
            f"{'no input' if not declared else f'{len(declared)} inputs'}, so the input cannot be taken from it. "
            "Pass one, e.g. kernest.nest(..., input=kernest.Input((10,), axes=('features',)))."
        )
    return keras.Input(batch_shape=tuple(declared[0].shape), dtype=declared[0].dtype)


def connect(inner: Any, outer: Any, name: str | None = None) -> keras.Model:
    """Feed a multi-output model (or several models side by side) into a multi-input model, by name.

    Outputs and inputs with equal names are wired together; the rest are wired in order. The result's
    ``.wiring`` lists each pair and how it was matched. Its outputs are named by path
    (``<outer>_<output layer>``), unique even where the outer model reuses names; dict outputs keep
    their keys.

    ``inner`` may be a list of models that run side by side on the same inputs (towers): inputs with
    the same name are one input of the result, and a tower with one output offers it under the tower's
    name, so ``connect([deep, wide], head)`` feeds the towers into the ``head`` inputs named ``deep`` and
    ``wide``. The towers and the head stay direct children of the result (paths ``deep/...``).

    Args:
        inner: a functional model with one or more outputs, or a list of them.
        outer: a functional model with as many inputs.
        name: the result's name (default ``<inner>_to_<outer>``).

    Returns:
        A plain ``keras.Model`` taking ``inner``'s inputs.

    Raises:
        InterfaceError: the counts differ, or an output's shape does not fit its input.
        KernestError: either model is not a built functional model.

    Example:
        >>> import keras, kernest
        >>> x = keras.Input((10,), name="x")
        >>> inner = keras.Model(x, [keras.layers.Dense(32, name="wide")(x), keras.layers.Dense(16, name="narrow")(x)])
        >>> a, b = keras.Input((32,), name="wide"), keras.Input((16,), name="narrow")
        >>> y = keras.layers.Dense(1, name="out")(keras.layers.Concatenate()([a, b]))
        >>> outer = keras.Model([a, b], y, name="head")
        >>> m = kernest.connect(inner, outer)
        >>> [str(w) for w in m.wiring]
        ['wide -> wide (by name)', 'narrow -> narrow (by name)']
    """
    if isinstance(inner, (list, tuple)):
        inner = _Side(inner)
    _require_functional(inner, outer)
    wires = match(inner, outer)
    _check_wires(inner, outer, wires)
    model = _wire(inner, outer, wires, name or f"{inner.name}_to_{outer.name}")
    model.wiring = wires
    return model


def _require_functional(inner: Any, outer: Any) -> None:
    for role, model in (("inner", inner), ("outer", outer)):
        if not isinstance(model, (keras.Model, _Side)) or not getattr(model, "inputs", None):
            raise KernestError(
                f"connect() {role} must be a built functional keras.Model (made with keras.Input), but got "
                f"{type(model).__name__} {getattr(model, 'name', '')!r}. Build it with keras.Model(inputs, outputs)."
            )


def _check_wires(inner: Any, outer: Any, wires: list[Wire]) -> None:
    """Each wired output against the declared shape of the input it feeds, before anything is built."""
    outs = dict(zip(_output_names(inner), inner.outputs))
    walker = _Walker()
    for wire, declared_in in zip(wires, outer.inputs):
        t = outs[wire.output]
        sym = Sym((None,) + shape_of(t)[1:], axes_of(t), f"{inner.name}/{wire.output}")
        walker.declared(_single_input_view(outer, declared_in), sym, f"{outer.name}/{wire.input}", outer.name)
    if walker.mismatches:
        raise InterfaceError(walker.mismatches, context=f"connect({inner.name}, {outer.name})")


def _wire(inner: Any, outer: Any, wires: list[Wire], name: str) -> keras.Model:
    """Call ``inner`` on fresh inputs and ``outer`` on its outputs as ``wires`` pairs them."""
    inputs = [_fresh_input(t) for t in inner.inputs]
    produced = inner(inputs[0] if len(inputs) == 1 else inputs)
    by_name = dict(produced) if isinstance(produced, dict) else dict(zip(_output_names(inner), keras.tree.flatten(produced)))
    fed = [by_name[w.output] for w in wires]
    result = outer(dict(zip(_input_names(outer), fed)) if input_keys(outer) is not None else fed)
    return keras.Model(inputs[0] if len(inputs) == 1 else inputs, _name_outputs(outer, result), name=name)


class _Side:
    """Models side by side on shared inputs, with the attributes ``connect`` reads from one inner model."""

    def __init__(self, models: Any) -> None:
        models = list(models)
        if not models or not all(isinstance(m, keras.Model) and getattr(m, "inputs", None) for m in models):
            raise KernestError(
                "connect() got a list of inner models, but "
                + ("it is empty" if not models else "not every item is a built functional keras.Model")
                + ". Pass functional models made with keras.Input, e.g. kernest.connect([deep, wide], head)."
            )
        self.models = models
        self.name = "+".join(m.name for m in models)
        self.inputs: list[Any] = []
        by_name: dict[str, Any] = {}
        for m in models:
            for n, t in zip(_input_names(m), m.inputs):
                if n not in by_name:
                    by_name[n] = t
                    self.inputs.append(t)
                elif shape_of(by_name[n])[1:] != shape_of(t)[1:]:
                    raise KernestError(
                        f"connect() towers share the input {n!r} with different shapes: "
                        f"{shape_of(by_name[n])} and {shape_of(t)} (in {m.name}). Give the towers one input "
                        "shape, or name their inputs differently."
                    )
        self._input_names = list(by_name)
        # each tower's output names, in the order the towers were given, which wiring by order follows
        self._groups = [[m.name] if len(m.outputs) == 1 else [f"{m.name}_{n}" for n in _output_names(m)]
                        for m in models]
        self.output_names = [n for names in self._groups for n in names]
        self.outputs = [t for m in models for t in m.outputs]

    def __call__(self, inputs: Any) -> dict[str, Any]:
        given = dict(zip(self._input_names, inputs if isinstance(inputs, list) else [inputs]))
        out: dict[str, Any] = {}
        for m, names in zip(self.models, self._groups):
            x = [given[n] for n in _input_names(m)]
            y = keras.tree.flatten(m(x[0] if len(x) == 1 else x))
            out.update(zip(names, y))
        return out


class _single_input_view:  # noqa: N801 - a tiny adapter with the attributes _Walker.declared reads
    def __init__(self, model: Any, tensor: Any) -> None:
        self.name = model.name
        self.inputs = [tensor]


def _fresh_input(t: Any) -> Any:
    src = producer(t)
    fresh = keras.Input(shape=shape_of(t)[1:], dtype=t.dtype, name=getattr(src, "name", None))
    names = getattr(t, _ATTR, None)
    if names is not None:
        setattr(fresh, _ATTR, names)
    return fresh


def _name_outputs(outer: Any, result: Any) -> Any:
    if output_keys(outer) is not None:
        return {k: keras.layers.Identity(name=k)(v) for k, v in result.items()}
    flat = keras.tree.flatten(result)
    names = _unique([f"{outer.name}_{n}" for n in _output_names(outer)])
    named = [keras.layers.Identity(name=n)(v) for n, v in zip(names, flat)]
    return named[0] if len(named) == 1 else named


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}_{seen[n]}")
    return out
