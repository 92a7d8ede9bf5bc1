"""Real-world nested models, twelfth batch: each rewritten small from the public code cited above it, keeping its
structure (the nesting, the custom layers and their quirks, the ops between layers). Kinds the first eleven batches
did not have: keras.io's multiple-choice model (a keras-hub style classifier, itself a functional subclass wrapping
a functional-subclass backbone, shared by the four options of a question), keras.io's trainer pattern (one model
wrapped by two subclassed trainers), keras.io's monocular depth estimation (a subclassed U-Net holding Python lists
of blocks that return two tensors), keras.io's Grad-CAM over a transfer-learned classifier (the gradient model
reaching into the nested base model), keras.io's dual encoder for image search (a subclassed model holding a text
and an image encoder, trained on a contrastive loss) and TensorFlow's pix2pix generator (a U-Net whose blocks are
Sequential models kept in Python lists)."""

from __future__ import annotations

import keras
import numpy as np

from tests.models_4 import _floats, _ids
from tests.models_5 import Spec5

L = keras.layers
ops = keras.ops
PACKAGE = "kernest_rw12"


def register(cls):
    return keras.saving.register_keras_serializable(package=PACKAGE)(cls)


def _tensorflow() -> bool:
    return keras.backend.backend() == "tensorflow"


# --- 1. keras.io "MultipleChoice Task with Transfer Learning" -----------------------------------------------
# https://keras.io/examples/nlp/multiple_choice_task_with_transfer_learning/ (build_model: token_ids and
# padding_mask inputs of shape (4, max_len), one keras_hub classifier with num_classes=1 called on each option's
# slice {k: v[:, option_idx, :]}, the four logits concatenated under a softmax) with the classifier written as
# keras-hub writes its models (keras_hub/src/models/bert/bert_backbone.py and bert_text_classifier.py): the
# Backbone and the Task are keras.Model subclasses that build a functional graph in __init__ and call
# super().__init__(inputs=..., outputs=...) and have get_config (keras-hub's set the layers as attributes before
# that call; here after it, as PyTorch's Module refuses a layer attribute before Module.__init__ on Keras 3.15.1's
# torch backend); the TransformerEncoder makes its sublayers in build(). Vocabulary 30, sequences of 6, hidden size 8, two layers.

OPTIONS, SEQ, VOCAB = 4, 6, 30


@register
class TransformerEncoder(L.Layer):
    def __init__(self, intermediate_dim, num_heads, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.intermediate_dim, self.num_heads, self.dropout = intermediate_dim, num_heads, dropout

    def build(self, inputs_shape):
        hidden_dim = inputs_shape[-1]
        self._self_attention_layer = L.MultiHeadAttention(self.num_heads, hidden_dim // self.num_heads,
                                                          dropout=self.dropout, name="self_attention_layer")
        self._self_attention_layer.build(inputs_shape, inputs_shape)
        self._self_attention_layer_norm = L.LayerNormalization(epsilon=1e-12, name="self_attention_layer_norm")
        self._self_attention_layer_norm.build(inputs_shape)
        self._feedforward_intermediate_dense = L.Dense(self.intermediate_dim, activation="gelu",
                                                       name="feedforward_intermediate_dense")
        self._feedforward_intermediate_dense.build(inputs_shape)
        self._feedforward_output_dense = L.Dense(hidden_dim, name="feedforward_output_dense")
        self._feedforward_output_dense.build((*inputs_shape[:-1], self.intermediate_dim))
        self._feedforward_layer_norm = L.LayerNormalization(epsilon=1e-12, name="feedforward_layer_norm")
        self._feedforward_layer_norm.build(inputs_shape)
        self.built = True

    def call(self, inputs, padding_mask=None, training=None):
        mask = None if padding_mask is None else ops.cast(padding_mask[:, None, :], "bool")  # (batch, 1, seq)
        x = self._self_attention_layer(inputs, inputs, attention_mask=mask, training=training)
        x = self._self_attention_layer_norm(inputs + x)
        y = self._feedforward_output_dense(self._feedforward_intermediate_dense(x))
        return self._feedforward_layer_norm(x + y)

    def get_config(self):
        return {**super().get_config(), "intermediate_dim": self.intermediate_dim, "num_heads": self.num_heads,
                "dropout": self.dropout}


@register
class PositionEmbedding(L.Layer):
    def __init__(self, sequence_length, **kwargs):
        super().__init__(**kwargs)
        self.sequence_length = sequence_length

    def build(self, inputs_shape):
        self.position_embeddings = self.add_weight(shape=(self.sequence_length, inputs_shape[-1]),
                                                   initializer="glorot_uniform", name="embeddings")

    def call(self, inputs):
        shape = ops.shape(inputs)
        feature_length, sequence_length = shape[-1], shape[-2]
        position_embeddings = ops.slice(ops.convert_to_tensor(self.position_embeddings), (0, 0),
                                        (sequence_length, feature_length))
        return ops.broadcast_to(position_embeddings, shape)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "sequence_length": self.sequence_length}


