"""Failures where one model hands something to another across a boundary Keras does not check: a weights file loaded
``by_name`` (Keras 3 files load by place), a nested model serialized by ``get_config`` and never deserialized (no
``from_config``), a dict of outputs fed to a model whose named inputs have other keys, a PyTorch ``train_step`` that
runs the forward pass under ``torch.no_grad()``, a tensor a layer kept from a traced step and read afterwards, and a
boolean index in a layer's ``call`` that JAX's jit cannot compile.
Each reader finds the user's own statement and prints it rewritten, in their names."""

from __future__ import annotations

import ast
import difflib
import inspect
import re
import textwrap
from typing import Any

import keras

from kernest._callsite import file_tree
from kernest._errors import Mismatch
from kernest._explain_args import _segment
from kernest._explain_custom import first_answer
from kernest._explain_training import _parse, _replace_all, _users_line
from kernest._trace import is_user_file, user_frames


def boundary_failure(case: Any) -> Mismatch | None:
    """The first of the readers below that recognises the failure, or None."""
    return first_answer(case, (_by_name_keras3_file, _config_never_deserialized, _dict_keys_differ,
                               _forward_without_grad, _tensor_kept_from_trace, _boolean_index_under_jit))


# --- helpers ------------------------------------------------------------------------------------------------------

def _resolve(node: ast.AST, frame: Any) -> Any:
    """The object a plain name or attribute chain (``model``, ``self.encoder``) names in ``frame``, or None."""
    if isinstance(node, ast.Name):
        return frame.f_locals.get(node.id, frame.f_globals.get(node.id))
    if isinstance(node, ast.Attribute):
        base = _resolve(node.value, frame)
        return getattr(base, node.attr, None) if base is not None else None
    return None


def _deepest_user_frame(exc: BaseException) -> Any:
    frames = user_frames(exc)
    return frames[-1] if frames else None


def _traceback_selves(exc: BaseException) -> list[Any]:
    """The ``self`` of every frame of the traceback, innermost last."""
    out, tb = [], exc.__traceback__
    while tb is not None:
        if "self" in tb.tb_frame.f_locals:
            out.append(tb.tb_frame.f_locals["self"])
        tb = tb.tb_next
    return out


def user_class(cls: type) -> bool:
    """Whether ``cls`` was written by the user: a function it defines itself lives in the user's file."""
    codes = [getattr(v, "__code__", None) for v in vars(cls).values()]
    return any(c is not None and is_user_file(c.co_filename) for c in codes)


def _path_in(model: Any, target: Any, prefix: str = "") -> str | None:
    """``target``'s nested path inside ``model`` (``encoder/attention``), or None."""
    for layer in getattr(model, "layers", []):
        here = f"{prefix}{layer.name}"
        if layer is target:
            return here
        inner = _path_in(layer, target, here + "/")
        if inner is not None:
            return inner
    return None


# --- load_weights(path, by_name=True) on a Keras 3 weights file ------------------------------------------------------

_BY_NAME = re.compile(r"`by_name` only supports loading legacy '\.h5' or '\.hdf5' files")


def _by_name_keras3_file(case: Any) -> Mismatch | None:
    """``model.load_weights("pretrain.weights.h5", by_name=True)``: Keras 3 writes and reads ``.weights.h5`` files
    by each layer's place in the model; the Keras 2 way to reuse the layers that match is ``skip_mismatch=True``."""
    where = _users_line(case.exc) if _BY_NAME.search(case.message) else None
    tree = _parse(where[2]) if where is not None else None
    frame = _deepest_user_frame(case.exc)
    if where is None or tree is None or frame is None:
        return None
    statement = where[2]
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
             and n.func.attr == "load_weights" and any(k.arg == "by_name" for k in n.keywords)]
    if not calls:
        return None
    call = calls[0]
    model = _resolve(call.func.value, frame)  # type: ignore[attr-defined]
    name = model.name if isinstance(model, keras.layers.Layer) else _segment(statement, call.func.value)  # type: ignore[attr-defined]
    by_name = next(k for k in call.keywords if k.arg == "by_name")
    has_skip = any(k.arg == "skip_mismatch" for k in call.keywords)
    rewritten = _replace_all(statement, [(by_name, "" if has_skip else "skip_mismatch=True")]).strip()
    rewritten = re.sub(r",\s*\)", ")", rewritten)
    source = _saved_by(where[0], _segment(statement, call.args[0]), frame) if call.args else None
    return Mismatch(
        name, f"{source or 'weights file'} -> {name}", "a legacy .h5 file for by_name=True",
        "a Keras 3 .weights.h5 file",
        f"Keras 3 saves and loads .weights.h5 files by each layer's place in the model, not by layer name, and "
        f"refuses by_name=True for them; to load the layers that match (here the nested models the two share) and "
        f"skip, with a warning, those that differ in size, load with skip_mismatch=True: `{rewritten}`.",
    )


