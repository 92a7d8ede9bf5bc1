"""Every kernest feature on every model of tests/models_4.py, on the current Keras backend: a table of
model x feature -> ok / wrong (ran, gave a wrong answer) / crash (raised something other than a clear
KernestError) / refused (a KernestError that says what to do, where the model really does not allow it).

    KERAS_BACKEND=jax PYTHONPATH=$PWD python bench/real_world_4.py [--json OUT]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import traceback
import warnings
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

import kernest
from kernest.cli import main as cli
from tests import models_4 as m4
from tests.models_4 import SPECS, Spec, outputs_of

FEATURES = ["summary", "plot", "check", "paths", "extract", "freeze", "replace", "save", "cli_file", "cli_script"]


def close(a, b) -> bool:
    a, b = (keras.tree.flatten(keras.tree.map_structure(keras.ops.convert_to_numpy, v)) for v in (a, b))
    return len(a) == len(b) and all(np.allclose(x, y, rtol=1e-4, atol=1e-5) for x, y in zip(a, b, strict=True))


def run_feature(spec: Spec, feature: str, tmp: str) -> str:
    model = spec.build()
    x, y = spec.data()
    if feature == "summary":
        s = kernest.summary(model)
        every = kernest.summary(model, depth=9)
        total = sum(int(np.prod(w.shape)) for w in model.weights)  # count_params() needs a built model
        ok = s.total_params == total and str(s) and sum(r.own_params for r in every.rows) == total
        return "ok" if ok else "wrong"
    if feature == "plot":
        path = kernest.plot(model, os.path.join(tmp, "m.svg"))
        return "ok" if os.path.getsize(path) > 500 else "wrong"
    if feature == "check":
        return "ok" if str(kernest.check(model)) else "wrong"
    if feature == "paths":
        ps = kernest.paths(model)
        ok = all(kernest.get(model, p) is not None for p in ps) and all(p in ps for p in spec.expect_paths)
        return "ok" if ok else "wrong"
    if feature == "extract":
        value = kernest.extract(model, spec.inner_path(model))(x)
        return "ok" if keras.tree.flatten(value) else "wrong"
    if feature == "freeze":
        changed = kernest.freeze(model, spec.glob)
        frozen = [w for p in changed for w in kernest.get(model, p).weights if "moving" not in w.path]
        kept = [np.array(w) for w in frozen]
        spec.compile(model)
        spec.fit(model, x, y)
        same = all(np.array_equal(np.array(w), k) for w, k in zip(frozen, kept, strict=True))
        return "ok" if changed and frozen and same else "wrong"
    if feature == "replace":
        old = kernest.get(model, spec.submodel)
        new = spec.copy(old)
        swapped = kernest.replace(model, spec.submodel, new)
        return "ok" if close(outputs_of(model, x), outputs_of(swapped, x)) else "wrong"
    if feature == "save":
        path = kernest.save(model, os.path.join(tmp, "m.keras"))
        loaded = kernest.load(path, safe_mode=not spec.unsafe)
        return "ok" if close(outputs_of(model, x), outputs_of(loaded, x)) and not kernest.diff(model, loaded) else "wrong"
    if feature == "cli_file":
        path = kernest.save(model, os.path.join(tmp, "c.keras"))
        extra = ["--import", "tests.models_4"] + (["--unsafe"] if spec.unsafe else [])
        codes = [cli(["summary", path, *extra]), cli(["check", path, "--import", "tests.models_4"] + (["--unsafe"] if spec.unsafe else []))]
        return "ok" if codes == [0, 0] else f"wrong (exit {codes})"
    if feature == "cli_script":
        script = os.path.join(tmp, "s.py")
        with open(script, "w") as f:
            f.write(f"from tests.models_4 import {spec.build.__name__}\nmodel = {spec.build.__name__}()\n")
        codes = [cli(["summary", script]), cli(["check", script])]
        return "ok" if codes == [0, 0] else f"wrong (exit {codes})"
    raise ValueError(feature)


def short(status: str) -> str:
    """One word: a KernestError counts as a refusal (it says what to do, rightly or not)."""
    return "refused" if status.startswith("crash: KernestError") else status.split(":")[0].split(" ")[0]


def table(before: list[str], after: list[str], features: list[str] = FEATURES) -> str:
    """A markdown table from per-backend JSON files (tensorflow, jax, torch order): ``before -> after`` per
    model and feature; one word where every backend agrees, else ``tf/jax/torch``."""
    runs = [[json.load(open(p))["table"] for p in paths] for paths in (before, after)]

    def cell(model: str, feature: str) -> str:
        words = [{short(t[model][feature]) for t in r} for r in runs]
        text = [w.pop() if len(w) == 1 else "/".join(short(t[model][feature]) for t in r) for w, r in zip(words, runs)]
        return text[1] if text[0] == text[1] else f"{text[0]} → **{text[1]}**"

    models = list(runs[1][0])
    lines = ["| model | " + " | ".join(features) + " |", "| --- |" + " --- |" * len(features)]
    lines += [f"| {m} | " + " | ".join(cell(m, f) for f in features) + " |" for m in models]
    return "\n".join(lines)


def main(specs: Any = SPECS, run: Callable[[Any, str, str], str] = run_feature, features: list[str] = FEATURES) -> None:
    """The sweep's command line: every feature of every spec (``run(spec, feature, tmp)`` scores one), or
    ``--table`` of two runs. The fifth batch's script calls it with its own specs and features."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--table", nargs=2, metavar=("BEFORE", "AFTER"),
                        help="comma-separated JSON files (tensorflow,jax,torch) of two runs: print the markdown table")
    parser.add_argument("--json")
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--features", nargs="*", default=features)
    parser.add_argument("-v", action="store_true")
    args = parser.parse_args()
    if args.table:
        print(table(*(paths.split(",") for paths in args.table), features=features))
        return
    found: dict[str, dict[str, str]] = {}
    for spec in specs:
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
                        status = run(spec, feature, tmp)
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
            print(f"{name:24s} {feature:10s} {status}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"backend": keras.backend.backend(), "table": found}, f, indent=1)


if __name__ == "__main__":
    assert m4
    main()
