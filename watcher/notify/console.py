"""Printing alerts to a terminal (a rich panel) or to a log or pipe (plain text) when Slack is not set up."""

from __future__ import annotations

import sys
from typing import TextIO

from watcher.models import Alert, AlertKind, Finding, Severity
from watcher.notify.message import alert_facts, alert_title, clip, ordered_findings
from watcher.notify.reporter import DeliveryError

QUOTE_CHARS = 1000  # before/after sentences; the history browser shows them whole

_SEVERITY_STYLE = {
    Severity.MATERIAL: "bold red",
    Severity.MINOR: "yellow",
    Severity.COSMETIC: "dim",
    Severity.NONE: "dim",
}


class ConsoleReporter:
    """Prints each alert, with every finding; a panel on a terminal, plain lines anywhere else."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    def __repr__(self) -> str:
        return f"ConsoleReporter(stream={getattr(self._stream, 'name', self._stream)!r})"

    def send(self, alert: Alert) -> None:
        # sys.stdout is looked up per alert, so a redirected or captured stdout is honoured.
        stream = self._stream if self._stream is not None else sys.stdout
        try:
            if _is_terminal(stream):
                _print_panel(alert, stream)
            else:
                stream.write(_encodable(render_plain(alert), stream))
                stream.flush()
        except (OSError, ValueError) as error:  # a closed or broken stream
            raise DeliveryError(f"could not print the alert: {error}") from error


def render_plain(alert: Alert) -> str:
    """The alert as plain lines of text, ending with a blank line."""
    lines = [alert_title(alert)]
    facts = alert_facts(alert)
    width = max(len(label) for label, _ in facts) + 1
    lines += [f"  {label + ':':<{width}} {value}" for label, value in facts]
    for finding in ordered_findings(alert):
        lines.append(f"  - {_summary(finding)}")
        if finding.section.strip():
            lines.append(f"      in: {clip(finding.section, 200)}")
        if finding.before.strip():
            lines.append(f"      Before: {clip(finding.before, QUOTE_CHARS)}")
        if finding.after.strip():
            lines.append(f"      After:  {clip(finding.after, QUOTE_CHARS)}")
    lines += _links(alert)
    return "\n".join(lines) + "\n\n"


def _summary(finding: Finding) -> str:
    return f"{clip(finding.summary or finding.category, 300)} [{finding.severity.label}]"


def _links(alert: Alert) -> list[str]:
    links = [f"  Source: {clip(alert.url, 2000)}"]
    if alert.link:
        links.append(f"  Change: {clip(alert.link, 2000)}")
    return links


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (OSError, ValueError):
        return False


def _encodable(text: str, stream: TextIO) -> str:
    # A log opened as ASCII (cron's C locale) must not fail delivery over an arrow or a quoted sentence.
    encoding = getattr(stream, "encoding", None)
    if not encoding:
        return text
    try:
        return text.encode(encoding, "replace").decode(encoding)
    except LookupError:
        return text


def _print_panel(alert: Alert, stream: TextIO) -> None:
    # Rich is imported here: most runs print nothing, or print to a pipe.
    from rich.console import Console, Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    severity_style = _SEVERITY_STYLE[alert.assessment.severity]
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    for label, value in alert_facts(alert):
        # Text objects, never markup strings: policy text must not be read as rich markup.
        facts.add_row(label, Text(value, style=severity_style if label == "Severity" else ""))
    parts: list[Table | Text] = [facts]
    for finding in ordered_findings(alert):
        text = Text("\n")
        text.append(_summary(finding), style=_SEVERITY_STYLE[finding.severity] + " bold")
        if finding.section.strip():
            text.append(f"\n  in {clip(finding.section, 200)}", style="italic")
        if finding.before.strip():
            text.append("\n  Before: ", style="bold")
            text.append(clip(finding.before, QUOTE_CHARS), style="red strike")
        if finding.after.strip():
            text.append("\n  After:  ", style="bold")
            text.append(clip(finding.after, QUOTE_CHARS), style="green")
        parts.append(text)
    parts.append(Text("\n" + "\n".join(line.strip() for line in _links(alert)), style="dim"))
    border = {AlertKind.CHANGE: severity_style, AlertKind.FAILING: "red"}.get(alert.kind, "green")
    console = Console(file=stream, highlight=False, soft_wrap=False)
    console.print(Panel(Group(*parts), title=Text(alert_title(alert), style="bold"), border_style=border))
