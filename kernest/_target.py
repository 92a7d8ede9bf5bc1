"""Turn a command-line TARGET into a model: a ``.keras`` file, ``module:function``, or a Python script."""

from __future__ import annotations

import importlib
import logging
import os
import signal
import sys
import threading
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import keras
import numpy as np

from kernest._errors import KernestError
from kernest._explain import explain, first_line
from kernest._trace import Tracer, is_user_file, trace


def load_target(spec: str, *, safe_mode: bool = True, timeout: float | None = None) -> Any:
    """Load or build the model that ``spec`` names.

    Args:
        spec: ``path/to/model.keras``; ``package.module:function`` (a function returning a model);
            ``path/to/script.py``, which is run (without its ``__main__`` block; ``fit`` runs one step) and
            must leave a model in a variable (``model`` first) or define ``build_model()``/``build()``; or
            ``path/to/script.py:NAME``, the script's variable or function ``NAME``.
        safe_mode: load ``.keras`` files in Keras safe mode (no arbitrary code).
        timeout: seconds a script or function may run before it is stopped (None: no limit).

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
    script, dot_py, pick = spec.rpartition(".py:")
    if dot_py and pick.isidentifier():  # script.py:encoder, script.py:build_unet
        return _from_script(script + ".py", timeout, pick)
    if spec.endswith(".py") or os.path.sep in spec and not _looks_like_module(spec):
        return _from_script(spec, timeout)
    if ":" in spec:
        return _from_function(spec, timeout)
    raise KernestError(
        f"cannot tell what {spec!r} is. A target is a .keras file, a Python script (.py), or "
        "module:function naming a function that returns a model."
    )


def _looks_like_module(spec: str) -> bool:
    return ":" in spec and not spec.split(":", 1)[0].endswith(".py")


class _TimedOut(BaseException):
    """Raised inside the user's code when ``--timeout`` runs out (a BaseException, so no ``except
    Exception`` in that code swallows it)."""


@contextmanager
def _time_limit(seconds: float | None, what: str) -> Iterator[None]:
    usable = seconds is not None and hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise _TimedOut()

    previous = signal.signal(signal.SIGALRM, stop)
    # fired again every half second until the run stops: code the alarm lands in (TensorFlow's tracing) may
    # swallow the first exception, and the user's loop would then run on without a limit
    signal.setitimer(signal.ITIMER_REAL, float(seconds), 0.5)  # type: ignore[arg-type]
    try:
        yield
    except _TimedOut:
        raise KernestError(
            f"{what} ran for more than {seconds:g} s and was stopped. Build the model without training it "
            "(move fit() under `if __name__ == \"__main__\":`), or raise the limit with --timeout SECONDS."
        ) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class _HeldKerasLogs(logging.Filter):
    """Holds the error records Keras' own code logs (JAX's attention logs a whole traceback before falling
    back and failing again). When the run fails, kernest's one message replaces them; when it succeeds,
    they are let through after all."""

    def __init__(self) -> None:
        super().__init__()
        self.held: list[logging.LogRecord] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and f"{os.sep}keras{os.sep}" in record.pathname:
            self.held.append(record)
            return False
        return True


@contextmanager
def _holding_keras_logs() -> Iterator[None]:
    logger, held = logging.getLogger("absl"), _HeldKerasLogs()
    logger.addFilter(held)
    failed = False
    try:
        yield
    except BaseException:
        failed = True
        raise
    finally:
        logger.removeFilter(held)
        for record in [] if failed else held.held:
            logger.handle(record)


def _run(what: str, fn: Any, timeout: float | None = None, tracer: Tracer | None = None) -> Any:
    try:
        with _time_limit(timeout, what), _holding_keras_logs():
            if tracer is not None:
                return fn()
            with trace():
                return fn()
    except (KernestError, KeyboardInterrupt):
        raise
    except SystemExit as exc:
        raise KernestError(
            f"{what} called sys.exit({exc.code!r}) before kernest could read its model. Put the exit (and any "
            "command-line handling) under `if __name__ == \"__main__\":`, which kernest does not run."
        ) from None
    except Exception as exc:  # anything the user's code raised
        explained = explain(exc)
        if explained is not None:
            raise explained from None
        raise KernestError(_outside_keras(what, exc)) from None


def _outside_keras(what: str, exc: BaseException) -> str:
    """The message for an error raised by the user's own code (a typo, a missing file), with its line."""
    line = ""
    tb = exc.__traceback__
    while tb is not None:
        if is_user_file(tb.tb_frame.f_code.co_filename):
            line = f" (at {os.path.basename(tb.tb_frame.f_code.co_filename)}:{tb.tb_lineno})"
        tb = tb.tb_next
    return (
        f"{what} raised {type(exc).__name__}: {first_line(str(exc)).rstrip('.')}{line}. "
        "Fix the error in that code, then run the command again."
    )


