"""``_probe``: a fresh copy of a failing layer, tried symbolically on shapes and configs near what it got."""

from __future__ import annotations

import time

import keras
import pytest

import kernest
from kernest._probe import MAX_TRIES, fix_text, probe
from tests.backend_support import needs_channels_first_conv
from tests.test_explain import raised

pytestmark = pytest.mark.core
L = keras.layers


@pytest.mark.parametrize(
    ("make", "received", "adapter", "accepted"),
    [
        (lambda: L.Conv1D(8, 3), (None, 32), "keras.layers.Reshape((32, 1))", (None, 32, 1)),
        (lambda: L.DepthwiseConv2D(3, data_format="channels_first"), (None, 6, 10), "keras.layers.Reshape((1, 6, 10))", (None, 1, 6, 10)),
        (lambda: L.Conv2DTranspose(3, 3, strides=2), (None, 5, 5, 4, 2), "keras.layers.Reshape((5, 5, 8))", (None, 5, 5, 8)),
        (lambda: L.SimpleRNN(4), (None, 3, 4, 5), "keras.layers.Reshape((3, 20))", (None, 3, 20)),
        (lambda: L.CenterCrop(4, 4), (None, 64), "keras.layers.Reshape((8, 8, 1))", (None, 8, 8, 1)),
        (lambda: L.EinsumDense("abc,cd->abd", output_shape=(None, 8)), (None, 16), "keras.layers.Reshape((16, 1))", (None, 16, 1)),
        (lambda: L.LayerNormalization(axis=2), (None, 12), "axis=-1", (None, 12)),
        (lambda: L.BatchNormalization(axis=3), (None, 10, 6), "axis=-1", (None, 10, 6)),
        (lambda: L.GroupNormalization(groups=4, axis=1), (None, 6, 8, 8), "groups=3", (None, 6, 8, 8)),
        (lambda: L.GroupNormalization(groups=5), (None, 9, 7, 12), "groups=4", (None, 9, 7, 12)),
        (lambda: L.MaxPooling3D(2), (None, 1, 8, 8, 3), 'padding="same"', (None, 1, 8, 8, 3)),
    ],
)
def test_probe_finds_what_the_layer_accepts(make, received, adapter, accepted):
    layer = make()
    was_built = layer.built  # a layer without weights is built from the start
    found = probe(layer, received)
    assert found is not None and found.found is not None
    assert found.found.adapter == adapter
    assert found.found.shape == accepted
    assert 0 < found.tries <= MAX_TRIES
    assert layer.built == was_built and not layer.weights  # only fresh copies were tried


def test_a_built_layer_keeps_the_width_its_weights_were_made_for():
    head = keras.Sequential([keras.Input((16,)), L.Dense(3, name="logits")])
    found = probe(head.get_layer("logits"), (None, 12))
    assert found.found.adapter == "keras.layers.Dense(16)"
    assert head.get_layer("logits").kernel.shape == (16, 3)


