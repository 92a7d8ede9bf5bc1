"""Failures in the user's own layers and models (``keras.layers.Layer`` / ``keras.Model`` subclasses).

Keras names the method that failed (``FeatureScale.call()``) but not where the layer sits, and its reason is
about the op that broke (``Dimensions must be equal, but are 12 and 7``), not about the user's line that made it
so (``input_shape[1]`` in ``build``). These readers find the user's frame in the traceback (the deepest frame of
a user file whose ``self`` is a Keras layer), read that method's source, and compare it with the shapes the
layer was given. The nested path comes from the models in the user's variables, or, while a model is still
being built on the failing line (``refiner = keras.Model(..., name="refiner")``), from that line.

``explain`` asks ``custom_code_failure`` first; every reader returns ``None`` unless its pattern is certain,
so a fix is only given where it is computed from the user's own code and numbers.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import inspect
import linecache
import re
import types
from dataclasses import dataclass
from typing import Any

import keras

from kernest._axes import Shape, format_shape, shape_of
from kernest._callsite import file_tree, first_listed, name_kw, user_tree, value_of
from kernest._errors import Mismatch
from kernest._graph import (
    call_nodes,
    calls,
    find_layer,
    is_input_layer,
    is_symbolic,
    producer,
    producer_chain,
)
from kernest._graph import layers as _walk
from kernest._trace import is_user_file, user_frames


@dataclass(frozen=True)
class UserMethod:
    """The deepest frame of the traceback that runs a method of the user's own layer or model."""

    layer: Any
    method: str
    frame: types.FrameType
    line: int

    @property
    def text(self) -> str:
        try:
            lines, start = inspect.getsourcelines(self.frame.f_code)
        except (OSError, TypeError):
            return ""
        index = self.line - start
        return lines[index].strip() if 0 <= index < len(lines) else ""


def user_method(exc: BaseException) -> UserMethod | None:
    found, tb = None, exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        this = frame.f_locals.get("self")
        if is_user_file(frame.f_code.co_filename) and isinstance(this, keras.layers.Layer) and _is_users(this):
            found = UserMethod(this, frame.f_code.co_name, frame, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _is_users(layer: Any) -> bool:
    """A layer whose class the user wrote (not one of Keras' own)."""
    return not type(layer).__module__.startswith(("keras", "kernest", "tensorflow", "tf_keras"))


def _call_args(exc: BaseException, layer: Any) -> list[Any]:
    """The tensors ``layer`` was called on, read from the Keras ``__call__`` frame (its call node does not
    exist yet when the call failed)."""
    tb = exc.__traceback__
    while tb is not None:
        f = tb.tb_frame
        if f.f_locals.get("self") is layer and f.f_code.co_name == "__call__":
            given = f.f_locals.get("args") or ()
            flat = keras.tree.flatten(list(given)) if given else []
            return [t for t in flat if hasattr(t, "shape")]
        tb = tb.tb_next
    nodes = call_nodes(layer)
    return list(nodes[-1].input_tensors) if nodes else []


def _source_of(fn: Any) -> ast.FunctionDef | None:
    from kernest._lint import _parsed_function

    parsed = _parsed_function(fn) if fn is not None else None
    return parsed[0] if parsed is not None else None


# --- where the layer is: its nested path and what feeds it ---------------------------------------------

def _statement(file: str, line: int) -> ast.stmt | None:
    tree = file_tree(file)[1]
    if tree is None:
        return None
    best = None
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and node.lineno <= line <= (node.end_lineno or node.lineno):
            if best is None or node.lineno >= best.lineno:
                best = node
    return best


def _model_being_built(case: Any) -> tuple[str | None, str] | None:
    """``(variable, model name)`` when the user's failing line builds a model
    (``refiner = keras.Model(inp, Layer()(inp), name="refiner")``): the failing layer is going into it."""
    site = case.site
    stmt = _statement(site.file, site.line) if site is not None else None
    if stmt is None:
        return None
    for node in ast.walk(stmt):
        if not isinstance(node, ast.Call):
            continue
        func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if func not in ("Model", "Sequential", "Functional"):
            continue
        name = name_kw(node)
        var = stmt.targets[0].id if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name) else None
        if name or var:
            return var, str(name or var)
    return None


def _script_tree(case: Any) -> ast.Module | None:
    return user_tree(case)[1]


def _later_argument(case: Any, var: str) -> str | None:
    """What the user's script passes to ``var`` (``refiner(encoder(x))`` -> ``encoder``; ``tower(feats)`` ->
    ``feats``): the name of the model or the tensor that feeds it."""
    tree = _script_tree(case)
    if tree is None:
        return None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = isinstance(func, ast.Name) and func.id == var
        fitted = (isinstance(func, ast.Attribute) and func.attr in ("fit", "predict", "evaluate", "train_on_batch",
                                                                   "predict_on_batch") and isinstance(func.value, ast.Name)
                  and func.value.id == var)
        if (called or fitted) and node.args:  # var(x), or var.fit(x, ...): x is what it is meant for
            arg = node.args[0]
            if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name):
                value = case.scope.get(arg.func.id)
                return str(getattr(value, "name", arg.func.id))
            if isinstance(arg, ast.Name):
                return arg.id
    return None


def _top_models(case: Any) -> list[Any]:
    return sorted(case.models(), key=lambda m: -len(_walk(m)))


def locate(case: Any, layer: Any) -> tuple[str, str | None]:
    """``(nested path of layer, name of the model it is going into on the failing line or None)``."""
    built = _model_being_built(case)
    if built is not None and all(m.name != built[1] for m in case.models()):
        return f"{built[1]}/{layer.name}", built[1]
    for model in _top_models(case):
        if model is layer:
            return str(layer.name), None
        path = find_layer(model, layer)
        if path is not None:
            return path, None
    return str(layer.name), None


def _feeder(case: Any, layer: Any, given: list[Any], crossing: bool) -> str:
    """What feeds ``layer``: the layer that made its input; where that is the Input of the model the layer
    sits in and ``crossing`` (the shape that matters came in with that model's input), what feeds that model."""
    src = producer(given[0]) if given and is_symbolic(given[0]) else None
    if src is not None and not is_input_layer(src):
        return str(src.name)
    if crossing:
        outer = _outer_feeder(case, layer)
        if outer is not None:
            return outer
    return f"input:{src.name}" if src is not None else "data"


def _outer_feeder(case: Any, layer: Any) -> str | None:
    """``model -> part``: the part of an outer model that holds ``layer``, and what feeds that part."""
    path, built = locate(case, layer)
    top = built or path.split("/")[0]
    built_var = _model_being_built(case)
    if built is not None and built_var is not None and built_var[0]:
        fed = _later_argument(case, built_var[0])
        return f"{fed} -> {top}" if fed else None
    for model in _top_models(case):
        for call in calls(model):
            if call.layer.name == top and call.data_inputs:
                src = producer(call.data_inputs[0])
                name = getattr(src, "name", "data")
                return f"{'input:' if src is not None and is_input_layer(src) else ''}{name} -> {top}"
    return None


