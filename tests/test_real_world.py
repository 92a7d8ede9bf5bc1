"""kernest's public API swept over nested models as people write them (keras.applications backbones,
keras.io-style VAE, siamese, seq2seq, Transformer, GAN, dict I/O, subclassed and Sequential nesting,
wrappers, masking, channels_first; then ResNet50V2, DenseNet121 with its top, ConvNeXtTiny, a U-Net of two
models, preprocessing layers, Lambda and slicing between submodels, a subclassed model with control flow,
a custom RNN cell, Bidirectional with states, masked attention, mixed input dtypes, a fixed batch size; then
MobileNetV3Small, Xception at 71x71, EfficientNetV2B0, VGG16 with a new top, a keras.io-style ViT and MLP-Mixer,
Attention/AdditiveAttention, Sequential in Sequential in Functional, a Model inside a Sequential, a multi-task
model with a loss dict, a triplet tower, TimeDistributed next to over, a subclassed fine-tuner around a
backbone, a custom layer that builds its weights from the input shape).
Each case either works and gives the right answer, or raises a ``KernestError`` that says what to do;
never a raw traceback."""

from __future__ import annotations

import gc
import os
import re
import subprocess
import sys
import textwrap
import warnings
from dataclasses import dataclass
from xml.etree import ElementTree

import keras
import numpy as np
import pytest
from PIL import Image

import kernest
from kernest._plot import Arrow, Text, layout
from kernest.cli import main
from tests import models
from tests.backend_support import needs_channels_first_conv

L = keras.layers


@dataclass(frozen=True)
class Case:
    build: object
    inner: str  # a path at depth >= 2 to extract
    submodel: str  # a submodel to replace with a copy of itself
    glob: str  # what to freeze
    unsafe: bool = False  # holds Python code (a Lambda): safe mode refuses to load it
    loads: bool = True  # False: Keras 3 cannot load it back (one model inside two wrappers); kernest refuses to save


TOL = 1e-4  # TensorFlow's oneDNN kernels give a conv net's first call and later ones ~2e-5 apart
HEAVY = {models.resnet_in_features, models.densenet_with_top, models.convnext_classifier, models.mobilenet_v3_small,
         models.xception_classifier, models.efficientnet_v2, models.vgg16_new_top, models.fine_tuner}
SHARED = HEAVY | {models.multi_task}  # built once per module: seconds to build (multi_task trains a step)


@pytest.fixture(scope="module")
def build():
    """``build(case)``: a fresh model; a keras.applications one (seconds to build) once per module. Tests
    leave those as they found them (freeze is undone, replace and load make new models), except for one
    training step."""
    built: dict[object, keras.Model] = {}

    def get(case: Case) -> keras.Model:
        if case.build not in SHARED:
            return case.build()
        if case.build not in built:
            built[case.build] = case.build()
            gc.collect()
            gc.freeze()  # the backbones live to the end of the module: no collection needs to look at them
        return built[case.build]

    yield get
    gc.unfreeze()
    built.clear()
    gc.collect()


CASES = [
    Case(models.mobilenet_in_features, "features/mobilenetv2_0.35_32/block_3_project", "features", "features/**"),
    Case(models.siamese, "encoder/proj@1", "encoder", "encoder/*"),
    Case(models.vae, "encoder/hidden", "decoder", "encoder/*"),
    Case(models.seq2seq, "decoder/dec_lstm", "decoder", "encoder/*"),
    Case(models.transformer, "block_2/ffn_in", "block_1", "block_*/ln*"),
    Case(models.gan, "generator/g_fc", "generator", "generator/g_fc"),
    Case(models.tickets, "text_enc/t_avg", "text_enc", "text_enc/*"),
    Case(models.subclassed_in_functional, "tower", "tower", "tower/*"),
    Case(models.sequential_in_sequential, "inner/fc1", "inner", "inner/*"),
    Case(models.video_cnn, "per_frame/frame_cnn/conv", "per_frame/frame_cnn", "per_frame/**"),
    Case(models.sequential_over_steps, "per_step/frame/fc", "per_step/frame", "per_step/**"),
    Case(models.bidirectional_masked, "encoder/bilstm", "encoder", "encoder/*"),
    Case(models.channels_first, "cnn/conv", "cnn", "cnn/*"),
    Case(models.resnet_in_features, "features/resnet50v2/conv3_block1_out", "features", "features/resnet50v2/conv5_*"),
    Case(models.densenet_with_top, "densenet121/conv2_block1_concat", "densenet121", "densenet121/conv5_*"),
    Case(models.convnext_classifier, "convnext_tiny/convnext_tiny_stage_0_block_0_layer_scale", "convnext_tiny",
         "convnext_tiny/convnext_tiny_stage_3*"),
    Case(models.unet, "decoder/up_conv2", "encoder", "encoder/*"),
    Case(models.preprocessing_classifier, "text/emb", "image", "numeric/*"),
    Case(models.lambda_and_slicing, "seq_enc/proj", "seq_enc", "seq_enc/*", unsafe=True),
    Case(models.subclassed_router, "router/stem/fc", "router", "router/**"),
    Case(models.recurrent_mix, "encoder/bilstm/forward_lstm", "encoder", "encoder/bilstm"),
    Case(models.masked_attention, "encoder/attn_block/mha", "encoder/attn_block", "encoder/**"),
    Case(models.mixed_dtypes, "tower/cat", "tower", "tower/emb"),
    Case(models.fixed_batch, "inner/gru", "inner", "inner/*"),
    Case(models.mobilenet_v3_small, "MobileNetV3Small/expanded_conv_squeeze_excite_conv", "MobileNetV3Small",
         "MobileNetV3Small/expanded_conv_*"),
    Case(models.xception_classifier, "xception/block2_sepconv2_bn", "xception", "xception/block1*"),
    Case(models.efficientnet_v2, "efficientnetv2-b0/block2a_project_conv", "efficientnetv2-b0",
         "efficientnetv2-b0/block6*"),
    Case(models.vgg16_new_top, "vgg16/block3_conv2", "top", "top/fc"),
    Case(models.vit, "block_1/mha", "block_2", "block_1/*"),
    Case(models.mlp_mixer, "mixer_1/token_mlp", "mixer_2", "stem/*"),
    Case(models.attention_layers, "query_enc/q_conv", "value_enc", "query_enc/*"),
    Case(models.three_level_sequential, "middle/inner/fc2", "middle", "middle/inner/*"),
    Case(models.sequential_of_a_model, "head/fc", "head", "head/*"),
    Case(models.multi_task, "trunk/fc", "trunk", "trunk/*"),
    Case(models.triplet, "embedding/emb@2", "embedding", "embedding/conv"),
    Case(models.per_step, "per_step/step_enc/fc1", "per_step/step_enc", "per_step/**"),
    Case(models.per_step_over, "per_step/step_enc/fc1", "per_step/step_enc", "per_step/**"),
    Case(models.fine_tuner, "tuner/mobilenetv2_0.35_32/block_2_add", "tuner", "tuner/mobilenetv2_0.35_32/block_1*"),
    Case(models.custom_build_layer, "block/linear", "block", "block/*"),
    Case(models.conditional_gan, "generator/g_fc", "generator", "generator/g_*"),
    Case(models.actor_critic, "trunk/common", "trunk", "trunk/*"),
    Case(models.feature_space, "features/color_lookup", "features", "features/*"),
    Case(models.pointnet, "feature_tnet/transform", "input_tnet", "*_tnet/*"),
    Case(models.perceiver, "cross_attention/cross_mha", "latent_transformer", "cross_attention/*"),
    Case(models.conv_mixer, "mixer_2/depthwise", "mixer_1", "mixer_*/bn*"),
    Case(models.tab_transformer, "column_transformer/ffn_in@1", "column_transformer", "column_transformer/*"),
    Case(models.td_and_over, "over_steps/step_enc/fc1", "td_steps/step_enc", "td_steps/**", loads=False),
    Case(models.preprocessing_backbone, "backbone/preprocess/resize", "backbone", "backbone/features/*"),
]
# small models whose every test takes well under 3 s on each backend: CI runs them on JAX and PyTorch too
CORE = {models.siamese, models.tickets, models.subclassed_in_functional, models.actor_critic, models.lambda_and_slicing}
CORE_FIT = {models.subclassed_in_functional, models.lambda_and_slicing}  # an eager training step: seconds on JAX


