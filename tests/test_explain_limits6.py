"""The diagnosis engine's known limits, round 6 (session 28): 0-255 integer pixels fed to a nested CNN unscaled,
LayerNormalization across a sequence's steps, a Masking mask dropped by a nested Conv1D, and item assignment on a
weight with a boolean mask, a computed index or a step. Each rule on the limit's script
(tests/user_scripts/limits/l34_ to l38_), on a model of its own, and where it must stay silent."""

from __future__ import annotations

import ast
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import layers as L
from keras import ops

from kernest._lint import lint
from tests.corpus_cases import kernest_check

pytestmark = pytest.mark.core

LIMITS = Path(__file__).parent / "user_scripts" / "limits"


def _fixed_copy(tmp_path: Path, script: str, *edits: tuple[str, str]) -> Path:
    """The limit's script with the printed fix applied, written next to the test."""
    text = (LIMITS / script).read_text()
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / script
    path.write_text(text)
    return path


# --- 1. 0-255 integer pixels, nothing rescales them ---------------------------------------------------------------

_L34_FIX = ('layers.Conv2D(16, 3, activation="relu", name="conv_a")(px)',
            'layers.Conv2D(16, 3, activation="relu", name="conv_a")(layers.Rescaling(1 / 255)(px))')


def test_uint8_pixels_into_a_nested_cnn_are_named_with_a_rescaling_in_the_users_own_line(tmp_path):
    code, printed = kernest_check(LIMITS / "l34_uint8_images_without_rescaling.py", strict=True)
    assert code == 1 and "warning: leaf_backbone/conv_a: input:photo -> leaf_backbone:" in printed, printed
    assert "`leaf_photos` holds uint8 pixels in [0, 255]" in printed, printed
    assert f"make layers.Rescaling(1 / 255) the first layer of leaf_backbone: {_L34_FIX[1]}." in printed, printed
    code, printed = kernest_check(_fixed_copy(tmp_path, "l34_uint8_images_without_rescaling.py", _L34_FIX),
                                  strict=True)
    assert code == 0 and "warning" not in printed, printed


def _digits_mlp(rescale: bool) -> keras.Model:
    keras.backend.clear_session(free_memory=False)
    first = [L.Rescaling(1 / 255, name="scale")] if rescale else []
    body = keras.Sequential([keras.Input((28, 28)), *first, L.Flatten(name="flat"), L.Dense(32, name="hidden")],
                            name="digit_body")
    i = keras.Input((28, 28), name="scan")
    return keras.Model(i, L.Dense(10, activation="softmax", name="digit")(body(i)), name="reader")


def test_grayscale_pixels_into_a_nested_sequential_mlp_are_found_and_rescaled_ones_are_not():
    scans = np.random.default_rng(0).integers(0, 256, (16, 28, 28), dtype=np.uint8)
    found = [f for f in lint(_digits_mlp(False), scans) if "pixels" in f.problem]
    assert len(found) == 1 and found[0].path == "digit_body/hidden", found
    assert "first layer of digit_body, before flat" in found[0].fix, found[0].fix
    assert not [f for f in lint(_digits_mlp(True), scans) if "pixels" in f.problem]  # scaled in the model
    assert not [f for f in lint(_digits_mlp(False), scans / 255.0) if "pixels" in f.problem]  # in the arrays


def test_integer_token_ids_into_a_nested_embedding_are_not_pixels():
    keras.backend.clear_session(free_memory=False)
    ids = keras.Input((6, 10), dtype="int32", name="chars")
    chars = keras.Model(ids, L.Conv2D(8, 3, name="conv")(L.Embedding(200, 4, name="embed")(ids)), name="char_cnn")
    i = keras.Input((6, 10), dtype="int32", name="words")
    model = keras.Model(i, L.Dense(2, name="out")(L.Flatten()(chars(i))), name="tagger")
    data = np.random.default_rng(1).integers(0, 200, (8, 6, 10))
    assert not [f for f in lint(model, data) if "pixels" in f.problem]


# --- 2. LayerNormalization across the steps ---------------------------------------------------------------------

