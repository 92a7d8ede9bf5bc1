"""Silent problems at the boundary of a nested model: the twin encoders of a siamese model built twice (two sets of
weights where one was meant), and a layer's ``call`` that counts in a Python attribute (``self.calls += 1``), which
TensorFlow's and JAX's compiled steps run only while tracing. ``kernest check --strict`` reports them."""

from __future__ import annotations

import ast
import os
import re
from typing import Any

import keras

from kernest._cut_graph import trained_without_the_first_model
from kernest._explain_boundary import _path_in, user_class
from kernest._lint import Finding, _parsed_function, _parsed_script

# Layers that compare their inputs (a distance or a similarity) rather than join them.
_COMPARING = (keras.layers.Subtract, keras.layers.Dot, keras.layers.Lambda)


def boundary_findings(model: Any) -> list[Finding]:
    """Every finding of the rules below for ``model`` (the model the script fits)."""
    return (_twins_not_shared(model) + _python_state_in_call(model) + trained_without_the_first_model(model)
            + _list_partly_used(model))


# --- siamese twins built twice ------------------------------------------------------------------------------------

# Config keys that hold names (a layer's own, or the names its graph links by, which Keras numbers per instance:
# "dense" in one copy, "dense_1" in the next).
_NAMING = {"name", "keras_history", "input_layers", "output_layers"}


def _architecture(layer: Any) -> Any:
    """``layer``'s config without names, so two copies of one architecture compare equal."""
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in _NAMING}
        if isinstance(value, (list, tuple)):
            return [strip(v) for v in value]
        return value
    try:
        return strip(layer.get_config())
    except Exception:  # a user's class without get_config: no comparison
        return None


def _feeders(layer: Any) -> list[Any]:
    """The layers whose outputs ``layer`` takes, over every call of it."""
    out = []
    for node in getattr(layer, "_inbound_nodes", []):
        for t in node.input_tensors:
            history = getattr(t, "_keras_history", None)
            if history is not None:
                out.append(history.operation)
    return out


def _sub_model_behind(layer: Any, subs: list[Any], steps: int = 3) -> Any:
    """The sub-model ``layer`` is, or takes its one input from through up to ``steps`` layers of one input each (a
    projection or a normalisation on each side before the comparison); None where there is none."""
    for _ in range(steps + 1):
        if any(layer is s for s in subs):
            return layer
        before = _feeders(layer)
        if isinstance(layer, keras.Model) or len(before) != 1:
            return None
        layer = before[0]
    return None


def _twins_not_shared(model: Any) -> list[Finding]:
    """``make_encoder("encoder_a")(left)`` and ``make_encoder("encoder_b")(right)`` compared by a distance: two
    sub-models of one architecture, each with its own weights, so the two sides are embedded by two functions
    that train apart. A siamese model calls one encoder on both inputs."""
    subs = [s for s in getattr(model, "layers", []) if isinstance(s, keras.Model)]
    for merge in (m for m in getattr(model, "layers", []) if isinstance(m, _COMPARING)):
        fed = [f for f in (_sub_model_behind(f, subs) for f in _feeders(merge)) if f is not None]
        if len(fed) != 2 or fed[0] is fed[1] or _architecture(fed[0]) is None:
            continue
        a, b = fed
        if _architecture(a) != _architecture(b) or _two_kinds(model, a, b):
            continue
        shared = os.path.commonprefix([a.name, b.name]).rstrip("_-") or "encoder"
        fix = _one_builder_call(model, a.name, shared)
        held = fix.split(" = ", 1)[0] if fix is not None else shared
        return [Finding(
            model.name, f"{a.name} -> {b.name}",
            f"{a.name} and {b.name} have the same architecture but each has its own weights, and {merge.name} "
            f"compares their outputs: the two inputs are embedded by two functions that train apart, so equal "
            f"inputs get different vectors. A siamese model embeds both sides with one encoder.",
            (f"build the encoder once and call it on both inputs: `{fix}`, then `{held}(...)` on each input."
             if fix is not None else f"build one encoder and call it on both inputs (`{shared}(...)` twice)."),
        )]
    return []


