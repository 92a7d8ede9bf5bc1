"""Failures that come from the arguments the user gave, read from the user's own statement and scope: fit's
``class_weight``/``sample_weight`` given in a form Keras cannot use, one optimizer compiled into two models, and a
user's layer or model class calling Keras' own methods with arguments in the wrong place (``add_weight``'s name,
``super().__init__(self, ...)``, a flag given to a layer's call by position). Each fix is the user's statement
rewritten with the model's own numbers."""

from __future__ import annotations

import ast
import dataclasses
import linecache
import re
from typing import Any

import keras
import numpy as np

from kernest._callsite import (
    ModelCall,
    assignment_of,
    calls_on,
    flag_passed_by_position,
    model_call,
    name_kw,
    snake_case,
    user_source,
    user_tree,
)
from kernest._errors import Mismatch
from kernest._explain_custom import first_answer
from kernest._trace import is_user_file


def fit_argument_failure(case: Any) -> Mismatch | None:
    """The first of the readers below that recognises the failure, or None."""
    return first_answer(case, (_optimizer_of_another_model, _class_weight_not_a_dict, _class_weight_per_step,
                               _sample_weight_with_dataset, _sample_weight_structure, _add_weight_name_positional,
                               _super_init_positional, _flag_given_positionally))


# --- fit's arguments ---------------------------------------------------------------------------------------------

def _fit_call(case: Any) -> ModelCall | None:
    """The user's fit (evaluate, train_on_batch) call on the failing line, its arguments by parameter name."""
    return model_call(case.site.text if case.site is not None else "", case.scope, ("fit", "evaluate", "train_on_batch"))


def _argument(call: ast.Call, key: str, index: int) -> ast.expr | None:
    """The node of a call's argument ``key`` (or its ``index``-th positional argument)."""
    node = next((k.value for k in call.keywords if k.arg == key), None)
    if node is None and len(call.args) > index:
        node = call.args[index]
    return node


def _class_weight_not_a_dict(case: Any) -> Mismatch | None:
    """class_weight given as an array or list of weights (what sklearn's compute_class_weight returns): Keras
    reads it as a dict from class index to weight."""
    if not re.search(r"object has no attribute '(?:get|keys|items)'", case.message):
        return None
    call, model = _fit_call(case), case.fitted_model()
    node = call.node("class_weight") if call is not None else None
    weights = call.value("class_weight") if call is not None else None
    if model is None or node is None or isinstance(weights, dict) or weights is None:
        return None
    values = np.asarray(weights).reshape(-1)
    text = ast.unparse(node)
    kind = "NumPy array" if isinstance(weights, np.ndarray) else type(weights).__name__
    shown = ", ".join(f"{i}: {float(v):.3g}" for i, v in enumerate(values[:6])) + (", ..." if len(values) > 6 else "")
    return Mismatch(
        model.name, f"data -> {model.name}", "class_weight as a dict {class index: weight}",
        f"a {kind} of {len(values)} weights",
        f"{text} is a {kind} of {len(values)} weights, and fit reads class_weight as a dict from "
        f"class index to weight. Index it: class_weight=dict(enumerate({text})) gives {{{shown}}}.",
    )


