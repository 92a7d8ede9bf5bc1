"""``kernest.check`` on a large nested *description* vs Keras building the same model.

The description: 10 stages -> 10 groups each -> 10 blocks each = 1,000 blocks, every block a Sequential of
2 Dense layers (2,000 Dense layers). Every other group is wrapped in ``kernest.over(1, ...)`` (the words axis), so the
nesting is stage / over / group / block / Dense: depth 5 (4 where there is no over). Input
``(batch, words, features)``.

Compared, each in a fresh subprocess so peak RSS belongs to one measurement:

- ``check``: ``kernest.check(stages, input=...)``, shapes only (``compute_output_shape``); nothing is built.
- ``build`` (the baseline): Keras builds the same description at the same width: it calls every stage on a
  symbolic input (what ``kernest.nest`` or ``keras.Sequential`` does), allocating every weight.
- ``check_huge``: ``kernest.check`` on the same description with Dense widths so large that its weights
  would total >= 10 billion parameters (>= 40 GB of float32); it must allocate none.
- ``check_huge_numpy``: the same on Keras' numpy backend, whose import is lightest (absolute peak RSS).

Peak RSS is ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` in the child: absolute, and the delta over the
baseline taken after the imports and the layer objects exist. The goal (< 300 MB) applies to the delta;
the absolute figure is dominated by importing Keras and its backend.

    python bench/check_scale.py [--small] [--out FILE]
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402

import _common  # noqa: E402

FULL = {"stages": 10, "groups": 10, "blocks": 10, "layers": 2, "words": 8, "width": 64, "huge_width": 4096}
SMALL = {"stages": 2, "groups": 2, "blocks": 3, "layers": 2, "words": 4, "width": 16, "huge_width": 4096}


MODES = ("check", "build", "check_huge", "check_huge_numpy")


def description(size: dict[str, int], width: int) -> list[Any]:
    """The nested stages (no weights yet) and nothing else: 1,000 blocks at full size."""
    import keras

    import kernest

    stages = []
    for s in range(size["stages"]):
        groups = []
        for g in range(size["groups"]):
            blocks = [
                keras.Sequential([keras.layers.Dense(width, activation="relu", name=f"s{s}_g{g}_b{b}_dense{i}")
                                  for i in range(size["layers"])], name=f"s{s}_g{g}_b{b}")
                for b in range(size["blocks"])
            ]
            group: Any = keras.Sequential(blocks, name=f"s{s}_g{g}")
            if g % 2 == 1:
                # By position: inside an unbuilt Sequential, Keras builds the group on a fresh keras.Input
                # that has no axis names, so over("words", ...) cannot resolve there (check can).
                group = kernest.over(1, group, name=f"s{s}_g{g}_per_word")
            groups.append(group)
        stages.append(keras.Sequential(groups, name=f"stage{s}"))
    return stages


def would_be_params(size: dict[str, int], width: int) -> int:
    """Parameters the description's Dense layers would hold: the input has ``width`` features too."""
    n_dense = size["stages"] * size["groups"] * size["blocks"] * size["layers"]
    return n_dense * (width * width + width)


def _rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def child(mode: str, size: dict[str, int]) -> dict[str, Any]:
    """One measurement, in this (fresh) process: ``check``, ``check_huge`` or ``build``."""
    import time

    import keras

    import kernest

    width = size["huge_width"] if mode.startswith("check_huge") else size["width"]
    rss_imports = _rss_mb()
    t0 = time.perf_counter()
    stages = description(size, width)
    describe_s = time.perf_counter() - t0
    x = kernest.Input((size["words"], width), axes=("words", "features"), name="x")
    rss_before = _rss_mb()
    t0 = time.perf_counter()
    if mode == "build":
        y = x
        for stage in stages:
            y = stage(y)
        model = keras.Model(x, y, name="built")
        interfaces = None
    else:
        model = None
        report = kernest.check(stages, input=x)
        interfaces = len(report.interfaces)
    seconds = time.perf_counter() - t0
    rss_after = _rss_mb()
    variables = sum(len(s.weights) for s in stages)
    params = sum(_size(v.shape) for s in stages for v in s.weights)
    return {"mode": mode, "backend": keras.backend.backend(), "width": width, "seconds": seconds, "describe_seconds": describe_s,
            "rss_after_imports_mb": rss_imports, "rss_before_mb": rss_before, "peak_rss_mb": rss_after,
            "peak_rss_delta_mb": rss_after - rss_before, "variables": variables, "allocated_params": params,
            "would_be_params": would_be_params(size, width), "interfaces": interfaces,
            "built_layers": sum(1 for s in stages for layer in s._flatten_layers() if layer.built),
            "model_params": model.count_params() if model is not None else None}


