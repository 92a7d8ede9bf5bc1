"""kernest on a twelfth batch of real nested models (tests/models_12.py, each from the public code it cites):
keras.io's multiple-choice model (a keras-hub style classifier, a functional subclass wrapping a functional-subclass
backbone, called once per option), keras.io's trainer pattern (one model wrapped by subclassed trainers), keras.io's
monocular depth estimation (a subclassed U-Net holding lists of blocks), keras.io's Grad-CAM over a transfer-learned
classifier with a nested base model, keras.io's dual encoder for image search (a subclassed model holding a text and
an image encoder) and TensorFlow's pix2pix generator (a U-Net of Sequential blocks). Every feature runs on each (the
checks are tests/real_world_checks.py, which also assert that reading a model leaves it as it was); each works and
gives the right answer, or is refused where Keras itself cannot do it (a subclassed model without get_config whose
``__init__`` takes models: Keras raises NotImplementedError on save; no graph to replace in), and a deliberate
interface break of each is explained with its real names. Then the mechanisms fixed for this batch, each on a model
of its own."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kernest
from tests import models_12 as m12
from tests import real_world_checks as checks

built = checks.built  # the fixture: one model per spec for the module
L = keras.layers
ops = keras.ops

pytestmark = pytest.mark.core


# The keras-hub style classifier's and the depth model's copy and save took 80 s of the suite: bench/real_world_12.py
# runs replace and save on them (outputs compared, no diff) on every backend, the suite does not.
HEAVY = (m12.multiple_choice, m12.depth_estimation)


def specs(skip: tuple = ()) -> list[object]:
    return [pytest.param(s, id=s.build.__name__) for s in m12.SPECS if s.build not in skip]


@pytest.mark.parametrize("spec", specs())
def test_summary_paths_plot_and_check(spec, built, tmp_path):
    checks.summary_paths_plot_and_check(spec, built(spec), tmp_path)


@pytest.mark.parametrize("spec", specs())
def test_extract_an_inner_activation(spec, built):
    checks.extract_matches_the_summary(spec, built(spec))


@pytest.mark.parametrize("spec", specs(skip=HEAVY))
def test_replace_a_submodel_with_a_copy(spec, built):
    checks.replace_with_a_copy(spec, built(spec), m12.outputs_of, refusal="subclassed model")


@pytest.mark.parametrize("spec", specs(skip=HEAVY))
def test_save_and_load_give_the_same_outputs_and_no_diff(spec, built, tmp_path):
    checks.save_and_load(spec, built(spec), m12.outputs_of, tmp_path, refusal="has no get_config")


@pytest.mark.parametrize("spec", specs())
def test_a_deliberate_break_is_explained_with_the_models_own_names(spec, built):
    # the multiple-choice break fails inside model.predict, which on JAX leaves a failed model without its
    # variables (see tests/test_real_world_11.py): it runs on a model of its own
    checks.break_is_explained(spec, spec.build() if spec.build is m12.multiple_choice else built(spec))


# The Grad-CAM classifier is built at the transfer learning guide's first stage, its base frozen: freezing its head
# leaves nothing to train. The test after this one runs the guide's fine-tuning stage instead.
@pytest.mark.parametrize("spec", specs(skip=(m12.gradcam_classifier,)))
def test_freeze_keeps_frozen_weights_through_a_training_step(spec, built):
    checks.freeze_keeps_frozen_weights(spec, built(spec), m12.outputs_of)  # last: it trains the shared model


def test_fine_tuning_unfreezes_the_base_and_keeps_a_frozen_block_through_a_training_step():
    # the guide's second stage (base_model.trainable = True), by glob, with the first block kept frozen
    model = m12.gradcam_classifier()
    x, y = m12.SPECS[3].data()
    assert "base_cnn/last_sepconv" in kernest.unfreeze(model, "base_cnn/*")
    frozen = [w for p in kernest.freeze(model, "base_cnn/block1*") for w in kernest.get(model, p).weights]
    tuned = kernest.get(model, "base_cnn/last_sepconv").weights
    kept, before = [np.array(w) for w in frozen], [np.array(w) for w in tuned]
    model.compile(keras.optimizers.SGD(0.1), "mse", run_eagerly=True)
    model.fit(x, y, batch_size=2, epochs=1, verbose=0)
    assert frozen and all(np.array_equal(np.array(w), k) for w, k in zip(frozen, kept, strict=True))
    assert all(not np.array_equal(np.array(w), b) for w, b in zip(tuned, before, strict=True))


def test_the_grad_cam_model_kernest_points_to_gives_the_activation_and_the_prediction_of_one_call():
    # what the explained Grad-CAM break says to write, run: the nested activation and the model's output
    model = m12.gradcam_classifier()
    x, _ = m12.SPECS[3].data()
    conv, preds = kernest.extract(model, ["base_cnn/last_sepconv_act", "dense"])(x, training=False)  # no augmenting
    assert tuple(conv.shape) == (2, 8, 8, 8)
    checks.close(preds, model(x, training=False))


# --- the mechanisms fixed for this batch ------------------------------------------------------------------

def _explained(model: keras.Model, run) -> str:
    with pytest.raises(Exception) as info, kernest.trace():
        run()
    return str(kernest.explain(info.value, model))


def test_items_given_one_per_row_are_told_to_reshape_into_groups():
    # the multiple-choice break (each option a row of its own), on a bag model of our own (three instances of
    # five features per bag, attention pooling) given one plain array
    bags = keras.Input((3, 5), name="bags")
    scores = L.Softmax(axis=1, name="attention")(L.Dense(1, name="score")(bags))
    pooled = L.Lambda(lambda t: ops.sum(t[0] * t[1], axis=1), name="pool")([bags, scores])
    bag_model = keras.Model(bags, L.Dense(2, name="head")(pooled), name="bag_model")
    instances = np.zeros((6, 5), "float32")
    err = _explained(bag_model, lambda: bag_model.predict(instances, verbose=0))
    assert "3 items of (5,) per sample" in err and "instances.reshape(-1, 3, 5)" in err, err


def _small_unet() -> keras.Model:
    """A functional U-Net of our own declared for images of any size, two poolings deep."""
    images = keras.Input((None, None, 1), name="images")
    c1 = L.Conv2D(2, 3, padding="same", activation="relu", name="c1")(images)
    c2 = L.Conv2D(4, 3, padding="same", activation="relu", name="c2")(L.MaxPooling2D(name="p1")(c1))
    bottom = L.Conv2D(4, 3, padding="same", activation="relu", name="bottom")(L.MaxPooling2D(name="p2")(c2))
    u2 = L.Concatenate(name="join2")([L.UpSampling2D(name="u2")(bottom), c2])
    u1 = L.Concatenate(name="join1")([L.UpSampling2D(name="u1")(u2), c1])
    return keras.Model(images, L.Conv2D(1, 1, name="mask")(u1), name="unet")


def test_images_whose_sides_are_not_a_multiple_of_the_pooling_are_told_the_multiple():
    # the depth model's break (24x24 into a subclassed model that needs multiples of 16), on a functional
    # U-Net of our own declared for any size, that needs multiples of 4
    unet = _small_unet()
    scan = np.zeros((1, 10, 10, 1), "float32")
    err = _explained(unet, lambda: unet(scan))
    assert "multiples of 4" in err and "Resizing(12, 12)(scan)" in err and "crop them to 8x8" in err, err


class TwoTower(keras.Model):
    """A subclassed recommender of our own called on a dict: a user tower and an item tower, scored by a dot."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.user_tower = L.Embedding(10, 4, name="user_tower")
        self.item_tower = L.Dense(4, name="item_tower")

    def call(self, features):
        return ops.sum(self.user_tower(features["user"]) * self.item_tower(features["item_features"]), axis=-1)


