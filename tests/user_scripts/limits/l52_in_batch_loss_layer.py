"""A CORRECT retrieval model: two nested towers, and a layer that scores each query against every document of the
batch and returns the per-query in-batch softmax loss. Its output for a query depends on the batch on purpose;
`kernest check --strict` must stay quiet (before round 8 it reported a batch reduction, quoting a line of TensorFlow)."""
import numpy as np
import keras
from keras import layers, ops

def tower(shape, name):
    x = keras.Input(shape, name=f"{name}_in")
    return keras.Model(x, layers.Dense(16)(layers.Dense(32, activation="relu")(x)), name=name)

class InBatchSoftmaxLoss(layers.Layer):
    """Per-query loss: each query's positive is its own document, every other document of the batch is a negative."""
    def call(self, pair):
        q, d = ops.split(pair, 2, axis=-1)
        logits = ops.matmul(q, ops.transpose(d))            # (batch, batch)
        labels = ops.arange(ops.shape(logits)[0])
        return keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)[:, None]

query_tower, doc_tower = tower((30,), "query_tower"), tower((50,), "doc_tower")
q_in, d_in = keras.Input((30,), name="query"), keras.Input((50,), name="doc")
pair = layers.Concatenate(name="pair")([query_tower(q_in), doc_tower(d_in)])
model = keras.Model([q_in, d_in], InBatchSoftmaxLoss(name="in_batch_loss")(pair), name="retriever")
model.compile(optimizer="adam", loss=lambda y_true, per_query: ops.mean(per_query))
q = np.random.rand(96, 30).astype("float32"); d = np.random.rand(96, 50).astype("float32")
model.fit([q, d], np.zeros((96, 1), "float32"), epochs=1, batch_size=32, verbose=0)
