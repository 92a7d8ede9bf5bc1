"""Real-world nested models, fourteenth batch: each rewritten small from the public code cited above it, keeping its
structure (the nesting, the custom layers and their quirks, the ops between layers). Kinds the first thirteen batches
did not have: keras.io's TabTransformer (a dict of numeric and categorical features, the categorical embeddings
stacked into a sequence for Transformer blocks whose feed-forward parts are Sequentials, a Sequential MLP head), a
keras-hub style Vision Transformer classifier (a learned class token and a fixed table of patch positions in a
patching layer, an encoder layer holding its blocks in a list, a functional-subclass backbone nested in a
functional-subclass classifier that keeps the class token's row), keras.io's conditional GAN (a generator and a
discriminator as Sequentials, joined by the one-hot labels: concatenated to the noise, repeated into label maps
beside the images), a WaveNet (gated dilated causal convolutions in residual blocks that each give a residual and a
skip output, the skips summed) and keras.io's PointNet (T-Nets predicting a transform matrix, their last Dense
under a custom activity regulariser, applied to the points with a Dot)."""

from __future__ import annotations

from functools import partial

import keras
import numpy as np

from tests.models_4 import _floats, _ids
from tests.models_5 import Spec5
from tests.models_13 import _compile_plain, _copy_backbone, _copy_functional

L = keras.layers
ops = keras.ops
PACKAGE = "kernest_rw14"


def register(cls):
    return keras.saving.register_keras_serializable(package=PACKAGE)(cls)


# --- 1. keras.io "Structured data learning with TabTransformer" ---------------------------------------------
# https://keras.io/examples/structured_data/tabtransformer/ (create_model_inputs: one Input of shape () per
# feature; encode_inputs: an Embedding per categorical feature (after a StringLookup), the numeric features
# expanded to (batch, 1); create_mlp: a Sequential of normalization, Dense and Dropout per hidden unit count;
# create_tabtransformer_classifier: the categorical embeddings stacked to (batch, features, dims), Transformer
# blocks of MultiHeadAttention, Add, LayerNormalization, a feed-forward create_mlp Sequential named
# feedforward_{block}, Add, LayerNormalization; then Flatten, the numeric features layer-normalised, concatenated,
# the "MLP" Sequential with BatchNormalization and selu, a sigmoid). Here the categorical features come as integer
# codes (the StringLookup left out: string tensors exist on TensorFlow only) and without the column embedding
# (use_column_embedding=False); 3 categorical and 2 numeric features, 8 dimensions, 2 blocks.

NUMERIC_FEATURES = ("age", "hours_per_week")
CATEGORICAL_FEATURES = {"workclass": 5, "education": 6, "occupation": 7}  # name -> vocabulary size
TAB_DIMS = 8


def create_model_inputs():
    inputs = {name: L.Input(name=name, shape=(), dtype="float32") for name in NUMERIC_FEATURES}
    inputs.update({name: L.Input(name=name, shape=(), dtype="int32") for name in CATEGORICAL_FEATURES})
    return inputs


def encode_inputs(inputs, embedding_dims):
    encoded_categorical_feature_list, numerical_feature_list = [], []
    for feature_name in inputs:
        if feature_name in CATEGORICAL_FEATURES:
            embedding = L.Embedding(input_dim=CATEGORICAL_FEATURES[feature_name], output_dim=embedding_dims,
                                    name=f"{feature_name}_embedding")
            encoded_categorical_feature_list.append(embedding(inputs[feature_name]))
        else:
            numerical_feature_list.append(ops.expand_dims(inputs[feature_name], -1))
    return encoded_categorical_feature_list, numerical_feature_list


def create_mlp(hidden_units, dropout_rate, activation, normalization_layer, name=None):
    mlp_layers = []
    for units in hidden_units:
        mlp_layers.append(normalization_layer())
        mlp_layers.append(L.Dense(units, activation=activation))
        mlp_layers.append(L.Dropout(dropout_rate))
    return keras.Sequential(mlp_layers, name=name)


