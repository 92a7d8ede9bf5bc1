from __future__ import annotations

import json
import os
from pathlib import Path

import keras
import numpy as np
import pytest

import kernest
from tests import models

pytestmark = pytest.mark.core
GOLDEN = Path(__file__).parent / "golden"
REGEN = os.environ.get("KERNEST_REGEN_GOLDEN") == "1"


def check_golden(name: str, text: str) -> None:
    """Compare with tests/golden/<name>.txt; KERNEST_REGEN_GOLDEN=1 rewrites the file instead."""
    path = GOLDEN / f"{name}.txt"
    if REGEN or not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if not REGEN:
            pytest.fail(f"golden file {path} did not exist and was written; check it and run again")
    assert text == path.read_text(encoding="utf-8"), f"summary differs from {path}; KERNEST_REGEN_GOLDEN=1 updates it"


@pytest.mark.parametrize(
    "builder",
    [models.word_model, models.depth3, models.shared_twice, models.over_over, models.with_custom_block,
     models.shared_across, models.time_distributed],
)
def test_summary_golden(builder):
    check_golden(f"summary_{builder.__name__}", str(kernest.summary(builder())))


def test_summary_depth1_golden():
    check_golden("summary_word_model_depth1", str(kernest.summary(models.word_model(), depth=1)))


@pytest.mark.parametrize(
    "builder",
    [models.word_model, models.depth3, models.shared_twice, models.over_over, models.with_custom_block,
     models.with_batchnorm, models.shared_across],
)
def test_totals_match_count_params_and_own_params_sum_to_them(builder):
    model = builder()
    s = kernest.summary(model)
    assert s.total_params == model.count_params()
    assert sum(r.own_params for r in s.rows) == model.count_params()
    trainable = sum(int(keras.ops.size(w)) for w in model.trainable_weights)
    assert s.trainable_params == trainable
    assert s.non_trainable_params == model.count_params() - trainable


@pytest.mark.parametrize("builder", [models.word_model, models.depth3, models.over_over, models.vae, models.gan])
@pytest.mark.parametrize("depth", [None, 1, 2])
def test_params_are_the_subtree_total_at_every_depth(builder, depth):
    model = builder()
    rows = kernest.summary(model, depth=depth).rows
    for r in rows:
        assert r.params == kernest.get(model, r.path).count_params(), r.path
    assert sum(r.params for r in rows if r.depth == 1) == model.count_params()


def test_rows_open_over_with_per_element_shapes():
    rows = {r.path: r for r in kernest.summary(models.word_model()).rows}
    assert rows["per_word"].input_shape == "(batch, words=6, chars=8)"
    assert rows["per_word"].kind == "Over(words)"
    conv = rows["per_word/char_cnn/conv"]
    assert (conv.kind, conv.depth, conv.per) == ("Conv1D", 3, ("words",))
    assert conv.input_shape == "(batch*words, chars=8, embed=6)"
    assert conv.output_shape == "(batch*words, chars=8, filters=8)"
    assert conv.params == 6 * 3 * 8 + 8
    assert rows["word_lstm/forward_lstm"].output_shape == "(batch, units=5)"
    assert rows["per_word/char_cnn"].container and not conv.container


def test_depth3_rows_and_interfaces():
    s = kernest.summary(models.depth3())
    assert [(r.path, r.depth) for r in s.rows][:3] == [("middle", 1), ("middle/inner", 2), ("middle/inner/dense", 3)]
    interfaces = {link.interface: link.shape for link in s.links}
    assert interfaces["middle -> head"] == "(batch, features=2)"
    assert interfaces["middle/inner -> middle/dense"] == "(batch, features=3)"


def test_a_container_shows_the_same_params_at_every_depth():
    full = {r.path: r for r in kernest.summary(models.word_model()).rows}
    rows = {r.path: r for r in kernest.summary(models.word_model(), depth=1).rows}
    assert set(rows) == {"per_word", "word_lstm", "head"}
    assert rows["per_word"].params == full["per_word"].params == 180 + 152
    assert full["per_word"].own_params == 0 and full["per_word/char_cnn/conv"].own_params == 152
    data = json.loads(kernest.summary(models.depth3()).to_json())
    assert {r["path"]: r["params"] for r in data["rows"]}["middle/inner"] == 15


def test_shared_submodel_shows_both_call_sites():
    row = next(r for r in kernest.summary(models.shared_twice()).rows if r.path == "encoder")
    assert row.shared and len(row.calls) == 2
    assert row.calls[1] == ("(batch, 3)", "(batch, features=4)")
    text = str(kernest.summary(models.shared_twice()))
    assert "shared: 2 calls" in text and "call @1" in text


