"""Silent problems: nested models that build and train without an error but do the wrong thing.

Each rule looks at a built model (and every model nested in it) and returns ``Finding`` records with
the nested path, the interface, what is wrong and the fix. ``check`` reports them as warnings;
``kernest check --strict`` exits 1 on them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import keras

from kernest._graph import calls, children, find_layer, producer_chain


@dataclass(frozen=True)
class Finding:
    path: str
    interface: str
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.path}: {self.interface}: {self.problem} Fix: {self.fix}"


def lint(model: Any) -> list[Finding]:
    """Every silent problem found in ``model``, in a stable order."""
    if not isinstance(model, keras.Model):
        return []
    found: list[Finding] = []
    for rule in (_trainable_after_compile, _frozen_but_compiled_alone, _batchnorm_in_frozen, _mask_dropped):
        found.extend(rule(model))
    return found


def _models(model: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``model`` and every model nested in it (inside wrappers too), with paths; the root has path ''."""
    yield prefix, model
    for step, sub in children(model):
        path = f"{prefix}/{step}" if prefix else step
        if isinstance(sub, keras.Model):
            yield from _models(sub, path)
        else:
            for inner_step, inner in children(sub):
                if isinstance(inner, keras.Model):
                    yield from _models(inner, f"{path}/{inner_step}")


def _is_compiled(model: Any) -> bool:
    return getattr(model, "optimizer", None) is not None and bool(getattr(model, "compiled", False))


# --- trainable changed after compile -----------------------------------------------------------------------

def _trainable_after_compile(model: Any) -> list[Finding]:
    out = []
    for path, sub in _models(model):
        if not _is_compiled(sub):
            continue
        now = [id(v) for v in sub.trainable_variables]
        compiled_with = getattr(sub, "_kernest_compiled_with", None)
        optimizer = sub.optimizer
        built_with = getattr(optimizer, "_trainable_variables", None) if getattr(optimizer, "built", False) else None
        before = compiled_with if compiled_with is not None else (
            [id(v) for v in built_with] if built_with is not None else None
        )
        if before is None or sorted(before) == sorted(now):
            continue
        if compiled_with is not None and built_with is None and getattr(sub, "train_function", None) is None:
            continue  # not trained yet: Keras reads trainable when fit first runs, so the change still counts
        name = path or sub.name
        out.append(Finding(
            name, f"{sub.name} -> optimizer",
            f"trainable was changed after {sub.name} was compiled and trained ({len(before)} trainable variables "
            f"then, {len(now)} now); the compiled training step still updates the old set.",
            f"call {sub.name}.compile(...) again after changing trainable, or use "
            f"kernest.freeze/unfreeze({sub.name}, pattern, recompile=True).",
        ))
    return out


# --- a model frozen for its parent but compiled to train on its own ------------------------------------

def _frozen_but_compiled_alone(model: Any) -> list[Finding]:
    if not _is_compiled(model):
        return []
    out = []
    for path, sub in _models(model):
        if not path or sub.trainable or not _is_compiled(sub) or not sub.weights:
            continue
        out.append(Finding(
            path, f"{model.name} -> {sub.name}",
            f"{sub.name} is frozen (trainable=False) so that {model.name} trains only the rest, but {sub.name} is "
            f"also compiled to train on its own. Keras 3 reads trainable when a training step is first built, "
            f"not at compile time, so {sub.name}'s own fit/train_on_batch updates nothing while it stays frozen.",
            f"set {sub.name}.trainable = True before training {sub.name} and {sub.name}.trainable = False before "
            f"training {model.name}, then compile each again (or use kernest.freeze(..., recompile=True)).",
        ))
    return out


# --- BatchNormalization left trainable in a frozen model -----------------------------------------------------

def _batchnorm_in_frozen(model: Any) -> list[Finding]:
    out = []
    for path, sub in _models(model):
        if not path:
            continue
        layers = [(p, layer) for p, layer in _leaves(sub) if layer.weights]
        frozen = [p for p, layer in layers if not layer.trainable and not _is_bn(layer)]
        live_bn = [p for p, layer in layers if layer.trainable and _is_bn(layer)]
        trainable_rest = [p for p, layer in layers if layer.trainable and not _is_bn(layer)]
        if frozen and live_bn and not trainable_rest:
            bn = f"{path}/{live_bn[0]}"
            out.append(Finding(
                bn, f"{model.name} -> {sub.name}",
                f"every layer of {sub.name} is frozen except its BatchNormalization layers ({', '.join(live_bn)}), "
                "which stay in training mode: their moving mean and variance keep changing when the model trains.",
                f"freeze the whole model with {sub.name}.trainable = False (Keras then runs its BatchNormalization in "
                f"inference mode), or call it as {sub.name}(x, training=False).",
            ))
    return out


def _is_bn(layer: Any) -> bool:
    return isinstance(layer, (keras.layers.BatchNormalization,))


def _leaves(layer: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    for step, sub in children(layer):
        path = f"{prefix}/{step}" if prefix else step
        subs = children(sub)
        if subs and not isinstance(sub, keras.layers.Bidirectional):
            yield from _leaves(sub, path)
        else:
            yield path, sub


# --- a mask dropped between where it is made and where it is needed ------------------------------------------

_MASK_USERS = (keras.layers.RNN, keras.layers.LSTM, keras.layers.GRU, keras.layers.SimpleRNN,
               keras.layers.Bidirectional, keras.layers.MultiHeadAttention, keras.layers.Attention)


def _mask_dropped(model: Any) -> list[Finding]:
    out = []
    seen: set[int] = set()
    for path, sub in _models(model):
        for call in calls(sub):
            layer = call.layer
            if not isinstance(layer, _MASK_USERS) or not call.inputs or id(layer) in seen:
                continue
            dropper = None
            for up, up_path, _ in producer_chain(call.inputs[0]):
                if isinstance(up, keras.Model):
                    continue
                if _makes_mask(up):
                    if dropper is not None:
                        seen.add(id(layer))
                        out.append(_mask_finding(model, path, layer, up, up_path, dropper))
                    break
                if not getattr(up, "supports_masking", False) and dropper is None:
                    dropper = (up, up_path)
    return out


def _makes_mask(layer: Any) -> bool:
    return (isinstance(layer, keras.layers.Embedding) and bool(layer.mask_zero)) or isinstance(layer, keras.layers.Masking)


def _mask_finding(model: Any, path: str, user: Any, source: Any, source_path: str, dropper: tuple[Any, str]) -> Finding:
    drop_layer, drop_rel = dropper
    where = f"{path}/{drop_rel}" if path else drop_rel
    full = find_layer(model, drop_layer) or where
    user_path = find_layer(model, user) or user.name
    src_path = find_layer(model, source) or source.name
    return Finding(
        full, f"{src_path.rsplit('/', 1)[0] if '/' in src_path else src_path} -> {user_path.split('/')[0]}",
        f"{src_path} makes a padding mask (mask_zero=True), but {full} ({type(drop_layer).__name__}) does not support "
        f"masking and drops it, so {user_path} reads the padding as data.",
        f"pass the mask on explicitly: mask = keras.ops.not_equal(ids, 0) on the ids, then call {user.name}(x, mask=mask); "
        f"or use a layer that keeps masks in place of {drop_layer.name}.",
    )