def _interface(case: Any, layer: Any, given: list[Any], crossing: bool = False) -> str:
    fed = _feeder(case, layer, given, crossing)
    return fed if " -> " in fed else f"{fed} -> {layer.name}"


def _shape(t: Any) -> Shape:
    return tuple(shape_of(t)) if t is not None and hasattr(t, "shape") else ()


def _ints(text: str) -> list[int]:
    """The whole numbers in a message, not those inside names (``model_1``); torch's ``415x9`` gives 415, 9."""
    return [int(n) for n in re.findall(r"(?<![\w.])\d+(?![\w.])", re.sub(r"(\d)x(\d)", r"\1 x \2", text))]


# --- the readers ---------------------------------------------------------------------------------------

def custom_code_failure(case: Any) -> Mismatch | None:
    """A failure that the user's own layer or model code caused, with the line to change."""
    if isinstance(case.exc, RecursionError):
        return None
    from kernest._explain_build_axis import build_sizes_from_the_wrong_axis
    from kernest._explain_torch_wrapper import torch_module_refuses_its_input

    return first_answer(case, (_reserved_layers, _unbuilt, _weights_before_built, _read_before_built,
                               _config_not_serializable, _config_at_load, _required_call_arg,
                               _state_in_call, _unknown_axis_weight, _mask_missing, _shared_sublayer, _wrong_axis_weight,
                               _instance_built_elsewhere, _static_batch_reshape, _output_shape_lies, _unseeded_random,
                               _backend_call_in_built_model, _build_reads_a_list, _call_returns_nothing,
                               _step_returns_nothing, _keys_read_from_a_list, _key_missing_from_dict_input,
                               build_sizes_from_the_wrong_axis, torch_module_refuses_its_input))


def first_answer(case: Any, readers: Any) -> Mismatch | None:
    """The answer of the first reader that recognises the failure, or None."""
    for reader in readers:
        try:
            found = reader(case)
        except Exception:  # a reader that cannot read this failure must not hide the other readers' answers
            found = None
        if found is not None:
            return found
    return None


_RESERVED = re.compile(r"`Model\.(?P<a>layers)` attribute is reserved|property '(?P<b>\w+)' of '\w+' object has no setter")
# A name of the user's own for each Keras property a subclass may not assign; others get a "my_" prefix.
_OWN_NAME = {"layers": "blocks", "weights": "kernels", "variables": "tensors", "metrics": "trackers",
             "losses": "penalties", "input": "source", "output": "result"}


def _reserved_layers(case: Any) -> Mismatch | None:
    """``self.layers = [...]`` (or ``self.weights``, ``self.input``...) in a user's layer or model: each is a Keras
    property with no setter. The fix renames the attribute on every line of the class that uses it."""
    m = _RESERVED.search(case.message)
    if m is None:
        return None
    where = user_method(case.exc)
    if where is None:
        return None
    attr = m.group("a") or m.group("b")
    model = where.layer
    cls = type(model)
    own = _OWN_NAME.get(attr, f"my_{attr}")
    base, lines = _class_lines_using(cls, attr, where.frame.f_code.co_filename, where.line)
    renamed = [re.sub(rf"\bself\.{attr}\b", f"self.{own}", line) for line in lines]
    where_text = "; ".join(f"`{line}`" for line in renamed) if renamed else f"self.{own} = [...]"
    kind = "sublayers" if attr == "layers" else attr
    return Mismatch(
        str(model.name), f"{model.name} -> {base or ('keras.Model' if isinstance(model, keras.Model) else 'keras.layers.Layer')}",
        "an attribute name of your own", f"`{where.text}` in {cls.__name__}.{where.method}",
        f"{cls.__name__}.{where.method} assigns self.{attr}, but `{attr}` is Keras' read-only property (the "
        f"{kind} Keras tracks for {model.name}), which a subclass cannot set. Rename the attribute on every line of "
        f"{cls.__name__} that uses it: {where_text}. Keras still tracks what the renamed attribute holds.",
    )


def _class_lines_using(cls: type, attr: str, file: str, line: int) -> tuple[str | None, list[str]]:
    """The base class as the user wrote it (``keras.Model``) and the stripped source lines of ``cls`` that use
    ``self.<attr>``, in order. The class is read from ``file``, where the failing ``line`` of its method is (a class
    in a script run as ``__main__`` by another program has no source ``inspect`` can find)."""
    source, tree = file_tree(file)
    if tree is None:
        return None, []
    node = next((n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == cls.__name__
                 and n.lineno <= line <= (n.end_lineno or n.lineno)), None)
    if node is None:
        return None, []
    base = ast.get_source_segment(source, node.bases[0]) if node.bases else None
    text = ast.get_source_segment(source, node) or ""
    used = [x.strip() for x in text.splitlines() if re.search(rf"\bself\.{attr}\b", x)]
    return base, used


def _assigned_var(case: Any) -> str | None:
    stmt = _statement(case.site.file, case.site.line) if case.site is not None else None
    if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name):
        return stmt.targets[0].id
    return None


_UNBUILT = re.compile(r"You tried to call `(?P<what>\w+)` on layer '(?P<name>[^']+)', but the layer isn't built")


def _unbuilt(case: Any) -> Mismatch | None:
    """``count_params`` (or another method that needs weights) on a subclassed model never called: the script's
    own later call gives the input it is meant for."""
    m = _UNBUILT.search(case.message)
    if m is None:
        return None
    var = next((k for k, v in case.scope.items() if getattr(v, "name", None) == m.group("name")
                and isinstance(v, keras.layers.Layer)), m.group("name"))
    fed = _later_argument(case, var)
    value = case.scope.get(fed) if fed else None
    shape = _shape(value) if value is not None else ()
    build = f"{var}.build({_tuple_text((None, *shape[1:]))})" if shape else f"{var}.build((None, ...))"
    call = f"call it on its input first, {var}({fed})" if fed else "call it on an input first"
    layer = case.scope.get(var)
    # Keras' own Model.build marks a subclassed model built without making its sublayers' weights (count_params
    # then says 0): build() is a fix only where the class writes its own
    own_build = isinstance(layer, keras.layers.Layer) and type(layer).build not in (
        keras.Model.build, keras.layers.Layer.build)
    return Mismatch(
        m.group("name"), f"{fed or 'data'} -> {m.group('name')}", "a built model (weights made on a first call)",
        "not built",
        f"{m.group('name')} is a subclassed model: its weights are made when it first sees an input, and "
        f"{m.group('what')}() came before that. {call[0].upper()}{call[1:]}"
        + (f", or build it for that input: {build}." if own_build else
           f" (a slice of it is enough to make the weights, {var}({fed}[:1]))." if hasattr(value, "shape")
           and not isinstance(value, keras.KerasTensor) else "."),
    )


