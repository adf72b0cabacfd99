"""DNS rebinding: a connection goes to the address that was checked, never to a later answer.

A hostile name server can answer the safety check with an allowed address and the
connection's own lookup with a forbidden one (127.0.0.1, 169.254.169.254). The checker
resolves a host once per run, checks every address, and opens its sockets to those
addresses only. These tests script the resolver (``socket.getaddrinfo``) and record
every ``connect``; a connection to anything but the loopback test server is refused by
the test before it leaves the process, so nothing reaches the internet.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest

from kmgraph.linkcheck.check import _classify, _Guard, _Urllib3Transport, check_links
from kmgraph.linkcheck.collect import group_links
from kmgraph.linkcheck.status import LinkResult, Status
from tests.linkcheck.conftest import loopback_config
from tests.linkcheck.server import LoopbackServer
from tests.linkcheck.test_check import links

PUBLIC = "93.184.216.34"  # a public-looking address: the test refuses every connection to it
METADATA = "169.254.169.254"


class Resolver:
    """A scripted ``getaddrinfo``: successive answers per name (the last one repeats)."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = {name: list(seq) for name, seq in answers.items()}
        self.calls: list[str] = []
        self._real = socket.getaddrinfo

    def __call__(self, host: str, port: object, *args: object, **kwargs: object) -> list[tuple]:
        if host not in self.answers:
            return self._real(host, port, *args, **kwargs)  # type: ignore[arg-type]
        self.calls.append(host)
        seq = self.answers[host]
        answer = seq.pop(0) if len(seq) > 1 else seq[0]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port or 0)) for ip in answer]


@pytest.fixture
def net(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[list[str], Resolver]]:
    """(addresses connected to, the resolver to script): only 127.0.0.1 is reachable."""
    connects: list[str] = []
    resolver = Resolver({})
    real_connect = socket.socket.connect

    def connect(sock: socket.socket, address: tuple) -> None:
        connects.append(address[0])
        if address[0] != "127.0.0.1":
            raise ConnectionRefusedError(111, f"the test refuses connections to {address[0]}")
        real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    yield connects, resolver


def check(*urls: str, **config: object) -> list[LinkResult]:
    return check_links(group_links(links(*urls)), loopback_config(**config))


def test_the_checked_address_is_the_one_connected_to(server: LoopbackServer, net: tuple[list[str], Resolver]) -> None:
    connects, resolver = net
    resolver.answers["rebind.test"] = [["127.0.0.1"], [METADATA]]  # checked, then rebound
    port = server.server_address[1]
    base = f"http://rebind.test:{port}"
    urls = [f"{base}/ok/{i}" for i in range(12)] + [f"{base}/moved301", f"{base}/flaky/a", f"{base}/reset"]
    results = {r.url: r for r in check(*urls, concurrency=6, host_concurrency=6)}

    assert all(results[u].status is Status.OK for u in urls[:12])
    assert results[f"{base}/moved301"].status is Status.REDIRECTED
    assert results[f"{base}/flaky/a"].status is Status.OK  # retried after a 503
    assert results[f"{base}/reset"].status is Status.NETWORK_ERROR  # every retry a new connection
    assert results[f"{base}/reset"].attempts == 3
    assert METADATA not in connects and set(connects) == {"127.0.0.1"}
    assert len(connects) >= 6, "several connections were opened, each to the checked address"
    assert resolver.calls == ["rebind.test"], "one lookup per host and run, none by the connection"
    assert {h.get("Host") for h in server.state.headers} == {f"rebind.test:{port}"}


def test_a_rebinding_answer_after_a_public_one_is_never_connected_to(
    server: LoopbackServer, net: tuple[list[str], Resolver]
) -> None:
    connects, resolver = net
    resolver.answers["public.test"] = [[PUBLIC], ["127.0.0.1"], [METADATA]]
    port = server.server_address[1]
    (result,) = check(f"http://public.test:{port}/ok", exclude_private=True)
    # The public address passed the check and is the only one tried (the test refuses it).
    assert result.status is Status.NETWORK_ERROR and "refused" in (result.error or "")
    assert connects and set(connects) == {PUBLIC}
    assert server.state.total("/ok") == 0
    assert resolver.calls == ["public.test"]


@pytest.mark.parametrize(
    ("answer", "exclude_private", "reason"),
    [
        ([PUBLIC, METADATA], False, f"cloud metadata address {METADATA} is never requested"),
        ([PUBLIC, "169.254.3.4"], False, "link-local address 169.254.3.4 is never requested"),
        ([PUBLIC, "10.0.0.5"], True, "private address 10.0.0.5 is not requested (--include-private checks it)"),
        (["127.0.0.1", PUBLIC], True, "private address 127.0.0.1 is not requested (--include-private checks it)"),
    ],
)
def test_an_answer_with_any_forbidden_address_is_excluded(
    net: tuple[list[str], Resolver], answer: list[str], exclude_private: bool, reason: str
) -> None:
    connects, resolver = net
    resolver.answers["mixed.test"] = [answer]
    (result,) = check("http://mixed.test/page", exclude_private=exclude_private)
    assert result.status is Status.EXCLUDED
    assert result.error == reason
    assert result.attempts == 0 and connects == []


