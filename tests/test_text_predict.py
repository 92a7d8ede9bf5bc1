"""Predictor: the fast forward pass (distinct words once, packed word LSTMs) and the Keras one (padding cut per
batch, batches sorted by length), each with the probabilities of the padded texts."""

from __future__ import annotations

import dataclasses
import functools
import tempfile
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from kernest.text import Predictor, _fast, _run, train
from kernest.text._fast import fast_forward
from kernest.text._predict import trim_padding
from tests.conftest_text import TINY, corpus_sample, trained_run, write_table

# trained_run() is trained once per process: the files that read it share one worker, so CI trains it once.
pytestmark = pytest.mark.xdist_group("trained_run")


def ids_with(lengths: list[list[int]], words: int = 12, chars: int = 10) -> np.ndarray:
    """``(texts, words, chars)`` ids: text ``i`` has one word of ``lengths[i][j]`` characters per entry."""
    ids = np.zeros((len(lengths), words, chars), np.int32)
    for i, text in enumerate(lengths):
        for j, n in enumerate(text):
            ids[i, j, :n] = 5 + j
    return ids


@pytest.mark.parametrize(
    "lengths, words, chars, shape",
    [
        ([[3, 2], [1]], True, False, (2, 4, 10)),           # 2 words -> a multiple of 4
        ([[3] * 5, [1]], True, True, (2, 8, 4)),
        ([[10] * 12], True, True, (1, 12, 10)),             # full length: nothing to cut
        ([[2] * 11], True, False, (1, 12, 10)),             # rounding stops at the axis
        ([[], []], True, True, (2, 1, 1)),                  # padding only: one word of one character is left
        ([[3, 2], [1]], False, False, (2, 12, 10)),
    ],
)
def test_trim_padding_cuts_to_the_longest_text_and_word(lengths, words, chars, shape):
    ids = ids_with(lengths)
    cut = trim_padding(tf.constant(ids), words=words, chars=chars).numpy()
    assert cut.shape == shape
    assert cut.sum() == ids.sum()  # nothing real was cut


def test_predictor_cuts_exactly_the_axes_the_model_takes_at_any_length():
    p = Predictor(trained_run())
    _, words, chars = p.model.inputs[0].shape
    assert p.trims == {"words": words is None, "chars": chars is None}
    assert p.trims["words"]  # kernest train buckets by length, so the words axis is always variable


@pytest.mark.parametrize("text", ["ok", "What a great flight!", "@united lost my bag " * 3, "", "delayed " * 50])
def test_one_message_gets_the_probabilities_of_its_padded_encoding(text):
    p = Predictor(trained_run())
    want = p.model(p.encoder.encode([text]).ids, training=False).numpy()   # padded to max_words
    got, _, _ = p.probabilities([text])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_many_texts_sorted_by_length_come_back_in_order(monkeypatch):
    from kernest.text import _predict

    monkeypatch.setattr(_predict, "_MANY_BATCH", 128)  # several sorted batches of the 403 texts
    p = Predictor(trained_run())
    texts = list(corpus_sample().texts) + ["", "ok", "very " * 30]   # 403 texts: more than one call's 256
    ids = p.encoder.encode(texts).ids
    want = np.concatenate([p.model(ids[i:i + 100], training=False).numpy() for i in range(0, len(texts), 100)])
    got, n_words, longest = p.probabilities(texts)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert n_words.shape == longest.shape == (len(texts),) and n_words[-3] == 0 and n_words[-1] == 30
    assert [r["label"] for r in p(texts[:5])] == [p.classes[int(i)] for i in np.argmax(want[:5], axis=-1)]


# --- the fast forward pass (kernest.text._fast) ----------------------------------------------------------

EDGE_TEXTS = ["", "   ", "ok", "ok ok ok ok ok", "OK ok Ok", "very " * 30, "a" * 40 + " b", "🙂🙂 great!!",
              "@united thanks http://t.co/x 3 days", "ok", "x"]


@functools.cache
def deep_run() -> Path:
    """A run of the deep tower alone (the wide tower of ``trained_run`` leaves the head's deep weights at 0
    after one epoch), trained one epoch on the same sample."""
    root = Path(tempfile.mkdtemp(prefix="kernest-deep-run-"))
    ds = corpus_sample()
    data = write_table(root / "sample.csv", list(zip(ds.texts, ds.labels)))
    train(data=data, out=root / "run", epochs=1, batch_size=32, config=dataclasses.replace(TINY, wide=False),
          verbose=0)
    return root / "run"


