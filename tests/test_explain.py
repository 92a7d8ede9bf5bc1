from __future__ import annotations

import keras
import pytest

import kernest
from tests import models

pytestmark = pytest.mark.core
L = keras.layers


def raised(fn):
    try:
        fn()
    except Exception as exc:  # the raw Keras error is the input under test
        return exc
    raise AssertionError("expected Keras to raise")


def test_ndim_mismatch_gets_path_and_fix():
    def build():
        cnn = keras.Sequential([keras.Input((100, 50)), L.Conv1D(32, 3), L.MaxPooling1D(2), L.Flatten(name="flatten")], name="char_cnn")
        keras.Sequential([keras.Input((cnn.output_shape[1],)), L.LSTM(64, name="lstm")], name="word_lstm")

    err = kernest.explain(raised(build))
    assert isinstance(err, kernest.InterfaceError)
    assert err.path == "word_lstm/lstm"
    assert err.interface == "char_cnn -> word_lstm"
    assert err.received == "(batch, 1568)"
    assert "char_cnn/flatten (Flatten) removed the axes of (batch, 49, 32)" in err.fix
    assert "Reshape((49, 32))" in err.fix and "drop char_cnn/flatten" in err.fix


def test_path_is_found_at_depth_in_a_target():
    model = models.word_model()
    exc = ValueError("Input 0 with name 'None' of layer 'conv' is incompatible with the layer: expected ndim=3, found ndim=2. Full shape received: (None, 8)")
    err = kernest.explain(exc, target=model)
    assert err.path == "per_word/char_cnn/conv"


def test_not_connected_names_the_fresh_inputs():
    def build():
        main = keras.Input((10,), name="main_in")
        wide = L.Dense(32, name="wide")(keras.Input((10,), name="fresh"))
        keras.Model(main, [wide, L.Dense(16, name="narrow")(main)], name="inner")

    err = kernest.explain(raised(build))
    assert err.path == "inner"
    assert "output 0 (wide) comes from Input 'fresh'" in err.received
    assert "`main` in place of Input 'fresh'" in err.fix
    assert "declared input" in err.fix


def test_inner_layer_output_of_a_nested_model_points_to_extract():
    model = models.word_model()
    inner_conv = model.get_layer("per_word").layer.get_layer("conv")
    err = kernest.explain(raised(lambda: keras.Model(model.inputs, inner_conv.output)))
    assert err is not None and "kernest.extract" in err.fix


def test_axis_value_mismatch():
    dense = L.Dense(4, name="proj")
    dense.build((None, 2048))
    err = kernest.explain(raised(lambda: dense(keras.Input((512,)))), target=None)
    assert err is not None and err.expected == "(batch, ..., 2048)" and err.received == "(batch, 512)"


def test_wrong_number_of_inputs():
    a, b = keras.Input((3,)), keras.Input((3,))
    two = keras.Model([a, b], L.Add()([a, b]), name="two")
    err = kernest.explain(raised(lambda: two(keras.Input((3,)))))
    assert err is not None and "kernest.connect" in err.fix


@pytest.mark.parametrize(
    "message, needle",
    [
        ("Argument `trainable_variables` must be a list. len(trainable_variables) == 6 whereas the optimizer was built with 2", "recompile=True"),
        ("indices[0,2] = 151 is not in [0, 50)", "input_dim"),
        ("Cast float to string is not supported", "dtype"),
        ("Kernel shape must have the same length as input, but received kernel of shape (3, 3, 28, 8) and input of shape (None, 28, 28)", "channel"),
        ("Cannot convert '((None, 8, 8, 3), 1)' to a shape", "one-element list"),
        ("'Dense' object has no attribute 'output_shape'", "compute_output_shape"),
    ],
)
def test_known_message_families(message, needle):
    err = kernest.explain(ValueError(message))
    assert err is not None and needle in err.fix


def test_unknown_errors_return_none():
    assert kernest.explain(ValueError("something unrelated")) is None


