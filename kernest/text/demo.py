"""``python -m kernest.text.demo``: train on the bundled corpus, then compare with TF-IDF + LR on the same split.

It trains with the defaults of ``kernest train`` (the recipe chosen on validation splits), which finish within
ten minutes on two CPU cores (see ``BENCHMARKS.md``, section 4).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from kernest.text._cli import non_negative_int, positive_int


def comparison_table(model: dict[str, Any], base: dict[str, Any]) -> str:
    """A fixed-width table: accuracy, macro-F1, per-class F1 and time for the model and the baseline."""
    classes = list(model["per_class"])
    head = f"{'':<22}{'accuracy':>9}{'macro-F1':>10}" + "".join(f"{'F1 ' + c[:9]:>13}" for c in classes)
    head += f"{'time':>9}"
    lines = [head]
    for name, m in (("wide-and-deep", model), ("TF-IDF + LR baseline", base)):
        row = f"{name:<22}{m['accuracy']:>9.4f}{m['macro_f1']:>10.4f}"
        row += "".join(f"{m['per_class'][c]['f1']:>13.4f}" for c in classes)
        row += f"{m.get('train_seconds', 0):>8.0f}s"
        lines.append(row)
    diff = 100 * (model["macro_f1"] - base["macro_f1"])
    lines.append(f"macro-F1 difference: {diff:+.2f} points (test split, n={model['n']})")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m kernest.text.demo", description=__doc__)
    parser.add_argument("--epochs", type=positive_int, help="default: kernest train's")
    parser.add_argument("--batch-size", type=positive_int, help="default: kernest train's")
    parser.add_argument("--seed", type=non_negative_int, default=0)
    parser.add_argument("--out", help="run folder (default: runs/demo-<time>)")
    parser.add_argument("--limit", type=positive_int, help="use a sample of this many texts (a quick look)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the TF-IDF + LR baseline")
    parser.add_argument("--config", help="JSON or YAML file of ModelConfig fields (default: kernest train's)")
    args = parser.parse_args(argv)

    from kernest._errors import KernestError
    from kernest._files import write_text_atomic
    from kernest.text._baseline import baseline
    from kernest.text._train import train

    out = args.out or time.strftime("runs/demo-%Y%m%d-%H%M%S")
    try:
        result = train(out=out, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed, limit=args.limit,
                       config=args.config)
        weighted = _config_of(result.run).get("sample_weight") == "confidence"  # weigh the baseline alike
        base = None if args.no_baseline else baseline(result.splits, seed=args.seed, sample_weight=weighted)
    except KernestError as e:
        print(f"kernest: error: {e}", file=sys.stderr)
        return 2
    print()
    if base is None:
        from kernest.text._metrics import format_metrics

        print(format_metrics(result.metrics))
    else:
        write_text_atomic(result.run / "baseline.json", json.dumps(base, indent=1) + "\n")
        print(comparison_table(result.metrics, base))
    print(f"run written to {result.run}")
    return 0


def _config_of(run: Any) -> dict[str, Any]:
    config: dict[str, Any] = json.loads((run / "config.json").read_text(encoding="utf-8"))["model"]
    return config


if __name__ == "__main__":
    raise SystemExit(main())
