"""Failures at a model's API, read from the user's call and the model it is called on.

Where ``_explain``'s families read Keras' message, this module compares what the user's failing line gives a
model (``net.fit(x, y, sample_weight=w, validation_data=...)``, ``net(x)``, ``net.save(path)``), parsed once by
``_callsite.model_calls`` with the values its names hold, against what the model declares: its inputs by name,
position and shape, its outputs by name, and the settings ``compile`` was given. The first structure that
differs is named (which key, position or axis) with the one-line fix written from the user's own names.
Keras words these failures differently on each backend, or not at all (a ``KeyError`` on a list index, a
``TypeError`` about a string label, a tensor out of scope), so the message is only read where it says what
the call cannot show (a Lambda refused at load).
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Iterator, Sequence
from typing import Any

import keras

from kernest._axes import Shape, fits, format_shape, shape_of
from kernest._callsite import DATA_METHODS, ModelCall, assignment_of, model_calls, source_name, value_of
from kernest._errors import Mismatch
from kernest._graph import (
    built_input_dict,
    compile_settings,
    graph_inputs,
    input_keys,
    is_symbolic,
    output_keys,
)
from kernest._lint import head_path, sparse_loss

_LABELLED = ("fit", "evaluate", "train_on_batch", "test_on_batch")
# A model or layer refusing its input: the forward pass failed, before labels or compile settings were read.
_FORWARD_REFUSED = re.compile(r"is incompatible with the layer|Invalid input shape|expected (?:min_|max_)?ndim=")


def api_failure(text: str, scope: dict[str, Any], message: str, exc: BaseException | None = None,
                source: str = "") -> Mismatch | None:
    """The first way the model calls on the user's line ``text`` differ from what their model declares
    (``source``: the text of the user's file, where a fix rewrites one of its statements).

    Keras checks the inputs' structure before the forward pass, and the labels, weights, compile settings
    and validation data only after it; so those are read only when the failure did not happen in a layer."""
    after_forward = not _FORWARD_REFUSED.search(message) and (exc is None or not _raised_in_a_layer(exc))
    for call in model_calls(text, scope):
        if call.model is None:
            continue
        found = (_inputs_mismatch(call, "inputs" if call.method == "__call__" else "x") or _dataset_mismatch(call)
                 or _shapeless_dataset(call, source))
        if found is None and after_forward:
            found = (_settings_mismatch(call, source) or _labels_mismatch(call) or _weights_mismatch(call)
                     or _labels_missing(call, source) or _validation_mismatch(call))
        if found is not None:
            return found
    return None


def _raised_in_a_layer(exc: BaseException) -> bool:
    """Whether the traceback runs through the call of a layer that is not a model (a forward-pass failure)."""
    tb = exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        owner = frame.f_locals.get("self") if frame.f_code.co_name in ("call", "__call__", "compute_output_spec") else None
        if isinstance(owner, keras.layers.Layer) and not isinstance(owner, keras.Model):
            return True
        tb = tb.tb_next
    return False


# --- what the model declares -------------------------------------------------------------------------
def _inputs(model: Any) -> list[tuple[str, Shape]]:
    """The model's inputs as (name, shape): the dict keys of a dict-input model, else the Input layers' names
    (Keras takes a dict keyed by them for a list-input model too)."""
    flat = graph_inputs(model) or []
    if not flat:  # a subclassed model first called on one flat dict: that dict's keys and shapes
        return list((built_input_dict(model) or {}).items())
    keys = input_keys(model) or [str(getattr(t, "name", f"input_{i}")) for i, t in enumerate(flat)]
    return [(k, shape_of(t)) for k, t in zip(keys, flat)]


def _outputs(model: Any) -> list[tuple[str, Shape]]:
    try:
        flat = list(keras.tree.flatten(model.outputs))
    except (AttributeError, ValueError):
        return []
    names = output_keys(model) or [str(n) for n in getattr(model, "output_names", None) or []]
    return list(zip(names, (shape_of(t) for t in flat))) if len(names) == len(flat) else []


def _shape_list(named: list[tuple[str, Shape]]) -> str:
    return ", ".join(f"{k} {format_shape(s)}" for k, s in named)


def _closest(wrong: list[str], wanted: list[str]) -> dict[str, str]:
    """Each wrong key paired with the wanted name most like it (one that contains it first), each used once."""
    left, pairs = list(wanted), {}
    for key in wrong:
        if not left:
            break
        best = max(left, key=lambda name: (key.lower() in name.lower() or name.lower() in key.lower(),
                                           difflib.SequenceMatcher(None, key.lower(), name.lower()).ratio()))
        pairs[key] = best
        left.remove(best)
    return pairs


def _shown(value: Any) -> str:
    """A compile setting as the user would write it: ``"mse"``, ``["mae"]``, ``MeanSquaredError()``."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    if isinstance(value, (int, float)):
        return repr(value)
    return f"{type(value).__name__}()" if value is not None else "None"


def _batch(*values: Any) -> int | None:
    """The number of samples of the first array among ``values``."""
    for v in values:
        for a in v if isinstance(v, (list, tuple)) else v.values() if isinstance(v, dict) else [v]:
            shape = getattr(a, "shape", None)
            if shape is not None and len(shape) and isinstance(shape[0], int):
                return int(shape[0])
    return None


def _placeholder(name: str, shape: Shape, n: int | None) -> str:
    """``<context (10, 5)>``: an array still to be given, with its shape."""
    dims = ", ".join(str(d) for d in ((n if n is not None else "n"), *shape[1:]))
    return f"<{name} ({dims}{',' if len(shape) == 1 else ''})>"


def _array_shape(value: Any) -> Shape | None:
    shape = getattr(value, "shape", None)
    if shape is None or isinstance(value, (str, bytes)):
        return None
    try:
        return tuple(None if d is None else int(d) for d in shape)
    except (TypeError, ValueError):
        return None


def _entries(call: ModelCall, key: str, value: dict[Any, Any]) -> dict[str, str]:
    """The source text of each entry of a dict given for ``key``: its value's text in a dict literal, or
    ``name["k"]`` for a variable holding the dict."""
    node = call.node(key)
    if isinstance(node, ast.Dict):
        return {str(k.value): call.call.text(v) for k, v in zip(node.keys, node.values) if isinstance(k, ast.Constant)}
    base = call.text(key) or key
    return {str(k): f'{base}["{k}"]' for k in value}


def _side(call: ModelCall, key: str, entry: str | None = None) -> str:
    """What gives the argument for ``key`` (the entry ``entry`` of a dict written on the line): the layer or
    ``input:NAME`` that made a symbolic tensor, else ``data``."""
    node = call.node(key)
    if isinstance(node, ast.Dict) and entry is not None:
        node = next((v for k, v in zip(node.keys, node.values) if isinstance(k, ast.Constant) and k.value == entry), node)
    return (source_name(node, call.scope) if node is not None else None) or "data"


def _call_with(call: ModelCall, key: str, new: str) -> str:
    """The user's call with the argument for ``key`` replaced by ``new`` (other arguments as ``...``)."""
    head = f"{call.owner}.{call.method}" if call.method != "__call__" else call.owner
    if key in ("x", "inputs"):
        rest = ", ..." if len(call.call.node.args) + len(call.call.node.keywords) > 1 else ""
        return f"{head}({new}{rest})"
    if key == "y":
        x = call.text("x") or "x"
        return f"{head}({x}, {new}, ...)"
    return f"{head}(..., {key}={new})"


# --- compile settings against the outputs ----------------------------------------------------------
def _settings_mismatch(call: ModelCall, source: str = "") -> Mismatch | None:
    """``compile(loss={...})`` (or ``metrics=``, ``loss_weights=``) keyed by other names than the model's
    outputs, or a list of another length: read from the model once it fails in fit/evaluate."""
    if call.method not in _LABELLED:
        return None
    outs = [name for name, _ in _outputs(call.model)]
    for key, given, kind in settings_against_outputs(call.model, outs):
        if kind == "keys":
            return _settings_keys(call, key, given, outs, source)
        if key in ("loss", "loss_weights"):
            return _settings_count(call, key, given, outs)
    return None


_SETTINGS = ("loss", "loss_weights", "metrics", "weighted_metrics")


def settings_against_outputs(model: Any, outputs: list[str]) -> Iterator[tuple[str, Any, str]]:
    """The one reader of what ``compile`` was given against the model's outputs (named ``outputs``): each
    setting that does not fit them, in the order loss, loss_weights, metrics, weighted_metrics, as
    ``(key, given, "keys")`` for a dict keyed by other names, or ``(key, given_list, "count")`` for a list of
    another length than the outputs of a model of several."""
    settings = compile_settings(model)
    if not outputs:
        return
    for key in _SETTINGS:
        given = settings.get(key)
        if isinstance(given, dict) and any(k not in outputs for k in given):
            yield key, given, "keys"
        elif isinstance(given, (list, tuple)) and len(outputs) > 1 and len(given) != len(outputs):
            yield key, list(given), "count"


def _settings_keys(call: ModelCall, key: str, given: dict[str, Any], outs: list[str], source: str = "") -> Mismatch:
    if len(set(outs)) < len(outs):
        return _outputs_share_a_name(call, key, given, outs, source)
    wrong = [k for k in given if k not in outs]
    pairs = _closest(wrong, [o for o in outs if o not in given])
    entries = ", ".join(f'"{pairs.get(k, k)}": {_shown(v)}' for k, v in given.items())
    first = next(iter(pairs.values()), outs[0])
    renames = ", ".join(f"{w!r} -> {e!r}" for w, e in pairs.items())
    model = call.model
    return Mismatch(
        f"{model.name}/{first}", f"{first} -> {key}", "keys " + ", ".join(outs), "keys " + ", ".join(given),
        f"{key}= is keyed by {model.name}'s output names, the names of the nested models or layers that make its "
        f"outputs ({', '.join(outs)}), not by layers inside them. Rename {renames or 'the keys'}: "
        f"{call.owner}.compile(..., {key}={{{entries}}}), and key the labels the same way.",
    )


def _outputs_share_a_name(call: ModelCall, key: str, given: dict[str, Any], outs: list[str], source: str) -> Mismatch:
    """A dict of settings for a model whose outputs share a name: Keras names each output after the layer or
    nested model that makes it, so the outputs of one nested model all bear its name and no dict can tell them
    apart. Name them in the outer model (with the user's own keys, where there is one per output), or pass a list."""
    model, shared = call.model, next(o for o in outs if outs.count(o) > 1)
    listed = ", ".join(_shown(v) for v in given.values())
    fix = f"Pass {key} as a list in output order, {call.owner}.compile(..., {key}=[{listed}]), and the labels too"
    made = assignment_of(source, call.owner) if source and call.owner.isidentifier() else None
    built = made.value if made is not None else None
    outputs = (built.args[1] if isinstance(built, ast.Call) and len(built.args) > 1
               else next((k.value for k in getattr(built, "keywords", []) if k.arg == "outputs"), None))
    if isinstance(outputs, ast.List) and len(outputs.elts) == len(given) == len(outs):
        named = ", ".join(f'keras.layers.Identity(name="{k}")({ast.get_source_segment(source, e)})'
                          for k, e in zip(given, outputs.elts))
        fix = (f"Name each output after the key you gave it, where {call.owner} is built: [{named}] as its "
               f"outputs (the dict and the labels then match). Or {fix[0].lower()}{fix[1:]}")
    return Mismatch(
        f"{model.name}/{shared}", f"{shared} -> {key}", "keys " + ", ".join(outs), "keys " + ", ".join(given),
        f"{model.name}'s outputs are named {', '.join(outs)}: Keras names an output after the layer or nested model "
        f"that makes it, so the {outs.count(shared)} outputs of {shared} share its name and no {key}= dict can tell "
        f"them apart. {fix}.",
    )


def _settings_count(call: ModelCall, key: str, given: list[Any], outs: list[str]) -> Mismatch:
    # An output without a loss weight is weighted 1.0 by Keras; a missing loss is taken as the last one given.
    per = [given[i] if i < len(given) else (1.0 if key == "loss_weights" else given[-1]) for i in range(len(outs))]
    by_name = ", ".join(f'"{o}": {_shown(v)}' for o, v in zip(outs, per))
    listed = ", ".join(_shown(v) for v in per)
    model = call.model
    which = ("the extra ones are for outputs it does not have" if len(given) > len(outs)
             else f"a list is not repeated over the outputs (one {key} for all is given as a single value)")
    return Mismatch(
        model.name, f"{model.name} -> {key}", f"{len(outs)} entries, one per output ({', '.join(outs)})",
        f"{len(given)} entries",
        f"{model.name} has {len(outs)} outputs and {key}= lists {len(given)}; {which}. Give one per output, by name: "
        f"{call.owner}.compile(..., {key}={{{by_name}}}) (or the list {key}=[{listed}]).",
    )


# --- data against the inputs -------------------------------------------------------------------------
def _inputs_mismatch(call: ModelCall, key: str) -> Mismatch | None:
    if call.method not in (*DATA_METHODS, "__call__"):
        return None
    declared = _inputs(call.model)
    if not declared:
        return None
    if call.method == "__call__" and len(call.call.node.args) > 1:
        return _inputs_by_position(call, declared)
    given = call.value(key)
    if isinstance(given, dict):
        return _input_keys_differ(call, key, given, declared)
    if isinstance(given, (list, tuple)) and given and all(_array_shape(v) is not None for v in given):
        return _input_count_differs(call, key, list(given), declared, call.listed(key))
    return None


def _inputs_by_position(call: ModelCall, declared: list[tuple[str, Shape]]) -> Mismatch | None:
    """``recsys(users, items)``: the inputs given as separate arguments; a model takes them as one list."""
    args = call.call.node.args
    values = [value_of(a, call.scope) for a in args]
    if len(args) != len(declared) or not all(_array_shape(v) is not None or keras.ops.is_tensor(v) for v in values):
        return None
    texts = [call.call.text(a) for a in args]
    model = call.model
    side = (source_name(args[0], call.scope) if args else None) or "data"
    return Mismatch(
        model.name, f"{side} -> {model.name}", f"one list of {len(declared)} inputs ({_shape_list(declared)})",
        f"{len(args)} separate arguments",
        f"a model takes all its inputs as its first argument; the second argument is read as another parameter "
        f"(training). Pass them as one list: {call.owner}([{', '.join(texts)}]).",
    )


def _input_keys_differ(call: ModelCall, key: str, given: dict[Any, Any],
                       declared: list[tuple[str, Shape]]) -> Mismatch | None:
    names = [k for k, _ in declared]
    keys = [str(k) for k in given]
    if sorted(keys) == sorted(names):
        return None
    texts = _entries(call, key, given)
    pairs = _closest([k for k in keys if k not in names], [n for n in names if n not in keys])
    n = _batch(given)
    entries = []
    for name, shape in declared:
        source = next((k for k, v in pairs.items() if v == name), name if name in keys else None)
        entries.append(f'"{name}": {texts.get(source, source) if source is not None else _placeholder(name, shape, n)}')
    missing = [f"{k} {format_shape(s)}" for k, s in declared if k not in keys and k not in pairs.values()]
    model = call.model
    said = []
    if pairs:
        said.append("rename " + ", ".join(f"{w!r} -> {e!r}" for w, e in pairs.items()))
    if missing:
        said.append("add " + ", ".join(missing))
    side = _side(call, key, next(iter(pairs), None))
    return Mismatch(
        model.name, f"{side} -> {model.name}", "a dict with keys " + _shape_list(declared), "keys " + ", ".join(keys),
        f"{model.name}'s inputs are named {', '.join(names)}, and a dict of data is matched to them by key; "
        f"{'; '.join(said) or 'drop the other keys'}: {_call_with(call, key, '{' + ', '.join(entries) + '}')}.",
    )


def _assign(shapes: Sequence[Shape | None], declared: list[tuple[str, Shape]]) -> list[int | None]:
    """For each declared input, the index of the given array whose shape fits it (each used once)."""
    left, out = list(range(len(shapes))), []
    for _, want in declared:
        hit = next((i for i in left if _fits(want, shapes[i])), None)
        if hit is not None:
            left.remove(hit)
        out.append(hit)
    return out


def _input_count_differs(call: ModelCall, key: str, given: list[Any], declared: list[tuple[str, Shape]],
                         texts: list[str] | None) -> Mismatch | None:
    if len(given) == len(declared):
        return None
    shapes = [_array_shape(v) for v in given]
    texts = texts or [f"{call.text(key) or key}[{i}]" for i in range(len(given))]
    model = call.model
    expected = f"{len(declared)} input(s): {_shape_list(declared)}"
    noun = "tensors" if any(is_symbolic(v) for v in given) else "arrays"
    received = f"{len(given)} {noun} " + " and ".join(format_shape((None, *s[1:])) for s in shapes if s is not None)
    side = _side(call, key)
    if len(declared) == 1:
        return Mismatch(model.name, f"{side} -> {model.name}", expected, received,
                        _join_fix(call, key, texts, shapes, declared[0]))
    n = _batch(given)
    picks = _assign(shapes, declared)
    entries = [texts[i] if i is not None else _placeholder(name, shape, n) for i, (name, shape) in zip(picks, declared)]
    missing = [f"{name} {format_shape(shape)}" for i, (name, shape) in zip(picks, declared) if i is None]
    by_name = "{" + ", ".join(f'"{name}": {e}' for (name, _), e in zip(declared, entries)) + "}"
    return Mismatch(
        model.name, f"{side} -> {model.name}", expected, received,
        f"{model.name} takes {len(declared)} inputs, one array each, and got {len(given)}"
        + (f"; the missing one is {', '.join(missing)}" if missing else "")
        + f": {_call_with(call, key, '[' + ', '.join(entries) + ']')}, or by name, {by_name}.",
    )


def _join_fix(call: ModelCall, key: str, texts: list[str], shapes: list[Shape | None], want: tuple[str, Shape]) -> str:
    """Several arrays for a model of one input: joined on their last axis when their widths add up to it."""
    name, shape = want
    lead = {s[1:-1] for s in shapes if s is not None}
    width = sum(s[-1] or 0 for s in shapes if s is not None)
    if len(lead) == 1 and len(shape) >= 2 and all(s is not None and len(s) == len(shape) for s in shapes) \
            and width == shape[-1]:
        joined = f"np.concatenate([{', '.join(texts)}], axis=-1)"
        return (f"{call.model.name} has one input, {name} {format_shape(shape)}, and the {len(texts)} arrays together "
                f"are {width} wide: join them on the last axis, {_call_with(call, key, joined)}.")
    fitting = [t for t, s in zip(texts, shapes) if _fits(shape, s)]
    if fitting:
        picks = " or ".join(_call_with(call, key, t) for t in fitting)
        return (f"{call.model.name} has one input, {name} {format_shape(shape)}, and gets {len(texts)}: pick the one "
                f"it was built for, {picks}, or rebuild it with {len(texts)} Inputs.")
    return (f"{call.model.name} has one input, {name} {format_shape(shape)}: pass one array of that shape, or "
            f"rebuild it with {len(texts)} Inputs.")


def _fits(want: Shape, got: Shape | None) -> bool:
    return got is not None and fits(want, got)


def _validation_mismatch(call: ModelCall) -> Mismatch | None:
    """``validation_data=(vx, vy)`` whose inputs have another structure than the model's (x itself fits)."""
    if call.method != "fit":
        return None
    node = call.node("validation_data")
    if not isinstance(node, ast.Tuple) or len(node.elts) < 2:
        return None
    declared = _inputs(call.model)
    vx_node = node.elts[0]
    vx = value_of(vx_node, call.scope)
    given = list(vx) if isinstance(vx, (list, tuple)) else [vx] if _array_shape(vx) is not None else None
    if not declared or given is None or len(given) == len(declared):
        return None
    shapes = [_array_shape(v) for v in given]
    texts = ([call.call.text(e) for e in vx_node.elts] if isinstance(vx_node, (ast.List, ast.Tuple))
             else [call.call.text(vx_node)])
    picks = _assign(shapes, declared)
    n = _batch(given)
    entries = [texts[i] if i is not None else _placeholder(name, shape, n) for i, (name, shape) in zip(picks, declared)]
    rest = ", ".join(call.call.text(e) for e in node.elts[1:])
    x_text = call.text("x") or "x"
    model = call.model
    return Mismatch(
        model.name, f"data -> {model.name}", f"validation inputs like x: {_shape_list(declared)}",
        f"{len(given)} array(s) in validation_data",
        f"validation_data goes through {model.name} like x ({x_text}), so it needs the same {len(declared)} inputs: "
        f"validation_data=([{', '.join(entries)}], {rest}).",
    )


# --- datasets ---------------------------------------------------------------------------------------
def _dataset_mismatch(call: ModelCall) -> Mismatch | None:
    """A tf.data dataset whose elements do not have the structure the model's fit/evaluate reads:
    inputs only where labels are needed, or a tuple of inputs for a model of named (dict) inputs."""
    if call.method not in DATA_METHODS:
        return None
    ds = call.value("x")
    spec = getattr(ds, "element_spec", None)
    if spec is None:
        return None
    model, text = call.model, call.text("x") or "dataset"
    declared = _inputs(model)
    x_spec = spec[0] if isinstance(spec, tuple) and call.method in _LABELLED else spec
    if input_keys(model) and isinstance(x_spec, (tuple, list)) and len(x_spec) == len(declared):
        shapes = [tuple(s.shape) for s in x_spec]
        picks = _assign(shapes, declared)
        if None in picks:
            return None
        entries = ", ".join(f'"{name}": x[{i}]' for i, (name, _) in zip(picks, declared))
        ordered = " and ".join(format_shape(s) for s in shapes)
        return Mismatch(
            model.name, f"data -> {model.name}", "a dict with keys " + _shape_list(declared),
            f"a tuple of {ordered}",
            f"{model.name} takes a dict of named inputs, and {text} yields a tuple, which is matched to the inputs by "
            f"position, not by meaning. Yield the dict: {text} = {text}.map(lambda x, y: ({{{entries}}}, y)).",
        )
    return None


def _shapeless_dataset(call: ModelCall, source: str) -> Mismatch | None:
    """A dataset made by ``Dataset.from_generator(gen, output_types=...)`` without shapes: its elements have no
    known rank, and the model's layers cannot be built or checked on them. The shapes are read from the first
    element the user's generator yields, and written into the user's own ``from_generator`` call."""
    import numpy as np

    if call.method not in DATA_METHODS:
        return None
    ds, var = call.value("x"), call.text("x") or ""
    spec = getattr(ds, "element_spec", None)
    if spec is None or all(getattr(s, "shape", None) is None or s.shape.rank is not None for s in keras.tree.flatten(spec)):
        return None
    made = assignment_of(source, var) if source and var.isidentifier() else None
    gen_call = next((n for n in ast.walk(made.value) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                     and n.func.attr == "from_generator"), None) if made is not None else None
    if gen_call is None or not gen_call.args or any(k.arg in ("output_shapes", "output_signature") for k in gen_call.keywords):
        return None
    gen = value_of(gen_call.args[0], call.scope)
    try:
        first = next(iter(gen())) if callable(gen) else None
    except Exception:  # noqa: BLE001 - a generator that needs arguments or fails: shapes not known here
        first = None
    if first is None:
        return None

    def shapes(item: Any) -> str:
        if isinstance(item, (tuple, list)):
            inner = ", ".join(shapes(i) for i in item)
            return f"({inner},)" if len(item) == 1 else f"({inner})"
        if isinstance(item, dict):
            return "{" + ", ".join(f"{k!r}: {shapes(v)}" for k, v in item.items()) + "}"
        dims = tuple(np.shape(item))
        return f"({dims[0]},)" if len(dims) == 1 else str(dims)

    given = shapes(first)
    fixed = ast.unparse(gen_call)[:-1] + f", output_shapes={given})"
    model = call.model
    return Mismatch(
        model.name, f"data -> {model.name}", f"elements of known rank, e.g. {given} per element",
        "elements of unknown shape (from_generator was given output_types only)",
        f"{var} comes from Dataset.from_generator with output_types and no shapes, so its elements have no known rank "
        f"and {model.name}'s layers cannot be built on them. Give the shapes the generator yields "
        f"(its first element: {given}): {fixed} (or output_signature=).",
    )


def _labels_missing(call: ModelCall, source: str = "") -> Mismatch | None:
    """A dataset of inputs only, given to fit/evaluate of a model compiled with a loss (with the labels
    passed beside it as ``y``, which Keras does not read for a dataset)."""
    spec = getattr(call.value("x"), "element_spec", None)
    model, text = call.model, call.text("x") or "dataset"
    if call.method not in _LABELLED or spec is None or isinstance(spec, tuple) or getattr(model, "loss", None) is None:
        return None
    y = call.text("y")
    if y is None:
        labels = _labels_in_scope(call, source, text)
        made = _paired_source(source, text, labels) if labels else None
        build = (f"make {text} yield (inputs, targets) pairs from {labels}, the array in scope shaped like the "
                 f"model's output: {text} = {made}" if made else
                 f"zip a dataset of the labels, batched the same way: {call.owner}.{call.method}("
                 f"tf.data.Dataset.zip(({text}, labels)), ...)")
        return Mismatch(
            model.name, f"data -> {model.name}", "(inputs, labels) pairs", "inputs only",
            f"{call.method} needs labels for the loss, and {text} yields only inputs. {build[0].upper()}{build[1:]}.",
        )
    rest = [call.call.text(a) for a in call.call.node.args[2:]]
    rest += [call.call.text(k) for k in call.call.node.keywords if k.arg not in ("x", "y")]
    again = f"{call.owner}.{call.method}({', '.join([text, *rest])})"
    made = _paired_source(source, text, y)
    build = (f"make {text} yield (inputs, labels) pairs: {text} = {made}, then {again}" if made else
             f"zip the labels into it, batched the same way: {text} = tf.data.Dataset.zip(({text}, "
             f"tf.data.Dataset.from_tensor_slices({y}).batch(B))) with {text}'s batch size B, then {again}")
    return Mismatch(
        model.name, f"data -> {model.name}", "(inputs, labels) pairs from the dataset", f"inputs only, and y={y} beside it",
        f"When x is a dataset, {call.method} reads the labels from the dataset and refuses a separate y; {text} "
        f"yields only inputs and {y} was passed beside it. {build[0].upper()}{build[1:]}.",
    )


def _labels_in_scope(call: ModelCall, source: str, var: str) -> str | None:
    """The one array in the user's scope shaped like the model's single output (samples first) that the
    statement making dataset ``var`` does not already read: the labels the dataset left out."""
    outs = _outputs(call.model)
    made = assignment_of(source, var)
    if len(outs) != 1 or made is None:
        return None
    used = {n.id for n in ast.walk(made.value) if isinstance(n, ast.Name)}
    want = tuple(outs[0][1][1:])
    found = [name for name, value in call.scope.items() if name not in used and not name.startswith("_")
             and not isinstance(value, keras.KerasTensor) and isinstance(getattr(value, "ndim", None), int) and value.ndim >= 1 and tuple(value.shape[1:]) == want]
    return found[0] if len(found) == 1 else None


def _paired_source(source: str, var: str, y: str) -> str | None:
    """The user's own statement making dataset ``var`` from inputs alone (``from_tensor_slices(x_train)...``),
    rewritten to make it from (inputs, labels) pairs; None when no such statement is found."""
    node = assignment_of(source, var)
    for sub in ast.walk(node.value) if node is not None else []:
        if (isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr == "from_tensor_slices"
                and len(sub.args) == 1 and not isinstance(sub.args[0], ast.Tuple)):
            whole = ast.get_source_segment(source, node.value) or ""  # type: ignore[union-attr]
            inner = ast.get_source_segment(source, sub.args[0]) or ""
            head = ast.get_source_segment(source, sub) or ""
            return whole.replace(head, head.replace(f"({inner})", f"(({inner}, {y}))", 1), 1)
    return None


# --- labels and weights against the outputs -----------------------------------------------------------
def _labels_mismatch(call: ModelCall) -> Mismatch | None:
    if call.method not in _LABELLED or call.node("y") is None:
        return None
    outs = _outputs(call.model)
    y = call.value("y")
    if len(outs) < 2 or y is None:
        return None
    if isinstance(y, dict):
        return _label_keys_differ(call, y, outs)
    shape = _array_shape(y)
    if shape is not None:
        return _labels_for_one_output(call, shape, outs)
    return None


def _label_keys_differ(call: ModelCall, y: dict[Any, Any], outs: list[tuple[str, Shape]]) -> Mismatch | None:
    names = [n for n, _ in outs]
    keys = [str(k) for k in y]
    wrong = [k for k in keys if k not in names]
    if not wrong:
        return None
    pairs = _closest(wrong, [n for n in names if n not in keys])
    texts = _entries(call, "y", y)
    entries = ", ".join(f'"{pairs.get(k, k)}": {texts.get(k, k)}' for k in keys)
    model = call.model
    return Mismatch(
        model.name, f"data -> {model.name}", "labels keyed " + _shape_list(outs), "keys " + ", ".join(keys),
        f"a dict of labels is matched to {model.name}'s outputs by their names, the nested models or layers that make "
        f"them ({', '.join(names)}). Rename {', '.join(f'{w!r} -> {e!r}' for w, e in pairs.items())}: "
        f"{_call_with(call, 'y', '{' + entries + '}')}.",
    )


def _labels_for_one_output(call: ModelCall, shape: Shape, outs: list[tuple[str, Shape]]) -> Mismatch:
    """One array of labels for a model of several outputs: it goes with the output it fits (integer class ids
    with an output whose loss is sparse, else the same shape), and the others need their own."""
    twins = len({n for n, _ in outs}) < len(outs)
    if twins:  # outputs a nested model makes all carry its name in Keras: told apart by the layer making each
        outs = [(head_path(call.model, i).split("/", 1)[-1], o) for i, (_, o) in enumerate(outs)]
    hit = _output_for(call, shape, outs)
    text = call.text("y") or "y"
    ids = [sparse_loss(call.model, i) and (o[-1] or 0) > 1 for i, (_, o) in enumerate(outs)]  # class ids, not rows
    entries = [text if i == hit else _placeholder(f"{name} {'class ids' if ids[i] else 'labels'}", o[:-1] if ids[i] else o,
                                                  shape[0]) for i, (name, o) in enumerate(outs)]
    by_name = "{" + ", ".join(f'"{name}": {e}' for (name, _), e in zip(outs, entries)) + "}"
    model = call.model
    others = [f"{name} {format_shape(o)}" for i, (name, o) in enumerate(outs) if i != hit]
    return Mismatch(
        model.name, f"data -> {model.name}", f"labels for {len(outs)} outputs: {_shape_list(outs)}",
        f"one array {format_shape((None, *shape[1:]))}",
        f"{model.name} has {len(outs)} outputs and each needs its labels; {text} fits {outs[hit][0]}, and "
        f"{', '.join(others)} get none. Give one per output: {_call_with(call, 'y', '[' + ', '.join(entries) + ']')}"
        + ("" if twins else f", or by name, {by_name}") + ".",
    )


def _output_for(call: ModelCall, shape: Shape, outs: list[tuple[str, Shape]]) -> int:
    """The output a labels array of ``shape`` belongs to: class ids (integers, last axis 1 or none) go with an
    output trained with a sparse loss, other labels with an output of their shape; the first output otherwise."""
    y = call.value("y")
    losses = _per_output(compile_settings(call.model).get("loss"), [n for n, _ in outs])
    if getattr(getattr(y, "dtype", None), "kind", "") in "iub" and (shape[-1:] == (1,) or len(shape) == 1):
        sparse = [i for i, loss in enumerate(losses) if "sparse" in str(loss).lower()]
        if len(sparse) == 1:
            return sparse[0]
    same = [i for i, (_, o) in enumerate(outs) if o[1:] == shape[1:]]
    return same[0] if same else 0


def _per_output(setting: Any, names: list[str]) -> list[Any]:
    """A compile setting spread over the outputs (one value, a list, or a dict by name)."""
    if isinstance(setting, dict):
        return [setting.get(n) for n in names]
    if isinstance(setting, (list, tuple)):
        return list(setting) + [None] * (len(names) - len(setting))
    return [setting] * len(names)


def _weights_mismatch(call: ModelCall) -> Mismatch | None:
    """``sample_weight`` of another shape than the loss of a one-output model: Keras' losses reduce the output's
    last axis (the class or feature axis; sparse labels have none to reduce), so weights are one per sample, or one
    per step of a sequence output: the output's shape without its last axis."""
    if call.method not in _LABELLED:
        return None
    w = _array_shape(call.value("sample_weight"))
    outs = _outputs(call.model)
    if w is None or len(outs) != 1 or len(w) < 2:
        return None
    out = outs[0][1]
    y = _array_shape(call.value("y")) or (w[0], *out[1:])  # the labels have the output's shape
    steps = tuple(o if o is not None else (y[i + 1] if i + 1 < len(y) else None) for i, o in enumerate(out[1:-1]))
    per_sample = (y[0], *steps)
    if w == per_sample or (w[:-1] == per_sample and w[-1] == 1):
        return None
    text = call.text("sample_weight") or "sample_weight"
    want = ", ".join(str(d) for d in per_sample) + ("," if len(per_sample) == 1 else "")
    model = call.model
    extra = len(w) - len(per_sample)
    if extra > 0 and w[:len(per_sample)] == per_sample:  # the leading axes are right: drop the trailing ones
        axes = "-1" if extra == 1 else "(" + ", ".join(str(-a) for a in range(extra, 0, -1)) + ")"
        take, mean = "[..., " + ", ".join(["0"] * extra) + "]", f"{text}.mean(axis={axes})"
    elif len(per_sample) == 1:
        take, mean = ("[:, 0]" if len(w) == 2 else ".reshape(len(" + text + "), -1)[:, 0]"), f"{text}.mean(axis=-1)"
    else:
        return None
    what = "sample" if len(per_sample) == 1 else "step of each sample"
    why = (f"the labels {y} lose their last axis" if len(y) == len(out) or len(per_sample) == 1
           else f"the labels {y} are class ids, one per {what}")
    return Mismatch(
        model.name, f"data -> {model.name}", f"sample_weight of shape ({want})", f"sample_weight of shape {w}",
        f"the loss gives one value per {what}, shape ({want}) ({why}), "
        f"and the weights multiply it, so give one weight per {what}: sample_weight={text}{take} (or {mean}), "
        f"shape ({want}).",
    )
