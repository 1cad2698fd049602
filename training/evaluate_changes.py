"""Change-level judgement on the labelled development set: precision and recall of "material", and how
many of a material change's categories are named.

    python training/evaluate_changes.py [--corpus ../shared/corpus/ota] [--show-errors] [--halves] [--held-out]

A pair whose new version kept less than TEXT_KEPT of the old version's words is skipped as a failed check, as in
production (screen.py rejects such a page before it is ever compared); the count of skipped pairs is printed.
With --halves the corpus's services are also split in two (segments.halves: sorted by name, alternately into A
and B) and each half is reported: develop rules on one half, check them on the other. The shipped segment model
was trained on segments of these same services; --held-out judges each half with throwaway models trained
without that half's services (needs the train extra and torch), which estimates how the judgement does on
services it has never seen.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from segments import DEFAULT_CORPUS, halves

from watcher.classify import DEFAULT_WATCHED, assess
from watcher.diff import diff_policies
from watcher.models import Assessment, Severity
from watcher.normalize import ExtractionError, normalize_markdown

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "training" / "labels" / "changes.jsonl"
TEXT_KEPT = 0.35  # a new version with fewer of the old version's words lost the policy: a failed check


@dataclass
class Score:
    """Counts for one set of pairs."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    named: int = 0  # categories of correctly found material changes that the assessment names...
    wanted: int = 0  # ...out of those the labels give
    extra: int = 0  # watched categories named that the labels do not give
    skipped: int = 0  # failed checks: empty captures and pages that lost most of their text
    errors: list[tuple[dict, Assessment]] = field(default_factory=list)
    unnamed: list[tuple[dict, Assessment]] = field(default_factory=list)  # found, but a category not named

    def add(self, label: dict, assessment: Assessment) -> None:
        predicted = assessment.severity is Severity.MATERIAL
        actual = label["material"]
        self.tp += predicted and actual
        self.fp += predicted and not actual
        self.fn += actual and not predicted
        self.tn += not predicted and not actual
        if predicted and actual:
            self.wanted += len(label["categories"])
            self.named += len(set(label["categories"]) & set(assessment.categories))
            self.extra += len((set(assessment.categories) & DEFAULT_WATCHED) - set(label["categories"]))
            if not set(label["categories"]) <= set(assessment.categories):
                self.unnamed.append((label, assessment))
        if predicted != actual:
            self.errors.append((label, assessment))

    def report(self, name: str) -> str:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        coverage = self.named / max(self.wanted, 1)
        return (
            f"{name}: pairs {self.tp + self.fp + self.fn + self.tn} (skipped as failed checks: {self.skipped})  "
            f"material {self.tp + self.fn}  predicted material {self.tp + self.fp}\n"
            f"{name}: material: precision {precision:.3f}  recall {recall:.3f}  "
            f"(tp {self.tp}, fp {self.fp}, fn {self.fn}, tn {self.tn})\n"
            f"{name}: categories of correctly found material changes named: {self.named}/{self.wanted} = {coverage:.3f}"
            f" (and {self.extra} watched categories the labels do not give)"
        )


def use_model_without(services: set[str], corpus: Path) -> None:
    """Swap the shipped segment model for one trained the same way on our labels minus the segments of
    `services`: both halves, the n-grams and the fine-tuned encoder (from train_encoder.py's cache when
    `train_encoder.py --cv` trained it already, else about 15 minutes on 2 cores)."""
    import train
    import train_encoder

    from watcher.classify import model, severity

    texts, labels, groups = train.load(corpus)
    kept, held_out = train_encoder.model_without(services, texts, labels, groups)
    model.load_model = severity.load_model = lambda: held_out
    model.categorize.cache_clear()
    print(f"model trained without {len(services)} services ({len(kept)} of {len(texts)} segments)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument("--halves", action="store_true", help="also report each half of the services")
    parser.add_argument("--held-out", action="store_true", help="judge each half with a model trained without it")
    args = parser.parse_args()
    manifest = json.loads((args.corpus / "manifest.json").read_text())["services"]
    labels = [json.loads(line) for line in args.labels.read_text().splitlines() if line.strip()]
    half_of = halves(args.corpus)
    model_half = ""
    scores = {"total": Score(), "A": Score(), "B": Score()}
    started = time.perf_counter()
    if args.held_out:
        labels.sort(key=lambda label: half_of[label["service"]])
    for label in labels:
        if args.held_out and model_half != half_of[label["service"]]:
            model_half = half_of[label["service"]]
            use_model_without({s for s, h in half_of.items() if h == model_half}, args.corpus)
        counted = (scores["total"], scores[half_of[label["service"]]])
        try:
            old = normalize_markdown((args.corpus / label["service"] / label["old"]).read_text(encoding="utf-8"))
            new = normalize_markdown((args.corpus / label["service"] / label["new"]).read_text(encoding="utf-8"))
        except ExtractionError:
            old = new = None  # an empty capture
        if old is None or new is None or new.word_count < TEXT_KEPT * old.word_count:
            for score in counted:
                score.skipped += 1  # in production a failed check, never compared
            continue
        vendor = manifest.get(label["service"], {}).get("name", "")
        assessment = assess(diff_policies(old, new), vendor=vendor)
        for score in counted:
            score.add(label, assessment)
    elapsed = time.perf_counter() - started
    total = scores["total"]
    print(total.report("all"))
    if args.halves:
        print(scores["A"].report("half A"))
        print(scores["B"].report("half B"))
    print(f"{elapsed:.1f} s for {len(labels)} pairs")
    if args.show_errors:
        for label, assessment in total.errors:
            kind = "missed" if label["material"] else "false alarm"
            print(
                f"\n{kind} (half {half_of[label['service']]}): {label['service']} {label['old']} -> {label['new']} "
                f"labelled {label['severity']} {label['categories']}; "
                f"predicted {assessment.severity.label} {list(assessment.categories)}"
            )
            for finding in assessment.findings[:4]:
                print(f"   - {finding.summary}")
        for label, assessment in total.unnamed:
            missing = sorted(set(label["categories"]) - set(assessment.categories))
            print(
                f"\nnot named (half {half_of[label['service']]}): {', '.join(missing)} in {label['service']} "
                f"{label['old']} -> {label['new']}; labelled {label['categories']}, named {list(assessment.categories)}"
            )


if __name__ == "__main__":
    main()
