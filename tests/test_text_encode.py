"""TextEncoder: fitting, graph encoding, truncation, persistence and the tf.data pipeline."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from kernest import DataError
from kernest.text import TextEncoder
from kernest.text._encode import FIRST_CHAR_ID, OOV_ID, SPECIAL_IDS, URL_CHAR, USER_CHAR

TRAIN = ["Good movie!", "bad movie", "good good plot", "awful plot :(", "http://x.co/1 @bob nice"]


def _enc(**kw: object) -> TextEncoder:
    return TextEncoder.fit(TRAIN, max_words=6, max_chars=5, min_count=1, classes=("neg", "pos"), **kw)


def test_fit_alphabet_by_frequency_and_limits_by_percentile() -> None:
    enc = TextEncoder.fit(["aaa bb", "ab c", "a " * 30], percentile=50, min_count=2)
    assert enc.alphabet == ("a", "b")  # 'c' is seen once: out of vocabulary
    assert enc.vocab_size == FIRST_CHAR_ID + 2
    assert (enc.max_words, enc.max_chars) == (2, 1)  # medians of (2, 2, 30) words and word lengths
    assert TextEncoder.fit(["a b c"], max_words=7, max_chars=3).max_words == 7
    # Reviews of about 200 words keep their words (the baseline reads them all); longer texts are capped.
    assert TextEncoder.fit(["a " * 200] * 3).max_words == 200
    assert TextEncoder.fit(["a " * 300] * 3).max_words == 256


def test_words_normalise_urls_mentions_punctuation() -> None:
    enc = _enc()
    words = enc.words(tf.constant(["Hello WORLD!! https://t.co/x @Bob don't #tag caf\u00e9\U0001f602"]))
    assert [w.decode() for w in words[0].numpy()] == [
        "hello", "world", "!!", URL_CHAR, USER_CHAR, "don't", "#tag", "caf\u00e9", "\U0001f602"]


def test_encode_shapes_padding_and_ids() -> None:
    enc = _enc()
    e = enc.encode(["good @x", ""])
    assert e.ids.shape == (2, 6, 5) and e.ids.dtype == np.int32
    good = [FIRST_CHAR_ID + enc.alphabet.index(c) for c in "good"]
    assert e.ids[0, 0].tolist() == good + [0]
    assert e.ids[0, 1].tolist() == [SPECIAL_IDS[USER_CHAR], 0, 0, 0, 0]
    assert not e.ids[0, 2:].any()           # padded words are all zeros
    assert not e.ids[1].any() and e.empty.tolist() == [False, True]
    assert enc.encode(["zzz"]).ids[0, 0, 0] == OOV_ID


def test_truncation_is_reported() -> None:
    enc = _enc()
    e = enc.encode(["good " * 100, "a" * 50, "good plot"])
    assert e.truncated.tolist() == [True, True, False]
    assert e.note(0) == "truncated text: kept the first 6 of 100 words"
    assert e.note(1) == "truncated text: cut words longer than 5 characters"
    assert e.note(2) is None
    assert enc.encode(["x" * 100_000]).ids.shape == (1, 6, 5)


def test_encode_tensor_runs_in_a_tf_function() -> None:
    enc = _enc()
    table = enc.table

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def f(t: tf.Tensor) -> tf.Tensor:
        return enc.encode_tensor(t, table)[0]

    np.testing.assert_array_equal(f(tf.constant(TRAIN)).numpy(), enc.encode(TRAIN).ids)


def test_json_round_trip() -> None:
    enc = _enc(numbers=True)
    back = TextEncoder.from_json(enc.to_json())
    assert back == enc and back.classes == ("neg", "pos") and back.numbers
    np.testing.assert_array_equal(back.encode(TRAIN).ids, enc.encode(TRAIN).ids)
    with pytest.raises(DataError, match=r"not describe a kernest text encoder"):
        TextEncoder.from_json({"alphabet": []})


def test_dataset_batches_ids_and_labels() -> None:
    enc = _enc()
    ds = enc.dataset(TRAIN, ["pos", "neg", "pos", "neg", "pos"], batch_size=2, shuffle=True, seed=1)
    batches = list(ds)
    assert [b[0].shape for b in batches] == [(2, 6, 5), (2, 6, 5), (1, 6, 5)]
    assert sorted(np.concatenate([b[1].numpy() for b in batches]).tolist()) == [0, 0, 1, 1, 1]
    assert next(iter(enc.dataset(TRAIN, batch_size=8))).shape == (5, 6, 5)
    with pytest.raises(DataError, match=r"Labels 'meh' are not classes of this model \('neg', 'pos'\)"):
        enc.dataset(TRAIN, ["pos", "neg", "pos", "neg", "meh"])


def test_bad_limits() -> None:
    with pytest.raises(DataError, match=r"must be at least 1"):
        TextEncoder(alphabet=(), max_words=0, max_chars=3)
    with pytest.raises(DataError, match=r"got no texts"):
        TextEncoder.fit([])


def test_bucketed_training_batches_are_cut_to_their_longest_text() -> None:
    enc = TextEncoder.fit(["a b c d e f g h"], max_words=8, max_chars=3, min_count=1, classes=("n", "p"))
    texts = ["a", "b c", "a b c d e f g h", "a b c d e f g", "c", "a b"]
    ds = enc.dataset(texts, None, batch_size=2, shuffle=True, seed=3, bucket=True)
    batches = [b.numpy() for b in ds]
    assert ds.cardinality().numpy() == len(batches) == 3  # word-count buckets [1], [2, 3], [4, 5], [6, 8]
    widths = sorted(b.shape[1] for b in batches)  # the longest text, rounded up to a multiple of 4 words
    assert widths == [4, 4, 8] and all(b.shape[2] == 3 for b in batches)
    assert sorted(int(np.any(b != 0, axis=-1).sum()) for batch in batches for b in batch) == [1, 1, 2, 2, 7, 8]
    again = [b.numpy() for b in enc.dataset(texts, None, batch_size=2, shuffle=True, seed=3, bucket=True)]
    assert all(np.array_equal(x, y) for x, y in zip(batches, again))  # same seed, same batches
    labelled = list(enc.dataset(texts, ["n", "p"] * 3, batch_size=4, shuffle=True, bucket=True))
    assert sorted(x.shape[1] for x, _ in labelled) == [4, 4, 8]
    assert sorted(np.concatenate([y.numpy() for _, y in labelled]).tolist()) == [0, 0, 0, 1, 1, 1]
    fixed = enc.dataset(texts, None, batch_size=2, bucket=True)  # no shuffle: evaluation keeps max_words
    assert {b.shape[1] for b in fixed} == {8}
    empty = enc.dataset(["", ""], None, batch_size=2, shuffle=True, bucket=True)
    assert [b.shape for b in empty] == [(2, 1, 1)]  # only padding: one word and one char column, not none


def test_bucketed_training_batches_are_cut_to_their_longest_word() -> None:
    texts = ["a bb", "ccccc d", "eeeeeeeeeee", "f"]
    enc = TextEncoder.fit(texts, max_words=4, max_chars=16, min_count=1, classes=("n", "p"))
    batches = [b.numpy() for b in enc.dataset(texts, None, batch_size=4, shuffle=True, bucket=True)]
    # One-word texts (longest word 11 characters) and two-word texts (5): rounded up to multiples of 4.
    assert sorted(b.shape for b in batches) == [(2, 4, 8), (2, 4, 12)]
    padded = enc.encode(texts).ids
    assert not padded[:, :, 12:].any()
    cut = [np.pad(x, [(0, 0), (0, 0), (0, 16 - x.shape[-1])]) for b in batches for x in b[:, None]]
    assert sorted(x.tobytes() for x in cut) == sorted(x[None].tobytes() for x in padded)  # only padding was cut
