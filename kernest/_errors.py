"""The one exception family of kernest.

Every error kernest raises is a ``KernestError``. Subclasses exist only where callers branch on them:
``InterfaceError`` (a shape contract between two parts of a model is broken), ``PathError`` (no such
path in a nested model), ``DataError`` (a data file or text input is unusable) and ``UnsafeModelError``
(a model file would run arbitrary code when loaded).
"""

from __future__ import annotations

from dataclasses import dataclass


class KernestError(Exception):
    """Base class of all kernest errors. Its message is one paragraph: what is wrong and how to fix it."""


class KernestWarning(UserWarning):
    """Warnings kernest emits (a glob that matched nothing, a compiled model changed, ...)."""


@dataclass(frozen=True)
class Mismatch:
    """One broken interface.

    Attributes:
        path: nested path of the consumer that rejects its input, ``/`` separated (``word_lstm/lstm``).
        interface: ``"producer -> consumer"``, e.g. ``"char_cnn -> word_lstm"``.
        expected: what the consumer expects, with axis names where known, e.g. ``(batch, steps, features)``.
        received: what the producer gives, e.g. ``(batch, 1568)``.
        fix: one sentence that says what to change.
    """

    path: str
    interface: str
    expected: str
    received: str
    fix: str

    def __str__(self) -> str:
        return (
            f"{self.path}: {self.interface}: expected {self.expected}, received {self.received}. "
            f"Fix: {self.fix}"
        )


class InterfaceError(KernestError):
    """One or more interfaces of a nested model do not fit.

    ``.mismatches`` lists every mismatch, first one first; ``.path``, ``.interface``, ``.expected``,
    ``.received`` and ``.fix`` are those of the first.
    """

    def __init__(self, mismatches: list[Mismatch], context: str = "") -> None:
        if not mismatches:
            raise ValueError("InterfaceError needs at least one mismatch")
        self.mismatches = list(mismatches)
        self.context = context
        super().__init__(self._render())

    def _render(self) -> str:
        head = self.context or "Interface check failed"
        if len(self.mismatches) == 1:
            return f"{head}: {self.mismatches[0]}"
        lines = [f"{head}: {len(self.mismatches)} interfaces do not fit."]
        lines += [f"  {i}. {m}" for i, m in enumerate(self.mismatches, 1)]
        return "\n".join(lines)

    @property
    def path(self) -> str:
        return self.mismatches[0].path

    @property
    def interface(self) -> str:
        return self.mismatches[0].interface

    @property
    def expected(self) -> str:
        return self.mismatches[0].expected

    @property
    def received(self) -> str:
        return self.mismatches[0].received

    @property
    def fix(self) -> str:
        return self.mismatches[0].fix


class PathError(KernestError, KeyError):
    """A path or glob names nothing in the model. The message lists the nearest valid paths."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class DataError(KernestError):
    """A data file, a column, a label or a text cannot be used as given."""


class UnsafeModelError(KernestError):
    """A model file holds code (a Lambda layer, a custom function) and safe mode refused to load it."""


class RunError(KernestError):
    """A run directory is missing, incomplete, or in a state the command cannot use."""


class TrainingDiverged(KernestError):
    """The training loss became NaN or infinite; training stopped before a bad checkpoint was written."""
