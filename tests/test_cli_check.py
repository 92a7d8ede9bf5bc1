from __future__ import annotations

from pathlib import Path

import pytest

from kernest.cli import main
from tests import models

ROOT = Path(__file__).resolve().parent.parent


def test_clean_model_file_prints_report(tmp_path, capsys):
    path = tmp_path / "m.keras"
    models.word_model().save(path)
    assert main(["check", str(path)]) == 0
    assert "per_word" in capsys.readouterr().out


def test_module_function_target(tmp_path, capsys, monkeypatch):
    (tmp_path / "mymodels.py").write_text("from tests import models\n\ndef make():\n    return models.depth3()\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.syspath_prepend(str(ROOT))
    assert main(["check", "mymodels:make"]) == 0
    assert "middle/inner" in capsys.readouterr().out


@pytest.mark.parametrize(
    "files, arg, message",
    [
        ({}, "missing.py", "no such script"),
        ({"boom.py": "raise RuntimeError('kaput')\n"}, "boom.py", "boom.py raised RuntimeError: kaput"),
        ({"empty.py": "x = 1\n"}, "empty.py", "left no Keras model"),
        ({}, "no_such_module_xyz:build", "cannot import module"),
        ({"fine.py": "def other():\n    return 1\n"}, "fine:build", "has no function 'build'"),
        ({"notmodel.py": "def build():\n    return 42\n"}, "notmodel:build", "returned int, not a Keras model"),
        ({}, "what", "cannot tell what"),
    ],
)
def test_bad_targets_exit_2_with_one_line(tmp_path, capsys, monkeypatch, files, arg, message):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["check", arg]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_bad_arguments_exit_2_without_traceback(capsys):
    # In-process: these are argument-parsing messages, given before Keras is touched. `python -m kernest --backend
    # nope` as a real process is a case of tests/bad_inputs/cases.json, and the command's start-up is
    # tests/test_real_world.py's.
    with pytest.raises(SystemExit) as stop:
        main(["--backend", "nope", "check", "x.py"])
    err = capsys.readouterr().err
    assert stop.value.code == 2
    assert "unknown backend 'nope'" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as stop:
        main(["check"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "Traceback" not in err
    assert "the following arguments are required: target" in err
