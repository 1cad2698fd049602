"""Fetching against a real HTTP server on 127.0.0.1: politeness, retries, limits, charsets, robots.txt."""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import gzip
import itertools
import socket
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC

import pytest
from localserver import LocalServer, Reply, Request

import watcher.fetch as fetch_module
from watcher.fetch import FetchSettings, _address_kind, fetch_all, fetch_one
from watcher.models import Fetched, Outcome, Target, Validators

PAGE = b"<!doctype html><html><head><title>Privacy</title></head><body><p>We collect your email.</p></body></html>"


def settings(**overrides: object) -> FetchSettings:
    """Fast and permissive: everything here is on loopback, and nobody wants to wait in a test."""
    base: dict[str, object] = {
        "allow_private_networks": True,
        "per_host_delay": 0.0,
        "backoff": 0.01,
        "timeout": 2.0,
    }
    return FetchSettings(**(base | overrides))  # type: ignore[arg-type]


def target(url: str, document: str = "Privacy Policy") -> Target:
    return Target(vendor="Acme", document=document, url=url)


def html(body: bytes = PAGE, headers: dict[str, str] | None = None) -> Reply:
    return Reply(200, body, {"Content-Type": "text/html; charset=utf-8", **(headers or {})})


def fetch_many(targets: list[Target], fetch_settings: FetchSettings) -> list[Fetched]:
    async def collect() -> list[Fetched]:
        return [fetched async for fetched in fetch_all(targets, fetch_settings)]

    return asyncio.run(collect())


def timed(reply: Reply, log: list[tuple[str, float, float]], hold: float = 0.0) -> Callable[[Request], Reply]:
    """A route that records when each request arrived and when it was answered."""

    def handle(request: Request) -> Reply:
        start = time.monotonic()
        time.sleep(hold)
        log.append((request.path, start, time.monotonic()))
        return reply

    return handle


@pytest.fixture(scope="module")
def shared_server() -> Iterator[LocalServer]:
    with LocalServer() as local:
        yield local


@pytest.fixture
def server(shared_server: LocalServer) -> LocalServer:
    """The module's server, reset: shutting a LocalServer down takes half a second, so one serves all."""
    shared_server.requests.clear()
    shared_server.route("/robots.txt", Reply(404))
    return shared_server


# ------------------------------------------------------------------------------------- success, 304


def test_a_200_page_is_ok_with_its_text_and_validators_recorded(server: LocalServer) -> None:
    headers = {"ETag": '"v1"', "Last-Modified": "Tue, 01 Oct 2024 10:00:00 GMT"}
    server.route("/privacy", html(headers=headers))

    fetched = fetch_one(target(server.url("/privacy")), settings())

    assert fetched.outcome is Outcome.OK and fetched.error is None
    assert fetched.status == 200
    assert fetched.body == PAGE and "We collect your email." in fetched.text
    assert fetched.content_type == "text/html" and fetched.charset == "utf-8"
    assert fetched.validators == Validators(etag='"v1"', last_modified="Tue, 01 Oct 2024 10:00:00 GMT")
    assert fetched.final_url == server.url("/privacy") and fetched.redirects == ()
    assert fetched.fetched_at.tzinfo is UTC and fetched.duration_ms > 0


def test_requests_carry_the_configured_user_agent(server: LocalServer) -> None:
    server.route("/privacy", html())

    fetch_one(target(server.url("/privacy")), settings(user_agent="policy-watcher/9 (+mailto:legal@acme.test)"))

    assert server.requests_to("/privacy")[0].headers["User-Agent"] == "policy-watcher/9 (+mailto:legal@acme.test)"


def test_a_304_answer_to_a_conditional_request_is_not_modified(server: LocalServer) -> None:
    server.route("/privacy", Reply(304))
    known = Validators(etag='"v1"', last_modified="Tue, 01 Oct 2024 10:00:00 GMT")

    fetched = fetch_one(target(server.url("/privacy")), settings(), known)

    sent = server.requests_to("/privacy")[0].headers
    assert sent["If-None-Match"] == '"v1"' and sent["If-Modified-Since"] == "Tue, 01 Oct 2024 10:00:00 GMT"
    assert fetched.outcome is Outcome.NOT_MODIFIED and fetched.status == 304
    assert fetched.body == b"" and fetched.validators == known


# ------------------------------------------------------------------------------------------ redirects


