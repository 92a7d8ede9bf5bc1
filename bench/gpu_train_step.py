"""Training-step throughput of the flagship architecture on whatever device the backend finds.

Compared, on the same pre-encoded batches (int32 character ids, (batch, words, chars)):

- ``kernest``: the char-CNN applied with ``kernest.over("words", ...)`` (fold words into the batch),
  then a masked BiLSTM and a softmax head;
- ``keras_reshape``: the same architecture written by hand in plain Keras (Reshape, run, Reshape back):
  the zero-overhead bar, ratio >= 1.0 within noise;
- ``keras_timedistributed``: the same with ``keras.layers.TimeDistributed``, as most users write it;
- ``torch_eager``: the same architecture in PyTorch eager (only if torch is importable).

This script needs no TensorFlow, so it runs on a GPU machine with the JAX backend, where the text
pipeline (tf.data, tf.strings) is not available. Figures are samples/s, median of timed steps after
warm-up, and ratios against ``keras_reshape``.

    KERAS_BACKEND=jax python bench/gpu_train_step.py --out gpu.json
    python bench/gpu_train_step.py --small            # a smoke run on the CPU
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import _common  # noqa: E402  (bench/ is on sys.path when a script in it runs)
import keras  # noqa: E402
import numpy as np  # noqa: E402

import kernest  # noqa: E402

L = keras.layers


def char_cnn(chars: int, alphabet: int, embed: int, filters: int, widths: tuple[int, ...]) -> keras.Model:
    ids = keras.Input((chars,), dtype="int32", name="char_ids")
    x = L.Embedding(alphabet, embed, name="char_embed")(ids)
    pooled = [L.GlobalMaxPooling1D()(L.Conv1D(filters, w, padding="same", activation="relu")(x)) for w in widths]
    return keras.Model(ids, L.Concatenate()(pooled), name="char_cnn")


def head(x: Any, units: int, classes: int) -> Any:
    x = L.Bidirectional(L.LSTM(units), name="word_bilstm")(x)
    return L.Dense(classes, activation="softmax", name="head")(x)


def build(kind: str, cfg: dict[str, Any]) -> keras.Model:
    words, chars = cfg["words"], cfg["chars"]
    cnn = char_cnn(chars, cfg["alphabet"], cfg["embed"], cfg["filters"], cfg["widths"])
    if kind == "kernest":
        x = kernest.Input((words, chars), axes=("words", "chars"), dtype="int32")
        h = kernest.over("words", cnn, name="per_word")(x)
    elif kind == "keras_timedistributed":
        x = keras.Input((words, chars), dtype="int32")
        h = L.TimeDistributed(cnn)(x)
    else:  # keras_reshape: fold by hand, no mask
        x = keras.Input((words, chars), dtype="int32")
        folded = keras.ops.reshape(x, (-1, chars))  # (B*words, chars)
        h = keras.ops.reshape(cnn(folded), (-1, words, cnn.output_shape[-1]))
    model = keras.Model(x, head(h, cfg["units"], cfg["classes"]))
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", jit_compile="auto")
    return model


def time_keras(model: keras.Model, data: np.ndarray, labels: np.ndarray, steps: int, warmup: int) -> float:
    def step() -> None:
        float(np.asarray(model.train_on_batch(data, labels)))  # the conversion waits for the device

    return data.shape[0] / statistics.median(_common.timed(step, steps, warmup))


def time_torch(cfg: dict[str, Any], data: np.ndarray, labels: np.ndarray, steps: int, warmup: int) -> float | None:
    try:
        import torch
        from torch import nn
    except ImportError:
        return None
    device = "cuda" if torch.cuda.is_available() else "cpu"

    class CharCNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(cfg["alphabet"], cfg["embed"])
            self.convs = nn.ModuleList(nn.Conv1d(cfg["embed"], cfg["filters"], w, padding="same") for w in cfg["widths"])

        def forward(self, ids: torch.Tensor) -> torch.Tensor:  # (N, chars) -> (N, filters * widths)
            x = self.embed(ids).transpose(1, 2)
            return torch.cat([torch.relu(c(x)).amax(dim=2) for c in self.convs], dim=1)

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.cnn = CharCNN()
            self.lstm = nn.LSTM(cfg["filters"] * len(cfg["widths"]), cfg["units"], batch_first=True, bidirectional=True)
            self.out = nn.Linear(2 * cfg["units"], cfg["classes"])

        def forward(self, ids: torch.Tensor) -> torch.Tensor:  # (B, words, chars)
            b, w, c = ids.shape
            h = self.cnn(ids.reshape(b * w, c)).reshape(b, w, -1)
            _, (state, _) = self.lstm(h)
            return self.out(torch.cat([state[0], state[1]], dim=1))

    net = Net().to(device)
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    x = torch.as_tensor(data, dtype=torch.long, device=device)
    y = torch.as_tensor(labels, dtype=torch.long, device=device)

    def step() -> None:
        opt.zero_grad()
        loss = nn.functional.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        loss.item()

    return data.shape[0] / statistics.median(_common.timed(step, steps, warmup))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="tiny sizes, for a smoke run")
    parser.add_argument("--out", help="write the figures as JSON here")
    args = parser.parse_args()
    cfg: dict[str, Any] = dict(words=32, chars=16, alphabet=100, embed=16, filters=64, widths=(2, 3, 4), units=128, classes=3, batch=256)
    steps, warmup = 30, 5
    if args.small:
        cfg.update(words=6, chars=8, filters=8, units=8, batch=16)
        steps, warmup = 3, 1
    rng = np.random.default_rng(0)
    data = rng.integers(1, cfg["alphabet"], (cfg["batch"], cfg["words"], cfg["chars"])).astype("int32")
    labels = rng.integers(0, cfg["classes"], cfg["batch"]).astype("int32")

    results: dict[str, float | None] = {}
    for kind in ("keras_reshape", "kernest", "keras_timedistributed"):
        keras.utils.set_random_seed(0)
        results[kind] = time_keras(build(kind, cfg), data, labels, steps, warmup)
    results["torch_eager"] = time_torch(cfg, data, labels, steps, warmup)

    base = results["keras_reshape"] or 1.0
    device = _device()
    report = {
        "backend": keras.backend.backend(),
        "device": device,
        "config": {k: list(v) if isinstance(v, tuple) else v for k, v in cfg.items()},
        "samples_per_s": results,
        "ratio_vs_keras_reshape": {k: (v / base if v else None) for k, v in results.items()},
        "kernest_vs_timedistributed": (results["kernest"] or 0) / (results["keras_timedistributed"] or 1),
        "kernest_vs_torch_eager": (results["kernest"] or 0) / results["torch_eager"] if results["torch_eager"] else None,
    }
    print(json.dumps(report, indent=2))
    if args.out:
        tmp = args.out + ".tmp"
        with open(tmp, "w") as f:
            json.dump(report, f, indent=2)
        os.replace(tmp, args.out)


def _device() -> str:
    if keras.backend.backend() == "jax":
        import jax

        return str(jax.devices()[0].device_kind)
    if keras.backend.backend() == "torch":
        import torch

        return torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    return "cpu"


if __name__ == "__main__":
    main()
