"""Delivering alerts to Slack, by incoming webhook or by bot token (chat.postMessage), with slack-sdk."""

from __future__ import annotations

import http.client
import logging
import math
import re
import time
from collections.abc import Mapping
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.error import URLError
from urllib.parse import urlsplit

from watcher.models import Alert
from watcher.notify.message import slack_payload
from watcher.notify.reporter import DeliveryError

if TYPE_CHECKING:  # slack_sdk takes ~90 ms to import: runs that only print to the console skip it
    from slack_sdk import WebClient
    from slack_sdk.webhook import WebhookClient

# slack-sdk logs request URLs (the webhook's secret path) and headers (the bot token) at debug level, and
# every failure at error level. This logger hears none of it; DeliveryError says what went wrong, no secrets.
_SDK_LOGGER = logging.Logger("watcher.notify.slack_sdk", level=logging.CRITICAL + 1)

_ERROR_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")
_HINTS = {
    "channel_not_found": "check the channel name or ID, and that the bot can see it",
    "not_in_channel": "invite the bot to the channel (/invite @app)",
    "is_archived": "the channel is archived: unarchive it or choose another",
    "channel_is_archived": "the channel is archived: unarchive it or create a new webhook",
    "invalid_auth": "check the Slack bot token",
    "not_authed": "check the Slack bot token",
    "token_revoked": "the Slack token was revoked: create a new one",
    "token_expired": "the Slack token expired: create a new one",
    "account_inactive": "the Slack token belongs to a deactivated user or app",
    "missing_scope": "give the bot token the chat:write scope",
    "no_service": "the webhook was removed or revoked: create a new one",
    "invalid_token": "the webhook was removed or revoked: create a new one",
    "action_prohibited": "a Slack admin has restricted posting to this channel",
    "posting_to_general_channel_denied": "only admins may post to this channel: choose another",
}


class SlackWebhookReporter:
    """Posts alerts to a Slack incoming webhook, which answers "ok" when it accepts a message."""

    def __init__(self, webhook_url: str, *, timeout: float = 10.0) -> None:
        from slack_sdk.webhook import WebhookClient

        self._host = _checked_url(webhook_url, "Slack webhook URL")
        self._timeout = timeout
        # No retry handlers: a failed message stays in the outbox and is retried on the next run.
        self._client: WebhookClient = WebhookClient(
            webhook_url,
            timeout=timeout,  # type: ignore[arg-type]  # urlopen takes float seconds
            retry_handlers=[],
            logger=_SDK_LOGGER,
        )

    def __repr__(self) -> str:  # the URL's path is the secret
        return f"SlackWebhookReporter(host={self._host!r})"

    def send(self, alert: Alert) -> None:
        from slack_sdk.errors import SlackClientError

        try:
            response = self._client.send_dict(slack_payload(alert))
        except (OSError, http.client.HTTPException, SlackClientError) as error:
            # `from None`: a chained urllib/slack-sdk error may quote the URL.
            raise _transport_error(error, "Slack webhook", self._timeout) from None
        status, body = response.status_code, (response.body or "").strip()
        if status == 200 and body == "ok":
            return
        if status == 429:
            retry_after = _retry_after(response.headers)
            raise DeliveryError(_rate_limited("Slack webhook", retry_after), retry_after=retry_after)
        raise DeliveryError(_rejected("Slack webhook", status, body if _ERROR_CODE.fullmatch(body) else None))


