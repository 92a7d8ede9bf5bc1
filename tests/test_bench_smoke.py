"""Smoke tests of the benchmark scripts: each runs with ``--small`` and writes its JSON with the expected keys.

No timing is asserted here (that is what the benchmarks report); only that they run and report.
Each script runs in its own subprocess, as ``python bench/<name>.py --small --out FILE``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
COMMON = {"benchmark", "small", "ratios", "goal", "machine"}

CASES = [
    ("diagnosis", {"cases", "kernest", "keras", "per_case"}, {"kernest_named_share", "kernest_fix_right_share"}),
    ("over_vs_timedistributed", {"results", "headline"},
     {"train_step_timedistributed_over_batch_4", "forward_timedistributed_over_batch_4"}),
    ("check_scale", {"results", "blocks"}, {"time_build_check", "peak_rss_delta_build_check"}),
    ("predict_latency", {"single", "batch"}, {"p50_model_predict_predictor", "batch_predictor_model_predict"}),
    ("train_throughput", {"results", "preprocess", "device"},
     {"kernest_over_keras", "kernest_over_naive", "kernest_over_torch_best"}),
    ("accuracy", {"summary", "per_seed"}, {"macro_f1_flagship_baseline", "macro_f1_lead_points"}),
]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "keys", "ratio_keys"), CASES, ids=[c[0] for c in CASES])
def test_benchmark_runs_small(name: str, keys: set[str], ratio_keys: set[str], tmp_path: Path) -> None:
    out = tmp_path / f"{name}.json"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow"}
    done = subprocess.run([sys.executable, str(BENCH / f"{name}.py"), "--small", "--out", str(out)],
                          capture_output=True, text=True, env=env, timeout=400, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["benchmark"] == name
    assert result["small"] is True
    assert COMMON | keys <= set(result), sorted(COMMON | keys - set(result))
    assert ratio_keys <= set(result["ratios"]), sorted(ratio_keys - set(result["ratios"]))
    assert all(isinstance(v, (int, float)) for v in result["ratios"].values())
    assert isinstance(result["goal"]["met"], bool)


def test_run_all_lists_every_script() -> None:
    sys.path.insert(0, str(BENCH))
    try:
        import run_all
    finally:
        sys.path.remove(str(BENCH))
    assert set(run_all.SCRIPTS) == {c[0] for c in CASES}
    assert all((BENCH / f"{name}.py").is_file() for name in run_all.SCRIPTS)
