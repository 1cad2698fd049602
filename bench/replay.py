"""Replay real privacy-policy histories (Open Terms Archive) through the watcher and report what it recorded.

    .venv/bin/python bench/replay.py [--corpus ../shared/corpus/ota] [--services N] [--only NAME ...]
                                     [--chrome-ticks 10] [--top 15] [--keep DIR] [--dump FILE] [--log]

Every version of every service in the corpus (<service>/<timestamp>.md, listed in manifest.json) is rendered
from Markdown to HTML and served from 127.0.0.1 inside site chrome that changes on every tick (navigation,
cookie banner with a nonce, CSRF meta, tracking script, footer date, promo: watcher.demo.site.render_page).
At tick t each service serves its version t (a service with fewer versions keeps serving its last one, which
must record nothing new), and one watcher cycle (run_once) checks every service. The fake clock advances a day
per tick.

Ground truth comes from the corpus itself: a content change is a version whose normalized Markdown differs from
the previous version's; a flip is a content change back to one of the 5 most recent earlier texts (and, as the
manifest says it, `returns_to_earlier`). Then a chrome-only run serves every service's first version on every
tick: it must record no version after the first tick and no alert; the exit status is 1 when it (or the
"nothing new on a repeated version" rule of the replay) is violated.

The corpus path defaults to ../shared/corpus/ota beside the checkout. Nothing is written into the repository:
the databases live in a temporary folder (or --keep DIR). Prints Markdown tables for the README.
"""

from __future__ import annotations

import argparse
import difflib
import functools
import json
import os
import statistics
import sys
import tempfile
import textwrap
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

from markdown_it import MarkdownIt

import watcher.pipeline as pipeline
from watcher.config import AlertPolicy, Config
from watcher.demo.site import render_page
from watcher.fetch import FetchSettings
from watcher.models import Alert, AlertKind, Outcome, PolicyText, Severity, Target
from watcher.normalize import ExtractionError, normalize, normalize_markdown
from watcher.store import RECENT_VERSIONS, Store

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "ota"
DOCUMENT = "Privacy Policy"
BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)


# ============================================================================================== the corpus


@dataclass
class CorpusVersion:
    index: int
    file: str
    date: str
    returns_to_earlier: bool  # the manifest's flip flag (on the raw Markdown)
    html: str  # the Markdown rendered to HTML: the page body
    text: str  # normalize_markdown(...).render(); "" when the Markdown has no text
    html_text: str  # what the watcher's HTML normalizer reads from the served page (chrome of tick 1)
    change: bool = False  # normalized text differs from the previous version's
    flip: bool = False  # a change back to one of the RECENT_VERSIONS most recent earlier texts


@dataclass
class Service:
    slug: str
    name: str
    versions: list[CorpusVersion]

    def version_at(self, tick: int) -> CorpusVersion:
        return self.versions[min(tick, len(self.versions)) - 1]


def load_corpus(corpus: Path, only: list[str], limit: int | None, workers: int) -> list[Service]:
    """Every version rendered to HTML and normalized (in `workers` processes: Markdown rendering is the slow part)."""
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))["services"]
    slugs = sorted(manifest)
    if only:
        unknown = [name for name in only if name not in manifest]
        if unknown:
            raise SystemExit(f"unknown service(s) {', '.join(unknown)}; the corpus has: {', '.join(slugs)}")
        slugs = [s for s in slugs if s in only]
    if limit is not None:
        slugs = slugs[:limit]
    jobs = [(corpus / slug, [item["file"] for item in manifest[slug]["versions"]]) for slug in slugs]
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(workers) as pool:
            prepared = list(pool.map(_prepare, *zip(*jobs, strict=True)))
    else:
        prepared = [_prepare(folder, files) for folder, files in jobs]
    services = []
    for slug, pages in zip(slugs, prepared, strict=True):
        entry = manifest[slug]
        versions = [
            CorpusVersion(index, item["file"], item["date"], bool(item["returns_to_earlier"]), html, text, html_text)
            for index, (item, (html, text, html_text)) in enumerate(zip(entry["versions"], pages, strict=True))
        ]
        mark_changes(versions)
        services.append(Service(slug, entry["name"], versions))
    return services


