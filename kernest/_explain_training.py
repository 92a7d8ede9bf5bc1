"""Failures of the training loop's own API, as Keras 2 code wrote it and Keras 3 refuses it: a ``PyDataset`` whose
``__len__`` is not an int, a model built outside the ``tf.distribute`` strategy it is compiled under, a callback
reading a key fit does not log (``logs["val_acc"]``), ``keras.backend.set_value`` / ``get_value``, an optimizer's
``lr``, ``LossScaleOptimizer.get_scaled_loss`` / ``get_unscaled_gradients`` in a custom training step, and fit
arguments Keras 3 dropped (``workers=``, ``use_multiprocessing=``). Each reader finds the user's own statement
(on the fit line, in their callback or in their training step) and prints it rewritten, in their names."""

from __future__ import annotations

import ast
import difflib
import inspect
import linecache
import re
import textwrap
from collections.abc import Sequence
from typing import Any

import keras

from kernest._callsite import model_call, source_offset
from kernest._errors import Mismatch
from kernest._explain_args import _fit_call, _segment, _statement, _statement_at
from kernest._explain_custom import first_answer
from kernest._lint_order import _splice
from kernest._trace import is_user_file, user_frames


def training_api_failure(case: Any) -> Mismatch | None:
    """The first of the readers below that recognises the failure, or None."""
    return first_answer(case, (_length_not_an_int, _outside_strategy_scope, _missing_log_key, _backend_value_removed,
                               _optimizer_lr, _loss_scale_keras2, _fit_argument_removed, _validation_data_format,
                               _step_unpacks_batch))


# --- helpers ------------------------------------------------------------------------------------------------------

def _callback_frame(exc: BaseException) -> tuple[Any, Any, int] | None:
    """The deepest frame of the traceback that runs a method of the user's own callback: (callback, frame, line)."""
    found, tb = None, exc.__traceback__
    while tb is not None:
        this = tb.tb_frame.f_locals.get("self")
        if isinstance(this, keras.callbacks.Callback) and is_user_file(tb.tb_frame.f_code.co_filename):
            found = (this, tb.tb_frame, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _users_line(exc: BaseException) -> tuple[str, int, str] | None:
    """The deepest line of the user's code in the traceback: (file, line, its whole statement)."""
    tb, found = exc.__traceback__, None
    while tb is not None:
        if is_user_file(tb.tb_frame.f_code.co_filename):
            found = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    if found is None:
        return None
    return found[0], found[1], _statement_at(found[0], found[1], linecache.getline(*found).strip())


def _owner(exc: BaseException) -> tuple[str, str]:
    """Who ran the failing line: the model a callback belongs to and the callback's class, or the function."""
    found = _callback_frame(exc)
    if found is not None:
        callback = found[0]
        model = getattr(callback, "model", None)
        return (model.name if isinstance(model, keras.Model) else "model"), type(callback).__name__
    frames = user_frames(exc)
    name = frames[-1].f_code.co_name if frames else "<module>"
    return name, name


def _parse(statement: str) -> ast.Module | None:
    try:
        return ast.parse(statement)
    except SyntaxError:
        return None


def _replace_all(statement: str, pairs: Sequence[tuple[ast.AST, str]]) -> str:
    """``statement`` with each node's segment replaced, the last first so earlier positions stay right."""
    for node, new in sorted(pairs, key=lambda p: (p[0].lineno, p[0].col_offset), reverse=True):  # type: ignore[attr-defined]
        statement = _splice(statement, node, new)
    return statement


def _pydatasets(exc: BaseException, given: list[Any]) -> list[Any]:
    """The PyDatasets fit was given: by name on the fit line, or (made inline there) as Keras' frames hold them."""
    found = [d for d in given if isinstance(d, keras.utils.PyDataset)]
    tb = exc.__traceback__
    while tb is not None:
        found += [v for v in tb.tb_frame.f_locals.values() if isinstance(v, keras.utils.PyDataset)]
        tb = tb.tb_next
    return list({id(d): d for d in found}.values())


# --- a PyDataset whose __len__ is not an int ----------------------------------------------------------------------

_NOT_AN_INT = re.compile(r"'(?:numpy\.)?float\d*' object cannot be interpreted as an integer")


def _length_not_an_int(case: Any) -> Mismatch | None:
    """``return np.ceil(len(self.x) / self.batch_size)`` in a PyDataset's ``__len__``: a float (NumPy's ceil keeps
    the float type), and fit counts the batches with ``range``, which takes an int only."""
    call = _fit_call(case) if _NOT_AN_INT.search(case.message) else None
    if call is None:
        return None
    for data in _pydatasets(case.exc, [call.value("x"), call.value("validation_data")]):
        cls = type(data)
        length = cls.__len__(data)
        if isinstance(length, int):
            continue
        try:
            source = textwrap.dedent(inspect.getsource(cls.__len__))
        except (OSError, TypeError):
            return None
        returned = next((n.value for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Return) and n.value), None)
        if returned is None:
            return None
        text = _segment(source, returned)
        fixed = f"math.ceil({text})" if isinstance(returned, ast.BinOp) else f"int({text})"
        name = call.model.name if isinstance(call.model, keras.Model) else call.owner
        return Mismatch(
            name, f"{cls.__name__} -> {call.method}", "__len__ returning an int (the number of batches)",
            f"a {type(length).__name__} ({length})",
            f"{cls.__name__}.__len__ returns {text} = {length}, a {type(length).__name__}: {call.method} counts the "
            f"batches with range(), which takes an int only. Return an int: `return {fixed}`.",
        )
    return None


