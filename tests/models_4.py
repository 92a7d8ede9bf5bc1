"""Real-world nested models, fourth batch: each rewritten small from the public code cited in its
docstring, keeping its structure (the nesting, the custom layers, the ops between layers)."""

from __future__ import annotations

import keras
import numpy as np

L = keras.layers
ops = keras.ops
PACKAGE = "kernest_rw4"


def register(cls):
    return keras.saving.register_keras_serializable(package=PACKAGE)(cls)


# --- 1. keras.io "English-to-Spanish translation with a sequence-to-sequence Transformer" ----------------
# https://keras.io/examples/nlp/neural_machine_translation_with_transformer/

@register
class PositionalEmbedding(L.Layer):
    def __init__(self, sequence_length: int, vocab_size: int, embed_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.token_embeddings = L.Embedding(vocab_size, embed_dim)
        self.position_embeddings = L.Embedding(sequence_length, embed_dim)
        self.sequence_length, self.vocab_size, self.embed_dim = sequence_length, vocab_size, embed_dim

    def call(self, inputs):
        positions = ops.arange(0, ops.shape(inputs)[-1], 1)
        return self.token_embeddings(inputs) + self.position_embeddings(positions)

    def compute_mask(self, inputs, mask=None):
        return ops.not_equal(inputs, 0)

    def get_config(self):
        return {**super().get_config(), "sequence_length": self.sequence_length, "vocab_size": self.vocab_size,
                "embed_dim": self.embed_dim}


@register
class TransformerEncoder(L.Layer):
    def __init__(self, embed_dim: int, dense_dim: int, num_heads: int, **kwargs):
        super().__init__(**kwargs)
        self.embed_dim, self.dense_dim, self.num_heads = embed_dim, dense_dim, num_heads
        self.attention = L.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.dense_proj = keras.Sequential([L.Dense(dense_dim, activation="relu"), L.Dense(embed_dim)])
        self.layernorm_1, self.layernorm_2 = L.LayerNormalization(), L.LayerNormalization()
        self.supports_masking = True

    def call(self, inputs, mask=None):
        padding_mask = None if mask is None else ops.cast(mask[:, None, :], dtype="int32")
        attention_output = self.attention(query=inputs, value=inputs, key=inputs, attention_mask=padding_mask)
        proj_input = self.layernorm_1(inputs + attention_output)
        return self.layernorm_2(proj_input + self.dense_proj(proj_input))

    def get_config(self):
        return {**super().get_config(), "embed_dim": self.embed_dim, "dense_dim": self.dense_dim,
                "num_heads": self.num_heads}


@register
class TransformerDecoder(L.Layer):
    def __init__(self, embed_dim: int, latent_dim: int, num_heads: int, **kwargs):
        super().__init__(**kwargs)
        self.embed_dim, self.latent_dim, self.num_heads = embed_dim, latent_dim, num_heads
        self.attention_1 = L.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.attention_2 = L.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.dense_proj = keras.Sequential([L.Dense(latent_dim, activation="relu"), L.Dense(embed_dim)])
        self.layernorm_1, self.layernorm_2, self.layernorm_3 = (L.LayerNormalization() for _ in range(3))
        self.supports_masking = True

    def call(self, inputs, encoder_outputs, mask=None):
        steps = ops.shape(inputs)[1]
        causal_mask = ops.cast(ops.arange(steps)[:, None] >= ops.arange(steps), "int32")[None]  # (1, T, T)
        padding_mask = None
        if mask is not None:
            padding_mask = ops.minimum(ops.cast(mask[:, None, :], dtype="int32"), causal_mask)
        out_1 = self.layernorm_1(inputs + self.attention_1(query=inputs, value=inputs, key=inputs,
                                                           attention_mask=causal_mask))
        attended = self.attention_2(query=out_1, value=encoder_outputs, key=encoder_outputs,
                                    attention_mask=padding_mask)
        out_2 = self.layernorm_2(out_1 + attended)
        return self.layernorm_3(out_2 + self.dense_proj(out_2))

    def get_config(self):
        return {**super().get_config(), "embed_dim": self.embed_dim, "latent_dim": self.latent_dim,
                "num_heads": self.num_heads}


def translation_transformer(length: int = 6, vocab: int = 20, dim: int = 8) -> keras.Model:
    """An encoder model and a two-input decoder model, joined in a model with dict inputs; the padding
    mask the embedding computes crosses the encoder's boundary."""
    encoder_inputs = keras.Input((None,), dtype="int64", name="encoder_inputs")
    x = PositionalEmbedding(length, vocab, dim, name="src_embedding")(encoder_inputs)
    encoder = keras.Model(encoder_inputs, TransformerEncoder(dim, 16, 2, name="encoder_block")(x), name="encoder")
    decoder_inputs = keras.Input((None,), dtype="int64", name="decoder_inputs")
    encoded_seq_inputs = keras.Input((None, dim), name="decoder_state_inputs")
    x = PositionalEmbedding(length, vocab, dim, name="tgt_embedding")(decoder_inputs)
    x = TransformerDecoder(dim, 16, 2, name="decoder_block")(x, encoded_seq_inputs)
    x = L.Dropout(0.5, name="drop")(x)
    decoder = keras.Model([decoder_inputs, encoded_seq_inputs], L.Dense(vocab, activation="softmax", name="probs")(x),
                          name="decoder")
    encoder_outputs = encoder(encoder_inputs)
    return keras.Model({"encoder_inputs": encoder_inputs, "decoder_inputs": decoder_inputs},
                       decoder([decoder_inputs, encoder_outputs]), name="transformer")


# --- 2. keras.io "Knowledge Distillation" -----------------------------------------------------------------
# https://keras.io/examples/vision/knowledge_distillation/

def small_cnn(name: str, filters: int, classes: int = 3, size: int = 8) -> keras.Model:
    return keras.Sequential([
        keras.Input((size, size, 1)),
        L.Conv2D(filters, 3, strides=2, padding="same", name="conv1"),
        L.LeakyReLU(negative_slope=0.2, name="act"),
        L.MaxPooling2D(2, strides=1, padding="same", name="pool"),
        L.Flatten(name="flatten"),
        L.Dense(classes, name="logits"),
    ], name=name)


@register
class Distiller(keras.Model):
    """``call`` runs the student; the teacher only serves ``compute_loss``. ``compile`` takes its own
    arguments, as keras.io's does."""

    def __init__(self, student: keras.Model, teacher: keras.Model, **kwargs):
        super().__init__(**kwargs)
        self.teacher, self.student = teacher, student

    def compile(self, optimizer="adam", metrics=None, student_loss_fn=None, distillation_loss_fn=None,
                alpha: float = 0.1, temperature: float = 3.0, **kwargs):
        super().compile(optimizer=optimizer, metrics=metrics, **kwargs)
        self.student_loss_fn = student_loss_fn or keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        self.distillation_loss_fn = distillation_loss_fn or keras.losses.KLDivergence()
        self.alpha, self.temperature = alpha, temperature

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, allow_empty=False):
        teacher_pred = self.teacher(x, training=False)
        student_loss = self.student_loss_fn(y, y_pred)
        t = self.temperature
        distillation_loss = self.distillation_loss_fn(ops.softmax(teacher_pred / t, axis=1),
                                                      ops.softmax(y_pred / t, axis=1)) * t ** 2
        return self.alpha * student_loss + (1 - self.alpha) * distillation_loss

    def call(self, x):
        return self.student(x)

    def get_config(self):
        return {**super().get_config(), "student": keras.saving.serialize_keras_object(self.student),
                "teacher": keras.saving.serialize_keras_object(self.teacher)}

    @classmethod
    def from_config(cls, config):
        student = keras.saving.deserialize_keras_object(config.pop("student"))
        teacher = keras.saving.deserialize_keras_object(config.pop("teacher"))
        return cls(student, teacher, **config)


