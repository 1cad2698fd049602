"""Classify a change: taxonomy categories, fact extraction and severity."""

from watcher.classify.facts import Fact, compare_facts, extract_facts
from watcher.classify.model import categorize_all
from watcher.classify.severity import assess
from watcher.classify.taxonomy import DEFAULT_WATCHED, categorize

__all__ = ["DEFAULT_WATCHED", "Fact", "assess", "categorize", "categorize_all", "compare_facts", "extract_facts"]
