"""Training throughput (texts/s) of the flagship sentiment model, four ways, same texts, same process.

- ``kernest``: ``kernest.text``'s pipeline and model as ``kernest train`` runs them by default:
  ``TextEncoder.dataset`` (tf.strings encoding in tf.data, cached, shuffled, batched by length bucket, each
  batch cut to its longest text, prefetched) into ``build_model`` / ``compile_model`` (a ``None`` words axis;
  ``over("words", char_cnn)``, which runs the char-CNN on the real words only -> masked BiLSTM -> softmax),
  balanced class weights. Validation, checkpoints and TensorBoard, which ``train`` adds per epoch, are left
  out.
- ``kernest_fixed_batches``: the same without bucketing: every batch padded to ``max_words`` (``over`` still
  skips the padded words).
- ``kernest_no_dedupe``: ``kernest`` with ``over(..., dedupe=False)``: the char-CNN runs on every real word,
  not once per distinct word of the batch (the kernest of before ``dedupe``).
- ``keras`` (the hand-written baseline, without these levers): the same architecture written by hand in plain
  Keras, words folded into the batch with ``keras.ops.reshape`` and the padding mask passed to the BiLSTM by
  hand; fixed-length batches from the same tf.data pipeline. Goal: kernest / keras >= 1.5.
- ``naive`` (the seed article's way): Python preprocessing into one-hot character arrays
  ``(texts, words, chars, alphabet)`` float32, a char-CNN on one-hot input under ``TimeDistributed``,
  NumPy arrays into ``fit``; no tf.data. Goal: kernest / naive >= 3.
- ``torch``: the same architecture in PyTorch eager (packed BiLSTM), a ``DataLoader`` over the encoded ids,
  with PyTorch's default threads and (``torch_1_thread``) with one. Goal: kernest / faster torch >= 1.2.

Each variant trains ``--epochs`` epochs of the same ``--texts`` training texts per repeat; the variants take
turns (``--repeats``) so load from other processes hits all alike. The first epoch of each variant is warm-up
(tracing, the tf.data cache filling) and is left out; the figure is the median epoch time over the rest.
Preprocessing is timed on its own (texts/s of the graph encoder vs the Python one-hot loop).

``--levers`` adds variants of the kernest run that try a speed lever each (XLA, no tf.data cache, an
unrolled LSTM, and ``lever_all_words``: fixed batches with ``skip_padding=False``, the kernest of before
issue 12, whose ratio to ``keras`` is the zero-overhead check); ``--threads INTRA,INTER`` sets TensorFlow's thread pools for a whole run;
``--mixed-precision`` sets the ``mixed_float16`` policy (a GPU option). The device used is printed.

    python bench/train_throughput.py [--small] [--levers] [--out FILE]
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import statistics  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import _common  # noqa: E402
import numpy as np  # noqa: E402

L: Any = None  # keras.layers, set in main() once the thread settings are applied

NAIVE_ALPHABET = 70  # the article's fixed alphabet size: id 0 = padding, 1 = unknown, 68 characters


# --------------------------------------------------------------------------------------------- models


def keras_model(max_words: int | None, max_chars: int, vocab: int, n_classes: int, cfg: Any,
                unroll: bool = False, jit: bool = False) -> Any:
    """The flagship architecture in plain Keras, no kernest: fold words into the batch by hand."""
    import keras
    from keras import ops

    ids = keras.Input((max_words, max_chars), dtype="int32", name="chars")                # (B, W, C)
    flat = ops.reshape(ids, (-1, max_chars))                                               # (B*W, C)
    x = _char_cnn_layers(L.Embedding(vocab, cfg.char_dim, name="char_embed")(flat), cfg)  # (B*W, F)
    x = ops.reshape(x, (-1, ops.shape(ids)[1], x.shape[-1]))                               # (B, W, F)
    mask = ops.any(ops.not_equal(ids, 0), axis=-1)                                         # (B, W)
    return _word_level(ids, x, mask, n_classes, cfg, unroll, jit)


def naive_model(max_words: int, max_chars: int, n_classes: int, cfg: Any) -> Any:
    """The article's way: a char-CNN on one-hot ``(chars, alphabet)`` floats under TimeDistributed."""
    import keras
    from keras import ops

    word = keras.Input((max_chars, NAIVE_ALPHABET), name="one_hot_word")                   # (B, C, A)
    e = L.Dense(cfg.char_dim, use_bias=False, name="char_embed")(word)                     # (B, C, D)
    char_cnn = keras.Model(word, _char_cnn_layers(e, cfg), name="char_cnn")
    x_in = keras.Input((max_words, max_chars, NAIVE_ALPHABET), name="one_hot")             # (B, W, C, A)
    x = L.TimeDistributed(char_cnn, name="per_word")(x_in)                                 # (B, W, F)
    mask = ops.any(ops.not_equal(x_in, 0.0), axis=(-2, -1))                                # (B, W)
    return _word_level(x_in, x, mask, n_classes, cfg)


