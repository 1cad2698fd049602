"""What an alert says (title, facts, findings), as plain text and as Slack Block Kit, for any transport."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from watcher.models import Alert, AlertKind, Finding, Severity

# Slack's Block Kit limits (docs.slack.dev/reference/block-kit): a message over any of them is rejected whole.
HEADER_LIMIT = 150
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
FIELDS_PER_SECTION = 10
CONTEXT_ELEMENTS = 10
MAX_BLOCKS = 50

# Budgets well inside those limits: a channel reader skims, and the change page holds the full text.
MAX_FINDINGS = 20  # finding sections per message; header, facts, divider, "…and N more" and links take 5 more
SUMMARY_CHARS = 300
SECTION_NAME_CHARS = 200
QUOTE_CHARS = 1000  # each of before and after
FIELD_CHARS = 1500
LINK_LABEL_CHARS = 200
URL_CHARS = 2000  # a longer URL is shown as text rather than linked

SEVERITY_EMOJI = {
    Severity.MATERIAL: ":red_circle:",
    Severity.MINOR: ":large_orange_circle:",
    Severity.COSMETIC: ":white_circle:",
    Severity.NONE: ":white_circle:",
}

# Control characters other than whitespace (terminal escapes included), and bidirectional overrides that can
# make policy text read differently from what it says ("Trojan Source").
_INVISIBLE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_MRKDWN_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


# ------------------------------------------------------------------------------------------ plain content


def clean(text: str) -> str:
    """Policy text made safe to show: control characters dropped, whitespace runs collapsed to one space."""
    return " ".join(_INVISIBLE.sub("", text).split())


def clip(text: str, limit: int) -> str:
    """`text` cleaned and cut to at most `limit` characters (as Slack counts them), ending in "…" when cut."""
    return _cut(clean(text), limit, {})


def document_phrase(alert: Alert) -> str:
    """The document as a phrase: "privacy policy" for the usual one, else its own name ("Cookie Policy")."""
    name = clean(alert.document)
    return "privacy policy" if name.lower() in ("", "privacy policy") else name


def alert_title(alert: Alert) -> str:
    """One line naming the vendor and what happened: "Acme: privacy policy changed"."""
    vendor = clean(alert.vendor)
    phrase = document_phrase(alert)
    if alert.kind is AlertKind.CHANGE:
        return f"{vendor}: {phrase} changed"
    page = "policy page" if phrase == "privacy policy" else f"{phrase} page"
    if alert.kind is AlertKind.FAILING:
        return f"{vendor}: {page} failing"
    return f"{vendor}: {page} reachable again"


def alert_text(alert: Alert) -> str:
    """Short plain text for notifications and screen readers: "Acme privacy policy changed (material: …)"."""
    vendor = clean(alert.vendor)
    phrase = document_phrase(alert)
    if alert.kind is AlertKind.CHANGE:
        assessment = alert.assessment
        detail = assessment.severity.label
        if assessment.categories:
            detail += ": " + ", ".join(assessment.categories)
        return f"{vendor} {phrase} changed ({detail})"
    if alert.kind is AlertKind.FAILING:
        text = f"{vendor} {phrase} page failing since {_moment(failing_since(alert))}"
        return f"{text}: {clip(alert.reason, SUMMARY_CHARS)}" if alert.reason.strip() else text
    return f"{vendor} {phrase} page reachable again"


def failing_since(alert: Alert) -> datetime:
    """When a document started failing: the alert's from_date when set, else when the alert was raised."""
    return alert.from_date or alert.created_at


def alert_facts(alert: Alert) -> list[tuple[str, str]]:
    """The alert's facts as (label, value) pairs, in display order; values are cleaned but not clipped."""
    document = clean(alert.document) or "Privacy Policy"
    if alert.kind is AlertKind.CHANGE:
        assessment = alert.assessment
        facts = [
            ("Severity", assessment.severity.label),
            ("Categories", ", ".join(assessment.categories) or "none"),
            ("Document", document),
        ]
        if alert.from_date or alert.to_date:
            facts.append(("Versions", f"{_day(alert.from_date)} → {_day(alert.to_date)}"))
        return facts
    if alert.kind is AlertKind.FAILING:
        return [
            ("Document", document),
            ("Failing since", _moment(failing_since(alert))),
            ("Reason", clean(alert.reason) or "unknown"),
        ]
    return [("Document", document), ("Reachable again", _moment(alert.created_at))]


def ordered_findings(alert: Alert) -> list[Finding]:
    """The change's findings, most severe first (stable), so that a capped list drops the least important."""
    if alert.kind is not AlertKind.CHANGE:
        return []
    return sorted(alert.assessment.findings, key=lambda finding: -finding.severity)


def more_changes(count: int) -> str:
    return f"…and {count} more change{'' if count == 1 else 's'}"


def _day(moment: datetime | None) -> str:
    return moment.date().isoformat() if moment else "?"


def _moment(moment: datetime) -> str:
    if moment.tzinfo is None:
        return f"{moment:%Y-%m-%d %H:%M}"
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


