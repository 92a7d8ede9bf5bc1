"""Real-world nested models, tenth batch: each rewritten small from the public code cited above it, keeping its
structure (the nesting, the custom layers and their quirks, the ops between layers). Kinds the first nine batches
did not have: keras.io's DDPM U-Net (an integer time step as a second input of shape ``()``, a sinusoidal time
embedding and a time MLP added into every residual block, self-attention layers holding their own Dense layers,
skip connections popped off a list; trained by a ``DiffusionModel`` holding the network and its EMA copy),
keras.io's speech Transformer (a subclassed model holding a Sequential encoder whose first layer is a strided
convolutional speech front end, decoder layers made with ``setattr``, its own ``train_step`` on a dict batch),
keras.io's audio classifier on multi-bandwidth ``STFTSpectrogram`` layers feeding a keras.applications MobileNet,
keras.io's vocal track separation network (``ops.stft`` in the functional graph, sub-band reshapes, custom blocks
that make a flat list of sublayers in ``build()``, a Conv2D/Conv2DTranspose pair of classes sharing one
``build``), keras.io's masked autoencoder reused as a linear probe (a Sequential holding a patch layer, a patch
encoder switched to its ``downstream`` mode after it was made, and the pretrained encoder model), and keras.io's
Zero-DCE (a subclassed model holding the curve-estimation network, applying its eight curves in ``call``)."""

from __future__ import annotations

import math

import keras
import numpy as np

from tests.models_4 import _floats, _ids
from tests.models_5 import Spec5

L = keras.layers
ops = keras.ops
PACKAGE = "kernest_rw10"


def register(cls):
    return keras.saving.register_keras_serializable(package=PACKAGE)(cls)


def _tensorflow() -> bool:
    return keras.backend.backend() == "tensorflow"


def _fit_through(model: keras.Model, x: object, y: object, loss: object) -> None:
    """Off TensorFlow, where keras.io's GradientTape ``train_step`` cannot run: one plain training step of a
    functional model around ``model`` (the gradients reach the same weights)."""
    inputs = keras.tree.map_structure(lambda a: keras.Input(a.shape[1:], dtype=str(a.dtype)), x)
    trainer = keras.Model(inputs, model(inputs))
    trainer.compile("adam", loss, run_eagerly=True)
    trainer.fit(x, y, batch_size=2, epochs=1, verbose=0)


# --- 1. keras.io "Denoising Diffusion Probabilistic Model" ---------------------------------------------------
# https://keras.io/examples/generative/ddpm/ (GaussianDiffusion.q_sample; kernel_init; AttentionBlock: a
# GroupNormalization and query/key/value/proj Dense layers, an einsum over the pixels; TimeEmbedding: sinusoidal
# frequencies of the integer time step; ResidualBlock, DownSample, UpSample and TimeMLP as functions making layers;
# build_model: inputs image_input and time_input of shape () int64, the skips kept in a list and popped on the way
# up; DiffusionModel(keras.Model) holding network and ema_network, train_step: random time steps, the diffused
# images, an MSE on the predicted noise, then the EMA update). keras.io's layers call tf.*; keras.ops here.

def kernel_init(scale):
    scale = max(scale, 1e-10)
    return keras.initializers.VarianceScaling(scale, mode="fan_avg", distribution="uniform")


@register
class AttentionBlock(L.Layer):
    def __init__(self, units, groups=8, **kwargs):
        self.units = units
        self.groups = groups
        super().__init__(**kwargs)
        self.norm = L.GroupNormalization(groups=groups)
        self.query = L.Dense(units, kernel_initializer=kernel_init(1.0))
        self.key = L.Dense(units, kernel_initializer=kernel_init(1.0))
        self.value = L.Dense(units, kernel_initializer=kernel_init(1.0))
        self.proj = L.Dense(units, kernel_initializer=kernel_init(0.0))

    def call(self, inputs):
        batch_size, height, width = ops.shape(inputs)[0], ops.shape(inputs)[1], ops.shape(inputs)[2]
        scale = ops.cast(self.units, "float32") ** (-0.5)
        inputs = self.norm(inputs)
        q, k, v = self.query(inputs), self.key(inputs), self.value(inputs)
        attn_score = ops.einsum("bhwc,bHWc->bhwHW", q, k) * scale
        attn_score = ops.reshape(attn_score, (batch_size, height, width, height * width))
        attn_score = ops.softmax(attn_score, -1)
        attn_score = ops.reshape(attn_score, (batch_size, height, width, height, width))
        proj = self.proj(ops.einsum("bhwHW,bHWc->bhwc", attn_score, v))
        return inputs + proj

    def get_config(self):
        return {**super().get_config(), "units": self.units, "groups": self.groups}


