"""run_once(): one check cycle, the stages in order. The only module that knows that order.

fetch -> normalize -> screen -> store snapshot/version -> diff -> classify -> store change + outbox -> deliver
Each document is processed in its own transaction, so a crash leaves every document as before or after.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from watcher.classify import assess
from watcher.config import AlertPolicy, Config, SlackSettings
from watcher.diff import diff_policies
from watcher.fetch import fetch_all
from watcher.models import Alert, AlertKind, Assessment, Fetched, Outcome, PolicyText, Severity, Target
from watcher.normalize import EXTRACTOR_VERSION, ExtractionError, normalize, parse
from watcher.notify import ConsoleReporter, DeliveryError, Reporter, SlackBotReporter, SlackWebhookReporter
from watcher.screen import Verdict, screen
from watcher.store import DocumentState, Store, now_utc, sha256

log = logging.getLogger(__name__)


class RunInProgress(Exception):
    """Another run holds the lock on this database."""


@dataclass(frozen=True)
class DocumentResult:
    """What happened to one document in a run, for progress display and the run summary."""

    target: Target
    outcome: Outcome
    detail: str  # "first version recorded", "unchanged", "material change (retention, sharing)", the error...
    severity: Severity | None = None
    alerted: bool = False
    seen_once: str | None = None  # digest of a changed text waiting for a confirming fetch; nothing recorded


@dataclass
class RunReport:
    results: list[DocumentResult] = field(default_factory=list)
    delivered: int = 0
    undelivered: int = 0
    delivery_error: str | None = None

    @property
    def outcomes(self) -> Counter[str]:
        return Counter(r.outcome.value for r in self.results)

    @property
    def failures(self) -> list[DocumentResult]:
        return [r for r in self.results if not r.outcome.is_success]


# ------------------------------------------------------------------------------------------- run


def run_once(
    config: Config,
    *,
    reporter: Reporter | None = None,
    now: Callable[[], datetime] = now_utc,
    on_result: Callable[[DocumentResult], None] | None = None,
) -> RunReport:
    """Check every configured document once, record what changed, and deliver pending alerts."""
    report = RunReport()
    with run_lock(config.storage), Store(config.storage) as store:
        states = {t.key: store.document(t, now()) for t in config.targets}

        def record(result: DocumentResult) -> None:
            report.results.append(result)
            if on_result:
                on_result(result)

        async def check_all() -> None:
            validators = {key: state.validators for key, state in states.items()}
            unconfirmed: dict[str, str] = {}  # target key -> digest of the changed text seen once
            async for fetched in fetch_all(config.targets, config.fetch, validators):
                result = process(store, states[fetched.target.key], fetched, config)
                if result.seen_once:
                    unconfirmed[fetched.target.key] = result.seen_once
                else:
                    record(result)
            if unconfirmed:
                # A second look at every page that changed, before anything is recorded or alerted.
                again = [t for t in config.targets if t.key in unconfirmed]
                async for fetched in fetch_all(again, config.fetch):
                    state = store.document_state(states[fetched.target.key].id)
                    record(process(store, state, fetched, config, seen_once=unconfirmed[fetched.target.key]))

        asyncio.run(check_all())
        deliver(store, reporter or reporter_for(config.slack), report, now)
    return report


@contextmanager
def run_lock(storage: Path) -> Iterator[None]:
    """One run at a time per database: a second run started meanwhile raises RunInProgress at once."""
    storage.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(f"{storage}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunInProgress(f"another run is in progress on {storage}") from None
        yield
    finally:
        os.close(fd)  # closing releases the lock, also when the process is killed


def reporter_for(slack: SlackSettings | None) -> Reporter:
    if slack is None:
        return ConsoleReporter()
    if slack.webhook_url:
        return SlackWebhookReporter(slack.webhook_url, timeout=slack.timeout)
    assert slack.token and slack.channel  # config guarantees it
    return SlackBotReporter(slack.token, slack.channel, base_url=slack.base_url, timeout=slack.timeout)


# ---------------------------------------------------------------------------------- one document


def process(
    store: Store, state: DocumentState, fetched: Fetched, config: Config, *, seen_once: str | None = None
) -> DocumentResult:
    """Record one fetch: a failed check, an unchanged document, a first version, or a classified change.

    With `alerts.confirm_changes`, a change is first only reported back (`seen_once`) and recorded when a
    second fetch (`seen_once` given) shows the same text.
    """
    with store.transaction():
        if not fetched.outcome.is_success:
            return _failed(store, state, fetched, fetched.outcome, fetched.error or fetched.outcome.value, config)
        if fetched.outcome is Outcome.NOT_MODIFIED:
            if state.last_version is None:  # a 304 without a version: the validators are stale
                store.set_validators(state.id, type(fetched.validators)())
                return _failed(store, state, fetched, Outcome.HTTP_ERROR, "304 without a stored version", config)
            store.touch_version(state.last_version.id, fetched.fetched_at)
            store.record_check(state.id, fetched, version_id=state.last_version.id)
            _healthy(store, state, fetched, config)
            return DocumentResult(fetched.target, fetched.outcome, "not modified (HTTP 304)")
        return _fetched_ok(store, state, fetched, config, seen_once)


def _fetched_ok(
    store: Store, state: DocumentState, fetched: Fetched, config: Config, seen_once: str | None
) -> DocumentResult:
    target, last = fetched.target, state.last_version
    raw_digest = sha256(fetched.body)
    if last and raw_digest == state.last_raw_digest and state.last_extractor == EXTRACTOR_VERSION:
        # The very same bytes as the last version: nothing to parse.
        return _unchanged(store, state, fetched, raw_digest, config)
    previous = parse(last.text) if last else None
    try:
        policy = normalize(fetched.text, content_type=fetched.content_type, select=target.select, remove=target.remove)
    except ExtractionError as error:
        # A challenge or sign-in page often has no text at all: say what it is rather than "no text".
        verdict = screen(fetched, PolicyText(()), previous.word_count if previous else None)
        outcome, reason = (verdict.outcome, verdict.reason) if verdict else (Outcome.EXTRACTION_ERROR, str(error))
        return _failed(store, state, fetched, outcome, reason, config)
    text = policy.render()
    verdict = screen(fetched, policy, previous.word_count if previous else None, previous=previous)
    if verdict and verdict.outcome is Outcome.TEXT_LOSS and _accepted_shorter_text(store, state, text, verdict, config):
        verdict = None
    if verdict:
        return _failed(store, state, fetched, verdict.outcome, verdict.reason, config, text_digest=sha256(text))

    snapshot = store.save_snapshot(fetched)
    store.set_validators(state.id, fetched.validators)
    if last is None:
        version = store.add_version(
            state.id, text, seen_at=fetched.fetched_at, snapshot=snapshot, extractor=EXTRACTOR_VERSION
        )
        store.record_check(state.id, fetched, snapshot=snapshot, version_id=version.id)
        _healthy(store, state, fetched, config)
        return DocumentResult(target, Outcome.OK, f"first version recorded ({policy.word_count} words)")

    old_text = last.text
    if sha256(text) != last.digest and (reextracted := _reextracted(store, state, target)):
        # The normalizer changed since the last version: read its raw body again, so that a change of
        # extraction is never reported as the vendor's change.
        store.replace_text(last.id, reextracted, EXTRACTOR_VERSION)
        old_text = reextracted
    if text == old_text:
        return _unchanged(store, state, fetched, snapshot, config)
    if config.alerts.confirm_changes and seen_once is None:
        return DocumentResult(target, Outcome.OK, "changed; fetching again to confirm", seen_once=sha256(text))
    if seen_once is not None and sha256(text) != seen_once:
        reason = "the policy text differed between two fetches moments apart (rotating content?)"
        return _failed(store, state, fetched, Outcome.UNSTABLE, reason, config)

    assessment = assess(diff_policies(parse(old_text), policy), watched=config.alerts.watched, vendor=target.vendor)
    returning = store.find_version(state.id, sha256(text))
    flip = returning is not None and returning.id in store.recent_version_ids(state.id)
    if returning is not None:
        version = returning
        store.touch_version(version.id, fetched.fetched_at, snapshot=snapshot)
    else:
        version = store.add_version(
            state.id, text, seen_at=fetched.fetched_at, snapshot=snapshot, extractor=EXTRACTOR_VERSION
        )
    change_id = store.add_change(state.id, last, version, assessment, at=fetched.fetched_at, flip=flip)
    store.record_check(state.id, fetched, snapshot=snapshot, version_id=version.id)
    _healthy(store, state, fetched, config)

    alerted = not flip and _should_alert(assessment, config.alerts)
    if alerted:
        alert = Alert(
            id=0,
            kind=AlertKind.CHANGE,
            vendor=target.vendor,
            document=target.document,
            url=fetched.final_url,
            created_at=fetched.fetched_at,
            assessment=assessment,
            from_date=last.first_seen,
            to_date=fetched.fetched_at,
            change_id=change_id,
            link=f"{config.public_url}/changes/{change_id}" if config.public_url else None,
        )
        store.enqueue_alert(alert, state.id)
    what = ", ".join(assessment.categories) or "no category"
    kind = "flip back to an earlier version" if flip else f"{assessment.severity.label} change"
    return DocumentResult(target, Outcome.OK, f"{kind} ({what})", assessment.severity, alerted)


def _accepted_shorter_text(store: Store, state: DocumentState, text: str, verdict: Verdict, config: Config) -> bool:
    """A much shorter text is the vendor's, not a broken page, when it is a version already seen (a return to
    an earlier, shorter text), or when it reads like a whole policy (not one cut off) and the very same text
    came back on `failing_after` checks in a row."""
    if store.find_version(state.id, sha256(text)) is not None:
        return True
    if not verdict.may_be_rewrite:
        return False
    return store.repeated_failures(state.id, Outcome.TEXT_LOSS, sha256(text)) + 1 >= config.alerts.failing_after


def _reextracted(store: Store, state: DocumentState, target: Target) -> str | None:
    """The last version's text as today's normalizer reads its raw body, when the normalizer has changed since."""
    if state.last_extractor == EXTRACTOR_VERSION or not state.last_raw_digest:
        return None
    snapshot = store.snapshot(state.last_raw_digest)
    if snapshot is None:
        return None
    text = snapshot.body.decode(snapshot.charset or "utf-8", errors="replace")
    try:
        policy = normalize(text, content_type=snapshot.content_type, select=target.select, remove=target.remove)
    except ExtractionError:
        return None
    return policy.render()


def _should_alert(assessment: Assessment, policy: AlertPolicy) -> bool:
    if assessment.severity < policy.min_severity:
        return False
    return assessment.severity < Severity.MATERIAL or bool(set(assessment.categories) & policy.watched)


def _unchanged(store: Store, state: DocumentState, fetched: Fetched, snapshot: str, config: Config) -> DocumentResult:
    assert state.last_version is not None
    store.touch_version(state.last_version.id, fetched.fetched_at, snapshot=snapshot)
    store.set_validators(state.id, fetched.validators)
    store.record_check(state.id, fetched, snapshot=snapshot, version_id=state.last_version.id)
    _healthy(store, state, fetched, config)
    return DocumentResult(fetched.target, Outcome.OK, "unchanged")


def _failed(
    store: Store,
    state: DocumentState,
    fetched: Fetched,
    outcome: Outcome,
    reason: str,
    config: Config,
    *,
    text_digest: str | None = None,
) -> DocumentResult:
    """A failed check: recorded with its reason; after N in a row the document turns failing (one alert)."""
    store.record_check(state.id, fetched, outcome=outcome, error=reason, text_digest=text_digest)
    failures = state.failures + 1
    since = state.failing_since or fetched.fetched_at
    healthy = state.healthy and failures < config.alerts.failing_after
    store.set_health(state.id, healthy=healthy, failures=failures, failing_since=since)
    if state.healthy and not healthy:
        _enqueue_health(
            store, state, fetched, AlertKind.FAILING, f"{failures} checks in a row failed; last: {reason}", since=since
        )
    return DocumentResult(fetched.target, outcome, reason)


def _healthy(store: Store, state: DocumentState, fetched: Fetched, config: Config) -> None:
    if not state.healthy:
        _enqueue_health(
            store,
            state,
            fetched,
            AlertKind.RECOVERED,
            f"checks succeed again after {state.failures} failures",
            since=state.failing_since,
        )
    if not state.healthy or state.failures:
        store.set_health(state.id, healthy=True, failures=0, failing_since=None)


def _enqueue_health(
    store: Store,
    state: DocumentState,
    fetched: Fetched,
    kind: AlertKind,
    reason: str,
    *,
    since: datetime | None,
) -> None:
    target = fetched.target
    alert = Alert(
        id=0,
        kind=kind,
        vendor=target.vendor,
        document=target.document,
        url=target.url,
        created_at=fetched.fetched_at,
        reason=reason,
        from_date=since,
    )
    store.enqueue_alert(alert, state.id)


# -------------------------------------------------------------------------------------------- deliver


def deliver(store: Store, reporter: Reporter, report: RunReport, now: Callable[[], datetime] = now_utc) -> None:
    """Send every pending alert, oldest first; each is marked sent only after the reporter accepted it.

    The first refusal stops delivery for this run (Slack is down, or rate-limits us): what is left stays in
    the outbox for the next run, in order.
    """
    for alert in store.pending_alerts():
        try:
            reporter.send(alert)
        except DeliveryError as error:
            store.mark_failed(alert.id, now(), str(error))
            report.delivery_error = str(error)
            report.undelivered = len(store.pending_alerts())
            log.warning("alert delivery failed, %d alert(s) kept for the next run: %s", report.undelivered, error)
            return
        store.mark_sent(alert.id, now())
        report.delivered += 1
