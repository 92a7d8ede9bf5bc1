"""explain on the kinds of failure of the fourth held-out set (tests/corpus, "set": "heldout4"), each rule
checked on another small model than the corpus case: a grouped convolution, a Dot over axes of different
sizes, a Bidirectional that does not merge, a Lambda whose declared output shape is wrong, class_weight and
sample_weight for a model of several outputs, Keras 2's batch_input_shape, and an output map larger than
its targets; and, for the sixth held-out set, the readers of kernest/_runtime.py (a backend function or a
Python branch in a user's call(), compile lists against the outputs, a flat batch tuple, validation_split on a
dataset, a Lambda refused at load) and the lint rule for a nested call with training=True."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kernest
from tests.corpus_cases import check_script
from tests.test_explain import raised

pytestmark = pytest.mark.core
L = keras.layers


def _trunk(width: int = 5, units: int = 4) -> keras.Model:
    return keras.Sequential([keras.Input((width,)), L.Dense(units, activation="relu", name="body")], name="core")


@pytest.mark.parametrize(("channels", "filters", "groups", "fix"), [
    (9, 12, 6, "groups=3"),   # 3 divides 9 and 12
    (9, 8, 4, "groups=1"),    # nothing above 1 divides both 9 and 8
])
def test_a_grouped_conv_on_channels_the_groups_do_not_divide_gives_groups_that_do(channels, filters, groups, fix):
    def build():
        seq = keras.Input((20, 2), name="seq")
        front = keras.Model(seq, L.Conv1D(channels, 3, padding="same", name="front_conv")(seq), name="front")
        signal = keras.Input((20, 2), name="signal")
        L.Conv1D(filters, 3, groups=groups, name="split_conv")(front(signal))

    err = kernest.explain(raised(build))
    assert err.path == "split_conv" and err.interface == "front -> split_conv"
    assert fix in err.fix and f"{channels} channels" in err.fix


def test_a_dot_whose_branches_share_no_axis_offers_no_other_axes():
    def build():
        a_in, b_in = keras.Input((6, 4), name="a_in"), keras.Input((6, 9), name="b_in")
        left = keras.Model(a_in, L.Dense(5, name="left_proj")(a_in), name="left")
        right = keras.Model(b_in, L.Dense(5, name="right_proj")(b_in), name="right")
        x, y = keras.Input((6, 4)), keras.Input((6, 9))
        L.Dot(axes=2, name="score")([left(x), L.Permute((2, 1), name="swap")(right(y))])

    err = kernest.explain(raised(build))
    assert err.path == "score"
    # (batch, 6, 5) . (batch, 5, 6) over axis 2: 5 and 6 differ, and no axis has one size in both: no Dot(axes=...)
    assert "Dot(axes=" not in err.fix and "Dense(" in err.fix


def test_a_dot_of_sequences_over_the_steps_axis_says_dot_over_the_shared_last_axis():
    def build():
        u, v = keras.Input((3, 7), name="u"), keras.Input((8, 7), name="v")
        L.Dot(axes=(1, 1), name="sim")([u, v])

    err = kernest.explain(raised(build))
    assert err.path == "sim" and "Dot(axes=-1)" in err.fix and "(batch, 3, 8)" in err.fix


def test_a_bidirectional_without_merge_mode_feeding_one_input_says_merge_it():
    def build():
        frames = keras.Input((9, 3), name="frames")
        both = L.Bidirectional(L.LSTM(4), merge_mode=None, name="bilstm")(frames)
        reader = keras.Model(frames, both, name="reader")
        clip = keras.Input((9, 3), name="clip")
        L.Dense(2, name="head")(reader(clip))

    err = kernest.explain(raised(build))
    assert err.path == "head" and err.interface == "reader -> head"
    assert 'merge_mode="concat"' in err.fix and "bilstm" in err.fix


def test_a_lambda_declaring_another_output_shape_than_it_returns_says_the_true_one():
    seq = keras.Input((6, 3), name="seq")
    feats = keras.Model(seq, L.Conv1D(10, 3, name="conv")(seq), name="feats")
    x_in = keras.Input((6, 3), name="x_in")
    pooled = L.Lambda(lambda t: keras.ops.max(t, axis=1), output_shape=(4,), name="peak")(feats(x_in))
    net = keras.Model(x_in, L.Dense(1, name="out")(pooled), name="net")
    net.compile("sgd", "mse")
    err = kernest.explain(raised(lambda: net.fit(np.zeros((2, 6, 3), "float32"), np.zeros((2, 1), "float32"),
                                                 epochs=1, verbose=0)))
    assert err.interface == "peak -> out" and err.path.endswith("out")
    assert "output_shape=(10,)" in err.fix and err.received == "(batch, 10)"


def test_class_weight_for_a_model_of_several_outputs_says_sample_weight_per_output():
    x_in = keras.Input((5,), name="x_in")
    h = _trunk()(x_in)
    net = keras.Model(x_in, [L.Dense(4, activation="softmax", name="kind")(h), L.Dense(1, name="size")(h)], name="twohead")
    net.compile("sgd", ["sparse_categorical_crossentropy", "mse"])
    x, kinds, sizes = np.zeros((4, 5), "float32"), np.array([0, 3, 2, 1]), np.zeros((4, 1), "float32")
    cw = {0: 1.0, 1: 2.0, 2: 2.0, 3: 4.0}
    err = kernest.explain(raised(lambda: net.fit(x, [kinds, sizes], class_weight=cw, epochs=1, verbose=0)))
    assert err.path == "twohead" and err.interface == "data -> twohead"
    # the class ids are kinds' labels: they get the weights; the regression head gets ones
    assert "sample_weight=[np.vectorize(cw.get)(" in err.fix and "np.ones(" in err.fix


def test_one_sample_weight_array_with_a_column_per_output_says_split_it():
    x_in = keras.Input((5,), name="x_in")
    h = _trunk()(x_in)
    net = keras.Model(x_in, {"a": L.Dense(1, name="a")(h), "b": L.Dense(1, name="b")(h), "c": L.Dense(1, name="c")(h)},
                      name="three")
    net.compile("sgd", {"a": "mse", "b": "mse", "c": "mse"})
    x, ys, per_task = np.zeros((4, 5), "float32"), {k: np.zeros((4, 1), "float32") for k in "abc"}, np.ones((4, 3))
    err = kernest.explain(raised(lambda: net.fit(x, ys, sample_weight=per_task, epochs=1, verbose=0)))
    assert err.interface == "data -> three"
    assert 'sample_weight={"a": per_task[:, 0], "b": per_task[:, 1], "c": per_task[:, 2]}' in err.fix


def test_keras2_batch_input_shape_says_declare_an_input_with_that_batch():
    def build():
        keras.Sequential([L.LSTM(6, batch_input_shape=(4, 10, 3), stateful=True, name="rnn")], name="tracker")

    err = kernest.explain(raised(build))
    assert err.path == "rnn" and err.interface == "data -> rnn"
    assert "keras.Input(shape=(10, 3), batch_size=4)" in err.fix


def test_an_output_map_larger_than_the_targets_by_the_same_margin_says_crop_by_that_number():
    img = keras.Input((12, 12, 2), name="img")
    up = keras.Model(img, L.UpSampling2D(2, name="grow")(img), name="up")  # 24 x 24
    net = keras.Model(img, up(img), name="net")
    net.compile("sgd", "mse")
    err = kernest.explain(raised(lambda: net.fit(np.zeros((2, 12, 12, 2), "float32"), np.zeros((2, 20, 20, 2), "float32"),
                                                 epochs=1, verbose=0)))
    assert "Cropping2D(2)" in err.fix


# --- the fifth held-out set (cases 103-112): general readers of the user's call and call() lines, each on
# another small model than its corpus case -----------------------------------------------------------------

def _script(tmp_path, body: str):
    return check_script(tmp_path, body, strict=True)


def test_a_keyword_the_optimizer_does_not_take_is_renamed_in_the_users_own_call():
    net = keras.Sequential([keras.Input((3,)), L.Dense(2, name="out")], name="reg")
    err = kernest.explain(raised(lambda: net.compile(optimizer=keras.optimizers.SGD(lr=0.1, momentum=0.9), loss="mse")))
    assert err.path == "reg" and err.interface == "reg -> optimizer"
    assert "keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)" in err.fix


def test_a_flag_passed_by_position_to_a_nested_model_goes_by_keyword():
    frames = keras.Input((6, 10, 2), name="frames")
    tower = keras.Sequential([keras.Input((6, 10, 2)), L.Dropout(0.2, name="drop")], name="tower")
    err = kernest.explain(raised(lambda: tower(frames, True)))
    assert err.path == "tower" and err.interface == "input:frames -> tower"
    assert "tower(frames, training=True)" in err.fix


def test_tensors_given_to_a_merge_layers_constructor_move_to_its_call():
    left, right = keras.Input((7,), name="left"), keras.Input((7,), name="right")
    proj = keras.Sequential([keras.Input((7,)), L.Dense(7, name="lin")], name="proj")

    def build():
        L.Add([proj(left), right], name="sum")

    err = kernest.explain(raised(build))
    assert err.path == "sum" and err.interface == "proj -> sum"
    assert 'L.Add(name="sum")([proj(left), right])' in err.fix


@pytest.mark.parametrize(("op", "fix"), [
    ("transpose", "keras.ops.transpose(enc(words), [0, 2, 1])"),  # keras.ops has the same op
    ("reduce_logsumexp", "keras.ops.logsumexp(enc(words), [0, 2, 1])"),  # keras.ops names it otherwise
    ("bitcast", "has no bitcast; put the call in a layer"),  # keras.ops has no such op
])
def test_a_backend_function_on_a_symbolic_tensor_says_the_keras_op_or_a_layer(op, fix):
    tf = pytest.importorskip("tensorflow")
    words = keras.Input((5, 3), name="words")
    enc = keras.Sequential([keras.Input((5, 3)), L.Dense(4, name="mix")], name="enc")
    dec = keras.Sequential([keras.Input((4, 5)), L.Flatten(name="flat")], name="dec")

    def build_transpose():
        h = tf.transpose(enc(words), [0, 2, 1])
        dec(h)

    def build_reduce_logsumexp():
        h = tf.reduce_logsumexp(enc(words), [0, 2, 1])
        dec(h)

    def build_bitcast():
        h = tf.bitcast(enc(words), tf.int32)
        dec(h)

    err = kernest.explain(raised(locals()[f"build_{op}"]))
    assert err.path == "enc" and err.interface == "enc -> dec"
    assert fix in err.fix


def test_a_file_name_keras_refuses_gets_the_ending_it_asks_for(tmp_path):
    import os

    stem = keras.Sequential([keras.Input((4,)), L.Dense(3, name="d")], name="stem")
    err = kernest.explain(raised(lambda: stem.save_weights(os.path.join(str(tmp_path), "stem_v2.hdf5"))))
    assert err.path == "stem" and err.interface == "stem -> file"
    assert '"stem_v2.weights.h5"' in err.fix


def test_a_static_batch_size_read_in_a_custom_layers_call_says_minus_one():
    if keras.backend.backend() != "tensorflow":
        pytest.skip("JAX and torch trace call() with a concrete batch size, so only TensorFlow fails here")

    class Collapse(L.Layer):
        def call(self, t):
            return keras.ops.reshape(t, (t.shape[0], -1))

    def build():
        grid = keras.Input((3, 6, 2), name="grid")
        keras.Model(grid, Collapse(name="collapse")(L.Conv2D(2, 1, name="mix")(grid)), name="flattener")

    err = kernest.explain(raised(build))
    assert err.path == "collapse" and "x.shape" not in err.fix
    assert "keras.ops.reshape(t, (-1, 36))" in err.fix  # 3 x 6 x 2 values per sample


def test_operands_of_different_widths_in_a_subclassed_call_name_the_part_and_project_the_tensor():
    class Gated(keras.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.block = keras.Sequential([L.Dense(10, name="wide")], name="block")
            self.out = L.Dense(1, name="out")

        def call(self, h):
            return self.out(keras.ops.multiply(self.block(h), h))

    net = Gated(name="gated")
    net.compile("sgd", "mse")
    err = kernest.explain(raised(lambda: net.fit(np.zeros((4, 7), "float32"), np.zeros((4, 1), "float32"),
                                                 epochs=1, verbose=0)))
    assert err.path == "gated" and err.interface == "block -> gated"
    assert "keras.layers.Dense(10)" in err.fix and "self.proj(h)" in err.fix


def test_a_custom_class_missing_at_load_is_named_where_it_sits_and_passed_in_custom_objects(tmp_path):
    code, printed = _script(tmp_path, f'''
class Shift(L.Layer):
    def call(self, x):
        return x + 1.0

stem = keras.Sequential([keras.Input((3, 2)), Shift(name="shift"), L.Flatten(name="flat")], name="stem")
seq = keras.Input((3, 2), name="seq")
model = keras.Model(seq, L.Dense(1, name="y")(stem(seq)), name="shifted")
model.save({str(tmp_path / "shifted.keras")!r})
model = keras.saving.load_model({str(tmp_path / "shifted.keras")!r})
''')
    assert code == 1 and "stem/shift" in printed and "file -> shift" in printed
    assert 'custom_objects={"Shift": Shift}' in printed


def test_a_normalization_never_adapted_on_images_names_the_users_variable_and_array(tmp_path):
    code, printed = _script(tmp_path, '''
pixels = L.Normalization(axis=1, name="pixels")   # per channel of channels-first maps
stem = keras.Sequential([keras.Input((3, 4, 4)), pixels, L.Flatten(name="flat")], name="stem")
img = keras.Input((3, 4, 4), name="img")
model = keras.Model(img, L.Dense(1, name="y")(stem(img)), name="net")
model.compile("sgd", "mse")
imgs = np.random.rand(4, 3, 4, 4) * 255.0
model.fit(imgs, np.zeros((4, 1)), epochs=1, verbose=0)
''')
    assert code == 1 and "stem/pixels" in printed and "never adapted" in printed
    assert "pixels.adapt(imgs)" in printed


def test_a_normalization_after_another_layer_is_adapted_on_what_reaches_it(tmp_path):
    code, printed = _script(tmp_path, '''
scaler = L.Normalization(axis=1, name="scaler")   # per step, on a channels-first layout
prep = keras.Sequential([keras.Input((2, 5)), L.Dense(5, name="lift"), scaler], name="prep")
x_in = keras.Input((2, 5), name="x_in")
model = keras.Model(x_in, L.Dense(1, name="y")(L.Flatten(name="flat")(prep(x_in))), name="m")
model.compile("sgd", "mse")
xs = np.random.rand(4, 2, 5)
model.fit(xs, np.zeros((4, 1)), epochs=1, verbose=0)
''')
    assert code == 1 and "prep/scaler" in printed and "never adapted" in printed
    assert "scaler.adapt(the values that reach it" in printed and "scaler.adapt(xs)" not in printed


@pytest.mark.parametrize(("head", "fix"), [
    ('L.SimpleRNN(6, return_sequences=True, name="rnn")', "build rnn with return_sequences=False"),
    ('L.Conv1D(6, 3, padding="same", name="conv")', "pool or flatten the steps axis before the head"),
])
def test_an_output_keeping_a_steps_axis_the_labels_lack_is_reported(tmp_path, head, fix):
    code, printed = _script(tmp_path, f'''
body = keras.Sequential([keras.Input((9, 4)), {head}], name="body")
seq = keras.Input((9, 4), name="seq")
model = keras.Model(seq, L.Dense(1, name="scores")(body(seq)), name="scorer")
model.compile("sgd", "mae")
model.fit(np.random.rand(4, 9, 4), np.random.rand(4, 1), epochs=1, verbose=0)
''')
    assert code == 1 and "body -> scores" in printed and "broadcasts" in printed
    assert fix in printed


# --- sixth held-out set: mechanisms that read the user's call(), compile arguments and fit data -----------------

@pytest.mark.parametrize(("expr", "fix"), [
    ("np.tanh(x)", "keras.ops.tanh(x)"),
    ("np.clip(x, a_min=0.0, a_max=1.0)", "keras.ops.clip(x, x_min=0.0, x_max=1.0)"),
])
def test_a_numpy_function_in_a_custom_layers_call_says_the_keras_op_with_the_users_arguments(tmp_path, expr, fix):
    code, printed = _script(tmp_path, f'''
class Squash(L.Layer):
    def call(self, x, training=None):
        return {expr}

block = keras.Sequential([L.Conv1D(5, 2, name="taps"), Squash(name="squash")], name="block")
net = keras.Sequential([block, L.GlobalMaxPooling1D(name="gmp")], name="net")
net.compile("sgd", "mse")
net.fit(np.random.rand(4, 7, 3), np.random.rand(4, 5), epochs=1, verbose=0)
''')
    assert code == 1 and "block/squash" in printed and "taps -> squash" in printed
    assert fix in printed and "numpy function" in printed


def test_a_numpy_function_between_sub_layers_of_a_subclassed_model_names_both_parts(tmp_path):
    code, printed = _script(tmp_path, '''
class Ranker(keras.Model):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.embed = L.Dense(6, name="embed")
        self.score = L.Dense(2, name="score")

    def call(self, feats):
        z = self.embed(feats)
        z = np.maximum(z, 0.0)
        return self.score(z)

model = Ranker(name="ranker")
model.compile("sgd", "mse")
model.fit(np.random.rand(4, 3), np.random.rand(4, 2), epochs=1, verbose=0)
''')
    assert code == 1 and "embed -> score" in printed and "keras.ops.maximum(z, 0.0)" in printed


@pytest.mark.skipif(keras.backend.backend() == "tensorflow", reason="a TensorFlow function runs on TensorFlow")
def test_a_tensorflow_function_in_a_call_on_another_backend_says_the_keras_op(tmp_path):
    code, printed = _script(tmp_path, '''
import tensorflow as tf

class Peak(L.Layer):
    def call(self, x):
        return tf.reduce_max(x, axis=-1, keepdims=True)

inner = keras.Sequential([keras.Input((4, 6)), L.Dense(3, name="mix"), Peak(name="peak")], name="inner")
z = keras.Input((4, 6), name="z")
model = keras.Model(z, L.Flatten(name="flat")(inner(z)), name="outer")
model.compile("sgd", "mse")
model.fit(np.random.rand(4, 4, 6), np.random.rand(4, 4), epochs=1, verbose=0)
''')
    assert code == 1 and "inner/peak" in printed and "mix -> peak" in printed
    assert "keras.ops.max(x, axis=-1, keepdims=True)" in printed


@pytest.mark.skipif(keras.backend.backend() == "torch", reason="torch runs Python branches eagerly")
@pytest.mark.parametrize(("body", "fix"), [
    ("        if keras.ops.mean(x) < 0:\n            x = -x\n        return x",
     "x = keras.ops.where(keras.ops.mean(x) < 0, -x, x)"),
    ("        if keras.ops.min(x) >= 0:\n            return x\n        else:\n            return x * 0.5",
     "return keras.ops.where(keras.ops.min(x) >= 0, x, x * 0.5)"),
])
def test_a_python_branch_on_a_tensor_in_a_call_says_ops_where_with_its_own_operands(tmp_path, body, fix):
    code, printed = _script(tmp_path, f'''
class Flip(L.Layer):
    def call(self, x):
{body}

feats = keras.Sequential([keras.Input((5,), name="raw"), Flip(name="flip"), L.Dense(2, name="d")], name="feats")
''')
    assert code == 1 and "feats/flip" in printed and "input:raw -> flip" in printed and fix in printed


def test_a_one_entry_metrics_list_for_three_outputs_is_repeated_per_output_or_keyed_by_name(tmp_path):
    code, printed = _script(tmp_path, '''
base = keras.Sequential([keras.Input((4,)), L.Dense(6, name="h")], name="base")
inp = keras.Input((4,), name="inp")
h = base(inp)
model = keras.Model(inp, [L.Dense(1, name=n)(h) for n in ("low", "mid", "high")], name="bands")
model.compile("sgd", ["mse", "mse", "mse"], metrics=[keras.metrics.MeanAbsoluteError()])
model.fit(np.random.rand(4, 4), [np.random.rand(4, 1)] * 3, epochs=1, verbose=0)
''')
    assert code == 1 and "bands -> metrics" in printed
    entry = "keras.metrics.MeanAbsoluteError()"
    assert f"metrics=[{entry}, {entry}, {entry}]" in printed
    assert f'"low": {entry}, "mid": {entry}, "high": {entry}' in printed


@pytest.mark.parametrize(("source", "fix"), [
    ('''def feed():
    while True:
        a, b, c = np.random.rand(2, 3), np.random.rand(2, 2), np.random.rand(2, 4)
        yield a, b, c, np.random.rand(2, 1)
data = feed()''', "yield (a, b, c), np.random.rand(2, 1)"),
    ('''import tensorflow as tf
data = tf.data.Dataset.from_tensor_slices((np.random.rand(4, 3), np.random.rand(4, 2), np.random.rand(4, 4),
                                           np.random.rand(4, 1))).batch(2)''',
     "data.map(lambda t0, t1, t2, t3: ((t0, t1, t2), t3))"),
])
def test_batches_given_as_a_flat_tuple_for_a_three_input_model_group_the_inputs(tmp_path, source, fix):
    code, printed = _script(tmp_path, f'''
p, q, r = keras.Input((3,), name="p"), keras.Input((2,), name="q"), keras.Input((4,), name="r")
mix = keras.Sequential([keras.Input((9,)), L.Dense(1, name="o")], name="mix")
model = keras.Model([p, q, r], mix(L.Concatenate(name="cat")([p, q, r])), name="tri")
model.compile("sgd", "mse")
{source}
model.fit(data, steps_per_epoch=1, epochs=1, verbose=0)
''')
    assert code == 1 and "data -> tri" in printed and fix in printed


def test_a_dict_variable_keyed_otherwise_than_the_inputs_is_rewritten_with_their_names(tmp_path):
    code, printed = _script(tmp_path, '''
age, income = keras.Input((1,), name="age"), keras.Input((3,), name="income")
tower = keras.Sequential([keras.Input((4,)), L.Dense(1, name="p")], name="tower")
model = keras.Model([age, income], tower(L.Concatenate(name="cat")([age, income])), name="credit")
model.compile("sgd", "mse")
feats = {"user_age": np.random.rand(4, 1), "user_income": np.random.rand(4, 3)}
model.fit(feats, np.random.rand(4, 1), epochs=1, verbose=0)
''')
    assert code == 1 and "credit" in printed
    assert '{"age": feats["user_age"], "income": feats["user_income"]}' in printed


@pytest.mark.parametrize(("data", "fix"), [
    ("tf.data.Dataset.from_tensor_slices((np.random.rand(10, 3), np.random.rand(10, 1))).batch(2)",
     "val = ds.take(2); ds = ds.skip(2)"),
    ("keras.utils.PyDataset()", "validation_data="),
])
def test_validation_split_on_data_keras_cannot_slice_says_what_to_hold_out(tmp_path, data, fix):
    code, printed = _script(tmp_path, f'''
import tensorflow as tf
net = keras.Sequential([keras.Input((3,)), L.Dense(1, name="y")], name="net")
net.compile("sgd", "mse")
ds = {data}
net.fit(ds, validation_split=0.4, epochs=1, verbose=0)
''')
    assert code == 1 and "data -> net" in printed and fix in printed


def test_a_lambda_refused_at_load_is_named_at_its_nested_path(tmp_path):
    code, printed = _script(tmp_path, f'''
inner = keras.Sequential([keras.Input((3,)), L.Lambda(lambda v: v * 0.5, name="halve")], name="inner")
block = keras.Sequential([keras.Input((3,)), inner, L.Dense(2, name="proj")], name="block")
z = keras.Input((3,), name="z")
model = keras.Model(z, block(z), name="whole")
model.save({str(tmp_path / "whole.keras")!r})
again = keras.saving.load_model({str(tmp_path / "whole.keras")!r})
''')
    assert code == 1 and "block/inner/halve" in printed and "file -> halve" in printed
    assert "safe_mode=False)" in printed and "register_keras_serializable" in printed


def test_a_two_output_model_inside_a_sequential_gets_a_one_output_view(tmp_path):
    code, printed = _script(tmp_path, '''
src = keras.Input((6,), name="src")
enc = L.Dense(5, name="enc")(src)
pair = keras.Model(src, [enc, L.Dense(3, name="side")(enc)], name="pair")
model = keras.Sequential([keras.Input((6,)), pair, L.Dense(2, name="head")], name="seq")
''')
    assert code == 1 and "pair -> head" in printed
    assert "keras.Model(pair.input, pair.outputs[0])" in printed and "in place of pair" in printed


def test_a_nested_block_called_with_training_true_is_a_warning_and_without_it_is_not(tmp_path):
    block = '''
block = keras.Sequential([keras.Input((5,)), L.Dense(4, name="d"), L.BatchNormalization(name="bn")], name="block")
v = keras.Input((5,), name="v")
model = keras.Model(v, L.Dense(1, name="o")(block(v{flag})), name="m")
'''
    code, printed = _script(tmp_path, block.format(flag=", training=True"))
    assert code == 1 and "block: input:v -> block" in printed and "bn in training mode" in printed
    assert "block(v)" in printed
    code, printed = _script(tmp_path, block.format(flag=""))
    assert code == 0, printed


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="TensorFlow retries the call with training=")
def test_an_error_keras_hid_behind_its_training_retry_is_not_blamed_on_the_user(tmp_path):
    code, printed = _script(tmp_path, '''
class Spread(L.Layer):
    def call(self, feats):
        return np.std(feats, axis=-1, keepdims=True)

inner = keras.Sequential([L.Dense(3, name="lin"), Spread(name="spread")], name="inner")
net = keras.Sequential([inner, L.Dense(1, name="y")], name="net")
net.compile("sgd", "mse")
net.fit(np.random.rand(4, 5), np.random.rand(4, 1), epochs=1, verbose=0)
''')
    assert code == 1 and "inner/spread" in printed and "lin -> spread" in printed
    assert "def call(self, feats, training=None)" in printed and "drop it" not in printed
