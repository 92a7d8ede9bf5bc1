"""kernest on a fourth batch of real nested models (tests/models_4.py, each from the public code it cites):
keras.io's translation Transformer (encoder and decoder models, a mask across them), a knowledge Distiller
and a DCGAN with no call() (subclassed, own compile), the blog's autoencoder whose encoder feeds a classifier,
CapsNet, an attention U-Net of block models, PyImageSearch's mixed-data towers joined by their .output, a
subclassed model around a Functional around a Sequential, RetinaNet (subclassed > FPN layer > dict-output
backbone, heads shared over levels), keras.io's LSTM seq2seq inference models, GRN/VSN (sublayers in a list),
and the triplet Siamese model. Every feature runs on each; each either works and gives the right answer,
or raises a ``KernestError`` that says what to do with this model's own names."""

from __future__ import annotations

import os

import keras
import numpy as np
import pytest

import kernest
from kernest.cli import main
from tests import models_4 as m4
from tests import real_world_checks as checks
from tests.real_world_checks import dims
from tests.test_real_world import cli_on_a_saved_file_and_a_script

built = checks.built  # the fixture: one model per spec for the module
L = keras.layers
# Keras' own note on AttentionGate, GatedResidualNetwork and VariableSelection (build() marks them built
# without their sublayers); that is the case tested below
pytestmark = pytest.mark.filterwarnings("ignore:`build\\(\\)` was called on layer:UserWarning")


CHEAP = {m4.lstm_seq2seq, m4.regularized_classifier, m4.grn_vsn}  # a second or two on JAX and PyTorch too


def specs(core: bool = False) -> list[object]:
    """SPECS as parameters; with ``core=True`` the cheap ones are marked ``core``."""
    return [pytest.param(s, id=s.build.__name__, marks=[pytest.mark.core] * (core and s.build in CHEAP))
            for s in m4.SPECS]


def arrays(values: object) -> list[np.ndarray]:
    return [keras.ops.convert_to_numpy(v) for v in keras.tree.flatten(values)]


def close(a: object, b: object, tol: float = 1e-4) -> None:
    for x, y in zip(arrays(a), arrays(b), strict=True):
        np.testing.assert_allclose(x, y, rtol=tol, atol=tol / 10)


@pytest.mark.parametrize("spec", specs(core=True))
def test_summary_paths_plot_and_check(spec, built, tmp_path):
    checks.summary_paths_plot_and_check(spec, built(spec), tmp_path)


@pytest.mark.parametrize("spec", specs())
def test_extract_an_inner_activation(spec, built):
    model = built(spec)
    x, _ = spec.data()
    if "extract" in spec.refuses:  # a GAN trained by its own train_step has no call(): nothing runs it
        with pytest.raises(kernest.KernestError, match=r"kernest\.extract\(gan\.discriminator, 'd_conv1'\)"):
            kernest.extract(model, spec.inner)
        got = kernest.extract(model.discriminator, "d_conv1")(x)  # what the message says
        assert tuple(got.shape[1:]) == (4, 4, 4)
        return
    path = spec.inner_path(model)
    value = keras.tree.flatten(kernest.extract(model, path)(x))[0]
    row = {r.path: r for r in kernest.summary(model, depth=9).rows}[path.split("@")[0]]
    shown = dims(row.calls[0][1].strip("[]").split("), (")[0] + ")")
    assert [d if s is not None else None for d, s in zip(value.shape[1:], shown, strict=True)] == shown


@pytest.mark.parametrize("spec", specs())
def test_freeze_keeps_frozen_weights_through_a_training_step(spec):
    checks.freeze_keeps_frozen_weights(spec, spec.build(), m4.outputs_of)


