"""Failures in a setting the user wrote, which Keras refuses before any tensor meets it: a layer name holding "/"
(Keras' own path separator), a transposed convolution's ``output_padding`` not below its stride, ``padding="causal"``
on a layer that has no causal mode, ``fit``'s callbacks given as a set (or a class, or a function), and a custom class
whose config Keras cannot write (``clone_model`` or ``save`` of a subclassed model without ``get_config``) or cannot
read back (a NumPy array returned by ``get_config``). Each reader finds the user's own statement and prints it
rewritten, in the user's names and numbers."""

from __future__ import annotations

import ast
import inspect
import re
from typing import Any

import keras
import numpy as np

from kernest._callsite import file_tree, name_kw, value_of
from kernest._errors import Mismatch
from kernest._explain_args import _callee, _enclosing_model_name, _fit_call, _segment, _statement
from kernest._explain_custom import (
    _init_params,
    _plain,
    _saving_model,
    _top_models,
    _walk,
    first_answer,
    refused_instance,
)
from kernest._lint_order import _splice


def settings_failure(case: Any) -> Mismatch | None:
    """The first of the readers below that recognises the failure, or None."""
    return first_answer(case, (_name_with_slash, _output_padding_not_below_stride, _causal_padding_unsupported,
                               _strides_with_dilation, _callbacks_not_a_list, _subclass_config_not_written,
                               _config_holds_array))


# --- helpers ------------------------------------------------------------------------------------------------------

def _calls_in(statement: str) -> tuple[ast.AST, list[ast.Call]]:
    try:
        tree = ast.parse(statement)
    except SyntaxError:
        return ast.Module(body=[], type_ignores=[]), []
    return tree, [n for n in ast.walk(tree) if isinstance(n, ast.Call)]


def _keyword(call: ast.Call, key: str) -> ast.keyword | None:
    return next((k for k in call.keywords if k.arg == key), None)


def _layer_path(tree: ast.AST, call: ast.Call, fallback: str) -> str:
    """``decoder/up2`` for ``layers.X(..., name="up2")`` listed in ``keras.Sequential([...], name="decoder")``."""
    own = name_kw(call) or fallback
    outer = _enclosing_model_name(tree, call)
    return f"{outer}/{own}" if outer else own


def _ints(value: Any, rank: int) -> tuple[int, ...] | None:
    if isinstance(value, int):
        return (value,) * rank
    if isinstance(value, (tuple, list)) and len(value) == rank and all(isinstance(v, int) for v in value):
        return tuple(value)
    return None


def _as_written(values: tuple[int, ...], like: Any) -> str:
    """``values`` the way the user wrote the setting: one int where they gave one, a tuple otherwise."""
    if isinstance(like, int) or len(set(values)) == 1 and not isinstance(like, (tuple, list)):
        return str(values[0])
    return f"({', '.join(str(v) for v in values)}{',' if len(values) == 1 else ''})"


def _constructed(exc: BaseException, method: str = "__init__") -> Any:
    """The layer whose ``__init__`` (or another ``method``: ``__call__``) raised ``exc`` (the innermost Keras frame
    of that method with a layer as ``self``)."""
    found, tb = None, exc.__traceback__
    while tb is not None:
        this = tb.tb_frame.f_locals.get("self")
        if tb.tb_frame.f_code.co_name == method and isinstance(this, keras.layers.Layer):
            found = this
        tb = tb.tb_next
    return found


# --- a layer name holding "/" -------------------------------------------------------------------------------------

_SLASH_NAME = re.compile(r"Argument `name` must be a string and cannot contain character `/`\. Received: "
                         r"name=(?P<name>\S+) \(of type <class 'str'>\)")


