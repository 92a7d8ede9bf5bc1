"""kernest on a fifth batch of real nested models (tests/models_5.py, each from the public code it cites):
keras.io's VQ-VAE (a quantiser with add_loss between two models), Switch Transformer (top-1 routing over
expert Sequentials), neural decision forest (subclassed trees in a list in a subclassed forest in a
functional model with dict inputs), PixelCNN (masked convolutions inside residual layers), SimCLR's
fine-tuning model (random augmentation layers with a seed generator), TensorFlow's NMT with attention
(subclassed, a GRU state passed from encoder to decoder), attention MIL (a list-in/list-out layer over a
shared tower), a GNN node classifier (sublayers that see the graph's nodes as their batch), Real NVP
(coupling models in a Python list), a MobileNetV2 feature dict, two towers fed sub-dicts of a dict input, and
keras-tcn (sublayers made in build()). Every feature runs on each; each works and gives the right answer, or
raises a ``KernestError`` that says what to do with this model's own names; a deliberate interface break of
each is explained with its real names."""

from __future__ import annotations

import re

import keras
import numpy as np
import pytest

import kernest
from tests import models_5 as m5
from tests import real_world_checks as checks
from tests.real_world_checks import close
from tests.test_real_world import cli_on_a_saved_file_and_a_script

built = checks.built  # the fixture: one model per spec for the module
L = keras.layers
ops = keras.ops


CHEAP = {m5.vq_vae, m5.decision_forest, m5.attention_mil, m5.two_tower, m5.tcn, m5.gnn_node_classifier}


def specs(core: bool = False) -> list[object]:
    """SPECS as parameters; with ``core=True`` the cheap ones are marked ``core``."""
    return [pytest.param(s, id=s.build.__name__, marks=[pytest.mark.core] * (core and s.build in CHEAP))
            for s in m5.SPECS]


@pytest.mark.parametrize("spec", specs(core=True))
def test_summary_paths_plot_and_check(spec, built, tmp_path):
    checks.summary_paths_plot_and_check(spec, built(spec), tmp_path)


@pytest.mark.parametrize("spec", specs())
def test_extract_an_inner_activation(spec, built):
    checks.extract_matches_the_summary(spec, built(spec))


@pytest.mark.parametrize("spec", specs())
def test_freeze_keeps_frozen_weights_through_a_training_step(spec):
    checks.freeze_keeps_frozen_weights(spec, spec.build(), m5.outputs_of)


@pytest.mark.parametrize("spec", specs())
def test_replace_a_submodel_with_a_copy(spec, built):
    model = built(spec)  # a subclassed model refuses: the advice names what this model really holds
    checks.replace_with_a_copy(spec, model, m5.outputs_of, refusal=rf"subclassed.*{type(model).__name__}")
    if "replace" in spec.refuses:
        held = {"translator": "encoder", "gnn_model": "preprocess", "real_nvp": "coupling_0"}[model.name]
        assert held in kernest.paths(model)


@pytest.mark.parametrize("spec", specs())
def test_save_and_load_give_the_same_outputs_and_no_diff(spec, built, tmp_path):
    # the GNN keeps its graph as tensors and has no get_config
    checks.save_and_load(spec, built(spec), m5.outputs_of, tmp_path, refusal=r"GNNNodeClassifier has no "
                         r"get_config\(\).*\(graph_info, num_classes, hidden_units")


@pytest.mark.parametrize("spec", specs(core=True))
def test_a_deliberate_break_is_explained_with_the_models_own_names(spec):
    # a fresh model, as the user has it: the GNN's break edits it, extract adds a call to a subclassed one
    checks.break_is_explained(spec, spec.build())


# --- the mechanisms fixed for this batch, each on a second model too -----------------------------------------

@pytest.mark.core
def test_diff_pairs_the_layers_bidirectional_numbers_anew_on_load(tmp_path):
    # the translator's encoder too (rnn/forward_gru, loaded as rnn/forward_gru_1): test_save_and_load_...
    ids = keras.Input((5,), dtype="int32")
    model = keras.Model(ids, L.Dense(2, name="head")(BiEncoder(name="bi")(ids)), name="tagger")
    loaded = kernest.load(kernest.save(model, tmp_path / "s.keras"))
    renamed = [p for p in kernest.paths(loaded) if p not in kernest.paths(model)]
    assert renamed and all(re.search(r"/(forward|backward)_lstm_\d+$", p) for p in renamed), renamed
    assert not kernest.diff(model, loaded).changes
    other = keras.Model(ids, L.Dense(2, name="head")(BiEncoder(units=4, name="bi")(ids)), name="tagger")
    assert {c.status for c in kernest.diff(model, other).changes} == {"changed"}  # a real change still shows