def test_layernorm_over_the_tokens_axis_is_named_with_axis_minus_one_on_every_backend(tmp_path):
    code, printed = kernest_check(LIMITS / "l35_layernorm_over_tokens_axis.py", strict=True)
    assert code == 1 and "char_encoder/norm: causal_conv -> norm:" in printed, printed
    assert "normalises axis 1 of (batch, steps=24, features=32)" in printed and "future leaks" in printed, printed
    assert 'layers.LayerNormalization(axis=-1, name="norm")' in printed and "Reshape" not in printed, printed
    if keras.backend.backend() == "torch":  # PyTorch refuses it, and the failure says the same
        assert "PyTorch refuses it" in printed, printed
    fixed = _fixed_copy(tmp_path, "l35_layernorm_over_tokens_axis.py",
                        ('layers.LayerNormalization(axis=1, name="norm")', 'layers.LayerNormalization(axis=-1, name="norm")'))
    code, printed = kernest_check(fixed, strict=True)
    assert code == 0 and "warning" not in printed, printed


def _attention_model(axis: int, rank: int) -> keras.Model:
    keras.backend.clear_session(free_memory=False)
    if rank == 3:
        x = keras.Input((10, 16), name="frames")
        h = L.MultiHeadAttention(2, 8, name="attend")(x, x)
    else:
        x = keras.Input((16,), name="features")
        h = L.Dense(16, name="mix")(x)
    block = keras.Model(x, L.LayerNormalization(axis=axis, name="ln")(h), name="block")
    i = keras.Input(x.shape[1:], name="inp")
    return keras.Model(i, L.Dense(1, name="head")(block(i)), name="outer")


def test_layernorm_across_steps_after_attention_is_found_and_axis_one_of_a_table_is_not():
    found = [f for f in lint(_attention_model(1, 3)) if "normalises axis" in f.problem]
    assert len(found) == 1 and found[0].path == "block/ln" and "attend -> ln" in found[0].interface, found
    assert "(batch, steps=10, features=16)" in found[0].problem and "axis=-1" in found[0].fix, found
    assert "causal" not in found[0].problem
    assert not [f for f in lint(_attention_model(1, 2)) if "normalises axis" in f.problem]  # axis 1 = the features
    assert not [f for f in lint(_attention_model(-1, 3)) if "normalises axis" in f.problem]


# --- 3. a Masking mask dropped by a nested Conv1D ----------------------------------------------------------------

def test_masking_before_a_nested_conv1d_names_the_conv_and_the_pool_that_needs_the_mask(tmp_path):
    code, printed = kernest_check(LIMITS / "l36_masking_before_nested_conv1d.py", strict=True)
    assert code == 1 and "warning: feature_extractor/conv: pad_mask -> feature_extractor:" in printed, printed
    mask = "keras.ops.any(keras.ops.not_equal(steps, 0.0), axis=-1)"
    assert f'layers.GlobalAveragePooling1D(name="pool")(h, mask={mask}); then pad_mask can go' in printed, printed
    fixed = _fixed_copy(tmp_path, "l36_masking_before_nested_conv1d.py",
                        ('layers.GlobalAveragePooling1D(name="pool")(h)',
                         f'layers.GlobalAveragePooling1D(name="pool")(h, mask={mask})'),
                        ('masked = layers.Masking(mask_value=0.0, name="pad_mask")(series)\n', ""),
                        ("extractor(masked)", "extractor(series)"))
    code, printed = kernest_check(fixed, strict=True)
    assert code == 0 and "warning" not in printed, printed


def _masked_model(inner_layers: list[keras.layers.Layer]) -> keras.Model:
    keras.backend.clear_session(free_memory=False)
    inner = keras.Sequential([keras.Input((20, 3)), *inner_layers], name="inner")
    i = keras.Input((20, 3), name="seq")
    return keras.Model(i, L.Dense(1, name="y")(inner(L.Masking(mask_value=-1.0, name="mask")(i))), name="outer")


def test_a_valid_conv_after_masking_gets_the_general_fix_and_a_nested_lstm_is_left_alone():
    found = [f for f in lint(_masked_model([L.Conv1D(4, 3, name="c"), L.GlobalMaxPooling1D(name="p")]))
             if "takes no mask" in f.problem]
    assert len(found) == 1 and found[0].path == "inner/c", found
    assert "masks the steps equal to -1.0" in found[0].problem and "padding=\"same\"" in found[0].fix, found
    assert not [f for f in lint(_masked_model([L.LSTM(4, name="rnn")])) if "takes no mask" in f.problem]


