"""Probe models, round 11 (``tests/user_scripts/probe11``): each rule checked the way ``kernest check
script.py`` does, on other models, layers, names and sizes than its probe."""

from __future__ import annotations

import keras
import pytest

from tests.corpus_cases import check_script

pytestmark = pytest.mark.core


def test_a_custom_cell_copied_by_bidirectional_is_registered_not_loaded(tmp_path):
    body = """
{decorator}class GatedCell(keras.layers.Layer):
    def __init__(self, size, gate_bias=0.5, **kw):
        super().__init__(**kw)
        self.size, self.gate_bias = size, gate_bias
        self.state_size = size

    def build(self, input_shape):
        self.k = self.add_weight(shape=(input_shape[-1], self.size))

    def call(self, x, states):
        out = keras.ops.sigmoid(x @ self.k + self.gate_bias) * states[0] + x @ self.k
        return out, [out]


model = keras.Sequential([keras.Input((9, 5)),
                          L.Bidirectional(L.RNN(GatedCell(6, gate_bias=1.0), return_sequences=True), name="both_ways"),
                          L.GlobalAveragePooling1D(), L.Dense(2)])
model.compile("adam", "mse")
model.fit(np.random.rand(4, 9, 5).astype("float32"), np.random.rand(4, 2).astype("float32"), verbose=0)
"""
    code, printed = check_script(tmp_path, body.format(decorator=""))
    assert code == 1 and "Bidirectional makes its backward layer" in printed, printed
    assert "load_model" not in printed, printed
    assert "@keras.saving.register_keras_serializable()" in printed, printed
    assert "backward_layer=L.RNN(GatedCell(6, gate_bias=1.0), return_sequences=True, go_backwards=True)" in printed
    code, printed = check_script(tmp_path, body.format(decorator="@keras.saving.register_keras_serializable()\n"))
    assert code == 0, printed


def test_a_subclassed_model_argument_not_kept_on_self_is_kept_and_saved(tmp_path):
    body = """
class Tower(keras.Model):
    def __init__(self, units, layers_count, **kw):
        super().__init__(**kw)
        self.units = units{keep}
        self.stack = [L.Dense(units, activation="tanh") for _ in range(layers_count)]

    def call(self, x):
        for d in self.stack:
            x = d(x)
        return x
{config}

inp = keras.Input((7,))
net = keras.Model(inp, L.Dense(3)(Tower(5, 3, name="tower")(inp)), name="net")
net.save(os.path.join(tempfile.mkdtemp(), "net.keras"))
"""
    code, printed = check_script(tmp_path, body.format(keep="", config=""))
    assert code == 1 and "tower" in printed, printed
    assert "keep self.layers_count = layers_count" in printed, printed
    assert '"units": self.units, "layers_count": self.layers_count' in printed, printed
    config = ("\n    def get_config(self):\n"
              "        return {**super().get_config(), \"units\": self.units, \"layers_count\": self.layers_count}\n")
    code, printed = check_script(tmp_path, body.format(keep="\n        self.layers_count = layers_count",
                                                       config=config))
    assert code == 0, printed


@pytest.mark.skipif(keras.backend.backend() == "jax", reason="on JAX Keras calls test_step(state, data)")
def test_a_custom_step_that_unpacks_two_items_gets_unpack_x_y_sample_weight(tmp_path):
    body = """
class Scorer(keras.Model):
    def __init__(self, core, **kw):
        super().__init__(**kw)
        self.core = core

    def call(self, inputs):
        return self.core(inputs)

    def test_step(self, batch):
        {unpack}
        pred = self(inputs, training=False)
        return {{"loss": self.compute_loss(y=targets, y_pred=pred{weights})}}


feats = keras.Input((4,))
core = keras.Model(feats, L.Dense(2)(feats), name="core")
scorer = Scorer(core, name="scorer")
scorer.compile("sgd", "mse")
scorer.evaluate(np.random.rand(6, 4).astype("float32"), np.random.rand(6, 2).astype("float32"),
                sample_weight=np.linspace(0.5, 1.0, 6).astype("float32"), verbose=0)
"""
    code, printed = check_script(tmp_path, body.format(unpack="inputs, targets = batch", weights=""))
    assert code == 1 and "scorer" in printed and "Scorer.test_step" in printed, printed
    assert "inputs, targets, sample_weight = keras.utils.unpack_x_y_sample_weight(batch)" in printed, printed
    assert "sample_weight=sample_weight" in printed, printed
    code, printed = check_script(tmp_path, body.format(
        unpack="inputs, targets, sample_weight = keras.utils.unpack_x_y_sample_weight(batch)",
        weights=", sample_weight=sample_weight"))
    assert code == 0, printed


