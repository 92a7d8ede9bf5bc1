"""Real-world nested models, ninth batch: each rewritten small from the public code cited above it, keeping its
structure (the nesting, the custom layers and their quirks, the ops between layers). Kinds the first eight
batches did not have: N-BEATS (block models returning a backcast and a forecast, the residual taken between
them, a trend block called twice as its stack shares weights, fixed bases as non-trainable weights), a
multi-gate mixture of experts (expert models, a gate model per task, ops between them in the functional graph,
a dict of task outputs), keras.io's CaiT (a subclassed model holding lists of block models that return
``[x, attention]``, class-attention blocks called on ``[x, cls_tokens]``, a tuple holding two dicts returned,
nested in a classifier), keras.io's semantic image clustering (one clustering model called on the anchors and on
their neighbours folded into the batch by ``ops.reshape(..., (-1, ...))``), an ArcFace head fed the labels as a
second input of the training model, and keras.io's traffic forecasting LSTM-GC (a graph convolution over a
node axis moved to the front, then an LSTM over nodes folded into the batch, inside one custom layer)."""

from __future__ import annotations

import keras
import numpy as np

from tests.models_4 import _compile_plain, _floats, _ids
from tests.models_5 import Spec5

L = keras.layers
ops = keras.ops
PACKAGE = "kernest_rw9"


def register(cls):
    return keras.saving.register_keras_serializable(package=PACKAGE)(cls)


# --- 1. N-BEATS ----------------------------------------------------------------------------------------------
# Oreshkin et al., "N-BEATS: Neural basis expansion analysis for interpretable time series forecasting" (ICLR
# 2020); ServiceNow/N-BEATS models/nbeats.py (NBeatsBlock: four FC layers then theta, a basis function maps theta
# to backcast and forecast; GenericBasis, TrendBasis (polynomial), SeasonalityBasis (Fourier), their bases kept
# as fixed, non-trainable parameters; NBeats.forward: residuals = x - backcast, forecast = sum of forecasts);
# philipperemy/n-beats (Keras; share_weights_in_stack: one block called again in its stack). Each block is a
# keras.Model here, as ServiceNow's are modules, with the basis a custom layer.

@register
class GenericBasis(L.Layer):
    def __init__(self, backcast_size, forecast_size, **kwargs):
        super().__init__(**kwargs)
        self.backcast_size, self.forecast_size = backcast_size, forecast_size

    def call(self, theta):
        return theta[:, :self.backcast_size], theta[:, -self.forecast_size:]

    def get_config(self):
        return {**super().get_config(), "backcast_size": self.backcast_size, "forecast_size": self.forecast_size}


@register
class TrendBasis(L.Layer):
    """theta (batch, 2 * (degree + 1)) -> a polynomial of that degree over the backcast and forecast times."""

    def __init__(self, degree, backcast_size, forecast_size, **kwargs):
        super().__init__(**kwargs)
        self.degree, self.backcast_size, self.forecast_size = degree, backcast_size, forecast_size

    def build(self, input_shape):
        powers = np.arange(self.degree + 1)[:, None]
        self.backcast_time = self.add_weight(
            shape=(self.degree + 1, self.backcast_size), trainable=False, name="backcast_time",
            initializer=keras.initializers.Constant(np.power(np.arange(self.backcast_size) / self.backcast_size, powers)))
        self.forecast_time = self.add_weight(
            shape=(self.degree + 1, self.forecast_size), trainable=False, name="forecast_time",
            initializer=keras.initializers.Constant(np.power(np.arange(self.forecast_size) / self.forecast_size, powers)))

    def call(self, theta):
        cut = self.degree + 1
        return ops.matmul(theta[:, cut:], self.backcast_time), ops.matmul(theta[:, :cut], self.forecast_time)

    def get_config(self):
        return {**super().get_config(), "degree": self.degree, "backcast_size": self.backcast_size,
                "forecast_size": self.forecast_size}


