"""Failures on a line of the user's script that uses Keras' model-building API in a way Keras 3 refuses.

Each reader matches one certain cause (Keras' words and the user's line, read with ``ast``), computes the fix
from the user's own objects and texts, and checks it where it can (a fresh copy of the layer, the backbone
rebuilt without weights, the weights file loaded into a copy of the part); every reader returns ``None``
unless its pattern is certain. ``explain`` asks ``script_failure`` after the readers of the user's own classes.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Any

import keras

from kernest._axes import format_shape, shape_of
from kernest._callsite import (
    _fresh_accepts,
    assignment_of,
    calls_on,
    file_tree,
    model_call,
    model_calls,
    name_kw,
    parse_line,
    user_source,
    value_of,
)
from kernest._errors import Mismatch
from kernest._explain_custom import first_answer
from kernest._graph import call_inputs, call_nodes, is_input_layer, is_symbolic, producer
from kernest._graph import layers as _walk
from kernest._lint import _parsed_function, schedule_finding, schedule_fix, sets_learning_rate


def script_failure(case: Any) -> Mismatch | None:
    """The first reader that recognises the failure, or None."""
    return first_answer(case, (_model_given_as_tensor, _backbone_below_minimum, _backend_function,
                               _loss_added_to_graph_model, _timedistributed_several_outputs, _weights_of_a_part, _weights_of_the_whole,
                               _call_takes_the_inputs_apart, _layer_inside_a_part, _compile_without_super,
                               _never_compiled, _unknown_identifier, _generator_yields_a_list,
                               _numpy_inside_a_lambda, _keras2_backend_in_a_lambda, _predict_on_a_symbolic_tensor, _predict_inside_the_graph, _layer_made_in_call,
                               _forward_outside_the_tape, _rate_of_a_schedule_set, _schedule_gave_no_float,
                               _output_without_gradient, _state_rebound_in_call, _inplace_on_torch,
                               _inplace_not_on_this_backend))


def _value(node: ast.AST, scope: dict[str, Any]) -> Any:
    """``value_of``, also through ``.get_layer("name")`` calls (side-effect free) and attributes after them."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Call):
        base = _value(node.value, scope)
        return getattr(base, node.attr, None) if base is not None else None
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get_layer"
            and len(node.args) == 1 and isinstance(node.args[0], ast.Constant)):
        owner = _value(node.func.value, scope)
        return owner.get_layer(node.args[0].value) if isinstance(owner, keras.Model) else None
    return value_of(node, scope)


def _part_path(outer: Any, part: Any) -> str | None:
    """The path of ``part`` inside ``outer`` (``encoder``, ``trunk/encoder``), or None."""
    return next((p for p, layer in _walk(outer) if layer is part), None)


def _fed_by(outer: Any, part: Any) -> str:
    """What feeds ``part`` where ``outer`` calls it: ``input:NAME`` or the producing layer's name."""
    for i in range(len(call_nodes(part))):
        for t in call_inputs(part, i)[:1]:
            src = producer(t)
            if src is not None:
                return f"input:{src.name}" if is_input_layer(src) else str(src.name)
    return "data"


# --- a model (or layer) object where a tensor goes ----------------------------------------------------------

_NOT_TENSOR = re.compile(r"Only input tensors may be passed as positional arguments\. The following argument value "
                         r"should be passed as a keyword argument: <(?:Functional|Sequential|\w+) name=(?P<name>[^,>]+)")


def _model_given_as_tensor(case: Any) -> Mismatch | None:
    """``Concatenate()([text_model, image_model])``: the models themselves, not their output tensors. Each
    model in the call's arguments becomes ``model.output`` (its graph's output), checked on a fresh copy of
    the layer."""
    if not _NOT_TENSOR.search(case.message) or case.site is None or case.layer is None:
        return None
    for call in calls_on(case.site.text):
        if not call.node.args:
            continue
        models: list[Any] = []
        args = [ast.List(elts=[_as_output(e, case.scope, models) for e in a.elts], ctx=ast.Load())
                if isinstance(a, ast.List) else _as_output(a, case.scope, models) for a in call.node.args]
        if not models:
            continue
        values = [value_of(a, case.scope) for a in args]
        if not _fresh_accepts(case.layer, *values):
            continue
        fixed = ", ".join(ast.unparse(a) for a in args)
        name = case.layer.name
        given = ", ".join(f"{m.name} (a {type(m).__name__})" for m in models)
        shapes = " and ".join(format_shape(shape_of(m.outputs[0])) for m in models)
        return Mismatch(
            case.path(name), f"{models[0].name} -> {name}", "tensors", given,
            f"{call.text(call.node.func)} was given the model object(s) {given}, not tensors. Give it their "
            f"outputs, {shapes}: {call.text(call.node.func)}({fixed}) (a fresh copy accepts that), and build the "
            "outer model on those models' inputs (keras.Model([m.input for m in ...], ...)); or call each model "
            "on an input of the outer model.",
        )
    return None


def _as_output(node: ast.expr, scope: dict[str, Any], models: list[Any]) -> ast.expr:
    """``node`` as ``node.output`` when it holds a model of one output (appended to ``models``), else itself."""
    value = value_of(node, scope)
    if isinstance(value, keras.Model) and len(getattr(value, "outputs", None) or []) == 1:
        models.append(value)
        return ast.Attribute(value=node, attr="output", ctx=ast.Load())
    return node


# --- a keras.applications backbone built below its minimum input size ----------------------------------------

_MIN_SIZE = re.compile(r"Input size must be at least (?P<h>\d+)x(?P<w>\d+); Received: input_shape=(?P<got>\([^)]*\))")


def _backbone_below_minimum(case: Any) -> Mismatch | None:
    """``keras.applications.VGG16(input_shape=(28, 28, 3))``: the application refuses sizes below its minimum.
    The constructor is rebuilt at the minimum (without weights, to read its name without a download), and
    the images are resized to it inside the model."""
    m = _MIN_SIZE.search(case.message)
    if m is None or case.site is None:
        return None
    h, w = int(m.group("h")), int(m.group("w"))
    for call in calls_on(case.site.text):
        shape_kw = next((k for k in call.node.keywords if k.arg == "input_shape"), None)
        ctor = value_of(call.node.func, case.scope)
        if shape_kw is None or not callable(ctor) or "applications" not in call.text(call.node.func):
            continue
        got = value_of(shape_kw.value, case.scope)
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            continue
        channels_first = got[0] in (1, 3) and got[-1] not in (1, 3)
        new = (got[0], h, w) if channels_first else (h, w, got[-1])
        kwargs = {k.arg: value_of(k.value, case.scope) for k in call.node.keywords if k.arg}
        kwargs.update(input_shape=new, weights=None)
        built = ctor(*[value_of(a, case.scope) for a in call.node.args], **kwargs)  # a fresh copy: it builds
        name = str(built.name)
        keywords = [f"input_shape={new}" if k.arg == "input_shape" else call.text(k) for k in call.node.keywords]
        fixed = f"{call.text(call.node.func)}({', '.join([*(call.text(a) for a in call.node.args), *keywords])})"
        return Mismatch(
            name, f"data -> {name}", f"images of at least {h}x{w}", f"input_shape={tuple(got)}",
            f"{call.text(call.node.func)} needs images of at least {h}x{w}, and it was built for {tuple(got)}. Build "
            f"it at {h}x{w}: {fixed}, and resize your images to it inside the model, "
            f"keras.layers.Resizing({h}, {w}) on the input before {name} (or resize the arrays before fit).",
        )
    return None


# --- keras.backend.function (Keras 2) ----------------------------------------------------------------------------

