"""Secrets never leak: the Slack webhook URL (whose path is the secret) and the bot token appear in no log line
at debug level, no error, no `--json` output and nowhere in the database, whether delivery works or fails."""

from __future__ import annotations

import json
import logging
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from localserver import LocalServer, Reply, Request
from pages import HTML, KESTREL, Watch, closed_port, kestrel_policy, material, page

from watcher.cli import main
from watcher.config import load_config
from watcher.pipeline import run_once

POLICY = kestrel_policy()
PATH = "/legal/privacy"


def secret_token() -> str:
    return "Zq" + uuid.uuid4().hex  # unique: found only where the secret itself went


class Secrets:
    """A watched vendor, a Slack that uses a secret, and everything a user or a log collector could see."""

    def __init__(self, tmp_path: Path, server: LocalServer, *, bot: bool) -> None:
        self.server = server
        self.secret = secret_token()
        self.seen: list[str] = []
        server.route(PATH, Reply(200, page(KESTREL, POLICY, 1), HTML))
        self.watch = Watch(tmp_path, server, {KESTREL: PATH})
        if bot:
            self.answer = {"ok": True, "channel": "C0PRIVACY", "ts": "1767225600.000100"}
            server.route("/api/chat.postMessage", self._api)
            config = self.watch.config.read_text().replace(
                "slack: {webhook_url: '${TEST_SLACK_WEBHOOK}'}",
                "slack: {token: '${TEST_SLACK_TOKEN}', channel: '#vendor-privacy', base_url: '"
                + server.url("/api/")
                + "'}",
            )
            self.watch.config.write_text(config)
            self.watch.env = {"TEST_SLACK_TOKEN": f"xoxb-1234-{self.secret}"}
        else:
            path = f"/services/T0KESTREL/B0ALERTS/{self.secret}"
            self.watch.slack.path = path
            self.watch.slack.url = server.url(path)
            server.route(path, self.watch.slack._handle)
            self.watch.env = {"TEST_SLACK_WEBHOOK": self.watch.slack.url}

    def _api(self, request: Request) -> Reply:
        assert self.secret in request.headers.get("Authorization", "")  # the stand-in does get the token
        status = 429 if self.answer.get("error") == "ratelimited" else 200
        return Reply(status, json.dumps(self.answer), {"Content-Type": "application/json", "Retry-After": "7"})

    def cli(self, *args: str) -> str:
        result = CliRunner().invoke(main, [*args, "--config", str(self.watch.config)], env=self.watch.env)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        self.seen.append(result.output)
        return result.output

    def everything(self) -> str:
        """All output so far, and the database's files byte for byte (an error kept with an alert included)."""
        stored = b"".join(p.read_bytes() for p in self.watch.database.parent.iterdir() if p.is_file())
        return "\n".join(self.seen) + stored.decode("latin-1")

    def change_the_policy(self) -> None:
        self.server.route(PATH, Reply(200, page(KESTREL, material(POLICY), 2), HTML))


@pytest.mark.parametrize("bot", [False, True], ids=["webhook", "bot-token"])
def test_no_secret_in_debug_logs_errors_or_json_when_delivery_fails_and_works(
    tmp_path: Path, server: LocalServer, bot: bool
) -> None:
    world = Secrets(tmp_path, server, bot=bot)
    world.cli("-v", "run")
    world.change_the_policy()
    if bot:
        world.answer = {"ok": False, "error": "invalid_auth"}
    else:
        world.watch.slack.answer = Reply(500, "internal_error")

    failed = world.cli("-v", "run")

    assert "kept in the outbox" in failed  # the failure is reported...
    assert ("check the Slack bot token" if bot else "HTTP 500") in failed  # ...with what went wrong
    if bot:
        world.answer = {"ok": False, "error": "ratelimited"}
        assert "rate limited" in world.cli("-v", "run")
        world.answer = {"ok": True, "channel": "C0PRIVACY", "ts": "1767225600.000200"}
    else:
        world.watch.slack.answer = Reply(200, "ok")
    assert "1 alert(s) delivered" in world.cli("-v", "run")
    world.cli("vendors", "--json")
    world.cli("history", KESTREL, "--json")
    world.cli("vendors")

    assert world.secret not in world.everything()


def test_no_secret_when_slack_cannot_be_reached(tmp_path: Path, server: LocalServer) -> None:
    world = Secrets(tmp_path, server, bot=False)
    world.cli("run")
    unreachable = f"http://127.0.0.1:{closed_port()}/services/T0KESTREL/B0ALERTS/{world.secret}"
    world.watch.env = {"TEST_SLACK_WEBHOOK": unreachable}
    world.change_the_policy()

    output = world.cli("-v", "run")

    assert "could not reach Slack webhook" in output
    assert world.secret not in world.everything()


@pytest.mark.parametrize("bot", [False, True], ids=["webhook", "bot-token"])
def test_no_secret_in_any_log_record_of_the_library(
    tmp_path: Path, server: LocalServer, bot: bool, caplog: pytest.LogCaptureFixture
) -> None:
    # Without the CLI's redacting log filter: the library itself (and httpx, slack-sdk) must not log secrets.
    world = Secrets(tmp_path, server, bot=bot)
    config = load_config(world.watch.config, world.watch.env)
    caplog.set_level(logging.DEBUG)
    run_once(config)
    world.change_the_policy()
    if bot:
        world.answer = {"ok": False, "error": "channel_not_found"}
    else:
        world.watch.slack.answer = Reply(404, "no_service")

    report = run_once(config)

    assert report.delivery_error is not None and world.secret not in report.delivery_error
    assert world.secret not in repr(config) and world.secret not in repr(report)
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "slack" in logged.lower()  # the failure was logged...
    assert world.secret not in logged  # ...without the secret
