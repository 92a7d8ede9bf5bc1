"""``trace``: record the nested calls Keras makes while a model is built or called.

While a ``trace()`` is active, every ``Layer.__call__``, every ``Sequential.build`` and every functional
``Model(inputs, outputs)`` construction is a *frame* on a stack. When an exception leaves the outermost
frame, the stack as it stood where the exception was raised is kept as a ``Failure``: the full nested
path of the failing layer, the tensors each level received (and so who produced them), and the line of
the user's code that made the outermost call, with the user's variable names for those tensors.

The tracer also records where every ``keras.Input`` was created (file, line, source text), and which
variables a model was compiled with, so that ``check`` can tell a stray ``Input`` or a ``trainable`` flag
changed after ``compile``.

Keras' traceback filtering is turned off while tracing: it re-creates exceptions, which would drop the
failure attached to them.
"""

from __future__ import annotations

import functools
import inspect
import linecache
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType, TracebackType
from typing import Any

import keras

from kernest._graph import is_symbolic, producer


@dataclass(frozen=True)
class Site:
    """A line of the user's code."""

    file: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{os.path.basename(self.file)}:{self.line}: {self.text}"


@dataclass
class Frame:
    """One level of the stack: ``layer`` called (or built, or constructed) on ``inputs``."""

    layer: Any
    inputs: tuple[Any, ...]
    kind: str = "call"  # "call", "build" (Sequential.build), "construct" (Model(inputs, outputs))
    args: dict[str, Any] = field(default_factory=dict)
    data: Any = None  # the first argument as given (a tensor, list or dict)


@dataclass
class Failure:
    """Where an exception was raised: the nested frames (outermost first) and the user's line."""

    frames: list[Frame]
    site: Site | None = None
    names: dict[int, str] = field(default_factory=dict)  # id(tensor) -> the user's variable name
    scope: dict[str, Any] = field(default_factory=dict)  # the user's variables at that line
    made_by: dict[int, Any] = field(default_factory=dict)  # placeholders' producers (subclassed models)
    made_from: dict[int, tuple[Any, ...]] = field(default_factory=dict)  # and what those calls were given
    traced: bool = True  # False: rebuilt from a traceback that Keras filtered (inner layers' frames are gone)

    def __post_init__(self) -> None:
        # A Sequential built on its first call is a "call" frame and then a "build" frame: keep one.
        kept: list[Frame] = []
        for f in self.frames:
            if kept and kept[-1].layer is f.layer:
                continue
            kept.append(f)
        self.frames = kept

    @property
    def path(self) -> str:
        names: list[str] = []
        for f, after in zip(self.frames, [*self.frames[1:], None], strict=True):
            names.append(frame_name(f))
            wrapped = getattr(f.layer, "layer", None)  # TimeDistributed runs its model's call(), not __call__:
            if (isinstance(f.layer, keras.layers.TimeDistributed) and after is not None  # no frame of its own
                    and after.layer is not wrapped and isinstance(wrapped, keras.layers.Layer)):
                names.append(str(wrapped.name))
        return "/".join(names)

    def name_of(self, tensor: Any) -> str | None:
        return self.names.get(id(tensor))


def frame_name(frame: Frame) -> str:
    """The name of a frame's layer, or the ``name=`` a model under construction was given."""
    if frame.kind == "construct":
        given = frame.args.get("name")
        if isinstance(given, str):
            return given
    return str(getattr(frame.layer, "name", None) or type(frame.layer).__name__.lower())


@dataclass
class Recorded:
    """A call the tracer saw while a model was built symbolically: nested path, the layer, what came in and
    what went out (Keras tensors, or a backend's placeholders inside a subclassed model's call). A call read
    from a built graph afterwards is a ``_graph.Call``."""

    path: str
    layer: Any
    inputs: tuple[Any, ...]
    outputs: tuple[Any, ...] = ()


