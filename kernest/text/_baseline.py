"""The reference to beat: TF-IDF on word and character n-grams + logistic regression (scikit-learn)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from kernest._errors import DataError
from kernest.text._data import Splits
from kernest.text._metrics import classification_metrics
from kernest.text._wide import soft_rows, soft_targets


def baseline(splits: Splits, c: float = 2.0, seed: int = 0, sample_weight: bool = False,
             soft_labels: bool = False) -> dict[str, Any]:
    """Fit TF-IDF (word 1-2-grams + char 2-5-grams within words) + balanced logistic regression on the
    train split, pick nothing on the validation split, and score the test split.

    Texts are lower-cased and URLs / @mentions replaced by tokens, as the neural model sees them.

    Args:
        splits: the split to use (the same one the neural model used, for a fair comparison).
        c: inverse regularisation strength of the logistic regression.
        seed: solver seed.
        sample_weight: weigh the training texts by the data's weights (``Dataset.weights``), as the
            neural model does with ``sample_weight="confidence"``.
        soft_labels: fit each training text's label distribution made from the data's weights (its
            ``confidence``; ``kernest.text._wide.soft_targets``), as the model's wide tower does with
            ``soft_labels="confidence"``; data without weights is fitted on its labels.

    Returns:
        The same metrics dict as ``evaluate``, plus ``val_macro_f1`` and ``train_seconds``.

    Raises:
        DataError: scikit-learn is not installed.
    """
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline, make_union
    except ImportError:
        raise DataError("The baseline needs scikit-learn: `pip install scikit-learn` "
                        "(or `pip install kernest[text]`).") from None
    from kernest.text._metrics import macro_f1

    started = time.perf_counter()
    features = make_union(
        TfidfVectorizer(preprocessor=_prep, ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                        token_pattern=r"(?u)[#@]?\b\w[\w']*\b"),
        TfidfVectorizer(preprocessor=_prep, analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True),
    )
    index = {k: i for i, k in enumerate(splits.classes)}
    y_train = np.asarray([index[y] for y in splits.train.labels])
    weights = np.asarray(splits.train.weights, np.float64) if splits.train.weights is not None else None
    soft = soft_labels and weights is not None
    model = make_pipeline(features, LogisticRegression(C=c, class_weight=None if soft else "balanced",
                                                       max_iter=3000, random_state=seed))
    if soft_labels and weights is not None:
        x = features.fit_transform(splits.train.texts)
        rows, target, w = soft_rows(soft_targets(y_train, weights, len(splits.classes)), balanced=True,
                                    weights=weights if sample_weight else None)
        model.steps[-1][1].fit(x[rows], target, sample_weight=w)
    else:
        fit_args: dict[str, Any] = {}
        if sample_weight and weights is not None:
            fit_args["logisticregression__sample_weight"] = weights
        model.fit(splits.train.texts, y_train, **fit_args)
    y_val = np.asarray([index[y] for y in splits.val.labels])
    val_f1 = macro_f1(y_val, model.predict(splits.val.texts), len(splits.classes))
    y_test = np.asarray([index[y] for y in splits.test.labels])
    metrics = classification_metrics(y_test, model.predict(splits.test.texts), splits.classes)
    metrics.update(split="test", val_macro_f1=val_f1, train_seconds=round(time.perf_counter() - started, 1),
                   model="tfidf(word 1-2, char_wb 2-5) + logistic regression (balanced)"
                   + (", soft labels" if soft else ""))
    return metrics


def _prep(text: str) -> str:
    import re

    text = text.lower()
    text = re.sub(r"(?:https?://|www\.)\S+", " httpurl ", text)
    return re.sub(r"@\w+", " @user ", text)
