"""A model built on another model's output tensor: ``gan = keras.Model(generator.output,
discriminator(generator.output))``. Keras 3 gives such a model a new Input in place of the tensor (named
``<tensor>CLONE``), so it holds none of the layers that made the tensor: a GAN built so trains its discriminator
alone, and data shaped like the generator's input does not fit it. The readers below find the model in the user's
script whose graph made the tensor and print the user's statement started at that model's input instead.

A model cut on purpose at an intermediate tensor (a decoder taken from an autoencoder's bottleneck) is a sub-model
Keras supports: the silent rule speaks only where the cut is at another model's whole output and the model built so
cannot be told from the one meant (it trains nothing, or the first model takes and gives one shape)."""

from __future__ import annotations

import ast
import textwrap
from dataclasses import dataclass
from typing import Any

import keras

from kernest._axes import fits, format_shape, shape_of
from kernest._callsite import assignment_of, file_source, model_call
from kernest._errors import Mismatch
from kernest._graph import is_input_layer
from kernest._lint import Finding
from kernest._lint_order import _splice

_CLONE = "CLONE"  # the suffix of the Input Keras makes in place of an intermediate tensor (clone_graph_nodes)


@dataclass(frozen=True)
class Cut:
    """One Input of ``model`` that Keras made in place of ``start``, a tensor of ``owner``'s graph."""

    model: Any
    clone: Any
    start: Any
    owner: Any
    owner_var: str
    at_output: bool  # start is one of owner's outputs
    sources: list[Any]  # the Inputs start is computed from
    left_out: list[Any]  # the layers with weights between those Inputs and start, which model does not hold


def cuts(model: Any, scope: dict[str, Any]) -> list[Cut]:
    """Every Input of ``model`` copied from a tensor of another model in ``scope`` (the user's variables)."""
    clones = [t for t in getattr(model, "inputs", None) or [] if str(getattr(t, "name", "")).endswith(_CLONE)]
    if not clones:
        return []
    made = _tensors_of(scope, model)
    out = []
    for clone in clones:
        found = made.get(str(clone.name)[: -len(_CLONE)])
        if found is None:
            continue
        start, owner, var = found
        sources, layers = _upstream(start)
        out.append(Cut(model, clone, start, owner, var, any(o is start for o in _outputs(owner)), sources,
                       [layer for layer in reversed(layers) if layer.weights]))
    return out


def _outputs(model: Any) -> list[Any]:
    try:
        return list(keras.tree.flatten(model.outputs))
    except (AttributeError, ValueError):
        return []


def _tensors_of(scope: dict[str, Any], model: Any) -> dict[str, tuple[Any, Any, str]]:
    """Each tensor made in the graph of a model the user holds: name -> (tensor, that model, its variable); a
    tensor that is a model's output is credited to that model."""
    found: dict[str, tuple[Any, Any, str]] = {}
    for var, value in scope.items():
        if var.startswith("_") or not isinstance(value, keras.Model) or value is model:
            continue
        graph = getattr(value, "_functional", None) or value
        outputs = {id(o) for o in _outputs(value)}
        for op in getattr(graph, "operations", None) or []:
            for node in getattr(op, "_inbound_nodes", []):
                for t in keras.tree.flatten(node.output_tensors):
                    name = str(getattr(t, "name", ""))
                    if name not in found or id(t) in outputs:
                        found[name] = (t, value, var)
    return found


def _upstream(tensor: Any) -> tuple[list[Any], list[Any]]:
    """The Inputs ``tensor`` is computed from, and the layers between them and it."""
    sources: list[Any] = []
    layers: list[Any] = []
    stack, seen = [tensor], set()
    while stack:
        t = stack.pop()
        history = getattr(t, "_keras_history", None)
        if history is None or id(t) in seen:
            continue
        seen.add(id(t))
        op = history.operation
        if is_input_layer(op):
            sources.append(t)
            continue
        if all(op is not known for known in layers):
            layers.append(op)
        stack.extend(keras.tree.flatten(op._inbound_nodes[history.node_index].input_tensors))
    return sources, layers


# --- the user's statement, started at the first model's input ----------------------------------------------------

def _chain_root(node: ast.AST) -> str | None:
    """The variable an attribute chain starts from: ``generator`` in ``generator.get_layer("x").output``."""
    while not isinstance(node, ast.Name):
        if isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            return None
    return node.id


