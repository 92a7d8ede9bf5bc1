"""The lead's tenth round of probe models (not corpus cases): a convolution that strides and dilates at once, a
Sequential that starts with a model reading strings, a sublayer's weight read in call() before the sublayer's first
call, a dict input whose key call() reads under another name, NumPy conversions inside call(), and attention given
one vector per sample; each checked the way ``kernest check script.py`` does, with other names and sizes than the
probes."""

from __future__ import annotations

import keras
import pytest

from tests.corpus_cases import check_script

pytestmark = pytest.mark.core

DATA = ("x = np.random.rand(6, 12).astype('float32')\n"
        "y = np.random.rand(6, 1).astype('float32')\n")


def test_a_convolution_that_strides_and_dilates_gets_a_pooling_of_one_step(tmp_path):
    body = """
features = keras.Sequential([keras.Input((16, 16, 3)),
                             L.Conv2D(4, 3, strides={s}, dilation_rate=3, name="wide"),
                             {extra}L.Flatten()], name="features")
image = keras.Input((16, 16, 3), name="image")
model = keras.Model(image, L.Dense(1)(features(image)), name="scorer")
model.compile("adam", "mse")
model.fit(np.random.rand(2, 16, 16, 3).astype("float32"), np.random.rand(2, 1).astype("float32"), verbose=0)
"""
    code, printed = check_script(tmp_path, body.format(s="2", extra=""))
    assert code == 1 and "features/wide" in printed, printed
    # the held-out set 19's reader answers first (its own pooling, then this exact one); either is in the answer
    assert 'dilation_rate=3, name="wide")' in printed and "L.MaxPooling2D(pool_size=1, strides=2)" in printed
    code, printed = check_script(tmp_path, body.format(s="1", extra="L.MaxPooling2D(pool_size=1, strides=2), "))
    assert code == 0, printed


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="string tensors run in a model on TF only")
def test_a_sequential_that_starts_with_a_text_model_gets_a_string_input(tmp_path):
    body = """
words = keras.Input((1,), dtype="string", name="word")
to_ids = keras.Model(words, L.StringLookup(vocabulary=["low", "mid", "high"], name="ids")(words), name="to_ids")
model = keras.Sequential([{first}to_ids, L.Embedding(5, 3), L.Flatten(), L.Dense(1)], name="level_model")
model.compile("adam", "mse")
text = np.array([["low"], ["high"], ["mid"]])
model.fit({data}, np.random.rand(3, 1).astype("float32"), verbose=0)
"""
    code, printed = check_script(tmp_path, body.format(first="", data="text"))
    assert code == 1 and "level_model/to_ids" in printed, printed
    assert ('keras.Sequential([keras.Input((1,), dtype="string"), to_ids, L.Embedding(5, 3)' in printed
            and "tf.constant(text)" in printed), printed
    code, printed = check_script(tmp_path, body.format(first='keras.Input((1,), dtype="string"), ',
                                                       data="tf.constant(text)"))
    assert code == 0, printed


def test_a_sublayer_weight_read_before_its_first_call_is_moved_below_it(tmp_path):
    body = DATA + """
class Mirror(keras.layers.Layer):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.proj = L.Dense(12, name="proj")
    def call(self, x):
{first}
{second}
        return h + keras.ops.matmul(x, w)

inp = keras.Input((12,), name="vec")
model = keras.Model(inp, L.Dense(1)(Mirror(name="mirror")(inp)), name="echo")
model.compile("adam", "mse")
model.fit(x, y, verbose=0)
"""
    read, call = "        w = self.proj.kernel", "        h = self.proj(x)"
    code, printed = check_script(tmp_path, body.format(first=read, second=call))
    assert code == 1 and "mirror/proj" in printed, printed
    assert "Move `w = self.proj.kernel` below `h = self.proj(x)`" in printed, printed
    code, printed = check_script(tmp_path, body.format(first=call, second=read))
    assert code == 0, printed


