"""A tiny synthetic two-class text corpus for fast training tests (distribution, faults, bad inputs)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

POSITIVE = ("good", "great", "love", "nice", "happy", "superb")
NEGATIVE = ("bad", "awful", "hate", "sad", "poor", "boring")
FILLER = ("the", "movie", "was", "it", "film", "plot", "really", "so", "a", "very")

# The smallest model config: trains a few hundred rows in about a second per epoch on one CPU core.
TINY_CONFIG = {"char_dim": 8, "widths": [2, 3], "filters": 8, "highway": False, "word_units": 8,
               "dropout": 0.0, "max_words": 8, "max_chars": 8, "min_char_count": 1, "patience": 10,
               "wide_buckets": 1024, "wide_dim": 4, "wide_dropout": 0.0, "label_smoothing": 0.0,
               "wide_vectors": "none"}


def corpus(n: int = 300, seed: int = 0) -> tuple[list[str], list[str]]:
    """``n`` texts labelled ``pos`` / ``neg`` by the sentiment word they hold, with filler around it."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for i in range(n):
        label = "pos" if i % 2 == 0 else "neg"
        words = list(rng.choice(FILLER, size=int(rng.integers(2, 6))))
        words.insert(int(rng.integers(0, len(words) + 1)), str(rng.choice(POSITIVE if label == "pos" else NEGATIVE)))
        texts.append(f"{' '.join(words)} #{i}")  # the number keeps every text unique (no de-duplication)
        labels.append(label)
    return texts, labels


def write_csv(path: Path, n: int = 300, seed: int = 0) -> Path:
    """Write ``corpus(n, seed)`` as a ``text,label`` CSV; returns the path."""
    texts, labels = corpus(n, seed)
    with Path(path).open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        w.writerows(zip(texts, labels))
    return Path(path)
