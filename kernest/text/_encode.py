"""Text -> ``(batch, words, chars)`` int32 character ids, with TensorFlow string ops inside the graph.

The same ``encode_tensor`` runs in the ``tf.data`` pipeline, in the ``Predictor`` and inside an exported
SavedModel, so training and serving cannot drift apart. Python only fits the alphabet and the sizes.

Ids: 0 is padding (a padded word is all zeros, so a model can mask it), 1 is out-of-vocabulary, 2-4 are the
single-character tokens that replace URLs, @mentions and (optionally) numbers; the alphabet starts at 5.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

from kernest._errors import DataError
from kernest._files import write_text_atomic

PAD_ID = 0
OOV_ID = 1
URL_CHAR, USER_CHAR, NUMBER_CHAR = "\ue000", "\ue001", "\ue002"  # private-use characters: never in real text
SPECIAL_IDS = {URL_CHAR: 2, USER_CHAR: 3, NUMBER_CHAR: 4}
FIRST_CHAR_ID = 5
FORMAT_VERSION = 1

_URL_RE = r"(?:https?://|www\.)\S+"
_USER_RE = r"@[\pL\pN_]+"
_NUMBER_RE = r"\pN+(?:[.,:]\pN+)*"
# White space as Python's str.isspace() sees it: Unicode separators and the ASCII/C1 control spaces.
_SPACE_RE = r"[\p{Z}\t\n\v\f\r\x1c-\x1f\x85]"
# A run of characters that are not letters, digits, marks, whitespace or word-internal signs becomes a word
# of its own: "great!!" -> "great !!", "love😍" -> "love 😍".
_PUNCT_RE = r"([^\pL\pN\pM\s'#@_\x{E000}-\x{E002}]+)"
_MAX_ENCODE_BATCH = 2048
# Fitted limits are capped: a few very long texts or words should not set every batch's padding.
MAX_WORDS_CAP = 256
MAX_CHARS_CAP = 24


@dataclass(frozen=True)
class Encoded:
    """Character ids of some texts, and what encoding had to drop.

    Attributes:
        ids: int32 array ``(texts, max_words, max_chars)``, zero padded.
        n_words: words per text before truncation.
        longest_word: characters in each text's longest word, before truncation.
        max_words: the encoder's word limit.
        max_chars: the encoder's character limit per word.
    """

    ids: np.ndarray
    n_words: np.ndarray
    longest_word: np.ndarray
    max_words: int
    max_chars: int

    @property
    def empty(self) -> np.ndarray:
        """True where a text had no word at all (it encodes to padding only)."""
        return np.asarray(self.n_words == 0)

    @property
    def truncated(self) -> np.ndarray:
        """True where a text lost words or characters to the limits."""
        return np.asarray((self.n_words > self.max_words) | (self.longest_word > self.max_chars))

    def note(self, i: int) -> str | None:
        """A one-line note on text ``i`` when it was empty or truncated, else ``None``."""
        return text_note(int(self.n_words[i]), int(self.longest_word[i]), self.max_words, self.max_chars)


def text_note(n_words: int, longest_word: int, max_words: int, max_chars: int) -> str | None:
    """Say what encoding did to a text with ``n_words`` words, the longest ``longest_word`` characters long.

    Example:
        >>> text_note(50, 3, 32, 14)
        'truncated text: kept the first 32 of 50 words'
    """
    if n_words == 0:
        return "empty text: no word to classify, so no label and no probabilities"
    parts = []
    if n_words > max_words:
        parts.append(f"kept the first {max_words} of {n_words} words")
    if longest_word > max_chars:
        parts.append(f"cut words longer than {max_chars} characters")
    return "truncated text: " + ", ".join(parts) if parts else None


@dataclass
class TextEncoder:
    """Maps raw strings to character ids, word by word.

    Build one with ``TextEncoder.fit(train_texts)``; store it with ``to_json`` (the run's ``preprocess.json``).

    Attributes:
        alphabet: the known characters; ``alphabet[i]`` has id ``i + 5``.
        max_words: words kept per text.
        max_chars: characters kept per word.
        lowercase: lower-case the text first.
        urls: replace URLs by one token.
        mentions: replace @mentions by one token.
        numbers: replace numbers by one token.
        split_punct: make punctuation and emoji runs words of their own.
        classes: the class labels of the model that uses this encoder (may be empty).
        sentence_tokens: the WordPiece token cap of the model's sentence tower (``wide_vectors="minilm"``),
            fitted by ``kernest.text._sentence.fit_max_tokens``; ``None`` without the tower (a run of the
            ninth pass, before the cap was fitted, used 64).

    Example:
        >>> enc = TextEncoder.fit(["good movie", "bad movie!"], max_words=4, max_chars=6, min_count=1)
        >>> enc.encode(["Good!", ""]).ids.shape
        (2, 4, 6)
    """

    alphabet: tuple[str, ...]
    max_words: int
    max_chars: int
    lowercase: bool = True
    urls: bool = True
    mentions: bool = True
    numbers: bool = False
    split_punct: bool = True
    classes: tuple[str, ...] = ()
    sentence_tokens: int | None = None
    _table: Any = field(default=None, init=False, repr=False, compare=False)
    _encode_fn: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.alphabet = tuple(self.alphabet)
        self.classes = tuple(self.classes)
        if self.max_words < 1 or self.max_chars < 1:
            raise DataError(
                f"max_words ({self.max_words}) and max_chars ({self.max_chars}) must be at least 1. "
                "Pass positive values, or leave them out to fit them from the training texts."
            )

    # --------------------------------------------------------------------------------------------- fitting

    @classmethod
    def fit(cls, texts: Sequence[str], max_words: int | None = None, max_chars: int | None = None,
            percentile: float = 99.0, min_count: int = 2, classes: Sequence[str] = (),
            **flags: bool) -> TextEncoder:
        """Learn the alphabet and the size limits from training texts.

        Args:
            texts: the training texts.
            max_words: words kept per text; default: the ``percentile`` of the words per text, at most
                ``MAX_WORDS_CAP``.
            max_chars: characters kept per word; default: the ``percentile`` of the word lengths, at most
                ``MAX_CHARS_CAP``.
            percentile: the length percentile that sets the limits left as ``None``.
            min_count: a character seen fewer times is out-of-vocabulary.
            classes: class labels to store alongside (``preprocess.json`` keeps them).
            **flags: ``lowercase``, ``urls``, ``mentions``, ``numbers``, ``split_punct``.

        Returns:
            The fitted encoder.

        Raises:
            DataError: no texts, or a limit below 1.
        """
        if len(texts) == 0:
            raise DataError("TextEncoder.fit got no texts. Pass the training texts.")
        probe = cls(alphabet=(), max_words=1, max_chars=1, classes=tuple(classes), **flags)
        chars_parts: list[tf.Tensor] = []
        n_words: list[np.ndarray] = []
        word_lens: list[np.ndarray] = []
        for start in range(0, len(texts), _MAX_ENCODE_BATCH):
            words = probe.words(tf.constant(list(texts[start:start + _MAX_ENCODE_BATCH]), tf.string))
            n_words.append(words.row_lengths().numpy())
            chars = tf.strings.unicode_split(words.flat_values, "UTF-8", errors="replace")
            word_lens.append(chars.row_lengths().numpy())
            chars_parts.append(chars.flat_values)
        all_chars = tf.concat(chars_parts, axis=0)
        uniq, _, counts = tf.unique_with_counts(all_chars)
        freq = {c.decode("utf-8"): int(n) for c, n in zip(uniq.numpy(), counts.numpy())}
        alphabet = tuple(sorted((c for c, n in freq.items() if n >= min_count and c not in SPECIAL_IDS
                                 and c != "\ufffd"), key=lambda c: (-freq[c], c)))
        nw = np.concatenate(n_words)
        wl = np.concatenate(word_lens)
        if max_words is None:
            max_words = min(MAX_WORDS_CAP, max(1, int(math.ceil(np.percentile(nw, percentile)))))
        if max_chars is None:
            max_chars = min(MAX_CHARS_CAP, max(1, int(math.ceil(np.percentile(wl, percentile))))) if wl.size else 1
        return cls(alphabet=alphabet, max_words=int(max_words), max_chars=int(max_chars),
                   classes=tuple(classes), **flags)

    @property
    def vocab_size(self) -> int:
        """Number of ids, padding and specials included (the ``input_dim`` of a char embedding)."""
        return FIRST_CHAR_ID + len(self.alphabet)

    # ------------------------------------------------------------------------------------- graph encoding

    def normalize(self, texts: tf.Tensor) -> tf.Tensor:
        """Normalise a string tensor with ``tf.strings`` ops (any shape): lower-case, tokens, spacing."""
        x = texts
        if self.lowercase:
            x = tf.strings.lower(x, encoding="utf-8")
        if self.urls:
            x = tf.strings.regex_replace(x, _URL_RE, f" {URL_CHAR} ")
        if self.mentions:
            x = tf.strings.regex_replace(x, _USER_RE, f" {USER_CHAR} ")
        if self.numbers:
            x = tf.strings.regex_replace(x, _NUMBER_RE, f" {NUMBER_CHAR} ")
        if self.split_punct:
            x = tf.strings.regex_replace(x, _PUNCT_RE, r" \1 ")
        return x

    def words(self, texts: tf.Tensor) -> tf.RaggedTensor:
        """Normalised words of a ``(batch,)`` string tensor: a ragged ``(batch, words)`` string tensor.

        Words are split at any Unicode white space (``str.split``'s rule; ``tf.strings.split`` alone knows
        only ASCII's), so a text of no-break spaces has no word, as ``text.strip()`` says.
        """
        return tf.strings.split(tf.strings.regex_replace(self.normalize(texts), _SPACE_RE, " "))

    def build_table(self) -> tf.lookup.StaticHashTable:
        """A new char -> id lookup table (unknown characters map to ``OOV_ID``)."""
        keys = list(SPECIAL_IDS) + list(self.alphabet)
        values = list(SPECIAL_IDS.values()) + list(range(FIRST_CHAR_ID, FIRST_CHAR_ID + len(self.alphabet)))
        init = tf.lookup.KeyValueTensorInitializer(
            tf.constant(keys, tf.string), tf.constant(values, tf.int64))
        return tf.lookup.StaticHashTable(init, default_value=OOV_ID)

    @property
    def table(self) -> tf.lookup.StaticHashTable:
        """The encoder's own lookup table, built on first use (call it eagerly, outside a ``tf.function``)."""
        if self._table is None:
            self._table = self.build_table()
        return self._table

    def encode_tensor(self, texts: tf.Tensor, table: Any = None) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        """Encode a ``(batch,)`` string tensor with graph ops; usable in ``tf.data`` and ``tf.function``.

        Args:
            texts: string tensor ``(batch,)``.
            table: the lookup table to use (an exported module passes its own tracked table).

        Returns:
            ``ids`` int32 ``(batch, max_words, max_chars)``; ``n_words`` int32 ``(batch,)`` before truncation;
            ``longest_word`` int32 ``(batch,)`` in characters, before truncation.
        """
        words, n_words, longest = self._kept_words(texts)             # (B, (words)) strings, (B,), (B,)
        ids = self._char_ids(words, table)                            # (B, (words), (chars))
        dense = ids.to_tensor(default_value=PAD_ID, shape=[None, self.max_words, self.max_chars])
        return dense, n_words, longest                                # (B, W, C), (B,), (B,)

    def encode_distinct(self, texts: tf.Tensor, table: Any = None
                        ) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]:
        """Encode a ``(batch,)`` string tensor as its distinct words and where each occurs (graph ops).

        ``ids[1:][index]`` (``index`` > 0) is what ``encode_tensor`` gives, cut to the longest text: each
        distinct word is split into characters and looked up once, however often the batch repeats it.

        Returns:
            ``ids`` int32 ``(1 + distinct words, max_chars)``, row 0 all padding; ``index`` int32
            ``(batch, longest text or 1)``, each word's row of ``ids``, 0 after the text's last word; ``n_words``
            and ``longest_word`` as ``encode_tensor``.

        Example:
            >>> enc = TextEncoder.fit(["good movie", "bad movie!"], max_words=4, max_chars=6, min_count=1)
            >>> ids, index, n_words, _ = enc.encode_distinct(tf.constant(["good good movie", ""]))
            >>> tuple(ids.shape), index.numpy().tolist(), n_words.numpy().tolist()
            ((3, 6), [[1, 1, 2], [0, 0, 0]], [3, 0])
        """
        words, n_words, longest = self._kept_words(texts)
        distinct, which = tf.unique(words.flat_values, out_idx=tf.int32)  # (U,), (words in the batch,)
        ids = self._char_ids(tf.concat([[""], distinct], 0), table)   # (1 + U, (chars)): "" is padding
        ids = ids.to_tensor(default_value=PAD_ID, shape=[None, self.max_chars])
        index = words.with_flat_values(which + 1).to_tensor(default_value=0)          # (B, W <= max_words)
        index = tf.pad(index, [[0, 0], [0, tf.maximum(1 - tf.shape(index)[1], 0)]])  # no word at all: W = 1
        return ids, index, n_words, longest

    def _kept_words(self, texts: tf.Tensor) -> tuple[tf.RaggedTensor, tf.Tensor, tf.Tensor]:
        """The first ``max_words`` words of each text, and each text's word count and longest word before
        truncation."""
        words = self.words(texts)                                   # (B, (words)) strings
        n_words = tf.cast(words.row_lengths(), tf.int32)
        lengths = tf.strings.length(words, unit="UTF8_CHAR")        # (B, (words))
        longest = tf.cast(tf.maximum(tf.reduce_max(lengths, axis=1), 0), tf.int32)
        return words[:, : self.max_words], n_words, longest

    def _char_ids(self, words: Any, table: Any = None) -> tf.RaggedTensor:
        """Character ids of a (ragged) string tensor of words, one more ragged axis for the characters."""
        table = self.table if table is None else table
        chars = tf.strings.unicode_split(words, "UTF-8", errors="replace")
        return chars.with_flat_values(tf.cast(table.lookup(chars.flat_values), tf.int32))

    def encode(self, texts: Sequence[str]) -> Encoded:
        """Encode Python strings (empty strings give all zeros; long texts are truncated and flagged).

        Args:
            texts: the texts.

        Returns:
            The ids and the truncation facts, as NumPy arrays.
        """
        if self._encode_fn is None:
            table = self.table  # built eagerly: a table first made inside a trace would belong to that graph

            def encode_fn(t: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
                return self.encode_tensor(t, table)

            self._encode_fn = tf.function(encode_fn, input_signature=[tf.TensorSpec([None], tf.string)])
        parts = [self._encode_fn(tf.constant(list(texts[i:i + _MAX_ENCODE_BATCH]), tf.string))
                 for i in range(0, len(texts), _MAX_ENCODE_BATCH)]
        if not parts:
            empty = np.zeros((0,), np.int32)
            return Encoded(np.zeros((0, self.max_words, self.max_chars), np.int32), empty, empty,
                           self.max_words, self.max_chars)
        return Encoded(
            np.concatenate([p[0].numpy() for p in parts]),
            np.concatenate([p[1].numpy() for p in parts]),
            np.concatenate([p[2].numpy() for p in parts]),
            self.max_words, self.max_chars)

    # ------------------------------------------------------------------------------------------- pipeline

    def label_ids(self, labels: Sequence[str]) -> np.ndarray:
        """Class indices of string labels, by position in ``classes``.

        Raises:
            DataError: a label is not one of ``classes``.
        """
        index = {c: i for i, c in enumerate(self.classes)}
        unknown = sorted(set(labels) - set(index))
        if unknown:
            raise DataError(
                f"Labels {', '.join(repr(u) for u in unknown)} are not classes of this model "
                f"({', '.join(repr(c) for c in self.classes)}). Map them to known classes, or train a new "
                "model on data that has them."
            )
        return np.asarray([index[label] for label in labels], dtype=np.int32)

    def dataset(self, texts: Sequence[str], labels: Sequence[str] | None = None, batch_size: int = 32,
                shuffle: bool = False, seed: int = 0, bucket: bool = False,
                weights: Sequence[float] | np.ndarray | None = None,
                extra: np.ndarray | Sequence[np.ndarray] | None = None) -> tf.data.Dataset:
        """The ``tf.data`` pipeline of these texts: see ``kernest.text._pipeline.make_dataset``."""
        from kernest.text._pipeline import make_dataset

        return make_dataset(self, texts, labels, batch_size, shuffle=shuffle, seed=seed, bucket=bucket,
                            weights=weights, extra=extra)

    # ---------------------------------------------------------------------------------------- persistence

    def to_json(self) -> dict[str, Any]:
        """Everything needed to encode the same way again (the content of ``preprocess.json``)."""
        return {
            "format": "kernest.text.TextEncoder",
            "version": FORMAT_VERSION,
            "max_words": self.max_words,
            "max_chars": self.max_chars,
            "lowercase": self.lowercase,
            "urls": self.urls,
            "mentions": self.mentions,
            "numbers": self.numbers,
            "split_punct": self.split_punct,
            "ids": {"pad": PAD_ID, "oov": OOV_ID, "url": 2, "user": 3, "number": 4, "first_char": FIRST_CHAR_ID},
            "classes": list(self.classes),
            "alphabet": list(self.alphabet),
        } | ({} if self.sentence_tokens is None else {"sentence_tokens": self.sentence_tokens})

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> TextEncoder:
        """Rebuild an encoder from ``to_json`` output.

        Raises:
            DataError: the object is not an encoder description, or has another format version.
        """
        if not isinstance(obj, dict) or obj.get("format") != "kernest.text.TextEncoder":
            raise DataError("This JSON does not describe a kernest text encoder (no format "
                            "'kernest.text.TextEncoder'). Use the preprocess.json that `kernest train` wrote.")
        if obj.get("version") != FORMAT_VERSION:
            raise DataError(f"preprocess.json has format version {obj.get('version')}; this kernest reads "
                            f"version {FORMAT_VERSION}. Retrain with this version of kernest.")
        try:
            return cls(alphabet=tuple(obj["alphabet"]), max_words=int(obj["max_words"]),
                       max_chars=int(obj["max_chars"]), lowercase=bool(obj["lowercase"]),
                       urls=bool(obj["urls"]), mentions=bool(obj["mentions"]), numbers=bool(obj["numbers"]),
                       split_punct=bool(obj["split_punct"]), classes=tuple(obj.get("classes", ())),
                       sentence_tokens=obj.get("sentence_tokens"))
        except KeyError as e:
            raise DataError(f"preprocess.json lacks the key {e.args[0]!r}. Retrain to rewrite it.") from None

    def save(self, path: str | Path) -> None:
        """Write ``to_json()`` to ``path`` atomically."""
        write_text_atomic(Path(path), json.dumps(self.to_json(), ensure_ascii=False, indent=1) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> TextEncoder:
        """Read an encoder written by ``save``.

        Raises:
            DataError: the file is missing or not valid JSON.
        """
        p = Path(path)
        try:
            obj = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DataError(f"{str(p)!r} does not exist. Train a model with `kernest train --out DIR` "
                            "to write it.") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise DataError(f"{str(p)!r} is not valid JSON ({e}). Retrain to rewrite it.") from None
        return cls.from_json(obj)
