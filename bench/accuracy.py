"""Quality of the flagship vs TF-IDF + logistic regression on the bundled corpus, over several seeds.

For each seed, ``kernest.text.train`` (the flagship, as ``kernest train`` runs it: early stopping on
validation macro-F1, best weights kept) and ``kernest.text.baseline`` (TF-IDF word 1-2-grams + char 2-5-grams,
balanced logistic regression) are fitted on the same split and scored on the same test split. Reported:
macro-F1 and accuracy, mean +- std over seeds, and the flagship's lead in macro-F1 points. Goal: the
flagship >= 2 points macro-F1 above the baseline.

Slow: the flagship trains minutes per seed on a CPU.

    python bench/accuracy.py [--small] [--seeds 0 1 2] [--epochs 8] [--out FILE]
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import _common  # noqa: E402
import _flagship  # noqa: E402

import kernest.text as kt  # noqa: E402

SMALL = {"limit": 600, "epochs": 1, "seeds": [0]}
FULL = {"limit": None, "epochs": 8, "seeds": [0, 1, 2]}


def one_seed(seed: int, epochs: int, limit: int | None, small: bool, where: Path) -> dict[str, Any]:
    t0 = time.perf_counter()
    result = kt.train(out=where / f"seed{seed}", epochs=epochs, seed=seed, limit=limit, verbose=0,
                      tensorboard=False, config=_flagship.SMALL_CONFIG if small else None)
    flagship_s = time.perf_counter() - t0
    base = kt.baseline(result.splits, seed=seed)
    keep = ("macro_f1", "accuracy")
    return {"seed": seed,
            "flagship": {**{k: result.metrics[k] for k in keep}, "seconds": flagship_s,
                         "epochs_run": result.metrics.get("epochs_run")},
            "baseline": {**{k: base[k] for k in keep}, "seconds": base.get("train_seconds")},
            "test_texts": len(result.splits.test)}


def mean_std(xs: list[float]) -> dict[str, float]:
    return {"mean": statistics.fmean(xs), "std": statistics.stdev(xs) if len(xs) > 1 else 0.0}


def run(small: bool, seeds: list[int] | None, epochs: int | None) -> dict[str, Any]:
    size = dict(SMALL if small else FULL)
    size["seeds"] = seeds or size["seeds"]
    size["epochs"] = epochs or size["epochs"]
    where = Path(tempfile.mkdtemp(prefix="kernest_bench_acc_"))
    per_seed = []
    for seed in size["seeds"]:
        per_seed.append(one_seed(seed, size["epochs"], size["limit"], small, where))
        s = per_seed[-1]
        print(f"seed {seed}: flagship macro-F1 {s['flagship']['macro_f1']:.4f} acc {s['flagship']['accuracy']:.4f}"
              f" | baseline macro-F1 {s['baseline']['macro_f1']:.4f} acc {s['baseline']['accuracy']:.4f}",
              flush=True)
    summary = {model: {metric: mean_std([s[model][metric] for s in per_seed]) for metric in ("macro_f1", "accuracy")}
               for model in ("flagship", "baseline")}
    lead = [100 * (s["flagship"]["macro_f1"] - s["baseline"]["macro_f1"]) for s in per_seed]
    ratios = {
        "macro_f1_flagship_baseline": _common.ratio(summary["flagship"]["macro_f1"]["mean"],
                                                    summary["baseline"]["macro_f1"]["mean"]),
        "accuracy_flagship_baseline": _common.ratio(summary["flagship"]["accuracy"]["mean"],
                                                    summary["baseline"]["accuracy"]["mean"]),
        "macro_f1_lead_points": round(statistics.fmean(lead), 2),
    }
    return {"benchmark": "accuracy", "small": small, "sizes": size, "baseline": "tfidf_logreg",
            "per_seed": per_seed, "summary": summary, "lead_points_per_seed": lead, "ratios": ratios,
            "goal": {"text": "flagship macro-F1 >= baseline + 2 points (mean over seeds)",
                     "met": ratios["macro_f1_lead_points"] >= 2.0}}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = _common.parser(__doc__, "bench/results/accuracy.json")
    p.add_argument("--seeds", type=int, nargs="+", help="split/weight seeds (default 0 1 2)")
    p.add_argument("--epochs", type=int, help="most epochs per flagship run (default 8)")
    args = p.parse_args(argv)
    res = run(args.small, args.seeds, args.epochs)
    rows = [(model, f"{m['macro_f1']['mean']:.4f} +- {m['macro_f1']['std']:.4f}",
             f"{m['accuracy']['mean']:.4f} +- {m['accuracy']['std']:.4f}") for model, m in res["summary"].items()]
    print(_common.table(rows, ["model", "macro-F1", "accuracy"]))
    return _common.report(res, args.out, unit="")


if __name__ == "__main__":
    main()