def _saved_by(file: str, path_text: str, frame: Any) -> str | None:
    """The name of the model whose ``save_weights(<path_text>)`` the user's file calls."""
    _, tree = file_tree(file)
    for node in ast.walk(tree) if tree is not None else ():
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "save_weights"
                and node.args and ast.unparse(node.args[0]) == ast.unparse(ast.parse(path_text, mode="eval").body)):
            saver = _resolve(node.func.value, frame)
            if isinstance(saver, keras.layers.Layer):
                return str(saver.name)
    return None


# --- get_config serializes a nested model; no from_config turns it back ----------------------------------------------

_CONFIG_CALLED = re.compile(r"'(?:TrackedDict|dict)' object is not callable")


def _config_never_deserialized(case: Any) -> Mismatch | None:
    """A user's Model or Layer that takes a model or layer in ``__init__`` and writes it into ``get_config`` with
    ``serialize_keras_object``, but keeps ``Layer.from_config`` (``cls(**config)``): on load, ``__init__`` gets the
    config dict, and the first call of it fails."""
    if not _CONFIG_CALLED.search(case.message):
        return None
    owners = [s for s in _traceback_selves(case.exc) if isinstance(s, keras.layers.Layer)
              and user_class(type(s)) and "from_config" not in vars(type(s))
              and "get_config" in vars(type(s))]
    if not owners:
        return None
    owner = owners[-1]
    params = inspect.signature(type(owner).__init__).parameters
    keys = [k for k in params if isinstance(getattr(owner, k, None), dict) and "class_name" in getattr(owner, k)]
    if not keys:
        return None
    lines = "\n".join(f'    config["{k}"] = keras.saving.deserialize_keras_object(config["{k}"])' for k in keys)
    method = f"@classmethod\ndef from_config(cls, config):\n{lines}\n    return cls(**config)"
    cls = type(owner).__name__
    return Mismatch(
        owner.name, f"{keys[0]} -> {owner.name}", f"{keys[0]} turned back into a model or layer", f"{keys[0]} as its config dict",
        f"{cls}.get_config writes {', '.join(keys)} as a serialized config, but {cls} has no from_config, so loading "
        f"passes that dict to __init__ and {cls}.call calls a dict; give {cls} a from_config that deserializes it "
        f"before __init__ sees it:\n{textwrap.indent(method, '    ')}",
    )


# --- a dict of outputs into a model whose named inputs have other keys ------------------------------------------------

_MISSING_KEY = re.compile(r'Missing data for input "(?P<missing>[^"]+)"\. You passed a data dictionary with keys '
                          r"\[(?P<given>[^\]]*)\]\. Expected the following keys: \[(?P<expected>[^\]]*)\]")


def _keys(text: str) -> list[str]:
    return re.findall(r"'([^']*)'", text)


