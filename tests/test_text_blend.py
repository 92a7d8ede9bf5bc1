"""The head's blend of the towers (``ModelConfig.blend``): its fit on held-out logits, how it is written into the
head's weights, and a run trained with it."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

import kernest
from kernest.text import ModelConfig, Predictor, build_model, export, train
from kernest.text._blend import BLENDS, blended, fit_blend, predict_terms, set_blend, tower_logits
from kernest.text._metrics import macro_f1
from tests.conftest_text import TINY, corpus_sample

CFG = ModelConfig.from_dict({"wide_buckets": 2048}, TINY)


def _synthetic(n: int = 6000, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Deep and wide logits whose labels are drawn from ``softmax(2 * deep + wide / 3 + bias)``: the wide
    logits three times too sure, the deep ones half as sure as they should be."""
    rng = np.random.default_rng(seed)
    deep, wide = rng.normal(size=(n, 3)), rng.normal(size=(n, 3)) * 6
    z = 2 * deep + wide / 3 + np.array([0.0, -0.5, 0.5])
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    y = np.array([rng.choice(3, p=row) for row in p])
    return deep, wide, y


@pytest.mark.core
@pytest.mark.parametrize("kind", BLENDS)
def test_the_blend_finds_how_sure_each_towers_logits_are(kind: str) -> None:
    deep, wide, y = _synthetic()
    _, _, no_bias = fit_blend(deep, wide, y, kind)
    assert not no_bias.any()  # no bias unless asked for
    a, b, c = fit_blend(deep, wide, y, kind, balanced=False, bias=True)
    # A softmax ignores what each row of a matrix adds to every class: compare the rows less their means.
    centred = np.eye(3) - 1 / 3
    np.testing.assert_allclose(a - a.mean(1, keepdims=True), 2 * centred, atol=0.3)
    np.testing.assert_allclose(b - b.mean(1, keepdims=True), centred / 3, atol=0.05)
    np.testing.assert_allclose(c - c[0], [0.0, -0.5, 0.5], atol=0.25)
    # On new texts of the same kind the blend beats the plain sum the head starts with.
    d2, w2, y2 = _synthetic(seed=1)
    assert macro_f1(y2, np.argmax(blended(d2, w2, (a, b, c)), 1), 3) > macro_f1(y2, np.argmax(d2 + w2, 1), 3) + 0.02


@pytest.mark.core
def test_the_blend_of_well_scaled_logits_stays_near_the_identity() -> None:
    rng = np.random.default_rng(2)
    deep, wide = rng.normal(size=(4000, 4)), rng.normal(size=(4000, 4))
    z = deep + wide
    y = np.array([rng.choice(4, p=np.exp(r) / np.exp(r).sum()) for r in z])
    a, b, _ = fit_blend(deep, wide, y, "full", balanced=False)
    centred = np.eye(4) - 1 / 4
    np.testing.assert_allclose(a - a.mean(1, keepdims=True), centred, atol=0.15)
    np.testing.assert_allclose(b - b.mean(1, keepdims=True), centred, atol=0.15)
    with pytest.raises(ValueError, match="blend must be one of"):
        fit_blend(deep, wide, y, "stacking")


@pytest.mark.parametrize("extra", [{}, {"deep_members": 2}, {"word_mean": True, "word_buckets": 40, "word_dim": 3}])
def test_the_blend_is_written_into_the_heads_layers(tmp_path: Path, extra: dict) -> None:
    cfg = ModelConfig.from_dict(extra, CFG)
    keras.utils.set_random_seed(1)
    m = build_model(None, None, 60, 3, cfg)
    head = m.get_layer("head")
    for layer in head.layers:  # a head that stage 2 has moved: deep logits that are not zero, a wide scale
        if layer.name.startswith(("deep_logits", "wide_logits")):
            layer.set_weights([np.random.default_rng(3).normal(size=w.shape).astype("float32")
                               for w in layer.get_weights()])
    ids = np.random.default_rng(4).integers(1, 60, size=(16, 12, 10)).astype("int32")
    ids[:, 8:] = 0  # padded words
    deep, wide = (np.asarray(t, np.float64) for t in tower_logits(m).predict(ids, verbose=0))
    np.testing.assert_allclose(m.predict(ids, verbose=0), keras.ops.softmax(deep + wide), atol=1e-5)
    rng = np.random.default_rng(5)
    blend = (rng.normal(size=(3, 3)), rng.normal(size=(3, 3)), rng.normal(size=3))
    names = [layer.name for layer in head.layers]
    set_blend(m, blend)
    assert [layer.name for layer in m.get_layer("head").layers] == names  # the same head, new weights
    want = keras.ops.convert_to_numpy(keras.ops.softmax(blended(deep, wide, blend)))
    np.testing.assert_allclose(m.predict(ids, verbose=0), want, atol=1e-4)
    kernest.save(m, tmp_path / "m.keras")
    np.testing.assert_allclose(kernest.load(tmp_path / "m.keras", safe_mode=True).predict(ids, verbose=0), want,
                               atol=1e-4)


@pytest.mark.slow
def test_a_run_with_a_blend_predicts_and_exports_alike(tmp_path: Path) -> None:
    import tensorflow as tf

    ds = corpus_sample(200)
    cfg = ModelConfig.from_dict({"blend": "scales"}, CFG)
    result = train(ds, out=tmp_path / "run", epochs=1, batch_size=32, seed=3, config=cfg, verbose=0,
                   tensorboard=False)
    fit = result.metrics["blend"]
    assert fit["kind"] == "scales" and len(fit["bias"]) == 3
    assert np.shape(fit["deep"]) == np.shape(fit["wide"]) == (3, 3)
    # The blend was fitted on the validation texts, so there it is at least as good as the sum it replaced
    # in the loss it minimises; and the model's own validation logits are the blended ones.
    enc, m = result.encoder, result.model
    y_val = enc.label_ids(result.splits.val.labels)
    probs = m.predict(enc.dataset(result.splits.val.texts, None, 64), verbose=0)
    assert macro_f1(y_val, np.argmax(probs, 1), 3) == pytest.approx(fit["val_macro_f1_after"])
    deep, wide = predict_terms(m, enc.dataset(result.splits.val.texts, None, 64))
    np.testing.assert_allclose(probs, keras.ops.softmax(deep + wide), atol=1e-5)
    texts = ["what a great flight", "lost my bag again", "ok"]
    fast = Predictor(tmp_path / "run").probabilities(texts)[0]
    slow = Predictor(tmp_path / "run", fast=False).probabilities(texts)[0]
    np.testing.assert_allclose(fast, slow, atol=1e-5)
    # The saved model is the blended one.
    np.testing.assert_allclose(fast, m.predict(enc.dataset(texts, None, 8), verbose=0), atol=1e-5)
    served = tf.saved_model.load(str(export(tmp_path / "run", tmp_path / "export")))
    out = served.signatures["serving_default"](tf.constant(texts))
    np.testing.assert_allclose(out["probabilities"].numpy(), fast, atol=1e-5)


@pytest.mark.core
@pytest.mark.parametrize("bad, match", [({"blend": "stacking"}, "blend must be"),
                                        ({"blend": "scales", "wide_kind": "bags"}, "blend needs"),
                                        ({"blend": "scales", "deep": False}, "blend needs")])
def test_blend_config_errors(bad: dict, match: str) -> None:
    with pytest.raises(kernest.DataError, match=match):
        ModelConfig.from_dict(bad, CFG)
