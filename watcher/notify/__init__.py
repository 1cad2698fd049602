"""Telling people about alerts: the message content, and reporters that deliver it to Slack or the console."""

from watcher.notify.console import ConsoleReporter
from watcher.notify.message import alert_blocks, alert_text, slack_payload
from watcher.notify.reporter import DeliveryError, Reporter
from watcher.notify.slack import SlackBotReporter, SlackWebhookReporter

__all__ = [
    "ConsoleReporter",
    "DeliveryError",
    "Reporter",
    "SlackBotReporter",
    "SlackWebhookReporter",
    "alert_blocks",
    "alert_text",
    "slack_payload",
]