def _pair_keys(wanted: dict[str, Any], given: dict[str, Any]) -> dict[str, str] | None:
    """Each wanted key's given key: the only one of the same shape, else the nearest name; None if unsure."""
    pairs: dict[str, str] = {}
    for key, spec in wanted.items():
        same = [g for g, t in given.items() if tuple(t.shape[1:]) == tuple(spec.shape[1:])]
        if len(same) == 1:
            pairs[key] = same[0]
            continue
        near = difflib.get_close_matches(key, same or list(given), n=1, cutoff=0.0)
        named = [g for g in (same or given) if key in g or g in key]
        choice = named[0] if len(named) == 1 else (near[0] if near else None)
        if choice is None:
            return None
        pairs[key] = choice
    return pairs if len(set(pairs.values())) == len(pairs) else None


def _dict_keys_differ(case: Any) -> Mismatch | None:
    """``head(vecs)`` where ``vecs`` is another model's dict output (``{"text_vec", "meta_vec"}``) and ``head`` was
    built on a dict of named inputs (``{"text", "meta"}``): Keras matches dicts by key only."""
    m = _MISSING_KEY.search(case.message)
    if m is None:
        return None
    expected = set(_keys(m.group("expected")))
    models = [s for s in _traceback_selves(case.exc) if isinstance(s, keras.Model)
              and isinstance(getattr(s, "_inputs_struct", None), dict) and set(s._inputs_struct) == expected]
    where, frame = _users_line(case.exc), _deepest_user_frame(case.exc)
    tree = _parse(where[2]) if where is not None else None
    if not models or tree is None or frame is None or where is None:
        return None
    model, statement = models[-1], where[2]
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and n.args and _resolve(n.func, frame) is model]
    given = _resolve(calls[0].args[0], frame) if calls else None
    if not isinstance(given, dict):
        return None
    pairs = _pair_keys(dict(model._inputs_struct), given)
    if pairs is None:
        return None
    arg = _segment(statement, calls[0].args[0])
    mapping = "{" + ", ".join(f'"{k}": {arg}["{g}"]' for k, g in pairs.items()) + "}"
    rewritten = _replace_all(statement, [(calls[0].args[0], mapping)]).strip()
    history = [getattr(t, "_keras_history", None) for t in given.values()]
    producers = {h.operation.name for h in history if h is not None}
    producer = producers.pop() if len(producers) == 1 else arg
    return Mismatch(
        model.name, f"{producer} -> {model.name}", "{" + ", ".join(f'"{k}"' for k in model._inputs_struct) + "}",
        "{" + ", ".join(f'"{g}"' for g in given) + "}",
        f"{model.name} was built on a dict of named inputs and Keras matches a dict by its keys only, so "
        f"{producer}'s outputs reach none of them; hand each output over under the input's name "
        f"({', '.join(f'{g} -> {k}' for k, g in pairs.items())}): `{rewritten}`.",
    )


# --- a PyTorch train_step whose forward pass runs under torch.no_grad() ----------------------------------------------

_NO_GRAD_FN = "element 0 of tensors does not require grad and does not have a grad_fn"


def _forward_without_grad(case: Any) -> Mismatch | None:
    """``with torch.no_grad(): y_pred = self(x, training=True)`` in a custom ``train_step``: nothing of the forward
    pass is recorded, so ``loss.backward()`` has no graph. Only the optimizer's update belongs under no_grad."""
    if _NO_GRAD_FN not in case.message:
        return None
    for frame in reversed(user_frames(case.exc)):
        model = frame.f_locals.get("self")
        method = getattr(type(model), frame.f_code.co_name, None)
        if not isinstance(model, keras.Model) or method is None:
            continue
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(method)))
        except (OSError, TypeError, SyntaxError):
            continue
        for block in (n for n in ast.walk(tree) if isinstance(n, ast.With)):
            guards = [i.context_expr for i in block.items if isinstance(i.context_expr, ast.Call)
                      and isinstance(i.context_expr.func, ast.Attribute) and i.context_expr.func.attr == "no_grad"]
            forward = [s for s in block.body if any(isinstance(c, ast.Call) and isinstance(c.func, ast.Name)
                                                    and c.func.id == "self" for c in ast.walk(s))]
            if guards and forward:
                moved = "\n".join(ast.unparse(s) for s in forward)
                return Mismatch(
                    model.name, f"{model.name} -> loss", "the forward pass recorded for backward()",
                    "the forward pass run under torch.no_grad()",
                    f"{type(model).__name__}.{frame.f_code.co_name} runs the forward pass inside `with "
                    f"{ast.unparse(guards[0])}:`, so PyTorch records nothing and loss.backward() has no graph; run it "
                    f"with gradients on, outside that block, and keep only the optimizer's update under no_grad: "
                    f"`{moved}`.",
                )
    return None


