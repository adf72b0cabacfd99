"""The link-status record: what the latest check said, kept for graph build and refs lint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kmgraph.cli import cli
from kmgraph.linkcheck.record import read_record, update_record
from kmgraph.linkcheck.status import LinkResult, Status
from kmgraph.records import LinkKind, RawLink
from tests.linkcheck.server import LoopbackServer


def _result(url: str, status: Status, code: int | None = None, **kw: object) -> LinkResult:
    place = RawLink(url, "doc.md", 3, 5, "", LinkKind.ABSOLUTE)
    return LinkResult(url, status, code, checked_at="2026-01-31T12:00:00Z", places=(place,), **kw)  # type: ignore[arg-type]


def test_a_run_merges_into_the_record(tmp_path: Path) -> None:
    path = tmp_path / "ws" / "link-status.json"  # the folder is created
    assert update_record(path, [_result("https://a.org/", Status.BROKEN, 404), _result("https://b.org/", Status.OK, 200)]) == 2
    # a later run that checks only b keeps a's verdict
    update_record(path, [_result("https://b.org/", Status.BROKEN, 410)])
    got = read_record(path)
    assert {u: (r.status, r.code) for u, r in got.items()} == {"https://a.org/": ("broken", 404), "https://b.org/": ("broken", 410)}
    assert got["https://a.org/"].places == ("doc.md:3:5",) and got["https://a.org/"].paths == ("doc.md",)
    assert got["https://a.org/"].failing


def test_uninformative_results_keep_the_earlier_verdict(tmp_path: Path) -> None:
    path = tmp_path / "link-status.json"
    update_record(path, [_result("https://a.org/", Status.BROKEN, 404)])
    assert update_record(path, [_result("https://a.org/", Status.EXCLUDED), _result("ftp://x/", Status.UNSUPPORTED)]) == 0
    assert read_record(path)["https://a.org/"].status == "broken"


def test_a_cached_result_is_recorded_under_its_verdict(tmp_path: Path) -> None:
    path = tmp_path / "link-status.json"
    update_record(path, [_result("https://a.org/", Status.CACHED, 200, cached_status=Status.OK)])
    assert read_record(path)["https://a.org/"].status == "ok"


def test_a_permanent_redirect_keeps_its_new_url(tmp_path: Path) -> None:
    path = tmp_path / "link-status.json"
    moved = _result("https://a.org/old", Status.REDIRECTED, 200, final_url="https://a.org/new", redirects=((301, "https://a.org/new"),))
    update_record(path, [moved])
    record = read_record(path)["https://a.org/old"]
    assert record.new_url == "https://a.org/new" and not record.failing


def test_the_file_is_sorted_and_stable(tmp_path: Path) -> None:
    path = tmp_path / "link-status.json"
    update_record(path, [_result("https://b.org/", Status.OK, 200), _result("https://a.org/", Status.OK, 200)])
    first = path.read_bytes()
    update_record(path, [_result("https://a.org/", Status.OK, 200), _result("https://b.org/", Status.OK, 200)])
    assert path.read_bytes() == first
    assert list(json.loads(first)["links"]) == ["https://a.org/", "https://b.org/"]


@pytest.mark.parametrize("text", ["{not json", '{"version": 99, "links": {}}', '["a"]', '{"version": 1, "links": {"u": 3}}'])
def test_an_unreadable_record_warns_and_reads_as_empty(tmp_path: Path, text: str) -> None:
    path = tmp_path / "link-status.json"
    path.write_text(text, encoding="utf-8")
    with pytest.warns(UserWarning, match=r"link-status\.json.*unreadable link-status record"):
        assert read_record(path) == {}
    update_record(path, [_result("https://a.org/", Status.OK, 200)])  # and is replaced by the next run
    assert set(read_record(path)) == {"https://a.org/"}


def test_no_record_reads_as_empty(tmp_path: Path) -> None:
    assert read_record(tmp_path / "absent.json") == {}


def test_links_check_records_and_refs_lint_reports(server: LoopbackServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Needs loopback, hence --include-private. The record lands under the working directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KMGRAPH_LINK_STATUS")
    store = tmp_path / "refs"
    store.mkdir()
    (store / "works.bib").write_text(
        "".join(
            f"@misc{{{key},\n  title = {{{key.title()}}},\n  url = {{{server.url(path)}}},\n}}\n\n"
            for key, path in (("gone", "/404"), ("moved", "/moved301"), ("fine", "/ok"))
        ),
        encoding="utf-8",
    )
    runner = CliRunner()
    lint_before = runner.invoke(cli, ["refs", "lint", "--store", "refs"])
    assert lint_before.exit_code == 0, lint_before.output  # no record yet: no link findings

    checked = runner.invoke(cli, ["links", "check", "--store", "refs", "--include-private", "--host-interval", "0"])
    assert checked.exit_code == 1
    record = read_record(tmp_path / ".kmgraph" / "link-status.json")
    assert {u: r.status for u, r in record.items()} == {
        server.url("/404"): "broken",
        server.url("/moved301"): "redirected",
        server.url("/ok"): "ok",
    }

    lint = runner.invoke(cli, ["refs", "lint", "--store", "refs"])
    assert lint.exit_code == 1
    lines = lint.stdout.splitlines()
    assert any("works.bib:1: error: broken-link: [gone]" in ln and "is broken 404" in ln for ln in lines), lines
    assert any("works.bib:6: warning: moved-link: [moved]" in ln and server.url("/ok") in ln for ln in lines), lines
    assert not any("[fine]" in ln for ln in lines)
    assert runner.invoke(cli, ["refs", "lint", "--store", "refs", "--no-links"]).exit_code == 0

    # --no-record leaves the record alone
    before = (tmp_path / ".kmgraph" / "link-status.json").read_bytes()
    runner.invoke(cli, ["links", "check", "--store", "refs", "--no-record"])  # loopback excluded: nothing checked
    assert (tmp_path / ".kmgraph" / "link-status.json").read_bytes() == before


def test_an_unwritable_record_is_a_warning_not_a_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("KMGRAPH_LINK_STATUS", str(blocker / "link-status.json"))  # parent is a file
    doc = tmp_path / "doc.md"
    doc.write_text("[a](#)\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["links", "check", str(doc)])
    assert result.exit_code == 1  # the placeholder, not the record
    assert "link status not recorded" in result.stderr
    assert "Traceback" not in result.output
