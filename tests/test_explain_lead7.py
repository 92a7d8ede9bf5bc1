"""The lead's seventh round of probe models (not corpus cases): mistakes around a nested model (callbacks,
compile, fit's arguments, names, cells, labels), each checked the way ``kernest check script.py`` does, with
other names and sizes than the probes."""

from __future__ import annotations

import pytest

from tests.corpus_cases import check_script

pytestmark = pytest.mark.core

_TOWER = """
tower = keras.Sequential([keras.Input((5,)), L.Dense(6, activation="relu", name="hidden")], name="tower")
feats = keras.Input((5,), name="feats")
"""


def test_a_checkpoint_watching_a_name_fit_never_logs_gets_the_logged_one(tmp_path):
    body = _TOWER + """
model = keras.Model(feats, L.Dense(1, activation="sigmoid", name="churn")(tower(feats)), name="churner")
model.compile("adam", "binary_crossentropy", metrics=[keras.metrics.AUC(name="auc")])
best = keras.callbacks.ModelCheckpoint(os.path.join(tempfile.mkdtemp(), "m.keras"), monitor={monitor},
                                       save_best_only=True)
x_all, y_all = np.random.rand(12, 5), np.random.randint(0, 2, 12)
model.fit(x_all, y_all, validation_split=0.25, callbacks=[best], verbose=0)
"""
    code, printed = check_script(tmp_path, body.format(monitor='"val_auc_score"'))
    assert code == 1 and "churner -> ModelCheckpoint" in printed
    assert 'monitor="val_auc"' in printed and "val_loss" in printed
    code, printed = check_script(tmp_path, body.format(monitor='"val_auc"'))
    assert code == 0, printed


def test_validation_data_without_its_labels_names_the_labels_in_scope(tmp_path):
    body = _TOWER + """
model = keras.Model(feats, L.Dense(3, activation="softmax", name="kind")(tower(feats)), name="sorter")
model.compile("adam", "sparse_categorical_crossentropy")
x_valid, y_valid = np.random.rand(4, 5), np.random.randint(0, 3, 4)
model.fit(np.random.rand(8, 5), np.random.randint(0, 3, 8), validation_data={given}, verbose=0)
"""
    code, printed = check_script(tmp_path, body.format(given="(x_valid)"))
    assert code == 1 and "validation_data -> sorter" in printed
    assert "validation_data=(x_valid, y_valid)" in printed
    code, printed = check_script(tmp_path, body.format(given="(x_valid, y_valid)"))
    assert code == 0, printed


def test_a_generator_yielding_inputs_only_is_told_to_yield_the_labels(tmp_path):
    body = _TOWER + """
model = keras.Model(feats, L.Dense(1, name="price")(tower(feats)), name="pricer")
model.compile("adam", "mse")
def batches():
    while True:
        rows = np.random.rand(3, 5)
        yield {what}
model.fit(batches(), steps_per_epoch=2, verbose=0)
"""
    code, printed = check_script(tmp_path, body.format(what="rows"))
    assert code == 1 and "batches -> pricer" in printed and "yield rows, <the labels of that batch>" in printed
    code, printed = check_script(tmp_path, body.format(what="rows, np.random.rand(3, 1)"))
    assert code == 0, printed


@pytest.mark.slow
def test_compile_without_a_loss_gets_one_that_suits_the_head(tmp_path):
    # TensorFlow and PyTorch refuse to fit; JAX fits on a loss of 0 (a warning of --strict)
    body = _TOWER + """
model = keras.Model(feats, L.Dense(4, activation="softmax", name="topic")(tower(feats)), name="topics")
model.compile(optimizer="rmsprop"{loss})
model.fit(np.random.rand(8, 5), np.random.randint(0, 4, 8), verbose=0)
"""
    code, printed = check_script(tmp_path, body.format(loss=""), strict=True)
    assert code == 1 and "topics -> compile" in printed
    assert 'loss="sparse_categorical_crossentropy"' in printed
    code, printed = check_script(tmp_path, body.format(loss=', loss="sparse_categorical_crossentropy"'), strict=True)
    assert code == 0, printed


@pytest.mark.parametrize("written", ["tf.keras.optimizers.legacy.SGD(0.05)", "keras.optimizers.legacy.SGD(0.05)"])
def test_a_legacy_optimizer_is_rewritten_to_the_keras_3_one(tmp_path, written):
    body = _TOWER + f"""
model = keras.Model(feats, L.Dense(1, name="price")(tower(feats)), name="pricer")
model.compile(loss="mae", optimizer={written})
model.fit(np.random.rand(8, 5), np.random.rand(8, 1), verbose=0)
"""
    code, printed = check_script(tmp_path, body)
    assert code == 1 and "pricer -> optimizer" in printed
    assert 'model.compile(loss="mae", optimizer=keras.optimizers.SGD(0.05))' in printed


