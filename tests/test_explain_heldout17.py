"""The mechanisms added for the seventeenth held-out set (tests/corpus/221-229), each tested on other small models
than the corpus cases: other layers, names, sizes, settings and data."""

from __future__ import annotations

import keras
import pytest

from tests.corpus_cases import check_script

pytestmark = pytest.mark.core

traced_backends = pytest.mark.skipif(keras.backend.backend() == "torch",
                                     reason="PyTorch runs fit eagerly: nothing is traced")
torch_only = pytest.mark.skipif(keras.backend.backend() != "torch", reason="torch.no_grad is PyTorch's")

DATA = ("x = np.random.rand(6, 3).astype('float32')\n"
        "y = np.random.rand(6, 1).astype('float32')\n")


def test_load_weights_by_name_of_a_keras3_file_becomes_skip_mismatch(tmp_path):
    code, printed = check_script(tmp_path, DATA + (
        "p = os.path.join(tempfile.mkdtemp(), 't.weights.h5')\n"
        "def trunk():\n"
        "    return keras.Sequential([keras.Input((3,)), L.Dense(5, name='d')], name='trunk')\n"
        "i = keras.Input((3,))\n"
        "teacher = keras.Model(i, L.Dense(2, name='t_out')(trunk()(i)), name='teacher')\n"
        "teacher.save_weights(p)\n"
        "j = keras.Input((3,))\n"
        "student = keras.Model(j, L.Dense(1, name='s_out')(trunk()(j)), name='student')\n"
        "student.load_weights(p, by_name=True)\n"))
    assert code == 1 and "student: teacher -> student" in printed, printed
    assert "student.load_weights(p, skip_mismatch=True)" in printed and "Traceback" not in printed


def test_a_model_serializing_its_backbone_without_from_config_gets_one(tmp_path):
    code, printed = check_script(tmp_path, DATA + (
        "p = os.path.join(tempfile.mkdtemp(), 's.keras')\n"
        "@keras.saving.register_keras_serializable(package='t17')\n"
        "class Scorer(keras.Model):\n"
        "    def __init__(self, backbone, units=1, **kw):\n"
        "        super().__init__(**kw)\n"
        "        self.backbone, self.units = backbone, units\n"
        "        self.top = L.Dense(units)\n"
        "    def call(self, x):\n"
        "        return self.top(self.backbone(x))\n"
        "    def get_config(self):\n"
        "        return {**super().get_config(), 'units': self.units,\n"
        "                'backbone': keras.saving.serialize_keras_object(self.backbone)}\n"
        "net = Scorer(keras.Sequential([L.Dense(4, name='b1')], name='bb'), name='scorer')\n"
        "net.compile('sgd', 'mse')\n"
        "net.fit(x, y, verbose=0)\n"
        "net.save(p)\n"
        "net = keras.models.load_model(p)\n"))
    assert code == 1 and "scorer: backbone -> scorer" in printed, printed
    assert 'config["backbone"] = keras.saving.deserialize_keras_object(config["backbone"])' in printed
    assert "return cls(**config)" in printed and "Traceback" not in printed


def test_dict_outputs_are_handed_over_under_the_inputs_names_by_name_when_shapes_agree(tmp_path):
    code, printed = check_script(tmp_path, DATA + (
        "f = keras.Input((3,), name='f')\n"
        "enc = keras.Model(f, {'user_emb': L.Dense(4)(f), 'item_emb': L.Dense(4)(f)}, name='enc')\n"
        "u = keras.Input((4,), name='user')\n"
        "v = keras.Input((4,), name='item')\n"
        "dot = keras.Model({'user': u, 'item': v}, L.Dot(axes=1)([u, v]), name='dot')\n"
        "g = keras.Input((3,), name='f')\n"
        "out = enc(g)\n"
        "net = keras.Model(g, dot(out), name='net')\n"))
    assert code == 1 and "dot: enc -> dot" in printed, printed
    assert '{"user": out["user_emb"], "item": out["item_emb"]}' in printed and "Traceback" not in printed


@torch_only
def test_a_forward_pass_under_no_grad_in_train_step_is_moved_out(tmp_path):
    code, printed = check_script(tmp_path, DATA + (
        "import torch\n"
        "class Reg(keras.Model):\n"
        "    def __init__(self, **kw):\n"
        "        super().__init__(**kw)\n"
        "        self.d = L.Dense(1)\n"
        "    def call(self, x):\n"
        "        return self.d(x)\n"
        "    def train_step(self, batch):\n"
        "        features, target = batch\n"
        "        self.zero_grad()\n"
        "        with torch.no_grad():\n"
        "            out = self(features)\n"
        "            penalty = 0.0\n"
        "        loss = self.compute_loss(x=features, y=target, y_pred=out) + penalty\n"
        "        loss.backward()\n"
        "        return {'loss': loss}\n"
        "net = Reg(name='reg')\n"
        "net.compile('sgd', 'mse')\n"
        "net.fit(x, y, verbose=0)\n"))
    assert code == 1 and "reg: reg -> loss" in printed, printed
    assert "`out = self(features)`" in printed and "Traceback" not in printed


