"""``over(axis, inner)``: apply an inner model to every element along a named axis.

``over("words", char_cnn)`` maps ``(batch, words, chars)`` to ``(batch, words, features)``. Unlike
``keras.layers.TimeDistributed`` it

- folds the leading axes into the batch, ``(batch*words, chars)``, runs ``inner`` once and unfolds,
  instead of a Python loop per step when the axis has a fixed length;
- gives the outer model a mask over the mapped axis: an element whose entries are all zero (a padded
  word) is masked, and an incoming mask is carried across the boundary. So an outer LSTM skips padding.
"""

from __future__ import annotations

import inspect
from typing import Any

import keras
from keras import ops

from kernest._axes import Axes, Shape, axes_of
from kernest._errors import KernestError


def child_shape(shape: Shape, k: int) -> Shape:
    """Shape one element has inside the inner model: the axes after ``k`` with a fresh batch axis.

    Example:
        >>> child_shape((None, 20, 16), 1)
        (None, 16)
    """
    return (None,) + tuple(shape[k + 1 :])


@keras.saving.register_keras_serializable(package="kernest")
class Over(keras.layers.Wrapper):
    """Applies ``self.layer`` to every element along one axis (see ``kernest.over``).

    Attributes:
        layer: the inner model or layer.
        axis: the axis as given, a name (``"words"``) or a position (1 = first non-batch axis).
        axis_index: the resolved position, set when first called on a named tensor.
        mask_padding: whether all-zero elements are masked for the layers after this one.
    """

    def __init__(
        self,
        layer: keras.layers.Layer,
        axis: str | int = 1,
        axis_index: int | None = None,
        mask_padding: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(layer, **kwargs)
        self.axis = axis
        self.axis_index = axis_index if axis_index is not None else (axis if isinstance(axis, int) else None)
        self.mask_padding = mask_padding
        params = inspect.signature(layer.call).parameters
        self._inner_takes_training = "training" in params or any(
            p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()
        )

    # --- axis resolution ---------------------------------------------------------------------------

    def resolve(self, axes: Axes, ndim: int) -> int:
        """Fix ``axis_index`` from the names of the input's non-batch axes; resolves nested ``Over`` too."""
        if self.axis_index is None:
            if self.axis not in axes:
                known = ", ".join(repr(a) for a in axes if a)
                where = (
                    f"its named axes: {known}" if known else
                    "it carries no axis names: name them with kernest.Input(shape, axes=(...)); an unbuilt "
                    "keras.Sequential rebuilds on a fresh unnamed Input, so compose with kernest.nest instead"
                )
                raise KernestError(
                    f"over({self.axis!r}) in layer {self.name!r}: the input has no axis named {self.axis!r} "
                    f"({where}). Or pass a position, e.g. over(1, inner) for the first non-batch axis."
                )
            self.axis_index = axes.index(self.axis) + 1
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

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        first = keras.tree.flatten(inputs)[0]
        if self.axis_index is None or isinstance(self.layer, Over):
            self.resolve(axes_of(first) if _is_symbolic(first) else (None,) * (len(first.shape) - 1),
                         len(first.shape))
        return super().__call__(inputs, *args, **kwargs)

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
        outputs = self.layer(folded, **kwargs)
        return keras.tree.map_structure(unfold, outputs)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if not self.mask_padding:
            return None
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
        try:
            n_out = len(self.layer.outputs) if isinstance(self.layer, keras.Model) else 1
        except (AttributeError, ValueError):
            n_out = 1
        return keep if n_out == 1 else [keep] * n_out

    # --- config --------------------------------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(axis=self.axis, axis_index=self.axis_index, mask_padding=self.mask_padding)
        return config


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


def over(axis: str | int, inner: Any, name: str | None = None, mask_padding: bool = True) -> Over:
    """Apply ``inner`` to every element along ``axis``.

    Args:
        axis: the name of an axis of the input (``"words"``) as given to ``kernest.Input``, or its
            position (1 = first non-batch axis). Every axis up to this one is mapped over.
        inner: any Keras model or layer, also with several inputs or outputs, or another ``over``.
        name: the layer's name, the step it adds to paths (default ``over_<axis>``).
        mask_padding: mask elements whose entries are all zero, so an outer RNN ignores padded words.

    Returns:
        An ``Over`` layer. Called on ``(batch, words, chars)`` it gives ``(batch, words, *inner_output)``
        and a ``(batch, words)`` mask.

    Raises:
        KernestError: ``inner`` is not a Keras layer, or ``axis`` is not in the input.

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
    return Over(inner, axis=axis, mask_padding=mask_padding, name=name or f"over_{axis}")
