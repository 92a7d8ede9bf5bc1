"""The lead's fifth round of probe models (not corpus cases): failures met while building nested models,
each checked the way ``kernest check script.py`` does, with other names and sizes than the probes."""

from __future__ import annotations

import pytest

from tests.corpus_cases import check_script

pytestmark = pytest.mark.core


_RESHAPED_INTO_CNN = """
cnn = keras.Sequential([keras.Input((16, 16, 2)), L.Conv2D(4, 3), L.GlobalMaxPooling2D()], name="patch_cnn")
flat = keras.Input((512,), name="flat")
grid = L.Reshape({target}, name="to_grid")(flat)
model = keras.Model(flat, L.Dense(3)(cnn(grid)))
"""


@pytest.mark.parametrize("target", ["(-1, 16, 16, 2)", "(4, 16, 16, 2)"])
def test_a_reshape_target_that_counts_the_batch_is_told_to_leave_it_out(tmp_path, target):
    # a leading -1 becomes an axis of size 1 (one axis too many for the nested CNN); a batch size written
    # in holds 4 times the values: either way the target meant is the one without its first entry
    code, printed = check_script(tmp_path, _RESHAPED_INTO_CNN.format(target=target))
    assert code == 1 and "to_grid" in printed
    assert "counts the batch" in printed and "keras.layers.Reshape((16, 16, 2))" in printed
    assert "TimeDistributed" not in printed


_PERMUTED = """
reader = keras.Sequential([keras.Input({inner}), L.GRU(5)], name="reader")
raw = keras.Input({outer})
swapped = L.Permute({dims}, name="swap")(raw)
model = keras.Model(raw, reader(swapped))
"""


@pytest.mark.parametrize(("inner", "outer", "dims", "meant"), [
    ("(3, 7)", "(7, 3)", "(1, 0)", "(2, 1)"),          # the sample's axes numbered from 0
    ("(9, 4)", "(4, 9)", "(0, 2, 1)", "(2, 1)"),       # the batch's 0 written first
])
def test_permute_dims_numbered_from_zero_are_renumbered(tmp_path, inner, outer, dims, meant):
    code, printed = check_script(tmp_path, _PERMUTED.format(inner=inner, outer=outer, dims=dims))
    assert code == 1 and "swap" in printed and f"dims={dims}" in printed
    assert f"Permute({meant}" in printed and "the batch axis always stays first" in printed


_BUILD_ON_LIST = """
class Bilinear(keras.layers.Layer):
    def build(self, shapes):
        self.kernel = self.add_weight(shape=(shapes[1], shapes[1]), name="kernel")
    def call(self, inputs):
        left, right = inputs
        return keras.ops.sum(keras.ops.matmul(left, self.kernel) * right, axis=-1, keepdims=True)

u = keras.Input((6,)); v = keras.Input((6,))
scorer = keras.Model([u, v], Bilinear(name="bilinear")([u, v]), name="scorer")
"""


def test_a_build_that_reads_a_list_of_shapes_as_one_shape_is_shown_the_size_to_read(tmp_path):
    code, printed = check_script(tmp_path, _BUILD_ON_LIST)
    # the eighteenth held-out set's reader answers first now: the layer called on the list (before scorer is built),
    # the list of shapes Keras gives build, and the size read from the input the weight multiplies
    assert code == 1 and "bilinear: input:input_layer -> bilinear" in printed, printed
    assert "the list of their shapes, [(None, 6), (None, 6)]" in printed and "Bilinear.build" in printed, printed
    assert "shape=(shapes[0][1], shapes[0][1])" in printed
    assert "one-element list" not in printed


_FROZEN_INPUT_LAYER = """
q = keras.Input((10,))
encoder = keras.Model(q, L.Dense(4, name="proj")(L.Dense(10, name="mix")(q)), name="encoder")
x = keras.Input((10,))
model = keras.Model(x, L.Dense(1)(encoder(x)))
{freeze}
model.compile("adam", "mse")
model.fit(np.zeros((4, 10)), np.zeros((4, 1)), verbose=0)
"""


