"""The diagnosis engine's known limits, round 9 (session 31): another backend's function (tf.image.resize,
tf.one_hot ...) in a Lambda or a user's call on JAX/PyTorch; NumPy, convert_to_numpy or .numpy() in a user's call
that PyTorch ran anyway; the eighteenth set's rules reading helpers (a tape's loss helper, train_step's zero_grad
helper) and per-output metrics; the cut-graph rule inside a function or a method; a deliberate two-tower model
(quiet). Each rule on its limit's script (tests/user_scripts/limits/l61_ to l68_), its printed fix applied, and on
models of its own."""

from __future__ import annotations

from pathlib import Path

import keras
import pytest

from tests.corpus_cases import check_script, kernest_check

pytestmark = pytest.mark.core

LIMITS = Path(__file__).parent / "user_scripts" / "limits"
BACKEND = keras.backend.backend()

not_tensorflow = pytest.mark.skipif(BACKEND == "tensorflow", reason="TensorFlow's own functions run on TensorFlow")
tensorflow_only = pytest.mark.skipif(BACKEND != "tensorflow", reason="tf.GradientTape is TensorFlow's")
torch_only = pytest.mark.skipif(BACKEND != "torch", reason="only PyTorch runs fit eagerly and has zero_grad")


def _fixed_passes(tmp_path: Path, script: str, *changes: tuple[str, str]) -> None:
    """The limit's script with the printed fix applied (each ``old`` -> ``new``, one place) passes ``--strict``."""
    text = (LIMITS / script).read_text()
    for old, new in changes:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    fixed = tmp_path / script
    fixed.write_text(text)
    keras.backend.clear_session(free_memory=False)
    code, printed = kernest_check(fixed, strict=True)
    assert code == 0 and "warning:" not in printed, printed


def _checked(script: str, *fixes: str, strict: bool = True) -> str:
    keras.backend.clear_session(free_memory=False)
    code, printed = kernest_check(LIMITS / script, strict=strict)
    assert code == 1 and all(fix in printed for fix in fixes), printed
    assert "Traceback" not in printed, printed
    return printed


def _quiet_script(script: str) -> None:
    keras.backend.clear_session(free_memory=False)
    code, printed = kernest_check(LIMITS / script, strict=True)
    assert code == 0 and "warning:" not in printed, printed


def _quiet(tmp_path: Path, body: str) -> None:
    code, printed = check_script(tmp_path, body, strict=True)
    assert code == 0 and "warning:" not in printed, printed


# --- 1. another backend's function in a Lambda or a user's call ------------------------------------------------------

@not_tensorflow
def test_tf_image_resize_in_a_nested_lambda_is_named_with_its_keras_ops_form(tmp_path):
    printed = _checked("l61_tf_resize_in_lambda_on_jax.py",
                       'layers.Lambda(lambda t: keras.ops.image.resize(t, (32, 32)), name="upsample")', strict=False)
    assert "upsample's function calls TensorFlow (tf.image.resize(t, (32, 32)))" in printed, printed
    _fixed_passes(tmp_path, "l61_tf_resize_in_lambda_on_jax.py", ("tf.image.resize(t", "keras.ops.image.resize(t"))


def test_the_resize_lambda_is_quiet_where_tensorflow_runs_it_and_as_keras_ops_everywhere(tmp_path):
    if BACKEND == "tensorflow":
        _quiet_script("l61_tf_resize_in_lambda_on_jax.py")
    _quiet(tmp_path, (
        "img = keras.Input((4, 4, 2), name='img')\n"
        "up = L.Lambda(lambda t: keras.ops.image.resize(t, (8, 8)), name='up')(img)\n"
        "net = keras.Model(img, L.Dense(1, name='px')(up), name='net')\n"
        "net.compile(optimizer='adam', loss='mse')\n"
        "net.fit(np.random.rand(8, 4, 4, 2).astype('float32'), np.random.rand(8, 8, 8, 1).astype('float32'),"
        " epochs=1, verbose=0)\n"))