def _backend_function(case: Any) -> Mismatch | None:
    """``keras.backend.function([model.input], [part.output])``, which Keras 3 removed: the part's outputs are
    computed by the part itself when the model applies it to its own inputs (``part.predict(x)``), else by a
    model from the given inputs to those outputs."""
    if not re.search(r"module '[\w.]*backend' has no attribute 'function'", case.message) or case.site is None:
        return None
    call = next((c for c in calls_on(case.site.text) if c.text(c.node.func).endswith("function")
                 and len(c.node.args) == 2), None)
    if call is None:
        return None
    ins, outs = call.node.args
    out_nodes = outs.elts if isinstance(outs, (ast.List, ast.Tuple)) else [outs]
    in_text, source = call.text(ins), user_source(case)
    if isinstance(ins, (ast.List, ast.Tuple)) and len(ins.elts) == 1:
        in_text = call.text(ins.elts[0])
    data = _data_given_later(source, _assigned(case.site.text), case.site.line)
    outer = _model_of(ins, case.scope)
    if len(out_nodes) == 1 and isinstance(out_nodes[0], ast.Attribute) and out_nodes[0].attr == "output":
        part = _value(out_nodes[0].value, case.scope)
        path = _part_path(outer, part) if outer is not None and isinstance(part, keras.Model) else None
        if path is not None and _applied_to_inputs(outer, part):
            part_text = call.text(out_nodes[0].value)
            return Mismatch(
                path, f"{_fed_by(outer, part)} -> {part.name}", "a Keras 3 way to run part of a model",
                "keras.backend.function",
                f"keras.backend.function was removed in Keras 3. {part.name} is the part whose output you read, and "
                f"{outer.name} applies it to its own inputs, so it computes that output itself: "
                f"{part_text}.predict({data}) (or {part_text}({data}) for a tensor).",
            )
    outs_text = call.text(outs.elts[0]) if isinstance(outs, (ast.List, ast.Tuple)) and len(outs.elts) == 1 else call.text(outs)
    name = outer.name if outer is not None else "model"
    return Mismatch(
        name, f"{name} -> keras.backend.function", "a Keras 3 way to run part of a model", "keras.backend.function",
        f"keras.backend.function was removed in Keras 3. Build a model from those inputs to those outputs and "
        f"predict with it: keras.Model({in_text}, {outs_text}).predict({data}).",
    )


def _data_given_later(source: str, fn: str | None, after: int) -> str:
    """The source of the data the script passes to the function ``fn`` after line ``after``
    (``get_codes([x])[0]`` -> ``x``), or ``x``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return "x"
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == fn
                and node.lineno > after and node.args):
            arg = node.args[0]
            if isinstance(arg, (ast.List, ast.Tuple)) and len(arg.elts) == 1:
                arg = arg.elts[0]
            return ast.get_source_segment(source, arg) or ast.unparse(arg)
    return "x"


def _assigned(text: str) -> str | None:
    tree, _ = parse_line(text)
    body = getattr(tree, "body", None) or [None]
    node = body[0]
    if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    return None


def _model_of(node: ast.AST, scope: dict[str, Any]) -> Any:
    """The model whose ``.input``/``.inputs`` the expression reads (``[model.input]``), or None."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and sub.attr in ("input", "inputs"):
            value = value_of(sub.value, scope)
            if isinstance(value, keras.Model):
                return value
    return None


def _applied_to_inputs(outer: Any, part: Any) -> bool:
    """Whether ``outer`` calls ``part`` once, directly on its own inputs."""
    roots = {id(t) for t in keras.tree.flatten(outer.inputs)}
    given = [call_inputs(part, i) for i in range(len(call_nodes(part)))]
    return any(g and all(id(t) in roots for t in g) for g in given)


# --- model.add_loss(tensor) on a functional model -----------------------------------------------------------------

def _loss_added_to_graph_model(case: Any) -> Mismatch | None:
    """``vae.add_loss(kl)`` with a symbolic tensor, the Keras 2 VAE recipe: a Keras 3 functional model raises a
    bare NotImplementedError. The loss goes in a layer's ``call`` (``self.add_loss``) that the model's output
    passes through, built from the user's own expression and statement."""
    if not isinstance(case.exc, NotImplementedError) or case.site is None:
        return None
    m = re.search(r"(\w+)\.add_loss\((.+)\)\s*$", case.site.text.strip())
    model = case.scope.get(m.group(1)) if m else None
    if m is None or not isinstance(model, keras.Model):
        return None
    source = user_source(case)
    expr_text = m.group(2)
    if re.fullmatch(r"\w+", expr_text):  # a variable: read the expression that made it
        made = assignment_of(source, expr_text)
        expr_text = ast.unparse(made.value) if made is not None else expr_text
    names = [n.id for n in ast.walk(ast.parse(expr_text, mode="eval")) if isinstance(n, ast.Name)]
    tensors = list(dict.fromkeys(n for n in names if isinstance(case.scope.get(n), keras.KerasTensor)))
    if not tensors:
        return None
    built = assignment_of(source, m.group(1))
    outputs_node = None
    if built is not None and isinstance(built.value, ast.Call):
        outputs_node = next((k.value for k in built.value.keywords if k.arg == "outputs"), None)
        if outputs_node is None and len(built.value.args) > 1:
            outputs_node = built.value.args[1]
    if outputs_node is None or built is None:
        return None
    src = producer(case.scope[tensors[0]])
    loss_var = m.group(2) if re.fullmatch(r"\w+", m.group(2)) else "added"
    cls = "".join(p.capitalize() for p in loss_var.split("_")) + "Loss"
    out_text = ast.get_source_segment(source, outputs_node) or ast.unparse(outputs_node)
    routed = f"{cls}()([{out_text}, {', '.join(tensors)}])"
    statement = ast.get_source_segment(source, built.value) or ast.unparse(built.value)
    statement = statement.replace(out_text, routed, 1)
    code = (f"class {cls}(keras.layers.Layer):\n    def call(self, inputs):\n        out, {', '.join(tensors)} = inputs\n"
            f"        self.add_loss({expr_text})\n        return out\n\n{m.group(1)} = {statement}")
    return Mismatch(
        str(model.name), f"{getattr(src, 'name', 'model')} -> {model.name}", "a loss added inside a layer's call",
        f"{m.group(1)}.add_loss(<symbolic tensor>)",
        f"a Keras 3 functional model cannot take a loss tensor built outside it ({m.group(1)}.add_loss raises "
        f"NotImplementedError). Add it from a layer's call, which the model's output passes through:\n{code}\n"
        f"and drop the {m.group(1)}.add_loss line.",
    )


# --- TimeDistributed around a model with several outputs -------------------------------------------------------

def _timedistributed_several_outputs(case: Any) -> Mismatch | None:
    """TimeDistributed maps one output; a wrapped model with several fails in Keras' shape code. kernest.over
    maps any model over an axis, several outputs included; it is checked on the same input."""
    import kernest

    for frame in reversed(case.frames):
        wrapper = frame.layer
        inner = getattr(wrapper, "layer", None)
        if not isinstance(wrapper, keras.layers.TimeDistributed) or not isinstance(inner, keras.Model):
            continue
        outputs = keras.tree.flatten(getattr(inner, "outputs", None) or [])
        if len(outputs) < 2 or not frame.inputs:
            return None
        kernest.over(1, inner)(keras.KerasTensor(tuple(frame.inputs[0].shape)))  # raises if it does not work
        var = case.var(inner)
        shapes = ", ".join(format_shape(shape_of(t)) for t in outputs)
        return Mismatch(
            case.path(wrapper.name), f"{inner.name} -> {wrapper.name}", "a layer or model with one output",
            f"{inner.name} with {len(outputs)} outputs ({shapes})",
            f"TimeDistributed maps a layer with one output over the steps, and {inner.name} has {len(outputs)}. Map "
            f"it with kernest.over, which takes several outputs: kernest.over(1, {var}, name=\"{wrapper.name}\")"
            f"({case.var(frame.inputs[0]) if case.var(frame.inputs[0]) != 'model' else 'x'}) gives one tensor per "
            f"output with the steps axis kept (or wrap one single-output model per output: "
            f"keras.layers.TimeDistributed(keras.Model({var}.input, {var}.outputs[i]))).",
        )
    return None


# --- a part's weights file loaded into the whole model ---------------------------------------------------------

