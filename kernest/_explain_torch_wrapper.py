"""A ``keras.layers.TorchModuleWrapper`` whose torch module cannot take what reaches it (a ``torch.nn.Linear(16, 4)``
given 32 features). Keras computes the wrapper's output shape by running the module; when the module fails, Keras
drops torch's error and says only that TorchModuleWrapper has no ``compute_output_shape``, which is not the fault.
The reader runs the module on zeros of the shape that reached it to get torch's own error, and where the module's
first layer declares an input width (``in_features``, ``in_channels``...) other than the one received, rewrites
the user's constructor with the width received."""

from __future__ import annotations

import ast
import re
from typing import Any

import keras

from kernest._axes import format_shape
from kernest._callsite import file_tree
from kernest._errors import Mismatch

_NO_OUTPUT_SHAPE = re.compile(r"TorchModuleWrapper does not have a `compute_output_shape`")
_WIDTHS = ("in_features", "in_channels", "input_size", "num_features", "embed_dim", "normalized_shape")


def _wrapper_and_input(exc: BaseException) -> tuple[Any, Any] | None:
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        tb = link.__traceback__
        while tb is not None:
            local = tb.tb_frame.f_locals
            this = local.get("self")
            if type(this).__name__ == "TorchModuleWrapper" and isinstance(this, keras.layers.Layer):
                given = [a for a in keras.tree.flatten(local.get("args") or local.get("input_shape") or ())
                         if hasattr(a, "shape")]
                shape = local.get("input_shape") if not given else tuple(given[0].shape)
                if shape is not None:
                    return this, tuple(shape)
            tb = tb.tb_next
        link = link.__cause__ or link.__context__
    return None


def _first_width(module: Any) -> tuple[Any, str, int] | None:
    """The module's first submodule that declares the width of its input: (it, the attribute, the width)."""
    for sub in module.modules():
        for attr in _WIDTHS:
            value = getattr(sub, attr, None)
            if isinstance(value, int):
                return sub, attr, value
    return None


def _constructor(width_of: Any, old: int, new: int, file: str | None) -> str | None:
    """The user's constructor of that submodule (``torch.nn.Linear(16, 4)``) with its width replaced."""
    source, tree = file_tree(file) if file else ("", None)
    kind = type(width_of).__name__
    for node in ast.walk(tree) if tree is not None else ():
        if (isinstance(node, ast.Call) and ast.unparse(node.func).split(".")[-1] == kind and node.args
                and isinstance(node.args[0], ast.Constant) and node.args[0].value == old):
            text = ast.get_source_segment(source, node) or ast.unparse(node)
            inner = ast.get_source_segment(source, node.args[0]) or str(old)
            return text.replace(f"({inner}", f"({new}", 1)
    return None


def _wrapper_call(file: str | None, name: str) -> str | None:
    """The user's ``TorchModuleWrapper(..., name="<name>")`` call, as written."""
    source, tree = file_tree(file) if file else ("", None)
    for node in ast.walk(tree) if tree is not None else ():
        if (isinstance(node, ast.Call) and ast.unparse(node.func).endswith("TorchModuleWrapper")
                and any(k.arg == "name" and isinstance(k.value, ast.Constant) and k.value.value == name
                        for k in node.keywords)):
            return ast.get_source_segment(source, node) or ast.unparse(node)
    return None


def torch_module_refuses_its_input(case: Any) -> Mismatch | None:
    if not _NO_OUTPUT_SHAPE.search(case.message):
        return None
    found = _wrapper_and_input(case.exc)
    if found is None:
        return None
    layer, shape = found
    import torch

    probe = torch.zeros(*[2 if d is None else int(d) for d in shape])
    path = case.path(layer.name) if case.frames else layer.name
    path = path if path.split("/")[-1] == layer.name else f"{path}/{layer.name}"
    shown = format_shape((None, *shape[1:]))
    interface = case.interface(layer.name) if case.frames else f"input -> {layer.name}"
    site = getattr(case, "site", None)
    file = getattr(site, "file", None)
    try:
        out = layer.module.to("cpu")(probe)
    except Exception as raised:  # torch's own error, which Keras dropped
        said = str(raised).splitlines()[0]
    else:  # the module takes it: Keras could not run it on its symbolic tensor, and needs output_shape
        given = (None, *tuple(out.shape)[1:])
        wrapper = _wrapper_call(file, layer.name)
        fixed = f"{wrapper[:-1]}, output_shape={given})" if wrapper else f"output_shape={given}"
        return Mismatch(
            path, interface, f"{layer.name}'s output_shape", "none given",
            f"the torch module in {layer.name} takes {shown} and gives {format_shape(given)}, but Keras cannot run a "
            f"torch module on the symbolic tensor it builds the model with, so it needs the wrapper's output shape "
            f"(its message about compute_output_shape means that). Give it: `{fixed}`.",
        )
    width = _first_width(layer.module)
    axis = -1 if width is None or width[1] != "in_channels" else 1
    got = shape[axis]
    if width is not None and isinstance(got, int) and width[2] != got:
        sub, attr, declared = width
        built = _constructor(sub, declared, got, file)
        fix = (f"build it for {got}: `{built}`" if built else f"build {type(sub).__name__} with {attr}={got}")
        if getattr(sub, "out_features", None) is not None and sub is layer.module:
            fix += f", and give the wrapper output_shape=(None, {sub.out_features}), which Keras cannot infer"
        return Mismatch(
            path, interface, f"{attr}={declared} ({type(sub).__name__})", f"{got} (shape {shown})",
            f"the torch module in {layer.name} starts with {type(sub).__name__}({attr}={declared}), but what reaches "
            f"{layer.name} has {got} there ({shown}); torch says: "
            f"{said}. Keras then says TorchModuleWrapper has no compute_output_shape, which is not the fault. "
            f"{fix[0].upper()}{fix[1:]}.",
        )
    return Mismatch(
        path, interface, f"an input {layer.name}'s torch module takes", shown,
        f"the torch module in {layer.name} fails on what reaches it, {shown}; torch says: {said}. Keras then "
        "says TorchModuleWrapper has no compute_output_shape, which is not the fault: make the module take that "
        "shape, or pass the wrapper output_shape= where the module is right.",
    )
