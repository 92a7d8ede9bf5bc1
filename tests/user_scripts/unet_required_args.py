"""A U-Net-ish segmentation script whose command line needs a data folder."""
import argparse

import keras
from keras import layers

parser = argparse.ArgumentParser()
parser.add_argument("--data-dir", required=True, help="folder of images and masks")
parser.add_argument("--size", type=int, default=32)
args = parser.parse_args()


def build_unet(size=args.size):
    inputs = keras.Input((size, size, 3))
    down = keras.Sequential([layers.Conv2D(8, 3, padding="same", activation="relu"), layers.MaxPooling2D()],
                            name="down")
    up = keras.Sequential([layers.UpSampling2D(), layers.Conv2D(8, 3, padding="same", activation="relu")], name="up")
    x = up(down(inputs))
    outputs = layers.Conv2D(1, 1, activation="sigmoid", name="mask")(layers.Concatenate()([x, inputs]))
    return keras.Model(inputs, outputs, name="unet")


model = build_unet()