def _weights_of_a_part(case: Any) -> Mismatch | None:
    """``model.load_weights(path)`` with a file that holds the weights of one nested part (saved from that
    part alone): the part whose weights match the file's, shape for shape, is loaded instead, checked by
    loading the file into a copy of it."""
    if "could not be loaded" not in case.message:
        return None
    found = _load_weights_line(case)
    if found is None:
        return None
    m, model, path = found
    saved = sorted(_saved_shapes(path))
    for part_path, part in _walk(model):
        if not isinstance(part, keras.Model) or sorted(tuple(w.shape) for w in part.weights) != saved:
            continue
        copy = keras.models.clone_model(part)
        copy.load_weights(path)  # raises unless the file fits this part
        getters = "".join(f'.get_layer("{step}")' for step in part_path.split("/"))
        fixed = f"{m.group(1)}{getters}.load_weights({m.group(2)})"
        return Mismatch(
            part_path, f"{part.name} -> {model.name}", f"the weights of all of {model.name}",
            f"a file with the weights of {part.name} only ({len(saved)} arrays)",
            f"the file holds the weights of {part.name} alone (saved from it), and {m.group(1)}.load_weights expects "
            f"every layer of {model.name}. Load it into that part: {fixed} (a copy of {part.name} loads it).",
        )
    return None


def _weights_of_the_whole(case: Any) -> Mismatch | None:
    """``part.load_weights(path)`` with a file saved from a whole model that holds ``part`` nested: a model of
    the user's whose weights match the file, shape for shape, and that holds a part shaped like ``part`` loads
    it, and the part's weights are copied across (checked on copies of both)."""
    if "could not be loaded" not in case.message and "mismatch" not in case.message:
        return None
    found = _load_weights_line(case)
    if found is None:
        return None
    m, target, path = found
    saved = sorted(_saved_shapes(path))
    mine = sorted(tuple(w.shape) for w in target.weights)
    if len(saved) <= len(mine):
        return None
    for var, whole in case.scope.items():
        if var.startswith("_") or not isinstance(whole, keras.Model) or whole is target:
            continue
        if sorted(tuple(w.shape) for w in whole.weights) != saved:
            continue
        for part_path, part in _walk(whole):
            if not isinstance(part, keras.Model) or sorted(tuple(w.shape) for w in part.weights) != mine:
                continue
            copy = keras.models.clone_model(whole)
            copy.load_weights(path)  # raises unless the file fits the whole model
            keras.models.clone_model(target).set_weights(_part_of(copy, part_path).get_weights())
            getters = "".join(f'.get_layer("{step}")' for step in part_path.split("/"))
            return Mismatch(
                m.group(1), f"{whole.name} -> {target.name}", f"a file with the weights of {target.name} ({len(mine)} arrays)",
                f"the weights of all of {whole.name} ({len(saved)} arrays)",
                f"the file was saved from {var} ({whole.name}), which holds {target.name}'s layers as its part "
                f"{part_path}, and {m.group(1)}.load_weights expects {target.name}'s own {len(mine)} arrays. Load the "
                f"file into the whole model and copy the part: {var}.load_weights({m.group(2)}); "
                f"{m.group(1)}.set_weights({var}{getters}.get_weights()) (or save the part alone with "
                f"{var}{getters}.save_weights(...)).",
            )
    return None


def _load_weights_line(case: Any) -> tuple[re.Match[str], Any, str] | None:
    """``(match, model, path)`` for the user's ``model.load_weights(path)`` line, the file path read from the
    user's scope; None for any other line."""
    m = re.search(r"(\w+)\.load_weights\((.+)\)\s*$", case.site.text.strip()) if case.site is not None else None
    model = case.scope.get(m.group(1)) if m else None
    path = value_of(ast.parse(m.group(2).split(",")[0], mode="eval").body, case.scope) if m else None
    if m is None or not isinstance(model, keras.Model) or not isinstance(path, str):
        return None
    return m, model, path


def _part_of(model: Any, path: str) -> Any:
    for step in path.split("/"):
        model = model.get_layer(step)
    return model


def _saved_shapes(path: str) -> list[tuple[int, ...]]:
    import h5py

    shapes: list[tuple[int, ...]] = []
    with h5py.File(path, "r") as f:
        f.visititems(lambda _, obj: shapes.append(tuple(obj.shape)) if isinstance(obj, h5py.Dataset) else None)
    return shapes


# --- a subclassed model whose call takes its inputs as separate arguments ------------------------------------

def _call_takes_the_inputs_apart(case: Any) -> Mismatch | None:
    """``def call(self, user, item)`` on a model that fit/predict/evaluate give one structure of inputs
    (``fit([users, items], y)``): Keras calls ``call(inputs)``. The user's own parameters become an unpacking
    of that one argument."""
    import inspect

    if not re.search(r"missing (?:a|\d+) required (?:positional )?argument", case.message) or case.layer is None:
        return None
    layer = case.layer
    if type(layer).__module__.startswith(("keras", "kernest")) or not case.frames or not case.frames[-1].inputs:
        return None
    params = [p for p in inspect.signature(type(layer).call).parameters.values()
              if p.name not in ("self", "training", "mask") and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
              and p.default is p.empty]
    given = case.frames[-1].inputs
    if len(params) < 2 or len(given) != len(params):
        return None
    names = [p.name for p in params]
    rest = [p for p in inspect.signature(type(layer).call).parameters.values() if p.name not in ("self", *names)]
    new_def = f"def call(self, {', '.join(['inputs', *(str(p) for p in rest)])}):"
    cls = type(layer).__name__
    return Mismatch(
        case.path(layer.name), case.interface(layer.name), "one inputs argument", f"{len(given)} inputs in one list",
        f"fit, predict and evaluate give {cls}.call its inputs as one structure, and call takes {len(names)} "
        f"arguments ({', '.join(names)}). Take them as one and unpack it: {new_def} then {', '.join(names)} = inputs "
        f"as its first line.",
    )


# --- a layer looked up on the outer model that lives in a nested part -------------------------------------------

_NO_SUCH_LAYER = re.compile(r"No such layer: (?P<name>.+?)\. Existing layers are")


def _layer_inside_a_part(case: Any) -> Mismatch | None:
    """``model.get_layer("conv_last")`` where ``conv_last`` lives in a nested model: ``get_layer`` looks at one
    level only. The layer is found at any depth, and the fix is the chain of ``get_layer`` calls to it."""
    m = _NO_SUCH_LAYER.search(case.message)
    if m is None or case.site is None:
        return None
    wanted = m.group("name")
    for call in calls_on(case.site.text):
        func = call.node.func
        if not (isinstance(func, ast.Attribute) and func.attr == "get_layer" and call.node.args
                and isinstance(call.node.args[0], ast.Constant) and call.node.args[0].value == wanted):
            continue
        owner = _value(func.value, case.scope)
        if not isinstance(owner, keras.Model):
            continue
        found = [p for p, _ in _walk(owner) if p.split("/")[-1] == wanted and "/" in p]
        if not found:
            return None
        path = found[0]
        receiver = call.text(func.value)
        getters = "".join(f'.get_layer("{step}")' for step in path.split("/"))
        also = f" ({len(found)} layers have that name: {', '.join(found)})" if len(found) > 1 else ""
        return Mismatch(
            path, f"{owner.name} -> {path.split('/')[0]}", f"a layer of {owner.name} itself",
            f"{wanted}, a layer of the nested {path.rsplit('/', 1)[0]}{also}",
            f"get_layer looks at one level only, and {wanted} is inside {path.rsplit('/', 1)[0]}: "
            f"{receiver}{getters}. Its .output belongs to that part's own graph: build a model that reads it from "
            f"the part's inputs (keras.Model({receiver}.get_layer(\"{path.split('/')[0]}\").inputs, ...)), "
            f"or kernest.extract({receiver}, \"{path}\").",
        )
    return None


# --- compile() overridden without Model.compile --------------------------------------------------------------

