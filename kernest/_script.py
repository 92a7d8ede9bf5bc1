"""Run a user's script as ``python script.py`` would, without what would stop, stall or slow kernest, and
choose the model it built.

Real scripts parse ``sys.argv`` with argparse at import, print, ask for ``input()``, open data by paths
relative to their own folder, import matplotlib and call ``plt.show()``, and train (``model.fit``) at import or
under ``if __name__ == "__main__":``. While a script runs here:

- ``sys.argv`` is ``[script]`` (argparse takes its defaults) and the script's folder is first on ``sys.path``;
- what it prints goes to stderr, so kernest's own output (``--json``) stays clean;
- ``input()`` and argparse errors stop it with one sentence instead of waiting or exiting;
- ``fit`` runs one step of one epoch: kernest reads the model, it does not train it;
- matplotlib draws off screen (``plt.show()`` returns at once);
- a relative path that is missing from the current folder but present beside the script is found by running
  the script again from its own folder;
- past the time limit the script is stopped, and a model it had built by then is still used.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import functools
import inspect
import os
import re
import signal
import sys
import threading
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import keras

from kernest._errors import KernestError
from kernest._graph import outermost

BUILDERS = ("build_model", "build", "make_model", "get_model", "create_model")
RUN_NAME = "__kernest_target__"


class _Stopped(BaseException):
    """Raised inside the user's code to stop it (BaseException: no ``except Exception`` there swallows it)."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class AskedForInput(_Stopped):
    """The script called ``input()``; ``message`` says where, and ``where`` is ``script.py:12``."""

    def __init__(self, message: str, where: str) -> None:
        super().__init__(message)
        self.where = where


class _ArgparseRefused(_Stopped):
    pass


class StillRunning(_Stopped):
    """The time limit ran out; ``message`` says how long and where the script was."""


class _MissingBesideScript(_Stopped):
    """A relative path the script opened is missing here and present in the script's folder."""


