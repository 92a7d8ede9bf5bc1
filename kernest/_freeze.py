"""``kernest.freeze`` / ``kernest.unfreeze``: set ``trainable`` by path or glob, at any depth.

Keras reads ``trainable`` when it compiles (and when it builds the optimizer). Changing it on a compiled
model has no effect until the next compile, or breaks training with an optimizer error such as
"... whereas the optimizer was built with 2 variables". So a change on a compiled model warns, and
``recompile=True`` compiles again with a fresh optimizer of the same configuration, the same loss and
the same metrics. A frozen ``BatchNormalization`` runs in inference mode in Keras 3, so its moving
statistics stay as they are during ``fit``.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Iterable
from typing import Any

import keras

from kernest._errors import KernestError, KernestWarning
from kernest._graph import Entry, root, walk
from kernest._paths import expand_patterns, is_glob


def _nearest_glob(patterns: str | Iterable[str], paths: list[str]) -> str | None:
    """``"encoder/**"`` for ``"enc/**"``: the pattern with its literal leading steps replaced by the nearest
    path of as many steps, when one is near enough."""
    if not isinstance(patterns, str) or not is_glob(patterns):
        return None
    steps = patterns.split("/")
    lead = next((i for i, step in enumerate(steps) if is_glob(step)), len(steps))
    if lead == 0:
        return None
    # the leading steps name a part that sits deeper ("encoder/*" for backbone/encoder): the path to it
    deeper = sorted({"/".join(p.split("/")[:k + lead]) for p in paths for k in range(1, p.count("/") + 1)
                     if p.split("/")[k:k + lead] == steps[:lead]})
    if deeper:
        return "/".join([deeper[0], *steps[lead:]]) if len(deeper) == 1 else "/".join(["**", *steps])
    same_depth = sorted({"/".join(p.split("/")[:lead]) for p in paths if p.count("/") >= lead - 1})
    near = difflib.get_close_matches("/".join(steps[:lead]), same_depth, n=1, cutoff=0.5)
    return "/".join([near[0], *steps[lead:]]) if near and near[0] != "/".join(steps[:lead]) else None


def _set(model: Any, patterns: str | Iterable[str], value: bool, recompile: bool, verb: str) -> list[str]:
    if not isinstance(model, keras.layers.Layer):
        raise KernestError(f"{verb}() needs a Keras model, got {type(model).__name__}.")
    top = root(model)
    entries = list(walk(model, top))
    hits = expand_patterns(model, patterns, entries)
    if not hits:
        near = _nearest_glob(patterns, [e.path for e in entries])
        warnings.warn(
            f"{verb}({patterns!r}) matches no path in {model.name!r}; nothing changed. "
            + (f"Did you mean {verb}(model, {near!r})? " if near else "")
            + "kernest.paths(model) lists the paths; globs match one segment per '*', '**' any number.",
            KernestWarning, stacklevel=3,
        )
        return []
    before = {e.path: bool(getattr(e.layer, "trainable", True)) for e in entries}
    for e in hits:
        e.layer.trainable = value  # Keras sets the sublayers of a model or wrapper too
    if value:
        _unfreeze_ancestors(entries, hits, before)
    changed = [e.path for e in entries if bool(getattr(e.layer, "trainable", True)) != before[e.path]]
    if changed and getattr(model, "compiled", False):
        if recompile:
            _recompile(model)
        else:
            warnings.warn(
                f"{verb}() changed {len(changed)} path(s) of {model.name!r} after it was compiled. Keras uses "
                "the trainable flags it saw at compile time: recompile before fit (or pass recompile=True), "
                "otherwise training ignores the change or fails with an optimizer error.",
                KernestWarning, stacklevel=3,
            )
    return changed


def _unfreeze_ancestors(entries: list[Entry], hits: list[Entry], before: dict[str, bool]) -> None:
    """Keras ignores a trainable layer inside a frozen model. Unfreeze the ancestors of each hit, then
    freeze again whatever else was frozen before (the ancestors' other sublayers)."""
    lifted: set[str] = set()
    for e in hits:
        lifted.update(a.path for a in e.chain()[:-1])
    if not any(not before[p] for p in lifted):
        return
    for p in sorted(lifted, key=lambda q: q.count("/")):
        match = next(x for x in entries if x.path == p)
        match.layer.trainable = True
    inside = [e.path for e in hits]
    unfrozen = {id(e.layer) for e in entries if _under(e.path, inside)}  # a layer shared elsewhere stays unfrozen
    for e in entries:
        if not before[e.path] and id(e.layer) not in unfrozen and e.path not in lifted:
            e.layer.trainable = False


def _under(path: str, tops: list[str]) -> bool:
    return any(path == t or path.startswith(t + "/") for t in tops)


def _recompile(model: Any) -> None:
    """Compile again: a fresh optimizer from the current one's config, the same loss and metrics."""
    config = model.get_compile_config()
    if not config:
        raise KernestError(
            f"{model.name!r} was compiled with objects Keras cannot serialize, so kernest cannot recompile it. "
            "Call model.compile(...) again yourself after freezing."
        )
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        config["optimizer"] = keras.optimizers.serialize(optimizer)
    model.compile_from_config(config)


def freeze(model: keras.Model, pattern: str | Iterable[str], *, recompile: bool = False) -> list[str]:
    """Make the layers at ``pattern`` (a path or glob, or several) non-trainable.

    Args:
        model: a Keras model.
        pattern: e.g. ``"per_word/char_cnn"``, ``"per_word/char_cnn/*"`` or ``"**/conv*"``. Freezing a
            submodel freezes everything inside it.
        recompile: if the model was compiled, compile it again with a fresh optimizer of the same
            configuration, the same loss and metrics, so the change takes effect.

    Returns:
        The paths whose ``trainable`` flag changed (sublayers included), parents before children.

    Raises:
        PathError: a plain path (no glob characters) names nothing.

    Warns:
        KernestWarning: the pattern matches nothing (returns ``[]``), or the model was compiled and
            ``recompile`` is False.

    Example:
        >>> import keras, kernest
        >>> a = keras.Input((4,), name="a")
        >>> inner = keras.Model(a, keras.layers.Dense(3, name="dense")(a), name="inner")
        >>> b = keras.Input((4,), name="b")
        >>> outer = keras.Model(b, keras.layers.Dense(1, name="head")(inner(b)), name="outer")
        >>> kernest.freeze(outer, "inner")
        ['inner', 'inner/dense']
        >>> len(outer.trainable_weights)
        2
    """
    return _set(model, pattern, False, recompile, "freeze")


def unfreeze(model: keras.Model, pattern: str | Iterable[str], *, recompile: bool = False) -> list[str]:
    """Make the layers at ``pattern`` trainable again; see ``freeze`` for arguments and warnings.

    Example:
        >>> import keras, kernest
        >>> a = keras.Input((4,), name="a")
        >>> outer = keras.Model(a, keras.layers.Dense(3, name="dense")(a), name="outer")
        >>> kernest.freeze(outer, "*"), kernest.unfreeze(outer, "dense")
        (['dense'], ['dense'])
    """
    return _set(model, pattern, True, recompile, "unfreeze")
