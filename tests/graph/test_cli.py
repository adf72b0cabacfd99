"""The graph commands through click: output formats, exit codes, nothing overwritten."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from kmgraph.cli import cli
from kmgraph.graph.workspace import read_graph
from tests.conftest import ROOT

COMMANDS = ("graph", "query", "related", "path", "rank", "clusters", "sparql")


@pytest.fixture(scope="module", autouse=True)
def registered() -> Iterator[None]:
    """Register the graph commands for these tests (until cli/__init__ imports them),
    and take them off again so other tests see the root group as it was."""
    import kmgraph.cli.graph as module

    before = set(cli.commands)
    for name in COMMANDS:
        if name not in cli.commands:
            cli.add_command(getattr(module, name))
    yield
    for name in COMMANDS:
        if name not in before:
            cli.commands.pop(name, None)


def run(*args: str, code: int = 0):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output + result.stderr
    return result


@pytest.fixture
def built(in_examples: Path) -> Path:
    run("graph", "build", "--store", "refs")
    return in_examples


def test_build_reports_and_saves(in_examples: Path) -> None:
    first = run("graph", "build", "--store", "refs")
    assert first.output.startswith("3 documents (3 extracted, 0 unchanged, 0 missing or unreadable)")
    saved = in_examples / ".kmgraph" / "graph.nq"
    text = saved.read_text(encoding="utf-8")
    second = json.loads(run("graph", "build", "--store", "refs", "--format", "json").output)
    assert second["extracted"] == [] and len(second["reused"]) == 3
    assert saved.read_text(encoding="utf-8") == text, "a rebuild without changes changes no byte"


def test_validate_exit_codes(built: Path) -> None:
    result = run("graph", "validate")
    assert result.stderr.strip() == "conforms"
    assert json.loads(run("graph", "validate", "--format", "json").output) == {"conforms": True, "violations": []}
    saved = built / ".kmgraph" / "graph.nq"
    bad = '<https://w3id.org/kmgraph/person/x> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://xmlns.com/foaf/0.1/Person> <https://w3id.org/kmgraph/graph/store> .\n'
    saved.write_text(saved.read_text(encoding="utf-8") + bad, encoding="utf-8")
    failed = run("graph", "validate", code=1)
    assert "person:x foaf:name: a person has a name (foaf:name)" in failed.output


def test_export_formats_to_files(built: Path) -> None:
    for fmt in ("turtle", "jsonld", "ntriples", "graphml", "gexf", "trig", "nquads"):
        out = built / f"graph.{fmt}"
        run("graph", "export", "--format", fmt, "-o", str(out))
        assert out.stat().st_size > 1000
    run("graph", "export", "-o", str(built / "missing" / "graph.ttl"), code=3)


def test_queries_in_every_format(built: Path) -> None:
    table = run("query", "sources", "--concept", "knowledge brokering").output
    assert table.splitlines()[0].split()[:3] == ["key", "kind", "type"]
    rows = json.loads(run("query", "sources", "--year", "2008..2010", "--format", "json").output)
    assert rows and all(2008 <= r["year"] <= 2010 for r in rows)
    csv_text = run("query", "concepts", "--format", "csv").output
    assert csv_text.startswith("id,label,documents,occurrences,broader\nknowledge-mobilization,")
    orgs = json.loads(run("query", "organisations", "--format", "json").output)
    assert any(o["id"] == "sshrc" for o in orgs)
    run("query", "sources", "--year", "soon", code=2)


def test_related_path_rank_clusters_sparql(built: Path) -> None:
    related = json.loads(run("related", "levin2008thinking", "--top", "3", "--format", "json").output)
    assert len(related) == 3 and related[0]["explanation"]
    path = run("path", "levin2008thinking", "SSHRC").output
    assert path.startswith("1. ") and "is cited by" in path
    ranked = json.loads(run("rank", "--type", "concept", "--format", "json").output)
    assert ranked and all(r["kind"] == "concept" for r in ranked)
    assert json.loads(run("clusters", "--format", "json").output)[0]["id"] == 1
    count = run("sparql", "SELECT (COUNT(?o) AS ?n) WHERE { work:briefingnote cito:cites ?o }", "--format", "csv").output
    assert count == "n\n8\n"
    query = built / "q.rq"
    query.write_text("ASK { ?s a kmg:SourceDocument }", encoding="utf-8")
    assert run("sparql", str(query)).output == "true\n"


def test_bad_input_exit_codes(built: Path) -> None:
    unknown = run("related", "no-such-key", code=2)
    assert unknown.stderr.count("\n") == 1 and "no source or work named 'no-such-key'" in unknown.stderr
    ambiguous = run("path", "KM", "SSHRC", code=2)
    assert "ambiguous" in ambiguous.stderr and "knowledge-management" in ambiguous.stderr
    invalid = run("sparql", "SELECT WHERE {", code=2)
    assert invalid.stderr.startswith("kmgraph: error: invalid SPARQL query")
    run("sparql", "missing.rq", code=3)


def test_corrupt_or_missing_graph_is_exit_5_and_kept(built: Path) -> None:
    saved = built / ".kmgraph" / "graph.nq"
    saved.write_text("<broken\n", encoding="utf-8")
    for args in (("query", "concepts"), ("graph", "validate"), ("graph", "build", "--store", "refs")):
        result = run(*args, code=5)
        assert result.stderr.startswith("kmgraph: error: .kmgraph/graph.nq: the saved graph cannot be parsed")
    assert saved.read_text(encoding="utf-8") == "<broken\n"
    run("graph", "build", "--store", "refs", "--full")
    assert len(read_graph(saved)) >= 0
    missing = run("rank", "--graph", "nowhere.nq", code=5)
    assert "graph build" in missing.stderr


def test_missing_store_is_exit_4(in_examples: Path) -> None:
    run("graph", "build", "--store", "no-store", code=4)


def test_every_graph_command_has_help_and_is_documented() -> None:
    guide = (ROOT / "docs" / "graph.md").read_text(encoding="utf-8")
    for name in COMMANDS:
        command = cli.commands[name]
        assert command.help
        subs = getattr(command, "commands", None)
        for full in [f"{name} {s}" for s in subs] if subs else [name]:
            assert f"kmgraph {full}" in guide, full
            assert re.search(r"Exit codes", run(*full.split(), "--help").output)
