"""The linear wide tower: its features, its naive-Bayes table, its fit (stage 1) and the staged training."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest
import scipy.sparse as sp

import kernest
from kernest.text import Dataset, ModelConfig, TextEncoder, build_model, build_wide, train
from kernest.text._layers import HashedLinear
from kernest.text._train import fit_wide_tower, members_trainer, wide_logits_as_input
from kernest.text._wide import (
    features,
    fit_views,
    fit_wide,
    fold_indices,
    hashed_counts,
    inverse_document_frequency,
    nb_ratios,
    out_of_fold_logits,
    soft_rows,
    soft_targets,
    view_logits,
)
from tests.conftest_text import TINY, corpus_sample

CFG = ModelConfig.from_dict({"wide_buckets": 2048}, TINY)


def encoded_sample(n: int = 300) -> tuple[TextEncoder, np.ndarray, np.ndarray]:
    ds = corpus_sample(n)
    enc = TextEncoder.fit(ds.texts, max_words=12, max_chars=10, min_count=1, classes=("negative", "neutral",
                                                                                      "positive"))
    return enc, enc.encode(ds.texts).ids, enc.label_ids(ds.labels)


def test_nb_ratios_follow_the_counts() -> None:
    # 4 texts, 3 buckets; class 0 holds bucket 0 twice, class 1 holds bucket 1 twice; bucket 2 is everywhere.
    x = sp.csr_matrix(np.array([[1, 0, 1], [2, 0, 1], [0, 1, 1], [0, 3, 1]], float))
    y = np.array([0, 0, 1, 1])
    r = nb_ratios(x, y, 2, np.array([True, True, True]), alpha=1.0)
    p, q = np.array([3, 1, 3]), np.array([1, 3, 3])  # 1 + texts of the class holding each bucket
    np.testing.assert_allclose(r[:, 0], np.log((p / p.sum()) / (q / q.sum())))
    np.testing.assert_allclose(r[:, 1], -r[:, 0])
    assert r[0, 0] > 0 > r[1, 0] and r[2, 0] == pytest.approx(0.0)
    left_out = nb_ratios(x, y, 2, np.array([True, False, True]), alpha=1.0)
    np.testing.assert_array_equal(left_out[1], [1.0, 1.0])  # buckets left out keep a neutral scale


def test_idf_leaves_out_rare_buckets() -> None:
    counts = [sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 1, 0, 0], [0, 2, 1, 0]], float))]
    idf = inverse_document_frequency(counts, min_df=2)
    assert idf[0] == 0 and idf[2] == 0 and idf[3] == 0  # in one text or none
    assert idf[1] == pytest.approx(np.log(4 / 4) + 1)
    assert inverse_document_frequency(counts, min_df=1)[0] == pytest.approx(np.log(4 / 2) + 1)


def test_sublinear_features_are_log_counts_l2_normalised() -> None:
    counts = [sp.csr_matrix(np.array([[3, 1, 0], [0, 0, 0]], float))]
    idf = np.array([1.0, 2.0, 0.5])
    got = features(counts, idf, sublinear=True).toarray()
    v = np.array([1 + np.log(3), 2.0, 0.0])
    np.testing.assert_allclose(got[0], v / np.linalg.norm(v))
    np.testing.assert_array_equal(got[1], 0.0)  # an empty bag stays zero


@pytest.mark.parametrize("views,sublinear", [(("nb",), False), (("tfidf",), False), (("nb", "tfidf"), False),
                                             (("nb", "tfidf"), True)])
def test_the_layer_computes_the_features_the_fit_saw(views: tuple[str, ...], sublinear: bool) -> None:
    enc, ids, y = encoded_sample()
    ids = np.concatenate([ids, ids[:, :1]], axis=1)  # every text's first word twice: buckets that repeat
    wide = build_wide(None, None, ModelConfig.from_dict({"wide_views": list(views),
                                                         "wide_sublinear": sublinear}, CFG), 3)
    before = keras.ops.convert_to_numpy(wide(ids[:8]))
    assert np.all(before == 0)  # unfitted: zero kernels and biases
    facts = fit_wide(wide, ids, y, 3, c=1.0, tfidf_c=2.0, min_df=2)
    layers = [wide.get_layer(f"{v}_logits") for v in views]
    assert all(isinstance(layer, HashedLinear) for layer in layers) and facts["views"] == list(views)
    expected = []
    for layer in layers:
        idf, scale, kernel, bias = (keras.ops.convert_to_numpy(v).astype(np.float64)
                                    for v in (layer.idf, layer.scale, layer.kernel, layer.bias))
        x = features(hashed_counts(wide, ids), idf, sublinear)
        expected.append(np.stack([x @ (scale[:, k] * kernel[:, k]) for k in range(3)], axis=1) + bias)
        assert 0 < facts["buckets_kept"] < CFG.wide_buckets and np.count_nonzero(idf) == facts["buckets_kept"]
        if layer.weighting == "nb":
            assert not np.allclose(scale[idf > 0], 1.0)
        else:
            np.testing.assert_array_equal(scale, 1.0)
    got = wide.predict(ids, batch_size=64, verbose=0)
    np.testing.assert_allclose(got, np.mean(expected, axis=0), rtol=1e-4, atol=1e-4)
    assert facts["train_accuracy"] > 0.8  # 300 texts, thousands of n-grams: the fit separates them


def test_the_head_starts_as_the_wide_tower() -> None:
    enc, ids, y = encoded_sample()
    m = build_model(None, None, enc.vocab_size, 3, CFG)
    fit_wide(m.get_layer("wide"), ids, y, 3)
    wide_logits = m.get_layer("wide").predict(ids[:32], verbose=0)
    np.testing.assert_allclose(m.predict(ids[:32], verbose=0), keras.ops.convert_to_numpy(
        keras.ops.softmax(wide_logits)), atol=1e-5)


def test_staged_training_freezes_the_fitted_wide_tower(tmp_path: Path) -> None:
    ds = corpus_sample()
    keras.utils.set_random_seed(3)
    result = train(ds, out=tmp_path / "run", epochs=2, batch_size=32, seed=3, config=CFG, verbose=0,
                   tensorboard=False)
    m = result.model
    assert not m.get_layer("wide").trainable and m.get_layer("deep").trainable
    wide_ids = {id(v) for v in m.get_layer("wide").weights}
    assert not any(id(v) in wide_ids for v in m.trainable_variables)
    # Stage 2 left the wide tower as stage 1 fitted it: fitting again on the same split gives the same tables.
    again = build_wide(None, None, CFG, 3)
    fit_wide(again, result.encoder.encode(result.splits.train.texts).ids,
             result.encoder.label_ids(result.splits.train.labels), 3, c=CFG.wide_c, tfidf_c=CFG.tfidf_c, seed=3)
    for a, b in zip(m.get_layer("wide").weights, again.weights):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b), atol=1e-6)
    # ...while the deep tower and the head trained (the last epoch's checkpoint). The model keeps the best
    # epoch on validation, or stage 1 alone (the weights it was built with) when no epoch beat it.
    keras.utils.set_random_seed(3)
    fresh = build_model(None, None, result.encoder.vocab_size, 3, CFG)
    last = kernest.load(tmp_path / "run" / "checkpoint" / "last.keras", safe_mode=True)

    def moved(a: keras.Model, b: keras.Model, name: str) -> bool:
        return any(not np.allclose(keras.ops.convert_to_numpy(u), keras.ops.convert_to_numpy(v))
                   for u, v in zip(a.get_layer(name).weights, b.get_layer(name).weights))

    assert moved(last, fresh, "deep") and moved(last, fresh, "head") and not moved(last, m, "wide")
    stage_1_kept = result.metrics["best_epoch"] == 0
    assert moved(m, fresh, "deep") != stage_1_kept and moved(m, fresh, "head") != stage_1_kept
    assert result.metrics["wide_fit"]["val_macro_f1"] <= result.metrics["val_macro_f1"]
    assert result.metrics["wide_fit"]["buckets_kept"] > 0
    # The fitted tables are saved with the model, and load in safe mode.
    back = kernest.load(tmp_path / "run" / "model.keras", safe_mode=True)
    for a, b in zip(m.get_layer("wide").weights, back.get_layer("wide").weights):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
    assert not back.get_layer("wide").trainable


def test_stage_1_can_fix_the_head_scale_of_the_wide_logits_and_weigh_texts() -> None:
    ds = corpus_sample(120)
    enc = TextEncoder.fit(ds.texts, max_words=12, max_chars=10, min_count=1, classes=("negative", "neutral",
                                                                                      "positive"))
    cfg = ModelConfig.from_dict({"train_wide_scale": False, "sample_weight": "confidence"}, CFG)
    m = build_model(None, None, enc.vocab_size, 3, cfg)
    with pytest.raises(kernest.DataError, match="needs a weight per text.*Set sample_weight to 'none'"):
        fit_wide_tower(m, cfg, enc, Dataset(ds.texts, ds.labels), seed=1)
    assert ds.weights is not None and len(set(ds.weights)) > 1  # the bundled corpus' confidence column
    fit_wide_tower(m, cfg, enc, ds, seed=1)
    head = m.get_layer("head")
    assert not m.get_layer("wide").trainable and not head.get_layer("wide_logits").trainable
    assert head.get_layer("deep_logits").trainable and m.get_layer("deep").trainable
    assert {id(v) for v in head.get_layer("wide_logits").weights}.isdisjoint(id(v) for v in m.trainable_variables)


def test_text_weights_steer_the_wide_fit() -> None:
    # Relabel 20 texts. Weighed like the rest, the fit learns their new labels; weighed 0, it never sees
    # them and mostly predicts what the other texts' n-grams say (their labels before the change).
    enc, ids, y = encoded_sample()
    moved = np.arange(20)
    y2 = y.copy()
    y2[moved] = (y[moved] + 1) % 3
    counts = hashed_counts(build_wide(None, None, CFG, 3), ids)

    def predicted(weights: np.ndarray | None) -> np.ndarray:
        tables = fit_views(["nb", "tfidf"], counts, y2, n_classes=3, sublinear=True, weights=weights)
        return np.argmax(view_logits([m[moved] for m in counts], tables, True), 1)

    unweighted, ignored = predicted(None), predicted(np.where(np.arange(len(y)) < len(moved), 0.0, 1.0))
    assert np.sum(unweighted == y2[moved]) >= 18
    assert np.sum(ignored == y2[moved]) <= 8 and np.sum(ignored == y[moved]) >= 10


def test_wide_fit_needs_two_classes() -> None:
    enc, ids, y = encoded_sample()
    with pytest.raises(kernest.DataError, match="at least two classes"):
        fit_wide(build_wide(None, None, CFG, 3), ids, np.zeros_like(y), 3)


def test_folds_split_every_class_evenly() -> None:
    y = np.array([0] * 10 + [1] * 7 + [2] * 3)
    parts = fold_indices(y, 3, seed=1)
    np.testing.assert_array_equal(np.sort(np.concatenate(parts)), np.arange(len(y)))
    for k, n in ((0, 10), (1, 7), (2, 3)):
        assert sorted(int(np.sum(y[p] == k)) for p in parts) == sorted(len(c) for c in np.array_split(range(n), 3))


def test_out_of_fold_logits_come_from_fits_that_did_not_see_the_text() -> None:
    enc, ids, y = encoded_sample()
    wide = build_wide(None, None, CFG, 3)
    counts = hashed_counts(wide, ids)
    fit = dict(n_classes=3, c=1.0, tfidf_c=2.0, min_df=2, alpha=1.0, balanced=True, sublinear=CFG.wide_sublinear)
    oof = out_of_fold_logits(["nb", "tfidf"], counts, y, 3, seed=4, **fit)
    # Each fold's logits are those of a fit on the other two folds, refitted here by hand.
    held = fold_indices(y, 3, seed=4)[1]
    rest = np.setdiff1d(np.arange(len(y)), held)
    tables = fit_views(["nb", "tfidf"], [m[rest] for m in counts], y[rest], seed=4, **fit)
    np.testing.assert_allclose(oof[held], view_logits([m[held] for m in counts], tables, CFG.wide_sublinear), rtol=1e-6, atol=1e-8)
    # The full fit has seen every text and knows them far better than the fits that had not.
    facts = fit_wide(wide, ids, y, 3, folds=3, seed=4)
    np.testing.assert_array_equal(facts["out_of_fold"], oof)
    assert facts["train_accuracy"] > 0.8 and facts["out_of_fold_accuracy"] < facts["train_accuracy"] - 0.15


def test_stage_2_on_out_of_fold_logits(tmp_path: Path) -> None:
    ds = corpus_sample()
    cfg = ModelConfig.from_dict({"wide_folds": 2}, CFG)
    result = train(ds, out=tmp_path / "run", epochs=2, batch_size=32, seed=3, config=cfg, verbose=0,
                   tensorboard=False)
    m = result.model
    assert "out_of_fold" not in result.metrics["wide_fit"]
    assert 0 < result.metrics["wide_fit"]["out_of_fold_accuracy"] < result.metrics["wide_fit"]["train_accuracy"]
    # The trainer shares the model's layers: what it computes from the wide logits is what the model computes.
    ids = result.encoder.encode(ds.texts[:16]).ids
    wide_logits = m.get_layer("wide").predict(ids, verbose=0)
    np.testing.assert_allclose(wide_logits_as_input(m).predict([ids, wide_logits], verbose=0),
                               m.predict(ids, verbose=0), atol=1e-5)
    # Stage 2 trained the deep tower (the last checkpoint moved it) and left the fitted wide tower as it was.
    keras.utils.set_random_seed(3)
    fresh = build_model(None, None, result.encoder.vocab_size, 3, cfg)
    last = kernest.load(tmp_path / "run" / "checkpoint" / "last.keras", safe_mode=True)
    assert any(not np.allclose(keras.ops.convert_to_numpy(u), keras.ops.convert_to_numpy(v))
               for u, v in zip(last.get_layer("deep").weights, fresh.get_layer("deep").weights))
    for a, b in zip(last.get_layer("wide").weights, m.get_layer("wide").weights):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
    assert len(result.history["val_macro_f1"]) == 2


@pytest.mark.slow
def test_deep_members_each_learn_on_their_own_loss_and_resume(tmp_path: Path) -> None:
    ds = corpus_sample(160)
    cfg = ModelConfig.from_dict({"deep_members": 2}, CFG)
    first = train(ds, out=tmp_path / "run", epochs=1, batch_size=32, seed=3, config=cfg, verbose=0,
                  tensorboard=False)
    checkpoint = tmp_path / "run" / "checkpoint" / "last.keras"
    before = keras.ops.convert_to_numpy(kernest.load(checkpoint, safe_mode=True).get_layer("deep_2").weights[0])
    # The trainer is rebuilt over the loaded checkpoint: the second epoch trains both members again.
    result = train(ds, out=tmp_path / "run", epochs=2, resume=True, verbose=0, tensorboard=False)
    assert first.metrics["epochs_run"] == 1 and result.metrics["epochs_run"] == 2
    assert len(result.history["loss"]) == 2
    last = kernest.load(checkpoint, safe_mode=True)
    assert not np.allclose(keras.ops.convert_to_numpy(last.get_layer("deep_2").weights[0]), before)

    m = result.model
    assert [layer.name for layer in m.layers[1:]] == ["deep", "deep_2", "wide", "head", "head_classes"]
    ids = result.encoder.encode(ds.texts[:16]).ids
    # The trainer shares the model's layers; each member's probabilities come from its own deep logits plus
    # the wide logits, and the model averages the members' deep logits.
    members = members_trainer(m, 2).predict(ids, verbose=0)                                  # (16, 2, 3)
    assert members.shape == (16, 2, 3)
    head = m.get_layer("head")
    wide = head.get_layer("wide_logits")(m.get_layer("wide").predict(ids, verbose=0))
    deep = [head.get_layer(f"deep_logits{s}")(m.get_layer(f"deep{s}").predict(ids, verbose=0)) for s in ("", "_2")]
    for k in range(2):
        np.testing.assert_allclose(members[:, k], keras.ops.softmax(deep[k] + wide), atol=1e-5)
    np.testing.assert_allclose(m.predict(ids, verbose=0), keras.ops.softmax(sum(deep) / 2 + wide), atol=1e-5)
    # Stage 2 trained every member, each from its own initial weights, and they differ.
    kernels = [keras.ops.convert_to_numpy(last.get_layer("head").get_layer(f"deep_logits{s}").kernel)
               for s in ("", "_2")]
    assert all(np.abs(k).max() > 0 for k in kernels) and not np.allclose(kernels[0], kernels[1])
    back = kernest.load(tmp_path / "run" / "model.keras", safe_mode=True)
    np.testing.assert_allclose(back.predict(ids, verbose=0), m.predict(ids, verbose=0), atol=1e-5)


@pytest.mark.parametrize("bad, match", [({"deep_members": 0}, "deep_members must be 1"),
                                        ({"deep_members": 2, "deep": False}, "deep off"),
                                        ({"deep_members": 2, "wide_folds": 2}, "cannot be combined")])
def test_deep_members_config_errors(bad: dict, match: str) -> None:
    with pytest.raises(kernest.DataError, match=match):
        ModelConfig.from_dict(bad, CFG)


def test_sublinear_layer_counts_each_bucket_once() -> None:
    ids = np.array([[5, 3, 5, 0, 5, 2], [1, 1, 4, 0, 0, 0], [0, 0, 0, 0, 0, 0]], np.int32)
    layer = HashedLinear(8, 2, sublinear=True)
    rng = np.random.default_rng(0)
    idf, kernel = rng.uniform(0.5, 2, 8), rng.normal(size=(8, 2))
    idf[0] = 0.0
    layer.set_tables(idf, np.ones((8, 2)), kernel, np.array([0.5, -0.5]))
    expected = []
    for row in ids:
        v = np.zeros(8)
        for j, n in zip(*np.unique(row[row != 0], return_counts=True)):
            v[j] = (1 + np.log(n)) * idf[j]
        expected.append(v / max(np.linalg.norm(v), 1e-12) @ kernel + [0.5, -0.5])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer([ids])), expected, rtol=1e-5, atol=1e-6)
    assert HashedLinear.from_config(layer.get_config()).sublinear


def test_one_hot_soft_labels_fit_as_hard_labels_and_shares_steer_the_fit() -> None:
    enc, ids, y = encoded_sample()
    counts = hashed_counts(build_wide(None, None, CFG, 3), ids)
    fit = dict(n_classes=3, sublinear=True, seed=2)
    hard = fit_views(["nb", "tfidf"], counts, y, **fit)
    one_hot = fit_views(["nb", "tfidf"], counts, y, soft=soft_targets(y, np.ones(len(y)), 3), **fit)
    for a, b in zip(hard, one_hot):
        for u, v in zip(a, b):
            np.testing.assert_allclose(u, v, rtol=1e-3, atol=1e-4)
    # Texts whose annotators mostly disagreed (share 0.4) teach the fit less about their label than unanimous
    # ones: the fitted probability of the recorded label falls on them.
    doubt = np.where(np.arange(len(y)) < 100, 0.4, 1.0)
    soft = fit_views(["nb", "tfidf"], counts, y, soft=soft_targets(y, doubt, 3), **fit)

    def p_label(tables: list[Any]) -> np.ndarray:
        z = view_logits([m[:100] for m in counts], tables, True)
        p = np.exp(z - z.max(1, keepdims=True))
        return (p / p.sum(1, keepdims=True))[np.arange(100), y[:100]]

    assert np.mean(p_label(soft)) < np.mean(p_label(hard)) - 0.1


def test_soft_rows_weigh_each_class_by_its_share() -> None:
    soft = soft_targets(np.array([0, 1, 1]), np.array([1.0, 0.5, 1.0]), 2)   # [[1, 0], [.5, .5], [0, 1]]
    texts, k, w = soft_rows(soft, balanced=False)
    assert list(zip(texts, k)) == [(0, 0), (1, 0), (1, 1), (2, 1)]
    np.testing.assert_allclose(w, [1.0, 0.5, 0.5, 1.0])
    _, _, wb = soft_rows(soft, balanced=True)                                 # both classes hold 1.5 texts
    np.testing.assert_allclose(wb, w * 3 / (2 * 1.5))


def test_the_baseline_fits_soft_labels_only_where_the_data_has_weights() -> None:
    from kernest.text import baseline, split

    splits = split(corpus_sample(150), seed=1)
    bare = split(Dataset(list(splits.train.texts + splits.val.texts + splits.test.texts),
                         list(splits.train.labels + splits.val.labels + splits.test.labels)), seed=1)
    hard, soft = baseline(bare), baseline(bare, soft_labels=True)   # no weights: the labels, unchanged
    assert soft["confusion"] == hard["confusion"] and "soft labels" not in soft["model"]
    weighted = baseline(splits, soft_labels=True)
    assert weighted["model"].endswith("soft labels") and 0 < weighted["accuracy"] <= 1
