"""Failures where the user's code breaks a contract Keras states in its own API, read from the user's code: a
function handed to Keras with another signature than Keras calls (a loss with a third parameter, a callback hook
without ``logs``, a generator function given to fit uncalled), constructor settings Keras refuses together
(``strides`` with ``dilation_rate``; two gradient clipping settings), a compiled loss that does not reduce to one
number, ``ops.split`` into sections that do not divide the width, files Keras 3 cannot load as they are (a
SavedModel folder, a Keras 2 config key), and string data under a backend whose tensors cannot hold strings.
Each reader prints the user's statement rewritten, in their names."""

from __future__ import annotations

import ast
import inspect
import json
import math
import os
import re
import textwrap
import zipfile
from typing import Any

import keras

from kernest._errors import Mismatch
from kernest._explain_custom import first_answer
from kernest._explain_protocol import _frames, _inputs_of_call, _locals_of, _method, _outer_path, _producer
from kernest._explain_training import _parse, _replace_all, _users_line


def contract_failure(case: Any) -> Mismatch | None:
    """The first of the readers below that recognises the failure, or None."""
    return first_answer(case, (_generator_function, _hook_signature, _loss_extra_parameter, _clip_settings,
                               _stride_with_dilation, _loss_not_reduced, _split_not_dividing, _savedmodel_folder,
                               _config_key_on_load, _strings_on_backend))


# --- helpers ------------------------------------------------------------------------------------------------------

def _statement(case: Any) -> tuple[str, ast.Module] | None:
    """The user's failing statement, whole, and its parse."""
    where = _users_line(case.exc)
    tree = _parse(where[2]) if where is not None else None
    return (where[2], tree) if where is not None and tree is not None else None


def _calls(tree: ast.AST, attr: str) -> list[ast.Call]:
    """The calls of ``<anything>.<attr>(...)`` or ``<attr>(...)`` in ``tree``."""
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)
            and ((isinstance(n.func, ast.Attribute) and n.func.attr == attr)
                 or (isinstance(n.func, ast.Name) and n.func.id == attr))]


def _keyword(call: ast.Call, name: str) -> ast.keyword | None:
    return next((k for k in call.keywords if k.arg == name), None)


def _without_keywords(text: str, call: ast.Call, names: set[str]) -> str:
    """The source of ``call`` as the user wrote it in ``text``, without the keyword arguments ``names``."""
    source = ast.get_source_segment(text, call) or ast.unparse(call)
    for kw in call.keywords:
        written = ast.get_source_segment(text, kw) if kw.arg in names else None
        if written:
            source = re.sub(rf"{re.escape(written)}\s*,\s*|,?\s*{re.escape(written)}(?=\s*\))", "", source, count=1)
    return source


def _model_on_line(case: Any, text: str, method: str) -> Any:
    """The model the user's line calls ``.<method>(`` on (``model.compile(``), else the fitted model."""
    found = re.search(rf"(\w+)\.{method}\(", text)
    value = case.scope.get(found.group(1)) if found else None
    return value if isinstance(value, keras.Model) else case.fitted_model()


def _script(case: Any) -> str:
    """The text of the user's script (the file of the failing line); '' where it cannot be read."""
    path = case.site.file if case.site is not None else None
    try:
        with open(path, encoding="utf-8") as f:  # type: ignore[arg-type]
            return f.read()
    except (OSError, TypeError, ValueError):
        return ""


def _all_calls(case: Any) -> list[ast.Call]:
    """Every call in the user's whole script."""
    tree = _parse(_script(case))
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)] if tree is not None else []


def _script_calls(case: Any, attr: str) -> list[ast.Call]:
    """The calls of ``.<attr>(`` in the user's whole script."""
    return [c for c in _all_calls(case) if isinstance(c.func, ast.Attribute) and c.func.attr == attr]


# --- fit(batches): a generator function, not the generator --------------------------------------------------------

_FUNCTION_AS_DATA = re.compile(r"Unrecognized data type: x=<function (?P<fn>\w+) at")