class Tracer:
    """What one ``trace()`` recorded. ``failure`` is the last failure; ``calls`` every symbolic call."""

    def __init__(self) -> None:
        self.stack: list[Frame] = []
        self.calls: list[Recorded] = []
        self.failure: Failure | None = None
        self._pending: Failure | None = None
        self._open: list[Recorded | None] = []  # per stack level: the recorded call, or None
        self._shadow: list[Recorded | None] = []  # per stack level: a call inside one on data, not recorded
        self._call_made_by: dict[int, Any] = {}  # as made_by, for those calls, during the outermost call only
        self._call_made_from: dict[int, tuple[Any, ...]] = {}
        self.made_by: dict[int, Any] = {}  # id(tensor) -> the layer whose recorded call returned it
        self.made_from: dict[int, tuple[Any, ...]] = {}  # id(tensor) -> the inputs of that call

    def push(self, frame: Frame) -> None:
        if not self.stack:
            self._pending = None
        # A call is recorded when it is symbolic, or runs inside a symbolic one (a subclassed model's call
        # sees a backend's placeholders, not Keras tensors).
        symbolic = any(is_symbolic(t) for t in frame.inputs) or (bool(self._open) and self._open[-1] is not None)
        call = None
        if frame.kind == "call" and symbolic:
            call = Recorded("/".join(f.layer.name for f in [*self.stack, frame]), frame.layer, frame.inputs)
            self.calls.append(call)
        self._open.append(call if symbolic else None)
        # A call inside a model called on data (or on a backend's placeholders, as Keras builds a subclassed
        # model) is not recorded, but what it returns is remembered until the outermost call returns: where
        # the model fails, the layer that made the failing tensor (a Flatten before a convolution) is known.
        inside = frame.kind == "call" and not symbolic and bool(self.stack)
        self._shadow.append(Recorded("", frame.layer, frame.inputs) if inside else None)
        self.stack.append(frame)

    def finish(self, result: Any) -> None:
        """Record what the innermost call returned."""
        if not self._open:
            return
        call, shadow = self._open[-1], self._shadow[-1]
        for recorded, made_by, made_from in ((call, self.made_by, self.made_from),
                                             (shadow, self._call_made_by, self._call_made_from)):
            if recorded is None:
                continue
            try:
                recorded.outputs = tuple(t for t in keras.tree.flatten(result) if hasattr(t, "shape"))
            except Exception:  # an output structure Keras cannot flatten: keep none
                recorded.outputs = ()
            for t in recorded.outputs:
                made_by[id(t)] = recorded.layer
                made_from[id(t)] = recorded.inputs

    def pop(self, exc: BaseException | None, caller: FrameType | None) -> None:
        self._open.pop()
        self._shadow.pop()
        if exc is not None and self._pending is None:
            self._pending = Failure(list(self.stack), made_by={**self.made_by, **self._call_made_by},
                                    made_from={**self.made_from, **self._call_made_from})
        self.stack.pop()
        if not self.stack:  # the outermost call is over: what its layers made on data is forgotten
            self._call_made_by, self._call_made_from = {}, {}
        if exc is not None and not self.stack and self._pending is not None:
            failure = self._pending
            failure.site, failure.names, failure.scope = _user_site(caller, failure.frames[0].inputs, scope=True)
            self.failure = failure
            try:
                exc._kernest_failure = failure  # type: ignore[attr-defined]
            except AttributeError:
                pass


_state = threading.local()
_lock = threading.Lock()
_active = 0
_originals: dict[str, Any] = {}


def current() -> Tracer | None:
    """The innermost active tracer of this thread, or None."""
    tracers = getattr(_state, "tracers", None)
    return tracers[-1] if tracers else None


@contextmanager
def trace() -> Iterator[Tracer]:
    """Record nested calls while models are built or called.

    Inside the block, a failure anywhere inside Keras keeps the full nested path of the failing layer,
    the tensors each level received and the user's line; ``explain`` and ``check`` use it.

    Returns:
        A ``Tracer``: ``.failure`` is the last failure (or None), ``.calls`` every symbolic call with
        its nested path.

    Example:
        >>> import keras, kernest
        >>> inner = keras.Sequential([keras.layers.Dense(4, name="proj")], name="inner")
        >>> with kernest.trace() as t:
        ...     y = inner(keras.Input((3,)))
        >>> [c.path for c in t.calls]
        ['inner', 'inner/proj']
    """
    global _active
    tracer = Tracer()
    with _lock:
        if _active == 0:
            _install()
        _active += 1
    tracers = getattr(_state, "tracers", None)
    if tracers is None:
        tracers = _state.tracers = []
    tracers.append(tracer)
    try:
        yield tracer
    finally:
        tracers.remove(tracer)
        with _lock:
            _active -= 1
            if _active == 0:
                _uninstall()


