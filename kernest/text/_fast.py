"""The ``Predictor``'s forward pass: every distinct word once, the word LSTMs packed by length, the n-gram bags
sparse.

``fast_forward(model, encoder)`` returns a function from a ``(batch,)`` string tensor to the model's output
that gives ``model(encoder.encode_tensor(texts)[0])`` (to float rounding) with less work:

- the texts are encoded as their distinct words and where each occurs (``TextEncoder.encode_distinct``);
- an ``over`` on the words axis runs its inner model (the char-CNN) once per distinct word of the call;
- an ``LSTM`` (or a ``Bidirectional`` one) reading those word features projects each distinct word's
  features once (one matmul for every step of every text), and steps all texts of the call together,
  longest first: at step ``t`` only the texts with more than ``t`` words run, so padded steps cost nothing
  and no step needs a mask (Keras' masked LSTM leaves a finished text's state as it was, which is the same);
- an ``NgramHash`` (the wide tower's hashed word 1-2-grams and character n-grams) hashes each distinct word
  once; its character n-grams reach a ``HashedLinear`` or ``EmbeddingBag`` as each text's real n-grams only
  (about 14 per word), not one slot per character position, n-gram size and word of the call's longest text
  (``(max_chars + 2) * 4`` per word, most of them empty). Those layers sum over a bag and skip its zeros, so
  the same buckets in another order and padding give them the same output;
- every other layer gets the ordinary tensors (the ids or word features of each position, with the mask)
  and runs as in ``model``.

The model's functional graph is run call by call (``kernest._graph.graph_calls``), nested functional models
included; the model itself is not changed. It is made for inference (``training=False``) on TensorFlow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import keras
import tensorflow as tf

from kernest._graph import _takes_training, functional_of, graph_calls, graph_inputs, set_mask
from kernest._over import Over
from kernest.text._encode import PAD_ID, TextEncoder
from kernest.text._layers import EmbeddingBag, HashedLinear, NgramHash, _word_hashes

# Identity at inference: they pass word features (and their mask) through unchanged.
_INFERENCE_IDENTITY = (keras.layers.Dropout, keras.layers.SpatialDropout1D, keras.layers.GaussianDropout,
                       keras.layers.GaussianNoise, keras.layers.AlphaDropout)
# They sum over each bag of n-gram buckets and skip its zeros: any order and zero padding of a text's buckets
# gives them the same output (at inference; training=True calls run as recorded).
_BAG_READERS = (HashedLinear, EmbeddingBag)
_MERGES: dict[str, Callable[[tf.Tensor, tf.Tensor], tf.Tensor]] = {
    "concat": lambda a, b: tf.concat([a, b], axis=-1), "sum": lambda a, b: a + b,
    "ave": lambda a, b: (a + b) / 2, "mul": lambda a, b: a * b}


@dataclass(frozen=True)
class _Ids:
    """The model input ``(B, W, C)``, held as the distinct words' ids and where each occurs."""

    words: tf.Tensor  # (1 + U, C) int32, row 0 all padding
    index: tf.Tensor  # (B, W) int32 row of words, 0 for padding

    def dense(self) -> tf.Tensor:
        return tf.gather(self.words, self.index)                        # (B, W, C)


@dataclass(frozen=True)
class _Words:
    """An ``over``'s output ``(B, W, F)``, held as each distinct word's features and where each occurs."""

    table: tf.Tensor       # (1 + U, F); row 0 is what a padded word gets
    index: tf.Tensor       # (B, W) int32
    mask: tf.Tensor | None  # (B, W) bool, or None where the over does not mask

    def dense(self) -> tf.Tensor:
        x = tf.gather(self.table, self.index)                           # (B, W, F)
        return x if self.mask is None else set_mask(x, self.mask)


@dataclass(frozen=True)
class _Bag:
    """A character-n-gram ``NgramHash``'s output ``(B, N)``, held as each text's real n-gram buckets ``(B, P)``
    (the same buckets, without the empty slots; 0 pads the rows to the call's most)."""

    layer: NgramHash
    ids: _Ids
    rows: tf.Tensor  # (B, P) int64

    def dense(self) -> tf.Tensor:
        return self.layer(self.ids.dense())                             # (B, N)


