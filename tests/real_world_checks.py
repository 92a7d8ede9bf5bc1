"""The checks each real-world batch runs on every one of its models (tests/test_real_world_5.py and _6.py): one
function per kernest operation, given the batch's spec (``tests.models_5.Spec5``) and a model built from it.
Each asserts the operation gave the right answer, or, where the spec says the model rules it out, that kernest
refused it with a ``KernestError`` saying why."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from xml.etree import ElementTree

import keras
import numpy as np
import pytest

import kernest

Outputs = Callable[[keras.Model, object], object]


# A batch's test module binds this fixture by name (``built = checks.built``).
@pytest.fixture(scope="module")
def built():
    """``built(spec)``: one model per spec for the whole module."""
    cache: dict[object, keras.Model] = {}

    def get(spec) -> keras.Model:
        if spec.build not in cache:
            cache[spec.build] = spec.build()
        return cache[spec.build]

    yield get
    cache.clear()


def dims(shape_text: str) -> list[int | None]:
    """``(batch, ?, embed=8)`` -> ``[None, 8]``."""
    return [None if p == "?" else int(p.split("=")[-1]) for p in shape_text.strip("()").split(", ")[1:]]


def arrays(values: object) -> list[np.ndarray]:
    return [keras.ops.convert_to_numpy(v) for v in keras.tree.flatten(values)]


def close(a: object, b: object, tol: float = 1e-4) -> None:
    for x, y in zip(arrays(a), arrays(b), strict=True):
        np.testing.assert_allclose(x, y, rtol=tol, atol=tol / 10)


def params(model: keras.Model) -> int:
    return sum(int(np.prod(w.shape)) for w in model.weights)  # count_params() needs a model built by a call


def state(model: keras.Model) -> tuple[int, list[str], list[tuple[str, bool]]]:
    """What reading a model must leave as it was: its parameter count, its weights, every layer's ``built``."""
    layers = [model, *model._flatten_layers(include_self=False, recursive=True)]
    return params(model), [w.path for w in model.weights], [(layer.name, layer.built) for layer in layers]


def summary_paths_plot_and_check(spec, model: keras.Model, tmp_path, warns: str | None = None) -> None:
    """The summary's totals are the model's weights; every path it lists resolves with ``get`` (to the same
    parameter count) and includes the spec's; the diagram names the model; ``check`` reports on it (and warns,
    matching ``warns``, where the model has a flaw kernest must point out); ``diff`` finds no change between
    the model and itself. None of these changes the model (``state``)."""
    found = state(model)
    s = kernest.summary(model)
    assert s.total_params == params(model) and str(s)
    every = kernest.summary(model, depth=9)
    assert sum(r.own_params for r in every.rows) + every.own_params == params(model)
    paths = kernest.paths(model)
    assert [r.path for r in every.rows] == paths and set(spec.expect_paths) <= set(paths)
    for row in every.rows[::3]:
        assert params(kernest.get(model, row.path)) == row.params, row.path
    svg = kernest.plot(model, tmp_path / "m.svg")
    texts = [t.text for t in ElementTree.parse(svg).iter("{http://www.w3.org/2000/svg}text")]
    assert str(model.name) in texts
    with pytest.warns(kernest.KernestWarning, match=warns) if warns else contextlib.nullcontext():
        report = kernest.check(model)
    assert str(report).startswith(f"check {model.name}")
    assert not kernest.diff(model, model).changes
    assert state(model) == found, "reading the model changed it"


def extract_matches_the_summary(spec, model: keras.Model) -> None:
    """``extract`` of the spec's inner path gives an activation of the shape the summary shows there (after the
    axes a ``TimeDistributed`` above it maps over: the summary shows one step's call)."""
    x, _ = spec.data()
    path = spec.inner_path(model)
    value = keras.tree.flatten(kernest.extract(model, path)(x))[0]
    row = {r.path: r for r in kernest.summary(model, depth=9).rows}[path]
    shown = dims(row.calls[0][1].strip("[]").split("), (")[0] + ")")  # the output summary shows for that call
    tail = value.shape[len(value.shape) - len(shown):] if len(value.shape) > len(shown) else value.shape[1:]
    assert [d if s is not None else None for d, s in zip(tail, shown, strict=True)] == shown


def freeze_keeps_frozen_weights(spec, model: keras.Model, outputs_of: Outputs) -> None:
    """The weights ``freeze`` reports frozen stay the same through a training step; the others train."""
    x, y = spec.data()
    changed = kernest.freeze(model, spec.glob)
    frozen = [w for p in changed for w in kernest.get(model, p).weights if "moving" not in w.path]
    assert changed and frozen and not any(w.trainable for w in frozen)
    outputs_of(model, x)  # a call may set weights itself (PixelCNN masks its kernel): that is not training
    others = [w for w in model.trainable_weights if "moving" not in w.path]
    kept, before = [np.array(w) for w in frozen], [np.array(w) for w in others]
    spec.compile(model)
    spec.fit(model, x, y)
    for w, old in zip(frozen, kept, strict=True):
        np.testing.assert_array_equal(np.array(w), old, err_msg=w.path)
    assert any(not np.array_equal(np.array(w), old) for w, old in zip(others, before, strict=True))  # it trained


def replace_with_a_copy(spec, model: keras.Model, outputs_of: Outputs, refusal: str = "") -> None:
    """The model with the spec's submodel replaced by a copy gives the same outputs; where the spec says the
    model rules it out, kernest refuses with a message matching ``refusal``."""
    x, _ = spec.data()
    new = spec.copy(kernest.get(model, spec.submodel))
    if "replace" in spec.refuses:
        with pytest.raises(kernest.KernestError, match=refusal):
            kernest.replace(model, spec.submodel, new)
        return
    close(outputs_of(kernest.replace(model, spec.submodel, new), x), outputs_of(model, x))


def save_and_load(spec, model: keras.Model, outputs_of: Outputs, tmp_path, refusal: str = "") -> None:
    """A saved and loaded (safe_mode unless the spec says) model gives the same outputs and no diff; where the
    spec says the model rules it out, kernest refuses with a message matching ``refusal`` and writes nothing."""
    x, _ = spec.data()
    if "save" in spec.refuses:
        with pytest.raises(kernest.KernestError, match=refusal):
            kernest.save(model, tmp_path / "m.keras")
        assert not (tmp_path / "m.keras").exists()
        return
    loaded = kernest.load(kernest.save(model, tmp_path / "m.keras"), safe_mode=not spec.unsafe)
    close(outputs_of(loaded, x), outputs_of(model, x))
    d = kernest.diff(model, loaded)
    assert not d.changes, str(d)


def break_is_explained(spec, model: keras.Model) -> None:
    """The spec's deliberate interface break, run under ``kernest.trace()``, is explained as an
    ``InterfaceError`` naming what the spec requires (this model's own paths, keys or layers)."""
    x, _ = spec.data()
    with pytest.raises(Exception) as info, kernest.trace():
        spec.breaks(model, x)
    err = kernest.explain(info.value, model)
    assert isinstance(err, kernest.InterfaceError), repr(info.value)
    assert re.search(spec.explains, str(err)), str(err)
    assert "Traceback" not in str(err)
