"""Real-world nested models, seventh batch: each rewritten small from the public code cited above it, keeping
its structure (the nesting, the custom layers and their quirks, the ops between layers). Kinds the first six
batches did not have: set prediction with learned object queries and a dict of outputs (DETR), a ``Masking``
layer and an LSTM's ``return_state`` carried from an encoder model into a decoder model, ``keras.layers.Pipeline``
and adapted preprocessing layers in a dict-input preprocessor model, token mixing by a Fourier transform (FNet),
a learnable resizer model taking images of any size in front of a fixed-size classifier, involution layers that
make their kernels per pixel with a Sequential built in ``build()``, an image captioner whose decoder layer
makes its own causal and padding masks and attends to an image encoder's tokens, and gMLP's spatial gating (a
Dense over the patches axis between two transposes)."""

from __future__ import annotations

import keras
import numpy as np

from tests.models_4 import _compile_plain, _floats, _ids
from tests.models_5 import Spec5

L = keras.layers
ops = keras.ops
PACKAGE = "kernest_rw7"


def register(cls):
    return keras.saving.register_keras_serializable(package=PACKAGE)(cls)


# --- 1. DETR (Carion et al. 2020), set prediction with learned object queries --------------------------------
# https://github.com/facebookresearch/detr (models/detr.py: DETR holds a backbone, input_proj (1x1 conv), a
# transformer whose decoder takes query_embed (an nn.Embedding of num_queries), class_embed (num_classes + 1,
# the "no object" class) and bbox_embed (an MLP, sigmoid boxes); it returns {"pred_logits", "pred_boxes"}).
# Trained here with a per-query loss on fixed targets, not DETR's Hungarian matching.

