"""The lead's sixth round of probe models (not corpus cases): failures met while building nested models,
each checked the way ``kernest check script.py`` does, with other names and sizes than the probes."""

from __future__ import annotations

import pytest

from tests.corpus_cases import check_script

pytestmark = pytest.mark.core


_PER_STEP_HEAD = """
stem = keras.Sequential([keras.Input((10, 3)), L.Conv1D(6, 3, padding="same", name="conv")], name="stem")
signals = keras.Input((10, 3), name="signals")
h = L.Dense(8, activation="relu", name="mix")(stem(signals))
h = L.Dropout(0.2, name="drop")(h)
model = keras.Model(signals, L.Dense(1, activation="sigmoid", name="alarm")(h), name="detector")
model.compile("adam", "binary_crossentropy")
{pooled}model.fit(np.random.rand(4, 10, 3), np.random.randint(0, 2, {labels}), verbose=0)
"""


@pytest.mark.parametrize("labels", ["(4,)", "(4, 1)"])
def test_one_label_per_sample_for_a_one_unit_head_on_a_sequence_pools_before_the_first_per_step_layer(
        tmp_path, labels):
    # Dense acts on each step, so the head predicts (batch, 10, 1); the pooling goes before the first layer
    # of that per-step run (mix), not "before the head"
    code, printed = check_script(tmp_path, _PER_STEP_HEAD.format(pooled="", labels=labels))
    assert code == 1 and "detector/alarm" in printed and "one per step (batch, 10, 1)" in printed
    assert "GlobalAveragePooling1D() (or Flatten) before mix" in printed
    assert "pass labels of shape (batch, 10, 1)" in printed  # the other reading: a label per step
    # the fix as printed: pool the stem's steps before mix
    pooled = _PER_STEP_HEAD.replace('h = L.Dense(8, activation="relu", name="mix")(stem(signals))',
                                    'h = L.Dense(8, activation="relu", name="mix")('
                                    'L.GlobalAveragePooling1D()(stem(signals)))')
    code, printed = check_script(tmp_path, pooled.format(pooled="", labels=labels))
    assert code == 0, printed


_FLAG_BY_POSITION = """
class Scaled(keras.layers.Layer):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.proj = L.Dense(3, name="proj")
    def call(self, x, scale=1.0):
        return self.proj(x) * scale

class Tower(keras.Model):
    def __init__(self):
        super().__init__(name="tower")
        self.norm = L.BatchNormalization(name="norm")
        self.scaled = Scaled(name="scaled")
    def call(self, x, training=None):
        h = self.norm(x, {norm_flag})
        return self.scaled(h{scale})

model = Tower()
model.compile("adam", "mse")
model.fit(np.random.rand(4, 5), np.random.rand(4, 3), verbose=0)
"""


@pytest.mark.parametrize(("norm_flag", "scale", "fixed"), [
    ("False", "", "self.norm(x, training=False)"),      # a literal bool: BatchNormalization's training
    ("training=training", ", 2.0", "self.scaled(h, scale=2.0)"),  # a number: the parameter at its place
])
def test_a_flag_given_to_a_layers_call_by_position_is_named(tmp_path, norm_flag, scale, fixed):
    body = _FLAG_BY_POSITION.format(norm_flag=norm_flag, scale=scale)
    code, printed = check_script(tmp_path, body)
    assert code == 1 and "by position" in printed and f"Pass it by keyword: {fixed}" in printed, printed
    assert "Reshape" not in printed
    wrong = "self.norm(x, False)" if norm_flag == "False" else "self.scaled(h, 2.0)"
    code, printed = check_script(tmp_path, body.replace(wrong, fixed))
    assert code == 0, printed


_DATASET_KEYS = """
image = keras.Input((6, 6, 1), name="image")
extra = keras.Input((2,), name="extra")
cnn = keras.Sequential([keras.Input((6, 6, 1)), L.Conv2D(2, 3), L.Flatten()], name="cnn")
model = keras.Model([image, extra], L.Dense(1)(L.Concatenate()([cnn(image), extra])), name="scorer")
model.compile("adam", "mse")
pairs = tf.data.Dataset.from_tensor_slices(({"image_px": np.zeros((4, 6, 6, 1), "float32"),
                                             "extra_feats": np.zeros((4, 2), "float32")},
                                            np.zeros((4, 1), "float32"))).batch(2)
model.fit(pairs, verbose=0)
"""


def test_a_dataset_keyed_otherwise_than_the_inputs_gets_a_map_that_renames_its_keys(tmp_path):
    code, printed = check_script(tmp_path, _DATASET_KEYS)
    fixed = 'pairs = pairs.map(lambda x, y: ({"image": x["image_px"], "extra": x["extra_feats"]}, y))'
    assert code == 1 and fixed in printed, printed
    code, printed = check_script(tmp_path, _DATASET_KEYS.replace("model.fit(", fixed + "\nmodel.fit("))
    assert code == 0, printed


_FIT_LIST_SWAPPED = """
seq = keras.Input((7, 2), name="seq")
static = keras.Input((4,), name="static")
rnn = keras.Sequential([keras.Input((7, 2)), L.GRU(3)], name="rnn")
model = keras.Model([seq, static], L.Dense(1)(L.Concatenate()([rnn(seq), static])), name="forecaster")
model.compile("adam", "mse")
model.fit([np.random.rand(4, 4), np.random.rand(4, 7, 2)], np.random.rand(4, 1), verbose=0)
"""


def test_data_listed_inline_in_another_order_is_written_back_in_the_inputs_order(tmp_path):
    code, printed = check_script(tmp_path, _FIT_LIST_SWAPPED)
    fixed = "model.fit([np.random.rand(4, 7, 2), np.random.rand(4, 4)], ...)"
    assert code == 1 and fixed in printed and "<the output of" not in printed, printed
    code, printed = check_script(tmp_path, _FIT_LIST_SWAPPED.replace(
        "[np.random.rand(4, 4), np.random.rand(4, 7, 2)]", "[np.random.rand(4, 7, 2), np.random.rand(4, 4)]"))
    assert code == 0, printed


_TUPLE_INTO_ONE_INPUT = """
x = keras.Input((9, 4), name="x")
parts = L.Lambda(lambda t: (t[:, :, :3], t[:, :, 3:]), name="unzip")(x)
reader = keras.Sequential([keras.Input((9, 3)), L.LSTM(2)], name="reader")
model = keras.Model(x, reader(parts), name="m")
"""


def test_a_layers_tuple_into_a_model_of_one_input_is_told_which_item_fits(tmp_path):
    # the Lambda gives (batch, 9, 3) and (batch, 9, 1): only the first is what reader was built for
    code, printed = check_script(tmp_path, _TUPLE_INTO_ONE_INPUT)
    assert code == 1 and "reader(parts[0])" in printed and "reader(parts[1])" not in printed, printed
    assert "2 tensors" in printed
    code, printed = check_script(tmp_path, _TUPLE_INTO_ONE_INPUT.replace("reader(parts)", "reader(parts[0])"))
    assert code == 0, printed
