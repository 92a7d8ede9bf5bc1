"""The mechanisms added for the fifteenth held-out set (tests/corpus/201-210), each tested on other small models
than the corpus cases: other layers, names, sizes, settings and data."""

from __future__ import annotations

import pytest

from tests.corpus_cases import check_script

pytestmark = pytest.mark.core


def test_a_constant_layer_name_with_a_slash_is_rewritten_with_an_underscore(tmp_path):
    code, printed = check_script(tmp_path, (
        "img = keras.Input((8, 8, 1), name='img')\n"
        "h = L.Conv2D(4, 3, name='encoder/conv1')(img)\n"))
    assert code == 1 and "encoder/conv1: name -> Conv2D" in printed, printed
    assert "name='encoder_conv1'" in printed and "Traceback" not in printed


def test_output_padding_of_a_conv1d_transpose_is_brought_below_its_stride(tmp_path):
    code, printed = check_script(tmp_path, (
        "z = keras.Input((5, 2), name='z')\n"
        "wave = L.Conv1DTranspose(4, 5, strides=3, output_padding=4, name='up')(z)\n"))
    assert code == 1 and "up: output_padding -> Conv1DTranspose" in printed, printed
    assert "output_padding=2" in printed and "strides=3" in printed


def test_causal_padding_on_conv2d_and_depthwise_conv1d_becomes_a_left_zero_padding(tmp_path):
    code, printed = check_script(tmp_path, (
        "spec = keras.Sequential([keras.Input((20, 16, 1)),\n"
        "                         L.Conv2D(8, (3, 3), dilation_rate=(1, 2), padding='causal', name='tconv')],\n"
        "                        name='spec')\n"))
    assert code == 1 and "spec/tconv: padding -> Conv2D" in printed, printed
    assert "L.ZeroPadding2D(((2, 0), (2, 2)))" in printed and "padding='valid'" in printed

    (tmp_path / "dw").mkdir()
    code, printed = check_script(tmp_path / "dw", (
        "s_in = keras.Input((30, 3), name='s')\n"
        "h = L.DepthwiseConv1D(5, padding='causal', name='dw')(s_in)\n"))
    assert code == 1 and "dw: padding -> DepthwiseConv1D" in printed, printed
    assert "L.ZeroPadding1D((4, 0))" in printed


def test_callbacks_given_as_a_class_or_an_inline_set_are_made_a_list_of_objects(tmp_path):
    body = ("x = np.random.rand(6, 3).astype('float32')\n"
            "net = keras.Sequential([keras.Input((3,)), L.Dense(1, name='out')], name='net')\n"
            "net.compile('adam', 'mse')\n")
    code, printed = check_script(tmp_path, body + "net.fit(x, x[:, :1], verbose=0, callbacks=[keras.callbacks.EarlyStopping])\n")
    assert code == 1 and "net: callbacks -> fit" in printed, printed
    assert "EarlyStopping(...)" in printed and "keras.callbacks.EarlyStopping()" in printed

    (tmp_path / "set").mkdir()
    code, printed = check_script(tmp_path / "set",
                                 body + "net.fit(x, x[:, :1], verbose=0, callbacks={keras.callbacks.TerminateOnNaN()})\n")
    assert code == 1 and "net: callbacks -> fit" in printed, printed
    assert "callbacks=[keras.callbacks.TerminateOnNaN()]" in printed


def test_saving_a_subclassed_model_block_is_told_to_return_its_arguments_from_get_config(tmp_path):
    code, printed = check_script(tmp_path, (
        "class Gate(keras.Model):\n"
        "    def __init__(self, units, rate, **kwargs):\n"
        "        super().__init__(**kwargs)\n"
        "        self.units, self.rate = units, rate\n"
        "        self.inner = L.Dense(units)\n"
        "        self.drop = L.Dropout(rate)\n"
        "    def call(self, x):\n"
        "        return self.drop(self.inner(x))\n"
        "g_in = keras.Input((4,), name='g_in')\n"
        "gated = keras.Model(g_in, L.Dense(1, name='y')(Gate(6, 0.1, name='gate')(g_in)), name='gated')\n"
        "gated.save(os.path.join(tempfile.mkdtemp(), 'gated.keras'))\n"))
    assert code == 1 and "gate: gated -> file" in printed, printed
    assert '"units": self.units, "rate": self.rate' in printed and "def get_config(self):" in printed


