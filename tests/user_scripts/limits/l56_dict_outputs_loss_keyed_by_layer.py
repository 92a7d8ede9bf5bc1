"""A two-head churn model (a nested shared trunk) names its outputs with a dict {"churn": ..., "spend": ...}, but
compile's loss and fit's labels are keyed by the head layers' names ("churn_prob", "spend_usd")."""
import numpy as np
import keras
from keras import layers

features = keras.Input((14,), name="features")
trunk = keras.Model(features, layers.Dense(32, activation="relu", name="shared")(features), name="trunk")
customer = keras.Input((14,), name="customer")
h = trunk(customer)
model = keras.Model(customer, {"churn": layers.Dense(1, activation="sigmoid", name="churn_prob")(h),
                               "spend": layers.Dense(1, name="spend_usd")(h)}, name="two_heads")
model.compile(optimizer="adam", loss={"churn_prob": "binary_crossentropy", "spend_usd": "mse"})
x = np.random.rand(64, 14).astype("float32")
model.fit(x, {"churn_prob": np.random.randint(0, 2, (64, 1)), "spend_usd": np.random.rand(64, 1)}, epochs=1,
          verbose=0)
