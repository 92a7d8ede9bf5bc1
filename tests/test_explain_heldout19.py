"""The mechanisms added for the nineteenth held-out set (tests/corpus/240-249), each tested on other small models
than the corpus cases: other layers, names, sizes, settings and data."""

from __future__ import annotations

import keras
import pytest

from tests.corpus_cases import check_script

pytestmark = pytest.mark.core

BACKEND = keras.backend.backend()
tensorflow_only = pytest.mark.skipif(BACKEND != "tensorflow", reason="a SavedModel folder reloads on TensorFlow")
not_tensorflow = pytest.mark.skipif(BACKEND == "tensorflow", reason="TensorFlow sums a vector loss and holds strings")

DATA = ("x = np.random.rand(6, 5).astype('float32')\n"
        "y = np.random.rand(6, 1).astype('float32')\n"
        "i = keras.Input((5,))\n"
        "trunk = keras.Sequential([keras.Input((5,)), L.Dense(3, name='d')], name='trunk')\n"
        "net = keras.Model(i, L.Dense(1, name='o')(trunk(i)), name='net')\n")


def test_a_strided_dilated_conv2d_keeps_the_dilation_and_pools_after(tmp_path):
    code, printed = check_script(tmp_path, (
        "i = keras.Input((16, 16, 3))\n"
        "h = L.Conv2D(4, (3, 3), strides=(2, 2), dilation_rate=(2, 2), name='atrous')(i)\n"))
    assert code == 1 and "atrous: strides -> dilation_rate" in printed, printed
    assert "`L.Conv2D(4, (3, 3), dilation_rate=(2, 2), name='atrous')` followed by `L.MaxPooling2D(2)`" in printed


def test_a_generator_function_given_to_fit_is_called(tmp_path):
    code, printed = check_script(tmp_path, DATA + (
        "def feed():\n"
        "    while True:\n"
        "        yield x, y\n"
        "net.compile('sgd', 'mae')\n"
        "net.fit(feed, steps_per_epoch=1, epochs=1, verbose=0)\n"))
    assert code == 1 and "net: data -> net" in printed, printed
    assert "`net.fit(feed(), steps_per_epoch=1, epochs=1, verbose=0)`" in printed and "Traceback" not in printed


def test_a_train_begin_hook_without_logs_gets_it(tmp_path):
    code, printed = check_script(tmp_path, DATA + (
        "class Announce(keras.callbacks.Callback):\n"
        "    def on_train_begin(self):\n"
        "        print('start')\n"
        "net.compile('sgd', 'mae')\n"
        "net.fit(x, y, verbose=0, callbacks=[Announce()])\n"))
    assert code == 1 and "net: fit -> on_train_begin" in printed, printed
    assert "`def on_train_begin(self, logs=None):`" in printed and "Traceback" not in printed


def test_a_loss_with_a_third_parameter_is_wrapped_in_the_users_names(tmp_path):
    code, printed = check_script(tmp_path, DATA + (
        "delta = 0.5\n"
        "def huberish(t, p, delta):\n"
        "    return keras.ops.mean(keras.ops.minimum(keras.ops.abs(t - p), delta))\n"
        "net.compile(optimizer='sgd', loss=huberish)\n"
        "net.fit(x, y, verbose=0)\n"))
    assert code == 1 and "net: loss -> net" in printed, printed
    assert "`loss=lambda t, p: huberish(t, p, delta)`" in printed and "Traceback" not in printed


def test_two_clip_settings_on_their_own_line_keep_one(tmp_path):
    code, printed = check_script(tmp_path, DATA + (
        "opt = keras.optimizers.SGD(0.01, clipvalue=0.5, clipnorm=2.0)\n"
        "net.compile(opt, 'mae')\n"))
    assert code == 1 and "net: net -> optimizer" in printed, printed
    assert "`keras.optimizers.SGD(0.01, clipnorm=2.0)`" in printed and "Traceback" not in printed


