"""Alerts as Slack and console messages, delivered to a local stand-in for Slack's webhook and Web API."""

from __future__ import annotations

import io
import json
import re
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from localserver import LocalServer, Reply

from watcher.models import Alert, AlertKind, Assessment, Finding, Severity
from watcher.notify import (
    ConsoleReporter,
    DeliveryError,
    Reporter,
    SlackBotReporter,
    SlackWebhookReporter,
    alert_blocks,
    alert_text,
    slack_payload,
)

SECRET_PATH = "/services/T0000/B0000/XyzSecretWebhookPart"
TOKEN = "xoxb-1111-2222-SecretBotToken"
INJECTION = "<!channel> & <http://evil|x>"

RETENTION = Finding(
    "retention",
    Severity.MATERIAL,
    "retention: 30 days -> 24 months",
    before="We keep server logs for 30 days.",
    after="We keep server logs for 24 months.",
    section="How long we keep data",
)
SHARING = Finding(
    "sharing",
    Severity.MATERIAL,
    "new third party: Segment",
    after="We share usage data with Segment for analytics.",
    section="Who we share data with",
)


def change_alert(**overrides: Any) -> Alert:
    alert = Alert(
        id=1,
        kind=AlertKind.CHANGE,
        vendor="Acme Corp",
        document="Privacy Policy",
        url="https://acme.example/privacy",
        created_at=datetime(2026, 3, 4, 6, 0, tzinfo=UTC),
        assessment=Assessment(Severity.MATERIAL, ("retention", "sharing"), (RETENTION, SHARING)),
        from_date=datetime(2026, 1, 2, tzinfo=UTC),
        to_date=datetime(2026, 3, 4, tzinfo=UTC),
        change_id=7,
    )
    return replace(alert, **overrides)


def all_texts(blocks: list[dict[str, Any]]) -> list[str]:
    """Every text string in the blocks, wherever it sits."""
    texts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                texts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return texts


# ------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    # slack-sdk and urllib honour proxy variables; the stand-in must be reached directly on 127.0.0.1.
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def server() -> Iterator[LocalServer]:
    # One server for the module: closing it waits for hung handlers, so they overlap instead of adding up.
    with LocalServer() as running:
        yield running


@pytest.fixture
def prefix() -> str:
    """A path prefix of this test's own, so tests sharing the server never see each other's requests."""
    return f"/{uuid.uuid4().hex}"


Transport = Callable[[Reply, float], Reporter]


@pytest.fixture(params=["webhook", "bot"])
def transport(request: pytest.FixtureRequest, server: LocalServer, prefix: str) -> Transport:
    """Makes a reporter of either kind whose Slack answers with `reply`."""

    def make(reply: Reply, timeout: float = 5.0) -> Reporter:
        if request.param == "webhook":
            server.route(prefix + SECRET_PATH, reply)
            return SlackWebhookReporter(server.url(prefix + SECRET_PATH), timeout=timeout)
        server.route(prefix + "/api/chat.postMessage", reply)
        return SlackBotReporter(TOKEN, "#privacy", base_url=server.url(prefix + "/api/"), timeout=timeout)

    return make


def json_reply(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(body), {"Content-Type": "application/json", **(headers or {})})


def send_failing(reporter: Reporter) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        reporter.send(change_alert())
    return caught.value


# -------------------------------------------------------------------------------------- message content


def test_fallback_text_names_vendor_severity_and_categories() -> None:
    assert alert_text(change_alert()) == "Acme Corp privacy policy changed (material: retention, sharing)"


