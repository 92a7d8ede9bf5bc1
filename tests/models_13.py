"""Real-world nested models, thirteenth batch: each rewritten small from the public code cited above it, keeping its
structure (the nesting, the custom layers and their quirks, the ops between layers). Kinds the first twelve batches
did not have: keras.io's AdaIN style transfer (an encoder made by truncating a backbone, shared by the style and the
content image, statistics matched between them by ops), a keras-hub style GPT-2 causal LM (its head is the
backbone's own token embedding called in reverse: tied weights, a nested model's inner layer reused outside it),
keras.io's DDPG actor and critic (the actor's objective: the critic, a two-input model, called on the state and the
actor's action), keras.io's PatchConvNet (a subclassed model holding a Sequential stem, a trunk layer that builds
Sequential blocks sharing their layers, an attention pooling that returns two tensors), keras.io's MPNN for molecules
(a graph given as atoms, bonds, pairs and a molecule index, inputs whose first axes differ; a message-passing layer
around a GRU cell, a readout layer holding a Sequential) and keras-hub's DeepLabV3 segmenter (a feature-pyramid model
built from a backbone's inner outputs and nested in it, a spatial pyramid pooling layer of Sequential branches)."""

from __future__ import annotations

import keras
import numpy as np

from tests.models_4 import _floats, _ids
from tests.models_5 import Spec5
from tests.models_12 import PositionEmbedding

L = keras.layers
ops = keras.ops
PACKAGE = "kernest_rw13"


def register(cls):
    return keras.saving.register_keras_serializable(package=PACKAGE)(cls)


# --- 1. keras.io "Neural Style Transfer with AdaIN" ---------------------------------------------------------
# https://keras.io/examples/generative/adain/ (get_encoder: VGG19 without its top, frozen, truncated at block4_conv1
# with keras.Model(vgg19.input, vgg19.get_layer("block4_conv1").output) and that model called on a new Input, the
# whole named mini_vgg19; get_mean_std and ada_in: the content features renormalised to the style features' mean and
# standard deviation over the spatial axes; get_decoder: a Sequential of same-padded 3x3 convolutions and
# UpSampling2D back to the image, a sigmoid at the end). Here the inference step as a functional model over the
# style and content images; a VGG19 of the same layer names with widths 4..16 and 16x16 images instead of 224x224;
# the decoder's layers named so that globs do not depend on Keras' name counters.

STYLE_SIZE, EPSILON = 16, 1e-5


def tiny_vgg19(size: int = STYLE_SIZE) -> keras.Model:
    """keras.applications.VGG19(include_top=False)'s layers and names, narrow."""
    x = img = keras.Input((size, size, 3), name="input_layer")
    for block, (filters, convs) in enumerate([(4, 2), (8, 2), (8, 4), (16, 4)], start=1):
        for conv in range(1, convs + 1):
            x = L.Conv2D(filters, 3, padding="same", activation="relu", name=f"block{block}_conv{conv}")(x)
        x = L.MaxPooling2D(name=f"block{block}_pool")(x)
    return keras.Model(img, x, name="vgg19")


def get_encoder():
    vgg19 = tiny_vgg19()
    vgg19.trainable = False
    mini_vgg19 = keras.Model(vgg19.input, vgg19.get_layer("block4_conv1").output)
    inputs = L.Input([STYLE_SIZE, STYLE_SIZE, 3])
    mini_vgg19_out = mini_vgg19(inputs)
    return keras.Model(inputs, mini_vgg19_out, name="mini_vgg19")


def get_mean_std(x, epsilon=EPSILON):
    axes = [1, 2]
    mean, variance = ops.mean(x, axis=axes, keepdims=True), ops.var(x, axis=axes, keepdims=True)
    standard_deviation = ops.sqrt(variance + epsilon)
    return mean, standard_deviation


def ada_in(style, content):
    content_mean, content_std = get_mean_std(content)
    style_mean, style_std = get_mean_std(style)
    return style_std * (content - content_mean) / content_std + style_mean


def get_decoder():
    config = {"kernel_size": 3, "strides": 1, "padding": "same", "activation": "relu"}
    return keras.Sequential([
        L.InputLayer((None, None, 16)),
        L.Conv2D(filters=16, name="conv_1", **config), L.UpSampling2D(name="up_1"),
        L.Conv2D(filters=8, name="conv_2", **config), L.UpSampling2D(name="up_2"),
        L.Conv2D(filters=4, name="conv_3", **config), L.UpSampling2D(name="up_3"),
        L.Conv2D(filters=3, kernel_size=3, strides=1, padding="same", activation="sigmoid", name="conv_4"),
    ], name="decoder")


def adain_style_transfer() -> keras.Model:
    encoder, decoder = get_encoder(), get_decoder()
    style = keras.Input((STYLE_SIZE, STYLE_SIZE, 3), name="style")
    content = keras.Input((STYLE_SIZE, STYLE_SIZE, 3), name="content")
    t = ada_in(style=encoder(style), content=encoder(content))
    return keras.Model({"style": style, "content": content}, decoder(t), name="neural_style_transfer")


def _data_adain():
    images = {"style": _floats((2, STYLE_SIZE, STYLE_SIZE, 3)), "content": _floats((2, STYLE_SIZE, STYLE_SIZE, 3), 1)}
    return images, images["content"]  # trained here to reconstruct the content (the example's content loss)