# --- 4. item assignment on a weight with a mask, a computed index or a step ---------------------------------------

def test_a_mask_and_a_step_on_a_weight_get_where_and_scatter_update_forms():
    code, printed = kernest_check(LIMITS / "l37_item_assignment_with_mask_and_step.py", strict=True)
    assert code == 1 and "gated_block/gate" in printed and "Reshape" not in printed, printed
    assert "self.usage.assign(ops.where(stale, 1.0, self.usage.value)) (line 16)" in printed, printed
    assert ("self.usage.assign(ops.scatter_update(self.usage.value, ops.reshape(ops.arange(0, 12, 2), (6, 1)), "
            "ops.broadcast_to(self.usage[::2] * 0.5, (6,)))) (line 17)") in printed, printed


def test_an_index_computed_with_argmin_gets_a_where_over_the_rows():
    code, printed = kernest_check(LIMITS / "l38_item_assignment_at_computed_slot.py", strict=True)
    assert code == 1 and "state_tracker/slots" in printed and "Reshape" not in printed, printed
    assert ("self.memory.assign(ops.where(ops.reshape(ops.arange(4) == emptiest, (4, 1)), ops.mean(turns, axis=0), "
            "self.memory.value)) (line 16)") in printed, printed


_COMPUTED = [  # (the user's lines on a (6, 3) weight w; v and k are given; NumPy runs them as written)
    ("m = self.w < 0.5\nself.w[m] = 0.0", "ops.where(m, 0.0, self.w.value)"),
    ("self.w[self.w > 0.7] = v[0, 0]", None),
    ("i = ops.argmax(ops.sum(self.w, axis=1))\nself.w[i] = v[0]", None),
    ("self.w[::2] = v[:3]", None),
    ("self.w[1::3] *= 2.0", None),
    ("self.w[5:0:-2] = v[:3]", None),
]


@pytest.mark.parametrize("written,expected", _COMPUTED)
def test_each_computed_index_form_gives_numpys_item_assignment_on_every_backend(written, expected):
    from kernest._lint_gradient import _inplace_in

    rng = np.random.default_rng(5)
    w, v = rng.random((6, 3)).astype("float32"), rng.random((6, 3)).astype("float32")
    source = "def call(self, v):\n" + "".join(f"    {line}\n" for line in written.splitlines())
    fn = ast.parse(source).body[0]
    found, _ = _inplace_in(fn, source, 1, {"v": None}, "ops", {"w": "variable"}, {"w": (6, 3)})  # type: ignore[arg-type]
    assert len(found) == 1 and found[0][3].startswith("self.w.assign(ops."), found
    printed = found[0][3][len("self.w.assign("):-1]
    if expected is not None:
        assert printed == expected
    weight = keras.Variable(w, trainable=False)
    scope = {"ops": ops, "self": type("S", (), {"w": weight}), "v": ops.convert_to_tensor(v)}
    for line in written.splitlines()[:-1]:  # the lines before the assignment (the mask, the index)
        exec(line, scope)  # noqa: S102
    got = keras.ops.convert_to_numpy(eval(printed, scope))  # noqa: S307
    want = w.copy()
    numpy_scope = {"self": type("S", (), {"w": want}), "v": v, "ops": type("O", (), {
        "argmax": staticmethod(np.argmax), "sum": staticmethod(np.sum)})}
    exec(written, numpy_scope)  # noqa: S102 - the user's lines, on NumPy
    assert np.allclose(got, want), (written, printed)


def test_an_index_of_unknown_kind_gets_both_forms_said():
    from kernest._lint_gradient import _inplace_in

    source = "def call(self, v, slot):\n    self.w[slot] = v\n"
    fn = ast.parse(source).body[0]
    found, _ = _inplace_in(fn, source, 1, {"v": None, "slot": None}, "ops", {"w": "variable"}, {"w": (6, 3)})  # type: ignore[arg-type]
    assert found[0][3] == (
        "build the new values with ops.where: if slot is one position on the first axis, self.w = "
        "ops.where(ops.reshape(ops.arange(6) == slot, (6, 1)), v, self.w.value); if it is a boolean mask of self.w's "
        "shape, self.w = ops.where(slot, v, self.w.value), and write them with self.w.assign(...)"), found