# The words that tell copies of one thing apart (sides, ordinals, a triplet's roles): twins named ``encoder_a`` /
# ``encoder_b``, ``tower_l`` / ``tower_r``, or numbered by Keras (``encoder`` / ``encoder_1``) are the same encoder.
_COPY_MARKS = {"", "a", "b", "c", "l", "r", "x", "y", "left", "right", "first", "second", "one", "two", "anchor",
               "positive", "negative", "pos", "neg", "other", "copy", "twin", "src", "tgt", "lhs", "rhs"}


# The names Keras gives a model or an input the user left unnamed: they tell nothing about a role.
_KERAS_NAMED = re.compile(r"^(functional|model|sequential|input_layer|input|keras_tensor)(_\d+)?$")


def _two_kinds(model: Any, a: Any, b: Any) -> bool:
    """Whether twin sub-models ``a`` and ``b`` embed two kinds of input on purpose (a two-tower model: users and
    items), not two samples of one kind (a siamese model built twice). The data fit gave them decide first: rows
    that appear on both sides are samples of one kind. Then the first names the user gave both sides: the
    sub-models', the model inputs that feed them, or the script's variables that hold them (Keras' own
    ``functional_1``, ``input_layer_2`` tell nothing)."""
    from kernest._lint import _per_input

    inputs = [_input_behind(model, t) for t in (a, b)]
    given = getattr(model, "_kernest_data", None)
    arrays = _per_input(model, given) if given is not None and None not in inputs else []
    if len(arrays) == len(getattr(model, "inputs", None) or []) and arrays:
        if _share_rows(arrays[inputs[0]], arrays[inputs[1]]):  # type: ignore[index]
            return False
    held = getattr(model, "_kernest_models", None)
    variables = {id(v): k for k, v in (held() if callable(held) else {}).items()}
    for names in ((a.name, b.name),
                  tuple(_input_layer_name(model.inputs[i]) if i is not None else "" for i in inputs),
                  (variables.get(id(a), ""), variables.get(id(b), ""))):
        if all(n and not _KERAS_NAMED.match(n) for n in names):
            return _named_for_roles(*names)
    return False


def _input_layer_name(tensor: Any) -> str:
    return str(getattr(getattr(tensor, "_keras_history", None), "operation", tensor).name)


def _input_behind(model: Any, tower: Any, steps: int = 3) -> int | None:
    """The position in ``model.inputs`` of the one model input that reaches ``tower`` through up to ``steps``
    layers of one input each; None where there is none."""
    layer = tower
    for _ in range(steps + 1):
        before = _feeders(layer)
        if len(before) != 1:
            return None
        layer = before[0]
        for i, t in enumerate(getattr(model, "inputs", None) or []):
            if getattr(getattr(t, "_keras_history", None), "operation", None) is layer:
                return i
    return None


def _share_rows(left: Any, right: Any) -> bool:
    """Whether two arrays hold the same samples in part: at least a tenth (and two) of the distinct rows of one,
    each with several values not all equal (not padding, not a lone id that two vocabularies share), appear in
    the other."""
    import numpy as np

    if left is None or right is None or left.shape[1:] != right.shape[1:] or left.ndim < 2 or left[0].size < 2:
        return False
    def rows(x: Any) -> set[bytes]:
        flat = np.ascontiguousarray(x.reshape(len(x), -1))
        return {r.tobytes() for r in flat if not np.all(r == r[0])}
    mine, theirs = rows(left), rows(right)
    common = len(mine & theirs)
    return common >= 2 and common >= 0.1 * min(len(mine), len(theirs))


