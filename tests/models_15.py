"""Real-world nested models, fifteenth batch: each rewritten small from the public code cited above it, keeping its
structure (the nesting, the custom layers and their quirks, the ops between layers). Kinds the first fourteen batches
did not have: keras.io's GauGAN (SPADE: a normalisation layer that reads a second input, the segmentation mask,
resized to each feature map, inside residual blocks made in build(); a discriminator that returns its inner feature
maps), keras.io's MelGAN (convolutions under a weight-normalisation Wrapper, a generator that upsamples a mel
spectrogram to audio, a multi-scale discriminator giving a list of feature maps per scale), keras.io's MobileViT
(inverted residual blocks, and blocks that unfold a feature map into patches for a Transformer and fold it back),
keras.io's Behavior Sequence Transformer recommender (one movie encoder model called on the target movie and on
the watched sequence, a table of positions, the ratings as weights) and keras.io's TokenLearner ViT (a Sequential
that learns attention maps which pool the patch grid into a few tokens)."""

from __future__ import annotations

import math

import keras
import numpy as np

from tests.models_4 import _floats, _ids
from tests.models_5 import Spec5
from tests.models_13 import _compile_plain, _copy_functional

L = keras.layers
ops = keras.ops
PACKAGE = "kernest_rw15"


def register(cls):
    return keras.saving.register_keras_serializable(package=PACKAGE)(cls)


def _fit_to_zeros(model, x, y):
    """One training step towards zeros of every output (a model of several outputs, the GAN's pass of a loss)."""
    target = keras.tree.map_structure(lambda t: np.zeros(t.shape, "float32"), model(x, training=False))
    model.fit(x, target, batch_size=2, epochs=1, verbose=0)


def _compile_mse(model):
    model.compile("adam", "mse", run_eagerly=True)


# --- 1. keras.io "GauGAN for conditional image generation" ---------------------------------------------------
# https://keras.io/examples/generative/gaugan/ (SPADE: build() records the input's spatial size, call() resizes the
# raw mask to it (nearest), a shared Conv2D and two Conv2Ds to gamma and beta, the input normalised by its moments
# over the batch and spatial axes; ResBlock: build() makes two SPADE and two Conv2D, and a learned skip (SPADE,
# Conv2D) where the filters change, call(input_tensor, mask); downsample: a Sequential of a strided Conv2D, an
# instance normalisation (GroupNormalization(groups=-1) in Keras 3), LeakyReLU; build_generator: a Dense from the
# latent to a 4x4 map, ResBlocks and UpSampling2D, each ResBlock given the mask; build_discriminator: the
# segmentation map and an image concatenated, downsample blocks, the five feature maps as outputs;
# build_combined_generator: [latent, mask, image] -> the discriminator on (image, generator([latent, mask])) and the
# generated image). 16x16 images, 4 classes, latent 8, 8..16 filters.

GAU_SIZE, GAU_CLASSES, GAU_LATENT = 16, 4, 8


@register
class SPADE(L.Layer):
    def __init__(self, filters, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.epsilon = filters, epsilon
        self.conv = L.Conv2D(8, 3, padding="same", activation="relu")
        self.conv_gamma = L.Conv2D(filters, 3, padding="same")
        self.conv_beta = L.Conv2D(filters, 3, padding="same")

    def build(self, input_shape):
        self.resize_shape = input_shape[1:3]

    def call(self, input_tensor, raw_mask):
        mask = ops.image.resize(raw_mask, self.resize_shape, interpolation="nearest")
        x = self.conv(mask)
        gamma = self.conv_gamma(x)
        beta = self.conv_beta(x)
        mean, var = ops.moments(input_tensor, axes=(0, 1, 2), keepdims=True)
        std = ops.sqrt(var + self.epsilon)
        normalized = (input_tensor - mean) / std
        return gamma * normalized + beta

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "epsilon": self.epsilon}


