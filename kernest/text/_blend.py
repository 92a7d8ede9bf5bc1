"""The head's blend of the towers: how much of the deep tower's logits and of the wide tower's it adds, fitted on
texts that the towers did not train on.

Stage 2 trains the deep tower with the frozen wide tower's logits of its own training texts, which stage 1 has
fitted (it classifies about 91 % of them right, against 76 % of new texts): those logits look surer than they are
on new text, and the deep tower's are scaled against them. A blend ``deep @ A + wide @ B + c`` fitted on logits of
held-out texts (the validation split, or out-of-fold predictions) sets the scales for new text. The head keeps its
layers: ``A`` and ``c`` go into its ``deep_logits`` layer(s), ``B`` into its ``wide_logits`` layer, so the model
stays one nested ``keras.Model`` that ``kernest predict`` and the export run unchanged.

Kinds of blend (``ModelConfig.blend``): ``"temperature"`` (one scale per tower), ``"scales"`` (a scale per tower
and class), ``"full"`` (a ``(classes, classes)`` matrix per tower: a small multinomial logistic regression on both
towers' logits); each with a bias per class only where ``fit_blend`` is asked for one (``train`` does not).
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

BLENDS = ("temperature", "scales", "full")
# A blend: the deep logits' matrix A (classes, classes), the wide logits' B (classes, classes), the bias c (classes,).
Blend = tuple[np.ndarray, np.ndarray, np.ndarray]


def tower_logits(model: keras.Model) -> keras.Model:
    """``chars -> (deep logits, wide logits)``, each ``(B, classes)``: the two terms that the head of a linear
    wide-and-deep ``model`` adds before its softmax (with several deep towers, their average)."""
    head = model.get_layer("head")
    names = [layer.name for layer in head.layers]
    deep = head.get_layer("deep_mean" if "deep_mean" in names else "deep_logits")
    parts = keras.Model(head.inputs, [deep.output, head.get_layer("wide_logits").output], name="head_terms")
    chars = keras.Input(model.input_shape[1:], dtype="int32", name="chars")
    return keras.Model(chars, parts([model.get_layer(x.name)(chars) for x in head.inputs]), name="tower_logits")


def fit_blend(deep: np.ndarray, wide: np.ndarray, y: np.ndarray, kind: str = "scales", balanced: bool = True,
              bias: bool = False, l2: float = 1e-3) -> Blend:
    """The blend of the towers' logits ``(texts, classes)`` that minimises the (class-balanced) cross-entropy of
    ``softmax(deep @ A + wide @ B + c)`` on the labels ``y``, with an L2 penalty ``l2`` pulling ``A`` and ``B``
    toward the identity (the head as it is). Without ``bias``, ``c`` stays 0: the classes keep the balance
    that the towers' class-weighted fits gave them (a bias fitted for the cross-entropy moved predictions to
    the smallest class and cost macro-F1 on cross-validation, BENCHMARKS.md section 4, seventh pass).

    >>> rng = np.random.default_rng(0)
    >>> wide = rng.normal(size=(400, 3)) * 4; y = np.argmax(wide / 4 + rng.normal(size=(400, 3)), 1)
    >>> a, b, c = fit_blend(np.zeros((400, 3)), wide, y, "temperature", bias=True)
    >>> bool(b[0, 0] < 0.6)   # the wide logits were four times too sure
    True
    """
    from scipy.optimize import minimize

    if kind not in BLENDS:
        raise ValueError(f"blend must be one of {BLENDS} (got {kind!r})")
    n, k = wide.shape
    counts = np.bincount(y, minlength=k).astype(np.float64)
    w = (n / (k * np.maximum(counts, 1.0)))[y] if balanced else np.ones(n)
    w = w / w.sum()
    onehot = np.eye(k)[y]
    eye = np.eye(k)

    def unpack(p: np.ndarray) -> Blend:
        c = p[-k:] if bias else np.zeros(k)
        if kind == "temperature":
            return p[0] * eye, p[1] * eye, c
        if kind == "scales":
            return np.diag(p[:k]), np.diag(p[k:2 * k]), c
        return p[:k * k].reshape(k, k), p[k * k:2 * k * k].reshape(k, k), c

    def loss(p: np.ndarray) -> tuple[float, np.ndarray]:
        a, b, c = unpack(p)
        z = deep @ a + wide @ b + c                                                  # (texts, classes)
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        g = w[:, None] * (np.exp(logp) - onehot)                                     # d loss / d z
        da, db, dc = deep.T @ g + 2 * l2 * (a - eye), wide.T @ g + 2 * l2 * (b - eye), g.sum(axis=0)
        value = -float(np.sum(w * np.sum(onehot * logp, axis=1))) + l2 * float(np.sum((a - eye) ** 2)
                                                                               + np.sum((b - eye) ** 2))
        tail = [dc] if bias else []
        if kind == "temperature":
            return value, np.concatenate([[np.trace(da), np.trace(db)], *tail])
        if kind == "scales":
            return value, np.concatenate([np.diag(da), np.diag(db), *tail])
        return value, np.concatenate([da.ravel(), db.ravel(), *tail])

    start = {"temperature": np.r_[1.0, 1.0], "scales": np.ones(2 * k), "full": np.r_[eye.ravel(), eye.ravel()]}[kind]
    start = np.r_[start, np.zeros(k)] if bias else start
    result = minimize(loss, start, jac=True, method="L-BFGS-B")
    return unpack(np.asarray(result.x, np.float64))


def blended(deep: np.ndarray, wide: np.ndarray, blend: Blend) -> np.ndarray:
    """The head's logits ``(texts, classes)`` under ``blend``."""
    a, b, c = blend
    return deep @ a + wide @ b + c


def set_blend(model: keras.Model, blend: Blend) -> None:
    """Write ``blend`` into the head's weights: every ``deep_logits`` layer's kernel and bias are multiplied by
    ``A`` (and get ``c`` added to the bias), the ``wide_logits`` layer's by ``B``; the model then computes
    ``softmax(deep @ A + wide @ B + c)`` with the logits it computed before."""
    a, b, c = blend
    head = model.get_layer("head")
    for layer in (x for x in head.layers if x.name.startswith("deep_logits")):
        kernel, bias = (keras.ops.convert_to_numpy(v) for v in (layer.kernel, layer.bias))
        layer.set_weights([(kernel @ a).astype(kernel.dtype), (bias @ a + c).astype(bias.dtype)])
    layer = head.get_layer("wide_logits")
    kernel, bias = (keras.ops.convert_to_numpy(v) for v in (layer.kernel, layer.bias))
    layer.set_weights([(kernel @ b).astype(kernel.dtype), (bias @ b).astype(bias.dtype)])


def predict_terms(model: keras.Model, dataset: Any) -> tuple[np.ndarray, np.ndarray]:
    """The deep and the wide logits ``(texts, classes)`` of the texts of ``dataset`` (``TextEncoder.dataset``)."""
    deep, wide = tower_logits(model).predict(dataset, verbose=0)
    return np.asarray(deep, np.float64), np.asarray(wide, np.float64)
