"""Delivery guarantees: when Slack fails (500), rate-limits (429 with Retry-After) or hangs, alerts stay in the
outbox and are delivered later, exactly once and in order. A real local server plays the vendors and Slack."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from localserver import LocalServer, Reply, Request
from pages import HTML, Watch, kestrel_policy, material, message_text, page

from watcher.config import load_config
from watcher.notify import SlackWebhookReporter
from watcher.pipeline import run_once
from watcher.store import Store

VENDORS = ("Alder Payroll", "Birchline CRM", "Cedar Mail", "Dogwood Docs")
POLICY = kestrel_policy()
SLACK_DOWN = {
    "500": Reply(500, "internal_error", {"Content-Type": "text/plain"}),
    "429": Reply(429, "rate_limited", {"Content-Type": "text/plain", "Retry-After": "30"}),
}


def path_of(vendor: str) -> str:
    return f"/{vendor.split()[0].lower()}/privacy"


class Outage:
    """Several vendors on one local server, each with a policy that can change materially."""

    def __init__(self, tmp_path: Path, server: LocalServer) -> None:
        self.server = server
        self.tick = 0
        self.watch = Watch(tmp_path, server, {vendor: path_of(vendor) for vendor in VENDORS})
        self.slack = self.watch.slack
        self.serve(POLICY)

    def serve(self, body: str, vendors: tuple[str, ...] = VENDORS) -> None:
        self.tick += 1
        for vendor in vendors:
            self.server.route(path_of(vendor), Reply(200, page(vendor, body, self.tick), HTML))

    def pending(self) -> int:
        with Store(self.watch.database, readonly=True) as store:
            return store.alert_counts()["pending"]

    def outbox_order(self) -> list[str]:
        """Vendors of the change alerts in the outbox, oldest first (the order they must reach Slack in)."""
        with Store(self.watch.database, readonly=True) as store:
            rows = store.db.execute("SELECT payload FROM alerts WHERE kind = 'change' ORDER BY id").fetchall()
        return [json.loads(row[0])["vendor"] for row in rows]


@pytest.fixture
def outage(tmp_path: Path) -> Iterator[Outage]:
    with LocalServer() as server:
        world = Outage(tmp_path, server)
        assert world.watch.run() == []  # first versions, silently
        yield world


def vendors_in(messages: list[dict]) -> list[str]:
    return [next(v for v in VENDORS if v in message_text(m)) for m in messages]


@pytest.mark.parametrize("answer", SLACK_DOWN, ids=lambda a: f"slack-{a}")
def test_an_alert_kept_during_a_slack_outage_is_delivered_once_when_slack_is_back(outage: Outage, answer: str) -> None:
    outage.slack.answer = SLACK_DOWN[answer]
    outage.serve(material(POLICY), vendors=VENDORS[:1])

    assert outage.watch.run() == []
    assert outage.pending() == 1 and outage.slack.refused == 1

    assert outage.watch.run() == []  # still down: tried again, still kept
    assert outage.pending() == 1 and outage.slack.refused == 2

    outage.slack.answer = Reply(200, "ok")
    [delivered] = outage.watch.run()  # nothing changed on the page; the outbox delivers the kept alert
    assert VENDORS[0] in message_text(delivered) and "18 months" in message_text(delivered)
    assert outage.pending() == 0
    assert outage.watch.run() == []


def test_the_delivery_error_is_recorded_with_the_alert(outage: Outage) -> None:
    outage.slack.answer = SLACK_DOWN["429"]
    outage.serve(material(POLICY), vendors=VENDORS[:1])
    outage.watch.run()

    with Store(outage.watch.database, readonly=True) as store:
        [(attempts, error)] = store.db.execute("SELECT attempts, last_error FROM alerts").fetchall()
    assert attempts == 1 and "rate limited" in error and "30" in error


@pytest.mark.parametrize("answer", SLACK_DOWN, ids=lambda a: f"slack-{a}")
def test_every_vendor_changed_during_an_outage_is_delivered_exactly_once_in_order(outage: Outage, answer: str) -> None:
    outage.slack.answer = SLACK_DOWN[answer]
    outage.serve(material(POLICY))
    outage.watch.run()
    outage.watch.run()
    assert outage.pending() == len(VENDORS)

    outage.slack.answer = Reply(200, "ok")
    delivered = outage.watch.run()

    assert vendors_in(delivered) == outage.outbox_order()
    assert sorted(vendors_in(delivered)) == sorted(VENDORS)
    assert outage.watch.run() == [] and outage.pending() == 0
    assert vendors_in(outage.slack.accepted) == vendors_in(delivered)  # nothing before, nothing after


def test_a_rate_limit_part_way_through_a_batch_delivers_the_rest_later_without_duplicates(outage: Outage) -> None:
    answers = [Reply(200, "ok"), Reply(200, "ok")] + [SLACK_DOWN["429"]] * 10
    real_handle = outage.slack._handle

    def handle(request: Request) -> Reply:
        outage.slack.answer = answers.pop(0) if answers else Reply(200, "ok")
        return real_handle(request)

    outage.server.route(outage.slack.path, handle)
    outage.serve(material(POLICY))

    first = outage.watch.run()
    assert len(first) == 2 and outage.pending() == len(VENDORS) - 2

    answers.clear()
    rest = outage.watch.run()

    assert vendors_in(first + rest) == outage.outbox_order()  # each once, in order
    assert outage.watch.run() == []


# ------------------------------------------------------------------------------------------- a hang


def test_a_hanging_slack_costs_one_timeout_and_the_alert_is_delivered_later(outage: Outage) -> None:
    # Slack takes the message and never answers. The reporter's timeout bounds the wait; the alert stays.
    outage.slack.answer = Reply(503, "too late", delay=3.0)
    outage.serve(material(POLICY), vendors=VENDORS[:2])
    config = load_config(outage.watch.config, outage.watch.env)

    started = time.monotonic()
    report = run_once(config, reporter=SlackWebhookReporter(outage.slack.url, timeout=0.5))
    elapsed = time.monotonic() - started

    assert elapsed < 2.5  # one timeout, not one per alert, and not the 3 s the stand-in would take
    assert report.delivered == 0 and report.undelivered == 2
    assert report.delivery_error is not None and "did not answer within 0.5 s" in report.delivery_error
    assert outage.pending() == 2 and outage.slack.accepted == []

    outage.slack.answer = Reply(200, "ok")
    delivered = outage.watch.run()
    assert sorted(vendors_in(delivered)) == sorted(VENDORS[:2])
    assert outage.watch.run() == [] and outage.pending() == 0
