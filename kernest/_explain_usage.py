"""Failures in what surrounds a model: callbacks, compile, fit's arguments and data, labels, a Sequential's list, RNN
cells, a subclassed call() that predicts. Keras names the cause in its own words; these rules give the fix in the
user's names (the lead's probe models, round 7)."""

from __future__ import annotations

import ast
import difflib
import inspect
import re
import textwrap
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from kernest._callsite import calls_on, value_of
from kernest._errors import Mismatch
from kernest._explain_args import _fit_call as _call_on_line
from kernest._explain_args import _site_text, _statement
from kernest._explain_tape import tape_step_on_torch
from kernest._graph import is_symbolic, producer
from kernest._lint_silent import layernorm_refused


def usage_failure(case: Any) -> Mismatch | None:
    """The first rule below whose Keras message (or, for fit's arguments, whose call) matches the failure."""
    for pattern, rule in _RULES:
        m = pattern.search(case.message) if pattern is not None else None
        if pattern is None or m:
            found = rule(case, m)
            if found is not None:
                return found
    return None


def _fit_call(case: Any) -> Any:
    """The fit/evaluate call on the user's failing line, on a model (these read labels); None otherwise."""
    found = _call_on_line(case)
    return found if found is not None and found.model is not None and found.method in ("fit", "evaluate") else None


def _first_rows(value: Any, n: int = 2) -> Any:
    return keras.tree.map_structure(lambda a: a[:n] if isinstance(a, np.ndarray) else a, value)


# --- a callback watching a name fit never logs --------------------------------------------------------------------

def _logged_names(model: Any, call: Any) -> list[str]:
    """The names fit logs for ``model`` (``loss``, ``accuracy``, ``val_loss`` ...), read by running the model's test
    step on two samples of the data the call gives; [] when the data cannot be sliced."""
    x, y = call.value("x"), call.value("y")
    if x is None or y is None:
        return []
    try:
        names = list(model.test_on_batch(_first_rows(x), _first_rows(y), return_dict=True))
    except Exception:  # the data itself is wrong too: other rules say so
        return []
    validated = call.node("validation_data") is not None or call.node("validation_split") is not None
    return names + [f"val_{n}" for n in names] if validated else names


def _monitor_unknown(case: Any, m: re.Match[str]) -> Mismatch | None:
    """ModelCheckpoint/EarlyStopping in mode "auto" watching a name that holds neither "acc" nor "loss": Keras
    cannot tell whether higher is better and stops before the first epoch; mostly the name is one fit never logs
    (``val_acc`` where Keras 3 logs ``val_accuracy``)."""
    call = _fit_call(case)
    if call is None:
        return None
    kind, monitor = m.group("cb"), m.group("monitor")
    logged = _logged_names(call.model, call)
    name = call.model.name
    if logged and monitor not in logged:
        near = difflib.get_close_matches(monitor, logged, n=1, cutoff=0.5)
        fix = (f"{kind}(monitor=\"{monitor}\") names a value fit never logs; {name} logs {', '.join(sorted(logged))}. "
               + (f"Watch the logged one: {kind}(..., monitor=\"{near[0]}\")." if near else "Watch one of those.")
               + " (Keras 3 logs a metric under the name it was given in compile: metrics=[\"accuracy\"] logs "
                 "\"accuracy\" and \"val_accuracy\".)")
    else:
        fix = (f"Keras cannot tell from the name \"{monitor}\" whether higher or lower is better. Say it: "
               f"{kind}(..., monitor=\"{monitor}\", mode=\"max\") for a score, mode=\"min\" for an error.")
    return Mismatch(name, f"{name} -> {kind}", "a monitor fit logs", f'monitor="{monitor}"', fix)


# --- fit's validation_data given one array ----------------------------------------------------------------------

def _validation_without_labels(case: Any, m: Any) -> Mismatch | None:
    """``validation_data=(x_val)``: the parentheses make no tuple, so Keras gets inputs without labels and fails
    when it computes the validation loss (each backend in its own words)."""
    call = _fit_call(case)
    node = call.node("validation_data") if call is not None else None
    value = call.value("validation_data") if call is not None else None
    if node is None or not isinstance(value, np.ndarray):
        return None
    text = call.call.text(node)
    labels = _labels_named_like(case.scope, text, len(value), call.text("y"))
    name = call.model.name
    return Mismatch(
        name, f"validation_data -> {name}", "validation_data=(inputs, labels)", f"validation_data={text}, inputs only",
        f"validation_data={text} passes the validation inputs without their labels ((x) in parentheses is not a "
        f"tuple), so Keras has nothing to compare {name}'s predictions with. Pass both: "
        f"validation_data=({text}, {labels}).")


