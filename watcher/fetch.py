"""Polite HTTP fetching of vendors' documents: conditional GET, retries, per-host limits, robots.txt,
size and time limits, and a redirect policy that checks every hop before it is requested."""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import email.utils
import functools
import http
import ipaddress
import logging
import re
import socket
import ssl
import time
import zlib
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import charset_normalizer
import httpx
from protego import Protego

from watcher.models import Fetched, Outcome, Target, Validators
from watcher.screen import challenge_response

log = logging.getLogger(__name__)

# Enough to keep a cycle of thousands of vendors short, few enough not to look like a flood from one address.
_MAX_PARALLEL_HOSTS = 16
_ROBOTS_MAX_BYTES = 500 * 1024  # RFC 9309: parse at least 500 KiB, ignore the rest
_ROBOTS_MAX_REDIRECTS = 5  # RFC 9309: follow at least five
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_DOCUMENT_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain", "text/markdown", "application/pdf"})
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_TYPE_ALIASES = {"text/x-markdown": "text/markdown", "application/x-pdf": "application/pdf"}
# Types that say nothing about the content: the body decides (misconfigured servers send PDFs like this).
_SNIFFED_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream", "application/unknown"})
_ACCEPT = "text/html,application/xhtml+xml;q=0.9,text/plain;q=0.8,text/markdown;q=0.8,application/pdf;q=0.8,*/*;q=0.1"
# Only what _Inflater decodes with a bound on its output; servers must not send anything else.
_ACCEPT_ENCODING = "gzip, deflate"
_DETECT_BYTES = 200_000  # enough for charset detection to be sure, cheap on a 5 MB page
# Error pages are read this far, to tell an anti-bot challenge (a 403 from Cloudflare) from a plain error.
_ERROR_PAGE_BYTES = 256 * 1024


@dataclass(frozen=True, kw_only=True)
class FetchSettings:
    """How politely and how patiently documents are fetched (the `fetch:` section of the config)."""

    user_agent: str = "policy-watcher/0.1 (+https://github.com/policy-watcher/policy-watcher)"
    timeout: float = 30.0  # per connect/read/write/pool; also caps the wall time to headers and to body
    max_bytes: int = 5_000_000  # on the decompressed body
    per_host_delay: float = 1.0  # seconds from the end of one request to the start of the next on a host
    retries: int = 2  # extra attempts on connect errors, timeouts, 408, 429 and 5xx
    backoff: float = 1.0  # first retry waits this long, then twice as long each time
    max_retry_after: float = 60.0  # longest wait we accept from a server's Retry-After or Crawl-delay
    max_redirects: int = 10
    respect_robots: bool = True
    allow_private_networks: bool = False


async def fetch_all(
    targets: Sequence[Target], settings: FetchSettings, validators: Mapping[str, Validators] | None = None
) -> AsyncGenerator[Fetched, None]:
    """Fetch every target; yield each Fetched as soon as it is done. validators is keyed by Target.key.

    Hosts are fetched in parallel, the documents of one host one after the other. Every target yields
    exactly one Fetched; a problem with one target is reported in it, never raised.
    """
    if not targets:
        return
    known = validators or {}
    by_host: dict[str, list[Target]] = {}
    for target in targets:
        by_host.setdefault(_host_of(target.url), []).append(target)
    results: asyncio.Queue[Fetched] = asyncio.Queue()
    slots = asyncio.Semaphore(_MAX_PARALLEL_HOSTS)

    async with _new_client(settings) as client:
        fetcher = _Fetcher(settings, client)

        async def fetch_host(host_targets: list[Target]) -> None:
            async with slots:
                for target in host_targets:
                    results.put_nowait(await fetcher.fetch(target, known.get(target.key)))

        tasks = [asyncio.create_task(fetch_host(group)) for group in by_host.values()]
        try:
            for _ in range(len(targets)):
                yield await results.get()
        finally:
            # The caller may stop early: leave no request running behind its back.
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