def _name_with_slash(case: Any) -> Mismatch | None:
    """``layers.Dense(16, name=f"{prefix}/dense{i}")``: TF1 wrote name scopes with "/", Keras 3 keeps "/" for the
    paths it builds from nested names, so a layer's own name may not hold one."""
    m = _SLASH_NAME.search(case.message)
    statement = _statement(case) if m is not None else ""
    if m is None or not statement:
        return None
    given = m.group("name")
    for call in _calls_in(statement)[1]:
        kw = _keyword(call, "name")
        if kw is None or "/" not in _segment(statement, kw.value):
            continue
        old = _segment(statement, kw.value)
        new = old.replace("/", "_")
        layer = _constructed(case.exc)
        cls = type(layer).__name__ if layer is not None else _callee(call)
        rewritten = _splice(statement, kw.value, new)
        return Mismatch(
            given, f"name -> {cls}", 'a layer name without "/"', f"name={given!r}",
            f'{cls} was named {given!r}: Keras 3 joins the names of nested layers and models with "/" to write their '
            f"paths ({given} would read as a layer {given.rsplit('/', 1)[-1]} inside {given.rsplit('/', 1)[0]}), so a "
            f"name of its own may not hold one. Join the parts with an underscore, name={new}: `{rewritten.strip()}`.",
        )
    return None


# --- a transposed convolution's output_padding --------------------------------------------------------------------

_OUTPUT_PADDING = re.compile(r"`output_padding` must be strictly less than `strides`.*?Received: "
                             r"output_padding=(?P<pad>\([\d, ]*\)), strides=(?P<strides>\([\d, ]*\))", re.S)


def _output_padding_not_below_stride(case: Any) -> Mismatch | None:
    """``Conv2DTranspose(..., strides=2, output_padding=2)``: output_padding adds at most ``strides - 1`` rows (it
    picks one of the output sizes a stride leaves open), so Keras wants it below the stride."""
    m = _OUTPUT_PADDING.search(case.message)
    statement = _statement(case) if m is not None else ""
    if m is None or not statement:
        return None
    pad, strides = ast.literal_eval(m.group("pad")), ast.literal_eval(m.group("strides"))
    tree, found = _calls_in(statement)
    for call in found:
        kw = _keyword(call, "output_padding")
        if kw is None or _ints(value_of(kw.value, case.scope), len(pad)) != tuple(pad):
            continue
        right = tuple(min(p, s - 1) for p, s in zip(pad, strides))
        new = _as_written(right, value_of(kw.value, case.scope))
        cls = _callee(call)
        path = _layer_path(tree, call, cls)
        rewritten = _splice(statement, kw.value, new)
        return Mismatch(
            path, f"output_padding -> {cls}", f"output_padding below strides={_as_written(tuple(strides), 0)}",
            f"output_padding={_as_written(tuple(pad), 0)}",
            f"{path.rsplit('/', 1)[-1]}'s output_padding picks which of the {strides[0]} output lengths a stride of "
            f"{strides[0]} leaves open, so it adds 0 to {strides[0] - 1} rows and must be below the stride. Use "
            f"output_padding={new} (with padding=\"same\", leaving it out makes the output exactly the input times "
            f"the stride): `{rewritten.strip()}`.",
        )
    return None


# --- padding="causal" where the layer has no causal mode ----------------------------------------------------------

_NOT_CAUSAL = re.compile(r"The `padding` argument must be a list/tuple or one of \{[^}]*\}\. Received: causal")


def _kernel_and_dilation(call: ast.Call, scope: dict[str, Any], rank: int, depthwise: bool) -> tuple[tuple[int, ...],
                                                                                                    tuple[int, ...]] | None:
    kernel_node = _keyword(call, "kernel_size")
    position = 0 if depthwise else 1
    node = kernel_node.value if kernel_node is not None else (call.args[position] if len(call.args) > position else None)
    dilation = _keyword(call, "dilation_rate")
    kernel = _ints(value_of(node, scope), rank) if node is not None else None
    rate = _ints(value_of(dilation.value, scope), rank) if dilation is not None else (1,) * rank
    return (kernel, rate) if kernel is not None and rate is not None else None


