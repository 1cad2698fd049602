"""Evaluate the shipped segment classifier on OPP-115 (evaluation only: never trained or tuned on it).

    python training/evaluate_segments.py [--opp115 ../shared/opp115/validation.csv]

Labels are mapped to our taxonomy as in DESIGN.md; F1 per category and the macro average over the nine
categories that have an OPP-115 counterpart (transfers has none). Cite Wilson et al., ACL 2016.
With 95% bootstrap intervals (segments resampled) for macro-F1, rights and retention: a split this size is noisy.

Where we disagree, the script says with what: the OPP-115 categories of our false positives, in aggregate (no
segment is printed).
"""

from __future__ import annotations

import argparse
import csv
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from watcher.classify import categorize_all

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT.parent / "shared" / "opp115" / "validation.csv"
MAPPING = {
    "First Party Collection/Use": "collection",
    "Third Party Sharing/Collection": "sharing",
    "User Access, Edit and Deletion": "rights",
    "User Choice/Control": "choices",
    "Do Not Track": "choices",
    "Data Retention": "retention",
    "Data Security": "security",
    "International and Specific Audiences": "audiences",
    "Policy Change": "policy_change",
    "Privacy contact information": "contact",
}
EVALUATED = ("collection", "sharing", "rights", "choices", "retention", "security", "audiences", "policy_change",
             "contact")  # fmt: skip
RESAMPLES = 2000


def f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def bootstrap_intervals(gold: dict[str, set[str]], predicted: dict[str, set[str]]) -> dict[str, tuple[float, float]]:
    """The 2.5th and 97.5th percentiles of macro-F1 ("macro") and of each category's F1 over RESAMPLES draws of the
    segments with replacement: how far a figure could move on another sample of the same kind (a small split is
    noisy: retention has 14 segments on the validation split)."""
    texts = list(gold)
    truth = np.array([[c in gold[t] for c in EVALUATED] for t in texts])
    guess = np.array([[c in predicted[t] for c in EVALUATED] for t in texts])
    counts = np.random.default_rng(0).multinomial(len(texts), np.full(len(texts), 1 / len(texts)), size=RESAMPLES)
    tp, fp, fn = counts @ (truth & guess), counts @ (~truth & guess), counts @ (truth & ~guess)
    scores = np.where(tp > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0)
    columns = {"macro": scores.mean(axis=1)} | {c: scores[:, k] for k, c in enumerate(EVALUATED)}
    return {name: tuple(float(x) for x in np.percentile(column, [2.5, 97.5])) for name, column in columns.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opp115", type=Path, default=DEFAULT)
    args = parser.parse_args()
    gold: dict[str, set[str]] = defaultdict(set)
    with args.opp115.open(newline="") as file:
        for text, label in csv.reader(file):
            if label in MAPPING:
                gold[text].add(MAPPING[label])
            else:
                gold.setdefault(text, set())
    started = time.perf_counter()
    predicted = {text: set(categories) for text, categories in zip(gold, categorize_all(list(gold)), strict=True)}
    elapsed = time.perf_counter() - started
    print(f"{len(gold)} segments from {args.opp115.name}; {len(gold) / elapsed:.0f} segments/s")
    scores = f1_by_category(gold, predicted)
    print(f"macro-F1 over {len(EVALUATED)} categories: {sum(scores.values()) / len(scores):.3f}")
    intervals = bootstrap_intervals(gold, predicted)
    shown = ", ".join(f"{name} {low:.3f}-{high:.3f}" for name, (low, high) in intervals.items()
                      if name in ("macro", "retention", "rights"))  # fmt: skip
    print(f"95% intervals over {RESAMPLES} resamples of the segments: {shown}")


def f1_by_category(gold: dict[str, set[str]], predicted: dict[str, set[str]]) -> dict[str, float]:
    """F1 of each category of EVALUATED, printed with precision, recall, and the OPP-115 categories of the false
    positives."""
    scores = {}
    for category in EVALUATED:
        tp = sum(category in gold[t] and category in predicted[t] for t in gold)
        false_positives = [t for t in gold if category not in gold[t] and category in predicted[t]]
        fn = sum(category in gold[t] and category not in predicted[t] for t in gold)
        scores[category] = f1(tp, len(false_positives), fn)
        precision, recall = tp / max(tp + len(false_positives), 1), tp / max(tp + fn, 1)
        filed = Counter(c for t in false_positives for c in gold[t] or {"none"}).most_common(3)
        print(
            f"  {category:14} F1 {scores[category]:.3f}  P {precision:.3f}  R {recall:.3f}  (support {tp + fn}; "
            f"false positives {len(false_positives)}, OPP-115 filed them under "
            + (", ".join(f"{c} {n}" for c, n in filed) or "-")
            + ")"
        )
    return scores


if __name__ == "__main__":
    main()