@register
class TinyBertBackbone(keras.Model):
    def __init__(self, vocabulary_size, num_layers, num_heads, hidden_dim, intermediate_dim, dropout=0.1,
                 max_sequence_length=16, **kwargs):
        # === Layers ===
        token_embedding = L.Embedding(vocabulary_size, hidden_dim, name="token_embedding")
        position_embedding = PositionEmbedding(max_sequence_length, name="position_embedding")
        embeddings_layer_norm = L.LayerNormalization(epsilon=1e-12, name="embeddings_layer_norm")
        transformer_layers = [TransformerEncoder(intermediate_dim, num_heads, dropout, name=f"transformer_layer_{i}")
                              for i in range(num_layers)]
        pooled_dense = L.Dense(hidden_dim, activation="tanh", name="pooled_dense")
        # === Functional Model ===
        token_id_input = keras.Input((None,), dtype="int32", name="token_ids")
        padding_mask_input = keras.Input((None,), dtype="int32", name="padding_mask")
        tokens = token_embedding(token_id_input)
        x = embeddings_layer_norm(L.Add()([tokens, position_embedding(tokens)]))
        for transformer_layer in transformer_layers:
            x = transformer_layer(x, padding_mask=padding_mask_input)
        super().__init__(inputs={"token_ids": token_id_input, "padding_mask": padding_mask_input},
                         outputs={"sequence_output": x, "pooled_output": pooled_dense(x[:, 0, :])}, **kwargs)
        self.token_embedding, self.position_embedding = token_embedding, position_embedding
        self.embeddings_layer_norm, self.transformer_layers = embeddings_layer_norm, transformer_layers
        self.pooled_dense = pooled_dense
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
class TinyBertTextClassifier(keras.Model):
    def __init__(self, backbone, num_classes, dropout=0.1, **kwargs):
        # === Layers ===
        output_dropout = L.Dropout(dropout, name="output_dropout")
        output_dense = L.Dense(num_classes, name="logits")
        # === Functional Model ===
        inputs = backbone.input
        pooled = backbone(inputs)["pooled_output"]
        outputs = output_dense(output_dropout(pooled))
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        self.backbone, self.output_dropout, self.output_dense = backbone, output_dropout, output_dense
        # === Config ===
        self.num_classes, self.dropout = num_classes, dropout

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, "backbone": keras.layers.serialize(self.backbone),
                "num_classes": self.num_classes, "dropout": self.dropout}

    @classmethod
    def from_config(cls, config):
        return cls(**{**config, "backbone": keras.layers.deserialize(config["backbone"])})


def multiple_choice() -> keras.Model:
    backbone = TinyBertBackbone(VOCAB, num_layers=2, num_heads=2, hidden_dim=8, intermediate_dim=16,
                                name="bert_backbone")
    classifier = TinyBertTextClassifier(backbone, num_classes=1, name="bert_text_classifier")
    inputs = {"token_ids": keras.Input((OPTIONS, SEQ), dtype="int32", name="token_ids"),
              "padding_mask": keras.Input((OPTIONS, SEQ), dtype="int32", name="padding_mask")}
    logits = []
    for option_idx in range(OPTIONS):
        option = {k: v[:, option_idx, :] for k, v in inputs.items()}
        logits.append(classifier(option))
    logits = L.Concatenate(axis=-1)(logits)
    outputs = L.Softmax(axis=-1)(logits)
    return keras.Model(inputs, outputs, name="multiple_choice")