# --- a model built outside the tf.distribute strategy it is compiled under ------------------------------------------

_OUT_OF_SCOPE = re.compile(r'Need to be inside "with strategy\.scope\(\)"|not created in the distribution strategy scope')


def _scope_blocks(tree: ast.AST) -> list[tuple[ast.With, ast.Call]]:
    """Every ``with <strategy>.scope():`` block, with its ``scope()`` call."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.With):
            for item in node.items:
                ctx = item.context_expr
                if isinstance(ctx, ast.Call) and isinstance(ctx.func, ast.Attribute) and ctx.func.attr == "scope":
                    out.append((node, ctx))
    return out


def _built_outside(model: Any) -> bool:
    """A model made outside any strategy's scope whose optimizer was made inside one (TensorFlow records each one's
    strategy when it is made): an optimizer without slots (SGD) then fails on an empty assertion, not on the
    scope message."""
    theirs = getattr(getattr(model, "optimizer", None), "_distribution_strategy", None)
    if theirs is None or "Default" in type(theirs).__name__:
        return False
    return getattr(model, "_distribute_strategy", None) is not theirs


def _outside_strategy_scope(case: Any) -> Mismatch | None:
    """``model = build()`` then ``with strategy.scope(): model.compile(...)``: the model's variables were made
    before the strategy's scope opened, so they are no strategy's, and fit (which runs under it) refuses them."""
    call = _fit_call(case) if case.site is not None else None
    model = call.model if call is not None else None
    if call is None or not isinstance(model, keras.Model) or not (_OUT_OF_SCOPE.search(case.message)
                                                                  or _built_outside(model)):
        return None
    source = "".join(linecache.getlines(case.site.file))
    tree = _parse(source)
    blocks = [(w, c) for w, c in _scope_blocks(tree) if w.lineno < case.site.line] if tree is not None else []
    var = call.owner
    around = _block_holding(tree, blocks[-1][0]) if tree is not None and blocks else []
    made = [n for n in around if isinstance(n, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == var for t in n.targets)]
    if not blocks:
        return Mismatch(model.name, f"{model.name} -> strategy", "variables created under the strategy's scope",
                        "variables created outside it",
                        f"{model.name} was built outside the strategy's scope. Build the model (and compile it) "
                        f"inside `with strategy.scope():`.")
    block, scope_call = blocks[-1]
    strategy = _segment(source, scope_call.func.value)  # type: ignore[attr-defined]
    before = [n for n in made if n.lineno < block.lineno]
    if not before:
        return _built_in_another_function(case, model, var, source, tree, strategy) if tree is not None else None
    indent = " " * (block.body[0].col_offset - block.col_offset)
    body = [_segment(source, before[-1]), *(_segment(source, s) for s in block.body)]
    rewritten = f"with {_segment(source, scope_call)}:\n" + "\n".join(indent + s for s in body)
    return Mismatch(
        model.name, f"{model.name} -> {strategy}", f"{model.name}'s variables created under {strategy}.scope()",
        f"variables created before the scope opened (line {before[-1].lineno})",
        f"{model.name} was built on line {before[-1].lineno}, outside {strategy}.scope(): only compile runs inside "
        f"it, so the model's variables belong to no strategy and fit refuses them. Build the model inside the scope "
        f"too, and drop the line before it:\n{rewritten}",
    )


def _blocks(tree: ast.AST) -> list[list[ast.stmt]]:
    """Every list of statements in ``tree``: the module's, and each body of a function, ``if``, ``for``, ``with``,
    ``try`` (an ``if __name__ == "__main__":`` block is one), outermost first."""
    found = []
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            body = getattr(node, field, None)
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                found.append(body)
    return found


def _block_holding(tree: ast.AST, statement: ast.stmt) -> list[ast.stmt]:
    """The list of statements that ``statement`` is one of."""
    return next((b for b in _blocks(tree) if any(s is statement for s in b)), [])


def _bodies_holding(tree: ast.AST, line: int) -> list[list[ast.stmt]]:
    """The blocks (a function's, an ``if``'s... the module's) that hold ``line``, innermost first."""
    held = [b for b in _blocks(tree) if any(s.lineno <= line <= (s.end_lineno or s.lineno) for s in b)]
    return held[::-1]  # breadth first: a block inside another comes later


def _built_in_another_function(case: Any, model: Any, var: str, source: str, tree: ast.AST,
                               written: str) -> Mismatch | None:
    """``tagger = make_tagger()`` outside any scope, then ``compile_under(mirrored, tagger)`` opening the scope in
    a function of its own: the build's statement, in the function (or module) that runs fit, put inside the
    strategy's scope, named as the caller names the strategy."""
    builds = next((found for body in _bodies_holding(tree, case.site.line)
                   if (found := [n for n in body if isinstance(n, ast.Assign) and n.lineno < case.site.line
                                 and any(isinstance(t, ast.Name) and t.id == var for t in n.targets)
                                 and var not in {x.id for x in ast.walk(n.value) if isinstance(x, ast.Name)}])), [])
    if not builds:
        return None
    build = builds[-1]
    theirs = getattr(getattr(model, "optimizer", None), "_distribution_strategy", None)
    strategy = next((k for k, v in case.scope.items() if theirs is not None and v is theirs), written)
    indent = " " * build.col_offset
    rewritten = f"{indent}with {strategy}.scope():\n{indent}    {_segment(source, build)}"
    return Mismatch(
        model.name, f"{model.name} -> {strategy}", f"{model.name}'s variables created under {strategy}.scope()",
        f"variables created outside it (line {build.lineno})",
        f"{model.name} was built on line {build.lineno}, outside {strategy}.scope(): the scope is opened only where "
        f"it is compiled, so the model's variables belong to no strategy and fit refuses them. Build it inside the "
        f"scope too (compiling there as well is fine):\n{rewritten}",
    )


# --- a callback reading a key fit does not log ----------------------------------------------------------------------

_KERAS2_KEYS = {"acc": "accuracy", "val_acc": "val_accuracy"}


def _missing_log_key(case: Any) -> Mismatch | None:
    """``logs["val_acc"]`` in a callback: Keras 2.3 renamed the logged "acc" to the metric's name, "accuracy", and
    "val_" keys exist only when fit validates. The keys the logs do hold are read from the callback's frame."""
    found = _callback_frame(case.exc) if isinstance(case.exc, KeyError) else None
    key = case.exc.args[0] if found is not None and case.exc.args else None
    logs = found[1].f_locals.get("logs") if found is not None else None
    if found is None or not isinstance(key, str) or not isinstance(logs, dict) or key in logs:
        return None
    callback, frame, line = found
    keys = sorted(logs)
    near = _KERAS2_KEYS.get(key) if _KERAS2_KEYS.get(key) in logs else None
    unvalidated = key.startswith("val_") and not any(k.startswith("val_") for k in keys)
    near = near or (None if unvalidated else next(iter(difflib.get_close_matches(key, keys, n=1, cutoff=0.6)), None))
    model, cls = _owner(case.exc)
    statement = _statement_at(frame.f_code.co_filename, line, linecache.getline(frame.f_code.co_filename, line).strip())
    tree = _parse(statement) or _parse(statement + " pass")  # a line that heads a block: ``if logs["acc"] > 0.9:``
    nodes = [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and n.value == key] if tree is not None else []
    if near is not None and nodes:
        quote = _segment(statement, nodes[0])[:1]
        rewritten = _replace_all(statement, [(n, f"{quote}{near}{quote}") for n in nodes]).strip()
        fix = f'read the key fit logs, "{near}": `{rewritten}`.'
    elif unvalidated:
        fix = f'"{key}" is logged only when fit validates: pass validation_data=(x_val, y_val) to fit.'
    else:
        fix = f'read one of the keys fit logs: {", ".join(keys)}.'
    return Mismatch(
        model, f"logs -> {cls}", f"a key fit logs ({', '.join(keys)})", f'logs["{key}"]',
        f'{cls}.{frame.f_code.co_name} reads logs["{key}"], but the logs fit hands it hold {", ".join(keys)} (Keras names '
        f'each metric as compiled, "accuracy", and prefixes "val_" for the validation data): {fix}',
    )


# --- keras.backend.set_value / get_value, gone in Keras 3 -----------------------------------------------------------

_BACKEND_GONE = re.compile(r"module '(?:keras|tensorflow\.keras|keras\.src)\.backend' has no attribute "
                           r"'(?P<fn>set_value|get_value|eval|batch_set_value|batch_get_value)'")


def _backend_value_removed(case: Any) -> Mismatch | None:
    """``keras.backend.set_value(self.model.optimizer.learning_rate, rate)``: Keras 3 variables are set with their
    own ``assign`` and read with ``keras.ops.convert_to_numpy`` (or ``float``)."""
    m = _BACKEND_GONE.search(case.message)
    where = _users_line(case.exc) if m is not None else None
    tree = _parse(where[2]) if where is not None else None
    if m is None or where is None or tree is None:
        return None
    statement, fn = where[2], m.group("fn")
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
             and n.func.attr == fn and n.args]
    if not calls:
        return None
    call = calls[0]
    target = _segment(statement, call.args[0])
    if fn == "set_value" and len(call.args) > 1:
        new = f"{target}.assign({_segment(statement, call.args[1])})"
    else:
        new = f"keras.ops.convert_to_numpy({target})"
    rewritten = _splice(statement, call, new).strip()
    model, cls = _owner(case.exc)
    consumer = "optimizer" if "optimizer" in target else target.rsplit(".", 1)[-1]
    return Mismatch(
        model, f"{cls} -> {consumer}", f"{target} set through the variable itself", f"keras.backend.{fn}(...)",
        f"keras.backend.{fn} was removed in Keras 3 (keras.backend keeps only a few helpers); a Keras variable is "
        f"set with its assign method and read with keras.ops.convert_to_numpy: `{rewritten}`.",
    )


