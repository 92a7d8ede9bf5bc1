"""Helpers shared by the benchmark scripts: arguments, timing, machine facts, JSON output.

Import it after setting the environment (``TF_CPP_MIN_LOG_LEVEL``); it imports no ML library itself.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent


def parser(doc: str | None, default_out: str) -> argparse.ArgumentParser:
    """An argument parser with the options every benchmark takes: ``--small`` and ``--out``."""
    p = argparse.ArgumentParser(description=(doc or "").strip().splitlines()[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--small", action="store_true", help="tiny sizes: a smoke test that runs in seconds")
    p.add_argument("--out", default=default_out, help=f"JSON file for the results (default {default_out})")
    return p


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (or the platform's processor string)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    """Facts about the machine and the library versions, for the JSON and BENCHMARKS.md."""
    info: dict[str, Any] = {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    for name in ("keras", "tensorflow", "torch", "numpy", "sklearn"):
        mod = sys.modules.get(name)
        if mod is not None:
            info[name] = getattr(mod, "__version__", "?")
    if "tensorflow" in sys.modules:
        tf = sys.modules["tensorflow"]
        gpus = tf.config.list_physical_devices("GPU")
        info["device"] = f"GPU x{len(gpus)}" if gpus else "CPU"
    return info


def timed(fn: Callable[[], Any], repeats: int, warmup: int = 1) -> list[float]:
    """Call ``fn`` ``warmup`` times untimed, then ``repeats`` times; returns the seconds of each timed call."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def stats(times: Sequence[float]) -> dict[str, float]:
    """Median, min, max and relative spread ((p90 - p10) / median) of some timings, in seconds."""
    xs = sorted(times)
    med = statistics.median(xs)
    lo, hi = xs[int(0.1 * (len(xs) - 1))], xs[int(round(0.9 * (len(xs) - 1)))]
    return {"median_s": med, "min_s": xs[0], "max_s": xs[-1], "spread": (hi - lo) / med if med else 0.0,
            "n": len(xs)}


def percentile(xs: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``xs``, by nearest rank."""
    s = sorted(xs)
    k = max(0, min(len(s) - 1, int(round(q / 100 * (len(s) - 1)))))
    return s[k]


def ratio(a: float, b: float) -> float:
    """``a / b`` rounded to 3 places (``inf`` when ``b`` is 0)."""
    return round(a / b, 3) if b else float("inf")


def write_json(path: str | Path, result: dict[str, Any]) -> None:
    """Write ``result`` (with machine facts added) to ``path`` and say where."""
    result.setdefault("machine", machine())
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.name}.tmp")  # temp file then rename: a killed run never leaves half a JSON
    tmp.write_text(json.dumps(result, indent=1, default=_jsonable) + "\n")
    os.replace(tmp, p)
    print(f"wrote {p}")


def report(result: dict[str, Any], out: str | Path, unit: str = "x") -> dict[str, Any]:
    """Print every ratio of ``result``, write it as JSON to ``out``, and return it."""
    for k, v in result["ratios"].items():
        print(f"{k}: {v}{unit}")
    write_json(out, result)
    return result


def _jsonable(x: Any) -> Any:
    if hasattr(x, "item"):
        return x.item()
    if hasattr(x, "tolist"):
        return x.tolist()
    return str(x)


def table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    """A plain fixed-width text table."""
    cells = [[str(h) for h in header]] + [[_fmt(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _fmt(c: Any) -> str:
    if isinstance(c, float):
        return f"{c:.4g}"
    return str(c)
