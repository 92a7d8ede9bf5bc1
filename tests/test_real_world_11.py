"""kernest on an eleventh batch of real nested models (tests/models_11.py, each from the public code it cites):
keras.io's CycleGAN (a subclassed model holding two generators and two discriminators), keras.io's SimSiam linear
evaluation (a backbone model cut out of the pretrained encoder at its pooling layer under a linear head), keras.io's
graph attention network (a subclassed model called on node states and an edge list), a DLRM recommender (Sequential
bottom and top MLPs around embeddings and a dot interaction), keras.io's Transformer for named entity recognition
(a subclassed model holding a Transformer block that holds a Sequential) and keras.io's supervised contrastive
classifier (a keras.applications encoder behind an adapted augmentation Sequential, frozen under a new head). Every
feature runs on each (the checks are tests/real_world_checks.py, which also assert that reading a model leaves it as
it was); each works and gives the right answer, or is refused where Keras itself cannot do it (a subclassed model
without get_config that takes models or arrays in ``__init__``: Keras raises NotImplementedError on save), and a
deliberate interface break of each is explained with its real names. Then the mechanisms fixed for this batch, each
on a model of its own."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kernest
from tests import models_11 as m11
from tests import real_world_checks as checks

built = checks.built  # the fixture: one model per spec for the module
L = keras.layers
ops = keras.ops

# core: the four small models; the CycleGAN (four models) and the MobileNetV2 encoder take seconds to build, copy
# and train on JAX and PyTorch. bench/real_world_11.py runs every model on all three backends.
CHEAP = {m11.simsiam_linear_eval, m11.gat, m11.dlrm, m11.ner_transformer}
# MobileNetV2's copy and save take 15 s of the suite's 40: bench/real_world_11.py runs replace and save on the
# contrastive classifier (outputs compared, no diff), the suite does not.
HEAVY = (m11.supcon_classifier,)


def specs(core: set | None = None, skip: tuple = ()) -> list[object]:
    """SPECS as parameters; those built by a builder in ``core`` are marked ``core``, ``skip`` the builders left out."""
    return [pytest.param(s, id=s.build.__name__, marks=[pytest.mark.core] * (s.build in (core or set())))
            for s in m11.SPECS if s.build not in skip]


@pytest.mark.parametrize("spec", specs(core=CHEAP))
def test_summary_paths_plot_and_check(spec, built, tmp_path):
    checks.summary_paths_plot_and_check(spec, built(spec), tmp_path)


@pytest.mark.parametrize("spec", specs(core=CHEAP))
def test_extract_an_inner_activation(spec, built):
    checks.extract_matches_the_summary(spec, built(spec))


@pytest.mark.parametrize("spec", specs(core=CHEAP, skip=HEAVY))
def test_replace_a_submodel_with_a_copy(spec, built):
    checks.replace_with_a_copy(spec, built(spec), m11.outputs_of, refusal="subclassed model")


@pytest.mark.parametrize("spec", specs(core=CHEAP, skip=HEAVY))
def test_save_and_load_give_the_same_outputs_and_no_diff(spec, built, tmp_path):
    checks.save_and_load(spec, built(spec), m11.outputs_of, tmp_path, refusal="has no get_config")


# Their breaks fail inside model.predict. On JAX, predict takes the model's variables out of it (their values None)
# and puts them back only when it ends; one that fails leaves the model without them (Keras restores them where fit
# fails, keras-team/keras#21019, not predict): the break runs on a model of its own, the shared one is left alone.
OWN_MODEL_FOR_BREAK = {m11.ner_transformer, m11.supcon_classifier}


@pytest.mark.parametrize("spec", specs(core=CHEAP))
def test_a_deliberate_break_is_explained_with_the_models_own_names(spec, built):
    checks.break_is_explained(spec, spec.build() if spec.build in OWN_MODEL_FOR_BREAK else built(spec))


@pytest.mark.parametrize("spec", specs(core=CHEAP))
def test_freeze_keeps_frozen_weights_through_a_training_step(spec, built):
    checks.freeze_keeps_frozen_weights(spec, built(spec), m11.outputs_of)  # last: it trains the shared model


# --- the mechanisms fixed for this batch ------------------------------------------------------------------

def _explained(model: keras.Model, run) -> str:
    with pytest.raises(Exception) as info, kernest.trace():
        run()
    return str(kernest.explain(info.value, model))


class ClipTagger(keras.Model):
    """A subclassed audio tagger (no declared Input): a convolution over (steps, channels) clips."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.conv = L.Conv1D(4, 3, name="conv")
        self.pool = L.GlobalAveragePooling1D(name="pool")
        self.head = L.Dense(2, name="head")

    def call(self, clips):
        return self.head(self.pool(self.conv(clips)))


