"""Silent problems: nested models that build and train without an error but do the wrong thing.

Each rule looks at a built model (and every model nested in it) and returns ``Finding`` records with
the nested path, the interface, what is wrong and the fix. ``check`` reports them as warnings;
``kernest check --strict`` exits 1 on them.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import keras

from kernest._axes import format_shape
from kernest._callsite import snake_case
from kernest._errors import Mismatch
from kernest._graph import (
    call_inputs,
    calls,
    children,
    find_layer,
    input_keys,
    is_input_layer,
    producer,
    producer_chain,
    root_inputs,
    walk,
)
from kernest._lint_portable import portability_findings


@dataclass(frozen=True)
class Finding:
    path: str
    interface: str
    problem: str
    fix: str
    # A finding that is no mere risk: fit will stop on it at a later epoch than ``check``'s one-step run reaches.
    # ``check`` raises it as an error, with what Keras will be given (``received``) against what it takes.
    fails: bool = False
    expected: str = ""
    received: str = ""

    def __str__(self) -> str:
        return f"{self.path}: {self.interface}: {self.problem} Fix: {self.fix}"

    def as_mismatch(self) -> Mismatch:
        return Mismatch(self.path, self.interface, self.expected, self.received,
                        f"{self.problem} {self.fix[:1].upper()}{self.fix[1:]}")


def lint(model: Any, data: Any = None) -> list[Finding]:
    """Every silent problem found in ``model``, in a stable order. ``data``: sample arrays the model is
    fed (a script's arrays), which the data rules compare with the inputs they would reach. Rules that run a
    user's layer on a sample leave the model as they found it (sublayers Keras left unbuilt stay unbuilt)."""
    if not isinstance(model, keras.Model):
        return []
    from kernest._asfound import as_found

    with as_found(model):
        return _lint(model, data)


def _lint(model: Any, data: Any) -> list[Finding]:
    found: list[Finding] = []
    for rule in (_trainable_after_compile, _frozen_but_compiled_alone, _batchnorm_in_frozen, _mask_dropped,
                 _loss_list_short, _softmax_over_one, _probabilities_as_logits, _initial_states_miscounted,
                 _initial_states_of_another_width,
                 _training_fixed, _sigmoids_with_categorical_loss, _mask_ignored_by_users_layer, _dropout_twice,
                 _randomness_ignores_training, _reduced_over_batch, _logits_as_probabilities, _monitor_not_logged,
                 _softmax_with_binary_loss, _categorical_loss_over_one_unit, _accuracy_on_regression, metric_reads_other_labels,
                 _exact_accuracy_on_probabilities,
                 _batchnorm_across_channels_first, _layers_made_in_call, _computed_floats_into_embedding):
        found.extend(rule(model))
    given = data if data is not None else getattr(model, "_kernest_data", None)
    if given is not None:
        per_input = _per_input(model, given)
        found.extend(_data_into_embedding(model, per_input))
        found.extend(_scaled_twice(model, per_input))
    found.extend(_labels_outside_classes(model, getattr(model, "_kernest_labels", None)))
    found.extend(_several_classes_per_row(model, getattr(model, "_kernest_labels", None)))
    found.extend(_labels_outside_probabilities(model, getattr(model, "_kernest_labels", None)))
    found.extend(_fractional_class_ids(model, getattr(model, "_kernest_labels", None)))
    found.extend(_never_adapted(model))
    found.extend(_steps_kept_for_labels(model, getattr(model, "_kernest_labels", None)))
    found.extend(_validation_split_of_sorted_labels(model))
    found.extend(_steps_past_the_data(model))
    found.extend(_no_epoch_runs(model))
    found.extend(_rate_set_on_a_schedule(model))
    found.extend(_schedule_not_a_float(model))
    found.extend(_float16_output(model))
    found.extend(_step_between_layers(model))
    found.extend(_inplace_in_call(model))
    found.extend(_numpy_in_lambda(model))
    found.extend(portability_findings(model))
    found.extend(_output_shape_declared_wrong(model))
    found.extend(_inputs_read_by_nothing(model))
    found.extend(_merged_along_the_batch(model))
    found.extend(_softmax_across_another_axis(model))
    found.extend(_dropped_in_call(model))
    found.extend(_training_fixed_in_call(model))
    found.extend(_nothing_to_train(model))
    found.extend(_setup_findings(model))
    found.extend(_order_findings(model))
    found.extend(_values_findings(model))
    found.extend(_wiring_findings(model))
    found.extend(_boundary_findings(model))
    found.extend(_protocol_findings(model))
    found.extend(_silent_findings(model, given))
    found.extend(_constants_from_weights(model))
    found.extend(_sparse_loss_over_a_map(model))
    return found


def _per_input(model: Any, data: Any) -> list[Any]:
    """``data`` (an array, a list in input order, or a dict by input name) as one array per model input."""
    import numpy as np

    inputs = list(getattr(model, "inputs", None) or [])
    if isinstance(data, keras.utils.PyDataset) or inspect.isgenerator(data) or hasattr(data, "element_spec"):
        return []  # batches made while training, not arrays to compare here
    if isinstance(data, dict):
        keys = input_keys(model) or [getattr(t, "name", "") for t in inputs]
        return [np.asarray(data[k]) if k in data else None for k in keys]
    if isinstance(data, (list, tuple)):
        return [np.asarray(d) if d is not None else None for d in data][: len(inputs)]
    return [np.asarray(data)] if len(inputs) == 1 else []


def _models(model: Any) -> list[tuple[str, Any]]:
    """``model`` and every model nested in it at any depth (inside wrappers too), with paths; the root has
    path ''."""
    return [("", model)] + [(e.path, e.layer) for e in walk(model, shapes=False) if isinstance(e.layer, keras.Model)]


def _is_compiled(model: Any) -> bool:
    return getattr(model, "optimizer", None) is not None and bool(getattr(model, "compiled", False))


def _optimizer_variables(model: Any) -> list[Any] | None:
    """The variables ``model``'s optimizer was built for (its first training step builds it); ``None``
    before that. Keras keeps them in a private attribute, read only here."""
    optimizer = model.optimizer
    return getattr(optimizer, "_trainable_variables", None) if getattr(optimizer, "built", False) else None


# --- trainable changed after compile -----------------------------------------------------------------------

def _trainable_after_compile(model: Any) -> list[Finding]:
    # Only the model being checked: a nested model toggled between its own training and its parent's
    # (a GAN's discriminator) is the next rule's business.
    out = []
    for path, sub in [("", model)]:
        if not _is_compiled(sub):
            continue
        now = [id(v) for v in sub.trainable_variables]
        compiled_with = getattr(sub, "_kernest_compiled_with", None)
        built_with = _optimizer_variables(sub)
        # the optimizer's own variables once a step built it: what training really updates. A subclassed model
        # compiled half-built (one part built, the other built by fit) had fewer variables at compile than its
        # optimizer was built with, and nothing changed.
        before = [id(v) for v in built_with] if built_with is not None else compiled_with
        if before is None or sorted(before) == sorted(now):
            continue
        if compiled_with is not None and built_with is None and getattr(sub, "train_function", None) is None:
            continue  # not trained yet: Keras reads trainable when fit first runs, so the change still counts
        part, frozen = changed_part(sub, set(before) ^ set(now), len(now) < len(before))
        var = user_name(sub)
        verb = "freeze" if frozen else "unfreeze"
        out.append(Finding(
            f"{path}/{part}" if path and part else part or path or sub.name, f"{var} -> optimizer",
            f"{part or sub.name} was {'frozen' if frozen else 'unfrozen'} after {sub.name} was compiled and trained "
            f"({len(before)} trainable variables then, {len(now)} now); TensorFlow keeps training the old set, "
            "JAX and PyTorch fail.",
            f'kernest.{verb}({var}, "{part or "**"}", recompile=True) sets the flag and compiles again with the '
            f"same optimizer settings, loss and metrics (or call {var}.compile(...) after changing trainable).",
        ))
    return out


def changed_part(model: Any, changed: set[int], frozen: bool) -> tuple[str, bool]:
    """The path of the submodel (or layer) that holds the variables whose trainable flag changed."""
    for step, sub in children(model):
        if changed and changed <= {id(v) for v in sub.weights}:
            return step, frozen
    return "", frozen


def user_name(model: Any) -> str:
    """The variable the user's script holds the model in (``kernest check SCRIPT`` records it), else its name."""
    return str(getattr(model, "_kernest_var", None) or model.name)


# --- a model frozen for its parent but compiled to train on its own ------------------------------------

def _frozen_but_compiled_alone(model: Any) -> list[Finding]:
    if not _is_compiled(model):
        return []
    out = []
    for path, sub in _models(model):
        if not path or not _is_compiled(sub) or not sub.weights:
            continue
        trained = getattr(sub, "train_function", None) is not None
        built = _optimizer_variables(sub)
        if trained and built:
            continue  # its own training step did update weights
        if not trained and sub.trainable:
            continue
        out.append(Finding(
            path, f"{model.name} -> {sub.name}",
            f"{sub.name} is frozen (trainable=False) so that {model.name} trains only the rest, but {sub.name} is "
            f"also compiled to train on its own. Keras 3 reads trainable when a training step is first built, "
            f"not at compile time, so {sub.name}'s own fit/train_on_batch updates nothing while it stays frozen.",
            f"set {sub.name}.trainable = True before training {sub.name} and {sub.name}.trainable = False before "
            f"training {model.name}, then compile each again (or use kernest.freeze(..., recompile=True)).",
        ))
    return out


# --- BatchNormalization left trainable in a frozen model -----------------------------------------------------

def _batchnorm_in_frozen(model: Any) -> list[Finding]:
    out = []
    for path, sub in _models(model):
        if not path:
            continue
        layers = [(p, layer) for p, layer in _leaves(sub) if layer.weights]
        frozen = [p for p, layer in layers if not layer.trainable and not _is_bn(layer)]
        live_bn = [p for p, layer in layers if layer.trainable and _is_bn(layer)]
        trainable_rest = [p for p, layer in layers if layer.trainable and not _is_bn(layer)]
        if frozen and live_bn and not trainable_rest:
            bn = f"{path}/{live_bn[0]}"
            var = user_name(model)
            calls_ = "; ".join(f'kernest.freeze({var}, "{path}/{p}")' for p in live_bn)
            out.append(Finding(
                bn, f"{model.name} -> {sub.name}",
                f"every layer of {sub.name} is frozen except its BatchNormalization layers ({', '.join(live_bn)}), "
                "which stay in training mode: their moving mean and variance keep changing when the model trains "
                "(calling it with training=False does not stop that inside fit).",
                f"freeze them too: {calls_}. A frozen BatchNormalization runs in inference mode.",
            ))
    out.extend(_frozen_input_layer(model))
    return out


def _frozen_input_layer(model: Any) -> list[Finding]:
    """``m.layers[0].trainable = False`` meant for the backbone or the first layer, in ``model`` or a model nested
    in it: in a functional model layers[0] is the InputLayer, so nothing is frozen and the part keeps training."""
    out = []
    top = user_name(model)
    for path, m in _models(model):
        first = m.layers[0] if getattr(m, "layers", None) else None
        if not isinstance(first, keras.layers.InputLayer) or first.trainable:
            continue
        if any(layer.weights and not layer.trainable for layer in m.layers[1:]):
            continue  # a loop that froze the first layers, the InputLayer among them: something is frozen
        var = user_name(m)
        subs = [(step, sub) for step, sub in children(m) if isinstance(sub, keras.Model) and sub.trainable]
        if subs:
            step, sub = subs[0]
            bn = next((p for p, layer in _leaves(sub) if _is_bn(layer)), None)
            where = "/".join(p for p in (path, step) if p)
            out.append(Finding(
                f"{where}/{bn}" if bn else where, f"{m.name} -> {sub.name}",
                f"{var}.layers[0] is the InputLayer {first.name!r}, which has no weights: setting its trainable to "
                f"False froze nothing, and {sub.name} still trains"
                + (f" (its BatchNormalization {bn} keeps updating its statistics)." if bn else "."),
                f'freeze the part by its path: kernest.freeze({top}, "{where}"), or {sub.name}.trainable = False, '
                "then compile again.",
            ))
            continue
        weighted = [layer for layer in m.layers[1:] if layer.weights]
        if not weighted:
            continue
        after = weighted[0]
        where = "/".join(p for p in (path, str(after.name)) if p)
        out.append(Finding(
            where, f"{first.name} -> {after.name}",
            f"{var}.layers[0] is the InputLayer {first.name!r}, which has no weights: setting its trainable to False "
            f"froze nothing, and {after.name}, the first layer with weights, still trains "
            f"({len(m.trainable_weights)} trainable weights in {m.name}).",
            f'freeze the layer by name: {var}.get_layer("{after.name}").trainable = False (or '
            f'kernest.freeze({top}, "{where}")), or all of {m.name}: {var}.trainable = False; then compile again.',
        ))
    return out


def _is_bn(layer: Any) -> bool:
    return isinstance(layer, (keras.layers.BatchNormalization,))


def _leaves(layer: Any) -> list[tuple[str, Any]]:
    """The layers inside ``layer`` that hold no others, with paths; a Bidirectional counts as one."""
    def whole(e: Any) -> bool:
        return isinstance(e.layer, keras.layers.Bidirectional)

    return [(e.path, e.layer) for e in walk(layer, shapes=False)
            if (not e.children or whole(e)) and not any(whole(a) for a in e.chain()[:-1])]


# --- a mask dropped between where it is made and where it is needed ------------------------------------------

_MASK_USERS = (keras.layers.RNN, keras.layers.LSTM, keras.layers.GRU, keras.layers.SimpleRNN,
               keras.layers.Bidirectional, keras.layers.MultiHeadAttention, keras.layers.Attention)


def _calls_to(model: Any, types: tuple[type, ...]) -> Iterator[tuple[str, Any, Any]]:
    """``(model path, call, its first data input)`` for every call of a layer of ``types`` in ``model``
    and in the models nested in it."""
    for path, sub in _models(model):
        for call in calls(sub):
            given = call.data_inputs
            if isinstance(call.layer, types) and given:
                yield path, call, given[0]


def _mask_dropped(model: Any) -> list[Finding]:
    out = []
    seen: set[int] = set()
    for path, call, x in _calls_to(model, _MASK_USERS):
        layer = call.layer
        if id(layer) in seen or call.kwargs.get("mask") is not None:
            continue  # reported already, or the mask is passed explicitly
        dropper = None
        for up, up_path, _ in producer_chain(x):
            if isinstance(up, keras.Model):
                continue
            if _makes_mask(up):
                if dropper is not None:
                    seen.add(id(layer))
                    roots = root_inputs(x)
                    ids = getattr(producer(roots[0]), "name", "ids") if roots else "ids"
                    out.append(_mask_finding(model, path, layer, up, up_path, dropper, ids))
                break
            if not getattr(up, "supports_masking", False) and dropper is None:
                dropper = (up, up_path)
    return out


def _makes_mask(layer: Any) -> bool:
    return (isinstance(layer, keras.layers.Embedding) and bool(layer.mask_zero)) or isinstance(layer, keras.layers.Masking)


def _mask_finding(
    model: Any, path: str, user: Any, source: Any, source_path: str, dropper: tuple[Any, str], ids: str
) -> Finding:
    drop_layer, drop_rel = dropper
    where = f"{path}/{drop_rel}" if path else drop_rel
    full = find_layer(model, drop_layer) or where
    user_path = find_layer(model, user) or user.name
    src_path = find_layer(model, source) or source.name
    return Finding(
        full, f"{src_path.rsplit('/', 1)[0] if '/' in src_path else src_path} -> {user_path.split('/')[0]}",
        f"{src_path} makes a padding mask (mask_zero=True), but {full} ({type(drop_layer).__name__}) does not support "
        f"masking and drops it, so {user_path} reads the padding as data.",
        f"pass the mask on explicitly, computed from the ids: {user.name}(x, mask=keras.ops.not_equal({ids}, 0)); "
        f"or use a layer that keeps masks in place of {drop_layer.name}.",
    )


# --- float features into an Embedding (it casts them to ids) ---------------------------------------------------

def _data_into_embedding(model: Any, data: list[Any]) -> list[Finding]:
    """Embeddings whose data holds fractions, which the Embedding truncates to ids, or ids past
    ``input_dim`` (JAX clamps them silently). ``data`` holds one array per model input."""
    import numpy as np

    out = []
    seen: set[int] = set()
    for _, call, x in _calls_to(model, (keras.layers.Embedding,)):
        layer = call.layer
        if id(layer) in seen:
            continue
        if any(not isinstance(up, keras.Model) for up, _, _ in producer_chain(x)):
            continue  # a layer (a Discretization, a lookup) transforms the values first
        fed = [data[i] for i in _feeding(model, layer) or [] if i < len(data) and data[i] is not None]
        fed = [a for a in fed if a.dtype.kind in "iuf" and a.size]
        if not fed:
            continue
        seen.add(id(layer))
        full = find_layer(model, layer) or layer.name
        n = layer.input_dim
        fractional = [a for a in fed if a.dtype.kind == "f" and np.any(a != np.round(a))]
        too_big = max((int(a.max()) for a in fed), default=0)
        if fractional:
            out.append(Finding(
                full, f"data -> {layer.name}",
                f"{full} (Embedding, input_dim={n}) is fed fractional values (e.g. {float(fractional[0].flat[0]):.3g}); "
                "it casts them to integer ids, so values in [0, 1) all become id 0 and the rest are truncated.",
                f"bucketize the values first: keras.layers.Discretization(num_bins={n}) (adapt() it on the "
                f"training values) before {layer.name}, or keras.layers.IntegerLookup for integer categories.",
            ))
        elif too_big >= n:
            out.append(Finding(
                full, f"data -> {layer.name}",
                f"{full} (Embedding, input_dim={n}) is fed ids up to {too_big}; TensorFlow and PyTorch fail on "
                "them and JAX silently clamps them to the last row.",
                f"build it with input_dim={too_big + 1} (keras.layers.Embedding({too_big + 1}, {layer.output_dim})), "
                "or map unknown ids to an out-of-vocabulary id with keras.layers.IntegerLookup.",
            ))
    return out


# --- an Embedding fed the float output of a layer with weights ---------------------------------------------------

def _computed_floats_into_embedding(model: Any) -> list[Finding]:
    """An Embedding whose input is computed by a layer with weights (a Dense, a convolution), at any depth:
    Keras casts the floats to ids, so the lookup is arbitrary and no gradient reaches that layer. Nothing
    fails. Values that reach it through an integer tensor (an argmax, a lookup layer) are ids and fine."""
    out = []
    subs = dict(_models(model))
    for path, call, x in _calls_to(model, (keras.layers.Embedding,)):
        made = _float_maker(subs, path, x, str(call.layer.name))
        if made is None:
            continue
        layer, src_path, fed, consumer = made
        ids = tuple(x.shape[1:])
        full = find_layer(model, call.layer) or call.layer.name
        shape = tuple(fed.shape[1:])
        out.append(Finding(
            full, f"{layer.name} -> {consumer}",
            f"{full} (Embedding, input_dim={call.layer.input_dim}) is fed the float output of {src_path} "
            f"({type(layer).__name__}), not integer ids: it casts the values to ids, so the rows it looks up are "
            f"arbitrary and no gradient reaches {layer.name}. Nothing fails; {layer.name} never learns.",
            f"feed the Embedding the integer ids themselves (keras.Input(shape={ids}, dtype=\"int32\"), "
            f"not {layer.name}'s output); or, to map {layer.name}'s {shape[-1] if shape else ''} features on, use "
            f"keras.layers.Dense({call.layer.output_dim}) in place of {call.layer.name}.",
        ))
    return out


# weightless layers that move or scale values but never make ids of them
_KEEPS_VALUES = (keras.layers.Reshape, keras.layers.Flatten, keras.layers.Permute, keras.layers.RepeatVector,
                 keras.layers.Activation, keras.layers.Dropout, keras.layers.GaussianNoise, keras.layers.ReLU,
                 keras.layers.LeakyReLU, keras.layers.ELU, keras.layers.Identity)


def _float_maker(subs: dict[str, Any], path: str, x: Any, consumer: str) -> tuple[Any, str, Any, str] | None:
    """The nearest layer with weights that computed the float tensor ``x`` (of the model at ``path``, read by
    ``consumer``), going back through weightless layers and out through nested models' inputs: that layer,
    its path, the tensor it gave and what reads it at its level (the nested model it feeds); None where an
    integer tensor, the data or a nested model's output comes first."""
    t = x
    for _ in range(64):  # a long chain of weightless layers is given up on
        if "float" not in str(getattr(t, "dtype", "")):
            return None
        src = producer(t)
        if src is None or isinstance(src, keras.Model):
            return None
        if not is_input_layer(src):
            if src.weights:
                return src, "/".join(p for p in (path, src.name) if p), t, consumer
            if not isinstance(src, _KEEPS_VALUES):
                return None  # a Lambda, a lookup or the user's own layer may well give ids
            given = [c.data_inputs for c in calls(subs[path]) if c.layer is src and any(o is t for o in c.outputs)]
            if not given or len(given[0]) != 1:
                return None
            t = given[0][0]
            continue
        if not path:
            return None  # the outermost model's input: data, which the data rules read
        index = next((i for i, inp in enumerate(getattr(subs.get(path), "inputs", None) or []) if inp is t), None)
        up = _fed_from_parent(subs, path, index) if index is not None else None
        if up is None or up[0] is None:
            return None
        t, path, consumer = up
    return None


def _fed_from_parent(subs: dict[str, Any], path: str, index: int) -> tuple[Any, str, str] | None:
    """Out of the nested model at ``path`` to the model holding it (past wrappers' own levels): the tensor that
    model gives its ``index``-th input (None where no call of it gives one), the holder's path and the layer that
    takes the tensor there (the nested model or its wrapper). None where the holder is not among ``subs``."""
    parent_path = path
    while parent_path and (parent_path == path or parent_path not in subs):
        parent_path = parent_path.rsplit("/", 1)[0] if "/" in parent_path else ""
    sub, parent = subs.get(path), subs.get(parent_path)
    if sub is None or parent is None:
        return None
    feeding = [c for c in calls(parent) if (c.layer.layer if isinstance(c.layer, keras.layers.Wrapper) else c.layer)
               is sub]
    if not feeding or index >= len(feeding[0].data_inputs):
        return None, parent_path, ""
    return feeding[0].data_inputs[index], parent_path, str(feeding[0].layer.name)


# --- data scaled by the script and again by the model's own Rescaling ---------------------------------------

def _scaled_twice(model: Any, data: list[Any]) -> list[Finding]:
    """A ``Rescaling`` with a scale below 1 that is the first thing an input meets (no layer with weights
    before it, at any depth), fed data that already lies in [0, 1]: the values are scaled twice (pixels divided
    by 255 in the script and again by the model) and the network sees a sliver of its intended range."""
    import numpy as np

    out = []
    for path, call, x in _calls_to(model, (keras.layers.Rescaling,)):
        layer = call.layer
        scale = np.asarray(layer.scale, dtype="float64")
        if not scale.size or float(np.max(np.abs(scale))) >= 1 or _weights_before(model, path, x):
            continue
        fed = [data[i] for i in _feeding(model, layer) or [] if i < len(data) and data[i] is not None]
        fed = [a for a in fed if a.dtype.kind == "f" and a.size and float(a.min()) >= 0 and 0 < float(a.max()) <= 1]
        if not fed:
            continue
        full = find_layer(model, layer) or layer.name
        var = getattr(model, "_kernest_data_var", None)
        made = _assignment(getattr(model, "_kernest_script", None), var) if var else None
        scaled = "the data" if var is None else f"`{var}`"
        if made is not None and isinstance(made, ast.BinOp) and isinstance(made.op, (ast.Div, ast.Mult)):
            where = f"{scaled} is already scaled in your script (`{var} = {ast.unparse(made)}`)"
            fix = (f"give the model the unscaled values, fit({ast.unparse(made.left)}, ...), and let {full} scale "
                   f"them once (or drop {layer.name} and keep the script's division).")
        else:
            where = f"{scaled} already lies in [0, 1]"
            fix = (f"give the model the unscaled values (e.g. 0-255 pixels) and let {full} scale them once, "
                   f"or drop {layer.name} if the data is meant to arrive scaled.")
        low, top = float(np.min(layer.offset)), float(scale.flat[0]) + float(np.max(layer.offset))
        out.append(Finding(
            full, f"data -> {layer.name}",
            f"{where}, and {full} (Rescaling(scale={float(scale.flat[0]):.4g}, offset={layer.offset})) scales it "
            f"again before any layer learns from it: the network sees values in [{low:.3g}, {top:.3g}] instead of "
            "the range it was built for. Nothing fails; it learns on nearly constant inputs.",
            fix,
        ))
    return out


def _weights_before(model: Any, path: str, x: Any) -> bool:
    """Whether a layer with weights comes before the tensor ``x`` of the model at ``path`` (in ``model``), at
    that model's level and at every level above it, back to the model's inputs."""
    def weighted(t: Any) -> bool:
        return any(up.weights for up, _, _ in producer_chain(t) if not isinstance(up, keras.Model))

    if weighted(x):
        return True
    subs = dict(_models(model))
    while path:
        up = _fed_from_parent(subs, path, 0)
        if up is None:
            return True  # a level not reached: do not guess
        if up[0] is None or weighted(up[0]):
            return up[0] is not None
        path = up[1]
    return False


def _parsed_script(script: str | None) -> tuple[str, ast.Module] | None:
    """The user's script (its path as ``kernest check`` recorded it): its source and syntax tree."""
    if not script:
        return None
    try:
        with open(script, encoding="utf-8") as f:
            source = f.read()
        return source, ast.parse(source)
    except (OSError, SyntaxError, ValueError):
        return None


def _assignment(script: str | None, var: str) -> ast.expr | None:
    """The value last assigned to ``var`` at the top level of the user's script, read with ``ast``."""
    parsed = _parsed_script(script)
    if parsed is None:
        return None
    found = None
    for node in parsed[1].body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == var for t in node.targets):
            found = node.value
    return found