@dataclass
class ScriptRun:
    """The surroundings of one script's run: ``call(fn)`` runs the user's code in them."""

    path: str
    timeout: float | None
    module: types.ModuleType
    notes: list[str] = field(default_factory=list)
    fit_sites: list[str] = field(default_factory=list)
    moved: bool = False

    @property
    def folder(self) -> str:
        return os.path.dirname(os.path.abspath(self.path))

    def call(self, wrap: Callable[[Callable[[], Any]], Any], fn: Callable[[], Any], partial: bool = False) -> Any:
        """``wrap(guarded fn)``: ``wrap`` is kernest's diagnosing runner; a missing relative file found beside
        the script runs ``fn`` again from the script's folder. Past the time limit: ``StillRunning`` where
        ``partial`` (the caller uses what was built so far), else an error."""
        for _ in range(2):
            try:
                with _stop_after(self.timeout):
                    return wrap(functools.partial(self._guarded, fn))
            except AskedForInput as exc:
                if partial:
                    raise
                raise KernestError(exc.message) from None
            except StillRunning as exc:
                if partial:
                    raise
                raise KernestError(
                    f"{self.path} ran for more than {exc.message} and was stopped. Build the model without "
                    "training it (kernest already runs fit() for one step only), or raise the limit with "
                    "--timeout SECONDS."
                ) from None
            except _MissingBesideScript as missing:
                if self.moved:
                    raise KernestError(missing.message) from None
                self.moved = True
                os.chdir(self.folder)
                keras.backend.clear_session()  # the second run gets the same layer names as the first would
                self.notes.append(f"{missing.message!r} is not in the current folder; kernest ran the script from "
                                  f"its own folder, {self.folder}")
            except _ArgparseRefused as exc:
                raise KernestError(
                    f"{self.path} parses its command line with argparse, and kernest runs it with no arguments: "
                    f"{exc.message.rstrip('.')}. Give those arguments defaults, or parse them under "
                    "`if __name__ == \"__main__\":` (kernest reads the model built before that block)."
                ) from None
        raise AssertionError("unreachable")

    def _guarded(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except FileNotFoundError as exc:
            name = exc.filename if isinstance(exc.filename, str) else None
            if (name and not os.path.isabs(name) and not self.moved and os.path.abspath(os.getcwd()) != self.folder
                    and os.path.exists(os.path.join(self.folder, name))):
                raise _MissingBesideScript(name) from None
            raise


@contextlib.contextmanager
def as_a_script(path: str, timeout: float | None) -> Iterator[ScriptRun]:
    """The surroundings a script runs in (see the module's docstring); everything is restored after."""
    module = types.ModuleType(RUN_NAME)
    module.__file__ = path
    run = ScriptRun(path, timeout, module)
    saved_argv, saved_path, saved_cwd = sys.argv, list(sys.path), os.getcwd()
    saved_module = sys.modules.get(RUN_NAME)
    sys.argv = [path]
    sys.path.insert(0, run.folder)
    sys.modules[RUN_NAME] = module  # dataclasses and pickling look a class's module up there
    try:
        with (contextlib.redirect_stdout(sys.stderr), _no_input(path), _argparse_raises(), _one_step_fit(run),
              _matplotlib_off_screen()):
            yield run
    finally:
        sys.argv = saved_argv
        sys.path[:] = saved_path
        os.chdir(saved_cwd)
        if saved_module is None:
            sys.modules.pop(RUN_NAME, None)
        else:
            sys.modules[RUN_NAME] = saved_module


def run_source(run: ScriptRun) -> dict[str, Any]:
    """Execute the script as a module named ``__kernest_target__`` (so its ``__main__`` block is skipped);
    its variables, as far as it got."""
    namespace = run.module.__dict__
    namespace.update(__name__=RUN_NAME, __file__=run.path, __builtins__=builtins)
    with open(run.path, encoding="utf-8") as f:
        code = compile(f.read(), run.path, "exec")
    exec(code, namespace)
    return namespace


@contextlib.contextmanager
def _stop_after(seconds: float | None) -> Iterator[None]:
    usable = seconds is not None and hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise StillRunning(f"{seconds:g} s{_where(frame)}")

    previous = signal.signal(signal.SIGALRM, stop)
    # fired again every half second until the run stops: code the alarm lands in (TensorFlow's tracing) may
    # swallow the first exception, and the user's loop would then run on without a limit
    signal.setitimer(signal.ITIMER_REAL, float(seconds), 0.5)  # type: ignore[arg-type]
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _where(frame: Any) -> str:
    """`` (at train.py:40)``: the innermost line of a user's file in ``frame``'s stack."""
    from kernest._trace import is_user_file

    while frame is not None:
        if is_user_file(frame.f_code.co_filename) and not frame.f_code.co_filename.startswith("<"):
            return f" (at {os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno})"
        frame = frame.f_back
    return ""


def _user_line(path: str) -> str:
    """``script.py:12`` of the innermost frame in the user's script."""
    frame = sys._getframe(1)
    target = os.path.abspath(path)
    while frame is not None:
        if os.path.abspath(frame.f_code.co_filename) == target:
            return f"{os.path.basename(path)}:{frame.f_lineno}"
        frame = frame.f_back  # type: ignore[assignment]
    return os.path.basename(path)


@contextlib.contextmanager
def _no_input(path: str) -> Iterator[None]:
    original = builtins.input

    def refuse(prompt: object = "") -> str:
        where = _user_line(path)
        raise AskedForInput(
            f"{path} asked for keyboard input (input({str(prompt)!r}) at {where}) before it built a model; kernest "
            "runs scripts without a keyboard. Give the value a default in the script, or ask for it under "
            "`if __name__ == \"__main__\":` after the model is built.", where
        )

    builtins.input = refuse
    try:
        yield
    finally:
        builtins.input = original


@contextlib.contextmanager
def _argparse_raises() -> Iterator[None]:
    import argparse

    original = argparse.ArgumentParser.error

    def error(self: argparse.ArgumentParser, message: str) -> Any:
        raise _ArgparseRefused(message)

    argparse.ArgumentParser.error = error  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        argparse.ArgumentParser.error = original  # type: ignore[method-assign]


@contextlib.contextmanager
def _matplotlib_off_screen() -> Iterator[None]:
    saved = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "Agg"
    plt = sys.modules.get("matplotlib.pyplot")
    previous = plt.get_backend() if plt is not None else None
    if plt is not None:
        plt.switch_backend("Agg")
    try:
        with _quiet_show():
            yield
    finally:
        if saved is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = saved
        if plt is not None and previous is not None:
            with contextlib.suppress(Exception):
                plt.switch_backend(previous)


@contextlib.contextmanager
def _quiet_show() -> Iterator[None]:
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*non-interactive.*cannot be shown")
        yield


def _defining(owner: type, name: str) -> type:
    return next((c for c in owner.__mro__ if name in c.__dict__), owner)


@contextlib.contextmanager
def _one_step_fit(run: ScriptRun) -> Iterator[None]:
    """``fit`` runs one epoch of one step (and one validation step): the script goes on as it would, with a
    real ``History``, and a fit that cannot run still fails here, where kernest can explain it."""
    owner = _defining(keras.Model, "fit")
    original = owner.__dict__["fit"]
    signature = inspect.signature(original)

    @functools.wraps(original)
    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            bound = signature.bind(self, *args, **kwargs)
        except TypeError:
            return original(self, *args, **kwargs)
        given = bound.arguments
        given["epochs"] = int(given.get("initial_epoch") or 0) + 1
        given["steps_per_epoch"] = 1
        given["verbose"] = 0  # no progress bar for the one step
        if given.get("validation_data") is not None or given.get("validation_split"):
            given["validation_steps"] = 1
        run.fit_sites.append(_user_line(run.path))
        return original(*bound.args, **bound.kwargs)

    owner.fit = fit  # type: ignore[attr-defined]
    try:
        yield
    finally:
        owner.fit = original  # type: ignore[attr-defined]


# --- which model ---------------------------------------------------------------------------------------------

def _models_in(namespace: dict[str, Any]) -> dict[str, keras.Model]:
    return {k: v for k, v in namespace.items()
            if not k.startswith("_") and isinstance(v, keras.Model) and not isinstance(v, type)}


def _outermost(models: dict[str, keras.Model]) -> list[str]:
    """The names of the models no other one holds (a VAE, not its encoder), in the order they were defined."""
    kept = {id(m) for m in outermost(models.values())}
    return [k for k, m in models.items() if id(m) in kept]


def _script_functions(namespace: dict[str, Any], path: str) -> list[str]:
    target = os.path.abspath(path)
    return [k for k, v in namespace.items() if isinstance(v, types.FunctionType) and not k.startswith("_")
            and os.path.abspath(v.__code__.co_filename) == target]


def _needs_arguments(fn: Any) -> list[str]:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD,
                                                                          p.KEYWORD_ONLY)]