# --- a tensor a layer kept from a traced step, read after fit -----------------------------------------------------

_TRACED_READ = re.compile(r"Cannot convert a symbolic tf\.Tensor|TracerArrayConversionError|"
                          r"__array__\(\) was called on traced array|UnexpectedTracerError")


def _not_readable(value: Any) -> bool:
    if not keras.ops.is_tensor(value):
        return False
    try:
        keras.ops.convert_to_numpy(value)
    except Exception:
        return True
    return False


def _tensor_kept_from_trace(case: Any) -> Mismatch | None:
    """``self.last_weights = w`` in a layer's ``call`` and ``convert_to_numpy(layer.last_weights)`` after fit: fit
    runs ``call`` only while it traces the step, so the attribute holds a graph tensor (TensorFlow) or a tracer
    (JAX), not values. Calling the model eagerly on data first leaves that call's values there."""
    if not _TRACED_READ.search(case.message + type(case.exc).__name__):
        return None
    where, frame = _users_line(case.exc), _deepest_user_frame(case.exc)
    tree = _parse(where[2]) if where is not None else None
    if where is None or tree is None or frame is None:
        return None
    names = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    models = [v for v in {**frame.f_globals, **frame.f_locals}.items() if isinstance(v[1], keras.Model)]
    for var, model in models:
        for layer in model._flatten_layers(include_self=False):
            held = [a for a in names if a in vars(layer) and _not_readable(vars(layer)[a])]
            path = _path_in(model, layer) if held else None
            outer = [v for v, m in models if path is not None and _path_in(m, layer) is not None
                     and all(_path_in(o, m) is None for _, o in models if o is not m)]
            if held and path is not None and (var in outer or not outer):
                data = _fit_data(where[0], var)
                calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
                         and any(isinstance(a, ast.Attribute) and a.attr == held[0] for a in ast.walk(n))]
                reader = ast.unparse(calls[-1].func).rsplit(".", 1)[-1] if calls else "numpy"
                return Mismatch(
                    path, f"{layer.name} -> {reader}", f"{layer.name}.{held[0]} holding values",
                    f"{layer.name}.{held[0]} holding a tensor of the traced train step",
                    f"{type(layer).__name__}.call stores {held[0]} on the layer, but fit runs call only while it "
                    f"traces the training step, so the attribute holds that trace's symbolic tensor, which has no "
                    f"values; call the model eagerly on your data before reading it, `{var}({data})`, or return "
                    f"{held[0]} as an output of a model made for reading it.",
                )
    return None


def _fit_data(file: str, var: str) -> str:
    """The first argument of the last ``<var>.fit(...)`` in the user's file (``x``), or ``x``."""
    _, tree = file_tree(file)
    found = "x"
    for node in ast.walk(tree) if tree is not None else ():
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "fit"
                and isinstance(node.func.value, ast.Name) and node.func.value.id == var and node.args):
            found = ast.unparse(node.args[0])
    return found


# --- a boolean index in call() under JAX's jit ------------------------------------------------------------------------

_BOOLEAN_INDEX = re.compile(r"Array boolean indices must be concrete|NonConcreteBooleanIndexError")


def _outermost_path(frame: Any, layer: Any) -> str:
    """``layer``'s nested path from the outermost of the script's models that holds it, or its name."""
    models = [m for m in frame.f_globals.values() if isinstance(m, keras.Model)]
    paths = [p for p in (_path_in(m, layer) for m in models) if p is not None]
    return max(paths, key=lambda p: p.count("/"), default=layer.name)