@register
class TimeEmbedding(L.Layer):
    def __init__(self, dim, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim
        self.half_dim = dim // 2
        self.emb = math.log(10000) / (self.half_dim - 1)
        self.emb = np.exp(np.arange(self.half_dim, dtype="float32") * -self.emb)

    def call(self, inputs):
        inputs = ops.cast(inputs, "float32")
        emb = inputs[:, None] * self.emb[None, :]
        return ops.concatenate([ops.sin(emb), ops.cos(emb)], axis=-1)

    def get_config(self):
        return {**super().get_config(), "dim": self.dim}


def ResidualBlock(width, groups=8, activation_fn=keras.activations.swish, name=None):  # noqa: N802 - keras.io's
    def apply(inputs):
        x, t = inputs
        input_width = x.shape[3]
        residual = x if input_width == width else L.Conv2D(width, 1, kernel_initializer=kernel_init(1.0),
                                                            name=f"{name}_skip")(x)
        temb = activation_fn(t)
        temb = L.Dense(width, kernel_initializer=kernel_init(1.0), name=f"{name}_temb")(temb)[:, None, None, :]
        x = L.GroupNormalization(groups=groups, name=f"{name}_norm1")(x)
        x = activation_fn(x)
        x = L.Conv2D(width, 3, padding="same", kernel_initializer=kernel_init(1.0), name=f"{name}_conv1")(x)
        x = L.Add(name=f"{name}_add_time")([x, temb])
        x = L.GroupNormalization(groups=groups, name=f"{name}_norm2")(x)
        x = activation_fn(x)
        x = L.Conv2D(width, 3, padding="same", kernel_initializer=kernel_init(0.0), name=f"{name}_conv2")(x)
        return L.Add(name=f"{name}_add_residual")([x, residual])

    return apply


def DownSample(width, name=None):  # noqa: N802 - keras.io's name
    def apply(x):
        return L.Conv2D(width, 3, strides=2, padding="same", kernel_initializer=kernel_init(1.0), name=name)(x)

    return apply


def UpSample(width, interpolation="nearest", name=None):  # noqa: N802 - keras.io's name
    def apply(x):
        x = L.UpSampling2D(size=2, interpolation=interpolation, name=f"{name}_up")(x)
        return L.Conv2D(width, 3, padding="same", kernel_initializer=kernel_init(1.0), name=f"{name}_conv")(x)

    return apply


def TimeMLP(units, activation_fn=keras.activations.swish):  # noqa: N802 - keras.io's name
    def apply(inputs):
        temb = L.Dense(units, activation=activation_fn, kernel_initializer=kernel_init(1.0), name="time_mlp_1")(inputs)
        return L.Dense(units, kernel_initializer=kernel_init(1.0), name="time_mlp_2")(temb)

    return apply


def ddpm_unet(img_size: int = 8, img_channels: int = 3, widths=(4, 8, 12), has_attention=(False, False, True),
              num_res_blocks: int = 1, norm_groups: int = 2, first_conv_channels: int = 4) -> keras.Model:
    activation_fn = keras.activations.swish
    image_input = L.Input(shape=(img_size, img_size, img_channels), name="image_input")
    time_input = keras.Input(shape=(), dtype="int64", name="time_input")
    x = L.Conv2D(first_conv_channels, (3, 3), padding="same", kernel_initializer=kernel_init(1.0), name="stem")(image_input)
    temb = TimeEmbedding(dim=first_conv_channels * 4, name="time_embedding")(time_input)
    temb = TimeMLP(units=first_conv_channels * 4, activation_fn=activation_fn)(temb)
    skips = [x]
    for i in range(len(widths)):  # DownBlock
        for j in range(num_res_blocks):
            x = ResidualBlock(widths[i], groups=norm_groups, activation_fn=activation_fn, name=f"down{i}_res{j}")([x, temb])
            if has_attention[i]:
                x = AttentionBlock(widths[i], groups=norm_groups, name=f"down{i}_attention{j}")(x)
            skips.append(x)
        if widths[i] != widths[-1]:
            x = DownSample(widths[i], name=f"downsample{i}")(x)
            skips.append(x)
    x = ResidualBlock(widths[-1], groups=norm_groups, activation_fn=activation_fn, name="mid_res0")([x, temb])
    x = AttentionBlock(widths[-1], groups=norm_groups, name="mid_attention")(x)
    x = ResidualBlock(widths[-1], groups=norm_groups, activation_fn=activation_fn, name="mid_res1")([x, temb])
    for i in reversed(range(len(widths))):  # UpBlock
        for j in range(num_res_blocks + 1):
            x = L.Concatenate(axis=-1, name=f"up{i}_skip{j}")([x, skips.pop()])
            x = ResidualBlock(widths[i], groups=norm_groups, activation_fn=activation_fn, name=f"up{i}_res{j}")([x, temb])
            if has_attention[i]:
                x = AttentionBlock(widths[i], groups=norm_groups, name=f"up{i}_attention{j}")(x)
        if i != 0:
            x = UpSample(widths[i], name=f"upsample{i}")(x)
    x = L.GroupNormalization(groups=norm_groups, name="end_norm")(x)
    x = activation_fn(x)
    x = L.Conv2D(3, (3, 3), padding="same", kernel_initializer=kernel_init(0.0), name="end_conv")(x)
    return keras.Model([image_input, time_input], x, name="unet")


class GaussianDiffusion:
    """keras.io's utility, the forward process only (what train_step uses)."""

    def __init__(self, beta_start=1e-4, beta_end=0.02, timesteps=10):
        self.timesteps = timesteps
        betas = np.linspace(beta_start, beta_end, timesteps, dtype="float64")
        alphas_cumprod = np.cumprod(1.0 - betas, axis=0)
        self.sqrt_alphas_cumprod = np.sqrt(alphas_cumprod).astype("float32")
        self.sqrt_one_minus_alphas_cumprod = np.sqrt(1.0 - alphas_cumprod).astype("float32")

    def _extract(self, a, t, x_shape):
        return ops.reshape(ops.take(a, t), (x_shape[0], 1, 1, 1))

    def q_sample(self, x_start, t, noise):
        x_start_shape = ops.shape(x_start)
        return (self._extract(self.sqrt_alphas_cumprod, t, x_start_shape) * x_start
                + self._extract(self.sqrt_one_minus_alphas_cumprod, t, x_start_shape) * noise)


class DiffusionModel(keras.Model):
    def __init__(self, network, ema_network, timesteps, gdf_util, ema=0.999):
        super().__init__()
        self.network = network
        self.ema_network = ema_network
        self.timesteps = timesteps
        self.gdf_util = gdf_util
        self.ema = ema

    def train_step(self, images):
        import tensorflow as tf  # keras.io's train_step uses a GradientTape (TensorFlow backend)

        batch_size = tf.shape(images)[0]
        t = tf.random.uniform(minval=0, maxval=self.timesteps, shape=(batch_size,), dtype=tf.int64)
        with tf.GradientTape() as tape:
            noise = tf.random.normal(shape=tf.shape(images), dtype=images.dtype)
            images_t = self.gdf_util.q_sample(images, t, noise)
            pred_noise = self.network([images_t, t], training=True)
            loss = self.loss(noise, pred_noise)
        gradients = tape.gradient(loss, self.network.trainable_weights)
        self.optimizer.apply_gradients(zip(gradients, self.network.trainable_weights, strict=True))
        for weight, ema_weight in zip(self.network.weights, self.ema_network.weights, strict=True):
            ema_weight.assign(self.ema * ema_weight + (1 - self.ema) * weight)
        return {"loss": loss}


def _data_ddpm():
    return [_floats((2, 8, 8, 3)), np.array([3, 7], "int64")], _floats((2, 8, 8, 3), 1)


def _fit_ddpm(network, x, y):
    """keras.io's DiffusionModel.train_step on TensorFlow (its EMA network a clone); elsewhere one plain step of
    the network on the noised images."""
    if _tensorflow():
        ema_network = keras.models.clone_model(network)
        ema_network.set_weights(network.get_weights())
        model = DiffusionModel(network=network, ema_network=ema_network, timesteps=10, gdf_util=GaussianDiffusion())
        model.compile(loss=keras.losses.MeanSquaredError(), optimizer=keras.optimizers.Adam(learning_rate=2e-4),
                      run_eagerly=True)
        model.fit(x[0], batch_size=2, epochs=1, verbose=0)
        return
    images_t = GaussianDiffusion().q_sample(x[0], x[1], y)
    network.compile(keras.optimizers.Adam(2e-4), "mse", run_eagerly=True)
    network.fit([ops.convert_to_numpy(images_t), x[1]], y, batch_size=2, epochs=1, verbose=0)


def _break_ddpm(model, x):  # 10x10 images into a U-Net of two halvings (10 -> 5 -> 3, up to 6, not 5)
    model([_floats((2, 10, 10, 3)), x[1]])


# --- 2. keras.io "Automatic Speech Recognition with Transformer" ---------------------------------------------
# https://keras.io/examples/audio/transformer_asr/ (TokenEmbedding: token and position Embeddings;
# SpeechFeatureEmbedding: three Conv1D of stride 2 over the spectrogram frames; TransformerEncoder and
# TransformerDecoder layers holding MultiHeadAttention, a Sequential ffn, norms and dropouts, the decoder with a
# causal mask; Transformer(keras.Model): encoder = keras.Sequential([enc_input] + encoder layers), decoder layers
# set with setattr(self, f"dec_layer_{i}", ...), a Dense classifier, call(inputs) on [source, target], a
# train_step on a dict batch {"source", "target"} shifting the target by one). keras.io's layers take no name and
# have no get_config; these take a name (for the tests' paths) and still leave the config to Keras.

class TokenEmbedding(L.Layer):
    def __init__(self, num_vocab=1000, maxlen=100, num_hid=64, **kwargs):
        super().__init__(**kwargs)
        self.emb = L.Embedding(num_vocab, num_hid, name="token_emb")
        self.pos_emb = L.Embedding(input_dim=maxlen, output_dim=num_hid, name="pos_emb")

    def call(self, x):
        maxlen = ops.shape(x)[-1]
        x = self.emb(x)
        positions = self.pos_emb(ops.arange(0, maxlen, 1))
        return x + positions


class SpeechFeatureEmbedding(L.Layer):
    def __init__(self, num_hid=64, maxlen=100, **kwargs):
        super().__init__(**kwargs)
        self.conv1 = L.Conv1D(num_hid, 11, strides=2, padding="same", activation="relu", name="conv1")
        self.conv2 = L.Conv1D(num_hid, 11, strides=2, padding="same", activation="relu", name="conv2")
        self.conv3 = L.Conv1D(num_hid, 11, strides=2, padding="same", activation="relu", name="conv3")

    def call(self, x):
        x = self.conv1(x)
        x = self.conv2(x)
        return self.conv3(x)


class TransformerEncoder(L.Layer):
    def __init__(self, embed_dim, num_heads, feed_forward_dim, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.att = L.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim, name="att")
        self.ffn = keras.Sequential([L.Dense(feed_forward_dim, activation="relu"), L.Dense(embed_dim)], name="ffn")
        self.layernorm1 = L.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = L.LayerNormalization(epsilon=1e-6)
        self.dropout1 = L.Dropout(rate)
        self.dropout2 = L.Dropout(rate)

    def call(self, inputs, training=False):
        attn_output = self.dropout1(self.att(inputs, inputs), training=training)
        out1 = self.layernorm1(inputs + attn_output)
        ffn_output = self.dropout2(self.ffn(out1), training=training)
        return self.layernorm2(out1 + ffn_output)


class TransformerDecoder(L.Layer):
    def __init__(self, embed_dim, num_heads, feed_forward_dim, dropout_rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.layernorm1 = L.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = L.LayerNormalization(epsilon=1e-6)
        self.layernorm3 = L.LayerNormalization(epsilon=1e-6)
        self.self_att = L.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim, name="self_att")
        self.enc_att = L.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim, name="enc_att")
        self.self_dropout = L.Dropout(0.5)
        self.enc_dropout = L.Dropout(0.1)
        self.ffn_dropout = L.Dropout(0.1)
        self.ffn = keras.Sequential([L.Dense(feed_forward_dim, activation="relu"), L.Dense(embed_dim)], name="ffn")

    def causal_attention_mask(self, batch_size, n_dest, n_src, dtype):
        i = ops.arange(n_dest)[:, None]
        j = ops.arange(n_src)
        m = i >= j - n_src + n_dest
        mask = ops.reshape(ops.cast(m, dtype), (1, n_dest, n_src))
        return ops.tile(mask, (batch_size, 1, 1))

    def call(self, enc_out, target):
        batch_size, seq_len = ops.shape(target)[0], ops.shape(target)[1]
        causal_mask = self.causal_attention_mask(batch_size, seq_len, seq_len, "bool")
        target_att = self.self_att(target, target, attention_mask=causal_mask)
        target_norm = self.layernorm1(target + self.self_dropout(target_att))
        enc_out = self.enc_att(target_norm, enc_out)
        enc_out_norm = self.layernorm2(self.enc_dropout(enc_out) + target_norm)
        ffn_out = self.ffn(enc_out_norm)
        return self.layernorm3(enc_out_norm + self.ffn_dropout(ffn_out))