def _call_keeping_locals(fn: Callable[[], Any], path: str, kept: dict[str, Any]) -> Any:
    """Call ``fn``; the variables of every function of the script that returns meanwhile are added to ``kept``
    (``main()`` builds a model in a local variable and returns nothing)."""
    target = os.path.abspath(path)

    mine: dict[str, bool] = {}  # file name -> whether it is the script (abspath once per file)

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event != "return":
            return
        name = frame.f_code.co_filename
        if name not in mine:
            mine[name] = os.path.abspath(name) == target
        if mine[name]:
            kept.update(_models_in(dict(frame.f_locals)))

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        return fn()
    finally:
        sys.setprofile(previous)


def main_block(path: str) -> types.CodeType | None:
    """The body of the script's ``if __name__ == "__main__":`` block, compiled with its own line numbers."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    bodies = [node.body for node in tree.body if isinstance(node, ast.If) and _is_main_guard(node.test)]
    if not bodies:
        return None
    return compile(ast.Module(body=[s for b in bodies for s in b], type_ignores=[]), path, "exec")


def _models_in_frames(exc: BaseException, path: str) -> dict[str, keras.Model]:
    """The models held by the script's own frames where ``exc`` stopped it (``main()``'s locals)."""
    target, found = os.path.abspath(path), {}
    tb = exc.__traceback__
    while tb is not None:
        if os.path.abspath(tb.tb_frame.f_code.co_filename) == target:
            found.update(_models_in(dict(tb.tb_frame.f_locals)))
        tb = tb.tb_next
    return found


def _exec_main(code: types.CodeType, namespace: dict[str, Any]) -> None:
    try:
        exec(code, namespace)
    except SystemExit as done:  # sys.exit(main()) after main() returned 0
        if done.code not in (0, None):
            raise


def _is_main_guard(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, *test.comparators]
    return any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and any(
        isinstance(s, ast.Constant) and s.value == "__main__" for s in sides)


@dataclass
class Choice:
    name: str | None  # the user's variable, or "build_model()"
    model: Any
    others: list[str]  # other models the script holds, by variable name


def choose_model(namespace: dict[str, Any], run: ScriptRun, pick: str | None,
                 wrap: Callable[[str, Callable[[], Any]], Any]) -> Choice:
    """The model a script means: ``pick`` if given; else the variable ``model``; the outermost model it holds
    (the last defined); what a builder function (``build_model()``) returns; or what its ``__main__`` block
    builds."""
    path = run.path
    models = _models_in(namespace)
    if pick is not None:
        return _picked(namespace, run, pick, wrap)
    if isinstance(namespace.get("model"), keras.Model):
        return Choice("model", namespace["model"], _others(models, "model"))
    roots = _outermost(models)
    if roots:
        name = roots[-1]
        return Choice(name, models[name], _others(models, name))
    for name in BUILDERS:
        fn = namespace.get(name)
        if callable(fn) and not isinstance(fn, (type, keras.layers.Layer)) and not _needs_arguments(fn):
            built = run.call(functools.partial(wrap, f"{path}:{name}()"), fn)
            if isinstance(built, keras.layers.Layer):
                return Choice(f"{name}()", built, list(models))
            _refuse_generator(f"{path}:{name}()", built)
    code = main_block(path)
    if code is not None:
        kept: dict[str, Any] = {}
        stopped = ""
        try:
            run.call(lambda f: wrap(path, f), lambda: _call_keeping_locals(lambda: _exec_main(code, namespace), path,
                                                                            kept), partial=True)
        except (StillRunning, AskedForInput) as exc:  # main() builds, then trains by hand or asks
            stopped = exc.message if isinstance(exc, StillRunning) else f"input() at {exc.where}"
            kept.update(_models_in_frames(exc, path))
            if not _outermost({**kept, **_models_in(namespace)}):
                raise KernestError(f"{path}'s `if __name__ == \"__main__\":` block was stopped ({stopped}) before "
                                   "it built a model. Build the model before any long work, or raise the limit "
                                   "with --timeout SECONDS.") from None
        found = {**kept, **_models_in(namespace)}
        roots = _outermost(found)
        if roots:
            name = "model" if "model" in roots else roots[-1]
            run.notes.append("it builds its model only under `if __name__ == \"__main__\":`, so kernest ran that "
                             "block too" + (f" and stopped it ({stopped})" if stopped else ""))
            return Choice(name, found[name], _others(found, name))
    functions = _script_functions(namespace, path)
    hint = (f" It defines {', '.join(f + '()' for f in functions[:6])}: if one returns the model, give "
            f"{path}:{functions[0]}." if functions else "")
    raise KernestError(
        f"{path} ran but left no Keras model.{hint} Or assign the model to a variable named `model`, or define a "
        f"function {' / '.join(BUILDERS[:2])}() that returns it."
    )


def _others(models: dict[str, keras.Model], chosen: str) -> list[str]:
    """The other models' names: the outermost ones (another whole model) before those inside one."""
    ordered = dict.fromkeys([*_outermost(models), *models])
    return [k for k in ordered if models[k] is not models[chosen]]


