"""Real-world nested models, sixth batch: each rewritten small from the public code cited above it, keeping its
structure (the nesting, the custom layers and their quirks, the ops between layers). Kinds the first five
batches did not have: shifted-window attention with a relative position bias and a mask made in ``build()``
(Swin), a convolutional tokenizer holding a Sequential with stochastic depth and sequence pooling (CCT),
tubelet embedding of videos with a position table made in ``build()`` (ViViT), a speech model with a conv
front-end submodel over a time axis of any length and a CTC loss (DeepSpeech2), a subclassed ranking model
holding its embeddings in a dict and a feature-cross layer called on two tensors (DCN), a classifier nesting a
model cut from a pretrained BERT-style MLM at an intermediate layer (a position table added as a constant),
a hierarchical attention network whose masks flow inside the sentence encoder under ``TimeDistributed``, a
tied autoencoder whose decoder layers hold the encoder's Dense layers (a layer shared across two
Sequentials), a multimodal model whose input is a list holding a dict (a vision encoder taking a list of two
images through one shared backbone, a text encoder taking a dict), and a keras.applications backbone under
``TimeDistributed`` with an explicit frame mask given to a GRU."""

from __future__ import annotations

import keras
import numpy as np

from tests.models_4 import _compile_plain, _floats, _ids
from tests.models_5 import Spec5

L = keras.layers
ops = keras.ops
PACKAGE = "kernest_rw6"


def register(cls):
    return keras.saving.register_keras_serializable(package=PACKAGE)(cls)


# --- 1. keras.io "Image classification with Swin Transformers" --------------------------------------------
# https://keras.io/examples/vision/swin_transformers/ (window_partition, window_reverse, WindowAttention with
# its relative position bias table and index, SwinTransformer with the shifted-window mask made in build(),
# PatchExtract, PatchEmbedding, PatchMerging); the blocks here in a backbone model nested in a classifier.

def window_partition(x, window_size):
    _, height, width, channels = x.shape
    patch_num_y, patch_num_x = height // window_size, width // window_size
    x = ops.reshape(x, (-1, patch_num_y, window_size, patch_num_x, window_size, channels))
    x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
    return ops.reshape(x, (-1, window_size, window_size, channels))


def window_reverse(windows, window_size, height, width, channels):
    patch_num_y, patch_num_x = height // window_size, width // window_size
    x = ops.reshape(windows, (-1, patch_num_y, patch_num_x, window_size, window_size, channels))
    x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
    return ops.reshape(x, (-1, height, width, channels))


