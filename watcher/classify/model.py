"""The segment classifier: two models trained on our own labels (training/), a category where their probability
reaches THRESHOLD. The n-gram model (ngrams.py) reads words and their spelling, fast; the fine-tuned encoder
(encoder.py) reads meaning, ten times slower. The n-gram model reads every segment; a segment on which it is
unsure of any category (a probability inside UNSURE) is also read by the encoder and gets the average of the
two. Cross-validated by service, the average beats either model alone; leaving the sure segments to the n-grams
keeps `watcher classify` over 200 segments/s on one core for a part of that gain (README, "Accuracy"). A long
text is read in windows of whole sentences, each category taking its highest probability in any of them."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from watcher.classify.encoder import Encoder, load_encoder
from watcher.classify.facts import split_sentences
from watcher.classify.ngrams import NgramModel, load_ngrams
from watcher.models import CATEGORIES

THRESHOLD = 0.5
UNSURE = (0.3, 0.7)  # the encoder reads about half of the segments (README, "Accuracy": how this was chosen)
WINDOW_WORDS = 120  # a longer text is read in windows (the encoder reads 128 tokens, about 90 words)


def windows(text: str) -> list[str]:
    """A long text cut into runs of whole sentences of at most WINDOW_WORDS words; none for a short one."""
    if len(text.split()) <= WINDOW_WORDS:
        return []
    runs: list[list[str]] = [[]]
    words = 0
    for sentence in split_sentences(text):
        length = len(sentence.split())
        if runs[-1] and words + length > WINDOW_WORDS:
            runs.append([])
            words = 0
        runs[-1].append(sentence)
        words += length
    return [" ".join(run) for run in runs] if len(runs) > 1 else []


def unsure(ngrams: np.ndarray) -> np.ndarray:
    """Which rows of n-gram probabilities the encoder must also read."""
    return ((ngrams > UNSURE[0]) & (ngrams < UNSURE[1])).any(axis=1)


@dataclass(frozen=True)
class SegmentModel:
    ngrams: NgramModel
    encoder: Callable[[], Encoder]  # loaded on first use: many diffs have no segment the n-grams are unsure of

    @property
    def categories(self) -> tuple[str, ...]:
        return self.ngrams.categories

    def probabilities_of(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), categories) probabilities: of the text or, for a long one, the highest of its windows, so
        that a practice stated once at the end of a long paragraph is read as well as anywhere else."""
        pieces, owners = [], []
        for owner, text in enumerate(texts):
            for piece in windows(text) or [text]:
                pieces.append(piece)
                owners.append(owner)
        probabilities = np.zeros((len(texts), len(self.categories)), dtype=np.float32)
        np.maximum.at(probabilities, owners, self._read(pieces))
        return probabilities

    def _read(self, texts: Sequence[str]) -> np.ndarray:
        probabilities = self.ngrams.probabilities(texts)
        rows = np.flatnonzero(unsure(probabilities))
        if len(rows):
            encoded = self.encoder().probabilities([texts[i] for i in rows])
            probabilities[rows] = (probabilities[rows] + encoded) / 2
        return probabilities

    def probabilities(self, text: str) -> dict[str, float]:
        return dict(zip(self.categories, self.probabilities_of([text])[0].tolist(), strict=True))

    def categorize_all(self, texts: Sequence[str]) -> list[tuple[str, ...]]:
        return [tuple(c for c, p in zip(self.categories, row, strict=True) if p >= THRESHOLD)
                for row in self.probabilities_of(texts).tolist()]  # fmt: skip


@functools.lru_cache(maxsize=4096)  # the same paragraphs come back in every diff of a document
def categorize(text: str) -> tuple[str, ...]:
    """The categories of a segment according to the shipped model."""
    return load_model().categorize_all([text])[0]


def categorize_all(texts: Sequence[str]) -> list[tuple[str, ...]]:
    """The categories of many segments: ~15% faster than one call per segment (fewer calls into both models)."""
    return load_model().categorize_all(texts)


@functools.cache
def load_model() -> SegmentModel:
    ngrams = load_ngrams()
    assert ngrams.categories == CATEGORIES, "ngrams.npz was trained for other categories: rebuild it"
    return SegmentModel(ngrams, load_encoder)
