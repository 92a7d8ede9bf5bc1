from __future__ import annotations

import itertools
import os

import pytest
from PIL import Image

import kernest
from kernest._plot import Arrow, Text, layout
from kernest.cli import main
from tests import models

pytestmark = pytest.mark.core


def test_png_of_flagship_is_a_valid_image_of_sensible_size(tmp_path):
    path = kernest.plot(models.word_model(), tmp_path / "model.png")
    with Image.open(path) as img:
        img.verify()
    with Image.open(path) as img:
        assert img.format == "PNG"
        w, h = img.size
        assert 300 <= w <= 4000 and 600 <= h <= 6000
        assert len(set(img.convert("L").getdata())) > 10  # not blank
    assert os.listdir(tmp_path) == ["model.png"]


def test_svg_holds_every_submodel_and_interface_shape(tmp_path):
    path = kernest.plot(models.depth3(), tmp_path / "d3.svg")
    text = open(path, encoding="utf-8").read()
    assert text.startswith("<svg") and text.rstrip().endswith("</svg>")
    for name in ("outer", "middle", "inner", "dense", "head"):
        assert f">{name}<" in text
    assert "(batch, features=2)" in text


def test_svg_of_flagship_shows_wrappers_and_per_element_shapes(tmp_path):
    text = open(kernest.plot(models.word_model(), tmp_path / "m.svg", depth=3), encoding="utf-8").read()
    for name in ("sentiment", "per_word", "char_cnn", "conv", "word_lstm", "forward_lstm", "backward_lstm"):
        assert f">{name}<" in text
    assert "(batch*words, chars=8, embed=6)" in text
    assert "(batch, words=6, filters=8)" in text


def test_bad_output_paths(tmp_path):
    with pytest.raises(kernest.KernestError, match="'.png' or '.svg'"):
        kernest.plot(models.depth3(), tmp_path / "m.pdf")
    with pytest.raises(kernest.KernestError, match="Cannot write"):
        kernest.plot(models.depth3(), tmp_path / "missing" / "m.png")


def test_cli_plot_and_summary(tmp_path, capsys):
    src = kernest.save(models.depth3(), tmp_path / "d3.keras")
    assert main(["plot", src, "-o", str(tmp_path / "d3.svg")]) == 0
    assert (tmp_path / "d3.svg").exists()
    assert main(["summary", src, "--depth", "2"]) == 0
    out = capsys.readouterr().out
    assert "middle/inner " in out and "middle/inner/dense" not in out
    assert main(["summary", src, "--json"]) == 0
    assert '"total_params": 26' in capsys.readouterr().out
    assert main(["plot", src, "-o", str(tmp_path / "missing" / "x.png")]) == 2


# --- issue 10: big models, depth, shared submodels, labels -----------------------------------------------

def _labels(scene):
    return [t for t in scene.items if isinstance(t, Text) and t.edge]


def _overlap(a, b):
    (l1, t1, r1, b1), (l2, t2, r2, b2) = a.bounds(), b.bounds()
    return l1 < r2 and l2 < r1 and t1 < b2 and t2 < b1


def test_default_shows_submodel_boundaries_and_stays_small(tmp_path):
    model = models.mobilenet_classifier()
    scene = layout(model)
    assert scene.height < 600 and scene.width < 800
    text = open(kernest.plot(model, tmp_path / "m.svg"), encoding="utf-8").read()
    assert ">mobilenetv2_0.35_32<" in text and "Functional · 153 layers" in text
    assert "block_13_expand" not in text
    assert ">block_13_expand_relu<" in open(kernest.plot(model, tmp_path / "all.svg", depth=2), encoding="utf-8").read()


def test_depth_opens_boxes_down_to_that_depth():
    texts = {t.text for t in layout(models.three_level()).items if isinstance(t, Text)}
    assert {"stage", "block", "pool", "Functional · 1 layer"} <= texts and "conv" not in texts
    one = {t.text for t in layout(models.three_level(), depth=1).items if isinstance(t, Text)}
    assert "stage" in one and "block" not in one
    assert "conv" in {t.text for t in layout(models.three_level(), depth=3).items if isinstance(t, Text)}
    with pytest.raises(kernest.KernestError, match="depth is a whole number"):
        layout(models.three_level(), depth=0)


def test_a_shared_submodel_is_marked_and_each_call_has_its_arrows():
    texts = [t.text for t in layout(models.siamese()).items if isinstance(t, Text)]
    assert "Functional · 3 layers · shared: 2 calls (@0, @1)" in texts
    # the encoder runs on left (@0) and right (@1); both of its outputs reach diff, each on its own arrow
    assert sorted(t for t in texts if t.startswith("@")) == [
        "@0 (batch, 6)", "@0 (batch, features=4)", "@1 (batch, 6)", "@1 (batch, features=4)"]
    arrows = [a for a in layout(models.siamese()).items if isinstance(a, Arrow)]
    assert len({(a.x1, a.y1, a.x2, a.y2) for a in arrows}) == len(arrows)  # no two arrows drawn on one line


@pytest.mark.parametrize("builder", [models.siamese, models.wide_and_deep, models.seq2seq, models.word_model])
@pytest.mark.parametrize("depth", [None, 3])
def test_arrow_labels_never_overlap(builder, depth):
    labels = _labels(layout(builder(), depth))
    assert len(labels) >= 4
    assert [(a.text, b.text) for a, b in itertools.combinations(labels, 2) if _overlap(a, b)] == []


def test_cli_plot_depth(tmp_path):
    src = kernest.save(models.three_level(), tmp_path / "n.keras")
    assert main(["plot", src, "-o", str(tmp_path / "n.svg"), "--depth", "3"]) == 0
    assert ">conv<" in (tmp_path / "n.svg").read_text(encoding="utf-8")
    assert main(["plot", src, "-o", str(tmp_path / "d.svg")]) == 0
    assert ">conv<" not in (tmp_path / "d.svg").read_text(encoding="utf-8")


def test_plot_draws_arrows_between_the_layers_of_a_subclassed_model():
    model = models.subclassed_router()
    scene = layout(model, depth=3)
    boxes = {t.text: t for t in scene.items if isinstance(t, Text) and t.bold}
    stem, body = boxes["stem"], boxes["body"]
    assert body.y > stem.y  # ranked below what feeds it
    arrows = [a for a in scene.items if isinstance(a, Arrow)]
    assert any(a.y1 > stem.y and a.y2 < body.y and a.y2 > a.y1 for a in arrows)  # stem -> body
    links = {link.interface: link.shape for link in kernest.summary(model).links}
    assert links["router/stem -> router/body"] == "(batch, features=4)"


def test_a_subclassed_model_drawn_on_its_own_has_arrows_in_call_order(tmp_path):
    model = models.subclassed_classifier()  # call: head(drop(backbone(x))), head set first
    scene = layout(model)
    boxes = {t.text: t for t in scene.items if isinstance(t, Text) and t.bold}
    assert boxes["backbone"].y < boxes["drop"].y < boxes["head"].y
    assert len([a for a in scene.items if isinstance(a, Arrow)]) >= 2  # backbone -> drop -> head
    assert os.path.getsize(kernest.plot(model, tmp_path / "c.svg")) > 500
