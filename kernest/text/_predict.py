"""``predict`` and ``Predictor``: label texts with a trained run, fast enough for one message at a time."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

from kernest.text import _run
from kernest.text._encode import TextEncoder, text_note

_BATCH = 256


class Predictor:
    """A run's model and encoder, loaded once; calling it labels texts.

    Encoding and the model run in one ``tf.function`` on a string tensor (no ``model.predict`` set-up per
    call), so a single message is answered in milliseconds.

    Args:
        run: the run directory (needs ``model.keras`` and ``preprocess.json``).

    Raises:
        RunError: the run is missing or incomplete.

    Example:
        >>> p = Predictor("runs/sentiment")  # doctest: +SKIP
        >>> p(["what a lovely flight"])[0]["label"]  # doctest: +SKIP
        'positive'
    """

    def __init__(self, run: str | Path) -> None:
        self.run = _run.require(run, _run.MODEL, _run.PREPROCESS)
        self.encoder: TextEncoder = _run.load_encoder(self.run)
        self.model = _run.load_model(self.run, self.encoder)
        self.classes: tuple[str, ...] = self.encoder.classes
        table = self.encoder.table
        model, encoder = self.model, self.encoder

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def forward(texts: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
            ids, n_words, longest = encoder.encode_tensor(texts, table)  # (B, W, C), (B,), (B,)
            return model(ids, training=False), n_words, longest

        self._forward = forward

    def probabilities(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Class probabilities ``(texts, classes)`` and the words / longest word of each text."""
        probs, words, longest = [], [], []
        for i in range(0, len(texts), _BATCH):
            p, n, lw = self._forward(tf.constant(list(texts[i:i + _BATCH]), tf.string))
            probs.append(p.numpy())
            words.append(n.numpy())
            longest.append(lw.numpy())
        if not probs:
            return np.zeros((0, len(self.classes)), np.float32), np.zeros(0, np.int32), np.zeros(0, np.int32)
        return np.concatenate(probs), np.concatenate(words), np.concatenate(longest)

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
        out: list[dict[str, Any]] = []
        for i, text in enumerate(texts):
            row: dict[str, Any] = {"text": text, "label": None, "probs": None}
            if n_words[i] > 0 and np.all(np.isfinite(probs[i])):
                row["label"] = self.classes[int(np.argmax(probs[i]))]
                row["probs"] = {c: float(probs[i, j]) for j, c in enumerate(self.classes)}
            note = text_note(int(n_words[i]), int(longest[i]), self.encoder.max_words, self.encoder.max_chars)
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
