"""Consecutive-version pairs from the Open Terms Archive corpus, for the change-level development set.

    python training/pairs.py > /tmp/pairs.jsonl   # pairs with their diff, for labelling (text stays out of the repo)

Each pair is referenced by service and the two version files; its label (material or not, categories) lives
in training/labels/changes.jsonl. Pairs whose normalized texts are identical are skipped (no content change).
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
from pathlib import Path

from segments import DEFAULT_CORPUS, services

from watcher.diff import diff_policies
from watcher.normalize import ExtractionError, normalize_markdown

PER_SERVICE = 4
SEED = 115


def pairs(corpus: Path) -> list[tuple[str, str, str]]:
    """(service, old file, new file) for consecutive versions with different normalized text."""
    found = []
    for service, files in services(corpus):
        texts = {}
        for name in files:
            try:
                texts[name] = normalize_markdown((corpus / service / name).read_text(encoding="utf-8")).render()
            except ExtractionError:
                texts[name] = ""
        candidates = [(service, a, b) for a, b in itertools.pairwise(files) if texts[a] != texts[b]]
        random.Random(f"{SEED}:{service}").shuffle(candidates)
        found.extend(sorted(candidates[:PER_SERVICE]))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    for service, old_file, new_file in pairs(args.corpus):
        try:
            old = normalize_markdown((args.corpus / service / old_file).read_text(encoding="utf-8"))
            new = normalize_markdown((args.corpus / service / new_file).read_text(encoding="utf-8"))
        except ExtractionError:
            continue
        change = diff_policies(old, new)
        hunks = [
            {"kind": h.kind.value, "section": h.section, "before": h.before, "after": h.after} for h in change.hunks
        ]
        row = {"service": service, "old": old_file, "new": new_file, "moved": change.moved, "hunks": hunks}
        sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
