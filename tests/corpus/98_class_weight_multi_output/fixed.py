"""Fixed: the class weights become per-sample weights for the churn head, passed as sample_weight per output."""
import numpy as np
import keras
from keras import layers

x_in = keras.Input(shape=(12,), name="x")
trunk = keras.Model(x_in, layers.Dense(16, activation="relu", name="hidden")(x_in), name="trunk")

rows = keras.Input(shape=(12,), name="rows")
h = trunk(rows)
churn = layers.Dense(1, activation="sigmoid", name="churn")(h)
plan = layers.Dense(3, activation="softmax", name="plan")(h)
model = keras.Model(rows, {"churn": churn, "plan": plan}, name="customer")
model.compile(optimizer="adam", loss={"churn": "binary_crossentropy", "plan": "sparse_categorical_crossentropy"})
x = np.random.rand(6, 12)
y = {"churn": np.random.randint(0, 2, size=(6, 1)), "plan": np.random.randint(0, 3, size=(6,))}
churn_weight = np.vectorize({0: 1.0, 1: 5.0}.get)(y["churn"][:, 0])
model.fit(x, y, sample_weight={"churn": churn_weight, "plan": np.ones(6)}, epochs=1, batch_size=6, verbose=0)