def _prepare(folder: Path, files: list[str]) -> list[tuple[str, str, str]]:
    """(HTML body, normalized Markdown, normalized HTML page) of each version file."""
    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    md.validateLink = lambda url: True  # the pages these were made from had javascript: links too
    out = []
    for name in files:
        source = (folder / name).read_text(encoding="utf-8")
        body = md.render(source)
        out.append((body, _canonical(normalize_markdown, source), _canonical(normalize, _page(body))))
    return out


def _page(body: str) -> str:
    return render_page("Example", body, 1, base_time=BASE_TIME)


def _canonical(read: Callable[[str], PolicyText], source: str) -> str:
    try:
        return read(source).render()
    except ExtractionError:
        return ""


def mark_changes(versions: list[CorpusVersion]) -> None:
    """Content changes and flips after normalization; recency as the store keeps it (by last seen)."""
    recent: dict[str, int] = {}  # text -> index of the version it was last seen at
    for version in versions:
        previous = versions[version.index - 1] if version.index else None
        if previous is not None and version.text != previous.text:
            version.change = True
            latest = sorted(recent, key=recent.__getitem__, reverse=True)[:RECENT_VERSIONS]
            version.flip = version.text in latest
        recent[version.text] = version.index


# ============================================================================================== the site


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # the client closed a kept-alive connection
            super().handle_error(request, client_address)


class ReplaySite:
    """Serves /<slug>/privacy: the service's version for the current tick, in chrome that changes each tick."""

    def __init__(self, services: list[Service]) -> None:
        self.tick = 1
        self.chrome_only = False  # serve every service's first version, whatever the tick
        self.render_ms: list[float] = []
        by_path = {f"/{quote(s.slug)}/privacy": s for s in services}
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                if self.path == "/robots.txt":
                    return self._reply(b"User-agent: *\nDisallow: /admin/\n", "text/plain")
                service = by_path.get(self.path)
                if service is None:
                    return self._reply(b"not found", "text/plain", 404)
                started = time.perf_counter()
                version = service.versions[0] if site.chrome_only else service.version_at(site.tick)
                page = render_page(service.name, version.html, site.tick, base_time=BASE_TIME).encode()
                site.render_ms.append((time.perf_counter() - started) * 1000)
                return self._reply(page, "text/html; charset=utf-8")

            def _reply(self, body: bytes, content_type: str, status: int = 200) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, service: Service) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{quote(service.slug)}/privacy"

    def __enter__(self) -> ReplaySite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


# ========================================================================================= the watcher side


@dataclass
class CountingReporter:
    """Collects every alert with the tick it was delivered on (alerts are delivered at the end of each run)."""

    tick: int = 0
    alerts: list[tuple[int, Alert]] = field(default_factory=list)

    def send(self, alert: Alert) -> None:
        self.alerts.append((self.tick, alert))


@dataclass
class Observation:
    """What the watcher did with one service at one tick."""

    service: Service
    tick: int
    outcome: str  # "first", "unchanged", "new version", "flip", "returned", "failed: <outcome>"
    detail: str
    alerted: bool = False
    severity: Severity | None = None

    @property
    def version(self) -> CorpusVersion:
        return self.service.version_at(self.tick)

    @property
    def repeated(self) -> bool:
        """The service serves the same corpus version as on the tick before (it has run out of versions)."""
        return self.tick > len(self.service.versions)


