"""Real-world nested models, sixteenth batch: each rewritten small from the public code cited above it, keeping its
structure (the nesting, the custom layers and their quirks, the ops between layers). Kinds the first fifteen batches
did not have: keras-hub's Llama causal LM (RMS normalisation, rotary position embeddings, grouped-query attention,
a SwiGLU feed-forward; the backbone nested in the LM, whose head is the backbone's embedding reversed), keras-cv's
SegFormer (a MiT backbone of overlapping patch embeddings and efficient attention that reshapes the token sequence to
its square grid, nested in a SegFormer backbone with an all-MLP decoder, nested in the segmenter), keras.io's
molecule-generating VAE (relational graph convolutions over an adjacency tensor of bond types, an encoder and a
decoder model in a subclassed generator), keras.io's ShiftViT (a Vision Transformer without attention: blocks that
shift channel groups by a pixel, made in build() from the first call's map size, stacked in stages of a subclassed
model) and keras.io's DeiT (a subclassed ViT with a class and a distillation token whose output differs between
training and inference, its Transformer blocks nested models)."""

from __future__ import annotations

import math

import keras
import numpy as np

from tests.models_4 import _floats, _ids
from tests.models_5 import Spec5
from tests.models_13 import GPT2CausalLM, _compile_gpt2, _compile_plain, _copy_backbone, _copy_functional
from tests.models_15 import _compile_mse, _fit_to_zeros

L = keras.layers
ops = keras.ops
PACKAGE = "kernest_rw16"


def register(cls):
    return keras.saving.register_keras_serializable(package=PACKAGE)(cls)


# --- 1. keras-hub's LlamaCausalLM -----------------------------------------------------------------------------
# https://github.com/keras-team/keras-hub/tree/master/keras_hub/src/models/llama (LlamaLayerNorm: an RMS norm with a
# learned scale; RotaryEmbedding: cos/sin of the positions times inverse frequencies, applied to the query and key
# halves; LlamaAttention: query heads and fewer key/value heads (grouped-query attention), the key/value heads
# repeated num_query_heads // num_key_value_heads times, a causal mask joined with the padding mask;
# LlamaTransformerDecoder: pre-norm attention and a SwiGLU feed-forward (silu(gate) * intermediate), residuals;
# LlamaBackbone: a functional model of {"token_ids", "padding_mask"}, a ReversibleEmbedding, the decoders, a final
# norm; LlamaCausalLM: the backbone nested in a functional model whose logits are
# backbone.token_embedding(x, reverse=True)). Vocabulary 20, width 8, 4 query heads, 2 key/value heads, 2 layers.

LLAMA_VOCAB, LLAMA_DIM, LLAMA_LEN = 20, 8, 6


@register
class ReversibleEmbedding(L.Embedding):
    """An Embedding that, with ``reverse=True``, maps hidden states back to the vocabulary by its own table."""

    def call(self, inputs, reverse=False):
        if reverse:
            return ops.matmul(inputs, ops.transpose(self.embeddings))
        return super().call(inputs)

    def compute_output_spec(self, inputs, reverse=False):
        if reverse:
            return keras.KerasTensor((*inputs.shape[:-1], self.input_dim), inputs.dtype)
        return super().compute_output_spec(inputs)


