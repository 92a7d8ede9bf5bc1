"""Stage 1's vector gate on a sample of the training tweets against the gate on all of them: for each seed's split
of the bundled corpus, the gate (``vector_gate``, 3 folds, the default views and C) on ``--texts`` training
tweets drawn as ``train`` draws them (``stratified_sample``), its decision and figures, and its wall-clock
seconds (the fits run in worker processes, so the wall clock is the cost that counts). With ``--all`` the gate
also reads every training tweet, for the comparison (slow). The sentence vectors are read from the cache
(``KERNEST_CACHE``) where a run put them, and encoded otherwise.

    KERNEST_CACHE=DIR python bench/vector_gate_sample.py [--seeds 0 1 2] [--texts 5000] [--all] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from kernest._files import write_text_atomic
from kernest.text import _sentence
from kernest.text._wide import vector_gate

sys.path.insert(0, str(Path(__file__).parent))
from minilm_int8 import gate_inputs, tweets  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--texts", type=int, default=5000)
    p.add_argument("--all", action="store_true", help="also run the gate on every training tweet")
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)
    tower = _sentence.build_tower()
    result: dict[str, Any] = {"texts": args.texts, "seeds": {}}
    for seed in args.seeds:
        splits, tok = tweets(seed)
        train = splits.train
        vectors, encoding = _sentence.vectors(tower, train.texts, tok)
        views, counts, y, fit = gate_inputs(train.texts, train.labels, splits.classes, seed)
        row: dict[str, Any] = {"train_texts": len(y), "encoded": encoding["encoded"]}
        for name, texts in (("sample", args.texts), ("all", 0)):
            if name == "all" and not args.all:
                continue
            started = time.perf_counter()
            row[name] = vector_gate(views, counts, y, vectors, 3, texts=texts, **fit)[0]
            row[name]["wall_seconds"] = round(time.perf_counter() - started, 1)
        result["seeds"][str(seed)] = row
        print(seed, json.dumps(row), flush=True)
    if args.out:
        write_text_atomic(args.out, json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
