"""Stores: locations, the Oxigraph folder (same answers as memory), push pre-checks and
endpoint errors that need no server (a closed port on 127.0.0.1)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import BNode, Dataset, Literal, URIRef

from kmgraph.cli import cli
from kmgraph.errors import InputError, UsageError
from kmgraph.graph import query as q
from kmgraph.graph.build import new_dataset
from kmgraph.graph.errors import CorruptGraph, EndpointError, GraphError, GraphNotFound
from kmgraph.graph.serialize import nquads, turtle
from kmgraph.graph.stores import (
    DEFAULT_OXIGRAPH,
    OXIGRAPH_MARKER,
    Endpoint,
    Location,
    location,
    open_graph,
    open_oxigraph,
    push,
    save_graph,
    write_oxigraph,
)
from kmgraph.graph.workspace import write_graph
from kmgraph.ontology.namespaces import PREFIXES
from tests.graph.virtuoso import free_port

#: SPARQL queries whose answers must not depend on the store.
QUERIES = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "SELECT ?doc (COUNT(?w) AS ?n) WHERE { ?doc cito:cites ?w } GROUP BY ?doc ORDER BY DESC(?n) ?doc",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
    "SELECT ?c ?label WHERE { ?c a skos:Concept ; skos:prefLabel ?label FILTER(LANG(?label) = 'en') } ORDER BY ?c",
    "SELECT ?w ?year WHERE { ?w fabio:hasPublicationYear ?year } ORDER BY ?w",
    "SELECT ?g WHERE { GRAPH ?g { ?doc kmg:mentions orgid:sshrc } } ORDER BY ?g",
    "ASK { ?s ?p ?o FILTER(isBlank(?s) || isBlank(?o)) }",
    "ASK { work:kmdefining dcterms:title ?t }",
)
CONSTRUCT = "CONSTRUCT { work:kmdefining ?p ?o } WHERE { work:kmdefining ?p ?o }"


def answers(graph: Dataset) -> dict[str, object]:
    """What every query function says about a graph (for comparing stores)."""
    keys = [row.key for row in q.sources(graph)]
    out: dict[str, object] = {
        "sources": q.sources(graph),
        "sources-concept": q.sources(graph, concept="knowledge mobilization"),
        "sources-organisation": q.sources(graph, organisation="SSHRC"),
        "concepts": q.concepts(graph, all_concepts=True),
        "organisations": q.organisations(graph, all_organisations=True),
        "rank": q.rank(graph, top=None),
        "rank-degree": q.rank(graph, method="degree", top=None),
        "clusters": q.clusters(graph),
        "path": q.path(graph, "kmdefining", "SSHRC"),
        "path-concept": q.path(graph, "upen2025together", "knowledge translation"),
    }
    for key in keys:
        out[f"related {key}"] = q.related(graph, key, top=50)
    for text in QUERIES:
        result = q.sparql(graph, text)
        out[text] = (result.kind, result.variables, result.rows, result.boolean)
    construct = q.sparql(graph, CONSTRUCT)
    assert construct.graph is not None
    out[CONSTRUCT] = turtle(construct.graph, PREFIXES)
    return out


def assert_same(memory: dict[str, object], other: dict[str, object]) -> None:
    assert memory.keys() == other.keys()
    for name in memory:
        assert other[name] == memory[name], name


def integers(text: str) -> str:
    """N-Quads with xsd:nonNegativeInteger written as xsd:integer (Oxigraph keeps values)."""
    return text.replace("XMLSchema#nonNegativeInteger>", "XMLSchema#integer>")


# --------------------------------------------------------------------------- locations


def test_location_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert location("graph.nq") == Location("file", "graph.nq")
    assert location("oxigraph:db") == Location("oxigraph", "db")
    assert location("oxigraph:") == Location("oxigraph", DEFAULT_OXIGRAPH)
    assert location("https://example.org/sparql") == Location("sparql", "https://example.org/sparql")
    assert location("HTTP://example.org/sparql").kind == "sparql"
    assert str(location("oxigraph:db")) == "oxigraph:db"
    monkeypatch.setenv("KMGRAPH_GRAPH", "oxigraph:elsewhere")
    assert location(None) == Location("oxigraph", "elsewhere")
    monkeypatch.delenv("KMGRAPH_GRAPH")
    assert location(None) == Location("file", ".kmgraph/graph.nq")


def test_an_endpoint_is_not_saved_to(seed_graph: Dataset) -> None:
    with pytest.raises(UsageError, match="graph push"):
        save_graph(seed_graph, "http://127.0.0.1:1/sparql")


def test_endpoint_repr_hides_the_password() -> None:
    assert "secret" not in repr(Endpoint("http://127.0.0.1:1/sparql", user="u", password="secret"))


# --------------------------------------------------------------------------- Oxigraph


@pytest.fixture(scope="module")
def oxigraph_dir(seed_graph: Dataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ox") / "db"
    write_oxigraph(seed_graph, folder)
    return folder


def test_oxigraph_gives_the_same_answers_as_memory(seed_graph: Dataset, oxigraph_dir: Path) -> None:
    stored = open_graph(f"oxigraph:{oxigraph_dir}")
    assert_same(answers(seed_graph), answers(stored))


def test_oxigraph_copied_into_memory_gives_the_same_answers(seed_graph: Dataset, oxigraph_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "db"
    shutil.copytree(oxigraph_dir, folder)
    copy = open_graph(f"oxigraph:{folder}", in_memory=True)
    shutil.rmtree(folder)  # the copy answers without the folder
    assert_same(answers(seed_graph), answers(copy))
    with pytest.raises(UsageError, match="read-only"):
        open_oxigraph(oxigraph_dir, read_only=False, in_memory=True)


def test_oxigraphs_union_option_is_a_bag_so_the_union_is_stored(seed_graph: Dataset, oxigraph_dir: Path) -> None:
    # Why the folder stores the union as its default graph instead of letting Oxigraph
    # make it at query time (use_default_graph_as_union, or the named graphs as the
    # query's default graph): Oxigraph's union counts a statement two graphs make (a
    # citation the store and the document both record) twice; rdflib's counts it once.
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    memory = int(q.sparql(seed_graph, count).rows[0]["n"] or 0)
    stored = open_oxigraph(oxigraph_dir)
    assert int(q.sparql(stored, count).rows[0]["n"] or 0) == memory
    inner = stored.store._inner  # type: ignore[attr-defined]
    named = len(list(seed_graph.quads((None, None, None, None))))
    assert named > memory, "the seeds have statements in two graphs"
    merged = inner.query(count, default_graph=list(inner.named_graphs()))
    assert int(next(iter(merged))["n"].value) == named
    assert int(next(iter(inner.query(count, use_default_graph_as_union=True)))["n"].value) == named + memory


def test_oxigraph_keeps_every_statement_and_graph(seed_graph: Dataset, oxigraph_dir: Path) -> None:
    stored = open_oxigraph(oxigraph_dir)
    # Oxigraph keeps literals by value: the one difference is the integer subtype.
    assert nquads(stored) == integers(nquads(seed_graph))
    named = lambda ds: sorted({str(quad[3]) for quad in ds.quads((None, None, None, None))})  # noqa: E731
    assert named(stored) == named(seed_graph)
    assert "urn:x-rdflib:default" not in named(stored)
    assert len(stored) == len(seed_graph)
    marker = json.loads((oxigraph_dir / OXIGRAPH_MARKER).read_text(encoding="utf-8"))
    assert marker["statements"] == len(list(seed_graph.quads((None, None, None, None))))
    plain = [o for o in stored.objects(None, URIRef("http://purl.org/dc/terms/title")) if isinstance(o, Literal)]
    assert plain and all(o.datatype is None for o in plain), "plain literals come back as rdflib keeps them"


def test_oxigraph_readers_share_the_folder_and_a_rebuild_replaces_it(seed_graph: Dataset, tmp_path: Path) -> None:
    folder = tmp_path / "db"
    write_oxigraph(seed_graph, folder)
    first, second = open_oxigraph(folder), open_oxigraph(folder)
    expected = q.concepts(seed_graph)
    assert q.concepts(first) == q.concepts(second) == expected
    smaller = new_dataset()
    for s, p, o, g in seed_graph.quads((None, None, None, None)):
        if "source/kmdefining" not in str(g):
            smaller.graph(g).add((s, p, o))
    write_oxigraph(smaller, folder)  # while two readers have it open
    assert q.concepts(first) == expected, "an open reader keeps the folder it opened"
    assert nquads(open_oxigraph(folder)) == integers(nquads(smaller))
    assert not [p for p in tmp_path.iterdir() if p.name != "db"], "no temporary folder left behind"


def test_oxigraph_writer_holds_the_lock(seed_graph: Dataset, tmp_path: Path) -> None:
    folder = tmp_path / "db"
    write_oxigraph(seed_graph, folder)
    writer = open_oxigraph(folder, read_only=False)
    with pytest.raises(GraphError, match="locked"):
        open_oxigraph(folder, read_only=False)
    assert q.concepts(open_oxigraph(folder)) == q.concepts(seed_graph), "readers still open it"
    writer.close()


def test_oxigraph_missing_foreign_and_corrupt_folders(seed_graph: Dataset, tmp_path: Path) -> None:
    with pytest.raises(GraphNotFound, match="graph build --graph oxigraph:"):
        open_oxigraph(tmp_path / "nothing")
    foreign = tmp_path / "notes"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(CorruptGraph, match=OXIGRAPH_MARKER):
        open_oxigraph(foreign)
    with pytest.raises(InputError, match="refusing to replace"):
        write_oxigraph(seed_graph, foreign)
    assert (foreign / "keep.txt").read_text(encoding="utf-8") == "mine"
    file = tmp_path / "file"
    file.write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="takes a folder"):
        write_oxigraph(seed_graph, file)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / OXIGRAPH_MARKER).write_text("{}", encoding="utf-8")
    (broken / "CURRENT").write_text("MANIFEST-999999\n", encoding="utf-8")
    with pytest.raises(CorruptGraph, match="cannot be opened"):
        open_oxigraph(broken)


def test_oxigraph_without_kmgraph_graphs_is_refused(tmp_path: Path) -> None:
    ds = new_dataset()
    ds.graph(URIRef("https://example.org/g")).add((URIRef("https://example.org/a"), URIRef("https://example.org/p"), Literal("x")))
    write_oxigraph(ds, tmp_path / "db")
    with pytest.raises(CorruptGraph, match="not a kmgraph graph"):
        open_oxigraph(tmp_path / "db")


# --------------------------------------------------------------------------- CLI with Oxigraph


def run(*args: str, code: int = 0, env: dict[str, str] | None = None):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)
    assert result.exit_code == code, result.output + result.stderr
    return result


def test_cli_builds_and_reads_an_oxigraph_folder(in_examples: Path) -> None:
    run("graph", "build", "--store", "refs")
    first = run("graph", "build", "--store", "refs", "--graph", "oxigraph:", "--format", "json")
    assert json.loads(first.output)["graph"] == "oxigraph:"
    assert (in_examples / DEFAULT_OXIGRAPH / OXIGRAPH_MARKER).is_file()
    again = json.loads(run("graph", "build", "--store", "refs", "--graph", "oxigraph:", "--format", "json").output)
    assert again["extracted"] == [] and len(again["reused"]) == 3, "incremental against the folder"
    for command in (["query", "concepts"], ["query", "sources"], ["rank"], ["sparql", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"]):
        memory = run(*command, "--format", "json").output
        assert run(*command, "--graph", "oxigraph:", "--format", "json").output == memory, command
        assert run(*command, "--format", "json", env={"KMGRAPH_GRAPH": "oxigraph:"}).output == memory, command
    assert run("graph", "validate", "--graph", "oxigraph:").stderr.strip() == "conforms"


def test_cli_missing_oxigraph_folder_exits_5(in_examples: Path) -> None:
    result = run("query", "concepts", "--graph", "oxigraph:nowhere", code=5)
    assert result.stderr.startswith("kmgraph: error: oxigraph:nowhere: no graph here")
    assert len(result.stderr.strip().splitlines()) == 1


def test_cli_graph_and_endpoint_together_is_a_usage_error(in_examples: Path) -> None:
    result = run("query", "concepts", "--graph", "x.nq", "--endpoint", "http://127.0.0.1:1/sparql", code=2)
    assert "not both" in result.stderr
    # The command line beats the environment.
    run("graph", "build", "--store", "refs")
    env = {"KMGRAPH_ENDPOINT": f"http://127.0.0.1:{free_port()}/sparql"}
    run("query", "concepts", "--graph", ".kmgraph/graph.nq", env=env)
    assert run("query", "concepts", env=env, code=5).stderr.count("cannot reach the endpoint") == 1


# --------------------------------------------------------------------------- endpoints without a server


def test_push_refuses_blank_nodes_before_sending(seed_graph: Dataset) -> None:
    ds = new_dataset()
    for quad in seed_graph.quads((None, None, None, None)):
        ds.addN([(quad[0], quad[1], quad[2], ds.graph(quad[3]))])
    ds.graph(URIRef("https://w3id.org/kmgraph/graph/store")).add(
        (BNode(), URIRef("http://purl.org/dc/terms/title"), Literal("anonymous"))
    )
    closed = f"http://127.0.0.1:{free_port()}/sparql"
    with pytest.raises(GraphError, match="blank nodes") as caught:
        push(ds, closed)  # a request would fail with EndpointError instead
    assert not isinstance(caught.value, EndpointError)


def test_push_batch_size_is_bounded(seed_graph: Dataset) -> None:
    with pytest.raises(UsageError, match="1 to 1000"):
        push(seed_graph, "http://127.0.0.1:1/sparql", batch_size=5000)


def test_unreachable_endpoint_is_one_line_and_exit_5(seed_graph: Dataset, tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}/sparql"
    with pytest.raises(EndpointError, match="connection refused"):
        open_graph(closed)
    with pytest.raises(EndpointError, match=r"cannot reach the endpoint \(connection refused\) \(nothing was written\)"):
        push(seed_graph, closed)
    saved = tmp_path / "graph.nq"
    write_graph(seed_graph, saved)
    before = saved.read_bytes()
    for args in (
        ["graph", "push", "--graph", str(saved), "--endpoint", closed],
        ["query", "sources", "--endpoint", closed],
        ["related", "kmdefining", "--endpoint", closed],
        ["sparql", "ASK { ?s ?p ?o }", "--endpoint", closed],
    ):
        result = run(*args, code=5)
        assert result.stderr.startswith(f"kmgraph: error: {closed}: cannot reach the endpoint (connection refused)"), args
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.output + result.stderr
    assert saved.read_bytes() == before, "nothing overwritten"


def test_push_options_are_checked(seed_graph: Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    saved = tmp_path / "graph.nq"
    write_graph(seed_graph, saved)
    monkeypatch.delenv("KMGRAPH_ENDPOINT_PASSWORD", raising=False)
    result = run("graph", "push", "--graph", str(saved), "--endpoint", "http://127.0.0.1:1/sparql", "--user", "u", code=2)
    assert "KMGRAPH_ENDPOINT_PASSWORD" in result.stderr
    result = run("graph", "push", "--graph", str(saved), "--endpoint", "ftp://example.org/", code=2)
    assert "http://" in result.stderr
    result = run("graph", "push", "--graph", str(saved), "--endpoint", "http://127.0.0.1:1/sparql", "--batch-size", "5000", code=2)
    assert "5000" in result.stderr


def test_cli_build_into_an_endpoint_is_a_usage_error(in_examples: Path) -> None:
    result = run("graph", "build", "--store", "refs", "--graph", "http://127.0.0.1:1/sparql", code=2)
    assert "graph push" in result.stderr
    assert not (in_examples / ".kmgraph").exists()


def test_copying_an_oxigraph_folder_elsewhere_keeps_it_readable(oxigraph_dir: Path, tmp_path: Path, seed_graph: Dataset) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(oxigraph_dir, copy, ignore=shutil.ignore_patterns("LOCK"))
    assert q.concepts(open_oxigraph(copy)) == q.concepts(seed_graph)
    assert os.path.isdir(oxigraph_dir)
