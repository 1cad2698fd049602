"""Time every page type of the history browser on a large synthetic history (default 100 vendors x 100 versions).

    .venv/bin/python bench/web_speed.py [--vendors 100] [--versions 100] [--db PATH] [--requests 40]

Builds the database with the Store (synthetic policies of ~3-5 KB written here, each version a small edit of the
last), serves it with uvicorn on 127.0.0.1, and times real HTTP requests. Prints p50/p95/max per page type, and
the CPU time per request (what it costs apart from other load on the machine); no asserts. --db keeps the
database there (and reuses it when it already exists).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the test suite's uvicorn-in-a-thread helper serves the app

from webserver import WebServer  # noqa: E402

from watcher.models import (  # noqa: E402
    Assessment,
    Block,
    BlockKind,
    Fetched,
    Finding,
    Outcome,
    PolicyText,
    Severity,
    Target,
)
from watcher.store import Store  # noqa: E402
from watcher.web import create_app  # noqa: E402

START = datetime(2024, 1, 1, tzinfo=UTC)
PROCESSORS = ("Amazon Web Services", "Postmark", "Stripe", "Segment", "Mixpanel", "Zendesk", "Intercom", "Twilio")
PERIODS = ("30 days", "90 days", "six months", "12 months", "24 months", "three years")
SECTIONS = (
    ("Information we collect", "collection"),
    ("How we use information", "collection"),
    ("Sharing with service providers", "sharing"),
    ("How long we keep information", "retention"),
    ("Your rights", "rights"),
    ("Cookies and choices", "choices"),
    ("Security", "security"),
    ("International transfers", "transfers"),
    ("Children", "audiences"),
    ("Contact", "contact"),
)
FILLER = (
    "We handle personal data only for the purposes described in this section and in line with applicable law.",
    "Where we rely on legitimate interests, we weigh them against your rights and freedoms before we proceed.",
    "Questions about this section can be sent to our privacy team, who will answer within one month.",
    "Some features are optional, and the data they need is collected only when you turn them on.",
    "We review these practices every year and whenever we add a product or a new kind of processing.",
)


def policy_text(vendor: str, state: dict[str, object], rng: random.Random) -> str:
    """One version of a vendor's policy (~3-5 KB) from its current `state`."""
    blocks = [Block(BlockKind.HEADING, f"{vendor} Privacy Policy", 1)]
    blocks.append(Block(BlockKind.PARAGRAPH, f"Last updated: {state['updated']:%B %d, %Y}"))
    for title, category in SECTIONS:
        blocks.append(Block(BlockKind.HEADING, title, 2))
        if category == "sharing":
            processors = ", ".join(state["processors"])  # type: ignore[arg-type]
            blocks.append(Block(BlockKind.PARAGRAPH, f"Our current processors are {processors}."))
            if state["sells"]:
                blocks.append(
                    Block(BlockKind.PARAGRAPH, "We may sell your personal information to advertising partners.")
                )
        if category == "retention":
            blocks.append(
                Block(BlockKind.PARAGRAPH, f"When you close your account, we keep your data for {state['kept']}.")
            )
        for sentence in rng.sample(FILLER, 3):
            blocks.append(Block(BlockKind.PARAGRAPH, f"{sentence} This applies to {vendor} customers."))
        if category == "collection":
            blocks += [Block(BlockKind.ITEM, f"{kind}: as described above") for kind in ("Account", "Usage", "Support")]
    return PolicyText(tuple(blocks)).render()