# --- an optimizer's lr ----------------------------------------------------------------------------------------------

_NO_LR = re.compile(r"'(?P<cls>\w+)' object has no attribute 'lr'")


def _optimizer_lr(case: Any) -> Mismatch | None:
    """``self.model.optimizer.lr``: Keras 3 optimizers keep the rate as ``learning_rate`` only."""
    m = _NO_LR.search(case.message)
    optimizer = getattr(keras.optimizers, m.group("cls"), None) if m is not None else None
    if not (inspect.isclass(optimizer) and issubclass(optimizer, keras.optimizers.Optimizer)):
        return None
    where = _users_line(case.exc)
    tree = _parse(where[2]) if where is not None else None
    if where is None or tree is None:
        return None
    statement = where[2]
    nodes = [n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "lr"]
    if not nodes:
        return None
    rewritten = _replace_all(statement, [(n, f"{_segment(statement, n.value)}.learning_rate") for n in nodes]).strip()
    model, cls = _owner(case.exc)
    return Mismatch(
        model, f"optimizer -> {cls}", "optimizer.learning_rate", "optimizer.lr",
        f"Keras 3 optimizers have no lr attribute (the Keras 2 alias is gone); the rate is learning_rate, a variable "
        f"(float() or keras.ops.convert_to_numpy() reads it): `{rewritten}`.",
    )


