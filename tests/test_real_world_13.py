"""kernest on a thirteenth batch of real nested models (tests/models_13.py, each from the public code it cites):
keras.io's AdaIN style transfer (an encoder cut out of a backbone, shared by style and content), a keras-hub style
GPT-2 causal LM (its head the backbone's token embedding reversed: a nested layer called outside its model),
keras.io's DDPG actor and critic, keras.io's PatchConvNet (a subclassed model; Sequential blocks sharing layers),
keras.io's MPNN for molecules (inputs of different lengths) and keras-hub's DeepLabV3 segmenter (a feature-pyramid
model nested in the backbone, spatial pyramid pooling of Sequential branches). Every feature runs on each (the
checks are tests/real_world_checks.py); then the mechanisms fixed for this batch, each on a model of its own."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import kernest
from tests import models_13 as m13
from tests import real_world_checks as checks

built = checks.built  # the fixture: one model per spec for the module
L = keras.layers
ops = keras.ops

pytestmark = pytest.mark.core

# Not in the suite (BENCHMARKS.md section 17): PatchConvNet's check and extract (its call squeezes the attention
# scores without an axis, which a symbolic run on TensorFlow cannot) and its training step (12 s: the bench runs
# it), MPNN's replace and save (its readout layer has no build(), so a copy or a loaded file makes its sublayers
# anew on the first call) and DeepLabV3's replace and save (the bench runs them).
PATCH, MPNN = m13.patch_convnet, m13.mpnn


def specs(skip: tuple = ()) -> list[object]:
    return [pytest.param(s, id=s.build.__name__) for s in m13.SPECS if s.build not in skip]


@pytest.mark.parametrize("spec", specs(skip=(PATCH,)))
def test_summary_paths_plot_and_check(spec, built, tmp_path):
    checks.summary_paths_plot_and_check(spec, built(spec), tmp_path)


# MPNN's readout cannot run on placeholders, so the summary has no shapes inside it to compare with: its extract
# is the last test of this file
@pytest.mark.parametrize("spec", specs(skip=(PATCH, MPNN)))
def test_extract_an_inner_activation(spec, built):
    checks.extract_matches_the_summary(spec, built(spec))


@pytest.mark.parametrize("spec", specs(skip=(MPNN, m13.deeplab_v3_segmenter)))
def test_replace_a_submodel_with_a_copy(spec, built):
    checks.replace_with_a_copy(spec, built(spec), m13.outputs_of, refusal="subclassed model")


@pytest.mark.parametrize("spec", specs(skip=(PATCH, MPNN, m13.deeplab_v3_segmenter)))
def test_save_and_load_give_the_same_outputs_and_no_diff(spec, built, tmp_path):
    checks.save_and_load(spec, built(spec), m13.outputs_of, tmp_path)


@pytest.mark.parametrize("spec", specs())
def test_a_deliberate_break_is_explained_with_the_models_own_names(spec, built):
    # the MPNN break fails inside model.predict, which on JAX can leave a model without its variables
    checks.break_is_explained(spec, spec.build() if spec.build is MPNN else built(spec))


@pytest.mark.parametrize("spec", specs(skip=(PATCH,)))
def test_freeze_keeps_frozen_weights_through_a_training_step(spec, built):
    if spec.build is m13.deeplab_v3_segmenter and keras.backend.backend() == "torch":
        pytest.skip("PyTorch's own backward pass fails on this model's step (\"grad_input must be contiguous\"); "
                    "BENCHMARKS §17 counts the cell as failing")
    checks.freeze_keeps_frozen_weights(spec, built(spec), m13.outputs_of)  # last: it trains the shared model


# --- the mechanisms fixed for this batch ------------------------------------------------------------------

def _explained(model: keras.Model, run) -> str:
    with pytest.raises(Exception) as info, kernest.trace():
        run()
    return str(kernest.explain(info.value, model))


def _tied_autoencoder_lm() -> keras.Model:
    """A functional subclass of our own that calls its encoder, then the encoder's embedding reversed (weights
    tied), and rebuilds that graph in __init__ from the encoder it is given (its config holds no layers)."""
    return TiedLM(m13.GPT2Backbone(12, num_layers=1, num_heads=1, hidden_dim=4, intermediate_dim=4, max_sequence_length=5,
                                   name="encoder"), name="tied_lm")


@m13.register
class TiedLM(keras.Model):
    def __init__(self, encoder, **kwargs):
        hidden = encoder(encoder.input)
        super().__init__(inputs=encoder.input, outputs=encoder.token_embedding(hidden, reverse=True), **kwargs)
        self.encoder = encoder

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, "encoder": keras.layers.serialize(self.encoder)}

    @classmethod
    def from_config(cls, config):
        return cls(**{**config, "encoder": keras.layers.deserialize(config["encoder"])})


def _tokens(length: int = 4) -> dict[str, np.ndarray]:
    return {"token_ids": np.array([[1, 2, 3, 4, 5, 6][:length]] * 2, "int32"), "padding_mask": np.ones((2, length), "int32")}


def test_a_functional_subclass_whose_init_rebuilds_a_tied_head_saves_and_loads_tied(tmp_path):
    # the GPT-2 causal LM's save, on a smaller tied model of our own; a plain functional model holding one layer in
    # two models stays refused (Keras 3.15 cannot load it)
    model = _tied_autoencoder_lm()
    assert not kernest.shared_across_models(model)
    loaded = kernest.load(kernest.save(model, tmp_path / "tied.keras"))
    checks.close(loaded(_tokens()), model(_tokens()))
    head = next(layer for layer in loaded.layers if layer.name == "token_embedding")
    assert head is loaded.encoder.token_embedding  # still one object: the weights stay tied
    plain = keras.Model(model.input, model.output, name="plain")
    with pytest.raises(kernest.KernestError, match="token_embedding"):
        kernest.save(plain, tmp_path / "plain.keras")


def test_replace_keeps_a_tied_layer_with_the_new_part_and_copies_keep_it_tied():
    model = _tied_autoencoder_lm()
    new = m13._copy_backbone(model.encoder)
    swapped = kernest.replace(model, "encoder", new)
    checks.close(swapped(_tokens()), model(_tokens()))
    head = next(layer for layer in swapped.layers if layer.name == "token_embedding")
    assert head is new.token_embedding and len(swapped.weights) == len(model.weights)
    # a part inside the encoder: the copy of the model keeps the head tied to the copied encoder, not the original
    inner = kernest.replace(model, "encoder/transformer_layer_0",
                            m13.TransformerDecoder.from_config(model.encoder.transformer_layers[0].get_config()))
    copied = next(layer for layer in inner.layers if layer.name == "token_embedding")
    assert copied is kernest.get(inner, "encoder/token_embedding") and copied is not model.encoder.token_embedding


def test_a_cut_short_of_the_width_is_told_the_first_layer_of_that_width():
    # the AdaIN break, on a model of our own: a head made for the 6-wide code, fed the encoder cut at 'hidden';
    # the layers after 'code' (a wider 'expand' then 'out' back to 6) are not the cut to suggest
    x = keras.Input((10,), name="x")
    h = L.Dense(16, name="hidden")(x)
    code = L.Dense(6, name="code")(L.Dense(12, name="squeeze")(h))
    out = L.Dense(6, name="out")(L.Dense(9, name="expand")(code))
    net = keras.Model(x, out, name="net")
    head = keras.Sequential([keras.Input((6,)), L.Dense(2, name="classes")], name="head")
    cut = keras.Model(net.input, net.get_layer("hidden").output, name="cut")
    inputs = keras.Input((10,))
    err = _explained(head, lambda: keras.Model(inputs, head(cut(inputs))))
    assert "Cut cut at code (keras.Model(..., <model>.get_layer('code').output))" in err, err


def test_graph_inputs_of_different_lengths_given_to_predict_are_told_to_call_the_model():
    # the MPNN break, on a graph model of our own: node features summed per graph by a segment index
    nodes = keras.Input((3,), name="nodes")
    graph_of = keras.Input((), dtype="int32", name="graph_of")
    edges = keras.Input((2,), name="edges")
    pooled = L.Lambda(lambda t: ops.segment_sum(t[0], t[1], num_segments=2), output_shape=(3,), name="pool")(
        [nodes, graph_of])
    model = keras.Model([nodes, graph_of, edges], L.Dense(1, name="score")(pooled + ops.sum(edges) * 0))
    batch = [np.ones((5, 3), "float32"), np.array([0, 0, 1, 1, 1], "int32"), np.ones((4, 2), "float32")]
    err = _explained(model, lambda: model.predict(batch, verbose=0))
    assert "nodes 5, graph_of 5, edges 4" in err and "model(batch)" in err and "PyDataset" in err, err


def test_a_sequence_longer_than_a_position_table_is_told_the_limit():
    # the GPT-2 break, on a model of our own: a learned position table of 5 rows added to the embedded tokens
    @m13.register
    class LearnedPositions(L.Layer):
        def build(self, shape):
            self.table = self.add_weight(shape=(5, shape[-1]), name="table")

        def call(self, x):
            return x + ops.slice(ops.convert_to_tensor(self.table), (0, 0), (ops.shape(x)[1], ops.shape(x)[2]))

        def compute_output_shape(self, shape):
            return shape

    ids = keras.Input((None,), dtype="int32", name="ids")
    model = keras.Model(ids, LearnedPositions(name="positions")(L.Embedding(10, 4, name="embed")(ids)), name="lm")
    sentence = np.ones((1, 7), "int32")
    err = _explained(model, lambda: model(sentence))
    assert "5 positions in all, and gets a sequence of 7" in err and "sentence[:, :5]" in err, err


class PadGroups(L.Layer):
    """A layer of our own that pads the rows of each of two groups to the longest group, then projects them."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.project = L.Dense(2, name="project")

    def call(self, inputs):
        values, group = inputs  # (rows, 3), (rows,): rows sorted by group
        counts = ops.segment_sum(ops.ones_like(group), group, num_segments=2)
        longest = int(ops.convert_to_numpy(ops.max(counts)))  # a size read from the data
        slot = group * longest + ops.arange(ops.shape(group)[0]) - ops.take(ops.cumsum(counts) - counts, group)
        padded = ops.reshape(ops.segment_sum(values, slot, num_segments=2 * longest), (2, longest, 3))
        return self.project(padded)

    def compute_output_shape(self, input_shape):
        return (2, None, 2)


def test_extract_inside_a_layer_that_reads_sizes_from_its_data():
    # the MPNN extract (its readout pads atoms to the largest molecule found in the data), on a layer of our own
    values, group = keras.Input((3,), name="values"), keras.Input((), dtype="int32", name="group")
    model = keras.Model([values, group], PadGroups(name="pad")([values, group]), name="groups")
    data = [np.ones((5, 3), "float32"), np.array([0, 0, 1, 1, 1], "int32")]
    projected = kernest.extract(model, "pad/project")
    assert tuple(projected.output.shape) == (2, None, 2)
    checks.close(projected(data), model(data))
    readout = kernest.extract(m13.mpnn(), "transformer_encoder_readout/partition_padding")
    assert tuple(readout.output.shape) == (2, None, 8)
    assert tuple(readout(m13._data_mpnn()[0]).shape) == (2, 3, 8)  # two molecules, the larger of 3 atoms
