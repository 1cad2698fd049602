"""Crash safety: `watcher run` killed with SIGKILL at many points leaves a sound database and loses no alert;
two runs started at once never process anything twice.

Runs are real processes (`python -m watcher run`) against vendor pages and a Slack stand-in on 127.0.0.1. Kill
points are chosen by time and by what the run is doing: fetching the Nth page, or the moment Slack has taken a
message and the run has not yet marked it sent (the only moment a duplicate is allowed).
"""

from __future__ import annotations

import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from localserver import LocalServer, Reply, Request
from pages import HTML, SlackStandIn, Watch, kestrel_policy, message_text, page

VENDORS = ("Alder Payroll", "Birchline CRM", "Cedar Mail", "Dogwood Docs", "Elmwood Forms", "Fernhill Chat")
PROCESSORS = (
    "Quillon Analytics Ltd, for product analytics",
    "Northgate Data Inc., for lead enrichment",
    "Sablefish Media GmbH, for advertising measurement",
    "Tamarack Voice Inc., for call recording",
    "Umber Insights BV, for customer surveys",
    "Vireo Identity Ltd, for identity verification",
    "Wrenfield Labs Inc., for session replay",
    "Yarrow Cloud SAS, for backup storage",
    "Zephyr Messaging Ltd, for SMS delivery",
)
PUBLIC_URL = "http://watcher.example"  # alerts link to /changes/<id>: that is how a Slack message names its change
LINK = re.compile(r"/changes/(\d+)")
ROOT = Path(__file__).resolve().parent.parent


def path_of(vendor: str) -> str:
    return f"/{vendor.split()[0].lower()}/privacy"


def variant(round_number: int) -> str:
    """Each round's policy: a new retention period and a new processor, a material change from the last."""
    return kestrel_policy(retention=30 + 15 * round_number, processor=PROCESSORS[round_number % len(PROCESSORS)])


class Site:
    """Vendor pages that count their requests and can be held, and a Slack stand-in whose answer can be held."""

    def __init__(
        self, tmp_path: Path, server: LocalServer, vendors: tuple[str, ...] = VENDORS, *, timeout: float = 3.0
    ) -> None:
        self.server = server
        self.vendors = vendors
        self.page_requests = 0
        self.pages_open = threading.Event()
        self.pages_open.set()
        self.hold_at: int | None = None  # Slack holds its answer to the message that brings it this many
        self.changed = threading.Condition()
        self.round = 0
        self.watch = Watch(
            tmp_path,
            server,
            {vendor: path_of(vendor) for vendor in vendors},
            fetch={"timeout": timeout},
            extra=f"public_url: {PUBLIC_URL}\n",
        )
        self.slack: SlackStandIn = self.watch.slack
        server.route(self.slack.path, self._slack)
        for vendor in vendors:
            server.route(path_of(vendor), self._page(vendor))

    def _page(self, vendor: str) -> Callable[[Request], Reply]:
        def serve(request: Request) -> Reply:
            with self.changed:
                self.page_requests += 1
                self.changed.notify_all()
            self.pages_open.wait(30)
            return Reply(200, page(vendor, variant(self.round), self.round), HTML)

        return serve

    def _slack(self, request: Request) -> Reply:
        reply = self.slack._handle(request)  # taken: from here on, Slack shows the message
        with self.changed:
            self.changed.notify_all()
        if len(self.slack.accepted) == self.hold_at:
            time.sleep(3.0)  # long after the kill: the run never hears the answer
        return reply

    def wait_for(self, condition: Callable[[], bool], timeout: float = 20.0) -> bool:
        with self.changed:
            return self.changed.wait_for(condition, timeout)

    # -- processes

    def start(self, log: Path) -> subprocess.Popen[bytes]:
        env = {**os.environ, **self.watch.env, "PYTHONPATH": str(ROOT)}
        command = [sys.executable, "-m", "watcher", "run", "--config", str(self.watch.config)]
        with log.open("wb") as output:
            return subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT, cwd=ROOT)

    # -- the database, read as any other reader would

    def query(self, sql: str) -> list[tuple]:
        with sqlite3.connect(self.watch.database) as db:
            return db.execute(sql).fetchall()

    def integrity(self) -> tuple[str, list[tuple]]:
        db = sqlite3.connect(self.watch.database)
        try:
            return db.execute("PRAGMA integrity_check").fetchone()[0], db.execute("PRAGMA foreign_key_check").fetchall()
        finally:
            db.close()


@dataclass(frozen=True)
class KillPoint:
    """When to kill a run: `what` names it in failure messages, `arm` waits for the moment (False: never came)."""

    what: str
    arm: Callable[[Site, float], bool]
    slack_message: int | None = None  # Slack takes this message and holds its answer: killed before mark_sent


def after_seconds(delay: float) -> KillPoint:
    return KillPoint(f"{delay:.2f} s after start", lambda site, started: not time.sleep(delay))


def at_page_request(count: int, then: float = 0.0) -> KillPoint:
    def arm(site: Site, started: float) -> bool:
        base = site.page_requests
        reached = site.wait_for(lambda: site.page_requests >= base + count)
        time.sleep(then)
        return reached

    return KillPoint(f"page request {count} + {then:.2f} s", arm)


