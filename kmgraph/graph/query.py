"""Questions to the knowledge graph: library functions that the commands call.

Every function takes the graph first (a dataset from :func:`kmgraph.graph.build.build_graph`
or :func:`kmgraph.graph.workspace.read_graph`) and returns frozen records or builtins.

Names resolve loosely (:func:`resolve`): a store key (``levin2008thinking``), a title, a
concept's id, preferred or alternative label or acronym (``KMb``, ``knowledge
mobilisation``), an organisation's id, name, alias or acronym (``SSHRC``), a person's
name (``Levin, B.``, ``B. Levin``, ``levin-b``), or an IRI / prefixed name
(``concept:knowledge-translation``). The exact spelling is tried first, then without
case, then without accents and punctuation; a name that matches several entities raises
:class:`~kmgraph.graph.errors.AmbiguousName` listing them, one that matches none raises
:class:`~kmgraph.graph.errors.NameNotFound` with close matches.

``related`` ranks other works by (R(x) = works x cites, C(x) = works citing x, K(x) =
concepts of x and their direct broader concepts, O(x) = organisations that published,
created or are named by x):

* bibliographic coupling ``|R(a) ∩ R(b)| / sqrt(|R(a)|·|R(b)|)`` (Kessler 1963, Salton's
  cosine);
* co-citation ``|C(a) ∩ C(b)| / sqrt(|C(a)|·|C(b)|)`` (Small 1973, cosine);
* shared concepts by Adamic–Adar, ``Σ_{z ∈ K(a)∩K(b)} 1/log(n_z)`` with ``n_z`` the
  number of works having z (at least 2), divided by the same sum over K(a) so it lies in
  0..1; shared organisations the same way over O;
* a direct citation either way (1 or 0).

``by="all"`` combines them as ``0.3·coupling + 0.3·cocitation + 0.2·concepts +
0.1·organisations + 0.1·direct``; ``by="cocitation"|"coupling"|"concepts"|"organisations"``
ranks by that measure alone. Each result says why ("cited together by 3 documents;
shares 2 concepts (...)").

Example:
    >>> from kmgraph.graph.query import related, sources
    >>> [r.key for r in related(ds, "levin2008thinking", top=3)]  # doctest: +SKIP
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, SKOS

from kmgraph.graph.errors import AmbiguousName, InvalidQuery, NameNotFound
from kmgraph.graph.view import (
    ATTRIBUTE_PREDICATES,
    EDGE_LABELS,
    LiteralTable,
    Statements,
    literal_table,
    node_kind,
    oxigraph_store,
    statements,
    to_networkx,
)
from kmgraph.ontology.namespaces import CONCEPT, FABIO, FRAPO, KMG, PREFIXES
from kmgraph.references.keys import ascii_fold

__all__ = [
    "BY",
    "WEIGHTS",
    "Cluster",
    "ConceptCount",
    "Entity",
    "OrganisationCount",
    "Path",
    "PathStep",
    "Ranked",
    "Related",
    "SourceRow",
    "SparqlResult",
    "clusters",
    "concepts",
    "entity",
    "organisations",
    "path",
    "rank",
    "related",
    "resolve",
    "sources",
    "sparql",
]

#: The measures ``related`` can rank by.
BY = ("all", "cocitation", "coupling", "concepts", "organisations")
#: Weights of the combined ``related`` score.
WEIGHTS = {"coupling": 0.3, "cocitation": 0.3, "concepts": 0.2, "organisations": 0.1, "direct": 0.1}


# --------------------------------------------------------------------------- caching


class _Cache:
    """Per-graph derived data (the name index, the NetworkX view, the indexes of
    ``related`` and ``path``), rebuilt when the graph object or its content changes.

    A change is seen without reading the graph: every rdflib store announces each added
    (and, through rdflib's base class, removed) triple on its event dispatcher, which the
    cache counts; rdflib's Memory store removes without announcing, so its size (kept by
    the store, O(1)) is compared too. The old check counted every quad on every call,
    seconds per query on a graph of millions of statements.
    """

    def __init__(self) -> None:
        self._items: dict[tuple[int, str], tuple[Graph, tuple[int, int], Any]] = {}
        self._changes: dict[int, list[Any]] = {}

    def _version(self, graph: Graph) -> tuple[int, int]:
        from rdflib.plugins.stores.memory import Memory
        from rdflib.store import TripleAddedEvent, TripleRemovedEvent

        store = graph.store
        changes = self._changes.get(id(store))
        if changes is None or changes[0] is not store:
            changes = [store, 0]
            dispatcher = getattr(store, "dispatcher", None)
            if dispatcher is None:  # a store that announces nothing: fall back to counting
                changes[1] = -1
            else:

                def changed(event: object, changes: list[Any] = changes) -> None:
                    changes[1] += 1

                dispatcher.subscribe(TripleAddedEvent, changed)
                dispatcher.subscribe(TripleRemovedEvent, changed)
            self._changes[id(store)] = changes
        if changes[1] < 0:
            return -1, sum(1 for _ in graph.triples((None, None, None)))
        return changes[1], len(store) if isinstance(store, Memory) else -1

    def forget(self, graph: Graph, name: str) -> None:
        """Drop one item (it is made again when asked for)."""
        self._items.pop((id(graph), name), None)

    def get(self, graph: Graph, name: str, make: Any) -> Any:
        version = self._version(graph)
        slot = (id(graph), name)
        found = self._items.get(slot)
        if found is not None and found[0] is graph and found[1] == version:
            return found[2]
        value = make(graph)
        self._items[slot] = (graph, self._version(graph), value)
        return value


_CACHE = _Cache()


def _texts(graph: Graph) -> LiteralTable:
    """The literals the view and the name index read, read once for both (dropped from
    the cache once the name index is made)."""
    return _CACHE.get(graph, "texts", lambda g: literal_table(statements(g), _TEXT_PREDICATES))


def _view(graph: Graph) -> nx.MultiDiGraph:
    return _CACHE.get(graph, "view", lambda g: to_networkx(g, table=_texts(g)))


# --------------------------------------------------------------------------- names


@dataclass(frozen=True)
class Entity:
    """A thing of the graph a name resolved to.

    Attributes:
        iri: Its IRI.
        kind: ``source``, ``work``, ``person``, ``organisation`` or ``concept``.
        id: The store key, concept or register id, person or organisation slug.
        label: Title, name or preferred label.
    """

    iri: str
    kind: str
    id: str
    label: str

    def __str__(self) -> str:
        return f"{self.kind} {self.label!r} ({self.id})"


_LABEL_PREDICATES = (
    DCTERMS.identifier,
    DCTERMS.title,
    FOAF.name,
    FOAF.familyName,
    FOAF.givenName,
    SKOS.prefLabel,
    SKOS.altLabel,
    SKOS.hiddenLabel,
    FRAPO.hasAcronym,
)


_TEXT_PREDICATES = tuple(dict.fromkeys((*ATTRIBUTE_PREDICATES, *_LABEL_PREDICATES)))
# Looked up once: an rdflib namespace attribute costs a function call each time.
_WORK_LABELS = (DCTERMS.identifier, DCTERMS.title)
_NAME, _FAMILY_NAME, _GIVEN_NAME = FOAF.name, FOAF.familyName, FOAF.givenName
_CONCEPT_LABELS = (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel)
_ORGANISATION_LABELS = (SKOS.prefLabel, SKOS.altLabel, FOAF.name, FRAPO.hasAcronym)


def _labels(graph: Graph, iri: URIRef, kind: str, table: LiteralTable | None = None) -> list[str]:
    def lits(*predicates: URIRef) -> list[str]:
        if table is not None:
            found = table.get(str(iri))
            return [o[0] for p in predicates for o in found.get(p, ())] if found else []
        return [str(o) for p in predicates for o in graph.objects(iri, p) if isinstance(o, Literal)]

    if kind in ("source", "work"):
        return lits(*_WORK_LABELS)
    if kind == "person":
        names = lits(_NAME)
        family = lits(_FAMILY_NAME)
        given = lits(_GIVEN_NAME)
        if table is not None and (len(family) > 1 or len(given) > 1):
            return _labels(graph, iri, kind)  # which name comes first is the store's order
        if family:
            names.append(f"{family[0]}, {given[0]}" if given else family[0])
        return names
    if kind == "concept":
        return [label for label in lits(*_CONCEPT_LABELS) if "…" not in label]
    return lits(*_ORGANISATION_LABELS)


def _loose(text: str) -> str:
    return " ".join(text.casefold().replace("\u2019", "'").split())


def _looser(text: str) -> str:
    return ascii_fold(text.replace("&", " and ")) or _loose(text)


class _Names:
    """The name index of :func:`resolve`; ``reader`` reads the graph another way than the
    fastest (:func:`kmgraph.graph.view.statements`; tests compare the two)."""

    def __init__(self, graph: Graph, reader: Statements | None = None) -> None:
        view = _view(graph) if reader is None else to_networkx(graph, reader)
        own = reader is None
        reader = statements(graph) if reader is None else reader
        self.entities: dict[str, Entity] = {}
        # name -> the IRI it names, or the set of them when it names several (a set for
        # every name would double the index's memory: most names name one entity)
        self.levels: list[dict[str, str | set[str]]] = [{}, {}, {}]
        self.surnames: dict[str, str | set[str]] = {}
        candidates = set(view.nodes) | reader.instances(SKOS.Concept) | reader.instances(ORG.Organization)
        table = _texts(graph) if own else literal_table(reader, _TEXT_PREDICATES)
        for text in sorted(candidates):
            iri = URIRef(text)
            data = view.nodes[text] if text in view else None
            kind = str(data["type"]) if data else node_kind(graph, iri)
            if kind is None:
                continue
            local = _local_id(iri)
            label = str(data["label"]) if data else (_first_label(graph, iri, kind) or local)
            ident = str(data["key"]) if data else local
            self.entities[str(iri)] = Entity(str(iri), kind, ident, label)
            names = {str(iri), local, ident, *_labels(graph, iri, kind, table)}
            for prefix, ns in PREFIXES.items():
                if str(iri).startswith(ns):
                    names.add(f"{prefix}:{str(iri)[len(ns):]}")
            for name in names:
                if not name:
                    continue
                _add(self.levels[0], name, text)
                _add(self.levels[1], _loose(name), text)
                _add(self.levels[2], _looser(name), text)
            if kind == "person":  # "Levin" alone, when no entity has that exact name
                for family, _ in table.get(text, {}).get(_FAMILY_NAME, ()):
                    _add(self.surnames, _looser(family), text)
        if own:
            _CACHE.forget(graph, "texts")

    def resolve(self, name: str, kinds: Sequence[str] | None) -> Entity:
        text = name.strip()
        keys = (text, _loose(text), _looser(text))
        for level, key in zip(self.levels, keys, strict=True):
            hits = [self.entities[i] for i in sorted(_ids(level.get(key))) if not kinds or self.entities[i].kind in kinds]
            if len(hits) == 1:
                return hits[0]
            if len(hits) > 1:
                raise AmbiguousName(name, [str(h) for h in sorted(hits, key=lambda h: (h.kind, h.id))])
        if not kinds or "person" in kinds:
            people = [self.entities[i] for i in sorted(_ids(self.surnames.get(keys[2])))]
            if len(people) == 1:
                return people[0]
            if len(people) > 1:
                raise AmbiguousName(name, [str(h) for h in sorted(people, key=lambda h: h.id)])
        from rapidfuzz import fuzz, process

        pool = {
            n: ids
            for n, found in self.levels[1].items()
            if (ids := _ids(found))
            and not n.startswith("http")
            and (not kinds or any(self.entities[i].kind in kinds for i in ids))
        }
        close: list[str] = []
        for match in process.extract(_loose(text), list(pool), scorer=fuzz.WRatio, limit=10, score_cutoff=75):
            for iri in sorted(pool[match[0]]):
                ident = self.entities[iri].id
                if ident not in close and len(close) < 3:
                    close.append(ident)
        what = " or ".join(kinds) if kinds else "entity"
        raise NameNotFound(name, close, what=what)


_LONGEST_FIRST = sorted(PREFIXES.values(), key=len, reverse=True)


def _add(index: dict[str, str | set[str]], key: str, iri: str) -> None:
    found = index.get(key)
    if found is None:
        index[key] = iri
    elif isinstance(found, str):
        if found != iri:
            index[key] = {found, iri}
    else:
        found.add(iri)


def _ids(found: str | set[str] | None) -> Iterable[str]:
    """The IRIs an index entry holds (see :class:`_Names`)."""
    if found is None:
        return ()
    return (found,) if isinstance(found, str) else found


def _local_id(iri: URIRef) -> str:
    text = str(iri)
    for ns in _LONGEST_FIRST:
        if text.startswith(ns) and text != ns:
            return text[len(ns) :]
    return text


def _first_label(graph: Graph, iri: URIRef, kind: str) -> str | None:
    labels = _labels(graph, iri, kind)
    if kind in ("source", "work") and len(labels) > 1:
        return labels[1]
    return labels[0] if labels else None


def _names(graph: Graph) -> _Names:
    return _CACHE.get(graph, "names", _Names)


def resolve(graph: Graph, name: str, kinds: Sequence[str] | None = None) -> URIRef:
    """The IRI a name stands for.

    Args:
        graph: The graph.
        name: A key, label, acronym, alias, name, IRI or prefixed name.
        kinds: Only consider these kinds (``source``, ``work``, ``person``,
            ``organisation``, ``concept``).

    Raises:
        NameNotFound: No entity has that name (the message suggests close ones).
        AmbiguousName: Several entities have it (the message lists them).
    """
    return URIRef(entity(graph, name, kinds).iri)


def entity(graph: Graph, name: str, kinds: Sequence[str] | None = None) -> Entity:
    """Like :func:`resolve`, but the whole :class:`Entity`."""
    return _names(graph).resolve(name, kinds)


# --------------------------------------------------------------------------- listings


@dataclass(frozen=True)
class SourceRow:
    """A source (ingested document) or cited work.

    Attributes:
        key: Its store key.
        kind: ``source`` or ``work``.
        type: FaBiO class local name (``JournalArticle``), or ``Expression``.
        year: Publication year, or None.
        title: Title (or URL, or key).
        creators: Names of its creators.
        cites: How many works of the graph it cites.
        cited_by: How many works of the graph cite it.
        broken_links: Its URLs (or DOIs at the resolver, or links in the document) that the
            latest ``kmgraph links check`` found failing, as ``status code URL``.
    """

    key: str
    kind: str
    type: str
    year: int | None
    title: str
    creators: tuple[str, ...] = ()
    cites: int = 0
    cited_by: int = 0
    broken_links: tuple[str, ...] = ()


def _narrower_closure(graph: Graph, root: URIRef) -> set[URIRef]:
    """The concept and every concept narrower than it, at any depth."""
    return {c for c in graph.transitive_subjects(SKOS.broader, root) if isinstance(c, URIRef)}


def _sub_organisations(graph: Graph, root: URIRef) -> set[URIRef]:
    """The organisation and every part of it, at any depth."""
    return {o for o in graph.transitive_subjects(ORG.subOrganizationOf, root) if isinstance(o, URIRef)}


def sources(
    graph: Graph,
    concept: str | None = None,
    organisation: str | None = None,
    author: str | None = None,
    years: tuple[int | None, int | None] | None = None,
    kind: str | None = None,
    broken_links: bool = False,
) -> list[SourceRow]:
    """Sources and cited works, filtered; sorted by key.

    Args:
        graph: The graph.
        concept: Only works about this concept or a narrower one.
        organisation: Only works published, created, mentioned or funded by this
            organisation or one of its sub-organisations.
        author: Only works created by this person or organisation.
        years: Inclusive range ``(from, to)``; either end may be None.
        kind: ``source`` (ingested documents) or ``work`` (cited works) only.
        broken_links: Only those with a link the latest link check found failing
            (:mod:`kmgraph.graph.linkhealth`).

    Raises:
        NameNotFound, AmbiguousName: A name that does not resolve.
    """
    view = _view(graph)
    wanted: set[str] | None = None
    failing = _failing_links(graph)

    def keep(found: Iterable[str]) -> None:
        nonlocal wanted
        found = set(found)
        wanted = found if wanted is None else wanted & found

    if concept is not None:
        targets = {str(c) for c in _narrower_closure(graph, resolve(graph, concept, ["concept"]))}
        keep(u for u, v, t in view.edges(keys=True) if t == "subject" and v in targets)
    if organisation is not None:
        targets = {str(o) for o in _sub_organisations(graph, resolve(graph, organisation, ["organisation"]))}
        keep(u for u, v, t in view.edges(keys=True) if t in ("publisher", "creator", "mentions", "funded_by") and v in targets)
    if author is not None:
        who = str(resolve(graph, author, ["person", "organisation"]))
        keep(u for u, v, t in view.edges(keys=True) if t == "creator" and v == who)
    if broken_links:
        keep(failing)
    rows = []
    for node, data in view.nodes(data=True):
        if data["type"] not in ("source", "work") or (kind and data["type"] != kind):
            continue
        if wanted is not None and node not in wanted:
            continue
        year = data.get("year")
        if years is not None:
            lo, hi = years
            if year is None or (lo is not None and year < lo) or (hi is not None and year > hi):
                continue
        iri = URIRef(node)
        types = sorted(str(t)[len(str(FABIO._NS)) :] for t in graph.objects(iri, RDF.type) if str(t).startswith(str(FABIO._NS)))
        specific = [t for t in types if t != "Expression"] or types or ["Expression"]
        creators = tuple(
            view.nodes[v]["label"] for _, v, t in sorted(view.out_edges(node, keys=True)) if t == "creator"
        )
        rows.append(
            SourceRow(
                key=str(data["key"]),
                kind=str(data["type"]),
                type=specific[0],
                year=year,
                title=str(data["label"]),
                creators=creators,
                cites=sum(1 for _, _, t in view.out_edges(node, keys=True) if t == "cites"),
                cited_by=sum(1 for _, _, t in view.in_edges(node, keys=True) if t == "cites"),
                broken_links=tuple(failing.get(node, ())),
            )
        )
    return sorted(rows, key=lambda r: r.key)


def _failing_links(graph: Graph) -> dict[str, list[str]]:
    """Failing link checks by the IRI of the source or work they are about."""
    from kmgraph.linkcheck.record import FAILING

    out: dict[str, list[str]] = defaultdict(list)
    for check in set(graph.subjects(RDF.type, KMG.LinkCheck)):
        status = str(graph.value(check, KMG.linkStatus) or "")
        if status not in FAILING:
            continue
        code = graph.value(check, KMG.httpStatus)
        text = " ".join(str(x) for x in (status, code, graph.value(check, KMG.checkedURL)) if x is not None)
        for about in graph.objects(check, KMG.linkCheckOf):
            out[str(about)].append(text)
    for texts in out.values():
        texts.sort()
    return out


@dataclass(frozen=True)
class ConceptCount:
    """A concept with how much the graph uses it.

    Attributes:
        id: Concept id.
        label: Preferred label.
        documents: Works having it as subject.
        occurrences: Times the tagger found it, over all documents.
        broader: Ids of its broader concepts.
    """

    id: str
    label: str
    documents: int
    occurrences: int
    broader: tuple[str, ...] = ()


def _occurrence_totals(graph: Graph) -> dict[URIRef, tuple[set[URIRef], int]]:
    totals: dict[URIRef, tuple[set[URIRef], int]] = defaultdict(lambda: (set(), 0))
    for node in graph.subjects(RDF.type, KMG.Occurrence):
        what = graph.value(node, KMG.occurrenceOf)
        doc = graph.value(node, KMG.occursIn)
        count = graph.value(node, KMG.count)
        if isinstance(what, URIRef):
            docs, total = totals[what]
            docs.add(doc)
            totals[what] = (docs, total + (int(count) if count is not None else 0))
    return totals


def concepts(graph: Graph, *, all_concepts: bool = False) -> list[ConceptCount]:
    """Concepts with their document and occurrence counts, most used first.

    Args:
        graph: The graph.
        all_concepts: Include concepts of the scheme that no work has.
    """
    totals = _occurrence_totals(graph)
    rows = []
    for c in set(graph.subjects(RDF.type, SKOS.Concept)):
        if not isinstance(c, URIRef):
            continue
        documents = len(set(graph.subjects(DCTERMS.subject, c)))
        if not documents and not all_concepts:
            continue
        label = graph.value(c, SKOS.prefLabel)
        rows.append(
            ConceptCount(
                id=str(c)[len(str(CONCEPT)) :],
                label=str(label) if label is not None else str(c),
                documents=documents,
                occurrences=totals.get(c, (set(), 0))[1],
                broader=tuple(sorted(str(b)[len(str(CONCEPT)) :] for b in graph.objects(c, SKOS.broader))),
            )
        )
    return sorted(rows, key=lambda r: (-r.documents, -r.occurrences, r.label))


@dataclass(frozen=True)
class OrganisationCount:
    """An organisation with how the graph links to it.

    Attributes:
        id: Register id, or the slug of a name not in the register.
        label: Name.
        registered: True for an organisation of the register.
        documents: Documents that name it in their text.
        occurrences: Times the tagger found it, over all documents.
        published: Works it published.
        created: Works it is a creator of.
        funded: Sources (or organisations) it funds (``frapo:isFundedBy``).
        members: People whose affiliation it is (``org:memberOf``).
    """

    id: str
    label: str
    registered: bool
    documents: int
    occurrences: int
    published: int
    created: int
    funded: int = 0
    members: int = 0


def organisations(graph: Graph, *, all_organisations: bool = False) -> list[OrganisationCount]:
    """Organisations with their counts, most linked first.

    Args:
        graph: The graph.
        all_organisations: Include register entries nothing links to.
    """
    totals = _occurrence_totals(graph)
    rows = []
    for o in set(graph.subjects(RDF.type, ORG.Organization)):
        if not isinstance(o, URIRef):
            continue
        documents = len(set(graph.subjects(KMG.mentions, o)))
        published = len(set(graph.subjects(DCTERMS.publisher, o)))
        created = len(set(graph.subjects(DCTERMS.creator, o)))
        funded = len(set(graph.subjects(FRAPO.isFundedBy, o)))
        members = len(set(graph.subjects(ORG.memberOf, o)))
        if not (documents or published or created or funded or members or all_organisations):
            continue
        kind = node_kind(graph, o)
        if kind != "organisation":
            continue
        label = graph.value(o, SKOS.prefLabel) or graph.value(o, FOAF.name)
        rows.append(
            OrganisationCount(
                id=_local_id(o),
                label=str(label) if label is not None else _local_id(o),
                registered=(o, KMG.inRegister, None) in graph,
                documents=documents,
                occurrences=totals.get(o, (set(), 0))[1],
                published=published,
                created=created,
                funded=funded,
                members=members,
            )
        )
    return sorted(rows, key=lambda r: (-(r.documents + r.published + r.created + r.funded + r.members), -r.occurrences, r.label))


# --------------------------------------------------------------------------- related


@dataclass(frozen=True)
class Related:
    """A work related to the seed, with the evidence.

    Attributes:
        key: Its store key (or id for a work named in prose).
        kind: ``source`` or ``work``.
        label: Title.
        score: The ranking score, 0..1.
        coupling: Bibliographic-coupling cosine.
        cocitation: Co-citation cosine.
        concepts: Shared-concept score (Adamic–Adar, normalised).
        organisations: Shared-organisation score (same).
        cocited_by: Keys of the documents citing both.
        shared_references: Keys of the works both cite.
        shared_concepts: Labels of the concepts both have (directly or one level up).
        shared_organisations: Names of the organisations both link to.
        direct: ``cites`` (the seed cites it), ``cited by`` (it cites the seed) or "".
        explanation: One line for people.
    """

    key: str
    kind: str
    label: str
    score: float
    coupling: float = 0.0
    cocitation: float = 0.0
    concepts: float = 0.0
    organisations: float = 0.0
    cocited_by: tuple[str, ...] = ()
    shared_references: tuple[str, ...] = ()
    shared_concepts: tuple[str, ...] = ()
    shared_organisations: tuple[str, ...] = ()
    direct: str = ""
    explanation: str = ""


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _some(items: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(items[:limit])
    return f"{shown}, …" if len(items) > limit else shown


def _cosine(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / math.sqrt(len(a) * len(b))


def related(graph: Graph, key: str, by: str = "all", top: int = 10) -> list[Related]:
    """Works related to one work, best first, each with its explanation.

    Args:
        graph: The graph.
        key: The seed: a key, title or IRI of a source or work.
        by: ``all``, ``cocitation``, ``coupling``, ``concepts`` or ``organisations``.
        top: How many results at most.

    Raises:
        NameNotFound, AmbiguousName: The seed does not resolve.
        UsageError: ``by`` is not one of :data:`BY`.
    """
    from kmgraph.errors import UsageError

    if by not in BY:
        raise UsageError(f"--by must be one of {', '.join(BY)}, not {by!r}")
    view = _view(graph)
    seed = str(resolve(graph, key, ["source", "work"]))
    rel = _CACHE.get(graph, "relations", lambda g: _Relations(_view(g)))
    return rel.rank(view, seed, by, top)


class _Relations:
    """The sets ``related`` compares, indexed once per graph (see :func:`related`).

    Only works that share something with the seed (a citer, a reference, a concept, an
    organisation, or a direct citation) can score above 0, so :meth:`rank` scores just
    those, then writes the explanations of the ``top`` best only.
    """

    def __init__(self, view: nx.MultiDiGraph) -> None:
        works = [n for n, d in view.nodes(data=True) if d["type"] in ("source", "work")]
        self.position = {w: i for i, w in enumerate(works)}
        self.ident = {w: str(view.nodes[w]["key"]) for w in works}
        refs: dict[str, set[str]] = defaultdict(set)
        citers: dict[str, set[str]] = defaultdict(set)
        topics: dict[str, set[str]] = defaultdict(set)
        orgs: dict[str, set[str]] = defaultdict(set)
        broader: dict[str, set[str]] = defaultdict(set)
        for u, v, t in view.edges(keys=True):
            if t == "cites":
                refs[u].add(v)
                citers[v].add(u)
            elif t == "subject":
                topics[u].add(v)
            elif t in ("publisher", "creator", "mentions") and view.nodes[v]["type"] == "organisation":
                orgs[u].add(v)
            elif t == "broader":
                broader[u].add(v)
        self.refs, self.citers, self.topics, self.orgs = refs, citers, topics, orgs
        self.expanded = {w: topics[w] | {b for c in topics[w] for b in broader[c]} for w in works if w in topics}
        self.by_concept: dict[str, set[str]] = defaultdict(set)
        self.by_org: dict[str, set[str]] = defaultdict(set)
        for w in works:
            for c in self.expanded.get(w, ()):
                self.by_concept[c].add(w)
            for o in orgs.get(w, ()):
                self.by_org[o].add(w)
        self.concept_weight = {c: 1 / math.log(max(len(ws), 2)) for c, ws in self.by_concept.items()}
        self.org_weight = {o: 1 / math.log(max(len(ws), 2)) for o, ws in self.by_org.items()}

    def _candidates(self, seed: str, by: str) -> tuple[set[str], dict[str, int], dict[str, int]]:
        """The works that can score above 0 for ``by``, with, for each, how many
        documents cite it and the seed (co-citation) and how many works both cite
        (coupling), counted while they are gathered."""
        empty: set[str] = set()
        cocited: dict[str, int] = defaultdict(int)
        coupled: dict[str, int] = defaultdict(int)
        found: set[str] = set()
        if by in ("all", "cocitation"):
            for citing in self.citers.get(seed, empty):
                for other in self.refs.get(citing, empty):
                    cocited[other] += 1
            found.update(cocited)
        if by in ("all", "coupling"):
            for ref in self.refs.get(seed, empty):
                for other in self.citers.get(ref, empty):
                    coupled[other] += 1
            found.update(coupled)
        if by in ("all", "concepts"):
            for c in self.expanded.get(seed, empty):
                found |= self.by_concept[c]
        if by in ("all", "organisations"):
            for o in self.orgs.get(seed, empty):
                found |= self.by_org[o]
        if by == "all":
            found |= self.refs.get(seed, empty) | self.citers.get(seed, empty)
        found.discard(seed)
        return {w for w in found if w in self.position}, cocited, coupled

    def _shared(self, seed: str, other: str, weights: dict[str, float], sets: dict[str, set[str]], total: float) -> float:
        """The Adamic–Adar share of what ``seed`` and ``other`` both have (concepts or
        organisations), 0..1."""
        if not total:
            return 0.0
        empty: set[str] = set()
        return sum(weights[z] for z in sets.get(seed, empty) & sets.get(other, empty)) / total

    def rank(self, view: nx.MultiDiGraph, seed: str, by: str, top: int) -> list[Related]:
        empty: set[str] = set()
        refs, citers, orgs = self.refs, self.citers, self.orgs
        seed_refs, seed_citers = refs.get(seed, empty), citers.get(seed, empty)
        seed_k, seed_o = self.expanded.get(seed, empty), orgs.get(seed, empty)
        self_k = sum(self.concept_weight[z] for z in seed_k)
        self_o = sum(self.org_weight[z] for z in seed_o)
        label = lambda n: str(view.nodes[n]["label"])  # noqa: E731
        ident = lambda n: str(view.nodes[n]["key"])  # noqa: E731
        candidates, cocited, coupled = self._candidates(seed, by)
        # The cosines from the counts: the same numbers as _cosine on the sets.
        n_citers, n_refs = len(seed_citers), len(seed_refs)
        cocitation = lambda o: cocited[o] / math.sqrt(n_citers * len(citers[o])) if cocited.get(o) else 0.0  # noqa: E731
        coupling = lambda o: coupled[o] / math.sqrt(n_refs * len(refs[o])) if coupled.get(o) else 0.0  # noqa: E731
        concepts = lambda o: self._shared(seed, o, self.concept_weight, self.expanded, self_k)  # noqa: E731
        organisations = lambda o: self._shared(seed, o, self.org_weight, orgs, self_o)  # noqa: E731
        if by == "all":
            measure = lambda o: (  # noqa: E731
                WEIGHTS["coupling"] * coupling(o)
                + WEIGHTS["cocitation"] * cocitation(o)
                + WEIGHTS["concepts"] * concepts(o)
                + WEIGHTS["organisations"] * organisations(o)
                + WEIGHTS["direct"] * (1.0 if o in seed_refs or seed in refs.get(o, empty) else 0.0)
            )
        else:
            measure = {"cocitation": cocitation, "coupling": coupling, "concepts": concepts, "organisations": organisations}[by]
        scored = []
        for other in candidates:
            score = measure(other)
            if score > 0:
                scored.append((-round(score, 4), self.ident[other], self.position[other], other, score))
        scored.sort()
        results = []
        for *_, other, score in scored[: max(top, 0)]:
            cc = _cosine(seed_citers, citers.get(other, empty))
            bc = _cosine(seed_refs, refs.get(other, empty))
            kc, oc = concepts(other), organisations(other)
            direct = "cites" if other in seed_refs else "cited by" if seed in refs.get(other, empty) else ""
            cocited = sorted(ident(n) for n in seed_citers & citers.get(other, empty))
            shared_refs = sorted(ident(n) for n in seed_refs & refs.get(other, empty))
            shared_k = seed_k & self.expanded.get(other, empty)
            shared_o = seed_o & orgs.get(other, empty)
            direct_k = self.topics.get(seed, empty) & self.topics.get(other, empty)
            concept_labels = sorted(label(c) for c in direct_k) + sorted(label(c) for c in shared_k - direct_k)
            org_labels = sorted(label(o) for o in shared_o)
            parts = []
            if cocited:
                parts.append(f"cited together by {_plural(len(cocited), 'document')} ({_some(cocited)})")
            if shared_refs:
                parts.append(f"both cite {_plural(len(shared_refs), 'work')} ({_some(shared_refs)})")
            if concept_labels and by in ("all", "concepts"):
                parts.append(f"shares {_plural(len(concept_labels), 'concept')} ({_some(concept_labels)})")
            if org_labels and by in ("all", "organisations"):
                parts.append(f"shares {_plural(len(org_labels), 'organisation')} ({_some(org_labels)})")
            if direct == "cites":
                parts.append("cited by the seed")
            elif direct:
                parts.append("cites the seed")
            results.append(
                Related(
                    key=ident(other),
                    kind=str(view.nodes[other]["type"]),
                    label=label(other),
                    score=round(score, 4),
                    coupling=round(bc, 4),
                    cocitation=round(cc, 4),
                    concepts=round(kc, 4),
                    organisations=round(oc, 4),
                    cocited_by=tuple(cocited),
                    shared_references=tuple(shared_refs),
                    shared_concepts=tuple(concept_labels),
                    shared_organisations=tuple(org_labels),
                    direct=direct,
                    explanation="; ".join(parts),
                )
            )
        return results


# --------------------------------------------------------------------------- paths


@dataclass(frozen=True)
class PathStep:
    """One edge of a path, read from the earlier entity to the later one.

    Attributes:
        source: The entity the step starts from.
        relation: How it reads ("is cited by", "is about" ...).
        target: The entity it reaches.
        edge: The edge type of the view (``cites``, ``subject`` ...).
        forward: True when the edge points from ``source`` to ``target``.
    """

    source: Entity
    relation: str
    target: Entity
    edge: str
    forward: bool

    def __str__(self) -> str:
        return f"{self.source.label} ({self.source.kind}) {self.relation} {self.target.label} ({self.target.kind})"


@dataclass(frozen=True)
class Path:
    """A shortest path between two entities; ``steps`` is empty when there is none."""

    start: Entity
    end: Entity
    steps: tuple[PathStep, ...] = field(default_factory=tuple)

    @property
    def found(self) -> bool:
        """True when the entities are connected (or the same)."""
        return bool(self.steps) or self.start.iri == self.end.iri

    def explain(self) -> list[str]:
        """One line per step, for people."""
        return [str(step) for step in self.steps]


def _undirected(view: nx.MultiDiGraph) -> nx.Graph:
    """The view without directions and parallel edges, edges added in sorted order (so
    that the first of equally short paths is the same on every run)."""
    undirected = nx.Graph()
    undirected.add_nodes_from(view.nodes)
    undirected.add_edges_from(sorted(view.edges()))
    return undirected


def _entity_of(view: nx.MultiDiGraph, node: str, graph: Graph) -> Entity:
    names = _names(graph)
    if node in names.entities:
        return names.entities[node]
    data = view.nodes[node]
    return Entity(node, str(data["type"]), str(data["key"]), str(data["label"]))


def path(graph: Graph, a: str, b: str) -> Path:
    """The shortest path between two entities of any kind, explained edge by edge.

    Edges are followed in both directions; among equally short paths the first in node
    order wins, so the answer is stable.

    Raises:
        NameNotFound, AmbiguousName: A name does not resolve.
    """
    view = _view(graph)
    start = entity(graph, a)
    end = entity(graph, b)
    if start.iri not in view or end.iri not in view:
        return Path(start, end)
    undirected = _CACHE.get(graph, "undirected", lambda g: _undirected(_view(g)))
    try:
        nodes = nx.shortest_path(undirected, start.iri, end.iri)
    except nx.NetworkXNoPath:
        return Path(start, end)
    steps = []
    for u, v in zip(nodes, nodes[1:], strict=False):
        forward = sorted(view.get_edge_data(u, v, default={}))
        backward = sorted(view.get_edge_data(v, u, default={}))
        if forward:
            edge, relation, is_forward = forward[0], EDGE_LABELS[forward[0]][0], True
        else:
            edge, relation, is_forward = backward[0], EDGE_LABELS[backward[0]][1], False
        steps.append(PathStep(_entity_of(view, u, graph), relation, _entity_of(view, v, graph), edge, is_forward))
    return Path(start, end, tuple(steps))


# --------------------------------------------------------------------------- rank


@dataclass(frozen=True)
class Ranked:
    """An entity with its centrality score."""

    id: str
    kind: str
    label: str
    score: float


def rank(graph: Graph, kind: str | None = None, method: str = "pagerank", top: int | None = 20) -> list[Ranked]:
    """The most central entities, best first.

    Args:
        graph: The graph.
        kind: Only this kind (``source``, ``work``, ``person``, ``organisation``,
            ``concept``); ``source`` includes ingested documents and cited works.
        method: ``pagerank`` (on the directed view: works pass importance to what they
            cite, their creators, publishers and concepts) or ``degree`` (degree
            centrality, directions ignored).
        top: How many at most (None: all).

    Raises:
        UsageError: An unknown method or kind.
    """
    from kmgraph.errors import UsageError

    if method not in ("pagerank", "degree"):
        raise UsageError(f"--method must be pagerank or degree, not {method!r}")
    if kind is not None and kind not in ("source", "work", "person", "organisation", "concept"):
        raise UsageError(f"--type must be source, work, person, organisation or concept, not {kind!r}")
    view = _view(graph)
    simple = nx.DiGraph()
    simple.add_nodes_from(view.nodes)
    for u, v in view.edges():
        simple.add_edge(u, v, weight=simple[u][v]["weight"] + 1.0 if simple.has_edge(u, v) else 1.0)
    scores = nx.pagerank(simple, weight="weight") if method == "pagerank" else nx.degree_centrality(simple.to_undirected())
    kinds = {"source": ("source", "work")}.get(kind or "", (kind,) if kind else None)
    rows = [
        Ranked(str(d["key"]), str(d["type"]), str(d["label"]), round(scores[n], 6))
        for n, d in view.nodes(data=True)
        if kinds is None or d["type"] in kinds
    ]
    rows.sort(key=lambda r: (-r.score, r.kind, r.id))
    return rows if top is None else rows[:top]


# --------------------------------------------------------------------------- clusters


@dataclass(frozen=True)
class Cluster:
    """A community of the graph.

    Attributes:
        id: 1-based, largest community first.
        size: Number of entities.
        top_concepts: Labels of its most linked concepts (in it, or of its works).
        sources: Keys of its sources and works.
        organisations: Names of its organisations.
        people: Names of its people.
        concepts: Labels of its concepts.
    """

    id: int
    size: int
    top_concepts: tuple[str, ...]
    sources: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    concepts: tuple[str, ...] = ()


def clusters(graph: Graph, *, seed: int = 42, resolution: float = 1.0, min_size: int = 2, top_concepts: int = 5) -> list[Cluster]:
    """Communities by Louvain (``networkx.community.louvain_communities``, seeded).

    Args:
        graph: The graph.
        seed: The random seed (the same seed gives the same communities).
        resolution: Louvain's resolution; above 1 gives smaller communities.
        min_size: Leave out communities smaller than this.
        top_concepts: How many concepts name each community.
    """
    view = _view(graph)
    undirected = nx.Graph()
    undirected.add_nodes_from(view.nodes)
    for u, v in sorted(view.edges()):
        w = undirected[u][v]["weight"] + 1.0 if undirected.has_edge(u, v) else 1.0
        undirected.add_edge(u, v, weight=w)
    found = nx.community.louvain_communities(undirected, weight="weight", resolution=resolution, seed=seed)
    ordered = sorted((sorted(c) for c in found), key=lambda c: (-len(c), c[0]))
    out = []
    for members in ordered:
        if len(members) < min_size:
            continue
        member_set = set(members)
        tally: dict[str, int] = defaultdict(int)
        for node in members:
            data = view.nodes[node]
            if data["type"] == "concept":
                tally[node] += sum(1 for u in view.predecessors(node) if u in member_set)
            elif data["type"] in ("source", "work"):
                for _, v, t in view.out_edges(node, keys=True):
                    if t == "subject":
                        tally[v] += 1
        best = sorted(tally, key=lambda c: (-tally[c], str(view.nodes[c]["label"])))[:top_concepts]

        def of(kind: str, attr: str = "label", nodes: list[str] = members) -> tuple[str, ...]:
            kinds = ("source", "work") if kind == "source" else (kind,)
            return tuple(sorted(str(view.nodes[n][attr]) for n in nodes if view.nodes[n]["type"] in kinds))

        out.append(
            Cluster(
                id=len(out) + 1,
                size=len(members),
                top_concepts=tuple(str(view.nodes[c]["label"]) for c in best),
                sources=of("source", "key"),
                organisations=of("organisation"),
                people=of("person"),
                concepts=of("concept"),
            )
        )
    return out


# --------------------------------------------------------------------------- SPARQL


@dataclass(frozen=True)
class SparqlResult:
    """The result of a SPARQL query.

    Attributes:
        kind: ``select``, ``ask``, ``construct`` or ``describe``.
        variables: Column names (SELECT).
        rows: One dict per solution, values as strings (None when unbound).
        boolean: The answer of an ASK.
        graph: The graph of a CONSTRUCT or DESCRIBE.
    """

    kind: str
    variables: tuple[str, ...] = ()
    rows: tuple[dict[str, str | None], ...] = ()
    boolean: bool | None = None
    graph: Graph | None = None


# Text that may spell SERVICE (also through a \\u escape, which SPARQL expands before parsing).
_MAYBE_SERVICE = re.compile(r"(?i)service|\\u")


def sparql(graph: Graph, query: str) -> SparqlResult:
    """Run a SPARQL 1.1 query with the project prefixes bound (``work:``, ``cito:`` ...).

    On an Oxigraph store the text goes straight to Oxigraph, which parses and runs it
    (a query that might use ``SERVICE`` is first checked by rdflib's parser, which
    refuses it); on rdflib's memory store rdflib parses and runs it.

    Raises:
        InvalidQuery: The query does not parse (or is an update), uses ``SERVICE``, or
            fails to run.
    """
    import rdflib.plugins.sparql as rdflib_sparql
    from rdflib.plugins.sparql import prepareQuery
    from rdflib.plugins.sparql.parserutils import CompValue

    # The query runs on the built graph only: FROM <…> loads nothing from disk or the web.
    rdflib_sparql.SPARQL_LOAD_GRAPHS = False
    inner = oxigraph_store(graph)
    if inner is not None and not _MAYBE_SERVICE.search(query):
        return _run_oxigraph(inner, query)
    try:
        prepared = prepareQuery(query, initNs=PREFIXES)
    except Exception as exc:  # pyparsing errors and rdflib's own
        message = " ".join(str(exc).split())
        raise InvalidQuery(f"invalid SPARQL query: {message[:300]}") from None

    def has_service(node: object) -> bool:
        if isinstance(node, CompValue):
            return node.name == "ServiceGraphPattern" or any(has_service(v) for v in node.values())
        if isinstance(node, (list, tuple)):
            return any(has_service(v) for v in node)
        return False

    if has_service(prepared.algebra):
        raise InvalidQuery("SERVICE is not supported: queries run on the local graph only")
    from rdflib.store import Store as _RdfStore

    from kmgraph.errors import KmgraphError

    # A store with its own SPARQL engine (Oxigraph, an endpoint) is given the text.
    own_engine = type(graph.store).query is not _RdfStore.query
    try:
        return _run_sparql(graph, query if own_engine else prepared)
    except KmgraphError:  # InvalidQuery, an endpoint that cannot be reached
        raise
    except Exception as exc:  # evaluation is lazy: errors surface while reading results
        raise InvalidQuery(f"the SPARQL query failed: {' '.join(str(exc).split())[:300]}") from None


def _ox_text(value: Any) -> str | None:
    """A result value as ``str()`` of the rdflib term gives it (lexical form, IRI, label)."""
    if value is None:
        return None
    text = getattr(value, "value", None)  # a quoted triple (RDF-star) has none
    return text if isinstance(text, str) else str(value)


def _run_oxigraph(inner: Any, query: str) -> SparqlResult:
    """Run a query on Oxigraph's own engine: the answers of ``_run_sparql`` through
    oxrdflib, without rdflib's parser or result objects."""
    import pyoxigraph as ox

    try:
        result = inner.query(query, prefixes=dict(PREFIXES))
    except SyntaxError as exc:
        raise InvalidQuery(f"invalid SPARQL query: {' '.join(str(exc).split())[:300]}") from None
    except Exception as exc:  # noqa: BLE001 - Oxigraph's evaluation errors
        raise InvalidQuery(f"the SPARQL query failed: {' '.join(str(exc).split())[:300]}") from None
    try:
        if isinstance(result, ox.QueryBoolean):
            return SparqlResult("ask", boolean=bool(result))
        if isinstance(result, ox.QuerySolutions):
            variables = tuple(v.value for v in result.variables)
            rows = tuple({name: _ox_text(row[i]) for i, name in enumerate(variables)} for row in result)
            return SparqlResult("select", variables=variables, rows=rows)
        from oxrdflib._converter import from_ox
        from rdflib import XSD

        out = Graph()
        for prefix, ns in PREFIXES.items():
            out.bind(prefix, ns)
        for triple in result:
            s, p, o = from_ox(triple)
            if isinstance(o, Literal) and o.datatype == XSD.string:
                o = Literal(str(o))  # plain, as rdflib has it
            out.add((s, p, o))
        return SparqlResult("construct", graph=out)
    except InvalidQuery:
        raise
    except Exception as exc:  # noqa: BLE001 - evaluation is lazy: errors surface while reading
        raise InvalidQuery(f"the SPARQL query failed: {' '.join(str(exc).split())[:300]}") from None


def _run_sparql(graph: Graph, prepared: Any) -> SparqlResult:
    result = graph.query(prepared, initNs=PREFIXES)
    kind = str(result.type).lower()
    if kind == "ask":
        return SparqlResult("ask", boolean=bool(result.askAnswer))
    if kind in ("construct", "describe"):
        out = Graph()
        for prefix, ns in PREFIXES.items():
            out.bind(prefix, ns)
        for triple in result.graph or ():
            out.add(triple)
        return SparqlResult(kind, graph=out)
    variables = tuple(str(v) for v in (result.vars or ()))
    rows = tuple(
        {name: (None if row[i] is None else str(row[i])) for i, name in enumerate(variables)} for row in result
    )
    return SparqlResult("select", variables=variables, rows=rows)

