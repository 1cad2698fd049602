"""`watcher demo`: fictional vendors (texts written for this project) served on 127.0.0.1; two real check
cycles show a first version recorded silently, then material and cosmetic changes detected and classified."""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.rule import Rule

from watcher import history
from watcher.config import AlertPolicy, Config, SlackSettings
from watcher.demo.site import render_page
from watcher.fetch import FetchSettings
from watcher.models import Alert, AlertKind, Severity, Target
from watcher.notify import ConsoleReporter, Reporter, SlackWebhookReporter
from watcher.store import Store

if TYPE_CHECKING:
    from watcher.pipeline import DocumentResult


@dataclass(frozen=True)
class DemoVendor:
    name: str
    slug: str


VENDORS = (
    DemoVendor("Lumen Analytics", "lumen-analytics"),
    DemoVendor("Harbor Payroll", "harbor-payroll"),
    DemoVendor("Quillnote", "quillnote"),
)


def policy_body(slug: str, version: int) -> str:
    return (resources.files("watcher.demo") / "vendors" / f"{slug}-v{version}.html").read_text(encoding="utf-8")


class DemoSite:
    """A local web server for the demo vendors; `tick` selects the version and reshuffles the chrome."""

    def __init__(self) -> None:
        self.tick = 1
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                if self.path == "/robots.txt":
                    return self._reply(b"User-agent: *\nDisallow: /admin/\n", "text/plain")
                for vendor in VENDORS:
                    if self.path == f"/{vendor.slug}/privacy":
                        page = render_page(vendor.name, policy_body(vendor.slug, site.tick), site.tick)
                        return self._reply(page.encode(), "text/html; charset=utf-8")
                self.send_error(404)

            def _reply(self, body: bytes, content_type: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def __enter__(self) -> DemoSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class DemoReporter:
    """Prints every alert; also posts it to Slack when SLACK_WEBHOOK_URL is set."""

    def __init__(self, console: Console, webhook_url: str | None) -> None:
        self.console_reporter = ConsoleReporter(console.file)
        self.slack = SlackWebhookReporter(webhook_url) if webhook_url else None
        self.sent: list[Alert] = []

    def send(self, alert: Alert) -> None:
        if self.slack:
            self.slack.send(alert)
        self.console_reporter.send(alert)
        self.sent.append(alert)


def demo_config(site: DemoSite, folder: Path, webhook_url: str | None) -> Config:
    return Config(
        path=folder / "demo-config.yaml",
        storage=folder / "demo.db",
        fetch=FetchSettings(per_host_delay=0.0, retries=1, backoff=0.2, timeout=10.0, allow_private_networks=True),
        slack=SlackSettings(webhook_url=webhook_url) if webhook_url else None,
        alerts=AlertPolicy(),
        targets=tuple(Target(v.name, "Privacy Policy", site.url(f"/{v.slug}/privacy")) for v in VENDORS),
    )


def print_result(console: Console, result: DocumentResult) -> None:
    marker = "[bold red]alert queued:[/] " if result.alerted else ""
    console.print(f"  {result.target.vendor}: {marker}{result.detail}", highlight=False)


def run_demo(console: Console, keep: str | None = None) -> int:
    """Returns 0 when the demo showed what it should: a material change alerted, nothing else."""
    from watcher.cli import print_timeline, print_vendors
    from watcher.pipeline import run_once

    webhook_url = os.environ.get("SLACK_WEBHOOK_URL") or None
    with tempfile.TemporaryDirectory(prefix="watcher-demo-") as scratch, DemoSite() as site:
        folder = Path(keep) if keep else Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "demo.db").unlink(missing_ok=True)
        config = demo_config(site, folder, webhook_url)
        reporter: Reporter = DemoReporter(console, webhook_url)
        console.print(Rule("policy-watcher demo"))
        console.print(f"Three fictional vendors served on {site.url('/')}; the database is {config.storage}.")
        console.print(
            "Slack: "
            + (
                "posting to SLACK_WEBHOOK_URL too"
                if webhook_url
                else "not configured (set SLACK_WEBHOOK_URL to post there too); alerts print here"
            )
        )

        for cycle, title in ((1, "first versions (recorded, no alert)"), (2, "vendors publish new versions")):
            site.tick = cycle
            console.print(Rule(f"cycle {cycle}: {title}"))
            report = run_once(config, reporter=reporter, on_result=lambda r: print_result(console, r))
            if report.delivery_error:
                console.print(f"[red]delivery failed, alerts kept in the outbox: {report.delivery_error}[/]")

        console.print(Rule("history"))
        with Store(config.storage, readonly=True) as store:
            print_vendors(store.statuses())
            for status in store.statuses():
                console.print()
                print_timeline(history.timeline(store, status.id))

    sent = reporter.sent if isinstance(reporter, DemoReporter) else []
    changes = [a for a in sent if a.kind is AlertKind.CHANGE]
    alerted = {a.vendor for a in changes}
    ok = alerted == {"Lumen Analytics", "Harbor Payroll"} and all(
        a.assessment.severity is Severity.MATERIAL for a in changes
    )
    console.print(Rule())
    console.print(
        f"{len(changes)} material alert(s); Quillnote's cosmetic-only edit stayed silent."
        if ok
        else f"[red]expected material alerts for Lumen Analytics and Harbor Payroll, got: {sorted(alerted)}[/]"
    )
    return 0 if ok else 1
