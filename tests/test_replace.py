from __future__ import annotations

import keras
import numpy as np
import pytest

import kernest
from tests import models

pytestmark = pytest.mark.core
L = keras.layers


def _weights_by_path(model, skip=()):
    return {
        path: [np.asarray(w) for w in kernest.get(model, path).weights]
        for path in kernest.paths(model)
        if not any(path == s or path.startswith(s + "/") or s.startswith(path + "/") or s == path for s in skip)
    }


def test_replace_depth1_keeps_other_weights():
    model = models.depth3()
    new = kernest.replace(model, "head", L.Dense(1, name="head2"))
    assert kernest.paths(new)[-1] == "head2"
    before, after = _weights_by_path(model, skip=["head"]), _weights_by_path(new, skip=["head2"])
    for path, ws in before.items():
        for a, b in zip(ws, after[path]):
            np.testing.assert_array_equal(a, b)


def test_replace_depth3_rebuilds_parents_and_leaves_original_alone():
    model = models.depth3()
    new = kernest.replace(model, "middle/inner/dense", L.Dense(3, name="dense3"))
    assert kernest.paths(new) == ["middle", "middle/inner", "middle/inner/dense3", "middle/dense", "head"]
    assert kernest.paths(model) == ["middle", "middle/inner", "middle/inner/dense", "middle/dense", "head"]
    assert kernest.get(new, "middle/dense") is not kernest.get(model, "middle/dense")  # a copy by default
    shared = kernest.replace(model, "middle/inner/dense", L.Dense(3, name="dense3"), share=True)
    assert kernest.get(shared, "middle/dense") is kernest.get(model, "middle/dense")
    assert new.predict(np.ones((2, 4), "float32"), verbose=0).shape == (2, 1)