def _picked(namespace: dict[str, Any], run: ScriptRun, pick: str,
            wrap: Callable[[str, Callable[[], Any]], Any]) -> Choice:
    path = run.path
    models = _models_in(namespace)
    value = namespace.get(pick)
    others = [k for k in models if k != pick]
    if isinstance(value, keras.layers.Layer):
        return Choice(pick, value, others)
    if isinstance(value, types.FunctionType):
        needed = _needs_arguments(value)
        if needed:
            raise KernestError(f"{path}:{pick}() needs arguments ({', '.join(needed)}), and kernest calls it with "
                               "none. Give them defaults, or name a function that takes none.")
        kept: dict[str, Any] = {}
        built = run.call(lambda f: wrap(f"{path}:{pick}()", f), lambda: _call_keeping_locals(value, path, kept))
        _refuse_generator(f"{path}:{pick}()", built)
        if isinstance(built, keras.layers.Layer):
            return Choice(f"{pick}()", built, others)
        roots = _outermost(kept)
        if built is None and roots:
            name = "model" if "model" in roots else roots[-1]
            return Choice(name, kept[name], _others(kept, name))
        raise KernestError(f"{path}:{pick}() returned {type(built).__name__}, not a Keras model. Return the model "
                           "itself, or name a variable that holds it.")
    known = [*models, *_script_functions(namespace, path)]
    listed = ", ".join(known[:8]) or "no models or functions"
    raise KernestError(
        f"{path} has no model or function named {pick!r} (it holds {listed}). Give one of those after the colon, "
        f"e.g. {path}:{known[0] if known else 'model'}."
    )


def _refuse_generator(what: str, built: Any) -> None:
    if isinstance(built, (types.GeneratorType, Iterator)):
        raise KernestError(
            f"{what} returned a generator, not a Keras model: it uses `yield`. Return the model instead "
            "(build it fully, then `return model`)."
        )


def note(run: ScriptRun, choice: Choice) -> str:
    """One paragraph for stderr: which model kernest used, how to pick another, and what it changed in the run."""
    model = choice.model
    what = f"`{choice.name}`" if choice.name else "the model"
    text = f"kernest: {run.path}: using {what} ({type(model).__name__} '{model.name}')"
    if choice.others:
        shown = ", ".join(f"`{o}`" for o in choice.others[:6])
        text += f"; it also holds {shown}: give {run.path}:{choice.others[0]} to use another"
    if run.fit_sites:
        text += f"; fit ran one step only ({', '.join(dict.fromkeys(run.fit_sites))})"
    for n in run.notes:
        text += f"; {n}"
    return re.sub(r"\s+", " ", text) + "."
