"""``over(axis, inner)``: apply an inner model to every element along a named axis.

``over("words", char_cnn)`` maps ``(batch, words, chars)`` to ``(batch, words, features)``. Unlike
``keras.layers.TimeDistributed`` it

- folds the leading axes into the batch, ``(batch*words, chars)``, runs ``inner`` once and unfolds,
  instead of a Python loop per step when the axis has a fixed length;
- gives the outer model a mask over the mapped axis: an element whose entries are all zero (a padded
  word) is masked, and an incoming mask is carried across the boundary. So an outer LSTM skips padding;
- computes only the real elements (``skip_padding``): it gathers the unmasked elements of the folded
  batch, runs ``inner`` on those and scatters the results back, zeros where the mask is False. Half the
  words padded is half the work. This needs run-time shapes, so it is on by default on TensorFlow (outside
  XLA) and PyTorch, and off on JAX, whose ``jit`` needs static shapes;
- computes each distinct element once (``dedupe``): where the elements are integer ids (the characters of
  a word, the pieces of a token), equal elements give equal outputs, so ``inner`` runs on the distinct
  ones and each result is copied to every place it occurs. Text repeats its words: a batch of 256 tweets
  has about a quarter as many distinct words as real ones. Same conditions as ``skip_padding``, on a CPU
  by default (GPUs were not measured); in training only when ``inner`` is made of Keras' (or kernest's)
  layers with nothing random or batch-wide (dropout, noise, BatchNormalization, an activity regularizer),
  whose result would change.
"""

from __future__ import annotations

import inspect
from typing import Any

import keras
from keras import ops

from kernest._axes import Axes, Shape, axes_of, mapped_axes, register_axis_rule
from kernest._errors import InterfaceError, KernestError


def child_shape(shape: Shape, k: int) -> Shape:
    """Shape one element has inside the inner model: the axes after ``k`` with a fresh batch axis.

    Example:
        >>> child_shape((None, 20, 16), 1)
        (None, 16)
    """
    return (None,) + tuple(shape[k + 1 :])


def is_mapper(layer: Any) -> bool:
    """A wrapper that applies its layer to every element along leading axes (``over``, ``TimeDistributed``)."""
    return isinstance(layer, (Over, keras.layers.TimeDistributed))


def mapped_axis(layer: Any) -> int:
    """The position (batch = 0) of the last axis a mapper folds into the batch: axes ``1..k`` are mapped
    over and the inner layer sees ``child_shape(shape, k)``. ``TimeDistributed`` maps axis 1; an ``over``
    whose axis is not resolved yet counts as 1.

    Example:
        >>> mapped_axis(keras.layers.TimeDistributed(keras.layers.Dense(2)))
        1
    """
    return int(layer.axis_index or 1) if isinstance(layer, Over) else 1


