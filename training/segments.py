"""Policy segments from the Open Terms Archive corpus, by reference: the project keeps labels and where each
segment comes from (service, version file, block number, text hash), never the corpus text itself.

    python training/segments.py [--corpus ../shared/corpus/ota] > /tmp/worklist.jsonl   # text, for labelling
    python training/segments.py --second-pass training/labels/segments-[1-5].jsonl > /tmp/worklist-2.jsonl
    python training/segments.py --resolve training/labels/segments.jsonl                  # labels + text, for training

A segment is one paragraph or list item of a normalized version (what the classifier sees at run time),
with the heading it sits under. Segments are taken from each service's latest version, then from earlier
versions' paragraphs that differ, so the set covers the text that changes too. That first pass took each
policy from its start, so the later sections (retention, security, rights, contact, changes to the policy) of
long policies were under-read: in the latest versions, 68% of the first quarter's segments were labelled and 38%
of the last quarter's. The second pass evens that out (second_pass()).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from watcher.models import BlockKind
from watcher.normalize import ExtractionError, normalize_markdown

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus" / "ota"
MIN_WORDS = 8  # shorter blocks ("Last updated: ...", link lists) carry no practice to label
MAX_PER_SERVICE = 75  # keeps one long policy from dominating the set
SECOND_PASS_FROM = 0.4  # the second pass reads the later 60% of each latest version ...
SECOND_PASS_PER_SERVICE = 40  # ... at most this many segments of it per service, evenly spaced
KEEPING = re.compile(r"\b(?:retain|retention|kept|keep|stored? for|delete|deletion|erase|as long as|period)", re.I)


@dataclass(frozen=True)
class Segment:
    ref: str  # "service/version-file#block"
    sha: str  # sha256 of the text, first 16 hex digits
    section: str
    text: str


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def services(corpus: Path) -> Iterator[tuple[str, list[str]]]:
    """Each service of the corpus by name, with its version files, oldest first."""
    for service in sorted(p.name for p in corpus.iterdir() if p.is_dir()):
        yield service, sorted(p.name for p in (corpus / service).glob("*.md"))


def version_segments(corpus: Path, service: str, version_file: str) -> Iterator[Segment]:
    try:
        policy = normalize_markdown((corpus / service / version_file).read_text(encoding="utf-8"))
    except ExtractionError:  # a few recorded versions are empty pages
        return
    for index, (block, section) in enumerate(zip(policy.blocks, policy.sections(), strict=True)):
        if block.kind is BlockKind.HEADING:
            continue
        if len(block.text.split()) >= MIN_WORDS:
            yield Segment(f"{service}/{version_file}#{index}", text_hash(block.text), section, block.text)


def sample(corpus: Path) -> Iterator[Segment]:
    """Deterministic: the same corpus always gives the same segments in the same order."""
    seen: set[str] = set()
    for service, files in services(corpus):
        taken = 0
        # latest first, then earlier versions from the newest backwards
        for version_file in reversed(files):
            for segment in version_segments(corpus, service, version_file):
                if segment.sha in seen or taken >= MAX_PER_SERVICE:
                    continue
                seen.add(segment.sha)
                taken += 1
                yield segment
            if taken >= MAX_PER_SERVICE:
                break


def second_pass(corpus: Path, labelled: set[str]) -> Iterator[Segment]:
    """The segments of each service's latest version that no label covers yet: those in the later part of the
    policy (from SECOND_PASS_FROM of its length), at most SECOND_PASS_PER_SERVICE per service evenly spaced,
    and every one that speaks of keeping or deleting data (retention is the rarest practice of the first
    pass). Deterministic for a corpus and a set of labelled text hashes."""
    seen = set(labelled)
    for service, files in services(corpus):
        if not files:
            continue
        segments = list(version_segments(corpus, service, files[-1]))
        fresh = []
        for i, segment in enumerate(segments):
            if segment.sha not in seen:
                seen.add(segment.sha)
                fresh.append((i, segment))
        later = [s for i, s in fresh if i >= SECOND_PASS_FROM * max(len(segments) - 1, 1)]
        step = max(len(later) / SECOND_PASS_PER_SERVICE, 1)
        spaced = {later[int(k * step)].sha for k in range(min(len(later), SECOND_PASS_PER_SERVICE))}
        yield from (s for _, s in fresh if s.sha in spaced or KEEPING.search(s.text))


def resolve(corpus: Path, labels: Path) -> Iterator[dict[str, object]]:
    """Labels joined with their text, read from the corpus. Matched by text hash within the version file, so
    that a change of the normalizer's block numbering does not orphan labels; a text that is gone is reported."""
    cache: dict[tuple[str, str], dict[str, Segment]] = {}
    for line in labels.read_text().splitlines():
        if not line.strip():
            continue
        label = json.loads(line)
        service_file, _ = label["ref"].split("#")
        service, version_file = service_file.split("/")
        if (service, version_file) not in cache:
            cache[(service, version_file)] = {s.sha: s for s in version_segments(corpus, service, version_file)}
        segment = cache[(service, version_file)].get(label["sha"])
        if segment is None:
            print(f"skipped {label['ref']}: text not found or changed", file=sys.stderr)
            continue
        yield {**label, "section": segment.section, "text": segment.text}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--resolve", type=Path, help="labels file to join with the corpus text")
    parser.add_argument("--second-pass", type=Path, nargs="+", metavar="LABELS", help="labelled so far")
    args = parser.parse_args()
    if args.resolve:
        rows = resolve(args.corpus, args.resolve)
    elif args.second_pass:
        labelled = {json.loads(line)["sha"] for path in args.second_pass for line in path.read_text().splitlines()}
        rows = (s.__dict__ for s in second_pass(args.corpus, labelled))
    else:
        rows = (s.__dict__ for s in sample(args.corpus))
    for row in rows:
        sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()


def halves(corpus: Path = DEFAULT_CORPUS) -> dict[str, str]:
    """Each service of the corpus in half "A" or "B" (sorted by name, alternately): the held-out split that
    train_encoder.py --cv and evaluate_changes.py --held-out share."""
    return {service: "AB"[k % 2] for k, (service, _) in enumerate(services(corpus))}
