"""Real-world nested models, eleventh batch: each rewritten small from the public code cited above it, keeping its
structure (the nesting, the custom layers and their quirks, the ops between layers). Kinds the first ten batches
did not have: keras.io's CycleGAN (a subclassed model holding two ResNet generators and two PatchGAN
discriminators, reflection padding and instance normalisation, a persistent-tape ``train_step`` with cycle and
identity losses), keras.io's SimSiam linear evaluation (a backbone model cut out of the pretrained encoder at its
pooling layer, frozen, under a linear head; the encoder and predictor trained by a subclassed model with a
stop-gradient loss), keras.io's graph attention network (a subclassed model holding multi-head attention layers
that each hold a list of attention layers, called on node states and an edge list, trained on node indices),
a DLRM recommender (facebookresearch/dlrm: bottom and top MLPs as Sequential models, one embedding table per sparse
feature, a pairwise dot interaction), keras.io's Transformer for named entity recognition (a subclassed model
holding a token-and-position embedding and a Transformer block holding a Sequential feed-forward network, a loss
that skips padding) and keras.io's supervised contrastive learning (a ``keras.applications`` encoder behind an
adapted augmentation Sequential, shared by a projection-head model and a frozen-encoder classifier)."""

from __future__ import annotations

import keras
import numpy as np

from tests.models_4 import _floats, _ids
from tests.models_5 import Spec5

L = keras.layers
ops = keras.ops
PACKAGE = "kernest_rw11"


def register(cls):
    return keras.saving.register_keras_serializable(package=PACKAGE)(cls)


def _tensorflow() -> bool:
    return keras.backend.backend() == "tensorflow"


# --- 1. keras.io "CycleGAN" ---------------------------------------------------------------------------------
# https://keras.io/examples/generative/cyclegan/ (ReflectionPadding2D: ops.pad in "reflect" mode, its padding an
# argument; residual_block, downsample and upsample as functions making layers, GroupNormalization(groups=-1) as
# instance normalisation; get_resnet_generator: 7x7 convolutions at both ends, downsampling, residual blocks,
# Conv2DTranspose upsampling, tanh; get_discriminator: a PatchGAN of strided convolutions and LeakyReLU;
# CycleGan(keras.Model) holding gen_G, gen_F, disc_X, disc_Y, call() giving the four models' outputs, compile()
# taking four optimizers and two loss functions, train_step with a persistent GradientTape: adversarial, cycle
# and identity losses). 8x8 images, 4 filters, one residual block instead of 256x256, 64 and nine.

IMG = 8
gamma_init = keras.initializers.RandomNormal(mean=0.0, stddev=0.02)
kernel_init = keras.initializers.RandomNormal(mean=0.0, stddev=0.02)


@register
class ReflectionPadding2D(L.Layer):
    def __init__(self, padding=(1, 1), **kwargs):
        self.padding = tuple(padding)
        super().__init__(**kwargs)

    def call(self, input_tensor, mask=None):
        padding_width, padding_height = self.padding
        return ops.pad(input_tensor, [[0, 0], [padding_height, padding_height], [padding_width, padding_width], [0, 0]],
                       mode="reflect")


def residual_block(x, activation, kernel_size=(3, 3), strides=(1, 1), padding="valid", use_bias=False):
    dim = x.shape[-1]
    input_tensor = x
    x = ReflectionPadding2D()(input_tensor)
    x = L.Conv2D(dim, kernel_size, strides=strides, kernel_initializer=kernel_init, padding=padding,
                 use_bias=use_bias)(x)
    x = L.GroupNormalization(groups=-1, gamma_initializer=gamma_init)(x)
    x = activation(x)
    x = ReflectionPadding2D()(x)
    x = L.Conv2D(dim, kernel_size, strides=strides, kernel_initializer=kernel_init, padding=padding,
                 use_bias=use_bias)(x)
    x = L.GroupNormalization(groups=-1, gamma_initializer=gamma_init)(x)
    return L.add([input_tensor, x])


def downsample(x, filters, activation, kernel_size=(3, 3), strides=(2, 2), padding="same", use_bias=False):
    x = L.Conv2D(filters, kernel_size, strides=strides, kernel_initializer=kernel_init, padding=padding,
                 use_bias=use_bias)(x)
    x = L.GroupNormalization(groups=-1, gamma_initializer=gamma_init)(x)
    return activation(x) if activation else x


def upsample(x, filters, activation, kernel_size=(3, 3), strides=(2, 2), padding="same", use_bias=False):
    x = L.Conv2DTranspose(filters, kernel_size, strides=strides, padding=padding, kernel_initializer=kernel_init,
                          use_bias=use_bias)(x)
    x = L.GroupNormalization(groups=-1, gamma_initializer=gamma_init)(x)
    return activation(x) if activation else x


