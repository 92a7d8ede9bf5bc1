"""Small training sets: ``kernest train``'s fitted schedule against a fixed one, chosen on validation only.

A sample of ``--texts`` texts from the bundled corpus' training split (by seed) trains the flagship twice:
with the schedule ``kernest train`` fits to the data (``epochs``/``batch_size`` left to it) and with a fixed
``--epochs`` of ``--batch-size``. Both are scored on the corpus' whole validation split (3,718 texts), which
a small data set's own validation split is too small to do; no test split is read. Ratio: fitted / fixed
validation macro-F1.

    python bench/small_schedule.py [--small] [--seeds 0 1] [--texts 541] [--epochs 8] [--batch-size 128]
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import json  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import _common  # noqa: E402
import numpy as np  # noqa: E402

import kernest.text as kt  # noqa: E402


def one(splits: kt.Splits, seed: int, where: Path, epochs: int | None, batch_size: int | None,
        config: dict[str, Any] | None) -> dict[str, Any]:
    r = kt.train(splits, out=where, epochs=epochs, batch_size=batch_size, seed=seed, verbose=0,
                 tensorboard=False, config=config)
    saved = json.loads((Path(r.run) / "config.json").read_text())  # the schedule the run was given
    return {"val_macro_f1": r.metrics["val_macro_f1"], "epochs_run": r.metrics["epochs_run"],
            "best_epoch": r.metrics["best_epoch"], "batch_size": saved["batch_size"], "epochs": saved["epochs"]}


def run(seeds: list[int], texts: int, epochs: int, batch_size: int, small: bool) -> dict[str, Any]:
    config = {"char_dim": 8, "filters": 8, "word_units": 8, "wide_buckets": 4096, "wide_dim": 8} if small else None
    corpus = kt.load_data(None)
    if small:
        corpus = kt.take_sample(corpus, 1500, seed=0)
    per_seed = []
    with tempfile.TemporaryDirectory(prefix="kernest_bench_small_") as tmp:
        for seed in seeds:
            whole = kt.split(corpus, seed=seed)
            pick = np.random.default_rng(seed).permutation(len(whole.train))[:texts]
            splits = kt.Splits(train=whole.train.subset(pick), val=whole.val, test=whole.val,
                               classes=whole.classes, seed=seed)
            fitted = one(splits, seed, Path(tmp) / f"fitted-{seed}", None, None, config)
            fixed = one(splits, seed, Path(tmp) / f"fixed-{seed}", epochs, batch_size, config)
            per_seed.append({"seed": seed, "fitted": fitted, "fixed": fixed})
            print(f"seed {seed}: fitted {fitted} | fixed {fixed}", flush=True)
    mean = {k: float(np.mean([s[k]["val_macro_f1"] for s in per_seed])) for k in ("fitted", "fixed")}
    return {"benchmark": "small_schedule", "small": small, "baseline": "fixed",
            "sizes": {"texts": texts, "fixed_epochs": epochs, "fixed_batch_size": batch_size, "seeds": seeds},
            "per_seed": per_seed, "mean_val_macro_f1": mean,
            "ratios": {"val_macro_f1_fitted_fixed": _common.ratio(mean["fitted"], mean["fixed"])}}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = _common.parser(__doc__, "bench/results/small_schedule.json")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--texts", type=int, default=541, help="training texts (default 541, the drug reviews' count)")
    p.add_argument("--epochs", type=int, default=8, help="the fixed schedule's epochs (default 8)")
    p.add_argument("--batch-size", type=int, default=128, help="the fixed schedule's batch size (default 128)")
    args = p.parse_args(argv)
    if args.small:
        args.seeds, args.texts, args.epochs = [0], 120, 1
    res = run(args.seeds, args.texts, args.epochs, args.batch_size, args.small)
    return _common.report(res, args.out)


if __name__ == "__main__":
    main()