# --- rules written for the held-out cases (tests/corpus, "set": "heldout"), on other small models ---------

def _frames_model():
    encoder = keras.Sequential([L.Conv3D(4, 3, padding="same", name="c3d"), L.GlobalAveragePooling3D(name="gap")], name="clip_encoder")
    clip = keras.Input((6, 20, 20), name="clip")
    return keras.Model(clip, encoder(clip))


def test_missing_channels_axis_is_added_where_the_data_crossed_in_even_without_a_trace():
    err = kernest.explain(raised(_frames_model))
    assert err.path == "clip_encoder/c3d"  # the inner layer, though Keras' traceback stops at clip_encoder
    assert err.interface == "input:clip -> clip_encoder"
    assert "Reshape((6, 20, 20, 1)) before clip_encoder" in err.fix


def test_missing_channels_axis_goes_first_for_a_channels_first_layer():
    def build():
        readings = keras.Input((50,), name="readings")
        L.Conv1D(8, 3, data_format="channels_first", name="conv")(readings)

    with kernest.trace():
        err = kernest.explain(raised(build))
    assert "Reshape((1, 50))" in err.fix
    assert err.expected.endswith("(batch, channels, steps)")  # the layer's data_format says where channels go


def test_channels_first_images_into_a_channels_last_cnn_are_permuted():
    backbone = keras.Sequential([L.Conv2D(4, 5, name="conv1"), L.GlobalMaxPooling2D()], name="backbone")
    image = keras.Input((3, 40, 40), name="image")
    err = kernest.explain(raised(lambda: backbone(image)))
    assert err.path == "backbone/conv1" and err.interface == "input:image -> backbone"
    assert "Permute((2, 3, 1)) before backbone" in err.fix


def test_a_window_longer_than_a_pooled_axis_asks_for_same_padding():
    block = keras.Sequential([L.MaxPooling2D(4, name="pool"), L.Conv2D(4, 5, name="conv")], name="block")
    image = keras.Input((12, 12, 3), name="image")
    with kernest.trace():
        err = kernest.explain(raised(lambda: block(image)))
    assert err.path == "block/conv" and err.interface == "pool -> conv"
    assert 'conv with padding="same"' in err.fix and "Permute" not in err.fix


def test_one_sample_without_its_batch_axis_names_the_variable():
    import numpy as np

    x = keras.Input((5, 3), name="x")
    model = keras.Model(x, L.Dense(1)(L.Flatten()(x)), name="scorer")
    sample = np.zeros((5, 3), "float32")
    err = kernest.explain(raised(lambda: model.predict(sample, verbose=0)))
    assert err.path == "scorer" and err.interface == "data -> scorer"
    assert "np.expand_dims(sample, 0)" in err.fix


def test_two_parts_from_one_builder_get_distinct_names():
    def part():
        return keras.Sequential([keras.Input((4,)), L.Dense(2)], name="branch")

    def build():
        a, b = keras.Input((4,)), keras.Input((4,))
        keras.Model([a, b], L.Concatenate()([part()(a), part()(b)]), name="pair")

    err = kernest.explain(raised(build))
    assert err.path == "pair" and err.interface == "branch -> pair"
    assert 'name="branch_2"' in err.fix