def _feeding(model: Any, target: Any) -> list[int] | None:
    """Indices of ``model``'s inputs that ``target``'s first input is computed from, at any depth."""
    def indices(tensors: Any) -> list[int]:
        found = []
        for t in tensors:
            for root in root_inputs(t):
                found += [i for i, x in enumerate(model.inputs) if x is root and i not in found]
        return found

    for call in calls(model):
        given = call.data_inputs
        if call.layer is target and given:
            return indices(given[:1])
        inner = call.layer.layer if isinstance(call.layer, keras.layers.Wrapper) else call.layer
        if isinstance(inner, keras.Model) and getattr(inner, "inputs", None):
            below = _feeding(inner, target)
            if below is not None:
                return indices([given[i] for i in below if i < len(given)])
    return None


# --- a loss list shorter than the outputs ------------------------------------------------------------------

def _loss_list_short(model: Any) -> list[Finding]:
    """Keras 3 pairs a loss list with the outputs in order and trains the outputs left over with no loss
    (Keras 2 refused such a list); their heads then get no gradient at all."""
    loss, names = getattr(model, "loss", None), list(getattr(model, "output_names", None) or [])
    if not _is_compiled(model) or not isinstance(loss, (list, tuple)) or not len(loss) < len(names):
        return []
    given = [f'"{n}": "{fn}"' if isinstance(fn, str) else f'"{n}": {type(fn).__name__}()' for n, fn in zip(names, loss)]
    missing = names[len(loss):]
    entries = ", ".join(given + [f'"{n}": <a loss>' for n in missing])
    return [Finding(
        f"{model.name}/{missing[0]}", f"{missing[0]} -> loss",
        f"{model.name} has {len(names)} outputs ({', '.join(names)}) but compile got a list of {len(loss)} losses: "
        f"Keras pairs them in order and trains {', '.join(missing)} with no loss, so its weights never change.",
        f"give every output a loss, keyed by output name: loss={{{entries}}} (or drop the output).",
    )]



# --- a training flag fixed in the graph ------------------------------------------------------------------

_TRAINING_ONLY = (keras.layers.Dropout, keras.layers.SpatialDropout1D, keras.layers.SpatialDropout2D,
                  keras.layers.SpatialDropout3D, keras.layers.GaussianNoise, keras.layers.GaussianDropout,
                  keras.layers.AlphaDropout, keras.layers.BatchNormalization)


def _training_fixed(model: Any) -> list[Finding]:
    """``backbone(x, training=True)`` while building a functional model: the flag is stored in the graph,
    so predict and evaluate run the part in training mode too (Dropout keeps dropping, BatchNormalization
    normalises by the batch and moves its statistics). Keras sets the flag itself when it is left out."""
    out = []
    for path, sub in _models(model):
        for call in calls(sub):
            flag = call.kwargs.get("training")
            if flag is not True:
                continue
            layer = call.layer
            inner = [leaf for _, leaf in _leaves(layer)] if isinstance(layer, keras.Model) else [layer]
            affected = [x.name for x in inner if isinstance(x, _TRAINING_ONLY)]
            if not affected:
                continue
            src = producer(call.data_inputs[0]) if call.data_inputs else None
            given = getattr(src, "name", "x")
            side = f"input:{given}" if is_input_layer(src) else given
            where = f"{path}/{layer.name}" if path else layer.name
            out.append(Finding(
                where, f"{side} -> {layer.name}",
                f"{layer.name} is called with training=True when the model is built, so the flag is part of the "
                f"graph: predict and evaluate also run {', '.join(affected)} in training mode, and the same input "
                "gives different predictions.",
                f"call it without the flag, {layer.name}({given}): Keras passes training=True in fit and False in "
                "predict by itself (keep training=True only if you want Monte Carlo dropout at predict).",
            ))
    return out


# --- softmax over an axis of size 1 ------------------------------------------------------------------------

