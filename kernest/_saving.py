"""``kernest.save`` / ``kernest.load``: ``.keras`` files, written atomically, read with clear errors.

Keras 3.15 saves a model in which one layer object is reachable at two paths (a layer shared between a
submodel and the outer model, or a submodel used inside two other submodels) but cannot load it:
"Layer 'shared_dense' expected 2 variables, but received 0 variables during loading".
``shared_across_models`` finds that pattern, and ``save`` refuses it before writing anything.

Keras also drops ``trainable`` flags that a model's config does not hold (the layers of a subclassed model).
``save`` adds the flag of every path to the archive (``kernest.json``) and ``load`` puts them back.

Keras also saves a function attribute (an activation) by a name that may load as another function:
``keras.ops.gelu`` (the tanh approximation) is written as ``"gelu"`` and comes back as
``keras.activations.gelu`` (the exact one), so outputs change. ``save`` records where Keras' own functions
were swapped like that and ``load`` puts them back (only functions of Keras' own modules, so safe mode holds).

Custom layers are registered by importing the module that defines them; ``load`` imports nothing itself,
and names the class and the ``--import`` option when one is missing.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import json
import os
import re
import sys
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keras
from keras.src.models.functional import Functional

import kernest._over  # noqa: F401  (registers Over, so files with over() layers load)
from kernest._asfound import building
from kernest._errors import KernestError, KernestWarning, UnsafeModelError
from kernest._files import write_atomic
from kernest._graph import Entry, forget_traces, layer_attributes, root, var_name, walk
from kernest._paths import pair_paths

STATE = "kernest.json"  # the archive member holding kernest's own state: trainable flags by path
MISSING_CLASS = re.compile(r"Could not locate (?:class|function) '([^']+)'|Unknown (?:layer|object)[^']*'([^']+)'")


def shared_across_models(model: keras.layers.Layer) -> list[tuple[str, list[str]]]:
    """Layers reachable at more than one path: ``[(layer name, [paths])]``.

    A layer called twice in one graph has one path and is fine; one object inside two different models
    (a submodel and the outer model, or two submodels) has two paths, and Keras 3.15 cannot load a file
    holding it. Where a whole submodel is shared, only the submodel is listed, not its sublayers.

    Example:
        >>> import keras, kernest
        >>> shared = keras.layers.Dense(4, name="shared_dense")
        >>> a = keras.Input((4,))
        >>> sub = keras.Model(a, shared(a), name="sub")
        >>> b = keras.Input((4,))
        >>> outer = keras.Model(b, shared(sub(b)), name="outer")
        >>> kernest.shared_across_models(outer)
        [('shared_dense', ['sub/shared_dense', 'shared_dense'])]
    """
    entries = list(walk(model))
    paths_of: dict[int, list[str]] = {}
    for e in entries:
        paths_of.setdefault(id(e.layer), []).append(e.path)
    reported: set[int] = set()
    found: list[tuple[str, list[str]]] = []
    for e in entries:
        if id(e.layer) in reported or len(paths_of[id(e.layer)]) < 2:
            continue
        same = [x for x in entries if x.layer is e.layer]
        if all(_inside_reported(x, reported) for x in same) or len(_rebuilt_apart(model, same)) < 2:
            continue
        reported.add(id(e.layer))
        found.append((e.name, paths_of[id(e.layer)]))
    return found


def _rebuilt_apart(model: Any, same: list[Entry]) -> list[Entry]:
    """The paths of one layer object that a load makes as separate objects. A subclassed model (or layer) that
    holds the layer as an attribute and also holds the submodel it sits in (keras.io's speech Transformer keeps
    ``self.enc_input`` and ``keras.Sequential([self.enc_input, ...])``) makes both again in its ``__init__`` on
    load, one object as before: that attribute path is an alias, not a second copy. So does a functional subclass
    whose config holds its arguments, not its layers (keras-hub's GPT2CausalLM calls its backbone and then
    ``backbone.token_embedding`` for its tied head)."""
    def alias(x: Entry) -> bool:
        holder = x.parent.layer if x.parent is not None and x.depth > 1 else model
        if isinstance(holder, keras.Sequential) or (isinstance(holder, Functional) and not _graph_made_in_init(holder)):
            return False
        return any(o is not x and any(a is holder for a in [model, *(c.layer for c in o.chain()[:-1])]) for o in same)

    return [x for x in same if not alias(x)]


def _graph_made_in_init(layer: Any) -> bool:
    """A functional subclass that Keras loads by calling its class with its config (no ``layers`` in it), so its
    ``__init__`` wires its graph again from the layers it is given."""
    if type(layer) is Functional or not isinstance(layer, Functional):
        return False
    try:
        return "layers" not in layer.get_config()
    except Exception:  # noqa: BLE001 - a config Keras cannot write either: not this case
        return False


def _inside_reported(entry: Entry, reported: set[int]) -> bool:
    return any(id(a.layer) in reported for a in entry.chain()[:-1])


def trainable_flags(model: Any) -> dict[str, bool]:
    """The ``trainable`` flag of every path, parents first."""
    return {e.path: bool(getattr(e.layer, "trainable", True)) for e in walk(model)}


def input_axes(model: Any) -> dict[str, list[list[str | None]]]:
    """The axis names of the inputs of the model (path ``""``) and of every nested functional model; Keras
    does not save them, and they name the axes in every summary, check and error."""
    from kernest._axes import axes_of
    from kernest._graph import graph_inputs

    found = {"": graph_inputs(model) or []}
    found.update({e.path: graph_inputs(e.layer) or [] for e in walk(model)})
    return {path: [list(axes_of(t)) for t in inputs] for path, inputs in found.items()
            if any(any(axes_of(t)) for t in inputs)}


def _config_functions(layer: Any) -> list[tuple[str, Any]]:
    """``(attribute, function)`` for each config entry of ``layer`` that it holds as a plain function."""
    try:
        config = layer.get_config()
    except Exception:  # noqa: BLE001 - a layer without a usable config has nothing to compare
        return []
    held = [(key, getattr(layer, key, None)) for key in config if isinstance(key, str)]
    return [(key, f) for key, f in held if inspect.isfunction(f) or inspect.isbuiltin(f)]


def carry_functions(old: Any, new: Any) -> None:
    """Give ``new``, made from ``old``'s config, the function objects ``old`` holds where the config named
    another one (``keras.ops.gelu`` comes back from ``"gelu"`` as ``keras.activations.gelu``)."""
    for key, function in _config_functions(old):
        if callable(getattr(new, key, None)) and getattr(new, key) is not function:
            setattr(new, key, function)


def swapped_functions(model: Any) -> dict[str, dict[str, str]]:
    """``{path: {attribute: "module:name"}}`` for the Keras functions a load would swap for others: those
    whose serialized name Keras deserializes as another object."""
    found: dict[str, dict[str, str]] = {}
    for entry in walk(model, shapes=False):
        for key, function in _config_functions(entry.layer):
            module = getattr(function, "__module__", "") or ""
            if not module.startswith("keras."):
                continue
            try:
                back = keras.activations.get(keras.saving.serialize_keras_object(function))
            except Exception:  # noqa: BLE001, S112 - a name activations.get cannot read: not an activation
                continue
            if back is not function:
                found.setdefault(entry.path, {})[key] = f"{module}:{function.__qualname__}"
    return found


def _restore_functions(model: Any, saved: dict[str, Any]) -> None:
    layers = {e.path: e.layer for e in walk(model, shapes=False)}
    for path, held in saved.items():
        for key, name in (held.items() if isinstance(held, dict) and path in layers else []):
            module, _, attr = str(name).partition(":")
            if not module.startswith("keras.") or not hasattr(layers[path], key):
                continue  # only Keras' own functions, by import: nothing from the file runs
            try:
                function = getattr(importlib.import_module(module), attr)
            except (ImportError, AttributeError):
                continue
            if callable(function):
                setattr(layers[path], key, function)


def _restore_axes(model: Any, saved: dict[str, Any]) -> None:
    from kernest._axes import _ATTR
    from kernest._graph import graph_inputs

    layers = {"": model, **{e.path: e.layer for e in walk(model)}}
    for path, names in saved.items():
        inputs = graph_inputs(layers[path]) if path in layers else None
        for t, a in zip(inputs or [], names if isinstance(names, list) else [], strict=False):
            if isinstance(a, list) and len(a) == len(t.shape) - 1:
                setattr(t, _ATTR, tuple(a))


def _lambdas(model: Any) -> list[Any]:
    """The Python lambdas the model's ``Lambda`` layers hold (Keras saves them as bytecode)."""
    return [layer.function for layer in [model, *(e.layer for e in walk(model, shapes=False))]
            if isinstance(layer, keras.layers.Lambda) and getattr(layer.function, "__name__", "") == "<lambda>"]