def at_slack_message(count: int) -> KillPoint:
    def arm(site: Site, started: float) -> bool:
        return site.wait_for(lambda: len(site.slack.accepted) >= (site.hold_at or 0))

    return KillPoint(f"Slack took message {count}", arm, slack_message=count)


def test_runs_killed_at_many_points_keep_the_database_sound_and_lose_no_alert(
    tmp_path: Path, server: LocalServer
) -> None:
    site = Site(tmp_path, server)
    assert site.watch.run() == []  # first versions (in-process: quick)
    rng = random.Random(20261122)
    kill_points = [
        after_seconds(0.05),  # before the run has even imported its modules
        after_seconds(rng.uniform(0.3, 1.5)),
        at_page_request(1),  # fetching
        at_page_request(rng.randint(2, 11), then=rng.uniform(0.0, 0.05)),  # recording checks, versions, changes
        at_page_request(12, then=0.02),  # the last second look, then straight into classify and the outbox
        at_slack_message(1),  # Slack took the first message; the run is waiting for the answer
        at_slack_message(rng.randint(2, 5)),
        at_page_request(rng.randint(1, 12), then=rng.uniform(0.0, 0.3)),
    ]
    window_kills = 0
    for number, point in enumerate(kill_points, start=1):
        site.round = number  # every vendor's policy changes materially
        site.hold_at = len(site.slack.accepted) + point.slack_message if point.slack_message else None
        process = site.start(tmp_path / f"run-{number}.log")
        started = time.monotonic()
        reached = point.arm(site, started)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        log = (tmp_path / f"run-{number}.log").read_text(errors="replace")
        assert reached or process.returncode == 0, f"kill point never came ({point.what}):\n{log}"
        window_kills += point.slack_message is not None
        if site.watch.database.exists():
            integrity, broken_keys = site.integrity()
            assert (integrity, broken_keys) == ("ok", []), f"after a kill at {point.what}"

    site.hold_at = None
    site.watch.run()  # the next run finishes the work
    site.watch.run()  # and one more finds nothing left to do
    assert site.query("SELECT count(*) FROM alerts WHERE sent_at IS NULL") == [(0,)]

    changes = dict(site.query("SELECT c.id, d.vendor FROM changes c JOIN documents d ON d.id = c.document_id"))
    alerted = [row[0] for row in site.query("SELECT change_id FROM alerts WHERE kind = 'change'")]
    assert sorted(alerted) == sorted(changes), "every recorded change has its alert (same transaction)"
    posted = Counter(int(LINK.search(message_text(m)).group(1)) for m in site.slack.accepted)  # type: ignore[union-attr]
    assert set(posted) == set(changes), "every alert reached Slack, and nothing else did"
    # A kill between Slack's answer and mark_sent re-sends the one alert in flight, no more: duplicates are bounded
    # by the kills. The held-answer kills always land there; a timed kill can too, even on an alert that an earlier
    # kill already caught in flight (seen once the encoder's loading moved the runs' timing).
    duplicates = sum(count - 1 for count in posted.values())
    assert window_kills <= duplicates <= len(kill_points), (duplicates, window_kills, posted)

    final_marker = PROCESSORS[site.round % len(PROCESSORS)].split(",")[0]
    for vendor in VENDORS:
        [(text,)] = site.query(
            "SELECT v.text FROM versions v JOIN documents d ON d.id = v.document_id"
            f" WHERE d.vendor = '{vendor}' ORDER BY v.id DESC LIMIT 1"
        )
        assert final_marker in text, f"{vendor} ends on the last round's policy"
        assert any(vendor == changes[change] for change in posted), f"{vendor}: its change was delivered"
    assert site.query("SELECT count(*) FROM checks WHERE outcome != 'ok'") == [(0,)]  # kills are not failures


def test_two_runs_started_at_once_process_everything_once(tmp_path: Path, server: LocalServer) -> None:
    site = Site(tmp_path, server, VENDORS[:3], timeout=30.0)  # the held page must outlast the other's start
    site.watch.run()
    site.round = 1
    site.pages_open.clear()  # whichever run gets the lock stops at its first page until the other has finished

    runs = [site.start(tmp_path / f"run-{n}.log") for n in (1, 2)]
    deadline = time.monotonic() + 30
    while all(run.poll() is None for run in runs) and time.monotonic() < deadline:
        time.sleep(0.05)
    site.pages_open.set()
    codes = [run.wait(30) for run in runs]
    logs = [(tmp_path / f"run-{n}.log").read_text() for n in (1, 2)]

    assert codes == [0, 0], logs
    assert sum("another run is in progress" in log for log in logs) == 1, logs
    per_vendor = site.query(
        "SELECT d.vendor, (SELECT count(*) FROM checks c WHERE c.document_id = d.id),"
        " (SELECT count(*) FROM versions v WHERE v.document_id = d.id),"
        " (SELECT count(*) FROM changes c WHERE c.document_id = d.id),"
        " (SELECT count(*) FROM alerts a WHERE a.document_id = d.id) FROM documents d ORDER BY d.vendor"
    )
    assert per_vendor == [(vendor, 2, 2, 1, 1) for vendor in sorted(VENDORS[:3])]  # baseline + one run each
    assert sorted(v for m in site.slack.accepted for v in VENDORS if v in message_text(m)) == sorted(VENDORS[:3])