def fetch_one(target: Target, settings: FetchSettings, validators: Validators | None = None) -> Fetched:
    """Synchronous convenience wrapper (asyncio.run) for one target; not for use inside a running loop."""

    async def first() -> Fetched:
        known = {target.key: validators} if validators else None
        async with contextlib.aclosing(fetch_all([target], settings, known)) as results:
            async for fetched in results:
                return fetched
        raise AssertionError("fetch_all yields one Fetched per target")

    return asyncio.run(first())


# --------------------------------------------------------------------------------------------- internals


class _Failure(Exception):
    """Ends one target's fetch with an Outcome and a sentence a person understands."""

    def __init__(self, outcome: Outcome, error: str, *, status: int | None = None, retryable: bool = False) -> None:
        super().__init__(error)
        self.outcome = outcome
        self.error = error
        self.status = status
        self.retryable = retryable


@dataclass
class _Trail:
    """Where one target's fetch has got to; kept on failure too, so the Fetched says where it stopped."""

    url: str
    redirects: list[str] = field(default_factory=list)
    status: int | None = None


@dataclass(frozen=True)
class _Reply:
    """One HTTP response, its body read only for a 2xx that may be a document."""

    status: int
    reason: str
    headers: httpx.Headers
    body: bytes = b""

    @property
    def status_line(self) -> str:
        return f"HTTP {self.status} {self.reason}".rstrip()


@dataclass(frozen=True)
class _Document:
    """What a successful fetch carries beyond its trail."""

    outcome: Outcome
    body: bytes = b""
    text: str = ""
    content_type: str = ""
    charset: str | None = None
    validators: Validators = field(default_factory=Validators)