def _char_cnn_layers(e: Any, cfg: Any) -> Any:
    """Conv1D per width -> global max-pool -> concat -> highway: (N, C, D) -> (N, F)."""
    import keras

    pooled = [L.GlobalMaxPooling1D(name=f"pool_w{w}")(
        L.Conv1D(cfg.filters, w, padding="same", activation="relu", name=f"conv_w{w}")(e)) for w in cfg.widths]
    x = pooled[0] if len(pooled) == 1 else L.Concatenate(name="concat")(pooled)
    if cfg.highway:
        size = x.shape[-1]
        t = L.Dense(size, activation="sigmoid", bias_initializer=keras.initializers.Constant(-1.0),
                    name="highway_gate")(x)
        h = L.Dense(size, activation="relu", name="highway_transform")(x)
        x = x + t * (h - x)
    return x


def _word_level(inputs: Any, x: Any, mask: Any, n_classes: int, cfg: Any, unroll: bool = False,
                jit: bool = False) -> Any:
    import keras

    x = L.Dropout(cfg.dropout, name="word_dropout")(x)
    x = L.Bidirectional(L.LSTM(cfg.word_units, unroll=unroll), name="word_bilstm")(x, mask=mask)  # (B, 2U)
    x = L.Dropout(cfg.dropout, name="dropout")(x)
    probs = L.Dense(n_classes, activation="softmax", name="head")(x)
    model = keras.Model(inputs, probs, name="handwritten")
    model.compile(optimizer=keras.optimizers.Adam(cfg.learning_rate, clipnorm=1.0),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"], jit_compile=jit or "auto")
    return model


def torch_model(vocab: int, n_classes: int, cfg: Any) -> Any:
    """The flagship architecture in PyTorch."""
    import torch
    from torch import nn

    class Flagship(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            size = cfg.filters * len(cfg.widths)
            self.embed = nn.Embedding(vocab, cfg.char_dim, padding_idx=0)
            self.convs = nn.ModuleList([nn.Conv1d(cfg.char_dim, cfg.filters, w, padding="same")
                                        for w in cfg.widths])
            self.gate, self.transform = nn.Linear(size, size), nn.Linear(size, size)
            nn.init.constant_(self.gate.bias, -1.0)
            self.drop = nn.Dropout(cfg.dropout)
            self.lstm = nn.LSTM(size, cfg.word_units, batch_first=True, bidirectional=True)
            self.head = nn.Linear(2 * cfg.word_units, n_classes)

        def forward(self, ids: torch.Tensor) -> torch.Tensor:                 # (B, W, C) -> (B, classes)
            b, w, c = ids.shape
            e = self.embed(ids.reshape(b * w, c)).transpose(1, 2)              # (B*W, D, C)
            x = torch.cat([torch.relu(conv(e)).amax(dim=2) for conv in self.convs], dim=1)  # (B*W, F)
            if cfg.highway:
                t = torch.sigmoid(self.gate(x))
                x = x + t * (torch.relu(self.transform(x)) - x)
            x = self.drop(x.reshape(b, w, -1))                                 # (B, W, F)
            lengths = (ids != 0).any(dim=-1).sum(dim=1).clamp(min=1).cpu()    # words before the padding
            packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            _, (h, _) = self.lstm(packed)                                      # h: (2, B, U)
            return self.head(self.drop(torch.cat([h[0], h[1]], dim=1)))       # logits

    return Flagship()


# ------------------------------------------------------------------------------------------- pipelines


def naive_one_hot(texts: list[str], max_words: int, max_chars: int, alphabet: str) -> np.ndarray:
    """The article's preprocessing in Python: lower-case, split on spaces, one-hot every character."""
    index = {ch: i + 2 for i, ch in enumerate(alphabet[: NAIVE_ALPHABET - 2])}
    out = np.zeros((len(texts), max_words, max_chars, NAIVE_ALPHABET), dtype=np.float32)  # (N, W, C, A)
    for i, text in enumerate(texts):
        for j, word in enumerate(text.lower().split()[:max_words]):
            for k, ch in enumerate(word[:max_chars]):
                out[i, j, k, index.get(ch, 1)] = 1.0
    return out


def uncached(encoder: Any, texts: list[str], labels: np.ndarray, batch_size: int, seed: int) -> Any:
    """The kernest pipeline without ``cache()``: texts are encoded again every epoch."""
    import tensorflow as tf

    table = encoder.table
    ds = tf.data.Dataset.from_tensor_slices((tf.constant(texts), labels))
    ds = ds.shuffle(len(texts), seed=seed, reshuffle_each_iteration=True).batch(batch_size)
    return ds.map(lambda t, y: (encoder.encode_tensor(t, table)[0], y),
                  num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


# ------------------------------------------------------------------------------------------- training


class EpochTimer:
    """Records the seconds of every epoch (a Keras callback, or called by hand for PyTorch)."""

    def __init__(self) -> None:
        import keras

        class _Callback(keras.callbacks.Callback):
            def on_epoch_begin(cb, epoch: int, logs: Any = None) -> None:  # noqa: N805
                self.start = time.perf_counter()

            def on_epoch_end(cb, epoch: int, logs: Any = None) -> None:  # noqa: N805
                self.seconds.append(time.perf_counter() - self.start)

        self.seconds: list[float] = []
        self.start = 0.0
        self.callback = _Callback()


def keras_runner(model: Any, data: Any, y: np.ndarray | None, batch_size: int, class_weight: dict[int, float],
                 timer: EpochTimer) -> Callable[[int], None]:
    def run(epochs: int) -> None:
        model.fit(data, y, batch_size=None if y is None else batch_size, epochs=epochs, shuffle=y is not None,
                  class_weight=class_weight, callbacks=[timer.callback], verbose=0)
    return run


def torch_runner(model: Any, ids: np.ndarray, y: np.ndarray, batch_size: int, class_weight: dict[int, float],
                 cfg: Any, timer: EpochTimer, device: str, mixed: bool, threads: int) -> Callable[[int], None]:
    import torch

    model.to(device)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(ids).long(), torch.from_numpy(y).long()),
        batch_size=batch_size, shuffle=True)
    weights = torch.tensor([class_weight[i] for i in range(len(class_weight))], dtype=torch.float32, device=device)
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.learning_rate)

    def run(epochs: int) -> None:
        torch.set_num_threads(threads)
        model.train()
        for _ in range(epochs):
            timer.start = time.perf_counter()
            for xb, yb in loader:
                xb, yb = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
                opt.zero_grad(set_to_none=True)
                with torch.autocast(device_type=device.split(":")[0], enabled=mixed):
                    loss = loss_fn(model(xb), yb)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
            if device.startswith("cuda"):
                torch.cuda.synchronize()
            timer.seconds.append(time.perf_counter() - timer.start)
    return run


