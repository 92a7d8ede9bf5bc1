"""Real-world nested models, eighth batch: each rewritten small from the public code cited above it, keeping
its structure (the nesting, the custom layers and their quirks, the ops between layers). Kinds the first seven
batches did not have: a Perceiver's learned latent array that a cross-attention model with a dict of inputs and
a transformer model refine over several iterations (the same two submodels called again and again, the latent
array batch 1 broadcast against the data), ConvMixer's blocks as models of their own, an ensemble of models
averaged (Keras' functional API guide), custom RNN cells (one in ``Bidirectional(RNN(cell))``, two stacked in
one ``RNN``), and a convolutional-LSTM next-frame predictor on 5-D video nested under a preprocessing model."""

from __future__ import annotations

import keras
import numpy as np

from tests.models_4 import _compile_plain, _floats
from tests.models_5 import Spec5

L = keras.layers
ops = keras.ops
PACKAGE = "kernest_rw8"


def register(cls):
    return keras.saving.register_keras_serializable(package=PACKAGE)(cls)


# --- 1. keras.io "Image classification with Perceiver" --------------------------------------------------------
# https://keras.io/examples/vision/perceiver_image_classification/ (Patches, PatchEncoder (a Dense projection plus
# an Embedding of positions), create_cross_attention_module: a functional model on the dict {"latent_array",
# "data_array"} with layers.Attention; create_transformer_module: a functional model of MultiHeadAttention
# blocks; Perceiver.build adds the latent array as a weight and call runs cross-attention then transformer
# num_iterations times, the same two models each time, with expand_dims(latent_array, 0): a batch of 1).
# keras.io's Perceiver is a subclassed Model without get_config; here the same class is a layer (with its
# config) inside a functional model that puts the data augmentation in front.

def create_ffn(hidden_units, dropout_rate, name=None):
    ffn_layers = [L.Dense(units, activation=ops.gelu) for units in hidden_units[:-1]]
    ffn_layers += [L.Dense(units=hidden_units[-1]), L.Dropout(dropout_rate)]
    return keras.Sequential(ffn_layers, name=name)


@register
class Patches(L.Layer):
    def __init__(self, patch_size, **kwargs):
        super().__init__(**kwargs)
        self.patch_size = patch_size

    def call(self, images):
        batch_size = ops.shape(images)[0]
        patches = ops.image.extract_patches(images, size=(self.patch_size, self.patch_size),
                                            strides=(self.patch_size, self.patch_size), padding="valid")
        patch_dims = patches.shape[-1]
        return ops.reshape(patches, [batch_size, -1, patch_dims])

    def get_config(self):
        return {**super().get_config(), "patch_size": self.patch_size}


