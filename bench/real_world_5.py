"""Every kernest feature on every model of tests/models_5.py, on the current Keras backend, as
bench/real_world_4.py does for the fourth batch, plus ``explain``: the model's own deliberate interface
break (``Spec5.breaks``) run inside ``kernest.trace()``; ok where ``kernest.explain`` gives an
``InterfaceError`` naming what the spec says it must (a real path, key or layer of that model).

    KERAS_BACKEND=jax PYTHONPATH=$PWD python bench/real_world_5.py [--json OUT]
    python bench/real_world_5.py --table BEFORE_TF,BEFORE_JAX,BEFORE_TORCH AFTER_TF,AFTER_JAX,AFTER_TORCH
"""

from __future__ import annotations

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import real_world_4  # noqa: E402
from real_world_4 import close  # noqa: E402

import kernest  # noqa: E402
from kernest.cli import main as cli  # noqa: E402
from tests.models_5 import SPECS, Spec5, outputs_of  # noqa: E402

FEATURES = ["summary", "plot", "check", "paths", "extract", "freeze", "replace", "save", "explain", "cli_file",
            "cli_script"]


def run_feature(spec: Spec5, feature: str, tmp: str) -> str:
    """One feature on one spec's model (the sixth batch's script runs it on its own specs too)."""
    module = spec.build.__module__  # the CLI imports the builder's module, for its registered classes
    model = spec.build()
    x, y = spec.data()
    unsafe = ["--unsafe"] if spec.unsafe else []
    if feature == "summary":
        total = sum(int(np.prod(w.shape)) for w in model.weights)  # count_params() needs a built model
        every = kernest.summary(model, depth=9)
        own = sum(r.own_params for r in every.rows) + every.own_params  # the model's own weights (a class token)
        ok = kernest.summary(model).total_params == total and str(every) and own == total
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
        codes = [cli(["summary", path, "--import", module, *unsafe]), cli(["check", path, "--import", module, *unsafe])]
        return "ok" if codes == [0, 0] else f"wrong (exit {codes})"
    if feature == "cli_script":
        script = os.path.join(tmp, "s.py")
        with open(script, "w") as f:
            f.write(f"from {module} import {spec.build.__name__}\nmodel = {spec.build.__name__}()\n")
        codes = [cli(["summary", script]), cli(["check", script])]
        return "ok" if codes == [0, 0] else f"wrong (exit {codes})"
    raise ValueError(feature)


if __name__ == "__main__":
    real_world_4.main(SPECS, run_feature, FEATURES)