def get_resnet_generator(filters=4, num_downsampling_blocks=2, num_residual_blocks=1, num_upsample_blocks=2,
                         name=None):
    img_input = L.Input(shape=(IMG, IMG, 3), name=name + "_img_input")
    x = ReflectionPadding2D(padding=(3, 3))(img_input)
    x = L.Conv2D(filters, (7, 7), kernel_initializer=kernel_init, use_bias=False)(x)
    x = L.GroupNormalization(groups=-1, gamma_initializer=gamma_init)(x)
    x = L.Activation("relu")(x)
    for _ in range(num_downsampling_blocks):
        filters *= 2
        x = downsample(x, filters=filters, activation=L.Activation("relu"))
    for _ in range(num_residual_blocks):
        x = residual_block(x, activation=L.Activation("relu"))
    for _ in range(num_upsample_blocks):
        filters //= 2
        x = upsample(x, filters, activation=L.Activation("relu"))
    x = ReflectionPadding2D(padding=(3, 3))(x)
    x = L.Conv2D(3, (7, 7), padding="valid")(x)
    x = L.Activation("tanh")(x)
    return keras.models.Model(img_input, x, name=name)


def get_discriminator(filters=4, kernel_initializer=kernel_init, num_downsampling=3, name=None):
    img_input = L.Input(shape=(IMG, IMG, 3), name=name + "_img_input")
    x = L.Conv2D(filters, (4, 4), strides=(2, 2), padding="same", kernel_initializer=kernel_initializer)(img_input)
    x = L.LeakyReLU(0.2)(x)
    num_filters = filters
    for num_downsample_block in range(num_downsampling):
        num_filters *= 2
        strides = (2, 2) if num_downsample_block < 2 else (1, 1)
        x = downsample(x, filters=num_filters, activation=L.LeakyReLU(0.2), kernel_size=(4, 4), strides=strides)
    x = L.Conv2D(1, (4, 4), strides=(1, 1), padding="same", kernel_initializer=kernel_initializer)(x)
    return keras.models.Model(inputs=img_input, outputs=x, name=name)


@register
class CycleGan(keras.Model):
    def __init__(self, generator_G, generator_F, discriminator_X, discriminator_Y, lambda_cycle=10.0,
                 lambda_identity=0.5, **kwargs):
        super().__init__(**kwargs)
        self.gen_G = generator_G
        self.gen_F = generator_F
        self.disc_X = discriminator_X
        self.disc_Y = discriminator_Y
        self.lambda_cycle = lambda_cycle
        self.lambda_identity = lambda_identity

    def call(self, inputs):
        return (self.disc_X(inputs), self.disc_Y(inputs), self.gen_G(inputs), self.gen_F(inputs))

    def compile(self, gen_G_optimizer, gen_F_optimizer, disc_X_optimizer, disc_Y_optimizer, gen_loss_fn,  # noqa: N803
                disc_loss_fn, **kwargs):
        super().compile(**kwargs)
        self.gen_G_optimizer = gen_G_optimizer
        self.gen_F_optimizer = gen_F_optimizer
        self.disc_X_optimizer = disc_X_optimizer
        self.disc_Y_optimizer = disc_Y_optimizer
        self.generator_loss_fn = gen_loss_fn
        self.discriminator_loss_fn = disc_loss_fn
        self.cycle_loss_fn = keras.losses.MeanAbsoluteError()
        self.identity_loss_fn = keras.losses.MeanAbsoluteError()

    def train_step(self, batch_data):
        import tensorflow as tf  # keras.io's train_step uses a persistent GradientTape (TensorFlow backend)

        real_x, real_y = batch_data
        with tf.GradientTape(persistent=True) as tape:
            fake_y = self.gen_G(real_x, training=True)
            fake_x = self.gen_F(real_y, training=True)
            cycled_x = self.gen_F(fake_y, training=True)
            cycled_y = self.gen_G(fake_x, training=True)
            same_x = self.gen_F(real_x, training=True)
            same_y = self.gen_G(real_y, training=True)
            disc_real_x = self.disc_X(real_x, training=True)
            disc_fake_x = self.disc_X(fake_x, training=True)
            disc_real_y = self.disc_Y(real_y, training=True)
            disc_fake_y = self.disc_Y(fake_y, training=True)
            gen_G_loss = self.generator_loss_fn(disc_fake_y)  # noqa: N806 - keras.io's names
            gen_F_loss = self.generator_loss_fn(disc_fake_x)  # noqa: N806
            cycle_loss_G = self.cycle_loss_fn(real_y, cycled_y) * self.lambda_cycle  # noqa: N806
            cycle_loss_F = self.cycle_loss_fn(real_x, cycled_x) * self.lambda_cycle  # noqa: N806
            id_loss_G = self.identity_loss_fn(real_y, same_y) * self.lambda_cycle * self.lambda_identity  # noqa: N806
            id_loss_F = self.identity_loss_fn(real_x, same_x) * self.lambda_cycle * self.lambda_identity  # noqa: N806
            total_loss_G = gen_G_loss + cycle_loss_G + id_loss_G  # noqa: N806
            total_loss_F = gen_F_loss + cycle_loss_F + id_loss_F  # noqa: N806
            disc_X_loss = self.discriminator_loss_fn(disc_real_x, disc_fake_x)  # noqa: N806
            disc_Y_loss = self.discriminator_loss_fn(disc_real_y, disc_fake_y)  # noqa: N806
        for loss, model, optimizer in ((total_loss_G, self.gen_G, self.gen_G_optimizer),
                                       (total_loss_F, self.gen_F, self.gen_F_optimizer),
                                       (disc_X_loss, self.disc_X, self.disc_X_optimizer),
                                       (disc_Y_loss, self.disc_Y, self.disc_Y_optimizer)):
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return {"G_loss": total_loss_G, "F_loss": total_loss_F, "D_X_loss": disc_X_loss, "D_Y_loss": disc_Y_loss}


