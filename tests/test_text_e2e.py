"""train -> evaluate -> predict -> export on a small real sample, resume, broken runs, and the CLI adapter."""

from __future__ import annotations

import argparse
import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from kernest import DataError, KernestWarning
from kernest.text import Predictor, RunError, build_model, evaluate, export, predict, train
from kernest.text._defaults import schedule
from kernest.text._run import RUN_FILES
from tests.conftest_text import TINY, corpus_sample, trained_result, trained_run, write_table

# trained_run() is trained once per process: the files that read it share one worker, so CI trains it once.
pytestmark = pytest.mark.xdist_group("trained_run")


def test_run_directory_holds_every_file() -> None:
    run = trained_run()
    for name in RUN_FILES:
        assert (run / name).is_file(), name
    assert (run / "checkpoint" / "state.json").is_file()
    metrics = json.loads((run / "metrics.json").read_text())
    assert set(metrics["per_class"]) == {"negative", "neutral", "positive"}
    assert 0.0 <= metrics["macro_f1"] <= 1.0 and metrics["n"] > 30
    summary = (run / "summary.txt").read_text()
    assert "deep/per_word" in summary and "wide/nb_logits" in summary
    assert (run / "confusion.png").read_bytes()[:4] == b"\x89PNG"
    assert not [p for p in run.iterdir() if p.name.startswith(".")]  # no temporary file left behind


def test_evaluate_default_split_matches_train_metrics_and_other_data(tmp_path: Path) -> None:
    run = trained_run()
    saved = json.loads((run / "metrics.json").read_text())
    again = evaluate(run)
    assert again["n"] == saved["n"] and again["accuracy"] == pytest.approx(saved["accuracy"])
    data = write_table(tmp_path / "d.csv", [("I love it", "positive"), ("so bad", "negative")])
    assert evaluate(run, data)["n"] == 2
    one = write_table(tmp_path / "one.csv", [("I love it", "positive")])
    assert evaluate(run, one)["per_class"]["positive"]["support"] == 1


def test_evaluate_names_labels_the_model_never_saw(tmp_path: Path) -> None:
    data = write_table(tmp_path / "d.csv", [("a", "positive"), ("b", "angry"), ("c", "bored")])
    with pytest.raises(DataError, match=r"Labels 'angry', 'bored' are not classes of this model"):
        evaluate(trained_run(), data)


def test_predict_notes_empty_and_truncated_texts() -> None:
    rows = predict(trained_run(), ["What a great flight!", "", "delayed " * 500])
    assert [r["label"] in {"negative", "neutral", "positive"} for r in rows] == [True, False, True]
    assert all(abs(sum(r["probs"].values()) - 1) < 1e-4 for r in (rows[0], rows[2]))
    assert "note" not in rows[0]
    assert rows[1]["label"] is None and rows[1]["probs"] is None
    assert rows[1]["note"] == "empty text: no word to classify, so no label and no probabilities"
    assert rows[2]["note"] == "truncated text: kept the first 12 of 500 words"


def test_export_agrees_with_predict(tmp_path: Path) -> None:
    texts = ["What a great flight!", "", "@united lost my bag again http://t.co/x", "ok"]
    out = export(trained_run(), tmp_path / "saved")
    served = tf.saved_model.load(str(out)).signatures["serving_default"](texts=tf.constant(texts))
    probs, _, _ = Predictor(trained_run()).probabilities(texts)
    np.testing.assert_allclose(served["probabilities"].numpy(), probs, atol=1e-5)
    labels = [b.decode() for b in served["label"].numpy()]
    rows = predict(trained_run(), texts)
    assert [lab for lab, r in zip(labels, rows) if r["label"]] == [r["label"] for r in rows if r["label"]]
    assert served["n_words"].numpy()[1] == 0 and rows[1]["label"] is None  # the caller sees the empty text
    export(trained_run(), tmp_path / "saved")  # replacing an export works