def create_tabtransformer_classifier(num_transformer_blocks=2, num_heads=2, embedding_dims=TAB_DIMS,
                                     mlp_hidden_units_factors=(2, 1), dropout_rate=0.1, feedforward_dims=None):
    """``feedforward_dims``: the feed-forward width (the example's ``[embedding_dims]``), for the break."""
    inputs = create_model_inputs()
    encoded_categorical_feature_list, numerical_feature_list = encode_inputs(inputs, embedding_dims)
    encoded_categorical_features = ops.stack(encoded_categorical_feature_list, axis=1)  # (batch, 3, dims)
    numerical_features = L.concatenate(numerical_feature_list)
    for block_idx in range(num_transformer_blocks):
        attention_output = L.MultiHeadAttention(num_heads=num_heads, key_dim=embedding_dims, dropout=dropout_rate,
                                                name=f"multihead_attention_{block_idx}")(
            encoded_categorical_features, encoded_categorical_features)
        x = L.Add(name=f"skip_connection1_{block_idx}")([attention_output, encoded_categorical_features])
        x = L.LayerNormalization(name=f"layer_norm1_{block_idx}", epsilon=1e-6)(x)
        feedforward_output = create_mlp(hidden_units=[feedforward_dims or embedding_dims], dropout_rate=dropout_rate,
                                        activation=keras.activations.gelu,
                                        normalization_layer=partial(L.LayerNormalization, epsilon=1e-6),
                                        name=f"feedforward_{block_idx}")(x)
        x = L.Add(name=f"skip_connection2_{block_idx}")([feedforward_output, x])
        encoded_categorical_features = L.LayerNormalization(name=f"layer_norm2_{block_idx}", epsilon=1e-6)(x)
    categorical_features = L.Flatten()(encoded_categorical_features)
    numerical_features = L.LayerNormalization(epsilon=1e-6)(numerical_features)
    features = L.concatenate([categorical_features, numerical_features])
    mlp_hidden_units = [factor * features.shape[-1] for factor in mlp_hidden_units_factors]
    features = create_mlp(hidden_units=mlp_hidden_units, dropout_rate=dropout_rate, activation=keras.activations.selu,
                          normalization_layer=L.BatchNormalization, name="MLP")(features)
    outputs = L.Dense(units=1, activation="sigmoid", name="sigmoid")(features)
    return keras.Model(inputs=inputs, outputs=outputs, name="tabtransformer")


def tabtransformer() -> keras.Model:
    return create_tabtransformer_classifier()


def _data_tab():
    x = {name: _floats((4,), seed) * 50 for seed, name in enumerate(NUMERIC_FEATURES)}
    x.update({name: _ids((4,), size, seed) for seed, (name, size) in enumerate(CATEGORICAL_FEATURES.items())})
    return x, np.array([[0.0], [1.0], [1.0], [0.0]], "float32")


def _break_tab(model, x):  # a feed-forward part made twice as wide as the embeddings its skip connection adds to
    create_tabtransformer_classifier(feedforward_dims=2 * TAB_DIMS)


# --- 2. keras-hub's ViTImageClassifier: a learned class token, a backbone nested in the classifier -------------
# https://github.com/keras-team/keras-hub (src/models/vit/vit_layers.py: ViTPatchingAndEmbedding.build makes the
# class token weight, a patching Conv2D (kernel and stride = the patch size) and a position Embedding of
# num_patches + 1 rows over fixed position ids; its call tiles the class token over the batch and puts it first;
# ViTEncoderBlock: LayerNormalization, MultiHeadAttention, Dropout, a residual, LayerNormalization, an MLP layer
# of two Dense, a residual; ViTEncoder holds its blocks in a list and a final LayerNormalization;
# src/models/vit/vit_backbone.py: a functional-subclass Backbone over an image Input of a fixed size;
# src/models/vit/vit_image_classifier.py: a functional subclass calling the backbone and, for pooling="token",
# keeping the class token's row x[:, 0] before a Dropout and the Dense head). 16x16 images in 4x4 patches,
# width 8, 2 blocks, 2 heads.

VIT_IMAGE, VIT_PATCH = 16, 4


