"""Reading a model must not change it. ``as_found(layer)`` puts back, on the way out, the state of every layer
under ``layer`` as it was on the way in.

Why: kernest runs a custom layer's ``call`` on placeholders to see its sublayers' calls (``_graph``). Keras builds
a sublayer on its first call, even a traced one, so a custom layer whose ``build`` (or Keras, from its
``compute_output_shape``) left its sublayers unbuilt would get their weights from a summary: more parameters, a
longer ``weights`` list, other ``built`` flags than the model had. What a build adds lives in each layer's
``__dict__`` (the new variables, ``built``, the input spec, the lists and sets Keras' ``Tracker`` stores them in;
on PyTorch the ``torch.nn.Module`` dicts), so a copy of those one or two levels deep is enough to undo it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import keras

_KEEPING: list[bool] = []  # inside ``building()``: the changes stay

_DEPTH = 3  # a layer's __dict__ -> its dicts (torch's _modules, the tracker's stored_ids) -> their lists and sets


def layers_under(layer: Any) -> list[Any]:
    """``layer`` and every layer Keras tracks below it."""
    found = [layer]
    with contextlib.suppress(AttributeError, TypeError):
        found += list(layer._flatten_layers(include_self=False, recursive=True))
    return found


def _unwrapped(value: Any) -> Any:
    """The container that holds the items where TensorFlow's tracking wraps one: a ``_DictWrapper`` is a proxy
    (``__wrapped__``); a ``ListWrapper`` keeps them in ``_storage`` (the list it subclasses stays empty)."""
    if isinstance(value, dict):
        return getattr(value, "__wrapped__", value)
    if isinstance(value, list):
        storage = getattr(value, "_storage", None)
        return storage if isinstance(storage, list) else value
    return value


def _contents(value: Any, depth: int) -> Any:
    """What ``value`` holds, copied ``depth`` levels of containers deep (``None``: not a container)."""
    value = _unwrapped(value)
    if depth == 0:
        return None
    if isinstance(value, list):
        return [(v, _contents(v, depth - 1)) for v in value]
    if isinstance(value, dict):
        return [(k, v, _contents(v, depth - 1)) for k, v in value.items()]
    if isinstance(value, set):
        return set(value)
    return None


def _put_back(value: Any, contents: Any) -> None:
    """Make ``value`` (the same container object) hold ``contents`` again; Keras' tracked containers are
    subclasses whose own methods would track again, so the plain ones are called."""
    value = _unwrapped(value)
    if contents is None:
        return
    if isinstance(value, list):
        for v, inner in contents:
            _put_back(v, inner)
        list.__setitem__(value, slice(None), [v for v, _ in contents])
    elif isinstance(value, dict):
        for _, v, inner in contents:
            _put_back(v, inner)
        dict.clear(value)
        dict.update(value, {k: v for k, v, _ in contents})
    elif isinstance(value, set):
        set.clear(value)
        set.update(value, contents)


def _state(obj: Any) -> tuple[Any, Any]:
    """``obj``'s attributes and their contents; its Keras ``Tracker`` (an object in an attribute) too."""
    attributes = vars(obj)
    tracker = attributes.get("_tracker")
    return _contents(attributes, _DEPTH), (tracker, _contents(vars(tracker), _DEPTH)) if tracker is not None else None


def _restore(obj: Any, state: tuple[Any, Any]) -> None:
    attributes, tracker = state
    _put_back(vars(obj), attributes)
    if tracker is not None:
        _put_back(vars(tracker[0]), tracker[1])


@contextlib.contextmanager
def as_found(layer: Any) -> Iterator[None]:
    """Undo, on exit, what running code on placeholders built or flagged in the layers under ``layer``. Where
    every layer is built already, only their ``_called`` flags are kept (nothing else changes)."""
    if _KEEPING:
        yield
        return
    under = [x for x in layers_under(layer) if isinstance(x, keras.layers.Layer)]
    if all(x.built for x in under):
        called = [(x, vars(x).get("_called")) for x in under]
        try:
            yield
        finally:
            for x, flag in called:
                if flag is not None:
                    vars(x)["_called"] = flag
        return
    saved = [(x, _state(x)) for x in under]
    try:
        yield
    finally:
        for x, state in saved:
            _restore(x, state)


@contextlib.contextmanager
def building() -> Iterator[None]:
    """Keep what traces build: ``kernest.load`` and ``replace`` trace a model they made in order to build the
    sublayers Keras left unbuilt."""
    _KEEPING.append(True)
    try:
        yield
    finally:
        _KEEPING.pop()