def test_an_array_returned_by_get_config_under_another_attribute_is_made_a_list(tmp_path):
    code, printed = check_script(tmp_path, (
        "@keras.saving.register_keras_serializable(package='t15')\n"
        "class Scaler(L.Layer):\n"
        "    def __init__(self, scales, **kwargs):\n"
        "        super().__init__(**kwargs)\n"
        "        self._scales = np.asarray(scales, dtype='float32')\n"
        "    def call(self, x):\n"
        "        return x * keras.ops.convert_to_tensor(self._scales)\n"
        "    def get_config(self):\n"
        "        return {**super().get_config(), 'scales': self._scales}\n"
        "s_in = keras.Input((3,), name='s_in')\n"
        "scaled = keras.Model(s_in, Scaler([1.0, 2.0, 3.0], name='scaler')(s_in), name='scaled')\n"
        "path = os.path.join(tempfile.mkdtemp(), 'scaled.keras')\n"
        "scaled.save(path)\n"
        "scaled = keras.models.load_model(path)\n"))
    assert code == 1 and "scaler: file -> scaler" in printed, printed
    assert "'scales': self._scales.tolist()" in printed


def test_an_unknown_loss_name_is_read_whole_and_fixed_on_the_compile_line_not_in_a_docstring(tmp_path):
    code, printed = check_script(tmp_path, (
        "'''the model uses loss='mean_squared_errror', see below'''\n"
        "x = np.random.rand(6, 3).astype('float32')\n"
        "reg = keras.Sequential([keras.Input((3,)), L.Dense(1, name='out')], name='reg')\n"
        "reg.compile('adam', loss='mean_squared_errror')\n"
        "reg.fit(x, x[:, :1], verbose=0)\n"))
    assert code == 1 and "reg: loss -> reg" in printed, printed
    assert "`reg.compile('adam', loss='mean_squared_error')`" in printed


def test_nan_labels_and_inf_inputs_are_reported_with_the_rows_that_hold_them(tmp_path):
    code, printed = check_script(tmp_path, (
        "feats = np.random.rand(6, 3).astype('float32')\n"
        "target = np.log(np.random.rand(6, 1).astype('float32') - 0.2)\n"
        "target[:2] = np.nan\n"
        "net = keras.Sequential([keras.Input((3,)), L.Dense(1, name='out')], name='net')\n"
        "net.compile('adam', 'mse')\n"
        "net.fit(feats, target, verbose=0)\n"), strict=True)
    assert code == 1 and "net: data -> net" in printed, printed
    assert "target holds NaN" in printed and "np.nan_to_num(target)" in printed

    (tmp_path / "inf").mkdir()
    code, printed = check_script(tmp_path / "inf", (
        "feats = np.random.rand(6, 3).astype('float32')\n"
        "feats[3, 1] = np.inf\n"
        "net = keras.Sequential([keras.Input((3,)), L.Dense(1, name='out')], name='net')\n"
        "net.compile('adam', 'mse')\n"
        "net.fit(feats, np.zeros((6, 1), 'float32'), verbose=0)\n"), strict=True)
    assert code == 1 and "feats holds inf (1 of 6 rows)" in printed, printed


def test_a_clone_called_before_it_has_weights_is_flagged_and_one_trained_first_is_not(tmp_path):
    body = ("x = np.random.rand(6, 3).astype('float32')\n"
            "teacher = keras.Sequential([keras.Input((3,)), L.Dense(2, name='out')], name='teacher')\n"
            "teacher.compile('adam', 'mse')\n"
            "teacher.fit(x, x[:, :2], verbose=0)\n"
            "student = keras.models.clone_model(teacher)\n")
    code, printed = check_script(tmp_path, body + "soft = student(x)\n", strict=True)
    assert code == 1 and "student: teacher -> student" in printed, printed
    assert "student.set_weights(teacher.get_weights())" in printed

    (tmp_path / "trained").mkdir()
    code, printed = check_script(tmp_path / "trained", body + (
        "student.compile('adam', 'mse')\n"
        "student.fit(x, x[:, :2], verbose=0)\n"
        "soft = student.predict(x, verbose=0)\n"), strict=True)
    assert "teacher -> student" not in printed, printed
