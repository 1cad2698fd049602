"""The Atom feed of changes (RFC 4287), built with ElementTree so that policy text can never break the XML."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from xml.etree import ElementTree

from watcher.models import Change

ATOM = "http://www.w3.org/2005/Atom"
ElementTree.register_namespace("", ATOM)  # entries serialize as <entry>, not <ns0:entry>
# Characters XML 1.0 forbids even escaped; a vendor's page may carry them, the feed must still parse.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def change_title(change: Change) -> str:
    kind = "flip back to an earlier version" if change.flip else f"{change.assessment.severity.label} change"
    categories = ", ".join(change.assessment.categories)
    return f"{change.vendor} / {change.document}: {kind}" + (f" ({categories})" if categories else "")


def atom_feed(changes: list[Change], *, title: str, base_url: str, self_url: str) -> bytes:
    """`changes` newest first, each linking to its page under `base_url`."""

    def add(parent: ElementTree.Element, tag: str, text: str | None = None, **attributes: str) -> ElementTree.Element:
        element = ElementTree.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
        if text is not None:
            element.text = _text(text)
        return element

    feed = ElementTree.Element(f"{{{ATOM}}}feed")
    add(feed, "id", self_url)
    add(feed, "title", title)
    add(feed, "updated", _when(changes[0].to_date if changes else datetime.now(UTC)))
    add(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    add(feed, "link", rel="alternate", type="text/html", href=f"{base_url}/")
    add(add(feed, "author"), "name", "policy-watcher")
    add(feed, "generator", "policy-watcher")
    for change in changes:
        link = f"{base_url}/changes/{change.id}"
        entry = add(feed, "entry")
        add(entry, "id", link)
        add(entry, "title", change_title(change))
        add(entry, "updated", _when(change.to_date))
        add(entry, "link", rel="alternate", type="text/html", href=link)
        for category in change.assessment.categories:
            add(entry, "category", term=category)
        lines = [f"Severity: {change.assessment.severity.label}"]
        lines += [f"- {finding.summary}" for finding in change.assessment.findings]
        lines.append(f"Source: {change.url}")
        add(entry, "summary", "\n".join(lines), type="text")
    return ElementTree.tostring(feed, encoding="utf-8", xml_declaration=True)