@not_tensorflow
def test_tf_reductions_in_a_lambda_of_another_model_become_keras_ops(tmp_path):
    code, printed = check_script(tmp_path, (
        "seq = keras.Input((6, 4), name='seq')\n"
        "pool = L.Lambda(lambda s: tf.nn.softmax(tf.reduce_mean(s, axis=1)), name='pool')\n"
        "summariser = keras.Model(seq, pool(L.Dense(5, name='proj')(seq)), name='summariser')\n"
        "outer_in = keras.Input((6, 4), name='outer_in')\n"
        "net = keras.Model(outer_in, L.Dense(1, name='y')(summariser(outer_in)), name='net')\n"
        "net.compile(optimizer='adam', loss='mse')\n"
        "net.fit(np.random.rand(8, 6, 4).astype('float32'), np.random.rand(8, 1).astype('float32'), epochs=1,"
        " verbose=0)\n"))
    assert code == 1 and "pool's function calls TensorFlow" in printed, printed
    assert "keras.ops.softmax(keras.ops.mean(s, axis=1))" in printed, printed
    assert "Traceback" not in printed, printed


def test_tf_functions_in_a_custom_layers_call_are_named_with_keras_ops(tmp_path):
    if BACKEND == "tensorflow":
        _quiet_script("l62_tf_ops_in_custom_layer_call.py")
    else:  # JAX refuses it while building; PyTorch runs it on the int ids (a --strict warning)
        printed = _checked("l62_tf_ops_in_custom_layer_call.py", "keras.ops.one_hot(ids, self.tags)")
        assert "tagger/bag" in printed, printed
    _fixed_passes(tmp_path, "l62_tf_ops_in_custom_layer_call.py",
                  ("hot = tf.one_hot(ids, self.tags)", "hot = keras.ops.one_hot(ids, self.tags)"),
                  ('tf.cast(tf.reduce_sum(hot, axis=1), "float32")',
                   'keras.ops.cast(keras.ops.sum(hot, axis=1), "float32")'))


@not_tensorflow
def test_tf_concat_in_the_call_of_another_layer_is_named(tmp_path):
    code, printed = check_script(tmp_path, (
        "class WithSquares(L.Layer):\n"
        "    def call(self, x):\n"
        "        return tf.concat([x, tf.square(x)], axis=-1)\n"
        "feat = keras.Input((3,), name='feat')\n"
        "inner = keras.Model(feat, WithSquares(name='squares')(L.Dense(4, name='lin')(feat)), name='inner')\n"
        "top_in = keras.Input((3,), name='top_in')\n"
        "net = keras.Model(top_in, L.Dense(1, name='y')(inner(top_in)), name='net')\n"
        "net.compile(optimizer='adam', loss='mse')\n"
        "net.fit(np.random.rand(8, 3).astype('float32'), np.random.rand(8, 1).astype('float32'), epochs=1,"
        " verbose=0)\n"), strict=True)
    assert code == 1 and "squares" in printed and "keras.ops.concatenate(" in printed, printed
    assert "Traceback" not in printed, printed


# --- 2. values taken out of the graph in a user's call, on PyTorch ---------------------------------------------------

@torch_only
def test_convert_to_numpy_in_call_is_warned_on_torch_and_its_fix_passes(tmp_path):
    printed = _checked("l63_convert_to_numpy_in_call_on_torch.py", "`values = x` (line 11)",
                       "`return ops.convert_to_tensor(ops.sign(values) * ops.log1p(ops.abs(values)))` (line 12)")
    assert "warning: encoder/log_scale: log_scale -> NumPy: LogScale.call takes its tensor's values out" in printed
    _fixed_passes(tmp_path, "l63_convert_to_numpy_in_call_on_torch.py",
                  ("values = ops.convert_to_numpy(x)", "values = x"),
                  ("np.sign(values) * np.log1p(np.abs(values))", "ops.sign(values) * ops.log1p(ops.abs(values))"))


