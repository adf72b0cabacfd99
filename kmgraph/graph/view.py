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
from collections.abc import Iterable, Iterator
from typing import Any

import networkx as nx
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, SKOS

from kmgraph.ontology.namespaces import AGENT, CITO, CONCEPT, FABIO, FRAPO, KMG, ORGID, PERSON, WORK

__all__ = ["ATTRIBUTE_PREDICATES", "EDGE_LABELS", "NODE_TYPES", "LiteralTable", "Statements", "literal_table", "node_kind", "oxigraph_store", "statements", "to_networkx"]

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
    if str(iri).startswith(str(WORK)):
        return "source" if (iri, RDF.type, KMG.SourceDocument) in graph else "work"
    return _kind_by_name(str(iri))


def _kind_by_name(iri: str) -> str | None:
    """The view type of an IRI that is not a work's, from its namespace."""
    if iri.startswith(str(PERSON)):
        return "person"
    if iri.startswith(str(ORGID)) or iri.startswith(str(AGENT)):
        return "organisation"
    if iri.startswith(str(CONCEPT)) and iri != str(CONCEPT):
        return "concept"
    return None


class Statements:
    """The statements the view and the name index read, one predicate at a time, as text:
    IRIs as strings, literals as their lexical form and language tag.

    This reader goes through rdflib; :func:`statements` gives, for a kmgraph Oxigraph
    folder, one that reads pyoxigraph directly (:class:`_OxigraphStatements`): the same
    statements without making an rdflib term of each.
    """

    def __init__(self, graph: Graph) -> None:
        self.graph = graph

    def links(self, predicate: URIRef) -> Iterator[tuple[str, str]]:
        """Subject and object of each statement of ``predicate`` between two IRIs."""
        for s, o in self.graph.subject_objects(predicate):
            if isinstance(s, URIRef) and isinstance(o, URIRef):
                yield str(s), str(o)

    def literals(self, predicate: URIRef) -> Iterator[tuple[str, str, str | None]]:
        """Subject IRI, lexical form and language of each literal of ``predicate``."""
        for s, o in self.graph.subject_objects(predicate):
            if isinstance(s, URIRef) and isinstance(o, Literal):
                yield str(s), str(o), o.language

    def instances(self, cls: URIRef) -> set[str]:
        """The IRIs typed ``cls``."""
        return {str(s) for s in self.graph.subjects(RDF.type, cls) if isinstance(s, URIRef)}


class _OxigraphStatements(Statements):
    """:class:`Statements` read from the pyoxigraph store under a kmgraph Oxigraph
    dataset (its default graph, which holds the union: see :mod:`kmgraph.graph.stores`)."""

    def __init__(self, graph: Graph, store: Any) -> None:
        import pyoxigraph as ox

        super().__init__(graph)
        self._store = store
        self._ox = ox

    def _quads(self, predicate: URIRef, obj: Any = None) -> Any:
        ox = self._ox
        return self._store.quads_for_pattern(None, ox.NamedNode(str(predicate)), obj, ox.DefaultGraph())

    def links(self, predicate: URIRef) -> Iterator[tuple[str, str]]:
        iri = self._ox.NamedNode
        for q in self._quads(predicate):
            s, o = q.subject, q.object
            if type(s) is iri and type(o) is iri:
                yield s.value, o.value

    def literals(self, predicate: URIRef) -> Iterator[tuple[str, str, str | None]]:
        iri, literal = self._ox.NamedNode, self._ox.Literal
        for q in self._quads(predicate):
            s, o = q.subject, q.object
            if type(s) is iri and type(o) is literal:
                yield s.value, o.value, o.language

    def instances(self, cls: URIRef) -> set[str]:
        iri = self._ox.NamedNode
        return {q.subject.value for q in self._quads(RDF.type, iri(str(cls))) if type(q.subject) is iri}


def oxigraph_store(graph: Graph) -> Any:
    """The pyoxigraph store under a kmgraph Oxigraph dataset (whose default graph is the
    stored union), or None for any other graph."""
    from rdflib import Dataset

    store = graph.store
    if not isinstance(graph, Dataset) or not getattr(graph, "default_union", False):
        return None
    if type(store).__name__ != "UnionOxigraphStore" or not hasattr(store, "_inner"):
        return None
    return store._inner


def statements(graph: Graph) -> Statements:
    """The fastest :class:`Statements` reader for a graph."""
    store = oxigraph_store(graph)
    return Statements(graph) if store is None else _OxigraphStatements(graph, store)


#: Literals by subject IRI and predicate, as (lexical form, language).
LiteralTable = dict[str, dict[URIRef, list[tuple[str, str | None]]]]
#: The predicates whose literals the view's node attributes come from.
ATTRIBUTE_PREDICATES = (
    DCTERMS.identifier,
    DCTERMS.title,
    FABIO.hasURL,
    FABIO.hasPublicationYear,
    FOAF.name,
    SKOS.prefLabel,
)


