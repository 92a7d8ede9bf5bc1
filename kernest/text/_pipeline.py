"""The ``tf.data`` pipeline: encode once, cache, shuffle, batch; training batches cut to their content.

Training batches (``shuffle`` and ``bucket``) group texts of similar word counts, and each batch is cut to
its longest text (words axis) and its longest word (chars axis), so a batch carries little padding. The
model then needs ``None`` words and chars axes; the flagship's layers give the same outputs at any padded
width (see ``PadToZero`` and ``NgramHash``). Validation, test and prediction keep the fixed
``(max_words, max_chars)`` shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import tensorflow as tf

from kernest._errors import DataError
from kernest.text._encode import _MAX_ENCODE_BATCH, PAD_ID

if TYPE_CHECKING:
    from kernest.text._encode import TextEncoder

# Cut batches to a multiple of this many words / characters: few distinct shapes, so the kernels' per-shape
# set-up (oneDNN primitives, shape inference) is paid a handful of times, not once per width.
_WIDTH_STEP = 4


def make_dataset(encoder: TextEncoder, texts: Sequence[str], labels: Sequence[str] | None = None,
                 batch_size: int = 32, shuffle: bool = False, seed: int = 0, bucket: bool = False,
                 weights: Sequence[float] | np.ndarray | None = None,
                 extra: np.ndarray | Sequence[np.ndarray] | None = None) -> tf.data.Dataset:
    """A ``tf.data`` pipeline of ``ids`` (or ``(ids, label_id)``, or ``(ids, label_id, weight)``).

    Args:
        encoder: the fitted encoder.
        texts: the texts.
        labels: string labels (members of ``encoder.classes``), or ``None`` for an unlabelled pipeline.
        batch_size: batch size.
        shuffle: reshuffle every epoch (with ``seed``).
        seed: shuffle seed.
        bucket: with ``shuffle``, batch texts of similar word counts together and cut each batch to its
            longest text and longest word (the model needs ``None`` words and chars axes). The order stays
            deterministic for a given ``seed``.
        weights: a sample weight per text (with ``labels`` only).
        extra: a float32 row per text ``(texts, k)``, or a list of such arrays, fed to the model beside the
            ids: the model's input is then ``(ids, *extra)``.

    Returns:
        The dataset; ids are int32 ``(batch, max_words, max_chars)``; with ``bucket`` and ``shuffle``
        ``(batch, n, c)`` with ``n <= max_words``, ``c <= max_chars``.

    Raises:
        DataError: unknown labels, weights without labels or of another length, extra rows of another
            length, or a batch size below 1.
    """
    extras = [] if extra is None else [extra] if isinstance(extra, np.ndarray) else list(extra)
    if batch_size < 1:
        raise DataError(f"batch_size must be at least 1, got {batch_size}.")
    if weights is not None and (labels is None or len(weights) != len(texts)):
        raise DataError(f"Sample weights need labels and one weight per text ({len(texts)} texts, "
                        f"{len(weights)} weights).")
    for rows in extras:
        if len(rows) != len(texts):
            raise DataError(f"Extra inputs need one row per text ({len(texts)} texts, {len(rows)} rows).")
    table = encoder.table
    texts_t = tf.constant(list(texts), tf.string)

    def encode(t: tf.Tensor) -> tf.Tensor:
        return encoder.encode_tensor(t, table)[0]

    more = tuple(np.asarray(rows, np.float32) for rows in extras)
    if labels is None and not extras:
        ds = tf.data.Dataset.from_tensor_slices(texts_t).batch(_MAX_ENCODE_BATCH).map(encode).unbatch()
    elif labels is None:
        ds = (tf.data.Dataset.from_tensor_slices((texts_t, *more)).batch(_MAX_ENCODE_BATCH)
              .map(lambda t, *rest: ((encode(t), *rest),)).unbatch())
    else:
        y = encoder.label_ids(labels)
        columns: tuple[Any, ...] = (texts_t, y) if weights is None else (
            texts_t, y, np.asarray(weights, np.float32))
        columns += more  # the last columns until batching ends, then nested into the model's input
        ds = (tf.data.Dataset.from_tensor_slices(columns).batch(_MAX_ENCODE_BATCH)
              .map(lambda t, *rest: (encode(t), *rest)).unbatch())
    ds = ds.apply(tf.data.experimental.assert_cardinality(len(texts)))  # unbatch forgets the size
    ds = ds.cache()  # encoding runs once; later epochs read ids from memory
    if shuffle:
        ds = ds.shuffle(max(1, len(texts)), seed=seed, reshuffle_each_iteration=True)
    ds = _bucket_batch(encoder, ds, texts_t, batch_size) if shuffle and bucket else ds.batch(batch_size)
    if extras and labels is not None:
        n = len(extras)
        ds = ds.map(lambda ids, y, *rest: ((ids, *rest[len(rest) - n:]), y, *rest[:len(rest) - n]))
    return ds.prefetch(tf.data.AUTOTUNE)


def bucket_bounds(max_words: int) -> list[int]:
    """Word counts that start a new length bucket: quarters of ``max_words`` (none below 2 words)."""
    step = max(1, max_words // 4)
    return sorted({b for b in (step, 2 * step, 3 * step) if 1 < b < max_words})


def _round_up(n: tf.Tensor, limit: int | tf.Tensor) -> tf.Tensor:
    return tf.maximum(tf.minimum((n + _WIDTH_STEP - 1) // _WIDTH_STEP * _WIDTH_STEP, limit), 1)


def trim(ids: tf.Tensor, max_words: int, max_chars: int) -> tf.Tensor:
    """Cut a batch ``(B, W, C)`` to ``(B, n, c)``: its longest text and longest word, rounded up to a
    multiple of ``_WIDTH_STEP`` (at most ``W`` / ``C``, at least 1).

    Padding words are all zeros and come after the real words, and padding characters come after the
    real characters (every character has an id of at least 1), so nothing but padding is cut.
    """
    real = ids != PAD_ID                                                        # (B, W, C)
    n = tf.reduce_max(tf.reduce_sum(tf.cast(tf.reduce_any(real, axis=-1), tf.int32), axis=-1))
    c = tf.reduce_max(tf.reduce_sum(tf.cast(real, tf.int32), axis=-1))
    return ids[:, :_round_up(n, max_words), :_round_up(c, max_chars)]


def _bucket_batch(encoder: TextEncoder, ds: tf.data.Dataset, texts_t: tf.Tensor, batch_size: int
                  ) -> tf.data.Dataset:
    """Batch texts by word-count bucket, each batch cut by ``trim``."""
    bounds_list = bucket_bounds(encoder.max_words)
    bounds = tf.constant(bounds_list, tf.int32)
    max_words, max_chars = encoder.max_words, encoder.max_chars

    def key(ids: tf.Tensor, *_: tf.Tensor) -> tf.Tensor:
        words = tf.reduce_sum(tf.cast(tf.reduce_any(ids != PAD_ID, axis=-1), tf.int32), axis=-1)
        return tf.reduce_sum(tf.cast(words >= bounds, tf.int64))

    def cut(ids: tf.Tensor, *rest: tf.Tensor) -> Any:
        ids = trim(ids, max_words, max_chars)
        return (ids, *rest) if rest else ids

    batched = ds.group_by_window(key, lambda _, window: window.batch(batch_size), window_size=batch_size)
    batched = batched.map(cut)
    # The batch count is fixed (each bucket holds the same texts every epoch): tell Keras, so the first
    # epoch has a progress bar and no "ran out of data" guesswork.
    counts = np.zeros(len(bounds_list) + 1, np.int64)
    for start in range(0, int(texts_t.shape[0]), _MAX_ENCODE_BATCH):
        n = np.minimum(encoder.words(texts_t[start:start + _MAX_ENCODE_BATCH]).row_lengths().numpy(), max_words)
        counts += np.bincount(np.searchsorted(bounds_list, n, side="right"), minlength=counts.size)
    return batched.apply(tf.data.experimental.assert_cardinality(int(np.sum(-(-counts // batch_size)))))
