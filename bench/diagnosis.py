"""Diagnosis quality on the corpus of real broken nested models (tests/corpus/), kernest against Keras.

    python bench/diagnosis.py [--small] [--set all|dev|heldout|heldout2|...|heldout14] [--out bench/results/diagnosis.json]
    KERAS_BACKEND=jax python bench/diagnosis.py

``--set heldout`` scores only the first held-out cases (``"set": "heldout"`` in case.json: written from public
threads after the engine was developed, and scored before any engine change for them; since used for tuning);
``--set heldout2`` the second held-out set (``"set": "heldout2"``, cases 71 onward, scored the same way);
``--set heldout3`` the third held-out set (``"set": "heldout3"``, cases 83 onward, written after the first two
had been used for tuning, and scored the same way); ``--set heldout4`` the fourth (``"set": "heldout4"``, cases 95
onward, written after the first three had been used for tuning, and scored the same way); ``--set heldout5`` the
fifth (``"set": "heldout5"``, cases 103 onward, written after the first four had been used for tuning, and scored the
same way); ``--set heldout6`` the sixth (``"set": "heldout6"``, cases 113 onward, written after the first five had been
used for tuning, and scored the same way); ``--set heldout7`` the seventh (``"set": "heldout7"``, cases 123 onward,
written after the first six had been used for tuning, and scored the same way); ``--set heldout8`` the eighth
(``"set": "heldout8"``, cases 133 onward, written after the first seven had been used for tuning, and scored the
same way); ``--set heldout9`` the ninth (``"set": "heldout9"``, cases 143 onward, written after the first eight had
been used for tuning, and scored the same way); ``--set heldout10`` the tenth (``"set": "heldout10"``, cases 153
onward, written after the first nine had been used for tuning, and scored the same way); ``--set heldout11`` the
eleventh (``"set": "heldout11"``, cases 163 onward, written after the first ten had been used for tuning, and scored
the same way); ``--set heldout12`` the twelfth (``"set": "heldout12"``, cases 173 onward, written after the first
eleven had been used for tuning, and scored the same way); ``--set heldout13`` the thirteenth (``"set": "heldout13"``,
cases 181 onward, written after the first twelve had been used for tuning, and scored the same way); ``--set heldout14``
the fourteenth (``"set": "heldout14"``, cases 191 onward, written after the first thirteen had been used for tuning, and
scored the same way); the set names are read from the cases' case.json, so a new set needs no change here;
``--set dev`` the development corpus the engine was tuned on; ``all`` (the default) every case.

For every case, in this process and on the current backend:
- kernest: ``kernest check broken.py`` (``--strict`` for a silent case). *named*: it prints the case's nested
  path and interface; *fix right*: it prints every remedy fragment, and the corrected script (which applies
  them) builds, trains one step and passes ``kernest check``; *traceback-free*: exit code 1 and one message,
  no traceback and no "Fix the error in that code" fallback.
- Keras (the baseline): the message of the exception that running broken.py raises ('' for a silent case),
  scored the same way; Keras always ends in a traceback, so its traceback-free count is 0.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import warnings  # noqa: E402
from typing import Any  # noqa: E402

import _common  # noqa: E402
import keras  # noqa: E402

from tests.corpus_cases import Case, cases, keras_message, kernest_check, run_script, squash  # noqa: E402


def set_names() -> list[str]:
    """The held-out set names the cases' case.json files carry ("heldout", "heldout2", ...), in numeric order."""
    names = {c.meta["set"] for c in cases() if c.meta.get("set")}
    return sorted(names, key=lambda name: (len(name), name))


def score_kernest(case: Case) -> dict[str, bool]:
    keras.backend.clear_session(free_memory=False)
    try:
        code, printed = kernest_check(case.broken, strict=case.silent)
    except Exception as exc:  # kernest itself crashed: the user would see a traceback
        code, printed = 1, f"Traceback (kernest crashed): {type(exc).__name__}: {exc}"
    named = case.meta["path"] in printed and case.meta["interface"] in printed
    said = all(squash(r) in squash(printed) for r in case.meta["remedy"])
    works = False
    if said:
        keras.backend.clear_session(free_memory=False)
        try:
            run_script(case.fixed)
            keras.backend.clear_session(free_memory=False)
            works = kernest_check(case.fixed, strict=case.silent)[0] == 0
        except Exception:  # a fix that does not build counts as wrong
            works = False
    clean = code == 1 and "Traceback" not in printed and "Fix the error in that code" not in printed
    return {"named": named, "fix_right": said and works, "traceback_free": clean}


def score_keras(case: Case) -> dict[str, bool]:
    keras.backend.clear_session(free_memory=False)
    message = keras_message(case.broken)
    named = bool(message) and case.meta["path"] in message and case.meta["interface"] in message
    said = bool(message) and all(squash(r) in squash(message) for r in case.meta["remedy"])
    return {"named": named, "fix_right": said, "traceback_free": False}


def main() -> None:
    parser = _common.parser(__doc__, "bench/results/diagnosis.json")
    parser.add_argument("--set", choices=("all", "dev", *set_names()), default="all", dest="subset",
                        help="which cases: the development corpus, a held-out set, or all (default)")
    args = parser.parse_args()
    backend = keras.backend.backend()
    chosen = [c for c in cases() if backend in c.meta.get("backends", ["tensorflow"])
              and args.subset in ("all", c.meta.get("set", "dev"))]
    if args.small:
        chosen = chosen[:2]
    rows: list[list[Any]] = []
    per_case: dict[str, Any] = {}
    totals = {"kernest": dict.fromkeys(("named", "fix_right", "traceback_free"), 0),
              "keras": dict.fromkeys(("named", "fix_right", "traceback_free"), 0)}
    warnings.simplefilter("ignore")
    for case in chosen:
        k, b = score_kernest(case), score_keras(case)
        per_case[case.id] = {"family": case.meta["family"], "kernest": k, "keras": b}
        for key in k:
            totals["kernest"][key] += int(k[key])
            totals["keras"][key] += int(b[key])
        rows.append([case.id, case.meta["family"], *("yes" if k[x] else "-" for x in k), *("yes" if b[x] else "-" for x in b)])
        print(rows[-1], flush=True)
    n = len(chosen)
    print(_common.table(rows, ["case", "family", "k named", "k fix", "k clean", "keras named", "keras fix", "keras clean"]))
    met = n > 0 and totals["kernest"]["named"] >= 0.9 * n and totals["kernest"]["fix_right"] >= 0.8 * n
    result = {
        "benchmark": "diagnosis",
        "small": args.small,
        "backend": backend,
        "set": args.subset,
        "cases": n,
        "kernest": totals["kernest"],
        "keras": totals["keras"],
        "ratios": {f"kernest_{k}_share": round(v / n, 3) if n else 0.0 for k, v in totals["kernest"].items()},
        "goal": {"text": "named >= 90% and fix right >= 80% of the cases", "met": met},
        "per_case": per_case,
    }
    print(f"kernest on {n} cases ({backend}): {totals['kernest']}; Keras's own message: {totals['keras']}")
    _common.report(result, args.out, unit="")


if __name__ == "__main__":
    main()