@not_tensorflow
def test_a_huber_loss_without_reduction_is_compiled_reduced(tmp_path):
    code, printed = check_script(tmp_path, DATA + (
        "net.compile(optimizer='sgd', loss=keras.losses.Huber(delta=1.0, reduction=None))\n"
        "net.fit(x, y, verbose=0)\n"))
    assert code == 1 and "net: loss -> net" in printed, printed
    assert "`loss=keras.losses.Huber(delta=1.0)`" in printed and "Traceback" not in printed


def test_a_split_in_three_widens_the_dense_before_it(tmp_path):
    code, printed = check_script(tmp_path, (
        "class Gate(L.Layer):\n"
        "    def call(self, h):\n"
        "        a, b, c = keras.ops.split(h, 3, axis=-1)\n"
        "        return a * keras.ops.sigmoid(b) + c\n"
        "i = keras.Input((4,))\n"
        "h = L.Dense(7, activation='relu', name='proj')(i)\n"
        "net = keras.Model(i, Gate(name='gate')(h), name='net')\n"))
    assert code == 1 and "gate: proj -> gate" in printed, printed
    assert "`L.Dense(9, activation='relu', name='proj')`" in printed and "Traceback" not in printed


@tensorflow_only
def test_a_savedmodel_folder_is_reloaded_as_a_tfsm_layer(tmp_path):
    code, printed = check_script(tmp_path, DATA + (
        "folder = os.path.join(tempfile.mkdtemp(), 'trunk_export')\n"
        "trunk.export(folder)\n"
        "restored = keras.saving.load_model(folder)\n"))
    assert code == 1 and "trunk: file -> load_model" in printed, printed
    assert 'keras.layers.TFSMLayer(folder, call_endpoint="serve", trainable=False)' in printed


def test_an_old_config_key_is_dropped_by_a_subclass_on_load(tmp_path):
    code, printed = check_script(tmp_path, DATA + (
        "import h5py, json\n"
        "inner = keras.Sequential([keras.Input((5,)), L.BatchNormalization(name='bn')], name='inner')\n"
        "keep = keras.Model(i, inner(i), name='keep')\n"
        "file = os.path.join(tempfile.mkdtemp(), 'keep.h5')\n"
        "keep.save(file)\n"
        "with h5py.File(file, 'r+') as f:\n"
        "    cfg = json.loads(f.attrs['model_config'])\n"
        "    cfg['config']['layers'][1]['config']['layers'][1]['config']['fused'] = True\n"
        "    f.attrs['model_config'] = json.dumps(cfg)\n"
        "again = keras.models.load_model(file)\n"))
    assert code == 1 and "inner/bn: file -> bn" in printed, printed
    assert 'kwargs.pop("fused", None)' in printed
    assert 'keras.models.load_model(file, custom_objects={"BatchNormalization": BatchNormalizationCompat})' in printed


@not_tensorflow
def test_a_string_lookup_model_under_jax_or_torch_looks_up_outside(tmp_path):
    code, printed = check_script(tmp_path, (
        "words = np.array(['red', 'blue', 'red', 'green', 'blue', 'red'], dtype=object)\n"
        "y = np.random.rand(6, 1).astype('float32')\n"
        "lookup = L.StringLookup(vocabulary=['red', 'green', 'blue'], name='lookup')\n"
        "head = keras.Sequential([keras.Input(()), L.Embedding(4, 3, name='emb'), L.Dense(1, name='o')], name='head')\n"
        "w = keras.Input((), dtype='string')\n"
        "colors = keras.Model(w, head(lookup(w)), name='colors')\n"
        "colors.compile('sgd', 'mae')\n"
        "colors.fit(words, y, verbose=0)\n"))
    assert code == 1 and "colors: data -> lookup" in printed, printed
    assert "keras.ops.convert_to_numpy(lookup(words))" in printed and "Traceback" not in printed