for _cls in (TokenEmbedding, SpeechFeatureEmbedding, TransformerEncoder, TransformerDecoder):
    register(_cls)


@register
class Transformer(keras.Model):
    def __init__(self, num_hid=64, num_head=2, num_feed_forward=128, source_maxlen=100, target_maxlen=100,
                 num_layers_enc=4, num_layers_dec=1, num_classes=10, **kwargs):
        super().__init__(**kwargs)
        self.loss_metric = keras.metrics.Mean(name="loss")
        self.num_layers_enc = num_layers_enc
        self.num_layers_dec = num_layers_dec
        self.target_maxlen = target_maxlen
        self.num_classes = num_classes
        self.enc_input = SpeechFeatureEmbedding(num_hid=num_hid, maxlen=source_maxlen, name="enc_input")
        self.dec_input = TokenEmbedding(num_vocab=num_classes, maxlen=target_maxlen, num_hid=num_hid, name="dec_input")
        self.encoder = keras.Sequential(
            [self.enc_input] + [TransformerEncoder(num_hid, num_head, num_feed_forward, name=f"encoder_layer_{i}")
                                for i in range(num_layers_enc)], name="encoder")
        for i in range(num_layers_dec):
            setattr(self, f"dec_layer_{i}", TransformerDecoder(num_hid, num_head, num_feed_forward, name=f"dec_layer_{i}"))
        self.classifier = L.Dense(num_classes, name="classifier")

    def decode(self, enc_out, target):
        y = self.dec_input(target)
        for i in range(self.num_layers_dec):
            y = getattr(self, f"dec_layer_{i}")(enc_out, y)
        return y

    def call(self, inputs):
        source = inputs[0]
        target = inputs[1]
        x = self.encoder(source)
        y = self.decode(x, target)
        return self.classifier(y)

    @property
    def metrics(self):
        return [self.loss_metric]

    def train_step(self, batch):
        import tensorflow as tf  # keras.io's train_step uses a GradientTape (TensorFlow backend)

        source = batch["source"]
        target = batch["target"]
        dec_input = target[:, :-1]
        dec_target = target[:, 1:]
        with tf.GradientTape() as tape:
            preds = self([source, dec_input])
            one_hot = tf.one_hot(dec_target, depth=self.num_classes)
            mask = tf.math.logical_not(tf.math.equal(dec_target, 0))
            loss = self.compute_loss(None, one_hot, preds, sample_weight=mask)
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply_gradients(zip(gradients, trainable_vars, strict=True))
        self.loss_metric.update_state(loss)
        return {"loss": self.loss_metric.result()}


