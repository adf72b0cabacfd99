"""The Turtle files of ontology/: they parse, and the scheme and register are well formed."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, Graph, URIRef
from rdflib.namespace import FOAF, ORG, SKOS

from kmgraph.ontology import (
    CONCEPT,
    FRAPO,
    KMG,
    ORGID,
    Tagger,
    Vocabulary,
    data_dir,
    load_graph,
    load_vocabulary,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def graph() -> Graph:
    return load_graph()


def test_data_dir_is_the_checkout_folder_or_the_packaged_copy() -> None:
    folder = data_dir()
    assert {"kmgraph.ttl", "concepts.ttl", "organisations.ttl"} <= {p.name for p in folder.glob("*.ttl")}
    assert folder in (ROOT / "ontology", ROOT / "kmgraph" / "ontology" / "data")


@pytest.mark.parametrize("name", ["kmgraph.ttl", "concepts.ttl", "organisations.ttl"])
def test_each_file_parses_on_its_own(name: str) -> None:
    graph = Graph().parse(data_dir() / name, format="turtle")
    assert len(graph) > 10


def test_own_terms_have_label_and_comment(graph: Graph) -> None:
    terms = {s for s in graph.subjects() if isinstance(s, URIRef) and str(s).startswith(str(KMG))}
    assert {KMG.ambiguousLabel, KMG.OrganisationRegister, KMG.inRegister} <= terms
    for term in terms:
        assert graph.value(term, RDFS.label) is not None, term
        assert graph.value(term, RDFS.comment) is not None, term
        assert graph.value(term, RDF.type) in (
            OWL.Class,
            OWL.ObjectProperty,
            OWL.AnnotationProperty,
            OWL.DatatypeProperty,
        )
    assert (URIRef("https://w3id.org/kmgraph/ns"), RDF.type, OWL.Ontology) in graph


def test_own_terms_are_used_only_if_defined(graph: Graph) -> None:
    used = {p for p in graph.predicates() if str(p).startswith(str(KMG))}
    used |= {o for o in graph.objects() if isinstance(o, URIRef) and str(o).startswith(str(KMG))}
    for term in used:
        assert graph.value(term, RDFS.label) is not None, f"{term} used but not defined"


def test_at_least_40_concepts_each_complete(graph: Graph) -> None:
    concepts = set(graph.subjects(RDF.type, SKOS.Concept))
    assert len(concepts) >= 40
    for concept in concepts:
        assert str(concept).startswith(str(CONCEPT))
        assert graph.value(concept, SKOS.prefLabel) is not None, concept
        assert graph.value(concept, SKOS.definition) is not None, concept
        assert (concept, SKOS.inScheme, CONCEPT[""]) in graph, concept
        linked = (
            set(graph.objects(concept, SKOS.broader))
            | set(graph.objects(concept, SKOS.narrower))
            | set(graph.objects(concept, SKOS.related))
        )
        assert linked, f"{concept} has no broader/narrower/related"
    assert (CONCEPT[""], RDF.type, SKOS.ConceptScheme) in graph


def test_pref_labels_are_unique_lower_case_and_english(graph: Graph) -> None:
    labels = [(s, o) for s, o in graph.subject_objects(SKOS.prefLabel) if (s, RDF.type, SKOS.Concept) in graph]
    counts = Counter(str(o) for _, o in labels)
    assert [label for label, n in counts.items() if n > 1] == []
    for _, label in labels:
        assert label.language == "en"
        assert str(label) == str(label).lower() or str(label) == "K*"


def test_links_point_at_existing_concepts(graph: Graph) -> None:
    concepts = set(graph.subjects(RDF.type, SKOS.Concept))
    for predicate in (SKOS.broader, SKOS.narrower, SKOS.related):
        for subject, target in graph.subject_objects(predicate):
            assert target in concepts, f"{subject} {predicate} {target}"
    for subject, target in graph.subject_objects(SKOS.broader):
        assert (target, SKOS.narrower, subject) in graph, "narrower is materialised"
        assert (subject, SKOS.related, target) not in graph


def test_definitions_name_their_source(graph: Graph) -> None:
    for concept, definition in graph.subject_objects(SKOS.definition):
        assert "after " in str(definition), concept


def test_ellipsis_only_in_hidden_labels(graph: Graph) -> None:
    for predicate in (SKOS.prefLabel, SKOS.altLabel):
        for _, label in graph.subject_objects(predicate):
            assert "…" not in str(label)


def test_ambiguous_labels_are_also_alt_labels(graph: Graph) -> None:
    for concept, label in graph.subject_objects(KMG.ambiguousLabel):
        assert label in set(graph.objects(concept, SKOS.altLabel)), (concept, label)
    km = {s for s, o in graph.subject_objects(KMG.ambiguousLabel) if str(o) == "KM"}
    assert km == {CONCEPT["knowledge-mobilization"], CONCEPT["knowledge-management"]}


def test_at_least_50_organisations_each_named_and_identifiable(graph: Graph) -> None:
    organisations = set(graph.subjects(RDF.type, ORG.Organization))
    assert len(organisations) >= 50
    for organisation in organisations:
        assert str(organisation).startswith(str(ORGID))
        assert graph.value(organisation, SKOS.prefLabel) is not None, organisation
        assert graph.value(organisation, FOAF.name) is not None, organisation
        assert (
            graph.value(organisation, SKOS.altLabel) is not None or graph.value(organisation, FOAF.homepage) is not None
        ), organisation
        assert (organisation, KMG.inRegister, ORGID[""]) in graph
        for parent in graph.objects(organisation, ORG.subOrganizationOf):
            assert parent in organisations, (organisation, parent)
        for homepage in graph.objects(organisation, FOAF.homepage):
            assert str(homepage).startswith("https://"), homepage
        for acronym in graph.objects(organisation, FRAPO.hasAcronym):
            assert str(acronym) in {str(a) for a in graph.objects(organisation, SKOS.altLabel)}


def test_register_structure() -> None:
    vocabulary = load_vocabulary()
    assert vocabulary.organisation("esrc").parent == "ukri"
    assert vocabulary.organisation("research-england").parent == "ukri"
    assert vocabulary.organisation("sshrc").parent is None
    assert vocabulary.organisation("sshrc").funder
    assert vocabulary.organisation("laurier-office-of-research-services").parent == "wilfrid-laurier-university"
    assert vocabulary.organisation("esrc").acronyms == ("ESRC",)
    assert vocabulary.organisation("sshrc").country == "CAN"
    assert vocabulary.organisation(str(ORGID["ukri"])).name == "UK Research and Innovation"


def test_vocabulary_records() -> None:
    vocabulary = load_vocabulary()
    assert isinstance(vocabulary, Vocabulary)
    assert vocabulary is load_vocabulary(), "cached"
    kmb = vocabulary.concept("knowledge-mobilization")
    assert kmb.pref_label == "knowledge mobilization"
    assert {"KMb", "knowledge mobilisation"} <= set(kmb.alt_labels)
    assert kmb.ambiguous_labels == ("KM",)
    assert "kstar" in kmb.broader
    assert "integrated-knowledge-translation" in vocabulary.concept("knowledge-translation").narrower
    assert [c.id for c in vocabulary.concepts] == sorted(c.id for c in vocabulary.concepts)
    with pytest.raises(KeyError):
        vocabulary.concept("no-such-concept")


def test_no_two_labels_normalise_to_the_same_pattern() -> None:
    assert Tagger(load_vocabulary()).collisions == []
