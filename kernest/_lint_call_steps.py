"""A step function inside a user's ``call()``: a subclassed model or a custom layer with weights whose call takes
argmax, round, sign, a cast to integers or of a comparison of its own sublayers' output, so those sublayers' weights
get no gradient. Nothing fails (TensorFlow only warns, JAX and PyTorch say nothing). Found with the backend's own
gradient of the layer, located in the user's source, and fixed in the user's own statement (a straight-through
form). The graph form of the same fault (a step Lambda between layers of a nested graph) is in ``_lint_gradient``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

import keras

from kernest._graph import SEP, functional_of
from kernest._lint_gradient import _STEP_NAMES, method_source, spelled

_INT_DTYPES = ("int", "bool", "uint")


@dataclass(frozen=True)
class CallStep:
    """A step op in a user's ``call`` (``ops.argmax(logits, axis=-1)``) on the output of the user's sublayers
    whose weights then get no gradient: the statement (line in the user's file), the op, the starved sublayers'
    paths, and the statement in a straight-through form (and with probabilities kept, for a pick)."""
    owner: str
    line: int
    text: str
    op: str
    reads: list[str]  # the starved sublayers the step reads (their names)
    starved: list[str]
    fixed: str
    kept: str | None
    via: str = ""  # the user's helper the statement is in (``Pool._select``, ``quantize``), empty in call itself

    @property
    def where(self) -> str:
        return f"{self.via} (called from {self.owner}.call)" if self.via else f"{self.owner}.call"


def _step_kind(node: ast.AST) -> str | None:
    """The step op ``node`` is: a call of argmax/round/sign..., a cast to an integer type, or a cast of a
    comparison (``ops.cast(h > 0, "float32")``); None for anything smooth."""
    if not isinstance(node, ast.Call):
        return None
    name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
    if name in ("cast", "astype"):
        dtype = node.args[-1] if len(node.args) >= (1 if name == "astype" else 2) else next(
            (k.value for k in node.keywords if k.arg == "dtype"), None)
        text = ast.unparse(dtype) if dtype is not None else ""
        if any(t in text for t in _INT_DTYPES):
            return "cast to integers"
        what = node.args[0] if name == "cast" and node.args else (
            node.func.value if isinstance(node.func, ast.Attribute) else None)
        return "comparison" if isinstance(what, ast.Compare) else None
    return name if name in _STEP_NAMES - {"cast", "astype", "greater", "less", "equal", "greater_equal",
                                          "less_equal", "not_equal"} else None


def _reads(node: ast.AST, taint: dict[str, set[str]]) -> set[str]:
    """The ``self.<attr>`` sublayers whose output ``node`` reads, directly (``self.gate(x)``) or through names."""
    found: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
            found |= taint.get(sub.id, set())
        elif (isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute)
              and isinstance(sub.func.value, ast.Name) and sub.func.value.id == "self"):
            found.add(sub.func.attr)
    return found


# keras.ops functions (and Keras layers) that read an integer tensor as positions, not as numbers
_INDEXING = {"take", "take_along_axis", "one_hot", "gather", "gather_nd", "embedding_lookup", "scatter",
             "scatter_update", "bincount", "segment_sum", "segment_max"}


def int_cast_use(fn: ast.FunctionDef, node: ast.Call, text: str, layer: Any = None) -> str:
    """What a cast to integers in ``fn`` is used for: "index" where its result (the name it is assigned to, or the
    cast itself) is read as positions (``ops.take(table, i)``, ``ops.one_hot(i, n)``, ``x[i]``, an Embedding
    sublayer of ``layer``), else "values" (numbers again: cast back to float, or in arithmetic)."""
    parents = {id(c): p for p in ast.walk(fn) for c in ast.iter_child_nodes(p)}
    holder = parents.get(id(node))
    names = {t.id for t in holder.targets if isinstance(t, ast.Name)} if isinstance(holder, ast.Assign) else set()
    uses: list[ast.AST] = [n for n in ast.walk(fn)
                           if isinstance(n, ast.Name) and n.id in names and isinstance(n.ctx, ast.Load)]
    for use in uses or [node]:
        parent = parents.get(id(use))
        if isinstance(parent, ast.Subscript) and parent.value is not use:
            return "index"
        if isinstance(parent, ast.Call) and isinstance(parent.func, (ast.Attribute, ast.Name)):
            called = parent.func.attr if isinstance(parent.func, ast.Attribute) else parent.func.id
            sub = getattr(layer, called, None) if isinstance(parent.func, ast.Attribute) else None
            kind = type(sub).__name__.lower() if isinstance(sub, keras.layers.Layer) else called.lower()
            if called in _INDEXING or "embed" in kind or "lookup" in kind:
                return "index"
    return "values"


def int_cast_fixed(stmt_text: str, node: ast.Call, text: str, ops: str) -> str:
    """The statement with its cast to integers written as a straight-through truncation (a cast to integers
    truncates toward zero): float values equal to the integers forward, and the gradient of what was cast back."""
    inner = node.args[0] if isinstance(node.func, ast.Name) or (
        isinstance(node.func, ast.Attribute) and node.func.attr == "cast") else node.func.value  # type: ignore[attr-defined]
    raw = ast.get_source_segment(text, inner) or ast.unparse(inner)
    x = raw if isinstance(inner, (ast.Name, ast.Attribute, ast.Call, ast.Subscript)) else f"({raw})"
    cast = ast.get_source_segment(text, node) or ast.unparse(node)
    return _replaced(stmt_text, cast, f"{x} + {ops}.stop_gradient({ops}.trunc({raw}) - {x})")


def int_cast_in_call(layer: Any) -> tuple[int, str, str, str, str] | None:
    """The first cast to integers in the user's ``call`` of ``layer``'s class (its line, its statement, what its
    result is used for, the straight-through statement, empty for an index, and the keras.ops name), or None."""
    found = _user_call(type(layer))
    if found is None:
        return None
    klass, fn, text, first = found
    ops = spelled(klass.__dict__["call"], keras.ops, "keras.ops")
    for stmt, node, kind, _ in _step_statements(fn)[0]:
        if kind == "cast to integers":
            use = int_cast_use(fn, node, text, layer)
            stmt_text = ast.get_source_segment(text, stmt) or ast.unparse(stmt)
            return (first + stmt.lineno - 1, stmt_text, use,
                    int_cast_fixed(stmt_text, node, text, ops) if use == "values" else "", ops)
    return None


def int_cast_text(where: str, line: int, stmt_text: str, use: str, fixed: str) -> str:
    """The fix for a cast to integers that the loss flows through, for what its integers are used for."""
    cut = (f"the cast to integers in {where}, `{stmt_text}` (line {line}), cuts the gradient: an integer tensor "
           "carries none, on every backend")
    if use == "index":
        return (f"{cut}, and its integers are used as positions (an index), which no straight-through form can "
                "give a gradient. Keep the layers before it out of this path (they learn only from the other paths "
                "to the loss), or let them learn what to pick from scores over the choices, weighted with a softmax "
                "instead of an integer index.")
    return (f"{cut}. Its integers are used as numbers again, so keep them as floats that equal the integers: "
            f"`{fixed}` (a straight-through truncation: the same values forward, the gradient of what was cast "
            "back).")


def _step_statements(fn: ast.FunctionDef, given: dict[str, set[str]] | None = None
                     ) -> tuple[list[tuple[ast.stmt, ast.Call, str, set[str]]], dict[str, list[set[str]]]]:
    """Each statement of ``fn`` holding a step op, with the op's node, its kind and the sublayers it reads; and for
    each function ``fn`` calls by name (``self._select``, ``quantize``), the sublayers each argument reads (merged
    over its calls). ``given``: what ``fn``'s parameters read, for a helper."""
    taint: dict[str, set[str]] = dict(given or {})
    out: list[tuple[ast.stmt, ast.Call, str, set[str]]] = []
    calls: dict[str, list[set[str]]] = {}
    stmts = sorted((n for n in ast.walk(fn) if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign,
                                                                ast.Return, ast.Expr))),
                   key=lambda n: (n.lineno, n.col_offset))
    for stmt in stmts:
        value = stmt.value
        if value is None:
            continue
        for sub in ast.walk(value):
            kind = _step_kind(sub)
            if kind is not None and isinstance(sub, ast.Call):
                out.append((stmt, sub, kind, _reads(sub, taint)))
            if isinstance(sub, ast.Call) and isinstance(sub.func, (ast.Name, ast.Attribute)):
                callee = sub.func.attr if isinstance(sub.func, ast.Attribute) else sub.func.id
                args = [_reads(a, taint) for a in sub.args]
                known = calls.setdefault(callee, [])
                calls[callee] = [(known[k] if k < len(known) else set()) | (args[k] if k < len(args) else set())
                               for k in range(max(len(known), len(args)))]
        read = _reads(value, taint)
        targets = stmt.targets if isinstance(stmt, ast.Assign) else (
            [stmt.target] if isinstance(stmt, (ast.AugAssign, ast.AnnAssign)) else [])
        for t in targets:
            for name in ast.walk(t):
                if isinstance(name, ast.Name):
                    taint[name.id] = read | (taint.get(name.id, set()) if isinstance(stmt, ast.AugAssign) else set())
    return out, calls