def speech_transformer(frames: int = 16, bins: int = 8, target_len: int = 6, classes: int = 10) -> keras.Model:
    model = Transformer(num_hid=8, num_head=2, num_feed_forward=16, target_maxlen=target_len, num_layers_enc=2,
                        num_layers_dec=1, num_classes=classes, name="transformer")
    model([ops.zeros((1, frames, bins)), ops.zeros((1, target_len - 1), "int32")])
    return model


def _data_asr():
    target = _ids((2, 6), 10, 1)
    target[:, 0] = 2  # "<"
    target[1, 4:] = 0  # padding
    return [_floats((2, 16, 8)), target[:, :-1]], target


def _compile_asr(model):
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1), run_eagerly=True)


def _fit_asr(model, x, target):
    if _tensorflow():
        model.fit({"source": x[0], "target": target}, batch_size=2, epochs=1, verbose=0)
        return
    one_hot = np.eye(model.num_classes, dtype="float32")[target[:, 1:]]
    _fit_through(model, x, one_hot, keras.losses.CategoricalCrossentropy(from_logits=True))


def _break_asr(model, x):  # spectrograms of 10 frequency bins (another fft_length) into a front end made for 8
    model([_floats((2, 16, 10)), x[1]])


# --- 3. keras.io "Audio Classification with the STFTSpectrogram layer" ---------------------------------------
# https://keras.io/examples/audio/stft/ (the 2D model: three trainable STFTSpectrogram layers of frame lengths
# 30, 40 and 50 ms over one raw mono wave of any length, padding="same" and expand_dims=True so that they align,
# concatenated as the three channels of an image for keras.applications.MobileNet(include_top=False,
# pooling="max"), then Dropout and Dense layers). A sample rate of 800 Hz and MobileNet(alpha=0.25,
# weights=None) keep it small.

SAMPLE_RATE = 800


def stft_classifier(num_classes: int = 4) -> keras.Model:
    input = L.Input((None, 1), name="wave")  # noqa: A001 - keras.io's name
    spectrograms = [
        L.STFTSpectrogram(mode="log", frame_length=SAMPLE_RATE * frame_size // 1000, frame_step=SAMPLE_RATE * 15 // 1000,
                          fft_length=64, padding="same", expand_dims=True, name=f"stft_{frame_size}ms")(input)
        for frame_size in [30, 40, 50]
    ]
    multi_spectrograms = L.Concatenate(axis=-1, name="multi_spectrograms")(spectrograms)
    img_model = keras.applications.MobileNet(include_top=False, pooling="max", weights=None, alpha=0.25)
    output = img_model(multi_spectrograms)
    output = L.Dropout(0.5, name="dropout")(output)
    output = L.Dense(8, activation="relu", name="dense_1")(output)
    output = L.Dense(8, activation="relu", name="dense_2")(output)
    output = L.Dense(num_classes, activation="softmax", name="predictions")(output)
    return keras.Model(input, output, name="model_2d_trainble_stft")


def _break_stft(model, x):  # a stereo recording into the model made for one channel
    model(np.concatenate([x, x], axis=-1))


# --- 4. keras.io "Vocal Track Separation with Encoder-Decoder Architecture" ---------------------------------
# https://keras.io/examples/audio/vocal_track_separation/ (stft: ops.stft, real and imaginary parts stacked, the
# last frequency dropped with ops.split; TimeDistributedDenseBlock, TimeFrequencyConvolution: GroupNormalization
# (groups=-1) and their Dense/Conv2D made in build(); TimeFrequencyTransformBlock: a flat list of sublayers made in
# build(), four per repeat, the last a 1x1 residual convolution; Downscale with conv_cls = Conv2D and Upscale(
# Downscale) with conv_cls = Conv2DTranspose; build_model: the spectrogram's sub-bands reshaped into channels, an
# encoder of TFC_TDF blocks and downscales, a bottleneck, a decoder concatenating upscaled features with the
# encoder's outputs, the mixture concatenated back, reshaped to instrument-wise spectrograms; spectral_loss on the
# target's STFT). keras.io's layers have no get_config (Keras records their constructor's arguments).

N_SUBBANDS, CHUNK_SIZE, STFT_N_FFT, STFT_HOP_LENGTH, N_INSTRUMENTS = 4, 496, 64, 16, 1


def stft(inputs, fft_size=STFT_N_FFT, sequence_stride=STFT_HOP_LENGTH):
    real_x, imag_x = ops.stft(inputs, fft_size, sequence_stride, fft_size)
    real_x, imag_x = ops.expand_dims(real_x, -1), ops.expand_dims(imag_x, -1)
    x = ops.concatenate((real_x, imag_x), axis=-1)
    return ops.split(x, [x.shape[2] - 1], axis=2)[0]  # drop the last frequency


@register
class TimeDistributedDenseBlock(L.Layer):
    def __init__(self, bottleneck_factor, fft_dim, **kwargs):
        super().__init__(**kwargs)
        self.fft_dim = fft_dim
        self.hidden_dim = fft_dim // bottleneck_factor

    def build(self, *_):
        self.group_norm_1 = L.GroupNormalization(groups=-1)
        self.group_norm_2 = L.GroupNormalization(groups=-1)
        self.dense_1 = L.Dense(self.hidden_dim, use_bias=False)
        self.dense_2 = L.Dense(self.fft_dim, use_bias=False)

    def call(self, x):
        x = ops.gelu(self.group_norm_1(x))
        x = ops.swapaxes(x, -1, -2)
        x = self.dense_1(x)
        x = ops.gelu(self.group_norm_2(ops.swapaxes(x, -1, -2)))
        x = ops.swapaxes(x, -1, -2)
        x = self.dense_2(x)
        return ops.swapaxes(x, -1, -2)


@register
class TimeFrequencyConvolution(L.Layer):
    def __init__(self, channels, **kwargs):
        super().__init__(**kwargs)
        self.channels = channels

    def build(self, *_):
        self.group_norm = L.GroupNormalization(groups=-1)
        self.conv = L.Conv2D(self.channels, 3, padding="same", use_bias=False)

    def call(self, x):
        return self.conv(ops.gelu(self.group_norm(x)))