@pytest.mark.core
def test_one_sample_given_to_a_subclassed_model_is_told_to_add_the_batch_axis():
    # the NER model's break (one sentence's ids into model.predict), on a subclassed model of floats of our own:
    # with no Input, the shape it was first called with is what it takes
    tagger = ClipTagger(name="tagger")
    clips = np.zeros((3, 20, 2), "float32")
    tagger(clips)
    clip = clips[0]
    err = _explained(tagger, lambda: tagger.predict(clip, verbose=0))
    assert "clip is one sample (20, 2)" in err and "np.expand_dims(clip, 0)" in err, err
    assert "Reshape" not in err, err


class BondScorer(keras.Model):
    """A subclassed model of molecules (keras.io's MPNN style): atom states gathered at both ends of each bond."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.atom = L.Dense(4, name="atom")
        self.score = L.Dense(1, name="score")

    def call(self, inputs):
        atoms, bonds = inputs
        ends = ops.take(self.atom(atoms), bonds, axis=0)  # (bonds, 2, 4)
        return self.score(ops.reshape(ends, (ops.shape(bonds)[0], 8)))


@pytest.mark.core
def test_an_index_list_given_transposed_is_told_to_swap_its_axes():
    # the graph attention network's break (edges (2, E) for (E, 2)), on a bond scorer of our own, with the
    # transposed array held in a name
    scorer = BondScorer(name="scorer")
    atoms, bonds = np.zeros((5, 3), "float32"), np.array([[0, 1], [1, 2], [2, 3], [3, 4], [4, 0], [0, 2]], "int32")
    scorer([atoms, bonds])
    bond_index = bonds.T.copy()
    err = _explained(scorer, lambda: scorer([atoms, bond_index]))
    assert "argument 2 of 2 shaped (batch, 2) and gets (2, 6)" in err and "bond_index.T" in err, err


@pytest.mark.core
def test_float_steps_given_channels_first_to_a_subclassed_model_are_told_to_swap():
    # a float array is told to swap only axes after the batch (a batch as large as a feature width is no sign)
    tagger = ClipTagger(name="tagger")
    tagger(np.zeros((3, 20, 2), "float32"))
    channels_first = np.zeros((3, 2, 20), "float32")
    err = _explained(tagger, lambda: tagger(channels_first))
    assert "axes 1 and 2 swapped" in err and "np.swapaxes(channels_first, 1, 2)" in err, err


@pytest.mark.core
def test_a_model_cut_before_the_width_the_consumer_takes_is_not_bridged_with_a_dense():
    # the SimSiam break (the predictor, built on the encoder's projections, put on the backbone cut at its pool),
    # on an autoencoder's encoder of our own: a classifier head trained on the 6-wide code, fed the cut at 'hidden'
    x = keras.Input((10,), name="x")
    h = L.Dense(16, activation="relu", name="hidden")(x)
    code = L.Dense(6, name="code")(L.Dense(12, activation="relu", name="squeeze")(h))
    encoder = keras.Model(x, code, name="encoder")
    head = keras.Sequential([keras.Input((6,)), L.Dense(3, name="classes")], name="head")
    features = keras.Model(encoder.input, encoder.get_layer("hidden").output, name="features")
    inputs = keras.Input((10,))
    err = _explained(head, lambda: keras.Model(inputs, head(features(inputs))))
    assert "features was cut out of a bigger model at hidden" in err and "squeeze, code to 6 features" in err, err
    assert "Add keras.layers.Dense" not in err, err


@m11.register
class FactorizationMachine(L.Layer):
    """The pairwise interactions of a list of field embeddings (a factorization machine): they are stacked."""

    def call(self, fields):
        stacked = ops.stack(fields, axis=1)  # (batch, fields, k)
        return 0.5 * ops.sum(ops.square(ops.sum(stacked, axis=1)) - ops.sum(ops.square(stacked), axis=1), axis=-1)


@pytest.mark.core
def test_the_one_input_of_another_width_in_a_stacked_list_is_named_with_its_producer():
    # the DLRM break (a bottom MLP of 8 beside embeddings of 4), on a factorization machine of our own whose
    # context tower, a Sequential, ends at 6 where the user and item embeddings have 5
    user, item = keras.Input((), dtype="int32", name="user"), keras.Input((), dtype="int32", name="item")
    context = keras.Input((3,), name="context")
    tower = keras.Sequential([L.Dense(6, name="ctx_dense")], name="context_tower")
    fields = [L.Embedding(10, 5, name="user_emb")(user), L.Embedding(10, 5, name="item_emb")(item), tower(context)]
    with pytest.raises(Exception) as info, kernest.trace():
        FactorizationMachine(name="fm")(fields)
    err = str(kernest.explain(info.value))
    assert "context_tower (input 3) gives 6" in err and "keras.layers.Dense(5)" in err and "ctx_dense" in err, err
