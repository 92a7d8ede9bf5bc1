"""kernest.text: the flagship application, a hierarchical sentiment classifier built with ``kernest.over``.

A char-CNN reads each word (``over("words", char_cnn)``), a masked BiLSTM reads the words, a softmax head
labels the text. ``train`` writes a run folder; ``evaluate``, ``predict`` / ``Predictor`` and ``export`` use it.

Example:
    >>> from kernest import text
    >>> result = text.train(out="runs/demo", epochs=3)  # doctest: +SKIP
    >>> text.predict("runs/demo", ["what a lovely flight"])[0]["label"]  # doctest: +SKIP
    'positive'
"""

from __future__ import annotations

from kernest.text._baseline import baseline
from kernest.text._data import (
    Dataset,
    Splits,
    bundled_corpus_path,
    clean_text,
    deduplicate,
    load_data,
    split,
    take_sample,
)
from kernest.text._encode import Encoded, TextEncoder
from kernest.text._export import SentimentModule, export
from kernest.text._metrics import classification_metrics, format_metrics, macro_f1
from kernest.text._model import ModelConfig, WordHash, build_char_cnn, build_model
from kernest.text._predict import Predictor, predict
from kernest.text._run import RunError
from kernest.text._train import MacroF1, TrainResult, evaluate, train

__all__ = [
    "Dataset",
    "Encoded",
    "MacroF1",
    "ModelConfig",
    "Predictor",
    "RunError",
    "SentimentModule",
    "Splits",
    "TextEncoder",
    "TrainResult",
    "WordHash",
    "baseline",
    "build_char_cnn",
    "build_model",
    "bundled_corpus_path",
    "classification_metrics",
    "clean_text",
    "deduplicate",
    "evaluate",
    "export",
    "format_metrics",
    "load_data",
    "macro_f1",
    "predict",
    "split",
    "take_sample",
    "train",
]
