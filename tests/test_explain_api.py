"""``_explain_api`` and ``_callsite.ModelCall``: a model's API (fit, predict, evaluate, calling it, compile settings,
save, load) given data or settings of another structure than the nested model declares. Each test is a small
user script of its own (other names, sizes and ranks than tests/sweep/), checked as ``kernest check`` does."""

from __future__ import annotations

import numpy as np
import pytest

from kernest._callsite import model_call
from tests.corpus_cases import check_script

pytestmark = pytest.mark.core


_script = check_script


def test_one_parsed_view_of_a_model_call_by_position_and_keyword():
    scope = {"a": np.zeros((2, 3)), "b": np.zeros((2, 4)), "w": np.ones(2)}
    call = model_call("hist = net.fit([a, b], y_train, 16, sample_weight=w, validation_data=(va, vy))", scope)
    assert call is not None and call.method == "fit" and call.owner == "net" and call.model is None
    assert call.text("x") == "[a, b]" and call.listed("x") == ["a", "b"]
    assert call.text("y") == "y_train" and call.text("batch_size") == "16"
    assert call.names("y", "sample_weight") == {"y_train", "w"}
    assert call.value("sample_weight") is scope["w"]
    assert call.listed("y") is None and call.node("class_weight") is None
    ev = model_call("score = self.model.evaluate(x=xs, y=[y1, y2], verbose=0)", {})
    assert ev is not None and ev.method == "evaluate" and ev.owner == "self.model" and ev.listed("y") == ["y1", "y2"]
    assert model_call("np.stack([a, b])", scope) is None


CONCAT = '''
tok_in = keras.Input((7,))
tok_enc = keras.Model(tok_in, L.Dense(3, name="te")(tok_in), name="tok_enc")
tokens, pos, seg = keras.Input((7,), name="tokens"), keras.Input((2,), name="pos"), keras.Input((5,), name="seg")
tagger = keras.Model([tokens, pos, seg], L.Dense(2, name="o")(L.Concatenate()([tok_enc(tokens), pos, seg])), name="tagger")
tagger.compile(optimizer="sgd", loss="mse")
tok_ids, positions, segments = np.random.rand(9, 7), np.random.rand(9, 2), np.random.rand(9, 5)
'''


def test_a_dict_of_data_with_a_misnamed_key_is_renamed_with_the_users_arrays(tmp_path):
    code, printed = _script(tmp_path, CONCAT + '''
tagger.fit({"token": tok_ids, "pos": positions, "seg": segments}, np.zeros((9, 2)), epochs=1, verbose=0)
''')
    assert code == 1 and "tagger: data -> tagger" in printed and "'token' -> 'tokens'" in printed
    assert '{"tokens": tok_ids, "pos": positions, "seg": segments}' in printed


def test_too_few_arrays_for_a_model_of_several_inputs_names_the_missing_one(tmp_path):
    code, printed = _script(tmp_path, CONCAT + '''
tagger.predict([tok_ids, segments], verbose=0)
''')
    assert code == 1 and "the missing one is pos (batch, 2)" in printed
    assert "[tok_ids, <pos (9, 2)>, segments]" in printed


def test_several_arrays_for_one_input_are_joined_when_their_widths_add_up(tmp_path):
    code, printed = _script(tmp_path, '''
c_in = keras.Input((4, 9))
core = keras.Model(c_in, L.GRU(2, name="g")(c_in), name="core")
x = keras.Input((4, 9), name="frames")
net = keras.Model(x, core(x), name="net")
a, b, c = np.random.rand(3, 4, 2), np.random.rand(3, 4, 3), np.random.rand(3, 4, 4)
net.predict([a, b, c], verbose=0)
''')
    assert code == 1 and "np.concatenate([a, b, c], axis=-1)" in printed


def test_inputs_given_as_separate_arguments_go_in_one_list(tmp_path):
    code, printed = _script(tmp_path, CONCAT + '''
tagger(tok_ids, positions, segments)
''')
    assert code == 1 and "tagger([tok_ids, positions, segments])" in printed


HEADS = '''
def head(name, units):
    i = keras.Input((3,))
    return keras.Model(i, L.Dense(units, name="d")(i), name=name)

x = keras.Input((6,), name="x")
z = L.Dense(3, name="z")(x)
triple = keras.Model(x, [head("mean_head", 1)(z), head("var_head", 1)(z), head("kind_head", 3)(z)], name="triple")
'''


