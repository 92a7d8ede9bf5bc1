"""``kernest.diff``: what differs between two nested models, path by path.

Both models are collected into summary rows; rows are matched by path and compared on kind, input and
output shape, params and trainable. The result is data (``Diff.changes``) with a text rendering.

A batch size is not compared: Keras fixes one in a Sequential without an ``Input`` that it builds on its
first call (2 for a batch of 2; 83, its placeholder size, when PyTorch builds it symbolically), so a model and
its reloaded copy would differ by the batch they were first called on, though both take any batch.

Shapes are compared by their sizes, not by the axis names kernest inferred for them (``features=8`` and ``8`` are
the same shape): the names follow from which calls Keras recorded, and a layer that another layer calls eagerly
inside its ``call`` records none until the model is rebuilt (a reloaded Perceiver names what its original did
not). For the same reason a shape unknown on one side (``?``: no call recorded) is not a change.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import keras

from kernest._html import html_table
from kernest._paths import pair_paths
from kernest._summary import Row, collect, row_to_dict

FIELDS = ("kind", "input_shape", "output_shape", "params", "trainable")


@dataclass(frozen=True)
class Change:
    """One path that differs. ``status`` is ``"added"``, ``"removed"`` or ``"changed"``; ``fields`` names
    what changed; ``before``/``after`` are the rows (``None`` on the side that lacks the path)."""

    path: str
    status: str
    before: Row | None
    after: Row | None
    fields: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.status == "added" and self.after is not None:
            return f"+ {self.path}  {_row_text(self.after)}"
        if self.status == "removed" and self.before is not None:
            return f"- {self.path}  {_row_text(self.before)}"
        parts = [f"{f}: {_value(self.before, f)} -> {_value(self.after, f)}" for f in self.fields]
        return f"~ {self.path}  " + "; ".join(parts)


def _value(row: Row | None, name: str) -> str:
    if row is None:
        return "-"
    if name == "trainable":
        return row.trainable_text
    if name == "params":
        return f"{row.params:,}"
    return str(getattr(row, name))


def _compared(row: Row, name: str) -> str:
    """A field as ``diff`` compares it: shapes by their sizes, without a fixed batch size or axis names
    (``(batch=2, features=4)`` as ``(batch, 4)``)."""
    if not name.endswith("shape"):
        return _value(row, name)
    return re.sub(r"\b(?!batch\b)\w+=", "", re.sub(r"batch=\d+", "batch", _value(row, name)))


def _differs(a: Row, b: Row, name: str, unknown: frozenset[int] = frozenset()) -> bool:
    """Whether ``diff`` reports field ``name`` as changed (a shape no call recorded, ``?``, is not compared, nor
    the ``unknown`` axes of a shape)."""
    x, y = _compared(a, name), _compared(b, name)
    if name.endswith("shape") and unknown:
        x, y = _masked(x, unknown), _masked(y, unknown)
    return x != y and not (name.endswith("shape") and "?" in (x, y))


def _sizes(shape: str) -> list[str] | None:
    """``(batch, ?, 8)`` as ``['batch', '?', '8']``; None for a shape of several tensors."""
    return shape.strip("()").split(", ") if shape.startswith("(") and "(" not in shape[1:] else None


def _masked(shape: str, axes: frozenset[int]) -> str:
    """``(batch, 83, 8)`` with axis 1 unknown as ``(batch, ?, 8)``; ``axes`` holds the rank they are of last (a
    shape of another rank, or of several tensors, stays as it is)."""
    sizes = _sizes(shape)
    if sizes is None or -len(sizes) not in axes:
        return shape
    return "(" + ", ".join("?" if i in axes else s for i, s in enumerate(sizes)) + ")"


def _unknown_axes(rows: dict[str, tuple[Row, Row]], path: str) -> frozenset[int]:
    """The axes of a single-tensor input unknown (``?``) at the nearest container above ``path`` on both sides
    (``rows`` maps a path to both sides' rows as a pair), with minus its rank, for ``_masked``."""
    parent = path.rpartition("/")[0]
    while parent and parent not in rows:
        parent = parent.rpartition("/")[0]
    if not parent:
        return frozenset()
    sizes = [_sizes(_compared(r, "input_shape")) for r in rows[parent]]
    if sizes[0] is None or sizes[1] is None or len(sizes[0]) != len(sizes[1]):
        return frozenset()
    unknown = {i for i, (x, y) in enumerate(zip(*sizes, strict=True)) if x == y == "?"}
    return frozenset({*unknown, -len(sizes[0])}) if unknown else frozenset()


def _row_text(row: Row) -> str:
    return (f"{row.kind}  {row.input_shape} -> {row.output_shape}  params {row.params:,}  "
            f"trainable {row.trainable_text}")


@dataclass
class Diff:
    """What ``kernest.diff`` returns: ``str()`` renders it, ``bool()`` says whether anything differs."""

    a_name: str
    b_name: str
    changes: list[Change] = field(default_factory=list)
    params: tuple[int, int] = (0, 0)
    trainable_params: tuple[int, int] = (0, 0)

    @property
    def added(self) -> list[Change]:
        return [c for c in self.changes if c.status == "added"]

    @property
    def removed(self) -> list[Change]:
        return [c for c in self.changes if c.status == "removed"]

    @property
    def changed(self) -> list[Change]:
        return [c for c in self.changes if c.status == "changed"]

    def __bool__(self) -> bool:
        return bool(self.changes) or self.params[0] != self.params[1]

    def __str__(self) -> str:
        head = (f'Diff "{self.a_name}" -> "{self.b_name}": {len(self.added)} added, {len(self.removed)} removed, '
                f"{len(self.changed)} changed")
        lines = [head]
        lines += ["  " + c.describe() for c in self.changes]
        if not self.changes:
            lines.append("  (same structure, shapes, params and trainable flags)")
        lines.append(f"Params: {self.params[0]:,} -> {self.params[1]:,}; trainable: "
                     f"{self.trainable_params[0]:,} -> {self.trainable_params[1]:,}")
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a_name,
            "b": self.b_name,
            "changes": [
                {"path": c.path, "status": c.status, "fields": list(c.fields),
                 "before": _row_dict(c.before), "after": _row_dict(c.after)}
                for c in self.changes
            ],
            "params": list(self.params),
            "trainable_params": list(self.trainable_params),
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def _repr_html_(self) -> str:
        rows = [[{"added": "+", "removed": "-", "changed": "~"}[c.status], c.path, _what(c)] for c in self.changes]
        footer = [f"Params: {self.params[0]:,} -> {self.params[1]:,}; trainable: "
                  f"{self.trainable_params[0]:,} -> {self.trainable_params[1]:,}"]
        caption = f"{self.a_name} -> {self.b_name}: {len(self.added)} added, {len(self.removed)} removed, " \
                  f"{len(self.changed)} changed"
        return html_table(["", "Path", "What"], rows, caption=caption, footer=footer)


def _what(change: Change) -> str:
    """A change's description without its leading mark and path."""
    return change.describe().split("  ", 1)[1]


def _row_dict(row: Row | None) -> dict[str, Any] | None:
    return None if row is None else row_to_dict(row)


def _order(a: list[str], b: list[str]) -> list[str]:
    """``a``'s paths in order, with ``b``'s new paths placed after the path that precedes them in ``b``."""
    out = list(a)
    known = set(a)
    last: str | None = None
    for p in b:
        if p not in known:
            out.insert(out.index(last) + 1 if last in out else len(out), p)
            known.add(p)
        last = p
    return out


def diff(a: keras.Model, b: keras.Model) -> Diff:
    """Structural diff of two nested models: paths added, removed or changed.

    Args:
        a: the "before" model.
        b: the "after" model.

    Returns:
        A ``Diff`` with ``.changes`` (``Change`` records with both rows), ``.added``, ``.removed``,
        ``.changed``, ``to_json()``; ``str()`` renders ``+``/``-``/``~`` lines.

    Example:
        >>> import keras, kernest
        >>> x = keras.Input((4,))
        >>> a = keras.Model(x, keras.layers.Dense(2, name="head")(x))
        >>> b = keras.Model(x, keras.layers.Dense(3, name="head")(x))
        >>> [c.describe() for c in kernest.diff(a, b).changes]
        ['~ head  output_shape: (batch, features=2) -> (batch, features=3); params: 10 -> 15']
    """
    sa, sb = collect(a), collect(b)
    rows_a = {r.path: r for r in sa.rows}
    pairs = pair_paths(list(rows_a), {r.path: r.kind for r in sb.rows})
    as_in_a = {b_path: a_path for a_path, b_path in pairs.items()}  # a sublayer Keras numbered anew keeps a's path
    rows_b = {as_in_a.get(r.path, r.path): r for r in sb.rows}
    both = {p: (rows_a[p], rows_b[p]) for p in rows_a if p in rows_b}
    changes: list[Change] = []
    for path in _order(list(rows_a), list(rows_b)):
        ra, rb = rows_a.get(path), rows_b.get(path)
        if ra is None:
            changes.append(Change(path, "added", None, rb))
        elif rb is None:
            changes.append(Change(path, "removed", ra, None))
        else:
            unknown = _unknown_axes(both, path)
            fields = tuple(f for f in FIELDS if _differs(ra, rb, f, unknown))
            if fields:
                changes.append(Change(path, "changed", ra, rb, fields))
    return Diff(str(a.name), str(b.name), changes, (sa.total_params, sb.total_params),
                (sa.trainable_params, sb.trainable_params))
