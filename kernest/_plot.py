"""``kernest.plot``: a picture of the nesting, as PNG or SVG, without graphviz.

Collect, lay out, render. The model's entries become a tree of boxes (each submodel a box inside its
parent, layers inside, inputs as small boxes); a functional graph's boxes are stacked in ranks by the
longest path from the inputs, and every arrow carries the shape that crosses it. The layout produces a
``Scene`` of plain rectangles, texts and arrows; two small renderers turn it into SVG text or a PNG
(matplotlib, Agg backend).

By default only the submodel boundaries are opened: a model (or wrapper) whose sublayers are all plain
layers is one closed box that says how many layers it holds, so a MobileNet base is one box, not 154.
``depth=N`` opens every box down to depth N. Arrow labels are placed where they overlap no other label.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import keras

from kernest._axes import format_shape
from kernest._errors import KernestError
from kernest._files import write_atomic, write_text_atomic
from kernest._graph import Entry, graph_inputs, output_keys, producer_name, root, walk
from kernest._over import is_mapper
from kernest._summary import hops

FONT = 11.0  # px, monospace
SMALL = 9.5  # px, arrow labels
CHAR = 0.62  # width of a monospace character, in font sizes
PAD = 10.0
HGAP = 18.0
VGAP = 34.0  # room for an arrow and its label between ranks
TITLE = 30.0  # a container's two title lines
FILLS = ("#eef3fb", "#f6f0e6", "#eaf5ec", "#f3eaf4")


# --- scene -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    dashed: bool = False


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # baseline
    text: str
    size: float = FONT
    anchor: str = "start"  # or "middle"
    bold: bool = False
    edge: bool = False  # an arrow's label

    def bounds(self) -> tuple[float, float, float, float]:
        """(left, top, right, bottom) of the text, in scene pixels."""
        w = _text_w(self.text, self.size)
        left = self.x - w / 2 if self.anchor == "middle" else self.x
        return left, self.y - self.size, left + w, self.y + self.size / 3


@dataclass(frozen=True)
class Arrow:
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass
class Scene:
    width: float
    height: float
    items: list[Rect | Text | Arrow] = field(default_factory=list)


# --- layout ----------------------------------------------------------------------------------------------

def _text_w(text: str, size: float = FONT) -> float:
    return len(text) * size * CHAR


@dataclass(eq=False)
class _Box:
    key: str  # the name within the parent's graph
    title: str
    subtitle: str
    depth: int
    io: bool = False
    rows: list[list[_Box]] = field(default_factory=list)
    edges: list[tuple[str, str, str]] = field(default_factory=list)  # (producer key, consumer key, shape)
    w: float = 0.0
    h: float = 0.0
    x: float = 0.0
    y: float = 0.0

    @property
    def container(self) -> bool:
        return bool(self.rows)


def _leaf(key: str, title: str, subtitle: str, depth: int, io: bool = False) -> _Box:
    box = _Box(key, title, subtitle, depth, io=io)
    box.w = max(_text_w(title), _text_w(subtitle)) + 2 * PAD
    box.h = 2 * FONT + 14.0
    return box


def _is_open(entry: Entry, depth: int | None) -> bool:
    """Whether ``entry``'s sublayers are drawn: down to ``depth``, or by default where a submodel is inside."""
    if not entry.children:
        return False
    if depth is not None:
        return entry.depth < depth
    return entry.depth == 0 or any(c.children for c in entry.children)


def _closed_subtitle(entry: Entry) -> str:
    """A closed box's kind, with the number of layers it hides and how often it runs when shared."""
    text = entry.kind
    if entry.children:
        inside = sum(1 for _ in walk(entry.layer, entry))
        text += f" · {inside} layer{'s' if inside != 1 else ''}"
    if len(entry.sites) > 1:
        text += f" · {_shared_note(len(entry.sites))}"
    return text


