"""A channels-first inner CNN for (1, 24, 24) is given (n, 24, 24) arrays inside a dict to predict()."""
import keras
import numpy as np
from keras import layers

m_in = keras.Input(shape=(1, 24, 24))
cnn = keras.Model(m_in, layers.GlobalMaxPooling2D(data_format="channels_first")(
    layers.Conv2D(3, 3, data_format="channels_first", name="c")(m_in)), name="cnn")
scan, age = keras.Input(shape=(1, 24, 24), name="scan"), keras.Input(shape=(1,), name="age")
clinic = keras.Model({"scan": scan, "age": age}, layers.Dense(1, name="o")(layers.Concatenate()([cnn(scan), age])),
                     name="clinic")
scans = np.random.rand(6, 24, 24).astype("float32")
clinic.predict({"scan": scans, "age": np.random.rand(6, 1)}, verbose=0)