def _causal_padding_unsupported(case: Any) -> Mismatch | None:
    """``SeparableConv1D(..., padding="causal")``: Keras 3 has causal padding on ``Conv1D`` only. The same result is
    a left padding of ``dilation_rate * (kernel_size - 1)`` steps before the layer, run with ``padding="valid"``."""
    if _NOT_CAUSAL.search(case.message) is None:
        return None
    statement = _statement(case)
    tree, found = _calls_in(statement)
    for call in found:
        kw = _keyword(call, "padding")
        if kw is None or value_of(kw.value, case.scope) != "causal":
            continue
        cls = _callee(call)
        rank = 2 if "2D" in cls else 1
        sizes = _kernel_and_dilation(call, case.scope, rank, cls.startswith("Depthwise"))
        if sizes is None:
            return None
        kernel, rate = sizes
        spans = [r * (k - 1) for k, r in zip(kernel, rate)]
        if rank == 1:
            pad = f"ZeroPadding1D(({spans[0]}, 0))"
        else:  # causal along the first axis (time), "same" along the second
            pad = f"ZeroPadding2D((({spans[0]}, 0), ({spans[1] // 2}, {spans[1] - spans[1] // 2})))"
        prefix = ast.unparse(call.func)[: -len(cls)]
        path = _layer_path(tree, call, cls)
        quote = _segment(statement, kw.value)[:1] if _segment(statement, kw.value)[:1] in "'\"" else '"'
        valid = f"{quote}valid{quote}"
        rewritten = _splice(statement, kw.value, valid)
        return Mismatch(
            path, f"padding -> {cls}", "padding \"valid\" or \"same\" (causal padding exists on Conv1D only)",
            'padding="causal"',
            f"{cls} has no causal padding in Keras 3 (only Conv1D has). Causal padding is {spans[0]} steps of zeros "
            f"on the left (dilation_rate x (kernel_size - 1)) and nothing on the right: put {prefix}{pad} in front of "
            f"{path.rsplit('/', 1)[-1]} (in the Sequential list, or as its own layer on the tensor it takes) and give "
            f"it padding={valid}: `{rewritten.strip()}`. The length stays the same and no step sees a later one.",
        )
    return None


# --- strides and dilation_rate both above 1 ----------------------------------------------------------------------

_STRIDES_AND_DILATION = re.compile(r"`strides > 1` not supported in conjunction with `dilation_rate > 1`\. "
                                   r"Received: strides=(?P<strides>\([\d, ]*\)) and dilation_rate=(?P<rate>\([\d, ]*\))")


def _strides_with_dilation(case: Any) -> Mismatch | None:
    """``Conv1D(16, 3, strides=2, dilation_rate=2)``: Keras' convolutions do not stride and dilate at once. A
    convolution is the same with ``strides=1`` followed by a pooling of one step taken every ``strides`` steps; a
    transposed one, with an upsampling by ``strides`` in front of it."""
    m = _STRIDES_AND_DILATION.search(case.message)
    statement = _statement(case) if m is not None else ""
    if m is None or not statement:
        return None
    strides = tuple(ast.literal_eval(m.group("strides")))
    tree, found = _calls_in(statement)
    for call in found:
        kw = _keyword(call, "strides")
        if kw is None or _ints(value_of(kw.value, case.scope), len(strides)) != strides:
            continue
        cls = _callee(call)
        path = _layer_path(tree, call, cls)
        own = path.rsplit("/", 1)[-1]
        prefix = ast.unparse(call.func)[: -len(cls)]
        rank = f"{len(strides)}D"
        step = _as_written(strides, value_of(kw.value, case.scope))
        if "Transpose" in cls:
            extra, where, what = f"{prefix}UpSampling{rank}({step})", "in front of", "upsamples first"
        else:
            extra, where, what = (f"{prefix}MaxPooling{rank}(pool_size=1, strides={step})", "after",
                                  "keeps every strides-th position of the stride-1 output")
        rewritten = _with_layer_beside(statement, tree, call, kw, extra, before="Transpose" in cls)
        return Mismatch(
            path, f"strides -> {cls}", "strides=1 or dilation_rate=1 (not both above 1)",
            f"strides={m.group('strides')}, dilation_rate={m.group('rate')}",
            f"Keras' {cls} cannot stride and dilate at once. Keep the dilation, give {own} strides=1 and put "
            f"{extra} {where} it (in the Sequential list, or as its own layer on the tensor), which {what}: "
            f"`{rewritten}`. Or keep strides={step} and drop the dilation (dilation_rate=1), which sees a smaller "
            f"window.",
        )
    return None


