"""The NetworkX view of the knowledge graph: typed, labelled nodes and typed edges.

Derived from the RDF graph (never built separately), as a :class:`networkx.MultiDiGraph`:

Nodes (id = IRI string) carry ``type`` (``source``, ``work``, ``person``, ``organisation``,
``concept``), ``label`` (title, name or preferred label), ``key`` (the store key, the
register or concept id, the person slug) and, for works, ``year`` when known. Sources are
the ingested documents, works the cited (or mentioned) works.

Edges carry ``type`` (also the edge key) and ``label`` (how to read it, for path
explanations), and ``weight``:

=================  =======================  ==============================
type               from -> to               RDF
=================  =======================  ==============================
cites              work -> work             ``cito:cites``
creator            work -> person/org       ``dcterms:creator``
publisher          work -> organisation     ``dcterms:publisher``
subject            work -> concept          ``dcterms:subject`` (weight = count)
mentions           source -> org/work       ``kmg:mentions`` (weight = count)
funded_by          work/org -> organisation ``frapo:isFundedBy``
member_of          person -> organisation   ``org:memberOf``
broader            concept -> concept       ``skos:broader``
part_of            org -> org               ``org:subOrganizationOf``
=================  =======================  ==============================

Concepts and organisations appear when something links to them (a register entry no
document names is left out); broader and part-of edges join the nodes present.
Nodes are added in sorted order, so algorithms with a seed give the same answer each run.

Example:
    >>> from kmgraph.graph.view import to_networkx
    >>> g = to_networkx(dataset)  # doctest: +SKIP
    >>> g.nodes["https://w3id.org/kmgraph/concept/knowledge-mobilization"]["label"]  # doctest: +SKIP
    'knowledge mobilization'
"""

from __future__ import annotations

import re
from collections import defaultdict

import networkx as nx
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, SKOS

from kmgraph.ontology.namespaces import AGENT, CITO, CONCEPT, FABIO, FRAPO, KMG, ORGID, PERSON, WORK

__all__ = ["EDGE_LABELS", "NODE_TYPES", "node_kind", "to_networkx"]

NODE_TYPES = ("source", "work", "person", "organisation", "concept")

#: How each edge type reads, forwards and backwards (for path explanations).
EDGE_LABELS: dict[str, tuple[str, str]] = {
    "cites": ("cites", "is cited by"),
    "creator": ("was created by", "created"),
    "publisher": ("was published by", "published"),
    "subject": ("is about", "is the subject of"),
    "mentions": ("mentions", "is mentioned by"),
    "funded_by": ("is funded by", "funds"),
    "member_of": ("is a member of", "has member"),
    "broader": ("is narrower than", "is broader than"),
    "part_of": ("is part of", "has part"),
}

_PREDICATES = {
    CITO.cites: "cites",
    DCTERMS.creator: "creator",
    DCTERMS.publisher: "publisher",
    DCTERMS.subject: "subject",
    KMG.mentions: "mentions",
}


def node_kind(graph: Graph, iri: URIRef) -> str | None:
    """The view type of an IRI (``source``, ``work``, ``person``, ``organisation``,
    ``concept``), or None for anything else."""
    text = str(iri)
    if text.startswith(str(WORK)):
        return "source" if (iri, RDF.type, KMG.SourceDocument) in graph else "work"
    if text.startswith(str(PERSON)):
        return "person"
    if text.startswith(str(ORGID)) or text.startswith(str(AGENT)):
        return "organisation"
    if text.startswith(str(CONCEPT)) and text != str(CONCEPT):
        return "concept"
    return None


_Table = dict[URIRef, dict[URIRef, list[Literal]]]
_ATTRIBUTE_PREDICATES = (
    DCTERMS.identifier,
    DCTERMS.title,
    FABIO.hasURL,
    FABIO.hasPublicationYear,
    FOAF.name,
    SKOS.prefLabel,
)


def _literal_table(graph: Graph) -> _Table:
    """The literals of the attribute predicates by subject, read in one pass per
    predicate (a lookup per node and predicate costs far more on a large graph)."""
    table: _Table = defaultdict(lambda: defaultdict(list))
    for predicate in _ATTRIBUTE_PREDICATES:
        for s, o in graph.subject_objects(predicate):
            if isinstance(o, Literal):
                table[s][predicate].append(o)
    return table


def _first(graph: Graph, iri: URIRef, *predicates: URIRef, table: _Table | None = None) -> str | None:
    found = table.get(iri, {}) if table is not None else None
    for predicate in predicates:
        values = sorted(
            found.get(predicate, ()) if found is not None else (o for o in graph.objects(iri, predicate) if isinstance(o, Literal)),
            key=lambda o: (o.language not in (None, "en"), str(o)),
        )
        if values:
            return str(values[0])
    return None


