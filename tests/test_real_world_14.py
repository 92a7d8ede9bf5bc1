"""kernest on a fourteenth batch of real nested models (tests/models_14.py, each from the public code it cites):
keras.io's TabTransformer (feed-forward Sequentials inside Transformer blocks over a dict of features), a keras-hub
style ViT classifier (a learned class token, a backbone nested in a functional-subclass classifier), keras.io's
conditional GAN (generator and discriminator joined by one-hot labels), a WaveNet (residual blocks as models of two
outputs) and keras.io's PointNet (T-Net models under a custom activity regulariser). Every feature runs on each (the
checks are tests/real_world_checks.py); then the mechanisms fixed for this batch and the thirteenth batch's
leftovers, each on a model of its own."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kernest
from tests import models_13 as m13
from tests import models_14 as m14
from tests import real_world_checks as checks
from tests.test_real_world_13 import (
    PadGroups,  # pads each group's rows to the longest group, read from the data
)

built = checks.built  # the fixture: one model per spec for the module
L = keras.layers
ops = keras.ops

pytestmark = pytest.mark.core


def specs(skip: tuple = ()) -> list[object]:
    return [pytest.param(s, id=s.build.__name__) for s in m14.SPECS if s.build not in skip]


@pytest.mark.parametrize("spec", specs())
def test_summary_paths_plot_and_check(spec, built, tmp_path):
    checks.summary_paths_plot_and_check(spec, built(spec), tmp_path)


@pytest.mark.parametrize("spec", specs())
def test_extract_an_inner_activation(spec, built):
    checks.extract_matches_the_summary(spec, built(spec))


@pytest.mark.parametrize("spec", specs())
def test_replace_a_submodel_with_a_copy(spec, built):
    checks.replace_with_a_copy(spec, built(spec), m13.outputs_of)


@pytest.mark.parametrize("spec", specs(skip=(m14.tabtransformer, m14.wavenet)))  # the bench runs those two
def test_save_and_load_give_the_same_outputs_and_no_diff(spec, built, tmp_path):
    checks.save_and_load(spec, built(spec), m13.outputs_of, tmp_path)


@pytest.mark.parametrize("spec", specs())
def test_a_deliberate_break_is_explained_with_the_models_own_names(spec, built):
    checks.break_is_explained(spec, built(spec))


@pytest.mark.parametrize("spec", specs())
def test_freeze_keeps_frozen_weights_through_a_training_step(spec, built):
    checks.freeze_keeps_frozen_weights(spec, built(spec), m13.outputs_of)  # last: it trains the shared model


# --- the mechanisms fixed for this batch and the thirteenth's leftovers -----------------------------------

def _explained(model: keras.Model, run) -> str:
    with pytest.raises(Exception) as info, kernest.trace():
        run()
    return str(kernest.explain(info.value, model))


def test_a_residual_block_of_another_width_is_told_to_give_the_width_it_is_added_to():
    # the TabTransformer break, on a model of our own: a block whose inner model widens 6 -> 10, added to its input
    x = keras.Input((5, 6), name="tokens")
    h = L.Dense(6, name="embed")(x)
    widen = keras.Sequential([keras.Input((5, 6)), L.Dense(12, name="up"), L.Dense(10, name="down")], name="mixer")

    def build():
        keras.Model(x, L.Add(name="residual")([widen(h), h]))

    err = _explained(widen, build)
    assert "mixer must give 6" in err and "build mixer/down with 6 units (keras.layers.Dense(6)" in err, err
    assert "Dense(10)) before residual" in err or "keras.layers.Dense(10) before residual" in err, err


def test_a_part_called_without_the_inputs_its_model_joins_for_it_is_told_to_join_them():
    # the conditional GAN break, on a model of our own: a decoder fed a code joined with a condition by the model
    code = keras.Input((4,), name="code")
    condition = keras.Input((2,), name="condition")
    decoder = keras.Sequential([keras.Input((6,)), L.Dense(3, name="pixels")], name="decoder")
    model = keras.Model([code, condition], decoder(L.Concatenate(name="join")([code, condition])), name="cvae")
    z = np.zeros((2, 4), "float32")
    err = _explained(model, lambda: decoder(z))
    assert "cvae calls decoder on code (4) and condition (2)" in err, err
    assert "decoder(keras.ops.concatenate([z, condition], axis=-1))" in err, err


def test_ids_per_step_into_a_model_of_one_hot_steps_are_told_to_one_hot_them():
    # the WaveNet break, on a model of our own: a sequence model over one-hot characters given the character ids
    chars = keras.Input((7, 5), name="chars")
    model = keras.Model(chars, L.Conv1D(3, 2, name="conv")(chars), name="char_cnn")
    ids = np.array([[0, 1, 2, 3, 4, 0, 1]] * 2, "int32")
    err = _explained(model, lambda: model(ids))
    assert "one-hot steps of 5 classes" in err and "keras.ops.one_hot(ids, 5)" in err, err


class SqueezedScores(keras.Model):
    """A subclassed model of our own whose call squeezes without an axis (PatchConvNet's attention weights)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.score = L.Dense(1, name="score")
        self.head = L.Dense(2, name="head")

    def call(self, x):  # (batch, 3, 4) -> (batch, 3, 1) -> (batch, 3) -> (batch, 2)
        return self.head(ops.squeeze(self.score(x)))


def test_a_call_that_needs_a_known_batch_is_checked_and_extracted_on_one():
    model = SqueezedScores(name="squeezed")
    x = np.ones((2, 3, 4), "float32")
    model(x)
    report = kernest.check(model)
    shape = next(i.shape for i in report.interfaces if i.consumer == "head")
    if keras.backend.backend() == "tensorflow":  # the other backends trace it on an unknown batch as it is
        assert "checked on a batch of 2" in str(report), report
    assert shape == "(batch, 3)", report
    scores = kernest.extract(model, "score")(np.ones((5, 3, 4), "float32"))  # any batch, not only 2
    assert tuple(scores.shape) == (5, 3, 1)


class Traceable(L.Layer):
    """The same without the size read from the data: its call runs on placeholders, so Keras builds it on load."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.project = L.Dense(2, name="project")

    def call(self, inputs):
        return self.project(inputs)


def _grouped(layer: L.Layer) -> keras.Model:
    values, group = keras.Input((3,), name="values"), keras.Input((), dtype="int32", name="group")
    return keras.Model([values, group], L.Dense(1, name="score")(layer([values, group])), name="grouped")


def test_a_layer_whose_sublayers_only_a_call_on_data_builds_is_refused_by_save_and_replace(tmp_path):
    # MPNN's readout, on a layer of our own: a copy or a loaded file would make `project` anew
    model = _grouped(PadGroups(name="pad_groups"))
    data = [np.ones((5, 3), "float32"), np.array([0, 0, 0, 1, 1], "int32")]
    model(data)  # built on data: the original has its weights, a file or a copy could not keep them
    if keras.backend.backend() == "torch":  # PyTorch traces a call on real tensors: a load builds `project`
        loaded = kernest.load(kernest.save(model, tmp_path / "m.keras"), custom_objects={"PadGroups": PadGroups})
        checks.close(loaded(data), model(data))
        return
    with pytest.raises(kernest.KernestError, match=r"'pad_groups' \(PadGroups\) has no build\(\).*\(project\)"):
        kernest.save(model, tmp_path / "m.keras")
    assert not (tmp_path / "m.keras").exists()
    with pytest.raises(kernest.KernestError, match=r"cannot copy 'grouped'.*pad_groups.*share=True"):
        kernest.replace(model, "score", L.Dense(1, name="score"))
    shared = kernest.replace(model, "score", L.Dense(1, name="new_score"), share=True)  # the advice works
    assert tuple(shared(data).shape) == (2, 3, 1)  # two groups padded to the longest, 3 rows


def test_a_layer_without_build_whose_call_traces_is_saved_and_copied(tmp_path):
    # the control: no refusal where Keras' own tracing builds the sublayers on load
    x = keras.Input((3,), name="x")
    model = keras.Model(x, L.Dense(1, name="score")(Traceable(name="traceable")(x)), name="plain")
    data = np.ones((2, 3), "float32")
    loaded = kernest.load(kernest.save(model, tmp_path / "m.keras"), custom_objects={"Traceable": Traceable})
    checks.close(loaded(data), model(data))
    score = L.Dense(1, name="score")
    score.build((None, 2))
    score.set_weights(model.get_layer("score").get_weights())
    checks.close(kernest.replace(model, "score", score)(data), model(data))  # the copy keeps traceable's weights


class Holder(keras.Model):
    """A subclassed model of our own whose get_config returns its layers (PatchConvNet's way)."""

    def __init__(self, body, **kwargs):
        super().__init__(**kwargs)
        self.body = body

    def call(self, x):
        return self.body(x)

    def get_config(self):
        return {**super().get_config(), "body": self.body}


def test_a_config_holding_layers_without_from_config_is_refused_by_save(tmp_path):
    body = keras.Sequential([keras.Input((3,)), L.Dense(2, name="dense")], name="body")
    model = Holder(body, name="holder")
    model(np.ones((1, 3), "float32"))
    with pytest.raises(kernest.KernestError, match=r"get_config\(\) of 'holder' \(Holder\) returns layer objects "
                                                   r"\(body\).*from_config.*not registered"):
        kernest.save(model, tmp_path / "m.keras")
    kernest.save(body, tmp_path / "body.keras")  # the advice: its parts save on their own


def test_the_thirteenth_batchs_leftovers(tmp_path):
    # PatchConvNet's check and extract (its call squeezes without an axis) and the real reason its save is refused;
    # MPNN's replace and save, refused with the real reason
    patch = m13.patch_convnet()
    x, _ = next(s for s in m13.SPECS if s.build is m13.patch_convnet).data()
    assert kernest.check(patch).interfaces
    assert tuple(kernest.extract(patch, "convolutional_stem")(x).shape) == (2, 4, 4, 8)
    with pytest.raises(kernest.KernestError, match=r"'patch_conv_net' \(PatchConvNet\) returns layer objects.*not "
                                                   r"registered"):
        kernest.save(patch, tmp_path / "m.keras")
    if keras.backend.backend() == "torch":  # MPNN's readout traces on PyTorch (real tensors): nothing to refuse
        return
    mpnn = m13.mpnn()
    with pytest.raises(kernest.KernestError, match=r"transformer_encoder_readout.*no build\(\)"):
        kernest.save(mpnn, tmp_path / "m.keras")
    with pytest.raises(kernest.KernestError, match=r"cannot copy 'mpnn'.*transformer_encoder_readout"):
        kernest.replace(mpnn, "message_passing", m13._copy_message_passing(mpnn.get_layer("message_passing")))


@m14.register
class TwoPasses(L.Layer):
    """A layer of our own that builds two Sequentials over one list of layers in build() (PatchConvNet's trunk)."""

    def build(self, input_shape):
        block = [L.Dense(input_shape[-1], name="mix"), L.LayerNormalization(name="norm")]
        self.passes = [keras.Sequential(block) for _ in range(2)]

    def call(self, x):
        for one in self.passes:
            x = x + one(x)
        return x


def test_layers_shared_by_sublayers_a_custom_layer_makes_in_build_save_and_load_shared(tmp_path):
    # PatchConvNet's trunk, registered: a load runs build() again, so the two Sequentials share their layers again
    x = keras.Input((4,), name="x")
    model = keras.Model(x, L.Dense(2, name="head")(TwoPasses(name="passes")(x)), name="passes_model")
    assert not kernest.shared_across_models(model)
    data = np.random.default_rng(0).random((3, 4), "float32")
    loaded = kernest.load(kernest.save(model, tmp_path / "m.keras"))
    checks.close(loaded(data), model(data))
    first, second = loaded.get_layer("passes").passes
    assert first.layers[0] is second.layers[0]
    # the same sharing wired by a plain functional model stays refused (a load would make the layers apart)
    mix = L.Dense(4, name="mix")
    a, b = keras.Input((4,)), keras.Input((4,))
    one, two = keras.Model(a, mix(a), name="one"), keras.Model(b, mix(b), name="two")
    plain = keras.Model(x, two(one(x)), name="plain")
    with pytest.raises(kernest.KernestError, match="'mix' at one/mix and two/mix"):
        kernest.save(plain, tmp_path / "plain.keras")
