"""The sentiment model: the towers, composition with kernest.over, masking, padding invariance, safe saving,
its layers and its config."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest

import kernest
from kernest import DataError
from kernest.text import EmbeddingBag, ModelConfig, NgramHash, WordHash, build_model

SMALL = ModelConfig(char_dim=4, widths=(2, 3), filters=4, word_units=4, dropout=0.0, wide_buckets=97, wide_dim=4,
                    wide_vectors="none")


def fill_wide(model: keras.Model, seed: int = 0) -> None:
    """Random tables in the linear wide tower's views (built with zeros), so that they change the outputs."""
    rng = np.random.default_rng(seed)
    for view in ("nb", "tfidf"):
        layer = kernest.get(model, f"wide/{view}_logits")
        shape = (layer.buckets, layer.units)
        layer.set_tables(rng.uniform(0.5, 3, layer.buckets), rng.uniform(-1, 1, shape), rng.normal(size=shape),
                         rng.normal(size=layer.units))


def test_model_is_wide_and_deep_with_over_inside_the_deep_tower() -> None:
    m = build_model(10, 6, 30, 3, SMALL)
    assert m.input_shape == (None, 10, 6) and m.output_shape == (None, 3)
    assert [layer.name for layer in m.layers[1:]] == ["deep", "wide", "head", "head_classes"]
    per_word = kernest.get(m, "deep/per_word")
    assert isinstance(per_word, kernest.Over)
    cnn = per_word.layer
    assert cnn.name == "char_cnn" and cnn.output_shape == (None, 8)
    names = {layer.name for layer in cnn.layers}
    assert {"char_embed", "conv_w2", "conv_w3", "pool_w2", "pool_w3", "highway"} <= names
    assert "deep/word_bilstm" in kernest.paths(m)
    assert {"wide/word_ngrams", "wide/char_ngrams", "wide/nb_logits", "wide/tfidf_logits"} <= set(kernest.paths(m))
    assert {"deep", "wide"} <= {r.path for r in kernest.summary(m).rows}
    assert m.get_layer("head").input_shape == [(None, 8), (None, 3)]  # deep features, wide logits
    bags = build_model(10, 6, 30, 3, ModelConfig.from_dict({"wide_kind": "bags"}, SMALL))
    assert {"wide/word_bag", "wide/char_bag"} <= set(kernest.paths(bags))
    assert bags.get_layer("head").input_shape == [(None, 8), (None, 8)]
    # Joined by kernest.connect: each tower feeds the head input named after it.
    assert [str(w) for w in m.wiring] == ["deep -> deep (by name)", "wide -> wide (by name)"]


def test_freezing_the_deep_tower_leaves_the_wide_one_trainable() -> None:
    m = build_model(10, 6, 30, 3, SMALL)
    changed = kernest.freeze(m, "deep/**")
    assert "deep/per_word/char_cnn/conv_w2" in changed and not any(p.startswith("wide") for p in changed)
    assert not m.get_layer("deep").trainable and m.get_layer("wide").trainable
    deep = {id(v) for v in m.get_layer("deep").weights}
    assert deep and not any(id(v) in deep for v in m.trainable_variables)
    assert len(m.trainable_variables) == 8  # the wide tower's two kernels and biases, the head's two dense layers


@pytest.mark.parametrize("towers", [{"wide": False}, {"deep": False}])
def test_either_tower_alone(towers: dict[str, bool]) -> None:
    m = build_model(10, 6, 30, 3, ModelConfig.from_dict(towers, SMALL))
    assert m.output_shape == (None, 3) and [layer.name for layer in m.layers[1:-2]] == [
        "wide" if towers.get("deep") is False else "deep"]


@pytest.mark.parametrize("extra", [{}, {"word_mean": True, "word_buckets": 40, "word_dim": 3}])
def test_padded_words_and_chars_change_nothing(extra: dict[str, object]) -> None:
    # Same weights, more padding: a masked BiLSTM (and masked mean) gives the same answer.
    cfg = ModelConfig.from_dict(extra, SMALL)
    short, long = build_model(4, 6, 30, 3, cfg), build_model(9, 6, 30, 3, cfg)
    fill_wide(short)
    long.set_weights(short.get_weights())
    x = np.zeros((2, 4, 6), np.int32)
    x[0, :3, :2] = 7
    x[1, :1, :4] = 9
    padded = np.concatenate([x, np.zeros((2, 5, 6), np.int32)], axis=1)
    np.testing.assert_allclose(short(x).numpy(), long(padded).numpy(), atol=1e-6)
    # A model with None axes, as trained on batches cut to their longest text and longest word (issue 12).
    free = build_model(None, None, 30, 3, cfg)
    free.set_weights(short.get_weights())
    np.testing.assert_allclose(free(x[:, :3, :4]).numpy(), short(x).numpy(), atol=1e-6)
    np.testing.assert_allclose(free(padded).numpy(), short(x).numpy(), atol=1e-6)


