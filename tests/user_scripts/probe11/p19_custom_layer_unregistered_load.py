# After keras-team/keras#19899 ("Could not locate class 'TokenAndPositionEmbedding'"): a custom layer
# with get_config but not registered, saved in a nested model and loaded without custom_objects.
import keras
import numpy as np
from keras import layers as L


class TokenAndPosition(L.Layer):
    def __init__(self, maxlen, vocab, dim, **kwargs):
        super().__init__(**kwargs)
        self.maxlen, self.vocab, self.dim = maxlen, vocab, dim
        self.tok = L.Embedding(vocab, dim)
        self.pos = L.Embedding(maxlen, dim)

    def call(self, x):
        return self.tok(x) + self.pos(keras.ops.arange(self.maxlen))

    def get_config(self):
        return {**super().get_config(), "maxlen": self.maxlen, "vocab": self.vocab, "dim": self.dim}


ids = keras.Input((10,), dtype="int32")
encoder = keras.Model(ids, L.GlobalAveragePooling1D()(TokenAndPosition(10, 40, 8)(ids)), name="encoder")
x = keras.Input((10,), dtype="int32")
model = keras.Model(x, L.Dense(1, activation="sigmoid")(encoder(x)), name="sentiment")
model.compile("adam", "binary_crossentropy")
model.fit(np.random.randint(0, 40, (16, 10)), np.random.randint(0, 2, (16, 1)), verbose=0)
model.save("/tmp/probe11_p19.keras")
again = keras.models.load_model("/tmp/probe11_p19.keras")
