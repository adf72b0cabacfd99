"""Link health in the graph: recorded link-check verdicts become kmg:LinkCheck nodes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import RDF, Literal, URIRef

from kmgraph.cli import cli
from kmgraph.graph.linkhealth import LINKS_GRAPH, add_link_health, link_iri
from kmgraph.graph.query import sources
from kmgraph.graph.validate import validate
from kmgraph.graph.workspace import read_graph, update_graph
from kmgraph.linkcheck.record import read_record, update_record
from kmgraph.linkcheck.status import LinkResult, Status
from kmgraph.ontology.namespaces import KMG, WORK
from kmgraph.records import LinkKind, RawLink

GONE_DOI = "https://doi.org/10.1002/chp.47"  # graham2006lost's DOI, as the checker writes it
OK_DOI = "https://doi.org/10.1332/174426410X524839"  # cooper2010some


def _results(doc_link: str) -> list[LinkResult]:
    when = "2026-01-31T12:00:00Z"
    bib = RawLink(GONE_DOI, "refs/works.bib", 32, 3, "", LinkKind.ABSOLUTE, "bibtex")
    return [
        LinkResult(GONE_DOI, Status.BROKEN, 404, checked_at=when, places=(bib,), error="DOI not found"),
        LinkResult(OK_DOI, Status.OK, 200, final_url="https://publisher.example/a", checked_at=when),
        LinkResult(
            doc_link, Status.NETWORK_ERROR, None, checked_at=when,
            places=(RawLink(doc_link, "examples/kmb-network.html", 12, 9, "x", LinkKind.ABSOLUTE),),
        ),
        LinkResult("https://nobody.example/", Status.BROKEN, 404, checked_at=when),  # carried by nothing
    ]


@pytest.fixture
def recorded(in_examples: Path) -> Path:
    """The examples' working folder with a link-status record of four verdicts."""
    update_record(in_examples / ".kmgraph" / "link-status.json", _results("https://gone.example/page"))
    return in_examples


def test_build_puts_the_verdicts_into_the_links_graph(recorded: Path) -> None:
    result = update_graph("refs", links=read_record(recorded / ".kmgraph" / "link-status.json"))
    ds = result.dataset
    assert result.report.link_checks == 3  # the fourth URL is on no source or work
    links = ds.graph(LINKS_GRAPH)
    gone = link_iri(GONE_DOI)
    assert (gone, RDF.type, KMG.LinkCheck) in links
    assert links.value(gone, KMG.linkStatus) == Literal("broken")
    assert links.value(gone, KMG.httpStatus).toPython() == 404
    assert set(links.objects(gone, KMG.linkCheckOf)) == {WORK["graham2006lost"]}
    ok = link_iri(OK_DOI)
    assert str(links.value(ok, KMG.finalURL)) == "https://publisher.example/a"
    doc = set(links.objects(link_iri("https://gone.example/page"), KMG.linkCheckOf))
    assert doc == {WORK["example2024knowledge"]}  # the source document examples/kmb-network.html
    assert (WORK["example2024knowledge"], KMG.documentPath, Literal("examples/kmb-network.html")) in ds
    assert validate(ds).conforms, validate(ds).to_dict()


def test_query_sources_broken_links(recorded: Path) -> None:
    ds = update_graph("refs", links=read_record(recorded / ".kmgraph" / "link-status.json")).dataset
    rows = sources(ds, broken_links=True)
    got = {r.key: r.broken_links for r in rows}
    assert got["graham2006lost"] == (f"broken 404 {GONE_DOI}",)
    assert any(v == ("network-error https://gone.example/page",) for v in got.values())
    assert "cooper2010some" not in got  # ok
    assert len(got) == 2
    every = {r.key: r.broken_links for r in sources(ds)}
    assert every["cooper2010some"] == () and every["graham2006lost"]


def test_a_new_record_replaces_the_links_graph_on_the_next_build(recorded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KMGRAPH_LINK_STATUS")  # the workspace record of the fixture
    update_graph("refs")  # reads the workspace record by default
    assert len(read_graph().graph(LINKS_GRAPH)) > 0
    update_record(
        recorded / ".kmgraph" / "link-status.json",
        [LinkResult(GONE_DOI, Status.OK, 200, checked_at="2026-02-01T00:00:00Z")],
    )
    rebuilt = update_graph("refs")  # incremental: no document changed, the links graph still follows the record
    assert rebuilt.report.extracted == ()
    assert sources(rebuilt.dataset, broken_links=True) != [] and all(
        r.key != "graham2006lost" for r in sources(rebuilt.dataset, broken_links=True)
    )


def test_no_record_no_links_graph(in_examples: Path) -> None:
    ds = update_graph("refs", links=None).dataset
    assert len(ds.graph(LINKS_GRAPH)) == 0
    assert add_link_health(ds, {}) == 0
    assert sources(ds, broken_links=True) == []


def test_cli_links_check_then_graph_build_then_query(recorded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KMGRAPH_LINK_STATUS")  # the workspace record of the fixture
    runner = CliRunner()
    built = runner.invoke(cli, ["graph", "build", "--store", "refs"])
    assert built.exit_code == 0, built.output
    assert "3 link verdicts" in built.stdout
    table = runner.invoke(cli, ["query", "sources", "--broken-links"])
    assert table.exit_code == 0, table.output
    assert "graham2006lost" in table.stdout and f"broken 404 {GONE_DOI}" in table.stdout
    assert "cooper2010some" not in table.stdout
    rows = json.loads(runner.invoke(cli, ["query", "sources", "--format", "json"]).stdout)
    assert {r["key"]: r["broken_links"] for r in rows}["graham2006lost"] == [f"broken 404 {GONE_DOI}"]


def test_an_unreadable_record_is_a_warning_at_build(in_examples: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KMGRAPH_LINK_STATUS")
    (in_examples / ".kmgraph").mkdir(exist_ok=True)
    (in_examples / ".kmgraph" / "link-status.json").write_text("{oops", encoding="utf-8")
    result = CliRunner().invoke(cli, ["graph", "build", "--store", "refs"])
    assert result.exit_code == 0
    assert "kmgraph: warning: .kmgraph/link-status.json:1: unreadable link-status record" in result.stderr
    assert "Traceback" not in result.output


def test_link_iri_is_stable() -> None:
    assert link_iri("https://a.org/") == link_iri("https://a.org/") != link_iri("https://a.org/x")
    assert isinstance(link_iri("https://a.org/"), URIRef)
