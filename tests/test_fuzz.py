"""Property tests of the text encoder and the data loaders: any text in, the documented shapes or a DataError out."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernest import DataError, KernestWarning
from kernest.text._data import clean_text, load_data
from kernest.text._encode import PAD_ID, TextEncoder

MAX_WORDS, MAX_CHARS = 5, 7
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Any unicode (surrogates cannot be encoded as UTF-8, so they are not text), with spaces and punctuation often.
any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=80)
wordy_text = st.lists(st.sampled_from(["good", "bad", "!!", "@bob", "http://x.y/z", "12.5", "😍", "naïve",
                                       "日本語", "\u200b", "\t", "a" * 40, "", " "]), max_size=30).map(" ".join)
texts = st.lists(st.one_of(any_text, wordy_text), min_size=1, max_size=8)

_ENCODER: TextEncoder | None = None


def encoder() -> TextEncoder:
    global _ENCODER
    if _ENCODER is None:  # one encoder (and one traced function) for every example
        _ENCODER = TextEncoder.fit(["good movie", "bad movie!!", "naïve 😍 @bob"], max_words=MAX_WORDS,
                                   max_chars=MAX_CHARS, min_count=1, classes=("neg", "pos"))
    return _ENCODER


def _check_encoded(batch: list[str]) -> None:
    enc = encoder().encode(batch)
    assert enc.ids.shape == (len(batch), MAX_WORDS, MAX_CHARS)
    assert enc.ids.dtype == np.int32
    assert enc.ids.min() >= PAD_ID and enc.ids.max() < encoder().vocab_size
    assert enc.n_words.shape == enc.longest_word.shape == (len(batch),)
    for i, text in enumerate(batch):
        if not text.strip():
            assert enc.empty[i] and not enc.ids[i].any()
        assert (enc.note(i) is None) or enc.note(i).startswith(("empty", "truncated"))


@FUZZ
@given(texts)
def test_encoder_shapes_hold_for_any_text(batch):
    _check_encoded(batch)


@settings(max_examples=8, deadline=None)
@given(st.integers(1, 3), st.sampled_from(["a", "é", "😍", "ab cd ", "!?"]), st.integers(10_000, 200_000))
def test_encoder_huge_strings_are_truncated_not_crashing(n, unit, size):
    batch = [unit * (size // len(unit))] * n
    enc = encoder().encode(batch)
    assert enc.ids.shape == (n, MAX_WORDS, MAX_CHARS)
    assert enc.truncated.all()


def test_encoder_empty_batch_and_empty_strings():
    assert encoder().encode([]).ids.shape == (0, MAX_WORDS, MAX_CHARS)
    enc = encoder().encode(["", " ", "\n\t", "\xa0", "\u3000\u2028"])  # Unicode spaces are spaces too
    assert enc.ids.shape == (5, MAX_WORDS, MAX_CHARS) and not enc.ids.any() and enc.empty.all()


@settings(max_examples=10, deadline=None)  # each fit traces a new encoder function (~0.4 s)
@given(st.lists(any_text, min_size=1, max_size=20), st.booleans())
def test_encoder_fit_accepts_any_texts(corpus, lowercase):
    enc = TextEncoder.fit(corpus, min_count=1, lowercase=lowercase, max_words=3, max_chars=4)
    assert enc.encode(corpus).ids.shape == (len(corpus), 3, 4)
    again = TextEncoder.from_json(json.loads(json.dumps(enc.to_json())))
    np.testing.assert_array_equal(again.encode(corpus).ids, enc.encode(corpus).ids)


@FUZZ
@given(any_text, st.booleans())
def test_clean_text_is_total_and_idempotent(text, mojibake):
    once = clean_text(text, mojibake=mojibake)
    assert isinstance(once, str) and once == once.strip()
    assert clean_text(once) == once  # cleaning what is clean changes nothing


@pytest.mark.parametrize("text, clean", [
    ("&amp;amp;amp;", "&"), ("fish &amp;amp; chips", "fish & chips"), ("&#38;#38;amp;", "&"),
    ("a&#32;&#32; b", "a b"), ("&am\ufffdp;", "&"), ("&#xfffd;x", "x"), ("", ""),
])
def test_clean_text_unescapes_to_a_fixed_point(text, clean):
    assert clean_text(text) == clean
    assert clean_text(clean_text(text)) == clean_text(text)


rows = st.lists(st.tuples(st.one_of(any_text, wordy_text), st.sampled_from(["pos", "neg", "", "nan", "neu"])),
                min_size=0, max_size=12)


def _load_or_data_error(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KernestWarning)
        try:
            return load_data(path)
        except DataError as e:
            assert str(e)  # a message, never an empty one
            return None


@FUZZ
@given(rows, st.sampled_from(["csv", "tsv", "jsonl"]))
def test_loaders_return_clean_data_or_data_error(tmp_path_factory, table, fmt):
    path = tmp_path_factory.mktemp("fuzz") / f"data.{fmt}"
    if fmt == "jsonl":
        path.write_text("".join(json.dumps({"text": t, "label": lab}) + "\n" for t, lab in table), "utf-8")
    else:
        import csv

        with path.open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, delimiter="," if fmt == "csv" else "\t")
            w.writerow(["text", "label"])
            w.writerows(table)
    ds = _load_or_data_error(path)
    if ds is not None:
        assert len(ds.texts) == len(ds.labels) >= 2 and len(ds.classes) >= 2
        assert all(t and t == t.strip() for t in ds.texts)
        assert all(lab.strip().lower() not in ("", "nan") for lab in ds.labels)
        shape = encoder().encode(ds.texts).ids.shape
        assert shape == (len(ds.texts), MAX_WORDS, MAX_CHARS)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400), st.sampled_from(["csv", "tsv", "jsonl", "txt"]))
def test_loaders_survive_arbitrary_bytes(tmp_path_factory, blob, fmt):
    path = tmp_path_factory.mktemp("bytes") / f"data.{fmt}"
    path.write_bytes(b"text,label\n" + blob if fmt == "csv" else blob)
    _load_or_data_error(path)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_loader_with_a_1mb_line(tmp_path, fmt):
    path = tmp_path / f"big.{fmt}"
    huge = "word " * 200_000  # 1 MB in one line
    if fmt == "csv":
        path.write_text(f"text,label\n{huge},pos\nshort,neg\nother,neg\n", "utf-8")
    else:
        path.write_text(json.dumps({"text": huge, "label": "pos"}) + "\n"
                        + json.dumps({"text": "short", "label": "neg"}) + "\n", "utf-8")
    ds = _load_or_data_error(path)
    assert ds is not None and len(ds) >= 2
    assert encoder().encode(ds.texts).ids.shape == (len(ds), MAX_WORDS, MAX_CHARS)