def test_a_subclassed_models_own_weight_against_a_wider_input():
    class Bilinear(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.w = self.add_weight(shape=(6, 6), name="w")

        def call(self, x):
            return keras.ops.matmul(x, self.w)

    tokens = keras.Input((3,), name="tokens")
    embed = keras.Model(tokens, L.Dense(10, name="proj")(tokens), name="embed")
    with kernest.trace():
        err = kernest.explain(raised(lambda: Bilinear(name="bilinear")(embed(tokens))))
    assert err.path == "bilinear" and err.interface == "embed -> bilinear"
    assert "build embed/proj as keras.layers.Dense(6)" in err.fix


def test_skips_off_by_one_pixel_are_padded_not_projected():
    small = keras.Input((9, 9, 4), name="small")
    big = keras.Input((10, 10, 4), name="big")
    up = L.Conv2D(4, 1, name="up")(small)
    with kernest.trace():
        err = kernest.explain(raised(lambda: L.Concatenate(name="merge")([up, big])))
    assert err.interface == "up -> merge"
    assert "ZeroPadding2D(((0, 1), (0, 1)))" in err.fix and "Dense" not in err.fix


def test_labels_one_per_sample_against_a_per_step_output_point_at_return_sequences():
    import numpy as np

    steps = keras.Input((6, 2), name="steps")
    encoder = keras.Model(steps, L.GRU(4, return_sequences=True, name="gru")(steps), name="encoder")
    model = keras.Model(steps, L.Dense(3, activation="softmax", name="head")(encoder(steps)), name="tagger")
    model.compile(loss="categorical_crossentropy")
    y = np.eye(3, dtype="float32")[[0, 1]]
    err = kernest.explain(raised(lambda: model.fit(np.zeros((2, 6, 2), "float32"), y, verbose=0)))
    assert "build encoder/gru with return_sequences=False" in err.fix
    assert "sparse_categorical_crossentropy" not in err.fix


def test_a_decoder_map_larger_than_the_labels_is_cropped():
    import numpy as np

    code = keras.Input((4, 4, 8), name="code")
    decoder = keras.Sequential([keras.Input((4, 4, 8)), L.Conv2DTranspose(1, 3, strides=4, padding="same", name="up")], name="decoder")
    model = keras.Model(code, decoder(code), name="ae")
    model.compile(loss="mse")
    codes, masks = np.zeros((2, 4, 4, 8), "float32"), np.zeros((2, 14, 14, 1), "float32")
    err = kernest.explain(raised(lambda: model.fit(codes, masks, verbose=0)))
    assert "keras.layers.Cropping2D(1)" in err.fix  # the same on every side: the one number


def test_attention_between_widths_found_inside_the_model_when_fit_fails_without_a_trace():
    import numpy as np

    q_in, v_in = keras.Input((3, 4), name="q_in"), keras.Input((5, 4), name="v_in")
    values = keras.Model(v_in, L.Dense(6, name="proj")(v_in), name="values")
    queries = L.Dense(10, name="ask")(q_in)
    out = L.Attention(name="attend")([queries, values(v_in)])
    model = keras.Model([q_in, v_in], L.Concatenate(name="join")([queries, out]), name="reader")
    model.compile(loss="mse")
    q, v, y = np.zeros((2, 3, 4), "float32"), np.zeros((2, 5, 4), "float32"), np.zeros((2, 3, 16), "float32")
    err = kernest.explain(raised(lambda: model.fit([q, v], y, verbose=0)))
    assert err.path.endswith("attend") and err.interface == "values -> attend"
    assert "build ask as keras.layers.Dense(6)" in err.fix and "values/proj as keras.layers.Dense(10)" in err.fix


# --- rules written for the second held-out set (tests/corpus, "set": "heldout2"), on other small models ----

def test_a_merge_of_branches_one_axis_apart_gives_the_lower_one_a_last_axis():
    a_in, b_in = keras.Input((6, 3), name="a_in"), keras.Input((5,), name="b_in")
    seq = keras.Model(a_in, L.Conv1D(4, 1, name="conv")(a_in), name="seq_branch")  # (batch, 6, 4)
    flat = keras.Model(b_in, L.Dense(6, name="d")(b_in), name="flat_branch")  # (batch, 6)
    a, b = keras.Input((6, 3), name="a"), keras.Input((5,), name="b")
    err = kernest.explain(raised(lambda: L.Concatenate(name="cat")([seq(a), flat(b)])))
    assert err.path == "cat" and err.interface == "flat_branch -> cat"
    assert "Reshape((6, 1)) before cat" in err.fix


def test_a_dense_head_on_a_feature_map_is_flattened_when_labels_are_one_row_per_sample():
    import numpy as np

    vol = keras.Input((4, 4, 4, 1), name="vol")
    trunk = keras.Model(vol, L.Conv3D(2, 3, strides=2, padding="same", name="c")(vol), name="trunk")
    x = keras.Input((4, 4, 4, 1), name="x")
    model = keras.Model(x, L.Dense(3, activation="softmax", name="cls")(trunk(x)), name="vol_clf")
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    y = np.eye(3, dtype="float32")[[0, 1]]
    err = kernest.explain(raised(lambda: model.fit(np.zeros((2, 4, 4, 4, 1), "float32"), y, verbose=0)))
    assert err.interface == "data -> vol_clf"
    assert "Flatten()" in err.fix and "GlobalAveragePooling3D()" in err.fix and "before cls" in err.fix


def test_a_pooling_window_larger_than_the_map_offers_global_pooling():
    img = keras.Input((None, None, 2), name="img")
    h = L.Conv2D(4, 3, strides=4, padding="same", name="down")(img)
    net = keras.Model(img, L.MaxPooling2D(5, name="mp")(h), name="net")
    x = keras.Input((12, 12, 2), name="x")
    with kernest.trace():
        err = kernest.explain(raised(lambda: net(x)))
    assert err.path == "net/mp"
    assert "GlobalMaxPooling2D()" in err.fix and "MaxPooling2D((3, 3))" in err.fix


def test_set_weights_from_a_wider_conv_names_the_nested_layer_and_its_width():
    def cnn(filters, name):
        return keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(filters, 3, name="conv"), L.Flatten()], name=name)

    source, dest = cnn(8, "source"), cnn(4, "dest")
    err = kernest.explain(raised(lambda: dest.set_weights(source.get_weights())), target=dest)
    assert err.path == "dest/conv" and err.interface == "weights -> dest"
    assert "Conv2D(8)" in err.fix and "8 filters" in err.fix