def _named_for_roles(a: str, b: str) -> bool:
    """Whether two sub-models' names tell different roles apart (``user_tower`` / ``item_tower``, ``query_encoder``
    / ``doc_encoder``): a two-tower model that gives each kind of input its own weights on purpose. Copies of one
    encoder differ by a side or a number only."""
    words = [[w for w in re.split(r"[_\-\s]+|(?<=[a-z])(?=[A-Z])", n.lower()) if w] for n in (a, b)]
    while all(words) and words[0][0] == words[1][0]:
        words = [w[1:] for w in words]
    while all(words) and words[0][-1] == words[1][-1]:
        words = [w[:-1] for w in words]
    left, right = ("".join(w) for w in words)
    # a single letter is too little to name a role: tower_q / tower_d read as two copies, query_tower / doc_tower not
    return all(len(part) > 1 and part.isalpha() and part not in _COPY_MARKS for part in (left, right))


def _one_builder_call(model: Any, name: str, shared: str) -> str | None:
    """``encoder = make_encoder("encoder")``: the script's builder call that made the sub-model ``name``, once."""
    parsed = _parsed_script(getattr(model, "_kernest_script", None))
    if parsed is None:
        return None
    for node in ast.walk(parsed[1]):
        if (isinstance(node, ast.Call) and any(isinstance(a, ast.Constant) and a.value == name
                                               for a in [*node.args, *(k.value for k in node.keywords)])
                and isinstance(node.func, ast.Name)):
            call = ast.unparse(node).replace(repr(name), f'"{shared}"').replace(f'"{name}"', f'"{shared}"')
            held = f"shared_{shared}" if shared == node.func.id else shared  # keep the builder's own name free
            return f"{held} = {call}"
    # a builder that names nothing, called inline on each side: ``encoder()(question)``, ``encoder()(candidate)``
    defined = {d.name for d in ast.walk(parsed[1]) if isinstance(d, ast.FunctionDef)}
    inline = [n.func for n in ast.walk(parsed[1]) if isinstance(n, ast.Call) and isinstance(n.func, ast.Call)
              and isinstance(n.func.func, ast.Name) and n.func.func.id in defined and n.args]
    made = {ast.unparse(c) for c in inline}
    if len(inline) == 2 and len(made) == 1:
        builder = inline[0].func.id  # type: ignore[attr-defined]
        return f"{'shared' if builder == 'encoder' else 'encoder'} = {made.pop()}"
    return None


# --- a Python counter in call() -----------------------------------------------------------------------------------

def _python_state_in_call(model: Any) -> list[Finding]:
    """``self.calls += 1`` in a user's ``call``: fit compiles the step on TensorFlow and JAX, so Python code in
    ``call`` runs when the step is traced (once or twice), not at every batch; a variable updated with
    ``assign_add`` is part of the compiled step."""
    out: list[Finding] = []
    seen: set[type] = set()
    for layer in model._flatten_layers(include_self=False):
        cls = type(layer)
        parsed = _parsed_function(cls.call) if cls not in seen and "call" in vars(cls) and user_class(cls) else None
        seen.add(cls)
        if parsed is None:
            continue
        out.extend(_python_list_in_call(model, layer, parsed[0]))
        for node in (n for n in ast.walk(parsed[0]) if isinstance(n, ast.AugAssign)):
            target = node.target
            if not (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name)
                    and target.value.id == "self" and isinstance(node.op, (ast.Add, ast.Sub))):
                continue
            value = getattr(layer, target.attr, None)
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                continue
            method = "assign_add" if isinstance(node.op, ast.Add) else "assign_sub"
            dtype = "int32" if isinstance(value, int) else "float32"
            path = _path_in(model, layer) or layer.name
            out.append(Finding(
                path, f"{layer.name} -> fit",
                f"{cls.__name__}.call changes the Python attribute {target.attr} (`{ast.unparse(node)}`); fit "
                f"compiles the training step on TensorFlow and JAX and runs Python code in call only while it traces "
                f"the step, so {target.attr} counts traces, not batches.",
                f"keep it in a non-trainable variable, updated inside the step: in __init__ `self.{target.attr} = "
                f'self.add_weight(shape=(), initializer="zeros", dtype="{dtype}", trainable=False, '
                f'name="{target.attr}")`, and in call `self.{target.attr}.{method}({ast.unparse(node.value)})`.',
            ))
    return out