_NOT_BUILT = re.compile(r"(?:loading|saving) weights (?:into|of|from) a model that has not yet been built|"
                        r"model that has not yet been built")


def _weights_before_built(case: Any) -> Mismatch | None:
    """``model.load_weights(path)`` (or ``save_weights``) on a fresh subclassed model: it has no variables until it
    first sees an input, so there is nothing to load the file into. The script's own data for it gives the call."""
    if _NOT_BUILT.search(case.message) is None:
        return None
    m = re.search(r"(\w+)\.(load_weights|save_weights|save)\(", case.site.text if case.site is not None else "")
    if m is None:
        return None
    var, method = m.group(1), m.group(2)
    model = case.scope.get(var)
    name = str(getattr(model, "name", var))
    fed = _later_argument(case, var)
    first = f"{var}({fed}[:1])" if fed else f"{var}(<one batch of its input>)"
    return Mismatch(
        name, f"{fed or 'data'} -> {name}", "a built model (its weights made on a first call)", "not built",
        f"{name} is a subclassed model: its weights are made when it first sees an input, and {var}.{method}() came "
        f"before that, so there is nothing to {'load the file into' if method == 'load_weights' else 'save'}. Call it "
        f"on one batch first, {first}, on the line before {var}.{method}(...); that makes every weight the saved "
        f"model had, and the file's values then replace them.",
    )


# PyTorch's backend words it as a missing attribute: "'Dense' object has no attribute 'kernel'"
_BUILD_FIRST = re.compile(r"You must build the layer before accessing `(?P<attr>\w+)`"
                          r"|'\w+' object has no attribute '(?P<missing>\w+)'")


def _read_before_built(case: Any) -> Mismatch | None:
    """``w = self.embed.embeddings`` in ``call`` above the line that first calls ``self.embed``: a layer makes its
    weights when it first sees an input, so a weight read before that call does not exist yet. The read moves below
    the call (on later steps the order no longer matters)."""
    from kernest._lint import users_classes

    m = _BUILD_FIRST.search(case.message)
    if m is None:
        return None
    owners = [layer for layer in case.scope.values() if isinstance(layer, keras.layers.Layer)]
    owners += [f.layer for f in case.frames if isinstance(f.layer, keras.layers.Layer)]
    seen: set[int] = set()
    for top in owners:
        for _, owner in users_classes(top):
            if id(owner) in seen:
                continue
            seen.add(id(owner))
            attr = m.group("attr") or m.group("missing")
            found = _read_above_first_call(owner, attr)
            if found is None:
                continue
            read, call, layer = found
            where = f"{owner.name}/{layer.name}"
            return Mismatch(
                where, f"{layer.name} -> {owner.name}",
                f"{layer.name} built (called once) before its {attr} is read",
                f"{attr} read before the first call of {layer.name}",
                f"{type(owner).__name__}.call reads `{read}` before `{call}` first calls {layer.name}, and a layer "
                f"makes its weights ({attr} here) when it first sees an input. Move `{read}` below "
                f"`{call}`; or make them in the model's build(): `def build(self, input_shape): "
                f"self.{_attr_path(owner, layer)}.build(input_shape)` (with the shape {layer.name} receives).",
            )
    return None


def _attr_path(owner: Any, layer: Any) -> str:
    return next((k for k, v in vars(owner).items() if v is layer), layer.name)


def _read_above_first_call(owner: Any, attr: str) -> tuple[str, str, Any] | None:
    """In ``owner``'s ``call``: the statement reading ``self.<sub>.<attr>`` of a sublayer not built yet, the later
    statement that calls ``self.<sub>(...)``, and the sublayer."""
    fn = _source_of(getattr(type(owner), "call", None))
    if fn is None:
        return None
    body = list(fn.body)
    for i, stmt in enumerate(body):
        for node in ast.walk(stmt):
            if not (isinstance(node, ast.Attribute) and node.attr == attr):
                continue
            layer = value_of(node.value, {"self": owner})
            if not isinstance(layer, keras.layers.Layer) or layer.built:
                continue
            owner_text = ast.unparse(node.value)
            for later in body[i + 1:]:
                if any(isinstance(c, ast.Call) and ast.unparse(c.func) == owner_text for c in ast.walk(later)):
                    return ast.unparse(stmt), ast.unparse(later), layer
    return None


def _tuple_text(shape: Shape) -> str:
    inner = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


_NOT_SERIALIZABLE = re.compile(r"Object (?P<cls>\w+) was created by passing\s+non-serializable argument values")


def refused_instance(case: Any) -> tuple[re.Match[str], str, Any, list[str]] | None:
    """For Keras' "created by passing non-serializable argument values": the message's match, the path and the
    instance of the class it names, and the constructor parameters the instance keeps on ``self``."""
    m = _NOT_SERIALIZABLE.search(case.message)
    found = _instances(case, m.group("cls")) if m is not None else []
    if m is None or not found:
        return None
    path, layer = found[0]
    return m, path, layer, [p for p in _init_params(type(layer)) if hasattr(layer, p)]


def _config_not_serializable(case: Any) -> Mismatch | None:
    refused = refused_instance(case)
    if refused is None:
        return None
    m, path, layer, params = refused
    args = [p for p in params if not _plain(getattr(layer, p, None))]
    if not args:
        return None
    saved = _saving_model(case)
    # Once get_config is written by hand, Keras no longer records the constructor's arguments: every one the
    # class keeps on self is written, the objects (a nested model, a layer) through Keras' own serializer.
    entries = ", ".join(f'"{a}": keras.saving.serialize_keras_object(self.{a})' if a in args else f'"{a}": self.{a}'
                        for a in params)
    back = "; ".join(f'config["{a}"] = keras.saving.deserialize_keras_object(config.pop("{a}"))' for a in args)
    return Mismatch(
        path, f"{saved} -> file", f"{m.group('cls')}.get_config() that saves {', '.join(args)}",
        f"{m.group('cls')}({', '.join(args)}=<{type(getattr(layer, args[0], None)).__name__}>) without get_config",
        f"{path} was given {', '.join(args)} (not a number or a string) in __init__, so Keras cannot write its config "
        f"by itself. Add to {m.group('cls')}: def get_config(self): return {{**super().get_config(), {entries}}} "
        f"and @classmethod def from_config(cls, config): {back}; return cls(**config).",
    )


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str, list, tuple, dict))


def _init_params(cls: type) -> list[str]:
    try:
        params = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]