def test_a_slash_in_a_layer_name_gets_a_name_without_it(tmp_path):
    body = """
stem = keras.Sequential([keras.Input((16, 2)), L.Conv1D(4, 3, name={name})], name="stem")
"""
    code, printed = check_script(tmp_path, body.format(name='"stem/conv"'))
    assert code == 1 and 'name="stem_conv"' in printed and "stem/conv" in printed  # diag15's reader (_explain_settings)
    code, printed = check_script(tmp_path, body.format(name='"stem_conv"'))
    assert code == 0, printed


def test_one_hot_labels_with_too_few_classes_count_them_all(tmp_path):
    body = _TOWER + """
model = keras.Model(feats, L.Dense(3, activation="softmax", name="grade")(tower(feats)), name="grader")
model.compile("adam", "categorical_crossentropy")
grades = np.array([0, 1, 2, 2, 1, 0])
onehot = keras.utils.to_categorical(grades, num_classes={n})
model.fit(np.random.rand(6, 5), onehot, verbose=0)
"""
    code, printed = check_script(tmp_path, body.format(n=2))
    assert code == 1 and "keras.utils.to_categorical(grades, num_classes=3)" in printed
    assert "The head then needs" not in printed  # the head has 3 units already
    code, printed = check_script(tmp_path, body.format(n=3))
    assert code == 0, printed


def test_an_input_in_the_middle_of_a_sequential_is_left_out(tmp_path):
    body = """
head = keras.Sequential([keras.Input((6,)), L.Dense(2, name="out")], name="head")
model = keras.Sequential([keras.Input((9,)), L.Dense(6, name="squeeze"), {middle}head], name="stack")
model.compile("adam", "mse")
model.fit(np.random.rand(4, 9), np.random.rand(4, 2), verbose=0)
"""
    code, printed = check_script(tmp_path, body.format(middle="keras.Input((6,)), "))
    assert code == 1 and "keras.Input((6,)) -> stack" in printed
    assert 'keras.Sequential([keras.Input((9,)), L.Dense(6, name="squeeze"), head], ...)' in printed
    code, printed = check_script(tmp_path, body.format(middle=""))
    assert code == 0, printed


def test_an_rnn_cell_without_state_size_is_told_where_its_width_is(tmp_path):
    body = """
class Minimal(keras.layers.Layer):
    def __init__(self, hidden_size, **kw):
        super().__init__(**kw)
        self.hidden_size = hidden_size
        {state}self.mix = L.Dense(hidden_size, activation="tanh")
    def call(self, x, states):
        h = self.mix(keras.ops.concatenate([x, states[0]], axis=-1))
        return h, [h]
steps = keras.Input((7, 2), name="steps")
encoder = keras.Model(steps, L.RNN(Minimal(3, name="minimal"), name="rnn")(steps), name="encoder")
"""
    code, printed = check_script(tmp_path, body.format(state=""))
    assert code == 1 and "Minimal -> RNN" in printed and "self.state_size = self.hidden_size" in printed
    code, printed = check_script(tmp_path, body.format(state="self.state_size = self.hidden_size\n        "))
    assert code == 0, printed


def test_a_numpy_function_on_a_symbolic_tensor_gets_the_keras_op(tmp_path):
    body = """
frames = keras.Sequential([keras.Input((6, 3)), L.Dense(5, name="proj")], name="frames")
clip = keras.Input((6, 3), name="clip")
pooled = {pool}(frames(clip), axis=1)
model = keras.Model(clip, L.Dense(1, name="score")(pooled), name="scorer")
"""
    code, printed = check_script(tmp_path, body.format(pool="np.max"))
    assert code == 1 and "np.max is a NumPy function" in printed and "keras.ops.max(frames(clip), axis=1)" in printed
    code, printed = check_script(tmp_path, body.format(pool="keras.ops.max"))
    assert code == 0, printed


def test_predict_inside_call_is_replaced_by_calling_the_part(tmp_path):
    # TensorFlow and JAX fail while tracing; PyTorch runs it and the backbone never trains (a --strict warning)
    body = """
backbone = keras.Sequential([keras.Input((4,)), L.Dense(3, name="embed")], name="backbone")
class Ranker(keras.Model):
    def __init__(self):
        super().__init__(name="ranker")
        self.backbone = backbone
        self.score = L.Dense(1, name="score")
    def call(self, inputs):
        z = {z}
        return self.score(z)
model = Ranker()
model.compile("sgd", "mse")
model.fit(np.random.rand(6, 4), np.random.rand(6, 1), verbose=0)
"""
    code, printed = check_script(tmp_path, body.format(z="self.backbone.predict(inputs, verbose=0)"), strict=True)
    assert code == 1 and "ranker/backbone" in printed and "z = self.backbone(inputs)" in printed
    code, printed = check_script(tmp_path, body.format(z="self.backbone(inputs)"), strict=True)
    assert code == 0, printed


