"""Every kernest feature on every model of tests/models_16.py, on the current Keras backend: the fifth batch's
features and scoring (bench/real_world_5.py, including ``explain`` of each model's own deliberate interface
break) and the fourth batch's sweep and table (bench/real_world_4.py).

    KERAS_BACKEND=jax PYTHONPATH=$PWD python bench/real_world_16.py [--json OUT]
    python bench/real_world_16.py --table BEFORE_TF,BEFORE_JAX,BEFORE_TORCH AFTER_TF,AFTER_JAX,AFTER_TORCH
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import real_world_4  # noqa: E402
from real_world_5 import FEATURES, run_feature  # noqa: E402

from tests.models_16 import SPECS  # noqa: E402

if __name__ == "__main__":
    real_world_4.main(SPECS, run_feature, FEATURES)
