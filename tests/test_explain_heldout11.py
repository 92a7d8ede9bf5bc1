"""The mechanisms added for the eleventh held-out set (tests/corpus/163-172), each tested on other small models than
the corpus cases: other layers, names, sizes, callbacks and data."""

from __future__ import annotations

import keras
import pytest

from tests.corpus_cases import check_script

pytestmark = pytest.mark.core


_script = check_script


# A tagger with a nested body, compiled for a regression target: 5 features in, 1 value out.
_NET = ("body = keras.Sequential([keras.Input((5,)), L.Dense(3, name='mix')], name='body')\n"
        "s_in = keras.Input((5,), name='signal')\n"
        "net = keras.Model(s_in, L.Dense(1, name='level')(body(s_in)), name='meter')\n"
        "xs = np.random.rand(6, 5).astype('float32')\nys = np.random.rand(6, 1).astype('float32')\n")


# --- lint: silent ---------------------------------------------------------------------------------------------

def test_categorical_loss_over_one_linear_unit_in_a_nested_head_asks_for_binary_logits():
    from kernest._lint import lint

    keras.backend.clear_session(free_memory=False)
    head = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, name="spam_logit")], name="head")
    x_in = keras.Input((4,), name="mail")
    model = keras.Model(x_in, head(x_in), name="filter")
    model.compile("adam", keras.losses.CategoricalCrossentropy())
    found = [f for f in lint(model) if "always 1.0" in f.problem]
    assert len(found) == 1 and found[0].path == "head/spam_logit" and found[0].interface == "head -> loss"
    assert "loss=keras.losses.BinaryCrossentropy(from_logits=True)" in found[0].fix
    model.compile("adam", "sparse_categorical_crossentropy")  # a sparse loss over one unit is another story
    assert not [f for f in lint(model) if "always 1.0" in f.problem]


def test_initial_epoch_at_or_past_epochs_is_found_with_the_epochs_to_pass(tmp_path):
    code, printed = _script(tmp_path, _NET + (
        "net.compile('sgd', 'mse')\n"
        "net.fit(xs, ys, epochs=2, initial_epoch=4, verbose=0)\n"), strict=True)
    assert code == 1 and "meter: meter -> fit" in printed and "epochs=6" in printed


def test_a_learning_rate_scheduler_on_a_piecewise_schedule_optimizer_gets_its_first_rate(tmp_path):
    code, printed = _script(tmp_path, _NET + (
        "steps = keras.optimizers.schedules.PiecewiseConstantDecay([10], [0.05, 0.01])\n"
        "net.compile(keras.optimizers.SGD(learning_rate=steps), 'mse')\n"
        "halve = keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)\n"
        "net.fit(xs, ys, epochs=2, callbacks=[halve], verbose=0)\n"))
    assert code == 1 and "meter: optimizer -> LearningRateScheduler" in printed
    assert "keras.optimizers.SGD(learning_rate=0.05)" in printed


def test_a_schedule_function_without_a_return_on_later_epochs_is_stopped_before_fit_meets_it(tmp_path):
    code, printed = _script(tmp_path, _NET + (
        "def warmup(epoch, lr):\n    if epoch < 1:\n        return lr\n"
        "net.compile('sgd', 'mse')\n"
        "net.fit(xs, ys, epochs=3, callbacks=[keras.callbacks.LearningRateScheduler(warmup)], verbose=0)\n"))
    assert code == 1 and "meter: warmup -> LearningRateScheduler" in printed
    assert "None (no return on that path) for epoch 1" in printed and "`return lr`" in printed


def test_a_schedule_returning_a_keras_tensor_is_wrapped_in_float(tmp_path):
    code, printed = _script(tmp_path, _NET + (
        "def decay(epoch, lr):\n    return keras.ops.multiply(lr, 0.9)\n"
        "net.compile('sgd', 'mse')\n"
        "net.fit(xs, ys, epochs=2, callbacks=[keras.callbacks.LearningRateScheduler(decay)], verbose=0)\n"))
    assert code == 1 and "meter: decay -> LearningRateScheduler" in printed
    assert "return float(keras.ops.multiply(lr, 0.9))" in printed


# --- explain: errors ------------------------------------------------------------------------------------------

def test_a_dataset_batched_after_a_map_keeps_the_users_statement_without_its_last_batch(tmp_path):
    code, printed = _script(tmp_path, _NET + (
        "net.compile('adam', 'mse')\n"
        "base = tf.data.Dataset.from_tensor_slices((xs, ys)).batch(2)\n"
        "steps_ds = base.map(lambda a, b: (a * 2.0, b)).batch(3)\n"
        "net.fit(steps_ds, epochs=1, verbose=0)\n"))
    assert code == 1 and "meter: data -> meter" in printed
    assert "steps_ds = base.map(lambda a, b: (a * 2.0, b))" in printed


def test_a_single_loss_weight_for_two_outputs_gets_keras_default_weight_for_the_other(tmp_path):
    code, printed = _script(tmp_path, (
        "trunk = keras.Sequential([keras.Input((3,)), L.Dense(4, name='h')], name='trunk')\n"
        "a_in = keras.Input((3,), name='obs')\nfeat = trunk(a_in)\n"
        "duo = keras.Model(a_in, [L.Dense(1, name='speed')(feat), L.Dense(1, name='angle')(feat)], name='duo')\n"
        "duo.compile('adam', loss=['mse', 'mae'], loss_weights=[0.3])\n"
        "duo.fit(np.zeros((4, 3)), [np.zeros((4, 1)), np.zeros((4, 1))], epochs=1, verbose=0)\n"))
    assert code == 1 and "duo: duo -> loss_weights" in printed and "loss_weights=[0.3, 1.0]" in printed


