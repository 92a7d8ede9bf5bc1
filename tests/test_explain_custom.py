"""``_explain_custom``: failures in users' own layers and subclassed models inside nested models. Each test is a
small user script of its own (other names, sizes, ranks and layouts than tests/sweep/s65-s84), checked as
``kernest check`` does, on every backend: the printed diagnosis names the nested path and the fix computed
from that script's numbers."""

from __future__ import annotations

import keras
import pytest

from tests.corpus_cases import kernest_check

pytestmark = pytest.mark.core

HEAD = "import numpy as np\nimport keras\nfrom keras import layers as L, ops\n"


def _check(tmp_path, body: str) -> str:
    path = tmp_path / "user_model.py"
    path.write_text(HEAD + body)
    keras.backend.clear_session(free_memory=False)
    code, printed = kernest_check(path)
    assert code == 1 and "Traceback" not in printed, printed
    return " ".join(printed.split())


def test_weight_built_from_the_wrong_axis_names_the_axis_to_read(tmp_path):
    # rank 4, channels last; the user read input_shape[2] (the width, 6) where the channels (5) are wanted
    printed = _check(tmp_path, '''
class Bias(L.Layer):
    def build(self, shape):
        self.b = self.add_weight(shape=(shape[2],), initializer="zeros")
    def call(self, t):
        return t + self.b
m_in = keras.Input((4, 6, 5))
conv = keras.Model(m_in, L.Conv2D(5, 1, name="pw")(m_in), name="conv")
p_in = keras.Input((4, 6, 5))
post = keras.Model(p_in, Bias(name="bias")(p_in), name="post")
img = keras.Input((4, 6, 5))
net = keras.Model(img, post(conv(img)), name="net")
''')
    assert "post/bias" in printed and "conv -> post" in printed
    assert "shape[-1]" in printed and "instead of shape[2]" in printed


def test_weight_over_a_none_axis_asks_for_a_size(tmp_path):
    printed = _check(tmp_path, '''
class Table(L.Layer):
    def build(self, input_shape):
        self.t = self.add_weight(shape=(input_shape[2], input_shape[1]))
    def call(self, x):
        return x
t_in = keras.Input((3, None, 8))
grid = keras.Model(t_in, Table(name="table")(t_in), name="grid")
''')
    assert "grid/table" in printed and "input_shape[2]" in printed and "(3, SIZE_2, 8)" in printed


def test_state_made_in_call_points_to_build(tmp_path):
    printed = _check(tmp_path, '''
class Scale(L.Layer):
    def call(self, feats):
        self.s = self.add_weight(shape=(feats.shape[-1], 1))
        return feats * self.s[:, 0]
i = keras.Input((12,))
sc = keras.Model(i, Scale(name="scale")(L.Dense(4, name="d4")(i)), name="sc")
''')
    assert "sc/scale" in printed and "d4 -> scale" in printed
    assert "def build(self, input_shape)" in printed and "input_shape[-1]" in printed


@pytest.mark.parametrize("arg", ["training", "mask"])
def test_required_training_or_mask_gets_a_default(tmp_path, arg):
    printed = _check(tmp_path, f'''
class Gate(L.Layer):
    def call(self, x, {arg}):
        return x
i = keras.Input((2, 3))
wrap = keras.Model(i, Gate(name="gate")(L.Dense(3, name="pre")(i)), name="wrap")
''')
    assert "wrap/gate" in printed and f"{arg}=None" in printed


def test_mask_none_names_the_embedding_to_mask(tmp_path):
    printed = _check(tmp_path, '''
class Last(L.Layer):
    def call(self, x, mask=None):
        idx = ops.sum(ops.cast(mask, "int32"), axis=1) - 1
        return ops.take_along_axis(x, idx[:, None, None], axis=1)[:, 0]
ids = keras.Input((9,), dtype="int32")
emb = keras.Model(ids, L.Embedding(40, 5, name="e")(ids), name="emb")
words = keras.Input((9,), dtype="int32")
net = keras.Model(words, Last(name="last")(emb(words)), name="net")
''')
    assert "last" in printed and "emb -> last" in printed and "Embedding(40, 5, mask_zero=True)" in printed


def test_one_sublayer_on_two_widths_gets_its_own_layer(tmp_path):
    printed = _check(tmp_path, '''
class Both(L.Layer):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.conv = L.Conv1D(3, 2, name="shared_conv")
    def call(self, pair):
        return ops.concatenate([self.conv(pair[0]), self.conv(pair[1])], axis=1)
a = keras.Input((6, 2))
b = keras.Input((6, 5))
left = keras.Model(a, L.Dense(2, name="la")(a), name="left")
right = keras.Model(b, L.Dense(5, name="rb")(b), name="right")
both = Both(name="both")([left(a), right(b)])
''')
    assert "both/shared_conv" in printed and "right -> both" in printed
    assert "self.conv_2 = keras.layers.Conv1D(3)" in printed


