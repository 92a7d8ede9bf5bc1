import sys

import keras


def main():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="fc")], name="tiny")
    print(model.count_params())
    return 0


if __name__ == "__main__":
    sys.exit(main())