def test_an_unbuilt_subclassed_model_is_built_for_what_its_later_predict_gets(tmp_path):
    code, printed = _script(tmp_path, (
        "class Scorer(keras.Model):\n"
        "    def __init__(self, **kw):\n        super().__init__(**kw)\n"
        "        self.inner = keras.Sequential([L.Dense(4, name='h')], name='inner')\n"
        "        self.out = L.Dense(1, name='out')\n"
        "    def call(self, x):\n        return self.out(self.inner(x))\n"
        "readings = np.random.rand(3, 7).astype('float32')\n"
        "scorer = Scorer(name='scorer')\nprint(scorer.count_params())\nscorer.predict(readings, verbose=0)\n"))
    assert code == 1 and "scorer: readings -> scorer" in printed and "scorer(readings[:1])" in printed
    assert "scorer.build(" not in printed  # Keras' own build() would mark it built with no weights (0 parameters)


def test_a_nested_custom_layer_holding_a_layer_gets_get_config_with_all_its_arguments(tmp_path):
    code, printed = _script(tmp_path, (
        "@keras.saving.register_keras_serializable(package='t11')\n"
        "class Residual(L.Layer):\n"
        "    def __init__(self, inner, scale=0.5, **kw):\n"
        "        super().__init__(**kw)\n        self.inner = inner\n        self.scale = scale\n"
        "    def call(self, x):\n        return x + self.scale * self.inner(x)\n"
        "block = keras.Sequential([keras.Input((6,)), Residual(L.Dense(6), name='res')], name='block')\n"
        "r_in = keras.Input((6,), name='feats')\n"
        "stack = keras.Model(r_in, L.Dense(2, name='cls')(block(r_in)), name='stack')\n"
        "stack.save(os.path.join(tempfile.mkdtemp(), 'stack.keras'))\n"))
    assert code == 1 and "block/res: stack -> file" in printed
    assert '"inner": keras.saving.serialize_keras_object(self.inner)' in printed and '"scale": self.scale' in printed
    assert 'keras.saving.deserialize_keras_object(config.pop("inner"))' in printed


def test_from_generator_without_shapes_gets_the_shapes_of_the_first_element(tmp_path):
    if keras.backend.backend() != "tensorflow":
        pytest.skip("JAX and PyTorch run a dataset of unknown element shapes without an error")
    code, printed = _script(tmp_path, (
        "frames = np.random.rand(4, 4, 4, 1).astype('float32')\n"
        "def pairs():\n    for f in frames:\n        yield f, 1\n"
        "cnn = keras.Sequential([keras.Input((4, 4, 1)), L.Conv2D(2, 3, name='c'), L.Flatten(name='f')], name='cnn')\n"
        "i_in = keras.Input((4, 4, 1), name='frame')\n"
        "clf = keras.Model(i_in, L.Dense(2, activation='softmax', name='p')(cnn(i_in)), name='clf')\n"
        "clf.compile('adam', 'sparse_categorical_crossentropy')\n"
        "stream = tf.data.Dataset.from_generator(pairs, output_types=(tf.float32, tf.int32)).batch(2)\n"
        "clf.fit(stream, epochs=1, verbose=0)\n"))
    assert code == 1 and "clf: data -> clf" in printed
    assert "output_shapes=((4, 4, 1), ())" in printed


def test_a_forward_pass_before_the_tape_in_a_train_step_function_is_moved_into_it(tmp_path):
    if keras.backend.backend() != "tensorflow":
        pytest.skip("tf.GradientTape is TensorFlow's")
    code, printed = _script(tmp_path, _NET + (
        "opt = keras.optimizers.SGD(0.1)\n"
        "def train_step(xb, yb):\n"
        "    logits = net(xb)\n"
        "    with tf.GradientTape() as g:\n"
        "        loss = keras.ops.mean(keras.ops.abs(logits - yb))\n"
        "    opt.apply_gradients(zip(g.gradient(loss, net.trainable_variables), net.trainable_variables))\n"
        "train_step(xs, ys)\n"))
    assert code == 1 and "meter: meter -> GradientTape" in printed
    assert "with tf.GradientTape() as g:\n    logits = net(xb)\n    loss = " in printed


def test_explain_on_the_raw_error_finds_the_rate_setting_callback_on_the_fit_line():
    import numpy as np

    import kernest

    keras.backend.clear_session(free_memory=False)
    inner = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="h")], name="inner")
    v_in = keras.Input((3,), name="v")
    model = keras.Model(v_in, keras.layers.Dense(1, name="y")(inner(v_in)), name="probe")
    decay = keras.optimizers.schedules.InverseTimeDecay(0.1, decay_steps=10, decay_rate=0.5)
    model.compile(keras.optimizers.SGD(learning_rate=decay), "mse")
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="loss", patience=0, min_delta=1e9)
    with pytest.raises(TypeError) as raised:
        model.fit(np.zeros((4, 3)), np.zeros((4, 1)), epochs=2, callbacks=[plateau], verbose=0)
    err = kernest.explain(raised.value)
    assert err is not None and err.path == "probe" and err.interface == "optimizer -> ReduceLROnPlateau"
    assert "keras.optimizers.SGD(learning_rate=0.1)" in err.fix
