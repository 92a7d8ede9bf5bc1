"""The mechanisms added for the thirteenth held-out set (tests/corpus/181-189), each tested on other small models than
the corpus cases: other layers, names, sizes, losses and data."""

from __future__ import annotations

import keras
import pytest

from tests.corpus_cases import check_script

pytestmark = pytest.mark.core


def test_a_loss_object_called_with_predictions_first_in_a_users_loss_is_flagged_and_mse_is_not(tmp_path):
    code, printed = check_script(tmp_path, (
        "bce = keras.losses.BinaryCrossentropy()\n"
        "def weighted(target, output):\n    return 2.0 * bce(output, target)\n"
        "trunk = keras.Sequential([keras.Input((5,)), L.Dense(3, name='mix')], name='trunk')\n"
        "r_in = keras.Input((5,), name='reading')\n"
        "alarm = keras.Model(r_in, L.Dense(1, activation='sigmoid', name='fault')(trunk(r_in)), name='alarm')\n"
        "alarm.compile('adam', loss=weighted)\n"), strict=True)
    assert code == 1 and "fault: fault -> loss" in printed
    assert "bce(output, target)" in printed and "pass the labels first: bce(target, output)" in printed

    from kernest._lint import lint

    def squared(target, output):  # a symmetric loss: the order does not matter
        return keras.losses.mean_squared_error(output, target)

    alarm = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, name="out")], name="reg")
    alarm.compile("adam", loss=squared)
    assert not [f for f in lint(alarm) if "-> loss" in f.interface and "labels first" in f.fix]


def test_a_dense_layer_used_inside_a_lambda_is_flagged_with_the_general_fix(tmp_path):
    code, printed = check_script(tmp_path, (
        "proj = L.Dense(4, name='proj')\n"
        "t_in = keras.Input((6,), name='tokens')\n"
        "mixed = L.Lambda(lambda t: proj(t) * 0.5, name='half_proj')(t_in)\n"
        "plain = L.Lambda(lambda t: t * 2.0, name='double')(t_in)\n"
        "net = keras.Model(t_in, L.Dense(1, name='y')(L.Concatenate(name='cat')([mixed, plain])), name='net')\n"),
        strict=True)
    assert code == 1 and "half_proj: proj -> half_proj" in printed
    assert "2 of proj's weights" in printed and "call proj as a layer on the Lambda's input (proj(x))" in printed
    assert "double" not in printed.split("warning:")[-1].split(":")[0]


def test_batchnorm_axis_one_after_a_channels_last_conv1d_asks_for_the_channel_axis(tmp_path):
    code, printed = check_script(tmp_path, (
        "feat = keras.Sequential([keras.Input((30, 2)), L.Conv1D(6, 5, name='c1'),\n"
        "                         L.BatchNormalization(1, momentum=0.9, name='norm'), L.GlobalMaxPooling1D(name='gmp')],\n"
        "                        name='feat')\n"
        "s_in = keras.Input((30, 2), name='ecg')\n"
        "beat = keras.Model(s_in, L.Dense(2, activation='softmax', name='rhythm')(feat(s_in)), name='beat')\n"),
        strict=True)
    assert code == 1 and "feat/norm: c1 -> norm" in printed and "(26, 6)" in printed and "of size 26" in printed
    assert "L.BatchNormalization(axis=-1, momentum=0.9, name='norm')" in printed

    from kernest._lint import lint

    ok = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3, name="c"),
                           keras.layers.BatchNormalization(name="bn")], name="ok")
    assert not [f for f in lint(ok) if f.interface == "c -> bn"]


def test_validation_data_flat_for_two_outputs_is_grouped_by_output(tmp_path):
    code, printed = check_script(tmp_path, (
        "core = keras.Sequential([keras.Input((4,)), L.Dense(5, name='h')], name='core')\n"
        "h_in = keras.Input((4,), name='house')\n"
        "z = core(h_in)\n"
        "est = keras.Model(h_in, [L.Dense(1, name='price')(z), L.Dense(2, activation='softmax', name='kind')(z)],\n"
        "                  name='estimator')\n"
        "est.compile('adam', ['mse', 'sparse_categorical_crossentropy'])\n"
        "hx, hp, hk = np.random.rand(6, 4), np.random.rand(6, 1), np.random.randint(0, 2, (6,))\n"
        "est.fit(hx, [hp, hk], validation_data=(hx[:2], hp[:2], hk[:2]), verbose=0)\n"))
    assert code == 1 and "estimator: data -> estimator" in printed
    assert "validation_data=(hx[:2], [hp[:2], hk[:2]])" in printed and "sample_weight = hk[:2]" in printed


