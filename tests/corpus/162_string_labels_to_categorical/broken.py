"""Face-recognition labels are names ("Participant1", ...) and are given to to_categorical for a classifier on a nested CNN: to_categorical wants integer class ids."""
import numpy as np
import keras
from keras import layers

images = np.random.rand(8, 16, 16, 3).astype("float32")
names = np.array(["Participant1", "Participant2", "Participant3", "Participant1",
                  "Participant2", "Participant3", "Participant1", "Participant2"])
backbone = keras.Sequential([keras.Input(shape=(16, 16, 3)), layers.Conv2D(8, 3, activation="relu", name="conv"),
                             layers.GlobalAveragePooling2D(name="pool")], name="backbone")
x_in = keras.Input(shape=(16, 16, 3), name="face")
model = keras.Model(x_in, layers.Dense(3, activation="softmax", name="person")(backbone(x_in)), name="faces")
model.compile(optimizer="adam", loss="categorical_crossentropy")
labels = keras.utils.to_categorical(names, 3)
model.fit(images, labels, epochs=1, batch_size=8, verbose=0)
