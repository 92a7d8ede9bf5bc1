from __future__ import annotations

import keras
import numpy as np
import pytest

import kernest
from tests import models

pytestmark = pytest.mark.core
L = keras.layers


def test_over_maps_the_named_axis_and_keeps_it():
    x = kernest.Input((models.WORDS, models.CHARS), axes=("words", "chars"), dtype="int32")
    y = kernest.over("words", models.char_cnn(), name="per_word")(x)
    assert tuple(y.shape) == (None, models.WORDS, 8)
    assert kernest.axes_of(y)[0] == "words"


def test_over_matches_a_per_word_loop():
    cnn = models.char_cnn()
    x = kernest.Input((models.WORDS, models.CHARS), axes=("words", "chars"), dtype="int32")
    model = keras.Model(x, kernest.over("words", cnn)(x))
    data = models.char_ids(batch=3)
    got = keras.ops.convert_to_numpy(model(data))
    want = np.stack([keras.ops.convert_to_numpy(cnn(data[:, w])) for w in range(models.WORDS)], axis=1)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_appending_padded_words_changes_nothing():
    """over masks all-zero words, so the outer LSTM skips them (TimeDistributed drops the mask)."""
    model = models.word_model(words=None)
    data = models.char_ids(batch=2, words=4)
    padded = np.concatenate([data, np.zeros((2, 3, models.CHARS), "int32")], axis=1)
    short = keras.ops.convert_to_numpy(model(data))
    long = keras.ops.convert_to_numpy(model(padded))
    np.testing.assert_allclose(short, long, rtol=1e-5, atol=1e-6)


def test_timedistributed_really_drops_the_mask():
    """The control for the test above: the same model with TimeDistributed sees the padding."""
    x = keras.Input((None, models.CHARS), dtype="int32")
    h = L.TimeDistributed(models.char_cnn())(x)
    model = keras.Model(x, L.LSTM(5)(h))
    data = models.char_ids(batch=2, words=4)
    padded = np.concatenate([data, np.zeros((2, 3, models.CHARS), "int32")], axis=1)
    diff = np.abs(keras.ops.convert_to_numpy(model(data)) - keras.ops.convert_to_numpy(model(padded))).max()
    assert diff > 1e-4


def test_over_nests_over_sentences_and_words():
    x = kernest.Input((3, models.WORDS, models.CHARS), axes=("sentences", "words", "chars"), dtype="int32")
    y = kernest.over("sentences", kernest.over("words", models.char_cnn()))(x)
    assert tuple(y.shape) == (None, 3, models.WORDS, 8)
    assert kernest.axes_of(y)[:2] == ("sentences", "words")
    out = keras.Model(x, y)(np.stack([models.char_ids(2)] * 3, axis=1))
    assert tuple(out.shape) == (2, 3, models.WORDS, 8)


def test_over_with_two_inputs_and_two_outputs():
    a, b = keras.Input((4,)), keras.Input((4,))
    inner = keras.Model([a, b], [L.Dense(2, name="sum")(L.Add()([a, b])), L.Dense(3, name="diff")(L.Subtract()([a, b]))])
    x = kernest.Input((5, 4), axes=("items", "features"))
    y = kernest.over("items", inner)([x, x])
    assert [tuple(t.shape) for t in y] == [(None, 5, 2), (None, 5, 3)]


@pytest.mark.slow
def test_over_trains_one_step_and_round_trips_through_save(tmp_path):
    model = models.word_model()
    model.compile("adam", "sparse_categorical_crossentropy")
    data, labels = models.char_ids(batch=8), np.arange(8) % 3
    before = [w.copy() for w in model.get_weights()]
    model.fit(data, labels, epochs=1, verbose=0)
    assert any(np.abs(a - b).max() > 0 for a, b in zip(before, model.get_weights()))
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(model(data)), keras.ops.convert_to_numpy(loaded(data)), rtol=1e-6, atol=1e-6
    )


def test_over_an_axis_that_is_not_there():
    x = kernest.Input((6, 8), axes=("words", "chars"), dtype="int32")
    with pytest.raises(kernest.KernestError, match=r"no axis named 'sentences'.*its named axes: 'words', 'chars'"):
        kernest.over("sentences", models.char_cnn())(x)