def test_layer_shared_between_models_is_marked_and_counted_once():
    model = models.shared_across()
    s = kernest.summary(model)
    rows = {r.path: r for r in s.rows}
    assert rows["shared_dense"].also_at == ("sub/shared_dense",)
    assert rows["sub/shared_dense"].own_params == 20 and rows["shared_dense"].own_params == 0
    assert rows["shared_dense"].params == 20
    assert "  shared_dense: sub/shared_dense, shared_dense\n" in str(s)


def test_frozen_layers_show_in_trainable_column():
    model = models.with_batchnorm()
    kernest.freeze(model, "inner/bn")
    rows = {r.path: r for r in kernest.summary(model).rows}
    assert rows["inner/bn"].trainable_text == "no"
    assert rows["inner"].trainable_text == "partly"
    assert rows["head"].trainable_text == "yes"


def test_filter_and_show():
    s = kernest.summary(models.word_model(), filter="**/conv*", show=("kind", "params"))
    assert [r.path for r in s.rows] == ["per_word/char_cnn/conv"]
    header = next(line for line in str(s).splitlines() if line.startswith("Path"))
    assert header.split() == ["Path", "Kind", "Params"]
    with pytest.raises(kernest.PathError, match="per_word/cnn"):
        kernest.summary(models.word_model(), filter="per_word/cnn")
    with pytest.warns(kernest.KernestWarning, match="matches no path"):
        assert kernest.summary(models.word_model(), filter="nothing/*").rows == []
    with pytest.raises(kernest.KernestError, match="unknown column"):
        kernest.summary(models.word_model(), show=("colour",))
    with pytest.raises(kernest.KernestError, match="depth"):
        kernest.summary(models.word_model(), depth=0)


def test_json_and_markdown_carry_the_same_rows():
    s = kernest.summary(models.word_model())
    data = json.loads(s.to_json())
    assert [r["path"] for r in data["rows"]] == [r.path for r in s.rows]
    assert data["total_params"] == 925
    assert data["rows"][3]["output_shape"] == "(batch*words, chars=8, filters=8)"
    md = s.to_markdown()
    assert "`per_word/char_cnn/conv`" in md and "| Path | Kind |" in md


def test_rendering_is_pure_and_fixed_width():
    s = kernest.summary(models.depth3())
    assert str(s) == str(s)
    assert "\x1b" not in str(s)
    table = str(s).split("\n\n")[1].splitlines()
    assert len({len(table[1])}) == 1 and set(table[1]) <= {"-", " "}


# --- issue 10: dict outputs, input names, notebooks ------------------------------------------------------

def test_dict_outputs_show_their_keys_and_inputs_their_names():
    s = kernest.summary(models.vae())
    rows = {r.path: r for r in s.rows}
    assert rows["encoder"].output_shape == "{log_var: (batch, features=2), mean: (batch, features=2)}"
    assert s.outputs == ["reconstruction (batch, features=12)", "z_mean (batch, features=2)"]
    x = keras.Input((3,))
    unnamed = kernest.summary(keras.Model(x, keras.layers.Dense(2, name="d")(x)))
    assert unnamed.inputs == [f"{x._keras_history[0].name} (batch, 3)"]
    assert not any("keras_tensor" in line for line in unnamed.inputs + unnamed.outputs)


def test_summary_has_an_html_table_for_notebooks():
    html = kernest.summary(models.vae())._repr_html_()
    assert html.startswith("<table><caption") and html.count("<tr>") == 1 + 8
    assert "{log_var: (batch, features=2), mean: (batch, features=2)}" in html
    assert "Total params: 272" in html
    assert "<script" not in kernest.summary(models.mlp((2,), "a<script>", input_dim=2))._repr_html_()


# --- issue 10: subclassed models -------------------------------------------------------------------------

def test_subclassed_model_rows_come_in_call_order_with_real_shapes():
    s = kernest.summary(models.subclassed_classifier())
    rows = {r.path: r for r in s.rows}
    assert [r.path for r in s.rows if r.depth == 1] == ["backbone", "drop", "head"]  # head was set first
    assert (rows["backbone"].input_shape, rows["backbone"].output_shape) == ("(batch, 8)", "(batch, features=5)")
    # the head reads what the backbone gave (through dropout), so it sees the backbone's axis names
    assert (rows["head"].input_shape, rows["head"].output_shape) == ("(batch, features=5)", "(batch, features=3)")
    assert rows["backbone/bn"].input_shape == "(batch, features=6)"
    assert s.inputs == ["(batch, 8)"] and s.outputs == ["(batch, features=3)"]  # named through the traced call
    assert "?" not in str(s)


