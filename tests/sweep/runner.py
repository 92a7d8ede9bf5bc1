"""The layer-error sweep (tests/sweep/): one small nested model per Keras layer error, and how to score it.

``cases.json`` lists, for each script ``tests/sweep/<id>.py``, the diagnosis written down before kernest ran:
the nested ``path``, the ``interface`` and the ``remedy`` fragments a correct fix must contain, computed from
the script's own sizes. A remedy entry ``"a|b"`` accepts any one alternative (``Dense(16)|Dense(24)``: either
side of a merge may be adapted). Unlike the corpus, a case has no fixed script: *fix right* means the printed
fix names a correct remedy. ``tests/test_sweep.py`` and ``bench/diagnosis_sweep.py`` both score through here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras

from tests.corpus_cases import keras_message, kernest_check, squash

SWEEP = Path(__file__).resolve().parent
KEYS = ("named", "fix_right", "traceback_free")


@dataclass(frozen=True)
class SweepCase:
    meta: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.meta["id"])

    @property
    def broken(self) -> Path:
        return SWEEP / f"{self.id}.py"

    @property
    def sweep(self) -> int:
        """1: a layer refuses a shape (s01-s40); 2: the model API around nested models (s41-s64);
        3: custom layers and subclassed models inside nested models (s65-)."""
        return int(self.meta.get("sweep", 1))

    @property
    def silent(self) -> bool:
        """The script builds and trains without an error; ``kernest check --strict`` must flag it."""
        return self.meta.get("kind") == "silent"

    def runs_on(self, backend: str) -> bool:
        return backend in self.meta.get("backends", ["tensorflow"])


def cases() -> list[SweepCase]:
    return [SweepCase(meta) for meta in json.loads((SWEEP / "cases.json").read_text())["cases"]]


def says_remedy(remedy: str, printed: str) -> bool:
    """Whether ``printed`` contains one of the alternatives of a remedy entry (``a|b``)."""
    return any(squash(alt) in squash(printed) for alt in remedy.split("|"))


def score_text(case: SweepCase, printed: str) -> dict[str, bool]:
    """named / fix right from what was printed (kernest's report, or Keras' own message)."""
    named = bool(printed) and case.meta["path"] in printed and case.meta["interface"] in printed
    said = bool(printed) and all(says_remedy(r, printed) for r in case.meta["remedy"])
    return {"named": named, "fix_right": said}


def run_kernest(case: SweepCase) -> tuple[dict[str, bool], str]:
    """``kernest check`` on the case's script: its score and what it printed."""
    keras.backend.clear_session(free_memory=False)
    try:
        code, printed = kernest_check(case.broken, strict=case.silent)
    except Exception as exc:  # kernest itself crashed: the user would see a traceback
        code, printed = 1, f"Traceback (kernest crashed): {type(exc).__name__}: {exc}"
    clean = code == 1 and "Traceback" not in printed and "Fix the error in that code" not in printed
    return {**score_text(case, printed), "traceback_free": clean}, printed


def run_keras(case: SweepCase) -> tuple[dict[str, bool], str]:
    """Keras' own message for the same script, scored the same way (a traceback, so never traceback-free)."""
    keras.backend.clear_session(free_memory=False)
    message = keras_message(case.broken)
    return {**score_text(case, message), "traceback_free": False}, message
