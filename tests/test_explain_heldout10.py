"""The mechanisms added for the tenth held-out set (tests/corpus/153-162), each tested on other small models than
the corpus cases: other layers, names, sizes, file names and data."""

from __future__ import annotations

import keras
import pytest

from tests.corpus_cases import check_script

pytestmark = pytest.mark.core


_script = check_script


_TAGGER = ("body = keras.Sequential([keras.Input((5,)), L.Dense(3, name='mix')], name='body')\n"
           "t_in = keras.Input((5,), name='tokens')\n"
           "tagger = keras.Model(t_in, L.Dense(2, activation='softmax', name='tag')(body(t_in)), name='tagger')\n"
           "tagger.compile('adam', 'sparse_categorical_crossentropy')\n")


# --- explain: files, data, constructor arguments ------------------------------------------------------------------

def test_a_weights_only_checkpoint_with_an_hdf5_pattern_is_renamed_and_blamed_on_the_fitted_model(tmp_path):
    code, printed = _script(tmp_path, _TAGGER + (
        "keep = keras.callbacks.ModelCheckpoint(os.path.join(tempfile.mkdtemp(), 'best_{epoch}.hdf5'), "
        "save_weights_only=True)\n"
        "tagger.fit(np.zeros((4, 5)), np.zeros((4,)), epochs=1, verbose=0, callbacks=[keep])\n"))
    assert code == 1 and "tagger: tagger -> file" in printed and '"best_{epoch}.weights.h5"' in printed


def test_a_model_saved_under_a_name_without_a_dot_gets_the_keras_ending(tmp_path):
    code, printed = _script(tmp_path, _TAGGER + "tagger.save(os.path.join(tempfile.mkdtemp(), 'export_v2'))\n")
    assert code == 1 and "tagger: tagger -> file" in printed and '"export_v2.keras"' in printed


def test_numbers_in_an_object_array_are_cast_on_the_users_line_not_sent_to_a_text_layer(tmp_path):
    code, printed = _script(tmp_path, _TAGGER + (
        "rows = np.array([[1, 2.5, 0, 4, 1]] * 4, dtype=object)\n"
        "tagger.fit(rows, np.zeros((4,)), epochs=1, verbose=0)\n"))
    assert code == 1 and "tagger: data -> tagger" in printed
    assert 'tagger.fit(rows.astype("float32"), np.zeros((4,))' in printed and "TextVectorization" not in printed


def test_class_names_given_to_to_categorical_become_ids_on_the_users_line(tmp_path):
    code, printed = _script(tmp_path, _TAGGER + (
        "animals = np.array(['cat', 'dog', 'cat', 'dog'])\ny = keras.utils.to_categorical(animals)\n"
        "tagger.fit(np.zeros((4, 5)), y, epochs=1, verbose=0)\n"))
    assert code == 1 and "data -> tagger" in printed and "'cat', 'dog'" in printed
    assert "y = keras.utils.to_categorical(np.unique(animals, return_inverse=True)[1])" in printed


def test_a_float_size_in_a_functional_layer_is_named_with_its_producer_and_made_int(tmp_path):
    code, printed = _script(tmp_path, (
        "width = 12\nx = keras.Input((6,), name='signal')\nh = L.Dense(width, name='enc')(x)\n"
        "z = L.Dense(width / 3, name='bottleneck')(h)\n"))
    assert code == 1 and "bottleneck: enc -> bottleneck" in printed and "units=4.0" in printed
    assert "units=int(width / 3)" in printed and "//" in printed


def test_an_input_shape_without_its_comma_is_named_and_the_comma_added_to_the_users_expression(tmp_path):
    code, printed = _script(tmp_path, (
        "n_feat = 7\ngate = keras.Sequential([keras.Input(shape=(n_feat), name='sensor'), "
        "L.Dense(2, name='gate_units')], name='gate')\n"))
    assert code == 1 and "sensor: input:sensor -> gate_units" in printed and "shape=(n_feat,)" in printed


