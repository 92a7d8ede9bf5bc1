"""Limit 1 (round 7): a churn model with a nested tabular encoder, validated with a list of four items (features,
labels and two placeholders left from a Keras 1 habit): Keras says only that the data has the wrong format."""
import numpy as np
import keras
from keras import layers

rng = np.random.default_rng(3)
customers = rng.normal(size=(120, 9)).astype("float32")
churned = rng.integers(0, 2, size=(120, 1)).astype("float32")
holdout_customers, holdout_churned = customers[:24], churned[:24]

row = keras.Input((9,), name="row")
encoder = keras.Model(row, layers.Dense(16, activation="relu", name="hidden")(row), name="tabular_encoder")
account = keras.Input((9,), name="account")
churn_model = keras.Model(account, layers.Dense(1, activation="sigmoid", name="churn")(encoder(account)),
                          name="churn_model")
churn_model.compile("adam", "binary_crossentropy")
churn_model.fit(customers[24:], churned[24:], epochs=2, batch_size=32, verbose=0,
                validation_data=[holdout_customers, holdout_churned, None, None])