STRING_INPUTS = {models.preprocessing_classifier, models.feature_space}
NO_STRING_TENSORS = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="a string input: JAX and PyTorch tensors cannot hold strings (JAX: 'Dtype <U6 is not a valid JAX array "
           "type'; torch: 'Invalid dtype: str192'), so Keras runs StringLookup there only inside tf.data")


def cases(slow: tuple[object, ...] = (), calls: bool = True, core: set[object] | None = None) -> list[object]:
    """CASES as pytest parameters for tests that call the model; those built by ``slow`` are marked ``slow``
    (seconds each: cloning or training a 7M-28M parameter backbone), so ``-m "not slow"`` keeps the sweep
    quick; those with string inputs run on TensorFlow only; those in ``core`` (default ``CORE``) are marked
    ``core``."""
    core = CORE if core is None else core

    def marks(c: Case) -> list[object]:
        return ([pytest.mark.slow] * (c.build in slow) + [NO_STRING_TENSORS] * (calls and c.build in STRING_INPUTS)
                + [pytest.mark.core] * (c.build in core)
                + [needs_channels_first_conv()] * (calls and c.build is models.channels_first))

    return [pytest.param(c, id=c.build.__name__, marks=marks(c)) for c in CASES]


def sample(model: keras.Model, seed: int = 0) -> object:
    """A batch of 2 for every input: ids in [1, 5) for integer inputs, words for string inputs, uniform
    floats otherwise."""
    rng = np.random.default_rng(seed)

    def one(t):
        shape = (2, *(d or 3 for d in t.shape[1:]))
        if "int" in str(t.dtype):
            return rng.integers(1, 5, shape).astype("int32")
        if "str" in str(t.dtype):
            return rng.choice(np.array(["red", "green", "blue", "unseen"]), shape)
        return rng.random(shape, "float32")

    struct = getattr(model, "_inputs_struct", None)
    named = isinstance(struct, dict)
    xs = [one(t) for t in (struct.values() if named else model.inputs)]
    if any(x.dtype.kind == "U" for x in xs):  # Keras' fit() takes no NumPy strings, nor tensors mixed with arrays
        xs = [keras.ops.convert_to_tensor(x) for x in xs]
    if named:
        return dict(zip(struct, xs, strict=True))
    return xs[0] if len(xs) == 1 else xs


def deterministic(outputs: object) -> list[np.ndarray]:
    """The outputs that do not depend on random noise (a VAE's reconstruction samples z)."""
    if isinstance(outputs, dict) and "z_mean" in outputs:
        return [keras.ops.convert_to_numpy(outputs["z_mean"])]
    return [keras.ops.convert_to_numpy(o) for o in keras.tree.flatten(outputs)]


def arrays(values: object) -> object:
    """Backend tensors as NumPy arrays (a PyTorch tensor that requires grad refuses ``np.asarray``)."""
    return keras.tree.map_structure(keras.ops.convert_to_numpy, values)


def close(actual: object, desired: object, **tolerances: float) -> None:
    np.testing.assert_allclose(arrays(actual), arrays(desired), **tolerances)


def sizes(shape_text: str) -> list[int]:
    """``(batch, words=6, 8)`` -> ``[6, 8]``."""
    return [int(p.split("=")[-1]) for p in shape_text.strip("()").split(", ")[1:]]


@pytest.mark.parametrize("case", cases(slow=(models.densenet_with_top, models.resnet_in_features), calls=False))
def test_summary_plot_check_and_paths(case, build, tmp_path):
    model = build(case)
    s = kernest.summary(model)
    text, html = str(s), s._repr_html_()
    assert s.total_params == model.count_params()
    for row in s.rows:
        assert row.path in text and row.path in html
        assert kernest.get(model, row.path) is not None
        if all(d is not None for t in model.inputs for d in t.shape[1:]):  # "?" is a size the input leaves open
            assert "?" not in row.input_shape + row.output_shape, row.path  # a training-only Dropout included
    every = kernest.summary(model, depth=9)
    assert sum(r.own_params for r in every.rows) == model.count_params()
    assert [r.path for r in every.rows] == kernest.paths(model)
    inner = [r for r in every.rows if r.depth > 1][::7]  # a sample at depth >= 2: params as Keras counts them
    for row in [*s.rows, *inner]:
        assert row.params == kernest.get(model, row.path).count_params(), row.path

    svg = kernest.plot(model, tmp_path / "m.svg")
    texts = [t.text or "" for t in ElementTree.parse(svg).iter("{http://www.w3.org/2000/svg}text")]
    assert str(model.name) in texts and case.submodel.split("/")[0] in texts
    if case.build not in HEAVY:  # the same drawing as the SVG; matplotlib takes seconds for a backbone's
        png = kernest.plot(model, tmp_path / "m.png")
        with Image.open(png) as image:
            assert image.format == "PNG" and min(image.size) > 50

    if case.loads:
        report = kernest.check(model)
    else:
        with pytest.warns(kernest.KernestWarning, match=r"shared by more than one model .*cannot load it"):
            report = kernest.check(model)
    assert str(report)