@register
class TimeFrequencyTransformBlock(L.Layer):
    def __init__(self, channels, length, fft_dim, bottleneck_factor, in_channels=None, **kwargs):
        super().__init__(**kwargs)
        self.channels = channels
        self.length = length
        self.fft_dim = fft_dim
        self.bottleneck_factor = bottleneck_factor
        self.in_channels = in_channels or channels

    def build(self, *_):
        self.blocks = []
        for i in range(self.length):  # a flat list, four layers per repeat
            in_channels = self.channels if i > 0 else self.in_channels
            self.blocks.append(TimeFrequencyConvolution(in_channels))
            self.blocks.append(TimeDistributedDenseBlock(self.bottleneck_factor, self.fft_dim))
            self.blocks.append(TimeFrequencyConvolution(self.channels))
            self.blocks.append(L.Conv2D(self.channels, 1, 1, use_bias=False))

    def call(self, inputs):
        x = inputs
        for i in range(0, len(self.blocks), 4):
            tfc_1 = self.blocks[i](x)
            tdf = self.blocks[i + 1](x)
            tfc_2 = self.blocks[i + 2](tfc_1 + tdf)
            x = tfc_2 + self.blocks[i + 3](x)  # residual connection
        return x


@register
class Downscale(L.Layer):
    conv_cls = L.Conv2D

    def __init__(self, channels, scale, **kwargs):
        super().__init__(**kwargs)
        self.channels = channels
        self.scale = scale

    def build(self, *_):
        self.conv = self.conv_cls(self.channels, self.scale, self.scale, use_bias=False)
        self.norm = L.GroupNormalization(groups=-1)

    def call(self, inputs):
        return self.norm(ops.gelu(self.conv(inputs)))


@register
class Upscale(Downscale):
    conv_cls = L.Conv2DTranspose