def failure_of(exc: BaseException) -> Failure | None:
    """The failure a tracer attached to ``exc`` (or to the exception it was raised from); without a
    tracer, the frames that Keras' traceback still shows."""
    seen: set[int] = set()
    current_exc: BaseException | None = exc
    while current_exc is not None and id(current_exc) not in seen:
        seen.add(id(current_exc))
        found = getattr(current_exc, "_kernest_failure", None)
        if found is not None:
            return found
        current_exc = current_exc.__cause__ or current_exc.__context__
    return _failure_from_traceback(exc)


def unfiltered_traceback(exc: BaseException) -> TracebackType | None:
    """``exc``'s traceback with the frames Keras' traceback filtering dropped put back, or None where none were
    dropped. Outside ``kernest.trace()`` Keras re-raises an error with only the frames outside its own code (its
    layers' ``__call__``, the failing layer itself, are gone), but each kept frame still links to its caller: the
    chain from the deepest kept frame up to the first holds them all."""
    entries = []
    tb = exc.__traceback__
    while tb is not None:
        entries.append(tb)
        tb = tb.tb_next
    if not any(t.tb_frame.f_code.co_name == "error_handler" for t in entries):
        return None
    chain: list[FrameType] = []
    frame: FrameType | None = entries[-1].tb_frame
    while frame is not None and frame is not entries[0].tb_frame:
        chain.append(frame)
        frame = frame.f_back
    if frame is None or len(chain) + 1 == len(entries):  # another thread's or a generator's frames; or nothing lost
        return None
    kept = {id(t.tb_frame): t for t in entries}
    whole = None
    for f in [*chain, frame]:  # deepest first: each links to the one it called
        t = kept.get(id(f))
        whole = TracebackType(whole, f, t.tb_lasti if t else f.f_lasti, t.tb_lineno if t else f.f_lineno)
    return whole


def _failure_from_traceback(exc: BaseException) -> Failure | None:
    """Rebuild the nested frames from a traceback: the layer each ``__call__`` (or Keras' error handler
    around it), ``Sequential.build`` and ``Model(inputs, outputs)`` frame was running for."""
    from keras.src.models.functional import Functional

    frames: list[Frame] = []
    site: Site | None = None
    tb = exc.__traceback__
    while tb is not None:
        code, local = tb.tb_frame.f_code, tb.tb_frame.f_locals
        this = local.get("self")
        args = local.get("args")
        if is_user_file(code.co_filename):
            site = Site(code.co_filename, tb.tb_lineno, linecache.getline(code.co_filename, tb.tb_lineno).strip())
        elif code.co_name == "error_handler" and isinstance(args, tuple) and args and isinstance(args[0], keras.layers.Layer):
            given = args[1] if len(args) > 1 else None
            frames.append(Frame(args[0], tuple(_call_inputs(args[1:], local.get("kwargs") or {})), data=given))
        elif code.co_name == "__call__" and isinstance(this, keras.layers.Layer) and isinstance(args, tuple):
            frames.append(Frame(this, tuple(_call_inputs(args, local.get("kwargs") or {})), data=args[0] if args else None))
        elif code.co_name == "build" and isinstance(this, keras.Sequential):
            frames.append(Frame(this, (), "build"))
        elif code.co_name == "__init__" and isinstance(this, Functional) and "outputs" in local:
            named = {"inputs": local.get("inputs"), "outputs": local.get("outputs"), "name": local.get("name")}
            frames.append(Frame(this, tuple(_construct_inputs((local.get("inputs"),), {})), "construct", named))
        tb = tb.tb_next
    if not frames:
        return None
    return Failure(frames, site, traced=False)


# --- the patches ---------------------------------------------------------------------------------------

