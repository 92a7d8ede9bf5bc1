"""Every kernest feature on every model of tests/models_5.py, on the current Keras backend, as
bench/real_world_4.py does for the fourth batch, plus ``explain``: the model's own deliberate interface
break (``Spec5.breaks``) run inside ``kernest.trace()``; ok where ``kernest.explain`` gives an
``InterfaceError`` naming what the spec says it must (a real path, key or layer of that model).

    KERAS_BACKEND=jax PYTHONPATH=$PWD python bench/real_world_5.py [--json OUT]
    python bench/real_world_5.py --table BEFORE_TF,BEFORE_JAX,BEFORE_TORCH AFTER_TF,AFTER_JAX,AFTER_TORCH
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import sys
import tempfile
import traceback
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402
import numpy as np  # noqa: E402
from real_world_4 import close, short  # noqa: E402

import kernest  # noqa: E402
from kernest.cli import main as cli  # noqa: E402
from tests.models_5 import SPECS, Spec5, outputs_of  # noqa: E402

FEATURES = ["summary", "plot", "check", "paths", "extract", "freeze", "replace", "save", "explain", "cli_file",
            "cli_script"]
MODULE = "tests.models_5"


def run_feature(spec: Spec5, feature: str, tmp: str) -> str:
    model = spec.build()
    x, y = spec.data()
    unsafe = ["--unsafe"] if spec.unsafe else []
    if feature == "summary":
        total = sum(int(np.prod(w.shape)) for w in model.weights)  # count_params() needs a built model
        every = kernest.summary(model, depth=9)
        ok = kernest.summary(model).total_params == total and str(every) and sum(r.own_params for r in every.rows) == total
        return "ok" if ok else "wrong"
    if feature == "plot":
        return "ok" if os.path.getsize(kernest.plot(model, os.path.join(tmp, "m.svg"))) > 500 else "wrong"
    if feature == "check":
        return "ok" if str(kernest.check(model)) else "wrong"
    if feature == "paths":
        ps = kernest.paths(model)
        ok = all(kernest.get(model, p) is not None for p in ps) and all(p in ps for p in spec.expect_paths)
        return "ok" if ok else "wrong"
    if feature == "extract":
        return "ok" if keras.tree.flatten(kernest.extract(model, spec.inner_path(model))(x)) else "wrong"
    if feature == "freeze":
        changed = kernest.freeze(model, spec.glob)
        frozen = [w for p in changed for w in kernest.get(model, p).weights if "moving" not in w.path]
        outputs_of(model, x)  # a call may set weights itself (PixelCNN masks its kernel): that is not training
        kept = [np.array(w) for w in frozen]
        spec.compile(model)
        spec.fit(model, x, y)
        same = all(np.array_equal(np.array(w), k) for w, k in zip(frozen, kept, strict=True))
        return "ok" if changed and frozen and same else "wrong"
    if feature == "replace":
        swapped = kernest.replace(model, spec.submodel, spec.copy(kernest.get(model, spec.submodel)))
        return "ok" if close(outputs_of(model, x), outputs_of(swapped, x)) else "wrong"
    if feature == "save":
        loaded = kernest.load(kernest.save(model, os.path.join(tmp, "m.keras")), safe_mode=not spec.unsafe)
        return "ok" if close(outputs_of(model, x), outputs_of(loaded, x)) and not kernest.diff(model, loaded) else "wrong"
    if feature == "explain":
        try:
            with kernest.trace():
                spec.breaks(model, x)
        except Exception as exc:  # noqa: BLE001 - what Keras raised for the break
            err = kernest.explain(exc, model)
            if not isinstance(err, kernest.InterfaceError):
                return f"wrong: not explained: {type(exc).__name__}: {str(exc)[:200]}"
            return "ok" if re.search(spec.explains, str(err)) else f"wrong: {str(err)[:300]}"
        return "wrong: the break raised nothing"
    if feature == "cli_file":
        path = kernest.save(model, os.path.join(tmp, "c.keras"))
        codes = [cli(["summary", path, "--import", MODULE, *unsafe]), cli(["check", path, "--import", MODULE, *unsafe])]
        return "ok" if codes == [0, 0] else f"wrong (exit {codes})"
    if feature == "cli_script":
        script = os.path.join(tmp, "s.py")
        with open(script, "w") as f:
            f.write(f"from {MODULE} import {spec.build.__name__}\nmodel = {spec.build.__name__}()\n")
        codes = [cli(["summary", script]), cli(["check", script])]
        return "ok" if codes == [0, 0] else f"wrong (exit {codes})"
    raise ValueError(feature)


def table(before: list[str], after: list[str]) -> str:
    """A markdown table from per-backend JSON files (tensorflow, jax, torch order): ``before -> after`` per
    model and feature; one word where every backend agrees, else ``tf/jax/torch``."""
    runs = [[json.load(open(p))["table"] for p in paths] for paths in (before, after)]

    def cell(model: str, feature: str) -> str:
        words = [{short(t[model][feature]) for t in r} for r in runs]
        text = [w.pop() if len(w) == 1 else "/".join(short(t[model][feature]) for t in r) for w, r in zip(words, runs)]
        return text[1] if text[0] == text[1] else f"{text[0]} → **{text[1]}**"

    models = list(runs[1][0])
    lines = ["| model | " + " | ".join(FEATURES) + " |", "| --- |" + " --- |" * len(FEATURES)]
    lines += [f"| {m} | " + " | ".join(cell(m, f) for f in FEATURES) + " |" for m in models]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--table", nargs=2, metavar=("BEFORE", "AFTER"),
                        help="comma-separated JSON files (tensorflow,jax,torch) of two runs: print the markdown table")
    parser.add_argument("--json")
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--features", nargs="*", default=FEATURES)
    parser.add_argument("-v", action="store_true")
    args = parser.parse_args()
    if args.table:
        print(table(*(paths.split(",") for paths in args.table)))
        return
    found: dict[str, dict[str, str]] = {}
    for spec in SPECS:
        name = spec.build.__name__
        if args.only and name not in args.only:
            continue
        found[name] = {}
        for feature in args.features:
            keras.backend.clear_session()
            keras.utils.set_random_seed(0)
            with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = io.StringIO()
                try:
                    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                        status = run_feature(spec, feature, tmp)
                except kernest.KernestError as exc:
                    status = "refused" if feature in spec.refuses else "crash"
                    status = f"{status}: {type(exc).__name__}: {str(exc)[:300]}"
                except Exception as exc:  # noqa: BLE001 - the sweep records every failure
                    status = f"crash: {type(exc).__name__}: {str(exc)[:300]}"
                    if args.v:
                        traceback.print_exc()
                if status.startswith("wrong") and args.v:
                    print(out.getvalue()[-2000:], file=sys.stderr)
            found[name][feature] = status
            print(f"{name:22s} {feature:10s} {status}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"backend": keras.backend.backend(), "table": found}, f, indent=1)


if __name__ == "__main__":
    main()