def test_dict_outputs_of_a_part_indexed_by_position_are_taken_by_key(tmp_path):
    body = """
tokens = keras.Input((15, 6))
span = keras.Model(tokens, {{"start": L.Dense(1)(tokens), "end": L.Dense(1)(tokens)}}, name="span")
seq = keras.Input((15, 6), name="seq")
both = span(seq)
width = L.Subtract()([{a}, {b}])
model = keras.Model(seq, L.Flatten()(width), name="reader")
model.predict(np.random.rand(2, 15, 6).astype("float32"), verbose=0)
"""
    code, printed = check_script(tmp_path, body.format(a="both[1]", b="both[0]"))
    assert code == 1 and "span returns a dict" in printed, printed
    assert 'width = L.Subtract()([both["end"], both["start"]])' in printed, printed
    code, printed = check_script(tmp_path, body.format(a='both["end"]', b='both["start"]'))
    assert code == 0, printed


def test_a_cell_that_returns_fewer_states_than_its_state_size_is_told_which(tmp_path):
    body = """
class TwoTrackCell(keras.layers.Layer):
    def __init__(self, width, **kw):
        super().__init__(**kw)
        self.width = width
        self.state_size = [width, width, width]

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.width))

    def call(self, x, states):
        fast = keras.ops.relu(x @ self.w + states[0])
        slow = 0.9 * states{slow_index} + 0.1 * fast
        return fast, [{returned}]


series = keras.Input((6, 2))
body = keras.Model(series, L.RNN(TwoTrackCell(3), name="tracks")(series), name="body")
inp = keras.Input((6, 2))
model = keras.Model(inp, L.Dense(1)(body(inp)), name="forecast")
model.compile("adam", "mse")
model.fit(np.random.rand(4, 6, 2).astype("float32"), np.random.rand(4, 1).astype("float32"), verbose=0)
"""
    code, printed = check_script(tmp_path, body.format(slow_index="[1]", returned="fast, slow"))
    assert code == 1 and "body/tracks" in printed, printed
    assert "TwoTrackCell declares 3 states" in printed and "self.state_size = [3, 3]" in printed, printed
    code, printed = check_script(tmp_path, body.format(slow_index="[1]", returned="fast, slow, states[2]"))
    assert code == 0, printed


def test_a_subclassed_model_in_timedistributed_gets_its_compute_output_shape(tmp_path):
    body = """
class PatchScorer(keras.Model):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.flat = L.Flatten()
        self.proj = L.Dense(9)
{method}
    def call(self, patch):
        return self.proj(self.flat(patch))


frames = keras.Input((4, 3, 2))
scored = L.TimeDistributed(PatchScorer(name="scorer"), name="each_patch")(frames)
model = keras.Model(frames, L.Dense(1)(L.GlobalAveragePooling1D()(scored)), name="ranker")
model.compile("adam", "mse")
model.fit(np.random.rand(3, 4, 3, 2).astype("float32"), np.random.rand(3, 1).astype("float32"), verbose=0)
"""
    code, printed = check_script(tmp_path, body.format(method=""))
    assert code == 1 and "each_patch" in printed, printed
    assert "def compute_output_shape(self, input_shape): return (input_shape[0], 9)" in printed, printed
    method = "    def compute_output_shape(self, input_shape):\n        return (input_shape[0], 9)\n"
    code, printed = check_script(tmp_path, body.format(method=method))
    assert code == 0, printed