@register
class ResBlock(L.Layer):
    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters

    def build(self, input_shape):
        input_filter = input_shape[-1]
        self.spade_1 = SPADE(input_filter)
        self.spade_2 = SPADE(self.filters)
        self.conv_1 = L.Conv2D(self.filters, 3, padding="same")
        self.conv_2 = L.Conv2D(self.filters, 3, padding="same")
        self.learned_skip = False
        if self.filters != input_filter:
            self.learned_skip = True
            self.spade_3 = SPADE(input_filter)
            self.conv_3 = L.Conv2D(self.filters, 3, padding="same")

    def call(self, input_tensor, mask):
        x = self.spade_1(input_tensor, mask)
        x = self.conv_1(keras.activations.leaky_relu(x, 0.2))
        x = self.spade_2(x, mask)
        x = self.conv_2(keras.activations.leaky_relu(x, 0.2))
        skip = (self.conv_3(keras.activations.leaky_relu(self.spade_3(input_tensor, mask), 0.2))
                if self.learned_skip else input_tensor)
        return skip + x

    def get_config(self):
        return {**super().get_config(), "filters": self.filters}


def downsample(channels, kernels, strides=2, apply_norm=True, apply_activation=True, name=None):
    block = keras.Sequential(name=name)
    block.add(L.Conv2D(channels, kernels, strides=strides, padding="same", use_bias=False,
                       kernel_initializer=keras.initializers.GlorotNormal()))
    if apply_norm:
        block.add(L.GroupNormalization(groups=-1))
    if apply_activation:
        block.add(L.LeakyReLU(0.2))
    return block


def build_generator(mask_shape=(GAU_SIZE, GAU_SIZE, GAU_CLASSES), latent_dim=GAU_LATENT):
    latent = keras.Input(shape=(latent_dim,), name="latent")
    mask = keras.Input(shape=mask_shape, name="mask")
    x = L.Dense(4 * 4 * 16)(latent)
    x = L.Reshape((4, 4, 16))(x)
    x = ResBlock(filters=16)(x, mask)
    x = L.UpSampling2D((2, 2))(x)
    x = ResBlock(filters=8)(x, mask)
    x = L.UpSampling2D((2, 2))(x)
    x = ResBlock(filters=8)(x, mask)
    x = keras.activations.leaky_relu(x, 0.2)
    output_image = keras.activations.tanh(L.Conv2D(3, 4, padding="same")(x))
    return keras.Model([latent, mask], output_image, name="generator")


def build_discriminator(image_shape=(GAU_SIZE, GAU_SIZE, 3), downsample_factor=4):
    input_image_a = keras.Input(shape=image_shape, name="discriminator_image_A")
    input_image_b = keras.Input(shape=image_shape, name="discriminator_image_B")
    x = L.Concatenate()([input_image_a, input_image_b])
    x1 = downsample(downsample_factor, 4, apply_norm=False, name="down_1")(x)
    x2 = downsample(2 * downsample_factor, 4, name="down_2")(x1)
    x3 = downsample(4 * downsample_factor, 4, strides=1, name="down_3")(x2)
    x4 = L.Conv2D(1, 4, name="patch_logits")(x3)
    return keras.Model([input_image_a, input_image_b], [x1, x2, x3, x4], name="discriminator")


def gaugan() -> keras.Model:
    generator, discriminator = build_generator(), build_discriminator()
    mask_input = keras.Input(shape=(GAU_SIZE, GAU_SIZE, GAU_CLASSES), name="mask")
    image_input = keras.Input(shape=(GAU_SIZE, GAU_SIZE, 3), name="image")
    latent_input = keras.Input(shape=(GAU_LATENT,), name="latent")
    generated_image = generator([latent_input, mask_input])
    discriminator_output = discriminator([image_input, generated_image])
    return keras.Model([latent_input, mask_input, image_input], [discriminator_output, generated_image],
                       name="gaugan_combined")


def _data_gaugan():
    labels = _ids((2, GAU_SIZE, GAU_SIZE), GAU_CLASSES)
    mask = np.eye(GAU_CLASSES, dtype="float32")[labels]
    return [_floats((2, GAU_LATENT)), mask, _floats((2, GAU_SIZE, GAU_SIZE, 3), 1)], None


