"""Predictor: cut padding per batch and sort batches by length, with the probabilities of the padded texts."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from kernest.text import Predictor
from kernest.text._predict import trim_padding
from tests.conftest_text import corpus_sample, trained_run


def ids_with(lengths: list[list[int]], words: int = 12, chars: int = 10) -> np.ndarray:
    """``(texts, words, chars)`` ids: text ``i`` has one word of ``lengths[i][j]`` characters per entry."""
    ids = np.zeros((len(lengths), words, chars), np.int32)
    for i, text in enumerate(lengths):
        for j, n in enumerate(text):
            ids[i, j, :n] = 5 + j
    return ids


@pytest.mark.parametrize(
    "lengths, words, chars, shape",
    [
        ([[3, 2], [1]], True, False, (2, 4, 10)),           # 2 words -> a multiple of 4
        ([[3] * 5, [1]], True, True, (2, 8, 4)),
        ([[10] * 12], True, True, (1, 12, 10)),             # full length: nothing to cut
        ([[2] * 11], True, False, (1, 12, 10)),             # rounding stops at the axis
        ([[], []], True, True, (2, 1, 1)),                  # padding only: one word of one character is left
        ([[3, 2], [1]], False, False, (2, 12, 10)),
    ],
)
def test_trim_padding_cuts_to_the_longest_text_and_word(lengths, words, chars, shape):
    ids = ids_with(lengths)
    cut = trim_padding(tf.constant(ids), words=words, chars=chars).numpy()
    assert cut.shape == shape
    assert cut.sum() == ids.sum()  # nothing real was cut


def test_predictor_cuts_exactly_the_axes_the_model_takes_at_any_length():
    p = Predictor(trained_run())
    _, words, chars = p.model.inputs[0].shape
    assert p.trims == {"words": words is None, "chars": chars is None}
    assert p.trims["words"]  # kernest train buckets by length, so the words axis is always variable


@pytest.mark.parametrize("text", ["ok", "What a great flight!", "@united lost my bag " * 3, "", "delayed " * 50])
def test_one_message_gets_the_probabilities_of_its_padded_encoding(text):
    p = Predictor(trained_run())
    want = p.model(p.encoder.encode([text]).ids, training=False).numpy()   # padded to max_words
    got, _, _ = p.probabilities([text])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_many_texts_sorted_by_length_come_back_in_order(monkeypatch):
    from kernest.text import _predict

    monkeypatch.setattr(_predict, "_MANY_BATCH", 128)  # several sorted batches of the 403 texts
    p = Predictor(trained_run())
    texts = list(corpus_sample().texts) + ["", "ok", "very " * 30]   # 403 texts: more than one call's 256
    ids = p.encoder.encode(texts).ids
    want = np.concatenate([p.model(ids[i:i + 100], training=False).numpy() for i in range(0, len(texts), 100)])
    got, n_words, longest = p.probabilities(texts)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert n_words.shape == longest.shape == (len(texts),) and n_words[-3] == 0 and n_words[-1] == 30
    assert [r["label"] for r in p(texts[:5])] == [p.classes[int(i)] for i in np.argmax(want[:5], axis=-1)]