def _instances(case: Any, cls_name: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for model in _top_models(case):
        for path, layer in [(model.name, model), *_walk(model)]:  # the model itself may be the user's class
            if type(layer).__name__ == cls_name and all(layer is not x for _, x in out):
                out.append((path, layer))
    return out


def _saving_model(case: Any) -> str:
    text = case.site.text if case.site is not None else ""
    m = re.search(r"(\w+)\.save\(", text)
    value = case.scope.get(m.group(1)) if m else None
    return str(getattr(value, "name", m.group(1) if m else "model"))


_DESERIALIZE = re.compile(r"Error when deserializing class '(?P<cls>\w+)' using config=(?P<config>\{.*?\})\.\s*"
                          r"Exception encountered: (?P<why>[^\n]*)", re.S)


def _config_at_load(case: Any) -> Mismatch | None:
    """A custom layer's config that its own ``__init__`` cannot take back at load time."""
    m = _DESERIALIZE.search(case.message)
    if m is None:
        return None
    cls_name, why = m.group("cls"), m.group("why").strip()
    found = _instances(case, cls_name)
    name_m = re.search(r"'name': '([^']+)'", m.group("config"))
    path = found[0][0] if found else (name_m.group(1) if name_m else cls_name)
    layer = found[0][1] if found else None
    name = name_m.group(1) if name_m else path.rsplit("/", 1)[-1]
    unexpected = re.search(r"unexpected keyword argument '(\w+)'", why)
    missing = re.findall(r"'(\w+)'", why) if "missing" in why and "required" in why else []
    if unexpected is not None and unexpected.group(1) in ("name", "trainable", "dtype"):
        params = _signature_text(type(layer)) if layer is not None else "self, ..."
        fix = (f"{cls_name}.__init__ takes no **kwargs, so the name, trainable and dtype that Keras saves for every "
               f"layer cannot be given back. Write def __init__({params}, **kwargs): super().__init__(**kwargs).")
    elif missing:
        entries = ", ".join(f'"{a}": self.{a}' if layer is None or hasattr(layer, a) else f'"{a}": <its value>'
                            for a in missing)
        fix = (f"{cls_name}.get_config() does not save {', '.join(missing)}, which __init__ requires. Add "
               f"{entries} to the dict get_config returns.")
    else:
        return None
    return Mismatch(path, f"file -> {name}", f"a config {cls_name}.__init__ accepts", why, fix)


def _signature_text(cls: type) -> str:
    try:
        params = list(inspect.signature(cls).parameters.values())
    except (TypeError, ValueError):
        return "self"
    return ", ".join(["self", *(str(p) for p in params if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL))])


_REQUIRED = re.compile(r"missing a required argument: '(?P<arg>training|mask)'")


def _required_call_arg(case: Any) -> Mismatch | None:
    """``def call(self, x, training)``: Keras passes training (and mask) only when it has a value."""
    m = _REQUIRED.search(case.message)
    if m is None:
        return None
    layer = _called_layer(case.exc)
    if layer is None:
        return None
    arg = m.group("arg")
    param = inspect.signature(layer.call).parameters.get(arg)
    if param is None or param.default is not inspect.Parameter.empty:
        return None
    given = _call_args(case.exc, layer)
    path, _ = locate(case, layer)
    return Mismatch(
        path, _interface(case, layer, given), f"call(self, ..., {arg}=None)", f"call(self, ..., {arg}) (required)",
        f"{type(layer).__name__}.call declares {arg} without a default, and Keras passes {arg} only when it has one "
        f"(none while a model is built, and none from predict for a mask). Write {_defaulted_def(type(layer), arg)} "
        f"and handle None" + (" as inference (`if training:` is then False)." if arg == "training" else " (no mask)."),
    )


def _defaulted_def(cls: type, arg: str) -> str:
    """The user's ``def call(self, inputs, training):`` with ``arg`` (and any required parameter after it) given the
    default None, in the user's own parameter names."""
    try:
        sig = inspect.signature(cls.call)  # type: ignore[attr-defined]
    except (TypeError, ValueError, AttributeError):
        return f"def call(self, x, {arg}=None):"
    params, after = [], False
    for p in sig.parameters.values():
        after = after or p.name == arg
        plain = p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        params.append(p.replace(default=None) if after and plain and p.default is p.empty else p)
    return f"def call{sig.replace(parameters=params, return_annotation=inspect.Signature.empty)}:"


def _called_layer(exc: BaseException) -> Any:
    """The user's layer whose Keras ``__call__`` is the deepest in the traceback. Where fit builds the model on
    JAX/PyTorch, Keras re-raises "Unable to automatically build" with a short traceback: the exceptions it wraps
    (``__cause__``/``__context__``) keep the frames of the layers that were being called."""
    found, seen, link = None, set(), exc  # type: Any, set[int], BaseException | None
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        tb = link.__traceback__
        while tb is not None:
            this = tb.tb_frame.f_locals.get("self")
            if tb.tb_frame.f_code.co_name == "__call__" and isinstance(this, keras.layers.Layer) and _is_users(this):
                found = this
            tb = tb.tb_next
        if found is not None:
            return found
        link = link.__cause__ or link.__context__
    return found


def _state_in_call(case: Any) -> Mismatch | None:
    if "cannot add new elements of state" not in case.message:
        return None
    where = user_method(case.exc)
    if where is None or where.method != "call":
        return None
    layer = where.layer
    given = _call_args(case.exc, layer)
    path, _ = locate(case, layer)
    what = "a sublayer" if re.search(r"layers\.\w+\(|keras\.layers", where.text) else "a weight"
    code = where.frame.f_code
    x = code.co_varnames[1] if code.co_argcount > 1 else "x"
    sized = f"{x}.shape" in where.text
    home = "def build(self, input_shape)" if sized or what == "a weight" else "__init__"
    moved = where.text.replace(f"{x}.shape", "input_shape")
    return Mismatch(
        path, _interface(case, layer, given), "state made in __init__ or build()", f"{what} made in call(): `{where.text}`",
        f"{type(layer).__name__}.call makes {what} on every call, and Keras locks a layer's state once it is built. "
        f"Make it once, in {home}: `{moved}`; call() then only uses it.",
    )


def _build_subscripts(layer: Any) -> tuple[str, list[int]] | None:
    """The name build() gives its shape argument and the constant indexes it reads (``input_shape[1]``)."""
    build = type(layer).__dict__.get("build")
    node = _source_of(build) if build is not None else None
    if node is None or len(node.args.args) < 2:
        return None
    arg = node.args.args[1].arg
    return arg, _indexes(node, arg)


def _indexes(node: ast.AST, arg: str) -> list[int]:
    """The constant k of each ``arg[k]`` (or ``arg[-k]``) in ``node``, in order."""
    ks = []
    for sub in ast.walk(node):
        if (isinstance(sub, ast.Subscript) and isinstance(sub.value, ast.Name) and sub.value.id == arg):
            idx = sub.slice
            if (isinstance(idx, ast.UnaryOp) and isinstance(idx.op, ast.USub) and isinstance(idx.operand, ast.Constant)
                    and isinstance(idx.operand.value, int)):
                ks.append(-idx.operand.value)
            elif isinstance(idx, ast.Constant) and isinstance(idx.value, int):
                ks.append(idx.value)
    return ks


