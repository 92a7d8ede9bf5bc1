"""Small real Keras models used across the tests, built in one place.

Every builder returns fresh layers, so tests never share weights by accident.
"""

from __future__ import annotations

import keras
import numpy as np

import kernest

L = keras.layers
WORDS, CHARS, ALPHABET = 6, 8, 30


def char_cnn(chars: int = CHARS, filters: int = 8, name: str = "char_cnn") -> keras.Model:
    """(chars,) int ids -> (filters,) features: embedding, conv, max-pool over characters."""
    ids = keras.Input((chars,), dtype="int32", name="char_ids")
    x = L.Embedding(ALPHABET, 6, name="embed")(ids)
    x = L.Conv1D(filters, 3, padding="same", activation="relu", name="conv")(x)
    x = L.GlobalMaxPooling1D(name="pool")(x)
    return keras.Model(ids, x, name=name)


def word_model(words: int | None = WORDS, chars: int = CHARS, units: int = 5, classes: int = 3) -> keras.Model:
    """The flagship shape in miniature: over("words", char_cnn) -> BiLSTM -> softmax."""
    x = kernest.Input((words, chars), axes=("words", "chars"), dtype="int32", name="chars")
    h = kernest.over("words", char_cnn(chars), name="per_word")(x)
    h = L.Bidirectional(L.LSTM(units), name="word_lstm")(h)
    y = L.Dense(classes, activation="softmax", name="head")(h)
    return keras.Model(x, y, name="sentiment")


def mlp(sizes: tuple[int, ...], name: str, input_dim: int | None = None) -> keras.Model:
    layers: list = [keras.Input((input_dim,))] if input_dim else []
    layers += [L.Dense(s, activation="relu", name=f"dense_{i}") for i, s in enumerate(sizes)]
    return keras.Sequential(layers, name=name)


def depth3() -> keras.Model:
    """outer -> middle -> inner: three levels of functional nesting, each with a named Dense."""
    a = keras.Input((4,), name="a")
    inner = keras.Model(a, L.Dense(3, name="dense")(a), name="inner")
    b = keras.Input((4,), name="b")
    middle = keras.Model(b, L.Dense(2, name="dense")(inner(b)), name="middle")
    c = keras.Input((4,), name="c")
    return keras.Model(c, L.Dense(1, name="head")(middle(c)), name="outer")


def shared_twice() -> keras.Model:
    """One inner model called on two inputs."""
    enc = mlp((4,), "encoder", input_dim=3)
    a, b = keras.Input((3,), name="left"), keras.Input((3,), name="right")
    merged = L.Concatenate(name="concat")([enc(a), enc(b)])
    return keras.Model([a, b], L.Dense(1, name="head")(merged), name="siamese")


