"""``explain``: turn an exception raised inside Keras into an ``InterfaceError`` with path and fix.

A ``Case`` gathers what is known about one failure: the message, the nested frames a ``trace()``
recorded (the failing layer, its full path, the tensor each level received), and the user's variables.
Each *family* below recognises one way nested models break and computes the fix from this model's own
layers, axes and sizes. Without a trace (a raw exception given to ``explain``) the family reads what it
can from the message and the traceback, and looks names up in ``target``.
"""

from __future__ import annotations

import ast
import functools
import inspect
import itertools
import linecache
import math
import os
import re
import warnings
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from kernest._axes import Shape, expected_rank_text, fits, format_shape, shape_of
from kernest._axes import _infer as _infer_axes
from kernest._callsite import (
    DATA_METHODS,
    arguments_refused,
    assignment_of,
    calls_on,
    check_line,
    constructor_parameters,
    file_tree,
    first_listed,
    name_kw,
    parse_line,
    source_name,
    source_offset,
    user_source,
    user_tree,
    value_of,
)
from kernest._errors import InterfaceError, KernestError, Mismatch
from kernest._explain_api import api_failure
from kernest._explain_args import argument_failure
from kernest._explain_backend_layers import backend_layer_failure
from kernest._explain_boundary import boundary_failure
from kernest._explain_contracts import contract_failure
from kernest._explain_copies import copied_class_failure
from kernest._explain_custom import custom_code_failure, user_method
from kernest._explain_dtypes import dtype_failure
from kernest._explain_fit import fit_argument_failure, shared_optimizer
from kernest._explain_layout import (
    extra_features,
    grid_fix,
    grid_side,
    other_size_fix,
    positions_fix,
    square_grid_fix,
    swap_fix,
    swapped_axes,
)
from kernest._explain_merge import missing_join_fix, residual_fix
from kernest._explain_protocol import protocol_failure
from kernest._explain_script import script_failure
from kernest._explain_settings import _assignment_of, settings_failure
from kernest._explain_structure import structure_failure
from kernest._explain_torch_loss import sparse_loss_over_a_map
from kernest._explain_training import training_api_failure
from kernest._explain_usage import usage_failure
from kernest._explain_user_ops import einsum_failure, reshape_failure
from kernest._explain_written import division_hint, dropped_uses, written_failure
from kernest._graph import (
    built_input_keys,
    built_input_shapes,
    call_inputs,
    call_nodes,
    children,
    data_inputs,
    find_layer,
    graph_inputs,
    graph_nodes,
    input_struct,
    is_input_layer,
    is_symbolic,
    mask_of,
    node_of,
    outermost,
    output_struct,
    producer,
    producer_chain,
    returns_list,
    root_inputs,
)
from kernest._graph import layers as _walk  # (path, layer) at any depth: the one traversal
from kernest._lint import (
    batch_axis_merges,
    dropped_outputs,
    dropped_text,
    head_path,
    label_range_fix,
    loss_of,
    merge_fix,
    metric_reads_other_labels,
    state_count,
    states_fix,
    users_classes,
)
from kernest._lint import sparse_loss as _sparse_loss
from kernest._lint_constants import graph_reused_failure
from kernest._lint_order import _splice
from kernest._lint_protocol import elementwise_metric_on_class_ids
from kernest._probe import Probe, fix_text, probe_call, reduction
from kernest._runtime import (
    compiled_for_other_outputs,
    flat_data_element,
    in_users_code,
    lambda_refused_on_load,
    real_error_lost,
    split_refused,
    users_model_call,
)
from kernest._saving import copying
from kernest._trace import (
    Failure,
    Frame,
    Site,
    created_at,
    failure_of,
    frame_name,
    is_user_file,
    unfiltered_traceback,
    user_frames,
)

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_REDUCERS = (
    keras.layers.Flatten,
    keras.layers.GlobalMaxPooling1D,
    keras.layers.GlobalAveragePooling1D,
    keras.layers.GlobalMaxPooling2D,
    keras.layers.GlobalAveragePooling2D,
    keras.layers.GlobalMaxPooling3D,
    keras.layers.GlobalAveragePooling3D,
)


def _message(exc: BaseException) -> str:
    """The message Keras meant, without the colour codes and argument dump it may wrap it in."""
    text = _ANSI.sub("", str(exc))
    wrapped = re.search(r"Exception encountered when calling .*?\n\n(.*?)\n\nArguments received", text, re.S)
    text = (wrapped.group(1) if wrapped else text).strip()
    # A subclassed model's call that failed while Keras inferred its output shape: the reason is the inner error.
    inferred = re.search(r"Could not automatically infer the output shape / dtype of .*?Error encountered:\s*(\S.*)", text, re.S)
    return (inferred.group(1) if inferred else text).strip()


def keras_reason(exc: BaseException) -> str:
    """The first line of the message Keras meant (``_message``), e.g. for a note about a failed call."""
    return first_line(_message(exc)).rstrip(".") or type(exc).__name__


def first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


class Case:
    """One failure, with everything the families need to name it and compute its fix."""

    def __init__(self, exc: BaseException, target: Any = None, failure: Failure | None = None) -> None:
        self.exc = exc
        self.target = target
        self.message = _message(exc)
        self.failure: Failure | None = failure or failure_of(exc)
        self.frames: list[Frame] = self.failure.frames if self.failure else []
        self.scope = _scope(exc, self.failure)
        _symbolic_frames(self.frames)
        self.layer = self.frames[-1].layer if self.frames else None
        self.tensor = _first(self.frames[-1].inputs) if self.frames else None
        self.made_by = self.failure.made_by if self.failure is not None else {}
        self.meet, self.outer = _meeting_point(self.frames, self.made_by)
        self.site = self.failure.site if self.failure is not None else _last_user_site(exc)
        self.inner = self._inner_layer()
        self.fed_by: str | None = None  # what feeds the consumer, read from the graph when the tensors are data

    def _inner_layer(self) -> tuple[str, Any] | None:
        """Without a trace, Keras' filtered traceback stops at the outermost model it called: the layer inside
        it that the message names (or whose kernel shape it shows), with its path in that model."""
        if self.failure is None or self.failure.traced or not self.frames:
            return None
        deepest = self.frames[-1].layer
        if not isinstance(deepest, keras.Model):
            return None
        named = re.search(_LAYER, self.message)
        kernel = re.search(r"kernel shape=(\([^)]*\))", self.message)
        pool = re.search(r"pool_size=\[([\d ]+)\]", self.message)
        hits: list[tuple[str, Any]] = []
        if named and named.group("layer") != deepest.name:
            hits = [(p, layer) for p, layer in _walk(deepest) if p.rsplit("/", 1)[-1] == named.group("layer")]
        elif pool:
            window = _ints(pool.group(1))
            hits = [(p, layer) for p, layer in _walk(deepest) if tuple(getattr(layer, "pool_size", ()) or ()) == window]
        elif kernel:
            want = _parse_shape(kernel.group(1))
            hits = [(p, layer) for p, layer in _walk(deepest)
                    if tuple(getattr(layer, "kernel_size", ()) or ()) == want[:-2] and getattr(layer, "filters", None) == want[-1]]
        return hits[0] if len(hits) == 1 else None

    def locate_inner(self, wanted: Callable[[Any], bool]) -> None:
        """When the deepest frame is a whole model (Keras ran its graph without the inner layer's frame), the
        one layer inside it that ``wanted`` picks becomes the failing layer's inner path."""
        deepest = self.frames[-1].layer if self.frames else None
        if self.inner is not None or not isinstance(deepest, keras.Model):
            return
        hits = [(p, layer) for p, layer in _walk(deepest) if wanted(layer)]
        if len(hits) == 1:
            self.inner = hits[0]

    def inner_interface(self) -> str | None:
        """For an inner layer found without a trace: ``sibling -> layer`` when the layer before it in the same
        model fed it (its input did not cross into that model)."""
        if self.inner is None or "/" in self.inner[0]:
            return None
        model, layer = self.frames[-1].layer, self.inner[1]
        before = None
        if isinstance(model, keras.Sequential):
            layers = list(model.layers)
            i = next((j for j, x in enumerate(layers) if x is layer), 0)
            before = layers[i - 1] if i > 0 else None
        elif call_nodes(layer):
            given = call_inputs(layer)
            src = producer(given[0]) if given else None
            before = None if src is None or is_input_layer(src) else src
        return f"{before.name} -> {layer.name}" if before is not None else None

    def rebase_to_declared(self) -> None:
        """Move the interface up to the outermost model that was called on a tensor with another number
        of axes than its declared input: that is where the bad tensor crossed in."""
        for j, frame in enumerate(self.frames[: self.meet]):
            declared = getattr(frame.layer, "inputs", None) if isinstance(frame.layer, keras.Model) else None
            if frame.kind != "call" or not declared or not frame.inputs:
                continue
            try:
                ranks = [len(t.shape) for t in declared]
            except (AttributeError, ValueError):
                continue
            got = frame.inputs[0]
            if len(got.shape) not in ranks:
                self.meet, self.outer = j, got
                return

    def rebase_to_mismatched_input(self) -> bool:
        """At run time Keras lets a nested model be called on a tensor whose shape differs from its declared
        Input (it only warns when the graph is built), so the failure shows inside its first layer. Move the
        interface to the outermost nested model whose received shape does not fit its declared Input; say
        whether there was one."""
        for j in range(1, len(self.frames)):
            frame = self.frames[j]
            declared = graph_inputs(frame.layer) if isinstance(frame.layer, keras.Model) else None
            if frame.kind != "call" or not declared or not frame.inputs:
                continue
            want, got = shape_of(declared[0]), shape_of(frame.inputs[0])
            if len(want) == len(got) and not fits(want, got):
                self.meet, self.outer = j, frame.inputs[0]
                self.fed_by = _graph_feeder(self.frames[j - 1].layer, frame.layer)
                return True
        return False

    def rebase_to_outer_model(self) -> None:
        """For an axis too many: unless a layer inside made it (a Reshape, RepeatVector), the extra axis
        came in with the outermost model's input, so that model is what to map over it."""
        made_inside = (keras.layers.Reshape, keras.layers.RepeatVector)
        if self.tensor is not None and is_symbolic(self.tensor):
            if any(isinstance(layer, made_inside) for layer, _, _ in producer_chain(self.tensor)):
                return
        for j, frame in enumerate(self.frames[: self.meet]):
            if frame.kind == "call" and isinstance(frame.layer, keras.Model) and frame.inputs:
                self.meet, self.outer = j, frame.inputs[0]
                return

    # --- names -----------------------------------------------------------------------------------
    def var(self, obj: Any) -> str:
        """The user's variable name for ``obj``, or its Keras name."""
        for name, value in self.scope.items():
            if value is obj and not name.startswith("_"):
                return name
        return str(getattr(obj, "name", "model"))

    def path(self, fallback_name: str | None = None) -> str:
        if self.failure is not None:
            return f"{self.failure.path}/{self.inner[0]}" if self.inner is not None else self.failure.path
        if fallback_name is None:
            return "<model>"
        target = self.target if isinstance(self.target, keras.layers.Layer) else None
        for model in [target, *self.models()]:
            if model is not None:
                found = _paths_named(model, fallback_name)
                if found:
                    return found[0]
        return fallback_name

    @property
    def consumer(self) -> Any:
        return self.frames[self.meet].layer if self.frames else None

    def consumer_name(self, fallback: str = "?") -> str:
        return frame_name(self.frames[self.meet]) if self.frames else fallback

    def producer_name(self) -> str:
        t = self.outer
        if self.fed_by is not None:
            return self.fed_by
        if t is None:
            return "?"
        if not is_symbolic(t):
            made = self.made_by.get(id(t))
            return str(made.name) if made is not None else "data"
        src = producer(t)
        if src is None:
            return "?"
        if is_input_layer(src):
            guess = self.producer_model()
            return guess.name if guess is not None else f"input:{src.name}"
        return str(src.name)

    def producer_model(self) -> Any:
        """For a model built on its own ``keras.Input`` (not called on the producer's tensor), the model in
        the user's variables whose output has the shape that Input declares: the one meant to feed it."""
        t = self.outer
        if t is None or not self.frames or self.frames[self.meet].kind not in ("build", "construct"):
            return None
        return self.model_giving(shape_of(t), exclude=self.consumer)

    def upstream(self) -> list[tuple[Any, str]]:
        """Tensors to search upstream from, nearest first, with the path prefix of what is found there."""
        out: list[tuple[Any, str]] = []
        for t in (self.tensor, self.outer):
            if t is not None and is_symbolic(t) and all(t is not u for u, _ in out):
                out.append((t, ""))
        guess = self.producer_model()
        if guess is not None:
            out.append((guess.outputs[0], guess.name))
        return out

    def interface(self, fallback: str = "?") -> str:
        if not self.frames:
            return f"? -> {fallback}"
        inner = self.inner_interface()
        if inner is not None:
            return inner
        return f"{self.producer_name()} -> {self.consumer_name()}"

    def received(self, tensor: Any = None) -> str:
        t = tensor if tensor is not None else self.tensor
        if t is None or not hasattr(t, "shape"):
            return "?"
        return format_shape(shape_of(t), _infer_axes(t, {}) if is_symbolic(t) else None)

    # --- the user's objects ------------------------------------------------------------------------
    def models(self) -> list[Any]:
        found: list[Any] = []
        for value in self.scope.values():
            if isinstance(value, keras.Model) and all(value is not m for m in found):
                found.append(value)
        return found

    def fitted_model(self) -> Any:
        """The model whose fit/predict/evaluate call on the user's line failed, if that is what failed."""
        text = self.site.text if self.site is not None else ""
        found = re.search(r"(\w+)\.(?:fit|predict|evaluate|train_on_batch|test_on_batch|predict_on_batch)\(", text)
        value = self.scope.get(found.group(1)) if found else None
        return value if isinstance(value, keras.Model) else None

    def called_model(self) -> Any:
        """The model on the user's failing line: fitted, evaluated or predicted with, or called (``model(x)``)."""
        fitted = self.fitted_model()
        if fitted is not None:
            return fitted
        text = self.site.text if self.site is not None else ""
        for found in re.finditer(r"(?<![.\w])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\(", text):
            value = self._dotted(found.group(1))
            if isinstance(value, keras.Model):
                return value
        return None

    def _dotted(self, text: str) -> Any:
        """The user's object a name or an attribute chain names (``model.gen_G``); None where a part is missing."""
        head, *rest = text.split(".")
        value = self.scope.get(head)
        for attr in rest:
            value = getattr(value, attr, None) if value is not None and not isinstance(value, type) else None
        return value

    def call_argument(self, model: Any) -> str | None:
        """The source text of the first argument the user's line passes to ``model`` (``x[0]`` in ``model(x[0])``)."""
        text = self.site.text if self.site is not None else ""
        names = [n for n, v in self.scope.items() if v is model and not n.startswith("_")]
        names += [c for c in re.findall(r"(?<![.\w])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)\(", text) if self._dotted(c) is model]
        found = next((m for n in names for m in [re.search(rf"(?<![.\w]){re.escape(n)}(?:\.(?:predict|predict_on_batch))?\(",
                                                          text)] if m), None)
        if found is None:
            return None
        depth, start = 0, found.end()
        for i in range(start, len(text)):
            if text[i] in "([{":
                depth += 1
            elif text[i] in ")]}" and depth:
                depth -= 1
            elif text[i] in ",)" and not depth:
                arg = text[start:i].strip()  # a name, an item or an attribute of one; not a literal or a call
                return arg if re.fullmatch(r"[A-Za-z_][\w.]*(\[[^\[\]()]*\])*", arg) else None
        return None

    def model_giving(self, shape: Shape, exclude: Any = None) -> Any:
        for model in self.models():
            if model is exclude:
                continue
            try:
                outputs = model.outputs
            except (AttributeError, ValueError):
                continue
            if outputs and len(outputs) == 1 and shape_of(outputs[0])[1:] == shape[1:]:
                return model
        return None


def _graph_feeder(parent: Any, child: Any) -> str | None:
    """The name of what feeds ``child``'s call inside ``parent``'s graph (``input:NAME`` for a model input)."""
    if not isinstance(parent, keras.Model):
        return None
    mine = {id(n) for n in graph_nodes(parent)}
    for node in call_nodes(child):
        given = [t for t in keras.tree.flatten(node.arguments.args) if isinstance(t, keras.KerasTensor)]
        if id(node) in mine and given:
            src = producer(given[0])
            if src is None:
                return None
            return f"input:{src.name}" if is_input_layer(src) else str(src.name)
    return None


def call_text(case: Case, obj: Any) -> str:
    """The user's own expression that called ``obj`` on the failing line, e.g. ``detector(photo)``;
    ``VAR(...)`` when the line does not show it."""
    var = case.var(obj)
    site = case.site
    text = site.text if site is not None else ""
    start = text.find(f"{var}(")
    if start < 0:
        return f"{var}(...)"
    depth = 0
    for i in range(start + len(var), len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return text[start : i + 1]
    return f"{var}(...)"


def assigned_name(file: str, line: int) -> str | None:
    """The variable assigned by the statement of ``file`` that holds ``line`` (``head`` in ``head = ...``)."""
    import ast

    tree = file_tree(file)[1]
    if tree is None:
        return None
    best: ast.stmt | None = None
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.lineno <= line <= (node.end_lineno or node.lineno):
            if best is None or node.lineno >= best.lineno:
                best = node
    if isinstance(best, ast.Assign) and isinstance(best.targets[0], ast.Name):
        return best.targets[0].id
    if isinstance(best, ast.AnnAssign) and isinstance(best.target, ast.Name):
        return best.target.id
    return None


def _scope(exc: BaseException, failure: Failure | None) -> dict[str, Any]:
    """The user's variables where the failure happened: the traced line's frame, else the traceback's."""
    scope: dict[str, Any] = {}
    frames = user_frames(exc)
    for frame in frames:
        scope.update(frame.f_globals)
    for frame in frames:
        scope.update(frame.f_locals)
    if failure is not None and failure.scope:
        scope.update(failure.scope)
    return scope


def _last_user_site(exc: BaseException) -> Site | None:
    import linecache

    site = None
    tb = exc.__traceback__
    while tb is not None:
        file = tb.tb_frame.f_code.co_filename
        if is_user_file(file):
            site = Site(file, tb.tb_lineno, linecache.getline(file, tb.tb_lineno).strip())
        tb = tb.tb_next
    return site


def _symbolic_frames(frames: list[Frame]) -> None:
    """At run time a frame holds concrete tensors; where the layer sits once in its parent's graph, use
    the Keras tensors of that call instead, so producers and axis names are known as at build time."""
    for i in range(1, len(frames)):
        frame, parent = frames[i], frames[i - 1].layer
        if any(is_symbolic(t) for t in frame.inputs) or frame.kind != "call":
            continue
        nodes = [n for n in graph_nodes(parent) if n.operation is frame.layer]
        if len(nodes) == 1:
            tensors = [t for t in keras.tree.flatten(nodes[0].arguments.args) if is_symbolic(t)]
            if tensors:
                frame.inputs = tuple(tensors)


def _first(tensors: Any) -> Any:
    return tensors[0] if tensors else None


def _meeting_point(frames: list[Frame], made_by: dict[int, Any], index: int = 0) -> tuple[int, Any]:
    """The level at which the failing layer's input (its ``index``-th) crossed from its producer, and that tensor.

    Going up from the failing layer: while its input came in from outside its parent (an ``Input`` of
    the parent, or a tensor the parent was called on), the interface is one level higher."""
    if not frames:
        return 0, None
    i = len(frames) - 1
    given = frames[i].inputs
    t = given[index] if 0 < index < len(given) else _first(given)
    while i > 0 and t is not None:
        parent = frames[i - 1].layer
        src = producer(t) if is_symbolic(t) else made_by.get(id(t))
        if src is not None and not is_input_layer(src) and any(src is sub for _, sub in children(parent)):
            break
        i -= 1
        t = _matching(frames[i].inputs, t)
    return i, t


def _matching(candidates: tuple[Any, ...], t: Any) -> Any:
    for c in candidates:
        if c is t:
            return c
    same = [c for c in candidates if tuple(c.shape)[1:] == tuple(t.shape)[1:]]
    if same:
        return same[0]
    return candidates[0] if candidates else t


def _paths_named(model: Any, name: str) -> list[str]:
    """Every path at which a layer called ``name`` sits inside ``model`` (wrappers included)."""
    return [path for path, _ in _walk(model) if path.rsplit("/", 1)[-1] == name]


def _shape_text(raw: str) -> str:
    return format_shape(_parse_shape(raw))


def _parse_shape(raw: str) -> Shape:
    dims = [d.strip() for d in raw.strip("()[] ").split(",") if d.strip()]
    return tuple(None if d in ("None", "?") else int(d) for d in dims)


def _tuple(shape: Shape) -> str:
    """Python source for a shape tuple: ``(7, 7, 8)``, ``(392,)``, ``(None, 8)``."""
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join(str(d) for d in shape) + ")"


# --- shapes: an axis lost or too many ------------------------------------------------------------------

def _reducer(case: Case) -> tuple[Any, Shape, str] | None:
    """The layer upstream of the failing input that removed axes (Flatten, global pooling), the shape
    that went into it and its path; looks inside nested models."""
    for tensor, prefix in case.upstream():
        found = _reducer_before(tensor)
        if found is not None:
            layer, before, path = found
            return layer, before, f"{prefix}/{path}" if prefix else path
    # inside a subclassed model's call the tensors are placeholders: the tracer recorded their producers
    for t in (case.tensor, case.outer):
        made = case.made_by.get(id(t)) if t is not None and not is_symbolic(t) else None
        given = case.failure.made_from.get(id(t)) if case.failure is not None and made is not None else None
        if given and hasattr(given[0], "shape") and (isinstance(made, _REDUCERS) or _last_step_only(made)):
            return made, shape_of(given[0]), find_layer(case.frames[0].layer, made) or str(getattr(made, "name", "?"))
    return None


def _reducer_before(tensor: Any) -> tuple[Any, Shape, str] | None:
    for layer, path, t_in in producer_chain(tensor):
        if isinstance(layer, _REDUCERS):
            return layer, shape_of(t_in), path
        if _last_step_only(layer) and t_in is not None:
            return layer, shape_of(t_in), path
        if isinstance(layer, keras.Model):
            continue  # the chain steps inside it
        if t_in is not None and len(t_in.shape) > len(tensor.shape):
            return None  # some other layer changed the rank: not a reducer we can undo
    return None


def _last_step_only(layer: Any) -> bool:
    """An RNN (or Bidirectional one) that returns only its last step, removing the steps axis."""
    rnn = layer.forward_layer if isinstance(layer, keras.layers.Bidirectional) else layer
    return isinstance(rnn, keras.layers.RNN) and not getattr(rnn, "return_sequences", True)


_POOL_KEEPING_STEPS = {
    "GlobalMaxPooling1D": "MaxPooling1D(2)", "GlobalAveragePooling1D": "AveragePooling1D(2)",
    "GlobalMaxPooling2D": "MaxPooling2D(2)", "GlobalAveragePooling2D": "AveragePooling2D(2)",
}


def _square_split(n: int) -> tuple[int, int]:
    """(side, channels) with side * side * channels == n and the largest side."""
    for side in range(int(math.isqrt(n)), 0, -1):
        if n % (side * side) == 0:
            return side, n // (side * side)
    return 1, n


def _reshape_target(n: int, want: int, consumer: Any, before: Shape | None) -> Shape:
    """A non-batch shape of ``want - 1`` axes holding ``n`` values, from the shape a Flatten flattened if any."""
    axes = want - 1
    if before is not None and math.prod(d or 0 for d in before) == n and len(before) >= axes:
        head = before[: len(before) - axes + 1]
        return (math.prod(d or 0 for d in head),) + tuple(before[len(before) - axes + 1 :]) if axes > 0 else ()
    if axes == 1:
        return (n,)
    if axes == 2:
        return (n, 1)
    side, channels = _square_split(n)
    return (1,) * (axes - 3) + (side, side, channels)


def _seen_consumer(case: Case, reducer: Any) -> Any | None:
    """The model the user sees take the reduced tensor, where the failing layer sits inside it (a nested
    subclassed tower whose conv1d fails): advice reads "before tower", not "before conv1d". None where the failing
    layer is what the user sees, or the reducer is inside that model too."""
    seen, layer = case.consumer, case.layer
    if seen is None or seen is layer or not isinstance(seen, keras.Model):
        return None
    return seen if find_layer(seen, layer) is not None and find_layer(seen, reducer) is None else None


def _rank_lost(case: Case, want: int, got: int, received: str) -> str:
    layer = case.layer
    t = case.tensor
    name = getattr(layer, "name", "the layer")
    if t is None or not hasattr(t, "shape") or got != 2 and want - got != 1:
        return (
            f"{name} needs {want} axes but gets {got}: a Flatten or global pooling before it removed an axis. "
            f"Drop it so {name} gets the axes it needs, or add keras.layers.Reshape(...) before {name}."
        )
    shape = shape_of(t)
    found = _reducer(case)
    if found is None and want - got == 1:
        ids = _ids_without_embedding(case, layer, shape)
        return ids if ids is not None else _axis_of_one(case, shape, want)
    n = shape[-1] or 0
    if found is not None:
        reducer, before, where = found
        kind = type(reducer).__name__
        if isinstance(reducer, keras.layers.Flatten) and math.prod(d or 0 for d in before[1:]) == n:
            target = _reshape_target(n, want, layer, before[1:])
            seen = _seen_consumer(case, reducer)
            needs = f"{seen.name}'s {name}" if seen is not None else name
            return (
                f"{where} ({kind}) removed the axes of {format_shape(before)}, giving {received}; {needs} needs {want} axes. "
                f"Add keras.layers.Reshape({_tuple(target)}) before {seen.name if seen is not None else name} "
                f"({_product(n, target)}), or drop {where} so {needs} reads {format_shape(_regroup(before, want))}."
            )
        if isinstance(reducer, keras.layers.Flatten):
            target = tuple(before[1:])
            width = math.prod(d or 0 for d in target)
            return (
                f"{name} needs {want} axes; {where} flattened {format_shape(before)} upstream, then a layer made "
                f"{n} features. Add keras.layers.Dense({width}) and keras.layers.Reshape({_tuple(target)}) before "
                f"{name} to undo it."
            )
        if _last_step_only(reducer):
            return (
                f"{where} ({kind}) returns only its last step, so {name} gets {received} instead of the sequence "
                f"{format_shape(before[:2] + (shape[-1],))}. Build {reducer.name} with return_sequences=True so "
                f"{name} reads every step."
            )
        if isinstance(layer, _REDUCERS) and "/" in where:
            owner = where.rsplit("/", 1)[0]
            return (
                f"{where} ({kind}) already reduced {format_shape(before)} to {received} inside {owner}, and {name} "
                f"({type(layer).__name__}) would reduce it again. Drop {name} and use {owner}'s output as it is; or, "
                f"to pool here, build {owner} without its own pooling (pooling=None for a keras.applications model, "
                f"or end it before {where.rsplit('/', 1)[1]})."
            )
        keep = _POOL_KEEPING_STEPS.get(kind)
        return (
            f"{where} ({kind}) removed an axis of {format_shape(before)}, and {name} needs {want} axes: drop "
            f"{where} so {name} reads {format_shape(_regroup(before, want))}"
            + (f", or pool without removing the axis with keras.layers.{keep} in its place." if keep else ".")
        )
    target = _reshape_target(n, want, layer, None)
    return (
        f"{name} needs {want} axes but gets {received}. Add keras.layers.Reshape({_tuple(target)}) before "
        f"{name} ({_product(n, target)}), or feed it data with {want - 1} axes after the batch."
    )


_READS_VECTORS = (keras.layers.RNN, keras.layers.Bidirectional, keras.layers.Conv1D, keras.layers.MultiHeadAttention,
                  keras.layers.LayerNormalization)


def _ids_without_embedding(case: Case, layer: Any, shape: Shape) -> str | None:
    """Integer token ids (an int Input, or integer data) straight into a layer that reads a vector per step:
    the Embedding that turns each id into a vector is missing, not an axis of size 1."""
    if not isinstance(layer, _READS_VECTORS) or len(shape) != 2:
        return None
    outer = case.outer if case.outer is not None else case.tensor
    src = producer(outer) if outer is not None and is_symbolic(outer) else None
    if src is None or not is_input_layer(src) or "int" not in str(getattr(outer, "dtype", "")):
        return None
    model = case.fitted_model()
    data = getattr(model, "_kernest_data", None) if model is not None else None
    arrays = [a for a in (data if isinstance(data, (list, tuple)) else [data]) if isinstance(a, np.ndarray)]
    fed = [a for a in arrays if a.dtype.kind in "iu" and a.ndim == 2 and a.shape[1:] == tuple(shape[1:])]
    vocab = f"{int(max(a.max() for a in fed)) + 1}" if fed else "vocab_size"
    where = case.consumer_name(getattr(layer, "name", "the layer"))
    known = f" (the data's largest id is {int(vocab) - 1})" if fed else " (vocab_size: the largest id + 1)"
    held = next((n for n, v in case.scope.items() if v is outer and not n.startswith("_")), None)
    return (
        f"{held or src.name} holds integer ids {format_shape(shape)} ({getattr(outer, 'dtype', 'int')}), and "
        f"{getattr(layer, 'name', 'the layer')} ({type(layer).__name__}) reads a vector for each step: the Embedding "
        f"that turns each id into a vector is missing. Add keras.layers.Embedding({vocab}, 64) before {where}"
        f"{known}; an axis of size 1 would feed the ids to it as numbers."
    )


def _axis_of_one(case: Case, shape: Shape, want: int) -> str:
    """No layer upstream removed an axis: the input never had it, as data without a channels axis. Add
    one of size 1 where the tensor crossed in: last for channels_last layers, first after the batch for
    channels_first ones, so the values keep their order."""
    layer = case.inner[1] if case.inner is not None else case.layer
    name = getattr(layer, "name", "the layer")
    where = case.consumer_name(name) if case.inner is not None else name
    if case.meet < len(case.frames) - 1 and case.outer is not None and hasattr(case.outer, "shape"):
        outer = shape_of(case.outer)
        if isinstance(case.consumer, keras.layers.Wrapper) or len(outer) == len(shape):
            where, shape = case.consumer_name(name), outer
    first = getattr(layer, "data_format", None) == "channels_first"
    target = (1, *shape[1:]) if first else (*shape[1:], 1)
    if isinstance(layer, _CONV):
        rank = len(getattr(layer, "kernel_size", ())) or want - 2
        side = grid_side(shape[1], shape[2]) if rank == 2 and len(shape) == 3 and not first else None
        if side is not None:
            return grid_fix(name, where, shape[1], shape[2], side)
        return (
            f"{name} is a {rank}-D convolution or pooling and needs a channels axis, which this input never had: "
            f"add keras.layers.Reshape({_tuple(target)}) before {where} (one channel), or give the data "
            f"{'an axis of size 1 after the batch' if first else 'a last axis of size 1'}."
        )
    declared = _declared_input_fix(case, target, first)
    return (
        f"{name} needs {want} axes but gets {format_shape(shape)}, and no layer before it removed one. "
        + (declared + "or add" if declared else "Add") + f" keras.layers.Reshape({_tuple(target)}) before {where} "
        f"(a last axis of size 1), or feed it data with {want - 1} axes after the batch."
    )


def _declared_input_fix(case: Case, target: Shape, first: bool) -> str:
    """When the tensor is an Input the user holds (what crosses into the nested model, or reaches the layer),
    declare it with the missing last axis: a functional model adds a trailing axis of size 1 to data that
    lacks it, so the same arrays still fit. A nested Sequential made without an Input has one of its own,
    fed by the layers before it, which no declaration in the script changes: nothing is said for it."""
    if first:
        return ""
    for t in (case.outer, case.tensor):
        src = producer(t) if t is not None and is_symbolic(t) else None
        var = next((name for name, value in case.scope.items() if value is t and not name.startswith("_")), None)
        if src is not None and is_input_layer(src) and var is not None:
            return (f"Declare the Input with that axis, {var} = keras.Input(shape={_tuple(target)}) (a functional "
                    f"model adds the last axis of size 1 to data without it); ")
    return ""


_CONV2D = (keras.layers.Conv2D, keras.layers.Conv2DTranspose, keras.layers.SeparableConv2D,
           keras.layers.DepthwiseConv2D, keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)
_CONV = (*_CONV2D, keras.layers.Conv1D, keras.layers.Conv1DTranspose, keras.layers.SeparableConv1D,
         keras.layers.DepthwiseConv1D, keras.layers.Conv3D, keras.layers.Conv3DTranspose,
         keras.layers.MaxPooling1D, keras.layers.AveragePooling1D, keras.layers.MaxPooling3D,
         keras.layers.AveragePooling3D)


def _product(n: int, target: Shape) -> str:
    return f"{n} = {' × '.join(str(d) for d in target)}"


def _regroup(before: Shape, want: int) -> Shape:
    """``before`` with its leading non-batch axes merged so it has ``want`` axes."""
    dims = list(before[1:])
    while len(dims) > want - 1 and len(dims) > 1:
        dims[:2] = [(dims[0] or 0) * (dims[1] or 0)]
    return (None, *dims)


def _rank_extra(case: Case, want: int, got: int, received: str) -> str:
    layer = case.layer
    name = getattr(layer, "name", "the layer")
    one_hot = _one_hot_embedding(case.tensor)
    if one_hot is not None:
        return one_hot
    rows = _map_rows_as_steps(case, want, got)
    if rows is not None:
        return rows
    twice = _batched_twice(case, want)
    if twice is not None:
        return twice
    kept = _reshape_kept_batch(case, want, got)
    if kept is not None:
        return kept
    consumer = case.consumer if case.consumer is not None else layer
    reduced = _reduced_first(case, layer, got - want)
    if reduced is not None:
        return reduced
    outer = case.outer if case.outer is not None else case.tensor
    extra = got - want
    axis: str | int = 1
    if outer is not None and is_symbolic(outer):
        names = _infer_axes(outer, {})
        if names and names[0]:
            axis = names[0]
    var = case.var(consumer)
    axis_text = repr(axis) if isinstance(axis, str) else str(axis)
    mapped = f"keras.layers.TimeDistributed({var})" if extra == 1 else f"nested keras.layers.TimeDistributed({var})"
    return (
        f"{name} needs {want} axes but gets {got}: the input has {extra} axis(es) more than {case.consumer_name(name)} "
        f"handles. Apply {var} to every element along axis {axis_text} with kernest.over({axis_text}, {var}) or "
        f"{mapped}, or reduce that axis first (pooling or Flatten)."
    )


def _reshape_kept_batch(case: Case, want: int, got: int) -> str | None:
    """``Reshape((-1, 20, 6))`` where ``Reshape((20, 6))`` was meant: Keras' target shape leaves the batch
    out, so a leading -1 (or None) becomes an axis of size 1 after the batch."""
    for t in (case.outer, case.tensor):
        src = producer(t) if t is not None and is_symbolic(t) else None
        if not isinstance(src, keras.layers.Reshape):
            continue
        target = tuple(src.target_shape)
        if got - want != 1 or len(target) != got - 1 or target[0] not in (-1, None):
            continue
        meant = target[1:]
        return (
            f"{src.name} (Reshape) was given the target {_tuple(target)}, which counts the batch: Keras' Reshape "
            f"takes the shape of one sample and keeps the batch axis itself, so the leading {target[0]} became an "
            f"axis of size 1 and {case.consumer_name(getattr(case.layer, 'name', 'the layer'))} got {got} axes. "
            f"Leave the batch out: keras.layers.Reshape({_tuple(meant)})."
        )
    return None


def _kept_batch_probed(case: Case, probed: Probe) -> str | None:
    """``_reshape_kept_batch`` where a fresh copy of the layer accepted the input with one axis less."""
    given = case.frames[-1].inputs if case.frames else []
    if probed.found is None or probed.found.config is not None or not given:
        return None
    return _reshape_kept_batch(case, len(probed.found.shape), len(shape_of(given[0])))


def _reduced_first(case: Case, layer: Any, extra: int) -> str | None:
    """An axis too many before a layer that reads steps or repeats a vector (``_probe.reduction``): reduce it
    (the producing RNN's ``return_sequences=False``, pooling, or a Reshape that a fresh copy accepts), and map
    over it only if each element along it is an item of its own."""
    if case.inner is not None:  # without a trace the failing frame is the nested model: read the layer in it
        layer = case.inner[1]
    found = reduction(layer, case.tensor) if extra == 1 and case.tensor is not None else None
    if found is None:
        return None
    name, consumer = getattr(layer, "name", "the layer"), case.consumer if case.consumer is not None else layer
    rnn = _returning_rnn(case.tensor) or (_returning_rnn(case.outer) if case.outer is not None else None)
    first = f"set return_sequences=False on {rnn} (it returns every step), or " if rnn else ""
    var = case.var(consumer)
    return (f"{name} accepts {format_shape(found.shape)} but gets {case.received()}: one axis too many. Reduce it: "
            f"{first}put {found.adapter} just before {case.consumer_name(name)} to {found.how} (a fresh copy of {name} "
            f"accepts the result). If instead each element along axis 1 is an item of its own, apply {var} to each "
            f"with keras.layers.TimeDistributed({var}).")


def _batched_twice(case: Case, want: int) -> str | None:
    """A tf.data dataset on the user's fit/predict line whose elements already have a batch axis and were batched
    again (``ds.batch(8).batch(8)``, or ``from_tensor_slices`` of a batched array then ``.batch``)."""
    if case.fitted_model() is None:
        return None
    text = case.site.text if case.site is not None else ""
    for name in _call_names(case):
        spec = getattr(case.scope.get(name), "element_spec", None)
        first = keras.tree.flatten(spec)[0] if spec is not None else None
        shape, label = tuple(getattr(first, "shape", ()) or ()), name
        if len(shape) == want and re.search(rf"\b{name}\s*\.\s*batch\(", text):  # batched again on this line
            shape, label = (None, *shape), f"{name}.batch(...)"
        if len(shape) == want + 1:
            once = _without_last_batch(user_source(case), name, want)
            drop = f"drop the second .batch(): {once}" if once else "drop one .batch() call, or .unbatch() first"
            return (f"{label} yields {format_shape(shape)} per step: each element was a batch already, and .batch() "
                    f"added a second batch axis. Batch once ({drop}), so that "
                    f"each step gives {format_shape((None, *shape[2:]))}.")
    return None


def _without_last_batch(source: str, var: str, want: int) -> str | None:
    """The user's statement that made the dataset ``var`` by batching another one (``ds = loaded.shuffle(4).batch(4)``)
    without that last ``.batch(...)``, where what it batched was batched already (a ``.batch`` in its own making,
    or a dataset whose elements have the rank the model takes); None otherwise."""
    stmt = assignment_of(source, var) if source else None
    value = stmt.value if stmt is not None else None
    if not (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "batch"):
        return None
    base = value.func.value
    text = ast.unparse(base)
    root = base
    while isinstance(root, ast.Call) and isinstance(root.func, ast.Attribute):
        root = root.func.value
    made = assignment_of(source, root.id) if isinstance(root, ast.Name) else None
    batched = ".batch(" in text or (made is not None and ".batch(" in ast.unparse(made.value))
    return f"{var} = {text}" if batched else None


_MAPS_2D = (keras.layers.Conv2D, keras.layers.Conv2DTranspose, keras.layers.SeparableConv2D, keras.layers.DepthwiseConv2D,
            keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)


def _map_rows_as_steps(case: Case, want: int, got: int) -> str | None:
    """A sequence layer (RNN, Conv1D) fed a channels-last 2-D feature map: the usual fix (a CRNN) reads the
    map's rows as steps, each row's columns and channels as features. The map is looked for upstream of the
    tensor the layer got and, for a layer inside a nested model, of the tensor that model got."""
    if want != 3 or got != 4:
        return None
    passing = (keras.Model, keras.layers.Activation, keras.layers.BatchNormalization, keras.layers.Dropout)
    for t in (case.tensor, case.outer):
        if t is None or not is_symbolic(t):
            continue
        maker, where = next(((layer, path) for layer, path, _ in producer_chain(t) if not isinstance(layer, passing)),
                            (None, ""))
        if isinstance(maker, _MAPS_2D) and getattr(maker, "data_format", "channels_last") == "channels_last":
            break
    else:
        return None
    _, h, w, c = shape_of(t)
    if h is None or w is None or c is None:
        return None
    name = getattr(case.layer, "name", "the layer")
    return (f"{name} reads (batch, steps, features) and gets a {h} x {w} feature map with {c} channels from "
            f"{where}. Read its rows as steps: add keras.layers.Reshape(({h}, {w * c})) before {name} (each of the "
            f"{h} steps gets the row's {w} x {c} = {w * c} values), or pool one spatial axis away first; to run {name} "
            f"on every row on its own instead, wrap it in keras.layers.TimeDistributed.")


def _one_hot_embedding(tensor: Any) -> str | None:
    """The fix when the extra axis comes from one-hot (float) rows fed to an Embedding."""
    if tensor is None or not is_symbolic(tensor):
        return None
    for layer, path, t_in in producer_chain(tensor):
        if isinstance(layer, keras.layers.Embedding) and t_in is not None:
            if "float" in str(t_in.dtype) and len(t_in.shape) >= 2 and t_in.shape[-1] == layer.input_dim:
                width = int(t_in.shape[-1])
                return (
                    f"{path} (Embedding) got one-hot rows {format_shape(shape_of(t_in))} instead of integer ids, so "
                    f"it added an axis. Replace it by keras.layers.Dense({layer.output_dim}, use_bias=False) on the "
                    f"one-hot rows (the same lookup, {width} rows), or feed ids: keras.ops.argmax(x, axis=-1)."
                )
    return None


def _ndim(case: Case, m: re.Match[str]) -> Mismatch:
    case.rebase_to_declared()
    want, got = int(m.group("want")), int(m.group("got"))
    kind = m.group("kind") or ""
    received = case.received() if case.tensor is not None else _shape_text(m.group("shape"))
    name = m.group("layer")
    if got < want and kind != "max_":
        fix = _rank_lost(case, want, got, received)
    else:
        counted = _input_counts_batch(case, want, got) if got == want + 1 and kind != "min_" else None
        if counted is not None:
            return counted
        if _one_hot_embedding(case.tensor) is None:
            case.rebase_to_outer_model()
        fix = _rank_extra(case, want, got, received)
    expected = _expected_rank(case.layer, want, kind)
    return Mismatch(case.path(name), case.interface(name), expected, received, fix)


def _input_counts_batch(case: Case, want: int, got: int) -> Mismatch | None:
    """A ``keras.Input(shape=(None, 28, 28, 1))`` written with the batch axis, as the data's shape reads: Keras adds
    a batch axis of its own, so the first layer gets one axis too many. Said only where an array in the user's scope
    has the shape of one such sample per row, ``(n, 28, 28, 1)``."""
    import numpy as np

    tensor = case.tensor
    layer = case.layer
    if tensor is None or layer is None or not is_symbolic(tensor):
        return None
    roots = root_inputs(tensor)
    declared = shape_of(roots[0])[1:] if len(roots) == 1 else ()
    rest = declared[1:]
    if len(declared) != got - 1 or declared[0] is not None or not rest or any(d is None for d in rest):
        return None
    arrays = [k for k, v in case.scope.items() if isinstance(v, np.ndarray) and v.shape[1:] == tuple(rest)]
    if not arrays:
        return None
    source = user_source(case)
    text = _input_text(source, str(getattr(producer(roots[0]), "name", "")), declared)
    shape_text = _tuple(tuple(rest))
    fixed = _with_shape(text, shape_text) if text else f"keras.Input(shape={shape_text})"
    src = producer(tensor)
    name = str(layer.name)
    side = f"input:{src.name}" if src is not None and is_input_layer(src) else str(getattr(src, "name", "data"))
    return Mismatch(
        case.path(name), f"{side} -> {name}", _expected_rank(layer, want, ""), case.received(),
        f"the Input declares {_tuple(tuple(declared))} for one sample, the batch axis included, as {arrays[0]}'s shape "
        f"{_tuple(tuple(case.scope[arrays[0]].shape))} reads; Keras adds the batch axis itself, so {name} gets {got} "
        f"axes where it takes {want}. Give the shape of one sample: {fixed}.",
    )


def _input_text(source: str, name: str, declared: Shape) -> str | None:
    """The user's ``keras.Input(...)`` call that made the input ``name`` (or, unnamed, declared ``declared``)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and ast.unparse(node.func).split(".")[-1] in ("Input", "InputLayer"):
            named = any(k.arg == "name" and isinstance(k.value, ast.Constant) and k.value.value == name
                        for k in node.keywords)
            found.append((not named, ast.get_source_segment(source, node)))
    found.sort(key=lambda f: f[0])
    if found and not found[0][0]:
        return found[0][1]
    shape = "(" + ", ".join("None" if d is None else str(d) for d in declared) + ")"
    same = [t for _, t in found if t and shape.replace(" ", "") in t.replace(" ", "")]
    return same[0] if len(same) == 1 else None


def _with_shape(text: str, shape: str) -> str:
    """The Input call ``text`` with its shape (by keyword or first positional argument) set to ``shape``."""
    try:
        call = ast.parse(text, mode="eval").body
    except SyntaxError:
        return text
    if not isinstance(call, ast.Call):
        return text
    node = next((k.value for k in call.keywords if k.arg == "shape"), call.args[0] if call.args else None)
    segment = ast.get_source_segment(text, node) if node is not None else None
    return text.replace(segment, shape, 1) if segment else text


def _expected_rank(layer: Any, want: int, kind: str) -> str:
    """The input ``layer`` wants, in words (its ``data_format`` decides where the channels go)."""
    text = expected_rank_text(layer, want) if 3 <= want <= 5 else f"{want} axes"
    return {"min_": f"at least {text}", "max_": f"at most {want} axes"}.get(kind, text)


def _kernel_rank(case: Case, m: re.Match[str]) -> Mismatch:
    want, got = len(_parse_shape(m.group("kernel"))), len(_parse_shape(m.group("shape")))
    counted = _input_counts_batch(case, want, got) if got == want + 1 else None
    if counted is not None:
        return counted
    if got > want:
        received = case.received() if case.tensor is not None else _shape_text(m.group("shape"))
        name = getattr(case.layer, "name", "conv")
        return Mismatch(case.path(name), case.interface(name), _expected_rank(case.layer, want, ""), received,
                        _rank_extra(case, want, got, received))
    received = case.received() if case.tensor is not None else _shape_text(m.group("shape"))
    outer = case.outer if case.outer is not None else case.tensor
    if outer is not None and hasattr(outer, "shape"):
        target = shape_of(outer)[1:] + (1,)
        where = case.consumer_name("the convolution")
        fix = (f"the convolution got images without a channels axis. Add it: keras.layers.Reshape({_tuple(target)}) "
               f"before {where}, or give the data a last axis of size 1.")
    else:
        fix = ("the convolution got an input without a channels axis: add one with keras.layers.Reshape((..., 1)), "
               "or give the data a last axis of size 1.")
    return Mismatch(case.path("conv"), case.interface("conv"), _expected_rank(case.layer, want, ""), received, fix)


# --- shapes: a size differs -------------------------------------------------------------------------------

def _axis_value(case: Case, m: re.Match[str]) -> Mismatch:
    want, name = int(m.group("want")), m.group("layer")
    # a nested model given data of another width (Keras let a trailing axis of 1 pass its Input): the width came
    # with the data, so no layer inside declares a wrong output shape
    arrived = _parse_shape(m.group("shape"))[-1:] or (None,)
    rebased = case.failure is not None and (case.rebase_to_mismatched_input() or _rebase_to_data(case, arrived[0]))
    got_shape = shape_of(case.outer) if case.outer is not None else _parse_shape(m.group("shape"))
    declared_wrong = None if rebased else _declared_shape_lies(case, name, want, _parse_shape(m.group("shape")))
    if declared_wrong is not None:
        return declared_wrong
    return _width_mismatch(case, name, (None, want), got_shape)


def _data_off_built_shapes(case: Case) -> Mismatch | None:
    """A subclassed model (no declared Input: the shapes it was first called with are its interface) called on an
    array that is one sample of what it was built on (its shape without the batch axis, as one sentence's ids
    where a batch of sentences goes), or that holds the built sizes in another axis order (an edge list
    ``(2, edges)`` where ``(edges, 2)`` was built; channels-first steps). Keras checks nothing at a subclassed
    model's call, so the failure came deeper, in a layer that cannot say it was the data."""
    model, given_inputs, named = case.called_model(), [], None
    frame = case.frames[0] if case.frames else None
    if model is not None and frame is not None and frame.layer is model and frame.kind == "call":
        given_inputs = list(frame.inputs)
    else:  # a jitted predict (JAX) runs the model's call where no frame of ours sees it: read the user's line
        model, named = _outer_model_call(case)
        given_inputs = [named[1]] if named is not None else []
    if model is None or graph_inputs(model) or not given_inputs:
        return None
    built = built_input_shapes(model)
    if not built or len(built) != len(given_inputs):
        return None
    where = str(getattr(model, "name", "model"))
    for k, (declared, given) in enumerate(zip(built, given_inputs, strict=True)):
        if given is None or is_symbolic(given) or not hasattr(given, "shape"):
            continue
        got = shape_of(given)
        if fits(declared, got):
            continue
        if len(got) == len(declared) - 1 and fits(declared, (None, *got)):
            return _missing_batch(case, where, declared, got, var=named[0] if named is not None else None)
        swap = _swapped_pair(declared, got, integer="int" in str(getattr(given, "dtype", "")))
        label = f"its argument {k + 1} of {len(built)}" if len(built) > 1 else "its input"
        data = _data_name(case, got) or (case.call_argument(model) if len(built) == 1 else _list_item(case, model, k))
        deeper = case.failure.path if case.failure is not None else where
        if swap is None and (resized := other_size_fix(where, label, declared, got, data, deeper)) is not None:
            # a model that takes any size that pools evenly (a U-Net) kept no size of its first call
            return _sides_not_a_multiple(case) or Mismatch(case.path(where) if case.failure is not None else where, f"data -> {where}",
                            format_shape(declared), _tuple(got), resized)
        if swap is None:
            continue
        i, j = swap
        how = (f"{data[:-2]} as it is, not {data}" if data is not None and data.endswith(".T") else
               f"{data}.T" if data is not None and len(got) == 2 else
               f"np.swapaxes({data}, {i}, {j})" if data is not None else f"np.swapaxes(<the array>, {i}, {j})")
        fixed = _tuple(tuple(got[j] if a == i else got[i] if a == j else d for a, d in enumerate(got)))
        order, said = _axis_order(declared, got), f"axes {i} and {j} swapped"
        if order is not None and sum(a != b for a, b in enumerate(order)) > 2:
            # one axis moved to the other end (channels last for channels first): a swap would also fit the sizes,
            # but it would reverse the axes of equal size between them (transpose a map or an adjacency)
            how = f"np.transpose({data or '<the array>'}, {order})"
            said, fixed = "axis 1 moved to the end" if order[1] == len(got) - 1 else "another axis order", \
                _tuple(tuple(got[a] for a in order))
        fix = (f"{where} was built with {label} shaped {format_shape(declared)} and gets {_tuple(got)}: the "
               f"same sizes with {said}. A subclassed model checks nothing at its call, so it "
               f"failed deeper, at {case.failure.path if case.failure is not None else where}. Put them back with "
               f"{how}, which gives {fixed}.")
        return Mismatch(case.path(where) if case.failure is not None else where, f"data -> {where}",
                        format_shape(declared), _tuple(got), fix)
    return None


def _outer_model_call(case: Case) -> tuple[Any, tuple[str, Any] | None]:
    """The outermost line of the user's that calls a model (``model.predict(sample)``, ``model(sample)``) on
    one named array: (the model, (the name, the array)); (None, None) where no such line is found."""
    for frame in user_frames(case.exc):
        text = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
        scope = {**frame.f_globals, **frame.f_locals}
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in ("predict", "predict_on_batch", "fit", "evaluate"):
                func = func.value
            model = _resolve(func, scope)
            arg = node.args[0] if isinstance(model, keras.Model) and node.args else None
            if isinstance(arg, ast.Name) and isinstance(getattr(scope.get(arg.id), "ndim", None), int):
                return model, (arg.id, scope[arg.id])
    return None, None


def _resolve(node: ast.expr, scope: dict[str, Any]) -> Any:
    """The object a name or an attribute chain (``model.gen_G``) names in ``scope``; None otherwise."""
    if isinstance(node, ast.Name):
        return scope.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _resolve(node.value, scope)
        return getattr(owner, node.attr, None) if owner is not None and not isinstance(owner, type) else None
    return None


def _list_item(case: Case, model: Any, k: int) -> str | None:
    """The source text of item ``k`` of the list or tuple the user's line passes to ``model``
    (``edges.T`` in ``model([node_states, edges.T])``)."""
    text = case.site.text.strip() if case.site is not None else ""
    names = {n for n, v in case.scope.items() if v is model}
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        callee = func.value if isinstance(func, ast.Attribute) and func.attr in ("predict", "predict_on_batch") else func
        if isinstance(callee, ast.Name) and callee.id in names and node.args \
                and isinstance(node.args[0], (ast.List, ast.Tuple)) and k < len(node.args[0].elts):
            return ast.get_source_segment(text, node.args[0].elts[k])
    return None


def _swapped_pair(declared: Shape, got: Shape, integer: bool) -> tuple[int, int] | None:
    """The two axes of ``got`` whose swap makes it fit ``declared`` (the batch axis free), where it does not fit
    as it is. The batch axis itself takes part only for integer arrays (index lists such as edges, whose first
    axis counts the pairs): a float array whose batch size equals a feature size is not told to transpose."""
    if len(got) != len(declared) or len(got) < 2:
        return None
    for i, j in itertools.combinations(range(0 if integer else 1, len(got)), 2):
        swapped = tuple(got[j] if a == i else got[i] if a == j else d for a, d in enumerate(got))
        if got[i] != got[j] and fits(declared, swapped) and None not in (got[i], got[j]):
            return i, j
    return None


def _rebase_to_data(case: Case, width: int | None) -> bool:
    """Where the outermost model was called on data of last axis ``width`` (the width that arrived where Keras
    failed) though its declared Input's differs (Keras lets a trailing axis of 1 pass; a recurrent layer checks
    each step only inside its loop), move the interface to that data and say so."""
    if not case.frames:
        return False
    frame = case.frames[0]
    declared = graph_inputs(frame.layer) if isinstance(frame.layer, keras.Model) else None
    if not declared or not frame.inputs or frame.kind != "call":
        return False
    want, got = shape_of(declared[0]), shape_of(frame.inputs[0])
    if len(want) != len(got) or want[-1] is None or got[-1] == want[-1] or got[-1] != width:
        return False
    case.meet, case.outer = 0, frame.inputs[0]
    return True


def _data_off_declared_input(case: Case) -> Mismatch | None:
    """The model on the user's line was called on data that does not fit the shape its Input declares (another
    image size, another number of channels), and Keras, which checks only the rank there, let it in: the failure
    came deeper, where the odd size first met a layer or op made for the declared one. The interface is the data's:
    name the input, both shapes, and what makes the data fit."""
    model = case.called_model()
    if model is None or case.failure is None or len(case.frames) < 2:
        return None
    frame = case.frames[0]
    declared_inputs = graph_inputs(frame.layer) if frame.layer is model and frame.kind == "call" else None
    if not declared_inputs or len(declared_inputs) != len(frame.inputs):
        return None
    for k, (t, given) in enumerate(zip(declared_inputs, frame.inputs, strict=True)):
        if given is None or is_symbolic(given) or not hasattr(given, "shape"):
            continue
        declared, got = shape_of(t), shape_of(given)
        if len(declared) != len(got) or fits(declared, got):
            continue
        where = str(getattr(model, "name", "model"))
        var = case.var(model)
        several = len(declared_inputs) > 1
        label = str(getattr(t, "name", "") or "")
        name = f"{var}'s input {label!r}" if several or not re.match(r"(keras_tensor|input_layer)(_\d+)?$", label) else var
        data = _data_name(case, got) or case.call_argument(model) or "x"
        differ = [i for i in range(1, len(declared)) if declared[i] is not None and declared[i] != got[i]]
        if _other_image_size(declared, got) and (_reads_images(model) or declared[-1] == 3):  # 3: RGB
            fix = _resize_fix(name, declared, got, _rebuild_blocker(model, got, index=k if several else None),
                              data if several else None)
        elif differ == [len(declared) - 1] and (joined := _joined_for(case, model, got[-1], declared[-1], data)):
            fix = joined
        elif differ == [len(declared) - 1]:
            want, have = declared[-1], got[-1]
            mix = (f" (to mix {have} channels down to one: {data}.mean(axis=-1, keepdims=True))" if want == 1 else
                   f" (grey images as RGB: np.repeat({data}, 3, axis=-1))" if have == 1 and want == 3 and len(got) == 4
                   else "")
            fix = (f"{name} was declared {format_shape(declared)} and gets {format_shape(got)}: {have} on its last "
                   f"axis where it takes {want}. Keras checks only the rank of what a model is called on, so it failed deeper, at "
                   f"{case.failure.path}. Pass arrays of {want} on the last axis, as {where} was built for{mix}, or "
                   f"build {where} for {have}.")
        else:
            fix = (f"{name} was declared {format_shape(declared)} and gets {format_shape(got)}; Keras checks only the "
                   f"rank of what a model is called on, so it failed deeper, at {case.failure.path}. Pass arrays "
                   f"shaped {format_shape(declared)}, as {where} was built for, or build {where} for the new shape.")
        # the path is where Keras failed (as where a width came with the data); the interface is the data's
        return Mismatch(case.path(where), f"data -> {where}", format_shape(declared), format_shape(got), fix)
    return None


def _declared_shape_lies(case: Case, layer_name: str, want: int, real: Shape) -> Mismatch | None:
    """The graph said the width fits (the consumer was built for it), yet at run time another width arrived:
    the layer before it declares an output shape its call does not return. Keras builds everything after it
    from the declared shape (a Lambda's ``output_shape``), so it fails only once data flows."""
    given = case.outer if is_symbolic(case.outer) else None
    if given is None:  # no trace: the layer Keras names, found in the user's models, and what it was called on
        found = [lay for model in case.models() for _, lay in _walk(model) if lay.name == layer_name]
        inputs = call_inputs(found[0]) if found else []
        given = inputs[0] if inputs else None
    if given is None or not real or real[-1] is None or real[-1] == want:
        return None
    symbolic = shape_of(given)
    if symbolic[-1] != want:
        return None
    src: Any = producer(given)
    if src is None or is_input_layer(src):
        return None
    name = layer_name  # the layer Keras names: the one built for the declared width
    true = _tuple(tuple(real[1:]))
    if isinstance(src, keras.layers.Lambda) and getattr(src, "_output_shape", None) is not None:
        change = (f"Write output_shape={true} in {src.name}'s Lambda (or leave output_shape out: Keras 3 infers it "
                  f"by running the function on a symbolic tensor)")
    else:
        change = f"Make {type(src).__name__}.compute_output_shape return {true}, what its call returns"
    fix = (f"{src.name} declares its output as {format_shape(symbolic)}, so {name} was built for {want} features, "
           f"but at run time it returns {format_shape((None, *real[1:]))}. {change}; "
           f"{name} is then built for {real[-1]}.")
    return Mismatch(case.path(name), f"{src.name} -> {name}", f"(batch, ..., {want}) as {src.name} declares",
                    format_shape((None, *real[1:])), fix)


def _dict_given_list(case: Case) -> bool:
    frame = case.frames[case.meet] if case.frames else None
    return frame is not None and bool(_input_keys(frame.layer)) and isinstance(frame.data, (list, tuple))


def _list_for_dict(case: Case) -> Mismatch:
    """A model built on a dict of inputs, called with a list: Keras pairs them by sorted key, not by
    meaning. Give the dict, each tensor under the key whose declared shape it has."""
    frame = case.frames[case.meet]
    model, given = frame.layer, list(frame.data)
    struct = input_struct(model)
    left, entries = list(given), []
    for key, declared in struct.items():
        match = next((t for t in left if fits(shape_of(declared), shape_of(t))), left[0] if left else None)
        if match is not None:
            left.remove(match)
        entries.append(f'"{key}": {case.var(match) if match is not None else "..."}')
    name = frame_name(frame)
    call = f"{case.var(model)}({{{', '.join(entries)}}})"
    return Mismatch(
        case.path(name), case.interface(name), "a dict with keys " + ", ".join(struct), f"a list of {len(given)} tensors",
        f"{name} was built on a dict of inputs, and a list is matched to its keys in sorted order, not by meaning. "
        f"Pass the dict: {call}.",
    )


def _width_mismatch(case: Case, name: str, declared: Shape, got_shape: Shape) -> Mismatch:
    """The last axis (features) differs: an adapter, or the consumer rebuilt for the width it gets."""
    if _dict_given_list(case):
        return _list_for_dict(case)
    want, got = declared[-1], got_shape[-1]
    received = case.received(case.outer) if case.outer is not None else format_shape(got_shape)
    odd = next(iter(_arrays_named(case, got_shape)), None)
    peer = next((n for n in _arrays_named(case, (*got_shape[:-1], want)) if n not in _label_and_weight_names(case)), None)
    trained = _trained_model_run(case)
    model = trained or (case.fitted_model() if peer is not None else None)
    if model is not None and odd is not None and odd != peer and want is not None:
        return _made_another_way(case, model, want, got_shape, odd, peer)
    consumer = case.consumer
    ids = _ids_length_fix(case, consumer, want, got)
    if ids is not None:
        return Mismatch(case.path(name), case.interface(name), f"(batch, {want})", received, ids)
    joined = _joined_for(case, consumer, got, want, odd or "x")
    if joined is not None:
        return Mismatch(case.path(name), case.interface(name), f"(batch, ..., {want})", received, joined)
    rebuild, refused_shape = "", None
    if isinstance(consumer, keras.Model) and getattr(consumer, "inputs", None):
        inputs = keras.tree.flatten(consumer.inputs)
        said = re.match(r"\s*Input (\d+) with name", case.message)  # Keras numbers the input it refuses
        refused = inputs[int(said.group(1))] if said and int(said.group(1)) < len(inputs) else next(
            (t for t in inputs if fits(shape_of(t)[:-1], tuple(got_shape[:-1])) and shape_of(t)[-1] == want), inputs[0])
        refused_shape = shape_of(refused)
        declared = refused_shape[1:]
        new = declared[:-1] + (got,)
        # a new width resizes the kernels that read it (new weights, to train); state learned from data that a
        # rebuild would lose (an adapted Normalization) or a layer that fails is what blocks it
        blocker = (_rebuild_blocker(consumer, (None, *got_shape[1:]), kernels_may_resize=True)
                   or _rebuild_blocker(consumer, (None, *new), kernels_may_resize=True)
                   if _one_input(consumer) is not None else None)
        which = f"its input {refused.name!r} as " if len(inputs) > 1 else ""
        rebuild = (f". Rebuilding {case.var(consumer)} with keras.Input(shape={_tuple(new)}) does not work as it is: "
                   f"{blocker} is made for {want} features (rebuilt for {got} it fails or needs new weights)"
                   if blocker else
                   f", or rebuild {case.var(consumer)} with {which}keras.Input(shape={_tuple(new)}) for the width it receives "
                   f"(input_shape={_tuple(new)} where a builder function such as a keras.applications model makes it; "
                   f"pretrained weights keep the width they were trained for)")
    elif consumer is not None:
        rebuild = f", or use a new {type(consumer).__name__} built for {got} features"
    producer_text = case.producer_name() if case.frames else "the previous stage"
    cut = _cut_before_width(case, want)
    if cut is not None:
        return Mismatch(case.path(name), case.interface(name), f"(batch, ..., {want})", received, cut)
    extra = ""
    if producer_text == "data" and refused_shape is not None and consumer is case.called_model():
        model, var = case.var(consumer), _data_name(case, got_shape) or case.call_argument(consumer) or "x"
        axis = swapped_axes(refused_shape, tuple(got_shape))
        if axis is not None:
            return Mismatch(case.path(name), case.interface(name), f"(batch, ..., {want})", received,
                            swap_fix(model, var, tuple(got_shape), axis))
        if len(got_shape) >= 3 and isinstance(want, int) and isinstance(got, int) and got > want:
            extra = extra_features(model, var, want, got) + "Otherwise: "
    inner_call = _fed_in_users_call(case, case.path(name), got, want) if producer_text == "data" else None
    if inner_call is not None:
        return inner_call
    if producer_text == "data" and len(got_shape) == 2 and consumer is not None and consumer is case.called_model():
        return Mismatch(case.path(name), case.interface(name), f"(batch, ..., {want})", received,
                        _data_width_fix(case.consumer_name(name), want, got, rebuild))
    spatial = len(got_shape) - 2
    adapter = (f"keras.layers.Conv{spatial}D({want}, 1) (a 1x1 convolution)" if 1 <= spatial <= 3 and len(got_shape) >= 3
               and isinstance(consumer, keras.Model) and _is_conv_input(consumer) else f"keras.layers.Dense({want})")
    fix = (f"{extra}{producer_text} gives {got} features but {case.consumer_name(name)} was built for {want}. Add "
           f"{adapter} between them to project {got} -> {want}{rebuild}.")
    return Mismatch(case.path(name), case.interface(name), f"(batch, ..., {want})", received, fix)


def _joined_for(case: Case, part: Any, got: Any, want: Any, given: str) -> str | None:
    """``missing_join_fix`` where the target is a model and the widths are known."""
    if not isinstance(case.target, keras.Model) or part is None or not isinstance(got, int) or not isinstance(want, int):
        return None
    return missing_join_fix(case.target, part, got, want, given)


def _cut_before_width(case: Case, want: Any) -> str | None:
    """The producer is a model cut out of a bigger one (``keras.Model(encoder.input,
    encoder.get_layer("pool").output)``), and in that bigger model its output goes on, one layer after another,
    to a tensor of the width the consumer was built for: the consumer was made for the bigger model's output, and
    a projection between them would hide that the model was cut too early. The cut to suggest is the first layer
    of that width (AdaIN's decoder takes VGG19's block4_conv1, not the pooled end of the backbone)."""
    outer = case.outer
    cut = producer(outer) if outer is not None and is_symbolic(outer) else None
    outputs = keras.tree.flatten(cut.outputs) if cut is not None and graph_inputs(cut) else None
    if cut is None or want is None or not outputs or len(outputs) != 1:
        return None
    own = {id(layer) for _, layer in _walk(cut)}
    tensor, chain = outputs[0], list[str]()
    start = getattr(tensor, "_keras_history", None)
    while len(chain) < 12 and (not chain or shape_of(tensor)[-1] != want):  # the first layer of that width
        history = getattr(tensor, "_keras_history", None)
        nodes = [n for n in getattr(history.operation, "_outbound_nodes", []) if id(n.operation) not in own] \
            if history is not None else []
        if len(nodes) != 1 or len(nodes[0].outputs) != 1:
            break
        tensor = nodes[0].outputs[0]
        chain.append(str(nodes[0].operation.name))
    if not chain or shape_of(tensor)[-1] != want:
        return None
    end = str(start.operation.name) if start is not None else "its output"
    seen = case.consumer_name(getattr(case.consumer, "name", "the consumer"))
    history = getattr(tensor, "_keras_history", None)
    last = history is None or not getattr(history.operation, "_outbound_nodes", [])  # the bigger model's output
    feed = f"Feed {seen} the bigger model's output, or cut" if last else "Cut"
    return (f"{cut.name} was cut out of a bigger model at {end}, which gives {shape_of(outputs[0])[-1]} features; in "
            f"that model they go on through {', '.join(chain)} to {want} features, the width {seen} was built for. "
            f"{feed} {cut.name} at {chain[-1]} "
            f"(keras.Model(..., <model>.get_layer({chain[-1]!r}).output)); a Dense({want}) between them would "
            f"hide the missing layers.")


def _data_width_fix(name: str, want: Any, got: Any, rebuild: str = "") -> str:
    """Arrays of ``got`` features for a model built for ``want``; ``rebuild`` says how to build it for ``got``."""
    return (f"{name} was built for {want} features per sample (by its Input, or by the first data it was called or "
            f"fitted on) and the data given here has {got}: pass arrays of {want} features, made the same way as the "
            f"data it was built on{rebuild or f', or build a new model for {got} features'}.")


def _ids_length_fix(case: Case, consumer: Any, want: Any, got: Any) -> str | None:
    """A model taking integer ids (a token sequence) given sequences of another length: the last axis is steps,
    not features, so no projection can help; the sequences are padded or cut, or the model rebuilt (with every
    table made for that length, such as a position embedding)."""
    inputs = list(getattr(consumer, "inputs", None) or []) if isinstance(consumer, keras.Model) else []
    refused = [t for t in inputs if len(shape_of(t)) == 2 and shape_of(t)[-1] == want]
    said = re.match(r"\s*Input \d+ with name '([^']+)'", case.message)  # Keras names the input it refuses
    named = [t for t in refused if said and t.name == said.group(1)]
    others = [str(t.name) for t in refused if named and t is not named[0]]
    refused = named or refused
    if len(refused) != 1 or "int" not in str(refused[0].dtype) or not isinstance(got, int):
        return None
    data = case.producer_name() if case.frames else "the data"
    which = f"{refused[0].name!r} " if named else ""
    also = f" ({', '.join(others)}, also of {want} steps, the same way where its data has {got})" if others else ""
    fix = (f"{data} gives {which}sequences of {got} ids but {case.var(consumer)} takes {want} per sample. Pad or cut "
           f"them to {want}{also}: "
           f"keras.utils.pad_sequences(x, maxlen={want}, padding='post', truncating='post')")
    tables = [p for p, layer in _walk(consumer) if isinstance(layer, keras.layers.Embedding) and layer.input_dim == want
              and not _reads_ids(layer)]
    rebuild = f"keras.Input(shape=({got},), dtype='{refused[0].dtype}')"
    if tables:
        rebuild += f" and {', '.join(tables)} (an Embedding of {want} positions) made for {got}"
    return f"{fix}; or rebuild {case.var(consumer)} with {rebuild}."


def _reads_ids(embedding: Any) -> bool:
    """Whether an Embedding looks up a model's input (a vocabulary of ids), not positions it makes itself."""
    return any(is_input_layer(producer(t)) for i in range(len(call_nodes(embedding)))
               for t in call_inputs(embedding, i) if is_symbolic(t) and producer(t) is not None)


def _made_another_way(case: Case, model: Any, want: int, got_shape: Shape, odd: str,
                      peer: str | None) -> Mismatch:
    """Data of another width than the model (and the other data on the line) takes: the features were made by
    another fit of a vectorizer or encoder."""
    basis = f"as {peer} has" if peer is not None else "the width it was trained on"
    return Mismatch(
        model.name, f"data -> {model.name}", f"(batch, ..., {want})", format_shape(got_shape),
        f"{case.var(model)} takes {want} features per sample ({basis}) and {odd} has {got_shape[-1]}: these features "
        f"were made another way. A vectorizer or encoder fitted again on other data gives another width and other "
        f"columns; make every split with the transform fitted on the training data (vectorizer.transform(...), "
        f"not fit_transform), so that every column means what it meant in training.",
    )


def _odd_width_data(case: Case) -> Mismatch | None:
    """Among the arrays on a fit/evaluate/predict line, one fits the model's single input and another (not a
    label array) has another last axis. JAX does not compare data with the Input and fails inside a matmul."""
    model = case.fitted_model()
    inputs = list(getattr(model, "inputs", None) or [])
    if model is None or len(inputs) != 1:
        return None
    declared = shape_of(inputs[0])
    outputs = [shape_of(t) for t in getattr(model, "outputs", None) or []]
    labels = _label_and_weight_names(case)
    arrays = [(n, a) for n, a in _named_arrays(case) if n not in labels]
    peer = next((n for n, a in arrays if fits(declared, shape_of(a))), None)
    odd = next((n for n, a in arrays if a.ndim == len(declared) and not fits(declared, shape_of(a))
                and shape_of(a)[1:-1] == declared[1:-1] and not any(fits(o, shape_of(a)) for o in outputs)), None)
    if peer is None or odd is None or not isinstance(declared[-1], int):
        return None
    return _made_another_way(case, model, declared[-1], shape_of(dict(arrays)[odd]), odd, peer)


def _label_and_weight_names(case: Case) -> set[str]:
    """The variables a fit/evaluate call on the user's line passes as labels or weights (``y``,
    ``sample_weight=``, ``class_weight=``): arrays that are not features, whatever their width."""
    call = users_model_call(case, ("fit", "evaluate", "train_on_batch", "test_on_batch"))
    return call.names("y", "sample_weight", "class_weight") if call is not None else set()


def _trained_model_run(case: Case) -> Any:
    """The model on the user's line when that line evaluates or predicts with it after it was trained."""
    text = case.site.text if case.site is not None else ""
    model = case.fitted_model()
    optimizer = getattr(model, "optimizer", None)
    steps = getattr(optimizer, "iterations", None) if optimizer is not None else None
    if model is None or steps is None or not re.search(r"\.(?:evaluate|predict|predict_on_batch|test_on_batch)\(", text):
        return None
    return model if int(keras.ops.convert_to_numpy(steps)) > 0 else None


_CONVS = (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D, keras.layers.SeparableConv1D,
          keras.layers.SeparableConv2D, keras.layers.DepthwiseConv1D, keras.layers.DepthwiseConv2D)


def _is_conv_input(model: Any) -> bool:
    """Whether the first layer ``model``'s input reaches (past padding and rescaling) is a convolution."""
    for _, layer in _walk(model):
        if is_input_layer(layer) or isinstance(layer, (keras.layers.ZeroPadding2D, keras.layers.Rescaling,
                                                       keras.layers.Normalization)):
            continue
        return isinstance(layer, _CONVS)
    return False


def _full_shape(case: Case, m: re.Match[str]) -> Mismatch:
    _follow_named_input(case)
    name = m.group("layer")
    declared, got = _parse_shape(m.group("want")), _parse_shape(m.group("got"))
    real = shape_of(case.tensor) if case.tensor is not None and getattr(case.tensor, "shape", None) is not None else None
    if real is not None and len(real) == len(got) + 1 and real[-1] == 1 and fits((None, *got[1:]), real[:-1]):
        got = (None, *real[1:])  # Keras names the shape after squeezing a last axis of 1: say what was given
    if case.failure is not None and len(declared) == len(got) and declared[-1] not in (None, got[-1]):
        _rebase_to_data(case, got[-1])  # the width came with the data: the interface is the outermost model's
    return _declared_mismatch(case, name, declared, got)


def _follow_named_input(case: Case) -> None:
    """Keras says which input of a model of several it refuses ("Input 1 with name ..."): follow that one to
    its producer, not the first."""
    said = re.match(r"\s*Input (\d+) with name", case.message)
    k = int(said.group(1)) if said else 0
    if k == 0 or not case.frames or len(case.frames[-1].inputs) <= k:
        return
    case.tensor = case.frames[-1].inputs[k]
    case.meet, case.outer = _meeting_point(case.frames, case.made_by, k)


def _declared_mismatch(case: Case, name: str, declared: Shape, got: Shape) -> Mismatch:
    consumer = case.consumer
    var = case.var(consumer) if consumer is not None else name
    if _dict_given_list(case):
        return _list_for_dict(case)
    refused = _refused_input(case, consumer)  # which input of a model of several Keras named
    if refused is not None:
        var = f"{var}'s input {refused[1]!r}"
    one_hot = _class_ids_for_one_hot(case, consumer, refused[0] if refused is not None else 0, declared, got)
    if one_hot is not None:
        return Mismatch(case.path(name), case.interface(name), format_shape(declared), format_shape(got), one_hot)
    if len(got) == len(declared) - 1 and fits(declared, (None, *got)) and (
            case.fitted_model() is not None or (None not in got and case.called_model() is not None)):
        return _missing_batch(case, name, declared, got)  # a model called on an array, not on symbolic tensors
    items = _items_in_batch(case, var, declared, got)
    if items is not None:
        return Mismatch(case.path(name), case.interface(name), format_shape(declared), format_shape(got), items)
    if len(got) == len(declared) + 1 and fits(declared, (None, *got[2:])):
        received = format_shape(got)
        return Mismatch(case.path(name), case.interface(name), format_shape(declared), received,
                        _rank_extra(case, len(declared), len(got), received))
    if len(declared) == len(got) and fits(declared[:-1], got[:-1]) and declared[-1] != got[-1] and None not in (
            declared[-1], got[-1]):  # only the features differ (a steps axis declared None takes any length)
        return _width_mismatch(case, name, declared, got)
    order = _axis_order(declared, got)
    index = refused[0] if refused is not None else None
    channels = _channels_axis_missing(case, var, declared, got)
    if channels is not None:
        return Mismatch(case.path(name), case.interface(name), format_shape(declared), format_shape(got), channels)
    if order is not None:
        fix = _transpose_fix(case, var, declared, got, order)
    elif len(declared) == len(got) and _other_image_size(declared, got) and _reads_images(consumer):
        data = (_data_name(case, got) or "images") if refused is not None else None
        fix = _resize_fix(var, declared, got, _rebuild_blocker(consumer, got, index=index), data)
    elif len(declared) == len(got):
        relaxed = tuple(None if d != g else d for d, g in zip(declared[1:], got[1:]))
        blocker = (_rebuild_blocker(consumer, got, index=index)
                   or _rebuild_blocker(consumer, (None, *relaxed), index=index))
        fix = _built_for_fix(case, var, declared, got, blocker) if blocker else (
            f"{var} was declared with keras.Input(shape={_tuple(declared[1:])}) but is called on "
            f"{format_shape(got)}. Declare the varying axes as None: keras.Input(shape={_tuple(relaxed)}), "
            "so one model takes every length.")
    elif _time_axis_missing(case, declared):
        fix = _time_axis_fix(case, declared)
    elif None not in declared[1:] + got[1:] and math.prod(declared[1:]) == math.prod(got[1:]):  # type: ignore[arg-type]
        fix = _same_size_fix(case, var, declared, got)
    else:
        blocker = _rebuild_blocker(consumer, got, index=index)
        fix = _pooled_before_model(case, var, declared, got) or (
            _built_for_fix(case, var, declared, got, blocker) if blocker else
            f"{var} was declared for {len(declared) - 1} axes after the batch but gets {len(got) - 1}: "
            f"rebuild it with keras.Input(shape={_tuple(got[1:])}) or reshape what reaches it.")
    return Mismatch(case.path(name), case.interface(name), format_shape(declared), format_shape(got), fix)


def _items_in_batch(case: Case, var: str, declared: Shape, got: Shape) -> str | None:
    """A model that takes a group of items per sample, ``(batch, 4, 6)`` (a question's four options, a bag's
    instances), given the items one per row, ``(8, 6)``: the groups were flattened into the batch (each item
    tokenized or encoded as its own row). Reshape the rows back into groups."""
    group = declared[1] if len(declared) >= 3 else None
    if len(got) != len(declared) - 1 or not isinstance(group, int) or group < 2 or not fits(declared[2:], got[1:]):
        return None
    if got[0] is None or got[0] % group:  # data (its batch known) whose rows make whole groups
        return None
    data = _data_name(case, got) or case.call_argument(case.called_model()) or "x"
    given = case.scope.get(data)
    rows = f"{got[0]} rows"
    if isinstance(given, dict):  # a dict of inputs flattened alike (token ids and their mask): reshape each
        how = f"{{k: v.reshape(-1, {group}, *v.shape[1:]) for k, v in {data}.items()}} gives each input's groups"
    else:
        how = f"{data}.reshape(-1, {', '.join(str(d) for d in declared[1:])}) gives {format_shape(declared)}"
    return (f"{var} takes {format_shape(declared)}, {group} items of {_tuple(declared[2:])} per sample, and gets "
            f"{rows} of {_tuple(got[1:])}: one item per row, the groups of {group} flattened into the batch. "
            f"Reshape them back: {how}.")


def _channels_axis_missing(case: Case, var: str, declared: Shape, got: Shape) -> str | None:
    """Images (or a signal) of the right size without their channels axis, given to a model of one or three
    channels (grey images kept as (H, W), as Fashion-MNIST comes): add the axis, and for an RGB model repeat the
    grey values into three channels."""
    if len(got) != len(declared) - 1 or len(declared) < 3 or declared[-1] not in (1, 3) or not fits(declared[:-1], got):
        return None
    data = _data_name(case, got) or case.call_argument(case.called_model()) or "x"
    add = (f"{data}[..., None]" if declared[-1] == 1 else f"np.repeat({data}[..., None], 3, axis=-1) (grey values "
           f"repeated into the 3 channels it was built for)")
    return (f"{var} takes {format_shape(declared)} and gets {format_shape(got)}: the data has no channels axis. Add "
            f"it: {add}, which gives {format_shape((*got, declared[-1]))}.")


def _rebuild_blocker(model: Any, shape: Shape, kernels_may_resize: bool = False, index: int | None = None
                     ) -> str | None:
    """Where a functional or Sequential ``model`` of one input, rebuilt by Keras on inputs of ``shape``, fails
    or makes weights of other shapes than its own: the path of that layer (a custom layer, a position table
    made in ``build()``, a Dense after a Flatten). Nested models of one input are rebuilt for what reaches
    them too, as a user rebuilding the whole model would. None where it rebuilds with the same weights, or
    where it cannot be rebuilt even on its own input shape (a layer without a config): nothing is known.
    With ``kernels_may_resize`` (a new input width, which resizes the kernels that read it: new weights to
    train) only non-trainable state counts, such as an adapted Normalization's statistics. ``index``: for a
    functional model of several inputs, the one of ``shape`` (the others keep theirs)."""
    flat = keras.tree.flatten(graph_inputs(model) or []) if isinstance(model, keras.Model) else []
    first = _one_input(model) if index is None else flat[index] if index < len(flat) else None
    if first is None:
        return None

    def start(dims: Shape) -> Any:
        """New Inputs for the rebuild: ``dims`` for ``first``, the others as they were, in the model's structure."""
        if index is None:
            return keras.Input(tuple(dims[1:]), dtype=first.dtype)
        made = [keras.Input(tuple(dims[1:]) if t is first else tuple(t.shape[1:]), dtype=t.dtype) for t in flat]
        return keras.tree.pack_sequence_as(input_struct(model), made)

    def rebuild(dims: Shape) -> str | None:
        """The first layer that fails, or is made with other weights, when rebuilt on ``dims``."""
        calling: list[str] = []
        made: dict[int, Any] = {}  # a nested model called twice (anchors, then neighbours) is copied once

        def run(original: Any, x: Any) -> Any:  # a copy of ``original`` rebuilt on ``x``
            calling.append(str(original.name))
            if _one_input(original) is None and not (original is model and index is not None):
                copy = made[id(original)] = _trainable_copy(original.__class__.from_config(original.get_config()),
                                                            kernels_may_resize)
                out = copy(x)
                if not _same_weight_shapes(original, copy, kernels_may_resize):
                    raise _Resized(str(original.name))
            elif isinstance(original, keras.Sequential):  # clone_model takes no call_function for a Sequential
                out = x
                for layer in original.layers:  # a Sequential called again reuses its layers' copies
                    out = made[id(layer)](out) if id(layer) in made else run(layer, out)
            else:
                inner = {str(layer.name): layer for layer in original.layers}

                def call_function(layer: Any, *args: Any, **kwargs: Any) -> Any:
                    found = inner.get(str(layer.name))
                    if found is not None and _one_input(found) is not None and len(args) == 1 and not any(kwargs.values()):
                        # a nested model: rebuilt for what reaches it
                        return made[id(found)](args[0]) if id(found) in made else run(found, args[0])
                    calling.append(str(layer.name))
                    result = _trainable_copy(layer, kernels_may_resize)(*args, **kwargs)
                    if found is not None and not _same_weight_shapes(found, layer, kernels_may_resize):
                        raise _Resized(str(layer.name))
                    calling.pop()
                    return result

                fresh = keras.tree.map_structure(lambda t: keras.Input(tuple(t.shape[1:]), dtype=t.dtype), x)
                clone = made[id(original)] = keras.models.clone_model(original, input_tensors=fresh,
                                                                      call_function=call_function)
                out = clone(x)
            calling.pop()
            return out

        try:
            inputs = start(dims)
            run(model, inputs)
            if id(model) in made:  # and on a known batch: ops.reshape(x, (-1, 3, 4)) checks its sizes only then
                calling[:] = [str(model.name)]
                made[id(model)](keras.tree.map_structure(
                    lambda t: keras.KerasTensor((t.shape[0] or 2, *t.shape[1:]), dtype=t.dtype), inputs))
        except Exception:  # noqa: BLE001 - whatever Keras raised, the layer being rebuilt is the answer
            return "/".join(calling[1:]) or str(model.name)
        return None

    from kernest._saving import carried_arguments

    # the user's own Lambdas copy too; a layer's argument changed after it was made is copied as it is now
    with warnings.catch_warnings(), copying(model), carried_arguments(model):
        warnings.simplefilter("ignore")
        if rebuild(shape_of(first)) is not None:  # not rebuildable: no conclusion
            return None
        return rebuild(shape)


_IMAGE_LAYERS = (keras.layers.Conv2D, keras.layers.SeparableConv2D, keras.layers.DepthwiseConv2D,
                 keras.layers.Conv2DTranspose, keras.layers.MaxPooling2D, keras.layers.AveragePooling2D,
                 keras.layers.GlobalAveragePooling2D, keras.layers.GlobalMaxPooling2D, keras.layers.Resizing,
                 keras.layers.CenterCrop, keras.layers.RandomCrop, keras.layers.RandomFlip, keras.layers.RandomZoom,
                 keras.layers.RandomRotation, keras.layers.RandomTranslation, keras.layers.ZeroPadding2D,
                 keras.layers.Cropping2D, keras.layers.UpSampling2D)


def _reads_images(model: Any) -> bool:
    """Whether a 4-D input of ``model`` is images: a layer inside works on height and width (a 2-D
    convolution or pooling, a resize, crop or flip). A series of sensors (batch, steps, nodes, 1) is not, and
    resizing it would invent sensors. Unknown (no model): assumed images, as before."""
    if not isinstance(model, keras.layers.Layer):
        return True
    return any(isinstance(layer, _IMAGE_LAYERS) for _, layer in [("", model), *_walk(model)])


def _refused_input(case: Case, consumer: Any) -> tuple[int, str] | None:
    """``(index, name)`` of the input Keras refused ("Input 1 with name 'neighbours'", "input ... with name
    'labels' and path '1'") where ``consumer`` is a functional model of several inputs; None otherwise."""
    flat = keras.tree.flatten(graph_inputs(consumer) or []) if isinstance(consumer, keras.Model) else []
    said = re.search(r"with name '([^']+)'", case.message)
    if len(flat) < 2 or said is None:
        return None
    names = [str(getattr(t, "name", "")) for t in flat]
    return (names.index(said.group(1)), said.group(1)) if said.group(1) in names else None


def _class_ids_for_one_hot(case: Case, consumer: Any, index: int, declared: Shape, got: Shape) -> str | None:
    """Class ids (batch,) given to an input that takes one-hot rows (batch, classes), or ids per step (batch,
    steps) where it takes one-hot vectors per step (a WaveNet's mu-law samples): the fix names ``to_categorical``
    with the model's number of classes. Only where the data given are whole numbers in ``[0, classes)``."""
    classes = declared[-1] if len(declared) == len(got) + 1 and fits(declared[:-1], got) else None
    if not isinstance(classes, int) or classes < 2 or (got and got[-1] == classes):
        return None  # (12,) for (batch, 12), (6, 6, 3) for (batch, h, w, 3): a sample without its batch axis, not ids
    given = next((f.inputs[index] for f in case.frames if f.layer is consumer and len(f.inputs) > index), None)
    if given is None or is_symbolic(given):
        return None
    try:
        values = np.asarray(keras.ops.convert_to_numpy(given), dtype="float64")
    except Exception:  # noqa: BLE001 - what cannot be read as numbers is not class ids
        return None
    if (values.ndim != len(got) or not values.size or not np.all(values == np.round(values)) or values.min() < 0
            or values.max() >= classes):
        return None
    name = case.var(consumer) if consumer is not None else "model"
    label = str(getattr(keras.tree.flatten(graph_inputs(consumer) or [None])[index], "name", "labels"))
    data = _data_name(case, got) or label
    rows = "row" if len(got) == 1 else "step"
    return (f"{name}'s input {label!r} takes one-hot {rows}s of {classes} classes {format_shape(declared)} and gets "
            f"one class id per {rows} {format_shape(got)}. One-hot them first: keras.utils.to_categorical({data}, "
            f"{classes}) (or keras.ops.one_hot({data}, {classes})).")


def _same_weight_shapes(layer: Any, other: Any, trainable_may_differ: bool = False) -> bool:
    """Whether the copy ``other`` of ``layer`` has weights of the same shapes. With ``trainable_may_differ``
    only the state that is not trained by nature counts (statistics, an adapted vocabulary): ``other`` is a
    copy made trainable before it was built (``_trainable_copy``), so a frozen backbone's kernels, which a new
    input width resizes, are still kernels."""
    pairs = list(zip(layer.weights, other.weights))
    if len(layer.weights) != len(other.weights):
        return False
    return all(tuple(a.shape) == tuple(b.shape) for a, b in pairs if not (trainable_may_differ and b.trainable))


def _trainable_copy(copy: Any, kernels_may_resize: bool) -> Any:
    """``copy`` (an unbuilt copy of a layer) made trainable where kernels may resize, so that the weights it
    builds say which are trained (a frozen original's all read as not trainable)."""
    if kernels_may_resize and not copy.built:
        copy.trainable = True
    return copy


def _one_input(model: Any) -> Any | None:
    """The one input of a functional or Sequential model; None for other layers and models of several."""
    if not isinstance(model, keras.Model) or graph_inputs(model) is None:
        return None
    inputs = keras.tree.flatten(model.inputs)
    return inputs[0] if len(inputs) == 1 else None


class _Resized(Exception):
    """Raised by ``_rebuild_blocker``'s rebuild where a layer is made with weights of other shapes."""


def _built_for_fix(case: Case, var: str, declared: Shape, got: Shape, blocker: str) -> str:
    """A model whose layers are made for its declared input: rebuilding it for what it gets fails (or needs
    new weights) at ``blocker``. Give it what it was built for; where a submodel inside takes what it gets,
    name that part (a sentence encoder given one sentence where the model takes reviews)."""
    model = case.consumer
    changed = [f"axis {i} is {g}, not {d}" for i, (d, g) in enumerate(zip(declared, got)) if i and d is not None
               and d != g] if len(declared) == len(got) else [f"{len(got) - 1} ax{'i' if len(got) == 2 else 'e'}s after the "
                                                               f"batch, not {len(declared) - 1}"]
    target = tuple(None if d is None else g for d, g in zip(declared, got)) if len(declared) == len(got) else got
    text = (f"{var} takes {format_shape(declared)} and gets {format_shape(got)} ({'; '.join(changed)}). Rebuilding "
            f"it with keras.Input(shape={_tuple(target[1:])}) does not work: {blocker} is made for the shape it was "
            f"built on (it fails or needs new weights). Give {var} {format_shape(declared)}: crop, pad or reshape "
            f"the data to it.")
    inner = next((p for p, sub in _walk(model) if (one := _one_input(sub)) is not None and fits(shape_of(one), got)),
                 None) if isinstance(model, keras.Model) else None
    if inner is not None:
        text += (f" {inner} inside it takes {format_shape(got)}: to run that part alone, call "
                 f"kernest.get({var}, {inner!r}) on it.")
    return text


def _pooled_before_model(case: Case, var: str, declared: Shape, got: Shape) -> str | None:
    """A pre-built model declared for (batch, steps, ..., features) given (batch, features) whose steps a
    pooling or Flatten upstream removed: its layers need the axis, so rebuilding it for rank 2 cannot work.
    Keep the axis (drop the reducer), or give one step (Reshape((1, ..., features))) to a model whose Input
    takes any number of steps."""
    if len(got) != len(declared) - 1 or got[-1] != declared[-1] or len(declared) < 3:
        return None
    found = _reducer(case)
    if found is None:
        return None
    reducer, before, where = found
    one = (1,) * (len(declared) - len(got)) + tuple(got[1:])
    free = tuple(None for _ in declared[1:-1]) + (declared[-1],)
    return (f"{where} ({type(reducer).__name__}) removed the steps of {format_shape(before)}, and {var} was built for "
            f"{format_shape(declared)}: its layers need that axis, so rebuilding it for {format_shape(got)} cannot work. "
            f"Drop {where} so {var} reads the sequence; or, to give it the pooled vector as one step, add "
            f"keras.layers.Reshape({_tuple(one)}) before {var} and declare its Input with keras.Input(shape={_tuple(free)}) "
            f"so it takes any number of steps.")


def _axis_order(declared: Shape, got: Shape) -> tuple[int, ...] | None:
    """The transpose (batch axis first) that turns ``got`` into ``declared`` when both hold the same sizes in
    another order; equal sizes keep their order."""
    if len(declared) != len(got) or declared[1:] == got[1:] or None in declared[1:] + got[1:]:
        return None
    if sorted(declared[1:]) != sorted(got[1:]):  # type: ignore[type-var]
        return None
    free = list(range(1, len(got)))
    order = [0]
    for size in declared[1:]:
        j = next(j for j in free if got[j] == size)
        free.remove(j)
        order.append(j)
    return tuple(order)


def _one_array_for_inputs(case: Case) -> Mismatch | None:
    """One array passed to fit/predict/evaluate for a model of several inputs. Keras says so on TensorFlow and
    PyTorch; on JAX the failure reads as an output not connected to the inputs."""
    model = case.fitted_model()
    inputs = list(getattr(model, "inputs", None) or [])
    arrays = _named_arrays(case)
    text = case.site.text if case.site is not None else ""
    first = re.search(r"\.(?:fit|predict|evaluate)\(\s*([A-Za-z_]\w*)\s*[,)]", text)
    if model is None or len(inputs) < 2 or not arrays or first is None or first.group(1) != arrays[0][0]:
        return None
    declared = [shape_of(t) for t in inputs]
    return Mismatch(model.name, f"data -> {model.name}", f"{len(inputs)} input(s)", "1 array",
                    _inputs_to_pass(case, model, declared, [n for n, _ in arrays]))


def _swapped_data_axes(case: Case) -> Mismatch | None:
    """Data passed to fit/predict/evaluate with the model's sizes in another axis order. JAX does not compare
    data with the Input, so the failure shows deeper (a matmul); the data is the cause either way."""
    model = case.fitted_model()
    inputs = getattr(model, "inputs", None) or []
    if model is None or len(inputs) != 1:
        return None
    declared = shape_of(inputs[0])
    for data in _call_data(case)[:1]:
        got = shape_of(data)
        order = _axis_order(declared, got)
        if order is not None:
            fix = _transpose_fix(case, case.var(model), declared, got, order)
            return Mismatch(model.name, f"data -> {model.name}", format_shape(declared), format_shape(got), fix)
    return None


def _transpose_fix(case: Case, var: str, declared: Shape, got: Shape, order: tuple[int, ...]) -> str:
    """Data (or a tensor) with the right sizes in another axis order: transpose it, by name where it is an array."""
    given = case.outer if case.outer is not None else case.tensor
    data = next(iter(_arrays_named(case, got)), None) if given is None or not is_symbolic(given) else None
    how = (f"{data}.transpose({', '.join(str(i) for i in order)})" if data is not None
           else f"keras.layers.Permute({_tuple(order[1:])}) before {var}")
    return (f"{var} takes {format_shape(declared)} and gets the same sizes in another order, {format_shape(got)}: "
            f"the axes are swapped, not the wrong size. Reorder them with {how}, which gives {format_shape(declared)}.")


def _other_image_size(declared: Shape, got: Shape) -> bool:
    """Images of another height and width with the same channels (batch, H, W, C), both sizes known."""
    return (len(declared) == len(got) == 4 and declared[-1] == got[-1] and declared[1:3] != got[1:3]
            and None not in declared[1:3] + got[1:3])


def _resize_fix(var: str, declared: Shape, got: Shape, blocker: str | None = None, data: str | None = None) -> str:
    """Images of another size: resize them to what the model was built for, or build it for theirs (unless
    a layer inside, ``blocker``, is made for the first size). ``data``: the user's array, given where ``var`` is
    one input of a model of several (a Sequential cannot hold that model: the images are resized on their own)."""
    (h, w), (gh, gw) = declared[1:3], got[1:3]
    if data is not None:
        return (f"{var} was built for {h}x{w} images ({format_shape(declared)}) and gets {gh}x{gw} ones. Resize "
                f"them to {h}x{w} before they are passed in: keras.layers.Resizing({h}, {w})({data}). "
                + (f"Building it for {gh}x{gw} does not work as it is: {blocker} is made for {h}x{w} (rebuilt for "
                   f"{gh}x{gw} it fails or needs new weights)." if blocker else
                   f"Or build it for {gh}x{gw}: keras.Input(shape={_tuple(got[1:])})."))
    rebuild = (f"Building {var} for {gh}x{gw} does not work as it is: {blocker} is made for {h}x{w} (rebuilt for "
               f"{gh}x{gw} it fails or needs new weights)." if blocker else
               f"Or build {var} for {gh}x{gw}: keras.Input(shape={_tuple(got[1:])}) (input_shape= for a "
               "keras.applications backbone).")
    return (f"{var} was built for {h}x{w} images ({format_shape(declared)}) and gets {gh}x{gw} ones. Resize them "
            f"to {h}x{w}: keras.Sequential([keras.Input({_tuple(got[1:])}), keras.layers.Resizing({h}, {w}), {var}]) "
            f"takes the {gh}x{gw} images as they are, or resize the arrays before they are passed in. {rebuild}")


def _time_axis_missing(case: Case, declared: Shape) -> bool:
    """A TimeDistributed layer given a tensor of the very shape its inner model takes: no time axis to map."""
    consumer = case.consumer
    given = case.frames[case.meet].inputs if case.frames else ()
    return (isinstance(consumer, keras.layers.TimeDistributed) and bool(given)
            and fits(declared, shape_of(given[0])))


def _time_axis_fix(case: Case, declared: Shape) -> str:
    td = case.consumer
    inner = case.var(td.layer)
    src = producer(case.outer) if case.outer is not None and is_symbolic(case.outer) else None
    feed = (f"declare {_tensor_var(case, case.outer, src.name if src is not None else '')} "
            f"with keras.Input(shape={_tuple((None, *declared[1:]))}) for sequences of any length"
            if src is not None and is_input_layer(src) else f"give what reaches {td.name} a time axis")
    return (f"{td.name} (TimeDistributed) maps {inner} over axis 1 of its input, so it needs one axis more than "
            f"{inner} takes: (batch, time, {', '.join(str(d) for d in declared[1:])}). It gets {inner}'s own shape "
            f"{format_shape(declared)}, so axis 1 is read as time. To map over time, {feed}; if each sample is one "
            f"item, call {inner} directly instead of through TimeDistributed.")


def _same_size_fix(case: Case, var: str, declared: Shape, got: Shape) -> str:
    """The same number of values per sample in another layout (784 for 28 x 28): reshape what arrives."""
    target = _tuple(declared[1:])
    given = case.outer if case.outer is not None else case.tensor
    data = next(iter(_arrays_named(case, got)), None) if given is not None and not is_symbolic(given) else None
    if data is not None:
        return (f"{var} takes {format_shape(declared)} and the data has the same {math.prod(got[1:])} values per "  # type: ignore[arg-type]
                f"sample laid out as {format_shape(got)}: reshape it with {data}.reshape(-1, {', '.join(str(d) for d in declared[1:])}) "
                f"(or rebuild {var} with keras.Input(shape={_tuple(got[1:])})).")
    return (f"{var} takes {format_shape(declared)} and gets the same {math.prod(got[1:])} values per sample as "  # type: ignore[arg-type]
            f"{format_shape(got)}: add keras.layers.Reshape({target}) before {var} (or rebuild it with "
            f"keras.Input(shape={_tuple(got[1:])})).")


# --- graphs ------------------------------------------------------------------------------------------------

def _disconnected(case: Case, m: re.Match[str]) -> Mismatch:
    frame = next((f for f in reversed(case.frames) if f.kind == "construct"), None)
    inputs = frame.args.get("inputs") if frame else None
    outputs = frame.args.get("outputs") if frame else None
    where = (frame_name(frame) if frame else None) or "model"
    if inputs is None or outputs is None:
        return Mismatch(where, f"inputs -> {where}", "outputs computed from the given inputs",
                        "an output not connected to them",
                        "build every output from the model's declared inputs, or use kernest.extract(model, paths) "
                        "for a nested model's inner activations.")
    given = [t for t in keras.tree.flatten(inputs) if hasattr(t, "shape")]
    strays: list[tuple[int, Any, Any]] = []
    for i, out in enumerate(keras.tree.flatten(outputs)):
        inner = _inner_output(case, out, given, outputs)
        if inner is not None:
            model_var, path, paths = inner
            take = (f'Take it with kernest.extract({model_var}, "{path}"), a model with the same inputs whose output '
                    "is that activation.")
            if len(paths) > 1:  # every output found in that model: one extractor gives them all from one call
                listed = ", ".join(f'"{p}"' for p in paths)
                take += (f" For all of this model's outputs from one call: kernest.extract({model_var}, [{listed}]), "
                         "whose outputs are those activations in that order.")
            return Mismatch(
                where, f"{_input_names(given)} -> {where}", f"output {i} computed from the inputs",
                f"the output of {path}, a layer inside a nested model",
                f"an inner layer's .output belongs to the nested model's own graph, not to this one. {take}",
            )
        strays += [(i, out, root) for root in root_inputs(out) if all(root is not g for g in given)]
        elsewhere = _inner_output_elsewhere(case, out, given)
        if elsewhere is not None:
            return elsewhere
    if strays:
        return _stray_inputs(case, where, given, strays)
    return Mismatch(where, f"{_input_names(given)} -> {where}", "outputs computed from the given inputs",
                    "an output not connected to them",
                    "build every output from the tensors you pass as inputs.")


def _input_names(given: list[Any]) -> str:
    names = [f"input:{getattr(producer(t), 'name', '?')}" for t in given]
    return names[0] if len(names) == 1 else "[" + ", ".join(names) + "]"


def _stray_inputs(case: Case, where: str, given: list[Any], strays: list[tuple[int, Any, Any]]) -> Mismatch:
    """Outputs computed from a ``keras.Input`` that is not among the model's inputs: name each one,
    the line that created it, and the declared input to use instead."""
    declared = [case.var(t) for t in given]
    used = {id(r) for _, out, _ in strays for r in root_inputs(out)}
    for out in keras.tree.flatten(case_outputs(case)):
        used.update(id(r) for r in root_inputs(out))
    unused = {id(g) for g in given if id(g) not in used}
    received, uses, lines = [], [], []
    for i, out, root in strays:
        stray = getattr(producer(root), "name", "?")
        site = created_at(root)
        received.append(f"output {i} ({getattr(producer(out), 'name', '?')}) comes from Input {stray!r}"
                        + (f" created at {site.file.rsplit('/', 1)[-1]}:{site.line}" if site is not None else ""))
        same = [g for g in given if shape_of(g)[1:] == shape_of(root)[1:]]
        same = sorted(same, key=lambda g: id(g) not in unused)  # an input no output uses is the one replaced
        use = case.var(same[0]) if same else declared[0] if declared else "the declared input"
        uses.append(f"`{use}` in place of Input {stray!r}")
        if site is not None:
            lines.append(f"line {site.line}: {site.text}")
    first = getattr(producer(strays[0][2]), "name", "?")
    return Mismatch(
        where, f"input:{first} -> {where}", f"outputs computed from the declared input(s) {', '.join(declared)}",
        "; ".join(received),
        f"each keras.Input() is a new, separate input that {where} is not given. Reuse the declared input object: "
        f"{'; '.join(uses)}{' (' + '; '.join(lines) + ')' if lines else ''}, or add the stray input to inputs=.",
    )


def case_outputs(case: Case) -> Any:
    frame = next((f for f in reversed(case.frames) if f.kind == "construct"), None)
    return frame.args.get("outputs") if frame is not None and frame.args.get("outputs") is not None else []


def _inner_output(case: Case, out: Any, given: list[Any], outputs: Any = None
                  ) -> tuple[str, str, list[str]] | None:
    """(model variable, path, paths) when ``out`` is an inner layer's output of a model nested in one built on
    ``given``; ``paths`` has the path in that model of every one of ``outputs`` (a Grad-CAM model's inner
    activation and the model's own output), or only ``out``'s where one is not found there."""
    layer = producer(out)
    if layer is None or is_input_layer(layer):
        return None
    for model in case.models():
        try:
            model_inputs = list(model.inputs)
        except (AttributeError, ValueError):
            continue
        if not any(any(t is g for g in given) for t in model_inputs):
            continue
        found = find_layer(model, layer)
        if found is not None and "/" in found:
            producers = [producer(t) for t in keras.tree.flatten(outputs)] if outputs is not None else []
            paths = [find_layer(model, p) if p is not None and not is_input_layer(p) else None for p in producers]
            return case.var(model), found, ([p for p in paths if p] if paths and all(paths) else [found])
    return None


def _inner_output_elsewhere(case: Case, out: Any, given: list[Any]) -> Mismatch | None:
    """``out`` is computed from an inner layer's ``.output`` of a nested model that the model being built calls
    on its own input: that tensor hangs off the nested model's ``keras.Input``, so it is not connected. Get the
    activation and the nested model's output from one call on the outer input, with ``kernest.extract``."""
    frame = next((f for f in reversed(case.frames) if f.kind == "construct"), None)
    where = (frame_name(frame) if frame else None) or "model"
    for model in case.models():
        try:
            model_inputs, model_outputs = list(model.inputs), list(model.outputs)
        except (AttributeError, ValueError):
            continue
        inner = _made_inside(out, model, model_inputs)
        top = producer(model_outputs[0]) if len(model_outputs) == 1 else None
        called = [v for v, t in case.scope.items() if is_symbolic(t) and producer(t) is model
                  and all(any(r is g for g in given) for r in root_inputs(t))]
        if inner is None or top is None or not called:
            continue
        path, top_path, model_var = find_layer(model, producer(inner)), find_layer(model, top), case.var(model)
        source = user_source(case)
        names = [v for v, t in case.scope.items() if t is inner]  # the name given to `.get_layer(...).output`
        inner_var = next((v for v in names if ".output" in ast.unparse(assignment_of(source, v) or ast.Pass())),
                         case.var(inner))
        outer_in = case.var(given[0]) if len(given) == 1 else "the inputs"
        return Mismatch(
            where, f"{model_var} -> {where}", f"outputs computed from {', '.join(case.var(g) for g in given)}",
            f"{inner_var}, the output of {model_var}/{path} in {model_var}'s own graph",
            f"{inner_var} = {model_var}.get_layer(...).output starts at {model_var}'s own keras.Input, which {where} "
            f"is not given; calling {model_var}({outer_in}) returns only {model_var}'s output. Take both from one "
            f"call on {outer_in}: {called[0]}, {inner_var} = kernest.extract({model_var}, [\"{top_path}\", "
            f"\"{path}\"])({outer_in}), a model with {model_var}'s input whose outputs are those two activations.",
        )
    return None


def _made_inside(out: Any, model: Any, model_inputs: list[Any]) -> Any | None:
    """The nearest tensor upstream of ``out`` (or ``out``) that a layer of ``model`` made in ``model``'s own graph
    (every root is one of ``model``'s inputs), or None."""
    todo, seen = [out], set()
    while todo:
        t = todo.pop()
        layer = producer(t)
        if id(t) in seen or layer is None or is_input_layer(layer):
            continue
        seen.add(id(t))
        roots = root_inputs(t)
        if roots and all(any(r is m for m in model_inputs) for r in roots) and find_layer(model, layer):
            return t
        node = node_of(t)
        todo += data_inputs(node) if node is not None else []
    return None


# --- how many inputs, and in which structure -----------------------------------------------------------

def _arity(case: Case, m: re.Match[str]) -> Mismatch:
    name, want, got = m.group("layer"), int(m.group("want")), int(m.group("got"))
    consumer = case.consumer
    src = producer(case.outer) if case.outer is not None and is_symbolic(case.outer) else None
    cvar = case.var(consumer) if consumer is not None else name
    declared = [shape_of(t) for t in consumer.inputs] if isinstance(consumer, keras.Model) and getattr(consumer, "inputs", None) else []
    if isinstance(src, keras.Model) and len(src.outputs) == want and want > 1:
        fix = (f"wire {case.var(src)}'s {want} outputs into {cvar}'s {want} inputs with kernest.connect("
               f"{case.var(src)}, {cvar}), or pass them as a list: {cvar}({case.var(src)}(x)).")
    elif want == 1 and got > 1 and _unmerged_bidirectional(case.outer) is not None:
        bi = _unmerged_bidirectional(case.outer)
        fix = (f"{bi.name} is a Bidirectional built with merge_mode=None, so it returns its forward and backward "
               f"outputs as a list of {got}, and {cvar} takes one tensor. Build {bi.name} with merge_mode=\"concat\" "
               f"(or \"sum\", \"ave\", \"mul\"), or join the two with keras.layers.Concatenate() before {cvar}.")
    elif want == 1 and got > 1 and isinstance(src, keras.Model) and len(src.outputs) == got:
        named = src.output if isinstance(src.output, dict) else None  # a dict of outputs is picked by key
        outs = list(named.values()) if named else list(src.outputs)
        index = next((k for k, t in enumerate(outs) if declared and fits(declared[0], shape_of(t))), 0)
        names = list(named) if named else [getattr(producer(t), "name", str(k)) for k, t in enumerate(outs)]
        holder = _sequential_holding(case, src)

        def pick(k: int) -> str:
            key = f'"{names[k]}"' if named else str(k)
            return (f"{call_text(case, src)}[{key}]" if holder is None else
                    f"keras.Model({case.var(src)}.input, {case.var(src)}.{'output' if named else 'outputs'}[{key}])")

        where = "" if holder is None else (f" (a Sequential passes each layer's whole output on, so put this one-output "
                                           f"view in {holder.name} in place of {case.var(src)})")
        if declared:
            chosen = f"the one it was built for, {pick(index)} ({names[index]}, {format_shape(shape_of(outs[index]))})"
        else:  # nothing built yet says which: each, one vector per sample first (a classifier's usual pick)
            ranked = sorted(range(len(outs)), key=lambda k: len(shape_of(outs[k])))
            chosen = "the one your labels need, " + " or ".join(
                f"{pick(k)} ({format_shape(shape_of(outs[k]))}"
                + (": one vector per sample" if len(shape_of(outs[k])) == 2 else
                   ": one vector per step" if len(shape_of(outs[k])) == 3 else "") + ")" for k in ranked)
        fix = (f"{case.var(src)} has {got} outputs ({', '.join(names)}) and {cvar} takes one: pick {chosen}{where}, "
               f"or rebuild {cvar} with {got} inputs.")
    elif want == 1 and got > 1:
        fix = (f"{cvar} takes one input but gets {got}: pass one tensor, or rebuild {cvar} with {got} inputs "
               "(or join them with a Concatenate first).")
    elif want > 1 and got == 1 and isinstance(src, keras.layers.Concatenate):
        parts = call_inputs(src)
        listed = ", ".join(case.var(t) for t in parts)
        fix = (f"{cvar} takes {want} separate inputs and joins them itself, but gets one tensor that "
               f"{src.name} already concatenated. Pass the parts: {cvar}([{listed}]).")
    elif want > 1 and got == 1 and (step := _multi_input_step(case, name)) is not None:
        fix = step
    elif want > 1 and got == 1 and (split := _split_fix(case, consumer, cvar)) is not None:
        fix = split
    elif case.fitted_model() is not None and declared:
        model = case.fitted_model()
        fix = _inputs_to_pass(case, model, declared, [n for n, _ in _named_arrays(case)])
    elif (nested := _nested_inputs_fix(consumer, cvar, got)) is not None:
        fix = nested
    else:
        fix = (f"give {cvar} exactly {want} input(s) (it gets {got}); to feed a multi-output model into a "
               f"multi-input one, use kernest.connect(producer, {cvar}), which matches outputs to inputs by name.")
    return Mismatch(case.path(name), case.interface(name), f"{want} input(s)", f"{got} input tensor(s)", fix)


def _split_fix(case: Case, consumer: Any, cvar: str) -> str | None:
    """A model of several inputs called on one tensor whose last axis is their widths side by side (a pair
    of 16-feature vectors given as one of 32): split it in the call."""
    t = case.outer
    inputs = list(getattr(consumer, "inputs", None) or [])
    if t is None or not hasattr(t, "shape") or len(inputs) < 2:
        return None
    shape, declared = shape_of(t), [shape_of(i) for i in inputs]
    widths = [int(d[-1] or 0) for d in declared]
    if (not all(widths) or shape[-1] is None or sum(widths) != shape[-1]
            or any(len(d) != len(shape) or d[1:-1] != shape[1:-1] for d in declared)):
        return None
    cuts = [sum(widths[:k]) for k in range(1, len(widths))]
    names = [str(getattr(i, "name", k)).removeprefix("input:") for k, i in enumerate(inputs)]
    parts = ", ".join(f"{n} (batch, ..., {w})" if len(shape) > 2 else f"{n} {format_shape(d)}"
                      for n, w, d in zip(names, widths, declared, strict=True))
    var = _tensor_var(case, t, fallback="x")
    return (f"{cvar} takes {len(inputs)} inputs, {parts}, and gets one tensor {format_shape(shape)} whose "
            f"{shape[-1]} features are their {' + '.join(str(w) for w in widths)} side by side. If they are, in that "
            f"order, split it in the call: {cvar}(keras.ops.split({var}, {cuts}, axis=-1)); else give the model {len(inputs)} inputs and pass each one.")


def _nested_inputs_fix(model: Any, var: str, got: int) -> str | None:
    """A model whose inputs are a list holding a dict or a list (``[image_1, image_2, text_inputs]``) given
    fewer items: its structure, the part missing and the submodel that takes it."""
    struct = input_struct(model) if isinstance(model, keras.Model) else None
    if not isinstance(struct, (list, tuple)) or not any(isinstance(v, (dict, list, tuple)) for v in struct):
        return None

    def describe(v: Any) -> str:
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k!r}: {format_shape(shape_of(t))}" for k, t in v.items()) + "}"
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(describe(x) for x in v) + "]"
        source = producer(v)
        return f"{source.name} {format_shape(shape_of(v))}" if source is not None else format_shape(shape_of(v))

    text = f"{var} takes one list of {len(struct)} items, {describe(struct)}, and gets {got}."
    missing = list(struct[got:]) if got < len(struct) else []
    if missing:
        wanted = {id(t) for t in keras.tree.flatten(missing)}
        takers = [str(layer.name) for layer in model.layers
                  if not is_input_layer(layer) and any(id(t) in wanted for t in call_inputs(layer))]
        text += (f" Missing: {', '.join(describe(v) for v in missing)}"
                 + (f", which {' and '.join(takers)} take{'s' if len(takers) == 1 else ''}" if takers else "") + ".")
    return text + f" Pass every item, in that structure: {var}({_structure_call(struct)})."


def _structure_call(struct: Any) -> str:
    if isinstance(struct, dict):
        return "{" + ", ".join(f"{k!r}: ..." for k in struct) + "}"
    if isinstance(struct, (list, tuple)):
        return "[" + ", ".join(_structure_call(v) for v in struct) + "]"
    return getattr(producer(struct), "name", "...")


def _multi_input_step(case: Case, name: str) -> str | None:
    """A model of several inputs placed as a step of a Sequential, which hands each step one tensor: the
    functional form that gives it its inputs."""
    inner = next((m for m in case.models() if m.name == name), None)
    holder = _sequential_holding(case, inner) if isinstance(inner, keras.Model) else None
    if inner is None or holder is None or len(getattr(inner, "inputs", None) or []) < 2:
        return None
    var = case.var(inner)
    decls = ", ".join(f"keras.Input({_tuple(shape_of(t)[1:])})" for t in inner.inputs)
    return (f"{var} takes {len(inner.inputs)} inputs, but a Sequential hands each step one tensor. Build "
            f"{holder.name} as a functional model that gives {var} its inputs: inputs = [{decls}]; "
            f"y = {var}(inputs), then each later step on y (y = step(y)), and keras.Model(inputs, y).")


def _sequential_holding(case: Case, layer: Any) -> Any:
    """The Sequential model, among the user's and the ones nested in them, that holds ``layer`` as a step."""
    building = [f.layer for f in case.frames] + [fr.f_locals.get("self") for fr in _frames(case.exc)]
    for model in [*case.models(), *(b for b in building if isinstance(b, keras.Sequential))]:
        for _, sub in [("", model), *_walk(model)]:
            if isinstance(sub, keras.Sequential) and any(x is layer for x in sub.layers):
                return sub
    return None


def _unmerged_bidirectional(given: Any) -> Any:
    """The Bidirectional with merge_mode=None whose two outputs make up ``given`` (a list of tensors, or a
    model whose outputs they are), found through nested models; None otherwise."""
    tensors = list(given) if isinstance(given, (list, tuple)) else []
    if not tensors and is_symbolic(given):
        tensors = [given]
    layers = []
    for t in tensors:
        src = producer(t) if is_symbolic(t) else None
        while isinstance(src, keras.Model) and len(getattr(src, "outputs", [])) >= 1:
            inner = [producer(o) for o in src.outputs]
            src = inner[0] if all(x is inner[0] for x in inner) else None
        layers.append(src)
    first = layers[0] if layers else None
    if isinstance(first, keras.layers.Bidirectional) and first.merge_mode is None and all(x is first for x in layers):
        return first
    return None


def _named_arrays(case: Case) -> list[tuple[str, Any]]:
    """(name, array) for each array named in the call on the user's line, in order: values with an integer
    ``ndim`` (the np module and np.float32 have shape and dtype attributes, but no such ndim)."""
    return [(n, v) for n in _call_names(case) if isinstance(getattr(v := case.scope.get(n), "ndim", None), int)]


def _inline_arrays(case: Case) -> list[tuple[str, Any]]:
    """(its text, array) for each NumPy array written out inline in the statement on the user's failing line
    (``model.fit(np.array([["good"], ["bad"]]), y)``), made again from its literal values: the named arrays'
    readers then answer it the same way."""
    from kernest._explain_custom import _statement

    site, source = case.site, user_source(case)
    stmt = _statement(site.file, site.line) if site is not None and source else None
    out: list[tuple[str, Any]] = []
    calls = [n for n in ast.walk(stmt) if isinstance(n, ast.Call)] if stmt is not None else []
    for node in calls:
        func = node.func
        if not (isinstance(func, ast.Attribute) and func.attr in ("array", "asarray") and len(node.args) == 1
                and value_of(func.value, case.scope) is np):
            continue
        try:
            values = np.array(ast.literal_eval(node.args[0]),
                              **{k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg})
        except (ValueError, TypeError, SyntaxError):  # not literal values (names, calls): not made again here
            continue
        text = ast.get_source_segment(source, node) or ast.unparse(node)
        items = node.args[0].elts if isinstance(node.args[0], (ast.List, ast.Tuple)) else []
        if len(text) > 40 and len(items) > 1:  # shown by its first item: np.array([["good"], ...])
            text = f"{ast.unparse(func)}([{ast.get_source_segment(source, items[0]) or ast.unparse(items[0])}, ...])"
        out.append((text, values))
    return out


def _call_names(case: Case) -> list[str]:
    """The names in the call on the user's failing line (``model.fit(x, y)`` -> fit's arguments' names), once each."""
    text = case.site.text if case.site is not None else ""
    return list(dict.fromkeys(re.findall(r"[A-Za-z_]\w*", text[text.find("(") + 1 :] if "(" in text else "")))


def _inputs_to_pass(case: Case, model: Any, declared: list[Shape], given: list[str]) -> str:
    """``model.fit([a, <array for b>], ...)``: the arrays on the line placed at the inputs they fit, the others named."""
    arrays = dict(_named_arrays(case))
    slots = []
    for t, want in zip(model.inputs, declared):
        match = next((n for n in given if n in arrays and fits(want, shape_of(arrays[n]))), None)
        if match is not None:
            given = [n for n in given if n != match]
        slots.append(match or f"<an array {format_shape(want)} for {getattr(t, 'name', 'this input')}>")
    listing = ", ".join(f"{getattr(t, 'name', '?')} {format_shape(w)}" for t, w in zip(model.inputs, declared))
    method = re.search(r"\.(fit|predict|evaluate)\(", case.site.text if case.site else "")
    return (f"{case.var(model)} takes {len(declared)} inputs ({listing}), one array each, in a list or a dict by "
            f"name: {case.var(model)}.{method.group(1) if method else 'fit'}([{', '.join(slots)}], ...).")


def _structure(case: Case, m: re.Match[str]) -> Mismatch:
    consumer = case.consumer
    keys = _input_keys(consumer)
    cvar = case.var(consumer) if consumer is not None else "the model"
    if keys:
        wanted = "{" + ", ".join(f'"{k}": ...' for k in keys) + "}"
        fix = f"{cvar} was built with a dict of inputs: call it with the same keys, {cvar}({wanted})."
        expected = "a dict with keys " + ", ".join(keys)
    else:
        fix = (f"call {cvar} with the structure it was built with (a list in the same order), or use "
               "kernest.connect to wire outputs to inputs by name.")
        expected = "the structure the model was built with"
    name = case.consumer_name("model")
    return Mismatch(case.path(name), case.interface(name), expected, _structure_text(case), fix)


def _missing_key(case: Case, m: re.Match[str]) -> Mismatch:
    """A dict-input model called with keys that are not its input names: map each given key to one."""
    passed = re.findall(r"'([^']+)'", m.group("passed"))
    expected = re.findall(r"'([^']+)'", m.group("expected"))
    frame = case.frames[case.meet] if case.frames else None
    data = frame.data if frame is not None and isinstance(frame.data, dict) else {}
    wrong = [k for k in passed if k not in expected]
    missing = [k for k in expected if k not in passed]
    name = case.consumer_name("model")
    auto = _keys_for_auto_named_inputs(case, expected, data)
    if auto is not None:
        return auto
    if missing and not wrong:  # nothing to rename: a key left out of the dict
        shapes = {str(getattr(t, "name", "")): format_shape(shape_of(t))
                  for t in keras.tree.flatten(graph_inputs(case.consumer) or [])} if case.consumer is not None else {}
        wanted = ", ".join(f'"{k}": <an array {shapes.get(k, "")}>'.replace(" >", ">") for k in missing)
        return Mismatch(
            case.path(name), f"data -> {name}", "a dict with keys " + ", ".join(expected), "keys " + ", ".join(passed),
            f"{name} takes the inputs {expected} and the dict passed has no {', '.join(map(repr, missing))}. Add "
            f"{'it' if len(missing) == 1 else 'them'} to the dict: {{..., {wanted}}}.",
        )
    pairs = dict(zip(wrong, _closest(wrong, missing)))
    entries = []
    for key in expected:
        source = next((w for w, e in pairs.items() if e == key), key)
        value = data.get(source)
        entries.append(f'"{key}": {case.var(value) if value is not None else source}')
    bad = data.get(wrong[0]) if wrong else None
    source_layer = producer(bad) if bad is not None and is_symbolic(bad) else None
    side = "data" if source_layer is None else (
        f"input:{source_layer.name}" if is_input_layer(source_layer) else str(source_layer.name))
    renames = ", ".join(f"{w!r} -> {e!r}" for w, e in pairs.items())
    written = _renamed_dict(case, {w: e for w, e in pairs.items()})
    call = written or f"{case.var(case.consumer)}({{{', '.join(entries)}}})"
    return Mismatch(
        case.path(name), f"{side} -> {name}", "a dict with keys " + ", ".join(expected),
        "keys " + ", ".join(passed),
        f"{name}'s inputs are named {expected}; rename the keys you pass ({renames}): {call}.",
    )


_AUTO_INPUT_NAME = re.compile(r"(input_layer|input|keras_tensor)(_\d+)?")


def _keys_for_auto_named_inputs(case: Case, expected: list[str], data: dict[str, Any]) -> Mismatch | None:
    """A dict of tensors (a model's dict outputs) given to a model whose Inputs carry Keras' own names, which no
    key can match: pair the entries with the inputs by shape (one way only), as a list in the inputs' order."""
    consumer = case.consumer
    inputs = list(getattr(consumer, "inputs", None) or [])
    if not expected or not all(_AUTO_INPUT_NAME.fullmatch(k) for k in expected) or len(inputs) != len(data):
        return None
    shapes = {k: tuple(shape_of(v)[1:]) for k, v in data.items() if hasattr(v, "shape")}
    order = []
    for t in inputs:
        fits_here = [k for k, sh in shapes.items() if sh == tuple(shape_of(t)[1:])]
        if len(fits_here) != 1:
            return None
        order.append(fits_here[0])
    if len(set(order)) != len(order):
        return None
    cvar = case.var(consumer)
    src = producer(next(iter(data.values())))
    held = next((n for n, v in case.scope.items() if v is data and not n.startswith("_")), None)
    line = case.site.text if case.site is not None else ""
    svar = case.var(src) if src is not None else ""
    made = re.search(rf"\b{re.escape(svar)}\((?:[^()]|\([^()]*\))*\)", line) if svar else None
    feats = held or "feats"
    first = "" if held or made is None else f"{feats} = {made.group(0)}; "
    listed = ", ".join(f'{feats}["{k}"]' for k in order)
    named = ", ".join(f'keras.Input({_tuple(shapes[k])}, name="{k}")' for k in order)
    name = case.consumer_name("model")
    return Mismatch(
        case.path(name), f"{getattr(src, 'name', 'data')} -> {name}", "a list in the order of " + ", ".join(expected),
        "a dict keyed " + ", ".join(data),
        f"{name}'s inputs carry Keras' own names ({', '.join(expected)}), which no key of the dict matches. Pass the "
        f"entries as a list in {name}'s input order (they pair by shape): {first}{cvar}([{listed}]); or name "
        f"{name}'s Inputs after the keys when you build it: {named}.",
    )


def _renamed_dict(case: Case, renames: dict[str, str]) -> str | None:
    """The dict the user's failing line writes (``fit({"title_vec": titles, ...}, y)``), or the dict variable
    it passes, with its keys renamed to the model's input names: ``{"title": titles, ...}``."""
    tree, _ = parse_line(case.site.text if case.site is not None else "")
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict) and any(isinstance(k, ast.Constant) and k.value in renames for k in node.keys):
            pairs = [f"{_py_key(renames.get(str(k.value), k.value))}: {ast.unparse(v)}" if isinstance(k, ast.Constant)
                     else f"**{ast.unparse(v)}" for k, v in zip(node.keys, node.values)]
            return "{" + ", ".join(pairs) + "}"
        value: Any = case.scope.get(node.id) if isinstance(node, ast.Name) else None
        if isinstance(node, ast.Name) and isinstance(value, dict) and any(k in renames for k in value):
            pairs = [f"{_py_key(renames.get(k, k))}: {node.id}[{_py_key(k)}]" for k in value]
            return "{" + ", ".join(pairs) + "}"
        if isinstance(node, ast.Name) and hasattr(value, "element_spec") and hasattr(value, "map"):
            return _renamed_dataset(node.id, value.element_spec, renames)
    return None


def _renamed_dataset(var: str, spec: Any, renames: dict[str, str]) -> str | None:
    """A tf.data pipeline whose features are a dict keyed otherwise than the inputs: a ``map`` that renames the
    keys, ``ds = ds.map(lambda x, y: ({"title": x["title_ids"], ...}, y))``."""
    features = spec[0] if isinstance(spec, tuple) else spec
    if not isinstance(features, dict) or not any(k in renames for k in features):
        return None
    rest = ["y", "w"][:len(spec) - 1] if isinstance(spec, tuple) else []
    entries = ", ".join(f"{_py_key(renames.get(k, k))}: x[{_py_key(k)}]" for k in features)
    mapped = f"({{{entries}}}, {', '.join(rest)})" if rest else f"{{{entries}}}"
    return f"{var} = {var}.map(lambda {', '.join(['x', *rest])}: {mapped})"


def _py_key(text: Any) -> str:
    """A key as the user would write it in Python: double quotes."""
    return '"' + str(text).replace('"', '\\"') + '"'



def _closest(wrong: list[str], missing: list[str]) -> list[str]:
    """For each wrong key, the missing input name most like it (shared characters), each used once."""
    import difflib

    left, out = list(missing), []
    for key in wrong:
        if not left:
            break
        best = max(left, key=lambda name: difflib.SequenceMatcher(None, key, name).ratio())
        out.append(best)
        left.remove(best)
    return out


def _input_keys(model: Any) -> list[str]:
    struct = input_struct(model) if graph_inputs(model) is not None else None
    return list(struct) if isinstance(struct, dict) else []


def _structure_text(case: Case) -> str:
    if not case.frames:
        return "another structure"
    return f"{len(case.frames[case.meet].inputs)} tensor(s) in another structure"


def _positional_value(case: Case, m: re.Match[str]) -> Mismatch:
    value = m.group("value")
    name = case.consumer_name(case.layer.name if case.layer is not None else "layer")
    for model in case.models():
        struct = output_struct(model) if graph_inputs(model) is not None else None
        if isinstance(struct, dict) and value in struct:
            keys = list(struct)
            mvar = case.var(model)
            return Mismatch(
                case.path(name), f"{model.name} -> {name}", "a tensor", f"the string {value!r}",
                f"{mvar} returns a dict with keys {keys}; unpacking it ({', '.join(keys)} = {mvar}(...)) gives the "
                f"keys, not the tensors. Keep the dict and index it by key: outputs = {mvar}(...); "
                + ", ".join(f'{k} = outputs["{k}"]' for k in keys) + ".",
            )
    return Mismatch(case.path(name), f"? -> {name}", "a tensor", f"{value!r}",
                    f"{name} was given a non-tensor value {value!r} where a tensor goes; pass the tensor itself.")


def _timedistributed_list(case: Case, m: re.Match[str]) -> Mismatch:
    """TimeDistributed given several tensors for a multi-input inner model."""
    name = case.consumer_name("time_distributed")
    inner = getattr(case.consumer, "layer", None)
    ivar = case.var(inner) if inner is not None else "inner"
    return Mismatch(case.path(name), case.interface(name), "one tensor", f"{len(case.frames[case.meet].inputs) if case.frames else 'several'} tensors",
                    f"TimeDistributed takes a single tensor. Map the multi-input model with kernest.over(1, {ivar}), "
                    "which folds axis 1 of every input into the batch and runs the model once.")


def _unknown_size(case: Case, m: re.Match[str]) -> Mismatch:
    """A layer sizing its weights from an axis of unknown size. The usual way: a model declared for inputs
    of any size (``Input((None, None, c))``) whose map is Flattened: the flat width is unknown, so the Dense
    after it cannot be built. Global pooling gives a fixed width for any size."""
    t = case.tensor
    name = case.consumer_name(getattr(case.layer, "name", "layer"))
    found = next(((lay, p, t_in) for lay, p, t_in in (producer_chain(t) if t is not None and is_symbolic(t) else ())
                  if isinstance(lay, keras.layers.Flatten) and t_in is not None and None in shape_of(t_in)[1:]), None)
    if found is None:
        return _generic(case)
    flat, where, t_in = found
    before = shape_of(t_in)
    interface = _entry_of(case, t_in) or case.interface(name)
    known = [i for i, d in enumerate(before) if i > 0 and d is not None]
    k = len(before) - 2
    fmt = ', data_format="channels_first"' if known == [1] and len(before) > 2 else ""
    pool = f"keras.layers.GlobalAveragePooling{k}D({fmt.lstrip(', ')})" if 1 <= k <= 3 else None
    fix = (f"{where} flattens {format_shape(before)}, whose size is unknown (the model accepts any size), so its "
           f"output width is unknown and {getattr(case.layer, 'name', name)} cannot size its weights. ")
    fix += (f"Use {pool} in place of {flat.name} (or the GlobalMaxPooling{k}D twin): it gives one value per "
            f"channel for any size; or declare a fixed size in the model's Input." if pool and known in ([len(before) - 1], [1])
            else "Declare a fixed size in the model's Input, or reduce the unknown axes before it.")
    return Mismatch(case.path(name), interface, "a known size on every axis after the batch", case.received(), fix)


def _entry_of(case: Case, tensor: Any) -> str | None:
    """``producer -> model`` for the traced model whose own Input is ``tensor``: where a tensor that a layer
    inside it received crossed into it. A Sequential being built has no graph inputs yet, so an Input
    feeding ``tensor``'s reader belongs to the deepest model frame above the failing layer."""
    src_in = producer(tensor) if is_symbolic(tensor) else None
    for frame in reversed(case.frames[:-1]):
        model = frame.layer
        if not isinstance(model, keras.Model) or not frame.inputs:
            continue
        if any(x is tensor for x in graph_inputs(model) or ()) or src_in is not None and is_input_layer(src_in):
            given = frame.inputs[0]
            src = producer(given) if is_symbolic(given) else case.made_by.get(id(given))
            if src is None:
                return None
            return f"{'input:' if is_input_layer(src) else ''}{src.name} -> {frame_name(frame)}"
    return None


def _timedistributed_rank(case: Case, m: re.Match[str]) -> Mismatch:
    """TimeDistributed given a tensor without an axis to map over, as a per-sample vector from an RNN that
    returns only its last step: the same rule as any layer that lost an axis."""
    name = case.consumer_name(getattr(case.layer, "name", "time_distributed"))
    got = len(_parse_shape(m.group("shape")))
    received = case.received()
    return Mismatch(case.path(name), case.interface(name), "(batch, steps, ...)", received,
                    _rank_lost(case, 3, got, received))


# --- data, dtypes, training state --------------------------------------------------------------------------

def _optimizer(case: Case, m: re.Match[str]) -> Mismatch:
    """``trainable`` changed after the model was compiled and trained: name the part and recompile."""
    from kernest._lint import changed_part

    model = case.fitted_model() or (case.target if isinstance(case.target, keras.Model) else next(iter(case.models()), None))
    shared = shared_optimizer(case, model) if model is not None and not m.group("now") else None
    if shared is not None:
        return shared
    var = case.var(model) if model is not None else "model"
    before = getattr(model, "_kernest_compiled_with", None)
    was = int(m.group("was")) if m.group("was") else len(before or [])
    now = int(m.group("now")) if m.group("now") else len(getattr(model, "trainable_variables", []))
    part = ""
    if model is not None and before is not None:
        part, _ = changed_part(model, set(before) ^ {id(v) for v in model.trainable_variables}, now < was)
    verb = "freeze" if now < was else "unfreeze"
    return Mismatch(
        part or var, f"{var} -> optimizer", f"{was} trainable variables (as compiled)", f"{now} trainable variables",
        f"{part or 'a part'} was {'frozen' if now < was else 'unfrozen'} after {var} was compiled and trained, and the optimizer was built for the "
        f'old set. Use kernest.{verb}({var}, "{part or "PATTERN"}", recompile=True), which sets the flag and compiles '
        f"again with the same settings, or call {var}.compile(...) after changing trainable.",
    )


def _index_range(case: Case, m: re.Match[str]) -> Mismatch:
    """Ids outside an Embedding's range: the size the data needs, computed from the data in scope."""
    groups = m.groupdict()
    layer = case.layer if isinstance(case.layer, keras.layers.Embedding) else None
    hi = int(groups["hi"]) if groups.get("hi") else getattr(layer, "input_dim", 0)
    bad = int(groups["id"]) if groups.get("id") else None
    path: str | None = case.path() if case.frames and layer is not None else None
    emb: Any = layer
    if path is None:
        path, emb = _embedding_with(case, hi)
    largest = _largest_id(case, hi)
    top = max(x for x in (bad, largest, hi - 1) if x is not None)
    size = top + 1
    name = path or "embedding"
    out_dim = getattr(emb, "output_dim", None)
    call = f"keras.layers.Embedding({size}, {out_dim})" if out_dim else f"Embedding(input_dim={size}, ...)"
    seen = f"id {bad}" if bad is not None else f"ids up to {largest}" if largest is not None else "an id out of range"
    swapped = _sizes_swapped(case, emb, hi, top)
    if swapped is not None:
        return Mismatch(
            name, f"data -> {name.rsplit('/', 1)[-1]}", f"ids in [0, {hi})", seen,
            f"{name} was built with input_dim={hi} and output_dim={out_dim}, but the data holds {seen}"
            f"{f' (largest id {largest})' if largest is not None and bad is not None else ''}, which fits the "
            f"{out_dim} instead: the two sizes look swapped. Embedding takes the vocabulary size first and the vector "
            f"size second: {swapped}.",
        )
    return Mismatch(
        name, f"data -> {name.rsplit('/', 1)[-1]}", f"ids in [0, {hi})", seen,
        f"{name} has input_dim={hi} but the data holds {seen}"
        f"{f' (largest id {largest})' if largest is not None and bad is not None else ''}: build it with "
        f"input_dim={size} ({call}), or map unknown ids to an out-of-vocabulary id with keras.layers.IntegerLookup.",
    )


def _sizes_swapped(case: Case, emb: Any, input_dim: int, top: int) -> str | None:
    """The user's ``Embedding(64, vocab_size, ...)`` with its first two arguments swapped, where the ids reach past
    input_dim but stay below output_dim (``layers.Embedding(vocab_size, 64, name="emb")``); None otherwise."""
    out_dim = getattr(emb, "output_dim", None)
    if not isinstance(emb, keras.layers.Embedding) or out_dim is None or not input_dim < top < out_dim:
        return None
    source, tree = user_tree(case)
    for node in ast.walk(tree) if tree is not None else []:
        if not (isinstance(node, ast.Call) and ast.unparse(node.func).split(".")[-1] == "Embedding"
                and any(k.arg == "name" and isinstance(k.value, ast.Constant) and k.value.value == emb.name
                        for k in node.keywords)):
            continue
        text = ast.get_source_segment(source, node) or ""
        given = {k.arg: k.value for k in node.keywords if k.arg in ("input_dim", "output_dim")}
        first = node.args[0] if node.args else given.get("input_dim")
        second = node.args[1] if len(node.args) > 1 else given.get("output_dim")
        if first is None or second is None or not text:
            return None
        a, b = ast.get_source_segment(source, first), ast.get_source_segment(source, second)
        if not a or not b:
            return None
        lines = source.splitlines(keepends=True)
        at = functools.partial(source_offset, lines)
        lo, hi = sorted((first, second), key=lambda n: (n.lineno, n.col_offset))
        new_lo, new_hi = (b, a) if lo is first else (a, b)
        begin, finish = at(node.lineno, node.col_offset), at(node.end_lineno, node.end_col_offset)
        text = (source[begin:at(lo.lineno, lo.col_offset)] + new_lo
                + source[at(lo.end_lineno, lo.end_col_offset):at(hi.lineno, hi.col_offset)] + new_hi
                + source[at(hi.end_lineno, hi.end_col_offset):finish])
        return text
    return None


def _embedding_with(case: Case, input_dim: int) -> tuple[str | None, Any]:
    """The path of an Embedding with ``input_dim``, from the model being trained (else the largest model)."""
    models = sorted(case.models(), key=lambda model: -len(_walk(model)))
    fitted = case.fitted_model()
    if fitted is not None:
        models.insert(0, fitted)
    for model in models:
        for path, layer in _walk(model):
            if isinstance(layer, keras.layers.Embedding) and layer.input_dim == input_dim:
                return f"{model.name}/{path}", layer
    return None, None


def _largest_id(case: Case, above: int) -> int | None:
    import numpy as np

    best = None
    for value in case.scope.values():
        if isinstance(value, np.ndarray) and value.dtype.kind in "iu" and value.size:
            top = int(value.max())
            if top >= above and (best is None or top > best):
                best = top
    return best


def _dtype(case: Case, m: re.Match[str]) -> Mismatch:
    frm, to = m.group("frm"), m.group("to")
    if to == "string":
        lookup = _string_lookup_fed(case, frm)
        if lookup is not None:
            path, layer, shape = lookup
            return Mismatch(
                path, f"data -> {layer.name}", "strings", f"{frm} values",
                f"{path} (StringLookup) maps strings, but its input holds {frm} numbers, which cannot be cast to "
                f'strings. Declare the input keras.Input(shape={_tuple(shape)}, dtype="string") and feed the values '
                "as strings (x.astype(str)), or use keras.layers.IntegerLookup for integer codes.",
            )
    name = case.consumer_name("input")
    if to == "string":
        fix = (f"{name} takes strings but gets {frm} values (dtype {frm}): feed it text, or for numbers use "
               "keras.layers.IntegerLookup (integer categories) or keras.layers.Discretization (floats).")
    else:
        fix = (f"feed {to} values where the model's input declares {to} (set dtype= in keras.Input, or cast the "
               "data).")
    return Mismatch(case.path(name), case.interface(name), f"{to} values", f"{frm} values", fix)


def _string_lookup_fed(case: Case, dtype: str) -> tuple[str, Any, Shape] | None:
    """A StringLookup whose symbolic input is not a string, with its path in the model being run."""
    fitted = case.fitted_model()
    models = ([fitted] if fitted is not None else []) + sorted(case.models(), key=lambda model: -len(_walk(model)))
    for model in models:
        for path, layer in _walk(model):
            if isinstance(layer, keras.layers.StringLookup):
                given = call_inputs(layer)
                if given and "string" not in str(given[0].dtype):
                    return f"{model.name}/{path}", layer, shape_of(given[0])[1:]
    return None


def _statement_calls(case: Case) -> tuple[str, list[ast.Call], ast.AST | None]:
    """The user's source, the calls of the whole statement on the failing line (a Sequential([...]) written
    over several lines included), and that statement."""
    source, tree = user_tree(case)
    if tree is None:
        return source, [], None
    line = case.site.line if case.site is not None else -1
    stmt = next((n for n in ast.walk(tree) if isinstance(n, ast.stmt) and not isinstance(n, (ast.FunctionDef, ast.ClassDef))
                 and n.lineno <= line <= (n.end_lineno or n.lineno)
                 and not any(isinstance(c, ast.stmt) and c.lineno <= line <= (c.end_lineno or c.lineno)
                             for c in ast.iter_child_nodes(n))), None)
    return source, [n for n in ast.walk(stmt) if isinstance(n, ast.Call)] if stmt is not None else [], stmt


def _layer_label(call: ast.Call, scope: dict[str, Any]) -> str | None:
    """How a layer made by ``call`` is named in a path: its name=, ``input:NAME`` for a keras.Input."""
    name = name_kw(call)
    made = value_of(call.func, scope)
    if name is not None and made is keras.Input:
        return f"input:{name}"
    return name


def _neighbours(stmt: ast.AST | None, call: ast.Call, scope: dict[str, Any]) -> tuple[str | None, str | None]:
    """The layers before and after ``call`` in the list it is written in (a Sequential's layers), by name."""
    for node in ast.walk(stmt) if stmt is not None else []:
        if isinstance(node, ast.List) and call in node.elts:
            i = node.elts.index(call)
            before = node.elts[i - 1] if i > 0 else None
            after = node.elts[i + 1] if i + 1 < len(node.elts) else None
            return (_layer_label(before, scope) if isinstance(before, ast.Call) else None,
                    _layer_label(after, scope) if isinstance(after, ast.Call) else None)
    return None, None


def _argument_node(call: ast.Call, made: Any, arg: str) -> ast.expr | None:
    """The expression given for constructor parameter ``arg`` of class ``made`` in ``call``."""
    found = next((k.value for k in call.keywords if k.arg == arg), None)
    if found is not None:
        return found
    params = constructor_parameters(made)
    i = params.index(arg) if arg in params else -1
    return call.args[i] if 0 <= i < len(call.args) else None


def _not_an_int(case: Case, m: re.Match[str]) -> Mismatch:
    """``Dense(np.prod(shape))`` or ``Dense(n / 2)``: a size given as a NumPy integer or a float."""
    arg, value = m.group("arg"), m.group("value")
    source, calls, stmt = _statement_calls(case)
    for call in calls:
        made = value_of(call.func, case.scope)
        if not (inspect.isclass(made) and issubclass(made, keras.layers.Layer)):
            continue
        node = _argument_node(call, made, arg)
        if node is None or (isinstance(node, ast.Constant) and type(node.value) is int):
            continue
        text = ast.get_source_segment(source, node) or arg
        name = name_kw(call) or made.__name__
        before, _ = _neighbours(stmt, call, case.scope)
        applied = next((n for n in calls if n.func is call and n.args), None)
        if before is None and applied is not None:  # layers.Dense(...)(h): what made h
            before = source_name(applied.args[0], case.scope)
        halved = division_hint(text)
        return Mismatch(
            name, f"{before or arg} -> {name}", f"{arg} as a Python int", f"{arg}={value} from {text}",
            f"{made.__name__} {name!r} is given {arg}={text}, which is {value} but not a Python int (a NumPy integer "
            f"or a float), and Keras 3 takes {arg} only as a Python int. Write {arg}=int({text}){halved}: "
            f"{made.__name__}(int({text}), ...).",
        )
    return _generic_run(case)


def _to_shape(case: Case, m: re.Match[str]) -> Mismatch:
    value = m.groupdict().get("value") or ""
    if re.fullmatch(r"\d+", value):
        source, calls, stmt = _statement_calls(case)
        for call in calls:
            node = next((k.value for k in call.keywords if k.arg in ("shape", "input_shape")), None)
            if node is None or isinstance(node, (ast.Tuple, ast.List)) or value_of(node, case.scope) is not None \
                    and not isinstance(value_of(node, case.scope), int):
                continue
            text = ast.get_source_segment(source, node) or value
            tupled = f"{text[:-1]},)" if text.startswith("(") and text.endswith(")") else f"({text},)"
            kw = next(k.arg for k in call.keywords if k.value is node)
            label = _layer_label(call, case.scope) or "keras.Input"
            _, after = _neighbours(stmt, call, case.scope)
            callee = ast.get_source_segment(source, call.func) or "keras.Input"
            more = ", ..." if len(call.args) + len(call.keywords) > 1 else ""
            why = "parentheses alone do not make a tuple" if text.startswith("(") else "a number is not a tuple"
            return Mismatch(
                label.removeprefix("input:"), f"{label} -> {after}" if after else f"shape -> {label}",
                f"a shape tuple, ({value},)", f"{kw}={text}, the number {value}",
                f"{kw}={text} is one number ({value}): {why}, and Keras 3 takes a tuple with one size per axis "
                f"after the batch. Add the comma: {callee}({kw}={tupled}{more}).",
            )
        return Mismatch(
            "keras.Input", "shape -> keras.Input", f"a shape tuple, ({value},)", value,
            f"shape={value} is one number; Keras 3 takes a tuple with one size per axis after the batch: "
            f"keras.Input(shape=({value},)) (and input_shape=({value},), batch_shape=(None, {value}) likewise).",
        )
    name = case.consumer_name("layer")
    src = producer(case.outer) if case.outer is not None and is_symbolic(case.outer) else None
    if src is None:  # the list itself reached the layer: find the model that returned it
        src = next((v for v in case.models() if returns_list(v, 1)
                    and f"{case.var(v)}(" in (case.site.text if case.site else "")), None)
    side = src.name if src is not None else "?"
    take = f"{call_text(case, src)}[0]" if src is not None else "outputs[0]"
    who = side if src is not None else "the sub-model"
    return Mismatch(
        case.path(name), f"{side} -> {name}", "a tensor", f"a one-element list {m.group('value') or ''}".rstrip(),
        f"{who} was built with outputs=[...] (a list of one), so calling it returns a one-element list, and a "
        f"reloaded copy keeps that. Take the tensor: {take}, or build it with outputs=tensor instead of a list.",
    )


_KERAS2 = [
    (r"\.get_output_shape_at\(\s*0\s*\)", ".output.shape"), (r"\.get_input_shape_at\(\s*0\s*\)", ".input.shape"),
    (r"\.get_output_at\(\s*0\s*\)", ".output"), (r"\.get_input_at\(\s*0\s*\)", ".input"),
    (r"\.output_shape\b", ".output.shape"), (r"\.input_shape\b", ".input.shape"),
]


# Keyword arguments of Keras 1 and 2 that Keras 3 rejects: the Keras 3 name, or None where it has no
# counterpart (the value moves elsewhere, said in _DROPPED_KWARGS).
_RENAMED_KWARGS: dict[str, str | None] = {
    "input": "inputs", "output": "outputs", "nb_epoch": "epochs", "border_mode": "padding",
    "init": "kernel_initializer", "W_regularizer": "kernel_regularizer", "b_regularizer": "bias_regularizer",
    "W_constraint": "kernel_constraint", "b_constraint": "bias_constraint", "subsample": "strides",
    "subsample_length": "strides", "dim_ordering": "data_format", "output_dim": "units", "nb_filter": "filters",
    "filter_length": "kernel_size", "samples_per_epoch": "steps_per_epoch", "nb_val_samples": "validation_steps",
    "lr": "learning_rate", "input_length": None, "mode": None, "decay": None,
}
_DROPPED_KWARGS = {
    "input_length": "the length belongs in the model's Input: keras.Input(shape=(length, ...))",
    "mode": "Keras 3 layers have one mode; drop it",
    "decay": "use a schedule: learning_rate=keras.optimizers.schedules.ExponentialDecay(...)",
}


# Keras 2 arguments that declared the shape of the data a layer takes: the problem sits between the data and it.
_DATA_SHAPE_KWARGS = {"batch_input_shape", "input_length"}


def _batch_input_shape_fix(value: str | None) -> str:
    """Keras 2's batch_input_shape=(batch, *shape) on a first layer, said the Keras 3 way: an Input first."""
    try:
        given = ast.literal_eval(value) if value else None
    except (ValueError, SyntaxError):
        given = None
    if isinstance(given, (list, tuple)) and len(given) >= 2:
        batch, shape = given[0], tuple(given[1:])
        decl = f"keras.Input(shape={_tuple(shape)}" + (f", batch_size={batch})" if batch is not None else ")")
    else:
        decl = "keras.Input(shape=(...), batch_size=...)"
    return (f"batch_input_shape: Keras 3 declares the input with {decl}, put first in the model "
            f"(keras.Sequential([{decl}, ...]) or the functional model's input), and the layer takes no shape")


def _keyword_source(text: str, key: str) -> str | None:
    """The source text of ``key=...`` in a call on ``text``, up to the next comma outside brackets."""
    found = re.search(rf"\b{key}\s*=\s*", text)
    if found is None:
        return None
    depth, end = 0, len(text)
    for i in range(found.end(), len(text)):
        ch = text[i]
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth < 0 or (depth == 0 and ch == ","):
            end = i
            break
    return text[found.end() : end].strip()


def _unknown_kwargs(case: Case, m: re.Match[str]) -> Mismatch:
    """A constructor or fit() given keyword arguments Keras 3 no longer knows (Keras 1/2 code): rename them
    in the user's own call, with the values they gave."""
    owner = m.group("cls") or m.group("fn")
    keys = re.findall(r"'(\w+)':", m.group("kw")) if m.group("kw") else [m.group("one")]
    site = case.site
    line = site.text if site is not None else ""
    renamed, said = [], []
    for key in keys:
        if key == "batch_input_shape":
            said.append(_batch_input_shape_fix(_keyword_source(line, key)))
            continue
        new = _RENAMED_KWARGS.get(key)
        value = re.search(rf"\b{key}\s*=\s*([^,()]+(?:\([^()]*\))?)", line)
        if new is not None and value is not None:
            renamed.append(f"{new}={value.group(1).strip()}")
        said.append(f"{key} is {new} in Keras 3" if new else f"{key}: {_DROPPED_KWARGS.get(key, 'Keras 3 has no such argument; drop it')}")
    name_arg = re.search(r"\bname\s*=\s*[\"']([^\"']+)[\"']", line)
    name = name_arg.group(1) if name_arg else owner
    callee = re.search(rf"([\w.]*\b{re.escape(owner)})\s*\(", line) if owner else None
    given: list[Any] = [v for v in (case.scope.get(x) for x in re.findall(r"\binputs?\s*=\s*(\w+)", line))
                        if is_symbolic(v)]
    interface = (f"input:{given[0].name} -> {name}" if given and hasattr(given[0], "name")
                 else f"data -> {name}" if set(keys) & _DATA_SHAPE_KWARGS else f"{keys[0]}= -> {name}")
    call = f" Write {callee.group(1)}({', '.join(renamed)}), keeping your other arguments." if renamed and callee else ""
    return Mismatch(name, interface, "Keras 3 arguments", ", ".join(f"{k}=" for k in keys),
                    f"{owner} was given Keras 1/2 arguments that Keras 3 rejects: {'; '.join(said)}.{call}")


def _removed_attr(case: Case, m: re.Match[str]) -> Mismatch:
    """A Keras 2 attribute (output_shape, get_output_at) used to wire models: rewrite the user's line."""
    cls, attr = m.group("cls"), m.group("attr")
    obj = getattr(case.exc, "obj", None)
    if not isinstance(obj, keras.layers.Layer):
        obj = next((v for v in case.scope.values() if type(v).__name__ == cls and isinstance(v, keras.layers.Layer)), None)
    holder: Any = None
    path = str(getattr(obj, "name", cls))
    for model in case.models():
        found = find_layer(model, obj) if obj is not None else None
        if found is not None and (holder is None or len(found) < len(path)):
            holder, path = model, f"{model.name}/{found}"
    site = case.site
    user = assigned_name(site.file, site.line) if site is not None else None
    interface = f"{holder.name if holder is not None else path} -> {user or 'user code'}"
    line = site.text if site is not None else ""
    for pattern, new in _KERAS2:
        line = re.sub(pattern, new, line)
    rewrite = f" Write: {line.rstrip(',')}" if site is not None and line != site.text else ""
    return Mismatch(
        path, interface, "Keras 3 API", f"the Keras 2 attribute {attr!r} of {type(obj).__name__ if obj is not None else cls}",
        f"Keras 3 removed {attr}; a layer's symbolic output is .output, and its shape .output.shape "
        f"(or call compute_output_shape(input_shape)).{rewrite}",
    )


# Model methods Keras 3 removed, and what replaces each: ``predict`` then a rule read from the output layer
# for the *_classes/*_proba pair, the plain method for the *_generator ones.
_REMOVED_METHODS = {"fit_generator": "fit", "evaluate_generator": "evaluate", "predict_generator": "predict",
                    "predict_proba": "predict", "predict_classes": "predict"}


def _output_activation(model: Any) -> tuple[str, int] | None:
    """The activation and width of ``model``'s first output, read from the layer that makes it (stepping
    into a nested model that makes it)."""
    outputs = getattr(model, "outputs", None) or []
    layer = producer(outputs[0]) if outputs else None
    while isinstance(layer, keras.Model) and getattr(layer, "outputs", None):
        layer = producer(layer.outputs[0])
    if layer is None:
        return None
    activation = getattr(layer, "activation", None)
    name = getattr(activation, "__name__", None) or type(layer).__name__.lower()
    return name, int(outputs[0].shape[-1] or 0)


def _removed_method(case: Case, m: re.Match[str]) -> Mismatch:
    """``model.predict_classes(x)``, ``model.fit_generator(gen)``: a Keras 2 model method Keras 3 removed.
    The replacement is computed from the user's line and, for class labels, from the model's output layer."""
    attr = m.group("attr")
    site = case.site
    line = site.text.strip() if site is not None else ""
    call = next((c for c in calls_on(line) if isinstance(c.node.func, ast.Attribute) and c.node.func.attr == attr), None)
    owner = call.text(call.node.func.value) if call is not None else "model"  # type: ignore[attr-defined]
    model = case.scope.get(owner) if isinstance(case.scope.get(owner), keras.Model) else None
    args = ", ".join(call.text(a) for a in [*call.node.args, *call.node.keywords]) if call is not None else "x"
    new = f"{owner}.{_REMOVED_METHODS[attr]}({args})"
    read = _output_activation(model) if model is not None else None
    if attr == "predict_classes" and read is not None:
        activation, width = read
        new = (f'({new} > 0.5).astype("int32")' if width == 1 else f"np.argmax({new}, axis=-1)")
        why = (f"its output is {width} wide with {activation}: " +
               ("one probability per sample, so a class is the probability above 0.5" if width == 1
                else "one score per class, so the class is the largest one"))
    elif attr == "predict_classes":
        why = "take the class from the predicted scores (argmax, or a 0.5 threshold for one sigmoid unit)"
    else:
        why = f"{_REMOVED_METHODS[attr]} takes what {attr} took (generators, datasets and arrays alike)"
    name = str(getattr(model, "name", owner))
    return Mismatch(name, f"{name} -> {attr}", f"the Keras 3 method {_REMOVED_METHODS[attr]}",
                    f"the Keras 2 method {attr}",
                    f"Keras 3 removed {attr}; {why}. Write {new}.")


def _public_home(name: str, near: Any) -> str | None:
    """Where the Keras 3 public API keeps ``name``: the module the user reached from (``near``) or one of
    keras' own namespaces; the dotted suffix to write after ``keras.``, or None."""
    spaces = ["layers", "models", "utils", "ops", "callbacks", "optimizers", "losses", "metrics", "activations",
              "initializers", "regularizers", "applications", "saving", "random", "preprocessing"]
    if near is not None and hasattr(near, name):
        return ""
    for space in spaces:
        if hasattr(getattr(keras, space, None), name):
            return space
    return None


def _moved_name(case: Case, m: re.Match[str]) -> Mismatch:
    """``layers.experimental.preprocessing.RandomFlip``, ``keras.layers.merge.Concatenate``: a Keras 2 module
    path that Keras 3 no longer has. Every use of it in the user's file is rewritten to where Keras 3 keeps
    the name it ends in."""
    module, attr = m.group("module"), m.group("attr")
    source = user_source(case)
    chain = re.compile(rf"\b([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*)\.{re.escape(attr)}((?:\.[A-Za-z_]\w*)+)")
    rewrites: dict[str, str] = {}
    for found in chain.finditer(source):
        base, rest = found.group(1), found.group(2)
        final = rest.rsplit(".", 1)[-1]
        home = _public_home(final, value_of(ast.parse(base, mode="eval").body, case.scope))
        if home is None:
            continue
        new = f"{base}.{final}" if home == "" else f"keras.{home}.{final}"
        rewrites.setdefault(found.group(0), new)
    site = case.site
    var = assigned_name(site.file, site.line) if site is not None else None
    where = _built_name(source, site.line) if site is not None else None
    name = where or var or module
    later = "".join(source.splitlines(keepends=True)[site.line:]) if site is not None else ""
    consumer = _called_next(var, later, case.scope) if var else None
    interface = f"{name} -> {consumer}" if consumer else f"{module} -> {name}"
    if rewrites:
        lines = [line for line in source.splitlines() if any(old in line for old in rewrites)]
        for old, new in rewrites.items():
            lines = [line.replace(old, new) for line in lines]
        moved = "; ".join(f"{old} -> {new}" for old, new in rewrites.items())
        fix = (f"Keras 3 keeps these names at the top of their module ({moved}). Write: "
               + "; ".join(line.strip().rstrip(",") for line in lines) + ".")
    else:
        fix = "look the name up in the Keras 3 API (keras.io/api) and import it from there."
    return Mismatch(name, interface, f"a name in {module}", f"{module}.{attr}",
                    f"{module} has no {attr} in Keras 3 (the Keras 2 / tf.keras path was removed). {fix}")


def _built_name(source: str, line: int) -> str | None:
    """The ``name=`` given to the outermost call of the statement that holds ``line``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    best: ast.stmt | None = None
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and node.lineno <= line <= (node.end_lineno or node.lineno):
            best = node if best is None or node.lineno >= best.lineno else best
    value = getattr(best, "value", None)
    if isinstance(value, ast.Call):
        for kw in value.keywords:
            if kw.arg == "name" and isinstance(kw.value, ast.Constant):
                return str(kw.value.value)
    return None


def _called_next(var: str, later: str, scope: dict[str, Any]) -> str | None:
    """What the script calls next on ``var``'s output (``backbone(augment(image))``): the layer's Keras name
    where it exists already, else the name the script calls it by."""
    found = re.search(rf"([A-Za-z_][\w.]*)\(\s*{re.escape(var)}\(", later)
    if found is None:
        return None
    layer = scope.get(found.group(1))
    return str(layer.name) if isinstance(layer, keras.layers.Layer) else found.group(1)


def _no_output(case: Case, m: re.Match[str]) -> Mismatch:
    name = m.group("layer")
    model = next((v for v in case.scope.values() if isinstance(v, keras.layers.Layer) and v.name == name), None)
    var = case.var(model) if model is not None else name
    shape = _guess_input_shape(model)
    decl = f"keras.Input(shape={_tuple(shape)})" if shape else "keras.Input(shape=(...))"
    line = case.site.text if case.site is not None else ""
    user = re.search(rf"(\w+)\(\s*{re.escape(var)}\.output\b", line)
    consumer = case.scope.get(user.group(1)) if user else None
    side = getattr(consumer, "name", user.group(1) if user else "?")
    return Mismatch(
        name, f"{name} -> {side}", f"{name} called on a tensor or given an Input", f"{name} never called",
        f"{var} has no .input/.output until it is called: start it with {decl} as its first entry "
        f"(keras.Sequential([{decl}, ...])), or call it on a tensor first, y = {var}(x).",
    )


def _guess_input_shape(model: Any) -> Shape | None:
    """The input shape a never-called model would take, from the data arrays in scope is not knowable;
    a built layer's weights tell it."""
    if model is None:
        return None
    shapes = built_input_shapes(model)
    return tuple(shapes[0][1:]) if shapes else None


def _labels(case: Case, m: re.Match[str]) -> Mismatch:
    """Labels that do not match the model's output: integer ids with a one-hot loss, or a class count
    that differs from the head's units."""
    return _labels_for(case, _dims(m.group("target")), _dims(m.group("output")))


def _rows_changed(model: Any, target: Shape, output: Shape) -> Mismatch | None:
    """Labels and output alike but for their row counts, and a layer of the user's that changes the rows."""
    from kernest._lint_samples import rows_changed

    if not isinstance(model, keras.Model) or tuple(target[1:]) != tuple(output[1:]) or target[0] == output[0]:
        return None
    found = rows_changed(model)
    if found is None:
        return None
    path, layer, fed_by, kept = found
    fix = (f"keep the batch as axis 0 in its call: `{kept}`" if kept else
           f"keep axis 0 (the batch) as it is in {type(layer).__name__}.call: reshape or merge only the other axes")
    return Mismatch(
        path, f"{fed_by} -> {layer.name}", f"{layer.name} keeping one row per sample", f"{output[0]} rows for {target[0]} "
        "labels", f"{layer.name} ({type(layer).__name__}) changes the number of rows: called on a batch of 2 it does "
        f"not give 2, so {model.name} outputs {output[0]} rows for a batch of {target[0]} samples (a reshape with -1 "
        f"first puts another axis into the batch). {fix[:1].upper()}{fix[1:]}.",
    )


def _labels_for(case: Case, target: Shape, output: Shape) -> Mismatch:
    model = case.fitted_model() or (case.frames[0].layer if case.frames else None)
    swapped = _labels_in_another_order(case, model)
    if swapped is not None:
        return swapped
    name = getattr(model, "name", "model")
    output = _before_squeeze(model, target, output)
    merged = batch_axis_merges(model) if isinstance(model, keras.Model) else []
    if merged and tuple(target[1:]) == tuple(output[1:]):  # the same shapes, other row counts
        path, layer, names = merged[0]
        shapes = [tuple(t.shape) for t in call_inputs(layer)]
        return Mismatch(
            path, f"{', '.join(names)} -> {layer.name}", "a merge along the features (axis=-1)",
            f"{layer.name} over axis 0, the batch",
            f"{layer.name} (Concatenate, axis=0) joins {' and '.join(names)} along the batch axis, so {name} gives "
            f"{len(names)} rows per sample and they no longer line up with the labels. "
            + merge_fix(names, shapes)[:1].upper() + merge_fix(names, shapes)[1:],
        )
    changed = _rows_changed(model, target, output)
    if changed is not None:
        return changed
    dropped = [d for _, layer in users_classes(model) for d in dropped_outputs(layer)] \
        if isinstance(model, keras.Model) else []
    if dropped:  # a sublayer's output that call() never reads: the output has the shape of what it read instead
        problem, how = dropped_text(dropped[0])
        return Mismatch(name, f"data -> {name}", f"labels like the output {_shape_tuple(output)}",
                        f"labels {_shape_tuple(target)}",
                        f"{problem} That is why {name} outputs {_shape_tuple(output)}: {how}")
    index = _output_index(model, output)
    head_text = head_path(model, index) if isinstance(model, keras.Model) and getattr(model, "outputs", None) else name
    loss, sparse = _loss_name(model, index), _sparse_loss(model, index)
    names = list(getattr(model, "output_names", None) or [])
    compile_ = f"Compile {names[index]} with" if len(names) > 1 and index < len(names) else "Compile with"
    units = output[-1] if output else None
    per_sample = (len(target) == len(output) - 1 and target[-1] == units and (units or 0) > 1
                  # one yes/no label per sample, (batch,) or (batch, 1), for a one-unit head on a sequence
                  or len(output) == 3 and units == 1 and (len(target) == 1 or len(target) == 2 and target[-1] == 1))
    # sparse ids, one per sample ((batch,) or (batch, 1)), for a head that predicts classes per step
    sparse_per_sample = (sparse and len(output) == 3 and (units or 0) > 1
                         and (len(target) == 1 or (len(target) == 2 and target[-1] == 1)))
    steps = _per_step(model, index) if per_sample or sparse_per_sample else None
    if sparse and len(target) == len(output) and target[-1] == units and (units or 0) > 1:
        fix = (f"the labels are one-hot rows {_shape_tuple(target)} but the loss {loss} wants integer class ids "
               f"{_shape_tuple(target[:-1])}. {compile_} loss=\"categorical_crossentropy\", or pass the class ids "
               f"np.argmax({_label_var(case, target)}, axis=-1) as labels.")
        return Mismatch(head_text, f"data -> {name}", f"integer class ids {_shape_tuple(target[:-1])}",
                        f"one-hot labels {_shape_tuple(target)}", fix)
    elif steps is not None:
        fix = (f"the labels {_shape_tuple(target)} are one per sample but {head_text} predicts one per step "
               f"{_shape_tuple(output)}: {steps}.")
        if sparse_per_sample:
            fix += (f" If every step has its own class (tagging), pass labels of shape "
                    f"{_shape_tuple(output[:-1])}, one class id per step.")
        elif units == 1 and len(output) == 3:
            fix += f" If every step has its own label (tagging), pass labels of shape {_shape_tuple(output)}."
    elif len(target) == len(output) - 1 or (len(target) == len(output) and target[-1] == 1 and (units or 0) > 1):
        fix = (f"the labels are integer class ids {_shape_tuple(target)} but the loss {loss} wants one-hot rows "
               f"like the output {_shape_tuple(output)}. {compile_} loss=\"sparse_categorical_crossentropy\", "
               f"or one-hot the labels with keras.utils.to_categorical(y, {units}).")
    elif len(target) == len(output) and target[-1] == units and _crop_to(output, target) is not None:
        crop = _crop_to(output, target)
        fix = (f"{head_text} outputs {_shape_tuple(output)} but the labels are {_shape_tuple(target)}: the layers that "
               f"upsample give a larger map than the data. Crop the output to the labels' size with {crop} as the "
               f"model's last layer, or change the upsampling (strides, padding) so the sizes agree.")
    elif len(output) >= 4 and (len(target) == 2 and target[-1] == units
                               or sparse and (len(target) == 1 or len(target) == 2 and target[-1] == 1)):
        head, dense = _head_on_map(model)
        why = "a Dense layer acts on the last axis only, so it" if dense else "nothing between the map and the output"
        per = "one class id per sample" if len(target) < 2 or target[-1] != units else "one row per sample"
        fix = (f"{head_text} outputs {_shape_tuple(output)}, one prediction per position of the feature map, but the "
               f"labels are {per} {_shape_tuple(target)}: {why} "
               f"keeps the {len(output) - 2} spatial axes. Put keras.layers.Flatten() (or keras.layers."
               f"GlobalAveragePooling{len(output) - 2}D()) before {head}.")
    elif len(target) == len(output) == 2 and units == 1 and target[-1] == 2:
        var = _label_var(case, target)
        fix = (f"{head_text} gives one probability per sample {_shape_tuple(output)}, and the labels are one-hot "
               f"pairs {_shape_tuple(target)}: pass the second column {var}[:, 1:] (or np.argmax({var}, axis=-1)) as "
               f"the labels, or build {head_text} with keras.layers.Dense(2, activation=\"softmax\") and compile "
               "with loss=\"categorical_crossentropy\".")
    elif len(target) == len(output) and target[-1] != units and _first_column_unused(model, target, units):
        fix = (f"the one-hot labels have {target[-1]} columns and the first is never set: they were made from "
               f"class ids 1..{units}, and keras.utils.to_categorical counts from 0. One-hot the ids from 0: "
               f"keras.utils.to_categorical(ids - 1, {units}) (ids: the class ids you encoded), which gives {_shape_tuple(output)} for "
               f"{head_text}'s {units} classes.")
    elif len(target) == len(output) and target[-1] != units:
        fix = (f"the labels have {target[-1]} columns but {head_text} gives {units}: build it with "
               f"keras.layers.Dense({target[-1]}) to match the {target[-1]} classes, or fix the labels.")
    else:
        fix = f"make the labels' shape {_shape_tuple(target)} match the output {_shape_tuple(output)}."
    return Mismatch(head_text, f"data -> {name}", f"labels like the output {_shape_tuple(output)}",
                    f"labels {_shape_tuple(target)}", fix)


def _before_squeeze(model: Any, target: Shape, output: Shape) -> Shape:
    """The output as the model gives it where a loss squeezed its last axis of size 1 to meet labels of lower
    rank (binary cross-entropy reports (batch, 10) for a head giving (batch, 10, 1))."""
    if len(target) != len(output) or not isinstance(model, keras.Model):
        return output
    for tensor in getattr(model, "outputs", None) or []:
        shape = shape_of(tensor)
        if len(shape) == len(output) + 1 and shape[-1] == 1 and all(
                a is None or b is None or a == b for a, b in zip(shape[:-1], output, strict=True)):
            return tuple(shape)
    return output


def _first_column_unused(model: Any, target: Shape, units: int | None) -> bool:
    """One-hot labels with one column more than the head's classes whose first column is all 0: ids 1..N one-hot
    encoded from 0 (the labels fit gave, as kernest recorded them)."""
    labels = getattr(model, "_kernest_labels", None)
    if units is None or target[-1] != units + 1 or not isinstance(labels, np.ndarray) or labels.ndim != 2:
        return False
    return labels.shape[-1] == units + 1 and not np.any(labels[:, 0]) and bool(np.all(labels.sum(axis=-1) == 1))


def _labels_in_another_order(case: Case, model: Any) -> Mismatch | None:
    """A model of several outputs given its labels in another order (``fit(x, [y_box, y_cls])``): the arrays
    in the list given as labels on the user's line fit the outputs in exactly one other order."""
    outs = [shape_of(t)[1:] for t in getattr(model, "outputs", None) or []]
    call = users_model_call(case, ("fit", "evaluate", "train_on_batch", "test_on_batch"))
    if len(outs) < 2 or call is None:
        return None
    names = call.listed("y") or []
    arrays = [case.scope.get(n) for n in names]
    if len(names) != len(outs) or not all(isinstance(getattr(a, "ndim", None), int) for a in arrays):
        return None
    got = [shape_of(a)[1:] for a in arrays]
    orders = [p for p in itertools.permutations(range(len(names))) if all(got[j] == outs[i] for i, j in enumerate(p))]
    if len(orders) != 1 or list(orders[0]) == list(range(len(names))):
        return None
    order = [names[j] for j in orders[0]]
    keys = list(getattr(model, "output_names", None) or [])
    listed = ", ".join(f"{k} {format_shape((None, *o))}" if k else format_shape((None, *o)) for k, o in zip(keys or [""] * len(outs), outs))
    by_name = "{" + ", ".join(f"\"{k}\": {n}" for k, n in zip(keys, order)) + "}" if len(keys) == len(order) else None
    fix = (f"{case.var(model)} gives its outputs in the order {listed}, and the labels [{', '.join(names)}] come in "
           f"another order. Pass [{', '.join(order)}]"
           + (f", or a dict keyed by output name, {by_name}, which no order can break." if by_name else "."))
    return Mismatch(model.name, f"data -> {model.name}", "labels " + " and ".join(format_shape((None, *o)) for o in outs),
                    " and ".join(format_shape((None, *g)) for g in got), fix)


def _label_range(case: Case, m: re.Match[str]) -> Mismatch:
    """Integer labels past the head's classes for a sparse loss (TensorFlow's and PyTorch's words, at fit)."""
    import numpy as np

    model = case.fitted_model()
    outputs = getattr(model, "outputs", None) or []
    units = int(m.group("n")) if m.groupdict().get("n") else (outputs[0].shape[-1] if len(outputs) == 1 else None)
    if model is None or not isinstance(units, int):
        return _generic_run(case)
    bad = int(m.group("id"))
    source = next((a for a in [getattr(model, "_kernest_labels", None), *_call_data(case)]
                   if a is not None and np.asarray(a).dtype.kind in "iu" and bad in np.asarray(a)), None)
    low, high = (int(np.min(source)), int(np.max(source))) if source is not None else (min(bad, 0), max(bad, 0))
    var = next((n for n, v in case.scope.items() if v is source), "y") if source is not None else "y"
    return Mismatch(head_path(model), f"data -> {model.name}", f"class ids in [0, {units})", f"labels {low}..{high}",
                    label_range_fix(units, low, high, var) + ".")


def _python_list_data(case: Case, m: re.Match[str]) -> Mismatch:
    """A Python list of sequences passed as data: Keras takes one array per input, so the sequences must share
    a length (text ids of each sentence, usually)."""
    model = case.fitted_model()
    flat = next((n for n in _call_names(case) if isinstance(case.scope.get(n), (list, tuple)) and case.scope[n]
                 and all(isinstance(v, (int, float, np.number)) for v in case.scope[n])), None)
    if model is not None and flat is not None and len(getattr(model, "inputs", None) or []) == 1:
        return _numbers_as_data(model, flat, case.scope[flat])
    var = next((n for n in _call_names(case) if _sequences(case.scope.get(n))), None)
    if model is None or var is None or len(getattr(model, "inputs", None) or []) != 1:
        return _generic_run(case)
    value: Any = case.scope[var]
    lengths = [len(e) for e in value]
    declared = shape_of(model.inputs[0])
    fixed = declared[1] if len(declared) == 2 else None
    name = model.name
    embeds = any(isinstance(layer, keras.layers.Embedding) for _, layer in _walk(model))
    if len(set(lengths)) == 1:
        fix = f"{var} is a Python list of {len(value)} rows of {lengths[0]}: pass np.asarray({var}) instead."
    else:
        width = fixed or max(lengths)
        head = (f"{var} is a Python list of {len(value)} sequences of {min(lengths)} to {max(lengths)} items, and Keras "
                f"takes one array per input, so they must share a length. Pad them: ")
        maxlen = f", maxlen={fixed}" if fixed else ""
        if _reads_last_step_unmasked(model):  # zeros after the words would be the last steps the RNN reads
            fix = (head + f"keras.utils.pad_sequences({var}{maxlen}) gives ({len(value)}, {width}) with 0 as padding "
                   "in front (Keras' default), so the recurrent layer reads the real items last; padding=\"post\" "
                   "needs the Embedding built with mask_zero=True.")
        else:
            fix = (head + f"keras.utils.pad_sequences({var}{maxlen}, padding=\"post\") gives ({len(value)}, {width}) "
                   "with 0 as padding" + (" (give the Embedding mask_zero=True so the padding is skipped)." if embeds else "."))
    return Mismatch(name, f"data -> {name}", format_shape(declared),
                    f"a Python list of {len(value)} sequences of lengths {min(lengths)}..{max(lengths)}", fix)


def _numbers_as_data(model: Any, var: str, value: Any) -> Mismatch:
    """A flat Python list of numbers: one sample's features (its length is the input's width), or one number per
    sample for an input of one feature."""
    declared = shape_of(model.inputs[0])
    name, given = model.name, f"a Python list of {len(value)} numbers"
    if len(declared) == 2 and declared[1] == len(value):
        fix = (f"{var} is one sample's {len(value)} features as a Python list, and Keras takes an array whose first "
               f"axis counts the samples: pass np.array([{var}]) (shape (1, {len(value)})).")
    elif len(declared) == 2 and declared[1] == 1:
        fix = (f"{var} holds one number per sample as a Python list: pass np.array({var}).reshape(-1, 1) "
               f"(shape ({len(value)}, 1)).")
    else:
        fix = (f"{var} is a Python list of {len(value)} numbers, and {name} takes arrays of {format_shape(declared)}: "
               f"make an array of that shape from it (np.array({var}).reshape(-1, {', '.join(str(d) for d in declared[1:])})).")
    return Mismatch(name, f"data -> {name}", format_shape(declared), given, fix)


def _reads_last_step_unmasked(model: Any) -> bool:
    """The model holds a recurrent layer that returns only its last step, and no Embedding masks padding."""
    layers = [layer for _, layer in _walk(model)]
    rnn = [layer for layer in layers if isinstance(layer, (keras.layers.RNN, keras.layers.Bidirectional))
           and not getattr(layer, "return_sequences", False)]
    masked = any(getattr(layer, "mask_zero", False) for layer in layers)
    return bool(rnn) and not masked


def _sequences(value: Any) -> bool:
    """A non-empty Python list or tuple whose items are sequences (lists, tuples, arrays; not strings)."""
    return (isinstance(value, (list, tuple)) and bool(value)
            and all(hasattr(e, "__len__") and not isinstance(e, (str, bytes)) for e in value))


def _cardinality(case: Case, m: re.Match[str]) -> Mismatch:
    """Arrays of different numbers of samples passed together (x with 100 rows, y with 80)."""
    model = case.fitted_model()
    name = getattr(model, "name", "model")
    graph = _graph_batch(case, model)
    if graph is not None:
        return graph
    sizes = [(n, len(a)) for n, a in _named_arrays(case) if a.ndim]
    if len({k for _, k in sizes}) < 2:
        return _generic_run(case)
    listed = ", ".join(f"{n} has {k}" for n, k in sizes)
    odd = _odd_array(case, model, sizes)
    if odd is not None:
        return odd
    return Mismatch(
        name, f"data -> {name}", "the same number of samples in every array", listed,
        f"{listed} samples: inputs, labels and sample weights must come from the same rows. Check the split or "
        "slicing that made them (the same indices for x and y).",
    )


def _graph_batch(case: Case, model: Any) -> Mismatch | None:
    """The inputs of a model of graphs (keras.io's MPNN: atoms, bonds, bond pairs, an atom's molecule) differ in
    length by design, one row per atom or per bond, and ``fit``/``predict`` cut every input into batches alike.
    Found where the model, called directly on the same arrays, runs."""
    inputs = list(getattr(model, "inputs", None) or [])
    for var in _call_names(case):
        value = case.scope.get(var)
        arrays = keras.tree.flatten(value) if isinstance(value, (list, tuple, dict)) else []
        if len(arrays) != len(inputs) or len(inputs) < 2 or not all(getattr(a, "ndim", 0) for a in arrays):
            continue
        lengths = [len(a) for a in arrays]
        if len(set(lengths)) < 2:
            continue
        try:
            model(value, training=False)
        except Exception:  # noqa: BLE001 - it does not take them as they are: a mistake in the data, not this case
            return None
        listed = ", ".join(f"{getattr(t, 'name', '?')} {k}" for t, k in zip(inputs, lengths, strict=True))
        method = re.search(r"\.(fit|predict|evaluate)\(", case.site.text if case.site else "")
        verb = method.group(1) if method else "predict"
        name = str(getattr(model, "name", "model"))
        return Mismatch(
            name, f"data -> {name}", "inputs cut into batches alike", f"rows: {listed}",
            f"{name} takes one graph batch whose inputs differ in length by design (rows: {listed}), and "
            f"{verb} cuts every input into batches of the same rows, so Keras refuses them. Call the model on the "
            f"whole batch, {case.var(model)}({var}) (it runs on these arrays), or give {verb} a keras.utils.PyDataset "
            f"(or a tf.data.Dataset) that yields one whole graph batch per step: {case.var(model)}.{verb}(dataset).",
        )
    return None


def _odd_array(case: Case, model: Any, sizes: list[tuple[str, int]]) -> Mismatch | None:
    """One input array whose sample count differs from every other array on the line, where the others were cut
    alike (``texts[:6]``, ``labels[:6]``): it is cut the same way, and named by the input and part it feeds."""
    from collections import Counter

    counts = Counter(k for _, k in sizes)
    if len(counts) != 2 or model is None:
        return None
    common, _ = counts.most_common(1)[0]
    odd = [(n, k) for n, k in sizes if k != common]
    if len(odd) != 1:
        return None
    var, count = odd[0]
    source = user_source(case)
    cuts = set()
    for other, _ in sizes:
        node = assignment_of(source, other) if source else None
        value = node.value if node is not None else None
        if node is not None and isinstance(value, ast.Tuple) and isinstance(node.targets[0], ast.Tuple):
            names = [getattr(t, "id", None) for t in node.targets[0].elts]
            value = value.elts[names.index(other)] if other in names and len(value.elts) == len(names) else None
        if isinstance(value, ast.Subscript) and isinstance(value.slice, ast.Slice):
            cuts.add(ast.unparse(value.slice))
    seen = len(cuts) == 1
    cut = cuts.pop() if seen else f":{common}"
    position = _call_names(case).index(var)
    inputs = list(getattr(model, "inputs", None) or [])
    tensor = inputs[position] if position < len(inputs) else None
    src = producer(tensor) if tensor is not None else None
    consumers = [layer for layer in getattr(model, "layers", []) if not is_input_layer(layer)
                 and any(producer(t) is src for i in range(len(call_nodes(layer))) for t in call_inputs(layer, i))]
    if src is None or not consumers:
        return None
    part = consumers[0].name
    others = ", ".join(n for n, k in sizes if k == common)
    return Mismatch(
        part, f"input:{src.name} -> {part}", f"{common} samples, like {others}",
        f"{var} with {count} samples",
        f"{var} (for input {src.name}, read by {part}) has {count} samples where {others} have {common}: "
        f"{'they were cut with [' + cut + ']' if seen else 'it was not cut like them'}. "
        f"Cut it the same way: {var}[{cut}], so every array holds the same rows.",
    )


def _string_data(case: Case, m: re.Match[str]) -> Mismatch:
    """Strings where the model or its loss needs numbers: text labels for a classification loss, or text
    fed to a model without a lookup layer."""
    import numpy as np

    model = case.fitted_model() or _model_fitted_later(case)
    name = getattr(model, "name", "model")
    arrays = _named_arrays(case) + _inline_arrays(case)
    texts = [(n, a) for n, a in arrays if a.dtype.kind in "USO"]
    if model is None or not texts:
        return _generic_run(case)
    numeric = next(((n, a) for n, a in texts if _numbers_as_objects(a)), None)
    if numeric is not None:  # numbers held in an object array (DataFrame.values of a mixed frame, lists of rows)
        var = numeric[0]
        cast = var + '.astype("float32")'
        return Mismatch(
            name, f"data -> {name}", "a numeric array (float32)", f"{var}, a NumPy array of dtype=object",
            f"{var} holds numbers, but as Python objects (dtype=object, as DataFrame.values gives for a frame with a "
            f"mixed-type column), and Keras converts only numeric arrays. Convert it: {var}.astype(\"float32\") "
            f"(on the failing line: {_with_arg_replaced(case, var, cast)}).")
    var, values = texts[0]
    takes_text = [t for t in getattr(model, "inputs", None) or []
                  if "string" in str(getattr(t, "dtype", "")) and fits(shape_of(t), shape_of(values))]
    if takes_text:  # the model reads strings, but Keras converts only numeric NumPy arrays
        return _strings_into_model(case, model, takes_text[0], var, values)
    first_reads_text = _sequential_casts_text(case, model, var, values)
    if first_reads_text is not None:
        return first_reads_text
    classes = sorted({str(v) for v in np.asarray(values).ravel()})
    shown = ", ".join(repr(c) for c in classes[:6]) + (", ..." if len(classes) > 6 else "")
    if not any(fits(shape_of(t), shape_of(values)) for t in getattr(model, "inputs", None) or []):  # labels
        ids = f"np.unique({var}, return_inverse=True)[1]"
        fix = (f"{var} holds class names ({shown}) and the loss needs class ids 0..{len(classes) - 1}. Map them: "
               f"{ids} gives each name its id (np.unique({var}) lists the names in id order); on the failing "
               f"line: {_with_arg_replaced(case, var, ids)}. Or map them inside the model with "
               f"keras.layers.StringLookup(vocabulary=np.unique({var}), num_oov_indices=0).")
        return Mismatch(head_path(model), f"data -> {name}", "class ids", f"strings in {var}", fix)
    fix = (f"{var} holds strings ({shown}) but {case.var(model)} takes numbers: turn the text into ids inside the "
           "model, with keras.layers.TextVectorization (adapted on the training text) or keras.layers.StringLookup, "
           "and give its keras.Input dtype=\"string\".")
    return Mismatch(name, f"data -> {name}", _expected_from_layer(model), f"strings in {var}", fix)


def _sequential_casts_text(case: Case, model: Any, var: str, values: Any) -> Mismatch | None:
    """``keras.Sequential([lookup_model, ...])`` where ``lookup_model`` reads strings: the Sequential makes its own
    input from the first layer's shape with the float dtype, so the text is cast to numbers before the model that
    reads it. Starting the list with a string ``keras.Input`` keeps it text."""
    first = model.layers[0] if isinstance(model, keras.Sequential) and model.layers else None
    text_in = [t for t in getattr(first, "inputs", None) or [] if "string" in str(getattr(t, "dtype", ""))]
    if first is None or not text_in or len(getattr(first, "inputs", [])) != 1:
        return None
    said = _strings_into_model(case, model, text_in[0], var, values)
    if keras.backend.backend() != "tensorflow":  # no string tensor runs in the model there: ids before it
        return said
    declared = f"keras.Input({_tuple(tuple(text_in[0].shape[1:]))}, dtype=\"string\")"
    found = _assignment_of(case.site.file, case.var(model), case.site.line + 1) if case.site is not None else None
    statement = (ast.get_source_segment(*found) or "") if found is not None else ""
    try:
        parsed = ast.parse(statement).body[0] if statement else None
    except SyntaxError:
        parsed = None
    rewritten = ""
    if isinstance(parsed, ast.Assign) and isinstance(parsed.value, ast.Call) and parsed.value.args \
            and isinstance(parsed.value.args[0], ast.List) and parsed.value.args[0].elts:
        head = parsed.value.args[0].elts[0]
        rewritten = " `" + _splice(statement, head, f"{declared}, {ast.get_source_segment(statement, head)}") + "`"
    return Mismatch(
        f"{model.name}/{first.name}", f"input:{model.name} -> {first.name}", f"strings ({declared})",
        "a float32 input made by the Sequential",
        f"{first.name} reads text, but {model.name} is a Sequential that starts with it, and a Sequential makes its "
        f"own input float32 from the first layer's shape: the strings are cast to numbers before {first.name} sees "
        f"them. Start the list with {declared}:{rewritten}. Then: {said.fix}")


def _strings_into_model(case: Case, model: Any, text_input: Any, var: str, values: Any) -> Mismatch:
    """Text for a model whose Input takes strings: Keras converts only numeric NumPy arrays. TensorFlow runs
    string tensors inside the model; JAX and PyTorch run none, so there the text becomes ids before the model."""
    name, said = model.name, f"{var}, a NumPy array of strings"
    head = (f"{name} takes text ({text_input.name}, dtype string), but Keras converts only numeric NumPy arrays, so "
            f"{var} (dtype {values.dtype}) is refused before it reaches the model.")
    if keras.backend.backend() == "tensorflow":
        return Mismatch(
            name, f"data -> {name}", f"{text_input.name}: strings as a tensor", said,
            f"{head} Pass the strings as a TensorFlow tensor, {_with_arg_replaced(case, var, f'tf.constant({var})')}, "
            f"or as a tf.data pipeline: tf.data.Dataset.from_tensor_slices(({var}, <labels>)).batch(32).")
    from kernest._explain_custom import _statement
    from kernest._explain_strings import data_argument, text_outside_the_model

    source = user_source(case)
    stmt = _statement(case.site.file, case.site.line) if case.site is not None and source else None
    read = data_argument(ast.get_source_segment(source, stmt) or "", case.scope) if stmt is not None else None
    one = text_outside_the_model(model, read[0] if read is not None and read[1] == var else var, var, case.var)
    if one is not None:  # the text layer is read from the model: the one answer of _explain_strings
        return one
    lookups = [p for p, layer in _walk(model)
               if isinstance(layer, (keras.layers.StringLookup, keras.layers.TextVectorization))]
    where = f"its {lookups[0]} layer" if lookups else "a keras.layers.StringLookup or TextVectorization layer"
    return Mismatch(
        name, f"data -> {name}", f"{text_input.name}: ids made from the text before the model", said,
        f"{head} The {keras.backend.backend()} backend runs no string tensors inside a model at all: map the text to "
        f"ids before it, with {where} called on {var} outside the model (or in a tf.data map), and build the model "
        "from the ids on (keras.Input of dtype \"int64\" after that layer).")


def _numbers_as_objects(values: Any) -> bool:
    """An object array whose every element is a number (not a string)."""
    flat = np.asarray(values).ravel()
    return values.dtype.kind == "O" and len(flat) > 0 and all(
        isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in flat)


def _with_arg_replaced(case: Case, var: str, new: str) -> str:
    """The user's failing line with the argument ``var`` (a whole name) written as ``new``; only ``new`` for an
    array written inline (``var`` its text)."""
    text = case.site.text.strip() if case.site is not None else ""
    start = text.find("(")
    if start < 0 or not var.isidentifier():
        return new
    return text[: start + 1] + re.sub(rf"(?<![\w.]){re.escape(var)}(?![\w(])", lambda _: new, text[start + 1 :])


def _model_fitted_later(case: Case) -> Any:
    """The model that the script fits after the failing line (labels made before ``model.fit``), or the only
    model in scope."""
    source = user_source(case)
    later = re.findall(r"(\w+)\.fit\(", source.split("\n", case.site.line)[-1] if case.site and source else "")
    for var in later:
        if isinstance(case.scope.get(var), keras.Model):
            return case.scope[var]
    outer = outermost(case.models())
    return outer[0] if len(outer) == 1 else None


def _head_on_map(model: Any) -> tuple[str, bool]:
    """The first layer (from the output back) that is not a per-position activation: the head to flatten
    before, and whether it is a Dense layer."""
    if not isinstance(model, keras.Model) or not getattr(model, "outputs", None):
        return "the head", False
    for layer, path, _ in producer_chain(model.outputs[0]):
        if not isinstance(layer, (keras.layers.Activation, keras.layers.Dropout, keras.layers.Softmax)):
            return path, isinstance(layer, keras.layers.Dense)
    return "the head", False


def _crop_to(output: Shape, target: Shape) -> str | None:
    """``CroppingND(...)`` that trims a channels-last ``output`` map to ``target``'s spatial size, split evenly
    (the extra row at the end), or None when the output is not larger on every axis that differs."""
    spatial_out, spatial_target = output[1:-1], target[1:-1]
    if not 1 <= len(spatial_out) <= 3 or spatial_out == spatial_target:
        return None
    if any(o is None or t is None or o < t for o, t in zip(spatial_out, spatial_target)):
        return None
    pads = [((o - t) // 2, (o - t) - (o - t) // 2) for o, t in zip(spatial_out, spatial_target) if o is not None and t is not None]
    if len(set(pads)) == 1 and pads[0][0] == pads[0][1]:
        arg = str(pads[0][0])  # the same on every side of every axis: Keras takes the one number
    else:
        arg = str(pads[0]) if len(pads) == 1 else "(" + ", ".join(str(pd) for pd in pads) + ")"
    return f"keras.layers.Cropping{len(pads)}D({arg})"


def _per_step(model: Any, index: int = 0) -> str | None:
    """Why ``model`` outputs a steps axis: the RNN upstream of its output that returns sequences (the fix is
    to return the last step), or the sequence layer a pooling would reduce."""
    if not isinstance(model, keras.Model) or not getattr(model, "outputs", None):
        return None
    for layer, path, _ in producer_chain(model.outputs[index]):
        rnn = layer.forward_layer if isinstance(layer, keras.layers.Bidirectional) else layer
        if isinstance(rnn, keras.layers.RNN) and getattr(rnn, "return_sequences", False):
            return (f"build {path} with return_sequences=False so the head sees its last step, or put "
                    f"keras.layers.GlobalAveragePooling1D() before the head")
    first = None  # the earliest of the layers that act on each step alike (Dense and the like) before the output
    for layer, path, _ in producer_chain(model.outputs[index]):
        if not isinstance(layer, _PER_STEP_LAYERS):
            break
        first = path
    where = f"before {first}" if first else "before the head"
    return f"put keras.layers.GlobalAveragePooling1D() (or Flatten) {where} to reduce the steps axis"


# layers that map each step of a sequence on its own, so a steps axis passes through them to the output
_PER_STEP_LAYERS = (keras.layers.Dense, keras.layers.Dropout, keras.layers.Activation, keras.layers.LayerNormalization,
                    keras.layers.BatchNormalization, keras.layers.ReLU, keras.layers.LeakyReLU, keras.layers.Softmax)


def _loss_broadcast(case: Case, m: re.Match[str]) -> Mismatch:
    """A backend's words for labels and outputs that do not broadcast (JAX, torch), when a loss computed them:
    the loss function's own ``y_true`` and ``y_pred`` give both shapes."""
    for frame in _frames(case.exc):
        y_true, y_pred = frame.f_locals.get("y_true"), frame.f_locals.get("y_pred")
        if "/losses/" in frame.f_code.co_filename and hasattr(y_true, "shape") and hasattr(y_pred, "shape"):
            return _labels_for(case, shape_of(y_true), shape_of(y_pred))
    # JAX hides the loss's frames: the two shapes are labels and output when one is an array on the user's
    # fit line (or the line's arrays cannot be read, as when written inline) and the other is what the
    # fitted model outputs
    model = case.fitted_model()
    if model is not None and m.groupdict().get("target") and m.groupdict().get("output"):
        shapes = [_dims(m.group("target")), _dims(m.group("output"))]
        given = [shape_of(a)[1:] for a in _call_data(case)]
        outs = [shape_of(t)[1:] for t in getattr(model, "outputs", None) or []]
        for target, output in (shapes, shapes[::-1]):
            if (target[1:] in given or not given) and output[1:] in outs and len(target) == len(output):
                return _labels_for(case, target, output)
    if case.failure is not None and case.layer is not None:
        return _generic(case)
    return _generic_run(case)


def _dims(text: str) -> Shape:
    inner = re.sub(r"^[^(\[]*[(\[]+|[)\]]+\)?$", "", text.strip())
    return tuple(None if d.strip() in ("None", "?") else int(d) for d in inner.split(",") if d.strip())


def _shape_tuple(shape: Shape) -> str:
    return format_shape((None, *shape[1:])) if shape else "()"


def _label_var(case: Case, target: Shape) -> str:
    """The user's variable on the failing line that holds labels of shape ``target`` (``y`` when unsure)."""
    names = _arrays_named(case, target)
    return names[0] if len(names) == 1 else "y"


def _output_index(model: Any, output: Shape) -> int:
    """Which of ``model``'s outputs has the shape ``output`` (the first where none or several do)."""
    outputs = list(getattr(model, "outputs", None) or [])
    same = [i for i, t in enumerate(outputs) if len(t.shape) == len(output) and tuple(t.shape[1:]) == tuple(output[1:])]
    return same[0] if len(same) == 1 else 0


def _loss_name(model: Any, index: int = 0) -> str:
    """The compiled loss of output ``index``, as the user wrote it (a string in quotes) or by its class."""
    loss = loss_of(model, index)
    if isinstance(loss, str):
        return repr(loss)
    return getattr(loss, "__name__", None) or type(loss).__name__ if loss is not None else "given"


def _stateful(case: Case, m: re.Match[str]) -> Mismatch:
    """A stateful RNN fed batches of another size than it was built for."""
    rnn = next((f.layer for f in reversed(case.frames) if isinstance(f.layer, keras.layers.RNN)), case.layer)
    declared = _declared_batch(case, rnn)
    name = getattr(rnn, "name", "rnn")
    path = case.path(name)
    size = f"batch_size={declared}" if declared else "the batch size it was built with"
    return Mismatch(
        path, f"data -> {name}", f"batches of {declared if declared else 'a fixed size'}", "another batch size",
        f"{path} is stateful: it keeps one state per sample of a fixed batch, so every fit/predict/evaluate call "
        f"must pass {size} (and a sample count divisible by it; predict's default is 32). Or build it with "
        "stateful=False.",
    )


def _batch_size_used(source: str) -> int | None:
    """The ``batch_size=`` the script's first fit/evaluate/predict call passes, or None."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in DATA_METHODS:
            for kw in node.keywords:
                if kw.arg == "batch_size" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, int):
                    return kw.value.value
    return None


def _input_upstream(tensor: Any) -> Any:
    """The model input (a ``keras.Input`` tensor) that ``tensor`` was computed from, following first inputs."""
    if not is_symbolic(tensor):
        return None
    if is_input_layer(producer(tensor)):
        return tensor
    for layer, _, given in producer_chain(tensor):
        if is_input_layer(layer):
            return layer.output
        if is_symbolic(given) and is_input_layer(producer(given)):
            return given
    return None


def _statement_call(source: str, var: str) -> str | None:
    """The call assigned to ``var`` in the user's file (``keras.Input(shape=(5, 3), name="seq_in")``)."""
    node = assignment_of(source, var)
    return ast.get_source_segment(source, node.value) if node is not None and isinstance(node.value, ast.Call) else None


def _stateful_unbatched(case: Case, m: re.Match[str]) -> Mismatch:
    """A stateful RNN under an Input that declares no batch size: the state needs one. The size is the one the
    script's own fit/predict passes, written into the Input that feeds the RNN."""
    rnn = next((f.layer for f in reversed(case.frames) if isinstance(f.layer, keras.layers.RNN)), case.layer)
    name = getattr(rnn, "name", "rnn")
    var = None
    for frame in reversed(case.frames):  # the RNN's own input, else (in a nested model) the outer one it came from
        entry = _input_upstream(frame.inputs[0]) if frame.inputs else None
        var = next((k for k, v in case.scope.items() if v is entry and not k.startswith("_")), None) if entry is not None else None
        if var is not None:
            break
    source = user_source(case)
    size = _batch_size_used(source)
    declared = _statement_call(source, var) if var else None
    if declared:
        fixed = declared[:-1].rstrip().rstrip(",") + f", batch_size={size if size else 'B'})"
        fix = (f"declare the batch size your fit uses on the input that feeds it: {var} = {fixed}." if size else
               f"declare a fixed batch size B on the input that feeds it ({var} = {fixed}) and pass that same "
               "batch_size=B to fit/predict/evaluate.")
    else:
        fix = "declare a fixed batch size on the model's keras.Input (batch_size=B) and pass batch_size=B to fit."
    shape = m.group("shape") if "shape" in m.groupdict() else "?"
    return Mismatch(case.path(name), case.interface(name), "a fixed batch size", f"{shape} (batch size unknown)",
                    f"{name} is stateful: it keeps one state per sample of a fixed batch, so the batch size must be "
                    f"known when the model is built; {fix} Or build it with stateful=False.")


def _declared_batch(case: Case, rnn: Any) -> int | None:
    for frame in case.frames:
        model = frame.layer
        if isinstance(model, keras.Model) and getattr(model, "inputs", None):
            size = model.inputs[0].shape[0]
            if size is not None:
                return int(size)
    states = getattr(rnn, "states", None) or []
    first = states[0] if states else None
    return int(first.shape[0]) if first is not None and first.shape[0] is not None else None


def _merge(case: Case, m: re.Match[str]) -> Mismatch:
    """A merge (Concatenate, Add, Multiply, Dot) of branches whose shapes differ: adapt the odd branch."""
    layer = case.layer
    name = getattr(layer, "name", "merge")
    given = [t for t in (case.frames[-1].inputs if case.frames else ()) if hasattr(t, "shape")]
    if len(given) < 2:
        return _generic(case)
    shapes = [shape_of(t) for t in given]
    sizes = [math.prod(d or 1 for d in sh[1:]) for sh in shapes]
    small = min(range(len(given)), key=lambda i: sizes[i])
    big = max(range(len(given)), key=lambda i: sizes[i])
    odd = given[small]
    src = producer(odd) if is_symbolic(odd) else case.made_by.get(id(odd))
    side = getattr(src, "name", "?")
    want, have = shapes[big], shapes[small]
    kind = type(layer).__name__
    dot = _dot_axes(case, given, shapes) if isinstance(layer, keras.layers.Dot) and len(given) == 2 else None
    if dot is not None:
        return dot
    lower = _axis_short(shapes)
    if lower is not None:
        return _merge_ranks(case, given, shapes, lower)
    if len(given) == 2 and sorted(len(sh) for sh in shapes)[0] == 2 and max(len(sh) for sh in shapes) >= 3:
        return _merge_steps(case, given, shapes)
    if len(want) == len(have) == 4 and want[-1] == have[-1] and have[1] and want[1] and want[1] % have[1] == 0:
        factor = want[1] // have[1]
        fix = (f"{side} gives {format_shape(have)} and the other branch {format_shape(want)}; {kind} needs the same "
               f"height and width. Upsample {side}'s output with keras.layers.UpSampling2D({factor}) (or pool the "
               f"other branch with keras.layers.MaxPooling2D({factor})) before {name}.")
    elif _concat_axis(layer, shapes) is not None:
        axis = _concat_axis(layer, shapes)
        at = len(want) - 1 if axis == -1 else axis or 0
        sizes_on = " and ".join(str(sh[at]) for sh in shapes)
        own = getattr(layer, "axis", "?")
        joined = tuple(sum(int(sh[at] or 0) for sh in shapes) if i == at else d for i, d in enumerate(shapes[0]))
        agree = (f"project {side}'s output with keras.layers.Dense({max(int(sh[at] or 0) for sh in shapes)})"
                 if at == len(want) - 1 else f"pad or crop {side}'s output on axis {at}")
        fix = (f"{name} joins along axis {own}, but the branches differ on axis {axis} ({sizes_on}), and a "
               f"Concatenate needs every other axis equal. To join them along that axis, build {name} as "
               f"keras.layers.Concatenate(axis={axis}), giving {format_shape(joined)}; to join along axis {own}, "
               f"{agree} first.")
    elif len(want) == len(have) and want[:-1] == have[:-1]:
        width, other = want[-1], given[big]
        big_src = producer(other) if is_symbolic(other) else case.made_by.get(id(other))
        rebuild = [f"build {getattr(layer_, 'name', '?')} with {units} units" for layer_, units
                   in ((src, width), (big_src, have[-1])) if isinstance(getattr(layer_, "units", None), int)]
        fix = residual_fix(name, kind, odd, src, other, big_src) or residual_fix(name, kind, other, big_src, odd, src) or (
            f"{side} gives {have[-1]} features and the other branch"
            f"{f' ({big_src.name})' if big_src is not None else ''} {width}; {kind} needs equal shapes. Project "
            f"{side}'s output with keras.layers.Dense({width}) before {name}" + "".join(f", or {r}" for r in rebuild) + ".")
    elif _channels_first_width(odd, want, have):
        fix = _channels_first_width(odd, want, have) or ""
    elif len(want) == len(have) and _pad_to_match(shapes) is not None:
        return _spatial_merge(case, given, shapes, _pad_to_match(shapes) or (0, (), False))
    else:
        fix = f"{side} gives {format_shape(have)} and the other branch {format_shape(want)}: make their shapes agree."
    return _merge_mismatch(case, side, f"inputs that agree ({format_shape(want)})", shapes, fix)


def _channels_first_width(odd: Any, want: Shape, have: Shape) -> str | None:
    """Merged branches that differ only on axis 1, where the layer that made the odd one keeps its channels
    (channels-first filters): a channel count to project with a 1x1 convolution, not a spatial size to pad."""
    made = _width_maker(odd)
    spatial = len(want) - 2
    if (made is None or getattr(made[0], "data_format", None) != "channels_first" or len(want) != len(have)
            or not 1 <= spatial <= 3 or want[2:] != have[2:] or want[1] == have[1]):
        return None
    layer, path = made
    return (f"{path} makes {have[1]} channels (channels first, axis 1) and the other branch {want[1]}; the merge needs "
            f"equal shapes. Project its output with keras.layers.Conv{spatial}D({want[1]}, 1, "
            f"data_format=\"channels_first\") (a 1x1 convolution), or build {path} with {want[1]} filters.")


def _dot_axes(case: Case, given: list[Any], shapes: list[Shape]) -> Mismatch | None:
    """A Dot whose ``axes`` pick axes of different sizes in its two branches, where another axis has one size
    in both: that axis (the last one first), with the shape the product over it gives; the second branch is
    named, as Keras checks it against the first. None when no axis is shared (the width rules apply)."""
    layer: Any = case.layer
    name = layer.name
    side = _side_name(case, given[1])
    a, b = shapes
    axes = layer.axes if isinstance(layer.axes, (list, tuple)) else (layer.axes, layer.axes)
    picked = [ax % len(sh) for ax, sh in zip(axes, shapes)]
    sizes = f"{a[picked[0]]} and {b[picked[1]]}"
    shared = [i for i in range(len(a) - 1, 0, -1) if len(a) == len(b) and a[i] is not None and a[i] == b[i]]
    if not shared:
        return None
    k = shared[0]
    out = (None, *(d for i, d in enumerate(a) if i not in (0, k)), *(d for i, d in enumerate(b) if i not in (0, k)))
    axis_text = "-1" if k == len(a) - 1 else str(k)
    fix = (f"{name} takes the dot product over axis {axes[0]} of {format_shape(a)} and axis {axes[1]} of "
           f"{format_shape(b)}, whose sizes differ ({sizes}); the branches share axis {axis_text} ({a[k]} each). "
           f"Build it as keras.layers.Dot(axes={axis_text}), which gives {format_shape(out)}, or make the "
           f"axes you dot over the same size in both branches.")
    return _merge_mismatch(case, side, f"axes of one size to dot over ({sizes} differ)", shapes, fix)


def _merge_mismatch(case: Case, side: str, expected: str, shapes: list[Shape], fix: str) -> Mismatch:
    """The one way every merge rule reports: the merge's path, ``side -> merge``, and every branch's shape."""
    name = getattr(case.layer, "name", "merge")
    received = " and ".join(format_shape(sh) for sh in shapes)
    return Mismatch(case.path(name), f"{side} -> {name}", expected, received, fix)


def _concat_axis(layer: Any, shapes: list[Shape]) -> int | None:
    """For a Concatenate whose branches differ on exactly one axis other than its own: that axis (negative
    when it is the last), along which the same branches would join. A Concatenate needs every axis but its
    own to agree, so a user who meant the other axis (features rather than steps) gets this one."""
    if not isinstance(layer, keras.layers.Concatenate) or len({len(sh) for sh in shapes}) != 1:
        return None
    rank = len(shapes[0])
    own = layer.axis % rank
    differ = [i for i in range(1, rank) if len({sh[i] for sh in shapes}) > 1]
    if len(differ) != 1 or differ[0] == own or any(sh[differ[0]] is None for sh in shapes):
        return None
    return -1 if differ[0] == rank - 1 else differ[0]


def _axis_short(shapes: list[Shape]) -> int | None:
    """For two branches whose ranks differ by one, where the lower-rank one is the other without its last
    axis ((batch, 8) and (batch, 8, 2)): the index of the lower-rank branch."""
    if len(shapes) != 2 or abs(len(shapes[0]) - len(shapes[1])) != 1:
        return None
    low = 0 if len(shapes[0]) < len(shapes[1]) else 1
    short, full = shapes[low], shapes[1 - low]
    return low if short[1:] == full[1 : len(short)] else None


def _merge_ranks(case: Case, given: list[Any], shapes: list[Shape], low: int) -> Mismatch:
    """A merge of branches with different numbers of axes: the lower-rank branch lacks the last axis, so
    giving it a last axis of 1 lines the two up (a merge never adds an axis itself)."""
    name = getattr(case.layer, "name", "merge")
    kind = type(case.layer).__name__
    side = _side_name(case, given[low])
    short, full = shapes[low], shapes[1 - low]
    target = tuple(short[1:]) + (1,)
    axis = getattr(case.layer, "axis", -1)
    joined = f"concatenated on axis {axis}" if kind == "Concatenate" else "combined with the other"
    fix = (f"{side} gives {format_shape(short)} ({len(short)} axes) and the other branch {format_shape(full)} "
           f"({len(full)} axes); {kind} needs the same number of axes. Give {side}'s output a last axis of 1 with "
           f"keras.layers.Reshape({_tuple(target)}) before {name}, so it is {format_shape((None, *target))} and is "
           f"{joined}; or reduce the other branch's last axis if one value per position is what you meant.")
    return _merge_mismatch(case, side, f"inputs with the same number of axes ({len(full)})", shapes, fix)


def _merge_steps(case: Case, given: list[Any], shapes: list[Shape]) -> Mismatch:
    """A merge of a per-sample vector ``(batch, features)`` with a branch that still has steps or spatial axes
    ``(batch, steps, ..., features)``: that branch keeps axes the other never had. Reduce them (or stop the
    RNN that returns them from returning sequences), or repeat the vector along the steps."""
    name = getattr(case.layer, "name", "merge")
    kind = type(case.layer).__name__
    high = 0 if len(shapes[0]) > len(shapes[1]) else 1
    side, full, flat = _side_name(case, given[high]), shapes[high], shapes[1 - high]
    extra = len(full) - 2
    rnn = _returning_rnn(given[high])
    if rnn is not None:
        fix = (f"{side} gives {format_shape(full)}, one vector per step, and the other branch {format_shape(flat)}, one "
               f"per sample; {kind} needs the same axes. Build {rnn} with return_sequences=False so {side} gives its "
               f"last step, or put keras.layers.GlobalAveragePooling1D() on {side}'s output before {name}.")
    else:
        pool = f"keras.layers.GlobalAveragePooling{extra}D()" if 1 <= extra <= 3 else "keras.layers.Flatten()"
        fix = (f"{side} gives {format_shape(full)} ({'an axis' if extra == 1 else f'{extra} axes'} between batch and features) and the other branch "
               f"{format_shape(flat)}; {kind} needs the same axes. Reduce them with {pool} (or keras.layers.Flatten()) "
               f"on {side}'s output before {name}.")
    if extra == 1 and full[1] is not None:
        fix += (f" If you want the other branch on every step instead, repeat it with "
                f"keras.layers.RepeatVector({full[1]}).")
    return _merge_mismatch(case, side, f"inputs with the same axes ({len(flat)} or {len(full)})", shapes, fix)


def _returning_rnn(tensor: Any) -> str | None:
    """The path of the RNN (or Bidirectional RNN) that makes ``tensor`` a sequence by returning sequences,
    when only per-step layers stand between them."""
    if not is_symbolic(tensor):
        return None
    per_step = (keras.layers.Dropout, keras.layers.Activation, keras.layers.LayerNormalization,
                keras.layers.BatchNormalization, keras.layers.Dense, keras.layers.TimeDistributed)
    for layer, path, _ in producer_chain(tensor):
        rnn = layer.forward_layer if isinstance(layer, keras.layers.Bidirectional) else layer
        if isinstance(rnn, keras.layers.RNN):
            return path if getattr(rnn, "return_sequences", False) else None
        if not isinstance(layer, (keras.Model, *per_step)):  # the chain steps into a nested model itself
            return None
    return None


def _pad_to_match(shapes: list[Shape]) -> tuple[int, tuple[tuple[int, int], ...], bool] | None:
    """For two same-rank branches whose spatial axes differ (the channels axis, last or first, agrees or is
    the one being concatenated): the branch that is smaller on every differing spatial axis, the
    (before, after) padding per spatial axis that makes it the size of the other, and whether the
    channels come first."""
    if len(shapes) != 2 or len(shapes[0]) not in (3, 4, 5):
        return None
    rank = len(shapes[0]) - 2
    first = shapes[0][-1] != shapes[1][-1] and shapes[0][1] == shapes[1][1] and rank > 1
    spatial = [sh[2:] if first else sh[1:-1] for sh in shapes]
    if any(d is None for sp in spatial for d in sp) or spatial[0] == spatial[1]:
        return None
    for small in (0, 1):
        a, b = spatial[small], spatial[1 - small]
        if all((x or 0) <= (y or 0) for x, y in zip(a, b)):
            return small, tuple((0, (y or 0) - (x or 0)) for x, y in zip(a, b)), first
    return None


def _spatial_merge(case: Case, given: list[Any], shapes: list[Shape],
                   found: tuple[int, tuple[tuple[int, int], ...], bool]) -> Mismatch:
    """Branches whose height/width (or steps, or depth) differ by a few: an odd size halved by pooling and
    doubled by upsampling. Pad the smaller branch to the other's size (or crop the larger)."""
    layer = case.layer
    name = getattr(layer, "name", "merge")
    small, pads, first = found
    rank = len(pads)
    side = _side_name(case, given[small])
    other = _side_name(case, given[1 - small])
    arg = str(pads[0]) if rank == 1 else "(" + ", ".join(str(pd) for pd in pads) + ")"
    arg += ', data_format="channels_first"' if first else ""
    pad = (f"Pad {side}'s output with keras.layers.ZeroPadding{rank}D({arg}) before {name}, or crop {other}'s with "
           f"keras.layers.Cropping{rank}D({arg})")
    valid = [p for t in given[:2] for p in _valid_convs(t)]
    if valid:  # the sizes differ because each branch's unpadded kernels cut a different border
        fix = (f"{side} gives {format_shape(shapes[small])} and {other} {format_shape(shapes[1 - small])}: "
               f"{', '.join(valid)} use padding=\"valid\", which cuts kernel_size - 1 from each spatial axis, and the "
               f"branches' kernels differ. Build {'them' if len(valid) > 1 else 'it'} with padding=\"same\" so that "
               f"every branch keeps its input's size. Or: {pad}.")
    else:
        fix = (f"{side} gives {format_shape(shapes[small])} and {other} {format_shape(shapes[1 - small])}: their "
               f"spatial sizes differ, as when an odd size is halved by pooling and doubled again. {pad}; or use "
               "inputs whose size divides by every pooling factor.")
    return _merge_mismatch(case, side, f"inputs that agree ({format_shape(shapes[1 - small])})", shapes, fix)


def _valid_convs(tensor: Any) -> list[str]:
    """The paths of the unpadded convolutions (padding "valid", a kernel larger than 1) upstream of ``tensor``,
    when they alone change its spatial size (no pooling, stride or upsampling on the way); else []."""
    if not is_symbolic(tensor):
        return []
    found = []
    for layer, path, _ in producer_chain(tensor):
        if any(isinstance(v, int) and v > 1 for v in keras.tree.flatten(getattr(layer, "strides", 1))) \
                or hasattr(layer, "pool_size") or type(layer).__name__.startswith("UpSampling"):
            return []
        if isinstance(layer, keras.layers.Layer) and "Conv" in type(layer).__name__ \
                and getattr(layer, "padding", None) == "valid" and max(getattr(layer, "kernel_size", (1,))) > 1:
            found.append(path)
    return found


def _reshape_size(case: Case, m: re.Match[str]) -> Mismatch:
    """A Reshape whose target holds another number of values than its input."""
    given, target = _parse_shape(m.group("given")), _parse_shape(m.group("target"))
    n = math.prod(d or 1 for d in given)
    name = getattr(case.layer, "name", "reshape")
    if -1 in target:  # the known sizes do not divide the input's count
        known = math.prod(d for d in target if d not in (-1, None))
        fix = square_grid_fix(name, given, target) or (
            f"{name} turns {n} values into {_tuple(target)}: the known sizes make {known}, which does not divide {n}, so "
            f"no size for the -1 exists. Change the target shape, or make what reaches it hold a multiple of {known} "
            f"values.")
        return Mismatch(case.path(name), case.interface(name), f"a multiple of {known} values {_tuple(target)}",
                        f"{n} values {format_shape((None, *given))}", fix)
    head = math.prod(d or 1 for d in target[:-1])
    if len(target) > 1 and math.prod(d or 1 for d in target[1:]) == n:  # the target counts the batch
        fix = (f"{name} turns {n} values into {_tuple(target)}, which counts the batch ({target[0]}): Keras' "
               f"Reshape takes the shape of one sample and keeps the batch axis itself. Leave the batch out: "
               f"keras.layers.Reshape({_tuple(target[1:])}) ({_product(n, target[1:])}).")
    elif (regroup := positions_fix(name, given, target)) is not None:
        fix = regroup
    elif head and n % head == 0:
        new = target[:-1] + (n // head,)
        fix = (f"{name} turns {n} values into {_tuple(target)} = {math.prod(d or 1 for d in target)}. Keep the "
               f"leading axes and let the last follow: keras.layers.Reshape({_tuple(new)}) ({_product(n, new)}), or "
               f"make what reaches it hold {math.prod(d or 1 for d in target)} values (keras.layers.Dense"
               f"({math.prod(d or 1 for d in target)}) before it).")
    else:
        fix = (f"{name} turns {n} values into {_tuple(target)}; add keras.layers.Dense"
               f"({math.prod(d or 1 for d in target)}) before it, or change the target shape.")
    return Mismatch(case.path(name), case.interface(name), f"{math.prod(d or 1 for d in target)} values {_tuple(target)}",
                    f"{n} values {format_shape((None, *given))}", fix)


def _reshape_unknowns(case: Case, m: re.Match[str]) -> Mismatch:
    """A Reshape target with several -1s: Keras can infer only one, and refuses it when the layer is made,
    before it sees its input. The input is read from the user's line (``Reshape(...)(x)`` or
    ``Reshape(...)(model(x))``); when the known sizes are all 1 (axes added to the input's own), the -1s
    take the input's sizes in order."""
    target = _parse_shape(m.group("target").replace("-1", "None"))
    line = case.site.text if case.site is not None else ""
    named = re.search(r"\bname\s*=\s*[\"']([^\"']+)[\"']", line)
    name = named.group(1) if named else "reshape"
    source, given = _reshape_input(case, line)
    unknown = sum(d is None for d in target)
    known = math.prod(d for d in target if d is not None)
    interface = f"{source} -> {name}" if source else f"? -> {name}"
    if given is not None and len(given) - 1 == unknown and known == 1 and None not in given[1:]:
        sizes = iter(given[1:])
        new = tuple(d if d is not None else next(sizes) for d in target)
        fix = (f"{name}'s target {_tuple(tuple(-1 if d is None else d for d in target))} has {unknown} unknown sizes, "
               f"and Keras infers at most one. Its input is {format_shape(given)}: write "
               f"keras.layers.Reshape({_tuple(new)}) ({_product(math.prod(d or 0 for d in given[1:]), new)}).")
    else:
        fix = (f"{name}'s target has {unknown} unknown sizes (-1), and Keras infers at most one: write every size but "
               f"one" + (f", from its input {format_shape(given)}" if given is not None else "") + ".")
    return Mismatch(name, interface, "at most one -1 in the target shape", format_shape(given) if given else "?", fix)


def _reshape_input(case: Case, line: str) -> tuple[str | None, Shape | None]:
    """What ``Reshape(...)`` is called on in the user's line: (producer name, shape), for a tensor variable
    or a model variable called on one."""
    call = re.search(r"Reshape\((?:[^()]|\([^()]*\))*\)\(\s*(\w+)(?:\(\s*(\w+)\s*\))?\s*\)", line)
    if call is None:
        return None, None
    outer, inner = case.scope.get(call.group(1)), case.scope.get(call.group(2)) if call.group(2) else None
    if inner is None and is_symbolic(outer):
        src = producer(outer)
        return (f"input:{src.name}" if src is not None and is_input_layer(src) else getattr(src, "name", None)), shape_of(outer)
    if isinstance(outer, keras.Model) and is_symbolic(inner) and len(outer.outputs) == 1:
        return outer.name, shape_of(outer.outputs[0])
    return None, None


def _loss_keys(case: Case, m: re.Match[str]) -> Mismatch:
    """A loss (or metrics) dict keyed by names that are not the model's output names."""
    expected = re.findall(r"'([^']+)'", m.group("expected"))
    found = re.findall(r"'([^']+)'", m.group("found"))
    model = case.fitted_model() or next(iter(case.models()), None)
    wrong = [k for k in found if k not in expected]
    missing = [k for k in expected if k not in found]
    pairs = dict(zip(wrong, _closest(wrong, missing)))
    given = getattr(model, "loss", None)
    entries = []
    for key in found:
        value = given.get(key) if isinstance(given, dict) else None
        shown = f'"{value}"' if isinstance(value, str) else "..." if value is None else type(value).__name__ + "()"
        entries.append(f'"{pairs.get(key, key)}": {shown}')
    first = missing[0] if missing else expected[0]
    mname = getattr(model, "name", "model")
    renames = ", ".join(f"{w!r} -> {e!r}" for w, e in pairs.items())
    return Mismatch(
        f"{mname}/{first}", f"{first} -> loss", "keys " + ", ".join(expected), "keys " + ", ".join(found),
        f"a loss dict is keyed by the model's output names, which are the names of the layers or nested models that "
        f"make the outputs ({', '.join(expected)}), not their inner layers. Rename {renames}: "
        f"loss={{{', '.join(entries)}}}, and key the labels the same way.",
    )


def _shared_on_load(case: Case) -> Mismatch | None:
    """Loading a model in which one layer belongs to a submodel and to the outer model (or two submodels)."""
    from kernest._saving import shared_across_models

    text = "".join(frame.f_code.co_filename for frame in _frames(case.exc))
    if "saving" not in text:
        return None
    for model in sorted(case.models(), key=lambda m: -len(_walk(m))):
        for name, paths in shared_across_models(model):
            inner = next((p for p in paths if "/" in p), paths[0])
            layer = next((layer for p, layer in _walk(model) if p == inner), None)
            rebuild = _constructor(layer)
            return Mismatch(
                inner, f"{inner.split('/')[0]} -> {model.name}", "each layer inside one model",
                f"layer {name!r} at {', '.join(paths)}",
                f"{name} belongs to {inner.split('/')[0]} and to {model.name}; Keras 3 saves such a model but cannot "
                f"load it. Give each model its own layer ({rebuild} for the second use, copying weights with "
                "set_weights if they must match), or call the shared layer only through one submodel.",
            )
    return None


# --- kernels, batch axes, names, contractions ---------------------------------------------------------------

def _ints(text: str | None) -> tuple[int, ...]:
    return tuple(int(d) for d in re.findall(r"\d+", text or ""))


def _too_small(case: Case, m: re.Match[str]) -> Mismatch:
    """A convolution or pooling window larger than a spatial axis of its input: the input is channels-first
    for a channels_last layer, or earlier pooling left the axis shorter than the kernel."""
    shape, kernel = _parse_shape(m.group("shape")), _parse_shape(m.group("kernel"))
    layer = case.inner[1] if case.inner is not None else case.layer
    name = getattr(layer, "name", None) or "the convolution"
    rank = len(shape) - 2
    dilation = _ints(m.group("dil")) or (1,)
    dilation = dilation * rank if len(dilation) == 1 else dilation
    first = getattr(layer, "data_format", None) == "channels_first"
    spatial, channels = (shape[2:], shape[1]) if first else (shape[1:-1], shape[-1])
    window = tuple(d * ((k or 1) - 1) + 1 for d, k in zip(dilation, kernel[:rank]))
    short = [i for i, (n, k) in enumerate(zip(spatial, window)) if n is not None and n < k]
    received = case.received() if case.tensor is not None and case.inner is None else _shape_text(m.group("shape"))
    expected = f"spatial axes of at least {_tuple(window)} ({type(layer).__name__} {name}, padding='valid')"
    rest_fit = all(n is None or n >= k for n, k in zip(spatial[1:], window[1:]))
    shrunk = _shrunk_from(case, len(shape))
    if shrunk is not None and short:
        fix = (f"the model's input {format_shape(shrunk)} is channels last, and the layers before {name} shrink its "
               f"axis 1 from {shrunk[1]} to {spatial[0]}, shorter than the {_tuple(window)} window. Build {name} "
               f"with padding=\"same\" (and the convolutions before it), or pool less or use fewer blocks before "
               f"it, or feed longer inputs.")
        return Mismatch(case.path(name), case.interface(name), expected, received, fix)
    entry = _channels_first_entry(case, len(shape)) if not first and short == [0] else None
    if entry is not None:
        case.meet, case.outer = entry, case.frames[entry].inputs[0]
        where, given = case.consumer_name(name), shape_of(case.frames[entry].inputs[0])
        perm = tuple(range(2, rank + 2)) + (1,)
        fix = (f"{where} receives {format_shape(given)}, whose {given[1]} before {given[-1]} looks channels-first "
               f"({given[1]} channels of {'x'.join(str(d) for d in given[2:])}), so {name} slides its {_tuple(window)} "
               f"window along the {given[1]}-long axis{f' (down to {spatial[0]} when it gets there)' if spatial[0] != given[1] else ''}. Move the channels "
               f"last with keras.layers.Permute({_tuple(perm)}) before {where}, or build its layers with "
               f"data_format=\"channels_first\".")
        return Mismatch(case.path(name), case.interface(name), expected, received, fix)
    if not first and short == [0] and spatial[0] in (1, 3, 4) and (channels or 0) >= window[0] and rest_fit \
            and not _made_as_features(case, shape):
        where = case.consumer_name(name)
        perm = tuple(range(2, rank + 2)) + (1,)
        fix = (f"{name} reads channels last, but {received} looks channels-first: {spatial[0]} channel(s) before "
               f"{'x'.join(str(d) for d in (*spatial[1:], channels))} pixels, so its {_tuple(window)} window does "
               f"not fit the {spatial[0]}-long first axis. Move the channels last with keras.layers.Permute({_tuple(perm)}) "
               f"before {where}, or build the layers with data_format=\"channels_first\".")
    elif short:
        axes = ", ".join(f"axis {i + (2 if first else 1)} has {spatial[i]} < {window[i]}" for i in short)
        fix = (f"{name}'s window {_tuple(window)} is larger than its input {received} ({axes}): the input is "
               f"shorter than the window, or the layers before it shrank that axis. Build {name} with "
               f"padding=\"same\", or a smaller kernel, or pool less before it, or feed larger inputs.")
    else:
        fix = (f"{name} cannot slide its window {_tuple(window)} over {received}; build it with padding=\"same\" or "
               "feed larger inputs.")
    return Mismatch(case.path(name), case.interface(name), expected, received, fix)


def _pool_too_small(case: Case, m: re.Match[str]) -> Mismatch:
    """A pooling window larger than the map that reaches it, typically a fixed window written for the input
    size a backbone was designed for (AveragePooling2D(7) after 224 px) and fed smaller images."""
    shape = tuple(None if d == "None" else int(d) for d in m.group("shape").split())
    window = _ints(m.group("pool"))
    case.locate_inner(lambda layer: tuple(getattr(layer, "pool_size", ()) or ()) == window)
    layer = case.inner[1] if case.inner is not None else case.layer
    name = getattr(layer, "name", None) or "the pooling"
    first = getattr(layer, "data_format", None) == "channels_first"
    spatial = shape[2:] if first else shape[1:-1]
    received = format_shape(shape)
    rank = len(window)
    glob = "GlobalMaxPooling" if isinstance(layer, (keras.layers.MaxPooling1D, keras.layers.MaxPooling2D,
                                                     keras.layers.MaxPooling3D)) else "GlobalAveragePooling"
    fits_now = tuple(min(w, n) if n is not None else w for w, n in zip(window, spatial))
    kind = type(layer).__name__
    fix = (f"{name}'s window {_tuple(window)} is larger than the {'x'.join(str(d) for d in spatial)} map it gets "
           f"({received}): a fixed window sized for larger inputs. If it was meant to pool the whole map, use "
           f"keras.layers.{glob}{rank}D() in its place (it pools any size, giving (batch, channels)); otherwise use "
           f"keras.layers.{kind}({_tuple(fits_now)}) or padding=\"same\", or feed inputs as large as it was designed for.")
    expected = f"spatial axes of at least {_tuple(window)} ({kind} {name}, padding='valid')"
    return Mismatch(case.path(name), case.interface(name), expected, received, fix)


def _owner_of(model: Any, variable: Any) -> tuple[str, Any] | None:
    """The innermost layer of ``model`` (with its path) that holds ``variable``."""
    found = None
    for path, layer in _walk(model):
        if any(w is variable for w in getattr(layer, "weights", [])):
            found = (path, layer)  # the walk goes outer to inner: keep the deepest holder
    return found


def _weights_shape(case: Case, m: re.Match[str]) -> Mismatch:
    """``set_weights`` (or loading) gave a model a list of arrays whose shapes differ from its variables:
    the weights come from a model whose layers have other sizes. Keras names only the model."""
    have, given = _parse_shape(m.group("have")), _parse_shape(m.group("given"))
    name = m.group("model")
    target = case.target if isinstance(case.target, keras.layers.Layer) and case.target.name == name else None
    models = [target] if target is not None else [x for x in case.models() if x.name == name]
    model = models[0] if models else None
    variable = next((v for v in getattr(model, "weights", []) if tuple(v.shape) == have), None)
    owner = _owner_of(model, variable) if variable is not None else None
    path = f"{name}/{owner[0]}" if owner is not None else name
    layer = owner[1] if owner is not None else None
    lname = getattr(layer, "name", name)
    differ = [i for i, (a, b) in enumerate(zip(have, given)) if a != b]
    # the last axis of a Dense/conv kernel (and of an Embedding's table) is the layer's width; an RNN's is 4x or 3x
    widths = (keras.layers.Dense, keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D, keras.layers.Embedding)
    last_only = differ == [len(have) - 1] and isinstance(layer, widths)
    rebuilt = _with_width(layer, given[-1]) if last_only and given[-1] is not None else None
    if rebuilt is not None:
        unit = "filters" if hasattr(layer, "filters") else "units"
        fix = (f"{path}'s {variable.name if variable is not None else 'weight'} is {_tuple(have)} but the weights given "
               f"for it are {_tuple(given)}: they were saved from a {type(layer).__name__} with {given[-1]} {unit}. Build "
               f"{lname} as {rebuilt} to take these weights, or copy only the layers whose shapes agree "
               f"(layer.set_weights per layer, or load_weights(..., skip_mismatch=True)).")
    else:
        fix = (f"{path} holds a weight of shape {_tuple(have)} where the given weights have {_tuple(given)}: the source "
               f"model's layers have other sizes (or come in another order). Build {name} exactly like the model the "
               f"weights came from, or copy only the layers whose shapes agree (layer.set_weights per layer).")
    return Mismatch(path, f"weights -> {name}", f"weights shaped like {name}'s {_tuple(have)}",
                    f"weights {_tuple(given)}", fix)


def _shrunk_from(case: Case, rank: int) -> Shape | None:
    """The model input a too-short tensor was computed from, when that input is longer on axis 1 and reads as
    channels last (its last axis no longer than axis 1): the layers between shrank the axis, and nothing was
    fed channels-first."""
    for frame in case.frames:
        t = frame.inputs[0] if frame.inputs else None
        if t is None or not is_symbolic(t):
            continue
        now = shape_of(t)
        for src in root_inputs(t):
            was = shape_of(src)
            if len(was) != rank or len(now) != rank:
                continue
            first, last, shrunk = was[1], was[-1], now[1]
            if first is not None and last is not None and shrunk is not None and first > shrunk and last <= first:
                return was
    return None


def _features_last(tensor: Any) -> bool:
    """Whether the last axis of ``tensor`` was made as features by a layer upstream (Dense units, RNN units,
    channels-last filters): then it is not channels-first data, however short its first axis."""
    made = _width_maker(tensor)
    return made is not None and getattr(made[0], "data_format", "channels_last") != "channels_first"


def _made_as_features(case: Case, shape: Shape) -> bool:
    """Whether the tensor of ``shape`` that reached the failing layer, at any nesting level on its way, had
    its last axis made as features (``_features_last``)."""
    tensors = [case.tensor] + [f.inputs[0] for f in case.frames if f.inputs]
    return any(t is not None and hasattr(t, "shape") and shape_of(t)[1:] == tuple(shape[1:]) and _features_last(t)
               for t in tensors)


def _channels_first_entry(case: Case, rank: int) -> int | None:
    """The outer frame (a nested model) that received a same-rank tensor whose first axis after the batch
    is short and shorter than its last, as channels-first data is: there the axes were swapped."""
    for j, frame in enumerate(case.frames[:-1]):
        t = frame.inputs[0] if frame.inputs else None
        if t is None or not hasattr(t, "shape") or len(t.shape) != rank:
            continue
        given = shape_of(t)
        head, last, rest = given[1], given[-1], given[2:-1]
        if head is not None and last is not None and head < last and head <= 16 and all(d is None or d > head for d in rest) \
                and not _features_last(t):
            return j
    return None


def _data_name(case: Case, shape: Shape) -> str | None:
    """The user's variable on the failing line whose array has ``shape`` (``window`` in ``model.predict(window)``)."""
    return next((name for name, value in _named_arrays(case) if tuple(value.shape) == tuple(shape)), None)


def _arrays_named(case: Case, shape: Shape) -> list[str]:
    """The user's variables in the failing line's call that hold an array of ``shape`` (any batch size)."""
    return [name for name, value in _named_arrays(case)
            if len(value.shape) == len(shape) and shape_of(value)[1:] == tuple(shape[1:])]


def _missing_batch(case: Case, name: str, declared: Shape, got: Shape, var: str | None = None) -> Mismatch:
    """One sample given where a batch is expected: the array's shape is the model's shape without the batch;
    ``var``, the user's name for it where the caller found it."""
    model = case.called_model()
    var = var or _data_name(case, got) or case.call_argument(model) or "x"
    where = getattr(model, "name", None) or name
    dataset = _unbatched_dataset(case)
    if dataset is not None:
        return Mismatch(case.path(where) if case.failure is not None else where, f"data -> {where}",
                        format_shape(declared), f"{_tuple(got)} with no batch axis",
                        f"{where} takes batches {format_shape(declared)}, and the tf.data.Dataset {dataset} yields "
                        f"single samples {_tuple(got)}: a Dataset given to fit/evaluate/predict must be batched. "
                        f"{_batch_call(case, dataset)}")
    return Mismatch(
        case.path(where) if case.failure is not None else where, f"data -> {where}", format_shape(declared),
        f"{_tuple(got)} with no batch axis",
        f"{where} takes batches {format_shape(declared)}, and {var} is one sample {_tuple(got)}. Add the batch "
        f"axis: np.expand_dims({var}, 0) (or {var}[None]), which gives (1, {', '.join(str(d) for d in got)}).",
    )


def _unbatched_dataset(case: Case) -> str | None:
    """The user's variable, named on the failing line, that holds a tf.data.Dataset."""
    text = case.site.text if case.site is not None else ""
    for var in re.findall(r"\b([A-Za-z_]\w*)\b", text):
        if type(case.scope.get(var)).__module__.startswith("tensorflow.python.data"):
            return var
    return None


def _batch_call(case: Case, var: str) -> str:
    """How to batch ``var``: Dataset methods return a new dataset, so a bare ``var.batch(n)`` in the script
    changed nothing; assign it (with the user's own batch size when the script has one)."""
    source = user_source(case)
    bare = re.search(rf"^\s*{re.escape(var)}\.batch\((\w+)\)\s*$", source, re.M)
    size = bare.group(1) if bare else "32"
    said = (f"The script calls {var}.batch({size}) without keeping its result (Dataset methods return a new "
            "dataset). " if bare else "")
    return f"{said}Write {var} = {var}.batch({size}) before passing it."


def _invalid_input(case: Case, m: re.Match[str]) -> Mismatch:
    """JAX's and the functional input check's words for data whose shape differs from the model's Input."""
    model = case.called_model()
    name = getattr(model, "name", None) or m.group("name") or "model"
    return _declared_mismatch(case, name, _parse_shape(m.group("want")), _dims(m.group("got")))


def _duplicate_name(case: Case, m: re.Match[str]) -> Mismatch:
    """Two layers or models with one name in one model: a builder function called twice with a fixed name=."""
    dup, times = m.group("name"), int(m.group("n"))
    frame = next((f for f in reversed(case.frames) if f.kind == "construct"), None)
    where = (frame_name(frame) if frame is not None else None) or "model"
    kinds = sorted({type(v).__name__ for v in case.scope.values()
                    if isinstance(v, keras.layers.Layer) and getattr(v, "name", None) == dup})
    what = " or ".join(kinds) if kinds else "layer"
    clone = _clone_named(case, dup)
    if clone is not None:
        copy, original, call = clone
        use = (f"call {original} itself on both inputs: {original}({call}) instead of {copy}({call})" if call
               else f"call {original} itself where the script calls {copy}")
        return Mismatch(
            where, f"{dup} -> {where}", "one name per layer and nested model", f"{times} {what}s named {dup!r}",
            f"{copy} = keras.models.clone_model({original}) is a copy of {original} with the same name {dup!r} and "
            f"new weights of its own, so {where} holds {times} objects named {dup!r}. If both branches should share "
            f"{original}'s weights (one encoder for both, as in a siamese network), {use}. To keep two separate "
            f"copies, rename the copy before it is used: {copy}.name = \"{dup}_2\".",
        )
    automatic = _name_keras_also_gives(case, dup)
    if automatic is not None:
        mine, theirs, rewritten = automatic
        return Mismatch(
            where, f"{dup} -> {where}", "one name per layer and nested model", f"{times} {what}s named {dup!r}",
            f"The script names one part {dup!r} (`{mine}`), and Keras gives that same name to a layer left without "
            f"a name=, {theirs} (Keras names them after their class: dense, dense_1, ...). Give yours a name Keras "
            f"does not make: `{rewritten}`; or give {theirs} a name= of its own.",
        )
    return Mismatch(
        where, f"{dup} -> {where}", "one name per layer and nested model", f"{times} {what}s named {dup!r}",
        f"{where} holds {times} different objects named {dup!r}; a helper that builds a part with a fixed "
        f"name=\"{dup}\" and is called {times} times does this. Give each its own name: pass name=\"{dup}_2\" "
        f"(a name argument to the helper) for the second.",
    )


def _name_keras_also_gives(case: Case, name: str) -> tuple[str, str, str] | None:
    """``(the user's call, the unnamed layer's constructor, the user's statement renamed)`` where the user's file
    writes ``name="dense"`` once and also makes a ``Dense`` layer without a name=, which Keras names ``dense``: a
    collision that no helper called twice made."""
    source, tree = user_tree(case)
    if tree is None:
        return None
    named = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and any(
        k.arg == "name" and isinstance(k.value, ast.Constant) and k.value.value == name for k in n.keywords)]
    base = re.sub(r"_\d+$", "", name)
    unnamed = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and not any(k.arg == "name" for k in n.keywords)
               and isinstance(getattr(keras.layers, _callee_name(n), None), type)
               and _automatic_name(_callee_name(n)) == base]
    if len(named) != 1 or not unnamed:
        return None
    statements = [s for s in ast.walk(tree) if isinstance(s, (ast.Assign, ast.Expr, ast.Return))
                  and s.lineno <= named[0].lineno <= (s.end_lineno or s.lineno)]
    if not statements:
        return None
    renamed = f"{name}_input" if _callee_name(named[0]) in ("Input", "InputLayer") else f"my_{name}"
    lines = source.splitlines()[statements[-1].lineno - 1:statements[-1].end_lineno or statements[-1].lineno]
    rewritten = re.sub(rf"(['\"]){re.escape(name)}\1", lambda m: m.group(1) + renamed + m.group(1), "\n".join(lines),
                       count=1).strip()
    theirs = ast.get_source_segment(source, unnamed[0]) or ast.unparse(unnamed[0])
    return ast.get_source_segment(source, named[0]) or ast.unparse(named[0]), theirs, rewritten


def _automatic_name(cls: str) -> str:
    """The name Keras gives the first unnamed layer of class ``cls``: ``Dense`` -> ``dense``, ``Conv2D`` ->
    ``conv2d``, ``GlobalAveragePooling1D`` -> ``global_average_pooling1d``."""
    words = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", cls)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", words).lower()


def _callee_name(call: ast.Call) -> str:
    return call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")


def _clone_named(case: Case, name: str) -> tuple[str, str, str] | None:
    """``(copy, original, argument)`` where the user's file assigns ``copy = clone_model(original)`` and the
    model ``original`` is named ``name``: the clone keeps that name. ``argument`` is the source of the first input
    the script gives ``copy`` ('' when it never calls it)."""
    _, tree = user_tree(case)
    if tree is None:
        return None
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Call) and node.value.args
                and isinstance(node.value.args[0], ast.Name)
                and "clone_model" in (getattr(node.value.func, "attr", None), getattr(node.value.func, "id", None))):
            continue
        copy, original = node.targets[0].id, node.value.args[0].id
        if getattr(case.scope.get(original), "name", None) != name:
            continue
        calls = (c for c in ast.walk(tree) if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)
                 and c.func.id == copy and c.args)
        first = next(calls, None)
        return copy, original, ast.unparse(first.args[0]) if first is not None else ""
    return None


_UNITS = (keras.layers.Dense, keras.layers.LSTM, keras.layers.GRU, keras.layers.SimpleRNN, keras.layers.Conv1D,
          keras.layers.Conv2D, keras.layers.Conv3D, keras.layers.Embedding)


def _with_width(layer: Any, width: int) -> str | None:
    """Source for ``layer`` rebuilt to give ``width`` features, or None when it cannot say."""
    if isinstance(layer, keras.layers.Bidirectional) and layer.merge_mode == "concat":
        inner = _with_width(layer.forward_layer, width // 2) if width % 2 == 0 else None
        return f"keras.layers.Bidirectional({inner})" if inner else None
    if isinstance(layer, keras.layers.Embedding):
        return f"keras.layers.Embedding({layer.input_dim}, {width})"
    if isinstance(layer, _UNITS):
        return f"keras.layers.{type(layer).__name__}({width})"
    return None


def _width_maker(tensor: Any) -> tuple[Any, str] | None:
    """The nearest layer upstream of ``tensor`` that decides its last axis (Dense units, RNN units, filters)."""
    if tensor is None or not is_symbolic(tensor):
        return None
    for layer, path, _ in producer_chain(tensor):
        if isinstance(layer, (*_UNITS, keras.layers.Bidirectional)):
            return layer, path
        if isinstance(layer, keras.Model):
            continue
        if not isinstance(layer, (keras.layers.Dropout, keras.layers.Activation, keras.layers.LayerNormalization,
                                  keras.layers.BatchNormalization, keras.layers.Reshape)):
            return None
    return None


def _side_name(case: Case, tensor: Any) -> str:
    src = producer(tensor) if is_symbolic(tensor) else case.made_by.get(id(tensor))
    return str(getattr(src, "name", "?")) if src is not None else "?"


def _fed_in_users_call(case: Case, path: str, got: Any, want: Any) -> Mismatch | None:
    """A nested model of one input, held by the user's own layer or model, called in its ``call`` on a tensor
    that ``call`` made ``got`` wide (two embeddings concatenated) where the model was built for ``want``: the
    user's line, and the nested model's Input rebuilt for what ``call`` gives it."""
    found = user_method(case.exc)
    if found is None or found.method != "call":
        return None
    params = found.frame.f_code.co_varnames[:found.frame.f_code.co_argcount]
    if any(m.group(1) in params for m in re.finditer(r"self\.\w+\(\s*(\w+)\s*[,)]", found.text)):
        return None  # call's own argument passed on as it came: the data is what to look at, not call
    called = [getattr(found.layer, k, None) for k in re.findall(r"self\.(\w+)\(", found.text)]  # the models it calls
    held = [v for v in called if isinstance(v, keras.Model) and v is not found.layer
            and len(keras.tree.flatten(getattr(v, "inputs", None) or [])) == 1]
    model = next((v for v in held if shape_of(keras.tree.flatten(v.inputs)[0])[-1] == want), None)
    if model is None:
        return None
    inputs = keras.tree.flatten(model.inputs)
    cls, name = type(found.layer).__name__, model.name
    var = next((k for k, v in case.scope.items() if v is inputs[0] and not k.startswith("_")), None)
    made = f"keras.Input({_tuple(shape_of(inputs[0])[1:-1] + (got,))})"
    rebuild = f"{var} = {made}" if var else f"its Input as {made}"
    return Mismatch(path, f"{cls}.call -> {name}", f"(batch, ..., {want})", f"(batch, ..., {got})",
                    f"{cls}.call gives {name} a tensor of {got} features (`{found.text}`), and {name} was built for "
                    f"{want}. Build {name} for what {cls}.call gives it ({rebuild}), or give it {want} features there.")


def _contraction(case: Case, m: re.Match[str]) -> Mismatch:
    """A matrix product whose inner sizes differ (the backend's own words): a query against keys of another
    width, or a layer's own weight against inputs wider than it was made for."""
    a, b = int(m.group("a")), int(m.group("b"))
    layer = case.layer
    name = getattr(layer, "name", None) or "layer"
    frame = case.frames[-1] if case.frames else None
    given = [t for t in (frame.inputs if frame else ()) if hasattr(t, "shape")]
    path = case.path(name)
    inside = _layer_taking(layer, a, b) if not any(shape_of(t)[-1] == a for t in given) else None
    if inside is not None:  # the model was called on data: the layer inside it whose graph inputs are a and b wide
        where, layer, given = inside
        name, path = layer.name, f"{path}/{where}"
    odd = next((t for t in given if shape_of(t)[-1] == a), None)
    other = next((t for t in given if shape_of(t)[-1] == b), None)
    received = " and ".join(case.received(t) for t in given) or f"features {a}"
    if odd is None:
        return Mismatch(path, case.interface(name), f"inputs of width {b}", received,
                        f"{name} multiplies a {a}-wide input by something made for {b}: make the widths agree.")
    odd_side = _side_name(case, odd)
    if not is_symbolic(odd) and isinstance(layer, keras.Model) and odd_side == "?":  # arrays written on the line
        return (_fed_in_users_call(case, path, a, b)
                or Mismatch(path, f"data -> {name}", f"(batch, ..., {b})", received, _data_width_fix(name, b, a)))
    made = _width_maker(odd)
    rebuilt = _with_width(made[0], b) if made else None
    fix = f"{odd_side} gives {a} features and {name} "
    if other is not None:
        fix += f"multiplies them with {_side_name(case, other)}'s {b}: "
    else:
        fix += f"multiplies them by a weight made for {b}: "
    if made is not None and rebuilt is not None:
        fix += f"build {made[1]} as {rebuilt}, or "
    fix += f"project {odd_side}'s output with keras.layers.Dense({b}) before {name}"
    if other is not None:
        other_made = _width_maker(other)
        other_rebuilt = _with_width(other_made[0], a) if other_made else None
        if other_made is not None and other_rebuilt is not None:
            fix += f"; or build {other_made[1]} as {other_rebuilt} instead"
    fix += "."
    # name the interface on the side that crosses out of a nested model: that is where kernest looks
    nested = [t for t in (odd, other) if t is not None and is_symbolic(t) and isinstance(producer(t), keras.Model)]
    side = _side_name(case, nested[0]) if len(nested) == 1 else odd_side
    return Mismatch(path, f"{side} -> {name}", f"inner sizes that agree ({b})", received, fix)


_ELEMENTWISE = (keras.layers.Concatenate, keras.layers.Add, keras.layers.Subtract, keras.layers.Multiply,
                keras.layers.Average, keras.layers.Maximum, keras.layers.Minimum)


def _layer_taking(model: Any, a: int, b: int) -> tuple[str, Any, list[Any]] | None:
    """The one layer inside ``model`` whose (symbolic) inputs are ``a`` and ``b`` wide, with its path and them."""
    if not isinstance(model, keras.Model):
        return None
    found = []
    for where, layer in _walk(model):
        if isinstance(layer, _ELEMENTWISE):
            continue  # a merge that takes inputs of different widths, not a product over them
        for node in call_nodes(layer):
            tensors = [t for t in node.input_tensors if hasattr(t, "shape")]
            widths = [shape_of(t)[-1] for t in tensors]
            if a in widths and b in widths and a != b:
                found.append((where, layer, tensors))
    return found[0] if len(found) == 1 else None


def _frames(exc: BaseException) -> list[Any]:
    out, tb = [], exc.__traceback__
    while tb is not None:
        out.append(tb.tb_frame)
        tb = tb.tb_next
    return out


def _constructor(layer: Any) -> str:
    if isinstance(layer, keras.layers.Embedding):
        return f"keras.layers.Embedding({layer.input_dim}, {layer.output_dim})"
    if isinstance(layer, keras.layers.Dense):
        return f"keras.layers.Dense({layer.units})"
    return f"a new {type(layer).__name__}" if layer is not None else "a new layer"


Family = Callable[[Case, re.Match[str]], Mismatch]
_LAYER = r"(?:of )?layer ['\"](?P<layer>[^'\"]+)['\"]"
def _groups(case: Case, m: re.Match[str]) -> Mismatch:
    """A grouped convolution whose input channels are not a multiple of ``groups``: the largest group count
    up to the one given that divides both the channels it gets and its filters, or a producer that gives a
    multiple of the groups."""
    layer: Any = case.layer
    groups, channels = int(m.group("groups")), int(m.group("channels"))
    name = case.consumer_name(getattr(layer, "name", "conv"))
    filters = int(getattr(layer, "filters", 0) or 0)
    fits_both = [g for g in range(groups, 0, -1) if channels % g == 0 and (not filters or filters % g == 0)]
    side = case.producer_name() if case.frames else "the layer before it"
    more = -(-channels // groups) * groups
    fix = (f"{type(layer).__name__} {getattr(layer, 'name', '')} splits its input channels into groups={groups}, but "
           f"{side} gives {channels} channels, which {groups} does not divide. Build it with groups={fits_both[0]} "
           f"(it divides the {channels} channels" + (f" and the {filters} filters)" if filters else ")")
           + f", or make {side} give a multiple of {groups} channels (such as {more}).")
    received = case.received() if case.tensor is not None else f"{channels} channels"
    return Mismatch(case.path(name), case.interface(name), f"channels divisible by groups={groups}", received, fix)


def _output_names(model: Any) -> tuple[list[str], bool]:
    """A model's output names, and whether it returns a dict of them."""
    out = getattr(model, "output", None)
    if isinstance(out, dict):
        return list(out.keys()), True
    return [str(n) for n in getattr(model, "output_names", [])], False


def _fit_keyword(case: Case, key: str) -> str | None:
    """The source text of ``key=...`` in the fit call on the user's line."""
    return _keyword_source(case.site.text if case.site is not None else "", key)


def _per_output(names: list[str], as_dict: bool, values: list[str]) -> str:
    if as_dict:
        return "{" + ", ".join(f'"{n}": {v}' for n, v in zip(names, values)) + "}"
    return "[" + ", ".join(values) + "]"


def _class_weight_outputs(case: Case, model: Any) -> Mismatch:
    """class_weight given to fit() of a model with several outputs, which Keras refuses: per-sample weights
    for the outputs whose labels are the weighted classes, and ones for the others, one entry per output."""
    names, as_dict = _output_names(model)
    weights_text = _fit_keyword(case, "class_weight") or "class_weight"
    try:
        weights = ast.literal_eval(weights_text)
    except (ValueError, SyntaxError):
        weights = case.scope.get(weights_text)
    labels = _label_sources(case, names)
    values, weighted = [], []
    made: Any = getattr(model, "output", None)
    outputs = [made[n] for n in names] if as_dict else keras.tree.flatten(made)
    for k, out in enumerate(names):
        text = labels.get(out, "y")
        found = _eval_in(case, text)
        y = None if found is None else np.asarray(found)
        # class ids: integers, or, for an output made by a sigmoid or softmax, floats that hold whole numbers only
        # (0./1. labels made with astype("float32"); a regression target of whole numbers is not one)
        classifier = k < len(outputs) and getattr(getattr(producer(outputs[k]), "activation", None), "__name__",
                                                  "") in ("sigmoid", "softmax")
        whole = y is not None and (y.dtype.kind in "iub" or classifier and y.dtype.kind == "f" and y.size > 0
                                   and bool(np.all(y == np.round(y))))
        ids = set(np.unique(y).tolist()) if whole and y is not None else None
        weighted.append(isinstance(weights, dict) and ids is not None and ids <= set(weights))
        values.append(text)
    if not any(weighted):  # the labels could not be read: weigh every output, the user keeps what applies
        weighted = [True] * len(names)
    per = [f"np.vectorize({weights_text}.get)({t}).reshape(-1)" if w else f"np.ones(len({t}))"
           for t, w in zip(values, weighted)]
    fix = (f"Keras applies class_weight only to a model with one output, and {model.name} has {len(names)} "
           f"({', '.join(names)}). Turn the class weights into per-sample weights for the output whose classes they "
           f"weigh, and pass one array per output instead: sample_weight={_per_output(names, as_dict, per)}.")
    return Mismatch(model.name, f"data -> {model.name}", "one output for class_weight, or sample_weight per output",
                    f"class_weight for {len(names)} outputs", fix)


def _labels_structure(case: Case, m: re.Match[str]) -> Mismatch:
    """Labels whose structure is not the outputs': one array for a model of several outputs, a list of
    another length, or a dict that lacks (or adds) an output's key."""
    count = m.group("true").count("*")
    return _labels_structure_for(case, re.findall(r"'([^']+)': '\*'", m.group("true")), count,
                                 count == 1 and "[" not in m.group("true"))


def _loss_path_missing(case: Case, m: re.Match[str]) -> Mismatch:
    """Keras' words for labels of fewer entries than the outputs (one array for a model of two outputs):
    the labels' structure read from the user's fit line."""
    call = users_model_call(case, ("fit", "evaluate", "train_on_batch", "test_on_batch"))
    node = call.node("y") if call is not None else None
    y: Any = call.value("y") if call is not None else None
    if isinstance(node, ast.Dict) or isinstance(y, dict):
        keys = [k.value for k in node.keys if isinstance(k, ast.Constant)] if isinstance(node, ast.Dict) else list(y)
        return _labels_structure_for(case, [str(k) for k in keys], len(keys), False)
    if isinstance(node, (ast.List, ast.Tuple)) or isinstance(y, (list, tuple)):
        return _labels_structure_for(case, [], len(node.elts) if isinstance(node, (ast.List, ast.Tuple)) else len(y), False)
    if hasattr(y, "shape") or isinstance(node, ast.Call):  # an array, or a call that makes one (np.zeros(...))
        return _labels_structure_for(case, [], 1, True)
    return _generic_run(case)


def _labels_structure_for(case: Case, given_keys: list[str], count: int, single: bool) -> Mismatch:
    model = case.fitted_model()
    names, as_dict = _output_names(model)
    if model is None or not names:
        return _generic_run(case)
    outputs = keras.tree.flatten(model.output) if not as_dict else [model.output[n] for n in names]
    call = users_model_call(case, ("fit", "evaluate", "train_on_batch", "test_on_batch"))
    y_text = (call.text("y") if call is not None else None) or "y"

    losses = model.loss if isinstance(getattr(model, "loss", None), dict) else None

    def wanted(i: int) -> str:
        shape = shape_of(outputs[i])
        loss = losses.get(names[i]) if losses is not None else None
        sparse = "sparse" in str(loss).lower() if losses is not None else _sparse_loss(model, i)
        return f"class ids {_shape_tuple(shape[:-1])}" if sparse and (shape[-1] or 0) > 1 else _shape_tuple(shape)

    sources = _label_sources(case, names)
    # outputs a nested model makes all carry its name in Keras: told apart by the path of the layer making each
    twins = len(set(names)) < len(names) and not as_dict
    shown = [head_path(model, i).split("/", 1)[-1] if twins else n for i, n in enumerate(names)]
    listing = ", ".join(f"{n} {wanted(i)}" for i, n in enumerate(shown))
    if given_keys:
        missing = [n for n in names if n not in given_keys]
        extra = [k for k in given_keys if k not in names]
        what = (f"lacks {', '.join(repr(k) for k in missing)}" if missing else "") + (
            " and " if missing and extra else "") + (f"has {', '.join(repr(k) for k in extra)}, which no output is "
                                                      "named" if extra else "")
        entries = ", ".join(f'"{n}": {sources.get(n) or f"<labels of {n}>"}' for n in names)
        fix = (f"{model.name} has {len(names)} outputs, {listing}, and the labels dict {what}: Keras needs one entry "
               f"per output, keyed by its name. Pass {{{entries}}}.")
        received = "labels keyed " + ", ".join(given_keys)
    else:
        got = "one label array" if single else f"{count} label arrays"
        values = [y_text if count == 1 and _fits_output(case, y_text, outputs[i]) else f"<labels of {n}>"
                  for i, n in enumerate(shown)]
        by_name = "" if as_dict or twins else f" (or {_per_output(names, True, values)})"
        fix = (f"{model.name} has {len(names)} outputs, {listing}, and fit got {got}: Keras needs one label array per "
               f"output, in the outputs' order{'' if twins else ' or keyed by their names'}. Pass "
               f"{_per_output(names, as_dict, values)}{by_name}.")
        received = got
    return Mismatch(model.name, f"data -> {model.name}", f"one label array per output ({', '.join(shown)})",
                    received, fix)


def _fits_output(case: Case, y_text: str, output: Any) -> bool:
    """Whether the label array the user passed has the shape of ``output`` (so it is that output's labels)."""
    y = _eval_in(case, y_text)
    return y is not None and hasattr(y, "shape") and tuple(np.shape(y)[1:]) == tuple(shape_of(output)[1:])


def _label_sources(case: Case, names: list[str]) -> dict[str, str]:
    """For each output name, the source text of its labels in the fit call on the user's line: ``y["a"]`` for
    a dict variable, the list entry for a list literal, ``y[i]`` for a list variable."""
    text = case.site.text.strip() if case.site is not None else ""
    call = next((n for n in ast.walk(_parse_line(text)) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                 and n.func.attr in ("fit", "evaluate", "train_on_batch")), None)
    if call is None:
        return {}
    node = next((k.value for k in call.keywords if k.arg == "y"), call.args[1] if len(call.args) > 1 else None)
    if isinstance(node, (ast.List, ast.Tuple)):
        return {n: ast.unparse(e) for n, e in zip(names, node.elts)}
    if isinstance(node, ast.Dict):
        return {str(k.value): ast.unparse(v) for k, v in zip(node.keys, node.values) if isinstance(k, ast.Constant)}
    if isinstance(node, ast.Name):
        value = case.scope.get(node.id)
        if isinstance(value, dict):
            return {n: f'{node.id}["{n}"]' for n in names}
        if isinstance(value, (list, tuple)):
            return {n: f"{node.id}[{i}]" for i, n in enumerate(names)}
    return {}


def _custom_class(case: Case, m: re.Match[str]) -> Mismatch:
    """Loading a saved model that holds a class of the user's own (a custom layer) which Keras cannot find
    by name: it was neither registered nor passed in ``custom_objects``. Name where the class sits in the model
    still in scope, and add it to the user's own load call."""
    cls = m.group("cls").rsplit(".", 1)[-1]
    copied = copied_class_failure(case.site.text, cls) if case.site is not None else None
    if copied is not None:  # a copy made while the model is built (Bidirectional, clone_model), not a load
        return copied
    where = max((p for model in case.models() for p, layer in _walk(model) if type(layer).__name__ == cls),
                key=len, default=None)  # from the outermost model that holds it
    name = where.rsplit("/", 1)[-1] if where else cls
    entry = f'custom_objects={{"{cls}": {cls}}}'
    site = case.site
    load = next((c for c in (calls_on(site.text) if site is not None else [])
                 if "load" in ast.unparse(c.node.func)), None)
    if load is not None and not any(k.arg == "custom_objects" for k in load.node.keywords):
        text = load.text()
        call = f"{text[:-1].rstrip()}, {entry})" if load.node.args or load.node.keywords else f"{text[:-1]}{entry})"
    else:
        call = f"keras.models.load_model(..., {entry})"
    held = isinstance(case.scope.get(cls), type)
    return Mismatch(
        where or cls, f"file -> {name}", f"the class {cls} known to Keras", f"the name {cls!r} only",
        f"the saved file names the class {cls}{f' (at {where})' if where else ''} but Keras does not know it when "
        f"loading. Pass it: {call}" + ("" if held else f", after importing {cls}")
        + f"; or decorate class {cls} with @keras.saving.register_keras_serializable() where it is defined.",
    )


def _parse_line(text: str) -> ast.AST:
    """The user's line as Python; a call continued on the next lines is closed where it stops parsing."""
    for end in range(len(text), 0, -1):
        head = text[:end].rstrip().rstrip(",")
        try:
            return ast.parse(head + ")" * max(0, head.count("(") - head.count(")")))
        except SyntaxError:
            continue
    return ast.parse("")


def _eval_in(case: Case, text: str) -> Any:
    """The value of a simple expression (``y``, ``y["a"]``, ``y[0]``) in the user's scope, or None."""
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return None
    if isinstance(node, ast.Name):
        return case.scope.get(node.id)
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and isinstance(node.slice, ast.Constant):
        holder = case.scope.get(node.value.id)
        try:
            return holder[node.slice.value] if holder is not None else None
        except (KeyError, IndexError, TypeError):
            return None
    return None


def _sample_weight_outputs(case: Case, model: Any) -> Mismatch:
    """One sample_weight array with a column per output, for a model with several outputs: Keras takes a
    single array only as one weight per sample; split its columns, one array per output."""
    names, as_dict = _output_names(model)
    var = _fit_keyword(case, "sample_weight") or "sample_weight"
    w = case.scope.get(var)
    if w is None:  # written inline: the array Keras was given
        w = next((f.f_locals["sample_weight"] for f in _frames(case.exc)
                  if hasattr(f.f_locals.get("sample_weight"), "shape")), None)
    shape = tuple(np.shape(w)) if w is not None else ()
    n = len(names)
    if len(shape) == 2 and shape[1] == n:
        named = var if var.isidentifier() else "weights"
        split = _per_output(names, as_dict, [f"{named}[:, {i}]" for i in range(n)])
        fix = (f"{var} is {shape}: a weight per sample for each of the {n} outputs ({', '.join(names)}), and Keras "
               f"takes a single array only as one weight per sample. Pass a column per output: "
               + (f"sample_weight={split}." if named == var else f"weights = {var}, then sample_weight={split}."))
    else:
        fix = (f"{var} has shape {shape or '?'}; for a model with {n} outputs ({', '.join(names)}) Keras takes a single "
               f"array only of shape (num_samples,). Pass one array per output instead (a list in output order, "
               f"or a dict by output name), each (num_samples,), or one (num_samples,) array for all.")
    return Mismatch(model.name, f"data -> {model.name}", "(num_samples,) or one array per output",
                    f"one array {shape}" if shape else "one array", fix)


def _fit_weights(case: Case, m: re.Match[str]) -> Mismatch:
    model = case.fitted_model() or next(iter(case.models()), None)
    if model is None:
        return _generic_run(case)
    if m.group("cw"):
        return _class_weight_outputs(case, model)
    return _sample_weight_outputs(case, model)


# Keras' messages about fit()'s weight arguments: they name the cause exactly, so they are read before the
# heuristics about data of another width (a (n, 2) sample_weight is not a feature array).
_FIT_WEIGHTS = re.compile(r"(?P<cw>`class_weight` is only supported for Models with a single output)|"
                          r"(?P<sw>For a model with multiple outputs, when providing a single `sample_weight` array)")

FAMILIES: list[tuple[re.Pattern[str], Family]] = [
    (_FIT_WEIGHTS, _fit_weights),
    (re.compile(r"Could not locate (?:class|function) '(?P<cls>[\w.]+)'"), _custom_class),
    (re.compile(_LAYER + r" is incompatible with the layer: expected (?P<kind>min_|max_)?ndim=(?P<want>\d+), found ndim=(?P<got>\d+)\. Full shape received: (?P<shape>\([^)]*\))"), _ndim),
    (re.compile(_LAYER + r" is incompatible with the layer: expected axis -?\d+ of input shape to have value (?P<want>\d+), but received input with shape (?P<shape>\([^)]*\))"), _axis_value),
    (re.compile(_LAYER + r" is incompatible with the layer: expected shape=(?P<want>\([^)]*\)), found shape=(?P<got>\([^)]*\))"), _full_shape),
    (re.compile(r"is not connected to [`'\"]?inputs|Graph disconnected"), _disconnected),
    (re.compile(r"Layer ['\"](?P<layer>[^'\"]+)['\"] expects (?P<want>\d+) (?:named )?input\(s\).*?received (?P<got>\d+) input"), _arity),
    (re.compile(r"Missing data for input \"[^\"]+\"\. You passed a data dictionary with keys (?P<passed>\[[^\]]*\])\. Expected the following keys: (?P<expected>\[[^\]]*\])"), _missing_key),
    (re.compile(r"structure of .?inputs.? doesn't match|doesn't match the expected structure"), _structure),
    (re.compile(r"Only input tensors may be passed as positional arguments\. The following argument value should be passed as a keyword argument: (?P<value>.*?) \(of type <class 'str'>\)"), _positional_value),
    (re.compile(r"Arguments `target` and `output` must have the same (?:rank \(ndim\)|shape)\. Received: target\.shape=(?P<target>.*?), output\.shape=(?P<output>\S.*?)$", re.M), _labels),
    (re.compile(r"Argument `output` must have rank \(ndim\) `target\.ndim - 1`\. Received: target\.shape=(?P<target>.*?), output\.shape=(?P<output>\S.*?)$", re.M), _labels),
    (re.compile(r"Arguments `target` and `output` must have the same shape up until the last dimension: target\.shape=(?P<target>.*?), output\.shape=(?P<output>\S.*?)$", re.M), _labels),
    (re.compile(r"Dimensions must be equal, but are \d+ and \d+ for '\{\{node compile_loss/[^']*' with input shapes: (?P<target>\[[^\]]*\]), (?P<output>\[[^\]]*\])"), _labels),
    (re.compile(r"[Ii]ncompatible shapes for broadcasting(?::? (?:shapes=\[)?(?P<target>\([^)]*\)), (?P<output>\([^)]*\)))?"), _loss_broadcast),
    (re.compile(r"The size of tensor a \(\d+\) must match the size of tensor b \(\d+\) at non-singleton dimension"), _loss_broadcast),
    (re.compile(r"requires inputs with matching shapes except for the concatenation axis|Inputs have incompatible shapes|Incompatible input shapes: axis values|Operands could not be broadcast together with shapes"), _merge),
    (re.compile(r"total size of the tensor must be unchanged\. Received: input_shape=(?P<given>\([^)]*\)), target_shape=(?P<target>\([^)]*\))"), _reshape_size),
    (re.compile(r"total size of the tensor must be unchanged, however, the input size cannot by divided by the specified dimensions in target_shape\. Received: input_shape=(?P<given>\([^)]*\)), target_shape=(?P<target>\([^)]*\))"), _reshape_size),
    (re.compile(r"Expected keys (?P<expected>\[[^\]]*\]) in \w+ dict, but found \w+\.keys\(\)=(?P<found>\[[^\]]*\])"), _loss_keys),
    (re.compile(r"If an RNN is stateful, the batch size of the input sequences must be the same"), _stateful),
    (re.compile(r"When using `stateful=True` in a RNN, the batch size must be static\. Found dynamic batch size: sequence\.shape=(?P<shape>\([^)]*\))"), _stateful_unbatched),
    (re.compile(r"== (?P<now>\d+) whereas the optimizer was built with (?P<was>\d+)"), _optimizer),
    (re.compile(r"This optimizer can only be called for the variables it was originally built with(?P<now>)(?P<was>)"), _optimizer),
    (re.compile(r"indices\[[^\]]*\] = (?P<id>-?\d+) is not in \[0, (?P<hi>\d+)\)"), _index_range),
    (re.compile(r"Received a label value of (?P<id>-?\d+) which is outside the valid range of \[0, (?P<n>\d+)\)"), _label_range),
    (re.compile(r"^Target (?P<id>-?\d+) is out of bounds", re.M), _label_range),
    (re.compile(r"Unrecognized data type: x=.*\(of type <class '(?:list|tuple)'>\)", re.S), _python_list_data),
    (re.compile(r"Data cardinality is ambiguous"), _cardinality),
    (re.compile(r"Invalid dtype: (?:str|bytes|object)\d*|could not convert string to float|invalid literal for int\(\) with base 10: (?:np\.str_\()?'"), _string_data),
    (re.compile(r"index out of range in self"), _index_range),
    (re.compile(r"Cast (?P<frm>\w+) to (?P<to>\w+) is not supported"), _dtype),
    (re.compile(r"`TimeDistributed` Layer should be passed an `input_shape` with at least 3 dimensions, received: \[\("), _timedistributed_list),
    (re.compile(r"`TimeDistributed` Layer should be passed an `input_shape` with at least 3 dimensions, received: \((?P<shape>[^)]*)\)"), _timedistributed_rank),
    (re.compile(r"Kernel shape must have the same length as input, but received kernel of shape (?P<kernel>\([^)]*\)) and input of shape (?P<shape>\([^)]*\))"), _kernel_rank),
    (re.compile(r"y_true and y_pred have different structures\.\s*y_true: (?P<true>.*)\n\s*y_pred: (?P<pred>.*)"), _labels_structure),
    (re.compile(r"Cannot convert '(?P<value>.*?)' to a shape"), _to_shape),
    (re.compile(r"The path: \(\d+,?\) in the `loss` argument, can't be found in either the model's output"), _loss_path_missing),
    (re.compile(r"Received an invalid value for `(?P<arg>\w+)`, expected a positive integer\. Received: (?P=arg)=(?P<value>[\d.]+)"), _not_an_int),
    (re.compile(r"unsupported operand type\(s\) for %: '(?P<value>tuple)' and 'int'|'(?P<value2>list)' object has no attribute 'shape'"), _to_shape),
    (re.compile(r"'(?P<cls>\w+)' object has no attribute '(?P<attr>get_output_at|output_shape|get_input_at|input_shape|get_output_shape_at|get_input_shape_at)'"), _removed_attr),
    (re.compile(r"'(?P<cls>\w+)' object has no attribute '(?P<attr>predict_classes|predict_proba|fit_generator|evaluate_generator|predict_generator)'"), _removed_method),
    (re.compile(r"module '(?P<module>(?:keras|tensorflow|tf_keras)\b[\w.]*)' has no attribute '(?P<attr>\w+)'"), _moved_name),
    (re.compile(r"Unrecognized keyword arguments passed to (?P<cls>\w+): \{(?P<kw>.*)\}(?P<fn>)(?P<one>)", re.S), _unknown_kwargs),
    (re.compile(r"(?P<fn>\w+)\.\w+\(\) got an unexpected keyword argument '(?P<one>\w+)'(?P<cls>)(?P<kw>)"), _unknown_kwargs),
    (re.compile(r"Shapes used to initialize variables must be fully-defined"), _unknown_size),
    (re.compile(r"There must be at most one unknown dimension \(-1\) in `target_shape`\. Received: target_shape=(?P<target>\([^)]*\))"), _reshape_unknowns),
    (re.compile(r"The layer (?P<layer>\S+) has never been called and thus has no defined (?:output|input)"), _no_output),
    (re.compile(r"Computed output size would be zero or negative\. Received `inputs shape=(?P<shape>\([^)]*\))`, `kernel shape=(?P<kernel>\([^)]*\))`(?:, `dilation_rate=(?P<dil>[^`]*)`)?"), _too_small),
    (re.compile(r"Computed output size would be zero or negative\. Received: `inputs\.shape=\[(?P<shape>[^\]]*)\]`, `pool_size=\[(?P<pool>[^\]]*)\]`"), _pool_too_small),
    (re.compile(r"Layer (?P<model>\S+) weight shape (?P<have>\([^)]*\)) is not compatible with provided weight shape (?P<given>\([^)]*\))"), _weights_shape),
    (re.compile(r"Invalid input shape for input .*? with name '(?P<name>[^']*)'.*?Expected shape (?P<want>\([^)]*\)), but input has incompatible shape (?P<got>(?:torch\.Size\()?[(\[][^)\]]*[)\]]\)?)", re.S), _invalid_input),  # torch prints the data over lines
    (re.compile(r"The number of input channels must be evenly divisible by the number of groups\. Received groups=(?P<groups>\d+), but the input has (?P<channels>\d+) channels"), _groups),
    (re.compile(r"The name \"(?P<name>[^\"]+)\" is used (?P<n>\d+) times in the model"), _duplicate_name),
    (re.compile(r"Dimensions must be equal, but are (?P<a>\d+) and (?P<b>\d+) for '[^']*MatMul"), _contraction),
    (re.compile(r"dot_general requires contracting dimensions to have the same shape, got \((?P<a>\d+),?\) and \((?P<b>\d+),?\)"), _contraction),
    (re.compile(r"Matrix size-incompatible: In\[0\]: \[\d+,\s*(?P<a>\d+)\], In\[1\]: \[(?P<b>\d+),\s*\d+\]"), _contraction),
    (re.compile(r"mat1 and mat2 shapes cannot be multiplied \(\d+x(?P<a>\d+) and (?P<b>\d+)x\d+\)"), _contraction),
    (re.compile(r"Expected size for first two dimensions of batch2 tensor to be: \[\d+, (?P<a>\d+)\] but got: \[\d+, (?P<b>\d+)\]"), _contraction),
]


_ATTENTION = (keras.layers.MultiHeadAttention, keras.layers.Attention, keras.layers.AdditiveAttention)


def _longer_than_table(case: Case) -> Mismatch | None:
    """A sequence longer than the table of positions a layer reads (keras-hub's PositionEmbedding slices the
    first ``length`` rows of its (max_sequence_length, width) weight): no row exists past the table's end."""
    layer = case.layer
    inputs = case.frames[-1].inputs if case.frames else []
    shape = shape_of(inputs[0]) if inputs and layer is not None else ()
    var = next((n for n in _call_names(case) if isinstance(case.scope.get(n), dict)
                or isinstance(getattr(case.scope.get(n), "ndim", None), int)), None)
    data = [a for a in keras.tree.flatten(case.scope.get(var)) if len(getattr(a, "shape", ())) >= 2] if var else []
    length = shape[1] if len(shape) >= 3 and isinstance(shape[1], int) else max(
        (int(a.shape[1]) for a in data), default=None)  # the sequence the data holds, where the graph has ?
    if len(shape) != 3 or length is None or layer is None or isinstance(layer, keras.Model) or layer._layers:
        return None  # a layer of its own weights on (batch, sequence, width), not a model or a block of layers
    width = shape[-1]
    tables = [w for w in layer.weights if len(w.shape) == 2 and w.shape[1] == width and w.shape[0] < length]
    if not tables:
        return None
    rows = int(tables[0].shape[0])
    name = case.consumer_name(layer.name)
    cut = (f"{{k: v[:, :{rows}] for k, v in {var}.items()}}" if isinstance(case.scope.get(var or ""), dict)
           else f"{var or 'x'}[:, :{rows}]")
    return Mismatch(
        case.path(layer.name), case.interface(layer.name), f"(batch, at most {rows}, {width})", case.received(),
        f"{name} reads one row of its {tables[0].path.rsplit('/', 1)[-1]} table {tuple(tables[0].shape)} per position, "
        f"{rows} positions in all, and gets a sequence of {length}: the model takes sequences of at most {rows}. "
        f"Cut them to {rows} ({cut}), or make the model with a table of at least {length} positions and train it.",
    )


def _generic(case: Case) -> Mismatch:
    """Any other failure inside Keras: the path, the shapes and Keras' own reason, said once."""
    for i, frame in enumerate(case.frames):
        if isinstance(frame.layer, _ATTENTION) and frame.inputs and len(frame.inputs[0].shape) == 2:
            case.frames, case.layer, case.tensor = case.frames[: i + 1], frame.layer, frame.inputs[0]
            case.meet, case.outer = _meeting_point(case.frames, case.made_by)
            received = case.received()
            return Mismatch(case.path(frame.layer.name), case.interface(frame.layer.name), "(batch, steps, features)",
                            received, _rank_lost(case, 3, 2, received))
    levels = _sides_not_a_multiple(case)
    if levels is not None:
        return levels
    table = _longer_than_table(case)
    if table is not None:
        return table
    name = case.consumer_name(getattr(case.layer, "name", "model"))
    layer = case.layer
    kind = type(layer).__name__ if layer is not None else "Keras"
    received = " and ".join(case.received(t) for t in case.frames[-1].inputs) if case.frames and case.frames[-1].inputs else "?"
    reason = first_line(case.message) or type(case.exc).__name__
    probed = probe_call(layer, case.frames[-1].inputs) if case.frames and layer is not None else None
    expected = _expected_from_layer(layer, probed)
    if probed is not None:  # what a fresh copy of the layer accepts gives the fix
        return Mismatch(case.path(name), case.interface(name), expected, received,
                        _kept_batch_probed(case, probed)
                        or fix_text(probed, getattr(layer, "name", name), reason.rstrip(".")))
    odd = _odd_width_input(case, kind, getattr(layer, "name", name), reason.rstrip("."))
    if odd is not None:
        return Mismatch(case.path(name), case.interface(name), odd[0], received, odd[1])
    other = _built_on_other_shapes(case)
    if other is not None:
        built, received = other
        return Mismatch(
            case.path(name), case.interface(name), built, received,
            f"{kind} {getattr(layer, 'name', '')} was built on {built} in its first call and now gets {received}, "
            f"and its call refused it: {reason.rstrip('.')}. Give it {built} as before, or make a new {kind} for "
            f"the new shape: its weights and the constants its __init__/build made have the first shape's sizes.",
        )
    return Mismatch(
        case.path(name), case.interface(name), expected, received,
        f"{kind} {getattr(layer, 'name', '')} refused it: {reason.rstrip('.')}. Check what reaches "
        f"{case.consumer_name(name)} against what it was built for (kernest.summary shows every shape).",
    )


def _sides_not_a_multiple(case: Case) -> Mismatch | None:
    """A model that pools its images level by level and joins each level with its upsampled match (a U-Net),
    given images whose sides are not a multiple of its total pooling: an odd level is halved, doubled one
    short, and the join fails deep inside, where Keras checks nothing at the model's input (a subclassed model,
    or one declared for any size). The multiple is found by calling the model on one image of zeros with the sides
    rounded up to multiples of 2, 4, 8, ...: the first whose two next sizes it takes."""
    layer, model = case.layer, case.called_model()
    given = [t for t in (case.frames[-1].inputs if case.frames else ()) if hasattr(t, "shape")]
    shapes = [shape_of(t) for t in given]
    if (not isinstance(layer, keras.layers.Concatenate) or len(shapes) < 2 or len({len(sh) for sh in shapes}) != 1
            or len(shapes[0]) not in (3, 4, 5)):
        return None
    frame = next((f for f in case.frames if f.layer is model and f.inputs), None)
    data = frame.inputs[0] if frame is not None else None
    if data is None or is_symbolic(data) or len(data.shape) != len(shapes[0]):
        return None
    sides = tuple(int(d) for d in data.shape[1:-1])

    def takes(new: tuple[int, ...]) -> bool:
        # one image of zeros through the model at inference: on shapes alone Keras' Concatenate lets
        # mismatched sides through in a functional model (its output shape takes the first input's)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model(keras.ops.zeros((1, *new, data.shape[-1]), dtype=keras.backend.standardize_dtype(data.dtype)), training=False)
        except Exception:  # noqa: BLE001 - the model refuses that size, however the backend says it
            return False
        return True

    def rounded(m: int, more: int = 0) -> tuple[int, ...]:
        return tuple(-(-d // m) * m + more * m for d in sides)

    if takes(sides):  # the model takes an image of this size: the join failed for another reason
        return None
    multiple = next((m for m in (2, 4, 8, 16, 32, 64) if rounded(m) != sides and takes(rounded(m))
                     and takes(rounded(m, 1))), None)
    if multiple is None:
        return None
    var = case.call_argument(model) or "x"
    up, down = rounded(multiple), tuple(d // multiple * multiple for d in sides)

    def size(dims: tuple[int, ...]) -> str:
        return "x".join(str(d) for d in dims)

    crop = f", or crop them to {size(down)}" if all(down) else ""
    name = getattr(layer, "name", "concatenate")
    fix = (f"{model.name} takes images whose sides are multiples of {multiple}: it pools them level by level and "
           f"joins each level with its upsampled match, and {var}'s {size(sides)} gives levels that no longer pair "
           f"up at {name} ({' and '.join(format_shape(sh) for sh in shapes)}). Resize them to {size(up)}: "
           f"keras.layers.Resizing({', '.join(str(d) for d in up)})({var}) (or pad them){crop}.")
    return Mismatch(case.path(name), f"data -> {model.name}", f"sides that are multiples of {multiple}",
                    f"{var} of {size(sides)}", fix)


def _odd_width_input(case: Case, kind: str, name: str, reason: str) -> tuple[str, str] | None:
    """A layer that combines a list of three or more tensors (stacks them, takes their pairwise dot products) and
    refused them where all but one share their last axis: that one is the odd one, and the layer (or model) that
    made it is what to change. (expected, fix) where that holds."""
    inputs = case.frames[-1].inputs if case.frames else []
    shapes = [shape_of(t) for t in inputs if hasattr(t, "shape")]
    if len(inputs) < 3 or len(shapes) != len(inputs) or any(len(s) != len(shapes[0]) for s in shapes):
        return None
    widths = [s[-1] for s in shapes]
    odd = [i for i, w in enumerate(widths) if widths.count(w) == 1]
    common = next((w for w in widths if widths.count(w) == len(widths) - 1), None)
    if len(odd) != 1 or common is None or None in widths or not re.search(r"shape|size|dimension", reason, re.I):
        return None
    src = producer(inputs[odd[0]]) if is_symbolic(inputs[odd[0]]) else None
    if src is None:
        return None
    last = src.layers[-1] if isinstance(src, keras.Sequential) and src.layers else None
    end = (f"end {src.name} at {common} features (its last layer {last.name} as keras.layers.Dense({common}))"
           if isinstance(last, keras.layers.Dense) else f"make {src.name} give {common} features")
    fix = (f"{kind} {name} combines its {len(inputs)} inputs, which must share their last axis, and refused them: "
           f"{reason}. The others have {common} features; {src.name} (input {odd[0] + 1}) gives {widths[odd[0]]}. "
           f"To keep the rest as built, {end}.")
    return f"{len(inputs)} inputs of {common} features", fix


def _built_on_other_shapes(case: Case) -> tuple[str, str] | None:
    """The shapes a built subclassed model or custom layer was first called with, where the failing call gives
    it others (the batch axis aside), and those it gets; only the inputs that changed, by key, where it was
    called on a dict. None where unknown or the same."""
    layer = case.layer
    if layer is None or not case.frames or type(layer).__module__.startswith("keras"):
        return None
    built = built_input_shapes(layer)
    tensors = [t for t in case.frames[-1].inputs if hasattr(t, "shape")]
    given = [shape_of(t) for t in tensors]
    if not built or len(built) != len(given) or all(fits(b, g) for b, g in zip(built, given)):
        return None
    keys = built_input_keys(layer)
    if keys is None:
        return " and ".join(format_shape(b) for b in built), " and ".join(case.received(t) for t in tensors)
    changed = [i for i, (b, g) in enumerate(zip(built, given)) if not fits(b, g)]
    return (", ".join(f"{keys[i]} {format_shape(built[i])}" for i in changed),
            ", ".join(f"{keys[i]} {case.received(tensors[i])}" for i in changed))


def _expected_from_layer(layer: Any, probed: Probe | None = None) -> str:
    if probed is not None and probed.found is not None:
        return probed.accepts_text()
    if isinstance(layer, keras.Model) and getattr(layer, "inputs", None):
        return " and ".join(format_shape(shape_of(t)) for t in layer.inputs)
    spec = getattr(layer, "input_spec", None)
    for s in keras.tree.flatten(spec) if spec is not None else []:
        if getattr(s, "ndim", None):
            return _expected_rank(layer, s.ndim, "")
        if getattr(s, "min_ndim", None):
            return _expected_rank(layer, s.min_ndim, "min_")
    return f"an input {getattr(layer, 'name', 'it')} accepts"


def explain(exc: BaseException, target: Any = None) -> InterfaceError | None:
    """Turn a raw Keras exception into an ``InterfaceError`` with path, expected, received and fix.

    Inside ``kernest.trace()`` the full nested path of the failing layer and both sides of the
    interface are known; otherwise they are read from the message, the traceback and ``target``.

    Args:
        exc: the exception Keras raised.
        target: optional model in which to look up the layer Keras names, to give its nested path.

    Returns:
        An ``InterfaceError`` (not raised), or ``None`` when the exception is not one Keras raised at a
        model's interfaces.

    Example:
        >>> import keras, kernest
        >>> try:
        ...     keras.layers.LSTM(4)(keras.Input((10,)))
        ... except ValueError as e:
        ...     print(kernest.explain(e).expected)
        (batch, steps, features)
    """
    if isinstance(exc, KernestError):
        return exc if isinstance(exc, InterfaceError) else None
    kept, whole = exc.__traceback__, unfiltered_traceback(exc)
    if whole is None:
        return _explained(exc, target)
    # the nested frames as the filtered traceback gives them (the readers of a failure outside a trace keep their
    # answers); the readers of the user's layer then find its frames in the whole one, as kernest check does
    failure = failure_of(exc)
    exc.__traceback__ = whole
    try:
        return _explained(exc, target, failure)
    finally:
        exc.__traceback__ = kept  # the user's exception is given back as it was


def _explained(exc: BaseException, target: Any, failure: Failure | None = None) -> InterfaceError | None:
    case = Case(exc, target, failure)
    weights = _FIT_WEIGHTS.search(case.message)
    if weights:
        return InterfaceError([_fit_weights(case, weights)], context=_context(case))
    usage = (contract_failure(case) or written_failure(case) or training_api_failure(case) or boundary_failure(case)
             or protocol_failure(case) or usage_failure(case) or dtype_failure(case) or backend_layer_failure(case)
             or graph_reused_failure(case) or sparse_loss_over_a_map(case) or einsum_failure(case)
             or reshape_failure(case))
    if usage is not None:
        return InterfaceError([usage], context=_context(case))
    custom = (_metric_for_other_labels(case) or fit_argument_failure(case) or argument_failure(case)
              or settings_failure(case) or _data_off_built_shapes(case) or custom_code_failure(case)
              or script_failure(case) or structure_failure(case) or _in_users_call(case) or in_users_code(case) or compiled_for_other_outputs(case)
              or flat_data_element(case)
              or split_refused(case) or lambda_refused_on_load(case) or real_error_lost(case) or _api_call(case)
              or _custom_mask_failure(case) or _shared_on_load(case) or _initial_state_count(case)
              or _swapped_inputs(case) or _swapped_data_axes(case) or _one_array_for_inputs(case) or _odd_width_data(case) or _data_off_declared_input(case)
              or _adapted_width(case) or _attention_mask(case) or _weight_broadcast(case) or _unpacked_outputs(case))
    if custom is not None:
        return InterfaceError([custom], context=_context(case))
    for pattern, family in FAMILIES:
        m = pattern.search(case.message)
        if m:
            return InterfaceError([family(case, m)], context=_context(case))
    called = _users_call(case)
    if called is not None:
        return InterfaceError([called], context=_context(case))
    if case.failure is not None and case.layer is not None:
        return InterfaceError([_generic(case)], context=_context(case))
    if _raised_inside_keras(exc) and not _users_own_attribute(case):
        return InterfaceError([_generic_run(case)], context=_context(case))
    return None


_SHAPES_CLASH = re.compile(r"Dimensions must be equal|Incompatible shapes|incompatible shapes for broadcasting|"
                           r"size of tensor a \(\d+\) must match")


def _labels_text(case: Case) -> str | None:
    """The labels argument of the user's fit call, as written (``y_train``)."""
    text = case.site.text if case.site is not None else ""
    found = re.search(r"\.fit\(\s*[^,()]+,\s*(?:y\s*=\s*)?([A-Za-z_][\w.]*)", text)
    return found.group(1) if found else None


def _metric_for_other_labels(case: Case) -> Mismatch | None:
    """A shape clash in fit where a class metric reads the other form of labels than the loss (lint's
    ``metric_reads_other_labels``): the labels suit the loss, so the metric is what fails."""
    model = case.fitted_model() if _SHAPES_CLASH.search(case.message) else None
    found = (metric_reads_other_labels(model) + elementwise_metric_on_class_ids(model, _labels_text(case))
             if isinstance(model, keras.Model) else [])
    if not found:
        return None
    first = found[0]
    metric = re.search(r"the metric '(\w+)'", first.problem)
    return Mismatch(first.path, first.interface, "a metric that reads the labels the loss takes",
                    f"metrics=['{metric.group(1)}']" if metric else "the compiled metrics",
                    f"{first.problem} {first.fix[:1].upper()}{first.fix[1:]}")


def _api_call(case: Case) -> Mismatch | None:
    """The user's line calls a model's API (fit, predict, compile settings, calling it) with data or settings
    of another structure than the model declares (``_explain_api``)."""
    if case.site is None:
        return None
    return api_failure(case.site.text.strip(), case.scope, case.message, case.exc, user_source(case))


def _users_call_frame(exc: BaseException) -> Any:
    """The deepest frame of the traceback that runs a ``call`` method of a user's own layer or model."""
    found, tb = None, exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if (frame.f_code.co_name == "call" and is_user_file(frame.f_code.co_filename)
                and isinstance(frame.f_locals.get("self"), keras.layers.Layer)):
            found = (frame, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _message_sizes(message: str) -> tuple[int, int] | None:
    """The two sizes that disagree, as TensorFlow, JAX or torch words it for an elementwise op."""
    for pattern in (r"Dimensions must be equal, but are (\d+) and (\d+)", r"size of tensor a \((\d+)\) must match the size "
                    r"of tensor b \((\d+)\)", r"Incompatible shapes: \[[^\]]*?(\d+)\] vs\. \[[^\]]*?(\d+)\]",
                    r"shapes=\[\([^)]*?(\d+)\), \([^)]*?(\d+)\)\]",
                    r"incompatible shapes for broadcasting: \([^)]*?(\d+)\), \([^)]*?(\d+)\)"):
        m = re.search(pattern, message)
        if m and m.group(1) != m.group(2):
            return int(m.group(1)), int(m.group(2))
    return None


_ELEMENTWISE_OPS = {"add", "subtract", "multiply", "maximum", "minimum"}


def _in_users_call(case: Case) -> Mismatch | None:
    """A failure on a line of the user's own ``call()`` (a custom layer or subclassed model): read that line
    with the tensors its names hold, and say what on it is wrong, in its own terms."""
    import linecache

    found = _users_call_in_chain(case.exc)
    if found is None:
        return None
    frame, lineno, exc = found
    layer, text = frame.f_locals["self"], linecache.getline(frame.f_code.co_filename, lineno).strip()
    message = f"{case.message}\n{_message(exc)}"
    return (_static_batch(case, layer, text, frame.f_locals, message)
            or _operand_widths(case, layer, text, frame.f_locals, message)
            or _arguments_in_call(case, layer, text, frame.f_locals, message))


def _users_call_in_chain(exc: BaseException) -> tuple[Any, int, BaseException] | None:
    """``_users_call_frame`` over the exception and the ones it wraps (JAX wraps the call's error in "Unable
    to build the model"): (frame, line, the exception whose traceback holds it)."""
    link: BaseException | None = exc
    seen: set[int] = set()
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        found = _users_call_frame(link)
        if found is not None:
            return found[0], found[1], link
        link = link.__cause__ or link.__context__
    return None


def _arguments_in_call(case: Case, owner: Any, text: str, names: dict[str, Any], message: str) -> Mismatch | None:
    """A sub-layer called inside the user's call() with arguments its signature does not take (_callsite),
    placed at its nested path: under the user's layer that calls it."""
    found = arguments_refused(calls_on(text), names, message)
    if found is None:
        return None
    sub, path = found.path, case.path(owner.name)
    path = path if path == sub or path.endswith(f"/{sub}") else f"{path}/{sub}"
    return Mismatch(path, case.interface(owner.name), found.expected, found.received, found.fix)


def _static_batch(case: Case, layer: Any, text: str, names: dict[str, Any], message: str) -> Mismatch | None:
    """``ops.reshape(x, (x.shape[0], -1))``: the batch size read from the static shape is None while Keras
    builds the model. -1 keeps the batch axis; the other sizes are known then."""
    used = re.search(r"\b(\w+)\.shape\[0\]", text)
    t = names.get(used.group(1)) if used else None
    if t is None or not hasattr(t, "shape") or t.shape[0] is not None or "None" not in message:
        return _static_batch_read_earlier(case, layer, text, names, message)
    var, rest = used.group(1) if used else "x", tuple(t.shape[1:])
    whole = rf"\(\s*{var}\.shape\[0\]\s*,\s*-1\s*\)"
    if re.search(whole, text) and all(isinstance(d, int) for d in rest):
        size = math.prod(rest)
        fix = (f"write {re.sub(whole, f'(-1, {size})', text).removeprefix('return ').strip()}: -1 keeps the batch "
               f"axis and each sample's {' x '.join(map(str, rest))} = {size} values are known when the model is built.")
    else:
        fix = f"use -1 for the batch axis where a size goes, or keras.ops.shape({var})[0] (known when it runs)."
    name = case.consumer_name(layer.name)
    return Mismatch(case.path(name), case.interface(name), f"{var}.shape[0] known", f"{var}.shape[0] = None",
                    f"{layer.name}'s call() reads the batch size as {var}.shape[0], which is None while Keras builds "
                    f"the model (the batch is unknown until data arrives); {fix}")


def _static_batch_read_earlier(case: Case, layer: Any, text: str, names: dict[str, Any],
                               message: str) -> Mismatch | None:
    """``b, t, d = x.shape`` (or ``b = x.shape[0]``) earlier in call(), and the failing line uses ``b``, None."""
    from kernest._lint_portable import static_batch_reads

    found = static_batch_reads(layer) if "None" in message else None
    if found is None or not any(names.get(n, 0) is None for n in re.findall(r"\b\w+\b", text)):
        return None
    written, fixes, line, _ = found
    name = case.consumer_name(layer.name)
    return Mismatch(case.path(name), case.interface(name), "the batch size taken when call() runs",
                    f"{written[0]}: None for the batch",
                    f"{layer.name}'s call() reads the batch size from the static shape ({', '.join(written)}, line "
                    f"{line}), which is None while Keras builds the model (the batch is unknown until data "
                    f"arrives). Take it when call() runs: {'; '.join(fixes)}.")


def _operand_widths(case: Case, layer: Any, text: str, names: dict[str, Any], message: str) -> Mismatch | None:
    """``ops.add(self.encoder(x), x)`` whose operands differ in width: name the sub-part that makes one and
    the tensor that is the other, and project the tensor to the sub-part's width (a residual shortcut)."""
    sizes = _message_sizes(message)
    if sizes is None:
        return None
    try:
        tree = ast.parse(text.removeprefix("return ").strip())
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        pair = (node.args[:2] if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in _ELEMENTWISE_OPS and len(node.args) >= 2
                else [node.left, node.right] if isinstance(node, ast.BinOp) else None)
        if not pair:
            continue
        tensor = next((a for a in pair if isinstance(a, ast.Name) and hasattr(names.get(a.id), "shape")), None)
        part = next((a for a in pair if isinstance(a, ast.Call) and isinstance(a.func, ast.Attribute)
                     and isinstance(a.func.value, ast.Name) and a.func.value.id == "self"
                     and isinstance(getattr(layer, a.func.attr, None), keras.layers.Layer)), None)
        if tensor is None or part is None:
            continue
        width = names[tensor.id].shape[-1]
        if width not in sizes:
            continue
        other = sizes[1] if width == sizes[0] else sizes[0]
        sub = getattr(layer, part.func.attr)  # type: ignore[attr-defined]
        combined = ast.unparse(node)
        return Mismatch(
            layer.name, f"{sub.name} -> {layer.name}", f"operands of one width ({other})",
            f"{ast.unparse(part)}: {other} wide, {tensor.id}: {width} wide",
            f"{layer.name}'s call() combines {ast.unparse(part)} ({other} features) with {tensor.id} ({width}) in "
            f"{combined}, and elementwise ops need equal widths. Project {tensor.id} to {other}: create "
            f"self.proj = keras.layers.Dense({other}) in __init__ and use self.proj({tensor.id}) there (or build "
            f"{sub.name} to give {width}).",
        )
    return None


_UNPACK = re.compile(r"too many values to unpack \(expected (?P<want>\d+)\)|not enough values to unpack \(expected (?P<want2>\d+), got")


def _state_names(layer: Any, user_names: list[str]) -> list[str]:
    """Names for an RNN's returned states, per direction: the user's own suffixes (``state_h`` -> ``h``) when
    they name as many states as one direction returns, else LSTM's h and c, or one h."""
    inner = getattr(layer, "forward_layer", layer)
    size = getattr(getattr(inner, "cell", None), "state_size", None)
    count = len(size) if isinstance(size, (list, tuple)) else 1
    suffixes = [n.rsplit("_", 1)[-1] for n in user_names]
    if len(suffixes) == count and len(set(suffixes)) == count:
        return suffixes
    return ["h", "c"][:count] if count <= 2 else [f"s{i}" for i in range(count)]


def _unpacked_outputs(case: Case) -> Mismatch | None:
    """``out, h, c = Bidirectional(LSTM(..., return_state=True))(x)``: the line unpacks a layer's outputs into
    another number of names than the layer returns. The count comes from the layer itself (its output spec on
    the line's own tensors), and the names are the user's, extended."""
    m = _UNPACK.search(case.message)
    site = case.site
    if m is None or site is None or not isinstance(case.exc, ValueError):
        return None
    try:
        stmt = ast.parse(site.text.strip()).body[0]
    except (SyntaxError, IndexError):
        return None
    if not (isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Tuple) and isinstance(stmt.value, ast.Call)):
        return None
    names = [ast.unparse(e) for e in stmt.targets[0].elts]
    call, source = stmt.value, site.text.strip()
    layer = value_of(call.func, case.scope)
    if layer is None and isinstance(call.func, ast.Call) and isinstance(value_of(call.func.func, case.scope), type):
        try:  # the layer is built on this line: build the same one again to read what it returns
            layer = eval(compile(ast.Expression(call.func), "<line>", "eval"), {}, dict(case.scope))  # noqa: S307
        except Exception:  # an argument that cannot be evaluated again: no count to give
            return None
    args = [value_of(a, case.scope) for a in call.args]
    if not isinstance(layer, keras.layers.Layer) or not args or any(not hasattr(a, "shape") for a in args):
        return None
    try:
        outputs = keras.tree.flatten(layer.compute_output_spec(*args))
    except Exception:  # the layer cannot say what it returns for these inputs
        return None
    if len(outputs) == len(names):
        return None
    name = str(layer.name)
    if isinstance(layer, keras.layers.Bidirectional) and len(outputs) > 1:
        per = _state_names(layer, names[1:])
        wanted = [names[0], *[f"forward_{p}" for p in per], *[f"backward_{p}" for p in per]]
        why = (f"a Bidirectional RNN with return_state=True returns its output, then the forward states, then the "
               f"backward states ({len(per)} each)")
        after = (f" A decoder of twice the width starts from the joined states: "
                 f"{', '.join(f'keras.layers.Concatenate()([forward_{p}, backward_{p}])' for p in per)}.")
    else:
        wanted = [*names, *[f"{names[-1]}_{i}" for i in range(len(names), len(outputs))]][: len(outputs)]
        why, after = f"it returns {len(outputs)} tensors", ""
    if len(wanted) != len(outputs):
        return None
    shapes = ", ".join(format_shape(shape_of(o)) for o in outputs)
    src = source_name(call.args[0], case.scope) or "?"
    rhs = ast.get_source_segment(source, call) or ast.unparse(call)
    later = "".join(user_source(case).splitlines(keepends=True)[site.line :])
    rewrites, consumer = dropped_uses(later, [n for n in names if n not in wanted])
    if rewrites:
        after += f" Then leave the dropped names out where they are used: {', '.join(rewrites)}."
    return Mismatch(name, f"{name} -> {consumer}" if consumer else f"{src} -> {name}", f"{len(outputs)} names",
                    f"{len(names)} names ({', '.join(names)})",
                    f"{name} returns {len(outputs)} tensors ({shapes}): {why}. Unpack all of them: "
                    f"{', '.join(wanted)} = {rhs}.{after}")


def _users_call(case: Case) -> Mismatch | None:
    """A mistake the user's own call on the failing line shows by itself (see _callsite), whatever the model."""
    site = case.site
    if site is None:
        return None
    later = "".join(user_source(case).splitlines(keepends=True)[site.line :])
    return check_line(site.text, case.scope, case.message, _RENAMED_KWARGS, assigned_name(site.file, site.line), later,
                      case.layer)


def _adapted_width(case: Case) -> Mismatch | None:
    """A Normalization adapted on data of one width applied to a tensor of another: it subtracts a mean of
    the adapted width, which fails (at fit, in the backend's words) or broadcasts. The remedy is to adapt it on
    what reaches it, or to apply it before the part that changed the width (where the data still has it)."""
    layer: Any = case.layer
    mean = getattr(layer, "mean", None) if isinstance(layer, keras.layers.Normalization) else None
    t = case.tensor
    if mean is None or t is None or not hasattr(t, "shape") or not getattr(layer, "axis", None):
        return None
    adapted = tuple(int(d) for d in keras.ops.shape(mean))
    got = shape_of(t)
    axis = layer.axis[0] if len(layer.axis) == 1 else None
    if axis is None or not adapted or got[axis] is None or adapted[axis] == got[axis]:
        return None
    name = case.consumer_name(layer.name)
    width, have = adapted[axis], got[axis]
    fix = (f"{layer.name} was adapted on data with {width} values on axis {axis}, and it gets {have} here. Adapt it "
           f"on what reaches it ({case.var(layer)}.adapt(...) on {have}-wide data)")
    swap = _apply_before(case, layer, width, axis)
    fix += f", or apply it where the data still has {width}: {swap}." if swap else "."
    return Mismatch(case.path(name), case.interface(name), f"{width} values on axis {axis} (as adapted)",
                    case.received(), fix)


def _apply_before(case: Case, layer: Any, width: int, axis: int) -> str | None:
    """The user's ``norm(part(x))`` rewritten as ``part(norm(x))`` when ``x`` has the width ``norm`` was
    adapted on."""
    given = call_inputs(layer)
    before = next((t_in for _, _, t_in in producer_chain(given[0])), None) if given and is_symbolic(given[0]) else None
    if before is None or shape_of(before)[axis] != width:
        return None  # the part before norm did not change the width: moving norm would not help
    var = case.var(layer)
    line = case.site.text if case.site is not None else ""
    pattern = rf"\b{re.escape(var)}\(\s*(\w+)\(\s*(\w+)\s*\)\s*\)"
    call = re.search(pattern, line) or re.search(pattern, user_source(case))
    return f"{call.group(1)}({var}({call.group(2)}))" if call else None


def _attention_mask(case: Case) -> Mismatch | None:
    """MultiHeadAttention takes attention_mask as (batch, target steps, source steps). A padding mask of
    the keys, (batch, source steps), needs the target axis: Keras broadcasts (batch, 1, source steps)."""
    frame = next((f for f in reversed(case.frames) if isinstance(f.layer, keras.layers.MultiHeadAttention)), None)
    if frame is None:
        return None
    layer = frame.layer
    node = next((n for n in call_nodes(layer) if n.arguments.kwargs.get("attention_mask") is not None), None)
    node_mask = node.arguments.kwargs["attention_mask"] if node is not None else None
    mask = frame.args.get("attention_mask", node_mask)
    given = [*node.arguments.args, node.arguments.kwargs.get("value")] if node is not None else list(frame.inputs)
    tensors = [t for t in given if t is not None and hasattr(t, "shape")]
    query = tensors[0] if tensors else None
    key = tensors[1] if len(tensors) > 1 else query
    if mask is None or query is None or key is None or len(mask.shape) != 2:
        return None
    t_steps, s_steps = shape_of(query)[1], shape_of(key)[1]
    var = case.var(node_mask) if node_mask is not None else "mask"
    name = case.consumer_name(layer.name)
    expected = f"(batch, {t_steps}, {s_steps}) (batch, target steps, source steps)"
    got = shape_of(mask)
    if got[-1] != s_steps:
        return None
    fix = (f"{layer.name}'s attention_mask must be (batch, target steps, source steps); {var} is {format_shape(got)}, one "
           f"flag per source step. Give it the target axis: attention_mask=keras.ops.expand_dims({var}, 1) (shape "
           f"(batch, 1, {s_steps}), which Keras broadcasts over the {t_steps} target steps).")
    src = producer(node_mask) if node_mask is not None and is_symbolic(node_mask) else None
    feeder = f"input:{src.name}" if src is not None and is_input_layer(src) else getattr(src, "name", var)
    return Mismatch(case.path(name), f"{feeder} -> {layer.name}", expected, format_shape(got), fix)


_CONTRACTION = re.compile(r"MatMul|dot_general|mat1 and mat2|batch2 tensor|BatchMatMul")


def _weight_broadcast(case: Case) -> Mismatch | None:
    """A user's own layer whose weight, combined elementwise with its input, has another size on an axis
    (a positional table built for fewer steps than the data has). Read the constructor call in the user's
    code: when one argument equals the weight's size, it is the one to change."""
    layer = case.layer
    t = case.tensor
    if layer is None or t is None or type(layer).__module__.startswith("keras") or not hasattr(t, "shape"):
        return None
    if _CONTRACTION.search(case.message):
        return None  # a matmul's weight contracts an axis: the contraction rule reads it
    got = shape_of(t)
    inside = {id(w) for _, sub in _walk(layer) for w in getattr(sub, "weights", [])}
    for w in getattr(layer, "weights", []):
        if id(w) in inside:
            continue  # a sublayer's weight meets what that sublayer is given, not this layer's input
        shape = tuple(int(d) for d in w.shape)
        if not shape or len(shape) > len(got):
            continue
        tail = got[len(got) - len(shape):]
        bad = [i for i, (a, b) in enumerate(zip(tail, shape)) if a is not None and a != b and b != 1 and a != 1]
        if len(bad) != 1:
            continue
        i = bad[0]
        have, want = shape[i], tail[i] or 0
        axis = len(got) - len(shape) + i
        name = case.consumer_name(layer.name)
        cls = type(layer).__name__
        fix = (f"{layer.name}'s weight {w.name} is {_tuple(shape)} and meets {case.received()}: axis {axis} is {want} "
               f"in the input and {have} in the weight. Build it for {want}")
        ctor = _constructor_with(case, cls, layer.name, have, want)
        fix += f": {ctor}, keeping your other arguments." if ctor else f", or give it inputs with {have} on axis {axis}."
        return Mismatch(case.path(name), case.interface(name), f"{have} on axis {axis} (weight {w.name} {_tuple(shape)})",
                        case.received(), fix)
    return None


def _constructor_with(case: Case, cls: str, name: str, old: int, new: int, keywords: bool = False) -> str | None:
    """The user's ``cls(...)`` call that made the layer called ``name``, with its one argument equal to
    ``old`` set to ``new`` (positional arguments only, and its keyword arguments where ``keywords``); None
    when that is not one argument."""
    for call in re.finditer(rf"\b{re.escape(cls)}\(([^()]*)\)", user_source(case)):
        args = [a.strip() for a in call.group(1).split(",") if a.strip()]
        if not any(re.fullmatch(rf"name\s*=\s*[\"']{re.escape(name)}[\"']", a) for a in args):
            continue
        positional = [a for a in args if "=" not in a]
        hits = [j for j, a in enumerate(positional) if a == str(old)]
        if len(hits) != 1:
            return None
        positional[hits[0]] = str(new)
        return f"{cls}({', '.join(positional + ([a for a in args if '=' in a] if keywords else []))})"
    return None


def _initial_state_count(case: Case) -> Mismatch | None:
    """An RNN given another number of initial states than its cell keeps. The usual way: a model (or layer)
    built with return_state=True returns [output, *states], and the whole list is passed as initial_state.
    Keras accepts it when the graph is built and fails later (at fit, in the backend's words)."""
    both = _bidirectional_state_count(case)
    if both is not None:
        return both
    rnn = next((f.layer for f in reversed(case.frames) if isinstance(f.layer, keras.layers.RNN)), None)
    if rnn is None:  # the traceback names no RNN (the backend's matmul failed in a compiled step): read the models
        rnns = {id(r): (r, f"{model.name}/{p}") for model in case.models() for p, r in _walk(model)
                if isinstance(r, keras.layers.RNN)}
        return next((m for m in (_initial_state_width(case, r, p) for r, p in rnns.values()) if m is not None), None)
    want = state_count(rnn)
    for node in call_nodes(rnn):
        given = [t for t in keras.tree.flatten(node.arguments.kwargs.get("initial_state")) if hasattr(t, "shape")]
        if want is None or not given or len(given) == want:
            continue
        src = producer(given[0])
        src_name = getattr(src, "name", "?")
        shapes = ", ".join(format_shape(shape_of(t)) for t in given)
        fix = states_fix(rnn, given, src, case.var(src) if src is not None else src_name)
        return Mismatch(case.path(rnn.name), f"{src_name} -> {rnn.name}", f"{want} initial state(s)",
                        f"{len(given)} tensors {shapes}", fix)
    return _initial_state_width(case, rnn)


def _bidirectional_state_count(case: Case) -> Mismatch | None:
    """A Bidirectional RNN splits its initial_state in two halves, one per direction, so it needs twice the
    states its layer keeps. Given one direction's worth (an encoder's [h, c]), the same states can start both
    directions: the user's own list, repeated, when the widths fit."""
    bis = [f.layer for f in reversed(case.frames) if isinstance(f.layer, keras.layers.Bidirectional)]
    bis = bis or [layer for model in case.models() for _, layer in _walk(model) if isinstance(layer, keras.layers.Bidirectional)]
    for bi in dict.fromkeys(bis):
        per_side = state_count(bi.forward_layer)
        for node in call_nodes(bi):
            given = [t for t in keras.tree.flatten(node.arguments.kwargs.get("initial_state")) if hasattr(t, "shape")]
            if per_side is None or not given or len(given) == 2 * per_side:
                continue
            src = producer(given[0])
            src_name = getattr(src, "name", "?")
            listed = _keyword_list(user_source(case), bi.name, "initial_state")
            units = [int(w) for w in keras.tree.flatten(bi.forward_layer.cell.state_size)]
            same = len(given) == per_side and all(t.shape[-1] == w for t, w in zip(given, units))
            if same and listed is not None:
                fix = (f"to start both directions from the same states, repeat them: "
                       f"initial_state=[{', '.join(listed + listed)}].")
            else:
                fix = (f"pass {per_side} state(s) for the forward {type(bi.forward_layer).__name__} then {per_side} "
                       f"for the backward one, each (batch, {units[0]}).")
            shapes = ", ".join(format_shape(shape_of(t)) for t in given)
            return Mismatch(
                _not_inside(case.path(bi.name), bi.name), f"{src_name} -> {bi.name}", f"{2 * per_side} initial states ({per_side} per direction)",
                f"{len(given)} tensors {shapes}",
                f"{bi.name} is a Bidirectional {type(bi.forward_layer).__name__}: it gives the first half of "
                f"initial_state to the forward layer and the second half to the backward one, each of which keeps "
                f"{per_side} state(s), so it needs {2 * per_side} and got {len(given)}; " + fix,
            )
    return None


def _not_inside(path: str, name: str) -> str:
    """``path`` cut after the layer ``name`` (an RNN, not its cell or its forward layer)."""
    return path[: path.index(f"/{name}/") + len(name) + 1] if f"/{name}/" in path else path


def _keyword_list(source: str, layer_name: str, key: str) -> list[str] | None:
    """The texts of the list passed as ``key=[...]`` where the user calls the layer named ``layer_name`` (built
    on the same statement with ``name="..."``), read with ``ast``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Call):
            continue
        named = any(k.arg == "name" and isinstance(k.value, ast.Constant) and k.value.value == layer_name
                    for k in node.func.keywords)
        given = next((k.value for k in node.keywords if k.arg == key), None)
        if named and isinstance(given, (ast.List, ast.Tuple)):
            return [ast.get_source_segment(source, e) or ast.unparse(e) for e in given.elts]
    return None


def _initial_state_width(case: Case, rnn: Any, where: str | None = None) -> Mismatch | None:
    """An RNN given as many initial states as it keeps, but of another width than its units (a decoder wider
    than the encoder whose states start it): Keras accepts the graph and fails at fit, in the backend's words."""
    widths = [int(w) for w in keras.tree.flatten(getattr(rnn.cell, "state_size", None) or [])]
    for node in call_nodes(rnn):
        given = [t for t in keras.tree.flatten(node.arguments.kwargs.get("initial_state")) if hasattr(t, "shape")]
        if len(given) != len(widths) or all(t.shape[-1] == w for t, w in zip(given, widths)):
            continue
        have = {int(t.shape[-1]) for t in given if t.shape[-1] is not None}
        if len(have) != 1:
            return None
        width, units = have.pop(), getattr(rnn, "units", None) or widths[0]
        src = producer(given[0])
        src_name = getattr(src, "name", "?")
        rebuilt = _constructor_with(case, type(rnn).__name__, rnn.name, units, width, keywords=True)
        change = f"build {rnn.name} with {width} units: {rebuilt}" if rebuilt else f"build {rnn.name} with {width} units"
        shapes = ", ".join(format_shape(shape_of(t)) for t in given)
        return Mismatch(
            _not_inside(where or case.path(rnn.name), rnn.name), f"{src_name} -> {rnn.name}", f"states of width {units}", f"{len(given)} states {shapes}",
            f"{rnn.name} is a {type(rnn).__name__} of {units} units, so its initial states must be {units} wide, and "
            f"{src_name} gives {width}-wide states. Make the widths agree: {change} (or give {src_name}'s RNN "
            f"{units} units, or project each state with keras.layers.Dense({units})).",
        )
    return None


def _swapped_inputs(case: Case) -> Mismatch | None:
    """A model of several inputs called with them in another order: the tensors do not fit the declared
    inputs in the order given, but one other order fits every one of them."""
    if _MISSING_KEY.search(case.message):
        return None  # data keyed by other names than the inputs': Keras filled the list in its own order
    for frame in case.frames:
        declared = graph_inputs(frame.layer) if isinstance(frame.layer, keras.Model) else None
        given = [t for t in frame.inputs if hasattr(t, "shape")]
        if frame.kind != "call" or not declared or len(declared) < 2 or len(given) != len(declared):
            continue
        if isinstance(input_struct(frame.layer), dict):
            return None  # a model of named inputs given a list: the dict family says which name is which
        want, got = [shape_of(t) for t in declared], [shape_of(t) for t in given]
        if all(fits(w, g) for w, g in zip(want, got)):
            continue
        orders = [p for p in itertools.permutations(range(len(given)))
                  if all(fits(want[i], got[j]) for i, j in enumerate(p))]
        if len(orders) != 1:
            return None  # no order fits, or several do: not a swap that can be told apart
        model = frame.layer
        # data the user's fit/predict line lists (a symbolic tensor on a line that builds the graph)
        listed = _listed_data(case) if not is_symbolic(given[0]) or _DATA_METHOD.search(
            case.site.text if case.site else "") else None
        if listed is not None and len(listed) == len(given):
            method = re.search(r"\.(\w+)\(\s*\[", case.site.text if case.site else "")
            call = f"{case.var(model)}.{method.group(1) if method else 'fit'}([{', '.join(listed[j] for j in orders[0])}], ...)"
        else:
            call = f"{case.var(model)}([{', '.join(_tensor_var(case, given[j]) for j in orders[0])}])"
        declared_text = ", ".join(f"{getattr(t, 'name', i)} {format_shape(w)}" for i, (t, w) in enumerate(zip(declared, want)))
        fix = (f"{case.var(model)} takes its inputs in the order {declared_text}, and the call passes them in "
               f"another order. Pass them as {call} (or as a dict keyed by its input names, which no order can break).")
        received = " and ".join(format_shape(g) for g in got)
        first = next(j for j, (w, g) in enumerate(zip(want, got)) if not fits(w, g))
        src = producer(given[first]) if is_symbolic(given[first]) else None
        side = (f"input:{src.name}" if src is not None and is_input_layer(src)
                else _side_name(case, given[first]) if src is not None else "data")
        return Mismatch(case.path(model.name), f"{side} -> {model.name}",
                        " and ".join(format_shape(w) for w in want), received, fix)
    return None


_MISSING_KEY = re.compile(r"Missing data for input \"[^\"]+\"\. You passed a data dictionary")
_DATA_METHOD = re.compile(r"\.(?:fit|predict|evaluate|train_on_batch|test_on_batch|predict_on_batch)\(\s*\[")


def _listed_data(case: Case) -> list[str] | None:
    """The variable names in the list literal that the user's failing line passes first (``fit([a, b], y)``)."""
    return first_listed(case.site.text) if case.site is not None else None


def _tensor_var(case: Case, tensor: Any, fallback: str | None = None) -> str:
    """The user's variable that holds ``tensor``, else ``fallback``, else what made it."""
    name = case.var(tensor)
    if case.scope.get(name) is tensor:
        return name
    for var, value in case.scope.items():  # an item of a list or dict the user holds (a model's outputs)
        if not isinstance(value, (list, tuple, dict)) or len(value) > 64:
            continue
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            if item is tensor and not var.startswith("_"):
                return f"{var}[{key!r}]" if isinstance(key, str) else f"{var}[{key}]"
    return fallback or f"<the output of {_side_name(case, tensor)}>"


def _users_own_attribute(case: Case) -> bool:
    """An attribute the user's line asked for that the object lacks (a typo like ``model.fitt``): on torch it
    is raised inside torch's Module.__getattr__, but it is the user's mistake, not an interface's."""
    found = re.search(r"object has no attribute '(\w+)'", case.message)
    text = case.site.text if case.site is not None else ""
    return isinstance(case.exc, AttributeError) and found is not None and f".{found.group(1)}" in text


def _custom_mask_failure(case: Case) -> Mismatch | None:
    """A user's layer whose compute_mask (or call with masks) failed on a mask that is None: a nested
    model's output carries no mask, so a merge of it with a masked branch gets [mask, None]."""
    tb, layer, op = case.exc.__traceback__, None, None
    while tb is not None:
        frame = tb.tb_frame
        this = frame.f_locals.get("self")
        if is_user_file(frame.f_code.co_filename) and isinstance(this, keras.layers.Layer) and "mask" in frame.f_locals:
            layer = this
        elif isinstance(this, keras.Operation) and not isinstance(this, keras.layers.Layer):
            op = this  # a keras.ops call recorded in a functional graph (a compute_mask's logical_and)
        tb = tb.tb_next
    if layer is None and op is not None:
        layer = _mask_maker(case, op)
    if layer is None:
        return None
    given = call_inputs(layer)
    if not given:
        return None
    unmasked = [t for t in given if mask_of(t) is None]
    masked = [t for t in given if mask_of(t) is not None]
    if not unmasked or not masked:
        return None
    side = producer(unmasked[0])
    side_name = getattr(side, "name", "?")
    top = case.fitted_model() or next(iter(sorted(case.models(), key=lambda m: -len(_walk(m)))), None)
    path = find_layer(top, layer) if top is not None else None
    nested = " (a nested model's output carries no mask)" if isinstance(side, keras.Model) else ""
    return Mismatch(
        path or layer.name, f"{side_name} -> {layer.name}", "a mask for every input", f"mask None from {side_name}{nested}",
        f"{layer.name}.{_failing_method(case.exc, layer)} gets mask=[..., None]: the input from {side_name} has no mask"
        f"{nested}. Handle a missing mask (`if m is None`: treat it as all-true, or return the other mask), or "
        f"compute the mask yourself from the ids, e.g. keras.ops.not_equal(ids, 0).",
    )


def _mask_maker(case: Case, op: Any) -> Any:
    """The layer whose output mask is computed by the recorded op ``op`` (its compute_mask made it)."""
    for model in case.models():
        for _, layer in _walk(model):
            for node in call_nodes(layer):
                for out in node.output_tensors:
                    mask = mask_of(out)
                    if mask is not None and producer(mask) is op:
                        return layer
    return None


def _failing_method(exc: BaseException, layer: Any) -> str:
    tb, name = exc.__traceback__, "compute_mask"
    while tb is not None:
        if tb.tb_frame.f_locals.get("self") is layer:
            name = tb.tb_frame.f_code.co_name
        tb = tb.tb_next
    return f"{name}()"


_BACKEND_PACKAGES = ("keras", "tensorflow", "tf_keras", "jax", "jaxlib", "torch", "optree", "ml_dtypes")


def _raised_inside_keras(exc: BaseException) -> bool:
    """Whether the exception came out of Keras or its backend (not out of the user's own code, nor out of
    another library the user called, as ``np.load`` of a missing file)."""
    tb, files = exc.__traceback__, []
    while tb is not None:
        files.append(tb.tb_frame.f_code.co_filename)
        tb = tb.tb_next
    if not files or is_user_file(files[-1]) or "kernest" in files[-1].rsplit("/", 2)[-2:][0]:
        return False
    last_user = max((i for i, f in enumerate(files) if is_user_file(f)), default=-1)
    below = [f.replace(os.sep, "/") for f in files[last_user + 1:]]
    return any(f"/{pkg}/" in f for f in below for pkg in _BACKEND_PACKAGES)


def _generic_run(case: Case) -> Mismatch:
    """A failure while a model trains or predicts, with no layer to blame: compare the data with the
    model's declared inputs and outputs, and give Keras' reason."""
    model = case.fitted_model() or next(iter(sorted(case.models(), key=lambda m: -len(_walk(m)))), None)
    name = getattr(model, "name", "model")
    reason = first_line(case.message).rstrip(".") or type(case.exc).__name__
    expected = _expected_from_layer(model) if model is not None else "?"
    data = _call_data(case)
    received = " and ".join(format_shape((None, *shape_of(a)[1:])) + f" {a.dtype}" for a in data) or "?"
    return Mismatch(
        name, f"data -> {name}", expected, received,
        f"Keras stopped while running {name}: {reason}. Compare the data passed on this line with what {name} "
        f"takes ({expected}) and gives; kernest.summary({case.var(model) if model is not None else 'model'}) "
        "shows every shape.",
    )


def _call_data(case: Case) -> list[Any]:
    """The arrays named as arguments on the user's failing line (``model.fit(x, y)`` -> x, y)."""
    found: list[Any] = []
    for _, value in _named_arrays(case):
        if all(value is not f for f in found):
            found.append(value)
    return found[:4]


def _context(case: Case) -> str:
    """Where the user's code failed (``model.py:12``); the Keras exception type only when no line is known."""
    site = case.site
    if site is None:
        return f"Keras raised {type(case.exc).__name__}"
    return f"{site.file.rsplit('/', 1)[-1]}:{site.line}"