def _framed(kind: str, original: Any, inputs_of: Any) -> Any:
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        tracer = current()
        if tracer is None:
            return original(self, *args, **kwargs)
        data = args[0] if args else kwargs.get("inputs")
        tracer.push(Frame(self, tuple(inputs_of(args, kwargs)), kind, _named_args(kind, args, kwargs), data))
        try:
            result = original(self, *args, **kwargs)
        except BaseException as exc:
            tracer.pop(exc, sys._getframe(1))
            raise
        tracer.finish(result)
        tracer.pop(None, None)
        if kind == "construct":
            from kernest._cut_graph import remember_cut_scope

            remember_cut_scope(self, sys._getframe(1))
        return result

    if kind == "build":  # Keras reads build()'s signature to know what to pass it
        wrapper = functools.wraps(original)(wrapper)
    wrapper.__kernest_original__ = original  # type: ignore[attr-defined]
    return wrapper


def _stateless_framed(original: Any) -> Any:
    """``stateless_call(trainable, non_trainable, *inputs)`` as a call frame: JAX's fit, evaluate and predict run the
    model they were called on through it, which calls ``call`` directly (no ``__call__``), so without this frame a
    failure inside a nested model would miss the outermost model's name in its path."""
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        if current() is None or len(args) < 3:  # the variables given by keyword: run it as it is, unframed
            return original(self, *args, **kwargs)
        variables = args[:2]

        def run(layer: Any, *inputs: Any, **kw: Any) -> Any:
            return original(layer, *variables, *inputs, **kw)
        return _framed("call", run, _call_inputs)(self, *args[2:], **kwargs)

    wrapper.__kernest_original__ = original  # type: ignore[attr-defined]
    return wrapper


def _call_inputs(args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any]:
    data = args[0] if args else kwargs.get("inputs", kwargs.get("x"))
    return [t for t in keras.tree.flatten(data) if hasattr(t, "shape")] if data is not None else []


def _construct_inputs(args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any]:
    data = args[0] if args else kwargs.get("inputs")
    try:
        return [t for t in keras.tree.flatten(data) if hasattr(t, "shape")]
    except Exception:  # an unusual structure: the construction will say what is wrong
        return []