def _break_gaugan(model, x):  # the segmentation labels as class ids per pixel, not one-hot over the 4 classes
    latent, mask, image = x
    labels = np.argmax(mask, axis=-1).astype("int32")  # (batch, 16, 16)
    model([latent, labels, image])


# --- 2. keras.io "MelGAN-based spectrogram inversion" ------------------------------------------------------
# https://keras.io/examples/audio/melgan_spectrogram_inversion/ (every convolution under tfa's WeightNormalization;
# residual_stack: three pairs of dilated (1, 3, 9) Conv1D with LeakyReLU and Add; conv_block: a weight-normalised
# Conv1DTranspose upsampling, LeakyReLU, a residual stack; create_generator: the mel spectrogram (frames, mels)
# through a Conv1D, conv_blocks upsampling to the audio, a tanh Conv1D of one channel; discriminator_block: strided
# Conv1Ds with LeakyReLU returning every feature map; create_discriminator: three blocks on the audio, and on it
# average-pooled once and twice). Here our own WeightNormalization (a keras.layers.Wrapper: kernel = g * v / |v|,
# tfa's data_init=False), the MelSpec layer left out (the generator takes the spectrogram), the generator's pass of
# the loss as a model nesting both; 6 frames of 8 mels, upsampled 4 x 2 to 48 samples, 8..16 filters.

MEL_FRAMES, MEL_BINS = 6, 8


@register
class WeightNormalization(L.Wrapper):
    """The wrapped convolution's kernel v, rescaled per output channel to the learned norm g."""

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer.build(input_shape)
        transpose = isinstance(self.layer, L.Conv1DTranspose)
        self.out_axis = -2 if transpose else -1  # a transposed kernel is (width, filters, channels)
        self.g = self.add_weight(name="g", shape=(self.layer.kernel.shape[self.out_axis],), initializer="ones")
        self.built = True

    def call(self, inputs):
        v = self.layer.kernel
        axes = [i for i in range(len(v.shape)) if i != len(v.shape) + self.out_axis]
        norm = ops.sqrt(ops.sum(ops.square(v), axis=axes, keepdims=True))
        g = ops.reshape(self.g, (1, -1, 1) if self.out_axis == -2 else (1, 1, -1))
        kernel = v / norm * g
        layer = self.layer
        if isinstance(layer, L.Conv1DTranspose):
            out = ops.conv_transpose(inputs, kernel, strides=list(layer.strides), padding=layer.padding)
        else:
            out = layer.convolution_op(inputs, kernel)
        out = out + layer.bias
        return layer.activation(out) if layer.activation is not None else out

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)


def residual_stack(input, filters):
    x = input
    for dilation in (1, 3, 9):
        c1 = WeightNormalization(L.Conv1D(filters, 3, dilation_rate=dilation, padding="same"))(x)
        lrelu = L.LeakyReLU()(c1)
        c2 = WeightNormalization(L.Conv1D(filters, 3, dilation_rate=1, padding="same"))(lrelu)
        x = L.LeakyReLU()(L.Add()([c2, x]))
    return x


def conv_block(input, conv_dim, upsampling_factor):
    conv_t = WeightNormalization(L.Conv1DTranspose(conv_dim, 2 * upsampling_factor, upsampling_factor,
                                                   padding="same"))(input)
    lrelu1 = L.LeakyReLU()(conv_t)
    res_stack = residual_stack(lrelu1, conv_dim)
    return L.LeakyReLU()(res_stack)


def discriminator_block(input):
    conv1 = WeightNormalization(L.Conv1D(8, 7, 1, "same"))(input)
    lrelu1 = L.LeakyReLU()(conv1)
    conv2 = WeightNormalization(L.Conv1D(16, 9, 2, "same"))(lrelu1)
    lrelu2 = L.LeakyReLU()(conv2)
    conv3 = WeightNormalization(L.Conv1D(1, 3, 1, "same"))(lrelu2)
    return [lrelu1, lrelu2, conv3]