def test_a_list_of_images_given_to_predict_is_stacked(tmp_path):
    code, printed = check_script(tmp_path, (
        "cnn = keras.Sequential([keras.Input((9, 9, 3)), L.Conv2D(2, 3, name='conv'), L.Flatten(name='flat')], name='cnn')\n"
        "i_in = keras.Input((9, 9, 3), name='photo')\n"
        "tagger = keras.Model(i_in, L.Dense(3, name='tags')(cnn(i_in)), name='tagger')\n"
        "photos = [np.random.rand(9, 9, 3) for _ in range(5)]\n"
        "scores = tagger.predict(photos, verbose=0)\n"))
    assert code == 1 and "tagger: data -> tagger" in printed and "(batch, 9, 9, 3)" in printed
    assert "tagger.predict(np.stack(photos), verbose=0)" in printed and "5 arrays of shape (9, 9, 3)" in printed


def test_bidirectional_around_a_users_gru_layer_wraps_the_gru_inside_it(tmp_path):
    code, printed = check_script(tmp_path, (
        "class Reader(keras.layers.Layer):\n"
        "    def __init__(self, **kw):\n        super().__init__(**kw)\n"
        "        self.gru = keras.layers.GRU(4, return_sequences=True)\n"
        "    def call(self, x):\n        return self.gru(x)\n"
        "enc = keras.Sequential([keras.Input((5, 3)), keras.layers.Bidirectional(Reader(name='reader')),\n"
        "                        L.GlobalAveragePooling1D(name='avg')], name='enc')\n"))
    assert code == 1 and "bidirectional: reader -> bidirectional" in printed
    assert "self.gru = keras.layers.Bidirectional(keras.layers.GRU(4, return_sequences=True))" in printed


def test_an_optimizer_class_given_by_position_is_instantiated(tmp_path):
    code, printed = check_script(tmp_path, (
        "stem = keras.Sequential([keras.Input((3,)), L.Dense(2, name='d')], name='stem')\n"
        "q_in = keras.Input((3,), name='q')\n"
        "ranker = keras.Model(q_in, L.Dense(1, name='score')(stem(q_in)), name='ranker')\n"
        "ranker.compile(keras.optimizers.SGD, loss='mse')\n"))
    assert code == 1 and "ranker: optimizer -> ranker" in printed
    assert "ranker.compile(keras.optimizers.SGD(), loss='mse')" in printed


def test_a_layer_without_super_init_and_without_kwargs_is_told_to_call_it(tmp_path):
    code, printed = check_script(tmp_path, (
        "class Gate(keras.layers.Layer):\n"
        "    def __init__(self, units):\n        self.units = units\n"
        "    def build(self, shape):\n        self.w = self.add_weight(shape=(shape[-1], self.units), name='w')\n"
        "    def call(self, x):\n        return x @ self.w\n"
        "g_in = keras.Input((5,), name='g_in')\n"
        "gate = Gate(3)\n"
        "out = gate(g_in)\n"))
    assert code == 1 and "gate: gate -> keras.layers.Layer" in printed
    assert "Write super().__init__() as the first statement of Gate.__init__" in printed


def test_permute_with_zero_based_dims_in_a_sequential_counts_from_one(tmp_path):
    code, printed = check_script(tmp_path, (
        "enc = keras.Sequential([keras.Input((5, 3), name='seq'), L.Permute((1, 0), name='flip'),\n"
        "                        L.Dense(2, name='mix')], name='enc')\n"))
    assert code == 1 and "enc/flip: input:seq -> flip" in printed
    assert "L.Permute((2, 1), name='flip')" in printed


def test_a_weight_sized_by_a_functional_inputs_unknown_steps_asks_for_the_datas_length(tmp_path):
    code, printed = check_script(tmp_path, (
        "class Table(keras.layers.Layer):\n"
        "    def build(self, shape):\n"
        "        self.table = self.add_weight(name='table',\n"
        "                                     shape=(shape[-2], 4), initializer='ones')\n"
        "    def call(self, x):\n        return x[..., :4] * self.table\n"
        "clips = np.random.rand(5, 9, 6).astype('float32')\n"
        "f_in = keras.Input((None, 6), name='frames')\n"
        "scored = Table(name='tab')(f_in)\n"))
    assert code == 1 and "tab: input:frames -> tab" in printed and "shape=(None, 4)" in printed
    assert "keras.Input((9, 6), name='frames')" in printed and "clips has 9 on axis 1" in printed
