"""kernest's public API on models that keras-hub builds: BERT, GPT-2 and Gemma backbones, a ResNet and a
ViT backbone, a user's classifier that nests a BERT backbone (dict inputs), and keras-hub's layers
(TokenAndPositionEmbedding, TransformerEncoder, TransformerDecoder, PositionEmbedding) inside a user's
functional model. Every model is tiny and randomly initialised from its class: no preset, no download.
Each case works and gives the answer Keras gives (parameter counts, output shapes, outputs after a
reload), or raises a ``KernestError`` that says what to do."""

from __future__ import annotations

import gc
from dataclasses import dataclass
from xml.etree import ElementTree

import keras
import numpy as np
import pytest

import kernest
from tests.test_real_world import cli_on_a_saved_file_and_a_script, sizes

keras_hub = pytest.importorskip(
    "keras_hub", reason="keras-hub is not installed (pip install keras-hub): its models are not swept")
L = keras.layers


def bert_backbone() -> keras.Model:
    return keras_hub.models.BertBackbone(vocabulary_size=50, num_layers=2, num_heads=2, hidden_dim=16,
                                         intermediate_dim=32, max_sequence_length=16)


def gpt2_backbone() -> keras.Model:
    return keras_hub.models.GPT2Backbone(vocabulary_size=50, num_layers=2, num_heads=2, hidden_dim=16,
                                         intermediate_dim=32, max_sequence_length=16)


def gemma_backbone() -> keras.Model:
    return keras_hub.models.GemmaBackbone(vocabulary_size=50, num_layers=2, num_query_heads=2, num_key_value_heads=1,
                                          hidden_dim=16, intermediate_dim=32, head_dim=8)


def resnet_backbone() -> keras.Model:  # keras-hub fixes the first stage's width at 64
    return keras_hub.models.ResNetBackbone(
        input_conv_filters=[64], input_conv_kernel_sizes=[3], stackwise_num_filters=[64, 16],
        stackwise_num_blocks=[1, 1], stackwise_num_strides=[1, 2], block_type="basic_block",
        use_pre_activation=False, image_shape=(32, 32, 3))


def vit_backbone() -> keras.Model:
    return keras_hub.models.ViTBackbone(image_shape=(32, 32, 3), patch_size=8, num_layers=2, num_heads=2,
                                        hidden_dim=16, mlp_dim=32)


def bert_classifier() -> keras.Model:
    """A user's classifier around a BERT backbone: dict inputs in, the pooled output through a new head."""
    names = ("token_ids", "segment_ids", "padding_mask")
    inputs = {n: keras.Input((None,), dtype="int32", name=n) for n in names}
    pooled = bert_backbone()(inputs)["pooled_output"]
    return keras.Model(inputs, L.Dense(3, name="head")(L.Dropout(0.1, name="drop")(pooled)), name="classifier")


def hub_layers() -> keras.Model:
    """keras-hub's layers in a user's functional model: an encoder-decoder over token ids."""
    ids = keras.Input((12,), dtype="int32", name="ids")
    x = keras_hub.layers.TokenAndPositionEmbedding(50, 12, 16, name="embed")(ids)
    x = keras_hub.layers.TransformerEncoder(32, 2, name="enc")(x)
    y = keras_hub.layers.TransformerDecoder(32, 2, name="dec")(x, x)
    y = L.Add(name="add")([y, keras_hub.layers.PositionEmbedding(12, name="pos")(y)])
    return keras.Model(ids, L.Dense(2, name="head")(L.GlobalAveragePooling1D(name="gap")(y)), name="hub_layers")


@dataclass(frozen=True)
class Case:
    build: object
    inner: str  # a path at depth >= 2 to extract
    part: str  # a part to replace with a copy of itself
    glob: str  # what to freeze


CASES = [
    Case(bert_backbone, "transformer_layer_1/feedforward_intermediate_dense", "pooled_dense", "transformer_layer_*/self_*"),
    Case(gpt2_backbone, "transformer_layer_0/self_attention/query", "transformer_layer_1", "**/feedforward_*"),
    Case(gemma_backbone, "decoder_block_1/ffw_linear", "decoder_block_0", "decoder_block_0/**"),
    Case(resnet_backbone, "stack1_block0_add", "stack1_block0_0_conv", "stack0_*"),
    Case(vit_backbone, "vit_encoder/transformer_block_2/mlp/dense_1", "vit_encoder", "vit_encoder/transformer_block_1/**"),
    Case(bert_classifier, "bert_backbone/transformer_layer_0/self_attention_layer", "bert_backbone", "bert_backbone/*"),
    Case(hub_layers, "dec/feedforward_intermediate_dense", "enc", "enc/*"),
]
IDS = [c.build.__name__ for c in CASES]


@pytest.fixture(scope="module")
def build():
    """``build(case)``: each model once per module (building and tracing one takes a second or two); the
    tests leave it as they found it (freeze is undone, replace and load make new models)."""
    built: dict[object, keras.Model] = {}

    def get(case: Case) -> keras.Model:
        if case.build not in built:
            built[case.build] = case.build()
        return built[case.build]

    yield get
    built.clear()
    gc.collect()