def _shared_note(n: int) -> str:
    """How a box called ``n`` times says so; its arrows carry the same ``@i`` marks as ``path@i``."""
    calls = ", ".join(f"@{i}" for i in range(n)) if n <= 4 else f"@0..@{n - 1}"
    return f"shared: {n} calls ({calls})"


def _build(entry: Entry, depth: int | None, title: str | None = None) -> _Box:
    name = title or entry.name
    if not _is_open(entry, depth):
        return _leaf(entry.name, name, _closed_subtitle(entry), entry.depth)
    box = _Box(entry.name, name, entry.kind, entry.depth)
    children = [_build(c, depth) for c in entry.children]
    if entry.edges:  # a functional graph: rank boxes by the longest path from the inputs
        _rank(entry, box, children)
    elif isinstance(entry.layer, keras.layers.Bidirectional):
        box.rows = [children]
    else:
        box.rows = [[c] for c in children]
    if is_mapper(entry.layer) and entry.children:
        box.subtitle = f"{entry.kind}: inner model per element"
    if len(entry.sites) > 1:
        box.subtitle += f" · {_shared_note(len(entry.sites))}"
    _measure(box)
    return box


def _rank(entry: Entry, box: _Box, children: list[_Box]) -> None:
    """Stack a functional graph's boxes in rows by the longest path from its inputs; keep its edges."""
    keys = {c.key for c in children}
    inputs: dict[str, _Box] = {}
    edges: list[tuple[str, str, str]] = []
    for producer, consumer, label in _graph_edges(entry):
        if consumer not in keys:
            continue
        if producer not in keys and producer not in inputs:
            if not _is_input_name(entry, producer):
                continue  # produced by a keras.ops call, not by a layer or an input
            inputs[producer] = _leaf(producer, producer, "input", entry.depth + 1, io=True)
        edge = (producer, consumer, label)
        if edge not in edges:
            edges.append(edge)
    rank: dict[str, int] = {k: 0 for k in inputs}
    for c in children:  # children come in call order, so producers are ranked first
        before = [rank[p] for p, q, _ in edges if q == c.key and p in rank]
        rank[c.key] = 1 + max(before) if before else (1 if inputs else 0)
    every = list(inputs.values()) + children
    box.rows = [[b for b in every if rank[b.key] == r] for r in sorted({rank[b.key] for b in every})]
    box.edges = edges


def _graph_edges(entry: Entry) -> list[tuple[str, str, str]]:
    """``(producer, consumer, label)`` for every tensor passed between the layers of ``entry``'s graph, in
    call order. The label is the shape; where an end is a layer called several times, it starts with that
    call's ``@i`` (the producer's, then ``->`` and the consumer's), so each call of a shared tower shows."""
    edges: list[tuple[str, str, str]] = []
    for hop in hops(entry):
        ends = [f"@{hop.producer_call}" if hop.producer_call is not None else "",
                f"@{hop.consumer_call}" if hop.consumer_call is not None else ""]
        mark = "->".join(ends) if all(ends) else "".join(ends)
        edges.append((hop.producer, hop.consumer, f"{mark} {entry.format(hop.shape, hop.axes)}".strip()))
    return edges


def _is_input_name(entry: Entry, name: str) -> bool:
    inputs = graph_inputs(entry.layer) or []
    return any(producer_name(t) == name for t in inputs)


def _measure(box: _Box) -> None:
    widths = [sum(b.w for b in row) + HGAP * (len(row) - 1) for row in box.rows]
    heights = [max(b.h for b in row) for row in box.rows]
    labels = [2 * (_text_w(label, SMALL) + 8) for _, _, label in box.edges]  # labels sit right of centre
    box.w = max([*widths, *labels, _text_w(box.title) + 10, _text_w(box.subtitle)]) + 2 * PAD
    box.h = TITLE + PAD + sum(heights) + VGAP * (len(heights) - 1) + PAD