def lambda_namespaces(model: Any) -> list[dict[str, Any]]:
    """The module globals of the model's Python lambdas, for ``lambda_globals`` when Keras copies them."""
    return [f.__globals__ for f in _lambdas(model)]


@contextlib.contextmanager
def lambda_globals(namespaces: list[dict[str, Any]]) -> Iterator[None]:
    """Keras rebuilds a ``Lambda``'s Python lambda from its bytecode with Keras' own module globals, so a
    lambda that uses a name of the module it was written in (``ops``, ``tf``, ``np``) cannot run once loaded or
    copied, and Keras reports "could not automatically infer the shape of the Lambda's output". Inside this
    context it gets the globals of the modules ``namespaces`` holds (only where safe mode is off already:
    loading a lambda runs code)."""
    if not namespaces:
        yield
        return
    from keras.src.utils import python_utils

    original = python_utils.func_load
    merged: dict[str, Any] = {}
    for namespace in namespaces:
        merged.update(namespace)

    def func_load(code: Any, defaults: Any = None, closure: Any = None, globs: Any = None) -> Any:
        return original(code, defaults, closure, globs if globs is not None else {**vars(python_utils), **merged})

    python_utils.func_load = func_load
    try:
        yield
    finally:
        python_utils.func_load = original


@contextlib.contextmanager
def copying(model: Any) -> Iterator[None]:
    """Where kernest copies the user's own live model from its config (``replace``, ``explain``'s trial
    rebuilds): safe mode guards against code in a file, not in the user's model, so its Lambdas copy, with
    the globals of the modules their lambdas were written in."""
    from keras.src.saving.serialization_lib import SafeModeScope  # no public equivalent in Keras 3.15

    with SafeModeScope(False), lambda_globals(lambda_namespaces(model)):
        yield


