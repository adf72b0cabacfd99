"""The checker's transports: urllib3 by default (proxies, cookies, URL encoding, the pool),
and a ``requests.Session`` when a session factory is given.

Loopback only: a small server on 127.0.0.1, started per test; configs pass
``exclude_private=False``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from kmgraph.linkcheck.check import _cookie_header, _remember_cookies, check_links
from kmgraph.linkcheck.collect import group_links
from kmgraph.linkcheck.status import Status
from kmgraph.records import LinkKind, RawLink
from tests.linkcheck.conftest import loopback_config


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return

    def do_HEAD(self) -> None:
        self._handle()

    def do_GET(self) -> None:
        self._handle()

    def _send(self, code: int, **headers: str) -> None:
        self.send_response(code)
        self.send_header("Content-Length", "0")
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()

    def _handle(self) -> None:
        with self.server.lock:
            self.server.seen.append((self.command, self.path, self.headers.get("Cookie")))
        path = urlsplit(self.path).path
        if path == "/login":  # sets a cookie and sends the client on; loops without it
            self._send(302, Location="/members", Set_Cookie="session=abc; Path=/; HttpOnly")
        elif path == "/members":
            if "session=abc" in (self.headers.get("Cookie") or ""):
                self._send(200)
            else:
                self._send(302, Location="/login")
        else:
            self._send(200)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.seen: list[tuple[str, str, str | None]] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def srv() -> Iterator[_Server]:
    server = _Server()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def check(*urls: str, **config: object) -> list:
    raws = [RawLink(u, "doc.md", i + 1, 1, "", LinkKind.ABSOLUTE) for i, u in enumerate(urls)]
    return check_links(group_links(raws), loopback_config(**config))


def test_cookies_travel_along_one_redirect_chain_only(srv: _Server) -> None:
    (result,) = check(f"{srv.base}/login")
    assert result.status is Status.OK and result.redirects[0][0] == 302
    assert ("HEAD", "/members", "session=abc") in srv.seen
    srv.seen.clear()
    (other,) = check(f"{srv.base}/members")  # a new URL starts with no cookies
    assert other.status is Status.BROKEN and "loop" in (other.error or "")
    assert all(cookie is None for _, _, cookie in srv.seen)


def test_request_target_is_percent_encoded(srv: _Server) -> None:
    (result,) = check(f"{srv.base}/a b/é?q=1 2")
    assert result.status is Status.OK
    assert srv.seen[-1][1] == "/a%20b/%C3%A9?q=1%202"


def test_proxy_from_the_environment(srv: _Server, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", srv.base)
    # Port 9 on localhost is closed: the request only succeeds through the proxy.
    (result,) = check("http://localhost:9/through-proxy")
    assert result.status is Status.OK
    assert srv.seen[-1][1] == "http://localhost:9/through-proxy"  # absolute form: a proxy request

    monkeypatch.setenv("no_proxy", "localhost")
    (direct,) = check("http://localhost:9/through-proxy")
    assert direct.status is Status.NETWORK_ERROR


def test_a_session_factory_is_used_when_given(srv: _Server) -> None:
    requests = pytest.importorskip("requests")
    made: list[object] = []

    def factory() -> object:
        session = requests.Session()
        session.headers["X-From-Factory"] = "yes"
        made.append(session)
        return session

    raws = [RawLink(f"{srv.base}/p{i}", "doc.md", 1, 1, "", LinkKind.ABSOLUTE) for i in range(3)]
    results = check_links(group_links(raws), loopback_config(concurrency=2), session_factory=factory)
    assert [r.status for r in results] == [Status.OK] * 3
    assert 1 <= len(made) <= 2  # one session per worker thread


def test_cookie_helpers_keep_scope() -> None:
    from urllib3 import HTTPHeaderDict

    jar: list[tuple[str, bool, str, str]] = []
    _remember_cookies(jar, "a.org", HTTPHeaderDict([("Set-Cookie", "x=1; Domain=evil.org")]))
    assert _cookie_header(jar, "evil.org") is None and _cookie_header(jar, "a.org") == "x=1"
    _remember_cookies(jar, "a.org", HTTPHeaderDict([("Set-Cookie", "x=2; Max-Age=0")]))
    assert _cookie_header(jar, "a.org") is None
