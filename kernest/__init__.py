"""kernest: nested Keras models made easy, checked and fast.

Compose models as layers of other models (``Input``, ``over``, ``nest``, ``connect``), check every
interface from shapes alone before any weight exists (``check``), and turn raw Keras errors into ones
that name the nested path and the fix (``explain``).
"""

from __future__ import annotations

from kernest._axes import Input, axes_of, format_shape
from kernest._check import CheckReport, Interface, check
from kernest._errors import (
    DataError,
    InterfaceError,
    KernestError,
    KernestWarning,
    Mismatch,
    PathError,
    UnsafeModelError,
)
from kernest._explain import explain
from kernest._nest import Wire, connect, nest
from kernest._over import Over, over

# --- inspect & change (issue 3): imports are added below this line ---

# --- end inspect & change ---

__version__ = "0.1.0"

__all__ = [
    "CheckReport",
    "DataError",
    "Input",
    "Interface",
    "InterfaceError",
    "KernestError",
    "KernestWarning",
    "Mismatch",
    "Over",
    "Wire",
    "PathError",
    "UnsafeModelError",
    "axes_of",
    "check",
    "connect",
    "explain",
    "format_shape",
    "nest",
    "over",
]