def _place(box: _Box, x: float, y: float) -> None:
    box.x, box.y = x, y
    cy = y + TITLE + PAD
    for row in box.rows:
        row_w = sum(b.w for b in row) + HGAP * (len(row) - 1)
        cx = x + (box.w - row_w) / 2
        for b in row:
            _place(b, cx, cy)
            cx += b.w + HGAP
        cy += max(b.h for b in row) + VGAP


def _emit(box: _Box, items: list[Rect | Text | Arrow], arrows: list[tuple[_Box, _Box, str]]) -> None:
    """Boxes and titles into ``items``; the arrows go to ``arrows``, drawn once every box is placed."""
    if box.container:
        items.append(Rect(box.x, box.y, box.w, box.h, FILLS[box.depth % len(FILLS)]))
        items.append(Text(box.x + PAD, box.y + 4 + FONT, box.title, bold=True))
        items.append(Text(box.x + PAD, box.y + 8 + 2 * FONT, box.subtitle, size=SMALL))
        for row in box.rows:
            for b in row:
                _emit(b, items, arrows)
        by_key = {b.key: b for row in box.rows for b in row}
        arrows += [(by_key[producer], by_key[consumer], label) for producer, consumer, label in box.edges]
        return
    cx = box.x + box.w / 2
    items.append(Rect(box.x, box.y, box.w, box.h, "#ffffff", dashed=box.io))
    items.append(Text(cx, box.y + 5 + FONT, box.title, anchor="middle", bold=not box.io))
    items.append(Text(cx, box.y + 9 + 2 * FONT, box.subtitle, size=SMALL, anchor="middle"))


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _label(x1: float, y1: float, x2: float, y2: float, text: str, taken: list[tuple[float, float, float, float]],
           lines: Sequence[tuple[float, float, float, float]] = ()) -> Text:
    """A label beside the arrow, where it overlaps no label placed before (and, if it can, crosses no other
    arrow); failing that, moved right along the line nearest the arrow's middle until it is free."""
    def at(t: float, left: bool) -> Text:
        y = y1 + (y2 - y1) * t
        x = x1 + (x2 - x1) * t
        w = _text_w(text, SMALL)
        return Text(x - 5 - w if left else x + 5, y + SMALL / 3, text, size=SMALL, edge=True)

    candidates = [at(t, left) for t in (0.5, 0.3, 0.7, 0.15, 0.85) for left in (False, True)]
    top, bottom = min(c.bounds()[1] for c in candidates), max(c.bounds()[3] for c in candidates)
    near = [r for r in taken if r[1] < bottom and top < r[3]]  # only these can overlap a candidate
    free = [c for c in candidates if c.bounds()[0] >= 0 and not any(_overlaps(c.bounds(), r) for r in near)]
    near_lines = [ln for ln in lines if min(ln[1], ln[3]) <= bottom and top <= max(ln[1], ln[3])]
    clear = [c for c in free if not any(_crosses(c.bounds(), line) for line in near_lines)]
    if clear or free:
        return (clear or free)[0]
    c = candidates[0]
    while any(_overlaps(c.bounds(), r) for r in taken):
        c = Text(c.x + SMALL, c.y, text, size=SMALL, edge=True)
    return c


def _crosses(box: tuple[float, float, float, float], line: tuple[float, float, float, float]) -> bool:
    """Whether the segment ``line`` passes through ``box``: the part of the segment inside each of the box's
    four half-planes, intersected, is not empty (Liang-Barsky clipping)."""
    x1, y1, x2, y2 = line
    dx, dy = x2 - x1, y2 - y1
    lo, hi = 0.0, 1.0
    for p, q in ((-dx, x1 - box[0]), (dx, box[2] - x1), (-dy, y1 - box[1]), (dy, box[3] - y1)):
        if p == 0:
            if q < 0:  # parallel to this edge and outside it
                return False
            continue
        t = q / p
        if p < 0:
            lo = max(lo, t)
        else:
            hi = min(hi, t)
        if lo > hi:
            return False
    return True