def _break_adain(model, x):  # the encoder truncated one block higher than the decoder was made for
    vgg19 = model.get_layer("mini_vgg19").layers[1]
    encoder = keras.Model(vgg19.input, vgg19.get_layer("block3_conv1").output, name="mini_vgg19_block3")
    decoder = model.get_layer("decoder")
    content = keras.Input((STYLE_SIZE, STYLE_SIZE, 3), name="content")
    keras.Model(content, decoder(encoder(content)))


# --- 2. keras-hub's GPT2CausalLM: the LM head is the token embedding reversed --------------------------------
# https://github.com/keras-team/keras-hub (src/layers/modeling/reversible_embedding.py: ReversibleEmbedding, an
# Embedding whose call(inputs, reverse=True) multiplies by the transposed embeddings when tie_weights;
# src/models/gpt2/gpt2_backbone.py: a functional-subclass Backbone of token_ids and padding_mask, token plus
# position embeddings, TransformerDecoder layers (normalize_first, causal self-attention merged with the padding
# mask), a final LayerNormalization; src/models/gpt2/gpt2_causal_lm.py: the CausalLM, a functional subclass calling
# the backbone and then backbone.token_embedding(x, reverse=True)). Vocabulary 30, width 8, two layers, 8 positions.

GPT_VOCAB, GPT_SEQ, GPT_MAX = 30, 6, 8


@register
class ReversibleEmbedding(L.Embedding):
    def __init__(self, input_dim, output_dim, tie_weights=True, **kwargs):
        super().__init__(input_dim, output_dim, **kwargs)
        self.tie_weights = tie_weights

    def build(self, inputs_shape=None):
        super().build(inputs_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(shape=(self.output_dim, self.input_dim),
                                                      initializer=self.embeddings_initializer, name="reverse_embeddings")

    def call(self, inputs, reverse=False):
        if reverse:
            kernel = ops.transpose(ops.convert_to_tensor(self.embeddings)) if self.tie_weights else self.reverse_embeddings
            return ops.matmul(inputs, kernel)  # (batch, seq, width) @ (width, vocab)
        return super().call(inputs)

    def compute_output_spec(self, inputs, reverse=False):
        shape = list(inputs.shape)
        if reverse:
            shape[-1] = self.input_dim
        else:
            shape += [self.output_dim]
        return keras.KerasTensor(shape, dtype=self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "tie_weights": self.tie_weights}


@register
class TransformerDecoder(L.Layer):
    """keras-hub's decoder-only TransformerDecoder, normalize_first as GPT-2 has it; its sublayers made in build()."""

    def __init__(self, intermediate_dim, num_heads, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.intermediate_dim, self.num_heads, self.dropout = intermediate_dim, num_heads, dropout

    def build(self, decoder_sequence_shape):
        hidden_dim = decoder_sequence_shape[-1]
        self._self_attention_layer = L.MultiHeadAttention(self.num_heads, hidden_dim // self.num_heads,
                                                          dropout=self.dropout, name="self_attention")
        self._self_attention_layer.build(decoder_sequence_shape, decoder_sequence_shape)
        self._self_attention_layer_norm = L.LayerNormalization(epsilon=1e-5, name="self_attention_layer_norm")
        self._self_attention_layer_norm.build(decoder_sequence_shape)
        self._feedforward_layer_norm = L.LayerNormalization(epsilon=1e-5, name="feedforward_layer_norm")
        self._feedforward_layer_norm.build(decoder_sequence_shape)
        self._feedforward_intermediate_dense = L.Dense(self.intermediate_dim, activation="gelu",
                                                       name="feedforward_intermediate_dense")
        self._feedforward_intermediate_dense.build(decoder_sequence_shape)
        self._feedforward_output_dense = L.Dense(hidden_dim, name="feedforward_output_dense")
        self._feedforward_output_dense.build((*decoder_sequence_shape[:-1], self.intermediate_dim))
        self.built = True

    def call(self, decoder_sequence, decoder_padding_mask=None, training=None):
        length = ops.shape(decoder_sequence)[1]
        causal = ops.tril(ops.ones((1, length, length), "bool"))  # (1, seq, seq)
        mask = causal if decoder_padding_mask is None else ops.logical_and(
            causal, ops.cast(decoder_padding_mask[:, None, :], "bool"))
        residual = decoder_sequence
        x = self._self_attention_layer_norm(decoder_sequence)
        x = residual + self._self_attention_layer(x, x, attention_mask=mask, training=training)
        residual = x
        x = self._feedforward_output_dense(self._feedforward_intermediate_dense(self._feedforward_layer_norm(x)))
        return residual + x

    def compute_output_shape(self, decoder_sequence_shape):
        return decoder_sequence_shape

    def get_config(self):
        return {**super().get_config(), "intermediate_dim": self.intermediate_dim, "num_heads": self.num_heads,
                "dropout": self.dropout}


@register
class GPT2Backbone(keras.Model):
    def __init__(self, vocabulary_size, num_layers, num_heads, hidden_dim, intermediate_dim, dropout=0.1,
                 max_sequence_length=GPT_MAX, **kwargs):
        # === Layers ===
        token_embedding = ReversibleEmbedding(vocabulary_size, hidden_dim, name="token_embedding")
        position_embedding = PositionEmbedding(max_sequence_length, name="position_embedding")
        embeddings_add = L.Add(name="embeddings_add")
        embeddings_dropout = L.Dropout(dropout, name="embeddings_dropout")
        transformer_layers = [TransformerDecoder(intermediate_dim, num_heads, dropout, name=f"transformer_layer_{i}")
                              for i in range(num_layers)]
        layer_norm = L.LayerNormalization(epsilon=1e-5, name="layer_norm")
        # === Functional Model ===
        token_id_input = keras.Input((None,), dtype="int32", name="token_ids")
        padding_mask_input = keras.Input((None,), dtype="int32", name="padding_mask")
        tokens = token_embedding(token_id_input)
        x = embeddings_dropout(embeddings_add((tokens, position_embedding(tokens))))
        for transformer_layer in transformer_layers:
            x = transformer_layer(x, decoder_padding_mask=padding_mask_input)
        super().__init__(inputs={"token_ids": token_id_input, "padding_mask": padding_mask_input},
                         outputs=layer_norm(x), **kwargs)
        self.token_embedding, self.position_embedding = token_embedding, position_embedding
        self.transformer_layers, self.layer_norm = transformer_layers, layer_norm
        # === Config ===
        self.vocabulary_size, self.num_layers, self.num_heads = vocabulary_size, num_layers, num_heads
        self.hidden_dim, self.intermediate_dim, self.dropout = hidden_dim, intermediate_dim, dropout
        self.max_sequence_length = max_sequence_length

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, "vocabulary_size": self.vocabulary_size,
                "num_layers": self.num_layers, "num_heads": self.num_heads, "hidden_dim": self.hidden_dim,
                "intermediate_dim": self.intermediate_dim, "dropout": self.dropout,
                "max_sequence_length": self.max_sequence_length}


@register
class GPT2CausalLM(keras.Model):
    def __init__(self, backbone, **kwargs):
        # === Functional Model ===
        inputs = backbone.input
        hidden_states = backbone(inputs)
        outputs = backbone.token_embedding(hidden_states, reverse=True)
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        self.backbone = backbone

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, "backbone": keras.layers.serialize(self.backbone)}

    @classmethod
    def from_config(cls, config):
        return cls(**{**config, "backbone": keras.layers.deserialize(config["backbone"])})