def _softmax_axis(layer: Any) -> int | None:
    """The axis a layer applies softmax over: a ``Softmax`` layer's axis, or -1 for ``activation="softmax"``."""
    if isinstance(layer, keras.layers.Softmax):
        axis = layer.axis
        return axis if isinstance(axis, int) else None
    activation = getattr(layer, "activation", None)
    return -1 if activation is keras.activations.softmax else None


def _entry_name(model: Any, top: str, fallback: Any) -> str:
    """What feeds the top-level part ``top`` of ``model``: the producer of its first input, at that level."""
    for call in calls(model):
        if call.layer.name == top and call.data_inputs:
            src = producer(call.data_inputs[0])
            name = getattr(src, "name", None)
            if src is not None and is_input_layer(src):
                return f"input:{name}"
            return str(name) if name else str(fallback)
    return str(fallback)


def _softmax_over_one(model: Any) -> list[Finding]:
    """Softmax normalises over its axis, so over an axis of size 1 it outputs 1.0 whatever the input: the
    layer (often a binary head, Dense(1, activation="softmax")) never changes and never learns."""
    out = []
    for path, sub in _models(model):
        for call in calls(sub):
            axis = _softmax_axis(call.layer)
            if axis is None or not call.outputs:
                continue
            shape = tuple(call.outputs[0].shape)
            if not shape or len(shape) <= abs(axis) or shape[axis] != 1:
                continue
            full = f"{path}/{call.layer.name}" if path else call.layer.name
            top = full.split("/")[0]
            feeder = _entry_name(model, top, "input")
            dense = isinstance(call.layer, keras.layers.Dense)
            fix = ('build it with activation="sigmoid" (one probability per unit, for a yes/no output), or give it '
                   "one unit per class and keep softmax" if dense else
                   "apply softmax over an axis with more than one entry, or use keras.activations.sigmoid")
            out.append(Finding(
                full, f"{feeder} -> {top}",
                f"{full} applies softmax over an axis of size 1 (output {tuple(shape)}): softmax over one entry is "
                "always 1.0, so this output never depends on its input and its weights get no gradient.",
                fix + ".",
            ))
    return out


# --- a loss told its input is logits, given probabilities ---------------------------------------------------

_SQUASHING = {"softmax": keras.activations.softmax, "sigmoid": keras.activations.sigmoid}


def _squashing(layer: Any) -> str | None:
    """'softmax' or 'sigmoid' when the layer's output is already probabilities."""
    if isinstance(layer, keras.layers.Softmax):
        return "softmax"
    activation = getattr(layer, "activation", None)
    return next((name for name, fn in _SQUASHING.items() if activation is fn), None)


def _losses_per_output(model: Any) -> list[Any]:
    """The compiled loss of each output, in output order (None where an output has none)."""
    loss = getattr(model, "loss", None)
    outputs = list(getattr(model, "outputs", None) or [])
    if isinstance(loss, dict):
        names = list(getattr(model, "output_names", None) or [])
        return [loss.get(n) for n in names] if len(names) == len(outputs) else []
    if isinstance(loss, (list, tuple)):
        return list(loss)
    return [loss] * len(outputs)


def output_layer(tensor: Any) -> tuple[Any, str]:
    """The layer that last computed ``tensor`` and its path, looking into nested models; inside a subclassed
    model (no graph to follow) its last layer holding weights, in the order its attributes made them."""
    for lay, path, _ in producer_chain(tensor):
        if not isinstance(lay, keras.Model):
            return lay, path
        if not _is_graph_model(lay):
            inner = [(p, sub) for p, sub in _leaves(lay) if sub.weights]
            return (inner[-1][1], f"{path}/{inner[-1][0]}") if inner else (None, "")
    return None, ""


def _is_graph_model(model: Any) -> bool:
    return isinstance(model, keras.Sequential) or type(model).__name__ == "Functional" or bool(
        getattr(model, "_is_graph_network", False)) or hasattr(model, "_nodes_by_depth")


def _probabilities_as_logits(model: Any) -> list[Finding]:
    """A loss built with from_logits=True applies softmax (or sigmoid) itself. Given an output that already
    went through one, it squashes twice: the loss still falls, so nothing fails, but the gradients shrink and
    the model learns slowly or stalls (TensorFlow only warns, JAX and torch say nothing)."""
    if not _is_compiled(model):
        return []
    out = []
    for tensor, loss in zip(getattr(model, "outputs", None) or [], _losses_per_output(model)):
        config = loss.get_config() if isinstance(loss, keras.losses.Loss) else {}
        if not config.get("from_logits"):
            continue
        layer, path = output_layer(tensor)
        kind = _squashing(layer) if layer is not None else None
        if layer is None or kind is None:
            continue
        top = path.split("/")[0]
        out.append(Finding(
            path, f"{top} -> loss",
            f"{path} ends in {kind}, so the model outputs probabilities, but its loss "
            f"{type(loss).__name__} was built with from_logits=True and applies {kind} again: training runs, "
            "with squashed gradients.",
            f"build the loss with from_logits=False ({type(loss).__name__}(from_logits=False)), or drop the "
            f"{kind} from {layer.name} so it outputs logits and apply {kind} when you predict.",
        ))
    return out


_PROBABILITY_LOSSES = {"binary_crossentropy": "BinaryCrossentropy", "categorical_crossentropy": "CategoricalCrossentropy",
                       "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy"}


def _logits_as_probabilities(model: Any) -> list[Finding]:
    """The reverse of ``_probabilities_as_logits``: a cross-entropy built for probabilities (from_logits=False, the
    default of the loss names) on an output whose last layer has no squashing activation. Keras clips the raw
    values to [eps, 1 - eps] and takes their log: training runs, but the clipped outputs get no gradient."""
    if not _is_compiled(model):
        return []
    from kernest._lint_setup import accuracy_at_half

    out = []
    for i, (tensor, loss) in enumerate(zip(getattr(model, "outputs", None) or [], _losses_per_output(model))):
        if isinstance(loss, str):
            cls = _PROBABILITY_LOSSES.get(loss)
        elif isinstance(loss, keras.losses.Loss) and not loss.get_config().get("from_logits", True):
            cls = type(loss).__name__ if type(loss).__name__ in _PROBABILITY_LOSSES.values() else None
        else:
            cls = None
        chain = next(((lay, path) for lay, path, _ in producer_chain(tensor) if not isinstance(lay, keras.Model)
                      or not _is_graph_model(lay)), None)
        if cls is None or chain is None or isinstance(chain[0], keras.Model):
            continue  # no graph to read the last layer from (a subclassed model): say nothing
        layer, path = chain
        if getattr(layer, "activation", None) is not keras.activations.linear:
            continue
        if cls == "CategoricalCrossentropy" and tensor.shape and tensor.shape[-1] == 1:
            continue  # one unit: no activation makes a categorical loss right (_categorical_loss_over_one_unit)
        if not layer.weights and _probabilities_behind(tensor)[0] is not None:
            continue  # a linear cast after the probabilities (mixed precision's float32 output): still probabilities
        top = path.split("/")[0]
        # once the loss reads logits, a binary accuracy must threshold them at 0, not 0.5 (tensorflow#41413)
        metric = (" and threshold its accuracy at 0 with metrics=[keras.metrics.BinaryAccuracy(threshold=0.0)]"
                  if cls == "BinaryCrossentropy" and accuracy_at_half(model, i) else "")
        out.append(Finding(
            path, f"{top} -> loss",
            f"{path} ({type(layer).__name__}) has no activation, so the model outputs raw scores (logits), but the loss "
            f"{cls} expects probabilities (from_logits=False): it clips the scores to [eps, 1 - eps], and every score "
            "outside that range gets no gradient. Training runs and learns little.",
            f"tell the loss it gets logits: loss=keras.losses.{cls}(from_logits=True){metric} (and apply "
            f"{'sigmoid' if cls == 'BinaryCrossentropy' else 'softmax'} when you predict), or give {layer.name} "
            f"activation=\"{'sigmoid' if cls == 'BinaryCrossentropy' else 'softmax'}\".",
        ))
    return out


# --- a callback watching a name the model does not log ------------------------------------------------------

def _monitor_not_logged(model: Any) -> list[Finding]:
    """EarlyStopping, ModelCheckpoint or ReduceLROnPlateau watching a name that fit never logs (``val_accuracy``
    on a model of several outputs, which logs ``val_<output>_accuracy``): Keras only warns, and the callback
    never acts. Read after fit ran, from its History."""
    logged = list(getattr(getattr(model, "history", None), "history", None) or {})
    if not logged:
        return []
    out = []
    for cb in getattr(model, "_kernest_callbacks", None) or []:
        monitor = getattr(cb, "monitor", None)
        if not isinstance(monitor, str) or monitor in logged:
            continue
        val = monitor.startswith("val_")
        base = monitor[4:] if val else monitor
        near = [k for k in logged if k.endswith("_" + base) and k.startswith("val_") == val]
        head = near[0][4 if val else 0: -len(base) - 1] if len(near) == 1 else model.name
        kind = type(cb).__name__
        names = " or ".join(f'monitor="{k}"' for k in near)
        out.append(Finding(
            head, f"{head} -> {kind}",
            f"{kind}(monitor=\"{monitor}\") watches a name fit never logs ({model.name} logs {', '.join(sorted(logged))}): "
            "Keras only warns, and the callback never acts (never stops, saves or lowers the rate).",
            f"watch a logged name: {kind}({names}, ...)" if near else
            f"watch one of the logged names: {', '.join(sorted(logged))}.",
        ))
    return out


# --- an RNN given another number of initial states than its cell keeps ------------------------------------------

def state_count(rnn: Any) -> int | None:
    """How many state tensors an RNN layer's cell keeps (LSTM 2, GRU and SimpleRNN 1)."""
    size = getattr(getattr(rnn, "cell", None), "state_size", None)
    return len(keras.tree.flatten(size)) if size is not None else None


def states_fix(rnn: Any, given: list[Any], src: Any, var: str) -> str:
    """The fix for ``rnn`` given the tensors ``given`` as initial_state, the first made by ``src``."""
    want = state_count(rnn) or 0
    outputs = keras.tree.flatten(getattr(src, "outputs", None) or []) if isinstance(src, keras.Model) else []
    returns_states = isinstance(src, keras.layers.RNN) and getattr(src, "return_state", False)
    extra = len(given) - want
    if extra > 0 and (len(outputs) == len(given) or returns_states):
        return (f"{src.name} returns {len(given)} tensors, [output, "
                f"{', '.join(f'state{i + 1}' for i in range(len(given) - 1))}] (an RNN built with return_state=True puts "
                f"its output first), and all of them are passed as {rnn.name}'s initial_state, but a "
                f"{type(rnn).__name__} keeps {want} state(s). Pass the states only: initial_state={var}(...)[{extra}:] "
                f"(or unpack: output, *states = {var}(...)).")
    return (f"{rnn.name} is a {type(rnn).__name__}, which keeps {want} state(s), but initial_state got {len(given)} "
            f"tensors. Pass exactly its {want} state tensor(s), each (batch, units).")


def _initial_states_miscounted(model: Any) -> list[Finding]:
    """TensorFlow and JAX fail only when the model first runs; PyTorch runs it, silently using the first
    tensors as the states (the RNN's output in place of a cell state)."""
    out = []
    for path, sub in _models(model):
        for call in calls(sub):
            want = state_count(call.layer) if isinstance(call.layer, keras.layers.RNN) else None
            given = [t for t in keras.tree.flatten(call.kwargs.get("initial_state")) if hasattr(t, "shape")]
            if want is None or not given or len(given) == want:
                continue
            src = producer(given[0])
            full = f"{path}/{call.layer.name}" if path else call.layer.name
            out.append(Finding(
                full, f"{getattr(src, 'name', '?')} -> {call.layer.name}",
                f"{full} gets {len(given)} initial states but keeps {want}.",
                states_fix(call.layer, given, src, user_name(src) if isinstance(src, keras.Model) else getattr(src, "name", "?")),
            ))
    return out


def _initial_states_of_another_width(model: Any) -> list[Finding]:
    """As many initial states as the RNN keeps, but of another width than its units (a decoder wider than the
    encoder whose states start it): Keras builds the graph and every backend fails when the model first runs."""
    out = []
    for path, sub in _models(model):
        for call in calls(sub):
            rnn = call.layer
            cell = getattr(rnn, "cell", None) if isinstance(rnn, keras.layers.RNN) else None
            widths = [w for w in keras.tree.flatten(getattr(cell, "state_size", None) or []) if isinstance(w, int)]
            given = [t for t in keras.tree.flatten(call.kwargs.get("initial_state")) if hasattr(t, "shape")]
            have = [t.shape[-1] for t in given]
            if not widths or len(given) != len(widths) or None in have or have == widths:
                continue
            src = producer(given[0])
            name = getattr(src, "name", "?")
            full = f"{path}/{rnn.name}" if path else rnn.name
            units = getattr(rnn, "units", None) or widths[0]
            out.append(Finding(
                full, f"{name} -> {rnn.name}",
                f"{full} is a {type(rnn).__name__} of {units} units, so its initial states must be "
                f"{', '.join(map(str, widths))} wide, and {name} gives {', '.join(map(str, have))}: every backend "
                "fails when the model first runs.",
                f"make the widths agree: build {rnn.name} with {have[0]} units, give {name}'s RNN {units} units, or "
                f"project each state with keras.layers.Dense({units})",
                fails=True, expected=f"states of width {units}",
                received=", ".join(format_shape(tuple(t.shape)) for t in given),
            ))
    return out


# --- integer labels outside the head's classes ------------------------------------------------------------------

def loss_of(model: Any, index: int | None = None) -> Any:
    """The loss compiled for output ``index`` (the model's whole ``loss`` where not given or not known)."""
    losses = _losses_per_output(model) if index is not None else []
    return losses[index] if index is not None and index < len(losses) else getattr(model, "loss", None)


def sparse_loss(model: Any, index: int | None = None) -> bool:
    """Whether the model's loss (of output ``index`` where given) takes integer class ids (a sparse categorical
    cross-entropy, by name or class)."""
    loss = loss_of(model, index)
    name = loss if isinstance(loss, str) else type(loss).__name__ + getattr(loss, "__name__", "")
    return "sparse" in name.lower()


def label_range_fix(units: int, low: int, high: int, var: str) -> str:
    """What to do with integer class ids ``low..high`` for a head of ``units`` classes (ids ``0..units-1``)."""
    if low < 0:
        return (f"the labels hold {low}, but class ids run from 0 to {units - 1}: drop those samples, or map every "
                f"label to 0..{units - 1}")
    if low >= 1 and high == units:
        return (f"the labels run from {low} to {high}, but class ids count from 0 (0..{units - 1} for {units} "
                f"classes): pass {var} - 1 as the labels (and add 1 to a predicted class), or build the head with "
                f"{high + 1} units if {high + 1} classes are meant")
    return (f"the labels reach {high}, but the head gives {units} classes (ids 0..{units - 1}): build it with "
            f"{high + 1} units, or map the labels to 0..{units - 1} (np.unique({var}, return_inverse=True) gives "
            "the ids)")


