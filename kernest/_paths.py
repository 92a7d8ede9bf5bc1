"""Paths into nested Keras models: one address syntax for every kernest tool.

A path names a layer at any depth by the layer names on the way down, ``/`` separated. Wrappers are a
step of their own: ``per_word/char_cnn/conv`` is the layer ``conv`` of the model ``char_cnn`` that the
``over`` layer ``per_word`` applies to every word; ``word_lstm/forward_lstm`` is the forward RNN of a
``Bidirectional``. InputLayers are not addressable.

Globs use ``fnmatch`` rules per segment (``*``, ``?``, ``[abc]``) and never cross a ``/``; a segment
``**`` matches zero or more whole segments: ``per_word/char_cnn/*``, ``*/conv*``, ``**/dense``. As in
``.gitignore``, a pattern without ``/`` matches a layer name at any depth (``emb*`` reaches
``encoder/emb``), and a pattern with a ``/`` is anchored at the top. A plain name that is no path, e.g. a
Keras name like ``block_13_expand_relu``, resolves to the one layer of that name at any depth.

A layer called more than once (a shared encoder) is one path; ``@N`` at the end of a path picks its N-th
call, counting from 0 in execution order over every call of the layer and of the models around it:
``encoder/emb@1`` is ``emb`` as run by the second call of ``encoder``.

The paths are those of the entries that ``kernest._graph.walk`` yields, the one traversal of a model.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Iterable
from typing import Any

import keras

from kernest._errors import PathError
from kernest._graph import SEP, Entry, walk

GLOB_CHARS = "*?["


# --- addressing ------------------------------------------------------------------------------------------

def is_glob(pattern: str) -> bool:
    return any(c in pattern for c in GLOB_CHARS)


def _match_segments(pattern: list[str], path: list[str]) -> bool:
    if not pattern:
        return not path
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_match_segments(rest, path[i:]) for i in range(len(path) + 1))
    return bool(path) and fnmatch.fnmatchcase(path[0], head) and _match_segments(rest, path[1:])


def matches(pattern: str, path: str) -> bool:
    """Whether ``path`` matches ``pattern`` (fnmatch per segment; ``**`` spans any number of segments).

    A pattern without ``/`` matches the last segment, so a name at any depth (as in ``.gitignore``).

    Example:
        >>> matches("per_word/*/conv*", "per_word/char_cnn/conv")
        True
        >>> matches("**/conv", "per_word/char_cnn/conv"), matches("*/conv", "per_word/char_cnn/conv")
        (True, False)
        >>> matches("conv*", "per_word/char_cnn/conv"), matches("*char_cnn*", "per_word/char_cnn")
        (True, True)
    """
    segments = _split(pattern)
    if len(segments) == 1 and segments[0] != "**":
        return fnmatch.fnmatchcase(path.split(SEP)[-1], segments[0])
    return _match_segments(segments, path.split(SEP))


CALL_SUFFIX = re.compile(r"^(?P<path>.*?)@(?P<index>\d+)$")


def split_call(path: str) -> tuple[str, int | None]:
    """``"encoder/emb@1"`` -> ``("encoder/emb", 1)``; a path without ``@N`` -> ``(path, None)``.

    Example:
        >>> split_call("encoder/emb@1"), split_call("head")
        (('encoder/emb', 1), ('head', None))
    """
    found = CALL_SUFFIX.match(path.strip()) if isinstance(path, str) else None
    if found is None:
        return path, None
    return found["path"], int(found["index"])


def _split(pattern: str) -> list[str]:
    return [s for s in pattern.strip().strip(SEP).split(SEP) if s]


def nearest(path: str, candidates: list[str], n: int = 5) -> list[str]:
    """The valid paths nearest to ``path``: close matches of the whole path and of its last step."""
    close = difflib.get_close_matches(path, candidates, n=n, cutoff=0.5)
    last = path.split(SEP)[-1]
    by_name = [c for c in candidates if difflib.SequenceMatcher(None, c.split(SEP)[-1], last).ratio() >= 0.75]
    out: list[str] = []
    for c in close + by_name:
        if c not in out:
            out.append(c)
    return out[:n] or candidates[:n]


def path_error(model: Any, pattern: str, candidates: list[str]) -> PathError:
    near = nearest(pattern, candidates)
    return PathError(
        f"No layer at path {pattern!r} in model {getattr(model, 'name', '?')!r}. "
        f"Nearest valid paths: {', '.join(near) if near else '(the model has no addressable layers)'}. "
        "Paths are layer names joined by '/', wrappers included, e.g. 'per_word/char_cnn/conv'; "
        "kernest.paths(model) lists them all."
    )


def find(model: Any, pattern: str, entries: list[Entry] | None = None) -> list[Entry]:
    """Entries whose path matches ``pattern``, in depth-first order.

    A plain path that names nothing raises ``PathError`` with the nearest valid paths; a glob that
    matches nothing returns ``[]`` (callers warn).
    """
    if isinstance(pattern, str):
        pattern, _ = split_call(pattern)  # every call of a layer is the same layer object
    if not isinstance(pattern, str) or not _split(pattern):
        raise PathError(f"A path is a non-empty string like 'per_word/char_cnn/conv', not {pattern!r}.")
    all_entries = list(walk(model)) if entries is None else entries
    if is_glob(pattern):
        return [e for e in all_entries if matches(pattern, e.path)]
    wanted = SEP.join(_split(pattern))
    hits = [e for e in all_entries if e.path == wanted]
    if not hits and SEP not in wanted:
        hits = _by_name(model, wanted, all_entries)
    if not hits:
        raise path_error(model, wanted, [e.path for e in all_entries])
    return hits


def _by_name(model: Any, name: str, entries: list[Entry]) -> list[Entry]:
    """The entries of the one layer called ``name`` at any depth; a name two layers share is an error."""
    hits = [e for e in entries if e.name == name]
    if len({id(e.layer) for e in hits}) > 1:
        listed = ", ".join(e.path for e in hits[:8])
        raise PathError(
            f"{name!r} is the name of {len({id(e.layer) for e in hits})} different layers in model "
            f"{getattr(model, 'name', '?')!r} ({listed}). Give the full path of the one you mean."
        )
    return hits


def paths(model: keras.layers.Layer) -> list[str]:
    """Every addressable path of ``model``, parents before children.

    Args:
        model: a Keras model (or a layer holding sublayers).

    Returns:
        Paths like ``per_word/char_cnn/conv``; a layer reachable in two places has two paths.

    Example:
        >>> import keras, kernest
        >>> a = keras.Input((4,), name="a")
        >>> inner = keras.Model(a, keras.layers.Dense(3, name="dense")(a), name="inner")
        >>> b = keras.Input((4,), name="b")
        >>> outer = keras.Model(b, keras.layers.Dense(1, name="head")(inner(b)), name="outer")
        >>> kernest.paths(outer)
        ['inner', 'inner/dense', 'head']
    """
    return [e.path for e in walk(model)]


def get(model: keras.layers.Layer, path: str) -> Any:
    """The layer or model at ``path``, at any depth.

    Args:
        model: a Keras model.
        path: ``/`` separated layer names, e.g. ``per_word/char_cnn/conv``; a glob must match one layer.

    Returns:
        The layer object itself (not a copy): changing it changes the model.

    Raises:
        PathError: nothing at ``path`` (the message lists the nearest valid paths), or a glob matched
            no layer or several different layers.

    Example:
        >>> import keras, kernest
        >>> a = keras.Input((4,), name="a")
        >>> inner = keras.Model(a, keras.layers.Dense(3, name="dense")(a), name="inner")
        >>> b = keras.Input((4,), name="b")
        >>> outer = keras.Model(b, inner(b), name="outer")
        >>> kernest.get(outer, "inner/dense").units
        3
    """
    entries = list(walk(model, shapes=False))  # the structure is enough: no shapes, no tracing
    hits = find(model, path, entries)
    layers = {id(e.layer): e for e in hits}
    if len(layers) != 1:
        if not hits:
            raise path_error(model, path, [e.path for e in entries])
        raise PathError(
            f"The glob {path!r} matches {len(layers)} layers ({', '.join(e.path for e in hits[:8])}); "
            "kernest.get needs exactly one. Give the full path."
        )
    return hits[0].layer


def expand_patterns(model: Any, patterns: str | Iterable[str], entries: list[Entry]) -> list[Entry]:
    """Entries matched by one pattern or several, without repeats, in the order of the patterns."""
    if isinstance(patterns, str):
        patterns = [patterns]
    out: list[Entry] = []
    for p in patterns:
        for e in find(model, p, entries):
            if all(e is not o for o in out):
                out.append(e)
    return out


# --- the same layers in two models ---------------------------------------------------------------------

_KERAS_NUMBER = re.compile(r"_\d+$")  # Keras makes a default name unique as "softmax_31"
_DIRECTION = re.compile(r"^(?:forward|backward)_")  # Bidirectional names its copies of a layer "forward_gru_1"


def default_name(class_name: str) -> str:
    """The name Keras gives a layer of ``class_name`` that got none, before its number: ``softmax`` for
    ``Softmax``, ``einsum_dense`` for ``EinsumDense``."""
    name = re.sub(r"\W+", "", class_name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _unnumbered(name: str) -> str:
    return _KERAS_NUMBER.sub("", name)


def pair_paths(old: list[str], new: dict[str, str]) -> dict[str, str]:
    """The paths of ``old`` that ``new`` (path -> class name) holds too, each mapped to its path in ``new``;
    both parents first, as ``paths`` lists them. A path ``new`` lacks is paired, in order, with one under
    the same parent whose layer Keras named by default on both sides: such a name gets a new number in each
    session that builds or loads the model (``attention/softmax_31``, later ``attention/softmax_34``; inside a
    ``Bidirectional``, ``rnn/forward_gru``, later ``rnn/forward_gru_1``).

    Example:
        >>> pair_paths(["mha", "mha/softmax_31", "head"], {"mha": "MHA", "mha/softmax": "Softmax", "head_2": "Dense"})
        {'mha': 'mha', 'mha/softmax_31': 'mha/softmax'}
    """
    taken = set(old) & set(new)
    free = [p for p in new if p not in taken]
    pairs: dict[str, str] = {}
    for path in old:
        parent, _, name = path.rpartition(SEP)
        parent = pairs.get(parent, parent)
        here = f"{parent}{SEP}{name}" if parent else name
        if here in taken or here in free:
            pairs[path] = here
            if here in free:
                free.remove(here)
            continue
        for candidate in free:
            c_parent, _, c_name = candidate.rpartition(SEP)
            base = default_name(new[candidate])
            if c_parent == parent and _unnumbered(c_name) == _unnumbered(name) and _DIRECTION.sub("", _unnumbered(
                    c_name)) == base:
                pairs[path] = candidate
                free.remove(candidate)
                break
    return pairs
