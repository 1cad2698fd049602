"""The SQLite store (sqlite-utils, WAL): schema and migrations, content-addressed raw snapshots, versions,
checks, changes and the alerts outbox. The only module that speaks SQL; the rest talks to a Store."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from watcher.models import (
    Alert,
    AlertKind,
    Assessment,
    Change,
    Fetched,
    Outcome,
    Severity,
    Target,
    Validators,
    Version,
)
from watcher.normalize import count_words
from watcher.serialize import finding_from_json, finding_to_json

RECENT_VERSIONS = 5  # a new text equal to one of this many earlier versions is a flip


class StoreError(Exception):
    """The database cannot be opened or is not a policy-watcher database."""


@dataclass(frozen=True)
class DocumentState:
    """What the pipeline needs to know about a document before it processes a fetch."""

    id: int
    validators: Validators
    healthy: bool
    failures: int  # consecutive failed checks
    failing_since: datetime | None
    last_version: Version | None
    last_raw_digest: str | None  # raw body behind the last version, to skip unchanged bodies cheaply
    last_extractor: str | None  # normalizer version that produced last_version's text


@dataclass(frozen=True)
class Snapshot:
    """A raw body as fetched, stored once per distinct content (sha256 of the bytes)."""

    digest: str
    body: bytes
    content_type: str
    charset: str | None
    url: str
    fetched_at: datetime


@dataclass(frozen=True)
class Check:
    at: datetime
    outcome: Outcome
    status: int | None
    duration_ms: float
    error: str | None
    url: str


@dataclass(frozen=True)
class DocumentStatus:
    """A row of `watcher vendors`."""

    id: int
    vendor: str
    document: str
    url: str
    healthy: bool
    failures: int
    last_check: datetime | None
    last_outcome: str | None
    last_error: str | None
    versions: int
    last_change: datetime | None
    last_severity: Severity | None
    last_categories: tuple[str, ...]


def sha256(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _dt(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


# ------------------------------------------------------------------------------------------ schema


def _v1_initial(db: sqlite_utils.Database) -> None:
    db["documents"].create(
        {
            "id": int,
            "vendor": str,
            "name": str,
            "url": str,
            "created_at": str,
            "etag": str,
            "last_modified": str,
            "healthy": int,
            "failures": int,
            "failing_since": str,
            "last_check_at": str,
        },
        pk="id",
        not_null={"vendor", "name", "url", "created_at", "healthy", "failures"},
        defaults={"healthy": 1, "failures": 0},
    )
    db["documents"].create_index(["vendor", "name"], unique=True)
    db["snapshots"].create(
        {"digest": str, "body": bytes, "size": int, "content_type": str, "charset": str, "created_at": str},
        pk="digest",
        not_null={"body", "size", "created_at"},
    )
    db["versions"].create(
        {
            "id": int,
            "document_id": int,
            "digest": str,
            "text": str,
            "words": int,
            "first_seen": str,
            "last_seen": str,
            "snapshot": str,
            "extractor": str,
        },
        pk="id",
        foreign_keys=[("document_id", "documents", "id"), ("snapshot", "snapshots", "digest")],
        not_null={"document_id", "digest", "text", "first_seen", "last_seen"},
    )
    db["versions"].create_index(["document_id", "digest"], unique=True)
    db["checks"].create(
        {
            "id": int,
            "document_id": int,
            "at": str,
            "outcome": str,
            "status": int,
            "duration_ms": float,
            "error": str,
            "url": str,
            "redirects": str,
            "snapshot": str,
            "version_id": int,
        },
        pk="id",
        foreign_keys=[("document_id", "documents", "id"), ("version_id", "versions", "id")],
        not_null={"document_id", "at", "outcome"},
    )
    db["checks"].create_index(["document_id", "at"])
    db["changes"].create(
        {
            "id": int,
            "document_id": int,
            "from_version": int,
            "to_version": int,
            "detected_at": str,
            "severity": str,
            "categories": str,
            "findings": str,
            "flip": int,
        },
        pk="id",
        foreign_keys=[
            ("document_id", "documents", "id"),
            ("from_version", "versions", "id"),
            ("to_version", "versions", "id"),
        ],
        not_null={"document_id", "from_version", "to_version", "detected_at", "severity"},
    )
    db["changes"].create_index(["document_id", "detected_at"])
    db["alerts"].create(
        {
            "id": int,
            "kind": str,
            "document_id": int,
            "change_id": int,
            "created_at": str,
            "payload": str,
            "sent_at": str,
            "attempts": int,
            "last_error": str,
            "last_attempt_at": str,
        },
        pk="id",
        foreign_keys=[("document_id", "documents", "id"), ("change_id", "changes", "id")],
        not_null={"kind", "document_id", "created_at", "payload", "attempts"},
        defaults={"attempts": 0},
    )
    db.execute("CREATE INDEX alerts_pending ON alerts(id) WHERE sent_at IS NULL")


def _v2_search(db: sqlite_utils.Database) -> None:
    """Full-text search over every version's text (FTS5, external content: the text is stored once, in
    `versions`). Triggers keep the index in step; an update reindexes only when the text itself changes
    (re-extraction), not on every `last_seen` touch. Existing versions are indexed by the rebuild."""
    db.execute(
        "CREATE VIRTUAL TABLE versions_fts USING fts5("
        "text, content='versions', content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
    )
    db.execute(
        "CREATE TRIGGER versions_fts_insert AFTER INSERT ON versions BEGIN"
        " INSERT INTO versions_fts (rowid, text) VALUES (new.id, new.text); END"
    )
    db.execute(
        "CREATE TRIGGER versions_fts_delete AFTER DELETE ON versions BEGIN"
        " INSERT INTO versions_fts (versions_fts, rowid, text) VALUES ('delete', old.id, old.text); END"
    )
    db.execute(
        "CREATE TRIGGER versions_fts_update AFTER UPDATE OF text ON versions BEGIN"
        " INSERT INTO versions_fts (versions_fts, rowid, text) VALUES ('delete', old.id, old.text);"
        " INSERT INTO versions_fts (rowid, text) VALUES (new.id, new.text); END"
    )
    db.execute("INSERT INTO versions_fts (versions_fts) VALUES ('rebuild')")
    # Search hits need a version's document and dates, which sit after the long text column in the row:
    # a covering index answers them without reading the text's overflow pages.
    db.execute("CREATE INDEX versions_dates ON versions (id, document_id, first_seen, last_seen)")
    # When a phrase came and went: each document's changes in order, with both ends, from the index alone.
    db.execute("CREATE INDEX changes_succession ON changes (document_id, id, from_version, to_version, detected_at)")


def _v3_check_text(db: sqlite_utils.Database) -> None:
    # The digest of the text a failed check saw, so that a shorter policy seen again and again can be told
    # from a page that broke once.
    db["checks"].add_column("text_digest", str)


MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (_v1_initial, _v2_search, _v3_check_text)


# ------------------------------------------------------------------------------------------- store


class Store:
    """A policy-watcher database. One writer at a time (the run lock); readers are never blocked (WAL)."""

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        if readonly:
            if not self.path.exists():
                raise StoreError(f"{self.path}: no database yet (run `watcher run` first)")
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 10000")
        self.db = sqlite_utils.Database(conn)
        try:
            if not readonly:
                self.db.enable_wal()
                self.db.execute("PRAGMA synchronous = NORMAL")
            self.db.execute("PRAGMA foreign_keys = ON")
            if not readonly:
                self._migrate()
            elif self.schema_version() < len(MIGRATIONS):
                raise StoreError(f"{self.path}: database needs an upgrade: run `watcher run` once")
        except sqlite3.DatabaseError as error:
            self.db.close()
            raise StoreError(f"{self.path}: not a policy-watcher database ({error})") from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        version = self.schema_version()
        for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.db.atomic():
                migration(self.db)
                self.db.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside happen together or not at all (a crash mid-way leaves the database as before)."""
        with self.db.atomic():
            yield

    def integrity_ok(self) -> bool:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    # -- documents

    def document(self, target: Target, at: datetime) -> DocumentState:
        """The state of a target's document, created on first sight; the URL follows the config."""
        row = self.db.execute(
            "SELECT id, url FROM documents WHERE vendor = ? AND name = ?", (target.vendor, target.document)
        ).fetchone()
        if row is None:
            with self.transaction():
                document_id = (
                    self.db["documents"]
                    .insert(
                        {
                            "vendor": target.vendor,
                            "name": target.document,
                            "url": target.url,
                            "created_at": _ts(at),
                        }
                    )
                    .last_pk
                )
        else:
            document_id = row[0]
            if row[1] != target.url:
                with self.transaction():
                    self.db.execute("UPDATE documents SET url = ? WHERE id = ?", (target.url, document_id))
        return self.document_state(document_id)

    def document_state(self, document_id: int) -> DocumentState:
        row = self.db.execute(
            "SELECT etag, last_modified, healthy, failures, failing_since FROM documents WHERE id = ?",
            (document_id,),
        ).fetchone()
        last = self.latest_version(document_id)
        extra = (None, None)
        if last is not None:
            extra = self.db.execute("SELECT snapshot, extractor FROM versions WHERE id = ?", (last.id,)).fetchone()
        return DocumentState(
            id=document_id,
            validators=Validators(etag=row[0], last_modified=row[1]),
            healthy=bool(row[2]),
            failures=row[3],
            failing_since=_dt(row[4]),
            last_version=last,
            last_raw_digest=extra[0],
            last_extractor=extra[1],
        )

    def set_health(self, document_id: int, *, healthy: bool, failures: int, failing_since: datetime | None) -> None:
        self.db.execute(
            "UPDATE documents SET healthy = ?, failures = ?, failing_since = ? WHERE id = ?",
            (int(healthy), failures, _ts(failing_since) if failing_since else None, document_id),
        )

    def set_validators(self, document_id: int, validators: Validators) -> None:
        self.db.execute(
            "UPDATE documents SET etag = ?, last_modified = ? WHERE id = ?",
            (validators.etag, validators.last_modified, document_id),
        )

    # -- checks and snapshots

    def record_check(
        self,
        document_id: int,
        fetched: Fetched,
        *,
        outcome: Outcome | None = None,
        error: str | None = None,
        snapshot: str | None = None,
        version_id: int | None = None,
        text_digest: str | None = None,
    ) -> int:
        """Every attempt is recorded, success or not; `outcome`/`error` override the fetch's own verdict."""
        outcome = outcome or fetched.outcome
        self.db.execute("UPDATE documents SET last_check_at = ? WHERE id = ?", (_ts(fetched.fetched_at), document_id))
        return (
            self.db["checks"]
            .insert(
                {
                    "document_id": document_id,
                    "at": _ts(fetched.fetched_at),
                    "outcome": outcome.value,
                    "status": fetched.status,
                    "duration_ms": round(fetched.duration_ms, 1),
                    "error": error if error is not None else fetched.error,
                    "url": fetched.final_url,
                    "redirects": json.dumps(list(fetched.redirects)) if fetched.redirects else None,
                    "snapshot": snapshot,
                    "version_id": version_id,
                    "text_digest": text_digest,
                }
            )
            .last_pk
        )

    def repeated_failures(self, document_id: int, outcome: Outcome, text_digest: str) -> int:
        """How many of the latest checks in a row failed with `outcome` on this very text."""
        rows = self.db.execute(
            "SELECT outcome, text_digest FROM checks WHERE document_id = ? ORDER BY id DESC LIMIT 50",
            (document_id,),
        ).fetchall()
        count = 0
        for row_outcome, row_digest in rows:
            if row_outcome != outcome.value or row_digest != text_digest:
                break
            count += 1
        return count

    def save_snapshot(self, fetched: Fetched) -> str:
        """Keep the raw body, compressed, once per distinct content; returns its digest."""
        digest = sha256(fetched.body)
        self.db.execute(
            "INSERT OR IGNORE INTO snapshots (digest, body, size, content_type, charset, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                digest,
                zlib.compress(fetched.body, 6),
                len(fetched.body),
                fetched.content_type,
                fetched.charset,
                _ts(fetched.fetched_at),
            ),
        )
        return digest

    def snapshot(self, digest: str) -> Snapshot | None:
        row = self.db.execute(
            "SELECT s.body, s.content_type, s.charset, s.created_at,"
            " (SELECT url FROM checks WHERE snapshot = s.digest ORDER BY id LIMIT 1)"
            " FROM snapshots s WHERE digest = ?",
            (digest,),
        ).fetchone()
        if row is None:
            return None
        return Snapshot(digest, zlib.decompress(row[0]), row[1] or "", row[2], row[4] or "", _dt(row[3]))  # type: ignore[arg-type]

    def checks(self, document_id: int, limit: int = 50) -> list[Check]:
        rows = self.db.execute(
            "SELECT at, outcome, status, duration_ms, error, url FROM checks WHERE document_id = ?"
            " ORDER BY id DESC LIMIT ?",
            (document_id, limit),
        ).fetchall()
        return [Check(_dt(r[0]), Outcome(r[1]), r[2], r[3] or 0.0, r[4], r[5] or "") for r in rows]  # type: ignore[arg-type]

    # -- versions

    def _version(self, row: tuple[Any, ...] | None) -> Version | None:
        if row is None:
            return None
        return Version(row[0], row[1], row[2], row[3], _dt(row[4]), _dt(row[5]))  # type: ignore[arg-type]

    _VERSION_COLUMNS = "id, document_id, digest, text, first_seen, last_seen"

    def latest_version(self, document_id: int) -> Version | None:
        """The text the document has now: the version the last change led to, else the only one."""
        row = self.db.execute(
            f"SELECT {self._VERSION_COLUMNS} FROM versions WHERE id = coalesce("
            " (SELECT to_version FROM changes WHERE document_id = ? ORDER BY id DESC LIMIT 1),"
            " (SELECT id FROM versions WHERE document_id = ? ORDER BY id LIMIT 1))",
            (document_id, document_id),
        ).fetchone()
        return self._version(row)

    def version(self, version_id: int) -> Version | None:
        return self._version(
            self.db.execute(f"SELECT {self._VERSION_COLUMNS} FROM versions WHERE id = ?", (version_id,)).fetchone()
        )

    def version_snapshot(self, version_id: int) -> str | None:
        row = self.db.execute("SELECT snapshot FROM versions WHERE id = ?", (version_id,)).fetchone()
        return row[0] if row else None

    def versions(self, document_id: int) -> list[Version]:
        rows = self.db.execute(
            f"SELECT {self._VERSION_COLUMNS} FROM versions WHERE document_id = ? ORDER BY first_seen DESC, id DESC",
            (document_id,),
        ).fetchall()
        return [v for v in map(self._version, rows) if v is not None]

    def find_version(self, document_id: int, digest: str) -> Version | None:
        return self._version(
            self.db.execute(
                f"SELECT {self._VERSION_COLUMNS} FROM versions WHERE document_id = ? AND digest = ?",
                (document_id, digest),
            ).fetchone()
        )

    def recent_version_ids(self, document_id: int, limit: int = RECENT_VERSIONS) -> list[int]:
        """The versions the document went through most recently, newest first (for flip detection)."""
        rows = self.db.execute(
            "SELECT id FROM versions WHERE document_id = ? ORDER BY last_seen DESC, id DESC LIMIT ?",
            (document_id, limit),
        ).fetchall()
        return [r[0] for r in rows]

    def add_version(
        self, document_id: int, text: str, *, seen_at: datetime, snapshot: str | None, extractor: str
    ) -> Version:
        """A new distinct text of the document. `words` counts the policy's words, not the format's markers."""
        digest = sha256(text)
        version_id = (
            self.db["versions"]
            .insert(
                {
                    "document_id": document_id,
                    "digest": digest,
                    "text": text,
                    "words": count_words(text),
                    "first_seen": _ts(seen_at),
                    "last_seen": _ts(seen_at),
                    "snapshot": snapshot,
                    "extractor": extractor,
                }
            )
            .last_pk
        )
        return Version(version_id, document_id, digest, text, seen_at, seen_at)

    def touch_version(
        self, version_id: int, seen_at: datetime, *, snapshot: str | None = None, extractor: str | None = None
    ) -> None:
        """The version was seen again (from a new raw body or re-extraction, when given)."""
        self.db.execute(
            "UPDATE versions SET last_seen = max(last_seen, ?), snapshot = coalesce(?, snapshot),"
            " extractor = coalesce(?, extractor) WHERE id = ?",
            (_ts(seen_at), snapshot, extractor, version_id),
        )

    def replace_text(self, version_id: int, text: str, extractor: str) -> None:
        """Re-extraction: the same raw body read by a newer normalizer. Not a change of the vendor's."""
        self.db.execute(
            "UPDATE versions SET text = ?, digest = ?, words = ?, extractor = ? WHERE id = ?",
            (text, sha256(text), count_words(text), extractor, version_id),
        )

    # -- changes

    def add_change(
        self,
        document_id: int,
        old: Version,
        new: Version,
        assessment: Assessment,
        *,
        at: datetime,
        flip: bool,
    ) -> int:
        return (
            self.db["changes"]
            .insert(
                {
                    "document_id": document_id,
                    "from_version": old.id,
                    "to_version": new.id,
                    "detected_at": _ts(at),
                    "severity": assessment.severity.label,
                    "categories": json.dumps(list(assessment.categories)),
                    "findings": json.dumps([finding_to_json(f) for f in assessment.findings]),
                    "flip": int(flip),
                }
            )
            .last_pk
        )

    _CHANGE_QUERY = (
        "SELECT c.id, d.vendor, d.name, d.url, c.from_version, c.to_version, fv.first_seen, tv.first_seen,"
        " c.severity, c.categories, c.findings, c.flip, c.detected_at"
        " FROM changes c JOIN documents d ON d.id = c.document_id"
        " JOIN versions fv ON fv.id = c.from_version JOIN versions tv ON tv.id = c.to_version"
    )

    @staticmethod
    def _change(row: tuple[Any, ...]) -> Change:
        assessment = Assessment(
            severity=Severity.parse(row[8]),
            categories=tuple(json.loads(row[9] or "[]")),
            findings=tuple(finding_from_json(f) for f in json.loads(row[10] or "[]")),
        )
        return Change(
            id=row[0],
            vendor=row[1],
            document=row[2],
            url=row[3],
            from_version=row[4],
            to_version=row[5],
            from_date=_dt(row[6]),
            to_date=_dt(row[12]),
            assessment=assessment,
            flip=bool(row[11]),
        )  # type: ignore[arg-type]

    def change(self, change_id: int) -> Change | None:
        row = self.db.execute(f"{self._CHANGE_QUERY} WHERE c.id = ?", (change_id,)).fetchone()
        return self._change(row) if row else None

    def changes(self, document_id: int, limit: int = 1000) -> list[Change]:
        rows = self.db.execute(
            f"{self._CHANGE_QUERY} WHERE c.document_id = ? ORDER BY c.id DESC LIMIT ?", (document_id, limit)
        ).fetchall()
        return [self._change(r) for r in rows]

    # -- outbox

    def enqueue_alert(self, alert: Alert, document_id: int) -> int:
        """Written in the same transaction as the change or health transition it reports."""
        return (
            self.db["alerts"]
            .insert(
                {
                    "kind": alert.kind.value,
                    "document_id": document_id,
                    "change_id": alert.change_id,
                    "created_at": _ts(alert.created_at),
                    "payload": json.dumps(alert_to_json(alert)),
                }
            )
            .last_pk
        )

    def pending_alerts(self) -> list[Alert]:
        rows = self.db.execute("SELECT id, payload FROM alerts WHERE sent_at IS NULL ORDER BY id").fetchall()
        return [alert_from_json(row[0], json.loads(row[1])) for row in rows]

    def mark_sent(self, alert_id: int, at: datetime) -> None:
        with self.transaction():
            self.db.execute(
                "UPDATE alerts SET sent_at = ?, attempts = attempts + 1, last_attempt_at = ?, last_error = NULL"
                " WHERE id = ? AND sent_at IS NULL",
                (_ts(at), _ts(at), alert_id),
            )

    def mark_failed(self, alert_id: int, at: datetime, error: str) -> None:
        with self.transaction():
            self.db.execute(
                "UPDATE alerts SET attempts = attempts + 1, last_attempt_at = ?, last_error = ? WHERE id = ?",
                (_ts(at), error, alert_id),
            )

    def alert_counts(self) -> dict[str, int]:
        row = self.db.execute(
            "SELECT count(*) FILTER (WHERE sent_at IS NOT NULL), count(*) FILTER (WHERE sent_at IS NULL) FROM alerts"
        ).fetchone()
        return {"sent": row[0], "pending": row[1]}

    # -- history queries

    def document_ids(self, vendor: str) -> list[tuple[int, str]]:
        """A vendor's documents (id, name), matched case-insensitively."""
        rows = self.db.execute(
            "SELECT id, name FROM documents WHERE vendor = ? COLLATE NOCASE ORDER BY name", (vendor,)
        ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def statuses(self, document_id: int | None = None) -> list[DocumentStatus]:
        """Every document's status, or one document's (`document_id`)."""
        rows = self.db.execute(
            """
            SELECT d.id, d.vendor, d.name, d.url, d.healthy, d.failures, d.last_check_at,
                   lc.outcome, lc.error,
                   (SELECT count(*) FROM versions v WHERE v.document_id = d.id),
                   ch.detected_at, ch.severity, ch.categories
            FROM documents d
            LEFT JOIN checks lc ON lc.id = (SELECT max(id) FROM checks WHERE document_id = d.id)
            LEFT JOIN changes ch ON ch.id = (SELECT max(id) FROM changes WHERE document_id = d.id AND flip = 0)
            WHERE ? IS NULL OR d.id = ?
            ORDER BY d.vendor COLLATE NOCASE, d.name
            """,
            (document_id, document_id),
        ).fetchall()
        return [
            DocumentStatus(
                id=r[0],
                vendor=r[1],
                document=r[2],
                url=r[3],
                healthy=bool(r[4]),
                failures=r[5],
                last_check=_dt(r[6]),
                last_outcome=r[7],
                last_error=r[8],
                versions=r[9],
                last_change=_dt(r[10]),
                last_severity=Severity.parse(r[11]) if r[11] else None,
                last_categories=tuple(json.loads(r[12] or "[]")),
            )
            for r in rows
        ]

    # -- history browser: full-text search, succession of versions, feeds (watcher serve / watcher search)

    @contextmanager
    def read_transaction(self) -> Iterator[None]:
        """Several queries that see one state of the database (one page), even while a run writes (WAL)."""
        self.db.execute("BEGIN")
        try:
            yield
        finally:
            self.db.execute("ROLLBACK")  # nothing was written: ending the read is all that is left

    # Marks around a matched phrase in a snippet: private-use characters, which normalized policy text does not
    # carry, so that callers can split on them and escape every piece of the text themselves.
    MATCH_START, MATCH_END = "\ue000", "\ue001"

    @staticmethod
    def _fts_phrase(phrase: str) -> str:
        """The user's words as one FTS5 phrase: no operator (OR, NEAR, *, column filters) is ever interpreted."""
        return '"' + phrase.replace('"', '""') + '"'

    def search_versions(self, phrase: str, *, limit: int = 50_000) -> list[tuple[int, int]]:
        """(version id, document id) of every version whose text contains `phrase` (its words in this order;
        case, accents and punctuation ignored), in version order."""
        # document_id sits before the long text column in the row: reading it costs no overflow page.
        rows = self.db.execute(
            "SELECT f.rowid, v.document_id FROM versions_fts f JOIN versions v ON v.id = f.rowid"
            " WHERE versions_fts MATCH ? ORDER BY f.rowid LIMIT ?",
            (self._fts_phrase(phrase), limit),
        ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def version_dates(self, version_ids: list[int]) -> dict[int, tuple[datetime, datetime]]:
        """(first seen, last seen) of each given version."""
        # The covering index answers without reading each version's long text.
        rows = self.db.execute(
            "SELECT id, first_seen, last_seen FROM versions INDEXED BY versions_dates"
            " WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(version_ids),),
        ).fetchall()
        return {r[0]: (_dt(r[1]), _dt(r[2])) for r in rows}  # type: ignore[misc]

    def document_names(self, document_ids: list[int]) -> dict[int, tuple[str, str, str]]:
        """(vendor, document name, URL) of each given document."""
        rows = self.db.execute(
            "SELECT id, vendor, name, url FROM documents WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(document_ids),),
        ).fetchall()
        return {r[0]: (r[1], r[2], r[3]) for r in rows}

    def snippets(self, phrase: str, version_ids: list[int], *, words: int = 24) -> dict[int, str]:
        """The phrase in context (about `words` words) in each given version, the match between MATCH_START and
        MATCH_END; "…" where the text was cut."""
        rows = self.db.execute(
            "SELECT rowid, snippet(versions_fts, 0, ?, ?, '…', ?) FROM versions_fts"
            " WHERE versions_fts MATCH ? AND rowid IN (SELECT value FROM json_each(?))",
            (self.MATCH_START, self.MATCH_END, words, self._fts_phrase(phrase), json.dumps(version_ids)),
        ).fetchall()
        return {r[0]: r[1] for r in rows}

    def succession(self, document_ids: list[int]) -> list[tuple[int, int, datetime, int | None]]:
        """(document, version, since, change) each time a version came into force, in order: a document's first
        version (change None), then the target of each of its changes (flips included)."""
        rows = self.db.execute(
            "SELECT v.document_id, v.id, v.first_seen, NULL FROM versions v"
            " WHERE v.id IN (SELECT min(id) FROM versions"
            "  WHERE document_id IN (SELECT value FROM json_each(?1)) GROUP BY document_id)"
            " UNION ALL"
            " SELECT c.document_id, c.to_version, c.detected_at, c.id FROM changes c"
            " WHERE c.document_id IN (SELECT value FROM json_each(?1))"
            " ORDER BY 1, 4",
            (json.dumps(document_ids),),
        ).fetchall()
        return [(r[0], r[1], _dt(r[2]), r[3]) for r in rows]  # type: ignore[misc]

    def presence_edges(
        self, version_ids: list[int], document_ids: list[int]
    ) -> list[tuple[int, int, datetime, int | None, bool]]:
        """Where a set of versions (say, those that mention a phrase) comes into force or leaves it, in each
        document's order: its first version when in the set (change None), then every change between a version
        in the set and one outside it. Rows: (document, version brought into force, when, change, in the set)."""
        rows = self.db.execute(
            "WITH hit(id) AS MATERIALIZED (SELECT value FROM json_each(?1)),"
            " first(document_id, id) AS (SELECT document_id, min(id) FROM versions"
            "  WHERE document_id IN (SELECT value FROM json_each(?2)) GROUP BY document_id)"
            " SELECT f.document_id, f.id, v.first_seen, NULL, 1"
            "  FROM first f JOIN versions v INDEXED BY versions_dates ON v.id = f.id WHERE f.id IN hit"
            " UNION ALL"
            " SELECT c.document_id, c.to_version, c.detected_at, c.id, c.to_version IN hit FROM changes c"
            "  WHERE c.document_id IN (SELECT value FROM json_each(?2))"
            "  AND (c.from_version IN hit) <> (c.to_version IN hit)"
            " ORDER BY 1, 4",
            (json.dumps(version_ids), json.dumps(document_ids)),
        ).fetchall()
        return [(r[0], r[1], _dt(r[2]), r[3], bool(r[4])) for r in rows]  # type: ignore[misc]

    def recent_changes(
        self, *, vendor: str | None = None, severities: tuple[Severity, ...] = (), limit: int = 50
    ) -> list[Change]:
        """The latest changes, newest first: of one vendor (case-insensitive) and of these severities, if given."""
        labels = [s.label for s in severities] or [s.label for s in Severity]
        rows = self.db.execute(
            f"{self._CHANGE_QUERY} WHERE (?1 IS NULL OR d.vendor = ?1 COLLATE NOCASE)"
            " AND c.severity IN (SELECT value FROM json_each(?2)) ORDER BY c.id DESC LIMIT ?3",
            (vendor, json.dumps(labels), limit),
        ).fetchall()
        return [self._change(r) for r in rows]

    def latest_change_ids(self) -> dict[int, int]:
        """Each document's last change that is not a flip (the one `statuses()` reports), by document id."""
        rows = self.db.execute("SELECT document_id, max(id) FROM changes WHERE flip = 0 GROUP BY document_id")
        return {r[0]: r[1] for r in rows.fetchall()}


# ------------------------------------------------------------------------------------ serialization


def alert_to_json(alert: Alert) -> dict[str, Any]:
    return {
        "kind": alert.kind.value,
        "vendor": alert.vendor,
        "document": alert.document,
        "url": alert.url,
        "created_at": _ts(alert.created_at),
        "severity": alert.assessment.severity.label,
        "categories": list(alert.assessment.categories),
        "findings": [finding_to_json(f) for f in alert.assessment.findings],
        "from_date": _ts(alert.from_date) if alert.from_date else None,
        "to_date": _ts(alert.to_date) if alert.to_date else None,
        "change_id": alert.change_id,
        "reason": alert.reason,
        "link": alert.link,
    }


def alert_from_json(alert_id: int, data: dict[str, Any]) -> Alert:
    return Alert(
        id=alert_id,
        kind=AlertKind(data["kind"]),
        vendor=data["vendor"],
        document=data["document"],
        url=data["url"],
        created_at=_dt(data["created_at"]),  # type: ignore[arg-type]
        assessment=Assessment(
            severity=Severity.parse(data["severity"]),
            categories=tuple(data["categories"]),
            findings=tuple(finding_from_json(f) for f in data["findings"]),
        ),
        from_date=_dt(data.get("from_date")),
        to_date=_dt(data.get("to_date")),
        change_id=data.get("change_id"),
        reason=data.get("reason", ""),
        link=data.get("link"),
    )