def _labels_named_like(scope: dict[str, Any], x_text: str, rows: int, train_labels: str | None) -> str:
    """The variable in scope that most likely holds the labels of ``x_text``: an array of as many rows whose name
    is the inputs' with x -> y (``x_val`` -> ``y_val``, ``xv`` -> ``yv``); else a placeholder."""
    guess = re.sub(r"(?<![A-Za-z])x|X(?![a-z])", lambda f: "y" if f.group(0) == "x" else "Y", x_text, count=1)
    value = scope.get(guess)
    if guess != x_text and isinstance(value, np.ndarray) and len(value) == rows:
        return guess
    like = f" (like {train_labels})" if train_labels and train_labels.isidentifier() else ""
    return f"<the labels of {x_text}{like}>"


# --- a generator that yields inputs only ---------------------------------------------------------------------------

def _generator_without_labels(case: Any, m: re.Match[str]) -> Mismatch | None:
    """A Python generator given to fit that yields arrays, not ``(inputs, labels)`` tuples."""
    call = _fit_call(case)
    node = call.node("x") if call is not None else None
    if not isinstance(node, ast.Call):
        return None
    fn = case.scope.get(ast.unparse(node.func))
    try:
        tree = ast.parse(inspect.getsource(fn)) if inspect.isfunction(fn) else None
    except (OSError, TypeError, SyntaxError):
        tree = None
    yields = [n for n in ast.walk(tree) if isinstance(n, ast.Yield) and n.value is not None] if tree else []
    if not yields or any(isinstance(y.value, (ast.Tuple, ast.List)) for y in yields) or yields[0].value is None:
        return None  # a list is read as one input structure: _explain_fit says to make it a tuple
        return None
    written = ast.unparse(yields[0].value)
    name = call.model.name
    return Mismatch(
        name, f"{fn.__name__} -> {name}", "batches (inputs, labels)", f"yield {written}, inputs only",
        f"{fn.__name__}() yields the inputs alone (yield {written}), and fit needs the labels of each batch too, a "
        f"tuple. Yield both: yield {written}, <the labels of that batch> (a third item, sample weights, is "
        "optional).")


# --- compile without a loss ----------------------------------------------------------------------------------------

def _loss_for(model: Any) -> str:
    """The usual loss for the model's (first) output: its width and activation."""
    from kernest._lint import _squashing, output_layer

    tensor = model.outputs[0] if getattr(model, "outputs", None) else None
    if tensor is None:
        return '"mse"'
    layer, _ = output_layer(tensor)
    squash = _squashing(layer) if layer is not None else None
    if squash == "sigmoid":
        return '"binary_crossentropy"'
    if squash == "softmax":
        return '"sparse_categorical_crossentropy"'
    return '"mse"'


def _compile_without_loss(case: Any, m: re.Match[str]) -> Mismatch | None:
    call = _fit_call(case)
    if call is None:
        return None
    from kernest._explain_fit import _compile_statement

    var = call.owner
    found = _compile_statement(case, var) if var.isidentifier() else None
    loss = _loss_for(call.model)
    if found is not None:
        source, node, _ = found
        written = ast.get_source_segment(source, node) or ast.unparse(node)
        fixed = written[:-1].rstrip().rstrip(",") + f", loss={loss})"
    else:
        fixed = f"{var}.compile(optimizer=..., loss={loss})"
    what = {'"binary_crossentropy"': "a sigmoid output, labels 0/1", '"sparse_categorical_crossentropy"':
            "a softmax output, integer class ids (categorical_crossentropy for one-hot rows)"}.get(loss, "a linear "
            "output, numeric targets")
    name = call.model.name
    return Mismatch(
        name, f"{name} -> compile", "a loss", "compile() without loss=",
        f"{name} was compiled without a loss and no layer adds one (add_loss), so fit has nothing to minimise. "
        f"Give it one: {fixed} ({what}).")


# --- labels outside [0, 1] for a binary cross-entropy -----------------------------------------------------------------