@register
class ViTPatchingAndEmbedding(L.Layer):
    def __init__(self, image_size, patch_size, hidden_dim, num_channels=3, **kwargs):
        super().__init__(**kwargs)
        self.image_size, self.patch_size, self.hidden_dim = image_size, patch_size, hidden_dim
        self.num_channels = num_channels
        self.num_patches = (image_size // patch_size) ** 2
        self.num_positions = self.num_patches + 1

    def build(self, input_shape):
        self.class_token = self.add_weight(shape=(1, 1, self.hidden_dim), initializer="random_normal",
                                           name="class_token")
        self.patch_embedding = L.Conv2D(self.hidden_dim, kernel_size=self.patch_size, strides=self.patch_size,
                                        padding="valid", name="patch_embedding")
        self.patch_embedding.build(input_shape)
        self.position_embedding = L.Embedding(self.num_positions, self.hidden_dim, name="position_embedding")
        self.position_embedding.build((1, self.num_positions))
        self.position_ids = ops.expand_dims(ops.arange(self.num_positions), axis=0)
        self.built = True

    def call(self, inputs):
        patch_embeddings = self.patch_embedding(inputs)  # (batch, rows, cols, hidden)
        embeddings = ops.reshape(patch_embeddings, (-1, self.num_patches, self.hidden_dim))
        class_token = ops.tile(self.class_token, (ops.shape(embeddings)[0], 1, 1))
        embeddings = ops.concatenate([class_token, embeddings], axis=1)  # (batch, positions, hidden)
        return ops.add(embeddings, self.position_embedding(self.position_ids))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_positions, self.hidden_dim)

    def get_config(self):
        return {**super().get_config(), "image_size": self.image_size, "patch_size": self.patch_size,
                "hidden_dim": self.hidden_dim, "num_channels": self.num_channels}


@register
class MLP(L.Layer):
    def __init__(self, hidden_dim, mlp_dim, **kwargs):
        super().__init__(**kwargs)
        self.hidden_dim, self.mlp_dim = hidden_dim, mlp_dim

    def build(self, input_shape):
        self.dense_1 = L.Dense(self.mlp_dim, activation="gelu", name="dense_1")
        self.dense_1.build(input_shape)
        self.dense_2 = L.Dense(self.hidden_dim, name="dense_2")
        self.dense_2.build((*input_shape[:-1], self.mlp_dim))
        self.built = True

    def call(self, inputs):
        return self.dense_2(self.dense_1(inputs))

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.hidden_dim)

    def get_config(self):
        return {**super().get_config(), "hidden_dim": self.hidden_dim, "mlp_dim": self.mlp_dim}


@register
class ViTEncoderBlock(L.Layer):
    def __init__(self, num_heads, hidden_dim, mlp_dim, dropout_rate=0.0, **kwargs):
        super().__init__(**kwargs)
        self.num_heads, self.hidden_dim, self.mlp_dim, self.dropout_rate = num_heads, hidden_dim, mlp_dim, dropout_rate

    def build(self, input_shape):
        self.layer_norm_1 = L.LayerNormalization(epsilon=1e-6, name="ln_1")
        self.layer_norm_1.build(input_shape)
        self.mha = L.MultiHeadAttention(self.num_heads, self.hidden_dim // self.num_heads, name="mha")
        self.mha.build(input_shape, input_shape)
        self.dropout = L.Dropout(self.dropout_rate, name="dropout")
        self.layer_norm_2 = L.LayerNormalization(epsilon=1e-6, name="ln_2")
        self.layer_norm_2.build(input_shape)
        self.mlp = MLP(self.hidden_dim, self.mlp_dim, name="mlp")
        self.mlp.build(input_shape)
        self.built = True

    def call(self, inputs, training=None):
        x = self.layer_norm_1(inputs)
        x = self.mha(x, x, training=training)
        x = self.dropout(x, training=training)
        x = x + inputs
        y = self.layer_norm_2(x)
        return x + self.mlp(y)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads, "hidden_dim": self.hidden_dim,
                "mlp_dim": self.mlp_dim, "dropout_rate": self.dropout_rate}


@register
class ViTEncoder(L.Layer):
    def __init__(self, num_layers, num_heads, hidden_dim, mlp_dim, **kwargs):
        super().__init__(**kwargs)
        self.num_layers, self.num_heads, self.hidden_dim, self.mlp_dim = num_layers, num_heads, hidden_dim, mlp_dim

    def build(self, input_shape):
        self.encoder_layers = []
        for i in range(self.num_layers):
            block = ViTEncoderBlock(self.num_heads, self.hidden_dim, self.mlp_dim, name=f"tranformer_block_{i + 1}")
            block.build(input_shape)
            self.encoder_layers.append(block)
        self.layer_norm = L.LayerNormalization(epsilon=1e-6, name="ln")
        self.layer_norm.build(input_shape)
        self.built = True

    def call(self, inputs, training=None):
        x = inputs
        for block in self.encoder_layers:
            x = block(x, training=training)
        return self.layer_norm(x)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "num_layers": self.num_layers, "num_heads": self.num_heads,
                "hidden_dim": self.hidden_dim, "mlp_dim": self.mlp_dim}