def test_over_an_unnamed_input_needs_an_inner_rank_or_a_position():
    x = keras.Input((6, 8))
    with pytest.raises(kernest.KernestError, match=r"no axis names.*'dense' declares no input rank.*kernest.Input"):
        kernest.over("words", L.Dense(3, name="dense"))(x)
    assert tuple(kernest.over(1, L.Dense(3))(x).shape) == (None, 6, 3)


def test_over_an_unnamed_input_too_small_for_the_inner_model():
    x = keras.Input((8,), dtype="int32")
    with pytest.raises(kernest.KernestError, match=r"2 axes \(batch included\) and 'char_cnn' takes 2.*at least 3"):
        kernest.over("words", models.char_cnn())(x)


# --- unnamed inputs (issue 10, point 8) -----------------------------------------------------------------

def per_step(features: int = 6) -> keras.Model:
    return keras.Sequential([keras.Input((features,)), L.Dense(4, name="dense")], name="per_step")


def test_over_in_a_sequential_maps_the_axis_before_the_inner_element_and_names_it():
    model = keras.Sequential([keras.Input((5, 6)), kernest.over("words", per_step(), name="per_word"),
                              L.LSTM(3, name="lstm")])
    assert model.output_shape == (None, 3)
    assert kernest.axes_of(model.get_layer("per_word").output) == ("words", "features")
    assert tuple(model(np.ones((2, 5, 6), "float32")).shape) == (2, 3)


def test_over_in_a_sequential_masks_padding():
    model = keras.Sequential([keras.Input((None, 6)), kernest.over("words", per_step()), L.LSTM(3)])
    data = np.random.default_rng(0).normal(size=(2, 4, 6)).astype("float32")
    padded = np.concatenate([data, np.zeros((2, 3, 6), "float32")], axis=1)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(data)), keras.ops.convert_to_numpy(model(padded)),
                               rtol=1e-5, atol=1e-6)


def test_nested_over_on_an_unnamed_input_names_both_axes():
    x = keras.Input((3, models.WORDS, models.CHARS), dtype="int32")
    y = kernest.over("sentences", kernest.over("words", models.char_cnn()))(x)
    assert tuple(y.shape) == (None, 3, models.WORDS, 8)
    assert kernest.axes_of(y)[:2] == ("sentences", "words")


def test_check_accepts_over_in_a_sequential_on_an_unnamed_input():
    model = keras.Sequential([keras.Input((5, 6)), kernest.over("words", per_step(), name="per_word"), L.LSTM(3)])
    report = kernest.check(model)
    assert "all fit" in str(report)
    assert any(i.producer.startswith("per_word") for i in report.interfaces)


@pytest.mark.parametrize("inner, axis, message", [("not a model", "words", "needs a Keras model"), (None, 0, "batch axis")])
def test_over_bad_arguments(inner, axis, message):
    with pytest.raises(kernest.KernestError, match=message):
        kernest.over(axis, inner if inner is not None else models.char_cnn())


# --- skip_padding: the inner model runs on the real elements only (issue 12, point 1) -----------------------

def padded_ids(batch: int = 4, words: int = models.WORDS) -> np.ndarray:
    """Char ids with padded words at the end of most texts, one in the middle, and one text of padding only."""
    data = models.char_ids(batch=batch, words=words)
    for i, n in enumerate((words, 2, 4, 0)[:batch]):
        data[i, n:] = 0
    data[0, 1] = 0
    return data


def twin_models(**make: object) -> tuple[keras.Model, keras.Model]:
    """The same word model (over -> BiLSTM -> softmax) twice, with the same weights: plain and skipping."""
    def build(skip: bool) -> keras.Model:
        x = kernest.Input((None, models.CHARS), axes=("words", "chars"), dtype="int32")
        h = kernest.over("words", models.char_cnn(**make), name="per_word", skip_padding=skip)(x)
        y = L.Dense(3, activation="softmax", name="head")(L.Bidirectional(L.LSTM(5), name="word_lstm")(h))
        return keras.Model(x, y)

    plain, fast = build(False), build(True)
    fast.set_weights(plain.get_weights())
    return plain, fast