# --- LossScaleOptimizer.get_scaled_loss / get_unscaled_gradients -----------------------------------------------------

_SCALE_API = re.compile(r"'LossScaleOptimizer' object has no attribute '(?:get_scaled_loss|get_unscaled_gradients)'")


def _loss_scale_keras2(case: Any) -> Mismatch | None:
    """The TF 2 mixed-precision guide's training step: ``optimizer.get_scaled_loss(loss)`` and
    ``optimizer.get_unscaled_gradients(grads)``. Keras 3's ``LossScaleOptimizer`` has ``scale_loss`` and unscales
    the gradients inside ``apply_gradients``, so the second call simply goes."""
    if _SCALE_API.search(case.message) is None or case.site is None:
        return None
    file = case.site.file
    tree = _parse("".join(linecache.getlines(file)))
    if tree is None:
        return None
    calls = sorted((n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                    and n.func.attr in ("get_scaled_loss", "get_unscaled_gradients") and n.args),
                   key=lambda n: (n.lineno, n.col_offset))
    if not calls:
        return None
    rewritten: list[str] = []
    for line in dict.fromkeys(n.lineno for n in calls):
        statement = _statement_at(file, line)
        inner = _parse(statement)
        here = [n for n in ast.walk(inner) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                and n.func.attr in ("get_scaled_loss", "get_unscaled_gradients") and n.args] if inner else []
        pairs = [(n, f"{_segment(statement, n.func.value)}.scale_loss({_segment(statement, n.args[0])})"  # type: ignore[attr-defined]
                  if n.func.attr == "get_scaled_loss" else _segment(statement, n.args[0])) for n in here]  # type: ignore[attr-defined]
        rewritten.append(_replace_all(statement, pairs).strip())
    first = calls[0]
    owner = ast.unparse(first.func.value)  # type: ignore[attr-defined]
    loss = ast.unparse(next((n.args[0] for n in calls if n.func.attr == "get_scaled_loss"), first.args[0]))  # type: ignore[attr-defined]
    models = [v for v in case.scope.values() if isinstance(v, keras.Model)]
    name = models[-1].name if models else owner
    return Mismatch(
        name, f"{loss} -> {owner}", f"{owner}.scale_loss({loss}), gradients unscaled by apply_gradients",
        "get_scaled_loss / get_unscaled_gradients (TF 2's LossScaleOptimizer)",
        "Keras 3's LossScaleOptimizer scales the loss with scale_loss and unscales the gradients itself inside "
        "apply_gradients (get_scaled_loss and get_unscaled_gradients are gone): "
        + "; ".join(f"`{r}`" for r in rewritten) + ".",
    )


