"""Stage 1 of training: fit the wide tower alone, to the optimum of a regularised linear model, before the
deep tower trains on top of it.

The wide tower (``HashedLinear`` over ``NgramHash`` bags) is a linear map of TF-IDF vectors of hashed word
1-2-grams and character n-grams to class logits. Its best weights are the solution of a convex problem, so
they are not left to a few epochs of Adam: the training texts are hashed once by the tower's own layers,
turned into a sparse matrix with the very values the layer computes, and fitted by L2-regularised logistic
regression (scikit-learn). The fitted tables are written into the layer; ``train`` then freezes the tower
(``kernest.freeze(model, "wide/**")``) and the deep tower learns what the n-grams miss.

The tower has one ``HashedLinear`` layer per view and averages their logits. In the ``"nb"`` view every
class sees the features scaled by its naive-Bayes log-count ratios (NBSVM, Wang and Manning 2012), with one
binary classifier per class (one-vs-rest); in the ``"tfidf"`` view one multinomial classifier reads the
plain TF-IDF vectors.
"""

from __future__ import annotations

import os
from typing import Any

import keras
import numpy as np

from kernest._errors import DataError
from kernest.text._layers import HashedLinear, NgramHash

_BATCH = 512
PARALLEL_TEXTS = 2000  # _solve_all: fewer texts are fitted in this process
GATE_Z = 2.0  # vector_gate: the accuracy gain with the vectors must pass this many of its standard errors
# A view's idf (buckets,), scale and kernel (buckets, classes), bias (classes,), and the kernel of the text
# vectors (dim, classes; (0, classes) without them).
Tables = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
# A logistic regression to fit: features, targets, sample weights (or None), C, class weight.
Problem = tuple[Any, np.ndarray, np.ndarray | None, float, str | None]


def hashed_counts(wide: keras.Model, ids: np.ndarray) -> list[Any]:
    """How often each bucket occurs in each text, per bag of the wide tower.

    Args:
        wide: the wide tower (its ``NgramHash`` layers, in the order the ``HashedLinear`` layer reads them).
        ids: encoded texts ``(texts, words, chars)``.

    Returns:
        One ``scipy.sparse.csr_matrix`` ``(texts, buckets)`` of counts per bag.
    """
    import scipy.sparse as sp

    hashers = [layer for layer in wide.layers if isinstance(layer, NgramHash)]
    buckets = hashers[0].buckets
    out = []
    for hasher in hashers:
        parts = []
        for start in range(0, len(ids), _BATCH):
            b = keras.ops.convert_to_numpy(hasher(ids[start:start + _BATCH])).astype(np.int64)  # (b, N)
            rows = np.repeat(np.arange(len(b)), b.shape[1]).reshape(b.shape)
            keep = b != 0
            m = sp.csr_matrix((np.ones(int(keep.sum())), (rows[keep], b[keep])), shape=(len(b), buckets))
            m.sum_duplicates()
            parts.append(m)
        out.append(sp.vstack(parts, format="csr") if parts else sp.csr_matrix((0, buckets)))
    return out


def text_vectors(wide: keras.Model, ids: np.ndarray) -> np.ndarray | None:
    """The texts' vectors ``(texts, dim)`` as the wide tower's ``word_vectors`` layer computes them, or
    ``None`` when the tower has no ``vector_logits`` layer (``ModelConfig.wide_vectors``)."""
    names = [layer.name for layer in wide.layers]
    if "vector_logits" not in names:
        return None
    layer = wide.get_layer("word_vectors")
    parts = [keras.ops.convert_to_numpy(layer(ids[i:i + _BATCH])) for i in range(0, len(ids), _BATCH)]
    return np.concatenate(parts).astype(np.float64) if parts else np.zeros((0, layer.dim))


def features(counts: list[Any], idf: np.ndarray, sublinear: bool = False) -> Any:
    """The values ``HashedLinear`` computes before its kernel, ``(texts, buckets)`` sparse: per bag, the
    term frequency times ``idf``, L2-normalised, and the bags added.

    With ``sublinear`` the term frequency is ``1 + ln(count)`` and the bag is divided by its L2 norm; without
    it the term frequency is the raw count and the bag is divided by ``sqrt(sum of count * idf ** 2)`` (the
    L2 norm when no bucket repeats).
    """
    import scipy.sparse as sp

    total: Any = sp.csr_matrix(counts[0].shape)
    for c in counts:
        if sublinear:
            tf = c.copy().tocsr()
            tf.data = 1.0 + np.log(tf.data)
            tfidf = tf.multiply(idf[None, :]).tocsr()
            norm = np.sqrt(np.asarray(tfidf.multiply(tfidf).sum(axis=1)).ravel())
        else:
            tfidf = c.multiply(idf[None, :]).tocsr()
            norm = np.sqrt(np.asarray(c @ (idf ** 2)).ravel())              # (texts,)
        total = total + sp.diags(1.0 / np.maximum(norm, 1e-12)) @ tfidf
    return total.tocsr()


