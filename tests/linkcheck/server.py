"""A loopback HTTP server with one endpoint per link-checking case.

Binds 127.0.0.1 on a free port only. Every handler is bounded in time: slow endpoints
wait on an event that the fixture sets on teardown, and never longer than
:data:`MAX_WAIT` seconds. The server records what it saw (requests per path and method,
arrival times, requests in flight and their peak, bytes of the huge body sent) so tests
can assert on the client's behaviour from the server's side.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections import Counter
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

#: No handler waits longer than this (seconds).
MAX_WAIT = 5.0
#: Length announced by /huge (the handler stops writing when the client hangs up).
HUGE_LENGTH = 64 * 1024 * 1024

OK_PAGE = b"<!doctype html><html><head><title>Knowledge brokers</title></head><body><p>Hello</p></body></html>"
ANCHOR_PAGE = (
    b'<!doctype html><html><head><title>Anchors</title></head><body>'
    b'<h2 id="present">Present</h2><a name="named"></a><p>Text</p></body></html>'
)
SOFT_404_PAGE = b"<html><head><title>Page not found | Example</title></head><body>Sorry.</body></html>"
SOFT_404_BODY = (
    b"<html><head><title>Example Journal</title></head>"
    b"<body><h1>Oops</h1><p>The page you requested could not be found.</p></body></html>"
)
CHALLENGE_PAGE = b"<html><head><title>Just a moment...</title></head><body>cf-chl challenge</body></html>"


class State:
    """What the server saw, shared by all handler threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.hits: Counter[tuple[str, str]] = Counter()  # (method, path) -> count
            self.arrivals: list[tuple[float, str, str]] = []  # (monotonic, method, path)
            self.in_flight = 0
            self.peak = 0
            self.huge_sent = 0
            self.headers: list[dict[str, str]] = []  # request headers, in arrival order

    def count(self, method: str, path: str) -> int:
        with self.lock:
            return self.hits[(method, path)]

    def total(self, path: str) -> int:
        with self.lock:
            return sum(n for (_, p), n in self.hits.items() if p == path)

    def methods(self) -> Counter[str]:
        with self.lock:
            out: Counter[str] = Counter()
            for (method, _), n in self.hits.items():
                out[method] += n
            return out


class _Abort(Exception):
    """Raised by a handler that dropped its connection on purpose."""


