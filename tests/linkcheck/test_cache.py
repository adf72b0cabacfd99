"""The cache between runs: what is stored and served, --max-age, --offline, damaged
files, several writers at once. Network tests use the loopback server (hence
``exclude_private=False`` in :func:`loopback_config`)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest

from kmgraph.linkcheck import check_requests
from kmgraph.linkcheck.cache import SCHEMA_VERSION, LinkCache, cached_result, profile_of
from kmgraph.linkcheck.collect import collect_links
from kmgraph.linkcheck.config import CheckConfig
from kmgraph.linkcheck.report import LinkReport, render_json
from kmgraph.linkcheck.status import LinkResult, Status
from tests.conftest import ROOT
from tests.linkcheck.conftest import loopback_config
from tests.linkcheck.server import LoopbackServer


def run(urls: list[str], cfg: CheckConfig, warnings: list[str] | None = None) -> dict[str, LinkResult]:
    requests = collect_links([], stdin=urls).requests
    sink = warnings if warnings is not None else []
    return {r.url: r for r in check_requests(requests, cfg, warn=sink.append)}


@pytest.fixture
def cache_cfg(tmp_path: Path) -> CheckConfig:
    return loopback_config(cache=True, cache_file=str(tmp_path / "cache" / "links.sqlite"), retries=0)


# the store itself ------------------------------------------------------------------------


def test_lookup_by_profile_age_and_status(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    ok = LinkResult("https://a.org/", Status.OK, 200, checked_at="2025-01-01T00:00:00Z", method="HEAD")
    moved = LinkResult(
        "https://b.org/", Status.REDIRECTED, 200, "https://c.org/", ((301, "https://c.org/"),), checked_at="t"
    )
    gone = LinkResult("https://d.org/", Status.BROKEN, 404, error="HTTP 404", checked_at="t")
    with LinkCache(path) as cache:
        for r in (ok, moved, gone):
            cache.put(r, "p1")
    assert path.is_file()
    with LinkCache(path, readonly=True) as cache:
        assert len(cache) == 3
        urls = ["https://a.org/", "https://b.org/", "https://d.org/", "https://new.org/"]
        got = cache.lookup(urls, "p1", max_age=60, statuses={Status.OK, Status.REDIRECTED})
        assert set(got) == {"https://a.org/", "https://b.org/"}
        assert got["https://b.org/"].redirects == ((301, "https://c.org/"),) and got["https://a.org/"].method == "HEAD"
        assert set(cache.lookup(urls, "p1", max_age=60, statuses=set(Status))) == set(urls[:3])
        assert cache.lookup(urls, "p2", max_age=60, statuses=set(Status)) == {}  # other settings
        assert cache.lookup(urls, "p1", max_age=60, statuses=set(Status), now=time.time() + 61) == {}  # too old
    entry = LinkCache(path).lookup(["https://b.org/"], "p1", max_age=60, statuses={Status.REDIRECTED})["https://b.org/"]
    res = cached_result("https://b.org/", entry)
    assert (res.status, res.cached_status, res.verdict, res.code) == (Status.CACHED, Status.REDIRECTED, Status.REDIRECTED, 200)
    assert res.new_url == "https://c.org/" and res.attempts == 0 and res.checked_at == "t"


def test_prune_and_readonly(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    with LinkCache(path) as cache:
        cache.put(LinkResult("https://a.org/", Status.OK, 200, checked_at="t"), "p")
        cache.flush()
        assert cache.prune(60, now=time.time() + 30) == 0
        assert cache.prune(60, now=time.time() + 120) == 1
    missing = tmp_path / "none" / "c.sqlite"
    with LinkCache(missing, readonly=True) as cache:
        cache.put(LinkResult("https://a.org/", Status.OK, 200), "p")
        assert not cache.usable and len(cache) == 0
    assert not missing.parent.exists()  # read-only never creates anything


def test_profile_follows_the_settings_that_change_a_verdict() -> None:
    base = CheckConfig()
    assert profile_of(base) == profile_of(replace(base, concurrency=3, timeout=2, cache=True))
    for change in ({"accept": ((200, 299), (403, 403))}, {"fragments": True}, {"soft404": True},
                   {"doi_resolver": "http://127.0.0.1:9"}, {"max_redirects": 2}):
        assert profile_of(replace(base, **change)) != profile_of(base), change


# runs ------------------------------------------------------------------------------------


def test_second_run_serves_good_answers_and_rechecks_failures(server: LoopbackServer, cache_cfg: CheckConfig) -> None:
    urls = [server.url(p) for p in ("/ok", "/moved301", "/404", "/reset", "/ratelimit-always")]
    first = run(urls, cache_cfg)
    assert {u: r.status for u, r in first.items()} == {
        urls[0]: Status.OK, urls[1]: Status.REDIRECTED, urls[2]: Status.BROKEN,
        urls[3]: Status.NETWORK_ERROR, urls[4]: Status.RATE_LIMITED,
    }
    hits = {p: server.state.total(p) for p in ("/ok", "/moved301", "/404", "/reset", "/ratelimit-always")}
    second = run(urls, cache_cfg)
    assert second[urls[0]].status is Status.CACHED and second[urls[0]].cached_status is Status.OK
    assert second[urls[0]].checked_at == first[urls[0]].checked_at and second[urls[0]].code == 200
    assert second[urls[1]].verdict is Status.REDIRECTED and second[urls[1]].new_url == server.url("/ok")
    assert [second[u].status for u in urls[2:]] == [Status.BROKEN, Status.NETWORK_ERROR, Status.RATE_LIMITED]
    assert server.state.total("/ok") == hits["/ok"] and server.state.total("/moved301") == hits["/moved301"]
    assert server.state.total("/404") > hits["/404"] and server.state.total("/reset") > hits["/reset"]
    report = LinkReport.build(second.values())
    assert report.counts()["cached"] == 2 and {r.url for r in report.failures} == {urls[2], urls[3]}


def test_cache_failures_stores_answers_but_never_transient_errors(server: LoopbackServer, cache_cfg: CheckConfig) -> None:
    cfg = replace(cache_cfg, cache_failures=True)
    urls = [server.url(p) for p in ("/404", "/botwall", "/soft404", "/reset", "/ratelimit-always")]
    run(urls, replace(cfg, soft404=True))
    again = run(urls, replace(cfg, soft404=True))
    assert [again[u].status for u in urls] == [Status.CACHED] * 3 + [Status.NETWORK_ERROR, Status.RATE_LIMITED]
    assert [again[u].cached_status for u in urls[:3]] == [Status.BROKEN, Status.BLOCKED, Status.SOFT_404]
    report = LinkReport.build(again.values())
    assert urls[0] in {r.url for r in report.failures}  # a cached broken link still fails the run
    data = {r["url"]: r for r in json.loads(render_json(report))["results"]}
    assert data[urls[0]]["status"] == "cached" and data[urls[0]]["cached_status"] == "broken"
    assert data[urls[0]]["failing"] is True and data[urls[0]]["code"] == 404
    # Without cache_failures, cached failures are not served (they are checked again).
    before = server.state.total("/404")
    plain = run(urls[:1], replace(cfg, cache_failures=False, soft404=True))
    assert plain[urls[0]].status is Status.BROKEN and server.state.total("/404") == before + 1


def test_max_age_and_excludes_apply_to_cached_answers(server: LoopbackServer, cache_cfg: CheckConfig) -> None:
    url = server.url("/ok")
    run([url], cache_cfg)
    assert run([url], cache_cfg)[url].status is Status.CACHED
    assert run([url], replace(cache_cfg, max_age=0))[url].status is Status.OK  # too old: checked again
    excluded = run([url], replace(cache_cfg, exclude=("/ok",)))[url]
    assert excluded.status is Status.EXCLUDED
    assert run([url], replace(cache_cfg, accept=((200, 204),)))[url].status is Status.OK  # other profile
    assert run([url], replace(cache_cfg, cache=False))[url].status is Status.OK  # --no-cache


def test_offline_uses_the_cache_alone(server: LoopbackServer, cache_cfg: CheckConfig, tmp_path: Path) -> None:
    known, unknown = server.url("/ok"), server.url("/ok/never-checked")
    run([known], cache_cfg)
    (tmp_path / "here.md").write_text("# Here\n", encoding="utf-8")
    doc = tmp_path / "doc.md"
    doc.write_text(f"[a]({known}) [b]({unknown}) [c](here.md#here) [d](missing.md) [e](https://doi.org/10.1234/x)\n",
                   encoding="utf-8")
    server.state.reset()
    requests = collect_links([str(doc)]).requests
    results = {r.url: r for r in check_requests(requests, replace(cache_cfg, offline=True, cache=False))}
    assert server.state.total("/ok") == 0 and server.state.total("/ok/never-checked") == 0
    assert results[known].status is Status.CACHED
    assert results[unknown].status is Status.EXCLUDED and results[unknown].error == "not in the cache (--offline)"
    assert results["https://doi.org/10.1234/x"].status is Status.EXCLUDED
    local = {url: r.status for url, r in results.items() if not url.startswith(("http", "https"))}
    assert sorted(local.values()) == [Status.BROKEN, Status.OK]  # local links are still checked


def test_offline_without_a_cache_file_creates_nothing(tmp_path: Path) -> None:
    cfg = CheckConfig(offline=True, cache_file=str(tmp_path / "none.sqlite"))
    results = run(["https://example.org/"], cfg)
    assert results["https://example.org/"].status is Status.EXCLUDED
    assert not (tmp_path / "none.sqlite").exists()


# damaged and shared files ----------------------------------------------------------------


@pytest.mark.parametrize("content", [b"this is not a database\n" * 50, b"SQLite format 3\x00" + b"\xff" * 4000])
def test_a_damaged_file_is_set_aside_with_a_warning(
    server: LoopbackServer, cache_cfg: CheckConfig, content: bytes
) -> None:
    path = Path(cache_cfg.cache_file or "")
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    warnings: list[str] = []
    url = server.url("/ok")
    assert run([url], cache_cfg, warnings)[url].status is Status.OK
    assert len(warnings) == 1 and "moved it to links.sqlite.corrupt, starting afresh" in warnings[0]
    assert path.with_name("links.sqlite.corrupt").read_bytes() == content
    assert run([url], cache_cfg)[url].status is Status.CACHED  # the fresh cache works


def test_a_file_of_a_newer_kmgraph_or_of_something_else_is_left_alone(
    server: LoopbackServer, cache_cfg: CheckConfig
) -> None:
    path = Path(cache_cfg.cache_file or "")
    path.parent.mkdir(parents=True)
    con = sqlite3.connect(path)
    con.executescript(
        f"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT); CREATE TABLE results (url TEXT);"
        f"INSERT INTO meta VALUES ('schema', '{SCHEMA_VERSION + 1}');"
    )
    con.close()
    warnings: list[str] = []
    url = server.url("/ok")
    assert run([url], cache_cfg, warnings)[url].status is Status.OK
    assert "written by a newer kmgraph" in warnings[0]
    assert sqlite3.connect(path).execute("SELECT value FROM meta").fetchone()[0] == str(SCHEMA_VERSION + 1)
    other = path.with_name("other.sqlite")
    sqlite3.connect(other).executescript("CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('mine');")
    warnings.clear()
    assert run([url], replace(cache_cfg, cache_file=str(other)), warnings)[url].status is Status.OK
    assert "a SQLite file of something else" in warnings[0]
    assert sqlite3.connect(other).execute("SELECT x FROM notes").fetchone()[0] == "mine"


def test_an_older_layout_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    sqlite3.connect(path).executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT); CREATE TABLE results (url TEXT);"
        "INSERT INTO meta VALUES ('schema', '0');"
    )
    with LinkCache(path) as cache:
        cache.put(LinkResult("https://a.org/", Status.OK, 200, checked_at="t"), "p")
    with LinkCache(path, readonly=True) as cache:
        assert len(cache) == 1


def test_wal_mode_and_concurrent_writers(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    LinkCache(path).close()
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    script = textwrap.dedent(
        """
        import sys
        from kmgraph.linkcheck.cache import LinkCache
        from kmgraph.linkcheck.status import LinkResult, Status
        path, worker = sys.argv[1], sys.argv[2]
        with LinkCache(path, warn=lambda m: sys.exit("warning: " + m)) as cache:
            for i in range(300):
                cache.put(LinkResult(f"https://w{worker}.org/{i}", Status.OK, 200, checked_at="t"), "p")
                if i % 50 == 0:
                    cache.flush()
        """
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(path), str(n)], cwd=ROOT, stderr=subprocess.PIPE)
        for n in range(3)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
    with LinkCache(path, readonly=True) as cache:
        assert len(cache) == 900


def test_a_locked_file_turns_the_cache_off_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "locked.sqlite"
    LinkCache(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        warnings: list[str] = []
        cache = LinkCache(path, warn=warnings.append, busy_timeout=0.2)
        cache.put(LinkResult("https://a.org/", Status.OK, 200, checked_at="t"), "p")
        cache.close()
        assert warnings and "not" in warnings[0]
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with LinkCache(path, readonly=True) as cache:
        assert len(cache) == 0


# the command line ------------------------------------------------------------------------


def test_cli_cache_offline_and_a_damaged_file(server: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Needs loopback, hence --include-private."""
    from click.testing import CliRunner

    from kmgraph.cli import cli

    monkeypatch.chdir(tmp_path)
    Path("a.md").write_text(f"[a]({server.url('/ok')}) [b]({server.url('/404')})\n", encoding="utf-8")
    base = ["links", "check", "a.md", "--no-config", "--include-private", "--host-interval", "0", "--format", "json"]

    def statuses(*args: str) -> tuple[int, dict[str, str], str]:
        result = CliRunner().invoke(cli, [*base, *args], catch_exceptions=False)
        data = json.loads(result.stdout)
        return result.exit_code, {r["url"]: r["cached_status"] or r["status"] for r in data["results"]}, result.stderr

    ok, gone = server.url("/ok"), server.url("/404")
    assert statuses("--cache")[:2] == (1, {ok: "ok", gone: "broken"})
    assert Path(".kmgraph/linkcheck.sqlite").is_file()
    again = CliRunner().invoke(cli, [*base, "--cache"])
    assert again.exit_code == 1
    assert {r["url"]: r["status"] for r in json.loads(again.stdout)["results"]} == {ok: "cached", gone: "broken"}
    server.state.reset()
    code, got, err = statuses("--offline")
    assert (code, got) == (0, {ok: "ok", gone: "excluded"}) and server.state.total("/ok") == 0
    code, got, _ = statuses("--offline", "--max-age", "0")
    assert got == {ok: "excluded", gone: "excluded"}
    code, got, err = statuses("--offline", "--cache-file", "elsewhere.sqlite")
    assert "--offline without a cache at elsewhere.sqlite" in err and not Path("elsewhere.sqlite").exists()
    Path(".kmgraph/linkcheck.sqlite").write_bytes(b"garbage" * 100)
    code, got, err = statuses("--cache")
    assert code == 1 and got == {ok: "ok", gone: "broken"}
    assert "kmgraph: warning: link cache .kmgraph/linkcheck.sqlite was not usable" in err and "Traceback" not in err
