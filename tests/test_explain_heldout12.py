"""The mechanisms added for the twelfth held-out set (tests/corpus/173-180), each tested on other small models than
the corpus cases: other layers, names, sizes, optimizers and data."""

from __future__ import annotations

import keras
import pytest

from tests.corpus_cases import check_script

pytestmark = pytest.mark.core


# A scorer with a nested body: 5 features in, 4 classes out (softmax).
_NET = ("body = keras.Sequential([keras.Input((5,)), L.Dense(3, name='mix')], name='body')\n"
        "s_in = keras.Input((5,), name='signal')\n"
        "net = keras.Model(s_in, L.Dense(4, activation='softmax', name='grade')(body(s_in)), name='grader')\n"
        "xs = np.random.rand(6, 5).astype('float32')\nys = np.array([0, 1, 1, 1, 2, 3])\n")


def test_exact_accuracy_on_a_nested_softmax_head_asks_for_the_sparse_categorical_accuracy():
    from kernest._lint import lint

    keras.backend.clear_session(free_memory=False)
    head = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, activation="softmax", name="kind")], name="head")
    x_in = keras.Input((4,), name="leaf")
    model = keras.Model(x_in, head(x_in), name="botany")
    model.compile("adam", "sparse_categorical_crossentropy", metrics=[keras.metrics.Accuracy()])
    found = [f for f in lint(model) if "keras.metrics.Accuracy()" in f.problem]
    assert len(found) == 1 and found[0].path == "head/kind" and found[0].interface == "head -> metrics"
    assert "keras.metrics.SparseCategoricalAccuracy()" in found[0].fix
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])  # the string picks the right one
    assert not [f for f in lint(model) if "keras.metrics.Accuracy()" in f.problem]


def test_class_weights_as_a_list_become_a_dict_by_class_index(tmp_path):
    code, printed = check_script(tmp_path, _NET + (
        "net.compile('adam', 'sparse_categorical_crossentropy')\n"
        "balance = [2.0, 0.5, 1.0, 4.0]\n"
        "net.fit(xs, ys, class_weight=balance, verbose=0)\n"))
    assert code == 1 and "grader: data -> grader" in printed
    assert "class_weight=dict(enumerate(balance))" in printed and "{0: 2, 1: 0.5, 2: 1, 3: 4}" in printed


def test_class_weight_for_one_hot_labels_per_step_becomes_a_weight_per_step(tmp_path):
    code, printed = check_script(tmp_path, (
        "enc = keras.Sequential([keras.Input((7, 2)), L.Conv1D(4, 3, padding='same', name='conv')], name='enc')\n"
        "w_in = keras.Input((7, 2), name='wave')\n"
        "seg = keras.Model(w_in, L.Dense(2, activation='softmax', name='phase')(enc(w_in)), name='segmenter')\n"
        "seg.compile('adam', 'categorical_crossentropy')\n"
        "wx = np.random.rand(4, 7, 2).astype('float32')\n"
        "wy = keras.utils.to_categorical(np.random.randint(0, 2, size=(4, 7)), 2)\n"
        "seg.fit(wx, wy, class_weight={0: 1.0, 1: 9.0}, verbose=0)\n"))
    assert code == 1 and "segmenter: data -> segmenter" in printed
    assert "sample_weight=np.vectorize({0: 1.0, 1: 9.0}.get)(wy.argmax(-1))" in printed and "(4, 7)" in printed


def test_sample_weight_beside_a_dataset_of_a_dict_input_is_moved_into_its_making(tmp_path):
    code, printed = check_script(tmp_path, _NET + (
        "net.compile('adam', 'sparse_categorical_crossentropy')\n"
        "weights = np.linspace(0.5, 1.5, 6).astype('float32')\n"
        "batches = tf.data.Dataset.from_tensor_slices(({'signal': xs}, ys)).shuffle(6).batch(3)\n"
        "net.fit(batches, sample_weight=weights, verbose=0)\n"))
    assert code == 1 and "grader: data -> grader" in printed
    assert "batches = tf.data.Dataset.from_tensor_slices(({'signal': xs}, ys, weights)).shuffle(6).batch(3)" in printed