def test_set_weights_into_an_rnn_of_another_size_gives_no_made_up_width():
    def rnn(units, name):
        return keras.Sequential([keras.Input((5, 3)), L.LSTM(units, name="lstm")], name=name)

    source, dest = rnn(8, "source"), rnn(6, "dest")
    err = kernest.explain(raised(lambda: dest.set_weights(source.get_weights())), target=dest)
    assert err.path == "dest/lstm"
    assert "LSTM(" not in err.fix and "Build dest exactly like the model the weights came from" in err.fix


def test_an_rnn_given_the_output_and_the_states_of_a_return_state_layer():
    import numpy as np

    if keras.backend.backend() == "torch":
        pytest.skip("PyTorch runs it without an error; the lint rule (tests/test_check.py) covers that backend")

    src, tgt = keras.Input((4, 3), name="src"), keras.Input((5, 3), name="tgt")
    enc = L.LSTM(6, return_state=True, name="enc")(src)  # [output, h, c]
    dec = L.LSTM(6, name="dec")(tgt, initial_state=enc)
    model = keras.Model([src, tgt], L.Dense(1)(dec), name="s2s")
    model.compile(optimizer="sgd", loss="mse")
    data = [np.zeros((2, 4, 3), "float32"), np.zeros((2, 5, 3), "float32")]
    with kernest.trace():
        err = kernest.explain(raised(lambda: model.fit(data, np.zeros((2, 1), "float32"), verbose=0)))
    assert err.interface == "enc -> dec" and err.path.endswith("dec")
    assert "[1:]" in err.fix and "keeps 2 state(s)" in err.fix


def test_a_nested_cnn_called_on_fewer_channels_than_declared_is_named_where_the_data_enters():
    import numpy as np

    rgb = keras.Input((8, 8, 3), name="rgb")
    cnn = keras.Model(rgb, L.GlobalAveragePooling2D()(L.Conv2D(4, 3, name="stem")(rgb)), name="cnn")
    gray = keras.Input((8, 8, 1), name="gray")
    model = keras.Model(gray, L.Dense(1)(cnn(gray)), name="clf")
    model.compile(optimizer="sgd", loss="mse")
    with kernest.trace():
        err = kernest.explain(raised(lambda: model.fit(np.zeros((2, 8, 8, 1), "float32"), np.zeros((2, 1)), verbose=0)))
    assert err.interface == "input:gray -> cnn"
    assert "Conv2D(3, 1)" in err.fix and "keras.Input(shape=(8, 8, 1))" in err.fix


