"""``predict`` and ``Predictor``: label texts with a trained run, fast enough for one message at a time."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

from kernest.text import _run
from kernest.text import _sentence as sentence
from kernest.text._encode import PAD_ID, TextEncoder, text_note
from kernest.text._fast import fast_forward
from kernest.text._pipeline import _round_up
from kernest.text._train import sentence_tokenizer

_BATCH = 256  # up to this many texts run as one call from strings
# More texts run in batches of this many, sorted by length: the BiLSTM's per-step cost is mostly fixed, so
# larger batches pay it for more texts (10,000 texts: 1.43x faster than batches of 256; BENCHMARKS 7b).
_MANY_BATCH = 2048
# With the fast forward pass (kernest.text._fast) many texts run as calls of this many from strings, sorted
# by word count. Each call runs its distinct words once and steps all its texts together; larger calls were
# no faster (10,000 texts: 2,048, 4,096, 8,192 alike for the deep tower, BENCHMARKS 7e; 2,048, 4,096, 10,000
# alike in CPU time for the default wide-and-deep model, whose wide tower reads each text's real n-grams, 7f).
_FAST_CHUNK = 2048


def trim_padding(ids: tf.Tensor, words: bool = True, chars: bool = False) -> tf.Tensor:
    """Cut the padded end of ``(batch, words, chars)`` ids to the batch's longest text and/or longest word.

    Lengths are rounded up to a multiple of 4 (at most the axis, at least 1), so a model sees few distinct
    shapes and pays each shape's kernel set-up a handful of times. Padding always follows the real words and
    characters (every character id is at least 1), so nothing real is cut.

    Args:
        ids: int32 ``(batch, words, chars)``, zero padded.
        words: cut the words axis.
        chars: cut the chars axis.

    Returns:
        ``ids[:, :w, :c]``.

    Example:
        >>> ids = np.zeros((2, 32, 14), np.int32)
        >>> ids[0, :5, :3] = 7                      # the longest text: 5 words of 3 characters
        >>> tuple(trim_padding(tf.constant(ids), words=True, chars=True).shape)
        (2, 8, 4)
    """
    real = tf.not_equal(ids, PAD_ID)                                          # (B, W, C)
    if words:
        longest_text = tf.reduce_max(tf.reduce_sum(tf.cast(tf.reduce_any(real, axis=-1), tf.int32), axis=-1))
        ids = ids[:, : _round_up(longest_text, tf.shape(ids)[1])]
    if chars:
        longest_word = tf.reduce_max(tf.reduce_sum(tf.cast(real, tf.int32), axis=-1))
        ids = ids[:, :, : _round_up(longest_word, tf.shape(ids)[2])]
    return ids


class Predictor:
    """A run's model and encoder, loaded once; calling it labels texts.

    Encoding and the model run in one ``tf.function`` on a string tensor (no ``model.predict`` set-up per
    call), so a single message is answered in milliseconds. Where the model maps its words with ``over``
    (every kernest run), that function runs each distinct word of the call through the per-word model once
    and steps the word LSTMs of all its texts together, longest first, so padded words cost nothing; a wide
    tower hashes each distinct word's n-grams once and reads each text's real n-grams only
    (``kernest.text._fast``); many texts run as calls of 2,048 of similar word counts. Otherwise each batch
    is cut to its longest text or word where the model takes any length, and more than one batch of texts
    is first sorted by length. Either way the probabilities are those of the texts padded to ``max_words``, as
    ``model.predict`` gives them (to float rounding): the model masks padded words. A model with a sentence
    tower (``wide_vectors="minilm"``) first runs the tower once per text, texts sorted by token count, then
    the rest of the model (fast, as above) on the texts and their vectors.

    Args:
        run: the run directory (needs ``model.keras`` and ``preprocess.json``).
        fast: use the fast forward pass where the model allows it; ``False`` runs the Keras model itself
            (the same probabilities, slower; for comparison).

    Raises:
        RunError: the run is missing or incomplete.

    Example:
        >>> p = Predictor("runs/sentiment")  # doctest: +SKIP
        >>> p(["what a lovely flight"])[0]["label"]  # doctest: +SKIP
        'positive'
    """

    def __init__(self, run: str | Path, fast: bool = True) -> None:
        self.run = _run.require(run, _run.MODEL, _run.PREPROCESS)
        self.encoder: TextEncoder = _run.load_encoder(self.run)
        self.model = _run.load_model(self.run, self.encoder)
        self.classes: tuple[str, ...] = self.encoder.classes
        table = self.encoder.table
        model, encoder = self.model, self.encoder
        others: list[tf.TensorSpec] = []  # the model's inputs beside the character ids
        self._sentence: tuple[Any, Any] | None = None
        if sentence.has_tower(model):
            tower = model.get_layer(sentence.TOWER)
            self._sentence = (tower, sentence_tokenizer(f"Run {str(self.run)!r}", self.encoder))
            model = sentence.towers_as_inputs(model, [sentence.TOWER], f"{model.name}_scorer")
            others = [tf.TensorSpec([None, tower.output_shape[-1]], tf.float32)]
        _, model_words, model_chars = model.inputs[0].shape  # None: the model takes any length there
        self.trims = {"words": model_words is None, "chars": model_chars is None}
        trims = self.trims

        def run_model(ids: tf.Tensor, rest: tuple[tf.Tensor, ...]) -> tf.Tensor:
            x = trim_padding(ids, **trims)
            return model([x, *rest] if rest else x, training=False)

        def padded_forward(texts: tf.Tensor, *rest: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
            ids, n_words, longest = encoder.encode_tensor(texts, table)  # (B, W, C), (B,), (B,)
            return run_model(ids, rest), n_words, longest

        fast_fn = fast_forward(model, encoder) if fast else None
        self.fast = fast_fn is not None
        self._forward = tf.function(fast_fn or padded_forward,
                                    input_signature=[tf.TensorSpec([None], tf.string), *others])

        @tf.function(input_signature=[tf.TensorSpec([None, encoder.max_words, encoder.max_chars], tf.int32),
                                      *others])
        def forward_ids(ids: tf.Tensor, *rest: tf.Tensor) -> tf.Tensor:
            return run_model(ids, rest)

        self._forward_ids = forward_ids

    def probabilities(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Class probabilities ``(texts, classes)`` and the words / longest word of each text.

        With the fast forward pass, texts run as calls of up to 2,048 from strings (sorted by word count
        when there are more). Otherwise up to 256
        texts run as one call from strings; more are encoded first, then run in batches of 2,048 texts of
        similar length.
        """
        if not texts:
            return np.zeros((0, len(self.classes)), np.float32), np.zeros(0, np.int32), np.zeros(0, np.int32)
        rest: list[np.ndarray] = []
        if self._sentence is not None:
            tower, tok = self._sentence
            rest = [sentence.vectors(tower, texts, tok, cache=False)[0]]                  # (texts, dim)
        if len(texts) <= _BATCH or self.fast:
            step = _FAST_CHUNK if self.fast else _BATCH
            # Calls of texts of similar length: layers that read the padded ids (a wide tower) see less
            # padding. Any order gives the same probabilities, so a cheap count of the words will do.
            order = (np.argsort([len(t.split()) for t in texts], kind="stable") if len(texts) > step
                     else np.arange(len(texts)))
            parts = [self._forward(tf.constant([texts[j] for j in order[i:i + step]], tf.string),
                                   *(r[order[i:i + step]] for r in rest))
                     for i in range(0, len(texts), step)]
            got = [np.concatenate([part[j].numpy() for part in parts]) for j in range(3)]
            probs, n_words, longest = (np.empty_like(g) for g in got)
            probs[order], n_words[order], longest[order] = got
            return probs, n_words, longest
        enc = self.encoder.encode(texts)
        order = np.argsort(np.minimum(enc.n_words, self.encoder.max_words), kind="stable")  # shortest first
        probs = np.empty((len(texts), len(self.classes)), np.float32)
        for start in range(0, len(texts), _MANY_BATCH):
            batch = order[start:start + _MANY_BATCH]
            probs[batch] = self._forward_ids(tf.constant(enc.ids[batch]), *(r[batch] for r in rest)).numpy()
        return probs, enc.n_words, enc.longest_word

    def __call__(self, texts: Sequence[str]) -> list[dict[str, Any]]:
        """Label texts.

        Args:
            texts: the texts (a text with no word gets no label, and a note that says so).

        Returns:
            One dict per text: ``text``, ``label``, ``probs`` (class -> probability) and, for an empty or a
            truncated text, ``note``. A text with no word (empty, or only whitespace) has nothing to
            classify: its ``label`` and ``probs`` are ``None`` (JSON ``null``) and its note says so.
        """
        if isinstance(texts, str):
            texts = [texts]
        probs, n_words, longest = self.probabilities(texts)
        # Python values once for all texts: per-element NumPy scalars cost more than the model for many texts.
        labelled = (n_words > 0) & np.all(np.isfinite(probs), axis=1)
        labels = [self.classes[i] for i in np.argmax(probs, axis=1).tolist()]
        rows, counts, lengths = probs.tolist(), n_words.tolist(), longest.tolist()
        max_words, max_chars = self.encoder.max_words, self.encoder.max_chars
        out: list[dict[str, Any]] = []
        for i, text in enumerate(texts):
            row: dict[str, Any] = {"text": text, "label": None, "probs": None}
            if labelled[i]:
                row["label"] = labels[i]
                row["probs"] = dict(zip(self.classes, rows[i]))
            note = text_note(counts[i], lengths[i], max_words, max_chars)
            if note:
                row["note"] = note
            out.append(row)
        return out


def predict(run: str | Path, texts: Sequence[str]) -> list[dict[str, Any]]:
    """Label texts with a trained run (loads it each call; keep a ``Predictor`` for many calls).

    Args:
        run: the run directory.
        texts: the texts.

    Returns:
        One dict per text: ``text``, ``label``, ``probs`` and, for an empty or truncated text, ``note``.

    Raises:
        RunError: the run is missing or incomplete.
    """
    return Predictor(run)(texts)