def _labels_not_probabilities(case: Any, m: re.Match[str]) -> Mismatch | None:
    """PyTorch refuses labels outside [0, 1] for its binary cross-entropy; TensorFlow and JAX train on them (a
    warning of ``check --strict``, ``_lint._labels_outside_probabilities``, which words both)."""
    from kernest._lint import _labels_outside_probabilities

    call = _fit_call(case)
    found = _labels_outside_probabilities(call.model, call.value("y")) if call is not None else []
    if not found:
        return None
    first = found[0]
    return Mismatch(first.path, first.interface, "labels in [0, 1]", f"labels {call.text('y')} outside it",
                    f"{first.problem} {first.fix[:1].upper()}{first.fix[1:]}")


# --- Keras 2 names Keras 3 dropped ----------------------------------------------------------------------------------

def _legacy_optimizer(case: Any, m: re.Match[str]) -> Mismatch | None:
    text = _site_text(case).strip()
    legacy = re.search(r"((?:tf\.)?keras\.optimizers\.legacy\.)(\w+)", text)
    if legacy is None:
        return None
    fixed = text.replace(legacy.group(1), "keras.optimizers.")
    owner = re.search(r"(\w+)\.compile\(", text)
    model = case.scope.get(owner.group(1)) if owner else None
    name = model.name if isinstance(model, keras.Model) else "model"
    return Mismatch(
        name, f"{name} -> optimizer", "a Keras 3 optimizer", legacy.group(0),
        f"{legacy.group(0)} is a Keras 2 optimizer, and Keras 3 has no legacy optimizers. Its own "
        f"keras.optimizers.{legacy.group(2)} takes the same settings: {fixed}")


# --- labels one-hot encoded with too few classes -------------------------------------------------------------------

def _too_few_classes(case: Any, m: re.Match[str]) -> Mismatch | None:
    """``to_categorical(y, num_classes=4)`` with labels up to 4: NumPy's index error from inside Keras."""
    text = _site_text(case).strip()
    if "to_categorical" not in text:
        return None
    high, given = int(m.group("index")), int(m.group("size"))
    call = next((c for c in calls_on(text) if c.text(c.node.func).endswith("to_categorical")), None)
    written = call.text() if call is not None else "keras.utils.to_categorical(y)"
    counted = re.sub(r"num_classes\s*=\s*\d+", f"num_classes={high + 1}", written)
    fixed = counted if counted != written else written[:-1] + f", num_classes={high + 1})"
    heads = [mdl for mdl in case.models() if len(getattr(mdl, "outputs", None) or []) == 1]
    units = heads[-1].outputs[0].shape[-1] if heads else None
    head = f" The head then needs {high + 1} units (it has {units})." if units is not None and units != high + 1 else ""
    return Mismatch(
        "labels", "labels -> to_categorical", f"class ids 0..{given - 1}", f"a class id {high}",
        f"the labels reach {high}, so they hold {high + 1} classes (ids 0..{high}), but num_classes={given} makes "
        f"{given} columns. Count them all: {fixed}, or map the labels to 0..{given - 1} first.{head}")


# --- an Input in the middle of a Sequential's layers ---------------------------------------------------------------

def _input_inside_sequential(case: Any, m: re.Match[str]) -> Mismatch | None:
    text = _site_text(case).strip()
    for call in calls_on(text):
        items = call.node.args[0].elts if call.node.args and isinstance(call.node.args[0], ast.List) else []
        inputs = [e for e in items if isinstance(e, ast.Call) and call.text(e.func).endswith("Input")]
        if len(inputs) < 2 or not call.text(call.node.func).endswith("Sequential"):
            continue
        later = [call.text(e) for e in inputs[1:]]
        kept = [call.text(e) for e in items if all(e is not i for i in inputs[1:])]
        name = m.group("model")
        return Mismatch(
            name, f"{later[0]} -> {name}", "one Input, first", ", ".join(later) + " after other layers",
            f"a Sequential takes one Input, as its first item; each layer after it gets the output of the one "
            f"before, so {', '.join(later)} in the middle is not needed (and Keras refuses it). Leave it out: "
            f"keras.Sequential([{', '.join(kept)}], ...).")
    return None


# --- an RNN cell without state_size --------------------------------------------------------------------------------

def _cell_without_state_size(case: Any, m: re.Match[str]) -> Mismatch | None:
    cls = m.group("cls")
    width = _width_attribute(case.scope.get(cls))
    size = width or "<the width of the state it returns>"
    return Mismatch(
        cls, f"{cls} -> RNN", "a cell with state_size", f"{cls} without state_size",
        f"keras.layers.RNN asks its cell how wide each state is, to make the initial states, and {cls} does not say. "
        f"Set it in {cls}.__init__, after super().__init__(...): self.state_size = {size} (a list, one width per "
        f"state, where call returns several), and self.output_size = {size}.")


