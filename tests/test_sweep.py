"""The layer-error sweep (tests/sweep/): for a nested model failing inside each kind of Keras layer, kernest
names the nested path and the interface with no traceback, and prints a correct remedy computed from the
model's own sizes. The expectations in tests/sweep/cases.json were written before kernest ran on them.
"""

from __future__ import annotations

import keras
import pytest

from tests.sweep.runner import cases, run_kernest

pytestmark = pytest.mark.core
CASES = cases()
# Remedies kernest does not compute yet, and cases whose path or interface it names wrong (BENCHMARKS.md section 6,
# "Layer-error sweep"). A known miss that is fixed fails its test, so the lists stay true.
FIX_WRONG: set[str] = set()
NAME_WRONG: set[str] = set()


def test_the_sweep_is_large_and_spread():
    assert len(CASES) >= 30
    assert len({c.meta["family"] for c in CASES}) >= 12
    scripts = [c.broken.read_text() for c in CASES]
    assert all(c.broken.is_file() for c in CASES)
    assert sum("channels_first" in s for s in scripts) >= 8  # nothing tuned on one layout
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_sweep_case_is_named_and_fixed(case):
    if not case.runs_on(keras.backend.backend()):
        pytest.skip(f"{case.id} does not fail on {keras.backend.backend()}")
    score, printed = run_kernest(case)
    assert score["traceback_free"], printed
    assert score["named"] == (case.id not in NAME_WRONG), printed  # a known miss that is fixed must leave the list
    assert score["fix_right"] == (case.id not in FIX_WRONG), f"remedy {case.meta['remedy']}: {printed}"
