"""The mechanisms added for the eighth held-out set (tests/corpus/133-142) and for case 130's lint rule, each
tested on other small models than the corpus cases: other layers, names, sizes and depths."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import layers as L

from kernest._lint import lint
from tests.corpus_cases import check_script

pytestmark = pytest.mark.core


# --- data scaled twice: the script's [0, 1] data reaches a Rescaling with a scale below 1 -------------------

def _scaled(findings):
    return [f for f in findings if "scales it again" in f.problem]


def _stem_model(rescaling, depth: int = 2, conv_first: bool = False):
    """A classifier whose first Rescaling sits ``depth`` models deep (depth 2: model > trunk > stem)."""
    keras.backend.clear_session(free_memory=False)
    first = [L.Conv2D(2, 1, name="pre_conv")] if conv_first else []
    stem = keras.Sequential([keras.Input((6, 6, 1)), *first, rescaling, L.Conv2D(3, 3, name="c")], name="stem")
    inner = stem
    if depth == 2:
        t_in = keras.Input((6, 6, 1))
        inner = keras.Model(t_in, L.GlobalMaxPooling2D(name="pool")(stem(t_in)), name="trunk")
    x = keras.Input((6, 6, 1), name="scan")
    out = L.Dense(2, name="out")(L.Flatten()(inner(x)))
    return keras.Model(x, out, name="scanner")


def test_data_already_in_unit_range_reaching_a_rescaling_two_models_deep_is_flagged_at_its_path():
    model = _stem_model(L.Rescaling(1 / 4095, name="to_unit"))  # 12-bit scans, not 8-bit images
    data = np.random.rand(4, 6, 6, 1).astype("float32")
    [found] = _scaled(lint(model, data))
    assert found.path == "trunk/stem/to_unit" and found.interface == "data -> to_unit"
    assert "[0, 0.000244]" in found.problem


def test_raw_data_reaching_the_same_rescaling_is_not_flagged():
    model = _stem_model(L.Rescaling(1 / 255, name="to_unit"))
    raw = np.random.randint(0, 256, (4, 6, 6, 1)).astype("float32")
    assert _scaled(lint(model, raw)) == []


def test_a_centring_rescaling_with_an_offset_is_flagged_with_the_range_it_gives():
    model = _stem_model(L.Rescaling(1 / 127.5, offset=-1, name="centre"), depth=1)
    [found] = _scaled(lint(model, np.random.rand(4, 6, 6, 1).astype("float32")))
    assert found.path == "stem/centre" and "[-1, -0.992]" in found.problem


def test_a_rescaling_after_a_layer_with_weights_is_not_the_first_thing_the_data_meets():
    model = _stem_model(L.Rescaling(1 / 255, name="to_unit"), conv_first=True)
    assert _scaled(lint(model, np.random.rand(4, 6, 6, 1).astype("float32"))) == []


def test_the_division_in_the_users_script_is_named_and_the_raw_array_given_to_fit(tmp_path):
    from tests.corpus_cases import kernest_check

    script = tmp_path / "scans.py"
    script.write_text(
        "import numpy as np\nimport keras\nfrom keras import layers as L\n"
        "stem = keras.Sequential([keras.Input((6, 6, 1)), L.Rescaling(1 / 4095, name='to_unit'), "
        "L.Conv2D(3, 3, name='c'), L.GlobalMaxPooling2D()], name='stem')\n"
        "x = keras.Input((6, 6, 1))\nnet = keras.Model(x, L.Dense(1, activation='sigmoid')(stem(x)))\n"
        "net.compile('adam', 'binary_crossentropy')\n"
        "counts = np.random.randint(0, 4096, (4, 6, 6, 1)).astype('float32')\n"
        "scans = counts * (1 / 4095)\n"
        "net.fit(scans, np.random.randint(0, 2, (4, 1)), epochs=1, verbose=0)\n")
    keras.backend.clear_session(free_memory=False)
    code, printed = kernest_check(script, strict=True)
    assert code == 1 and "stem/to_unit" in printed and "`scans = counts * (1 / 4095)`" in printed
    assert "fit(counts, ...)" in printed


# --- explain: the script-level readers (kernest/_explain_script.py) and Bidirectional states -----------------


def _script(tmp_path, body: str, strict: bool = False):
    return check_script(tmp_path, "from keras import ops\n" + body, strict)


def test_models_given_to_a_merge_layer_in_place_of_tensors_become_their_outputs(tmp_path):
    code, printed = _script(tmp_path, (
        "a_in = keras.Input((5,))\nleft = keras.Model(a_in, L.Dense(6, name='l')(a_in), name='left')\n"
        "b_in = keras.Input((7,))\nright = keras.Model(b_in, L.Dense(6, name='r')(b_in), name='right')\n"
        "summed = L.Add(name='plus')([left, right])\n"))
    assert code == 1 and "plus: left -> plus" in printed and "[left.output, right.output]" in printed


def test_a_plain_layer_object_given_to_a_merge_layer_gets_no_output_rewrite(tmp_path):
    code, printed = _script(tmp_path, (
        "x = keras.Input((4,))\nproj = L.Dense(4, name='proj')\n"
        "joined = L.Concatenate(name='cat')([x, proj])\n"))
    assert code == 1 and ".output" not in printed


def test_a_bidirectional_gru_started_from_one_state_repeats_it_for_the_backward_direction(tmp_path):
    code, printed = _script(tmp_path, (
        "src = keras.Input((4, 3))\n_, s = L.GRU(8, return_state=True, name='g')(src)\n"
        "enc = keras.Model(src, s, name='enc')\n"
        "a = keras.Input((4, 3))\nb = keras.Input((6, 3))\nstate = enc(a)\n"
        "seq = L.Bidirectional(L.GRU(8, return_sequences=True), name='bidec')(b, initial_state=[state])\n"
        "m = keras.Model([a, b], L.Dense(2, name='o')(seq))\nm.compile('adam', 'mse')\n"
        "m.fit([np.zeros((2, 4, 3)), np.zeros((2, 6, 3))], np.zeros((2, 6, 2)), verbose=0)\n"))
    assert code == 1 and "bidec" in printed and "enc -> bidec" in printed
    assert "initial_state=[state, state]" in printed


def test_a_subclassed_layer_taking_three_inputs_apart_is_given_one_unpacking(tmp_path):
    code, printed = _script(tmp_path, (
        "class Fuse(keras.Model):\n    def __init__(self, **kw):\n        super().__init__(**kw)\n"
        "        self.d = L.Dense(1)\n    def call(self, a, b, c, training=None):\n"
        "        return self.d(ops.concatenate([a, b, c], axis=-1))\n"
        "m = Fuse(name='fuse3')\nm.compile('adam', 'mse')\n"
        "m.fit([np.zeros((4, 2)), np.zeros((4, 3)), np.zeros((4, 1))], np.zeros((4, 1)), verbose=0)\n"))
    assert code == 1 and "fuse3" in printed
    assert "def call(self, inputs, training=None):" in printed and "a, b, c = inputs" in printed


def test_an_application_below_its_minimum_size_is_rebuilt_at_it_and_named_by_the_rebuilt_copy(tmp_path):
    code, printed = _script(tmp_path, (
        "base = keras.applications.MobileNetV2(alpha=0.35, include_top=False, weights=None, input_shape=(20, 20, 3))\n"))
    assert code == 1 and "input_shape=(32, 32, 3)" in printed and "Resizing(32, 32)" in printed
    assert "mobilenetv2_0.35_32 " in printed or "mobilenetv2_0.35_32:" in printed


def test_backend_function_on_an_outer_layer_becomes_a_model_from_the_inputs_to_it(tmp_path):
    code, printed = _script(tmp_path, (
        "inp = keras.Input((6,), name='feat')\nh = L.Dense(3, name='hidden')(inp)\n"
        "net = keras.Model(inp, L.Dense(1, name='y')(h), name='net')\n"
        "probe = keras.backend.function([net.input], [net.get_layer('hidden').output])\n"
        "acts = probe([np.zeros((2, 6))])\n"))
    assert code == 1 and "keras.Model(net.input, net.get_layer('hidden').output).predict(np.zeros((2, 6)))" in printed


def test_backend_function_on_a_nested_part_applied_to_the_inputs_predicts_with_the_part(tmp_path):
    code, printed = _script(tmp_path, (
        "feat = keras.Sequential([keras.Input((6,)), L.Dense(3, name='h')], name='featurizer')\n"
        "inp = keras.Input((6,), name='rows')\nnet = keras.Model(inp, L.Dense(1)(feat(inp)))\n"
        "rows = np.zeros((2, 6))\nK = keras.backend\n"
        "probe = K.function([net.input], [feat.output])\nacts = probe([rows])[0]\n"))
    assert code == 1 and "input:rows -> featurizer" in printed and "feat.predict(rows)" in printed


def test_a_loss_tensor_added_to_a_functional_autoencoder_goes_into_a_layer_on_its_output(tmp_path):
    code, printed = _script(tmp_path, (
        "enc = keras.Sequential([keras.Input((8,)), L.Dense(3, name='code')], name='enc')\n"
        "x = keras.Input((8,))\ncode = enc(x)\n"
        "ae = keras.Model(x, L.Dense(8, name='rec')(code), name='ae')\n"
        "ae.add_loss(1e-3 * ops.mean(ops.abs(code)))\n"))
    assert code == 1 and "ae: enc -> ae" in printed and "self.add_loss(1e-3 * ops.mean(ops.abs(code)))" in printed
    assert "ae = keras.Model(x, AddedLoss()([L.Dense(8, name='rec')(code), code]), name='ae')" in printed


def test_timedistributed_over_a_three_output_model_is_mapped_with_over(tmp_path):
    code, printed = _script(tmp_path, (
        "f = keras.Input((6,))\nh = L.Dense(4)(f)\n"
        "step = keras.Model(f, [L.Dense(1)(h), L.Dense(2)(h), L.Dense(3)(h)], name='step_net')\n"
        "seq = keras.Input((9, 6), name='seq')\nouts = L.TimeDistributed(step, name='each')(seq)\n"))
    assert code == 1 and "step_net -> each" in printed and 'kernest.over(1, step, name="each")(seq)' in printed


def test_a_weights_file_of_a_part_two_models_deep_is_loaded_into_that_part(tmp_path):
    code, printed = _script(tmp_path, (
        f"path = r'{tmp_path / 'dec.weights.h5'}'\n"
        "dec = keras.Sequential([keras.Input((3,)), L.Dense(5, name='up')], name='dec')\ndec.save_weights(path)\n"
        "enc = keras.Sequential([keras.Input((5,)), L.Dense(3, name='down')], name='enc')\n"
        "dec2 = keras.Sequential([keras.Input((3,)), L.Dense(5, name='up')], name='dec')\n"
        "t = keras.Input((5,))\ntrunk = keras.Model(t, dec2(enc(t)), name='trunk')\n"
        "x = keras.Input((5,))\nfull = keras.Model(x, L.Dense(1, name='score')(trunk(x)), name='full')\n"
        "full.load_weights(path)\n"))
    assert code == 1 and "trunk/dec" in printed and "dec -> full" in printed
    assert 'full.get_layer("trunk").get_layer("dec").load_weights(path)' in printed


# --- lint: logits into a probability loss, a callback watching a name fit never logs -------------------------

def _fit(model, x, y, loss, **kw):
    model.compile("adam", loss, **kw)
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    return model


@pytest.mark.parametrize("act, loss, flagged", [(None, "categorical_crossentropy", True),
                                                ("softmax", "categorical_crossentropy", False),
                                                (None, keras.losses.CategoricalCrossentropy(from_logits=True), False),
                                                (None, "mse", False)])
def test_a_nested_linear_head_with_a_loss_for_probabilities(act, loss, flagged):
    keras.backend.clear_session(free_memory=False)
    z = keras.Input((6,))
    head = keras.Model(z, L.Dense(4, activation=act, name="scores")(z), name="head")
    x = keras.Input((6,))
    model = _fit(keras.Model(x, head(L.Dense(6, name="pre")(x))), np.random.rand(8, 6),
                 np.eye(4)[np.random.randint(0, 4, 8)], loss)
    found = [f for f in lint(model) if "expects probabilities" in f.problem]
    assert [(f.path, f.interface) for f in found] == ([("head/scores", "head -> loss")] if flagged else [])
    if flagged:
        assert "CategoricalCrossentropy(from_logits=True)" in found[0].fix


def test_a_callback_watching_an_unlogged_name_offers_each_output_that_logs_it(tmp_path):
    code, printed = _script(tmp_path, (
        "x = keras.Input((5,))\nt = keras.Sequential([keras.Input((5,)), L.Dense(4)], name='t')(x)\n"
        "m = keras.Model(x, {'a': L.Dense(1, name='a')(t), 'b': L.Dense(1, name='b')(t)})\n"
        "m.compile('adam', {'a': 'mse', 'b': 'mse'}, metrics={'a': 'mae', 'b': 'mae'})\n"
        "cb = keras.callbacks.ReduceLROnPlateau(monitor='val_mae')\n"
        "y = {'a': np.zeros((8, 1)), 'b': np.zeros((8, 1))}\n"
        "m.fit(np.zeros((8, 5)), y, validation_split=0.25, callbacks=[cb], verbose=0)\n"), strict=True)
    assert code == 1 and 'ReduceLROnPlateau(monitor="val_a_mae" or monitor="val_b_mae"' in printed


def test_a_callback_watching_a_logged_name_is_left_alone(tmp_path):
    code, printed = _script(tmp_path, (
        "x = keras.Input((5,))\nm = keras.Model(x, L.Dense(1)(x))\nm.compile('adam', 'mse')\n"
        "m.fit(np.zeros((8, 5)), np.zeros((8, 1)), validation_split=0.25, verbose=0,\n"
        "      callbacks=[keras.callbacks.EarlyStopping(monitor='val_loss')])\n"), strict=True)
    assert code == 0, printed


# --- check on a subclassed model that only fit has built (case 135's fix on JAX) -------------------------------

class _Pair(keras.Model):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.a, self.b, self.out = L.Dense(3, name="a"), L.Dense(3, name="b"), L.Dense(1, name="out")

    def call(self, inputs):
        left, right = inputs
        return self.out(L.Concatenate()([self.a(left), self.b(right)]))


def test_a_subclassed_model_built_by_fit_on_two_arrays_is_checked_on_their_shapes_without_a_false_alarm():
    import kernest

    keras.backend.clear_session(free_memory=False)
    model = _Pair(name="pair")
    model.compile("adam", "mse")  # compiled before it is built: fit builds it
    with kernest.trace():
        model.fit([np.zeros((4, 2)), np.zeros((4, 5))], np.zeros((4, 1)), epochs=1, verbose=0)
    report = kernest.check(model)
    assert {"a", "b"} <= {i.consumer.rsplit("/", 1)[-1] for i in report.interfaces}, report
    assert not [f for f in lint(model) if "compiled and trained" in f.problem]