def create_generator(input_shape=(None, MEL_BINS)):
    inp = keras.Input(input_shape, name="mel_spectrogram")
    x = L.Conv1D(16, 7, padding="same")(inp)
    x = L.LeakyReLU()(x)
    x = conv_block(x, 16, 4)
    x = conv_block(x, 8, 2)
    x = WeightNormalization(L.Conv1D(1, 7, padding="same", activation="tanh"))(x)
    return keras.Model(inp, x, name="generator")


def create_discriminator(input_shape=(None, 1)):
    inp = keras.Input(input_shape, name="audio")
    out_map1 = discriminator_block(inp)
    pool1 = L.AveragePooling1D(2)(inp)
    out_map2 = discriminator_block(pool1)
    pool2 = L.AveragePooling1D(2)(pool1)
    out_map3 = discriminator_block(pool2)
    return keras.Model(inp, [out_map1, out_map2, out_map3], name="discriminator")


def melgan() -> keras.Model:
    generator, discriminator = create_generator(), create_discriminator()
    mel = keras.Input((None, MEL_BINS), name="mel")
    audio = generator(mel)
    return keras.Model(mel, [discriminator(audio), audio], name="melgan")


def _break_melgan(model, x):  # a spectrogram as librosa gives it, (batch, mels, frames)
    model(np.swapaxes(x, 1, 2))


# --- 3. keras.io "MobileViT: A mobile-friendly Transformer-based model for image classification" ------------
# https://keras.io/examples/vision/mobilevit/ (conv_block: a swish Conv2D; inverted_residual_block: a 1x1
# expansion, BatchNormalization, swish, a DepthwiseConv2D (ZeroPadding2D and "valid" when strided), a 1x1
# projection, an Add where the shapes allow; transformer_block: LayerNormalization, MultiHeadAttention, Add,
# LayerNormalization, a swish MLP, Add; mobilevit_block: local features by two conv_blocks, a Reshape to
# (patch_size, num_patches, projection_dim) with num_patches = int(h * w / patch_size), Transformer blocks, a
# Reshape back to the feature map, a 1x1 conv_block, Concatenate with the block's input, a conv_block). Here each
# MobileViT block a functional model (mobilevit_block_i) called in the classifier; 16x16 images, patch_size 4,
# widths 4..16, one and two Transformer layers.

MVIT_SIZE, MVIT_PATCH, MVIT_CLASSES = 16, 4, 3


def mvit_conv_block(x, filters=16, kernel_size=3, strides=2):
    return L.Conv2D(filters, kernel_size, strides=strides, activation=keras.activations.swish, padding="same")(x)


def correct_pad(inputs, kernel_size):
    input_size = inputs.shape[1:3]
    kernel_size = (kernel_size, kernel_size)
    adjust = (1 - input_size[0] % 2, 1 - input_size[1] % 2)
    correct = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((correct[0] - adjust[0], correct[0]), (correct[1] - adjust[1], correct[1]))


def inverted_residual_block(x, expanded_channels, output_channels, strides=1):
    m = L.Conv2D(expanded_channels, 1, padding="same", use_bias=False)(x)
    m = L.BatchNormalization()(m)
    m = keras.activations.swish(m)
    if strides == 2:
        m = L.ZeroPadding2D(padding=correct_pad(m, 3))(m)
    m = L.DepthwiseConv2D(3, strides=strides, padding="same" if strides == 1 else "valid", use_bias=False)(m)
    m = L.BatchNormalization()(m)
    m = keras.activations.swish(m)
    m = L.Conv2D(output_channels, 1, padding="same", use_bias=False)(m)
    m = L.BatchNormalization()(m)
    if x.shape[-1] == output_channels and strides == 1:
        return L.Add()([m, x])
    return m


def mvit_mlp(x, hidden_units, dropout_rate):
    for units in hidden_units:
        x = L.Dense(units, activation=keras.activations.swish)(x)
        x = L.Dropout(dropout_rate)(x)
    return x


def transformer_block(x, transformer_layers, projection_dim, num_heads=2):
    for _ in range(transformer_layers):
        x1 = L.LayerNormalization(epsilon=1e-6)(x)
        attention_output = L.MultiHeadAttention(num_heads=num_heads, key_dim=projection_dim, dropout=0.1)(x1, x1)
        x2 = L.Add()([attention_output, x])
        x3 = L.LayerNormalization(epsilon=1e-6)(x2)
        x3 = mvit_mlp(x3, hidden_units=[x.shape[-1] * 2, x.shape[-1]], dropout_rate=0.1)
        x = L.Add()([x3, x2])
    return x


