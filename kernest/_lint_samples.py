"""Silent problems in what one sample sees: integer token ids read as magnitudes by a ``Dense`` layer (nothing embeds
them, so id 2950 weighs 2950 times id 1), and a custom layer that reduces over the batch axis (``ops.mean(x,
axis=0)``, ``tf.reduce_mean(x)``), so that a sample's output depends on the other samples in its batch. Nothing fails
in either; ``kernest check --strict`` reports them."""

from __future__ import annotations

import ast
import inspect
import sys
import textwrap
from typing import Any

import keras
import numpy as np

from kernest._axes import format_shape
from kernest._graph import calls, find_layer, producer
from kernest._lint import _KEEPS_VALUES, Finding, _entry_name, _models, _reduced_over_batch
from kernest._lint_order import _splice
from kernest._lint_silent import _module_prefix, _pixels, _user_call, first_weighted_reads
from kernest._trace import is_user_file


def samples_findings(model: Any, data: Any) -> list[Finding]:
    """Every finding of the rules below for ``model`` and ``data``, the arrays fit is given (None where unknown)."""
    return _ids_read_as_magnitudes(model, data) + _batch_axis_reduced(model)


# --- integer token ids read by a Dense layer --------------------------------------------------------------------

_MIN_VOCAB = 50  # distinct ids: fewer are levels or small counts, which a Dense may read as numbers
_MIN_STEPS = 4


def _token_ids(array: Any) -> bool:
    """A (batch, steps) array of integer ids: a vocabulary of at least ``_MIN_VOCAB`` distinct values past 100,
    shared by the steps (most positions reach the upper half of the range), and neighbours no closer in value than
    any two ids (a series of counts or readings moves by small steps; the ids of a text do not)."""
    if (not isinstance(array, np.ndarray) or array.dtype.kind not in "ui" or array.ndim != 2
            or array.shape[1] < _MIN_STEPS or len(array) < 2 or _pixels(array)):
        return False
    top = int(array.max())
    if int(array.min()) < 0 or top < 100 or len(np.unique(array)) < _MIN_VOCAB:
        return False
    if np.mean(array.max(axis=0) >= top / 2) < 0.5:
        return False  # each column its own range: a table of features, not positions of one sequence
    left, right = array[:, :-1].ravel().astype("float64"), array[:, 1:].ravel().astype("float64")
    both = (left != 0) & (right != 0)  # padding zeros on both sides would look alike
    if both.sum() < 8 or left[both].std() == 0 or right[both].std() == 0:
        return False
    return bool(np.corrcoef(left[both], right[both])[0, 1] < 0.5)


def _ids_read_as_magnitudes(model: Any, data: Any) -> list[Finding]:
    """Integer token ids fed to a model whose first layer with weights, reached through layers that only reshape,
    is a ``Dense``: each id is taken as a number (id 2950 is 2950 times id 1), so similar words get unrelated inputs
    and the large ids dominate. Decided from the data fit is given: integer, many distinct ids, positions sharing one
    range (``_token_ids``); counts, ordinal levels and tables of features are left alone."""
    return [_ids_finding(model, layer, met, array, index) for layer, met, array, index
            in first_weighted_reads(model, data, (keras.layers.Dense, keras.layers.EinsumDense), _token_ids,
                                    _KEEPS_VALUES)]