def _wrong_axis_weight(case: Any) -> Mismatch | None:
    """A weight built from ``input_shape[k]`` meets the input along another axis: the sizes that clash are
    the one from axis k and the size of exactly one other axis."""
    where = user_method(case.exc)
    if where is None or where.method != "call":
        return None
    layer = where.layer
    read = _build_subscripts(layer)
    given = [t for t in _call_args(case.exc, layer) if len(_shape(t)) >= 2]
    if read is None or not read[1] or not given:
        return None
    arg, ks = read
    shape = _shape(given[0])
    rank = len(shape)
    pair = _clashing_sizes(case.message)
    for k in dict.fromkeys(ks):
        if pair is None or not -rank <= k < rank or shape[k] is None:
            continue
        v = shape[k]
        if v not in pair or pair[0] == pair[1]:
            continue
        for n in [p for p in pair if p != v]:
            axes = [j for j in range(1, rank) if shape[j] == n and j != k % rank]
            if len(axes) != 1:
                continue
            j = axes[0]
            right = "-1" if j == rank - 1 else str(j)
            path, _ = locate(case, layer)
            weights = ", ".join(f"{w.name} {tuple(w.shape)}" for w in layer.weights) or "its weights"
            return Mismatch(
                path, _interface(case, layer, given, crossing=True), f"weights over axis {j} ({n})",
                f"{format_shape(shape)} and {weights}",
                f"{type(layer).__name__}.build makes {weights} from {arg}[{k}] = {v}, but call() meets it with axis {j} "
                f"of its input ({n}). Build it from {arg}[{right}] ({n}) instead of {arg}[{k}].",
            )
    return None


def _build_reads_a_list(case: Any) -> Mismatch | None:
    """A layer called on a list of tensors gets one shape per input in build(); ``input_shape[-1]`` is then
    the last input's whole shape, not a size."""
    where = user_method(case.exc)
    if where is None or where.method != "build":
        return None
    layer = where.layer
    given = _call_args(case.exc, layer)
    read = _build_subscripts(layer)
    if len(given) < 2 or read is None or not read[1]:
        return None
    arg, ks = read
    if f"{arg}[" not in where.text:
        return None
    if isinstance(where.frame.f_locals.get(arg), dict):  # called on a dict: build gets a dict of shapes
        from kernest._explain_build_axis import dict_of_shapes_in_build

        return dict_of_shapes_in_build(case, where, arg, ks[0], where.frame.f_locals[arg])
    shapes = [_shape(t) for t in given]
    k = ks[0]
    sizes = [sh[k] if -len(sh) <= k < len(sh) else None for sh in shapes]
    index = next((i for i, n in enumerate(sizes) if n is not None), 0)
    fixed = re.sub(rf"\b{arg}\[(-?\d+)\]", rf"{arg}[{index}][\1]", where.text)
    each = ", ".join(f"{arg}[{i}][{k}] is {n}" for i, n in enumerate(sizes))
    path, _ = locate(case, layer)
    listed = "[" + ", ".join(_tuple_text(sh) for sh in shapes) + "]"
    return Mismatch(
        path, _interface(case, layer, given), f"{arg} as one shape", f"a list of {len(shapes)} shapes {listed}",
        f"{layer.name} is called on a list of {len(shapes)} tensors, so {type(layer).__name__}.build gets one shape "
        f"per input, {arg} = {listed}: {arg}[{k}] is a whole shape, not a size. Read the size from one input's "
        f"shape ({each}): `{fixed}`, or unpack them first "
        f"(`{', '.join(f'shape_{i + 1}' for i in range(len(shapes)))} = {arg}`).",
    )


def _call_returns_nothing(case: Any) -> Mismatch | None:
    """A user's call() that never returns a value: the layer or model gives None, which Keras then refuses."""
    if not re.search(r"\bNone\b|NoneType|Invalid dtype: object", case.message):
        return None
    for model in _top_models(case):
        for path, layer in [(str(model.name), model), *((f"{model.name}/{p}", la) for p, la in _walk(model))]:
            if not _is_users(layer):
                continue
            fn = _source_of(type(layer).__dict__.get("call"))
            if fn is None or any(isinstance(n, ast.Return) and n.value is not None for n in ast.walk(fn)):
                continue
            last = next((st.targets[0].id for st in reversed(fn.body) if isinstance(st, ast.Assign)
                         and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name)), None)
            cls = type(layer).__name__
            return Mismatch(
                path if layer is not model else str(model.name), f"{layer.name} -> output", "a tensor from call()",
                "None",
                f"{cls}.call ends without a return, so {layer.name} gives None and Keras has nothing to compute the "
                f"loss (or the next layer) from. Return what it computes: "
                + (f"`return {last}` as its last line." if last else "end it with `return <the output tensor>`."),
            )
    return None


_INDEX_BY_KEY = re.compile(r"(?:tuple|list) indices must be integers or slices, not str")


def _chained_user_method(exc: BaseException, matches: Any) -> tuple[UserMethod, BaseException] | None:
    """The user's method that raised the first exception of ``exc``'s chain (itself, then its causes) that
    ``matches`` picks, with that exception: on JAX and PyTorch the user's error sits under Keras' "Unable to build"."""
    link: BaseException | None = exc
    seen: set[int] = set()
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        where = user_method(link) if matches(link) else None
        if where is not None:
            return where, link
        link = link.__cause__ or link.__context__
    return None


def _keys_read_from_a_list(case: Any) -> Mismatch | None:
    """A user's ``call`` that reads its inputs by key (``inputs["user"]``) given a list of arrays: the list becomes
    a dict with the keys ``call`` reads, in the order it first reads them (the list's order)."""
    from kernest._explain_fit import _user_frames  # _explain_fit imports this module

    raised = _chained_user_method(case.exc, lambda link: _INDEX_BY_KEY.search(str(link)) is not None)
    where = raised[0] if raised is not None else None
    fn = _source_of(type(where.layer).__dict__.get("call")) if where is not None and where.method == "call" else None
    if where is None or fn is None or len(fn.args.args) < 2:
        return None
    param = fn.args.args[1].arg
    keys: list[str] = []
    for node in sorted((n for n in ast.walk(fn) if isinstance(n, ast.Subscript)), key=lambda n: (n.lineno, n.col_offset)):
        if (isinstance(node.value, ast.Name) and node.value.id == param and isinstance(node.slice, ast.Constant)
                and isinstance(node.slice.value, str) and node.slice.value not in keys):
            keys.append(node.slice.value)
    # the line that passes the list: the script's own (kernest check), else a frame of the user's above call()
    lines = [case.site.text.strip()] if case.site is not None else []
    # each frame with the line it failed on (a frame's own f_lineno has moved on since)
    lines += [linecache.getline(frame.f_code.co_filename, line).strip() for frame, line in _user_frames(case.exc)]
    line, listed = next(((text, found) for text in lines if (found := first_listed(text)) and len(found) == len(keys)),
                        ("", None))
    if not keys or listed is None:
        return None
    layer, cls = where.layer, type(where.layer).__name__
    as_dict = "{" + ", ".join(f'"{k}": {v}' for k, v in zip(keys, listed)) + "}"
    line = line.replace("[" + ", ".join(listed) + "]", as_dict, 1)
    return Mismatch(
        str(layer.name), f"data -> {layer.name}", "a dict keyed " + ", ".join(keys), f"a list of {len(listed)} arrays",
        f"{cls}.call reads its inputs by key ({', '.join(f'{param}[{k!r}]' for k in keys)}), but the line passes a "
        f"list, which has no keys. Pass a dict with those keys (here in the order call() first reads them; check "
        f"that each array goes with its key): {line}",
    )