def _data_multiple_choice():
    ids = _ids((2, OPTIONS, SEQ), VOCAB)
    mask = np.ones((2, OPTIONS, SEQ), "int32")
    ids[:, :, 5:], mask[:, :, 5:] = 0, 0  # each option padded to max_len
    return {"token_ids": ids, "padding_mask": mask}, np.array([1, 3])


def _copy_task(old: keras.Model) -> keras.Model:
    """A copy of the keras-hub style classifier (a functional subclass: from_config builds its graph)."""
    new = old.__class__.from_config(old.get_config())
    new.set_weights(old.get_weights())
    return new


def _break_multiple_choice(model, x):  # each option tokenized as its own row, as for the classifier alone
    flat = {k: v.reshape(-1, SEQ) for k, v in x.items()}
    model.predict(flat, verbose=0)


# --- 2. keras.io "Trainer pattern" --------------------------------------------------------------------------
# https://keras.io/examples/keras_recipes/trainer_pattern/ (get_model: a Sequential MNIST classifier; MyTrainer
# (keras.Model) holding the model as self.model, a loss and an accuracy metric, train_step and test_step with a
# GradientTape on self.model, call() delegating to it; two trainers made on the same model with different
# optimizers). 8x8 images, a hidden layer of 8 units, 4 classes.

def get_model():
    return keras.Sequential([keras.Input((8, 8)), L.Flatten(), L.Dense(8, activation="relu"), L.Dropout(0.2),
                             L.Dense(4, activation="softmax")])


class MyTrainer(keras.Model):
    def __init__(self, model):
        super().__init__()
        self.model = model
        self.loss_fn = keras.losses.SparseCategoricalCrossentropy()
        self.accuracy_metric = keras.metrics.SparseCategoricalAccuracy()

    @property
    def metrics(self):
        return [self.accuracy_metric]

    def train_step(self, data):
        import tensorflow as tf  # keras.io's train_step uses a GradientTape (TensorFlow backend)

        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self.model(x, training=True)
            loss = self.loss_fn(y, y_pred)
        trainable_vars = self.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply_gradients(zip(gradients, trainable_vars, strict=True))
        for metric in self.metrics:
            metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        y_pred = self.model(x, training=False)
        for metric in self.metrics:
            metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}

    def call(self, x):
        return self.model(x)


def trainer_pattern() -> keras.Model:
    model = get_model()
    trainer_1 = MyTrainer(model)
    MyTrainer(model)  # trainer_2, the same model under another optimizer
    trainer_1(ops.zeros((1, 8, 8)))
    return trainer_1


def _compile_trainer(model):
    model.compile(optimizer=keras.optimizers.SGD(0.1), run_eagerly=True)


def _fit_trainer(model, x, y):
    if _tensorflow():
        model.fit(x, y, batch_size=2, epochs=1, verbose=0)
        return
    # off TensorFlow, where the GradientTape cannot run: the trainer's loss in a plain step on the same model
    inner = model.model
    inner.compile(keras.optimizers.SGD(0.1), keras.losses.SparseCategoricalCrossentropy(), run_eagerly=True)
    inner.fit(x, y, batch_size=2, epochs=1, verbose=0)


def _break_trainer(model, x):  # MNIST's images flattened to 784 (the other common layout), here 64
    x_flat = x.reshape(len(x), -1)
    model(x_flat)


# --- 3. keras.io "Monocular depth estimation" ---------------------------------------------------------------
# https://keras.io/examples/vision/depth_estimation/ (DownscaleBlock returns the features and their pooling,
# UpscaleBlock takes the features below and the skip, BottleNeckBlock; DepthEstimationModel(keras.Model) holding
# the blocks in two Python lists, a 1x1 tanh convolution, a loss of SSIM, L1 and image-gradient terms in a
# GradientTape train_step, a Mean loss metric). Filters 2..8 instead of 16..256, 16x16 images instead of 256x256.

