"""What stage 1's vector gate costs on the tweets, in CPU seconds (``resource.getrusage``, user + system; the
machine is shared): on N training tweets of a seed's split, one fit of the wide tower's views without the
sentence vectors, one with them (the joint fit), and the whole gate (3 folds, with and without); and the gate's
figures on those N tweets. The vectors are read from the cache (``KERNEST_CACHE``) where a run put them, and
encoded otherwise.

    KERNEST_CACHE=DIR python bench/minilm_gate_cost.py [--texts 5000] [--seed 0] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from kernest._files import write_text_atomic
from kernest.text import _sentence
from kernest.text._wide import fit_views, vector_gate

sys.path.insert(0, str(Path(__file__).parent))
from minilm_int8 import cpu_seconds, gate_inputs, tweets  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--texts", type=int, default=5000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    splits, tok = tweets(args.seed)
    train = splits.train
    pick = np.sort(np.random.default_rng(args.seed).choice(len(train), min(args.texts, len(train)), replace=False))
    texts, labels = [train.texts[i] for i in pick], [train.labels[i] for i in pick]
    vectors, encoding = _sentence.vectors(_sentence.build_tower(), texts, tok)
    views, counts, y, fit = gate_inputs(texts, labels, splits.classes, args.seed)
    result: dict[str, Any] = {"texts": len(texts), "max_tokens": tok.max_tokens, "encoding": encoding}
    for name, v in (("fit_without", None), ("fit_with", vectors)):
        started = cpu_seconds()
        fit_views(views, counts, y, vectors=v, **fit)
        result[f"{name}_cpu_seconds"] = round(cpu_seconds() - started, 1)
        print(name, result[f"{name}_cpu_seconds"], flush=True)
    started = cpu_seconds()
    result["gate"] = vector_gate(views, counts, y, vectors, 3, **fit)[0]
    result["gate_cpu_seconds"] = round(cpu_seconds() - started, 1)
    print(json.dumps(result, indent=1), flush=True)
    if args.out:
        write_text_atomic(args.out, json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
