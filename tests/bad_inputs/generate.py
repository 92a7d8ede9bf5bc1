"""Make the bad inputs that are binary, big or need a trained run; the tests call ``generate`` into a tmp dir.

Run ``python -m tests.bad_inputs.generate DIR`` to look at them.
"""

from __future__ import annotations

import shutil
import sys
import zipfile
from pathlib import Path

ONE_MB = 1 << 20


def generate(dest: Path, good_run: Path | None = None) -> Path:
    """Write the generated bad inputs under ``dest`` (and broken copies of ``good_run``); returns ``dest``."""
    import keras

    dest.mkdir(parents=True, exist_ok=True)
    (dest / "binary.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    (dest / "one_mb_line.csv").write_text("word," * (ONE_MB // 5), encoding="ascii")  # no newline, no header
    (dest / "undecodable.csv").write_bytes(b"text,label\n\xff\xfe\xfd,pos\n\x81\x8d\x8f\x90,neg\n")
    # One 1 MB text in an otherwise fine file.
    (dest / "one_mb_field.csv").write_text("text,label\n" + "x" * ONE_MB + ",pos\nbad,neg\nsad,neg\n", "ascii")
    (dest / "utf16.csv").write_text("text,label\ngood,pos\nbad,neg\n", encoding="utf-16")

    (dest / "syntax_error.py").write_text("def build(:\n")  # not committed: linters would reject it
    x = keras.Input((4,))
    model = keras.Model(x, keras.layers.Dense(2)(x))
    model.save(dest / "good.keras")
    data = (dest / "good.keras").read_bytes()
    (dest / "truncated.keras").write_bytes(data[: len(data) // 2])
    with zipfile.ZipFile(dest / "zip_no_config.keras", "w") as z:
        z.writestr("notes.txt", "a zip archive, but not a Keras model")
    y = keras.layers.Lambda(lambda t: t * 2.0, name="double")(x)
    keras.Model(x, y).save(dest / "lambda.keras")

    if good_run is not None:
        _broken_runs(dest, good_run)
    return dest


def _broken_runs(dest: Path, good: Path) -> None:
    from tests import models

    def variant(name: str) -> Path:
        p = dest / "runs" / name
        shutil.copytree(good, p)
        return p

    (variant("no_model") / "model.keras").unlink()
    (variant("no_preprocess") / "preprocess.json").unlink()
    (variant("no_config") / "config.json").unlink()
    p = variant("damaged_preprocess") / "preprocess.json"
    p.write_text(p.read_text()[:40])
    p = variant("truncated_model") / "model.keras"
    p.write_bytes(p.read_bytes()[:300])
    (variant("not_zip_model") / "model.keras").write_text("not a model")
    # A model built for other data: 6 words x 8 chars and 3 classes; the run's encoder makes 8 x 8, 2 classes.
    models.word_model().save(variant("wrong_model") / "model.keras")
    shutil.copy(dest / "lambda.keras", variant("lambda_model") / "model.keras")
    (dest / "runs" / "empty").mkdir()


if __name__ == "__main__":
    generate(Path(sys.argv[1]))