def test_a_dict_key_that_call_reads_under_another_name_is_renamed_in_the_users_line(tmp_path):
    body = """
class Joint(keras.Model):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.pixels = keras.Sequential([L.Flatten(), L.Dense(3)], name="pixels")
        self.head = L.Dense(1, name="head")
    def call(self, batch):
        return self.head(keras.ops.concatenate([self.pixels(batch["image"]), batch["meta"]], axis=-1))

model = Joint(name="joint")
model.compile("adam", "mse")
img, meta = np.random.rand(4, 5, 5).astype("float32"), np.random.rand(4, 2).astype("float32")
model.fit({{"{key}": img, "meta": meta}}, np.random.rand(4, 1).astype("float32"), verbose=0)
"""
    code, printed = check_script(tmp_path, body.format(key="images"))
    assert code == 1 and 'Joint.call reads batch["image"]' in printed, printed
    assert 'model.fit({"image": img, "meta": meta}' in printed, printed
    code, printed = check_script(tmp_path, body.format(key="image"))
    assert code == 0, printed


@pytest.mark.skipif(keras.backend.backend() == "torch",
                    reason="PyTorch runs fit eagerly: NumPy and convert_to_numpy take its tensors, nothing fails")
def test_numpy_conversions_in_call_are_left_out_of_the_keras_ops_fix(tmp_path):
    body = DATA + """
class Centre(keras.layers.Layer):
    def call(self, v):
        {line}

inp = keras.Input((12,), name="signal")
model = keras.Model(inp, L.Dense(1)(Centre(name="centre")(inp)), name="centred")
model.compile("adam", "mse")
model.fit(x, y, verbose=0)
"""
    code, printed = check_script(tmp_path, body.format(line="return v - np.mean(np.asarray(v), axis=1, keepdims=True)"))
    assert code == 1 and "keras.ops.mean(v, axis=1, keepdims=True)" in printed, printed
    code, printed = check_script(tmp_path, body.format(
        line="return keras.ops.convert_to_tensor(keras.ops.convert_to_numpy(v) - 0.5)"))
    assert code == 1 and "centre" in printed and "Keep it a tensor: `return v - 0.5`" in printed, printed
    code, printed = check_script(tmp_path, body.format(line="return v - keras.ops.mean(v, axis=1, keepdims=True)"))
    assert code == 0, printed


def test_attention_given_one_vector_per_sample_gets_a_sequence_of_one_step(tmp_path):
    body = """
frames = keras.Input((6, 10))
clip_encoder = keras.Model(frames, L.GlobalMaxPooling1D(name="pool")(frames), name="clip_encoder")
tokens = keras.Input((7, 10), name="tokens")
clip = keras.Input((6, 10), name="clip")
clip_vector = clip_encoder(clip)
memory = {memory}
attended = L.MultiHeadAttention(num_heads=1, key_dim=4, name="cross")(tokens, memory)
model = keras.Model([tokens, clip], L.Dense(1)(L.GlobalAveragePooling1D()(attended)), name="captioner")
model.predict([np.random.rand(2, 7, 10).astype("float32"), np.random.rand(2, 6, 10).astype("float32")], verbose=0)
"""
    code, printed = check_script(tmp_path, body.format(memory="clip_vector"))
    assert code == 1 and "captioner/cross" in printed, printed
    assert "keras.layers.Reshape((1, 10))(clip_vector)" in printed, printed
    code, printed = check_script(tmp_path, body.format(memory="L.Reshape((1, 10))(clip_vector)"))
    assert code == 0, printed


def test_a_name_keras_gives_an_unnamed_layer_is_renamed_where_the_user_wrote_it(tmp_path):
    body = """
tokens = keras.Input((4,), name="{name}")
counts = keras.Input((4,), name="counts")
scorer = keras.Sequential([keras.Input((8,)), L.Dense(2, name="hidden")], name="scorer")
model = keras.Model([tokens, counts], L.Conv1D(1, 1)(L.Reshape((2, 1))(scorer(L.Concatenate()([tokens, counts])))),
                    name="pair_counts")
"""
    code, printed = check_script(tmp_path, body.format(name="conv1d"))
    assert code == 1 and "L.Conv1D(1, 1)" in printed, printed
    assert 'tokens = keras.Input((4,), name="conv1d_input")' in printed, printed
    code, printed = check_script(tmp_path, body.format(name="conv1d_input"))
    assert code == 0, printed