@register
class LlamaLayerNorm(L.Layer):
    def __init__(self, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def build(self, input_shape):
        self.scale = self.add_weight(name="scale", shape=(input_shape[-1],), initializer="ones")

    def call(self, x):
        variance = ops.mean(ops.square(x), axis=-1, keepdims=True)
        return x * ops.rsqrt(variance + self.epsilon) * self.scale

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


def _rotate(x, positions, max_wavelength=10000):
    """keras-hub's RotaryEmbedding on (batch, steps, heads, head_dim)."""
    head_dim = x.shape[-1]
    inverse_freq = 1.0 / (max_wavelength ** (ops.arange(0, head_dim, 2, dtype="float32") / head_dim))
    freq = ops.einsum("i,j->ij", positions, inverse_freq)  # (steps, head_dim / 2)
    embedding = ops.concatenate([freq, freq], axis=-1)[None, :, None, :]
    cos, sin = ops.cos(embedding), ops.sin(embedding)
    x1, x2 = ops.split(x, 2, axis=-1)
    return x * cos + ops.concatenate([-x2, x1], axis=-1) * sin


@register
class LlamaAttention(L.Layer):
    def __init__(self, num_query_heads, num_key_value_heads, **kwargs):
        super().__init__(**kwargs)
        self.num_query_heads, self.num_key_value_heads = num_query_heads, num_key_value_heads
        self.num_key_value_groups = num_query_heads // num_key_value_heads

    def build(self, input_shape):
        hidden = input_shape[-1]
        self.head_dim = hidden // self.num_query_heads
        self.query_dense = L.EinsumDense("bqm,muh->bquh", (None, self.num_query_heads, self.head_dim), name="query")
        self.key_dense = L.EinsumDense("bkm,mvh->bkvh", (None, self.num_key_value_heads, self.head_dim), name="key")
        self.value_dense = L.EinsumDense("bkm,mvh->bkvh", (None, self.num_key_value_heads, self.head_dim),
                                         name="value")
        self.output_dense = L.EinsumDense("bquh,uhm->bqm", (None, hidden), name="attention_output")
        for layer in (self.query_dense, self.key_dense, self.value_dense):
            layer.build(input_shape)
        self.output_dense.build((None, None, self.num_query_heads, self.head_dim))

    def call(self, hidden_states, attention_mask):
        positions = ops.cast(ops.arange(ops.shape(hidden_states)[1]), "float32")
        query = _rotate(self.query_dense(hidden_states), positions)
        key = _rotate(self.key_dense(hidden_states), positions)
        value = self.value_dense(hidden_states)
        key = ops.repeat(key, repeats=self.num_key_value_groups, axis=2)
        value = ops.repeat(value, repeats=self.num_key_value_groups, axis=2)
        scores = ops.einsum("bquh,bkuh->buqk", query, key) / math.sqrt(self.head_dim)
        scores = ops.where(attention_mask[:, None, :, :], scores, -1e9)
        weights = ops.softmax(scores, axis=-1)
        return self.output_dense(ops.einsum("buqk,bkuh->bquh", weights, value))

    def get_config(self):
        return {**super().get_config(), "num_query_heads": self.num_query_heads,
                "num_key_value_heads": self.num_key_value_heads}


@register
class LlamaTransformerDecoder(L.Layer):
    def __init__(self, intermediate_dim, num_query_heads, num_key_value_heads, **kwargs):
        super().__init__(**kwargs)
        self.intermediate_dim = intermediate_dim
        self.num_query_heads, self.num_key_value_heads = num_query_heads, num_key_value_heads

    def build(self, input_shape):
        hidden = input_shape[-1]
        self.self_attention_layernorm = LlamaLayerNorm(name="self_attention_layernorm")
        self.self_attention_layer = LlamaAttention(self.num_query_heads, self.num_key_value_heads,
                                                   name="self_attention")
        self.feedforward_layernorm = LlamaLayerNorm(name="feedforward_layernorm")
        self.feedforward_gate_dense = L.Dense(self.intermediate_dim, use_bias=False, name="feedforward_gate_dense")
        self.feedforward_intermediate_dense = L.Dense(self.intermediate_dim, use_bias=False,
                                                      name="feedforward_intermediate_dense")
        self.feedforward_output_dense = L.Dense(hidden, use_bias=False, name="feedforward_output_dense")
        for layer in (self.self_attention_layernorm, self.self_attention_layer, self.feedforward_layernorm,
                      self.feedforward_gate_dense, self.feedforward_intermediate_dense):
            layer.build(input_shape)
        self.feedforward_output_dense.build((*input_shape[:-1], self.intermediate_dim))

    def call(self, decoder_sequence, decoder_padding_mask):
        steps = ops.shape(decoder_sequence)[1]
        causal = ops.tril(ops.ones((steps, steps), "bool"))
        mask = ops.logical_and(causal[None], ops.cast(decoder_padding_mask, "bool")[:, None, :])
        x = self.self_attention_layer(self.self_attention_layernorm(decoder_sequence), attention_mask=mask)
        residual = decoder_sequence + x
        x = self.feedforward_layernorm(residual)
        gate = ops.silu(self.feedforward_gate_dense(x))
        x = self.feedforward_output_dense(self.feedforward_intermediate_dense(x) * gate)
        return residual + x

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "intermediate_dim": self.intermediate_dim,
                "num_query_heads": self.num_query_heads, "num_key_value_heads": self.num_key_value_heads}


@register
class LlamaBackbone(keras.Model):
    """keras-hub's backbone: a functional model made in a subclass's __init__, with its config."""

    def __init__(self, vocabulary_size=LLAMA_VOCAB, num_layers=2, num_query_heads=4, num_key_value_heads=2,
                 hidden_dim=LLAMA_DIM, intermediate_dim=2 * LLAMA_DIM, **kwargs):
        # === Layers ===
        token_embedding = ReversibleEmbedding(vocabulary_size, hidden_dim, name="token_embedding")
        transformer_layers = [LlamaTransformerDecoder(intermediate_dim, num_query_heads, num_key_value_heads,
                                                      name=f"transformer_layer_{i}") for i in range(num_layers)]
        layer_norm = LlamaLayerNorm(name="sequence_output_layernorm")
        # === Functional Model ===
        token_id_input = keras.Input((None,), dtype="int32", name="token_ids")
        padding_mask_input = keras.Input((None,), dtype="int32", name="padding_mask")
        x = token_embedding(token_id_input)
        for transformer_layer in transformer_layers:
            x = transformer_layer(x, decoder_padding_mask=padding_mask_input)
        super().__init__(inputs={"token_ids": token_id_input, "padding_mask": padding_mask_input},
                         outputs=layer_norm(x), **kwargs)
        self.token_embedding, self.transformer_layers, self.layer_norm = token_embedding, transformer_layers, layer_norm
        # === Config ===
        self.vocabulary_size, self.num_layers, self.hidden_dim = vocabulary_size, num_layers, hidden_dim
        self.num_query_heads, self.num_key_value_heads = num_query_heads, num_key_value_heads
        self.intermediate_dim = intermediate_dim

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, "vocabulary_size": self.vocabulary_size,
                "num_layers": self.num_layers, "num_query_heads": self.num_query_heads,
                "num_key_value_heads": self.num_key_value_heads, "hidden_dim": self.hidden_dim,
                "intermediate_dim": self.intermediate_dim}


@register
class LlamaCausalLM(GPT2CausalLM):
    """keras-hub's CausalLM: the backbone nested in a functional model whose logits are the backbone's token
    embedding reversed, the same Task code as batch 13's GPT-2."""


def llama_causal_lm(**backbone_args) -> keras.Model:
    return LlamaCausalLM(LlamaBackbone(**backbone_args, name="llama_backbone"), name="llama_causal_lm")