@keras.saving.register_keras_serializable(package="kernest")
class Over(keras.layers.Wrapper):
    """Applies ``self.layer`` to every element along one axis (see ``kernest.over``).

    Attributes:
        layer: the inner model or layer.
        axis: the axis as given, a name (``"words"``) or a position (1 = first non-batch axis).
        axis_index: the resolved position, set when first called on a named tensor.
        mask_padding: whether all-zero elements are masked for the layers after this one.
        skip_padding: whether ``inner`` runs on the unmasked elements only: ``None`` (default) where the
            backend allows run-time shapes (TensorFlow outside XLA, PyTorch), ``True`` always (an error
            under ``jax.jit`` or XLA), ``False`` never. Needs ``mask_padding``. Layers of ``inner`` that
            look across the batch (``BatchNormalization`` in training) then see the real elements only.
        dedupe: whether ``inner`` runs once per distinct element when it skips padding: ``None`` (default)
            on a CPU where the input is one integer tensor, in training only when ``inner`` is made of Keras' own
            layers with nothing random or batch-wide; ``True`` in training too; ``False`` never. Outputs and
            gradients are those of running every element (in training with ``True``, duplicates share
            their dropout noise).
    """

    def __init__(
        self,
        layer: keras.layers.Layer,
        axis: str | int = 1,
        axis_index: int | None = None,
        mask_padding: bool = True,
        skip_padding: bool | None = None,
        dedupe: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(layer, **kwargs)
        if skip_padding and not mask_padding:
            raise KernestError(
                f"over({axis!r}) got skip_padding=True with mask_padding=False: skipping padded elements "
                "changes their outputs to zeros, which only the mask makes safe. Keep mask_padding=True, or "
                "drop skip_padding."
            )
        self.axis = axis
        self.axis_index = axis_index if axis_index is not None else (axis if isinstance(axis, int) else None)
        self.mask_padding = mask_padding
        self.skip_padding = skip_padding
        self.dedupe = dedupe
        self._per_element: bool | None = None  # _acts_per_element(layer), found on first use
        params = inspect.signature(layer.call).parameters
        self._inner_takes_training = "training" in params or any(
            p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()
        )

    # --- axis resolution ---------------------------------------------------------------------------

    def resolve(self, axes: Axes, ndim: int) -> int:
        """Fix ``axis_index`` from the input's axis names, or from ranks where it has none; resolves nested
        ``Over`` too."""
        if self.axis_index is None:
            self.axis_index = self._index_of(axes, ndim)
        k = self.axis_index
        if not 1 <= k < ndim:
            raise KernestError(
                f"over({self.axis!r}) in layer {self.name!r}: axis {k} does not exist in an input of {ndim} "
                f"axes (batch included), or leaves nothing for the inner model. Map over an axis that has "
                "at least one axis after it."
            )
        if isinstance(self.layer, Over):
            self.layer.resolve(tuple(axes[k:]), ndim - k)
        return k

    def _index_of(self, axes: Axes, ndim: int) -> int:
        """The position of the named axis. An input without names (a ``keras.Input``, or the fresh input an
        unbuilt ``keras.Sequential`` builds on) maps every axis before the inner model's element."""
        if self.axis in axes:
            return axes.index(self.axis) + 1
        known = ", ".join(repr(a) for a in axes if a)
        if known:
            raise KernestError(
                f"over({self.axis!r}) in layer {self.name!r}: the input has no axis named {self.axis!r} (its "
                f"named axes: {known}). Map over one of those, or pass a position, e.g. over(1, inner) for "
                "the first non-batch axis."
            )
        rank = element_rank(self.layer)
        if rank is None:
            raise KernestError(
                f"over({self.axis!r}) in layer {self.name!r}: the input carries no axis names, and "
                f"{self.layer.name!r} declares no input rank, so which axis is {self.axis!r} is unknown. Name "
                "the axes with kernest.Input(shape, axes=(...)), give the inner model a keras.Input, or pass a "
                "position, e.g. over(1, inner) for the first non-batch axis."
            )
        if ndim - rank < 1:
            raise KernestError(
                f"over({self.axis!r}) in layer {self.name!r}: the input has {ndim} axes (batch included) and "
                f"{self.layer.name!r} takes {rank}, which leaves no axis to map over. Give over an input with "
                f"at least {rank + 1} axes."
            )
        return ndim - rank

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        first = keras.tree.flatten(inputs)[0]
        if self.axis_index is None or isinstance(self.layer, Over):
            self.resolve(axes_of(first) if _is_symbolic(first) else (None,) * (len(first.shape) - 1),
                         len(first.shape))
        if _is_symbolic(first):
            self._check_elements(inputs)
        return super().__call__(inputs, *args, **kwargs)

    def _check_elements(self, inputs: Any) -> None:
        """Raise ``InterfaceError`` when ``inner`` cannot take one element of ``inputs``: named, with axis names
        and a fix, instead of a Keras error from inside ``call``."""
        from kernest._check import _start, _Walker  # _check reads Over: imported here, not at the top

        if isinstance(inputs, dict):  # matched to the inner inputs by name, which the walk does not do
            return
        flat = keras.tree.flatten(inputs)
        walker = _Walker()
        try:
            walker.stage(self, _start(flat[0] if len(flat) == 1 else flat), "", self.name)
        except Exception:  # a layer the walk cannot follow: Keras' own call decides
            return
        if walker.mismatches:
            raise InterfaceError(walker.mismatches, context=f"over({self.axis!r}, {self.layer.name})")

    # --- shapes ------------------------------------------------------------------------------------

    def _k(self) -> int:
        if self.axis_index is None:
            raise KernestError(
                f"over({self.axis!r}) in layer {self.name!r} was used before its axis was resolved. "
                "Call it on a tensor made by kernest.Input(..., axes=...) first, or pass a position."
            )
        return self.axis_index

    def build(self, input_shape: Any = None) -> None:
        k = self._k()
        child = keras.tree.map_shape_structure(lambda s: child_shape(tuple(s), k), input_shape)
        if not self.layer.built:
            self.layer.build(child)
        self.built = True

    def compute_output_shape(self, input_shape: Any) -> Any:
        k = self._k()
        first = _first_shape(input_shape)
        lead = tuple(first[: k + 1])
        child = keras.tree.map_shape_structure(lambda s: child_shape(tuple(s), k), input_shape)
        out = self.layer.compute_output_shape(child)
        return keras.tree.map_shape_structure(lambda s: lead + tuple(s[1:]), out)

    # --- compute -----------------------------------------------------------------------------------

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        k = self._k()
        first = keras.tree.flatten(inputs)[0]
        lead = _dims(first, range(k + 1))

        def fold(x: Any) -> Any:  # (B, a1..ak, *rest) -> (B*a1*..*ak, *rest)
            return ops.reshape(x, [-1, *_dims(x, range(k + 1, len(x.shape)))])

        def unfold(y: Any) -> Any:  # (B*a1*..*ak, *out) -> (B, a1..ak, *out)
            return ops.reshape(y, [*lead, *_dims(y, range(1, len(y.shape)))])

        folded = keras.tree.map_structure(fold, inputs)
        kwargs: dict[str, Any] = {}
        if self._inner_takes_training and training is not None:
            kwargs["training"] = training
        keep = self._keep(inputs, mask) if self.mask_padding and self.skip_padding is not False else None
        if keep is not None and self._skips(keep):
            if self._dedupes(folded, training):
                outputs = self._call_on_distinct(folded, ops.reshape(keep, [-1]), kwargs)
            else:
                outputs = self._call_on_kept(folded, ops.reshape(keep, [-1]), kwargs)
        else:
            outputs = self.layer(folded, **kwargs)
        return keras.tree.map_structure(unfold, outputs)

    def _call_on_kept(self, folded: Any, keep: Any, kwargs: dict[str, Any]) -> Any:
        """``inner`` on the kept elements of the folded batch only; zeros for the others."""
        where = _kept_positions(keep)                                                # (m,), m >= kept
        kept = keras.tree.map_structure(lambda x: ops.take(x, where, axis=0), folded)  # (m, *rest)
        outputs = self.layer(kept, **kwargs)                                         # (m, *out)
        # Row of each element in [zeros; outputs]: 0 for a skipped element, 1..n for the kept ones in order.
        return _spread(outputs, ops.where(keep, ops.cumsum(ops.cast(keep, "int32")), 0))

    def _call_on_distinct(self, folded: Any, keep: Any, kwargs: dict[str, Any]) -> Any:
        """``inner`` once per distinct kept element of the folded integer batch; zeros for the others."""
        rows = ops.reshape(folded, [ops.shape(folded)[0], -1])                      # (N, entries)
        rows = ops.where(ops.expand_dims(keep, -1), rows, ops.zeros((), dtype=rows.dtype))  # skipped: one 0 row
        distinct, which = _distinct_rows(rows)                                      # (u, entries), (N,)
        u = ops.shape(distinct)[0]
        size = _rounded_rows(u, ops.shape(rows)[0])
        distinct = ops.take(distinct, ops.minimum(ops.arange(size), u - 1), axis=0)  # (m, entries), m >= u
        outputs = self.layer(ops.reshape(distinct, [-1, *_dims(folded, range(1, len(folded.shape)))]), **kwargs)
        return _spread(outputs, ops.where(keep, ops.cast(which, "int32") + 1, 0))

    def _dedupes(self, folded: Any, training: bool | None) -> bool:
        """Whether this call runs ``inner`` once per distinct element (see ``dedupe``)."""
        if self.dedupe is False or keras.tree.is_nested(folded):
            return False
        if not keras.backend.standardize_dtype(folded.dtype).startswith(("int", "uint")):
            return False
        if self.dedupe is None and not _on_cpu(folded):  # its speed was measured on CPUs only
            return False
        if not training or self.dedupe:
            return True
        if self._per_element is None:
            self._per_element = _acts_per_element(self.layer)
        return self._per_element

    def _skips(self, keep: Any) -> bool:
        """Whether this call runs ``inner`` on the kept elements only (see ``skip_padding``)."""
        if self.skip_padding is False:
            return False
        static = _needs_static_shapes(keep)
        if static and self.skip_padding:
            raise KernestError(
                f"over({self.axis!r}) in layer {self.name!r} has skip_padding=True, but runs under {static}, "
                "which needs static shapes; the number of real elements is known only at run time. Use "
                "skip_padding=None (the default: skips where it can) or False."
            )
        if static:
            return False
        return bool(self.skip_padding) or keras.backend.backend() in ("tensorflow", "torch")

    def _keep(self, inputs: Any, mask: Any) -> Any:
        """``(B, a1..ak)``: True for an element with a non-zero entry that the incoming mask keeps."""
        k = self._k()
        first = keras.tree.flatten(inputs)[0]
        reduce_axes = tuple(range(k + 1, len(first.shape)))
        keep = ops.any(ops.not_equal(first, ops.zeros((), dtype=first.dtype)), axis=reduce_axes)  # (B, a1..ak)
        incoming = keras.tree.flatten(mask)[0] if mask is not None else None
        if incoming is not None:
            incoming = ops.cast(incoming, "bool")
            if len(incoming.shape) > k + 1:
                incoming = ops.any(incoming, axis=tuple(range(k + 1, len(incoming.shape))))
            if len(incoming.shape) == k + 1:
                keep = ops.logical_and(keep, incoming)
        return keep

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if not self.mask_padding:
            return None
        keep = self._keep(inputs, mask)
        try:
            n_out = len(self.layer.outputs) if isinstance(self.layer, keras.Model) else 1
        except (AttributeError, ValueError):
            n_out = 1
        return keep if n_out == 1 else [keep] * n_out

    # --- config --------------------------------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(axis=self.axis, axis_index=self.axis_index, mask_padding=self.mask_padding,
                      skip_padding=self.skip_padding, dedupe=self.dedupe)
        return config