def _key_missing_from_dict_input(case: Any) -> Mismatch | None:
    """A user's ``call`` reading ``inputs["text"]`` from a dict given with another key (``"txt"``): the key the
    dict has that ``call`` never reads, closest to the missing one, renamed in the user's line that wrote it."""
    from kernest._explain_fit import _user_frames  # _explain_fit imports this module

    raised = _chained_user_method(case.exc, lambda link: isinstance(link, KeyError) and len(link.args) == 1 and isinstance(
        link.args[0], str) and "\n" not in link.args[0])  # not Keras' "Could not automatically infer ..." around it
    where, missing = (raised[0], raised[1].args[0]) if raised is not None else (None, "")
    fn = _source_of(type(where.layer).__dict__.get("call")) if where is not None and where.method == "call" else None
    if where is None or fn is None or len(fn.args.args) < 2:
        return None
    param = fn.args.args[1].arg
    given = where.frame.f_locals.get(param)
    if not isinstance(given, dict):
        return None
    read = {n.slice.value for n in ast.walk(fn) if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name)
            and n.value.id == param and isinstance(n.slice, ast.Constant)}
    unread = [str(k) for k in given if k not in read]
    near = difflib.get_close_matches(missing, unread, n=1, cutoff=0.4) or (unread if len(unread) == 1 else [])
    if not near:
        return None
    lines = [case.site.text.strip()] if case.site is not None else []
    lines += [linecache.getline(frame.f_code.co_filename, line).strip() for frame, line in _user_frames(case.exc)]
    quoted = re.compile(rf"(['\"]){re.escape(near[0])}\1")
    line = next((text for text in lines if quoted.search(text)), "") or _line_with_dict(
        getattr(case.site, "file", None) or where.frame.f_code.co_filename, set(given))
    layer, cls = where.layer, type(where.layer).__name__
    keys = ", ".join(f'"{k}"' for k in given)
    fix = (f"{cls}.call reads {param}[\"{missing}\"], but the dict it was given has the keys {keys}: "
           f"\"{near[0]}\" is never read and \"{missing}\" is not there. ")
    fix += (f"Name it as call() reads it: `{quoted.sub(lambda m: m.group(1) + missing + m.group(1), line, count=1)}`"
            if line else f"Give the dict the key \"{missing}\" in place of \"{near[0]}\"")
    fix += f" (or read {param}[\"{near[0]}\"] in call())."
    return Mismatch(str(layer.name), f"data -> {layer.name}", f"a dict with the key \"{missing}\"",
                    f"a dict keyed {keys}", fix)


def _line_with_dict(file: str | None, keys: set[Any]) -> str:
    """The line of the user's ``file`` that writes a dict literal with exactly ``keys`` (a ``model.build({...})``
    that kernest's own check ran, so no frame holds it), '' where none or several do."""
    source, tree = file_tree(file)
    found = {node.lineno for node in ast.walk(tree) if isinstance(node, ast.Dict)
             and {k.value for k in node.keys if isinstance(k, ast.Constant)} == keys} if tree is not None else set()
    return source.splitlines()[found.pop() - 1].strip() if len(found) == 1 else ""


def _step_returns_nothing(case: Any) -> Mismatch | None:
    """A model's own ``train_step`` (or ``test_step``) that ends without returning its logs: fit gets None where
    it reads a dict of metric results (TensorFlow: "OptionalFromValue ... length 0"; torch: "'NoneType' object is
    not iterable"). Only where that step ran to its end, so an error inside it is left to the other readers."""
    if not re.search(r"OptionalFromValue|NoneType", case.message) or not re.search(
            r"\.(fit|evaluate|train_on_batch|test_on_batch)\(", case.site.text if case.site is not None else ""):
        return None
    ran = {frame.f_code for frame in user_frames(case.exc)}
    for model in _top_models(case):
        for method in ("train_step", "test_step"):
            own = type(model).__dict__.get(method)
            fn = _source_of(own)
            if fn is None or getattr(own, "__code__", None) in ran or any(
                    isinstance(n, ast.Return) and n.value is not None for n in ast.walk(fn)):
                continue
            losses = [t.id for n in ast.walk(fn) if isinstance(n, ast.Assign) for t in n.targets
                      if isinstance(t, ast.Name) and "loss" in t.id.lower()]
            logs = f'{{"loss": {losses[-1]}}}' if losses else '{"loss": <the loss tensor>}'
            cls = type(model).__name__
            return Mismatch(
                str(model.name), f"{method} -> {'fit' if method == 'train_step' else 'evaluate'}",
                f"a dict of metric results from {method}", "None",
                f"{cls}.{method} ends without a return, so Keras gets None where it reads the step's logs (a dict "
                f"of metric names to values) and stops. Return them as its last line: `return {logs}` (or, after "
                "updating the model's metrics, `return {m.name: m.result() for m in self.metrics}`).",
            )
    return None


_PAIRS = (re.compile(r"but are (\d+) and (\d+)"),
          re.compile(r"size of tensor a \((\d+)\) must match the size of tensor b \((\d+)\)"),
          re.compile(r"\d+x(\d+) and (\d+)x\d+"),
          re.compile(r"got \((\d+),?\) and \((\d+),?\)"))


def _clashing_sizes(message: str) -> tuple[int, int] | None:
    """The two sizes an elementwise op or a matmul found different, as TensorFlow, JAX or torch word it;
    where only the two shapes are given (broadcasting), the first axis where they differ, aligned at the end."""
    for pattern in _PAIRS:
        m = pattern.search(message)
        if m:
            return int(m.group(1)), int(m.group(2))
    shapes = re.search(r"\(([^()]*)\),\s*\(([^()]*)\)", message)
    if shapes is None:
        return None
    a, b = ([int(d) if d.strip().isdigit() else None for d in part.split(",") if d.strip()] for part in shapes.groups())
    for x, y in zip(reversed(a), reversed(b)):
        if x is not None and y is not None and x != y and 1 not in (x, y):
            return x, y
    return None


