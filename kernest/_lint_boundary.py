"""Silent problems at the boundary of a nested model: the twin encoders of a siamese model built twice (two sets of
weights where one was meant), and a layer's ``call`` that counts in a Python attribute (``self.calls += 1``), which
TensorFlow's and JAX's compiled steps run only while tracing. ``kernest check --strict`` reports them."""

from __future__ import annotations

import ast
import os
from typing import Any

import keras

from kernest._explain_boundary import _path_in, user_class
from kernest._lint import Finding, _parsed_function, _parsed_script

# Layers that compare their inputs (a distance or a similarity) rather than join them.
_COMPARING = (keras.layers.Subtract, keras.layers.Dot, keras.layers.Lambda)


def boundary_findings(model: Any) -> list[Finding]:
    """Every finding of the rules below for ``model`` (the model the script fits)."""
    return _twins_not_shared(model) + _python_state_in_call(model)


# --- siamese twins built twice ------------------------------------------------------------------------------------

def _architecture(layer: Any) -> Any:
    """``layer``'s config without names, so two copies of one architecture compare equal."""
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "name"}
        if isinstance(value, list):
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


def _twins_not_shared(model: Any) -> list[Finding]:
    """``make_encoder("encoder_a")(left)`` and ``make_encoder("encoder_b")(right)`` compared by a distance: two
    sub-models of one architecture, each with its own weights, so the two sides are embedded by two functions
    that train apart. A siamese model calls one encoder on both inputs."""
    subs = [s for s in getattr(model, "layers", []) if isinstance(s, keras.Model)]
    for merge in (m for m in getattr(model, "layers", []) if isinstance(m, _COMPARING)):
        fed = [f for f in _feeders(merge) if f in subs]
        if len(fed) != 2 or fed[0] is fed[1] or _architecture(fed[0]) is None:
            continue
        a, b = fed
        if _architecture(a) != _architecture(b):
            continue
        shared = os.path.commonprefix([a.name, b.name]).rstrip("_-") or "encoder"
        fix = _one_builder_call(model, a.name, shared)
        return [Finding(
            model.name, f"{a.name} -> {b.name}",
            f"{a.name} and {b.name} have the same architecture but each has its own weights, and {merge.name} "
            f"compares their outputs: the two inputs are embedded by two functions that train apart, so equal "
            f"inputs get different vectors. A siamese model embeds both sides with one encoder.",
            (f"build the encoder once and call it on both inputs: `{fix}`, then `{shared}(...)` on each input."
             if fix is not None else f"build one encoder and call it on both inputs (`{shared}(...)` twice)."),
        )]
    return []


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
            return f"{shared} = {call}"
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
