"""Classification metrics in NumPy (accuracy, macro-F1, per-class precision/recall/F1) and their plots."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kernest._files import write_atomic


def confusion(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Confusion counts ``(n_classes, n_classes)``: rows are true classes, columns predictions."""
    m = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(m, (np.asarray(y_true, np.int64), np.asarray(y_pred, np.int64)), 1)
    return m


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> float:
    """Unweighted mean of the per-class F1 scores over the classes that are true or predicted at least once
    (as scikit-learn's ``f1_score(average="macro")``: a class absent from both says nothing).

    Example:
        >>> round(macro_f1(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]), 2), 4)
        0.7333
        >>> macro_f1(np.array([0, 1]), np.array([0, 1]), 3)  # class 2 is neither true nor predicted
        1.0
    """
    return _mean_f1(confusion(y_true, y_pred, n_classes))


def _mean_f1(m: np.ndarray) -> float:
    seen = (m.sum(axis=0) + m.sum(axis=1)) > 0
    return float(np.mean(_prf(m)[2][seen])) if seen.any() else 0.0


def _prf(m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tp = np.diag(m).astype(np.float64)
    predicted = m.sum(axis=0).astype(np.float64)
    actual = m.sum(axis=1).astype(np.float64)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    return precision, recall, f1


def classification_metrics(y_true: Sequence[int] | np.ndarray, y_pred: Sequence[int] | np.ndarray,
                           classes: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class precision / recall / F1 / support and the confusion matrix.

    Args:
        y_true: true class indices.
        y_pred: predicted class indices.
        classes: class names, by index.

    Returns:
        A JSON-ready dict: ``n``, ``accuracy``, ``macro_f1``, ``per_class``, ``confusion``, ``classes``.
    """
    yt, yp = np.asarray(y_true, np.int64), np.asarray(y_pred, np.int64)
    m = confusion(yt, yp, len(classes))
    precision, recall, f1 = _prf(m)
    return {
        "n": int(len(yt)),
        "accuracy": float(np.mean(yt == yp)) if len(yt) else 0.0,
        "macro_f1": _mean_f1(m),
        "per_class": {
            c: {"precision": float(precision[i]), "recall": float(recall[i]), "f1": float(f1[i]),
                "support": int(m[i].sum())}
            for i, c in enumerate(classes)
        },
        "classes": list(classes),
        "confusion": m.tolist(),
    }


def format_metrics(metrics: dict[str, Any]) -> str:
    """A small fixed-width table of a ``classification_metrics`` dict."""
    lines = [f"accuracy {metrics['accuracy']:.4f}   macro-F1 {metrics['macro_f1']:.4f}   n {metrics['n']}",
             f"{'class':<12} {'precision':>9} {'recall':>9} {'f1':>9} {'support':>8}"]
    for c, v in metrics["per_class"].items():
        lines.append(f"{c:<12} {v['precision']:>9.4f} {v['recall']:>9.4f} {v['f1']:>9.4f} {v['support']:>8}")
    classes = list(metrics["per_class"])
    if metrics.get("confusion"):
        lines.append("confusion (rows: true class, columns: predicted)")
        lines.append(f"{'':<12} " + " ".join(f"{c[:9]:>9}" for c in classes))
        for c, row in zip(classes, metrics["confusion"]):
            lines.append(f"{c:<12} " + " ".join(f"{n:>9}" for n in row))
    return "\n".join(lines)


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    return plt


def plot_confusion(metrics: dict[str, Any], path: Path) -> None:
    """Write the confusion matrix of a metrics dict as a PNG (atomically)."""
    plt = _pyplot()
    m = np.asarray(metrics["confusion"])
    classes = metrics["classes"]
    fig, ax = plt.subplots(figsize=(1.2 * len(classes) + 2.5, 1.1 * len(classes) + 2))
    ax.imshow(m, cmap="Blues")
    ax.set_xticks(range(len(classes)), classes, rotation=30, ha="right")
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    top = m.max() if m.size else 0
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            ax.text(j, i, str(m[i, j]), ha="center", va="center", color="white" if m[i, j] > top / 2 else "black")
    ax.set_title(f"test: accuracy {metrics['accuracy']:.3f}, macro-F1 {metrics['macro_f1']:.3f}")
    fig.tight_layout()
    write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=100, format="png"))
    plt.close(fig)


def plot_curves(history: dict[str, list[float]], path: Path) -> None:
    """Write loss and score curves per epoch as a PNG (atomically)."""
    plt = _pyplot()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.8))
    for key in ("loss", "val_loss"):
        if history.get(key):
            a1.plot(range(1, len(history[key]) + 1), history[key], marker="o", label=key)
    for key in ("accuracy", "val_accuracy", "val_macro_f1"):
        if history.get(key):
            a2.plot(range(1, len(history[key]) + 1), history[key], marker="o", label=key)
    for ax, title in ((a1, "loss"), (a2, "scores")):
        ax.set_xlabel("epoch")
        ax.set_title(title)
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend()
    fig.tight_layout()
    write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=100, format="png"))
    plt.close(fig)
