"""Silent problems in the values a model is given: NaN (or infinite) numbers in the arrays fit trains on, which make
the loss nan from the first step without an error, and a model copied with ``keras.models.clone_model`` then used
for predictions before it was given any weights (``clone_model`` copies the architecture, not the weights).
``kernest check --strict`` reports them."""

from __future__ import annotations

import ast
from typing import Any

import keras
import numpy as np

from kernest._lint import Finding, _assignment, _parsed_script


def values_findings(model: Any) -> list[Finding]:
    """Every finding of the rules below for ``model`` (the model the script fits) and the script around it."""
    return _not_finite_data(model) + _clone_used_without_weights(model)


# --- NaN or inf in the arrays fit is given ------------------------------------------------------------------------

def _bad_columns(array: np.ndarray) -> tuple[int, list[int]]:
    """How many rows hold a value that is not finite, and the feature columns (last axis) that are not finite in
    every row."""
    bad = ~np.isfinite(array)
    rows = int(bad.reshape(len(array), -1).any(axis=1).sum())
    columns = [int(c) for c in np.flatnonzero(bad.reshape(-1, array.shape[-1]).all(axis=0))] if array.ndim > 1 else []
    return rows, columns


def _division_by(model: Any, var: str) -> str | None:
    """The divisor of the script's ``var = (...) / d`` (``std`` for hand-made standardisation), if that is how the
    array was made."""
    made = _assignment(getattr(model, "_kernest_script", None), var)
    if isinstance(made, ast.BinOp) and isinstance(made.op, ast.Div):
        return ast.unparse(made.right)
    return None


def _not_finite_data(model: Any) -> list[Finding]:
    """fit's inputs or labels holding NaN or inf: every loss and every weight the first step updates becomes nan,
    and nothing raises (Keras trains on, printing loss: nan)."""
    given = [("_kernest_data", "_kernest_data_var", "x"), ("_kernest_labels", "_kernest_labels_var", "y")]
    out: list[Finding] = []
    for attr, var_attr, fallback in given:
        arrays = [a for a in keras.tree.flatten(getattr(model, attr, None))
                  if isinstance(a, np.ndarray) and a.dtype.kind == "f" and a.ndim >= 1 and len(a)]
        for array in arrays:
            if np.isfinite(array).all():
                continue
            var = getattr(model, var_attr, None) if len(arrays) == 1 else None
            var = var or fallback
            rows, columns = _bad_columns(array)
            what = "NaN" if np.isnan(array).any() else "inf"
            where = (f"column{'s' if len(columns) > 1 else ''} {', '.join(str(c) for c in columns)} in every row"
                     if columns else f"{rows} of {len(array)} rows")
            divisor = _division_by(model, var)
            cause = (f" {var} is made by dividing by {divisor}: a column where {divisor} is 0 (a feature that never "
                     f"changes) gives 0/0 = NaN." if divisor and columns else "")
            out.append(Finding(
                model.name, f"data -> {model.name}",
                f"{var} holds {what} ({where}); fit runs without an error, but the loss and every weight the first "
                f"step updates become nan, so nothing is learned.{cause}",
                f"replace the {what} before fit, {var} = np.nan_to_num({var}) (a constant column then becomes 0), "
                f"or drop the rows or columns that hold it.",
            ))
    return out


# --- a clone_model copy used before it has weights -----------------------------------------------------------------

_GIVES_WEIGHTS = ("set_weights", "load_weights", "fit", "train_on_batch")
_USES_WEIGHTS = ("predict", "predict_on_batch", "evaluate", "test_on_batch", "__call__")


def _clone_target(node: ast.Assign) -> tuple[str, str] | None:
    """``("target", "q_net")`` for ``target = keras.models.clone_model(q_net)``."""
    if not (len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
        return None
    value = node.value
    if not (isinstance(value, ast.Call) and ast.unparse(value.func).split(".")[-1] == "clone_model" and value.args
            and isinstance(value.args[0], ast.Name)):
        return None
    return node.targets[0].id, value.args[0].id


def _use_of(node: ast.AST, var: str) -> str | None:
    """The method ``node`` calls on ``var`` (``var.predict(...)`` -> "predict", ``var(x)`` -> "__call__")."""
    if not isinstance(node, ast.Call):
        return None
    func = node.func
    if isinstance(func, ast.Name) and func.id == var:
        return "__call__"
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == var:
        return func.attr
    return None


def _clone_used_without_weights(model: Any) -> list[Finding]:
    """``target = keras.models.clone_model(q_net)`` then ``target.predict(...)`` with no ``set_weights`` (nor
    ``load_weights`` or training) in between: the copy predicts with freshly initialised weights."""
    parsed = _parsed_script(getattr(model, "_kernest_script", None))
    if parsed is None:
        return []
    _, tree = parsed
    out: list[Finding] = []
    for stmt in (n for n in ast.walk(tree) if isinstance(n, ast.Assign)):
        names = _clone_target(stmt)
        if names is None:
            continue
        copy, source = names
        later = sorted(((n.lineno, n.col_offset, use) for n in ast.walk(tree) if isinstance(n, ast.Call)
                        if (use := _use_of(n, copy)) is not None and n.lineno > stmt.lineno), key=lambda t: t[:2])
        first = next(((line, use) for line, _, use in later if use in _GIVES_WEIGHTS + _USES_WEIGHTS), None)
        if first is None or first[1] in _GIVES_WEIGHTS:
            continue
        line, use = first
        how = f"{copy}(...)" if use == "__call__" else f"{copy}.{use}(...)"
        out.append(Finding(
            copy, f"{source} -> {copy}",
            f"{copy} = clone_model({source}) copies {source}'s layers, not its weights: {copy} starts from fresh "
            f"random weights, and {how} on line {line} uses them before anything gives it {source}'s.",
            f"copy the weights right after the clone: {copy}.set_weights({source}.get_weights()).",
        ))
    return out