@register
class ViTBackbone(keras.Model):
    def __init__(self, image_shape, patch_size, num_layers, num_heads, hidden_dim, mlp_dim, **kwargs):
        # === Functional Model ===
        inputs = keras.Input(shape=image_shape, name="images")
        x = ViTPatchingAndEmbedding(image_shape[0], patch_size, hidden_dim, image_shape[-1],
                                    name="vit_patching_and_embedding")(inputs)
        output = ViTEncoder(num_layers, num_heads, hidden_dim, mlp_dim, name="vit_encoder")(x)
        super().__init__(inputs=inputs, outputs=output, **kwargs)
        # === Config ===
        self.image_shape, self.patch_size, self.num_layers = tuple(image_shape), patch_size, num_layers
        self.num_heads, self.hidden_dim, self.mlp_dim = num_heads, hidden_dim, mlp_dim

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, "image_shape": self.image_shape,
                "patch_size": self.patch_size, "num_layers": self.num_layers, "num_heads": self.num_heads,
                "hidden_dim": self.hidden_dim, "mlp_dim": self.mlp_dim}


@register
class ViTImageClassifier(keras.Model):
    def __setattr__(self, name, value):
        # keras-hub's Task (and Backbone) does this: its layers are set before super().__init__(), which PyTorch's
        # Module refuses ("cannot assign module before Module.__init__() call"); the functional graph tracks them
        if keras.backend.backend() == "torch" and not hasattr(self, "_initialized"):
            return object.__setattr__(self, name, value)
        return super().__setattr__(name, value)

    def __init__(self, backbone, num_classes, pooling="token", dropout=0.0, **kwargs):
        # === Layers ===
        self.backbone = backbone
        self.output_dropout = L.Dropout(dropout, name="output_dropout")
        self.output_dense = L.Dense(num_classes, name="predictions")
        # === Functional Model ===
        inputs = backbone.input
        x = backbone(inputs)
        x = x[:, 0] if pooling == "token" else ops.mean(x[:, 1:], axis=1)
        outputs = self.output_dense(self.output_dropout(x))
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        # === Config ===
        self.num_classes, self.pooling, self.dropout = num_classes, pooling, dropout

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, "backbone": keras.layers.serialize(self.backbone),
                "num_classes": self.num_classes, "pooling": self.pooling, "dropout": self.dropout}

    @classmethod
    def from_config(cls, config):
        return cls(**{**config, "backbone": keras.layers.deserialize(config["backbone"])})


def vit_classifier(num_classes: int = 3) -> keras.Model:
    backbone = ViTBackbone((VIT_IMAGE, VIT_IMAGE, 3), VIT_PATCH, num_layers=2, num_heads=2, hidden_dim=8, mlp_dim=16,
                           name="vit_backbone")
    return ViTImageClassifier(backbone, num_classes, name="vit_image_classifier")


def _break_vit(model, x):  # a photo of 32x32 into a classifier made for 16x16 (image_shape is fixed)
    photos = np.zeros((2, 2 * VIT_IMAGE, 2 * VIT_IMAGE, 3), "float32")
    model(photos)


# --- 3. keras.io "Conditional GAN" --------------------------------------------------------------------------
# https://keras.io/examples/generative/conditional_gan/ (generator_in_channels = latent_dim + num_classes and
# discriminator_in_channels = num_channels + num_classes; the discriminator a Sequential of two strided Conv2D with
# LeakyReLU, GlobalMaxPooling2D and a Dense; the generator a Sequential of a Dense to 7x7xgenerator_in_channels,
# LeakyReLU, Reshape, two Conv2DTranspose and a sigmoid Conv2D; ConditionalGAN.train_step concatenates the noise
# and the one-hot labels for the generator and repeats the labels into image-sized maps concatenated to the images
# for the discriminator). ConditionalGAN itself has no call(); here its train_step's discriminator pass on
# generated images as a functional model nesting both. 8x8 images from 2x2, latent 6, 3 classes, 4 and 8 filters.

CGAN_LATENT, CGAN_CLASSES, CGAN_IMAGE, CGAN_CHANNELS = 6, 3, 8, 1