def test_loss_weights_shorter_than_the_outputs_are_given_one_per_output_by_name(tmp_path):
    code, printed = _script(tmp_path, HEADS + '''
triple.compile(optimizer="sgd", loss="mse", loss_weights=[1.0, 0.5])
triple.fit(np.random.rand(5, 6), [np.zeros((5, 1)), np.zeros((5, 1)), np.zeros((5, 3))], epochs=1, verbose=0)
''')
    assert code == 1 and "triple -> loss_weights" in printed
    # An output without a weight is weighted 1.0 by Keras, not by the last weight given for another output.
    assert 'loss_weights={"mean_head": 1.0, "var_head": 0.5, "kind_head": 1.0}' in printed


def test_labels_keyed_by_other_names_than_the_outputs_are_renamed(tmp_path):
    code, printed = _script(tmp_path, HEADS + '''
triple.compile(optimizer="sgd", loss="mse")
labels = {"mean": np.zeros((5, 1)), "var": np.zeros((5, 1)), "kind": np.zeros((5, 3))}
triple.fit(np.random.rand(5, 6), labels, epochs=1, verbose=0)
''')
    assert code == 1 and "'mean' -> 'mean_head'" in printed and "'kind' -> 'kind_head'" in printed
    assert '"var_head": labels["var"]' in printed


def test_one_labels_array_for_several_outputs_goes_with_the_output_of_its_shape(tmp_path):
    code, printed = _script(tmp_path, HEADS + '''
triple.compile(optimizer="sgd", loss="mse")
y_kind = np.random.rand(5, 3)
triple.fit(np.random.rand(5, 6), y_kind, epochs=1, verbose=0)
''')
    assert code == 1 and "y_kind fits kind_head" in printed
    assert "[<mean_head labels (5, 1)>, <var_head labels (5, 1)>, y_kind]" in printed


def test_sample_weights_with_a_column_too_many_are_one_per_sample(tmp_path):
    code, printed = _script(tmp_path, '''
s_in = keras.Input((3, 2))
seq = keras.Model(s_in, L.Dense(1, name="d")(s_in), name="seq")
x = keras.Input((3, 2), name="x")
net = keras.Model(x, seq(x), name="net")
net.compile(optimizer="sgd", loss="mse")
w = np.random.rand(6, 3, 4)
net.fit(np.random.rand(6, 3, 2), np.random.rand(6, 3, 1), sample_weight=w, epochs=1, verbose=0)
''')
    assert code == 1 and "sample_weight of shape (6, 3)" in printed and "w.mean(axis=-1)" in printed


def test_a_dataset_of_inputs_only_is_zipped_with_labels(tmp_path):
    code, printed = _script(tmp_path, '''
import tensorflow as tf
b_in = keras.Input((3,))
body = keras.Model(b_in, L.Dense(1, name="b")(b_in), name="body")
x = keras.Input((3,), name="x")
net = keras.Model(x, body(x), name="net")
net.compile(optimizer="sgd", loss="mae")
inputs_ds = tf.data.Dataset.from_tensor_slices(np.random.rand(6, 3).astype("float32")).batch(3)
net.evaluate(inputs_ds, verbose=0)
''')
    assert code == 1 and "net.evaluate(tf.data.Dataset.zip((inputs_ds, labels)), ...)" in printed


def test_a_lambda_refused_at_load_is_located_and_safe_mode_named(tmp_path):
    code, printed = _script(tmp_path, f'''
inner_in = keras.Input((2,))
scaler = keras.Model(inner_in, L.Lambda(lambda t: t - 1.0, name="shift")(inner_in), name="scaler")
x = keras.Input((2,), name="x")
outer = keras.Model(x, scaler(x), name="outer")
outer.save(r"{tmp_path / 'outer.keras'}")
back = keras.saving.load_model(r"{tmp_path / 'outer.keras'}")
''')
    assert code == 1 and "scaler/shift: file -> shift" in printed and "safe_mode=False)" in printed


def test_a_model_saved_under_a_name_without_keras_gets_the_users_name_with_it(tmp_path):
    code, printed = _script(tmp_path, f'''
x = keras.Input((2,), name="x")
inner = keras.Sequential([keras.Input((2,)), L.Dense(1)], name="inner")
outer = keras.Model(x, inner(x), name="outer")
outer.save(r"{tmp_path / 'final_model'}")
''')
    assert code == 1 and "outer -> file" in printed and '"final_model.keras"' in printed


def test_a_forward_pass_failure_is_not_blamed_on_the_compile_settings(tmp_path):
    code, printed = _script(tmp_path, HEADS + '''
triple.compile(optimizer="sgd", loss={"mean": "mse", "var": "mse", "kind": "mse"})
triple.fit(np.random.rand(5, 4), [np.zeros((5, 1)), np.zeros((5, 1)), np.zeros((5, 3))], epochs=1, verbose=0)
''')
    assert code == 1 and "data -> triple" in printed and "received (batch, 4)" in printed and "-> loss" not in printed
