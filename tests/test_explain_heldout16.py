"""The mechanisms added for the sixteenth held-out set (tests/corpus/211-220), each tested on other small models
than the corpus cases: other layers, names, sizes, settings and data."""

from __future__ import annotations

import keras
import pytest

from tests.corpus_cases import check_script

pytestmark = pytest.mark.core

tensorflow_only = pytest.mark.skipif(keras.backend.backend() != "tensorflow",
                                     reason="tf.distribute and tf.GradientTape are TensorFlow's")

NET = ("x = np.random.rand(6, 3).astype('float32')\n"
       "y = np.random.rand(6, 1).astype('float32')\n"
       "net = keras.Sequential([keras.Input((3,)), L.Dense(1, name='out')], name='net')\n")


def test_a_pydataset_length_made_by_division_is_rounded_up_to_an_int(tmp_path):
    code, printed = check_script(tmp_path, NET + (
        "class Rows(keras.utils.PyDataset):\n"
        "    def __init__(self, x, y, batch):\n"
        "        super().__init__()\n"
        "        self.x, self.y, self.batch = x, y, batch\n"
        "    def __len__(self):\n"
        "        return len(self.x) / self.batch\n"
        "    def __getitem__(self, i):\n"
        "        return self.x[i * self.batch:(i + 1) * self.batch], self.y[i * self.batch:(i + 1) * self.batch]\n"
        "net.compile('sgd', 'mse')\n"
        "train = Rows(x, y, 4)\n"
        "net.fit(train, verbose=0)\n"))
    assert code == 1 and "net: Rows -> fit" in printed, printed
    assert "return math.ceil(len(self.x) / self.batch)" in printed and "Traceback" not in printed


@tensorflow_only
def test_a_model_built_before_the_strategy_scope_moves_into_it(tmp_path):
    code, printed = check_script(tmp_path, (
        "def make_net():\n"
        "    return keras.Sequential([keras.Input((3,)), L.Dense(2, name='h'), L.Dense(1, name='o')], name='regr')\n"
        "dist = tf.distribute.MirroredStrategy()\n"
        "net = make_net()\n"
        "with dist.scope():\n"
        "    net.compile(optimizer='sgd', loss='mse')\n"
        "net.fit(np.zeros((4, 3), 'float32'), np.zeros((4, 1), 'float32'), verbose=0)\n"))
    assert code == 1 and "regr: regr -> dist" in printed, printed
    assert "with dist.scope():\n    net = make_net()\n    net.compile(optimizer='sgd', loss='mse')" in printed


def test_a_callback_reading_keras2_acc_gets_the_logged_name(tmp_path):
    body = NET.replace("L.Dense(1, name='out')", "L.Dense(1, activation='sigmoid', name='out')") + (
        "class Stop(keras.callbacks.Callback):\n"
        "    def on_epoch_end(self, epoch, logs=None):\n"
        "        if logs['{key}'] > 0.99:\n"
        "            self.model.stop_training = True\n"
        "net.compile('adam', 'binary_crossentropy', metrics=['accuracy'])\n"
        "net.fit(x, (y > 0.5).astype('float32'), verbose=0, callbacks=[Stop()])\n")
    code, printed = check_script(tmp_path, body.replace("{key}", "acc"))
    assert code == 1 and "net: logs -> Stop" in printed, printed
    assert "if logs['accuracy'] > 0.99:" in printed

    (tmp_path / "val").mkdir()
    code, printed = check_script(tmp_path / "val", body.replace("{key}", "val_loss"))
    assert code == 1 and "net: logs -> Stop" in printed, printed
    assert "validation_data=" in printed


def test_keras_backend_get_value_in_a_callback_reads_the_variable_with_keras_ops(tmp_path):
    code, printed = check_script(tmp_path, NET + (
        "class Show(keras.callbacks.Callback):\n"
        "    def on_train_begin(self, logs=None):\n"
        "        self.start = keras.backend.get_value(self.model.optimizer.learning_rate)\n"
        "net.compile('sgd', 'mse')\n"
        "net.fit(x, y, verbose=0, callbacks=[Show()])\n"))
    assert code == 1 and "net: Show -> optimizer" in printed, printed
    assert "self.start = keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)" in printed


def test_an_optimizer_lr_read_in_a_warmup_callback_becomes_learning_rate(tmp_path):
    code, printed = check_script(tmp_path, NET + (
        "class Warmup(keras.callbacks.Callback):\n"
        "    def on_epoch_begin(self, epoch, logs=None):\n"
        "        self.model.optimizer.lr.assign(0.01 * (epoch + 1))\n"
        "net.compile(keras.optimizers.SGD(0.01), 'mse')\n"
        "net.fit(x, y, verbose=0, callbacks=[Warmup()])\n"))
    assert code == 1 and "net: optimizer -> Warmup" in printed, printed
    assert "self.model.optimizer.learning_rate.assign(0.01 * (epoch + 1))" in printed


