"""explain on the kinds of failure of the fourth held-out set (tests/corpus, "set": "heldout4"), each rule
checked on another small model than the corpus case: a grouped convolution, a Dot over axes of different
sizes, a Bidirectional that does not merge, a Lambda whose declared output shape is wrong, class_weight and
sample_weight for a model of several outputs, Keras 2's batch_input_shape, and an output map larger than
its targets."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kernest
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
