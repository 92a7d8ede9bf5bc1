"""Failures in what the user handed to Keras: a constructor's arguments (``Permute``'s dims counted with the batch
axis, ``Bidirectional`` around a layer that is not recurrent), a class of theirs that never ran Keras' own
``__init__``, compile's optimizer given as a class, and fit's data arranged otherwise than the model's inputs (a
Python list of per-sample arrays, ``validation_data`` as one flat tuple). Each reader works from the user's own
statement, names and values; the fix is that statement rewritten."""

from __future__ import annotations

import ast
import inspect
import linecache
import re
from typing import Any

import keras
import numpy as np

from kernest._callsite import file_tree, model_call, name_kw, value_of
from kernest._errors import Mismatch
from kernest._explain_custom import first_answer, unknown_build_axis
from kernest._lint import _parsed_function
from kernest._trace import is_user_file


def argument_failure(case: Any) -> Mismatch | None:
    """The first of the readers below that recognises the failure, or None."""
    return first_answer(case, (_layer_never_called, _permute_counts_batch, _bidirectional_not_recurrent, _super_init_never_called,
                               _optimizer_class, _loss_called_at_compile, _validation_flat_tuple, _list_of_samples,
                               _weight_undefined_axis))


# --- helpers ------------------------------------------------------------------------------------------------------

def _site_text(case: Any) -> str:
    return case.site.text if case.site is not None else ""


def _statement(case: Any) -> str:
    """The whole statement of the user's failing line (a ``Sequential([...])`` may run over several lines)."""
    site = case.site
    return _statement_at(site.file, site.line, site.text.strip()) if site is not None else ""


def _statement_at(file: str, line: int, fallback: str = "") -> str:
    """The whole (innermost simple) statement of ``file`` that holds ``line``."""
    source, tree = file_tree(file)
    if tree is None:
        return fallback
    spans = [n for n in ast.walk(tree) if isinstance(n, ast.stmt) and not isinstance(n, (ast.FunctionDef, ast.ClassDef,
             ast.If, ast.For, ast.While, ast.With, ast.Try, ast.AsyncFunctionDef))
             and n.lineno <= line <= (n.end_lineno or n.lineno)]
    found = min(spans, key=lambda n: (n.end_lineno or n.lineno) - n.lineno, default=None)
    text = ast.get_source_segment(source, found) if found is not None else None
    return text or fallback


def _callee(call: ast.Call) -> str:
    return ast.unparse(call.func).split(".")[-1]


def _segment(text: str, node: ast.AST) -> str:
    """``node``'s own text in ``text`` (the user's spelling, quotes kept), ``ast.unparse`` where not found."""
    return ast.get_source_segment(text, node) or ast.unparse(node)


def _parsed(text: str) -> ast.AST | None:
    try:
        return ast.parse(text)
    except SyntaxError:
        return None


def _tensor_source(value: Any) -> str | None:
    """``input:NAME`` for a tensor a ``keras.Input`` made, the producing layer's name otherwise."""
    history = getattr(value, "_keras_history", None)
    layer = getattr(history, "operation", None) if history is not None else None
    if layer is None:
        return None
    return f"input:{layer.name}" if isinstance(layer, keras.layers.InputLayer) else layer.name


def _numpy_alias(scope: dict[str, Any]) -> str:
    return next((k for k, v in scope.items() if v is np), "np")


# --- a constructor's arguments -------------------------------------------------------------------------------------

def _fixed_dims(dims: tuple[int, ...]) -> tuple[int, ...] | None:
    """``Permute``'s dims without the batch axis: (0, 2, 1), NumPy's transpose with the batch axis first, -> (2, 1);
    a 0-based order of the other axes, (1, 0), -> (2, 1)."""
    rest = tuple(d for d in dims if d != 0)
    if dims[:1] == (0,) and len(rest) >= 2 and sorted(rest) == list(range(1, len(rest) + 1)):
        return rest
    if sorted(dims) == list(range(len(dims))):
        return tuple(d + 1 for d in dims)
    return None


