"""kernest on a tenth batch of real nested models (tests/models_10.py, each from the public code it cites): keras.io's
DDPM U-Net (an integer time step input of shape ``()``, a time embedding added into every residual block, attention
layers holding their own Dense layers), keras.io's speech Transformer (a subclassed model holding a Sequential
encoder with a convolutional speech front end, decoder layers set with ``setattr``, its own ``train_step``), keras.io's
audio classifier on three ``STFTSpectrogram`` layers feeding a MobileNet, keras.io's vocal track separation network
(``ops.stft`` in the graph, custom blocks making a flat list of sublayers in ``build()``), keras.io's masked
autoencoder reused as a linear probe (a Sequential holding the patch layers and the pretrained encoder model), and
keras.io's Zero-DCE (a subclassed model applying its curve network's eight curves in ``call``). Every feature runs on
each (the checks are tests/real_world_checks.py, which also assert that reading a model leaves it as it was); each
works and gives the right answer, and a deliberate interface break of each is explained with its real names. Then
the mechanisms fixed for this batch, each on a model of its own."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from tests import models_10 as m10
from tests import real_world_checks as checks

built = checks.built  # the fixture: one model per spec for the module
L = keras.layers
ops = keras.ops

# core: Zero-DCE and the linear probe (small convolutions and one attention block); the others take seconds to build
# and trace on JAX. bench/real_world_10.py runs every model on all three backends.
CHEAP = {m10.zero_dce, m10.mae_linear_probe}
# The U-Net's training step, the speech Transformer's, MobileNet's copy and save, and the separation network's
# traces take many seconds on CPU: bench/real_world_10.py runs extract, replace, save and freeze on them (outputs
# compared, frozen weights kept), the suite does not.
HEAVY = {m10.ddpm_unet, m10.speech_transformer, m10.stft_classifier, m10.vocal_separation}


def specs(core: set | None = None, light: bool = False, skip: tuple = ()) -> list[object]:
    """SPECS as parameters; those built by a builder in ``core`` are marked ``core``; ``light`` leaves out HEAVY,
    ``skip`` the builders named."""
    return [pytest.param(s, id=s.build.__name__, marks=[pytest.mark.core] * (s.build in (core or set())))
            for s in m10.SPECS if not (light and s.build in HEAVY) and s.build not in skip]


@pytest.mark.parametrize("spec", specs(core=CHEAP))
def test_summary_paths_plot_and_check(spec, built, tmp_path):
    checks.summary_paths_plot_and_check(spec, built(spec), tmp_path)


@pytest.mark.parametrize("spec", specs(core=CHEAP, light=True))
def test_extract_an_inner_activation(spec, built):
    checks.extract_matches_the_summary(spec, built(spec))


@pytest.mark.parametrize("spec", specs(core=CHEAP, light=True))
def test_replace_a_submodel_with_a_copy(spec, built):
    checks.replace_with_a_copy(spec, built(spec), m10.outputs_of, refusal="subclassed model")


@pytest.mark.parametrize("spec", specs(core=CHEAP, light=True))
def test_save_and_load_give_the_same_outputs_and_no_diff(spec, built, tmp_path):
    checks.save_and_load(spec, built(spec), m10.outputs_of, tmp_path)


@pytest.mark.parametrize("spec", specs(core=CHEAP))
def test_a_deliberate_break_is_explained_with_the_models_own_names(spec, built):
    checks.break_is_explained(spec, built(spec))


@pytest.mark.parametrize("spec", specs(core=CHEAP, light=True))
def test_freeze_keeps_frozen_weights_through_a_training_step(spec, built):
    checks.freeze_keeps_frozen_weights(spec, built(spec), m10.outputs_of)  # last: it trains the shared model


# --- the mechanisms fixed for this batch ------------------------------------------------------------------
