"""Run every benchmark, one subprocess each, and print the headline ratios.

    python bench/run_all.py --small          # reduced sizes, a few minutes (``make bench``)
    python bench/run_all.py                  # full sizes (the accuracy benchmark alone takes ~30 min)
    python bench/run_all.py --only check_scale over_vs_timedistributed

Each script writes its JSON to ``--out-dir`` (default ``bench/results``, ``bench/results/small`` with
``--small``); a combined ``all.json`` lands beside them. The exit status is 1 when a script failed (a
missed performance goal is reported, not a failure).
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import _common  # noqa: E402

# Cheapest first, so a smoke run fails fast.
SCRIPTS = ("diagnosis", "check_scale", "over_vs_timedistributed", "predict_latency", "train_throughput", "accuracy")


def run_one(name: str, small: bool, out_dir: Path) -> dict[str, Any]:
    out = out_dir / f"{name}.json"
    cmd = [sys.executable, str(_common.BENCH_DIR / f"{name}.py"), "--out", str(out)] + (["--small"] if small else [])
    print(f"\n=== {name}: {' '.join(cmd[1:])}", flush=True)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, check=False)
    seconds = round(time.perf_counter() - t0, 1)
    if done.returncode != 0 or not out.exists():
        print(f"=== {name} FAILED (exit {done.returncode}) after {seconds} s", flush=True)
        return {"ok": False, "seconds": seconds}
    result = json.loads(out.read_text())
    return {"ok": True, "seconds": seconds, "ratios": result.get("ratios", {}), "goal": result.get("goal", {})}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Run every kernest benchmark.")
    p.add_argument("--small", action="store_true", help="reduced sizes (a smoke run of a few minutes)")
    p.add_argument("--out-dir", default=None, help="folder for the JSON results")
    p.add_argument("--only", nargs="+", choices=SCRIPTS, help="run only these benchmarks")
    args = p.parse_args(argv)
    out_dir = Path(args.out_dir or ("bench/results/small" if args.small else "bench/results"))
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = {name: run_one(name, args.small, out_dir) for name in (args.only or SCRIPTS)}
    print("\n=== summary" + (" (--small: sizes too small for the figures to mean much)" if args.small else ""))
    for name, s in summary.items():
        status = "ok" if s["ok"] else "FAILED"
        goal = s.get("goal", {})
        met = "" if "met" not in goal else (" goal met" if goal["met"] else " goal MISSED")
        print(f"{name}: {status} in {s['seconds']} s{met}")
        for k, v in s.get("ratios", {}).items():
            print(f"    {k}: {v}")
    _common.write_json(out_dir / "all.json", {"small": args.small, "benchmarks": summary})
    return 0 if all(s["ok"] for s in summary.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