@torch_only
def test_numpy_on_a_detached_tensor_in_a_subclassed_models_call_is_warned_and_constants_are_not(tmp_path):
    code, printed = check_script(tmp_path, (
        "class Clipped(keras.Model):\n"
        "    def __init__(self, **kw):\n"
        "        super().__init__(**kw)\n"
        "        self.body = L.Dense(4, name='body')\n"
        "        self.out = L.Dense(1, name='out')\n"
        "    def call(self, x):\n"
        "        z = keras.ops.convert_to_numpy(self.body(x))\n"
        "        return self.out(keras.ops.convert_to_tensor(np.clip(z, 0.0, 1.0)))\n"
        "net = Clipped(name='clipped')\n"
        "net.compile(optimizer='adam', loss='mse')\n"
        "net.fit(np.random.rand(8, 3).astype('float32'), np.random.rand(8, 1).astype('float32'), epochs=1,"
        " verbose=0)\n"), strict=True)
    assert code == 1 and "Clipped.call takes its tensor's values out" in printed, printed
    assert "`z = self.body(x)`" in printed and "keras.ops.clip(z, 0.0, 1.0)" in printed, printed
    _quiet(tmp_path, (
        "class Scaled(L.Layer):\n"
        "    def __init__(self, units, **kw):\n"
        "        super().__init__(**kw)\n"
        "        self.units = units\n"
        "    def call(self, x):\n"
        "        return x / np.sqrt(self.units)\n"
        "feat = keras.Input((3,), name='feat')\n"
        "net = keras.Model(feat, L.Dense(1, name='y')(Scaled(4, name='scaled')(L.Dense(4, name='h')(feat))),"
        " name='net')\n"
        "net.compile(optimizer='adam', loss='mse')\n"
        "net.fit(np.random.rand(8, 3).astype('float32'), np.random.rand(8, 1).astype('float32'), epochs=1,"
        " verbose=0)\n"))


# --- 3. the eighteenth set's rules: helpers, and metrics per output --------------------------------------------------

@tensorflow_only
def test_a_tape_loop_whose_loss_helper_calls_the_model_without_training_is_warned(tmp_path):
    printed = _checked("l64_tape_loss_through_a_helper.py", "`net(batch, training=True)`")
    assert "`net(batch)` (in compute_loss, line 20, which the tape's block calls)" in printed, printed
    _fixed_passes(tmp_path, "l64_tape_loss_through_a_helper.py", ("probs = net(batch)",
                                                                   "probs = net(batch, training=True)"))


TAPE = ("feats = np.random.rand(8, 5).astype('float32')\n"
        "ys = np.random.rand(8, 1).astype('float32')\n"
        "reg = keras.Sequential([keras.Input((5,)), L.Dense(4, name='h'), L.Dropout(0.5, name='drop'),"
        " L.Dense(1, name='y')], name='reg')\n"
        "opt = keras.optimizers.SGD(0.01)\n"
        "def forward(batch):\n"
        "    return reg(batch{flag})\n"
        "for _ in range(2):\n"
        "    with tf.GradientTape() as tape:\n"
        "        loss = keras.ops.mean((forward(feats) - ys) ** 2)\n"
        "    grads = tape.gradient(loss, reg.trainable_variables)\n"
        "    opt.apply_gradients(zip(grads, reg.trainable_variables))\n")


@tensorflow_only
def test_a_helper_reading_the_global_model_is_followed_and_quiet_with_training_true(tmp_path):
    code, printed = check_script(tmp_path, TAPE.format(flag=""), strict=True)
    assert code == 1 and "`reg(batch)` (in forward," in printed and "`reg(batch, training=True)`" in printed, printed
    _quiet(tmp_path, TAPE.format(flag=", training=True"))


@torch_only
def test_zero_grad_in_a_helper_of_train_step_is_read(tmp_path):
    _quiet_script("l65_zero_grad_in_a_helper.py")
    body = ("import torch\n"
            "def {helper}(m):\n"
            "    {clear}\n"
            "class Reg(keras.Model):\n"
            "    def __init__(self, **kw):\n"
            "        super().__init__(**kw)\n"
            "        self.h = L.Dense(3, name='h')\n"
            "        self.o = L.Dense(1, name='o')\n"
            "    def call(self, x):\n"
            "        return self.o(self.h(x))\n"
            "    def train_step(self, data):\n"
            "        x, y = data\n"
            "        {helper}(self)\n"
            "        loss = self.compute_loss(x=x, y=y, y_pred=self(x, training=True))\n"
            "        loss.backward()\n"
            "        ws = list(self.trainable_weights)\n"
            "        with torch.no_grad():\n"
            "            self.optimizer.apply([w.value.grad for w in ws], ws)\n"
            "        return {{'loss': loss}}\n"
            "net = Reg(name='reg')\n"
            "net.compile(optimizer='sgd', loss='mse')\n"
            "net.fit(np.random.rand(8, 4).astype('float32'), np.random.rand(8, 1).astype('float32'), epochs=2,"
            " batch_size=4, verbose=0)\n")
    _quiet(tmp_path, body.format(helper="clear_grads", clear="m.zero_grad()"))
    code, printed = check_script(tmp_path, body.format(helper="log_step", clear="print(end='')"), strict=True)
    assert code == 1 and "Reg.train_step calls `loss.backward()` but never clears" in printed, printed