def _local(iri: URIRef, kind: str) -> str:
    text = str(iri)
    for ns in (WORK, PERSON, ORGID, AGENT, CONCEPT):
        if text.startswith(str(ns)):
            return text[len(str(ns)) :]
    return text


def _attributes(graph: Graph, iri: URIRef, kind: str, table: _Table | None = None) -> dict[str, object]:
    key = _local(iri, kind)
    if kind in ("source", "work"):
        identifier = _first(graph, iri, DCTERMS.identifier, table=table)
        label = _first(graph, iri, DCTERMS.title, table=table) or _first(graph, iri, FABIO.hasURL, table=table) or identifier or key
        attrs: dict[str, object] = {"type": kind, "label": label, "key": identifier or key}
        year = _first(graph, iri, FABIO.hasPublicationYear, table=table)
        if year and re.fullmatch(r"\d{4}", year):
            attrs["year"] = int(year)
        return attrs
    if kind == "person":
        return {"type": kind, "label": _first(graph, iri, FOAF.name, table=table) or key, "key": key}
    label = _first(graph, iri, SKOS.prefLabel, FOAF.name, table=table) or key
    return {"type": kind, "label": label, "key": key}


def _counts(graph: Graph) -> dict[tuple[URIRef, URIRef], int]:
    counts: dict[tuple[URIRef, URIRef], int] = {}
    for occurrence in graph.subjects(RDF.type, KMG.Occurrence):
        doc = graph.value(occurrence, KMG.occursIn)
        what = graph.value(occurrence, KMG.occurrenceOf)
        count = graph.value(occurrence, KMG.count)
        if isinstance(doc, URIRef) and isinstance(what, URIRef) and count is not None:
            counts[(doc, what)] = int(count)
    return counts


def to_networkx(graph: Graph) -> nx.MultiDiGraph:
    """Project the RDF graph (or dataset) onto a typed, labelled NetworkX multigraph.

    Args:
        graph: A graph built by :func:`kmgraph.graph.build.build_graph` (or read back).

    Returns:
        The :class:`networkx.MultiDiGraph` described in the module docstring.
    """
    edges: list[tuple[URIRef, URIRef, str, int]] = []
    kinds: dict[URIRef, str] = {}
    counts = _counts(graph)
    sources = set(graph.subjects(RDF.type, KMG.SourceDocument))
    work_ns = str(WORK)

    def kind_of(iri: object) -> str | None:
        if not isinstance(iri, URIRef):
            return None
        if iri not in kinds:
            if iri.startswith(work_ns):  # node_kind, without a lookup per work
                found: str | None = "source" if iri in sources else "work"
            else:
                found = node_kind(graph, iri)
            if found is None:
                return None
            kinds[iri] = found
        return kinds[iri]

    for predicate, edge_type in _PREDICATES.items():
        for s, o in graph.subject_objects(predicate):
            ks, ko = kind_of(s), kind_of(o)
            if ks not in ("source", "work") or ko is None:
                continue
            edges.append((s, o, edge_type, counts.get((s, o), 1)))
    for predicate, edge_type, subjects in (
        (FRAPO.isFundedBy, "funded_by", ("source", "work", "organisation")),
        (ORG.memberOf, "member_of", ("person",)),
    ):
        for s, o in graph.subject_objects(predicate):
            if kind_of(s) in subjects and kind_of(o) == "organisation":
                edges.append((s, o, edge_type, 1))
    present = set(kinds)
    for s, o in graph.subject_objects(SKOS.broader):
        if s in present and o in present:
            edges.append((s, o, "broader", 1))
    for s, o in graph.subject_objects(ORG.subOrganizationOf):
        if s in present and o in present:
            edges.append((s, o, "part_of", 1))

    view = nx.MultiDiGraph()
    by_node: dict[URIRef, dict[str, object]] = {}
    table = _literal_table(graph)
    for iri in sorted(present, key=str):
        by_node[iri] = _attributes(graph, iri, kinds[iri], table)
        view.add_node(str(iri), **by_node[iri])
    seen: dict[tuple[str, str, str], int] = defaultdict(int)
    for s, o, edge_type, weight in sorted(edges, key=lambda e: (str(e[0]), str(e[1]), e[2])):
        if seen[(str(s), str(o), edge_type)]:
            continue
        seen[(str(s), str(o), edge_type)] = 1
        view.add_edge(str(s), str(o), key=edge_type, type=edge_type, label=EDGE_LABELS[edge_type][0], weight=weight)
    return view