def _compile_without_super(case: Any) -> Mismatch | None:
    """A subclassed model whose own ``compile`` (taking, say, two optimizers) never calls ``Model.compile``:
    fit then refuses a model that was never compiled."""
    if "You must call `compile()` before using the model" not in case.message:
        return None
    model = case.fitted_model() if hasattr(case, "fitted_model") else None
    if model is None:
        return None
    owner = next((c for c in type(model).__mro__ if "compile" in c.__dict__), None)
    if owner is None or owner.__module__.startswith(("keras", "kernest")):
        return None
    parsed = _parsed_function(owner.__dict__["compile"])
    if parsed is None:
        return None
    fn = parsed[0]
    calls_super = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "compile"
                      and isinstance(n.func.value, ast.Call) and getattr(n.func.value.func, "id", "") == "super"
                      for n in ast.walk(fn))
    if calls_super:
        return None
    params = ", ".join(a.arg for a in fn.args.args)
    return Mismatch(
        model.name, f"{model.name} -> compile", "a model compiled by Model.compile",
        f"{owner.__name__}.compile({params}), which never calls Model.compile",
        f"{owner.__name__}.compile replaces Keras' compile and never calls it, so the model is never compiled "
        f"(no optimizer, metrics or step functions set up). Call it first: super().compile() as the first line of "
        f"{owner.__name__}.compile (pass loss= or metrics= there if train_step uses them), then keep your "
        "optimizers as attributes.",
    )


def _compiled_holder(case: Any, model: Any) -> tuple[Any, str] | None:
    """A compiled model of the user's that holds ``model``, and the arguments of its ``compile(...)`` as written."""
    scope = case.scope if isinstance(case.scope, dict) else {}
    site = getattr(case, "site", None)
    source, tree = file_tree(site.file if site is not None else None)
    for node in ast.walk(tree) if tree is not None else ():
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "compile"
                and isinstance(node.func.value, ast.Name)):
            continue
        outer = scope.get(node.func.value.id)
        if (isinstance(outer, keras.Model) and outer is not model and getattr(outer, "compiled", False)
                and any(part is model for _, part in _walk(outer))):
            return outer, ", ".join(ast.get_source_segment(source, p) or ast.unparse(p)
                                    for p in [*node.args, *node.keywords])
    return None


def _never_compiled(case: Any) -> Mismatch | None:
    """fit or evaluate on a model that was never compiled; where a model nested in it was, that does not compile
    the one that holds it: the same settings are offered for it. (PyTorch's evaluate fails on the missing
    optimizer attribute instead of Keras' words.)"""
    if not re.search(r"You must call `compile\(\)` before using the model|has no attribute 'optimizer'", case.message):
        return None
    model = case.fitted_model() if hasattr(case, "fitted_model") else None
    if model is None or getattr(model, "compiled", False):
        return None
    var = case.var(model)
    holder = _compiled_holder(case, model)
    if holder is not None:  # taken out of a compiled model (get_layer) and trained alone
        outer, args = holder
        called = re.search(r"(\w+)\.(?:fit|evaluate|train_on_batch|test_on_batch)\(", case.site.text if case.site else "")
        var = called.group(1) if called else var
        return Mismatch(
            model.name, f"{model.name} -> compile", "a compiled model",
            f"{model.name} never compiled (compiled as part of {outer.name}, which holds it)",
            f"{model.name} is trained on its own, but only {outer.name}, which holds it, was compiled: compile() sets "
            f"up the optimizer and loss of the model it is called on, not of the models nested in it. Compile {var} "
            f"before its own fit the way {outer.name} was: `{var}.compile({args})`.",
        )
    compiled = [(path, part) for path, part in _walk(model)
                if isinstance(part, keras.Model) and getattr(part, "optimizer", None) is not None
                and getattr(part, "loss", None) is not None]
    if compiled:
        path, part = compiled[0]
        opt = type(part.optimizer).__name__.lower()
        loss = part.loss if isinstance(part.loss, str) else type(part.loss).__name__ + "()"
        settings = f'optimizer="{opt}", loss="{loss}"' if isinstance(part.loss, str) else f'optimizer="{opt}", loss={loss}'
        return Mismatch(
            model.name, f"{model.name} -> compile", f"{model.name} compiled", f"only its part {path} compiled",
            f"{part.name}{f' (at {path})' if path != part.name else ''} was compiled, but compiling a nested model does not compile the model that holds "
            f"it, and {var} was never compiled. Compile {var} itself before training it: {var}.compile({settings}) "
            f"(the settings {part.name} was given; its own compile is not used when {var} trains).",
        )
    return Mismatch(
        model.name, f"{model.name} -> compile", f"{model.name} compiled", "never compiled",
        f"{var} was never compiled, so it has no loss or optimizer to train or evaluate with. Call "
        f'{var}.compile(optimizer="adam", loss=...) first, with the loss that fits its output.',
    )


def _generator_yields_a_list(case: Any) -> Mismatch | None:
    """A Python generator given to fit that yields a list ``[x, y]``: Keras reads each item as a tuple
    ``(inputs, targets[, sample_weights])``; the user's own ``yield`` is rewritten with a tuple."""
    if "the generator must return a tuple" not in case.message:
        return None
    model = case.fitted_model() if hasattr(case, "fitted_model") else None
    code = getattr(getattr(model, "_kernest_data", None), "gi_code", None)
    if model is None or code is None:
        return None
    parsed = _parsed_function(code)
    if parsed is None:
        return None
    tree, text = parsed
    listed = next((n for n in ast.walk(tree) if isinstance(n, ast.Yield) and isinstance(n.value, ast.List)), None)
    if listed is None or not isinstance(listed.value, ast.List):
        return None
    items = [ast.get_source_segment(text, e) or ast.unparse(e) for e in listed.value.elts]
    fixed = f"yield ({', '.join(items)})"
    line = code.co_firstlineno + listed.lineno - 1
    return Mismatch(
        model.name, f"{code.co_name}() -> {model.name}", "a tuple (inputs, targets) per item",
        f"a list of {len(items)} per item", f"{code.co_name}() yields a list, and Keras reads each item a generator "
        f"gives fit as a tuple, (inputs, targets) or (inputs, targets, sample_weights). Yield a tuple: `{fixed}` "
        f"(line {line}).",
    )


# --- a name Keras does not know ------------------------------------------------------------------------------------

_KNOWN = {
    "loss": lambda: [n for n in dir(keras.losses) if n[0].islower() and n not in ("get", "serialize", "deserialize")]
    + ["mse", "mae", "mape", "msle", "kld"],
    "metric": lambda: [n for n in dir(keras.metrics) if n[0].islower() and n not in ("get", "serialize", "deserialize")]
    + ["accuracy", "acc", "mse", "mae", "auc", "precision", "recall"],
    "activation function": lambda: [n for n in dir(keras.activations) if n[0].islower()
                                    and n not in ("get", "serialize", "deserialize")],
    "optimizer": lambda: [n.lower() for n in dir(keras.optimizers) if n[0].isupper()],
}


def _unknown_identifier(case: Any) -> Mismatch | None:
    """``metrics=["acurracy"]``, ``loss="sparse_categorical_crossentropie"``, ``activation="softmaxx"``: a
    name Keras cannot look up, with the nearest one it knows, written into the user's line that holds it (the
    compile line, where fit is what failed)."""
    import difflib
    import linecache

    m = re.search(r"Could not interpret (?P<kind>loss|metric|activation function|optimizer) identifier: (?P<name>[^\n]+)",
                  case.message)
    if m is None or case.site is None:
        return None
    kind, name = m.group("kind"), m.group("name").strip("'\".,")
    near = difflib.get_close_matches(name.lower(), _KNOWN[kind](), n=1, cutoff=0.6)
    quoted = re.compile(rf"(['\"]){re.escape(name)}\1")
    source = linecache.getlines(case.site.file)
    written = _code_strings(source, name)
    lines = [(case.site.line, case.site.text)] + [
        (i, text) for i, text in enumerate(source, start=1) if i != case.site.line and (not written or i in written)]
    at, line = next(((i, t.strip()) for i, t in lines if quoted.search(t)), (case.site.line, case.site.text.strip()))
    fixed = quoted.sub(lambda q: f"{q.group(1)}{near[0]}{q.group(1)}", line) if near else line
    what = "activation" if kind == "activation function" else kind
    model = case.fitted_model() if hasattr(case, "fitted_model") else None
    where = str(model.name) if model is not None and what in ("loss", "metric") else name_kw_in(line) or what
    listed = {"loss": "keras.losses", "metric": "keras.metrics", "activation": "keras.activations",
              "optimizer": "keras.optimizers"}[what]
    return Mismatch(
        where, f"{what} -> {where}" if what in ("loss", "metric") and where != what else f"{where} -> {what}",
        f"{'an' if what[0] in 'aeiou' else 'a'} {what} name Keras knows", repr(name),
        f"{name!r} is not {'an' if what[0] in 'aeiou' else 'a'} {what} name Keras knows ({listed} lists them)"
        + (f"; the nearest is {near[0]!r}: `{fixed}` (line {at})" if near and fixed != line else "") + ".",
    )


