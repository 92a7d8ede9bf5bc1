"""Every bad input in tests/bad_inputs/cases.json fails cleanly.

For each case: the CLI exits 2 (the API raises the named ``KernestError`` subclass), the message matches the
case's pattern (it names the problem), stderr holds no Python traceback, and no partial output is left
behind (the ``--out`` folder is absent or empty). Small inputs are committed under ``tests/bad_inputs/files``;
binary, big and run-directory ones are made by ``tests/bad_inputs/generate.py`` into a temporary folder.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

import kernest
from kernest.cli import main

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent / "bad_inputs"
CASES: list[dict[str, Any]] = json.loads((HERE / "cases.json").read_text())



def _api(name: str) -> Any:
    from kernest.text._data import load_data
    from kernest.text._encode import TextEncoder
    from kernest.text._model import ModelConfig
    from kernest.text._train import train

    return {"load_data": load_data, "config_from_file": ModelConfig.from_file, "kernest_load": kernest.load,
            "encoder_load": TextEncoder.load, "train": train}[name]


@pytest.fixture(scope="module")
def places(tmp_path_factory) -> dict[str, str]:
    from kernest.text._train import train
    from tests.bad_inputs.generate import generate
    from tests.tiny_text import TINY_CONFIG, write_csv

    base = tmp_path_factory.mktemp("bad_inputs")
    good_csv = write_csv(base / "good.csv", n=60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train(good_csv, out=base / "good_run", epochs=1, batch_size=16, config=TINY_CONFIG, verbose=0,
              tensorboard=False)
    gen = generate(base / "gen", base / "good_run")
    return {"files": str(HERE / "files"), "gen": str(gen), "good_csv": str(good_csv)}


def _fill(value: Any, where: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**where)
    if isinstance(value, list):
        return [_fill(v, where) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, where) for k, v in value.items()}
    return value


def _params() -> list[Any]:
    return [pytest.param(c, id=c["id"]) for c in CASES]


def test_the_corpus_is_big_enough():
    assert len(CASES) >= 50 and len({c["id"] for c in CASES}) == len(CASES)


# The cases share one xdist worker, so CI trains the module's run (``places``) once, not once in each worker.
@pytest.mark.xdist_group("bad_inputs_places")
@pytest.mark.parametrize("case", _params())
def test_bad_input_fails_cleanly(case, places, tmp_path, capsys, monkeypatch):
    where = {**places, "tmp": str(tmp_path)}
    case = _fill(case, where)
    monkeypatch.chdir(tmp_path)
    if "cli" in case and case.get("subprocess"):
        run = subprocess.run([sys.executable, "-m", "kernest", *case["cli"]], capture_output=True, text=True,
                             cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"},
                             timeout=400)  # for a hung process: a loaded machine's TensorFlow start-up takes minutes
        code, err = run.returncode, run.stderr
    elif "cli" in case:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                code = main(case["cli"])
            except SystemExit as exit_:  # argparse rejects arguments by exiting
                code = exit_.code
        err = capsys.readouterr().err
    else:
        error = getattr(kernest, case["error"], None)
        if error is None:
            from kernest.text import _run

            error = getattr(_run, case["error"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(error) as info:
                _api(case["api"])(*case["args"], **case.get("kwargs", {}))
        code, err = 2, str(info.value)
    assert code == 2, f"exit code {code}; stderr:\n{err[-2000:]}"
    assert re.search(case["match"], err, re.S), f"message does not match {case['match']!r}:\n{err[-2000:]}"
    assert "Traceback" not in err
    if "out" in case:
        out = Path(case["out"])
        assert not out.exists() or not any(out.iterdir()), f"partial output left in {out}: {sorted(out.iterdir())}"