class _HostGate:
    """One request at a time to a host, and `delay` seconds from the end of one to the start of the next."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self._lock = asyncio.Lock()
        self._last_end = float("-inf")

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        async with self._lock:
            wait = self._last_end + self.delay - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                self._last_end = time.monotonic()


class _Fetcher:
    """Everything one fetch_all call shares: the client, the host gates, robots.txt and address verdicts."""

    def __init__(self, settings: FetchSettings, client: httpx.AsyncClient) -> None:
        self.settings = settings
        self._client = client
        self._agent = _product_token(settings.user_agent)
        self._gates: dict[str, _HostGate] = {}
        self._robots: dict[str, Protego | None] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self._public_hosts: set[str] = set()

    async def fetch(self, target: Target, validators: Validators | None) -> Fetched:
        started = time.monotonic()
        fetched_at = datetime.now(UTC)
        trail = _Trail(target.url)
        try:
            document = await self._follow(trail, validators or Validators())
        except _Failure as failure:
            log.info("%s: %s (%s)", target.key, failure.outcome.value, failure.error)
            return Fetched(
                target=target,
                outcome=failure.outcome,
                fetched_at=fetched_at,
                final_url=trail.url,
                status=failure.status if failure.status is not None else trail.status,
                redirects=tuple(trail.redirects),
                duration_ms=_elapsed_ms(started),
                error=failure.error,
            )
        except Exception as exc:  # a bug must not cost the other targets their results
            log.exception("%s: unexpected error while fetching %s", target.key, trail.url)
            return Fetched(
                target=target,
                outcome=Outcome.CONNECTION_ERROR,
                fetched_at=fetched_at,
                final_url=trail.url,
                status=trail.status,
                redirects=tuple(trail.redirects),
                duration_ms=_elapsed_ms(started),
                error=f"policy-watcher failed on {trail.url} ({exc!r}); this is a bug, see the log",
            )
        log.debug("%s: %s %s", target.key, document.outcome.value, trail.url)
        return Fetched(
            target=target,
            outcome=document.outcome,
            fetched_at=fetched_at,
            final_url=trail.url,
            status=trail.status,
            body=document.body,
            text=document.text,
            content_type=document.content_type,
            charset=document.charset,
            validators=document.validators,
            redirects=tuple(trail.redirects),
            duration_ms=_elapsed_ms(started),
        )

    # -- one target: hops, retries, one attempt

    async def _follow(self, trail: _Trail, validators: Validators) -> _Document:
        conditional = _conditional_headers(validators)
        # A return to a URL is a loop unless a cookie was set on the way: consent and session gates
        # (/privacy -> /consent sets a cookie -> /privacy) are how many sites work.
        seen: dict[str, int] = {}
        cookies_set = 0
        while True:
            url = _parse_url(trail.url)
            trail.url = str(url)
            seen[trail.url] = cookies_set
            await self._check_address(url.host)
            if self.settings.respect_robots and not await self._robots_allow(url):
                raise _Failure(
                    Outcome.ROBOTS_DISALLOWED,
                    f"robots.txt of {url.host} disallows {url} for {self._agent}; "
                    "set fetch.respect_robots: false only if the vendor agrees",
                )
            reply = await self._request(url, conditional)
            trail.status = reply.status
            cookies_set += len(reply.headers.get_list("set-cookie"))
            if reply.status not in _REDIRECT_STATUSES:
                return self._document(url, reply, validators)
            location = reply.headers.get("location")
            if not location:
                raise _Failure(Outcome.HTTP_ERROR, f"{reply.status_line} from {url} without a Location to go to")
            try:
                next_url = str(url.join(location.strip()).copy_with(fragment=None))
            except (httpx.InvalidURL, UnicodeError) as exc:
                raise _Failure(Outcome.HTTP_ERROR, f"{url} redirects to an invalid URL: {exc}") from None
            trail.redirects.append(trail.url)
            trail.url = next_url
            if seen.get(next_url) == cookies_set:
                raise _Failure(Outcome.REDIRECT_LOOP, f"redirect loop: {' -> '.join([*trail.redirects, next_url])}")
            if len(trail.redirects) > self.settings.max_redirects:
                raise _Failure(
                    Outcome.REDIRECT_LOOP,
                    f"gave up after {self.settings.max_redirects} redirects (fetch.max_redirects) "
                    f"starting at {trail.redirects[0]}",
                )

    def _document(self, url: httpx.URL, reply: _Reply, sent: Validators) -> _Document:
        received = Validators(reply.headers.get("etag"), reply.headers.get("last-modified"))
        if reply.status == 304:
            if sent == Validators():
                raise _Failure(
                    Outcome.HTTP_ERROR,
                    f"{reply.status_line} from {url} to a request that was not conditional",
                )
            # A 304 may carry fresher validators; otherwise the ones we sent are still current.
            return _Document(Outcome.NOT_MODIFIED, validators=received if received != Validators() else sent)
        if not 200 <= reply.status < 300:
            raise _Failure(Outcome.HTTP_ERROR, reply.status_line, status=reply.status)
        if not reply.body.strip():
            raise _Failure(Outcome.EMPTY, f"{url} answered {reply.status_line} with an empty page", status=reply.status)
        declared, charset = _content_type(reply.headers)
        media_type = _sniff(reply.body) if declared in _SNIFFED_TYPES else declared
        if media_type not in _DOCUMENT_TYPES:
            raise _Failure(
                Outcome.NOT_A_DOCUMENT, _not_a_document(url, declared or "no content type"), status=reply.status
            )
        if media_type != "application/pdf" and reply.body.startswith(b"%PDF-"):
            media_type = "application/pdf"  # a PDF labelled text/html is still a PDF
        if media_type == "application/pdf":
            return _Document(Outcome.OK, reply.body, "", media_type, None, received)
        binary = _binary_kind(reply.body, charset)
        if binary is not None:
            raise _Failure(
                Outcome.NOT_A_DOCUMENT,
                f"{url} is labelled {declared or 'as nothing'} but its body is binary data ({binary}), not a document",
                status=reply.status,
            )
        text, used = _decode(reply.body, media_type, charset)
        challenge = _challenge(url, reply, text)
        if challenge:
            raise _Failure(Outcome.CHALLENGE, challenge, status=reply.status)
        return _Document(Outcome.OK, reply.body, text, media_type, used, received)

    async def _request(self, url: httpx.URL, headers: Mapping[str, str]) -> _Reply:
        """One GET with retries on connection problems, timeouts, 408, 429 and 5xx."""
        attempts = self.settings.retries + 1
        for attempt in range(1, attempts + 1):
            retry_after: float | None = None
            try:
                reply = await self._attempt(url, headers)
            except _Failure as failure:
                if not failure.retryable:
                    raise
                if attempt == attempts:
                    raise _Failure(failure.outcome, _after(failure.error, attempts), status=failure.status) from None
                problem = failure.error
            else:
                if reply.status >= 400 and (challenge := _challenge(url, reply)):
                    # Asking again only looks more like a bot: a challenge is never retried.
                    raise _Failure(Outcome.CHALLENGE, challenge, status=reply.status)
                if not _is_retryable_status(reply.status):
                    return reply
                if attempt == attempts:
                    tries = f" after {attempts} attempts" if attempts > 1 else ""
                    raise _Failure(Outcome.HTTP_ERROR, reply.status_line + tries, status=reply.status)
                problem = f"{url}: {reply.status_line}"
                retry_after = _retry_after(reply.headers.get("retry-after"))
            delay = min(self.settings.backoff * 2 ** (attempt - 1), self.settings.max_retry_after)
            if retry_after is not None:
                delay = max(delay, min(retry_after, self.settings.max_retry_after))
            log.info("%s; retrying in %.1f s (attempt %d of %d)", problem, delay, attempt + 1, attempts)
            await asyncio.sleep(delay)
        raise AssertionError("the loop returns or raises")

    async def _attempt(self, url: httpx.URL, headers: Mapping[str, str], *, robots: bool = False) -> _Reply:
        """One request, inside the host's turn. For robots.txt a long body is cut, not refused."""
        await self._check_address(url.host)  # again: robots.txt redirects come straight here
        request = self._client.build_request("GET", url, headers=headers)
        timeout = self.settings.timeout
        async with self._gate(url.host).turn():
            try:
                # httpx's timeouts are per operation: a server dripping bytes would never trip them.
                async with asyncio.timeout(timeout):
                    response = await self._client.send(request, stream=True)
            except (TimeoutError, httpx.TimeoutException):
                raise _Failure(
                    Outcome.TIMEOUT,
                    f"{url} did not answer within {timeout:g} s (fetch.timeout)",
                    retryable=True,
                ) from None
            except httpx.UnsupportedProtocol:
                raise _Failure(Outcome.CONNECTION_ERROR, f"{url} is not an http(s) URL") from None
            except httpx.TransportError as exc:
                raise _Failure(
                    Outcome.CONNECTION_ERROR, f"could not get {url}: {_describe(exc)}", retryable=True
                ) from None
            try:
                reply = _Reply(response.status_code, _reason(response), response.headers)
                if response.status_code >= 400 and not robots:
                    body = await self._error_page(url, response)
                    return _Reply(reply.status, reply.reason, reply.headers, body)
                if not 200 <= response.status_code < 300:
                    return reply
                if robots:
                    body = await self._read_body(url, response, _ROBOTS_MAX_BYTES, cut=True)
                    return _Reply(reply.status, reply.reason, reply.headers, body)
                declared, _ = _content_type(response.headers)
                if declared not in _DOCUMENT_TYPES and declared not in _SNIFFED_TYPES:
                    # Decided from the headers: no need to download a video to refuse it.
                    raise _Failure(Outcome.NOT_A_DOCUMENT, _not_a_document(url, declared), status=reply.status)
                body = await self._read_body(url, response, self.settings.max_bytes)
                return _Reply(reply.status, reply.reason, reply.headers, body)
            except httpx.TimeoutException:
                raise _Failure(
                    Outcome.TIMEOUT,
                    f"{url} stopped sending the page for {timeout:g} s (fetch.timeout)",
                    retryable=True,
                ) from None
            except httpx.TransportError as exc:
                raise _Failure(
                    Outcome.CONNECTION_ERROR,
                    f"the connection broke while reading {url}: {_describe(exc)}",
                    retryable=True,
                ) from None
            finally:
                await response.aclose()

    async def _read_body(self, url: httpx.URL, response: httpx.Response, limit: int, cut: bool = False) -> bytes:
        """The decompressed body, never holding more than limit + 1 bytes of it, read within fetch.timeout."""
        encoding = _content_encoding(url, response)
        declared = response.headers.get("content-length", "")
        if not encoding and not cut and declared.isdigit() and int(declared) > limit:
            raise _Failure(Outcome.TOO_LARGE, _too_large(url, limit, int(declared)), status=response.status_code)
        inflater = _Inflater(encoding) if encoding else None
        parts: list[bytes] = []
        size = 0
        received = False
        try:
            async with asyncio.timeout(self.settings.timeout):
                async for raw in response.aiter_raw():
                    if not raw:
                        continue
                    received = True
                    room = limit + 1 - size
                    chunk = inflater.feed(raw, room) if inflater else raw[:room]
                    parts.append(chunk)
                    size += len(chunk)
                    if size > limit:
                        break
        except TimeoutError:
            raise _Failure(
                Outcome.TIMEOUT,
                f"{url} took more than {self.settings.timeout:g} s to send the page (fetch.timeout)",
                status=response.status_code,
                retryable=True,
            ) from None
        except zlib.error as exc:
            raise _Failure(
                Outcome.HTTP_ERROR,
                f"{url} sent a corrupt {encoding} body ({exc})",
                status=response.status_code,
            ) from None
        body = b"".join(parts)
        if size > limit:
            if cut:
                return body[:limit]
            raise _Failure(Outcome.TOO_LARGE, _too_large(url, limit), status=response.status_code)
        if inflater and received and not inflater.finished:
            raise _Failure(
                Outcome.CONNECTION_ERROR,
                f"the {encoding} body of {url} was cut short; the connection probably broke",
                status=response.status_code,
                retryable=True,
            )
        return body

    async def _error_page(self, url: httpx.URL, response: httpx.Response) -> bytes:
        """The start of an error page, or nothing when it cannot be read: it only helps to name the error."""
        try:
            return await self._read_body(url, response, _ERROR_PAGE_BYTES, cut=True)
        except (_Failure, httpx.TransportError) as failure:
            log.debug("%s: error page not read (%s)", url, failure)
            return b""

    def _gate(self, host: str) -> _HostGate:
        gate = self._gates.get(host)
        if gate is None:
            gate = self._gates[host] = _HostGate(self.settings.per_host_delay)
        return gate

    # -- private networks

    async def _check_address(self, host: str) -> None:
        if self.settings.allow_private_networks or host in self._public_hosts:
            return
        attempts = self.settings.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                addresses = await _resolve(host)
                break
            except OSError as exc:
                if attempt == attempts:
                    raise _Failure(
                        Outcome.CONNECTION_ERROR,
                        _after(f"could not resolve the host name {host}: {exc.strerror or exc}", attempts),
                    ) from None
                await asyncio.sleep(min(self.settings.backoff * 2 ** (attempt - 1), self.settings.max_retry_after))
        for address in addresses:
            kind = _address_kind(address)
            if kind is not None:
                where = "is" if address == host else f"resolves to {address},"
                raise _Failure(
                    Outcome.BLOCKED_ADDRESS,
                    f"refused to fetch from {host}: it {where} a {kind} address; "
                    "set fetch.allow_private_networks: true to watch vendors on private networks",
                )
        self._public_hosts.add(host)

    # -- robots.txt

    async def _robots_allow(self, url: httpx.URL) -> bool:
        origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
        lock = self._robots_locks.setdefault(origin, asyncio.Lock())
        async with lock:  # two documents of one site must not both fetch its robots.txt
            if origin not in self._robots:
                self._robots[origin] = rules = await self._load_robots(origin)
                self._apply_crawl_delay(url.host, rules)
        rules = self._robots[origin]
        return rules is None or rules.can_fetch(str(url), self._agent)

    async def _load_robots(self, origin: str) -> Protego | None:
        """The site's rules, or None when it has none we can read (then everything is allowed)."""
        url = httpx.URL(f"{origin}/robots.txt")
        for _ in range(_ROBOTS_MAX_REDIRECTS + 1):
            try:
                reply = await self._attempt(url, {}, robots=True)
            except _Failure as failure:
                log.warning("%s/robots.txt unavailable (%s); fetching as if it allowed all", origin, failure.error)
                return None
            if reply.status in _REDIRECT_STATUSES and reply.headers.get("location"):
                try:
                    url = url.join(reply.headers["location"].strip()).copy_with(fragment=None)
                except (httpx.InvalidURL, UnicodeError):
                    break
                if url.scheme not in ("http", "https"):
                    break
                continue
            if 200 <= reply.status < 300:
                try:
                    return Protego.parse(reply.body.decode("utf-8", errors="replace"))
                except Exception:  # a parser bug on a strange file must not stop the fetch
                    log.warning("%s/robots.txt could not be parsed; fetching as if it allowed all", origin)
                    return None
            if 400 <= reply.status < 500 and reply.status != 429:
                log.debug("%s/robots.txt: %s; everything allowed", origin, reply.status_line)
            else:
                log.warning("%s/robots.txt: %s; fetching as if it allowed all", origin, reply.status_line)
            return None
        log.warning("%s/robots.txt redirects too often or oddly; fetching as if it allowed all", origin)
        return None

    def _apply_crawl_delay(self, host: str, rules: Protego | None) -> None:
        delay = rules.crawl_delay(self._agent) if rules is not None else None
        if delay:
            gate = self._gate(host)
            gate.delay = max(gate.delay, min(float(delay), self.settings.max_retry_after))
            log.info("%s asks for %.1f s between requests (Crawl-delay)", host, gate.delay)