def _code_strings(source: list[str], text: str) -> set[int]:
    """The lines of ``source`` where the string ``text`` is written as a value in the code (not in a docstring
    or a comment)."""
    try:
        tree = ast.parse("".join(source))
    except (SyntaxError, ValueError):
        return set()
    docs = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
    return {n.lineno for n in ast.walk(tree) if isinstance(n, ast.Constant) and n.value == text and id(n) not in docs}


def name_kw_in(line: str) -> str | None:
    """The ``name="..."`` given on a line, if one is."""
    found = re.search(r"\bname\s*=\s*[\"']([^\"']+)[\"']", line)
    return found.group(1) if found else None


# --- a model's predict() inside the graph of another -------------------------------------------------------------

def _predict_on_a_symbolic_tensor(case: Any) -> Mismatch | None:
    """``f = features.predict(inp)`` while building a model: predict runs on data arrays now, and ``inp`` is a
    symbolic tensor of the model being built; calling the part on it nests it."""
    text = case.site.text if case.site is not None else ""
    call = model_call(text, case.scope, ("predict", "predict_on_batch", "fit", "evaluate", "train_on_batch"))
    x = call.value("x") if call is not None and call.model is not None else None
    if call is None or not is_symbolic(x):
        return None
    given = call.text("x") or "x"
    src = producer(x)
    fed = f"input:{src.name}" if src is not None and is_input_layer(src) else getattr(src, "name", "?")
    try:
        tree, _ = parse_line(text.strip())
        stmt = tree.body[0] if isinstance(tree, ast.Module) and tree.body else None
    except Exception:  # noqa: BLE001 - an unparsable line keeps the call alone
        stmt = None
    target = stmt.targets[0] if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 else None
    nested = f"{ast.unparse(target)} = {call.owner}({given})" if target is not None else f"{call.owner}({given})"
    if call.method in ("predict", "predict_on_batch"):
        fix = (f"{call.owner}.{call.method} runs {call.model.name} on data arrays now, and {given} is a symbolic "
               f"tensor of the model being built, with no values yet. Call the model on it instead, which nests it "
               f"in the new model: {nested} (add training=False, or set {call.owner}.trainable = "
               "False first, to keep it as a fixed feature extractor).")
    else:
        fix = (f"{call.owner}.{call.method} trains or scores {call.model.name} on data arrays, and {given} is a "
               f"symbolic tensor of a model being built, with no values: pass the arrays it stands for.")
    return Mismatch(str(call.model.name), f"{fed} -> {call.model.name}", "data arrays (NumPy, tensors, a Dataset)",
                    f"the symbolic tensor {given} {format_shape(shape_of(x))}", fix)


def _predict_inside_the_graph(case: Any) -> Mismatch | None:
    """``Lambda(lambda t: encoder.predict(t))(x)``: predict runs a model on arrays, outside any graph, so the
    symbolic tensor cannot go through it (Keras then asks for the Lambda's output_shape, which is not the fault).
    A model is a layer: call it on the tensor."""
    if case.site is None or "Lambda" not in case.message:
        return None
    try:
        tree, _ = parse_line(case.site.text.strip())
    except Exception:  # noqa: BLE001 - an unparsable line is not this case
        return None
    target = tree.body[0].targets[0] if isinstance(tree, ast.Module) and tree.body and isinstance(
        tree.body[0], ast.Assign) and len(tree.body[0].targets) == 1 else None
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Call) and node.func.args
                and isinstance(node.func.args[0], ast.Lambda) and node.args):
            continue
        fn = node.func.args[0]
        for inner in ast.walk(fn.body):
            if not (isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) and inner.func.attr == "predict"):
                continue
            part = value_of(inner.func.value, case.scope)
            if not isinstance(part, keras.Model):
                continue
            name = name_kw(node.func) or "lambda"
            arg = ast.unparse(node.args[0])
            tensor = value_of(node.args[0], case.scope)
            src = producer(tensor) if tensor is not None else None
            fed = (f"input:{src.name}" if src is not None and is_input_layer(src) else getattr(src, "name", "data"))
            call = f"{ast.unparse(inner.func.value)}({arg})"
            fixed = f"{ast.unparse(target)} = {call}" if target is not None else call
            return Mismatch(
                name, f"{fed} -> {name}", f"a layer call on the symbolic tensor {arg}",
                f"{ast.unparse(inner.func.value)}.predict inside Lambda {name}",
                f"predict runs {part.name} on arrays, outside any model's graph, so the symbolic tensor {arg} cannot "
                f"go through it (Keras then asks for {name}'s output_shape, which is not the fault). A model is a layer: "
                f"call it on the tensor, {fixed}, and drop the Lambda ({part.name}'s weights then train with the model "
                f"unless you set {ast.unparse(inner.func.value)}.trainable = False).",
            )
    return None


# --- NumPy inside a Lambda ------------------------------------------------------------------------------------

def _lambda_in_trace(exc: BaseException) -> tuple[Any, Any] | None:
    """The Lambda layer the failure ran in (a frame whose ``self`` is one, over the chained exceptions) and the
    symbolic tensor it was called on (None if not seen)."""
    seen: set[int] = set()
    link: BaseException | None = exc
    layer, given = None, None
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        tb = link.__traceback__
        while tb is not None:
            here = tb.tb_frame.f_locals
            if isinstance(here.get("self"), keras.layers.Lambda):
                layer = here["self"] if layer is None else layer
                args = here.get("args") if here["self"] is layer else None
                tensors = [t for t in keras.tree.flatten(args or ()) if isinstance(t, keras.KerasTensor)]
                if given is None and tensors:
                    given = tensors[0]
            tb = tb.tb_next
        link = link.__cause__ or link.__context__
    return (layer, given) if layer is not None else None


def _numpy_inside_a_lambda(case: Any) -> Mismatch | None:
    """``Lambda(lambda t: np.log1p(t))``: NumPy cannot take the symbolic tensor Keras passes while it builds the
    model (nor a traced one while it trains), so Keras says it cannot infer the Lambda's output shape, which is
    not the fault. The same lambda with the keras.ops functions runs on every backend."""
    from kernest._lint_gradient import lambda_in_keras_ops, library_of

    found = _lambda_in_trace(case.exc) if case.exc is not None else None
    fn = getattr(found[0], "function", None) if found else None
    if found is None or fn is None:
        return None
    layer, given = found
    rewritten = lambda_in_keras_ops(fn, layer.name)
    if rewritten is None:
        return None
    written, fix = rewritten
    library = library_of(written, dict(getattr(fn, "__globals__", {})))
    tensors = ("the symbolic tensor Keras passes while it builds the model (nor the traced one while it trains)"
               if library == "NumPy" else f"the {keras.backend.backend()} tensors Keras passes on this backend")
    path, fed = _lambda_place(case, layer, given)
    return Mismatch(
        path, f"{fed} -> {layer.name}", "keras.ops on a Keras tensor", f"{', '.join(written)} ({library}) in a Lambda",
        f"{layer.name}'s function calls {library} ({', '.join(written)}), which cannot take {tensors}; Keras then "
        f"says it cannot infer {layer.name}'s output shape, which is not the fault. {fix}",
    )