@tensorflow_only
def test_get_scaled_loss_in_a_custom_step_becomes_scale_loss(tmp_path):
    code, printed = check_script(tmp_path, NET + (
        "opt = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD())\n"
        "with tf.GradientTape() as tape:\n"
        "    total = keras.ops.mean((net(x) - y) ** 2)\n"
        "    big = opt.get_scaled_loss(total)\n"
        "opt.apply_gradients(zip(opt.get_unscaled_gradients(tape.gradient(big, net.trainable_variables)),\n"
        "                        net.trainable_variables))\n"))
    assert code == 1 and "net: total -> opt" in printed, printed
    assert "big = opt.scale_loss(total)" in printed
    assert "opt.apply_gradients(zip(tape.gradient(big, net.trainable_variables)," in printed


def test_keras2_fit_and_predict_arguments_are_renamed_or_left_out(tmp_path):
    body = NET + "net.compile('sgd', 'mse')\n"
    code, printed = check_script(tmp_path, body + "net.fit(x, y, nb_epoch=2, verbose=0)\n")
    assert code == 1 and "net: nb_epoch -> fit" in printed, printed
    assert "net.fit(x, y, epochs=2, verbose=0)" in printed

    (tmp_path / "predict").mkdir()
    code, printed = check_script(tmp_path / "predict", body + "out = net.predict(x, verbose=0, max_queue_size=4)\n")
    assert code == 1 and "net: max_queue_size -> predict" in printed, printed
    assert "out = net.predict(x, verbose=0)" in printed and "PyDataset" in printed


def test_predict_on_a_shuffling_pipeline_with_labels_is_flagged_and_an_ordered_one_is_not(tmp_path):
    body = NET + ("net.compile('sgd', 'mse')\n"
                  "net.fit(x, y, verbose=0)\n"
                  "scored = {ds}\n"
                  "preds = net.predict(scored, verbose=0)\n")
    shuffled = "tf.data.Dataset.from_tensor_slices((x, y)).shuffle(6, seed=1).batch(3).prefetch(1)"
    code, printed = check_script(tmp_path, body.replace("{ds}", shuffled), strict=True)
    assert code == 1 and "net: scored -> net" in printed, printed
    assert "scored = tf.data.Dataset.from_tensor_slices((x, y)).batch(3).prefetch(1)" in printed

    (tmp_path / "ordered").mkdir()
    code, printed = check_script(tmp_path / "ordered", body.replace("{ds}", shuffled.replace(".shuffle(6, seed=1)", "")),
                                 strict=True)
    assert "scored -> net" not in printed, printed


def test_a_label_tuple_for_dict_outputs_out_of_key_order_is_given_as_a_dict(tmp_path):
    body = ("x = np.random.rand(6, 4).astype('float32')\n"
            "y_z, y_a = np.random.rand(6, 1).astype('float32'), np.random.rand(6, 1).astype('float32')\n"
            "inp = keras.Input((4,), name='inp')\n"
            "h = L.Dense(3, name='h')(inp)\n"
            "two = keras.Model(inp, {OUTS}, name='two')\n"
            "two.compile('sgd', 'mse')\n"
            "two.fit(x, (y_z, y_a), verbose=0)\n")
    code, printed = check_script(
        tmp_path, body.replace("{OUTS}", "{'z_score': L.Dense(1, name='z')(h), 'a_flag': L.Dense(1, name='a')(h)}"),
        strict=True)
    assert code == 1 and "two: data -> two" in printed, printed
    assert '{"z_score": y_z, "a_flag": y_a}' in printed and "y_z trains a_flag" in printed

    (tmp_path / "sorted").mkdir()
    code, printed = check_script(
        tmp_path / "sorted", body.replace("{OUTS}", "{'a_flag': L.Dense(1, name='a')(h), 'z_score': L.Dense(1, name='z')(h)}"),
        strict=True)
    assert "data -> two" not in printed, printed


@pytest.mark.skipif(keras.backend.backend() == "torch", reason="PyTorch raises on codes past num_tokens")
def test_multi_hot_codes_past_num_tokens_are_counted(tmp_path):
    code, printed = check_script(tmp_path, (
        "tags = np.array([[0, 5], [1, 2], [3, 4], [2, 5]], dtype='int32')\n"
        "t_in = keras.Input((2,), dtype='int32', name='tags')\n"
        "enc = L.CategoryEncoding(num_tokens=3, output_mode='multi_hot', name='enc')(t_in)\n"
        "tagger = keras.Model(t_in, L.Dense(1, name='o')(enc), name='tagger')\n"
        "tagger.compile('sgd', 'mse')\n"
        "tagger.fit(tags, np.zeros((4, 1), 'float32'), verbose=0)\n"), strict=True)
    assert code == 1 and "enc: data -> enc" in printed, printed
    assert "num_tokens=6" in printed and 'output_mode="multi_hot"' in printed
