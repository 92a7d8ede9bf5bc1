# CORRECT model (false-alarm check). keras.io "Mixed precision" guide: mixed_float16 everywhere, the nested head's
# final softmax kept in float32 (dtype="float32" on its own Activation), LossScaleOptimizer chosen by compile.
import keras
import numpy as np
from keras import layers as L

keras.mixed_precision.set_global_policy("mixed_float16")
feat = keras.Input((32,))
h = L.Dense(16, activation="relu")(feat)
head = keras.Model(feat, L.Activation("softmax", dtype="float32")(L.Dense(5)(h)), name="head")
x = keras.Input((48,), name="x")
z = L.Dense(32, activation="relu")(x)
model = keras.Model(x, head(z), name="mp_classifier")
model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(np.random.rand(32, 48), np.random.randint(0, 5, (32,)), epochs=1, verbose=0)
print(model.predict(np.random.rand(2, 48), verbose=0).dtype)