def unknown_build_axis(exc: BaseException) -> tuple[Any, Any, int, str, tuple[Any, ...], int] | None:
    """The user's ``build`` whose weight failed on a size its shape argument leaves None: (the layer, the build
    frame, its failing line, the argument's name, its value, the None axis, not the batch). The axis is the one
    the failing statement reads (``add_weight(shape=(1, input_shape[1]))``), else any ``input_shape[k]`` build
    reads. One reader for ``_unknown_axis_weight`` and ``_explain_args``' Input rewrite."""
    from kernest._lint import _parsed_function

    tb, found = exc.__traceback__, None
    while tb is not None:
        frame = tb.tb_frame
        if (is_user_file(frame.f_code.co_filename) and frame.f_code.co_name in ("build", "__init__")
                and isinstance(frame.f_locals.get("self"), keras.layers.Layer)):
            found = (frame, tb.tb_lineno)
        tb = tb.tb_next
    if found is None:
        return None
    frame, line = found
    arg = frame.f_code.co_varnames[1] if frame.f_code.co_argcount > 1 else "input_shape"  # build(self, <arg>)
    shape = frame.f_locals.get(arg)
    parsed = _parsed_function(frame.f_code) if isinstance(shape, (tuple, list)) and shape else None
    if parsed is None or not isinstance(shape, (tuple, list)):
        return None
    here = line - frame.f_code.co_firstlineno + 1  # the failing line, counted in the parsed def

    simple = [n for n in ast.walk(parsed[0]) if isinstance(n, (ast.Assign, ast.AnnAssign, ast.Expr, ast.Return))
              and n.lineno <= here <= (n.end_lineno or n.lineno)]
    rank = len(shape)
    inner = min(simple, key=lambda n: (n.end_lineno or n.lineno) - n.lineno, default=None)
    for k in [*(_indexes(inner, arg) if inner is not None else []), *_indexes(parsed[0], arg)]:
        if -rank <= k < rank and shape[k] is None and k % rank:
            return frame.f_locals["self"], frame, line, arg, tuple(shape), k % rank
    return None


def _unknown_axis_weight(case: Any) -> Mismatch | None:
    """``add_weight`` with a size from an axis the model leaves ``None`` (a variable number of steps)."""
    if "Shapes used to initialize variables must be fully-defined" not in case.message:
        return None
    found = unknown_build_axis(case.exc)
    if found is None:
        return None
    layer, _, _, arg, shape, k = found
    named = ["STEPS" if j == k and len(shape) == 3 and k == 1 else (f"SIZE_{j}" if j == k else str(d))
             for j, d in enumerate(shape) if j]
    declared = f"keras.Input(shape=({', '.join(named)}{',' if len(named) == 1 else ''}))"
    given = _call_args(case.exc, layer)
    path, _ = locate(case, layer)
    return Mismatch(
        path, _interface(case, layer, given, crossing=True), f"a known size on axis {k}",
        f"{format_shape(tuple(shape))} (axis {k} is None)",
        f"{type(layer).__name__}.build makes a weight from {arg}[{k}], which is None: the model declares axis {k} "
        f"without a size. Give the input a fixed size, {declared} (your longest, padded), or make the weight "
        f"depend only on known axes ({arg}[-1] = {shape[-1]}).",
    )


def _mask_missing(case: Any) -> Mismatch | None:
    """A user's call that reads ``mask`` got None: nothing upstream makes one."""
    where = user_method(case.exc)
    if where is None or where.method != "call" or "mask" not in where.frame.f_locals:
        return None
    if where.frame.f_locals.get("mask") is not None or "mask" not in where.text:
        return None
    layer = where.layer
    given = _call_args(case.exc, layer)
    if not given or not is_symbolic(given[0]):
        return None
    emb = next(((up, p) for up, p, _ in producer_chain(given[0]) if isinstance(up, keras.layers.Embedding)), None)
    path, _ = locate(case, layer)
    source = (f"{emb[0].name} makes none: build it with keras.layers.Embedding({emb[0].input_dim}, "
              f"{emb[0].output_dim}, mask_zero=True) (id 0 is then padding), or" if emb is not None and not emb[0].mask_zero
              else "nothing before it makes one; make one (Embedding(mask_zero=True) or keras.layers.Masking()), or")
    return Mismatch(
        path, _interface(case, layer, given), "a mask with its input", "mask=None",
        f"{type(layer).__name__}.call uses its mask (`{where.text}`), but the mask is None: {source} handle a "
        "missing one in call (`if mask is None:` use every step).",
    )


_REFUSED_WIDTH = re.compile(r"layer '(?P<layer>[^']+)' is incompatible with the layer: expected axis -?\d+ of input "
                            r"shape to have value (?P<want>\d+), but received input with shape \((?P<shape>[^)]*)\)")


def _shared_sublayer(case: Any) -> Mismatch | None:
    """One sublayer applied by the user's call to inputs of different widths: built for the first."""
    m = _REFUSED_WIDTH.search(case.message)
    where = user_method(case.exc)
    if m is None or where is None or where.method != "call":
        return None
    parent = where.layer
    call = _source_of(type(parent).call)
    if call is None:
        return None
    used = [n.attr for n in ast.walk(call) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
            and n.value.id == "self"]  # read from the source: torch keeps sublayers outside __dict__
    attrs = [a for a in dict.fromkeys(used) if getattr(getattr(parent, a, None), "name", None) == m.group("layer")
             and isinstance(getattr(parent, a), keras.layers.Layer)]
    if not attrs or used.count(attrs[0]) < 2:
        return None
    attr = attrs[0]
    sub = getattr(parent, attr)
    got = _ints(m.group("shape"))
    width = got[-1] if got else None
    given = _call_args(case.exc, parent)
    odd = next((t for t in given if _shape(t) and _shape(t)[-1] == width), None)
    path, _ = locate(case, parent)
    return Mismatch(
        f"{path}/{sub.name}", _interface(case, parent, [odd] if odd is not None else given),
        f"(batch, ..., {m.group('want')})", f"(batch, ..., {width})",
        f"{type(parent).__name__}.call applies self.{attr} to inputs {m.group('want')} and {width} wide; one layer "
        f"has one kernel, built for the first ({m.group('want')}). Give the {width}-wide input its own layer: "
        f"self.{attr}_2 = {_constructor(sub)} in __init__, and use it for that input.",
    )


def _constructor(layer: Any) -> str:
    """``keras.layers.Dense(8)``, or the user's class with its __init__ arguments from its config."""
    config = layer.get_config() if hasattr(layer, "get_config") else {}
    if not _is_users(layer):
        first = next((config[k] for k in ("units", "filters", "output_dim") if k in config), None)
        return f"keras.layers.{type(layer).__name__}({'' if first is None else first})"
    args = ", ".join(f"{p}={config[p]!r}" for p in _init_params(type(layer)) if p in config)
    return f"{type(layer).__name__}({args})"