_Found = tuple[ast.stmt, ast.Call, str, set[str], ast.FunctionDef, str, int, Any, str]


def _steps_with_helpers(klass: type, fn: ast.FunctionDef, text: str, first: int) -> list[_Found]:
    """The step statements of ``klass.call`` and of the user's helpers it calls (methods of the class, functions
    of its module, two levels down, as ``_lint._users_helpers`` finds them), each with the def, text, first line
    and function it is in and the helper's label (empty for call). A helper's parameters read what call passes."""
    import inspect

    from kernest._lint import helpers_with_arguments

    call = klass.__dict__["call"]
    todo: list[tuple[ast.FunctionDef, str, int, Any, dict[str, set[str]], str]] = [(fn, text, first, call, {}, "")]
    out: list[_Found] = []
    for depth in range(3):
        later = []
        for f, t, line, func, given, via in todo:
            steps, calls = _step_statements(f, given)
            out.extend((*step, f, t, line, func, via) for step in steps)
            if depth == 2:
                continue
            for label, helper, parsed, passed in helpers_with_arguments(f, klass, getattr(func, "__globals__", {}),
                                                                        calls):
                later.append((*parsed, inspect.getsourcelines(helper)[1], helper, passed,
                              f"{via} -> {label}" if via else label))
        todo = later
    return out