def _ids_finding(model: Any, layer: Any, met: list[Any], array: Any, index: int) -> Finding:
    full = find_layer(model, layer) or layer.name
    first = met[-1] if met else layer  # the layer nearest the data
    first_path = find_layer(model, first) or first.name
    holder = first_path.rsplit("/", 1)[0] if "/" in first_path else model.name
    name = model.inputs[index].name if index < len(model.inputs) else "x"
    var = getattr(model, "_kernest_data_var", None)
    fed = f"`{var}`" if var and len(model.inputs) == 1 else f"the data for input {name}"
    vocab, dim = int(array.max()) + 1, int(getattr(layer, "units", 0) or 64)
    found = _user_call(model, first)
    if found is not None and found[1] is not None:
        written, applied = found[0], found[1]
        keras_layers = _module_prefix(written)
        embed = f"{keras_layers}Embedding({vocab}, {dim})"
        pooled = f"{keras_layers}GlobalAveragePooling1D()({embed}({ast.unparse(applied.args[0])}))"
        fix = f"embed the ids first in {holder}, and average the steps' vectors: {written}({pooled})"
    elif found is not None and isinstance(found[2], ast.List):
        keras_layers = _module_prefix(found[0])
        fix = (f"embed the ids first in {holder}, just before {first.name} in its list: [..., "
               f"{keras_layers}Embedding({vocab}, {dim}), {keras_layers}GlobalAveragePooling1D(), {found[0]}, ...]")
    else:
        fix = (f"make keras.layers.Embedding({vocab}, {dim}) then keras.layers.GlobalAveragePooling1D() the first "
               f"layers of {holder}, before {first.name}")
    return Finding(
        full, f"input:{name} -> {full.split('/')[0]}",
        f"{fed} holds integer ids ({len(np.unique(array))} distinct, up to {int(array.max())}, over {array.shape[1]} "
        f"steps), and {full} ({type(layer).__name__}) reads them as numbers: nothing embeds them, so id "
        f"{int(array.max())} counts {int(array.max())} times as much as id 1, and ids next to each other (unrelated "
        "words) get nearly the same input. Nothing fails, but the model learns little from the words.",
        f"{fix}. The vocabulary size {vocab} is the largest id in {var or 'the data'} plus 1; an LSTM or "
        "Conv1D over the embedded steps can replace the pooling.",
    )


# --- a reduction over the batch axis in a custom layer ----------------------------------------------------------

_REDUCTIONS = {"mean", "sum", "max", "min", "std", "var", "prod", "median", "logsumexp", "amax", "amin",
               "reduce_mean", "reduce_sum", "reduce_max", "reduce_min", "reduce_std", "reduce_variance",
               "reduce_prod", "reduce_logsumexp"}


_KEPT_APART = {"add_loss", "assign", "assign_add", "assign_sub"}


def _probe_batch(layer: Any, x: Any) -> float | None:
    """How far ``layer``'s output for one sample moves when three others share its batch (inference mode), or None
    where the layer cannot be probed so (several inputs, no batch axis, randomness at inference). The layer's
    variables are put back as they were."""
    rng = np.random.default_rng(0)
    shape = (4, *(d if d is not None else 3 for d in x.shape[1:]))
    dtype = keras.backend.standardize_dtype(x.dtype)
    if "int" in dtype:
        batch = rng.integers(0, 5, shape).astype(dtype)
    elif "float" in dtype:
        batch = rng.normal(size=shape).astype(dtype)
    else:
        return None
    saved = [v.numpy() if hasattr(v, "numpy") else keras.ops.convert_to_numpy(v) for v in layer.variables]
    try:
        together = [keras.ops.convert_to_numpy(layer(batch, training=False)) for _ in range(2)]
        alone = keras.ops.convert_to_numpy(layer(batch[:1], training=False))
    except Exception:  # a layer that takes more than one tensor or a mask: not probed
        return None
    finally:
        for v, value in zip(layer.variables, saved):
            v.assign(value)
    if (together[0].shape[:1] != (4,) or alone.shape[:1] != (1,) or together[0].shape[1:] != alone.shape[1:]
            or not np.allclose(together[0], together[1])):
        return None
    return float(np.max(np.abs(together[0][:1].astype(np.float64) - alone.astype(np.float64))))  # bool masks too


def _custom(layer: Any) -> bool:
    """A layer written by the user (or a ``Lambda``): Keras' own layers keep samples apart at inference."""
    return (isinstance(layer, keras.layers.Lambda)
            or not type(layer).__module__.startswith("keras.")) and not isinstance(layer, keras.Model)


def _batch_axis_reduced(model: Any) -> list[Finding]:
    """A user's layer whose output for a sample changes with the other samples in its batch: measured by calling
    it on a batch of 4 and on its first sample alone, in inference mode. Keras' own layers (BatchNormalization
    included) are not probed, nor losses and metrics, which may reduce over the batch."""
    out: list[Finding] = []
    seen = {f.path for f in _reduced_over_batch(model)}  # an axis=0 written in the layer's call: reported there
    for _, sub in _models(model):
        for call in calls(sub):
            layer = call.layer
            full = find_layer(model, layer) or layer.name
            if full in seen or not _custom(layer) or len(call.data_inputs) != 1 or _compares_samples(layer):
                continue
            seen.add(full)
            x = call.data_inputs[0]
            moved = _probe_batch(layer, x)
            if moved is None or moved <= 1e-4:
                continue
            out.append(_batch_finding(model, full, layer, x, moved))
    return out


