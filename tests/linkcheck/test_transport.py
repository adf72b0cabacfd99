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


# The response class: http.client's framing, a leaner header parser ----------------------

_RESPONSES = {
    "length": b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 12\r\n\r\nhello world!",
    "chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nServer: test\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "http10": b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nbody until close",
    "http10-keepalive": b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
    "close": b"HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 3\r\n\r\nnop",
    "no-length": b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<p>until close</p>",
    "204": b"HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n",
    "304": b"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n",
    "continue": b"HTTP/1.1 100 Continue\r\nX-Interim: yes\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    "cookies": b"HTTP/1.1 302 Found\r\nSet-Cookie: a=1; Path=/\r\nLocation: /next\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n",
    "folded": b"HTTP/1.1 200 OK\r\nX-Long: first\r\n  second\r\n\tthird\r\nContent-Length: 0\r\n\r\n",
    "spaces": b"HTTP/1.1 200 OK\r\nContent-Length:   4  \r\nX-Empty:\r\nServer:nginx\r\n\r\nbody",
    "bad-length": b"HTTP/1.1 200 OK\r\nContent-Length: many\r\n\r\nxx",
    "negative-length": b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nxx",
    "bare-lf": b"HTTP/1.1 200 OK\nContent-Length: 2\nX-Y: z\n\nok",
    "latin1": b"HTTP/1.1 200 OK\r\nX-Name: caf\xe9\r\nContent-Length: 0\r\n\r\n",
}


class _FakeSocket:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def makefile(self, mode: str) -> object:
        import io

        return io.BytesIO(self.data)


def _read(cls: type, raw: bytes, method: str = "GET") -> object:
    response = cls(_FakeSocket(raw), method=method)
    response.begin()
    return response


@pytest.mark.parametrize("name", sorted(_RESPONSES))
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_response_framing_matches_http_client(name: str, method: str) -> None:
    import http.client

    from kmgraph.linkcheck.check import _Response

    raw = _RESPONSES[name]
    stock, fast = _read(http.client.HTTPResponse, raw, method), _read(_Response, raw, method)
    for attr in ("status", "reason", "version", "chunked", "length", "will_close"):
        assert getattr(fast, attr) == getattr(stock, attr), attr
    expected = [(k, " ".join(v.split())) for k, v in stock.msg.items()]  # http.client keeps folds and padding
    assert fast.msg.items() == expected
    assert isinstance(fast.msg, http.client.HTTPMessage)
    for key, _ in expected:
        assert fast.msg.get(key.upper()) == dict(expected)[key] or key.lower() in ("set-cookie",)
    assert fast.msg.get("x-missing", "none") == "none"
    assert fast.msg.get_all("set-cookie") == stock.msg.get_all("set-cookie")
    assert fast.read() == stock.read()


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70000 + b"\r\n\r\n", "LineTooLong"),
        (b"HTTP/1.1 200 OK\r\n" + b"X-A: b\r\n" * 101 + b"\r\n", "HTTPException"),
        (b"", "RemoteDisconnected"),
        (b"garbage\r\n\r\n", "BadStatusLine"),
        (b"HTTP/2.0 200 OK\r\n\r\n", "UnknownProtocol"),
    ],
)
def test_response_errors_match_http_client(raw: bytes, error: str) -> None:
    import http.client

    from kmgraph.linkcheck.check import _Response

    for cls in (http.client.HTTPResponse, _Response):
        with pytest.raises(http.client.HTTPException) as info:
            _read(cls, raw)
        assert type(info.value).__name__ == error, cls


def test_urllib3_reads_headers_through_the_fast_parser(srv: _Server) -> None:
    (result,) = check(f"{srv.base}/login")
    assert result.status is Status.OK and result.redirects == ((302, f"{srv.base}/members"),)
    import urllib3

    from kmgraph.linkcheck.check import _Guard, _Headers, _PinnedPool

    pool = _PinnedPool("127.0.0.1", srv.server_address[1], guard=_Guard(exclude_private=False), retries=False)
    try:
        resp = pool.urlopen("GET", "/login", redirect=False, preload_content=True)
        assert isinstance(resp._original_response.msg, _Headers)  # type: ignore[union-attr]
        assert resp.status == 302 and resp.headers["location"] == "/members"
        assert resp.headers.getlist("set-cookie") == ["session=abc; Path=/; HttpOnly"]
        assert isinstance(resp.headers, urllib3.HTTPHeaderDict)
    finally:
        pool.close()