def test_cut_batches_give_the_same_outputs_and_gradients_as_padded_ones() -> None:
    import tensorflow as tf

    from kernest.text._pipeline import trim

    cfg = ModelConfig.from_dict({"word_mean": True, "word_buckets": 40, "word_dim": 3}, SMALL)
    m = build_model(None, None, 30, 3, cfg)
    fill_wide(m)
    rng = np.random.default_rng(0)
    x = np.zeros((4, 9, 12), np.int32)
    for i, (words, chars) in enumerate([(3, 5), (1, 2), (6, 3), (2, 7)]):
        x[i, :words, :chars] = rng.integers(1, 30, size=(words, chars))
    cut = trim(tf.constant(x), 9, 12)
    assert tuple(cut.shape) == (4, 8, 8)  # 6 words, 7 chars, rounded up to multiples of 4
    y = np.array([0, 1, 2, 1])
    grads = []
    for batch in (x, cut):
        with tf.GradientTape() as tape:
            loss = keras.losses.sparse_categorical_crossentropy(y, m(batch))
        grads.append(tape.gradient(loss, m.trainable_variables))
    np.testing.assert_allclose(m(cut).numpy(), m(x).numpy(), atol=1e-5)
    for a, b in zip(*grads):
        np.testing.assert_allclose(tf.convert_to_tensor(a).numpy(), tf.convert_to_tensor(b).numpy(), atol=1e-5)