def test_change_message_has_header_facts_findings_and_links() -> None:
    blocks = alert_blocks(change_alert(link="https://watcher.example/changes/7"))

    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Acme Corp: privacy policy changed", "emoji": True},
    }
    facts = [field["text"] for field in blocks[1]["fields"]]
    assert facts == [
        "*Severity*\n:red_circle: material",
        "*Categories*\nretention, sharing",
        "*Document*\nPrivacy Policy",
        "*Versions*\n2026-01-02 → 2026-03-04",
    ]
    retention = blocks[3]["text"]["text"]
    assert retention.startswith("*retention: 30 days -&gt; 24 months*")
    assert "> *Before:* ~We keep server logs for 30 days.~" in retention
    assert "> *After:* We keep server logs for 24 months." in retention
    links = [element["text"] for element in blocks[-1]["elements"]]
    assert links == [
        "Source: <https://acme.example/privacy|https://acme.example/privacy>",
        "<https://watcher.example/changes/7|View the change>",
    ]


def test_header_names_a_document_other_than_the_privacy_policy() -> None:
    blocks = alert_blocks(change_alert(document="Cookie Policy"))
    assert blocks[0]["text"]["text"] == "Acme Corp: Cookie Policy changed"
    assert alert_text(change_alert(document="Cookie Policy")).startswith("Acme Corp Cookie Policy changed")


def test_failing_message_gives_reason_and_since_when() -> None:
    alert = change_alert(
        kind=AlertKind.FAILING,
        assessment=Assessment(Severity.NONE),
        reason="HTTP 503 Service Unavailable after 3 attempts",
        from_date=datetime(2026, 3, 1, 4, 30, tzinfo=UTC),
    )
    blocks = alert_blocks(alert)
    assert blocks[0]["text"]["text"] == "Acme Corp: policy page failing"
    texts = "\n".join(all_texts(blocks))
    assert "HTTP 503 Service Unavailable after 3 attempts" in texts
    assert "2026-03-01 04:30 UTC" in texts
    assert alert_text(alert) == (
        "Acme Corp privacy policy page failing since 2026-03-01 04:30 UTC: "
        "HTTP 503 Service Unavailable after 3 attempts"
    )


def test_recovered_message_says_reachable_again() -> None:
    alert = change_alert(kind=AlertKind.RECOVERED, assessment=Assessment(Severity.NONE))
    assert alert_blocks(alert)[0]["text"]["text"] == "Acme Corp: policy page reachable again"
    assert alert_text(alert) == "Acme Corp privacy policy page reachable again"


def test_policy_text_cannot_mention_the_channel_or_plant_links() -> None:
    hostile = Finding("sharing", Severity.MATERIAL, f"new third party: {INJECTION}", before=INJECTION, after=INJECTION)
    payload = slack_payload(
        change_alert(vendor="Evil <!here> Inc", assessment=Assessment(Severity.MATERIAL, ("sharing",), (hostile,)))
    )

    header, *rest = payload["blocks"]
    assert header["text"]["type"] == "plain_text"  # shown literally: Slack forms no mentions or links there
    mrkdwn_parts = json.dumps([payload["text"], rest])
    for raw in ("<!channel>", "<!here>", "<http://evil|x>"):
        assert raw not in mrkdwn_parts
    finding = payload["blocks"][3]["text"]
    assert finding["verbatim"] is True  # no auto-linking of bare URLs or @mentions either
    assert "~&lt;!channel&gt; &amp; &lt;http://evil|x&gt;~" in finding["text"]
    assert payload["text"].startswith("Evil &lt;!here&gt; Inc privacy policy changed")