@pytest.mark.parametrize("case", cases())
def test_extract_an_inner_activation_with_the_size_summary_shows(case, build):
    model = build(case)
    extractor = kernest.extract(model, case.inner)
    value = extractor(sample(model))
    row = {r.path: r for r in kernest.summary(model, depth=9).rows}[case.inner.split("@")[0]]
    call = int(case.inner.split("@")[1]) if "@" in case.inner else 0
    out_text = row.calls[min(call, len(row.calls) - 1)][1]  # @N may name a call of the tower around it
    first = keras.tree.flatten(value)[0]
    if "batch*" not in out_text:  # inside TimeDistributed a row is per element; the extract keeps the axis
        assert list(first.shape[1:]) == sizes(out_text.strip("[]").split("), (")[0] + ")")


def test_extract_picks_the_right_call_of_a_shared_tower():
    model = models.siamese()
    left, right = sample(model)
    got = kernest.extract(model, "encoder/proj@1")([left, right])
    encoder = kernest.get(model, "encoder")
    close(got, encoder(right), rtol=1e-5, atol=1e-6)


def test_extract_inside_a_keras_applications_block_matches_the_backbone_itself():
    model = models.mobilenet_in_features()
    base = kernest.get(model, "features/mobilenetv2_0.35_32")
    x = sample(model)
    got = kernest.extract(model, "block_3_project")(x)  # a unique name is a path too
    direct = keras.Model(base.input, base.get_layer("block_3_project").output)(x)
    close(got, direct, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("case", cases(slow=(models.densenet_with_top, models.convnext_classifier), core=CORE_FIT))
def test_freeze_keeps_weights_through_a_training_step_and_unfreeze_restores(case, build):
    model = build(case)
    before = len(model.trainable_weights)
    changed = kernest.freeze(model, case.glob, recompile=True)  # a model compiled already is compiled again
    assert changed
    frozen = [w for p in changed for w in kernest.get(model, p).weights]
    assert frozen and not any(w.trainable for w in frozen)
    x = sample(model)
    if case.build in HEAVY:  # one image: an eager step of a backbone takes seconds per sample
        x = keras.tree.map_structure(lambda a: a[:1], x)
    y = keras.tree.map_structure(np.zeros_like, arrays(model(x)))
    model.compile("sgd", keras.tree.map_structure(lambda _: "mse", y), run_eagerly=True)  # no tracing: fast
    kept = [np.array(w) for w in frozen]
    model.fit(x, y, epochs=1, batch_size=2, verbose=0)
    for w, old in zip(frozen, kept, strict=True):
        if "moving" not in w.path:  # BatchNormalization statistics move in training mode
            np.testing.assert_array_equal(np.array(w), old, err_msg=w.path)
    kernest.unfreeze(model, case.glob, recompile=True)
    assert len(model.trainable_weights) == before


@pytest.mark.parametrize("case", cases(slow=(models.resnet_in_features, models.densenet_with_top)))
def test_replace_a_submodel_with_a_copy_keeps_the_outputs(case, build):
    model = build(case)
    old = kernest.get(model, case.submodel)
    new = keras.models.clone_model(old)
    if not new.built:  # a subclassed model is cloned from its config, unbuilt
        new.build(old._build_shapes_dict["input_shape"])
    new.set_weights(old.get_weights())
    if not case.loads:  # one model inside two wrappers: a copy of the outer model would hold two
        with pytest.raises(kernest.KernestError, match=r"one layer object, 'step_enc', at .* Pass share=True"):
            kernest.replace(model, case.submodel, new)
    swapped = kernest.replace(model, case.submodel, new, share=not case.loads)
    x = sample(model)
    for a, b in zip(deterministic(model(x)), deterministic(swapped(x)),
                    strict=True):
        close(a, b, rtol=TOL, atol=TOL / 10)


@pytest.mark.parametrize("case", cases(slow=(models.densenet_with_top, models.convnext_classifier)))
def test_save_load_gives_the_same_outputs_and_no_diff(case, build, tmp_path):
    model = build(case)
    if not case.loads:
        with pytest.raises(kernest.KernestError, match=r"Refusing to save .*cannot be loaded by Keras"):
            kernest.save(model, tmp_path / "m.keras")
        assert not (tmp_path / "m.keras").exists()
        return
    path = kernest.save(model, tmp_path / "m.keras")
    if case.unsafe:
        with pytest.raises(kernest.UnsafeModelError, match=r"Lambda.*safe_mode=False \(CLI: --unsafe\)"):
            kernest.load(path)
    loaded = kernest.load(path, safe_mode=not case.unsafe)
    x = sample(model)
    for a, b in zip(deterministic(model(x)), deterministic(loaded(x)),
                    strict=True):
        close(a, b, rtol=TOL, atol=TOL / 10)
    d = kernest.diff(model, loaded)
    assert not d.changes, str(d)


@NO_STRING_TENSORS
def test_replace_keeps_an_adapted_vocabulary_and_normalization_of_the_copied_model():
    words = keras.Input((2,), dtype="string", name="words")
    lookup = L.StringLookup(name="lookup")
    lookup.adapt(np.array([["a", "b"], ["c", "a"]]))
    text = keras.Model(words, L.Flatten(name="flat")(L.Embedding(6, 2, name="emb")(lookup(words))), name="text")
    norm = L.Normalization(name="norm")
    norm.adapt(np.random.default_rng(0).normal(4.0, 3.0, (16, 3)).astype("float32"))
    w, n = keras.Input((2,), dtype="string", name="w"), keras.Input((3,), name="n")
    joined = L.Concatenate(name="join")([text(w), norm(n)])
    model = keras.Model([w, n], L.Dense(1, name="head")(joined), name="adapted")
    x = [keras.ops.convert_to_tensor(np.array([["a", "c"], ["b", "zz"]])), keras.ops.ones((2, 3))]
    swapped = kernest.replace(model, "head", L.Dense(1, name="head_2"))  # the rest is a copy of the original
    got, want = kernest.extract(swapped, "join")(x), kernest.extract(model, "join")(x)
    close(got, want, rtol=1e-6)  # same ids looked up, same mean and variance


def test_a_changed_submodel_shows_in_the_diff():
    model = models.transformer()
    wider = kernest.replace(model, "block_2", models.transformer_block("block_2", 6, 8, ffn=32))
    d = kernest.diff(model, wider)
    assert [c.path for c in d.changed] == ["block_2", "block_2/ffn_in", "block_2/ffn_out"]
    sizes_ = [kernest.get(m, "block_2").count_params() for m in (model, wider)]
    assert f"~ block_2  params: {sizes_[0]:,} -> {sizes_[1]:,}" in str(d) and not d.added and not d.removed


def test_bidirectional_with_states_shows_every_output_as_it_really_is():
    model = models.recurrent_mix()
    rows = {r.path: r for r in kernest.summary(model).rows}
    got = kernest.extract(model, ["encoder/bilstm/forward_lstm", "encoder/bilstm"])(sample(model))
    for path, value in zip(["encoder/bilstm/forward_lstm", "encoder/bilstm"], got, strict=True):
        shown = rows[path].output_shape.strip("[]").split("), (")
        assert len(shown) == len(value), path  # (sequence, h, c) and (sequence, h, c, h, c)
        assert [sizes("(" + t.strip("()") + ")") for t in shown] == [list(v.shape[1:]) for v in value], path


def test_lambda_between_submodels_saves_and_loads_only_when_trusted(tmp_path):
    model = models.lambda_and_slicing()
    rows = {r.path: r for r in kernest.summary(model).rows}
    assert rows["double"].input_shape == "(batch, 4)"  # x[:, 0] of (batch, 5, features=4)
    links = [link.interface for link in kernest.summary(model).links]
    assert "seq_enc -> double" in links and "seq_enc -> head" in links  # through the slice, and through ops
    path = kernest.save(model, tmp_path / "m.keras")
    assert main(["summary", path]) == 2  # safe mode refuses it, with one line
    assert main(["summary", path, "--unsafe"]) == 0


def test_a_backbone_nested_at_depth_2_is_collapsed_by_default():
    model = models.mobilenet_in_features()
    s = kernest.summary(model)
    assert [r.path for r in s.rows] == ["features", "features/mobilenetv2_0.35_32", "features/gap", "head"]
    backbone = s.rows[1]
    assert backbone.collapsed == len(kernest.get(model, backbone.path).layers) - 1  # all but its InputLayer
    assert f"depth={s.open_depth}" in str(s) and s.open_depth == 3
    assert "depth=3" in s._repr_html_() and "depth=3" in s.to_markdown() and s.to_dict()["rows"][1]["collapsed"] == backbone.collapsed
    assert len(kernest.summary(model, depth=3).rows) == 4 + backbone.collapsed
    assert len(kernest.summary(model, filter="features/mobilenetv2_0.35_32/**").rows) == backbone.collapsed + 1


def test_efficientnet_with_rescaling_and_normalization_inside():
    model = models.efficientnet_classifier()
    s = kernest.summary(model)
    assert [r.path for r in s.rows] == ["efficientnetb0", "pool", "head"] and s.rows[0].collapsed > 200
    rows = {r.path: r for r in kernest.summary(model, depth=2).rows}
    assert rows["efficientnetb0/rescaling"].output_shape == "(batch, 32, 32, 3)"
    # weights=None leaves EfficientNet's own Normalization at mean 0 and variance 1 (ImageNet weights set them):
    # check says so, and is quiet once the layer holds statistics
    with pytest.warns(kernest.KernestWarning, match=r"efficientnetb0/normalization .*never adapted"):
        assert str(kernest.check(model))
    norm = kernest.get(model, "efficientnetb0/normalization")
    mean, variance, count = norm.get_weights()
    norm.set_weights([mean + 0.45, variance * 0.05, count + 100])
    with warnings.catch_warnings():
        warnings.simplefilter("error", kernest.KernestWarning)
        assert str(kernest.check(model))


def test_channels_first_names_the_channel_axis_where_it_is():
    rows = {r.path: r for r in kernest.summary(models.channels_first()).rows}
    assert rows["cnn/conv"].output_shape == "(batch, filters=4, 10, 10)"
    assert rows["cnn/gap"].output_shape == "(batch, filters=4)"


def test_subclassed_rows_carry_the_axis_names_of_what_they_were_given():
    rows = {r.path: r for r in kernest.summary(models.subclassed_in_functional()).rows}
    assert rows["tower/d2"].input_shape == rows["tower/d1"].output_shape == "(batch, features=4)"


def test_replace_a_subclassed_submodel_with_a_wrong_width_names_the_interface():
    model = models.subclassed_in_functional()
    with pytest.raises(kernest.InterfaceError, match=r"tower -> head"):
        kernest.replace(model, "tower", models.Tower(7, name="tower"))


def test_cli_on_a_saved_file_and_on_a_script(tmp_path, capsys):
    model_file = kernest.save(models.vae(), tmp_path / "vae.keras")
    for args in (["summary", model_file], ["check", model_file], ["plot", model_file, "-o", str(tmp_path / "v.svg")]):
        assert main([*args, "--import", "tests.models"]) == 0, args
    assert "encoder/hidden" in capsys.readouterr().out
    script = tmp_path / "towers.py"
    script.write_text(textwrap.dedent("""
        import keras
        L = keras.layers
        tower = keras.Sequential([keras.Input((6,)), L.Dense(4, name="fc")], name="tower")
        a, b = keras.Input((6,), name="a"), keras.Input((6,), name="b")
        model = keras.Model([a, b], L.Dense(1, name="score")(L.Subtract(name="diff")([tower(a), tower(b)])))
    """))
    assert main(["summary", str(script)]) == 0
    assert "call @1" in capsys.readouterr().out
    assert main(["check", str(script)]) == 0
    assert main(["plot", str(script), "-o", str(tmp_path / "t.png")]) == 0
    assert os.path.getsize(tmp_path / "t.png") > 1000
    assert main(["summary", str(tmp_path / "missing.keras")]) == 2
    assert "kernest: error:" in capsys.readouterr().err


def test_keras_ops_between_layers_keep_them_linked_in_summary_and_plot():
    model = models.ops_between_submodels()
    links = [(link.producer, link.consumer) for link in kernest.summary(model).links]
    assert links == [("x", "enc"), ("enc", "head")]
    scene = layout(model)
    boxes = {t.text: t for t in scene.items if isinstance(t, Text) and t.bold}
    arrows = [a for a in scene.items if isinstance(a, Arrow)]
    enc, head = boxes["enc"], boxes["head"]
    assert head.y > enc.y  # ranked below what feeds it
    assert any(a.y1 > enc.y and a.y2 < head.y for a in arrows)  # an arrow from enc's row into head's
    assert "Functional · 1 layer" in {t.text for t in scene.items if isinstance(t, Text)}


def test_dict_outputs_are_drawn_under_their_keys():
    scene = layout(models.tickets())
    outputs = [t.text for t in scene.items if isinstance(t, Text) and not t.bold and not t.edge
               and t.text in ("priority", "department")]
    assert sorted(outputs) == ["department", "priority"]  # the output boxes, besides the two Dense boxes' titles


def test_replace_one_call_of_a_shared_tower():
    model = models.siamese()
    copy = keras.models.clone_model(kernest.get(model, "encoder"))  # keeps the name "encoder"
    with pytest.raises(kernest.KernestError, match=r"give the new one its own name first, e.g. new.name = 'encoder_2'"):
        kernest.replace(model, "encoder@1", copy)
    copy.name = "encoder_2"
    swapped = kernest.replace(model, "encoder@1", copy)
    rows = {r.path: r for r in kernest.summary(swapped).rows}
    assert len(rows["encoder"].calls) == 1 and len(rows["encoder_2"].calls) == 1
    left, right = sample(model)
    close(kernest.extract(swapped, "encoder_2")([left, right]), copy(right), rtol=1e-5, atol=1e-6)


def test_axis_names_survive_save_and_load(tmp_path):
    model = models.word_model()  # kernest.Input with axes=("words", "chars"), over("words", char_cnn)
    loaded = kernest.load(kernest.save(model, tmp_path / "m.keras"))
    assert kernest.axes_of(loaded.inputs[0]) == ("words", "chars")
    assert [r.input_shape for r in kernest.summary(loaded).rows] == [r.input_shape for r in kernest.summary(model).rows]
    assert not kernest.diff(model, loaded)


def cli_on_a_saved_file_and_a_script(model: keras.Model, builder: str, tmp_path, capsys,
                                     module: str = "tests.models", classes: str = "tests.models") -> tuple[str, str]:
    """Runs ``kernest summary``, ``check`` and ``plot`` on ``model`` saved to a ``.keras`` file (its custom
    classes imported from ``classes``) and on a script that builds it with ``<module>.<builder>()``; each
    must succeed. Returns what the file's and the script's commands printed."""
    printed = []
    saved = kernest.save(model, tmp_path / f"{builder}.keras")
    script = tmp_path / f"{builder}_script.py"
    script.write_text(f"from {module} import {builder}\nmodel = {builder}()\n")
    for target, extra in ((saved, ["--import", classes]), (str(script), [])):
        for args in (["summary", target], ["check", target], ["plot", target, "-o", str(tmp_path / "m.svg")]):
            assert main([*args, *extra]) == 0, args
        assert os.path.getsize(tmp_path / "m.svg") > 1000
        printed.append(capsys.readouterr().out)
    return printed[0], printed[1]


def test_cli_on_saved_files_and_scripts_of_the_second_batch(tmp_path, capsys):
    out, _ = cli_on_a_saved_file_and_a_script(models.subclassed_router(), "subclassed_router", tmp_path, capsys)
    assert "router/stem/fc" in out and "router/body" in out
    _, out = cli_on_a_saved_file_and_a_script(models.unet(), "unet", tmp_path, capsys)
    assert "encoder -> decoder" in out and "decoder/cat1" in out


TF_NOISE = ("absl::InitializeLog", "oneDNN custom operations", "cpu_feature_guard", "I0000 ")


def run_command(args: list[str], cwd, **env: str) -> subprocess.CompletedProcess:
    """``python -m kernest ARGS`` in a new process with this checkout's kernest, the default backend, and ENV."""
    base = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "KERAS_BACKEND")}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    base.update(env, PYTHONPATH=os.pathsep.join([root, base.get("PYTHONPATH", "")]))
    # The ceiling is for a hung process: TensorFlow's start-up alone took 70 s at load 10-13 (fresh30.log).
    return subprocess.run([sys.executable, "-m", "kernest", *args], capture_output=True, text=True, env=base,
                          cwd=cwd, timeout=400)


