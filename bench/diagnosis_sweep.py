"""Diagnosis quality on the layer-error sweep (tests/sweep/), kernest against Keras.

    python bench/diagnosis_sweep.py [--small] [--sweep 3] [--out bench/results/diagnosis_sweep.json]
    KERAS_BACKEND=jax python bench/diagnosis_sweep.py

Each case is one small nested model that fails inside one Keras layer (convolutions, pooling, padding, RNNs,
attention, normalization, reshaping, merging, preprocessing, and data given to fit/predict); about a third are
channels-first, of unusual rank or of odd size. Its expected diagnosis (path, interface, remedy) was written in
tests/sweep/cases.json before kernest ran on it. Scored as bench/diagnosis.py scores the corpus: *named* (the path
and the interface are printed), *fix right* (one alternative of every remedy entry is printed; there is no fixed
script to run), *traceback-free* (exit code 1, one message, no traceback). Keras' own message is the baseline.
Sweep 1 (s01-s40) fails inside a layer; sweep 2 (s41-s64) fails at the model API around nested models (compile, fit,
evaluate, predict, calling the model, save, load_model); sweep 3 (s65-) fails in the user's own custom layers and
subclassed models inside nested models, or (``kind: silent``) trains wrongly without an error and is scored on
``kernest check --strict`` flagging it with the path and a fix; the totals are also reported per sweep.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import warnings  # noqa: E402
from typing import Any  # noqa: E402

import _common  # noqa: E402
import keras  # noqa: E402

from tests.sweep.runner import KEYS, cases, run_keras, run_kernest  # noqa: E402


def main() -> None:
    p = _common.parser(__doc__, "bench/results/diagnosis_sweep.json")
    p.add_argument("--sweep", type=int, default=None, help="score only this sweep's cases (1, 2 or 3)")
    args = p.parse_args()
    backend = keras.backend.backend()
    chosen = [c for c in cases() if c.runs_on(backend) and args.sweep in (None, c.sweep)]
    if args.small:
        chosen = chosen[:4]
    warnings.simplefilter("ignore")
    totals = {who: dict.fromkeys(KEYS, 0) for who in ("kernest", "keras")}
    per_sweep = {s: dict.fromkeys(KEYS, 0) | {"cases": 0} for s in sorted({c.sweep for c in chosen})}
    rows: list[list[Any]] = []
    per_case: dict[str, Any] = {}
    for case in chosen:
        k, b = run_kernest(case)[0], run_keras(case)[0]
        per_case[case.id] = {"sweep": case.sweep, "family": case.meta["family"], "kernest": k, "keras": b}
        per_sweep[case.sweep]["cases"] += 1
        for key in KEYS:
            per_sweep[case.sweep][key] += int(k[key])
        for key in KEYS:
            totals["kernest"][key] += int(k[key])
            totals["keras"][key] += int(b[key])
        rows.append([case.id, *("yes" if k[x] else "-" for x in KEYS), *("yes" if b[x] else "-" for x in KEYS)])
        print(rows[-1], flush=True)
    n = len(chosen)
    print(_common.table(rows, ["case", "k named", "k fix", "k clean", "keras named", "keras fix", "keras clean"]))
    result = {
        "benchmark": "diagnosis_sweep",
        "small": args.small,
        "backend": backend,
        "cases": n,
        "kernest": totals["kernest"],
        "keras": totals["keras"],
        "kernest_per_sweep": {str(s): v for s, v in per_sweep.items()},
        "ratios": {f"kernest_{k}_share": round(v / n, 3) if n else 0.0 for k, v in totals["kernest"].items()},
        "per_case": per_case,
    }
    print(f"kernest on {n} sweep cases ({backend}): {totals['kernest']}; Keras's own message: {totals['keras']}")
    for s, v in per_sweep.items():
        print(f"  sweep {s}: {v}")
    _common.report(result, args.out, unit="")


if __name__ == "__main__":
    main()