adv_loss_fn = keras.losses.MeanSquaredError()


def generator_loss_fn(fake):
    return adv_loss_fn(ops.ones_like(fake), fake)


def discriminator_loss_fn(real, fake):
    return (adv_loss_fn(ops.ones_like(real), real) + adv_loss_fn(ops.zeros_like(fake), fake)) * 0.5


def cyclegan() -> keras.Model:
    model = CycleGan(generator_G=get_resnet_generator(name="generator_G"),
                     generator_F=get_resnet_generator(name="generator_F"),
                     discriminator_X=get_discriminator(name="discriminator_X"),
                     discriminator_Y=get_discriminator(name="discriminator_Y"), name="cycle_gan")
    model(ops.zeros((1, IMG, IMG, 3)))
    return model


def _data_cyclegan():
    return _floats((2, IMG, IMG, 3)) * 2 - 1, _floats((2, IMG, IMG, 3), 1) * 2 - 1  # horses, zebras in [-1, 1]


def _compile_cyclegan(model):
    if _tensorflow():
        model.compile(*(keras.optimizers.Adam(2e-4, beta_1=0.5) for _ in range(4)), gen_loss_fn=generator_loss_fn,
                      disc_loss_fn=discriminator_loss_fn, run_eagerly=True)


def _fit_cyclegan(model, x, y):
    if _tensorflow():
        model.fit(x, y, batch_size=2, epochs=1, verbose=0)  # train_step unpacks (real_x, real_y)
        return
    # off TensorFlow, where the GradientTape cannot run: one plain step of the cycle loss of both generators
    real = keras.Input((IMG, IMG, 3))
    trainer = keras.Model(real, model.gen_F(model.gen_G(real)))
    trainer.compile(keras.optimizers.Adam(2e-4, beta_1=0.5), "mae", run_eagerly=True)
    trainer.fit(x, x, batch_size=2, epochs=1, verbose=0)


def _break_cyclegan(model, x):  # a batch of grey photos (one channel) into generators made for RGB
    model.gen_G(x[..., :1])


# --- 2. keras.io "Self-supervised contrastive learning with SimSiam", linear evaluation -----------------------
# https://keras.io/examples/vision/simsiam/ (get_encoder: Rescaling, a CIFAR ResNet (resnet_cifar10_v2 stem and
# learner), GlobalAveragePooling2D named "backbone_pool", a projection of Dense/BatchNormalization/ReLU layers with
# L2 regularisers; get_predictor: a Sequential bottleneck; SimSiam(keras.Model) holding both, compute_loss with
# stop_gradient and cosine similarity, a GradientTape train_step on two augmented views, a Mean loss tracker;
# the linear evaluation: keras.Model(simsiam.encoder.input, simsiam.encoder.get_layer("backbone_pool").output),
# backbone.trainable = False, called with training=False under a softmax Dense). The ResNet here is two residual
# blocks of our own in the same pre-activation form; 8x8 images, projections of 12 instead of 2048. keras.io
# freezes the backbone with backbone.trainable = False; here the freeze cell does it (kernest.freeze of the
# backbone's path), so the builder leaves it trainable.

CROP_TO, PROJECT_DIM, LATENT_DIM, WEIGHT_DECAY = 8, 12, 4, 5e-4


