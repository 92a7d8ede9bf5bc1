from __future__ import annotations

import keras
import numpy as np
import pytest

import kernest
from tests import models

pytestmark = pytest.mark.core
L = keras.layers


def test_nest_returns_a_plain_functional_model_that_trains():
    inner = models.mlp((64, 32), "inner", input_dim=10)
    outer = models.mlp((16, 1), "outer", input_dim=32)
    model = kernest.nest(inner, outer, input=kernest.Input((10,), axes=("features",)), name="mlp")
    assert type(model) is keras.Model or type(model).__name__ == "Functional"
    model.compile("adam", "mse")
    history = model.fit(np.ones((8, 10)), np.ones((8, 1)), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


def test_nest_checks_before_building():
    inner = models.mlp((64, 32), "inner", input_dim=10)
    outer = models.mlp((16, 1), "outer", input_dim=30)
    with pytest.raises(kernest.InterfaceError, match=r"^nest\(inner, outer\): outer.*inner -> outer.*expected \(batch, 30\)"):
        kernest.nest(inner, outer, input=(10,))


def test_nest_carries_the_mask_into_a_nested_model():
    rnn = keras.Sequential([L.LSTM(4, name="lstm")], name="word_lstm")
    model = kernest.nest(kernest.over("words", models.char_cnn()), rnn, input=kernest.Input((None, models.CHARS), axes=("words", "chars"), dtype="int32"))
    data = models.char_ids(batch=2, words=3)
    padded = np.concatenate([data, np.zeros((2, 2, models.CHARS), "int32")], axis=1)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(data)), keras.ops.convert_to_numpy(model(padded)), atol=1e-6)


def test_nest_without_input_takes_the_first_stages_input():
    inner = models.mlp((8, 4), "inner", input_dim=6)
    model = kernest.nest(inner, models.mlp((2,), "outer", input_dim=4))
    assert tuple(model.input.shape) == (None, 6)
    model.compile("adam", "mse")
    model.fit(np.ones((4, 6)), np.ones((4, 2)), epochs=1, verbose=0)
    with pytest.raises(kernest.InterfaceError, match=r"outer.*expected \(batch, 5\)"):
        kernest.nest(inner, models.mlp((2,), "outer", input_dim=5))  # still checked before it is built


@pytest.mark.parametrize("stages, kwargs, message", [
    ((), {"input": (3,)}, "no stages"), ((L.Dense(2),), {"input": "x"}, "input="),
    ((L.Dense(2),), {}, r"needs input=: its first stage 'dense\w*' declares no input"),
])
def test_nest_bad_input(stages, kwargs, message):
    with pytest.raises(kernest.KernestError, match=message):
        kernest.nest(*stages, **kwargs)


def two_output_inner():
    x = keras.Input((10,), name="x")
    return keras.Model(x, [L.Dense(32, name="wide")(x), L.Dense(16, name="narrow")(x)], name="inner")


def test_connect_matches_by_name_then_order_and_says_which():
    narrow, other = keras.Input((16,), name="narrow"), keras.Input((32,), name="other")
    outer = keras.Model([narrow, other], L.Dense(1, name="out")(L.Concatenate()([narrow, other])), name="outer")
    model = kernest.connect(two_output_inner(), outer)
    assert [str(w) for w in model.wiring] == ["narrow -> narrow (by name)", "wide -> other (by order)"]
    assert model.output_shape == (None, 1)


def test_connect_gives_unique_output_names_so_per_output_losses_work():
    p, q = keras.Input((32,), name="p"), keras.Input((16,), name="q")
    outer = keras.Model([p, q], [L.Dense(1, name="score")(p), L.Dense(1, name="score_2")(q)], name="head")
    model = kernest.connect(two_output_inner(), outer)
    assert model.output_names == ["head_score", "head_score_2"]
    model.compile("adam", loss={"head_score": "mse", "head_score_2": "mae"})
    model.fit(np.ones((4, 10)), {"head_score": np.ones((4, 1)), "head_score_2": np.zeros((4, 1))}, verbose=0)


def test_connect_keeps_dict_output_keys():
    p, q = keras.Input((32,), name="wide"), keras.Input((16,), name="narrow")
    outer = keras.Model([p, q], {"risk": L.Dense(1)(p), "churn": L.Dense(1)(q)}, name="head")
    model = kernest.connect(two_output_inner(), outer)
    out = model(np.ones((2, 10)))
    assert set(out) == {"risk", "churn"}


