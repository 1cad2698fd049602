"""The store: migrations, content-addressed snapshots, versions, the outbox, and atomic transactions."""

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from watcher.models import Alert, AlertKind, Assessment, Fetched, Finding, Outcome, Severity, Target, Validators
from watcher.store import MIGRATIONS, Store, StoreError

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TARGET = Target("Acme", "Privacy Policy", "https://acme.example/privacy")


def fetched(body: bytes = b"<p>policy</p>", at: datetime = T0, outcome: Outcome = Outcome.OK) -> Fetched:
    return Fetched(
        target=TARGET,
        outcome=outcome,
        fetched_at=at,
        final_url=TARGET.url,
        status=200,
        body=body,
        text=body.decode(),
        content_type="text/html",
        charset="utf-8",
        validators=Validators(etag='"v1"'),
    )


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "watcher.db") as store:
        yield store


def test_new_database_is_migrated_to_the_latest_schema_in_wal_mode(store):
    assert store.schema_version() == len(MIGRATIONS)
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"documents", "checks", "snapshots", "versions", "changes", "alerts"} <= set(store.db.table_names())


def test_reopening_does_not_migrate_twice(tmp_path):
    Store(tmp_path / "w.db").close()
    with Store(tmp_path / "w.db") as again:
        assert again.schema_version() == len(MIGRATIONS)


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path):
    path = tmp_path / "w.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a policy-watcher database"):
        Store(path)


def test_readonly_store_on_a_missing_file_says_run_first(tmp_path):
    with pytest.raises(StoreError, match="watcher run"):
        Store(tmp_path / "none.db", readonly=True)


def test_snapshots_are_stored_once_per_content_and_compressed(store):
    body = b"<p>" + b"same policy text " * 2000 + b"</p>"
    first = store.save_snapshot(fetched(body))
    second = store.save_snapshot(fetched(body, at=T0 + timedelta(days=1)))
    assert first == second
    assert store.db.execute("SELECT count(*), sum(length(body)) FROM snapshots").fetchone()[0] == 1
    assert store.db.execute("SELECT length(body) FROM snapshots").fetchone()[0] < len(body) / 10
    assert store.snapshot(first).body == body


def test_versions_have_first_and_last_seen(store):
    state = store.document(TARGET, T0)
    version = store.add_version(state.id, "# Policy\n\ntext", seen_at=T0, snapshot=None, extractor="1")
    store.touch_version(version.id, T0 + timedelta(days=3))
    again = store.version(version.id)
    assert again.first_seen == T0 and again.last_seen == T0 + timedelta(days=3)


def test_latest_version_follows_the_last_change_even_back_to_an_old_text(store):
    state = store.document(TARGET, T0)
    a = store.add_version(state.id, "A text", seen_at=T0, snapshot=None, extractor="1")
    b = store.add_version(state.id, "B text", seen_at=T0 + timedelta(days=1), snapshot=None, extractor="1")
    nothing = Assessment(Severity.MINOR)
    store.add_change(state.id, a, b, nothing, at=T0 + timedelta(days=1), flip=False)
    assert store.latest_version(state.id).id == b.id
    store.add_change(state.id, b, a, nothing, at=T0 + timedelta(days=2), flip=True)
    assert store.latest_version(state.id).id == a.id


def test_outbox_keeps_alerts_until_marked_sent(store):
    state = store.document(TARGET, T0)
    finding = Finding("retention", Severity.MATERIAL, "retention: 30 days -> 24 months", "30 days", "24 months")
    alert = Alert(
        id=0,
        kind=AlertKind.CHANGE,
        vendor="Acme",
        document="Privacy Policy",
        url=TARGET.url,
        created_at=T0,
        assessment=Assessment(Severity.MATERIAL, ("retention",), (finding,)),
        from_date=T0 - timedelta(days=30),
        to_date=T0,
    )
    alert_id = store.enqueue_alert(alert, state.id)
    [pending] = store.pending_alerts()
    assert pending.id == alert_id and pending.assessment.findings == (finding,)
    store.mark_failed(alert_id, T0, "Slack answered HTTP 500")
    assert len(store.pending_alerts()) == 1
    store.mark_sent(alert_id, T0)
    assert store.pending_alerts() == []
    assert store.alert_counts() == {"sent": 1, "pending": 0}


def test_a_failed_transaction_leaves_nothing_behind(store):
    state = store.document(TARGET, T0)
    with pytest.raises(RuntimeError), store.transaction():
        store.add_version(state.id, "half-written", seen_at=T0, snapshot=None, extractor="1")
        store.record_check(state.id, fetched())
        raise RuntimeError("crash in the middle of a document")
    assert store.versions(state.id) == []
    assert store.checks(state.id) == []
    assert store.integrity_ok()


def test_readers_are_not_blocked_by_a_writer(tmp_path):
    writer = Store(tmp_path / "w.db")
    state = writer.document(TARGET, T0)
    writer.db.execute("BEGIN IMMEDIATE")
    writer.add_version(state.id, "uncommitted", seen_at=T0, snapshot=None, extractor="1")
    reader = Store(tmp_path / "w.db", readonly=True)
    assert reader.versions(state.id) == []  # sees the last committed state, without waiting
    writer.db.execute("COMMIT")
    assert len(reader.versions(state.id)) == 1
    reader.close()
    writer.close()


def test_foreign_keys_are_enforced(store):
    with pytest.raises(sqlite3.IntegrityError):
        store.db.execute(
            "INSERT INTO versions (document_id, digest, text, first_seen, last_seen) VALUES (999, 'x', 't', 'a', 'b')"
        )