class _Inflater:
    """Decompresses gzip or deflate without ever producing more bytes than it is asked for.

    httpx's own decoders inflate each network read whole: 64 KiB of a gzip bomb is 64 MB of memory.
    """

    def __init__(self, encoding: str) -> None:
        self._deflate = encoding == "deflate"
        self._fed = False
        self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16 if encoding == "gzip" else zlib.MAX_WBITS)

    def feed(self, data: bytes, room: int) -> bytes:
        try:
            out = self._zlib.decompress(data, room)
        except zlib.error:
            if not (self._deflate and not self._fed):
                raise
            # Many servers send raw deflate without the zlib wrapper the RFC asks for.
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self._zlib.decompress(data, room)
        self._fed = True
        return out

    @property
    def finished(self) -> bool:
        return self._zlib.eof


# ------------------------------------------------------------------------------------------- addresses


async def _resolve(host: str) -> list[str]:
    """The IP addresses a host name stands for (an IP literal stands for itself)."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def _address_kind(address: str) -> str | None:
    """Why an IP address is not on the public internet ("loopback", "private"...), or None when it is."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    checks = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
        ("non-public", not ip.is_global),  # shared (CGNAT), documentation and benchmark ranges
    )
    return next((kind for kind, applies in checks if applies), None)


# ------------------------------------------------------------------------------------------------ bodies


