"""Fill the sentence-vector cache (``kernest.text._sentence``) from a ``.npz`` of texts and vectors that
``bench/minilm_cv.py --cache FILE`` kept, after checking a random sample of them against the tower.

The eighth pass encoded the bundled corpus' 37,217 distinct texts once, at 64 tokens (3,265 s on the loaded
machine); this puts those vectors where ``kernest train`` with ``wide_vectors="minilm"`` finds them, keyed by
their 64-token ids (``_sentence.ids_key``): a run whose fitted cap cuts a text shorter encodes that text again,
all others are read. The sample's vectors are recomputed by ``_sentence.vectors`` (no cache) and must agree
to ``--tolerance``; otherwise nothing is written.

    python bench/minilm_cache.py FILE [--check 256] [--tolerance 1e-5]
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import argparse  # noqa: E402
import hashlib  # noqa: E402

import numpy as np  # noqa: E402

from kernest._files import atomic_path  # noqa: E402
from kernest.text import _sentence  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file")
    p.add_argument("--check", type=int, default=256, help="texts recomputed and compared")
    p.add_argument("--tolerance", type=float, default=1e-5)
    args = p.parse_args(argv)
    with np.load(args.file, allow_pickle=False) as saved:
        texts, vectors = saved["texts"].tolist(), saved["vectors"].astype(np.float32)
    tower, tok = _sentence.build_tower(), _sentence.tokenizer(64)  # the cap the file's vectors were made at
    sample = np.random.default_rng(0).choice(len(texts), min(args.check, len(texts)), replace=False)
    fresh, facts = _sentence.vectors(tower, [texts[i] for i in sample], tok, cache=False)
    worst = float(np.abs(fresh - vectors[sample]).max())
    print(f"checked {len(sample)} texts: largest difference {worst:.2e}; {facts}", flush=True)
    if worst > args.tolerance:
        raise SystemExit(f"the file's vectors differ from the tower's by {worst:.2e}: not written")
    keys = np.array([_sentence.ids_key(row) for row in _sentence.token_ids(tok, texts)], dtype="S20")
    folder = _sentence.cache_folder(tower)
    name = hashlib.sha256(keys.tobytes()).hexdigest()[:16]
    with atomic_path(folder / f"{name}.npz", suffix=".npz") as tmp:
        np.savez(tmp, keys=keys, vectors=vectors)
    print(f"wrote {len(texts)} vectors to {folder / (name + '.npz')}")


if __name__ == "__main__":
    main()