# Keras 2's backend functions that Keras 3's keras.backend dropped, where keras.ops (or another module) has the
# function under another name; a name keras.ops has as it is maps to keras.ops.<name>
_BACKEND_MOVED = {"int_shape": "keras.ops.shape", "pow": "keras.ops.power", "switch": "keras.ops.where",
                  "permute_dimensions": "keras.ops.transpose", "repeat_elements": "keras.ops.repeat",
                  "l2_normalize": "keras.ops.normalize", "gather": "keras.ops.take",
                  "random_normal": "keras.random.normal", "random_uniform": "keras.random.uniform",
                  "binary_crossentropy": "keras.losses.binary_crossentropy",
                  "categorical_crossentropy": "keras.losses.categorical_crossentropy"}


def _keras2_backend_in_a_lambda(case: Any) -> Mismatch | None:
    """``Lambda(euclidean)`` where ``euclidean`` calls ``K.sqrt`` / ``K.sum`` from ``keras.backend`` as in Keras 2:
    Keras 3's keras.backend has none of them, so the function fails on its first tensor and Keras says only that
    it cannot infer the Lambda's output shape. Each call is renamed to its keras.ops function."""
    import inspect

    found = _lambda_in_trace(case.exc) if case.exc is not None else None
    fn = getattr(found[0], "function", None) if found else None
    func = getattr(fn, "__func__", fn)
    try:
        text = inspect.getsource(func) if func is not None else ""
    except (OSError, TypeError):
        return None
    aliases = [n for n, v in getattr(func, "__globals__", {}).items()
               if inspect.ismodule(v) and v.__name__.startswith("keras") and v.__name__.endswith(".backend")]
    if found is None or not aliases:
        return None
    moved: dict[str, str] = {}
    for alias in aliases:
        for attr in re.findall(rf"\b{re.escape(alias)}\.(\w+)", text):
            if not hasattr(keras.backend, attr):
                home = _BACKEND_MOVED.get(attr) or (f"keras.ops.{attr}" if hasattr(keras.ops, attr) else None)
                moved[f"{alias}.{attr}"] = home or "?"
    if not moved:
        return None
    layer = found[0]
    lacking = [old for old, new in moved.items() if new == "?"]
    renames = "; ".join(f"{old} -> {new}" for old, new in moved.items() if new != "?")
    lines = [line.strip() for line in text.splitlines() if any(old + "(" in line for old in moved)]
    for old, new in moved.items():
        lines = [re.sub(rf"\b{re.escape(old)}\(", f"{new}(", line) if new != "?" else line for line in lines]
    fix = (f"{getattr(func, '__name__', 'its function')} calls Keras 2 backend functions ({', '.join(moved)}) that "
           f"Keras 3's keras.backend no longer has, so it fails on the first tensor and Keras reports only that it "
           f"cannot infer {layer.name}'s output shape. Use keras.ops, which runs on every backend ({renames}): "
           + "; ".join(f"`{line}`" for line in lines) + "."
           + (f" keras.ops has no {', '.join(lacking)}: compose it from keras.ops functions." if lacking else ""))
    path, fed = _lambda_place(case, layer, found[1])
    return Mismatch(path, f"{fed} -> {layer.name}", "keras.ops functions",
                    f"Keras 2 backend calls {', '.join(moved)}", fix)


def _lambda_place(case: Any, layer: Any, given: Any) -> tuple[str, str]:
    """The nested path of a failing Lambda and what feeds it (``input:NAME`` or the producing layer's name)."""
    from kernest._explain_custom import _model_being_built

    built = _model_being_built(case)
    path = f"{built[1]}/{layer.name}" if built is not None else (case.path(layer.name) if case.frames else layer.name)
    if given is None and call_inputs(layer, 0):
        given = call_inputs(layer, 0)[0]  # failing in training: the tensor the graph gave it when built
    src = producer(given) if given is not None else None
    return path, "input" if src is None else (f"input:{src.name}" if is_input_layer(src) else str(src.name))


# --- a layer created inside call() ----------------------------------------------------------------------------

_VARIABLES_IN_CALL = re.compile(r"only supports singleton tf\.Variables created on the first call|"
                                r"tried to create variables on non-first call")


def _layer_made_in_call(case: Any) -> Mismatch | None:
    """A user's layer whose ``call`` builds a Keras layer (``layers.Dense(8)(inputs)``, or a local name it then
    calls): every call makes a new layer with new weights, which the model never tracks or trains (TensorFlow's
    compiled step refuses the new variables). The layer is made once in ``__init__`` and only called in ``call``."""
    from kernest._lint import layer_made_in_call, made_in_call_fix

    if not _VARIABLES_IN_CALL.search(case.message):
        return None
    for i in range(len(case.frames) - 1, -1, -1):
        layer = case.frames[i].layer
        made = layer_made_in_call(type(layer))
        if made is None:
            continue
        before = case.frames[i - 1].layer if i > 0 else None
        fed = _fed_within(before, layer)
        return Mismatch(
            case.path(layer.name) if case.failure is None else _frames_path(case.frames[: i + 1]),
            f"{fed} -> {layer.name}", f"{made.kind} made once and called in {made.owner}.call",
            f"{made.ctor} made anew at every call of {made.owner}.call", made_in_call_fix(made),
        )
    return None


def _frames_path(frames: list[Any]) -> str:
    return "/".join(str(f.layer.name) for f in frames if f.kind == "call")


def _fed_within(outer: Any, layer: Any) -> str:
    """The layer that feeds ``layer`` inside the graph model ``outer`` (its sibling), or ``input``."""
    if not isinstance(outer, keras.Model) or not hasattr(outer, "_nodes_by_depth") and not isinstance(
            outer, keras.Sequential):
        return "input"
    layers_ = [lay for lay in getattr(outer, "layers", [])]
    for j, lay in enumerate(layers_):
        if lay is layer:
            for node in getattr(layer, "_inbound_nodes", [])[:1]:
                for t in getattr(node, "input_tensors", [])[:1]:
                    src = producer(t)
                    if src is not None:
                        return f"input:{src.name}" if is_input_layer(src) else str(src.name)
            return str(layers_[j - 1].name) if j else "input"
    return "input"


# --- an output no gradient reaches ---------------------------------------------------------------------------------

_NO_GRADIENT = re.compile(r"No gradients provided for any variable|does not require grad and does not have a grad_fn")


def _failing_callback(case: Any, kind: type) -> Any:
    """The callback of class ``kind`` whose method is on the failing traceback (it was acting when fit stopped)."""
    tb = case.exc.__traceback__
    found = None
    while tb is not None:
        owner = tb.tb_frame.f_locals.get("self")
        if isinstance(owner, kind):
            found = owner
        tb = tb.tb_next
    return found


def _rate_of_a_schedule_set(case: Any) -> Mismatch | None:
    """Keras' "learning rate is not settable": a callback set the rate of an optimizer built on a
    LearningRateSchedule. Which callback, and the optimizer rebuilt on the schedule's first rate."""
    if "object as its `learning_rate` constructor argument, hence its learning rate is not settable" not in case.message:
        return None
    callback = _failing_callback(case, keras.callbacks.Callback)
    if callback is None and case.site is not None:  # Keras filtered the callback's frame out: read the fit line
        given = [c for call in model_calls(case.site.text, case.scope, ("fit",))
                 for c in (call.value("callbacks") or []) if sets_learning_rate(c)]
        callback = given[0] if given else None
    model = getattr(callback, "model", None) or case.fitted_model()
    optimizer = getattr(model, "optimizer", None)
    schedule = getattr(optimizer, "_learning_rate", None)
    if model is None or not isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
        return None
    kind = type(callback).__name__ if callback is not None else "a callback"
    fix = schedule_fix(optimizer, kind)
    return Mismatch(model.name, f"optimizer -> {kind}", "a float learning rate it can set",
                    f"a {type(schedule).__name__} schedule",
                    f"{model.name}'s {type(optimizer).__name__} takes its rate from a {type(schedule).__name__} "
                    f"schedule, which Keras does not let {kind} set. {fix[:1].upper()}{fix[1:]}")


