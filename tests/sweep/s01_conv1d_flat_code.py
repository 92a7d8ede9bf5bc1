"""Conv1D motif scanner fed the flat (batch, 32) output of a Dense embedder."""
import keras
from keras import layers

embedder = keras.Sequential([keras.Input(shape=(20,)), layers.Dense(32, name="proj")], name="embedder")
motif_scan = keras.Sequential([layers.Conv1D(8, 3, name="motif_conv"), layers.GlobalMaxPooling1D()], name="motif_scan")
x = keras.Input(shape=(20,), name="x")
model = keras.Model(x, motif_scan(embedder(x)), name="net")