def _spread(arrows: list[tuple[_Box, _Box, str]], end: int) -> list[float]:
    """The x where each arrow leaves its source (``end=0``) or enters its target (``end=1``): the middle of
    the box, or where several arrows meet one box, spread across it in the order of their other ends, so
    two calls of a shared box between the same two boxes stay two arrows."""
    pairs = [(src, dst) if end == 0 else (dst, src) for src, dst, _ in arrows]  # (this end, the other end)
    xs = [0.0] * len(arrows)
    groups: dict[int, list[int]] = {}
    for k, (box, _) in enumerate(pairs):
        groups.setdefault(id(box), []).append(k)
    for ks in groups.values():
        box = pairs[ks[0]][0]
        ks.sort(key=lambda k: pairs[k][1].x + pairs[k][1].w / 2)
        for rank, k in enumerate(ks):
            xs[k] = box.x + box.w * (rank + 1) / (len(ks) + 1)
    return xs


def _draw_arrows(arrows: list[tuple[_Box, _Box, str]], items: list[Rect | Text | Arrow]) -> None:
    taken = [t.bounds() for t in items if isinstance(t, Text)]
    starts = _spread(arrows, 0)
    ends = _spread(arrows, 1)
    lines = [(starts[k], src.y + src.h, ends[k], dst.y) for k, (src, dst, _) in enumerate(arrows)]
    for k, (_, _, label) in enumerate(arrows):
        x1, y1, x2, y2 = lines[k]
        items.append(Arrow(x1, y1, x2, y2))
        text = _label(x1, y1, x2, y2, label, taken, lines[:k] + lines[k + 1:])
        taken.append(text.bounds())
        items.append(text)


def layout(model: keras.layers.Layer, depth: int | None = None) -> Scene:
    """The picture of ``model`` as a ``Scene`` of boxes, texts and arrows (pixel units)."""
    if depth is not None and (not isinstance(depth, int) or isinstance(depth, bool) or depth < 1):
        raise KernestError(f"plot(depth={depth!r}): depth is a whole number >= 1 (1 = the model's own layers).")
    top = root(model)
    box = _build(top, depth, title=str(model.name))
    if top.sites and top.sites[0].out_shapes and box.edges and graph_inputs(model) is not None:
        # the model's outputs as a last rank of small boxes
        outputs = keras.tree.flatten(model.outputs)
        out_row = []
        by_key = {b.key for row in box.rows for b in row}
        names = output_keys(model) or [f"output {i + 1}" if len(outputs) > 1 else "output" for i in range(len(outputs))]
        for t, name, shape, axes in zip(outputs, names, top.sites[0].out_shapes, top.sites[0].out_axes, strict=False):
            key = f"output:{name}"  # a dict key may also be a layer's name
            source = producer_name(t)
            if source in by_key:
                out_row.append(_leaf(key, name, "output", 1, io=True))
                box.edges.append((source, key, format_shape(shape, axes)))
        if out_row:
            box.rows.append(out_row)
            _measure(box)
    _place(box, PAD, PAD)
    items: list[Rect | Text | Arrow] = []
    arrows: list[tuple[_Box, _Box, str]] = []
    _emit(box, items, arrows)
    _draw_arrows(arrows, items)
    right = max([box.x + box.w] + [t.bounds()[2] for t in items if isinstance(t, Text)])
    return Scene(right + 2 * PAD, box.h + 2 * PAD, items)


# --- renderers -------------------------------------------------------------------------------------------