def _width_attribute(cls: Any) -> str | None:
    """``self.units`` (or the like) where the cell's ``__init__`` keeps its width."""
    try:
        source = inspect.getsource(cls.__init__) if inspect.isclass(cls) else ""
    except (OSError, TypeError):
        source = ""
    found = re.search(r"self\.(units|hidden_size|hidden|size|dim|state_dim)\s*=", source)
    return f"self.{found.group(1)}" if found else None


def _cell_states_off_state_size(case: Any, m: Any) -> Mismatch | None:
    """A custom RNN cell whose ``state_size`` lists N states while its ``call`` returns a list of M new states:
    the RNN loop carries the N it made, and gets M back (TensorFlow: "Too few leaves for PyTreeSpec"; JAX: the
    model cannot be built). Read from the cell's ``state_size`` and the ``return`` of its ``call``."""
    from kernest._explain_custom import _source_of
    from kernest._graph import layers

    found: list[Mismatch] = []
    for model in [x for x in case.scope.values() if isinstance(x, keras.Model)]:
        for inner, layer in layers(model):
            path = f"{model.name}/{inner}"
            cell = getattr(layer, "cell", None) if isinstance(layer, keras.layers.RNN) else None
            sizes = getattr(cell, "state_size", None)
            fn = _source_of(type(cell).__dict__.get("call")) if cell is not None else None
            if fn is None or not isinstance(sizes, (list, tuple)):
                continue
            back = [r.value.elts[1] for r in ast.walk(fn) if isinstance(r, ast.Return)
                    and isinstance(r.value, ast.Tuple) and len(r.value.elts) == 2
                    and isinstance(r.value.elts[1], (ast.List, ast.Tuple))]
            if not back or len(back[0].elts) == len(sizes):  # type: ignore[attr-defined]
                continue
            cls, n, got = type(cell).__name__, len(sizes), len(back[0].elts)  # type: ignore[attr-defined]
            found.append(Mismatch(
                path, f"{cls}.call -> {layer.name}", f"{n} new states (state_size={list(sizes)})",
                f"{got} ({ast.unparse(back[0])})",
                f"{cls} declares {n} states (self.state_size = {list(sizes)}), so {layer.name} gives call {n} states "
                f"and carries {n} to the next step, but call returns {got}: {ast.unparse(back[0])}. Return one new "
                f"state per declared one, or declare only the states call keeps: self.state_size = "
                f"{sizes[0] if got == 1 else list(sizes[:got])}."))
    return max(found, key=lambda f: len(f.path), default=None)  # as seen from the outermost model


def _wrapped_without_output_shape(case: Any, m: re.Match[str]) -> Mismatch | None:
    """``TimeDistributed`` (or another wrapper) around a layer or subclassed model of the user's that has no
    ``compute_output_shape``: the wrapper asks it for the shape of one step's output from shapes alone. The shape
    is found by tracing the wrapped layer on one step's input, and printed as the method to add."""
    cls = m.group("cls")
    frame = next((f for f in case.frames if isinstance(f.layer, keras.layers.Wrapper)
                  and type(f.layer.layer).__name__ == cls and f.inputs), None)
    if frame is None:
        return None
    wrapper, inner, given = frame.layer, frame.layer.layer, frame.inputs[0]
    step = tuple(given.shape[:1]) + tuple(given.shape[2:]) if isinstance(wrapper, keras.layers.TimeDistributed) else None
    try:
        out = inner.compute_output_spec(keras.KerasTensor(step, dtype=given.dtype)) if step else None
    except Exception:  # noqa: BLE001 - a layer that does not trace on one step: say what to add without the shape
        out = None
    shape = tuple(out.shape) if isinstance(out, keras.KerasTensor) else None
    body = (f"return (input_shape[0], {', '.join(str(d) for d in shape[1:])})"
            if shape else "return <the shape call() returns for input_shape>")
    return Mismatch(
        wrapper.name, f"{wrapper.name} -> {inner.name}", f"{cls}.compute_output_shape", f"{cls} without it",
        f"{type(wrapper).__name__} {wrapper.name} asks {cls} for the shape of its output from the input shape alone, "
        f"and {cls} (a subclassed {'model' if isinstance(inner, keras.Model) else 'layer'}) does not say. Add to "
        f"{cls}: def compute_output_shape(self, input_shape): {body}"
        + (f" (one step's output, traced from {step[1:]})." if shape and step else "."),
    )