@register
class SeasonalityBasis(L.Layer):
    """theta -> sums of cosines and sines of ``harmonics`` frequencies over the backcast and forecast times."""

    def __init__(self, harmonics, backcast_size, forecast_size, **kwargs):
        super().__init__(**kwargs)
        self.harmonics, self.backcast_size, self.forecast_size = harmonics, backcast_size, forecast_size

    def _basis(self, size):
        frequency = np.arange(1, self.harmonics + 1)[:, None]
        grid = 2 * np.pi * frequency * (np.arange(size) / (self.backcast_size + self.forecast_size))
        return np.concatenate([np.cos(grid), np.sin(grid)], axis=0)  # (2 * harmonics, size)

    def build(self, input_shape):
        self.backcast_basis = self.add_weight(shape=(2 * self.harmonics, self.backcast_size), trainable=False,
                                              name="backcast_basis",
                                              initializer=keras.initializers.Constant(self._basis(self.backcast_size)))
        self.forecast_basis = self.add_weight(shape=(2 * self.harmonics, self.forecast_size), trainable=False,
                                              name="forecast_basis",
                                              initializer=keras.initializers.Constant(self._basis(self.forecast_size)))

    def call(self, theta):
        cut = 2 * self.harmonics
        return ops.matmul(theta[:, cut:], self.backcast_basis), ops.matmul(theta[:, :cut], self.forecast_basis)

    def get_config(self):
        return {**super().get_config(), "harmonics": self.harmonics, "backcast_size": self.backcast_size,
                "forecast_size": self.forecast_size}


def nbeats_block(name: str, theta_size: int, basis: L.Layer, backcast: int, units: int = 16) -> keras.Model:
    x = keras.Input((backcast,), name=f"{name}_input")
    h = x
    for i in range(4):
        h = L.Dense(units, activation="relu", name=f"fc{i + 1}")(h)
    backcast_out, forecast_out = basis(L.Dense(theta_size, name="theta")(h))
    return keras.Model(x, [backcast_out, forecast_out], name=name)


def nbeats(backcast: int = 12, forecast: int = 4) -> keras.Model:
    trend = nbeats_block("trend_block", 2 * 3, TrendBasis(2, backcast, forecast, name="trend_basis"), backcast)
    season = nbeats_block("seasonality_block", 2 * 2 * 2, SeasonalityBasis(2, backcast, forecast, name="seasonal_basis"),
                          backcast)
    generic = nbeats_block("generic_block", backcast + forecast, GenericBasis(backcast, forecast, name="generic_basis"),
                           backcast)
    series = keras.Input((backcast,), name="series")
    residuals, forecasts = series, []
    for i, block in enumerate([trend, trend, season, generic]):  # the trend stack shares its block's weights
        block_backcast, block_forecast = block(residuals)
        residuals = L.Subtract(name=f"residual_{i}")([residuals, block_backcast])
        forecasts.append(block_forecast)
    return keras.Model(series, L.Add(name="forecast")(forecasts), name="nbeats")


# --- 2. Multi-gate mixture of experts ------------------------------------------------------------------------
# Ma et al., "Modeling Task Relationships in Multi-task Learning with Multi-gate Mixture-of-Experts" (KDD 2018),
# on its census-income tasks (income, marital status); shenweichen/DeepCTR deepctr/models/multitask/mmoe.py
# (the inputs embedded and concatenated, one DNN per expert, per task a gate DNN then a softmax Dense over the
# experts, the experts stacked and weighted by the gate with tensor ops, a tower DNN and a sigmoid per task).
# The experts, gates and towers are models here (DeepCTR builds them as DNN layers), the ops between them stay
# in the functional graph.

def mmoe(experts: int = 3, expert_units: int = 8, tasks: tuple[str, ...] = ("income", "marital")) -> keras.Model:
    inputs = {"age": keras.Input((1,), name="age"), "hours": keras.Input((1,), name="hours"),
              "education": keras.Input((1,), dtype="int32", name="education")}
    education = L.Flatten(name="education_flat")(L.Embedding(16, 4, name="education_emb")(inputs["education"]))
    dnn_input = L.Concatenate(name="dnn_input")([inputs["age"], inputs["hours"], education])
    expert_outs = [keras.Sequential([L.Dense(16, activation="relu"), L.Dense(expert_units, activation="relu")],
                                    name=f"expert_{i}")(dnn_input) for i in range(experts)]
    expert_concat = ops.stack(expert_outs, axis=1)  # (batch, experts, expert_units)
    outputs = {}
    for task in tasks:
        gate = keras.Sequential([L.Dense(8, activation="relu"), L.Dense(experts, activation="softmax")],
                                name=f"gate_{task}")(dnn_input)  # (batch, experts)
        mixed = ops.sum(expert_concat * ops.expand_dims(gate, -1), axis=1)  # (batch, expert_units)
        tower = keras.Sequential([L.Dense(8, activation="relu"), L.Dense(1, activation="sigmoid")],
                                 name=f"tower_{task}")
        outputs[task] = tower(mixed)
    return keras.Model(inputs, outputs, name="mmoe")


