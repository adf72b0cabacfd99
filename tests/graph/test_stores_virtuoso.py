"""The remote store against a real SPARQL server: Virtuoso, started on 127.0.0.1 by the
fixture (tests/graph/virtuoso.py), loaded by `kmgraph graph push`, queried by the same
commands. Skips with the install command when virtuoso-t is absent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from rdflib import Dataset, URIRef

from kmgraph.cli import cli
from kmgraph.graph import query as q
from kmgraph.graph.build import new_dataset
from kmgraph.graph.errors import CorruptGraph, EndpointError, GraphError, GraphNotFound, InvalidQuery
from kmgraph.graph.serialize import nquads
from kmgraph.graph.stores import UNION_GRAPH, Endpoint, PushReport, open_graph, push, remote_graphs
from kmgraph.graph.workspace import write_graph
from tests.graph.test_stores import CONSTRUCT, QUERIES, answers, assert_same
from tests.graph.virtuoso import SKIP_REASON, Virtuoso, available, start_virtuoso

pytestmark = pytest.mark.skipif(not available(), reason=SKIP_REASON)


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    """A Virtuoso server of its own, on free ports of 127.0.0.1, stopped by its PID."""
    server = start_virtuoso(tmp_path_factory.mktemp("virtuoso"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def writer(virtuoso: Virtuoso) -> Endpoint:
    return Endpoint(virtuoso.sparql_auth, user=virtuoso.user, password=virtuoso.password)


@pytest.fixture(scope="module")
def pushed(virtuoso: Virtuoso, seed_graph: Dataset) -> PushReport:
    return push(seed_graph, Endpoint(virtuoso.sparql_auth, user=virtuoso.user, password=virtuoso.password))


@pytest.fixture(scope="module")
def saved(seed_graph: Dataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    file = tmp_path_factory.mktemp("saved") / "graph.nq"
    write_graph(seed_graph, file)
    return file


def quad_count(ds: Dataset) -> int:
    return sum(1 for _ in ds.quads((None, None, None, None)))


def run(*args: str, code: int = 0, env: dict[str, str] | None = None):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)
    assert result.exit_code == code, result.output + result.stderr
    return result


def test_the_server_listens_on_loopback_only(virtuoso: Virtuoso) -> None:
    ini = (virtuoso.folder / "virtuoso.ini").read_text(encoding="utf-8")
    assert f"ServerPort               = 127.0.0.1:{virtuoso.sql_port}" in ini
    assert f"ServerPort                  = 127.0.0.1:{virtuoso.http_port}" in ini


def test_push_writes_every_graph(pushed: PushReport, seed_graph: Dataset, virtuoso: Virtuoso) -> None:
    assert pushed.statements == quad_count(seed_graph)
    counts = remote_graphs(Endpoint(virtuoso.sparql))
    local = {str(quad[3]) for quad in seed_graph.quads((None, None, None, None))}
    assert set(counts) == local | {str(UNION_GRAPH)}
    assert sum(n for g, n in counts.items() if g != str(UNION_GRAPH)) == pushed.statements
    assert pushed.requests >= 1 + pushed.statements // 1000
    assert all(name.startswith("https://w3id.org/kmgraph/graph/") for name in pushed.graphs)


def test_the_copy_read_back_is_the_graph(pushed: PushReport, seed_graph: Dataset, virtuoso: Virtuoso) -> None:
    copy = open_graph(virtuoso.sparql)
    assert nquads(copy) == nquads(seed_graph)
    small_pages = open_graph(endpoint=Endpoint(virtuoso.sparql, page_size=150))
    assert nquads(small_pages) == nquads(seed_graph), "LIMIT/OFFSET paging"


def test_same_answers_as_memory(pushed: PushReport, seed_graph: Dataset, virtuoso: Virtuoso) -> None:
    assert_same(answers(seed_graph), answers(open_graph(virtuoso.sparql)))


def test_sparql_runs_on_the_server_with_the_same_answers(pushed: PushReport, seed_graph: Dataset, virtuoso: Virtuoso) -> None:
    live = open_graph(virtuoso.sparql, live=True)
    calls_before = live.store._queries  # type: ignore[attr-defined]
    for text in QUERIES:
        assert q.sparql(live, text) == q.sparql(seed_graph, text), text
    assert live.store._queries >= calls_before + len(QUERIES)  # type: ignore[attr-defined]
    local = q.sparql(seed_graph, CONSTRUCT).graph
    remote = q.sparql(live, CONSTRUCT).graph
    assert local is not None and remote is not None and set(remote) == set(local)
    # Virtuoso's own graphs are not in the dataset of a query.
    # (Virtuoso still reads a graph named outright, GRAPH <iri>, as docs/graph.md says.)
    virtrdf = "http://www.openlinksw.com/schemas/virtrdf#"
    graphs = {row["g"] for row in q.sparql(live, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }").rows}
    assert graphs == set(pushed.graphs), "neither Virtuoso's graphs nor graph:union"
    assert q.sparql(live, f"ASK {{ ?s a <{virtrdf}QuadMapFormat> }}").boolean is False
    assert q.sparql(Dataset(), f"ASK {{ ?s a <{virtrdf}QuadMapFormat> }}").boolean is False
    with pytest.raises(InvalidQuery):
        q.sparql(live, "SELECT ?x WHERE { ?x ?y }")


def test_the_commands_read_the_endpoint(pushed: PushReport, saved: Path, virtuoso: Virtuoso) -> None:
    commands = (
        ["query", "sources"],
        ["query", "sources", "--concept", "knowledge mobilization"],
        ["query", "concepts"],
        ["query", "organisations"],
        ["related", "kmdefining"],
        ["path", "kmdefining", "SSHRC"],
        ["rank"],
        ["sparql", QUERIES[1]],
    )
    for command in commands:
        memory = run(*command, "--graph", str(saved), "--format", "json").output
        assert run(*command, "--endpoint", virtuoso.sparql, "--format", "json").output == memory, command
        env = {"KMGRAPH_ENDPOINT": virtuoso.sparql}
        assert run(*command, "--format", "json", env=env).output == memory, command
    # CONSTRUCT as Turtle (kmgraph's sorted writer; the JSON-LD writer keeps insertion order).
    memory = run("sparql", CONSTRUCT, "--graph", str(saved)).output
    assert run("sparql", CONSTRUCT, "--endpoint", virtuoso.sparql).output == memory


def test_push_twice_gives_the_same_statements(pushed: PushReport, seed_graph: Dataset, writer: Endpoint, virtuoso: Virtuoso) -> None:
    before = remote_graphs(Endpoint(virtuoso.sparql))
    again = push(seed_graph, writer, batch_size=700)
    assert again.statements == pushed.statements and again.dropped == ()
    assert remote_graphs(Endpoint(virtuoso.sparql)) == before


def test_push_drops_graphs_the_graph_no_longer_has(
    pushed: PushReport, seed_graph: Dataset, writer: Endpoint, virtuoso: Virtuoso
) -> None:
    gone = "https://w3id.org/kmgraph/graph/source/kmdefining"
    smaller = new_dataset()
    for s, p, o, g in seed_graph.quads((None, None, None, None)):
        if str(g) != gone:
            smaller.graph(g).add((s, p, o))
    try:
        report = push(smaller, writer)
        assert report.dropped == (gone,)
        assert gone not in remote_graphs(Endpoint(virtuoso.sparql))
        assert nquads(open_graph(virtuoso.sparql)) == nquads(smaller)
    finally:
        push(seed_graph, writer)
    assert nquads(open_graph(virtuoso.sparql)) == nquads(seed_graph)


def test_cli_push(pushed: PushReport, saved: Path, virtuoso: Virtuoso) -> None:
    env = {"KMGRAPH_ENDPOINT_PASSWORD": virtuoso.password}
    text = run("graph", "push", "--graph", str(saved), "--endpoint", virtuoso.sparql_auth, "--user", virtuoso.user, env=env)
    assert text.output.startswith(f"{pushed.statements} statements in {len(pushed.graphs)} graphs -> {virtuoso.sparql_auth}")
    env = {"KMGRAPH_PW": virtuoso.password}
    report = json.loads(
        run(
            "graph", "push", "--graph", str(saved), "--endpoint", virtuoso.sparql, "--update-endpoint", virtuoso.sparql_auth,
            "--user", virtuoso.user, "--password-env", "KMGRAPH_PW", "--format", "json", env=env,
        ).output
    )  # fmt: skip
    assert report["statements"] == pushed.statements and report["endpoint"] == virtuoso.sparql_auth


def test_wrong_password_is_a_clear_error_and_changes_nothing(pushed: PushReport, saved: Path, seed_graph: Dataset, virtuoso: Virtuoso) -> None:
    before = remote_graphs(Endpoint(virtuoso.sparql))
    with pytest.raises(EndpointError, match="refuses the credentials") as caught:
        push(seed_graph, Endpoint(virtuoso.sparql_auth, user=virtuoso.user, password="wrong"))
    assert caught.value.status == 401
    env = {"KMGRAPH_ENDPOINT_PASSWORD": "wrong"}
    result = run("graph", "push", "--graph", str(saved), "--endpoint", virtuoso.sparql_auth, "--user", virtuoso.user, code=5, env=env)
    assert result.stderr.strip() == (
        f"kmgraph: error: {virtuoso.sparql_auth}: the endpoint refuses the credentials of "
        f"'{virtuoso.user}' (HTTP 401) (nothing was written)"
    )
    no_user = run("graph", "push", "--graph", str(saved), "--endpoint", virtuoso.sparql_auth, code=5)
    assert "asks for credentials" in no_user.stderr
    assert remote_graphs(Endpoint(virtuoso.sparql)) == before


def test_anonymous_write_is_refused_before_anything_changes(pushed: PushReport, seed_graph: Dataset, virtuoso: Virtuoso) -> None:
    before = remote_graphs(Endpoint(virtuoso.sparql))
    with pytest.raises(EndpointError, match=r"HTTP 500: .*SECURITY.*\(nothing was written\)"):
        push(seed_graph, Endpoint(virtuoso.sparql))
    assert remote_graphs(Endpoint(virtuoso.sparql)) == before


class FailingAdapter(requests.adapters.HTTPAdapter):
    """Lets the first ``allowed`` update requests through to the server, then drops the
    connection (a network failure in the middle of a push)."""

    def __init__(self, allowed: int) -> None:
        super().__init__()
        self.allowed = allowed

    def send(self, request: requests.PreparedRequest, *args: object, **kwargs: object) -> requests.Response:
        if request.body and b"update=" in (request.body if isinstance(request.body, bytes) else request.body.encode()):
            if self.allowed <= 0:
                raise requests.ConnectionError("connection reset by peer")
            if "Authorization" in request.headers:
                self.allowed -= 1
        return super().send(request, *args, **kwargs)  # type: ignore[arg-type]


def test_a_failed_batch_is_reported_and_the_next_push_is_clean(
    pushed: PushReport, seed_graph: Dataset, writer: Endpoint, virtuoso: Virtuoso
) -> None:
    session = requests.Session()
    session.mount("http://", FailingAdapter(allowed=2))  # the DROP and one batch
    flaky = Endpoint(virtuoso.sparql_auth, user=virtuoso.user, password=virtuoso.password, session=session)
    with pytest.raises(EndpointError, match=r"the kmgraph graphs were dropped and 1000 of \d+ statements written; push again"):
        push(seed_graph, flaky)
    assert sum(remote_graphs(writer).values()) == 1000
    with pytest.raises(CorruptGraph, match="unfinished push"):
        open_graph(virtuoso.sparql)  # an incomplete graph is not taken for the graph
    report = push(seed_graph, writer)
    assert report.statements == pushed.statements
    assert nquads(open_graph(virtuoso.sparql)) == nquads(seed_graph)


def test_an_iri_that_cannot_be_written_is_refused_before_sending(seed_graph: Dataset, writer: Endpoint) -> None:
    bad = new_dataset()
    for s, p, o, g in seed_graph.quads((None, None, None, None)):
        bad.graph(g).add((s, p, o))
    broken = URIRef("https://w3id.org/kmgraph/work/broken iri")
    bad.graph(URIRef("https://w3id.org/kmgraph/graph/store")).add((broken, broken, broken))
    before = remote_graphs(writer)
    with pytest.raises(GraphError, match="cannot be sent"):
        push(bad, writer)
    assert remote_graphs(writer) == before


def test_no_blank_nodes_on_the_server(pushed: PushReport, virtuoso: Virtuoso) -> None:
    live = open_graph(virtuoso.sparql, live=True)
    assert q.sparql(live, "ASK { GRAPH ?g { ?s ?p ?o FILTER(isBlank(?s) || isBlank(?o)) } }").boolean is False
    assert q.sparql(live, "ASK { ?s ?p ?o FILTER(isBlank(?s) || isBlank(?o)) }").boolean is False


def test_an_endpoint_without_a_kmgraph_graph(pushed: PushReport, seed_graph: Dataset, writer: Endpoint, virtuoso: Virtuoso) -> None:
    names = list(remote_graphs(writer))
    writer.update(" ;\n".join(f"DROP SILENT GRAPH <{name}>" for name in names))
    try:
        with pytest.raises(GraphNotFound, match="graph push --endpoint"):
            open_graph(virtuoso.sparql)
        result = run("query", "concepts", "--endpoint", virtuoso.sparql, code=5)
        assert result.stderr.strip() == (
            f"kmgraph: error: {virtuoso.sparql}: no kmgraph graph at this endpoint; "
            f"`kmgraph graph push --endpoint {virtuoso.sparql}` loads it"
        )
    finally:
        push(seed_graph, writer)
    assert set(remote_graphs(writer)) == set(names)