def _measured(function: Callable[..., Any], record: Callable[[float], object]) -> Callable[..., Any]:
    """`function`, reporting the milliseconds of each call to `record`."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            record((time.perf_counter() - started) * 1000)

    return wrapper


class StageTimer:
    """Wall time of the pipeline's stages, measured by wrapping the names watcher.pipeline calls (bench only)."""

    STAGES = ("normalize", "screen", "parse", "diff_policies", "assess")

    def __init__(self) -> None:
        self.ms: dict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self.process_ms: list[float] = []

    @contextmanager
    def installed(self) -> Iterator[None]:
        # Names the pipeline no longer uses are left alone (it is being worked on; the timings are best effort).
        originals = {name: getattr(pipeline, name) for name in (*self.STAGES, "process") if hasattr(pipeline, name)}
        try:
            for name in self.STAGES:
                if name in originals:
                    setattr(pipeline, name, self._timed(name, originals[name]))
            setattr(pipeline, "process", self._process(originals["process"]))  # noqa: B010
            yield
        finally:
            for name, original in originals.items():
                setattr(pipeline, name, original)

    def _timed(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def record(ms: float) -> None:
            self.ms[name] += ms
            self.calls[name] += 1

        return _measured(function, record)

    def _process(self, function: Callable[..., Any]) -> Callable[..., Any]:
        return _measured(function, self.process_ms.append)


@dataclass
class RunResult:
    observations: list[Observation]
    alerts: list[tuple[int, Alert]]
    versions: dict[str, int]  # service slug -> versions stored
    changes: dict[str, list[Any]]  # service slug -> stored changes
    seconds: float
    tick_seconds: list[float]
    timer: StageTimer


def replay(services: list[Service], folder: Path, ticks: int, *, chrome_only: bool, log: bool) -> RunResult:
    """Run the watcher once per tick over the services served by a ReplaySite; collect what it did."""
    storage = folder / ("chrome-only.db" if chrome_only else "replay.db")
    storage.unlink(missing_ok=True)
    reporter = CountingReporter()
    timer = StageTimer()
    observations: list[Observation] = []
    tick_seconds: list[float] = []
    with ReplaySite(services) as site:
        site.chrome_only = chrome_only
        by_name = {s.name: s for s in services}
        config = Config(
            path=folder / "replay-config.yaml",
            storage=storage,
            fetch=FetchSettings(per_host_delay=0.0, retries=0, timeout=10.0, allow_private_networks=True),
            slack=None,
            alerts=AlertPolicy(),
            targets=tuple(Target(s.name, DOCUMENT, site.url(s)) for s in services),
        )
        counts: dict[str, int] = dict.fromkeys(by_name, 0)
        started = time.perf_counter()
        with timer.installed():
            for tick in range(1, ticks + 1):
                site.tick = reporter.tick = tick
                results = []
                tick_started = time.perf_counter()
                pipeline.run_once(
                    config,
                    reporter=reporter,
                    now=lambda tick=tick: BASE_TIME + timedelta(days=tick),
                    on_result=results.append,
                )
                tick_seconds.append(time.perf_counter() - tick_started)
                with Store(storage, readonly=True) as store:
                    now_counts = {s.vendor: s.versions for s in store.statuses()}
                for result in results:
                    name = result.target.vendor
                    grew = now_counts.get(name, 0) > counts[name]
                    observation = Observation(
                        by_name[name],
                        tick,
                        _outcome(result, grew),
                        result.detail,
                        result.alerted,
                        result.severity,
                    )
                    observations.append(observation)
                    if log and observation.outcome != "unchanged":
                        print(f"  tick {tick:2} {name}: {observation.outcome}: {result.detail}", file=sys.stderr)
                counts.update(now_counts)
        seconds = time.perf_counter() - started
    with Store(storage, readonly=True) as store:
        changes = {}
        for service in services:
            ids = store.document_ids(service.name)
            changes[service.slug] = store.changes(ids[0][0]) if ids else []
    versions = {s.slug: counts[s.name] for s in services}
    return RunResult(observations, reporter.alerts, versions, changes, seconds, tick_seconds, timer)


def _outcome(result: pipeline.DocumentResult, grew: bool) -> str:
    if not result.outcome.is_success:
        return f"failed: {result.outcome.value}"
    if result.outcome is Outcome.NOT_MODIFIED or result.detail == "unchanged":
        return "unchanged"
    if result.detail.startswith("first version"):
        return "first"
    if result.detail.startswith("flip"):
        return "flip"
    return "new version" if grew else "returned"


# ================================================================================================ reporting


def table(headers: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table; the first column left-aligned, the others right-aligned when they hold numbers."""
    cells = [[str(c) for c in row] for row in rows]
    numeric = [all(_is_number(row[i]) for row in cells) if cells else False for i in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |"]
    lines.append("|" + "|".join("---:" if numeric[i] else "---" for i in range(len(headers))) + "|")
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in cells]
    return "\n".join(lines)


def _is_number(cell: str) -> bool:
    return cell.replace(".", "", 1).replace(",", "").replace(" ms", "").replace(" s", "").strip().isdigit()


def _alert_summary(alert: Alert, width: int = 160) -> str:
    findings = alert.assessment.findings
    if not findings:
        return "(no findings)"
    first = textwrap.shorten(findings[0].summary, width, placeholder="…")
    return first + (f" (+{len(findings) - 1} more)" if len(findings) > 1 else "")


def changed_words(before: str, after: str, width: int = 150) -> str:
    """The words that differ, as [-old-] {+new+}, with a little context: what an alert is about, in one line."""
    old, new = before.split(), after.split()
    parts = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op != "equal":
            removed = f"[-{' '.join(old[i1:i2])}-]" if i2 > i1 else ""
            added = f"{{+{' '.join(new[j1:j2])}+}}" if j2 > j1 else ""
            context = " ".join(old[max(0, i1 - 3) : i1])
            parts.append(f"…{context} {removed}{added}" if context else f"{removed}{added}")
    if not parts:
        return "(no difference in the excerpts)" if before and after else "(added)" if after else "(removed)"
    return textwrap.shorten(" ".join(parts), width, placeholder="…")


def severity_of(alert: Alert) -> str:
    return alert.assessment.severity.label


def report_replay(services: list[Service], run: RunResult, top: int) -> list[str]:
    """Prints the replay's tables; returns the violations of the "nothing new on a repeated version" rule."""
    versions = [v for s in services for v in s.versions]
    changes_in_corpus = sum(v.change for v in versions)
    distinct = sum(len({v.text for v in s.versions}) for s in services)
    by_key = {(o.service.slug, o.tick): o for o in run.observations}
    in_corpus = [o for o in run.observations if not o.repeated]
    outcomes = Counter(o.outcome for o in in_corpus)
    failed = Counter(o.outcome.removeprefix("failed: ") for o in in_corpus if o.outcome.startswith("failed"))

    change_alerts = [(t, a) for t, a in run.alerts if a.kind is AlertKind.CHANGE]
    health_alerts = Counter(a.kind.value for _, a in run.alerts if a.kind is not AlertKind.CHANGE)
    by_severity = Counter(severity_of(a) for _, a in change_alerts)
    slug_of = {s.name: s.slug for s in services}

    def version_of(tick: int, alert: Alert) -> CorpusVersion | None:
        observation = by_key.get((slug_of[alert.vendor], tick))
        return observation.version if observation and not observation.repeated else None

    on_flips = sum(1 for t, a in change_alerts if (v := version_of(t, a)) and v.flip)
    on_manifest_flips = sum(1 for t, a in change_alerts if (v := version_of(t, a)) and v.returns_to_earlier)
    on_no_change = sum(1 for t, a in change_alerts if (v := version_of(t, a)) and not v.change)
    stored_changes = [c for cs in run.changes.values() for c in cs]
    assessed = Counter(c.assessment.severity.label for c in stored_changes if not c.flip)
    per_doc = run.timer.process_ms
    fetches = len(run.observations)

    rows: list[list[Any]] = [
        ["services", len(services)],
        ["ticks (one watcher run each)", max(len(s.versions) for s in services)],
        ["versions in corpus", len(versions)],
        ["content changes in corpus (after normalization)", changes_in_corpus],
        ["distinct normalized texts in corpus", distinct],
        ["flips in corpus (manifest `returns_to_earlier`)", sum(v.returns_to_earlier for v in versions)],
        [
            f"flips in corpus (normalized text = one of the {RECENT_VERSIONS} recent texts)",
            sum(v.flip for v in versions),
        ],
        ["versions recorded by the watcher", sum(run.versions.values())],
        ["changes recorded by the watcher", len(stored_changes)],
        ["… of which flips (no alert)", sum(c.flip for c in stored_changes)],
        [
            "… others assessed material / minor / cosmetic / none",
            " / ".join(str(assessed.get(level, 0)) for level in ("material", "minor", "cosmetic", "none")),
        ],
        ["alerts: material", by_severity.get("material", 0)],
        ["alerts: minor", by_severity.get("minor", 0)],
        ["alerts: cosmetic", by_severity.get("cosmetic", 0)],
        ["alerts on flips (normalized)", on_flips],
        ["alerts on versions the manifest marks `returns_to_earlier`", on_manifest_flips],
        ["alerts on versions without a content change", on_no_change],
        ["health alerts (failing / recovered)", f"{health_alerts['failing']} / {health_alerts['recovered']}"],
        ["failed checks (corpus versions)", sum(failed.values())],
        *[[f"… {name}", count] for name, count in sorted(failed.items())],
        ["fetches (services × ticks)", fetches],
        ["wall time", f"{run.seconds:.1f} s"],
        ["per document check (wall time / checks)", f"{run.seconds * 1000 / max(fetches, 1):.1f} ms"],
        ["process() per document, median / p95", f"{_ms(per_doc, 50)} / {_ms(per_doc, 95)}"],
    ]
    print("## Replay of the Open Terms Archive histories\n")
    print(table(["", "count"], rows))

    print("\n### What the watcher did with each corpus version\n")
    kinds = ["first", "unchanged", "new version", "returned", "flip", *sorted(k for k in outcomes if "failed" in k)]
    events = {
        "first version": lambda v: v.index == 0,
        "same text as before": lambda v: v.index > 0 and not v.change,
        "content change": lambda v: v.change and not v.flip,
        "content change, flip": lambda v: v.flip,
    }
    cross = []
    for label, test in events.items():
        chosen = [o for o in in_corpus if test(o.version)]
        counted = Counter(o.outcome for o in chosen)
        alerts = sum(o.alerted for o in chosen)
        cross.append([label, len(chosen), *[counted.get(k, 0) for k in kinds], alerts])
    print(table(["corpus version", "n", *kinds, "alerted"], cross))

    print("\n### Failed checks\n")
    failures: dict[tuple[str, str], list[Observation]] = defaultdict(list)
    for o in run.observations:
        if o.outcome.startswith("failed"):
            failures[o.service.slug, o.outcome.removeprefix("failed: ")].append(o)
    failure_rows = [
        [
            slug,
            outcome,
            ", ".join(str(o.tick) + ("*" if o.repeated else "") for o in found),
            textwrap.shorten(found[-1].detail, 110, placeholder="…"),
        ]
        for (slug, outcome), found in sorted(failures.items())
    ]
    print(table(["service", "outcome", "ticks (* = repeated last version)", "last reason"], failure_rows))

    print("\n### Stage timings (whole replay)\n")
    timer = run.timer
    runs = sum(run.tick_seconds) * 1000
    staged = sum(timer.ms[n] for n in StageTimer.STAGES)
    stage_rows: list[list[Any]] = [
        ["run_once, all ticks", len(run.tick_seconds), f"{runs:.0f} ms"],
        ["… process() per document", len(per_doc), f"{sum(per_doc):.0f} ms"],
        *[[f"… … {n}", timer.calls[n], f"{timer.ms[n]:.0f} ms"] for n in StageTimer.STAGES],
        ["… … store (sqlite, snapshots, FTS) and the rest", "", f"{sum(per_doc) - staged:.0f} ms"],
        ["… fetching, HTTP server, opening the store, delivery", "", f"{runs - sum(per_doc):.0f} ms"],
    ]
    print(table(["stage", "calls", "time"], stage_rows))

    print(f"\n### {top} smallest change alerts, one per service (where false alarms hide)\n")
    ranked = sorted(change_alerts, key=lambda ta: (len(ta[1].assessment.findings), ta[0], ta[1].vendor))
    chosen, seen = [], set()
    for tick, alert in ranked:
        if alert.vendor not in seen and len(chosen) < top:
            seen.add(alert.vendor)
            chosen.append((tick, alert))
    alert_rows = []
    for tick, alert in sorted(chosen, key=lambda ta: (slug_of[ta[1].vendor], ta[0])):
        version = version_of(tick, alert)
        first = alert.assessment.findings[0] if alert.assessment.findings else None
        alert_rows.append(
            [
                slug_of[alert.vendor],
                tick,
                ", ".join(alert.assessment.categories) or "-",
                len(alert.assessment.findings),
                "flip" if version and version.flip else "-",
                textwrap.shorten(first.summary, 90, placeholder="…") if first else "-",
                changed_words(first.before, first.after) if first else "-",
            ]
        )
    headers = ["service", "tick", "categories", "findings", "flip", "first finding", "what changed (words)"]
    print(table(headers, alert_rows))
    print(f"\n(All {len(change_alerts)} alerts with their findings: --dump FILE.)")

    print("\n### Services with the most recorded changes\n")
    alerts_by_service = Counter(slug_of[a.vendor] for _, a in change_alerts)
    busiest = sorted(services, key=lambda s: (-len(run.changes[s.slug]), s.slug))[:10]
    busy_rows = []
    for s in busiest:
        obs = [o for o in in_corpus if o.service is s]
        busy_rows.append(
            [
                s.slug,
                len(s.versions),
                sum(v.change for v in s.versions),
                sum(v.flip for v in s.versions),
                run.versions[s.slug],
                len(run.changes[s.slug]),
                sum(c.flip for c in run.changes[s.slug]),
                sum(o.outcome.startswith("failed") for o in obs),
                alerts_by_service[s.slug],
            ]
        )
    headers = ["service", "versions", "content changes", "flips", "recorded", "changes", "flips", "failed", "alerts"]
    print(table(headers, busy_rows))

    violations = [
        f"{o.service.slug} tick {o.tick} (repeats {o.version.file}): {o.outcome}: {o.detail}"
        for o in run.observations
        if o.repeated and ((o.outcome not in ("unchanged",) and not o.outcome.startswith("failed")) or o.alerted)
    ]
    return violations


def _ms(values: list[float], percentile: int) -> str:
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.1f} ms"
    return f"{statistics.quantiles(values, n=100)[percentile - 1] if percentile < 100 else max(values):.1f} ms"


def report_chrome_only(services: list[Service], run: RunResult, ticks: int) -> list[str]:
    """Prints the chrome-only result; returns its violations (empty when it passed)."""
    first_tick = {o.service.slug: o for o in run.observations if o.tick == 1}
    later = [o for o in run.observations if o.tick > 1]
    new_later = [o for o in later if o.outcome in ("first", "new version", "returned", "flip")]
    change_alerts = [(t, a) for t, a in run.alerts if a.kind is AlertKind.CHANGE]
    # A first version that is itself an error page fails on every tick: its health alert is right.
    healthy_first = {s.name for s in services if first_tick[s.slug].outcome == "first"}
    wrong_health = [(t, a) for t, a in run.alerts if a.kind is not AlertKind.CHANGE and a.vendor in healthy_first]
    failing_first = sorted(s.slug for s in services if first_tick[s.slug].outcome != "first")
    print(f"\n## Chrome-only run: each service's first version on every tick, chrome changing ({ticks} ticks)\n")
    rows = [
        ["services", len(services)],
        ["versions recorded on tick 1", sum(o.outcome == "first" for o in first_tick.values())],
        ["versions or changes recorded after tick 1 (must be 0)", len(new_later)],
        ["change alerts (must be 0)", len(change_alerts)],
        ["health alerts on services whose first version was recorded (must be 0)", len(wrong_health)],
        ["services whose first version fails the check", ", ".join(failing_first) or "none"],
        ["wall time", f"{run.seconds:.1f} s"],
    ]
    print(table(["", "count"], rows))
    violations = [f"{o.service.slug} tick {o.tick}: {o.outcome}: {o.detail}" for o in new_later]
    violations += [f"{a.vendor} tick {t}: change alert: {_alert_summary(a)}" for t, a in change_alerts]
    violations += [f"{a.vendor} tick {t}: {a.kind.value} alert: {a.reason}" for t, a in wrong_health]
    print()
    if violations:
        print(f"**Chrome-only: FAIL** ({len(violations)} violations: chrome changes were recorded or alerted)")
    else:
        print("**Chrome-only: PASS** (0 new versions after the first tick, 0 alerts)")
    for violation in violations:
        print(f"CHROME-ONLY VIOLATION: {violation}")
    return violations


def check_extraction(services: list[Service]) -> None:
    """The watcher reads the HTML pages, the ground truth reads the Markdown: how often do the two disagree?"""
    differ = [f"{s.slug}/{v.file}" for s in services for v in s.versions if v.html_text != v.text]
    changes = {
        "Markdown": sum(v.change for s in services for v in s.versions),
        "HTML": sum(
            v.index > 0 and v.html_text != s.versions[v.index - 1].html_text for s in services for v in s.versions
        ),
    }
    share = f"{len(differ)} of {sum(len(s.versions) for s in services)}"
    print(f"\nHTML page vs. Markdown normalization: {share} versions give a different canonical text", end="")
    print(f" (e.g. {', '.join(differ[:3])})" if differ else "", end="")
    print(f"; content changes seen through the HTML normalizer: {changes['HTML']} (Markdown: {changes['Markdown']}).")


def dump(run: RunResult, path: Path) -> None:
    """One JSON object per (service, tick): the corpus version, what the watcher did, and its alerts."""
    alerts: dict[tuple[str, int], list[Alert]] = defaultdict(list)
    for tick, alert in run.alerts:
        alerts[alert.vendor, tick].append(alert)
    with path.open("w", encoding="utf-8") as out:
        for o in run.observations:
            v = o.version
            record = {
                "service": o.service.slug,
                "tick": o.tick,
                "file": v.file,
                "repeated": o.repeated,
                "corpus_change": v.change,
                "corpus_flip": v.flip,
                "returns_to_earlier": v.returns_to_earlier,
                "outcome": o.outcome,
                "detail": o.detail,
                "alerts": [
                    {
                        "kind": a.kind.value,
                        "severity": severity_of(a),
                        "categories": list(a.assessment.categories),
                        "reason": a.reason,
                        "findings": [
                            {
                                "category": f.category,
                                "severity": f.severity.label,
                                "summary": f.summary,
                                "before": f.before,
                                "after": f.after,
                            }
                            for f in a.assessment.findings
                        ],
                    }
                    for a in alerts.get((o.service.name, o.tick), [])
                ],
            }
            out.write(json.dumps(record) + "\n")


# ===================================================================================================== main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help=f"default: {DEFAULT_CORPUS}")
    parser.add_argument("--services", type=int, default=None, help="the first N services (by name) only")
    parser.add_argument("--only", action="append", default=[], metavar="NAME", help="this service only (repeatable)")
    parser.add_argument("--chrome-ticks", type=int, default=10, help="ticks of the chrome-only run (default 10)")
    parser.add_argument("--top", type=int, default=15, help="change alerts to list (default 15)")
    parser.add_argument("--keep", type=Path, default=None, metavar="DIR", help="keep the databases in DIR")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes that load the corpus")
    parser.add_argument("--log", action="store_true", help="print every non-unchanged result to stderr")
    parser.add_argument("--dump", type=Path, default=None, metavar="FILE", help="write every result as JSON Lines")
    args = parser.parse_args(argv)

    if not (args.corpus / "manifest.json").is_file():
        print(f"no corpus at {args.corpus} (manifest.json missing); pass --corpus PATH", file=sys.stderr)
        return 2
    started = time.perf_counter()
    services = load_corpus(args.corpus, args.only, args.services, args.workers)
    loaded = time.perf_counter() - started
    ticks = max(len(s.versions) for s in services)

    with tempfile.TemporaryDirectory(prefix="watcher-replay-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        run = replay(services, folder, ticks, chrome_only=False, log=args.log)
        chrome = replay(services, folder, args.chrome_ticks, chrome_only=True, log=args.log)

    if args.dump:
        dump(run, args.dump)
    repeat_violations = report_replay(services, run, args.top)
    check_extraction(services)
    chrome_violations = report_chrome_only(services, chrome, args.chrome_ticks)
    for violation in repeat_violations:
        print(f"REPLAY VIOLATION (a repeated version recorded something): {violation}")
    total = time.perf_counter() - started
    print(f"\nTotal {total:.1f} s (corpus loading and Markdown rendering {loaded:.1f} s). Corpus: {args.corpus}")
    return 1 if chrome_violations or repeat_violations else 0


if __name__ == "__main__":
    sys.exit(main())