def predictor(kind: str, fast: bool = True) -> Predictor:
    """``deep``: the deep-only run; ``wide_and_deep``: ``trained_run`` with random head weights, so the
    deep tower's features reach the probabilities."""
    p = Predictor(deep_run() if kind == "deep" else trained_run(), fast=fast)
    if kind == "wide_and_deep":
        head = p.model.get_layer("head")
        rng = np.random.default_rng(0)
        head.set_weights([rng.normal(0, 1, w.shape).astype("float32") for w in head.get_weights()])
    return p


def texts_with_edges() -> list[str]:
    return list(corpus_sample().texts[:150]) + EDGE_TEXTS


@pytest.mark.parametrize("kind", ["deep", "wide_and_deep"])
def test_fast_forward_gives_the_probabilities_of_the_padded_model(kind):
    p = predictor(kind)
    assert p.fast
    texts = texts_with_edges()
    ids = p.encoder.encode(texts).ids                      # padded to max_words, as model.predict gets them
    want = p.model.predict(ids, batch_size=64, verbose=0)
    got, n_words, longest = p.probabilities(texts)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    enc = p.encoder.encode(texts)
    np.testing.assert_array_equal(n_words, enc.n_words)
    np.testing.assert_array_equal(longest, enc.longest_word)
    assert np.ptp(want[:, 0]) > 1e-3  # the texts get different probabilities: the towers' features count
    if kind == "wide_and_deep":
        # The fitted wide tower (sublinear TF-IDF; naive-Bayes and TF-IDF views) before the head: repeated
        # words give counts above 1, texts beyond max_words lose their last words, emoji are unknown chars.
        wide = p.model.get_layer("wide")
        got = fast_forward(wide, p.encoder)(tf.constant(texts))[0].numpy()
        want = wide(ids, training=False).numpy()
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
        assert np.ptp(want[:, 0]) > 0.1 and np.all(want[texts.index("")] == want[texts.index("   ")])


def test_fast_forward_gives_the_deep_towers_features():
    """The deep tower's output (before the softmax squeezes differences) equals Keras's to 1e-5."""
    p = predictor("deep")
    deep = p.model.get_layer("deep")
    forward = fast_forward(deep, p.encoder)
    texts = texts_with_edges()
    got = forward(tf.constant(texts))[0].numpy()
    want = deep(p.encoder.encode(texts).ids, training=False).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert np.all(got[texts.index("")] == 0) and np.abs(got).max() > 0.01  # no word: the LSTM's zeros


def test_many_texts_in_several_fast_calls_come_back_in_order(monkeypatch):
    from kernest.text import _predict

    monkeypatch.setattr(_predict, "_FAST_CHUNK", 64)
    p, slow = predictor("deep"), predictor("deep", fast=False)
    assert not slow.fast
    texts = texts_with_edges() * 2
    np.testing.assert_allclose(p.probabilities(texts)[0], slow.probabilities(texts)[0], rtol=1e-5, atol=1e-6)
    assert [r["label"] for r in p(texts)] == [r["label"] for r in slow(texts)]


def lstm_cases() -> list[tuple[str, keras.layers.Layer]]:
    keras.utils.set_random_seed(1)
    return [("bidirectional concat", keras.layers.Bidirectional(keras.layers.LSTM(5))),
            ("bidirectional sum", keras.layers.Bidirectional(keras.layers.LSTM(4), merge_mode="sum")),
            ("forward", keras.layers.LSTM(3)),
            ("backward, no bias", keras.layers.LSTM(3, go_backwards=True, use_bias=False))]


@pytest.mark.parametrize("name, layer", lstm_cases())
@pytest.mark.parametrize("gaps", [False, True])
def test_packed_lstm_equals_the_keras_layer(name, layer, gaps):
    """Texts of every length, an empty one, and (``gaps``) a mask with a hole, which runs the Keras layer."""
    rng = np.random.default_rng(0)
    index = np.zeros((6, 7), np.int32)
    for i, n in enumerate([7, 3, 0, 5, 1, 7]):
        index[i, :n] = rng.integers(1, 9, n)                # rows of a table of 8 distinct words + padding
    mask = index > 0
    if gaps:
        mask[0, 2] = False
    table = np.concatenate([np.zeros((1, 6)), rng.normal(0, 1, (8, 6))]).astype("float32")
    x = table[index]
    for i, m in enumerate(mask):
        x[i, ~m] = 0.0
    want = layer(x, mask=mask).numpy()
    words = _fast._Words(tf.constant(table), tf.constant(index), tf.constant(mask))
    got = _fast._packed_lstm(layer, _fast._lstm_directions(layer), words, tf.constant(mask)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=name)
    assert np.all(got[2] == 0)


