"""The diagnosis engine's known limits, round 8 (session 30): a model built on another model's output tensor, a
sequence tagger's per-step sample_weight, in-batch negatives (which must stay quiet), predict on a shuffling Python
generator or PyTorch DataLoader, a strategy scope opened inside a block, and the seventeenth held-out set's rule gaps
(twins compared through a layer on each side, a Python list grown in call, the shared builder's name). Each rule on
its limit's script (tests/user_scripts/limits/l44_ to l50_) with its printed fix applied, on models of its own, and
where it must stay silent."""

from __future__ import annotations

from pathlib import Path

import keras
import pytest

from tests.corpus_cases import check_script, kernest_check

pytestmark = pytest.mark.core

LIMITS = Path(__file__).parent / "user_scripts" / "limits"

tensorflow_only = pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="tf.distribute is TensorFlow's")


def _fixed_passes(tmp_path: Path, script: str, old: str, new: str) -> None:
    """The limit's script with the printed fix applied (``old`` -> ``new``, one place) passes ``--strict``."""
    text = (LIMITS / script).read_text()
    assert text.count(old) == 1, old
    fixed = tmp_path / script
    fixed.write_text(text.replace(old, new))
    keras.backend.clear_session(free_memory=False)
    code, printed = kernest_check(fixed, strict=True)
    assert code == 0 and "warning:" not in printed, printed


def _checked(script: str, fix: str, strict: bool = True) -> str:
    keras.backend.clear_session(free_memory=False)
    code, printed = kernest_check(LIMITS / script, strict=strict)
    assert code == 1 and fix in printed, printed
    assert "Traceback" not in printed, printed
    return printed


def _quiet(tmp_path: Path, body: str) -> None:
    code, printed = check_script(tmp_path, body, strict=True)
    assert code == 0 and "warning:" not in printed, printed


# --- 1. a model built on another model's output tensor -------------------------------------------------------------

def test_a_gan_started_at_the_generators_output_is_warned_and_its_fix_trains_the_generator(tmp_path):
    fix = 'gan = keras.Model(generator.input, discriminator(generator.output), name="gan")'
    printed = _checked("l44_gan_built_on_generator_output.py", fix)
    assert "warning: gan: generator -> gan: gan starts at generator's output" in printed, printed
    assert "every weight of gan is frozen" not in printed, printed  # the cause is said once, by the new rule
    _fixed_passes(tmp_path, "l44_gan_built_on_generator_output.py",
                  "keras.Model(generator.output, discriminator", "keras.Model(generator.input, discriminator")


def test_a_classifier_started_at_the_embedders_output_and_fit_on_images_is_named(tmp_path):
    fix = 'classifier = keras.Model(inputs=embedder.input, outputs=logits, name="classifier")'
    printed = _checked("l45_classifier_started_at_embedder_output.py", fix, strict=False)
    assert "classifier: embedder -> classifier: expected (batch, 32)" in printed, printed
    assert "shaped like embedder's input, (batch, 28, 28, 1)" in printed, printed
    _fixed_passes(tmp_path, "l45_classifier_started_at_embedder_output.py", "inputs=embedder.output",
                  "inputs=embedder.input")


DENOISER = ("noisy = keras.Input((20,), name='noisy')\n"
            "denoiser = keras.Model(noisy, L.Dense(20, name='clean')(L.Dense(32, activation='relu')(noisy)),"
            " name='denoiser')\n"
            "signal = keras.Input((20,), name='signal')\n"
            "scorer = keras.Model(signal, L.Dense(1, activation='sigmoid', name='score')(signal), name='scorer')\n"
            "x = np.random.rand(32, 20).astype('float32')\n")


def test_a_pipeline_started_at_a_tensor_held_in_a_variable_is_warned(tmp_path):
    code, printed = check_script(tmp_path, DENOISER + (
        "cleaned = denoiser.output\n"
        "pipeline = keras.Model(cleaned, scorer(cleaned), name='pipeline')\n"
        "pipeline.compile(optimizer='adam', loss='binary_crossentropy')\n"
        "pipeline.fit(x, np.ones((32, 1), 'float32'), epochs=1, verbose=0)\n"), strict=True)
    assert code == 1 and "warning: pipeline: denoiser -> pipeline:" in printed, printed
    assert "takes and gives (batch, 20)" in printed, printed
    assert "pipeline = keras.Model(denoiser.input, scorer(cleaned), name='pipeline')" in printed, printed


