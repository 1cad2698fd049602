"""A real HTTP server on 127.0.0.1 for tests: vendor pages, misbehaving hosts, and Slack's API stand-in.

    with LocalServer() as server:
        server.route("/privacy", Reply(200, b"<html>...", {"Content-Type": "text/html"}))
        server.route("/flaky", lambda request: Reply(503) if len(server.requests) < 2 else Reply(200, b"ok"))
        fetch(server.url("/privacy"))
        assert server.requests[-1].headers["User-Agent"]

A route is a Reply, a list of Replies (served in turn, the last one repeated), or a function of the Request.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the status line is sent
    chunks: Iterable[bytes] | None = None  # sent one by one, `chunk_delay` apart, instead of `body`
    chunk_delay: float = 0.0

    def payload(self) -> bytes:
        return self.body.encode() if isinstance(self.body, str) else bytes(self.body)


Route = Reply | list[Reply] | Callable[[Request], Reply]


class LocalServer:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.requests: list[Request] = []
        self._routes: dict[str, Route] = {}
        self._served: dict[str, int] = {}
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def handle(self) -> None:
                # A client that drops a keep-alive connection (or gives up on a slow reply) is no error.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    super().handle()

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                request = Request(self.command, parts.path, parse_qs(parts.query), dict(self.headers.items()), body)
                owner._send(self, owner._reply_for(request))

            do_GET = do_POST = do_HEAD = do_PUT = _handle

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    # -- routing

    def route(self, path: str, reply: Route) -> None:
        with self._lock:
            self._routes[path] = reply
            self._served[path] = 0

    def url(self, path: str = "/") -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def requests_to(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def _reply_for(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            route = self._routes.get(request.path)
            count = self._served.get(request.path, 0)
            self._served[request.path] = count + 1
        if route is None:
            return Reply(404, b"not found", {"Content-Type": "text/plain"})
        if isinstance(route, list):
            return route[min(count, len(route) - 1)]
        if callable(route):
            return route(request)
        return route

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        if reply.delay:
            time.sleep(reply.delay)
        handler.send_response(reply.status)
        headers = {k.lower(): v for k, v in reply.headers.items()}
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        if reply.chunks is not None:
            if "content-length" not in headers:
                handler.send_header("Transfer-Encoding", "chunked")
            handler.end_headers()
            for chunk in reply.chunks:
                if "content-length" in headers:
                    handler.wfile.write(chunk)
                else:
                    handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                handler.wfile.flush()
                if reply.chunk_delay:
                    time.sleep(reply.chunk_delay)
            if "content-length" not in headers:
                handler.wfile.write(b"0\r\n\r\n")
            return
        payload = reply.payload()
        if "content-length" not in headers:
            handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(payload)

    # -- lifecycle

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
