"""Bidirectional LSTM reader fed a (batch, 12, 10, 5) feature map."""
import keras
from keras import layers

map_cnn = keras.Sequential([keras.Input(shape=(12, 10, 3)), layers.Conv2D(5, 3, padding="same", name="conv")], name="map_cnn")
reader = keras.Sequential([layers.Bidirectional(layers.LSTM(8), name="bi")], name="reader")
img = keras.Input(shape=(12, 10, 3), name="img")
model = keras.Model(img, reader(map_cnn(img)), name="net")