def _size(shape: Any) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


def in_subprocess(mode: str, small: bool) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", mode] + (["--small"] if small else [])
    env = dict(os.environ)
    if mode == "check_huge_numpy":
        env["KERAS_BACKEND"] = "numpy"  # the lightest backend: shows the absolute peak RSS of a check
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{mode} child failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def run(small: bool, repeats: int) -> dict[str, Any]:
    size = SMALL if small else FULL
    runs: dict[str, list[dict[str, Any]]] = {m: [] for m in MODES}
    for _ in range(repeats):  # alternate, so load from other processes hits all alike
        for mode in runs:
            runs[mode].append(in_subprocess(mode, small))
    results = {m: _best(rs) for m, rs in runs.items()}
    c, b, h = results["check"], results["build"], results["check_huge"]
    blocks = size["stages"] * size["groups"] * size["blocks"]
    ratios = {
        "time_build_check": _common.ratio(b["seconds"], c["seconds"]),
        "peak_rss_delta_build_check": _common.ratio(b["peak_rss_delta_mb"], max(c["peak_rss_delta_mb"], 0.1)),
    }
    goal_met = h["seconds"] < 1.0 and c["seconds"] < 1.0 and max(c["peak_rss_delta_mb"],
                                                                  h["peak_rss_delta_mb"]) < 300
    no_weights = all(results[m]["variables"] == 0 and results[m]["allocated_params"] == 0
                     for m in ("check", "check_huge", "check_huge_numpy"))
    return {"benchmark": "check_scale", "small": small, "sizes": size, "blocks": blocks, "depth": 5,
            "baseline": "build", "repeats": repeats, "results": results, "ratios": ratios,
            "all_runs": runs,
            "goal": {"text": "check < 1 s and peak RSS delta < 300 MB; check_huge allocates no weights",
                     "met": bool(goal_met and no_weights)}}


def _best(rs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median time (its RSS figures come with it)."""
    ordered = sorted(rs, key=lambda r: r["seconds"])
    return ordered[len(ordered) // 2]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = _common.parser(__doc__, "bench/results/check_scale.json")
    p.add_argument("--repeats", type=int, default=None, help="subprocesses per mode (default 3, 1 with --small)")
    p.add_argument("--child", choices=MODES, help=argparse_hidden())
    args = p.parse_args(argv)
    size = SMALL if args.small else FULL
    if args.child:
        print(json.dumps(child(args.child, size)))
        return {}
    res = run(args.small, args.repeats or (1 if args.small else 3))
    rows = [(m, r["backend"], r["width"], r["seconds"], r["peak_rss_mb"], r["peak_rss_delta_mb"], r["variables"],
             f"{r['would_be_params']:.3g}", r["interfaces"] or "-") for m, r in res["results"].items()]
    print(f"{res['blocks']} blocks, depth {res['depth']}")
    print(_common.table(rows, ["mode", "backend", "width", "seconds", "peak RSS MB", "delta MB", "variables",
                               "params of the description", "interfaces"]))
    for k, v in res["ratios"].items():
        print(f"{k}: {v}x")
    _common.write_json(args.out, res)
    return res


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    main()
