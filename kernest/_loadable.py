"""What a copy or a loaded file cannot give back, found before anything is written or copied.

A custom layer without ``build()`` gets its sublayers' weights when Keras traces its ``call`` on placeholders,
on load as at the first call. Where that call cannot run on placeholders (keras.io's MPNN readout pads each
molecule to the largest atom count it reads from the data), the sublayers are made only by a call on data: a
copy or a loaded file makes them anew, with other weights, or Keras refuses the file ("Layer 'dense_6' was never
built"). ``built_by_data`` finds such layers by doing what ``kernest.load`` does (serialize, deserialize, build
from the recorded shapes, trace the call on placeholders) and then running the copy on zeros of those shapes: the
sublayers only that run builds are the ones a file or a copy cannot keep.

A custom class whose ``get_config`` returns layer objects but that keeps Keras' ``from_config`` (keras.io's
PatchConvNet) is called on load with those layers' configs, plain dicts, in their place: ``layers_in_config``
finds it.
"""

from __future__ import annotations

import warnings
from typing import Any

import keras
from keras.src.models.functional import Functional

from kernest._graph import call_nodes, layer_attributes, layers

_DEFAULT_FROM_CONFIG = {keras.layers.Layer.from_config.__func__, keras.Model.from_config.__func__}  # type: ignore[attr-defined]


def _own_class(layer: Any) -> bool:
    return not type(layer).__module__.startswith("keras.")


def _everything(model: Any) -> list[tuple[str, Any]]:
    return [("", model), *layers(model)]


def is_registered(cls: type) -> bool:
    """Whether Keras finds ``cls`` by the name it writes in a file (``register_keras_serializable``)."""
    return keras.saving.get_registered_object(keras.saving.get_registered_name(cls)) is cls


def built_by_data(model: Any) -> list[tuple[str, Any, list[str], str]]:
    """``[(path, layer, attributes, reason)]``: the custom layers without ``build()`` whose sublayers (named by
    the attributes holding them) only a call on data makes, with Keras' reason for the placeholder call failing
    (or ``""``). The model itself has path ``""``; a layer inside a reported one is not listed again."""
    found: list[tuple[str, Any, list[str], str]] = []
    for path, layer in _everything(model):
        if any(path.startswith(f"{p}/") or not p for p, *_ in found):
            continue
        if isinstance(layer, Functional) or type(layer).build is not keras.layers.Layer.build or not _own_class(layer):
            continue
        if not list(layer._flatten_layers(include_self=False, recursive=False)):
            continue
        attributes, reason = _made_on_data(layer)
        if attributes:
            found.append((path, layer, attributes, reason))
    return found


def _made_on_data(layer: Any) -> tuple[list[str], str]:
    """The attributes of ``layer`` holding sublayers that a loaded copy of it builds only when called on data."""
    nodes = call_nodes(layer)
    if not nodes or not layer.get_build_config():
        return [], ""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            own = {type(s).__name__: type(s) for s in layer._flatten_layers(include_self=True, recursive=True)}
            copy = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer), own,
                                                         safe_mode=False)  # the user's own live classes
        except Exception:  # noqa: BLE001 - a class Keras cannot find or rebuild: other checks say so
            return [], ""
    # kernest.load builds what Keras leaves unbuilt by tracing the calls on placeholders (``build_sublayers``)
    arguments = nodes[0].arguments
    failed: list[BaseException] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _runs(lambda *a, **kw: keras.Operation.compute_output_spec(copy, *a, **kw), arguments, _placeholder, failed)
    unbuilt = {id(s) for s in copy._flatten_layers(include_self=False, recursive=True) if not s.built}
    if not unbuilt or not _runs(copy, arguments, _zeros):
        return [], ""
    made = {id(s) for s in copy._flatten_layers(include_self=False, recursive=True) if s.built and s.weights} & unbuilt
    mine, theirs = layer_attributes(layer), dict(layer_attributes(copy))
    attributes = [name for name, sub in mine if isinstance(sub, keras.layers.Layer) and name in theirs
                  and any(id(s) in made for s in theirs[name]._flatten_layers(include_self=True, recursive=True))]
    from kernest._explain import keras_reason  # _explain imports _saving, which imports this module

    return attributes, keras_reason(failed[0]).split(". ")[0] if failed else ""


def _placeholder(value: Any) -> Any:
    """A placeholder of known sizes for a call's input (batch 2, other unknown sizes 5), as kernest traces."""
    if isinstance(value, keras.KerasTensor):
        shape = [(2 if i == 0 else 5) if d is None else d for i, d in enumerate(value.shape)]
        return keras.KerasTensor(shape, dtype=value.dtype)
    return value


def _zeros(value: Any) -> Any:
    """Zeros for a placeholder of a call, each unknown size 2."""
    if isinstance(value, keras.KerasTensor):
        return keras.ops.zeros([2 if d is None else d for d in value.shape], value.dtype)
    return value


def _runs(run: Any, arguments: Any, make: Any, failed: list[BaseException] | None = None) -> bool:
    """Whether ``run`` works on a recorded call's arguments, each tensor replaced by ``make(tensor)``."""
    args, kwargs = keras.tree.map_structure(make, (arguments.args, arguments.kwargs))
    try:
        run(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the caller only needs to know whether it ran, and why not
        if failed is not None:
            failed.append(exc)
        return False
    return True


def layers_in_config(model: Any) -> list[tuple[str, Any, list[str]]]:
    """``[(path, layer, keys)]``: custom classes whose ``get_config`` holds layer objects (under ``keys``) and
    that keep Keras' ``from_config``, which passes those layers' configs (dicts) to ``__init__`` on load."""
    found = []
    for path, layer in _everything(model):
        cls = type(layer)
        if not _own_class(layer) or getattr(cls.from_config, "__func__", None) not in _DEFAULT_FROM_CONFIG:
            continue
        try:
            config = layer.get_config()
        except Exception:  # noqa: BLE001 - no config: save says so where Keras needs one
            continue
        keys = [k for k, v in config.items() if isinstance(v, keras.layers.Layer) or (
            isinstance(v, (list, tuple)) and any(isinstance(i, keras.layers.Layer) for i in v))]
        if keys:
            found.append((path, layer, keys))
    return found


def where(path: str, layer: Any) -> str:
    """``'readout' (TransformerEncoderReadout)``, or the model's own name where ``path`` is ``""``."""
    return f"{path or layer.name!r} ({type(layer).__name__})"