def _class_weight_per_step(case: Any) -> Mismatch | None:
    """class_weight for labels with a class per time step (or pixel): Keras makes one weight per sample from one
    label per sample, and the loss then meets (batch,) weights against (batch, steps) losses. A weight per step,
    read from the same dict, is sample_weight of the labels' shape."""
    call, model = _fit_call(case), case.fitted_model()
    if call is None or model is None or len(getattr(model, "outputs", None) or []) != 1:
        return None
    cw_node, y_node = call.node("class_weight"), call.node("y")
    if cw_node is None or y_node is None:
        return None
    weights, labels = call.value("class_weight"), call.value("y")
    if not isinstance(weights, dict) or labels is None:
        return None
    labels = np.asarray(labels)
    rank = len(model.outputs[0].shape)
    sparse = labels.dtype.kind in "iu" and labels.ndim == rank - 1 and labels.ndim >= 2
    onehot = labels.ndim == rank and labels.ndim >= 3
    if not (sparse or onehot):
        return None
    cw_text, y_text = ast.unparse(cw_node), ast.unparse(y_node)
    ids = labels if sparse else labels.argmax(-1)
    source = y_text if sparse else f"{y_text}.argmax(-1)"
    missing = sorted(set(np.unique(ids).tolist()) - set(weights))
    get = f"{cw_text}.get" if not missing else f"lambda c: {cw_text}.get(c, 1.0)"
    per_step = f"sample_weight=np.vectorize({get})({source})"
    head = model.outputs[0]
    return Mismatch(
        model.name, f"data -> {model.name}", "one label per sample for class_weight",
        f"labels {tuple(labels.shape)} (a class per step)",
        f"{y_text} holds a class per step ({tuple(labels.shape)}, output {tuple(head.shape)}), and Keras turns "
        f"class_weight into one weight per sample, read from one label per sample. Give a weight per step "
        f"instead, from the same dict, in place of class_weight: {per_step} (shape {tuple(ids.shape)}).",
    )


def _sample_weight_with_dataset(case: Any) -> Mismatch | None:
    """sample_weight= passed to fit next to a tf.data dataset (or a generator): the weights must be the third
    element of what the dataset yields. The statement that made the dataset is rewritten with them."""
    if "sample_weights` should not be passed" not in case.message and "sample_weight` argument is not supported" not in case.message:
        return None
    call, model = _fit_call(case), case.fitted_model()
    if call is None or model is None:
        return None
    x_node, w_node = call.node("x"), call.node("sample_weight")
    if x_node is None or w_node is None:
        return None
    data, w_text = ast.unparse(x_node), ast.unparse(w_node)
    rewritten = _with_weights(case, data, w_text)
    how = (f"make them its third element where it is made: {rewritten}, and drop sample_weight= from fit"
           if rewritten else f"make them the third element of what {data} yields ((x, y, {w_text})), and drop "
           "sample_weight= from fit")
    return Mismatch(
        model.name, f"data -> {model.name}", "(x, y, sample_weight) elements in the dataset",
        f"sample_weight={w_text} beside the dataset {data}",
        f"fit takes sample weights from the dataset itself when x is a dataset ({data}), not from sample_weight=: "
        f"{how}.",
    )


def _sample_weight_structure(case: Any) -> Mismatch | None:
    """sample_weight of several arrays in another structure than the labels (a dict keyed by names that are not
    the outputs', a dict beside a list of labels, a list beside a dict): Keras pairs each weight with the
    labels of one output by that structure. The user's weights, rewritten in the labels' structure."""
    if "one `sample_weight` array per output" not in case.message:
        return None
    call, model = _fit_call(case), case.fitted_model()
    w_node, y_node = (call.node("sample_weight"), call.node("y")) if call is not None else (None, None)
    if call is None or model is None or w_node is None or y_node is None:
        return None
    weights, labels = call.value("sample_weight"), call.value("y")
    w_text = ast.unparse(w_node)
    if isinstance(w_node, ast.Dict) and all(isinstance(k, ast.Constant) for k in w_node.keys):
        keys = [k.value for k in w_node.keys if isinstance(k, ast.Constant)]
        parts = [(str(k), ast.unparse(v)) for k, v in zip(keys, w_node.values)]
    elif isinstance(weights, dict):
        parts = [(str(k), f"{w_text}[{k!r}]") for k in weights]
    elif isinstance(weights, (list, tuple)):
        parts = [(str(i), f"{w_text}[{i}]") for i in range(len(weights))]
    else:
        return None
    outputs = list(model.output) if isinstance(model.output, dict) else [str(n) for n in model.output_names]
    as_dict = isinstance(labels, dict)
    targets = list(labels) if as_dict else outputs
    if not isinstance(labels, (dict, list, tuple)) or len(parts) != len(targets):
        return None
    given = dict(parts)
    rest = [src for key, src in parts if key not in targets]  # weights named otherwise go in the order written
    ordered = [given[t] if t in given else rest.pop(0) for t in targets]
    pairs = ", ".join(f"{src} -> {t}" for src, t in zip(ordered, targets))
    rewritten = ("{" + ", ".join(f'"{t}": {src}' for t, src in zip(targets, ordered)) + "}" if as_dict
                 else "[" + ", ".join(ordered) + "]")
    y_kind = f"a dict keyed {', '.join(targets)}" if as_dict else f"a list of {len(targets)} (outputs {', '.join(outputs)})"
    w_kind = (f"a dict keyed {', '.join(k for k, _ in parts)}" if isinstance(weights, dict)
              else f"a {type(weights).__name__} of {len(parts)}")
    return Mismatch(
        model.name, f"data -> {model.name}", f"sample_weight in the structure of the labels ({y_kind})", w_kind,
        f"fit pairs each sample_weight array with one output's labels by the labels' structure: {call.text('y')} is "
        f"{y_kind}, and sample_weight={w_text} is {w_kind}, which matches none of it. Give the weights in the same "
        f"structure: sample_weight={rewritten} ({pairs}; swap them if that is not what each weighs).",
    )


