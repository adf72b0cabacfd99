"""Reports: text for people, the JSON contract, GitHub annotations; and the config."""

from __future__ import annotations

import json
import re

import pytest

from kmgraph.errors import UsageError
from kmgraph.linkcheck.config import CheckConfig, HostConfig, parse_accept, parse_statuses
from kmgraph.linkcheck.report import JSON_VERSION, LinkReport, render_github, render_json, render_text
from kmgraph.linkcheck.status import LinkResult, Status
from kmgraph.records import LinkKind, RawLink
from tests.conftest import ROOT


def place(path: str, line: int, col: int = 1, url: str = "") -> RawLink:
    return RawLink(url, path, line, col, "text", LinkKind.ABSOLUTE)


def sample() -> LinkReport:
    results = [
        LinkResult("https://a.org/ok", Status.OK, 200, places=(place("b.md", 2),), method="HEAD", attempts=1),
        LinkResult(
            "https://a.org/gone", Status.BROKEN, 404, error="HTTP 404",
            places=(place("b.md", 9, 4), place("a.md", 1, 7)), method="GET", attempts=2,
        ),
        LinkResult(
            "http://a.org/old", Status.REDIRECTED, 200, "https://a.org/new", ((301, "https://a.org/new"),),
            places=(place("a.md", 3, 2),),
        ),
        LinkResult("https://x.org/", Status.EXCLUDED, error="matches --exclude 'x'", places=(place("a.md", 5),)),
    ]
    return LinkReport.build(results, skipped=[("c.pdf", "cannot read")], elapsed=0.5)


def test_text_is_grouped_by_file_and_leaves_out_quiet_results() -> None:
    text = render_text(sample())
    assert text.splitlines() == [
        "a.md:1:7: broken 404 https://a.org/gone  (HTTP 404)",
        "a.md:3:2: redirected 200 http://a.org/old → https://a.org/new",
        "",
        "b.md:9:4: broken 404 https://a.org/gone  (HTTP 404)",
        "",
        "4 URLs: 1 ok, 1 redirected, 1 broken, 1 excluded; 1 failing in 0.5 s",
    ]
    everything = render_text(sample(), show_all=True)
    assert "b.md:2:1: ok 200 https://a.org/ok" in everything and "excluded - https://x.org/" in everything
    assert "\x1b[" in render_text(sample(), color=True) and "\x1b[" not in text


def test_json_report_follows_the_documented_schema() -> None:
    data = json.loads(render_json(sample()))
    assert list(data) == ["version", "summary", "fail_on", "skipped", "results"]
    assert data["version"] == JSON_VERSION
    assert data["summary"]["statuses"] == {s.value: n for s, n in zip(Status, [1, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0], strict=True)}
    assert (data["summary"]["urls"], data["summary"]["places"], data["summary"]["failing"]) == (4, 5, 1)
    assert data["fail_on"] == ["broken", "network-error", "placeholder"]
    assert data["skipped"] == [{"file": "c.pdf", "reason": "cannot read"}]
    assert [r["url"] for r in data["results"]] == sorted(r["url"] for r in data["results"])
    gone = next(r for r in data["results"] if r["status"] == "broken")
    assert list(gone) == [
        "url", "status", "cached_status", "failing", "code", "final_url", "new_url", "redirects", "method", "attempts",
        "elapsed", "error", "checked_at", "places",
    ]
    assert gone["places"] == [
        {"file": "a.md", "line": 1, "column": 7, "text": "text", "element": "a"},
        {"file": "b.md", "line": 9, "column": 4, "text": "text", "element": "a"},
    ]
    old = next(r for r in data["results"] if r["status"] == "redirected")
    assert old["new_url"] == "https://a.org/new" and old["redirects"] == [{"code": 301, "url": "https://a.org/new"}]


def test_every_json_key_is_documented() -> None:
    doc = (ROOT / "docs" / "linkcheck.md").read_text(encoding="utf-8")
    data = json.loads(render_json(sample()))
    keys = set(data) | set(data["summary"]) | set(data["results"][0]) | set(data["results"][0]["places"][0])
    keys |= set(data["skipped"][0])
    missing = sorted(k for k in keys if f"`{k}`" not in doc)
    assert missing == []
    for status in Status:
        assert f"`{status.value}`" in doc


def test_github_annotations() -> None:
    lines = render_github(sample()).splitlines()
    assert lines[0] == (
        "::error file=a.md,line=1,col=7,title=kmgraph links%3A broken::broken 404 https://a.org/gone (HTTP 404)"
    )
    assert lines[1].startswith("::warning file=a.md,line=3,col=2,title=kmgraph links%3A redirected::")
    assert lines[2].startswith("::error file=b.md,line=9,col=4")
    assert re.match(r"\d+ URLs", lines[-1])
    odd = LinkReport.build(
        [LinkResult("https://a.org/%", Status.BROKEN, error="bad\nline", places=(place("a,b:c.md", 1),))]
    )
    assert "file=a%2Cb%3Ac.md" in render_github(odd) and "https://a.org/%25 (bad%0Aline)" in render_github(odd)


def test_config_from_mapping_validates() -> None:
    cfg = CheckConfig.from_mapping(
        {
            "host-concurrency": 4,
            "accept": [200, "300..399"],
            "fail-on": ["broken", "timeout"],
            "exclude": "linkedin\\.com",
            "hosts": {"API.example.org": {"interval": 1, "headers": {"Authorization": "env:TOKEN"}}},
            "max_time": 60,
        }
    )
    assert cfg.host_concurrency == 4 and cfg.accept == ((200, 200), (300, 399))
    assert cfg.fail_on == {Status.BROKEN, Status.TIMEOUT} and cfg.exclude == ("linkedin\\.com",)
    assert cfg.host("api.example.org").interval == 1.0 and cfg.interval_for("other.org") == 0.1
    assert cfg.max_time == 60.0
    globbed = CheckConfig(hosts={"*.example.org": HostConfig(concurrency=1)})
    assert globbed.concurrency_for("www.example.org") == 1 and globbed.concurrency_for("example.com") == 2
    for bad in ({"nope": 1}, {"concurrency": "many"}, {"concurrency": 0}, {"exclude": ["("]}, {"fragments": "yes"}):
        with pytest.raises(UsageError):
            CheckConfig.from_mapping(bad)


def test_parse_accept_and_statuses() -> None:
    assert parse_accept("200..299,403") == ((200, 299), (403, 403))
    for bad in ("", "abc", "299..200", "42"):
        with pytest.raises(UsageError):
            parse_accept(bad)
    assert parse_statuses("") == frozenset()
    with pytest.raises(UsageError, match="unknown status"):
        parse_statuses("broken,dead")