def test_each_redirect_hop_is_resolved_checked_and_pinned(
    server: LoopbackServer, net: tuple[list[str], Resolver]
) -> None:
    connects, resolver = net
    port = server.server_address[1]
    resolver.answers["evil.test"] = [[METADATA]]
    resolver.answers["hop.test"] = [["127.0.0.1"], [METADATA]]
    to_evil = server.url("/redirect?to=" + quote(f"http://evil.test:{port}/latest/meta-data/", safe=""))
    to_hop = server.url("/redirect?to=" + quote(f"http://hop.test:{port}/ok", safe=""))
    results = {r.url: r for r in check(to_evil, to_hop)}
    excluded, followed = results[to_evil], results[to_hop]

    assert excluded.status is Status.EXCLUDED
    assert excluded.error == f"cloud metadata address {METADATA} is never requested"
    assert excluded.redirects == ((302, f"http://evil.test:{port}/latest/meta-data/"),)
    assert followed.status is Status.OK and followed.final_url == f"http://hop.test:{port}/ok"
    assert METADATA not in connects and set(connects) == {"127.0.0.1"}
    assert sorted(resolver.calls) == ["evil.test", "hop.test"]


def test_the_connection_itself_refuses_a_host_the_guard_refuses(net: tuple[list[str], Resolver]) -> None:
    """Defence in depth: even a request that skipped the check cannot open a socket."""
    connects, resolver = net
    resolver.answers["inside.test"] = [[METADATA]]
    transport = _Urllib3Transport(2, _Guard(exclude_private=False))
    try:
        for url in ("http://inside.test/", "http://metadata.google.internal/computeMetadata/v1/"):
            from urllib.parse import urlsplit

            parts = urlsplit(url)
            with pytest.raises(transport.errors) as info:
                transport.send("HEAD", url, parts, parts.hostname or "", None, {}, 1.0)
            status, reason, retryable = _classify(info.value)
            assert status is Status.EXCLUDED and "never requested" in reason and not retryable
    finally:
        transport.close()
    assert connects == []


# TLS: the socket goes to the checked address, SNI and the certificate use the host name.


class _TLSHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return

    def do_HEAD(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_HEAD


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, Path, list[str | None]]]:
    """An HTTPS server on 127.0.0.1 with a self-signed certificate for ``secure.test``:
    (port, the certificate to trust, the SNI names the server was sent)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", "/CN=secure.test", "-addext", "subjectAltName=DNS:secure.test"],
        capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    if made.returncode != 0:
        pytest.skip(f"openssl could not make a test certificate: {made.stderr.decode()[-200:]}")
    names: list[str | None] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda _sock, name, _ctx: names.append(name)  # type: ignore[assignment,misc,func-returns-value]
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _TLSHandler)
    httpd.daemon_threads = True
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield httpd.server_address[1], cert, names
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_tls_keeps_the_host_name_for_sni_and_the_certificate(
    tls_server: tuple[int, Path, list[str | None]], net: tuple[list[str], Resolver], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, cert, names = tls_server
    connects, resolver = net
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    resolver.answers["secure.test"] = [["127.0.0.1"], [METADATA]]
    resolver.answers["other.test"] = [["127.0.0.1"]]
    results = {r.url: r for r in check(f"https://secure.test:{port}/", f"https://other.test:{port}/", retries=0)}
    ok, mismatch = results[f"https://secure.test:{port}/"], results[f"https://other.test:{port}/"]

    assert ok.status is Status.OK, ok
    assert "secure.test" in names, "the server was sent the host name (SNI), not the address"
    assert mismatch.status is Status.NETWORK_ERROR and (mismatch.error or "").startswith("TLS:"), mismatch
    assert "other.test" in (mismatch.error or "") or "hostname" in (mismatch.error or "").lower()
    assert set(connects) == {"127.0.0.1"}


def test_without_include_private_a_loopback_answer_is_excluded(
    server: LoopbackServer, net: tuple[list[str], Resolver]
) -> None:
    connects, resolver = net
    resolver.answers["local.test"] = [["127.0.0.1"]]
    config = replace(loopback_config(), exclude_private=True)
    (result,) = check_links(group_links(links(f"http://local.test:{server.server_address[1]}/ok")), config)
    assert result.status is Status.EXCLUDED and "--include-private" in (result.error or "")
    assert connects == [] and server.state.total("/ok") == 0