# --- fit arguments Keras 3 dropped ----------------------------------------------------------------------------------

_UNEXPECTED = re.compile(r"(?P<method>fit|evaluate|predict)\(\) got an unexpected keyword argument '(?P<kw>\w+)'")
_RENAMED = {"nb_epoch": "epochs"}
_TO_PYDATASET = ("workers", "use_multiprocessing", "max_queue_size")


def _fit_argument_removed(case: Any) -> Mismatch | None:
    """``model.fit(x, y, workers=4, use_multiprocessing=True)``: Keras 3 moved the data-loading settings to
    ``keras.utils.PyDataset`` (NumPy arrays and tf.data need none of them), and ``nb_epoch`` is ``epochs``."""
    m = _UNEXPECTED.search(case.message)
    call = _fit_call(case) if m is not None else None
    statement = _statement(case)
    tree = _parse(statement)
    if m is None or call is None or tree is None:
        return None
    method = m.group("method")
    node = next((n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                 and n.func.attr == method), None)
    if node is None:
        return None
    known = set(inspect.signature(getattr(keras.Model, method)).parameters)
    bad = [k for k in node.keywords if k.arg is not None and k.arg not in known]
    if not bad:
        return None
    lines = statement.splitlines(keepends=True)
    for kw in reversed(bad):
        if kw.arg in _RENAMED:
            statement = statement[:source_offset(lines, kw.lineno, kw.col_offset)] + _RENAMED[kw.arg] + \
                statement[source_offset(lines, kw.lineno, kw.col_offset) + len(kw.arg):]
            continue
        start = source_offset(lines, kw.lineno, kw.col_offset)
        end = source_offset(lines, kw.end_lineno, kw.end_col_offset)
        cut = statement[:start].rstrip()
        statement = (cut[:-1] if cut.endswith(",") else cut) + statement[end:]
    dropped = [k.arg for k in bad if k.arg not in _RENAMED]
    moved = [k for k in dropped if k in _TO_PYDATASET]
    why = (f" ({', '.join(moved)} moved to keras.utils.PyDataset: pass them to its super().__init__ when the data is "
           f"a PyDataset; arrays and tf.data need none)" if moved else "")
    name = call.model.name if isinstance(call.model, keras.Model) else call.owner
    return Mismatch(
        name, f"{m.group('kw')} -> {method}", f"{method}'s Keras 3 arguments", ", ".join(f"{k.arg}=" for k in bad),
        f"Keras 3's {method} has no {', '.join(k.arg or '' for k in bad)} argument{'s' if len(bad) > 1 else ''}{why}. "
        f"Leave {'them' if len(bad) > 1 else 'it'} out: `{statement.strip()}`.",
    )


