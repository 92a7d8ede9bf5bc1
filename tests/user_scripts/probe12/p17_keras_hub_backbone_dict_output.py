# After keras-team/keras-hub#1358 and #437 (BERT backbones return sequence_output / pooled_output): a keras_hub BERT
# backbone used as an inner model returns a dict; the user feeds that dict straight into a Dense head.
import keras
import keras_hub
import numpy as np
from keras import layers as L

backbone = keras_hub.models.BertBackbone(vocabulary_size=120, num_layers=1, num_heads=2, hidden_dim=16,
                                         intermediate_dim=32, max_sequence_length=24)
token_ids = keras.Input((24,), dtype="int32", name="token_ids")
padding_mask = keras.Input((24,), dtype="int32", name="padding_mask")
segment_ids = keras.Input((24,), dtype="int32", name="segment_ids")
enc = backbone({"token_ids": token_ids, "padding_mask": padding_mask, "segment_ids": segment_ids})
out = L.Dense(2, activation="softmax", name="label")(enc)
model = keras.Model([token_ids, padding_mask, segment_ids], out, name="sentiment")
model.compile("adam", "sparse_categorical_crossentropy")
n = 8
model.fit([np.random.randint(1, 120, (n, 24)), np.ones((n, 24), "int32"), np.zeros((n, 24), "int32")],
          np.random.randint(0, 2, (n,)), verbose=0)