def test_a_key_missing_from_the_dict_a_subclassed_model_reads_is_named():
    # the dual encoder's break (a caption without the image), on a two-tower recommender of our own
    towers = TwoTower(name="towers")
    towers({"user": np.array([1, 2]), "item_features": np.zeros((2, 3), "float32")})
    request = {"user": np.array([3])}
    err = _explained(towers, lambda: towers(request))
    assert "inputs are named item_features, user" in err and "add item_features (batch, 3)" in err, err


def test_an_inner_activation_beside_the_models_output_is_taken_by_one_extract():
    # the Grad-CAM break, on an autoencoder's features of our own: the user asks for the encoder's hidden layer
    # and the whole model's reconstruction in one model
    x = keras.Input((6,), name="x")
    encoder = keras.Sequential([keras.Input((6,)), L.Dense(4, name="hidden"), L.Dense(2, name="code")],
                               name="encoder")
    model = keras.Model(x, L.Dense(6, name="reconstruction")(encoder(x)), name="autoencoder")
    err = _explained(model, lambda: keras.Model(model.inputs, [encoder.get_layer("hidden").output, model.output]))
    assert 'kernest.extract(model, ["encoder/hidden", "reconstruction"])' in err, err
    hidden, out = kernest.extract(model, ["encoder/hidden", "reconstruction"])(np.ones((2, 6), "float32"))
    assert tuple(hidden.shape) == (2, 4)
    checks.close(out, model(np.ones((2, 6), "float32")))
