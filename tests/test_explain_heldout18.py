"""The mechanisms added for the eighteenth held-out set (tests/corpus/230-239), each tested on other small models
than the corpus cases: other layers, names, sizes, settings and data."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from tests.corpus_cases import check_script

pytestmark = pytest.mark.core

BACKEND = keras.backend.backend()
torch_only = pytest.mark.skipif(BACKEND != "torch", reason="loss.backward() and zero_grad are PyTorch's")
tensorflow_only = pytest.mark.skipif(BACKEND != "tensorflow", reason="tf.Variable and tf.GradientTape are TensorFlow's")
jax_only = pytest.mark.skipif(BACKEND != "jax", reason="only JAX calls train_step(state, data)")

DATA = ("x = np.random.rand(6, 5).astype('float32')\n"
        "y = np.random.rand(6, 1).astype('float32')\n")


def test_an_item_assignment_on_the_last_axis_becomes_ops_where(tmp_path):
    code, printed = check_script(tmp_path, (
        "from keras import ops\n"
        "seq = np.random.rand(6, 7, 2).astype('float32')\n"
        "y = np.random.rand(6, 1).astype('float32')\n"
        "class SetBias(L.Layer):\n"
        "    def call(self, h):\n"
        "        h[..., 2] = 1.0\n"
        "        return h\n"
        "i = keras.Input((7, 2))\n"
        "h = L.Conv1D(4, 3, activation='tanh', name='conv')(i)\n"
        "h = SetBias(name='set_bias')(h)\n"
        "net = keras.Model(i, L.Dense(1, name='o')(L.GlobalAveragePooling1D(name='gap')(h)), name='net')\n"
        "net.compile('adam', 'mse')\n"
        "net.fit(seq, y, verbose=0)\n"))
    assert code == 1 and "set_bias: conv -> set_bias" in printed, printed
    assert "`h = ops.where(ops.arange(h.shape[-1]) == 2, 1.0, h)`" in printed and "Traceback" not in printed


def test_an_item_assignment_on_a_middle_axis_gets_a_broadcast_mask(tmp_path):
    code, printed = check_script(tmp_path, (
        "seq = np.random.rand(6, 7, 2).astype('float32')\n"
        "y = np.random.rand(6, 1).astype('float32')\n"
        "class DropStep(L.Layer):\n"
        "    def call(self, t):\n"
        "        t[:, 1] = 0.0\n"
        "        return t\n"
        "enc = keras.Sequential([keras.Input((7, 2)), L.Dense(3, activation='sigmoid', name='proj'),\n"
        "                        DropStep(name='drop_step')], name='enc')\n"
        "i = keras.Input((7, 2))\n"
        "net = keras.Model(i, L.Dense(1)(L.Flatten()(enc(i))), name='net')\n"
        "net.compile('adam', 'mse')\n"
        "net.fit(seq, y, verbose=0)\n"))
    assert code == 1 and "enc/drop_step: proj -> drop_step" in printed, printed
    assert ("`t = keras.ops.where(keras.ops.reshape(keras.ops.arange(t.shape[-2]) == 1, (-1, 1)), 0.0, t)`"
            in printed), printed


def test_a_two_input_layer_reads_the_width_of_the_input_its_weight_multiplies(tmp_path):
    code, printed = check_script(tmp_path, (
        "a = np.random.rand(6, 3).astype('float32')\n"
        "b = np.random.rand(6, 4).astype('float32')\n"
        "y = np.random.rand(6, 1).astype('float32')\n"
        "class Pair(L.Layer):\n"
        "    def build(self, shapes):\n"
        "        self.w = self.add_weight(shape=(shapes[-1], 1), name='w')\n"
        "    def call(self, pair):\n"
        "        left, right = pair\n"
        "        return keras.ops.matmul(right, self.w) + keras.ops.sum(left, axis=-1, keepdims=True)\n"
        "i, j = keras.Input((3,)), keras.Input((4,))\n"
        "out = Pair(name='pair')([L.Dense(2, name='left')(i), L.Dense(5, name='right')(j)])\n"
        "net = keras.Model([i, j], out, name='net')\n"))
    assert code == 1 and "pair: right -> pair" in printed, printed
    assert "self.w = self.add_weight(shape=(shapes[1][-1], 1), name='w')" in printed and "Traceback" not in printed


def test_a_metric_without_sample_weight_gets_it_in_its_own_names(tmp_path):
    code, printed = check_script(tmp_path, DATA + (
        "class Worst(keras.metrics.Metric):\n"
        "    def __init__(self, **kw):\n"
        "        super().__init__(name='worst', **kw)\n"
        "        self.top = self.add_variable(shape=(), initializer='zeros', name='top')\n"
        "    def update_state(self, labels, preds):\n"
        "        self.top.assign(keras.ops.maximum(self.top, keras.ops.max(keras.ops.abs(labels - preds))))\n"
        "    def result(self):\n"
        "        return self.top\n"
        "i = keras.Input((5,))\n"
        "trunk = keras.Sequential([keras.Input((5,)), L.Dense(3, name='d')], name='trunk')\n"
        "scorer = keras.Model(i, L.Dense(1)(trunk(i)), name='scorer')\n"
        "scorer.compile('sgd', 'mae', metrics=[Worst()])\n"
        "scorer.fit(x, y, verbose=0)\n"))
    assert code == 1 and "scorer: scorer -> metrics" in printed, printed
    assert "def update_state(self, labels, preds, sample_weight=None):" in printed and "Traceback" not in printed


def test_a_cell_without_state_size_gets_the_width_of_its_recurrent_weight(tmp_path):
    code, printed = check_script(tmp_path, (
        "class Leaky(L.Layer):\n"
        "    def __init__(self, hidden, **kw):\n"
        "        super().__init__(**kw)\n"
        "        self.hidden = hidden\n"
        "    def build(self, shape):\n"
        "        self.w_in = self.add_weight(shape=(shape[-1], self.hidden), name='w_in')\n"
        "        self.w_rec = self.add_weight(shape=(self.hidden, self.hidden), name='w_rec')\n"
        "    def call(self, step, states):\n"
        "        h = 0.5 * states[0] + keras.ops.matmul(step, self.w_in) + keras.ops.matmul(states[0], self.w_rec)\n"
        "        return h, [h]\n"
        "i = keras.Input((4, 2))\n"
        "net = keras.Model(i, L.RNN(Leaky(6, name='leaky'), name='recurrence')(i), name='net')\n"))
    assert code == 1 and "recurrence: leaky -> recurrence" in printed, printed
    assert "add `self.state_size = hidden`" in printed and "Traceback" not in printed


def test_a_nested_model_evaluated_on_its_own_is_compiled_like_its_parent(tmp_path):
    code, printed = check_script(tmp_path, DATA + (
        "dec = keras.Sequential([keras.Input((2,)), L.Dense(5, name='up')], name='dec')\n"
        "i = keras.Input((5,))\n"
        "net = keras.Model(i, dec(L.Dense(2, name='down')(i)), name='net')\n"
        "net.compile(optimizer='sgd', loss='mae')\n"
        "net.fit(x, x, verbose=0)\n"
        "decoder = net.get_layer('dec')\n"
        "decoder.evaluate(np.random.rand(6, 2).astype('float32'), x, verbose=0)\n"))
    assert code == 1 and "dec: dec -> compile" in printed, printed
    assert "`decoder.compile(optimizer='sgd', loss='mae')`" in printed and "Traceback" not in printed


def test_recall_on_class_ids_asks_for_one_hot_labels(tmp_path):
    code, printed = check_script(tmp_path, (
        "feats = np.random.rand(6, 5).astype('float32')\n"
        "labels = np.random.randint(0, 4, size=(6, 1))\n"
        "i = keras.Input((5,))\n"
        "trunk = keras.Sequential([keras.Input((5,)), L.Dense(3, name='d')], name='trunk')\n"
        "tagger = keras.Model(i, L.Dense(4, activation='softmax', name='cls')(trunk(i)), name='tagger')\n"
        "tagger.compile('adam', keras.losses.SparseCategoricalCrossentropy(), metrics=[keras.metrics.Recall()])\n"
        "tagger.fit(feats, labels, verbose=0)\n"))
    assert code == 1 and "tagger: tagger -> metrics" in printed, printed
    assert "keras.utils.to_categorical(labels, 4)" in printed and 'loss="categorical_crossentropy"' in printed


@tensorflow_only
def test_a_tf_variable_made_in_build_is_flagged_with_add_weight(tmp_path):
    code, printed = check_script(tmp_path, DATA + (
        "class Shift(L.Layer):\n"
        "    def build(self, shape):\n"
        "        self.offset = tf.Variable(tf.zeros((shape[-1],)))\n"
        "    def call(self, t):\n"
        "        return t + self.offset\n"
        "i = keras.Input((5,))\n"
        "net = keras.Model(i, L.Dense(1)(Shift(name='shift')(L.Dense(3, name='d')(i))), name='net')\n"
        "net.compile('adam', 'mse')\n"
        "net.fit(x, y, verbose=0)\n"), strict=True)
    assert code == 1 and "shift: shift -> optimizer" in printed, printed
    assert 'self.offset = self.add_weight(shape=(3,), initializer="zeros", trainable=True, name="offset")' in printed


@torch_only
def test_a_torch_train_step_without_zero_grad_is_flagged_and_one_with_it_is_not(tmp_path):
    step = ("class Fitter(keras.Model):\n"
            "    def __init__(self, **kw):\n"
            "        super().__init__(**kw)\n"
            "        self.body = L.Dense(3, name='body')\n"
            "        self.out = L.Dense(1, name='out')\n"
            "    def call(self, t):\n"
            "        return self.out(self.body(t))\n"
            "    def train_step(self, data):\n"
            "        feats, target = data\n"
            "{clear}"
            "        err = self.compute_loss(x=feats, y=target, y_pred=self(feats, training=True))\n"
            "        err.backward()\n"
            "        ws = self.trainable_weights\n"
            "        with torch.no_grad():\n"
            "            self.optimizer.apply([w.value.grad for w in ws], ws)\n"
            "        return {{'loss': err}}\n"
            "net = Fitter(name='fitter')\n"
            "net.compile('sgd', 'mse')\n"
            "net.fit(x, y, batch_size=3, verbose=0)\n")
    code, printed = check_script(tmp_path, DATA + "import torch\n" + step.format(clear=""), strict=True)
    assert code == 1 and "fitter: fitter -> optimizer" in printed, printed
    assert "call `self.zero_grad()` in train_step" in printed and "err.backward()" in printed
    code, printed = check_script(tmp_path, DATA + "import torch\n" + step.format(clear="        self.zero_grad()\n"),
                                 strict=True)
    assert "zero_grad" not in printed, printed


@tensorflow_only
def test_a_tape_loop_calling_a_noisy_model_without_training_is_flagged(tmp_path):
    code, printed = check_script(tmp_path, DATA + (
        "net = keras.Sequential([keras.Input((5,)), L.GaussianNoise(0.1, name='noise'), L.Dense(1, name='o')],\n"
        "                       name='denoiser')\n"
        "opt = keras.optimizers.SGD(0.01)\n"
        "with tf.GradientTape() as g:\n"
        "    err = keras.ops.mean((net(x) - y) ** 2)\n"
        "opt.apply_gradients(zip(g.gradient(err, net.trainable_variables), net.trainable_variables))\n"),
        strict=True)
    assert code == 1 and "denoiser: denoiser -> GradientTape" in printed, printed
    assert "`net(x, training=True)`" in printed and "GaussianNoise (noise)" in printed


@jax_only
def test_the_printed_jax_train_step_trains(tmp_path):
    model = ("class Fitter(keras.Model):\n"
             "    def __init__(self, **kw):\n"
             "        super().__init__(**kw)\n"
             "        self.body = L.Dense(3, name='body')\n"
             "        self.out = L.Dense(1, name='out')\n"
             "    def call(self, t):\n"
             "        return self.out(self.body(t))\n")
    code, printed = check_script(tmp_path, DATA + model + (
        "    def train_step(self, data):\n"
        "        feats, target = data\n"
        "        with tf.GradientTape() as tape:\n"
        "            err = self.compute_loss(x=feats, y=target, y_pred=self(feats, training=True))\n"
        "        self.optimizer.apply_gradients(zip(tape.gradient(err, self.trainable_variables),\n"
        "                                           self.trainable_variables))\n"
        "        return {'loss': err}\n"
        "net = Fitter(name='fitter')\n"
        "net.compile('sgd', 'mae')\n"
        "net.fit(x, y, verbose=0)\n"))
    assert code == 1 and "fitter: fit -> train_step" in printed, printed
    start = printed.find("    def train_step(self, state, data):")
    end = printed.find("metrics_variables)", start)
    assert start >= 0 and end > start, printed
    form = printed[start:end + len("metrics_variables)")]
    namespace: dict = {}
    exec("import jax\nimport numpy as np\nimport keras\nfrom keras import layers as L\n" + model + form
         + "\nnet = Fitter(name='fitter')\nnet.compile('sgd', 'mae')\n"
         "hist = net.fit(np.random.rand(6, 5).astype('float32'), np.random.rand(6, 1).astype('float32'),"
         " epochs=2, verbose=0)\n", namespace)
    assert len(namespace["hist"].history["loss"]) == 2 and np.isfinite(namespace["hist"].history["loss"]).all()
