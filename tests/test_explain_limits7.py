"""The diagnosis engine's known limits, round 7 (session 29): validation_data of one or four items, integer token
ids read as numbers by a Dense layer, predict on a shuffling PyDataset, a model built before a strategy scope that
another function opens, and a custom layer that reduces over the batch. Each rule on the limit's script
(tests/user_scripts/limits/l39_ to l43_) with its printed fix applied, on a model of its own, and where it must stay
silent."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
from keras import layers as L
from keras import ops

from kernest._lint import lint
from tests.corpus_cases import check_script, kernest_check

pytestmark = pytest.mark.core

LIMITS = Path(__file__).parent / "user_scripts" / "limits"

tensorflow_only = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="tf.distribute is TensorFlow's")


def _checked(script: str, edit: tuple[str, str], strict: bool = True) -> str:
    """What ``kernest check`` printed for the limit's script, which must hold ``edit``'s new text (the printed fix;
    the scripts with it applied pass ``kernest check --strict`` on all three backends: BENCHMARKS.md §6, round 7)."""
    code, printed = kernest_check(LIMITS / script, strict=strict)
    assert code == 1 and edit[1] in printed, printed
    assert (LIMITS / script).read_text().count(edit[0]) == 1, edit[0]  # the fix applies to one place of the script
    return printed


# --- 1. validation_data that is neither (x, y) nor (x, y, sample_weight) -------------------------------------------

def test_validation_data_of_four_items_is_rewritten_as_a_pair_in_the_users_fit_call():
    printed = _checked("l39_validation_data_with_four_items.py", ("[holdout_customers, holdout_churned, None, None]",
                                                                  "(holdout_customers, holdout_churned)"))
    assert "churn_model: validation_data -> churn_model:" in printed, printed
    assert "a list of 4 items (holdout_customers, holdout_churned, None, None)" in printed, printed
    assert "Traceback" not in printed


NESTED = ("x = np.random.rand(20, 5).astype('float32')\n"
          "y = np.random.rand(20, 2).astype('float32')\n"
          "body = keras.Sequential([keras.Input((5,)), L.Dense(4, name='mix')], name='body')\n"
          "scorer = keras.Sequential([keras.Input((5,)), body, L.Dense(2, name='score')], name='scorer')\n"
          "scorer.compile('sgd', 'mse')\n")


def test_validation_data_of_one_item_says_the_labels_are_missing(tmp_path):
    code, printed = check_script(tmp_path, NESTED + "scorer.fit(x, y, epochs=1, verbose=0, validation_data=(x[:4],))\n")
    assert code == 1 and "scorer: validation_data -> scorer:" in printed, printed
    assert "a tuple of 1 item (x[:4], no labels)" in printed and "validation_data=(x[:4], <the labels of x[:4]>)" in \
        printed, printed


def test_validation_data_with_a_sample_weight_is_left_alone(tmp_path):
    code, printed = check_script(tmp_path, NESTED + (
        "scorer.fit(x, y, epochs=1, verbose=0, validation_data=(x[:4], y[:4], np.ones(4)))\n"), strict=True)
    assert code == 0 and "validation_data ->" not in printed, printed


# --- 2. integer token ids read as numbers by a Dense layer ---------------------------------------------------------

def test_token_ids_into_a_nested_dense_get_an_embedding_in_the_users_own_line():
    printed = _checked("l40_dense_reading_token_ids.py", (
        'layers.Dense(64, activation="relu", name="proj")(tokens)',
        'layers.Dense(64, activation="relu", name="proj")(layers.GlobalAveragePooling1D()('
        'layers.Embedding(3000, 64)(tokens)))'))
    assert "warning: review_encoder/proj: input:review -> review_encoder:" in printed, printed
    assert "`review_ids` holds integer ids" in printed, printed


def _bag_model(first: list[keras.layers.Layer]) -> keras.Model:
    keras.backend.clear_session(free_memory=False)
    inner = keras.Sequential([keras.Input((12,), dtype="int32"), *first, L.Dense(8, name="hidden")], name="tower")
    i = keras.Input((12,), dtype="int32", name="query")
    return keras.Model(i, L.Dense(1, name="relevance")(inner(i)), name="ranker")


def _found(model: keras.Model, data: np.ndarray) -> list:
    return [f for f in lint(model, data) if "integer ids" in f.problem]


def test_query_ids_through_a_flatten_are_found_and_other_integers_are_not():
    rng = np.random.default_rng(2)
    ids = rng.integers(1, 500, (32, 12))
    ids[:, 9:] = 0  # padding
    found = _found(_bag_model([L.Flatten(name="flat")]), ids)
    assert len(found) == 1 and found[0].path == "tower/hidden", found
    assert f"Embedding({ids.max() + 1}, 8)" in found[0].fix and "first layers of tower, before flat" in found[0].fix, found[0].fix
    plain = _bag_model([])
    assert not _found(_bag_model([L.Embedding(500, 4), L.Flatten()]), ids)  # embedded: right
    assert not _found(plain, rng.poisson(3.0, (32, 12)))  # counts: a few distinct values
    assert not _found(plain, rng.integers(1, 6, (32, 12)))  # ratings 1-5
    sales = np.cumsum(rng.integers(-5, 6, (32, 12)), axis=1) + rng.integers(100, 400, (32, 1))
    assert not _found(plain, sales)  # a series of counts moves by small steps
    table = np.stack([rng.integers(18, 90, 32), rng.integers(0, 5, 32), *(rng.integers(0, 2000, 32) // (k + 1)
                                                                         for k in range(10))], axis=1)
    assert not _found(plain, table)  # a table: each column its own range


# --- 3a. predict on a shuffling PyDataset -------------------------------------------------------------------------

def test_predict_on_a_shuffling_pydataset_is_found_and_the_users_constructor_gets_shuffle_false():
    printed = _checked("l41_predict_on_shuffling_pydataset.py", (
        "test_batches = ScanBatches(x_test, y_test)", "test_batches = ScanBatches(x_test, y_test, shuffle=False)"))
    assert "warning: grader: test_batches -> grader: test_batches shuffles its samples" in printed, printed


ROWS = (NESTED + "class Rows(keras.utils.PyDataset):\n"
        "    def __init__(self, x, y, mix):\n"
        "        super().__init__()\n"
        "        self.x, self.y, self.mix = x, y, mix\n"
        "    def __len__(self):\n"
        "        return 4\n"
        "    def __getitem__(self, i):\n"
        "        rows = np.random.permutation(len(self.x))[:5] if self.mix else np.arange(i * 5, i * 5 + 5)\n"
        "        return self.x[rows], self.y[rows]\n")


@pytest.mark.parametrize("mix", [True, False])
def test_a_pydataset_drawing_a_permutation_is_flagged_and_one_in_stored_order_is_not(tmp_path, mix):
    code, printed = check_script(tmp_path, ROWS + f"held = Rows(x, y, {mix})\nout = scorer.predict(held, verbose=0)\n",
                                 strict=True)
    if mix:
        assert code == 1 and "held shuffles its samples" in printed, printed
        assert "make held without shuffling" in printed, printed  # Rows takes no shuffle argument to set
    else:
        assert code == 0 and "shuffles" not in printed, printed


def test_predict_on_a_keras_loader_that_shuffles_by_default_gets_shuffle_false_in_the_users_call(tmp_path):
    code, printed = check_script(tmp_path, (
        "folder = tempfile.mkdtemp()\n"
        "for label in ('cat', 'dog'):\n"
        "    os.makedirs(os.path.join(folder, label))\n"
        "    for k in range(3):\n"
        "        keras.utils.save_img(os.path.join(folder, label, f'{k}.png'), np.random.rand(8, 8, 3) * 255)\n"
        "photos = keras.utils.image_dataset_from_directory(folder, image_size=(8, 8), batch_size=2)\n"
        "feat = keras.Sequential([keras.Input((8, 8, 3)), L.Flatten(), L.Dense(4, name='h')], name='feat')\n"
        "net = keras.Sequential([keras.Input((8, 8, 3)), feat, L.Dense(2, name='out')], name='net')\n"
        "probs = net.predict(photos, verbose=0)\n"), strict=True)
    assert code == 1 and "photos shuffles its samples" in printed, printed
    assert ("photos = keras.utils.image_dataset_from_directory(folder, image_size=(8, 8), batch_size=2, "
            "shuffle=False)") in printed, printed


# --- 3b. a model built before the strategy scope that another function opens ------------------------------------

@tensorflow_only
def test_a_model_built_before_a_scope_opened_in_a_helper_gets_its_own_with_block():
    fixed = "with mirrored.scope():\n    tagger = make_tagger()"
    printed = _checked("l42_model_built_in_function_outside_scope.py", ("tagger = make_tagger()\n", fixed + "\n"),
                       strict=False)
    assert "tagger: tagger -> mirrored:" in printed and "built on line 26" in printed, printed


@tensorflow_only
def test_a_model_built_and_scoped_in_two_functions_inside_main(tmp_path):
    code, printed = check_script(tmp_path, (
        "def build():\n"
        "    return keras.Sequential([keras.Input((3,)), L.Dense(2, name='h')], name='regr')\n"
        "def prepare(dist, net):\n"
        "    with dist.scope():\n"
        "        net.compile(optimizer='adam', loss='mse')\n"
        "def main():\n"
        "    two_cpus = tf.distribute.MirroredStrategy(['/cpu:0'])\n"
        "    net = build()\n"
        "    prepare(two_cpus, net)\n"
        "    net.fit(np.zeros((4, 3), 'float32'), np.zeros((4, 2), 'float32'), verbose=0)\n"
        "main()\n"))
    assert code == 1 and "regr: regr -> two_cpus" in printed, printed
    assert "    with two_cpus.scope():\n        net = build()" in printed, printed


# --- 4. a reduction over the batch axis in a custom layer or Lambda -----------------------------------------------

def test_a_lambda_taking_the_batchs_peak_gets_the_samples_own_axes():
    printed = _checked("l43_peak_over_batch_in_lambda.py", (
        "ops.max(ops.abs(t))", "ops.max(ops.abs(t), axis=(1, 2), keepdims=True)"))
    assert "warning: audio_encoder/peak_norm: input:clip -> audio_encoder:" in printed, printed
    assert "reduces over every axis, the batch's included" in printed, printed


class Standardise(L.Layer):
    """Scales each sample by a spread, the batch's one (``over_batch``) or its own."""

    def __init__(self, over_batch: bool, **kwargs):
        super().__init__(**kwargs)
        self.over_batch = over_batch

    def spread(self, x):
        return ops.std(x) if self.over_batch else ops.std(x, axis=-1, keepdims=True)

    def call(self, x):
        self.add_loss(1e-3 * ops.mean(ops.square(x)))  # a loss may reduce over the batch
        return x / (self.spread(x) + 1e-6)


def _tower(*middle: keras.layers.Layer) -> keras.Model:
    keras.backend.clear_session(free_memory=False)
    inner = keras.Sequential([keras.Input((6,)), L.Dense(5, name="d"), *middle], name="inner")
    i = keras.Input((6,), name="features")
    return keras.Model(i, L.Dense(1, name="y")(inner(i)), name="outer")


def test_a_batch_spread_in_a_helper_method_is_measured_and_per_sample_ones_are_not():
    found = [f for f in lint(_tower(Standardise(True, name="std"))) if "mixes the samples" in f.problem]
    assert len(found) == 1 and found[0].path == "inner/std", found
    assert "ops.std(x, axis=-1, keepdims=True)" in found[0].fix, found[0].fix
    for layer in (Standardise(False, name="std"), L.BatchNormalization(name="bn"),
                  L.Lambda(lambda t: t - ops.mean(t, axis=-1, keepdims=True), name="centre")):
        assert not [f for f in lint(_tower(layer)) if "mixes the samples" in f.problem], layer.name