def fast_forward(model: keras.Model, encoder: TextEncoder
                 ) -> Callable[..., tuple[tf.Tensor, tf.Tensor, tf.Tensor]] | None:
    """A function ``texts (B,) string -> (model output, n_words, longest_word)`` (``encode_tensor``'s
    counts) that runs each distinct word once, or ``None`` when ``model`` is not a functional model whose
    first input is ``(batch, words, chars)``, with an ``over`` on its words or an ``NgramHash`` (then the
    caller runs ``model`` itself). The model's other inputs (e.g. sentence vectors computed before) are
    passed after the texts: ``forward(texts, *others)``.

    Args:
        model: a built functional model on ``encoder``'s ids.
        encoder: the encoder the model was trained with.
    """
    inputs = graph_inputs(model)
    if not inputs or len(inputs[0].shape) != 3 or not _has_shortcut(model):
        return None
    _, _, model_chars = inputs[0].shape
    table = encoder.table  # built eagerly: a table made inside a trace would belong to that graph

    @tf.autograph.experimental.do_not_convert  # plain graph code: its loop is a tf.while_loop
    def forward(texts: tf.Tensor, *others: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        ids, index, n_words, longest = encoder.encode_distinct(texts, table)   # (1+U, C), (B, W), (B,), (B,)
        if model_chars is None:  # the model takes words of any length: cut to the longest distinct word
            real = tf.reduce_sum(tf.cast(tf.not_equal(ids, PAD_ID), tf.int32), axis=1)
            ids = ids[:, : tf.maximum(tf.reduce_max(real), 1)]
        (out,) = _run(model, [_Ids(ids, index), *others])
        return out, n_words, longest

    return forward


def _has_shortcut(model: Any) -> bool:
    """Whether an ``over`` on axis 1 or an ``NgramHash`` is called in ``model``'s graph or a nested
    functional model's."""
    for call in graph_calls(model) or []:
        if (isinstance(call.layer, Over) and call.layer.axis_index == 1) or type(call.layer) is NgramHash:
            return True
        if functional_of(call.layer) is not None and _has_shortcut(call.layer):
            return True
    return False


def _run(model: Any, inputs: list[Any]) -> list[Any]:
    """``model``'s graph on ``inputs`` (tensors, ``_Ids`` or ``_Words``), call by call; its flat outputs."""
    values = {id(x): v for x, v in zip(graph_inputs(model) or [], inputs)}
    for call in graph_calls(model) or []:
        args, kwargs = call.node.arguments.fill_in(values)
        outputs = keras.tree.flatten(_call(call.layer, args, kwargs))
        for old, new in zip(call.outputs, outputs, strict=True):
            values[id(old)] = new
    return [values[id(x)] for x in keras.tree.flatten(model.outputs)]


def _call(layer: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """One call of the graph: the per-word shortcuts where they apply, else ``layer`` on plain tensors."""
    lazy = [x for x in keras.tree.flatten((args, kwargs)) if isinstance(x, (_Ids, _Words, _Bag))]
    if lazy and kwargs.get("training") is not True:  # a call recorded with training=True runs as recorded
        # The graph passes a mask as mask= (the ops that compute it are calls of the graph too).
        first = args[0] if len(args) == 1 else None
        extra = {k: v for k, v in kwargs.items()
                 if k != "training" and any(x is not None for x in keras.tree.flatten(v))}
        if isinstance(layer, Over) and layer.axis_index == 1 and isinstance(first, _Ids) and not extra:
            return _over_words(layer, first)
        if isinstance(layer, _INFERENCE_IDENTITY) and isinstance(first, _Words) and not extra:
            return first
        if type(layer) is NgramHash and isinstance(first, _Ids) and not extra:
            return _ngram_buckets(layer, first)
        if type(layer) in _BAG_READERS and not extra:
            args = keras.tree.map_structure(lambda x: x.rows if isinstance(x, _Bag) else x, args)
        if (isinstance(first, _Words) and set(extra) <= {"mask"} and not isinstance(extra.get("mask"), _Words)
                and (directions := _lstm_directions(layer)) is not None):
            return _packed_lstm(layer, directions, first, extra.get("mask", first.mask))
        if functional_of(layer) is not None and not extra:
            outputs = _run(functional_of(layer), keras.tree.flatten(args))
            return outputs[0] if len(outputs) == 1 else outputs
    if lazy:
        args, kwargs = keras.tree.map_structure(
            lambda x: x.dense() if isinstance(x, (_Ids, _Words, _Bag)) else x, (args, kwargs))
    if _takes_training(layer) and "training" not in kwargs:
        kwargs = {**kwargs, "training": False}
    return layer(*args, **kwargs)


def _over_words(layer: Over, ids: _Ids) -> _Words:
    """``over("words", inner)`` with ``inner`` run once per distinct word.

    ``over`` gives a padded word zeros where it skips padding (its default on TensorFlow), else what
    ``inner`` makes of an all-padding word; row 0 (the padding row) gets the same."""
    kwargs = {"training": False} if layer._inner_takes_training else {}
    table = layer.layer(ids.words, **kwargs)                                    # (1 + U, F)
    if not tf.is_tensor(table):  # an inner model with several outputs: over itself runs it
        return layer(ids.dense(), training=False)
    real = tf.reduce_any(tf.not_equal(ids.words, PAD_ID), axis=1)               # (1 + U,): row 0 False
    if layer.mask_padding and layer.skip_padding is not False:
        table = table * tf.cast(real, table.dtype)[:, None]
    mask = tf.gather(real, ids.index) if layer.mask_padding else None           # over's mask: a real word
    return _Words(table, ids.index, mask)


def _ngram_buckets(layer: NgramHash, ids: _Ids) -> tf.Tensor | _Bag:
    """``NgramHash`` with each distinct word hashed once: word n-grams as the layer gives them ``(B, N)``;
    character n-grams as a ``_Bag`` of each text's real n-grams (those across words, ``"text_chars"``, as the
    layer gives them)."""
    if layer.kind == "words":
        x = tf.cast(ids.words, tf.int64)                                         # (1 + U, C)
        word = tf.reduce_any(tf.not_equal(x, 0), axis=1)                        # (1 + U,): row 0 False
        return layer.word_buckets(tf.gather(_word_hashes(x), ids.index), tf.gather(word, ids.index))
    if layer.kind == "text_chars":  # its n-grams run across words: hashed on the texts themselves
        return layer(ids.dense())                                                # (B, N)
    grams = layer(ids.words[:, None, :])                                         # (1 + U, S), 0: no n-gram
    per_word = tf.ragged.boolean_mask(grams, tf.not_equal(grams, 0))            # (1 + U, (n-grams))
    real = tf.not_equal(ids.index, 0)                                            # (B, W)
    found = tf.gather(per_word, tf.boolean_mask(ids.index, real))               # (occurrences, (n-grams))
    per_text = tf.reduce_sum(tf.gather(per_word.row_lengths(), ids.index) * tf.cast(real, tf.int64), axis=1)
    rows = tf.RaggedTensor.from_row_lengths(found.flat_values, per_text).to_tensor(default_value=0)
    return _Bag(layer, ids, rows)                                                # (B, P)


def _lstm_directions(layer: Any) -> list[Any] | None:
    """The ``LSTM`` layers (one per direction) of a plain or ``Bidirectional`` LSTM that returns its last
    output only, in float32; ``None`` for any other layer."""
    def plain(lstm: Any) -> bool:
        return (type(lstm) is keras.layers.LSTM and type(lstm.cell) is keras.layers.LSTMCell
                and not (lstm.return_sequences or lstm.return_state or lstm.stateful)
                and lstm.compute_dtype == "float32")

    if isinstance(layer, keras.layers.Bidirectional):
        if (layer.merge_mode in _MERGES and not (layer.return_sequences or layer.return_state)
                and plain(layer.forward_layer) and plain(layer.backward_layer)):
            return [layer.forward_layer, layer.backward_layer]
        return None
    return [layer] if plain(layer) else None


def _packed_lstm(layer: Any, directions: list[Any], words: _Words, mask: tf.Tensor | None) -> tf.Tensor:
    """The LSTM's last output for every text, all texts stepped together longest first.

    Keras' masked LSTM keeps a text's state unchanged at masked steps. Here the texts are sorted by their
    number of real words, so at step ``t`` the texts still running are the first ``active[t]``; only those
    rows are computed and the others keep their state. A backward LSTM reads each text's real words from the
    last one. This needs each text's real words first and its padding after (``over``'s mask on encoded
    texts always is); a mask with gaps runs the Keras layer instead."""
    mask = tf.ones_like(words.index, tf.bool) if mask is None else tf.cast(mask, tf.bool)
    lengths = tf.reduce_sum(tf.cast(mask, tf.int32), axis=1)                     # (B,)
    prefix = tf.reduce_all(tf.equal(mask, tf.range(tf.shape(mask)[1])[None, :] < lengths[:, None]))
    return tf.cond(prefix, lambda: _packed(layer, directions, words, lengths),
                   lambda: layer(words.dense(), mask=mask, training=False))


def _packed(layer: Any, directions: list[Any], words: _Words, lengths: tf.Tensor) -> tf.Tensor:
    order = tf.argsort(lengths, direction="DESCENDING", stable=True)
    lengths = tf.gather(lengths, order)
    rows = tf.gather(words.index, order)                                         # (B, W)
    steps = tf.shape(rows)[1]
    active = tf.reduce_sum(tf.cast(lengths[None, :] > tf.range(steps)[:, None], tf.int32), axis=1)  # (W,)
    cells, kernels, projected, time_rows = [], [], [], []
    for lstm in directions:
        cell = lstm.cell
        # Gate columns reordered from Keras' (i, f, c, o) to (i, f, o, c): one sigmoid, then one tanh per step.
        units = cell.units
        gates = tf.concat([tf.range(2 * units), tf.range(3 * units, 4 * units), tf.range(2 * units, 3 * units)], 0)
        p = tf.matmul(words.table, tf.gather(tf.convert_to_tensor(cell.kernel), gates, axis=1))  # (1 + U, 4 units)
        projected.append(p + tf.gather(tf.convert_to_tensor(cell.bias), gates) if cell.use_bias else p)
        kernels.append(tf.gather(tf.convert_to_tensor(cell.recurrent_kernel), gates, axis=1))   # (units, 4 units)
        r = tf.reverse_sequence(rows, lengths, seq_axis=1, batch_axis=0) if lstm.go_backwards else rows
        time_rows.append(tf.transpose(r))                                        # (W, B)
        cells.append(cell)

    def step(t: tf.Tensor, *states: tf.Tensor) -> tuple[tf.Tensor, ...]:
        k = active[t]
        new = []
        for cell, kernel, p, r, h, c in zip(cells, kernels, projected, time_rows, states[0::2], states[1::2]):
            z = tf.gather(p, r[t, :k]) + tf.matmul(h[:k], kernel)               # (k, 4 units)
            units = cell.units
            ifo = cell.recurrent_activation(z[:, : 3 * units])
            c_new = ifo[:, units: 2 * units] * c[:k] + ifo[:, :units] * cell.activation(z[:, 3 * units:])
            h_new = ifo[:, 2 * units:] * cell.activation(c_new)
            new += [tf.ensure_shape(tf.concat([h_new, h[k:]], axis=0), h.shape),
                    tf.ensure_shape(tf.concat([c_new, c[k:]], axis=0), c.shape)]
        return (t + 1, *new)

    batch = tf.shape(rows)[0]
    zeros = [tf.zeros([batch, cell.units]) for cell in cells for _ in range(2)]
    final = tf.while_loop(lambda t, *_: t < steps, step, (tf.constant(0), *zeros))
    back = tf.argsort(order)                                                     # sorted -> input order
    outs = [tf.gather(h, back) for h in final[1::2]]                             # (B, units) per direction
    return outs[0] if len(outs) == 1 else _MERGES[layer.merge_mode](outs[0], outs[1])
