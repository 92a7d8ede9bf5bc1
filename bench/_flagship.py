"""The flagship's pieces, as the benchmarks use them: the bundled corpus split, the fitted encoder, the model.

Everything comes from ``kernest.text``; this module only picks sizes and subsets so every benchmark sees
the same data the same way ``kernest train`` does (seeded split, encoder fitted on the train split).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

import kernest.text as kt
from kernest.text import ModelConfig, TextEncoder, build_model, load_data, split
from kernest.text._model import compile_model  # not public: train() compiles the model this way
from kernest.text._train import balanced_class_weight  # not public: train()'s class weights

__all__ = ["Flagship", "ModelConfig", "TextEncoder", "balanced_class_weight", "build_model", "compile_model",
           "kt", "load", "no_dedupe", "subset"]

# --small: a model and texts small enough for a smoke run of seconds (without the sentence tower: its encoder,
# not the script, would be most of such a run).
SMALL_CONFIG = {"char_dim": 8, "widths": [2, 3], "filters": 8, "word_units": 8, "max_words": 12, "max_chars": 8,
                "wide_buckets": 4096, "wide_dim": 8, "wide_vectors": "none"}
# The speed benchmarks time the deep tower (char-CNN in over("words"), BiLSTM): the nested part that their
# hand-written Keras and PyTorch twins reproduce. The accuracy benchmark trains the whole wide-and-deep model.
SPEED_CONFIG = {"wide": False}


@dataclass
class Flagship:
    """The split, the fitted encoder and the config the benchmarks share."""

    splits: Any
    encoder: Any
    config: Any

    @property
    def n_classes(self) -> int:
        return len(self.splits.classes)

    def model(self, compiled: bool = True, **overrides: Any) -> Any:
        """A fresh flagship model, built (and compiled) by ``kernest.text`` exactly as ``train`` does."""
        cfg = ModelConfig.from_dict(overrides, self.config) if overrides else self.config
        m = build_model(self.encoder.max_words, self.encoder.max_chars, self.encoder.vocab_size,
                        self.n_classes, cfg)
        return compile_model(m, cfg) if compiled else m

    def labels(self, labels: Any) -> np.ndarray:
        return np.asarray(self.encoder.label_ids(labels))


def load(small: bool, seed: int = 0, config: dict[str, Any] | None = None) -> Flagship:
    """The bundled corpus split by ``seed``, and an encoder fitted on its train split (as ``train`` does)."""
    splits = split(load_data(None), seed=seed)
    cfg = ModelConfig.from_dict({**SPEED_CONFIG, **(SMALL_CONFIG if small else {}), **(config or {})})
    encoder = TextEncoder.fit(splits.train.texts, max_words=cfg.max_words, max_chars=cfg.max_chars,
                              percentile=cfg.percentile, min_count=cfg.min_char_count, classes=splits.classes)
    return Flagship(splits, encoder, cfg)


def subset(texts: list[str], labels: list[str], n: int) -> tuple[list[str], list[str]]:
    """The first ``n`` texts (the split is already shuffled), repeated when there are fewer."""
    reps = -(-n // max(1, len(texts)))
    return (list(texts) * reps)[:n], (list(labels) * reps)[:n]


def no_dedupe(model: Any) -> Any:
    """``model`` with every ``over`` running its inner model on each real element, not once per distinct one
    (``dedupe=False``, read when a step is traced: call this before the first)."""
    import kernest

    for path in kernest.paths(model):
        layer = kernest.get(model, path)
        if isinstance(layer, kernest.Over):
            layer.dedupe = False
    return model