def _with_layer_beside(statement: str, tree: ast.AST, call: ast.Call, strides: ast.keyword, extra: str,
                       before: bool) -> str:
    """The user's ``statement`` with the layer built by ``call`` given ``strides=1`` and the layer ``extra`` put
    after it (``before``: in front of it): next to it in a list (a Sequential's), around it where it is called on a
    tensor (``Conv1D(...)(x)``)."""
    text = _segment(statement, call)
    own = ast.parse(text, mode="eval").body
    kw = next(k for k in own.keywords if k.arg == "strides")  # type: ignore[attr-defined]
    layer = _splice(text, kw.value, "1")
    for node in ast.walk(tree):
        if isinstance(node, ast.List) and call in node.elts:
            return _splice(statement, call, f"{extra}, {layer}" if before else f"{layer}, {extra}").strip()
        if isinstance(node, ast.Call) and node.func is call and len(node.args) == 1:
            tensor = _segment(statement, node.args[0])
            inner = f"{layer}({extra}({tensor}))" if before else f"{extra}({layer}({tensor}))"
            return _splice(statement, node, inner).strip()
    return _splice(statement, strides.value, "1").strip()


# --- fit's callbacks not a list of Callback objects ---------------------------------------------------------------

_NO_SET_MODEL = re.compile(r"'(?P<kind>set|function|type|dict|tuple)' object has no attribute 'set_model'"
                           r"|set_model\(\) missing 1 required positional argument: 'model'")


def _assignment_of(file: str, var: str, before: int) -> tuple[str, ast.Assign] | None:
    """The last ``var = ...`` of the user's ``file`` before line ``before`` (its source and node)."""
    source, tree = file_tree(file)
    if tree is None:
        return None
    found = [n for n in ast.walk(tree) if isinstance(n, ast.Assign) and n.lineno < before
             and any(isinstance(t, ast.Name) and t.id == var for t in n.targets)]
    return (source, max(found, key=lambda n: n.lineno)) if found else None


def _callbacks_not_a_list(case: Any) -> Mismatch | None:
    """``callbacks={ModelCheckpoint(...)}`` (braces make a set), ``callbacks=[EarlyStopping]`` (the class) or a
    function that makes a callback, not called: fit hands each entry the model with ``set_model``."""
    m = _NO_SET_MODEL.search(case.message)
    call = _fit_call(case) if m is not None else None
    node = call.node("callbacks") if call is not None else None
    if m is None or call is None or node is None:
        return None
    value = call.value("callbacks")
    name = call.model.name if isinstance(call.model, keras.Model) else call.owner
    if isinstance(value, set) or isinstance(node, ast.Set):
        count = len(value) if isinstance(value, set) else len(node.elts)  # type: ignore[attr-defined]
        source = _statement(case)
        literal = next((n for n in ast.walk(_calls_in(source)[0]) if isinstance(n, ast.Set)
                        and ast.unparse(n) == ast.unparse(node)), node)  # positions in the statement, not the line
        if isinstance(node, ast.Name) and case.site is not None:
            made = _assignment_of(case.site.file, node.id, case.site.line)
            if made is not None and isinstance(made[1].value, ast.Set):
                source = ast.get_source_segment(made[0], made[1]) or ""
                literal = ast.parse(source).body[0].value  # type: ignore[attr-defined]
        if not isinstance(literal, ast.Set):
            fix = f"callbacks=list({ast.unparse(node)})"
        else:
            listed = "[" + ", ".join(_segment(source, e) for e in literal.elts) + "]"
            fix = _splice(source, literal, listed).strip()
        return Mismatch(
            name, "callbacks -> fit", "a list of callback objects", f"a set of {count} callback(s)",
            f"the callbacks reach fit as a set (braces {{...}} make a set, not a list), and fit hands the set itself "
            f"the model ('set' object has no attribute 'set_model'). Write them in a list: `{fix}`.",
        )
    entries = list(value) if isinstance(value, (list, tuple)) else [value]
    for entry in entries:
        if inspect.isclass(entry) and issubclass(entry, keras.callbacks.Callback):
            return Mismatch(
                name, "callbacks -> fit", "callback objects", f"the class {entry.__name__}",
                f"{entry.__name__} is given as the class; fit needs a callback object: "
                f"{entry.__name__}(...) with its settings, e.g. callbacks=[keras.callbacks.{entry.__name__}()].",
            )
        if inspect.isfunction(entry):
            return Mismatch(
                name, "callbacks -> fit", "callback objects", f"the function {entry.__name__}",
                f"{entry.__name__} is a function, given without calling it; fit needs the callback object it "
                f"returns: callbacks=[{entry.__name__}(...)] with its arguments.",
            )
    return None


# --- a custom class's config: not written (clone_model, save) or not readable back (load_model) -------------------