def test_models_without_a_word_over_run_as_they_are():
    p = predictor("deep")
    chars = keras.Input((None, None), dtype="int32")
    x = keras.layers.Embedding(p.encoder.vocab_size, 4)(chars)
    plain = keras.Model(chars, keras.layers.Dense(3)(keras.layers.GlobalAveragePooling2D()(x)))
    assert fast_forward(plain, p.encoder) is None
    assert _fast._lstm_directions(keras.layers.LSTM(3, return_sequences=True)) is None
    assert _fast._lstm_directions(keras.layers.GRU(3)) is None


def handmade_model(vocab: int) -> keras.Model:
    """over("words", cnn) -> a per-word Dense (it keeps the mask) -> a backward LSTM -> Dense."""
    import kernest

    word = keras.Input((None,), dtype="int32")
    e = keras.layers.Embedding(vocab, 6)(word)
    cnn = keras.Model(word, keras.layers.GlobalMaxPooling1D()(keras.layers.Conv1D(5, 2, padding="same")(e)))
    chars = kernest.Input((None, None), axes=("words", "chars"), dtype="int32")
    x = kernest.over("words", cnn)(chars)
    x = keras.layers.Dense(7, activation="tanh")(x)
    return keras.Model(chars, keras.layers.Dense(3)(keras.layers.LSTM(4, go_backwards=True)(x)))


@pytest.mark.parametrize("kind", ["word_mean_and_word_hash", "handmade"])
def test_fast_forward_runs_other_layers_on_the_word_features_with_their_mask(kind):
    """Layers other than an LSTM get the word features with the words mask (a masked mean, a Dense)."""
    encoder = predictor("deep").encoder
    keras.utils.set_random_seed(3)
    if kind == "handmade":
        model = handmade_model(encoder.vocab_size)
    else:
        from kernest.text import build_model

        config = dataclasses.replace(TINY, word_mean=True, word_buckets=64, wide=False)
        model = build_model(None, None, encoder.vocab_size, 3, config)
    texts = texts_with_edges()
    got = fast_forward(model, encoder)(tf.constant(texts))[0].numpy()
    want = model(encoder.encode(texts).ids, training=False).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


# --- the wide tower in the fast pass: n-gram hashes per distinct word, bags of the real n-grams --------------

def wide_model(vocab: int, kind: str) -> keras.Model:
    """A wide-only model (no ``over``) with random tables: ``linear`` TF-IDF views without sublinear term
    frequency, ``richer``: the same with word 1-3-grams and character n-grams across words, ``bags`` of
    embeddings, or ``handmade``: a ``HashedLinear`` beside a layer that reads the
    character n-grams' slots (the number of real ones), which gets the layer's own output."""
    from kernest.text import build_model
    from kernest.text._layers import HashedLinear, NgramHash

    keras.utils.set_random_seed(4)
    rng = np.random.default_rng(4)
    if kind == "handmade":
        chars = keras.Input((None, None), dtype="int32")
        words, grams = NgramHash(512, "words")(chars), NgramHash(512, "chars", (1, 3))(chars)
        count = keras.layers.Lambda(lambda b: keras.ops.sum(keras.ops.cast(b > 0, "float32"), 1, keepdims=True) / 50,
                                    output_shape=(1,))(grams)
        model = keras.Model(chars, keras.layers.Concatenate()([HashedLinear(512, 2)([words, grams]), count]))
    else:
        richer = {"word_ngrams": 3, "char_mode": "text"} if kind == "richer" else {}
        config = dataclasses.replace(TINY, deep=False, wide_sublinear=False,
                                     wide_kind="linear" if kind == "richer" else kind, **richer)
        model = build_model(None, None, vocab, 3, config)
    for w in model.weights:
        w.assign(rng.uniform(0.0, 2.0, w.shape).astype(w.dtype) if "idf" in w.path
                 else rng.normal(0.0, 1.0, w.shape).astype(w.dtype))
    return model


@pytest.mark.parametrize("kind", ["linear", "richer", "bags", "handmade"])
def test_fast_forward_runs_wide_models_without_an_over(kind):
    encoder = _run.load_encoder(deep_run())
    model = wide_model(encoder.vocab_size, kind)
    texts = texts_with_edges()
    forward = fast_forward(model, encoder)
    assert forward is not None
    got = forward(tf.constant(texts))[0].numpy()
    want = model(encoder.encode(texts).ids, training=False).numpy()   # padded to max_words and max_chars
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert np.ptp(want[:, 0]) > 1e-3