# ---------------------------------------------------------------------------------------------- Block Kit


def mrkdwn_escape(text: str) -> str:
    """Escape Slack's control characters so untrusted text cannot form mentions (<!channel>) or links."""
    return "".join(_MRKDWN_ESCAPES.get(ch, ch) for ch in text)


def mrkdwn(text: str, limit: int) -> str:
    """Untrusted `text` cleaned, escaped and cut to `limit` Slack characters (an entity is never split)."""
    return _cut(clean(text), limit, _MRKDWN_ESCAPES)


def _cut(text: str, limit: int, escapes: dict[str, str]) -> str:
    if len(text) <= limit:  # an escaped text is never shorter, so only a short one can fit whole
        whole = "".join(escapes.get(ch, ch) for ch in text)
        if _slack_len(whole) <= limit:
            return whole
    pieces: list[str] = []
    used = 1  # room for the ellipsis
    for ch in text:
        piece = escapes.get(ch, ch)
        used += _slack_len(piece)
        if used > limit:
            break
        pieces.append(piece)
    return "".join(pieces).rstrip() + "…"


def _slack_len(text: str) -> int:
    # Slack counts UTF-16 code units: a character outside the BMP (most emoji) counts twice.
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _md(text: str) -> dict[str, Any]:
    # verbatim: Slack must not turn bare URLs, #channels or @here in policy text into links or mentions.
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _link(url: str, label: str) -> str:
    """A mrkdwn link to an http(s) URL, or the escaped URL as text when it cannot be linked safely."""
    url = clean(url)
    label_text = mrkdwn(label, LINK_LABEL_CHARS)
    if urlsplit(url).scheme.lower() not in ("http", "https") or len(url) > URL_CHARS:
        return mrkdwn(url, LINK_LABEL_CHARS)
    target = mrkdwn_escape(url.replace("|", "%7C"))
    return f"<{target}|{label_text}>"


def _header(alert: Alert) -> dict[str, Any]:
    title = alert_title(alert)
    vendor = clean(alert.vendor)
    if _slack_len(title) > HEADER_LIMIT:  # shorten the vendor's name, keep what happened
        rest = title[len(vendor) :]
        title = clip(vendor, max(HEADER_LIMIT - _slack_len(rest), 20)) + rest
        title = clip(title, HEADER_LIMIT)
    return {"type": "header", "text": _plain(title)}


def _facts_block(alert: Alert) -> dict[str, Any]:
    fields = []
    for label, value in alert_facts(alert)[:FIELDS_PER_SECTION]:
        shown = mrkdwn(value, FIELD_CHARS)
        if label == "Severity":
            shown = f"{SEVERITY_EMOJI[alert.assessment.severity]} {shown}"
        elif label == "Failing since":
            shown = f":warning: {shown}"
        elif label == "Reachable again":
            shown = f":white_check_mark: {shown}"
        fields.append(_md(f"*{label}*\n{shown}"))
    return {"type": "section", "fields": fields}


def _finding_block(finding: Finding) -> dict[str, Any]:
    lines = [f"*{mrkdwn(finding.summary or finding.category, SUMMARY_CHARS)}*"]
    if finding.section.strip():
        lines.append(f"_in {mrkdwn(finding.section, SECTION_NAME_CHARS)}_")
    if finding.before.strip():
        lines.append(f"> *Before:* ~{mrkdwn(finding.before, QUOTE_CHARS)}~")
    if finding.after.strip():
        lines.append(f"> *After:* {mrkdwn(finding.after, QUOTE_CHARS)}")
    return {"type": "section", "text": _md("\n".join(lines))}


def _links_block(alert: Alert) -> dict[str, Any]:
    elements = [_md(f"Source: {_link(alert.url, alert.url)}")]
    if alert.link:
        # A mrkdwn link, not a button: buttons need an interactive Slack app, a webhook has none.
        elements.append(_md(_link(alert.link, "View the change")))
    return {"type": "context", "elements": elements[:CONTEXT_ELEMENTS]}


def alert_blocks(alert: Alert) -> list[dict[str, Any]]:
    """The alert as Block Kit blocks, within Slack's limits however many findings and however long."""
    blocks = [_header(alert), _facts_block(alert)]
    findings = ordered_findings(alert)
    if findings:
        blocks.append({"type": "divider"})
        blocks.extend(_finding_block(finding) for finding in findings[:MAX_FINDINGS])
        if len(findings) > MAX_FINDINGS:
            blocks.append({"type": "section", "text": _md(f"_{more_changes(len(findings) - MAX_FINDINGS)}_")})
    blocks.append(_links_block(alert))
    return blocks[:MAX_BLOCKS]


def slack_payload(alert: Alert) -> dict[str, Any]:
    """The message body both Slack transports send: blocks, escaped fallback text, no link previews."""
    return {
        "text": mrkdwn(alert_text(alert), SECTION_LIMIT),
        "blocks": alert_blocks(alert),
        # Previews of vendor pages (or of links planted in policy text) are noise in an alerts channel.
        "unfurl_links": False,
        "unfurl_media": False,
    }