def inverse_document_frequency(counts: list[Any], min_df: int) -> np.ndarray:
    """scikit-learn's smooth idf, ``ln((1 + n) / (1 + df)) + 1``; 0 for buckets in fewer than ``min_df``
    texts (so they are left out, as ``TfidfVectorizer(min_df=...)`` leaves them out)."""
    n = counts[0].shape[0]
    present = sum((c > 0).astype(np.int64) for c in counts)
    df = np.asarray((present > 0).sum(axis=0)).ravel()
    idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
    idf[df < max(min_df, 1)] = 0.0
    return idf


def nb_ratios(x: Any, y: np.ndarray, n_classes: int, kept: np.ndarray, alpha: float,
              soft: np.ndarray | None = None) -> np.ndarray:
    """Naive-Bayes log-count ratios, one column per class (that class against the rest), over the kept
    buckets (1 elsewhere): ``log((p / |p|) / (q / |q|))`` with ``p = alpha + texts of the class that hold the
    bucket``, ``q`` the same for the other classes. With ``soft`` label distributions ``(texts, classes)``
    each text counts for a class by its share of that class."""
    present = (x > 0).astype(np.float64).tocsr()
    share = np.eye(n_classes)[y] if soft is None else soft                      # (texts, classes)
    ratios = np.ones((x.shape[1], n_classes))
    for c in range(n_classes):
        p = alpha + np.asarray(present.T @ share[:, c]).ravel()[kept]
        q = alpha + np.asarray(present.T @ (1.0 - share[:, c])).ravel()[kept]
        ratios[kept, c] = np.log((p / p.sum()) / (q / q.sum()))
    return ratios


def soft_targets(y: np.ndarray, confidence: np.ndarray, n_classes: int) -> np.ndarray:
    """Each text's label distribution ``(texts, classes)`` from its label and the share of annotators who
    chose it (the bundled corpus' ``confidence``): the label gets that share, the other classes split the
    rest evenly (the data does not say which class the others chose).

    >>> soft_targets(np.array([0, 2]), np.array([1.0, 0.6]), 3).round(2).tolist()
    [[1.0, 0.0, 0.0], [0.2, 0.2, 0.6]]
    """
    c = np.clip(np.asarray(confidence, np.float64), 0.0, 1.0)
    out = np.repeat(((1.0 - c) / max(n_classes - 1, 1))[:, None], n_classes, axis=1)
    out[np.arange(len(y)), y] = c
    return out