def test_freezing_a_nested_models_input_layer_is_a_finding_with_the_layer_meant(tmp_path):
    code, printed = check_script(tmp_path, _FROZEN_INPUT_LAYER.format(freeze="encoder.layers[0].trainable = False"))
    assert code == 0 and "warning: encoder/mix" in printed and "froze nothing" in printed
    assert 'encoder.get_layer("mix").trainable = False' in printed and 'kernest.freeze(model, "encoder/mix")' in printed
    code, printed = check_script(tmp_path, _FROZEN_INPUT_LAYER.format(freeze="encoder.layers[1].trainable = False"))
    assert "froze nothing" not in printed


_DECLARED_SHAPE = """
class LastStep(keras.layers.Layer):
    def call(self, x):
        return x[:, -1, :]
    def compute_output_shape(self, input_shape):
        return {declared}

reader = keras.Sequential([keras.Input((9, 5)), L.Conv1D(6, 3, padding="same"), LastStep(name="last")], name="reader")
s = keras.Input((9, 5))
model = keras.Model(s, L.Dense(2)(reader(s)))
"""


def test_a_compute_output_shape_that_disagrees_with_call_is_a_warning(tmp_path):
    code, printed = check_script(tmp_path, _DECLARED_SHAPE.format(declared="input_shape"))
    assert code == 0 and "warning: reader/last: reader -> dense" in printed
    assert "LastStep.compute_output_shape says (batch, 9, 6), but call() returns (batch, 6)" in printed
    assert "return input_shape[:1] + input_shape[2:]" in printed
    # a layer that declares what it returns is not flagged
    code, printed = check_script(tmp_path, _DECLARED_SHAPE.format(declared="(input_shape[0], input_shape[2])"))
    assert "compute_output_shape says" not in printed


_IDS_INTO = """
seq = keras.Sequential([{reader}, L.GlobalMaxPooling1D()], name="seq")
tokens = keras.Input((25,), dtype="{dtype}")
model = keras.Model(tokens, L.Dense(2)(seq(tokens)))
"""


@pytest.mark.parametrize("reader", ["L.Conv1D(8, 3)", "L.Bidirectional(L.GRU(4, return_sequences=True))"])
def test_integer_ids_into_a_nested_sequence_reader_are_told_to_embed(tmp_path, reader):
    code, printed = check_script(tmp_path, _IDS_INTO.format(reader=reader, dtype="int32"))
    assert code == 1 and "seq/" in printed and "tokens holds integer ids (batch, 25) (int32)" in printed
    assert "keras.layers.Embedding(vocab_size, 64) before seq" in printed and "Reshape" not in printed


def test_float_steps_without_a_feature_axis_still_get_the_axis_of_one(tmp_path):
    code, printed = check_script(tmp_path, _IDS_INTO.format(reader="L.Conv1D(8, 3)", dtype="float32"))
    assert code == 1 and "Embedding" not in printed and "(25, 1)" in printed


_HEAD_ON_MAP = """
backbone = keras.Sequential([keras.Input((16, 16, 1)), L.Conv2D(6, 3, strides=4)], name="backbone")
px = keras.Input((16, 16, 1))
model = keras.Model(px, L.Dense(3, activation="softmax", name="cls")(backbone(px)))
model.compile("adam", "sparse_categorical_crossentropy")
model.fit(np.random.rand(8, 16, 16, 1), np.arange(8) % 3, verbose=0)
"""


def test_class_ids_for_a_dense_head_on_a_feature_map_are_told_to_pool(tmp_path):
    code, printed = check_script(tmp_path, _HEAD_ON_MAP)
    assert code == 1 and "/cls: data -> " in printed and "one class id per sample (batch)" in printed
    assert "keras.layers.GlobalAveragePooling2D()) before cls" in printed


