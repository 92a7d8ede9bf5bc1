"""explain on the kinds of failure of the seventh held-out set (tests/corpus, "set": "heldout7"), each
mechanism checked on another small model than its corpus case: a layer called with arguments its call()
does not bind, a layer's outputs unpacked into another number of names, RNN initial states of another width,
a stateful RNN without a batch size, an unseeded random op (JAX), a dataset given with y beside it, and Keras 2
names (model methods, module paths) that Keras 3 removed."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kernest
from tests.corpus_cases import check_script
from tests.test_explain import raised

pytestmark = pytest.mark.core
L = keras.layers


_script = check_script


# --- call() arguments: read from the layer's own signature, the rewrite checked on a fresh copy -------------

def test_tensors_passed_one_by_one_to_a_merge_layer_go_in_one_list():
    a, b, c = keras.Input((3,), name="a"), keras.Input((5,), name="b"), keras.Input((2,), name="c")
    proj = keras.Sequential([keras.Input((5,)), L.Dense(4, name="lin")], name="proj")
    hb = proj(b)

    def build():
        L.Add(name="total")(a, hb)  # Add needs equal shapes: 3 vs 4, so no list works either

    err = kernest.explain(raised(build))
    assert err.path == "total" and err.interface == "proj -> total"
    assert "[a, hb]" not in err.fix and "no list of these tensors works" in err.fix  # never a fix that fails

    def build3():
        L.Concatenate(axis=-1, name="cat3")(a, hb, c)

    err = kernest.explain(raised(build3))
    assert err.path == "cat3" and err.interface == "proj -> cat3"
    assert 'L.Concatenate(axis=-1, name="cat3")([a, hb, c])' in err.fix


def test_a_required_tensor_left_out_of_an_attention_call_inside_a_custom_layer_is_passed_again():
    class Block(L.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.mix = L.MultiHeadAttention(num_heads=3, key_dim=4, name="mix")

        def call(self, h):
            return self.mix(h) + h

    steps = keras.Input((9, 6), name="steps")
    err = kernest.explain(raised(lambda: Block(name="blk")(steps)))
    assert err.path == "blk/mix"
    assert "self.mix(h, h)" in err.fix and "value" in err.fix


# --- outputs unpacked into another number of names ---------------------------------------------------------

def test_a_bidirectional_gru_unpacked_as_one_rnn_gets_one_state_per_direction():
    seq = keras.Input((4, 7), name="seq")

    def build():
        out, state = L.Bidirectional(L.GRU(5, return_state=True), name="bigru")(seq)

    err = kernest.explain(raised(build))
    assert err.path == "bigru" and err.interface == "input:seq -> bigru"
    assert "out, forward_state, backward_state = " in err.fix  # GRU keeps one state; the user's own suffix


def test_an_lstm_unpacked_into_two_names_gets_its_third_named():
    seq = keras.Input((4, 7), name="seq")
    lstm = L.LSTM(3, return_state=True, name="enc")

    def build():
        out, h = lstm(seq)

    err = kernest.explain(raised(build))
    assert err.path == "enc" and "3 tensors" in err.fix and "out, h, h_2 = lstm(seq)" in err.fix


# --- RNN initial states of another width ----------------------------------------------------------------

@pytest.mark.skipif(keras.backend.backend() == "jax", reason="the fit step is compiled; TensorFlow and torch cover it")
def test_a_gru_started_from_narrower_states_is_rebuilt_with_their_width():
    src = keras.Input((5, 2), name="src")
    _, h = L.GRU(6, return_state=True, name="enc_gru")(src)
    enc = keras.Model(src, h, name="enc")
    a, b = keras.Input((5, 2), name="a"), keras.Input((3, 2), name="b")
    dec = L.GRU(10, name="dec_gru")(b, initial_state=enc(a))
    net = keras.Model([a, b], L.Dense(1, name="y")(dec), name="s2s")
    net.compile(optimizer="sgd", loss="mse")
    err = kernest.explain(raised(lambda: net.fit([np.zeros((2, 5, 2)), np.zeros((2, 3, 2))], np.zeros((2, 1)), verbose=0)))
    assert "dec_gru" in err.path and err.interface == "enc -> dec_gru"
    assert 'GRU(6, name="dec_gru")' in err.fix and "Dense(10)" in err.fix


# --- a stateful RNN without a batch size ------------------------------------------------------------------

def test_a_stateful_lstm_without_a_batch_size_gets_the_one_fit_uses(tmp_path):
    code, printed = _script(tmp_path, (
        'frames = keras.Input(shape=(3, 2), name="frames")\n'
        'x = L.Dense(4, name="embed")(frames)\n'
        'x = L.LSTM(5, stateful=True, name="memory")(x)\n'
        'model = keras.Model(frames, x)\n'
        'model.fit(np.zeros((6, 3, 2)), np.zeros((6, 5)), batch_size=3, verbose=0)\n'))
    assert code == 1 and "memory" in printed
    assert 'frames = keras.Input(shape=(3, 2), name="frames", batch_size=3)' in printed


# --- an unseeded random op, which JAX cannot trace -----------------------------------------------------------

@pytest.mark.skipif(keras.backend.backend() != "jax", reason="only JAX refuses to trace an unseeded random op")
def test_an_unseeded_noise_layer_gets_a_seed_generator_and_its_line_rewritten():
    class Jitter(L.Layer):
        def call(self, x):
            return x * keras.random.uniform(keras.ops.shape(x), minval=0.9, maxval=1.1)

    v = keras.Input((3,), name="v")
    err = kernest.explain(raised(lambda: Jitter(name="jitter")(v)))
    assert err.path == "jitter"  # read by _explain_custom's reader of users' own layers
    assert "keras.random.SeedGenerator(" in err.fix
    assert "keras.random.uniform(keras.ops.shape(x), minval=0.9, maxval=1.1, seed=self.seed_gen)" in err.fix


# --- a dataset given to fit with the labels beside it -------------------------------------------------------

def test_a_dataset_given_with_labels_beside_it_is_rebuilt_from_pairs(tmp_path):
    code, printed = _script(tmp_path, (
        "import tensorflow as tf\n"
        'net = keras.Sequential([keras.Input((2,)), L.Dense(1, name="o")], name="lin")\n'
        'net.compile(optimizer="sgd", loss="mse")\n'
        "feats, target = np.zeros((6, 2), 'float32'), np.zeros((6, 1))\n"
        "train = tf.data.Dataset.from_tensor_slices(feats).shuffle(6).batch(3)\n"
        "net.fit(train, target, epochs=2)\n"))
    assert code == 1 and "data -> lin" in printed
    assert "train = tf.data.Dataset.from_tensor_slices((feats, target)).shuffle(6).batch(3)" in printed
    assert "net.fit(train, epochs=2)" in printed


# --- Keras 2 names Keras 3 removed --------------------------------------------------------------------------

def test_predict_classes_on_a_softmax_head_takes_the_argmax():
    net = keras.Sequential([keras.Input((4,)), L.Dense(3, activation="softmax", name="probs")], name="clf")
    batch = np.zeros((2, 4))
    err = kernest.explain(raised(lambda: net.predict_classes(batch)))
    assert err.path == "clf" and err.interface == "clf -> predict_classes"
    assert "np.argmax(net.predict(batch), axis=-1)" in err.fix


def test_fit_generator_becomes_fit_with_the_same_arguments():
    net = keras.Sequential([keras.Input((4,)), L.Dense(1, name="o")], name="reg")
    err = kernest.explain(raised(lambda: net.fit_generator(iter([]), steps_per_epoch=2)))
    assert "net.fit(iter([]), steps_per_epoch=2)" in err.fix


def test_a_keras2_module_path_is_rewritten_to_where_keras3_keeps_the_name(tmp_path):
    code, printed = _script(tmp_path, (
        'stem = keras.Sequential([keras.Input((8, 8, 1)), L.core.Dense(2, name="d")], name="stem")\n'
        'head = keras.Sequential([keras.Input((8, 8, 2)), L.Flatten()], name="head")\n'
        'img = keras.Input((8, 8, 1))\nout = head(stem(img))\n'))
    assert code == 1 and "stem -> head" in printed
    assert "L.core.Dense -> L.Dense" in printed and 'L.Dense(2, name="d")' in printed


# --- a backend function on a symbolic tensor: the keras.ops op of another name --------------------------------

def test_a_backend_reduction_on_a_nested_models_output_becomes_the_keras_op_of_its_own_name():
    import tensorflow as tf

    words = keras.Input((6, 4), name="words")
    enc = keras.Sequential([keras.Input((6, 4)), L.Dense(3, name="proj")], name="enc")
    err = kernest.explain(raised(lambda: tf.reduce_mean(enc(words), axis=1)))
    assert err.path == "enc" and err.interface.startswith("enc -> ")
    assert "keras.ops.mean(enc(words), axis=1)" in err.fix
