"""kernest.trace(): the nested call stack, failures attributed to the full path, and bad scripts."""

from __future__ import annotations

import keras
import pytest

import kernest
from kernest.cli import main

L = keras.layers


@pytest.mark.core
def test_trace_records_nested_paths_and_restores_keras():
    inner = keras.Sequential([L.Dense(4, name="proj")], name="inner")
    outer = keras.Sequential([inner, L.Dense(2, name="head")], name="outer")
    before = keras.layers.Layer.__call__
    with kernest.trace() as t:
        outer(keras.Input((3,)))
    assert [c.path for c in t.calls] == ["outer", "outer/inner", "outer/inner/proj", "outer/head"]
    assert keras.layers.Layer.__call__ is before
    assert keras.config.is_traceback_filtering_enabled()


@pytest.mark.core
def test_failure_keeps_the_full_path_the_interface_and_the_user_line():
    encoder = keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(4, 3, name="conv"), L.Flatten(name="flat")], name="encoder")
    decoder = keras.Sequential([L.Conv2DTranspose(4, 3, name="up")], name="decoder")
    image = keras.Input((8, 8, 1), name="image")
    with kernest.trace() as t, pytest.raises(ValueError) as raised:
        decoder(encoder(image))
    assert t.failure is not None and t.failure.path == "decoder/up"
    assert "decoder(encoder(image))" in t.failure.site.text
    err = kernest.explain(raised.value)
    assert err.path == "decoder/up" and err.interface == "encoder -> decoder"
    assert "Reshape((6, 6, 4))" in err.fix  # 144 = 6 x 6 x 4, what encoder/flat flattened


@pytest.mark.core
def test_nested_traces_and_a_failure_outside_any_model():
    with kernest.trace() as outer_trace:
        with kernest.trace() as inner_trace:
            with pytest.raises(ValueError):
                L.LSTM(2, name="rnn")(keras.Input((5,), name="flat_in"))
        assert inner_trace.failure is not None and inner_trace.failure.path == "rnn"
    assert outer_trace.failure is None


@pytest.mark.core
def test_width_mismatch_without_a_words_axis_names_dense_and_input():
    backbone = keras.Sequential([keras.Input((10,)), L.Dense(6, name="feat")], name="backbone")
    head_in = keras.Input((4,))
    head = keras.Model(head_in, L.Dense(1, name="out")(head_in), name="head")
    x = keras.Input((10,), name="x")
    with kernest.trace(), pytest.raises(ValueError) as raised:
        head(backbone(x))
    err = kernest.explain(raised.value)
    assert err.interface == "backbone -> head"
    assert "Dense(4)" in err.fix and "Input(shape=(6,))" in err.fix
    assert "words" not in err.fix


@pytest.mark.core
def test_channels_first_conv_gets_a_reshape_from_its_own_sizes():
    cnn = keras.Sequential([L.Conv2D(4, 3, data_format="channels_first", name="conv")], name="cnn")
    x = keras.Input((16, 16), name="gray")
    with kernest.trace(), pytest.raises(ValueError) as raised:
        cnn(x)
    err = kernest.explain(raised.value)
    assert err.path == "cnn/conv" and err.interface == "input:gray -> cnn"
    assert "Reshape(" in err.fix


SCRIPTS = {
    "nothing.py": ("x = 1\n", "left no Keras model"),
    "exits.py": ("import sys\nsys.exit(3)\n", "called sys.exit(3)"),
    "slow.py": ("import time\ntime.sleep(30)\n", "ran for more than 1 s"),
    "gen.py": ("import keras\ndef build_model():\n    yield keras.Sequential([keras.layers.Dense(1)])\n", "returned a generator"),
    "syntax.py": ("def broken(:\n", "raised SyntaxError"),
    "typo.py": ("import keras\nmodle = keras.Sequential()\nmodel = modle.fitt\n", "raised AttributeError"),
}


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_bad_scripts_get_one_paragraph_and_exit_2(tmp_path, capsys, name):
    text, message = SCRIPTS[name]
    (tmp_path / name).write_text(text)
    assert main(["check", "--timeout", "1", str(tmp_path / name)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_keras_failures_never_fall_back_to_fix_your_code(tmp_path, capsys):
    script = tmp_path / "odd.py"
    script.write_text(
        "import keras\n"
        "a = keras.Input((3,), name='a'); b = keras.Input((4,), name='b')\n"
        "model = keras.Model([a, b], keras.layers.Add(name='add')([a, b]), name='adder')\n"
    )
    assert main(["check", str(script)]) == 1
    err = capsys.readouterr().err
    assert "add" in err and "Fix:" in err and "Fix the error in that code" not in err


def test_user_files_are_the_users_not_generated_or_library_code(tmp_path):
    from kernest._trace import is_user_file

    assert is_user_file(str(tmp_path / "train.py"))
    assert not is_user_file(str(tmp_path / "__autograph_generated_filexyz.py"))  # TensorFlow's tf.function code
    assert not is_user_file(keras.__file__) and not is_user_file("<frozen runpy>")