@register
class DownscaleBlock(L.Layer):
    def __init__(self, filters, kernel_size=(3, 3), padding="same", strides=1, **kwargs):
        super().__init__(**kwargs)
        self.convA = L.Conv2D(filters, kernel_size, strides, padding)  # noqa: N815 - keras.io's names
        self.convB = L.Conv2D(filters, kernel_size, strides, padding)  # noqa: N815
        self.reluA = L.LeakyReLU(negative_slope=0.2)  # noqa: N815
        self.reluB = L.LeakyReLU(negative_slope=0.2)  # noqa: N815
        self.bn2a = L.BatchNormalization()
        self.bn2b = L.BatchNormalization()
        self.pool = L.MaxPool2D((2, 2), (2, 2))

    def call(self, input_tensor):
        d = self.convA(input_tensor)
        x = self.bn2a(d)
        x = self.reluA(x)
        x = self.convB(x)
        x = self.bn2b(x)
        x = self.reluB(x)
        x += d
        p = self.pool(x)
        return x, p


@register
class UpscaleBlock(L.Layer):
    def __init__(self, filters, kernel_size=(3, 3), padding="same", strides=1, **kwargs):
        super().__init__(**kwargs)
        self.us = L.UpSampling2D((2, 2))
        self.convA = L.Conv2D(filters, kernel_size, strides, padding)  # noqa: N815
        self.convB = L.Conv2D(filters, kernel_size, strides, padding)  # noqa: N815
        self.reluA = L.LeakyReLU(negative_slope=0.2)  # noqa: N815
        self.reluB = L.LeakyReLU(negative_slope=0.2)  # noqa: N815
        self.bn2a = L.BatchNormalization()
        self.bn2b = L.BatchNormalization()
        self.conc = L.Concatenate()

    def call(self, x, skip):
        x = self.us(x)
        concat = self.conc([x, skip])
        x = self.convA(concat)
        x = self.bn2a(x)
        x = self.reluA(x)
        x = self.convB(x)
        x = self.bn2b(x)
        x = self.reluB(x)
        return x


@register
class BottleNeckBlock(L.Layer):
    def __init__(self, filters, kernel_size=(3, 3), padding="same", strides=1, **kwargs):
        super().__init__(**kwargs)
        self.convA = L.Conv2D(filters, kernel_size, strides, padding)  # noqa: N815
        self.convB = L.Conv2D(filters, kernel_size, strides, padding)  # noqa: N815
        self.reluA = L.LeakyReLU(negative_slope=0.2)  # noqa: N815
        self.reluB = L.LeakyReLU(negative_slope=0.2)  # noqa: N815

    def call(self, x):
        x = self.convA(x)
        x = self.reluA(x)
        x = self.convB(x)
        x = self.reluB(x)
        return x


@register
class DepthEstimationModel(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.ssim_loss_weight = 0.85
        self.l1_loss_weight = 0.1
        self.edge_loss_weight = 0.9
        self.loss_metric = keras.metrics.Mean(name="loss")
        f = [2, 2, 4, 4, 8]
        self.downscale_blocks = [DownscaleBlock(f[0]), DownscaleBlock(f[1]), DownscaleBlock(f[2]),
                                 DownscaleBlock(f[3])]
        self.bottle_neck_block = BottleNeckBlock(f[4])
        self.upscale_blocks = [UpscaleBlock(f[3]), UpscaleBlock(f[2]), UpscaleBlock(f[1]), UpscaleBlock(f[0])]
        self.conv_layer = L.Conv2D(1, (1, 1), padding="same", activation="tanh")

    def calculate_loss(self, target, pred):
        import tensorflow as tf  # keras.io's loss: tf.image's gradients and SSIM (TensorFlow backend)

        dy_true, dx_true = tf.image.image_gradients(target)
        dy_pred, dx_pred = tf.image.image_gradients(pred)
        weights_x = ops.cast(ops.exp(ops.mean(ops.abs(dx_true))), "float32")
        weights_y = ops.cast(ops.exp(ops.mean(ops.abs(dy_true))), "float32")
        smoothness_x = dx_pred * weights_x
        smoothness_y = dy_pred * weights_y
        depth_smoothness_loss = ops.mean(abs(smoothness_x)) + ops.mean(abs(smoothness_y))
        ssim_loss = ops.mean(1 - tf.image.ssim(target, pred, max_val=IMG_SIZE, filter_size=3, k1=0.01**2,
                                               k2=0.03**2))
        l1_loss = ops.mean(ops.abs(target - pred))
        return (self.ssim_loss_weight * ssim_loss + self.l1_loss_weight * l1_loss
                + self.edge_loss_weight * depth_smoothness_loss)

    @property
    def metrics(self):
        return [self.loss_metric]

    def train_step(self, batch_data):
        import tensorflow as tf

        input, target = batch_data  # noqa: A001 - keras.io's name
        with tf.GradientTape() as tape:
            pred = self(input, training=True)
            loss = self.calculate_loss(target, pred)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables, strict=True))
        self.loss_metric.update_state(loss)
        return {"loss": self.loss_metric.result()}

    def call(self, x):
        c1, p1 = self.downscale_blocks[0](x)
        c2, p2 = self.downscale_blocks[1](p1)
        c3, p3 = self.downscale_blocks[2](p2)
        c4, p4 = self.downscale_blocks[3](p3)
        bn = self.bottle_neck_block(p4)
        u1 = self.upscale_blocks[0](bn, c4)
        u2 = self.upscale_blocks[1](u1, c3)
        u3 = self.upscale_blocks[2](u2, c2)
        u4 = self.upscale_blocks[3](u3, c1)
        return self.conv_layer(u4)