def test_replace_inside_over_with_an_equal_copy_gives_equal_predictions():
    model = models.word_model()
    old = kernest.get(model, "per_word/char_cnn")
    copy = keras.models.clone_model(old)
    copy.set_weights(old.get_weights())
    new = kernest.replace(model, "per_word/char_cnn", copy)
    x = models.char_ids()
    np.testing.assert_allclose(new.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    assert isinstance(kernest.get(new, "per_word"), kernest.Over)
    assert kernest.axes_of(new.inputs[0]) == ("words", "chars")  # the copy keeps the named input


def test_replace_a_layer_deep_inside_over():
    model = models.word_model()
    new = kernest.replace(model, "per_word/char_cnn/conv", L.Conv1D(8, 5, padding="same", name="conv5"))
    assert "per_word/char_cnn/conv5" in kernest.paths(new)
    assert new.predict(models.char_ids(), verbose=0).shape == (4, 3)


def test_replace_incompatible_output_names_the_interface():
    model = models.word_model()
    with pytest.raises(kernest.InterfaceError, match=r"per_word/char_cnn/conv -> per_word/char_cnn/pool.*expected") as info:
        kernest.replace(model, "per_word/char_cnn/conv", L.Conv1D(9, 3, padding="same", name="c9"))
    err = info.value
    assert err.expected == "(batch*words, chars=8, filters=8)"
    assert err.received == "(batch*words, chars=8, filters=9)"
    assert "c9" in err.fix


def test_replace_incompatible_input_names_the_interface():
    with pytest.raises(kernest.InterfaceError, match=r"chars -> per_word/char_cnn.*expected \(batch\*words, 7\)"):
        kernest.replace(models.word_model(), "per_word/char_cnn", models.char_cnn(chars=7, name="cnn7"))
    with pytest.raises(kernest.InterfaceError, match=r"middle/dense -> head"):
        kernest.replace(models.depth3(), "middle/dense", L.Dense(5))


def test_replace_inside_bidirectional_or_custom_layer_says_what_to_do():
    with pytest.raises(kernest.KernestError, match="Replace 'word_lstm' as a whole"):
        kernest.replace(models.word_model(), "word_lstm/forward_lstm", L.LSTM(5, name="lstm2"))
    with pytest.raises(kernest.KernestError, match="Replace 'block' as a whole"):
        kernest.replace(models.with_custom_block(), "block/proj", L.Dense(4))


def test_replace_unknown_path():
    with pytest.raises(kernest.PathError, match="middle/inner/dense"):
        kernest.replace(models.depth3(), "middle/inner/dens", L.Dense(3))


def test_replace_shared_submodel_replaces_both_calls():
    new = kernest.replace(models.shared_twice(), "encoder", models.mlp((4,), "enc2", input_dim=3))
    assert kernest.paths(new)[:2] == ["enc2", "enc2/dense_0"]
    row = next(r for r in kernest.summary(new).rows if r.path == "enc2")
    assert len(row.calls) == 2


# --- issue 10: head swaps, copies, subclassed models ----------------------------------------------------

def test_head_swap_may_change_the_number_of_classes():
    model = models.mobilenet_classifier(classes=5)
    new = kernest.replace(model, "head", L.Dense(3, activation="softmax", name="head3"))
    assert tuple(new.output.shape) == (None, 3)
    x = np.random.default_rng(0).normal(size=(2, 32, 32, 3)).astype("float32")
    assert new.predict(x, verbose=0).shape == (2, 3)
    base = "mobilenetv2_0.35_32"
    np.testing.assert_array_equal(np.asarray(kernest.get(new, f"{base}/Conv1").kernel),
                                  np.asarray(kernest.get(model, f"{base}/Conv1").kernel))


def test_a_head_inside_a_submodel_that_feeds_the_output_may_change_it_too():
    new = kernest.replace(models.gan(), "discriminator/d_out", L.Dense(2, name="two"))
    assert tuple(new.output.shape) == (None, 2)
    with pytest.raises(kernest.InterfaceError, match=r"generator/g_out -> discriminator"):
        kernest.replace(models.gan(), "generator/g_out", L.Dense(7))  # feeds the discriminator, not an output


def test_new_model_does_not_share_layers_with_the_original_unless_asked():
    model = models.depth3()
    new = kernest.replace(model, "head", L.Dense(1, name="head2"))
    kernest.freeze(new, "middle")
    assert kernest.get(model, "middle").trainable and len(model.trainable_weights) == 6
    shared = kernest.replace(model, "head", L.Dense(1, name="head2"), share=True)
    kernest.freeze(shared, "middle")
    assert not kernest.get(model, "middle").trainable


def test_copy_keeps_trainable_flags_and_weights():
    model = models.gan()
    new = kernest.replace(model, "generator/g_fc", L.Dense(8, activation="relu", name="g_fc2"))
    assert kernest.get(new, "discriminator").trainable is False
    np.testing.assert_array_equal(np.asarray(kernest.get(new, "d_fc").kernel), np.asarray(kernest.get(model, "d_fc").kernel))


def test_replace_in_a_subclassed_model_gives_steps_that_work():
    model = models.subclassed_classifier()
    with pytest.raises(kernest.KernestError, match=r"subclassed model.*Create a new Classifier.*"
                       r"new\.backbone\.set_weights\(classifier\.backbone\.get_weights\(\)\).*"
                       r"kernest\.replace\(classifier\.backbone, 'fc1'"):
        kernest.replace(model, "head", L.Dense(3))
    new = models.Classifier(classes=4)  # the steps the message gives
    x = np.ones((2, 8), "float32")
    new(x)
    new.backbone.set_weights(model.backbone.get_weights())
    np.testing.assert_allclose(new.backbone.predict(x, verbose=0), model.backbone.predict(x, verbose=0), rtol=1e-6)
    assert new.predict(x, verbose=0).shape == (2, 4)
    assert "fc1b" in kernest.paths(kernest.replace(model.backbone, "fc1", L.Dense(6, name="fc1b")))


def test_replace_in_an_unbuilt_sequential_says_how_to_build_it():
    with pytest.raises(kernest.KernestError, match=r"not built.*keras\.Input as its first layer"):
        kernest.replace(models.mlp((4,), "seq"), "dense_0", L.Dense(4))


def test_at_n_replaces_one_call_of_a_shared_submodel():
    model = models.siamese()
    ids = keras.Input((6,), dtype="int32", name="ids")
    other = keras.Model(ids, L.Dense(4, name="proj2")(L.Flatten()(L.Embedding(20, 2)(ids))), name="other")
    new = kernest.replace(model, "encoder@1", other)
    assert [r.path for r in kernest.summary(new).rows if r.depth == 1] == ["encoder", "other", "diff", "score"]
    left = np.arange(12).reshape(2, 6).astype("int32") % 20
    right = (left + 3) % 20
    expected = kernest.get(new, "score")(kernest.get(new, "diff")([kernest.get(new, "encoder")(left), other(right)]))
    np.testing.assert_allclose(new.predict([left, right], verbose=0), keras.ops.convert_to_numpy(expected), rtol=1e-5)
    with pytest.raises(kernest.KernestError, match=r"'encoder' runs 2 times.*Replace 'encoder@N' as a whole"):
        kernest.replace(model, "encoder/proj@1", L.Dense(4))
    with pytest.raises(kernest.KernestError, match=r"runs 2 time\(s\), so its calls are @0, @1"):
        kernest.replace(model, "encoder@2", other)


def test_dict_outputs_keep_their_keys():
    new = kernest.replace(models.vae(), "decoder/out", L.Dense(12, name="out2"))
    assert isinstance(new.output, dict) and set(new.output) == {"reconstruction", "z_mean"}