def head_path(model: Any, index: int = 0) -> str:
    """``model/layer`` for the last plain layer that makes the model's output ``index`` (the first by default)."""
    inner = next((p for layer, p, _ in producer_chain(model.outputs[index]) if not isinstance(layer, keras.Model)),
                 None)
    return f"{model.name}/{inner}" if inner else model.name


def _labels_outside_classes(model: Any, labels: Any) -> list[Finding]:
    """Integer labels past the head's classes, for a sparse loss. TensorFlow and PyTorch fail on them at fit;
    JAX takes them silently (the loss reads past the probabilities), so the model trains on wrong targets."""
    import numpy as np

    if labels is None or isinstance(labels, (dict, list, tuple)) or not sparse_loss(model):
        return []
    outputs = getattr(model, "outputs", None) or []
    y = np.asarray(labels)
    if len(outputs) != 1 or not y.size or y.dtype.kind not in "iuf" or np.any(y != np.round(y)):
        return []
    units = outputs[0].shape[-1]
    low, high = int(y.min()), int(y.max())
    if not isinstance(units, int) or units < 2 or (low >= 0 and high < units):
        return []
    head = head_path(model)
    return [Finding(
        head, f"data -> {model.name}",
        f"the labels a sparse loss reads as class ids run {low}..{high}, but {head} gives {units} classes "
        f"(ids 0..{units - 1}).", label_range_fix(units, low, high, "y") + ".",
    )]


def _several_classes_per_row(model: Any, labels: Any) -> list[Finding]:
    """Multi-label targets (rows of 0/1 with several 1s) for a head trained as one class per sample (softmax, or
    a categorical cross-entropy): the classes compete for one unit of probability, so two tags that are both
    true can never both be predicted. Nothing fails; the model learns to split its probability between them."""
    import numpy as np

    outputs = getattr(model, "outputs", None) or []
    if labels is None or isinstance(labels, (dict, list, tuple)) or len(outputs) != 1 or not _is_compiled(model):
        return []
    y = np.asarray(labels)
    units = outputs[0].shape[-1]
    if y.ndim != 2 or not y.size or y.shape[-1] != units or units < 2 or y.dtype.kind not in "iufb" \
            or not np.all((y == 0) | (y == 1)):
        return []
    several = int(np.sum(y.sum(axis=-1) >= 2))
    loss = _loss_name(loss_of(model))
    layer, path = output_layer(outputs[0])
    softmax = layer is not None and _squashing(layer) == "softmax"
    if not several or not (softmax or ("categorical_crossentropy" in loss and "sparse" not in loss)):
        return []
    what = (f"{path} applies softmax" if softmax else f"the loss {loss} reads one distribution over classes") + \
        (f" and the loss is {loss}" if softmax and "crossentropy" in loss else "")
    return [Finding(
        head_path(model), f"data -> {model.name}",
        f"{several} of {len(y)} label rows mark two or more of the {units} classes (multi-label targets), but "
        f"{what}: the classes share one unit of probability, so two true classes can never both be predicted. "
        "Training runs and the model learns to split its probability between them.",
        f'build {layer.name if layer is not None else path} with activation="sigmoid" (one yes/no per class) and '
        'compile with loss="binary_crossentropy" (with metrics such as keras.metrics.BinaryAccuracy() or '
        "keras.metrics.AUC(multi_label=True)); if each sample has one class, fix the labels to one 1 per row.",
    )]


def _labels_outside_probabilities(model: Any, labels: Any) -> list[Finding]:
    """Labels outside [0, 1] (-1/1, or 1/2) for a binary cross-entropy, which reads each label as the probability
    of the positive class: y * log(p) + (1 - y) * log(1 - p) with y = -1 rewards a wrong answer without bound.
    Nothing fails; the loss goes negative and the model learns the opposite or nothing."""
    import numpy as np

    outputs = getattr(model, "outputs", None) or []
    if labels is None or isinstance(labels, (dict, list, tuple)) or len(outputs) != 1 or not _is_compiled(model):
        return []
    loss = _loss_name(loss_of(model))
    y = np.asarray(labels)
    if "binary" not in loss or "crossentropy" not in loss or not y.size or y.dtype.kind not in "iuf":
        return []
    low, high = float(y.min()), float(y.max())
    if low >= 0 and high <= 1:
        return []
    values = np.unique(y)
    if len(values) == 2:
        a, b = (f"{v:g}" for v in values)
        fix = f"map them to 0/1 before fit: y = (y == {b}).astype(\"float32\") ({a} -> 0, {b} -> 1)"
    else:
        fix = f"scale them into [0, 1] (y = (y - {low:g}) / {high - low:g}), or use a regression loss such as \"mse\""
    head = head_path(model)
    return [Finding(
        head, f"data -> {model.name}",
        f"the labels run {low:g}..{high:g}, but the loss {loss} reads each label as a probability in [0, 1]: "
        "outside it the loss has no minimum at the right answer (it goes negative), so training runs and learns "
        "the wrong thing.", fix + ".",
    )]


def _fractional_class_ids(model: Any, labels: Any) -> list[Finding]:
    """Labels with fractions (0.4, 1.7) for a sparse categorical loss, which casts them to integer class ids:
    each label is cut to the class below it. Nothing fails."""
    import numpy as np

    outputs = getattr(model, "outputs", None) or []
    if labels is None or isinstance(labels, (dict, list, tuple)) or len(outputs) != 1 or not sparse_loss(model):
        return []
    y = np.asarray(labels)
    if not y.size or y.dtype.kind != "f" or np.all(y == np.round(y)):
        return []
    cut = int(np.sum(y != np.round(y)))
    return [Finding(
        head_path(model), f"data -> {model.name}",
        f"{cut} of {y.size} labels have fractions ({float(y.flat[np.argmax(y != np.round(y))]):g} ...), but the loss "
        f"{_loss_name(loss_of(model))} reads class ids and casts each label to an integer, cutting it to the class "
        "below: training runs on wrong classes.",
        "pass whole class ids (np.round(y).astype(\"int32\") if they are ids stored with noise); if the labels are "
        "amounts, not classes, give the model a one-unit linear head and loss=\"mse\".",
    )]


# --- a preprocessing layer used without adapt() ------------------------------------------------------------

_LOOKUPS = (keras.layers.StringLookup, keras.layers.IntegerLookup, keras.layers.TextVectorization)


def _unadapted(layer: Any) -> bool:
    """A Normalization still at mean 0 and variance 1 with nothing counted (it passes values through), or a
    lookup with an empty vocabulary (it maps everything to the out-of-vocabulary id)."""
    import numpy as np

    if isinstance(layer, keras.layers.Normalization):
        if getattr(layer, "input_mean", None) is not None or not layer.built:
            return False
        weights = layer.get_weights()  # mean, variance, count
        return len(weights) == 3 and not np.any(weights[0]) and bool(np.all(weights[1] == 1)) and not np.any(weights[2])
    if isinstance(layer, _LOOKUPS):
        try:
            return not layer.get_vocabulary(include_special_tokens=False)
        except (AttributeError, TypeError, ValueError):
            return False
    return False


def _never_adapted(model: Any) -> list[Finding]:
    """Preprocessing layers that learn their state from data with ``adapt()`` and were used without it: they
    build and train without an error, but do nothing useful (see _unadapted)."""
    out, seen = [], set()
    for _, call, x in _calls_to(model, (keras.layers.Normalization, *_LOOKUPS)):
        layer = call.layer
        if id(layer) in seen or not _unadapted(layer):
            continue
        seen.add(id(layer))
        full = find_layer(model, layer) or layer.name
        direct = all(isinstance(up, keras.Model) for up, _, _ in producer_chain(x))
        data = getattr(model, "_kernest_data_var", None) if direct and not isinstance(
            getattr(model, "_kernest_data", None), (dict, list, tuple)) else None
        on = data or "the values that reach it (the training inputs, or what the layers before it make of them)"
        effect = ("keeps mean 0 and variance 1, so it passes the values through unscaled"
                  if isinstance(layer, keras.layers.Normalization)
                  else "has an empty vocabulary, so every value becomes the out-of-vocabulary id")
        out.append(Finding(
            full, f"data -> {layer.name}",
            f"{full} ({type(layer).__name__}) was never adapted: it {effect}. Nothing fails; the model trains on "
            "what it was meant to preprocess.",
            f"call {user_name(layer)}.adapt({on}) before compiling and fitting"
            + (" (or build it with mean= and variance=)." if isinstance(layer, keras.layers.Normalization) else "."),
        ))
    return out


# --- an output that keeps a steps axis the labels do not have ------------------------------------------------

def _steps_kept_for_labels(model: Any, labels: Any) -> list[Finding]:
    """The output has an axis more than the labels (a one-unit head applied per step of a sequence): Keras'
    losses expand the (batch, 1) labels to the output's rank and broadcast them over that axis, so fit raises nothing and
    each step learns the sample's one target. Name the recurrent layer that kept the steps."""
    import numpy as np

    outputs = getattr(model, "outputs", None) or []
    if labels is None or isinstance(labels, (dict, list, tuple)) or len(outputs) != 1 or sparse_loss(model):
        return []
    y, out_shape = np.asarray(labels), tuple(outputs[0].shape)
    if y.ndim < 2 or len(out_shape) != y.ndim + 1 or out_shape[-1] != 1 or y.shape[-1] != 1:
        return []  # wider labels expand to (..., k, 1), which does not broadcast: Keras fails on those
    head = next(((layer, path) for layer, path, _ in producer_chain(outputs[0])
                 if not isinstance(layer, keras.Model)), None)
    keeper = next(((layer, path) for layer, path, _ in producer_chain(outputs[0])
                   if isinstance(layer, keras.layers.RNN) and layer.return_sequences), None)
    if head is None:
        return []
    head_input = next((t for layer, _, t in producer_chain(outputs[0]) if layer is head[0]), None)
    feeder = next((p.split("/")[0] for layer, p, _ in producer_chain(head_input)), "input") if head_input is not None else "input"
    if keeper is not None:
        where, fix = f"{model.name}/{keeper[1]}", (
            f"build {keeper[0].name} with return_sequences=False so it gives one vector per sample, or pool the "
            "steps (keras.layers.GlobalAveragePooling1D()) before the head")
    else:
        where, fix = f"{model.name}/{head[1]}", "pool or flatten the steps axis before the head"
    return [Finding(
        where, f"{feeder} -> {head[0].name}",
        f"{model.name} outputs {out_shape} (an axis of {out_shape[-2]} steps) but its labels are {y.shape}: the loss "
        "broadcasts each sample's label over the steps, so nothing fails and the model learns to repeat it.",
        fix + ".",
    )]


# --- independent sigmoids trained with a categorical cross-entropy --------------------------------------------

def _loss_name(loss: Any) -> str:
    if isinstance(loss, str):
        return loss
    name = getattr(loss, "name", None) or getattr(loss, "__name__", None) or type(loss).__name__
    return snake_case(str(name))


def _sigmoids_with_categorical_loss(model: Any) -> list[Finding]:
    """A head of several sigmoid units gives independent yes/no probabilities; a categorical cross-entropy
    reads them as one distribution over classes (it renormalises them), so the units compete without the
    softmax that would make them: training runs and the probabilities do not sum to 1."""
    if not _is_compiled(model):
        return []
    out = []
    for tensor, loss in zip(getattr(model, "outputs", None) or [], _losses_per_output(model)):
        name = _loss_name(loss)
        if "categorical_crossentropy" not in name:
            continue
        layer, path = output_layer(tensor)
        units = tuple(tensor.shape)[-1] if tensor.shape else None
        if layer is None or _squashing(layer) != "sigmoid" or not units or units < 2:
            continue
        top = path.split("/")[0]
        build = (f'keras.layers.Dense({units}, activation="softmax")' if isinstance(layer, keras.layers.Dense)
                 else 'activation="softmax"')
        out.append(Finding(
            path, f"{top} -> loss",
            f"{path} ends in sigmoid over {units} units (independent yes/no probabilities), but the loss {name} "
            "reads them as one distribution over classes: training runs, the outputs do not sum to 1.",
            f'build {layer.name} with activation="softmax" ({build}) for one class per sample, or keep the '
            "sigmoid and use binary_crossentropy if several classes can be true at once.",
        ))
    return out


def _categorical_loss_over_one_unit(model: Any) -> list[Finding]:
    """A categorical cross-entropy renormalises its output over the classes axis; over one unit that gives
    1.0 whatever the model says, so the loss is 0 on every sample and no weight gets a gradient (Keras only
    warns). A one-unit head is a yes/no output: binary cross-entropy. Softmax over one unit is the rule above."""
    if not _is_compiled(model):
        return []
    out = []
    for tensor, loss in zip(getattr(model, "outputs", None) or [], _losses_per_output(model)):
        name = _loss_name(loss)
        shape = tuple(tensor.shape) if tensor.shape else ()
        if "categorical_crossentropy" not in name or "sparse" in name or not shape or shape[-1] != 1:
            continue
        layer, path = output_layer(tensor)
        squash = _squashing(layer) if layer is not None else None
        if layer is None or squash == "softmax":
            continue
        logits = squash is None
        if isinstance(loss, str):
            fix = "loss=keras.losses.BinaryCrossentropy(from_logits=True)" if logits else 'loss="binary_crossentropy"'
        else:
            fix = f"loss=keras.losses.BinaryCrossentropy({'from_logits=True' if logits else ''})"
        out.append(Finding(
            path, f"{path.split('/')[0]} -> loss",
            f"{path} gives one unit ({format_shape(shape)}{', a sigmoid probability' if squash else ', logits'}) and "
            f"the loss is {name}, which renormalises over the classes axis: over one unit that is always 1.0, so "
            "the loss is 0 on every sample and nothing is learned.",
            f"compile with {fix} for a yes/no output (labels 0/1), or give {layer.name} one unit per class with "
            "softmax and keep the categorical loss.",
        ))
    return out


# --- the user's own layers: a mask, training and the batch axis ------------------------------------------------

def _users_calls(model: Any) -> Iterator[tuple[str, Any, Any, Any]]:
    """``(full path, call, top-level path, input)`` for each call of a layer whose class the user wrote."""
    seen: set[int] = set()
    for path, call, x in _calls_to(model, (keras.layers.Layer,)):
        layer = call.layer
        if id(layer) in seen or isinstance(layer, keras.Model) or type(layer).__module__.startswith(("keras", "kernest")):
            continue
        seen.add(id(layer))
        full = f"{path}/{layer.name}" if path else layer.name
        yield full, call, full.split("/")[0], x


def _call_source(layer: Any) -> ast.FunctionDef | None:
    """The user's layer class's own ``call``, parsed (None where it inherits it or its source cannot be read)."""
    parsed = _parsed_function(type(layer).__dict__.get("call"))
    return parsed[0] if parsed is not None else None