def distiller(size: int = 8) -> keras.Model:
    model = Distiller(small_cnn("student", 2, size=size), small_cnn("teacher", 6, size=size), name="distiller")
    model(np.zeros((1, size, size, 1), "float32"))
    return model


# --- 3. keras.io "DCGAN to generate face images" (overriding train_step; the GAN has no call) ------------
# https://keras.io/examples/generative/dcgan_overriding_train_step/

@register
class GAN(keras.Model):
    def __init__(self, discriminator: keras.Model, generator: keras.Model, latent_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.discriminator, self.generator, self.latent_dim = discriminator, generator, latent_dim
        self.seed_generator = keras.random.SeedGenerator(1337)

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer, self.g_optimizer, self.loss_fn = d_optimizer, g_optimizer, loss_fn

    def train_step(self, real_images):
        import tensorflow as tf  # keras.io trains it with GradientTapes (TensorFlow backend)

        batch = ops.shape(real_images)[0]
        noise = keras.random.normal((batch, self.latent_dim), seed=self.seed_generator)
        images = ops.concatenate([self.generator(noise), real_images], axis=0)
        labels = ops.concatenate([ops.ones((batch, 1)), ops.zeros((batch, 1))], axis=0)
        with tf.GradientTape() as tape:
            d_loss = self.loss_fn(labels, self.discriminator(images))
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights, strict=True))
        noise = keras.random.normal((batch, self.latent_dim), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            g_loss = self.loss_fn(ops.zeros((batch, 1)), self.discriminator(self.generator(noise)))
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights, strict=True))
        return {"d_loss": d_loss, "g_loss": g_loss}