def test_dropout_on_integer_ids_goes_after_the_embedding(tmp_path):
    body = """
reader = keras.Sequential([keras.Input((10,), dtype="int32"), {drop}L.Embedding(40, 4, name="vectors"),
                           {after}L.GlobalAveragePooling1D(), L.Dense(1, name="out")], name="reader")
model = keras.Sequential([keras.Input((10,), dtype="int32"), reader], name="model_")
model.compile("adam", "mse")
model.fit(np.random.randint(0, 40, (4, 10)), np.random.rand(4, 1), verbose=0)
"""
    code, printed = check_script(tmp_path, body.format(drop='L.Dropout(0.3, name="drop_ids"), ', after=""))
    assert code == 1 and "drop_ids gets integer ids" in printed and "after the Embedding" in printed
    code, printed = check_script(tmp_path, body.format(drop="", after='L.Dropout(0.3, name="drop_vectors"), '))
    assert code == 0, printed


def test_labels_outside_zero_one_for_a_binary_loss_are_mapped(tmp_path):
    body = _TOWER + """
model = keras.Model(feats, L.Dense(1, activation="sigmoid", name="spam")(tower(feats)), name="filter")
model.compile("adam", "binary_crossentropy")
y = np.array([1, 2, 2, 1, 2, 1, 1, 2]){mapped}
model.fit(np.random.rand(8, 5), y, verbose=0)
"""
    code, printed = check_script(tmp_path, body.format(mapped=""), strict=True)
    assert code == 1 and "the labels run 1..2" in printed and 'y = (y == 2).astype("float32")' in printed
    code, printed = check_script(tmp_path, body.format(mapped='\ny = (y == 2).astype("float32")'), strict=True)
    assert code == 0, printed


def test_fractional_labels_for_a_sparse_loss_are_named(tmp_path):
    body = _TOWER + """
model = keras.Model(feats, L.Dense(4, activation="softmax", name="stars")(tower(feats)), name="rater")
model.compile("adam", "sparse_categorical_crossentropy")
model.fit(np.random.rand(6, 5), np.array([0.0, 1.0, 2.5, 3.0, 1.2, 2.0]), verbose=0)
"""
    code, printed = check_script(tmp_path, body, strict=True)
    assert code == 1 and "2 of 6 labels have fractions" in printed and "rater/stars" in printed
    code, printed = check_script(tmp_path, body.replace("2.5", "2.0").replace("1.2", "1.0"), strict=True)
    assert code == 0, printed


def test_a_loss_weight_keyed_by_no_output_is_named_with_the_output_meant(tmp_path):
    # Keras 3 leaves it unused without a word (a metric keyed so fails in fit, and is explained there)
    body = _TOWER + """
h = tower(feats)
model = keras.Model(feats, {{"size": L.Dense(1, name="size")(h), "color": L.Dense(3, activation="softmax",
                    name="color")(h)}}, name="shop")
model.compile("adam", {{"size": "mse", "color": "sparse_categorical_crossentropy"}},
              loss_weights={{{key}: 2.0, "color": 1.0}})
model.fit(np.random.rand(6, 5), {{"size": np.random.rand(6, 1), "color": np.random.randint(0, 3, 6)}}, verbose=0)
"""
    code, printed = check_script(tmp_path, body.format(key='"sizes"'), strict=True)
    assert code == 1 and "loss_weights= names 'sizes'" in printed
    assert 'loss_weights={"size": 2.0, "color": 1.0}' in printed
    code, printed = check_script(tmp_path, body.format(key='"size"'), strict=True)
    assert code == 0, printed


def test_a_model_passed_bare_beside_called_parts_is_called_on_their_tensor(tmp_path):
    body = """
left = keras.Sequential([keras.Input((3,)), L.Dense(2, name="l")], name="left")
right = keras.Sequential([keras.Input((3,)), L.Dense(2, name="r")], name="right")
pair = keras.Input((3,), name="pair")
joined = L.Concatenate(name="join")([left(pair), {right}])
model = keras.Model(pair, joined, name="both")
"""
    code, printed = check_script(tmp_path, body.format(right="right"))
    assert code == 1 and 'joined = L.Concatenate(name="join")([left(pair), right(pair)])' in printed
    code, printed = check_script(tmp_path, body.format(right="right(pair)"))
    assert code == 0, printed


def test_a_categorical_loss_on_one_unit_is_not_told_to_add_softmax(tmp_path):
    body = _TOWER + """
model = keras.Model(feats, L.Dense(1, name="logit")(tower(feats)), name="yesno")
model.compile("adam", "categorical_crossentropy")
model.fit(np.random.rand(8, 5), np.random.randint(0, 2, (8, 1)).astype("float32"), verbose=0)
"""
    code, printed = check_script(tmp_path, body, strict=True)
    assert code == 1 and "always 1.0" in printed
    assert 'activation="softmax"' not in printed  # softmax over one unit would be another mistake