def soft_rows(soft: np.ndarray, balanced: bool, weights: np.ndarray | None = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hard rows that a weighted logistic regression fits as it would the label distributions ``soft``:
    one row per text and class of nonzero share, weighted by that share (times the text's weight, and with
    ``balanced`` each class' weight ``texts / (classes * its share of all texts)``).

    Returns:
        ``(text index, class, weight)`` of each row.
    """
    texts, k = np.nonzero(soft > 0)
    w = soft[texts, k] * (1.0 if weights is None else weights[texts])
    if balanced:
        mass = soft.sum(axis=0)
        w = w * (len(soft) / (soft.shape[1] * np.maximum(mass, 1e-12)))[k]
    return texts, k, w


def fit_wide(wide: keras.Model, ids: np.ndarray, y: np.ndarray, n_classes: int, c: float = 1.0,
             tfidf_c: float = 2.0, min_df: int = 2, alpha: float = 1.0, balanced: bool = True,
             seed: int = 0, folds: int = 0, weights: np.ndarray | None = None, soft: np.ndarray | None = None,
             vector_scale: float = 1.0, vectors: np.ndarray | None = None, gate: int = 0,
             gate_texts: int = 0) -> dict[str, Any]:
    """Fit the wide tower's ``HashedLinear`` layers (its views) on encoded training texts (stage 1 of
    ``train``); each is fitted as its ``weighting`` says, on the same TF-IDF features (with sublinear term
    frequency where the layers have it).

    Args:
        wide: the wide tower (``build_wide`` with ``wide_kind="linear"``).
        ids: encoded training texts ``(texts, words, chars)``.
        y: their class indices.
        n_classes: number of classes (the layers' units).
        c: inverse L2 strength of the ``"nb"`` views' logistic regressions (scikit-learn's ``C``).
        tfidf_c: the same for the ``"tfidf"`` views.
        min_df: buckets in fewer training texts are left out.
        alpha: the naive-Bayes smoothing count.
        balanced: weigh classes by inverse frequency.
        seed: the solver's seed (and the folds').
        folds: with 2 or more, also fit the views on that many folds of the texts and return, under
            ``"out_of_fold"``, the logits ``(texts, n_classes)`` each text gets from the fit that did not see
            it (the layers keep the fit on all texts).
        weights: a weight per training text (the data's confidence column, ``sample_weight="confidence"``),
            multiplied into the class weights of the logistic regressions; ``None``: every text weighs 1.
        soft: each text's label distribution ``(texts, n_classes)`` (``soft_targets``) to fit instead of
            ``y`` (``soft_labels="confidence"``); ``None``: the labels ``y``.
        vector_scale: where the tower has a ``vector_logits`` layer (``ModelConfig.wide_vectors``), the scale
            of the texts' vectors (its ``word_vectors`` layer's output) beside the n-grams in every view's fit;
            the layer gets the mean of the views' vector kernels.
        vectors: the texts' vectors ``(texts, dim)`` from outside the tower (the ``sentence`` tower's, computed
            once), fitted as the ``vector_logits`` layer's are; the mean of the views' kernels for them is
            returned as ``"vector_kernel"`` ``(dim, n_classes)``.
        gate: with 2 or more and vectors (``vectors``, or the tower's own), first ask ``vector_gate`` whether
            the views fitted with the vectors beat those fitted without them on that many folds of the texts;
            if not, the views are fitted without them and their kernel is zero.
        gate_texts: the gate reads a sample of this many training texts where there are more (0: all).

    Returns:
        Facts about the fit: buckets kept, training accuracy of the tower (and the out-of-fold logits and
        their accuracy, with ``folds``; ``vector_kernel``, with ``vectors``; the gate's figures under
        ``"vector_gate"``, with ``gate``).

    Raises:
        DataError: scikit-learn is missing, or the training texts hold fewer than two classes.
    """
    try:
        import sklearn.linear_model  # noqa: F401
    except ImportError:
        raise DataError("Fitting the wide tower needs scikit-learn: `pip install scikit-learn` (or "
                        "`pip install kernest[text]`), or set wide_kind='bags' in the model config.") from None
    if len(np.unique(y)) < 2:
        raise DataError("The wide tower needs training texts of at least two classes. Add texts of the "
                        "other classes.")
    counts = hashed_counts(wide, ids)
    layers = [layer for layer in wide.layers if isinstance(layer, HashedLinear)]
    sublinear = layers[0].sublinear  # build_wide gives every view the same
    outside = vectors is not None
    vectors = np.asarray(vectors, np.float64) if outside else text_vectors(wide, ids)
    views = [layer.weighting for layer in layers]
    fit: dict[str, Any] = dict(n_classes=n_classes, c=c, tfidf_c=tfidf_c, min_df=min_df, alpha=alpha,
                               balanced=balanced, seed=seed, sublinear=sublinear, vector_scale=vector_scale)
    facts: dict[str, Any] = {}
    oof = None
    zero_kernel = None if vectors is None else np.zeros((vectors.shape[1], n_classes))
    if vectors is not None and gate >= 2:
        facts["vector_gate"], oof = vector_gate(views, counts, y, vectors, gate, weights=weights, soft=soft,
                                                texts=gate_texts, **fit)
        vectors = vectors if facts["vector_gate"]["use"] else None
        oof = oof if folds == gate else None  # the same folds (fold_indices by the same seed), or None
    tables = fit_views(views, counts, y, weights=weights, soft=soft, vectors=vectors, **fit)
    for layer, t in zip(layers, tables):
        layer.set_tables(*t[:4])
    vector_kernel = np.mean([t[4] for t in tables], axis=0) if vectors is not None else zero_kernel
    if vector_kernel is not None and not outside:
        wide.get_layer("vector_logits").set_weights([vector_kernel])
    logits = view_logits(counts, tables, sublinear, vectors)
    facts.update(buckets_kept=int(np.sum(tables[0][0] > 0)), views=views,
                 train_accuracy=float(np.mean(np.argmax(logits, 1) == y)))
    if vector_kernel is not None:
        facts["vector_scale"] = vector_scale
    if outside:
        facts["vector_kernel"] = vector_kernel
    if folds >= 2:
        if oof is None:
            oof = out_of_fold_logits(views, counts, y, folds, weights=weights, soft=soft, vectors=vectors, **fit)
        facts.update(out_of_fold=oof, out_of_fold_accuracy=float(np.mean(np.argmax(oof, 1) == y)))
    return facts


def vector_gate(views: list[str], counts: list[Any], y: np.ndarray, vectors: np.ndarray, folds: int,
                weights: np.ndarray | None = None, soft: np.ndarray | None = None, texts: int = 0, **fit: Any
                ) -> tuple[dict[str, Any], np.ndarray | None]:
    """Whether the texts' vectors help the views: their out-of-fold logits (``folds`` folds of the training
    texts) fitted with the vectors beside the n-grams and without them. The vectors are used only if the
    macro-F1 of those logits is higher with them and their accuracy is higher by more than ``GATE_Z`` standard
    errors of the paired difference (each text right with them or not, against right without them or not):
    on a few hundred texts, vectors of pure noise move the out-of-fold figures by several points either way,
    and a tie or a gain that small goes to the fit without them. With ``texts`` (above 0) and more training
    texts than that, the gate reads a sample of that many (``stratified_sample``, by ``fit["seed"]``): its
    cost grows with the texts, its standard error shrinks only as their square root. ``fit`` as
    ``fit_views``' arguments.

    Returns:
        The figures (``use``; ``folds``; ``texts`` read; ``cv_macro_f1`` and ``cv_accuracy`` of ``"with"`` and
        ``"without"``; ``accuracy_gain`` and its ``standard_error``) and the out-of-fold logits of the fit
        chosen (``None`` when the gate read a sample).
    """
    from kernest.text._metrics import macro_f1

    pick = stratified_sample(y, texts, fit.get("seed", 0)) if 0 < texts < len(y) else None
    if pick is not None:
        counts, y, vectors = [m[pick] for m in counts], y[pick], vectors[pick]
        weights = None if weights is None else weights[pick]
        soft = None if soft is None else soft[pick]
    oof = {name: out_of_fold_logits(views, counts, y, folds, weights=weights, soft=soft, vectors=v, **fit)
           for name, v in (("with", vectors), ("without", None))}
    right = {name: (np.argmax(z, 1) == y).astype(np.float64) for name, z in oof.items()}
    f1 = {name: round(macro_f1(y, np.argmax(z, 1), fit["n_classes"]), 5) for name, z in oof.items()}
    diff = right["with"] - right["without"]
    gain, error = float(diff.mean()), float(diff.std() / np.sqrt(len(y)))
    use = f1["with"] > f1["without"] and gain > GATE_Z * error
    return ({"use": use, "folds": folds, "texts": len(y), "cv_macro_f1": f1,
             "cv_accuracy": {name: round(float(r.mean()), 5) for name, r in right.items()},
             "accuracy_gain": round(gain, 5), "standard_error": round(error, 5)},
            None if pick is not None else oof["with" if use else "without"])


def stratified_sample(y: np.ndarray, size: int, seed: int = 0) -> np.ndarray:
    """The sorted indices of about ``size`` of the texts, drawn by ``seed``, each class in its share of
    ``y`` (at least one text of each).

    >>> len(stratified_sample(np.array([0] * 90 + [1] * 10), 20))
    20
    """
    rng = np.random.default_rng(seed)
    picks = [rng.permutation(np.flatnonzero(y == k))[:max(1, round(size * np.mean(y == k)))]
             for k in np.unique(y)]
    return np.sort(np.concatenate(picks))


def fit_views(views: list[str], counts: list[Any], y: np.ndarray, n_classes: int, c: float = 1.0,
              tfidf_c: float = 2.0, min_df: int = 2, alpha: float = 1.0, balanced: bool = True, seed: int = 0,
              sublinear: bool = False, weights: np.ndarray | None = None, soft: np.ndarray | None = None,
              vectors: np.ndarray | None = None, vector_scale: float = 1.0) -> list[Tables]:
    """The tables ``(idf, scale, kernel, bias, vector kernel)`` of each view (``"nb"`` or ``"tfidf"``),
    fitted on the bucket counts of the texts (``hashed_counts``) and their classes ``y`` (or their label
    distributions ``soft``, ``(texts, classes)``); arguments as ``fit_wide``'s.

    With ``vectors`` ``(texts, dim)`` (the texts' unit-length mean word vectors), each view's logistic
    regression also reads them, times ``vector_scale``, beside the n-grams (not scaled by naive-Bayes
    ratios); the vector kernel ``(dim, classes)`` applies to the unscaled vectors. The logistic regressions
    of all views (one per class in ``"nb"``, one in ``"tfidf"``) are solved side by side (``_solve_all``)."""
    idf = inverse_document_frequency(counts, min_df)
    kept = idf > 0
    columns = np.flatnonzero(kept)  # the solvers see the kept buckets only: their cost grows with the columns
    x = features(counts, idf, sublinear)
    dense = None if vectors is None else np.asarray(vectors, np.float64) * vector_scale
    problems: list[Problem | None] = []
    plan = []  # each view's scale and its problems' slice
    for view in views:
        if view == "nb":
            scale = nb_ratios(x, y, n_classes, kept, alpha, soft)
            mine = [_problem(_scale_columns(x[:, columns], scale[columns, k]), dense, (y == k).astype(np.int64),
                             None if soft is None else soft[:, [k]], c, balanced, weights)
                    for k in range(n_classes)]
        else:
            scale = np.ones((x.shape[1], n_classes))
            mine = [_problem(x[:, columns], dense, y, soft, tfidf_c, balanced, weights)]
        plan.append((view, scale, slice(len(problems), len(problems) + len(mine))))
        problems += mine
    solved = _solve_all(problems, seed)
    dim = 0 if dense is None else dense.shape[1]
    tables = []
    for view, scale, part in plan:
        if view == "nb":
            kernel, bias, vk = _one_vs_rest_tables(solved[part], columns, x.shape[1], dim)
        else:
            full, bias = _multinomial(solved[part][0], n_classes)
            kernel = np.zeros((x.shape[1], n_classes))
            kernel[columns] = full[:len(columns)]
            vk = full[len(columns):]
        tables.append((idf, scale, kernel, bias, vk * vector_scale))
    return tables


def view_logits(counts: list[Any], tables: list[Tables], sublinear: bool = False,
                vectors: np.ndarray | None = None) -> np.ndarray:
    """The wide tower's logits ``(texts, classes)`` for bucket counts (and the texts' vectors, where the
    views read them): the mean over the views' tables, as the tower computes them."""
    total = np.zeros((counts[0].shape[0], tables[0][2].shape[1]))
    for idf, scale, kernel, bias, vector_kernel in tables:
        x = features(counts, idf, sublinear)
        total = total + np.stack([_scale_columns(x, scale[:, k]) @ kernel[:, k]
                                  for k in range(kernel.shape[1])], 1) + bias
        if len(vector_kernel):
            total = total + np.asarray(vectors) @ vector_kernel
    return total / len(tables)