@pytest.mark.parametrize("spec", specs())
def test_replace_a_submodel_with_a_copy(spec, built):
    model = built(spec)
    x, _ = spec.data()
    new = spec.copy(kernest.get(model, spec.submodel))
    if "replace" in spec.refuses:  # a subclassed model: the advice names what this model really holds
        held = {"distiller": "teacher", "classifier": "backbone", "retinanet": "cls_head",  # the first model set
                "siamese_model": "siamese_network", "gan": "discriminator"}[model.name]
        with pytest.raises(kernest.KernestError, match=rf"subclassed.*new\.{held}\.set_weights\({model.name}\.{held}\."):
            kernest.replace(model, spec.submodel, new)
        return
    close(m4.outputs_of(kernest.replace(model, spec.submodel, new), x), m4.outputs_of(model, x))


@pytest.mark.parametrize("spec", specs())
def test_save_and_load_give_the_same_outputs_and_no_diff(spec, built, tmp_path):
    model = built(spec)
    x, _ = spec.data()
    if "save" in spec.refuses:
        with pytest.raises(kernest.KernestError, match=r"GAN has no get_config\(\).*\(discriminator, generator, "
                           r"latent_dim\).*kernest\.save\(gan\.discriminator"):
            kernest.save(model, tmp_path / "m.keras")
        assert not (tmp_path / "m.keras").exists()
        return
    loaded = kernest.load(kernest.save(model, tmp_path / "m.keras"), safe_mode=not spec.unsafe)
    close(m4.outputs_of(loaded, x), m4.outputs_of(model, x))
    d = kernest.diff(model, loaded)
    assert not d.changes, str(d)


# --- the mechanisms fixed for this batch, each on a second model too -----------------------------------------