def dcgan(latent: int = 4, size: int = 8) -> keras.Model:
    discriminator = keras.Sequential([
        keras.Input((size, size, 1)),
        L.Conv2D(4, 4, strides=2, padding="same", name="d_conv1"),
        L.LeakyReLU(negative_slope=0.2, name="d_act1"),
        L.Flatten(name="d_flatten"),
        L.Dropout(0.2, name="d_drop"),
        L.Dense(1, activation="sigmoid", name="d_out"),
    ], name="discriminator")
    generator = keras.Sequential([
        keras.Input((latent,)),
        L.Dense((size // 2) * (size // 2) * 4, name="g_fc"),
        L.Reshape((size // 2, size // 2, 4), name="g_reshape"),
        L.Conv2DTranspose(4, 4, strides=2, padding="same", name="g_deconv"),
        L.LeakyReLU(negative_slope=0.2, name="g_act"),
        L.Conv2D(1, 3, padding="same", activation="sigmoid", name="g_out"),
    ], name="generator")
    return GAN(discriminator, generator, latent, name="gan")


# --- 4. blog.keras.io "Building Autoencoders in Keras": the encoder reused as a feature extractor ---------
# https://blog.keras.io/building-autoencoders-in-keras.html

def autoencoder_features(size: int = 8, code: int = 3) -> keras.Model:
    """A convolutional autoencoder built flat; ``encoder = Model(input_img, encoded)`` shares its first
    layers, and ``decoder`` wraps its last layers on a new input, as the blog does. The encoder, frozen,
    then serves as the feature extractor of a classifier that nests it."""
    input_img = keras.Input((size, size, 1), name="input_img")
    h = L.MaxPooling2D(2, padding="same", name="pool")(L.Conv2D(4, 3, activation="relu", padding="same", name="conv")(input_img))
    encoded = L.Conv2D(code, 3, activation="relu", padding="same", name="code")(h)
    u = L.UpSampling2D(2, name="up")(L.Conv2D(4, 3, activation="relu", padding="same", name="deconv")(encoded))
    decoded = L.Conv2D(1, 3, activation="sigmoid", padding="same", name="recon")(u)
    autoencoder = keras.Model(input_img, decoded, name="autoencoder")
    encoder = keras.Model(input_img, encoded, name="encoder")
    encoded_input = keras.Input((size // 2, size // 2, code), name="encoded_input")
    layers = autoencoder.layers[-3:]
    decoder = keras.Model(encoded_input, layers[2](layers[1](layers[0](encoded_input))), name="decoder")
    assert decoder.count_params() + encoder.count_params() == autoencoder.count_params()
    encoder.trainable = False
    x = keras.Input((size, size, 1), name="x")
    hidden = L.Dense(4, activation="relu", name="hidden")(L.Flatten(name="flat")(encoder(x)))
    head = L.Dense(3, activation="softmax", name="classes")(hidden)
    return keras.Model(x, head, name="code_classifier")


# --- 5. CapsNet (XifengGuo/CapsNet-Keras, capsulelayers.py and capsulenet.py) -----------------------------
# https://github.com/XifengGuo/CapsNet-Keras

@register
def squash(vectors, axis=-1):
    s_squared_norm = ops.sum(ops.square(vectors), axis, keepdims=True)
    scale = s_squared_norm / (1 + s_squared_norm) / ops.sqrt(s_squared_norm + 1e-7)
    return scale * vectors


@register
class Length(L.Layer):
    def call(self, inputs):
        return ops.sqrt(ops.sum(ops.square(inputs), -1) + 1e-7)

    def compute_output_shape(self, input_shape):
        return input_shape[:-1]


@register
class CapsMask(L.Layer):
    """Keeps the capsule of the true class (training, ``[capsules, y]``) or of the longest one."""

    def call(self, inputs):
        if isinstance(inputs, (list, tuple)):
            inputs, mask = inputs
        else:
            lengths = ops.sqrt(ops.sum(ops.square(inputs), -1))
            mask = ops.one_hot(ops.argmax(lengths, 1), ops.shape(inputs)[1])
        return ops.reshape(inputs * ops.expand_dims(mask, -1), (-1, inputs.shape[1] * inputs.shape[2]))

    def compute_output_shape(self, input_shape):
        shape = input_shape[0] if isinstance(input_shape, list) else input_shape
        return (shape[0], shape[1] * shape[2])


@register
class CapsuleLayer(L.Layer):
    """Dynamic routing between an input and an output capsule layer."""

    def __init__(self, num_capsule: int, dim_capsule: int, routings: int = 3, **kwargs):
        super().__init__(**kwargs)
        self.num_capsule, self.dim_capsule, self.routings = num_capsule, dim_capsule, routings

    def build(self, input_shape):
        self.input_num_capsule, self.input_dim_capsule = input_shape[1], input_shape[2]
        self.W = self.add_weight(shape=(self.num_capsule, self.input_num_capsule, self.dim_capsule,
                                        self.input_dim_capsule), initializer="glorot_uniform", name="W")

    def call(self, inputs):
        inputs_hat = ops.einsum("ijkl,bjl->bijk", self.W, inputs)  # (batch, num_capsule, input_num, dim)
        b = ops.zeros_like(inputs_hat[..., 0])
        for i in range(self.routings):
            c = ops.softmax(b, axis=1)
            outputs = squash(ops.einsum("bij,bijk->bik", c, inputs_hat))
            if i < self.routings - 1:
                b = b + ops.einsum("bik,bijk->bij", outputs, inputs_hat)
        return outputs

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_capsule, self.dim_capsule)

    def get_config(self):
        return {**super().get_config(), "num_capsule": self.num_capsule, "dim_capsule": self.dim_capsule,
                "routings": self.routings}


def capsnet(size: int = 10, classes: int = 3) -> keras.Model:
    """The training model: ``[image, one-hot label]`` in, capsule lengths and the decoder's reconstruction
    out; the decoder is a Sequential model, the primary capsules a Conv2D, a Reshape and a Lambda(squash)."""
    x = keras.Input((size, size, 1), name="image")
    conv1 = L.Conv2D(4, 3, activation="relu", name="conv1")(x)
    primary = L.Conv2D(8, 3, strides=2, name="primarycap_conv2d")(conv1)
    primary = L.Lambda(squash, name="primarycap_squash")(L.Reshape((-1, 4), name="primarycap_reshape")(primary))
    digitcaps = CapsuleLayer(classes, 4, routings=2, name="digitcaps")(primary)
    out_caps = Length(name="capsnet")(digitcaps)
    y = keras.Input((classes,), name="label")
    decoder = keras.Sequential([
        keras.Input((classes * 4,)),
        L.Dense(8, activation="relu", name="dense1"),
        L.Dense(size * size, activation="sigmoid", name="dense2"),
        L.Reshape((size, size, 1), name="out_recon"),
    ], name="decoder")
    return keras.Model([x, y], [out_caps, decoder(CapsMask(name="mask")([digitcaps, y]))], name="capsnet_train")


# --- 6. Attention U-Net (Oktay et al. 2018), blocks as submodels --------------------------------------------
# gate as in https://github.com/robinvvinod/unet/blob/master/layers2D.py (AttnGatingBlock)

@register
class AttentionGate(L.Layer):
    """Additive attention on a skip connection: ``x * sigmoid(psi(relu(theta(x) + phi(g))))``, ``g`` the
    coarser gating signal, upsampled to ``x``'s grid."""

    def __init__(self, inter: int, **kwargs):
        super().__init__(**kwargs)
        self.inter = inter
        self.theta_x = L.Conv2D(inter, 1, name="theta_x")
        self.phi_g = L.Conv2D(inter, 1, name="phi_g")
        self.up_g = L.UpSampling2D(2, name="up_g")
        self.psi = L.Conv2D(1, 1, activation="sigmoid", name="psi")

    def call(self, inputs):
        x, g = inputs
        return x * self.psi(ops.relu(self.theta_x(x) + self.up_g(self.phi_g(g))))

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "inter": self.inter}


def down_block(name: str, size: int, channels: int, filters: int) -> keras.Model:
    """Two outputs: the skip features and the pooled map."""
    x = keras.Input((size, size, channels), name=f"{name}_in")
    skip = L.Conv2D(filters, 3, padding="same", activation="relu", name="conv")(x)
    skip = L.BatchNormalization(name="bn")(skip)
    return keras.Model(x, [skip, L.MaxPooling2D(name="pool")(skip)], name=name)


def up_block(name: str, size: int, below: int, skip_channels: int, filters: int) -> keras.Model:
    x = keras.Input((size // 2, size // 2, below), name=f"{name}_below")
    skip = keras.Input((size, size, skip_channels), name=f"{name}_skip")
    gated = AttentionGate(2, name="gate")([skip, x])
    merged = L.Concatenate(name="cat")([L.Conv2DTranspose(filters, 2, strides=2, name="up")(x), gated])
    return keras.Model([x, skip], L.Conv2D(filters, 3, padding="same", activation="relu", name="conv")(merged),
                       name=name)


def attention_unet(size: int = 8) -> keras.Model:
    img = keras.Input((size, size, 1), name="img")
    s1, p1 = down_block("down1", size, 1, 4)(img)
    s2, p2 = down_block("down2", size // 2, 4, 6)(p1)
    bottom = L.Conv2D(8, 3, padding="same", activation="relu", name="bottom")(p2)
    u2 = up_block("up2", size // 2, 8, 6, 6)([bottom, s2])
    u1 = up_block("up1", size, 6, 4, 4)([u2, s1])
    return keras.Model(img, L.Conv2D(1, 1, activation="sigmoid", name="mask")(u1), name="attention_unet")


# --- 7. PyImageSearch "Keras: Multiple Inputs and Mixed Data": the towers joined by their .output --------
# https://pyimagesearch.com/2019/02/04/keras-multiple-inputs-and-mixed-data/

def mixed_data(size: int = 8, attributes: int = 5) -> keras.Model:
    """An MLP for the numeric attributes and a CNN for the photo, built as models; the combined model is
    built from ``mlp.input``/``cnn.input`` to a head on ``concatenate([mlp.output, cnn.output])``, so their
    layers become its own."""
    attrs = keras.Input((attributes,), name="attributes")
    mlp = keras.Model(attrs, L.Dense(4, activation="relu", name="mlp_out")(L.Dense(8, activation="relu", name="mlp_fc")(attrs)),
                      name="mlp")
    photo = keras.Input((size, size, 3), name="photo")
    h = L.BatchNormalization(axis=-1, name="cnn_bn")(L.Activation("relu", name="cnn_act")(
        L.Conv2D(4, 3, padding="same", name="cnn_conv")(photo)))
    h = L.Dropout(0.5, name="cnn_drop")(L.Dense(8, activation="relu", name="cnn_fc")(L.Flatten(name="cnn_flat")(
        L.MaxPooling2D(name="cnn_pool")(h))))
    cnn = keras.Model(photo, L.Dense(4, activation="relu", name="cnn_out")(h), name="cnn")
    combined = L.Concatenate(name="combined")([mlp.output, cnn.output])
    price = L.Dense(1, activation="linear", name="price")(L.Dense(4, activation="relu", name="head_fc")(combined))
    return keras.Model([mlp.input, cnn.input], price, name="house_price")


# --- 8. A subclassed model around a Functional around a Sequential, with its own compute_loss ------------
# the structure of keras.io's "Customizing what happens in fit()" (https://keras.io/guides/custom_train_step_in_tensorflow/)
# with a backbone as in "Transfer learning & fine-tuning" (https://keras.io/guides/transfer_learning/)

@register
class RegularizedClassifier(keras.Model):
    def __init__(self, features: int = 6, classes: int = 3, penalty: float = 1e-3, **kwargs):
        super().__init__(**kwargs)
        self.features, self.classes, self.penalty = features, classes, penalty
        block = keras.Sequential([L.Dense(8, activation="relu", name="fc1"), L.Dense(8, name="fc2")], name="block")
        x = keras.Input((features,), name="x")
        h = L.Add(name="residual")([L.Dense(8, name="stem")(x), block(L.Dense(8, name="pre")(x))])
        self.backbone = keras.Model(x, L.LayerNormalization(name="norm")(h), name="backbone")
        self.head = L.Dense(classes, name="head")

    def call(self, x, training=False):
        return self.head(self.backbone(x, training=training))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        loss = super().compute_loss(x, y, y_pred, sample_weight, training)
        return loss + self.penalty * ops.sum(ops.square(self.head.kernel))

    def get_config(self):
        return {**super().get_config(), "features": self.features, "classes": self.classes, "penalty": self.penalty}


def regularized_classifier() -> keras.Model:
    model = RegularizedClassifier(name="classifier")
    model(np.zeros((1, 6), "float32"))
    return model


# --- 9. keras.io "Object Detection with RetinaNet": subclassed detector > FPN layer > backbone ------------
# https://keras.io/examples/vision/retinanet/ (the backbone gives its levels as a dict, as keras-hub's do)

def pyramid_backbone(size: int = 16) -> keras.Model:
    img = keras.Input((size, size, 3), name="image")
    c3 = L.Conv2D(4, 3, strides=2, padding="same", activation="relu", name="c3")(img)
    c4 = L.Conv2D(6, 3, strides=2, padding="same", activation="relu", name="c4")(c3)
    c5 = L.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="c5")(c4)
    return keras.Model(img, {"P3": c3, "P4": c4, "P5": c5}, name="backbone")


@register
class FeaturePyramid(L.Layer):
    def __init__(self, size: int = 16, dim: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.size, self.dim = size, dim
        self.backbone = pyramid_backbone(size)
        self.conv_c3_1x1, self.conv_c4_1x1, self.conv_c5_1x1 = (L.Conv2D(dim, 1, name=f"lat{i}") for i in (3, 4, 5))
        self.conv_c3_3x3, self.conv_c4_3x3, self.conv_c5_3x3 = (L.Conv2D(dim, 3, padding="same", name=f"out{i}")
                                                                for i in (3, 4, 5))
        self.upsample_2x = L.UpSampling2D(2, name="up")

    def call(self, images, training=False):
        levels = self.backbone(images, training=training)
        p5 = self.conv_c5_1x1(levels["P5"])
        p4 = self.conv_c4_1x1(levels["P4"]) + self.upsample_2x(p5)
        p3 = self.conv_c3_1x1(levels["P3"]) + self.upsample_2x(p4)
        return self.conv_c3_3x3(p3), self.conv_c4_3x3(p4), self.conv_c5_3x3(p5)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "dim": self.dim}


def detection_head(outputs: int, name: str, dim: int = 4) -> keras.Model:
    return keras.Sequential([keras.Input((None, None, dim)), L.Conv2D(dim, 3, padding="same", activation="relu",
                                                                      name="conv"),
                             L.Conv2D(outputs, 3, padding="same", name="pred")], name=name)


@register
class RetinaNet(keras.Model):
    """One classification and one box head, each called once per pyramid level."""

    def __init__(self, num_classes: int = 2, size: int = 16, anchors: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.num_classes, self.size, self.anchors = num_classes, size, anchors
        self.fpn = FeaturePyramid(size, name="fpn")
        self.cls_head = detection_head(anchors * num_classes, "classification_head")
        self.box_head = detection_head(anchors * 4, "box_head")

    def call(self, image, training=False):
        features = self.fpn(image, training=training)
        batch = ops.shape(image)[0]
        cls_outputs = [ops.reshape(self.cls_head(f), (batch, -1, self.num_classes)) for f in features]
        box_outputs = [ops.reshape(self.box_head(f), (batch, -1, 4)) for f in features]
        return ops.concatenate([ops.concatenate(box_outputs, axis=1), ops.concatenate(cls_outputs, axis=1)], axis=-1)

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "size": self.size, "anchors": self.anchors}


def retinanet(size: int = 16) -> keras.Model:
    model = RetinaNet(size=size, name="retinanet")
    model(np.zeros((1, size, size, 3), "float32"))
    return model


# --- 10. keras.io "Character-level recurrent sequence-to-sequence model": the inference models nested ----
# https://keras.io/examples/nlp/lstm_seq2seq/ (its encoder and decoder inference models, wired together)

def lstm_seq2seq(tokens: int = 7, units: int = 4) -> keras.Model:
    """The encoder model returns the LSTM's states; the decoder model takes the target steps and the
    states, and returns the next-token probabilities and its own states, as keras.io's sampling loop
    needs. The training model calls both."""
    encoder_inputs = keras.Input((None, tokens), name="encoder_inputs")
    _, state_h, state_c = L.LSTM(units, return_state=True, name="encoder_lstm")(encoder_inputs)
    encoder = keras.Model(encoder_inputs, [state_h, state_c], name="encoder_model")
    decoder_inputs = keras.Input((None, tokens), name="decoder_inputs")
    h_in, c_in = keras.Input((units,), name="state_h"), keras.Input((units,), name="state_c")
    seq, h, c = L.LSTM(units, return_sequences=True, return_state=True, name="decoder_lstm")(
        decoder_inputs, initial_state=[h_in, c_in])
    probs = L.Dense(tokens, activation="softmax", name="decoder_dense")(seq)
    decoder = keras.Model([decoder_inputs, h_in, c_in], [probs, h, c], name="decoder_model")
    source, target = keras.Input((None, tokens), name="source"), keras.Input((None, tokens), name="target")
    states = encoder(source)
    outputs, _, _ = decoder([target, *states])
    return keras.Model([source, target], outputs, name="seq2seq_training")


# --- 11. keras.io "Classification with Gated Residual and Variable Selection Networks" --------------------
# https://keras.io/examples/structured_data/classification_with_grn_and_vsn/

@register
class GatedLinearUnit(L.Layer):
    def __init__(self, units: int, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.linear, self.sigmoid = L.Dense(units), L.Dense(units, activation="sigmoid")

    def call(self, inputs):
        return self.linear(inputs) * self.sigmoid(inputs)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


@register
class GatedResidualNetwork(L.Layer):
    def __init__(self, units: int, dropout_rate: float = 0.1, **kwargs):
        super().__init__(**kwargs)
        self.units, self.dropout_rate = units, dropout_rate
        self.elu_dense = L.Dense(units, activation="elu")
        self.linear_dense = L.Dense(units)
        self.dropout = L.Dropout(dropout_rate)
        self.gated_linear_unit = GatedLinearUnit(units)
        self.layer_norm = L.LayerNormalization()
        self.project = L.Dense(units)

    def call(self, inputs):
        x = self.dropout(self.linear_dense(self.elu_dense(inputs)))
        if inputs.shape[-1] != self.units:
            inputs = self.project(inputs)
        return self.layer_norm(inputs + self.gated_linear_unit(x))

    def get_config(self):
        return {**super().get_config(), "units": self.units, "dropout_rate": self.dropout_rate}


@register
class VariableSelection(L.Layer):
    """A GRN per feature, held in a Python list, weighted by a softmax over all features."""

    def __init__(self, num_features: int, units: int, dropout_rate: float = 0.1, **kwargs):
        super().__init__(**kwargs)
        self.num_features, self.units, self.dropout_rate = num_features, units, dropout_rate
        self.grns = [GatedResidualNetwork(units, dropout_rate) for _ in range(num_features)]
        self.grn_concat = GatedResidualNetwork(units, dropout_rate)
        self.softmax = L.Dense(num_features, activation="softmax")

    def call(self, inputs):
        v = ops.expand_dims(self.softmax(self.grn_concat(ops.concatenate(inputs, axis=-1))), axis=-1)
        x = ops.stack([grn(inputs[i]) for i, grn in enumerate(self.grns)], axis=1)  # (batch, features, units)
        return ops.squeeze(ops.matmul(ops.transpose(v, axes=[0, 2, 1]), x), axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], self.units)

    def get_config(self):
        return {**super().get_config(), "num_features": self.num_features, "units": self.units,
                "dropout_rate": self.dropout_rate}


def grn_vsn(units: int = 4) -> keras.Model:
    """Dict inputs: two numeric features (a Dense each) and one categorical (an Embedding)."""
    inputs = {"age": keras.Input((1,), name="age"), "hours": keras.Input((1,), name="hours"),
              "occupation": keras.Input((1,), dtype="int32", name="occupation")}
    encoded = [L.Dense(units, name="age_dense")(inputs["age"]), L.Dense(units, name="hours_dense")(inputs["hours"]),
               L.Flatten(name="occupation_flat")(L.Embedding(5, units, name="occupation_embedding")(inputs["occupation"]))]
    features = VariableSelection(3, units, name="vsn")(encoded)
    return keras.Model(inputs, L.Dense(1, activation="sigmoid", name="income")(features), name="grn_vsn")


# --- 12. keras.io "Image similarity estimation using a Siamese Network with a triplet loss" -------------
# https://keras.io/examples/vision/siamese_network/

@register
class DistanceLayer(L.Layer):
    """The squared distances anchor-positive and anchor-negative, as a tuple."""

    def call(self, anchor, positive, negative):
        return ops.sum(ops.square(anchor - positive), -1), ops.sum(ops.square(anchor - negative), -1)

    def compute_output_shape(self, anchor_shape, positive_shape, negative_shape):
        return anchor_shape[:-1], anchor_shape[:-1]


@register
class SiameseModel(keras.Model):
    """Wraps the three-input network; the triplet loss is computed from its two outputs."""

    def __init__(self, siamese_network: keras.Model, margin: float = 0.5, **kwargs):
        super().__init__(**kwargs)
        self.siamese_network, self.margin = siamese_network, margin

    def call(self, inputs):
        return self.siamese_network(inputs)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        ap_distance, an_distance = y_pred
        return ops.mean(ops.maximum(ap_distance - an_distance + self.margin, 0.0))

    def get_config(self):
        return {**super().get_config(), "margin": self.margin,
                "siamese_network": keras.saving.serialize_keras_object(self.siamese_network)}

    @classmethod
    def from_config(cls, config):
        return cls(keras.saving.deserialize_keras_object(config.pop("siamese_network")), **config)


def siamese_triplet(size: int = 8) -> keras.Model:
    """keras.io builds ``embedding`` from a backbone's ``.input`` and ``.output`` and unfreezes its last
    block by layer name; the backbone here is a small CNN."""
    image = keras.Input((size, size, 3), name="base_input")
    h = L.Conv2D(4, 3, activation="relu", name="conv1_block")(image)
    h = L.Conv2D(4, 3, activation="relu", name="conv5_block1_out")(h)
    base_cnn = keras.Model(image, L.GlobalAveragePooling2D(name="avg_pool")(h), name="base_cnn")
    x = L.BatchNormalization(name="bn")(L.Dense(8, activation="relu", name="dense1")(base_cnn.output))
    embedding = keras.Model(base_cnn.input, L.Dense(4, name="output")(x), name="embedding")
    trainable = False
    for layer in base_cnn.layers:
        trainable = trainable or layer.name == "conv5_block1_out"
        layer.trainable = trainable
    anchor, positive, negative = (keras.Input((size, size, 3), name=n) for n in ("anchor", "positive", "negative"))
    distances = DistanceLayer(name="distance")(embedding(anchor), embedding(positive), embedding(negative))
    network = keras.Model([anchor, positive, negative], distances, name="siamese_network")
    model = SiameseModel(network, name="siamese_model")
    model([np.zeros((1, size, size, 3), "float32")] * 3)
    return model


# --- how each model is fed, trained and copied -------------------------------------------------------------

def _ids(shape: tuple[int, ...], high: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(1, high, shape).astype("int32")


def _floats(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random(shape, "float32")


def _clone(old: keras.Layer) -> keras.Layer:
    """A copy of a functional or Sequential model, or of a custom layer, with the same weights."""
    if isinstance(old, keras.Model) and not type(old).__module__.startswith("tests"):
        new = keras.models.clone_model(old)
    else:
        new = old.__class__.from_config(old.get_config())
        shapes = next(iter(old._build_shapes_dict.values()))  # call it once, as on data, to build its sublayers
        new(keras.tree.map_shape_structure(lambda s: ops.zeros((1, *s[1:])), shapes))
    new.set_weights(old.get_weights())
    return new


def _compile_plain(model: keras.Model, loss: object = "sparse_categorical_crossentropy") -> None:
    model.compile("sgd", loss, run_eagerly=True)


def outputs_of(model: keras.Model, x: object) -> object:
    """What a model gives for ``x`` (a model without ``call``, the GAN, gives its generator's images)."""
    if isinstance(model, GAN):
        return model.generator(_floats((2, model.latent_dim)))
    return model(x)


class Spec:
    """One model: its builder, a batch, how it is compiled and trained, a path at depth >= 2 to extract,
    a submodel to replace with a copy, a glob to freeze, paths that must exist, and the features that the
    model itself rules out (kernest must refuse them with a KernestError that says why)."""

    def __init__(self, build, data, inner, submodel, glob, compile=_compile_plain, unsafe=False,
                 refuses=(), expect_paths=(), fit=None):
        self.build, self.data, self.inner, self.submodel, self.glob = build, data, inner, submodel, glob
        self.compile, self.unsafe, self.refuses, self.expect_paths = compile, unsafe, set(refuses), expect_paths
        self.fit = fit or (lambda model, x, y: model.fit(x, y, batch_size=2, epochs=1, verbose=0))
        self.copy = _clone

    def inner_path(self, model: keras.Model) -> str:
        """``inner``, or where it is a glob (sublayers Keras named), the first path it matches."""
        import fnmatch

        import kernest

        return next(p for p in kernest.paths(model) if fnmatch.fnmatchcase(p, self.inner))


def _translation_data():
    ids = _ids((2, 6), 20)
    ids[1, 4:] = 0  # padding
    return {"encoder_inputs": ids, "decoder_inputs": _ids((2, 6), 20, 1)}, _ids((2, 6), 20, 2)


def _compile_distiller(model):
    model.compile(optimizer=keras.optimizers.SGD(), metrics=[keras.metrics.SparseCategoricalAccuracy()],
                  student_loss_fn=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  distillation_loss_fn=keras.losses.KLDivergence(), alpha=0.1, temperature=10)


def _fit_gan(model, images):
    """keras.io's train_step on TensorFlow (it uses GradientTapes); elsewhere one step of the discriminator on
    real and generated images, as the first half of that train_step does."""
    if keras.backend.backend() == "tensorflow":
        return model.fit(images, batch_size=2, epochs=1, verbose=0)
    fake = model.generator(_floats((2, model.latent_dim)))
    model.discriminator.compile("adam", "binary_crossentropy", run_eagerly=True)
    return model.discriminator.fit(ops.concatenate([fake, images]), np.array([[1], [1], [0], [0]], "float32"),
                                   batch_size=4, epochs=1, verbose=0)


def _compile_gan(model):
    model.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3), keras.losses.BinaryCrossentropy())


SPECS = [
    Spec(translation_transformer, _translation_data, "decoder/decoder_block", "encoder", "encoder/*",
         expect_paths=("encoder/encoder_block", "decoder/tgt_embedding")),
    Spec(distiller, lambda: (_floats((2, 8, 8, 1)), np.array([0, 2])), "student/conv1", "student", "student/conv1",
         compile=_compile_distiller, refuses=("replace",), expect_paths=("teacher/logits", "student/logits")),
    Spec(dcgan, lambda: (_floats((2, 8, 8, 1)), None), "generator/g_deconv", "generator", "discriminator/d_conv1",
         compile=_compile_gan, refuses=("extract", "replace", "save", "cli_file"),
         fit=lambda model, x, y: _fit_gan(model, x), expect_paths=("generator/g_fc", "discriminator/d_out")),
    Spec(autoencoder_features, lambda: (_floats((2, 8, 8, 1)), np.array([0, 2])), "encoder/conv", "encoder",
         "classes", expect_paths=("encoder/code",)),
    Spec(capsnet, lambda: ([_floats((2, 10, 10, 1)), np.eye(3, dtype="float32")[[0, 2]]],
                           [np.ones((2, 3), "float32"), _floats((2, 10, 10, 1), 1)]),
         "decoder/dense1", "decoder", "decoder/*", compile=lambda model: model.compile("sgd", ["mse", "mse"]),
         unsafe=True, expect_paths=("digitcaps", "decoder/out_recon")),
    Spec(attention_unet, lambda: (_floats((2, 8, 8, 1)), _floats((2, 8, 8, 1), 1)), "up1/gate", "up2", "down*/*",
         compile=lambda model: _compile_plain(model, "mse"), expect_paths=("up1/gate", "down2/bn")),
    Spec(mixed_data, lambda: ([_floats((2, 5)), _floats((2, 8, 8, 3))], _floats((2, 1))), "cnn_conv", "head_fc",
         "cnn_*", compile=lambda model: _compile_plain(model, "mse")),
    Spec(regularized_classifier, lambda: (_floats((2, 6)), np.array([0, 1])), "backbone/block/fc1", "backbone",
         "backbone/block/*", compile=lambda model: _compile_plain(model, keras.losses.SparseCategoricalCrossentropy(
             from_logits=True)), refuses=("replace",), expect_paths=("backbone/block/fc2", "head")),
    Spec(retinanet, lambda: (_floats((2, 16, 16, 3)), _floats((2, 168, 6))), "fpn/backbone/c4", "box_head",
         "fpn/backbone/*", compile=lambda model: _compile_plain(model, "mse"), refuses=("replace",),
         expect_paths=("fpn/backbone/c5", "classification_head/pred")),
    Spec(lstm_seq2seq, lambda: ([_floats((2, 3, 7)), _floats((2, 3, 7), 1)], _ids((2, 3), 7)),
         "decoder_model/decoder_lstm", "encoder_model", "encoder_model/*", expect_paths=("decoder_model/decoder_dense",)),
    Spec(grn_vsn, lambda: ({"age": _floats((2, 1)), "hours": _floats((2, 1), 1), "occupation": _ids((2, 1), 5)},
                           np.array([[0.0], [1.0]], "float32")),
         "vsn/gated_residual_network*", "vsn", "vsn/*", compile=lambda model: _compile_plain(model, "binary_crossentropy")),
    Spec(siamese_triplet, lambda: ([_floats((2, 8, 8, 3), i) for i in range(3)], None),
         "siamese_network/embedding/dense1", "siamese_network", "siamese_network/embedding/dense1",
         compile=lambda model: model.compile("sgd", run_eagerly=True), refuses=("replace",),
         fit=lambda model, x, y: model.fit(x, batch_size=2, epochs=1, verbose=0),
         expect_paths=("siamese_network/embedding/conv5_block1_out", "siamese_network/distance")),
]
