"""The network checker against the loopback server: one test per case, asserted from
both sides (the result, and what the server saw).

These tests need loopback: every config passes ``exclude_private=False``.
"""

from __future__ import annotations

import socket
import time
from dataclasses import replace

import pytest

from kmgraph.linkcheck.check import check_links
from kmgraph.linkcheck.collect import group_links
from kmgraph.linkcheck.config import HostConfig, parse_accept
from kmgraph.linkcheck.status import LinkResult, Status
from kmgraph.records import LinkKind, RawLink
from tests.linkcheck.conftest import loopback_config
from tests.linkcheck.server import HUGE_LENGTH, LoopbackServer


def links(*urls: str, path: str = "doc.md") -> list[RawLink]:
    return [RawLink(u, path, i + 1, 3, "", LinkKind.ABSOLUTE) for i, u in enumerate(urls)]


def check(*urls: str, **config: object) -> list[LinkResult]:
    return check_links(group_links(links(*urls)), loopback_config(**config))


def check_one(url: str, **config: object) -> LinkResult:
    (result,) = check(url, **config)
    return result


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/ok", Status.OK, 200),
        ("/404", Status.BROKEN, 404),
        ("/410", Status.BROKEN, 410),
        ("/500", Status.BROKEN, 500),
        ("/401", Status.BLOCKED, 401),
        ("/999", Status.BLOCKED, 999),
        ("/botwall", Status.BLOCKED, 403),
        ("/challenge", Status.BLOCKED, 403),
        ("/cf503", Status.BLOCKED, 503),
        ("/always503", Status.BROKEN, 503),
        ("/ratelimit-always", Status.RATE_LIMITED, 429),
        ("/nohead", Status.OK, 200),
        ("/temp302", Status.OK, 200),
        ("/temp307", Status.OK, 200),
        ("/moved301", Status.REDIRECTED, 200),
        ("/moved308", Status.REDIRECTED, 200),
        ("/chain", Status.REDIRECTED, 200),
        ("/loop-a", Status.BROKEN, 302),
        ("/flaky/a", Status.OK, 200),
        ("/flaky502/a", Status.OK, 200),
    ],
)
def test_status_of_each_case(server: LoopbackServer, path: str, status: Status, code: int) -> None:
    result = check_one(server.url(path))
    assert (result.status, result.code) == (status, code), result
    assert result.checked_at.endswith("Z") and result.places[0].path == "doc.md"


def test_bot_walls_are_blocked_with_a_reason(server: LoopbackServer) -> None:
    challenge = check_one(server.url("/challenge"))
    assert "challenge" in (challenge.error or "")
    cf503 = check_one(server.url("/cf503"))
    assert "Cloudflare" in (cf503.error or "")
    assert server.state.count("GET", "/cf503") == 1, "the challenge body needs a GET"
    assert server.state.total("/cf503") == 2, "a challenge is not retried"


def test_retries_are_counted_on_the_server(server: LoopbackServer) -> None:
    assert check_one(server.url("/flaky/x")).attempts == 2
    assert server.state.total("/flaky/x") == 2
    broken = check_one(server.url("/always503"), retries=2)
    assert server.state.total("/always503") == 3
    assert "after 2 retries" in (broken.error or "")
    assert check_one(server.url("/500")).attempts == 2  # HEAD, then GET; 500 is not retried
    assert server.state.total("/500") == 2


def test_head_refused_falls_back_to_get(server: LoopbackServer) -> None:
    result = check_one(server.url("/nohead"))
    assert result.method == "GET"
    assert server.state.count("HEAD", "/nohead") == 1 and server.state.count("GET", "/nohead") == 1
    assert check_one(server.url("/ok")).method == "HEAD"
    assert server.state.count("GET", "/ok") == 0


def test_redirects_are_recorded_and_permanent_ones_give_the_new_url(server: LoopbackServer) -> None:
    chain = check_one(server.url("/chain"))
    assert chain.redirects == ((301, server.url("/chain2")), (302, server.url("/final")))
    assert chain.final_url == server.url("/final")
    assert chain.new_url == server.url("/chain2"), "the 302 is temporary: link to its source"
    moved = check_one(server.url("/moved308"))
    assert (moved.new_url, moved.final_url) == (server.url("/ok"), server.url("/ok"))
    temp = check_one(server.url("/temp302"))
    assert temp.status is Status.OK and temp.final_url == server.url("/ok") and temp.new_url is None


def test_redirect_loop_and_limit(server: LoopbackServer) -> None:
    loop = check_one(server.url("/loop-a"))
    assert "loop" in (loop.error or "")
    assert server.state.total("/loop-a") == 1 and server.state.total("/loop-b") == 1
    limited = check_one(server.url("/chain"), max_redirects=1)
    assert limited.status is Status.BROKEN and "more than 1 redirects" in (limited.error or "")


