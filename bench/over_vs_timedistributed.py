"""``kernest.over("words", char_cnn)`` vs ``keras.layers.TimeDistributed(char_cnn)``: forward and training step.

Both wrap the flagship's char-CNN (Embedding -> Conv1D widths 2/3/4 -> global max-pool -> concat) over the
words axis of ``(batch, words, chars)`` int32 ids, followed by the same light head (mean over words ->
softmax), so the time measured is the wrapper's. The words axis has a fixed length: there TimeDistributed
unrolls a Python loop, one inner call per word, while ``over`` folds words into the batch and calls the
inner model once, on the real words only (``skip_padding``, its default on TensorFlow). Half the words of
every text are padding. Same process, same data, same weights' shapes; the baseline is TimeDistributed.
``over_all_words`` is ``over`` with ``skip_padding=False`` (the char-CNN also runs on padded words), to show
what skipping buys.

Figures: median seconds per ``predict_on_batch`` (forward) and per ``train_on_batch`` (training step),
after warm-up; first-call (trace) time; and the ratios TimeDistributed / over and over_all_words / over
(> 1: over is faster).

    python bench/over_vs_timedistributed.py [--small] [--out FILE]
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import time  # noqa: E402
from typing import Any  # noqa: E402

import _common  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

import kernest  # noqa: E402

L = keras.layers
FULL = {"batches": (1, 64), "words": 40, "chars": 16, "vocab": 100, "char_dim": 32, "filters": 64, "repeats": 40}
SMALL = {"batches": (4,), "words": 8, "chars": 8, "vocab": 30, "char_dim": 8, "filters": 8, "repeats": 3}
WIDTHS = (2, 3, 4)
CLASSES = 3


def char_cnn(chars: int, vocab: int, char_dim: int, filters: int) -> keras.Model:
    """The flagship's per-word model: ``(chars,)`` ids -> ``(filters * 3,)`` features."""
    ids = keras.Input((chars,), dtype="int32", name="word_chars")          # (B, chars)
    e = L.Embedding(vocab, char_dim, name="char_embed")(ids)                # (B, chars, D)
    pooled = [L.GlobalMaxPooling1D(name=f"pool_w{w}")(
        L.Conv1D(filters, w, padding="same", activation="relu", name=f"conv_w{w}")(e)) for w in WIDTHS]
    return keras.Model(ids, L.Concatenate(name="concat")(pooled), name="char_cnn")  # (B, 3F)


def model(kind: str, words: int | None, size: dict[str, int]) -> keras.Model:
    """``kind`` is ``over``, ``over_all_words`` or ``timedistributed``; all get the same char-CNN and head."""
    cnn = char_cnn(size["chars"], size["vocab"], size["char_dim"], size["filters"])
    x = kernest.Input((words, size["chars"]), axes=("words", "chars"), dtype="int32", name="chars")
    if kind.startswith("over"):
        skip = None if kind == "over" else False
        h = kernest.over("words", cnn, name="per_word", skip_padding=skip)(x)  # (B, words, 3F) + mask
    else:
        h = L.TimeDistributed(cnn, name="per_word")(x)                      # (B, words, 3F)
    h = L.GlobalAveragePooling1D(name="mean_words")(h)                      # (B, 3F)
    y = L.Dense(CLASSES, activation="softmax", name="head")(h)
    m = keras.Model(x, y, name=f"cnn_{kind}")
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return m


def measure(models: dict[str, keras.Model], x: np.ndarray, y: np.ndarray, repeats: int) -> dict[str, Any]:
    """First-call (trace) time, then steady-state forward and training-step times of every model.

    The models take turns within each repeat, so load from other processes hits them alike.
    """
    out: dict[str, Any] = {name: {} for name in models}
    for name, m in models.items():
        t0 = time.perf_counter()
        m.predict_on_batch(x)
        out[name]["forward_first_call_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        m.train_on_batch(x, y)
        out[name]["train_first_call_s"] = time.perf_counter() - t0
        for _ in range(2):  # warm-up
            m.predict_on_batch(x)
            m.train_on_batch(x, y)
    times: dict[str, dict[str, list[float]]] = {name: {"forward": [], "train_step": []} for name in models}
    for _ in range(repeats):
        for name, m in models.items():
            times[name]["forward"] += _common.timed(lambda m=m: m.predict_on_batch(x), 1, warmup=0)
            times[name]["train_step"] += _common.timed(lambda m=m: m.train_on_batch(x, y), 1, warmup=0)
    for name in models:
        out[name].update({k: _common.stats(v) for k, v in times[name].items()})
    return out


VARIANTS = {
    "over": ("over", True),
    "over_all_words": ("over_all_words", True),
    "timedistributed": ("timedistributed", True),
    # Not the goal's baseline: with a variable words axis TimeDistributed uses vectorized_map instead.
    "timedistributed_variable_words": ("timedistributed", False),
}


def run(small: bool) -> dict[str, Any]:
    size = SMALL if small else FULL
    rng = np.random.default_rng(0)
    w, c = size["words"], size["chars"]
    keras.utils.set_random_seed(0)
    models = {name: model(kind, w if fixed else None, size) for name, (kind, fixed) in VARIANTS.items()}
    results: dict[str, Any] = {}
    ratios: dict[str, float] = {}
    for b in size["batches"]:
        x = rng.integers(1, size["vocab"], size=(b, w, c)).astype("int32")  # (B, words, chars)
        x[:, w // 2:, :] = 0                                                  # half the words are padding
        y = rng.integers(0, CLASSES, size=(b,)).astype("int32")
        res = measure(models, x, y, size["repeats"])
        results[f"batch_{b}"] = res
        for key in ("forward", "train_step"):
            for variant in ("timedistributed", "timedistributed_variable_words", "over_all_words"):
                ratios[f"{key}_{variant}_over_batch_{b}"] = _common.ratio(
                    res[variant][key]["median_s"], res["over"][key]["median_s"])
        ratios[f"trace_train_timedistributed_over_batch_{b}"] = _common.ratio(
            res["timedistributed"]["train_first_call_s"], res["over"]["train_first_call_s"])
    main_b = size["batches"][-1]
    met = ratios[f"train_step_timedistributed_over_batch_{main_b}"] >= 2.0  # the goal of issue 12: batch 64
    return {"benchmark": "over_vs_timedistributed", "small": small, "sizes": size, "baseline": "timedistributed",
            "results": results, "ratios": ratios,
            "headline": {"forward": ratios[f"forward_timedistributed_over_batch_{main_b}"],
                         "train_step": ratios[f"train_step_timedistributed_over_batch_{main_b}"],
                         "batch": main_b},
            "goal": {"text": f"over >= 2x faster than fixed-length TimeDistributed, train step at batch {main_b}, "
                             "half the words padded",
                     "met": met}}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _common.parser(__doc__, "bench/results/over_vs_timedistributed.json").parse_args(argv)
    res = run(args.small)
    rows = [(batch, name, v["forward"]["median_s"] * 1e3, v["train_step"]["median_s"] * 1e3,
             v["forward_first_call_s"], v["train_first_call_s"])
            for batch, per in res["results"].items() for name, v in per.items()]
    print(_common.table(rows, ["batch", "variant", "forward ms", "train step ms", "first forward s",
                               "first train s"]))
    return _common.report(res, args.out)


if __name__ == "__main__":
    main()