def loss_and_grads(model: keras.Model, x: np.ndarray, y: np.ndarray) -> tuple[float, list[np.ndarray]]:
    """Cross-entropy of ``model`` on ``(x, y)`` and its gradients with respect to the trainable weights."""
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
    elif backend == "torch":
        loss = loss_fn(y, model(x, training=True))
        loss.backward()
        grads = [v.value.grad for v in model.trainable_variables]
    else:
        import jax

        def f(trainable: list) -> object:
            pred, _ = model.stateless_call(trainable, [v.value for v in model.non_trainable_variables], x,
                                           training=True)
            return loss_fn(y, pred)

        loss, grads = jax.value_and_grad(f)([v.value for v in model.trainable_variables])
    return float(keras.ops.convert_to_numpy(loss)), [keras.ops.convert_to_numpy(g) for g in grads]


def test_skipping_padding_gives_the_same_outputs_and_gradients():
    plain, fast = twin_models()
    x, y = padded_ids(), np.array([0, 1, 2, 1])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(fast(x)), keras.ops.convert_to_numpy(plain(x)),
                               rtol=1e-5, atol=1e-5)
    loss_plain, grads_plain = loss_and_grads(plain, x, y)
    loss_fast, grads_fast = loss_and_grads(fast, x, y)
    assert abs(loss_fast - loss_plain) < 1e-5
    assert len(grads_fast) == len(grads_plain) == len(plain.trainable_variables)
    assert max(np.abs(g).max() for g in grads_plain[:2]) > 0  # the char-CNN's own weights do learn
    for g_fast, g_plain, v in zip(grads_fast, grads_plain, plain.trainable_variables):
        np.testing.assert_allclose(g_fast, g_plain, rtol=1e-5, atol=1e-5, err_msg=v.path)


def test_skipping_padding_keeps_real_outputs_and_the_mask_and_zeros_the_rest():
    plain, fast = twin_models()
    x = padded_ids()
    real = np.any(x != 0, axis=-1)                                    # (B, words)
    layers = plain.get_layer("per_word"), fast.get_layer("per_word")
    out_plain, out_fast = (keras.ops.convert_to_numpy(layer(x)) for layer in layers)
    np.testing.assert_allclose(out_fast[real], out_plain[real], rtol=1e-5, atol=1e-5)
    assert np.all(out_fast[~real] == 0) and np.abs(out_plain[~real]).max() > 0
    for layer in layers:
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer.compute_mask(x)), real)


def test_skipping_padding_on_a_batch_of_padding_only():
    _, fast = twin_models()
    layer = fast.get_layer("per_word")
    x = np.zeros((2, 3, models.CHARS), "int32")
    assert np.all(keras.ops.convert_to_numpy(layer(x)) == 0)
    assert not np.any(keras.ops.convert_to_numpy(layer.compute_mask(x)))
    assert np.all(np.isfinite(keras.ops.convert_to_numpy(fast(x))))


def test_skipping_padding_nests():
    def build(skip: bool) -> keras.Model:
        x = kernest.Input((3, models.WORDS, models.CHARS), axes=("sentences", "words", "chars"), dtype="int32")
        inner = kernest.over("words", models.char_cnn(), skip_padding=skip)
        return keras.Model(x, kernest.over("sentences", inner, skip_padding=skip)(x))

    plain, fast = build(False), build(True)
    fast.set_weights(plain.get_weights())
    x = np.stack([padded_ids(), padded_ids(), np.zeros_like(padded_ids())], axis=1)  # (4, 3, words, chars)
    real = np.any(x != 0, axis=-1)
    got, want = keras.ops.convert_to_numpy(fast(x)), keras.ops.convert_to_numpy(plain(x))
    np.testing.assert_allclose(got[real], want[real], rtol=1e-5, atol=1e-5)


class RowCounter(L.Layer):
    """Passes its input through and remembers how many rows (elements) it saw in the last eager call."""

    rows = -1

    def call(self, x):
        self.rows = int(x.shape[0])
        return keras.ops.cast(x, "float32")

    def compute_output_shape(self, input_shape):
        return input_shape