@keras.saving.register_keras_serializable(package="kernest_rw4_tests")
class PairScorer(keras.Model):
    """A subclassed model called on one list of two tensors (``call(self, inputs)``)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.tower = keras.Sequential([keras.Input((5,)), L.Dense(3, name="fc")], name="tower")
        self.score = L.Dense(1, name="score")

    def call(self, inputs):
        a, b = inputs
        return self.score(ops_abs(self.tower(a) - self.tower(b)))


def ops_abs(x):
    return keras.ops.abs(x)


@pytest.mark.core
def test_check_a_subclassed_model_first_called_on_a_list_of_inputs():
    siamese = m4.siamese_triplet()  # called on [anchor, positive, negative]
    report = kernest.check(siamese)
    assert {(i.producer, i.consumer) for i in report.interfaces} >= {
        ("input", "siamese_network"), ("input", "siamese_network/embedding")}
    pair = PairScorer(name="pair")
    pair([np.zeros((1, 5), "float32")] * 2)
    report = kernest.check(pair)
    assert [(i.consumer, i.shape) for i in report.interfaces if i.consumer == "tower"] == [("tower", "(batch, 5)")]
    assert "(batch, 5)" in kernest.summary(pair).rows[0].input_shape  # the traced root: [(batch, 5), (batch, 5)]


def test_extract_from_a_built_subclassed_model_taps_its_call():
    model = m4.distiller()
    x, _ = m4.SPECS[1].data()
    logits, conv = kernest.extract(model, ["student/logits", "student/conv1"])(x)
    close(logits, model(x), 1e-5)  # the student's last layer is the model's output
    close(conv, model.student.get_layer("conv1")(x), 1e-5)
    assert tuple(conv.shape[1:]) == (4, 4, 2)
    pair = PairScorer(name="pair")
    a, b = np.ones((2, 5), "float32"), np.zeros((2, 5), "float32")
    pair([a, b])
    calls = kernest.extract(pair, "tower")([a, b])  # a tower called twice: both calls, in order
    close(calls, [pair.tower(a), pair.tower(b)], 1e-5)
    retina = m4.retinanet()  # a head shared over three pyramid levels, called from Python code
    levels = kernest.extract(retina, "classification_head")(np.zeros((1, 16, 16, 3), "float32"))
    assert [tuple(v.shape[1:3]) for v in levels] == [(8, 8), (4, 4), (2, 2)]


def test_extract_from_a_subclassed_model_never_called_names_its_real_submodels():
    with pytest.raises(kernest.KernestError, match=r"Call it on data once.*kernest\.extract\(gan\.discriminator, "
                       r"'d_conv1'\) for its attribute 'discriminator'"):
        kernest.extract(m4.dcgan(), "generator/g_fc")
    pair = PairScorer(name="pair")  # built by nothing yet
    with pytest.raises(kernest.KernestError, match=r"kernest\.extract\(pair\.tower, 'fc'\)"):
        kernest.extract(pair, "tower/fc")


@pytest.mark.core
def test_a_model_without_call_shows_and_checks_the_models_it_holds():
    gan = m4.dcgan()
    rows = {r.path: r for r in kernest.summary(gan).rows}
    assert rows["discriminator"].input_shape == "(batch, 8, 8, 1)"
    assert rows["generator"].output_shape == "(batch, 8, 8, filters=1)"
    consumers = {i.consumer for i in kernest.check(gan, depth=3).interfaces}
    assert {"generator/g_fc", "generator/g_reshape", "discriminator/d_conv1", "discriminator/d_out"} <= consumers

    class Holder(keras.Model):  # an actor and a critic, trained by hand: no call() either
        def __init__(self):
            super().__init__(name="agent")
            self.actor = keras.Sequential([keras.Input((4,)), L.Dense(2, name="policy")], name="actor")
            self.critic = keras.Sequential([keras.Input((4,)), L.Dense(1, name="value")], name="critic")

    agent = Holder()
    assert {r.path: r.output_shape for r in kernest.summary(agent).rows}["critic"] == "(batch, features=1)"
    assert [i.consumer for i in kernest.check(agent).interfaces] == ["actor/policy", "critic/value"]


@pytest.mark.parametrize("build", [m4.attention_unet, m4.grn_vsn])
def test_custom_layers_whose_sublayers_keras_leaves_unbuilt_save_load_and_copy(build, tmp_path):
    """AttentionGate and VariableSelection hold sublayers, have no build() and give compute_output_shape:
    Keras rebuilds them (clone_model, load_model) without running call(), so their sublayers get no weights."""
    spec = next(s for s in m4.SPECS if s.build is build)
    model, (x, _) = build(), spec.data()
    path = kernest.save(model, tmp_path / "m.keras")
    with pytest.raises(ValueError, match="was never built"):
        keras.saving.load_model(path)  # Keras alone cannot
    close(kernest.load(path)(x), model(x), 1e-5)  # and no diff: test_save_and_load_give_the_same_outputs_and_no_diff
    head = model.layers[-1]
    copy = head.__class__.from_config(head.get_config())
    copy.build(head.input.shape)
    copy.set_weights(head.get_weights())
    close(kernest.replace(model, head.name, copy)(x), model(x), 1e-5)  # the rest of the model is a copy


def test_save_names_the_class_without_get_config_and_what_to_do(tmp_path):
    class Scaled(L.Layer):  # a layer taking a layer, as keras.io's wrappers do, without get_config
        def __init__(self, inner, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.inner, self.factor = inner, factor

        def call(self, x):
            return self.inner(x) * self.factor

    x = keras.Input((3,))
    model = keras.Model(x, Scaled(L.Dense(2, name="fc"), name="scaled")(x), name="wrapped")
    with pytest.raises(kernest.KernestError, match=r"Scaled at 'scaled' has no get_config\(\).*\(inner, factor\)"):
        kernest.save(model, tmp_path / "m.keras")
    assert not (tmp_path / "m.keras").exists()


def test_cli_on_saved_files_and_scripts_of_this_batch(tmp_path, capsys):
    out, _ = cli_on_a_saved_file_and_a_script(m4.attention_unet(), "attention_unet", tmp_path, capsys,
                                              module="tests.models_4", classes="tests.models_4")
    assert "up1/gate" in out and "down2 -> up2" in out
    script = tmp_path / "gan.py"
    script.write_text("from tests.models_4 import dcgan\ngan = dcgan()\n")
    assert main(["summary", str(script)]) == 0 and "generator/g_deconv" in capsys.readouterr().out
    assert main(["check", str(script)]) == 0 and "discriminator/" in capsys.readouterr().out
    assert os.path.exists(script)