def _mask_ignored_by_users_layer(model: Any) -> list[Finding]:
    """A masked sequence reaching a user's layer whose call takes no mask and that reduces the steps away:
    the padding steps are averaged (or pooled) in as data."""
    out = []
    for full, call, top, x in _users_calls(model):
        layer = call.layer
        params = inspect.signature(layer.call).parameters
        outs = call.outputs
        if "mask" in params or getattr(layer, "supports_masking", False) or not outs:
            continue
        if len(tuple(outs[0].shape)) >= len(tuple(x.shape)):
            continue  # it keeps the steps: a later layer may still read the mask
        source = _mask_source(x)
        if source is None:
            continue
        maker, maker_path = source
        src_top = maker_path.split("/")[0]
        feeder = getattr(producer(x), "name", src_top)
        out.append(Finding(
            full, f"{feeder} -> {top}",
            f"{maker_path} makes a padding mask (mask_zero=True), but {full} ({type(layer).__name__}) takes no mask "
            f"and reduces {tuple(x.shape)} to {tuple(outs[0].shape)}: the padding steps count as data.",
            "use keras.layers.GlobalAveragePooling1D() (it averages only the unmasked steps), or take the mask: "
            f"def call(self, x, mask=None) in {type(layer).__name__}, weighting the steps by "
            "keras.ops.cast(mask, x.dtype).",
        ))
    return out


def _mask_source(x: Any) -> tuple[Any, str] | None:
    """The layer upstream of ``x`` that makes a mask, if every layer between keeps it."""
    for up, up_path, _ in producer_chain(x):
        if isinstance(up, keras.Model):
            continue
        if _makes_mask(up):
            return up, up_path
        if not getattr(up, "supports_masking", False):
            return None
    return None


def _dropout_twice(model: Any) -> list[Finding]:
    """Dropout right after Dropout (often across a nested model's output): the rates compound."""
    out = []
    for path, call, x in _calls_to(model, (keras.layers.Dropout,)):
        second = call.layer
        first, first_path = next(((u, p) for u, p, _ in producer_chain(x) if not isinstance(u, keras.Model)), (None, ""))
        if first is None or type(first) is not keras.layers.Dropout or type(second) is not keras.layers.Dropout:
            continue
        full = f"{path}/{second.name}" if path else second.name
        first_full = find_layer(model, first) or first_path
        both = 1 - (1 - first.rate) * (1 - second.rate)
        out.append(Finding(
            full, f"{first_full.split('/')[0]} -> {full.split('/')[0]}",
            f"{first_full} (Dropout({first.rate:g})) feeds {full} (Dropout({second.rate:g})) directly: in training "
            f"{both:.2g} of the features are zeroed, not {second.rate:g}.",
            f"keep one of them (remove {second.name}, or {first.name} in {first_full.split('/')[0]}), or use one "
            f"Dropout({both:.2g}) if {both:.2g} was meant.",
        ))
    return out


def _batchnorm_across_channels_first(model: Any) -> list[Finding]:
    """BatchNormalization keeps one mean and scale per entry of its ``axis`` (the last by default). After a
    layer that makes channels-first maps (batch, channels, ...), the last axis is a spatial one: it normalises
    each column of pixels, not each channel, and nothing fails."""
    out = []
    for path, call, x in _calls_to(model, (keras.layers.BatchNormalization,)):
        bn = call.layer
        maker, _ = output_layer(x)
        rank = len(x.shape)
        axes = [a % rank for a in (bn.axis if isinstance(bn.axis, (list, tuple)) else [bn.axis])]
        if maker is None or getattr(maker, "data_format", None) != "channels_first" or rank < 3 or 1 in axes:
            continue
        full = f"{path}/{bn.name}" if path else bn.name
        maker_path = find_layer(model, maker) or maker.name
        out.append(Finding(
            full, f"{maker.name} -> {bn.name}",
            f"{maker_path} makes channels-first maps {tuple(x.shape[1:])} ({x.shape[1]} channels on axis 1), but "
            f"{full} normalises axis {bn.axis}, of size {x.shape[axes[0]]}: it keeps one mean and scale per "
            f"position on that axis, not per channel.",
            f"build {bn.name} with keras.layers.BatchNormalization(axis=1).",
        ))
    return out


# Only a dropout draw is flagged: it is meant for training alone. Other draws are often meant at predict time
# as well (a VAE's sampling layer adds noise to the mean by design), and noise added to the input has the same
# form as that sampling, so no rule can tell a forgotten flag from a wanted sample there.
_RANDOM = {"dropout"}


def _randomness_ignores_training(model: Any) -> list[Finding]:
    """A user's layer that applies ``keras.random.dropout`` in call() without reading ``training`` drops
    features in predict too."""
    out = []
    for full, call, top, _ in _users_calls(model):
        node = _call_source(call.layer)
        if node is None:
            continue
        names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        random = [n for n in ast.walk(node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                  and n.func.attr in _RANDOM and "random" in ast.unparse(n.func.value)]
        if not random or "training" in names:
            continue
        feeder = _entry_name(model, top, "input")
        out.append(Finding(
            full, f"{feeder} -> {top}",
            f"{type(call.layer).__name__}.call draws random numbers ({ast.unparse(random[0].func)}) and never reads "
            "training, so predict and evaluate are random too.",
            "take the flag and use it: def call(self, x, training=None): if training: return "
            f"{ast.unparse(random[0])}; return x. Keras passes training=True in fit and False in predict.",
        ))
    return out


# a softmax (or normalize) over axis 0 is left to _lint_samples, which measures the mixing and names the axis
_REDUCERS = {"mean", "sum", "max", "min", "std", "var", "logsumexp", "prod", "argmax", "argmin", "moments"}


def _reduced_over_batch(model: Any) -> list[Finding]:
    """A user's call that reduces over axis 0, the batch: each sample's output depends on the others in its
    batch, and a batch of one gives another result than in training."""
    out = []
    for full, call, top, _ in _users_calls(model):
        node = _call_source(call.layer)
        if node is None:
            continue
        x = node.args.args[1].arg if len(node.args.args) > 1 else None
        # a statistic kept in a weight (``self.mean.assign_add(0.1 * ops.mean(x, axis=0))``), as BatchNormalization
        # keeps its moving averages, is no reduction of the output
        kept = {id(n) for c in ast.walk(node) if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute)
                and c.func.attr in ("assign", "assign_add", "assign_sub") for a in c.args for n in ast.walk(a)}
        hit = next((n for n in ast.walk(node) if id(n) not in kept and isinstance(n, ast.Call)
                    and isinstance(n.func, ast.Attribute)
                    and n.func.attr in _REDUCERS and any(k.arg == "axis" and _has_zero(k.value) for k in n.keywords)
                    and n.args and x in {a.id for a in ast.walk(n.args[0]) if isinstance(a, ast.Name)}),
                   None)  # over the input (not over a weight, whose axis 0 is no batch)
        if hit is None:
            continue
        feeder = _entry_name(model, top, "input")
        out.append(Finding(
            full, f"{feeder} -> {top}",
            f"{type(call.layer).__name__}.call computes {ast.unparse(hit)}: axis=0 is the batch, so each sample's "
            "output depends on the other samples of its batch (predict on one sample gives another result).",
            "for statistics of the data, use keras.layers.Normalization() adapted on the training data "
            "(or BatchNormalization(), which keeps moving averages for predict); to reduce within each sample, "
            "use axis=-1.",
        ))
    return out