def literal_table(reader: Statements, predicates: Iterable[URIRef] = ATTRIBUTE_PREDICATES) -> LiteralTable:
    """The literals of some predicates by subject, read in one pass per predicate (a
    lookup per node and predicate costs far more on a large graph)."""
    table: LiteralTable = defaultdict(lambda: defaultdict(list))
    for predicate in predicates:
        for s, text, language in reader.literals(predicate):
            table[s][predicate].append((text, language))
    return table


def _first(table: LiteralTable, iri: str, *predicates: URIRef) -> str | None:
    found = table.get(iri, {})
    for predicate in predicates:
        values = sorted(found.get(predicate, ()), key=lambda o: (o[1] not in (None, "en"), o[0]))
        if values:
            return values[0][0]
    return None


def _local(iri: str) -> str:
    for ns in (WORK, PERSON, ORGID, AGENT, CONCEPT):
        if iri.startswith(str(ns)):
            return iri[len(str(ns)) :]
    return iri


_IDENTIFIER, _TITLE, _URL, _YEAR, _NAME, _PREF_LABEL = ATTRIBUTE_PREDICATES


def _attributes(table: LiteralTable, iri: str, kind: str) -> dict[str, object]:
    key = _local(iri)
    if kind in ("source", "work"):
        identifier = _first(table, iri, _IDENTIFIER)
        label = _first(table, iri, _TITLE) or _first(table, iri, _URL) or identifier or key
        attrs: dict[str, object] = {"type": kind, "label": label, "key": identifier or key}
        year = _first(table, iri, _YEAR)
        if year and re.fullmatch(r"\d{4}", year):
            attrs["year"] = int(year)
        return attrs
    if kind == "person":
        return {"type": kind, "label": _first(table, iri, _NAME) or key, "key": key}
    label = _first(table, iri, _PREF_LABEL, _NAME) or key
    return {"type": kind, "label": label, "key": key}


def _counts(reader: Statements) -> dict[tuple[str, str], int]:
    """The ``kmg:count`` of each occurrence, by (document, what occurs)."""
    first = lambda pairs: {s: o for s, o in reversed(list(pairs))}  # noqa: E731
    docs = first(reader.links(KMG.occursIn))
    whats = first(reader.links(KMG.occurrenceOf))
    numbers = first((s, text) for s, text, _ in reader.literals(KMG.count))
    counts: dict[tuple[str, str], int] = {}
    for occurrence in sorted(reader.instances(KMG.Occurrence)):
        doc, what, count = docs.get(occurrence), whats.get(occurrence), numbers.get(occurrence)
        if doc is not None and what is not None and count is not None:
            counts[(doc, what)] = int(count)
    return counts


def to_networkx(graph: Graph, reader: Statements | None = None, table: LiteralTable | None = None) -> nx.MultiDiGraph:
    """Project the RDF graph (or dataset) onto a typed, labelled NetworkX multigraph.

    Args:
        graph: A graph built by :func:`kmgraph.graph.build.build_graph` (or read back).
        reader: How to read it (default: :func:`statements`, the fastest reader).
        table: Its :func:`literal_table` (with at least :data:`ATTRIBUTE_PREDICATES`),
            when the caller has it already.

    Returns:
        The :class:`networkx.MultiDiGraph` described in the module docstring.
    """
    reader = statements(graph) if reader is None else reader
    edges: list[tuple[str, str, str, int]] = []
    kinds: dict[str, str] = {}
    counts = _counts(reader)
    sources = reader.instances(KMG.SourceDocument)
    work_ns = str(WORK)

    def kind_of(iri: str) -> str | None:
        found = kinds.get(iri)
        if found is None:
            if iri.startswith(work_ns):  # node_kind, without a lookup per work
                found = "source" if iri in sources else "work"
            else:
                found = _kind_by_name(iri)
            if found is None:
                return None
            kinds[iri] = found
        return found

    for predicate, edge_type in _PREDICATES.items():
        for s, o in reader.links(predicate):
            ks, ko = kind_of(s), kind_of(o)
            if ks not in ("source", "work") or ko is None:
                continue
            edges.append((s, o, edge_type, counts.get((s, o), 1)))
    for predicate, edge_type, subjects in (
        (FRAPO.isFundedBy, "funded_by", ("source", "work", "organisation")),
        (ORG.memberOf, "member_of", ("person",)),
    ):
        for s, o in reader.links(predicate):
            if kind_of(s) in subjects and kind_of(o) == "organisation":
                edges.append((s, o, edge_type, 1))
    present = set(kinds)
    for predicate, edge_type in ((SKOS.broader, "broader"), (ORG.subOrganizationOf, "part_of")):
        for s, o in reader.links(predicate):
            if s in present and o in present:
                edges.append((s, o, edge_type, 1))

    view = nx.MultiDiGraph()
    table = literal_table(reader) if table is None else table
    for iri in sorted(present):
        view.add_node(iri, **_attributes(table, iri, kinds[iri]))
    seen: set[tuple[str, str, str]] = set()
    for s, o, edge_type, weight in sorted(edges, key=lambda e: (e[0], e[1], e[2])):
        if (s, o, edge_type) in seen:
            continue
        seen.add((s, o, edge_type))
        view.add_edge(s, o, key=edge_type, type=edge_type, label=EDGE_LABELS[edge_type][0], weight=weight)
    return view