# --- validation_data that is neither (x, y) nor (x, y, sample_weight) ---------------------------------------------

_DATA_FORMAT = re.compile(r"Data is expected to be in format `x`, `\(x,\)`, `\(x, y\)`")


def _in_evaluate(exc: BaseException) -> bool:
    """Whether the failure happened in Keras' own evaluate (fit's validation pass runs it)."""
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_name == "evaluate" and not is_user_file(tb.tb_frame.f_code.co_filename):
            return True
        tb = tb.tb_next
    return False


def _validation_data_format(case: Any) -> Mismatch | None:
    """``fit(..., validation_data=[x_val, y_val, None, None])`` (or a tuple of 1): Keras unpacks validation_data as
    (x, y) or (x, y, sample_weight) and refuses four items with a message on the format only; one item leaves y
    out, and the validation pass fails on the missing labels after the first epoch."""
    statement = _statement(case)  # the whole call: validation_data is often on a line of its own
    call = model_call(statement, case.scope, ("fit",)) if case.site is not None else None
    value = call.value("validation_data") if call is not None else None
    if call is None or not isinstance(value, (list, tuple)) or len(value) in (2, 3):
        return None
    if not (_DATA_FORMAT.search(case.message) or (len(value) == 1 and _in_evaluate(case.exc))):
        return None
    n_in, n_out = len(getattr(call.model, "inputs", None) or []), len(getattr(call.model, "outputs", None) or [])
    if (n_in > 1 or n_out > 1) and len(value) == n_in + n_out:
        return None  # the inputs and labels of a multi-input model, flat: _explain_args' _validation_flat_tuple
    tree = _parse(statement)
    written = next((k.value for n in ast.walk(tree) if isinstance(n, ast.Call) for k in n.keywords
                    if k.arg == "validation_data"), None) if tree is not None else None
    if isinstance(written, (ast.List, ast.Tuple)):
        items = [_segment(statement, e) for e in written.elts]
    else:
        var = call.text("validation_data") or "validation_data"
        items = [f"{var}[{i}]" for i in range(len(value))]
    if len(items) == 1:
        kept = [items[0], f"<the labels of {items[0]}>"]
    else:
        kept = items[:3] if value[2] is not None else items[:2]
    fixed = f"({', '.join(kept)})"
    rewritten = _splice(statement, written, fixed) if written is not None else f"validation_data={fixed}"
    name = call.model.name if isinstance(call.model, keras.Model) else call.owner
    kind = "tuple" if isinstance(written, ast.Tuple) else "list" if isinstance(written, ast.List) else type(value).__name__
    got = (f"a {kind} of {len(value)} item{'s' if len(value) > 1 else ''}"
           + (f" ({', '.join(items)})" if len(items) > 1 else f" ({items[0]}, no labels)"))
    why = ("Keras unpacks it as (x, y) or (x, y, sample_weight) and refuses more items" if len(value) > 3 else
           "with one item Keras reads it as x alone, so the validation pass after the first epoch has no labels to "
           "compute the loss with")
    return Mismatch(
        name, f"validation_data -> {name}", "validation_data=(x_val, y_val) or (x_val, y_val, sample_weight), "
        "or a dataset of (x, y) batches", got,
        f"{name}.fit got validation_data as {got}: {why}. Give the validation inputs and labels as a pair (a "
        f"third item is a sample_weight array, not a placeholder; a tf.data.Dataset or PyDataset of (x, y) batches "
        f"also works): `{rewritten.strip()}`.",
    )


