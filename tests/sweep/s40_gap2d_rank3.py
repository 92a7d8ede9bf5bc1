"""GlobalAveragePooling2D head fed a (batch, 10, 6) sequence."""
import keras
from keras import layers

seq = keras.Sequential([keras.Input(shape=(10, 3)), layers.Conv1D(6, 3, padding="same", name="conv")], name="seq")
pool_head = keras.Sequential([layers.GlobalAveragePooling2D(name="gap")], name="pool_head")
i = keras.Input(shape=(10, 3), name="i")
model = keras.Model(i, pool_head(seq(i)), name="net")
