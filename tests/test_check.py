from __future__ import annotations

import keras
import pytest

import kernest
from tests import models

pytestmark = pytest.mark.core
L = keras.layers


def article_stages():
    """The article's example 1: a Flatten ends the char-CNN, so the LSTM gets no steps axis."""
    cnn = keras.Sequential([L.Conv1D(32, 3, name="conv"), L.MaxPooling1D(2, name="pool"), L.Flatten(name="flatten")], name="char_cnn")
    rnn = keras.Sequential([L.LSTM(64, name="lstm"), L.Dense(1, name="out")], name="word_lstm")
    return cnn, rnn


def test_flatten_into_lstm_names_path_interface_and_fix():
    cnn, rnn = article_stages()
    with pytest.raises(kernest.InterfaceError, match=r"word_lstm/lstm.*char_cnn -> word_lstm.*expected") as info:
        kernest.check([cnn, rnn], input=(100, 50))
    err = info.value
    assert err.path == "word_lstm/lstm"
    assert err.interface == "char_cnn -> word_lstm"
    assert err.expected == "(batch, steps, features)"
    assert err.received == "(batch, 1568)"
    assert "char_cnn/flatten removed the steps axis" in err.fix
    assert "(batch, 49, " in err.fix and "kernest.over(1, char_cnn)" in err.fix  # the input names no axis


def test_check_allocates_no_weights():
    conv, pool = L.Conv1D(32, 3, name="conv"), L.MaxPooling1D(2, name="pool")
    cnn = keras.Sequential([conv, pool], name="char_cnn")
    _, rnn = article_stages()
    head = L.Dense(10_000, name="huge")
    report = kernest.check([cnn, rnn, head], input=kernest.Input((100, 50), axes=("chars", "alphabet")))
    assert [i.consumer for i in report.interfaces][-1] == "huge"
    for layer in (cnn, rnn, head, conv, *rnn.layers):
        assert layer.weights == []
    assert not conv.built and not head.built and not rnn.layers[0].built
    assert "(batch, chars=49, filters=32)" in str(report)


def test_report_lists_every_interface_with_axis_names():
    report = kernest.check(models.word_model())
    text = str(report)
    assert "per_word -> word_lstm" in text.replace("  ", " ") or any(
        i.producer == "per_word" and i.consumer == "word_lstm" for i in report.interfaces
    )
    crossing = next(i for i in report.interfaces if i.producer == "per_word")
    assert crossing.shape == f"(batch, words={models.WORDS}, filters=8)"
    assert any(i.consumer == "per_word/char_cnn/conv" for i in report.interfaces)


def test_silent_last_axis_squeeze_is_caught():
    """Keras builds this (allow_last_axis_squeeze) and fails only at predict time."""
    i = keras.Input((None, 16), name="tokens")
    inner = keras.Model(i, L.Dense(4, name="proj")(i), name="inner")
    x = keras.Input((40,), name="features")
    outer = keras.Model(x, inner(x), name="outer")  # Keras accepts it
    with pytest.raises(kernest.InterfaceError, match="inner") as info:
        kernest.check(outer)
    assert info.value.expected == "(batch, ?, 16)"
    assert info.value.received == "(batch, 40)"


def test_every_mismatch_is_listed_first_one_first():
    a = keras.Input((8,), name="a")
    inner = keras.Model(a, [L.Dense(32, name="wide")(a), L.Dense(16, name="narrow")(a)], name="inner")
    p, q = keras.Input((30,), name="p"), keras.Input((10,), name="q")
    outer = keras.Model([p, q], L.Dense(1)(L.Concatenate()([p, q])), name="outer")
    with pytest.raises(kernest.InterfaceError) as info:
        kernest.connect(inner, outer)
    assert [m.path for m in info.value.mismatches] == ["outer/p", "outer/q"]
    assert "2 interfaces do not fit" in str(info.value)


def test_dense_width_mismatch_in_a_description():
    built = L.Dense(4, name="proj")
    built.build((None, 12))
    with pytest.raises(kernest.InterfaceError, match="proj") as info:
        kernest.check([L.Dense(7, name="pre"), built], input=(3,))
    assert info.value.expected == "(batch, ..., 12)"
    assert "Dense(12)" in info.value.fix


def test_one_axis_too_many_suggests_over():
    x = kernest.Input((6, 8), axes=("words", "chars"), dtype="int32")
    with pytest.raises(kernest.InterfaceError) as info:
        kernest.check([L.Embedding(30, 4, name="embed"), L.LSTM(3, name="lstm")], input=x)
    assert "kernest.over" in info.value.fix


@pytest.mark.parametrize(
    "target, kwargs, message",
    [
        ("not a model", {}, "needs a Keras model"),
        ([], {"input": (3,)}, "empty list of stages"),
        ([L.Dense(3), "x"], {"input": (3,)}, "stage 1 is a str"),
        ([L.Dense(3)], {}, "needs input="),
        (keras.Sequential([L.Dense(3)]), {}, "not built and has no declared input"),
        ([L.Dense(3)], {"input": "wide"}, "must be a kernest.Input"),
    ],
)
def test_bad_targets_get_one_paragraph_errors(target, kwargs, message):
    with pytest.raises(kernest.KernestError, match=message) as info:
        kernest.check(target, **kwargs)
    assert "\n" not in str(info.value)