_PLAIN = (bool, int, float, str)


def _drifted(layer: Any) -> dict[str, Any]:
    """The constructor arguments Keras recorded for a layer without a ``get_config`` of its own (it writes them as
    the layer's config) whose attribute of the same name was set to another value after the layer was made:
    keras.io's MAE probe sets ``patch_encoder.downstream = True`` on a layer made with ``downstream=False``, and a
    copy from that config returns the pretraining outputs. Only attributes that a layer made from the recorded
    arguments holds unchanged (``self.downstream = downstream``), of the same plain type."""
    auto = getattr(layer, "_auto_config", None)
    recorded = getattr(auto, "config", None)
    if not isinstance(recorded, dict) or not getattr(layer.get_config, "_is_default", False):
        return {}
    changed = {k: vars(layer)[k] for k, v in recorded.items() if isinstance(v, _PLAIN) and k in vars(layer)
               and type(vars(layer)[k]) is type(v) and vars(layer)[k] != v}
    if not changed:
        return {}
    try:
        fresh = type(layer).from_config(layer.get_config())
    except Exception:  # noqa: BLE001 - a layer that its own config does not make: nothing to carry
        return {}
    return {k: v for k, v in changed.items() if vars(fresh).get(k) == recorded[k]}


def _defaults_recorded(model: Any) -> list[tuple[str, Any, dict[str, Any]]]:
    """Subclassed models without a ``get_config`` of their own whose recorded arguments are not those they were
    made with: ``keras.Model.__new__`` passes no arguments on to Keras' auto-config, which then records every
    default (keras#21615 records defaults), so ``Transformer(num_layers_enc=2)`` is written as
    ``num_layers_enc=4``. Seen where an attribute of an argument's name holds another value than recorded
    (``[(path, model, {argument: value now})]``); a model whose attributes all match is left alone."""
    found: list[tuple[str, Any, dict[str, Any]]] = []
    for path, layer in [("", model), *((e.path, e.layer) for e in walk(model, shapes=False))]:
        if not isinstance(layer, keras.Model) or isinstance(layer, (keras.Sequential, Functional)):
            continue
        differ = _drifted(layer)
        if differ and not any(f[1] is layer for f in found):
            found.append((path, layer, differ))
    return found