def _data_llama():
    ids = _ids((2, LLAMA_LEN), LLAMA_VOCAB)
    mask = np.ones((2, LLAMA_LEN), "int32")
    mask[1, 4:] = 0
    return {"token_ids": ids, "padding_mask": mask}, _ids((2, LLAMA_LEN), LLAMA_VOCAB, 1)


def _break_llama(model, x):  # 6 query heads over 4 key/value heads: 6 // 4 = 1 repeat leaves 4 heads beside 6
    llama_causal_lm(num_query_heads=6, num_key_value_heads=4, hidden_dim=12)(x)


# --- 2. keras-cv's SegFormer -----------------------------------------------------------------------------------
# https://github.com/keras-team/keras-cv/tree/master/keras_cv/models/segmentation/segformer and
# keras_cv/layers (OverlappingPatchingAndEmbedding: a strided Conv2D, its map flattened to tokens, LayerNorm;
# SegFormerMultiheadAttention: H = W = int(math.sqrt(tokens)), the keys and values from the tokens reshaped to that
# grid, reduced by a strided Conv2D (sr_ratio) and LayerNorm; HierarchicalTransformerEncoder: LayerNorm, that
# attention, LayerNorm, a Mix-FFN (Dense, a DepthwiseConv2D on the tokens reshaped to the grid, gelu, Dense);
# MiTBackbone: four stages of patch embedding, encoders, LayerNorm, reshape to the map, the pyramid as outputs;
# SegFormer: each level through a Dense to the projection width and resized to the first level's size,
# concatenated, a 1x1 Conv2D, BatchNormalization, ReLU, a 1x1 Conv2D to the classes, resized to the image).
# Here MiT has two stages (widths 8, 16), nested in a SegFormer model nested in the segmenter; 32x32 images.

SEG_SIZE, SEG_CLASSES = 32, 3


@register
class OverlappingPatchingAndEmbedding(L.Layer):
    def __init__(self, project_dim=8, patch_size=7, stride=4, **kwargs):
        super().__init__(**kwargs)
        self.project_dim, self.patch_size, self.stride = project_dim, patch_size, stride
        self.proj = L.Conv2D(project_dim, patch_size, strides=stride, padding="same")
        self.norm = L.LayerNormalization()

    def call(self, x):
        x = self.proj(x)
        shape = x.shape
        x = ops.reshape(x, (-1, shape[1] * shape[2], shape[3]))
        return self.norm(x)

    def get_config(self):
        return {**super().get_config(), "project_dim": self.project_dim, "patch_size": self.patch_size,
                "stride": self.stride}


