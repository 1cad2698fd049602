"""The shipped segment classifier: its two halves agree on the categories, and batching changes no answer."""

from __future__ import annotations

from watcher.classify import categorize, categorize_all
from watcher.classify.encoder import load_encoder
from watcher.classify.model import load_model
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


def test_a_segment_without_words_has_no_category():
    assert categorize("") == () and categorize("   \n") == ()


def test_a_very_long_segment_is_read_up_to_the_encoders_limit():
    text = "We keep your messages for 90 days. " * 2000
    assert "retention" in categorize(text)
    assert load_model().probabilities_of([text]).shape == (1, len(CATEGORIES))