def _schedule_gave_no_float(case: Any) -> Mismatch | None:
    """Keras' "The output of the `schedule` function should be a float": the LearningRateScheduler's function
    returned a tensor or None; the return statements to change are read from its source."""
    m = re.search(r"The output of the `schedule` function should be a float\. Got: (?P<got>.*)", case.message, re.S)
    if m is None:
        return None
    callback = _failing_callback(case, keras.callbacks.LearningRateScheduler)
    model = getattr(callback, "model", None) or case.fitted_model()
    if callback is None or model is None:
        return None
    epoch = next((tb.tb_frame.f_locals.get("epoch") for tb in _tracebacks(case.exc)
                  if isinstance(tb.tb_frame.f_locals.get("epoch"), int)), 0)
    got = None if m.group("got").strip() == "None" else m.group("got").strip()
    return schedule_finding(model, callback.schedule, epoch, got, f"a value that is not a float ({got})").as_mismatch()


def _tracebacks(exc: BaseException) -> Iterator[Any]:
    tb = exc.__traceback__
    while tb is not None:
        yield tb
        tb = tb.tb_next


def _tape_of(stmt: ast.AST) -> str | None:
    """The name a ``with tf.GradientTape() as tape:`` statement binds, or None for any other statement."""
    if not isinstance(stmt, ast.With):
        return None
    for item in stmt.items:
        func = item.context_expr.func if isinstance(item.context_expr, ast.Call) else None
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name == "GradientTape" and isinstance(item.optional_vars, ast.Name):
            return item.optional_vars.id
    return None


def _differentiated(tree: ast.AST, tape: str) -> set[str]:
    """The names whose variables ``tape.gradient(loss, <name>.trainable_variables)`` asks for."""
    found = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "gradient"
                and isinstance(node.func.value, ast.Name) and node.func.value.id == tape and len(node.args) > 1):
            for sub in ast.walk(node.args[1]):
                if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name):
                    found.add(sub.value.id)
    return found


