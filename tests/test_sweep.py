"""The layer-error sweep (tests/sweep/): for a nested model failing inside each kind of Keras layer, kernest
names the nested path and the interface with no traceback, and prints a correct remedy computed from the
model's own sizes. The expectations in tests/sweep/cases.json were written before kernest ran on them.
"""

from __future__ import annotations

import keras
import pytest

from tests.sweep.runner import cases, run_kernest

pytestmark = pytest.mark.core
CASES = cases()
# Remedies kernest does not compute yet: a family rule of _explain answers first, with another fix (BENCHMARKS.md
# section 6, "Layer-error sweep"): an extra axis before an RNN or RepeatVector answered with TimeDistributed (s14,
# s25), a pooled query rebuilt as rank 2 (s17), or a channels-first channel mismatch read as spatial (s30).
FIX_WRONG = {"s14_simplernn_rank4", "s17_mha_query_pooled",
             "s25_repeatvector_rank3", "s30_average_cf_channels"}
# The second input of a pre-built two-input model is too narrow, and the interface names the first one's producer.
NAME_WRONG = {"s15_attention_value_width", "s16_additive_attention_width"}
# Sweep 2 (s41-s64, the model API around nested models), before any engine change for it (TensorFlow).
FIX_WRONG |= {"s41_fit_dict_wrong_key", "s44_metrics_dict_wrong_key", "s45_loss_list_too_long",
              "s46_labels_for_one_head", "s47_sample_weight_rank", "s48_dataset_tuple_for_dict",
              "s51_validation_one_array", "s54_predict_list_for_one_input", "s55_call_dict_missing_key",
              "s56_y_dict_wrong_keys", "s57_dict_outputs_loss_list_short", "s59_save_no_extension",
              "s61_call_two_positional", "s62_dataset_x_only"}
NAME_WRONG |= {"s44_metrics_dict_wrong_key", "s45_loss_list_too_long", "s48_dataset_tuple_for_dict",
               "s57_dict_outputs_loss_list_short", "s59_save_no_extension", "s62_dataset_x_only",
               "s64_load_lambda_safe_mode"}


def test_the_sweep_is_large_and_spread():
    assert len(CASES) >= 30
    assert len({c.meta["family"] for c in CASES}) >= 12
    scripts = [c.broken.read_text() for c in CASES]
    assert all(c.broken.is_file() for c in CASES)
    assert sum("channels_first" in s for s in scripts) >= 8  # nothing tuned on one layout
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_sweep_case_is_named_and_fixed(case):
    if not case.runs_on(keras.backend.backend()):
        pytest.skip(f"{case.id} does not fail on {keras.backend.backend()}")
    score, printed = run_kernest(case)
    assert score["traceback_free"], printed
    assert score["named"] == (case.id not in NAME_WRONG), printed  # a known miss that is fixed must leave the list
    assert score["fix_right"] == (case.id not in FIX_WRONG), f"remedy {case.meta['remedy']}: {printed}"