def _statement(model: Any, scope: dict[str, Any], file: str | None) -> tuple[str, ast.Call, ast.expr] | None:
    """The user's statement that built ``model`` (``gan = keras.Model(...)``), its call, and the call's inputs."""
    built_at = getattr(model, "_kernest_built_at", None)
    source = file_source(built_at[0] if built_at else file)
    var = next((k for k, v in scope.items() if v is model and not k.startswith("_")), None)
    made = (_statement_at_line(source, built_at[1]) if source and built_at else
            assignment_of(source, var) if source and var else None)
    if made is None:
        return None
    text = textwrap.dedent(ast.get_source_segment(source, made) or "")
    try:
        call = ast.parse(text).body[0].value  # type: ignore[attr-defined]
    except (SyntaxError, IndexError, AttributeError):
        return None
    if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "fit":
        return None  # not the statement that built it
    if not isinstance(call, ast.Call):
        return None
    inputs = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "inputs"), None)
    return (text, call, inputs) if inputs is not None else None


def _statement_at_line(source: str, line: int) -> ast.stmt | None:
    """The simple statement of ``source`` that holds ``line`` (the model's construction)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    return next((node for node in ast.walk(tree) if isinstance(node, (ast.Assign, ast.AnnAssign, ast.Return, ast.Expr))
                 and node.lineno <= line <= (node.end_lineno or node.lineno)), None)


def started_at_input(cut_list: list[Cut], scope: dict[str, Any], file: str | None) -> str | None:
    """The user's statement with each tensor it was started at (``generator.output``) replaced by the input of the
    model that made it (``generator.input``); None where the statement is not found."""
    found = _statement(cut_list[0].model, scope, file)
    if found is None:
        return None
    text, _, inputs = found
    owners = {c.owner_var: c.owner for c in cut_list}
    pairs: list[tuple[ast.expr, str]] = []
    for node in ast.walk(inputs):
        if any(_inside(node, p) for p, _ in pairs):
            continue
        if isinstance(node, ast.Attribute) and node.attr in ("output", "outputs"):
            root = ast.unparse(node.value) if ast.unparse(node.value) in owners else _chain_root(node.value)
            if root in owners:
                several = len(getattr(owners[root], "inputs", None) or []) > 1
                pairs.append((node, f"{root}.{'inputs' if several or node.attr == 'outputs' else 'input'}"))
    if not pairs and isinstance(inputs, ast.Name) and len(owners) == 1:  # a variable holding the tensor
        (var, owner), = owners.items()
        pairs.append((inputs, f"{var}.{'inputs' if len(owner.inputs) > 1 else 'input'}"))
    if not pairs:
        return None
    for node, new in sorted(pairs, key=lambda p: (p[0].lineno, p[0].col_offset), reverse=True):
        text = _splice(text, node, new)
    return " ".join(line.strip() for line in text.strip().splitlines())


def _inside(node: ast.AST, outer: ast.AST) -> bool:
    return any(n is node for n in ast.walk(outer))


def _described(cut: Cut) -> str:
    where = f"{cut.owner_var}'s output" if cut.at_output else f"a tensor inside {cut.owner_var} ({cut.start.name})"
    weights = sum(len(layer.weights) for layer in cut.left_out)
    return (f"{cut.model.name} starts at {where}: Keras 3 gives {cut.model.name} a new Input there, "
            f"{format_shape(shape_of(cut.clone))}, so it holds none of the layers that made that tensor "
            f"({', '.join(layer.name for layer in cut.left_out[:4])}{', ...' if len(cut.left_out) > 4 else ''}; "
            f"{weights} weights)")


# --- an error: the data given is shaped like the first model's input ---------------------------------------------

def data_for_the_first_model(case: Any) -> Mismatch | None:
    """fit, predict, evaluate or a call of a model built on another model's tensor failed, and the data given fits
    the Inputs that tensor is computed from, not the model's own Input: the user meant one model running both."""
    site = getattr(case, "site", None)
    call = model_call(site.text.strip(), case.scope) if site is not None else None
    if site is None or call is None or call.model is None:
        return None
    found = cuts(call.model, {**scope_models(call.model), **case.scope})
    x = call.value("x")
    x = x if x is not None else getattr(call.model, "_kernest_data", None)  # data written inline: as check recorded it
    given: list[Any] = [a for a in (x if isinstance(x, (list, tuple)) else [x]) if hasattr(a, "shape")]
    if len(found) != 1 or len(given) != 1:
        return None
    cut = found[0]
    got = (None, *tuple(given[0].shape)[1:])
    if len(cut.sources) != 1 or fits(shape_of(cut.clone), got) or not fits(shape_of(cut.sources[0]), got):
        return None
    model = cut.model
    fixed = started_at_input(found, case.scope, site.file)
    fix = (f"start {model.name} at {cut.owner_var}'s input, so that it runs {cut.owner.name} first: `{fixed}`"
           if fixed else f"build {model.name} from {cut.owner_var}.input (not {cut.owner_var}.output)")
    cut_fix = ("" if cut.at_output else f" To keep {model.name} as the part after that tensor, give it what "
               f"that tensor holds, {format_shape(shape_of(cut.clone))}, instead.")
    return Mismatch(
        model.name, f"{cut.owner.name} -> {model.name}",
        f"{format_shape(shape_of(cut.clone))} (the tensor {model.name} was started at)", format_shape(got),
        f"{_described(cut)}. The data given here, {format_shape(got)}, is shaped like {cut.owner.name}'s input, "
        f"{format_shape(shape_of(cut.sources[0]))}. {fix[:1].upper()}{fix[1:]}.{cut_fix}",
    )