def _content_type(headers: httpx.Headers) -> tuple[str, str | None]:
    """The media type (lower case, without parameters) and the charset parameter of Content-Type."""
    media_type, _, parameters = headers.get("content-type", "").partition(";")
    charset = None
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip("\"'") or None
    media_type = media_type.strip().lower()
    return _TYPE_ALIASES.get(media_type, media_type), charset


def _content_encoding(url: httpx.URL, response: httpx.Response) -> str:
    codings = [c.strip().lower() for c in response.headers.get("content-encoding", "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if not codings:
        return ""
    if len(codings) == 1 and codings[0] in ("gzip", "x-gzip", "deflate"):
        return "deflate" if codings[0] == "deflate" else "gzip"
    raise _Failure(
        Outcome.HTTP_ERROR,
        f"{url} sent its page encoded as {', '.join(codings)}, though we asked for {_ACCEPT_ENCODING}",
        status=response.status_code,
    )


_HTML_START = re.compile(rb"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]|<title[\s>]")
_BINARY_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")


def _sniff(body: bytes) -> str:
    """The media type of a body sent without a useful Content-Type ("" when it is nothing we read)."""
    if b"%PDF-" in body[:1024]:
        return "application/pdf"
    bom = _bom(body)
    head = body[:4096].decode(bom[0], errors="replace").encode() if bom else body[:4096]
    if _HTML_START.search(head.lower()):
        return "text/html"
    if bom:
        return "text/plain"
    sample = body[:8192]
    if len(_BINARY_BYTES.findall(sample)) <= len(sample) // 100 and b"\x00" not in sample:
        return "text/plain"
    return ""


_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "gzip data"),
    (b"wOFF", "a web font"),
    (b"wOF2", "a web font"),
)