def gpt2_causal_lm() -> keras.Model:
    backbone = GPT2Backbone(GPT_VOCAB, num_layers=2, num_heads=2, hidden_dim=8, intermediate_dim=16,
                            name="gpt2_backbone")
    return GPT2CausalLM(backbone, name="gpt2_causal_lm")


def _data_gpt2():
    ids = _ids((2, GPT_SEQ + 1), GPT_VOCAB)
    mask = np.ones((2, GPT_SEQ), "int32")
    mask[1, 4:] = 0
    return {"token_ids": ids[:, :-1], "padding_mask": mask}, ids[:, 1:]  # the next token at each position


def _compile_gpt2(model):
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), run_eagerly=True)


def _copy_backbone(old: keras.Model) -> keras.Model:
    new = old.__class__.from_config(old.get_config())
    new.set_weights(old.get_weights())
    return new


def _break_gpt2(model, x):  # a prompt of 12 tokens into a model of 8 positions (max_sequence_length)
    prompt = {"token_ids": _ids((1, 12), GPT_VOCAB), "padding_mask": np.ones((1, 12), "int32")}
    model(prompt)


# --- 3. keras.io "Deep Deterministic Policy Gradient (DDPG)" ------------------------------------------------
# https://keras.io/examples/rl/ddpg_pendulum/ (get_actor: two relu Dense layers, a tanh Dense initialised in
# [-0.003, 0.003], scaled by upper_bound; get_critic: the state through two Dense layers, the action through one,
# Concatenate, two Dense layers and a linear value; the actor's update maximises critic_model([state_batch,
# actor_model(state_batch)])). Here that objective as a functional model nesting both; the models named actor and
# critic after the example's variables; 16 and 8 units instead of 256 and 32. Pendulum: 3 state numbers, 1 action.

NUM_STATES, NUM_ACTIONS, UPPER_BOUND = 3, 1, 2.0


def get_actor():
    last_init = keras.initializers.RandomUniform(minval=-0.003, maxval=0.003)
    inputs = L.Input(shape=(NUM_STATES,))
    out = L.Dense(16, activation="relu")(inputs)
    out = L.Dense(16, activation="relu")(out)
    outputs = L.Dense(1, activation="tanh", kernel_initializer=last_init)(out)
    outputs = outputs * UPPER_BOUND
    return keras.Model(inputs, outputs, name="actor")


def get_critic():
    state_input = L.Input(shape=(NUM_STATES,))
    state_out = L.Dense(8, activation="relu")(state_input)
    state_out = L.Dense(8, activation="relu")(state_out)
    action_input = L.Input(shape=(NUM_ACTIONS,))
    action_out = L.Dense(8, activation="relu")(action_input)
    concat = L.Concatenate()([state_out, action_out])
    out = L.Dense(16, activation="relu")(concat)
    out = L.Dense(16, activation="relu")(out)
    outputs = L.Dense(1)(out)
    return keras.Model([state_input, action_input], outputs, name="critic")