def test_precision_given_per_output_in_a_dict_is_named_and_its_fix_passes(tmp_path):
    printed = _checked("l66_precision_per_output_dict.py", "router/queue: router -> metrics",
                       '`"queue": "categorical_crossentropy"` in the loss', strict=False)
    assert "takes class ids as labels for queue, but keras.metrics.Precision()" in printed, printed
    _fixed_passes(tmp_path, "l66_precision_per_output_dict.py",
                  ('"queue": "sparse_categorical_crossentropy"', '"queue": "categorical_crossentropy"'),
                  ('np.random.randint(0, 5, size=(32,))',
                   'keras.utils.to_categorical(np.random.randint(0, 5, size=(32,)), 5)'))


def test_recall_given_as_a_list_per_output_is_named_and_accuracy_is_quiet(tmp_path):
    body = ("x_in = keras.Input((6,), name='x_in')\n"
            "trunk = keras.Model(x_in, L.Dense(8, activation='relu', name='t')(x_in), name='trunk')\n"
            "a_in = keras.Input((6,), name='a_in')\n"
            "h = trunk(a_in)\n"
            "net = keras.Model(a_in, [L.Dense(1, name='score')(h), L.Dense(3, activation='softmax', name='kind')(h)],"
            " name='net')\n"
            "net.compile(optimizer='adam', loss=['mse', 'sparse_categorical_crossentropy'],"
            " metrics=[['mae'], [{metric}]])\n"
            "net.fit(np.random.rand(16, 6).astype('float32'), [np.random.rand(16, 1).astype('float32'),"
            " np.random.randint(0, 3, size=(16,))], epochs=1, verbose=0)\n")
    code, printed = check_script(tmp_path, body.format(metric="keras.metrics.Recall()"))
    assert code == 1 and "takes class ids as labels for kind, but keras.metrics.Recall()" in printed, printed
    _quiet(tmp_path, body.format(metric="'accuracy'"))


# --- 4. the cut-graph rule inside a method; a deliberate two-tower model ----------------------------------------------

def test_an_autoencoder_built_in_a_method_on_the_encoders_output_is_warned_and_its_fix_passes(tmp_path):
    fix = ('`autoencoder = keras.Model(self.encoder.input, self.decoder(self.encoder.output), '
           'name="autoencoder")`')
    printed = _checked("l68_autoencoder_in_a_class_started_at_encoder_output.py", fix)
    assert "autoencoder starts at self.encoder's output" in printed, printed
    _fixed_passes(tmp_path, "l68_autoencoder_in_a_class_started_at_encoder_output.py",
                  ("autoencoder = keras.Model(self.encoder.output,", "autoencoder = keras.Model(self.encoder.input,"))


def test_a_gan_built_inside_a_function_that_returns_only_the_gan_is_warned(tmp_path):
    code, printed = check_script(tmp_path, (
        "def build_gan():\n"
        "    z = keras.Input((10,), name='z')\n"
        "    maker = keras.Model(z, L.Dense(10, name='fake')(L.Dense(16, name='g_h')(z)), name='maker')\n"
        "    s = keras.Input((10,), name='s')\n"
        "    judge = keras.Model(s, L.Dense(1, activation='sigmoid', name='real')(s), name='judge')\n"
        "    judge.trainable = False\n"
        "    combined = keras.Model(maker.output, judge(maker.output), name='combined')\n"
        "    combined.compile(optimizer='adam', loss='binary_crossentropy')\n"
        "    return combined\n"
        "gan = build_gan()\n"
        "gan.fit(np.random.rand(16, 10).astype('float32'), np.ones((16, 1), 'float32'), epochs=1, verbose=0)\n"),
        strict=True)
    assert code == 1 and "warning: combined: maker -> combined: combined starts at maker's output" in printed, printed
    assert "`combined = keras.Model(maker.input, judge(maker.output), name='combined')`" in printed, printed


