"""The flagship's own layers, registered with Keras under the package ``kernest.text``.

``import kernest.text`` imports this module, so a run's ``model.keras`` loads with ``kernest.load`` in
safe mode. The layers use ``keras.ops`` only (no TensorFlow), with exact int64 arithmetic.

- ``WordHash``: a word's character ids ``(B, chars)`` -> one bucket ``(B,)`` (the deep tower's word identity).
- ``PadToZero``: zeroes the padding positions of per-character features (the char-CNN ignores padding).
- ``NgramHash``: character ids ``(B, words, chars)`` -> buckets of the word 1-2-grams or of the character
  n-grams of every word ``(B, N)``, 0 where there is none (the wide tower's features).
- ``EmbeddingBag``: buckets ``(B, N)`` -> the mean of their embeddings ``(B, dim)``, zeros skipped.
- ``HashedLinear``: bags of buckets -> class logits, a linear map of their TF-IDF vectors (the wide tower).
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

_MODULUS = 2_147_483_647  # a prime: h * 1_000_003 + id stays far inside int64
_MIX = 48271              # scrambles a hash so near-equal inputs part ways
_BASE = 1_000_003         # polynomial base; above any character id
_MARK = 999_983           # the word-boundary "character" of character n-grams (not a real id)


def _scramble(h: Any) -> Any:
    return ops.mod(ops.mod(h * _MIX, _MODULUS) * _MIX + 12345, _MODULUS)


def _to_bucket(h: Any, valid: Any, buckets: int) -> Any:
    """Hash -> bucket in ``[1, buckets)``; 0 where not ``valid``."""
    bucket = ops.mod(_scramble(h), buckets - 1) + 1
    return ops.where(valid, bucket, ops.zeros_like(bucket))


def _powers(n: int) -> np.ndarray:
    out = np.ones(n, np.int64)
    for i in range(1, n):
        out[i] = out[i - 1] * _BASE % _MODULUS
    return out


_POWERS = _powers(4096)  # _BASE ** i mod _MODULUS: words of up to 4,096 characters


def _word_hashes(x: Any) -> Any:
    """Hash of each word's characters, ``sum(id_i * BASE**i) mod P``: int64 ``(..., chars)`` -> ``(...)``.

    Trailing padding adds nothing, so a word hashes the same at any padded width (batches cut to their
    longest word give the same buckets).
    """
    width = ops.shape(x)[-1]
    pw = ops.take(ops.convert_to_tensor(_POWERS), ops.arange(width), axis=0)   # (chars,)
    return ops.mod(ops.sum(ops.mod(x * pw, _MODULUS), axis=-1), _MODULUS) + 1


@keras.saving.register_keras_serializable(package="kernest.text")
class WordHash(keras.layers.Layer):
    """Hashes a word's character ids ``(B, chars)`` into a bucket ``(B,)`` in ``[1, buckets)``; 0 for padding.

    A polynomial hash over the ids (exact int64 arithmetic), so the same spelling always gets the same bucket.
    ``version=2`` (new layers) ignores trailing padding, so any padded width gives the same bucket and the
    chars axis may be ``None``; ``version=1`` is the hash of files saved before it (a fixed chars axis).
    """

    _MODULUS = _MODULUS

    def __init__(self, buckets: int, version: int = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if buckets < 2:
            raise ValueError(f"WordHash needs at least 2 buckets, got {buckets}")
        if version not in (1, 2):
            raise ValueError(f"WordHash version must be 1 or 2, got {version}")
        self.buckets, self.version = buckets, version

    def call(self, ids: Any) -> Any:
        x = ops.cast(ids, "int64")                       # (B, chars)
        if self.version == 2:
            h = _word_hashes(x)                          # (B,)
        else:
            h = ops.zeros_like(x[:, 0])                  # (B,)
            for i in range(x.shape[-1]):
                h = ops.mod(h * 257 + x[:, i], self._MODULUS)
        h = ops.mod(h * _MIX, self._MODULUS)  # scramble, so words differing by a permutation part ways
        bucket = ops.mod(h, self.buckets - 1) + 1
        return ops.where(ops.any(ops.not_equal(x, 0), axis=-1), bucket, ops.zeros_like(bucket))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return (input_shape[0],)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(buckets=self.buckets, version=self.version)
        return config


@keras.saving.register_keras_serializable(package="kernest.text")
class PadToZero(keras.layers.Layer):
    """Zeroes the features of padding positions: ``([x (B, chars, D), ids (B, chars)]) -> (B, chars, D)``.

    Applied to the character embeddings and to the ReLU convolution outputs, it makes the char-CNN's
    max-pooled word features independent of how far the chars axis is padded.
    """

    def call(self, inputs: Any) -> Any:
        x, ids = inputs
        return x * ops.cast(ops.not_equal(ids, 0), x.dtype)[..., None]

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape[0]


@keras.saving.register_keras_serializable(package="kernest.text")
class NgramHash(keras.layers.Layer):
    """Hashed n-gram features of encoded texts, computed inside the model.

    Input: character ids ``(B, words, chars)`` int, 0 for padding (``TextEncoder`` output). Output: int64
    buckets ``(B, N)`` in ``[1, buckets)``, 0 where a slot holds no n-gram.

    - ``kind="words"``: every word (its whole spelling) and every run of up to ``word_n`` neighbouring words
      (pairs with ``word_n=2``, the default), ``N = words + (words - 1) + ... + (words - word_n + 1)``.
    - ``kind="chars"``: the character n-grams of every word, ``n`` in ``sizes``, with a boundary mark
      before and after the word (scikit-learn's ``char_wb``): ``N = words * (chars + 2) * len(sizes)``
      slots, one per start position and size (those that run past the word are 0).
    - ``kind="text_chars"``: the character n-grams of the whole text, its words joined by one boundary mark
      (and one at each end), so that n-grams also run across words (scikit-learn's ``char`` on the text
      with a space at each end): ``N = (words * (chars + 1) + 1) * len(sizes)`` slots.

    Args:
        buckets: number of buckets (bucket 0 is "nothing").
        kind: ``"words"`` or ``"chars"``.
        sizes: the character n-gram sizes (``kind="chars"`` only).
        word_n: the longest word n-gram (``kind="words"`` only): 2 for word 1-2-grams, 3 for 1-3-grams.
    """

    def __init__(self, buckets: int, kind: str = "words", sizes: tuple[int, ...] | list[int] = (2, 3, 4, 5),
                 word_n: int = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if buckets < 2:
            raise ValueError(f"NgramHash needs at least 2 buckets, got {buckets}")
        if kind not in ("words", "chars", "text_chars"):
            raise ValueError(f"NgramHash kind must be 'words', 'chars' or 'text_chars', got {kind!r}")
        if kind != "words" and (not sizes or min(sizes) < 1):
            raise ValueError(f"NgramHash sizes must be positive n-gram sizes, got {sizes!r}")
        if int(word_n) < 1:
            raise ValueError(f"NgramHash word_n must be at least 1, got {word_n!r}")
        self.buckets, self.kind, self.sizes = int(buckets), kind, tuple(int(n) for n in sizes)
        self.word_n = int(word_n)

    def call(self, ids: Any) -> Any:
        x = ops.cast(ids, "int64")                                   # (B, W, C)
        if self.kind == "words":
            return self._words(x)
        return self._chars(x) if self.kind == "chars" else self._text_chars(x)

    def _words(self, x: Any) -> Any:
        return self.word_buckets(_word_hashes(x), ops.any(ops.not_equal(x, 0), axis=-1))

    def word_buckets(self, h: Any, valid: Any) -> Any:
        """``kind="words"``'s buckets ``(B, N)`` from each word's hash (``_word_hashes``) and whether it is a
        word, ``(B, W)`` each: the words, then the pairs of neighbouring words, then the triples, ... up to
        ``word_n``."""
        parts = [_to_bucket(h, valid, self.buckets)]                      # (B, W)
        run, run_valid = h, valid
        for n in range(2, self.word_n + 1):
            run = ops.mod(run[:, :-1] * _BASE + h[:, n - 1:], _MODULUS)   # (B, W-n+1): words i .. i+n-1
            run_valid = ops.logical_and(run_valid[:, :-1], valid[:, n - 1:])
            # Each size's hashes live apart from the others' (the pair's constant is that of the first files).
            mixed = ops.mod(run * _MIX + (7 if n == 2 else 7919 * n), _MODULUS)
            parts.append(_to_bucket(mixed, run_valid, self.buckets))
        return ops.concatenate(parts, axis=1)                             # (B, N)

    def _chars(self, x: Any) -> Any:
        # One window per character position and size n, over the word with a boundary mark on each side;
        # windows that run into padding are 0. The bag's mean skips zeros, so the result does not depend on
        # how far the chars axis is padded.
        nonzero = ops.not_equal(x, 0)
        length = ops.sum(ops.cast(nonzero, "int64"), axis=-1, keepdims=True)          # (B, W, 1)
        word = ops.greater(length, 0)                                                 # (B, W, 1)
        ext = ops.pad(x, [[0, 0], [0, 0], [1, 1]])                                    # (B, W, C+2)
        pos = ops.arange(ops.shape(ext)[-1], dtype="int64")                           # (C+2,)
        mark = ops.logical_and(word, ops.logical_or(ops.equal(pos, 0), ops.equal(pos, length + 1)))
        ext = ops.where(mark, ops.full_like(ext, _MARK), ext)
        # Pad first, then cut: the width stays C+2 even when the chars axis is shorter than an n-gram.
        shifted = [ext] + [ops.pad(ext, [[0, 0], [0, 0], [0, k]])[..., k:] for k in range(1, max(self.sizes))]
        parts = []
        for n in self.sizes:
            h = ops.full_like(ext, n)
            valid = ops.ones_like(ext, dtype="bool")
            for seg in shifted[:n]:                                                   # (B, W, C+2) each
                h = ops.mod(h * _BASE + seg, _MODULUS)
                valid = ops.logical_and(valid, ops.not_equal(seg, 0))
            b = _to_bucket(h, valid, self.buckets)                                    # (B, W, C+2)
            parts.append(ops.reshape(b, (ops.shape(b)[0], -1)))
        return ops.concatenate(parts, axis=1)                                         # (B, N)

    def _text_chars(self, x: Any) -> Any:
        # Each word gets a mark before it; the words' characters are moved to the front of one row per text
        # (padding after), and a mark closes the text: "<w1<w2<w3<". Padding never enters an n-gram, so the
        # result does not depend on how far either axis is padded.
        word = ops.any(ops.not_equal(x, 0), axis=-1, keepdims=True)                 # (B, W, 1)
        lead = ops.where(word, ops.full_like(x[..., :1], _MARK), ops.zeros_like(x[..., :1]))
        flat = ops.concatenate([lead, x], axis=-1)                                    # (B, W, C+1)
        flat = ops.reshape(flat, (ops.shape(x)[0], -1))                               # (B, L)
        flat = ops.pad(flat, [[0, 0], [0, 1]])                                        # (B, L+1): room for the end
        valid = ops.not_equal(flat, 0)
        length = ops.shape(flat)[1]
        pos = ops.cumsum(ops.cast(valid, "int64"), axis=1) - 1                        # (B, L+1)
        # Every key differs, so any sort puts the text's characters first, in their order.
        key = ops.where(valid, pos, length + ops.arange(length, dtype="int64")[None, :])
        seq = ops.take_along_axis(flat, ops.argsort(key, axis=1), axis=1)             # (B, L+1)
        count = ops.sum(ops.cast(valid, "int64"), axis=1, keepdims=True)              # (B, 1)
        end = ops.logical_and(ops.equal(ops.arange(length, dtype="int64")[None, :], count), count > 0)
        seq = ops.where(end, ops.full_like(seq, _MARK), seq)
        shifted = [seq] + [ops.pad(seq, [[0, 0], [0, k]])[:, k:] for k in range(1, max(self.sizes))]
        parts = []
        for n in self.sizes:
            h = ops.full_like(seq, n + 100)  # apart from the per-word n-grams of a "chars" layer
            ok = ops.ones_like(seq, dtype="bool")
            for seg in shifted[:n]:                                                   # (B, L+1) each
                h = ops.mod(h * _BASE + seg, _MODULUS)
                ok = ops.logical_and(ok, ops.not_equal(seg, 0))
            parts.append(_to_bucket(h, ok, self.buckets))
        return ops.concatenate(parts, axis=1)                                         # (B, N)

    def compute_output_shape(self, input_shape: Any) -> Any:
        words, chars = input_shape[1], input_shape[2]
        if self.kind == "text_chars":
            if words is None or chars is None:
                return (input_shape[0], None)
            return (input_shape[0], (words * (chars + 1) + 1) * len(self.sizes))
        if self.kind == "words":
            return (input_shape[0], None if words is None else
                    sum(max(words - n + 1, 0) for n in range(1, self.word_n + 1)))
        if words is None or chars is None:
            return (input_shape[0], None)
        return (input_shape[0], words * (chars + 2) * len(self.sizes))

    def compute_output_spec(self, ids: Any) -> Any:
        return keras.KerasTensor(self.compute_output_shape(ids.shape), dtype="int64")

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(buckets=self.buckets, kind=self.kind, sizes=list(self.sizes), word_n=self.word_n)
        return config


@keras.saving.register_keras_serializable(package="kernest.text")
class EmbeddingBag(keras.layers.Layer):
    """The mean embedding of a bag of bucket ids: ``(B, N)`` int -> ``(B, dim)``; id 0 is skipped.

    ``norm="sqrt"`` divides the sum by the square root of the count instead (as an L2-normalised TF-IDF
    vector of distinct terms would). A bag with no id gives zeros (never NaN). In training, each id is dropped with probability ``dropout``
    (the bag's mean is then taken over the ids kept).

    Args:
        buckets: number of ids.
        dim: embedding size.
        dropout: the rate at which ids are dropped in training.
        seed: seed of that dropout.
        norm: ``"mean"`` or ``"sqrt"``.
    """

    def __init__(self, buckets: int, dim: int, dropout: float = 0.0, seed: int | None = None,
                 norm: str = "mean", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if norm not in ("mean", "sqrt"):
            raise ValueError(f"EmbeddingBag norm must be 'mean' or 'sqrt', got {norm!r}")
        self.buckets, self.dim, self.dropout, self.seed = int(buckets), int(dim), float(dropout), seed
        self.norm = norm
        self._seed_gen = keras.random.SeedGenerator(seed) if dropout > 0 else None

    def build(self, input_shape: Any) -> None:
        self.embeddings = self.add_weight(shape=(self.buckets, self.dim), name="embeddings",
                                          initializer=keras.initializers.RandomUniform(-0.05, 0.05))

    def call(self, ids: Any, training: bool | None = None) -> Any:
        ids = ops.cast(ids, "int32")                                   # (B, N)
        keep = ops.cast(ops.not_equal(ids, 0), self.compute_dtype)     # (B, N)
        if training and self._seed_gen is not None:
            keep = keep * ops.cast(keras.random.uniform(ops.shape(keep), seed=self._seed_gen) >= self.dropout,
                                   self.compute_dtype)
        vectors = ops.take(self.embeddings, ids, axis=0)               # (B, N, dim)
        total = ops.sum(vectors * keep[..., None], axis=1)             # (B, dim)
        count = ops.maximum(ops.sum(keep, axis=1, keepdims=True), 1.0)  # (B, 1)
        return total / (count if self.norm == "mean" else ops.sqrt(count))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return (input_shape[0], self.dim)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(buckets=self.buckets, dim=self.dim, dropout=self.dropout, seed=self.seed, norm=self.norm)
        return config


@keras.saving.register_keras_serializable(package="kernest.text")
class WordVectors(keras.layers.Layer):
    """The mean pretrained vector of a text's words: character ids ``(B, words, chars)`` -> ``(B, dim)``.

    Each word is looked up by the hash of its character ids (``_word_hashes``) in a fixed table of ``size``
    sorted keys and their vectors (``kernest.text._pretrained.word_vector_table``); words not in the table
    and padding are left out of the mean, and the mean is scaled to unit length (zeros for a text with no
    known word). The table is not trained; it is saved with the model.

    Args:
        size: number of words in the table.
        dim: vector size.
    """

    def __init__(self, size: int, dim: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if size < 1 or dim < 1:
            raise ValueError(f"WordVectors needs a table of at least one word and one dimension, got {size} x {dim}")
        self.size, self.dim = int(size), int(dim)

    def build(self, input_shape: Any) -> None:
        self.keys = self.add_weight(shape=(self.size,), name="keys", dtype="int64", initializer="zeros",
                                    trainable=False)
        self.vectors = self.add_weight(shape=(self.size, self.dim), name="vectors", initializer="zeros",
                                       trainable=False)

    def set_table(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Fill the table (``keys`` sorted, unique)."""
        if not self.built:
            self.build(None)
        self.keys.assign(np.asarray(keys, np.int64))
        self.vectors.assign(np.asarray(vectors, np.float32))

    def call(self, ids: Any) -> Any:
        x = ops.cast(ids, "int64")                                            # (B, W, C)
        h = _word_hashes(x)                                                   # (B, W)
        flat = ops.reshape(h, (-1,))
        pos = ops.minimum(ops.cast(ops.searchsorted(self.keys, flat), "int32"), self.size - 1)
        found = ops.logical_and(ops.equal(ops.take(self.keys, pos, axis=0), flat),
                                ops.reshape(ops.any(ops.not_equal(x, 0), axis=-1), (-1,)))
        vec = ops.take(self.vectors, pos, axis=0) * ops.cast(found, self.compute_dtype)[:, None]  # (B*W, dim)
        total = ops.sum(ops.reshape(vec, (ops.shape(h)[0], ops.shape(h)[1], self.dim)), axis=1)   # (B, dim)
        norm = ops.sqrt(ops.sum(ops.square(total), axis=-1, keepdims=True))
        return total / ops.maximum(norm, 1e-6)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return (input_shape[0], self.dim)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(size=self.size, dim=self.dim)
        return config


@keras.saving.register_keras_serializable(package="kernest.text")
class HashedLinear(keras.layers.Layer):
    """Class logits that are a linear map of TF-IDF vectors of hashed n-grams: a list of bags of bucket ids
    ``[(B, N_1), (B, N_2), ...]`` -> ``(B, units)``.

    In each bag, an occurrence of bucket ``j`` adds ``idf[j]``, and the bag is divided by
    ``sqrt(sum of idf[j] ** 2 over its occurrences)`` (a TF-IDF vector with raw counts, L2-normalised when no
    bucket repeats). With ``sublinear``, a bucket that occurs ``n`` times in a bag adds ``(1 + ln n) * idf[j]``
    once, and the bag is divided by its L2 norm (scikit-learn's ``sublinear_tf``). Bucket 0 and buckets whose
    ``idf`` is 0 (too rare in training) are left out, also of that norm. The logit ``u`` is ``bias[u] + sum over the bags of value_j * scale[j, u] * kernel[j, u]``.

    ``idf`` and ``scale`` are fixed tables (not trained) that ``kernest.text._wide.fit_wide`` sets from the
    training split: ``scale`` holds naive-Bayes log-count ratios (one column per class), or ones. They are
    saved with the model. Before that the tables are ones, the kernel zeros: every text gets logits 0.

    Args:
        buckets: number of bucket ids (``NgramHash``'s ``buckets``).
        units: number of logits (classes).
        weighting: how ``fit_wide`` fits it: ``"nb"`` (naive-Bayes-scaled features, one classifier per class
            against the rest) or ``"tfidf"`` (plain TF-IDF, one multinomial classifier).
        sublinear: term frequency ``1 + ln(count)`` instead of the count.
    """

    def __init__(self, buckets: int, units: int, weighting: str = "tfidf", sublinear: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if buckets < 2 or units < 1:
            raise ValueError(f"HashedLinear needs at least 2 buckets and 1 unit, got {buckets} and {units}")
        if weighting not in ("nb", "tfidf"):
            raise ValueError(f"HashedLinear weighting must be 'nb' or 'tfidf', got {weighting!r}")
        self.buckets, self.units, self.weighting = int(buckets), int(units), weighting
        self.sublinear = bool(sublinear)

    def build(self, input_shape: Any) -> None:
        shape = (self.buckets, self.units)
        self.kernel = self.add_weight(shape=shape, name="kernel", initializer="zeros")
        self.bias = self.add_weight(shape=(self.units,), name="bias", initializer="zeros")
        self.idf = self.add_weight(shape=(self.buckets,), name="idf", initializer="ones", trainable=False)
        self.scale = self.add_weight(shape=shape, name="scale", initializer="ones", trainable=False)

    def set_tables(self, idf: np.ndarray, scale: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> None:
        """Set the fitted tables: ``idf`` ``(buckets,)``, ``scale`` and ``kernel`` ``(buckets, units)``,
        ``bias`` ``(units,)``."""
        if not self.built:
            self.build(None)
        for var, value in ((self.idf, idf), (self.scale, scale), (self.kernel, kernel), (self.bias, bias)):
            var.assign(np.asarray(value, np.float32).reshape(var.shape))

    def call(self, bags: Any) -> Any:
        logits = ops.convert_to_tensor(self.bias)[None, :]                    # (1, units)
        for ids in bags:
            ids = ops.cast(ids, "int32")                                     # (B, N)
            if self.sublinear:
                ids, weight = _sublinear_weights(ids, self.idf)
            else:
                weight = ops.take(self.idf, ids, axis=0)                     # (B, N), 0 for ignored buckets
            weight = weight * ops.cast(ops.not_equal(ids, 0), weight.dtype)
            norm = ops.sqrt(ops.sum(ops.square(weight), axis=1, keepdims=True))      # (B, 1)
            weight = weight / ops.maximum(norm, 1e-12)
            w = ops.take(self.kernel, ids, axis=0) * ops.take(self.scale, ids, axis=0)  # (B, N, units)
            logits = logits + ops.sum(w * weight[..., None], axis=1)         # (B, units)
        return logits

    def compute_output_shape(self, input_shape: Any) -> Any:
        return (input_shape[0][0], self.units)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(buckets=self.buckets, units=self.units, weighting=self.weighting, sublinear=self.sublinear)
        return config


def _sublinear_weights(ids: Any, idf: Any) -> tuple[Any, Any]:
    """A bag ``(B, N)`` sorted, and each bucket's weight ``(1 + ln count) * idf`` at its first occurrence (0 at
    its repeats). The logits sum over the bag, so its order does not matter."""
    ids = ops.sort(ids, axis=1)                                              # equal buckets side by side
    shape = ops.shape(ids)
    first = ops.concatenate([ops.ones_like(ids[:, :1], dtype="bool"), ops.not_equal(ids[:, 1:], ids[:, :-1])], 1)
    run = ops.cumsum(ops.cast(first, "int32"), axis=1) - 1                  # (B, N) run index in the row
    segment = ops.reshape(run + ops.arange(shape[0], dtype="int32")[:, None] * shape[1], (-1,))
    count = ops.segment_sum(ops.ones_like(segment, dtype=idf.dtype), segment, num_segments=shape[0] * shape[1])
    tf = ops.reshape(ops.take(count, segment, axis=0), shape)                # (B, N) run length
    weight = (1.0 + ops.log(tf)) * ops.take(idf, ids, axis=0) * ops.cast(first, idf.dtype)
    return ids, weight
