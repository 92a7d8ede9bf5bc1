"""Atomic file writes: a temporary file in the target's folder, then ``os.replace``.

A crash mid-write leaves the old file (or none), never half a file. Every file kernest writes goes
through here: models, plots, run directories.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

from kernest._errors import KernestError


def _temp_file(folder: Path, prefix: str, suffix: str) -> str:
    """Create an empty file with a fresh name in ``folder``, with the permissions a plain ``open()`` gives.

    ``mkstemp`` would make a 0600 file; ``os.open`` with mode 0666 lets the process umask decide, as
    ``open()`` does, without reading (and so briefly changing) the umask.
    """
    for _ in range(100):
        name = os.path.join(folder, f"{prefix}{secrets.token_hex(6)}{suffix}")
        try:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return name
    raise FileExistsError(f"no free temporary name in {folder}")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str = "", parents: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success move it onto ``path``, on failure delete it.

    Args:
        path: the final path.
        suffix: suffix for the temporary name (some writers pick the format from it, e.g. ``.png``).
        parents: create missing folders; otherwise a missing folder is an error.

    Yields:
        The temporary path to write.

    Raises:
        KernestError: the folder cannot be created or written.
    """
    final = Path(path)
    try:
        if parents:
            final.parent.mkdir(parents=True, exist_ok=True)
        tmp = _temp_file(final.parent, f".{final.name}.", suffix or final.suffix)
    except OSError as err:
        raise KernestError(
            f"Cannot write {str(final)!r}: {err.strerror or err} (folder {str(final.parent)!r}). Choose a folder "
            "that exists and that you can write to."
        ) from None
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, final)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text_atomic(path: str | os.PathLike[str], text: str, parents: bool = True) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path, parents=parents) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_atomic(
    path: str | os.PathLike[str], writer: Callable[[Path], object], suffix: str = "", parents: bool = True
) -> None:
    """Call ``writer(tmp_path)`` and move the result onto ``path`` atomically."""
    with atomic_path(path, suffix, parents) as tmp:
        writer(tmp)
