"""The link benchmark's loopback server serves its ground truth (benchmarks/links.py).

Loopback only (127.0.0.2 and 127.0.0.3); the benchmark itself is not part of the suite.
"""

from __future__ import annotations

import http.client
import importlib.util
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "links.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    if not BENCH.exists():
        pytest.skip(f"{BENCH} not found")
    spec = importlib.util.spec_from_file_location("kmgraph_bench_links", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


KINDS = ["ok", "missing", "gone", "moved-gone", "ratelimit", "flaky", "forbidden", "denied999", "challenge", "slow",
         "redirect", "redirect", "redirect", "redirect", "nohead"]  # fmt: skip


@pytest.fixture
def served(bench: ModuleType) -> Iterator[tuple[ModuleType, object]]:
    plan = [bench.Entry(i, kind, i % 2, 0.0) for i, kind in enumerate(KINDS)]
    server = bench.BenchServer(plan, hosts=2, hang=0.3)
    try:
        server.start()
    except (RuntimeError, OSError) as exc:  # 127.0.0.2 is not routable on every system
        pytest.skip(f"cannot bind the loopback addresses: {exc}")
    try:
        yield bench, server
    finally:
        server.stop()


def ask(server: object, entry: object, method: str = "GET", path: str | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(server.address(entry.host), server.port, timeout=5)  # type: ignore[attr-defined]
    try:
        conn.request(method, path or entry.path)  # type: ignore[attr-defined]
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def test_every_kind_answers_as_planned(served: tuple[ModuleType, object]) -> None:
    bench, server = served
    plan = {e.kind if e.kind != "redirect" else f"redirect{e.index % 4}": e for e in server.plan}  # type: ignore[attr-defined]
    assert ask(server, plan["ok"])[0] == 200
    assert ask(server, plan["missing"])[0] == 404
    assert ask(server, plan["gone"])[0] == 410

    code, headers, _ = ask(server, plan["moved-gone"])
    assert code == 301 and headers["location"].endswith(f"/landing/{plan['moved-gone'].index}")
    assert ask(server, plan["moved-gone"], path=f"/landing/{plan['moved-gone'].index}")[0] == 404

    code, headers, _ = ask(server, plan["ratelimit"], "HEAD")
    assert (code, headers["retry-after"]) == (429, "1")
    assert ask(server, plan["ratelimit"])[0] == 200  # only the first request is refused
    assert [ask(server, plan["flaky"])[0] for _ in range(2)] == [503, 200]

    assert ask(server, plan["forbidden"])[0] == 403
    assert ask(server, plan["denied999"])[0] == 999
    code, headers, body = ask(server, plan["challenge"])
    assert (code, headers["cf-mitigated"], headers["server"]) == (403, "challenge", "cloudflare")
    assert b"Just a moment" in body

    assert ask(server, plan["nohead"], "HEAD")[0] == 405
    assert ask(server, plan["nohead"])[0] == 200

    assert ask(server, plan["redirect0"])[0] == 301
    assert ask(server, plan["redirect1"])[1]["location"] == f"/landing/{plan['redirect1'].index}"
    assert ask(server, plan["redirect2"])[0] == 308
    chain = plan["redirect3"]
    assert ask(server, chain)[1]["location"].endswith(f"/hop/{chain.index}")
    assert ask(server, chain, path=f"/hop/{chain.index}")[0] == 302
    assert ask(server, chain, path=f"/landing/{chain.index}")[0] == 200


def test_slow_hangs_once_and_unknown_paths_are_404(served: tuple[ModuleType, object]) -> None:
    import time

    bench, server = served
    slow = next(e for e in server.plan if e.kind == "slow")  # type: ignore[attr-defined]
    started = time.monotonic()
    assert ask(server, slow)[0] == 200
    assert time.monotonic() - started >= 0.25  # the hang (0.3 s) on the first request
    started = time.monotonic()
    assert ask(server, slow)[0] == 200
    assert time.monotonic() - started < 0.25
    ok = next(e for e in server.plan if e.kind == "ok")  # type: ignore[attr-defined]
    wrong_host = bench.Entry(ok.index, ok.kind, 1 - ok.host, 0.0)
    assert ask(server, wrong_host)[0] == 404  # a path is served on its own host only
    assert ask(server, ok, path="/ok/999")[0] == 404


def test_counters_and_reset(served: tuple[ModuleType, object]) -> None:
    _, server = served
    flaky = next(e for e in server.plan if e.kind == "flaky")  # type: ignore[attr-defined]
    assert ask(server, flaky)[0] == 503
    stats = server.stats()  # type: ignore[attr-defined]
    assert stats["requests"] == 1 and stats["methods"] == {"GET": 1} and stats["codes"] == {"503": 1}
    server.reset()  # type: ignore[attr-defined]
    assert server.stats()["requests"] == 0  # type: ignore[attr-defined]
    assert ask(server, flaky)[0] == 503  # the transient fault fires again after a reset


def test_truth_and_plan(bench: ModuleType) -> None:
    profile = bench.PROFILES["realistic"]
    plan = bench.make_plan(profile, 2000)
    assert plan == bench.make_plan(profile, 2000)  # deterministic for a seed
    kinds = Counter(e.kind for e in plan)
    assert kinds["missing"] == 70 and kinds["ratelimit"] == 40 and kinds["ok"] == 1700
    assert sum(e.broken for e in plan) == 100  # 5 %: missing, gone, moved-gone
    assert all(0.1 <= e.delay <= 0.3 for e in plan) and {e.host for e in plan} == set(range(20))
    bounds = bench.ideal_time(plan, profile)
    assert bounds["ideal"] == max(bounds["latency_over_concurrency"], bounds["tail"], bounds["per_host"])
    assert bounds["latency_over_concurrency"] == pytest.approx(sum(e.delay for e in plan) / 32)
