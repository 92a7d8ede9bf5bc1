"""Churn model: a tabular sub-model with named inputs is called with a dict keyed by the CSV column names."""
import numpy as np
import keras
from keras import layers

tenure_in = keras.Input(shape=(1,), name="tenure")
plan_in = keras.Input(shape=(4,), name="plan")
h = layers.Concatenate(name="cols")([tenure_in, plan_in])
tabular = keras.Model({"tenure": tenure_in, "plan": plan_in}, layers.Dense(8, activation="relu", name="hidden")(h), name="tabular")

months = keras.Input(shape=(1,), name="months")
plan_onehot = keras.Input(shape=(4,), name="plan_onehot")
features = tabular({"tenure": months, "plan": plan_onehot})
churn = layers.Dense(1, activation="sigmoid", name="churn")(features)
model = keras.Model([months, plan_onehot], churn, name="churn_model")
model.compile(optimizer="adam", loss="binary_crossentropy")

x1 = np.random.rand(8, 1).astype("float32")
x2 = np.eye(4, dtype="float32")[np.random.randint(0, 4, size=8)]
y = np.random.randint(0, 2, size=(8, 1)).astype("float32")
model.fit([x1, x2], y, epochs=1, batch_size=len(x1), verbose=0)
