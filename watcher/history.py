"""Reading the snapshot history: timelines, versions as of a date, comparisons. Shared by the CLI and the
web pages, which only format what these functions return."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from watcher.classify import assess
from watcher.diff import diff_policies
from watcher.models import Assessment, Change, Diff, Version
from watcher.normalize import count_words, parse
from watcher.serialize import assessment_json, finding_to_json

if TYPE_CHECKING:  # the store (sqlite-utils) is only needed by callers that have one
    from watcher.store import DocumentStatus, Snapshot, Store


class NotFound(Exception):
    """No such vendor, document or version; the message says what exists instead."""


class Comparison(NamedTuple):
    old: Version
    new: Version
    diff: Diff
    assessment: Assessment


def resolve_document(store: Store, vendor: str, document: str | None) -> tuple[int, str]:
    documents = store.document_ids(vendor)
    if not documents:
        known = sorted({s.vendor for s in store.statuses()})
        raise NotFound(f"no vendor {vendor!r} in the history (known: {', '.join(known) or 'none yet'})")
    if document is None:
        if len(documents) > 1:
            names = ", ".join(name for _, name in documents)
            raise NotFound(f"{vendor} has several documents ({names}): choose one with --document")
        return documents[0]
    for document_id, name in documents:
        if name.casefold() == document.casefold():
            return document_id, name
    raise NotFound(f"{vendor} has no document {document!r} (it has: {', '.join(n for _, n in documents)})")


def timeline(store: Store, document_id: int) -> dict[str, Any]:
    """Versions, changes and failed checks of a document, newest first."""
    status = document_status(store, document_id)
    events: list[dict[str, Any]] = []
    changes = store.changes(document_id)
    introduced = {c.to_version for c in changes}
    for version in store.versions(document_id):
        if version.id not in introduced:
            events.append(
                {
                    "date": _iso(version.first_seen),
                    "event": "first version",
                    "version": version.id,
                    "detail": f"{count_words(version.text)} words",
                }
            )
    for change in changes:
        events.append(
            {
                "date": _iso(change.to_date),
                "event": "flip" if change.flip else "change",
                "change": change.id,
                "version": change.to_version,
                "from_version": change.from_version,
                "severity": change.assessment.severity.label,
                "categories": list(change.assessment.categories),
                "detail": "; ".join(f.summary for f in change.assessment.findings[:3])
                or ", ".join(change.assessment.categories),
                "findings": [finding_to_json(f) for f in change.assessment.findings],
            }
        )
    for check in store.checks(document_id, limit=200):
        if not check.outcome.is_success:
            events.append(
                {
                    "date": _iso(check.at),
                    "event": "check failed",
                    "outcome": check.outcome.value,
                    "status": check.status,
                    "detail": check.error or check.outcome.value,
                }
            )
    # Newest first; within one second, a document's first version precedes its changes.
    rank = {"first version": 0, "check failed": 1, "change": 2, "flip": 2}
    events.sort(key=lambda e: (e["date"], rank[e["event"]], e.get("change") or e.get("version") or 0), reverse=True)
    return {**status_json(status), "events": events}


def pick_version(store: Store, document_id: int, version_id: int | None, at: datetime | None) -> Version:
    if version_id is not None:
        version = store.version(version_id)
        if version is None or version.document_id != document_id:
            raise NotFound(f"no version {version_id} of this document (see `watcher history`)")
        return version
    if at is None:
        version = store.latest_version(document_id)
        if version is None:
            raise NotFound("no version recorded yet")
        return version
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    # The version in force at `at`: the target of the last change before it, or the first version.
    in_force = None
    for change in reversed(store.changes(document_id)):
        if change.to_date <= at:
            in_force = change.to_version
    if in_force is None:
        first = store.versions(document_id)[-1:]
        if not first or first[0].first_seen > at:
            raise NotFound(f"no version was recorded yet at {at:%Y-%m-%d %H:%M} UTC")
        return first[0]
    version = store.version(in_force)
    assert version is not None
    return version


def raw_page(store: Store, version_id: int) -> Snapshot | None:
    digest = store.version_snapshot(version_id)
    return store.snapshot(digest) if digest else None


def compare_versions(store: Store, document_id: int, from_id: int | None, to_id: int | None) -> Comparison:
    """Two versions and their classified diff; by default the latest change."""
    changes = store.changes(document_id)
    if to_id is None and from_id is None:
        if not changes:
            raise NotFound("no change recorded yet: only one version")
        from_id, to_id = changes[0].from_version, changes[0].to_version
    new = pick_version(store, document_id, to_id, None)
    if from_id is None:
        earlier = [c for c in changes if c.to_version == new.id]
        if not earlier:
            raise NotFound(f"version {new.id} has no earlier version: pass --from")
        from_id = earlier[0].from_version
    old = pick_version(store, document_id, from_id, None)
    change = diff_policies(parse(old.text), parse(new.text))
    return Comparison(old, new, change, assess(change))


# ----------------------------------------------------------------------------------------------- json


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="seconds") if moment else None


def status_json(status: DocumentStatus) -> dict[str, Any]:
    return {
        "vendor": status.vendor,
        "document": status.document,
        "url": status.url,
        "health": "ok" if status.healthy else "failing",
        "consecutive_failures": status.failures,
        "last_check": _iso(status.last_check),
        "last_outcome": status.last_outcome,
        "last_error": status.last_error,
        "versions": status.versions,
        "last_change": _iso(status.last_change),
        "last_severity": status.last_severity.label if status.last_severity else None,
        "last_categories": list(status.last_categories),
    }


def version_json(version: Version) -> dict[str, Any]:
    return {
        "id": version.id,
        "first_seen": _iso(version.first_seen),
        "last_seen": _iso(version.last_seen),
        "digest": version.digest,
        "text": version.text,
    }


def change_json(change: Change) -> dict[str, Any]:
    return {
        "id": change.id,
        "vendor": change.vendor,
        "document": change.document,
        "url": change.url,
        "from_version": change.from_version,
        "to_version": change.to_version,
        "flip": change.flip,
        "detected_at": _iso(change.to_date),
        **assessment_json(change.assessment, changed=True),
    }


def comparison_json(comparison: Comparison) -> dict[str, Any]:
    old, new, change, assessment = comparison
    return {
        "from_version": version_json(old) | {"text": None},
        "to_version": version_json(new) | {"text": None},
        **assessment_json(assessment, changed=change.changed),
        "moved": change.moved,
        "hunks": [
            {
                "kind": h.kind.value,
                "section": h.section,
                "before": h.before,
                "after": h.after,
                "ops": [[op, text] for op, text in h.ops],
            }
            for h in change.hunks
        ],
    }


# ------------------------------------------------------------------------ periods in force, as-of dates


class Period(NamedTuple):
    """A stretch of time during which one version was the document's text."""

    version: int
    start: datetime
    end: datetime | None  # None: still in force
    change: int | None  # the change that brought it into force (None: the first version)
    ended_by: int | None  # the change that ended it