def _binary_kind(body: bytes, charset: str | None) -> str | None:
    """What a body labelled as text really is when it is binary ("a PNG image"), else None."""
    head = body[:8192]
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "a WebP image"
    if _bom(body) or (charset or "").lower().replace("-", "").startswith(("utf16", "utf32")):
        return None  # UTF-16 and UTF-32 text is full of zero bytes
    if b"\x00" in head or len(_BINARY_BYTES.findall(head)) > len(head) // 100:
        return "bytes that are not text"
    return None


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "utf-32-le"),  # before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, "utf-32", "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16", "utf-16-be"),
)


def _bom(body: bytes) -> tuple[str, str] | None:
    """(codec that strips the BOM, charset name) when the body starts with a byte order mark."""
    return next(((codec, name) for mark, codec, name in _BOMS if body.startswith(mark)), None)


_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([\w.:+-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([\w.:+-]+)""")
# WHATWG: these labels mean windows-1252 on the web, whose 0x80-0x9F are curly quotes and dashes.
_WINDOWS_1252_ALIASES = frozenset({"iso8859-1", "ascii"})


def _decode(body: bytes, media_type: str, declared: str | None) -> tuple[str, str]:
    """The body as text and the charset used: BOM, Content-Type, <meta> or XML declaration, detection.

    A BOM wins over the header, as in browsers (WHATWG Encoding): it is the bytes themselves speaking.
    """
    bom = _bom(body)
    if bom:
        return body.decode(bom[0], errors="replace"), bom[1]
    labels = [_charset(declared)]
    if media_type in _HTML_TYPES:
        labels.append(_declared_in_markup(body[:4096]))
    for charset in labels:
        if charset is None:
            continue
        text = body.decode(charset, errors="replace")
        # A UTF-8 label on bytes in a legacy charset (a CMS that says utf-8 and serves windows-1252) would turn
        # every curly quote and accent into U+FFFD, and each such page into a new version: detect instead.
        if charset != "utf-8" or not _contradicts_utf8(body, text):
            return text, charset
    try:
        return body.decode("utf-8"), "utf-8"  # valid UTF-8 is almost never an accident
    except UnicodeDecodeError:
        pass
    matches = charset_normalizer.from_bytes(body[:_DETECT_BYTES])
    best = matches.best()
    charset = _charset(best.encoding) if best is not None else None
    if best is not None and any(
        m.chaos == best.chaos and m.coherence == best.coherence and "cp1252" in m.could_be_from_charset for m in matches
    ):
        # Equally good readings mean too few letters to tell (curly quotes are the same bytes in cp1250, cp1252
        # and cp1257): take windows-1252, the web's legacy default (WHATWG), over whichever came first.
        charset = "cp1252"
    charset = charset or "utf-8"
    return body.decode(charset, errors="replace"), charset


def _contradicts_utf8(body: bytes, text: str) -> bool:
    """Whether bytes labelled UTF-8 are mostly not UTF-8: more invalid sequences than valid non-ASCII characters.
    One stray byte in a UTF-8 page does not count; a windows-1252 page has no valid sequences at all."""
    invalid = text.count("\ufffd") - body.count(b"\xef\xbf\xbd")
    if invalid <= 0:
        return False
    valid = sum(1 for ch in text if ord(ch) > 127) - text.count("\ufffd")
    return invalid > valid


def _declared_in_markup(head: bytes) -> str | None:
    match = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    if match is None:
        return None
    charset = _charset(match.group(1).decode("ascii"))
    # A page that can state its charset in ASCII is not UTF-16, whatever it says (WHATWG).
    return "utf-8" if charset is not None and charset.startswith("utf-16") else charset


def _charset(label: str | None) -> str | None:
    """Python's name for a charset label, or None when Python cannot decode text with it."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip()).name
        b"".decode(name)  # refuses codecs that are not text encodings, such as base64
    except (LookupError, ValueError):
        return None
    return "cp1252" if name in _WINDOWS_1252_ALIASES else name


# ------------------------------------------------------------------------------------------ small helpers


def _host_of(url: str) -> str:
    try:
        return httpx.URL(url).host or url
    except (httpx.InvalidURL, TypeError):
        return url


def _parse_url(value: str) -> httpx.URL:
    try:
        url = httpx.URL(value.strip())
    except (httpx.InvalidURL, TypeError) as exc:
        raise _Failure(Outcome.CONNECTION_ERROR, f"{value!r} is not a valid URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise _Failure(Outcome.CONNECTION_ERROR, f"{value!r} is not an http or https URL")
    return url.copy_with(fragment=None)


def _conditional_headers(validators: Validators) -> dict[str, str]:
    headers = {}
    if validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    return headers


def _is_retryable_status(status: int) -> bool:
    return status in (408, 429) or 500 <= status < 600


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _product_token(user_agent: str) -> str:
    """The product token robots.txt groups are matched by: policy-watcher in policy-watcher/0.1 (+https://...)."""
    token = user_agent.strip().split("/", 1)[0].split(" ", 1)[0]
    return token or "policy-watcher"


def _reason(response: httpx.Response) -> str:
    if response.reason_phrase:
        return response.reason_phrase
    with contextlib.suppress(ValueError):
        return http.HTTPStatus(response.status_code).phrase
    return ""


def _describe(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


def _after(error: str, attempts: int) -> str:
    return f"{error}; gave up after {attempts} attempts" if attempts > 1 else error


def _too_large(url: httpx.URL, limit: int, size: int | None = None) -> str:
    if size is None:
        return f"the page at {url} is larger than {limit:,} bytes (fetch.max_bytes); reading stopped there"
    return f"the page at {url} is {size:,} bytes, above the limit of {limit:,} (fetch.max_bytes)"


def _challenge(url: httpx.URL, reply: _Reply, text: str | None = None) -> str | None:
    """Why a response is an anti-bot challenge or block page, as a failure reason; None when it is not one."""
    if text is None:
        _, charset = _content_type(reply.headers)
        text = _decode(reply.body, "text/html", charset)[0] if reply.body else ""
    why = challenge_response(text, status=reply.status, headers=reply.headers)
    if why is None:
        return None
    return f"{url} answered {reply.status_line} with {why}, not the policy: the site blocks automated requests"


def _not_a_document(url: httpx.URL, media_type: str) -> str:
    return f"{url} is {media_type}, not a document (HTML, plain text, Markdown or PDF)"


def _elapsed_ms(started: float) -> float:
    return (time.monotonic() - started) * 1000


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle takes ~90 ms: once per process, not once per fetch_all (twice a run, and per test).
    return httpx.create_ssl_context()


def _new_client(settings: FetchSettings) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        verify=_tls_context(),
        headers={"User-Agent": settings.user_agent, "Accept": _ACCEPT, "Accept-Encoding": _ACCEPT_ENCODING},
        timeout=httpx.Timeout(settings.timeout),
        follow_redirects=False,
        limits=httpx.Limits(max_connections=4 * _MAX_PARALLEL_HOSTS, max_keepalive_connections=2 * _MAX_PARALLEL_HOSTS),
    )
