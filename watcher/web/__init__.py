"""The read-only history browser (`watcher serve`): server-rendered pages, an Atom feed and a JSON API over the
store. `create_app()` builds the ASGI app; pages live in `views`, the feed in `feed`."""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from watcher.store import Store
from watcher.web import views

# Pages carry no script at all and load only our own stylesheet; policy text is untrusted, so even if an
# escaping bug let markup through, the browser would run nothing and load nothing from elsewhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "[::1]")


class UnsafeBinding(ValueError):
    """Serving beyond this machine without a token or a password."""


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable only from this machine."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name other than localhost may resolve to anything


def check_binding(host: str, *, token: str | None, basic_auth: tuple[str, str] | None) -> None:
    """Refuse to serve the history on a non-loopback address unless requests must authenticate."""
    if not is_loopback(host) and not (token or basic_auth):
        raise UnsafeBinding(
            f"{host} is reachable from other machines: pass --token or --basic-auth USER:PASSWORD "
            "(or bind 127.0.0.1 and put an authenticating proxy in front)"
        )


class Readers:
    """One read-only Store per worker thread (a sqlite connection is not shared between threads); each page
    reads inside one read transaction, so it sees one state of the database while a run writes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._opened: list[Store] = []
        self._lock = threading.Lock()

    @contextmanager
    def reading(self) -> Iterator[Store]:
        store: Store | None = getattr(self._local, "store", None)
        if store is None:
            store = Store(self.path, readonly=True)
            self._local.store = store
            with self._lock:
                self._opened.append(store)
        with store.read_transaction():
            yield store

    def close(self) -> None:
        with self._lock:
            for store in self._opened:
                store.close()
            self._opened.clear()


class Guard:
    """Every response gets the security headers; only GET and HEAD get through (the browser never writes);
    with credentials configured, every request must present them; with `allowed_hosts`, only those Host names
    are served."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str | None = None,
        basic_auth: tuple[str, str] | None = None,
        allowed_hosts: list[str] | None = None,
    ) -> None:
        self.app = app
        self.token = token
        self.basic_auth = basic_auth
        self.allowed_hosts = {h.strip("[]").lower() for h in allowed_hosts} if allowed_hosts else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    if name not in headers:
                        headers[name] = value
            await send(message)

        headers = Headers(scope=scope)
        if self.allowed_hosts is not None and _host_name(headers.get("host", "")) not in self.allowed_hosts:
            refusal = PlainTextResponse("Unknown host name.\n", 400)
            await refusal(scope, receive, send_with_headers)
            return
        if scope["method"] not in ("GET", "HEAD"):
            refusal = PlainTextResponse("This history browser is read-only.\n", 405, headers={"Allow": "GET, HEAD"})
            await refusal(scope, receive, send_with_headers)
            return
        if (self.token or self.basic_auth) and not self.authorized(headers.get("authorization", "")):
            challenge = PlainTextResponse(
                "Authentication required.\n",
                401,
                headers={"WWW-Authenticate": 'Basic realm="policy-watcher", charset="UTF-8"'},
            )
            await challenge(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def authorized(self, authorization: str) -> bool:
        """A bearer token, or basic auth: the configured user and password, or any user with the token as
        password (feed readers and browsers speak basic auth, not bearer tokens)."""
        scheme, _, credentials = authorization.partition(" ")
        scheme, credentials = scheme.lower(), credentials.strip()
        if scheme == "bearer":
            return bool(self.token) and _same(credentials, self.token or "")
        if scheme != "basic":
            return False
        try:
            user, _, password = base64.b64decode(credentials, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        if self.token and _same(password, self.token):
            return True
        if self.basic_auth:
            # Both compared every time, so the timing says nothing about which one was wrong.
            user_ok = _same(user, self.basic_auth[0])
            password_ok = _same(password, self.basic_auth[1])
            return user_ok and password_ok
        return False


class UnderPrefix:
    """Serve both `/changes/1` and `PREFIX/changes/1`: behind a proxy at public_url's path (which may or may not
    strip it) and directly on 127.0.0.1, the same links work."""

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (scope["path"] + "/").startswith(self.prefix + "/"):
            scope = {**scope, "root_path": scope.get("root_path", "") + self.prefix}  # the router strips it
        await self.app(scope, receive, send)


def _host_name(host_header: str) -> str:
    """The name in a Host header, without the port: "127.0.0.1:8080" -> 127.0.0.1, "[::1]:8080" -> ::1."""
    if host_header.startswith("["):
        return host_header[1:].partition("]")[0].lower()
    return host_header.rpartition(":")[0].lower() if ":" in host_header else host_header.lower()


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def create_app(
    store_path: str | Path,
    *,
    token: str | None = None,
    basic_auth: tuple[str, str] | None = None,
    public_url: str | None = None,
    allowed_hosts: list[str] | None = None,
) -> Starlette:
    """The history browser over the database at `store_path`, opened read-only.

    `public_url`: the address people reach it at (absolute links in the feed; links in pages start with its
    path); `allowed_hosts`: Host names accepted (None: any), which keeps a loopback-only server out of reach
    of DNS-rebinding pages."""
    path = Path(store_path)
    Store(path, readonly=True).close()  # a missing or outdated database is said at start, not at first click
    readers = Readers(path)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        readers.close()

    public_url = public_url.rstrip("/") if public_url else None
    root = urlsplit(public_url).path.rstrip("/") if public_url else ""
    middleware = [Middleware(Guard, token=token, basic_auth=basic_auth, allowed_hosts=allowed_hosts)]
    if root:
        middleware.append(Middleware(UnderPrefix, prefix=root))
    app = Starlette(
        routes=views.routes(),
        middleware=middleware,
        exception_handlers=views.EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.readers = readers
    app.state.templates = views.templates(root)
    app.state.public_url = public_url
    app.state.root = root
    return app


__all__ = ["UnsafeBinding", "check_binding", "create_app", "is_loopback"]