def out_of_fold_logits(views: list[str], counts: list[Any], y: np.ndarray, folds: int, seed: int = 0,
                       weights: np.ndarray | None = None, soft: np.ndarray | None = None,
                       vectors: np.ndarray | None = None, **fit: Any) -> np.ndarray:
    """Each text's wide logits from views fitted on the other ``folds - 1`` folds (stratified by class,
    shuffled by ``seed``); ``fit`` as ``fit_views``' arguments. ``(texts, classes)``."""
    out = np.zeros((len(y), fit["n_classes"]))
    for held in fold_indices(y, folds, seed):
        rest = np.setdiff1d(np.arange(len(y)), held)
        tables = fit_views(views, [m[rest] for m in counts], y[rest], seed=seed,
                           weights=None if weights is None else weights[rest],
                           soft=None if soft is None else soft[rest],
                           vectors=None if vectors is None else vectors[rest], **fit)
        out[held] = view_logits([m[held] for m in counts], tables, fit.get("sublinear", False),
                                None if vectors is None else vectors[held])
    return out


def fold_indices(y: np.ndarray, folds: int, seed: int = 0) -> list[np.ndarray]:
    """``folds`` disjoint index arrays that cover ``range(len(y))``, each class spread evenly over them."""
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[] for _ in range(folds)]
    for k in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == k))
        for f, chunk in enumerate(np.array_split(members, folds)):
            parts[f].append(chunk)
    return [np.sort(np.concatenate(p)) for p in parts]


