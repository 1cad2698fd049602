"""The whole path as a user runs it: `watcher run` from a config, a real page server, a real Slack stand-in."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from localserver import LocalServer, Reply

from watcher.cli import main
from watcher.demo.site import render_page
from watcher.store import Store

POLICY = (Path(__file__).parent / "fixtures" / "orbit-crm.html").read_text()


def cosmetic_edit(policy: str) -> str:
    return policy.replace("Last revised: 5 May 2026", "Last revised: 19 October 2026").replace(
        "E-mail: privacy@orbitcrm.example.",
        'E-mail: <a href="mailto:privacy@orbitcrm.example">privacy@orbitcrm.example</a>.',
    )


def material_edit(policy: str) -> str:
    return (
        cosmetic_edit(policy)
        .replace("deleted 60 days after the subscription ends", "deleted 18 months after the subscription ends")
        .replace(
            "and Chargebee for subscription billing.",
            "Chargebee for subscription billing, and Amplitude for product analytics.",
        )
    )


class World:
    """A vendor site and a Slack webhook on 127.0.0.1, a config pointing at them, and a way to run cycles."""

    def __init__(self, tmp_path: Path, server: LocalServer) -> None:
        self.server = server
        self.tick = 0
        self.policy = POLICY
        self.status = 200
        server.route("/robots.txt", Reply(200, "User-agent: *\nAllow: /\n", {"Content-Type": "text/plain"}))
        server.route("/legal/privacy", self.page)
        server.route("/slack/webhook", Reply(200, "ok", {"Content-Type": "text/plain"}))
        self.config = tmp_path / "config.yaml"
        self.config.write_text(
            "storage: snapshots/watcher.db\n"
            "fetch: {allow_private_networks: true, per_host_delay: 0, retries: 1, backoff: 0.05}\n"
            "slack: {webhook_url: '${TEST_SLACK_WEBHOOK}'}\n"
            f"vendors:\n  - name: Orbit CRM\n    url: {server.url('/legal/privacy')}\n"
        )
        self.env = {"TEST_SLACK_WEBHOOK": server.url("/slack/webhook")}

    def page(self, request) -> Reply:
        if self.status != 200:
            return Reply(self.status, "<h1>Service Unavailable</h1>", {"Content-Type": "text/html"})
        return Reply(
            200,
            render_page("Orbit CRM", self.policy, self.tick),
            {"Content-Type": "text/html; charset=utf-8"},
        )

    def run(self) -> list[dict]:
        """One `watcher run`; returns the Slack messages it posted."""
        self.tick += 1
        before = len(self.server.requests_to("/slack/webhook"))
        result = CliRunner().invoke(main, ["run", "--config", str(self.config)], env=self.env)
        assert result.exit_code == 0, result.output
        return [json.loads(r.body) for r in self.server.requests_to("/slack/webhook")[before:]]


@pytest.fixture
def world(tmp_path):
    with LocalServer() as server:
        yield World(tmp_path, server)


def message_text(message: dict) -> str:
    return json.dumps(message, ensure_ascii=False)


def test_lifecycle_posts_exactly_one_message_for_the_material_change(world):
    assert world.run() == []  # first version: recorded silently

    world.policy = cosmetic_edit(POLICY)
    assert world.run() == []  # date and link only

    world.policy = material_edit(POLICY)
    [message] = world.run()
    text = message_text(message)
    assert "Orbit CRM" in text
    assert "retention" in text and "sharing" in text
    assert "18 months" in text and "Amplitude" in text

    assert world.run() == []  # unchanged

    world.status = 503
    assert world.run() == []  # a broken page is a failed check, not a change


def test_a_server_error_is_recorded_as_a_failed_check_not_a_version(world):
    world.run()
    world.status = 503
    world.run()
    with Store(world.config.parent / "snapshots/watcher.db", readonly=True) as store:
        [status] = store.statuses()
        assert status.versions == 1
        assert status.last_outcome == "http_error" and "503" in (status.last_error or "")
        assert status.healthy and status.failures == 1


def test_failing_alert_once_and_recovered_alert_once(world):
    world.run()
    world.status = 500
    messages = [m for _ in range(4) for m in world.run()]
    assert len(messages) == 1 and "failing" in message_text(messages[0])
    world.status = 200
    world.policy = cosmetic_edit(POLICY)
    [recovered] = world.run()
    assert "reachable again" in message_text(recovered)
    assert world.run() == []


def test_slack_outage_keeps_the_alert_and_delivers_it_once_later(world):
    world.run()
    world.server.route("/slack/webhook", Reply(500, "internal_error"))
    world.policy = material_edit(POLICY)
    world.run()
    world.server.route("/slack/webhook", Reply(200, "ok"))
    accepted_before = len(world.server.requests_to("/slack/webhook"))
    world.run()  # unchanged page; the outbox delivers the kept alert
    delivered = world.server.requests_to("/slack/webhook")[accepted_before:]
    assert len(delivered) == 1 and "Amplitude" in delivered[0].body.decode()
    assert world.run() == []


def test_history_commands_show_the_change(world):
    world.run()
    world.policy = material_edit(POLICY)
    world.run()
    runner = CliRunner()
    args = ["--config", str(world.config)]
    history = runner.invoke(main, ["history", "Orbit CRM", "--json", *args], env=world.env)
    assert history.exit_code == 0, history.output
    events = json.loads(history.output)["events"]
    assert [e["event"] for e in events] == ["change", "first version"]
    assert events[0]["severity"] == "material"

    diff = runner.invoke(main, ["diff", "orbit crm", "--json", *args], env=world.env)
    assert diff.exit_code == 0, diff.output
    assert any("Amplitude" in h["after"] for h in json.loads(diff.output)["hunks"])

    show = runner.invoke(main, ["show", "Orbit CRM", *args], env=world.env)
    assert "Amplitude" in show.output and "Skip to content" not in show.output

    vendors = runner.invoke(main, ["vendors", *args], env=world.env)
    assert "Orbit CRM" in vendors.output and "material" in vendors.output

    missing = runner.invoke(main, ["history", "Nobody", *args], env=world.env)
    assert missing.exit_code == 1 and "Orbit CRM" in missing.output


def test_a_change_gone_on_the_confirming_fetch_records_nothing(world):
    world.run()
    pages = iter([material_edit(POLICY)])
    world.server.route("/legal/privacy", lambda request: Reply(200, next(pages, POLICY), {"Content-Type": "text/html"}))
    assert world.run() == []
    with Store(world.config.parent / "snapshots/watcher.db", readonly=True) as store:
        [status] = store.statuses()
        assert status.versions == 1 and status.last_outcome == "ok"


def test_text_that_differs_on_every_fetch_is_unstable_not_a_change(world):
    world.run()
    counter = iter(range(1000))

    def rotating(request):
        return Reply(200, material_edit(POLICY).replace("Amplitude", f"Vendor{next(counter)}"), {})

    world.server.route("/legal/privacy", rotating)
    assert world.run() == []
    with Store(world.config.parent / "snapshots/watcher.db", readonly=True) as store:
        [status] = store.statuses()
        assert status.versions == 1
        assert status.last_outcome == "unstable" and "differed between two fetches" in status.last_error


def shortened(policy: str) -> str:
    """The policy cut before its subprocessors section: most of its text gone, nothing after it."""
    return policy[: policy.index("<h2>Subprocessors</h2>")]


def rewritten_shorter(policy: str) -> str:
    """The policy without its middle sections: a vendor's much shorter rewrite, not a cut-off page."""
    return policy[: policy.index("<h2>Purposes</h2>")] + policy[policy.index("<h2>Children</h2>") :]