# --- predict() inside call() ---------------------------------------------------------------------------------------

def _predict_in_call(case: Any, m: Any) -> Mismatch | None:
    """``self.encoder.predict(x)`` in a subclassed model's call(): predict runs a whole loop over NumPy batches and
    returns NumPy, so it cannot take the symbolic or traced tensor of a training step, and no gradient would
    flow back through it. Calling the part as a layer does both. Read from the source of call(), since some
    backends report only that the model could not be built."""
    from kernest._graph import layers

    model = case.fitted_model()
    if not isinstance(model, keras.Model):
        return None
    for path, layer in [("", model), *layers(model)]:
        found = _predict_line(layer)
        if found is None:
            continue
        text, call = found
        owner, args = call.text(call.node.func.value), call.text(call.node.args[0])
        part = owner.removeprefix("self.")
        where = f"{model.name}/{path}" if path else model.name
        return Mismatch(
            f"{where}/{part}", f"{part} -> {layer.name}", f"{owner}({args})", f"{call.text()} inside call",
            f"{type(layer).__name__}.call runs {call.text()}: predict is a loop over NumPy data that returns NumPy, "
            f"so it cannot take the tensor of a training step, and no gradient could reach {part}. Call the part as "
            f"a layer: {text.replace(call.text(), f'{owner}({args})')}")
    return None


def _predict_line(layer: Any) -> tuple[str, Any] | None:
    """The line of ``type(layer).call`` (a class the user wrote) that calls ``self.<part>.predict(...)``."""
    cls = type(layer)
    if cls.__module__.startswith(("keras", "kernest")):
        return None
    try:
        lines = inspect.getsource(cls.call).splitlines()
    except (OSError, TypeError):
        return None
    for line in lines:
        for call in calls_on(line.strip()):
            func = call.node.func
            if (isinstance(func, ast.Attribute) and func.attr == "predict" and call.node.args
                    and isinstance(func.value, ast.Attribute) and isinstance(func.value.value, ast.Name)
                    and func.value.value.id == "self"
                    and isinstance(getattr(layer, func.value.attr, None), keras.layers.Layer)):
                return line.strip(), call
    return None


# --- dropout or noise on integer ids -------------------------------------------------------------------------------

_NOISE = (keras.layers.Dropout, keras.layers.GaussianNoise, keras.layers.GaussianDropout, keras.layers.AlphaDropout)


def _noise_on_ids(case: Any, m: Any) -> Mismatch | None:
    """Dropout (or noise) on integer token ids: it scales numbers, and ids are names of words, not amounts (each
    backend refuses the integer tensor in its own words). Dropping belongs after the Embedding, on the vectors."""
    layer = case.layer
    given = case.tensor
    if not isinstance(layer, _NOISE) or given is None or "int" not in str(getattr(given, "dtype", "")):
        return None
    path = case.path(layer.name)
    kind = type(layer).__name__
    return Mismatch(
        path, case.interface(layer.name), "float features", f"integer ids {getattr(given, 'dtype', '')}",
        f"{kind} {layer.name} gets integer ids; it zeroes and rescales numbers, and an id names a token, it is not "
        f"an amount (Keras refuses it). Apply it after the Embedding, to the vectors: keras.layers.{kind}(...) on "
        "the Embedding's output, or keras.layers.SpatialDropout1D(...) there to drop whole token vectors.")


# --- a key the outputs of a model do not have --------------------------------------------------------------------

def _output_dict(node: ast.expr, scope: dict[str, Any]) -> tuple[dict[str, Any], str] | None:
    """The dict of tensors that ``node`` (the subscripted value on the user's line) holds, and the name of the model
    or layer that made it: a name holding a model's dict outputs, or ``model(x)`` written inline."""
    if isinstance(node, ast.Call):
        maker = value_of(node.func, scope)
        value = getattr(maker, "output", None)
    else:
        value = value_of(node, scope)
        makers = {producer(t) for t in value.values()} if isinstance(value, dict) else set()
        maker = makers.pop() if len(makers) == 1 else None
    if not isinstance(value, dict) or not value or not all(
            is_symbolic(t) or keras.ops.is_tensor(t) for t in value.values()):
        return None
    return value, str(getattr(maker, "name", None) or ast.unparse(node))


