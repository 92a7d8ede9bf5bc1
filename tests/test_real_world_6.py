"""kernest on a sixth batch of real nested models (tests/models_6.py, each from the public code it cites):
keras.io's Swin Transformer (shifted windows, a relative position index and a mask made as variables), CCT
(a tokenizer layer holding a Sequential, stochastic depth, sequence pooling), ViViT (tubelets, a position
table made in build()), DeepSpeech2 with its conv front-end as a submodel over a time axis of any length,
keras-rs' DCN ranking model (subclassed, embeddings in a dict, called on a dict), a classifier nesting a model
cut from a BERT-style MLM at an intermediate layer, a hierarchical attention network (masks inside a sentence
encoder under TimeDistributed), Géron's tied autoencoder (decoder layers holding the encoder's Dense layers),
keras.io's multimodal entailment (inputs a list holding a dict; one backbone called on two images) and a
keras.applications backbone under TimeDistributed with a frame mask. Every feature runs on each (the checks
are tests/real_world_checks.py, shared with the fifth batch); each works and gives the right answer, or raises
a ``KernestError`` that says what to do with this model's own names; a deliberate interface break of each is
explained with its real names."""

from __future__ import annotations

import re

import keras
import numpy as np
import pytest

import kernest
from tests import models_6 as m6
from tests import real_world_checks as checks
from tests.real_world_checks import close

built = checks.built  # the fixture: one model per spec for the module
L = keras.layers
ops = keras.ops


CHEAP = {m6.dcn, m6.tied_autoencoder, m6.han, m6.ctc_asr}
# MobileNetV3 under TimeDistributed takes seconds to copy, save and train on CPU: bench/real_world_6.py runs
# those three on it (outputs compared, frozen weights kept), the suite does not
HEAVY = {m6.video_classifier}


def specs(core: bool = False, light: bool = False) -> list[object]:
    """SPECS as parameters; with ``core=True`` the cheap ones are marked ``core``; ``light`` leaves out HEAVY."""
    return [pytest.param(s, id=s.build.__name__, marks=[pytest.mark.core] * (core and s.build in CHEAP))
            for s in m6.SPECS if not (light and s.build in HEAVY)]


@pytest.mark.parametrize("spec", specs(core=True))
def test_summary_paths_plot_and_check(spec, built, tmp_path):
    shared = r"'dense_(\d)' is shared by more than one model \(tied_encoder/dense_\1, tied_decoder/tied_\1/dense_\1\)"
    inplace = r"word_attention.call -> exp: AttLayer.call changes the output of exp in place"  # fails on PyTorch
    # keras.io's BERT calls its position Embedding on keras.ops.arange while the model is built: PyTorch keeps how
    # that constant was computed, and check reports it there (batch 16)
    constant = r"pretrained_bert_model/add reads a tensor of shape \(8, 8\) .*trainable weights"
    torch_bert = spec.build is m6.bert_classifier and keras.backend.backend() == "torch"
    warns = shared if "tied" in spec.glob else inplace if spec.build is m6.han else constant if torch_bert else None
    checks.summary_paths_plot_and_check(spec, built(spec), tmp_path, warns=warns)


@pytest.mark.parametrize("spec", specs())
def test_extract_an_inner_activation(spec, built):
    checks.extract_matches_the_summary(spec, built(spec))


@pytest.mark.parametrize("spec", specs(light=True))
def test_replace_a_submodel_with_a_copy(spec, built):
    model = built(spec)
    refusal = {"ranking_model": r"subclassed.*Create a new RankingModel",  # Keras locks a built model's layers
               "tied_ae": r"'dense_1', at tied_encoder/dense_1 and tied_decoder/tied_1/dense_1.*share=True"}
    checks.replace_with_a_copy(spec, model, m6.outputs_of, refusal=refusal.get(model.name, ""))
    if model.name == "tied_ae":  # the refusal's advice works: the new model shares the encoder's layers
        x, _ = spec.data()
        new = spec.copy(kernest.get(model, spec.submodel))
        close(m6.outputs_of(kernest.replace(model, spec.submodel, new, share=True), x), m6.outputs_of(model, x))


@pytest.mark.parametrize("spec", specs(light=True))
def test_save_and_load_give_the_same_outputs_and_no_diff(spec, built, tmp_path):
    # the tied decoder holds the encoder's Dense layers: Keras saves that but cannot load it
    checks.save_and_load(spec, built(spec), m6.outputs_of, tmp_path, refusal=r"Refusing to save 'tied_ae': "
                         r"'dense_1' at tied_encoder/dense_1 and tied_decoder/tied_1/dense_1")


@pytest.mark.parametrize("spec", specs(core=True))
def test_a_deliberate_break_is_explained_with_the_models_own_names(spec, built):
    checks.break_is_explained(spec, built(spec))  # no break changes its model


@pytest.mark.parametrize("spec", specs(light=True))
def test_freeze_keeps_frozen_weights_through_a_training_step(spec, built):
    checks.freeze_keeps_frozen_weights(spec, built(spec), m6.outputs_of)  # last: it trains the shared model


# --- the mechanisms fixed for this batch, each on a second model too -----------------------------------------