def test_over_axis_missing_in_a_description():
    x = kernest.Input((6, 8), axes=("words", "chars"), dtype="int32")
    with pytest.raises(kernest.KernestError, match="no axis named 'sentences'"):
        kernest.check([kernest.over("sentences", models.char_cnn())], input=x)


def test_channels_first_cnn_checks_with_its_own_axis_order():
    """An image model in channels_first order: names follow the channels axis, and a missing axis is
    described in that order."""
    cnn = keras.Sequential([L.Conv2D(8, 3, data_format="channels_first", name="conv"),
                            L.GlobalAveragePooling2D(data_format="channels_first", name="gap")], name="cnn")
    head = keras.Sequential([L.Dense(2, name="cls")], name="head")
    x = kernest.Input((3, 32, 32), axes=("rgb", "rows", "cols"))
    report = kernest.check([cnn, head], input=x)
    crossing = next(i for i in report.interfaces if i.producer == "cnn" and i.consumer == "head")
    assert crossing.shape == "(batch, filters=8)"
    conv_out = next(i for i in report.interfaces if i.consumer == "cnn/gap")
    assert conv_out.shape == "(batch, filters=8, rows=30, cols=30)"

    flat = kernest.Input((32, 32), axes=("rows", "cols"))  # the channels axis is missing
    with pytest.raises(kernest.InterfaceError, match=r"cnn/conv") as info:
        kernest.check([cnn, head], input=flat)
    assert info.value.expected == "(batch, channels, height, width)"
    assert "words" not in info.value.fix


def test_axis_removed_upstream_names_the_axis_the_input_has():
    """No 'words' axis: the hint maps over the input's own first axis, by name or by position."""
    cnn, rnn = article_stages()
    named = kernest.Input((100, 50), axes=("frames", "bins"))
    with pytest.raises(kernest.InterfaceError) as info:
        kernest.check([cnn, rnn], input=named)
    assert 'kernest.over("frames", char_cnn)' in info.value.fix
    assert "(batch, frames, features)" in info.value.fix and "words" not in info.value.fix


class _AtMost3(L.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.input_spec = keras.layers.InputSpec(max_ndim=3)

    def call(self, x):
        return x


def test_a_rank_limit_never_reads_as_a_dense_width():
    stage = _AtMost3(name="at_most_3")
    with pytest.raises(kernest.InterfaceError) as info:
        kernest.check([stage], input=kernest.Input((4, 5, 6), axes=("clips", "frames", "bins")))
    err = info.value
    assert err.expected == "at most 3 axes"
    assert "Dense(at most" not in str(err) and "Dense(" not in err.fix
    assert 'kernest.over("clips", ...)' in err.fix


def test_softmax_over_an_axis_of_one_is_a_warning_with_the_nested_path():
    """Nothing raises: softmax over one entry is 1.0 for every input (keras#500)."""
    f = keras.Input((6,), name="f")
    scorer = keras.Model(f, L.Dense(1, activation="softmax", name="score")(f), name="scorer")
    x = keras.Input((6,), name="x")
    with pytest.warns(kernest.KernestWarning, match="scorer/score"):
        report = kernest.check(keras.Model(x, scorer(x), name="ranker"))
    assert any("scorer/score: input:x -> scorer" in w and 'activation="sigmoid"' in w for w in report.warnings)


def test_softmax_layer_over_a_longer_axis_gives_no_warning():
    x = keras.Input((3, 5), name="x")
    report = kernest.check(keras.Model(x, L.Softmax(axis=1, name="sm")(L.Dense(5)(x)), name="attn"))
    assert report.warnings == []


def test_an_rnn_given_more_initial_states_than_it_keeps_is_caught_before_it_runs():
    """TensorFlow and JAX fail only at fit; PyTorch runs it, using the encoder's output as the cell state."""
    notes = keras.Input((4, 3), name="notes")
    enc = keras.Model(notes, L.LSTM(5, return_state=True, name="enc_lstm")(notes), name="melody_enc")
    src, tgt = keras.Input((4, 3), name="src"), keras.Input((6, 3), name="tgt")
    dec = L.LSTM(5, name="dec")(tgt, initial_state=enc(src))
    with pytest.warns(kernest.KernestWarning, match="dec"):
        report = kernest.check(keras.Model([src, tgt], dec, name="harmoniser"))
    assert any("melody_enc -> dec" in w and "[1:]" in w for w in report.warnings)


def test_a_sigmoid_output_given_to_a_loss_built_from_logits_is_a_warning():
    """Nothing raises: the loss squashes probabilities a second time (keras-io#494, tf#50190)."""
    f = keras.Input((4,), name="f")
    tagger = keras.Model(f, L.Dense(3, activation="sigmoid", name="tags")(f), name="tagger")
    x = keras.Input((4,), name="x")
    model = keras.Model(x, tagger(x), name="multi_label")
    model.compile(optimizer="sgd", loss=keras.losses.BinaryCrossentropy(from_logits=True))
    with pytest.warns(kernest.KernestWarning, match="tagger/tags"):
        report = kernest.check(model)
    assert any("tagger/tags: tagger -> loss" in w and "from_logits=False" in w for w in report.warnings)


def test_logits_given_to_a_loss_built_from_logits_give_no_warning():
    x = keras.Input((4,), name="x")
    model = keras.Model(x, L.Dense(3, name="logits")(x), name="clf")
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert kernest.check(model).warnings == []