def _sample(shape: tuple[Any, ...]) -> Any:
    import numpy as np

    return np.random.default_rng(0).random((4, *shape[1:])).astype("float32")


def _unreached(layer: Any, sample: Any) -> set[int] | None:
    """The ids of ``layer``'s trainable variables that a randomly weighted sum of its output has no (or an
    all-zero) gradient for at ``sample``, on the running backend. None where no gradient could be taken."""
    import numpy as np

    from kernest._graph import _takes_training

    def weighted(out: Any, xp: Any) -> Any:
        total = 0.0
        for k, t in enumerate(keras.tree.flatten(out)):
            if not hasattr(t, "shape"):
                continue
            r = np.random.default_rng(k + 1).random(tuple(t.shape)).astype("float32")
            total = total + xp(t, r)
        return total

    backend, variables = keras.backend.backend(), list(layer.trainable_variables)
    # as fit calls it (a layer whose call returns a decoded pick only at inference trains on its scores), unless
    # the layer keeps state a training call would change (BatchNormalization's moving statistics)
    mode = {"training": True} if not layer.non_trainable_variables and _takes_training(layer) else {}
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            with tf.GradientTape() as tape:
                total = weighted(layer(tf.constant(sample), **mode),
                                 lambda t, r: tf.reduce_sum(tf.cast(t, "float32") * r))
            grads = [None if g is None else tf.convert_to_tensor(g).numpy()  # an Embedding's are IndexedSlices
                     for g in tape.gradient(total, [v.value for v in variables])]
        elif backend == "jax":
            import jax
            import jax.numpy as jnp

            fixed = [v.value for v in layer.non_trainable_variables]

            def loss(values: list[Any]) -> Any:
                out, _ = layer.stateless_call(values, fixed, jnp.asarray(sample), **mode)
                return weighted(out, lambda t, r: jnp.sum(jnp.asarray(t, "float32") * r))

            grads = [np.asarray(g) for g in jax.jit(jax.grad(loss))([v.value for v in variables])]  # one compile
        elif backend == "torch":
            import torch

            params = [v.value for v in variables]
            kept = [p.grad for p in params]
            for p in params:
                p.grad = None
            total = weighted(layer(sample, **mode),  # Keras puts the array on the layer's device
                             lambda t, r: (t.float() * torch.tensor(r, device=t.device)).sum()
                             if t.requires_grad else 0.0)
            if getattr(total, "requires_grad", False):
                total.backward()
            grads = [None if p.grad is None else p.grad.detach().cpu().numpy() for p in params]
            for p, g in zip(params, kept):
                p.grad = g
        else:
            return None
    except Exception:  # noqa: BLE001 - a layer that cannot run on its own here is not judged
        return None
    return {id(v) for v, g in zip(variables, grads) if g is None or not np.any(g)}


