"""The contract every alert sink (Slack, console) honours, and the error raised when it refuses a message."""

from __future__ import annotations

from typing import Protocol

from watcher.models import Alert


class DeliveryError(Exception):
    """Slack (or another sink) did not accept the message; `retry_after` is set when it said when to retry.

    Messages name what went wrong and how to fix it, never the webhook URL or the token.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Reporter(Protocol):
    """Says one alert somewhere. Returns when the message was accepted, raises DeliveryError when not."""

    def send(self, alert: Alert) -> None: ...