def _from_script(path: str, timeout: float | None = None, pick: str | None = None) -> Any:
    if not os.path.isfile(path):
        raise KernestError(f"no such script: {path}. Give the path of a Python file that builds a model.")
    try:
        compile(open(path, encoding="utf-8").read(), path, "exec")
    except SyntaxError as exc:
        raise KernestError(
            f"{path} raised SyntaxError: {exc.msg} at line {exc.lineno}; it is not valid Python. Fix the syntax, "
            "then run the command again."
        ) from None
    except (UnicodeDecodeError, OSError) as exc:
        raise KernestError(f"cannot read {path} as a UTF-8 Python script ({exc}).") from None
    from kernest._script import AskedForInput, StillRunning, as_a_script, choose_model, note, run_source

    with as_a_script(path, timeout) as run:
        try:
            namespace = run.call(lambda fn: _run(path, fn), lambda: run_source(run), partial=True)
        except StillRunning as stopped:
            namespace = run.module.__dict__  # what it built before it was stopped
            if not any(isinstance(v, keras.Model) for v in namespace.values()):
                raise KernestError(
                    f"{path} ran for more than {stopped.message} and was stopped before it built a model. "
                    "Build the model before any long work (kernest runs fit() for one step only), or raise the "
                    "limit with --timeout SECONDS."
                ) from None
            run.notes.append(f"it was still running after {stopped.message}; kernest stopped it there and used "
                             "the model built before")
        except AskedForInput as asked:
            namespace = run.module.__dict__
            if not any(isinstance(v, keras.Model) for v in namespace.values()):
                raise KernestError(asked.message) from None
            run.notes.append(f"it asked for keyboard input at {asked.where}; kernest stopped it there and used the "
                             "model built before")
        choice = choose_model(namespace, run, pick, _run)
    print(note(run, choice), file=sys.stderr)
    model = choice.model
    if choice.name is not None and not choice.name.endswith(")"):
        try:
            model._kernest_var = choice.name  # messages then speak of the user's variable
        except AttributeError:
            pass
    _remember_names(namespace, model)
    return model


def _remember_names(namespace: dict[str, Any], model: Any) -> None:
    """Let messages speak of the user's variables: each layer held in one (``norm.adapt(...)``) and the array
    the model was fit on."""
    data = getattr(model, "_kernest_data", None)
    try:
        model._kernest_script = namespace.get("__file__")  # the data rules read how the script made its arrays
        model._kernest_array_names = {id(v): k for k, v in namespace.items()  # and name the arrays it holds
                                      if isinstance(v, np.ndarray) and not k.startswith("_")}
        held = {k: v for k, v in namespace.items() if isinstance(v, keras.Model) and not k.startswith("_")}
        model._kernest_models = lambda: held  # and find the models it was built from (a callable: Keras tracks no layer in it)
    except AttributeError:
        pass
    for key, value in namespace.items():
        if key.startswith("_"):
            continue
        try:
            if (isinstance(value, keras.layers.Layer) and not isinstance(value, keras.Model)
                    and getattr(value, "_kernest_var", None) is None):  # models keep their Keras names in messages
                value._kernest_var = key
            if data is not None and value is data and getattr(model, "_kernest_data_var", None) is None:
                model._kernest_data_var = key
            labels = getattr(model, "_kernest_labels", None)
            if labels is not None and value is labels and getattr(model, "_kernest_labels_var", None) is None:
                model._kernest_labels_var = key
        except AttributeError:
            pass


def _refuse_generator(what: str, built: Any) -> None:
    if isinstance(built, (types.GeneratorType, Iterator)):
        raise KernestError(
            f"{what} returned a generator, not a Keras model: it uses `yield`. Return the model instead "
            "(build it fully, then `return model`)."
        )


def _from_function(spec: str, timeout: float | None = None) -> Any:
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
    built = _run(spec, fn, timeout)
    _refuse_generator(f"{spec}()", built)
    if not isinstance(built, keras.layers.Layer):
        raise KernestError(f"{spec}() returned {type(built).__name__}, not a Keras model. Return the model itself.")
    return built