def _enclosing_model_name(tree: ast.AST, inner: ast.Call) -> str | None:
    """The ``name=`` of a ``Sequential([...])`` (or ``Model``) call on the same statement that holds ``inner``."""
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and node is not inner and _callee(node) in ("Sequential", "Model")
                and any(sub is inner for sub in ast.walk(node))):
            return name_kw(node)
    return None


def _list_neighbour(tree: ast.AST, inner: ast.Call) -> str | None:
    """In ``Sequential([a, inner, ...])``: what comes before ``inner`` (``input:NAME`` for a named ``keras.Input``)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.List) and inner in node.elts:
            i = node.elts.index(inner)
            before = node.elts[i - 1] if i > 0 else None
            if isinstance(before, ast.Call):
                named = name_kw(before)
                if _callee(before) in ("Input", "InputLayer"):
                    return f"input:{named}" if named else "input"
                return named or _snake(_callee(before))
    return None


def _permute_counts_batch(case: Any) -> Mismatch | None:
    """``Permute((0, 2, 1))`` written as NumPy's ``transpose`` is (axis 0 the batch): Keras' dims leave the batch
    axis out and count from 1."""
    found = re.search(r"Invalid permutation argument `dims` for Permute Layer.*Received dims=(\([\d, ]*\))",
                      case.message, re.S)
    if found is None:
        return None
    line = _statement(case)
    tree = _parsed(line)
    if tree is None:
        return None
    call = next((n for n in ast.walk(tree) if isinstance(n, ast.Call) and _callee(n) == "Permute"), None)
    dims = tuple(ast.literal_eval(found.group(1)))
    fixed = _fixed_dims(dims)
    if call is None or fixed is None:
        return None
    node = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "dims"), None)
    if node is None:
        return None
    call_text = _segment(line, call)
    ctor = call_text.replace(_segment(line, node), repr(fixed), 1)
    name = name_kw(call) or "permute"
    outer = _enclosing_model_name(tree, call)
    path = f"{outer}/{name}" if outer else name
    producer = None
    for n in ast.walk(tree):  # ``Permute(...)(x)``: what it is called on
        if isinstance(n, ast.Call) and n.func is call and n.args:
            producer = _tensor_source(case.scope.get(ast.unparse(n.args[0])))
    producer = producer or _list_neighbour(tree, call) or "?"
    axes = ", ".join(f"axis {d} becomes {i + 1}" for i, d in enumerate(fixed))
    return Mismatch(
        path, f"{producer} -> {name}", f"dims over the axes after the batch axis, counted from 1: {fixed}",
        f"dims={dims}",
        f"Permute's dims leave the batch axis out and count the others from 1 (the batch axis always stays first), "
        f"so {dims} is not an order Keras can use; the order meant is {fixed} ({axes}). Write {ctor}.",
    )


def _class_source(cls: type) -> tuple[ast.ClassDef, str] | None:
    return _parsed_function(cls, ast.ClassDef)


def _attribute_ctor(cls: type, attr: str) -> str | None:
    """The user's text that makes ``self.<attr>`` in ``cls``'s source (``layers.LSTM(8, name="lstm")``)."""
    for klass in cls.__mro__:
        if not is_user_file(getattr(inspect.getmodule(klass), "__file__", "") or ""):
            continue
        parsed = _class_source(klass)
        if parsed is None:
            continue
        node, text = parsed
        for n in ast.walk(node):
            if (isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Attribute)
                    and n.targets[0].attr == attr and isinstance(n.value, ast.Call)):
                return ast.get_source_segment(text, n.value)
    return None


def _attributes(layer: Any) -> list[tuple[str, Any]]:
    """``(name, value)`` of the attributes the user's class assigns as ``self.<name> = ...`` (read from its source:
    on PyTorch a sub-layer lives in the module's ``_modules``, not in ``vars(layer)``)."""
    names: list[str] = []
    for klass in type(layer).__mro__:
        parsed = _class_source(klass) if is_user_file(getattr(inspect.getmodule(klass), "__file__", "") or "") else None
        for n in ast.walk(parsed[0]) if parsed else []:
            if (isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store) and isinstance(n.value, ast.Name)
                    and n.value.id == "self" and n.attr not in names):
                names.append(n.attr)
    out = []
    for name in names:
        try:
            out.append((name, getattr(layer, name)))
        except Exception:  # a property that cannot be read before the layer is built
            continue
    return out


