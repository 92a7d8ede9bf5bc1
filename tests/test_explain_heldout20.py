"""The mechanisms added for the twentieth held-out set (tests/corpus/251, 253, 256, 258; and the downstream rewrite
of an unpacking that must drop names, from the dropped case 257), each tested on other small models than the corpus
cases: other layers, names, sizes, settings and data."""

from __future__ import annotations

import keras
import pytest

from tests.corpus_cases import check_script

pytestmark = pytest.mark.core

BACKEND = keras.backend.backend()
torch_only = pytest.mark.skipif(BACKEND != "torch", reason="only PyTorch has no sparse tensors in Keras")
not_tensorflow = pytest.mark.skipif(BACKEND == "tensorflow", reason="TensorFlow skips an integer weight's gradient")

DATA = ("x = np.random.rand(6, 5).astype('float32')\n"
        "y = np.random.rand(6, 1).astype('float32')\n")


def test_a_batch_norm_given_scale_and_offset_only_gets_its_moving_statistics(tmp_path):
    code, printed = check_script(tmp_path, DATA + (
        "stem = keras.Sequential([keras.Input((5,)), L.BatchNormalization(name='bn')], name='stem')\n"
        "i = keras.Input((5,))\n"
        "net = keras.Model(i, L.Dense(1, name='o')(stem(i)), name='net')\n"
        "g, b = np.ones(5), np.zeros(5)\n"
        "stem.get_layer('bn').set_weights([g, b])\n"))
    assert code == 1 and "stem/bn: weights -> bn" in printed, printed
    assert "set_weights([g, b, np.zeros((5,)), np.ones((5,))])" in printed and "Traceback" not in printed


def test_a_kernel_and_bias_given_to_a_layer_without_bias_keeps_the_kernel(tmp_path):
    code, printed = check_script(tmp_path, DATA + (
        "proj = L.Dense(3, use_bias=False, name='proj')\n"
        "i = keras.Input((5,))\n"
        "net = keras.Model(i, proj(i), name='net')\n"
        "w = np.ones((5, 3))\n"
        "proj.set_weights([w, np.zeros(3)])\n"))
    assert code == 1 and "proj: weights -> proj" in printed and "net/proj" not in printed, printed
    assert "proj.set_weights([w])" in printed and "Traceback" not in printed


def test_a_dense_width_halved_with_a_true_division_is_made_an_int(tmp_path):
    code, printed = check_script(tmp_path, (
        "width = 10\n"
        "tower = keras.Sequential([keras.Input((4,)), L.Dense(width / 2, name='mid')], name='tower')\n"))
    assert code == 1 and "tower/mid: width -> mid" in printed, printed
    assert "L.Dense(int(width / 2), name='mid')" in printed and "Traceback" not in printed


def test_a_simple_rnn_unpacked_as_an_lstm_drops_the_cell_state_downstream(tmp_path):
    code, printed = check_script(tmp_path, (
        "a = keras.Input((7, 2), name='a')\n"
        "seq, h, c = L.SimpleRNN(3, return_sequences=True, return_state=True, name='rnn')(a)\n"
        "b = keras.Input((4, 2), name='b')\n"
        "out = L.SimpleRNN(3, name='dec')(b, initial_state=[h, c])\n"))
    assert code == 1 and "rnn: rnn -> dec" in printed, printed
    assert "seq, h = L.SimpleRNN(" in printed and "initial_state=[h]" in printed and "Traceback" not in printed


@not_tensorflow
def test_an_int64_scale_weight_is_made_float(tmp_path):
    code, printed = check_script(tmp_path, DATA + (
        "class Scale(L.Layer):\n"
        "    def build(self, shape):\n"
        "        self.k = self.add_weight(shape=(), initializer='ones', dtype='int64')\n"
        "    def call(self, x):\n"
        "        return x * keras.ops.cast(self.k, x.dtype)\n"
        "i = keras.Input((5,))\n"
        "h = L.Dense(2, name='d')(i)\n"
        "net = keras.Model(i, L.Dense(1, name='o')(Scale(name='scale')(h)), name='net')\n"
        "net.compile('sgd', 'mse')\n"
        "net.fit(x, y, verbose=0)\n"))
    assert code == 1 and "scale: scale -> optimizer" in printed, printed
    assert "dtype='float32'" in printed and "trainable=False" in printed and "Traceback" not in printed


@torch_only
def test_a_sparse_count_input_under_torch_is_declared_dense(tmp_path):
    code, printed = check_script(tmp_path, (
        "counts = keras.Input(shape=(7,), sparse=True, name='counts')\n"
        "h = L.Dense(4, name='hid')(counts)\n"))
    assert code == 1 and "counts: input:counts -> hid" in printed, printed
    assert "keras.Input(shape=(7,), name='counts')" in printed and "Traceback" not in printed