def test_a_conv_stack_fed_channels_first_series_is_permuted_where_the_data_enters():
    stack = keras.Sequential([L.Conv1D(8, 3, padding="same", name="c1"), L.MaxPooling1D(2, name="p1"),
                              L.Conv1D(8, 3, name="c2")], name="stack")
    series = keras.Input((4, 50), name="series")  # 4 sensors x 50 samples, channels first
    with kernest.trace():
        err = kernest.explain(raised(lambda: stack(series)))
    assert err.path == "stack/c2" and err.interface == "input:series -> stack"
    assert "Permute((2, 1)) before stack" in err.fix


def test_pooling_again_after_a_nested_model_that_already_pools():
    seq = keras.Input((10, 4), name="seq")
    enc = keras.Model(seq, L.GlobalMaxPooling1D(name="gmp")(L.Conv1D(6, 3, name="c")(seq)), name="enc")
    x = keras.Input((10, 4), name="x")
    err = kernest.explain(raised(lambda: L.GlobalAveragePooling1D(name="again")(enc(x))))
    assert err.path == "again" and err.interface == "enc -> again"
    assert "Drop again" in err.fix and "already reduced" in err.fix


def test_a_multi_input_model_called_with_its_inputs_swapped_gets_the_right_order():
    def build():
        a, b = keras.Input((6,), name="text"), keras.Input((2, 5), name="pixels")
        both = L.Concatenate(name="both")([L.Dense(3, name="ta")(a), L.Flatten(name="pf")(b)])
        inner = keras.Model([a, b], L.Dense(1, name="y")(both), name="fusion")
        text, pixels = keras.Input((6,), name="t_in"), keras.Input((2, 5), name="p_in")
        keras.Model([text, pixels], inner([pixels, text]))

    err = kernest.explain(raised(build))
    assert err.path == "fusion" and err.interface == "input:p_in -> fusion"
    assert "fusion([text, pixels])" in err.fix.replace("inner(", "fusion(")


def test_data_passed_to_fit_in_another_order_than_the_inputs_names_the_arrays():
    import numpy as np

    a, b = keras.Input((3,), name="small"), keras.Input((4, 4, 1), name="image")
    out = L.Dense(1, name="y")(L.Concatenate(name="cat")([L.Dense(2, name="fa")(a), L.Flatten(name="fl")(b)]))
    net = keras.Model([a, b], out, name="net")
    net.compile("sgd", "mse")
    x_small, x_image = np.zeros((4, 3), "float32"), np.zeros((4, 4, 4, 1), "float32")
    with kernest.trace():
        exc = raised(lambda: net.fit([x_image, x_small], np.zeros((4, 1)), epochs=1, verbose=0))
    err = kernest.explain(exc)
    assert err.interface == "data -> net"
    assert "[x_small, x_image]" in err.fix.replace(" ", "").replace(",", ", ")


def test_one_hot_labels_against_a_sparse_loss_say_which_loss_or_argmax():
    import numpy as np

    model = keras.Sequential([keras.Input((5,)), L.Dense(3, activation="softmax", name="probs")], name="clf")
    model.compile("sgd", "sparse_categorical_crossentropy")
    onehot = np.eye(3, dtype="float32")[[0, 1, 2, 1]]
    exc = raised(lambda: model.fit(np.zeros((4, 5), "float32"), onehot, epochs=1, verbose=0))
    err = kernest.explain(exc)
    assert err.interface == "data -> clf" and "one-hot" in err.received
    assert 'loss="categorical_crossentropy"' in err.fix and "np.argmax(" in err.fix


