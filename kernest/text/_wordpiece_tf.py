"""``WordPieceTF``: ``kernest.text._minilm.WordPiece.encode`` in TensorFlow core ops, so that a SavedModel
that takes raw strings can compute the sentence tower's token ids itself (``kernest export``).

::

    texts (B,) UTF-8 strings
      -> code points (B, chars); each one's class from tables built in Python at export time:
         kept, dropped, a space, isolated (" ! ", " 中 ") or replaced (lower case, accents stripped: "É" -> "e")
      -> capital sigma at the end of a word -> final sigma, as Python's str.lower()
      -> cleaned text, split on spaces                                       (B, words)
      -> each distinct word: greedy longest-match-first WordPiece, all words a step at a time
      -> [CLS], the first max_tokens - 2 pieces, [SEP]; 0 after                 (B, longest) int32

The per-character tables come from ``_minilm.clean`` applied to each code point alone, and Python's own
``str.lower`` decides which characters are cased and case-ignorable (the final-sigma rule), so the two
tokenizers agree by construction wherever cleaning a text is cleaning its characters one by one. The one place
it is not: NFD puts combining marks of one run in canonical order, and a run may hold two of the 25 spacing
combining marks that cleaning keeps (Mc with a combining class, e.g. musical symbols U+1D165..U+1D172 or
U+302E/U+302F) out of that order; there the pieces may differ in order. Invalid UTF-8 reads as U+FFFD, which is
dropped.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import numpy as np
import tensorflow as tf

from kernest.text import _minilm as minilm

_KEEP, _DROP, _SPACE, _ISOLATE, _REPLACE = range(5)
_SIZES = [1, 0, 1, 3, 0]  # code points out of one of each kind (a replaced one: its text's)
_IGNORABLE, _CASED, _UNCASED = range(3)  # what Python's final-sigma rule sees in each character
_SIGMA = 0x3A3
_CODE_POINTS = 0x110000


@functools.lru_cache(maxsize=1)
def char_tables() -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
    """Each code point's class as runs, and the replaced ones' text.

    Returns:
        ``starts`` (R,) int32 (the first code point of each run, ascending from 0), ``codes`` (R,) int32
        (``kind * 3 + case``: kind one of keep/drop/space/isolate/replace, case one of case-ignorable/cased/
        uncased), and the cleaned text of each "replace" code point (white space in it as " ").
    """
    starts: list[int] = []
    codes: list[int] = []
    replaced: dict[int, str] = {}
    for cp in range(_CODE_POINTS):
        if 0xD800 <= cp <= 0xDFFF:  # surrogates never come out of UTF-8 decoding
            code = _DROP * 3 + _UNCASED
        else:
            c = chr(cp)
            out = "".join(" " if ch.isspace() else ch for ch in minilm.clean(c))  # str.split's white space
            kind = (_KEEP if out == c else _DROP if not out else _SPACE if out == " "
                    else _ISOLATE if out == f" {c} " else _REPLACE)
            if kind == _REPLACE:
                replaced[cp] = out
            code = kind * 3 + _case_class(c)
        if not codes or codes[-1] != code:
            starts.append(cp)
            codes.append(code)
    return np.array(starts, np.int32), np.array(codes, np.int32), replaced


def _case_class(c: str) -> int:
    """How Python's ``str.lower`` sees ``c`` when it decides whether a capital sigma ends a word: skipped
    (case-ignorable), cased, or neither. Read from ``str.lower`` itself, so it is exactly Python's rule."""
    if (c + "Σ").lower()[-1] == "ς":         # a cased, not case-ignorable, character before the sigma
        return _CASED
    if ("A" + c + "Σ").lower()[-1] == "ς":   # skipped: the sigma still follows the cased "A"
        return _IGNORABLE
    return _UNCASED