def _with_weights(case: Any, var: str, weights: str) -> str | None:
    """The user's statement that made dataset ``var`` from ``from_tensor_slices((x, y))``, with the weights
    added as a third element; None when the dataset was made otherwise."""
    source = user_source(case)
    stmt = assignment_of(source, var) if source and var.isidentifier() else None
    if stmt is None:
        return None
    for node in ast.walk(stmt.value):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "from_tensor_slices" and node.args and isinstance(node.args[0], ast.Tuple)
                and len(node.args[0].elts) == 2):
            node.args[0].elts.append(ast.parse(weights, mode="eval").body)
            return ast.unparse(stmt)
    return None


# --- one optimizer in two models -----------------------------------------------------------------------------------

def _optimizer_of_another_model(case: Any) -> Mismatch | None:
    """fit of a model whose optimizer was built on another model's variables: Keras' own words on TensorFlow and
    PyTorch, a variable-shape mismatch in JAX's stateless step."""
    if not re.search(r"can only be called for the variables it was originally built with|Invalid variable value in "
                     r"StatelessScope", case.message):
        return None
    model = case.fitted_model()
    return shared_optimizer(case, model) if model is not None else None


def shared_optimizer(case: Any, model: Any) -> Mismatch | None:
    """Two models compiled with one optimizer instance: the optimizer is built on the variables of the first
    model it trains and refuses the second's. Name both and rewrite the second's compile with its own."""
    opt = getattr(model, "optimizer", None)
    others = [m for m in case.models() if m is not model and getattr(m, "optimizer", None) is opt]
    if opt is None or not others:
        return None
    var, other = case.var(model), case.var(others[0])
    ctor = _users_constructor(case, var) or _optimizer_text(opt)
    built = {id(v) for v in getattr(opt, "_trainable_variables", None) or []}
    new = [v for v in model.trainable_variables if id(v) not in built]
    if not built or not new:
        return None
    example = f" (such as {new[0].path})" if new and getattr(new[0], "path", None) else ""
    opt_text = _compile_optimizer_text(case, var) or "the same optimizer"
    compile_fix = _compile_with(case, var, ctor) or f"{var}.compile(optimizer={ctor}, ...)"
    return Mismatch(
        model.name, f"{model.name} -> optimizer", f"an optimizer of {var}'s own", f"the optimizer {other} was trained with",
        f"{var} and {other} were compiled with one optimizer ({opt_text}), which was built on {other}'s variables "
        f"when {other} trained; {len(new)} of {var}'s trainable variables are not among them{example}. Give {var} "
        f"its own optimizer: {compile_fix}.",
    )