@needs_channels_first_conv()
def test_the_accepted_shape_is_really_accepted_and_trains():
    found = probe(L.Conv2D(4, 3, data_format="channels_first"), (None, 6, 10))
    target = found.found.shape
    x = keras.Input((6, 10))
    y = L.Reshape(target[1:])(x)
    model = keras.Model(x, L.GlobalAveragePooling2D(data_format="channels_first")(
        L.Conv2D(4, 3, padding="same", data_format="channels_first")(y)))
    model.compile(optimizer="sgd", loss="mse")
    import numpy as np
    history = model.fit(np.random.rand(4, 6, 10), np.random.rand(4, 4), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_when_nothing_works_the_message_stays_honest():
    layer = L.Reshape((7, 7))  # 49 values: no shape near (batch, 50) has them
    found = probe(layer, (None, 50))
    assert found.found is None and found.tries >= 3
    text = fix_text(found, "fold", "total size of the tensor must be unchanged")
    assert "No nearby input" in text and f"({found.tries} tried)" in text
    assert "target_shape=(7, 7)" in text
    assert "Reshape(" not in text.replace("Reshape fold", "")  # no adapter is guessed


def test_a_model_or_a_layer_without_a_config_is_not_probed():
    class Opaque(L.Layer):
        def __init__(self, n):  # no **kwargs: from_config cannot rebuild it
            super().__init__()
            self.n = n

    assert probe(keras.Sequential([keras.Input((3,)), L.Dense(2)]), (None, 4)) is None
    assert probe(Opaque(3), (None, 4)) is None


def test_probe_is_bounded_and_fast():
    start = time.perf_counter()
    found = probe(L.Reshape((7, 7)), (None, 5, 5, 2, 3))
    assert found.tries <= MAX_TRIES
    assert time.perf_counter() - start < 1.0


def test_explain_uses_the_probe_for_a_failure_no_family_knows():
    def build():
        src = keras.Sequential([keras.Input((7,)), L.Dense(12, name="proj")], name="emb")
        block = keras.Sequential([L.LayerNormalization(axis=2, name="ln")], name="ln_block")
        i = keras.Input((7,))
        keras.Model(i, block(src(i)))

    with kernest.trace():
        exc = raised(build)
    err = kernest.explain(exc)
    assert err.path.endswith("ln_block/ln")
    assert err.expected == "(batch, 12) with axis=-1"
    assert "Build ln with axis=-1" in err.fix and "(batch, 12)" in err.fix


def test_unknown_sizes_give_an_adapter_that_can_be_written():
    found = probe(L.Conv2D(4, 3), (None, None, None))  # (batch, ?, ?): no channel axis, two unknown sizes
    assert found.found.adapter == "keras.ops.expand_dims(x, 3)"
    found = probe(L.Conv1D(4, 3), (None, None))
    assert found.found.adapter == "keras.layers.Reshape((-1, 1))"


# --- the first sweep's misses, each on another small model than the sweep's ----------------------------------

@pytest.mark.parametrize(
    ("make", "received", "adapter"),
    [
        (lambda: L.LSTM(3), (None, 5, 2, 6), "keras.layers.Reshape((5, 12))"),  # a grid: its rows as steps
        (lambda: L.RepeatVector(3), (None, 7, 4), "keras.layers.GlobalAveragePooling1D()"),  # a sequence: pooled
        (lambda: L.Bidirectional(L.GRU(2)), (None, 4, 1, 3), "keras.layers.Reshape((4, 3))"),  # a size-1 axis
    ],
)
def test_an_axis_too_many_before_a_step_reader_is_reduced_by_what_a_fresh_copy_accepts(make, received, adapter):
    from kernest._probe import reduction

    found = reduction(make(), keras.KerasTensor(received))
    assert found is not None and found.adapter == adapter
    assert reduction(L.Dense(3), keras.KerasTensor(received)) is None  # a per-step layer is mapped, not reduced


def test_a_grid_reaching_an_rnn_in_a_nested_model_is_reshaped_rows_as_steps():
    def build():
        tiles = keras.Sequential([keras.Input((5, 2, 6)), L.Dense(6, name="mix")], name="tiles")
        reader = keras.Sequential([L.GRU(3, name="gru")], name="reader")
        t = keras.Input((5, 2, 6), name="t")
        keras.Model(t, reader(tiles(t)), name="m")

    err = kernest.explain(raised(build), None)
    assert "reader/gru" in err.path and "keras.layers.Reshape((5, 12))" in str(err)
    assert "TimeDistributed(reader)" in str(err)  # still offered, second, for items along the axis


def test_a_sequence_reaching_repeatvector_says_the_rnn_should_not_return_sequences():
    def build():
        enc = keras.Sequential([keras.Input((9, 2)), L.GRU(5, return_sequences=True, name="gru")], name="enc")
        dec = keras.Sequential([L.RepeatVector(9, name="rep"), L.GRU(2, return_sequences=True)], name="dec")
        i = keras.Input((9, 2), name="i")
        keras.Model(i, dec(enc(i)), name="m")

    err = kernest.explain(raised(build), None)
    assert "return_sequences=False on enc/gru" in str(err) and "GlobalAveragePooling1D()" in str(err)


def test_a_pooled_vector_given_to_a_prebuilt_sequence_model_is_one_step_not_a_rank_2_rebuild():
    def build():
        seq_in = keras.Input((6, 8))
        block = keras.Model(seq_in, L.LayerNormalization()(L.MultiHeadAttention(1, 4, name="mha")(seq_in, seq_in)),
                            name="block")
        pool = keras.Sequential([keras.Input((6, 8)), L.GlobalMaxPooling1D(name="gmp")], name="pool")
        i = keras.Input((6, 8), name="i")
        keras.Model(i, block(pool(i)), name="m")

    err = kernest.explain(raised(build), None)
    text = str(err)
    assert "keras.layers.Reshape((1, 8))" in text and "keras.Input(shape=(None, 8))" in text
    assert "keras.Input(shape=(8,))" not in text  # a rank-2 rebuild cannot work for attention


def test_a_channels_first_merge_of_other_channel_counts_is_projected_not_padded():
    def build():
        three = keras.Sequential([keras.Input((2, 10)), L.Conv1D(3, 1, data_format="channels_first", name="c3")], name="three")
        four = keras.Sequential([keras.Input((2, 10)), L.Conv1D(4, 1, data_format="channels_first", name="c4")], name="four")
        i = keras.Input((2, 10), name="i")
        keras.Model(i, L.Add(name="sum")([four(i), three(i)]), name="m")

    err = kernest.explain(raised(build), None)
    text = str(err)
    assert 'keras.layers.Conv1D(4, 1, data_format="channels_first")' in text and "three/c3" in text
    assert "ZeroPadding" not in text


def test_the_second_input_of_a_prebuilt_two_input_model_is_followed_to_its_own_producer():
    def build():
        a_in, b_in = keras.Input((3, 10)), keras.Input((4, 10))
        pair = keras.Model([a_in, b_in], L.Concatenate(axis=1)([a_in, b_in]), name="pair")
        left = keras.Sequential([keras.Input((3, 2)), L.Dense(10, name="lp")], name="left")
        right = keras.Sequential([keras.Input((4, 2)), L.Dense(6, name="rp")], name="right")
        a, b = keras.Input((3, 2), name="a"), keras.Input((4, 2), name="b")
        keras.Model([a, b], pair([left(a), right(b)]), name="m")

    err = kernest.explain(raised(build), None)
    text = str(err)
    assert "right -> pair" in text and "keras.layers.Dense(10)" in text and "left -> pair" not in text
    assert "keras.Input(shape=(4, 6))" in text  # the refused input's own declared shape, not the first's
