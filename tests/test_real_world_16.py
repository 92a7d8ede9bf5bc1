"""kernest on a sixteenth batch of real nested models (tests/models_16.py, each from the public code it cites):
keras-hub's Llama causal LM (grouped-query attention, rotary embeddings), keras-cv's SegFormer (a MiT backbone
nested in a SegFormer backbone nested in the segmenter), keras.io's molecule VAE (relational graph convolutions in a
subclassed generator), ShiftViT (blocks that record their map size in build()) and DeiT (a subclassed ViT with its
own class and distillation tokens). Every feature runs on each (the checks are tests/real_world_checks.py); then the
mechanisms fixed for this batch and the fifteenth batch's leftover, each on a model of our own."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest

import kernest
from tests import models_13 as m13
from tests import models_15 as m15
from tests import models_16 as m16
from tests import real_world_checks as checks

built = checks.built  # the fixture: one model per spec for the module
L = keras.layers
ops = keras.ops

pytestmark = pytest.mark.core


def specs(*only) -> list[object]:
    return [pytest.param(s, id=s.build.__name__) for s in m16.SPECS if not only or s.build in only]


@pytest.mark.parametrize("spec", specs(m16.llama_causal_lm, m16.molecule_vae, m16.deit))  # the bench runs the rest
def test_summary_paths_plot_and_check(spec, built, tmp_path):
    checks.summary_paths_plot_and_check(spec, built(spec), tmp_path)


@pytest.mark.parametrize("spec", specs())
def test_extract_an_inner_activation(spec, built):
    checks.extract_matches_the_summary(spec, built(spec))


@pytest.mark.parametrize("spec", specs(m16.llama_causal_lm, m16.molecule_vae, m16.deit))  # the bench runs the rest
def test_replace_a_submodel_with_a_copy_or_refuse_in_a_subclassed_model(spec, built):
    checks.replace_with_a_copy(spec, built(spec), m13.outputs_of, refusal="subclassed model")


@pytest.mark.parametrize("spec", specs(m16.llama_causal_lm, m16.molecule_vae))  # the bench runs the rest
def test_save_and_load_give_the_same_outputs_or_refuse_without_get_config(spec, built, tmp_path):
    checks.save_and_load(spec, built(spec), m13.outputs_of, tmp_path, refusal="no get_config")


# SegFormer's break builds a whole new segmenter: the bench runs it, and the square-grid rule is tested below
@pytest.mark.parametrize("spec", specs(m16.llama_causal_lm, m16.molecule_vae, m16.shiftvit, m16.deit))
def test_a_deliberate_break_is_explained_with_the_models_own_names(spec, built):
    checks.break_is_explained(spec, built(spec))


# the bench trains the others (SegFormer's step fails on PyTorch: Keras' own, explained below)
@pytest.mark.parametrize("spec", specs(m16.molecule_vae))
def test_freeze_keeps_frozen_weights_through_a_training_step(spec, built):
    checks.freeze_keeps_frozen_weights(spec, built(spec), m13.outputs_of)  # last: it trains the shared model


# --- the mechanisms fixed for this batch and the fifteenth's leftover --------------------------------------------

def _explained(model: keras.Model | None, run) -> str:
    with pytest.raises(Exception) as info, kernest.trace():
        run()
    return str(kernest.explain(info.value, model))


def _offset_model() -> keras.Model:
    x = keras.Input((3, 4), name="steps")
    offset = L.Dense(4, name="offset_proj")(ops.ones((1, 4)))  # a layer called on a constant: no input reaches it
    return keras.Model(x, L.Dense(1, name="head")(L.Flatten()(x + offset)), name="offsets")


def test_a_constant_computed_from_weights_is_reported_and_its_pytorch_failure_explained():
    # BST's position Embedding on keras.ops.arange (batch 15's leftover), on a model of our own: a Dense on ones
    if keras.backend.backend() != "torch":
        pytest.skip("only PyTorch keeps how a constant was computed; TensorFlow and JAX keep its values alone")
    model = _offset_model()
    with pytest.warns(kernest.KernestWarning, match=r"add reads a tensor of shape \(1, 4\).*trainable weights of shape"):
        kernest.check(model)
    model.compile("adam", "mse")
    err = _explained(model, lambda: model.fit(np.ones((4, 3, 4)), np.zeros((4, 1)), epochs=2, batch_size=2, verbose=0))
    assert "no function of the inputs of offsets" in err and "Call that layer inside the graph" in err, err
    with pytest.warns(kernest.KernestWarning, match=r"trainable weights of shape \(5, 4\) \(an Embedding lookup\)"):
        kernest.check(m15.bst_recommender())  # keras.io's BST: its position Embedding called on ops.arange


def test_a_constant_of_the_users_own_values_is_not_reported():
    x = keras.Input((3, 4), name="steps")
    table = np.sin(np.arange(12, dtype="float32")).reshape(3, 4)  # fixed values the user meant
    model = keras.Model(x, L.Dense(1)(L.Flatten()(x + table)), name="fixed_table")
    assert not [w for w in kernest.check(model).warnings if "trainable weights of shape" in w]


def test_sparse_cross_entropy_of_probabilities_over_a_map_on_pytorch_is_explained():
    # SegFormer's training step on PyTorch: Keras' nll_loss over a map fails in its backward
    if keras.backend.backend() != "torch":
        pytest.skip("the failure is PyTorch's (TensorFlow and JAX train this model)")
    x = keras.Input((8, 8, 2), name="pixels")
    net = keras.Model(x, L.Conv2D(3, 1, activation="softmax", name="classes")(x), name="masker")
    net.compile("adam", "sparse_categorical_crossentropy")
    with pytest.warns(kernest.KernestWarning, match=r"masker gives probabilities of shape \(batch, 8, 8, 3\)"):
        kernest.check(net)  # before training, on PyTorch
    labels = np.random.default_rng(0).integers(0, 3, (2, 8, 8))
    err = _explained(net, lambda: net.fit(np.ones((2, 8, 8, 2)), labels, verbose=0))
    assert "drop the softmax of classes (activation=None)" in err and "from_logits=True" in err, err


class Bilinear(L.Layer):
    """Scores a pair of projections of its input with an einsum; both projections must have the same width."""

    def __init__(self, units_a=3, units_b=2, **kwargs):
        super().__init__(**kwargs)
        self.units_a, self.units_b = units_a, units_b
        self.proj_a, self.proj_b = L.Dense(units_a), L.Dense(units_b)

    def call(self, x):
        left, right = self.proj_a(x), self.proj_b(x)
        return ops.einsum("bi,bi->b", left, right)

    def get_config(self):
        return {**super().get_config(), "units_a": self.units_a, "units_b": self.units_b}


def test_an_einsum_whose_operands_disagree_names_the_subscript_and_the_settings():
    # Llama's grouped-query attention with 6 query heads over 4 key/value heads, on a layer of our own
    layer = Bilinear(name="pair_score")
    err = _explained(None, lambda: layer(np.ones((2, 5), "float32")))
    assert "reads subscript i as 3 in left (2, 3) and as 2 in right (2, 2)" in err, err
    assert "pair_score's units_a=3 and units_b=2" in err, err


def test_a_square_grid_of_a_non_square_count_says_the_map_is_not_square():
    # SegFormer on 32x48 images, on a model of our own: 12 steps put on an int(sqrt(12)) = 3 grid
    x = keras.Input((12, 4), name="tokens")

    def build():
        keras.Model(x, L.Reshape((3, 3, -1), name="to_grid")(x))

    err = _explained(None, build)
    assert "a sequence of 12 steps on a 3 x 3 grid (9): 12 is not a square" in err and "3 x 4" in err, err


class TokensToGrid(L.Layer):
    """keras-cv's SegFormer attention: the tokens put back on a square grid of side int(sqrt(tokens))."""

    def call(self, x):
        B, N, C = ops.shape(x)
        H = W = int(math.sqrt(N))
        return ops.reshape(x, (B, H, W, C))