def _generator_function(case: Any) -> Mismatch | None:
    """``model.fit(batches, ...)`` where ``batches`` is the user's generator function: Keras takes the generator
    (or any iterator) it makes when called, ``batches()``, not the function."""
    m = _FUNCTION_AS_DATA.search(case.message)
    fn = case.scope.get(m.group("fn")) if m else None
    found = _statement(case) if fn is not None else None
    if found is None or not callable(fn):
        return None
    text, tree = found
    names = [n for c in _calls(tree, "fit") + _calls(tree, "evaluate") + _calls(tree, "predict")
             for n in [*c.args[:1], *(k.value for k in c.keywords if k.arg in ("x", "validation_data"))]
             if isinstance(n, ast.Name) and n.id == m.group("fn")]  # type: ignore[union-attr]
    if not names:
        return None
    params = [p for p in inspect.signature(fn).parameters.values() if p.default is p.empty
              and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    args = ", ".join(p.name for p in params)
    rewritten = _replace_all(text, [(n, f"{n.id}({args})") for n in names]).strip()
    model = case.fitted_model()
    name = model.name if model is not None else "model"
    kind = "generator function" if inspect.isgeneratorfunction(fn) else "function"
    return Mismatch(
        name, f"data -> {name}", "data: arrays, a tf.data.Dataset, a PyDataset or a generator",
        f"the {kind} {fn.__name__} itself",
        f"{fn.__name__} is a {kind}: Keras reads batches from what it returns when called (a generator, a dataset), "
        f"not from the function. Call it where you give it to Keras: `{rewritten}`" + (f" (with your values for {args})." if args else "."),
    )


# --- a callback hook without logs ---------------------------------------------------------------------------------

_HOOK_ARGS = re.compile(r"(?P<cls>\w+)\.(?P<hook>on_\w+)\(\) takes (?P<took>\d+) positional arguments? but "
                        r"(?P<given>\d+) were given")


def _hook_signature(case: Any) -> Mismatch | None:
    """``def on_epoch_end(self, epoch):`` in a user's Callback: Keras calls every hook with its index and ``logs``
    (``on_train_begin(logs)``, ``on_epoch_end(epoch, logs)``, ``on_train_batch_end(batch, logs)``)."""
    m = _HOOK_ARGS.search(case.message)
    cls = next((type(v) for v in _locals_of(case.exc, lambda v: isinstance(v, keras.callbacks.Callback))
                if m and type(v).__name__ == m.group("cls")), None)
    owner = next((c for c in cls.__mro__ if m.group("hook") in vars(c)), None) if cls is not None and m else None
    node = _method(owner, m.group("hook")) if owner is not None and m else None
    if node is None or m is None:
        return None
    params = [a.arg for a in node.args.args]
    hook = m.group("hook")
    wanted = ["self", *(["logs"] if hook in ("on_train_begin", "on_train_end", "on_test_begin", "on_test_end",
                                              "on_predict_begin", "on_predict_end")
                        else ["epoch" if "epoch" in hook else "batch", "logs"])]
    if len(params) >= len(wanted):
        return None
    new = params + [f"{w}=None" if w == "logs" else w for w in wanted[len(params):]]
    line = f"def {hook}({', '.join(new)}):"
    model = case.fitted_model()
    name = model.name if model is not None else "model"
    return Mismatch(
        name, f"fit -> {hook}", f"{hook}({', '.join(wanted[1:])})", f"{hook}({', '.join(params[1:])})",
        f"fit calls {m.group('cls')}.{hook} with ({', '.join(wanted[1:])}), but the method takes "
        f"({', '.join(params[1:]) or 'nothing'}). Accept the arguments Keras passes (you may ignore them): `{line}`",
    )


# --- a loss with a third parameter --------------------------------------------------------------------------------

_MISSING_ARGS = re.compile(r"(?P<fn>\w+)\(\) missing \d+ required positional arguments?: (?P<names>.+)$", re.M)


def _compiled_functions(model: Any) -> list[tuple[str, Any]]:
    """("loss" or "metrics", function) for each plain function the model was compiled with."""
    out: list[tuple[str, Any]] = []
    for role, given in (("loss", getattr(model, "loss", None)),
                        ("metrics", getattr(getattr(model, "_compile_metrics", None), "_user_metrics", None))):
        for fn in keras.tree.flatten(given) if given is not None else []:
            if inspect.isfunction(fn):
                out.append((role, fn))
    return out


def _loss_extra_parameter(case: Any) -> Mismatch | None:
    """``def weighted_bce(y_true, y_pred, pos_weight)`` given to compile: Keras calls a loss with the labels and
    the predictions only, so the other parameters get a value from a two-argument function around it."""
    m = _MISSING_ARGS.search(case.message)
    model = case.fitted_model() if m else None
    found = [(r, f) for r, f in _compiled_functions(model) if f.__name__ == m.group("fn")] if m and model else []
    if not found or model is None:
        return None
    role, fn = found[0]
    params = list(inspect.signature(fn).parameters.values())
    if len(params) < 3:
        return None
    first, rest = [p.name for p in params[:2]], [p for p in params[2:] if p.default is p.empty]
    values = [p.name if p.name in case.scope else f"<your {p.name}>" for p in rest]
    call = f"{fn.__name__}({', '.join(first + values)})"
    wrapped = f"lambda {', '.join(first)}: {call}"
    given = f"{role}={wrapped}" if role == "loss" else f"{role}=[{wrapped}]"
    missing = ", ".join(p.name for p in rest)
    return Mismatch(
        model.name, f"{role if role == 'loss' else 'metrics'} -> {model.name}", f"{fn.__name__}(y_true, y_pred)",
        f"{fn.__name__}({', '.join(p.name for p in params)})",
        f"Keras calls a compiled {'loss' if role == 'loss' else 'metric'} with (y_true, y_pred) only, so {missing} "
        f"never gets a value. Give compile a two-argument function that passes it on: `{given}`.",
    )


# --- Adam(clipnorm=..., global_clipnorm=...) ------------------------------------------------------------------------

_TWO_CLIPS = re.compile(r"Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set")
_CLIPS = ("global_clipnorm", "clipnorm", "clipvalue")


def _clip_settings(case: Any) -> Mismatch | None:
    """An optimizer given two of ``clipnorm``, ``clipvalue`` and ``global_clipnorm``: Keras applies one."""
    found = _statement(case) if _TWO_CLIPS.search(case.message) else None
    if found is None:
        return None
    text, tree = found
    calls = [c for c in ast.walk(tree) if isinstance(c, ast.Call) and sum(_keyword(c, k) is not None for k in _CLIPS) > 1]
    if not calls:
        return None
    call = calls[0]
    keep = next(k for k in _CLIPS if _keyword(call, k) is not None)
    rewritten = _without_keywords(text, call, set(_CLIPS) - {keep})
    model = _model_on_line(case, text, "compile")
    models = [v for v in case.scope.values() if isinstance(v, keras.Model)]
    model = model if model is not None else (models[-1] if models else None)
    name = model.name if model is not None else "model"
    given = ", ".join(k for k in _CLIPS if _keyword(call, k) is not None)
    return Mismatch(
        name, f"{name} -> optimizer", "one gradient clipping setting", given,
        f"An optimizer clips gradients one way: by each gradient's norm (clipnorm), by value (clipvalue) or by the "
        f"norm of all gradients together (global_clipnorm), and Keras refuses {given} together. Keep one, e.g. "
        f"{keep}: `{rewritten}`.",
    )


# --- Conv(strides=2, dilation_rate=2) -------------------------------------------------------------------------------

_STRIDE_DILATION = re.compile(r"`strides > 1` not supported in conjunction with `dilation_rate > 1`")


def _stride_with_dilation(case: Any) -> Mismatch | None:
    """A convolution given both ``strides > 1`` and ``dilation_rate > 1``: keep the dilation at stride 1 and
    downsample after it with a pooling layer of the stride's size."""
    found = _statement(case) if _STRIDE_DILATION.search(case.message) else None
    if found is None:
        return None
    text, tree = found
    calls = [c for c in ast.walk(tree) if isinstance(c, ast.Call) and _keyword(c, "strides") is not None
             and _keyword(c, "dilation_rate") is not None]
    if not calls:
        return None
    conv = calls[0]
    head = ast.unparse(conv.func)
    rank = re.search(r"(\d)D", head)
    stride = _keyword(conv, "strides").value  # type: ignore[union-attr]
    size = ast.unparse(stride)
    values = [e for e in stride.elts] if isinstance(stride, (ast.Tuple, ast.List)) else [stride]
    if len(values) > 1 and len({ast.unparse(v) for v in values}) == 1:
        size = ast.unparse(values[0])
    prefix = head.rsplit(".", 1)[0] + "." if "." in head else ""
    pool = f"{prefix}MaxPooling{rank.group(1) if rank else 2}D({size})"
    exact = f"{prefix}MaxPooling{rank.group(1) if rank else 2}D(pool_size=1, strides={size})"
    fixed_conv = _without_keywords(text, conv, {"strides"})
    name_kw = _keyword(conv, "name")
    name = (str(name_kw.value.value) if name_kw is not None and isinstance(name_kw.value, ast.Constant)
            else head.rsplit(".", 1)[-1].lower())
    outer = next((str(k.value.value) for c in ast.walk(tree) if isinstance(c, ast.Call) and c is not conv
                  and ast.unparse(c.func).endswith(("Sequential", "Model"))
                  for k in c.keywords if k.arg == "name" and isinstance(k.value, ast.Constant)), None)
    in_list = any(isinstance(n, ast.List) and any(e is conv for e in n.elts) for n in ast.walk(tree))
    where = (f"`{fixed_conv}, {pool}` in the list" if in_list
             else f"`{fixed_conv}` followed by `{pool}` on its output")
    return Mismatch(
        f"{outer}/{name}" if outer else name, "strides -> dilation_rate", "strides=1 where dilation_rate > 1",
        f"strides={size} with dilation_rate={ast.unparse(_keyword(conv, 'dilation_rate').value)}",  # type: ignore[union-attr]
        f"Keras' convolutions cannot skip positions (strides) and spread the kernel (dilation_rate) in one layer. Keep "
        f"the dilation at stride 1 and downsample after it by the same factor: {where}. `{exact}` in the pooling's "
        f"place keeps exactly the positions the strided convolution computed (with padding=\"valid\").",
    )


# --- a compiled loss with reduction=None ----------------------------------------------------------------------------

_NOT_SCALAR = re.compile(r"Gradient only defined for scalar-output functions|grad can be implicitly created only for "
                         r"scalar outputs")


def _loss_not_reduced(case: Any) -> Mismatch | None:
    """``loss=SomeLoss(reduction=None)`` in compile: fit differentiates the loss, which must be one number."""
    model = case.fitted_model() if _NOT_SCALAR.search(case.message) else None
    losses = [loss for loss in keras.tree.flatten(getattr(model, "loss", None) or [])
              if isinstance(loss, keras.losses.Loss) and getattr(loss, "reduction", "x") in (None, "none")]
    if model is None or not losses:
        return None
    var = case.var(model)
    calls = [c for c in _script_calls(case, "compile") if isinstance(c.func, ast.Attribute)
             and isinstance(c.func.value, ast.Name) and c.func.value.id == var]
    given = [n for c in calls for n in ast.walk(c) if isinstance(n, ast.Call) and _keyword(n, "reduction") is not None]
    fixed = _without_keywords(_script(case), given[-1], {"reduction"}) if given else f"keras.losses.{type(losses[0]).__name__}()"
    return Mismatch(
        model.name, f"loss -> {model.name}", "a loss reduced to one number", f"{type(losses[0]).__name__}(reduction=None): "
        "one loss per sample",
        f"With reduction=None the compiled loss is a vector of per-sample losses, and fit needs one number to "
        f"differentiate (JAX and PyTorch refuse a vector; TensorFlow sums it silently). Compile with the default "
        f"reduction, `loss={fixed}`, and call the loss object yourself on predictions where you want per-sample values.",
    )


# --- ops.split(x, k) where k does not divide the width ---------------------------------------------------------------

_UNEVEN = re.compile(r"evenly divisible by (?P<k>\d+) but is (?P<w>\d+)|array split does not result in an equal "
                     r"division|x\.shape\[-?\d+\]=(?P<w2>\d+) is not divisible by (?P<k2>\d+)")


def _split_sections(cls: type) -> int | None:
    call = _method(cls, "call")
    for node in ast.walk(call) if call is not None else []:
        if (isinstance(node, ast.Call) and ast.unparse(node.func).endswith("split") and len(node.args) > 1
                and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, int)):
            return int(node.args[1].value)
    return None