def _own_code(layer: Any) -> list[tuple[str, int, ast.AST]]:
    """The layer's own code, parsed (a Lambda's function; else its ``call``, then the other methods of its classes
    written in the user's files, which ``call`` may use): each one's dedented source, first line and tree."""
    if isinstance(layer, keras.layers.Lambda):
        codes = [layer.function]
    else:
        own = [f for cls in type(layer).__mro__ for f in vars(cls).values()
               if inspect.isfunction(f) and is_user_file(f.__code__.co_filename)]
        codes = [type(layer).call] + [f for f in own if f is not type(layer).call]
    out: list[tuple[str, int, ast.AST]] = []
    for code in codes:
        try:
            lines, start = inspect.getsourcelines(code)
            source = textwrap.dedent("".join(lines))
            out.append((source, start, ast.parse(source)))
        except (OSError, TypeError, SyntaxError):
            continue
    return out


_PRODUCTS = {"matmul", "dot", "tensordot", "einsum", "inner"}


def _compares_samples(layer: Any) -> bool:
    """Whether the layer's code compares each sample with the others on purpose (in-batch negatives, a similarity
    matrix): a product with a transposed operand (``ops.matmul(q, ops.transpose(d))``, ``q @ d.T``,
    ``transpose_b=True``), an einsum pairing two batch letters (``"id,jd->ij"``), or labels or a mask made from the
    batch size (``ops.arange(ops.shape(x)[0])``, ``ops.eye(batch)``)."""
    def transposed(node: ast.AST) -> bool:
        return ((isinstance(node, ast.Attribute) and node.attr == "T")
                or (isinstance(node, ast.Call) and _name(node) in ("transpose", "swapaxes", "moveaxis")))

    for _, _, tree in _own_code(layer):
        for node in ast.walk(tree):
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult) and transposed(node.right):
                return True
            if not isinstance(node, ast.Call):
                continue
            name = _name(node)
            if name in _PRODUCTS and (any(transposed(a) for a in node.args)
                                      or any(k.arg in ("transpose_b", "adjoint_b") for k in node.keywords)):
                return True
            spec = node.args[0].value if name == "einsum" and node.args and isinstance(node.args[0], ast.Constant) else None
            if isinstance(spec, str) and "->" in spec and "," in spec:
                given, made = spec.replace(" ", "").split("->")
                firsts = {g[:1] for g in given.split(",")}
                if len(firsts) > 1 and all(f and f in made for f in firsts):
                    return True
            if name in ("arange", "eye", "range") and node.args and "shape" in ast.unparse(node.args[0]):
                return True
    return False


def _name(node: ast.Call) -> str:
    return node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")


def _reduction_source(layer: Any) -> tuple[str, int, ast.Call] | None:
    """The reduction over the batch axis in the layer's own code (``_own_code``): the dedented source, its first
    line in the file, and the call (``ops.mean(x, axis=0)``, or one with no axis)."""
    for source, start, tree in _own_code(layer):
        # a loss, or a statistic kept in a weight (BatchNormalization's moving averages), may reduce over the batch
        kept = {id(n) for c in ast.walk(tree) if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute)
                and c.func.attr in _KEPT_APART for a in c.args for n in ast.walk(a)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and id(node) not in kept and node.args and _over_batch(node):
                return source, start, node
    return None


# ops that normalize along one axis (a softmax's default is the last): over the batch only where written so
_NORMALIZERS = {"softmax", "log_softmax", "normalize"}


def _over_batch(node: ast.Call) -> bool:
    """A reduction (``ops.mean``, ``tf.reduce_sum``...) with no axis, axis None, or axis 0 among its axes; a
    softmax (or another op that normalizes along an axis) written with axis 0."""
    name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
    if name in _NORMALIZERS:
        axis = _axis_of(node)
        return isinstance(axis, ast.Constant) and axis.value == 0
    if name not in _REDUCTIONS:
        return False
    axis = _axis_of(node)
    if axis is None or (isinstance(axis, ast.Constant) and axis.value in (0, None)):
        return True
    return isinstance(axis, (ast.Tuple, ast.List)) and any(isinstance(e, ast.Constant) and e.value == 0
                                                           for e in axis.elts)


