"""Broken pages are never versions: every way a vendor's page can come back wrong, served by a real local server
to `watcher run`, is a recorded check failure with a reason a person understands, and never a Slack message.

Each fault is seen after a first version was recorded, then the page recovers with a cosmetic change: neither
the fault nor the recovery may post anything. Pages that only look suspicious (a policy naming Cloudflare, a
contact form with reCAPTCHA...) must still be read as policies, or their real changes would be hidden.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from localserver import LocalServer, Reply
from pages import (
    FAULTS,
    GENUINE,
    HTML,
    KESTREL,
    SAME_TEXT,
    Fault,
    Genuine,
    Recoded,
    Watch,
    cosmetic,
    genuine_material,
    kestrel_policy,
    message_text,
    page,
)

import watcher.fetch as fetch_module
from watcher.models import Outcome

POLICY = kestrel_policy()
PATH = "/legal/privacy"


@pytest.fixture
def watch(tmp_path: Path, server: LocalServer) -> Watch:
    server.route(PATH, Reply(200, page(KESTREL, POLICY, 1), HTML))
    watch = Watch(tmp_path, server, {KESTREL: PATH})
    assert watch.run() == []  # the first version is recorded silently
    assert watch.status(KESTREL).versions == 1
    return watch


def serve(server: LocalServer, fault: Fault) -> None:
    for path, route in fault.routes(PATH).items():
        server.route(path, route)


def recover(server: LocalServer, fault: Fault, tick: int) -> None:
    """The policy is back, with a new date and a linked e-mail address; the fault's other pages are gone."""
    for path in fault.routes(PATH):
        server.route(path, Reply(404, "gone", {"Content-Type": "text/plain"}))
    server.route(PATH, Reply(200, page(KESTREL, cosmetic(POLICY), tick), HTML))


# ------------------------------------------------------------------------------------------ broken pages


# "policy-stops-at-two-thirds" is caught by screen() comparing with the last version, not by the word count
# alone: two thirds of the text is not "most of it gone".
FAULT_CASES = FAULTS


@pytest.mark.parametrize("fault", FAULT_CASES, ids=lambda f: f.name)
def test_a_broken_page_is_a_failed_check_never_a_version_and_recovery_posts_nothing(
    watch: Watch, server: LocalServer, fault: Fault
) -> None:
    serve(server, fault)

    assert watch.run() == []

    status = watch.status(KESTREL)
    check = watch.last_check(KESTREL)
    assert status.versions == 1
    assert (check.outcome, status.failures, status.healthy) == (fault.outcome, 1, True)
    assert check.error is not None and fault.reason in check.error.lower(), check.error

    recover(server, fault, tick=3)
    assert watch.run() == []  # back, with a new date and a linked e-mail address: cosmetic, silent

    status = watch.status(KESTREL)
    assert watch.last_check(KESTREL).outcome is Outcome.OK
    assert (status.healthy, status.failures) == (True, 0)
    assert status.last_severity is not None and status.last_severity.label == "cosmetic"


FAILING_SAMPLES = ("cloudflare-just-a-moment", "bare-aws-waf-200", "login-redirect", "page-not-found-200", "http-500")


@pytest.mark.parametrize("fault", [f for f in FAULTS if f.name in FAILING_SAMPLES], ids=lambda f: f.name)
def test_four_failures_in_a_row_alert_once_and_recovery_alerts_once(
    watch: Watch, server: LocalServer, fault: Fault
) -> None:
    serve(server, fault)

    posted = [message for _ in range(4) for message in watch.run()]

    [failing] = posted
    assert "failing" in message_text(failing) and KESTREL in message_text(failing)
    assert fault.reason in message_text(failing).lower()  # the alert says why
    assert watch.status(KESTREL).versions == 1 and not watch.status(KESTREL).healthy

    recover(server, fault, tick=9)
    [recovered] = watch.run()
    assert "reachable again" in message_text(recovered)
    assert watch.run() == []
    assert watch.status(KESTREL).healthy


def test_a_page_cut_off_for_days_stays_a_failure_and_is_never_a_version(watch: Watch, server: LocalServer) -> None:
    fault = next(f for f in FAULTS if f.name == "truncated-policy")
    serve(server, fault)

    posted = [message for _ in range(4) for message in watch.run()]

    assert [("failing" in message_text(m)) for m in posted] == [True]
    assert watch.status(KESTREL).versions == 1