def test_skip_padding_default_runs_only_real_elements_where_the_backend_allows():
    """The inner model sees the real words, rounded up to a multiple of 32 (few distinct batch sizes)."""
    counter = RowCounter()
    layer = kernest.over(1, counter)
    x = padded_ids(words=40)                                      # 160 words, 45 of them real
    layer(x)
    expected = 160 if keras.backend.backend() == "jax" else 64
    assert counter.rows == expected
    kernest.over(1, counter, skip_padding=False)(x)
    assert counter.rows == 160


def test_skip_padding_needs_the_mask():
    with pytest.raises(kernest.KernestError, match="skip_padding=True with mask_padding=False"):
        kernest.over("words", models.char_cnn(), mask_padding=False, skip_padding=True)


@pytest.mark.skipif(keras.backend.backend() == "torch", reason="torch has no whole-step compiler in Keras")
def test_skip_padding_under_a_static_shape_compiler():
    """jax.jit and XLA need static shapes: the default falls back to the plain path, True says why it cannot."""
    x = padded_ids(words=models.WORDS)
    default = models.word_model()  # skip_padding=None
    default.compile(jit_compile=True)
    assert default.predict_on_batch(x).shape == (4, 3)
    _, fast = twin_models()
    fast.compile(jit_compile=True)
    with pytest.raises(kernest.KernestError, match=r"skip_padding=True.*static shapes"):
        fast.predict_on_batch(x)


def test_skip_padding_round_trips_through_save(tmp_path):
    _, fast = twin_models()
    fast.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    assert loaded.get_layer("per_word").skip_padding is True


# --- dedupe: the inner model runs once per distinct element (issue 12) ---------------------------------------

def repeated_ids(batch: int = 4, words: int = 40, distinct: int = 5) -> np.ndarray:
    """Texts made of ``distinct`` words (each its char ids), padded like ``padded_ids``: text repeats words."""
    vocabulary = models.char_ids(batch=1, words=distinct, seed=3)[0]             # (distinct, chars)
    vocabulary[1, 5:] = 0                                                        # one short word
    picks = np.random.default_rng(4).integers(0, distinct, size=(batch, words))
    data = vocabulary[picks]
    for i, n in enumerate((words, 2, 30, 0)[:batch]):
        data[i, n:] = 0
    data[0, 1] = 0
    return data


def test_dedupe_gives_the_same_outputs_gradients_and_mask_as_every_element():
    plain, fast = twin_models()                     # skip_padding=True dedupes integer ids by default
    x, y = repeated_ids(words=models.WORDS * 2), np.array([0, 1, 2, 1])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(fast(x)), keras.ops.convert_to_numpy(plain(x)),
                               rtol=1e-5, atol=1e-5)
    layers = plain.get_layer("per_word"), fast.get_layer("per_word")
    real = np.any(x != 0, axis=-1)
    out_plain, out_fast = (keras.ops.convert_to_numpy(layer(x)) for layer in layers)
    np.testing.assert_allclose(out_fast[real], out_plain[real], rtol=1e-5, atol=1e-5)
    assert np.all(out_fast[~real] == 0)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layers[1].compute_mask(x)), real)
    loss_plain, grads_plain = loss_and_grads(plain, x, y)
    loss_fast, grads_fast = loss_and_grads(fast, x, y)
    assert abs(loss_fast - loss_plain) < 1e-5
    assert max(np.abs(g).max() for g in grads_plain[:2]) > 0
    for g_fast, g_plain, v in zip(grads_fast, grads_plain, plain.trainable_variables):
        np.testing.assert_allclose(g_fast, g_plain, rtol=1e-5, atol=1e-5, err_msg=v.path)


def counted(*after: L.Layer) -> tuple[RowCounter, keras.Model]:
    """A per-element model that counts the rows it is called on, then ``after``."""
    counter = RowCounter()
    ids = keras.Input((models.CHARS,), dtype="int32")
    x = counter(ids)
    for layer in after:
        x = layer(x)
    return counter, keras.Model(ids, x)