def _split_not_dividing(case: Any) -> Mismatch | None:
    """``ops.split(x, k, axis=-1)`` in a user's layer on a width ``k`` does not divide: the layer before it gets a
    width that ``k`` divides (the next multiple up)."""
    m = _UNEVEN.search(case.message)
    layers = [f.f_locals["self"] for f in _frames(case.exc) if m and f.f_code.co_name == "call"
              and isinstance(f.f_locals.get("self"), keras.layers.Layer) and _split_sections(type(f.f_locals["self"]))]
    if not layers or m is None:
        return None
    layer = layers[-1]
    k = _split_sections(type(layer)) or 0
    inputs = _inputs_of_call(case.exc, layer)
    width = inputs[0].shape[-1] if inputs else None
    if not isinstance(width, int) or k < 2:
        return None
    target = math.ceil(width / k) * k
    source = _producer(inputs[0])
    ctor = None
    for c in (n for n in _all_calls(case) if _keyword(n, "name") is not None):
        kw = _keyword(c, "name")
        if isinstance(kw.value, ast.Constant) and kw.value.value == source and c.args:  # type: ignore[union-attr]
            ctor = c
    fix = "give the layer before it a width that {k} divides"
    script = _script(case)
    written = ast.get_source_segment(script, ctor) if ctor is not None else None
    if ctor is not None and written and isinstance(ctor.args[0], ast.Constant) and ctor.args[0].value == width:
        head = ast.get_source_segment(script, ctor.func) or ""
        first = ast.get_source_segment(script, ctor.args[0]) or str(width)
        new = head + re.sub(rf"^\(\s*{re.escape(first)}", f"({target}", written[len(head):], count=1)
        fix = f"give {source} a width that {k} divides: `{new}`"
    return Mismatch(
        _outer_path(case, layer), f"{source or 'input'} -> {layer.name}", f"a width that {k} divides",
        f"width {width}",
        f"{type(layer).__name__}.call splits its input into {k} equal parts along the last axis, but {source or 'its input'} "
        f"gives {width} features, which {k} does not divide. Make the width a multiple of {k}; {fix.format(k=k)} "
        f"(or split at explicit indices).",
    )