class Handler(BaseHTTPRequestHandler):
    server: LoopbackServer
    timeout = MAX_WAIT  # socket reads

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - silence the access log
        return

    def do_HEAD(self) -> None:
        self._handle("HEAD")

    def do_GET(self) -> None:
        self._handle("GET")

    # helpers ---------------------------------------------------------------------

    def _send(self, code: int, body: bytes = b"", ctype: str = "text/html; charset=utf-8", **headers: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def _redirect(self, code: int, location: str) -> None:
        self._send(code, b"moved", Location=location)

    def _wait(self, seconds: float) -> None:
        self.server.state.release.wait(min(seconds, MAX_WAIT))

    # dispatch --------------------------------------------------------------------

    def _handle(self, method: str) -> None:
        state = self.server.state
        parts = urlsplit(self.path)
        path = parts.path
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        with state.lock:
            state.hits[(method, path)] += 1
            nth = sum(n for (_, p), n in state.hits.items() if p == path)
            state.arrivals.append((time.monotonic(), method, path))
            state.headers.append(dict(self.headers.items()))
            state.in_flight += 1
            state.peak = max(state.peak, state.in_flight)
        try:
            self._route(method, path, query, nth)
        finally:
            with state.lock:
                state.in_flight -= 1

    def _route(self, method: str, path: str, query: dict[str, str], nth: int) -> None:
        if path in ("/ok", "/final") or path.startswith("/ok/"):
            return self._send(200, OK_PAGE)
        if path == "/404":
            return self._send(404, b"<title>404 Not Found</title>")
        if path == "/410":
            return self._send(410, b"gone")
        if path == "/500":
            return self._send(500, b"boom")
        if path == "/401":
            return self._send(401, b"who are you")
        if path == "/999":
            return self._send(999, b"no robots")
        if path.startswith("/flaky/"):  # 503 first, then 200
            return self._send(503, b"try again") if nth == 1 else self._send(200, OK_PAGE)
        if path.startswith("/flaky502/"):
            return self._send(502, b"bad gateway") if nth == 1 else self._send(200, OK_PAGE)
        if path == "/always503":
            return self._send(503, b"down")
        if path.startswith("/ratelimit/"):  # 429 + Retry-After seconds, then 200
            if nth == 1:
                return self._send(429, b"slow down", Retry_After=query.get("after", "1"))
            return self._send(200, OK_PAGE)
        if path.startswith("/ratelimit-date/"):  # 429 + Retry-After as an HTTP date, then 200
            if nth == 1:
                return self._send(429, b"slow down", Retry_After=formatdate(time.time() + 2, usegmt=True))
            return self._send(200, OK_PAGE)
        if path == "/ratelimit-long":
            return self._send(429, b"come back tomorrow", Retry_After="120")
        if path == "/ratelimit-always":
            return self._send(429, b"no", Retry_After="0")
        if path == "/slow":  # never answers in time (bounded by MAX_WAIT)
            self._wait(float(query.get("s", MAX_WAIT)))
            return self._send(200, OK_PAGE)
        if path == "/latency":
            self._wait(float(query.get("ms", "100")) / 1000)
            return self._send(200, OK_PAGE)
        if path == "/chain":
            return self._redirect(301, "/chain2")
        if path == "/chain2":
            return self._redirect(302, "/final")
        if path == "/loop-a":
            return self._redirect(302, "/loop-b")
        if path == "/loop-b":
            return self._redirect(302, "/loop-a")
        if path == "/moved301":
            return self._redirect(301, "/ok")
        if path == "/moved308":
            return self._redirect(308, "/ok")
        if path == "/temp302":
            return self._redirect(302, "/ok")
        if path == "/temp307":
            return self._redirect(307, "/ok")
        if path == "/redirect" and "to" in query:  # a 302 to any URL (?to=...)
            return self._redirect(302, query["to"])
        if path == "/to-metadata":
            return self._redirect(302, "http://169.254.169.254/latest/meta-data/")
        if path == "/nohead":
            return self._send(405, b"", Allow="GET") if method == "HEAD" else self._send(200, OK_PAGE)
        if path == "/botwall":
            return self._send(403, b"<title>Access denied</title>")
        if path == "/challenge":
            return self._send(403, CHALLENGE_PAGE, cf_mitigated="challenge", Server="cloudflare")
        if path == "/cf503":
            return self._send(503, CHALLENGE_PAGE, Server="cloudflare")
        if path == "/soft404":
            return self._send(200, SOFT_404_PAGE)
        if path == "/soft404-body":
            return self._send(200, SOFT_404_BODY)
        if path == "/anchors":
            return self._send(200, ANCHOR_PAGE)
        if path == "/huge":
            return self._huge(method)
        if path == "/reset":
            return self._reset()
        if path.startswith("/api/handles/"):
            return self._handle_api(path[len("/api/handles/") :])
        return self._send(404, b"<title>404 Not Found</title>")

    def _huge(self, method: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(HUGE_LENGTH))
        self.end_headers()
        if method == "HEAD":
            return
        self.wfile.flush()
        chunk = b"<p>" + b"x" * 16381
        sent = 0
        started = time.monotonic()
        try:
            while sent < HUGE_LENGTH and time.monotonic() - started < MAX_WAIT:
                self.connection.sendall(chunk)
                sent += len(chunk)
                with self.server.state.lock:
                    self.server.state.huge_sent = sent
        except OSError:
            pass
        self.close_connection = True

    def _reset(self) -> None:
        """Half a status line, then an abortive close (RST)."""
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Ty")
        self.wfile.flush()
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        raise _Abort

    def _handle_api(self, doi: str) -> None:
        if doi.lower() == "10.1234/ok":
            body = {
                "responseCode": 1,
                "handle": doi,
                "values": [{"index": 1, "type": "URL", "data": {"format": "string", "value": "https://publisher.example/a"}}],
            }
            return self._send(200, json.dumps(body).encode(), "application/json")
        return self._send(404, json.dumps({"responseCode": 100, "handle": doi}).encode(), "application/json")


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # the default (5) drops connections under the concurrency tests

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.state = State()

    @property
    def base(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def handle_error(self, request: object, client_address: object) -> None:
        return  # resets and hang-ups are on purpose here

    def start(self) -> LoopbackServer:
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self.state.release.set()
        self.shutdown()
        self.server_close()
