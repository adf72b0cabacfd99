"""The namespace classes agree with the Turtle files."""

from __future__ import annotations

import pytest
from rdflib import OWL, RDF, Graph, URIRef

from kmgraph.ontology import data_dir
from kmgraph.ontology.namespaces import BIBO, BIRO, C4O, CITO, FABIO, FRAPO, KMG, PREFIXES, WORK


def test_kmg_class_equals_the_terms_of_kmgraph_ttl() -> None:
    graph = Graph().parse(data_dir() / "kmgraph.ttl", format="turtle")
    ns = str(KMG._NS)
    defined = {
        s
        for s in graph.subjects(RDF.type, None)
        if isinstance(s, URIRef) and str(s).startswith(ns) and (s, RDF.type, OWL.Ontology) not in graph
    }
    assert defined == {KMG[name] for name in KMG.__annotations__}


@pytest.mark.parametrize("namespace", [KMG, FABIO, CITO, BIRO, C4O, FRAPO, BIBO])
def test_unknown_terms_fail(namespace: type) -> None:
    with pytest.raises(AttributeError):
        namespace.noSuchTerm  # noqa: B018


def test_iri_patterns_and_prefixes() -> None:
    assert str(CITO.cites) == "http://purl.org/spar/cito/cites"
    assert str(WORK["levin2008thinking"]) == "https://w3id.org/kmgraph/work/levin2008thinking"
    assert PREFIXES["kmg"] == "https://w3id.org/kmgraph/ns#"
    assert len(set(PREFIXES.values())) == len(PREFIXES)


def test_every_term_used_by_the_shapes_is_known() -> None:
    shapes = Graph().parse(data_dir() / "shapes.ttl", format="turtle")
    classes = {KMG: KMG, FABIO: FABIO, CITO: CITO, BIRO: BIRO, C4O: C4O, BIBO: BIBO, FRAPO: FRAPO}
    for term in {t for triple in shapes for t in triple if isinstance(t, URIRef)}:
        for namespace in classes:
            if str(term).startswith(str(namespace._NS)):
                assert term in namespace, term
