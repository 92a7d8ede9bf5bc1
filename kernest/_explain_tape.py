"""A ``train_step`` written with ``tf.GradientTape`` run on the PyTorch backend: the tape records TensorFlow
operations only, and TensorFlow cannot take the torch tensors Keras passes, so the step fails at the tape (or at
``tape.gradient``). On PyTorch the gradients come from ``loss.backward()`` into each variable's ``.value.grad``
(keras.io "Customizing what happens in fit() with PyTorch"). The fix is the user's own train_step rewritten that
way: the tape's block without the tape, after ``self.zero_grad()``; ``tape.gradient(loss, variables)`` as
``loss.backward()`` and the variables' grads; the optimizer's update under ``torch.no_grad()``."""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any

import keras

from kernest._errors import Mismatch
from kernest._explain_protocol import _frames


def tape_step_on_torch(case: Any, _: Any = None) -> Mismatch | None:
    """The user's train_step (or test_step) in the traceback, on PyTorch, when it uses a GradientTape."""
    if keras.backend.backend() != "torch":
        return None
    frame = next((f for f in reversed(_frames(case.exc)) if f.f_code.co_name in ("train_step", "test_step")
                  and isinstance(f.f_locals.get("self"), keras.Model)), None)
    if frame is None:
        return None
    model = frame.f_locals["self"]
    try:
        source = textwrap.dedent(inspect.getsource(frame.f_code))
    except (OSError, TypeError):
        return None
    if "GradientTape" not in source:
        return None
    rewritten = _torch_step(source)
    if rewritten is None:
        return None
    cls, step = type(model).__name__, frame.f_code.co_name
    return Mismatch(
        str(model.name), f"fit -> {step}", "gradients the PyTorch way (loss.backward())", "tf.GradientTape",
        f"{cls}.{step} takes its gradients with tf.GradientTape, which records TensorFlow operations only; on the "
        "PyTorch backend Keras passes torch tensors, which TensorFlow cannot take. Take them the PyTorch way "
        "(import torch; keras.io: \"Customizing what happens in fit() with PyTorch\"), or run the script with "
        f"KERAS_BACKEND=tensorflow:\n{textwrap.indent(rewritten, '    ')}",
    )


def _torch_step(source: str) -> str | None:
    """``source`` (a train_step using a tape) rewritten for PyTorch; None where its shape is not the usual one
    (a tape block, one ``tape.gradient`` call)."""
    tree = ast.parse(source)
    func = tree.body[0] if tree.body and isinstance(tree.body[0], ast.FunctionDef) else None
    if func is None:
        return None
    rewriter = _ToTorch()
    rewriter.visit(func)
    if not (rewriter.tapes and rewriter.gradients):
        return None
    return ast.unparse(ast.fix_missing_locations(func))


class _ToTorch(ast.NodeTransformer):
    def __init__(self) -> None:
        self.tapes: set[str] = set()
        self.gradients = 0

    def visit_With(self, node: ast.With) -> Any:
        self.generic_visit(node)
        item = node.items[0] if len(node.items) == 1 else None
        made = ast.unparse(item.context_expr) if item is not None else ""
        if item is None or "GradientTape" not in made or not isinstance(item.optional_vars, ast.Name):
            return node
        self.tapes.add(item.optional_vars.id)
        return [ast.parse("self.zero_grad()").body[0], *node.body]

    def visit_Assign(self, node: ast.Assign) -> Any:
        call = node.value
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "gradient"
                and isinstance(call.func.value, ast.Name) and call.func.value.id in self.tapes
                and len(call.args) >= 2 and len(node.targets) == 1):
            self.gradients += 1
            loss, variables = ast.unparse(call.args[0]), ast.unparse(call.args[1])
            target = ast.unparse(node.targets[0])
            return ast.parse(f"{loss}.backward()\n{target} = [v.value.grad for v in {variables}]").body
        return node

    def visit_Expr(self, node: ast.Expr) -> Any:
        call = node.value
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and call.func.attr in ("apply_gradients", "apply")):
            wrapped = ast.parse("with torch.no_grad():\n    pass").body[0]
            wrapped.body = [node]  # type: ignore[attr-defined]
            return wrapped
        return node