@contextlib.contextmanager
def carried_arguments(model: Any) -> Iterator[None]:
    """While Keras writes or copies ``model``, the config of each layer whose constructor argument was changed
    on the layer afterwards (``_drifted``) holds the value the layer has now, so that the file or copy is made
    as the layer works, not as it was first made. Put back after."""
    kept: list[tuple[dict[str, Any], str, Any]] = []
    for layer in [model, *(e.layer for e in walk(model, shapes=False))]:
        for key, value in _drifted(layer).items():
            recorded = layer._auto_config.config
            kept.append((recorded, key, recorded[key]))
            recorded[key] = value
    try:
        yield
    finally:
        for recorded, key, value in kept:
            recorded[key] = value


def _write(model: keras.Model, tmp: Path) -> None:
    with carried_arguments(model):
        model.save(str(tmp))
    with zipfile.ZipFile(tmp, "a") as archive:
        archive.writestr(STATE, json.dumps({"trainable": trainable_flags(model), "axes": input_axes(model),
                                             "functions": swapped_functions(model),
                                             "lambda_modules": sorted({f.__module__ for f in _lambdas(model)})}))


def _restore_trainable(model: Any, source: str, saved: dict[str, bool]) -> None:
    """Set each path's flag as it was saved (parents first, so a frozen layer inside a trainable model
    stays frozen); warn about the paths the loaded model lacks."""
    now = {e.path: e.layer for e in walk(model)}
    pairs = pair_paths(list(saved), {path: type(layer).__name__ for path, layer in now.items()})
    for path, flag in saved.items():
        layer = now[pairs[path]] if path in pairs else None
        if layer is not None and bool(getattr(layer, "trainable", True)) != flag:
            layer.trainable = flag
    missing = [p for p in saved if p not in pairs]
    if missing:
        warnings.warn(
            f"{source!r}: the saved trainable flags of {', '.join(missing[:8])} could not be restored: the loaded "
            "model has no such path. Set them again with kernest.freeze / kernest.unfreeze.",
            KernestWarning, stacklevel=3,
        )


