"""Answers for data or tensors whose values are all there but laid out another way than a layer reads them.

- ``swapped_axes``: data with the model's features on another axis (a spectrogram as librosa gives it, (mels,
  frames), into a model of (frames, mels)): transpose, not project.
- ``extra_features``: data with more features than the model takes (scans of x, y, z and intensity into a model
  of x, y, z points): keep the ones it was made for, before projecting them.
- ``grid_side``: a sequence of n steps into a 2-D convolution, where n is a square (a ViT's patch sequence given
  to a layer that reads the patch grid): reshape to the grid, not add a channel.
- ``positions_fix``: a Reshape that keeps the channels and regroups the positions of a map into a number they do
  not make (a MobileViT block whose patch count was computed as ``int(h * w / patch_size)``), or flattens them into
  a count computed for another input size (a ViT's patch count for 32x32 images, given 48x48).
- ``other_size_fix``: a subclassed model built (by its first call) on images of one size and called on another: its
  layers kept the first call's sizes (a block's build() recording H and W, a Reshape to a fixed patch count).
- ``square_grid_fix``: a Reshape of a sequence to a square grid whose side is ``int(sqrt(steps))``, where the steps
  are no square (keras-cv's SegFormer reshapes its tokens so, and a non-square image makes a non-square map).
"""

from __future__ import annotations

import math
from typing import Any

Shape = tuple[Any, ...]


def swapped_axes(declared: Shape, got: Shape) -> int | None:
    """The axis of ``got`` (batch first) that holds the ``declared`` width, where the last axis does not and
    swapping the two gives what ``declared`` allows; None otherwise (or where several axes could)."""
    want = declared[-1]
    if len(declared) != len(got) or len(got) < 3 or not isinstance(want, int) or got[-1] == want:
        return None
    found = [i for i in range(1, len(got) - 1) if got[i] == want and declared[i] in (None, got[-1])]
    return found[0] if len(found) == 1 else None


def swap_fix(model: str, var: str, got: Shape, axis: int) -> str:
    order = list(range(len(got)))
    order[axis], order[-1] = order[-1], order[axis]
    width = got[axis]
    return (f"{var} has {width} on axis {axis} and {got[-1]} on its last axis, and {model} reads {width} features on "
            f"its last axis: its axes are in another order (as a spectrogram (mels, frames) given to a model of "
            f"(frames, mels)). Transpose it: {model}(keras.ops.transpose({var}, {tuple(order)})) (or "
            f"np.swapaxes({var}, {axis}, -1)).")


def extra_features(model: str, var: str, want: int, got: int) -> str:
    """The first sentences of the answer for data of ``got`` features into a model of ``want`` < ``got``."""
    return (f"{var} has {got} features per step where {model} takes {want}. If its first {want} are the ones "
            f"{model} was made for and the rest are extra (another channel the model never saw), keep those: "
            f"{model}({var}[..., :{want}]). ")


def grid_side(steps: Any, channels: Any) -> int | None:
    """The side of the square grid ``steps`` positions make (16 -> 4), where each holds several channels."""
    if not isinstance(steps, int) or not isinstance(channels, int) or channels < 2 or steps < 4:
        return None
    side = math.isqrt(steps)
    return side if side * side == steps else None


def grid_fix(name: str, where: str, steps: Any, channels: Any, side: int) -> str:
    return (f"{name} is a 2-D convolution or pooling and reads a grid of positions, and gets a sequence of {steps} steps of "
            f"{channels} features. If the steps are a {side}x{side} grid flattened (a sequence of patches, as a "
            f"Vision Transformer makes), put the grid back: keras.layers.Reshape(({side}, {side}, {channels})) before "
            f"{where}. Otherwise add keras.layers.Reshape(({steps}, {channels}, 1)) (one channel).")