def test_one_sgd_shared_by_two_heads_of_a_nested_trunk_gets_its_own_for_the_second(tmp_path):
    code, printed = check_script(tmp_path, _NET + (
        "ranker = keras.Model(s_in, L.Dense(1, name='rank')(body(s_in)), name='ranker')\n"
        "sgd = keras.optimizers.SGD(learning_rate=0.05, momentum=0.9)\n"
        "ranker.compile(sgd, 'mse')\nranker.fit(xs, ys.astype('float32'), verbose=0)\n"
        "net.compile(sgd, 'sparse_categorical_crossentropy')\n"
        "net.fit(xs, ys, verbose=0)\n"))
    assert code == 1 and "grader: grader -> optimizer" in printed
    assert ("net.compile(keras.optimizers.SGD(learning_rate=0.05, momentum=0.9), 'sparse_categorical_crossentropy')" in printed
            and "ranker" in printed)


def test_add_weight_with_a_positional_name_in_a_nested_custom_layer_is_written_by_keyword(tmp_path):
    code, printed = check_script(tmp_path, (
        "class Bias(L.Layer):\n"
        "    def build(self, shape):\n"
        "        self.offset = self.add_weight('offset', shape=(shape[-1],), initializer='zeros', trainable=True)\n"
        "    def call(self, t):\n        return t + self.offset\n"
        "block = keras.Sequential([keras.Input((3,)), L.Dense(5, name='lift'), Bias(name='shift')], name='block')\n"
        "p_in = keras.Input((3,), name='point')\n"
        "m = keras.Model(p_in, L.Dense(1, name='value')(block(p_in)), name='critic')\n"
        "m.compile('adam', 'mse')\n"
        "m.fit(np.ones((4, 3), 'float32'), np.ones((4, 1), 'float32'), verbose=0)\n"))
    assert code == 1 and "block/shift: lift -> shift" in printed
    assert 'self.add_weight(name="offset", shape=(shape[-1],), initializer="zeros", trainable=True)' in printed


def test_a_layer_passing_its_own_arguments_positionally_to_super_init_is_named_by_its_class(tmp_path):
    code, printed = check_script(tmp_path, (
        "class Gate(L.Layer):\n"
        "    def __init__(self, units, **kwargs):\n"
        "        super().__init__(units, **kwargs)\n"
        "        self.units = units\n"
        "    def call(self, t):\n        return t\n"
        "g = Gate(4)\n"))
    assert code == 1 and "gate: gate -> keras.layers.Layer" in printed
    assert "super().__init__(**kwargs)" in printed and "units" in printed


def test_unpadded_sequences_for_a_gru_reading_its_last_step_are_padded_in_front(tmp_path):
    body = ("reader = keras.Sequential([keras.Input((None,)), L.Embedding(12, 3{mask}), L.GRU(2, name='gru')], "
            "name='reader')\n"
            "t_in = keras.Input((None,), name='ids')\n"
            "clf = keras.Model(t_in, L.Dense(1, name='score')(reader(t_in)), name='scorer')\n"
            "notes = [[3, 4], [5, 6, 7], [8]]\n"
            "clf.predict(notes, verbose=0)\n")
    code, printed = check_script(tmp_path, body.format(mask=""))
    assert code == 1 and "scorer: data -> scorer" in printed
    assert "keras.utils.pad_sequences(notes) gives (3, 3)" in printed and "in front" in printed
    code, printed = check_script(tmp_path, body.format(mask=", mask_zero=True"))  # masked: padding after is fine
    assert code == 1 and 'keras.utils.pad_sequences(notes, padding="post")' in printed


def test_super_init_is_read_where_keras_is_called_not_in_a_users_subclass_passing_to_its_own_base(tmp_path):
    code, printed = check_script(tmp_path, (
        "class Base(L.Layer):\n"
        "    def __init__(self, units, **kwargs):\n"
        "        super().__init__(self, **kwargs)\n"
        "        self.units = units\n"
        "class Wide(Base):\n"
        "    def __init__(self, units, **kwargs):\n"
        "        super().__init__(units, **kwargs)\n"
        "w = Wide(8, name='wide')\n"))
    assert code == 1 and "wide: wide -> keras.layers.Layer" in printed
    assert "Base.__init__ (line 9) passes self" in printed and "super().__init__(**kwargs)" in printed
