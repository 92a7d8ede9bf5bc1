"""Real-world nested models, fifth batch: each rewritten small from the public code cited above it, keeping
its structure (the nesting, the custom layers and their quirks, the ops between layers). Kinds the first four
batches did not have: a vector quantiser with ``add_loss`` between two models, a mixture of experts with
top-1 routing, subclassed trees in a list in a subclassed forest in a functional model, masked convolutions
inside residual layers, random augmentation layers with a seed generator, a subclassed seq2seq with
cross-attention and a GRU state passed between its parts, a list-in/list-out attention over a shared tower,
a graph network whose sublayers see the graph's nodes as their batch, a normalising flow of coupling models
in a Python list, dict outputs of a keras.applications backbone, two towers fed sub-dicts of the model's
dict input, and keras-tcn's layers that create their sublayers in ``build()``."""

from __future__ import annotations

import math

import keras
import numpy as np

from tests.models_4 import Spec, _clone, _compile_plain, _floats, _ids

L = keras.layers
ops = keras.ops
PACKAGE = "kernest_rw5"


def register(cls):
    return keras.saving.register_keras_serializable(package=PACKAGE)(cls)


# --- 1. keras.io "Vector-Quantized Variational Autoencoders" ----------------------------------------------
# https://keras.io/examples/generative/vq_vae/ (VectorQuantizer, get_encoder, get_decoder, get_vqvae)

@register
class VectorQuantizer(L.Layer):
    def __init__(self, num_embeddings: int, embedding_dim: int, beta: float = 0.25, **kwargs):
        super().__init__(**kwargs)
        self.embedding_dim, self.num_embeddings, self.beta = embedding_dim, num_embeddings, beta
        self.embeddings = self.add_weight(shape=(embedding_dim, num_embeddings), initializer="random_uniform",
                                          name="embeddings_vqvae")

    def call(self, x):
        input_shape = ops.shape(x)
        flattened = ops.reshape(x, [-1, self.embedding_dim])
        encoding_indices = self.get_code_indices(flattened)
        encodings = ops.one_hot(encoding_indices, self.num_embeddings)
        quantized = ops.reshape(ops.matmul(encodings, ops.transpose(self.embeddings)), input_shape)
        commitment_loss = ops.mean((ops.stop_gradient(quantized) - x) ** 2)
        codebook_loss = ops.mean((quantized - ops.stop_gradient(x)) ** 2)
        self.add_loss(self.beta * commitment_loss + codebook_loss)
        return x + ops.stop_gradient(quantized - x)  # straight-through estimator

    def get_code_indices(self, flattened_inputs):
        similarity = ops.matmul(flattened_inputs, self.embeddings)
        distances = (ops.sum(flattened_inputs**2, axis=1, keepdims=True) + ops.sum(self.embeddings**2, axis=0)
                     - 2 * similarity)
        return ops.argmin(distances, axis=1)

    def get_config(self):
        return {**super().get_config(), "num_embeddings": self.num_embeddings, "embedding_dim": self.embedding_dim,
                "beta": self.beta}