def _argument_shape(layer: Any, x: Any, line: int, expr: str) -> tuple[int, ...] | None:
    """The shape ``expr`` (the user's argument, as written) has at ``line`` of the layer's own code when the layer
    runs on a batch of 2: read from the running frame (``sys.settrace``; call() or a method of the user's it
    calls, in the same file). The layer's variables are put back as they were."""
    code = getattr(type(layer).call, "__code__", None)
    file = getattr(code, "co_filename", None)
    sample = np.zeros((2, *(d if d is not None else 3 for d in x.shape[1:])), keras.backend.standardize_dtype(x.dtype))
    seen: list[tuple[int, ...]] = []

    def local(frame: Any, event: str, _: Any) -> Any:
        if event == "line" and frame.f_lineno == line and not seen:
            try:
                seen.append(tuple(int(d) for d in keras.ops.shape(eval(expr, frame.f_globals, frame.f_locals))))
            except Exception:  # an expression that is no tensor here
                seen.append(())
        return local

    def tracer(frame: Any, event: str, _: Any) -> Any:
        return local if frame.f_code.co_filename == file else None

    saved = [keras.ops.convert_to_numpy(v) for v in layer.variables]
    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        layer(sample, training=False)
    except Exception:  # a layer that takes more than one tensor or a mask
        return None
    finally:
        sys.settrace(previous)
        for v, value in zip(layer.variables, saved):
            v.assign(value)
    return seen[0] if seen and seen[0] else None


def _normalized_axis(layer: Any, x: Any, source: str, start: int, node: ast.Call) -> tuple[str, str] | None:
    """A softmax (or another normalizing op) over axis 0: why another axis (its argument's shape when the layer
    runs: the one axis after the batch with more than one value, else the last), and the call with that axis
    (``-1`` for the last). None where the shape cannot be read."""
    if not node.args:
        return None
    arg = ast.get_source_segment(source, node.args[0]) or ast.unparse(node.args[0])
    shape = _argument_shape(layer, x, start + node.lineno - 1, arg)
    wide = [i for i, d in enumerate(shape or ()) if i > 0 and d != 1]
    if shape is None or not wide:
        return None
    axis = wide[-1]
    why = (f"axis {axis} holds its {shape[axis]} values per sample (the other axes after the batch have size 1)"
           if len(wide) == 1 else f"its last axis, {axis}, is the usual one (a softmax's default)")
    written = "-1" if axis == len(shape) - 1 else str(axis)
    kept = [arg] + [ast.get_source_segment(source, k) or ast.unparse(k) for k in node.keywords if k.arg != "axis"]
    func = ast.get_source_segment(source, node.func) or ast.unparse(node.func)
    return f"{arg} is {format_shape((None, *shape[1:]))}, and {why}", f"{func}({', '.join(kept)}, axis={written})"


def _axis_of(node: ast.Call) -> ast.expr | None:
    return next((k.value for k in node.keywords if k.arg == "axis"), node.args[1] if len(node.args) > 1 else None)


