"""Probe models, round 12 (``tests/user_scripts/probe12``): each rule checked the way ``kernest check
script.py`` does, on other models, layers, names and sizes than its probe."""

from __future__ import annotations

import keras
import pytest

from tests.corpus_cases import check_script

pytestmark = pytest.mark.core


def test_a_frozen_nested_encoder_can_be_rebuilt_for_the_width_it_gets(tmp_path):
    # frozen (trainable=False) kernels are still kernels: a new input width makes new ones, nothing learned from
    # data is lost, so the rebuild is offered; an adapted Normalization inside still blocks it
    body = """
seq = keras.Input((20, 4))
h = {first}(seq)
h = L.Conv1D(8, 3, activation="relu")(h)
sensor_enc = keras.Model(seq, L.GlobalMaxPooling1D()(h), name="sensor_enc")
{adapt}sensor_enc.trainable = False
readings = keras.Input((20, 2), name="readings")
out = L.Dense(1)(sensor_enc(readings, training=False))
model = keras.Model(readings, out, name="monitor")
model.compile("adam", "mse")
model.fit(np.random.rand(8, 20, 2), np.random.rand(8, 1), verbose=0)
"""
    code, printed = check_script(tmp_path, body.format(first="L.Dropout(0.1)", adapt=""))
    assert code == 1 and "sensor_enc" in printed, printed
    assert "rebuild sensor_enc with keras.Input(shape=(20, 2))" in printed, printed
    assert "does not work as it is" not in printed, printed
    norm = body.format(first="L.Normalization(name='norm')", adapt="sensor_enc.get_layer('norm').adapt("
                       "np.random.rand(16, 20, 4).astype('float32'))\n")
    code, printed = check_script(tmp_path, norm)
    assert code == 1 and "does not work as it is: norm is made for 4 features" in printed, printed


def test_class_weight_on_two_outputs_weighs_the_output_of_whole_number_labels_only(tmp_path):
    # labels of 0./1. made float by astype are class ids; a continuous target beside them gets ones
    body = """
x_in = keras.Input((9,))
core = keras.Sequential([L.Dense(12, activation="tanh")], name="core")
h = core(x_in)
churn = L.Dense(1, activation="sigmoid", name="churn")(h)
spend = L.Dense(1, name="spend")(h)
model = keras.Model(x_in, [churn, spend], name="crm")
model.compile("adam", loss=["binary_crossentropy", "mae"])
X = np.random.rand(40, 9)
y_churn = (np.random.rand(40, 1) > 0.8).astype("float32")
y_spend = np.random.rand(40, 1) * 100
model.fit(X, [y_churn, y_spend], class_weight={0: 0.5, 1: 4.0}, verbose=0)
"""
    code, printed = check_script(tmp_path, body)
    assert code == 1 and "class_weight only to a model with one output" in printed, printed
    assert ("sample_weight=[np.vectorize({0: 0.5, 1: 4.0}.get)(y_churn).reshape(-1), np.ones(len(y_spend))]"
            in printed), printed


def test_sample_weight_in_another_structure_than_the_labels_is_rewritten_in_theirs(tmp_path):
    body = """
inp = keras.Input((6,))
shared = keras.Model(inp, L.Dense(10, activation="relu")(inp), name="shared")
x = keras.Input((6,), name="x")
z = shared(x)
model = keras.Model(x, {{"age": L.Dense(1, name="age")(z), "sex": L.Dense(1, activation="sigmoid", name="sex")(z)}},
                    name="face")
model.compile("adam", loss={{"age": "mse", "sex": "binary_crossentropy"}})
n = 24
labels = {{"age": np.random.rand(n, 1), "sex": np.random.randint(0, 2, (n, 1))}}
{weights}
model.fit(np.random.rand(n, 6), labels, sample_weight=w, verbose=0)
"""
    code, printed = check_script(tmp_path, body.format(weights="w = [np.ones(n), np.full(n, 2.0)]"))
    assert code == 1 and "face" in printed, printed
    assert 'sample_weight={"age": w[0], "sex": w[1]}' in printed, printed
    keyed = body.format(weights='w = {"sex": np.full(n, 2.0), "years": np.ones(n)}')
    code, printed = check_script(tmp_path, keyed)
    assert code == 1 and 'sample_weight={"age": w[\'years\'], "sex": w[\'sex\']}' in printed, printed