def test_a_ranker_started_at_the_encoders_output_and_predicted_on_ids_is_named(tmp_path):
    code, printed = check_script(tmp_path, (
        "ids = keras.Input((6,), dtype='int32', name='ids')\n"
        "pooled = L.GlobalAveragePooling1D()(L.Embedding(100, 8, name='emb')(ids))\n"
        "text_encoder = keras.Model(ids, pooled, name='text_encoder')\n"
        "ranker = keras.Model(text_encoder.outputs, [L.Dense(1, name='rank')(text_encoder.output)], name='ranker')\n"
        "ranker.predict(np.random.randint(1, 100, size=(4, 6)), verbose=0)\n"))
    assert code == 1 and "ranker: text_encoder -> ranker: expected (batch, 8)" in printed, printed
    assert "keras.Model(text_encoder.inputs, [L.Dense(1, name='rank')(text_encoder.output)]" in printed, printed


def test_a_decoder_cut_at_a_bottleneck_and_a_head_on_features_are_left_alone(tmp_path):
    _quiet(tmp_path, (
        "img = keras.Input((12,), name='img')\n"
        "code = L.Dense(3, name='code')(L.Dense(8, activation='relu', name='down')(img))\n"
        "autoencoder = keras.Model(img, L.Dense(12, name='up')(code), name='autoencoder')\n"
        "decoder = keras.Model(autoencoder.get_layer('code').output, autoencoder.output, name='decoder')\n"
        "decoder.compile(optimizer='adam', loss='mse')\n"
        "decoder.fit(np.random.rand(16, 3).astype('float32'), np.random.rand(16, 12).astype('float32'),"
        " epochs=1, verbose=0)\n"))
    _quiet(tmp_path, (
        "img = keras.Input((12,), name='img')\n"
        "backbone = keras.Model(img, L.Dense(4, activation='relu', name='feat')(img), name='backbone')\n"
        "head = keras.Model(backbone.output, L.Dense(1, name='out')(backbone.output), name='head')\n"
        "head.compile(optimizer='adam', loss='mse')\n"
        "head.fit(np.random.rand(16, 4).astype('float32'), np.random.rand(16, 1).astype('float32'), epochs=1,"
        " verbose=0)\n"))


# --- 2. per-step sample_weight of a sequence tagger (the lead's round-9 probe 20) ----------------------------------

def test_a_taggers_weights_per_tag_become_one_per_step(tmp_path):
    printed = _checked("l46_tagger_sample_weight_per_tag.py", "sample_weight=per_tag[..., 0]", strict=False)
    assert "expected sample_weight of shape (64, 12), received sample_weight of shape (64, 12, 6)" in printed, printed
    assert "the labels (64, 12) are class ids, one per step of each sample" in printed, printed
    _fixed_passes(tmp_path, "l46_tagger_sample_weight_per_tag.py", "sample_weight=per_tag,",
                  "sample_weight=per_tag[..., 0],")


SEQUENCE = ("frames = keras.Input((5, 4), name='frames')\n"
            "body = keras.Model(frames, L.LSTM(6, return_sequences=True, name='lstm')(frames), name='body')\n"
            "steps = keras.Input((5, 4), name='steps')\n"
            "net = keras.Model(steps, L.Dense(3, name='reading')(body(steps)), name='net')\n"
            "net.compile(optimizer='adam', loss='mse')\n"
            "x, y = np.random.rand(8, 5, 4).astype('float32'), np.random.rand(8, 5, 3).astype('float32')\n")