# --- 3. keras.io "Class Attention Image Transformers with LayerScale" -----------------------------------------
# https://keras.io/examples/vision/cait/ (LayerScale, StochasticDepth, ClassAttn and TalkingHeadAttn layers
# returning (x, attention); LayerScaleBlock and LayerScaleBlockClassAttn functions returning keras.Model's with
# outputs [outputs, attn_scores], the latter on [x, x_cls]; CaiT(keras.Model) keeps the blocks in two Python
# lists, a cls_token and a pos_embed variable, tiles the cls token to the batch and returns
# (logits, sa_ffn_attn, ca_ffn_attn)). keras.io's ml_collections config becomes keyword arguments; the model is
# nested in a classifier that keeps the logits, as people fine-tune it.

@register
class LayerScale(L.Layer):
    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.init_values, self.projection_dim = init_values, projection_dim
        self.gamma = self.add_weight(shape=(projection_dim,), name="layer_scale",
                                     initializer=keras.initializers.Constant(init_values))

    def call(self, x):
        return x * self.gamma

    def get_config(self):
        return {**super().get_config(), "init_values": self.init_values, "projection_dim": self.projection_dim}


@register
class StochasticDepth(L.Layer):
    def __init__(self, drop_prop, **kwargs):
        super().__init__(**kwargs)
        self.drop_prob = drop_prop
        self.seed_generator = keras.random.SeedGenerator(1)

    def call(self, x, training=False):
        if training:
            keep_prob = 1 - self.drop_prob
            shape = (ops.shape(x)[0],) + (1,) * (len(x.shape) - 1)
            random_tensor = ops.floor(keep_prob + keras.random.uniform(shape, 0, 1, seed=self.seed_generator))
            return (x / keep_prob) * random_tensor
        return x

    def get_config(self):
        return {**super().get_config(), "drop_prop": self.drop_prob}