def test_health_is_shown_by_watcher_vendors(watch: Watch, server: LocalServer) -> None:
    serve(server, next(f for f in FAULTS if f.name == "datadome-captcha"))
    for _ in range(3):
        watch.run()

    vendors = watch.cli("vendors", "--json")

    [row] = vendors
    assert row["health"] == "failing" and row["consecutive_failures"] == 3
    assert row["last_outcome"] == "challenge" and "DataDome" in row["last_error"]


# ------------------------------------------------------------------------------- redirects to other hosts


@pytest.fixture
def other_host() -> Iterator[LocalServer]:
    with LocalServer("127.0.0.2") as local:  # 127.0.0.0/8 is loopback: another host on the same machine
        yield local


def test_a_redirect_to_another_host_is_followed_when_it_serves_the_policy(
    watch: Watch, server: LocalServer, other_host: LocalServer
) -> None:
    other_host.route("/privacy", Reply(200, page(KESTREL, POLICY, 2), HTML))
    server.route(PATH, Reply(301, b"", {"Location": other_host.url("/privacy")}))

    assert watch.run() == []

    check = watch.last_check(KESTREL)
    assert check.outcome is Outcome.OK and check.url == other_host.url("/privacy")
    assert watch.status(KESTREL).versions == 1  # a move is not a change


def test_a_redirect_to_a_loopback_host_is_refused_like_a_configured_one(
    tmp_path: Path, server: LocalServer, other_host: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pretend 127.0.0.1 is a vendor on the internet; 127.0.0.2 stays what it is, a loopback address.
    real_resolve = fetch_module._resolve

    async def resolve(host: str) -> list[str]:
        return ["93.184.216.34"] if host == "127.0.0.1" else await real_resolve(host)

    monkeypatch.setattr(fetch_module, "_resolve", resolve)
    server.route(PATH, Reply(200, page(KESTREL, POLICY, 1), HTML))
    watch = Watch(tmp_path, server, {KESTREL: PATH}, fetch={"allow_private_networks": False})
    watch.run()
    other_host.route("/privacy", Reply(200, page(KESTREL, POLICY.replace("30 days", "5 years"), 2), HTML))
    server.route(PATH, Reply(302, b"", {"Location": other_host.url("/privacy")}))

    assert watch.run() == []

    check = watch.last_check(KESTREL)
    assert check.outcome is Outcome.BLOCKED_ADDRESS
    assert check.error is not None and "127.0.0.2" in check.error and "loopback" in check.error
    assert other_host.requests == []  # refused before a single byte was sent
    assert watch.status(KESTREL).versions == 1


# ---------------------------------------------------------------------------- pages that must not be flagged


@pytest.mark.parametrize("genuine", GENUINE, ids=lambda g: g.name)
def test_a_policy_that_only_looks_suspicious_is_read_and_its_changes_alert(
    tmp_path: Path, server: LocalServer, genuine: Genuine
) -> None:
    server.route(PATH, Reply(200, genuine.html(genuine.body, 1), {**HTML, **genuine.headers}))
    watch = Watch(tmp_path, server, {genuine.vendor: PATH})

    assert watch.run() == []
    check = watch.last_check(genuine.vendor)
    assert check.outcome is Outcome.OK, check.error
    assert watch.status(genuine.vendor).versions == 1

    server.route(PATH, Reply(200, genuine.html(genuine_material(genuine.body), 2), {**HTML, **genuine.headers}))
    [alert] = watch.run()
    assert genuine.vendor in message_text(alert) and "AdNexus" in message_text(alert)


@pytest.mark.parametrize("recoded", SAME_TEXT, ids=lambda r: r.name)
def test_the_same_policy_in_other_bytes_is_the_same_version(
    watch: Watch, server: LocalServer, recoded: Recoded
) -> None:
    server.route(PATH, recoded.reply(page(KESTREL, POLICY, 2)))

    assert watch.run() == []

    check = watch.last_check(KESTREL)
    assert check.outcome is Outcome.OK, check.error
    assert watch.status(KESTREL).versions == 1  # no "change" made of mis-decoded quotes and accents