IMG_SIZE = 16


def depth_estimation() -> keras.Model:
    model = DepthEstimationModel(name="depth_estimation_model")
    model(ops.zeros((1, IMG_SIZE, IMG_SIZE, 3)))
    return model


def _compile_depth(model):
    model.compile(keras.optimizers.SGD(0.01), run_eagerly=True)


def _fit_depth(model, x, y):
    if _tensorflow():
        model.fit(x, y, batch_size=2, epochs=1, verbose=0)
        return
    # off TensorFlow, where tf.image's SSIM cannot run: the loss's L1 term in a plain step of the same layers
    images = keras.Input((IMG_SIZE, IMG_SIZE, 3))
    trainer = keras.Model(images, model(images))
    trainer.compile(keras.optimizers.SGD(0.01), "mae", run_eagerly=True)
    trainer.fit(x, y, batch_size=2, epochs=1, verbose=0)


def _break_depth(model, x):  # a photo of 24x24, not a multiple of the 16 its four poolings need
    photo = np.zeros((1, 24, 24, 3), "float32")
    model(photo)


# --- 4. keras.io "Grad-CAM class activation visualization" on a transfer-learned classifier ----------------
# https://keras.io/examples/vision/grad_cam/ (make_gradcam_heatmap: grad_model = keras.models.Model(model.inputs,
# [model.get_layer(last_conv_layer_name).output, model.output]), a GradientTape over the class score) on the model
# of https://keras.io/guides/transfer_learning/ (a data_augmentation Sequential, Rescaling, the base model called
# with training=False, GlobalAveragePooling2D, Dropout, Dense(1)). The base here is a small functional CNN of
# separable convolutions (Xception's kind) of our own instead of keras.applications.Xception, 16x16 images.

def base_cnn() -> keras.Model:
    inputs = keras.Input((16, 16, 3))
    x = L.Conv2D(4, 3, strides=2, padding="same", name="block1_conv1")(inputs)
    x = L.Activation("relu", name="block1_conv1_act")(x)
    x = L.SeparableConv2D(8, 3, padding="same", name="block2_sepconv1")(x)
    x = L.BatchNormalization(name="block2_sepconv1_bn")(x)
    x = L.Activation("relu", name="block2_sepconv1_act")(x)
    x = L.SeparableConv2D(8, 3, padding="same", name="last_sepconv")(x)
    x = L.Activation("relu", name="last_sepconv_act")(x)
    return keras.Model(inputs, x, name="base_cnn")


def gradcam_classifier() -> keras.Model:
    base_model = base_cnn()
    base_model.trainable = False
    data_augmentation = keras.Sequential([L.RandomFlip("horizontal"), L.RandomRotation(0.1)],
                                         name="data_augmentation")
    inputs = keras.Input(shape=(16, 16, 3))
    x = data_augmentation(inputs)
    x = L.Rescaling(scale=1 / 127.5, offset=-1)(x)
    x = base_model(x, training=False)
    x = L.GlobalAveragePooling2D()(x)
    x = L.Dropout(0.2)(x)
    outputs = L.Dense(1)(x)
    return keras.Model(inputs, outputs, name="transfer_classifier")