def _preact_block(x, filters, name):
    shortcut = x if x.shape[-1] == filters else L.Conv2D(filters, 1, name=f"{name}_shortcut")(x)
    x = L.BatchNormalization(name=f"{name}_bn1")(x)
    x = L.Activation("relu", name=f"{name}_relu1")(x)
    x = L.Conv2D(filters, 3, padding="same", name=f"{name}_conv1")(x)
    x = L.BatchNormalization(name=f"{name}_bn2")(x)
    x = L.Activation("relu", name=f"{name}_relu2")(x)
    x = L.Conv2D(filters, 3, padding="same", name=f"{name}_conv2")(x)
    return L.Add(name=f"{name}_add")([shortcut, x])


def get_encoder():
    inputs = L.Input((CROP_TO, CROP_TO, 3))
    x = L.Rescaling(scale=1.0 / 127.5, offset=-1)(inputs)
    x = L.Conv2D(4, 3, padding="same", name="stem_conv")(x)
    x = _preact_block(x, 4, "stage1_block1")
    x = _preact_block(x, 8, "stage2_block1")
    x = L.GlobalAveragePooling2D(name="backbone_pool")(x)
    x = L.Dense(PROJECT_DIM, use_bias=False, kernel_regularizer=keras.regularizers.l2(WEIGHT_DECAY))(x)
    x = L.BatchNormalization()(x)
    x = L.ReLU()(x)
    x = L.Dense(PROJECT_DIM, use_bias=False, kernel_regularizer=keras.regularizers.l2(WEIGHT_DECAY))(x)
    outputs = L.BatchNormalization()(x)
    return keras.Model(inputs, outputs, name="encoder")


def get_predictor():
    return keras.Sequential([
        L.Input((PROJECT_DIM,)),
        L.Dense(LATENT_DIM, use_bias=False, kernel_regularizer=keras.regularizers.l2(WEIGHT_DECAY)),
        L.ReLU(),
        L.BatchNormalization(),
        L.Dense(PROJECT_DIM),
    ], name="predictor")


def compute_loss(p, z):
    z = ops.stop_gradient(z)
    p = p / ops.maximum(ops.norm(p, axis=1, keepdims=True), 1e-12)
    z = z / ops.maximum(ops.norm(z, axis=1, keepdims=True), 1e-12)
    return -ops.mean(ops.sum(p * z, axis=1))


class SimSiam(keras.Model):
    def __init__(self, encoder, predictor):
        super().__init__()
        self.encoder = encoder
        self.predictor = predictor
        self.loss_tracker = keras.metrics.Mean(name="loss")

    @property
    def metrics(self):
        return [self.loss_tracker]

    def pretraining_loss(self, ds_one, ds_two):
        z1, z2 = self.encoder(ds_one), self.encoder(ds_two)
        p1, p2 = self.predictor(z1), self.predictor(z2)
        return compute_loss(p1, z2) / 2 + compute_loss(p2, z1) / 2


def simsiam_linear_eval(num_classes: int = 3) -> keras.Model:
    simsiam = SimSiam(get_encoder(), get_predictor())
    views = _floats((2, CROP_TO, CROP_TO, 3)) * 255
    simsiam.pretraining_loss(views, views[:, ::-1])  # pretraining's forward pass builds encoder and predictor
    backbone = keras.Model(simsiam.encoder.input, simsiam.encoder.get_layer("backbone_pool").output)
    inputs = L.Input((CROP_TO, CROP_TO, 3))
    x = backbone(inputs, training=False)
    outputs = L.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="linear_model")


def _break_simsiam(model, x):  # the predictor, trained on the encoder's projections, put on the backbone's features
    backbone = model.layers[1]
    predictor = get_predictor()
    predictor(ops.zeros((1, PROJECT_DIM)))
    inputs = L.Input((CROP_TO, CROP_TO, 3))
    keras.Model(inputs, predictor(backbone(inputs)))


# --- 3. keras.io "Graph attention network (GAT) for node classification" -------------------------------------
# https://keras.io/examples/graph/gat_node_classification/ (GraphAttention: a kernel and an attention kernel made in
# build() from the node states' width, node states gathered at both ends of each edge, LeakyReLU scores clipped
# and exponentiated, normalised per target node with segment sums, the neighbours' states summed by segment;
# MultiHeadGraphAttention holding a list of GraphAttention layers, concatenated or averaged, then ReLU;
# GraphAttentionNetwork(keras.Model) holding the graph's node states and edges, a preprocessing Dense, the
# attention layers with residual additions and an output Dense, called on [node_states, edges], trained and
# evaluated on node indices by its own train_step/test_step/predict_step). keras.io normalises with a repeat of
# the per-node sums by bincount; here the same sums are gathered back per edge. 12 nodes of 6 features.