def _named_args(kind: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    if kind != "construct":
        return {}
    named = dict(kwargs)
    for key, value in zip(("inputs", "outputs", "name"), args):
        named[key] = value
    return named


def _record_input(original: Any) -> Any:
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        original(self, *args, **kwargs)
        if current() is not None:
            site, _, _ = _user_site(sys._getframe(1), ())
            self._kernest_created_at = site

    wrapper.__kernest_original__ = original  # type: ignore[attr-defined]
    return wrapper


def _record_compile(original: Any) -> Any:
    @functools.wraps(original)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        self._kernest_compiled_with = [id(v) for v in self.trainable_variables]
        return result

    wrapper.__kernest_original__ = original  # type: ignore[attr-defined]
    return wrapper


def _argument(fn: Any, self: Any, args: tuple[Any, ...], kwargs: dict[str, Any], name: str) -> Any:
    """The value ``fn(self, *args, **kwargs)`` binds to its parameter ``name`` (by position or keyword), or None."""
    try:
        return inspect.signature(fn).bind_partial(self, *args, **kwargs).arguments.get(name)
    except (TypeError, ValueError):
        return kwargs.get(name)


def _record_data(original: Any) -> Any:
    """Keep the ``x`` (and labels ``y``) a model is trained or run on, so ``check`` can compare them with what its
    layers take and what its head gives."""

    @functools.wraps(original)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(self, "_kernest_inside", False):  # fit's own evaluate of the validation part: keep fit's data
            return original(self, *args, **kwargs)
        x = args[0] if args else kwargs.get("x")
        y = args[1] if len(args) > 1 else kwargs.get("y")
        if x is not None and current() is not None:
            try:
                self._kernest_data = x
                if y is not None:
                    self._kernest_labels = y
                if getattr(original, "__name__", "") == "predict":  # read by the shuffled-predictions lint rule
                    self._kernest_predicted = x
                    frame = getattr(x, "gi_frame", None)  # a generator's arguments, before predict uses it up
                    self._kernest_predicted_args = {k: v for k, v in (frame.f_locals if frame is not None else {}).items()
                                                      if isinstance(v, (bool, int, float, str, type(None)))}
                given = _argument(original, self, args, kwargs, "callbacks")
                if isinstance(given, (list, tuple)):  # the user's list (Keras' own evaluate gets a CallbackList)
                    self._kernest_callbacks = list(given)
                split = _argument(original, self, args, kwargs, "validation_split")
                if split:
                    self._kernest_validation_split = float(split)
                if getattr(original, "__name__", "") == "fit":  # read by the initial_epoch lint rule
                    epochs = _argument(original, self, args, kwargs, "epochs")
                    first = _argument(original, self, args, kwargs, "initial_epoch")
                    self._kernest_epochs = (epochs if isinstance(epochs, int) else 1, first if isinstance(first, int) else 0)
                steps = _argument(original, self, args, kwargs, "steps_per_epoch")
                if isinstance(steps, int) and steps > 0:  # read against the data's batches by a lint rule
                    epochs = _argument(original, self, args, kwargs, "epochs")
                    self._kernest_steps = (steps, epochs if isinstance(epochs, int) else 1)
                    self._kernest_data_again = generator_again(x)  # fit is about to use it up
                    self._kernest_data_blocker = not_copied(x) if self._kernest_data_again is None else None
            except AttributeError:  # a model that refuses new attributes
                pass
        try:
            self._kernest_inside = True
        except AttributeError:
            return original(self, *args, **kwargs)
        try:
            return original(self, *args, **kwargs)
        finally:
            self._kernest_inside = False

    wrapper.__kernest_original__ = original  # type: ignore[attr-defined]
    return wrapper


def generator_again(gen: Any) -> Any:
    """A function that makes a fresh copy of the not yet started generator ``gen`` (the same generator function
    called on the same arguments, a closure's variables in new cells, a generator expression over a copy of the
    iterator it reads), so its batches can be counted without using up the one fit reads; None when that cannot
    be done safely: not a generator, already started, or reading an iterator that cannot be copied."""
    import types

    if not inspect.isgenerator(gen) or inspect.getgeneratorstate(gen) != inspect.GEN_CREATED:
        return None
    code, frame = gen.gi_code, gen.gi_frame
    if frame is None or (code.co_name.startswith("<") and code.co_name != "<genexpr>"):
        return None
    given = dict(frame.f_locals)
    if any(name not in given for name in code.co_freevars):
        return None
    n = code.co_argcount + code.co_kwonlyargcount
    names = list(code.co_varnames[:n])
    star = code.co_varnames[n] if code.co_flags & inspect.CO_VARARGS else None
    stars = code.co_varnames[n + bool(star)] if code.co_flags & inspect.CO_VARKEYWORDS else None
    positional = [given[k] for k in names[: code.co_argcount]] + list(given.get(star, ()) if star else ())
    if code.co_name == "<genexpr>":  # its one argument is the iterator over the outermost iterable
        source = iterator_again(positional[0])  # copied now, before fit moves it
        fn = types.FunctionType(code, frame.f_globals, code.co_name, None,
                                tuple(types.CellType(given[name]) for name in code.co_freevars) or None)
        return None if source is None else (lambda: fn(source()))
    # an iterator given to the generator (gen(zip(xs, ys)), or in its closure) is shared with the user's: each is
    # copied now, before fit moves it, and a copy made for each count; one that cannot be copied stops it here
    values = {k: given[k] for k in (*names, *([star] if star else []), *([stars] if stars else []),
                                     *code.co_freevars)}
    copies: dict[str, Any] = {}
    for name, value in values.items():
        items = list(value) if name in (star, stars) and isinstance(value, tuple) else [value]
        if name == stars and isinstance(value, dict):
            items = list(value.values())
        if any(_is_iterator(v) for v in items):
            if name in (star, stars):
                return None  # an iterator among *args / **kwargs: not copied
            copies[name] = iterator_again(value)
            if copies[name] is None:
                return None

    def fresh() -> Any:
        now = {k: (copies[k]() if k in copies else v) for k, v in values.items()}
        cells = tuple(types.CellType(now[name]) for name in code.co_freevars)  # the closure's values, new cells
        fn = types.FunctionType(code, frame.f_globals, code.co_name, None, cells or None)
        args = [now[k] for k in names[: code.co_argcount]] + list(now.get(star, ()) if star else ())
        kwargs = {k: now[k] for k in names[code.co_argcount:]} | (dict(now.get(stars, {})) if stars else {})
        return fn(*args, **kwargs)
    return fresh


def not_copied(data: Any) -> tuple[str, str] | None:
    """Why ``generator_again`` could not copy a generator, said plainly: (what blocks it, the name the generator
    holds it by): the open file it reads (``"the open file 'rows.csv'"``, ``"lines"``), an iterator of a kind
    kernest does not copy, a generator already started, an iterator among ``*args``. None for no generator."""
    import io

    if not inspect.isgenerator(data):
        return None
    if inspect.getgeneratorstate(data) != inspect.GEN_CREATED:
        return "a generator fit had already started", ""
    frame = data.gi_frame
    given = dict(frame.f_locals) if frame is not None else {}
    for name, value in given.items():
        items = list(value) if isinstance(value, tuple) else list(value.values()) if isinstance(value, dict) else [value]
        for item in items:
            found = _blocker(item, io)
            if found is not None:
                return found, ("" if item is not value else "the iterable it reads" if name == ".0" else name)
    return "a generator kernest cannot copy (one whose code or variables it cannot read again)", ""


def _blocker(value: Any, io: Any, depth: int = 0) -> str | None:
    """What in ``value`` (an iterator, or one inside a map/zip/enumerate/islice) cannot be read again; None
    where ``iterator_again`` copies it or it is no iterator."""
    if isinstance(value, io.IOBase):
        name = getattr(value, "name", None)
        return f"the open file {name!r}" if isinstance(name, str) else "an open file or stream"
    if not _is_iterator(value) or iterator_again(value) is not None:
        return None
    try:
        made, args, *_ = value.__reduce__()
    except (TypeError, AttributeError):
        made, args = None, ()
    if depth < 4 and made in (map, zip, enumerate, iter):
        for arg in args:
            inner = _blocker(arg, io, depth + 1)
            if inner is not None:
                return inner
    if inspect.isgenerator(value):
        return f"the generator {value.__name__}(...), which kernest cannot copy"
    return f"a {type(value).__name__} iterator, which moves as it is read and cannot be copied"


def _is_iterator(value: Any) -> bool:
    """An object that moves as it is read (a generator, ``iter(xs)``, a ``map`` or ``zip``), not a container."""
    return hasattr(value, "__next__") and not isinstance(value, (str, bytes))


_COPYABLE = (list, tuple, range, str, bytes, dict)


def iterator_again(it: Any) -> Any:
    """A function that makes a fresh copy of the iterator ``it`` at its current position, or None: an iterator
    over a list, tuple, range or array (``iter(batches)``), an ``itertools.islice``, ``map`` (the user's function
    over them), ``zip`` or ``enumerate`` of those, or of a generator ``generator_again`` can copy. Anything else
    (a file, a user's iterator class, a started generator) is not copied."""
    import numpy as np

    if inspect.isgenerator(it):
        return generator_again(it)
    try:
        made, args, *state = it.__reduce__()
    except (TypeError, AttributeError):
        return None
    if made not in (iter, map, zip, enumerate) and not (
            isinstance(made, type) and made.__module__ == "itertools" and made.__name__ == "islice"):
        return None
    again = []
    for k, arg in enumerate(args):
        if isinstance(arg, (*_COPYABLE, int, np.ndarray)) or arg is None or (
                made is map and k == 0 and callable(arg) and not _is_iterator(arg)):
            again.append(lambda a=arg: a)  # map's function runs again while counting, as a generator's code does
        else:
            copy = iterator_again(arg)
            if copy is None:
                return None
            again.append(copy)

    def fresh() -> Any:
        new = made(*(a() for a in again))
        if state and state[0] is not None and hasattr(new, "__setstate__"):
            new.__setstate__(state[0])
        return new
    return fresh


def _wanted() -> list[tuple[Any, str, Any]]:
    from keras.src.models.functional import Functional  # the class keras.Model(inputs, outputs) makes

    return [
        (keras.layers.Layer, "__call__", lambda o: _framed("call", o, _call_inputs)),
        (keras.layers.Layer, "stateless_call", _stateless_framed),
        (keras.Sequential, "build", lambda o: _framed("build", o, lambda a, k: [])),
        (Functional, "__init__", lambda o: _framed("construct", o, _construct_inputs)),
        (keras.layers.InputLayer, "__init__", _record_input),
        (keras.Model, "compile", _record_compile),
        *[(keras.Model, name, _record_data) for name in ("fit", "train_on_batch", "evaluate", "predict")],
    ]


def _defining(owner: Any, name: str) -> Any:
    """The class of ``owner``'s MRO that defines ``name``: patching there keeps checks such as Keras'
    ``self.__class__.compile != Trainer.compile`` true to what the user wrote."""
    return next((c for c in owner.__mro__ if name in c.__dict__), owner)


def _targets() -> list[tuple[Any, str, Any]]:
    return [(_defining(owner, name), name, make) for owner, name, make in _wanted()]


def _install() -> None:
    _originals["filtering"] = keras.config.is_traceback_filtering_enabled()
    keras.config.disable_traceback_filtering()
    for owner, name, make in _targets():
        # Remember whether the class defined the method itself or inherited it, to undo exactly.
        _originals[f"{owner.__qualname__}.{name}"] = owner.__dict__.get(name)
        setattr(owner, name, make(getattr(owner, name)))


def _uninstall() -> None:
    for owner, name, _ in _targets():
        original = _originals.pop(f"{owner.__qualname__}.{name}")
        if original is None:
            delattr(owner, name)
        else:
            setattr(owner, name, original)
    if _originals.pop("filtering", True):
        keras.config.enable_traceback_filtering()


# --- the user's code -----------------------------------------------------------------------------------

def _library_roots() -> tuple[str, ...]:
    roots = [os.path.dirname(os.path.abspath(__file__))]  # kernest itself
    for name in ("keras", "tensorflow", "jax", "jaxlib", "torch", "numpy", "optree", "tf_keras"):
        module = sys.modules.get(name)
        file = getattr(module, "__file__", None)
        if file:
            roots.append(os.path.dirname(os.path.abspath(file)))
    roots.append(os.path.dirname(os.path.abspath(os.__file__)))  # the standard library (runpy, contextlib)
    return tuple(roots)


def is_user_file(filename: str) -> bool:
    """Whether a frame's file is the user's code, not Keras, a backend, kernest or the standard library."""
    if filename.startswith("<") and not filename.startswith("<ipython") and filename != "<string>":
        return False
    if os.path.basename(filename).startswith("__autograph_generated_file"):  # TensorFlow's converted code
        return False
    path = os.path.abspath(filename)
    return not any(path.startswith(root + os.sep) for root in _library_roots())


def _user_site(
    frame: FrameType | None, tensors: tuple[Any, ...], scope: bool = False
) -> tuple[Site | None, dict[int, str], dict[str, Any]]:
    while frame is not None and not is_user_file(frame.f_code.co_filename):
        frame = frame.f_back
    if frame is None:
        return None, {}, {}
    file, line = frame.f_code.co_filename, frame.f_lineno
    text = linecache.getline(file, line).strip()
    names: dict[int, str] = {}
    scopes = (frame.f_locals, frame.f_globals) if frame.f_locals is not frame.f_globals else (frame.f_locals,)
    for variables in scopes:
        for key, value in list(variables.items()):
            if any(value is t for t in tensors) and id(value) not in names and not key.startswith("_"):
                names[id(value)] = key
    seen = {**frame.f_globals, **frame.f_locals} if scope else {}
    return Site(file, line, text), names, seen


def user_frames(exc: BaseException) -> list[FrameType]:
    """The frames of ``exc``'s traceback that run the user's code, outermost first."""
    out = []
    tb = exc.__traceback__
    while tb is not None:
        if is_user_file(tb.tb_frame.f_code.co_filename):
            out.append(tb.tb_frame)
        tb = tb.tb_next
    return out


def created_at(tensor: Any) -> Site | None:
    """Where the ``keras.Input`` behind ``tensor`` was created, if a tracer saw it."""
    layer = producer(tensor)
    return getattr(layer, "_kernest_created_at", None)
