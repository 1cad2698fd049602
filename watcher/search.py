"""Find a phrase in every stored version: which documents mention it, in what words, and when it first
appeared or disappeared. Shared by `watcher search` and the web search page, which only format the results."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from watcher.store import Store

MAX_DOCUMENTS = 200  # documents listed per search (a page of them); the counts still cover every hit
MAX_VERSIONS = 50_000  # matching versions read per search
VERSIONS_LISTED = 5  # newest matching versions listed per document (the transitions say the rest)


class SearchError(ValueError):
    """The search cannot run as asked (e.g. nothing to search for); the message says what to type instead."""


@dataclass(frozen=True)
class Transition:
    """The phrase came into a document's text (appeared) or went out of it (disappeared)."""

    kind: str  # "appeared" | "disappeared"
    at: datetime
    version: int  # the version that came into force then
    change: int | None  # the change that made it so (None: present since the first recorded version)


@dataclass(frozen=True)
class MatchingVersion:
    id: int
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True)
class DocumentHit:
    """One document whose versions mention the phrase."""

    document_id: int
    vendor: str
    document: str
    url: str
    matching_versions: int  # how many of its versions mention it
    versions: tuple[MatchingVersion, ...]  # the newest of them (VERSIONS_LISTED), newest first
    transitions: tuple[Transition, ...]  # every appearance and disappearance, oldest first
    current: bool  # the text in force now mentions it
    context_version: int  # the version the context is quoted from: the newest that mentions it
    context: tuple[tuple[bool, str], ...]  # the phrase in context: (is the match, text) pieces, in order

    @property
    def first_appeared(self) -> Transition:
        return self.transitions[0]

    @property
    def disappeared(self) -> Transition | None:
        """When the phrase left the text, if it is gone now."""
        return None if self.current else self.transitions[-1]


@dataclass(frozen=True)
class SearchResults:
    phrase: str
    hits: tuple[DocumentHit, ...]  # documents offset+1 to offset+len(hits) of the ordered list
    documents: int  # documents that mention the phrase
    versions: int  # versions that mention it
    offset: int = 0

    @property
    def truncated(self) -> bool:
        """More documents mention the phrase than are listed here."""
        return len(self.hits) < self.documents


def search(store: Store, phrase: str, *, offset: int = 0, limit: int = MAX_DOCUMENTS) -> SearchResults:
    """Every document whose stored versions contain `phrase`: current mentions first, then by vendor.

    A phrase common to every policy matches thousands of versions: only ids are read for all of them; dates,
    names and context are read for what is listed."""
    phrase = " ".join(phrase.split())
    if not re.search(r"\w", phrase):
        raise SearchError("type a word or a phrase to search for")
    matching: dict[int, list[int]] = {}  # document -> matching version ids, oldest first
    for version_id, document_id in store.search_versions(phrase, limit=MAX_VERSIONS):
        matching.setdefault(document_id, []).append(version_id)
    transitions = _transitions(store, matching)
    names = store.document_names(list(matching))

    def order(document_id: int) -> tuple[bool, str, str]:
        current = transitions[document_id][-1].kind == "appeared"
        return (not current, names[document_id][0].casefold(), names[document_id][1].casefold())

    listed = sorted(matching, key=order)[offset : offset + limit]
    newest = {document_id: matching[document_id][: -VERSIONS_LISTED - 1 : -1] for document_id in listed}
    dates = store.version_dates([v for ids in newest.values() for v in ids])
    contexts = store.snippets(phrase, [matching[document_id][-1] for document_id in listed])
    hits = tuple(
        DocumentHit(
            document_id=document_id,
            vendor=names[document_id][0],
            document=names[document_id][1],
            url=names[document_id][2],
            matching_versions=len(matching[document_id]),
            versions=tuple(MatchingVersion(v, *dates[v]) for v in newest[document_id]),
            transitions=transitions[document_id],
            current=transitions[document_id][-1].kind == "appeared",
            context_version=matching[document_id][-1],
            context=_pieces(contexts.get(matching[document_id][-1], "")),
        )
        for document_id in listed
    )
    return SearchResults(
        phrase=phrase,
        hits=hits,
        documents=len(matching),
        versions=sum(len(ids) for ids in matching.values()),
        offset=offset,
    )


def _transitions(store: Store, matching: dict[int, list[int]]) -> dict[int, tuple[Transition, ...]]:
    """Each time the phrase came into a document's text or went out of it, following the order in which its
    versions were in force (flips included)."""
    found: dict[int, list[Transition]] = {document_id: [] for document_id in matching}
    versions = [version_id for ids in matching.values() for version_id in ids]
    for document_id, version_id, since, change_id, mentions in store.presence_edges(versions, list(matching)):
        found[document_id].append(Transition("appeared" if mentions else "disappeared", since, version_id, change_id))
    for document_id, transitions in found.items():
        if not transitions:  # no recorded succession (a version outside any change): its own date stands in
            first = matching[document_id][0]
            first_seen, _ = store.version_dates([first])[first]
            transitions.append(Transition("appeared", first_seen, first, None))
    return {document_id: tuple(transitions) for document_id, transitions in found.items()}


def _pieces(snippet: str) -> tuple[tuple[bool, str], ...]:
    """A snippet cut at the store's match marks: (is the match, text) pieces, the text still unescaped."""
    parts = re.split(f"[{Store.MATCH_START}{Store.MATCH_END}]", snippet)
    return tuple((index % 2 == 1, part) for index, part in enumerate(parts) if part)


# ----------------------------------------------------------------------------------------------- json


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def transition_json(transition: Transition) -> dict[str, Any]:
    return {"at": _iso(transition.at), "version": transition.version, "change": transition.change}


def search_json(results: SearchResults) -> dict[str, Any]:
    """The `watcher search --json` and `/api/search` answer."""
    return {
        "phrase": results.phrase,
        "documents": results.documents,
        "versions": results.versions,
        "offset": results.offset,
        "truncated": results.truncated,
        "results": [
            {
                "vendor": hit.vendor,
                "document": hit.document,
                "document_id": hit.document_id,
                "url": hit.url,
                "current": hit.current,
                "first_appeared": transition_json(hit.first_appeared),
                "disappeared": transition_json(hit.disappeared) if hit.disappeared else None,
                "transitions": [{"event": t.kind, **transition_json(t)} for t in hit.transitions],
                "matching_versions": hit.matching_versions,
                "newest_versions": [
                    {"id": v.id, "first_seen": _iso(v.first_seen), "last_seen": _iso(v.last_seen)} for v in hit.versions
                ],
                "context": {
                    "version": hit.context_version,
                    "text": "".join(text for _, text in hit.context),
                    "matches": [text for is_match, text in hit.context if is_match],
                },
            }
            for hit in results.hits
        ],
    }