@register
class SegFormerMultiheadAttention(L.Layer):
    def __init__(self, project_dim, num_heads, sr_ratio, **kwargs):
        super().__init__(**kwargs)
        self.project_dim, self.num_heads, self.sr_ratio = project_dim, num_heads, sr_ratio
        self.scale = (project_dim // num_heads) ** -0.5
        self.q = L.Dense(project_dim)
        self.k = L.Dense(project_dim)
        self.v = L.Dense(project_dim)
        self.proj = L.Dense(project_dim)
        if sr_ratio > 1:
            self.sr = L.Conv2D(project_dim, sr_ratio, strides=sr_ratio, padding="same")
            self.norm = L.LayerNormalization()

    def call(self, x):
        input_shape = ops.shape(x)
        H, W = int(math.sqrt(input_shape[1])), int(math.sqrt(input_shape[1]))
        B, C = input_shape[0], input_shape[2]
        heads = self.num_heads
        q = ops.transpose(ops.reshape(self.q(x), (B, -1, heads, C // heads)), (0, 2, 1, 3))
        if self.sr_ratio > 1:
            x = ops.reshape(x, (B, H, W, C))
            x = self.norm(ops.reshape(self.sr(x), (B, -1, C)))
        k = ops.transpose(ops.reshape(self.k(x), (B, -1, heads, C // heads)), (0, 2, 3, 1))
        v = ops.transpose(ops.reshape(self.v(x), (B, -1, heads, C // heads)), (0, 2, 1, 3))
        attn = ops.softmax(ops.matmul(q, k) * self.scale, axis=-1)
        x = ops.reshape(ops.transpose(ops.matmul(attn, v), (0, 2, 1, 3)), (B, input_shape[1], C))
        return self.proj(x)

    def get_config(self):
        return {**super().get_config(), "project_dim": self.project_dim, "num_heads": self.num_heads,
                "sr_ratio": self.sr_ratio}


@register
class MixFFN(L.Layer):
    def __init__(self, channels, mid_channels, **kwargs):
        super().__init__(**kwargs)
        self.channels, self.mid_channels = channels, mid_channels
        self.fc1 = L.Dense(mid_channels)
        self.dwconv = L.DepthwiseConv2D(3, padding="same")
        self.fc2 = L.Dense(channels)

    def call(self, x):
        x = self.fc1(x)
        shape = ops.shape(x)
        H, W = int(math.sqrt(shape[1])), int(math.sqrt(shape[1]))
        B, C = shape[0], shape[2]
        x = ops.reshape(self.dwconv(ops.reshape(x, (B, H, W, C))), (B, -1, C))
        return self.fc2(ops.gelu(x))

    def get_config(self):
        return {**super().get_config(), "channels": self.channels, "mid_channels": self.mid_channels}


@register
class HierarchicalTransformerEncoder(L.Layer):
    def __init__(self, project_dim, num_heads, sr_ratio=1, mlp_ratio=2, **kwargs):
        super().__init__(**kwargs)
        self.project_dim, self.num_heads, self.sr_ratio, self.mlp_ratio = project_dim, num_heads, sr_ratio, mlp_ratio
        self.norm1 = L.LayerNormalization(epsilon=1e-6)
        self.attn = SegFormerMultiheadAttention(project_dim, num_heads, sr_ratio)
        self.norm2 = L.LayerNormalization(epsilon=1e-6)
        self.mlp = MixFFN(project_dim, int(project_dim * mlp_ratio))

    def call(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))

    def get_config(self):
        return {**super().get_config(), "project_dim": self.project_dim, "num_heads": self.num_heads,
                "sr_ratio": self.sr_ratio, "mlp_ratio": self.mlp_ratio}


def mit_backbone(image_shape=(SEG_SIZE, SEG_SIZE, 3), embedding_dims=(8, 16), depths=(1, 1), sr_ratios=(2, 1)):
    image = keras.Input(image_shape, name="images")
    x, pyramid = image, {}
    for i, (dim, depth, sr) in enumerate(zip(embedding_dims, depths, sr_ratios, strict=True)):
        patch, stride = (7, 4) if i == 0 else (3, 2)
        x = OverlappingPatchingAndEmbedding(dim, patch, stride, name=f"patch_and_embed_{i}")(x)
        for j in range(depth):
            x = HierarchicalTransformerEncoder(dim, 2, sr, name=f"hierarchical_encoder_{i}_{j}")(x)
        x = L.LayerNormalization(name=f"layer_norm_{i}")(x)
        x = L.Reshape((int(math.sqrt(x.shape[1])), int(math.sqrt(x.shape[1])), -1), name=f"to_map_{i}")(x)
        pyramid[f"P{i + 1}"] = x
    return keras.Model(image, pyramid, name="mit_backbone")


def segformer_backbone(image_shape=(SEG_SIZE, SEG_SIZE, 3), projection_filters=8):
    image = keras.Input(image_shape, name="images")
    pyramid = mit_backbone(image_shape)(image)
    size = pyramid["P1"].shape[1:3]
    levels = [L.Resizing(*size, interpolation="bilinear", name=f"resize_{key}")(
        L.Dense(projection_filters, name=f"linear_{key}")(level)) for key, level in pyramid.items()]
    x = L.Concatenate(axis=-1)(levels[::-1])
    x = L.Conv2D(projection_filters, 1, use_bias=False, name="linear_fuse")(x)
    x = L.ReLU()(L.BatchNormalization()(x))
    return keras.Model(image, x, name="segformer_backbone")


def segformer(image_shape=(SEG_SIZE, SEG_SIZE, 3), num_classes=SEG_CLASSES) -> keras.Model:
    image = keras.Input(image_shape, name="images")
    x = segformer_backbone(image_shape)(image)
    x = L.Conv2D(num_classes, 1, name="segmentation_head")(L.Dropout(0.1)(x))
    x = L.Resizing(image_shape[0], image_shape[1], interpolation="bilinear", name="to_image_size")(x)
    return keras.Model(image, L.Softmax(name="class_probabilities")(x), name="segformer")


def _break_segformer(model, x):  # made for the dataset's 32x48 photos: 8x12 tokens at the first stage
    segformer(image_shape=(32, 48, 3))


# --- 3. keras.io "Drug Molecule Generation with Variational Autoencoder" -------------------------------------
# https://keras.io/examples/generative/molecule_generation/ (RelationalGraphConvLayer: a kernel of (bond types,
# atom features, units), the adjacency (bonds, atoms, atoms) times the features, times the kernel, summed over the
# bond types; get_encoder: [adjacency, features] -> graph convolutions, GlobalAveragePooling1D, Dense/Dropout,
# z_mean and log_var; get_decoder: latent -> Dense/Dropout, a Dense reshaped to the adjacency, symmetrised
# ((a + a^T) / 2) and softmaxed over the bond types, a Dense reshaped to the features softmaxed over the atom
# types; Sampling; MoleculeGenerator: a keras.Model holding the encoder, the decoder, a property Dense and the
# sampling layer, call() returning z_mean, log_var, the property, the generated adjacency and features). Here 6 atoms
# of 4 types, 3 bond types (and "none"), latent 4, graph convolutions of 8 units; the sampling gives z_mean outside
# training (keras.io's draws noise at every call), and no train_step (keras.io's uses a GradientTape; here one
# mse step on all five outputs).

MOL_ATOMS, MOL_ATOM_TYPES, MOL_BONDS, MOL_LATENT = 6, 4, 4, 4
MOL_ADJACENCY, MOL_FEATURES = (MOL_BONDS, MOL_ATOMS, MOL_ATOMS), (MOL_ATOMS, MOL_ATOM_TYPES)


@register
class RelationalGraphConvLayer(L.Layer):
    def __init__(self, units=8, activation="relu", use_bias=False, **kwargs):
        super().__init__(**kwargs)
        self.units, self.use_bias = units, use_bias
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        bond_dim = input_shape[0][1]
        atom_dim = input_shape[1][2]
        self.kernel = self.add_weight(shape=(bond_dim, atom_dim, self.units), initializer="glorot_uniform",
                                      trainable=True, name="W", dtype="float32")
        if self.use_bias:
            self.bias = self.add_weight(shape=(bond_dim, 1, self.units), initializer="zeros", trainable=True,
                                        name="b", dtype="float32")
        self.built = True

    def call(self, inputs, training=False):
        adjacency, features = inputs
        x = ops.matmul(adjacency, features[:, None])  # (batch, bonds, atoms, atom features)
        x = ops.matmul(x, self.kernel)  # (batch, bonds, atoms, units)
        if self.use_bias:
            x += self.bias
        return self.activation(ops.sum(x, axis=1))

    def get_config(self):
        return {**super().get_config(), "units": self.units, "use_bias": self.use_bias,
                "activation": keras.activations.serialize(self.activation)}


def get_encoder(gconv_units=(8, 8), latent_dim=MOL_LATENT, adjacency_shape=MOL_ADJACENCY,
                feature_shape=MOL_FEATURES, dense_units=(16,), dropout_rate=0.2):
    adjacency = L.Input(shape=adjacency_shape, name="adjacency")
    features = L.Input(shape=feature_shape, name="features")
    features_transformed = features
    for units in gconv_units:
        features_transformed = RelationalGraphConvLayer(units)([adjacency, features_transformed])
    x = L.GlobalAveragePooling1D()(features_transformed)
    for units in dense_units:
        x = L.Dense(units, activation="relu")(x)
        x = L.Dropout(dropout_rate)(x)
    z_mean = L.Dense(latent_dim, dtype="float32", name="z_mean")(x)
    log_var = L.Dense(latent_dim, dtype="float32", name="log_var")(x)
    return keras.Model([adjacency, features], [z_mean, log_var], name="encoder")


def get_decoder(dense_units=(16,), dropout_rate=0.2, latent_dim=MOL_LATENT, adjacency_shape=MOL_ADJACENCY,
                feature_shape=MOL_FEATURES):
    latent_inputs = keras.Input(shape=(latent_dim,), name="latent")
    x = latent_inputs
    for units in dense_units:
        x = L.Dense(units, activation="tanh")(x)
        x = L.Dropout(dropout_rate)(x)
    x_adjacency = L.Dense(int(np.prod(adjacency_shape)))(x)
    x_adjacency = L.Reshape(adjacency_shape)(x_adjacency)
    x_adjacency = (x_adjacency + ops.transpose(x_adjacency, (0, 1, 3, 2))) / 2
    x_adjacency = L.Softmax(axis=1)(x_adjacency)
    x_features = L.Dense(int(np.prod(feature_shape)))(x)
    x_features = L.Reshape(feature_shape)(x_features)
    x_features = L.Softmax(axis=2)(x_features)
    return keras.Model(latent_inputs, outputs=[x_adjacency, x_features], name="decoder")


@register
class Sampling(L.Layer):
    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=False):
        z_mean, z_log_var = inputs
        if not training:
            return z_mean
        epsilon = keras.random.normal(shape=ops.shape(z_log_var), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


@register
class MoleculeGenerator(keras.Model):
    def __init__(self, encoder, decoder, max_len, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.encoder, self.decoder = encoder, decoder
        self.property_prediction_layer = L.Dense(1)
        self.max_len = max_len
        self.sampling_layer = Sampling(seed=seed)

    def call(self, inputs, training=False):
        z_mean, log_var = self.encoder(inputs)
        z = self.sampling_layer([z_mean, log_var], training=training)
        gen_adjacency, gen_features = self.decoder(z)
        property_pred = self.property_prediction_layer(z_mean)
        return z_mean, log_var, property_pred, gen_adjacency, gen_features


def molecule_vae() -> keras.Model:
    model = MoleculeGenerator(get_encoder(), get_decoder(), max_len=MOL_ATOMS, seed=0, name="molecule_generator")
    model(list(_data_molecules()[0]))
    return model


def _data_molecules():
    rng = np.random.default_rng(0)
    bonds = rng.integers(0, MOL_BONDS, (2, MOL_ATOMS, MOL_ATOMS))
    bonds = np.triu(bonds, 1) + np.transpose(np.triu(bonds, 1), (0, 2, 1))
    adjacency = np.eye(MOL_BONDS, dtype="float32")[bonds].transpose(0, 3, 1, 2)  # (batch, bonds, atoms, atoms)
    features = np.eye(MOL_ATOM_TYPES, dtype="float32")[rng.integers(0, MOL_ATOM_TYPES, (2, MOL_ATOMS))]
    return [adjacency, features], None


def _break_molecule(model, x):  # the adjacency built as adjacency[i, j, bond]: (atoms, atoms, bonds)
    adjacency, features = x
    model([np.transpose(adjacency, (0, 2, 3, 1)), features])


# --- 4. keras.io "A Vision Transformer without Attention" (ShiftViT) ---------------------------------------
# https://keras.io/examples/vision/shiftvit/ (MLP: a layer whose build() makes a Sequential of Dense/Dropout from
# the input's channels; DropPath; ShiftViTBlock: build() records H, W, C of its first input and makes a
# LayerNormalization, a DropPath and the MLP; call() splits the channels into num_div groups and shifts four of
# them by a pixel left, right, up and down (ops.image.crop_images then pad_images to the recorded H x W),
# concatenates them, and adds the MLP of the normalised map; PatchMerging: a strided Conv2D doubling the
# channels, LayerNormalization; StackedShiftBlocks: blocks with their drop path rates and a PatchMerging;
# ShiftViTModel: a keras.Model holding a data augmentation Sequential, a patch projection Conv2D, the stages in a
# list, GlobalAveragePooling2D and a Dense). 32x32 images, patches of 4, widths 8 and 16, num_div 4, 2 stages.

SVIT_SIZE, SVIT_CLASSES = 32, 3


@register
class ShiftMLP(L.Layer):
    def __init__(self, mlp_expand_ratio, mlp_dropout_rate, **kwargs):
        super().__init__(**kwargs)
        self.mlp_expand_ratio, self.mlp_dropout_rate = mlp_expand_ratio, mlp_dropout_rate

    def build(self, input_shape):
        input_channels = input_shape[-1]
        initial_filters = int(self.mlp_expand_ratio * input_channels)
        self.mlp = keras.Sequential([L.Dense(initial_filters, activation=ops.gelu), L.Dropout(self.mlp_dropout_rate),
                                     L.Dense(input_channels), L.Dropout(self.mlp_dropout_rate)])

    def call(self, x):
        return self.mlp(x)

    def get_config(self):
        return {**super().get_config(), "mlp_expand_ratio": self.mlp_expand_ratio,
                "mlp_dropout_rate": self.mlp_dropout_rate}


@register
class DropPath(L.Layer):
    def __init__(self, drop_path_prob, **kwargs):
        super().__init__(**kwargs)
        self.drop_path_prob = drop_path_prob
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, x, training=False):
        if training:
            keep_prob = 1 - self.drop_path_prob
            shape = (ops.shape(x)[0],) + (1,) * (len(x.shape) - 1)
            random_tensor = ops.floor(keep_prob + keras.random.uniform(shape, 0, 1, seed=self.seed_generator))
            return (x / keep_prob) * random_tensor
        return x

    def get_config(self):
        return {**super().get_config(), "drop_path_prob": self.drop_path_prob}


@register
class ShiftViTBlock(L.Layer):
    def __init__(self, epsilon, drop_path_prob, mlp_dropout_rate, num_div=4, shift_pixel=1, mlp_expand_ratio=2,
                 **kwargs):
        super().__init__(**kwargs)
        self.shift_pixel, self.mlp_expand_ratio, self.mlp_dropout_rate = shift_pixel, mlp_expand_ratio, mlp_dropout_rate
        self.num_div, self.epsilon, self.drop_path_prob = num_div, epsilon, drop_path_prob

    def build(self, input_shape):
        self.H, self.W, self.C = input_shape[1], input_shape[2], input_shape[3]
        self.layer_norm = L.LayerNormalization(epsilon=self.epsilon)
        self.drop_path = DropPath(self.drop_path_prob) if self.drop_path_prob > 0.0 else L.Activation("linear")
        self.mlp = ShiftMLP(self.mlp_expand_ratio, self.mlp_dropout_rate)

    def get_shift_pad(self, x, mode):
        top, left, height, width = {"left": (0, 0, 0, self.shift_pixel), "right": (0, self.shift_pixel, 0, self.shift_pixel),
                                    "up": (0, 0, self.shift_pixel, 0), "down": (self.shift_pixel, 0, self.shift_pixel, 0)}[mode]
        crop = ops.image.crop_images(x, top_cropping=top, left_cropping=left, target_height=self.H - height,
                                     target_width=self.W - width)
        return ops.image.pad_images(crop, top_padding=top, left_padding=left, target_height=self.H,
                                    target_width=self.W)

    def call(self, x, training=False):
        group = self.C // self.num_div
        x_splits = ops.split(x, [group, 2 * group, 3 * group, 4 * group], axis=-1)
        for i, mode in enumerate(("left", "right", "up", "down")):
            x_splits[i] = self.get_shift_pad(x_splits[i], mode)
        x = ops.concatenate(x_splits, axis=-1)
        shortcut = x
        return shortcut + self.drop_path(self.mlp(self.layer_norm(x)), training=training)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon, "drop_path_prob": self.drop_path_prob,
                "mlp_dropout_rate": self.mlp_dropout_rate, "num_div": self.num_div,
                "shift_pixel": self.shift_pixel, "mlp_expand_ratio": self.mlp_expand_ratio}


@register
class PatchMerging(L.Layer):
    def __init__(self, epsilon, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def build(self, input_shape):
        self.reduction = L.Conv2D(2 * input_shape[-1], 2, strides=2, padding="same", use_bias=False)
        self.layer_norm = L.LayerNormalization(epsilon=self.epsilon)

    def call(self, x):
        return self.layer_norm(self.reduction(x))

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@register
class StackedShiftBlocks(L.Layer):
    def __init__(self, epsilon, mlp_dropout_rate, num_shift_blocks, stochastic_depth_rate, is_merge, num_div=4,
                 shift_pixel=1, mlp_expand_ratio=2, **kwargs):
        super().__init__(**kwargs)
        self.epsilon, self.mlp_dropout_rate, self.num_shift_blocks = epsilon, mlp_dropout_rate, num_shift_blocks
        self.stochastic_depth_rate, self.is_merge, self.num_div = stochastic_depth_rate, is_merge, num_div
        self.shift_pixel, self.mlp_expand_ratio = shift_pixel, mlp_expand_ratio

    def build(self, input_shapes):
        dpr = [float(r) for r in np.linspace(0, self.stochastic_depth_rate, self.num_shift_blocks)]
        self.shift_blocks = [ShiftViTBlock(self.epsilon, dpr[i], self.mlp_dropout_rate, self.num_div,
                                           self.shift_pixel, self.mlp_expand_ratio)
                             for i in range(self.num_shift_blocks)]
        if self.is_merge:
            self.patch_merge = PatchMerging(epsilon=self.epsilon)

    def call(self, x, training=False):
        for shift_block in self.shift_blocks:
            x = shift_block(x, training=training)
        if self.is_merge:
            x = self.patch_merge(x)
        return x

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon, "mlp_dropout_rate": self.mlp_dropout_rate,
                "num_shift_blocks": self.num_shift_blocks, "stochastic_depth_rate": self.stochastic_depth_rate,
                "is_merge": self.is_merge, "num_div": self.num_div, "shift_pixel": self.shift_pixel,
                "mlp_expand_ratio": self.mlp_expand_ratio}


@register
class ShiftViTModel(keras.Model):
    def __init__(self, projected_dim=8, patch_size=4, num_shift_blocks_per_stages=(1, 1), epsilon=1e-5,
                 mlp_dropout_rate=0.1, stochastic_depth_rate=0.1, num_div=4, shift_pixel=1, mlp_expand_ratio=2,
                 num_classes=SVIT_CLASSES, **kwargs):
        super().__init__(**kwargs)
        self.config = {"projected_dim": projected_dim, "patch_size": patch_size,
                       "num_shift_blocks_per_stages": list(num_shift_blocks_per_stages), "epsilon": epsilon,
                       "mlp_dropout_rate": mlp_dropout_rate, "stochastic_depth_rate": stochastic_depth_rate,
                       "num_div": num_div, "shift_pixel": shift_pixel, "mlp_expand_ratio": mlp_expand_ratio,
                       "num_classes": num_classes}
        self.data_augmentation = keras.Sequential([L.Rescaling(1 / 255.0), L.RandomFlip("horizontal")],
                                                  name="data_augmentation")
        self.patch_projection = L.Conv2D(projected_dim, patch_size, strides=patch_size, padding="same")
        self.stages = []
        for index, num_shift_blocks in enumerate(num_shift_blocks_per_stages):
            self.stages.append(StackedShiftBlocks(
                epsilon, mlp_dropout_rate, num_shift_blocks, stochastic_depth_rate,
                is_merge=index != len(num_shift_blocks_per_stages) - 1, num_div=num_div, shift_pixel=shift_pixel,
                mlp_expand_ratio=mlp_expand_ratio, name=f"stage_{index}"))
        self.global_avg_pool = L.GlobalAveragePooling2D()
        self.classifier = L.Dense(num_classes)

    def call(self, images, training=False):
        x = self.data_augmentation(images, training=training)
        x = self.patch_projection(x)
        for stage in self.stages:
            x = stage(x, training=training)
        return self.classifier(self.global_avg_pool(x))

    def get_config(self):
        return {**super().get_config(), **self.config}


def _data_shiftvit():
    return _floats((2, SVIT_SIZE, SVIT_SIZE, 3)) * 255, np.array([0, 2])


def shiftvit() -> keras.Model:
    model = ShiftViTModel(name="shiftvit")
    model(_data_shiftvit()[0])  # keras.io builds it by a call on a sample batch
    return model


def _break_shiftvit(model, x):  # built on 32x32 samples, then given 48x48 photos
    model(_floats((2, 48, 48, 3)) * 255)


# --- 5. keras.io "Distilling Vision Transformers" (DeiT) ----------------------------------------------------
# https://keras.io/examples/vision/deit/ (mlp; transformer(drop_prob, name): a functional model of LayerNorm,
# MultiHeadAttention, StochasticDepth, Add, LayerNorm, mlp, StochasticDepth, Add; ViTClassifier: a keras.Model
# holding a projection Sequential (a strided Conv2D, Reshape to (NUM_PATCHES, PROJECTION_DIM)), a position
# embedding variable, the Transformer block models in a list, a class token, Dropout, LayerNormalization and a
# head; ViTDistilled(ViTClassifier): a distillation token and a second head; call() returns (head, distillation
# head) in training and their mean otherwise). Here the variables are add_weight()s made in __init__ (keras.io's
# are tf.Variables), 32x32 images in 8x8 patches, width 8, 2 blocks.

DEIT_SIZE, DEIT_PATCH, DEIT_DIM, DEIT_CLASSES = 32, 8, 8, 3
DEIT_PATCHES = (DEIT_SIZE // DEIT_PATCH) ** 2


@register
class StochasticDepth(DropPath):
    """keras.io's DeiT's StochasticDepth: the same code as ShiftViT's DropPath, with its argument named drop_prop."""

    def __init__(self, drop_prop, **kwargs):
        super().__init__(drop_prop, **kwargs)

    def get_config(self):
        config = super().get_config()
        config["drop_prop"] = config.pop("drop_path_prob")
        return config


def deit_mlp(x, dropout_rate, hidden_units):
    for units in hidden_units:
        x = L.Dense(units, activation=ops.gelu)(x)
        x = L.Dropout(dropout_rate)(x)
    return x


def deit_transformer(drop_prob, name):
    encoded_patches = L.Input((None, DEIT_DIM))
    x1 = L.LayerNormalization(epsilon=1e-6)(encoded_patches)
    attention_output = L.MultiHeadAttention(num_heads=2, key_dim=DEIT_DIM, dropout=0.0)(x1, x1)
    attention_output = StochasticDepth(drop_prob)(attention_output) if drop_prob else attention_output
    x2 = L.Add()([attention_output, encoded_patches])
    x3 = L.LayerNormalization(epsilon=1e-6)(x2)
    x4 = deit_mlp(x3, hidden_units=[2 * DEIT_DIM, DEIT_DIM], dropout_rate=0.0)
    x4 = StochasticDepth(drop_prob)(x4) if drop_prob else x4
    return keras.Model(encoded_patches, L.Add()([x2, x4]), name=name)


class ViTClassifier(keras.Model):
    def __init__(self, num_tokens=1, **kwargs):
        super().__init__(**kwargs)
        self.projection = keras.Sequential([
            L.Conv2D(DEIT_DIM, DEIT_PATCH, strides=DEIT_PATCH, padding="VALID"),
            L.Reshape((DEIT_PATCHES, DEIT_DIM)),
        ], name="projection")
        self.positional_embedding = self.add_weight(shape=(1, DEIT_PATCHES + num_tokens, DEIT_DIM),
                                                    initializer="zeros", name="pos_embedding")
        dpr = [float(x) for x in np.linspace(0.0, 0.1, 2)]
        self.transformer_blocks = [deit_transformer(dpr[i], f"transformer_block_{i}") for i in range(2)]
        self.cls_token = self.add_weight(shape=(1, 1, DEIT_DIM), initializer="zeros", name="cls")
        self.dropout = L.Dropout(0.1)
        self.layer_norm = L.LayerNormalization(epsilon=1e-6)
        self.head = L.Dense(DEIT_CLASSES, name="classification_head")


@register
class ViTDistilled(ViTClassifier):
    def __init__(self, regular_training=False, **kwargs):
        super().__init__(num_tokens=2, **kwargs)
        self.num_tokens, self.regular_training = 2, regular_training
        self.dist_token = self.add_weight(shape=(1, 1, DEIT_DIM), initializer="zeros", name="dist_token")
        self.head_dist = L.Dense(DEIT_CLASSES, name="distillation_head")

    def call(self, inputs, training=False):
        n = ops.shape(inputs)[0]
        projected_patches = self.projection(inputs)
        cls_token = ops.tile(self.cls_token, (n, 1, 1))
        dist_token = ops.tile(self.dist_token, (n, 1, 1))
        projected_patches = ops.concatenate([cls_token, dist_token, projected_patches], axis=1)
        encoded_patches = self.positional_embedding + projected_patches
        encoded_patches = self.dropout(encoded_patches, training=training)
        for transformer_module in self.transformer_blocks:
            encoded_patches = transformer_module(encoded_patches, training=training)
        x = self.layer_norm(encoded_patches)
        x, x_dist = self.head(x[:, 0]), self.head_dist(x[:, 1])
        if not training or self.regular_training:
            return (x + x_dist) / 2
        return x, x_dist

    def get_config(self):
        return {**super().get_config(), "regular_training": self.regular_training}


def deit() -> keras.Model:
    model = ViTDistilled(name="vit_distilled")
    model(_data_deit()[0])
    return model


def _data_deit():
    return _floats((2, DEIT_SIZE, DEIT_SIZE, 3)), np.array([0, 2])


def _compile_deit(model):
    """keras.io trains the student in a Distiller's GradientTape train_step (TensorFlow only), its training call
    giving both heads; here the model is trained as a plain classifier, with keras.io's own regular_training flag
    (Keras builds a fit's losses from the inference call, which gives one output)."""
    model.regular_training = True
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), run_eagerly=True)


def _break_deit(model, x):  # 48x48 photos into the model made for 32x32 (16 patches)
    model(_floats((2, 48, 48, 3)))


# --- how each model is fed, trained, copied and broken ---------------------------------------------------------

SPECS = [
    Spec5(llama_causal_lm, _data_llama, "llama_backbone/transformer_layer_0", "llama_backbone",
          "llama_backbone/transformer_layer_0", compile=_compile_gpt2, copy=_copy_backbone,
          expect_paths=("llama_backbone/token_embedding", "llama_backbone/transformer_layer_1"), breaks=_break_llama,
          explains=r"(?s)self_attention.*einsum.*\b6\b.*\b4\b.*num_query_heads=6.*num_key_value_heads=4"),
    Spec5(segformer, lambda: (_floats((2, SEG_SIZE, SEG_SIZE, 3)), _ids((2, SEG_SIZE, SEG_SIZE), SEG_CLASSES)),
          "segformer_backbone/mit_backbone/hierarchical_encoder_1_0", "segformer_backbone", "segformer_backbone/mit_backbone/patch_and_embed_*",
          compile=_compile_plain, copy=_copy_functional,
          expect_paths=("segformer_backbone/mit_backbone", "segformer_backbone/linear_fuse"), breaks=_break_segformer,
          explains=r"(?s)(to_map_0|seg_former_multihead_attention).*96 steps on a 9 x 9 grid.*not a square"),
    Spec5(molecule_vae, _data_molecules, "encoder/relational_graph_conv_layer*", "decoder",
          "encoder/relational_graph_conv_layer*", compile=_compile_mse, fit=_fit_to_zeros,
          refuses=("replace", "save", "cli_file"),
          expect_paths=("encoder", "decoder", "encoder/z_mean"), breaks=_break_molecule,
          explains=r"(?s)axis 1 moved to the end.*transpose\(.*adjacency.*\(0, 3, 1, 2\)\)"),
    Spec5(shiftvit, _data_shiftvit, "stage_0/shift_vi_t_block*", "stage_1", "stage_0*",
          compile=lambda m: _compile_plain(m, keras.losses.SparseCategoricalCrossentropy(from_logits=True)),
          refuses=("replace",), expect_paths=("stage_0", "data_augmentation"), breaks=_break_shiftvit,
          explains=r"(?s)shiftvit.*\(batch, 32, 32, 3\).*48, 48.*resize"),
    Spec5(deit, _data_deit, "transformer_block_0/multi_head_attention*", "transformer_block_1", "projection",
          compile=_compile_deit, refuses=("replace",),
          expect_paths=("projection", "transformer_block_0", "transformer_block_1"), breaks=_break_deit,
          explains=r"(?s)vit_distilled.*\(batch, 32, 32, 3\).*48, 48.*resize"),
]