def _problem(x: Any, dense: np.ndarray | None, y: np.ndarray, soft: np.ndarray | None, c: float, balanced: bool,
             weights: np.ndarray | None) -> Problem | None:
    """The logistic regression of features ``x`` (with the ``dense`` columns beside them) on classes ``y``, or
    on the label distributions ``soft`` (``(texts, classes)``; one column: the share of class 1 of a binary
    problem) as weighted hard rows (``soft_rows``); ``None`` when every text has the same target (nothing to
    fit: ``_one_vs_rest_tables`` gives such a class a bias of -10)."""
    xs = _with_dense(x, dense)
    if soft is None:
        if len(np.unique(y)) < 2:
            return None
        return xs, y, weights, c, "balanced" if balanced else None
    if soft.shape[1] == 1:
        if soft.min() == soft.max():
            return None
        soft = np.concatenate([1.0 - soft, soft], axis=1)
    rows, target, w = soft_rows(soft, balanced, weights)
    return xs[rows], target, w, c, None


def _regression(problem: Problem, seed: int) -> Any:
    """An unfitted scikit-learn ``LogisticRegression`` (L2, lbfgs) for ``problem``."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=problem[3], max_iter=2000, random_state=seed, class_weight=problem[4])


def _solve_all(problems: list[Problem | None], seed: int) -> list[Any]:
    """Each problem's fitted regression (``None`` stays ``None``). The solver runs on one core, so with
    ``PARALLEL_TEXTS`` texts or more and several cores the problems are solved in that many worker processes
    (joblib; each worker gets the estimator's ``fit``, so it imports scikit-learn only), which gives the same
    fits; below it, starting the workers costs more than they save."""
    todo = [p for p in problems if p is not None]
    jobs = min(len(todo), usable_cores())
    if jobs > 1 and todo[0][0].shape[0] >= PARALLEL_TEXTS:
        from joblib import Parallel, delayed

        fitted = iter(Parallel(n_jobs=jobs)(delayed(_regression(p, seed).fit)(p[0], p[1], sample_weight=p[2])
                                            for p in todo))
    else:
        fitted = iter([_regression(p, seed).fit(p[0], p[1], sample_weight=p[2]) for p in todo])
    return [None if p is None else next(fitted) for p in problems]


def usable_cores() -> int:
    """The CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _one_vs_rest_tables(fitted: list[Any], columns: np.ndarray, buckets: int, dim: int
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The kernel ``(buckets, classes)``, bias and dense columns' kernel ``(dim, classes)`` of one binary
    regression per class (``None``: a class that all or none of the texts have, whose bias is -10)."""
    n_classes = len(fitted)
    kernel, bias, dense_kernel = np.zeros((buckets, n_classes)), np.zeros(n_classes), np.zeros((dim, n_classes))
    for k, lr in enumerate(fitted):
        if lr is None:
            bias[k] = -10.0
            continue
        kernel[columns, k], bias[k] = lr.coef_[0][:len(columns)], lr.intercept_[0]
        dense_kernel[:, k] = lr.coef_[0][len(columns):]
    return kernel, bias, dense_kernel


def _with_dense(x: Any, dense: np.ndarray | None) -> Any:
    """Sparse features with the ``dense`` columns appended (``x`` itself without them)."""
    import scipy.sparse as sp

    return x if dense is None else sp.hstack([x, sp.csr_matrix(dense)], format="csr")


def _scale_columns(x: Any, s: np.ndarray) -> Any:
    import scipy.sparse as sp

    return (x @ sp.diags(s)).tocsr()


def _multinomial(lr: Any, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """The kernel ``(buckets, classes)`` and bias of a fitted multinomial logistic regression; classes that
    were absent from training get a bias of -10 (never predicted)."""
    kernel, bias = np.zeros((lr.coef_.shape[1], n_classes)), np.full(n_classes, -10.0)
    if len(lr.classes_) == 2:  # scikit-learn keeps one row for two classes: logits 0 and the row
        kernel[:, lr.classes_[1]], bias[lr.classes_[1]] = lr.coef_[0], lr.intercept_[0]
        bias[lr.classes_[0]] = 0.0
        return kernel, bias
    for row, k in enumerate(lr.classes_):
        kernel[:, k], bias[k] = lr.coef_[row], lr.intercept_[row]
    return kernel, bias
