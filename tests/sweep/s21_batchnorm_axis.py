"""BatchNormalization(axis=3) on a rank-3 (batch, 10, 6) sequence."""
import keras
from keras import layers

seq = keras.Sequential([keras.Input(shape=(10, 6)), layers.Dense(6, name="mix")], name="seq")
bn_block = keras.Sequential([layers.BatchNormalization(axis=3, name="bn")], name="bn_block")
i = keras.Input(shape=(10, 6), name="i")
model = keras.Model(i, bn_block(seq(i)), name="net")
