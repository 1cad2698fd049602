"""Searching the stored history: the full-text index and its migration, phrase matching, when a phrase came and
went, and `watcher search`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlite_utils
from click.testing import CliRunner

from watcher import history
from watcher.cli import main
from watcher.models import Assessment, Severity, Target
from watcher.search import SearchError, search, search_json
from watcher.store import MIGRATIONS, Store, sha256

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)

FERN_V1 = (
    "# Fernhill Bikes Privacy Policy\n\n"
    "We collect the address you give us to deliver your bicycle.\n\n"
    "## Sharing\n\n"
    "We share your address with the courier that delivers your order.\n"
)
FERN_V2 = FERN_V1.replace("with the courier", "with the courier and with Ridgeline Analytics")
FERN_V3 = FERN_V2.replace(" and with Ridgeline Analytics", "") + "\n## Contact\n\nWrite to the Fahrradbüro.\n"
MOSS_V1 = (
    "# Mosslight Games Privacy Policy\n\n"
    "We keep crash reports for 30 days. We never sell your data.\n\n"
    "Our manual shows tags like <script>alert(1)</script> as text.\n"
)


class Recorder:
    """Writes versions and changes the way the pipeline does, at chosen dates."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def document(self, vendor: str) -> int:
        return self.store.document(
            Target(vendor, "Privacy Policy", f"https://{vendor.split()[0].lower()}.example"), T0
        ).id

    def history(self, document_id: int, texts: list[str], start: datetime = T0) -> list[int]:
        """Each text in turn, a day apart; a text seen before comes back as that version (a flip)."""
        ids: list[int] = []
        previous = None
        for day, text in enumerate(texts):
            at = start + day * DAY
            with self.store.transaction():
                version = self.store.find_version(document_id, sha256(text))
                if version is None:
                    version = self.store.add_version(document_id, text, seen_at=at, snapshot=None, extractor="test")
                else:
                    self.store.touch_version(version.id, at)
                if previous is not None:
                    assessment = Assessment(Severity.MATERIAL, ("sharing",))
                    flip = version.id in ids
                    self.store.add_change(document_id, previous, version, assessment, at=at, flip=flip)
            ids.append(version.id)
            previous = version
        return ids


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "watcher.db") as store:
        yield store


@pytest.fixture
def recorded(store):
    recorder = Recorder(store)
    fern, moss = recorder.document("Fernhill Bikes"), recorder.document("Mosslight Games")
    recorder.history(fern, [FERN_V1, FERN_V2, FERN_V3])
    recorder.history(moss, [MOSS_V1])
    return store


def vendors(results) -> list[str]:
    return [hit.vendor for hit in results.hits]


# ------------------------------------------------------------------------------------- index


def test_the_search_migration_indexes_versions_stored_before_it(tmp_path):
    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    MIGRATIONS[0](old)
    old.execute("PRAGMA user_version = 1")
    old["documents"].insert({"id": 1, "vendor": "Fernhill Bikes", "name": "Privacy Policy", "url": "https://f.example",
                             "created_at": T0.isoformat(), "healthy": 1, "failures": 0})  # fmt: skip
    old["versions"].insert({"document_id": 1, "digest": "d1", "text": FERN_V2, "words": 30,
                            "first_seen": T0.isoformat(), "last_seen": T0.isoformat()})  # fmt: skip
    old.conn.commit()
    old.close()
    with Store(path) as upgraded:
        assert upgraded.schema_version() == len(MIGRATIONS)
        assert vendors(search(upgraded, "Ridgeline Analytics")) == ["Fernhill Bikes"]


def test_new_and_re_extracted_versions_are_searchable_at_once(store):
    recorder = Recorder(store)
    [version] = recorder.history(recorder.document("Fernhill Bikes"), [FERN_V1])
    assert search(store, "Ridgeline").documents == 0
    store.replace_text(version, FERN_V2, "test-2")
    assert vendors(search(store, "Ridgeline")) == ["Fernhill Bikes"]
    assert search(store, "courier that delivers").documents == 0  # the old text left the index


def test_a_phrase_matches_its_words_in_order_whatever_the_case_accents_and_punctuation(recorded):
    assert vendors(search(recorded, "CRASH REPORTS for 30")) == ["Mosslight Games"]
    assert vendors(search(recorded, "fahrradburo")) == ["Fernhill Bikes"]
    assert vendors(search(recorded, "sell, your data!")) == ["Mosslight Games"]
    assert search(recorded, "reports crash").documents == 0


def test_search_syntax_typed_by_a_user_is_only_words(recorded):
    for typed in ('"never sell', "never OR sell", "NEAR(never sell)", "sell*", "text:never", "never - sell"):
        search(recorded, typed)  # no FTS error, whatever was typed
    assert search(recorded, "never AND sell").documents == 0  # AND is a word here, not an operator


def test_nothing_to_search_for_is_a_clear_error(recorded):
    for typed in ("", "   ", "?!", '""'):
        with pytest.raises(SearchError, match="word or a phrase"):
            search(recorded, typed)


