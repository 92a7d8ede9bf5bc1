"""Silent problems in the values a model is given: NaN (or infinite) numbers in the arrays fit trains on, which make
the loss nan from the first step without an error; a model copied with ``keras.models.clone_model`` then used
for predictions before it was given any weights (``clone_model`` copies the architecture, not the weights); a
tf.data pipeline that shuffles, given to predict while it carries the labels (the predictions come back in another
order than the labels); labels given as a list to a model whose outputs are a dict written in another order than
Keras' (it orders dict outputs by key); and codes outside ``0..num_tokens-1`` fed to a ``CategoryEncoding`` (encoded
as a row of zeros). ``kernest check --strict`` reports them."""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any

import keras
import numpy as np

from kernest._graph import find_layer, output_keys, producer_chain
from kernest._lint import Finding, _assignment, _calls_to, _feeding, _parsed_script, _per_input
from kernest._lint_order import _splice


def values_findings(model: Any) -> list[Finding]:
    """Every finding of the rules below for ``model`` (the model the script fits) and the script around it."""
    return (_not_finite_data(model) + _clone_used_without_weights(model) + _predicted_in_shuffled_order(model)
            + _labels_listed_for_dict_outputs(model) + _codes_outside_category_encoding(model))


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


# --- predict on a tf.data pipeline that shuffles --------------------------------------------------------------------

def _shuffles(dataset: Any) -> bool:
    """Whether a tf.data pipeline holds a shuffle step (``.shuffle(...)``, or a loader's ``shuffle=True``), or a
    PyDataset's code shuffles its order (``_pydataset_shuffles``)."""
    if isinstance(dataset, keras.utils.PyDataset):
        return _pydataset_shuffles(dataset)
    while dataset is not None:
        if "Shuffle" in type(dataset).__name__:
            return True
        dataset = getattr(dataset, "_input_dataset", None)
    return False


_SHUFFLES = {"shuffle", "permutation", "permuted"}


def _pydataset_shuffles(data: Any) -> bool:
    """A PyDataset whose class calls a shuffle (``np.random.shuffle(self.order)``, ``rng.permutation(n)``), unless
    every such call sits under an ``if self.<flag>:`` that this instance has set false."""
    methods = [f for cls in type(data).__mro__ if not cls.__module__.startswith(("keras.", "builtins"))
               for f in vars(cls).values() if inspect.isfunction(f)]
    try:  # method by method: a class defined in a script run by runpy has no module to read it from
        nodes = [n for f in methods for n in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(f))))]
    except (OSError, TypeError, SyntaxError):
        return False
    guarded: set[int] = set()
    for node in nodes:
        test = node.test if isinstance(node, (ast.If, ast.IfExp)) else None
        if (isinstance(test, ast.Attribute) and isinstance(test.value, ast.Name) and test.value.id == "self"
                and not getattr(data, test.attr, True)):
            body: list[ast.AST] = list(node.body) if isinstance(node, ast.If) else [node.body]  # type: ignore[attr-defined]
            guarded |= {id(n) for b in body for n in ast.walk(b)}
    return any(isinstance(n, ast.Call) and id(n) not in guarded
               and (n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")) in _SHUFFLES
               for n in nodes)


def _carries_labels(data: Any) -> bool:
    """Whether the batches ``data`` gives predict are (x, y[, sample_weight]): a tf.data element spec or a
    PyDataset's first batch."""
    spec = getattr(data, "element_spec", None)
    if spec is not None:
        return isinstance(spec, tuple) and len(spec) >= 2
    if isinstance(data, keras.utils.PyDataset):
        try:
            first = data[0]
        except Exception:  # a PyDataset that cannot give a batch out of fit: not read
            return False
        return isinstance(first, tuple) and len(first) >= 2
    return False


def _shuffle_off(made: str, data: Any) -> str | None:
    """``made`` (the dataset's assignment) with ``shuffle=False`` in the call that makes it, where that call takes a
    ``shuffle`` argument: the user's PyDataset class, or a keras.utils loader (image_dataset_from_directory...)."""
    tree = ast.parse(made)
    value = tree.body[0].value if tree.body and isinstance(tree.body[0], ast.Assign) else None
    if not isinstance(value, ast.Call):
        return None
    given = next((k for k in value.keywords if k.arg == "shuffle"), None)
    if given is not None:
        return _splice(made, given.value, "False")
    name = value.func.attr if isinstance(value.func, ast.Attribute) else getattr(value.func, "id", "")
    maker = type(data).__init__ if type(data).__name__ == name else getattr(keras.utils, name, None)
    try:
        takes = maker is not None and "shuffle" in inspect.signature(maker).parameters
    except (TypeError, ValueError):
        return None
    if not takes:
        return None
    end = ast.get_source_segment(made, value) or ""
    return _splice(made, value, f"{end[:-1].rstrip()}, shuffle=False)") if end.endswith(")") else None


def _script_calls(model: Any, method: str) -> list[ast.Call]:
    """The script's calls ``<anything>.<method>(...)``, in line order."""
    parsed = _parsed_script(getattr(model, "_kernest_script", None))
    if parsed is None:
        return []
    found = [n for n in ast.walk(parsed[1]) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
             and n.func.attr == method]
    return sorted(found, key=lambda n: (n.lineno, n.col_offset))


def _assign_text(model: Any, var: str) -> str | None:
    """The source of the script's last top-level ``var = ...`` statement."""
    parsed = _parsed_script(getattr(model, "_kernest_script", None))
    if parsed is None:
        return None
    source, tree = parsed
    made = [n for n in tree.body if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == var
                                                                      for t in n.targets)]
    return ast.get_source_segment(source, made[-1]) if made else None