def test_resume_continues_from_the_checkpoint(tmp_path: Path) -> None:
    # The shared one-epoch run (trained from a CSV file with batch_size=32), resumed in a copy of its folder.
    first = trained_result()
    assert first.metrics["epochs_run"] == 1
    shutil.copytree(first.run, tmp_path / "run")
    data = json.loads((first.run / "config.json").read_text())["data"]
    with pytest.raises(RunError, match=r"already holds a finished run.*--resume"):
        train(data=data, out=tmp_path / "run", epochs=2, config=TINY, verbose=0)
    resumed = train(out=tmp_path / "run", epochs=2, resume=True, batch_size=32, verbose=0)
    assert resumed.metrics["epochs_run"] == 2
    assert len(resumed.history["loss"]) == 2
    assert resumed.splits.test.texts == first.splits.test.texts
    with pytest.raises(RunError, match=r"holds no checkpoint"):
        train(out=tmp_path / "other", resume=True, verbose=0)


def test_a_small_training_set_gets_smaller_batches(tmp_path: Path) -> None:
    # 96 training texts: batches of 16 (not 128, which would make one step an epoch), and enough epochs
    # for about 300 steps unless early stopping ends the run sooner.
    result = train(data=corpus_sample(120), out=tmp_path / "run", epochs=1, config=TINY, verbose=0)
    saved = json.loads((result.run / "config.json").read_text())
    assert (saved["batch_size"], saved["epochs"], len(result.splits.train)) == (16, 1, 96)
    assert schedule(96) == (40, 16) and schedule(30_000) == (4, 128)


def test_missing_or_incomplete_run_directories(tmp_path: Path) -> None:
    with pytest.raises(RunError, match=r"does not exist\. Train one with `kernest train --out"):
        predict(tmp_path / "nope", ["x"])
    broken = tmp_path / "broken"
    shutil.copytree(trained_run(), broken)
    (broken / "model.keras").unlink()
    (broken / "preprocess.json").unlink()
    with pytest.raises(RunError, match=r"incomplete: missing model\.keras, preprocess\.json.*--resume"):
        evaluate(broken)
    with pytest.raises(RunError, match=r"missing model\.keras"):
        export(broken, tmp_path / "x")


def test_a_model_from_another_run_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "mixed"
    shutil.copytree(trained_run(), broken)
    other = build_model(5, 4, 20, 2, TINY)
    other.save(broken / "model.keras")
    with pytest.raises(RunError, match=r"model\.keras' does not belong with .*expects inputs of shape \(5, 4\) "
                                       r"but preprocess\.json encodes .* \(12, 10\); it has 2 outputs"):
        predict(broken, ["x"])
    with pytest.raises(RunError, match=r"does not belong"):
        evaluate(broken)


def test_train_rejects_bad_input(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"does not exist"):
        train(data=tmp_path / "none.csv", out=tmp_path / "r", verbose=0)
    one = write_table(tmp_path / "one.csv", [("a", "x"), ("b", "x"), ("c", "x")])
    with pytest.raises(DataError, match=r"only one class"):
        train(data=one, out=tmp_path / "r", verbose=0)
    with pytest.raises(DataError, match=r"at least 1"):
        train(out=tmp_path / "r", epochs=0, verbose=0)


# ------------------------------------------------------------------------------------------------- CLI


def _parser() -> argparse.ArgumentParser:
    from kernest.cli import build_parser

    return build_parser()


def _main(argv: list[str]) -> int:
    """The real command line: ``kernest.cli.main`` (a KernestError -> one message on stderr, exit code 2)."""
    from kernest.cli import main

    return main(argv)