def get_discriminator():
    discriminator_in_channels = CGAN_CHANNELS + CGAN_CLASSES
    return keras.Sequential([
        L.InputLayer((CGAN_IMAGE, CGAN_IMAGE, discriminator_in_channels)),
        L.Conv2D(4, (3, 3), strides=(2, 2), padding="same"), L.LeakyReLU(negative_slope=0.2),
        L.Conv2D(8, (3, 3), strides=(2, 2), padding="same"), L.LeakyReLU(negative_slope=0.2),
        L.GlobalMaxPooling2D(), L.Dense(1),
    ], name="discriminator")


def get_generator():
    generator_in_channels = CGAN_LATENT + CGAN_CLASSES
    start = CGAN_IMAGE // 4
    return keras.Sequential([
        L.InputLayer((generator_in_channels,)),
        L.Dense(start * start * generator_in_channels), L.LeakyReLU(negative_slope=0.2),
        L.Reshape((start, start, generator_in_channels)),
        L.Conv2DTranspose(8, (4, 4), strides=(2, 2), padding="same"), L.LeakyReLU(negative_slope=0.2),
        L.Conv2DTranspose(8, (4, 4), strides=(2, 2), padding="same"), L.LeakyReLU(negative_slope=0.2),
        L.Conv2D(1, (7, 7), padding="same", activation="sigmoid"),
    ], name="generator")


def conditional_gan() -> keras.Model:
    generator, discriminator = get_generator(), get_discriminator()
    random_latent_vectors = keras.Input((CGAN_LATENT,), name="random_latent_vectors")
    one_hot_labels = keras.Input((CGAN_CLASSES,), name="one_hot_labels")
    random_vector_labels = ops.concatenate([random_latent_vectors, one_hot_labels], axis=1)
    generated_images = generator(random_vector_labels)
    image_one_hot_labels = one_hot_labels[:, None, None, :]  # train_step: repeated to image-sized label maps
    image_one_hot_labels = ops.repeat(image_one_hot_labels, repeats=CGAN_IMAGE * CGAN_IMAGE)
    image_one_hot_labels = ops.reshape(image_one_hot_labels, (-1, CGAN_IMAGE, CGAN_IMAGE, CGAN_CLASSES))
    fake_image_and_labels = ops.concatenate([generated_images, image_one_hot_labels], -1)
    return keras.Model([random_latent_vectors, one_hot_labels], discriminator(fake_image_and_labels),
                       name="conditional_gan")


def _data_cgan():
    labels = np.eye(CGAN_CLASSES, dtype="float32")[[0, 2]]
    return [_floats((2, CGAN_LATENT)), labels], np.array([[1.0], [0.0]], "float32")


def _break_cgan(model, x):  # the generator given the noise alone, without the one-hot labels
    noise, _ = x
    model.get_layer("generator")(noise)


# --- 4. WaveNet (van den Oord et al. 2016), basveeling/wavenet ---------------------------------------------
# https://github.com/basveeling/wavenet (wavenet.py, build_model: the one-hot mu-law input (fragment_length,
# nb_output_bins), an initial causal convolution, residual blocks per stack and dilation 2**i: a tanh and a sigmoid
# dilated causal convolution multiplied (the gated activation), a 1x1 convolution added to the block's input (the
# residual) and another 1x1 convolution as its skip output; the skips summed, relu, 1x1 convolution, relu, 1x1
# convolution, softmax over the bins). Here each residual_block a functional model (of its residual and skip
# outputs) called in the stack, Keras 3's Conv1D(padding="causal", dilation_rate=...) for
# CausalAtrousConvolution1D, 16 bins, 8 filters, dilations 1..8, one stack.

WAVE_BINS, WAVE_FILTERS, WAVE_DEPTH, WAVE_LENGTH = 16, 8, 3, 12


