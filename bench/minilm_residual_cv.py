"""How the sentence tower's gain falls with the number of encoded training texts (issue 11, tenth pass), by
cross-validation of one split's training texts (by seed); its validation and test splits are not used.

The head's ``sentence_logits`` is fitted as ``train`` fits it (``kernest.text._sentence.fit_residual``: a residual
on top of the wide tower's out-of-fold logits, its L2 strength or "off" chosen by an inner 3-fold CV) on ``N``
training texts, and scored on texts it did not see. The training split is cut into three folds (those of
``kernest.text._wide.out_of_fold_logits``); each fold's texts get the wide logits of the tower fitted on the
other two (the defaults of ``kernest train``). For each fold in turn, the residual is fitted on ``N`` texts drawn
from the other two folds and scored on the fold; the folds' predictions together give one macro-F1 per ``N``,
against the wide logits alone (``off``). The sentence vectors are the tower's at the token cap fitted on the
training split (read from the cache that ``bench/minilm_cache.py`` fills).

    python bench/minilm_residual_cv.py [--seed 0] [--sizes 4000 8000 12000 16000 0] [--oof FILE] [--out FILE]
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import _common  # noqa: E402
import numpy as np  # noqa: E402

import kernest.text as kt  # noqa: E402
from kernest.text import _sentence  # noqa: E402
from kernest.text._metrics import macro_f1  # noqa: E402
from kernest.text._wide import fold_indices, hashed_counts, out_of_fold_logits  # noqa: E402


def wide_oof(train: kt.Dataset, enc: kt.TextEncoder, y: np.ndarray, seed: int, cache: str | None) -> np.ndarray:
    """The wide tower's out-of-fold logits of the training texts (3 folds), read from ``cache`` if it has them."""
    if cache and Path(cache).is_file():
        with np.load(cache) as saved:
            return np.asarray(saved["oof"])
    cfg = kt.ModelConfig()
    counts = hashed_counts(kt.build_wide(None, None, cfg, len(enc.classes)), enc.encode(train.texts).ids)
    oof = out_of_fold_logits(list(cfg.wide_views), counts, y, _sentence.RESIDUAL_FOLDS, seed=seed,
                             n_classes=len(enc.classes), c=cfg.wide_c, tfidf_c=cfg.tfidf_c,
                             min_df=cfg.wide_min_df, alpha=cfg.nb_alpha, balanced=True, sublinear=True)
    if cache:
        np.savez(cache, oof=oof)
    return oof


def run(seed: int, sizes: list[int], oof_cache: str | None) -> dict[str, Any]:
    t0 = time.perf_counter()
    splits = kt.split(kt.load_data(None), seed=seed)
    train, cfg = splits.train, kt.ModelConfig()
    enc = kt.TextEncoder.fit(train.texts, percentile=cfg.percentile, min_count=cfg.min_char_count,
                             classes=splits.classes)
    y = enc.label_ids(train.labels)
    k = len(enc.classes)
    cap = _sentence.fit_max_tokens(_sentence.tokenizer(_sentence.TOKEN_CAP), train.texts, cfg.percentile)
    vec, encoding = _sentence.vectors(_sentence.build_tower(), train.texts, _sentence.tokenizer(cap))
    print(f"cap {cap} tokens; vectors {encoding}", flush=True)
    offset = wide_oof(train, enc, y, seed, oof_cache)
    print(f"wide out-of-fold macro-F1 {macro_f1(y, np.argmax(offset, 1), k):.4f}", flush=True)
    folds = fold_indices(y, _sentence.RESIDUAL_FOLDS, seed)
    rng = np.random.default_rng(seed)
    results: dict[str, Any] = {"off": {"cv_macro_f1": macro_f1(y, np.argmax(offset, 1), k)}}
    for size in sizes:
        pred = np.zeros(len(y), np.int64)
        fits = []
        for held in folds:
            pool = np.setdiff1d(np.arange(len(y)), held)
            rows = pool if not size or size >= len(pool) else np.sort(rng.choice(pool, size, replace=False))
            started = time.perf_counter()
            (kernel, bias, scale), facts = _sentence.fit_residual(offset[rows], vec[rows], y[rows], seed=seed)
            pred[held] = np.argmax(scale * offset[held] + vec[held] @ kernel + bias, 1)
            fits.append({"texts": len(rows), "strength": facts["strength"], "scale": facts["scale"],
                         "kernel_norm": facts["kernel_norm"],
                         "seconds": round(time.perf_counter() - started, 1),
                         "held_macro_f1": round(macro_f1(y[held], pred[held], k), 5),
                         "held_off_macro_f1": round(macro_f1(y[held], np.argmax(offset[held], 1), k), 5)})
        score = macro_f1(y, pred, k)
        name = str(size or "all")
        results[name] = {"cv_macro_f1": score, "gain_points": round(100 * (score - results["off"]["cv_macro_f1"]), 2),
                         "folds": fits}
        print(name, f"{score:.4f}", f"{results[name]['gain_points']:+.2f}",
              [(f["texts"], f["strength"]) for f in fits], flush=True)
    return {"benchmark": "minilm_residual_cv", "seed": seed, "train": len(y), "max_tokens": cap,
            "encoding": encoding, "results": results, "seconds": round(time.perf_counter() - t0, 1)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = _common.parser(__doc__, "bench/results/minilm_residual_cv.json")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--sizes", type=int, nargs="+", default=[4000, 8000, 12000, 16000, 0], help="0: all")
    p.add_argument("--oof", help="a .npz that keeps (or gives) the wide tower's out-of-fold logits")
    args = p.parse_args(argv)
    result = run(args.seed, args.sizes, args.oof)
    _common.write_json(args.out, result)
    return result


if __name__ == "__main__":
    main()
