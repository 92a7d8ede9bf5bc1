"""Turn a command-line TARGET into a model: a ``.keras`` file, ``module:function``, or a Python script."""

from __future__ import annotations

import importlib
import os
import runpy
import sys
from typing import Any

import keras

from kernest._errors import KernestError
from kernest._explain import explain

_BUILDERS = ("build_model", "build", "make_model", "get_model")


def load_target(spec: str, *, safe_mode: bool = True) -> Any:
    """Load or build the model that ``spec`` names.

    Args:
        spec: ``path/to/model.keras``; ``package.module:function`` (a function returning a model); or
            ``path/to/script.py``, which is run (without its ``__main__`` block) and must leave a model in a
            variable (``model`` first) or define ``build_model()``/``build()``.
        safe_mode: load ``.keras`` files in Keras safe mode (no arbitrary code).

    Returns:
        The Keras model.

    Raises:
        InterfaceError: building the model failed inside Keras at an interface kernest can explain.
        KernestError: the file, module or function does not exist, or no model could be found.
    """
    if spec.endswith(".keras"):
        if not os.path.isfile(spec):
            raise KernestError(f"no such model file: {spec}. Give the path of a .keras file saved with model.save().")
        try:
            from kernest._saving import load
        except ImportError:  # the loader with kernest's own messages is optional here
            return keras.saving.load_model(spec, safe_mode=safe_mode)
        return load(spec, safe_mode=safe_mode)
    if spec.endswith(".py") or os.path.sep in spec and not _looks_like_module(spec):
        return _from_script(spec)
    if ":" in spec:
        return _from_function(spec)
    raise KernestError(
        f"cannot tell what {spec!r} is. A target is a .keras file, a Python script (.py), or "
        "module:function naming a function that returns a model."
    )


def _looks_like_module(spec: str) -> bool:
    return ":" in spec and not spec.split(":", 1)[0].endswith(".py")


def _run(what: str, fn: Any) -> Any:
    try:
        return fn()
    except (KernestError, SystemExit, KeyboardInterrupt):
        raise
    except Exception as exc:  # anything the user's code raised
        explained = explain(exc)
        if explained is not None:
            raise explained from None
        raise KernestError(
            f"{what} raised {type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}. "
            "Fix the error in that code, then run the command again."
        ) from None


def _from_script(path: str) -> Any:
    if not os.path.isfile(path):
        raise KernestError(f"no such script: {path}. Give the path of a Python file that builds a model.")
    namespace = _run(path, lambda: runpy.run_path(path, run_name="__kernest_target__"))
    return _pick_model(namespace, path)


def _pick_model(namespace: dict[str, Any], where: str) -> Any:
    if isinstance(namespace.get("model"), keras.Model):
        return namespace["model"]
    for name in _BUILDERS:
        fn = namespace.get(name)
        if callable(fn):
            built = _run(f"{where}:{name}()", fn)
            if isinstance(built, keras.layers.Layer):
                return built
    models = [v for k, v in namespace.items() if isinstance(v, keras.Model) and not k.startswith("_")]
    if models:
        return models[-1]
    raise KernestError(
        f"{where} ran but left no Keras model. Assign the model to a variable named `model`, or define a "
        f"function {' / '.join(_BUILDERS[:2])}() that returns it."
    )


def _from_function(spec: str) -> Any:
    module_name, _, func_name = spec.partition(":")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise KernestError(
            f"cannot import module {module_name!r} ({exc}). Check the name, and run from the folder that holds it."
        ) from None
    fn = getattr(module, func_name, None)
    if not callable(fn):
        raise KernestError(f"module {module_name!r} has no function {func_name!r}. Name a function that returns a model.")
    built = _run(spec, fn)
    if not isinstance(built, keras.layers.Layer):
        raise KernestError(f"{spec}() returned {type(built).__name__}, not a Keras model. Return the model itself.")
    return built