def _user_call(cls: type) -> tuple[type, ast.FunctionDef, str, int] | None:
    """The class whose ``call`` runs for ``cls`` (the user's own), its def, text and first line."""
    for klass in cls.__mro__:
        if klass.__module__.startswith(("keras", "kernest", "builtins", "torch", "tensorflow")):
            return None
        found = method_source(klass, "call")
        if found is not None:
            return (klass, *found)
    return None


def call_steps(model: Any) -> list[tuple[str, Any, CallStep]]:
    """(path, layer, step) for each user's layer or subclassed model (not a graph) whose ``call`` takes a step
    op of its own sublayers' output so that their weights get no gradient. Found by running the layer on a
    sample and taking the backend's gradient of its output for each trainable variable (a straight-through form
    passes one), then reading which step statement of ``call`` reads the starved sublayers (one per class)."""
    from kernest._graph import built_input_shapes, layer_attributes, walk

    out, seen = [], set()
    for path, layer in [("", model)] + [(e.path, e.layer) for e in walk(model, shapes=False)]:
        cls = type(layer)
        if cls in seen or isinstance(layer, keras.layers.Lambda) or functional_of(layer) is not None or \
                not layer.trainable_weights:
            continue
        seen.add(cls)
        found = _user_call(cls)
        steps = _steps_with_helpers(*found) if found is not None else []
        shapes = built_input_shapes(layer) if steps else None
        if found is None or not steps or not shapes or len(shapes) != 1 or None in shapes[0][1:]:
            continue
        klass = found[0]
        dead = _unreached(layer, _sample(shapes[0]))
        if not dead:
            continue
        starved = {attr: sub for attr, sub in layer_attributes(layer)
                   if sub.trainable_weights and all(id(v) in dead for v in sub.trainable_weights)}
        hit = next((step for step in steps if step[3] & set(starved)), None)
        if hit is None:
            continue
        stmt, node, kind, read, fn, text, first, func, via = hit
        prefix = f"{path or layer.name}{SEP}" if path else ""
        names = [f"{prefix}{starved[a].name}" for a in starved]
        ops = spelled(func, keras.ops, "keras.ops")
        fixed, kept = _straight_through(stmt, node, kind, text, ops, fn, layer)
        out.append((path or layer.name, layer, CallStep(
            klass.__name__, first + stmt.lineno - 1, ast.get_source_segment(text, stmt) or ast.unparse(stmt),
            kind, sorted(starved[a].name for a in read & set(starved)), names, fixed, kept, via)))
    return out


def _replaced(stmt_text: str, old: str, new: str) -> str:
    return stmt_text.replace(old, new, 1) if stmt_text.count(old) == 1 else stmt_text


def _output_width(node: ast.AST, layer: Any) -> tuple[int, ...]:
    """The last axis of what ``self.<attr>(...)`` gives in ``layer``'s call (the sublayer's output shape for the
    input shape it was built for), as a one-element tuple; empty where it cannot be known."""
    from kernest._graph import built_input_shapes

    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "self"):
        return ()
    sub = getattr(layer, node.func.attr, None)
    if not isinstance(sub, keras.layers.Layer):
        return ()
    shapes = built_input_shapes(sub)
    try:
        last = sub.compute_output_shape(shapes[0])[-1] if shapes and len(shapes) == 1 else None
    except Exception:  # noqa: BLE001 - a layer that cannot say its output shape
        return ()
    return (int(last),) if isinstance(last, int) else ()