def _wrapper_frame(exc: BaseException) -> Any:
    tb, found = exc.__traceback__, None
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_name == "__init__" and code.co_filename.replace("\\", "/").endswith("layers/rnn/bidirectional.py"):
            found = tb.tb_frame
        tb = tb.tb_next
    return found


def _bidirectional_not_recurrent(case: Any) -> Mismatch | None:
    """``Bidirectional(layer)`` around a layer that is not recurrent (a user's layer holding an LSTM): Keras makes
    the backward copy from the layer's config with ``go_backwards`` flipped, which only an RNN has."""
    frame = _wrapper_frame(case.exc)
    wrapped = frame.f_locals.get("layer") if frame is not None else None
    if not isinstance(wrapped, keras.layers.Layer) or isinstance(wrapped, keras.layers.RNN):
        return None
    text = _statement(case)
    tree = _parsed(text)
    bi = next((n for n in ast.walk(tree) if isinstance(n, ast.Call) and _callee(n) == "Bidirectional"), None) if tree else None
    bi_name = (name_kw(bi) if bi is not None else None) or "bidirectional"
    prefix = ast.unparse(bi.func)[: -len("Bidirectional")] if bi is not None else "keras.layers."
    cls = type(wrapped).__name__
    rnns = [(k, v) for k, v in _attributes(wrapped) if isinstance(v, keras.layers.RNN)]
    if rnns:
        attr, rnn = rnns[0]
        ctor = _attribute_ctor(type(wrapped), attr) or f"{prefix}{type(rnn).__name__}({rnn.units})"
        inside = f"self.{attr} = {prefix}Bidirectional({ctor})"
        direct = ""
        if bi is not None and bi.args:
            call_text = _segment(text, bi)
            inner_text = _segment(text, bi.args[0])
            direct = f"; then call {inner_text} itself where {bi_name} was: " + text.replace(call_text, inner_text)
        fix = (f"wrap the recurrent layer inside {cls} instead: in {cls}.__init__ write {inside}{direct}.")
    else:
        fix = (f"give Bidirectional a recurrent layer (LSTM, GRU, SimpleRNN or keras.layers.RNN(cell)); to run "
               f"{cls} both ways, make it take go_backwards= and return_sequences= and pass a backward_layer=.")
    return Mismatch(
        bi_name, f"{wrapped.name} -> {bi_name}", "a recurrent layer (LSTM, GRU, SimpleRNN, RNN) with go_backwards",
        f"{cls}, a {type(wrapped).__mro__[1].__name__}",
        f"Bidirectional runs its layer forward and a copy made from the layer's config with go_backwards flipped "
        f"backward; {cls} ({wrapped.name}) is not a recurrent layer, so Keras cannot make that copy (it looks up "
        f"{cls} as a registered class and its go_backwards). " + fix[:1].upper() + fix[1:],
    )


def _snake(cls: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", cls).lower()


def _calls_super_init(fn: ast.FunctionDef) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "__init__"
               for n in ast.walk(fn))