def _break_gradcam(model, x):  # keras.io's grad_model, with the last convolution inside the nested base model
    last_conv_layer_name = "last_sepconv_act"
    keras.models.Model(model.inputs,
                       [model.get_layer("base_cnn").get_layer(last_conv_layer_name).output, model.output])


# --- 5. keras.io "Natural language image search with a Dual Encoder" ----------------------------------------
# https://keras.io/examples/vision/nl_image_search/ (project_embeddings: Dense, gelu, Dense, Dropout, a residual
# Add and LayerNormalization; create_vision_encoder: a frozen backbone under the projection; create_text_encoder:
# a frozen BERT under the projection; DualEncoder(keras.Model) holding both and a temperature, call() giving the
# caption and image embeddings, compute_loss from the similarity logits and the average of the two modalities'
# similarities as soft targets, a GradientTape train_step, a Mean loss tracker). A small CNN and a token
# Embedding with a GRU stand in for Xception and BERT; embeddings of 8.

def project_embeddings(embeddings, num_projection_layers, projection_dims, dropout_rate):
    projected_embeddings = L.Dense(units=projection_dims)(embeddings)
    for _ in range(num_projection_layers):
        x = ops.gelu(projected_embeddings)
        x = L.Dense(projection_dims)(x)
        x = L.Dropout(dropout_rate)(x)
        x = L.Add()([projected_embeddings, x])
        projected_embeddings = L.LayerNormalization()(x)
    return projected_embeddings


def create_vision_encoder(num_projection_layers, projection_dims, dropout_rate, trainable=False):
    backbone = keras.Sequential([keras.Input((16, 16, 3)), L.Conv2D(4, 3, strides=2, activation="relu"),
                                 L.GlobalAveragePooling2D()], name="xception")
    for layer in backbone.layers:
        layer.trainable = trainable
    inputs = L.Input(shape=(16, 16, 3), name="image_input")
    xception_input = L.Rescaling(1 / 127.5, offset=-1)(inputs)
    embeddings = backbone(xception_input)
    outputs = project_embeddings(embeddings, num_projection_layers, projection_dims, dropout_rate)
    return keras.Model(inputs, outputs, name="vision_encoder")


def create_text_encoder(num_projection_layers, projection_dims, dropout_rate, trainable=False):
    bert = keras.Sequential([keras.Input((None,), dtype="int32"), L.Embedding(VOCAB, 8), L.GRU(8)], name="bert")
    bert.trainable = trainable
    inputs = L.Input(shape=(None,), dtype="int32", name="text_input")
    embeddings = bert(inputs)
    outputs = project_embeddings(embeddings, num_projection_layers, projection_dims, dropout_rate)
    return keras.Model(inputs, outputs, name="text_encoder")


class DualEncoder(keras.Model):
    def __init__(self, text_encoder, image_encoder, temperature=1.0, **kwargs):
        super().__init__(**kwargs)
        self.text_encoder = text_encoder
        self.image_encoder = image_encoder
        self.temperature = temperature
        self.loss_tracker = keras.metrics.Mean(name="loss")

    @property
    def metrics(self):
        return [self.loss_tracker]

    def call(self, features, training=False):
        caption_embeddings = self.text_encoder(features["caption"], training=training)
        image_embeddings = self.image_encoder(features["image"], training=training)
        return caption_embeddings, image_embeddings

    def compute_loss(self, caption_embeddings, image_embeddings):
        logits = ops.matmul(caption_embeddings, ops.transpose(image_embeddings)) / self.temperature
        images_similarity = ops.matmul(image_embeddings, ops.transpose(image_embeddings))
        captions_similarity = ops.matmul(caption_embeddings, ops.transpose(caption_embeddings))
        targets = keras.activations.softmax((captions_similarity + images_similarity) / (2 * self.temperature))
        captions_loss = keras.losses.categorical_crossentropy(y_true=targets, y_pred=logits, from_logits=True)
        images_loss = keras.losses.categorical_crossentropy(y_true=ops.transpose(targets),
                                                            y_pred=ops.transpose(logits), from_logits=True)
        return (captions_loss + images_loss) / 2

    def train_step(self, features):
        import tensorflow as tf  # keras.io's train_step uses a GradientTape (TensorFlow backend)

        with tf.GradientTape() as tape:
            caption_embeddings, image_embeddings = self(features, training=True)
            loss = self.compute_loss(caption_embeddings, image_embeddings)
        gradients = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_variables, strict=True))
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}


