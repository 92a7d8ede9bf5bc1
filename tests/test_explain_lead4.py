"""The lead's fourth round of probe models (not corpus cases): failures met while building nested models,
each checked the way ``kernest check script.py`` does, with other names and sizes than the probes."""

from __future__ import annotations

import keras
import pytest

from tests.corpus_cases import check_script

pytestmark = pytest.mark.core


_script = check_script


_FLATTEN_BEFORE = """
class Tower(keras.Model):
    def __init__(self):
        super().__init__()
        self.seq = {inner}
    def call(self, x):
        return self.seq(x)

class Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.squash = L.Flatten(name="squash")
        self.tower = Tower()
        self.head = L.Dense(2)
    def call(self, x):
        return self.head(self.tower(self.squash(x)))

net = Net()
net(np.zeros((2, {steps}, {width}), "float32"))
"""


@pytest.mark.parametrize(("inner", "steps", "width"), [("L.Conv1D(4, 3)", 12, 5), ("L.LSTM(3)", 7, 2)])
def test_a_flatten_before_a_nested_subclassed_model_called_on_data_is_blamed(tmp_path, inner, steps, width):
    # the model is called on arrays, so Keras builds it on placeholders: the tensor that fails was made by
    # squash, inside net, and the fix undoes it (or drops it) instead of adding an axis of 1 to the data
    code, printed = _script(tmp_path, _FLATTEN_BEFORE.format(inner=inner, steps=steps, width=width))
    assert code == 1 and "net/tower/" in printed and "squash -> tower" in printed
    assert f"squash (Flatten) removed the axes of (batch, {steps}, {width}), giving (batch, {steps * width})" in printed
    assert f"keras.layers.Reshape(({steps}, {width})) before tower" in printed and "drop squash" in printed
    inner_name = "conv1d" if "Conv1D" in inner else "lstm"  # the layer inside tower that fails, as detail
    assert f"tower's {inner_name} needs 3 axes" in printed and f"tower's {inner_name} reads (batch, {steps}," in printed


_NO_INPUT = """
reader = keras.Sequential([L.GRU(6), L.Dense(1)], name="reader")
wave = keras.Input(shape=(25,), name="wave")
x = {before}
model = keras.Model(wave, reader(x))
"""


def test_an_input_is_redeclared_only_where_the_user_holds_it(tmp_path):
    # reader has no Input of its own: Keras makes one when it is called, which no line of the script declares
    code, printed = _script(tmp_path, _NO_INPUT.format(before='L.Dense(25, name="smooth")(wave)'))
    assert code == 1 and "reader/gru" in printed and "keras.layers.Reshape((25, 1)) before reader" in printed
    assert "Declare the Input" not in printed and "keras_tensor" not in printed
    code, printed = _script(tmp_path, _NO_INPUT.format(before="wave"))
    assert code == 1 and "Declare the Input with that axis, wave = keras.Input(shape=(25, 1))" in printed


def _embedding_findings(model) -> list[str]:
    import warnings

    import kernest

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [w for w in kernest.check(model).warnings if "Embedding" in w]


def test_an_embedding_fed_the_floats_a_dense_computes_is_found_through_a_wrapper():
    keras.backend.clear_session(free_memory=False)
    L = keras.layers
    words = keras.Sequential([keras.Input((6,)), L.Embedding(50, 4, name="char_table"), L.GlobalMaxPooling1D()],
                             name="word_model")
    text = keras.Input((3, 5), name="text")
    scores = L.Dense(6, name="scorer")(text)
    model = keras.Model(text, L.TimeDistributed(words, name="per_word")(L.Activation("relu")(scores)))
    found = _embedding_findings(model)
    assert len(found) == 1 and found[0].startswith("per_word/word_model/char_table: scorer -> per_word:")
    assert "float output of scorer (Dense)" in found[0] and 'keras.Input(shape=(6,), dtype="int32")' in found[0]
    assert "keras.layers.Dense(4) in place of char_table" in found[0]


def test_ids_from_data_or_an_argmax_are_not_floats_computed_for_an_embedding():
    keras.backend.clear_session(free_memory=False)
    L = keras.layers
    lookup = keras.Sequential([keras.Input((4,)), L.Embedding(10, 3), L.Flatten()], name="lookup")
    ids = keras.Input((4,), name="ids")  # float32 by default, as users write it, and fed integer data
    assert _embedding_findings(keras.Model(ids, lookup(ids))) == []
    logits = keras.Input((4, 10), name="logits")
    picked = L.Lambda(lambda t: keras.ops.argmax(t, axis=-1), name="pick")(L.Dense(10, name="proj")(logits))
    assert _embedding_findings(keras.Model(logits, lookup(picked))) == []


def test_one_tensor_holding_the_inputs_side_by_side_is_split_in_the_call(tmp_path):
    code, printed = _script(tmp_path, (
        "a, b, c = keras.Input((3,), name='left'), keras.Input((5,), name='mid'), keras.Input((2,), name='right')\n"
        "joiner = keras.Model([a, b, c], L.Concatenate()([L.Dense(4)(a), L.Dense(4)(b), c]), name='joiner')\n"
        "packed = keras.Input((10,), name='packed')\n"
        "model = keras.Model(packed, joiner(packed))\n"))
    assert code == 1 and "joiner takes 3 inputs, left (batch, 3), mid (batch, 5), right (batch, 2)" in printed
    assert "joiner(keras.ops.split(packed, [3, 8], axis=-1))" in printed
    code, printed = _script(tmp_path, (  # widths that do not add up: no split is offered
        "a, b = keras.Input((3,)), keras.Input((5,))\n"
        "joiner = keras.Model([a, b], L.Concatenate()([a, b]), name='joiner')\n"
        "packed = keras.Input((9,))\nmodel = keras.Model(packed, joiner(packed))\n"))
    assert code == 1 and "joiner" in printed and "keras.ops.split" not in printed


def test_swapped_outputs_of_a_model_held_in_a_list_are_named_by_index(tmp_path):
    code, printed = _script(tmp_path, (
        "src = keras.Input((6,))\n"
        "splitter = keras.Model(src, [L.Dense(5, name='big')(src), L.Dense(2, name='small')(src)], name='splitter')\n"
        "s_in, b_in = keras.Input((2,), name='s_in'), keras.Input((5,), name='b_in')\n"
        "merger = keras.Model([s_in, b_in], L.Concatenate()([s_in, b_in]), name='merger')\n"
        "x = keras.Input((6,))\nouts = splitter(x)\nmodel = keras.Model(x, merger(outs))\n"))
    assert code == 1 and "merger([outs[1], outs[0]])" in printed and "<the output of" not in printed