def _users_constructor(case: Any, var: str) -> str | None:
    """The user's own constructor of the shared optimizer (``opt = keras.optimizers.Adam(learning_rate=0.001)``),
    read where the variable the compile call passes was assigned."""
    found = _compile_statement(case, var)
    if found is None or not isinstance(found[2], ast.Name):
        return None
    stmt = assignment_of(found[0], found[2].id)
    return ast.get_source_segment(found[0], stmt.value) if stmt is not None and isinstance(stmt.value, ast.Call) else None


def _optimizer_text(opt: Any) -> str:
    """A constructor for a fresh optimizer of ``opt``'s class with its settings: the learning rate, and every other
    plain setting that differs from the class's default (``momentum=0.9``)."""
    try:
        config = opt.get_config()
    except Exception:  # JAX: a variable emptied by the failed step
        return f"keras.optimizers.{type(opt).__name__}()"
    try:
        default = type(opt)().get_config()
    except Exception:  # an optimizer class that needs arguments
        default = {}
    args = []
    for key, value in config.items():
        if key == "name" or isinstance(value, bool) or not isinstance(value, (int, float, str)):
            continue
        if key != "learning_rate" and default.get(key) == value:
            continue
        args.append(f"{key}={value:g}" if isinstance(value, float) else f"{key}={value!r}")
    return f"keras.optimizers.{type(opt).__name__}({', '.join(args)})"


def _compile_statement(case: Any, var: str) -> tuple[str, ast.Call, ast.expr] | None:
    source, tree = user_tree(case)
    for node in ast.walk(tree) if tree is not None else []:
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "compile"
                and isinstance(node.func.value, ast.Name) and node.func.value.id == var):
            arg = _argument(node, "optimizer", 0)
            if arg is not None:
                return source, node, arg
    return None


def _compile_optimizer_text(case: Any, var: str) -> str | None:
    found = _compile_statement(case, var)
    return f"optimizer={ast.unparse(found[2])}" if found else None


def _compile_with(case: Any, var: str, ctor: str) -> str | None:
    """The user's ``var.compile(...)`` with its optimizer argument replaced by ``ctor``, the rest as written."""
    found = _compile_statement(case, var)
    if found is None:
        return None
    source, node, arg = found
    text = ast.get_source_segment(source, node)
    old = ast.get_source_segment(source, arg)
    if not text or not old:
        return None
    start = (arg.col_offset - node.col_offset) if arg.lineno == node.lineno else text.find(old)
    return text[:start] + ctor + text[start + len(old):]


# --- Keras' methods called with arguments in the wrong place, in a user's class ------------------------------------

def _user_frames(exc: BaseException) -> list[tuple[Any, int]]:
    out, tb = [], exc.__traceback__
    while tb is not None:
        if is_user_file(tb.tb_frame.f_code.co_filename):
            out.append((tb.tb_frame, tb.tb_lineno))
        tb = tb.tb_next
    return out


def _call_on_line(frame: Any, line: int, attr: str) -> tuple[str, ast.Call] | None:
    text = linecache.getline(frame.f_code.co_filename, line).strip()
    call = next((c.node for c in calls_on(text) if isinstance(c.node.func, ast.Attribute) and c.node.func.attr == attr),
                None)
    return (text, call) if call is not None else None