def positions_fix(name: str, given: Shape, target: Shape) -> str | None:
    """``given`` (no batch) is a map of positions and channels; ``target`` keeps the channels and regroups the
    positions into other axes whose product differs: say so, and that the map's size comes from the input's."""
    if len(given) < 3 or len(target) < 2 or given[-1] != target[-1] or not all(isinstance(d, int) for d in given):
        return None
    if not all(isinstance(d, int) and d > 0 for d in target[:-1]):
        return None
    have, want = math.prod(given[:-1]), math.prod(target[:-1])
    if have == want:
        return None
    grid = " x ".join(str(d) for d in given[:-1])
    if len(target) == 2:  # the positions flattened into one axis of a count fixed for another input size
        return (f"{name} keeps the {given[-1]} channels and flattens the {have} positions of a {grid} map into "
                f"{want}: the count was computed for an input whose map here has {want} positions (the sizes before "
                f"{name} follow the input's size). Give the model inputs of the size it was designed for, or let the "
                f"count follow the map: keras.layers.Reshape((-1, {given[-1]})).")
    split = " x ".join(str(d) for d in target[:-1])
    lead = target[0]
    return (f"{name} keeps the {given[-1]} channels and regroups the {have} positions of a {grid} map into {split} = "
            f"{want}: {have} positions are not a multiple of {lead}, so no regrouping into {lead} equal groups "
            f"exists. The target was computed for an input whose map here has {want} positions (the sizes before "
            f"{name} follow the input's size): give the model inputs of the size it was designed for, or of a size "
            f"whose map at {name} has a multiple of {lead} positions, or pad the map to one "
            f"(keras.layers.ZeroPadding2D) before {name}." if have % lead else
            f"{name} keeps the {given[-1]} channels and regroups the {have} positions of a {grid} map into {split} = "
            f"{want}. The target was computed for another input size (the sizes before {name} follow the input's): "
            f"compute it from the map, keras.layers.Reshape(({lead}, {have // lead}, {given[-1]})), or give the "
            f"model inputs of the size it was designed for.")


def square_grid_fix(name: str, given: Shape, target: Shape) -> str | None:
    """``given`` (no batch) a sequence of steps and channels; ``target`` a square grid (side, side, channels or -1)
    whose side is the integer square root of a step count that is no square: a side computed as int(sqrt(steps)),
    for a square map, given the steps of a map whose height and width differ."""
    if len(given) != 2 or len(target) != 3 or not isinstance(given[0], int) or target[0] != target[1]:
        return None
    steps, side = given[0], target[0]
    if not isinstance(side, int) or side != math.isqrt(steps) or side * side == steps:
        return None
    pairs = [f"{h} x {steps // h}" for h in range(math.isqrt(steps), 1, -1) if steps % h == 0][:3]
    shapes = f" ({', '.join(pairs)}, ...)" if pairs else ""
    return (f"{name} puts a sequence of {steps} steps on a {side} x {side} grid ({side * side}): {steps} is not a "
            f"square, and {side} = int(sqrt({steps})), a side computed as if the steps were the positions of a square "
            f"map. They come from a map whose height and width differ{shapes}, as an input whose height and width "
            f"differ makes. Give the model square inputs (resize, crop or pad them to equal sides), or reshape with "
            f"the map's own height and width, kept from where it was flattened: keras.layers.Reshape((height, width, "
            f"{given[-1]})).")


def other_size_fix(where: str, label: str, declared: Shape, got: Shape, data: str | None, deeper: str) -> str | None:
    """``declared``: the images a subclassed model was built on by its first call (batch, height, width, channels);
    ``got``: images of the same channels and another height or width. None for anything else."""
    if len(declared) != 4 or len(got) != 4 or declared[-1] != got[-1] or None in (*declared[1:], *got[1:]):
        return None
    if tuple(declared[1:3]) == tuple(got[1:3]):
        return None
    h, w = declared[1], declared[2]
    resize = f"keras.ops.image.resize({data or '<the images>'}, ({h}, {w}))"
    return (f"{where} was built (by its first call) on {label} shaped (batch, {h}, {w}, {declared[-1]}) and gets "
            f"images of {got[1]} x {got[2]}, {_shape(got)}. A subclassed model checks nothing at its call; its layers "
            f"kept sizes of that first call (a build() that records the height and width, a Reshape to the count of "
            f"patches of {h} x {w} images), so it failed deeper, at {deeper}. Give it images of the size it was built "
            f"on: {resize} (or keras.layers.Resizing({h}, {w}) in your input pipeline), or make a new model and call it "
            f"first on images of {got[1]} x {got[2]}.")


def _shape(shape: Shape) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ")"
