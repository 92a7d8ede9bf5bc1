"""kernest's public API swept over nested models as people write them (keras.applications backbones,
keras.io-style VAE, siamese, seq2seq, Transformer, GAN, dict I/O, subclassed and Sequential nesting,
wrappers, masking, channels_first). Each case either works and gives the right answer, or raises a
``KernestError`` that says what to do; never a raw traceback."""

from __future__ import annotations

import os
import textwrap
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

L = keras.layers


@dataclass(frozen=True)
class Case:
    build: object
    inner: str  # a path at depth >= 2 to extract
    submodel: str  # a submodel to replace with a copy of itself
    glob: str  # what to freeze


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
]
IDS = [c.build.__name__ for c in CASES]


def sample(model: keras.Model, seed: int = 0) -> object:
    """A batch of 2 for every input: ids in [1, 5) for integer inputs, uniform floats otherwise."""
    rng = np.random.default_rng(seed)

    def one(t):
        shape = (2, *(d or 3 for d in t.shape[1:]))
        return rng.integers(1, 5, shape).astype("int32") if "int" in str(t.dtype) else rng.random(shape, "float32")

    struct = getattr(model, "_inputs_struct", None)
    if isinstance(struct, dict):
        return {k: one(t) for k, t in struct.items()}
    xs = [one(t) for t in model.inputs]
    return xs[0] if len(xs) == 1 else xs


def deterministic(outputs: object) -> list[np.ndarray]:
    """The outputs that do not depend on random noise (a VAE's reconstruction samples z)."""
    if isinstance(outputs, dict) and "z_mean" in outputs:
        return [np.asarray(outputs["z_mean"])]
    return [np.asarray(o) for o in keras.tree.flatten(outputs)]


def sizes(shape_text: str) -> list[int]:
    """``(batch, words=6, 8)`` -> ``[6, 8]``."""
    return [int(p.split("=")[-1]) for p in shape_text.strip("()").split(", ")[1:]]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_summary_plot_check_and_paths(case, tmp_path):
    model = case.build()
    s = kernest.summary(model)
    text, html = str(s), s._repr_html_()
    assert s.total_params == model.count_params()
    for row in s.rows:
        assert row.path in text and row.path in html
        assert kernest.get(model, row.path) is not None
        assert "?" not in row.input_shape + row.output_shape, row.path
    every = kernest.summary(model, depth=9)
    assert sum(r.own_params for r in every.rows) == model.count_params()
    assert [r.path for r in every.rows] == kernest.paths(model)

    svg = kernest.plot(model, tmp_path / "m.svg")
    texts = [t.text or "" for t in ElementTree.parse(svg).iter("{http://www.w3.org/2000/svg}text")]
    assert str(model.name) in texts and case.submodel.split("/")[0] in texts
    png = kernest.plot(model, tmp_path / "m.png")
    with Image.open(png) as image:
        assert image.format == "PNG" and min(image.size) > 50

    report = kernest.check(model)
    assert str(report)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_extract_an_inner_activation_with_the_size_summary_shows(case):
    model = case.build()
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
    np.testing.assert_allclose(got, encoder(right), rtol=1e-5, atol=1e-6)


def test_extract_inside_a_keras_applications_block_matches_the_backbone_itself():
    model = models.mobilenet_in_features()
    base = kernest.get(model, "features/mobilenetv2_0.35_32")
    x = sample(model)
    got = kernest.extract(model, "block_3_project")(x)  # a unique name is a path too
    direct = keras.Model(base.input, base.get_layer("block_3_project").output)(x)
    np.testing.assert_allclose(got, direct, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_freeze_keeps_weights_through_a_training_step_and_unfreeze_restores(case):
    model = case.build()
    before = len(model.trainable_weights)
    changed = kernest.freeze(model, case.glob)
    assert changed
    frozen = [w for p in changed for w in kernest.get(model, p).weights]
    assert frozen and not any(w.trainable for w in frozen)
    x = sample(model)
    y = keras.tree.map_structure(np.zeros_like, model(x))
    model.compile("sgd", keras.tree.map_structure(lambda _: "mse", y), run_eagerly=True)  # no tracing: fast
    kept = [np.array(w) for w in frozen]
    model.fit(x, y, epochs=1, batch_size=2, verbose=0)
    for w, old in zip(frozen, kept, strict=True):
        if "moving" not in w.path:  # BatchNormalization statistics move in training mode
            np.testing.assert_array_equal(np.array(w), old, err_msg=w.path)
    kernest.unfreeze(model, case.glob, recompile=True)
    assert len(model.trainable_weights) == before


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_replace_a_submodel_with_a_copy_keeps_the_outputs(case):
    model = case.build()
    old = kernest.get(model, case.submodel)
    new = keras.models.clone_model(old)
    if not new.built:  # a subclassed model is cloned from its config, unbuilt
        new.build(old._build_shapes_dict["input_shape"])
    new.set_weights(old.get_weights())
    swapped = kernest.replace(model, case.submodel, new)
    x = sample(model)
    for a, b in zip(deterministic(model(x)), deterministic(swapped(x)),
                    strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_save_load_gives_the_same_outputs_and_no_diff(case, tmp_path):
    model = case.build()
    path = kernest.save(model, tmp_path / "m.keras")
    loaded = kernest.load(path)
    x = sample(model)
    for a, b in zip(deterministic(model(x)), deterministic(loaded(x)),
                    strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    d = kernest.diff(model, loaded)
    assert not d.changes, str(d)


def test_a_changed_submodel_shows_in_the_diff():
    model = models.transformer()
    wider = kernest.replace(model, "block_2", models.transformer_block("block_2", 6, 8, ffn=32))
    d = kernest.diff(model, wider)
    assert [c.path for c in d.changed] == ["block_2", "block_2/ffn_in", "block_2/ffn_out"]
    sizes_ = [kernest.get(m, "block_2").count_params() for m in (model, wider)]
    assert f"~ block_2  params: {sizes_[0]:,} -> {sizes_[1]:,}" in str(d) and not d.added and not d.removed


def test_extract_inside_a_subclassed_model_says_what_to_do():
    with pytest.raises(kernest.KernestError, match=r"'tower/d1'.*rebuild it with the functional API"):
        kernest.extract(models.subclassed_in_functional(), "tower/d1")


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
    np.testing.assert_allclose(kernest.extract(swapped, "encoder_2")([left, right]), copy(right), rtol=1e-5, atol=1e-6)


def test_axis_names_survive_save_and_load(tmp_path):
    model = models.word_model()  # kernest.Input with axes=("words", "chars"), over("words", char_cnn)
    loaded = kernest.load(kernest.save(model, tmp_path / "m.keras"))
    assert kernest.axes_of(loaded.inputs[0]) == ("words", "chars")
    assert [r.input_shape for r in kernest.summary(loaded).rows] == [r.input_shape for r in kernest.summary(model).rows]
    assert not kernest.diff(model, loaded)