def mobilevit_block(input_shape, num_blocks, projection_dim, name, strides=1):
    x = keras.Input(input_shape, name=f"{name}_input")
    local_features = mvit_conv_block(x, filters=projection_dim, strides=strides)
    local_features = mvit_conv_block(local_features, filters=projection_dim, kernel_size=1, strides=strides)
    num_patches = int((local_features.shape[1] * local_features.shape[2]) / MVIT_PATCH)
    non_overlapping_patches = L.Reshape((MVIT_PATCH, num_patches, projection_dim))(local_features)
    global_features = transformer_block(non_overlapping_patches, num_blocks, projection_dim)
    folded_feature_map = L.Reshape((*local_features.shape[1:-1], projection_dim))(global_features)
    folded_feature_map = mvit_conv_block(folded_feature_map, filters=x.shape[-1], kernel_size=1, strides=strides)
    local_global_features = L.Concatenate(axis=-1)([x, folded_feature_map])
    out = mvit_conv_block(local_global_features, filters=projection_dim, strides=strides)
    return keras.Model(x, out, name=name)


def mobilevit(image_size: int = MVIT_SIZE, num_classes: int = MVIT_CLASSES) -> keras.Model:
    inputs = keras.Input((image_size, image_size, 3), name="image")
    x = L.Rescaling(scale=1.0 / 255)(inputs)
    x = mvit_conv_block(x, filters=4)  # /2
    x = inverted_residual_block(x, expanded_channels=8, output_channels=4)
    x = inverted_residual_block(x, expanded_channels=8, output_channels=8, strides=2)  # /4
    x = mobilevit_block(tuple(x.shape[1:]), num_blocks=1, projection_dim=8, name="mobilevit_block_1")(x)
    x = inverted_residual_block(x, expanded_channels=16, output_channels=8, strides=2)  # /8
    x = mobilevit_block(tuple(x.shape[1:]), num_blocks=2, projection_dim=16, name="mobilevit_block_2")(x)
    x = mvit_conv_block(x, filters=16, kernel_size=1, strides=1)
    x = L.GlobalAvgPool2D()(x)
    outputs = L.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="mobilevit")


def _break_mobilevit(model, x):  # made for 24x24 photos: the 3x3 map after the last stride is 9 positions, not 4k
    mobilevit(image_size=24)


# --- 4. keras.io "A Transformer-based recommendation system" (Behavior Sequence Transformer) ---------------
# https://keras.io/examples/structured_data/movielens_recommendations_transformers/ (create_model_inputs: user_id,
# sequence_movie_ids of sequence_length - 1, target_movie_id, sequence_ratings, sex, age_group, occupation;
# encode_input_features: an Embedding per user feature of sqrt(vocabulary) dims concatenated; encode_movie: the
# movie id's embedding and its fixed genres vector (a non-trainable Embedding) concatenated and processed by a
# Dense, used for the target movie and for the watched sequence; a position Embedding over range(sequence_length -
# 1) added to the sequence, the ratings multiplied in; the sequence's steps and the target concatenated; one
# Transformer layer (MultiHeadAttention, Add, LayerNormalization, LeakyReLU, Dense, Add, LayerNormalization),
# Flatten, the user features, Dense/BatchNormalization/LeakyReLU/Dropout, a linear rating). Here encode_movie is a
# functional model (movie_encoder, ids of any length) called on both; ids as integers (the StringLookups left out),
# 12 movies of 4 genres, sequences of 4 watched movies, 2 user features.

BST_MOVIES, BST_GENRES, BST_SEQUENCE = 12, 4, 5  # sequence_length: 4 watched movies and the target
BST_USER_FEATURES = {"sex": 2, "age_group": 4}
BST_DIMS = int(math.sqrt(BST_MOVIES)) + 1  # 4