def _predicted_in_shuffled_order(model: Any) -> list[Finding]:
    """``model.predict(test_ds)`` where ``test_ds`` shuffles and still carries the labels: predict drops the labels
    and returns the predictions in this pass's shuffled order, so comparing them with the labels as stored (or as
    read in another pass, which shuffles again) pairs each prediction with another sample's label."""
    data = getattr(model, "_kernest_predicted", None)
    if data is None or not _carries_labels(data) or not _shuffles(data):
        return []
    given = [c.args[0] for c in _script_calls(model, "predict") if c.args and isinstance(c.args[0], ast.Name)]
    var = given[-1].id if given else "the dataset"  # type: ignore[attr-defined]
    made = _assign_text(model, var) if given else None
    tree = ast.parse(made) if made else None
    shuffle = next((n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                    and n.func.attr == "shuffle"), None) if tree is not None else None
    if made and shuffle is not None:
        kept = ast.get_source_segment(made, shuffle.func.value) or ast.unparse(shuffle.func.value)  # type: ignore[attr-defined]
        fix = f"predict on the samples in their stored order, without the shuffle: {_splice(made, shuffle, kept)}"
    elif made and _shuffle_off(made, data) is not None:
        fix = f"predict on the samples in their stored order, without the shuffle: {_shuffle_off(made, data)}"
    else:
        fix = f"make {var} without shuffling (shuffle=False) for predict, and keep the shuffle for training only"
    return [Finding(
        model.name, f"{var} -> {model.name}",
        f"{var} shuffles its samples and carries their labels, which predict drops: the predictions come back in "
        f"the order of this pass's shuffle, so comparing them with the labels as stored (or read in another pass, "
        f"which shuffles again) pairs each prediction with another sample's label.",
        f"{fix}.",
    )]


# --- labels as a list for outputs written as a dict in another order -------------------------------------------

def _labels_listed_for_dict_outputs(model: Any) -> list[Finding]:
    """``keras.Model(x, {"rating": r, "clicks": c})`` fitted with ``[y_rating, y_clicks]``: Keras flattens dict
    outputs in key order (clicks, rating) and pairs the list with that order, so each head trains on the labels
    meant for another (nothing fails when their shapes agree)."""
    struct = getattr(model, "_outputs_struct", None)
    labels = getattr(model, "_kernest_labels", None)
    flat = output_keys(model)
    if (not isinstance(struct, dict) or not isinstance(labels, (list, tuple)) or flat is None
            or len(labels) != len(struct) or len(struct) < 2):
        return []
    written = [str(k) for k in struct]
    if written == flat:
        return []
    listed = next((c.args[1] if len(c.args) > 1 else next(k.value for k in c.keywords if k.arg == "y")
                   for c in reversed(_script_calls(model, "fit"))
                   if len(c.args) > 1 or any(k.arg == "y" for k in c.keywords)), None)
    names = ([ast.unparse(e) for e in listed.elts] if isinstance(listed, (ast.List, ast.Tuple))
             and len(listed.elts) == len(written) else [f"labels[{i}]" for i in range(len(written))])
    crossed = "; ".join(f"{names[i]} trains {flat[i]}" for i in range(len(flat)) if flat[i] != written[i])
    as_dict = "{" + ", ".join(f'"{key}": {names[i]}' for i, key in enumerate(written)) + "}"
    return [Finding(
        model.name, f"data -> {model.name}",
        f"{model.name} returns a dict of outputs written in the order {', '.join(written)}, and fit is given the "
        f"labels as a list: Keras orders dict outputs by key ({', '.join(flat)}) and pairs the list with that order, "
        f"so {crossed}. Nothing fails when the shapes agree.",
        f"give the labels as a dict by output key: {as_dict}.",
    )]


# --- codes outside a CategoryEncoding's range ---------------------------------------------------------------------

def _codes_outside_category_encoding(model: Any) -> list[Finding]:
    """Codes numbered from 1 (or past the count) into ``CategoryEncoding(num_tokens=n)``: a code outside 0..n-1
    is encoded as a row of zeros on TensorFlow and JAX (PyTorch fails), so those samples look like no category."""
    data = getattr(model, "_kernest_data", None)
    per_input = _per_input(model, data) if data is not None else []
    out: list[Finding] = []
    seen: set[int] = set()
    for _, call, x in _calls_to(model, (keras.layers.CategoryEncoding,)):
        layer = call.layer
        if id(layer) in seen or any(not isinstance(up, keras.Model) for up, _, _ in producer_chain(x)):
            continue  # reported already, or a layer (a lookup, a hashing) makes the codes first
        fed = [per_input[i] for i in _feeding(model, layer) or [] if i < len(per_input) and per_input[i] is not None]
        fed = [a for a in fed if a.dtype.kind in "iuf" and a.size and np.all(a == np.round(a))]
        if not fed:
            continue
        seen.add(id(layer))
        n, top, low = layer.num_tokens, max(int(a.max()) for a in fed), min(int(a.min()) for a in fed)
        if low >= 0 and top < n:
            continue
        full = find_layer(model, layer) or layer.name
        out.append(Finding(
            full, f"data -> {layer.name}",
            f"{full} (CategoryEncoding, num_tokens={n}) is fed codes from {low} to {top}; a code outside 0..{n - 1} is "
            f"encoded as a row of zeros on TensorFlow and JAX (PyTorch fails on it), so those samples look like no "
            f"category at all.",
            f"count every code, num_tokens={top + 1} (keras.layers.CategoryEncoding(num_tokens={top + 1}, "
            f'output_mode="{layer.output_mode}")), or map the codes to 0..{n - 1} first with keras.layers.IntegerLookup.'
            if low >= 0 else f"map the codes to 0..{n - 1} first, with keras.layers.IntegerLookup.",
        ))
    return out