def _batch_finding(model: Any, full: str, layer: Any, x: Any, moved: float) -> Finding:
    rank = len(x.shape)
    axes = "-1" if rank <= 2 else f"({', '.join(str(a) for a in range(1, rank))})"
    found = _reduction_source(layer)
    where, fix, normalized = "", "", None
    if found is not None:
        source, start, node = found
        statement = next((s for s in ast.walk(ast.parse(source)) if isinstance(s, ast.stmt)
                          and not isinstance(s, (ast.FunctionDef, ast.ClassDef))
                          and s.lineno <= node.lineno <= (s.end_lineno or s.lineno)), None)
        normalized = _normalized_axis(layer, x, source, start, node) if _name(node) in _NORMALIZERS else None
        if statement is not None and normalized is not None:
            why, fixed_call = normalized
            written = " ".join(t.strip() for t in source.splitlines()[statement.lineno - 1:statement.end_lineno])
            where = (f": `{written}` (line {start + node.lineno - 1}) normalizes over axis 0, the batch, so each "
                     "sample's values are divided among the samples of its batch")
            fix = (f"normalize over each sample's own axis: {why}: "
                   f"`{_splice(source, node, fixed_call).splitlines()[node.lineno - 1].strip()}`")
        elif statement is not None and _name(node) not in _NORMALIZERS:  # a reduction: keep each sample's axes
            kept = [ast.get_source_segment(source, node.args[0]) or ast.unparse(node.args[0])]
            kept += [ast.get_source_segment(source, k) or ast.unparse(k) for k in node.keywords
                     if k.arg not in ("axis", "keepdims")]
            func = ast.get_source_segment(source, node.func) or ast.unparse(node.func)
            fixed = _splice(source, node, f"{func}({', '.join(kept)}, axis={axes}, keepdims=True)")
            span = slice(statement.lineno - 1, statement.end_lineno or statement.lineno)
            written = " ".join(x.strip() for x in source.splitlines()[span])
            rewritten = " ".join(x.strip() for x in fixed.splitlines()[span])
            axis = _axis_of(node)
            everything = axis is None or (isinstance(axis, ast.Constant) and axis.value is None)
            over = "every axis, the batch's included" if everything else "axis 0, the batch"
            where = f": `{written}` (line {start + node.lineno - 1}) reduces over {over}"
            steps = " (axis=-1 alone for each step's features)" if rank > 2 else ""
            fix = f"reduce over each sample's own axes, not the batch's: `{rewritten}`{steps}"
    if not fix:
        fix = (f"reduce over each sample's own axes in {type(layer).__name__}.call, axis={axes} with "
               "keepdims=True, never over axis 0 (the batch)")
    return Finding(
        full, f"{_entry_name(model, full.split('/')[0], 'input')} -> {full.split('/')[0]}",
        f"{full} ({type(layer).__name__}) mixes the samples of a batch{where}: each sample's output depends on the "
        f"others in its batch (measured: the first sample's output moves by up to {moved:.3g} when 3 others share "
        "its batch), so predict on one sample differs from predict on the same sample among 32, and the last, "
        "smaller batch of an epoch is computed differently. Nothing fails.",
        f"{fix}." + ("" if normalized is not None else " For statistics over the whole data set, use "
                     "layers.Normalization adapted on the data (or BatchNormalization)."),
    )


# --- a custom layer that changes the number of rows (samples) --------------------------------------------------

def rows_changed(model: Any) -> tuple[str, Any, str, str | None] | None:
    """The first layer the user wrote (nested models included) that, called on a batch of 2, gives another number
    of rows: ``ops.reshape(x, (-1, heads, depth))`` on (batch, steps, features) puts the steps into the batch
    axis. (its path, the layer, what feeds it, and its reshape rewritten to keep the batch, where one is found)."""
    for _, sub in _models(model):
        for call in calls(sub):
            layer = call.layer
            if not _custom(layer) or len(call.data_inputs) != 1 or not call.data_inputs[0].shape:
                continue
            x = call.data_inputs[0]
            dtype = keras.backend.standardize_dtype(x.dtype)
            sample = np.zeros((2, *(d if d is not None else 3 for d in x.shape[1:])), dtype)
            try:
                rows = keras.ops.shape(layer(sample))[0]
            except Exception:  # a layer that needs more than its data input: not probed
                continue
            if rows != 2:
                src = producer(x)
                fed = f"{'input:' if isinstance(src, keras.layers.InputLayer) else ''}{getattr(src, 'name', '?')}"
                return find_layer(model, layer) or layer.name, layer, fed, _batch_kept(layer)
    return None


def _batch_kept(layer: Any) -> str | None:
    """The layer's ``<ops>.reshape(x, (-1, ...))`` rewritten as ``<ops>.reshape(x, (<ops>.shape(x)[0], -1, ...))``."""
    for source, _, tree in _own_code(layer):
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _name(node) == "reshape" and len(node.args) == 2
                    and isinstance(node.func, ast.Attribute) and isinstance(node.args[1], (ast.Tuple, ast.List))
                    and node.args[1].elts and isinstance(node.args[1].elts[0], ast.UnaryOp)
                    and ast.unparse(node.args[1].elts[0]) == "-1"):
                continue
            ops_name = ast.get_source_segment(source, node.func.value) or ast.unparse(node.func.value)
            x = ast.get_source_segment(source, node.args[0]) or ast.unparse(node.args[0])
            rest = ", ".join(ast.get_source_segment(source, e) or ast.unparse(e) for e in node.args[1].elts[1:])
            return f"{ops_name}.reshape({x}, ({ops_name}.shape({x})[0], -1, {rest}))"
    return None
