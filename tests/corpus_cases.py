"""The diagnosis corpus (tests/corpus/*/case.json): loading, and running kernest check on a case."""

from __future__ import annotations

import io
import json
import re
import runpy
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parent / "corpus"


@dataclass(frozen=True)
class Case:
    folder: Path
    meta: dict[str, Any]

    @property
    def id(self) -> str:
        return self.folder.name

    @property
    def broken(self) -> Path:
        return self.folder / "broken.py"

    @property
    def fixed(self) -> Path:
        return self.folder / "fixed.py"

    @property
    def silent(self) -> bool:
        return self.meta.get("kind") == "silent"


def cases() -> list[Case]:
    found = []
    for meta_file in sorted(CORPUS.glob("*/case.json")):
        meta = json.loads(meta_file.read_text())
        if (meta_file.parent / "broken.py").is_file() and (meta_file.parent / "fixed.py").is_file():
            found.append(Case(meta_file.parent, meta))
    return found


def squash(text: str) -> str:
    """Text without whitespace, for comparing code fragments."""
    return re.sub(r"\s+", "", text)


def applies(remedy: str, script: str) -> bool:
    """Whether ``script`` contains the remedy, allowing extra keyword arguments: the remedy
    ``Reshape((7, 7, 8))`` is applied by ``Reshape((7, 7, 8), name="unflatten")``."""
    fragment, text = squash(remedy), squash(script)
    return fragment in text or (fragment.endswith(")") and fragment[:-1] + "," in text)


def kernest_check(script: Path, strict: bool = False) -> tuple[int, str]:
    """Run ``kernest check`` in this process; (exit code, everything it printed)."""
    from kernest.cli import main

    out, err = io.StringIO(), io.StringIO()
    args = ["check", *(["--strict"] if strict else []), str(script)]
    with redirect_stdout(out), redirect_stderr(err):
        code = main(args)
    return code, out.getvalue() + err.getvalue()


SCRIPT_HEADER = ("import os\nimport tempfile\nimport numpy as np\nimport tensorflow as tf\nimport keras\n"
                 "from keras import layers as L\n")


def check_script(tmp_path: Path, body: str, strict: bool = False) -> tuple[int, str]:
    """A user's script on disk (the usual imports, then ``body``), checked the way ``kernest check [--strict]
    script.py`` does, with Keras' layer names reset first and the float32 policy restored after."""
    import keras

    keras.backend.clear_session(free_memory=False)
    path = tmp_path / "user_script.py"
    path.write_text(SCRIPT_HEADER + body)
    try:
        return kernest_check(path, strict=strict)
    finally:
        keras.mixed_precision.set_global_policy("float32")


def run_script(script: Path) -> dict[str, Any]:
    """Run a case's script as the user would (``python script.py``), in this process."""
    return runpy.run_path(str(script), run_name="__main__")


def keras_message(script: Path) -> str:
    """What Keras itself says when the broken script runs: the exception text, '' if nothing raised."""
    try:
        run_script(script)
    except Exception as exc:  # the raw failure is what is measured
        return f"{type(exc).__name__}: {exc}"
    return ""
