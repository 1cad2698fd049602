"""Speed of `watcher compare` (two versions of a ~40 KB policy, wall time including start-up) and of
`watcher classify` (segments per second, one process held to one core with taskset where there is one), on the
Open Terms Archive corpus.

    python bench/classify_speed.py [--corpus ../shared/corpus/ota] [--runs 5]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "ota"
WATCHER = [sys.executable, "-m", "watcher"]
ONE_CORE = ["taskset", "--cpu-list", "0"] if shutil.which("taskset") else []


def policy_pair(corpus: Path, size: int = 40_000) -> tuple[Path, Path]:
    """Two consecutive, different versions whose size is closest to `size` bytes."""
    best: tuple[int, Path, Path] | None = None
    for service in sorted(p for p in corpus.iterdir() if p.is_dir()):
        files = sorted(service.glob("*.md"))
        for old, new in itertools.pairwise(files):
            distance = abs(old.stat().st_size - size)
            if (best is None or distance < best[0]) and old.read_bytes() != new.read_bytes():
                best = (distance, old, new)
    assert best is not None, "no version pair in the corpus"
    return best[1], best[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

    old, new = policy_pair(args.corpus)
    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        subprocess.run([*WATCHER, "compare", str(old), str(new), "--json"], check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    print(
        f"watcher compare {old.parent.name}/{old.name} ({old.stat().st_size / 1000:.0f} KB) -> {new.name}: "
        f"median {statistics.median(times):.2f} s, best {min(times):.2f} s over {args.runs} runs (goal < 1 s)"
    )

    sys.path.insert(0, str(ROOT / "training"))
    from segments import sample

    segments = [s.text for _, s in zip(range(2000), sample(args.corpus), strict=False)]
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as lines:
        for number, text in enumerate(segments):
            lines.write(json.dumps({"id": number, "text": text}) + "\n")
    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        with open(lines.name) as stdin:
            subprocess.run([*ONE_CORE, *WATCHER, "classify", "--json"], stdin=stdin, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    os.unlink(lines.name)
    words = statistics.mean(len(s.split()) for s in segments)
    rates = sorted(len(segments) / elapsed for elapsed in times)
    print(
        f"watcher classify{' on one core' if ONE_CORE else ''}: {len(segments)} segments (mean {words:.0f} words)"
        f" including start-up: median {statistics.median(rates):.0f} segments/s, range {rates[0]:.0f}-{rates[-1]:.0f}"
        f" over {args.runs} runs (goal >= 200)"
    )


if __name__ == "__main__":
    main()
