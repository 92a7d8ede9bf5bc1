"""Loading, cleaning, de-duplicating and splitting labelled text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kernest import DataError, KernestWarning
from kernest.text import (
    Dataset,
    classification_metrics,
    clean_text,
    deduplicate,
    load_data,
    split,
    take_sample,
)
from tests.conftest_text import bundled, write_jsonl, write_table

ROWS = [("good film", "pos"), ("bad film", "neg"), ("great plot", "pos"), ("awful plot", "neg")] * 3


@pytest.mark.parametrize(("raw", "mojibake", "expected"), [
    ("fish &amp;  chips", False, "fish & chips"),
    ("fish &amp;amp; chips", False, "fish & chips"),
    ("S\ufffd\ufffdo Paulo", False, "So Paulo"),
    ("  a\t\nb  ", False, "a b"),
    ("cars_\u00d1_.no thank you", True, "cars .no thank you"),
    ("don\u00d5\u00a2_\u0160\u00ce_\u2020\u00a2t want", True, "don't want"),
    ("Exactly! \u00d5\u00a2_\u0160\u00ce\u0081\u00d0@Ossy: hi", True, "Exactly! @Ossy: hi"),
    ("my_name is", True, "my_name is"),
    ("caf\u00e9 \U0001f602", False, "caf\u00e9 \U0001f602"),
])
def test_clean_text(raw: str, mojibake: bool, expected: str) -> None:
    assert clean_text(raw, mojibake=mojibake) == expected


def test_bundled_corpus_counts_and_cleaning() -> None:
    ds = bundled()
    # The file has 38,158 data rows (the issue text says 38,157; its own label counts sum to 38,158).
    assert ds.counts() == {"negative": 16186, "neutral": 15018, "positive": 6954}
    assert ds.repaired == 4934  # rows that are not UTF-8
    assert not any("\ufffd" in t or "&amp;" in t for t in ds.texts)
    assert not any("\u00d5\u00a2" in t for t in ds.texts)
    assert ds.weights is not None and len(ds.weights) == len(ds) and 0.25 < min(ds.weights) <= max(ds.weights) <= 1


def test_weights_follow_their_texts_through_dedup_split_and_sample() -> None:
    texts = [f"text {i}" for i in range(30)] + ["text 0"]
    ds = Dataset(texts, ["a", "b", "c"] * 10 + ["a"], weights=[i / 100 for i in range(1, 32)])
    parts = split(ds, seed=1)
    weight_of = {t: w for t, w in zip(reversed(texts), reversed(ds.weights or []))}  # first occurrence wins
    for part in (parts.train, parts.val, parts.test, take_sample(parts.train, 5, seed=2)):
        assert part.weights is not None and len(part.weights) == len(part)
        assert all(weight_of[t] == w for t, w in zip(part.texts, part.weights))


def test_split_is_deterministic_stratified_and_disjoint() -> None:
    ds = bundled()
    a, b, c = split(ds, seed=0), split(ds, seed=0), split(ds, seed=1)  # (~1 s each)
    assert a.train.texts == b.train.texts and a.test.texts == b.test.texts
    assert a.test.texts != c.test.texts
    keys = [{t.lower() for t in part.texts} for part in (a.train, a.val, a.test)]
    assert not keys[0] & keys[2] and not keys[0] & keys[1] and not keys[1] & keys[2]
    n = len(a.train) + len(a.val) + len(a.test)
    unique = deduplicate(ds).counts()
    assert n == sum(unique.values()) < len(ds)
    for part, frac in ((a.train, 0.8), (a.val, 0.1), (a.test, 0.1)):
        assert abs(len(part) / n - frac) < 0.005
        for cls, count in part.counts().items():  # each class keeps its share in every part
            assert abs(count / len(part) - unique[cls] / n) < 0.01
    assert a.classes == ("negative", "neutral", "positive")


def test_small_split_puts_every_class_in_every_part() -> None:
    parts = split(Dataset([f"t{i}" for i in range(10)], ["x", "y"] * 5), seed=3)
    for part in (parts.train, parts.val, parts.test):
        assert set(part.labels) == {"x", "y"}


def test_deduplicate_keeps_majority_then_first_label() -> None:
    ds = Dataset(["A b", "a  b", "a b", "c", "C", "d"], ["neg", "pos", "pos", "x", "y", "z"])
    out = deduplicate(ds)
    assert out.texts == ["A b", "c", "d"]
    assert out.labels == ["pos", "x", "z"]  # majority for "a b"; a 1-1 tie for "c" goes to the first label
    assert out.skipped["duplicate"] == 3


@pytest.mark.parametrize(("suffix", "delimiter"), [(".csv", ","), (".tsv", "\t")])
def test_load_csv_and_tsv(tmp_path: Path, suffix: str, delimiter: str) -> None:
    path = write_table(tmp_path / f"d{suffix}", ROWS, delimiter=delimiter)
    ds = load_data(path)
    assert ds.classes == ("neg", "pos") and len(ds) == 12


def test_load_custom_columns_and_jsonl(tmp_path: Path) -> None:
    path = write_table(tmp_path / "d.csv", [(lab, t) for t, lab in ROWS], header=("y", "body"))
    assert len(load_data(path, text_col="body", label_col="y")) == 12
    rows = [{"text": t, "label": lab, "extra": 1} for t, lab in ROWS] + [{"text": "x", "label": 3}]
    ds = load_data(write_jsonl(tmp_path / "d.jsonl", rows))
    assert ds.classes == ("3", "neg", "pos")


def test_load_a_json_array_of_records(tmp_path: Path) -> None:
    records = [{"review": t, "stars": lab} for t, lab in ROWS] + [["not", "an", "object"]]
    path = tmp_path / "d.json"
    path.write_text(json.dumps(records, indent=1), encoding="utf-8")  # as pandas' to_json(orient="records")
    with pytest.warns(KernestWarning, match=r"skipped 1 records that are not JSON objects"):
        ds = load_data(path, text_col="review", label_col="stars")
    assert ds.classes == ("neg", "pos") and len(ds) == 12


def test_load_class_folders(tmp_path: Path) -> None:
    for cls, words in (("neg", "bad"), ("pos", "good")):
        (tmp_path / "data" / cls).mkdir(parents=True)
        for i in range(3):
            (tmp_path / "data" / cls / f"{i}.txt").write_text(f"{words} movie\nline {i}\n", encoding="utf-8")
    ds = load_data(tmp_path / "data")
    assert ds.counts() == {"neg": 3, "pos": 3}
    assert ds.texts[0] == "bad movie line 0"


def test_missing_and_empty_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"does not exist.*bundled"):
        load_data(tmp_path / "nope.csv")
    for name, content in (("empty.csv", b"  \n"), ("bom.txt", b"\xef\xbb\xbf"), ("bom.csv", b"\xef\xbb\xbf \r\n")):
        (tmp_path / name).write_bytes(content)
        with pytest.raises(DataError, match=r"is empty"):
            load_data(tmp_path / name)
    (tmp_path / "bin.csv").write_bytes(b"PK\x03\x04\x00\x00binary")
    with pytest.raises(DataError, match=r"looks binary \(it holds NUL bytes\)\. Give"):
        load_data(tmp_path / "bin.csv")
    (tmp_path / "book.xlsx").write_bytes(b"PK\x03\x04\x00\x00binary")
    with pytest.raises(DataError, match=r"it is a spreadsheet workbook\. Give .*to_csv"):
        load_data(tmp_path / "book.xlsx")
    (tmp_path / "nofiles").mkdir()
    with pytest.raises(DataError, match=r"no \.txt files"):
        load_data(tmp_path / "nofiles")


def test_missing_column_lists_the_columns(tmp_path: Path) -> None:
    path = write_table(tmp_path / "d.csv", ROWS, header=("tweet", "label"))
    with pytest.raises(DataError, match=r"no column 'text'.*'tweet', 'label'.*--text-col"):
        load_data(path)


def test_a_semicolon_csv_loads_and_a_wrong_delimiter_gets_a_hint(tmp_path: Path) -> None:
    ds = load_data(write_table(tmp_path / "d.csv", ROWS, delimiter=";"))  # as spreadsheets in many locales write
    assert ds.classes == ("neg", "pos") and len(ds) == 12
    path = write_table(tmp_path / "d.tsv", ROWS, delimiter=",")
    with pytest.raises(DataError, match=r"no column 'text' or 'label'.*'text,label'.*another delimiter"):
        load_data(path)


def test_a_class_too_rare_to_split_is_named_and_left_out_of_macro_f1() -> None:
    ds = Dataset([f"text {i}" for i in range(13)], ["neg", "pos"] * 6 + ["neutral"], "mine.csv")
    with pytest.warns(KernestWarning, match=r"mine.csv: class 'neutral' \(1\) has fewer than 3 texts.*merge it"):
        parts = split(ds, seed=0)
    assert "neutral" in parts.train.labels and "neutral" not in parts.test.labels
    # scored as scikit-learn's macro F1: a class neither true nor predicted is left out, not counted as 0
    metrics = classification_metrics([0, 1, 1], [0, 1, 1], ["neg", "neutral", "pos"])
    assert metrics["macro_f1"] == 1.0 and metrics["per_class"]["pos"]["support"] == 0
    assert classification_metrics([0, 1], [0, 2], ["neg", "neutral", "pos"])["macro_f1"] == pytest.approx(1 / 3)


def test_only_one_class(tmp_path: Path) -> None:
    path = write_table(tmp_path / "d.csv", [("a", "pos"), ("b", "pos")])
    with pytest.raises(DataError, match=r"only one class \('pos', 2 texts\)"):
        load_data(path)
    assert len(load_data(path, min_classes=1)) == 2


def test_missing_labels_are_skipped_with_a_warning(tmp_path: Path) -> None:
    path = write_table(tmp_path / "d.csv", ROWS + [("x", ""), ("y", "NaN"), ("", "pos")])
    with pytest.warns(KernestWarning, match=r"skipped 1 rows with empty text, 2 rows with missing label"):
        ds = load_data(path)
    assert len(ds) == 12
    none_left = write_table(tmp_path / "e.csv", [("x", ""), ("y", "nan")])
    with pytest.raises(DataError, match=r"no usable labelled text \(2 missing label\)"):
        load_data(none_left)


def test_undecodable_bytes_are_skipped_and_counted(tmp_path: Path) -> None:
    body = "text,label\n" + "".join(f"{t},{lab}\n" for t, lab in ROWS)
    data = body.encode() + b"\xff\xfe\x81\x8d,pos\n" + b"caf\xe9 ok,neg\n"  # garbage row; a latin-1 row
    (tmp_path / "d.csv").write_bytes(data)
    with pytest.warns(KernestWarning, match=r"2 rows held bytes that are not UTF-8.*skipped 1 rows with "
                                            r"undecodable bytes"):
        ds = load_data(tmp_path / "d.csv")
    assert len(ds) == 13 and ds.texts[-1] == "caf ok"


def test_long_fields_load_up_to_one_mib(tmp_path: Path) -> None:
    ok = tmp_path / "ok.csv"
    ok.write_text("text,label\n" + "word " * 200_000 + ",pos\nbad,neg\n", encoding="utf-8")
    assert len(load_data(ok)) == 2
    too_long = tmp_path / "long.csv"
    too_long.write_text("text,label\n" + "x" * (1 << 20) + ",pos\nbad,neg\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"near line 2: field larger than field limit.*shorter than 1 MiB \(1,048,576 characters\)"):
        load_data(too_long)