_ONE_HOT_FROM_ONE = """
body = keras.Sequential([keras.Input((7,)), L.Dense(5, activation="relu")], name="body")
f = keras.Input((7,))
model = keras.Model(f, L.Dense(3, activation="softmax", name="probs")(body(f)))
model.compile("adam", "categorical_crossentropy")
ids = np.arange(12) % 3 + {first}
model.fit(np.random.rand(12, 7), keras.utils.to_categorical(ids), verbose=0)
"""


def test_one_hot_labels_made_from_ids_counted_from_one_are_renumbered(tmp_path):
    code, printed = check_script(tmp_path, _ONE_HOT_FROM_ONE.format(first=1))
    assert code == 1 and "/probs: data -> " in printed and "the first is never set" in printed
    assert "keras.utils.to_categorical(ids - 1, 3)" in printed
    # ids 0..3 (four classes used) for a head of 3: the head is what differs
    code, printed = check_script(tmp_path, _ONE_HOT_FROM_ONE.format(first="np.arange(12) % 2"))
    assert code == 1 and "never set" not in printed and "keras.layers.Dense(4)" in printed


_PREDICT_WHILE_BUILDING = """
embedder = keras.Sequential([keras.Input((12,)), L.Dense(4)], name="embedder")
query = keras.Input((12,), name="query")
vec = embedder.predict(query)
model = keras.Model(query, L.Dense(1)(vec))
"""


def test_predict_on_a_symbolic_tensor_while_building_is_told_to_call_the_model(tmp_path):
    code, printed = check_script(tmp_path, _PREDICT_WHILE_BUILDING)
    assert code == 1 and "embedder: input:query -> embedder" in printed
    assert "the symbolic tensor query (batch, 12)" in printed and "Call the model on it instead" in printed
    assert "vec = embedder(query)" in printed


_UNREAD_INPUT = """
img = keras.Input((6,), name="img_feats"); meta = keras.Input((2,), name="meta"); tag = keras.Input((3,), name="tag")
fusion = keras.Model([img, meta, tag], L.Dense(1)(L.Concatenate()([img, {joined}])), name="fusion")
i1, i2, i3 = keras.Input((6,)), keras.Input((2,)), keras.Input((3,))
model = keras.Model([i1, i2, i3], fusion([i1, i2, i3]))
"""


def test_an_input_that_no_layer_reads_is_a_finding(tmp_path):
    code, printed = check_script(tmp_path, _UNREAD_INPUT.format(joined="meta"))
    assert code == 0 and "warning: fusion/tag: input:tag -> fusion" in printed
    assert "fusion's input tag (batch, 3) is read by no layer of fusion" in printed and "img_feats, meta only" in printed
    code, printed = check_script(tmp_path, _UNREAD_INPUT.format(joined="meta, tag"))
    assert "read by no layer" not in printed


_WHOLE_INTO_PART = """
encoder = keras.Sequential([keras.Input((9,)), L.Dense(5, name="e1"), L.Dense(3, name="e2")], name="encoder")
x = keras.Input((9,))
autoencoder = keras.Model(x, L.Dense(9, name="recon")(encoder(x)))
path = os.path.join(tempfile.mkdtemp(), "ae.weights.h5")
autoencoder.save_weights(path)
reused = keras.Sequential([keras.Input((9,)), L.Dense(5), L.Dense(3)], name="reused")
reused.load_weights(path)
"""


def test_a_whole_models_weights_loaded_into_its_part_are_copied_across(tmp_path):
    code, printed = check_script(tmp_path, _WHOLE_INTO_PART)
    assert code == 1 and "the file was saved from autoencoder" in printed
    assert 'autoencoder.load_weights(path); reused.set_weights(autoencoder.get_layer("encoder").get_weights())' in printed


def test_a_library_error_in_the_users_script_is_not_blamed_on_the_model(tmp_path):
    # np.load of a missing file raises inside NumPy, not inside Keras: the user's line is the fault
    body = ('net = keras.Sequential([keras.Input((3,)), L.Dense(1)], name="net")\n'
            'x = np.load(os.path.join(tempfile.gettempdir(), "no_such_kernest_file.npy"))\n')
    code, printed = check_script(tmp_path, body)
    assert code == 2 and "raised FileNotFoundError" in printed and "user_script.py:8" in printed
    assert "Keras stopped while running" not in printed