def test_retry_after_seconds_is_honoured(server: LoopbackServer) -> None:
    started = time.monotonic()
    result = check_one(server.url("/ratelimit/a?after=1"))
    assert result.status is Status.OK and result.attempts == 2
    assert time.monotonic() - started >= 0.95
    first, second = [t for t, _, p in server.state.arrivals if p == "/ratelimit/a"]
    assert second - first >= 0.95


def test_retry_after_http_date_is_honoured(server: LoopbackServer) -> None:
    result = check_one(server.url("/ratelimit-date/a"))
    assert result.status is Status.OK
    first, second = [t for t, _, p in server.state.arrivals if p == "/ratelimit-date/a"]
    assert second - first >= 0.9  # the date is 2 s ahead, to the second


def test_retry_after_beyond_the_cap_gives_up_at_once(server: LoopbackServer) -> None:
    started = time.monotonic()
    result = check_one(server.url("/ratelimit-long"), retry_after_cap=1)
    assert result.status is Status.RATE_LIMITED
    assert "beyond the cap" in (result.error or "")
    assert time.monotonic() - started < 1.0
    assert server.state.total("/ratelimit-long") == 1


def test_rate_limited_after_retries(server: LoopbackServer) -> None:
    result = check_one(server.url("/ratelimit-always"), retries=2)
    assert result.status is Status.RATE_LIMITED and server.state.total("/ratelimit-always") == 3


def test_timeout_is_not_retried_and_never_falls_back_to_get(server: LoopbackServer) -> None:
    started = time.monotonic()
    result = check_one(server.url("/slow"), timeout=0.3, retries=3)
    assert result.status is Status.TIMEOUT and "timed out" in (result.error or "")
    assert time.monotonic() - started < 2.0
    assert server.state.count("GET", "/slow") == 0
    assert server.state.count("HEAD", "/slow") == 1


def test_url_budget_bounds_retries(server: LoopbackServer) -> None:
    started = time.monotonic()
    result = check_one(server.url("/ratelimit/b?after=3"), url_budget=1.0)
    assert result.status is Status.RATE_LIMITED and "no time left" in (result.error or "")
    assert time.monotonic() - started < 2.0  # it does not wait the 3 s Retry-After


def test_connection_reset_is_a_network_error_after_retries(server: LoopbackServer) -> None:
    result = check_one(server.url("/reset"), retries=1)
    assert result.status is Status.NETWORK_ERROR
    assert result.error and ("reset" in result.error or "closed" in result.error)
    assert server.state.total("/reset") == 2


def test_connection_refused_is_a_network_error(server: LoopbackServer) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again at once: nothing listens there
    result = check_one(f"http://127.0.0.1:{port}/", retries=1)
    assert result.status is Status.NETWORK_ERROR and "refused" in (result.error or "")
    assert result.attempts == 2


def test_soft_404_needs_a_get(server: LoopbackServer) -> None:
    assert check_one(server.url("/soft404")).status is Status.OK, "HEAD cannot see the page"
    soft = check_one(server.url("/soft404"), soft404=True)
    assert soft.status is Status.SOFT_404 and "Page not found" in (soft.error or "")
    body = check_one(server.url("/soft404-body"), soft404=True)
    assert body.status is Status.SOFT_404 and "could not be found" in (body.error or "")
    assert check_one(server.url("/ok"), soft404=True).status is Status.OK


def test_huge_body_is_not_read_to_the_end(server: LoopbackServer) -> None:
    result = check_one(server.url("/huge"), soft404=True, max_body=64 * 1024)
    assert result.status is Status.OK and result.method == "GET"
    deadline = time.monotonic() + 3
    while server.state.in_flight and time.monotonic() < deadline:
        time.sleep(0.02)
    # What the server managed to write includes the kernel's socket buffers on both sides.
    assert 0 < server.state.huge_sent < 16 * 1024 * 1024 < HUGE_LENGTH


def test_remote_fragments_are_checked_with_one_get(server: LoopbackServer) -> None:
    urls = [server.url("/anchors#present"), server.url("/anchors#named"), server.url("/anchors#missing")]
    results = {r.url: r for r in check(*urls, fragments=True)}
    assert results[urls[0]].status is Status.OK
    assert results[urls[1]].status is Status.OK
    assert results[urls[2]].status is Status.BROKEN and "#missing" in (results[urls[2]].error or "")
    assert server.state.count("GET", "/anchors") == 1 and server.state.count("HEAD", "/anchors") == 0
    without = check(*urls)  # fragments off: the page exists, that is all
    assert {r.status for r in without} == {Status.OK}