def residual_block(dilation, stack, filters=WAVE_FILTERS):
    x = original_x = keras.Input((None, filters), name="block_input")
    tanh_out = L.Conv1D(filters, 2, dilation_rate=dilation, padding="causal", activation="tanh",
                        name=f"dilated_conv_{dilation}_tanh_s{stack}")(x)
    sigm_out = L.Conv1D(filters, 2, dilation_rate=dilation, padding="causal", activation="sigmoid",
                        name=f"dilated_conv_{dilation}_sigm_s{stack}")(x)
    x = L.Multiply(name=f"gated_activation_{dilation}_s{stack}")([tanh_out, sigm_out])
    res_x = L.Conv1D(filters, 1, padding="same", name=f"res_{dilation}_s{stack}")(x)
    skip_x = L.Conv1D(filters, 1, padding="same", name=f"skip_{dilation}_s{stack}")(x)
    res_x = L.Add(name=f"residual_{dilation}_s{stack}")([original_x, res_x])
    return keras.Model(original_x, [res_x, skip_x], name=f"residual_block_{dilation}_s{stack}")


def wavenet(nb_stacks: int = 1, dilation_depth: int = WAVE_DEPTH) -> keras.Model:
    inputs = keras.Input((WAVE_LENGTH, WAVE_BINS), name="input_part")
    out = L.Conv1D(WAVE_FILTERS, 2, padding="causal", name="initial_causal_conv")(inputs)
    skip_connections = []
    for s in range(nb_stacks):
        for i in range(dilation_depth + 1):
            out, skip_out = residual_block(2 ** i, s)(out)
            skip_connections.append(skip_out)
    out = L.Add(name="skip_sum")(skip_connections)
    out = L.Activation("relu")(out)
    out = L.Conv1D(WAVE_BINS, 1, padding="same", name="conv_out_1")(out)
    out = L.Activation("relu")(out)
    out = L.Conv1D(WAVE_BINS, 1, padding="same", name="conv_out_2")(out)
    out = L.Activation("softmax", name="output_softmax")(out)
    return keras.Model(inputs, out, name="wavenet")


def _data_wave():
    samples = _ids((2, WAVE_LENGTH + 1), WAVE_BINS)
    one_hot = np.eye(WAVE_BINS, dtype="float32")
    return one_hot[samples[:, :-1]], samples[:, 1:]  # the next sample at each step


def _break_wave(model, x):  # the mu-law sample ids given as they are, not one-hot over the 16 bins
    samples = np.argmax(x, axis=-1).astype("int32")  # (batch, steps)
    model(samples)


# --- 5. keras.io "Point cloud classification with PointNet" ----------------------------------------------
# https://keras.io/examples/vision/pointnet/ (conv_bn and dense_bn: Conv1D or Dense, BatchNormalization
# (momentum=0.0), relu; OrthogonalRegularizer(keras.regularizers.Regularizer) pushing the predicted feature
# transform towards an orthogonal matrix; tnet: conv_bn 32, 64, 512, GlobalMaxPooling1D, dense_bn 256, 128, a
# Dense of num_features**2 (zeros kernel, the identity as its bias, the regulariser as activity_regularizer), a
# Reshape to the matrix, and layers.Dot(axes=(2, 1)) of the points and that matrix; the model: tnet(3), conv_bn
# 32, 32, tnet(32), conv_bn 32, 64, 512, pooling, dense_bn with Dropout, softmax). Here each T-Net's matrix
# predictor is a functional model (tnet_3, tnet_8) whose Dot stays in the outer model; the regulariser registered,
# with a get_config of its __init__ arguments; 16 points, widths 4..16, 3 classes.

NUM_POINTS, POINT_CLASSES = 16, 3


def conv_bn(x, filters):
    x = L.Conv1D(filters, kernel_size=1, padding="valid")(x)
    x = L.BatchNormalization(momentum=0.0)(x)
    return L.Activation("relu")(x)


def dense_bn(x, filters):
    x = L.Dense(filters)(x)
    x = L.BatchNormalization(momentum=0.0)(x)
    return L.Activation("relu")(x)


@register
class OrthogonalRegularizer(keras.regularizers.Regularizer):
    def __init__(self, num_features, l2reg=0.001):
        self.num_features = num_features
        self.l2reg = l2reg
        self.eye = ops.eye(num_features)

    def __call__(self, x):
        x = ops.reshape(x, (-1, self.num_features, self.num_features))
        xxt = ops.tensordot(x, x, axes=(2, 2))
        xxt = ops.reshape(xxt, (-1, self.num_features, self.num_features))
        return ops.sum(self.l2reg * ops.square(xxt - self.eye))

    def get_config(self):
        return {"num_features": self.num_features, "l2reg": self.l2reg}


