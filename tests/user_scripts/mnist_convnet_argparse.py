"""Simple MNIST convnet, as keras.io writes it, with its settings read by argparse at import.

Run: python mnist_convnet_argparse.py --epochs 15
"""
import argparse

import keras
import numpy as np
from keras import layers

parser = argparse.ArgumentParser(description="Train a small convnet on MNIST-shaped data.")
parser.add_argument("--epochs", type=int, default=15)
parser.add_argument("--batch-size", type=int, default=128)
parser.add_argument("--verbose", action="store_true")
args = parser.parse_args()

keras.utils.set_random_seed(1337)
np.random.seed(1337)

num_classes = 10
input_shape = (28, 28, 1)

# random stand-ins for keras.datasets.mnist.load_data()
x_train = np.random.rand(2048, 28, 28, 1).astype("float32")
y_train = keras.utils.to_categorical(np.random.randint(0, num_classes, 2048), num_classes)
print("x_train shape:", x_train.shape)
print(x_train.shape[0], "train samples")

features = keras.Sequential(
    [
        keras.Input(shape=input_shape),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu", name="conv1"),
        layers.MaxPooling2D(pool_size=(2, 2), name="pool1"),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu", name="conv2"),
        layers.MaxPooling2D(pool_size=(2, 2), name="pool2"),
    ],
    name="features",
)
inputs = keras.Input(shape=input_shape, name="digits")
x = layers.Flatten(name="flatten")(features(inputs))
x = layers.Dropout(0.5, name="dropout")(x)
outputs = layers.Dense(num_classes, activation="softmax", name="classes")(x)
model = keras.Model(inputs, outputs, name="mnist_convnet")
model.summary()

model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, validation_split=0.1)
print("final accuracy:", history.history["accuracy"][-1])
