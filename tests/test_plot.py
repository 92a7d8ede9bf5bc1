from __future__ import annotations

import os

import pytest
from PIL import Image

import kernest
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
    text = open(kernest.plot(models.word_model(), tmp_path / "m.svg"), encoding="utf-8").read()
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