def create_bst_inputs():
    inputs = {
        "target_movie_id": keras.Input(name="target_movie_id", shape=(1,), dtype="int32"),
        "sequence_movie_ids": keras.Input(name="sequence_movie_ids", shape=(BST_SEQUENCE - 1,), dtype="int32"),
        "sequence_ratings": keras.Input(name="sequence_ratings", shape=(BST_SEQUENCE - 1,), dtype="float32"),
    }
    inputs.update({name: keras.Input(name=name, shape=(1,), dtype="int32") for name in BST_USER_FEATURES})
    return inputs


def create_movie_encoder():
    genre_vectors = np.random.default_rng(0).integers(0, 2, (BST_MOVIES, BST_GENRES)).astype("float32")
    movie_id = keras.Input((None,), dtype="int32", name="movie_id")
    movie_embedding = L.Embedding(BST_MOVIES, BST_DIMS, name="movie_embedding")(movie_id)
    movie_genres_vector = L.Embedding(BST_MOVIES, BST_GENRES, trainable=False, name="genres_vector",
                                      embeddings_initializer=keras.initializers.Constant(genre_vectors))(movie_id)
    encoded_movie = L.Dense(BST_DIMS, activation="relu", name="process_movie_embedding_with_genres")(
        L.concatenate([movie_embedding, movie_genres_vector]))
    return keras.Model(movie_id, encoded_movie, name="movie_encoder")


def bst_recommender(hidden_units=(8, 4), dropout_rate=0.1, num_heads=2) -> keras.Model:
    inputs = create_bst_inputs()
    encoded_other_features = L.concatenate([
        L.Embedding(size, int(math.sqrt(size)), name=f"{name}_embedding")(inputs[name])
        for name, size in BST_USER_FEATURES.items()])
    encode_movie = create_movie_encoder()
    encoded_target_movie = encode_movie(inputs["target_movie_id"])
    encoded_sequence_movies = encode_movie(inputs["sequence_movie_ids"])
    positions = ops.arange(0, BST_SEQUENCE - 1, 1)
    encoded_positions = L.Embedding(BST_SEQUENCE, BST_DIMS, name="position_embedding")(positions)
    sequence_ratings = ops.expand_dims(inputs["sequence_ratings"], -1)
    encoded_sequence = L.Multiply()([(encoded_sequence_movies + encoded_positions), sequence_ratings])
    encoded_transformer_features = [ops.expand_dims(encoded_sequence[:, i, ...], 1) for i in range(BST_SEQUENCE - 1)]
    encoded_transformer_features.append(encoded_target_movie)
    transformer_features = L.concatenate(encoded_transformer_features, axis=1)
    attention_output = L.MultiHeadAttention(num_heads=num_heads, key_dim=transformer_features.shape[2],
                                            dropout=dropout_rate)(transformer_features, transformer_features)
    attention_output = L.Dropout(dropout_rate)(attention_output)
    x1 = L.LayerNormalization()(L.Add()([transformer_features, attention_output]))
    x2 = L.Dropout(dropout_rate)(L.Dense(units=x1.shape[-1])(L.LeakyReLU()(x1)))
    transformer_features = L.LayerNormalization()(L.Add()([x1, x2]))
    features = L.Flatten()(transformer_features)
    features = L.concatenate([features, L.Reshape([encoded_other_features.shape[-1]])(encoded_other_features)])
    for num_units in hidden_units:
        features = L.Dense(num_units)(features)
        features = L.BatchNormalization()(features)
        features = L.LeakyReLU()(features)
        features = L.Dropout(dropout_rate)(features)
    outputs = L.Dense(units=1)(features)
    return keras.Model(inputs=inputs, outputs=outputs, name="bst")


def _data_bst():
    x = {"target_movie_id": _ids((4, 1), BST_MOVIES), "sequence_movie_ids": _ids((4, BST_SEQUENCE - 1), BST_MOVIES, 1),
         "sequence_ratings": _floats((4, BST_SEQUENCE - 1)) * 5}
    x.update({name: _ids((4, 1), size + 1, 2) - 1 for name, size in BST_USER_FEATURES.items()})
    return x, _floats((4, 1), 3) * 5


