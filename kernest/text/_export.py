"""``export``: a TensorFlow SavedModel that takes raw strings, with the preprocessing inside the graph."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import tensorflow as tf

from kernest.text import _run
from kernest.text._encode import TextEncoder
from kernest.text._run import RunError


class SentimentModule(tf.Module):
    """The trained model, its character table and class names, served from raw strings.

    ``serve(texts)`` takes a string tensor ``(None,)`` and returns ``probabilities`` ``(None, classes)``,
    ``label`` ``(None,)`` strings, ``n_words`` and ``longest_word`` ``(None,)`` (compare them with the
    ``max_words`` / ``max_chars`` variables to see truncation).
    """

    def __init__(self, model: Any, encoder: TextEncoder) -> None:
        super().__init__(name="sentiment")
        self.model = model
        self.table = encoder.build_table()  # an attribute, so the SavedModel tracks and saves it
        self.classes = tf.Variable(list(encoder.classes), dtype=tf.string, trainable=False, name="classes")
        self.max_words = tf.Variable(encoder.max_words, trainable=False, name="max_words")
        self.max_chars = tf.Variable(encoder.max_chars, trainable=False, name="max_chars")
        self._encoder = encoder

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="texts")])
    def serve(self, texts: tf.Tensor) -> dict[str, tf.Tensor]:
        ids, n_words, longest = self._encoder.encode_tensor(texts, self.table)  # (B, W, C), (B,), (B,)
        probs = self.model(ids, training=False)                                 # (B, classes)
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
        RunError: the run is missing or incomplete, or saving fails.
    """
    p = _run.require(run, _run.MODEL, _run.PREPROCESS)
    encoder = _run.load_encoder(p)
    model = _run.load_model(p, encoder)
    module = SentimentModule(model, encoder)
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        tf.saved_model.save(module, str(tmp), signatures={"serving_default": module.serve})
        if out.exists():
            old = out.with_name(f".{out.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(out)
    except Exception as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(e, RunError):
            raise
        raise RunError(f"Exporting {str(p)!r} to {str(out)!r} failed: {type(e).__name__}: {e}. Check that "
                       "the output folder is writable.") from None
    return out