NODES, FEATURES, CLASSES = 12, 6, 3


@register
class GraphAttention(L.Layer):
    def __init__(self, units, kernel_initializer="glorot_uniform", kernel_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[0][-1], self.units), trainable=True,
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      name="kernel")
        self.kernel_attention = self.add_weight(shape=(self.units * 2, 1), trainable=True,
                                                initializer=self.kernel_initializer,
                                                regularizer=self.kernel_regularizer, name="kernel_attention")
        self.built = True

    def call(self, inputs):
        node_states, edges = inputs
        node_states_transformed = ops.matmul(node_states, self.kernel)
        node_states_expanded = ops.take(node_states_transformed, edges, axis=0)  # (edges, 2, units)
        node_states_expanded = ops.reshape(node_states_expanded, (ops.shape(edges)[0], -1))
        attention_scores = ops.leaky_relu(ops.matmul(node_states_expanded, self.kernel_attention))
        attention_scores = ops.exp(ops.clip(ops.squeeze(attention_scores, -1), -2, 2))
        num_nodes = node_states.shape[0]
        attention_scores_sum = ops.segment_sum(attention_scores, edges[:, 0], num_segments=num_nodes)
        attention_scores_norm = attention_scores / ops.take(attention_scores_sum, edges[:, 0], axis=0)
        node_states_neighbors = ops.take(node_states_transformed, edges[:, 1], axis=0)
        return ops.segment_sum(node_states_neighbors * attention_scores_norm[:, None], edges[:, 0],
                               num_segments=num_nodes)


@register
class MultiHeadGraphAttention(L.Layer):
    def __init__(self, units, num_heads=8, merge_type="concat", **kwargs):
        super().__init__(**kwargs)
        self.num_heads = num_heads
        self.merge_type = merge_type
        self.attention_layers = [GraphAttention(units) for _ in range(num_heads)]

    def call(self, inputs):
        atom_features, pair_indices = inputs
        outputs = [attention_layer([atom_features, pair_indices]) for attention_layer in self.attention_layers]
        if self.merge_type == "concat":
            outputs = ops.concatenate(outputs, axis=-1)
        else:
            outputs = ops.mean(ops.stack(outputs, axis=-1), axis=-1)
        return ops.relu(outputs)


@register
class GraphAttentionNetwork(keras.Model):
    def __init__(self, node_states, edges, hidden_units, num_heads, num_layers, output_dim, **kwargs):
        super().__init__(**kwargs)
        self.node_states = node_states
        self.edges = edges
        self.preprocess = L.Dense(hidden_units * num_heads, activation="relu")
        self.attention_layers = [MultiHeadGraphAttention(hidden_units, num_heads) for _ in range(num_layers)]
        self.output_layer = L.Dense(output_dim)

    def call(self, inputs):
        node_states, edges = inputs
        x = self.preprocess(node_states)
        for attention_layer in self.attention_layers:
            x = attention_layer([x, edges]) + x
        return self.output_layer(x)

    def train_step(self, data):
        import tensorflow as tf  # keras.io's train_step uses a GradientTape (TensorFlow backend)

        indices, labels = data
        with tf.GradientTape() as tape:
            outputs = self([self.node_states, self.edges])
            loss = self.compute_loss(y=labels, y_pred=tf.gather(outputs, indices))
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights, strict=True))
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(labels, tf.gather(outputs, indices))
        return {m.name: m.result() for m in self.metrics}


def _graph() -> tuple[np.ndarray, np.ndarray]:
    """Node features and an edge list (source, target) with a self loop on every node, as the Cora graph has a
    citation into every paper keras.io trains on."""
    rng = np.random.default_rng(0)
    pairs = rng.integers(0, NODES, (2 * NODES, 2))
    loops = np.stack([np.arange(NODES)] * 2, axis=1)
    return rng.random((NODES, FEATURES), "float32"), np.concatenate([loops, pairs]).astype("int32")


def gat() -> keras.Model:
    node_states, edges = _graph()
    model = GraphAttentionNetwork(node_states, edges, hidden_units=4, num_heads=2, num_layers=2,
                                  output_dim=CLASSES, name="gat")
    model([node_states, edges])
    return model


class _OnNodes(keras.Model):
    """Off TensorFlow: the graph attention network trained on node indices by a plain training step (the
    gradients reach the same weights as keras.io's train_step)."""

    def __init__(self, network):
        super().__init__()
        self.network = network

    def call(self, indices):
        return ops.take(self.network([self.network.node_states, self.network.edges]), indices, axis=0)


def _data_gat():
    return list(_graph()), None


