"""kernest.text: the flagship application, a hierarchical sentiment classifier built with ``kernest.over``.

A wide-and-deep model: the deep tower runs a char-CNN on each word (``over("words", char_cnn)``) and a
masked BiLSTM over the words; the wide tower maps TF-IDF vectors of hashed word 1-2-grams and character
n-grams, scaled by naive-Bayes ratios, to class logits (fitted first, then frozen); a softmax head adds the
deep tower's logits to them. ``train`` writes a run folder; ``evaluate``, ``predict`` / ``Predictor`` and ``export`` use it.

Example:
    >>> from kernest import text
    >>> result = text.train(out="runs/demo", epochs=3)  # doctest: +SKIP
    >>> text.predict("runs/demo", ["what a lovely flight"])[0]["label"]  # doctest: +SKIP
    'positive'
"""

from __future__ import annotations

from kernest._errors import RunError, TrainingDiverged
from kernest.text import _layers  # noqa: F401  registers WordHash, NgramHash, EmbeddingBag, HashedLinear, PadToZero, WordVectors
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
from kernest.text._layers import EmbeddingBag, HashedLinear, NgramHash, PadToZero, WordHash, WordVectors
from kernest.text._metrics import classification_metrics, format_metrics, macro_f1
from kernest.text._model import (
    ModelConfig,
    build_char_cnn,
    build_deep,
    build_head,
    build_model,
    build_pretrained,
    build_wide,
)
from kernest.text._predict import Predictor, predict
from kernest.text._pretrained import WordVectorTable, word_vector_table
from kernest.text._train import MacroF1, TrainResult, evaluate, train
from kernest.text._wide import fit_wide

__all__ = [
    "Dataset",
    "EmbeddingBag",
    "Encoded",
    "HashedLinear",
    "MacroF1",
    "ModelConfig",
    "NgramHash",
    "PadToZero",
    "Predictor",
    "RunError",
    "SentimentModule",
    "Splits",
    "TextEncoder",
    "TrainResult",
    "TrainingDiverged",
    "WordHash",
    "WordVectorTable",
    "WordVectors",
    "baseline",
    "build_char_cnn",
    "build_deep",
    "build_head",
    "build_model",
    "build_pretrained",
    "build_wide",
    "bundled_corpus_path",
    "classification_metrics",
    "clean_text",
    "deduplicate",
    "evaluate",
    "export",
    "fit_wide",
    "format_metrics",
    "load_data",
    "macro_f1",
    "predict",
    "split",
    "take_sample",
    "train",
    "word_vector_table",
]