def tnet(num_features, points=NUM_POINTS):
    inputs = keras.Input((points, num_features), name=f"tnet_{num_features}_points")
    bias = keras.initializers.Constant(np.eye(num_features).flatten())
    reg = OrthogonalRegularizer(num_features)
    x = conv_bn(inputs, 4)
    x = conv_bn(x, 8)
    x = conv_bn(x, 16)
    x = L.GlobalMaxPooling1D()(x)
    x = dense_bn(x, 8)
    x = dense_bn(x, 4)
    x = L.Dense(num_features * num_features, kernel_initializer="zeros", bias_initializer=bias,
                activity_regularizer=reg)(x)
    feat_T = L.Reshape((num_features, num_features))(x)
    return keras.Model(inputs, feat_T, name=f"tnet_{num_features}")


def apply_tnet(inputs, num_features):
    return L.Dot(axes=(2, 1))([inputs, tnet(num_features)(inputs)])  # the points through the predicted matrix


def pointnet(num_classes: int = POINT_CLASSES) -> keras.Model:
    inputs = keras.Input(shape=(NUM_POINTS, 3))
    x = apply_tnet(inputs, 3)
    x = conv_bn(x, 8)
    x = conv_bn(x, 8)
    x = apply_tnet(x, 8)
    x = conv_bn(x, 8)
    x = conv_bn(x, 16)
    x = L.GlobalMaxPooling1D()(x)
    x = dense_bn(x, 8)
    x = L.Dropout(0.3)(x)
    outputs = L.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs=inputs, outputs=outputs, name="pointnet")


def _break_pointnet(model, x):  # scans of x, y, z and intensity into a model of x, y, z points
    scans = np.concatenate([x, np.ones((*x.shape[:2], 1), "float32")], axis=-1)
    model(scans)


# --- how each model is fed, trained, copied and broken: outputs_of, _compile_plain and the copies as batch 13's

SPECS = [
    Spec5(tabtransformer, _data_tab, "feedforward_0/dense*", "feedforward_1", "feedforward_*",
          compile=lambda m: _compile_plain(m, "binary_crossentropy"), copy=_copy_functional,
          expect_paths=("feedforward_0", "MLP"), breaks=_break_tab,
          explains=r"(?s)skip_connection2_0.*\(batch, 3, 16\).*\(batch, 3, 8\).*feedforward_0 must give 8"),
    Spec5(vit_classifier, lambda: (_floats((2, VIT_IMAGE, VIT_IMAGE, 3)), np.array([0, 2])),
          "vit_backbone/vit_encoder", "vit_backbone", "vit_backbone/vit_patching_and_embedding",
          compile=lambda m: m.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                                      run_eagerly=True),
          copy=_copy_backbone, expect_paths=("vit_backbone", "vit_backbone/vit_encoder"), breaks=_break_vit,
          explains=r"(?s)vit_image_classifier.*\(batch, 16, 16, 3\).*\(batch, 32, 32, 3\).*Resizing\(16, 16\)"),
    Spec5(conditional_gan, _data_cgan, "generator/conv2d_transpose*", "discriminator", "generator",
          compile=lambda m: m.compile("adam", keras.losses.BinaryCrossentropy(from_logits=True), run_eagerly=True),
          copy=_copy_functional, expect_paths=("generator", "discriminator"), breaks=_break_cgan,
          explains=r"(?s)generator.*\(batch, \.\.\., 9\).*\(batch, 6\).*concatenate\(\[noise, one_hot_labels\]"),
    Spec5(wavenet, _data_wave, "residual_block_2_s0/gated_activation_2_s0", "residual_block_4_s0",
          "residual_block_[12]_s0", compile=_compile_plain, copy=_copy_functional,
          expect_paths=("residual_block_1_s0/skip_1_s0", "skip_sum"), breaks=_break_wave,
          explains=r"(?s)wavenet.*\(batch, 12, 16\).*\(batch, 12\).*one_hot\(samples, 16\)"),
    Spec5(pointnet, lambda: (_floats((2, NUM_POINTS, 3)), np.array([0, 2])), "tnet_8/conv1d*", "tnet_3", "tnet_3",
          compile=_compile_plain, copy=_copy_functional, expect_paths=("tnet_3", "tnet_8"), breaks=_break_pointnet,
          explains=r"(?s)pointnet.*\(batch, (16|\.\.\.), 3\).*\(batch, 16, 4\).*model\(scans\[\.\.\., :3\]\)"),
]