def ddpg_actor_critic() -> keras.Model:
    actor_model, critic_model = get_actor(), get_critic()
    state = keras.Input((NUM_STATES,), name="state")
    critic_value = critic_model([state, actor_model(state)])
    return keras.Model(state, critic_value, name="ddpg")


def _break_ddpg(model, x):  # the critic given [action, state], the order of the arguments swapped
    critic, actor = model.get_layer("critic"), model.get_layer("actor")
    actions = actor(x)
    critic([actions, x])


# --- 4. keras.io "Augmenting convnets with aggregated attention" (PatchConvNet) -------------------------------
# https://keras.io/examples/vision/patch_convnet/ (get_preprocessing: a Sequential of Rescaling and Resizing;
# build_convolutional_stem: a Sequential of two strided gelu Conv2D; SqueezeExcite and Trunk make their sublayers in
# build(), the Trunk depth Sequentials over one list of layers (so they share them) with a residual Add and a
# Reshape to patches; AttentionPooling: a class token concatenated to the patches, MultiHeadAttention from it, an MLP
# Sequential, returning the logits and the attention weights; PatchConvNet(keras.Model) holding them, its call
# returning both, a get_config that puts the layers themselves in the config). 16x16 images resized to 16,
# 8 dimensions, depth 2; the class token an add_weight (the example's tf.Variable), its ops keras.ops.

PATCH_IMAGE, DIMENSIONS, SE_RATIO, TRUNK_DEPTH = 16, 8, 4, 2


def get_preprocessing():
    return keras.Sequential([L.Rescaling(1 / 255.0), L.Resizing(PATCH_IMAGE, PATCH_IMAGE)], name="preprocessing")


def get_train_augmentation_model():
    return keras.Sequential([L.Rescaling(1 / 255.0), L.Resizing(PATCH_IMAGE + 4, PATCH_IMAGE + 4),
                             L.RandomCrop(PATCH_IMAGE, PATCH_IMAGE), L.RandomFlip("horizontal")],
                            name="train_data_augmentation")