def test_block_kit_limits_hold_for_200_findings_of_10_kb_sentences() -> None:
    sentence = ("We may share & retain <your> data with partners. " * 210)[:10_000]
    findings = tuple(
        Finding(
            "sharing",
            Severity.MINOR if n % 2 else Severity.MATERIAL,
            f"change {n}: " + sentence[:500],
            before=sentence,
            after=sentence + " (updated)",
            section=sentence,
        )
        for n in range(200)
    )
    alert = change_alert(vendor="V" * 400, assessment=Assessment(Severity.MATERIAL, ("sharing",), findings))

    payload = slack_payload(alert)
    blocks = payload["blocks"]

    assert len(blocks) <= 50
    assert blocks[0]["type"] == "header"
    assert len(blocks[0]["text"]["text"]) <= 150
    assert blocks[0]["text"]["text"].endswith(": privacy policy changed")
    for block in blocks:
        if block["type"] == "section":
            assert len(block.get("text", {}).get("text", "")) <= 3000
            assert len(block.get("fields", [])) <= 10
            assert all(len(field["text"]) <= 2000 for field in block.get("fields", []))
        if block["type"] == "context":
            assert len(block["elements"]) <= 10
    assert all(len(text) <= 3000 for text in all_texts(blocks))
    assert len(payload["text"]) <= 3000
    sections = [block["text"]["text"] for block in blocks if block["type"] == "section" and "text" in block]
    *shown, more = sections
    assert more == f"_…and {200 - len(shown)} more changes_"
    assert all("&lt;your&gt;" in text for text in shown)  # still escaped after clipping
    # the cap drops minor findings (odd numbers) before material ones
    assert all(int(re.match(r"\*change (\d+):", text)[1]) % 2 == 0 for text in shown)


# ---------------------------------------------------------------------------------------------- webhook


def test_webhook_posts_the_message_and_returns_when_slack_says_ok(server: LocalServer, prefix: str) -> None:
    server.route(prefix + SECRET_PATH, Reply(200, "ok", {"Content-Type": "text/plain"}))

    SlackWebhookReporter(server.url(prefix + SECRET_PATH)).send(change_alert())

    (request,) = server.requests_to(prefix + SECRET_PATH)
    assert request.method == "POST"
    body = json.loads(request.body)
    assert body["text"] == "Acme Corp privacy policy changed (material: retention, sharing)"
    assert body["unfurl_links"] is False
    texts = "\n".join(all_texts(body["blocks"]))
    for expected in (
        "Acme Corp: privacy policy changed",
        "retention, sharing",
        "~We keep server logs for 30 days.~",
        "We keep server logs for 24 months.",
        "We share usage data with Segment for analytics.",
    ):
        assert expected in texts


def test_webhook_answer_other_than_ok_is_not_a_delivery(server: LocalServer, prefix: str) -> None:
    server.route(prefix + SECRET_PATH, Reply(200, "<html>captive portal</html>"))
    error = send_failing(SlackWebhookReporter(server.url(prefix + SECRET_PATH)))
    assert str(error) == "Slack webhook answered HTTP 200"


def test_webhook_error_code_is_named_with_its_fix(server: LocalServer, prefix: str) -> None:
    server.route(prefix + SECRET_PATH, Reply(404, "no_service", {"Content-Type": "text/plain"}))
    error = send_failing(SlackWebhookReporter(server.url(prefix + SECRET_PATH)))
    assert str(error) == (
        "Slack webhook refused the message: no_service (HTTP 404); the webhook was removed or revoked: create a new one"
    )


def test_webhook_url_must_be_http_and_is_not_echoed() -> None:
    with pytest.raises(ValueError) as caught:
        SlackWebhookReporter("hooks.slack.com" + SECRET_PATH)
    assert "XyzSecret" not in str(caught.value)


# ------------------------------------------------------------------------------------------------ bot


def test_bot_posts_to_the_channel_with_a_bearer_token(server: LocalServer, prefix: str) -> None:
    server.route(prefix + "/api/chat.postMessage", json_reply(200, {"ok": True, "channel": "C1", "ts": "1.2"}))
    reporter = SlackBotReporter(TOKEN, "#privacy", base_url=server.url(prefix + "/api/"))

    reporter.send(change_alert())

    (request,) = server.requests_to(prefix + "/api/chat.postMessage")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    body = json.loads(request.body)
    assert body["channel"] == "#privacy"
    assert body["text"] == "Acme Corp privacy policy changed (material: retention, sharing)"
    assert "~We keep server logs for 30 days.~" in "\n".join(all_texts(body["blocks"]))