def test_two_towers_named_for_their_roles_stay_quiet_and_numbered_copies_do_not(tmp_path):
    _quiet_script("l67_two_tower_recommender_same_width.py")
    body = ("def tower(name):\n"
            "    f = keras.Input((6,))\n"
            "    return keras.Model(f, L.Dense(4)(L.Dense(8, activation='relu')(f)), name=name)\n"
            "q, d = keras.Input((6,), name='q'), keras.Input((6,), name='d')\n"
            "one, two = tower('{a}'), tower('{b}')\n"
            "sim = L.Dot(axes=1, normalize=True, name='sim')([one(q), two(d)])\n"
            "net = keras.Model([q, d], L.Dense(1, activation='sigmoid', name='p')(sim), name='net')\n"
            "net.compile(optimizer='adam', loss='binary_crossentropy')\n"
            "net.fit([np.random.rand(16, 6).astype('float32'), np.random.rand(16, 6).astype('float32')],"
            " np.random.randint(0, 2, size=(16, 1)), epochs=1, verbose=0)\n")
    _quiet(tmp_path, body.format(a="query_encoder", b="doc_encoder"))
    code, printed = check_script(tmp_path, body.format(a="encoder_1", b="encoder_2"), strict=True)
    assert code == 1 and "encoder_1 and encoder_2 have the same architecture" in printed, printed


# --- 4c. l55: the wrong axis read in a subclassed model's build(), as code -------------------------------------------

def test_a_head_sized_from_the_steps_in_build_gets_the_statement_rewritten(tmp_path):
    printed = _checked("l55_subclassed_build_reads_the_wrong_axis.py", "Write `steps = input_shape[1] * input_shape[2]`",
                       strict=False)
    assert "forecaster/head/hidden: flat -> head:" in printed, printed
    assert "Forecaster.build sizes head's input from input_shape[1] = 24 (`steps = input_shape[1]`, line 16)" in printed
    _fixed_passes(tmp_path, "l55_subclassed_build_reads_the_wrong_axis.py",
                  ("steps = input_shape[1]\n", "steps = input_shape[1] * input_shape[2]\n"))


def test_a_pooled_head_sized_from_the_steps_gets_the_feature_axis(tmp_path):
    code, printed = check_script(tmp_path, (
        "class Tagger(keras.Model):\n"
        "    def __init__(self, **kw):\n"
        "        super().__init__(**kw)\n"
        "        self.pool = L.GlobalAveragePooling1D(name='pool')\n"
        "    def build(self, shape):\n"
        "        self.top = keras.Sequential([keras.Input((shape[1],)), L.Dense(2, name='logit')], name='top')\n"
        "        super().build(shape)\n"
        "    def call(self, x):\n"
        "        return self.top(self.pool(x))\n"
        "net = Tagger(name='tagger')\n"
        "net.compile(optimizer='adam', loss='mse')\n"
        "net.fit(np.random.rand(8, 10, 7).astype('float32'), np.random.rand(8, 2).astype('float32'), epochs=1,"
        " verbose=0)\n"))
    assert code == 1 and "Tagger.build sizes top's input from shape[1] = 10" in printed, printed
    assert "Write `self.top = keras.Sequential([keras.Input((shape[-1],)), L.Dense(2, name='logit')]" in printed


# --- 5. new probes ---------------------------------------------------------------------------------------------------

def test_a_layer_called_on_a_dict_reads_its_shapes_by_key_in_build(tmp_path):
    fix = 'self.w = self.add_weight(shape=(input_shape["user"][-1] + input_shape["item"][-1], 8), name="w")'
    printed = _checked("l70_dict_input_build_reads_last_axis.py", fix, strict=False)
    assert "fusion is called on a dict of 2 tensors" in printed and "looks up the key -1" in printed, printed
    _fixed_passes(tmp_path, "l70_dict_input_build_reads_last_axis.py", ("shape=(input_shape[-1], 8)",
                  'shape=(input_shape["user"][-1] + input_shape["item"][-1], 8)'))
    code, printed = check_script(tmp_path, (
        "class Gate(L.Layer):\n"
        "    def build(self, shape):\n"
        "        self.k = self.add_weight(shape=(shape[-1], 1), name='k')\n"
        "    def call(self, d):\n"
        "        return keras.ops.sigmoid(keras.ops.matmul(d['signal'], self.k)) * d['signal']\n"
        "s, c = keras.Input((5,), name='s'), keras.Input((3,), name='c')\n"
        "gate = keras.Model({'signal': s, 'context': c}, Gate(name='gate')({'signal': s, 'context': c}), name='g')\n"))
    assert code == 1 and "gate is called on a dict of 2 tensors" in printed, printed
    assert "`self.k = self.add_weight(shape=(shape[\"signal\"][-1], 1), name='k')`" in printed, printed


