"""User mistakes on the newer commands: one line on stderr and the documented exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kmgraph.cli import cli
from tests.conftest import FIXTURES, ROOT


def fails(*args: str, code: int) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == code, (result.output, result.exception)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    return result.output


@pytest.fixture(scope="module")
def graph_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    target = tmp_path_factory.mktemp("graph") / "graph.nq"
    result = CliRunner().invoke(cli, ["graph", "build", "--store", str(ROOT / "references"), "--graph", str(target)])
    assert result.exit_code == 0, result.output
    return str(target)


def test_sparql_service_is_refused_without_any_request(graph_file: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def no_network(*_a, **_k):
        raise AssertionError("a SPARQL query reached for the network")

    monkeypatch.setattr(socket, "create_connection", no_network)
    out = fails("sparql", "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", "--graph", graph_file, code=2)
    assert "SERVICE" in out


def test_sparql_from_loads_nothing(graph_file: str) -> None:
    result = CliRunner().invoke(cli, ["sparql", "SELECT ?s FROM <http://127.0.0.1:9/x> WHERE { ?s ?p ?o } LIMIT 1", "--graph", graph_file, "--format", "json"])
    assert result.exit_code == 0 and json.loads(result.stdout) == []


def test_backwards_year_range_and_bad_resolution(graph_file: str) -> None:
    assert "backwards" in fails("query", "sources", "--year", "2020..2010", "--graph", graph_file, code=2)
    fails("clusters", "--resolution", "0", "--graph", graph_file, code=2)
    fails("clusters", "--resolution", "-1", "--graph", graph_file, code=2)


@pytest.mark.parametrize("option, value", [("--base-url", "http://[::1"), ("--base-url", "notaurl"), ("--doi-resolver", "ftp://x")])
def test_links_check_url_options_are_checked(option: str, value: str) -> None:
    fails("links", "check", str(FIXTURES / "documents" / "no-references.html"), option, value, code=2)


def test_model_that_is_a_folder_and_training_mistakes(tmp_path: Path) -> None:
    fails("refs", "parse", "Ward, V. (2017). Why?", "--model", str(tmp_path), code=3)
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"tokens": [["Ward,", "author"], ["(2017).", "date"], ["Why?", "title"]]}) + "\n", encoding="utf-8")
    fails("refs", "train", str(good), "-o", str(tmp_path), code=3)
    latin = tmp_path / "latin1.jsonl"
    latin.write_bytes(b'{"tokens": [["Qu\xe9bec", "location"]]}\n')
    fails("refs", "train", str(latin), "-o", str(tmp_path / "m.crfmodel"), code=3)
    nulls = tmp_path / "nulls.jsonl"
    nulls.write_text(json.dumps({"tokens": [[None, "author"], [3, "date"]]}) + "\n", encoding="utf-8")
    fails("refs", "train", str(nulls), "-o", str(tmp_path / "m.crfmodel"), code=3)
    fails("refs", "train", str(good), "-o", str(tmp_path / "m.crfmodel"), "--max-iterations", "0", code=2)
    fails("refs", "review", "--store", str(ROOT / "references"), "--limit", "0", code=2)


def test_graph_build_on_an_empty_store_or_into_a_folder(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "works.bib").write_text("", encoding="utf-8")
    assert "no entries" in fails("graph", "build", "--store", str(empty), "--graph", str(tmp_path / "g.nq"), code=4)
    assert not (tmp_path / "g.nq").exists()
    assert "folder" in fails("graph", "build", "--store", str(ROOT / "references"), "--graph", str(tmp_path), code=3)
    (tmp_path / "file").write_text("x", encoding="utf-8")
    fails("graph", "build", "--store", str(ROOT / "references"), "--graph", str(tmp_path / "file" / "g.nq"), code=3)