def test_connect_counts_must_agree():
    only = keras.Input((32,), name="only")
    outer = keras.Model(only, L.Dense(1)(only), name="one_input")
    with pytest.raises(kernest.InterfaceError, match=r"1 input\(s\).*2 output\(s\)"):
        kernest.connect(two_output_inner(), outer)


def test_connect_rejects_non_models():
    with pytest.raises(kernest.KernestError, match="built functional keras.Model"):
        kernest.connect(L.Dense(3), two_output_inner())


def _tower(name: str, width: int) -> keras.Model:
    x = keras.Input((5, 3), name="chars")
    return keras.Model(x, L.Dense(width, name="proj")(L.Flatten()(x)), name=name)


def _two_input_head() -> keras.Model:
    a, b = keras.Input((4,), name="wide"), keras.Input((2,), name="deep")
    return keras.Model([a, b], L.Dense(3, name="classes")(L.Concatenate()([a, b])), name="head")


def test_connect_runs_towers_side_by_side_on_their_shared_input() -> None:
    deep, wide = _tower("deep", 2), _tower("wide", 4)
    model = kernest.connect([deep, wide], _two_input_head(), name="both")
    # One input for the towers' shared "chars"; each tower feeds the head input of its own name.
    assert len(model.inputs) == 1 and model.output_shape == (None, 3)
    assert [str(w) for w in model.wiring] == ["wide -> wide (by name)", "deep -> deep (by name)"]
    assert {"deep/proj", "wide/proj", "head/classes"} <= set(kernest.paths(model))
    x = np.random.default_rng(0).normal(size=(4, 5, 3)).astype("float32")
    by_hand = _two_input_head()
    by_hand.set_weights(model.get_layer("head").get_weights())
    def run(m: keras.Model, x: object) -> np.ndarray:
        return m.predict(x, verbose=0)

    np.testing.assert_allclose(run(model, x), run(by_hand, [run(wide, x), run(deep, x)]), atol=1e-6)
    model.compile("adam", "mse")
    model.train_on_batch(x, np.zeros((4, 3)))
    kernest.freeze(model, "deep/**", recompile=True)
    assert not model.get_layer("deep").trainable and model.get_layer("wide").trainable


def test_connect_towers_must_agree_on_a_shared_input() -> None:
    x = keras.Input((7, 3), name="chars")
    odd = keras.Model(x, L.Flatten()(x), name="odd")
    with pytest.raises(kernest.KernestError, match="share the input 'chars' with different shapes"):
        kernest.connect([_tower("deep", 2), odd], _two_input_head())
    with pytest.raises(kernest.KernestError, match="list of inner models"):
        kernest.connect([_tower("deep", 2), L.Dense(3)], _two_input_head())


def test_connect_pairs_dict_outputs_by_key_whatever_their_order():
    """Keras orders a dict's outputs by key; the names must follow that order, not the dict's."""
    x = keras.Input((6,), name="x")
    inner = keras.Model(x, {"zeta": keras.layers.Dense(4)(x), "alpha": keras.layers.Dense(2)(x)}, name="two")
    a, z = keras.Input((2,), name="alpha"), keras.Input((4,), name="zeta")
    outer = keras.Model([z, a], keras.layers.Dense(1)(keras.layers.Concatenate()([z, a])), name="head")
    model = kernest.connect(inner, outer)
    assert sorted(str(w) for w in model.wiring) == ["alpha -> alpha (by name)", "zeta -> zeta (by name)"]
    assert tuple(model.output.shape) == (None, 1)


class _OnlyCall(keras.Model):
    """A subclassed stage that defines ``call`` only, as most user-written ones do (no compute_output_shape)."""

    def __init__(self, units: int) -> None:
        super().__init__(name="only_call")
        self.dense = L.Dense(units)

    def call(self, x):
        return self.dense(x) * 2.0


def test_nest_takes_a_subclassed_stage_that_defines_only_call():
    model = kernest.nest(models.mlp((6,), "enc", input_dim=4), _OnlyCall(3), input=(4,))
    assert tuple(model(np.ones((2, 4), "float32")).shape) == (2, 3)
    assert "only_call" in str(kernest.check(model))


def test_nest_still_names_a_subclassed_stage_that_refuses_its_input():
    rnn_head = keras.Sequential([L.LSTM(2)], name="rnn_head")
    with pytest.raises(kernest.InterfaceError, match=r"rnn_head"):
        kernest.nest(models.mlp((6,), "enc", input_dim=4), _OnlyCall(5), rnn_head, input=(4,))