@keras.saving.register_keras_serializable(package="kernest_rw5_tests")
class BiEncoder(L.Layer):
    """An unnamed Bidirectional(LSTM) made in __init__: Keras numbers its LSTM anew when it loads it."""

    def __init__(self, units: int = 3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.embed = L.Embedding(9, 4, name="embed")
        self.rnn = L.Bidirectional(L.LSTM(units), name="rnn")

    def call(self, ids):
        return self.rnn(self.embed(ids))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="kernest_rw5_tests")
class TokenMean(keras.Model):
    """A subclassed model called on token ids, that it gathers from its own table (a float never works)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.table = keras.Sequential([L.Dense(4, name="proj")], name="table")
        self.vectors = self.add_weight(shape=(10, 3), name="vectors")
        self.head = L.Dense(2, name="head")

    def call(self, ids):
        return self.head(ops.mean(self.table(ops.take(self.vectors, ids, axis=0)), axis=1))


@pytest.mark.core
def test_a_subclassed_model_called_on_integer_ids_is_checked_summarised_and_extracted():
    gnn = m5.gnn_node_classifier()  # called on node indices: gathers rows of the graph it holds
    report = kernest.check(gnn)
    assert {"preprocess", "graph_conv1", "graph_conv2", "postprocess", "logits"} <= {i.consumer for i in report.interfaces}
    rows = {r.path: r for r in kernest.summary(gnn).rows}
    assert rows["preprocess"].input_shape == "(7, 5)"  # the seven nodes are its batch
    nodes = np.array([0, 6], "int32")
    close(kernest.extract(gnn, "preprocess")(nodes), gnn.preprocess(gnn.node_features, training=False), 1e-5)
    model = TokenMean(name="token_mean")
    ids = np.array([[1, 2, 3], [4, 5, 0]], "int32")
    model(ids)
    assert [(i.consumer, i.shape) for i in kernest.check(model).interfaces if i.consumer == "table"] == [
        ("table", "(batch, 3, 3)")]
    close(kernest.extract(model, "table")(ids), model.table(ops.take(model.vectors, ids, axis=0)), 1e-5)
    assert {r.path: r.output_shape for r in kernest.summary(model).rows}["head"] == "(batch, features=2)"


@pytest.mark.core
def test_token_sequences_of_another_length_are_padded_not_projected():
    model = m5.switch_transformer()
    with pytest.raises(ValueError) as info, kernest.trace():
        model(np.ones((2, 9), "int32"))
    err = kernest.explain(info.value, model)
    assert "Dense" not in str(err)
    assert re.search(r"sequences of 9 ids.*pad_sequences\(x, maxlen=6.*keras\.Input\(shape=\(9,\), dtype='int32'\) "
                     r"and embedding/pos_emb \(an Embedding of 6 positions\)", str(err)), str(err)
    ids = keras.Input((5,), dtype="int32", name="ids")  # no position table: the fix does not invent one
    tagger = keras.Model(ids, L.LSTM(2)(L.Embedding(30, 4)(ids)), name="tagger")
    with pytest.raises(ValueError) as info, kernest.trace():
        tagger(np.ones((2, 7), "int32"))
    err = kernest.explain(info.value, tagger)
    assert re.search(r"sequences of 7 ids.*maxlen=5.*keras\.Input\(shape=\(7,\), dtype='int32'\)\.", str(err)), str(err)
    assert "position" not in str(err)


class Gated(keras.Model):
    """A subclassed model multiplying by a constant made in __init__ for 4 features, then a Dense of its own."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.gate = ops.convert_to_tensor(np.array([1, 0, 1, 0], "float32"))
        self.fc = L.Dense(6, name="fc")

    def call(self, x):
        return self.fc(x * self.gate)


@pytest.mark.core
def test_a_built_model_given_another_shape_names_the_shape_it_was_built_on():
    flow = m5.real_nvp()
    with pytest.raises(Exception) as info, kernest.trace():
        flow(np.zeros((2, 3), "float32"))
    err = str(kernest.explain(info.value, flow))
    assert "RealNVP real_nvp was built on (batch, 2)" in err and "gets (batch, 3)" in err
    assert "kernel" not in err  # the couplings' weights are not what refused it
    gated = Gated(name="gated")
    gated(np.zeros((1, 4), "float32"))
    with pytest.raises(Exception) as info, kernest.trace():
        gated(np.zeros((2, 5), "float32"))
    err = str(kernest.explain(info.value, gated))
    assert "Gated gated was built on (batch, 4)" in err and "gets (batch, 5)" in err and "kernel" not in err


def test_cli_on_saved_files_and_scripts_of_this_batch(tmp_path, capsys):
    out, _ = cli_on_a_saved_file_and_a_script(m5.decision_forest(), "decision_forest", tmp_path, capsys,
                                              module="tests.models_5", classes="tests.models_5")
    assert "forest/tree_1/decision" in out and "bn -> forest" in out
