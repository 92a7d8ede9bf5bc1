"""Helpers imported by text_classifier_relative.py from the same folder."""
import numpy as np


def read_labels(path):
    return [line.strip() for line in open(path, encoding="utf-8") if line.strip()][1:]


def fake_token_ids(n, length, vocab):
    return np.random.randint(1, vocab, (n, length))
