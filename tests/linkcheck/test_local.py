"""Collection and the checks that need no network: files, anchors, placeholders, mailto."""

from __future__ import annotations

from pathlib import Path

import pytest

from kmgraph.errors import DocumentNotFound, StoreNotFound
from kmgraph.linkcheck import check_paths
from kmgraph.linkcheck.collect import STDIN, Target, collect_links, doi_of
from kmgraph.linkcheck.config import CheckConfig
from kmgraph.linkcheck.local import github_slug, markdown_anchors
from kmgraph.linkcheck.status import Status
from tests.linkcheck.conftest import loopback_config
from tests.linkcheck.server import LoopbackServer

GUIDE = """\
---
title: Guide
---
# Guide

See [the notes](notes.md), [setup again](notes.md#set-up-1), [the heading](notes.md#whats-new-in-31),
[missing file](missing.md), [missing anchor](notes.md#nowhere), [here](#guide), [there](#absent),
[page](page.html#present), [page name](page.html#named), [page missing](page.html#gone),
[folder](sub/), [top](notes.md#top), [root](/abs/path.md), [todo](#), [js](javascript:void(0)),
[mail](mailto:team@example.org), [bad mail](mailto:team@example), [ftp](ftp://example.org/f),
[custom](notes.md#custom-id), [code](notes.md#the-pip-command).
"""

NOTES = """\
# Set-up

## What's new in 3.1?

## Set-up

<a id="custom-id"></a>

## The `pip` command
"""

PAGE = '<html><body><h2 id="present">P</h2><a name="named"></a></body></html>'


@pytest.fixture
def docs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "guide.md").write_text(GUIDE, encoding="utf-8")
    (folder / "notes.md").write_text(NOTES, encoding="utf-8")
    (folder / "page.html").write_text(PAGE, encoding="utf-8")
    return folder


def statuses(report) -> dict[str, tuple[Status, str | None]]:
    return {r.url: (r.status, r.error) for r in report.results}


def test_local_links_files_and_anchors(docs: Path) -> None:
    got = statuses(check_paths(["docs/guide.md"], config=CheckConfig()))
    ok = [
        "docs/notes.md",
        "docs/notes.md#set-up-1",
        "docs/notes.md#whats-new-in-31",
        "docs/guide.md#guide",
        "docs/page.html#present",
        "docs/page.html#named",
        "docs/sub",
        "docs/notes.md#top",
        "docs/notes.md#custom-id",
        "docs/notes.md#the-pip-command",
        "mailto:team@example.org",
    ]
    for url in ok:
        assert got[url][0] is Status.OK, (url, got[url])
    assert got["docs/missing.md"] == (Status.BROKEN, "file not found: docs/missing.md")
    assert got["docs/notes.md#nowhere"][0] is Status.BROKEN
    assert "anchor #nowhere" in (got["docs/notes.md#nowhere"][1] or "")
    assert got["docs/guide.md#absent"][0] is Status.BROKEN
    assert got["docs/page.html#gone"][0] is Status.BROKEN
    assert got["#"][0] is Status.PLACEHOLDER
    assert got["javascript:void(0)"][0] is Status.PLACEHOLDER
    assert got["mailto:team@example"][0] is Status.BROKEN
    assert got["ftp://example.org/f"][0] is Status.UNSUPPORTED
    assert got["/abs/path.md"] == (Status.UNSUPPORTED, "a root-relative link needs --base-url")


def test_places_are_kept_for_every_occurrence(docs: Path) -> None:
    (docs / "other.md").write_text("[n](notes.md) and [n again](./notes.md)\n", encoding="utf-8")
    collection = collect_links(["docs"])
    (req,) = [r for r in collection.requests if r.url == "docs/notes.md"]
    assert req.target is Target.FILE
    assert [(p.path, p.line) for p in req.places] == [("docs/guide.md", 6), ("docs/other.md", 1), ("docs/other.md", 1)]
    assert len({(p.line, p.column) for p in req.places}) == 3


def test_base_url_joins_relative_links(server: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("doc.md").write_text("[a](ok) [b](404) [c](#local)\n", encoding="utf-8")
    collection = collect_links(["doc.md"], base_url=server.base + "/")
    assert [(r.url, r.target) for r in collection.requests] == [
        ("doc.md#local", Target.FILE),
        (server.url("/404"), Target.HTTP),
        (server.url("/ok"), Target.HTTP),
    ]
    report = check_paths(["doc.md"], config=loopback_config(base_url=server.base + "/"))
    got = statuses(report)
    assert got[server.url("/ok")][0] is Status.OK and got[server.url("/404")][0] is Status.BROKEN


def test_store_and_stdin_links(tmp_path: Path) -> None:
    store = tmp_path / "refs"
    store.mkdir()
    (store / "works.bib").write_text(
        "@article{a,\n  title = {A},\n  doi = {10.1234/ok},\n  url = {https://example.org/a},\n}\n\n"
        "@misc{b,\n  howpublished = {\\url{https://example.org/b}},\n  note = {see \\url{https://example.org/a}},\n}\n",
        encoding="utf-8",
    )
    collection = collect_links(store=store, stdin=["https://example.org/b", "", "10.1234/ok", "# comment"])
    by_url = {r.url: r for r in collection.requests}
    assert set(by_url) == {"https://doi.org/10.1234/ok", "https://example.org/a", "https://example.org/b"}
    doi = by_url["https://doi.org/10.1234/ok"]
    assert (doi.target, doi.doi) == (Target.DOI, "10.1234/ok")
    assert [(Path(p.path).name, p.line) for p in doi.places] == [("works.bib", 3), (STDIN, 3)]
    assert len(by_url["https://example.org/a"].places) == 2
    assert [p.path for p in by_url["https://example.org/b"].places][-1] == STDIN


def test_missing_inputs_raise() -> None:
    with pytest.raises(DocumentNotFound):
        collect_links(["no/such/file.md"])
    with pytest.raises(StoreNotFound):
        collect_links(store="no/such/store")


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("Hello World", "hello-world"),
        ("What's new in 3.1?", "whats-new-in-31"),
        ("C++ & Python: a guide", "c--python-a-guide"),
        ("  Spaced  out ", "--spaced--out-"),
        ("snake_case and kebab-case", "snake_case-and-kebab-case"),
        ("Überblick: Wissenstransfer", "überblick-wissenstransfer"),
        ("emoji 🚀 launch", "emoji--launch"),
    ],
)
def test_github_slug(heading: str, slug: str) -> None:
    assert github_slug(heading) == slug


def test_duplicate_headings_are_numbered_like_github() -> None:
    anchors = markdown_anchors("# A\n## A\n### A\n# A-1\n")
    # github-slugger: a, a-1, a-2, then "A-1" collides with a-1 and becomes a-1-1
    assert anchors == {"a", "a-1", "a-2", "a-1-1"}


def test_doi_forms() -> None:
    assert doi_of("https://doi.org/10.1234/ok") == "10.1234/ok"
    assert doi_of("doi:10.1234/ok") == "10.1234/ok"
    assert doi_of("https://doi.org/10.1234/a%2Fb") == "10.1234/a/b"
    assert doi_of("https://example.org/10.1234/ok") is None