def build_model(inputs, n_instruments=N_INSTRUMENTS, n_subbands=N_SUBBANDS, channels=4,
                fft_dim=(STFT_N_FFT // 2) // N_SUBBANDS, n_scales=2, scale=(2, 2), block_size=1, growth=4,
                bottleneck_factor=2, **kwargs):
    x = stft(inputs)
    mix = ops.reshape(x, (-1, x.shape[1], x.shape[2] // n_subbands, 2 * n_subbands))  # sub-bands as channels
    first_conv_out = L.Conv2D(channels, 1, 1, use_bias=False, name="first_conv")(mix)
    x = first_conv_out
    encoder_outs = []
    for i in range(n_scales):
        x = TimeFrequencyTransformBlock(channels, block_size, fft_dim, bottleneck_factor, name=f"encoder_tfc_tdf_{i}")(x)
        encoder_outs.append(x)
        fft_dim, channels = fft_dim // scale[0], channels + growth
        x = Downscale(channels, scale, name=f"downscale_{i}")(x)
    x = TimeFrequencyTransformBlock(channels, block_size, fft_dim, bottleneck_factor, name="bottleneck")(x)
    for i in range(n_scales):
        fft_dim, channels = fft_dim * scale[0], channels - growth
        x = ops.concatenate([Upscale(channels, scale, name=f"upscale_{i}")(x), encoder_outs.pop()], axis=-1)
        x = TimeFrequencyTransformBlock(channels, block_size, fft_dim, bottleneck_factor, in_channels=x.shape[-1],
                                        name=f"decoder_tfc_tdf_{i}")(x)
    x = ops.concatenate([mix, x * first_conv_out], axis=-1)
    x = L.Conv2D(channels, 1, 1, use_bias=False, activation="gelu", name="final_conv_1")(x)
    x = L.Conv2D(n_instruments * n_subbands * 2, 1, 1, use_bias=False, name="final_conv_2")(x)
    x = ops.reshape(x, (-1, x.shape[1], x.shape[2] * n_subbands, n_instruments, 2))  # instrument-wise STFT
    x = ops.transpose(x, (0, 3, 1, 2, 4))
    x = ops.reshape(x, (-1, n_instruments, x.shape[2], x.shape[3] * 2))
    return keras.Model(inputs=inputs, outputs=x, **kwargs)


def vocal_separation() -> keras.Model:
    return build_model(keras.Input((CHUNK_SIZE,), name="mixture"), name="tfc_tdf_net")


def target_to_stft(y):
    y = ops.reshape(y, (-1, CHUNK_SIZE))
    y_real, y_imag = ops.stft(y, STFT_N_FFT, STFT_HOP_LENGTH, STFT_N_FFT)
    y_real, y_imag = y_real[..., :-1], y_imag[..., :-1]
    y = ops.stack([y_real, y_imag], axis=-1)
    return ops.reshape(y, (-1, N_INSTRUMENTS, y.shape[1], y.shape[2] * 2))


@keras.saving.register_keras_serializable(package=PACKAGE)
def spectral_loss(y_true, y_pred):
    return ops.mean(ops.absolute(target_to_stft(y_true) - y_pred))


def _copy_block(old: L.Layer) -> L.Layer:
    """A copy of a block that makes its sublayers in ``build(self, *_)`` (Keras records no build shape for it):
    built by a call on zeros of the shape it was called on in the model, then given the same weights."""
    new = old.__class__.from_config(old.get_config())
    new(ops.zeros((1, *old.input.shape[1:])))
    new.set_weights(old.get_weights())
    return new


def _break_vocal(model, x):  # chunks of 512 samples (33 frames: 33 -> 16 -> 32 on the way up) into a net of 496
    model(_floats((2, 512)))


# --- 5. keras.io "Masked image modeling with Autoencoders", its linear probe ---------------------------------
# https://keras.io/examples/vision/masked_image_modeling/ (Patches: extract_patches then a Reshape; PatchEncoder:
# a trainable mask token, its projection Dense and position Embedding made in build(), ``downstream`` returning
# only the patch embeddings, else the unmasked and masked embeddings and their indices; create_encoder /
# create_decoder: ViT blocks as functional models "mae_encoder" / "mae_decoder"; MaskedAutoencoder(keras.Model)
# holding the augmentation models, the patch layer, patch encoder, encoder and decoder; then the linear probe:
# ``patch_encoder.downstream = True`` set on the pretrained layer and a Sequential of [Input, patch_layer,
# patch_encoder, encoder, BatchNormalization, GlobalAveragePooling1D, Dense]). keras.io's layers have no
# get_config; its mask token, a tf.Variable, is a Keras weight here.

IMAGE_SIZE, PATCH_SIZE, ENC_PROJECTION_DIM, DEC_PROJECTION_DIM, MASK_PROPORTION = 8, 2, 8, 8, 0.75
NUM_PATCHES = (IMAGE_SIZE // PATCH_SIZE) ** 2


@register
class Patches(L.Layer):
    def __init__(self, patch_size=PATCH_SIZE, **kwargs):
        super().__init__(**kwargs)
        self.patch_size = patch_size
        self.resize = L.Reshape((-1, patch_size * patch_size * 3))

    def call(self, images):
        return self.resize(ops.image.extract_patches(images, self.patch_size))


@register
class PatchEncoder(L.Layer):
    def __init__(self, patch_size=PATCH_SIZE, projection_dim=ENC_PROJECTION_DIM, mask_proportion=MASK_PROPORTION,
                 downstream=False, **kwargs):
        super().__init__(**kwargs)
        self.patch_size = patch_size
        self.projection_dim = projection_dim
        self.mask_proportion = mask_proportion
        self.downstream = downstream
        self.mask_token = self.add_weight(shape=(1, patch_size * patch_size * 3), initializer="random_normal",
                                          name="mask_token")
        self.seed_generator = keras.random.SeedGenerator(42)

    def build(self, input_shape):
        (_, self.num_patches, self.patch_area) = input_shape
        self.projection = L.Dense(units=self.projection_dim)
        self.position_embedding = L.Embedding(input_dim=self.num_patches, output_dim=self.projection_dim)
        self.num_mask = int(self.mask_proportion * self.num_patches)

    def call(self, patches):
        batch_size = ops.shape(patches)[0]
        positions = ops.arange(0, self.num_patches, 1)
        pos_embeddings = ops.tile(self.position_embedding(positions[None, ...]), (batch_size, 1, 1))
        patch_embeddings = self.projection(patches) + pos_embeddings  # (B, num_patches, projection_dim)
        if self.downstream:
            return patch_embeddings
        mask_indices, unmask_indices = self.get_random_indices(batch_size)
        unmasked_embeddings = ops.take_along_axis(patch_embeddings, unmask_indices[..., None], axis=1)
        unmasked_positions = ops.take_along_axis(pos_embeddings, unmask_indices[..., None], axis=1)
        masked_positions = ops.take_along_axis(pos_embeddings, mask_indices[..., None], axis=1)
        mask_tokens = ops.repeat(self.mask_token, repeats=self.num_mask, axis=0)
        mask_tokens = ops.repeat(mask_tokens[None, ...], repeats=batch_size, axis=0)
        masked_embeddings = self.projection(mask_tokens) + masked_positions
        return unmasked_embeddings, masked_embeddings, unmasked_positions, mask_indices, unmask_indices

    def get_random_indices(self, batch_size):
        rand_indices = ops.argsort(keras.random.uniform((batch_size, self.num_patches), seed=self.seed_generator), axis=-1)
        return rand_indices[:, : self.num_mask], rand_indices[:, self.num_mask :]


def mae_mlp(x, dropout_rate, hidden_units):
    for units in hidden_units:
        x = L.Dense(units, activation=ops.gelu)(x)
        x = L.Dropout(dropout_rate)(x)
    return x


def create_encoder(num_heads=2, num_layers=1):
    inputs = L.Input((None, ENC_PROJECTION_DIM))
    x = inputs
    for i in range(num_layers):
        x1 = L.LayerNormalization(epsilon=1e-6)(x)
        attention_output = L.MultiHeadAttention(num_heads=num_heads, key_dim=ENC_PROJECTION_DIM, dropout=0.1,
                                                name=f"encoder_attention_{i}")(x1, x1)
        x2 = L.Add()([attention_output, x])
        x3 = L.LayerNormalization(epsilon=1e-6)(x2)
        x3 = mae_mlp(x3, hidden_units=[ENC_PROJECTION_DIM * 2, ENC_PROJECTION_DIM], dropout_rate=0.1)
        x = L.Add()([x3, x2])
    return keras.Model(inputs, L.LayerNormalization(epsilon=1e-6)(x), name="mae_encoder")


def create_decoder(num_layers=1, num_heads=2, image_size=IMAGE_SIZE):
    inputs = L.Input((NUM_PATCHES, ENC_PROJECTION_DIM))
    x = L.Dense(DEC_PROJECTION_DIM)(inputs)
    for _ in range(num_layers):
        x1 = L.LayerNormalization(epsilon=1e-6)(x)
        attention_output = L.MultiHeadAttention(num_heads=num_heads, key_dim=DEC_PROJECTION_DIM, dropout=0.1)(x1, x1)
        x2 = L.Add()([attention_output, x])
        x3 = L.LayerNormalization(epsilon=1e-6)(x2)
        x3 = mae_mlp(x3, hidden_units=[DEC_PROJECTION_DIM * 2, DEC_PROJECTION_DIM], dropout_rate=0.1)
        x = L.Add()([x3, x2])
    x = L.Flatten()(L.LayerNormalization(epsilon=1e-6)(x))
    pre_final = L.Dense(units=image_size * image_size * 3, activation="sigmoid")(x)
    return keras.Model(inputs, L.Reshape((image_size, image_size, 3))(pre_final), name="mae_decoder")


def get_train_augmentation_model():
    return keras.Sequential([L.Rescaling(1 / 255.0), L.Resizing(IMAGE_SIZE + 2, IMAGE_SIZE + 2),
                             L.RandomCrop(IMAGE_SIZE, IMAGE_SIZE), L.RandomFlip("horizontal")],
                            name="train_data_augmentation")


def get_test_augmentation_model():
    return keras.Sequential([L.Rescaling(1 / 255.0), L.Resizing(IMAGE_SIZE, IMAGE_SIZE)], name="test_data_augmentation")


class MaskedAutoencoder(keras.Model):
    def __init__(self, train_augmentation_model, test_augmentation_model, patch_layer, patch_encoder, encoder,
                 decoder, **kwargs):
        super().__init__(**kwargs)
        self.train_augmentation_model = train_augmentation_model
        self.test_augmentation_model = test_augmentation_model
        self.patch_layer = patch_layer
        self.patch_encoder = patch_encoder
        self.encoder = encoder
        self.decoder = decoder

    def calculate_loss(self, images, test=False):
        augmented_images = (self.test_augmentation_model if test else self.train_augmentation_model)(images)
        patches = self.patch_layer(augmented_images)
        unmasked_embeddings, masked_embeddings, unmasked_positions, mask_indices, _ = self.patch_encoder(patches)
        encoder_outputs = self.encoder(unmasked_embeddings) + unmasked_positions
        decoder_outputs = self.decoder(ops.concatenate([encoder_outputs, masked_embeddings], axis=1))
        decoder_patches = self.patch_layer(decoder_outputs)
        loss_patch = ops.take_along_axis(patches, mask_indices[..., None], axis=1)
        loss_output = ops.take_along_axis(decoder_patches, mask_indices[..., None], axis=1)
        return ops.mean(ops.square(loss_patch - loss_output)), loss_patch, loss_output


def mae_linear_probe(num_classes: int = 3) -> keras.Model:
    patch_layer, patch_encoder = Patches(name="patches"), PatchEncoder(name="patch_encoder")
    encoder = create_encoder()
    mae_model = MaskedAutoencoder(get_train_augmentation_model(), get_test_augmentation_model(), patch_layer,
                                  patch_encoder, encoder, create_decoder(), name="mae")
    mae_model.calculate_loss(_floats((2, IMAGE_SIZE, IMAGE_SIZE, 3)) * 255)  # pretraining's forward pass builds it
    patch_encoder.downstream = True  # keras.io's switch for the probe, set on the pretrained layer
    return keras.Sequential([
        L.Input((IMAGE_SIZE, IMAGE_SIZE, 3)),
        mae_model.patch_layer,
        patch_encoder,
        mae_model.encoder,
        L.BatchNormalization(name="probe_bn"),
        L.GlobalAveragePooling1D(name="probe_pool"),
        L.Dense(num_classes, activation="softmax", name="probe_head"),
    ], name="linear_probe_model")


def _break_mae(model, x):  # 12x12 images (36 patches) into a probe pretrained on 8x8 (16 patches)
    model(_floats((2, 12, 12, 3)))


# --- 6. keras.io "Zero-DCE for low-light image enhancement" -------------------------------------------------
# https://keras.io/examples/vision/zero_dce/ (build_dce_net: seven 3x3 convolutions on images of any size, the
# later ones on concatenations with the earlier ones, 24 tanh curve maps; ZeroDCE(keras.Model) holding dce_model,
# get_enhanced_image applying the eight curves x + r * (x^2 - x) in turn, call(data) the enhanced image, losses
# (colour constancy, exposure, illumination smoothness, a SpatialConsistencyLoss with fixed difference kernels)
# in a GradientTape train_step on images alone returning the losses, save_weights/load_weights delegated to
# dce_model; infer() adds the batch axis with np.expand_dims). Four filters
# instead of 32, and an exposure patch of 4 for 8x8 images.

def build_dce_net(filters: int = 4):
    input_img = keras.Input(shape=[None, None, 3])

    def conv(name, activation="relu", units=filters):
        return L.Conv2D(units, (3, 3), strides=(1, 1), activation=activation, padding="same", name=name)

    conv1 = conv("conv1")(input_img)
    conv2 = conv("conv2")(conv1)
    conv3 = conv("conv3")(conv2)
    conv4 = conv("conv4")(conv3)
    int_con1 = L.Concatenate(axis=-1, name="int_con1")([conv4, conv3])
    conv5 = conv("conv5")(int_con1)
    int_con2 = L.Concatenate(axis=-1, name="int_con2")([conv5, conv2])
    conv6 = conv("conv6")(int_con2)
    int_con3 = L.Concatenate(axis=-1, name="int_con3")([conv6, conv1])
    x_r = conv("x_r", activation="tanh", units=24)(int_con3)
    return keras.Model(inputs=input_img, outputs=x_r, name="dce_net")


def color_constancy_loss(x):
    mean_rgb = ops.mean(x, axis=(1, 2), keepdims=True)
    mr, mg, mb = mean_rgb[:, :, :, 0], mean_rgb[:, :, :, 1], mean_rgb[:, :, :, 2]
    d_rg, d_rb, d_gb = ops.square(mr - mg), ops.square(mr - mb), ops.square(mb - mg)
    return ops.sqrt(ops.square(d_rg) + ops.square(d_rb) + ops.square(d_gb))


def exposure_loss(x, mean_val=0.6, patch=4):
    x = ops.mean(x, axis=3, keepdims=True)
    mean = ops.average_pool(x, pool_size=patch, strides=patch, padding="valid")
    return ops.mean(ops.square(mean - mean_val))


def illumination_smoothness_loss(x):
    batch_size = ops.shape(x)[0]
    h_x, w_x = ops.shape(x)[1], ops.shape(x)[2]
    count_h = (ops.shape(x)[2] - 1) * ops.shape(x)[3]
    count_w = ops.shape(x)[2] * (ops.shape(x)[3] - 1)
    h_tv = ops.sum(ops.square(x[:, 1:, :, :] - x[:, : h_x - 1, :, :]))
    w_tv = ops.sum(ops.square(x[:, :, 1:, :] - x[:, :, : w_x - 1, :]))
    batch_size = ops.cast(batch_size, "float32")
    return 2 * (h_tv / ops.cast(count_h, "float32") + w_tv / ops.cast(count_w, "float32")) / batch_size


class SpatialConsistancyLoss(keras.losses.Loss):  # keras.io's spelling
    def __init__(self, **kwargs):
        super().__init__(reduction=None)
        self.left_kernel = np.array([[[[0, 0, 0]], [[-1, 1, 0]], [[0, 0, 0]]]], "float32")
        self.right_kernel = np.array([[[[0, 0, 0]], [[0, 1, -1]], [[0, 0, 0]]]], "float32")
        self.up_kernel = np.array([[[[0, -1, 0]], [[0, 1, 0]], [[0, 0, 0]]]], "float32")
        self.down_kernel = np.array([[[[0, 0, 0]], [[0, 1, 0]], [[0, -1, 0]]]], "float32")
        self.pool = L.AveragePooling2D(pool_size=4)

    def __call__(self, original, enhanced):
        original_pool = self.pool(ops.mean(original, 3, keepdims=True))
        enhanced_pool = self.pool(ops.mean(enhanced, 3, keepdims=True))
        d = 0.0
        for kernel in (self.left_kernel, self.right_kernel, self.up_kernel, self.down_kernel):
            kernel = np.transpose(kernel, (1, 2, 0, 3))  # keras.io's tf.nn.conv2d filter as (3, 3, 1, 1)
            d_original = ops.conv(original_pool, kernel, strides=1, padding="same")
            d_enhanced = ops.conv(enhanced_pool, kernel, strides=1, padding="same")
            d = d + ops.square(d_original - d_enhanced)
        return d


@register
class ZeroDCE(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dce_model = build_dce_net()

    def compile(self, learning_rate, **kwargs):
        super().compile(**kwargs)
        self.optimizer = keras.optimizers.Adam(learning_rate=learning_rate)
        self.spatial_constancy_loss = SpatialConsistancyLoss()

    def get_enhanced_image(self, data, output):
        r1, r2, r3, r4 = output[:, :, :, :3], output[:, :, :, 3:6], output[:, :, :, 6:9], output[:, :, :, 9:12]
        r5, r6, r7, r8 = output[:, :, :, 12:15], output[:, :, :, 15:18], output[:, :, :, 18:21], output[:, :, :, 21:24]
        x = data + r1 * (ops.power(data, 2) - data)
        x = x + r2 * (ops.power(x, 2) - x)
        x = x + r3 * (ops.power(x, 2) - x)
        enhanced_image = x + r4 * (ops.power(x, 2) - x)
        x = enhanced_image + r5 * (ops.power(enhanced_image, 2) - enhanced_image)
        x = x + r6 * (ops.power(x, 2) - x)
        x = x + r7 * (ops.power(x, 2) - x)
        return x + r8 * (ops.power(x, 2) - x)

    def call(self, data):
        dce_net_output = self.dce_model(data)
        return self.get_enhanced_image(data, dce_net_output)

    def _calculate_losses(self, data, output):
        output = self.dce_model(data)
        enhanced_image = self.get_enhanced_image(data, output)
        loss_illumination = 200 * illumination_smoothness_loss(output)
        loss_spatial_constancy = ops.mean(self.spatial_constancy_loss(enhanced_image, data))
        loss_color_constancy = 5 * ops.mean(color_constancy_loss(enhanced_image))
        loss_exposure = 10 * ops.mean(exposure_loss(enhanced_image))
        total_loss = loss_illumination + loss_spatial_constancy + loss_color_constancy + loss_exposure
        return {"total_loss": total_loss, "illumination_smoothness_loss": loss_illumination,
                "spatial_constancy_loss": loss_spatial_constancy, "color_constancy_loss": loss_color_constancy,
                "exposure_loss": loss_exposure}

    def train_step(self, data):
        import tensorflow as tf  # keras.io's train_step uses a GradientTape (TensorFlow backend)

        with tf.GradientTape() as tape:
            output = self.dce_model(data)
            losses = self._calculate_losses(data, output)
        gradients = tape.gradient(losses["total_loss"], self.dce_model.trainable_weights)
        self.optimizer.apply_gradients(zip(gradients, self.dce_model.trainable_weights, strict=True))
        return losses

    def test_step(self, data):
        return self._calculate_losses(data, self.dce_model(data))

    def save_weights(self, filepath, overwrite=True):
        self.dce_model.save_weights(filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False):
        self.dce_model.load_weights(filepath, skip_mismatch=skip_mismatch)


def zero_dce(size: int = 8) -> keras.Model:
    model = ZeroDCE(name="zero_dce")
    model(ops.zeros((1, size, size, 3)))
    return model


def _fit_zero_dce(model, x, y):
    if _tensorflow():
        model.fit(x, batch_size=2, epochs=1, verbose=0)
        return
    _fit_through(model, x, np.clip(x * 1.5, 0, 1), "mse")  # brighter images as targets


def _break_zero_dce(model, x):  # one image without its batch axis
    model(x[0])


# --- how each model is fed, trained, copied and broken ----------------------------------------------------

def outputs_of(model: keras.Model, x: object) -> object:
    """What a model gives for ``x`` at inference (dropout and random augmentation off)."""
    return model(x, training=False)


def _compile_mse(model):
    model.compile("adam", "mse", run_eagerly=True)


def _fit_plain(model, x, y):
    model.fit(x, y, batch_size=2, epochs=1, verbose=0)


SPECS = [
    Spec5(ddpm_unet, _data_ddpm, "mid_attention/dense*", "down2_attention0", "down0_*",
          compile=lambda model: None, fit=_fit_ddpm,
          expect_paths=("time_embedding", "time_mlp_2", "mid_attention", "up2_attention1", "end_conv"),
          breaks=_break_ddpm, explains=r"(?s)^(?!.*keras\.Sequential\(\[).*'image_input'.*Resizing\(8, 8\)"),
    Spec5(speech_transformer, _data_asr, "encoder/enc_input/conv2", "encoder", "encoder/enc_input*",
          compile=_compile_asr, fit=_fit_asr, refuses=("replace", "save", "cli_file"),
          expect_paths=("encoder/encoder_layer_1/att", "dec_layer_0/enc_att", "dec_input/pos_emb", "classifier"),
          breaks=_break_asr, explains=r"(?s)enc_input/conv1.*10 features but encoder was built for 8"),
    Spec5(stft_classifier, lambda: (_floats((2, 384, 1)), np.array([0, 3])), "mobilenet_0.25_None/conv1",
          "mobilenet_0.25_None", "stft_*", compile=lambda model: model.compile(
              keras.optimizers.Adam(1e-4), "sparse_categorical_crossentropy", run_eagerly=True),
          expect_paths=("stft_30ms", "mobilenet_0.25_None/conv_pw_13", "predictions"),
          breaks=_break_stft, explains=r"(?s)^(?!.*Conv2D\(3, 1\)).*'wave'.*\(batch, \?, 1\).*\(batch, 384, 2\)"),
    Spec5(vocal_separation, lambda: (_floats((2, CHUNK_SIZE)), _floats((2, 1, CHUNK_SIZE), 1)),
          "encoder_tfc_tdf_0/*", "bottleneck", "encoder_*", copy=_copy_block, compile=lambda model: model.compile(
              "adam", spectral_loss, run_eagerly=True),
          expect_paths=("first_conv", "downscale_1", "upscale_0", "decoder_tfc_tdf_1", "final_conv_2"),
          breaks=_break_vocal, explains=r"(?s)^(?!.*Dense\(496\)).*512.*496"),
    Spec5(mae_linear_probe, lambda: (_floats((2, 8, 8, 3)), np.array([0, 2])), "mae_encoder/encoder_attention_0",
          "mae_encoder", "mae_encoder", compile=lambda model: model.compile(
              "adam", "sparse_categorical_crossentropy", run_eagerly=True),
          expect_paths=("patches", "patch_encoder", "mae_encoder/encoder_attention_0", "probe_head"),
          # the trial rebuild copies patch_encoder with downstream=True (as save and replace do): it names the blocker
          breaks=_break_mae, explains=r"(?s)^(?=.*12x12)(?=.*Resizing\(8, 8\))(?=.*patch_encoder is made for 8x8)"),
    Spec5(zero_dce, lambda: (_floats((2, 8, 8, 3)), None), "dce_net/conv5", "dce_net", "dce_net/conv[1-3]",
          compile=lambda model: model.compile(learning_rate=1e-4, run_eagerly=True), fit=_fit_zero_dce,
          refuses=("replace",),
          expect_paths=("dce_net/int_con3", "dce_net/x_r"), breaks=_break_zero_dce,
          explains=r"(?s)^(?!.*rebuild it).*batch axis.*np\.expand_dims\(x\[0\], 0\)"),
]
