"""The shipped segment classifier: its two halves agree on the categories, and batching changes no answer."""

from __future__ import annotations

from watcher.classify import categorize, categorize_all
from watcher.classify.encoder import load_encoder
from watcher.classify.model import WINDOW_WORDS, load_model, windows
from watcher.classify.ngrams import load_ngrams
from watcher.models import CATEGORIES

SEGMENTS = [
    "We keep your messages for 90 days and then delete them.",
    "You can ask us for a copy of your data, or ask us to correct or delete it.",
    "We share your e-mail address with advertising partners.",
    "Our services are not directed to children under 13.",
    "We will post any changes to this policy on this page.",
    "Welcome to Acme!",
    "",
]


def test_both_halves_and_the_taxonomy_name_the_same_categories_in_the_same_order():
    assert load_ngrams().categories == load_encoder().categories == CATEGORIES


def test_many_at_once_equals_one_at_a_time():
    assert categorize_all(SEGMENTS) == [categorize(text) for text in SEGMENTS]
    assert categorize_all([]) == []


def test_the_encoder_reads_a_segment_the_same_whatever_is_read_beside_it():
    encoder = load_encoder()
    together = encoder.probabilities(SEGMENTS)
    for row, text in enumerate(SEGMENTS):
        assert (encoder.probabilities([text])[0] == together[row]).all(), text


def test_a_segment_without_words_has_no_category():
    assert categorize("") == () and categorize("   \n") == ()


def test_a_very_long_segment_is_read_in_windows():
    text = "We keep your messages for 90 days. " * 2000
    assert "retention" in categorize(text)
    assert load_model().probabilities_of([text]).shape == (1, len(CATEGORIES))


COLLECTION = (
    "When you create an account we collect your name, e-mail address and phone number, and while you use the "
    "service we record the pages you open, the features you use, your device, your browser and an approximate "
    "location derived from your IP address. We use this information to run and improve the service, to answer "
    "your questions and to keep accounts secure. "
)
RETENTION = "We keep this information for five years after you close your account and then delete it."


def test_a_short_text_is_read_whole_and_a_long_one_in_windows_of_whole_sentences():
    assert windows(RETENTION) == [] and windows(COLLECTION) == []
    text = COLLECTION * 3 + RETENTION
    runs = windows(text)
    assert len(runs) > 1 and " ".join(runs) == " ".join(text.split())
    assert all(len(run.split()) <= WINDOW_WORDS for run in runs)
    assert runs[-1].endswith(RETENTION)


def test_a_sentence_longer_than_a_window_is_one_window():
    sentence = " ".join(["data"] * (WINDOW_WORDS + 10)) + "."
    assert windows(f"{sentence} {RETENTION}") == [sentence, RETENTION]


def test_a_practice_stated_once_at_the_end_of_a_long_paragraph_is_read():
    for paragraph in (COLLECTION + RETENTION, COLLECTION * 6 + RETENTION, RETENTION + " " + COLLECTION * 6):
        assert {"collection", "retention"} <= set(categorize(paragraph)), paragraph