def test_dedupe_runs_the_inner_model_once_per_distinct_element():
    """160 elements, 71 real, 5 distinct words: 5 rows and one zero row, rounded up to 32."""
    x = repeated_ids()
    counter, inner = counted()
    kernest.over(1, inner)(x)
    assert counter.rows == (160 if keras.backend.backend() == "jax" else 32)
    kernest.over(1, inner, dedupe=False)(x)
    assert counter.rows == (160 if keras.backend.backend() == "jax" else 96)


def deduped_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Records each time ``over`` finds the distinct elements of a batch."""
    import kernest._over

    calls: list[int] = []
    find = kernest._over._distinct_rows

    def spy(rows):
        calls.append(1)
        return find(rows)

    monkeypatch.setattr(kernest._over, "_distinct_rows", spy)
    return calls


@pytest.mark.skipif(keras.backend.backend() == "jax", reason="JAX runs every element (static shapes)")
@pytest.mark.parametrize("layer", [L.Dropout(0.5), L.GaussianNoise(0.1), L.BatchNormalization(),
                                   L.Dense(2, activity_regularizer="l2"), RowCounter()],
                         ids=lambda layer: type(layer).__name__)
def test_dedupe_waits_for_inference_when_an_inner_layer_may_see_more_than_its_element(layer, monkeypatch):
    """Dropout draws a mask per element, BatchNormalization and activity regularizers sum over the batch,
    and a user's layer may do either: in training every real element runs (unless ``dedupe=True``); at
    inference each distinct element runs once."""
    calls = deduped_calls(monkeypatch)
    ids = keras.Input((models.CHARS,), dtype="int32")
    inner = keras.Model(ids, layer(L.Flatten()(L.Embedding(models.ALPHABET, 2)(ids))))
    x = repeated_ids()
    kernest.over(1, inner)(x, training=True)
    assert calls == []
    kernest.over(1, inner)(x, training=False)
    assert calls == [1]
    kernest.over(1, inner, dedupe=True)(x, training=True)
    assert calls == [1, 1]
    kernest.over(1, models.char_cnn())(x, training=True)  # Keras' own deterministic layers: dedupes in training
    assert calls == [1, 1, 1]


def test_dedupe_leaves_float_elements_alone():
    counter = RowCounter()
    x = repeated_ids().astype("float32")
    kernest.over(1, counter)(x)
    assert counter.rows == (160 if keras.backend.backend() == "jax" else 96)


def test_dedupe_round_trips_through_save(tmp_path):
    x = kernest.Input((None, models.CHARS), axes=("words", "chars"), dtype="int32")
    model = keras.Model(x, kernest.over("words", models.char_cnn(), name="per_word", dedupe=False)(x))
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    assert loaded.get_layer("per_word").dedupe is False
    ids = repeated_ids()
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded(ids)), keras.ops.convert_to_numpy(model(ids)),
                               rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("element, message", [
    ((models.CHARS, 3), rf"built for 1 non-batch axes but receives 2.*keras\.Input\(\({models.CHARS}, 3\)\)"),
    ((models.CHARS + 2,), rf"expected \(batch, {models.CHARS}\), received \(batch, chars={models.CHARS + 2}\)"),
])
def test_over_names_an_inner_model_that_cannot_take_one_element(element, message):
    axes = ("words", "chars", "feat")[: len(element) + 1]
    x = kernest.Input((5, *element), axes=axes, dtype="int32")
    with pytest.raises(kernest.InterfaceError, match=r"^over\('words', char_cnn\): over_words/char_cnn: .*" + message):
        kernest.over("words", models.char_cnn())(x)


def test_ids_of_another_length_are_cut_or_padded_not_projected_with_a_dense():
    """Integer ids have a length, not features: the fix never puts a Dense on them."""
    ids = keras.Input((10,), dtype="int32")
    encoder = keras.Model(ids, L.GlobalAveragePooling1D()(L.Embedding(50, 4)(ids)), name="sentence_enc")
    x = kernest.Input((7, 12), axes=("sentences", "tokens"), dtype="int32")
    with pytest.raises(kernest.InterfaceError) as info:
        kernest.over("sentences", encoder)(x)
    text = str(info.value)
    assert "received (batch, tokens=12)" in text and 'keras.Input((12,), dtype="int32")' in text
    assert "ids[..., :10]" in text and "maxlen=10" in text and "Dense(" not in text
