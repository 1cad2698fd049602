"""Time normalize_html on the seed policies wrapped in site chrome (~50 KB pages) against BeautifulSoup's get_text.

    .venv/bin/python bench/normalize_speed.py [--shared ../shared] [--kb 50] [--repeat 7]

The seeds are read from SHARED/seeds (default: the shared/ folder beside the checkout). Prints figures only.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bs4 import BeautifulSoup
from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the test suite's fixture sites build the pages

from test_normalize import SHAPES, chrome_page  # noqa: E402

from watcher.models import PolicyText  # noqa: E402
from watcher.normalize import normalize_html, normalize_plain  # noqa: E402


def padded_page(policy: PolicyText, shape: str, kb: int) -> str:
    """The policy repeated until the page is at least `kb` kilobytes, like a long real policy."""
    copies = 1
    page = chrome_page(shape, policy)
    while len(page.encode()) < kb * 1000:
        copies += 1
        page = chrome_page(shape, PolicyText(blocks=policy.blocks * copies))
    return page


def bs4_text(page: str) -> str:
    return BeautifulSoup(page, "lxml").get_text()


def lxml_text(page: str) -> str:
    return "".join(map(str, etree.HTML(page).itertext()))


def ms_per_call(function: Callable[[], object], repeat: int) -> float:
    """Best of `repeat` timings, each the mean of a few calls (after one warm-up call): the least disturbed."""
    function()
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(5):
            function()
        timings.append((time.perf_counter() - start) / 5 * 1000)
    return min(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared", help="the shared/ data folder")
    parser.add_argument("--kb", type=int, default=50, help="minimum page size in kilobytes (default 50)")
    parser.add_argument("--repeat", type=int, default=7, help="timings per page (default 7)")
    args = parser.parse_args()
    seeds = sorted((args.shared / "seeds").glob("*.txt"))
    if not seeds:
        sys.exit(f"no seeds in {args.shared / 'seeds'}: pass --shared PATH")

    print(f"{'seed':<28} {'shape':<10} {'KB':>5} {'normalize_html':>15} {'bs4 get_text':>13} {'lxml text':>10}")
    ours, theirs = [], []
    for seed in seeds:
        policy = normalize_plain(seed.read_text(encoding="utf-8"))
        for shape in SHAPES:
            page = padded_page(policy, shape, args.kb)
            normalize_ms = ms_per_call(functools.partial(normalize_html, page), args.repeat)
            bs4_ms = ms_per_call(functools.partial(bs4_text, page), args.repeat)
            lxml_ms = ms_per_call(functools.partial(lxml_text, page), args.repeat)
            ours.append(normalize_ms)
            theirs.append(bs4_ms)
            print(
                f"{seed.name:<28} {shape:<10} {len(page.encode()) / 1000:>5.1f} {normalize_ms:>12.2f} ms"
                f" {bs4_ms:>10.2f} ms {lxml_ms:>7.2f} ms"
            )
    print(
        f"mean: normalize_html {statistics.mean(ours):.2f} ms/page, "
        f"BeautifulSoup get_text {statistics.mean(theirs):.2f} ms/page"
    )


if __name__ == "__main__":
    main()