@register
class ClassAttn(L.Layer):
    def __init__(self, projection_dim, num_heads, dropout_rate, **kwargs):
        super().__init__(**kwargs)
        self.projection_dim, self.num_heads, self.dropout_rate = projection_dim, num_heads, dropout_rate
        self.scale = (projection_dim // num_heads) ** -0.5
        self.q, self.k, self.v = (L.Dense(projection_dim) for _ in range(3))
        self.attn_drop = L.Dropout(dropout_rate)
        self.proj = L.Dense(projection_dim)
        self.proj_drop = L.Dropout(dropout_rate)

    def call(self, x, training=None):
        batch, tokens, channels = ops.shape(x)[0], ops.shape(x)[1], x.shape[2]
        heads = self.num_heads
        q = ops.expand_dims(self.q(x[:, 0]), axis=1)
        q = ops.transpose(ops.reshape(q, (batch, 1, heads, channels // heads)), (0, 2, 1, 3)) * self.scale
        k = ops.transpose(ops.reshape(self.k(x), (batch, tokens, heads, channels // heads)), (0, 2, 1, 3))
        v = ops.transpose(ops.reshape(self.v(x), (batch, tokens, heads, channels // heads)), (0, 2, 1, 3))
        attn = self.attn_drop(ops.softmax(ops.matmul(q, ops.transpose(k, (0, 1, 3, 2))), axis=-1), training=training)
        x_cls = ops.reshape(ops.transpose(ops.matmul(attn, v), (0, 2, 1, 3)), (batch, 1, channels))
        return self.proj_drop(self.proj(x_cls), training=training), attn

    def get_config(self):
        return {**super().get_config(), "projection_dim": self.projection_dim, "num_heads": self.num_heads,
                "dropout_rate": self.dropout_rate}


@register
class TalkingHeadAttn(L.Layer):
    def __init__(self, projection_dim, num_heads, dropout_rate, **kwargs):
        super().__init__(**kwargs)
        self.projection_dim, self.num_heads, self.dropout_rate = projection_dim, num_heads, dropout_rate
        self.scale = (projection_dim // num_heads) ** -0.5
        self.qkv = L.Dense(projection_dim * 3)
        self.attn_drop = L.Dropout(dropout_rate)
        self.proj = L.Dense(projection_dim)
        self.proj_l = L.Dense(num_heads)
        self.proj_w = L.Dense(num_heads)
        self.proj_drop = L.Dropout(dropout_rate)

    def call(self, x, training=None):
        batch, tokens, channels = ops.shape(x)[0], ops.shape(x)[1], x.shape[2]
        heads = self.num_heads
        qkv = ops.transpose(ops.reshape(self.qkv(x), (batch, tokens, 3, heads, channels // heads)), (2, 0, 3, 1, 4))
        q, k, v = qkv[0] * self.scale, qkv[1], qkv[2]
        attn = ops.matmul(q, ops.transpose(k, (0, 1, 3, 2)))
        attn = ops.transpose(self.proj_l(ops.transpose(attn, (0, 2, 3, 1))), (0, 3, 1, 2))
        attn = ops.softmax(attn, axis=-1)
        attn = ops.transpose(self.proj_w(ops.transpose(attn, (0, 2, 3, 1))), (0, 3, 1, 2))
        attn = self.attn_drop(attn, training=training)
        x = ops.reshape(ops.transpose(ops.matmul(attn, v), (0, 2, 1, 3)), (batch, tokens, channels))
        return self.proj_drop(self.proj(x), training=training), attn

    def get_config(self):
        return {**super().get_config(), "projection_dim": self.projection_dim, "num_heads": self.num_heads,
                "dropout_rate": self.dropout_rate}


def cait_mlp(x, dropout_rate: float, hidden_units: list[int]):
    for idx, units in enumerate(hidden_units):
        x = L.Dense(units, activation=ops.gelu if idx == 0 else None,
                    bias_initializer=keras.initializers.RandomNormal(stddev=1e-6))(x)
        x = L.Dropout(dropout_rate)(x)
    return x


def LayerScaleBlockClassAttn(dim, heads, mlp_units, drop_prob, name):  # noqa: N802 - keras.io's name
    x = keras.Input((None, dim))
    x_cls = keras.Input((None, dim))
    inputs = L.Concatenate(axis=1)([x_cls, x])
    x1 = L.LayerNormalization(epsilon=1e-6)(inputs)
    attn_output, attn_scores = ClassAttn(dim, heads, 0.0)(x1)
    attn_output = LayerScale(1e-5, dim)(attn_output)
    attn_output = StochasticDepth(drop_prob)(attn_output) if drop_prob else attn_output
    x2 = L.Add()([x_cls, attn_output])
    x3 = L.LayerNormalization(epsilon=1e-6)(x2)
    x4 = LayerScale(1e-5, dim)(cait_mlp(x3, hidden_units=mlp_units, dropout_rate=0.0))
    x4 = StochasticDepth(drop_prob)(x4) if drop_prob else x4
    outputs = L.Add()([x2, x4])
    return keras.Model([x, x_cls], [outputs, attn_scores], name=name)


def LayerScaleBlock(dim, heads, mlp_units, dropout_rate, drop_prob, name):  # noqa: N802 - keras.io's name
    encoded_patches = keras.Input((None, dim))
    x1 = L.LayerNormalization(epsilon=1e-6)(encoded_patches)
    attn_output, attn_scores = TalkingHeadAttn(dim, heads, dropout_rate)(x1)
    attn_output = LayerScale(1e-5, dim)(attn_output)
    attn_output = StochasticDepth(drop_prob)(attn_output) if drop_prob else attn_output
    x2 = L.Add()([encoded_patches, attn_output])
    x3 = L.LayerNormalization(epsilon=1e-6)(x2)
    x4 = LayerScale(1e-5, dim)(cait_mlp(x3, hidden_units=mlp_units, dropout_rate=dropout_rate))
    x4 = StochasticDepth(drop_prob)(x4) if drop_prob else x4
    outputs = L.Add()([x2, x4])
    return keras.Model(encoded_patches, [outputs, attn_scores], name=name)


@register
class CaiT(keras.Model):
    def __init__(self, image_size=8, patch_size=2, projection_dim=8, num_heads=2, sa_ffn_layers=2, ca_ffn_layers=1,
                 num_classes=3, dropout_rate=0.0, drop_path_rate=0.1, global_pool="token", **kwargs):
        super().__init__(**kwargs)
        self.settings = dict(image_size=image_size, patch_size=patch_size, projection_dim=projection_dim,
                             num_heads=num_heads, sa_ffn_layers=sa_ffn_layers, ca_ffn_layers=ca_ffn_layers,
                             num_classes=num_classes, dropout_rate=dropout_rate, drop_path_rate=drop_path_rate,
                             global_pool=global_pool)
        self.global_pool = global_pool
        num_patches = (image_size // patch_size) ** 2
        mlp_units = [projection_dim * 4, projection_dim]
        self.projection = keras.Sequential([
            L.Conv2D(projection_dim, patch_size, strides=patch_size, padding="valid", name="conv_projection",
                     kernel_initializer="lecun_normal"),
            L.Reshape((-1, projection_dim), name="flatten_projection"),
        ], name="projection")
        self.cls_token = self.add_weight(shape=(1, 1, projection_dim), initializer="zeros", name="cls_token")
        self.pos_embed = self.add_weight(shape=(1, num_patches, projection_dim), initializer="zeros", name="pos_embed")
        self.pos_drop = L.Dropout(dropout_rate, name="projection_dropout")
        self.blocks = [LayerScaleBlock(projection_dim, num_heads, mlp_units, dropout_rate, drop_path_rate,
                                       name=f"sa_ffn_block_{i}") for i in range(sa_ffn_layers)]
        self.blocks_token_only = [LayerScaleBlockClassAttn(projection_dim, num_heads, mlp_units, 0.0,
                                                           name=f"ca_ffn_block_{i}") for i in range(ca_ffn_layers)]
        self.norm = L.LayerNormalization(epsilon=1e-6, name="head_norm")
        self.head = L.Dense(num_classes, name="classification_head")

    def call(self, x):
        x = self.projection(x)
        x = x + self.pos_embed
        x = self.pos_drop(x)
        sa_ffn_attn = {}
        for blk in self.blocks:
            x, attn_scores = blk(x)
            sa_ffn_attn[f"{blk.name}_att"] = attn_scores
        ca_ffn_attn = {}
        cls_tokens = ops.tile(self.cls_token, (ops.shape(x)[0], 1, 1))
        for blk in self.blocks_token_only:
            cls_tokens, attn_scores = blk([x, cls_tokens])
            ca_ffn_attn[f"{blk.name}_att"] = attn_scores
        x = self.norm(ops.concatenate([cls_tokens, x], axis=1))
        x = ops.mean(x[:, 1:], axis=1) if self.global_pool == "avg" else x[:, 0]
        return self.head(x), sa_ffn_attn, ca_ffn_attn

    def get_config(self):
        return {**super().get_config(), **self.settings}


def cait(size: int = 8) -> keras.Model:
    images = keras.Input((size, size, 3), name="images")
    logits, _, _ = CaiT(image_size=size, name="cait")(images)
    return keras.Model(images, logits, name="cait_classifier")


# --- 4. keras.io "Semantic Image Clustering" ------------------------------------------------------------------
# https://keras.io/examples/vision/semantic_image_clustering/ (create_encoder: a backbone then a Dense
# representation; create_clustering_model: data_augmentation, the encoder, a softmax Dense over the clusters;
# create_clustering_learner: inputs anchors (batch, 32, 32, 3) and neighbours (batch, k, 32, 32, 3), the
# neighbours folded into the batch with ops.reshape(neighbours, (-1,) + input_shape), the same clustering model
# called on both, unfolded, an einsum similarity and a Lambda squeeze; outputs [similarity, anchor_clustering]).
# keras.io's backbone is ResNet50V2 (weights=None) at 32x32; a small conv stack stands in for it here.

def semantic_clustering(size: int = 8, k_neighbours: int = 3, clusters: int = 4) -> keras.Model:
    input_shape = (size, size, 3)
    data_augmentation = keras.Sequential([L.Normalization(), L.RandomTranslation(0.1, 0.1), L.RandomFlip("horizontal"),
                                          L.RandomZoom(0.1)], name="data_augmentation")
    data_augmentation.layers[0].adapt(_floats((4, *input_shape), seed=5))
    encoder = keras.Sequential([keras.Input(input_shape), L.Conv2D(8, 3, activation="relu", name="conv1"),
                                L.Conv2D(8, 3, activation="relu", name="conv2"), L.GlobalAveragePooling2D(name="pool"),
                                L.Dense(8, name="representation")], name="encoder")
    inputs = keras.Input(shape=input_shape)
    features = encoder(data_augmentation(inputs))
    clustering_model = keras.Model(inputs, L.Dense(clusters, activation="softmax", name="clusters")(features),
                                   name="clustering")
    anchor = keras.Input(shape=input_shape, name="anchors")
    neighbours = keras.Input(shape=(k_neighbours, *input_shape), name="neighbours")
    neighbours_reshaped = ops.reshape(neighbours, (-1, *input_shape))
    anchor_clustering = clustering_model(anchor)
    neighbours_clustering = clustering_model(neighbours_reshaped)
    neighbours_clustering = ops.reshape(neighbours_clustering, (-1, k_neighbours, ops.shape(neighbours_clustering)[-1]))
    similarity = ops.einsum("bij,bkj->bik", ops.expand_dims(anchor_clustering, axis=1), neighbours_clustering)
    similarity = L.Lambda(lambda x: ops.squeeze(x, axis=1), name="similarity")(similarity)
    return keras.Model([anchor, neighbours], [similarity, anchor_clustering], name="clustering_learner")


@register
class ClustersConsistencyLoss(keras.losses.Loss):
    def call(self, target, similarity):
        return -ops.mean(ops.log(similarity + 1e-8), axis=1)


@register
class ClustersEntropyLoss(keras.losses.Loss):
    def __init__(self, entropy_loss_weight: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.entropy_loss_weight = entropy_loss_weight

    def call(self, target, cluster_probabilities):
        num_clusters = ops.cast(ops.shape(cluster_probabilities)[-1], "float32")
        target = ops.log(num_clusters)
        cluster_probabilities = ops.mean(cluster_probabilities, axis=0)
        cluster_probabilities = ops.clip(cluster_probabilities, 1e-8, 1.0)
        entropy = -ops.sum(cluster_probabilities * ops.log(cluster_probabilities))
        return (target - entropy) * self.entropy_loss_weight


# --- 5. ArcFace ----------------------------------------------------------------------------------------------
# Deng et al., "ArcFace: Additive Angular Margin Loss for Deep Face Recognition" (CVPR 2019); 4uiiurz1/keras-arcface
# metrics.py (ArcFace(n_classes, s, m, regularizer) called on [x, y]: the labels are a second input of the
# training model; W made in build() from input_shape[0]; the margin added to the target class's angle) and
# train.py (a VGG8 embedding, then the head; for inference the embedding is cut out of the model). The embedding
# is a model of its own here, as people reuse it.

@register
class ArcFace(L.Layer):
    def __init__(self, n_classes=10, s=30.0, m=0.50, regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.n_classes, self.s, self.m = n_classes, s, m
        self.regularizer = keras.regularizers.get(regularizer)

    def build(self, input_shape):
        self.W = self.add_weight(name="W", shape=(input_shape[0][-1], self.n_classes), initializer="glorot_uniform",
                                 trainable=True, regularizer=self.regularizer)

    def call(self, inputs):
        x, y = inputs
        x = ops.normalize(x, axis=1)
        W = ops.normalize(self.W, axis=0)
        logits = ops.matmul(x, W)
        theta = ops.arccos(ops.clip(logits, -1.0 + keras.config.epsilon(), 1.0 - keras.config.epsilon()))
        target_logits = ops.cos(theta + self.m)
        logits = logits * (1 - y) + target_logits * y
        return ops.softmax(logits * self.s)

    def compute_output_shape(self, input_shape):
        return (None, self.n_classes)

    def get_config(self):
        return {**super().get_config(), "n_classes": self.n_classes, "s": self.s, "m": self.m,
                "regularizer": keras.regularizers.serialize(self.regularizer)}


def vgg_block(x, filters: int, name: str):
    for i in range(2):
        x = L.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv{i + 1}")(x)
        x = L.BatchNormalization(name=f"{name}_bn{i + 1}")(x)
        x = L.Activation("relu", name=f"{name}_relu{i + 1}")(x)
    return L.MaxPooling2D(2, name=f"{name}_pool")(x)


def arcface(size: int = 8, classes: int = 4, dim: int = 8) -> keras.Model:
    image = keras.Input((size, size, 1), name="image")
    x = vgg_block(vgg_block(image, 4, "block1"), 8, "block2")
    x = L.BatchNormalization(name="bn")(x)
    x = L.Dropout(0.5, name="dropout")(x)
    x = L.Flatten(name="flatten")(x)
    x = L.Dense(dim, kernel_initializer="he_normal", kernel_regularizer=keras.regularizers.L2(1e-4), name="fc")(x)
    embedding = keras.Model(image, L.BatchNormalization(name="embedding_bn")(x), name="embedding")
    images = keras.Input((size, size, 1), name="images")
    labels = keras.Input((classes,), name="labels")
    output = ArcFace(classes, regularizer=keras.regularizers.L2(1e-4), name="arcface")([embedding(images), labels])
    return keras.Model([images, labels], output, name="arcface_trainer")


# --- 6. keras.io "Traffic forecasting using graph neural networks and LSTM" -----------------------------------
# https://keras.io/examples/timeseries/timeseries_traffic_forecasting/ (GraphInfo(edges, num_nodes); GraphConv:
# a weight (in_feat, out_feat), nodes as the first axis: (num_nodes, batch_size, input_seq_len, in_feat),
# neighbour messages gathered along the edges and averaged per node, concatenated with the node's own
# representation; LSTMGC: transposes the input to put the nodes first, the graph convolution, the nodes folded
# into the batch of an LSTM, a Dense to the forecast horizon, transposed back to (batch, horizon, nodes)).
# keras.io's layers have no get_config; they have one here (the edges as lists), so that the model saves.

@register
class GraphConv(L.Layer):
    def __init__(self, in_feat, out_feat, edges, num_nodes, aggregation_type="mean", combination_type="concat",
                 activation=None, **kwargs):
        super().__init__(**kwargs)
        self.in_feat, self.out_feat = in_feat, out_feat
        self.edges, self.num_nodes = [list(e) for e in edges], num_nodes
        self.aggregation_type, self.combination_type = aggregation_type, combination_type
        self.activation = keras.activations.get(activation)
        self.weight = self.add_weight(initializer=keras.initializers.GlorotUniform(), shape=(in_feat, out_feat),
                                      dtype="float32", trainable=True, name="weight")

    def aggregate(self, neighbour_representations):
        segments = np.array(self.edges[0], "int32")
        total = ops.segment_sum(neighbour_representations, segments, num_segments=self.num_nodes)
        if self.aggregation_type == "sum":
            return total
        counts = np.maximum(np.bincount(segments, minlength=self.num_nodes), 1).astype("float32")
        return total / ops.reshape(counts, (-1, 1, 1, 1))

    def compute_nodes_representation(self, features):
        return ops.matmul(features, self.weight)

    def compute_aggregated_messages(self, features):
        neighbour_representations = ops.take(features, np.array(self.edges[1], "int32"), axis=0)
        return ops.matmul(self.aggregate(neighbour_representations), self.weight)

    def update(self, nodes_representation, aggregated_messages):
        if self.combination_type == "concat":
            h = ops.concatenate([nodes_representation, aggregated_messages], axis=-1)
        else:
            h = nodes_representation + aggregated_messages
        return self.activation(h)

    def call(self, features):
        return self.update(self.compute_nodes_representation(features), self.compute_aggregated_messages(features))

    def get_config(self):
        return {**super().get_config(), "in_feat": self.in_feat, "out_feat": self.out_feat, "edges": self.edges,
                "num_nodes": self.num_nodes, "aggregation_type": self.aggregation_type,
                "combination_type": self.combination_type, "activation": keras.activations.serialize(self.activation)}


@register
class LSTMGC(L.Layer):
    def __init__(self, in_feat, out_feat, lstm_units, input_seq_len, output_seq_len, edges, num_nodes,
                 graph_conv_params=None, **kwargs):
        super().__init__(**kwargs)
        self.settings = dict(in_feat=in_feat, out_feat=out_feat, lstm_units=lstm_units, input_seq_len=input_seq_len,
                             output_seq_len=output_seq_len, edges=[list(e) for e in edges], num_nodes=num_nodes,
                             graph_conv_params=graph_conv_params)
        graph_conv_params = graph_conv_params or {"aggregation_type": "mean", "combination_type": "concat",
                                                  "activation": None}
        self.graph_conv = GraphConv(in_feat, out_feat, edges, num_nodes, **graph_conv_params)
        self.lstm = L.LSTM(lstm_units, activation="relu")
        self.dense = L.Dense(output_seq_len)
        self.input_seq_len, self.output_seq_len = input_seq_len, output_seq_len

    def call(self, inputs):
        inputs = ops.transpose(inputs, [2, 0, 1, 3])  # (num_nodes, batch_size, input_seq_len, in_feat)
        gcn_out = self.graph_conv(inputs)
        shape = ops.shape(gcn_out)
        num_nodes, batch_size, input_seq_len, out_feat = shape[0], shape[1], shape[2], shape[3]
        gcn_out = ops.reshape(gcn_out, (batch_size * num_nodes, input_seq_len, out_feat))
        dense_output = self.dense(self.lstm(gcn_out))
        output = ops.reshape(dense_output, (num_nodes, batch_size, self.output_seq_len))
        return ops.transpose(output, [1, 2, 0])  # (batch_size, output_seq_len, num_nodes)

    def get_config(self):
        return {**super().get_config(), **self.settings}


ROAD_EDGES = ([0, 1, 1, 2, 2, 3, 0, 1, 2, 3], [1, 0, 2, 1, 3, 2, 0, 1, 2, 3])  # a road of 4 sensors, self-loops


def traffic_gnn(steps: int = 6, horizon: int = 3, nodes: int = 4) -> keras.Model:
    st_gcn = LSTMGC(1, 4, 8, steps, horizon, ROAD_EDGES, nodes, name="lstmgc")
    inputs = L.Input((steps, nodes, 1), name="speeds")
    return keras.Model(inputs, st_gcn(inputs), name="traffic_forecaster")


# --- how each model is fed, trained, copied and broken ----------------------------------------------------

def outputs_of(model: keras.Model, x: object) -> object:
    """What a model gives for ``x`` at inference (random augmentation, dropout and stochastic depth off)."""
    return model(x, training=False)


def _data_mmoe():
    x = {"age": _floats((4, 1)), "hours": _floats((4, 1), 1), "education": _ids((4, 1), 16)}
    return x, {"income": np.array([[0.0], [1.0], [1.0], [0.0]], "float32"),
               "marital": np.array([[1.0], [1.0], [0.0], [0.0]], "float32")}


def _data_clustering():
    return [_floats((2, 8, 8, 3)), _floats((2, 3, 8, 8, 3), 1)], [np.zeros((2, 3), "float32"), np.zeros((2, 4), "float32")]


def _compile_clustering(model):
    model.compile("adam", loss=[ClustersConsistencyLoss(), ClustersEntropyLoss(entropy_loss_weight=5)],
                  run_eagerly=True)


def _data_arcface():
    labels = np.eye(4, dtype="float32")[[0, 2]]
    return [_floats((2, 8, 8, 1)), labels], labels


def _break_nbeats(model, x):  # a window of 10 steps into a model of 12
    model(x[:, :10])


def _break_mmoe(model, x):  # the education column left out of the record
    model({k: v for k, v in x.items() if k != "education"})


def _break_cait(model, x):  # grey images into patches made for RGB
    model(x[..., :1])


def _break_clustering(model, x):  # two neighbours per anchor into a learner of three
    model([x[0], x[1][:, :2]])


def _break_arcface(model, x):  # integer class ids as the labels, not one-hot rows
    model([x[0], np.array([0, 2], "float32")])


def _break_traffic(model, x):  # a fifth sensor's speeds into a model of the road's four
    model(np.concatenate([x, x[:, :, :1]], axis=2))


SPECS = [
    Spec5(nbeats, lambda: (_floats((4, 12)), _floats((4, 4), seed=1)), "trend_block/trend_basis", "seasonality_block",
          "trend_block*", compile=lambda model: _compile_plain(model, "mse"),
          expect_paths=("trend_block/fc1", "seasonality_block/seasonal_basis", "generic_block/theta"),
          breaks=_break_nbeats, explains=r"(?s)^(?!.*Dense\(12\)).*nbeats.*(gives 10 features but nbeats was built for 12|nbeats was built for 12 "
          r"features per sample.*has 10).*residual_0 is made for 12"),
    Spec5(mmoe, _data_mmoe, "expert_1/dense*", "tower_income", "expert_*",
          compile=lambda model: model.compile("sgd", {"income": "binary_crossentropy", "marital": "binary_crossentropy"},
                                              run_eagerly=True),
          expect_paths=("expert_0", "gate_income", "gate_marital", "tower_marital"), breaks=_break_mmoe,
          explains=r"(?s)^(?!.*rename).*no 'education'"),
    Spec5(cait, lambda: (_floats((2, 8, 8, 3)), np.array([0, 2])), "cait/sa_ffn_block_1/talking_head_attn*",
          "cait", "cait/sa_ffn_block_0*",
          compile=lambda model: _compile_plain(model, keras.losses.SparseCategoricalCrossentropy(from_logits=True)),
          expect_paths=("cait/projection", "cait/sa_ffn_block_1", "cait/ca_ffn_block_0", "cait/head_norm"),
          breaks=_break_cait, explains=r"(?s)^(?!.*one instance).*cait.*(gives 1 features? but \S+ was built for 3"
          r"|input 'images' was declared \(batch, 8, 8, 3\) and gets \(batch, 8, 8, 1\))"),
    Spec5(semantic_clustering, _data_clustering, "clustering/encoder/conv2", "clustering", "clustering/encoder*",
          compile=_compile_clustering, unsafe=True,
          expect_paths=("clustering/data_augmentation", "clustering/encoder/representation", "similarity"),
          breaks=_break_clustering, explains=r"(?s)^(?!.*as None).*neighbours.*(3.*2|2.*3)"),
    Spec5(arcface, _data_arcface, "embedding/block2_conv1", "embedding", "embedding/block1*",
          compile=lambda model: _compile_plain(model, "categorical_crossentropy"),
          expect_paths=("embedding/fc", "arcface"), breaks=_break_arcface, explains=r"(?s)labels.*\(batch, 4\).*to_categorical\(labels, 4\)"),
    Spec5(traffic_gnn, lambda: (_floats((2, 6, 4, 1)), _floats((2, 3, 4), seed=1)), "lstmgc/lstm", "lstmgc",
          "lstmgc/graph_conv", compile=lambda model: _compile_plain(model, "mse"),
          expect_paths=("lstmgc/graph_conv", "lstmgc/dense"), breaks=_break_traffic, explains=r"(?s)^(?!.*Resiz)(?=.*\(batch, 6, 5, 1\)).*lstmgc"),
]
