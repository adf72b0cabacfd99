"""`kmgraph links check` end to end with click's CliRunner (exit codes, formats).

The command registers itself on the `links` group when kmgraph.cli.linkcheck is imported;
the fixture registers it for the test and puts the group back as it was afterwards, so the
other CLI tests see the command set the package itself registers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from kmgraph.cli import cli
from tests.linkcheck.server import LoopbackServer


@pytest.fixture
def runner() -> Iterator[CliRunner]:
    from kmgraph.cli.commands import links
    from kmgraph.cli.linkcheck import links_check

    before = links.commands.get("check")
    links.add_command(links_check, "check")
    try:
        yield CliRunner()
    finally:
        if before is None:
            links.commands.pop("check", None)
        else:
            links.add_command(before, "check")


@pytest.fixture
def doc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    Path("notes.md").write_text("# Notes\n\n## Set-up\n", encoding="utf-8")
    Path("good.md").write_text("[n](notes.md#set-up) [m](mailto:a@example.org)\n", encoding="utf-8")
    Path("bad.md").write_text("intro\n\nsee [n](missing.md) and [t](#)\n", encoding="utf-8")
    return tmp_path


def invoke(runner: CliRunner, *args: str, input: str | None = None):
    return runner.invoke(cli, ["links", "check", *args], input=input, catch_exceptions=False)


def test_exit_0_when_nothing_fails(runner: CliRunner, doc: Path) -> None:
    result = invoke(runner, "good.md")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == result.output.strip().splitlines()[-1]  # only the summary
    assert "2 URLs: 2 ok; 0 failing" in result.output


def test_exit_1_with_findings_at_file_line_col(runner: CliRunner, doc: Path) -> None:
    result = invoke(runner, "bad.md")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "bad.md:3:9: broken - missing.md  (file not found: missing.md)" in lines
    assert any(line.startswith("bad.md:3:29: placeholder - #") for line in lines)
    assert invoke(runner, "bad.md", "--fail-on", "").exit_code == 0
    assert invoke(runner, "bad.md", "--fail-on", "placeholder").exit_code == 1


def test_usage_errors_exit_2(runner: CliRunner, doc: Path) -> None:
    assert invoke(runner).exit_code == 2  # nothing to check
    assert invoke(runner, "good.md", "--accept", "two hundred").exit_code == 2
    assert invoke(runner, "good.md", "--fail-on", "dead").exit_code == 2
    assert invoke(runner, "good.md", "--exclude", "(").exit_code == 2
    assert invoke(runner, "good.md", "--concurrency", "0").exit_code == 2
    assert invoke(runner, "good.md", "--format", "xml").exit_code == 2


def test_input_errors_exit_3_and_store_errors_4(runner: CliRunner, doc: Path) -> None:
    result = invoke(runner, "no-such.md")
    assert result.exit_code == 3 and "no-such.md" in result.stderr
    assert invoke(runner, "--store", "no-such-store").exit_code == 4


def test_json_format(runner: CliRunner, doc: Path) -> None:
    result = invoke(runner, "good.md", "bad.md", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["summary"]["failing"] == 2
    missing = next(r for r in data["results"] if r["url"] == "missing.md")
    assert missing["places"] == [{"file": "bad.md", "line": 3, "column": 9, "text": "n", "element": "a"}]


def test_github_format(runner: CliRunner, doc: Path) -> None:
    result = invoke(runner, "bad.md", "--format", "github")
    assert result.exit_code == 1
    assert result.output.splitlines()[0].startswith("::error file=bad.md,line=3,col=9,title=kmgraph links%3A broken::")


def test_stdin_against_the_loopback_server(runner: CliRunner, server: LoopbackServer) -> None:
    """Needs loopback, hence --include-private."""
    urls = f"{server.url('/ok')}\n{server.url('/404')}\n{server.url('/moved301')}\n"
    result = invoke(runner, "--stdin", "--include-private", "--host-interval", "0", "--format", "json", input=urls)
    assert result.exit_code == 1
    got = {r["url"]: r["status"] for r in json.loads(result.stdout)["results"]}
    assert got == {server.url("/ok"): "ok", server.url("/404"): "broken", server.url("/moved301"): "redirected"}
    excluded = invoke(runner, "--stdin", "--format", "json", input=urls)  # loopback is private: not requested
    assert excluded.exit_code == 0
    assert {r["status"] for r in json.loads(excluded.stdout)["results"]} == {"excluded"}


def test_store_dois_against_a_local_resolver(runner: CliRunner, server: LoopbackServer, tmp_path: Path) -> None:
    """Needs loopback, hence --include-private."""
    store = tmp_path / "refs"
    store.mkdir()
    (store / "works.bib").write_text(
        "@article{a,\n  doi = {10.1234/ok},\n}\n\n@article{b,\n  doi = {10.1234/missing},\n}\n", encoding="utf-8"
    )
    result = invoke(runner, "--store", str(store), "--doi-resolver", server.base, "--include-private", "-v")
    assert result.exit_code == 1
    assert "ok 200 https://doi.org/10.1234/ok → https://publisher.example/a" in result.output
    assert "works.bib:6:" in result.output and "broken 404 https://doi.org/10.1234/missing" in result.output


def test_help_lists_exit_codes(runner: CliRunner) -> None:
    result = invoke(runner, "--help")
    assert result.exit_code == 0
    for code in "01234":
        assert f"  {code}  " in result.output