def _add_weight_name_positional(case: Any) -> Mismatch | None:
    """``self.add_weight("kernel", shape=...)`` written for Keras 2, where the name came first: in Keras 3 the first
    positional argument is the shape. The user's statement with the name passed by keyword."""
    if not re.search(r"`name` must be passed as a keyword argument|add_weight\(\) got multiple values for argument "
                     r"'shape'", case.message):
        return None
    for frame, line in reversed(_user_frames(case.exc)):
        found = _call_on_line(frame, line, "add_weight")
        layer = frame.f_locals.get("self")
        if found is None or not isinstance(layer, keras.layers.Layer):
            continue
        text, call = found
        if not call.args or not (isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)):
            continue
        name = call.args[0].value
        call.keywords.insert(0, ast.keyword(arg="name", value=call.args.pop(0)))
        fixed = ast.unparse(call).replace("'", '"')
        where = case.path(layer.name) if case.failure is not None else layer.name
        method = frame.f_code.co_name
        return Mismatch(
            where, case.interface(layer.name) if case.failure is not None else f"? -> {layer.name}",
            "add_weight(shape=..., name=...) with the name by keyword", f"add_weight({name!r}, ...)",
            f"{type(layer).__name__}.{method} (line {line}) calls add_weight with the name {name!r} first, as in Keras 2; "
            f"in Keras 3 the first positional argument of add_weight is the shape. Pass the name by keyword: {fixed}.",
        )
    return None


def _super_init_positional(case: Any) -> Mismatch | None:
    """A user's Layer or Model subclass whose ``__init__`` calls ``super().__init__(self, ...)`` (or passes its own
    arguments on positionally): Keras' ``__init__`` takes keyword arguments only."""
    if not isinstance(case.exc, TypeError) or "positional argument" not in case.message:
        return None
    frames = _user_frames(case.exc)
    for i in range(len(frames) - 1, -1, -1):
        frame, line = frames[i]
        obj = frame.f_locals.get("self")
        if frame.f_code.co_name != "__init__" or not isinstance(obj, keras.layers.Layer):
            continue
        found = _call_on_line(frame, line, "__init__")
        if found is None or not found[1].args:
            return None  # only the __init__ nearest to Keras' own is read: a user's base class may take positionals
        text, call = found
        given = ", ".join(ast.unparse(a) for a in call.args)
        call.args = []
        fixed = ast.unparse(call)
        cls = type(obj).__name__
        base = "keras.Model" if isinstance(obj, keras.Model) else "keras.layers.Layer"
        name = _constructed_name(frames[:i], cls) or snake_case(cls)
        return Mismatch(
            name, f"{name} -> {base}", f"{base}.__init__ with keyword arguments only", f"positional {given}",
            f"{getattr(frame.f_code, 'co_qualname', cls + '.__init__')} (line {line}) passes {given} positionally to {base}.__init__, which takes keyword arguments "
            f"only (name=, trainable=, dtype=, through **kwargs)" + (": self is passed by super() already" if given.split(",")[0] == "self" else "")
            + f". Write {fixed}.",
        )
    return None


_FLAG_BY_POSITION = re.compile(r"Only input tensors may be passed as positional arguments\. The following argument "
                               r"value should be passed as a keyword argument: .*? \(of type <class "
                               r"'(?:bool|int|float|NoneType)'>\)")


def _flag_given_positionally(case: Any) -> Mismatch | None:
    """``self.block(x, training)`` on a line of the user's code below the script's own (a subclassed model's
    ``call``): ``_callsite.flag_passed_by_position`` on that line, in that frame's scope."""
    if not _FLAG_BY_POSITION.search(case.message):
        return None
    for frame, line in reversed(_user_frames(case.exc)):
        caller = frame.f_locals.get("self")
        found = flag_passed_by_position(calls_on(linecache.getline(frame.f_code.co_filename, line).strip()),
                                        frame.f_locals, str(caller.name) if isinstance(caller, keras.layers.Layer) else "?")
        if found is not None:
            return dataclasses.replace(found, path=case.path(found.path) if case.failure is not None else found.path)
    return None


def _constructed_name(frames: list[tuple[Any, int]], cls: str) -> str | None:
    """The ``name=`` given where the user's code constructs ``cls`` (``CD(rbm, name="cd")``)."""
    for frame, line in reversed(frames):
        for call in calls_on(linecache.getline(frame.f_code.co_filename, line).strip()):
            named = name_kw(call.node) if ast.unparse(call.node.func).split(".")[-1] == cls else None
            if named is not None:
                return named
    return None