def save(model: keras.Model, path: str | os.PathLike[str]) -> str:
    """Write ``model`` to a ``.keras`` file atomically (a temporary file, then ``os.replace``).

    The ``trainable`` flag of every path is saved too (Keras loses those of a subclassed model's layers);
    ``kernest.load`` restores them, and the Keras functions Keras' own load would swap for others
    (``activation=keras.ops.gelu`` loads as ``keras.activations.gelu``, another approximation). A layer without
    ``get_config`` whose constructor argument was changed on it afterwards (keras.io's MAE probe sets
    ``patch_encoder.downstream = True``) is written with the value it has now, not the one Keras recorded.

    Args:
        model: any Keras model, nested ones included.
        path: the file to write; it must end in ``.keras``. An existing file is replaced only once the
            new one is complete.

    Returns:
        The path written, as a string.

    Raises:
        KernestError: the path does not end in ``.keras`` or cannot be written, or the model holds a
            layer shared between models, which Keras 3.15 saves but cannot load (the message names the
            layer's paths), or a subclassed model without ``get_config`` was made with other arguments than
            the defaults Keras 3.15 records for it (the message names them).

    Warns:
        KernestWarning: a layer the model calls is not built yet (a custom layer's sublayers that Keras
            builds on the first call): the file cannot hold weights it does not have yet.

    Example:
        >>> import os, tempfile, keras, kernest
        >>> x = keras.Input((4,))
        >>> model = keras.Model(x, keras.layers.Dense(2)(x))
        >>> path = kernest.save(model, os.path.join(tempfile.mkdtemp(), "m.keras"))
        >>> tuple(kernest.load(path).output.shape)
        (None, 2)
    """
    target = os.fspath(path)
    if not target.endswith(".keras"):
        raise KernestError(f"save({target!r}): the file name must end in '.keras', e.g. 'model.keras'.")
    shared = shared_across_models(model)
    if shared:
        listed = "; ".join(f"{name!r} at {' and '.join(paths)}" for name, paths in shared)
        raise KernestError(
            f"Refusing to save {model.name!r}: {listed}. One layer object inside two different models saves "
            "but cannot be loaded by Keras 3.15 ('expected 2 variables, but received 0'). Give each model its "
            "own layer (share weights by copying them), or call the shared layer only in the outer model."
        )
    recorded = _defaults_recorded(model)
    if recorded:
        path, layer, differ = recorded[0]
        cls = type(layer).__name__
        where = f" at {path!r}" if path else ""
        made = ", ".join(f"{k}={v!r}" for k, v in differ.items())
        written = ", ".join(f"{k}={layer._auto_config.config[k]!r}" for k in differ)
        params = [p for p in inspect.signature(type(layer).__init__).parameters
                  if p not in ("self", "args", "kwargs", "name")]
        raise KernestError(
            f"Cannot save {model.name!r}: {cls}{where} has no get_config(), and Keras 3.15 records a subclassed "
            f"model's default __init__ arguments, not the ones it was made with, so the file would make "
            f"{cls}({written}) where this one has {made} (its weights would then not fit). Add get_config() "
            f"returning its __init__ arguments ({', '.join(params)}), e.g. saved in __init__ as self.settings = "
            "dict(...)."
        )
    # layers the model's call runs that have no weights yet (one it never calls, an unused projection, stays so);
    # a layer that keeps Keras' own build() (a Lambda, a custom layer of sublayers only) makes none of its own
    unbuilt = [e.path for e in walk(model) if not getattr(e.layer, "built", True) and e.sites
               and type(e.layer).build is not keras.layers.Layer.build]
    if unbuilt:
        warnings.warn(
            f"save({target!r}): {', '.join(unbuilt[:4])}{' ...' if len(unbuilt) > 4 else ''} ({len(unbuilt)} "
            f"layer{'s' if len(unbuilt) > 1 else ''}) of {model.name!r} not built yet: Keras makes their weights on "
            "the first call, so the file holds none for them and a load gives them new random ones. Call the "
            "model on data once before saving.", KernestWarning, stacklevel=2)
    try:
        write_atomic(target, lambda tmp: _write(model, tmp), suffix=".keras", parents=False)
    except OSError as err:
        raise KernestError(f"Cannot write {target!r}: {err.strerror or err}.") from None
    except NotImplementedError as err:
        raise _no_config(model, str(err)) from None
    return target


