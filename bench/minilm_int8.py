"""The sentence tower's encoding cost in CPU seconds per text, float32 against Keras' int8 weight quantization
(``Model.quantize("int8")``), and how far the int8 vectors are from the float32 ones (cosine of each pair);
optionally the stage-1 gate's cross-validation on N training tweets with each encoder's vectors.

CPU seconds (user + system of this process, ``resource.getrusage``) rather than wall clock: the machine is
shared. Each encoder first runs over the texts once (Keras compiles one predict function per batch width), then
the two are timed in turns, ``--rounds`` times; the cache is not used.

    python bench/minilm_int8.py [--texts 1000] [--rounds 2] [--cv 0] [--seed 0] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path
from typing import Any

import numpy as np

import kernest.text as kt
from kernest._files import write_text_atomic
from kernest.text import _sentence
from kernest.text._model import ModelConfig, build_wide
from kernest.text._wide import hashed_counts, vector_gate


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(tower: Any, texts: list[str], tok: Any) -> tuple[np.ndarray, float, float]:
    """The texts' vectors, the CPU seconds and the wall seconds of computing them (no cache)."""
    cpu, wall = cpu_seconds(), time.perf_counter()
    vectors = _sentence.vectors(tower, texts, tok, cache=False)[0]
    return vectors, cpu_seconds() - cpu, time.perf_counter() - wall


def tweets(seed: int) -> tuple[kt.Splits, Any]:
    """The bundled corpus' split by ``seed`` and the WordPiece tokenizer at the cap its training texts fit."""
    splits = kt.split(kt.load_data(None), seed=seed)
    return splits, _sentence.tokenizer(_sentence.fit_max_tokens(_sentence.tokenizer(_sentence.TOKEN_CAP),
                                                                 splits.train.texts))


def gate_inputs(texts: list[str], labels: list[str], classes: tuple[str, ...], seed: int
                ) -> tuple[list[str], list[Any], np.ndarray, dict[str, Any]]:
    """What ``vector_gate`` reads for these texts with the default views and C: the views, the hashed counts of
    a wide tower built for them, the labels' ids and the fit's arguments."""
    cfg = ModelConfig()
    enc = kt.TextEncoder.fit(texts, percentile=cfg.percentile, classes=classes)
    wide = build_wide(enc.max_words, enc.max_chars, cfg, len(classes))
    counts = hashed_counts(wide, enc.encode(texts).ids)
    fit: dict[str, Any] = {"n_classes": len(classes), "c": cfg.wide_c, "tfidf_c": cfg.tfidf_c,
                           "min_df": cfg.wide_min_df, "alpha": cfg.nb_alpha, "balanced": True, "seed": seed,
                           "sublinear": cfg.wide_sublinear, "vector_scale": cfg.wide_vector_scale}
    return list(cfg.wide_views), counts, enc.label_ids(labels), fit


def gate_cv(texts: list[str], labels: list[str], classes: tuple[str, ...], vectors: dict[str, np.ndarray],
            seed: int) -> dict[str, Any]:
    """The stage-1 gate (``vector_gate``, 3 folds, the default views and C) on these texts, with each
    encoder's vectors."""
    views, counts, y, fit = gate_inputs(texts, labels, classes, seed)
    return {name: vector_gate(views, counts, y, v, 3, **fit)[0] for name, v in vectors.items()}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--texts", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--cv", type=int, default=0, help="also run the gate's CV on this many training tweets")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    splits, tok = tweets(args.seed)
    train = splits.train
    rng = np.random.default_rng(args.seed)
    pick = rng.choice(len(train), max(args.texts, args.cv), replace=False)
    texts = [train.texts[i] for i in pick[:args.texts]]
    towers = {"float32": _sentence.build_tower(), "int8": _sentence.build_tower()}
    started = cpu_seconds()
    towers["int8"].quantize("int8")
    quantize_cpu = cpu_seconds() - started
    for tower in towers.values():
        _sentence.vectors(tower, texts, tok, cache=False)  # compile each batch width once
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in towers}
    vectors: dict[str, np.ndarray] = {}
    for r in range(args.rounds):
        for name in (list(towers) if r % 2 == 0 else list(towers)[::-1]):
            vectors[name], cpu, wall = timed(towers[name], texts, tok)
            runs[name].append({"cpu_seconds": round(cpu, 2), "wall_seconds": round(wall, 2),
                               "cpu_ms_per_text": round(1000 * cpu / len(texts), 3)})
    cosine = np.sum(vectors["float32"] * vectors["int8"], axis=1)
    per_text = {name: min(r["cpu_ms_per_text"] for r in rs) for name, rs in runs.items()}
    result: dict[str, Any] = {
        "texts": len(texts), "max_tokens": tok.max_tokens, "rounds": args.rounds, "runs": runs,
        "best_cpu_ms_per_text": per_text, "int8_cpu_ratio": round(per_text["int8"] / per_text["float32"], 3),
        "quantize_cpu_seconds": round(quantize_cpu, 2),
        "cosine": {"mean": round(float(cosine.mean()), 5), "min": round(float(cosine.min()), 5),
                   "p01": round(float(np.percentile(cosine, 1)), 5)}}
    print(json.dumps(result, indent=1), flush=True)
    if args.cv:
        cv_texts = [train.texts[i] for i in pick[:args.cv]]
        cv_labels = [train.labels[i] for i in pick[:args.cv]]
        cv_vectors = {name: _sentence.vectors(tower, cv_texts, tok, cache=name == "float32")[0]
                      for name, tower in towers.items()}
        result["gate_cv"] = {"texts": args.cv, **gate_cv(cv_texts, cv_labels, splits.classes, cv_vectors, args.seed)}
        print(json.dumps(result["gate_cv"], indent=1), flush=True)
    if args.out:
        write_text_atomic(args.out, json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
