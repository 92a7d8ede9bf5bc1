"""A CORRECT CLIP-style dual encoder (nested image and text towers) trained with in-batch negatives: the logits
compare every image of the batch with every caption of the batch, and the loss's labels are built from the batch
itself (image i goes with caption i). Mixing the batch is the point here: `kernest check --strict` must stay
quiet."""
import numpy as np
import keras
from keras import layers, ops

EMBED = 16


def tower(shape, name):
    x = keras.Input(shape, name=f"{name}_in")
    h = layers.Dense(32, activation="relu")(x)
    return keras.Model(x, layers.Dense(EMBED)(h), name=name)


class PairLogits(layers.Layer):
    """Cosine similarity of every image with every caption in the batch, scaled by a learned temperature."""

    def build(self, input_shape):
        self.log_scale = self.add_weight(shape=(), initializer=keras.initializers.Constant(np.log(10.0)),
                                         name="log_scale")

    def call(self, inputs):
        img, txt = inputs
        img = img / ops.norm(img, axis=-1, keepdims=True)
        txt = txt / ops.norm(txt, axis=-1, keepdims=True)
        return ops.exp(self.log_scale) * ops.matmul(img, ops.transpose(txt))   # (batch, batch)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], input_shape[1][0])


def contrastive_loss(y_true, logits):
    """Symmetric cross-entropy; the right caption of image i is caption i of the same batch."""
    labels = ops.arange(ops.shape(logits)[0])
    per_image = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    per_text = keras.losses.sparse_categorical_crossentropy(labels, ops.transpose(logits), from_logits=True)
    return (per_image + per_text) / 2.0


image_tower = tower((64,), "image_tower")
text_tower = tower((40,), "text_tower")
image = keras.Input((64,), name="image")
caption = keras.Input((40,), name="caption")
logits = PairLogits(name="pair_logits")([image_tower(image), text_tower(caption)])
clip = keras.Model([image, caption], logits, name="clip")
clip.compile(optimizer="adam", loss=contrastive_loss)

rng = np.random.default_rng(0)
images = rng.normal(size=(128, 64)).astype("float32")
captions = (images[:, :40] + 0.1 * rng.normal(size=(128, 40))).astype("float32")
unused = np.zeros((128,), "float32")   # the loss makes its labels from the batch
clip.fit([images, captions], unused, epochs=1, batch_size=32, verbose=0)
