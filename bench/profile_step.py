"""The top TensorFlow ops of one flagship training step, before and after ``over`` skips padding (tf.profiler).

The same 64 training texts (one batch, ``max_words`` x ``max_chars`` ids) go through three variants of the
flagship model (``kernest.text.build_model``, compiled as ``kernest train`` compiles it):

- ``all_words`` (before): ``over("words", char_cnn)`` with ``skip_padding=False``, batch padded to ``max_words``;
- ``skip_padding``: the same model with ``over``'s default, the char-CNN runs on the real words only;
- ``skip_and_cut``: also a ``None`` words axis, and the batch cut to its longest text, as ``kernest train``'s
  bucketing does.

Each variant runs warm-up steps, then ``--steps`` ``train_on_batch`` calls under ``tf.profiler``; the trace is
read with TensorFlow's own converter (``framework_op_stats``), and ops are summed by type. Figures: self time
per step of each op type (ms and share) and the total; the ratio all_words / each variant of the total. The
profiler's own overhead inflates every variant alike; read the shares and ratios, not the absolute times.

    python bench/profile_step.py [--small] [--steps N] [--out FILE]
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import collections  # noqa: E402
import glob  # noqa: E402
import json  # noqa: E402
import tempfile  # noqa: E402
from typing import Any  # noqa: E402

import _common  # noqa: E402
import _flagship  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.python.profiler.internal import _pywrap_profiler_plugin  # the converter TensorBoard uses  # noqa: E402

from kernest.text._predict import trim_padding  # noqa: E402

TOP = 12


def op_self_times(logdir: str) -> dict[str, float]:
    """Self time in microseconds per op type, summed over the trace in ``logdir``."""
    files = glob.glob(os.path.join(logdir, "**", "*.xplane.pb"), recursive=True)
    data, ok = _pywrap_profiler_plugin.xspace_to_tools_data(files, "framework_op_stats", {})
    if not ok:
        raise RuntimeError(f"tf.profiler could not convert the trace: {data[:200]!r}")
    table = json.loads(data)[0]
    cols = [c["id"] for c in table["cols"]]
    totals: dict[str, float] = collections.defaultdict(float)
    for row in table["rows"]:
        cell = dict(zip(cols, (c.get("v") for c in row["c"])))
        if cell["type"] != "IDLE":
            totals[str(cell["type"])] += float(cell["total_self_time"])
    return dict(totals)


def profile(model: Any, x: np.ndarray, y: np.ndarray, steps: int) -> dict[str, Any]:
    """Warm up, then profile ``steps`` training steps; top op types by self time per step."""
    for _ in range(3):
        model.train_on_batch(x, y)
    logdir = tempfile.mkdtemp(prefix="kernest_profile_")
    tf.profiler.experimental.start(logdir)
    for _ in range(steps):
        model.train_on_batch(x, y)
    tf.profiler.experimental.stop()
    per_op = {k: v / steps / 1e3 for k, v in op_self_times(logdir).items()}  # ms per step
    total = sum(per_op.values())
    top = sorted(per_op.items(), key=lambda kv: -kv[1])[:TOP]
    return {"input_shape": list(x.shape), "total_self_ms_per_step": total,
            "top_ops": [{"type": k, "self_ms_per_step": v, "share": v / total} for k, v in top]}


def run(small: bool, steps: int) -> dict[str, Any]:
    flagship = _flagship.load(small)
    enc, cfg = flagship.encoder, flagship.config
    texts, labels = _flagship.subset(flagship.splits.train.texts, flagship.splits.train.labels, 64)
    x = enc.encode(texts).ids                                               # (64, W, C)
    y = flagship.labels(labels)
    cut = trim_padding(tf.constant(x), words=True).numpy()                  # (64, w <= W, C)
    W, C, V, K = enc.max_words, enc.max_chars, enc.vocab_size, flagship.n_classes

    def model(words: int | None, skip: bool) -> Any:
        m = _flagship.build_model(words, C, V, K, cfg)
        if not skip:
            m.get_layer("per_word").skip_padding = False  # read at trace time: the model before issue 12
        return _flagship.compile_model(m, cfg)

    variants = {"all_words": (model(W, False), x), "skip_padding": (model(W, True), x),
                "skip_and_cut": (model(None, True), cut)}
    results = {name: profile(m, data, y, steps) for name, (m, data) in variants.items()}
    base = results["all_words"]["total_self_ms_per_step"]
    ratios = {f"all_words_over_{k}": _common.ratio(base, v["total_self_ms_per_step"])
              for k, v in results.items() if k != "all_words"}
    real_words = float(np.any(x != 0, axis=-1).mean())
    return {"benchmark": "profile_step", "small": small, "steps": steps, "real_word_share": real_words,
            "results": results, "ratios": ratios,
            "goal": {"text": "skipping padding removes char-CNN work (profile; no timing goal)",
                     "met": ratios["all_words_over_skip_padding"] > 1.0}}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = _common.parser(__doc__, "bench/results/profile_step.json")
    p.add_argument("--steps", type=int, default=10, help="profiled training steps per variant")
    args = p.parse_args(argv)
    res = run(args.small, 2 if args.small else args.steps)
    for name, r in res["results"].items():
        print(f"\n{name}: input {tuple(r['input_shape'])}, {r['total_self_ms_per_step']:.1f} ms self time per step")
        print(_common.table([(o["type"], o["self_ms_per_step"], f"{100 * o['share']:.1f} %") for o in r["top_ops"]],
                            ["op type", "ms per step", "share"]))
    return _common.report(res, args.out)


if __name__ == "__main__":
    main()
