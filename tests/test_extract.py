from __future__ import annotations

import keras
import numpy as np
import pytest

import kernest
from tests import models

pytestmark = pytest.mark.core
L = keras.layers
numpy = keras.ops.convert_to_numpy  # torch's tensors that need grad do not convert with np.asarray


def test_extract_depth1():
    model = models.depth3()
    ext = kernest.extract(model, "head")
    x = np.ones((2, 4), "float32")
    np.testing.assert_allclose(ext.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


def test_extract_depth2_and_3_as_dict():
    model = models.depth3()
    ext = kernest.extract(model, {"deep": "middle/inner/dense", "mid": "middle/dense"})
    x = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    out = ext.predict(x, verbose=0)
    inner = kernest.get(model, "middle/inner")
    np.testing.assert_allclose(out["deep"], inner.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    assert out["mid"].shape == (3, 2)


def test_extract_inside_over_keeps_the_mapped_axis():
    model = models.word_model()
    ext = kernest.extract(model, ["per_word/char_cnn/conv", "per_word/char_cnn/embed", "head"])
    assert [tuple(o.shape) for o in ext.outputs] == [(None, 6, 8, 8), (None, 6, 8, 6), (None, 3)]
    x = models.char_ids()
    conv, _, head = ext.predict(x, verbose=0)
    cnn = kernest.get(model, "per_word/char_cnn")
    per_word = kernest.extract(cnn, "conv").predict(x.reshape(-1, 8), verbose=0).reshape(4, 6, 8, 8)
    np.testing.assert_allclose(conv, per_word, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(head, model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_extract_over_inside_over_depth4():
    ext = kernest.extract(models.over_over(), "per_sent/sentence/per_word/char_cnn/conv")
    assert tuple(ext.output.shape) == (None, 3, 4, 5, 4)


def test_extract_inside_time_distributed_and_bidirectional():
    td = kernest.extract(models.time_distributed(), "per_step/step_model/dense")
    assert tuple(td.output.shape) == (None, 7, 3)
    ext = kernest.extract(models.word_model(), ["word_lstm/forward_lstm", "word_lstm/backward_lstm"])
    assert [tuple(o.shape) for o in ext.outputs] == [(None, 5), (None, 5)]


def test_extract_glob_gives_every_match():
    ext = kernest.extract(models.word_model(), "per_word/char_cnn/*")
    assert len(ext.outputs) == 3


def test_extractor_shares_weights_with_the_model():
    model = models.word_model()
    ext = kernest.extract(model, "per_word/char_cnn/conv")
    x = models.char_ids(batch=8)
    before = ext.predict(x, verbose=0)
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
    model.train_on_batch(x, np.arange(8) % 3)
    after = ext.predict(x, verbose=0)
    assert not np.allclose(before, after)


def test_extract_from_unbuilt_model_is_a_clear_error():
    with pytest.raises(kernest.KernestError, match="not built"):
        kernest.extract(models.mlp((4,), "seq"), "dense_0")


def test_extract_inside_a_custom_layer_runs_its_call():
    model = models.with_custom_block()  # pre -> block (x + proj(inner_dense(x))) -> head
    x = np.random.default_rng(1).random((3, 4), "float32")
    got = kernest.extract(model, ["block/inner_dense", "block/proj", "head"])(x)
    block, h = kernest.get(model, "block"), kernest.get(model, "pre")(x)
    np.testing.assert_allclose(numpy(got[0]), numpy(block.inner(h)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(numpy(got[1]), numpy(block.proj(block.inner(h))), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(numpy(got[2]), numpy(model(x)), rtol=1e-5, atol=1e-6)  # the layers after it still run


def test_extract_unknown_path():
    with pytest.raises(kernest.PathError, match="Nearest valid paths: per_word/char_cnn/conv"):
        kernest.extract(models.word_model(), "per_word/char_cnn/conf")


# --- issue 10: shared submodels, bare names, subclassed models -------------------------------------------

def _pair():
    left = np.arange(12).reshape(2, 6).astype("int32") % 20
    return left, (left + 3) % 20


def test_shared_encoder_gives_the_activation_of_every_call():
    model = models.siamese()
    left, right = _pair()
    emb = kernest.get(model, "encoder/emb")
    got_left, got_right = kernest.extract(model, "encoder/emb").predict([left, right], verbose=0)
    np.testing.assert_allclose(got_left, keras.ops.convert_to_numpy(emb(left)), rtol=1e-6)
    np.testing.assert_allclose(got_right, keras.ops.convert_to_numpy(emb(right)), rtol=1e-6)


def test_at_n_picks_one_call_and_a_bad_n_lists_the_calls():
    model = models.siamese()
    left, right = _pair()
    second = kernest.extract(model, "encoder/emb@1").predict([left, right], verbose=0)
    np.testing.assert_allclose(second, keras.ops.convert_to_numpy(kernest.get(model, "encoder/emb")(right)), rtol=1e-6)
    codes = kernest.extract(model, {"left": "encoder@0", "right": "encoder@1"}).predict([left, right], verbose=0)
    np.testing.assert_allclose(codes["right"], kernest.get(model, "encoder").predict(right, verbose=0), rtol=1e-5)
    with pytest.raises(kernest.KernestError, match=r"encoder/emb@2: 'encoder/emb' runs 2 time\(s\).*@0, @1"):
        kernest.extract(model, "encoder/emb@2")


def test_a_unique_keras_name_resolves_at_any_depth():
    model = models.mobilenet_classifier()
    ext = kernest.extract(model, "block_13_expand_relu")
    assert tuple(ext.output.shape) == (None, 2, 2, 192)


def test_extract_from_a_subclassed_model_runs_its_call_once_built_and_names_the_alternative_before():
    with pytest.raises(kernest.KernestError, match=r"subclassed model.*Call it on data once.*"
                       r"kernest\.extract\(classifier\.backbone, 'fc1'\) for its attribute 'backbone'"):
        kernest.extract(models.Classifier(name="classifier"), "backbone/fc1")  # never called: no input shapes
    model = models.subclassed_classifier()
    x = np.random.default_rng(0).random((2, 8), "float32")
    fc1, out = kernest.extract(model, ["backbone/fc1", "head"])(x)
    np.testing.assert_allclose(numpy(fc1), numpy(model.backbone.get_layer("fc1")(x)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(numpy(out), numpy(model(x)), rtol=1e-5, atol=1e-6)  # dropout is off at inference
    # a path the model lacks is told in its own names, not those of the graph kernest wraps it in
    with pytest.raises(kernest.PathError) as info:
        kernest.extract(model, ["head", "backbone/fc_1"])
    assert f"'backbone/fc_1' in model {model.name!r}" in str(info.value) and "backbone/fc1" in str(info.value)
    assert f"{model.name}/" not in str(info.value) and "_graph" not in str(info.value)


def test_extract_inside_a_subclassed_model_runs_its_call_and_records_the_layer():
    model = models.subclassed_router()
    x = np.random.default_rng(0).random((2, 6), "float32")
    router = kernest.get(model, "router")
    fc, body = kernest.get(model, "router/stem/fc"), kernest.get(model, "router/body")
    got = kernest.extract(model, {"fc": "router/stem/fc", "body": "router/body/b_fc", "second": "router/body@1"})(x)
    np.testing.assert_allclose(numpy(got["fc"]), numpy(fc(x)), rtol=1e-5, atol=1e-6)
    h = router.stem(x)
    first = body(h)
    assert len(got["body"]) == 2  # the loop runs the tower twice: one activation per call
    np.testing.assert_allclose(numpy(got["body"][0]), numpy(first), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(numpy(got["second"]), numpy(body(h + first)), rtol=1e-5, atol=1e-6)
    # the extractor shares the weights: a training step of the model moves what it returns
    before = numpy(kernest.extract(model, "router/stem/fc")(x))
    model.compile("sgd", "mse", run_eagerly=True)
    model.fit(x, np.ones((2, 2), "float32"), epochs=1, batch_size=2, verbose=0)
    extractor = kernest.extract(model, "router/stem/fc")
    assert not np.allclose(numpy(extractor(x)), before)
    np.testing.assert_allclose(numpy(extractor(x)), numpy(fc(x)), rtol=1e-5, atol=1e-6)


def test_extract_a_layer_a_subclassed_call_skips_or_cannot_run_says_what_to_do():
    with pytest.raises(kernest.KernestError, match=r"'router/drop'.*does not call it when the model runs"):
        kernest.extract(models.subclassed_router(), "router/drop")
    x = keras.Input((5, 4), name="steps")
    per_step = keras.Model(x, L.TimeDistributed(models.DenseNorm(3, name="block"), name="per_step")(x), name="td")
    with pytest.raises(kernest.KernestError, match=r"'per_step/block/fc'.*rebuild it with the functional API"):
        kernest.extract(per_step, "per_step/block/fc")