@register
class PatchEncoder(L.Layer):
    def __init__(self, num_patches, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.num_patches, self.projection_dim = num_patches, projection_dim
        self.projection = L.Dense(units=projection_dim, name="projection")
        self.position_embedding = L.Embedding(input_dim=num_patches, output_dim=projection_dim,
                                              name="position_embedding")

    def call(self, patches):
        positions = ops.arange(start=0, stop=self.num_patches, step=1)
        return self.projection(patches) + self.position_embedding(positions)

    def get_config(self):
        return {**super().get_config(), "num_patches": self.num_patches, "projection_dim": self.projection_dim}


def create_cross_attention_module(latent_dim, data_dim, projection_dim, ffn_units, dropout_rate):
    inputs = {"latent_array": L.Input(shape=(latent_dim, projection_dim), name="latent_array"),
              "data_array": L.Input(shape=(data_dim, projection_dim), name="data_array")}
    latent_array = L.LayerNormalization(epsilon=1e-6)(inputs["latent_array"])
    data_array = L.LayerNormalization(epsilon=1e-6)(inputs["data_array"])
    query = L.Dense(units=projection_dim)(latent_array)
    key = L.Dense(units=projection_dim)(data_array)
    value = L.Dense(units=projection_dim)(data_array)
    attention_output = L.Attention(use_scale=True, dropout=0.1)([query, key, value], return_attention_scores=False)
    attention_output = L.Add()([attention_output, latent_array])
    attention_output = L.LayerNormalization(epsilon=1e-6)(attention_output)
    outputs = create_ffn(hidden_units=ffn_units, dropout_rate=dropout_rate)(attention_output)
    outputs = L.Add()([outputs, attention_output])
    return keras.Model(inputs=inputs, outputs=outputs, name="cross_attention")


def create_transformer_module(latent_dim, projection_dim, num_heads, num_transformer_blocks, ffn_units,
                              dropout_rate):
    inputs = L.Input(shape=(latent_dim, projection_dim))
    x0 = inputs
    for _ in range(num_transformer_blocks):
        x1 = L.LayerNormalization(epsilon=1e-6)(x0)
        attention_output = L.MultiHeadAttention(num_heads=num_heads, key_dim=projection_dim, dropout=0.1)(x1, x1)
        x2 = L.Add()([attention_output, x0])
        x3 = L.LayerNormalization(epsilon=1e-6)(x2)
        x3 = create_ffn(hidden_units=ffn_units, dropout_rate=dropout_rate)(x3)
        x0 = L.Add()([x3, x2])
    return keras.Model(inputs=inputs, outputs=x0, name="transformer")


@register
class Perceiver(L.Layer):
    def __init__(self, patch_size, data_dim, latent_dim, projection_dim, num_heads, num_transformer_blocks,
                 ffn_units, dropout_rate, num_iterations, classifier_units, **kwargs):
        super().__init__(**kwargs)
        self.patch_size, self.data_dim, self.latent_dim = patch_size, data_dim, latent_dim
        self.projection_dim, self.num_heads = projection_dim, num_heads
        self.num_transformer_blocks, self.ffn_units, self.dropout_rate = num_transformer_blocks, ffn_units, dropout_rate
        self.num_iterations, self.classifier_units = num_iterations, classifier_units
        self.patcher = Patches(patch_size, name="patcher")
        self.patch_encoder = PatchEncoder(data_dim, projection_dim, name="patch_encoder")
        self.cross_attention = create_cross_attention_module(latent_dim, data_dim, projection_dim, ffn_units,
                                                             dropout_rate)
        self.transformer = create_transformer_module(latent_dim, projection_dim, num_heads,
                                                     num_transformer_blocks, ffn_units, dropout_rate)
        self.global_average_pooling = L.GlobalAveragePooling1D(name="global_average_pooling")
        self.classification_head = create_ffn(classifier_units, dropout_rate, name="classification_head")

    def build(self, input_shape):
        self.latent_array = self.add_weight(shape=(self.latent_dim, self.projection_dim),
                                            initializer="random_normal", trainable=True, name="latent_array")

    def call(self, inputs):
        encoded_patches = self.patch_encoder(self.patcher(inputs))
        cross_attention_inputs = {"latent_array": ops.expand_dims(self.latent_array, 0),
                                  "data_array": encoded_patches}
        for _ in range(self.num_iterations):
            latent_array = self.cross_attention(cross_attention_inputs)
            latent_array = self.transformer(latent_array)
            cross_attention_inputs["latent_array"] = latent_array
        return self.classification_head(self.global_average_pooling(latent_array))

    def get_config(self):
        return {**super().get_config(), **{k: getattr(self, k) for k in (
            "patch_size", "data_dim", "latent_dim", "projection_dim", "num_heads", "num_transformer_blocks",
            "ffn_units", "dropout_rate", "num_iterations", "classifier_units")}}


def perceiver(size: int = 8, patch: int = 2, dim: int = 8, latent: int = 4, classes: int = 3) -> keras.Model:
    data_augmentation = keras.Sequential([L.Normalization(), L.Resizing(size, size), L.RandomFlip("horizontal")],
                                         name="data_augmentation")
    data_augmentation.layers[0].adapt(_floats((4, size, size, 3), seed=3))
    images = keras.Input((size, size, 3), name="images")
    logits = Perceiver(patch, (size // patch) ** 2, latent, dim, 2, 1, [dim, dim], 0.1, 2, [dim, classes],
                       name="perceiver")(data_augmentation(images))
    return keras.Model(images, logits, name="perceiver_classifier")


# --- 2. keras.io "Image classification with ConvMixer" --------------------------------------------------------
# https://keras.io/examples/vision/convmixer/ (activation_block: gelu then BatchNormalization; conv_stem: a
# patchifying Conv2D; conv_mixer_block: a depthwise conv with a residual Add, then a pointwise conv). The stem and
# each block are models of their own here (their layers keep Keras' own names), as people nest them to reuse one.

def activation_block(x):
    x = L.Activation("gelu")(x)
    return L.BatchNormalization()(x)


def conv_stem(x, filters: int, patch_size: int):
    x = L.Conv2D(filters, kernel_size=patch_size, strides=patch_size)(x)
    return activation_block(x)


def conv_mixer_block(x, filters: int, kernel_size: int):
    x0 = x
    x = L.DepthwiseConv2D(kernel_size=kernel_size, padding="same")(x)
    x = L.Add()([activation_block(x), x0])
    x = L.Conv2D(filters, kernel_size=1)(x)
    return activation_block(x)


def convmixer(size: int = 8, filters: int = 8, depth: int = 2, kernel_size: int = 3, patch_size: int = 2,
              classes: int = 3) -> keras.Model:
    image = keras.Input((size, size, 3), name="image")
    stem = keras.Model(image, conv_stem(L.Rescaling(scale=1.0 / 255)(image), filters, patch_size), name="stem")
    inputs = keras.Input((size, size, 3), name="images")
    x = stem(inputs)
    for i in range(depth):
        block_in = keras.Input(x.shape[1:], name=f"block_{i}_in")
        block = keras.Model(block_in, conv_mixer_block(block_in, filters, kernel_size), name=f"conv_mixer_block_{i}")
        x = block(x)
    x = L.GlobalAvgPool2D(name="gap")(x)
    outputs = L.Dense(classes, activation="softmax", name="classifier")(x)
    return keras.Model(inputs, outputs, name="convmixer")


# --- 3. Keras' "The Functional API" guide: "models ensembling" ------------------------------------------------
# https://keras.io/guides/functional_api/#all-models-are-callable-just-like-layers (get_model() three times,
# each called on one input, the outputs averaged by layers.average). Each member here has a hidden layer and
# Keras' own layer names; the members are named as one names them to find them again.

def get_model(name: str, features: int = 8):
    inputs = keras.Input(shape=(features,))
    x = L.Dense(6, activation="relu")(inputs)
    outputs = L.Dense(1)(x)
    return keras.Model(inputs, outputs, name=name)


def ensemble(features: int = 8) -> keras.Model:
    model1, model2, model3 = (get_model(f"member_{i}", features) for i in range(1, 4))
    inputs = keras.Input(shape=(features,), name="features")
    y1, y2, y3 = model1(inputs), model2(inputs), model3(inputs)
    outputs = L.average([y1, y2, y3])
    return keras.Model(inputs=inputs, outputs=outputs, name="ensemble")


# --- 4. Custom RNN cells: keras.layers.RNN's own example -------------------------------------------------------
# https://keras.io/api/layers/recurrent_layers/rnn/ (MinimalRNNCell: state_size, a kernel and a recurrent kernel
# made in build, call(inputs, states) -> (output, [output]); "cells = [MinimalRNNCell(32), MinimalRNNCell(64)];
# layer = RNN(cells)" stacks them) and https://keras.io/guides/working_with_rnns/ (Bidirectional around an RNN).
# The encoder is a model of its own under a classifier.

@register
class MinimalRNNCell(L.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), initializer="uniform",
                                                name="recurrent_kernel")

    def call(self, inputs, states):
        prev_output = states[0]
        h = ops.matmul(inputs, self.kernel)
        output = h + ops.matmul(prev_output, self.recurrent_kernel)
        return output, [output]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def rnn_cells(features: int = 5, units: int = 4, classes: int = 3) -> keras.Model:
    steps = keras.Input((None, features), name="steps")
    x = L.Bidirectional(L.RNN(MinimalRNNCell(units), return_sequences=True, name="minimal_rnn"),
                        name="bidirectional")(steps)
    x = L.RNN([MinimalRNNCell(units), MinimalRNNCell(2 * units)], name="stacked_rnn")(x)
    encoder = keras.Model(steps, x, name="encoder")
    series = keras.Input((None, features), name="series")
    return keras.Model(series, L.Dense(classes, name="logits")(encoder(series)), name="rnn_classifier")


# --- 5. keras.io "Next-Frame Video Prediction with Convolutional LSTMs" -------------------------------------
# https://keras.io/examples/vision/conv_lstm/ (frames (None, H, W, 1): three ConvLSTM2D with return_sequences and
# BatchNormalization, a sigmoid Conv3D over (frames, H, W)). The predictor keeps Keras' layer names; it is nested
# under a model that scales raw 0-255 frames, as it is put behind preprocessing to serve.

def conv_lstm(size: int = 8, filters: int = 4) -> keras.Model:
    inp = L.Input(shape=(None, size, size, 1))
    x = L.ConvLSTM2D(filters=filters, kernel_size=(5, 5), padding="same", return_sequences=True,
                     activation="relu")(inp)
    x = L.BatchNormalization()(x)
    x = L.ConvLSTM2D(filters=filters, kernel_size=(3, 3), padding="same", return_sequences=True,
                     activation="relu")(x)
    x = L.BatchNormalization()(x)
    x = L.ConvLSTM2D(filters=filters, kernel_size=(1, 1), padding="same", return_sequences=True,
                     activation="relu")(x)
    x = L.Conv3D(filters=1, kernel_size=(3, 3, 3), activation="sigmoid", padding="same")(x)
    model = keras.Model(inp, x, name="next_frame")
    raw = keras.Input((None, size, size, 1), name="raw_frames")
    return keras.Model(raw, model(L.Rescaling(1.0 / 255, name="scale")(raw)), name="frame_server")


# --- how each model is fed, trained, copied and broken ----------------------------------------------------

def outputs_of(model: keras.Model, x: object) -> object:
    """What a model gives for ``x`` at inference (random flips and dropout off)."""
    return model(x, training=False)


def _break_perceiver(model, x):  # RGBA images into the Normalization adapted on RGB ones
    model(np.concatenate([x, x[..., :1]], axis=-1))


def _break_convmixer(model, x):  # grey images into an RGB stem
    model(x[..., :1])


def _break_ensemble(model, x):  # records of 6 features into members built on 8
    model(x[:, :6])


def _break_rnn(model, x):  # series of 4 features into cells built on 5
    model(x[..., :4])


def _break_conv_lstm(model, x):  # colour frames into a predictor of grey ones
    model(np.repeat(x, 3, axis=-1))


SPECS = [
    Spec5(perceiver, lambda: (_floats((2, 8, 8, 3)), np.array([0, 2])), "perceiver/cross_attention",
          "data_augmentation", "perceiver/transformer*",
          compile=lambda model: _compile_plain(model, keras.losses.SparseCategoricalCrossentropy(from_logits=True)),
          expect_paths=("perceiver/patch_encoder", "perceiver/cross_attention", "perceiver/classification_head"),
          breaks=_break_perceiver, explains=r"data_augmentation/normalization is made for 3 features"),
    Spec5(convmixer, lambda: (_floats((2, 8, 8, 3)) * 255, np.array([0, 2])), "conv_mixer_block_1/depthwise_conv2d*",
          "conv_mixer_block_0", "stem*", expect_paths=("stem", "conv_mixer_block_0", "conv_mixer_block_1"),
          breaks=_break_convmixer,
          explains=r"(?s)^(?!.*compute_output_shape).*(gives 1 features? but (convmixer|stem|stem/conv2d\w*) was built for 3"
                   r"|input 'images' was declared \(batch, 8, 8, 3\) and gets \(batch, 8, 8, 1\))"),
    Spec5(ensemble, lambda: (_floats((4, 8)), _floats((4, 1), seed=1)), "member_2/dense*", "member_1",
          "member_3*", compile=lambda model: _compile_plain(model, "mse"),
          expect_paths=("member_1", "member_2", "member_3"), breaks=_break_ensemble,
          explains=r"(?s)gives 6 features but ensemble was built for 8|ensemble was built for 8 features per sample.*has 6"),
    Spec5(rnn_cells, lambda: (_floats((2, 6, 5)), np.array([0, 2])), "encoder/stacked_rnn", "encoder",
          "encoder/bidirectional*",
          compile=lambda model: _compile_plain(model, keras.losses.SparseCategoricalCrossentropy(from_logits=True)),
          expect_paths=("encoder/bidirectional", "encoder/stacked_rnn"), breaks=_break_rnn,
          explains=r"gives 4 features but rnn_classifier was built for 5"),
    Spec5(conv_lstm, lambda: (_floats((2, 3, 8, 8, 1)) * 255, _floats((2, 3, 8, 8, 1), seed=1)),
          "next_frame/conv_lstm2d_1*", "next_frame", "next_frame/conv_lstm2d*",
          compile=lambda model: _compile_plain(model, "binary_crossentropy"),
          expect_paths=("next_frame", "scale"), breaks=_break_conv_lstm,
          explains=r"(?s)received \(batch, [?3], 8, 8, 3\).*(gives 3 features but (frame_server|next_frame) was built for 1"
                   r"|3 on its last axis where it takes 1)"),
]