def _python_list_in_call(model: Any, layer: Any, tree: ast.AST) -> list[Finding]:
    """``self.scores.append(x)`` in a user's ``call`` where ``self.scores`` is a Python list: like a counter, it
    grows only while TensorFlow's and JAX's compiled steps trace, and holds symbolic tensors, not one value per
    batch."""
    for node in ast.walk(tree):
        func = node.func if isinstance(node, ast.Call) else None
        if not (isinstance(func, ast.Attribute) and func.attr in ("append", "extend", "insert")
                and isinstance(func.value, ast.Attribute) and isinstance(func.value.value, ast.Name)
                and func.value.value.id == "self"):
            continue
        attr = func.value.attr
        if not isinstance(getattr(layer, attr, None), list):
            continue
        path = _path_in(model, layer) or layer.name
        return [Finding(
            path, f"{layer.name} -> fit",
            f"{type(layer).__name__}.call adds to the Python list {attr} (`{ast.unparse(node)}`); fit and predict "
            f"compile the step on TensorFlow and JAX and run Python code in call only while they trace it, so {attr} "
            f"gets one or two traced tensors, not a value per batch, and reading them after fit fails or misleads.",
            f"drop `{ast.unparse(node)}` and return the value from call as an extra output of {layer.name} (and of "
            "a model built on the same layers), then read it with predict; to keep a running figure instead, hold it "
            "in a non-trainable variable made in __init__ with self.add_weight(..., trainable=False) and update it "
            "in call with `.assign(...)`.",
        )]
    return []


# --- a list of sub-layers of which call() uses only some ----------------------------------------------------------

def _list_partly_used(model: Any) -> list[Finding]:
    """``self.blocks = [...]`` of several layers with weights, and a user's ``call`` that only ever reads
    ``self.blocks[0]`` (a constant index, often inside ``for i in range(...)`` with ``i`` unused): the other layers
    are built, counted in the summary, and never trained."""
    out: list[Finding] = []
    for layer in [model, *model._flatten_layers(include_self=False)]:
        cls = type(layer)
        parsed = _parsed_function(cls.call) if "call" in vars(cls) and user_class(cls) else None
        if parsed is None:
            continue
        tree = parsed[0]
        for attr, held in vars(layer).items():
            if not isinstance(held, list) or len(held) < 2 or not all(
                    isinstance(x, keras.layers.Layer) and x.weights for x in held):
                continue
            reads = [n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == attr
                     and isinstance(n.value, ast.Name) and n.value.id == "self"]
            indexed = [n for n in ast.walk(tree) if isinstance(n, ast.Subscript) and n.value in reads]
            used = [_constant(n.slice) for n in indexed]
            if not reads or len(indexed) != len(reads) or None in used:
                continue  # iterated, or indexed by a variable: every item may be used
            unused = [x.name for i, x in enumerate(held) if i not in used and i - len(held) not in used]
            if not unused:
                continue
            loop = next((f for f in ast.walk(tree) if isinstance(f, ast.For) and isinstance(f.target, ast.Name)
                         and any(n in indexed for b in f.body for n in ast.walk(b))
                         and not any(isinstance(n, ast.Name) and n.id == f.target.id
                                     for b in f.body for n in ast.walk(b))), None)
            var = loop.target.id if loop is not None else "i"  # type: ignore[attr-defined]
            shown = ast.unparse(indexed[0])
            out.append(Finding(
                _path_in(model, layer) or layer.name, f"{layer.name}.call -> {attr}",
                f"{cls.__name__} holds {len(held)} layers in self.{attr}, but call only uses {shown}"
                + (f" (inside `for {var} in ...`, whose {var} is never used)" if loop is not None else "")
                + f": {', '.join(unused)} are built and hold weights that never train.",
                (f"index by the loop variable: self.{attr}[{var}] in place of {shown}" if loop is not None else
                 f"call each of them (for block in self.{attr}: ...), or drop the ones not meant to be used")
                + ".",
            ))
    return out


def _constant(node: ast.expr) -> int | None:
    """An index written as a number (``0``, ``-1``), else None."""
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError):  # a name or an expression: not a written number
        return None
    return value if isinstance(value, int) else None