def _missing_output_key(case: Any, _: Any) -> Mismatch | None:
    """``features["pooled"]`` on the dict of tensors a model returns (a nested model built with dict outputs), where
    the dict has no such key: the keys it has, the closest one put in the user's own line."""
    exc = case.exc
    if not isinstance(exc, KeyError) or len(exc.args) != 1 or not isinstance(exc.args[0], str):
        return None
    key, text = exc.args[0], _statement(case) or _site_text(case).strip()
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and node.slice.value == key):
            continue
        found = _output_dict(node.value, case.scope)
        if found is None:
            continue
        outputs, maker = found
        keys = [str(k) for k in outputs]
        near = difflib.get_close_matches(key, keys, n=1, cutoff=0.5)
        quoted = re.compile(rf"(['\"]){re.escape(key)}\1")
        fixed = quoted.sub(rf"\g<1>{near[0]}\g<1>", text) if near else ""
        listed = ", ".join(f'"{k}"' for k in keys)
        fix = (f"{maker} returns a dict of {len(keys)} output(s) keyed {listed} (the keys it was built with), and "
               f'"{key}" is not one of them. '
               + (f"Use the key it has: `{fixed}` (line {case.site.line})." if fixed and case.site is not None
                  else f"Use one of those keys, or rebuild {maker} with its outputs keyed \"{key}\"."))
        return Mismatch(maker, f"{maker} -> {ast.unparse(node)}", f"a key of the outputs of {maker} ({listed})",
                        f'"{key}"', fix)
    return None


def _outermost_first(case: Any) -> list[Any]:
    """The models in the user's scope, the one whose fit failed first, so that paths start at the outermost model."""
    fitted = case.fitted_model()
    return ([fitted] if fitted is not None else []) + case.models()


# --- a constant array beside tensors in a merge layer ---------------------------------------------------------

def _constant_beside_tensors(case: Any, _: Any) -> Mismatch | None:
    """The layer that failed is a merge layer the user called on a constant array beside the model's tensors
    (``kernest._lint_wiring``): what Keras says about the shapes is a symptom of the missing batch axis."""
    from kernest._lint_wiring import constant_merges

    failing = {id(frame.layer) for frame in case.frames}
    for model in _outermost_first(case):
        for layer, finding in constant_merges(model, case.scope):
            if id(layer) in failing:
                return finding.as_mismatch()
    return None


# --- a stateful LSTM/GRU trained on PyTorch ----------------------------------------------------------------------

def _stateful_rnn_on_torch(case: Any, _: Any) -> Mismatch | None:
    """PyTorch's "modified by an inplace operation" from a model holding a stateful LSTM or GRU: the layer's fused
    path (``use_cudnn="auto"``) writes its state in place while autograd still needs the old one (keras-team/keras
    #20875, #23462); the step-by-step path (``use_cudnn=False``) trains. The fix adds that argument to the user's own
    constructor calls."""
    from kernest._callsite import user_tree
    from kernest._graph import walk

    found = next(((e.path, e.layer) for model in _outermost_first(case) for e in walk(model, shapes=False)
                  if isinstance(e.layer, (keras.layers.LSTM, keras.layers.GRU)) and e.layer.stateful
                  and getattr(e.layer, "use_cudnn", "auto") is not False), None)
    if found is None:
        return None
    path, layer = found
    source, tree = user_tree(case)
    made = [ast.get_source_segment(source, n) or ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.Call)
            and ast.unparse(n.func).split(".")[-1] in ("LSTM", "GRU") and any(k.arg == "stateful" for k in n.keywords)
            ] if tree is not None else []
    shown = "; ".join(f"`{text}` -> `{text[:-1]}, use_cudnn=False)`" for text in made)
    kind = type(layer).__name__
    return Mismatch(
        path, f"{path} -> fit", f"a {kind} whose state PyTorch can train through", f"stateful {kind}, use_cudnn=\"auto\"",
        f"on the PyTorch backend a stateful {kind} built with use_cudnn=\"auto\" (the default) updates its state in "
        f"place while autograd still needs the old one, so backpropagation stops (a Keras bug, keras-team/keras#20875 "
        f"and #23462; TensorFlow and JAX train it). Build it with use_cudnn=False, which runs the step-by-step path: "
        + (shown if shown else f"keras.layers.{kind}(..., stateful=True, use_cudnn=False)") + ".",
    )


