"""The lead's ninth round of probe models (not corpus cases): a clone_model copy that keeps its original's name, an
inner layer's ``.output`` used beside the nested model's call on a new input, a Reshape whose target counts the batch
axis, branches whose unpadded kernels cut different borders, and a Sequential that starts with a two-input model;
each checked the way ``kernest check script.py`` does, with other names and sizes than the probes."""

from __future__ import annotations

import re

import keras
import pytest

import kernest
from tests.corpus_cases import check_script

pytestmark = pytest.mark.core


def test_a_clone_that_keeps_its_originals_name_gets_the_shared_call_and_the_rename(tmp_path):
    body = """
encoder = keras.Sequential([keras.Input((6,)), L.Dense(4)], name="encoder")
a, b = keras.Input((6,), name="anchor"), keras.Input((6,), name="positive")
twin = keras.models.clone_model(encoder)
{rename}
model = keras.Model([a, b], L.Dot(axes=1)([encoder(a), twin(b)]), name="pair_scorer")
"""
    code, printed = check_script(tmp_path, body.format(rename=""))
    assert code == 1 and "twin = keras.models.clone_model(encoder)" in printed, printed
    assert "encoder(b) instead of twin(b)" in printed and 'twin.name = "encoder_2"' in printed, printed
    code, printed = check_script(tmp_path, body.format(rename='twin.name = "encoder_2"'))
    assert code == 0, printed


def test_an_inner_layers_output_beside_the_nested_models_call_gets_one_extract(tmp_path):
    body = """
tokens = keras.Input((12, 8))
h = L.Conv1D(6, 3, padding="same", name="local")(tokens)
encoder = keras.Model(tokens, L.GlobalMaxPooling1D(name="summary")(h), name="encoder")
text = keras.Input((12, 8), name="text")
pooled = encoder(text)
{taken}
model = keras.Model(text, [L.Dense(2)(pooled), L.Dense(1)(per_step)], name="two_heads")
"""
    code, printed = check_script(tmp_path, body.format(taken='per_step = encoder.get_layer("local").output'))
    fix = 'pooled, per_step = kernest.extract(encoder, ["summary", "local"])(text)'
    assert code == 1 and fix in printed, printed
    code, printed = check_script(tmp_path, body.format(taken=f"import kernest\n{fix}"))
    assert code == 0, printed


def test_a_reshape_whose_target_counts_the_batch_axis_is_rewritten_without_it(tmp_path):
    body = """
codes = keras.Input((48,))
expand = keras.Model(codes, L.Dense(4 * 4 * 3)(codes), name="expand")
z = keras.Input((48,), name="z")
grid = L.Reshape({target})(expand(z))
model = keras.Model(z, L.Conv2D(2, 3, padding="same")(grid), name="decoder")
"""
    code, printed = check_script(tmp_path, body.format(target="(-1, 4, 4, 3)"))
    assert code == 1 and "Leave the batch out: keras.layers.Reshape((4, 4, 3))" in printed, printed
    code, printed = check_script(tmp_path, body.format(target="(4, 4, 3)"))
    assert code == 0, printed


def test_branches_with_unpadded_kernels_of_different_sizes_get_same_padding(tmp_path):
    body = """
pixels = keras.Input((20, 20, 3))
narrow = keras.Model(pixels, L.Conv2D(4, 3, padding="{pad}")(pixels), name="narrow")
wide = keras.Model(pixels, L.Conv2D(4, 7, padding="{pad}")(pixels), name="wide")
image = keras.Input((20, 20, 3), name="image")
model = keras.Model(image, L.Concatenate()([narrow(image), wide(image)]), name="inception_block")
"""
    code, printed = check_script(tmp_path, body.format(pad="valid"))
    assert code == 1 and 'padding="same"' in printed and "narrow/conv2d" in printed, printed
    code, printed = check_script(tmp_path, body.format(pad="same"))
    assert code == 0, printed


def test_a_pooled_branch_keeps_the_pad_or_crop_fix():
    # pooling changes the size too: padding="same" would not make the branches agree, so it is not offered
    x = keras.Input((15, 15, 2))
    down_up = keras.Model(x, keras.layers.UpSampling2D()(keras.layers.MaxPooling2D()(x)), name="down_up")
    image = keras.Input((15, 15, 2))
    with pytest.raises(Exception) as raised:
        keras.layers.Concatenate()([image, down_up(image)])
    text = str(kernest.explain(raised.value))
    assert "ZeroPadding2D" in text and 'padding="same"' not in text, text


def test_a_sequential_that_starts_with_a_two_input_model_is_checked_from_its_inputs():
    clicks, views = keras.Input((5,), name="clicks"), keras.Input((5,), name="views")
    both = keras.Model([clicks, views], keras.layers.Concatenate()([clicks, views]), name="both")
    model = keras.Sequential([both, keras.layers.Dense(1)], name="ctr")
    report = str(kernest.check(model))
    assert "input:clicks" in report and re.search(r"ctr/both\s+-> ctr/dense", report), report
    with pytest.raises(kernest.KernestError, match=r"keras\.Input\(\(n_features,\)\)") as raised:
        kernest.check(keras.Sequential([keras.layers.Dense(2)], name="unbuilt"))
    assert "words" not in str(raised.value)
