"""``kernest.summary``: every nested model and layer at every depth, as rows, then as text.

Collect, then render: ``collect`` walks the model once and produces ``Row`` records (and the shapes that
cross each interface between submodels). ``render_text``, ``render_markdown`` and ``to_dict`` are
side-effect-free formatters over those records. Nothing here prints.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import keras

from kernest._axes import axes_of, format_shape, shape_of
from kernest._errors import KernestError, KernestWarning
from kernest._graph import (
    Entry,
    format_batch,
    functional_of,
    graph_inputs,
    input_keys,
    node_of,
    output_keys,
    producer,
    producer_name,
    root,
    walk,
)
from kernest._html import html_table
from kernest._paths import expand_patterns

COLLAPSE_OVER = 20  # by default a submodel of more layers than this, none of them a submodel, is one row
COLUMNS = ("kind", "input", "output", "params", "trainable")  # shown by default
ALL_COLUMNS = (*COLUMNS, "own")
HEADERS = {"path": "Path", "kind": "Kind", "input": "Input shape", "output": "Output shape",
           "params": "Params", "trainable": "Trainable", "own": "Own params"}


@dataclass(frozen=True)
class Row:
    """One layer or submodel at one path.

    Attributes:
        path: where it is, e.g. ``per_word/char_cnn/conv``.
        kind: the layer class (``Conv1D``), ``Functional``/``Sequential`` for models, ``Over(words)``.
        input_shape: the input of its first call, with axis names, e.g. ``(batch, words=6, chars=8)``.
            Inside ``over``/``TimeDistributed`` shapes are per element and the batch reads
            ``batch*words``: each word is one row of the inner model's batch. ``?`` where unknown.
        output_shape: likewise for the output.
        params: the parameters of the whole subtree (the layer's ``count_params()``), as
            ``model.summary()`` counts a nested model: the same at every ``depth``.
        trainable: the layer's ``trainable`` flag.
        trainable_params: the trainable part of ``params``.
        own_params: the weights of this row itself, not of its sublayers; a weight reachable at several
            paths counts at the first one only, so this column sums to ``model.count_params()``.
        depth: 1 for the model's own layers, 2 for theirs, ...
        container: whether it holds sublayers (a model, a wrapper, a composite layer).
        partly_frozen: a trainable container with a frozen layer somewhere inside.
        calls: ``(input_shape, output_shape)`` of every call site; more than one for a shared layer.
        also_at: other paths of the same layer object (a layer shared between models).
        per: the axes folded into the batch above this row (inside ``over``), e.g. ``("words",)``.
        collapsed: how many rows below this one the default summary hides (a large submodel of plain
            layers, e.g. a ``keras.applications`` backbone); 0 when its rows are shown.
        built: whether Keras has built the layer; an unbuilt one (a custom layer's sublayer that Keras builds
            on the first call) has no weights yet, and shows ``0 (unbuilt)``, as ``model.summary()`` does.
    """

    path: str
    kind: str
    input_shape: str
    output_shape: str
    params: int
    trainable: bool
    trainable_params: int = 0
    own_params: int = 0
    depth: int = 1
    container: bool = False
    partly_frozen: bool = False
    calls: tuple[tuple[str, str], ...] = ()
    also_at: tuple[str, ...] = ()
    per: tuple[str, ...] = ()
    collapsed: int = 0
    built: bool = True

    @property
    def shared(self) -> bool:
        return len(self.calls) > 1 or bool(self.also_at)

    @property
    def trainable_text(self) -> str:
        if not self.trainable:
            return "no"
        return "partly" if self.partly_frozen else "yes"


def row_to_dict(row: Row) -> dict[str, Any]:
    """A row as plain JSON-ready data."""
    return dict(asdict(row), calls=[list(c) for c in row.calls], also_at=list(row.also_at), per=list(row.per))


@dataclass(frozen=True)
class Link:
    """The tensor that crosses the interface between two siblings, at least one of them a submodel."""

    parent: str  # path of the model holding both; "" for the top model
    producer: str  # a sibling's name or an input's name
    consumer: str
    shape: str

    @property
    def interface(self) -> str:
        prefix = f"{self.parent}/" if self.parent else ""
        return f"{prefix}{self.producer} -> {prefix}{self.consumer}"


@dataclass
class Summary:
    """What ``kernest.summary`` returns; ``str(summary)`` renders the table.

    Attributes:
        model_name: the model's name.
        rows: one ``Row`` per shown path, parents before children.
        links: the shape crossing each interface between sibling submodels.
        total_params, trainable_params, non_trainable_params: as ``model.count_params()`` counts them.
        inputs, outputs: the model's own inputs and outputs, formatted with axis names.
        show: the columns ``__str__`` renders.
        open_depth: where rows were collapsed (see ``Row.collapsed``), the ``depth`` that shows them all.
        own_weights: the model's own weights, which no layer in it holds (a subclassed model's ``add_weight``,
            such as a class token): (name, shape) each. The rows' ``own_params`` and ``own_params`` here add up to
            ``total_params``.
    """

    model_name: str
    rows: list[Row]
    links: list[Link]
    total_params: int
    trainable_params: int
    non_trainable_params: int
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    show: tuple[str, ...] = COLUMNS
    open_depth: int | None = None
    own_weights: list[tuple[str, tuple[int, ...]]] = field(default_factory=list)

    @property
    def own_params(self) -> int:
        return sum(math.prod(shape) for _, shape in self.own_weights)

    def __str__(self) -> str:
        return render_text(self)

    def __repr__(self) -> str:
        return f"<Summary of {self.model_name!r}: {len(self.rows)} rows, {self.total_params} params>"

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model_name,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "rows": [row_to_dict(r) for r in self.rows],
            "interfaces": [dict(asdict(link), interface=link.interface) for link in self.links],
            "total_params": self.total_params,
            "trainable_params": self.trainable_params,
            "non_trainable_params": self.non_trainable_params,
            "open_depth": self.open_depth,
            "own_weights": [{"name": n, "shape": list(shape)} for n, shape in self.own_weights],
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def to_markdown(self) -> str:
        return render_markdown(self)

    def _repr_html_(self) -> str:
        return render_html(self)


# --- collect ------------------------------------------------------------------------------------------

def _size(variable: Any) -> int:
    n = 1
    for d in variable.shape:
        n *= int(d)
    return n


def _own_weights(entry: Entry) -> list[Any]:
    inside = {id(w) for c in entry.children for w in getattr(c.layer, "weights", [])}
    return [w for w in getattr(entry.layer, "weights", []) if id(w) not in inside]


def _own_counts(entries: list[Entry]) -> dict[int, int]:
    """Own params per entry, each weight counted at the first path that holds it."""
    seen: set[int] = set()
    own: dict[int, int] = {}
    for e in entries:
        fresh = [w for w in _own_weights(e) if id(w) not in seen]
        seen.update(id(w) for w in fresh)
        own[id(e)] = sum(_size(w) for w in fresh)
    return own


def _subtree_counts(layer: Any) -> tuple[int, int]:
    """(params, trainable params) of every distinct weight of ``layer`` and its sublayers."""
    weights = list({id(w): w for w in getattr(layer, "weights", [])}.values())
    return sum(_size(w) for w in weights), sum(_size(w) for w in weights if w.trainable)


def _has_frozen_inside(entry: Entry) -> bool:
    return any(not getattr(c.layer, "trainable", True) or _has_frozen_inside(c) for c in entry.children)


def _large_blocks(entries: list[Entry]) -> dict[int, list[Entry]]:
    """Entries to collapse, each with the entries under it: a layer holding more than ``COLLAPSE_OVER`` layers
    and no submodel, like a ``keras.applications`` backbone. Reading 150 of its rows hides the nesting."""
    blocks: dict[int, list[Entry]] = {}
    for e in entries:
        if not e.children or any(id(a) in blocks for a in _ancestors(e)):
            continue
        below = list(walk(e.layer, e))
        if len(below) > COLLAPSE_OVER and not any(isinstance(b.layer, keras.Model) for b in below):
            blocks[id(e)] = below
    return blocks


def _ancestors(e: Entry) -> list[Entry]:
    out = []
    while e.parent is not None:
        e = e.parent
        out.append(e)
    return out


def collect(model: Any, depth: int | None = None, filter: str | list[str] | None = None,
            collapse: bool = False) -> Summary:
    """Walk ``model`` and return the ``Summary`` records (see ``kernest.summary``); ``collapse``: show a
    large submodel of plain layers as one row."""
    if depth is not None and (not isinstance(depth, int) or depth < 1):
        raise KernestError(f"summary(depth={depth!r}): depth is a whole number >= 1 (1 = the model's own layers).")
    top = root(model)
    entries = list(walk(model, top))
    paths_of: dict[int, list[str]] = {}
    for e in entries:
        paths_of.setdefault(id(e.layer), []).append(e.path)

    own = _own_counts(entries)
    shown = [e for e in entries if depth is None or e.depth <= depth]
    if filter is not None:
        wanted = {id(e) for e in expand_patterns(model, filter, entries)}
        if not wanted:
            _warn_nothing(filter)
        shown = [e for e in shown if id(e) in wanted]

    blocks = _large_blocks(entries) if collapse else {}
    hidden = {id(b) for below in blocks.values() for b in below}
    shown = [e for e in shown if id(e) not in hidden]
    rows = [_row(e, own[id(e)], paths_of, len(blocks.get(id(e), []))) for e in shown]
    links = _links(top, entries, depth)
    weights = list(getattr(model, "weights", []))
    held = {id(w) for e in entries for w in getattr(e.layer, "weights", [])}
    trainable = sum(_size(w) for w in weights if w.trainable)
    total = sum(_size(w) for w in weights)
    return Summary(
        model_name=str(model.name),
        rows=rows,
        links=links,
        total_params=total,
        trainable_params=trainable,
        non_trainable_params=total - trainable,
        inputs=_io(model, "inputs") or _site_io(top, "in"),
        outputs=_io(model, "outputs") or _site_io(top, "out"),
        open_depth=max((b.depth for below in blocks.values() for b in below), default=None),
        own_weights=[(str(w.name), tuple(int(d) for d in w.shape)) for w in weights if id(w) not in held],
    )


def _warn_nothing(pattern: str | list[str]) -> None:
    import warnings

    warnings.warn(f"summary(filter={pattern!r}) matches no path; the summary has no rows.",
                  KernestWarning, stacklevel=4)


def _row(e: Entry, own: int, paths_of: dict[int, list[str]], collapsed: int = 0) -> Row:
    calls = tuple((e.shape_text(s, "in"), e.shape_text(s, "out")) for s in e.sites)
    first = calls[0] if calls else ("?", "?")
    params, trainable_params = _subtree_counts(e.layer)
    return Row(
        path=e.path,
        kind=e.kind,
        input_shape=first[0],
        output_shape=first[1],
        params=params,
        trainable=bool(getattr(e.layer, "trainable", True)),
        trainable_params=trainable_params,
        own_params=own,
        depth=e.depth,
        container=e.is_container,
        partly_frozen=_has_frozen_inside(e),
        calls=calls,
        also_at=tuple(p for p in paths_of[id(e.layer)] if p != e.path),
        per=e.per,
        collapsed=collapsed,
        built=bool(getattr(e.layer, "built", True)),
    )


@dataclass(frozen=True)
class Hop:
    """A tensor passed inside one functional graph from a layer (or an input) to a layer. ``keras.ops``
    calls in between (``x * 2``, ``ops.relu``) are stepped through, so the two layers stay linked."""

    producer: str
    consumer: str
    shape: tuple[int | None, ...]
    axes: tuple[str | None, ...]
    producer_call: int | None  # which call of a layer that runs several times; None if it runs once
    consumer_call: int | None


def hops(entry: Entry) -> list[Hop]:
    """Every tensor passed between the children of ``entry`` (a functional graph, or the traced Python call of
    a subclassed model or custom layer), in call order."""
    if functional_of(entry.layer) is None:  # traced: its edges are what it has
        return [Hop(e.producer, e.consumer, e.shape, e.axes, None, None) for e in entry.edges]
    made_by: dict[int, tuple[str, int | None]] = {}
    for child in entry.children:
        for i, site in enumerate(child.sites):
            for t in site.call.outputs if site.call is not None else ():
                made_by[id(t)] = (child.name, i if len(child.sites) > 1 else None)
    found: list[Hop] = []
    for child in entry.children:
        for i, site in enumerate(child.sites):
            if site.call is None:
                continue
            for t, shape, axes in zip(site.call.data_inputs, site.in_shapes, site.in_axes, strict=False):
                for name, j in _origins(t, made_by, set()):
                    found.append(Hop(name, child.name, shape, axes, j, i if len(child.sites) > 1 else None))
    return found


def _origins(tensor: Any, made_by: dict[int, tuple[str, int | None]], seen: set[int]
             ) -> list[tuple[str, int | None]]:
    """The layer calls or inputs ``tensor`` comes from, stepping back through ``keras.ops`` calls."""
    if id(tensor) in made_by:
        return [made_by[id(tensor)]]
    op = producer(tensor)
    if op is None or id(tensor) in seen:
        return []
    seen.add(id(tensor))
    if isinstance(op, keras.layers.Layer):  # an input
        return [(str(op.name), None)]
    node = node_of(tensor)
    if node is None:
        return []
    found: list[tuple[str, int | None]] = []
    for t in node.input_tensors:
        found += [o for o in _origins(t, made_by, seen) if o not in found]
    return found


def _links(top: Entry, entries: list[Entry], depth: int | None) -> list[Link]:
    links: list[Link] = []
    for holder in [top, *entries]:
        if not holder.edges or (depth is not None and holder.depth >= depth):
            continue
        containers = {c.name for c in holder.children if c.is_container}
        for hop in hops(holder):
            if hop.producer in containers or hop.consumer in containers:
                link = Link(holder.path, hop.producer, hop.consumer, holder.format(hop.shape, hop.axes))
                if link not in links:
                    links.append(link)
    return links


def _io(model: Any, which: str) -> list[str]:
    """The model's inputs or outputs, each ``name (shape)``: an input by its name (its InputLayer's, not
    ``keras_tensor_67``), a dict entry by its key, an output by its producing layer."""
    if graph_inputs(model) is None:
        return []
    tensors = keras.tree.flatten(getattr(model, which))
    keys = input_keys(model) if which == "inputs" else output_keys(model)
    names = keys if keys is not None and len(keys) == len(tensors) else [producer_name(t) or "" for t in tensors]
    return [f"{n} {format_batch(shape_of(t), axes_of(t))}".strip() for t, n in zip(tensors, names, strict=False)]


def _site_io(top: Entry, which: str) -> list[str]:
    """Inputs or outputs of a model without a graph (a traced subclassed model), from its root site."""
    if not top.sites:
        return []
    site = top.sites[0]
    shapes, axes = (site.in_shapes, site.in_axes) if which == "in" else (site.out_shapes, site.out_axes)
    return [format_shape(s, a) for s, a in zip(shapes, axes, strict=False)]


# --- render -------------------------------------------------------------------------------------------

def _check_show(show: tuple[str, ...] | list[str] | str) -> tuple[str, ...]:
    cols = (show,) if isinstance(show, str) else tuple(show)
    unknown = [c for c in cols if c not in ALL_COLUMNS]
    if unknown:
        raise KernestError(f"summary(show=...) got unknown column(s) {unknown}; choose from {list(ALL_COLUMNS)}.")
    return cols


def _cells(row: Row, cols: tuple[str, ...]) -> list[str]:
    kind = row.kind
    if len(row.calls) > 1:
        kind += f" (shared: {len(row.calls)} calls)"
    elif row.also_at:
        kind += " (shared)"
    if row.collapsed:
        kind += f" ({row.collapsed} layers)"
    values = {"kind": kind, "input": row.input_shape, "output": row.output_shape,
              "params": f"{row.params:,}" if row.built else "0 (unbuilt)", "trainable": row.trainable_text, "own": f"{row.own_params:,}"}
    return ["  " * (row.depth - 1) + row.path] + [values[c] for c in cols]


def _table(header: list[str], body: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        parts = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=False))]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return [line(header), rule, *[line(r) for r in body]]


def render_text(s: Summary) -> str:
    """The summary as a fixed-width table (no colour, no terminal width): pure function of ``s``."""
    cols = _check_show(s.show)
    header = [HEADERS["path"]] + [HEADERS[c] for c in cols]
    body: list[list[str]] = []
    for row in s.rows:
        body.append(_cells(row, cols))
        for i, (inp, outp) in enumerate(row.calls[1:], start=2):  # a shared layer: its other call sites
            extra = {"kind": f"  call @{i - 1}", "input": inp, "output": outp, "params": "", "trainable": "",
                     "own": ""}
            body.append([""] + [extra[c] for c in cols])
    right = {i + 1 for i, c in enumerate(cols) if c in ("params", "own")}
    out = [f'Model: "{s.model_name}"']
    if s.inputs:
        out.append("Inputs:  " + "; ".join(s.inputs))
        out.append("Outputs: " + "; ".join(s.outputs))
    per = next((r.per for r in s.rows if r.per), ())
    if per:
        out.append(f"Inside over/TimeDistributed shapes are per element: (batch*{'*'.join(per)}, ...) means every "
                   f"element along {per[-1]} is one row of the inner model's batch.")
    out.append("")
    out += _table(header, body, right) if s.rows else ["(no rows)"]
    out.append("")
    if s.own_weights:
        out += [_own_note(s), ""]
    out.append(f"Total params: {s.total_params:,}")
    out.append(f"Trainable params: {s.trainable_params:,}")
    out.append(f"Non-trainable params: {s.non_trainable_params:,}")
    if s.links:
        out += ["", "Interfaces (the shape that crosses each boundary between submodels):"]
        out += _table(["Interface", "Shape"], [[link.interface, link.shape] for link in s.links], set())
    collapsed = [r for r in s.rows if r.collapsed]
    if collapsed:
        out += ["", _collapsed_note(s, collapsed)]
    shared = [r for r in s.rows if r.also_at]
    if shared:
        out += ["", "Shared layers (one object at several paths; Keras 3.15 cannot load such a model):"]
        done: set[str] = set()
        for r in shared:
            if r.path not in done:
                out.append(f"  {r.path.split('/')[-1]}: {', '.join((r.path, *r.also_at))}")
                done.update((r.path, *r.also_at))
    return "\n".join(out) + "\n"


def _own_note(s: Summary) -> str:
    listed = ", ".join(f"{name} {_shape_text(shape)}" for name, shape in s.own_weights)
    return f"Own weights of {s.model_name} (no layer in it holds them): {listed}: {s.own_params:,} params"


def _shape_text(shape: tuple[int, ...]) -> str:
    return f"({shape[0]},)" if len(shape) == 1 else f"({', '.join(str(d) for d in shape)})"


def _collapsed_note(s: Summary, collapsed: list[Row]) -> str:
    return (f"Collapsed: {', '.join(r.path for r in collapsed)} (over {COLLAPSE_OVER} layers, no submodel inside). "
            f"depth={s.open_depth} (CLI: --depth {s.open_depth}) shows every row; "
            f"filter='{collapsed[0].path}/**' shows the rows inside {collapsed[0].path}.")


def render_markdown(s: Summary) -> str:
    """The same rows as a Markdown table (plus totals and interfaces)."""
    cols = _check_show(s.show)
    header = [HEADERS["path"]] + [HEADERS[c] for c in cols]

    def md(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    lines = [f"**{s.model_name}**", "", md(header), "|" + "|".join("---:" if c in ("params", "own") else "---"
                                                                   for c in ["path", *cols]) + "|"]
    for row in s.rows:
        cells = _cells(row, cols)
        cells[0] = "&nbsp;" * 2 * (row.depth - 1) + f"`{row.path}`"
        lines.append(md(cells))
    lines += [""] + ([_own_note(s), ""] if s.own_weights else [])
    lines += [f"Total params: {s.total_params:,} (trainable {s.trainable_params:,}, "
              f"non-trainable {s.non_trainable_params:,})"]
    if s.links:
        lines += ["", md(["Interface", "Shape"]), "|---|---|"]
        lines += [md([f"`{link.interface}`", link.shape]) for link in s.links]
    collapsed = [r for r in s.rows if r.collapsed]
    if collapsed:
        lines += ["", _collapsed_note(s, collapsed)]
    return "\n".join(lines) + "\n"


def render_html(s: Summary) -> str:
    """The rows as an HTML table, for notebooks (``Summary._repr_html_``)."""
    cols = _check_show(s.show)
    header = [HEADERS["path"]] + [HEADERS[c] for c in cols]
    body = [[r.path] + _cells(r, cols)[1:] for r in s.rows]
    footer = [f"Total params: {s.total_params:,} (trainable {s.trainable_params:,}, "
              f"non-trainable {s.non_trainable_params:,})"] + ([_own_note(s)] if s.own_weights else [])
    if s.inputs:
        footer += ["Inputs: " + "; ".join(s.inputs), "Outputs: " + "; ".join(s.outputs)]
    collapsed = [r for r in s.rows if r.collapsed]
    if collapsed:
        footer.append(_collapsed_note(s, collapsed))
    right = [i + 1 for i, c in enumerate(cols) if c in ("params", "own")]
    return html_table(header, body, caption=s.model_name, right=right, indent=[r.depth - 1 for r in s.rows],
                      footer=footer)


# --- public entry point -------------------------------------------------------------------------------

def summary(
    model: keras.layers.Layer,
    *,
    depth: int | None = None,
    show: tuple[str, ...] | list[str] | str = COLUMNS,
    filter: str | list[str] | None = None,
) -> Summary:
    """Every nested model and layer of ``model`` at every depth, with shapes, params and trainable.

    Opens what ``model.summary(expand_nested=True)`` leaves closed: models inside ``over`` and
    ``TimeDistributed``, both halves of a ``Bidirectional``, custom layers that hold sublayers.

    Args:
        model: a Keras model.
        depth: show rows down to this depth only (1 = the model's own layers). Params are always the
            subtree's total, so a row shows the same number at every depth. By default every row is
            shown except inside a submodel of more than 20 layers and no submodel (a ``keras.applications``
            backbone): that is one row, its ``collapsed`` count says how many it hides, and the text names
            the ``depth`` that opens it. Any ``depth`` (or ``filter``) shows every row it selects.
        show: the columns to render, from ``("kind", "input", "output", "params", "trainable", "own")``
            (``own``: a row's own weights, without its sublayers'; not shown by default).
        filter: a path or glob (or a list of them), e.g. ``"per_word/**"``: only matching rows.

    Returns:
        A ``Summary``: ``str()`` renders the table; ``.rows`` holds ``Row`` records; ``.to_json()`` and
        ``.to_markdown()`` give the same data in other forms. Totals match ``model.count_params()``.

    Raises:
        PathError: ``filter`` is a plain path that names nothing.
        KernestError: ``depth`` or ``show`` is invalid.

    Example:
        >>> import keras, kernest
        >>> cnn = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4, name="dense")], name="cnn")
        >>> x = kernest.Input((6, 8), axes=("words", "chars"))
        >>> model = keras.Model(x, kernest.over("words", cnn, name="per_word")(x))
        >>> [(r.path, r.input_shape) for r in kernest.summary(model).rows]
        [('per_word', '(batch, words=6, chars=8)'), ('per_word/cnn', '(batch*words, chars=8)'), ('per_word/cnn/dense', '(batch*words, chars=8)')]
    """
    result = collect(model, depth=depth, filter=filter, collapse=depth is None and filter is None)
    result.show = _check_show(show)
    return result