def test_weights_of_a_regression_over_steps_with_two_axes_too_many_keep_the_steps(tmp_path):
    code, printed = check_script(tmp_path, SEQUENCE + (
        "w = np.ones((8, 5, 3, 2), 'float32')\n"
        "net.fit(x, y, sample_weight=w, epochs=1, verbose=0)\n"))
    assert code == 1 and "expected sample_weight of shape (8, 5)" in printed, printed
    assert "sample_weight=w[..., 0, 0] (or w.mean(axis=(-2, -1)))" in printed, printed
    _quiet(tmp_path, SEQUENCE + "net.fit(x, y, sample_weight=np.ones((8, 5), 'float32'), epochs=1, verbose=0)\n")


# --- 3. in-batch negatives: comparing the samples of a batch on purpose stays quiet --------------------------------

def test_a_clip_dual_encoder_with_in_batch_negatives_passes_strict():
    keras.backend.clear_session(free_memory=False)
    code, printed = kernest_check(LIMITS / "l47_clip_in_batch_negatives.py", strict=True)
    assert code == 0 and "warning:" not in printed, printed


def test_a_self_similarity_layer_and_an_in_batch_loss_layer_are_not_batch_reductions(tmp_path):
    towers = ("q_in = keras.Input((10,), name='q')\n"
              "tower = keras.Model(q_in, L.Dense(8, name='proj')(q_in), name='tower')\n"
              "x = np.random.rand(32, 10).astype('float32')\n")
    _quiet(tmp_path, towers + (
        "class Similarity(L.Layer):\n"
        "    def call(self, z):\n"
        "        z = z / keras.ops.norm(z, axis=-1, keepdims=True)\n"
        "        return keras.ops.einsum('id,jd->ij', z, z) / 0.1\n"
        "    def compute_output_shape(self, s):\n"
        "        return (s[0], s[0])\n"
        "def nt_xent(y_true, sims):\n"
        "    n = keras.ops.shape(sims)[0]\n"
        "    return keras.losses.sparse_categorical_crossentropy(keras.ops.arange(n), sims, from_logits=True)\n"
        "v = keras.Input((10,), name='views')\n"
        "simclr = keras.Model(v, Similarity(name='sims')(tower(v)), name='simclr')\n"
        "simclr.compile(optimizer='adam', loss=nt_xent)\n"
        "simclr.fit(x, np.zeros(32, 'float32'), batch_size=8, epochs=1, verbose=0)\n"))
    _quiet(tmp_path, towers + (
        "class InBatchLoss(L.Layer):\n"
        "    def call(self, pair):\n"
        "        a, b = keras.ops.split(pair, 2, axis=-1)\n"
        "        logits = a @ keras.ops.transpose(b)\n"
        "        labels = keras.ops.arange(keras.ops.shape(logits)[0])\n"
        "        return keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)[:, None]\n"
        "d_in = keras.Input((10,), name='d')\n"
        "pair = L.Concatenate(name='pair')([tower(q_in), L.Dense(8, name='doc')(d_in)])\n"
        "retriever = keras.Model([q_in, d_in], InBatchLoss(name='loss_per_query')(pair), name='retriever')\n"
        "retriever.compile(optimizer='adam', loss=lambda y, per_query: keras.ops.mean(per_query))\n"
        "retriever.fit([x, x], np.zeros((32, 1), 'float32'), batch_size=8, epochs=1, verbose=0)\n"))


# --- 4. predict on a shuffling Python generator or PyTorch DataLoader ----------------------------------------------

def test_predict_on_a_shuffling_generator_gets_shuffle_false_in_the_users_call(tmp_path):
    printed = _checked("l48_predict_on_shuffling_generator.py", "without the shuffle: batches(x_test, y_test, "
                       "shuffle=False)")
    assert "warning: model: batches(x_test, y_test) -> model:" in printed, printed
    _fixed_passes(tmp_path, "l48_predict_on_shuffling_generator.py", "model.predict(batches(x_test, y_test)",
                  "model.predict(batches(x_test, y_test, shuffle=False)")


def test_predict_on_a_shuffling_dataloader_gets_shuffle_false_in_its_assignment(tmp_path):
    pytest.importorskip("torch")
    printed = _checked("l49_predict_on_shuffling_dataloader.py", "batch_size=32, shuffle=False).")
    assert "warning: regressor: test_loader -> regressor: test_loader shuffles its samples" in printed, printed
    _fixed_passes(tmp_path, "l49_predict_on_shuffling_dataloader.py", "batch_size=32,\n                         "
                  "shuffle=True)", "batch_size=32,\n                         shuffle=False)")