# --- load_model on a SavedModel folder -----------------------------------------------------------------------------

_NOT_A_FILE_FORMAT = re.compile(r"File format not supported: filepath=(?P<path>.+?)\. Keras 3 only supports")


def _savedmodel_folder(case: Any) -> Mismatch | None:
    """``keras.models.load_model(folder)`` on a TensorFlow SavedModel (``model.export`` or Keras 2's
    ``model.save(folder)``): Keras 3 reloads it only as an inference layer, ``keras.layers.TFSMLayer``."""
    m = _NOT_A_FILE_FORMAT.search(case.message)
    folder = m.group("path") if m else ""
    found = _statement(case) if m and os.path.isfile(os.path.join(folder, "saved_model.pb")) else None
    if found is None:
        return None
    text, tree = found
    loads = _calls(tree, "load_model")
    if not loads or not loads[0].args:
        return None
    arg = ast.unparse(loads[0].args[0])
    endpoint = "serving_default"
    try:
        import tensorflow as tf

        loaded = tf.saved_model.load(folder)
        endpoint = "serve" if hasattr(loaded, "serve") else next(iter(loaded.signatures), endpoint)
    except Exception:  # TensorFlow missing or the folder unreadable: the usual Keras 2 endpoint
        pass
    layer = f'keras.layers.TFSMLayer({arg}, call_endpoint="{endpoint}", trainable=False)'
    rewritten = _replace_all(text, [(loads[0], layer)]).strip()
    exported = [c.func.value.id for c in _all_calls(case) if isinstance(c.func, ast.Attribute)  # type: ignore[attr-defined]
                and c.func.attr in ("export", "save") and isinstance(c.func.value, ast.Name) and c.args
                and ast.unparse(c.args[0]) == arg]
    model = case.scope.get(exported[0]) if exported else None
    name = model.name if isinstance(model, keras.Model) else os.path.basename(folder.rstrip("/"))
    note = "" if keras.backend.backend() == "tensorflow" else " (TFSMLayer runs on the TensorFlow backend)"
    return Mismatch(
        name, "file -> load_model", "a .keras or .h5 file", "a TensorFlow SavedModel folder",
        f"{folder} is a TensorFlow SavedModel, which Keras 3's load_model does not read. Reload it as an inference-only "
        f"layer and build on it{note}: `{rewritten}` (trainable=False keeps its weights as saved; save models you "
        f"want to reload whole with model.save(\"name.keras\")).",
    )