def dual_encoder() -> keras.Model:
    vision_encoder = create_vision_encoder(num_projection_layers=1, projection_dims=8, dropout_rate=0.1)
    text_encoder = create_text_encoder(num_projection_layers=1, projection_dims=8, dropout_rate=0.1)
    model = DualEncoder(text_encoder, vision_encoder, temperature=0.05, name="dual_encoder")
    model({"caption": _ids((1, 5), VOCAB), "image": ops.zeros((1, 16, 16, 3))})
    return model


def _data_dual():
    return {"caption": _ids((2, 5), VOCAB), "image": _floats((2, 16, 16, 3)) * 255}, None


def _compile_dual(model):
    model.compile(optimizer=keras.optimizers.AdamW(learning_rate=0.001, weight_decay=0.001), run_eagerly=True)


class _Contrastive(keras.Model):
    """Off TensorFlow: the dual encoder's own loss, added in a plain training step (the gradients reach the
    same weights as keras.io's train_step)."""

    def __init__(self, dual):
        super().__init__()
        self.dual = dual

    def call(self, features, training=False):
        caption_embeddings, image_embeddings = self.dual(features, training=training)
        self.add_loss(ops.mean(self.dual.compute_loss(caption_embeddings, image_embeddings)))
        return caption_embeddings


def _fit_dual(model, x, y):
    if not _tensorflow():
        trainer = _Contrastive(model)
        trainer.compile(keras.optimizers.AdamW(learning_rate=0.001, weight_decay=0.001), run_eagerly=True)
        model = trainer
    model.fit(x, batch_size=2, epochs=1, verbose=0)


def _copy_dual_part(old: keras.Layer) -> keras.Layer:
    new = keras.models.clone_model(old)
    new.set_weights(old.get_weights())
    return new


def _break_dual(model, x):  # the image search's query: a caption alone, without the images the model also takes
    query = {"caption": x["caption"]}
    model(query)


# --- 6. TensorFlow's "pix2pix: Image-to-image translation with a conditional GAN", the generator ---------------
# https://www.tensorflow.org/tutorials/generative/pix2pix (downsample: a Sequential of a strided Conv2D, an
# optional BatchNormalization and LeakyReLU; upsample: a Sequential of Conv2DTranspose, BatchNormalization, an
# optional Dropout and ReLU; Generator: down_stack and up_stack Python lists of those Sequentials, the skips
# reversed and concatenated on the way up, a tanh Conv2DTranspose; Discriminator: [input, target] concatenated,
# downsample blocks, ZeroPadding2D, a PatchGAN output; generator_loss: the GAN term plus LAMBDA times L1).
# 32x32 images and 4..16 filters instead of 256x256 and 64..512.

OUTPUT_CHANNELS, PIX = 3, 32


def downsample(filters, size, apply_batchnorm=True):
    initializer = keras.initializers.RandomNormal(0.0, 0.02)
    result = keras.Sequential()
    result.add(L.Conv2D(filters, size, strides=2, padding="same", kernel_initializer=initializer, use_bias=False))
    if apply_batchnorm:
        result.add(L.BatchNormalization())
    result.add(L.LeakyReLU())
    return result


def upsample(filters, size, apply_dropout=False):
    initializer = keras.initializers.RandomNormal(0.0, 0.02)
    result = keras.Sequential()
    result.add(L.Conv2DTranspose(filters, size, strides=2, padding="same", kernel_initializer=initializer,
                                 use_bias=False))
    result.add(L.BatchNormalization())
    if apply_dropout:
        result.add(L.Dropout(0.5))
    result.add(L.ReLU())
    return result


def pix2pix_generator() -> keras.Model:
    inputs = L.Input(shape=[PIX, PIX, 3])
    down_stack = [downsample(4, 4, apply_batchnorm=False), downsample(8, 4), downsample(16, 4), downsample(16, 4)]
    up_stack = [upsample(16, 4, apply_dropout=True), upsample(8, 4), upsample(4, 4)]
    initializer = keras.initializers.RandomNormal(0.0, 0.02)
    last = L.Conv2DTranspose(OUTPUT_CHANNELS, 4, strides=2, padding="same", kernel_initializer=initializer,
                             activation="tanh")
    x = inputs
    skips = []
    for down in down_stack:
        x = down(x)
        skips.append(x)
    skips = reversed(skips[:-1])
    for up, skip in zip(up_stack, skips, strict=True):
        x = up(x)
        x = L.Concatenate()([x, skip])
    x = last(x)
    return keras.Model(inputs=inputs, outputs=x, name="generator")