def _forward_outside_the_tape(case: Any) -> Mismatch | None:
    """A custom training loop that runs the model before ``with tf.GradientTape() as tape:`` and computes only the
    loss inside it: the tape records nothing that leads to the weights, every gradient is None and the optimizer
    refuses them. The statement that runs the model is moved into the tape's block."""
    if not _NO_GRADIENT.search(case.message):
        return None
    try:
        tree = ast.parse(user_source(case))
    except SyntaxError:
        return None
    for block in ast.walk(tree):
        body = getattr(block, "body", None)
        if not isinstance(body, list):
            continue
        for i, stmt in enumerate(body):
            tape = _tape_of(stmt)
            if tape is None:
                continue
            used_inside = {n.id for s in stmt.body for n in ast.walk(s) if isinstance(n, ast.Name)}
            models = _differentiated(tree, tape)
            for before in reversed(body[:i]):
                if not (isinstance(before, ast.Assign) and isinstance(before.value, ast.Call)
                        and isinstance(before.value.func, ast.Name)):
                    continue
                callee = before.value.func.id
                model = case.scope.get(callee)
                targets = {n.id for t in before.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
                if callee not in models and not isinstance(model, keras.layers.Layer) or not targets & used_inside:
                    continue
                name = getattr(model, "name", callee)
                header = "with " + ", ".join(ast.unparse(it.context_expr) + (f" as {ast.unparse(it.optional_vars)}"
                                             if it.optional_vars is not None else "") for it in stmt.items) + ":"
                inside = "\n".join("    " + line for s in [before, *stmt.body] for line in ast.unparse(s).splitlines())
                return Mismatch(
                    name, f"{name} -> GradientTape",
                    f"{name} run inside the tape, so the tape records how its weights make the loss",
                    f"{name} run before the tape opened (line {before.lineno}), the tape records the loss only",
                    f"{tape}.gradient() follows only what ran inside `{header}`; {ast.unparse(before)} ran before it, "
                    f"so no gradient reaches {name}'s weights and the optimizer gets none. Move that line into the "
                    f"block:\n{header}\n{inside}",
                )
    return None


def _output_without_gradient(case: Any) -> Mismatch | None:
    """A model trained on an output made by a step function (argmax, round, a cast to integers, a comparison):
    its derivative is zero or undefined, so no gradient reaches any weight. The layer is found by running each
    weightless layer between the weights and the outputs on a sample and on a slightly moved sample: a step
    function gives the same output. The fix trains the model on that layer's input."""
    import numpy as np

    if not _NO_GRADIENT.search(case.message):
        return None
    model = case.fitted_model()
    if model is None or not hasattr(model, "_nodes_by_depth"):
        return None
    for out in model.outputs:
        src = producer(out)
        if src is None or src.weights or isinstance(src, keras.Model) or len(call_nodes(src)) != 1:
            continue
        given = call_inputs(src, 0)
        if len(given) != 1 or any(d is None for d in tuple(given[0].shape)[1:]):
            continue
        sample = np.random.default_rng(0).random((4, *tuple(given[0].shape)[1:])).astype("float32")
        try:
            a = keras.ops.convert_to_numpy(src(sample))
            b = keras.ops.convert_to_numpy(src(sample + 1e-3))
        except Exception:  # noqa: BLE001 - a layer that cannot run alone is not this case
            continue
        if a.shape != b.shape or not np.array_equal(a, b):
            continue
        inner = producer(given[0])
        var_in = case.var(given[0]) if case.var(given[0]) != getattr(given[0], "name", None) else None
        var_out = case.var(out) if case.var(out) != getattr(out, "name", None) else None
        fix = _rebuilt_model_call(case, model, var_out, var_in)
        squash = _squashing_of(given[0])
        labels = getattr(model, "_kernest_labels", None)
        ids = labels is not None and np.asarray(labels).ndim <= 1 or (
            labels is not None and np.asarray(labels).shape[-1] == 1)
        loss = {"softmax": "sparse_categorical_crossentropy" if ids else "categorical_crossentropy",
                "sigmoid": "binary_crossentropy"}.get(squash or "")
        producer_name = inner.name if inner is not None else "input"
        return Mismatch(
            src.name, f"{producer_name} -> {src.name}", "an output a gradient can flow through",
            f"{src.name} ({type(src).__name__}), a step function: its output does not move when its input moves",
            f"{model.name}'s output is {src.name}, a step function of {producer_name}'s output (argmax, round, a cast "
            f"or a comparison), so no gradient reaches any weight. Train on {producer_name}'s output and take "
            f"{src.name} after predict: {fix}"
            + (f" compiled with loss=\"{loss}\" for these labels" if loss else "") + ".",
        )
    return None


def _squashing_of(tensor: Any) -> str | None:
    """'softmax' or 'sigmoid' when the layer that made ``tensor`` (looking into nested graph models) ends in it."""
    layer = producer(tensor)
    while isinstance(layer, keras.Model) and getattr(layer, "outputs", None):
        layer = producer(layer.outputs[0])
    act = getattr(layer, "activation", None)
    if isinstance(layer, keras.layers.Softmax) or act is keras.activations.softmax:
        return "softmax"
    return "sigmoid" if act is keras.activations.sigmoid else None


def _rebuilt_model_call(case: Any, model: Any, var_out: str | None, var_in: str | None) -> str:
    """The user's ``keras.Model(inputs, outputs, ...)`` statement with ``var_out`` replaced by ``var_in``."""
    source = user_source(case)
    if var_in and var_out and source:
        for node in ast.walk(ast.parse(source)):
            if (isinstance(node, ast.Call) and ast.unparse(node.func).endswith("Model") and len(node.args) >= 2
                    and ast.unparse(node.args[1]) == var_out):
                text = ast.get_source_segment(source, node) or ast.unparse(node)
                out = ast.get_source_segment(source, node.args[1]) or var_out
                return text.replace(out, var_in, 1) if text.count(out) == 1 else text.replace(f", {out}", f", {var_in}", 1)
    return f"keras.Model({model.name}.inputs, {var_in or 'the layer input'})"


# --- an in-place operation on PyTorch ---------------------------------------------------------------------------

_INPLACE = re.compile(r"modified by an inplace operation")
_SAVED_BY = re.compile(r"which is output \d+ of (?P<op>[A-Za-z]+?)(?:Backward\d*)?,")


def _inplace_on_torch(case: Any) -> Mismatch | None:
    """``ait *= mask`` in a user's call(): on PyTorch ``*=`` changes the tensor in place, and the op that made it
    (``exp``, ``sigmoid``) needs its output unchanged for the backward pass, so autograd fails in training (TensorFlow
    and JAX make a new tensor). The layer is found by reading the user's classes in the model; the op PyTorch
    names picks the statement. Written out of place (``ait = ait * mask``), it trains on every backend."""
    from kernest._lint_gradient import inplace_statements

    if not _INPLACE.search(case.message):
        return None
    model = case.fitted_model()
    if model is None:
        return None
    saved = _SAVED_BY.search(case.message)
    op = saved.group("op").lower() if saved else None
    found: list[tuple[list[str], Any, Any]] = []
    for path, layer in [("", model)] + list(_walk(model)):
        cls = type(layer)
        known = next((f for f in found if type(f[1]) is cls), None)
        if known is not None:
            known[0].append(path or layer.name)
            continue
        stmts = inplace_statements(cls, layer)
        if stmts:
            found.append(([path or layer.name], layer, stmts))
    ranked = [(paths, layer, s) for paths, layer, stmts in found for s in stmts]
    if not ranked:
        return None
    paths, layer, stmt = next((r for r in ranked if op and (r[2].made_by or "").lower() == op), ranked[0])
    given = call_inputs(layer, 0)
    src = producer(given[0]) if given else None
    fed = "input" if src is None else (f"input:{src.name}" if is_input_layer(src) else str(src.name))
    also = f" (the same class also runs at {', '.join(paths[1:])})" if len(paths) > 1 else ""
    others = [s for p, _, s in ranked if s is not stmt and p is paths]
    rest = (f" Write {'its other in-place statements' if len(others) > 1 else 'its other in-place statement'} the "
            f"same way: {'; '.join(f'{s.fixed} (line {s.line})' for s in others)}.") if others else ""
    made = f", the output of {stmt.made_by}," if stmt.made_by else ""
    return Mismatch(
        paths[0], f"{fed} -> {layer.name}", "a new tensor (an out-of-place op)",
        f"`{stmt.text}` in {stmt.where} (line {stmt.line}), in place on PyTorch",
        f"{stmt.where}{also} changes a tensor in place: on PyTorch `{stmt.text}` (line {stmt.line}) writes into "
        f"the tensor{made} that autograd kept for the backward pass, so the gradient cannot be computed (TensorFlow "
        f"and JAX make a new tensor and train). Write it out of place: {stmt.fixed}.{rest}",
    )


_LEAKED = re.compile(r"is out of scope and cannot be used here|cannot be accessed here: it is defined in another "
                     r"function|UnexpectedTracerError|[Ee]ncountered an unexpected tracer|Tensor on device meta is not")


def _state_rebound_in_call(case: Any) -> Mismatch | None:
    """``self.steps += 1`` on a layer's weight in a user's call(): Python rebinds the attribute to the tensor the
    traced step computed, which then leaks out of it (TensorFlow: "out of scope and cannot be used here", JAX: an
    UnexpectedTracerError, PyTorch: a tensor of Keras' shape pass on the "meta" device). Found by reading the
    user's classes in the model; written with the weight's own assign methods."""
    from kernest._lint_gradient import inplace_statements, rebinds_weight, state_attr, state_change_text

    if not _LEAKED.search(case.message):
        return None
    model = case.fitted_model()
    for path, layer in [("", model)] + list(_walk(model)) if model is not None else []:
        stmts = [s for s in inplace_statements(type(layer), layer) if s.state]
        rebinding = [s for s in stmts if rebinds_weight(s)]
        if not rebinding:
            continue
        problem, fix = state_change_text(layer, rebinding + [s for s in stmts if s not in rebinding])
        stmt = rebinding[0]
        return Mismatch(path or layer.name, f"{layer.name}.call -> self.{state_attr(stmt)}",
                        f"self.{state_attr(stmt)}.assign(...) (a Keras weight)",
                        f"`{stmt.text}` in {stmt.where} (line {stmt.line})", f"{problem} {fix[0].upper()}{fix[1:]}")
    return None


_NOT_A_TORCH_TENSOR = re.compile(r"has no attribute '?(?P<method>[a-z][a-z0-9_]*_)'?|does not support item "
                                 r"assignment|do not support in-place item assignment|"
                                 r"[Oo]nly integer (?:scalar arrays|tensors of a single element) can be converted to "
                                 r"(?:a scalar |an )?index|__index__\(\) method was called on traced array")


def _inplace_not_on_this_backend(case: Any) -> Mismatch | None:
    """``g.mul_(0.5)`` or ``g[..., 0] = 0.0`` in a user's call (or a helper it calls): PyTorch's in-place forms,
    which TensorFlow's and JAX's immutable tensors do not have, so the model fails where it is built. The statement
    is found on the failing line of the user's code and written out of place with keras.ops (which also keeps
    PyTorch's backward pass whole)."""
    from kernest._explain_custom import _call_args, _model_being_built, user_method
    from kernest._lint_gradient import inplace_statements, state_attr, state_change_text

    wrong = _NOT_A_TORCH_TENSOR.search(case.message)
    where = user_method(case.exc) if wrong is not None and case.exc is not None else None
    if wrong is None or where is None:
        return None
    lines, tb = set(), case.exc.__traceback__
    while tb is not None:
        lines.add((tb.tb_frame.f_code.co_filename, tb.tb_lineno))
        tb = tb.tb_next
    layer = where.layer
    stmts = inplace_statements(type(layer), layer)
    stmt = next((s for s in stmts if any(line == s.line for _, line in lines)
                 and (wrong.group("method") is None or f".{wrong.group('method')}(" in s.text)), None)
    if stmt is None:
        return None
    built = _model_being_built(case)
    path = f"{built[1]}/{layer.name}" if built is not None else case.path(layer.name)
    given = _call_args(case.exc, layer)
    if not (given and hasattr(given[0], "_keras_history")):  # failing in training: what the graph gave it
        given = call_inputs(layer, 0)
    src = producer(given[0]) if given and hasattr(given[0], "_keras_history") else None
    fed = "input" if src is None else (f"input:{src.name}" if is_input_layer(src) else str(src.name))
    if stmt.state:  # the layer's own weight (or a tensor held on it): changed through assign on every backend
        problem, fix = state_change_text(layer, [stmt] + [s for s in stmts if s.state and s is not stmt])
        return Mismatch(path, f"{fed} -> {layer.name}", f"self.{state_attr(stmt)}.assign(...) (a Keras weight)",
                        f"`{stmt.text}` in {stmt.where} (line {stmt.line})", f"{problem} {fix[0].upper()}{fix[1:]}")
    others = [s for s in stmts if s is not stmt]
    rest = (" Write the others the same way: " + "; ".join(f"{s.fixed} (line {s.line})" for s in others) + "."
            ) if others else ""
    kind = f"the PyTorch in-place method {wrong.group('method')}" if wrong.group("method") else "an item assignment"
    return Mismatch(
        path, f"{fed} -> {layer.name}", "a new tensor (keras.ops)", f"`{stmt.text}` in {stmt.where} (line {stmt.line})",
        f"{stmt.where} changes a tensor in place with {kind}, `{stmt.text}` (line {stmt.line}): TensorFlow's and "
        f"JAX's tensors cannot be changed in place, so {layer.name} fails while the model is built (on PyTorch it "
        "runs, and breaks the backward pass where the tensor is one autograd keeps, as "
        f"{stmt.made_by or 'an op'}'s output is). Write it out of place: {stmt.fixed}.{rest}",
    )
