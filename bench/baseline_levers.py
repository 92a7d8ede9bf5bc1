"""Levers measured on the linear baseline first, which fits in a minute or two (issue 11, fifth pass): the
validation macro-F1 of TF-IDF + LR (``kernest.text.baseline``) against the same with soft labels made from the
bundled corpus' confidence column (``soft_labels=True``), and against the baseline's features plus what
lower-casing drops: all-caps words (each as ``CAPS_<word>``, and a count), elongated letters (``soooo``) and
repeated ``!``/``?`` as extra TF-IDF features (scaled 0.5 or 1). One split of the bundled corpus, by seed; the
test split is scored for the record only.

    python bench/baseline_levers.py [--small] [--seed 0] [--out FILE]
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
    args = p.parse_args(argv)
    return _common.report(run(args.seed, args.small), args.out)


if __name__ == "__main__":
    main()