def build(path: Path, vendors: int, versions: int) -> None:
    rng = random.Random(5)
    started = time.perf_counter()
    with Store(path) as store:
        for number in range(vendors):
            vendor = f"Vendor {number:03d}"
            target = Target(vendor, "Privacy Policy", f"https://vendor{number:03d}.example/privacy")
            at = START + timedelta(minutes=number)
            state: dict[str, object] = {
                "updated": at,
                "processors": rng.sample(PROCESSORS, 3),
                "kept": rng.choice(PERIODS),
                "sells": rng.random() < 0.3,
            }
            with store.transaction():
                document = store.document(target, at)
                previous = None
                for index in range(versions):
                    at += timedelta(days=3, hours=rng.randrange(24))
                    state["updated"] = at
                    edit = rng.choice(("processors", "kept", "sells", "date"))
                    if index and edit == "processors":
                        state["processors"] = rng.sample(PROCESSORS, rng.randrange(2, 5))
                    elif index and edit == "kept":
                        state["kept"] = rng.choice(PERIODS)
                    elif index and edit == "sells":
                        state["sells"] = not state["sells"]
                    text = policy_text(vendor, state, rng)
                    html = f"<html><body><main>{text}</main></body></html>".encode()
                    fetched = Fetched(
                        target, Outcome.OK, at, target.url, 200, html, html.decode(), "text/html", "utf-8"
                    )
                    snapshot = store.save_snapshot(fetched)
                    version = store.add_version(document.id, text, seen_at=at, snapshot=snapshot, extractor="bench")
                    store.record_check(document.id, fetched, snapshot=snapshot, version_id=version.id)
                    if rng.random() < 0.05:
                        failed = Fetched(target, Outcome.HTTP_ERROR, at + timedelta(hours=1), target.url, 503)
                        store.record_check(document.id, failed, error="HTTP 503 Service Unavailable after 3 attempts")
                    if previous is not None:
                        severity = {"date": Severity.COSMETIC}.get(edit, Severity.MATERIAL)
                        category = {"processors": "sharing", "kept": "retention", "sells": "sharing"}.get(edit)
                        findings = (Finding(category, severity, f"{category} changed: {edit}"),) if category else ()
                        assessment = Assessment(severity, (category,) if category else (), findings)
                        store.add_change(document.id, previous, version, assessment, at=at, flip=False)
                    previous = version
    print(f"built {vendors} vendors x {versions} versions in {time.perf_counter() - started:.1f} s: {path}")


def timings(client: httpx.Client, paths: list[str]) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds per request. The server runs in this process, so CPU time is what the
    request costs (client included) whatever else the machine is doing; wall-clock is what a user waits."""
    wall, cpu = [], []
    for path in paths:
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        if response.status_code >= 400:
            raise SystemExit(f"{path}: HTTP {response.status_code}")
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vendors", type=int, default=100)
    parser.add_argument("--versions", type=int, default=100)
    parser.add_argument("--requests", type=int, default=40, help="requests per page type")
    parser.add_argument("--db", type=Path, help="keep the database here (reused when it exists)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        path = args.db or Path(scratch) / "bench.db"
        if not path.exists():
            build(path, args.vendors, args.versions)
        with Store(path, readonly=True) as store:
            statuses = store.statuses()
            changes = [c.id for s in statuses for c in store.changes(s.id, limit=5)]
            versions = [v.id for s in statuses[:20] for v in store.versions(s.id)]
            document_ids = [s.id for s in statuses]
        rng = random.Random(7)
        n = args.requests

        def pick(values: list, count: int = n) -> list:
            return [rng.choice(values) for _ in range(count)]

        vendors = sorted({s.vendor for s in statuses})
        pages: dict[str, Callable[[], list[str]]] = {
            "dashboard /": lambda: ["/"] * n,
            "vendor /vendors/{name}": lambda: [f"/vendors/{v}" for v in pick(vendors)],
            "change /changes/{id}": lambda: [f"/changes/{c}" for c in pick(changes)],
            "change side by side": lambda: [f"/changes/{c}?view=side" for c in pick(changes)],
            "version /versions/{id}": lambda: [f"/versions/{v}" for v in pick(versions)],
            "raw /versions/{id}/raw": lambda: [f"/versions/{v}/raw" for v in pick(versions)],
            "as of /documents/{id}/as-of": lambda: [
                f"/documents/{d}/as-of?date=2024-06-01" for d in pick(document_ids)
            ],
            "search, in every version": lambda: ["/search?q=privacy+team"] * n,
            "search, comes and goes": lambda: ["/search?q=sell+your+personal+information"] * n,
            "search, one vendor": lambda: ["/search?q=vendor+042+customers"] * n,
            "search, no match": lambda: ["/search?q=blockchain+ledger"] * n,
            "feed /feed.atom": lambda: ["/feed.atom"] * n,
            "feed per vendor, material": lambda: [f"/feed.atom?vendor={v}&severity=material" for v in pick(vendors)],
            "api /api/search": lambda: ["/api/search?q=privacy+team"] * n,
            "api /api/changes/{id}": lambda: [f"/api/changes/{c}" for c in pick(changes)],
        }
        with WebServer(create_app(path)) as web, httpx.Client(base_url=web.url(""), timeout=30) as client:
            timings(client, ["/", "/search?q=privacy", f"/changes/{changes[0]}"])  # warm-up: templates, caches
            # Wall-clock figures: other work on the machine shows up in them, so say how busy it was.
            print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
            print(f"{'page':34} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'cpu p50':>8}")
            for name, paths in pages.items():
                wall, cpu = timings(client, paths())
                wall.sort()
                p95 = wall[max(0, round(len(wall) * 0.95) - 1)]
                print(
                    f"{name:34} {statistics.median(wall):8.1f} {p95:8.1f} {wall[-1]:8.1f} {statistics.median(cpu):8.1f}"
                )
            print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