# --- a Keras 2 style train_step on the JAX or PyTorch backend ---------------------------------------------------

def _compiled_loss_gone(case: Any, m: re.Match[str]) -> Mismatch | None:
    """``self.compiled_loss(y, pred)`` / ``self.compiled_metrics.update_state(...)`` in a custom ``train_step``:
    Keras 2's trainer attributes, which Keras 3 keeps on TensorFlow only; ``compute_loss`` / ``compute_metrics``
    are the Keras 3 methods on every backend."""
    cls, attr = m.group("cls"), m.group("attr")
    line = _site_text(case).strip()
    call = re.search(r"self\.compiled_loss\(\s*([^,()]+?)\s*,\s*([^,()]+?)\s*\)", line)
    if attr == "compiled_loss":
        new = (f"`{line.replace(call.group(0), f'self.compute_loss(y={call.group(1)}, y_pred={call.group(2)})')}`"
               if call else "self.compute_loss(y=y, y_pred=y_pred)")
        fix = f"call the Keras 3 method, which reads the loss given to compile: {new}"
    else:
        fix = ("update the compiled metrics the Keras 3 way: metrics = self.compute_metrics(x, y, y_pred, "
               "sample_weight=None), which updates every metric given to compile and returns their values to "
               "return from train_step")
    where = case.site.line if case.site is not None else "?"
    name, tape = _trainer(case, cls)
    if tape:
        fix += (f"; its tf.GradientTape records TensorFlow operations only, so on {keras.backend.backend()} take the "
                "gradients the backend's way too (PyTorch: loss.backward(), then the variables' .value.grad), or run "
                "the script with KERAS_BACKEND=tensorflow")
    return Mismatch(name, f"{name}.train_step -> {attr}", "a Keras 3 trainer method", f"self.{attr} (Keras 2)",
                    f"self.{attr} is Keras 2's trainer attribute; Keras 3 keeps it on TensorFlow only, so the "
                    f"train_step of {cls} fails on {keras.backend.backend()} (line {where}). Instead {fix}.")


def _trainer(case: Any, cls: str) -> tuple[str, bool]:
    """The name of the user's model of class ``cls``, and whether its train_step uses a tf.GradientTape."""
    model = next((m for m in case.models() if type(m).__name__ == cls), None)
    try:
        tape = model is not None and "GradientTape" in inspect.getsource(type(model).train_step)
    except (OSError, TypeError):
        tape = False
    return (str(model.name) if model is not None else cls), tape


def _train_step_of_tensorflow(case: Any, m: re.Match[str]) -> Mismatch | None:
    """On JAX, Keras calls ``train_step(state, data)`` and trains through the returned state: a train_step written
    for TensorFlow (``train_step(self, data)``, a GradientTape) cannot run there. The fix prints the JAX form."""
    if keras.backend.backend() != "jax":
        return None
    cls = m.group("cls")
    name = _trainer(case, cls)[0]
    model = next((x for x in case.models() if type(x).__name__ == cls), None)
    loss = getattr(model, "loss", None)
    loss_call = f"keras.losses.get({loss!r})(y, y_pred)" if isinstance(loss, str) else "self.loss(y, y_pred)"
    form = textwrap.indent(textwrap.dedent(f"""\
        def train_step(self, state, data):
            trainable_variables, non_trainable_variables, optimizer_variables, metrics_variables = state
            x, y = data

            def loss_fn(trainable_variables):
                y_pred, updated = self.stateless_call(trainable_variables, non_trainable_variables, x)
                return keras.ops.mean({loss_call}), updated

            (loss, non_trainable_variables), grads = jax.value_and_grad(loss_fn, has_aux=True)(trainable_variables)
            trainable_variables, optimizer_variables = self.optimizer.stateless_apply(
                optimizer_variables, grads, trainable_variables)
            return {{"loss": loss}}, (trainable_variables, non_trainable_variables, optimizer_variables,
                                    metrics_variables)"""), "    ")
    return Mismatch(name, "fit -> train_step", "train_step(self, state, data) (JAX)", "train_step(self, data)",
                    f"{cls}.train_step(self, data) is written for TensorFlow (and PyTorch), where Keras calls it with "
                    "the batch; on JAX Keras calls train_step(self, state, data) and trains through the state it "
                    "returns, with no gradient tape. Run this script with KERAS_BACKEND=tensorflow (or torch, with "
                    "the tape replaced by loss.backward()), or write the JAX form (import jax; keras.io: "
                    f"\"Customizing what happens in fit() with JAX\"):\n{form}")