def test_redirects_are_followed_and_every_hop_recorded(server: LocalServer) -> None:
    server.route("/old", Reply(301, headers={"Location": "/middle"}))
    server.route("/middle", Reply(302, headers={"Location": server.url("/privacy")}))
    server.route("/privacy", html())

    fetched = fetch_one(target(server.url("/old")), settings())

    assert fetched.outcome is Outcome.OK
    assert fetched.redirects == (server.url("/old"), server.url("/middle"))
    assert fetched.final_url == server.url("/privacy")


def test_a_redirect_loop_is_reported_with_its_path(server: LocalServer) -> None:
    server.route("/a", Reply(302, headers={"Location": "/b"}))
    server.route("/b", Reply(302, headers={"Location": "/a"}))

    fetched = fetch_one(target(server.url("/a")), settings())

    assert fetched.outcome is Outcome.REDIRECT_LOOP
    assert fetched.error == f"redirect loop: {server.url('/a')} -> {server.url('/b')} -> {server.url('/a')}"
    assert len(server.requests_to("/a")) == 1


def test_a_return_to_a_page_after_a_cookie_was_set_is_not_a_loop(server: LocalServer) -> None:
    def privacy(request: Request) -> Reply:
        if "consent=yes" in request.headers.get("Cookie", ""):
            return html()
        return Reply(302, headers={"Location": "/consent"})

    server.route("/privacy", privacy)
    set_consent = {"Location": "/privacy", "Set-Cookie": "consent=yes; Path=/"}
    server.route("/consent", Reply(302, headers=set_consent))

    fetched = fetch_one(target(server.url("/privacy")), settings())

    assert fetched.outcome is Outcome.OK
    assert fetched.redirects == (server.url("/privacy"), server.url("/consent"))


def test_more_redirects_than_allowed_count_as_a_redirect_loop(server: LocalServer) -> None:
    for hop in range(5):
        server.route(f"/{hop}", Reply(302, headers={"Location": f"/{hop + 1}"}))

    fetched = fetch_one(target(server.url("/0")), settings(max_redirects=3))

    assert fetched.outcome is Outcome.REDIRECT_LOOP
    assert fetched.error is not None and "fetch.max_redirects" in fetched.error
    assert server.requests_to("/4") == []


# -------------------------------------------------------------------------------------------- retries


def test_a_503_is_retried_until_the_page_comes_back(server: LocalServer) -> None:
    server.route("/privacy", [Reply(503), html()])

    fetched = fetch_one(target(server.url("/privacy")), settings())

    assert fetched.outcome is Outcome.OK
    assert len(server.requests_to("/privacy")) == 2


def test_retry_after_on_a_429_is_honoured(server: LocalServer) -> None:
    arrivals: list[float] = []
    replies = [Reply(429, headers={"Retry-After": "1"}), html()]

    def throttled(request: Request) -> Reply:
        arrivals.append(time.monotonic())
        return replies[min(len(arrivals), 2) - 1]

    server.route("/privacy", throttled)

    fetched = fetch_one(target(server.url("/privacy")), settings())

    assert fetched.outcome is Outcome.OK
    assert arrivals[1] - arrivals[0] >= 0.95


def test_a_server_error_that_persists_is_an_http_error_naming_the_attempts(server: LocalServer) -> None:
    server.route("/privacy", Reply(500))

    fetched = fetch_one(target(server.url("/privacy")), settings(retries=2))

    assert fetched.outcome is Outcome.HTTP_ERROR and fetched.status == 500
    assert fetched.error == "HTTP 500 Internal Server Error after 3 attempts"
    assert len(server.requests_to("/privacy")) == 3


def test_a_404_is_not_retried(server: LocalServer) -> None:
    server.route("/privacy", Reply(404))

    fetched = fetch_one(target(server.url("/privacy")), settings(retries=2))

    assert fetched.outcome is Outcome.HTTP_ERROR and fetched.status == 404
    assert fetched.error == "HTTP 404 Not Found"
    assert len(server.requests_to("/privacy")) == 1


def test_a_refused_connection_is_a_connection_error_after_the_retries() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    fetched = fetch_one(target(f"http://127.0.0.1:{port}/privacy"), settings(retries=1))

    assert fetched.outcome is Outcome.CONNECTION_ERROR and fetched.status is None
    assert fetched.error is not None and fetched.error.endswith("after 2 attempts")


# --------------------------------------------------------------------------------------- size and time