SCORED = ("f_in = keras.Input((7,), name='f')\n"
          "trunk = keras.Model(f_in, L.Dense(5, name='t')(f_in), name='trunk')\n"
          "g_in = keras.Input((7,), name='g')\n"
          "scorer = keras.Model(g_in, L.Dense(1, name='s')(trunk(g_in)), name='scorer')\n"
          "scorer.compile(optimizer='adam', loss='mse')\n"
          "xs, ys = np.random.rand(24, 7).astype('float32'), np.random.rand(24, 1).astype('float32')\n"
          "scorer.fit(xs, ys, epochs=1, verbose=0)\n")


def test_a_generator_drawing_a_permutation_is_flagged_and_one_told_not_to_shuffle_is_not(tmp_path):
    code, printed = check_script(tmp_path, SCORED + (
        "def stream(a, b):\n"
        "    rows = np.random.default_rng(0).permutation(len(a))\n"
        "    for i in range(0, len(a), 8):\n"
        "        yield a[rows[i:i + 8]], b[rows[i:i + 8]]\n"
        "scores = scorer.predict(stream(xs, ys), verbose=0)\n"), strict=True)
    assert code == 1 and "warning: scorer: stream(xs, ys) -> scorer:" in printed, printed
    assert "yield the samples in their stored order for predict" in printed, printed
    _quiet(tmp_path, SCORED + (
        "def stream(a, b, mix=True):\n"
        "    rows = np.arange(len(a))\n"
        "    if mix:\n"
        "        np.random.shuffle(rows)\n"
        "    for i in range(0, len(a), 8):\n"
        "        yield a[rows[i:i + 8]], b[rows[i:i + 8]]\n"
        "scores = scorer.predict(stream(xs, ys, mix=False), verbose=0)\n"))


def test_a_dataloader_in_stored_order_is_left_alone(tmp_path):
    pytest.importorskip("torch")
    _quiet(tmp_path, SCORED + (
        "import torch\n"
        "loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.from_numpy(xs),"
        " torch.from_numpy(ys)), batch_size=8)\n"
        "scores = scorer.predict(loader, verbose=0)\n"))


# --- 5. a strategy scope opened inside a block ---------------------------------------------------------------------

@tensorflow_only
def test_a_model_built_before_the_scope_under_a_main_guard_moves_into_it(tmp_path):
    printed = _checked("l50_strategy_scope_under_main_guard.py", "with strategy.scope():\n    model = build_classifier()\n"
                       "    model.compile(", strict=False)
    assert "kws: kws -> strategy:" in printed and "built on line 22" in printed, printed
    _fixed_passes(tmp_path, "l50_strategy_scope_under_main_guard.py",
                  "    model = build_classifier()\n    with strategy.scope():\n",
                  "    with strategy.scope():\n        model = build_classifier()\n")


@tensorflow_only
def test_a_model_built_before_the_scope_inside_a_loop_of_a_function(tmp_path):
    code, printed = check_script(tmp_path, (
        "def train(widths):\n"
        "    cpus = tf.distribute.MirroredStrategy(['/cpu:0'])\n"
        "    for width in widths:\n"
        "        probe = keras.Sequential([keras.Input((3,)), L.Dense(width, name='h')], name='probe')\n"
        "        with cpus.scope():\n"
        "            probe.compile(optimizer='sgd', loss='mse')\n"
        "        probe.fit(np.zeros((4, 3), 'float32'), np.zeros((4, width), 'float32'), verbose=0)\n"
        "train([2])\n"))
    assert code == 1 and "probe: probe -> cpus" in printed, printed
    assert "with cpus.scope():\n    probe = keras.Sequential(" in printed, printed


# --- 6. the seventeenth held-out set's rule gaps -------------------------------------------------------------------

TWINS = ("def tower(name):\n"
         "    i = keras.Input((9,))\n"
         "    return keras.Model(i, L.Dense(4, activation='relu')(i), name=name)\n"
         "left, right = keras.Input((9,), name='left'), keras.Input((9,), name='right')\n"
         "tower_l, tower_r = tower('tower_l'), tower('tower_r')\n")


