from __future__ import annotations

import keras
import pytest

import kernest
from kernest._paths import matches
from tests import models

pytestmark = pytest.mark.core
L = keras.layers

WORD_PATHS = [
    "per_word",
    "per_word/char_cnn",
    "per_word/char_cnn/embed",
    "per_word/char_cnn/conv",
    "per_word/char_cnn/pool",
    "word_lstm",
    "word_lstm/forward_lstm",
    "word_lstm/backward_lstm",
    "head",
]


def test_paths_of_flagship_open_over_and_bidirectional():
    assert kernest.paths(models.word_model()) == WORD_PATHS


def test_paths_depth3_and_shared_twice_has_one_path():
    assert kernest.paths(models.depth3()) == ["middle", "middle/inner", "middle/inner/dense", "middle/dense", "head"]
    assert kernest.paths(models.shared_twice()) == ["encoder", "encoder/dense_0", "concat", "head"]


def test_paths_open_custom_layers_time_distributed_and_over_inside_over():
    assert kernest.paths(models.with_custom_block()) == ["pre", "block", "block/inner_dense", "block/proj", "head"]
    assert "per_step/step_model/dense" in kernest.paths(models.time_distributed())
    assert "per_sent/sentence/per_word/char_cnn/conv" in kernest.paths(models.over_over())


def test_a_layer_shared_between_models_has_two_paths():
    assert kernest.paths(models.shared_across()) == ["sub", "sub/shared_dense", "sub/x", "shared_dense"]


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("head", L.Dense),  # depth 1
        ("middle/dense", L.Dense),  # depth 2
        ("middle/inner/dense", L.Dense),  # depth 3
        ("middle/inner", keras.Model),
    ],
)
def test_get_at_depth_1_2_3(path, kind):
    model = models.depth3()
    layer = kernest.get(model, path)
    assert isinstance(layer, kind)
    assert layer.name == path.split("/")[-1]


def test_get_inside_over_returns_the_layer_object_itself():
    model = models.word_model()
    conv = kernest.get(model, "per_word/char_cnn/conv")
    assert conv is model.get_layer("per_word").layer.get_layer("conv")
    assert kernest.get(model, "word_lstm/backward_lstm").name == "backward_lstm"
    assert kernest.get(model, "/per_word/char_cnn/") is model.get_layer("per_word").layer  # slashes trimmed


def test_get_unknown_path_lists_the_nearest_valid_paths():
    with pytest.raises(kernest.PathError, match=r"per_word/char_cnn/cnv.*Nearest valid paths: per_word/char_cnn/conv"):
        kernest.get(models.word_model(), "per_word/char_cnn/cnv")
    with pytest.raises(KeyError):  # PathError is a KeyError too
        kernest.get(models.depth3(), "middle/innr")


def test_get_glob_must_match_exactly_one_layer():
    model = models.word_model()
    assert kernest.get(model, "*/char_cnn/conv*").name == "conv"
    with pytest.raises(kernest.PathError, match="matches 3 layers"):
        kernest.get(model, "per_word/char_cnn/*")
    with pytest.raises(kernest.PathError, match="No layer at path"):
        kernest.get(model, "nothing*")


def test_inputs_are_not_addressable():
    with pytest.raises(kernest.PathError):
        kernest.get(models.word_model(), "chars")


@pytest.mark.parametrize(
    ("pattern", "path", "hit"),
    [
        ("per_word/char_cnn/*", "per_word/char_cnn/conv", True),
        ("per_word/char_cnn/*", "per_word/char_cnn", False),
        ("*/conv*", "per_word/conv", True),
        ("*/conv*", "per_word/char_cnn/conv", False),  # '*' stays within one segment
        ("**/conv*", "per_word/char_cnn/conv", True),  # '**' spans segments
        ("**/conv", "conv", True),  # ... or none
        ("per_word/**", "per_word/char_cnn/pool", True),
        ("word_lstm/*_lstm", "word_lstm/backward_lstm", True),
        ("head", "head", True),
        ("[hx]ead", "head", True),
    ],
)
def test_glob_rules(pattern, path, hit):
    assert matches(pattern, path) is hit


def test_unbuilt_sequential_has_its_layers_as_paths_without_shapes():
    seq = models.mlp((4, 2), "seq")
    assert kernest.paths(seq) == ["dense_0", "dense_1"]


# --- issue 10: gitignore-style globs and bare names ----------------------------------------------------

@pytest.mark.parametrize(
    ("pattern", "path", "hit"),
    [
        ("emb*", "encoder/emb", True),  # no '/': a name at any depth
        ("*char_cnn*", "per_word/char_cnn", True),
        ("conv", "per_word/char_cnn/conv", True),
        ("conv", "per_word/char_cnn/conv/kernel_part", False),  # the last segment only
        ("/conv", "per_word/char_cnn/conv", True),  # a leading '/' is trimmed: still a bare name
        ("per_word/conv", "per_word/char_cnn/conv", False),  # a '/' anchors
    ],
)
def test_patterns_without_slash_match_at_any_depth(pattern, path, hit):
    assert matches(pattern, path) is hit


def test_freeze_glob_without_slash_reaches_nested_layers():
    model = models.siamese()
    assert kernest.freeze(model, "emb*") == ["encoder/emb"]
    assert kernest.freeze(models.word_model(), "*char_cnn*")[:2] == ["per_word/char_cnn", "per_word/char_cnn/embed"]


def test_bare_name_resolves_when_unique_and_lists_paths_when_not():
    model = models.mobilenet_classifier()
    assert kernest.get(model, "block_13_expand_relu").name == "block_13_expand_relu"
    with pytest.raises(kernest.PathError, match=r"'dense' is the name of 2 different layers.*middle/inner/dense"):
        kernest.get(models.depth3(), "dense")


def test_at_n_suffix_is_split_off():
    from kernest._paths import split_call

    assert split_call("encoder/emb@1") == ("encoder/emb", 1)
    assert split_call("a@b") == ("a@b", None)
    assert kernest.get(models.siamese(), "encoder@1").name == "encoder"
