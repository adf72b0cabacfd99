"""Links are untrusted input: some addresses are never requested, whatever the config."""

from __future__ import annotations

import socket

import pytest
import urllib3.util.connection

from kmgraph.linkcheck.check import check_links
from kmgraph.linkcheck.collect import group_links
from kmgraph.linkcheck.config import CheckConfig
from kmgraph.linkcheck.status import Status
from tests.linkcheck.conftest import loopback_config
from tests.linkcheck.server import LoopbackServer
from tests.linkcheck.test_check import check_one, links


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Fail the test on any connection attempt or DNS lookup; returns what was attempted."""
    attempts: list[str] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(repr(args[:1]))
        raise AssertionError(f"no connection may be attempted: {args[:1]!r}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(urllib3.util.connection, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://169.254.10.1/",
        "http://[fe80::1]/",
        "http://[fd00:ec2::254]/",
        "http://[::ffff:169.254.169.254]/",
        "http://metadata.google.internal/computeMetadata/v1/",
    ],
)
@pytest.mark.parametrize("exclude_private", [True, False])
def test_link_local_and_metadata_are_never_requested(no_network: list[str], url: str, exclude_private: bool) -> None:
    (result,) = check_links(group_links(links(url)), CheckConfig(exclude_private=exclude_private))
    assert result.status is Status.EXCLUDED, result
    assert "never requested" in (result.error or "")
    assert result.attempts == 0 and no_network == []


def test_private_and_loopback_are_excluded_by_default(no_network: list[str]) -> None:
    for url in ("http://127.0.0.1:9/", "http://10.1.2.3/", "http://192.168.0.1/", "http://[::1]/"):
        (result,) = check_links(group_links(links(url)), CheckConfig())
        assert result.status is Status.EXCLUDED and "--include-private" in (result.error or ""), url
    assert no_network == []


def test_loopback_server_is_not_requested_without_include_private(server: LoopbackServer) -> None:
    (result,) = check_links(group_links(links(server.url("/ok"))), CheckConfig())
    assert result.status is Status.EXCLUDED
    assert server.state.total("/ok") == 0


def test_a_redirect_to_the_metadata_address_is_not_followed(server: LoopbackServer) -> None:
    result = check_one(server.url("/to-metadata"))
    assert result.status is Status.EXCLUDED and "169.254.169.254" in (result.error or "")
    assert result.redirects == ((302, "http://169.254.169.254/latest/meta-data/"),)
    assert server.state.total("/to-metadata") == 1


def test_a_host_resolving_to_link_local_is_excluded(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake(host: str, *args: object, **kwargs: object) -> list[tuple]:
        assert host == "rebind.example"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", 0))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    (result,) = check_links(group_links(links("http://rebind.example/")), loopback_config())
    assert result.status is Status.EXCLUDED and "metadata" in (result.error or "")


def test_dns_failure_is_a_fast_network_error(no_network: list[str]) -> None:
    (result,) = check_links(group_links(links("https://no-such-host.invalid/page")), CheckConfig())
    assert result.status is Status.NETWORK_ERROR and "DNS" in (result.error or "")
    assert result.elapsed < 0.5 and no_network == []


def test_dns_failure_from_the_resolver(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def fail(host: str, *args: object, **kwargs: object) -> list[tuple]:
        calls.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    results = check_links(
        group_links(links("https://gone.example/a", "https://gone.example/b")), CheckConfig(retries=3)
    )
    assert {r.status for r in results} == {Status.NETWORK_ERROR}
    assert calls == ["gone.example"], "a host is resolved once per run, and DNS failures are not retried"