@traced_backends
def test_a_tensor_a_layer_kept_from_fit_is_read_after_an_eager_call(tmp_path):
    code, printed = check_script(tmp_path, DATA + (
        "class Gate(L.Layer):\n"
        "    def call(self, x):\n"
        "        g = keras.ops.sigmoid(x)\n"
        "        self.gate_values = g\n"
        "        return x * g\n"
        "i = keras.Input((3,))\n"
        "net = keras.Model(i, L.Dense(1)(Gate(name='gate')(i)), name='net')\n"
        "net.compile('sgd', 'mse')\n"
        "net.fit(x, y, verbose=0)\n"
        "values = np.asarray(net.get_layer('gate').gate_values)\n"))
    assert code == 1 and "gate: gate -> asarray" in printed, printed
    assert "`net(x)`" in printed and "Traceback" not in printed


@traced_backends
def test_a_python_branch_between_sub_layers_is_named_between_them(tmp_path):
    code, printed = check_script(tmp_path, DATA + (
        "class Scaled(keras.Model):\n"
        "    def __init__(self, **kw):\n"
        "        super().__init__(**kw)\n"
        "        self.proj = L.Dense(4, name='proj')\n"
        "        self.out = L.Dense(1, name='out')\n"
        "    def call(self, x):\n"
        "        z = self.proj(x)\n"
        "        if keras.ops.max(z) > 1.0:\n"
        "            z = z / 2.0\n"
        "        return self.out(z)\n"
        "net = Scaled(name='scaled')\n"
        "net.compile('sgd', 'mse')\n"
        "net.fit(x, y, verbose=0)\n"))
    assert code == 1 and "scaled: proj -> out" in printed, printed
    assert "z = keras.ops.where(keras.ops.max(z) > 1.0, z / 2.0, z)" in printed


TOWERS = ("def build_tower(name):\n"
          "    return keras.Sequential([keras.Input((3,)), L.Dense(4, name='h')], name=name)\n"
          "q = keras.Input((3,), name='q')\n"
          "d = keras.Input((3,), name='d')\n")


def test_twin_towers_built_twice_and_compared_are_flagged(tmp_path):
    code, printed = check_script(tmp_path, DATA + TOWERS + (
        "sim = L.Dot(axes=1, normalize=True, name='cos')([build_tower('tower_q')(q), build_tower('tower_d')(d)])\n"
        "net = keras.Model([q, d], sim, name='matcher')\n"
        "net.compile('sgd', 'mse')\n"
        "net.fit([x, x], y, verbose=0)\n"), strict=True)
    assert code == 1 and "matcher: tower_q -> tower_d" in printed, printed
    assert 'tower = build_tower("tower")' in printed


def test_twin_towers_joined_not_compared_are_not_flagged(tmp_path):
    code, printed = check_script(tmp_path, DATA + TOWERS + (
        "both = L.Concatenate()([build_tower('tower_q')(q), build_tower('tower_d')(d)])\n"
        "net = keras.Model([q, d], L.Dense(1)(both), name='joined')\n"
        "net.compile('sgd', 'mse')\n"
        "net.fit([x, x], y, verbose=0)\n"), strict=True)
    assert "tower_q -> tower_d" not in printed, printed


def test_a_python_number_changed_in_call_is_flagged_with_a_variable(tmp_path):
    code, printed = check_script(tmp_path, DATA + (
        "class Steps(L.Layer):\n"
        "    def __init__(self, **kw):\n"
        "        super().__init__(**kw)\n"
        "        self.seen = 0\n"
        "    def call(self, x):\n"
        "        self.seen += 2\n"
        "        return x\n"
        "i = keras.Input((3,))\n"
        "net = keras.Model(i, L.Dense(1)(Steps(name='steps')(i)), name='net')\n"
        "net.compile('sgd', 'mse')\n"
        "net.fit(x, y, verbose=0)\n"), strict=True)
    assert code == 1 and "steps: steps -> fit" in printed, printed
    assert "self.seen.assign_add(2)" in printed and 'dtype="int32"' in printed


@pytest.mark.skipif(keras.backend.backend() != "jax", reason="only JAX's jit refuses a boolean index")
def test_a_boolean_index_summed_in_call_becomes_a_masked_sum(tmp_path):
    code, printed = check_script(tmp_path, DATA + (
        "class Bright(L.Layer):\n"
        "    def call(self, feats):\n"
        "        total = keras.ops.sum(feats[feats > 0.5], axis=0)\n"
        "        return feats - total\n"
        "i = keras.Input((3,))\n"
        "net = keras.Model(i, L.Dense(1)(Bright(name='bright')(L.Dense(3, name='lift')(i))), name='net')\n"))
    assert code == 1 and "bright: lift -> bright" in printed, printed
    assert "keep = keras.ops.cast(feats > 0.5, feats.dtype)" in printed
    assert "total = keras.ops.sum(feats * keep, axis=(0, 1))" in printed and "Traceback" not in printed
