"""Prediction latency and throughput of the flagship: ``Predictor`` and the exported SavedModel vs ``model.predict``.

Single message (p50, p99 over ``--calls`` calls, after warm-up), each path from raw text to probabilities:

- ``predictor``: ``kernest.text.Predictor(run)([text])``, encoding and model in one ``tf.function``: the
  fast forward pass (``kernest.text._fast``: each distinct word of a call once through the char-CNN, the
  word BiLSTM stepped over all texts of a call together, longest first, no padded steps); many texts run
  as calls of 2,048 texts of similar word counts; plus the result dicts;
- ``predictor_keras``: ``Predictor(run, fast=False)``, the Predictor before session 22: the Keras model on
  each batch cut to its longest text, more than one batch sorted by length first (batches of 2,048);
- ``predictor_no_dedupe``: that Keras Predictor with ``over(..., dedupe=False)``: the char-CNN runs on every
  real word of a batch, not once per distinct word (the Predictor before ``dedupe``);
- ``predictor_padded``: the Predictor before issue 12: the same ``tf.function`` on ids padded to
  ``max_words``, batches in input order;
- ``savedmodel``: ``tf.saved_model.load(export(run))`` and its ``serving_default`` signature on a string tensor;
- ``model_predict`` (the baseline): ``model.predict(encoder.encode([text]).ids)``, the plain Keras way.

Batch throughput (texts/s) for 10,000 messages through the same paths (batches of 256; the Predictors pick
their own batches for many texts). ``model_predict_big_batch`` is the baseline given the Keras Predictor's
batch of 2,048 too, batch throughput only. The batch paths take turns, ``--repeats`` rounds (best of each);
the load average is recorded before and after.

The weights do not change the time, so by default the run is a fresh, untrained flagship model saved the
way ``kernest train`` saves it (``model.keras`` + ``preprocess.json``, ``None`` words and chars axes as
bucketing trains it); ``--run DIR`` uses a trained run. The model is the deep tower alone, as in every speed
benchmark, or with ``--wide-and-deep`` the default model of ``kernest train``: the deep tower beside the linear
wide tower (hashed word 1-2-grams and character n-grams, TF-IDF and naive-Bayes views); every path, the
baseline included, runs that same model. Goals: single-message p50 of the ``Predictor`` < 5 ms and p99 < 20 ms
on this CPU; 10,000 texts >= 3x ``model.predict``.

    python bench/predict_latency.py [--small] [--wide-and-deep] [--run DIR] [--repeats N] [--out FILE]
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import tempfile  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import _common  # noqa: E402
import _flagship  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import kernest.text as kt  # noqa: E402
from kernest.text import _predict  # noqa: E402

MESSAGE = "@united thanks for the quick rebooking, but my bag still hasn't arrived 3 days later!! #fail"
FULL = {"calls": 500, "batch_texts": 10_000, "batch_size": 256}
SMALL = {"calls": 20, "batch_texts": 300, "batch_size": 64}
DEEP_OUT, WIDE_OUT = "bench/results/predict_latency.json", "bench/results/predict_latency_wide_and_deep.json"


def make_run(small: bool, where: Path, wide_and_deep: bool = False) -> Path:
    """An untrained flagship run: the model and encoder saved as ``kernest train`` saves them (the deep tower,
    or with ``wide_and_deep`` the default model with its wide tower)."""
    flagship = _flagship.load(small, config={"wide": True} if wide_and_deep else None)
    run = where / "run"
    run.mkdir(parents=True)
    enc = flagship.encoder
    cut = flagship.config.bucket_by_length  # as kernest train builds it: None words and chars axes
    model = _flagship.build_model(None if cut else enc.max_words, None if cut else enc.max_chars, enc.vocab_size,
                                  flagship.n_classes, flagship.config)
    model.save(run / "model.keras")
    flagship.encoder.save(run / "preprocess.json")
    return run


def latencies(fn: Callable[[], Any], calls: int) -> dict[str, float]:
    times = _common.timed(fn, calls, warmup=5)
    return {"p50_ms": _common.percentile(times, 50) * 1e3, "p99_ms": _common.percentile(times, 99) * 1e3,
            "mean_ms": float(np.mean(times)) * 1e3, "n": calls}


def run(small: bool, run_dir: str | None, repeats: int = 5, wide_and_deep: bool = False) -> dict[str, Any]:
    size = SMALL if small else FULL
    load_before = os.getloadavg()
    tmp = Path(tempfile.mkdtemp(prefix="kernest_bench_"))
    run = Path(run_dir) if run_dir else make_run(small, tmp, wide_and_deep)
    predictor = kt.Predictor(run)
    keras_predictor = kt.Predictor(run, fast=False)
    no_dedupe = kt.Predictor(run, fast=False)
    _flagship.no_dedupe(no_dedupe.model)
    model, encoder = predictor.model, predictor.encoder
    exported = kt.export(run, tmp / "savedmodel")
    serve = tf.saved_model.load(str(exported)).signatures["serving_default"]

    texts = _flagship.load(small).splits.test.texts
    texts = (list(texts) * (size["batch_texts"] // max(1, len(texts)) + 1))[: size["batch_texts"]]
    bs = size["batch_size"]

    table = encoder.table

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def padded(batch: tf.Tensor) -> tf.Tensor:  # the Predictor's forward before issue 12: no cut, no sort
        return model(encoder.encode_tensor(batch, table)[0], training=False)

    paths: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {
        "predictor": (lambda: predictor([MESSAGE]), lambda: predictor(texts)),
        "predictor_keras": (lambda: keras_predictor([MESSAGE]), lambda: keras_predictor(texts)),
        "predictor_no_dedupe": (lambda: no_dedupe([MESSAGE]), lambda: no_dedupe(texts)),
        "predictor_padded": (lambda: padded(tf.constant([MESSAGE])).numpy(),
                             lambda: [padded(tf.constant(texts[i:i + bs])).numpy() for i in range(0, len(texts), bs)]),
        "savedmodel": (lambda: serve(texts=tf.constant([MESSAGE]))["probabilities"].numpy(),
                       lambda: [serve(texts=tf.constant(texts[i:i + bs]))["probabilities"].numpy()
                                for i in range(0, len(texts), bs)]),
        "model_predict": (lambda: model.predict(encoder.encode([MESSAGE]).ids, verbose=0),
                          lambda: model.predict(encoder.encode(texts).ids, batch_size=bs, verbose=0)),
    }
    single = {name: latencies(one, size["calls"]) for name, (one, _) in paths.items()}
    big = _predict._MANY_BATCH  # the Keras Predictor's own batch for many texts, given to model.predict too
    many_paths = {name: many for name, (_, many) in paths.items()}
    many_paths["model_predict_big_batch"] = lambda: model.predict(encoder.encode(texts).ids, batch_size=big,
                                                                  verbose=0)
    times: dict[str, list[float]] = {name: [] for name in many_paths}
    for many in many_paths.values():
        many()  # warm-up: traces for the batch shapes
    for _ in range(repeats):  # the paths take turns, so a change of load hits them alike
        for name, many in many_paths.items():
            times[name] += _common.timed(many, 1, warmup=0)
    batch: dict[str, Any] = {name: {"seconds": min(ts), "texts_per_s": len(texts) / min(ts),
                                    "median_s": float(np.median(ts))} for name, ts in times.items()}
    batch["model_predict_big_batch"]["batch_size"] = big
    ratios = {
        "p50_model_predict_predictor": _common.ratio(single["model_predict"]["p50_ms"], single["predictor"]["p50_ms"]),
        "p50_model_predict_savedmodel": _common.ratio(single["model_predict"]["p50_ms"],
                                                      single["savedmodel"]["p50_ms"]),
        "p99_model_predict_predictor": _common.ratio(single["model_predict"]["p99_ms"], single["predictor"]["p99_ms"]),
        "p50_predictor_padded_predictor": _common.ratio(single["predictor_padded"]["p50_ms"],
                                                        single["predictor"]["p50_ms"]),
        "batch_predictor_predictor_padded": _common.ratio(batch["predictor"]["texts_per_s"],
                                                          batch["predictor_padded"]["texts_per_s"]),
        "batch_predictor_predictor_keras": _common.ratio(batch["predictor"]["texts_per_s"],
                                                         batch["predictor_keras"]["texts_per_s"]),
        "batch_predictor_keras_predictor_no_dedupe": _common.ratio(batch["predictor_keras"]["texts_per_s"],
                                                                   batch["predictor_no_dedupe"]["texts_per_s"]),
        "batch_predictor_keras_model_predict": _common.ratio(batch["predictor_keras"]["texts_per_s"],
                                                             batch["model_predict"]["texts_per_s"]),
        "batch_predictor_model_predict": _common.ratio(batch["predictor"]["texts_per_s"],
                                                       batch["model_predict"]["texts_per_s"]),
        "batch_predictor_model_predict_big_batch": _common.ratio(batch["predictor"]["texts_per_s"],
                                                                 batch["model_predict_big_batch"]["texts_per_s"]),
        "batch_savedmodel_model_predict": _common.ratio(batch["savedmodel"]["texts_per_s"],
                                                        batch["model_predict"]["texts_per_s"]),
    }
    goals = {"p50_under_5_ms": single["predictor"]["p50_ms"] < 5.0,
             "p99_under_20_ms": single["predictor"]["p99_ms"] < 20.0,
             "batch_3x_model_predict": ratios["batch_predictor_model_predict"] >= 3.0}
    towers = [t for t in ("deep", "wide") if any(layer.name == t for layer in model.layers)]
    return {"benchmark": "predict_latency", "small": small, "sizes": size, "run": str(run_dir or "untrained"),
            "model": "+".join(towers),
            "repeats": repeats, "load_average": {"before": load_before, "after": os.getloadavg()},
            "message": MESSAGE, "baseline": "model_predict", "single": single, "batch": batch, "ratios": ratios,
            "goal": {"text": "Predictor single-message p50 < 5 ms and p99 < 20 ms; 10,000 texts >= 3x model.predict",
                     "per_goal": goals, "met": all(goals.values())}}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = _common.parser(__doc__, DEEP_OUT)
    p.add_argument("--run", help="a trained run directory (default: an untrained flagship model)")
    p.add_argument("--repeats", type=int, default=5, help="rounds of the batch paths (default 5)")
    p.add_argument("--wide-and-deep", action="store_true",
                   help="time kernest train's default model (deep and wide towers), not the deep tower alone; "
                        f"results go to {WIDE_OUT} unless --out says otherwise")
    args = p.parse_args(argv)
    if args.wide_and_deep and args.out == DEEP_OUT:
        args.out = WIDE_OUT
    res = run(args.small, args.run, args.repeats, args.wide_and_deep)
    rows = [(k, v["p50_ms"], v["p99_ms"], res["batch"][k]["texts_per_s"]) for k, v in res["single"].items()]
    print(_common.table(rows, ["path", "p50 ms", "p99 ms", f"batch texts/s ({res['sizes']['batch_texts']})"]))
    return _common.report(res, args.out)


if __name__ == "__main__":
    main()