_DICT_INTO_UNNAMED = """
s = keras.Input((8,))
splitter = keras.Model(s, {"left": L.Dense(2)(s), "right": L.Dense(5)(s)}, name="splitter")
p, q = keras.Input((5,)), keras.Input((2,))
joiner = keras.Model([p, q], L.Dense(1)(L.Concatenate()([p, q])), name="joiner")
z = keras.Input((8,))
model = keras.Model(z, joiner(splitter(z)))
"""


def test_a_dict_into_inputs_with_keras_names_is_paired_by_shape(tmp_path):
    code, printed = check_script(tmp_path, _DICT_INTO_UNNAMED)
    assert code == 1 and "splitter -> joiner" in printed and "carry Keras' own names" in printed
    assert 'feats = splitter(z); joiner([feats["right"], feats["left"]])' in printed
    assert 'keras.Input((5,), name="right"), keras.Input((2,), name="left")' in printed


_LABELS_FOR_TWO = """
t = keras.Input((6,))
shared = keras.Model(t, L.Dense(4)(t), name="shared")
u = keras.Input((6,))
h = shared(u)
model = keras.Model(u, {outputs})
model.compile("adam", {losses})
y_age = np.random.rand(10, 1)
model.fit(np.random.rand(10, 6), {labels}, verbose=0)
"""


@pytest.mark.parametrize("labels", ["y_age", "np.random.rand(10, 1)"])
def test_one_label_array_for_two_outputs_is_given_one_per_output(tmp_path, labels):
    code, printed = check_script(tmp_path, _LABELS_FOR_TWO.format(
        outputs='[L.Dense(1, name="age")(h), L.Dense(4, activation="softmax", name="group")(h)]',
        losses='["mse", "sparse_categorical_crossentropy"]', labels=labels))
    assert code == 1
    if labels == "y_age":  # a named array is read: it goes with the output it fits, class ids for the other
        assert "y_age fits age" in printed and "[y_age, <group class ids (10,)>]" in printed
    else:  # an expression is not run again: both named
        assert "2 outputs, age (batch, 1), group class ids (batch)" in printed and "fit got one label array" in printed
        assert "[<labels of age>, <labels of group>]" in printed


def test_a_labels_dict_without_an_outputs_key_names_the_key(tmp_path):
    code, printed = check_script(tmp_path, _LABELS_FOR_TWO.format(
        outputs='{"age": L.Dense(1, name="age")(h), "group": L.Dense(4, activation="softmax", name="group")(h)}',
        losses='{"age": "mse", "group": "sparse_categorical_crossentropy"}', labels='{"age": y_age}'))
    assert code == 1 and "the labels dict lacks 'group'" in printed
    assert '{"age": y_age, "group": <labels of group>}' in printed


_BATCH_MERGE = """
left = keras.Sequential([keras.Input((5,)), L.Dense(3)], name="left")
right = keras.Sequential([keras.Input((5,)), L.Dense(3)], name="right")
v = keras.Input((5,))
model = keras.Model(v, L.Dense(1)(L.Concatenate(axis=0, name="join")([left(v), right(v)])))
"""


def test_a_merge_along_the_batch_axis_is_named(tmp_path):
    # predict only: nothing fails, a finding
    code, printed = check_script(tmp_path, _BATCH_MERGE + "model.predict(np.zeros((4, 5)), verbose=0)\n")
    assert "warning: join: left, right -> join" in printed and "along the batch axis" in printed
    assert "keras.layers.Concatenate(axis=-1)([left, right]), giving (batch, 6)" in printed
    # trained: the labels no longer line up, and the error says why
    code, printed = check_script(tmp_path, _BATCH_MERGE + 'model.compile("adam", "mse")\n'
                                 "model.fit(np.zeros((4, 5)), np.zeros((4, 1)), verbose=0)\n")
    assert code == 1 and "join (Concatenate, axis=0) joins left and right along the batch axis" in printed