def _no_config(model: Any, text: str) -> KernestError:
    """Keras' "Object GAN was created by passing non-serializable argument values in __init__()" as a
    ``KernestError`` naming the class, its path, its ``__init__`` arguments and the fix. Only layers whose
    config Keras writes need ``get_config`` (a custom layer's own sublayers do not), so Keras names it."""
    named = re.search(r"Object (\w+) was created", text)
    cls = named.group(1) if named else ""
    found = [("", model), *((e.path, e.layer) for e in walk(model, shapes=False))]
    path, layer = next(((p, x) for p, x in found if type(x).__name__ == cls), ("", model))
    params = [p for p in inspect.signature(type(layer).__init__).parameters.values()
              if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    held = [k for k, _ in layer_attributes(layer) if k in {p.name for p in params}]
    where = f" at {path!r}" if path else ""
    return KernestError(
        f"Cannot save {model.name!r}: {type(layer).__name__}{where} has no get_config(), and Keras cannot write "
        f"its __init__ arguments ({', '.join(p.name for p in params)}) by itself. Add get_config() returning them "
        "(models and layers through keras.saving.serialize_keras_object) and a from_config() classmethod that "
        "deserializes them" + (f"; or save the models it holds on their own, e.g. kernest.save({var_name(layer)}."
                               f"{held[0]}, '{held[0]}.keras')" if held else "") + "."
    )


def load(path: str | os.PathLike[str], safe_mode: bool = True, custom_objects: dict[str, Any] | None = None
         ) -> keras.Model:
    """Load a ``.keras`` file, ``over`` layers included.

    Args:
        path: a file written by ``kernest.save`` or ``model.save``.
        safe_mode: refuse files that hold Python code (a ``Lambda`` layer with a lambda). Only turn it off
            (CLI: ``--unsafe``) for files you trust.
        custom_objects: your own layer classes, ``{"MyLayer": MyLayer}``, if they are not registered.
            ``load`` imports nothing itself: import the module that registers your layers first (the
            flagship's ``WordHash`` registers when ``kernest.text`` is imported).

    Returns:
        The model, with the ``trainable`` flags ``kernest.save`` recorded, and the Keras functions it
        recorded (an ``activation=keras.ops.gelu`` that Keras reads back as ``keras.activations.gelu``).

    Raises:
        UnsafeModelError: the file holds code and ``safe_mode`` is on.
        KernestError: the file is missing, truncated or not a ``.keras`` zip archive, uses a custom
            class nobody registered (the message names it), or Keras cannot rebuild the model from it.

    Warns:
        KernestWarning: a saved trainable flag names a path the loaded model lacks.
    """
    source = os.fspath(path)
    _check_archive(source)
    state = _saved_state(source)
    modules = state.get("lambda_modules") if not safe_mode else None
    namespaces = [vars(sys.modules[m]) for m in modules or [] if isinstance(m, str) and m in sys.modules]
    with lambda_globals(namespaces):  # the modules the lambdas were written in, if this process has them
        model = _load_model(source, safe_mode, custom_objects)
    saved = state.get("trainable")
    if isinstance(saved, dict):
        _restore_trainable(model, source, {str(k): bool(v) for k, v in saved.items()})
    axes = state.get("axes")
    if isinstance(axes, dict):
        _restore_axes(model, axes)
    functions = state.get("functions")
    if isinstance(functions, dict):
        _restore_functions(model, functions)
    return model


def _check_archive(source: str) -> None:
    """A readable, complete zip archive holding a Keras config, or a ``KernestError`` that says which not."""
    if not os.path.isfile(source):
        raise KernestError(f"No model file at {source!r}. Check the path; kernest.save writes '.keras' files.")
    if not zipfile.is_zipfile(source):
        with open(source, "rb") as f:
            zip_start = f.read(4) == b"PK\x03\x04"
        if zip_start:  # it starts like a zip archive, but its end (the central directory) is missing
            raise KernestError(
                f"{source!r} is damaged: it is a truncated .keras archive (its end is missing, e.g. a copy or "
                "download that stopped early). Save or copy the model again."
            )
        raise KernestError(
            f"{source!r} is not a .keras model file: a .keras file is a zip archive, and this one is not. "
            "Save the model with kernest.save(model, 'model.keras')."
        )
    try:
        with zipfile.ZipFile(source) as archive:
            bad = archive.testzip()
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError) as err:
        raise KernestError(f"{source!r} is a damaged zip archive ({err}). Save the model again.") from None
    if bad is not None or "config.json" not in names:
        raise KernestError(
            f"{source!r} is damaged or not a Keras model archive "
            f"({'corrupt member ' + repr(bad) if bad else 'no config.json inside'}). Save the model again."
        )


