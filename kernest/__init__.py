"""kernest: nested Keras models made easy, checked and fast.

Compose models as layers of other models (``Input``, ``over``, ``nest``, ``connect``), check every
interface from shapes alone before any weight exists (``check``), turn raw Keras errors into ones that
name the nested path and the fix (``explain``), inspect (``summary``, ``plot``, ``diff``) and change
(``get``, ``extract``, ``freeze``, ``replace``, ``save``/``load``) nested models at any depth.
``trace`` records the nested calls Keras makes, so a failure names its full path.
"""

from __future__ import annotations

import kernest._startup  # noqa: F401 - first: the kernest command quiets TensorFlow before Keras loads it
from kernest._axes import Input, axes_of, format_shape
from kernest._check import CheckReport, Interface, check
from kernest._diff import Diff, diff
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
from kernest._extract import extract
from kernest._freeze import freeze, unfreeze
from kernest._nest import Wire, connect, nest
from kernest._over import Over, over
from kernest._paths import get, paths
from kernest._plot import plot
from kernest._replace import replace
from kernest._saving import load, save, shared_across_models
from kernest._summary import Row, Summary, summary
from kernest._trace import Tracer, trace

__version__ = "0.1.0"

__all__ = [
    "CheckReport",
    "DataError",
    "Diff",
    "Input",
    "Interface",
    "InterfaceError",
    "KernestError",
    "KernestWarning",
    "Mismatch",
    "Over",
    "PathError",
    "Row",
    "Summary",
    "Tracer",
    "UnsafeModelError",
    "Wire",
    "axes_of",
    "check",
    "connect",
    "diff",
    "explain",
    "extract",
    "format_shape",
    "freeze",
    "get",
    "load",
    "nest",
    "over",
    "paths",
    "plot",
    "replace",
    "save",
    "shared_across_models",
    "summary",
    "trace",
    "unfreeze",
]