# --- attention given one vector per sample --------------------------------------------------------------------

def _attention_on_vectors(case: Any, _: Any) -> Mismatch | None:
    """A ``MultiHeadAttention`` whose query, value or key is one vector per sample, ``(batch, width)`` (a nested
    model's pooled output): attention runs over a sequence axis, which such a tensor lacks. A sequence of one step,
    ``Reshape((1, width))``, is what attending to a single summary vector means."""
    from kernest._graph import call_nodes, is_input_layer, producer, walk

    for model in _outermost_first(case):
        for entry in walk(model, shapes=False):
            layer = entry.layer
            if not isinstance(layer, keras.layers.MultiHeadAttention):
                continue
            for node in call_nodes(layer):
                given = node.arguments  # query, value and key only: a 2-D attention_mask is another matter
                sides = [*given.args[:3], *(given.kwargs.get(k) for k in ("query", "value", "key"))]
                short = next((t for t in sides if hasattr(t, "shape") and len(t.shape) == 2), None)
                if short is None:
                    continue
                made = producer(short)
                side = ("input:" if is_input_layer(made) else "") + str(getattr(made, "name", "input"))
                width = short.shape[-1]
                var = next((k for k, v in case.scope.items() if v is short and not k.startswith("_")), None)
                reshaped = f"keras.layers.Reshape((1, {width}))({var or side + '(...)'})"
                return Mismatch(
                    f"{model.name}/{entry.path}", f"{side} -> {layer.name}", f"(batch, steps, {width}) (a sequence)",
                    f"(batch, {width}) (one vector per sample)",
                    f"{layer.name} attends over a sequence axis, and {side} gives one vector of {width} per sample "
                    f"(no steps). To attend to that vector as a sequence of one step, reshape it first: "
                    f"{reshaped}, given to {layer.name} in its place; or give {layer.name} the sequence before it "
                    "was pooled.",
                )
    return None


_RULES: list[tuple[re.Pattern[str] | None, Callable[[Any, Any], Mismatch | None]]] = [
    (re.compile(r"'(?P<cls>\w+)' object has no attribute '(?P<attr>compiled_loss|compiled_metrics)'"),
     _compiled_loss_gone),
    (re.compile(r"(?P<cls>\w+)\.train_step\(\) takes 2 positional arguments but 3 were given"),
     _train_step_of_tensorflow),
    (None, tape_step_on_torch),
    (re.compile(r"modified by an inplace operation"), _stateful_rnn_on_torch),
    (re.compile(r"(?P<cb>\w+) callback received monitor=(?P<monitor>\S+), but Keras isn't able to automatically "
                r"determine"), _monitor_unknown),
    (re.compile(r"When passing a Python generator to a Keras model, the generator must return a tuple"),
     _generator_without_labels),
    (re.compile(r"No loss to compute\. Provide a `loss` argument in `compile\(\)`"), _compile_without_loss),
    (re.compile(r"all elements of target should be between 0 and 1"), _labels_not_probabilities),
    (re.compile(r"`keras\.optimizers\.legacy` is not supported in Keras 3"), _legacy_optimizer),
    (re.compile(r"index (?P<index>\d+) is out of bounds for axis 1 with size (?P<size>\d+)"), _too_few_classes),
    (re.compile(r"Sequential model '(?P<model>[^']+)' has already been configured to use input shape .*? You cannot "
                r"add a different Input layer to it"), _input_inside_sequential),
    (re.compile(r"The RNN cell should have a `state_size` attribute.*?Received: cell=<(?P<cls>\w+)", re.S),
     _cell_without_state_size),
    (re.compile(r"Layer (?P<cls>\w+) does not have a `compute_output_shape` method implemented"),
     _wrapped_without_output_shape),
    (re.compile(r"leaves for PyTreeSpec|spec refers to a pytree|Unable to automatically build|structure"), _cell_states_off_state_size),
    (re.compile(r"Given normalized_shape=|Unable to automatically build the model"), layernorm_refused),
    (None, _validation_without_labels),
    (None, _predict_in_call),
    (None, _noise_on_ids),
    (None, _missing_output_key),
    (None, _constant_beside_tensors),
    (re.compile(r"rank|dimension|[Ss]hape|einsum|size"), _attention_on_vectors),
]