def build_sublayers(model: Any) -> None:
    """Build the sublayers Keras left unbuilt: a custom layer with sublayers, no ``build()`` and its own
    ``compute_output_shape`` is rebuilt (in ``clone_model``, on load) without ``call()`` ever running, so its
    sublayers get no weights. Tracing every call on placeholders, as ``summary`` does, builds them; what
    those traces found, half built, is forgotten."""
    forget_traces(model)  # a trace remembered from before would not run the calls again
    with building():
        root(model)
    forget_traces(model)


def _load_building_sublayers(source: str, safe_mode: bool, custom_objects: dict[str, Any] | None) -> Any:
    """``load_model`` in three steps, the sublayers built before the weights are read."""
    with zipfile.ZipFile(source) as archive:
        config = json.loads(archive.read("config.json"))
    model = keras.saving.deserialize_keras_object(config, custom_objects=custom_objects, safe_mode=safe_mode)
    build_sublayers(model)
    model.load_weights(source)
    if config.get("compile_config"):
        model.compile_from_config(config["compile_config"])
    return model


def _lambda_paths(source: str) -> list[str]:
    """The nested paths (``encoder/double``) of the Lambda layers in a ``.keras`` file's config, read without
    building anything; [] when the config cannot be read."""
    try:
        with zipfile.ZipFile(source) as archive:
            config = json.loads(archive.read("config.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return []

    def walk(node: Any, prefix: str, top: bool) -> list[str]:
        if not isinstance(node, dict):
            return []
        inner: dict[str, Any] = node["config"] if isinstance(node.get("config"), dict) else {}
        name = str(inner.get("name", ""))
        path = prefix if top else "/".join(p for p in (prefix, name) if p)
        if node.get("class_name") == "Lambda":  # refused when its function is a lambda's bytecode
            function = inner.get("function")
            return [path] if isinstance(function, dict) and function.get("class_name") == "__lambda__" else []
        found = []
        for child in inner.get("layers") or []:
            found.extend(walk(child, path, False))
        for key in ("layer", "forward_layer", "backward_layer"):  # wrappers: TimeDistributed, Bidirectional
            found.extend(walk(inner.get(key), path, False))
        return found

    return walk(config, "", True)


def _load_model(source: str, safe_mode: bool, custom_objects: dict[str, Any] | None) -> Any:
    try:
        return keras.saving.load_model(source, custom_objects=custom_objects, safe_mode=safe_mode)
    except Exception as err:
        text = str(err)
        if "was never built" in text:
            try:
                return _load_building_sublayers(source, safe_mode, custom_objects)
            except Exception:  # noqa: S110 - Keras' own error below says more
                pass
        if safe_mode and ("safe_mode" in text or "unsafe" in text.lower()):
            found = _lambda_paths(source)
            what = f"the Lambda layers {', '.join(found)}" if found else "e.g. a Lambda layer"
            raise UnsafeModelError(
                f"{source!r} holds Python code ({what}) that would run when loaded, so safe mode refused it. If you trust the "
                "file, load it with safe_mode=False (CLI: --unsafe); to load it safely, replace each Lambda with a "
                "registered keras.layers.Layer subclass and save again."
            ) from None
        missing = MISSING_CLASS.search(text)
        if missing:
            raise _missing_class(source, missing.group(1) or missing.group(2)) from None
        lines = [line.strip() for line in text.splitlines() if line.strip()][:3]
        raise KernestError(f"Keras could not load {source!r}: {' '.join(lines) or type(err).__name__}") from err


def _missing_class(source: str, name: str) -> KernestError:
    short = name.split(">")[-1]
    return KernestError(
        f"{source!r} uses the custom class {short!r}, which is not registered in this process. Import the module "
        "that defines it (with @keras.saving.register_keras_serializable) before loading: on the command line "
        f"add --import MODULE; in Python import it first, or pass custom_objects={{{short!r}: {short}}}."
    )


def _saved_state(source: str) -> dict[str, Any]:
    """kernest's own state in the archive (written by ``kernest.save``); ``{}`` if there is none."""
    try:
        with zipfile.ZipFile(source) as archive:
            if STATE not in archive.namelist():
                return {}
            data = json.loads(archive.read(STATE))
    except (zipfile.BadZipFile, OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