class SlackBotReporter:
    """Posts alerts to a channel with a bot token through chat.postMessage, which answers {"ok": true}."""

    def __init__(self, token: str, channel: str, *, base_url: str | None = None, timeout: float = 10.0) -> None:
        from slack_sdk import WebClient

        if not token or any(ch.isspace() or not ch.isprintable() for ch in token):
            # The token is never echoed: a malformed one would otherwise land in an http.client error.
            raise ValueError("Slack bot token is empty or malformed: check the slack token setting")
        if not channel.strip():
            raise ValueError("Slack channel is empty: set a channel name (#privacy) or ID (C0123456789)")
        self.channel = channel.strip()
        self._timeout = timeout
        options: dict[str, Any] = {}
        if base_url is not None:
            _checked_url(base_url, "Slack API base URL")
            options["base_url"] = base_url if base_url.endswith("/") else base_url + "/"
        self._client: WebClient = WebClient(
            token=token,
            timeout=timeout,  # type: ignore[arg-type]  # urlopen takes float seconds
            retry_handlers=[],  # the outbox retries on the next run; a run must never be stuck here
            logger=_SDK_LOGGER,
            **options,
        )

    def __repr__(self) -> str:  # never the token
        return f"SlackBotReporter(channel={self.channel!r})"

    def send(self, alert: Alert) -> None:
        from slack_sdk.errors import SlackApiError, SlackClientError

        try:
            self._client.chat_postMessage(channel=self.channel, **slack_payload(alert))
        except SlackApiError as error:
            response = error.response
            data = response.data if isinstance(response.data, dict) else {}
            code = data.get("error")
            code = code if isinstance(code, str) and _ERROR_CODE.fullmatch(code) else None
            if response.status_code == 429 or code == "ratelimited":
                retry_after = _retry_after(response.headers)
                raise DeliveryError(
                    _rate_limited("Slack chat.postMessage", retry_after), retry_after=retry_after
                ) from None
            raise DeliveryError(_rejected("Slack chat.postMessage", response.status_code, code)) from None
        except (OSError, http.client.HTTPException, SlackClientError) as error:
            raise _transport_error(error, "Slack chat.postMessage", self._timeout) from None


def _checked_url(url: str, what: str) -> str:
    """The URL's host, after checking it is a usable http(s) URL; errors never quote the URL itself."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{what} must be an http(s) URL, e.g. https://hooks.slack.com/services/…")
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise ValueError(f"{what} contains spaces or control characters: copy it again from Slack")
    return parts.hostname


def _rejected(what: str, status: int, code: str | None) -> str:
    if code is None:
        return f"{what} answered HTTP {status}"
    hint = _HINTS.get(code)
    where = f"{what} refused the message: {code}" + ("" if status == 200 else f" (HTTP {status})")
    return f"{where}; {hint}" if hint else where


def _rate_limited(what: str, retry_after: float | None) -> str:
    when = f"; retry after {retry_after:g} s" if retry_after is not None else ""
    return f"{what} is rate limited (HTTP 429){when}"


def _transport_error(error: Exception, what: str, timeout: float) -> DeliveryError:
    """A DeliveryError for a message that never got an answer; its text names the cause, not the URL."""
    reason: object = error.reason if isinstance(error, URLError) else error
    if isinstance(reason, TimeoutError):
        return DeliveryError(f"{what} did not answer within {timeout:g} s")
    if isinstance(reason, OSError):
        detail = reason.strerror or type(reason).__name__
        return DeliveryError(f"could not reach {what}: {detail}")
    if isinstance(reason, http.client.HTTPException):
        return DeliveryError(f"{what} broke off the answer ({type(reason).__name__})")
    return DeliveryError(f"could not send to {what} ({type(reason).__name__})")


def _retry_after(headers: Mapping[str, Any] | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date), or None when absent or unreadable."""
    for name, value in (headers or {}).items():
        if name.lower() != "retry-after":
            continue
        value = value[0] if isinstance(value, list | tuple) and value else value
        text = str(value).strip()
        try:
            seconds = float(text)
        except ValueError:
            try:
                moment = parsedate_to_datetime(text)
            except (TypeError, ValueError):
                return None
            if moment.tzinfo is None:  # "-0000": UTC, with no claim about the sender's zone
                moment = moment.replace(tzinfo=UTC)
            seconds = moment.timestamp() - time.time()
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    return None