def test_a_sequence_merged_with_a_vector_points_at_the_rnn_that_returns_sequences():
    def build():
        ids = keras.Input((9,), dtype="int32", name="ids")
        seq = L.LSTM(4, return_sequences=True, name="rnn")(L.Embedding(20, 3, name="emb")(ids))
        reader = keras.Model(ids, L.Dropout(0.1, name="drop")(seq), name="reader")
        feats = keras.Input((4,), name="feats")
        keras.layers.Concatenate(name="cat")([reader(ids), feats])

    err = kernest.explain(raised(build))
    assert err.interface == "reader -> cat"
    assert "reader/rnn with return_sequences=False" in err.fix and "RepeatVector(9)" in err.fix


def test_a_feature_map_merged_with_a_vector_is_pooled_first():
    def build():
        img = keras.Input((6, 6, 2), name="img")
        fmap = L.Conv2D(4, 3, name="conv")(img)
        keras.layers.Concatenate(name="cat")([fmap, L.Dense(4, name="vec")(keras.Input((3,), name="side"))])

    err = kernest.explain(raised(build))
    assert "GlobalAveragePooling2D()" in err.fix and "conv" in err.interface


def test_timedistributed_given_one_item_per_sample_asks_for_a_time_axis():
    def build():
        cell = keras.Sequential([keras.Input((5, 4)), L.Conv1D(2, 2, name="c"), L.GlobalMaxPooling1D(name="g")], name="cell")
        series = keras.Input((5, 4), name="series")
        L.TimeDistributed(cell, name="each")(series)

    err = kernest.explain(raised(build))
    assert err.path == "each" and err.interface == "input:series -> each"
    assert "keras.Input(shape=(None, 5, 4))" in err.fix and "call cell directly" in err.fix


def test_flat_data_for_a_model_of_the_same_size_is_reshaped_by_name():
    import numpy as np

    model = keras.Sequential([keras.Input((6, 2)), L.Flatten(name="f"), L.Dense(1, name="y")], name="grid_model")
    model.compile("sgd", "mse")
    flat_rows = np.zeros((3, 12), "float32")
    with kernest.trace():
        exc = raised(lambda: model.fit(flat_rows, np.zeros((3, 1)), epochs=1, verbose=0))
    err = kernest.explain(exc)
    assert "flat_rows.reshape(-1, 6, 2)" in err.fix


def test_a_recurrent_layer_after_a_feature_map_reads_its_rows_as_steps():
    def build():
        img = keras.Input((12, 5, 1), name="img")
        cnn = keras.Model(img, L.Conv2D(3, 3, padding="same", name="conv")(img), name="cnn")
        L.LSTM(4, name="rnn")(cnn(img))

    err = kernest.explain(raised(build))
    assert err.interface == "cnn -> rnn"
    assert "Reshape((12, 15))" in err.fix and "cnn/conv" in err.fix


def test_a_concatenate_along_steps_of_branches_that_differ_in_features_offers_the_feature_axis():
    """Channels-first maps (batch, channels, h, w) joined along h while their channels differ: the rule names
    the axis that differs (1 here, not the last), not a projection."""
    a_in, b_in = keras.Input((3, 8, 8), name="a_in"), keras.Input((5, 8, 8), name="b_in")
    left = keras.Model(a_in, L.Activation("relu", name="act")(a_in), name="left")
    right = keras.Model(b_in, L.Activation("relu", name="act2")(b_in), name="right")
    a, b = keras.Input((3, 8, 8), name="a"), keras.Input((5, 8, 8), name="b")
    err = kernest.explain(raised(lambda: L.Concatenate(axis=2, name="stack")([left(a), right(b)])))
    assert err.path == "stack" and err.interface == "left -> stack"
    assert "keras.layers.Concatenate(axis=1)" in err.fix and "Dense(" not in err.fix


def test_a_concatenate_whose_branches_differ_on_two_axes_gets_no_axis_guess():
    a, b = keras.Input((4, 6), name="a"), keras.Input((5, 7), name="b")
    err = kernest.explain(raised(lambda: L.Concatenate(axis=1, name="cat")([a, b])))
    assert err.path == "cat" and "Concatenate(axis=" not in err.fix