_SOFTMAX_AXIS = """
tagger = keras.Sequential([keras.Input((9, 3)), L.GRU(6, return_sequences=True), L.Dense(5)], name="tagger")
w = keras.Input((9, 3))
model = keras.Model(w, L.Softmax(axis={axis}, name="probs")(tagger(w)))
model.compile("adam", "sparse_categorical_crossentropy")
model.fit(np.random.rand(4, 9, 3), np.random.randint(0, 5, (4, 9)), verbose=0)
"""


def test_a_softmax_over_the_steps_under_a_categorical_loss_is_a_finding(tmp_path):
    code, printed = check_script(tmp_path, _SOFTMAX_AXIS.format(axis=1))
    assert code == 0 and "warning: probs: probs -> loss" in printed
    assert "normalises over axis 1 (9 entries)" in printed and "last axis (5 classes)" in printed
    code, printed = check_script(tmp_path, _SOFTMAX_AXIS.format(axis=-1))
    assert "normalises over axis" not in printed


_DROPPED = """
class Scorer(keras.Model):
    def __init__(self):
        super().__init__()
        self.encoder = keras.Sequential([L.Dense(6, activation="relu")], name="encoder")
        self.score = L.Dense({units})
    def call(self, inputs):
        code = self.encoder(inputs)
        return self.score(inputs)

scorer = Scorer()
scorer.compile("adam", "mse")
scorer.fit(np.random.rand(6, 3, 4), np.random.rand(6, {units}), verbose=0)
"""


def test_a_sublayer_output_computed_and_never_read_is_named(tmp_path):
    # the head reads the input instead of the encoder's output: the labels do not fit, and the reason is given
    code, printed = check_script(tmp_path, _DROPPED.format(units=2))
    assert code == 1 and "Scorer.call computes `code = self.encoder(inputs)` and never reads code" in printed
    assert "`self.score(code)`" in printed


_NO_RETURN = """
class Regressor(keras.Model):
    def __init__(self):
        super().__init__()
        self.trunk = keras.Sequential([L.Dense(5)], name="trunk")
        self.top = L.Dense(1)
    def call(self, x):
        z = self.trunk(x)
        pred = self.top(z)

reg = Regressor()
reg.compile("adam", "mse")
reg.fit(np.random.rand(6, 3), np.random.rand(6, 1), verbose=0)
"""


def test_a_call_without_return_is_told_to_return_its_last_value(tmp_path):
    code, printed = check_script(tmp_path, _NO_RETURN)
    assert code == 1 and "Regressor.call ends without a return" in printed and "`return pred`" in printed


_FIXED_TRAINING = """
class Noisy(keras.layers.Layer):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.proj = L.Dense(4)
        self.noise = L.GaussianNoise(0.3)
    def call(self, x, training=None):
        return self.noise(self.proj(x), training={flag})

i = keras.Input((3,))
model = keras.Model(i, L.Dense(1)(Noisy(name="noisy")(i)))
model.predict(np.zeros((2, 3)), verbose=0)
"""


def test_a_training_flag_fixed_inside_a_users_call_is_a_finding(tmp_path):
    code, printed = check_script(tmp_path, _FIXED_TRAINING.format(flag="True"))
    assert code == 0 and "warning: noisy/gaussian_noise" in printed
    assert "`self.noise(self.proj(x), training=training)`" in printed and "with call(self" not in printed
    code, printed = check_script(tmp_path, _FIXED_TRAINING.format(flag="training"))
    assert "training=True is fixed" not in printed


_PART_COMPILED = """
tower = keras.Sequential([keras.Input((7,)), L.Dense(3)], name="tower")
tower.compile(optimizer="rmsprop", loss="mae")
a = keras.Input((7,))
whole = keras.Model(a, L.Dense(1)(tower(a)))
whole.{method}(np.zeros((4, 7)), np.zeros((4, 1)), verbose=0)
"""