@pytest.mark.parametrize("word_buckets", [0, 50])
def test_saves_and_loads_in_safe_mode(tmp_path: Path, word_buckets: int) -> None:
    m = build_model(5, 4, 12, 2, ModelConfig.from_dict({"word_buckets": word_buckets, "word_dim": 3}, SMALL))
    fill_wide(m)
    x = np.random.default_rng(0).integers(0, 12, size=(3, 5, 4)).astype(np.int32)
    m.save(tmp_path / "m.keras")
    kernest.save(m, tmp_path / "m.keras")
    back = kernest.load(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_allclose(back(x).numpy(), m(x).numpy(), atol=1e-6)


def test_word_hash_buckets_words_by_spelling() -> None:
    h = WordHash(97)
    ids = np.array([[5, 6, 7, 0], [5, 6, 7, 0], [7, 6, 5, 0], [0, 0, 0, 0]], np.int32)
    out = np.asarray(h(ids))
    assert out[0] == out[1] != out[2] and out[3] == 0 and ((out[:3] >= 1) & (out[:3] < 97)).all()
    v2 = WordHash(97, version=2)
    out2 = np.asarray(v2(ids))
    assert out2[0] == out2[1] != out2[2] and out2[3] == 0
    assert np.array_equal(out2, np.asarray(v2(ids[:, :3])))  # trailing padding changes nothing


def test_ngram_hash_words_and_char_ngrams() -> None:
    ids = np.zeros((2, 4, 5), np.int32)
    ids[0, 0, :3] = [5, 6, 7]   # "abc"
    ids[0, 1, :2] = [8, 9]      # "de"
    ids[1, 0, :2] = [8, 9]      # "de"
    words = np.asarray(NgramHash(1000, "words")(ids))
    assert words.shape == (2, 7)
    assert (words[0, :2] > 0).all() and (words[0, 2:4] == 0).all() and words[0, 4] > 0 and (words[0, 5:] == 0).all()
    assert words[0, 1] == words[1, 0]                          # the same word, the same bucket
    assert (words[1, 1:] == 0).all()                           # one word: no bigram
    grams = np.asarray(NgramHash(1000, "chars", (2, 3))(ids))
    assert grams.shape == (2, 4 * 7 * 2)
    # "<abc>" has 4 bigrams and 3 trigrams, "<de>" 3 and 2: with boundary marks, like char_wb.
    assert int((grams[0] > 0).sum()) == 4 + 3 + 3 + 2 and int((grams[1] > 0).sum()) == 3 + 2
    assert set(grams[1][grams[1] > 0]) <= set(grams[0][grams[0] > 0])
    cut = np.asarray(NgramHash(1000, "chars", (2, 3))(ids[:, :2, :3]))[0]
    assert sorted(cut[cut > 0]) == sorted(grams[0][grams[0] > 0])  # cut padding: the same n-grams


def test_ngram_hash_word_trigrams_extend_the_pairs() -> None:
    ids = np.zeros((2, 4, 3), np.int32)
    ids[0, :3, 0] = [5, 6, 7]   # "a b c"
    ids[1, :2, 0] = [5, 6]      # "a b"
    pairs = np.asarray(NgramHash(1000, "words")(ids))
    layer = NgramHash(1000, "words", word_n=3)
    threes = np.asarray(layer(ids))
    assert threes.shape == (2, 4 + 3 + 2) == layer.compute_output_shape(ids.shape)
    np.testing.assert_array_equal(threes[:, :7], pairs)          # words and pairs hash as before
    assert threes[0, 7] > 0 and (threes[0, 8] == 0) and (threes[1, 7:] == 0).all()  # "a b c" only
    assert threes[0, 7] not in set(threes[0, :7])
    assert NgramHash.from_config(layer.get_config()).word_n == 3
    saved_before = {k: v for k, v in NgramHash(1000, "words").get_config().items() if k != "word_n"}
    np.testing.assert_array_equal(np.asarray(NgramHash.from_config(saved_before)(ids)), pairs)  # files from before


def test_ngram_hash_text_chars_run_across_words() -> None:
    ids = np.zeros((3, 4, 5), np.int32)
    ids[0, 0, :3] = [5, 6, 7]   # "abc de": "<abc<de<"
    ids[0, 1, :2] = [8, 9]
    ids[1, 0, :2] = [8, 9]      # "de": "<de<"
    ids[2, 0, :3] = [5, 6, 7]   # "abc": "<abc<"
    layer = NgramHash(1000, "text_chars", (2, 3))
    grams = np.asarray(layer(ids))
    assert grams.shape == (3, (4 * 6 + 1) * 2) == layer.compute_output_shape(ids.shape)
    assert int((grams[0] > 0).sum()) == 7 + 6 and int((grams[1] > 0).sum()) == 3 + 2
    each = [set(g[g > 0]) for g in grams]
    assert len(each[0] - each[1] - each[2]) == 1  # "c<d" runs across the two words
    cut = np.asarray(layer(ids[:, :2, :3]))
    for row in range(3):  # cut padding on both axes: the same n-grams
        assert sorted(cut[row][cut[row] > 0]) == sorted(grams[row][grams[row] > 0])
    assert np.asarray(layer(np.zeros((1, 2, 3), np.int32))).max() == 0  # no word, no n-gram


def test_embedding_bag_averages_and_never_divides_by_zero() -> None:
    bag = EmbeddingBag(10, 3)
    ids = np.array([[1, 2, 0], [0, 0, 0]], np.int32)
    out = np.asarray(bag(ids))
    table = bag.embeddings.numpy()
    np.testing.assert_allclose(out[0], (table[1] + table[2]) / 2, atol=1e-6)
    np.testing.assert_allclose(out[1], 0.0)


def test_config_from_json_and_yaml_files(tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text(json.dumps({"filters": 16, "widths": [3, 5]}), encoding="utf-8")
    cfg = ModelConfig.from_file(tmp_path / "c.json")
    assert cfg.filters == 16 and cfg.widths == (3, 5) and cfg.word_units == ModelConfig().word_units
    (tmp_path / "c.yaml").write_text("word_units: 12\nhighway: false\n", encoding="utf-8")
    cfg = ModelConfig.from_file(tmp_path / "c.yaml")
    assert cfg.word_units == 12 and not cfg.highway
    assert ModelConfig.from_dict(cfg.to_json()) == cfg


@pytest.mark.parametrize(("content", "match"), [
    ('{"filterz": 3}', r"Unknown model config keys: filterz\. Known keys: .*filters"),
    ('{"dropout": 1.5, "filters": 0}', r"filters must be at least 1.*dropout must be in \[0, 1\)"),
    ("[1, 2]", r"must hold a mapping"),
    ("{nope", r"cannot be parsed"),
])
def test_bad_config_files(tmp_path: Path, content: str, match: str) -> None:
    (tmp_path / "c.json").write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=match):
        ModelConfig.from_file(tmp_path / "c.json")


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"does not exist"):
        ModelConfig.from_file(tmp_path / "none.json")


def test_a_none_words_axis_predicts_the_same_padded_or_cut() -> None:
    # A bucketed model (words axis None) is trained on batches cut to their longest text and served on
    # texts padded to max_words: both give the same probabilities.
    m = build_model(None, 6, 30, 3, ModelConfig.from_dict({"word_buckets": 20, "word_dim": 3}, SMALL))
    assert m.input_shape == (None, None, 6)
    x = np.zeros((2, 3, 6), np.int32)
    x[0, :3, :2] = 7
    x[1, :1, :4] = 9
    padded = np.concatenate([x, np.zeros((2, 9, 6), np.int32)], axis=1)
    np.testing.assert_allclose(m(x).numpy(), m(padded).numpy(), atol=1e-6)