@pytest.mark.parametrize(("argv", "message"), [
    (["train", "--epochs", "-1"], "argument --epochs: must be at least 1, got -1"),
    (["train", "--batch-size", "0"], "argument --batch-size: must be at least 1, got 0"),
    (["train", "--epochs", "two"], "argument --epochs: 'two' is not an integer"),
    (["export", "RUN"], "the following arguments are required: --out"),
])
def test_cli_rejects_bad_arguments(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        _parser().parse_args(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_cli_predict_prints_json_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "t.txt").write_text("so happy today\n\n", encoding="utf-8")
    assert _main(["predict", str(trained_run()), "great service", "   ", "--file", str(tmp_path / "t.txt")]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = [json.loads(line, parse_constant=lambda c: pytest.fail(f"not JSON: {c}")) for line in lines]
    assert [r["text"] for r in rows] == ["great service", "   ", "so happy today", ""]
    assert set(rows[0]["probs"]) == {"negative", "neutral", "positive"}
    for empty in (rows[1], rows[3]):  # nothing to classify: null, and a note that says why
        assert empty["label"] is None and empty["probs"] is None
        assert empty["note"].startswith("empty text")


def test_cli_evaluate_export_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _main(["evaluate", str(trained_run())]) == 0
    table = capsys.readouterr().out
    assert table.startswith("accuracy ") and "macro-F1" in table and "confusion" in table
    assert _main(["evaluate", str(trained_run()), "--json"]) == 0
    assert "macro_f1" in json.loads(capsys.readouterr().out)
    gaps = write_table(tmp_path / "gaps.csv", [("I love it", "positive"), ("no label", ""), ("so bad", "negative")])
    with warnings.catch_warnings():
        warnings.simplefilter("always", KernestWarning)  # the suite turns them into errors
        assert _main(["evaluate", str(trained_run()), "--data", str(gaps), "--json"]) == 0
    shown = capsys.readouterr()
    assert json.loads(shown.out)["n"] == 2  # kernest's warning is one line for the user, not a source location
    assert "kernest: warning: " in shown.err and "1 rows with missing label" in shown.err
    assert "KernestWarning" not in shown.err and ".py:" not in shown.err
    assert _main(["export", str(trained_run()), "--out", str(tmp_path / "sm")]) == 0
    assert (tmp_path / "sm" / "saved_model.pb").is_file()
    capsys.readouterr()
    assert _main(["evaluate", str(tmp_path / "missing")]) == 2
    assert "kernest: error: Run directory" in capsys.readouterr().err
    assert _main(["train", "--data", str(tmp_path / "none.csv"), "--out", str(tmp_path / "r")]) == 2
    assert not (tmp_path / "r").exists()
    assert _main(["predict", str(trained_run())]) == 2
    assert "No text to label" in capsys.readouterr().err


def test_bucketed_run_predicts_the_same_padded_or_cut_and_fixed_runs_still_load(tmp_path: Path) -> None:
    from kernest.text._run import load_encoder, load_model

    run = trained_run()  # TINY trains with bucket_by_length (the default)
    enc = load_encoder(run)
    model = load_model(run, enc)
    assert model.input_shape[1:] == (None, None)
    texts = ["What a great flight!", "ok", "@united lost my bag again http://t.co/x"]
    ids = enc.encode(texts).ids                                   # (3, max_words, max_chars)
    for i in range(len(texts)):
        n = max(1, int(np.any(ids[i] != 0, axis=-1).sum()))
        c = max(1, int((ids[i] != 0).sum(axis=-1).max()))
        np.testing.assert_allclose(model(ids[i:i + 1]).numpy(), model(ids[i:i + 1, :n, :c]).numpy(), atol=1e-5)
    old = tmp_path / "fixed"  # a run from before bucketing: fixed words and chars axes
    shutil.copytree(run, old)
    fixed = build_model(enc.max_words, enc.max_chars, enc.vocab_size, len(enc.classes), TINY)
    fixed.set_weights(model.get_weights())
    fixed.save(old / "model.keras")
    np.testing.assert_allclose(Predictor(old).probabilities(texts)[0], Predictor(run).probabilities(texts)[0],
                               atol=1e-5)