def test_twins_compared_through_a_layer_on_each_side_are_found_and_the_builder_keeps_its_name(tmp_path):
    code, printed = check_script(tmp_path, TWINS + (
        "a = L.UnitNormalization(name='norm_l')(tower_l(left))\n"
        "b = L.UnitNormalization(name='norm_r')(tower_r(right))\n"
        "match = keras.Model([left, right], L.Dot(axes=1, name='cosine')([a, b]), name='match')\n"
        "match.compile(optimizer='adam', loss='mse')\n"
        "x = np.random.rand(8, 9).astype('float32')\n"
        "match.fit([x, x], np.ones((8, 1), 'float32'), epochs=1, verbose=0)\n"), strict=True)
    assert code == 1 and "warning: match: tower_l -> tower_r:" in printed, printed
    assert "`shared_tower = tower(\"tower\")`, then `shared_tower(...)` on each input" in printed, printed


def test_a_python_list_grown_in_call_is_flagged_and_a_local_list_is_not(tmp_path):
    layer = ("class Pool(L.Layer):\n"
             "    def __init__(self, **kw):\n"
             "        super().__init__(**kw)\n"
             "        self.seen = []\n"
             "    def call(self, x):\n"
             "        parts = []\n"
             "        parts.append(keras.ops.mean(x, axis=1))\n"
             "        {extra}\n"
             "        return parts[0]\n"
             "s_in = keras.Input((4, 3), name='s')\n"
             "inner = keras.Model(s_in, Pool(name='pool')(s_in), name='inner')\n"
             "o_in = keras.Input((4, 3), name='o')\n"
             "outer = keras.Model(o_in, L.Dense(1, name='y')(inner(o_in)), name='outer')\n"
             "outer.compile(optimizer='adam', loss='mse')\n"
             "outer.fit(np.random.rand(8, 4, 3).astype('float32'), np.zeros((8, 1), 'float32'), verbose=0)\n")
    code, printed = check_script(tmp_path, layer.format(extra="self.seen.append(x)"), strict=True)
    assert code == 1 and "warning: inner/pool: pool -> fit: Pool.call adds to the Python list seen" in printed, printed
    assert "drop `self.seen.append(x)`" in printed, printed
    _quiet(tmp_path, layer.format(extra="pass"))


def test_a_layer_whose_config_holds_a_serialized_block_gets_a_from_config(tmp_path):
    method = ('    @classmethod\n    def from_config(cls, config):\n'
              '        config["block"] = keras.saving.deserialize_keras_object(config["block"])\n'
              '        return cls(**config)\n')
    printed = _checked("l53_layer_config_never_deserialized.py", method, strict=False)
    assert "residual: block -> residual:" in printed, printed
    _fixed_passes(tmp_path, "l53_layer_config_never_deserialized.py", "        return config\n",
                  "        return config\n\n" + method)


# --- 7. new probes: a reshape that takes the batch, NumPy on a tensor in call --------------------------------------

def test_a_head_split_reshape_that_takes_the_batch_is_named_and_keeps_it(tmp_path):
    kept = "ops.reshape(x, (ops.shape(x)[0], -1, self.heads, self.depth))"
    printed = _checked("l54_heads_split_merges_the_batch.py", kept, strict=False)
    assert "encoder/head_pool: embed -> head_pool:" in printed and "640 rows for 32 labels" in printed, printed
    _fixed_passes(tmp_path, "l54_heads_split_merges_the_batch.py", "h = ops.reshape(x, (-1, self.heads, self.depth))",
                  f"h = {kept}")


