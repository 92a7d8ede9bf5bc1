"""Serving a run with the MiniLM sentence tower from an exported SavedModel (issue 11, ``kernest export``),
and what its in-graph WordPiece tokenizer (``kernest.text._wordpiece_tf``) costs against the Python one.

Two runs of ``kernest train``'s default model are trained for one epoch on ``--texts`` texts of the bundled
corpus (the weights do not change the time): one with ``wide_vectors: "minilm"`` (the gate off, so the tower
is kept), one with ``"none"``. Each is exported and loaded with ``tf.saved_model.load``; its
``serving_default`` is timed on one message (p50 / p99 over ``--calls`` calls after a warm-up) and on batches
of 256 test texts (median over ``--repeats`` batches). The tokenizer: ``WordPiece.encode`` (Python) and
``WordPieceTF`` (its ``tf.function``) on the same test texts (up to 4,096) in batches of 256, and on one message, best
of ``--repeats`` rounds each, per text. The load average is recorded before and after.

    python bench/export_wordpiece.py [--small] [--texts 400] [--calls 100] [--repeats 5] [--out FILE]
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import csv  # noqa: E402
import functools  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import _common  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import kernest.text as kt  # noqa: E402
from kernest.text import _minilm as minilm  # noqa: E402
from kernest.text._data import load_bundled, split  # noqa: E402
from kernest.text._wordpiece_tf import WordPieceTF, char_tables  # noqa: E402

MESSAGE = "@united thanks for the quick rebooking, but my bag still hasn't arrived 3 days later!! #fail"
OUT = "bench/results/export_wordpiece.json"


def _dir_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20, 1)


def serving(root: Path, name: str, data: Path, texts: list[str], calls: int, repeats: int) -> dict[str, Any]:
    config = {"wide_vectors": "minilm", "sentence_gate": 0} if name == "minilm" else {"wide_vectors": "none"}
    started = time.perf_counter()
    kt.train(data=data, out=root / name, epochs=1, config=config, verbose=0)
    trained = time.perf_counter() - started
    started = time.perf_counter()
    out = kt.export(root / name, root / f"{name}_saved")
    exported = time.perf_counter() - started
    serve = tf.saved_model.load(str(out)).signatures["serving_default"]

    def probabilities(batch: list[str]) -> np.ndarray:
        return serve(texts=tf.constant(batch))["probabilities"].numpy()

    one = _common.timed(lambda: probabilities([MESSAGE]), calls, warmup=5)
    batches = [texts[i:i + 256] for i in range(0, 256 * repeats, 256)]
    probabilities(batches[0])
    many = [_common.timed(functools.partial(probabilities, b), 1, warmup=0)[0] for b in batches]
    return {"train_s": round(trained, 1), "export_s": round(exported, 1), "savedmodel_mb": _dir_mb(out),
            "batch_1": {"p50_ms": _common.percentile(one, 50) * 1e3, "p99_ms": _common.percentile(one, 99) * 1e3},
            "batch_256": {"median_ms": float(np.median(many)) * 1e3, "min_ms": min(many) * 1e3,
                          "ms_per_text": float(np.median(many)) * 1e3 / 256}}


def tokenizers(texts: list[str], repeats: int) -> dict[str, Any]:
    tok = minilm.WordPiece.packaged(64)
    started = time.perf_counter()
    char_tables.cache_clear()
    graph = WordPieceTF(tok.vocab, tok.max_tokens)
    built = time.perf_counter() - started
    batches = [texts[i:i + 256] for i in range(0, len(texts), 256)]
    for b in batches[:2]:  # trace
        graph(tf.constant(b))
    runs = {
        "python": (lambda: [tok.encode(b) for b in batches], lambda: tok.encode([MESSAGE])),
        "tf": (lambda: [graph(tf.constant(b)).numpy() for b in batches],
               lambda: graph(tf.constant([MESSAGE])).numpy()),
    }
    out: dict[str, Any] = {"build_tables_s": round(built, 2), "texts": len(texts)}
    for name, (many, one) in runs.items():
        best = min(_common.timed(many, repeats, warmup=1))
        single = _common.timed(one, 50 * repeats, warmup=5)
        out[name] = {"us_per_text_batches_256": best / len(texts) * 1e6,
                     "one_message_p50_us": _common.percentile(single, 50) * 1e6}
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = _common.parser(__doc__, OUT)
    p.add_argument("--texts", type=int, default=400, help="training texts of each run (default 400)")
    p.add_argument("--calls", type=int, default=100, help="single-message calls (default 100)")
    p.add_argument("--repeats", type=int, default=5, help="batches of 256 / tokenizer rounds (default 5)")
    args = p.parse_args(argv)
    if args.small:
        args.texts, args.calls, args.repeats = 150, 10, 2
    load_before = os.getloadavg()
    splits = split(load_bundled(), seed=0)
    test = list(splits.test.texts)
    rng = np.random.default_rng(0)
    rows = [(splits.train.texts[i], splits.train.labels[i])
            for i in rng.choice(len(splits.train.texts), args.texts, replace=False)]
    root = Path(tempfile.mkdtemp(prefix="kernest_wordpiece_"))
    with (root / "data.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "label"])
        w.writerows(rows)
    result: dict[str, Any] = {"benchmark": "export_wordpiece", "small": args.small, "train_texts": args.texts}
    result["tokenizer"] = tokenizers(test[:4096], args.repeats)
    result["serving"] = {name: serving(root, name, root / "data.csv", test, args.calls, args.repeats)
                         for name in ("none", "minilm")}
    result["load_average"] = {"before": load_before, "after": os.getloadavg()}
    s, t = result["serving"], result["tokenizer"]
    result["ratios"] = {
        "batch_1_p50_minilm_over_none": _common.ratio(s["minilm"]["batch_1"]["p50_ms"], s["none"]["batch_1"]["p50_ms"]),
        "batch_256_minilm_over_none": _common.ratio(s["minilm"]["batch_256"]["median_ms"],
                                                    s["none"]["batch_256"]["median_ms"]),
        "tokenizer_python_over_tf": _common.ratio(t["python"]["us_per_text_batches_256"],
                                                  t["tf"]["us_per_text_batches_256"]),
    }
    print(_common.table([(n, v["batch_1"]["p50_ms"], v["batch_1"]["p99_ms"], v["batch_256"]["median_ms"],
                          v["savedmodel_mb"]) for n, v in s.items()],
                        ["wide_vectors", "batch 1 p50 ms", "batch 1 p99 ms", "batch 256 median ms", "SavedModel MB"]))
    print(_common.table([(n, t[n]["us_per_text_batches_256"], t[n]["one_message_p50_us"]) for n in ("python", "tf")],
                        ["tokenizer", "us/text (batches of 256)", "one message p50 us"]))
    return _common.report(result, args.out)


if __name__ == "__main__":
    main()