def test_a_page_declared_larger_than_max_bytes_is_too_large(server: LocalServer) -> None:
    server.route("/privacy", html(b"<p>" + b"x" * 5000 + b"</p>"))

    fetched = fetch_one(target(server.url("/privacy")), settings(max_bytes=1024))

    assert fetched.outcome is Outcome.TOO_LARGE and fetched.body == b""
    assert fetched.error is not None and "fetch.max_bytes" in fetched.error


def test_a_streamed_page_is_cut_off_once_it_passes_max_bytes(server: LocalServer) -> None:
    chunks = [b"<p>" + b"x" * 1000 + b"</p>"] * 2000  # 2 MB without a Content-Length
    server.route("/privacy", Reply(200, headers={"Content-Type": "text/html"}, chunks=chunks))

    fetched = fetch_one(target(server.url("/privacy")), settings(max_bytes=10_000))

    assert fetched.outcome is Outcome.TOO_LARGE


def test_a_gzip_bomb_is_refused_without_being_inflated(server: LocalServer) -> None:
    squeeze = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    megabyte_of_zeros = bytes(1 << 20)
    bomb = b"".join(squeeze.compress(megabyte_of_zeros) for _ in range(50)) + squeeze.flush()
    assert len(bomb) < 100_000  # 50 MB of zeros
    server.route("/privacy", html(bomb, {"Content-Encoding": "gzip"}))

    tracemalloc.start()
    try:
        started = time.monotonic()
        fetched = fetch_one(target(server.url("/privacy")), settings(max_bytes=1_000_000))
        elapsed = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert fetched.outcome is Outcome.TOO_LARGE
    assert elapsed < 2.0
    assert peak < 16_000_000  # inflating even one 64 KiB read of the bomb would take 50 MB


def test_a_gzip_page_is_decompressed(server: LocalServer) -> None:
    server.route("/privacy", html(gzip.compress(PAGE), {"Content-Encoding": "gzip"}))

    fetched = fetch_one(target(server.url("/privacy")), settings())

    assert fetched.outcome is Outcome.OK and fetched.body == PAGE


def test_a_body_dripping_slower_than_the_timeout_allows_is_a_timeout(server: LocalServer) -> None:
    drip = Reply(200, headers={"Content-Type": "text/html"}, chunks=[b"<p>drip</p>"] * 40, chunk_delay=0.1)
    server.route("/privacy", drip)

    started = time.monotonic()
    fetched = fetch_one(target(server.url("/privacy")), settings(timeout=0.5, retries=0))

    assert fetched.outcome is Outcome.TIMEOUT
    assert fetched.error is not None and "fetch.timeout" in fetched.error
    assert time.monotonic() - started < 1.5


# ------------------------------------------------------------------------------- charsets and types


def test_the_charset_comes_from_the_content_type_header(server: LocalServer) -> None:
    body = "<p>Политика конфиденциальности</p>".encode("koi8-r")
    server.route("/privacy", Reply(200, body, {"Content-Type": "text/html; charset=KOI8-R"}))

    fetched = fetch_one(target(server.url("/privacy")), settings())

    assert fetched.charset == "koi8-r" and fetched.text == "<p>Политика конфиденциальности</p>"


@pytest.mark.parametrize(
    "meta",
    [
        '<meta charset="windows-1251">',
        '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">',
    ],
)
def test_the_charset_comes_from_a_meta_tag_when_the_header_has_none(server: LocalServer, meta: str) -> None:
    page = f"<html><head>{meta}</head><body><p>Политика конфиденциальности</p></body></html>"
    server.route("/privacy", Reply(200, page.encode("windows-1251"), {"Content-Type": "text/html"}))

    fetched = fetch_one(target(server.url("/privacy")), settings())

    assert fetched.charset == "cp1251" and fetched.text == page


def test_windows_1252_without_any_declaration_is_detected(server: LocalServer) -> None:
    page = (
        "<html><body><p>Nous collectons vos données personnelles — adresse, téléphone et préférences — "
        "afin de fournir le service demandé. Vous pouvez exercer vos droits d’accès, de rectification "
        "et d’effacement à tout moment. We don’t sell your data; “opt-out” is always available.</p>"
        "</body></html>"
    )
    server.route("/privacy", Reply(200, page.encode("cp1252"), {"Content-Type": "text/html"}))

    fetched = fetch_one(target(server.url("/privacy")), settings())

    assert fetched.charset == "cp1252" and fetched.text == page