def test_a_shorter_policy_seen_once_is_a_broken_page_but_seen_repeatedly_is_a_rewrite(world):
    world.run()
    world.policy = rewritten_shorter(POLICY)
    assert world.run() == [] and world.run() == []  # most of the text gone: failed checks
    with Store(world.config.parent / "snapshots/watcher.db", readonly=True) as store:
        [status] = store.statuses()
        assert status.versions == 1 and status.last_outcome == "text_loss"
    [message] = world.run()  # the same shorter text a third time: the vendor's rewrite
    assert "material" in message_text(message) and "sharing" in message_text(message)
    with Store(world.config.parent / "snapshots/watcher.db", readonly=True) as store:
        [status] = store.statuses()
        assert status.versions == 2 and status.healthy


def test_a_truncated_page_between_good_ones_never_becomes_a_version(world):
    world.run()
    for policy in (shortened(POLICY), POLICY, shortened(POLICY), POLICY):
        world.policy = policy
        assert world.run() == []
    with Store(world.config.parent / "snapshots/watcher.db", readonly=True) as store:
        [status] = store.statuses()
        assert status.versions == 1


def test_a_new_normalizer_is_never_reported_as_the_vendors_change(world, monkeypatch):
    import dataclasses

    from watcher import pipeline
    from watcher.models import Block, BlockKind

    world.run()
    original = pipeline.normalize

    def newer_normalizer(*args, **kwargs):  # reads every page with one extra paragraph
        policy = original(*args, **kwargs)
        extra = Block(BlockKind.PARAGRAPH, "Text a better extractor now finds on every page.")
        return dataclasses.replace(policy, blocks=(*policy.blocks, extra))

    monkeypatch.setattr(pipeline, "normalize", newer_normalizer)
    monkeypatch.setattr(pipeline, "EXTRACTOR_VERSION", "next")
    assert world.run() == []
    with Store(world.config.parent / "snapshots/watcher.db", readonly=True) as store:
        [status] = store.statuses()
        assert status.versions == 1 and status.last_change is None
        [version] = store.versions(status.id)
        assert "a better extractor now finds" in version.text