# --- a custom step that unpacks the batch into a fixed number of names ---------------------------------------------

_UNPACK = re.compile(r"(?:too many|not enough) values to unpack \(expected (?P<want>\d+)")
_STEPS = ("train_step", "test_step", "predict_step")


def _step_unpacks_batch(case: Any) -> Mismatch | None:
    """``x, y = data`` in a model's own ``train_step`` / ``test_step``, while fit hands it another number of items:
    ``(x, y, sample_weight)`` once ``sample_weight=`` or ``class_weight=`` is passed (or a dataset yields three),
    ``(x,)`` without labels. keras.io's own steps unpack with ``keras.utils.unpack_x_y_sample_weight``, which takes
    each of these forms; the fix rewrites the user's line with it, in their names."""
    m = _UNPACK.search(case.message)
    frame = next((f for f in reversed(user_frames(case.exc)) if f.f_code.co_name in _STEPS), None)
    model = frame.f_locals.get("self") if frame is not None else None
    if m is None or frame is None or not isinstance(model, keras.Model):
        return None
    tb = case.exc.__traceback__
    while tb is not None and tb.tb_frame is not frame:
        tb = tb.tb_next
    line = tb.tb_lineno if tb is not None else frame.f_lineno
    file = frame.f_code.co_filename
    statement = _statement_at(file, line, linecache.getline(file, line).strip())
    tree = _parse(statement)
    node = tree.body[0] if tree is not None and tree.body else None
    params = frame.f_code.co_varnames[:frame.f_code.co_argcount]
    if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Tuple)
            and isinstance(node.value, ast.Name) and node.value.id in params):
        return None
    names = [ast.unparse(t) for t in node.targets[0].elts]
    data = node.value.id
    if len(names) > 3:
        return None
    names += ("x", "y", "sample_weight")[len(names):]
    rewritten = f"{', '.join(names)} = keras.utils.unpack_x_y_sample_weight({data})"
    try:
        got = len(frame.f_locals[data])
    except Exception:  # noqa: BLE001 - a batch without a length: say it without the count
        got = None
    what = {3: "(x, y, sample_weight): fit was given sample_weight= or class_weight=, or the data yields three items",
            1: "(x,) only: fit was given no labels"}.get(got or 0, f"{got} items" if got else "another number of items")
    loss = ", and pass the weights on: self.compute_loss(..., sample_weight=sample_weight)" if (
        "compute_loss" in inspect.getsource(frame.f_code) and len(node.targets[0].elts) < 3) else ""
    return Mismatch(
        str(model.name), f"fit -> {type(model).__name__}.{frame.f_code.co_name}",
        f"{m.group('want')} items in each batch", what,
        f"{type(model).__name__}.{frame.f_code.co_name} unpacks the batch as `{statement}` (line {line}), but each "
        f"batch is {what}. Unpack it the way Keras builds it: `{rewritten}`{loss}.",
    )