def test_a_float32_tensor_made_in_call_under_mixed_precision_is_made_in_the_compute_dtype(tmp_path):
    if keras.backend.backend() != "tensorflow":
        pytest.skip("JAX and PyTorch promote float16 with float32; only TensorFlow refuses to mix them")
    body = """
keras.mixed_precision.set_global_policy("mixed_float16")


class Taper(L.Layer):
    def call(self, inputs):
        window = keras.ops.convert_to_tensor(np.hanning(16), "float32")
        return inputs * window


frames = keras.Sequential([keras.Input((5, 16)), L.Dense(16), Taper(name="taper")], name="frames")
wave = keras.Input((5, 16), name="wave")
out = L.Dense(2, activation="softmax", dtype="float32")(L.Flatten()(frames(wave)))
model = keras.Model(wave, out, name="audio")
model.compile("adam", "sparse_categorical_crossentropy")
model.fit(np.random.rand(8, 5, 16), np.random.randint(0, 2, (8,)), verbose=0)
"""
    code, printed = check_script(tmp_path, body)
    assert code == 1 and "taper" in printed and "mixed_float16" in printed, printed
    assert ("`window = keras.ops.convert_to_tensor(np.hanning(16), self.compute_dtype)`" in printed), printed


def test_a_stateful_rnn_in_a_nested_model_gets_the_batch_size_on_the_outer_input(tmp_path):
    body = """
tracker = keras.Sequential([L.Dense(6), L.GRU(5, stateful=True)], name="tracker")
frames_in = keras.Input(shape=(7, 2), name="frames_in")
pred = L.Dense(3)(tracker(frames_in))
net = keras.Model(frames_in, pred, name="tracking")
net.compile("sgd", "mse")
net.fit(np.random.rand(12, 7, 2), np.random.rand(12, 3), batch_size=4, shuffle=False, verbose=0)
"""
    code, printed = check_script(tmp_path, body)
    assert code == 1 and "tracker/gru" in printed and "stateful" in printed, printed
    assert 'frames_in = keras.Input(shape=(7, 2), name="frames_in", batch_size=4)' in printed, printed


def test_a_two_output_encoder_fed_to_an_unbuilt_head_offers_each_output_per_sample_first(tmp_path):
    body = """
tok = keras.Input((12,), dtype="int32")
seq = L.LSTM(6, return_sequences=True)(L.Embedding(50, 8)(tok))
reader = keras.Model(tok, [seq, L.GlobalMaxPooling1D()(seq)], name="reader")
words = keras.Input((12,), dtype="int32", name="words")
topic = L.Dense(4, activation="softmax", name="topic")(reader(words))
model = keras.Model(words, topic)
"""
    code, printed = check_script(tmp_path, body)
    assert code == 1 and "reader has 2 outputs" in printed, printed
    assert ("reader(words)[1] ((batch, 6): one vector per sample) or reader(words)[0] ((batch, 12, 6): one vector "
            "per step)") in printed, printed