def _argument_producer(exc: BaseException, layer: Any, arg: str) -> str | None:
    """The layer whose output reaches ``layer.call``'s parameter ``arg`` (``emb``): read from the Keras tensors the
    layer was called on, in the traceback's ``Layer.__call__`` frame, or else from the model graph."""
    params = [p for p in inspect.signature(type(layer).call).parameters if p != "self"]
    if arg not in params:
        return None
    given: list[Any] = []
    tb = exc.__traceback__
    while tb is not None:
        args = tb.tb_frame.f_locals.get("args")
        if tb.tb_frame.f_locals.get("self") is layer and isinstance(args, tuple) and len(args) == len(params):
            given = list(args)
        tb = tb.tb_next
    nodes = getattr(layer, "_inbound_nodes", [])
    if not given and nodes and len(nodes[0].input_tensors) == len(params):
        given = list(nodes[0].input_tensors)
    history = getattr(given[params.index(arg)], "_keras_history", None) if given else None
    return str(history.operation.name) if history is not None else None


def _boolean_index_under_jit(case: Any) -> Mismatch | None:
    """``ops.mean(vecs[ids != 0], axis=0)`` in a layer's ``call``: the number of rows a boolean index picks depends
    on the values, and JAX compiles the step for fixed shapes. The mean (or sum) of the picked rows is a masked sum
    over the masked axes, whose shape is fixed."""
    if not _BOOLEAN_INDEX.search(case.message + type(case.exc).__name__):
        return None
    frame = next((f for f in reversed(user_frames(case.exc))
                  if isinstance(f.f_locals.get("self"), keras.layers.Layer)), None)
    where = _users_line(case.exc)
    tree = _parse(where[2]) if where is not None else None
    if frame is None or where is None or tree is None:
        return None
    layer, statement = frame.f_locals["self"], where[2]
    index = next((n for n in ast.walk(tree) if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name)
                  and isinstance(n.slice, (ast.Compare, ast.Name))), None)
    if index is None:
        return None
    data, mask = _segment(statement, index.value), _segment(statement, index.slice)
    reduce = next((n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                   and n.func.attr in ("mean", "sum") and n.args and n.args[0] is index), None)
    mask_of = index.slice.left if isinstance(index.slice, ast.Compare) else index.slice
    ranks = [len(getattr(_resolve(n, frame), "shape", ())) for n in (index.value, mask_of)]
    producer = _argument_producer(case.exc, layer, data) or data
    head = f"{layer.name}'s call() indexes {data} with the boolean {mask}: the number of rows picked depends on the values"
    if reduce is None or not all(ranks) or ranks[0] < ranks[1]:
        fix = (f"{head}, and JAX compiles the step for fixed shapes. Keep the shape and zero what the mask drops: "
               f"`keras.ops.where({mask}, {data}, 0)` (with the mask's axes expanded to {data}'s rank).")
    else:
        ops = _segment(statement, reduce.func.value)  # type: ignore[attr-defined]
        keep = f"{ops}.cast({mask}, {data}.dtype)"
        for _ in range(ranks[0] - ranks[1]):
            keep = f"{ops}.expand_dims({keep}, -1)"
        axes = "(" + ", ".join(str(i) for i in range(ranks[1])) + ("," if ranks[1] == 1 else "") + ")"
        total = f"{ops}.sum({data} * keep, axis={axes})"
        new = total if reduce.func.attr == "sum" else f"{total} / {ops}.maximum({ops}.sum(keep), 1.0)"  # type: ignore[attr-defined]
        fix = (f"{head}, and JAX compiles the step for fixed shapes. Take the {reduce.func.attr} over a mask of "  # type: ignore[attr-defined]
               f"fixed shape instead: `keep = {keep}`, then `{_replace_all(statement, [(reduce, new)]).strip()}`.")
    return Mismatch(_outermost_path(frame, layer), f"{producer} -> {layer.name}",
                    "an index of fixed shape (a mask)", f"the boolean index {data}[{mask}]", fix)