@torch_only
def test_a_torch_linear_wrapped_for_the_wrong_width_is_named_with_torchs_own_error(tmp_path):
    printed = _checked("l69_torch_module_wrapper_in_features.py", "Build it for 32: `torch.nn.Linear(32, 4)`, and give "
                       "the wrapper output_shape=(None, 4)", strict=False)
    assert "head/proj:" in printed and "mat1 and mat2 shapes cannot be multiplied" in printed, printed
    _fixed_passes(tmp_path, "l69_torch_module_wrapper_in_features.py", (
        'layers.TorchModuleWrapper(torch.nn.Linear(16, 4), name="proj")',
        'layers.TorchModuleWrapper(torch.nn.Linear(32, 4), name="proj", output_shape=(None, 4))'))
    code, printed = check_script(tmp_path, (
        "import torch\n"
        "block = torch.nn.Sequential(torch.nn.LayerNorm(8), torch.nn.Linear(8, 2))\n"
        "seq_in = keras.Input((5, 8), name='seq_in')\n"
        "inner = keras.Model(seq_in, L.TorchModuleWrapper(block, name='torch_block')(seq_in), name='inner')\n"))
    assert code == 1 and "torch_block:" in printed, printed
    assert "`L.TorchModuleWrapper(block, name='torch_block', output_shape=(None, 5, 2))`" in printed, printed
    assert "Traceback" not in printed, printed


# --- a size taken out of the graph cuts no gradient (keras.io's MPNN pads molecules to the largest one) ------------

@pytest.mark.skipif(keras.backend.backend() != "torch",
                    reason="TensorFlow and JAX refuse values taken out of call() at the symbolic build: another answer")
def test_a_count_or_size_taken_out_of_the_graph_stays_quiet_and_a_feature_does_not(tmp_path):
    body = ("class PadGroups(L.Layer):\n"
            "    def call(self, inputs):\n"
            "        feats, group = inputs\n"
            "        sizes = keras.ops.bincount(group, minlength=4)\n"
            "        {line}\n"
            "        return feats * keras.ops.cast(widest, 'float32')\n"
            "f = keras.Input((3,), name='f')\n"
            "g = keras.Input((), dtype='int32', name='g')\n"
            "inner = keras.Model([f, g], PadGroups(name='pad')([L.Dense(3, name='mix')(f), g]), name='inner')\n"
            "net = keras.Model([f, g], L.Dense(1, name='out')(inner([f, g])), name='net')\n"
            "net.compile('sgd', 'mse', run_eagerly=True)\n"
            "net.fit([np.random.rand(8, 3).astype('float32'), np.arange(8) % 4], np.random.rand(8, 1), verbose=0)\n")
    _quiet(tmp_path, body.format(line="widest = int(keras.ops.convert_to_numpy(keras.ops.max(sizes)))"))
    code, printed = check_script(tmp_path, body.format(
        line="widest = keras.ops.convert_to_numpy(keras.ops.max(feats))"), strict=True)
    assert code == 1 and "takes its tensor's values out of the model's graph" in printed, printed


def test_numpy_on_a_list_length_or_a_shape_reads_no_tensor_and_stays_quiet(tmp_path):
    # DLRM's pairwise interaction: the lower triangle's indices from the number of features (a Python int)
    _quiet(tmp_path, (
        "class Pairs(L.Layer):\n"
        "    def call(self, inputs):\n"
        "        stacked = keras.ops.stack(inputs, axis=1)\n"
        "        dots = keras.ops.matmul(stacked, keras.ops.transpose(stacked, (0, 2, 1)))\n"
        "        rows, cols = np.tril_indices(len(inputs), k=-1)\n"
        "        scale = np.sqrt(inputs[0].shape[-1])\n"
        "        flat = keras.ops.reshape(dots, (-1, len(inputs) ** 2))\n"
        "        return keras.ops.take(flat, rows * len(inputs) + cols, axis=1) / scale\n"
        "a, b, c = (keras.Input((4,), name=n) for n in 'abc')\n"
        "inner = keras.Model([a, b, c], Pairs(name='pairs')([L.Dense(4, name='mix')(a), b, c]), name='inner')\n"
        "net = keras.Model([a, b, c], L.Dense(1, name='out')(inner([a, b, c])), name='net')\n"
        "net.compile('sgd', 'mse')\n"
        "net.fit([np.random.rand(8, 4).astype('float32')] * 3, np.random.rand(8, 1), verbose=0)\n"))