def test_a_patch_layer_folding_patches_into_the_batch_is_named(tmp_path):
    code, printed = check_script(tmp_path, (
        "class Patches(L.Layer):\n"
        "    def call(self, img):\n"
        "        return keras.ops.reshape(img, (-1, 4 * 4 * 3))\n"
        "    def compute_output_shape(self, s):\n"
        "        return (None, 48)\n"
        "pix = keras.Input((8, 8, 3), name='pix')\n"
        "embedder = keras.Model(pix, L.Dense(6, name='proj')(Patches(name='patches')(pix)), name='embedder')\n"
        "img = keras.Input((8, 8, 3), name='img')\n"
        "vit = keras.Model(img, L.Dense(1, name='score')(embedder(img)), name='vit')\n"
        "vit.compile(optimizer='adam', loss='mse')\n"
        "vit.fit(np.random.rand(8, 8, 8, 3).astype('float32'), np.random.rand(8, 1).astype('float32'), verbose=0)\n"))
    assert code == 1 and "embedder/patches: input:pix -> patches:" in printed, printed
    assert "32 rows for 8 labels" in printed, printed
    assert "keras.ops.reshape(img, (keras.ops.shape(img)[0], -1, 4 * 4 * 3))" in printed, printed


def test_a_numpy_count_of_a_converted_tensor_becomes_a_keras_op_on_the_tensor(tmp_path):
    if keras.backend.backend() == "torch":
        pytest.skip("PyTorch runs fit eagerly: NumPy reads the tensor there")
    printed = _checked("l57_numpy_count_in_call.py", 'Write ops.cast(ops.count_nonzero(ids), "float32") instead')
    assert "encoder/mean_real: embed -> mean_real:" in printed, printed
    _fixed_passes(tmp_path, "l57_numpy_count_in_call.py", "int(np.count_nonzero(ops.convert_to_numpy(ids)))",
                  'ops.cast(ops.count_nonzero(ids), "float32")')
    code, printed = check_script(tmp_path, (
        "class Scale(L.Layer):\n"
        "    def call(self, x):\n"
        "        return x / float(np.max(np.asarray(x)))\n"
        "i = keras.Input((5,), name='i')\n"
        "inner = keras.Model(i, Scale(name='scale')(L.Dense(5, name='d')(i)), name='inner')\n"
        "j = keras.Input((5,), name='j')\n"
        "net = keras.Model(j, L.Dense(1, name='o')(inner(j)), name='net')\n"
        "net.compile(optimizer='adam', loss='mse')\n"
        "net.fit(np.random.rand(8, 5).astype('float32'), np.random.rand(8, 1).astype('float32'), verbose=0)\n"))
    assert code == 1 and "inner/scale:" in printed, printed
    assert 'keras.ops.cast(keras.ops.max(x), "float32")' in printed, printed


def test_a_list_of_blocks_of_which_call_uses_one_is_found_and_an_iterated_list_is_not(tmp_path):
    printed = _checked("l59_subclassed_reuses_first_block.py", "index by the loop variable: self.blocks[i] in place "
                       "of self.blocks[0]")
    assert "block_1, block_2 are built and hold weights that never train" in printed, printed
    _fixed_passes(tmp_path, "l59_subclassed_reuses_first_block.py", "x = x + self.blocks[0](x)",
                  "x = x + self.blocks[i](x)")
    layer = ("class Experts(L.Layer):\n"
             "    def __init__(self, **kw):\n"
             "        super().__init__(**kw)\n"
             "        self.experts = [L.Dense(4, name=f'expert_{k}') for k in range(3)]\n"
             "    def build(self, shape):\n"
             "        for e in self.experts:\n"
             "            e.build(shape)\n"
             "    def call(self, x):\n"
             "        return BODY\n"
             "i = keras.Input((4,), name='i')\n"
             "inner = keras.Model(i, Experts(name='experts')(i), name='inner')\n"
             "j = keras.Input((4,), name='j')\n"
             "net = keras.Model(j, L.Dense(1, name='o')(inner(j)), name='net')\n"
             "net.compile(optimizer='adam', loss='mse')\n"
             "net.fit(np.random.rand(8, 4).astype('float32'), np.zeros((8, 1), 'float32'), verbose=0)\n")
    code, printed = check_script(tmp_path, layer.replace("BODY", "self.experts[0](x) + self.experts[-1](x)"), strict=True)
    assert code == 1 and "warning: inner/experts: experts.call -> experts:" in printed, printed
    assert "expert_1 are built" in printed and "call each of them" in printed, printed
    _quiet(tmp_path, layer.replace("BODY", "sum(e(x) for e in self.experts)"))
