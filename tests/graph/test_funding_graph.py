"""Funders (FRAPO) and author affiliations (W3C ORG) in the built graph, SHACL included."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import RDF, Dataset, Literal
from rdflib.namespace import DCTERMS, FOAF, ORG

from kmgraph.cli.graph import graph as graph_command
from kmgraph.graph.build import STORE_GRAPH, build, source_graph_id
from kmgraph.graph.validate import validate
from kmgraph.ontology.namespaces import AGENT, CONCEPT, FRAPO, KMG, ORGID, PERSON
from kmgraph.pipeline import ingest
from tests.conftest import FIXTURES
from tests.graph.test_build import source_of


def test_seed_003_is_funded_by_exactly_research_england_ukri_and_esrc(seed_graph: Dataset) -> None:
    source = source_of(seed_graph, "003_6a8b321c37a272a5")
    key = str(seed_graph.value(source, DCTERMS.identifier))
    funders = set(seed_graph.graph(source_graph_id(key)).objects(source, FRAPO.isFundedBy))
    assert funders == {ORGID["research-england"], ORGID["ukri"], ORGID["esrc"]}
    assert all((f, RDF.type, FRAPO.FundingAgency) in seed_graph for f in funders)
    assert (source, FRAPO.isFundedBy, None) not in seed_graph.graph(STORE_GRAPH)
    # The programme the sentence funds (UPEN Programmes) is not a registered organisation.
    assert set(seed_graph.subjects(FRAPO.isFundedBy, None)) == {source}


def test_seed_001_funders_and_donors_give_no_funder(seed_graph: Dataset) -> None:
    assert (source_of(seed_graph, "001_5322bb78c76e8949"), FRAPO.isFundedBy, None) not in seed_graph


# Fields a librarian adds by hand to the store entry of docs/upen-news.txt.
HAND_FIELDS = ("  author = {Singh, Ravi},", "  funding = {Acme Trust and Mitacs},", "  affiliation = {School of Social Sciences, Cardiff University},")


@pytest.fixture(scope="module")
def funded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Dataset]:
    """A store of three documents: HTML and Markdown metadata, a funding sentence about a
    registered organisation, and BibTeX fields added by hand to a source entry."""
    work = tmp_path_factory.mktemp("funded")
    docs = work / "docs"
    docs.mkdir()
    for name in ("funded_article.html", "funded_note.md"):
        shutil.copy(FIXTURES / "ingest" / name, docs / name)
    (docs / "upen-news.txt").write_text("UPEN news\n\nUPEN is funded by Research England. Brokers meet monthly.\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(work)
        ingest(["docs"], "refs")
    bib = work / "refs" / "sources.bib"
    entries = bib.read_text(encoding="utf-8").split("\n\n")
    [news] = [e for e in entries if "docs/upen-news.txt" in e]
    assert "author" not in news and "funding" not in news
    head, rest = news.split("\n", 1)
    bib.write_text(bib.read_text(encoding="utf-8").replace(news, "\n".join([head, *HAND_FIELDS, rest])), encoding="utf-8")
    return work, build(work / "refs", root=work).dataset


def source(ds: Dataset, name: str):
    return next(s for s, p in ds.subject_objects(KMG.documentPath) if str(p) == f"docs/{name}")


def test_funders_from_metadata_and_text(funded) -> None:
    _, ds = funded
    article = source(ds, "funded_article.html")
    harbour = AGENT["harbour-light-foundation"]
    assert set(ds.objects(article, FRAPO.isFundedBy)) == {ORGID["sshrc"], ORGID["mitacs"], ORGID["cihr"], harbour}
    # An unregistered funder is minted as the build mints organisations, and typed a funding agency.
    assert {(harbour, RDF.type, ORG.Organization), (harbour, RDF.type, FRAPO.FundingAgency)} <= set(ds.triples((harbour, RDF.type, None)))
    assert ds.value(harbour, FOAF.name) == Literal("Harbour Light Foundation")
    note = source(ds, "funded_note.md")
    assert set(ds.objects(note, FRAPO.isFundedBy)) == {ORGID["nuffield-foundation"], AGENT["acme-civic-trust"], ORGID["esrc"], harbour}


def test_a_funded_registered_organisation_is_the_subject(funded) -> None:
    _, ds = funded
    news = source(ds, "upen-news.txt")
    key = str(ds.value(news, DCTERMS.identifier))
    assert (ORGID["upen"], FRAPO.isFundedBy, ORGID["research-england"]) in ds.graph(source_graph_id(key))
    assert (news, FRAPO.isFundedBy, ORGID["research-england"]) not in ds


def test_bibtex_funding_and_affiliation_of_the_source_entry(funded) -> None:
    _, ds = funded
    news = source(ds, "upen-news.txt")
    assert {ORGID["mitacs"], AGENT["acme-trust"]} <= set(ds.objects(news, FRAPO.isFundedBy))
    assert set(ds.objects(PERSON["singh-r"], ORG.memberOf)) == {ORGID["cardiff-university"]}


def test_affiliations_of_the_sources_authors(funded) -> None:
    _, ds = funded
    assert set(ds.objects(PERSON["okafor-a"], ORG.memberOf)) == {ORGID["oise"], ORGID["university-of-toronto"], ORGID["research-impact-canada"]}
    department = AGENT["department-of-education-northfield-college"]
    assert set(ds.objects(PERSON["moreau-c"], ORG.memberOf)) == {department}
    assert (department, RDF.type, ORG.Organization) in ds
    assert (PERSON["lindqvist-p"], ORG.memberOf, None) not in ds
    assert set(ds.objects(PERSON["priya-natarajan"], ORG.memberOf)) == {ORGID["wcpp"]}
    assert set(ds.objects(PERSON["tom-evans"], ORG.memberOf)) == {ORGID["cardiff-university"], ORGID["esrc"]}
    # Every member is one of the graph's people (an author of the source, in graph:store).
    assert all((p, RDF.type, FOAF.Person) in ds.graph(STORE_GRAPH) for p in ds.subjects(ORG.memberOf, None))


def test_the_graph_validates_and_the_shapes_catch_bad_funding(funded, monkeypatch: pytest.MonkeyPatch) -> None:
    work, ds = funded
    report = validate(ds)
    assert report.conforms, [str(v) for v in report.violations]
    monkeypatch.chdir(work)
    runner = CliRunner()
    built = runner.invoke(graph_command, ["build", "--store", "refs"], catch_exceptions=False)
    assert built.exit_code == 0, built.output
    checked = runner.invoke(graph_command, ["validate", "--format", "json"], catch_exceptions=False)
    assert checked.exit_code == 0 and json.loads(checked.output) == {"conforms": True, "violations": []}
    bad = Dataset(default_union=True)
    for quad in ds.quads((None, None, None, None)):
        bad.add(quad)
    g = bad.graph(source_graph_id("bad"))
    g.add((PERSON["okafor-a"], ORG.memberOf, CONCEPT["knowledge-brokering"]))
    g.add((CONCEPT["knowledge-brokering"], FRAPO.isFundedBy, PERSON["okafor-a"]))
    messages = {v.message for v in validate(bad).violations}
    assert {
        "an affiliation is an org:Organization",
        "only a source document or an organisation is funded (frapo:isFundedBy)",
        "a funder is an IRI typed frapo:FundingAgency",
    } <= messages


def test_queries_count_funders_and_members(funded) -> None:
    from kmgraph.graph import query as q
    from kmgraph.graph.view import to_networkx

    _, ds = funded
    note = str(ds.value(source(ds, "funded_note.md"), DCTERMS.identifier))
    article = str(ds.value(source(ds, "funded_article.html"), DCTERMS.identifier))
    # An organisation that only funds a source finds it; so does one that funds and is named.
    assert [r.key for r in q.sources(ds, organisation="Acme Civic Trust")] == [note]
    assert {r.key for r in q.sources(ds, organisation="Harbour Light Foundation")} == {article, note}
    rows = {r.id: r for r in q.organisations(ds)}
    assert (rows["harbour-light-foundation"].funded, rows["harbour-light-foundation"].registered) == (2, False)
    assert (rows["research-england"].funded, rows["cardiff-university"].members) == (1, 2)
    view = to_networkx(ds)
    assert view.has_edge(str(ORGID["upen"]), str(ORGID["research-england"]), key="funded_by")
    assert view.has_edge(str(PERSON["okafor-a"]), str(ORGID["oise"]), key="member_of")
    found = q.path(ds, "Acme Civic Trust", "Nuffield Foundation")
    assert [step.relation for step in found.steps] == ["funds", "is funded by"]


def test_query_organisations_command_has_funded_and_members(funded, monkeypatch: pytest.MonkeyPatch) -> None:
    from kmgraph.cli.graph import query as query_command

    work, _ = funded
    monkeypatch.chdir(work)
    runner = CliRunner()
    assert runner.invoke(graph_command, ["build", "--store", "refs"], catch_exceptions=False).exit_code == 0
    result = runner.invoke(query_command, ["organisations", "--format", "json"], catch_exceptions=False)
    rows = {r["id"]: r for r in json.loads(result.output)}
    assert (rows["acme-civic-trust"]["funded"], rows["wcpp"]["members"]) == (1, 1)
    table = runner.invoke(query_command, ["organisations"], catch_exceptions=False).output
    assert "funded" in table.splitlines()[0] and "members" in table.splitlines()[0]
