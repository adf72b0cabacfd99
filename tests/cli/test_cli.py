"""The command line, end to end; results are read back through the library."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kmgraph.cli import cli
from kmgraph.references.store import Store
from tests.conftest import FIXTURES, ROOT

DOCS = FIXTURES / "documents"
EXAMPLES = ROOT / "examples"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def run(runner: CliRunner, *args: str, input: str | None = None, code: int = 0):
    result = runner.invoke(cli, list(args), input=input, catch_exceptions=False)
    assert result.exit_code == code, result.output + result.stderr
    return result


def test_every_command_has_help_and_is_documented(runner: CliRunner) -> None:
    guide = (ROOT / "cli" / "README.md").read_text(encoding="utf-8")
    names: list[str] = []

    def walk(group, prefix: str) -> None:
        for name, command in group.commands.items():
            full = f"{prefix} {name}".strip()
            assert command.help, f"{full} has no help text"
            if hasattr(command, "commands"):
                walk(command, full)
            else:
                names.append(full)

    walk(cli, "")
    for name in names:
        assert f"kmgraph {name}" in guide, f"`kmgraph {name}` is missing from cli/README.md"
        run(runner, *name.split(), "--help")


def test_extract_json_contract(runner: CliRunner) -> None:
    out = json.loads(run(runner, "extract", str(DOCS / "vancouver.txt")).stdout)
    assert set(out) >= {"document", "references", "links", "markers", "mentions", "concepts", "organisations"}
    assert set(out["document"]) >= {"path", "format", "title", "publisher", "date", "url"}
    ref = out["references"][0]
    assert set(ref) >= {"raw", "line", "label", "key", "fields"}
    assert ref["fields"]["type"]
    assert isinstance(ref["fields"]["author"], list)


def test_extract_json_with_dates_in_front_matter(runner: CliRunner) -> None:
    out = json.loads(run(runner, "extract", str(DOCS / "apa7-blog-post.md")).stdout)
    assert out["document"]["front_matter"]["date"] == "2024-03-18"
    assert out["document"]["date"] == "2024-03-18"


def test_extract_text(runner: CliRunner) -> None:
    out = run(runner, "extract", str(DOCS / "ieee-slides.txt"), "--format", "text").stdout
    assert "References (2)" in out
    assert "ieee-slides.txt:8" in out


def test_extract_text_lists_funders_and_affiliations(runner: CliRunner) -> None:
    out = run(runner, "extract", str(FIXTURES / "ingest" / "funded_note.md"), "--format", "text").stdout
    assert "Funder: Nuffield Foundation [nuffield-foundation] (funds The network)  " in out
    assert "Funder: Harbour Light Foundation  metadata" in out
    assert "Affiliation: Tom Evans: Cardiff University [cardiff-university]" in out


def test_extract_missing_file_is_one_line_with_exit_3(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["extract", str(tmp_path / "nope.md")])
    assert result.exit_code == 3
    assert result.stderr.count("\n") == 1 and "nope.md" in result.stderr
    assert "Traceback" not in result.output


def test_extract_binary_file_is_exit_3(runner: CliRunner, tmp_path: Path) -> None:
    f = tmp_path / "image.txt"
    f.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    result = runner.invoke(cli, ["extract", str(f)])
    assert result.exit_code == 3 and "image.txt" in result.stderr


def test_refs_parse_arguments_and_stdin(runner: CliRunner) -> None:
    ref = "Ward, V. (2017). Why, whose, what and how? A framework for knowledge mobilisers. Evidence & Policy, 13(3), 477–497."
    one = json.loads(run(runner, "refs", "parse", ref).stdout)
    assert one["fields"]["year"] == "2017" and one["fields"]["author"] == ["Ward, V."]
    lines = run(runner, "refs", "parse", input=ref + "\n\n" + "[2] " + ref + "\n").stdout.splitlines()
    assert len(lines) == 2
    assert json.loads(lines[1])["label"] == "2"
    assert json.loads(lines[1])["fields"] == one["fields"]


def test_ingest_then_list_show_search_export(runner: CliRunner, tmp_path: Path) -> None:
    store = tmp_path / "refs"
    out = run(runner, "ingest", str(DOCS), "--store", str(store)).stdout
    assert "documents" in out
    lib = Store.open(store)
    keys = {e.key for e in lib.entries}
    assert "ward2017whose" in keys
    listed = json.loads(run(runner, "refs", "list", "--store", str(store), "--format", "json").stdout)
    assert {e["key"] for e in listed} == keys
    assert run(runner, "refs", "list", "--store", str(store), "--format", "keys").stdout.split() == sorted(keys)
    shown = run(runner, "refs", "show", "ward2017whose", "--store", str(store)).stdout
    assert shown.startswith("@article{ward2017whose,")
    found = json.loads(run(runner, "refs", "search", "mobilisers", "--store", str(store), "--format", "json").stdout)
    assert "ward2017whose" in {e["key"] for e in found}
    csl = json.loads(run(runner, "refs", "export", "--store", str(store), "--format", "csl-json").stdout)
    assert len(csl) == len(keys)
    ris = run(runner, "refs", "export", "--store", str(store), "--format", "ris").stdout
    assert ris.count("ER  -") == len(keys)
    target = tmp_path / "out.bib"
    run(runner, "refs", "export", "--store", str(store), "-o", str(target))
    assert target.read_text(encoding="utf-8").count("@") >= len(keys)


def test_ingest_is_idempotent(runner: CliRunner, tmp_path: Path) -> None:
    store = tmp_path / "refs"
    run(runner, "ingest", str(DOCS), "--store", str(store))
    first = {p.name: p.read_bytes() for p in store.iterdir()}
    run(runner, "ingest", str(DOCS), "--store", str(store))
    assert {p.name: p.read_bytes() for p in store.iterdir()} == first


def test_ingest_skips_unreadable_documents_and_goes_on(runner: CliRunner, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(DOCS / "ieee-slides.txt", docs)
    (docs / "broken.txt").write_bytes(b"\x00\x01\x02\x03" * 100)
    result = run(runner, "ingest", str(docs), "--store", str(tmp_path / "refs"))
    assert "skipped" in result.stderr and "broken.txt" in result.stderr
    assert len(Store.open(tmp_path / "refs").entries) == 3  # the document and its 2 references


def test_ingest_json_report_and_dry_run(runner: CliRunner, tmp_path: Path) -> None:
    store = tmp_path / "refs"
    out = json.loads(run(runner, "ingest", str(DOCS / "mla-essay.txt"), "--store", str(store), "--format", "json", "--dry-run").stdout)
    assert out["references"] == 3
    assert not any(store.glob("*.bib"))


def test_ingest_nothing_found_is_exit_3(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["ingest", str(tmp_path / "missing"), "--store", str(tmp_path / "refs")])
    assert result.exit_code == 3 and "missing" in result.stderr


def test_refs_show_unknown_key_is_exit_4(runner: CliRunner, tmp_path: Path) -> None:
    store = tmp_path / "refs"
    run(runner, "ingest", str(DOCS / "mla-essay.txt"), "--store", str(store))
    result = runner.invoke(cli, ["refs", "show", "ward2017whosey", "--store", str(store)])
    assert result.exit_code == 4 and "ward2017whosey" in result.stderr


def test_refs_list_missing_store_is_exit_4(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["refs", "list", "--store", str(tmp_path / "nowhere")])
    assert result.exit_code == 4 and "nowhere" in result.stderr


def test_refs_lint_exit_codes(runner: CliRunner, tmp_path: Path) -> None:
    store = tmp_path / "refs"
    store.mkdir()
    (store / "works.bib").write_text(
        "@article{ok2020,\n  author = {Ward, Vicky},\n  title = {A title},\n  journal = {Evidence \\& Policy},\n  year = {2017}\n}\n",
        encoding="utf-8",
    )
    run(runner, "refs", "lint", "--store", str(store))
    (store / "more.bib").write_text("@article{bad2020,\n  title = {No author},\n  year = {20x7},\n  doi = {11.2/x}\n}\n", encoding="utf-8")
    result = runner.invoke(cli, ["refs", "lint", "--store", str(store), "--format", "json"])
    assert result.exit_code == 1
    codes = {i["code"] for i in json.loads(result.stdout)}
    assert {"missing-field", "bad-year", "bad-doi"} <= codes


def test_links_list_text_and_json(runner: CliRunner) -> None:
    out = run(runner, "links", "list", str(DOCS / "no-references.html")).stdout.splitlines()
    assert any(":7:18: relative: schedule.html" in line for line in out)
    data = json.loads(run(runner, "links", "list", str(DOCS), "--format", "json", "--kind", "mailto").stdout)
    assert {d["url"] for d in data} == {"mailto:kmb@example.org", "mailto:cop@example.org"}
    assert all(set(d) >= {"file", "line", "column", "url", "kind", "text"} for d in data)


def test_python_dash_m_and_version(runner: CliRunner) -> None:
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "kmgraph", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("kmgraph, version ")


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="examples/ not present")
def test_examples_ingest_offline(runner: CliRunner, tmp_path: Path) -> None:
    store = tmp_path / "refs"
    run(runner, "ingest", str(EXAMPLES), "--store", str(store))
    assert len(Store.open(store).entries) >= 10
    run(runner, "refs", "lint", "--store", str(store))