LAMBDA = 100


def _compile_pix2pix(model):
    model.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), "mae", run_eagerly=True)  # the L1 term of the loss


def _break_pix2pix(model, x):  # the tutorial's 256x256 photos, not resized to the 32x32 this generator takes
    photos = np.zeros((1, 36, 36, 3), "float32")
    model(photos)


# --- how each model is fed, trained, copied and broken ----------------------------------------------------

def outputs_of(model: keras.Model, x: object) -> object:
    """What a model gives for ``x`` at inference (dropout and random augmentation off)."""
    return model(x, training=False)


def _compile_plain(model, loss="sparse_categorical_crossentropy"):
    model.compile("adam", loss, run_eagerly=True)


SPECS = [
    Spec5(multiple_choice, _data_multiple_choice, "bert_text_classifier/bert_backbone/transformer_layer_0",
          "bert_text_classifier", "bert_text_classifier/bert_backbone/*", copy=_copy_task,
          expect_paths=("bert_text_classifier/bert_backbone/transformer_layer_1", "bert_text_classifier/logits"),
          breaks=_break_multiple_choice, explains=r"(?s)multiple_choice.*\(batch, 4, 6\).*groups of 4 flattened.*v\.reshape\(-1, 4, \*v\.shape\[1:\]\) for k, v in flat\.items\(\)"),
    Spec5(trainer_pattern, lambda: (_floats((2, 8, 8)), np.array([0, 3])), "sequential/dense", "sequential",
          "sequential/dense", compile=_compile_trainer, fit=_fit_trainer, refuses=("replace", "save", "cli_file"),
          expect_paths=("sequential/dense_1",), breaks=_break_trainer, explains=r"(?s)sequential.*\(batch, 8, 8\).*x_flat\.reshape\(-1, 8, 8\)"),
    Spec5(depth_estimation, lambda: (_floats((2, IMG_SIZE, IMG_SIZE, 3)), _floats((2, IMG_SIZE, IMG_SIZE, 1), 1)),
          "downscale_block/conv2d", "bottle_neck_block", "downscale_block*", compile=_compile_depth, fit=_fit_depth,
          refuses=("replace",), expect_paths=("upscale_block_3/concatenate_3",), breaks=_break_depth,
          explains=r"(?s)depth_estimation_model.*multiples of 16.*Resizing\(32, 32\)\(photo\)"),
    Spec5(gradcam_classifier, lambda: (_floats((2, 16, 16, 3)) * 255, np.array([[1.0], [0.0]], "float32")),
          "base_cnn/last_sepconv_act", "base_cnn", "dense", compile=lambda m: _compile_plain(m, "mse"),
          expect_paths=("base_cnn/last_sepconv_act", "data_augmentation"), breaks=_break_gradcam,
          explains=r"(?s)base_cnn/last_sepconv_act.*kernest\.extract\(model, \[\"base_cnn/last_sepconv_act\", \"dense\"\]\)"),
    Spec5(dual_encoder, _data_dual, "vision_encoder/xception", "text_encoder", "vision_encoder/dense*",
          compile=_compile_dual, fit=_fit_dual, refuses=("replace", "save", "cli_file"), copy=_copy_dual_part,
          expect_paths=("text_encoder/bert", "vision_encoder/xception"), breaks=_break_dual,
          explains=r"(?s)dual_encoder.*add image \(batch, 16, 16, 3\).*query\[\"caption\"\]"),
    Spec5(pix2pix_generator, lambda: (_floats((2, PIX, PIX, 3)), _floats((2, PIX, PIX, 3), 1)),
          "sequential_1/conv2d*", "sequential_4", "sequential*", compile=_compile_pix2pix,
          expect_paths=("sequential", "sequential_6"), breaks=_break_pix2pix,
          explains=r"(?s)generator.*32, 32.*Resizing\(32, 32\)"),
]