# --- silent: a model trained on another model's output that trains nothing of it --------------------------------

def scope_models(model: Any) -> dict[str, Any]:
    """The models of the user's script (``kernest check`` records them on the model it checks), and those the
    function or method that built ``model`` on another model's tensor held then."""
    held, local = getattr(model, "_kernest_models", None), getattr(model, "_kernest_cut_scope", None)
    return {**(local() if callable(local) else {}), **(held() if callable(held) else {})}


def remember_cut_scope(model: Any, frame: Any) -> None:
    """``model`` was just built; where it starts at a copy of another model's tensor, keep the models the user's
    code that built it held (its variables, and the attributes of an object it held, ``self.encoder``), and the
    line: a model built inside a function or a method is found there, not among the script's variables."""
    from kernest._trace import is_user_file

    if not any(str(getattr(t, "name", "")).endswith(_CLONE) for t in getattr(model, "inputs", None) or []):
        return
    while frame is not None and not is_user_file(frame.f_code.co_filename):
        frame = frame.f_back
    if frame is None:
        return
    found: dict[str, Any] = {}
    for var, value in {**frame.f_globals, **frame.f_locals}.items():
        if var.startswith("_") or value is model:
            continue
        if isinstance(value, keras.Model):
            found[var] = value
        elif not isinstance(value, (type, keras.layers.Layer)) and isinstance(getattr(value, "__dict__", None), dict):
            found.update({f"{var}.{attr}": held for attr, held in vars(value).items()
                          if isinstance(held, keras.Model) and held is not model and not attr.startswith("_")})
    try:
        model._kernest_cut_scope = lambda: found  # a callable: Keras tracks no layer in it
        model._kernest_built_at = (frame.f_code.co_filename, frame.f_lineno)
    except AttributeError:
        pass


def trained_without_the_first_model(model: Any) -> list[Finding]:
    """``model`` is trained by fit, starts at another model's whole output, and cannot be told from the model that
    runs both: it has nothing to train of its own (the classic GAN, its discriminator frozen), or the first model
    takes and gives one shape (data meant for it fits). The first model's weights are never updated."""
    if getattr(model, "train_function", None) is None:
        return []
    scope = scope_models(model)
    out = []
    for cut in cuts(model, scope):
        if not cut.at_output or not any(layer.trainable_weights for layer in cut.left_out):
            continue
        same_shape = len(cut.sources) == 1 and shape_of(cut.sources[0]) == shape_of(cut.clone)
        if model.trainable_weights and not same_shape:
            continue
        var = str(getattr(model, "_kernest_var", None) or model.name)
        fixed = started_at_input([cut], {**scope, var: model}, getattr(model, "_kernest_script", None))
        trains = ("nothing (every weight it holds is frozen)" if not model.trainable_weights
                  else f"only {', '.join(layer.name for layer in model.layers if layer.trainable_weights)}")
        out.append(Finding(
            model.name, f"{cut.owner.name} -> {model.name}",
            f"{_described(cut)}. {var}.fit trains {trains}; {cut.owner.name}'s weights are never updated, and the "
            f"data fit is given goes straight to the layers after {cut.owner.name}. Nothing fails"
            + (f": {cut.owner.name} takes and gives {format_shape(shape_of(cut.clone))}." if same_shape else "."),
            (f"start {model.name} at {cut.owner_var}'s input, so that it runs {cut.owner.name} first: `{fixed}`."
             if fixed else f"build {model.name} from {cut.owner_var}.input (not {cut.owner_var}.output)."),
        ))
    return out
