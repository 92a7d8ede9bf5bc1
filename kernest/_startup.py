"""What the ``kernest`` command does before Keras is imported (``kernest/__init__`` runs this first).

Running ``kernest ...`` or ``python -m kernest ...`` imports this package, and so Keras and TensorFlow,
before ``kernest.cli.main`` runs. TensorFlow writes start-up lines from C++ straight to stderr while it is
imported (``oneDNN custom operations are on``, ``All log messages before absl::InitializeLog()``), and
``TF_CPP_MIN_LOG_LEVEL`` silences only some of them. So, for the command only, ``TF_CPP_MIN_LOG_LEVEL`` is set
to 3 unless the user set it, and while Keras is imported the lines of TensorFlow's logger below that level are
dropped from stderr (an info line below 1, a warning below 2, an error below 3; anything else written then is
passed on). A user who sets the level to 0 sees every line. ``--backend`` is read here too, so Keras starts on
the backend asked for. Importing kernest as a library changes nothing.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

BACKENDS = ("tensorflow", "jax", "torch")
# TensorFlow's C++ log format (``I0000 00:00:1796288144.669271    8991 port.cc:153] ...``) and its two
# free-standing lines
_TF_LINE = re.compile(r"^[IWEF]\d{4} [\d:.]+\s+\d+ \S+:\d+\] |^WARNING: All log messages before absl::"
                      r"InitializeLog\(\) is called|^To enable the following instructions: ")


def launched_as_cli(orig_argv: list[str] | None = None, argv0: str | None = None) -> bool:
    """Whether this process is the ``kernest`` command (the console script, ``python -m kernest``, or a
    kernest module run with ``-m``)."""
    orig = list(getattr(sys, "orig_argv", []) if orig_argv is None else orig_argv)
    first = (sys.argv[0] if sys.argv else "") if argv0 is None else argv0
    if os.path.basename(first) in ("kernest", "kernest.exe", "kernest-script.py"):
        return True
    i = 1
    while i < len(orig):
        arg = orig[i]
        if arg.startswith("-m"):
            module = arg[2:] or (orig[i + 1] if i + 1 < len(orig) else "")
            return module == "kernest" or module.startswith("kernest.")  # python -m kernest.text.demo too
        if arg == "-c" or not arg.startswith("-"):
            return False
        i += 2 if arg in ("-X", "-W") else 1  # options that take a value
    return False


_SEVERITY = {"I": 0, "W": 1, "E": 2, "F": 3}


def is_tensorflow_log_line(line: str) -> bool:
    return bool(_TF_LINE.match(line))


def _severity(line: str) -> int:
    """A TensorFlow log line's level (``I0000 ...`` 0, ``W...`` 1, ...); its free-standing lines are info."""
    return _SEVERITY.get(line[:1], 0) if line[1:2].isdigit() else 0


def _log_level() -> int:
    try:
        return int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3"))
    except ValueError:
        return 3


@contextmanager
def tensorflow_lines_dropped() -> Iterator[None]:
    """Hold back what is written to stderr (file descriptor 2, where C++ writes) inside the block, then pass
    on every line that is not TensorFlow's log; all of it if the block raises."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real stderr to hold back
        yield
        return
    held = tempfile.TemporaryFile()
    failed = True
    try:
        os.dup2(held.fileno(), 2)
        yield
        failed = False
    finally:
        try:
            sys.stderr.flush()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        held.seek(0)
        text = held.read().decode("utf-8", errors="replace")
        held.close()
        level = _log_level()
        kept = text if failed else "".join(ln for ln in text.splitlines(keepends=True)
                                           if not (is_tensorflow_log_line(ln) and _severity(ln) < level))
        if kept:
            sys.stderr.write(kept)
            sys.stderr.flush()


def _backend_from(argv: list[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg == "--backend" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--backend="):
            return arg.split("=", 1)[1]
    return None


_quiet = False  # set by prepare(): this is the command, and the user did not ask for every log line


def quietly() -> Any:
    """``tensorflow_lines_dropped()`` for the command (a module that may import TensorFlow late, on another
    backend); a no-op context otherwise."""
    return tensorflow_lines_dropped() if _quiet else nullcontext()


def prepare() -> None:
    """For the ``kernest`` command only: pick the backend and import Keras with TensorFlow's start-up lines
    below ``TF_CPP_MIN_LOG_LEVEL`` (3 unless the user set it) silenced."""
    if not launched_as_cli() or "keras" in sys.modules:
        return
    backend = _backend_from(sys.argv[1:])
    if backend in BACKENDS:
        os.environ["KERAS_BACKEND"] = backend  # an unknown one is reported by the CLI's parser
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if _log_level() <= 0:
        return
    global _quiet
    _quiet = True
    with tensorflow_lines_dropped():
        import keras  # noqa: F401 - imports the backend now, while its start-up lines are held back


prepare()