@pytest.mark.parametrize("method", ["fit", "evaluate"])
def test_a_model_whose_part_alone_was_compiled_is_given_the_parts_settings(tmp_path, method):
    code, printed = check_script(tmp_path, _PART_COMPILED.format(method=method))
    assert code == 1 and "compiling a nested model does not compile the model that holds it" in printed
    assert 'whole.compile(optimizer="rmsprop", loss="mae")' in printed


_UNKNOWN_NAME = """
clf = keras.Sequential([keras.Input((5,)), L.Dense(4, activation={activation})], name="clf")
clf.compile("adam", {loss}, metrics=[{metric}])
clf.fit(np.zeros((4, 5)), np.zeros((4,)), verbose=0)
"""


@pytest.mark.parametrize(("activation", "loss", "metric", "wrong", "meant"), [
    ('"softmx"', '"sparse_categorical_crossentropy"', '"accuracy"', "softmx", "softmax"),
    ('"softmax"', '"sparse_categorical_crosentropy"', '"accuracy"', "sparse_categorical_crosentropy",
     "sparse_categorical_crossentropy"),
    ('"softmax"', '"sparse_categorical_crossentropy"', '"acuracy"', "acuracy", "accuracy"),
])
def test_a_misspelt_keras_name_is_given_the_nearest_with_the_users_line(tmp_path, activation, loss, metric, wrong,
                                                                        meant):
    code, printed = check_script(tmp_path, _UNKNOWN_NAME.format(activation=activation, loss=loss, metric=metric))
    assert code == 1 and f"'{wrong}' is not a" in printed and f"the nearest is '{meant}'" in printed
    assert f'"{meant}"' in printed.split("the nearest is", 1)[1]  # the user's own line, rewritten


_ALL_FROZEN = """
enc = keras.Sequential([keras.Input((6,)), L.Dense(4, name="h1"), L.Dense(2, name="h2")], name="enc")
enc.trainable = False
b = keras.Input((6,))
net = keras.Model(b, {head})
net.compile("adam", "mse")
net.fit(np.zeros((4, 6)), np.zeros((4, {width})), verbose=0)
"""


def test_a_trained_model_with_every_weight_frozen_is_a_finding(tmp_path):
    code, printed = check_script(tmp_path, _ALL_FROZEN.format(head="enc(b)", width=2))
    assert code == 0 and "warning: enc: net -> optimizer: every weight of" in printed
    assert 'kernest.unfreeze(net, "enc/h2", recompile=True)' in printed
    code, printed = check_script(tmp_path, _ALL_FROZEN.format(head="L.Dense(1)(enc(b))", width=1))
    assert "every weight of" not in printed


def test_a_generator_that_yields_a_list_is_told_to_yield_a_tuple(tmp_path):
    body = ('net = keras.Sequential([keras.Input((2,)), L.Dense(1)], name="net")\n'
            'net.compile("adam", "mse")\n'
            "def batches():\n"
            "    while True:\n"
            "        feats, target = np.ones((3, 2)), np.ones((3, 1))\n"
            "        yield [feats, target]\n"
            "net.fit(batches(), steps_per_epoch=1, verbose=0)\n")
    code, printed = check_script(tmp_path, body)
    assert code == 1 and "batches() yields a list" in printed and "`yield (feats, target)` (line 12)" in printed


def test_a_loop_that_freezes_the_first_layers_with_the_input_layer_is_not_a_finding(tmp_path):
    # keras.io's way of freezing a backbone up to a layer sets the InputLayer's flag too: the layers are frozen
    loop = ("for layer in encoder.layers:\n"
            "    layer.trainable = layer.name not in ('input_layer', 'mix')")
    code, printed = check_script(tmp_path, _FROZEN_INPUT_LAYER.format(freeze=loop).replace(
        "q = keras.Input((10,))", 'q = keras.Input((10,), name="input_layer")'))
    assert code == 0 and "froze nothing" not in printed