def _compile_gat(model):
    model.compile(keras.optimizers.SGD(0.1), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  run_eagerly=True)


def _fit_gat(model, x, y):
    indices, labels = np.arange(4, dtype="int32"), np.array([0, 1, 2, 1])
    if not _tensorflow():
        trainer = _OnNodes(model)
        _compile_gat(trainer)
        model = trainer
    model.fit(indices, labels, batch_size=4, epochs=1, verbose=0)


def _copy_gat_part(old: keras.Layer) -> keras.Layer:
    """A copy of a multi-head attention layer, called on node states and (integer) edges to build it."""
    new = old.__class__.from_config(old.get_config())
    node_states, edges = _graph()
    new([ops.zeros((NODES, old.attention_layers[0].kernel.shape[0])), edges])
    new.set_weights(old.get_weights())
    return new


def _break_gat(model, x):  # the edges as an edge_index of shape (2, edges), as graph libraries keep them
    node_states, edges = x
    model([node_states, edges.T])


# --- 4. DLRM, Deep Learning Recommendation Model ------------------------------------------------------------
# https://github.com/facebookresearch/dlrm (dlrm_s_pytorch.py, DLRM_Net: create_mlp for the bottom MLP over the
# dense features and the top MLP over the interactions, create_emb with one table per sparse feature,
# interact_features "dot": the bottom output and the embeddings stacked, their pairwise dot products, the strictly
# lower triangle kept and concatenated with the bottom output; a sigmoid click probability) in Keras as keras-rs
# writes it (examples/ml_perf: keras.Input per feature, keras_rs.layers.DotInteraction); the MLPs here are
# Sequential models. Four dense features, three sparse ones, embeddings of 4.

SPARSE = {"c0": 11, "c1": 7, "c2": 5}  # feature -> vocabulary size


@register
class DotInteraction(L.Layer):
    """The pairwise dot products of the feature vectors, the strictly lower triangle (each pair once)."""

    def call(self, inputs):
        features = ops.stack(inputs, axis=1)  # (batch, features, dim)
        pairs = ops.matmul(features, ops.transpose(features, (0, 2, 1)))  # (batch, features, features)
        rows, cols = np.tril_indices(len(inputs), k=-1)
        return ops.take(ops.reshape(pairs, (-1, len(inputs) ** 2)), rows * len(inputs) + cols, axis=1)


def dlrm(bottom=(8, 4), embedding_dim=4, top=(8,)) -> keras.Model:
    dense = keras.Input((4,), name="dense_features")
    sparse = {name: keras.Input((), dtype="int32", name=name) for name in SPARSE}
    bottom_mlp = keras.Sequential([L.Dense(u, activation="relu") for u in bottom], name="bottom_mlp")
    x = bottom_mlp(dense)
    embeddings = [L.Embedding(size, embedding_dim, name=f"embedding_{name}")(sparse[name])
                  for name, size in SPARSE.items()]
    interactions = DotInteraction(name="dot_interaction")([x, *embeddings])
    top_mlp = keras.Sequential([L.Dense(u, activation="relu") for u in top] + [L.Dense(1, activation="sigmoid")],
                               name="top_mlp")
    click = top_mlp(L.Concatenate(name="interaction_concat")([x, interactions]))
    return keras.Model({"dense_features": dense, **sparse}, click, name="dlrm")


def _data_dlrm():
    x = {"dense_features": _floats((4, 4)), **{n: _ids((4,), size, i) for i, (n, size) in enumerate(SPARSE.items())}}
    return x, np.array([[1.0], [0.0], [0.0], [1.0]], "float32")


def _break_dlrm(model, x):  # a bottom MLP ending at 8 units for embeddings of 4
    dlrm(bottom=(16, 8), embedding_dim=4)


# --- 5. keras.io "Named Entity Recognition using Transformers" ----------------------------------------------
# https://keras.io/examples/nlp/ner_transformers/ (TransformerBlock: MultiHeadAttention, a Sequential feed-forward
# network, two LayerNormalization and Dropout layers; TokenAndPositionEmbedding: token and position Embedding
# layers, positions from ops.arange of the sequence length; NERModel(keras.Model) holding both, Dropout, a ReLU
# Dense and a softmax Dense per token; CustomNonPaddingTokenLoss: sparse cross-entropy masked where the tag is
# padding (0); no get_config anywhere; predictions on one sentence reshaped to [1, -1] first). Vocabulary 20,
# sentences of 6 tokens, embeddings of 8.

VOCAB, TAGS, MAXLEN = 20, 5, 16