def test_custom_layer_children_get_shapes_and_an_unbuilt_model_stays_honest():
    rows = {r.path: r for r in kernest.summary(models.with_custom_block()).rows}
    assert rows["block/inner_dense"].output_shape == "(batch, features=4)"
    unbuilt = kernest.summary(models.Unbuilt(name="unbuilt"))
    assert [(r.path, r.input_shape) for r in unbuilt.rows] == [("dense", "?")]


def test_tracing_leaves_the_model_as_it_was():
    model = models.subclassed_classifier()
    kernest.summary(model)
    assert "call" not in vars(model.head) and "call" not in vars(model.backbone)
    x = np.ones((2, 8), "float32")
    assert model(x).shape == (2, 3)


@pytest.mark.parametrize("builder", models.REAL_WORLD, ids=lambda b: b.__name__)
def test_ten_real_world_models_summarise_with_every_shape_known(builder):
    model = builder()
    s = kernest.summary(model, depth=9)  # every row, none collapsed
    assert s.total_params == model.count_params() == sum(r.own_params for r in s.rows)
    unknown = [r.path for r in s.rows if "?" in (r.input_shape + r.output_shape)]
    assert unknown == []
    assert all(kernest.get(model, r.path) is not None for r in s.rows[:20])


def test_a_composite_layer_row_and_what_follows_it_carry_axis_names():
    rows = {r.path: r for r in kernest.summary(models.subclassed_router()).rows}
    assert rows["router/stem"].output_shape == rows["router/stem/ln"].output_shape == "(batch, features=4)"
    assert rows["router/body"].input_shape == "(batch, features=4)"  # what the composite gave
    assert rows["router"].output_shape == rows["head"].input_shape == "(batch, features=4)"  # h + body(h)
    assert rows["router/drop"].input_shape == "(batch, features=4)"  # runs in training only: traced that way


@keras.saving.register_keras_serializable(package="kernest_tests")
class PositionEmbedding(keras.layers.Layer):
    """Token embedding plus a learned position table: the table's lookup has no batch axis."""

    def __init__(self, vocab: int = 20, steps: int = 6, dim: int = 8, **kwargs):
        super().__init__(**kwargs)
        self.steps = steps
        self.tokens = keras.layers.Embedding(vocab, dim, name="tokens")
        self.positions = keras.layers.Embedding(steps, dim, name="positions")

    def call(self, ids):
        return self.tokens(ids) + self.positions(keras.ops.arange(self.steps))  # (B, steps, dim) + (steps, dim)


def test_a_tensor_without_a_batch_axis_inside_a_traced_call_shows_no_batch():
    ids = keras.Input((6,), dtype="int32", name="ids")
    model = keras.Model(ids, keras.layers.Dense(2, name="head")(PositionEmbedding(name="embed")(ids)), name="pos")
    rows = {r.path: r for r in kernest.summary(model).rows}
    assert (rows["embed/positions"].input_shape, rows["embed/positions"].output_shape) == ("(6)", "(6, 8)")
    assert rows["embed/tokens"].output_shape == rows["embed"].output_shape == "(batch, 6, embed=8)"
    real = kernest.get(model, "embed/positions")(np.arange(6))
    assert real.shape == (6, 8)


class _TransposeThenDense(keras.layers.Layer):
    """Python code between the inputs and a sublayer: fc(x transposed)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fc = keras.layers.Dense(3, name="fc")

    def build(self, input_shape):
        self.fc.build((input_shape[0], input_shape[2], input_shape[1]))

    def call(self, x):
        return self.fc(keras.ops.transpose(x, (0, 2, 1)))


class _Residual(keras.layers.Layer):
    """out(x + fc(x)): the sum is made by Python code."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.fc, self.out = keras.layers.Dense(4, name="fc"), keras.layers.Dense(2, name="out")

    def build(self, input_shape):
        self.fc.build(input_shape)
        self.out.build(input_shape)

    def call(self, x):
        return self.out(x + self.fc(x))


def test_python_code_in_a_call_leaves_axes_unnamed_where_a_guess_could_be_wrong():
    x = kernest.Input((4, 4), axes=("rows", "cols"), name="x")
    rows = {r.path: r for r in kernest.summary(keras.Model(x, _TransposeThenDense(name="swap")(x))).rows}
    assert rows["swap/fc"].input_shape == "(batch, 4, 4)"  # not (rows, cols): the transpose swapped them
    x = kernest.Input((3, 4), axes=("steps", "feats"), name="x")
    rows = {r.path: r for r in kernest.summary(keras.Model(x, _Residual(name="res")(x))).rows}
    assert rows["res/fc"].input_shape == "(batch, steps=3, feats=4)"
    assert rows["res/out"].input_shape == "(batch, steps=3, 4)"  # x and fc(x) agree on steps only