def _has_zero(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return node.value == 0
    if isinstance(node, (ast.Tuple, ast.List)):
        return any(isinstance(e, ast.Constant) and e.value == 0 for e in node.elts)
    return False


# --- a loss or metric that does not fit the task of its output ------------------------------------------------

_REGRESSION_LOSSES = ("mse", "mae", "mape", "msle", "mean_squared_error", "mean_absolute_error",
                      "mean_absolute_percentage_error", "mean_squared_logarithmic_error", "huber", "log_cosh")


def _labels_of(model: Any, index: int) -> Any:
    """The labels fit was given for output ``index`` (one array, or the matching entry of a list or dict), or None."""
    import numpy as np

    labels = getattr(model, "_kernest_labels", None)
    if isinstance(labels, dict):
        names = list(getattr(model, "output_names", None) or [])
        labels = labels.get(names[index]) if index < len(names) else None
    elif isinstance(labels, (list, tuple)):
        labels = labels[index] if index < len(labels) else None
    try:
        return np.asarray(labels) if labels is not None else None
    except (TypeError, ValueError):
        return None


def _softmax_with_binary_loss(model: Any) -> list[Finding]:
    """A softmax over three or more classes (one class per sample) trained with binary_crossentropy: the loss
    scores every unit as its own yes/no question, and Keras' "accuracy" becomes the binary accuracy per unit
    (a 4-class head that predicts nothing scores 75%). Training runs; the numbers mislead."""
    if not _is_compiled(model):
        return []
    out = []
    for i, (tensor, loss) in enumerate(zip(getattr(model, "outputs", None) or [], _losses_per_output(model))):
        name = _loss_name(loss) if loss is not None else ""
        if name not in ("binary_crossentropy", "bce"):
            continue
        layer, path = output_layer(tensor)
        units = tuple(tensor.shape)[-1] if tensor.shape else None
        if layer is None or _squashing(layer) != "softmax" or not units or units < 3:
            continue
        labels = _labels_of(model, i)
        sparse = labels is not None and labels.dtype.kind in "iuf" and (labels.ndim == 1 or labels.shape[-1] == 1)
        right = "sparse_categorical_crossentropy" if sparse else "categorical_crossentropy"
        given = f"integer class ids {labels.shape}" if sparse else (
            f"one-hot labels {labels.shape}" if labels is not None else "one class per sample")
        top = path.split("/")[0]
        out.append(Finding(
            path, f"{top} -> loss",
            f"{path} is a softmax over {units} classes (one class per sample), but the loss is {name}, which scores "
            f"each of the {units} units as its own yes/no question; 'accuracy' then means binary accuracy per unit "
            f"(a head that predicts no class at all scores {100 * (units - 1) // units}%). Training runs; the figures mislead.",
            f'for {given} use loss="{right}" in compile (keep binary_crossentropy only with sigmoid units, for '
            "several classes true at once).",
        ))
    return out


def _metric_names(model: Any, output: str | None) -> list[str]:
    """The metric names compiled for the output named ``output``: a list applies to every output, a dict to its
    keys only."""
    config = getattr(getattr(model, "_compile_config", None), "config", None) or {}
    metrics = config.get("metrics")
    if isinstance(metrics, dict):
        metrics = metrics.get(output) if output is not None else None
    if isinstance(metrics, str):
        metrics = [metrics]
    return [m for m in metrics or [] if isinstance(m, str)]


_SPARSE_METRICS = {"sparse_categorical_accuracy": "categorical_accuracy",
                   "sparse_top_k_categorical_accuracy": "top_k_categorical_accuracy"}


def metric_reads_other_labels(model: Any) -> list[Finding]:
    """A class metric written for the other form of labels than the loss's: ``sparse_categorical_accuracy``
    (class ids) with ``categorical_crossentropy`` (one-hot rows), or the reverse. The labels suit the loss, so
    the metric fails on their shape, or, class ids read as one-hot rows, silently reports a wrong accuracy."""
    if not _is_compiled(model):
        return []
    out = []
    names = list(getattr(model, "output_names", None) or [])
    for i, loss in enumerate(_losses_per_output(model)):
        name = _loss_name(loss) if loss is not None else ""
        if not name.endswith("categorical_crossentropy"):
            continue
        sparse = name.startswith("sparse")
        for metric in _metric_names(model, names[i] if i < len(names) else None):
            dense = {v: k for k, v in _SPARSE_METRICS.items()}
            meant = dense.get(metric) if sparse else _SPARSE_METRICS.get(metric)
            if meant is None:
                continue
            labels = "class ids" if sparse else "one-hot rows"
            out.append(Finding(
                head_path(model, i), f"data -> {model.name}",
                f"the loss {name} takes {labels} as labels, but the metric {metric!r} reads "
                f"{'one-hot rows' if sparse else 'class ids'}: on these labels it fails on their shape, or "
                "reports a wrong accuracy.",
                f'use the metric for {labels}: metrics=["{meant}"] (or metrics=["accuracy"], which Keras matches to '
                "the loss).",
            ))
    return out


def _accuracy_on_regression(model: Any) -> list[Finding]:
    """metrics=["accuracy"] on a regression output (a regression loss, a head without squashing, real-valued
    targets): Keras counts exact matches of real values, which stays near 0 however well the model fits."""
    import numpy as np

    if not _is_compiled(model):
        return []
    out = []
    names = list(getattr(model, "output_names", None) or [])
    for i, (tensor, loss) in enumerate(zip(getattr(model, "outputs", None) or [], _losses_per_output(model))):
        name = _loss_name(loss) if loss is not None else ""
        metrics = _metric_names(model, names[i] if i < len(names) else None)
        if name not in _REGRESSION_LOSSES or not any(m in ("accuracy", "acc") for m in metrics):
            continue
        layer, path = output_layer(tensor)
        if layer is None or _squashing(layer) is not None:
            continue
        labels = _labels_of(model, i)
        if labels is None or labels.dtype.kind != "f" or np.all(np.equal(np.mod(labels, 1), 0)):
            continue  # whole-number targets: accuracy may be meant
        top = path.split("/")[0]
        out.append(Finding(
            path, f"{top} -> metrics",
            f"{path} is a regression output (loss {name}, no squashing, real-valued targets in "
            f"[{float(np.min(labels)):.3g}, {float(np.max(labels)):.3g}]), and metrics=[\"accuracy\"] counts exact "
            "matches of real values: it stays near 0 however well the model fits.",
            'use a regression metric: metrics=["mae"] (or "mse", keras.metrics.RootMeanSquaredError()).',
        ))
    return out


def _exact_accuracy_on_probabilities(model: Any) -> list[Finding]:
    """keras.metrics.Accuracy() (the class) on a sigmoid or softmax output: it counts exact equality of labels
    and predictions, and a probability is never exactly 0 or 1, so it reads (nearly) 0 every epoch. The string
    "accuracy" is the one Keras turns into the binary or categorical accuracy for the output."""
    if not _is_compiled(model):
        return []
    config = getattr(getattr(model, "_compile_config", None), "config", None) or {}
    metrics = config.get("metrics")
    names = list(getattr(model, "output_names", None) or [])
    out = []
    for i, tensor in enumerate(getattr(model, "outputs", None) or []):
        given = metrics.get(names[i]) if isinstance(metrics, dict) and i < len(names) else metrics
        given = given if isinstance(given, (list, tuple)) else [given]
        if not any(type(m) is keras.metrics.Accuracy for m in given):
            continue
        layer, path = output_layer(tensor)
        squash = _squashing(layer) if layer is not None else None
        if squash not in ("sigmoid", "softmax"):
            continue
        units = tuple(tensor.shape)[-1] if tensor.shape else None
        if squash == "sigmoid":
            right = "keras.metrics.BinaryAccuracy()"
        else:
            right = ("keras.metrics.SparseCategoricalAccuracy()" if sparse_loss(model, i)
                     else "keras.metrics.CategoricalAccuracy()")
        top = path.split("/")[0]
        out.append(Finding(
            path, f"{top} -> metrics",
            f"{path} gives {squash} probabilities ({units} unit{'s' if units != 1 else ''}), and keras.metrics.Accuracy() "
            "counts predictions exactly equal to the labels: a probability is never exactly 0 or 1, so it reads "
            "(nearly) 0 every epoch however well the model learns.",
            f'use {right} in metrics (the string "accuracy" picks it for this output).',
        ))
    return out


def _validation_split_of_sorted_labels(model: Any) -> list[Finding]:
    """fit(validation_split=f) takes the last fraction f of the arrays, before any shuffling. When the labels
    are sorted by class, that slice holds classes the training part never sees (or one class only): the
    validation figures say nothing about the model."""
    import numpy as np

    split = getattr(model, "_kernest_validation_split", None)
    labels = _labels_of(model, 0)
    if not split or labels is None or labels.ndim == 0 or len(labels) < 4:
        return []
    ids = labels.argmax(-1) if labels.ndim == 2 and labels.shape[-1] > 1 else labels.reshape(len(labels), -1)[:, 0]
    if ids.dtype.kind not in "iub" and not np.all(np.equal(np.mod(ids, 1), 0)):
        return []  # not class ids
    steps = np.diff(ids.astype("float64"))
    if len(set(ids.tolist())) < 2 or not (np.all(steps >= 0) or np.all(steps <= 0)):
        return []  # labels not sorted: a one-class validation part is then chance, not this fault
    cut = int(len(ids) * (1 - split))
    train, val = set(ids[:cut].tolist()), set(ids[cut:].tolist())
    if not val or (len(val) > 1 and val <= train):
        return []
    x_var = getattr(model, "_kernest_data_var", None) or "x"
    y_var = getattr(model, "_kernest_labels_var", None) or "y"
    seen = ", ".join(str(v) for v in sorted(val))
    return [Finding(
        model.name, f"data -> {model.name}",
        f"fit(validation_split={split:g}) validates on the last {len(ids) - cut} of {len(ids)} samples, taken before "
        f"any shuffling, and the labels are sorted: the validation part holds class {seen} only"
        + (", which training never sees" if not val & train else "") + ". The validation figures mislead.",
        f"shuffle the arrays once before fit: order = np.random.permutation(len({x_var})) then "
        f"{x_var}, {y_var} = {x_var}[order], {y_var}[order] (or pass validation_data from a stratified split).",
    )]



_COUNTING_SECONDS = 2.0  # the most time spent counting a copy of a user's generator


def _batches_in(model: Any, limit: int) -> tuple[int | None, bool, str]:
    """How many batches one pass over the data ``model`` was fitted on gives, whether Keras starts that pass
    again at an epoch's end, and, when the count is unknown, why: a finite tf.data.Dataset's cardinality, a
    PyDataset's length, or the batches a fresh copy of a Python generator yields (counted up to ``limit``: more
    means it does not run out; a generator too slow to count in two seconds is left alone). A generator is read
    once: Keras does not restart it."""
    data = getattr(model, "_kernest_data", None)
    if data is not None and hasattr(data, "cardinality") and hasattr(data, "element_spec"):
        try:
            n = int(data.cardinality())
        except (TypeError, ValueError):
            return None, True, ""
        return (n if n >= 0 else None), True, ""  # -1: endless (.repeat()), -2: unknown to tf.data itself
    if isinstance(data, keras.utils.PyDataset):
        try:
            return len(data), True, ""
        except (TypeError, NotImplementedError):
            return None, True, f"a {type(data).__name__} without __len__"
    if not inspect.isgenerator(data) and not isinstance(data, Iterator):
        return None, True, ""
    again = getattr(model, "_kernest_data_again", None)
    if again is None and _endless_by_its_source(data):
        return None, False, ""  # a yield inside `while True:` with no way out: it never runs out
    if again is None:
        blocker = getattr(model, "_kernest_data_blocker", None)
        if blocker:  # said plainly: the open file (or the iterator) it reads cannot be read again to count
            held = f" (its `{blocker[1]}`)" if blocker[1] and blocker[1].isidentifier() else ""
            return None, False, (f"which reads {blocker[0]}{held}, and counting its batches would use up what "
                                 "fit reads")
        return None, False, (f"a {type(data).__name__} that kernest cannot copy to count (a generator "
                             "expression, a generator that reads its enclosing function's variables, or an iterator)")
    import time

    n, until = 0, time.monotonic() + _COUNTING_SECONDS
    try:
        for _ in again():
            n += 1
            if n > limit or time.monotonic() > until:  # enough batches, or too slow to count: say nothing
                return None, False, ""
    except Exception as e:  # noqa: BLE001 - the user's generator failed on its own: no count
        return None, False, f"a generator that failed when kernest counted it ({type(e).__name__}: {e})"
    return n, False, ""


def _endless_by_its_source(gen: Any) -> bool:
    """A generator function whose source yields inside a ``while True:`` loop that nothing leaves (see
    ``_loop_exits``): it gives batches for ever (one kernest cannot copy to count is then no risk)."""
    return any(e is None for e in _loop_exits(gen))


def _loop_exits(gen: Any) -> list[str | None]:
    """For each ``while True:`` loop that yields in a generator function's source, what leaves it, said with its
    line and condition ("the `break` on line 27, under `if done:`"), or None when nothing does: a ``return`` in
    it leaves it, a ``break`` only where its innermost loop is that ``while True:`` itself (one in a ``for`` inside
    it, as a pass over the data that stops at a footer line, leaves only that pass)."""
    code = getattr(gen, "gi_code", None)
    parsed = _parsed_function(code) if code is not None and not code.co_name.startswith("<") else None
    if code is None or parsed is None:
        return []
    out: list[str | None] = []
    for loop in ast.walk(parsed[0]):
        if not (isinstance(loop, ast.While) and isinstance(loop.test, ast.Constant) and loop.test.value is True
                and any(isinstance(n, (ast.Yield, ast.YieldFrom)) for n in ast.walk(loop))):
            continue
        found = None
        todo: list[tuple[ast.AST, bool, str]] = [(n, True, "") for n in loop.body]
        while todo and found is None:
            node, own, under = todo.pop(0)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                continue
            if isinstance(node, ast.Return) or (own and isinstance(node, ast.Break)):
                found = (f"the `{'return' if isinstance(node, ast.Return) else 'break'}` on line "
                         f"{code.co_firstlineno + node.lineno - 1}{under}")
                continue
            own = own and not isinstance(node, (ast.For, ast.AsyncFor, ast.While))
            if isinstance(node, ast.If):
                test = ast.unparse(node.test)
                todo.extend((c, own, f", under `if {test}:`") for c in node.body)
                todo.extend((c, own, f", under the `else:` of `if {test}:`") for c in node.orelse)
            else:
                todo.extend((c, own, under) for c in ast.iter_child_nodes(node))
        out.append(found)
    return out


def _steps_past_the_data(model: Any) -> list[Finding]:
    """fit(data, steps_per_epoch=s, epochs=e) where ``data`` gives fewer batches than the steps ask for: Keras
    walks the batches as Keras 3's epoch iterator does (one pass, reset only when used up at an epoch's end;
    a Python generator never), and when they run out mid-epoch it warns and stops the epoch early: training
    silently does less than asked. When the number of batches cannot be known, the finding says so."""
    steps, epochs = getattr(model, "_kernest_steps", None) or (None, None)
    if not steps or not epochs:
        return []
    n, restarts, unknown = _batches_in(model, steps * epochs)
    data = getattr(model, "_kernest_data", None)
    var = getattr(model, "_kernest_data_var", None) or (
        "the generator expression" if inspect.isgenerator(data) and data.__name__ == "<genexpr>" else
        f"{data.__name__}(...)" if inspect.isgenerator(data) else
        f"{type(data).__name__}(...)" if isinstance(data, keras.utils.PyDataset) else "dataset")
    if n is None and unknown:
        if inspect.isgenerator(data):  # Keras never restarts a generator: leaving steps_per_epoch out is no fix
            blocker = getattr(model, "_kernest_data_blocker", None) or ("", "")
            exits = [e for e in _loop_exits(data) if e]
            source = _parsed_function(data.gi_code) if exits else None
            rewind = (f", rewinding the file at the top of each pass (`{blocker[1]}.seek(0)`)"
                      if "open file" in blocker[0] and blocker[1].isidentifier()
                      and f"{blocker[1]}.seek(" not in (source[1] if source else "") else "")
            if exits:  # it has its `while True:`, and says when it leaves it
                unknown += f"; its `while True:` loop ends at {exits[0]}"
            inner = (" (a `break` inside a pass over the data, in its `for` loop, leaves only that pass)"
                     if exits and "`break`" in exits[0] else "")
            loop = (f"take {exits[0]} out of its `while True:` loop{inner}" if exits else
                    "put its loop inside `while True:`" if data.__name__ != "<genexpr>" else
                    "write it as a generator function with its loop inside `while True:`")
            fix = (f"make {var} yield at least {steps * epochs} batches by making it endless: {loop}{rewind}, and "
                   "set steps_per_epoch to the batches one pass gives; or pass data Keras starts again each epoch, "
                   "a keras.utils.PyDataset or a tf.data.Dataset with .repeat() (then steps_per_epoch as many as "
                   "one pass gives).")
            return [Finding(
                model.name, f"data -> {model.name}",
                f"fit asks for steps_per_epoch={steps} x epochs={epochs} = {steps * epochs} batches from {var}, "
                f"{unknown}: kernest cannot tell how many batches it gives. A generator is read once (Keras does not "
                "start it again at an epoch's end), so if it gives fewer, Keras only warns and cuts the epochs short.",
                fix)]
        return [Finding(
            model.name, f"data -> {model.name}",
            f"fit asks for steps_per_epoch={steps} x epochs={epochs} = {steps * epochs} batches from {var}, "
            f"{unknown}: kernest cannot tell how many batches it gives, and if fewer, Keras only warns and cuts the "
            "epochs short.",
            f"make sure {var} yields at least {steps * epochs} batches (an endless `while True:` loop around the "
            f"yield), or leave steps_per_epoch out so each epoch reads the data once.",
        )]
    if not n:
        return []
    seen, done, short = 0, 0, 0
    for _ in range(epochs):
        for _ in range(steps):
            if seen >= n:
                short += 1
                break
            seen += 1
            done += 1
        if seen >= n and restarts:
            seen = 0
    if not short:
        return []
    if not restarts:
        return [Finding(
            model.name, f"data -> {model.name}",
            f"fit asks for steps_per_epoch={steps} x epochs={epochs} = {steps * epochs} batches, and "
            f"{var} yields {n} in all (Keras does not restart a generator at an epoch's end): it runs out in "
            f"{short} of {epochs} epochs, Keras only warns and cuts those epochs short ({done} batches trained "
            "in all).",
            ("read its list endlessly (itertools.cycle(...) in place of the list it loops over)"
             if var == "the generator expression" else "loop the generator forever (put its loop inside `while True:`)")
            + ", or "
            + (f"set steps_per_epoch={n // epochs} so {epochs} epochs fit in its {n} batches" if n >= epochs else
               f"set steps_per_epoch=1, epochs={n} so the epochs fit in its {n} batches")
            + ", or pass a keras.utils.PyDataset / tf.data.Dataset that Keras restarts each epoch.",
        )]
    made = _assignment(getattr(model, "_kernest_script", None), var)
    repeat = f"{var} = {ast.unparse(made)}.repeat()" if made is not None else f"{var} = {var}.repeat()"
    endless = f"make the data endless with .repeat(): {repeat}; or " if hasattr(data, "element_spec") else ""
    return [Finding(
        model.name, f"data -> {model.name}",
        f"fit asks for steps_per_epoch={steps} x epochs={epochs} = {steps * epochs} batches, and {var} gives {n} per "
        f"pass: the input runs out in {short} of {epochs} epochs, Keras only warns and cuts those epochs short "
        f"({done} batches trained in all).",
        f"{endless}set steps_per_epoch={n} (one pass per epoch), or leave steps_per_epoch out.",
    )]


def _no_epoch_runs(model: Any) -> list[Finding]:
    """fit(epochs=e, initial_epoch=i) trains epochs i .. e-1: ``epochs`` is the index to stop at, not a count.
    With i >= e (a resumed run given the number of epochs still to do) no epoch runs: fit returns at once with an
    empty history and the weights unchanged, and Keras says nothing."""
    epochs, first = getattr(model, "_kernest_epochs", None) or (None, None)
    if not isinstance(epochs, int) or not isinstance(first, int) or first < epochs:
        return []
    return [Finding(
        model.name, f"{model.name} -> fit",
        f"fit(epochs={epochs}, initial_epoch={first}) trains the epochs from {first} up to {epochs}, and there are "
        f"none: Keras reads epochs as the epoch to stop at, not as a number of epochs, so nothing trains and the "
        "history is empty.",
        f"to train {epochs} more epochs after epoch {first}, pass epochs={first + epochs} "
        f"(fit(..., epochs={first + epochs}, initial_epoch={first})).",
    )]


def sets_learning_rate(callback: Any) -> bool:
    """Whether a callback assigns the optimizer's learning rate: Keras' ReduceLROnPlateau and
    LearningRateScheduler, or a user's callback whose source assigns ``....learning_rate =`` (or ``.lr =``)."""
    if isinstance(callback, (keras.callbacks.ReduceLROnPlateau, keras.callbacks.LearningRateScheduler)):
        return True
    if type(callback).__module__.startswith("keras"):
        return False
    parsed = _parsed_function(type(callback), kind=ast.ClassDef)
    return parsed is not None and any(isinstance(t, ast.Attribute) and t.attr in ("learning_rate", "lr")
                                      for node in ast.walk(parsed[0]) if isinstance(node, ast.Assign)
                                      for t in node.targets)


def first_rate(schedule: Any) -> float:
    """The learning rate a LearningRateSchedule starts at."""
    rate = getattr(schedule, "initial_learning_rate", None)
    if rate is None:
        rate = keras.ops.convert_to_numpy(schedule(0))
    return float(f"{float(rate):.6g}")  # a float32 step value printed as the user wrote it: 0.05, not 0.0500000007


def schedule_fix(optimizer: Any, callback: str) -> str:
    """The optimizer rebuilt on a float rate (the schedule's first one), which ``callback`` can change."""
    rate = first_rate(optimizer._learning_rate)
    return (f"build the optimizer on a float rate, keras.optimizers.{type(optimizer).__name__}(learning_rate={rate!r}) "
            f"(the schedule's first rate), which {callback} can change; or keep the schedule and drop {callback}.")


def _rate_set_on_a_schedule(model: Any) -> list[Finding]:
    """An optimizer built on a LearningRateSchedule computes its rate from the step: Keras refuses to set it. A
    callback that sets it (ReduceLROnPlateau, LearningRateScheduler) fails at the first epoch it acts on, often
    not the first one: ``check``'s one-step run does not reach it."""
    optimizer = getattr(model, "optimizer", None)
    schedule = getattr(optimizer, "_learning_rate", None)
    if not isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
        return []
    out = []
    for callback in getattr(model, "_kernest_callbacks", None) or []:
        if not sets_learning_rate(callback):
            continue
        kind = type(callback).__name__
        out.append(Finding(
            model.name, f"optimizer -> {kind}",
            f"{model.name}'s {type(optimizer).__name__} optimizer takes its learning rate from a "
            f"{type(schedule).__name__} schedule, and the {kind} callback sets the learning rate: Keras refuses "
            "(\"its learning rate is not settable\") at the first epoch the callback acts on.",
            schedule_fix(optimizer, kind), fails=True, expected="a float learning rate it can set",
            received=f"a {type(schedule).__name__} schedule",
        ))
    return out


def _schedule_not_a_float(model: Any) -> list[Finding]:
    """A LearningRateScheduler's function must return a Python or NumPy float for every epoch fit runs; a tensor
    (``lr * tf.math.exp(-0.1)``, as older docs wrote it) or None (a path without ``return``) stops fit at that
    epoch. The function is called here for each epoch of the user's fit, as the callback would."""
    import numpy as np

    epochs, first = getattr(model, "_kernest_epochs", None) or (None, None)
    optimizer = getattr(model, "optimizer", None)
    if not isinstance(epochs, int) or optimizer is None:
        return []
    out = []
    for callback in getattr(model, "_kernest_callbacks", None) or []:
        if not isinstance(callback, keras.callbacks.LearningRateScheduler):
            continue
        try:
            rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
        except (TypeError, ValueError):
            continue
        for epoch in range(first or 0, min(epochs, 1000)):
            try:
                try:
                    got = callback.schedule(epoch, rate)
                except TypeError:  # the old one-argument form, as Keras calls it
                    got = callback.schedule(epoch)
            except Exception:  # noqa: BLE001 - the user's function failed on its own: not this rule
                break
            if isinstance(got, (float, np.float32, np.float64)):
                rate = float(got)
                continue
            out.append(schedule_finding(model, callback.schedule, epoch, got))
            break
    return out


def schedule_finding(model: Any, fn: Any, epoch: int, got: Any, shown: str | None = None) -> Finding:
    """The finding for a LearningRateScheduler function ``fn`` that returned ``got`` (not a float) for ``epoch``
    (``shown``: how to print it, where only Keras' message has it)."""
    name = getattr(fn, "__name__", "schedule")
    parsed = _parsed_function(fn)  # a lambda has no return statement to rewrite
    returns = [r.value for r in ast.walk(parsed[0]) if isinstance(r, ast.Return) and r.value is not None] \
        if parsed is not None else []
    what = "None (no return on that path)" if got is None else shown or f"a {type(got).__name__} ({got})"
    if got is None:
        fix = f"end {name} with a return of a float on every path, e.g. `return lr` as its last line."
    else:
        wrapped = [f"return float({ast.unparse(r)})" for r in returns
                   if not (isinstance(r, (ast.Name, ast.Constant))
                           or (isinstance(r, ast.Call) and getattr(r.func, "id", "") == "float"))]
        fix = (f"make {name} return a Python float: " + "; ".join(wrapped) + "." if wrapped
               else f"make {name} return a Python float (wrap its value in float(...)).")
    return Finding(
        model.name, f"{name} -> LearningRateScheduler",
        f"the LearningRateScheduler function {name} returns {what} for epoch {epoch}; Keras 3 takes only a float "
        f"and stops fit there (\"The output of the `schedule` function should be a float\").",
        fix, fails=True, expected="a float for every epoch", received=f"{what} for epoch {epoch}",
    )


def _float16_output(model: Any) -> list[Finding]:
    """Under a mixed precision policy ("mixed_float16"/"mixed_bfloat16") a layer that makes a model output also
    computes in 16 bits: its probabilities (softmax, sigmoid) lose precision and the loss reads them as they
    are, which Keras' mixed-precision guide warns about. The output layer should compute in float32. The
    probabilities are looked for behind the output too: inside nested models (graph or subclassed, the outer
    model subclassed too) and behind weightless layers after them (a Flatten, a float32 cast) that pass their
    16-bit digits on to the loss unchanged."""
    out: list[Finding] = []
    if getattr(model, "loss", None) is None:
        return out  # not trained here: a float16 output read by the user's own code is their choice
    tensors = list(getattr(model, "outputs", None) or [])
    ends = [(_probabilities_behind(t), output_layer(t)) for t in tensors] or [
        (_last_weighted(model, ""),) * 2]  # a subclassed model: no outputs to follow, its last layer with weights
    for i, ((layer, path), (last, _)) in enumerate(ends):
        if layer is None or not _squashing(layer):
            layer, path = last, _
        if layer is None or isinstance(layer, keras.Model):
            continue
        compute = str(getattr(getattr(layer, "dtype_policy", None), "compute_dtype", "float32"))
        if compute not in ("float16", "bfloat16"):
            continue
        policy = getattr(layer.dtype_policy, "name", compute)
        made = _constructor_text(model, layer)
        fixed = (made[:-1].rstrip().rstrip(",") + ', dtype="float32")') if made else \
            f'{type(layer).__name__}(..., name="{layer.name}", dtype="float32")'
        through = "" if last is layer or last is None else (
            f", through {last.name} (which cannot give back the digits already lost)")
        role = "the layer that makes output" if last is layer else "whose probabilities make output"
        out.append(Finding(
            path or layer.name, f"{layer.name} -> loss",
            f"under the {policy} policy, {layer.name} ({role} {i}) computes in {compute}, so its "
            f"{_squashing(layer) or 'output'} reaches the loss with {compute}'s precision (3 significant digits for "
            f"float16){through}; nothing fails, the loss and its gradients are coarse and can overflow.",
            f"let {layer.name} compute in float32 (the rest stays mixed): {fixed}.",
        ))
    return out


def _probabilities_behind(tensor: Any) -> tuple[Any, str]:
    """The softmax/sigmoid layer that makes ``tensor``'s values, looking through weightless layers (reshapes,
    casts) and into nested models; (None, "") when a layer with weights or nothing squashing comes first."""
    for lay, path, _ in producer_chain(tensor):
        if isinstance(lay, keras.Model):
            if _is_graph_model(lay):
                continue  # producer_chain steps inside it next
            return _last_weighted(lay, path)
        if _squashing(lay) or lay.weights:
            return (lay, path) if _squashing(lay) else (None, "")
    return None, ""


def _last_weighted(model: Any, path: str) -> tuple[Any, str]:
    """Inside a subclassed ``model``: its last layer holding weights, in the order its attributes made them."""
    inner = [(p, sub) for p, sub in _leaves(model) if sub.weights]
    if not inner:
        return None, ""
    return inner[-1][1], f"{path}/{inner[-1][0]}" if path else inner[-1][0]


def _constructor_text(model: Any, layer: Any) -> str | None:
    """The user's own ``layers.Dense(...)`` call that made ``layer`` (found by its name= in the script)."""
    parsed = _parsed_script(getattr(model, "_kernest_script", None))
    if parsed is None:
        return None
    source, tree = parsed
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and any(k.arg == "name" and isinstance(k.value, ast.Constant)
                                              and k.value.value == layer.name for k in node.keywords):
            return ast.get_source_segment(source, node)
    return None


# --- losses, Lambdas and normalisation axes as the user set them up (kernest/_lint_setup.py) -------------------

def _setup_findings(model: Any) -> list[Finding]:
    from kernest._lint_setup import setup_findings

    return setup_findings(model)


# --- steps or axes in the wrong order: a go_backwards sequence, a Reshape as a transpose (kernest/_lint_order.py) ---

def _order_findings(model: Any) -> list[Finding]:
    from kernest._lint_order import order_findings

    return order_findings(model)


# --- NaN in the data fit is given, a clone_model copy used before it has weights (kernest/_lint_values.py) ------

def _wiring_findings(model: Any) -> list[Finding]:
    from kernest._lint_wiring import wiring_findings

    return wiring_findings(model)


def _boundary_findings(model: Any) -> list[Finding]:
    from kernest._lint_boundary import boundary_findings

    return boundary_findings(model)


def _protocol_findings(model: Any) -> list[Finding]:
    from kernest._lint_protocol import protocol_findings

    return protocol_findings(model)


def _sparse_loss_over_a_map(model: Any) -> list[Finding]:
    from kernest._explain_torch_loss import sparse_loss_findings

    return sparse_loss_findings(model)


def _constants_from_weights(model: Any) -> list[Finding]:
    from kernest._lint_constants import constants_from_weights

    return constants_from_weights(model)


def _values_findings(model: Any) -> list[Finding]:
    from kernest._lint_values import values_findings

    return values_findings(model)


# --- unscaled pixels, a LayerNormalization across steps, a Masking mask dropped (kernest/_lint_silent.py) -------

def _silent_findings(model: Any, data: Any) -> list[Finding]:
    from kernest._lint_silent import silent_findings

    return silent_findings(model, data)


# --- a step function between trainable layers (kernest/_lint_gradient.py) -------------------------------------

def _step_between_layers(model: Any) -> list[Finding]:
    from kernest._lint_call_steps import call_step_finding, call_steps
    from kernest._lint_gradient import step_finding, steps_without_gradient

    return ([Finding(*step_finding(step, killed)) for step, killed in steps_without_gradient(model)]
            + [Finding(*call_step_finding(*found)) for found in call_steps(model)])


def _inplace_in_call(model: Any) -> list[Finding]:
    """``ait *= mask`` on the output of an op whose backward pass reads that output (exp, sigmoid, tanh...), in a
    user's call(): on PyTorch the in-place change breaks the gradient (training fails); TensorFlow and JAX make a
    new tensor. One finding per user class, at its first path."""
    from kernest._lint_gradient import inplace_finding

    return inplace_finding(model)


def _numpy_in_lambda(model: Any) -> list[Finding]:
    from kernest._lint_gradient import numpy_lambda_findings

    return numpy_lambda_findings(model)


# --- a layer created inside call() ----------------------------------------------------------------------------

@dataclass(frozen=True)
class MadeInCall:
    """A Keras layer a user's ``call`` constructs each time it runs: its class, the user's constructor text, the
    arguments it is called on, and the attribute name to keep it under instead. ``via``: the user's helper that
    makes it (``Highway._transform``, ``pre_norm -> _normalize``), called from call; empty when call does."""
    owner: str
    kind: str
    ctor: str
    args: str
    attr: str
    via: str = ""


_Def = TypeVar("_Def", ast.FunctionDef, ast.ClassDef)


def _parsed_function(fn: Any, kind: type[_Def] = ast.FunctionDef) -> tuple[_Def, str] | None:  # type: ignore[assignment]
    """A function's def (or a class's, ``kind=ast.ClassDef``) parsed from its source, and its dedented text; None
    where the source cannot be read."""
    try:
        text = textwrap.dedent(inspect.getsource(fn))
        node = ast.parse(text).body[0]
    except (OSError, TypeError, SyntaxError, IndexError):
        return None
    return (node, text) if isinstance(node, kind) else None


def _users_helpers(fn: ast.FunctionDef, klass: type, names: dict[str, Any]) -> list[tuple[str, Any]]:
    """The user's own functions ``fn`` calls: methods of ``klass`` (``self._transform(x)``) and functions of the
    user's module (``pre_norm(x)``), with the names they are called by. Keras' and other libraries' are left out."""
    found: list[tuple[str, Any]] = []
    for node in ast.walk(fn):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
            target, label = inspect.getattr_static(klass, func.attr, None), f"{klass.__name__}.{func.attr}"
        elif isinstance(func, ast.Name):
            target, label = names.get(func.id), func.id
        else:
            continue
        target = getattr(target, "__func__", target)  # a staticmethod or classmethod
        module = getattr(target, "__module__", None) or ""
        if inspect.isfunction(target) and not module.startswith(("keras", "kernest", "tensorflow", "jax", "torch",
                                                                  "numpy")) and all(t is not target for _, t in found):
            found.append((label, target))
    return found


def helpers_with_arguments(fn: ast.FunctionDef, klass: type, names: dict[str, Any], calls: dict[str, list[Any]],
                           keep: Any = lambda arg: True) -> list[tuple[str, Any, tuple[Any, str], dict[str, Any]]]:
    """``_users_helpers`` of ``fn``, each with its parsed def and what ``fn`` passes it: ``calls`` maps a helper's
    name to the arguments of its call (a reader's own values), paired with the helper's parameters (``self`` left
    out of a method's) where ``keep`` takes them."""
    out = []
    for label, helper in _users_helpers(fn, klass, names):
        parsed = _parsed_function(helper)
        if parsed is None:
            continue
        params = [a.arg for a in parsed[0].args.args]
        params = params[1:] if label.startswith(f"{klass.__name__}.") else params
        args = calls.get(label.rsplit(".", 1)[-1], [])
        out.append((label, helper, parsed, {p: args[k] for k, p in enumerate(params) if k < len(args) and keep(args[k])}))
    return out


def layer_made_in_call(cls: type) -> MadeInCall | None:
    """The first Keras layer built inside ``cls.call`` (or a user's base class's call) and called there, either
    at once (``layers.Dense(8)(x)``) or through a local name (``norm = layers.LayerNormalization(); norm(x)``):
    each call makes new weights that the model never tracks, saves or trains. Read from the source, following
    the user's own helpers call() calls (methods of the class, functions of its module) two levels down."""
    for klass in cls.__mro__:
        if klass.__module__.startswith(("keras", "kernest", "builtins")):
            return None
        if "call" not in klass.__dict__:
            continue
        parsed = _parsed_function(klass.__dict__["call"])
        if parsed is None:
            return None
        todo = [(parsed, getattr(klass.__dict__["call"], "__globals__", {}), "")]
        for depth in range(3):
            later = []
            for (fn, text), names, via in todo:
                made = _made_in(fn, text, names, klass.__name__, via)
                if made is not None:
                    return made
                if depth < 2:
                    for label, helper in _users_helpers(fn, klass, names):
                        inner = _parsed_function(helper)
                        if inner is not None:
                            later.append((inner, getattr(helper, "__globals__", names),
                                          f"{via} -> {label}" if via else label))
            todo = later
    return None


def _made_in(fn: ast.FunctionDef, text: str, names: dict[str, Any], owner: str, via: str) -> MadeInCall | None:
    """The first Keras layer with weights that ``fn`` constructs and calls (see ``layer_made_in_call``)."""
    locals_: dict[str, ast.Call] = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and isinstance(node.value, ast.Call) and _keras_layer_class(node.value.func, names) is not None:
            locals_[node.targets[0].id] = node.value
    for node in ast.walk(fn):
        if not isinstance(node, ast.Call):
            continue
        made = node.func if isinstance(node.func, ast.Call) else (
            locals_.get(node.func.id) if isinstance(node.func, ast.Name) else None)
        kind = _keras_layer_class(made.func, names) if isinstance(made, ast.Call) else None
        if made is None or kind is None or _weightless(kind):
            continue  # a Dropout or Flatten made per call holds nothing to lose
        return MadeInCall(
            owner, kind.__name__, ast.get_source_segment(text, made) or ast.unparse(made),
            ", ".join(ast.get_source_segment(text, a) or ast.unparse(a) for a in node.args),
            snake_case(kind.__name__), via)
    return None


_WEIGHTLESS = tuple(f"keras.src.layers.{m}." for m in (
    "pooling", "merging", "reshaping", "regularization", "core.identity", "core.lambda_layer", "core.masking"))


def _weightless(kind: type) -> bool:
    """A Keras layer class that makes no weights (pooling, merging, reshaping, dropout, activations but PReLU)."""
    module = kind.__module__ + "."
    return module.startswith(_WEIGHTLESS) or (
        module.startswith("keras.src.layers.activations.") and kind is not keras.layers.PReLU)


def _keras_layer_class(node: ast.AST, names: dict[str, Any]) -> type | None:
    """``layers.Dense`` / ``L.Dense`` / ``Dense`` as the Keras layer class it names in the user's module (its
    ``names``, the call's globals), or None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.insert(0, node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    found = names.get(node.id)
    for part in parts:
        found = getattr(found, part, None)
    return found if isinstance(found, type) and issubclass(found, keras.layers.Layer) else None


def made_in_call_fix(made: MadeInCall) -> str:
    maker = f"{made.owner}.call" + (f" (through {made.via})" if made.via else "")
    if not made.via:
        use = f"call it in call: self.{made.attr}({made.args})"
    elif made.via.startswith(f"{made.owner}.") and " -> " not in made.via:
        use = f"call it in {made.via.split('.', 1)[1]}: self.{made.attr}({made.args})"
    else:
        use = (f"use it where {made.via.rsplit(' -> ', 1)[-1]} makes one: self.{made.attr}({made.args}) in "
               f"{made.owner}.call, or pass the layer to the helper")
    shaped = re.sub(rf"\b{re.escape(made.args)}\.shape\b", "input_shape", made.ctor) if made.args.isidentifier() \
        else made.ctor
    where = (f"{made.owner}.build(self, input_shape): self.{made.attr} = {shaped} (it reads the input's shape)"
             if shaped != made.ctor else
             f"{made.owner}.__init__: self.{made.attr} = {made.ctor} after super().__init__(...)")
    return (f"{maker} makes a new {made.kind} (new weights) each time it runs, which the model never "
            f"tracks, saves or trains (TensorFlow's compiled step refuses the new variables; JAX and PyTorch train "
            f"without them). Make it once in {where}, and {use}.")


def _layers_made_in_call(model: Any) -> list[Finding]:
    """A user's layer (or nested subclassed model) whose ``call`` constructs a Keras layer: on TensorFlow the
    compiled step fails (``explain`` reads that error), on JAX and PyTorch it runs and the layer's weights are
    made anew, untrained, at every call. One finding per user class, at its first path."""
    out, seen = [], set()
    for path, layer in [("", model)] + [(e.path, e.layer) for e in walk(model, shapes=False)]:
        cls = type(layer)
        if cls in seen:
            continue
        seen.add(cls)
        made = layer_made_in_call(cls)
        if made is None:
            continue
        out.append(Finding(
            path or layer.name, f"{layer.name}.call -> {made.kind}",
            f"{made.ctor} is made anew at every call of {made.owner}.call ({layer.name})"
            + (f", in {made.via}" if made.via else "") + ": its weights are never "
            "part of the model.", made_in_call_fix(made),
        ))
    return out


# --- a custom layer whose compute_output_shape says another shape than its call gives ---------------------------

def _output_shape_declared_wrong(model: Any) -> list[Finding]:
    """Keras builds the model after a custom layer from the shape its compute_output_shape declares; where call()
    gives another, the summary, kernest's interfaces and every layer built from them see the wrong shape, even
    where nothing fails yet (a Dense reads only the last axis)."""
    from kernest._explain_custom import consumer_of, declared_vs_real, shape_expr

    out = []
    for path, layer in users_classes(model):
        if not path or "compute_output_shape" not in type(layer).__dict__:
            continue
        try:
            lie = declared_vs_real(layer)
        except Exception:  # a layer that cannot run on zeros is not this rule's to judge
            continue
        if lie is None:
            continue
        declared, real, in_shape = lie
        out.append(Finding(
            path, f"{path.split('/')[0]} -> {consumer_of(model, path.split('/')[0]) or 'output'}",
            f"{type(layer).__name__}.compute_output_shape says {format_shape(declared)}, but call() returns "
            f"{format_shape(real)}: Keras built the layers after {layer.name} (and the summary shows them) for the "
            "declared shape, so a layer that reads another axis fails or reads the wrong one.",
            f"make compute_output_shape return what call gives: return {shape_expr(in_shape, real)}.",
        ))
    return out


# --- a declared input that no layer reads --------------------------------------------------------------------

def _inputs_read_by_nothing(model: Any) -> list[Finding]:
    """An Input of ``model`` (or of a model nested in it) that no call of its graph reads and that is not an
    output: the data given for it is taken and ignored, so the model learns without it."""
    from kernest._graph import graph_calls, graph_inputs

    out = []
    for path, m in _models(model):
        inputs = graph_inputs(m) if _is_graph_model(m) else None
        if not inputs or len(inputs) < 2:
            continue
        read = {id(t) for c in graph_calls(m) or [] for t in c.inputs}
        read |= {id(t) for t in keras.tree.flatten(m.outputs)}
        used = [t for t in inputs if id(t) in read]
        for t in inputs:
            if id(t) in read or not used:
                continue
            name = getattr(producer(t), "name", "?")
            others = ", ".join(str(getattr(producer(u), "name", "?")) for u in used)
            out.append(Finding(
                "/".join(p for p in (path, name) if p), f"input:{name} -> {m.name}",
                f"{m.name}'s input {name} {format_shape(tuple(t.shape))} is read by no layer of {m.name}: the data "
                f"given for it is taken and ignored, and {m.name} learns from {others} only.",
                f"join it with what the model reads (e.g. keras.layers.Concatenate()([{others}, {name}]) where they "
                f"meet), or drop it from {m.name}'s inputs and from the data.",
            ))
    return out


# --- branches merged along the batch axis --------------------------------------------------------------------

def batch_axis_merges(model: Any) -> list[tuple[str, Any, list[str]]]:
    """``(path, layer, names of what it merges)`` for each Concatenate in ``model`` at any depth whose axis is the
    batch axis (0): it joins the samples of its inputs, not their features."""
    found = []
    for path, sub in _models(model):
        for call in calls(sub):
            layer = call.layer
            axis = getattr(layer, "axis", None)
            shape = tuple(call.data_inputs[0].shape) if call.data_inputs else ()
            if not isinstance(layer, keras.layers.Concatenate) or not isinstance(axis, int) or not shape:
                continue
            if axis % len(shape) != 0:
                continue
            names = [str(getattr(producer(t), "name", "?")) for t in call.data_inputs]
            found.append(("/".join(p for p in (path, str(layer.name)) if p), layer, names))
    return found


def merge_fix(names: list[str], shapes: list[tuple[Any, ...]]) -> str:
    widths = [sh[-1] for sh in shapes]
    joined = sum(widths) if shapes and all(isinstance(w, int) for w in widths) else None
    given = (f", giving {format_shape((None, *shapes[0][1:-1], joined))}" if joined else "")
    return f"join them along their features: keras.layers.Concatenate(axis=-1)([{', '.join(names)}]){given}."


def _merged_along_the_batch(model: Any) -> list[Finding]:
    out = []
    for path, layer, names in batch_axis_merges(model):
        shapes = [tuple(t.shape) for t in call_inputs(layer)]
        out.append(Finding(
            path, f"{', '.join(names)} -> {layer.name}",
            f"{layer.name} (Concatenate, axis=0) joins {' and '.join(names)} along the batch axis: it stacks their "
            f"samples one after the other, so the model gives {len(names)} rows per sample and its outputs no longer "
            "line up with the labels.",
            merge_fix(names, shapes),
        ))
    return out


# --- softmax over one axis, a categorical loss reading another --------------------------------------------------

_CATEGORICAL = {"categoricalcrossentropy", "sparsecategoricalcrossentropy", "categoricalfocalcrossentropy"}  # no "_"


def _softmax_across_another_axis(model: Any) -> list[Finding]:
    """A Softmax over an axis other than the last at an output whose loss (a categorical cross-entropy) reads
    the last axis as the class probabilities: they do not sum to 1 there, and nothing fails."""
    out = []
    outputs = list(getattr(model, "outputs", None) or [])
    for i, t in enumerate(outputs):
        layer = producer(t)
        if layer is None:
            continue
        axis = _softmax_axis(layer)
        shape = tuple(t.shape)
        if axis is None or len(shape) < 3 or axis % len(shape) == len(shape) - 1:
            continue
        loss = loss_of(model, i)
        name = _loss_name(loss) if loss is not None else ""
        if name.replace("_", "") not in _CATEGORICAL:
            continue
        size = shape[axis]
        out.append(Finding(
            find_layer(model, layer) or layer.name, f"{layer.name} -> loss",
            f"{layer.name} (Softmax, axis={axis}) normalises over axis {axis % len(shape)} ({size} entries) of "
            f"{tuple(shape)}, but {name} reads the last axis ({shape[-1]} classes) as the probabilities: they do "
            "not sum to 1 there, so the loss and the accuracy are wrong while nothing fails.",
            "normalise over the classes: keras.layers.Softmax() (axis=-1), or give the Dense before it "
            'activation="softmax".',
        ))
    return out


# --- what a user's call() computes and then drops -----------------------------------------------------------------

@dataclass(frozen=True)
class Dropped:
    """``feats = self.backbone(x)`` in a user's call() and ``feats`` never read again."""

    cls: str
    var: str
    attr: str
    statement: str
    rewrite: str | None  # a later statement that reads the same input, rewritten to read ``var`` instead


def dropped_outputs(layer: Any) -> list[Dropped]:
    """The sublayer outputs a user's layer or model computes in call() and never uses."""
    parsed = _parsed_function(type(layer).__dict__.get("call"))
    if parsed is None:
        return []
    fn, text = parsed
    statements = [n for n in ast.walk(fn) if isinstance(n, ast.stmt) and n is not fn]
    loads = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    out = []
    for st in statements:
        if not (isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name)
                and isinstance(st.value, ast.Call) and isinstance(st.value.func, ast.Attribute)
                and isinstance(st.value.func.value, ast.Name) and st.value.func.value.id == "self"):
            continue
        var, attr = st.targets[0].id, st.value.func.attr
        if not isinstance(getattr(layer, attr, None), keras.layers.Layer) or var in loads:
            continue
        given = ast.unparse(st.value.args[0]) if st.value.args else None
        rewrite = None
        for later in statements:
            if later.lineno <= st.lineno or given is None:
                continue
            for call in ast.walk(later):
                if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.args
                        and isinstance(call.func.value, ast.Name) and call.func.value.id == "self"
                        and ast.unparse(call.args[0]) == given and call.func.attr != attr):
                    seg = ast.get_source_segment(text, call) or ast.unparse(call)
                    rewrite = seg.replace(f"({given}", f"({var}", 1)
                    break
            if rewrite:
                break
        out.append(Dropped(type(layer).__name__, var, attr, ast.get_source_segment(text, st) or ast.unparse(st),
                           rewrite))
    return out