def to_svg(scene: Scene) -> str:
    """The scene as an SVG document (text)."""
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{scene.width:.0f}" height="{scene.height:.0f}" '
        f'viewBox="0 0 {scene.width:.0f} {scene.height:.0f}" font-family="DejaVu Sans Mono, monospace">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#333"/></marker></defs>',
        f'<rect x="0" y="0" width="{scene.width:.0f}" height="{scene.height:.0f}" fill="#ffffff"/>',
    ]
    for item in scene.items:
        if isinstance(item, Rect):
            dash = ' stroke-dasharray="4 3"' if item.dashed else ""
            out.append(f'<rect x="{item.x:.1f}" y="{item.y:.1f}" width="{item.w:.1f}" height="{item.h:.1f}" '
                       f'rx="4" fill="{item.fill}" stroke="#555"{dash}/>')
        elif isinstance(item, Text):
            weight = ' font-weight="bold"' if item.bold else ""
            out.append(f'<text x="{item.x:.1f}" y="{item.y:.1f}" font-size="{item.size}" '
                       f'text-anchor="{item.anchor}"{weight}>{escape(item.text)}</text>')
        else:
            out.append(f'<line x1="{item.x1:.1f}" y1="{item.y1:.1f}" x2="{item.x2:.1f}" y2="{item.y2:.1f}" '
                       'stroke="#333" marker-end="url(#arrow)"/>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def to_png(scene: Scene, path: str, dpi: int = 150) -> None:
    """Draw the scene with matplotlib's Agg canvas (no pyplot, no display) into a PNG file."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    pt = 72.0 / 100.0  # the scene is in pixels at 100 dpi
    fig = Figure(figsize=(scene.width / 100.0, scene.height / 100.0), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(0, scene.width)
    ax.set_ylim(scene.height, 0)
    ax.axis("off")
    for item in scene.items:
        if isinstance(item, Rect):
            ax.add_patch(FancyBboxPatch((item.x, item.y), item.w, item.h, boxstyle="round,pad=0,rounding_size=4",
                                        facecolor=item.fill, edgecolor="#555555",
                                        linestyle="--" if item.dashed else "-", linewidth=0.8))
        elif isinstance(item, Text):
            ax.text(item.x, item.y, item.text, fontsize=item.size * pt, family="monospace",
                    ha="center" if item.anchor == "middle" else "left", va="baseline",
                    fontweight="bold" if item.bold else "normal")
        else:
            ax.add_patch(FancyArrowPatch((item.x1, item.y1), (item.x2, item.y2), arrowstyle="-|>",
                                         mutation_scale=8, color="#333333", linewidth=0.8,
                                         shrinkA=0, shrinkB=0))
    fig.savefig(path, dpi=dpi, format="png", facecolor="white")


def plot(model: keras.layers.Layer, path: str | os.PathLike[str], *, depth: int | None = None) -> str:
    """Draw the nesting of ``model``: each submodel a box inside its parent, arrows labelled with shapes.

    By default only the submodel boundaries are opened: the model's own layers, and inside each submodel
    that holds submodels its layers; a submodel of plain layers is one closed box that says how many it
    holds. A shared submodel says how often it runs. No two arrow labels overlap.

    Args:
        model: a Keras model.
        path: the file to write, ``.png`` or ``.svg`` (chosen by the suffix). Written atomically.
        depth: open every box down to this depth instead (1 = only the model's own layers).

    Returns:
        The path written, as a string.

    Raises:
        KernestError: the suffix is neither ``.png`` nor ``.svg``, ``depth`` is not a whole number >= 1,
            or the file cannot be written.

    Example:
        >>> import os, tempfile, keras, kernest
        >>> x = keras.Input((4,), name="x")
        >>> model = keras.Model(x, keras.layers.Dense(2, name="head")(x), name="tiny")
        >>> out = kernest.plot(model, os.path.join(tempfile.mkdtemp(), "tiny.svg"))
        >>> "tiny" in open(out).read()
        True
    """
    target = os.fspath(path)
    kind = os.path.splitext(target)[1].lower()
    if kind not in (".png", ".svg"):
        raise KernestError(f"plot({target!r}): the file must end in '.png' or '.svg', e.g. 'model.svg'.")
    scene = layout(model, depth)
    if kind == ".svg":
        write_text_atomic(target, to_svg(scene), parents=False)
    else:
        try:
            write_atomic(target, lambda tmp: to_png(scene, str(tmp)), parents=False)
        except OSError as err:
            raise KernestError(f"Cannot write {target!r}: {err.strerror or err}.") from None
    return target