@pytest.mark.slow
def test_the_command_prints_none_of_tensorflows_start_up_lines(tmp_path):
    script = tmp_path / "tiny.py"
    script.write_text(textwrap.dedent("""
        import keras
        x = keras.Input((3,), name="x")
        model = keras.Model(x, keras.layers.Dense(2, name="fc")(x), name="tiny")
    """))
    done = run_command(["check", str(script)], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "tiny: 1 interfaces, all fit" in done.stdout
    assert not [line for line in done.stderr.splitlines() if any(n in line for n in TF_NOISE)], done.stderr


def test_only_the_command_quiets_tensorflow_and_only_its_log_lines():
    from kernest._startup import is_tensorflow_log_line, launched_as_cli

    assert launched_as_cli(["python", "-m", "kernest", "check", "x.py"], "/x/kernest/__main__.py")
    assert launched_as_cli(["python", "/venv/bin/kernest", "summary", "m.keras"], "/venv/bin/kernest")
    assert not launched_as_cli(["python", "-m", "pytest", "-q"], "/x/pytest/__main__.py")
    assert launched_as_cli(["python", "-X", "dev", "-mkernest.text.demo"], "/x/kernest/text/demo.py")
    assert not launched_as_cli(["python", "-m", "kernestish"], "/x/kernestish/__main__.py")
    assert not launched_as_cli(["python", "train.py", "-m", "kernest"], "train.py")
    assert not launched_as_cli(["python", "-c", "import kernest", "-m", "kernest"], "-c")
    assert is_tensorflow_log_line("I0000 00:00:1796288144.669271    8991 port.cc:153] oneDNN custom operations are on.")
    assert is_tensorflow_log_line("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR")
    assert not is_tensorflow_log_line("kernest: error: 'm.keras' does not exist.")
    assert not is_tensorflow_log_line("UserWarning: Layer 'x' was passed an input with a mask")


@pytest.mark.slow
@pytest.mark.parametrize("level, shown", [("3", False), ("0", True)])
def test_the_command_honours_a_log_level_the_user_set(tmp_path, level, shown):
    # TensorFlow prints its start-up info lines even at TF_CPP_MIN_LOG_LEVEL=3; the command drops the lines
    # below the user's level, and shows them all at level 0.
    done = run_command(["predict", "--run", "x"], tmp_path, TF_CPP_MIN_LOG_LEVEL=level)
    assert done.returncode == 2 and "kernest: error: unrecognized arguments: --run" in done.stderr
    noise = [line for line in done.stderr.splitlines() if any(n in line for n in TF_NOISE)]
    assert bool(noise) == shown, done.stderr


def test_a_fixed_batch_size_shows_where_the_model_fixes_it():
    model = models.fixed_batch()
    s = kernest.summary(model)
    rows = {r.path: r for r in s.rows}
    assert s.inputs == ["x (batch=2, 4, 3)"]
    assert rows["inner/gru"].output_shape == rows["head"].input_shape == "(batch=2, units=3)"
    assert tuple(model(sample(model)).shape) == (2, 1)
    shown = {(i.producer, i.consumer): i.shape for i in kernest.check(model).interfaces}
    assert shown[("inner", "head")] == rows["head"].input_shape and shown[("input:x", "inner")] == "(batch=2, 4, 3)"
    rows = {r.path: r for r in kernest.summary(models.mixed_dtypes()).rows}  # a free batch stays "batch"
    assert rows["tower"].input_shape == "[(batch, 4), (batch, 5)]"


def test_check_names_the_layers_on_both_sides_of_keras_ops_and_lists_the_ops():
    report = kernest.check(models.lambda_and_slicing())
    edges = {(i.producer, i.consumer): i.through for i in report.interfaces}
    assert edges[("seq_enc", "double")] == ("get_item",)  # x[:, 0]
    assert edges[("seq_enc", "head")] == ("mean", "add") and edges[("double", "head")] == ("tanh", "add")
    assert not [i for i in report.interfaces if i.producer in ("get_item", "add")]
    assert re.search(r"seq_enc +-> head +\(batch, 4\)  \(through mean, add\)", str(report))
    report = kernest.check(models.ops_between_submodels())
    assert [(i.producer, i.consumer) for i in report.shown()] == [("input:x", "enc"), ("enc", "head")]
    assert "relu, multiply" in report._repr_html_()


def test_time_distributed_and_over_around_the_same_inner_model_agree():
    td, ov = models.per_step("td"), models.per_step("over")
    ov.set_weights(td.get_weights())
    a, b = ({r.path: r for r in kernest.summary(m).rows} for m in (td, ov))
    assert (a["per_step"].kind, b["per_step"].kind) == ("TimeDistributed", "Over(steps)")
    for path in a:
        assert (a[path].input_shape, a[path].output_shape, a[path].params) == \
               (b[path].input_shape, b[path].output_shape, b[path].params), path
    assert a["per_step/step_enc/fc1"].input_shape == "(batch*steps, feats=6)"
    x = sample(td)
    close(td(x), ov(x), rtol=1e-6)
    got = [kernest.extract(m, "per_step/step_enc/fc1")(x) for m in (td, ov)]
    assert got[0].shape == got[1].shape == (2, 5, 4)
    close(got[0], got[1], rtol=1e-6)
    d = kernest.diff(td, ov)  # the wrapper's kind differs; no layer's params or shapes do
    assert [(c.path, c.fields) for c in d.changes] == [("per_step", ("kind",))]


def test_multi_task_heads_train_with_a_loss_dict_after_freeze_and_replace():
    model = models.multi_task()
    wider = kernest.replace(model, "style", L.Dense(5, activation="softmax", name="style"))
    assert [r.output_shape for r in kernest.summary(wider).rows if r.path == "style"] == ["(batch, features=5)"]
    kernest.freeze(wider, "trunk")
    wider.compile("adam", loss={"age": "mse", "gender": "binary_crossentropy",
                                "style": "sparse_categorical_crossentropy"})
    rng = np.random.default_rng(1)
    y = {"age": rng.random((4, 1)), "gender": rng.integers(0, 2, (4, 1)), "style": rng.integers(0, 5, (4,))}
    trunk = [np.array(w) for w in kernest.get(wider, "trunk").weights]
    head = np.array(kernest.get(wider, "style").kernel)
    wider.fit(rng.random((4, 6)).astype("float32"), y, epochs=1, verbose=0)
    for w, old in zip(kernest.get(wider, "trunk").weights, trunk, strict=True):
        np.testing.assert_array_equal(np.array(w), old)
    assert not np.allclose(np.array(kernest.get(wider, "style").kernel), head)
    assert kernest.get(model, "trunk").trainable  # the original is apart


def test_a_custom_layer_builds_its_weights_when_it_replaces_another():
    model = models.custom_build_layer()
    swapped = kernest.replace(model, "block/linear", models.Linear(3, name="linear_2"))
    rows = {r.path: r for r in kernest.summary(swapped).rows}
    assert rows["block/linear_2"].input_shape == "(batch, 5, features=4)" and rows["block/linear_2"].params == 15
    assert tuple(kernest.get(swapped, "block/linear_2").w.shape) == (4, 3)
    with pytest.raises(kernest.InterfaceError, match=r"block/linear_2 -> flat|linear"):
        kernest.replace(model, "block/linear", L.Reshape((15,), name="flat_early"))


def test_three_levels_of_sequential_without_inputs_freeze_and_address_like_the_others():
    model = models.three_level_sequential()
    assert kernest.get(model, "middle/inner/fc2") is model.get_layer("middle").get_layer("inner").get_layer("fc2")
    assert kernest.freeze(model, "middle/inner") == ["middle/inner", "middle/inner/fc1", "middle/inner/fc2"]
    rows = {r.path: r for r in kernest.summary(model).rows}
    assert rows["middle"].trainable_text == "partly" and rows["middle/inner"].trainable_text == "no"
    assert rows["middle/inner/fc1"].input_shape == rows["middle/pre"].output_shape == "(batch, features=4)"


def test_cli_on_saved_files_and_scripts_of_the_third_batch(tmp_path, capsys):
    out, _ = cli_on_a_saved_file_and_a_script(models.vit(), "vit", tmp_path, capsys)
    assert "patch_encoder/position_embedding" in out and "patch_encoder -> block_1" in out
    _, out = cli_on_a_saved_file_and_a_script(models.triplet(), "triplet", tmp_path, capsys)
    assert "Functional (shared: 3 calls)" in out and re.search(r"negative +-> embedding", out)


def test_check_tells_the_calls_of_a_tower_shared_three_times_apart():
    report = kernest.check(models.triplet())
    into = {i.consumer: sorted(j.producer for j in report.interfaces if j.consumer == i.consumer)
            for i in report.interfaces}
    assert into["d_pos"] == ["embedding@0", "embedding@1"] and into["d_neg"] == ["embedding@0", "embedding@2"]
    assert into["embedding"] == ["input:anchor", "input:negative", "input:positive"]


# --- keras.io example styles (fourth batch) ---------------------------------------------------------------

def test_a_layer_that_owns_sublayers_is_addressed_summarised_frozen_and_saved(tmp_path):
    model = models.layer_with_sublayers()  # keras.io's TransformerBlock: a Layer holding MHA and a Sequential
    x = sample(model)
    rows = {r.path: r for r in kernest.summary(model, depth=3).rows}
    assert kernest.get(model, "block/ffn/ffn_in") is model.get_layer("block").ffn.get_layer("ffn_in")
    for path in ("block", "block/att", "block/ffn", "block/ffn/ffn_in", "embed/pos_emb"):
        assert rows[path].params == kernest.get(model, path).count_params(), path
    assert rows["block/att"].input_shape == "[(batch, 10, embed=8), (batch, 10, embed=8)]"  # query and value
    got = kernest.extract(model, ["block/ffn/ffn_in", "block/att"])(x)
    assert [tuple(v.shape[1:]) for v in got] == [tuple(sizes(rows[p].output_shape)) for p in ("block/ffn/ffn_in", "block/att")]

    assert kernest.freeze(model, "block/ffn/*") == ["block/ffn/ffn_in", "block/ffn/ffn_out"]
    model.compile("adam", "sparse_categorical_crossentropy", run_eagerly=True)
    frozen, att = [np.array(w) for w in kernest.get(model, "block/ffn").weights], np.array(kernest.get(model, "block/att").weights[0])
    model.fit(x, np.array([0, 1]), epochs=1, verbose=0)
    for w, old in zip(kernest.get(model, "block/ffn").weights, frozen, strict=True):
        np.testing.assert_array_equal(np.array(w), old)
    assert not np.allclose(np.array(kernest.get(model, "block/att").weights[0]), att)  # the rest trained

    with pytest.raises(kernest.KernestError, match=r"'block/ffn'.*'block' \(TransformerBlock\).*Replace 'block' as a whole"):
        kernest.replace(model, "block/ffn", keras.Sequential([L.Dense(8)], name="ffn"))
    block = kernest.get(model, "block")
    copy = models.TransformerBlock(8, 2, 16, name="block")
    copy(keras.ops.zeros((1, 10, 8)))
    copy.set_weights(block.get_weights())
    close(kernest.replace(model, "block", copy)(x), model(x), rtol=1e-5, atol=1e-6)

    loaded = kernest.load(kernest.save(model, tmp_path / "m.keras"))
    close(loaded(x), model(x), rtol=1e-5, atol=1e-6)
    assert not kernest.diff(model, loaded)
    assert not kernest.get(loaded, "block/ffn/ffn_in").trainable  # the frozen flags inside a Layer come back


def test_a_subclassed_vae_with_its_own_train_step_and_add_loss():
    model = models.vae_train_step()
    s = kernest.summary(model)
    assert s.total_params == model.count_params()
    assert {r.path: r.output_shape for r in s.rows}["encoder"] == "[(batch, 2), (batch, 2), (batch, 2)]"
    hidden = kernest.extract(model, "encoder/hidden")(np.zeros((2, 10), "float32"))  # its call() is tapped
    assert tuple(hidden.shape) == (2, 6)
    with pytest.raises(kernest.KernestError, match=r"subclassed.*Create a new VAE"):
        kernest.replace(model, "decoder", models.mlp((2, 10), "decoder"))
    assert kernest.freeze(model, "encoder/*")[:2] == ["encoder/hidden", "encoder/z_mean"]
    if keras.backend.backend() == "tensorflow":  # keras.io's train_step uses a GradientTape
        model.compile("adam")
        encoder, decoder = (np.array(kernest.get(model, p).kernel) for p in ("encoder/hidden", "decoder/out"))
        data = np.random.default_rng(0).random((4, 10), "float32")
        model.fit(data, epochs=1, batch_size=4, verbose=0)
        np.testing.assert_array_equal(np.array(kernest.get(model, "encoder/hidden").kernel), encoder)
        assert not np.allclose(np.array(kernest.get(model, "decoder/out").kernel), decoder)
        assert len(model.losses) == 1  # the KL term add_loss gave


def test_a_diffusion_model_with_an_ema_copy_of_its_network(tmp_path):
    model = models.diffusion()
    x = sample(model)
    rows = {r.path: r for r in kernest.summary(model, depth=3).rows}
    assert rows["diffusion"].input_shape == "[(batch, 8, 8, 3), (batch, 1, 1, 1)]"  # call() takes one list
    assert rows["diffusion/ema_network"].output_shape == rows["diffusion"].output_shape == "(batch, 8, 8, filters=3)"
    assert rows["diffusion/normalizer"].input_shape == "(batch, 8, 8, 3)"
    assert sum(r.own_params for r in kernest.summary(model, depth=9).rows) == model.count_params()
    got = kernest.extract(model, "diffusion/ema_network/down")(x)
    assert list(got.shape[1:]) == sizes(rows["diffusion/ema_network/down"].output_shape)
    with pytest.raises(kernest.KernestError, match=r"'diffusion/network/down'.*does not call it"):
        kernest.extract(model, "diffusion/network/down")  # the EMA copy runs at inference, the network in training
    kernest.freeze(model, "diffusion/ema_network")  # as keras.io does: the EMA copy is not trained
    assert kernest.get(model, "diffusion/network/down").trainable
    assert model.count_params() - sum(int(np.prod(w.shape)) for w in model.trainable_weights) == \
        kernest.get(model, "diffusion/ema_network").count_params() + 7  # and the normalizer's statistics
    loaded = kernest.load(kernest.save(model, tmp_path / "m.keras"))
    close(loaded(x), model(x), rtol=1e-5, atol=1e-6)
    assert not kernest.get(loaded, "diffusion/ema_network").trainable and not kernest.diff(model, loaded)


def test_replace_a_submodel_with_dict_outputs_in_another_key_order():
    x = keras.Input((4,), name="x")
    encoder = keras.Model(x, {"seq": L.Dense(3, name="seq")(x), "pooled": L.Dense(2, name="pooled")(x)}, name="encoder")
    inp = keras.Input((4,), name="inp")
    out = encoder(inp)
    model = keras.Model(inp, L.Dense(1, name="head")(L.Concatenate(name="cat")([out["pooled"], out["seq"]])))
    copy = keras.models.clone_model(encoder)
    copy.set_weights(encoder.get_weights())
    data = sample(model)
    close(kernest.replace(model, "encoder", copy)(data), model(data), rtol=1e-6)
    narrower = keras.Model(x, {"seq": L.Dense(3)(x), "pooled": L.Dense(5)(x)}, name="encoder")
    with pytest.raises(kernest.InterfaceError, match=r"encoder -> cat"):
        kernest.replace(model, "encoder", narrower)


@keras.saving.register_keras_serializable(package="kernest_tests")
class DefaultNamed(L.Layer):
    """Sublayers without names (Keras numbers them: dense_12), one called by keyword as attention is."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.att = L.MultiHeadAttention(num_heads=1, key_dim=2)
        self.proj = L.Dense(3)

    def call(self, x):
        return self.proj(self.att(query=x, value=x))


def test_sublayers_keras_numbered_anew_on_load_keep_their_flags_and_no_diff(tmp_path):
    x = kernest.Input((5, 4), axes=("steps", "feats"), name="x")
    model = keras.Model(x, DefaultNamed(name="block")(x), name="numbered")
    proj = next(p for p in kernest.paths(model) if p.startswith("block/dense"))
    att = next(r for r in kernest.summary(model).rows if r.kind == "MultiHeadAttention")
    assert att.input_shape == "[(batch, steps=5, feats=4), (batch, steps=5, feats=4)]"  # query=, value=
    assert att.output_shape == "(batch, steps=5, feats=4)"  # as the query
    kernest.freeze(model, proj)
    keras.layers.Dense(1)  # moves Keras' counter: the loaded sublayers get other numbers
    loaded = kernest.load(kernest.save(model, tmp_path / "m.keras"))  # a KernestWarning would fail here
    assert proj not in kernest.paths(loaded)
    assert not kernest.get(loaded, next(p for p in kernest.paths(loaded) if p.startswith("block/dense"))).trainable
    assert not kernest.diff(model, loaded)


# --- new model styles (fifth batch) ----------------------------------------------------------------------

def test_pointnet_t_nets_predict_transforms_that_a_dot_applies():
    model = models.pointnet()
    x = sample(model)
    rows = {r.path: r for r in kernest.summary(model).rows}
    transforms, aligned = kernest.extract(model, ["input_tnet", "align_input"])(x)
    assert tuple(transforms.shape[1:]) == tuple(sizes(rows["input_tnet"].output_shape)) == (3, 3)
    close(transforms, np.broadcast_to(np.eye(3), (2, 3, 3)), atol=1e-6)  # identity at first
    close(aligned, x, rtol=1e-6, atol=1e-6)  # so the Dot gives the points back
    assert rows["feature_tnet"].output_shape == "(batch, 6, 6)" and rows["feature_tnet"].params == 452
    assert kernest.freeze(model, "*_tnet")[::6] == ["input_tnet", "feature_tnet"]
    assert not any(w.trainable for p in ("input_tnet", "feature_tnet") for w in kernest.get(model, p).weights)
    assert len(model.trainable_weights) == 8  # point_mlp's kernel, bias, gamma, beta; conv2's and classes' two


def test_perceiver_latent_array_is_a_weight_of_a_custom_layer():
    model = models.perceiver()
    x = sample(model)
    rows = {r.path: r for r in kernest.summary(model).rows}
    layer = kernest.get(model, "latent_array")
    assert rows["latent_array"].params == layer.count_params() == 4 * 8
    assert rows["cross_attention"].input_shape == "[(batch, 4, 8), (batch, 12, features=8)]"
    got = kernest.extract(model, "latent_array")(x)
    close(got, np.broadcast_to(np.array(layer.latent), (2, 4, 8)), rtol=1e-6)
    kernest.freeze(model, "latent_array")
    model.compile("sgd", "mse", run_eagerly=True)
    latent, attention = np.array(layer.latent), np.array(kernest.get(model, "cross_attention/cross_mha").weights[0])
    model.fit(x, np.ones((2, 2)), epochs=1, verbose=0)
    np.testing.assert_array_equal(np.array(layer.latent), latent)
    assert not np.allclose(np.array(kernest.get(model, "cross_attention/cross_mha").weights[0]), attention)


def test_tab_transformer_block_shared_over_depth_is_told_apart_by_call():
    model = models.tab_transformer()
    x = sample(model)
    first, second = kernest.extract(model, ["column_transformer@0", "column_transformer@1"])(x)
    block = kernest.get(model, "column_transformer")
    close(second, block(first), rtol=1e-5, atol=1e-6)  # the second call takes the first's output
    rows = {r.path: r for r in kernest.summary(model).rows}
    assert rows["columns"].output_shape == "(batch, 3, embed=8)" and len(rows["column_transformer"].calls) == 2
    assert sum(rows[f"{c}_embedding"].params for c in ("color", "size", "shape")) == (6 + 5 + 7) * 8


def test_one_model_inside_time_distributed_and_over_at_once():
    model = models.td_and_over()
    x = sample(model)
    td, ov = kernest.extract(model, ["td_steps", "over_steps"])(x)
    close(td, ov, rtol=1e-5, atol=1e-6)  # one inner model, its weights shared (JAX: two programs, 7e-8 apart)
    rows = {r.path: r for r in kernest.summary(model).rows}
    for path in ("step_enc", "step_enc/fc1", "step_enc/fc2"):
        assert rows[f"td_steps/{path}"].input_shape == rows[f"over_steps/{path}"].input_shape, path
        assert rows[f"td_steps/{path}"].output_shape == rows[f"over_steps/{path}"].output_shape, path
    assert rows["td_steps/step_enc/fc1"].input_shape == "(batch*steps, feats=6)"
    changed = kernest.freeze(model, "over_steps/step_enc")
    assert "td_steps/step_enc/fc1" in changed  # the same object: frozen at both paths
    assert not kernest.get(model, "td_steps/step_enc").trainable
    assert kernest.summary(model).total_params == model.count_params() == 106  # counted once


def test_resizing_and_rescaling_inside_a_backbone_wrapper_take_any_image_size():
    model = models.preprocessing_backbone()
    rows = {r.path: r for r in kernest.summary(model, depth=3).rows}
    assert rows["backbone/preprocess/resize"].input_shape == "(batch, ?, ?, 3)"
    assert rows["backbone/preprocess/resize"].output_shape == "(batch, 16, 16, 3)"
    extractor = kernest.extract(model, ["backbone/preprocess", "backbone/features/conv"])
    for h, w in ((40, 40), (23, 57)):
        image = np.random.default_rng(h).uniform(0, 255, (1, h, w, 3)).astype("float32")
        pre, conv = extractor(image)
        assert tuple(pre.shape) == (1, 16, 16, 3) and tuple(conv.shape[1:]) == tuple(sizes(rows["backbone/features/conv"].output_shape))
        pre = arrays(pre)
        assert -1.0 <= float(np.min(pre)) and float(np.max(pre)) <= 1.0  # 1/127.5 - 1 applied after resizing
    assert str(kernest.check(model)).startswith("check any_size_classifier:")


def test_cli_on_saved_files_and_scripts_of_the_fifth_batch(tmp_path, capsys):
    out, _ = cli_on_a_saved_file_and_a_script(models.pointnet(), "pointnet", tmp_path, capsys)
    assert "input_tnet -> align_input" in out and "feature_tnet/transform" in out
    _, out = cli_on_a_saved_file_and_a_script(models.perceiver(), "perceiver", tmp_path, capsys)
    assert "latent_array" in out and "cross_attention -> latent_transformer" in out
    out, _ = cli_on_a_saved_file_and_a_script(models.tab_transformer(), "tab_transformer", tmp_path, capsys)
    assert "column_transformer@0 -> column_transformer" in out or "column_transformer -> column_transformer" in out
    script = tmp_path / "both_wrappers.py"
    script.write_text("from tests.models import td_and_over\nmodel = td_and_over()\n")
    assert main(["summary", str(script)]) == 0 and "over_steps/step_enc/fc1" in capsys.readouterr().out
    assert main(["check", str(script)]) == 0
    assert "shared by more than one model" in capsys.readouterr().out