def test_doi_checked_at_the_resolver_handle_api(server: LoopbackServer) -> None:
    results = {r.url: r for r in check("https://doi.org/10.1234/ok", "https://doi.org/10.1234/missing", doi_resolver=server.base)}
    ok = results["https://doi.org/10.1234/ok"]
    assert (ok.status, ok.code, ok.final_url) == (Status.OK, 200, "https://publisher.example/a")
    missing = results["https://doi.org/10.1234/missing"]
    assert missing.status is Status.BROKEN and "not found" in (missing.error or "")
    assert server.state.count("GET", "/api/handles/10.1234/ok") == 1
    assert server.state.count("GET", "/api/handles/10.1234/missing") == 1


def test_per_host_interval_is_respected(server: LoopbackServer) -> None:
    urls = [server.url(f"/ok/{i}") for i in range(5)]
    check(*urls, host_interval=0.15, host_concurrency=4)
    times = sorted(t for t, _, _ in server.state.arrivals)
    assert len(times) == 5
    # Arrival times on the server carry a few ms of scheduling jitter; the client spaces starts exactly.
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.12
    assert times[-1] - times[0] >= 4 * 0.15 - 0.02


def test_per_host_interval_configured_for_one_host(server: LoopbackServer) -> None:
    urls = [server.url(f"/ok/{i}") for i in range(4)]
    check(*urls, host_interval=0.0, hosts={"127.0.0.1": HostConfig(interval=0.2)})
    times = sorted(t for t, _, _ in server.state.arrivals)
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.17
    assert times[-1] - times[0] >= 3 * 0.2 - 0.02


def test_global_concurrency_cap(server: LoopbackServer) -> None:
    urls = [server.url(f"/latency?ms=150&i={i}") for i in range(12)]
    results = check(*urls, concurrency=3, host_concurrency=50)
    assert {r.status for r in results} == {Status.OK}
    assert 2 <= server.state.peak <= 3


def test_per_host_concurrency_cap(server: LoopbackServer) -> None:
    urls = [server.url(f"/latency?ms=150&i={i}") for i in range(8)]
    check(*urls, concurrency=16, host_concurrency=2)
    assert server.state.peak == 2


def test_max_time_cuts_the_run_off(server: LoopbackServer) -> None:
    urls = [server.url(f"/latency?ms=400&i={i}") for i in range(10)]
    started = time.monotonic()
    results = check(*urls, concurrency=1, host_concurrency=1, max_time=1.0)
    assert time.monotonic() - started < 2.0
    statuses = [r.status for r in results]
    assert Status.OK in statuses and Status.TIMEOUT in statuses
    late = [r for r in results if r.status is Status.TIMEOUT]
    assert all("max_time 1 s" in (r.error or "") for r in late)
    assert server.state.total("/latency") < 5


def test_accept_include_exclude_and_schemes(server: LoopbackServer) -> None:
    assert check_one(server.url("/botwall"), accept=parse_accept("200..299,403")).status is Status.OK
    excluded = check_one(server.url("/404"), exclude=(r"/404$",))
    assert excluded.status is Status.EXCLUDED and "--exclude" in (excluded.error or "")
    assert server.state.total("/404") == 0
    included = check(server.url("/404"), server.url("/ok"), include=(r"/ok$",), exclude=(r".",))
    assert [r.status for r in included] == [Status.EXCLUDED, Status.OK]
    assert check_one("ftp://example.org/file").status is Status.UNSUPPORTED


def test_user_agent_and_per_host_headers_from_the_environment(server: LoopbackServer, monkeypatch) -> None:
    monkeypatch.setenv("KMGRAPH_TEST_TOKEN", "s3cret")
    hosts = {"127.0.0.1": HostConfig(headers={"Authorization": "env:KMGRAPH_TEST_TOKEN", "X-Missing": "env:NOPE_UNSET"})}
    result = check_one(server.url("/ok"), hosts=hosts)
    assert result.status is Status.OK
    seen = server.state.headers[-1]
    assert seen["Authorization"] == "s3cret" and "X-Missing" not in seen
    assert seen["User-Agent"].startswith("kmgraph/")
    assert "s3cret" not in repr(result)


def test_results_keep_order_and_every_place(server: LoopbackServer) -> None:
    raw = links(server.url("/404"), server.url("/ok")) + links(server.url("/404"), path="other.md")
    results = check_links(group_links(raw), loopback_config())
    assert [r.url for r in results] == [server.url("/404"), server.url("/ok")]
    assert [(p.path, p.line) for p in results[0].places] == [("doc.md", 1), ("other.md", 1)]
    assert server.state.total("/404") == 2  # HEAD + GET, once for both places


def test_progress_is_called_once_per_result(server: LoopbackServer) -> None:
    seen: list[LinkResult] = []
    reqs = group_links(links(server.url("/ok"), "#", "mailto:a@b.org"))
    check_links(reqs, loopback_config(), progress=seen.append)
    assert sorted(r.url for r in seen) == sorted(r.url for r in reqs)


def test_config_is_replaceable() -> None:
    cfg = loopback_config()
    assert replace(cfg, concurrency=4).concurrency == 4