# --- a Keras 2 config key that a Keras 3 layer rejects on load --------------------------------------------------------

_UNKNOWN_KEYS = re.compile(r"Unrecognized keyword arguments passed to (?P<cls>\w+): \{(?P<keys>[^}]*)\}")


def _saved_config(path: str) -> Any:
    """The model config a .h5 or .keras file holds, or None."""
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as z:
                return json.loads(z.read("config.json"))
        import h5py

        with h5py.File(path, "r") as f:
            raw = f.attrs.get("model_config")
            return json.loads(raw.decode() if isinstance(raw, bytes) else raw) if raw is not None else None
    except Exception:  # not a file this reader knows
        return None


def _config_path(config: Any, name: str, prefix: str = "") -> str | None:
    """The nested path of the layer ``name`` in a saved model config, below the outermost model."""
    for layer in (config.get("config", {}) or {}).get("layers", []) if isinstance(config, dict) else []:
        here = f"{prefix}{layer.get('config', {}).get('name')}"
        if layer.get("config", {}).get("name") == name:
            return here
        inner = _config_path(layer, name, here + "/")
        if inner is not None:
            return inner
    return None


def _config_key_on_load(case: Any) -> Mismatch | None:
    """``load_model`` on a file whose layer config holds a key the Keras 3 layer no longer takes (DepthwiseConv2D's
    ``groups`` written by Keras 2): load it through a subclass that drops the key."""
    m = _UNKNOWN_KEYS.search(case.message)
    found = _statement(case) if m else None
    loads = _calls(found[1], "load_model") if found else []
    if not loads or not loads[0].args or m is None or found is None:
        return None
    cls, keys = m.group("cls"), re.findall(r"'(\w+)'", m.group("keys"))
    named = re.search(r"config=\{'name': '(?P<n>[^']+)'", case.message)
    arg = loads[0].args[0]  # a literal path or the user's variable holding it
    path = arg.value if isinstance(arg, ast.Constant) else case.scope.get(arg.id) if isinstance(arg, ast.Name) else None
    config = _saved_config(path) if isinstance(path, str) else None
    name = named.group("n") if named else cls.lower()
    where = (_config_path(config, name) if config is not None else None) or name
    compat = f"{cls}Compat"
    pops = "\n".join(f'        kwargs.pop("{k}", None)' for k in keys)
    block = (f"class {compat}(keras.layers.{cls}):\n    def __init__(self, **kwargs):\n{pops}\n"
             f"        super().__init__(**kwargs)")
    written = ast.get_source_segment(found[0], loads[0]) or ast.unparse(loads[0])
    load = written[:-1].rstrip() + f', custom_objects={{"{cls}": {compat}}})'
    listed = ", ".join(keys)
    return Mismatch(
        where, f"file -> {name}", f"{cls}'s Keras 3 arguments", f"the saved config's {listed}",
        f"The file was written by an older Keras whose {cls} config held {listed}, which Keras 3's {cls} does not "
        f"take. Load it through a subclass that drops {'it' if len(keys) == 1 else 'them'}:\n{textwrap.indent(block, '    ')}\n"
        f"    and `{load}` (or re-save the model as .keras with the Keras that wrote it).",
    )


# --- strings into a model under JAX or PyTorch -----------------------------------------------------------------------

_STRING_DATA = re.compile(r"Invalid dtype: (?:object|str\d*|<U\d+|bytes\d*)")


def _strings_on_backend(case: Any) -> Mismatch | None:
    """A model whose Input takes strings (TextVectorization, StringLookup inside) fitted on text under JAX or
    PyTorch, whose tensors hold no strings: the text layer runs on the data, outside the model
    (``_explain_strings``, the one reader of this failure)."""
    from kernest._explain_strings import data_argument, text_outside_the_model

    model = case.fitted_model() if _STRING_DATA.search(case.message) else None
    if model is None or keras.backend.backend() == "tensorflow":
        return None
    statement = _statement(case)
    given = data_argument(statement[0], case.scope) if statement is not None else None
    if given is None:
        return None  # no data call read on the line: the string-data family names the array
    return text_outside_the_model(model, *given, case.var)