def dropped_text(d: Dropped) -> tuple[str, str]:
    """(problem, fix) for a dropped sublayer output."""
    problem = (f"{d.cls}.call computes `{d.statement}` and never reads {d.var}: {d.attr}'s output does not reach "
               f"what call returns, so {d.attr} gets no gradient and is trained by nothing.")
    fix = (f"read {d.var} where it was meant: `{d.rewrite}`" if d.rewrite else f"use {d.var} in what call returns")
    return problem, fix + (f" (or drop self.{d.attr} if it is not needed)." if d.rewrite else ".")


def users_classes(model: Any) -> list[tuple[str, Any]]:
    """``model`` (path '') and every layer in it whose class the user wrote, with paths."""
    every = [("", model), *((e.path, e.layer) for e in walk(model, shapes=False))]
    return [(path, layer) for path, layer in every if not type(layer).__module__.startswith(("keras", "kernest"))]


def _dropped_in_call(model: Any) -> list[Finding]:
    out = []
    for path, layer in users_classes(model):
        for d in dropped_outputs(layer):
            problem, fix = dropped_text(d)
            sub = getattr(layer, d.attr)
            out.append(Finding("/".join(p for p in (path, str(sub.name)) if p), f"{sub.name} -> {d.var}", problem, fix))
    return out