def test_timedistributed_after_a_bidirectional_last_state_asks_for_its_sequence():
    clip = keras.Input((9, 4), name="clip")
    enc = keras.Model(clip, L.Bidirectional(L.LSTM(3), name="bi")(clip), name="clip_enc")
    frames = keras.Input((9, 4), name="frames")
    with kernest.trace():
        err = kernest.explain(raised(lambda: L.TimeDistributed(L.Dense(2), name="each")(enc(frames))))
    assert err.path == "each" and err.interface == "clip_enc -> each"
    assert "return_sequences=True" in err.fix


def test_keras2_keyword_arguments_are_renamed_with_the_users_values():
    src = keras.Input((5,), name="src")
    out = L.Dense(2)(src)
    err = kernest.explain(raised(lambda: keras.Model(input=src, output=out, name="old_api")))
    assert err.path == "old_api" and err.interface == "input:src -> old_api"
    assert "keras.Model(inputs=src, outputs=out)" in err.fix
    conv = kernest.explain(raised(lambda: L.Conv1D(4, 3, border_mode="same", name="c")))
    assert "border_mode is padding" in conv.fix and "Conv1D(padding=\"same\")" in conv.fix


def test_an_unbatched_dataset_is_batched_not_expanded():
    import numpy as np
    import tensorflow as tf

    feats = keras.Input((3, 2), name="feats")
    model = keras.Model(feats, L.Dense(1)(L.Flatten()(feats)), name="scorer")
    model.compile(optimizer="sgd", loss="mse")
    rows = tf.data.Dataset.from_tensor_slices((np.zeros((6, 3, 2), "float32"), np.zeros((6, 1), "float32")))
    err = kernest.explain(raised(lambda: model.fit(rows, epochs=1, verbose=0)))
    assert err.interface == "data -> scorer"
    assert "rows = rows.batch(32)" in err.fix and "expand_dims" not in err.fix


def test_an_rnn_on_a_model_input_without_features_declares_the_input_with_one():
    readings = keras.Input((7,), name="readings")
    with kernest.trace():
        err = kernest.explain(raised(lambda: L.GRU(2, name="gru")(readings)))
    assert err.path == "gru" and err.interface == "input:readings -> gru"
    assert "readings = keras.Input(shape=(7, 1))" in err.fix


def test_flatten_of_a_sequence_of_any_length_asks_for_global_pooling():
    frames = keras.Input((None, 6), name="frames")
    feats = keras.Model(frames, L.Conv1D(3, 2, name="conv")(frames), name="feats")
    reader = keras.Sequential([L.Flatten(name="fl"), L.Dense(2, name="out")], name="reader")
    clip = keras.Input((None, 6), name="clip")
    with kernest.trace():
        err = kernest.explain(raised(lambda: reader(feats(clip))))
    assert err.path == "reader/out" and err.interface == "feats -> reader"
    assert "keras.layers.GlobalAveragePooling1D()" in err.fix


def test_a_reshape_with_two_unknown_sizes_takes_its_inputs_sizes():
    seq = keras.Input((4, 6), name="seq")
    err = kernest.explain(raised(lambda: L.Reshape((1, -1, -1), name="lift")(seq)))
    assert err.path == "lift" and err.interface == "input:seq -> lift"
    assert "keras.layers.Reshape((1, 4, 6))" in err.fix


def test_a_normalization_adapted_on_another_width_is_moved_before_the_projection():
    import numpy as np

    table = np.random.rand(6, 5).astype("float32")
    scaler = L.Normalization(name="scaler")
    scaler.adapt(table)
    cols = keras.Input((5,), name="cols")
    proj = keras.Model(cols, L.Dense(3, name="d")(cols), name="proj")
    raw = keras.Input((5,), name="raw")
    model = keras.Model(raw, L.Dense(1)(scaler(proj(raw))), name="scored")
    model.compile(optimizer="sgd", loss="mse")
    with kernest.trace():
        err = kernest.explain(raised(lambda: model.fit(table, np.zeros((6, 1)), epochs=1, verbose=0)))
    assert err.interface == "proj -> scaler" and "5 values on axis -1" in err.expected
    assert "proj(scaler(raw))" in err.fix


