"""Shared set-up of the kernest.text tests: a small real sample of the bundled corpus, a tiny model config and
one trained run (made once per test session, in a temporary folder)."""

from __future__ import annotations

import csv
import functools
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path

from kernest.text import Dataset, ModelConfig, TrainResult, load_data, take_sample, train

TINY = ModelConfig(char_dim=8, widths=(2, 3), filters=8, highway=True, word_units=8, dropout=0.0,
                   max_words=12, max_chars=10, min_char_count=1, patience=5, wide_buckets=1024, wide_dim=4,
                   wide_vectors="none")


@functools.cache
def bundled() -> Dataset:
    """The bundled corpus, loaded once."""
    return load_data()


@functools.cache
def corpus_sample(n: int = 400, seed: int = 0) -> Dataset:
    """A stratified sample of ``n`` rows of the bundled corpus (cleaned)."""
    return take_sample(bundled(), n, seed=seed)


def write_table(path: Path, rows: Sequence[Sequence[str]], header: Sequence[str] = ("text", "label"),
                delimiter: str = ",") -> Path:
    """Write a header and rows as CSV / TSV (UTF-8)."""
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow(header)
        w.writerows(rows)
    return path


def write_jsonl(path: Path, rows: Sequence[dict[str, object]]) -> Path:
    """Write JSON Lines."""
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@functools.cache
def trained_result() -> TrainResult:
    """A run trained for one epoch on a 400-row sample, from a CSV file (so evaluate can rebuild its split and
    resume can read it again). Tests read it and never change it: one that writes copies the folder first."""
    root = Path(tempfile.mkdtemp(prefix="kernest-text-test-"))
    ds = corpus_sample()
    data = write_table(root / "sample.csv", list(zip(ds.texts, ds.labels)))
    return train(data=data, out=root / "run", epochs=1, batch_size=32, config=TINY, verbose=0)


def trained_run() -> Path:
    """The folder of ``trained_result()``."""
    return trained_result().run