@register
class TransformerBlock(L.Layer):
    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1):
        super().__init__()
        self.att = keras.layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.ffn = keras.Sequential([keras.layers.Dense(ff_dim, activation="relu"), keras.layers.Dense(embed_dim)])
        self.layernorm1 = keras.layers.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = keras.layers.LayerNormalization(epsilon=1e-6)
        self.dropout1 = keras.layers.Dropout(rate)
        self.dropout2 = keras.layers.Dropout(rate)

    def call(self, inputs, training=False):
        attn_output = self.att(inputs, inputs)
        attn_output = self.dropout1(attn_output, training=training)
        out1 = self.layernorm1(inputs + attn_output)
        ffn_output = self.ffn(out1)
        ffn_output = self.dropout2(ffn_output, training=training)
        return self.layernorm2(out1 + ffn_output)


@register
class TokenAndPositionEmbedding(L.Layer):
    def __init__(self, maxlen, vocab_size, embed_dim):
        super().__init__()
        self.token_emb = keras.layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
        self.pos_emb = keras.layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

    def call(self, inputs):
        maxlen = ops.shape(inputs)[-1]
        positions = ops.arange(start=0, stop=maxlen, step=1)
        positions = self.pos_emb(positions)
        token_embeddings = self.token_emb(inputs)
        return token_embeddings + positions


@register
class NERModel(keras.Model):
    def __init__(self, num_tags, vocab_size, maxlen=128, embed_dim=32, num_heads=2, ff_dim=32):
        super().__init__()
        self.embedding_layer = TokenAndPositionEmbedding(maxlen, vocab_size, embed_dim)
        self.transformer_block = TransformerBlock(embed_dim, num_heads, ff_dim)
        self.dropout1 = L.Dropout(0.1)
        self.ff = L.Dense(ff_dim, activation="relu")
        self.dropout2 = L.Dropout(0.1)
        self.ff_final = L.Dense(num_tags, activation="softmax")

    def call(self, inputs, training=False):
        x = self.embedding_layer(inputs)
        x = self.transformer_block(x)
        x = self.dropout1(x, training=training)
        x = self.ff(x)
        x = self.dropout2(x, training=training)
        return self.ff_final(x)


class CustomNonPaddingTokenLoss(keras.losses.Loss):
    def __init__(self, name="custom_ner_loss"):
        super().__init__(name=name)

    def call(self, y_true, y_pred):
        loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=False, reduction=None)
        loss = loss_fn(y_true, y_pred)
        mask = ops.cast((y_true > 0), dtype="float32")
        loss = loss * mask
        return ops.sum(loss) / ops.sum(mask)


def ner_transformer() -> keras.Model:
    model = NERModel(TAGS, VOCAB, maxlen=MAXLEN, embed_dim=8, num_heads=2, ff_dim=8)
    model(_ids((1, 6), VOCAB))
    return model


def _data_ner():
    tokens, tags = _ids((2, 6), VOCAB), _ids((2, 6), TAGS, 1)
    tokens[1, 4:], tags[1, 4:] = 0, 0  # the second sentence padded
    return tokens, tags


def _copy_ner_part(old: keras.Layer) -> keras.Layer:
    """A copy of the Transformer block: keras.io's layers take no ``**kwargs``, so ``from_config`` cannot make them."""
    new = TransformerBlock(old.att.key_dim, old.att.num_heads, old.ffn.layers[0].units, old.dropout1.rate)
    new(ops.zeros((1, 6, old.att.key_dim)))
    new.set_weights(old.get_weights())
    return new


def _break_ner(model, x):  # one sentence's ids, not reshaped to [1, -1] as keras.io does before predicting
    sample_input = x[0]
    model.predict(sample_input, verbose=0)


# --- 6. keras.io "Supervised Contrastive Learning" ----------------------------------------------------------
# https://keras.io/examples/vision/supervised-contrastive-learning/ (data_augmentation: a Sequential of
# Normalization (adapted on the training images), RandomFlip and RandomRotation; create_encoder: a
# keras.applications ResNet50V2 with weights=None and average pooling behind the augmentation, named
# "cifar10-encoder"; add_projection_head: the encoder under a ReLU Dense, "cifar-encoder_with_projection-head",
# trained with SupervisedContrastiveLoss; create_classifier(encoder, trainable=False): every encoder layer's
# trainable set, Dropout, a hidden Dense, Dropout, a softmax Dense, "cifar10-classifier"). MobileNetV2 (alpha
# 0.35) instead of ResNet50V2 keeps it small; 32x32 images as keras.io's.

INPUT_SHAPE = (32, 32, 3)


