"""A layer that wraps another framework's code, run under a backend that cannot run it:
``keras.layers.TorchModuleWrapper`` (a ``torch.nn.Module``: PyTorch only) or ``JaxLayer`` / ``FlaxLayer`` (JAX
functions: JAX, or TensorFlow through jax2tf). Keras fails inside the wrapper with the other framework's words
("Can't call numpy() on Tensor that requires grad"), or says the backend is not supported, and nothing names the
script's backend as the cause. The fix: the backend the layer needs, set in the user's script before Keras is
imported, or (for a torch module of plain layers) the same block written with Keras layers."""

from __future__ import annotations

import re
from typing import Any

import keras

from kernest._errors import Mismatch
from kernest._explain_protocol import _outer_path, _selves

# the wrapper class, the backends that run it, what it wraps
_NEEDS = {"TorchModuleWrapper": (("torch",), "a torch.nn.Module"),
          "JaxLayer": (("jax", "tensorflow"), "JAX functions"),
          "FlaxLayer": (("jax", "tensorflow"), "a Flax module")}
# torch layers of one Keras equivalent each (a torch.nn.Sequential made of these is rewritten)
_TORCH_TO_KERAS = {"Linear": lambda m: f"keras.layers.Dense({m.out_features})",
                   "ReLU": lambda m: "keras.layers.ReLU()", "Tanh": lambda m: 'keras.layers.Activation("tanh")',
                   "Sigmoid": lambda m: 'keras.layers.Activation("sigmoid")',
                   "GELU": lambda m: 'keras.layers.Activation("gelu")', "Dropout": lambda m: f"keras.layers.Dropout({m.p})"}


def backend_layer_failure(case: Any) -> Mismatch | None:
    """A wrapper layer in the traceback (or in the model being fit, where Keras refused the backend before running
    it) whose framework the current backend cannot run."""
    backend = keras.backend.backend()

    def elsewhere(x: Any) -> bool:  # a wrapper the current backend cannot run
        needs = _needs(x)
        return needs is not None and backend not in needs[0]

    layer = next((s for s in reversed(_selves(case.exc)) if elsewhere(s)), None)
    if layer is None and "is only supported with the" in case.message:
        model = case.fitted_model()
        flat = model._flatten_layers(include_self=False) if isinstance(model, keras.Model) else []
        layer = next((x for x in flat if elsewhere(x)), None)
    needs = _needs(layer)
    if layer is None or needs is None:
        return None
    backends, wraps = needs
    kind = next(c.__name__ for c in type(layer).__mro__ if c.__name__ in _NEEDS)
    made = "name" in vars(layer) or "_name" in vars(layer)  # Keras refuses the backend in __init__, before naming it
    said = re.search(r"name\s*=\s*['\"]([^'\"]+)['\"]", case.site.text if case.site is not None else "")
    name = layer.name if made else said.group(1) if said else kind
    names = " or ".join({"torch": "PyTorch", "jax": "JAX", "tensorflow": "TensorFlow"}[b] for b in backends)
    fix = (f"{kind} {name} runs {wraps}, which only the {names} backend can run, and this script runs on "
           f"{backend}. Put os.environ[\"KERAS_BACKEND\"] = \"{backends[0]}\" at the top of the script, before the "
           f"first `import keras` (or run it with KERAS_BACKEND={backends[0]})")
    same = _keras_version(layer) if kind == "TorchModuleWrapper" else None
    fix += (f"; or, to stay on {backend}, write {name} with Keras layers: {same}." if same else ".")
    return Mismatch(_outer_path(case, layer) if made else name, f"{backend} backend -> {name}", f"the {names} backend",
                    f"KERAS_BACKEND={backend}", fix)


def _needs(layer: Any) -> tuple[tuple[str, ...], str] | None:
    if not isinstance(layer, keras.layers.Layer):
        return None
    return next((_NEEDS[c.__name__] for c in type(layer).__mro__ if c.__name__ in _NEEDS), None)


def _keras_version(wrapper: Any) -> str | None:
    """``keras.Sequential([...])`` doing what the wrapped torch module does, where it is a Linear (or a
    torch.nn.Sequential of layers that each have one Keras equivalent); None otherwise."""
    module = getattr(wrapper, "module", None)
    if module is None:
        return None
    leaves = [m for m in module.modules() if not list(m.children())]
    made = [_TORCH_TO_KERAS[type(m).__name__](m) for m in leaves if type(m).__name__ in _TORCH_TO_KERAS]
    if not leaves or len(made) != len(leaves):
        return None
    return made[0] if len(made) == 1 else f"keras.Sequential([{', '.join(made)}], name=\"{wrapper.name}\")"
