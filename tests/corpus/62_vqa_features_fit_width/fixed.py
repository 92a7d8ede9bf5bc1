"""VQA MLP: the model's Input is sized for image + question features (4396), but the training array holds image features only (4096)."""
import numpy as np
import keras
from keras import layers

mlp = keras.Sequential(
    [
        layers.Dense(64, activation="tanh", name="hidden1"),
        layers.Dense(64, activation="tanh", name="hidden2"),
    ],
    name="mlp",
)

features = keras.Input(shape=(4096,), name="features")
answer = layers.Dense(10, activation="softmax", name="answer")(mlp(features))
model = keras.Model(features, answer, name="vqa_mlp")
model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")

x = np.random.rand(4, 4096).astype("float32")
y = np.random.randint(0, 10, size=(4,))
model.fit(x, y, epochs=1, batch_size=len(x), verbose=0)