def test_one_instance_in_two_models_gets_a_new_instance(tmp_path):
    printed = _check(tmp_path, '''
class Mix(L.Layer):
    def __init__(self, width, scale=1.0, **kw):
        super().__init__(**kw)
        self.width, self.scale = width, scale
    def build(self, s):
        self.k = self.add_weight(shape=(s[-1],))
    def call(self, x):
        return x * self.k * self.scale
mix = Mix(3, scale=0.5, name="mix")
i1 = keras.Input((2, 4))
first = keras.Model(i1, mix(i1), name="first")
i2 = keras.Input((2, 6))
second = keras.Model(i2, mix(i2), name="second")
''')
    assert "second/mix" in printed and "in first" in printed and "Mix(width=3, scale=0.5)" in printed


def test_batch_size_written_in_a_reshape(tmp_path):
    printed = _check(tmp_path, '''
class Fold(L.Layer):
    def call(self, x):
        return ops.reshape(x, [16, 5, 2, 3])
i = keras.Input((30,))
folder = keras.Model(i, Fold(name="fold")(i), name="folder")
x = keras.Input((30,))
m = keras.Model(x, L.Flatten()(folder(x)), name="m")
m.predict(np.zeros((4, 30), "float32"), verbose=0)
''')
    assert "folder/fold" in printed and "(-1, 5, 2, 3)" in printed


def test_compute_output_shape_that_lies(tmp_path):
    printed = _check(tmp_path, '''
class Squash(L.Layer):
    def call(self, x):
        return ops.mean(x, axis=2)
    def compute_output_shape(self, s):
        return s
i = keras.Input((3, 4, 5))
sq = keras.Model(i, Squash(name="squash")(i), name="sq")
h = keras.Input((3, 4, 5))
head = keras.Model(h, L.Dense(2, name="hd")(L.Flatten()(h)), name="head")
x = keras.Input((3, 4, 5))
m = keras.Model(x, head(sq(x)), name="m")
m.predict(np.zeros((2, 3, 4, 5), "float32"), verbose=0)
''')
    assert "sq/squash" in printed and "sq -> head" in printed and "input_shape[:2] + input_shape[3:]" in printed


def test_save_of_a_layer_given_a_layer_asks_for_get_config(tmp_path):
    printed = _check(tmp_path, '''
import os, tempfile
class Twice(L.Layer):
    def __init__(self, inner, act, **kw):
        super().__init__(**kw)
        self.inner, self.act = inner, act
    def call(self, x):
        return self.inner(self.inner(x))
i = keras.Input((3,))
blk = keras.Model(i, Twice(L.Dense(3), "relu", name="twice")(i), name="blk")
top = keras.Model(i, blk(i), name="top")
top.save(os.path.join(tempfile.mkdtemp(), "t.keras"))
''')
    assert "blk/twice" in printed and "top -> file" in printed
    # Once get_config is overridden, Keras records no constructor argument by itself: the plain one is kept too.
    assert '"inner": keras.saving.serialize_keras_object(self.inner)' in printed and '"act": self.act' in printed


def test_load_of_a_layer_without_kwargs_or_with_a_config_short_of_an_argument(tmp_path):
    body = '''
import os, tempfile
@keras.saving.register_keras_serializable(package="t")
class Clamp(L.Layer):
    def __init__(self, low, high=1.0, **kw):
        super().__init__(**kw)
        self.low, self.high = low, high
    def call(self, x):
        return ops.clip(x, self.low, self.high)
    def get_config(self):
        return {**super().get_config(), "high": self.high}
i = keras.Input((2,))
inner = keras.Model(i, Clamp(0.0, name="clamp")(i), name="inner")
outer = keras.Model(i, inner(i), name="outer")
p = os.path.join(tempfile.mkdtemp(), "o.keras")
outer.save(p)
keras.models.load_model(p)
'''
    printed = _check(tmp_path, body)
    assert "inner/clamp" in printed and "file -> clamp" in printed and '"low": self.low' in printed


def test_layers_attribute_of_a_subclassed_model(tmp_path):
    printed = _check(tmp_path, '''
class Deep(keras.Model):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.layers = {"a": L.Dense(2)}
    def call(self, x):
        return self.layers["a"](x)
deep = Deep(name="deep")
''')
    assert "deep" in printed and "self.blocks" in printed


def test_unbuilt_subclassed_model_takes_the_input_the_script_gives_it(tmp_path):
    printed = _check(tmp_path, '''
class Enc(keras.Model):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.d = L.Dense(4)
    def call(self, x):
        return self.d(x)
seq = keras.Input((7, 3), name="seq")
enc = Enc(name="enc")
enc.summary(); n = enc.count_params()
outer = keras.Model(seq, enc(seq))
''')
    assert "seq -> enc" in printed and "call it on its input first, enc(seq)" in printed.lower()
    assert "enc.build(" not in printed  # Keras' own build() would mark it built with no weights (0 parameters)


def test_no_fix_is_invented_where_build_reads_no_wrong_axis(tmp_path):
    # the weight's size is a constant, not an axis of input_shape: the reader must not blame build
    printed = _check(tmp_path, '''
class Fixed(L.Layer):
    def build(self, input_shape):
        self.w = self.add_weight(shape=(4,))
    def call(self, x):
        return x * self.w
i = keras.Input((3, 6))
f = keras.Model(i, Fixed(name="fixed")(i), name="f")
''')
    assert "fixed" in printed and "Build it from" not in printed