@keras.saving.register_keras_serializable(package="kernest_rw6_tests")
class Scorer(keras.Model):
    """A subclassed model called on a dict: an id looked up, a price scaled, joined, scored."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.item = L.Embedding(9, 3, name="item_embedding")
        self.tower = keras.Sequential([L.Dense(4, activation="relu"), L.Dense(1)], name="tower")

    def call(self, inputs):
        return self.tower(ops.concatenate([ops.squeeze(self.item(inputs["item"]), 1), inputs["price"] * 0.1], 1))


@pytest.mark.core
def test_a_subclassed_model_called_on_a_dict_is_checked_extracted_and_explained(tmp_path):
    model = Scorer(name="scorer")
    x = {"item": np.array([[1], [4]], "int32"), "price": np.array([[3.0], [5.0]], "float32")}
    model(x)
    assert [(i.consumer, i.shape) for i in kernest.check(model).interfaces if i.consumer == "tower"] == [
        ("tower", "(batch, 4)")]
    close(kernest.extract(model, "tower")(x), model(x), 1e-5)
    assert {r.path: r.input_shape for r in kernest.summary(model).rows}["item_embedding"] == "(batch, 1)"
    with pytest.raises(Exception) as info, kernest.trace():
        model({**x, "item": np.array([[1, 2], [4, 5]], "int32")})  # two ids each: the squeeze refuses
    err = str(kernest.explain(info.value, model))
    assert "built on ['item'] (batch, 1)" in err and "gets ['item'] (batch, 2)" in err and "'price'" not in err
    dcn = m6.dcn()  # the ranking model too, on its own (test_summary_... checks it in the batch)
    assert {"cross_0", "cross_1", "deep_network", "logit"} <= {i.consumer for i in kernest.check(dcn).interfaces}


@pytest.mark.core
def test_a_rebuild_for_the_new_shape_is_advised_only_where_it_works():
    image = keras.Input((8, 8, 3), name="image")  # Flatten then Dense: made for 8x8
    dense = keras.Model(image, L.Dense(2, name="fc")(L.Flatten(name="flat")(L.Conv2D(4, 3, name="conv")(image))),
                        name="dense_head")
    conv = keras.Model(image, L.Dense(2, name="fc")(L.GlobalAveragePooling2D(name="gap")(L.Conv2D(4, 3)(image))),
                       name="pooled_head")  # any size works
    for model, works in ((dense, False), (conv, True)):
        with pytest.raises(ValueError) as info, kernest.trace():
            model(np.zeros((2, 12, 12, 3), "float32"))
        err = str(kernest.explain(info.value, model))
        assert "Resizing(8, 8)" in err
        assert ("keras.Input(shape=(12, 12, 3))" in err) is works, err
        assert ("fc is made for 8x8" in err) is not works, err
    clip = keras.Input((4, 6), name="steps")  # a fixed number of steps feeding a Flatten: names it
    model = keras.Model(clip, L.Dense(1, name="out")(L.Flatten(name="flat")(clip)), name="stepper")
    with pytest.raises(ValueError) as info, kernest.trace():
        model(np.zeros((2, 7, 6), "float32"))
    err = str(kernest.explain(info.value, model))
    assert "axis 1 is 7, not 4" in err and "out is made for the shape it was built on" in err
    assert "keras.Input(shape=(None, 6))" not in err


@pytest.mark.core
def test_the_shape_given_is_named_where_keras_names_it_squeezed():
    series = keras.Input((4, 1), name="series")
    model = keras.Model(series, L.Dense(1, name="out")(L.Flatten()(series)), name="forecaster")
    with pytest.raises(ValueError) as info, kernest.trace():
        model(np.zeros((2, 6, 1), "float32"))  # Keras says "found shape=(2, 6)"
    err = kernest.explain(info.value, model)
    assert err.mismatches[0].received == "(batch, 6, 1)", str(err)


@pytest.mark.core
def test_a_list_holding_a_dict_given_without_it_names_the_missing_part():
    ids = {k: keras.Input((3,), dtype="int32", name=k) for k in ("tokens", "segments")}
    text = keras.Model(ids, L.Dense(2, name="fc")(L.Flatten()(L.Embedding(10, 2)(ids["tokens"]) + L.Embedding(2, 2)(
        ids["segments"]))), name="text_tower")
    image = keras.Input((4,), name="pixels")
    joined = L.Concatenate()([L.Dense(2, name="image_fc")(image), text(ids)])
    model = keras.Model([image, ids], L.Dense(1, name="out")(joined), name="pair")
    with pytest.raises(ValueError) as info, kernest.trace():
        model([np.zeros((2, 4), "float32")])
    err = str(kernest.explain(info.value, model))
    assert re.search(r"takes one list of 2 items, \[pixels \(batch, 4\), \{'tokens': \(batch, 3\), 'segments': "
                     r"\(batch, 3\)\}\], and gets 1\. Missing: .*which text_tower takes", err), err


@pytest.mark.core
def test_a_path_under_time_distributed_names_the_wrapped_model():
    frame = keras.Input((6, 6, 3))
    cnn = keras.Sequential([keras.Input((6, 6, 3)), L.Conv2D(2, 3, name="conv")], name="cnn")
    extractor = keras.Model(frame, L.GlobalAveragePooling2D()(cnn(frame)), name="extractor")
    clip = keras.Input((2, 6, 6, 3), name="clip")
    model = keras.Model(clip, L.TimeDistributed(extractor, name="per_frame")(clip), name="video")
    with pytest.raises(ValueError) as info, kernest.trace():
        model(np.zeros((2, 2, 6, 6, 1), "float32"))  # grey frames: the conv inside refuses them
    path = kernest.explain(info.value, model).mismatches[0].path
    assert path.endswith("per_frame/extractor/cnn/conv"), path