def periods_by_document(store: Store, document_ids: list[int]) -> dict[int, list[Period]]:
    """Each document's periods, oldest first. A version a flip returns to has several periods."""
    by_document: dict[int, list[tuple[int, datetime, int | None]]] = {}
    for document_id, version_id, since, change_id in store.succession(document_ids):
        by_document.setdefault(document_id, []).append((version_id, since, change_id))
    periods: dict[int, list[Period]] = {}
    for document_id, steps in by_document.items():
        following = [*steps[1:], None]
        periods[document_id] = [
            Period(version, since, after[1] if after else None, change, after[2] if after else None)
            for (version, since, change), after in zip(steps, following, strict=True)
        ]
    return periods


def in_force_periods(store: Store, document_id: int) -> list[Period]:
    return periods_by_document(store, [document_id]).get(document_id, [])


def document_status(store: Store, document_id: int) -> DocumentStatus:
    statuses = store.statuses(document_id)
    if not statuses:
        raise NotFound(f"no document {document_id} in the history")
    return statuses[0]


def parse_as_of(text: str) -> datetime:
    """A date ("2026-03-01": the end of that day, so that a change made that day counts) or an ISO 8601 time;
    UTC unless it says otherwise. Raises ValueError with a message for people."""
    text = text.strip()
    try:
        if len(text) == 10:
            day = datetime.fromisoformat(text)
            return day.replace(hour=23, minute=59, second=59, tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date: write YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def period_json(period: Period) -> dict[str, Any]:
    return {
        "version": period.version,
        "from": _iso(period.start),
        "until": _iso(period.end),
        "change": period.change,
        "ended_by": period.ended_by,
    }


def change_with_diff(store: Store, change_id: int) -> tuple[Change, int, Comparison]:
    """A stored change, its document id, and the word diff between its two versions (the findings stay the
    ones recorded when the change was detected)."""
    change = store.change(change_id)
    if change is None:
        raise NotFound(f"no change {change_id} in the history")
    document_id, _ = resolve_document(store, change.vendor, change.document)
    return change, document_id, compare_versions(store, document_id, change.from_version, change.to_version)
