"""Stage-2 levers of the flagship, scored on the validation split only (issue 11, fourth pass).

One ``kernest.text.train`` run per invocation (the defaults of ``kernest train`` plus ``--config``), on one split
(``--corpus``, ``--seed``) as ``bench/accuracy.py`` builds it. Recorded: the wide tower alone (stage 1) on
validation, each stage-2 epoch's validation macro-F1, the epoch ``train`` keeps, and the weight averages of the
stage-2 epochs (SWA: the mean of the weights saved at the end of epochs i..n, for every i), each scored on
validation. The test split is scored too, for the record only: nothing is chosen on it.
E.g. ``--config '{"train_wide_scale": false}'`` keeps the head's ``wide_logits`` layer (the identity) frozen in
stage 2, ``--config '{"sample_weight": "confidence"}'`` weighs the training texts by the corpus' confidence.

    python bench/stage2_levers.py [--small] [--seed 0] [--corpus bundled] [--config JSON]
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

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
from kernest.text import _train  # noqa: E402
from kernest.text._metrics import macro_f1  # noqa: E402


def run(seed: int, corpus: str, config: dict[str, Any], small: bool) -> dict[str, Any]:
    snapshots: list[list[np.ndarray]] = []
    keep_epoch = _train.RunCheckpoint.on_epoch_end

    def on_epoch_end(self: Any, epoch: int, logs: dict[str, Any] | None = None) -> None:
        keep_epoch(self, epoch, logs)
        snapshots.append([w.copy() for w in self.saved.get_weights()])

    _train.RunCheckpoint.on_epoch_end = on_epoch_end  # type: ignore[method-assign]
    try:
        splits = accuracy.splits_for(corpus, seed, 600 if small else None)
        cfg = {**(_flagship.SMALL_CONFIG if small else {}), **config}
        t0 = time.perf_counter()
        result = kt.train(splits, out=Path(tempfile.mkdtemp(prefix="kernest_bench_s2_")) / "run", seed=seed,
                          verbose=0, tensorboard=False, config=cfg or None, **({"epochs": 2} if small else {}))
        seconds = time.perf_counter() - t0
    finally:
        _train.RunCheckpoint.on_epoch_end = keep_epoch  # type: ignore[method-assign]
    model, enc, k = result.model, result.encoder, len(result.encoder.classes)

    def scores() -> dict[str, float]:
        return {part: macro_f1(enc.label_ids(data.labels),
                               np.argmax(model.predict(enc.dataset(data.texts, None, 256), verbose=0), -1), k)
                for part, data in (("val", splits.val), ("test", splits.test))}

    swa = {}
    for first in range(len(snapshots)):
        model.set_weights([np.mean([s[i] for s in snapshots[first:]], axis=0).astype(w.dtype)
                           for i, w in enumerate(snapshots[0])])
        swa[f"epochs_{first + 1}-{len(snapshots)}"] = scores()
    wide_val = result.metrics.get("wide_fit", {}).get("val_macro_f1")
    res = {"benchmark": "stage2_levers", "small": small, "seed": seed, "corpus": corpus, "config": config,
"baseline": "wide tower alone (stage 1), validation",
           "seconds": round(seconds, 1), "wide_val_macro_f1": wide_val,
           "epochs_val_macro_f1": result.history.get("val_macro_f1", []),
           "kept": {"val": result.metrics["val_macro_f1"], "epoch": result.metrics["best_epoch"],
                    "test": result.metrics["macro_f1"]},
           "swa": swa}
    res["ratios"] = {"kept_val_over_wide": _common.ratio(res["kept"]["val"], wide_val) if wide_val else None}
    print(json.dumps({k: v for k, v in res.items() if k != "benchmark"}), flush=True)
    return res


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = _common.parser(__doc__, "bench/results/stage2_levers.json")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--corpus", choices=accuracy.CORPORA, default="bundled")
    p.add_argument("--config", type=json.loads, default={}, help="ModelConfig overrides as JSON")
    args = p.parse_args(argv)
    return _common.report(run(args.seed, args.corpus, args.config, args.small), args.out)


if __name__ == "__main__":
    main()