# ------------------------------------------------------------------------------------------------ run


FULL = {"texts": 2048, "batch_size": 64, "epochs": 2, "repeats": 2}
SMALL = {"texts": 128, "batch_size": 32, "epochs": 1, "repeats": 1}


def run(args: Any) -> dict[str, Any]:
    import _flagship
    import keras
    import tensorflow as tf

    size = dict(SMALL if args.small else FULL)
    for key in ("texts", "epochs", "repeats", "batch_size"):
        if getattr(args, key) is not None:
            size[key] = getattr(args, key)
    gpus = tf.config.list_physical_devices("GPU")
    device = f"GPU ({gpus[0].name})" if gpus else "CPU"
    print(f"device: {device}; TensorFlow threads intra={tf.config.threading.get_intra_op_parallelism_threads()} "
          f"inter={tf.config.threading.get_inter_op_parallelism_threads()} (0 = all cores)", flush=True)

    flagship = _flagship.load(args.small)
    enc, cfg = flagship.encoder, flagship.config
    texts, labels = _flagship.subset(flagship.splits.train.texts, flagship.splits.train.labels, size["texts"])
    y = flagship.labels(labels)
    cw = _flagship.balanced_class_weight(y, flagship.n_classes)
    bs, n = size["batch_size"], len(texts)
    W, C, V, K = enc.max_words, enc.max_chars, enc.vocab_size, flagship.n_classes

    # Preprocessing, each pipeline's own, timed once on the same texts (the encoder traced first).
    enc.encode(texts[:8])
    t0 = time.perf_counter()
    ids = enc.encode(texts).ids                                                    # (N, W, C) int32
    encode_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    one_hot = naive_one_hot(texts, W, C, "".join(enc.alphabet))                    # (N, W, C, A) float32
    one_hot_s = time.perf_counter() - t0
    preprocess = {"kernest_encode_texts_per_s": n / encode_s, "naive_one_hot_texts_per_s": n / one_hot_s,
                  "kernest_ids_mb": ids.nbytes / 2**20, "naive_one_hot_mb": one_hot.nbytes / 2**20}

    keras.utils.set_random_seed(0)
    timers: dict[str, EpochTimer] = {}
    runners: dict[str, Callable[[int], None]] = {}

    def add(name: str, make: Callable[[EpochTimer], Callable[[int], None]]) -> None:
        timers[name] = EpochTimer()
        runners[name] = make(timers[name])

    train_ds = enc.dataset(texts, labels, bs, shuffle=True, seed=0)
    bucketed_ds = enc.dataset(texts, labels, bs, shuffle=True, seed=0, bucket=True)
    add("kernest", lambda t: keras_runner(
        _flagship.compile_model(_flagship.build_model(None, C, V, K, cfg), cfg), bucketed_ds, None, bs, cw, t))
    add("kernest_fixed_batches", lambda t: keras_runner(flagship.model(), train_ds, None, bs, cw, t))

    add("kernest_no_dedupe", lambda t: keras_runner(_flagship.compile_model(
        _flagship.no_dedupe(_flagship.build_model(None, C, V, K, cfg)), cfg), bucketed_ds, None, bs, cw, t))
    add("keras", lambda t: keras_runner(keras_model(W, C, V, K, cfg), train_ds, None, bs, cw, t))
    add("naive", lambda t: keras_runner(naive_model(W, C, K, cfg), one_hot, y, bs, cw, t))
    if not args.no_torch:
        import torch

        torch.manual_seed(0)
        tdev = "cuda" if torch.cuda.is_available() else "cpu"
        default_threads = torch.get_num_threads()
        print(f"torch device: {tdev}, default threads {default_threads}", flush=True)
        # Two thread settings: PyTorch's default (one per core), and one thread, which is far faster when
        # other processes compete for the cores (OpenMP workers wait on each other at every op).
        add("torch", lambda t: torch_runner(torch_model(V, K, cfg), ids, y, bs, cw, cfg, t, tdev,
                                            args.mixed_precision, default_threads))
        if default_threads > 1:
            add("torch_1_thread", lambda t: torch_runner(torch_model(V, K, cfg), ids, y, bs, cw, cfg, t, tdev,
                                                         args.mixed_precision, 1))
    if args.levers:
        def jit_model() -> Any:
            m = flagship.model()
            m.jit_compile = True
            return m

        add("lever_xla", lambda t: keras_runner(jit_model(), train_ds, None, bs, cw, t))
        add("lever_no_cache", lambda t: keras_runner(flagship.model(), uncached(enc, texts, y, bs, 0), None,
                                                     bs, cw, t))
        def all_words_model() -> Any:
            m = flagship.model(compiled=False)
            m.get_layer("per_word").skip_padding = False  # read when the step is traced
            return _flagship.compile_model(m, cfg)

        add("lever_all_words", lambda t: keras_runner(all_words_model(), train_ds, None, bs, cw, t))
        add("lever_lstm_unroll", lambda t: keras_runner(keras_model(W, C, V, K, cfg, unroll=True), train_ds,
                                                        None, bs, cw, t))

    for rep in range(size["repeats"]):
        for name, go in runners.items():
            go(size["epochs"] + (1 if rep == 0 else 0))       # one more epoch the first time: warm-up
            print(f"  repeat {rep}: {name} epochs {[round(s, 2) for s in timers[name].seconds]}", flush=True)

    results: dict[str, Any] = {}
    for name, timer in timers.items():
        epochs = timer.seconds[1:]                           # the first epoch is warm-up
        med = statistics.median(epochs)
        results[name] = {"texts_per_s": n / med, "epoch": _common.stats(epochs),
                         "first_epoch_s": timer.seconds[0], "epochs_s": timer.seconds}
    tput = {k: v["texts_per_s"] for k, v in results.items()}
    ratios = {f"kernest_over_{k}": _common.ratio(tput["kernest"], v) for k, v in tput.items() if k != "kernest"}
    if "torch_1_thread" in tput:  # the goal is against the faster PyTorch setting
        ratios["kernest_over_torch_best"] = _common.ratio(tput["kernest"], max(tput["torch"], tput["torch_1_thread"]))
    elif "torch" in tput:
        ratios["kernest_over_torch_best"] = ratios["kernest_over_torch"]
    goals = {"kernest_over_keras": 1.5, "kernest_over_naive": 3.0, "kernest_over_torch_best": 1.2}
    return {"benchmark": "train_throughput", "small": args.small, "sizes": size, "device": device,
            "mixed_precision": args.mixed_precision, "threads": args.threads,
            "shapes": {"max_words": W, "max_chars": C, "vocab": V, "classes": K, "naive_alphabet": NAIVE_ALPHABET},
            "config": cfg.to_json(), "preprocess": preprocess, "results": results, "ratios": ratios,
            "goal": {"text": "kernest >= 1.5x hand-written Keras, >= 3x naive, >= 1.2x the faster torch",
                     "per_goal": {k: ratios.get(k, 0) >= v for k, v in goals.items() if k in ratios},
                     "met": all(ratios.get(k, 0) >= v for k, v in goals.items() if k in ratios)}}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = _common.parser(__doc__, "bench/results/train_throughput.json")
    p.add_argument("--texts", type=int, help="training texts per epoch")
    p.add_argument("--epochs", type=int, help="timed epochs per variant and repeat")
    p.add_argument("--repeats", type=int, help="rounds in which the variants take turns")
    p.add_argument("--batch-size", type=int, dest="batch_size", help="batch size (default 64)")
    p.add_argument("--levers", action="store_true", help="also time the speed levers (see the docstring)")
    p.add_argument("--threads", help="INTRA,INTER: TensorFlow thread pools (default: TensorFlow's choice)")
    p.add_argument("--mixed-precision", action="store_true", help="mixed_float16 policy (for GPUs)")
    p.add_argument("--no-torch", action="store_true", help="skip the PyTorch variant")
    args = p.parse_args(argv)

    global L
    import tensorflow as tf

    if args.threads:
        intra, inter = (int(v) for v in args.threads.split(","))
        tf.config.threading.set_intra_op_parallelism_threads(intra)
        tf.config.threading.set_inter_op_parallelism_threads(inter)
    import keras

    if args.mixed_precision:
        keras.mixed_precision.set_global_policy("mixed_float16")
    L = keras.layers

    # Keras warns that a dataset of unknown length "ran out of data" at each epoch's end (the bucketed
    # pipeline now states its batch count, but keep the filter for hand-made variants).
    warnings.filterwarnings("ignore", message=".*ran out of data.*")
    warnings.filterwarnings("ignore", message=".*padding='same' with even kernel.*")
    res = run(args)
    rows = [(k, v["texts_per_s"], v["epoch"]["median_s"], v["epoch"]["spread"], v["first_epoch_s"])
            for k, v in res["results"].items()]
    print(_common.table(rows, ["variant", "texts/s", "epoch s (median)", "spread", "first epoch s"]))
    print("preprocessing:", {k: round(v, 1) for k, v in res["preprocess"].items()})
    return _common.report(res, args.out)


if __name__ == "__main__":
    main()