def _break_bst(model, x):  # the whole watched sequence with the target still at its end (5 movies, not 4)
    movies = np.concatenate([x["sequence_movie_ids"], x["target_movie_id"]], axis=1)
    ratings = np.concatenate([x["sequence_ratings"], np.full((len(movies), 1), 3.0, "float32")], axis=1)
    model({**x, "sequence_movie_ids": movies, "sequence_ratings": ratings})


# --- 5. keras.io "Learning to tokenize in Vision Transformers" (TokenLearner) -------------------------------
# https://keras.io/examples/vision/token_learner/ (position_embedding: a layer adding an Embedding of the patch
# positions; token_learner: LayerNormalization, a Sequential of Conv2Ds (gelu, then sigmoid) with a Reshape to
# (-1, tokens) and a Permute giving (batch, tokens, h*w) attention maps; the inputs reshaped to (batch, 1, h*w, C),
# multiplied by the maps and averaged over the positions; transformer: LayerNormalization, MultiHeadAttention, Add,
# LayerNormalization, an MLP, Add; create_vit_classifier: a data augmentation Sequential, a Conv2D patching,
# Reshape to the sequence, position embedding, Transformer layers, half way the sequence reshaped to its
# (h, w, C) grid for the token learner, more Transformer layers, LayerNormalization, GlobalAvgPool1D, Dropout,
# Dense). 16x16 images in 4x4 patches, width 8, 2 tokens, 2 + 1 layers.

TL_SIZE, TL_PATCH, TL_DIMS, TL_TOKENS, TL_CLASSES = 16, 4, 8, 2, 3
TL_GRID = TL_SIZE // TL_PATCH