def test_a_nested_model_fed_a_tensor_made_in_the_users_call_is_rebuilt_for_it(tmp_path):
    body = """
class Matcher(keras.Model):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.proj = L.Dense(8)
        self.head = keras.Sequential([keras.Input((8,)), L.Dense(4, activation="relu"), L.Dense(1)], name="head")

    def call(self, x):
        left, right = self.proj(x[:, :5]), self.proj(x[:, 5:])
        return self.head(keras.ops.concatenate([left, right, left * right], axis=-1))


model = Matcher(name="matcher")
model.compile("adam", "mse")
model.fit(np.random.rand(16, 10).astype("float32"), np.random.rand(16, 1).astype("float32"), verbose=0)
"""
    code, printed = check_script(tmp_path, body)
    assert code == 1 and "matcher/head" in printed, printed
    assert "Matcher.call gives head a tensor of 24 features" in printed, printed
    assert "its Input as keras.Input((24,))" in printed, printed
    # call passing its own argument on as it came: the data is what differs, not what call makes
    passed_on = """
class Wrapper(keras.Model):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.head = keras.Sequential([keras.Input((8,)), L.Dense(1)], name="head")

    def call(self, x):
        return self.head(x)


model = Wrapper(name="wrapper")
model.compile("adam", "mse")
model.fit(np.random.rand(16, 10).astype("float32"), np.random.rand(16, 1).astype("float32"), verbose=0)
"""
    code, printed = check_script(tmp_path, passed_on)
    assert code == 1 and "head" in printed and "Wrapper.call gives" not in printed, printed


def test_a_layer_of_another_framework_names_the_backend_it_needs(tmp_path):
    # on PyTorch a JaxLayer, elsewhere a TorchModuleWrapper: each needs a backend the script does not run on
    if keras.backend.backend() == "torch":
        wrapper = 'L.JaxLayer(lambda params, inputs: inputs @ params["w"], params={"w": np.ones((5, 3), "float32")}, name="mix")'
        wanted = ['JaxLayer mix runs JAX functions', 'os.environ["KERAS_BACKEND"] = "jax"']
    else:
        wrapper = 'L.TorchModuleWrapper(torch.nn.Linear(5, 3), name="mix")'
        wanted = ["TorchModuleWrapper mix runs a torch.nn.Module", 'os.environ["KERAS_BACKEND"] = "torch"',
                  "write mix with Keras layers: keras.layers.Dense(3)"]
    body = f"""
import torch
feats = keras.Input((5,), name="feats")
mixed = {wrapper}(feats)
model = keras.Model(feats, L.Dense(1)(mixed), name="blend")
model.compile("adam", "mse")
model.fit(np.random.rand(8, 5).astype("float32"), np.random.rand(8, 1).astype("float32"), verbose=0)
"""
    code, printed = check_script(tmp_path, body)
    assert code == 1 and "mix" in printed, printed
    for text in wanted:
        assert text in printed, printed


def test_a_gradient_tape_train_step_on_pytorch_is_rewritten_with_backward(tmp_path):
    if keras.backend.backend() != "torch":
        pytest.skip("the tape runs on TensorFlow; on JAX Keras calls train_step(state, data), another rule")
    body = """
class Denoiser(keras.Model):
    def __init__(self, net, **kw):
        super().__init__(**kw)
        self.net = net

    def call(self, x):
        return self.net(x)

    def train_step(self, batch):
        clean, _ = batch
        noisy = clean + 0.1
        with tf.GradientTape() as g:
            loss = keras.ops.mean(keras.ops.square(self(noisy, training=True) - clean))
        deltas = g.gradient(loss, self.trainable_weights)
        self.optimizer.apply(deltas, self.trainable_weights)
        return {"loss": loss}


x_in = keras.Input((6,))
net = keras.Model(x_in, L.Dense(6)(L.Dense(4, activation="tanh")(x_in)), name="net")
model = Denoiser(net, name="denoiser")
model.compile("adam")
data = np.random.rand(16, 6).astype("float32")
model.fit(data, data, verbose=0)
"""
    code, printed = check_script(tmp_path, body)
    assert code == 1 and "denoiser" in printed and "tf.GradientTape" in printed, printed
    for line in ("self.zero_grad()", "loss.backward()", "deltas = [v.value.grad for v in self.trainable_weights]",
                 "with torch.no_grad():", "self.optimizer.apply(deltas, self.trainable_weights)"):
        assert line in printed, printed
