"""Shared test set-up. Models for fixtures are built in tests/models.py."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
# JAX compiles every fit/predict step with XLA; the tests' models are tiny, so XLA's optimisation passes cost far
# more than they save (CPU time of tests/test_freeze.py + test_extract.py on JAX: 104 s -> 62 s). The step is still
# traced and compiled, so tracer errors are raised as users see them. Subprocesses inherit the flag.
if "xla_backend_optimization_level" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_backend_optimization_level=0").strip()

import keras  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_keras_state():
    """Each test starts with fresh layer names and a fixed seed, so paths and numbers are repeatable. No full
    garbage collection per test (Python's own collections still run): with the suite's models alive, each one
    took about a second, half of the TensorFlow run's time. Tests that reset names mid-test do the same."""
    keras.backend.clear_session(free_memory=False)
    keras.utils.set_random_seed(0)
    yield


def pytest_collection_modifyitems(config, items):
    """Under xdist (`make test` runs `-n 2 --dist loadgroup`), the tests marked ``slow`` are handed out first.

    xdist gives each worker the next test in collection order as it frees up, so a minute-long test collected
    near the end keeps one worker busy while the other has nothing left to do. Handed out first, the long tests
    are spread over both workers and the short ones fill in behind them. The order is otherwise kept, and a run
    without xdist (``-n 0``, one file) keeps the collection order.
    """
    if hasattr(config, "workerinput"):  # set in xdist's workers only, which all collect alike
        items.sort(key=lambda item: item.get_closest_marker("slow") is None)
