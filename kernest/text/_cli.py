"""The ``train``, ``evaluate``, ``predict`` and ``export`` subcommands: parse, call the Python API, print.

``kernest.cli`` calls ``register(subparsers)`` and then ``args.func(args)``; a ``KernestError`` raised by a
handler is printed by the CLI's main as ``kernest: error: <message>`` with exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from kernest._errors import DataError
from kernest.cli import int_at_least
from kernest.text._defaults import BATCH_SIZE as DEFAULT_BATCH_SIZE
from kernest.text._defaults import EPOCHS as DEFAULT_EPOCHS
from kernest.text._defaults import MIN_STEPS

positive_int = int_at_least(1)
non_negative_int = int_at_least(0)


def register(subparsers: Any) -> None:
    """Add the text subcommands to an ``argparse`` subparsers object.

    Args:
        subparsers: what ``ArgumentParser.add_subparsers()`` returned.
    """
    p = subparsers.add_parser("train", help="train the hierarchical sentiment classifier",
                              description="Train the wide-and-deep sentiment model (char-CNN + BiLSTM beside "
                                          "hashed n-grams) and write a run folder.")
    p.add_argument("--data", help="CSV / TSV / JSON Lines file or class-folder tree (default: bundled corpus)")
    p.add_argument("--text-col", default="text", help="text column (default: text)")
    p.add_argument("--label-col", default="label", help="label column (default: label)")
    p.add_argument("--out", default="runs/sentiment", help="run folder to write (default: runs/sentiment)")
    p.add_argument("--epochs", type=positive_int,
                   help=f"most epochs (default: {DEFAULT_EPOCHS}, more for a small training set, which gets "
                        f"about {MIN_STEPS} steps)")
    p.add_argument("--batch-size", type=positive_int,
                   help=f"batch size (default: {DEFAULT_BATCH_SIZE}, smaller for a small training set)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed of split and weights (default: 0)")
    p.add_argument("--resume", action="store_true", help="continue the interrupted run in --out")
    p.add_argument("--config", help="JSON or YAML file of ModelConfig fields")
    p.add_argument("--max-words", type=positive_int, help="words kept per text (default: fitted)")
    p.add_argument("--max-chars", type=positive_int, help="characters kept per word (default: fitted)")
    p.add_argument("--limit", type=positive_int, help="train on a stratified sample of this many texts")
    p.add_argument("--distribute", choices=("mirrored", "multiworker"),
                   help="tf.distribute strategy: all GPUs of this machine, or several machines (TF_CONFIG)")
    p.add_argument("--deterministic", action="store_true", help="turn on TensorFlow op determinism")
    p.set_defaults(func=_train)

    p = subparsers.add_parser("evaluate", help="score a trained run on labelled data",
                              description="Print test metrics of a run as a table, or as JSON with --json "
                                          "(default data: the run's own test split).")
    p.add_argument("run", help="run folder written by `kernest train`")
    p.add_argument("--data", help="labelled data file or folder (default: the run's test split)")
    p.add_argument("--text-col", default="text", help="text column (default: text)")
    p.add_argument("--label-col", default="label", help="label column (default: label)")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    p.set_defaults(func=_evaluate)

    p = subparsers.add_parser("predict", help="label texts with a trained run",
                              description="Print one JSON line per text: text, label, probability per class "
                                          "(null for a text with no word, with a note).")
    p.add_argument("run", help="run folder written by `kernest train`")
    p.add_argument("texts", nargs="*", help="texts to label")
    p.add_argument("--file", help="file with one text per line ('-' for stdin)")
    p.set_defaults(func=_predict)

    p = subparsers.add_parser("export", help="export a run as a TensorFlow SavedModel taking raw strings",
                              description="Write a SavedModel with the text preprocessing inside the graph.")
    p.add_argument("run", help="run folder written by `kernest train`")
    p.add_argument("--out", required=True, help="SavedModel folder to write")
    p.set_defaults(func=_export)


def _train(args: argparse.Namespace) -> int:
    from kernest.text._distribute import make_strategy
    from kernest.text._metrics import format_metrics
    from kernest.text._train import train

    strategy = make_strategy(args.distribute)  # before any other TensorFlow work
    result = train(data=args.data, out=args.out, epochs=args.epochs, batch_size=args.batch_size,
                   seed=args.seed, resume=args.resume, config=args.config, text_col=args.text_col,
                   label_col=args.label_col, max_words=args.max_words, max_chars=args.max_chars,
                   limit=args.limit, strategy=strategy, deterministic=args.deterministic)
    print(format_metrics(result.metrics))
    print(f"run written to {result.run}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from kernest.text._metrics import format_metrics
    from kernest.text._train import evaluate

    metrics = evaluate(args.run, data=args.data, text_col=args.text_col, label_col=args.label_col)
    print(json.dumps(metrics, indent=1) if args.json else format_metrics(metrics))
    return 0


def _predict(args: argparse.Namespace) -> int:
    from kernest.text._predict import Predictor

    texts = list(args.texts)
    if args.file:
        texts += _read_lines(args.file)
    if not texts:
        raise DataError("No text to label. Pass texts as arguments (kernest predict RUN \"text\" ...) or "
                        "--file FILE with one text per line.")
    for row in Predictor(args.run)(texts):
        print(json.dumps(row, ensure_ascii=False))
    return 0


def _read_lines(name: str) -> list[str]:
    if name == "-":
        return [line.rstrip("\r\n") for line in sys.stdin]
    p = Path(name)
    if not p.is_file():
        raise DataError(f"Text file {name!r} does not exist. Give a file with one text per line.")
    data = p.read_bytes()
    from kernest.text._data import _decode_lines

    return [line.rstrip("\r\n") for line in _decode_lines(data)[0]]


def _export(args: argparse.Namespace) -> int:
    from kernest.text._export import export

    out = export(args.run, args.out)
    print(f"SavedModel written to {out} (signature serving_default: texts -> probabilities, label)")
    return 0
