"""A nested model's outputs used in the other structure than the one it returns: a model built with
``outputs={"a": ..., "b": ...}`` returns a dict when it is called, and ``out[0]`` asks that dict for the key 0
(KeyError: 0). The fix writes the user's line with the keys in place of the positions."""

from __future__ import annotations

import ast
from typing import Any

import keras

from kernest._callsite import parse_line
from kernest._errors import Mismatch
from kernest._trace import user_frames


def _dict_outputs_indexed_by_position(case: Any) -> Mismatch | None:
    """``KeyError: <int>`` on a line that indexes, by position, a dict a model returned."""
    exc = case.exc
    if not isinstance(exc, KeyError) or not exc.args or not isinstance(exc.args[0], int) or case.site is None:
        return None
    frames = user_frames(exc)
    if not frames:
        return None
    scope = {**frames[-1].f_globals, **frames[-1].f_locals}
    tree, source = parse_line(case.site.text.strip())
    indexed = [n for n in ast.walk(tree) if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name)
               and isinstance(n.slice, ast.Constant) and isinstance(n.slice.value, int)
               and isinstance(scope.get(n.value.id), dict)]
    if not indexed:
        return None
    var = indexed[0].value.id  # type: ignore[attr-defined]
    keys = list(scope[var])
    if not all(isinstance(k, str) for k in keys):
        return None
    maker = next((name for name, v in scope.items() if isinstance(v, keras.Model)
                  and isinstance(_output(v), dict) and set(_output(v)) == set(keys)), None)
    line = source
    for node in sorted(indexed, key=lambda n: n.col_offset, reverse=True):
        if node.value.id == var and 0 <= node.slice.value < len(keys):  # type: ignore[attr-defined]
            segment = ast.get_source_segment(source, node) or ast.unparse(node)
            line = line.replace(segment, f'{var}["{keys[node.slice.value]}"]')  # type: ignore[attr-defined]
    who = f"{maker} returns" if maker else f"{var} is"
    listed = ", ".join(f'"{k}"' for k in keys)
    return Mismatch(
        maker or var, f"{maker or var} -> {var}[{exc.args[0]}]", f"a key of {var} ({listed})", f"the position {exc.args[0]}",
        f"{who} a dict keyed {listed}, not a list, so {var}[{exc.args[0]}] asks it for a key {exc.args[0]} it does "
        f"not have. Take the outputs by name: `{line.strip()}`" + (" (the keys in the order the dict holds them; pick "
                                                                  "the one each place means)." if len(keys) > 1 else "."),
    )


def _output(model: Any) -> Any:
    try:
        return model.output
    except (AttributeError, ValueError):  # a subclassed model never called has no symbolic output
        return None


def structure_failure(case: Any) -> Mismatch | None:
    return _dict_outputs_indexed_by_position(case)