def _instance_built_elsewhere(case: Any) -> Mismatch | None:
    """One instance of a user's layer put into two models on inputs of different shapes."""
    where = user_method(case.exc)
    if where is None or where.method != "call":
        return None
    layer = where.layer
    nodes = call_nodes(layer)
    given = _call_args(case.exc, layer)
    if not nodes or not given or not nodes[0].input_tensors:
        return None
    before, now = _shape(nodes[0].input_tensors[0]), _shape(given[0])
    if before[1:] == now[1:] or len(before) != len(now):
        return None
    other = next((f"{m.name}/{p}" if m is not layer else p for m in case.models()
                  for p, x in _walk(m) if x is layer), None)
    if getattr(case, "target", None) is layer:
        return None  # the model itself, called again on another shape: not one instance in two models
    if any(f.layer is not layer and any(x is layer for _, x in _walk(f.layer)) for f in getattr(case, "frames", [])
           if f.kind == "call"):
        return None  # the model holding it, called on other data: not one instance in two models
    path, _ = locate(case, layer)
    return Mismatch(
        path, _interface(case, layer, given), format_shape(before), format_shape(now),
        f"{layer.name} is one instance, already built for {format_shape(before)}"
        + (f" in {other.split('/')[0]}" if other else "")
        + f", and here it gets {format_shape(now)}; one instance keeps one set of weights. Make a new one for this "
        f"model: {_constructor(layer)} (or give both the same input width to share it on purpose).",
    )


_RESHAPE = re.compile(r"reshape|Reshape|shape '\[")


def _static_batch_reshape(case: Any) -> Mismatch | None:
    """``ops.reshape(x, (32, 4, 6))`` in a user's call: the batch size written in."""
    where = user_method(case.exc)
    if where is None or where.method != "call" or not _RESHAPE.search(case.message):
        return None
    m = re.search(r"reshape\([^,]+,\s*[(\[]\s*(?P<first>\d+)\s*,(?P<rest>[^)\]]*)[)\]]", where.text)
    if m is None:
        return None
    layer = where.layer
    given = _call_args(case.exc, layer)
    rest = [s.strip() for s in m.group("rest").split(",") if s.strip()]
    target = f"(-1, {', '.join(rest)})"
    path, _ = locate(case, layer)
    batch = _shape(given[0])[0] if given else None
    return Mismatch(
        path, _interface(case, layer, given), f"{target}: the batch left to the data",
        f"({m.group('first')}, {', '.join(rest)})" + (f" for a batch of {batch}" if batch else ""),
        f"{type(layer).__name__}.call reshapes to ({m.group('first')}, {', '.join(rest)}): axis 0 is the batch, "
        f"and {m.group('first')} holds only for batches of {m.group('first')}. Write {target} in `{where.text}`.",
    )


def _output_shape_lies(case: Any) -> Mismatch | None:
    """A user's compute_output_shape that says another shape than its call returns: the model around it is
    built for the declared shape and fails once data runs."""
    for model in _top_models(case)[:1]:
        for path, layer in _walk(model):
            if not _is_users(layer) or "compute_output_shape" not in type(layer).__dict__:
                continue
            lie = declared_vs_real(layer)
            if lie is None:
                continue
            declared, real, in_shape = lie
            tail = r"\D{1,3}".join(str(d) for d in real[1:])
            if not re.search(rf"\b{tail}\s*[)\]]", case.message):
                continue
            top = path.split("/")[0]
            consumer = consumer_of(model, top)
            return Mismatch(
                path, f"{top} -> {consumer or '?'}", format_shape(real), format_shape(declared),
                f"{type(layer).__name__}.compute_output_shape says {format_shape(declared)}, but call() returns "
                f"{format_shape(real)}, so the model after it was built for the wrong shape. Make "
                f"compute_output_shape return what call gives: return {shape_expr(in_shape, real)}.",
            )
    return None


def declared_vs_real(layer: Any) -> tuple[Shape, Shape, Shape] | None:
    nodes = call_nodes(layer)
    if not nodes or not nodes[0].input_tensors:
        return None
    in_shape = _shape(nodes[0].input_tensors[0])
    if any(d is None for d in in_shape[1:]):
        return None
    declared = tuple(layer.compute_output_shape(in_shape))
    real = tuple(keras.ops.shape(layer(keras.ops.zeros((2, *in_shape[1:])))))
    if tuple(declared[1:]) == tuple(real[1:]):
        return None
    if None in declared[1:]:  # an axis as long as the batch (a similarity of each sample with every other)
        again = tuple(keras.ops.shape(layer(keras.ops.zeros((3, *in_shape[1:])))))
        real = tuple(None if a != b else a for a, b in zip(real, again)) if len(again) == len(real) else real
    real = (None, *real[1:])
    return (declared, real, in_shape) if tuple(declared[1:]) != tuple(real[1:]) else None


def shape_expr(in_shape: Shape, out: Shape) -> str:
    """``input_shape[:1] + input_shape[2:]`` when the output is the input without one axis, else a tuple."""
    for j in range(1, len(in_shape)):
        if tuple(in_shape[:j]) + tuple(in_shape[j + 1:]) == tuple(out) or (
                tuple(in_shape[1:j]) + tuple(in_shape[j + 1:]) == tuple(out[1:]) and len(out) == len(in_shape) - 1):
            return f"input_shape[:{j}] + input_shape[{j + 1}:]"
    return "(input_shape[0], " + ", ".join(str(d) for d in out[1:]) + ")"


def consumer_of(model: Any, top: str) -> str | None:
    for call in calls(model):
        for t in call.data_inputs:
            src = producer(t)
            if getattr(src, "name", None) == top:
                return str(call.layer.name)
    return None


def _unseeded_random(case: Any) -> Mismatch | None:
    """JAX refuses a ``keras.random`` call without a seed inside a traced (jitted) call of a user's layer."""
    if "you should only use seeded random ops" not in case.message:
        return None
    where = user_method(case.exc)
    if where is None or where.method != "call":
        return None
    layer = where.layer
    given = _call_args(case.exc, layer)
    path, _ = locate(case, layer)
    reads_training = "training" in inspect.signature(layer.call).parameters
    seeded = re.sub(r"\)\s*$", ", seed=self.seed_gen)", where.text.replace("return ", "", 1)) if where.text else ""
    return Mismatch(
        path, _interface(case, layer, given, crossing=True), "a random op given a seed generator",
        f"`{where.text}` without seed",
        f"{type(layer).__name__}.call draws random numbers without a seed, which JAX cannot trace. Make a "
        f"generator once, self.seed_gen = keras.random.SeedGenerator(1337) in __init__, and pass it: `{seeded}`"
        + ("." if reads_training else "; draw only in training: def call(self, x, training=None): "
                                      "if training: ...; return x (predict is random otherwise)."),
    )


def _backend_call_in_built_model(case: Any) -> Mismatch | None:
    """NumPy or a backend's own function in a user's call (read by ``_runtime``), while a model is being built
    around the layer on the failing line: the path gets that model's name."""
    from kernest._runtime import in_users_code

    built = _model_being_built(case)
    if built is None:
        return None
    found = in_users_code(case)
    if found is None or found.path.startswith(f"{built[1]}/"):
        return None  # explain's own chain gives the same answer
    return dataclasses.replace(found, path=f"{built[1]}/{found.path}")