@register
class WindowAttention(L.Layer):
    def __init__(self, dim, window_size, num_heads, qkv_bias=True, dropout_rate=0.0, **kwargs):
        super().__init__(**kwargs)
        self.dim, self.window_size, self.num_heads = dim, tuple(window_size), num_heads
        self.qkv_bias, self.dropout_rate = qkv_bias, dropout_rate
        self.scale = (dim // num_heads) ** -0.5
        self.qkv = L.Dense(dim * 3, use_bias=qkv_bias, name="qkv")
        self.dropout = L.Dropout(dropout_rate)
        self.proj = L.Dense(dim, name="proj")
        wy, wx = self.window_size
        coords = np.stack(np.meshgrid(np.arange(wy), np.arange(wx), indexing="ij")).reshape(2, -1)
        relative = (coords[:, :, None] - coords[:, None, :]).transpose(1, 2, 0)
        relative[:, :, 0] += wy - 1
        relative[:, :, 1] += wx - 1
        relative[:, :, 0] *= 2 * wx - 1
        index = relative.sum(-1)
        self.relative_position_index = keras.Variable(initializer=index, shape=index.shape, dtype="int32",
                                                      trainable=False, name="position_index")

    def build(self, input_shape):
        wy, wx = self.window_size
        self.relative_position_bias_table = self.add_weight(
            shape=((2 * wy - 1) * (2 * wx - 1), self.num_heads), initializer="zeros", name="bias_table")
        super().build(input_shape)

    def call(self, x, mask=None):
        _, size, channels = x.shape
        head_dim = channels // self.num_heads
        x_qkv = ops.reshape(self.qkv(x), (-1, size, 3, self.num_heads, head_dim))
        x_qkv = ops.transpose(x_qkv, (2, 0, 3, 1, 4))
        q, k, v = x_qkv[0] * self.scale, x_qkv[1], x_qkv[2]
        attn = q @ ops.transpose(k, (0, 1, 3, 2))
        n = self.window_size[0] * self.window_size[1]
        bias = ops.take(self.relative_position_bias_table, ops.reshape(self.relative_position_index, (-1,)), axis=0)
        attn = attn + ops.expand_dims(ops.transpose(ops.reshape(bias, (n, n, -1)), (2, 0, 1)), axis=0)
        if mask is not None:
            windows = mask.shape[0]
            mask_float = ops.cast(ops.expand_dims(ops.expand_dims(mask, axis=1), axis=0), "float32")
            attn = ops.reshape(attn, (-1, windows, self.num_heads, size, size)) + mask_float
            attn = ops.reshape(attn, (-1, self.num_heads, size, size))
        attn = self.dropout(keras.activations.softmax(attn, axis=-1))
        x_qkv = ops.reshape(ops.transpose(attn @ v, (0, 2, 1, 3)), (-1, size, channels))
        return self.dropout(self.proj(x_qkv))

    def get_config(self):
        return {**super().get_config(), "dim": self.dim, "window_size": self.window_size,
                "num_heads": self.num_heads, "qkv_bias": self.qkv_bias, "dropout_rate": self.dropout_rate}


@register
class SwinTransformer(L.Layer):
    def __init__(self, dim, num_patch, num_heads, window_size=2, shift_size=0, num_mlp=16, qkv_bias=True,
                 dropout_rate=0.0, **kwargs):
        super().__init__(**kwargs)
        self.dim, self.num_patch, self.num_heads = dim, tuple(num_patch), num_heads
        self.window_size, self.shift_size, self.num_mlp = window_size, shift_size, num_mlp
        self.qkv_bias, self.dropout_rate = qkv_bias, dropout_rate
        self.norm1 = L.LayerNormalization(epsilon=1e-5, name="norm1")
        self.attn = WindowAttention(dim, (window_size, window_size), num_heads, qkv_bias, dropout_rate, name="attn")
        self.drop_path = L.Dropout(dropout_rate)
        self.norm2 = L.LayerNormalization(epsilon=1e-5, name="norm2")
        self.mlp = keras.Sequential([L.Dense(num_mlp), L.Activation(keras.activations.gelu), L.Dropout(dropout_rate),
                                     L.Dense(dim), L.Dropout(dropout_rate)], name="mlp")

    def build(self, input_shape):
        if self.shift_size == 0:
            self.attn_mask = None
        else:
            height, width = self.num_patch
            slices = (slice(0, -self.window_size), slice(-self.window_size, -self.shift_size),
                      slice(-self.shift_size, None))
            mask_array = np.zeros((1, height, width, 1))
            count = 0
            for h in slices:
                for w in slices:
                    mask_array[:, h, w, :] = count
                    count += 1
            mask_windows = ops.reshape(window_partition(ops.convert_to_tensor(mask_array), self.window_size),
                                       (-1, self.window_size * self.window_size))
            attn_mask = ops.expand_dims(mask_windows, axis=1) - ops.expand_dims(mask_windows, axis=2)
            attn_mask = ops.where(attn_mask != 0, -100.0, attn_mask)
            attn_mask = ops.where(attn_mask == 0, 0.0, attn_mask)
            self.attn_mask = keras.Variable(initializer=attn_mask, shape=attn_mask.shape, dtype=attn_mask.dtype,
                                            trainable=False, name="attn_mask")
        super().build(input_shape)

    def call(self, x, training=False):
        height, width = self.num_patch
        _, _, channels = x.shape
        x_skip = x
        x = ops.reshape(self.norm1(x), (-1, height, width, channels))
        if self.shift_size > 0:
            x = ops.roll(x, shift=[-self.shift_size, -self.shift_size], axis=[1, 2])
        x_windows = ops.reshape(window_partition(x, self.window_size), (-1, self.window_size ** 2, channels))
        attn_windows = self.attn(x_windows, mask=self.attn_mask)
        attn_windows = ops.reshape(attn_windows, (-1, self.window_size, self.window_size, channels))
        x = window_reverse(attn_windows, self.window_size, height, width, channels)
        if self.shift_size > 0:
            x = ops.roll(x, shift=[self.shift_size, self.shift_size], axis=[1, 2])
        x = x_skip + self.drop_path(ops.reshape(x, (-1, height * width, channels)), training=training)
        return x + self.drop_path(self.mlp(self.norm2(x)))

    def get_config(self):
        return {**super().get_config(), "dim": self.dim, "num_patch": self.num_patch, "num_heads": self.num_heads,
                "window_size": self.window_size, "shift_size": self.shift_size, "num_mlp": self.num_mlp,
                "qkv_bias": self.qkv_bias, "dropout_rate": self.dropout_rate}


@register
class PatchExtract(L.Layer):
    def __init__(self, patch_size, **kwargs):
        super().__init__(**kwargs)
        self.patch_size = patch_size

    def call(self, images):
        batch_size = ops.shape(images)[0]
        patches = ops.image.extract_patches(images, size=(self.patch_size, self.patch_size))
        return ops.reshape(patches, (batch_size, patches.shape[1] * patches.shape[2], patches.shape[-1]))

    def get_config(self):
        return {**super().get_config(), "patch_size": self.patch_size}


@register
class PatchEmbedding(L.Layer):
    def __init__(self, num_patch, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.num_patch, self.embed_dim = num_patch, embed_dim
        self.proj = L.Dense(embed_dim, name="proj")
        self.pos_embed = L.Embedding(input_dim=num_patch, output_dim=embed_dim, name="pos_embed")

    def call(self, patch):
        return self.proj(patch) + self.pos_embed(ops.arange(start=0, stop=self.num_patch))

    def get_config(self):
        return {**super().get_config(), "num_patch": self.num_patch, "embed_dim": self.embed_dim}


@register
class PatchMerging(L.Layer):
    def __init__(self, num_patch, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.num_patch, self.embed_dim = tuple(num_patch), embed_dim
        self.linear_trans = L.Dense(2 * embed_dim, use_bias=False, name="linear_trans")

    def call(self, x):
        height, width = self.num_patch
        _, _, c = x.shape
        x = ops.reshape(x, (-1, height, width, c))
        parts = [x[:, 0::2, 0::2, :], x[:, 1::2, 0::2, :], x[:, 0::2, 1::2, :], x[:, 1::2, 1::2, :]]
        x = ops.reshape(ops.concatenate(parts, axis=-1), (-1, (height // 2) * (width // 2), 4 * c))
        return self.linear_trans(x)

    def get_config(self):
        return {**super().get_config(), "num_patch": self.num_patch, "embed_dim": self.embed_dim}


def swin(size: int = 8, patch: int = 2, dim: int = 8, classes: int = 3) -> keras.Model:
    grid = size // patch
    image = keras.Input((size, size, 3), name="image")
    x = PatchExtract(patch, name="patch_extract")(image)
    x = PatchEmbedding(grid * grid, dim, name="patch_embedding")(x)
    x = SwinTransformer(dim, (grid, grid), 2, window_size=2, shift_size=0, name="swin_block_0")(x)
    x = SwinTransformer(dim, (grid, grid), 2, window_size=2, shift_size=1, name="swin_block_1")(x)
    x = PatchMerging((grid, grid), dim, name="patch_merging")(x)
    backbone = keras.Model(image, L.GlobalAveragePooling1D(name="gap")(x), name="swin_backbone")
    inputs = keras.Input((size, size, 3), name="input_image")
    x = L.RandomFlip("horizontal", name="flip")(inputs)
    return keras.Model(inputs, L.Dense(classes, activation="softmax", name="head")(backbone(x)), name="swin")


# --- 2. keras.io "Compact Convolutional Transformers" ------------------------------------------------------
# https://keras.io/examples/vision/cct/ (CCTTokenizer holds a Sequential of convolutions; PositionEmbedding;
# SequencePooling; StochasticDepth with a SeedGenerator; the data_augmentation Sequential in front)

@register
class CCTTokenizer(L.Layer):
    def __init__(self, kernel_size=3, stride=1, padding=1, pooling_kernel_size=3, pooling_stride=2,
                 num_conv_layers=2, num_output_channels=(4, 8), **kwargs):
        super().__init__(**kwargs)
        self.config = dict(kernel_size=kernel_size, stride=stride, padding=padding,
                           pooling_kernel_size=pooling_kernel_size, pooling_stride=pooling_stride,
                           num_conv_layers=num_conv_layers, num_output_channels=list(num_output_channels))
        self.conv_model = keras.Sequential(name="conv_model")
        for i in range(num_conv_layers):
            self.conv_model.add(L.Conv2D(num_output_channels[i], kernel_size, stride, padding="valid", use_bias=False,
                                         activation="relu", kernel_initializer="he_normal"))
            self.conv_model.add(L.ZeroPadding2D(padding))
            self.conv_model.add(L.MaxPooling2D(pooling_kernel_size, pooling_stride, "same"))

    def call(self, images):
        outputs = self.conv_model(images)
        return ops.reshape(outputs, (-1, ops.shape(outputs)[1] * ops.shape(outputs)[2], ops.shape(outputs)[-1]))

    def get_config(self):
        return {**super().get_config(), **self.config}


@register
class PositionEmbedding(L.Layer):
    def __init__(self, sequence_length, initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.sequence_length = int(sequence_length)
        self.initializer = keras.initializers.get(initializer)

    def build(self, input_shape):
        self.position_embeddings = self.add_weight(name="embeddings", shape=[self.sequence_length, input_shape[-1]],
                                                   initializer=self.initializer, trainable=True)

    def call(self, inputs, start_index=0):
        shape = ops.shape(inputs)
        position_embeddings = ops.slice(ops.convert_to_tensor(self.position_embeddings), (start_index, 0),
                                        (shape[-2], shape[-1]))
        return ops.broadcast_to(position_embeddings, shape)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "sequence_length": self.sequence_length,
                "initializer": keras.initializers.serialize(self.initializer)}


@register
class SequencePooling(L.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.attention = L.Dense(1, name="attention")

    def call(self, x):
        attention_weights = ops.transpose(ops.softmax(self.attention(x), axis=1), axes=(0, 2, 1))
        return ops.squeeze(ops.matmul(attention_weights, x), -2)


@register
class StochasticDepth(L.Layer):
    def __init__(self, drop_prop, **kwargs):
        super().__init__(**kwargs)
        self.drop_prob = drop_prop
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, x, training=None):
        if training:
            keep_prob = 1 - self.drop_prob
            shape = (ops.shape(x)[0],) + (1,) * (len(x.shape) - 1)
            random_tensor = ops.floor(keep_prob + keras.random.uniform(shape, 0, 1, seed=self.seed_generator))
            return (x / keep_prob) * random_tensor
        return x

    def get_config(self):
        return {**super().get_config(), "drop_prop": self.drop_prob}


def cct(size: int = 12, dim: int = 8, layers: int = 2, classes: int = 3) -> keras.Model:
    data_augmentation = keras.Sequential([L.Rescaling(scale=1.0 / 255), L.RandomCrop(size, size),
                                          L.RandomFlip("horizontal")], name="data_augmentation")
    inputs = keras.Input((size, size, 3), name="images")
    encoded_patches = CCTTokenizer(num_output_channels=(4, dim), name="cct_tokenizer")(data_augmentation(inputs))
    encoded_patches += PositionEmbedding(sequence_length=encoded_patches.shape[1], name="position_embedding")(
        encoded_patches)
    for i, rate in enumerate(np.linspace(0, 0.1, layers)):
        x1 = L.LayerNormalization(epsilon=1e-5, name=f"ln1_{i}")(encoded_patches)
        attention_output = L.MultiHeadAttention(num_heads=2, key_dim=dim, dropout=0.1, name=f"mha_{i}")(x1, x1)
        x2 = L.Add()([StochasticDepth(float(rate), name=f"drop_path_a{i}")(attention_output), encoded_patches])
        x3 = L.LayerNormalization(epsilon=1e-5, name=f"ln2_{i}")(x2)
        for units in (dim, dim):
            x3 = L.Dropout(0.1)(L.Dense(units, activation=keras.activations.gelu)(x3))
        encoded_patches = L.Add()([StochasticDepth(float(rate), name=f"drop_path_b{i}")(x3), x2])
    representation = L.LayerNormalization(epsilon=1e-5, name="ln_final")(encoded_patches)
    logits = L.Dense(classes, name="logits")(SequencePooling(name="sequence_pooling")(representation))
    return keras.Model(inputs, logits, name="cct")


# --- 3. keras.io "Video Vision Transformer" ----------------------------------------------------------------
# https://keras.io/examples/vision/vivit/ (TubeletEmbedding: Conv3D then Reshape; PositionalEncoder makes its
# Embedding and its positions in build(); create_vivit_classifier with an unnamed Sequential MLP per layer)

@register
class TubeletEmbedding(L.Layer):
    def __init__(self, embed_dim, patch_size, **kwargs):
        super().__init__(**kwargs)
        self.embed_dim, self.patch_size = embed_dim, patch_size
        self.projection = L.Conv3D(filters=embed_dim, kernel_size=patch_size, strides=patch_size, padding="VALID",
                                   name="projection")
        self.flatten = L.Reshape(target_shape=(-1, embed_dim), name="flatten")

    def call(self, videos):
        return self.flatten(self.projection(videos))

    def get_config(self):
        return {**super().get_config(), "embed_dim": self.embed_dim, "patch_size": self.patch_size}


@register
class PositionalEncoder(L.Layer):
    def __init__(self, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.embed_dim = embed_dim

    def build(self, input_shape):
        _, num_tokens, _ = input_shape
        self.position_embedding = L.Embedding(input_dim=num_tokens, output_dim=self.embed_dim, name="position_embedding")
        self.positions = ops.arange(0, num_tokens, 1)

    def call(self, encoded_tokens):
        return encoded_tokens + self.position_embedding(self.positions)

    def get_config(self):
        return {**super().get_config(), "embed_dim": self.embed_dim}


def vivit(frames: int = 4, size: int = 8, patch: int = 2, dim: int = 8, classes: int = 3) -> keras.Model:
    inputs = keras.Input((frames, size, size, 1), name="video")
    patches = TubeletEmbedding(dim, (patch, patch, patch), name="tubelet_embedding")(inputs)
    encoded_patches = PositionalEncoder(dim, name="positional_encoder")(patches)
    for _ in range(2):
        x1 = L.LayerNormalization(epsilon=1e-6)(encoded_patches)
        attention_output = L.MultiHeadAttention(num_heads=2, key_dim=dim // 2, dropout=0.1)(x1, x1)
        x2 = L.Add()([attention_output, encoded_patches])
        x3 = L.LayerNormalization(epsilon=1e-6)(x2)
        x3 = keras.Sequential([L.Dense(units=dim * 4, activation=ops.gelu), L.Dense(units=dim, activation=ops.gelu)])(x3)
        encoded_patches = L.Add()([x3, x2])
    representation = L.GlobalAvgPool1D()(L.LayerNormalization(epsilon=1e-6)(encoded_patches))
    return keras.Model(inputs, L.Dense(units=classes, activation="softmax")(representation), name="vivit")


# --- 4. keras.io "Automatic Speech Recognition using CTC" (DeepSpeech2) ------------------------------------
# https://keras.io/examples/audio/ctc_asr/ (build_model: a Conv2D front-end over a spectrogram of any length,
# reshaped to frames, bidirectional GRUs, a softmax per frame, a CTC loss); here the front-end is its own
# model, as when it is pretrained or shared, and the loss is Keras's CTC (blank index 0).

def ctc_asr(bins: int = 16, chars: int = 6, units: int = 4) -> keras.Model:
    spectrogram = keras.Input((None, bins), name="spectrogram")
    x = L.Reshape((-1, bins, 1), name="expand_dim")(spectrogram)
    x = L.Conv2D(4, kernel_size=[5, 7], strides=[2, 2], padding="same", use_bias=False, name="conv_1")(x)
    x = L.ReLU(name="conv_1_relu")(L.BatchNormalization(name="conv_1_bn")(x))
    x = L.Conv2D(4, kernel_size=[5, 5], strides=[1, 2], padding="same", use_bias=False, name="conv_2")(x)
    x = L.ReLU(name="conv_2_relu")(L.BatchNormalization(name="conv_2_bn")(x))
    front_end = keras.Model(spectrogram, L.Reshape((-1, x.shape[-2] * x.shape[-1]), name="frames")(x), name="front_end")
    inputs = keras.Input((None, bins), name="input")
    x = front_end(inputs)
    for i in range(1, 3):
        x = L.Bidirectional(L.GRU(units, return_sequences=True, reset_after=True, name=f"gru_{i}"),
                            name=f"bidirectional_{i}", merge_mode="concat")(x)
        if i < 2:
            x = L.Dropout(rate=0.5)(x)
    x = L.Dropout(rate=0.5)(L.ReLU(name="dense_1_relu")(L.Dense(units * 2, name="dense_1")(x)))
    return keras.Model(inputs, L.Dense(chars + 1, name="logits")(x), name="DeepSpeech_2")


# --- 5. Deep & Cross Network (keras-rs "Rank with Deep and Cross Networks" / TFRS dcn) ---------------------
# https://keras.io/keras_rs/examples/dcn/ (RankingModel: a subclassed model holding its embedding layers in a
# dict, a FeatureCross layer called on (x0, x), a deep network, a logit layer); FeatureCross as in keras-rs
# (keras_rs/src/layers/feature_interaction/feature_cross.py, the low-rank form when projection_dim is set).

@register
class FeatureCross(L.Layer):
    def __init__(self, projection_dim=None, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.projection_dim, self.use_bias = projection_dim, use_bias

    def build(self, input_shape):
        last_dim = input_shape[-1]
        if self.projection_dim is not None:
            self.down_proj_dense = L.Dense(self.projection_dim, use_bias=False, name="down_proj_dense")
        self.dense = L.Dense(last_dim, use_bias=self.use_bias, name="dense")
        self.built = True

    def call(self, x0, x=None):
        if x is None:
            x = x0
        output = x
        if self.projection_dim is not None:
            output = self.down_proj_dense(output)
        return x0 * self.dense(output) + x

    def get_config(self):
        return {**super().get_config(), "projection_dim": self.projection_dim, "use_bias": self.use_bias}


FEATURES_DCN = {"movie_id": 12, "user_id": 10, "user_gender": 3, "user_zip_code": 8}


@register
class RankingModel(keras.Model):
    def __init__(self, num_cross_layers=2, projection_dim=2, dnn_layer_sizes=(8, 4), vocabularies=None, **kwargs):
        super().__init__(**kwargs)
        self.num_cross_layers, self.projection_dim = num_cross_layers, projection_dim
        self.dnn_layer_sizes, self.vocabularies = list(dnn_layer_sizes), dict(vocabularies or FEATURES_DCN)
        self.embedding_layers = {name: L.Embedding(size, 4, name=f"{name}_embedding")
                                 for name, size in self.vocabularies.items()}
        self.cross_layers = [FeatureCross(projection_dim=projection_dim if i else None, name=f"cross_{i}")
                             for i in range(num_cross_layers)]
        self.dense_layers = keras.Sequential([L.Dense(n, activation="relu") for n in dnn_layer_sizes],
                                             name="deep_network")
        self.logit_layer = L.Dense(1, name="logit")

    def call(self, inputs):
        embeddings = [ops.squeeze(self.embedding_layers[name](inputs[name]), 1) for name in self.vocabularies]
        x = x0 = ops.concatenate(embeddings, axis=1)
        for layer in self.cross_layers:
            x = layer(x0, x)
        return self.logit_layer(self.dense_layers(x))

    def get_config(self):
        return {**super().get_config(), "num_cross_layers": self.num_cross_layers,
                "projection_dim": self.projection_dim, "dnn_layer_sizes": self.dnn_layer_sizes,
                "vocabularies": self.vocabularies}


def _data_dcn(batch: int = 2):
    return ({name: _ids((batch, 1), size, i) for i, (name, size) in enumerate(FEATURES_DCN.items())},
            _floats((batch, 1)) * 5)


def dcn() -> keras.Model:
    model = RankingModel(name="ranking_model")
    model(_data_dcn()[0])
    return model


# --- 6. keras.io "End-to-end Masked Language Modeling with BERT" -------------------------------------------
# https://keras.io/examples/nlp/masked_language_modeling/ (bert_module, get_pos_encoding_matrix, the position
# embedding of a constant arange added to the word embedding, MaskedLanguageModel; then the classifier nesting
# pretrained_bert_model = keras.Model(mlm_model.input, mlm_model.get_layer("encoder_0_ffn_layernormalization")
# .output), frozen). Its GradientTape train_step is written as compute_loss here, so that it trains everywhere.

def bert_module(query, key, value, i, dim, heads, ff_dim):
    attention_output = L.MultiHeadAttention(num_heads=heads, key_dim=dim // heads,
                                            name=f"encoder_{i}_multiheadattention")(query, key, value)
    attention_output = L.Dropout(0.1, name=f"encoder_{i}_att_dropout")(attention_output)
    attention_output = L.LayerNormalization(epsilon=1e-6, name=f"encoder_{i}_att_layernormalization")(
        query + attention_output)
    ffn = keras.Sequential([L.Dense(ff_dim, activation="relu"), L.Dense(dim)], name=f"encoder_{i}_ffn")
    ffn_output = L.Dropout(0.1, name=f"encoder_{i}_ffn_dropout")(ffn(attention_output))
    return L.LayerNormalization(epsilon=1e-6, name=f"encoder_{i}_ffn_layernormalization")(attention_output + ffn_output)


def get_pos_encoding_matrix(max_len, d_emb):
    pos_enc = np.array([[pos / np.power(10000, 2 * (j // 2) / d_emb) for j in range(d_emb)] if pos != 0
                        else np.zeros(d_emb) for pos in range(max_len)])
    pos_enc[1:, 0::2] = np.sin(pos_enc[1:, 0::2])
    pos_enc[1:, 1::2] = np.cos(pos_enc[1:, 1::2])
    return pos_enc


@register
class MaskedLanguageModel(keras.Model):
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        loss = keras.losses.SparseCategoricalCrossentropy(reduction=None)(y, y_pred, sample_weight=sample_weight)
        return ops.mean(loss)


def create_masked_language_bert_model(max_len: int = 8, vocab: int = 20, dim: int = 8, layers: int = 2):
    inputs = L.Input((max_len,), dtype="int64")
    word_embeddings = L.Embedding(vocab, dim, name="word_embedding")(inputs)
    position_embeddings = L.Embedding(input_dim=max_len, output_dim=dim, embeddings_initializer=keras.initializers.
                                      Constant(get_pos_encoding_matrix(max_len, dim)), name="position_embedding")(
        ops.arange(start=0, stop=max_len, step=1))
    encoder_output = word_embeddings + position_embeddings
    for i in range(layers):
        encoder_output = bert_module(encoder_output, encoder_output, encoder_output, i, dim, 2, 2 * dim)
    mlm_output = L.Dense(vocab, name="mlm_cls", activation="softmax")(encoder_output)
    return MaskedLanguageModel(inputs, mlm_output, name="masked_bert_model")


def bert_classifier(max_len: int = 8) -> keras.Model:
    mlm_model = create_masked_language_bert_model(max_len)
    pretrained_bert_model = keras.Model(mlm_model.input, mlm_model.get_layer("encoder_0_ffn_layernormalization")
                                        .output, name="pretrained_bert_model")
    pretrained_bert_model.trainable = False
    inputs = L.Input((max_len,), dtype="int64")
    pooled_output = L.GlobalMaxPooling1D()(pretrained_bert_model(inputs))
    hidden_layer = L.Dense(8, activation="relu", name="hidden")(pooled_output)
    return keras.Model(inputs, L.Dense(1, activation="sigmoid", name="output")(hidden_layer), name="classification")


# --- 7. Hierarchical Attention Network (Yang et al. 2016) --------------------------------------------------
# https://github.com/richliao/textClassifier (textClassifierHATT.py: AttLayer, the sentence encoder model with a
# masked Embedding and a Bidirectional GRU, TimeDistributed over the review's sentences); AttLayer's
# K.variable weights written as add_weight for Keras 3.

@register
class AttLayer(L.Layer):
    def __init__(self, attention_dim, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.attention_dim = attention_dim

    def build(self, input_shape):
        self.W = self.add_weight(shape=(input_shape[-1], self.attention_dim), initializer="random_normal", name="W")
        self.b = self.add_weight(shape=(self.attention_dim,), initializer="random_normal", name="b")
        self.u = self.add_weight(shape=(self.attention_dim, 1), initializer="random_normal", name="u")

    def compute_mask(self, inputs, mask=None):
        return None

    def call(self, x, mask=None):
        uit = ops.tanh(ops.matmul(x, self.W) + self.b)
        ait = ops.exp(ops.squeeze(ops.matmul(uit, self.u), -1))
        if mask is not None:
            ait *= ops.cast(mask, "float32")
        ait /= ops.sum(ait, axis=1, keepdims=True) + keras.backend.epsilon()
        return ops.sum(x * ops.expand_dims(ait, -1), axis=1)

    def compute_output_shape(self, input_shape):
        return input_shape[0], input_shape[-1]

    def get_config(self):
        return {**super().get_config(), "attention_dim": self.attention_dim}


def han(sentences: int = 3, words: int = 5, vocab: int = 20, units: int = 4, classes: int = 2) -> keras.Model:
    sentence_input = keras.Input((words,), dtype="int32", name="sentence")
    embedded_sequences = L.Embedding(vocab, 6, mask_zero=True, name="embedding")(sentence_input)
    l_lstm = L.Bidirectional(L.GRU(units, return_sequences=True), name="word_gru")(embedded_sequences)
    sent_encoder = keras.Model(sentence_input, AttLayer(units, name="word_attention")(l_lstm), name="sent_encoder")
    review_input = keras.Input((sentences, words), dtype="int32", name="review")
    review_encoder = L.TimeDistributed(sent_encoder, name="review_encoder")(review_input)
    l_lstm_sent = L.Bidirectional(L.GRU(units, return_sequences=True), name="sentence_gru")(review_encoder)
    preds = L.Dense(classes, activation="softmax", name="preds")(AttLayer(units, name="sentence_attention")(l_lstm_sent))
    return keras.Model(review_input, preds, name="han")


def _data_han():
    ids = _ids((2, 3, 5), 20)
    ids[0, 2] = 0  # an all-padding sentence
    ids[1, :, 3:] = 0  # short sentences
    return ids, np.array([0, 1])


# --- 8. Tied autoencoder (Géron, Hands-On Machine Learning, ch. 17) ----------------------------------------
# https://github.com/ageron/handson-ml3/blob/main/17_autoencoders_gans_and_diffusion_models.ipynb (DenseTranspose
# holds the encoder's Dense and multiplies by its transposed kernel: the two Sequentials share those layers);
# ``self.dense.input_shape[-1]`` is written ``self.dense.kernel.shape[0]`` for Keras 3.

class DenseTranspose(L.Layer):
    def __init__(self, dense, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.dense = dense
        self.activation = keras.activations.get(activation)

    def build(self, batch_input_shape):
        self.biases = self.add_weight(name="bias", shape=(self.dense.kernel.shape[0],), initializer="zeros")
        super().build(batch_input_shape)

    def call(self, inputs):
        return self.activation(ops.matmul(inputs, ops.transpose(self.dense.kernel)) + self.biases)


def tied_autoencoder(size: int = 6, hidden: int = 8, code: int = 3) -> keras.Model:
    dense_1 = L.Dense(hidden, activation="relu", name="dense_1")
    dense_2 = L.Dense(code, activation="relu", name="dense_2")
    tied_encoder = keras.Sequential([keras.Input((size, size)), L.Flatten(name="flatten"), dense_1, dense_2],
                                    name="tied_encoder")
    tied_decoder = keras.Sequential([keras.Input((code,)), DenseTranspose(dense_2, activation="relu", name="tied_2"),
                                     DenseTranspose(dense_1, name="tied_1"), L.Reshape([size, size], name="reshape")],
                                    name="tied_decoder")
    return keras.Sequential([tied_encoder, tied_decoder], name="tied_ae")


# --- 9. keras.io "Multimodal entailment" --------------------------------------------------------------------
# https://keras.io/examples/nlp/multimodal_entailment/ (project_embeddings; create_vision_encoder: one backbone
# called on a list of two images; create_text_encoder: a dict of BERT inputs; the model's input is
# [image_1, image_2, text_inputs], a list holding a dict). A small CNN stands in for ResNet50V2 and a small
# encoder layer returning a dict with "pooled_output" for the TF-Hub BERT.

def project_embeddings(embeddings, num_projection_layers, projection_dims, dropout_rate, prefix):
    projected_embeddings = L.Dense(units=projection_dims, name=f"{prefix}_projection")(embeddings)
    for i in range(num_projection_layers):
        x = L.Dense(projection_dims, name=f"{prefix}_dense_{i}")(ops.nn.gelu(projected_embeddings))
        x = L.Add()([projected_embeddings, L.Dropout(dropout_rate)(x)])
        projected_embeddings = L.LayerNormalization(name=f"{prefix}_norm_{i}")(x)
    return projected_embeddings


@register
class TinyBert(L.Layer):
    """Takes BERT's dict of inputs and returns a dict with ``pooled_output`` and ``sequence_output``, as the
    TF-Hub BERT layer does."""

    def __init__(self, vocab=30, dim=8, **kwargs):
        super().__init__(**kwargs)
        self.vocab, self.dim = vocab, dim
        self.word = L.Embedding(vocab, dim, name="word_embeddings")
        self.segment = L.Embedding(2, dim, name="type_embeddings")
        self.attention = L.MultiHeadAttention(2, dim // 2, name="attention")
        self.pooler = L.Dense(dim, activation="tanh", name="pooler")

    def call(self, inputs):
        x = self.word(inputs["input_word_ids"]) + self.segment(inputs["input_type_ids"])
        mask = ops.cast(inputs["input_mask"], "bool")
        sequence = self.attention(x, x, attention_mask=mask[:, None, :] & mask[:, :, None])
        return {"pooled_output": self.pooler(sequence[:, 0]), "sequence_output": sequence}

    def compute_output_spec(self, inputs):
        batch, length = inputs["input_word_ids"].shape
        return {"pooled_output": keras.KerasTensor((batch, self.dim)),
                "sequence_output": keras.KerasTensor((batch, length, self.dim))}

    def get_config(self):
        return {**super().get_config(), "vocab": self.vocab, "dim": self.dim}


BERT_FEATURES = ["input_type_ids", "input_mask", "input_word_ids"]


def create_vision_encoder(size: int, projection_dims: int) -> keras.Model:
    image = keras.Input((size, size, 3), name="image")
    h = L.Conv2D(4, 3, strides=2, activation="relu", name="conv1")(image)
    h = L.Conv2D(8, 3, strides=2, activation="relu", name="conv2")(h)
    resnet_v2 = keras.Model(image, L.GlobalAveragePooling2D(name="avg_pool")(h), name="resnet_v2")
    for layer in resnet_v2.layers:
        layer.trainable = False
    image_1, image_2 = keras.Input((size, size, 3), name="image_1"), keras.Input((size, size, 3), name="image_2")
    embeddings_1 = resnet_v2(keras.applications.resnet_v2.preprocess_input(image_1))
    embeddings_2 = resnet_v2(keras.applications.resnet_v2.preprocess_input(image_2))
    embeddings = L.Concatenate()([embeddings_1, embeddings_2])
    outputs = project_embeddings(embeddings, 1, projection_dims, 0.1, "vision")
    return keras.Model([image_1, image_2], outputs, name="vision_encoder")


def create_text_encoder(length: int, projection_dims: int) -> keras.Model:
    inputs = {feature: keras.Input((length,), dtype="int32", name=feature) for feature in BERT_FEATURES}
    embeddings = TinyBert(name="bert")(inputs)["pooled_output"]
    return keras.Model(inputs, project_embeddings(embeddings, 1, projection_dims, 0.1, "text"), name="text_encoder")


def multimodal_entailment(size: int = 16, length: int = 6, projection_dims: int = 8) -> keras.Model:
    image_1, image_2 = keras.Input((size, size, 3), name="image_1"), keras.Input((size, size, 3), name="image_2")
    text_inputs = {feature: keras.Input((length,), dtype="int32", name=feature) for feature in BERT_FEATURES}
    vision_projections = create_vision_encoder(size, projection_dims)([image_1, image_2])
    text_projections = create_text_encoder(length, projection_dims)(text_inputs)
    concatenated = L.Concatenate()([vision_projections, text_projections])
    outputs = L.Dense(3, activation="softmax", name="entailment")(concatenated)
    return keras.Model([image_1, image_2, text_inputs], outputs, name="multimodal_entailment")


def _data_multimodal():
    mask = np.ones((2, 6), "int32")
    mask[1, 4:] = 0
    text = {"input_type_ids": np.zeros((2, 6), "int32"), "input_mask": mask, "input_word_ids": _ids((2, 6), 30) * mask}
    return [_floats((2, 16, 16, 3)) * 255, _floats((2, 16, 16, 3), 1) * 255, text], np.array([0, 2])


# --- 10. keras.io "Video Classification with a CNN-RNN Architecture" -----------------------------------------
# https://keras.io/examples/vision/video_classification/ (build_feature_extractor: a keras.applications backbone
# after its preprocess_input in a model; the sequence model gives a frame mask to its GRU). Here end to end: the
# extractor (MobileNetV3Small, weights=None, small frames) under TimeDistributed, the mask a second input.

def build_feature_extractor(size: int) -> keras.Model:
    backbone = keras.applications.MobileNetV3Small(input_shape=(size, size, 3), include_top=False, weights=None,
                                                   pooling="avg", minimalistic=True, include_preprocessing=False)
    inputs = keras.Input((size, size, 3))
    outputs = backbone(keras.applications.mobilenet_v3.preprocess_input(inputs))
    return keras.Model(inputs, outputs, name="feature_extractor")


def video_classifier(frames: int = 3, size: int = 32, classes: int = 3) -> keras.Model:
    frame_input = keras.Input((frames, size, size, 3), name="frames")
    mask_input = keras.Input((frames,), dtype="bool", name="frame_mask")
    frame_features = L.TimeDistributed(build_feature_extractor(size), name="per_frame")(frame_input)
    x = L.GRU(8, return_sequences=True, name="gru_1")(frame_features, mask=mask_input)
    x = L.Dropout(0.4)(L.GRU(4, name="gru_2")(x))
    x = L.Dense(4, activation="relu", name="fc")(x)
    return keras.Model([frame_input, mask_input], L.Dense(classes, activation="softmax", name="classes")(x),
                       name="video_classifier")


def _data_video():
    mask = np.array([[True, True, True], [True, True, False]])
    return [_floats((2, 3, 32, 32, 3)) * 255, mask], np.array([0, 2])


# --- how each model is fed, trained, copied and broken ----------------------------------------------------

def outputs_of(model: keras.Model, x: object) -> object:
    """What a model gives for ``x`` at inference (its random augmentation, stochastic depth and dropout off)."""
    return model(x, training=False)


def _copy_tied_decoder(old: keras.Layer) -> keras.Layer:
    """A copy of the tied decoder: its DenseTranspose layers hold the encoder's Dense layers, so the copy holds
    the same ones (it has no get_config to make new ones from)."""
    new = keras.Sequential([keras.Input(old.input_shape[1:]), *(
        DenseTranspose(layer.dense, activation=layer.activation, name=layer.name) if isinstance(layer, DenseTranspose)
        else layer.__class__.from_config(layer.get_config()) for layer in old.layers)], name=old.name)
    new.set_weights(old.get_weights())
    return new


def _sparse_logits(model):
    _compile_plain(model, keras.losses.SparseCategoricalCrossentropy(from_logits=True))


def _break_swin(model, x):  # the backbone reused for 12x12 images: its blocks were made for a 4x4 patch grid
    image = keras.Input((12, 12, 3))
    keras.Model(image, L.Dense(3, name="new_head")(model.get_layer("swin_backbone")(image)))


def _break_cct(model, x):  # grey images into a model of RGB ones
    model(x[..., :1])


def _break_vivit(model, x):  # clips of 8 frames into a model built on 4: more tubelets than positions
    model(np.concatenate([x, x], axis=1))


def _break_ctc(model, x):  # a spectrogram of 20 bins into a model built on 16
    model(np.zeros((2, 10, 20), "float32"))


def _break_dcn(model, x):  # a feature of another vocabulary size: ids beyond the table do not fail on CPU, so
    # a feature given as its one-hot vector
    model({**x, "user_gender": np.eye(3, dtype="float32")[[0, 1]]})


def _break_bert(model, x):  # sentences longer than the position table
    model(np.concatenate([x, x], axis=1))


def _break_han(model, x):  # one sentence per review, as the sentence encoder takes
    model(x[:, 0])


def _break_tied(model, x):  # images of another size
    model(np.zeros((2, 8, 8), "float32"))


def _break_multimodal(model, x):  # the images without the text dict
    model(x[:2])


def _break_video(model, x):  # grey frames into an RGB extractor
    model([x[0][..., :1], x[1]])


SPECS = [
    Spec5(swin, lambda: (_floats((2, 8, 8, 3)), np.array([0, 2])), "swin_backbone/swin_block_1/attn",
          "swin_backbone", "swin_backbone/swin_block_0*", expect_paths=("swin_backbone/swin_block_1/mlp",
                                                                          "swin_backbone/patch_merging"),
          breaks=_break_swin, explains=r"swin_backbone"),
    Spec5(cct, lambda: (_floats((2, 12, 12, 3)) * 255, np.array([0, 2])), "cct_tokenizer/conv_model",
          "data_augmentation", "cct_tokenizer*", compile=_sparse_logits,
          expect_paths=("sequence_pooling/attention", "position_embedding"), breaks=_break_cct,
          explains=r"cct_tokenizer"),
    Spec5(vivit, lambda: (_floats((2, 4, 8, 8, 1)), np.array([0, 2])), "tubelet_embedding/projection",
          "tubelet_embedding", "tubelet_embedding*", expect_paths=("positional_encoder/position_embedding",),
          breaks=_break_vivit, explains=r"\(batch, 8, 8, 8, 1\)"),
    Spec5(ctc_asr, lambda: (_floats((2, 10, 16)), _ids((2, 3), 7)), "front_end/conv_2", "front_end", "front_end/*",
          compile=lambda model: _compile_plain(model, keras.losses.CTC()),
          expect_paths=("bidirectional_2", "front_end/conv_1_bn"), breaks=_break_ctc, explains=r"front_end"),
    Spec5(dcn, _data_dcn, "cross_1/down_proj_dense", "deep_network", "cross_*",
          compile=lambda model: _compile_plain(model, "mse"), refuses=("replace",),
          expect_paths=("movie_id_embedding", "deep_network", "cross_1/dense"), breaks=_break_dcn,
          explains=r"user_gender"),
    Spec5(bert_classifier, lambda: (_ids((2, 8), 20).astype("int64"), np.array([[0.0], [1.0]], "float32")),
          "pretrained_bert_model/encoder_0_ffn", "pretrained_bert_model", "hidden",
          compile=lambda model: _compile_plain(model, "binary_crossentropy"),
          expect_paths=("pretrained_bert_model/encoder_0_ffn_layernormalization", "pretrained_bert_model/encoder_0_multiheadattention"),
          breaks=_break_bert, explains=r"pad_sequences.*maxlen=8"),
    Spec5(han, _data_han, "review_encoder/sent_encoder/word_gru", "review_encoder", "review_encoder/*",
          expect_paths=("sentence_attention", "review_encoder/sent_encoder/word_attention"), breaks=_break_han,
          explains=r"review_encoder"),
    Spec5(tied_autoencoder, lambda: (_floats((2, 6, 6)), _floats((2, 6, 6))), "tied_decoder/tied_2", "tied_decoder",
          "tied_encoder/*", compile=lambda model: _compile_plain(model, "mse"), refuses=("replace", "save", "cli_file"),
          expect_paths=("tied_encoder/dense_1", "tied_decoder/tied_1"), breaks=_break_tied, explains=r"tied_encoder",
          copy=_copy_tied_decoder),
    Spec5(multimodal_entailment, _data_multimodal, "vision_encoder/resnet_v2", "text_encoder", "text_encoder/*",
          expect_paths=("vision_encoder/resnet_v2/conv2", "text_encoder/bert/attention"), breaks=_break_multimodal,
          explains=r"text_encoder|input_word_ids"),
    Spec5(video_classifier, _data_video, "per_frame/feature_extractor/*", "per_frame", "per_frame*",
          expect_paths=("gru_1", "per_frame/feature_extractor"), breaks=_break_video, explains=r"feature_extractor"),
]
