"""A blend of the flagship's towers learned on held-out logits (issue 11, lever 3), scored by k-fold
cross-validation of the training split, never on the test split.

For each of k folds of one split's training texts (by seed), ``kernest.text.train`` fits the flagship with the
defaults of ``kernest train`` (stage 1, stage 2 with early stopping on the split's validation texts) on the other
k - 1 folds; the held fold's and the validation split's deep and wide logits (the two terms the head adds,
``kernest.text._blend.tower_logits``) are kept. Scored on the held folds (macro-F1 of all training texts, each
predicted by the model that did not see it, and per fold):

- ``reference``: the model as ``train`` leaves it (``softmax(deep + wide)``); ``wide_alone``: the wide term only;
- ``<kind>_oof``: the blend (``temperature``, ``scales``, ``full``; ``kernest.text._blend.fit_blend``, no bias)
  fitted on the other folds' held-out logits (each from another fold model), applied to the held fold;
- ``<kind>_val``: the blend fitted on the same fold model's validation logits (what ``train`` can do at no cost
  of training), applied to the held fold;
- ``<kind>_bias_oof`` / ``<kind>_bias_val``: the same with a bias per class;
- ``deep_x<s>``: the deep term times a fixed ``s`` (for the record: not fitted).

The logits are written beside the result (``.npz``) as each fold ends; ``--reuse FILE`` scores a saved file again.

    python bench/blend_cv.py [--small] [--seed 0] [--folds 3] [--corpus bundled] [--reuse NPZ]
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import itertools  # noqa: E402
import json  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import _common  # noqa: E402
import _flagship  # noqa: E402
import accuracy  # noqa: E402
import numpy as np  # noqa: E402

import kernest.text as kt  # noqa: E402
from kernest._files import atomic_path  # noqa: E402
from kernest.text._blend import BLENDS, blended, fit_blend, predict_terms  # noqa: E402
from kernest.text._metrics import macro_f1  # noqa: E402
from kernest.text._wide import fold_indices  # noqa: E402

DEEP_SCALES = (0.25, 0.5, 0.75)


def fold_logits(seed: int, folds: int, corpus: str, small: bool, npz: Path) -> dict[str, Any]:
    """Train one flagship per fold; save and return the held folds' and the validation split's tower logits."""
    splits = accuracy.splits_for(corpus, seed, 1500 if small else None)
    index = {c: i for i, c in enumerate(splits.classes)}  # the encoder's class ids (the sorted classes)
    y, y_val = (np.asarray([index[c] for c in d.labels]) for d in (splits.train, splits.val))
    saved: dict[str, Any] = {"y": y, "y_val": y_val}
    facts = []
    for f, held in enumerate(fold_indices(y, folds, seed)):
        rest = np.setdiff1d(np.arange(len(y)), held)
        part = kt.Splits(splits.train.subset(rest), splits.val, splits.train.subset(held), splits.classes, seed)
        t0 = time.perf_counter()
        result = kt.train(part, out=Path(tempfile.mkdtemp(prefix="kernest_blend_cv_")) / "run", seed=seed,
                          verbose=0, tensorboard=False, config=_flagship.SMALL_CONFIG if small else None,
                          **({"epochs": 2} if small else {}))
        enc, model = result.encoder, result.model
        saved[f"held_{f}"] = held
        for name, data in (("held", part.test), ("val", splits.val)):
            deep, wide = predict_terms(model, enc.dataset(data.texts, None, 256))
            saved[f"{name}_deep_{f}"], saved[f"{name}_wide_{f}"] = deep, wide
        facts.append({"fold": f, "seconds": round(time.perf_counter() - t0, 1),
                      "val_macro_f1": result.metrics["val_macro_f1"], "best_epoch": result.metrics["best_epoch"],
                      "wide_val_macro_f1": result.metrics.get("wide_fit", {}).get("val_macro_f1")})
        print(json.dumps(facts[-1]), flush=True)
        with atomic_path(npz, suffix=".npz") as tmp:
            np.savez(tmp, **saved)
    return {"facts": facts, **saved}


def score(saved: dict[str, Any]) -> dict[str, Any]:
    """Macro-F1 of the held folds for the reference, the wide term alone and each blend (see the docstring)."""
    y, y_val = saved["y"], saved["y_val"]
    k = int(max(y.max(), y_val.max())) + 1
    folds = sorted(int(name.split("_")[1]) for name in saved if name.startswith("held_") and name[5:].isdigit())
    held = {f: saved[f"held_{f}"] for f in folds}
    terms = {f: (saved[f"held_deep_{f}"], saved[f"held_wide_{f}"]) for f in folds}
    preds: dict[str, dict[int, np.ndarray]] = {"reference": {}, "wide_alone": {}}
    blends: dict[str, list[Any]] = {}
    for f in folds:
        deep, wide = terms[f]
        preds["reference"][f] = np.argmax(deep + wide, 1)
        preds["wide_alone"][f] = np.argmax(wide, 1)
        others = [g for g in folds if g != f]
        for kind, bias in itertools.product(BLENDS, (False, True)):
            name = f"{kind}_bias" if bias else kind
            if others:
                blend = fit_blend(np.concatenate([terms[g][0] for g in others]),
                                  np.concatenate([terms[g][1] for g in others]),
                                  np.concatenate([y[held[g]] for g in others]), kind, bias=bias)
                preds.setdefault(f"{name}_oof", {})[f] = np.argmax(blended(deep, wide, blend), 1)
                blends.setdefault(f"{name}_oof", []).append([x.round(3).tolist() for x in blend])
            blend = fit_blend(saved[f"val_deep_{f}"], saved[f"val_wide_{f}"], y_val, kind, bias=bias)
            preds.setdefault(f"{name}_val", {})[f] = np.argmax(blended(deep, wide, blend), 1)
            blends.setdefault(f"{name}_val", []).append([x.round(3).tolist() for x in blend])
        for scale in DEEP_SCALES:  # the deep term alone rescaled, for the record (chosen on nothing)
            preds.setdefault(f"deep_x{scale}", {})[f] = np.argmax(scale * deep + wide, 1)
    idx = np.concatenate([held[f] for f in folds])
    res = {}
    for name, by_fold in preds.items():
        pred = np.concatenate([by_fold[f] for f in folds])
        res[name] = {"cv_macro_f1": macro_f1(y[idx], pred, k),
                     "fold_macro_f1": [macro_f1(y[held[f]], by_fold[f], k) for f in folds],
                     "accuracy": float(np.mean(y[idx] == pred))}
        if name in blends:
            res[name]["blends"] = blends[name]
        res[name]["gain_points"] = round(100 * (res[name]["cv_macro_f1"] - res.get("reference", res[name])
                                                ["cv_macro_f1"]), 2)
        print(name, {key: v for key, v in res[name].items() if key != "blends"}, flush=True)
    return res


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = _common.parser(__doc__, "bench/results/blend_cv.json")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--folds", type=int, default=3)
    p.add_argument("--corpus", choices=accuracy.CORPORA, default="bundled")
    p.add_argument("--reuse", help="score the logits saved in this .npz instead of training")
    args = p.parse_args(argv)
    if args.reuse:
        saved: dict[str, Any] = dict(np.load(args.reuse))
        facts = None
    else:
        npz = Path(args.out).with_suffix(".npz")
        npz.parent.mkdir(parents=True, exist_ok=True)
        saved = fold_logits(args.seed, args.folds, args.corpus, args.small, npz)
        facts = saved.pop("facts")
    res = {"benchmark": "blend_cv", "small": args.small, "seed": args.seed, "corpus": args.corpus,
           "folds": args.folds, "baseline": "reference (the model as train leaves it)", "fold_runs": facts,
           "settings": score(saved)}
    res["ratios"] = {f"cv_macro_f1_{n}_reference": _common.ratio(v["cv_macro_f1"],
                                                                 res["settings"]["reference"]["cv_macro_f1"])
                     for n, v in res["settings"].items() if n != "reference"}
    return _common.report(res, args.out)


if __name__ == "__main__":
    main()
