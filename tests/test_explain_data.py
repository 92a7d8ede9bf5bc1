"""explain and check on data and labels that do not fit a nested model: labels in another order, class ids that
start at 1, one-hot pairs for a one-unit head, Python lists of sequences, and a Concatenate along the wrong axis."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kernest
from tests.test_explain import raised

pytestmark = pytest.mark.core
L = keras.layers


def _trunk(width: int = 7, units: int = 6) -> keras.Model:
    return keras.Sequential([keras.Input((width,)), L.Dense(units, activation="relu", name="hidden")], name="trunk")


def test_labels_passed_in_another_order_than_the_outputs_name_the_order_and_the_keys():
    x_in = keras.Input((7,), name="readings")
    h = _trunk()(x_in)
    net = keras.Model(x_in, [L.Dense(3, name="fault")(h), L.Dense(2, name="wear")(h)], name="monitor")
    net.compile("sgd", ["mse", "mse"])
    readings, fault, wear = np.zeros((6, 7), "float32"), np.zeros((6, 3), "float32"), np.zeros((6, 2), "float32")
    err = kernest.explain(raised(lambda: net.fit(readings, [wear, fault], epochs=1, verbose=0)))
    assert err.interface == "data -> monitor"
    assert "Pass [fault, wear]" in err.fix and '{"fault": fault, "wear": wear}' in err.fix


def test_class_ids_that_start_at_one_say_subtract_one():
    x_in = keras.Input((7,), name="features")
    net = keras.Model(x_in, L.Dense(4, activation="softmax", name="grade")(_trunk()(x_in)), name="grader")
    net.compile("sgd", "sparse_categorical_crossentropy")
    features, stars = np.zeros((8, 7), "float32"), np.array([1, 2, 3, 4, 4, 3, 2, 1])
    if keras.backend.backend() == "jax":  # JAX takes the ids silently: check warns from the labels fit was given
        with kernest.trace():
            net.fit(features, stars, epochs=1, verbose=0)
        with pytest.warns(kernest.KernestWarning, match=r"grader/grade.*run 1\.\.4.*ids 0\.\.3.*y - 1"):
            kernest.check(net)
        return
    err = kernest.explain(raised(lambda: net.fit(features, stars, epochs=1, verbose=0)))
    assert err.path == "grader/grade" and err.received == "labels 1..4"
    assert "stars - 1" in err.fix and "5 units" in err.fix


def test_one_hot_pairs_for_a_one_unit_sigmoid_head_say_take_one_column():
    x_in = keras.Input((7,), name="features")
    net = keras.Model(x_in, L.Dense(1, activation="sigmoid", name="churn")(_trunk()(x_in)), name="scorer")
    net.compile("sgd", "binary_crossentropy")
    onehot = np.eye(2, dtype="float32")[[0, 1, 1, 0]]
    err = kernest.explain(raised(lambda: net.fit(np.zeros((4, 7), "float32"), onehot, epochs=1, verbose=0)))
    assert err.path == "scorer/churn"
    assert "onehot[:, 1:]" in err.fix and 'Dense(2, activation="softmax")' in err.fix


def test_a_python_list_of_sequences_says_pad_them_to_the_declared_length():
    tok = keras.Input((5,), dtype="int32")
    reader = keras.Model(tok, L.GlobalAveragePooling1D()(L.Embedding(30, 4)(tok)), name="reader")
    ids = keras.Input((5,), dtype="int32", name="ids")
    net = keras.Model(ids, L.Dense(2, name="out")(reader(ids)), name="tagger")
    sentences = [[4, 5, 6], [7, 8], [9, 10, 11, 12]]
    err = kernest.explain(raised(lambda: net.predict(sentences, verbose=0)))
    assert err.interface == "data -> tagger" and "3 sequences of lengths 2..4" in err.received
    assert 'keras.utils.pad_sequences(sentences, maxlen=5, padding="post")' in err.fix and "mask_zero=True" in err.fix


@pytest.mark.parametrize("axis, shapes, fix", [
    (1, [(6, 4), (6, 12)], "Concatenate(axis=-1), giving (batch, 6, 16)"),
    (-1, [(3, 5), (9, 5)], "Concatenate(axis=1), giving (batch, 12, 5)"),
])
def test_a_concatenate_along_one_axis_of_inputs_that_differ_on_another_names_that_axis(axis, shapes, fix):
    def build():
        a, b = keras.Input(shapes[0], name="left"), keras.Input(shapes[1], name="right")
        branch = keras.Model(a, L.Dense(shapes[0][-1], name="proj")(a), name="branch")
        L.Concatenate(axis=axis, name="join")([branch(a), b])

    err = kernest.explain(raised(build))
    assert err.path == "join" and fix in err.fix


def test_images_of_another_size_say_resize_or_build_for_their_size():
    if keras.backend.backend() == "jax":
        pytest.skip("JAX's predict runs a functional model on any image size its layers accept: nothing raises")
    backbone = keras.Sequential([keras.Input((20, 20, 2)), L.Conv2D(4, 3, name="conv"), L.GlobalMaxPooling2D()], name="backbone")
    pics = keras.Input((20, 20, 2), name="pics")
    net = keras.Model(pics, L.Dense(1, name="score")(backbone(pics)), name="net")
    photos = np.zeros((3, 28, 24, 2), "float32")
    err = kernest.explain(raised(lambda: net.predict(photos, verbose=0)))
    assert "keras.layers.Resizing(20, 20)" in err.fix and "keras.Input((28, 24, 2))" in err.fix
    assert "keras.Input(shape=(28, 24, 2))" in err.fix


def test_a_map_shrunk_below_a_kernel_by_the_blocks_before_it_is_not_called_channels_first():
    def build():
        pics = keras.Input((24, 24, 3), name="pics")
        x = pics
        for i in range(4):  # 24 -> 11 -> 4 -> 1 after three blocks: the fourth 3x3 kernel does not fit
            x = keras.Sequential([L.Conv2D(8, 3, name=f"conv{i}"), L.MaxPooling2D(2)], name=f"block{i}")(x)

    err = kernest.explain(raised(build))
    assert err.path == "block3/conv3"
    assert "from 24 to 1" in err.fix and 'padding="same"' in err.fix and "channels-first" not in err.fix


def test_data_with_its_axes_swapped_says_transpose_it():
    encoder = keras.Sequential([keras.Input((12, 4)), L.GRU(3, name="gru")], name="encoder")
    series = keras.Input((12, 4), name="series")
    net = keras.Model(series, L.Dense(1, name="next")(encoder(series)), name="forecaster")
    exported = np.zeros((5, 4, 12), "float32")
    err = kernest.explain(raised(lambda: net.predict(exported, verbose=0)))
    assert "exported.transpose(0, 2, 1)" in err.fix and "None" not in err.fix


def test_a_tensor_with_its_axes_swapped_says_permute_it():
    def build():
        reader = keras.Sequential([keras.Input((3, 9, 2)), L.Conv2D(4, 2, name="conv")], name="reader")
        planes = keras.Input((2, 9, 3), name="planes")
        reader(L.Activation("relu", name="act")(planes))

    err = kernest.explain(raised(build))
    assert "keras.layers.Permute((3, 2, 1)) before reader" in err.fix


def test_a_trained_model_given_features_of_another_width_says_use_the_training_transform():
    x_in = keras.Input((30,), name="counts")
    net = keras.Model(x_in, L.Dense(1, name="score")(_trunk(30)(x_in)), name="net")
    net.compile("sgd", "mse")
    net.fit(np.zeros((4, 30), "float32"), np.zeros((4, 1)), epochs=1, verbose=0)
    held_out = np.zeros((3, 27), "float32")
    err = kernest.explain(raised(lambda: net.evaluate(held_out, np.zeros((3, 1)), verbose=0)))
    assert "30 features per sample (the width it was trained on) and held_out has 27" in err.fix
    assert "transform" in err.fix


def _scorer(width: int = 9, units: int = 1) -> keras.Model:
    x_in = keras.Input((width,), name="features")
    net = keras.Model(x_in, L.Dense(units, name="out")(_trunk(width)(x_in)), name="scorer")
    net.compile("sgd", "mse")
    return net


def test_validation_data_of_another_width_than_the_training_data_names_both():
    net = _scorer()
    train_x, holdout_x = np.zeros((6, 9), "float32"), np.zeros((3, 8), "float32")
    err = kernest.explain(raised(lambda: net.fit(train_x, np.zeros((6, 1)), validation_data=(holdout_x, np.zeros((3, 1))),
                                                 epochs=1, verbose=0)))
    assert "(as train_x has) and holdout_x has 8" in err.fix


def test_one_array_for_a_two_input_model_places_it_and_names_the_missing_one():
    a, b = keras.Input((5,), name="query"), keras.Input((3,), name="doc")
    pair = keras.Model([a, b], L.Concatenate()([L.Dense(2)(a), L.Dense(2)(b)]), name="pair")
    q, d = keras.Input((5,), name="q"), keras.Input((3,), name="d")
    net = keras.Model([q, d], L.Dense(1)(pair([q, d])), name="ranker")
    queries = np.zeros((4, 5), "float32")
    err = kernest.explain(raised(lambda: net.predict(queries, verbose=0)))
    assert "net.predict([queries, <an array (batch, 3) for d>], ...)" in err.fix


def test_class_names_as_labels_say_map_them_to_ids():
    net = _scorer(units=3)
    net.compile("sgd", "sparse_categorical_crossentropy")
    moods = np.array(["calm", "angry", "calm", "sad"])
    err = kernest.explain(raised(lambda: net.fit(np.zeros((4, 9), "float32"), moods, epochs=1, verbose=0)))
    assert "'angry', 'calm', 'sad'" in err.fix and "np.unique(moods, return_inverse=True)" in err.fix


def test_inputs_and_labels_of_different_lengths_give_both_sizes():
    net = _scorer()
    rows, targets = np.zeros((12, 9), "float32"), np.zeros((10, 1), "float32")
    err = kernest.explain(raised(lambda: net.fit(rows, targets, epochs=1, verbose=0)))
    assert err.received == "rows has 12, targets has 10"


def test_an_input_shape_given_as_a_number_says_use_a_tuple():
    err = kernest.explain(raised(lambda: keras.Input(shape=7)))
    assert "keras.Input(shape=(7,))" in err.fix


def test_a_dataset_batched_twice_says_batch_once():
    tf = pytest.importorskip("tensorflow")
    net = _scorer()
    rows = tf.data.Dataset.from_tensor_slices((np.zeros((8, 9), "float32"), np.zeros((8, 1), "float32"))).batch(4)
    err = kernest.explain(raised(lambda: net.fit(rows.batch(2), epochs=1, verbose=0)))
    assert "rows.batch(...) yields" in err.fix and "Batch once" in err.fix


# --- the lead's probes, round 3: per-output losses, tagging labels, residual widths, attention widths ---

def test_labels_for_the_second_output_name_that_output_and_its_own_loss():
    x_in = keras.Input((9,), name="ticket")
    h = _trunk(9)(x_in)
    net = keras.Model(x_in, [L.Dense(1, activation="sigmoid", name="urgent")(h),
                             L.Dense(6, activation="softmax", name="queue")(h)], name="router")
    net.compile("sgd", loss=["binary_crossentropy", "categorical_crossentropy"])
    x, urgent, queue = np.zeros((10, 9), "float32"), np.zeros((10, 1), "float32"), np.arange(10) % 6
    err = kernest.explain(raised(lambda: net.fit(x, [urgent, queue], epochs=1, verbose=0)))
    assert err.path == "router/queue", err
    assert "'categorical_crossentropy'" in err.fix and "ListWrapper" not in err.fix
    assert 'Compile queue with loss="sparse_categorical_crossentropy"' in err.fix
    assert "to_categorical(y, 6)" in err.fix


def test_one_class_per_sequence_for_a_per_step_head_names_the_rnn_or_per_step_labels():
    tok = keras.Input((15,), dtype="int32")
    enc = keras.Model(tok, L.GRU(6, return_sequences=True, name="reader")(L.Embedding(50, 4)(tok)), name="encoder")
    x_in = keras.Input((15,), dtype="int32")
    net = keras.Model(x_in, L.Dense(3, activation="softmax", name="mood")(enc(x_in)), name="tagger")
    net.compile("sgd", "sparse_categorical_crossentropy")
    x, y = np.zeros((8, 15), "int32"), np.arange(8) % 3
    err = kernest.explain(raised(lambda: net.fit(x, y, epochs=1, verbose=0)))
    assert err.path == "tagger/mood", err
    assert "encoder/reader with return_sequences=False" in err.fix
    assert "labels of shape (batch, 15), one class id per step" in err.fix


def test_a_residual_add_of_an_input_and_a_wider_layer_rebuilds_the_layer_not_the_input():
    i = keras.Input((None, 24))
    with pytest.raises(Exception) as info:
        keras.Model(i, L.Add(name="skip")([i, L.Dense(40, name="expand")(i)]))
    err = kernest.explain(info.value)
    assert "build expand with 24 units" in err.fix and "keras.layers.Dense(40) before skip" in err.fix
    assert "build input" not in err.fix


def test_attention_of_a_query_narrower_than_its_value_is_found_before_any_call():
    q_in, v_in = keras.Input((5, 12), name="question"), keras.Input((9, 20), name="passage")
    q_enc = keras.Model(q_in, L.Dense(12, name="q_proj")(q_in), name="q_enc")
    v_enc = keras.Model(v_in, L.Dense(20, name="v_proj")(v_in), name="v_enc")
    q, v = keras.Input((5, 12), name="q"), keras.Input((9, 20), name="v")
    net = keras.Model([q, v], L.Attention(name="read")([q_enc(q), v_enc(v)]), name="reader")  # Keras builds it
    with pytest.raises(kernest.InterfaceError) as info:
        kernest.check(net)
    err = info.value
    assert err.path == "read" and "20 features" in err.expected
    assert "keras.layers.Dense(20) before read" in err.fix and "MultiHeadAttention" in err.fix
    fixed = keras.Model([q, v], L.Attention(name="read")([L.Dense(20)(q_enc(q)), v_enc(v)]))
    kernest.check(fixed)
    fixed.predict([np.zeros((2, 5, 12)), np.zeros((2, 9, 20))], verbose=0)  # and Keras agrees it runs


def test_a_dict_output_model_feeding_a_one_input_layer_picks_an_output_by_its_key():
    i = keras.Input((11,))
    stem = keras.Model(i, {"pooled": L.Dense(5, name="p")(i), "tokens": L.Dense(3, name="t")(i)}, name="stem")
    x = keras.Input((11,))
    err = kernest.explain(raised(lambda: L.Dense(2, name="cls")(stem(x))))
    assert 'stem(x)["pooled"]' in err.fix and "(pooled, tokens)" in err.fix and "[0]" not in err.fix


def test_a_two_input_model_as_a_sequential_step_says_build_the_functional_form():
    a, b = keras.Input((6,)), keras.Input((2,))
    joiner = keras.Model([a, b], L.Dense(3)(L.Concatenate()([a, b])), name="joiner")
    err = kernest.explain(raised(lambda: keras.Sequential([keras.Input((6,)), joiner, L.Dense(1)], name="stack")))
    assert err.path.endswith("joiner")
    assert "a Sequential hands each step one tensor" in err.fix
    assert "inputs = [keras.Input((6,)), keras.Input((2,))]; y = joiner(inputs)" in err.fix


def test_a_model_built_by_its_first_fit_then_given_wider_inline_data_names_both_widths():
    net = keras.Sequential([keras.Sequential([L.Dense(4, activation="relu")], name="body"), L.Dense(1)], name="net")
    net.compile("sgd", "mse")
    net.fit(np.zeros((6, 3), "float32"), np.zeros((6, 1), "float32"), epochs=1, verbose=0)
    err = kernest.explain(raised(lambda: net.predict(np.zeros((2, 9), "float32"), verbose=0)))
    assert err.expected == "(batch, ..., 3)" and "9" in err.received
    assert "3 features" in err.fix and "9" in err.fix and "?" not in err.fix