def test_a_reshape_in_a_users_call_reads_the_operand_and_the_target_from_the_frame():
    layer = TokensToGrid(name="to_grid")
    err = _explained(None, lambda: layer(np.ones((2, 12, 4), "float32")))
    assert "ops.reshape(x, (B, H, W, C)) reshapes x (batch, 12, 4)" in err, err
    assert "a sequence of 12 steps on a 3 x 3 grid (9): 12 is not a square" in err, err


def test_positions_flattened_into_a_fixed_count_say_the_count_was_for_another_size():
    x = keras.Input((10, 10, 3), name="image")
    features = L.Conv2D(6, 3, strides=2, padding="same", name="stem")(x)  # (5, 5, 6)

    def build():
        L.Reshape((16, 6), name="to_tokens")(features)

    err = _explained(keras.Model(x, features), build)
    assert "flattens the 25 positions of a 5 x 5 map into 16" in err and "Reshape((-1, 6))" in err, err


class Patcher(keras.Model):
    """A subclassed model that counts its patches in build() from the first call's images (as DeiT's Reshape)."""

    def build(self, input_shape):
        self.patches = L.Reshape(((input_shape[1] // 4) * (input_shape[2] // 4), 4 * 4 * 3))
        self.head = L.Dense(2)

    def call(self, images):
        x = ops.reshape(images, (-1, images.shape[1] // 4, 4, images.shape[2] // 4, 4, 3))
        x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
        return self.head(ops.mean(self.patches(x), axis=1))


def test_a_subclassed_model_given_images_of_another_size_is_told_to_resize_them():
    # ShiftViT's and DeiT's break, on a model of our own built on 16x16 images
    model = Patcher(name="patcher")
    model(np.zeros((2, 16, 16, 3), "float32"))
    photos = np.zeros((2, 24, 24, 3), "float32")
    err = _explained(model, lambda: model(photos))
    assert "patcher was built (by its first call) on its input shaped (batch, 16, 16, 3)" in err, err
    assert "keras.ops.image.resize(photos, (16, 16))" in err, err


class ChannelsFirst(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.conv = L.Conv2D(2, 3, data_format="channels_first")

    def call(self, x):
        return self.conv(x)


def test_data_with_its_first_axis_moved_to_the_end_is_told_to_transpose_not_swap():
    # the molecule VAE's adjacency (atoms, atoms, bonds) for (bonds, atoms, atoms), on images of our own
    model = ChannelsFirst(name="cf")
    model(np.zeros((2, 3, 8, 8), "float32"))
    pictures = np.zeros((2, 8, 8, 3), "float32")
    err = _explained(model, lambda: model(pictures))
    assert "axis 1 moved to the end" in err and "np.transpose(pictures, (0, 3, 1, 2))" in err, err


class WithToken(keras.Model):
    """A subclassed model holding a learned token itself (keras.io's DeiT holds its class token so)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.token = self.add_weight(shape=(1, 1, 4), initializer="zeros", name="cls")
        self.dense = L.Dense(4)

    def call(self, x):
        return self.dense(ops.concatenate([ops.tile(self.token, (ops.shape(x)[0], 1, 1)), x], axis=1))


def test_the_summary_shows_a_models_own_weights():
    model = WithToken(name="tokened")
    model(np.zeros((2, 3, 4), "float32"))
    s = kernest.summary(model, depth=9)
    assert sum(r.own_params for r in s.rows) + s.own_params == s.total_params == 24, str(s)
    assert "Own weights of tokened (no layer in it holds them): cls (1, 1, 4): 4 params" in str(s), str(s)
    assert s.to_dict()["own_weights"] == [{"name": "cls", "shape": [1, 1, 4]}]
