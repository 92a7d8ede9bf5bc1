"""The hierarchical sentiment model: a char-CNN per word (``kernest.over``), a masked BiLSTM over words.

::

    chars (B, words, chars) int32
      -> per_word = over("words", char_cnn)       (B, words, F)   + mask (B, words): False for padded words
      -> word_bilstm                              (B, 2 * units)  padded words skipped through the mask
      -> dropout -> head (softmax)                (B, classes)
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import keras
from keras import ops

import kernest
from kernest._errors import DataError


@dataclass
class ModelConfig:
    """Sizes and training knobs of the sentiment model.

    Attributes:
        char_dim: size of the character embedding.
        word_buckets: hash each word's characters into this many buckets and add a learned embedding of
            the bucket to the word features (0: off). It gives the model word identity cheaply.
        word_dim: size of that word-hash embedding.
        widths: kernel widths of the character convolutions, one ``Conv1D`` each.
        filters: filters per kernel width.
        highway: add a highway layer on the concatenated char-CNN features.
        word_units: units of each direction of the word BiLSTM.
        word_mean: also feed the head the masked mean of the word features (a bag-of-words path beside
            the BiLSTM state).
        dropout: dropout rate on the char-CNN features and before the head.
        learning_rate: Adam learning rate.
        max_words: words kept per text (``None``: fitted from the training texts).
        max_chars: characters kept per word (``None``: fitted from the training texts).
        percentile: length percentile that fits ``max_words`` / ``max_chars``.
        min_char_count: characters seen fewer times in training are out-of-vocabulary.
        class_weight: ``"balanced"`` weighs classes by inverse frequency; ``"none"`` does not.
        patience: epochs without a better validation macro-F1 before early stopping.
        bucket_by_length: train on batches of texts of similar word counts, each cut to its longest text
            (the model gets a ``None`` words axis); validation, test and prediction keep ``max_words``.
    """

    char_dim: int = 32
    word_buckets: int = 0
    word_dim: int = 32
    widths: tuple[int, ...] = (2, 3, 4, 5)
    filters: int = 64
    highway: bool = True
    word_units: int = 64
    word_mean: bool = False
    dropout: float = 0.3
    learning_rate: float = 2e-3
    max_words: int | None = None
    max_chars: int | None = None
    percentile: float = 99.0
    min_char_count: int = 2
    class_weight: str = "balanced"
    patience: int = 2
    bucket_by_length: bool = True

    def __post_init__(self) -> None:
        self.widths = tuple(int(w) for w in self.widths)
        problems = []
        if self.word_buckets < 0:
            problems.append(f"word_buckets must be 0 (off) or more (got {self.word_buckets})")
        for name in ("char_dim", "word_dim", "filters", "word_units", "min_char_count"):
            if int(getattr(self, name)) < 1:
                problems.append(f"{name} must be at least 1 (got {getattr(self, name)})")
        if not self.widths or min(self.widths) < 1:
            problems.append(f"widths must be one or more positive kernel widths (got {self.widths})")
        if not 0.0 <= self.dropout < 1.0:
            problems.append(f"dropout must be in [0, 1) (got {self.dropout})")
        if self.learning_rate <= 0:
            problems.append(f"learning_rate must be positive (got {self.learning_rate})")
        for name in ("max_words", "max_chars"):
            v = getattr(self, name)
            if v is not None and int(v) < 1:
                problems.append(f"{name} must be at least 1 (got {v})")
        if self.class_weight not in ("balanced", "none"):
            problems.append(f"class_weight must be 'balanced' or 'none' (got {self.class_weight!r})")
        if self.patience < 0:
            problems.append(f"patience must be 0 or more (got {self.patience})")
        if problems:
            raise DataError("Invalid model config: " + "; ".join(problems) + ". Fix these values.")

    def to_json(self) -> dict[str, Any]:
        """The config as a JSON-ready dict."""
        d = dataclasses.asdict(self)
        d["widths"] = list(self.widths)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any], base: ModelConfig | None = None) -> ModelConfig:
        """A config from a dict; keys not given keep ``base``'s values (default: the defaults).

        Raises:
            DataError: an unknown key or a bad value.
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise DataError(
                f"Unknown model config keys: {', '.join(unknown)}. Known keys: {', '.join(sorted(known))}."
            )
        values = (base or cls()).to_json()
        values.update(d)
        try:
            return cls(**values)
        except (TypeError, ValueError) as e:
            raise DataError(f"Invalid model config value: {e}. Fix the value in the config.") from None

    @classmethod
    def from_file(cls, path: str | Path, base: ModelConfig | None = None) -> ModelConfig:
        """Read a config from a JSON or YAML file (YAML needs PyYAML; it is read with ``safe_load``).

        Raises:
            DataError: missing file, bad syntax, not a mapping, unknown key or bad value.
        """
        p = Path(path)
        if not p.is_file():
            raise DataError(f"Config file {str(p)!r} does not exist. Check the --config path.")
        text = p.read_text(encoding="utf-8")
        try:
            if p.suffix.lower() in (".yaml", ".yml"):
                try:
                    import yaml
                except ImportError:
                    raise DataError("Reading a YAML config needs PyYAML: `pip install pyyaml`, or write the "
                                    "config as JSON.") from None
                obj = yaml.safe_load(text)
            else:
                obj = json.loads(text)
        except DataError:
            raise
        except Exception as e:  # JSON or YAML syntax error: both are reported the same way
            raise DataError(f"Config file {str(p)!r} cannot be parsed: {e}. Fix its syntax.") from None
        if not isinstance(obj, dict):
            raise DataError(f"Config file {str(p)!r} must hold a mapping of config keys to values.")
        return cls.from_dict(obj, base)


