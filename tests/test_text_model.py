"""The sentiment model: composition with kernest.over, masking, safe saving, and its config."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest

import kernest
from kernest import DataError
from kernest.text import ModelConfig, build_model
from kernest.text._model import WordHash

SMALL = ModelConfig(char_dim=4, widths=(2, 3), filters=4, word_units=4, dropout=0.0)


def test_model_is_composed_with_over_and_named() -> None:
    m = build_model(10, 6, 30, 3, SMALL)
    assert m.input_shape == (None, 10, 6) and m.output_shape == (None, 3)
    per_word = m.get_layer("per_word")
    assert isinstance(per_word, kernest.Over)
    cnn = per_word.layer
    assert cnn.name == "char_cnn" and cnn.output_shape == (None, 8)
    names = {layer.name for layer in cnn.layers}
    assert {"char_embed", "conv_w2", "conv_w3", "pool_w2", "pool_w3", "highway"} <= names
    assert {"word_bilstm", "head"} <= {layer.name for layer in m.layers}


@pytest.mark.parametrize("extra", [{}, {"word_mean": True, "word_buckets": 40, "word_dim": 3}])
def test_padded_words_are_masked(extra: dict[str, object]) -> None:
    # Same weights, more padding: a masked BiLSTM (and masked mean) gives the same answer.
    cfg = ModelConfig.from_dict(extra, SMALL)
    short, long = build_model(4, 6, 30, 3, cfg), build_model(9, 6, 30, 3, cfg)
    long.set_weights(short.get_weights())
    x = np.zeros((2, 4, 6), np.int32)
    x[0, :3, :2] = 7
    x[1, :1, :4] = 9
    padded = np.concatenate([x, np.zeros((2, 5, 6), np.int32)], axis=1)
    np.testing.assert_allclose(short(x).numpy(), long(padded).numpy(), atol=1e-6)


@pytest.mark.parametrize("word_buckets", [0, 50])
def test_saves_and_loads_in_safe_mode(tmp_path: Path, word_buckets: int) -> None:
    m = build_model(5, 4, 12, 2, ModelConfig.from_dict({"word_buckets": word_buckets, "word_dim": 3}, SMALL))
    x = np.random.default_rng(0).integers(0, 12, size=(3, 5, 4)).astype(np.int32)
    m.save(tmp_path / "m.keras")
    back = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_allclose(back(x).numpy(), m(x).numpy(), atol=1e-6)


def test_word_hash_buckets_words_by_spelling() -> None:
    h = WordHash(97)
    ids = np.array([[5, 6, 7, 0], [5, 6, 7, 0], [7, 6, 5, 0], [0, 0, 0, 0]], np.int32)
    out = np.asarray(h(ids))
    assert out[0] == out[1] != out[2] and out[3] == 0 and ((out[:3] >= 1) & (out[:3] < 97)).all()


def test_config_from_json_and_yaml_files(tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text(json.dumps({"filters": 16, "widths": [3, 5]}), encoding="utf-8")
    cfg = ModelConfig.from_file(tmp_path / "c.json")
    assert cfg.filters == 16 and cfg.widths == (3, 5) and cfg.word_units == ModelConfig().word_units
    (tmp_path / "c.yaml").write_text("word_units: 12\nhighway: false\n", encoding="utf-8")
    cfg = ModelConfig.from_file(tmp_path / "c.yaml")
    assert cfg.word_units == 12 and not cfg.highway
    assert ModelConfig.from_dict(cfg.to_json()) == cfg


@pytest.mark.parametrize(("content", "match"), [
    ('{"filterz": 3}', r"Unknown model config keys: filterz\. Known keys: .*filters"),
    ('{"dropout": 1.5, "filters": 0}', r"filters must be at least 1.*dropout must be in \[0, 1\)"),
    ("[1, 2]", r"must hold a mapping"),
    ("{nope", r"cannot be parsed"),
])
def test_bad_config_files(tmp_path: Path, content: str, match: str) -> None:
    (tmp_path / "c.json").write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=match):
        ModelConfig.from_file(tmp_path / "c.json")


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"does not exist"):
        ModelConfig.from_file(tmp_path / "none.json")


def test_a_none_words_axis_predicts_the_same_padded_or_cut() -> None:
    # A bucketed model (words axis None) is trained on batches cut to their longest text and served on
    # texts padded to max_words: both give the same probabilities.
    m = build_model(None, 6, 30, 3, ModelConfig.from_dict({"word_buckets": 20, "word_dim": 3}, SMALL))
    assert m.input_shape == (None, None, 6)
    x = np.zeros((2, 3, 6), np.int32)
    x[0, :3, :2] = 7
    x[1, :1, :4] = 9
    padded = np.concatenate([x, np.zeros((2, 9, 6), np.int32)], axis=1)
    np.testing.assert_allclose(m(x).numpy(), m(padded).numpy(), atol=1e-6)
