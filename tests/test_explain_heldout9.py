"""The mechanisms added for the ninth held-out set (tests/corpus/143-152), each tested on other small models than
the corpus cases: other layers, names, sizes, depths and data."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import layers as L

from kernest._lint import lint
from tests.corpus_cases import check_script

pytestmark = pytest.mark.core



def _script(tmp_path, body: str, strict: bool = False):
    return check_script(tmp_path, "from keras import ops\n" + body, strict)


# --- explain: errors -------------------------------------------------------------------------------------------

def test_a_layer_two_models_deep_looked_up_on_the_outer_model_gets_the_chain_of_get_layer(tmp_path):
    code, printed = _script(tmp_path, (
        "block = keras.Sequential([keras.Input((5,)), L.Dense(4, name='attn_scores')], name='block')\n"
        "e_in = keras.Input((5,))\nencoder = keras.Model(e_in, L.Dense(3, name='proj')(block(e_in)), name='encoder')\n"
        "x = keras.Input((5,))\nnet = keras.Model(x, L.Dense(1, name='head')(encoder(x)), name='net')\n"
        "scores = net.get_layer('attn_scores').output\n"))
    assert code == 1 and "encoder/block/attn_scores: net -> encoder" in printed
    assert 'net.get_layer("encoder").get_layer("block").get_layer("attn_scores")' in printed


def test_the_one_input_array_not_cut_like_the_others_is_cut_the_same_way_and_named_by_its_part(tmp_path):
    code, printed = _script(tmp_path, (
        "img_part = keras.Sequential([keras.Input((4,)), L.Dense(2)], name='img_part')\n"
        "tab_part = keras.Sequential([keras.Input((3,)), L.Dense(2)], name='tab_part')\n"
        "a = keras.Input((4,), name='image')\nb = keras.Input((3,), name='table')\n"
        "m = keras.Model([a, b], L.Dense(1)(L.Add()([img_part(a), tab_part(b)])))\nm.compile('adam', 'mse')\n"
        "images = np.zeros((10, 4))\ntable = np.zeros((10, 3))\ny = np.zeros((10, 1))\n"
        "images_tr = images[2:]\ny_tr = y[2:]\n"
        "m.fit([images_tr, table], y_tr, verbose=0)\n"))
    assert code == 1 and "tab_part: input:table -> tab_part" in printed
    assert "they were cut with [2:]" in printed and "table[2:]" in printed and "table with 10 samples" in printed


def test_a_compile_override_that_calls_model_compile_is_not_blamed(tmp_path):
    code, printed = _script(tmp_path, (
        "class Pair(keras.Model):\n    def __init__(self, **kw):\n        super().__init__(**kw)\n"
        "        self.d = L.Dense(1)\n    def call(self, x):\n        return self.d(x)\n"
        "    def compile(self, opt):\n        super().compile(optimizer=opt, loss='mse')\n"
        "m = Pair(name='pair')\nm.compile(keras.optimizers.SGD())\n"
        "m.fit(np.zeros((4, 3)), np.zeros((4, 1)), verbose=0)\n"))
    assert code == 0, printed


def test_a_compile_override_that_forgets_model_compile_names_the_class_and_its_parameters(tmp_path):
    code, printed = _script(tmp_path, (
        "class Critic(keras.Model):\n    def __init__(self, **kw):\n        super().__init__(**kw)\n"
        "        self.d = L.Dense(1)\n    def call(self, x):\n        return self.d(x)\n"
        "    def compile(self, opt, weight=1.0):\n        self.opt = opt\n        self.weight = weight\n"
        "m = Critic(name='critic')\nm.compile(keras.optimizers.SGD())\n"
        "m.fit(np.zeros((4, 3)), np.zeros((4, 1)), verbose=0)\n"))
    assert code == 1 and "critic: critic -> compile" in printed
    assert "Critic.compile(self, opt, weight)" in printed and "super().compile()" in printed


@pytest.mark.skipif(keras.backend.backend() == "torch", reason="torch runs predict on a KerasTensor without error")
def test_predict_of_a_part_inside_a_lambda_becomes_a_call_of_the_part(tmp_path):
    code, printed = _script(tmp_path, (
        "tower = keras.Sequential([keras.Input((6,)), L.Dense(3)], name='tower')\n"
        "q = keras.Input((6,), name='query')\n"
        "q_vec = L.Lambda(lambda v: tower.predict(v), name='embed_q')(q)\n"))
    assert code == 1 and "embed_q: input:query -> embed_q" in printed and "q_vec = tower(q)" in printed


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="only TensorFlow's compiled step refuses it")
def test_a_conv_layer_made_inside_call_is_moved_to_init(tmp_path):
    code, printed = _script(tmp_path, (
        "class Smooth(L.Layer):\n    def call(self, x):\n        return keras.layers.Conv1D(4, 3, padding='same')(x)\n"
        "part = keras.Sequential([keras.Input((8, 2)), L.Dense(2, name='pre'), Smooth(name='smooth')], name='part')\n"
        "x = keras.Input((8, 2))\nm = keras.Model(x, L.Dense(1)(L.Flatten()(part(x))))\nm.compile('adam', 'mse')\n"
        "m.fit(np.zeros((4, 8, 2)), np.zeros((4, 1)), verbose=0)\n"))
    assert code == 1 and "part/smooth" in printed and "pre -> smooth" in printed
    assert "self.conv1_d = keras.layers.Conv1D(4, 3, padding='same')" in printed and "self.conv1_d(x)" in printed


@pytest.mark.skipif(keras.backend.backend() == "jax", reason="JAX gives zero gradients through a step, no error")
def test_a_thresholded_sigmoid_output_is_found_by_running_it_and_the_model_is_trained_on_its_input(tmp_path):
    code, printed = _script(tmp_path, (
        "scorer = keras.Sequential([keras.Input((5,)), L.Dense(1, activation='sigmoid')], name='scorer')\n"
        "inp = keras.Input((5,))\np = scorer(inp)\nflag = L.Lambda(lambda t: ops.cast(ops.greater(t, 0.5), 'float32'), name='flag')(p)\n"
        "m = keras.Model(inp, flag)\nm.compile('adam', 'mse')\n"
        "m.fit(np.random.rand(4, 5), np.ones((4, 1)), verbose=0)\n"))
    assert code == 1 and "flag: scorer -> flag" in printed
    assert "keras.Model(inp, p)" in printed and 'loss="binary_crossentropy"' in printed


# --- lint: silent -----------------------------------------------------------------------------------------------

def _head(activation: str, units: int, loss: str, metrics=None):
    keras.backend.clear_session(free_memory=False)
    trunk = keras.Sequential([keras.Input((6,)), L.Dense(5, name="h")], name="trunk")
    x = keras.Input((6,))
    model = keras.Model(x, L.Dense(units, activation=activation, name="head")(trunk(x)), name="m")
    model.compile("adam", loss, metrics=metrics)
    return model


@pytest.mark.parametrize("units,loss,flagged", [(5, "binary_crossentropy", True), (2, "binary_crossentropy", False),
                                                (5, "categorical_crossentropy", False)])
def test_a_softmax_head_with_binary_crossentropy(units, loss, flagged):
    model = _head("softmax", units, loss)
    model._kernest_labels = np.random.randint(0, units, (8,))
    found = [f for f in lint(model) if "yes/no question" in f.problem]
    assert bool(found) == flagged
    if flagged:
        assert found[0].path == "head" and 'loss="sparse_categorical_crossentropy"' in found[0].fix


@pytest.mark.parametrize("labels,activation,flagged", [
    (np.random.rand(8, 1) * 9, None, True),  # real-valued targets: accuracy stays near 0
    (np.random.randint(0, 3, (8, 1)).astype("float32"), None, False),  # whole numbers: accuracy may be meant
    (np.random.rand(8, 1), "sigmoid", False),  # a squashed output is not a plain regression
])
def test_accuracy_on_a_regression_output(labels, activation, flagged):
    model = _head(activation, 1, "mae", metrics=["acc"])
    model._kernest_labels = labels
    found = [f for f in lint(model) if "exact matches" in f.problem]
    assert bool(found) == flagged
    if flagged:
        assert found[0].interface == "head -> metrics" and 'metrics=["mae"]' in found[0].fix


def test_validation_split_over_labels_sorted_descending_names_the_script_arrays(tmp_path):
    code, printed = _script(tmp_path, (
        "enc = keras.Sequential([keras.Input((4,)), L.Dense(3)], name='enc')\nx = keras.Input((4,))\n"
        "m = keras.Model(x, L.Dense(2, activation='softmax')(enc(x)), name='clf')\n"
        "m.compile('adam', 'sparse_categorical_crossentropy')\n"
        "rows = np.random.rand(10, 4)\ngrades = np.array([1] * 5 + [0] * 5)\n"
        "m.fit(rows, grades, validation_split=0.2, verbose=0)\n"), strict=True)
    assert code == 1 and "clf: data -> clf" in printed and "class 0 only" in printed
    assert "order = np.random.permutation(len(rows))" in printed and "rows, grades = rows[order], grades[order]" in printed


def test_validation_split_over_shuffled_labels_is_left_alone(tmp_path):
    code, printed = _script(tmp_path, (
        "x = keras.Input((4,))\nm = keras.Model(x, L.Dense(2, activation='softmax')(x), name='clf')\n"
        "m.compile('adam', 'sparse_categorical_crossentropy')\n"
        "m.fit(np.random.rand(10, 4), np.array([0, 1] * 5), validation_split=0.2, verbose=0)\n"), strict=True)
    assert code == 0, printed


def test_accuracy_asked_for_the_classification_output_only_does_not_flag_the_regression_output():
    keras.backend.clear_session(free_memory=False)
    x = keras.Input((4,))
    h = L.Dense(3, name="h")(x)
    model = keras.Model(x, {"kind": L.Dense(3, activation="softmax", name="kind")(h), "size": L.Dense(1, name="size")(h)})
    model.compile("adam", {"kind": "sparse_categorical_crossentropy", "size": "mse"}, metrics={"kind": "accuracy"})
    model._kernest_labels = {"kind": np.random.randint(0, 3, (8,)), "size": np.random.rand(8, 1)}
    assert [f for f in lint(model) if "exact matches" in f.problem] == []