def test_a_key_padding_mask_given_as_attention_mask_gets_the_target_axis():
    import numpy as np

    q, v = keras.Input((3, 8), name="q"), keras.Input((5, 8), name="v")
    pad = keras.Input((5,), dtype="bool", name="pad")
    mixed = L.MultiHeadAttention(num_heads=4, key_dim=2, name="att")(q, v, attention_mask=pad)
    model = keras.Model([q, v, pad], mixed, name="mixer")
    data = [np.zeros((2, 3, 8), "float32"), np.zeros((2, 5, 8), "float32"), np.ones((2, 5), bool)]
    with kernest.trace():
        err = kernest.explain(raised(lambda: model.predict(data, verbose=0)))
    assert err.path.endswith("att") and err.interface == "input:pad -> att"
    assert "keras.ops.expand_dims(pad, 1)" in err.fix


class _Gain(L.Layer):
    def __init__(self, channels, **kwargs):
        super().__init__(**kwargs)
        self.channels = channels

    def build(self, input_shape):
        self.g = self.add_weight(shape=(self.channels,), name="g")

    def call(self, x):
        return x * self.g


def test_a_custom_layer_weight_sized_by_a_constructor_argument_names_that_argument():
    x = keras.Input((7, 5), name="x")
    with kernest.trace():
        err = kernest.explain(raised(lambda: _Gain(4, name="gain")(x)))
    assert err.path == "gain" and "axis 2 is 5 in the input and 4 in the weight" in err.fix
    assert "_Gain(5)" in err.fix


def test_channels_first_skips_are_padded_on_their_spatial_axes():
    """A channels-first padding needs data_format: the default would pad the channels and the height."""
    big = keras.Input((6, 12, 12), name="big")
    small = keras.Input((6, 12, 12), name="small")
    shrunk = L.Conv2D(6, 3, data_format="channels_first", name="shrink")(small)  # (6, 10, 10)
    with kernest.trace():
        err = kernest.explain(raised(lambda: L.Add(name="sum")([big, shrunk])))
    assert err.interface == "shrink -> sum"
    assert 'ZeroPadding2D(((0, 2), (0, 2)), data_format="channels_first")' in err.fix
    padded = L.ZeroPadding2D(((0, 2), (0, 2)), data_format="channels_first")(shrunk)
    assert tuple(padded.shape) == tuple(big.shape)  # the fix it gives makes the shapes agree


def test_a_short_axis_of_features_made_by_a_dense_is_not_called_channels_first():
    """A window longer than a short axis whose last axis a Dense made: the data is not channels-first."""
    grid = keras.Input((3, 40, 8), name="grid")
    mixer = keras.Model(grid, L.Dense(24, name="mix")(grid), name="mixer")
    convs = keras.Sequential([L.Conv2D(8, (5, 3), name="tall")], name="convs")
    with kernest.trace():
        err = kernest.explain(raised(lambda: convs(mixer(grid))))
    assert err.path == "convs/tall" and err.interface == "mixer -> convs"
    assert 'padding="same"' in err.fix and "Permute" not in err.fix and "channels-first" not in err.fix


def test_a_feature_map_reaching_an_rnn_inside_a_nested_model_reads_its_rows_as_steps():
    page = keras.Input((6, 7, 2), name="page")
    cnn = keras.Model(page, L.Conv2D(4, 3, padding="same", name="features")(page), name="cnn")
    decoder = keras.Sequential([L.GRU(5, name="rows")], name="decoder")
    with kernest.trace():
        err = kernest.explain(raised(lambda: decoder(cnn(page))))
    assert err.path == "decoder/rows" and err.interface == "cnn -> decoder"
    assert "Reshape((6, 28))" in err.fix
