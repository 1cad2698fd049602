"""The history browser's pages, feed and JSON API. Each view reads through watcher.history, watcher.search and
the Store, then hands plain values to a template (autoescaped) or to JSON: no query and no markup is built here."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from watcher import history
from watcher.models import BlockKind, Severity, Version
from watcher.normalize import parse
from watcher.search import SearchError, search, search_json
from watcher.serialize import finding_to_json
from watcher.store import Store
from watcher.web.feed import atom_feed

HERE = Path(__file__).parent
FEED_ENTRIES = 50
SEARCH_PAGE = 50  # documents per search page
RECENT_CHANGES = 10
RAW_EXTENSIONS = {"text/html": ".html", "application/pdf": ".pdf", "text/markdown": ".md", "text/plain": ".txt"}


# -------------------------------------------------------------------------------------------- helpers


def templates(root: str = "") -> Jinja2Templates:
    """`root`: the path every link starts with (public_url's path, "" by default)."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every template, whatever its name: policy text is untrusted input
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(when=when, day=day, iso=iso, path=path_segment, web_link=web_link)
    environment.globals["root"] = root  # links stay under public_url's path behind a proxy
    return Jinja2Templates(env=environment)


def _moment(value: datetime | str | None) -> datetime | None:
    """Pages say "all times are UTC": every moment is shown in UTC, whatever offset it came with."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment.astimezone(UTC) if moment.tzinfo else moment


def when(value: datetime | str | None) -> str:
    moment = _moment(value)
    return f"{moment:%Y-%m-%d %H:%M}" if moment else "–"


def day(value: datetime | str | None) -> str:
    moment = _moment(value)
    return f"{moment:%Y-%m-%d}" if moment else "–"


def iso(value: datetime | str | None) -> str:
    moment = _moment(value)
    return moment.isoformat(timespec="seconds") if moment else ""


def path_segment(value: object) -> str:
    """A vendor name as one URL path segment ("/" too is escaped; the router decodes it back)."""
    return quote(str(value), safe="")


def web_link(url: str | None) -> str | None:
    """Only http(s) addresses become links: a stored URL is never a javascript: or data: link."""
    return url if url and re.match(r"https?://", url, re.IGNORECASE) else None


@contextmanager
def reading(request: Request) -> Iterator[Store]:
    with request.app.state.readers.reading() as store:
        yield store


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    context.setdefault("query", "")
    return request.app.state.templates.TemplateResponse(request, template, context, status_code=status_code)


def base_url(request: Request) -> str:
    return request.app.state.public_url or str(request.base_url).rstrip("/")


def _int_param(request: Request, name: str) -> int:
    value = int(request.path_params[name])
    if value >= 2**63:  # beyond SQLite's integers: no such row, rather than an overflow error
        raise history.NotFound(f"no {name.removesuffix('_id')} {value} in the history")
    return value


def severities_from(request: Request) -> tuple[Severity, ...]:
    """`?severity=minor` means minor and above: severities are ordered, and a feed reader wants "at least"."""
    value = request.query_params.get("severity")
    if not value:
        return ()
    try:
        floor = Severity.parse(value)
    except KeyError:
        raise HTTPException(400, "severity must be one of: cosmetic, minor, material") from None
    return tuple(s for s in Severity if s >= floor and s is not Severity.NONE)


def vendor_from(request: Request, store: Store) -> str | None:
    """The `?vendor=` filter, checked against the history so that a typo is an error, not an empty feed."""
    vendor = request.query_params.get("vendor") or None
    if vendor is not None and not store.document_ids(vendor):
        raise history.NotFound(f"no vendor {vendor!r} in the history")
    return vendor


# ----------------------------------------------------------------------------------- policy text view


@dataclass
class Section:
    """A run of the policy's blocks shown together: a heading, a paragraph, a list or a table."""

    kind: str  # "heading" | "paragraph" | "list" | "table"
    text: str = ""
    level: int = 0
    items: list[tuple[int, str]] = field(default_factory=list)  # list: (depth, text)
    rows: list[list[str]] = field(default_factory=list)  # table: cells


def policy_sections(text: str) -> list[Section]:
    sections: list[Section] = []
    for block in parse(text).blocks:
        if block.kind is BlockKind.HEADING:
            # The page has an h1 and an h2 above the text: the policy's own headings start at h3.
            sections.append(Section("heading", block.text, level=min(block.level + 2, 6)))
        elif block.kind is BlockKind.ITEM:
            if not sections or sections[-1].kind != "list":
                sections.append(Section("list"))
            sections[-1].items.append((min(block.level, 5), block.text))
        elif block.kind is BlockKind.ROW:
            if not sections or sections[-1].kind != "table":
                sections.append(Section("table"))
            sections[-1].rows.append(block.text.split(" | "))
        else:
            sections.append(Section("paragraph", block.text))
    return sections


# ----------------------------------------------------------------------------------------------- pages


def dashboard(request: Request) -> Response:
    with reading(request) as store:
        statuses = store.statuses()
        last_change_ids = store.latest_change_ids()
        recent = store.recent_changes(limit=RECENT_CHANGES)
    return page(
        request,
        "dashboard.html",
        statuses=statuses,
        last_change_ids=last_change_ids,
        recent=recent,
        vendors=len({s.vendor.casefold() for s in statuses}),
        failing=sum(1 for s in statuses if not s.healthy),
    )


def _timelines(store: Store, vendor: str) -> list[tuple[int, dict[str, Any]]]:
    documents = store.document_ids(vendor)
    if not documents:
        raise history.NotFound(f"no vendor {vendor!r} in the history")
    return [(document_id, history.timeline(store, document_id)) for document_id, _ in documents]


def vendor_page(request: Request) -> Response:
    with reading(request) as store:
        timelines = _timelines(store, request.path_params["vendor"])
    return page(request, "vendor.html", vendor=timelines[0][1]["vendor"], timelines=timelines)


def change_page(request: Request) -> Response:
    view = "side" if request.query_params.get("view") == "side" else "inline"
    with reading(request) as store:
        change, document_id, comparison = history.change_with_diff(store, _int_param(request, "change_id"))
    return page(
        request,
        "change.html",
        change=change,
        document_id=document_id,
        old=comparison.old,
        new=comparison.new,
        diff=comparison.diff,
        view=view,
    )


def version_page(request: Request) -> Response:
    with reading(request) as store:
        version = store.version(_int_param(request, "version_id"))
        if version is None:
            raise history.NotFound(f"no version {request.path_params['version_id']} in the history")
        status = history.document_status(store, version.document_id)
        periods = [p for p in history.in_force_periods(store, version.document_id) if p.version == version.id]
        has_raw = store.version_snapshot(version.id) is not None
        as_of = _as_of(store, version, request.query_params.get("as_of"))
    return page(
        request,
        "version.html",
        version=version,
        status=status,
        periods=periods,
        has_raw=has_raw,
        as_of=as_of,
        sections=policy_sections(version.text),
    )


def _as_of(store: Store, version: Version, text: str | None) -> datetime | None:
    """The moment the version was looked up for ("policy as of"), if this version really was in force then: the
    page never states what a crafted URL claims."""
    if not text:
        return None
    try:
        moment = history.parse_as_of(text)
        in_force = history.pick_version(store, version.document_id, None, moment)
    except (ValueError, history.NotFound):
        return None
    return moment if in_force.id == version.id else None


def as_of(request: Request) -> Response:
    """The "policy as of DATE" form: the version in force at the end of that day."""
    date = request.query_params.get("date", "").strip()
    if not date:
        raise HTTPException(400, "choose a date (YYYY-MM-DD)")
    try:
        moment = history.parse_as_of(date)
    except ValueError as error:
        raise HTTPException(400, str(error)) from None
    with reading(request) as store:
        document_id = _int_param(request, "document_id")
        history.document_status(store, document_id)  # NotFound for an unknown document
        version = history.pick_version(store, document_id, None, moment)
    return RedirectResponse(f"{request.app.state.root}/versions/{version.id}?as_of={quote(date)}", status_code=303)


def raw_page(request: Request) -> Response:
    """The page as fetched, as a download: the vendor's HTML is never served as HTML from our origin."""
    version_id = _int_param(request, "version_id")
    with reading(request) as store:
        version = store.version(version_id)
        snapshot = history.raw_page(store, version_id) if version else None
        status = history.document_status(store, version.document_id) if version else None
    if snapshot is None or status is None:
        raise history.NotFound(f"no raw page stored for version {version_id}")
    slug = re.sub(r"[^a-z0-9]+", "-", f"{status.vendor} {status.document}".lower()).strip("-") or "policy"
    filename = f"{slug}-version-{version_id}{RAW_EXTENSIONS.get(snapshot.content_type, '.bin')}"
    return Response(
        snapshot.body,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


def _page_number(request: Request) -> int:
    try:
        return max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        raise HTTPException(400, "page must be a number") from None


def search_page(request: Request) -> Response:
    query = request.query_params.get("q", "").strip()
    number = _page_number(request)
    results, problem = None, None
    if query:
        with reading(request) as store:
            try:
                results = search(store, query, offset=(number - 1) * SEARCH_PAGE, limit=SEARCH_PAGE)
            except SearchError as error:
                problem = str(error)
    return page(request, "search.html", query=query, results=results, problem=problem, page_number=number)


def feed(request: Request) -> Response:
    severities = severities_from(request)
    with reading(request) as store:
        vendor = vendor_from(request, store)
        changes = store.recent_changes(vendor=vendor, severities=severities, limit=FEED_ENTRIES)
    title = "Policy changes" + (f" of {vendor}" if vendor else "")
    if severities:
        title += f" ({severities[0].label} and above)"
    root = base_url(request)
    self_url = f"{root}{request.url.path}" + (f"?{request.url.query}" if request.url.query else "")
    return Response(
        atom_feed(changes, title=title, base_url=root, self_url=self_url),
        media_type="application/atom+xml; charset=utf-8",
    )


# ------------------------------------------------------------------------------------------------ API


def api_vendors(request: Request) -> Response:
    with reading(request) as store:
        statuses = store.statuses()
    return JSONResponse([{"document_id": s.id, **history.status_json(s)} for s in statuses])


def api_vendor(request: Request) -> Response:
    with reading(request) as store:
        timelines = _timelines(store, request.path_params["vendor"])
    return JSONResponse([{"document_id": document_id, **timeline} for document_id, timeline in timelines])


def api_changes(request: Request) -> Response:
    severities = severities_from(request)
    with reading(request) as store:
        vendor = vendor_from(request, store)
        changes = store.recent_changes(vendor=vendor, severities=severities, limit=FEED_ENTRIES)
    return JSONResponse([history.change_json(c) for c in changes])


def api_change(request: Request) -> Response:
    with reading(request) as store:
        change, document_id, comparison = history.change_with_diff(store, _int_param(request, "change_id"))
    return JSONResponse(
        {
            **history.change_json(change),
            "document_id": document_id,
            "findings": [finding_to_json(f) for f in change.assessment.findings],
            "moved": comparison.diff.moved,
            "hunks": history.comparison_json(comparison)["hunks"],
        }
    )


def api_version(request: Request) -> Response:
    version_id = _int_param(request, "version_id")
    with reading(request) as store:
        version = store.version(version_id)
        if version is None:
            raise history.NotFound(f"no version {version_id} in the history")
        status = history.document_status(store, version.document_id)
        periods = [p for p in history.in_force_periods(store, version.document_id) if p.version == version.id]
        has_raw = store.version_snapshot(version_id) is not None
    return JSONResponse(
        {
            **history.version_json(version),
            "document_id": version.document_id,
            "vendor": status.vendor,
            "document": status.document,
            "url": status.url,
            "in_force": [history.period_json(p) for p in periods],
            "raw": f"{request.app.state.root}/versions/{version_id}/raw" if has_raw else None,
        }
    )


def api_search(request: Request) -> Response:
    query = request.query_params.get("q", "")
    with reading(request) as store:
        try:
            results = search(store, query, offset=(_page_number(request) - 1) * SEARCH_PAGE, limit=SEARCH_PAGE)
        except SearchError as error:
            raise HTTPException(400, str(error)) from None
    return JSONResponse(search_json(results))


# ---------------------------------------------------------------------------------------------- errors


async def not_found(request: Request, error: Exception) -> Response:
    message = str(error) if isinstance(error, history.NotFound) else "There is no such page."
    return _error(request, 404, message)


async def http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    if error.status_code == 404:
        return _error(request, 404, "There is no such page.")
    return _error(request, error.status_code, str(error.detail))


def _error(request: Request, status_code: int, message: str) -> Response:
    if request.url.path.removeprefix(request.scope.get("root_path", "")).startswith("/api/"):
        return JSONResponse({"error": message}, status_code=status_code)
    return page(request, "error.html", status_code=status_code, status=status_code, message=message)


EXCEPTION_HANDLERS: dict[Any, Any] = {history.NotFound: not_found, HTTPException: http_error}


def routes() -> list[BaseRoute]:
    return [
        Route("/", dashboard, name="dashboard"),
        Route("/vendors/{vendor:path}", vendor_page, name="vendor"),
        Route("/documents/{document_id:int}/as-of", as_of, name="as_of"),
        Route("/changes/{change_id:int}", change_page, name="change"),
        Route("/versions/{version_id:int}", version_page, name="version"),
        Route("/versions/{version_id:int}/raw", raw_page, name="raw"),
        Route("/search", search_page, name="search"),
        Route("/feed.atom", feed, name="feed"),
        Route("/api/vendors", api_vendors),
        Route("/api/vendors/{vendor:path}", api_vendor),
        Route("/api/changes", api_changes),
        Route("/api/changes/{change_id:int}", api_change),
        Route("/api/versions/{version_id:int}", api_version),
        Route("/api/search", api_search),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