def test_a_byte_order_mark_outweighs_the_declared_charset(server: LocalServer) -> None:
    body = codecs.BOM_UTF8 + "<p>Données</p>".encode()
    server.route("/privacy", Reply(200, body, {"Content-Type": "text/html; charset=iso-8859-1"}))

    fetched = fetch_one(target(server.url("/privacy")), settings())

    assert fetched.charset == "utf-8" and fetched.text == "<p>Données</p>"


def test_an_image_is_not_a_document(server: LocalServer) -> None:
    server.route("/privacy", Reply(200, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", {"Content-Type": "image/png"}))

    fetched = fetch_one(target(server.url("/privacy")), settings())

    assert fetched.outcome is Outcome.NOT_A_DOCUMENT and fetched.body == b""
    assert fetched.error is not None and "image/png" in fetched.error


@pytest.mark.parametrize(
    ("body", "outcome", "content_type"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", Outcome.OK, "application/pdf"),
        (PAGE, Outcome.OK, "text/html"),
        (b"# Privacy\n\nWe collect your email.\n", Outcome.OK, "text/plain"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01", Outcome.NOT_A_DOCUMENT, ""),
    ],
    ids=["pdf", "html", "text", "png"],
)
def test_a_body_without_a_content_type_is_sniffed(
    server: LocalServer, body: bytes, outcome: Outcome, content_type: str
) -> None:
    server.route("/privacy", Reply(200, body))

    fetched = fetch_one(target(server.url("/privacy")), settings())

    assert fetched.outcome is outcome and fetched.content_type == content_type


def test_a_pdf_keeps_its_body_and_has_no_text(server: LocalServer) -> None:
    pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
    server.route("/privacy.pdf", Reply(200, pdf, {"Content-Type": "application/pdf"}))

    fetched = fetch_one(target(server.url("/privacy.pdf")), settings())

    assert fetched.outcome is Outcome.OK and fetched.body == pdf
    assert fetched.text == "" and fetched.charset is None


# ------------------------------------------------------------------------------------------ robots.txt


def test_a_page_disallowed_by_robots_txt_is_not_fetched(server: LocalServer) -> None:
    server.route("/robots.txt", Reply(200, "User-agent: policy-watcher\nDisallow: /legal/\n"))
    server.route("/legal/privacy", html())

    fetched = fetch_one(target(server.url("/legal/privacy")), settings())

    assert fetched.outcome is Outcome.ROBOTS_DISALLOWED
    assert fetched.error is not None and "robots.txt" in fetched.error and "policy-watcher" in fetched.error
    assert server.requests_to("/legal/privacy") == []


def test_rules_for_other_crawlers_do_not_apply(server: LocalServer) -> None:
    server.route("/robots.txt", Reply(200, "User-agent: otherbot\nDisallow: /\n"))
    server.route("/privacy", html())

    assert fetch_one(target(server.url("/privacy")), settings()).outcome is Outcome.OK


@pytest.mark.parametrize("status", [404, 503])
def test_a_missing_or_failing_robots_txt_allows_everything(server: LocalServer, status: int) -> None:
    server.route("/robots.txt", Reply(status))
    server.route("/privacy", html())

    fetched = fetch_one(target(server.url("/privacy")), settings())

    assert fetched.outcome is Outcome.OK
    assert len(server.requests_to("/robots.txt")) == 1


def test_robots_txt_is_fetched_once_per_host_and_run(server: LocalServer) -> None:
    server.route("/robots.txt", Reply(200, "User-agent: *\nDisallow: /admin\n"))
    server.route("/privacy", html())
    server.route("/cookies", html())

    results = fetch_many([target(server.url("/privacy")), target(server.url("/cookies"), "Cookies")], settings())

    assert [r.outcome for r in results] == [Outcome.OK, Outcome.OK]
    assert len(server.requests_to("/robots.txt")) == 1


def test_robots_txt_is_ignored_when_respect_robots_is_off(server: LocalServer) -> None:
    server.route("/robots.txt", Reply(200, "User-agent: *\nDisallow: /\n"))
    server.route("/privacy", html())

    fetched = fetch_one(target(server.url("/privacy")), settings(respect_robots=False))

    assert fetched.outcome is Outcome.OK and server.requests_to("/robots.txt") == []


def test_a_crawl_delay_in_robots_txt_spaces_requests_to_the_host(server: LocalServer) -> None:
    log: list[tuple[str, float, float]] = []
    server.route("/robots.txt", timed(Reply(200, "User-agent: *\nCrawl-delay: 0.2\n"), log))
    server.route("/privacy", timed(html(), log))
    server.route("/cookies", timed(html(), log))

    fetch_many([target(server.url("/privacy")), target(server.url("/cookies"), "Cookies")], settings())

    (_, _, privacy_end), (_, cookies_start, _) = log[1], log[2]
    assert cookies_start - privacy_end >= 0.19


# ----------------------------------------------------------------------------------- private networks


def test_a_loopback_target_is_refused_unless_private_networks_are_allowed(server: LocalServer) -> None:
    server.route("/privacy", html())

    fetched = fetch_one(target(server.url("/privacy")), settings(allow_private_networks=False))

    assert fetched.outcome is Outcome.BLOCKED_ADDRESS
    assert fetched.error is not None
    assert "127.0.0.1" in fetched.error and "loopback" in fetched.error
    assert "fetch.allow_private_networks" in fetched.error
    assert server.requests_to("/privacy") == [] and server.requests_to("/robots.txt") == []


def test_a_host_name_is_judged_by_the_addresses_it_resolves_to(server: LocalServer) -> None:
    url = server.url("/privacy").replace("127.0.0.1", "localhost")

    fetched = fetch_one(target(url), settings(allow_private_networks=False))

    assert fetched.outcome is Outcome.BLOCKED_ADDRESS
    assert fetched.error is not None and "localhost" in fetched.error and "resolves to" in fetched.error
    assert server.requests_to("/privacy") == [] and server.requests_to("/robots.txt") == []


def test_a_redirect_into_a_private_network_is_refused(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    # Pretend 127.0.0.1 is a vendor on the internet and "localhost" an intranet host: only the redirect hop
    # may be refused, and nothing but 127.0.0.1 is ever contacted.
    pretend = {"127.0.0.1": ["93.184.216.34"], "localhost": ["10.0.0.1"]}

    async def resolve(host: str) -> list[str]:
        return pretend[host]

    monkeypatch.setattr(fetch_module, "_resolve", resolve)
    internal = server.url("/internal").replace("127.0.0.1", "localhost")
    server.route("/privacy", Reply(302, headers={"Location": internal}))

    fetched = fetch_one(target(server.url("/privacy")), settings(allow_private_networks=False))

    assert fetched.outcome is Outcome.BLOCKED_ADDRESS
    assert fetched.error is not None and "localhost" in fetched.error and "10.0.0.1" in fetched.error
    assert fetched.redirects == (server.url("/privacy"),)
    assert server.requests_to("/internal") == []


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"])
def test_a_public_address_is_allowed(address: str) -> None:
    assert _address_kind(address) is None


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.1", "private"),
        ("192.168.1.20", "private"),
        ("fd00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non-public"),
        ("::ffff:10.0.0.1", "private"),
    ],
)
def test_a_non_public_address_is_refused(address: str, kind: str) -> None:
    assert _address_kind(address) == kind


# ------------------------------------------------------------------------------------ politeness, flow


def test_requests_to_one_host_never_overlap_and_keep_the_per_host_delay(server: LocalServer) -> None:
    log: list[tuple[str, float, float]] = []
    server.route("/privacy", timed(html(), log, hold=0.05))
    server.route("/cookies", timed(html(), log, hold=0.05))
    server.route("/robots.txt", timed(Reply(404), log, hold=0.05))
    targets = [target(server.url("/privacy")), target(server.url("/cookies"), "Cookies")]

    fetch_many(targets, settings(per_host_delay=0.2))

    assert [path for path, _, _ in log] == ["/robots.txt", "/privacy", "/cookies"]
    for (_, _, end), (_, next_start, _) in itertools.pairwise(log):
        assert next_start - end >= 0.19


def test_different_hosts_are_fetched_in_parallel(server: LocalServer) -> None:
    server.route("/privacy", Reply(200, PAGE, {"Content-Type": "text/html"}, delay=0.5))
    by_ip = server.url("/privacy")
    by_name = by_ip.replace("127.0.0.1", "localhost")  # a second host name for the same server

    started = time.monotonic()
    results = fetch_many([target(by_ip), target(by_name, "Other")], settings(respect_robots=False))

    assert [r.outcome for r in results] == [Outcome.OK, Outcome.OK]
    assert time.monotonic() - started < 0.9


def test_each_result_is_yielded_as_soon_as_it_is_done(server: LocalServer) -> None:
    server.route("/slow", Reply(200, PAGE, {"Content-Type": "text/html"}, delay=0.5))
    server.route("/fast", html())
    slow = target(server.url("/slow"), "Slow")
    fast = target(server.url("/fast").replace("127.0.0.1", "localhost"), "Fast")

    results = fetch_many([slow, fast], settings(respect_robots=False))

    assert [r.target for r in results] == [fast, slow]


def test_a_bad_target_yields_a_failure_and_the_others_are_still_fetched(server: LocalServer) -> None:
    server.route("/privacy", html())
    targets = [target("ftp://files.acme.test/privacy.txt", "FTP"), target(server.url("/privacy"))]

    results = {r.target.document: r for r in fetch_many(targets, settings())}

    assert results["FTP"].outcome is Outcome.CONNECTION_ERROR
    assert results["FTP"].error == "'ftp://files.acme.test/privacy.txt' is not an http or https URL"
    assert results["Privacy Policy"].outcome is Outcome.OK


def test_a_caller_that_stops_reading_early_does_not_wait_for_the_rest(server: LocalServer) -> None:
    server.route("/fast", html())
    server.route("/slow", Reply(200, PAGE, {"Content-Type": "text/html"}, delay=1.0))
    targets = [target(server.url("/fast")), target(server.url("/slow"), "Slow")]

    async def first_only() -> Fetched:
        async with contextlib.aclosing(fetch_all(targets, settings(respect_robots=False))) as results:
            async for fetched in results:
                return fetched
        raise AssertionError("no result")

    started = time.monotonic()
    first = asyncio.run(first_only())

    assert first.target == targets[0]
    assert time.monotonic() - started < 0.5


# ------------------------------------------------------------ limits on decompressed and error bodies


def _bomb(wbits: int, megabytes: int = 50) -> bytes:
    squeeze = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = bytes(1 << 20)
    return b"".join(squeeze.compress(block) for _ in range(megabytes)) + squeeze.flush()


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS], ids=["zlib-deflate", "raw-deflate"])
def test_a_deflate_bomb_is_refused_without_being_inflated(server: LocalServer, wbits: int) -> None:
    server.route("/privacy", html(_bomb(wbits), {"Content-Encoding": "deflate"}))

    tracemalloc.start()
    try:
        fetched = fetch_one(target(server.url("/privacy")), settings(max_bytes=1_000_000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert fetched.outcome is Outcome.TOO_LARGE
    assert peak < 16_000_000


def test_a_compressed_body_dripping_slower_than_the_timeout_allows_is_a_timeout(server: LocalServer) -> None:
    squeeze = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    paragraph = b"<p>We collect your e-mail address.</p>" * 50
    chunks = [squeeze.compress(paragraph) + squeeze.flush(zlib.Z_SYNC_FLUSH) for _ in range(40)]
    drip = Reply(200, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"}, chunks=chunks, chunk_delay=0.1)
    server.route("/privacy", drip)

    started = time.monotonic()
    fetched = fetch_one(target(server.url("/privacy")), settings(timeout=0.5, retries=0))

    assert fetched.outcome is Outcome.TIMEOUT
    assert time.monotonic() - started < 1.5


def test_an_error_page_that_is_a_bomb_or_a_drip_is_read_only_so_far(server: LocalServer) -> None:
    # Error pages are read to tell a challenge from a plain error: within the size and time limits too.
    gzip_headers = {"Content-Type": "text/html", "Content-Encoding": "gzip"}
    server.route("/bomb", Reply(403, _bomb(zlib.MAX_WBITS | 16), gzip_headers))
    drip = Reply(503, headers={"Content-Type": "text/html"}, chunks=[b"<p>busy</p>"] * 40, chunk_delay=0.1)
    server.route("/drip", drip)

    tracemalloc.start()
    try:
        started = time.monotonic()
        bomb = fetch_one(target(server.url("/bomb")), settings(retries=0))
        drip = fetch_one(target(server.url("/drip")), settings(retries=0, timeout=0.5))
        elapsed = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert (bomb.outcome, drip.outcome) == (Outcome.HTTP_ERROR, Outcome.HTTP_ERROR)
    assert bomb.error == "HTTP 403 Forbidden" and drip.error == "HTTP 503 Service Unavailable"
    assert elapsed < 2.0 and peak < 16_000_000


# -------------------------------------------------------------------- what a body turns out to be


def test_an_anti_bot_challenge_is_named_and_never_retried(server: LocalServer) -> None:
    challenge = b"<html><head><title>Just a moment...</title></head><body><p>Checking your browser</p></body></html>"
    server.route("/privacy", Reply(503, challenge, {"Content-Type": "text/html", "Server": "cloudflare"}))

    fetched = fetch_one(target(server.url("/privacy")), settings(retries=2))

    assert fetched.outcome is Outcome.CHALLENGE and fetched.status == 503
    assert fetched.error is not None and "Cloudflare" in fetched.error and "503" in fetched.error
    assert len(server.requests_to("/privacy")) == 1  # asking again only looks more like a bot


@pytest.mark.parametrize(
    ("headers", "name"),
    [({"cf-mitigated": "challenge"}, "Cloudflare"), ({"x-amzn-waf-action": "captcha"}, "AWS WAF")],
)
def test_a_challenge_header_is_a_challenge_whatever_the_status(
    server: LocalServer, headers: dict[str, str], name: str
) -> None:
    server.route("/privacy", html(PAGE, headers))

    fetched = fetch_one(target(server.url("/privacy")), settings())

    assert fetched.outcome is Outcome.CHALLENGE and fetched.error is not None and name in fetched.error


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "a PNG image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(range(256)) * 4, "a JPEG image"),
        (bytes(range(256)) * 8, "bytes that are not text"),
    ],
)
def test_a_binary_body_labelled_html_is_not_a_document(server: LocalServer, body: bytes, kind: str) -> None:
    server.route("/privacy", html(body))

    fetched = fetch_one(target(server.url("/privacy")), settings())

    assert fetched.outcome is Outcome.NOT_A_DOCUMENT and fetched.error is not None and kind in fetched.error


def test_utf_16_labelled_as_such_is_text_not_binary(server: LocalServer) -> None:
    body = "<p>Nous collectons vos données.</p>".encode("utf-16-le")
    server.route("/privacy", Reply(200, body, {"Content-Type": "text/html; charset=utf-16le"}))

    fetched = fetch_one(target(server.url("/privacy")), settings())

    assert fetched.outcome is Outcome.OK and "données" in fetched.text


@pytest.mark.parametrize("body", [b"", b" \r\n\t "])
def test_an_empty_body_is_an_empty_page(server: LocalServer, body: bytes) -> None:
    server.route("/privacy", html(body))

    fetched = fetch_one(target(server.url("/privacy")), settings())

    assert fetched.outcome is Outcome.EMPTY and fetched.error is not None and "empty" in fetched.error


def test_windows_1252_labelled_utf_8_is_read_as_windows_1252(server: LocalServer) -> None:
    page = "<p>We don’t sell your data — “opt-out” is always available. Café.</p>"
    server.route("/privacy", Reply(200, page.encode("cp1252"), {"Content-Type": "text/html; charset=utf-8"}))

    fetched = fetch_one(target(server.url("/privacy")), settings())

    assert fetched.charset == "cp1252" and fetched.text == page


def test_a_stray_invalid_byte_in_a_utf_8_page_keeps_the_utf_8_label(server: LocalServer) -> None:
    page = "<p>Données personnelles — “accès”, « rectification », effacement.</p>".encode() + b"\xff"
    server.route("/privacy", Reply(200, page, {"Content-Type": "text/html; charset=utf-8"}))

    fetched = fetch_one(target(server.url("/privacy")), settings())

    assert fetched.charset == "utf-8" and "Données" in fetched.text and fetched.text.endswith("\ufffd")


def test_a_not_found_page_with_a_captcha_form_is_still_an_http_error(server: LocalServer) -> None:
    # A real 404 of a site whose every page carries a reCAPTCHA newsletter form: not an anti-bot challenge.
    page = b'<html><head><title>Not found</title></head><body><h1>Not found</h1><div class="g-recaptcha"></div></body>'
    server.route("/privacy", Reply(404, page, {"Content-Type": "text/html"}))

    fetched = fetch_one(target(server.url("/privacy")), settings())

    assert fetched.outcome is Outcome.HTTP_ERROR and fetched.error == "HTTP 404 Not Found"