# ---------------------------------------------------------------------------- came and went


def test_a_phrase_added_by_a_change_first_appeared_with_that_change(recorded):
    [hit] = search(recorded, "Ridgeline Analytics").hits
    assert hit.first_appeared.at == T0 + DAY and hit.first_appeared.change is not None
    assert not hit.current
    assert hit.disappeared is not None and hit.disappeared.at == T0 + 2 * DAY
    assert [t.kind for t in hit.transitions] == ["appeared", "disappeared"]


def test_a_phrase_in_the_first_version_was_there_from_the_start(recorded):
    [hit] = search(recorded, "deliver your bicycle").hits
    assert hit.current and hit.first_appeared.change is None and hit.first_appeared.at == T0
    assert hit.matching_versions == 3 and [v.id for v in hit.versions] == sorted(
        (v.id for v in hit.versions), reverse=True
    )


def test_a_flip_back_and_forth_is_followed(store):
    recorder = Recorder(store)
    ids = recorder.history(recorder.document("Fernhill Bikes"), [FERN_V1, FERN_V2, FERN_V1, FERN_V2])
    [hit] = search(store, "Ridgeline Analytics").hits
    assert [(t.kind, t.version) for t in hit.transitions] == [
        ("appeared", ids[1]),
        ("disappeared", ids[0]),
        ("appeared", ids[1]),
    ]
    assert hit.current and hit.matching_versions == 1


def test_current_mentions_are_listed_before_past_ones(recorded):
    recorder = Recorder(recorded)
    recorder.history(recorder.document("Alder Print"), ["# Alder\n\nWe share your address with the courier.\n"])
    results = search(recorded, "with the courier")
    assert vendors(results) == ["Alder Print", "Fernhill Bikes"]
    assert [hit.current for hit in results.hits] == [True, True]
    assert vendors(search(recorded, "with the courier and")) == ["Fernhill Bikes"]


def test_results_come_in_pages(recorded):
    recorder = Recorder(recorded)
    recorder.history(recorder.document("Alder Print"), ["# Alder\n\nWe share your address with the courier.\n"])
    recorder.history(recorder.document("Birch Tea"), ["# Birch\n\nWe share your address with the courier.\n"])
    first = search(recorded, "with the courier", limit=2)
    assert vendors(first) == ["Alder Print", "Birch Tea"] and first.truncated and first.documents == 3
    rest = search(recorded, "with the courier", offset=2, limit=2)
    assert vendors(rest) == ["Fernhill Bikes"] and rest.offset == 2


def test_the_context_marks_the_match_and_keeps_markup_as_text(recorded):
    [hit] = search(recorded, "as text").hits
    assert [text for is_match, text in hit.context if is_match] == ["as text"]
    assert "<script>alert(1)</script>" in "".join(text for _, text in hit.context)


def test_periods_in_force_follow_each_change(store):
    recorder = Recorder(store)
    document_id = recorder.document("Fernhill Bikes")
    ids = recorder.history(document_id, [FERN_V1, FERN_V2, FERN_V1])
    periods = history.in_force_periods(store, document_id)
    assert [(p.version, p.start, p.end) for p in periods] == [
        (ids[0], T0, T0 + DAY),
        (ids[1], T0 + DAY, T0 + 2 * DAY),
        (ids[0], T0 + 2 * DAY, None),
    ]


def test_a_date_as_of_means_the_end_of_that_day():
    assert history.parse_as_of("2026-03-01") == datetime(2026, 3, 1, 23, 59, 59, tzinfo=UTC)
    assert history.parse_as_of("2026-03-01T08:30") == datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        history.parse_as_of("last tuesday")


# ------------------------------------------------------------------------------------------ CLI


def test_watcher_search_json_gives_each_document_with_its_dates_and_context(recorded):
    result = CliRunner().invoke(main, ["search", "Ridgeline", "Analytics", "--db", str(recorded.path), "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer == search_json(search(recorded, "Ridgeline Analytics"))
    [hit] = answer["results"]
    assert hit["vendor"] == "Fernhill Bikes" and hit["current"] is False
    assert hit["first_appeared"]["at"] == (T0 + DAY).isoformat()
    assert hit["disappeared"]["at"] == (T0 + 2 * DAY).isoformat()
    assert hit["context"]["matches"] == ["Ridgeline Analytics"]


def test_watcher_search_prints_the_phrase_in_context(recorded):
    result = CliRunner().invoke(main, ["search", "crash reports", "--db", str(recorded.path)])
    assert result.exit_code == 0, result.output
    assert "Mosslight Games" in result.output and "We keep crash reports for 30 days" in result.output
    assert "in the current version" in result.output


def test_watcher_search_exits_1_when_nothing_matches(recorded):
    result = CliRunner().invoke(main, ["search", "quantum ledger", "--db", str(recorded.path), "--json"])
    assert result.exit_code == 1 and json.loads(result.stdout)["results"] == []
