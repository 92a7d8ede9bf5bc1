"""A nested cross-attention block gets the padding mask of its 9 memory slots as attention_mask=(batch, 9); MultiHeadAttention needs (batch, 6, 9)."""
import numpy as np
import keras
from keras import layers

q = keras.Input(shape=(6, 16), name="q")
m = keras.Input(shape=(9, 16), name="m")
k = keras.Input(shape=(9,), dtype="bool", name="k")
attended = layers.MultiHeadAttention(num_heads=2, key_dim=8, name="cross_mha")(q, m, attention_mask=keras.ops.expand_dims(k, 1))
block = keras.Model([q, m, k], attended, name="cross_block")

queries = keras.Input(shape=(6, 16), name="queries")
memory = keras.Input(shape=(9, 16), name="memory")
keep = keras.Input(shape=(9,), dtype="bool", name="keep")
h = block([queries, memory, keep])
out = layers.Dense(3, activation="softmax", name="slot_label")(layers.GlobalAveragePooling1D(name="gap")(h))
model = keras.Model([queries, memory, keep], out, name="reader")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")

xq = np.random.rand(4, 6, 16).astype("float32")
xm = np.random.rand(4, 9, 16).astype("float32")
xk = np.ones((4, 9), dtype=bool)
xk[:, 7:] = False
y = np.random.randint(0, 3, size=(4,))
model.fit([xq, xm, xk], y, epochs=1, batch_size=4, verbose=0)