def char_ids(batch: int = 4, words: int = WORDS, chars: int = CHARS, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(1, ALPHABET, size=(batch, words, chars)).astype("int32")


# --- builders added for inspect & change (issue 3) ---------------------------------------------------

@keras.saving.register_keras_serializable(package="kernest_tests")
class ResidualBlock(L.Layer):
    """A custom subclassed layer holding sublayers: x + proj(relu(dense(x)))."""

    def __init__(self, units: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.inner = L.Dense(units, activation="relu", name="inner_dense")
        self.proj = L.Dense(units, name="proj")

    def build(self, input_shape):
        self.inner.build(input_shape)
        self.proj.build((*input_shape[:-1], self.units))
        self.built = True

    def call(self, x):
        return x + self.proj(self.inner(x))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def with_custom_block() -> keras.Model:
    """A functional model with a custom composite layer: dense -> block -> head."""
    x = keras.Input((4,), name="x")
    h = L.Dense(4, name="pre")(x)
    h = ResidualBlock(4, name="block")(h)
    return keras.Model(x, L.Dense(1, name="head")(h), name="custom")


def with_batchnorm() -> keras.Model:
    """BatchNormalization nested one level down: outer(inner(pre -> bn -> dense)) -> head."""
    a = keras.Input((4,), name="a")
    h = L.Dense(4, name="pre")(a)
    h = L.BatchNormalization(name="bn")(h)
    inner = keras.Model(a, L.Dense(2, name="dense")(h), name="inner")
    b = keras.Input((4,), name="b")
    return keras.Model(b, L.Dense(1, name="head")(inner(b)), name="bn_outer")


def shared_across() -> keras.Model:
    """One Dense layer used both inside a submodel and in the outer model (Keras cannot load this)."""
    shared = L.Dense(4, name="shared_dense")
    a = keras.Input((4,), name="a")
    sub = keras.Model(a, L.Dense(4, name="x")(shared(a)), name="sub")
    b = keras.Input((4,), name="b")
    return keras.Model(b, shared(sub(b)), name="outer")


def time_distributed() -> keras.Model:
    """TimeDistributed over a small functional model: (steps, 5) -> (steps, 3) -> GRU -> head."""
    a = keras.Input((5,), name="step")
    step = keras.Model(a, L.Dense(3, name="dense")(a), name="step_model")
    x = keras.Input((7, 5), name="seq")
    h = L.TimeDistributed(step, name="per_step")(x)
    h = L.GRU(2, name="gru")(h)
    return keras.Model(x, L.Dense(1, name="head")(h), name="td_model")


def over_over(sents: int = 3, words: int = 4, chars: int = 5) -> keras.Model:
    """Two levels of over: sentences -> words -> chars, with char_cnn innermost (depth 4 paths)."""
    w = kernest.Input((words, chars), axes=("words", "chars"), dtype="int32", name="word_chars")
    per_word = kernest.over("words", char_cnn(chars, filters=4), name="per_word")(w)
    sentence = keras.Model(w, L.GlobalAveragePooling1D(name="avg")(per_word), name="sentence")
    x = kernest.Input((sents, words, chars), axes=("sents", "words", "chars"), dtype="int32", name="doc")
    h = kernest.over("sents", sentence, name="per_sent")(x)
    return keras.Model(x, L.Dense(2, name="head")(L.GlobalAveragePooling1D(name="avg")(h)), name="doc_model")


# --- ten real-world nested models (issue 10), small widths -----------------------------------------------

def mobilenet_classifier(classes: int = 5) -> keras.Model:
    """A keras.applications MobileNetV2 base (weights=None, 32x32 input, alpha 0.35) under a 5-class head."""
    base = keras.applications.MobileNetV2(input_shape=(32, 32, 3), alpha=0.35, include_top=False, weights=None)
    x = keras.Input((32, 32, 3), name="image")
    h = L.GlobalAveragePooling2D(name="pool")(base(x))
    return keras.Model(x, L.Dense(classes, activation="softmax", name="head")(h), name="classifier")


def siamese() -> keras.Model:
    """One text encoder applied to two inputs; the distance of the two codes gives a similarity."""
    ids = keras.Input((6,), dtype="int32", name="ids")
    h = L.Embedding(20, 4, name="emb")(ids)
    encoder = keras.Model(ids, L.Dense(4, name="proj")(L.GlobalAveragePooling1D(name="avg")(h)), name="encoder")
    left, right = keras.Input((6,), dtype="int32", name="left"), keras.Input((6,), dtype="int32", name="right")
    diff = L.Subtract(name="diff")([encoder(left), encoder(right)])
    return keras.Model([left, right], L.Dense(1, activation="sigmoid", name="score")(diff), name="siamese")


@keras.saving.register_keras_serializable(package="kernest_tests")
class Sampling(L.Layer):
    """z = mean + exp(log_var / 2) * noise: the VAE's reparameterisation."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed = keras.random.SeedGenerator(0)

    def call(self, inputs):
        mean, log_var = inputs
        noise = keras.random.normal(keras.ops.shape(mean), seed=self.seed)
        return mean + keras.ops.exp(0.5 * log_var) * noise

    def compute_output_shape(self, input_shape):
        return input_shape[0]


def vae(dim: int = 12, latent: int = 2) -> keras.Model:
    """Encoder (dict outputs mean / log_var) -> Sampling -> decoder; the model outputs a dict."""
    x = keras.Input((dim,), name="x")
    h = L.Dense(8, activation="relu", name="hidden")(x)
    encoder = keras.Model(x, {"mean": L.Dense(latent, name="mean")(h), "log_var": L.Dense(latent, name="log_var")(h)},
                          name="encoder")
    z_in = keras.Input((latent,), name="z")
    decoder = keras.Model(z_in, L.Dense(dim, activation="sigmoid", name="out")(L.Dense(8, name="up")(z_in)),
                          name="decoder")
    inp = keras.Input((dim,), name="features")
    codes = encoder(inp)
    z = Sampling(name="sampling")([codes["mean"], codes["log_var"]])
    return keras.Model(inp, {"reconstruction": decoder(z), "z_mean": codes["mean"]}, name="vae")


def seq2seq(vocab: int = 15, units: int = 4) -> keras.Model:
    """An encoder LSTM hands its states [h, c] to a decoder LSTM (initial_state); both are submodels."""
    src = keras.Input((5,), dtype="int32", name="src")
    _, h, c = L.LSTM(units, return_state=True, name="enc_lstm")(L.Embedding(vocab, 3, name="src_emb")(src))
    encoder = keras.Model(src, [h, c], name="encoder")
    tgt = keras.Input((4,), dtype="int32", name="tgt")
    h_in, c_in = keras.Input((units,), name="h_in"), keras.Input((units,), name="c_in")
    seq = L.LSTM(units, return_sequences=True, name="dec_lstm")(L.Embedding(vocab, 3, name="tgt_emb")(tgt),
                                                                 initial_state=[h_in, c_in])
    decoder = keras.Model([tgt, h_in, c_in], L.Dense(vocab, activation="softmax", name="vocab")(seq), name="decoder")
    s, t = keras.Input((5,), dtype="int32", name="source"), keras.Input((4,), dtype="int32", name="target")
    states = encoder(s)
    return keras.Model([s, t], decoder([t, *states]), name="seq2seq")


def backbone(dim: int = 8) -> keras.Model:
    x = keras.Input((dim,), name="x")
    h = L.BatchNormalization(name="bn")(L.Dense(6, name="fc1")(x))
    return keras.Model(x, L.Dense(5, activation="relu", name="fc2")(L.ReLU(name="relu")(h)), name="backbone")


@keras.saving.register_keras_serializable(package="kernest_tests")
class Classifier(keras.Model):
    """A subclassed model that holds a functional backbone; ``call`` runs head(dropout(backbone(x)))."""

    def __init__(self, classes: int = 3, **kwargs):
        super().__init__(**kwargs)
        self.classes = classes
        self.head = L.Dense(classes, name="head")  # set first: attribute order is not call order
        self.drop = L.Dropout(0.1, name="drop")
        self.backbone = backbone()

    def call(self, x, training=False):
        return self.head(self.drop(self.backbone(x), training=training))

    def get_config(self):
        return {**super().get_config(), "classes": self.classes}


def subclassed_classifier() -> keras.Model:
    """A built ``Classifier`` (called once on data of shape (2, 8))."""
    model = Classifier(name="classifier")
    model(np.zeros((2, 8), "float32"))
    return model


class Unbuilt(keras.Model):
    """A subclassed model never called: it has no shapes until someone calls it."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = L.Dense(4, name="dense")

    def call(self, x):
        return self.dense(x)


def video_cnn(frames: int = 4, size: int = 16) -> keras.Model:
    """TimeDistributed over a small frame CNN, then an LSTM over the frames."""
    img = keras.Input((size, size, 3), name="frame")
    h = L.Conv2D(4, 3, activation="relu", name="conv")(img)
    frame_cnn = keras.Model(img, L.GlobalAveragePooling2D(name="gap")(h), name="frame_cnn")
    clip = keras.Input((frames, size, size, 3), name="clip")
    h = L.TimeDistributed(frame_cnn, name="per_frame")(clip)
    return keras.Model(clip, L.Dense(2, activation="softmax", name="head")(L.LSTM(3, name="lstm")(h)), name="video")


def three_level() -> keras.Model:
    """network > stage > block > conv: a conv block inside a stage inside the network."""
    a = keras.Input((8, 3), name="block_in")
    block = keras.Model(a, L.Conv1D(4, 3, padding="same", activation="relu", name="conv")(a), name="block")
    b = keras.Input((8, 3), name="stage_in")
    stage = keras.Model(b, L.MaxPooling1D(2, name="pool")(block(b)), name="stage")
    c = keras.Input((8, 3), name="signal")
    h = L.Flatten(name="flat")(stage(c))
    return keras.Model(c, L.Dense(2, name="head")(h), name="network")


def wide_and_deep() -> keras.Model:
    """A linear wide tower on dense features and a deep tower on ids, joined under one head."""
    wf = keras.Input((10,), name="wide_features")
    wide = keras.Model(wf, L.Dense(1, name="linear")(wf), name="wide")
    ids = keras.Input((3,), dtype="int32", name="ids")
    h = L.Flatten(name="flat")(L.Embedding(50, 4, name="emb")(ids))
    deep = keras.Model(ids, L.Dense(4, activation="relu", name="fc")(h), name="deep")
    w_in, d_in = keras.Input((10,), name="wide_in"), keras.Input((3,), dtype="int32", name="deep_in")
    joined = L.Concatenate(name="join")([wide(w_in), deep(d_in)])
    return keras.Model([w_in, d_in], L.Dense(1, activation="sigmoid", name="head")(joined), name="wide_deep")


def masked_inner() -> keras.Model:
    """An inner model with Embedding(mask_zero=True); its mask reaches the outer LSTM."""
    ids = keras.Input((6,), dtype="int32", name="tokens")
    seq = L.Embedding(20, 4, mask_zero=True, name="emb")(ids)
    inner = keras.Model(ids, L.LSTM(3, return_sequences=True, name="lstm")(seq), name="inner")
    x = keras.Input((6,), dtype="int32", name="ids")
    return keras.Model(x, L.Dense(1, name="head")(L.LSTM(2, name="outer_lstm")(inner(x))), name="masked")


def gan(latent: int = 4, dim: int = 6) -> keras.Model:
    """generator -> discriminator, the discriminator frozen in the combined model (as GAN tutorials do)."""
    z = keras.Input((latent,), name="noise")
    generator = keras.Model(z, L.Dense(dim, name="g_out")(L.Dense(8, activation="relu", name="g_fc")(z)),
                            name="generator")
    s = keras.Input((dim,), name="sample")
    h = L.Dense(8, activation="relu", name="d_fc")(s)
    discriminator = keras.Model(s, L.Dense(1, activation="sigmoid", name="d_out")(h), name="discriminator")
    discriminator.trainable = False
    zz = keras.Input((latent,), name="z")
    return keras.Model(zz, discriminator(generator(zz)), name="gan")


REAL_WORLD = (mobilenet_classifier, siamese, vae, seq2seq, subclassed_classifier, video_cnn, three_level,
              wide_and_deep, masked_inner, gan)


# --- real-world nested models for the sweep (tests/test_real_world.py), small widths ---------------------

def mobilenet_in_features(size: int = 32) -> keras.Model:
    """A keras.applications MobileNetV2 base at depth 2: classifier > features > mobilenetv2 > 150 layers."""
    base = keras.applications.MobileNetV2(input_shape=(size, size, 3), alpha=0.35, include_top=False, weights=None)
    a = keras.Input((size, size, 3), name="img")
    features = keras.Model(a, L.GlobalAveragePooling2D(name="gap")(base(a)), name="features")
    x = keras.Input((size, size, 3), name="image")
    return keras.Model(x, L.Dense(3, name="head")(features(x)), name="deep_classifier")


def efficientnet_classifier(size: int = 32) -> keras.Model:
    """EfficientNetB0 (its own Rescaling and Normalization inside) under a small head."""
    base = keras.applications.EfficientNetB0(input_shape=(size, size, 3), include_top=False, weights=None)
    x = keras.Input((size, size, 3), name="image")
    return keras.Model(x, L.Dense(2, name="head")(L.GlobalAveragePooling2D(name="pool")(base(x))), name="effnet")


def transformer_block(name: str, steps: int, dim: int, heads: int = 2, ffn: int | None = None) -> keras.Model:
    x = keras.Input((steps, dim), name="x")
    att = L.MultiHeadAttention(heads, dim // heads, name="mha")(x, x)
    h = L.LayerNormalization(name="ln1")(L.Add(name="add1")([x, att]))
    f = L.Dense(dim, name="ffn_out")(L.Dense(ffn or 2 * dim, activation="relu", name="ffn_in")(h))
    return keras.Model(x, L.LayerNormalization(name="ln2")(L.Add(name="add2")([h, f])), name=name)


def transformer(steps: int = 6, dim: int = 8) -> keras.Model:
    """Two Transformer blocks (attention, residual adds, LayerNormalization), each a Model, stacked."""
    ids = keras.Input((steps,), dtype="int32", name="tokens")
    h = L.Embedding(30, dim, name="emb")(ids)
    h = transformer_block("block_1", steps, dim)(h)
    h = transformer_block("block_2", steps, dim)(h)
    return keras.Model(ids, L.Dense(2, name="head")(L.GlobalAveragePooling1D(name="gap")(h)), name="transformer")


def tickets() -> keras.Model:
    """Dict inputs and dict outputs; a text encoder submodel that itself takes a dict."""
    t, b = keras.Input((5,), dtype="int32", name="title"), keras.Input((8,), dtype="int32", name="body")
    emb = L.Embedding(40, 4, name="emb")
    joined = L.Concatenate(name="cat")([L.GlobalAveragePooling1D(name="t_avg")(emb(t)),
                                        L.GlobalAveragePooling1D(name="b_avg")(emb(b))])
    text = keras.Model({"title": t, "body": b}, joined, name="text_enc")
    ti, bi = keras.Input((5,), dtype="int32", name="title"), keras.Input((8,), dtype="int32", name="body")
    tags = keras.Input((4,), name="tags")
    h = L.Concatenate(name="join")([text({"title": ti, "body": bi}), tags])
    return keras.Model({"title": ti, "body": bi, "tags": tags},
                       {"priority": L.Dense(1, name="priority")(h), "department": L.Dense(3, name="department")(h)},
                       name="tickets")


@keras.saving.register_keras_serializable(package="kernest_tests")
class Tower(keras.Model):
    """A subclassed model with no compute_output_shape: d2(d1(x))."""

    def __init__(self, units: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.d1 = L.Dense(units, activation="relu", name="d1")
        self.d2 = L.Dense(units, name="d2")

    def call(self, x):
        return self.d2(self.d1(x))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def subclassed_in_functional() -> keras.Model:
    x = keras.Input((6,), name="x")
    return keras.Model(x, L.Dense(1, name="head")(Tower(4, name="tower")(x)), name="sub_in_func")


def sequential_in_sequential() -> keras.Model:
    inner = keras.Sequential([L.Dense(4, activation="relu", name="fc1"), L.Dense(3, name="fc2")], name="inner")
    return keras.Sequential([keras.Input((5,)), L.Dense(5, name="pre"), inner, L.Dense(1, name="head")], name="outer")


def bidirectional_masked() -> keras.Model:
    """A masked Embedding and a Bidirectional LSTM inside an encoder submodel."""
    ids = keras.Input((7,), dtype="int32", name="ids")
    h = L.Embedding(20, 4, mask_zero=True, name="emb")(ids)
    enc = keras.Model(ids, L.Bidirectional(L.LSTM(3, return_sequences=True), name="bilstm")(h), name="encoder")
    x = keras.Input((7,), dtype="int32", name="tokens")
    return keras.Model(x, L.Dense(2, name="head")(L.GlobalAveragePooling1D(name="gap")(enc(x))), name="bidir")


def channels_first() -> keras.Model:
    """A CNN submodel in channels_first layout: (batch, channels, height, width)."""
    a = keras.Input((3, 12, 12), name="chw")
    h = L.Conv2D(4, 3, data_format="channels_first", name="conv")(a)
    h = L.MaxPooling2D(2, data_format="channels_first", name="pool")(h)
    cnn = keras.Model(a, L.GlobalAveragePooling2D(data_format="channels_first", name="gap")(h), name="cnn")
    x = keras.Input((3, 12, 12), name="image")
    return keras.Model(x, L.Dense(2, name="head")(cnn(x)), name="channels_first")


def sequential_over_steps() -> keras.Model:
    """TimeDistributed over a Sequential, then a GRU."""
    frame = keras.Sequential([keras.Input((8,)), L.Dense(4, name="fc")], name="frame")
    x = keras.Input((5, 8), name="clip")
    h = L.TimeDistributed(frame, name="per_step")(x)
    return keras.Model(x, L.Dense(1, name="head")(L.GRU(3, name="gru")(h)), name="td_sequential")


def ops_between_submodels() -> keras.Model:
    """keras.ops calls (not layers) between a submodel and the head, as keras.io examples write them."""
    a = keras.Input((6,), name="a")
    enc = keras.Model(a, L.Dense(4, name="fc")(a), name="enc")
    x = keras.Input((6,), name="x")
    h = keras.ops.relu(enc(x)) * 2.0
    return keras.Model(x, L.Dense(1, name="head")(h), name="with_ops")


# --- a second batch of real-world nested models (tests/test_real_world.py), small widths -----------------

def resnet_in_features(size: int = 32) -> keras.Model:
    """ResNet50V2 (include_top=False) at depth 2: classifier > features > resnet50v2 > 190 layers."""
    base = keras.applications.ResNet50V2(input_shape=(size, size, 3), include_top=False, weights=None)
    a = keras.Input((size, size, 3), name="img")
    features = keras.Model(a, L.GlobalAveragePooling2D(name="gap")(base(a)), name="features")
    x = keras.Input((size, size, 3), name="image")
    return keras.Model(x, L.Dense(3, name="head")(features(x)), name="resnet_classifier")


def densenet_with_top(size: int = 32, classes: int = 5) -> keras.Model:
    """DenseNet121 with its own top (include_top=True, classes=5) used as a layer after a Rescaling."""
    base = keras.applications.DenseNet121(input_shape=(size, size, 3), include_top=True, weights=None,
                                          classes=classes)
    x = keras.Input((size, size, 3), name="pixels")
    return keras.Model(x, base(L.Rescaling(1 / 255, name="scale")(x)), name="densenet_top")


def convnext_classifier(size: int = 32) -> keras.Model:
    """ConvNeXtTiny (LayerScale layers inside) under a small head."""
    base = keras.applications.ConvNeXtTiny(input_shape=(size, size, 3), include_top=False, weights=None)
    x = keras.Input((size, size, 3), name="image")
    return keras.Model(x, L.Dense(2, name="head")(L.GlobalAveragePooling2D(name="pool")(base(x))), name="convnext")


def unet(size: int = 16) -> keras.Model:
    """A U-Net whose encoder (three outputs: two skips and the bottleneck) and decoder (three inputs) are
    separate models, joined by the skip connections."""
    img = keras.Input((size, size, 1), name="img")
    s1 = L.Conv2D(4, 3, padding="same", activation="relu", name="down1")(img)
    s2 = L.Conv2D(8, 3, padding="same", activation="relu", name="down2")(L.MaxPooling2D(name="pool1")(s1))
    b = L.Conv2D(8, 3, padding="same", activation="relu", name="bottom")(L.MaxPooling2D(name="pool2")(s2))
    encoder = keras.Model(img, [s1, s2, b], name="encoder")
    bi = keras.Input((size // 4, size // 4, 8), name="bottleneck")
    k2 = keras.Input((size // 2, size // 2, 8), name="skip2")
    k1 = keras.Input((size, size, 4), name="skip1")
    u = L.Concatenate(name="cat2")([L.UpSampling2D(name="up2")(bi), k2])
    u = L.Conv2D(4, 3, padding="same", activation="relu", name="up_conv2")(u)
    u = L.Concatenate(name="cat1")([L.UpSampling2D(name="up1")(u), k1])
    mask = L.Conv2D(1, 1, activation="sigmoid", name="mask")(L.Conv2D(4, 3, padding="same", name="up_conv1")(u))
    decoder = keras.Model([bi, k2, k1], mask, name="decoder")
    x = keras.Input((size, size, 1), name="image")
    skip1, skip2, bottom = encoder(x)
    return keras.Model(x, decoder([bottom, skip2, skip1]), name="unet")


def preprocessing_classifier() -> keras.Model:
    """Preprocessing layers inside submodels: Normalization adapted on data, StringLookup on a string input,
    Rescaling and RandomFlip in an image branch; the three branches under one head."""
    rng = np.random.default_rng(0)
    num = keras.Input((3,), name="num")
    norm = L.Normalization(name="norm")
    norm.adapt(rng.normal(5.0, 2.0, (20, 3)).astype("float32"))
    numeric = keras.Model(num, L.Dense(4, name="num_fc")(norm(num)), name="numeric")
    word = keras.Input((2,), dtype="string", name="word")
    ids = L.StringLookup(vocabulary=["red", "green", "blue"], name="lookup")(word)
    h = L.GlobalAveragePooling1D(name="avg")(L.Embedding(4, 3, name="emb")(ids))
    text = keras.Model(word, h, name="text")
    pic = keras.Input((8, 8, 3), name="pic")
    h = L.RandomFlip("horizontal", seed=1, name="flip")(L.Rescaling(1 / 255, name="rescale")(pic))
    image = keras.Model(pic, L.GlobalAveragePooling2D(name="gap")(L.Conv2D(2, 3, name="conv")(h)), name="image")
    n, w, p = keras.Input((3,), name="n"), keras.Input((2,), dtype="string", name="w"), keras.Input((8, 8, 3), name="p")
    joined = L.Concatenate(name="join")([numeric(n), text(w), image(p)])
    return keras.Model([n, w, p], L.Dense(2, name="head")(joined), name="prep")


def lambda_and_slicing() -> keras.Model:
    """A Lambda layer and keras.ops calls between submodels, and x[:, 0] of a sequence submodel's output."""
    ids = keras.Input((5,), dtype="int32", name="ids")
    seq = keras.Model(ids, L.Dense(4, name="proj")(L.Embedding(10, 4, name="emb")(ids)), name="seq_enc")
    v = keras.Input((4,), name="v")
    head = keras.Model(v, L.Dense(2, name="out")(v), name="head")
    x = keras.Input((5,), dtype="int32", name="tokens")
    h = seq(x)
    first = h[:, 0]  # the first token's features
    doubled = L.Lambda(lambda t: t * 2.0, name="double")(first)
    return keras.Model(x, head(keras.ops.tanh(doubled) + keras.ops.mean(h, axis=1)), name="lambda_slice")


@keras.saving.register_keras_serializable(package="kernest_tests")
class DenseNorm(L.Layer):
    """A custom composite layer: LayerNormalization(Dense(x))."""

    def __init__(self, units: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.fc = L.Dense(units, name="fc")
        self.ln = L.LayerNormalization(name="ln")

    def build(self, input_shape):
        self.fc.build(input_shape)
        self.ln.build((*input_shape[:-1], self.units))

    def call(self, x):
        return self.ln(self.fc(x))

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@keras.saving.register_keras_serializable(package="kernest_tests")
class Router(keras.Model):
    """A subclassed model with call(x, training=None, mask=None): two functional towers, Python control flow
    (a loop and a branch on ``training``) and a composite DenseNorm layer."""

    def __init__(self, units: int = 4, repeats: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.units, self.repeats = units, repeats
        a = keras.Input((units,), name="a")
        self.body = keras.Model(a, L.Dense(units, activation="relu", name="b_fc")(a), name="body")
        self.stem = DenseNorm(units, name="stem")
        self.drop = L.Dropout(0.2, name="drop")

    def call(self, x, training=None, mask=None):
        h = self.stem(x)
        for _ in range(self.repeats):
            h = h + self.body(h)
        if training:
            h = self.drop(h, training=training)
        return h

    def get_config(self):
        return {**super().get_config(), "units": self.units, "repeats": self.repeats}


def subclassed_router() -> keras.Model:
    """The ``Router`` subclassed model used as a layer of a functional classifier."""
    x = keras.Input((6,), name="x")
    return keras.Model(x, L.Dense(2, name="head")(Router(4, name="router")(x)), name="routed")


@keras.saving.register_keras_serializable(package="kernest_tests")
class MinimalCell(L.Layer):
    """A custom RNN cell (as the keras.layers.RNN docs write one): h = tanh(x W + h U)."""

    def __init__(self, units: int = 3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent = self.add_weight(shape=(self.units, self.units), name="recurrent")

    def call(self, inputs, states):
        h = keras.ops.tanh(keras.ops.matmul(inputs, self.kernel) + keras.ops.matmul(states[0], self.recurrent))
        return h, [h]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def recurrent_mix() -> keras.Model:
    """An RNN with a custom cell and a Bidirectional(LSTM, return_state) in an encoder; the states feed a head."""
    ids = keras.Input((6,), dtype="int32", name="ids")
    h = L.Embedding(12, 4, name="emb")(ids)
    h = L.RNN(MinimalCell(3), return_sequences=True, name="cell_rnn")(h)
    seq, fh, fc, bh, bc = L.Bidirectional(L.LSTM(3, return_sequences=True, return_state=True), name="bilstm")(h)
    encoder = keras.Model(ids, [seq, L.Concatenate(name="states")([fh, bh])], name="encoder")
    x = keras.Input((6,), dtype="int32", name="tokens")
    seq_out, state = encoder(x)
    pooled = L.GlobalAveragePooling1D(name="gap")(seq_out)
    return keras.Model(x, L.Dense(2, name="head")(L.Concatenate(name="join")([pooled, state])), name="recurrent")


def masked_attention() -> keras.Model:
    """Embedding(mask_zero=True) -> self-attention in a nested block; the mask crosses the model boundary."""
    q = keras.Input((6, 8), name="q")
    att = L.MultiHeadAttention(2, 4, name="mha")(q, q)
    block = keras.Model(q, L.LayerNormalization(name="ln")(L.Add(name="res")([q, att])), name="attn_block")
    ids = keras.Input((6,), dtype="int32", name="ids")
    emb = L.Embedding(20, 8, mask_zero=True, name="emb")(ids)
    encoder = keras.Model(ids, block(emb), name="encoder")
    x = keras.Input((6,), dtype="int32", name="tokens")
    return keras.Model(x, L.Dense(2, name="head")(L.GlobalAveragePooling1D(name="gap")(encoder(x))), name="masked_attn")


def mixed_dtypes() -> keras.Model:
    """Two inputs of different dtypes (int ids and float features) into one submodel."""
    ids, feats = keras.Input((4,), dtype="int32", name="ids"), keras.Input((5,), name="feats")
    h = L.Flatten(name="flat")(L.Embedding(10, 2, name="emb")(ids))
    tower = keras.Model([ids, feats], L.Dense(3, name="fc")(L.Concatenate(name="cat")([h, feats])), name="tower")
    i, f = keras.Input((4,), dtype="int32", name="item_ids"), keras.Input((5,), name="features")
    return keras.Model([i, f], L.Dense(1, name="head")(tower([i, f])), name="mixed")


def fixed_batch() -> keras.Model:
    """A model with a fixed batch size (stateful-RNN style: keras.Input(batch_size=2)) around a submodel."""
    a = keras.Input((4, 3), batch_size=2, name="a")
    inner = keras.Model(a, L.GRU(3, name="gru")(a), name="inner")
    x = keras.Input((4, 3), batch_size=2, name="x")
    return keras.Model(x, L.Dense(1, name="head")(inner(x)), name="fixed_batch")


# --- a third batch of real-world nested models (tests/test_real_world.py), small widths ------------------

def mobilenet_v3_small(size: int = 32) -> keras.Model:
    """MobileNetV3Small (its own Rescaling, hard-swish activations) under a small head, minimalistic=False."""
    base = keras.applications.MobileNetV3Small(input_shape=(size, size, 3), alpha=0.75, include_top=False,
                                               weights=None)
    x = keras.Input((size, size, 3), name="image")
    h = L.GlobalAveragePooling2D(name="pool")(base(x))
    return keras.Model(x, L.Dense(3, name="head")(L.Dropout(0.2, name="drop")(h)), name="mnv3")


def xception_classifier(size: int = 71) -> keras.Model:
    """Xception at its minimum input size (71x71), as a layer under a small head."""
    base = keras.applications.Xception(input_shape=(size, size, 3), include_top=False, weights=None, pooling="avg")
    x = keras.Input((size, size, 3), name="image")
    return keras.Model(x, L.Dense(2, name="head")(base(x)), name="xception_clf")


def efficientnet_v2(size: int = 32) -> keras.Model:
    """EfficientNetV2B0 (its own Rescaling and Normalization inside) with pooling='avg'."""
    base = keras.applications.EfficientNetV2B0(input_shape=(size, size, 3), include_top=False, weights=None,
                                               pooling="avg")
    x = keras.Input((size, size, 3), name="image")
    return keras.Model(x, L.Dense(4, name="head")(base(x)), name="effv2")


def vgg16_new_top(size: int = 32) -> keras.Model:
    """VGG16 without its top; a new Flatten/Dense top, as transfer-learning tutorials write it."""
    base = keras.applications.VGG16(input_shape=(size, size, 3), include_top=False, weights=None)
    base.trainable = False
    top = keras.Sequential([L.Flatten(name="flatten"), L.Dense(8, activation="relu", name="fc"),
                            L.Dense(3, activation="softmax", name="predictions")], name="top")
    x = keras.Input((size, size, 3), name="image")
    return keras.Model(x, top(base(x, training=False)), name="vgg_new_top")


@keras.saving.register_keras_serializable(package="kernest_tests")
class Patches(L.Layer):
    """Cuts images into flattened patches (keras.io's ViT example): (h, w, c) -> (patches, size*size*c)."""

    def __init__(self, patch_size: int, **kwargs):
        super().__init__(**kwargs)
        self.patch_size = patch_size

    def call(self, images):
        patches = keras.ops.image.extract_patches(images, size=self.patch_size)
        shape = keras.ops.shape(patches)
        return keras.ops.reshape(patches, (shape[0], shape[1] * shape[2], shape[3]))

    def compute_output_shape(self, input_shape):
        n = (input_shape[1] // self.patch_size) * (input_shape[2] // self.patch_size)
        return (input_shape[0], n, self.patch_size * self.patch_size * input_shape[3])

    def get_config(self):
        return {**super().get_config(), "patch_size": self.patch_size}


@keras.saving.register_keras_serializable(package="kernest_tests")
class PatchEncoder(L.Layer):
    """Projects each patch and adds a learned position embedding (keras.io's ViT example)."""

    def __init__(self, num_patches: int, projection_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.num_patches, self.projection_dim = num_patches, projection_dim
        self.projection = L.Dense(projection_dim, name="projection")
        self.position_embedding = L.Embedding(num_patches, projection_dim, name="position_embedding")

    def build(self, input_shape):
        self.projection.build(input_shape)
        self.position_embedding.build((self.num_patches,))

    def call(self, patch):
        positions = keras.ops.expand_dims(keras.ops.arange(0, self.num_patches, 1), axis=0)
        return self.projection(patch) + self.position_embedding(positions)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.projection_dim)

    def get_config(self):
        return {**super().get_config(), "num_patches": self.num_patches, "projection_dim": self.projection_dim}


def vit_block(name: str, tokens: int, dim: int) -> keras.Model:
    x = keras.Input((tokens, dim), name="tokens")
    h = L.LayerNormalization(epsilon=1e-6, name="ln1")(x)
    h = L.Add(name="skip1")([L.MultiHeadAttention(2, dim // 2, dropout=0.1, name="mha")(h, h), x])
    f = L.LayerNormalization(epsilon=1e-6, name="ln2")(h)
    f = L.Dropout(0.1, name="drop")(L.Dense(2 * dim, activation="gelu", name="mlp_in")(f))
    return keras.Model(x, L.Add(name="skip2")([L.Dense(dim, name="mlp_out")(f), h]), name=name)


def vit(size: int = 16, patch: int = 4, dim: int = 8) -> keras.Model:
    """A Vision Transformer in keras.io style: Patches, PatchEncoder, two transformer blocks as models."""
    n = (size // patch) ** 2
    x = keras.Input((size, size, 3), name="image")
    h = PatchEncoder(n, dim, name="patch_encoder")(Patches(patch, name="patches")(x))
    for i in (1, 2):
        h = vit_block(f"block_{i}", n, dim)(h)
    h = L.Flatten(name="flat")(L.LayerNormalization(epsilon=1e-6, name="ln")(h))
    return keras.Model(x, L.Dense(3, name="logits")(L.Dropout(0.5, name="drop")(h)), name="vit")


def mixer_block(name: str, tokens: int, channels: int) -> keras.Model:
    """One MLP-Mixer block: token mixing over the transposed patches, then channel mixing."""
    x = keras.Input((tokens, channels), name="patches")
    t = L.Permute((2, 1), name="to_tokens")(L.LayerNormalization(name="ln1")(x))
    t = L.Dense(tokens, name="token_mlp")(L.Dense(2 * tokens, activation="gelu", name="token_mlp_in")(t))
    h = L.Add(name="skip1")([x, L.Permute((2, 1), name="to_channels")(t)])
    c = L.Dense(channels, name="channel_mlp")(L.Dense(2 * channels, activation="gelu", name="channel_mlp_in")(
        L.LayerNormalization(name="ln2")(h)))
    return keras.Model(x, L.Add(name="skip2")([h, c]), name=name)


def mlp_mixer(size: int = 16, patch: int = 4, channels: int = 6) -> keras.Model:
    """MLP-Mixer: a patch stem (strided Conv2D, Reshape) in a Sequential, two mixer blocks as models."""
    n = (size // patch) ** 2
    stem = keras.Sequential([L.Conv2D(channels, patch, strides=patch, name="patchify"),
                             L.Reshape((n, channels), name="to_seq")], name="stem")
    x = keras.Input((size, size, 3), name="image")
    h = stem(x)
    for i in (1, 2):
        h = mixer_block(f"mixer_{i}", n, channels)(h)
    return keras.Model(x, L.Dense(2, name="head")(L.GlobalAveragePooling1D(name="gap")(h)), name="mlp_mixer")


def attention_layers() -> keras.Model:
    """keras.layers.Attention and AdditiveAttention between a query encoder and a value encoder
    (the Attention docs' question-answer pattern)."""
    q_ids = keras.Input((5,), dtype="int32", name="q_ids")
    query_enc = keras.Model(q_ids, L.Conv1D(4, 2, padding="same", name="q_conv")(
        L.Embedding(20, 4, name="q_emb")(q_ids)), name="query_enc")
    v_ids = keras.Input((7,), dtype="int32", name="v_ids")
    value_enc = keras.Model(v_ids, L.Conv1D(4, 2, padding="same", name="v_conv")(
        L.Embedding(20, 4, name="v_emb")(v_ids)), name="value_enc")
    q, v = keras.Input((5,), dtype="int32", name="question"), keras.Input((7,), dtype="int32", name="document")
    qs, vs = query_enc(q), value_enc(v)
    dot = L.Attention(name="dot_att")([qs, vs])
    add = L.AdditiveAttention(name="add_att")([qs, vs])
    pooled = [L.GlobalAveragePooling1D(name=f"gap_{i}")(t) for i, t in enumerate((qs, dot, add))]
    return keras.Model([q, v], L.Dense(1, name="score")(L.Concatenate(name="cat")(pooled)), name="qa_attention")


def three_level_sequential() -> keras.Model:
    """A Sequential in a Sequential in a Functional; the inner two have no Input and are built by being called."""
    inner = keras.Sequential([L.Dense(4, activation="relu", name="fc1"), L.Dense(4, name="fc2")], name="inner")
    middle = keras.Sequential([L.Dense(4, name="pre"), inner, L.LayerNormalization(name="ln")], name="middle")
    x = keras.Input((6,), name="x")
    return keras.Model(x, L.Dense(2, name="head")(middle(x)), name="outer_func")


def sequential_of_a_model() -> keras.Model:
    """``keras.Sequential([..., keras.Model(...)])``: a functional model as a Sequential's last stage."""
    a = keras.Input((4,), name="a")
    head = keras.Model(a, L.Dense(2, activation="softmax", name="probs")(L.Dense(4, name="fc")(a)), name="head")
    model = keras.Sequential([L.Dense(4, activation="relu", name="pre"), head], name="seq_of_model")
    model.build((None, 5))
    return model


def multi_task() -> keras.Model:
    """A shared trunk and three named heads, compiled with ``loss={...}`` and trained for one step."""
    a = keras.Input((6,), name="a")
    trunk = keras.Model(a, L.Dense(8, activation="relu", name="fc")(a), name="trunk")
    x = keras.Input((6,), name="features")
    h = trunk(x)
    outs = {"age": L.Dense(1, name="age")(h), "gender": L.Dense(1, activation="sigmoid", name="gender")(h),
            "style": L.Dense(3, activation="softmax", name="style")(h)}
    model = keras.Model(x, outs, name="multi_task")
    model.compile("adam", loss={"age": "mse", "gender": "binary_crossentropy",
                                "style": "sparse_categorical_crossentropy"},
                  loss_weights={"age": 0.5, "gender": 1.0, "style": 1.0})
    rng = np.random.default_rng(0)
    y = {"age": rng.random((4, 1)), "gender": rng.integers(0, 2, (4, 1)), "style": rng.integers(0, 3, (4,))}
    model.fit(rng.random((4, 6)).astype("float32"), y, epochs=1, batch_size=4, verbose=0)
    return model


def triplet() -> keras.Model:
    """One embedding model shared by anchor, positive and negative (triplet loss style)."""
    img = keras.Input((8, 8, 1), name="img")
    h = L.GlobalAveragePooling2D(name="gap")(L.Conv2D(4, 3, activation="relu", name="conv")(img))
    embed = keras.Model(img, L.UnitNormalization(name="norm")(L.Dense(3, name="emb")(h)), name="embedding")
    a, p, n = (keras.Input((8, 8, 1), name=k) for k in ("anchor", "positive", "negative"))
    ea, ep, en = embed(a), embed(p), embed(n)
    d_pos = L.Dot(axes=1, name="d_pos")([ea, ep])
    d_neg = L.Dot(axes=1, name="d_neg")([ea, en])
    return keras.Model([a, p, n], L.Concatenate(name="dists")([d_pos, d_neg]), name="triplet")


def step_encoder() -> keras.Model:
    a = keras.Input((6,), name="step")
    return keras.Model(a, L.Dense(3, activation="relu", name="fc2")(L.Dense(4, name="fc1")(a)), name="step_enc")


def per_step(wrapper: str = "td", steps: int = 5) -> keras.Model:
    """The same inner model applied per step, by ``TimeDistributed`` (``wrapper='td'``) or ``kernest.over``."""
    x = kernest.Input((steps, 6), axes=("steps", "feats"), name="seq")
    enc = step_encoder()
    if wrapper == "td":
        h = L.TimeDistributed(enc, name="per_step")(x)
    else:
        h = kernest.over("steps", enc, name="per_step")(x)
    return keras.Model(x, L.Dense(1, name="head")(L.GRU(2, name="gru")(h)), name=f"per_step_{wrapper}")


def per_step_over() -> keras.Model:
    return per_step("over")


@keras.saving.register_keras_serializable(package="kernest_tests")
class FineTuner(keras.Model):
    """A subclassed model that runs a keras.applications backbone with ``training=False`` (fine-tuning style)."""

    def __init__(self, size: int = 32, classes: int = 3, **kwargs):
        super().__init__(**kwargs)
        self.size, self.classes = size, classes
        self.backbone = keras.applications.MobileNetV2(input_shape=(size, size, 3), alpha=0.35, include_top=False,
                                                       weights=None)
        self.pool = L.GlobalAveragePooling2D(name="pool")
        self.head = L.Dense(classes, name="head")

    def call(self, x, training=None):
        return self.head(self.pool(self.backbone(x, training=False)))

    def get_config(self):
        return {**super().get_config(), "size": self.size, "classes": self.classes}


def fine_tuner() -> keras.Model:
    x = keras.Input((32, 32, 3), name="image")
    return keras.Model(x, FineTuner(name="tuner")(x), name="fine_tune")


@keras.saving.register_keras_serializable(package="kernest_tests")
class Linear(L.Layer):
    """The Keras guide's custom layer: ``build()`` makes w and b from the input's last size."""

    def __init__(self, units: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", name="w")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")

    def call(self, inputs):
        return keras.ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def custom_build_layer() -> keras.Model:
    """A custom Layer whose ``build()`` creates its weights from the input shape, inside a submodel."""
    a = keras.Input((5, 6), name="a")
    block = keras.Model(a, Linear(3, name="linear")(L.Dense(4, name="fc")(a)), name="block")
    x = keras.Input((5, 6), name="x")
    return keras.Model(x, L.Dense(1, name="head")(L.Flatten(name="flat")(block(x))), name="custom_build")


# --- keras.io example styles (fourth batch) --------------------------------------------------------------

@keras.saving.register_keras_serializable(package="kernest_tests")
class TransformerBlock(L.Layer):
    """keras.io's text-classification block: a Layer (not a Model) that owns a MultiHeadAttention, a
    Sequential feed-forward network, two LayerNormalizations and two Dropouts."""

    def __init__(self, dim: int, heads: int, ffn: int, rate: float = 0.1, **kwargs):
        super().__init__(**kwargs)
        self.dim, self.heads, self.ffn_dim, self.rate = dim, heads, ffn, rate
        self.att = L.MultiHeadAttention(num_heads=heads, key_dim=dim, name="att")
        self.ffn = keras.Sequential([L.Dense(ffn, activation="relu", name="ffn_in"), L.Dense(dim, name="ffn_out")],
                                    name="ffn")
        self.norm1 = L.LayerNormalization(epsilon=1e-6, name="norm1")
        self.norm2 = L.LayerNormalization(epsilon=1e-6, name="norm2")
        self.drop1, self.drop2 = L.Dropout(rate, name="drop1"), L.Dropout(rate, name="drop2")

    def call(self, inputs, training=False):
        attended = self.att(inputs, inputs)
        out1 = self.norm1(inputs + self.drop1(attended, training=training))
        return self.norm2(out1 + self.drop2(self.ffn(out1), training=training))

    def get_config(self):
        return {**super().get_config(), "dim": self.dim, "heads": self.heads, "ffn": self.ffn_dim, "rate": self.rate}


@keras.saving.register_keras_serializable(package="kernest_tests")
class TokenAndPosition(L.Layer):
    """keras.io's TokenAndPositionEmbedding: token and position Embeddings, added."""

    def __init__(self, maxlen: int, vocab: int, dim: int, **kwargs):
        super().__init__(**kwargs)
        self.maxlen, self.vocab, self.dim = maxlen, vocab, dim
        self.token_emb = L.Embedding(vocab, dim, name="token_emb")
        self.pos_emb = L.Embedding(maxlen, dim, name="pos_emb")

    def call(self, x):
        positions = keras.ops.arange(0, keras.ops.shape(x)[-1])
        return self.token_emb(x) + self.pos_emb(positions)

    def get_config(self):
        return {**super().get_config(), "maxlen": self.maxlen, "vocab": self.vocab, "dim": self.dim}


def layer_with_sublayers(maxlen: int = 10, vocab: int = 20, dim: int = 8) -> keras.Model:
    """keras.io's "text classification with Transformer": custom Layers that own sublayers, no submodel
    but the Sequential feed-forward network inside the block."""
    ids = keras.Input((maxlen,), dtype="int32", name="ids")
    h = TransformerBlock(dim, 2, 16, name="block")(TokenAndPosition(maxlen, vocab, dim, name="embed")(ids))
    h = L.Dropout(0.1, name="drop")(L.GlobalAveragePooling1D(name="gap")(h))
    return keras.Model(ids, L.Dense(2, activation="softmax", name="head")(h), name="text_transformer")


@keras.saving.register_keras_serializable(package="kernest_tests")
class KLLoss(L.Layer):
    """Adds the VAE's KL divergence with ``add_loss`` and passes the mean and log-variance through."""

    def call(self, inputs):
        mean, log_var = inputs
        self.add_loss(-0.5 * keras.ops.mean(1 + log_var - keras.ops.square(mean) - keras.ops.exp(log_var)))
        return mean, log_var

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


@keras.saving.register_keras_serializable(package="kernest_tests")
class VAE(keras.Model):
    """keras.io's VAE: a subclassed model around a functional encoder and decoder, with its own
    ``train_step`` (reconstruction loss plus the KL term its KLLoss layer adds)."""

    def __init__(self, dim: int = 10, latent: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.dim, self.latent = dim, latent
        x = keras.Input((dim,), name="x")
        h = L.Dense(6, activation="relu", name="hidden")(x)
        mean, log_var = KLLoss(name="kl")([L.Dense(latent, name="z_mean")(h), L.Dense(latent, name="z_log_var")(h)])
        self.encoder = keras.Model(x, [mean, log_var, Sampling(name="sampling")([mean, log_var])], name="encoder")
        z = keras.Input((latent,), name="z")
        self.decoder = keras.Model(z, L.Dense(dim, activation="sigmoid", name="out")(L.Dense(6, name="up")(z)),
                                   name="decoder")

    def call(self, x):
        return self.decoder(self.encoder(x)[2])

    def train_step(self, data):
        import tensorflow as tf  # keras.io's VAE trains with a GradientTape (TensorFlow backend)

        with tf.GradientTape() as tape:
            reconstruction = self(data, training=True)
            loss = keras.ops.mean(keras.ops.square(data - reconstruction)) + keras.ops.sum(self.losses)
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights, strict=True))
        return {"loss": loss}

    def get_config(self):
        return {**super().get_config(), "dim": self.dim, "latent": self.latent}


def vae_train_step(dim: int = 10) -> keras.Model:
    """A built ``VAE`` (subclassed, custom ``train_step``, ``add_loss``)."""
    model = VAE(dim, name="vae")
    model(np.zeros((2, dim), "float32"))
    return model


@keras.saving.register_keras_serializable(package="kernest_tests")
class SinusoidalEmbedding(L.Layer):
    """The noise variance as sines and cosines of ``dim`` frequencies (keras.io's DDIM embeds it with a
    Lambda; a layer keeps the model loadable in safe mode)."""

    def __init__(self, dim: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim

    def call(self, x):  # (batch, 1, 1, 1) -> (batch, 1, 1, dim)
        freqs = keras.ops.exp(keras.ops.linspace(0.0, 3.0, self.dim // 2))
        angles = 2.0 * np.pi * freqs * x
        return keras.ops.concatenate([keras.ops.sin(angles), keras.ops.cos(angles)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.dim)

    def get_config(self):
        return {**super().get_config(), "dim": self.dim}


def denoiser(size: int = 8, name: str = "network") -> keras.Model:
    """A small U-Net-like network of [noisy images, noise variances] -> predicted noise."""
    images, variances = keras.Input((size, size, 3), name="noisy_images"), keras.Input((1, 1, 1), name="noise_variances")
    e = L.UpSampling2D(size, interpolation="nearest", name="e_up")(SinusoidalEmbedding(4, name="embed")(variances))
    h = L.Concatenate(name="join")([L.Conv2D(4, 1, name="stem")(images), e])
    down = L.Conv2D(8, 3, padding="same", activation="swish", name="down")(h)
    up = L.UpSampling2D(2, name="up")(L.AveragePooling2D(2, name="pool")(down))
    h = L.Add(name="skip")([up, down])
    return keras.Model([images, variances], L.Conv2D(3, 1, kernel_initializer="zeros", name="out")(h), name=name)


@keras.saving.register_keras_serializable(package="kernest_tests")
class Diffusion(keras.Model):
    """keras.io's DDIM style: a Normalization, a network and its EMA copy inside a subclassed model."""

    def __init__(self, size: int = 8, **kwargs):
        super().__init__(**kwargs)
        self.size = size
        self.normalizer = L.Normalization(name="normalizer")
        self.network = denoiser(size, "network")
        self.ema_network = keras.models.clone_model(self.network)
        self.ema_network.name = "ema_network"

    def call(self, inputs, training=False):
        images, variances = inputs
        net = self.network if training else self.ema_network
        return net([self.normalizer(images), variances])

    def get_config(self):
        return {**super().get_config(), "size": self.size}


def diffusion(size: int = 8) -> keras.Model:
    """A built ``Diffusion`` inside a functional model, its normalizer adapted on data and its EMA copy
    holding the network's weights."""
    model = Diffusion(size, name="diffusion")
    model.normalizer.adapt(np.random.default_rng(0).random((4, size, size, 3), "float32"))
    images, variances = keras.Input((size, size, 3), name="images"), keras.Input((1, 1, 1), name="variances")
    outer = keras.Model([images, variances], model([images, variances]), name="ddim")
    model.ema_network.set_weights(model.network.get_weights())
    return outer


def conditional_gan(latent: int = 4, classes: int = 5, size: int = 6) -> keras.Model:
    """keras.io's conditional GAN: the label's Embedding concatenated with the noise in the generator, and
    with the image in the discriminator; the combined model feeds one into the other."""
    noise, label = keras.Input((latent,), name="noise"), keras.Input((1,), dtype="int32", name="label")
    cond = L.Flatten(name="g_flat")(L.Embedding(classes, 2, name="g_label_emb")(label))
    h = L.Dense(size * size, activation="tanh", name="g_fc")(L.Concatenate(name="g_join")([noise, cond]))
    generator = keras.Model([noise, label], L.Reshape((size, size, 1), name="g_image")(h), name="generator")
    image, d_label = keras.Input((size, size, 1), name="image"), keras.Input((1,), dtype="int32", name="d_label")
    plane = L.Reshape((size, size, 1), name="d_plane")(L.Embedding(classes, size * size, name="d_label_emb")(d_label))
    h = L.Conv2D(4, 3, strides=2, padding="same", name="d_conv")(L.Concatenate(name="d_join")([image, plane]))
    h = L.GlobalMaxPooling2D(name="d_pool")(L.LeakyReLU(0.2, name="d_act")(h))
    discriminator = keras.Model([image, d_label], L.Dense(1, name="d_score")(h), name="discriminator")
    z, y = keras.Input((latent,), name="z"), keras.Input((1,), dtype="int32", name="y")
    return keras.Model([z, y], discriminator([generator([z, y]), y]), name="cgan")


def actor_critic(observations: int = 4, actions: int = 2) -> keras.Model:
    """keras.io's actor-critic: one shared trunk, then a softmax actor head and a linear critic head."""
    obs = keras.Input((observations,), name="obs")
    trunk = keras.Model(obs, L.Dense(8, activation="relu", name="common")(obs), name="trunk")
    state = keras.Input((observations,), name="state")
    h = trunk(state)
    actor = L.Dense(actions, activation="softmax", name="actor")(h)
    critic = L.Dense(1, name="critic")(h)
    return keras.Model(state, [actor, critic], name="actor_critic")


def feature_space() -> keras.Model:
    """A dict of string, integer and float features through StringLookup, IntegerLookup and Normalization
    (keras.io's structured-data style, as FeatureSpace builds it) in a preprocessing submodel."""
    rng = np.random.default_rng(0)
    color = keras.Input((1,), dtype="string", name="color")
    rooms = keras.Input((1,), dtype="int32", name="rooms")
    age = keras.Input((1,), name="age")
    norm = L.Normalization(name="age_norm")
    norm.adapt(rng.normal(40.0, 10.0, (32, 1)).astype("float32"))
    encoded = L.Concatenate(name="encoded")([
        L.StringLookup(vocabulary=["red", "green", "blue"], output_mode="one_hot", name="color_lookup")(color),
        L.IntegerLookup(vocabulary=[1, 2, 3, 4], output_mode="one_hot", name="rooms_lookup")(rooms),
        norm(age),
    ])
    features = keras.Model({"color": color, "rooms": rooms, "age": age}, encoded, name="features")
    inputs = {"color": keras.Input((1,), dtype="string", name="color"),
              "rooms": keras.Input((1,), dtype="int32", name="rooms"), "age": keras.Input((1,), name="age")}
    h = L.Dense(4, activation="relu", name="fc")(features(inputs))
    return keras.Model(inputs, L.Dense(1, activation="sigmoid", name="head")(h), name="structured")


# --- new model styles (fifth batch) -----------------------------------------------------------------------

@keras.saving.register_keras_serializable(package="kernest_tests")
class OrthogonalRegularizer(keras.regularizers.Regularizer):
    """keras.io's PointNet: pushes a T-Net's predicted transform towards an orthogonal matrix."""

    def __init__(self, num_features: int, l2reg: float = 0.001):
        self.num_features, self.l2reg = num_features, l2reg

    def __call__(self, x):
        x = keras.ops.reshape(x, (-1, self.num_features, self.num_features))
        xxt = keras.ops.tensordot(x, x, axes=(2, 2))
        xxt = keras.ops.reshape(xxt, (-1, self.num_features, self.num_features))
        return keras.ops.sum(self.l2reg * keras.ops.square(xxt - keras.ops.eye(self.num_features)))

    def get_config(self):
        return {"num_features": self.num_features, "l2reg": self.l2reg}


def tnet(points: int, k: int, name: str) -> keras.Model:
    """PointNet's T-Net as a model: (points, k) -> a (k, k) transform, initialised at the identity."""
    x = keras.Input((points, k), name="points")
    h = L.Conv1D(8, 1, activation="relu", name="conv")(x)
    h = L.Dense(8, activation="relu", name="fc")(L.GlobalMaxPooling1D(name="pool")(h))
    identity = keras.initializers.Constant(np.eye(k).flatten().tolist())
    h = L.Dense(k * k, kernel_initializer="zeros", bias_initializer=identity,
                activity_regularizer=OrthogonalRegularizer(k), name="transform")(h)
    return keras.Model(x, L.Reshape((k, k), name="matrix")(h), name=name)


def pointnet(points: int = 16, classes: int = 3) -> keras.Model:
    """keras.io's PointNet classifier, small: a T-Net model predicts a 3x3 transform that a ``Dot`` applies to
    the points, a shared per-point MLP (a model) makes features, a second T-Net transforms those."""
    cloud = keras.Input((points, 3), name="cloud")
    aligned = L.Dot(axes=(2, 1), name="align_input")([cloud, tnet(points, 3, "input_tnet")(cloud)])
    per_point = keras.Sequential([L.Conv1D(6, 1, activation="relu", name="conv1"),
                                  L.BatchNormalization(name="bn1")], name="point_mlp")
    feats = per_point(aligned)
    feats = L.Dot(axes=(2, 1), name="align_features")([feats, tnet(points, 6, "feature_tnet")(feats)])
    h = L.GlobalMaxPooling1D(name="global_pool")(L.Conv1D(12, 1, activation="relu", name="conv2")(feats))
    return keras.Model(cloud, L.Dense(classes, activation="softmax", name="classes")(h), name="pointnet")


@keras.saving.register_keras_serializable(package="kernest_tests")
class LatentArray(L.Layer):
    """Perceiver's latent array: a trainable (latents, dim) weight, repeated over the batch of its input."""

    def __init__(self, latents: int, dim: int, **kwargs):
        super().__init__(**kwargs)
        self.latents, self.dim = latents, dim

    def build(self, input_shape):
        self.latent = self.add_weight(shape=(self.latents, self.dim), initializer="random_normal", name="latent")

    def call(self, data):
        batch = keras.ops.shape(data)[0]
        return keras.ops.broadcast_to(self.latent[None], (batch, self.latents, self.dim))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.latents, self.dim)

    def get_config(self):
        return {**super().get_config(), "latents": self.latents, "dim": self.dim}


def perceiver(tokens: int = 12, features: int = 5, latents: int = 4, dim: int = 8) -> keras.Model:
    """keras.io's Perceiver, small: a latent array (a weight of a custom layer) cross-attends to the data in a
    two-input model, then a latent self-attention model refines it."""
    latent_in, data_in = keras.Input((latents, dim), name="latent_array"), keras.Input((tokens, dim), name="data_array")
    q = L.LayerNormalization(name="ln_latent")(latent_in)
    kv = L.LayerNormalization(name="ln_data")(data_in)
    attended = L.MultiHeadAttention(1, dim, name="cross_mha")(q, kv)
    cross = keras.Model([latent_in, data_in], L.Add(name="skip")([attended, latent_in]), name="cross_attention")
    z = keras.Input((latents, dim), name="latents")
    h = L.Add(name="skip")([L.MultiHeadAttention(2, dim // 2, name="self_mha")(z, z), z])
    latent_block = keras.Model(z, L.Dense(dim, activation="gelu", name="ffn")(h), name="latent_transformer")
    x = keras.Input((tokens, features), name="data")
    data = L.Dense(dim, name="embed")(x)
    h = latent_block(cross([LatentArray(latents, dim, name="latent_array")(data), data]))
    h = L.GlobalAveragePooling1D(name="pool")(h)
    return keras.Model(x, L.Dense(2, name="logits")(h), name="perceiver")


def conv_mixer_block(name: str, size: int, dim: int) -> keras.Model:
    """ConvMixer's block: a depthwise conv with a residual, then a pointwise conv."""
    x = keras.Input((size, size, dim), name="patches")
    h = L.BatchNormalization(name="bn1")(L.Activation("gelu", name="act1")(
        L.DepthwiseConv2D(3, padding="same", name="depthwise")(x)))
    h = L.Add(name="residual")([h, x])
    h = L.BatchNormalization(name="bn2")(L.Activation("gelu", name="act2")(L.Conv2D(dim, 1, name="pointwise")(h)))
    return keras.Model(x, h, name=name)


def conv_mixer(size: int = 16, patch: int = 4, dim: int = 8) -> keras.Model:
    """keras.io's ConvMixer, small: a patch embedding (a strided Conv2D) in a Sequential, two ConvMixer
    blocks as models."""
    stem = keras.Sequential([L.Conv2D(dim, patch, strides=patch, name="patchify"),
                             L.Activation("gelu", name="act"), L.BatchNormalization(name="bn")], name="patch_embed")
    x = keras.Input((size, size, 3), name="image")
    h = L.Rescaling(1 / 255, name="rescale")(x)
    h = stem(h)
    for i in (1, 2):
        h = conv_mixer_block(f"mixer_{i}", size // patch, dim)(h)
    return keras.Model(x, L.Dense(4, name="logits")(L.GlobalAveragePooling2D(name="gap")(h)), name="conv_mixer")


def tab_transformer(dim: int = 8) -> keras.Model:
    """keras.io's TabTransformer, small: each categorical column has its own Embedding; the stacked column
    embeddings go through one transformer block (a model, called twice: shared over depth); numeric columns
    are layer-normalised and joined before the MLP head."""
    columns = {"color": 6, "size": 5, "shape": 7}  # the tests feed ids in [1, 5)
    inputs = {c: keras.Input((1,), dtype="int32", name=c) for c in columns}
    inputs.update({n: keras.Input((1,), name=n) for n in ("price", "weight")})
    embedded = [L.Embedding(v, dim, name=f"{c}_embedding")(inputs[c]) for c, v in columns.items()]
    tokens = L.Concatenate(axis=1, name="columns")(embedded)  # (batch, 3 columns, dim)
    block = transformer_block("column_transformer", len(columns), dim, ffn=16)
    contextual = L.Flatten(name="flat")(block(block(tokens)))
    numeric = L.LayerNormalization(name="numeric_norm")(L.Concatenate(name="numeric")([inputs["price"],
                                                                                        inputs["weight"]]))
    h = L.Dense(8, activation="selu", name="mlp")(L.Concatenate(name="joined")([contextual, numeric]))
    return keras.Model(inputs, L.Dense(1, activation="sigmoid", name="score")(h), name="tab_transformer")


def td_and_over(steps: int = 5) -> keras.Model:
    """One inner model called inside ``keras.layers.TimeDistributed`` and inside ``kernest.over`` in the same
    outer model (its weights shared by both), the two results joined."""
    x = kernest.Input((steps, 6), axes=("steps", "feats"), name="seq")
    enc = step_encoder()
    a = L.TimeDistributed(enc, name="td_steps")(x)
    b = kernest.over("steps", enc, name="over_steps")(x)
    h = L.GRU(2, name="gru")(L.Concatenate(name="both")([a, b]))
    return keras.Model(x, L.Dense(1, name="head")(h), name="td_and_over")


def preprocessing_backbone(size: int = 16) -> keras.Model:
    """Images of any size resized and rescaled by a preprocessing Sequential inside a backbone wrapper model,
    before a small conv backbone; the wrapper inside a classifier."""
    preprocess = keras.Sequential([L.Resizing(size, size, name="resize"), L.Rescaling(1 / 127.5, offset=-1,
                                                                                       name="rescale")],
                                  name="preprocess")
    features = keras.Sequential([L.Conv2D(4, 3, strides=2, activation="relu", name="conv"),
                                 L.GlobalAveragePooling2D(name="gap")], name="features")
    raw = keras.Input((None, None, 3), name="raw")
    wrapper = keras.Model(raw, features(preprocess(raw)), name="backbone")
    image = keras.Input((None, None, 3), name="image")
    return keras.Model(image, L.Dense(3, name="head")(wrapper(image)), name="any_size_classifier")
