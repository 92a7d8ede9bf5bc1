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


# Module-scoped fixtures that build each model once per module (tests/test_real_world*.py): ``build(case)``,
# ``built(spec)``.
MODEL_CACHES = {"build", "built"}


def model_group(item: pytest.Item) -> str | None:
    """The xdist group of a test that takes a module's model cache and a model parameter (``case`` or
    ``spec``): its module and model, so each model is built in one worker, not once in each."""
    callspec = getattr(item, "callspec", None)
    if callspec is None or not MODEL_CACHES & set(item.fixturenames):
        return None
    model = callspec.params.get("case", callspec.params.get("spec"))
    build = getattr(model, "build", None)
    return None if build is None else f"{item.module.__name__}.{build.__name__}"


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups into the test ids
def pytest_collection_modifyitems(config, items):
    """Under xdist (`make test` runs `-n 2 --dist loadgroup`), the tests marked ``slow`` are handed out first,
    and the tests of one model of a module's model cache go to one worker (``model_group``).

    xdist gives each worker the next test in collection order as it frees up, so a minute-long test collected
    near the end keeps one worker busy while the other has nothing left to do. Handed out first, the long tests
    are spread over both workers and the short ones fill in behind them. The order is otherwise kept, and a run
    without xdist (``-n 0``, one file) keeps the collection order.
    """
    if hasattr(config, "workerinput"):  # set in xdist's workers only, which all collect alike
        for item in items:
            group = model_group(item)
            if group is not None:
                item.add_marker(pytest.mark.xdist_group(group))
        items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_configure(config):
    """Stop a ``--dist loadgroup`` run under a pytest and pytest-xdist that ignore the groups.

    xdist passes a test's ``xdist_group`` to its scheduler as a suffix of the test id; from pytest 9.2 that suffix
    is lost (pytest-dev/pytest-xdist#1386, open for xdist 3.8.0), the groups are ignored without a word, and each
    worker trains the shared runs and builds the shared models again. pyproject.toml keeps pytest below 9.2.
    """
    if config.getoption("dist", "no") != "loadgroup" or hasattr(config, "workerinput"):
        return
    from importlib.metadata import version

    def release(name: str) -> tuple[int, ...]:
        return tuple(int(p) for p in version(name).split(".")[:2] if p.isdigit())

    if release("pytest") >= (9, 2) and release("pytest-xdist") <= (3, 8):
        raise pytest.UsageError(
            f"--dist loadgroup would ignore every xdist_group under pytest {version('pytest')} with pytest-xdist "
            f"{version('pytest-xdist')} (pytest-dev/pytest-xdist#1386): the tests that share a trained run or a "
            "built model would redo it in each worker. Install the pytest that pyproject.toml names "
            "(`make install`), or run without --dist loadgroup.")