def _training_fixed_in_call(model: Any) -> list[Finding]:
    """``self.drop(h, training=True)`` in a user's call(): the sublayer stays in training mode at predict and
    evaluate too (the functional form is ``_training_fixed``)."""
    out = []
    for path, layer in users_classes(model):
        parsed = _parsed_function(type(layer).__dict__.get("call"))
        if parsed is None:
            continue
        fn, text = parsed
        takes = any(a.arg == "training" for a in fn.args.args + fn.args.kwonlyargs)
        for node in ast.walk(fn):
            flag = next((k for k in getattr(node, "keywords", []) if k.arg == "training"), None)
            if not (isinstance(node, ast.Call) and flag is not None and isinstance(flag.value, ast.Constant)
                    and flag.value.value is True and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "self"):
                continue
            sub = getattr(layer, node.func.attr, None)
            inner = [leaf for _, leaf in _leaves(sub)] if isinstance(sub, keras.Model) else [sub]
            affected = [str(x.name) for x in inner if isinstance(x, _TRAINING_ONLY)]
            if not affected:
                continue
            seg = ast.get_source_segment(text, node) or ast.unparse(node)
            fixed = seg.replace(ast.get_source_segment(text, flag) or "training=True", "training=training")
            where = "/".join(p for p in (path, str(getattr(sub, "name", node.func.attr))) if p)
            out.append(Finding(
                where, f"{layer.name} -> {getattr(sub, 'name', node.func.attr)}",
                f"{type(layer).__name__}.call runs `{seg}`: training=True is fixed, so predict and evaluate also run "
                f"{', '.join(affected)} in training mode, and the same input gives different predictions.",
                f"pass the flag through: `{fixed}`" + ("" if takes else ", with call(self, ..., training=None)")
                + " (Keras sets it to True in fit and False in predict; keep True only for Monte Carlo dropout).",
            ))
    return out


def _nothing_to_train(model: Any) -> list[Finding]:
    """A model every weight of which is frozen, trained by fit: it runs, and updates nothing (a model compiled only
    to be evaluated is left alone)."""
    if getattr(model, "train_function", None) is None or not model.weights or model.trainable_weights:
        return []
    from kernest._cut_graph import cuts, scope_models

    if cuts(model, scope_models(model)):  # built on another model's output: _cut_graph says why nothing trains
        return []
    weighted = [p for p, layer in _leaves(model) if layer.weights]
    last = weighted[-1] if weighted else ""
    var = user_name(model)
    frozen = [step for step, sub in children(model) if sub.weights and not sub.trainable]
    return [Finding(
        frozen[0] if frozen else model.name, f"{var} -> optimizer",
        f"every weight of {model.name} is frozen ({len(model.weights)} weights"
        + (f"; {', '.join(frozen)} set trainable=False" if frozen else "") + "): fit runs its epochs and updates "
        "nothing, so the loss never moves.",
        f'unfreeze what should learn, e.g. its last layer: kernest.unfreeze({var}, "{last}", recompile=True), or put '
        f"a trainable head after the frozen part.",
    )]
