"""The run directory: what ``train`` writes, and loading it back.

::

    runs/NAME/
      model.keras       the trained model (best validation macro-F1)
      preprocess.json   the TextEncoder (alphabet, limits, flags, classes)
      config.json       data source, split seed, model config, training arguments
      metrics.json      test metrics (and the baseline's, when computed)
      history.json      per-epoch logs
      confusion.png     test confusion matrix
      curves.png        loss and scores per epoch
      summary.txt       the model summary
      logs/             TensorBoard events
      checkpoint/       last.keras, best.weights.h5, state.json: what --resume continues from
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kernest._errors import DataError, KernestError, RunError
from kernest.text._encode import TextEncoder
from kernest.text._sentence import has_tower

MODEL = "model.keras"
PREPROCESS = "preprocess.json"
CONFIG = "config.json"
METRICS = "metrics.json"
HISTORY = "history.json"
CONFUSION = "confusion.png"
CURVES = "curves.png"
SUMMARY = "summary.txt"
LOGS = "logs"
CHECKPOINT = "checkpoint"
RUN_FILES = (MODEL, PREPROCESS, CONFIG, METRICS, HISTORY, CONFUSION, CURVES, SUMMARY)


def require(run: str | Path, *names: str) -> Path:
    """Check a run directory holds the named files.

    Args:
        run: the run directory.
        *names: files it must hold.

    Returns:
        The run directory as a ``Path``.

    Raises:
        RunError: the directory or a file is missing; the message names them and how to make them.
    """
    p = Path(run)
    if not p.is_dir():
        raise RunError(
            f"Run directory {str(p)!r} does not exist. Train one with `kernest train --out {p}` (or "
            "kernest.text.train(out=...)), or give the path of an existing run."
        )
    missing = sorted(n for n in names if not (p / n).exists())
    if missing:
        hint = ("training was interrupted: continue it with `kernest train --out "
                f"{p} --resume`" if (p / CHECKPOINT / "state.json").exists()
                else f"train again with `kernest train --out {p}`")
        raise RunError(
            f"Run directory {str(p)!r} is incomplete: missing {', '.join(missing)}. It was not written by a "
            f"finished `kernest train`; {hint}."
        )
    return p


def read_json(path: Path) -> Any:
    """Read a JSON file of a run.

    Raises:
        RunError: the file is not valid JSON.
    """
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise RunError(f"{str(path)!r} is damaged ({e}). Train the run again.") from None


def load_encoder(run: str | Path) -> TextEncoder:
    """The run's ``TextEncoder``.

    Raises:
        RunError: the run or its preprocess.json is missing or damaged.
    """
    p = require(run, PREPROCESS)
    try:
        return TextEncoder.load(p / PREPROCESS)
    except DataError as e:
        raise RunError(str(e)) from None


def load_model(run: str | Path, encoder: TextEncoder | None = None) -> Any:
    """The run's Keras model, loaded with ``safe_mode=True``.

    Args:
        run: the run directory.
        encoder: when given, the model must fit it: input ``(batch, max_words, max_chars)`` and one output
            per class.

    Raises:
        RunError: the run or its model.keras is missing, cannot be loaded, or does not fit the encoder.
    """
    import kernest
    import kernest.text  # noqa: F401  registers the app's layers (WordHash, NgramHash, ...)

    p = require(run, MODEL)
    try:
        model = kernest.load(p / MODEL, safe_mode=True)
    except KernestError as e:
        raise RunError(f"Cannot load {str(p / MODEL)!r}: {e} Train the run again with `kernest train --out DIR`."
                       ) from None
    if encoder is not None:
        _check_fits(model, encoder, p)
    return model


def _check_fits(model: Any, encoder: TextEncoder, run: Path) -> None:
    expected_in = (encoder.max_words, encoder.max_chars)  # a None axis takes any size
    expected_out = len(encoder.classes)
    try:
        # the character ids; a model with a sentence tower also takes its token ids, second
        inputs = list(model.inputs)
        got_in = tuple(inputs[0].shape[1:]) if len(inputs) == (2 if has_tower(model) else 1) else None
        got_out = model.output_shape[-1] if not isinstance(model.output_shape, list) else None
    except (AttributeError, ValueError):
        got_in = got_out = None
    problems = []
    fits_in = (got_in is not None and len(got_in) == 2 and got_in[0] in (None, encoder.max_words)
               and got_in[1] in (None, encoder.max_chars))
    if not fits_in:
        problems.append(f"it expects inputs of shape {got_in} but preprocess.json encodes texts as "
                        f"(words, chars) = {expected_in}")
    if got_out != expected_out:
        problems.append(f"it has {got_out} outputs but preprocess.json lists {expected_out} classes")
    if problems:
        raise RunError(
            f"{str(run / MODEL)!r} does not belong with {str(run / PREPROCESS)!r}: {'; '.join(problems)}. The "
            "two files come from different runs; train again with `kernest train --out DIR`."
        )