def test_a_dataset_of_inputs_only_is_paired_with_the_one_array_shaped_like_the_output(tmp_path):
    code, printed = _script(tmp_path, (
        "feats = np.zeros((6, 3), 'float32')\ny_true = np.zeros((6, 1), 'float32')\n"
        "core = keras.Sequential([keras.Input((3,)), L.Dense(4, name='h')], name='core')\n"
        "i = keras.Input((3,), name='f')\nreg = keras.Model(i, L.Dense(1, name='out')(core(i)), name='reg')\n"
        "reg.compile('adam', 'mse')\nds = tf.data.Dataset.from_tensor_slices(feats).batch(2)\n"
        "reg.fit(ds, epochs=1, verbose=0)\n"))
    assert code == 1 and "reg: data -> reg" in printed
    assert "ds = tf.data.Dataset.from_tensor_slices((feats, y_true)).batch(2)" in printed


# --- lint: silent ------------------------------------------------------------------------------------------------

_RUN_OUT = ("x = np.zeros((5, 5), 'float32')\ny = np.zeros((5,), 'float32')\n"
            "train = tf.data.Dataset.from_tensor_slices((x, y)).batch(2){repeat}\n"
            "tagger.fit(train, steps_per_epoch=2, epochs=3, verbose=0)\n")


def test_steps_that_run_past_the_dataset_in_one_epoch_of_three_are_flagged_with_repeat(tmp_path):
    code, printed = _script(tmp_path, _TAGGER + _RUN_OUT.format(repeat=""), strict=True)
    assert code == 1 and "tagger: data -> tagger" in printed and "runs out in 1 of 3 epochs" in printed
    assert "train = tf.data.Dataset.from_tensor_slices((x, y)).batch(2).repeat()" in printed


def test_a_repeated_dataset_is_not_flagged(tmp_path):
    code, printed = _script(tmp_path, _TAGGER + _RUN_OUT.format(repeat=".repeat()"), strict=True)
    assert code == 0, printed


_SPAM = ("keras.mixed_precision.set_global_policy('mixed_float16')\n"
         "head = keras.Sequential([keras.Input((4,)), L.Dense(1, activation='sigmoid', name='spam_score')],"
         " name='head')\n"
         "i = keras.Input((4,), name='words')\nfilt = keras.Model(i, head(L.Dense(4, name='emb')(i)), name='filt')\n"
         "filt.compile('adam', 'binary_crossentropy')\n")  # compiled, not trained: the rule reads the layers


def test_a_float16_sigmoid_output_inside_a_nested_head_is_flagged_with_the_users_constructor(tmp_path):
    code, printed = _script(tmp_path, _SPAM, strict=True)
    assert code == 1 and "head/spam_score: spam_score -> loss" in printed and "mixed_float16" in printed
    assert """L.Dense(1, activation='sigmoid', name='spam_score', dtype="float32")""" in printed


def test_a_float32_output_layer_under_a_mixed_policy_is_not_flagged_and_a_bfloat16_one_is():
    from keras import layers as L

    from kernest._lint import lint

    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        i = keras.Input((4,), name="words")
        h = L.Dense(4, name="emb")(i)
        kept = keras.Model(i, L.Dense(3, activation="softmax", name="topic", dtype="float32")(h), name="kept")
        coarse = keras.Model(i, L.Dense(3, activation="softmax", name="topic16")(h), name="coarse")
        for model in (kept, coarse):
            model.compile("adam", "categorical_crossentropy")
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert not [f for f in lint(kept) if "policy" in f.problem]
    found = [f for f in lint(coarse) if "policy" in f.problem]
    assert len(found) == 1 and found[0].path == "topic16" and found[0].interface == "topic16 -> loss"
    assert 'name="topic16", dtype="float32")' in found[0].fix and "bfloat16" in found[0].problem