@register
class DetrDecoder(L.Layer):
    """Object queries (learned, an Embedding over query ids) attend to themselves, then to the image tokens."""

    def __init__(self, num_queries: int, dim: int, heads: int = 2, depth: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.num_queries, self.dim, self.heads, self.depth = num_queries, dim, heads, depth
        self.query_embed = L.Embedding(num_queries, dim, name="query_embed")
        self.self_attn = [L.MultiHeadAttention(heads, dim // heads, name=f"self_attn_{i}") for i in range(depth)]
        self.cross_attn = [L.MultiHeadAttention(heads, dim // heads, name=f"cross_attn_{i}") for i in range(depth)]
        self.ffn = [keras.Sequential([L.Dense(dim * 2, activation="relu"), L.Dense(dim)], name=f"ffn_{i}")
                    for i in range(depth)]
        self.norms = [L.LayerNormalization(name=f"norm_{i}") for i in range(3 * depth)]

    def call(self, memory):  # (B, tokens, dim)
        queries = self.query_embed(ops.arange(self.num_queries))  # (Q, dim)
        tgt = ops.zeros_like(memory[:, :1, :]) + queries[None]  # (B, Q, dim)
        for i in range(self.depth):
            q = tgt + queries
            tgt = self.norms[3 * i](tgt + self.self_attn[i](q, q, tgt))
            tgt = self.norms[3 * i + 1](tgt + self.cross_attn[i](tgt + queries, memory))
            tgt = self.norms[3 * i + 2](tgt + self.ffn[i](tgt))
        return tgt

    def compute_output_shape(self, memory_shape):
        return (memory_shape[0], self.num_queries, self.dim)

    def get_config(self):
        return {**super().get_config(), "num_queries": self.num_queries, "dim": self.dim, "heads": self.heads,
                "depth": self.depth}


def detr(size: int = 16, dim: int = 8, queries: int = 4, classes: int = 3) -> keras.Model:
    image = keras.Input((size, size, 3), name="image")
    x = L.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="conv_1")(image)
    x = L.Conv2D(16, 3, strides=2, padding="same", activation="relu", name="conv_2")(x)
    backbone = keras.Model(image, x, name="backbone")
    inputs = keras.Input((size, size, 3), name="images")
    features = L.Conv2D(dim, 1, name="input_proj")(backbone(inputs))  # (B, h, w, dim)
    tokens = L.Reshape((-1, dim), name="flatten_tokens")(features)
    encoded = L.LayerNormalization(name="encoder_norm")(
        tokens + L.MultiHeadAttention(2, dim // 2, name="encoder_attn")(tokens, tokens))
    hs = DetrDecoder(queries, dim, name="decoder")(encoded)  # (B, Q, dim)
    bbox_embed = keras.Sequential([L.Dense(dim, activation="relu"), L.Dense(4, activation="sigmoid")],
                                  name="bbox_embed")
    outputs = {"pred_logits": L.Dense(classes + 1, name="class_embed")(hs), "pred_boxes": bbox_embed(hs)}
    return keras.Model(inputs, outputs, name="detr")


def _data_detr():
    return _floats((2, 16, 16, 3)), {"pred_logits": _ids((2, 4), 4), "pred_boxes": _floats((2, 4, 4), seed=1)}


def _compile_detr(model):
    model.compile("sgd", {"pred_logits": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                          "pred_boxes": "mae"}, run_eagerly=True)


# --- 2. An LSTM encoder-decoder with Masking, its state passed between models ------------------------------
# https://www.tensorflow.org/guide/keras/understanding_masking_and_padding (a Masking layer in front of an
# LSTM skips the padded steps) and https://keras.io/examples/nlp/lstm_seq2seq/ (encoder_states =
# [state_h, state_c] from return_state=True; the decoder LSTM starts from initial_state=encoder_states).
# Here the encoder and the decoder are models of their own, as in their inference set-up.

def masked_seq2seq(features: int = 3, units: int = 4, targets: int = 2) -> keras.Model:
    series = keras.Input((None, features), name="series")
    _, state_h, state_c = L.LSTM(units, return_state=True, name="encoder_lstm")(
        L.Masking(mask_value=0.0, name="masking")(series))
    encoder = keras.Model(series, [state_h, state_c], name="encoder")
    steps = keras.Input((None, features), name="steps")
    h = keras.Input((units,), name="state_h")
    c = keras.Input((units,), name="state_c")
    seq = L.LSTM(units, return_sequences=True, name="decoder_lstm")(
        L.Masking(mask_value=0.0, name="decoder_masking")(steps), initial_state=[h, c])
    decoder = keras.Model([steps, h, c], L.Dense(targets, name="decoder_dense")(seq), name="decoder")
    encoder_inputs = keras.Input((None, features), name="encoder_inputs")
    decoder_inputs = keras.Input((None, features), name="decoder_inputs")
    state = encoder(encoder_inputs)
    return keras.Model([encoder_inputs, decoder_inputs], decoder([decoder_inputs, *state]), name="masked_seq2seq")


def _data_seq2seq():
    enc = _floats((2, 5, 3))
    enc[1, 3:] = 0.0  # the second series is two steps shorter: padded with the mask value
    return [enc, _floats((2, 4, 3), seed=1)], _floats((2, 4, 2), seed=2)


# --- 3. keras.io "Structured data classification from scratch", with keras.layers.Pipeline -----------------
# https://keras.io/examples/structured_data/structured_data_classification_from_scratch/ (a Normalization
# adapted on each numeric feature, the encoded features concatenated, a small classifier after them) and
# Keras 3's keras.layers.Pipeline (https://keras.io/api/layers/preprocessing_layers/core_preprocessing_layers/
# pipeline/) for a bucketised feature: Discretization then CategoryEncoding.

_TABLE = {"age": np.array([[29.0], [41.0], [57.0], [63.0], [35.0], [70.0]], "float32"),
          "chol": np.array([[180.0], [250.0], [310.0], [204.0], [221.0], [286.0]], "float32"),
          "hours": np.array([[4.0], [12.0], [25.0], [48.0], [9.0], [30.0]], "float32")}


def tabular_pipeline() -> keras.Model:
    inputs = {k: keras.Input((1,), name=k) for k in _TABLE}
    encoded = []
    for name in ("age", "chol"):
        norm = L.Normalization(name=f"{name}_norm")
        norm.adapt(_TABLE[name])
        encoded.append(norm(inputs[name]))
    hours = L.Pipeline([L.Discretization(bin_boundaries=[8.0, 16.0, 32.0], name="hours_bins"),
                        L.CategoryEncoding(num_tokens=4, output_mode="one_hot", name="hours_one_hot")],
                       name="hours_pipeline")
    encoded.append(hours(inputs["hours"]))
    preprocessor = keras.Model(inputs, L.Concatenate(name="all_features")(encoded), name="preprocessor")
    features = keras.Input((6,), name="features")
    x = L.Dropout(0.5, name="dropout")(L.Dense(8, activation="relu", name="hidden")(features))
    classifier = keras.Model(features, L.Dense(1, activation="sigmoid", name="target")(x), name="classifier")
    raw = {k: keras.Input((1,), name=k) for k in _TABLE}
    return keras.Model(raw, classifier(preprocessor(raw)), name="heart_disease")


def _data_tabular():
    return {k: v[:2] for k, v in _TABLE.items()}, np.array([[0.0], [1.0]], "float32")


# --- 4. keras.io "Text Generation using FNet" ---------------------------------------------------------------
# https://keras.io/examples/nlp/text_generation_fnet/ (PositionalEmbedding with compute_mask, FNetEncoder: the
# real part of a 2-D Fourier transform over the tokens and the embedding, then a Sequential projection). The
# encoder stack is a model of its own under a classifier head.

@register
class PositionalEmbedding(L.Layer):
    def __init__(self, sequence_length: int, vocab_size: int, embed_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.sequence_length, self.vocab_size, self.embed_dim = sequence_length, vocab_size, embed_dim
        self.token_embeddings = L.Embedding(vocab_size, embed_dim, name="token_embeddings")
        self.position_embeddings = L.Embedding(sequence_length, embed_dim, name="position_embeddings")

    def call(self, inputs):
        positions = ops.arange(0, ops.shape(inputs)[-1])
        return self.token_embeddings(inputs) + self.position_embeddings(positions)

    def compute_mask(self, inputs, mask=None):
        return ops.not_equal(inputs, 0)

    def get_config(self):
        return {**super().get_config(), "sequence_length": self.sequence_length, "vocab_size": self.vocab_size,
                "embed_dim": self.embed_dim}


@register
class FNetEncoder(L.Layer):
    def __init__(self, embed_dim: int, dense_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.embed_dim, self.dense_dim = embed_dim, dense_dim
        self.dense_proj = keras.Sequential([L.Dense(dense_dim, activation="relu"), L.Dense(embed_dim)],
                                           name="dense_proj")
        self.layernorm_1 = L.LayerNormalization(name="layernorm_1")
        self.layernorm_2 = L.LayerNormalization(name="layernorm_2")

    def call(self, inputs):
        fft = ops.fft2((inputs, ops.zeros_like(inputs)))[0]  # the real part, over (tokens, embed)
        proj_input = self.layernorm_1(inputs + fft)
        return self.layernorm_2(proj_input + self.dense_proj(proj_input))

    def get_config(self):
        return {**super().get_config(), "embed_dim": self.embed_dim, "dense_dim": self.dense_dim}


def fnet(length: int = 6, vocab: int = 20, dim: int = 8, classes: int = 2) -> keras.Model:
    ids = keras.Input((length,), dtype="int32", name="token_ids")
    x = PositionalEmbedding(length, vocab, dim, name="positional_embedding")(ids)
    for i in range(2):
        x = FNetEncoder(dim, dim * 2, name=f"fnet_encoder_{i}")(x)
    encoder = keras.Model(ids, x, name="fnet")
    tokens = keras.Input((length,), dtype="int32", name="tokens")
    pooled = L.GlobalAveragePooling1D(name="pool")(encoder(tokens))
    return keras.Model(tokens, L.Dense(classes, activation="softmax", name="head")(pooled), name="fnet_classifier")


# --- 5. keras.io "Learning to Resize Images for Computer Vision Tasks" ----------------------------------------
# https://keras.io/examples/vision/learnable_resizer/ (get_learnable_resizer: images of any size, a bilinear
# Resizing as a shortcut and conv + residual blocks on the resized features; a fixed-size classifier after it,
# keras.io's DenseNet121 made small here). keras.io's conv_block defaults to one LeakyReLU object made when the
# module is imported (activation=layers.LeakyReLU(0.2)), so every block calls that one layer; it is made per
# model here, still one object called in each block, so that a model built after clear_session has unique names.

def conv_block(x, filters, kernel_size, strides, activation):
    x = L.Conv2D(filters, kernel_size, strides, padding="same", use_bias=False)(x)
    x = L.BatchNormalization()(x)
    return activation(x) if activation else x


def res_block(x, leaky, filters: int = 4):
    inputs = x
    x = conv_block(x, filters, 3, 1, leaky)
    x = conv_block(x, filters, 3, 1, activation=None)
    return L.Add()([inputs, x])


def get_learnable_resizer(target: int = 8, filters: int = 4, num_res_blocks: int = 1) -> keras.Model:
    leaky = L.LeakyReLU(0.2, name="shared_leaky_relu")
    inputs = L.Input(shape=[None, None, 3], name="any_image")
    naive_resize = L.Resizing(target, target, interpolation="bilinear", name="naive_resize")(inputs)
    x = L.Conv2D(filters, 7, strides=1, padding="same", name="stem_1")(inputs)
    x = L.LeakyReLU(0.2)(x)
    x = L.Conv2D(filters, 1, strides=1, padding="same", name="stem_2")(x)
    x = L.LeakyReLU(0.2)(x)
    x = L.BatchNormalization(name="stem_bn")(x)
    bottleneck = L.Resizing(target, target, interpolation="bilinear", name="bottleneck_resize")(x)
    for _ in range(num_res_blocks):
        x = res_block(bottleneck, leaky, filters)
    x = conv_block(x, filters, 3, 1, activation=None)
    x = L.Add()([bottleneck, x])
    x = L.Conv2D(3, 7, strides=1, padding="same", name="to_rgb")(x)
    return keras.Model(inputs, L.Add(name="resized")([naive_resize, x]), name="learnable_resizer")


def learnable_resizer(target: int = 8, classes: int = 3) -> keras.Model:
    resizer = get_learnable_resizer(target)
    image = keras.Input((target, target, 3), name="image")
    x = L.Conv2D(8, 3, padding="same", activation="relu", name="conv")(image)
    base = keras.Model(image, L.GlobalAveragePooling2D(name="gap")(x), name="base_model")
    inputs = keras.Input((None, None, 3), name="images")
    outputs = L.Dense(classes, name="logits")(base(resizer(inputs)))
    return keras.Model(inputs, outputs, name="resizer_classifier")


# --- 6. keras.io "Involutional neural networks" ---------------------------------------------------------------
# https://keras.io/examples/vision/involution/ (Involution.build makes the stride pooling, the kernel generator
# Sequential and three Reshapes for the input's height, width and channels; call returns (output, kernel)).

@register
class Involution(L.Layer):
    def __init__(self, channel, group_number, kernel_size, stride, reduction_ratio, **kwargs):
        super().__init__(**kwargs)
        self.channel, self.group_number, self.kernel_size = channel, group_number, kernel_size
        self.stride, self.reduction_ratio = stride, reduction_ratio

    def build(self, input_shape):
        (_, height, width, num_channels) = input_shape
        height, width = height // self.stride, width // self.stride
        self.stride_layer = (L.AveragePooling2D(pool_size=self.stride, strides=self.stride, padding="same")
                             if self.stride > 1 else L.Identity())
        self.kernel_gen = keras.Sequential([
            L.Conv2D(filters=self.channel // self.reduction_ratio, kernel_size=1),
            L.BatchNormalization(),
            L.ReLU(),
            L.Conv2D(filters=self.kernel_size * self.kernel_size * self.group_number, kernel_size=1),
        ], name="kernel_gen")
        k2 = self.kernel_size * self.kernel_size
        self.kernel_reshape = L.Reshape((height, width, k2, 1, self.group_number))
        self.input_patches_reshape = L.Reshape((height, width, k2, num_channels // self.group_number,
                                                self.group_number))
        self.output_reshape = L.Reshape((height, width, num_channels))

    def call(self, x):
        kernel = self.kernel_reshape(self.kernel_gen(self.stride_layer(x)))  # (B, H, W, K*K, 1, G)
        input_patches = ops.image.extract_patches(x, size=self.kernel_size, strides=self.stride,
                                                  dilation_rate=1, padding="same")
        input_patches = self.input_patches_reshape(input_patches)  # (B, H, W, K*K, C//G, G)
        output = ops.sum(ops.multiply(kernel, input_patches), axis=3)  # (B, H, W, C//G, G)
        return self.output_reshape(output), kernel

    def get_config(self):
        return {**super().get_config(), "channel": self.channel, "group_number": self.group_number,
                "kernel_size": self.kernel_size, "stride": self.stride, "reduction_ratio": self.reduction_ratio}


def involution(size: int = 8, classes: int = 3) -> keras.Model:
    image = keras.Input((size, size, 3), name="image")
    x, _ = Involution(channel=3, group_number=1, kernel_size=3, stride=1, reduction_ratio=1, name="inv_1")(image)
    x = L.MaxPooling2D((2, 2))(L.ReLU()(x))
    x, _ = Involution(channel=3, group_number=1, kernel_size=3, stride=1, reduction_ratio=1, name="inv_2")(x)
    x = L.ReLU()(x)
    features = keras.Model(image, x, name="involution_features")
    inputs = keras.Input((size, size, 3), name="images")
    x = L.Dense(8, activation="relu", name="fc")(L.Flatten(name="flatten")(features(inputs)))
    return keras.Model(inputs, L.Dense(classes, name="logits")(x), name="involution_net")


# --- 7. keras.io "Image Captioning" -----------------------------------------------------------------------
# https://keras.io/examples/vision/image_captioning/ (get_cnn_model: a backbone whose output is reshaped to
# tokens; TransformerEncoderBlock; PositionalEmbedding; TransformerDecoderBlock embeds the caption, makes a
# causal mask and a padding mask, attends to itself and to the image tokens). keras.io's subclassed
# ImageCaptioningModel trains them with its own train_step; here they are joined in a functional model and the
# decoder makes its padding mask from the token ids itself (keras.io passes it in from the train step).

@register
class TransformerEncoderBlock(L.Layer):
    def __init__(self, embed_dim, dense_dim, num_heads, **kwargs):
        super().__init__(**kwargs)
        self.embed_dim, self.dense_dim, self.num_heads = embed_dim, dense_dim, num_heads
        self.attention_1 = L.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim, dropout=0.0)
        self.layernorm_1 = L.LayerNormalization()
        self.layernorm_2 = L.LayerNormalization()
        self.dense_1 = L.Dense(embed_dim, activation="relu")

    def call(self, inputs, training=False):
        inputs = self.dense_1(self.layernorm_1(inputs))
        attention_output_1 = self.attention_1(query=inputs, value=inputs, key=inputs, training=training)
        return self.layernorm_2(inputs + attention_output_1)

    def get_config(self):
        return {**super().get_config(), "embed_dim": self.embed_dim, "dense_dim": self.dense_dim,
                "num_heads": self.num_heads}


@register
class TransformerDecoderBlock(L.Layer):
    def __init__(self, embed_dim, ff_dim, num_heads, seq_length, vocab_size, **kwargs):
        super().__init__(**kwargs)
        self.embed_dim, self.ff_dim, self.num_heads = embed_dim, ff_dim, num_heads
        self.seq_length, self.vocab_size = seq_length, vocab_size
        self.attention_1 = L.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim, dropout=0.1)
        self.attention_2 = L.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim, dropout=0.1)
        self.ffn_layer_1 = L.Dense(ff_dim, activation="relu")
        self.ffn_layer_2 = L.Dense(embed_dim)
        self.layernorm_1, self.layernorm_2, self.layernorm_3 = (L.LayerNormalization() for _ in range(3))
        self.embedding = PositionalEmbedding(seq_length, vocab_size, embed_dim, name="embedding")
        self.out = L.Dense(vocab_size, activation="softmax")
        self.dropout_1, self.dropout_2 = L.Dropout(0.3), L.Dropout(0.5)

    def call(self, inputs, encoder_outputs, training=False):
        mask = ops.not_equal(inputs, 0)  # (B, T)
        inputs = self.embedding(inputs)
        causal_mask = self.get_causal_attention_mask(inputs)
        padding_mask = ops.cast(mask[:, :, None], "int32")
        combined_mask = ops.minimum(ops.cast(mask[:, None, :], "int32"), causal_mask)
        attention_output_1 = self.attention_1(query=inputs, value=inputs, key=inputs,
                                              attention_mask=combined_mask, training=training)
        out_1 = self.layernorm_1(inputs + attention_output_1)
        attention_output_2 = self.attention_2(query=out_1, value=encoder_outputs, key=encoder_outputs,
                                              attention_mask=padding_mask, training=training)
        out_2 = self.layernorm_2(out_1 + attention_output_2)
        ffn_out = self.dropout_1(self.ffn_layer_1(out_2), training=training)
        ffn_out = self.layernorm_3(self.ffn_layer_2(ffn_out) + out_2, training=training)
        return self.out(self.dropout_2(ffn_out, training=training))

    def get_causal_attention_mask(self, inputs):
        batch_size, sequence_length = ops.shape(inputs)[0], ops.shape(inputs)[1]
        i = ops.arange(sequence_length)[:, None]
        j = ops.arange(sequence_length)
        mask = ops.cast(i >= j, dtype="int32")[None]  # (1, T, T)
        return ops.tile(mask, (batch_size, 1, 1))

    def compute_output_shape(self, inputs_shape, encoder_outputs_shape):
        return (*inputs_shape, self.vocab_size)

    def get_config(self):
        return {**super().get_config(), "embed_dim": self.embed_dim, "ff_dim": self.ff_dim,
                "num_heads": self.num_heads, "seq_length": self.seq_length, "vocab_size": self.vocab_size}


def image_captioning(size: int = 16, seq_length: int = 6, vocab: int = 12, dim: int = 8) -> keras.Model:
    image = keras.Input((size, size, 3), name="image")
    x = L.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="conv_1")(image)
    x = L.Conv2D(dim, 3, strides=2, padding="same", activation="relu", name="conv_2")(x)
    cnn_model = keras.Model(image, L.Reshape((-1, dim), name="to_tokens")(x), name="cnn_model")
    images = keras.Input((size, size, 3), name="images")
    captions = keras.Input((seq_length,), dtype="int32", name="captions")
    encoder_out = TransformerEncoderBlock(dim, dim * 2, 1, name="encoder")(cnn_model(images))
    preds = TransformerDecoderBlock(dim, dim * 2, 2, seq_length, vocab, name="decoder")(captions, encoder_out)
    return keras.Model([images, captions], preds, name="image_captioning")


def _data_captioning():
    captions = _ids((2, 6), 12)
    captions[1, 4:] = 0  # a shorter caption, padded
    return [_floats((2, 16, 16, 3)), captions], _ids((2, 6), 12, seed=1)


# --- 8. keras.io "Image classification with modern MLP models": gMLP ---------------------------------------
# https://keras.io/examples/vision/mlp_image_classification/ (data_augmentation with an adapted Normalization,
# Patches by extract_patches, gMLPLayer: a Sequential channel projection, spatial_gating_unit = split, a
# LayerNormalization and a Dense over the patches axis between two transposes; the blocks in a Sequential).

@register
class Patches(L.Layer):
    def __init__(self, patch_size: int, **kwargs):
        super().__init__(**kwargs)
        self.patch_size = patch_size

    def call(self, x):
        patches = ops.image.extract_patches(x, self.patch_size)
        batch_size, num_patches = ops.shape(patches)[0], ops.shape(patches)[1] * ops.shape(patches)[2]
        return ops.reshape(patches, (batch_size, num_patches, ops.shape(patches)[-1]))

    def get_config(self):
        return {**super().get_config(), "patch_size": self.patch_size}


@register
class gMLPLayer(L.Layer):  # noqa: N801 - keras.io's name
    def __init__(self, num_patches: int, embedding_dim: int, dropout_rate: float, **kwargs):
        super().__init__(**kwargs)
        self.num_patches, self.embedding_dim, self.dropout_rate = num_patches, embedding_dim, dropout_rate
        self.channel_projection1 = keras.Sequential([L.Dense(units=embedding_dim * 2, activation="gelu"),
                                                     L.Dropout(rate=dropout_rate)], name="channel_projection1")
        self.channel_projection2 = L.Dense(units=embedding_dim, name="channel_projection2")
        self.spatial_projection = L.Dense(units=num_patches, bias_initializer="Ones", name="spatial_projection")
        self.normalize1 = L.LayerNormalization(epsilon=1e-6, name="normalize1")
        self.normalize2 = L.LayerNormalization(epsilon=1e-6, name="normalize2")

    def spatial_gating_unit(self, x):
        u, v = ops.split(x, indices_or_sections=2, axis=2)
        v_channels = ops.transpose(self.normalize2(v), axes=(0, 2, 1))  # (B, channels, patches)
        v_projected = ops.transpose(self.spatial_projection(v_channels), axes=(0, 2, 1))
        return u * v_projected

    def call(self, inputs):
        x_projected = self.channel_projection1(self.normalize1(inputs))
        return inputs + self.channel_projection2(self.spatial_gating_unit(x_projected))

    def get_config(self):
        return {**super().get_config(), "num_patches": self.num_patches, "embedding_dim": self.embedding_dim,
                "dropout_rate": self.dropout_rate}


def gmlp(size: int = 8, patch: int = 2, dim: int = 8, classes: int = 3) -> keras.Model:
    augment = keras.Sequential([L.Normalization(), L.Resizing(size, size), L.RandomFlip("horizontal")],
                               name="data_augmentation")
    augment.layers[0].adapt(_floats((4, size, size, 3), seed=3))
    num_patches = (size // patch) ** 2
    blocks = keras.Sequential([gMLPLayer(num_patches, dim, 0.1, name=f"g_mlp_{i}") for i in range(2)],
                              name="blocks")
    inputs = keras.Input((size, size, 3), name="images")
    patches = Patches(patch, name="patches")(augment(inputs))
    x = blocks(L.Dense(dim, name="patch_embedding")(patches))
    x = L.Dropout(0.1)(L.GlobalAveragePooling1D(name="pool")(x))
    return keras.Model(inputs, L.Dense(classes, name="logits")(x), name="gmlp")


# --- how each model is fed, trained, copied and broken ----------------------------------------------------

def outputs_of(model: keras.Model, x: object) -> object:
    """What a model gives for ``x`` at inference (random flips and dropout off)."""
    return model(x, training=False)


def _sparse_logits(model):
    _compile_plain(model, keras.losses.SparseCategoricalCrossentropy(from_logits=True))


def _break_detr(model, x):  # grey images into a model of RGB ones
    model(x[..., :1])


def _break_seq2seq(model, x):  # decoder steps of 2 features into a model built on 3
    model([x[0], x[1][..., :2]])


def _break_tabular(model, x):  # a record without one of its features
    model({k: v for k, v in x.items() if k != "hours"})


def _break_fnet(model, x):  # sentences longer than the position table
    model(np.concatenate([x, x[:, :2]], axis=1))


def _break_resizer(model, x):  # grey images: the resizer takes any size, not any number of channels
    model(x[..., :1])


def _break_involution(model, x):  # larger images: the Reshapes inside were made for 8x8
    model(np.zeros((2, 10, 10, 3), "float32"))


def _break_captioning(model, x):  # captions of another length than the position table's
    model([x[0], np.concatenate([x[1], x[1][:, :2]], axis=1)])


def _break_gmlp(model, x):  # RGBA images into the Normalization adapted on RGB ones (grey ones broadcast)
    model(np.concatenate([x, x[..., :1]], axis=-1))


SPECS = [
    Spec5(detr, _data_detr, "backbone/conv_2", "backbone", "backbone/*", compile=_compile_detr,
          expect_paths=("decoder/query_embed", "decoder/cross_attn_1", "bbox_embed"), breaks=_break_detr,
          explains=r"backbone"),
    Spec5(masked_seq2seq, _data_seq2seq, "encoder/encoder_lstm", "encoder", "encoder/*",
          compile=lambda model: _compile_plain(model, "mse"), expect_paths=("encoder/masking", "decoder/decoder_lstm"),
          breaks=_break_seq2seq, explains=r"its input .decoder_inputs. as keras.Input\(shape=\(None, 2\)\)"),
    Spec5(tabular_pipeline, _data_tabular, "preprocessor/hours_pipeline", "classifier", "classifier/hidden",
          compile=lambda model: _compile_plain(model, "binary_crossentropy"),
          expect_paths=("preprocessor/age_norm", "classifier/hidden"), breaks=_break_tabular, explains=r"hours"),
    Spec5(fnet, lambda: (_ids((2, 6), 20), np.array([0, 1])), "fnet/fnet_encoder_1", "fnet", "fnet/fnet_encoder_0*",
          expect_paths=("fnet/positional_embedding", "fnet/fnet_encoder_1/dense_proj"), breaks=_break_fnet,
          explains=r"positional_embedding|\(batch, 8\)"),
    Spec5(learnable_resizer, lambda: (_floats((2, 12, 12, 3)), np.array([0, 2])), "learnable_resizer/to_rgb",
          "base_model", "learnable_resizer/*", compile=_sparse_logits,
          expect_paths=("learnable_resizer/naive_resize", "base_model/conv"), breaks=_break_resizer,
          explains=r"learnable_resizer"),
    Spec5(involution, lambda: (_floats((2, 8, 8, 3)), np.array([0, 2])), "involution_features/inv_2",
          "involution_features", "involution_features/inv_1*", compile=_sparse_logits,
          expect_paths=("involution_features/inv_1/kernel_gen",), breaks=_break_involution, explains=r"fc is made for 8x8"),
    Spec5(image_captioning, _data_captioning, "cnn_model/conv_2", "cnn_model", "cnn_model/*",
          expect_paths=("decoder/embedding", "encoder"), breaks=_break_captioning,
          explains=r"decoder|\(batch, 8\)"),
    Spec5(gmlp, lambda: (_floats((2, 8, 8, 3)), np.array([0, 2])), "blocks/g_mlp_1/spatial_projection", "blocks",
          "blocks/g_mlp_0*", compile=_sparse_logits, expect_paths=("blocks/g_mlp_0/channel_projection1",
                                                                   "data_augmentation"),
          breaks=_break_gmlp, explains=r"data_augmentation"),
]
