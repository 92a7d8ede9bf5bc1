"""One instance of a custom projection is put in two nested models whose inputs have different widths."""
import keras
from keras import layers


class Project(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")

    def call(self, x):
        return keras.ops.matmul(x, self.kernel)


shared = Project(8, name="project")
q_in = keras.Input(shape=(5,))
query_tower = keras.Model(q_in, shared(q_in), name="query_tower")
d_in = keras.Input(shape=(7,))
doc_tower = keras.Model(d_in, shared(d_in), name="doc_tower")
