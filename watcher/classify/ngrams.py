"""The n-gram half of the segment classifier: hashed word and character n-grams, TF-IDF weighted, and one
logistic regression per category. Weights ship with the package (ngrams.npz, built by training/train.py)."""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np

BUCKETS = 1 << 18  # per feature group; collisions cost little at this size
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"\s+", " ", text).strip()


def word_ngrams(text: str) -> list[str]:
    words = _WORD.findall(text)
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


def char_ngrams(text: str, low: int = 2, high: int = 5) -> list[str]:
    """Character n-grams inside word boundaries (padded with a space), as sklearn's "char_wb" analyzer."""
    grams = []
    for word in text.split(" "):
        padded = f" {word} "
        for n in range(low, high + 1):
            grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams


def _hashed(grams: list[str], offset: int) -> Counter[int]:
    hashed: Counter[int] = Counter()
    for gram, count in Counter(grams).items():  # hash each distinct n-gram once
        hashed[offset + zlib.crc32(gram.encode()) % BUCKETS] += count
    return hashed


def features(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Sparse (indices, raw counts) of a text over both feature groups (words first, then characters)."""
    text = _normalize(text)
    words, chars = _hashed(word_ngrams(text), 0), _hashed(char_ngrams(text), BUCKETS)
    counts = words | chars
    indices = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
    values = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
    return indices, values


def tfidf(indices: np.ndarray, counts: np.ndarray, idf: np.ndarray) -> np.ndarray:
    """Sublinear TF times IDF, each feature group scaled to unit length (as two TfidfVectorizers would)."""
    weights = (1.0 + np.log(counts)) * idf[indices]
    for group in (indices < BUCKETS, indices >= BUCKETS):
        norm = np.sqrt(np.sum(weights[group] ** 2))
        if norm:
            weights[group] /= norm
    return weights


@dataclass(frozen=True)
class NgramModel:
    idf: np.ndarray  # (2 * BUCKETS,)
    coef: np.ndarray  # (2 * BUCKETS, categories)
    intercept: np.ndarray  # (categories,)
    categories: tuple[str, ...]

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), categories) probabilities."""
        out = np.zeros((len(texts), len(self.categories)), dtype=np.float32)
        for row, text in enumerate(texts):
            indices, counts = features(text)
            if len(indices):
                scores = tfidf(indices, counts, self.idf) @ self.coef[indices] + self.intercept
                out[row] = 1.0 / (1.0 + np.exp(-scores))
        return out


@functools.cache
def load_ngrams() -> NgramModel:
    with resources.files("watcher.classify").joinpath("ngrams.npz").open("rb") as file, np.load(file) as data:
        return NgramModel(
            idf=data["idf"].astype(np.float32),
            coef=data["coef"].astype(np.float32),
            intercept=data["intercept"].astype(np.float32),
            categories=tuple(str(c) for c in data["categories"]),
        )