def _straight_through(stmt: ast.stmt, node: ast.Call, kind: str, text: str, ops: str,
                      fn: ast.FunctionDef, layer: Any) -> tuple[str, str | None]:
    """The statement with its step op in a straight-through form (the same values forward, a gradient back),
    and for a pick (argmax) the statement with the probabilities kept instead; computed from the user's text."""
    stmt_text = ast.get_source_segment(text, stmt) or ast.unparse(stmt)
    step_text = ast.get_source_segment(text, node) or ast.unparse(node)
    parents = {id(c): p for p in ast.walk(stmt) for c in ast.iter_child_nodes(p)}
    # a sum in place of the step inside a larger expression (``ops.round(h * k) / k``) keeps its parentheses
    wrap = "({})" if isinstance(parents.get(id(node)), (ast.BinOp, ast.UnaryOp, ast.Attribute, ast.Subscript)) \
        else "{}"
    if kind in ("argmax", "argmin") and node.args:
        arg = node.args[0]
        arg_text = ast.get_source_segment(text, arg) or ast.unparse(arg)
        axis_node = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "axis"),
                                                                  None)
        axis = ast.unparse(axis_node) if axis_node is not None else "-1"
        sign = "-" if kind == "argmin" else ""
        soft = f"{ops}.softmax({sign}{arg_text}, axis={axis})"
        parent = parents.get(id(node))
        pname = (parent.func.attr if isinstance(parent.func, ast.Attribute) else getattr(parent.func, "id", "")) \
            if isinstance(parent, ast.Call) else ""
        if pname == "one_hot" and isinstance(parent, ast.Call):  # a one-hot pick: the probabilities forward-replaced by the one-hot
            hot = ast.get_source_segment(text, parent) or ast.unparse(parent)
            return (f"probs = {soft}; " + _replaced(stmt_text, hot, f"probs + {ops}.stop_gradient({hot} - probs)"),
                    _replaced(stmt_text, hot, soft))
        made = [n.value for n in ast.walk(fn) if isinstance(n, ast.Assign) and n.lineno <= stmt.lineno and any(
            isinstance(t, ast.Name) and t.id == arg_text for t in n.targets)]  # logits = self.gate(x)
        width = _output_width(made[-1] if made and isinstance(arg, ast.Name) else arg, layer)
        count = str(width[0]) if width else f"{ops}.shape({arg_text})[-1]"
        index = (f"index = {ops}.sum({soft} * {ops}.arange({count}, dtype=\"float32\"), axis={axis}); ")
        return (index + _replaced(stmt_text, step_text, wrap.format(
                    f"index + {ops}.stop_gradient({ops}.cast({step_text}, \"float32\") - index)")),
                None)
    if kind == "cast to integers":
        return (int_cast_fixed(stmt_text, node, text, ops) if int_cast_use(fn, node, text, layer) == "values"
                else ""), None
    inner = node.args[0] if node.args else None
    if kind == "comparison" and isinstance(inner, ast.Compare):
        inner = inner.left
    if inner is None:
        return "", None
    x = ast.get_source_segment(text, inner) or ast.unparse(inner)
    if not isinstance(inner, (ast.Name, ast.Attribute, ast.Call, ast.Subscript)):
        x = f"({x})"
    return _replaced(stmt_text, step_text, wrap.format(f"{x} + {ops}.stop_gradient({step_text} - {x})")), None


def call_step_finding(path: str, layer: Any, step: CallStep) -> tuple[str, str, str, str]:
    """(path, interface, problem, fix) for a step op in a user's call (see ``call_steps``)."""
    names = ", ".join(step.starved[:6]) + (f" and {len(step.starved) - 6} more" if len(step.starved) > 6 else "")
    who = (f"{step.via} ({layer.name}, called from {step.owner}.call)" if step.via else
           f"{step.owner}.call ({layer.name})")
    problem = (f"{who} takes {step.op} of {' and '.join(step.reads)}'s output, `{step.text}` (line "
               f"{step.line}): a step function, its output does not move when its input moves, so no gradient "
               f"passes it and the trainable layers before it ({names}) never learn; only the layers after it "
               "train. Nothing fails (TensorFlow only warns that gradients do not exist).")
    if step.op == "cast to integers":
        fix = int_cast_text(step.via or step.owner + ".call", step.line, step.text,
                            "values" if step.fixed else "index", step.fixed)
    elif not step.fixed:
        fix = (f"keep the float values {step.via or step.owner + '.call'} computes before the {step.op} for the layers after it "
               f"(line {step.line}), and take the step after predict.")
    else:
        fix = (f"in {step.via or step.owner + '.call'} write line {step.line} in a straight-through form, `{step.fixed}`: the "
               "same values forward, and a gradient passes back to the layers before it.")
        if step.kept:
            fix += f" Or keep the probabilities for the layers after it: `{step.kept}`."
    return path, f"{layer.name}.call -> {step.op}", problem, fix