def test_bot_error_from_slack_is_named_with_its_fix(server: LocalServer, prefix: str) -> None:
    server.route(prefix + "/api/chat.postMessage", json_reply(200, {"ok": False, "error": "channel_not_found"}))
    error = send_failing(SlackBotReporter(TOKEN, "#nowhere", base_url=server.url(prefix + "/api/")))
    assert "channel_not_found" in str(error)
    assert "check the channel" in str(error)
    assert error.retry_after is None


# ---------------------------------------------------------------------------------- both transports


def test_server_error_is_a_delivery_error(transport: Transport) -> None:
    error = send_failing(transport(Reply(500, "<html>oops</html>", {"Content-Type": "text/html"}), 5.0))
    assert "HTTP 500" in str(error)
    assert error.retry_after is None


def test_rate_limit_carries_retry_after(transport: Transport) -> None:
    reply = json_reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "30"})
    error = send_failing(transport(reply, 5.0))
    assert error.retry_after == 30.0
    assert "rate limited" in str(error)


def test_a_hung_slack_fails_fast(transport: Transport) -> None:
    reporter = transport(Reply(200, "ok", delay=3), 0.5)
    started = time.monotonic()
    error = send_failing(reporter)
    assert time.monotonic() - started < 2.0  # one attempt, no built-in retries
    assert "did not answer within 0.5 s" in str(error)


def test_unreachable_slack_is_a_delivery_error() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    for reporter in (
        SlackWebhookReporter(f"http://127.0.0.1:{port}{SECRET_PATH}", timeout=2),
        SlackBotReporter(TOKEN, "#privacy", base_url=f"http://127.0.0.1:{port}/api/", timeout=2),
    ):
        error = send_failing(reporter)
        assert str(error).startswith("could not reach Slack")


@pytest.mark.parametrize(
    "reply",
    [
        Reply(500, "oops"),
        json_reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}),
        json_reply(200, {"ok": False, "error": "invalid_auth"}),
        Reply(200, "ok", delay=3),
    ],
    ids=["500", "429", "rejected", "hang"],
)
def test_secrets_never_appear_in_errors_reprs_or_logs(
    transport: Transport, reply: Reply, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    reporter = transport(reply, 0.5)
    error = send_failing(reporter)

    seen = "\n".join([str(error), repr(error), repr(reporter), caplog.text])
    assert "XyzSecret" not in seen
    assert "SecretBotToken" not in seen
    assert error.__cause__ is None  # a chained urllib error could quote the URL


# ------------------------------------------------------------------------------------------- console


def test_console_prints_vendor_severity_categories_and_each_finding() -> None:
    stream = io.StringIO()
    ConsoleReporter(stream).send(change_alert(link="https://watcher.example/changes/7"))

    printed = stream.getvalue()
    assert printed.startswith("Acme Corp: privacy policy changed\n")
    assert "Severity:   material" in printed
    assert "Categories: retention, sharing" in printed
    for finding in (RETENTION, SHARING):
        assert finding.summary in printed
        assert finding.after in printed
    assert f"Before: {RETENTION.before}" in printed
    assert "https://watcher.example/changes/7" in printed


def test_console_drops_terminal_escapes_from_policy_text() -> None:
    hostile = replace(SHARING, after="We share data.\x1b]0;pwned\x07\x1b[2J with partners.")
    stream = io.StringIO()
    ConsoleReporter(stream).send(change_alert(assessment=Assessment(Severity.MATERIAL, ("sharing",), (hostile,))))
    assert "\x1b" not in stream.getvalue()
    assert "We share data.]0;pwned[2J with partners." in stream.getvalue()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_console_draws_a_panel_on_a_terminal() -> None:
    stream = Terminal()
    ConsoleReporter(stream).send(change_alert())

    printed = stream.getvalue()
    assert "╭" in printed  # a rich panel
    for expected in ("Acme Corp: privacy policy changed", "material", "retention, sharing", "Segment"):
        assert expected in printed


def test_console_that_cannot_be_written_is_a_delivery_error() -> None:
    stream = io.StringIO()
    stream.close()
    with pytest.raises(DeliveryError):
        ConsoleReporter(stream).send(change_alert())