def _never_initialised(case: Any) -> type | None:
    """The user's Layer class, named by the message, whose own ``__init__`` never calls a base ``__init__``."""
    named = re.search(r"'(\w+)' object has no attribute|In layer '(\w+)', you forgot to call `super\(\)\.__init__\(\)`",
                      case.message)
    if named is None:
        return None
    wanted = named.group(1) or named.group(2)
    classes = [v for v in case.scope.values() if inspect.isclass(v) and v.__name__ == wanted]
    for cls in classes:
        if not issubclass(cls, keras.layers.Layer) or "__init__" not in vars(cls):
            continue
        parsed = _class_source(cls)
        init = next((n for n in parsed[0].body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None) if parsed else None
        if init is not None and not _calls_super_init(init):
            return cls
    return None


def _super_init_never_called(case: Any) -> Mismatch | None:
    """A user's Layer (or Model) subclass whose ``__init__`` never calls ``super().__init__``: Keras never sets
    up its name, weights tracking or call machinery, and the first use of any of them fails."""
    cls = _never_initialised(case)
    if cls is None:
        return None
    klass, text = _class_source(cls)  # type: ignore[misc]
    init = next(n for n in klass.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")
    kw = init.args.kwarg.arg if init.args.kwarg is not None else None
    call = f"super().__init__(**{kw})" if kw else "super().__init__()"
    base = ast.unparse(klass.bases[0]) if klass.bases else "keras.layers.Layer"
    tree = _parsed(_statement(case))
    made = next((n for n in ast.walk(tree) if isinstance(n, ast.Call) and _callee(n) == cls.__name__), None) if tree else None
    name = (name_kw(made) if made is not None else None) or _snake(cls.__name__)
    outer = _enclosing_model_name(tree, made) if made is not None and tree is not None else None
    path = f"{outer}/{name}" if outer else name
    line = inspect.getsourcelines(cls)[1] + init.lineno - 1
    passes = f"; pass {kw} on so name= reaches Keras" if kw else ""
    return Mismatch(
        path, f"{name} -> {base}", f"{base}.__init__ run first in {cls.__name__}.__init__",
        f"{cls.__name__}.__init__ without a super().__init__ call",
        f"{cls.__name__}.__init__ (line {line}) never calls {base}.__init__, so Keras never set the layer up: it has "
        f"no name, no weight tracking and no call machinery, and the first use of any of them fails ({case.message.splitlines()[0][:80]}). "
        f"Write {call} as the first statement of {cls.__name__}.__init__{passes}.",
    )


# --- compile's and fit's arguments --------------------------------------------------------------------------------

def _optimizer_class(case: Any) -> Mismatch | None:
    """``compile(optimizer=Adam)``: the class, where Keras takes an instance (or a name)."""
    call = model_call(_site_text(case), case.scope, ("compile",))
    if call is None:
        return None
    node, value = call.node("optimizer"), call.value("optimizer")
    if node is None or not (inspect.isclass(value) and issubclass(value, keras.optimizers.Optimizer)):
        return None
    name = call.model.name if isinstance(call.model, keras.Model) else call.owner
    given = ast.unparse(node)
    text = _site_text(case).strip()
    rewritten = text.replace(_segment(text, node), f"{_segment(text, node)}()", 1) if _segment(text, node) in text else None
    keyword = any(k.arg == "optimizer" for k in call.call.node.keywords)
    fix = f"optimizer={given}()" if keyword else f"{given}()"
    return Mismatch(
        name, f"optimizer -> {name}", f"an optimizer instance, {given}() (or its name, {value.__name__.lower()!r})",
        f"the class {given}",
        f"{given} is the optimizer class; compile takes an optimizer object (or a name such as "
        f"{value.__name__.lower()!r}), so Keras cannot interpret the class. Make one: {fix}"
        + (f" (with its settings, e.g. {given}(learning_rate=0.001)): {rewritten}." if rewritten else "."),
    )


_MISSING_ARGS = re.compile(r"(?P<fn>\w+)\(\) missing (?P<n>\d+) required positional arguments?: '(?P<a>\w+)'(?: and "
                           r"'(?P<b>\w+)')?")
_CLASS_OF: dict[int, str] = {}


def _class_for(fn: Any, module: Any, base: type) -> str | None:
    """The name of the class in ``module`` (``keras.losses``) whose objects wrap the function ``fn``
    (``BinaryFocalCrossentropy`` for ``binary_focal_crossentropy``); None where there is none."""
    if id(fn) in _CLASS_OF:
        return _CLASS_OF[id(fn)] or None
    found = ""
    for name, cls in vars(module).items():
        if not (inspect.isclass(cls) and issubclass(cls, base)) or cls is base:
            continue
        try:
            made = cls()
        except Exception:  # a class that needs arguments wraps no one function by default
            continue
        if (getattr(made, "fn", None) or getattr(made, "_fn", None)) is fn:
            found = name
            break
    _CLASS_OF[id(fn)] = found
    return found or None


def _loss_called_at_compile(case: Any) -> Mismatch | None:
    """``compile(loss=keras.losses.binary_focal_crossentropy(gamma=2.0))``: the loss function is called on the
    compile line with its settings only; compile takes a loss to call later with ``(y_true, y_pred)``."""
    m = _MISSING_ARGS.search(case.message)
    call = model_call(_site_text(case), case.scope, ("compile",)) if m is not None else None
    if m is None or call is None:
        return None
    for key in ("loss", "metrics"):
        given = call.node(key)
        inner = next((n for n in ast.walk(given) if isinstance(n, ast.Call) and _callee(n) == m.group("fn")), None) \
            if given is not None else None
        if inner is None:
            continue
        fn = value_of(inner.func, case.scope)
        if not callable(fn):
            return None
        text = _site_text(case).strip()
        callee = _segment(text, inner.func)
        settings = [_segment(text, a) for a in inner.args] + [_segment(text, k) for k in inner.keywords]
        module, base = (keras.losses, keras.losses.Loss) if key == "loss" else (keras.metrics, keras.metrics.Metric)
        cls = _class_for(fn, module, base) if getattr(fn, "__module__", "").startswith("keras") else None
        if cls is not None:
            prefix = callee.rsplit(".", 1)[0] + "." if "." in callee else f"keras.{key if key == 'metrics' else 'losses'}."
            right = f"{prefix}{cls}({', '.join(settings)})"
            how = f"{cls} takes the settings and is called by Keras with the labels and predictions"
        else:
            right = f"functools.partial({callee}, {', '.join(settings)})"
            how = f"functools.partial keeps the settings and leaves {m.group('a')}, {m.group('b') or '...'} to Keras"
        old = _segment(text, inner)
        rewritten = text.replace(old, right, 1) if old in text else None
        name = call.model.name if isinstance(call.model, keras.Model) else call.owner
        return Mismatch(
            name, f"{key} -> {name}", f"a {key[:-1] if key == 'metrics' else key} Keras calls later with "
            f"({m.group('a')}, {m.group('b') or '...'})", f"the call {old}",
            f"{old} calls the {key[:-1] if key == 'metrics' else key} function on the compile line with its settings "
            f"only, so Python asks for {m.group('a')} and {m.group('b') or 'the rest'} there. Pass something Keras can "
            f"call on each batch instead ({how}): {rewritten or right}.",
        )
    return None


_NOT_A_TENSOR = re.compile(r"Only input tensors may be passed as positional arguments\. The following argument value "
                           r"should be passed as a keyword argument: <(?P<cls>\w+) name=(?P<name>[^,>]+)")


def _receiving_layer(exc: BaseException, given: str) -> Any:
    """The layer whose Keras ``__call__`` got the layer object named ``given`` as a positional argument."""
    found, tb = None, exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        this = frame.f_locals.get("self")
        args = frame.f_locals.get("args") or ()
        if (frame.f_code.co_name == "__call__" and isinstance(this, keras.layers.Layer)
                and any(isinstance(a, keras.layers.Layer) and a.name == given for a in keras.tree.flatten(list(args)))):
            found = this
        tb = tb.tb_next
    return found


def _layer_never_called(case: Any) -> Mismatch | None:
    """``h = layers.GRU(32, name="gru")`` without ``(h)``: the layer object, not a tensor, reaches the next layer.
    The fix calls it on what the user's own variable held before that line."""
    m = _NOT_A_TENSOR.search(case.message)
    consumer = _receiving_layer(case.exc, m.group("name")) if m is not None else None
    if m is None or consumer is None or case.site is None:
        return None
    given = m.group("name")
    bare = _bare_beside_calls(case, given)
    if bare is not None:
        var, fixed = bare
        return Mismatch(
            str(consumer.name), f"{given} -> {consumer.name}", "a tensor (a layer's output)",
            f"the model {given} ({m.group('cls')}) itself, not called",
            f"{var} is passed to {consumer.name} as it is, the {m.group('cls')} object, beside outputs of parts called "
            f"on a tensor; {consumer.name} takes tensors. Call it as the others are: {fixed}",
        )
    made = _uncalled_assignment(case.site.file, given, m.group("cls"))
    if made is None:
        return None
    text, var, before = made
    fixed = f"{text}({before})" if before else f"{text}(<the tensor it takes>)"
    return Mismatch(
        str(consumer.name), f"{given} -> {consumer.name}", "a tensor (a layer's output)",
        f"the layer object {given} ({m.group('cls')}), never called",
        f"`{text}` makes the layer {given} but never calls it on a tensor, so {var} holds the layer itself and "
        f"{consumer.name} is handed a layer, not {given}'s output. Call it: {fixed}.",
    )


def _bare_beside_calls(case: Any, given: str) -> tuple[str, str] | None:
    """``Add()([a(inp), b])``: the layer ``given`` written bare in a list whose other items are calls on one
    tensor; the user's line with it called on that tensor too (``b(inp)``)."""
    text = case.site.text.strip()
    tree = _parsed(text)
    for node in ast.walk(tree) if tree is not None else []:
        if not isinstance(node, (ast.List, ast.Tuple)):
            continue
        bare = [e for e in node.elts if isinstance(e, ast.Name)
                and getattr(case.scope.get(e.id), "name", None) == given]
        args = {ast.unparse(e.args[0]) for e in node.elts if isinstance(e, ast.Call) and len(e.args) == 1}
        if len(bare) == 1 and len(args) == 1:
            var, arg, at = bare[0].id, args.pop(), bare[0].end_col_offset
            return var, f"{text[:at]}({arg}){text[at:]}" if bare[0].lineno == 1 and at is not None else f"{var}({arg})"
    return None


def _uncalled_assignment(file: str, name: str, cls: str) -> tuple[str, str, str | None] | None:
    """``(statement, variable, what it should be called on)`` for the user's ``var = layers.Cls(..., name=name)``
    that assigns a layer without calling it; what it should take is ``var``'s value before that line (or the
    variable assigned on the statement before)."""
    source, tree = file_tree(file)
    if tree is None:
        return None
    assigns = [n for n in ast.walk(tree) if isinstance(n, ast.Assign) and len(n.targets) == 1
               and isinstance(n.targets[0], ast.Name)]
    assigns.sort(key=lambda n: n.lineno)
    for i, stmt in enumerate(assigns):
        value = stmt.value
        if not (isinstance(value, ast.Call) and _callee(value) == cls
                and any(k.arg == "name" and isinstance(k.value, ast.Constant) and k.value.value == name
                        for k in value.keywords)):
            continue
        var = stmt.targets[0].id  # type: ignore[attr-defined]
        earlier = [a.targets[0].id for a in assigns[:i]]  # type: ignore[attr-defined]
        before = var if var in earlier else (earlier[-1] if earlier else None)
        return ast.get_source_segment(source, stmt) or ast.unparse(stmt), var, before
    return None


def _fit_call(case: Any) -> Any:
    return model_call(_site_text(case), case.scope, ("fit", "evaluate", "predict", "train_on_batch", "test_on_batch",
                                                     "predict_on_batch"))


def _validation_flat_tuple(case: Any) -> Mismatch | None:
    """``validation_data=(a_val, b_val, y_val)`` for a two-input model: Keras reads a tuple as (x, y,
    sample_weight), so the inputs (or outputs) must be grouped in a list of their own."""
    call = _fit_call(case)
    node = call.node("validation_data") if call is not None else None
    model = call.model if call is not None else None
    if not isinstance(node, ast.Tuple) or not isinstance(model, keras.Model):
        return None
    n_in, n_out = len(model.inputs or []), len(model.outputs or [])
    parts = [value_of(e, case.scope) for e in node.elts]
    # arrays (or expressions such as slices whose value is not read here), not lists that already group them
    arrays = all(not isinstance(p, (list, tuple, dict)) and not isinstance(e, (ast.List, ast.Tuple, ast.Dict))
                 for p, e in zip(parts, node.elts))
    if len(node.elts) != n_in + n_out or (n_in == 1 and n_out == 1) or not arrays:
        return None
    texts = [ast.unparse(e) for e in node.elts]
    xs, ys = texts[:n_in], texts[n_in:]
    grouped = (f"[{', '.join(xs)}]" if n_in > 1 else xs[0], f"[{', '.join(ys)}]" if n_out > 1 else ys[0])
    fixed = f"validation_data=({grouped[0]}, {grouped[1]})"
    names = [getattr(t, "name", "?") for t in model.inputs] if n_in > 1 else [getattr(t, "name", "?") for t in model.outputs]
    read = ", ".join(f"{k} = {t}" for k, t in zip(("x", "y", "sample_weight"), texts))
    return Mismatch(
        model.name, f"data -> {model.name}",
        f"validation_data=(x, y) with x {'a list of ' + str(n_in) + ' arrays' if n_in > 1 else 'one array'} and y "
        f"{'a list of ' + str(n_out) + ' arrays' if n_out > 1 else 'one array'}",
        f"a flat tuple of {len(texts)} arrays",
        f"{model.name} has {n_in} input(s) and {n_out} output(s) ({', '.join(names)}), but validation_data is one "
        f"flat tuple of {len(texts)} arrays; Keras reads a tuple as (x, y, sample_weight), here {read}, so the "
        f"model gets the wrong data at the end of the first epoch. Group them: {fixed}.",
    )


def _same_shapes(items: list[Any]) -> tuple[int, ...] | None:
    shapes = {np.shape(i) for i in items}
    return next(iter(shapes)) if len(shapes) == 1 and all(hasattr(i, "shape") for i in items) else None


def _fits(declared: tuple[Any, ...], shape: tuple[int, ...]) -> bool:
    return len(declared) == len(shape) and all(d is None or d == s for d, s in zip(declared, shape))


def _list_of_samples(case: Any) -> Mismatch | None:
    """A Python list of per-sample arrays given as ``x`` to a model of one input: Keras takes a list as one array
    per input, so it sees N inputs of the samples' first axis."""
    call = _fit_call(case)
    model = call.model if call is not None else None
    if not isinstance(model, keras.Model) or len(model.inputs or []) != 1:
        return None
    node, given = call.node("x"), call.value("x")
    if node is None or not isinstance(given, (list, tuple)) or len(given) < 2:
        return None
    shape = _same_shapes(list(given))
    declared = tuple(model.inputs[0].shape[1:])
    if shape is None or not _fits(declared, shape):
        return None
    np_name = _numpy_alias(case.scope)
    var = ast.unparse(node)
    call_text = call.call.text(call.call.node)
    rewritten = call_text.replace(call.call.text(node), f"{np_name}.stack({var})", 1)
    input_name = getattr(model.inputs[0], "name", "input")
    batch = "(batch, " + ", ".join(str(d) for d in declared) + ")"
    return Mismatch(
        model.name, f"data -> {model.name}", f"one array {batch} for {input_name}",
        f"a Python {type(given).__name__} of {len(given)} arrays of shape {shape}",
        f"{var} is a Python {type(given).__name__} of {len(given)} arrays of shape {shape}, one per sample; Keras "
        f"takes a list as one array per model input, so {model.name} (one input, {input_name}) is given {len(given)} "
        f"inputs of {shape[0]} samples each. Stack the samples into one array of {len(given)} samples: "
        f"{np_name}.stack({var})" + (f", i.e. {rewritten}" if rewritten else "") + ".",
    )


# --- a weight sized by an axis the layer's input leaves unknown ---------------------------------------------------

_UNDEFINED = re.compile(r"Shapes used to initialize variables must be fully-defined \(no `None` dimensions\)\. "
                        r"Received: shape=(\([^)]*\)) for variable path='([^']+)'")


def _input_calls(source: str) -> list[tuple[ast.Call, str]]:
    """Every ``keras.Input(...)`` call in the user's file with its own text."""
    tree = _parsed(source)
    return [(n, ast.get_source_segment(source, n) or "") for n in ast.walk(tree) if isinstance(n, ast.Call)
            and _callee(n) in ("Input", "InputLayer")] if tree is not None else []


def _declared(call: ast.Call) -> tuple[ast.AST, tuple[Any, ...]] | None:
    node = next((k.value for k in call.keywords if k.arg == "shape"), call.args[0] if call.args else None)
    try:
        return (node, tuple(ast.literal_eval(node))) if node is not None else None
    except (ValueError, SyntaxError):
        return None


def _length_in_data(scope: dict[str, Any], declared: tuple[Any, ...], axis: int) -> tuple[str, int] | None:
    """An array in the user's scope shaped like the declared input (known sizes equal) with a size on ``axis``."""
    for name, value in scope.items():
        shape = getattr(value, "shape", None)
        if not isinstance(value, np.ndarray) or shape is None or len(shape) != len(declared) + 1:
            continue
        if all(d is None or d == s for d, s in zip(declared, shape[1:])):
            return name, int(shape[axis])
    return None


def _weight_undefined_axis(case: Any) -> Mismatch | None:
    """``add_weight(shape=(1, input_shape[1], ...))`` where the input's axis 1 is None (an Input declared for any
    number of steps): a weight needs every size when it is made. The Input is declared with the length the data
    have; a weight that must follow the length is sized by a maximum and sliced in call."""
    found = _UNDEFINED.search(case.message)
    built = unknown_build_axis(case.exc) if found is not None else None
    if found is None or built is None:
        return None
    shape_text, var_path = found.groups()
    path, weight = var_path.rsplit("/", 1) if "/" in var_path else (var_path, var_path)
    layer, frame, line, arg, given, axis = built
    rank = len(given)
    source = "".join(linecache.getlines(frame.f_code.co_filename))
    # the Input that declared that axis None: in the failing statement (a Sequential), else by the layer's input
    statement = _statement(case)
    inputs = [(c, t) for c, t in _input_calls(statement) if (d := _declared(c)) and len(d[1]) >= axis and d[1][axis - 1] is None]
    if not inputs:
        inputs = [(c, t) for c, t in _input_calls(source) if (d := _declared(c)) and rank and len(d[1]) == rank - 1
                  and d[1][axis - 1] is None]
    if not inputs:
        return None  # no Input of the user's to rewrite: _explain_custom's general advice answers
    call, ctor = inputs[0]
    node, declared = _declared(call)  # type: ignore[misc]
    data = _length_in_data(case.scope, declared, axis)
    if data is None:
        return None  # no length to give it: _explain_custom's general advice answers
    named = name_kw(call)
    interface = f"input:{named} -> {layer.name}" if named else f"input -> {layer.name}"
    sized = tuple(data[1] if i == axis - 1 else d for i, d in enumerate(declared))
    new = ctor.replace(ast.get_source_segment(ctor, _relocated(ctor, node)) or ast.unparse(node), repr(sized), 1)
    fix = (f"Declare the length the data have ({data[0]} has {data[1]} on axis {axis}): {new}; or, if the length must "
           "vary, size the weight by a maximum length instead (a max_len argument, add_weight(shape=(1, max_len, "
           "...))) and slice it to the input's steps in call")
    return Mismatch(
        path, interface, f"every size of {weight}'s shape known when {layer.name} is built",
        f"shape={shape_text}, from {arg}[{axis}] = None",
        f"{type(layer).__name__}.{frame.f_code.co_name} (line {line}) makes {weight} with shape {shape_text}, sized by "
        f"{arg}[{axis}], which is None: {path}'s input was declared for any size on axis {axis}, and a weight "
        f"needs every size when it is made. " + fix + ".",
    )


def _relocated(text: str, node: ast.AST) -> ast.AST:
    """``node`` (parsed from a larger source) found again in ``text``, its own segment."""
    tree = _parsed(text)
    want = ast.dump(node)
    return next((n for n in ast.walk(tree) if ast.dump(n) == want), node) if tree is not None else node