@register
class PatchPositionEmbedding(L.Layer):
    def __init__(self, sequence_length, initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.sequence_length, self.initializer = sequence_length, keras.initializers.get(initializer)

    def build(self, input_shape):
        self.position_embeddings = self.add_weight(shape=[self.sequence_length, input_shape[-1]],
                                                   initializer=self.initializer, name="embeddings")

    def call(self, inputs):
        return inputs + self.position_embeddings

    def get_config(self):
        return {**super().get_config(), "sequence_length": self.sequence_length,
                "initializer": keras.initializers.serialize(self.initializer)}


def token_learner(inputs, number_of_tokens=TL_TOKENS):
    x = L.LayerNormalization(epsilon=1e-6)(inputs)  # (B, H, W, C)
    attention_maps = keras.Sequential([
        L.Conv2D(number_of_tokens, 3, activation=ops.gelu, padding="same", use_bias=False),
        L.Conv2D(number_of_tokens, 3, activation="sigmoid", padding="same", use_bias=False),
        L.Reshape((-1, number_of_tokens)),  # (B, H*W, tokens)
        L.Permute((2, 1)),
    ], name="token_attention_maps")(x)  # (B, tokens, H*W)
    num_filters = inputs.shape[-1]
    inputs = L.Reshape((1, -1, num_filters))(inputs)  # (B, 1, H*W, C)
    attended_inputs = ops.expand_dims(attention_maps, axis=-1) * inputs  # (B, tokens, H*W, C)
    return ops.mean(attended_inputs, axis=2)  # (B, tokens, C)


def tl_transformer(encoded_patches):
    x1 = L.LayerNormalization(epsilon=1e-6)(encoded_patches)
    attention_output = L.MultiHeadAttention(num_heads=2, key_dim=TL_DIMS, dropout=0.1)(x1, x1)
    x2 = L.Add()([attention_output, encoded_patches])
    x3 = L.LayerNormalization(epsilon=1e-6)(x2)
    x3 = L.Dense(2 * TL_DIMS, activation=ops.gelu)(x3)
    x3 = L.Dense(TL_DIMS)(x3)
    return L.Add()([x3, x2])


def create_vit_classifier(use_token_learner=True, grid_reshape=True) -> keras.Model:
    """``grid_reshape=False`` leaves out the Reshape to the patch grid before the token learner (the break)."""
    inputs = keras.Input(shape=(TL_SIZE, TL_SIZE, 3), name="images")
    augmented = keras.Sequential([L.Rescaling(1 / 255.0), L.RandomFlip("horizontal")],
                                 name="data_augmentation")(inputs)
    projected_patches = L.Conv2D(TL_DIMS, kernel_size=TL_PATCH, strides=TL_PATCH, padding="VALID")(augmented)
    projected_patches = L.Reshape((TL_GRID * TL_GRID, TL_DIMS))(projected_patches)
    encoded_patches = PatchPositionEmbedding(sequence_length=TL_GRID * TL_GRID,
                                             name="position_embedding")(projected_patches)
    encoded_patches = L.Dropout(0.1)(encoded_patches)
    for i in range(3):
        encoded_patches = tl_transformer(encoded_patches)
        if use_token_learner and i == 1:
            if grid_reshape:
                encoded_patches = L.Reshape((TL_GRID, TL_GRID, TL_DIMS))(encoded_patches)
            encoded_patches = token_learner(encoded_patches)
    representation = L.LayerNormalization(epsilon=1e-6)(encoded_patches)
    representation = L.GlobalAvgPool1D()(representation)
    outputs = L.Dense(TL_CLASSES, activation="softmax")(L.Dropout(0.5)(representation))
    return keras.Model(inputs=inputs, outputs=outputs, name="token_learner_vit")


def token_learner_vit() -> keras.Model:
    return create_vit_classifier()


def _break_token_learner(model, x):  # the patch sequence (batch, 16, 8) into the token learner, not its 4x4 grid
    create_vit_classifier(grid_reshape=False)


# --- how each model is fed, trained, copied and broken ---------------------------------------------------------

def _data_mel():
    return _floats((2, MEL_FRAMES, MEL_BINS)), None


SPECS = [
    Spec5(gaugan, _data_gaugan, "generator/res_block*", "discriminator", "discriminator/down_*",
          compile=_compile_mse, fit=_fit_to_zeros, copy=_copy_functional,
          expect_paths=("generator", "discriminator/down_1"), breaks=_break_gaugan,
          explains=r"(?s)\(batch, 16, 16, 4\).*\(batch, 16, 16\).*one_hot\(labels, 4\)"),
    Spec5(melgan, _data_mel, "discriminator/weight_normalization*", "discriminator", "generator/weight_normalization*",
          compile=_compile_mse, fit=_fit_to_zeros, copy=_copy_functional,
          expect_paths=("generator", "discriminator"), breaks=_break_melgan,
          explains=r"(?s)mel.*\(batch, 8, 6\).*(transpose|swapaxes)"),
    Spec5(mobilevit, lambda: (_floats((2, MVIT_SIZE, MVIT_SIZE, 3)) * 255, np.array([0, 2])),
          "mobilevit_block_1/multi_head_attention*", "mobilevit_block_2", "mobilevit_block_1",
          compile=_compile_plain, copy=_copy_functional,
          expect_paths=("mobilevit_block_1", "mobilevit_block_2"), breaks=_break_mobilevit,
          explains=r"(?s)reshape.*9 positions of a 3 x 3 map.*not a multiple of 4"),
    Spec5(bst_recommender, _data_bst, "movie_encoder/process_movie_embedding_with_genres", "movie_encoder",
          "movie_encoder/movie_embedding", compile=lambda m: _compile_plain(m, "mse"), copy=_copy_functional,
          expect_paths=("movie_encoder", "movie_encoder/genres_vector"), breaks=_break_bst,
          explains=r"(?s)'sequence_movie_ids' sequences of 5 ids.*takes 4.*sequence_ratings"),
    Spec5(token_learner_vit, lambda: (_floats((2, TL_SIZE, TL_SIZE, 3)) * 255, np.array([0, 2])),
          "data_augmentation/rescaling*", "token_attention_maps", "token_attention_maps",
          compile=_compile_plain, copy=_copy_functional,
          expect_paths=("token_attention_maps", "data_augmentation"), breaks=_break_token_learner,
          explains=r"(?s)token_attention_maps.*\(batch, 16, 8\).*Reshape\(\(4, 4, 8\)\)"),
]