@keras.saving.register_keras_serializable(package="kernest.text")
class WordHash(keras.layers.Layer):
    """Hashes a word's character ids ``(B, chars)`` into a bucket ``(B,)`` in ``[1, buckets)``; 0 for padding.

    A polynomial hash over the ids (exact int64 arithmetic), so the same spelling always gets the same bucket.
    """

    _MODULUS = 2_147_483_647  # a prime; h * 257 + id stays far inside int64

    def __init__(self, buckets: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if buckets < 2:
            raise ValueError(f"WordHash needs at least 2 buckets, got {buckets}")
        self.buckets = buckets

    def call(self, ids: Any) -> Any:
        x = ops.cast(ids, "int64")                       # (B, chars)
        h = ops.zeros_like(x[:, 0])                      # (B,)
        for i in range(x.shape[-1]):
            h = ops.mod(h * 257 + x[:, i], self._MODULUS)
        h = ops.mod(h * 48271, self._MODULUS)  # scramble, so words differing by a permutation part ways
        bucket = ops.mod(h, self.buckets - 1) + 1
        return ops.where(ops.any(ops.not_equal(x, 0), axis=-1), bucket, ops.zeros_like(bucket))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return (input_shape[0],)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(buckets=self.buckets)
        return config


def build_char_cnn(max_chars: int, vocab_size: int, config: ModelConfig) -> keras.Model:
    """The per-word model: character ids ``(max_chars,)`` -> word features ``(F,)``.

    Args:
        max_chars: characters per word.
        vocab_size: number of character ids (``TextEncoder.vocab_size``).
        config: the sizes.

    Returns:
        The ``char_cnn`` model; ``F = filters * len(widths)`` (``+ word_dim`` with word hashing).
    """
    char_in = keras.Input((max_chars,), dtype="int32", name="word_chars")          # (B, chars)
    e = keras.layers.Embedding(vocab_size, config.char_dim, name="char_embed")(char_in)  # (B, chars, D)
    pooled = []
    for w in config.widths:
        c = keras.layers.Conv1D(config.filters, w, padding="same", activation="relu", name=f"conv_w{w}")(e)
        pooled.append(keras.layers.GlobalMaxPooling1D(name=f"pool_w{w}")(c))    # (B, filters)
    x = pooled[0] if len(pooled) == 1 else keras.layers.Concatenate(name="concat")(pooled)  # (B, F)
    if config.highway:
        # y = x + t * (h - x), t = sigmoid gate, h = relu transform: a highway layer from stock layers, so
        # the model loads with safe_mode=True.
        size = config.filters * len(config.widths)
        t = keras.layers.Dense(size, activation="sigmoid", bias_initializer=keras.initializers.Constant(-1.0),
                               name="highway_gate")(x)
        h = keras.layers.Dense(size, activation="relu", name="highway_transform")(x)
        diff = keras.layers.Subtract(name="highway_diff")([h, x])
        x = keras.layers.Add(name="highway")([x, keras.layers.Multiply(name="highway_carry")([t, diff])])
    if config.word_buckets:
        bucket = WordHash(config.word_buckets, name="word_hash")(char_in)                  # (B,)
        w = keras.layers.Embedding(config.word_buckets, config.word_dim, name="word_embed")(bucket)  # (B, Dw)
        x = keras.layers.Concatenate(name="word_features")([x, w])
    return keras.Model(char_in, x, name="char_cnn")


def build_model(max_words: int | None, max_chars: int, vocab_size: int, n_classes: int,
                config: ModelConfig | None = None) -> keras.Model:
    """The sentiment model, composed with ``kernest.over`` so ``kernest.check`` / summaries see inside.

    Args:
        max_words: words per text; ``None`` takes any number of words (for batches cut to their longest
            text, see ``ModelConfig.bucket_by_length``).
        max_chars: characters per word.
        vocab_size: number of character ids.
        n_classes: number of classes.
        config: sizes (default ``ModelConfig()``).

    Returns:
        An uncompiled model ``(B, max_words, max_chars) int32 -> (B, n_classes)`` probabilities.

    Example:
        >>> m = build_model(8, 6, 20, 3, ModelConfig(char_dim=4, widths=(2,), filters=4, word_units=4))
        >>> m.output_shape
        (None, 3)
    """
    config = config or ModelConfig()
    chars = kernest.Input((max_words, max_chars), axes=("words", "chars"), dtype="int32", name="chars")
    char_cnn = build_char_cnn(max_chars, vocab_size, config)
    x = kernest.over("words", char_cnn, name="per_word")(chars)      # (B, words, F), mask (B, words)
    x = keras.layers.Dropout(config.dropout, name="word_dropout")(x)
    words = x
    x = keras.layers.Bidirectional(keras.layers.LSTM(config.word_units), name="word_bilstm")(words)  # (B, 2U)
    if config.word_mean:
        mean = keras.layers.GlobalAveragePooling1D(name="word_mean")(words)  # (B, F), padded words left out
        x = keras.layers.Concatenate(name="text_features")([x, mean])
    x = keras.layers.Dropout(config.dropout, name="dropout")(x)
    probs = keras.layers.Dense(n_classes, activation="softmax", name="head")(x)  # (B, classes)
    return keras.Model(chars, probs, name="sentiment")


def compile_model(model: keras.Model, config: ModelConfig) -> keras.Model:
    """Compile with Adam, sparse categorical cross-entropy and accuracy; returns the model."""
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate, clipnorm=1.0),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