def sample(model: keras.Model) -> object:
    """A batch of 2: token, segment ids and padding masks in [0, 2) (BERT has 2 segments), images in [0, 1)."""
    rng = np.random.default_rng(0)

    def one(t):
        shape = (2, *(d or 12 for d in t.shape[1:]))
        return rng.integers(0, 2, shape).astype("int32") if "int" in str(t.dtype) else rng.random(shape, "float32")

    struct = model._inputs_struct
    if isinstance(struct, dict):
        return {k: one(t) for k, t in struct.items()}
    xs = [one(t) for t in model.inputs]
    return xs[0] if len(xs) == 1 else xs


def outputs(model: keras.Model, x: object) -> list[np.ndarray]:
    return [keras.ops.convert_to_numpy(o) for o in keras.tree.flatten(model(x))]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_summary_plot_and_check_count_and_shape_as_keras_does(case, build, tmp_path):
    model = build(case)
    s = kernest.summary(model)
    text, html = str(s), s._repr_html_()
    assert s.total_params == model.count_params()
    every = kernest.summary(model, depth=9)
    assert sum(r.own_params for r in every.rows) == model.count_params()
    assert [r.path for r in every.rows] == kernest.paths(model)
    for row in every.rows:
        assert row.params == kernest.get(model, row.path).count_params(), row.path
    for row in s.rows:
        assert row.path in text and row.path in html
    real = [tuple(o.shape[1:]) for o in keras.tree.flatten(model(sample(model)))]
    shown = [t.split(" ", 1)[1] for t in s.outputs]  # "name (batch, ...)"
    assert [tuple(sizes(t) if "?" not in t else ()) for t in shown] == [r if "?" not in t else () for r, t in
                                                                      zip(real, shown, strict=True)]
    svg = kernest.plot(model, tmp_path / "m.svg")
    texts = {t.text for t in ElementTree.parse(svg).iter("{http://www.w3.org/2000/svg}text")}
    assert str(model.name) in texts and case.part.split("/")[0] in texts
    assert f"check {model.name}:" in str(kernest.check(model))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_extract_an_inner_layer_gives_the_shape_summary_shows(case, build):
    model = build(case)
    value = keras.tree.flatten(kernest.extract(model, case.inner)(sample(model)))[0]
    row = {r.path: r for r in kernest.summary(model, depth=9).rows}[case.inner]
    shown = row.output_shape.strip("()").split(", ")[1:]
    assert len(shown) == len(value.shape) - 1
    for size, text in zip(value.shape[1:], shown, strict=True):
        assert text.endswith("?") or int(text.split("=")[-1]) == size, (row.output_shape, value.shape)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_save_load_gives_the_same_outputs_and_no_diff(case, build, tmp_path):
    model = build(case)
    loaded = kernest.load(kernest.save(model, tmp_path / "m.keras"))  # a KernestWarning fails the test
    x = sample(model)
    for a, b in zip(outputs(model, x), outputs(loaded, x), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert not kernest.diff(model, loaded).changes, str(kernest.diff(model, loaded))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_replace_a_part_with_a_copy_keeps_the_outputs(case, build):
    model = build(case)
    old = kernest.get(model, case.part)
    new = type(old).from_config(old.get_config())
    if not new.built:
        new.build_from_config(old.get_build_config())
    new.set_weights(old.get_weights())
    x = sample(model)
    for a, b in zip(outputs(model, x), outputs(kernest.replace(model, case.part, new), x), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_freeze_by_glob_and_unfreeze(case, build):
    model = build(case)
    before = {id(w) for w in model.trainable_weights}
    changed = kernest.freeze(model, case.glob)
    frozen = [w for p in changed for w in kernest.get(model, p).weights]
    assert frozen and not any(w.trainable for w in frozen)
    assert {id(w) for w in model.trainable_weights} == before - {id(w) for w in frozen}
    kernest.unfreeze(model, case.glob)
    assert {id(w) for w in model.trainable_weights} == before


def test_a_classifier_around_a_backbone_trains_with_the_backbone_partly_frozen():
    model = bert_classifier()
    kernest.freeze(model, "bert_backbone/transformer_layer_0")
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), run_eagerly=True)
    frozen = [np.array(w) for w in kernest.get(model, "bert_backbone/transformer_layer_0").weights]
    head = np.array(kernest.get(model, "head").kernel)
    model.fit(sample(model), np.array([0, 2]), epochs=1, verbose=0)
    for w, old in zip(kernest.get(model, "bert_backbone/transformer_layer_0").weights, frozen, strict=True):
        np.testing.assert_array_equal(np.array(w), old)
    assert not np.allclose(np.array(kernest.get(model, "head").kernel), head)
    rows = {r.path: r for r in kernest.summary(model).rows}
    assert rows["bert_backbone"].trainable_text == "partly"


def test_attention_called_by_keyword_inside_a_hub_layer_shows_its_inputs():
    rows = {r.path: r for r in kernest.summary(hub_layers(), depth=3).rows}
    assert rows["enc/self_attention_layer"].input_shape == "[(batch, 12, embed=16), (batch, 12, embed=16)]"  # query=, value=
    assert rows["dec/cross_attention"].output_shape == "(batch, 12, 16)"
    assert rows["dec/cross_attention/query"].output_shape == "(batch, 12, 2, 8)"  # (heads, head size)


def test_cli_on_a_saved_hub_model_and_a_script(tmp_path, capsys):
    out, script_out = cli_on_a_saved_file_and_a_script(bert_classifier(), "bert_classifier", tmp_path, capsys,
                                                       module="tests.test_real_world_hub", classes="keras_hub")
    for printed in (out, script_out):
        assert "bert_backbone/transformer_layer_0" in printed or "bert_backbone" in printed
        assert "check classifier:" in printed