class WordPieceTF(tf.Module):
    """A WordPiece tokenizer's ``encode`` as a ``tf.Module``: its tables are attributes, so a SavedModel that
    holds it tracks and saves them.

    Args:
        vocab: the pieces and their ids (``WordPiece.vocab``; ``##`` marks a piece inside a word).
        max_tokens: the token cap with [CLS] and [SEP] (``WordPiece.max_tokens``).

    Example:
        >>> tok = minilm.WordPiece({"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "un": 4, "##able": 5, "!": 6})
        >>> WordPieceTF(tok.vocab, 8)(tf.constant(["Unable!", ""])).numpy().tolist()
        [[2, 4, 5, 6, 3], [2, 3, 0, 0, 0]]
    """

    def __init__(self, vocab: Mapping[str, int], max_tokens: int, name: str = "wordpiece") -> None:
        super().__init__(name=name)
        starts, codes, replaced = char_tables()
        self.max_tokens = max_tokens
        self.cls, self.sep, self.unk = (int(vocab[t]) for t in ("[CLS]", "[SEP]", "[UNK]"))
        # the longest piece, in characters without its "##": no match is searched beyond it
        self.longest = max(len(p[2:]) if p.startswith("##") else len(p) for p in vocab)
        self.run_starts = tf.constant(starts)
        self.run_codes = tf.constant(codes)
        # the replaced code points' text, one after another, then final sigma's: code points (P,)
        texts = [*replaced.values(), minilm.clean("ς")]
        self.final_sigma = len(replaced)
        self.replaced = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(tf.constant(list(replaced), tf.int64),
                                                tf.range(len(replaced), dtype=tf.int64)), -1)
        self.replacement_chars = tf.constant([ord(ch) for t in texts for ch in t] or [0], tf.int32)
        self.replacement_starts = tf.constant(np.cumsum([0] + [len(t) for t in texts[:-1]]), tf.int32)
        self.replacement_sizes = tf.constant([len(t) for t in texts], tf.int32)
        self.vocab = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(tf.constant(list(vocab), tf.string),
                                                tf.constant(list(vocab.values()), tf.int64)), -1)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="texts")])
    def __call__(self, texts: tf.Tensor) -> tf.Tensor:
        """Token ids ``(B, longest)`` int32 of ``texts`` ``(B,)`` strings, as ``WordPiece.encode`` gives them."""
        words = tf.strings.split(self.clean(texts))                         # (B, words) ragged
        distinct, which = tf.unique(words.flat_values)                       # (U,), (words in the batch,)
        pieces = tf.gather(self.pieces(distinct), which)                     # (words in the batch, pieces)
        body = tf.RaggedTensor.from_row_splits(pieces, words.row_splits).merge_dims(1, 2)  # (B, pieces)
        body = tf.cast(body[:, : self.max_tokens - 2], tf.int32)
        n = tf.shape(texts, out_type=tf.int64)[0]
        ids = tf.concat([tf.fill([n, 1], self.cls), body, tf.fill([n, 1], self.sep)], axis=1).to_tensor(0)
        return tf.pad(ids, [[0, 0], [0, tf.maximum(0, 2 - tf.shape(ids)[1])]])  # (0, 2) for no texts

    def clean(self, texts: tf.Tensor) -> tf.Tensor:
        """``_minilm.clean`` of each text ``(B,)``, white space as " ".

        Code points, not strings, until the end: each one becomes 0 to a few code points (a space either
        side of an isolated one, its text for a replaced one), gathered into each text's new code points."""
        cps = tf.strings.unicode_decode(texts, "UTF-8", errors="replace", replacement_char=0xFFFD)  # (B, chars)
        cp = cps.flat_values                                                                       # (N,)
        code = tf.gather(self.run_codes, tf.searchsorted(self.run_starts, cp, side="right") - 1)   # (N,)
        kind, case = code // 3, code % 3
        final = self._ends_word(cp, case, cps.value_rowids())
        kind = tf.where(final, _REPLACE, kind)
        which = tf.where(final, self.final_sigma, tf.cast(self.replaced.lookup(tf.cast(cp, tf.int64)), tf.int32))
        which = tf.maximum(which, 0)                                  # (N,) its replacement (0 unless replaced)
        size = tf.where(kind == _REPLACE, tf.gather(self.replacement_sizes, which),
                        tf.gather(tf.constant(_SIZES), kind))         # (N,) code points out
        src = tf.repeat(tf.range(tf.size(cp)), size)                  # (M,) the code point each one comes from
        ends = tf.concat([[0], tf.cumsum(size)], axis=0)              # (N + 1,)
        offset = tf.range(tf.size(src)) - tf.gather(ends, src)        # (M,) its place among them
        k, c = tf.gather(kind, src), tf.gather(cp, src)
        replaced = tf.gather(self.replacement_chars, tf.gather(self.replacement_starts, tf.gather(which, src)) + offset)
        space = (k == _SPACE) | ((k == _ISOLATE) & (offset != 1))
        out = tf.where(k == _REPLACE, replaced, tf.where(space, 32, c))                         # (M,)
        splits = tf.gather(ends, cps.row_splits)                                                # (B + 1,)
        return tf.strings.unicode_encode(tf.RaggedTensor.from_row_splits(out, splits), "UTF-8")

    @staticmethod
    def _ends_word(cp: tf.Tensor, case: tf.Tensor, row: tf.Tensor) -> tf.Tensor:
        """Where ``cp`` ``(N,)`` is a capital sigma that Python's ``str.lower`` makes final: the nearest
        character before it in its text that is not case-ignorable is cased, and the nearest after it is not
        (or there is none)."""
        n = tf.size(cp, out_type=tf.int64)
        sigma = tf.where(cp == _SIGMA)[:, 0]                                                   # (K,)
        # the positions that are not case-ignorable, then n: a sentinel in no text
        stops = tf.concat([tf.where(case != _IGNORABLE)[:, 0], [n]], axis=0)                  # (M + 1,)
        cased = tf.concat([case == _CASED, [False]], axis=0)                                  # (N + 1,)
        rows = tf.concat([row, [-1]], axis=0)                                                  # (N + 1,)
        here = tf.gather(row, sigma)
        before = tf.searchsorted(stops, sigma, side="left") - 1                               # (K,)
        prev = tf.gather(stops, tf.maximum(before, 0))
        after = tf.gather(stops, tf.searchsorted(stops, sigma, side="right"))
        cased_before = (before >= 0) & tf.gather(cased, prev) & tf.equal(tf.gather(rows, prev), here)
        cased_after = tf.gather(cased, after) & tf.equal(tf.gather(rows, after), here)
        final = tf.cast(cased_before & ~cased_after, tf.int32)                                 # (K,)
        return tf.scatter_nd(sigma[:, None], final, tf.reshape(n, [1])) > 0                    # (N,)

    def pieces(self, words: tf.Tensor) -> tf.RaggedTensor:
        """Each word's piece ids ``(U, pieces)`` int64: greedy longest match first from the left, ``##``
        inside a word; [UNK] alone for a word with no such cutting or longer than 100 characters."""
        size = tf.strings.length(words, unit="UTF8_CHAR")                                      # (U,)
        u = tf.size(words)
        lengths = tf.range(1, self.longest + 1)                                                # (L,)
        steps = minilm._MAX_WORD_CHARS  # each step takes at least one character

        def step(i: tf.Tensor, start: tf.Tensor, failed: tf.Tensor, out: tf.Tensor
                 ) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]:
            at = tf.where((start < size) & (failed == 0))[:, 0]                                # (A,) words left
            s, w = tf.gather(start, at), tf.gather(words, at)
            sub = tf.strings.substr(tf.broadcast_to(w[:, None], [tf.size(w), self.longest]),
                                    tf.broadcast_to(s[:, None], [tf.size(w), self.longest]),
                                    tf.broadcast_to(lengths[None], [tf.size(w), self.longest]),
                                    unit="UTF8_CHAR")                                          # (A, L)
            ids = self.vocab.lookup(tf.where(s[:, None] > 0, tf.strings.join(["##", sub]), sub))
            fits = (ids >= 0) & (s[:, None] + lengths[None] <= tf.gather(size, at)[:, None])
            best = tf.reduce_max(tf.where(fits, lengths[None], 0), axis=1)                     # (A,) 0: none
            piece = tf.gather(ids, tf.maximum(best - 1, 0), batch_dims=1)                      # (A,)
            found = best > 0
            hit = tf.boolean_mask(at, found)
            out = tf.tensor_scatter_nd_update(
                out, tf.stack([hit, tf.fill(tf.shape(hit), tf.cast(i, tf.int64))], axis=1),
                tf.boolean_mask(piece, found))
            start = tf.tensor_scatter_nd_add(start, at[:, None], best)
            failed = tf.tensor_scatter_nd_max(failed, at[:, None], tf.cast(~found, tf.int32))
            return i + 1, start, failed, out

        def more(i: tf.Tensor, start: tf.Tensor, failed: tf.Tensor, out: tf.Tensor) -> tf.Tensor:
            return tf.reduce_any((start < size) & (failed == 0))

        start = tf.zeros([u], tf.int32)
        failed = tf.cast(size > minilm._MAX_WORD_CHARS, tf.int32)  # 1: the word is [UNK]
        out = tf.fill([u, steps], tf.constant(-1, tf.int64))                                   # (U, steps)
        _, _, failed, out = tf.while_loop(more, step, (tf.constant(0), start, failed, out),
                                          maximum_iterations=steps)
        unknown = tf.concat([[self.unk], tf.fill([steps - 1], -1)], axis=0)
        out = tf.where(failed[:, None] > 0, tf.cast(unknown, tf.int64)[None], out)
        return tf.RaggedTensor.from_tensor(out, padding=-1)