def supcon_classifier(num_classes: int = 3, hidden_units: int = 8, projection_units: int = 8) -> keras.Model:
    data_augmentation = keras.Sequential([L.Normalization(), L.RandomFlip("horizontal"), L.RandomRotation(0.02)],
                                         name="data_augmentation")
    data_augmentation.layers[0].adapt(_floats((4, *INPUT_SHAPE), 3) * 255)
    backbone = keras.applications.MobileNetV2(include_top=False, weights=None, input_shape=INPUT_SHAPE,
                                              pooling="avg", alpha=0.35)
    inputs = keras.Input(shape=INPUT_SHAPE)
    encoder = keras.Model(inputs=inputs, outputs=backbone(data_augmentation(inputs)), name="cifar10-encoder")
    inputs = keras.Input(shape=INPUT_SHAPE)
    features = encoder(inputs)
    outputs = L.Dense(projection_units, activation="relu")(features)
    keras.Model(inputs=inputs, outputs=outputs, name="cifar-encoder_with_projection-head")  # pretrained first
    for layer in encoder.layers:
        layer.trainable = False
    inputs = keras.Input(shape=INPUT_SHAPE)
    features = encoder(inputs)
    features = L.Dropout(0.5)(features)
    features = L.Dense(hidden_units, activation="relu")(features)
    features = L.Dropout(0.5)(features)
    outputs = L.Dense(num_classes, activation="softmax")(features)
    return keras.Model(inputs=inputs, outputs=outputs, name="cifar10-classifier")


def _break_supcon(model, x):  # grey images without a channels axis (Fashion-MNIST style) into the RGB classifier
    grey = x.mean(axis=-1)
    model.predict(grey, verbose=0)


# --- how each model is fed, trained, copied and broken ----------------------------------------------------

def outputs_of(model: keras.Model, x: object) -> object:
    """What a model gives for ``x`` at inference (dropout and random augmentation off)."""
    return model(x, training=False)


def _compile_plain(model, loss="sparse_categorical_crossentropy"):
    model.compile("adam", loss, run_eagerly=True)


SPECS = [
    Spec5(cyclegan, _data_cyclegan, "generator_G/conv2d_transpose*", "generator_F", "generator_G/conv2d*",
          compile=_compile_cyclegan, fit=_fit_cyclegan, refuses=("replace", "save", "cli_file"),
          expect_paths=("generator_G", "discriminator_Y"), breaks=_break_cyclegan,
          explains=r"(?s)^(?!.*Dense\(3\)).*generator_G.*np\.repeat\(x\[\.\.\., :1\], 3, axis=-1\)"),
    Spec5(simsiam_linear_eval, lambda: (_floats((2, CROP_TO, CROP_TO, 3)) * 255, np.array([0, 2])),
          "functional*/backbone_pool", "functional_1", "functional_1", compile=_compile_plain,
          expect_paths=(), breaks=_break_simsiam,
          explains=r"(?s)^(?!.*Add keras\.layers\.Dense).*functional_1 was cut out of a bigger model at backbone_pool.*"
                   r"12 features"),
    Spec5(gat, _data_gat, "multi_head_graph_attention*/graph_attention*", "multi_head_graph_attention",
          "multi_head_graph_attention/*", compile=_compile_gat, fit=_fit_gat, refuses=("replace", "save", "cli_file"), copy=_copy_gat_part,
          expect_paths=(), breaks=_break_gat, explains=r"(?s)swapped.*edges\.T"),
    Spec5(dlrm, _data_dlrm, "bottom_mlp/dense*", "top_mlp", "bottom_mlp",
          compile=lambda model: _compile_plain(model, "binary_crossentropy"),
          expect_paths=("bottom_mlp", "top_mlp", "dot_interaction", "embedding_c0"),
          breaks=_break_dlrm, explains=r"(?s)bottom_mlp \(input 1\) gives 8.*end bottom_mlp at 4 features.*Dense\(4\)"),
    Spec5(ner_transformer, _data_ner, "transformer_block/sequential*", "transformer_block", "token_and_position_embedding",
          compile=lambda model: model.compile("adam", CustomNonPaddingTokenLoss(), run_eagerly=True),
          refuses=("replace", "save", "cli_file"), copy=_copy_ner_part, expect_paths=(), breaks=_break_ner,
          explains=r"(?s)batch axis.*sample_input"),
    Spec5(supcon_classifier, lambda: (_floats((2, *INPUT_SHAPE)) * 255, np.array([0, 2])),
          "cifar10-encoder/data_augmentation", "cifar10-encoder", "cifar10-encoder", compile=_compile_plain,
          expect_paths=("cifar10-encoder/data_augmentation",), breaks=_break_supcon,
          explains=r"(?s)cifar10-classifier.*no channels axis.*np\.repeat\(grey\[\.\.\., None\], 3, axis=-1\)"),
]