def vq_vae(size: int = 8, latent_dim: int = 4, num_embeddings: int = 8) -> keras.Model:
    """encoder model -> VectorQuantizer (add_loss, codebook weight) -> decoder model."""
    encoder_inputs = keras.Input((size, size, 1))
    x = L.Conv2D(4, 3, activation="relu", strides=2, padding="same", name="enc_conv1")(encoder_inputs)
    x = L.Conv2D(8, 3, activation="relu", strides=2, padding="same", name="enc_conv2")(x)
    encoder = keras.Model(encoder_inputs, L.Conv2D(latent_dim, 1, padding="same", name="enc_out")(x), name="encoder")
    latent_inputs = keras.Input((size // 4, size // 4, latent_dim))
    x = L.Conv2DTranspose(8, 3, activation="relu", strides=2, padding="same", name="dec_deconv1")(latent_inputs)
    x = L.Conv2DTranspose(4, 3, activation="relu", strides=2, padding="same", name="dec_deconv2")(x)
    decoder = keras.Model(latent_inputs, L.Conv2DTranspose(1, 3, padding="same", name="dec_out")(x), name="decoder")
    inputs = keras.Input((size, size, 1))
    quantized = VectorQuantizer(num_embeddings, latent_dim, name="vector_quantizer")(encoder(inputs))
    return keras.Model(inputs, decoder(quantized), name="vq_vae")


# --- 2. keras.io "Text classification with Switch Transformer" ---------------------------------------------
# https://keras.io/examples/nlp/text_classification_with_switch_transformer/ (Router, Switch,
# TransformerBlock). The expert capacity is a setting here, where keras.io derives it from a fixed batch.

def create_feedforward_network(ff_dim: int, embed_dim: int, name: str | None = None) -> keras.Sequential:
    return keras.Sequential([L.Dense(ff_dim, activation="relu"), L.Dense(embed_dim)], name=name)


def load_balanced_loss(router_probs, expert_mask):
    num_experts = ops.shape(expert_mask)[-1]
    density = ops.mean(expert_mask, axis=0)
    density_proxy = ops.mean(router_probs, axis=0)
    return ops.mean(density_proxy * density) * ops.cast(num_experts**2, "float32")


@register
class Router(L.Layer):
    def __init__(self, num_experts: int, expert_capacity: int, **kwargs):
        super().__init__(**kwargs)
        self.num_experts, self.expert_capacity = num_experts, expert_capacity
        self.route = L.Dense(num_experts, name="route")

    def call(self, inputs):  # (tokens, embed)
        router_probs = keras.activations.softmax(self.route(inputs), axis=-1)
        expert_gate, expert_index = ops.top_k(router_probs, k=1)  # (tokens, 1)
        expert_mask = ops.one_hot(expert_index, self.num_experts)  # (tokens, 1, experts)
        self.add_loss(load_balanced_loss(router_probs, expert_mask))
        position_in_expert = ops.cast(ops.cumsum(expert_mask, axis=0) * expert_mask, "int32")
        expert_mask = expert_mask * ops.cast(ops.less(position_in_expert, self.expert_capacity), "float32")
        expert_mask_flat = ops.sum(expert_mask, axis=-1)
        expert_gate = expert_gate * expert_mask_flat
        combined_tensor = ops.expand_dims(  # (tokens, experts, capacity)
            expert_gate * expert_mask_flat * ops.squeeze(ops.one_hot(expert_index, self.num_experts), 1), -1
        ) * ops.squeeze(ops.one_hot(position_in_expert, self.expert_capacity), 1)
        return ops.cast(combined_tensor, "float32"), combined_tensor

    def get_config(self):
        return {**super().get_config(), "num_experts": self.num_experts, "expert_capacity": self.expert_capacity}


@register
class Switch(L.Layer):
    def __init__(self, num_experts: int, embed_dim: int, ff_dim: int, expert_capacity: int, **kwargs):
        super().__init__(**kwargs)
        self.num_experts, self.embed_dim, self.ff_dim = num_experts, embed_dim, ff_dim
        self.expert_capacity = expert_capacity
        self.experts = [create_feedforward_network(ff_dim, embed_dim, name=f"expert_{i}") for i in range(num_experts)]
        self.router = Router(num_experts, expert_capacity, name="router")

    def call(self, inputs):  # (batch, steps, embed)
        steps = ops.shape(inputs)[1]
        flat = ops.reshape(inputs, [-1, self.embed_dim])
        dispatch_tensor, combine_tensor = self.router(flat)
        expert_inputs = ops.einsum("ab,acd->cdb", flat, dispatch_tensor)  # (experts, capacity, embed)
        expert_input_list = ops.unstack(expert_inputs, axis=0)
        expert_outputs = ops.stack([self.experts[i](e) for i, e in enumerate(expert_input_list)], axis=1)
        combined = ops.einsum("abc,xba->xc", expert_outputs, combine_tensor)
        return ops.reshape(combined, [-1, steps, self.embed_dim])

    def get_config(self):
        return {**super().get_config(), "num_experts": self.num_experts, "embed_dim": self.embed_dim,
                "ff_dim": self.ff_dim, "expert_capacity": self.expert_capacity}


@register
class SwitchBlock(L.Layer):
    """keras.io's TransformerBlock with a Switch as its feed-forward network."""

    def __init__(self, embed_dim: int, num_heads: int, num_experts: int, ff_dim: int, expert_capacity: int,
                 dropout_rate: float = 0.1, **kwargs):
        super().__init__(**kwargs)
        self.args = dict(embed_dim=embed_dim, num_heads=num_heads, num_experts=num_experts, ff_dim=ff_dim,
                         expert_capacity=expert_capacity, dropout_rate=dropout_rate)
        self.att = L.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim, name="att")
        self.ffn = Switch(num_experts, embed_dim, ff_dim, expert_capacity, name="switch")
        self.layernorm1, self.layernorm2 = L.LayerNormalization(epsilon=1e-6), L.LayerNormalization(epsilon=1e-6)
        self.dropout1, self.dropout2 = L.Dropout(dropout_rate), L.Dropout(dropout_rate)

    def call(self, inputs, training=False):
        attn_output = self.dropout1(self.att(inputs, inputs), training=training)
        out1 = self.layernorm1(inputs + attn_output)
        return self.layernorm2(out1 + self.dropout2(self.ffn(out1), training=training))

    def get_config(self):
        return {**super().get_config(), **self.args}


@register
class TokenAndPositionEmbedding(L.Layer):
    def __init__(self, maxlen: int, vocab_size: int, embed_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.maxlen, self.vocab_size, self.embed_dim = maxlen, vocab_size, embed_dim
        self.token_emb = L.Embedding(vocab_size, embed_dim, name="token_emb")
        self.pos_emb = L.Embedding(maxlen, embed_dim, name="pos_emb")

    def call(self, x):
        positions = ops.arange(0, ops.shape(x)[-1], 1)
        return self.token_emb(x) + self.pos_emb(positions)

    def get_config(self):
        return {**super().get_config(), "maxlen": self.maxlen, "vocab_size": self.vocab_size,
                "embed_dim": self.embed_dim}


def switch_transformer(maxlen: int = 6, vocab: int = 20, dim: int = 8, experts: int = 3) -> keras.Model:
    inputs = keras.Input((maxlen,), dtype="int32", name="tokens")
    x = TokenAndPositionEmbedding(maxlen, vocab, dim, name="embedding")(inputs)
    x = SwitchBlock(dim, 2, experts, 16, expert_capacity=8, name="switch_block")(x)
    x = L.GlobalAveragePooling1D(name="pool")(x)
    x = L.Dense(8, activation="relu", name="fc")(L.Dropout(0.1, name="drop1")(x))
    return keras.Model(inputs, L.Dense(2, activation="softmax", name="probs")(x), name="switch_transformer")


# --- 3. keras.io "Classification with Neural Decision Forests" ---------------------------------------------
# https://keras.io/examples/structured_data/deep_neural_decision_forests/ (NeuralDecisionTree,
# NeuralDecisionForest, create_forest_model). A ``seed`` chooses each tree's features, so that a saved
# forest loads with the same ones; keras.io draws them from NumPy's global generator.

@register
class NeuralDecisionTree(keras.Model):
    def __init__(self, depth: int, num_features: int, used_features_rate: float, num_classes: int, seed: int = 0,
                 **kwargs):
        super().__init__(**kwargs)
        self.depth, self.num_features, self.used_features_rate = depth, num_features, used_features_rate
        self.num_leaves, self.num_classes, self.seed = 2**depth, num_classes, seed
        num_used_features = int(num_features * used_features_rate)
        one_hot = np.eye(num_features)
        sampled = np.random.default_rng(seed).choice(np.arange(num_features), num_used_features, replace=False)
        self.used_features_mask = ops.convert_to_tensor(one_hot[sampled], dtype="float32")
        self.pi = self.add_weight(initializer="random_normal", shape=[self.num_leaves, num_classes], name="pi")
        self.decision_fn = L.Dense(self.num_leaves, activation="sigmoid", name="decision")

    def call(self, features):
        batch_size = ops.shape(features)[0]
        features = ops.matmul(features, ops.transpose(self.used_features_mask))
        decisions = ops.expand_dims(self.decision_fn(features), axis=2)
        decisions = L.concatenate([decisions, 1 - decisions], axis=2)
        mu = ops.ones([batch_size, 1, 1])
        begin_idx, end_idx = 1, 2
        for level in range(self.depth):
            mu = ops.tile(ops.reshape(mu, [batch_size, -1, 1]), (1, 1, 2))
            mu = mu * decisions[:, begin_idx:end_idx, :]
            begin_idx, end_idx = end_idx, end_idx + 2 ** (level + 1)
        mu = ops.reshape(mu, [batch_size, self.num_leaves])
        return ops.matmul(mu, keras.activations.softmax(self.pi))

    def get_config(self):
        return {**super().get_config(), "depth": self.depth, "num_features": self.num_features,
                "used_features_rate": self.used_features_rate, "num_classes": self.num_classes, "seed": self.seed}


@register
class NeuralDecisionForest(keras.Model):
    def __init__(self, num_trees: int, depth: int, num_features: int, used_features_rate: float, num_classes: int,
                 **kwargs):
        super().__init__(**kwargs)
        self.num_trees, self.depth, self.num_features = num_trees, depth, num_features
        self.used_features_rate, self.num_classes = used_features_rate, num_classes
        self.ensemble = [NeuralDecisionTree(depth, num_features, used_features_rate, num_classes, seed=i,
                                            name=f"tree_{i}") for i in range(num_trees)]

    def call(self, inputs):
        outputs = ops.zeros([ops.shape(inputs)[0], self.num_classes])
        for tree in self.ensemble:
            outputs += tree(inputs)
        return outputs / len(self.ensemble)

    def get_config(self):
        return {**super().get_config(), "num_trees": self.num_trees, "depth": self.depth,
                "num_features": self.num_features, "used_features_rate": self.used_features_rate,
                "num_classes": self.num_classes}


def decision_forest(classes: int = 2) -> keras.Model:
    """dict inputs (two numeric features, one categorical) -> encoded features -> BatchNorm -> the forest."""
    inputs = {"age": keras.Input((1,), name="age"), "hours": keras.Input((1,), name="hours"),
              "workclass": keras.Input((1,), dtype="int32", name="workclass")}
    workclass = L.Flatten(name="workclass_flat")(L.Embedding(6, 3, name="workclass_emb")(inputs["workclass"]))
    features = L.concatenate([inputs["age"], inputs["hours"], workclass], name="encoded")
    features = L.BatchNormalization(name="bn")(features)
    forest = NeuralDecisionForest(3, 2, 5, 0.6, classes, name="forest")
    return keras.Model(inputs, forest(features), name="forest_model")


# --- 4. keras.io "PixelCNN" --------------------------------------------------------------------------------
# https://keras.io/examples/generative/pixelcnn/ (PixelConvLayer masks its Conv2D's kernel in call();
# every other keyword goes to that Conv2D, so the layer itself is named by Keras)

@register
class PixelConvLayer(L.Layer):
    def __init__(self, mask_type: str, **kwargs):
        super().__init__()
        self.mask_type, self.conv_kwargs = mask_type, kwargs
        self.conv = L.Conv2D(**kwargs)

    def build(self, input_shape):
        self.conv.build(input_shape)
        kernel_shape = tuple(self.conv.kernel.shape)
        self.mask = np.zeros(shape=kernel_shape, dtype="float32")
        self.mask[: kernel_shape[0] // 2, ...] = 1.0
        self.mask[kernel_shape[0] // 2, : kernel_shape[1] // 2, ...] = 1.0
        if self.mask_type == "B":
            self.mask[kernel_shape[0] // 2, kernel_shape[1] // 2, ...] = 1.0

    def call(self, inputs):
        self.conv.kernel.assign(self.conv.kernel * self.mask)
        return self.conv(inputs)

    def compute_output_shape(self, input_shape):
        return self.conv.compute_output_shape(input_shape)

    def get_config(self):
        return {"mask_type": self.mask_type, **self.conv_kwargs}


@register
class PixelResidualBlock(L.Layer):
    def __init__(self, filters: int, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.conv1 = L.Conv2D(filters=filters, kernel_size=1, activation="relu")
        self.pixel_conv = PixelConvLayer(mask_type="B", filters=filters // 2, kernel_size=3, activation="relu",
                                         padding="same")
        self.conv2 = L.Conv2D(filters=filters, kernel_size=1, activation="relu")

    def call(self, inputs):
        x = self.conv2(self.pixel_conv(self.conv1(inputs)))
        return L.add([inputs, x])

    def get_config(self):
        return {**super().get_config(), "filters": self.filters}


def pixelcnn(size: int = 8, filters: int = 8) -> keras.Model:
    inputs = keras.Input((size, size, 1))
    x = PixelConvLayer(mask_type="A", filters=filters, kernel_size=7, activation="relu", padding="same")(inputs)
    for i in range(2):
        x = PixelResidualBlock(filters=filters, name=f"residual_block_{i}")(x)
    for _ in range(2):
        x = PixelConvLayer(mask_type="B", filters=filters, kernel_size=1, strides=1, activation="relu",
                           padding="valid")(x)
    out = L.Conv2D(filters=1, kernel_size=1, strides=1, activation="sigmoid", padding="valid", name="out")(x)
    return keras.Model(inputs, out, name="pixel_cnn")


# --- 5. keras.io "Semi-supervised image classification using contrastive pretraining with SimCLR" ---------
# https://keras.io/examples/vision/semisupervised_simclr/ (RandomColorAffine, get_augmenter, get_encoder,
# the finetuning_model: augmenter and pretrained encoder nested in a Sequential)

@register
class RandomColorAffine(L.Layer):
    def __init__(self, brightness: float = 0, jitter: float = 0, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)
        self.brightness, self.jitter = brightness, jitter

    def get_config(self):
        return {**super().get_config(), "brightness": self.brightness, "jitter": self.jitter}

    def call(self, images, training=True):
        if training:
            batch_size = ops.shape(images)[0]
            brightness_scales = 1 + keras.random.uniform((batch_size, 1, 1, 1), minval=-self.brightness,
                                                         maxval=self.brightness, seed=self.seed_generator)
            jitter_matrices = keras.random.uniform((batch_size, 1, 3, 3), minval=-self.jitter, maxval=self.jitter,
                                                   seed=self.seed_generator)
            color_transforms = (ops.tile(ops.expand_dims(ops.eye(3), axis=0), (batch_size, 1, 1, 1))
                                * brightness_scales + jitter_matrices)
            images = ops.clip(ops.matmul(images, color_transforms), 0, 1)
        return images


def get_augmenter(min_area: float, brightness: float, jitter: float, size: int) -> keras.Sequential:
    zoom_factor = 1.0 - math.sqrt(min_area)
    return keras.Sequential([
        keras.Input((size, size, 3)),
        L.Rescaling(1 / 255, name="rescale"),
        L.RandomFlip("horizontal", name="flip"),
        L.RandomTranslation(zoom_factor / 2, zoom_factor / 2, name="translate"),
        L.RandomZoom((-zoom_factor, 0.0), (-zoom_factor, 0.0), name="zoom"),
        RandomColorAffine(brightness, jitter, name="color_affine"),
    ], name="augmenter")


def get_encoder(size: int, width: int = 8) -> keras.Sequential:
    return keras.Sequential([
        keras.Input((size, size, 3)),
        L.Conv2D(width, kernel_size=3, strides=2, activation="relu", name="conv1"),
        L.Conv2D(width, kernel_size=3, strides=2, activation="relu", name="conv2"),
        L.Flatten(name="flatten"),
        L.Dense(width, activation="relu", name="fc"),
    ], name="encoder")


def simclr_finetune(size: int = 12, classes: int = 3) -> keras.Model:
    return keras.Sequential([
        keras.Input((size, size, 3)),
        get_augmenter(min_area=0.75, brightness=0.3, jitter=0.1, size=size),
        get_encoder(size),
        L.Dense(classes, name="logits"),
    ], name="finetuning_model")


# --- 6. TensorFlow's "Neural machine translation with attention" -------------------------------------------
# https://www.tensorflow.org/text/tutorials/nmt_with_attention (Encoder, CrossAttention, Decoder, Translator:
# subclassed, the encoder's GRU state passed to the decoder's; token ids in place of its TextVectorization)

@register
class NmtEncoder(L.Layer):
    def __init__(self, vocab_size: int, units: int, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size, self.units = vocab_size, units
        self.embedding = L.Embedding(vocab_size, units, mask_zero=True, name="embedding")
        self.rnn = L.Bidirectional(merge_mode="sum", layer=L.GRU(units, return_sequences=True, return_state=True),
                                   name="rnn")

    def call(self, x):
        x = self.embedding(x)
        sequence, forward_state, backward_state = self.rnn(x)
        return sequence, forward_state + backward_state

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size, "units": self.units}


@register
class CrossAttention(L.Layer):
    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.mha = L.MultiHeadAttention(key_dim=units, num_heads=1, name="mha")
        self.layernorm = L.LayerNormalization(name="layernorm")
        self.add = L.Add(name="add")

    def call(self, x, context):
        attn_output, attn_scores = self.mha(query=x, value=context, return_attention_scores=True)
        self.last_attention_weights = ops.mean(attn_scores, axis=1)
        return self.layernorm(self.add([x, attn_output]))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@register
class NmtDecoder(L.Layer):
    def __init__(self, vocab_size: int, units: int, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size, self.units = vocab_size, units
        self.embedding = L.Embedding(vocab_size, units, mask_zero=True, name="embedding")
        self.rnn = L.GRU(units, return_sequences=True, return_state=True, name="rnn")
        self.attention = CrossAttention(units, name="attention")
        self.output_layer = L.Dense(vocab_size, name="logits")

    def call(self, context, x, state=None, return_state=False):
        x = self.embedding(x)
        x, state = self.rnn(x, initial_state=state)
        logits = self.output_layer(self.attention(x, context))
        return (logits, state) if return_state else logits

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size, "units": self.units}


@register
class Translator(keras.Model):
    def __init__(self, units: int, vocab_size: int, decoder_units: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.units, self.vocab_size, self.decoder_units = units, vocab_size, decoder_units
        self.encoder = NmtEncoder(vocab_size, units, name="encoder")
        self.decoder = NmtDecoder(vocab_size, decoder_units or units, name="decoder")

    def call(self, inputs):
        context, x = inputs
        context, state = self.encoder(context)
        return self.decoder(context, x, state=state)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "vocab_size": self.vocab_size,
                "decoder_units": self.decoder_units}


def _nmt_ids():
    src, tgt = _ids((2, 5), 12), _ids((2, 4), 12, 1)
    src[1, 3:] = 0  # padding
    return src, tgt


def nmt_attention(units: int = 6, vocab: int = 12, decoder_units: int | None = None) -> keras.Model:
    model = Translator(units, vocab, decoder_units, name="translator")
    model(_nmt_ids())
    return model


# --- 7. keras.io "Classification using Attention-based Deep Multiple Instance Learning" -------------------
# https://keras.io/examples/vision/attention_mil_classification/ (MILAttentionLayer takes and returns a
# list; the instance encoder, two shared Dense layers there, is one shared Sequential here)

@register
class MILAttentionLayer(L.Layer):
    def __init__(self, weight_params_dim: int, kernel_initializer="glorot_uniform", kernel_regularizer=None,
                 use_gated: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.weight_params_dim, self.use_gated = weight_params_dim, use_gated
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

    def build(self, input_shape):
        input_dim = input_shape[0][1]
        kw = dict(initializer=self.kernel_initializer, regularizer=self.kernel_regularizer, trainable=True)
        self.v_weight_params = self.add_weight(shape=(input_dim, self.weight_params_dim), name="v", **kw)
        self.w_weight_params = self.add_weight(shape=(self.weight_params_dim, 1), name="w", **kw)
        if self.use_gated:
            self.u_weight_params = self.add_weight(shape=(input_dim, self.weight_params_dim), name="u", **kw)

    def call(self, inputs):
        instances = ops.stack([self.compute_attention_scores(instance) for instance in inputs])
        alpha = ops.softmax(instances, axis=0)
        return [alpha[i] for i in range(alpha.shape[0])]

    def compute_attention_scores(self, instance):
        original_instance = instance
        instance = ops.tanh(ops.tensordot(instance, self.v_weight_params, axes=1))
        if self.use_gated:
            instance = instance * ops.sigmoid(ops.tensordot(original_instance, self.u_weight_params, axes=1))
        return ops.tensordot(instance, self.w_weight_params, axes=1)

    def get_config(self):
        return {**super().get_config(), "weight_params_dim": self.weight_params_dim, "use_gated": self.use_gated,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer)}


def attention_mil(bag_size: int = 3, size: int = 6) -> keras.Model:
    instance_encoder = keras.Sequential([keras.Input((size, size)), L.Flatten(name="flatten"),
                                         L.Dense(8, activation="relu", name="dense_1"),
                                         L.Dense(4, activation="relu", name="dense_2")], name="instance_encoder")
    inputs = [keras.Input((size, size), name=f"instance_{i}") for i in range(bag_size)]
    embeddings = [instance_encoder(inp) for inp in inputs]
    alpha = MILAttentionLayer(weight_params_dim=6, kernel_regularizer=keras.regularizers.L2(0.01), use_gated=True,
                              name="alpha")(embeddings)
    multiply_layers = [L.multiply([alpha[i], embeddings[i]]) for i in range(len(alpha))]
    concat = L.concatenate(multiply_layers, axis=1)
    return keras.Model(inputs, L.Dense(2, activation="softmax", name="probs")(concat), name="attention_mil")


# --- 8. keras.io "Node Classification with Graph Neural Networks" ------------------------------------------
# https://keras.io/examples/graph/gnn_citations/ (create_ffn, GraphConvLayer, GNNNodeClassifier: the graph is
# held by the model, its sublayers see the graph's nodes as their batch, the model's input is node indices)

def create_ffn(hidden_units: list[int], dropout_rate: float, name: str | None = None) -> keras.Sequential:
    fnn_layers = []
    for units in hidden_units:
        fnn_layers += [L.BatchNormalization(), L.Dropout(dropout_rate), L.Dense(units, activation="gelu")]
    return keras.Sequential(fnn_layers, name=name)


class GraphConvLayer(L.Layer):
    def __init__(self, hidden_units, dropout_rate=0.2, aggregation_type="mean", combination_type="concat",
                 normalize=False, **kwargs):
        super().__init__(**kwargs)
        self.aggregation_type, self.combination_type, self.normalize = aggregation_type, combination_type, normalize
        self.ffn_prepare = create_ffn(hidden_units, dropout_rate, name="ffn_prepare")
        self.update_fn = create_ffn(hidden_units, dropout_rate, name="update_fn")

    def prepare(self, node_repesentations, weights=None):
        messages = self.ffn_prepare(node_repesentations)
        return messages if weights is None else messages * ops.expand_dims(weights, -1)

    def aggregate(self, node_indices, neighbour_messages, node_repesentations):
        num_nodes = node_repesentations.shape[0]
        summed = ops.segment_sum(neighbour_messages, node_indices, num_segments=num_nodes)
        if self.aggregation_type == "sum":
            return summed
        counts = ops.segment_sum(ops.ones_like(neighbour_messages[:, :1]), node_indices, num_segments=num_nodes)
        return summed / ops.maximum(counts, 1.0)

    def update(self, node_repesentations, aggregated_messages):
        h = ops.concatenate([node_repesentations, aggregated_messages], axis=1)
        node_embeddings = self.update_fn(h)
        if self.normalize:
            node_embeddings = keras.utils.normalize(node_embeddings, axis=-1, order=2)
        return node_embeddings

    def call(self, inputs):
        node_repesentations, edges, edge_weights = inputs
        node_indices, neighbour_indices = edges[0], edges[1]
        neighbour_repesentations = ops.take(node_repesentations, neighbour_indices, axis=0)
        neighbour_messages = self.prepare(neighbour_repesentations, edge_weights)
        aggregated_messages = self.aggregate(node_indices, neighbour_messages, node_repesentations)
        return self.update(node_repesentations, aggregated_messages)


class GNNNodeClassifier(keras.Model):
    def __init__(self, graph_info, num_classes, hidden_units, aggregation_type="sum", combination_type="concat",
                 dropout_rate=0.2, normalize=True, **kwargs):
        super().__init__(**kwargs)
        node_features, edges, edge_weights = graph_info
        self.node_features, self.edges = node_features, edges
        edge_weights = ops.ones(shape=edges.shape[1]) if edge_weights is None else edge_weights
        self.edge_weights = edge_weights / ops.sum(edge_weights)
        self.preprocess = create_ffn(hidden_units, dropout_rate, name="preprocess")
        self.conv1 = GraphConvLayer(hidden_units, dropout_rate, aggregation_type, combination_type, normalize,
                                    name="graph_conv1")
        self.conv2 = GraphConvLayer(hidden_units, dropout_rate, aggregation_type, combination_type, normalize,
                                    name="graph_conv2")
        self.postprocess = create_ffn(hidden_units, dropout_rate, name="postprocess")
        self.compute_logits = L.Dense(units=num_classes, name="logits")

    def call(self, input_node_indices):
        x = self.preprocess(self.node_features)
        x = self.conv1((x, self.edges, self.edge_weights)) + x
        x = self.conv2((x, self.edges, self.edge_weights)) + x
        x = self.postprocess(x)
        return self.compute_logits(ops.take(x, input_node_indices, axis=0))


def _graph(nodes: int = 7, features: int = 5):
    rng = np.random.default_rng(0)
    edges = np.stack([np.arange(nodes), (np.arange(nodes) + 1) % nodes]).astype("int32")  # a ring
    edges = np.concatenate([edges, edges[::-1]], axis=1)
    return ops.convert_to_tensor(rng.random((nodes, features), "float32")), ops.convert_to_tensor(edges), None


def gnn_node_classifier(classes: int = 3) -> keras.Model:
    model = GNNNodeClassifier(_graph(), classes, [4, 4], name="gnn_model")
    model(np.array([1, 3, 5], "int32"))
    return model


# --- 9. keras.io "Density estimation using Real NVP" -------------------------------------------------------
# https://keras.io/examples/generative/real_nvp/ (Coupling models in a Python list of a subclassed RealNVP whose
# call defaults to training=True and returns (y, log_det_inv)). Its GradientTape train_step is written here as
# compute_loss, and its TensorFlow-Probability normal density by hand, so that it trains on every backend.

def Coupling(input_shape: int, output_dim: int = 8, reg: float = 0.01, name: str | None = None) -> keras.Model:
    inputs = keras.Input((input_shape,))
    kw = dict(kernel_regularizer=keras.regularizers.l2(reg))
    t = L.Dense(output_dim, activation="relu", **kw)(inputs)
    t = L.Dense(input_shape, activation="linear", **kw)(L.Dense(output_dim, activation="relu", **kw)(t))
    s = L.Dense(output_dim, activation="relu", **kw)(inputs)
    s = L.Dense(input_shape, activation="tanh", **kw)(L.Dense(output_dim, activation="relu", **kw)(s))
    return keras.Model(inputs, [s, t], name=name)


@register
class RealNVP(keras.Model):
    def __init__(self, num_coupling_layers: int, **kwargs):
        super().__init__(**kwargs)
        self.num_coupling_layers = num_coupling_layers
        # a tensor, not keras.io's NumPy array: ``1 - mask`` times a PyTorch tensor needs one
        self.masks = ops.convert_to_tensor(np.array([[0, 1], [1, 0]] * (num_coupling_layers // 2), dtype="float32"))
        self.layers_list = [Coupling(2, name=f"coupling_{i}") for i in range(num_coupling_layers)]

    def call(self, x, training=True):
        log_det_inv = 0
        direction = -1 if training else 1
        for i in range(self.num_coupling_layers)[::direction]:
            x_masked = x * self.masks[i]
            reversed_mask = 1 - self.masks[i]
            s, t = self.layers_list[i](x_masked)
            s, t = s * reversed_mask, t * reversed_mask
            gate = (direction - 1) / 2
            x = reversed_mask * (x * ops.exp(direction * s) + direction * t * ops.exp(gate * s)) + x_masked
            log_det_inv += gate * ops.sum(s, axis=1)
        return x, log_det_inv

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        z, logdet = y_pred
        log_prob = -0.5 * ops.sum(z**2, axis=1) - math.log(2 * math.pi)  # a standard 2-D normal
        return -ops.mean(log_prob + logdet) + sum(self.losses, 0.0)

    def get_config(self):
        return {**super().get_config(), "num_coupling_layers": self.num_coupling_layers}


def real_nvp(couplings: int = 4) -> keras.Model:
    model = RealNVP(couplings, name="real_nvp")
    model(np.zeros((1, 2), "float32"))
    return model


# --- 10. keras.io "Neural style transfer" (a dict of a backbone's layer outputs) ---------------------------
# https://keras.io/examples/generative/neural_style_transfer/ (feature_extractor = keras.Model(vgg.inputs,
# dict of layer outputs)); here MobileNetV2 with weights=None, the extractor nested in a model that pools
# each scale, as multi-scale heads do.

def multiscale_features(size: int = 32, classes: int = 3) -> keras.Model:
    backbone = keras.applications.MobileNetV2(input_shape=(size, size, 3), alpha=0.35, include_top=False,
                                              weights=None)
    names = ("block_1_expand_relu", "block_3_expand_relu", "block_6_expand_relu")
    extractor = keras.Model(backbone.inputs, {n: backbone.get_layer(n).output for n in names}, name="features")
    image = keras.Input((size, size, 3), name="image")
    feats = extractor(L.Rescaling(1 / 127.5, offset=-1, name="scale")(image))
    pooled = [L.GlobalAveragePooling2D(name=f"gap_{i}")(feats[n]) for i, n in enumerate(names)]
    x = L.Concatenate(name="concat")(pooled)
    return keras.Model(image, L.Dense(classes, name="logits")(x), name="multiscale")


# --- 11. TensorFlow Recommenders "basic retrieval": a query tower and a candidate tower ------------------
# https://www.tensorflow.org/recommenders/examples/basic_retrieval and keras-rs' two-tower retrieval example;
# each tower a model taking its own dict of features, fed a sub-dict of the model's dict input

def tower(name: str, id_key: str, ids: int, other_key: str, dim: int = 4) -> keras.Model:
    inputs = {id_key: keras.Input((1,), dtype="int32", name=id_key), other_key: keras.Input((1,), name=other_key)}
    emb = L.Flatten(name=f"{id_key}_flat")(L.Embedding(ids, dim, name=f"{id_key}_embedding")(inputs[id_key]))
    x = L.Concatenate(name="features")([emb, L.Normalization(mean=0.5, variance=0.1, name=f"{other_key}_norm")(
        inputs[other_key])])
    return keras.Model(inputs, L.Dense(dim, name="embedding")(L.Dense(8, activation="relu", name="fc")(x)), name=name)


def two_tower() -> keras.Model:
    query, candidate = tower("query_tower", "user_id", 10, "age"), tower("candidate_tower", "item_id", 12, "price")
    inputs = {k: keras.Input((1,), dtype="int32" if k.endswith("_id") else "float32", name=k)
              for k in ("user_id", "age", "item_id", "price")}
    q = query({"user_id": inputs["user_id"], "age": inputs["age"]})
    c = candidate({"item_id": inputs["item_id"], "price": inputs["price"]})
    score = L.Dot(axes=1, normalize=True, name="cosine")([q, c])
    return keras.Model(inputs, L.Activation("sigmoid", name="match")(score), name="two_tower")


# --- 12. keras-tcn: TCN and ResidualBlock create their sublayers in build() -------------------------------
# https://github.com/philipperemy/keras-tcn (tcn/tcn.py: ResidualBlock._build_layer, the identity and
# output-slice Lambda layers made in build(), skip connections summed)

@register
class ResidualBlock(L.Layer):
    def __init__(self, dilation_rate: int, nb_filters: int, kernel_size: int, padding: str = "causal",
                 activation: str = "relu", dropout_rate: float = 0.0, **kwargs):
        self.dilation_rate, self.nb_filters, self.kernel_size = dilation_rate, nb_filters, kernel_size
        self.padding, self.activation, self.dropout_rate = padding, activation, dropout_rate
        self.layers = []
        self.shape_match_conv = self.res_output_shape = self.final_activation = None
        super().__init__(**kwargs)

    def _build_layer(self, layer):
        self.layers.append(layer)
        self.layers[-1].build(self.res_output_shape)
        self.res_output_shape = self.layers[-1].compute_output_shape(self.res_output_shape)

    def build(self, input_shape):
        self.layers = []
        self.res_output_shape = input_shape
        for k in range(2):
            self._build_layer(L.Conv1D(self.nb_filters, self.kernel_size, dilation_rate=self.dilation_rate,
                                       padding=self.padding, name=f"conv1D_{k}"))
            self._build_layer(L.Activation(self.activation, name=f"Act_Conv1D_{k}"))
            self._build_layer(L.SpatialDropout1D(rate=self.dropout_rate, name=f"SDropout_{k}"))
        if self.nb_filters != input_shape[-1]:
            self.shape_match_conv = L.Conv1D(self.nb_filters, 1, padding="same", name="matching_conv1D")
        else:
            self.shape_match_conv = L.Lambda(lambda x: x, name="matching_identity")
        self.shape_match_conv.build(input_shape)
        self.res_output_shape = self.shape_match_conv.compute_output_shape(input_shape)
        self._build_layer(L.Activation(self.activation, name="Act_Conv_Blocks"))
        self.final_activation = L.Activation(self.activation, name="Act_Res_Block")
        self.final_activation.build(self.res_output_shape)
        for layer in self.layers:  # so that Keras tracks them (keras-tcn's own words)
            self.__setattr__(layer.name, layer)
        super().build(input_shape)

    def call(self, inputs, training=None):
        x1 = inputs
        for layer in self.layers:
            x1 = layer(x1, training=training) if isinstance(layer, L.SpatialDropout1D) else layer(x1)
        x2 = self.shape_match_conv(inputs)
        return [self.final_activation(L.add([x2, x1])), x1]

    def compute_output_shape(self, input_shape):
        return [self.res_output_shape, self.res_output_shape]

    def get_config(self):
        return {**super().get_config(), "dilation_rate": self.dilation_rate, "nb_filters": self.nb_filters,
                "kernel_size": self.kernel_size, "padding": self.padding, "activation": self.activation,
                "dropout_rate": self.dropout_rate}


@register
class TCN(L.Layer):
    def __init__(self, nb_filters: int = 8, kernel_size: int = 2, dilations: tuple[int, ...] = (1, 2),
                 return_sequences: bool = False, **kwargs):
        self.nb_filters, self.kernel_size, self.dilations = nb_filters, kernel_size, list(dilations)
        self.return_sequences = return_sequences
        self.residual_blocks = []
        self.slicer_layer = None
        super().__init__(**kwargs)

    def build(self, input_shape):
        self.build_output_shape = input_shape
        self.residual_blocks = []
        for i, d in enumerate(self.dilations):
            block = ResidualBlock(d, self.nb_filters, self.kernel_size, name=f"residual_block_{i}")
            block.build(self.build_output_shape)
            self.build_output_shape = block.res_output_shape
            self.residual_blocks.append(block)
        for layer in self.residual_blocks:
            self.__setattr__(layer.name, layer)
        self.slicer_layer = L.Lambda(lambda tt: tt[:, -1, :], name="Slice_Output")
        super().build(input_shape)

    def call(self, inputs, training=None):
        x = inputs
        skip_connections = []
        for block in self.residual_blocks:
            x, skip_out = block(x, training=training)
            skip_connections.append(skip_out)
        x = L.add(skip_connections)
        return x if self.return_sequences else self.slicer_layer(x)

    def compute_output_shape(self, input_shape):
        steps = input_shape[1]
        return (input_shape[0], steps, self.nb_filters) if self.return_sequences else (input_shape[0], self.nb_filters)

    def get_config(self):
        return {**super().get_config(), "nb_filters": self.nb_filters, "kernel_size": self.kernel_size,
                "dilations": self.dilations, "return_sequences": self.return_sequences}


def tcn(steps: int = 8, features: int = 2) -> keras.Model:
    inputs = keras.Input((steps, features), name="series")
    x = TCN(nb_filters=4, kernel_size=2, dilations=(1, 2), name="tcn")(inputs)
    return keras.Model(inputs, L.Dense(1, name="out")(x), name="tcn_model")


# --- how each model is fed, trained, copied and broken ----------------------------------------------------

def outputs_of(model: keras.Model, x: object) -> object:
    """What a model gives for ``x`` at inference (its random augmentation and dropout off)."""
    return model(x, training=False)


class Spec5(Spec):
    """A ``tests.models_4.Spec`` with a deliberate interface break: ``breaks(model, x)`` makes the mistake
    people make with this model; ``kernest.explain`` of what Keras raised must match ``explains``."""

    def __init__(self, *args, breaks=None, explains: str = "", copy=_clone, **kwargs):
        super().__init__(*args, **kwargs)
        self.breaks, self.explains, self.copy = breaks, explains, copy


def _copy_nmt_part(old: keras.Layer) -> keras.Layer:
    """A copy of the translator's encoder or decoder (called on ids, the decoder on three arguments)."""
    new = old.__class__.from_config(old.get_config())
    src, tgt = _nmt_ids()
    if isinstance(old, NmtDecoder):
        new(ops.zeros((2, 5, old.units)), tgt, state=ops.zeros((2, old.units)))
    else:
        new(src)
    new.set_weights(old.get_weights())
    return new


def _break_vq_vae(model, x):  # an encoder with 3 latent channels in front of the decoder that takes 4
    img = keras.Input((8, 8, 1))
    keras.Model(img, model.get_layer("decoder")(L.Conv2D(3, 1, name="latent3")(model.get_layer("encoder")(img))))


def _break_decision_forest(model, x):  # the categorical feature left out of the dict
    model({k: v for k, v in x.items() if k != "workclass"})


def _break_simclr(model, x):  # grey images into an augmenter and encoder made for RGB
    model(x[..., :1])


def _break_nmt(model, x):  # a decoder of 4 units given the 6-unit encoder's state
    Translator(6, 12, decoder_units=4, name="translator")(x)


def _break_mil(model, x):  # a bag of two instances into a model of three
    model(x[:2])


def _break_gnn(model, x):  # the graph's node features changed width after the model was built
    model.node_features = ops.concatenate([model.node_features, model.node_features[:, :1]], axis=1)
    model(x)


def _break_real_nvp(model, x):  # 3-D points into 2-D couplings
    model(np.zeros((2, 3), "float32"))


def _break_multiscale(model, x):  # grey images into an RGB backbone
    model(x[..., :1])


def _break_two_tower(model, x):  # the item features given to the query tower
    item = {"item_id": keras.Input((1,), dtype="int32", name="item_id"), "price": keras.Input((1,), name="price")}
    model.get_layer("query_tower")(item)


def _break_tcn(model, x):  # the series without its features axis
    model(x[..., 0])


def _break_pixelcnn(model, x):  # colour images into a model of grey ones
    model(np.concatenate([x, x, x], axis=-1))


def _break_switch(model, x):  # sentences longer than the position embedding
    model(np.concatenate([x, x], axis=1))


def _fit_unlabelled(model, x, y):
    return model.fit(x, batch_size=2, epochs=1, verbose=0)


def _data_forest():
    return ({"age": _floats((2, 1)), "hours": _floats((2, 1), 1), "workclass": _ids((2, 1), 6)},
            np.array([0, 1]))


def _data_two_tower():
    return ({"user_id": _ids((2, 1), 10), "age": _floats((2, 1)), "item_id": _ids((2, 1), 12),
             "price": _floats((2, 1), 1)}, np.array([[1.0], [0.0]], "float32"))


def _mse(model):
    _compile_plain(model, "mse")


SPECS = [
    Spec5(vq_vae, lambda: (_floats((2, 8, 8, 1)), _floats((2, 8, 8, 1))), "encoder/enc_conv2", "decoder", "encoder/*",
          compile=_mse, expect_paths=("vector_quantizer", "decoder/dec_out"), breaks=_break_vq_vae,
          explains=r"decoder"),
    Spec5(switch_transformer, lambda: (_ids((2, 6), 20), np.array([0, 1])), "switch_block/switch/expert_1",
          "switch_block", "switch_block/switch/expert_*", expect_paths=("switch_block/switch/router/route",),
          breaks=_break_switch, explains=r"pad_sequences.*maxlen=6.*pos_emb"),
    Spec5(decision_forest, _data_forest, "forest/tree_1/decision", "forest", "forest/tree_0*",
          expect_paths=("forest/tree_2", "workclass_emb"), breaks=_break_decision_forest, explains=r"workclass"),
    Spec5(pixelcnn, lambda: (_floats((2, 8, 8, 1)), _floats((2, 8, 8, 1), 1)), "residual_block_0/pixel_conv_layer*",
          "residual_block_1", "residual_block_0*", compile=_mse, expect_paths=("out",),
          breaks=_break_pixelcnn, explains=r"pixel_conv_layer"),
    Spec5(simclr_finetune, lambda: (_floats((2, 12, 12, 3)) * 255, np.array([0, 2])), "encoder/conv2", "encoder",
          "encoder/*", compile=lambda model: _compile_plain(
              model, keras.losses.SparseCategoricalCrossentropy(from_logits=True)),
          expect_paths=("augmenter/color_affine", "encoder/fc"), breaks=_break_simclr, explains=r"augmenter|encoder"),
    Spec5(nmt_attention, lambda: (_nmt_ids(), _ids((2, 4), 12, 2)), "decoder/attention/mha", "decoder", "encoder/*",
          compile=lambda model: _compile_plain(model, keras.losses.SparseCategoricalCrossentropy(from_logits=True)),
          refuses=("replace",), expect_paths=("encoder/rnn", "decoder/attention/layernorm"), breaks=_break_nmt,
          explains=r"decoder", copy=_copy_nmt_part),
    Spec5(attention_mil, lambda: ([_floats((2, 6, 6), i) for i in range(3)], np.array([0, 1])),
          "instance_encoder/dense_2", "instance_encoder", "instance_encoder/*", expect_paths=("alpha",),
          breaks=_break_mil, explains=r"instance_2|3 input"),
    Spec5(gnn_node_classifier, lambda: (np.array([0, 2, 4], "int32"), np.array([0, 1, 2])), "graph_conv1/ffn_prepare/dense*",
          "preprocess", "graph_conv1/*", compile=lambda model: _compile_plain(
              model, keras.losses.SparseCategoricalCrossentropy(from_logits=True)), refuses=("replace", "save", "cli_file"),
          expect_paths=("graph_conv2/update_fn", "logits"), breaks=_break_gnn, explains=r"preprocess"),
    Spec5(real_nvp, lambda: (_floats((4, 2)), None), "coupling_1/*", "coupling_0", "coupling_0",
          compile=lambda model: model.compile("adam", run_eagerly=True), refuses=("replace",),
          fit=_fit_unlabelled, expect_paths=("coupling_3",), breaks=_break_real_nvp, explains=r"real_nvp.*built on \(batch, 2\)"),
    Spec5(multiscale_features, lambda: (_floats((2, 32, 32, 3)), np.array([0, 2])), "features/block_3_expand_relu",
          "features", "features/block_1*", compile=lambda model: _compile_plain(
              model, keras.losses.SparseCategoricalCrossentropy(from_logits=True)),
          expect_paths=("features/block_6_expand_relu", "gap_2"), breaks=_break_multiscale, explains=r"features"),
    Spec5(two_tower, _data_two_tower, "query_tower/fc", "candidate_tower", "query_tower/*",
          compile=lambda model: _compile_plain(model, "binary_crossentropy"),
          expect_paths=("candidate_tower/price_norm",), breaks=_break_two_tower, explains=r"user_id|age"),
    Spec5(tcn, lambda: (_floats((2, 8, 2)), _floats((2, 1))), "tcn/residual_block_0/conv1D_0", "tcn",
          "tcn/residual_block_0*", compile=_mse, expect_paths=("tcn/residual_block_1/conv1D_1",),
          breaks=_break_tcn, explains=r"tcn"),
]
