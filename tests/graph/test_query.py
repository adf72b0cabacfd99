"""Queries through the library: listings, related, path, rank, clusters, SPARQL, names."""

from __future__ import annotations

import pytest
from rdflib import Dataset

from kmgraph.errors import UsageError
from kmgraph.graph import query as q
from kmgraph.graph.errors import AmbiguousName, InvalidQuery, NameNotFound
from kmgraph.ontology.namespaces import CONCEPT, ORGID, WORK


def test_names_resolve_loosely(examples_graph: Dataset) -> None:
    g = examples_graph
    assert q.resolve(g, "levin2008thinking") == WORK["levin2008thinking"]
    assert q.resolve(g, "work:levin2008thinking") == WORK["levin2008thinking"]
    assert q.resolve(g, "KMb") == CONCEPT["knowledge-mobilization"]
    assert q.resolve(g, "Knowledge Mobilisation") == CONCEPT["knowledge-mobilization"]
    assert q.resolve(g, "SSHRC") == ORGID["sshrc"]
    assert q.resolve(g, "social sciences and humanities research council") == ORGID["sshrc"]
    assert q.entity(g, "Levin, B.").kind == "person"


def test_ambiguous_and_unknown_names(examples_graph: Dataset) -> None:
    with pytest.raises(AmbiguousName) as info:
        q.resolve(examples_graph, "KM")
    assert "knowledge-management" in str(info.value) and "knowledge-mobilization" in str(info.value)
    assert info.value.exit_code == 2
    with pytest.raises(NameNotFound) as missing:
        q.resolve(examples_graph, "levin2008thinkin")
    assert "levin2008thinking" in str(missing.value)


def test_sources_filters(examples_graph: Dataset) -> None:
    g = examples_graph
    everything = q.sources(g)
    assert {r.kind for r in everything} == {"source", "work"}
    assert [r.key for r in q.sources(g, kind="source")] == ["briefingnote", "example2024knowledge", "kmgraph2024three"]
    brokering = {r.key for r in q.sources(g, concept="knowledge brokering")}
    assert "briefingnote" in brokering
    # A broader concept includes the narrower ones.
    assert brokering <= {r.key for r in q.sources(g, concept="K*")}
    assert [r.key for r in q.sources(g, author="Levin, B.")] == ["cooper2010some", "levin2008thinking", "levin2011mobilising"]
    years = q.sources(g, years=(2008, 2010))
    assert years and all(2008 <= (r.year or 0) <= 2010 for r in years)
    assert {r.key for r in q.sources(g, organisation="SSHRC")} >= {"briefingnote"}


def test_concepts_and_organisations_with_counts(examples_graph: Dataset) -> None:
    rows = q.concepts(examples_graph)
    assert rows[0].label == "knowledge mobilization" and rows[0].documents == 3 and rows[0].occurrences >= 3
    assert len(q.concepts(examples_graph, all_concepts=True)) >= 40
    orgs = {o.id: o for o in q.organisations(examples_graph)}
    assert orgs["sshrc"].registered and orgs["sshrc"].documents == 3
    assert any(not o.registered and o.published for o in orgs.values())


def test_related_explains_cocitation(examples_graph: Dataset) -> None:
    results = q.related(examples_graph, "levin2008thinking", top=5)
    assert results and results == sorted(results, key=lambda r: (-r.score, r.key))
    top = results[0]
    assert "briefingnote" in top.cocited_by
    assert top.explanation.startswith("cited together by 1 document (briefingnote)")
    by_cocitation = q.related(examples_graph, "levin2008thinking", by="cocitation", top=50)
    assert all(r.cocitation > 0 for r in by_cocitation)


def test_related_by_coupling_and_concepts(examples_graph: Dataset) -> None:
    coupled = q.related(examples_graph, "briefingnote", by="coupling")
    assert coupled and all(r.shared_references for r in coupled)
    assert "both cite" in coupled[0].explanation
    conceptual = q.related(examples_graph, "briefingnote", by="concepts")
    assert conceptual and "shares" in conceptual[0].explanation and conceptual[0].shared_concepts
    with pytest.raises(UsageError):
        q.related(examples_graph, "briefingnote", by="magic")


def test_path_is_explained_edge_by_edge(examples_graph: Dataset) -> None:
    found = q.path(examples_graph, "levin2008thinking", "SSHRC")
    assert found.found and len(found.steps) == 2
    lines = found.explain()
    assert "is cited by" in lines[0] and lines[1].endswith("Social Sciences and Humanities Research Council (organisation)")
    assert found.steps[0].target == found.steps[1].source
    assert q.path(examples_graph, "SSHRC", "SSHRC").found


def test_rank_and_clusters(examples_graph: Dataset) -> None:
    concepts = q.rank(examples_graph, "concept", top=3)
    assert len(concepts) == 3 and all(r.kind == "concept" for r in concepts)
    assert concepts == sorted(concepts, key=lambda r: (-r.score, r.kind, r.id))
    degree = q.rank(examples_graph, "source", method="degree", top=1)
    assert degree[0].kind in ("source", "work")
    with pytest.raises(UsageError):
        q.rank(examples_graph, method="magic")
    first = q.clusters(examples_graph)
    assert first == q.clusters(examples_graph), "seeded: the same communities"
    assert first[0].size >= first[-1].size and first[0].top_concepts


def test_sparql_prefixes_and_errors(examples_graph: Dataset) -> None:
    result = q.sparql(examples_graph, "SELECT ?w WHERE { work:briefingnote cito:cites ?w } ORDER BY ?w")
    assert result.kind == "select" and result.variables == ("w",) and len(result.rows) >= 4
    assert q.sparql(examples_graph, "ASK { ?s a kmg:SourceDocument }").boolean is True
    built = q.sparql(examples_graph, "CONSTRUCT { ?s dcterms:title ?t } WHERE { ?s a kmg:SourceDocument ; dcterms:title ?t }")
    assert built.graph is not None and len(built.graph) >= 3
    with pytest.raises(InvalidQuery):
        q.sparql(examples_graph, "SELEC ?x")
    with pytest.raises(InvalidQuery):
        q.sparql(examples_graph, "INSERT DATA { work:a work:b work:c }")