def build_convolutional_stem(dimensions):
    config = {"kernel_size": (3, 3), "strides": (2, 2), "activation": ops.gelu, "padding": "same"}
    return keras.Sequential([L.Conv2D(filters=dimensions // 2, **config), L.Conv2D(filters=dimensions, **config)],
                            name="convolutional_stem")


@register
class SqueezeExcite(L.Layer):
    def __init__(self, ratio, **kwargs):
        super().__init__(**kwargs)
        self.ratio = ratio

    def get_config(self):
        return {**super().get_config(), "ratio": self.ratio}

    def build(self, input_shape):
        filters = input_shape[-1]
        self.squeeze = L.GlobalAveragePooling2D(keepdims=True)
        self.reduction = L.Dense(units=filters // self.ratio, activation="relu", use_bias=False)
        self.excite = L.Dense(units=filters, activation="sigmoid", use_bias=False)
        self.multiply = L.Multiply()

    def call(self, x):
        shortcut = x
        x = self.excite(self.reduction(self.squeeze(x)))
        return self.multiply([shortcut, x])


@register
class Trunk(L.Layer):
    def __init__(self, depth, dimensions, ratio, **kwargs):
        super().__init__(**kwargs)
        self.ratio, self.dimensions, self.depth = ratio, dimensions, depth

    def get_config(self):
        return {**super().get_config(), "ratio": self.ratio, "dimensions": self.dimensions, "depth": self.depth}

    def build(self, input_shape):
        config = {"filters": self.dimensions, "activation": ops.gelu, "padding": "same"}
        trunk_block = [
            L.LayerNormalization(epsilon=1e-6),
            L.Conv2D(kernel_size=(1, 1), **config),
            L.Conv2D(kernel_size=(3, 3), **config),
            SqueezeExcite(ratio=self.ratio),
            L.Conv2D(kernel_size=(1, 1), filters=self.dimensions, padding="same"),
        ]
        self.trunk_blocks = [keras.Sequential(trunk_block) for _ in range(self.depth)]
        self.add = L.Add()
        self.flatten_spatial = L.Reshape((-1, self.dimensions))

    def call(self, x):
        shortcut = x
        for trunk_block in self.trunk_blocks:
            output = trunk_block(x)
            shortcut = self.add([output, shortcut])
            x = shortcut
        return self.flatten_spatial(x)  # (batch, patches, dimensions)


@register
class AttentionPooling(L.Layer):
    def __init__(self, dimensions, num_classes, **kwargs):
        super().__init__(**kwargs)
        self.dimensions, self.num_classes = dimensions, num_classes
        self.cls = self.add_weight(shape=(1, 1, dimensions), initializer="zeros", name="cls")

    def get_config(self):
        return {**super().get_config(), "dimensions": self.dimensions, "num_classes": self.num_classes}

    def build(self, input_shape):
        self.attention = L.MultiHeadAttention(num_heads=1, key_dim=self.dimensions, dropout=0.2)
        self.layer_norm1 = L.LayerNormalization(epsilon=1e-6)
        self.layer_norm2 = L.LayerNormalization(epsilon=1e-6)
        self.layer_norm3 = L.LayerNormalization(epsilon=1e-6)
        self.mlp = keras.Sequential([L.Dense(units=self.dimensions, activation=ops.gelu), L.Dropout(0.2),
                                     L.Dense(units=self.dimensions, activation=ops.gelu)])
        self.dense = L.Dense(units=self.num_classes)
        self.flatten = L.Flatten()

    def call(self, x):
        batch_size = ops.shape(x)[0]
        class_token = ops.repeat(self.cls, repeats=batch_size, axis=0)  # (batch, 1, dimensions)
        x = ops.concatenate([class_token, x], axis=1)
        x = self.layer_norm1(x)
        x, viz_weights = self.attention(query=x[:, 0:1], key=x, value=x, return_attention_scores=True)
        class_token = class_token + x
        class_token = self.layer_norm3(self.flatten(self.layer_norm2(class_token)))
        class_token = class_token + self.mlp(class_token)
        logits = self.dense(class_token)
        return logits, ops.squeeze(viz_weights)[..., 1:]


class PatchConvNet(keras.Model):
    def __init__(self, stem, trunk, attention_pooling, preprocessing_model, train_augmentation_model, **kwargs):
        super().__init__(**kwargs)
        self.stem, self.trunk, self.attention_pooling = stem, trunk, attention_pooling
        self.train_augmentation_model, self.preprocessing_model = train_augmentation_model, preprocessing_model

    def get_config(self):
        config = super().get_config()
        config.update({"stem": self.stem, "trunk": self.trunk, "attention_pooling": self.attention_pooling,
                       "train_augmentation_model": self.train_augmentation_model,
                       "preprocessing_model": self.preprocessing_model})
        return config

    def call(self, images):
        augmented_images = self.preprocessing_model(images)
        x = self.stem(augmented_images)
        x = self.trunk(x)
        logits, viz_weights = self.attention_pooling(x)
        return logits, viz_weights


def patch_convnet(num_classes: int = 3) -> keras.Model:
    model = PatchConvNet(stem=build_convolutional_stem(DIMENSIONS),
                         trunk=Trunk(depth=TRUNK_DEPTH, dimensions=DIMENSIONS, ratio=SE_RATIO),
                         attention_pooling=AttentionPooling(dimensions=DIMENSIONS, num_classes=num_classes),
                         train_augmentation_model=get_train_augmentation_model(),
                         preprocessing_model=get_preprocessing(), name="patch_conv_net")
    model(ops.zeros((1, PATCH_IMAGE, PATCH_IMAGE, 3)))
    return model


def _compile_patch(model):
    model.compile("adam", [keras.losses.SparseCategoricalCrossentropy(from_logits=True), None], run_eagerly=True)


def _fit_patch(model, x, y):  # the logits trained; the attention weights are for the plots
    model.fit(x, (y, np.zeros((len(y), (PATCH_IMAGE // 4) ** 2), "float32")), batch_size=2, epochs=1, verbose=0)


def _break_patch(model, x):  # one photo predicted without its batch axis
    image = x[0]
    model(image)


# --- 5. keras.io "Message-passing neural network (MPNN) for molecular property prediction" ------------------
# https://keras.io/examples/graph/mpnn-molecular-graphs/ (EdgeNetwork: a bond-dependent matrix per bond applied to
# the neighbour's atom state, summed per atom with unsorted_segment_sum; MessagePassing: the atom states padded to
# the message units, EdgeNetwork and a GRUCell update repeated for message steps; PartitionPadding: the atoms split
# per molecule (tf.dynamic_partition) and zero-padded to the largest; TransformerEncoderReadout: that padding,
# MultiHeadAttention under the padding mask, a Sequential projection, two LayerNormalization, GlobalAveragePooling1D;
# MPNNModel: inputs atom_features (atoms, atom_dim), bond_features (bonds, bond_dim), pair_indices (bonds, 2) and
# molecule_indicator (atoms,), fed one batch of molecules per element by MPNNDataset). Here the partition as a
# segment sum (keras.ops, every backend) and compute_output_shape on the layers that index by data; 6 atom and 3
# bond features, 8 message units, 2 steps, 2 heads.

ATOM_DIM, BOND_DIM, MOLECULES = 6, 3, 2


@register
class EdgeNetwork(L.Layer):
    def build(self, input_shape):
        self.atom_dim, self.bond_dim = input_shape[0][-1], input_shape[1][-1]
        self.kernel = self.add_weight(shape=(self.bond_dim, self.atom_dim * self.atom_dim),
                                      initializer="glorot_uniform", name="kernel")
        self.bias = self.add_weight(shape=(self.atom_dim * self.atom_dim,), initializer="zeros", name="bias")
        self.built = True

    def call(self, inputs):
        atom_features, bond_features, pair_indices = inputs
        bond_features = ops.matmul(bond_features, self.kernel) + self.bias
        bond_features = ops.reshape(bond_features, (-1, self.atom_dim, self.atom_dim))  # (bonds, atom, atom)
        neighbours = ops.expand_dims(ops.take(atom_features, pair_indices[:, 1], axis=0), axis=-1)
        transformed = ops.squeeze(ops.matmul(bond_features, neighbours), axis=-1)  # (bonds, atom_dim)
        return ops.segment_sum(transformed, pair_indices[:, 0], num_segments=ops.shape(atom_features)[0])

    def compute_output_shape(self, input_shape):
        return input_shape[0]


@register
class MessagePassing(L.Layer):
    def __init__(self, units, steps=4, **kwargs):
        super().__init__(**kwargs)
        self.units, self.steps = units, steps

    def build(self, input_shape):
        self.atom_dim = input_shape[0][-1]
        self.pad_length = max(0, self.units - self.atom_dim)
        self.message_step = EdgeNetwork()
        self.message_step.build(((None, self.atom_dim + self.pad_length), input_shape[1], input_shape[2]))
        self.update_step = L.GRUCell(self.atom_dim + self.pad_length)
        self.update_step.build((None, self.atom_dim + self.pad_length))
        self.built = True

    def call(self, inputs):
        atom_features, bond_features, pair_indices = inputs
        atom_features_updated = ops.pad(atom_features, [(0, 0), (0, self.pad_length)])
        for _ in range(self.steps):
            atom_features_aggregated = self.message_step([atom_features_updated, bond_features, pair_indices])
            atom_features_updated, _ = self.update_step(atom_features_aggregated, atom_features_updated)
        return atom_features_updated

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], self.atom_dim + self.pad_length)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "steps": self.steps}


@register
class PartitionPadding(L.Layer):
    def __init__(self, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.batch_size = batch_size

    def call(self, inputs):
        atom_features, molecule_indicator = inputs
        atoms = ops.shape(atom_features)[0]
        ones = ops.ones((atoms,), "int32")
        counts = ops.segment_sum(ones, molecule_indicator, num_segments=self.batch_size)  # atoms per molecule
        max_num_atoms = int(ops.convert_to_numpy(ops.max(counts)))
        first = ops.cumsum(counts) - counts  # each molecule's first atom (atoms come grouped by molecule)
        slot = molecule_indicator * max_num_atoms + ops.arange(atoms) - ops.take(first, molecule_indicator)
        stacked = ops.segment_sum(atom_features, slot, num_segments=self.batch_size * max_num_atoms)
        return ops.reshape(stacked, (self.batch_size, max_num_atoms, -1))  # (molecules, max_atoms, dim)

    def compute_output_shape(self, input_shape):
        return (self.batch_size, None, input_shape[0][-1])

    def get_config(self):
        return {**super().get_config(), "batch_size": self.batch_size}


@register
class TransformerEncoderReadout(L.Layer):
    def __init__(self, num_heads=8, embed_dim=64, dense_dim=512, batch_size=32, **kwargs):
        super().__init__(**kwargs)
        self.num_heads, self.embed_dim, self.dense_dim, self.batch_size = num_heads, embed_dim, dense_dim, batch_size
        self.partition_padding = PartitionPadding(batch_size)
        self.attention = L.MultiHeadAttention(num_heads, embed_dim)
        self.dense_proj = keras.Sequential([L.Dense(dense_dim, activation="relu"), L.Dense(embed_dim)])
        self.layernorm_1 = L.LayerNormalization()
        self.layernorm_2 = L.LayerNormalization()
        self.average_pooling = L.GlobalAveragePooling1D()

    def call(self, inputs):
        x = self.partition_padding(inputs)
        padding_mask = ops.any(ops.not_equal(x, 0.0), axis=-1)[:, None, None, :]
        attention_output = self.attention(x, x, attention_mask=padding_mask)
        proj_input = self.layernorm_1(x + attention_output)
        proj_output = self.layernorm_2(proj_input + self.dense_proj(proj_input))
        return self.average_pooling(proj_output)

    def compute_output_shape(self, input_shape):
        return (self.batch_size, input_shape[0][-1])

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads, "embed_dim": self.embed_dim,
                "dense_dim": self.dense_dim, "batch_size": self.batch_size}


def mpnn(batch_size: int = MOLECULES, message_units: int = 8, message_steps: int = 2, num_attention_heads: int = 2,
         dense_units: int = 8) -> keras.Model:
    atom_features = L.Input((ATOM_DIM,), dtype="float32", name="atom_features")
    bond_features = L.Input((BOND_DIM,), dtype="float32", name="bond_features")
    pair_indices = L.Input((2,), dtype="int32", name="pair_indices")
    molecule_indicator = L.Input((), dtype="int32", name="molecule_indicator")
    x = MessagePassing(message_units, message_steps)([atom_features, bond_features, pair_indices])
    x = TransformerEncoderReadout(num_attention_heads, message_units, dense_units, batch_size)(
        [x, molecule_indicator])
    x = L.Dense(dense_units, activation="relu")(x)
    x = L.Dense(1, activation="sigmoid")(x)
    return keras.Model(inputs=[atom_features, bond_features, pair_indices, molecule_indicator], outputs=[x],
                       name="mpnn")


def _data_mpnn():
    pairs = np.array([[0, 1], [1, 0], [1, 2], [2, 1], [3, 4], [4, 3]], "int32")  # two molecules: 3 atoms, 2 atoms
    indicator = np.array([0, 0, 0, 1, 1], "int32")
    return [_floats((5, ATOM_DIM)), _floats((6, BOND_DIM), 1), pairs, indicator], np.array([[1.0], [0.0]], "float32")


class _OneGraphBatch(keras.utils.PyDataset):
    """The example's MPNNDataset: one batch of molecules per element, its inputs of different lengths."""

    def __init__(self, x, y):
        super().__init__()
        self.x, self.y = x, y

    def __len__(self):
        return 1

    def __getitem__(self, index):
        return tuple(self.x), self.y


def _copy_message_passing(old: keras.Layer) -> keras.Layer:
    new = old.__class__.from_config(old.get_config())
    new.build([(None, ATOM_DIM), (None, BOND_DIM), (None, 2)])
    new.set_weights(old.get_weights())
    return new


def _compile_mpnn(model):
    model.compile("adam", "binary_crossentropy", run_eagerly=True)


def _fit_mpnn(model, x, y):
    model.fit(_OneGraphBatch(x, y), epochs=1, verbose=0)


def _break_mpnn(model, x):  # the graph's four arrays given to predict, which slices them into batches by row
    model.predict(x, verbose=0)


# --- 6. keras-hub's DeepLabV3 segmenter ---------------------------------------------------------------------
# https://github.com/keras-team/keras-hub (src/models/deeplab_v3/deeplab_v3_backbone.py: fpn_model =
# keras.Model(image_encoder.inputs, image_encoder.pyramid_outputs) called on the inputs, SpatialPyramidPooling on
# its P5 (here P4) output, upsampled bilinearly to the low-level P2 features (a 1x1 convolution, BatchNormalization,
# relu) and concatenated, two 3x3 convolutions; deeplab_v3_layers.py: SpatialPyramidPooling makes its parallel
# branches in build(), each a Sequential (1x1; 3x3 at each dilation rate; a global average pooling branch resized
# back), and a Sequential projection; deeplab_v3_image_segmenter.py: the backbone, a bilinear upsampling to the
# image and a 1x1 segmentation head). The image encoder a small ResNet-style model with pyramid outputs P2..P4,
# images of any size (keras-hub's default image_shape=(None, None, 3)), 4..16 filters instead of 256.

SEG = 32


def resnet_encoder() -> keras.Model:
    """A small ResNet-style image encoder giving its levels as ``pyramid_outputs`` (keras-hub's Backbone attribute)."""
    images = keras.Input((None, None, 3), name="images")
    x = L.Conv2D(4, 3, strides=2, padding="same", activation="relu", name="conv1")(images)
    pyramid = {}
    for level, filters in zip((2, 3, 4), (4, 8, 8), strict=True):
        y = L.Conv2D(filters, 3, strides=2, padding="same", name=f"stack{level}_conv")(x)
        y = L.BatchNormalization(name=f"stack{level}_bn")(y)
        x = L.Activation("relu", name=f"stack{level}_out")(y)
        pyramid[f"P{level}"] = x
    encoder = keras.Model(images, x, name="resnet_encoder")
    encoder.pyramid_outputs = pyramid
    return encoder


@register
class SpatialPyramidPooling(L.Layer):
    def __init__(self, dilation_rates, num_channels=8, activation="relu", dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.dilation_rates, self.num_channels = dilation_rates, num_channels
        self.activation, self.dropout = activation, dropout

    def build(self, input_shape):
        def branch(*first):
            return keras.Sequential([*first, L.BatchNormalization(), L.Activation(self.activation)])

        self.aspp_parallel_channels = [branch(L.Conv2D(self.num_channels, 1, use_bias=False))]
        for rate in self.dilation_rates:
            self.aspp_parallel_channels.append(
                branch(L.Conv2D(self.num_channels, 3, padding="same", dilation_rate=rate, use_bias=False)))
        self.aspp_parallel_channels.append(
            branch(L.GlobalAveragePooling2D(keepdims=True), L.Conv2D(self.num_channels, 1, use_bias=False)))
        for channel in self.aspp_parallel_channels:
            channel.build(input_shape)
        self.projection = keras.Sequential([L.Conv2D(self.num_channels, 1, use_bias=False), L.BatchNormalization(),
                                            L.Activation(self.activation), L.Dropout(rate=self.dropout)])
        self.projection.build((*input_shape[:-1], (2 + len(self.dilation_rates)) * self.num_channels))
        self.built = True

    def call(self, inputs, training=None):
        channel_outputs = [channel(inputs, training=training) for channel in self.aspp_parallel_channels]
        height, width = ops.shape(inputs)[1], ops.shape(inputs)[2]
        channel_outputs[-1] = ops.image.resize(channel_outputs[-1], (height, width), interpolation="bilinear")
        return self.projection(ops.concatenate(channel_outputs, axis=-1), training=training)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.num_channels)

    def get_config(self):
        return {**super().get_config(), "dilation_rates": self.dilation_rates, "num_channels": self.num_channels,
                "activation": self.activation, "dropout": self.dropout}


def deeplab_v3_backbone(image_encoder, spatial_pyramid_pooling_key="P4", low_level_feature_key="P2",
                        dilation_rates=(1, 2), projection_filters=4, upsampling_size=8) -> keras.Model:
    inputs = keras.Input((None, None, 3), name="inputs")
    fpn_model = keras.Model(image_encoder.inputs, image_encoder.pyramid_outputs)
    fpn_outputs = fpn_model(inputs)
    spp_outputs = SpatialPyramidPooling(dilation_rates=list(dilation_rates), name="spatial_pyramid_pooling")(
        fpn_outputs[spatial_pyramid_pooling_key])
    scale = 2 ** (int(spatial_pyramid_pooling_key[1:]) - int(low_level_feature_key[1:]))
    decoder_feature = L.UpSampling2D(size=scale, interpolation="bilinear", name="decoder_upsampling")(spp_outputs)
    low = L.Conv2D(projection_filters, 1, padding="same", use_bias=False, name="decoder_conv")(
        fpn_outputs[low_level_feature_key])
    low = L.Activation("relu", name="decoder_relu")(L.BatchNormalization(name="decoder_norm")(low))
    x = L.Concatenate(axis=-1, name="decoder_concat")([decoder_feature, low])
    for i in (1, 2):
        x = L.Conv2D(upsampling_size, 3, padding="same", use_bias=False, name=f"segmentation_head_conv_{i}")(x)
        x = L.Activation("relu", name=f"segmentation_head_relu_{i}")(L.BatchNormalization(
            name=f"segmentation_head_norm_{i}")(x))
    return keras.Model(inputs, x, name="deeplab_v3_backbone")


def deeplab_v3_segmenter(num_classes: int = 3) -> keras.Model:
    backbone = deeplab_v3_backbone(resnet_encoder())
    inputs = keras.Input((None, None, 3), name="images")
    x = L.UpSampling2D(size=4, interpolation="bilinear", name="upsampling")(backbone(inputs))
    outputs = L.Conv2D(num_classes, 1, use_bias=False, padding="same", name="segmentation_output")(x)
    return keras.Model(inputs, outputs, name="deeplab_v3_image_segmenter")


def _break_deeplab(model, x):  # a 36x36 photo into a model whose levels pair up for multiples of 16
    photo = np.zeros((1, 36, 36, 3), "float32")
    model(photo)


# --- how each model is fed, trained, copied and broken ----------------------------------------------------

def outputs_of(model: keras.Model, x: object) -> object:
    """What a model gives for ``x`` at inference (dropout off)."""
    return model(x, training=False)


def _compile_plain(model, loss="sparse_categorical_crossentropy"):
    model.compile("adam", loss, run_eagerly=True)


def _copy_functional(old: keras.Layer) -> keras.Layer:
    new = keras.models.clone_model(old)
    new.set_weights(old.get_weights())
    return new


SPECS = [
    Spec5(adain_style_transfer, _data_adain, "mini_vgg19/*/block2_conv1", "decoder", "decoder/conv_[12]",
          compile=lambda m: _compile_plain(m, "mse"), copy=_copy_functional,
          expect_paths=("mini_vgg19", "decoder/conv_4"), breaks=_break_adain,
          explains=r"(?s)decoder.*\(batch, \.\.\., 16\).*filters=8.*Cut mini_vgg19_block3 at block4_conv1 "
                   r"\(keras\.Model\(\.\.\., <model>\.get_layer\('block4_conv1'\)\.output\)\)"),
    Spec5(gpt2_causal_lm, _data_gpt2, "gpt2_backbone/transformer_layer_0", "gpt2_backbone", "gpt2_backbone/transformer_layer_0",
          compile=_compile_gpt2, copy=_copy_backbone,
          expect_paths=("gpt2_backbone/token_embedding", "gpt2_backbone/transformer_layer_1"), breaks=_break_gpt2,
          explains=r"(?s)position_embedding.*8 positions in all, and gets a sequence of 12.*"
                   r"\{k: v\[:, :8\] for k, v in prompt\.items\(\)\}"),
    Spec5(ddpg_actor_critic, lambda: (_floats((2, NUM_STATES)), _floats((2, 1), 1)), "critic/concatenate*", "actor",
          "critic", compile=lambda m: _compile_plain(m, "mse"), copy=_copy_functional,
          expect_paths=("actor", "critic"), breaks=_break_ddpg,
          explains=r"(?s)critic.*\(batch, 3\).*\(batch, 1\).*\[x, actions\]"),
    Spec5(patch_convnet, lambda: (_floats((2, PATCH_IMAGE, PATCH_IMAGE, 3)) * 255, np.array([0, 2])),
          "convolutional_stem/conv2d*", "convolutional_stem", "convolutional_stem", compile=_compile_patch,
          fit=_fit_patch, refuses=("replace", "save", "cli_file"),
          expect_paths=("convolutional_stem", "attention_pooling"), breaks=_break_patch,
          explains=r"(?s)patch_conv_net.*\(batch, 16, 16, 3\).*image\[None\]|np\.expand_dims\(image, 0\)"),
    Spec5(mpnn, _data_mpnn, "transformer_encoder_readout/sequential*", "message_passing", "message_passing",
          compile=_compile_mpnn, fit=_fit_mpnn, copy=_copy_message_passing,
          expect_paths=("message_passing", "transformer_encoder_readout"), breaks=_break_mpnn,
          explains=r"(?s)mpnn.*atom_features 5, bond_features 6.*model\(x\).*PyDataset"),
    Spec5(deeplab_v3_segmenter, lambda: (_floats((2, SEG, SEG, 3)), np.zeros((2, SEG, SEG), "int32")),
          "deeplab_v3_backbone/spatial_pyramid_pooling", "deeplab_v3_backbone", "deeplab_v3_backbone/functional*",
          compile=_compile_plain, copy=_copy_functional,
          expect_paths=("deeplab_v3_backbone/spatial_pyramid_pooling", "deeplab_v3_backbone/decoder_concat"),
          breaks=_break_deeplab, explains=r"(?s)deeplab_v3_image_segmenter.*multiples of 16.*Resizing\(48, 48\)\(photo\)"),
]