def _subclass_config_not_written(case: Any) -> Mismatch | None:
    """``clone_model`` (or ``save``) of a model holding a subclassed ``keras.Model`` whose constructor takes plain
    numbers: Keras records a Layer's constructor arguments by itself, not a subclassed Model's, so the class needs a
    ``get_config`` that returns them (arguments holding objects are left to ``_config_not_serializable``)."""
    refused = refused_instance(case)
    if refused is None:
        return None
    m, path, layer, params = refused
    if not isinstance(layer, keras.Model) or not params or not all(_plain(getattr(layer, p)) for p in params):
        return None
    text = case.site.text if case.site is not None else ""
    cloning = re.search(r"\bclone_model\(", text) is not None
    consumer = "clone_model" if cloning else "file"
    interface = f"{path.rsplit('/', 1)[-1]} -> clone_model" if cloning else f"{_saving_model(case)} -> file"
    # An argument the constructor uses up without keeping it (``depth`` that only sizes a list of blocks) must be
    # kept as well, or the copy is made without it.
    unkept = [p for p in _init_params(type(layer)) if p not in params and p not in ("name", "trainable", "dtype")]
    entries = ", ".join(f'"{p}": self.{p}' for p in [*params, *unkept])
    keep = (f"In {m.group('cls')}.__init__ keep {', '.join(f'self.{p} = {p}' for p in unkept)} (nothing keeps "
            f"{'it' if len(unkept) == 1 else 'them'} yet), and add" if unkept else "Add")
    return Mismatch(
        path, interface, f"{m.group('cls')}.get_config() returning {', '.join([*params, *unkept])}",
        f"{m.group('cls')} (a subclassed keras.Model) without get_config",
        f"{'clone_model rebuilds every layer from its config' if consumer == 'clone_model' else 'save writes every layer config'}"
        f", and {path} is a subclassed keras.Model: Keras does not record a Model subclass's constructor arguments "
        f"by itself. {keep} to {m.group('cls')}: def get_config(self): return {{**super().get_config(), {entries}}}"
        + (" (clone_model then builds a fresh one with new weights)." if cloning else "."),
    )


_NOT_DESERIALIZED = re.compile(r"could not be deserialized properly\. Please ensure that components that are Python "
                               r"object instances")


def _array_entries(layer: Any) -> list[str]:
    try:
        config = layer.get_config()
    except Exception:  # a layer whose config cannot be written fails elsewhere, on save
        return []
    return [k for k, v in config.items() if isinstance(v, np.ndarray) or keras.ops.is_tensor(v)]


def _config_line(cls: Any, key: str) -> tuple[str, str] | None:
    """``("variances", '"variances": self.variances')`` from the class's own ``get_config``: the attribute and the
    entry as written."""
    try:
        source = inspect.getsource(cls.get_config)
    except (OSError, TypeError):
        return None
    entry = re.search(rf"""(['"]){re.escape(key)}\1\s*:\s*self\.(?P<attr>\w+)""", source)
    return (entry.group("attr"), entry.group(0)) if entry else None


def _config_holds_array(case: Any) -> Mismatch | None:
    """``load_model`` of a model whose custom layer returned a NumPy array (or a tensor) from ``get_config``: the
    file holds it as an object Keras then cannot build back; a list (``.tolist()``) is written as plain numbers."""
    if _NOT_DESERIALIZED.search(case.message) is None:
        return None
    for model in _top_models(case):
        for path, layer in [(model.name, model), *_walk(model)]:
            if type(layer).__module__.startswith("keras."):
                continue
            for key in _array_entries(layer):
                found = _config_line(type(layer), key)
                attr, entry = found if found is not None else (key, f'"{key}": self.{key}')
                fixed = entry.replace(f"self.{attr}", f"self.{attr}.tolist()")
                return Mismatch(
                    path, f"file -> {layer.name}", f"{type(layer).__name__}'s config of plain values (numbers, lists)",
                    f"{key} as a {type(layer.get_config()[key]).__name__}",
                    f"{type(layer).__name__}.get_config() returns {key} as an array, which the saved file keeps as an "
                    f"object load_model cannot turn back into the argument. Return it as a list, {fixed} (the "
                    f"constructor's np.asarray makes the array again), and save the model again.",
                )
    return None