def _over_axes(layer: Over, in_axes: list[Axes], in_shapes: list[Shape], out_shape: Shape, index: int) -> Axes:
    """Names of an ``Over``'s output: the mapped axes, the last one named ``axis`` (also when it was found by
    rank on an unnamed input: it is named from here on), then the inner model's output axes."""
    k = mapped_axis(layer)
    out = mapped_axes(layer.layer, k, in_axes, in_shapes, out_shape, index)
    if isinstance(layer.axis, str):
        out = out[: k - 1] + (layer.axis,) + out[k:]
    return out


register_axis_rule(Over, _over_axes)


def element_rank(layer: Any) -> int | None:
    """Axes (batch included) of one element that ``layer`` takes, where it declares them; else ``None``.

    Example:
        >>> element_rank(keras.Sequential([keras.Input((16,)), keras.layers.Dense(8)]))
        2
    """
    if isinstance(layer, Over):
        inner = element_rank(layer.layer)
        return None if inner is None else inner + mapped_axis(layer)
    inputs = getattr(layer, "inputs", None) if isinstance(layer, keras.Model) else None
    if inputs:
        return len(keras.tree.flatten(inputs)[0].shape)
    return None


def _needs_static_shapes(x: Any) -> str | None:
    """What compiles the current call with static shapes (``jax.jit``, XLA), or ``None``."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return "jax.jit (or another JAX transformation of the inputs)" if isinstance(x, jax.core.Tracer) else None
    if backend == "tensorflow":
        import tensorflow as tf
        from tensorflow.python.ops import control_flow_util  # the XLA test Keras 2 used; no public one exists

        if control_flow_util.GraphOrParentsInXlaContext(tf.compat.v1.get_default_graph()):
            return "XLA (jit_compile=True)"
    return None


# The inner model runs on a multiple of this many elements (the kept ones, then repeats of the first element,
# whose outputs are dropped): a handful of batch sizes per epoch, so each shape's kernel set-up (oneDNN
# primitives) is paid once, and never an empty batch, which a global max-pool refuses.
_ROWS_STEP = 32


def _kept_positions(keep: Any) -> Any:
    """``(m,)`` positions of the True entries of ``(N,)`` ``keep`` in order, then zeros up to ``m``: the
    count rounded up to a multiple of ``_ROWS_STEP``, at least 1, at most ``N``."""
    where = ops.nonzero(keep)[0]                                                  # (n,)
    n = ops.shape(where)[0]
    size = _rounded_rows(ops.maximum(n, 1), ops.shape(keep)[0])
    padded = ops.concatenate([where, ops.zeros([1], dtype=where.dtype)])          # (n + 1,): a 0 at the end
    return ops.take(padded, ops.minimum(ops.arange(size), n))


def _rounded_rows(n: Any, total: Any) -> Any:
    """``n`` rounded up to a multiple of ``_ROWS_STEP``, at most ``total``."""
    return ops.minimum((n + _ROWS_STEP - 1) // _ROWS_STEP * _ROWS_STEP, total)


def _spread(outputs: Any, rows: Any) -> Any:
    """``(m, *out)`` outputs to ``(N, *out)``: element i gets row ``rows[i] - 1`` of the outputs, or zeros
    where ``rows[i]`` is 0. A gather, not a scatter: Keras's scatter is a Python loop on PyTorch; a gather
    is one op with a cheap gradient on every backend."""
    def spread(y: Any) -> Any:
        zero = ops.zeros([1, *_dims(y, range(1, len(y.shape)))], dtype=y.dtype)
        return ops.take(ops.concatenate([zero, y], axis=0), rows, axis=0)

    return keras.tree.map_structure(spread, outputs)


def _distinct_rows(rows: Any) -> tuple[Any, Any]:
    """The distinct rows of a 2-D integer tensor ``(N, d)`` and, for each row, its index among them."""
    if keras.backend.backend() == "torch":
        import torch

        distinct, which = torch.unique(rows, dim=0, return_inverse=True)
        return distinct, which
    import tensorflow as tf

    distinct, which = tf.raw_ops.UniqueV2(x=rows, axis=[0], out_idx=tf.int32)
    return distinct, which


def _on_cpu(x: Any) -> bool:
    """Whether ``x`` is computed on a CPU (TensorFlow: no GPU is visible; PyTorch: ``x`` is on the CPU)."""
    if keras.backend.backend() == "torch":
        return bool(x.device.type == "cpu")
    import tensorflow as tf

    return not tf.config.list_logical_devices("GPU")


def _acts_per_element(layer: Any) -> bool:
    """Whether ``layer`` computes each element on its own in training, so that one call per distinct
    element is the same as one per element: every sublayer is Keras' own or kernest's (a user's layer may
    add a loss or draw noise in ``call``), none draws random numbers (dropout, noise, augmentation: they
    hold a seed generator), none is a ``BatchNormalization`` (batch statistics), and none has an activity
    regularizer (a loss summed over the batch)."""
    from kernest._graph import sublayers

    pending, seen = [layer], set()
    while pending:
        sub = pending.pop()
        if id(sub) in seen:
            continue
        seen.add(id(sub))
        own = type(sub).__module__.split(".")[0] in ("keras", "kernest")
        random = any(isinstance(v, keras.random.SeedGenerator) for v in vars(sub).values())
        if (not own or random or isinstance(sub, keras.layers.BatchNormalization)
                or getattr(sub, "activity_regularizer", None) is not None):
            return False
        pending.extend(sublayers(sub))
    return True


def _dims(x: Any, axes: range) -> list[Any]:
    """Sizes of ``axes``: static ints where known (fewer graph ops), run-time sizes otherwise."""
    dynamic = None
    sizes = []
    for i in axes:
        if x.shape[i] is not None:
            sizes.append(int(x.shape[i]))
        else:
            dynamic = ops.shape(x) if dynamic is None else dynamic
            sizes.append(dynamic[i])
    return sizes


def _is_symbolic(x: Any) -> bool:
    return isinstance(x, keras.KerasTensor)


def _first_shape(shape: Any) -> Any:
    """The first shape of a (possibly nested) structure of shapes."""
    while isinstance(shape, dict) or (isinstance(shape, (list, tuple)) and shape and not _is_dim(shape[0])):
        shape = next(iter(shape.values())) if isinstance(shape, dict) else shape[0]
    return shape


def _is_dim(d: Any) -> bool:
    return d is None or isinstance(d, int)


def over(axis: str | int, inner: Any, name: str | None = None, mask_padding: bool = True,
         skip_padding: bool | None = None, dedupe: bool | None = None) -> Over:
    """Apply ``inner`` to every element along ``axis``.

    Args:
        axis: the name of an axis of the input (``"words"``) as given to ``kernest.Input``, or its
            position (1 = first non-batch axis). Every axis up to this one is mapped over.
        inner: any Keras model or layer, also with several inputs or outputs, or another ``over``.
        name: the layer's name, the step it adds to paths (default ``over_<axis>``).
        mask_padding: mask elements whose entries are all zero, so an outer RNN ignores padded words.
        skip_padding: run ``inner`` on the unmasked elements only and give masked ones zeros (the masked
            layers after it see the same). ``None``: where the backend allows run-time shapes (TensorFlow
            outside XLA, PyTorch; not JAX). ``False``: never.
        dedupe: when skipping padding, run ``inner`` once per distinct element and copy the result to each
            place it occurs. ``None``: on a CPU, where the input is one integer tensor (ids); in training only when
            ``inner`` is made of Keras' own layers without dropout, noise, BatchNormalization or activity
            regularizer. ``True``: in training too. ``False``: never.

    Returns:
        An ``Over`` layer. Called on ``(batch, words, chars)`` it gives ``(batch, words, *inner_output)``
        and a ``(batch, words)`` mask.

    Raises:
        KernestError: ``inner`` is not a Keras layer, or ``axis`` is not in the input. An input without axis
            names maps every axis before the inner model's element (``inner``'s input rank) and names the
            last one ``axis``.

    Example:
        >>> import kernest
        >>> cnn = keras.Sequential([keras.Input((16,)), keras.layers.Dense(8)], name="cnn")
        >>> x = kernest.Input((20, 16), axes=("words", "chars"))
        >>> y = over("words", cnn, name="per_word")(x)
        >>> tuple(y.shape), kernest.axes_of(y)
        ((None, 20, 8), ('words', 'features'))
    """
    if not isinstance(inner, keras.layers.Layer):
        raise KernestError(
            f"over({axis!r}, inner) needs a Keras model or layer as inner, but got {type(inner).__name__}. "
            "Build the per-element model first, e.g. keras.Sequential([...]) or keras.Model(inputs, outputs)."
        )
    if not isinstance(axis, (str, int)) or isinstance(axis, bool):
        raise KernestError(f"over() takes an axis name or position, not {axis!r}.")
    if isinstance(axis, int) and axis < 1:
        raise KernestError(
            f"over({axis}) cannot map over the batch axis or count from the end. Use a position >= 1 "
            "(1 = first non-batch axis) or, better, an axis name."
        )
    return Over(inner, axis=axis, mask_padding=mask_padding, skip_padding=skip_padding, dedupe=dedupe,
                name=name or f"over_{axis}")
