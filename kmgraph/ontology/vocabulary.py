"""Where the ontology data lives, and its concepts and organisations as Python records.

The Turtle files of the top-level ``ontology/`` folder are the source of truth. The wheel
carries a copy inside the package (``kmgraph/ontology/data/``); a checkout reads the folder
directly. :func:`load_vocabulary` reads the concept scheme and the organisation register
once per process into a :class:`Vocabulary` of frozen records.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, SKOS

__all__ = [
    "CONCEPT",
    "COUNTRY",
    "FRAPO",
    "KMG",
    "ORGID",
    "Concept",
    "Organisation",
    "Vocabulary",
    "data_dir",
    "load_graph",
    "load_vocabulary",
    "vocabulary_from_graph",
]

KMG = Namespace("https://w3id.org/kmgraph/ns#")
"""The project's own terms (``kmg:``), defined in ``ontology/kmgraph.ttl``."""
CONCEPT = Namespace("https://w3id.org/kmgraph/concept/")
"""Concepts of the KM scheme; the namespace IRI itself names the scheme."""
ORGID = Namespace("https://w3id.org/kmgraph/org/")
"""Organisations of the register; the namespace IRI itself names the register."""
FRAPO = Namespace("http://purl.org/cerif/frapo/")
"""The Funding, Research Administration and Projects Ontology (``frapo:hasAcronym``...)."""
COUNTRY = Namespace("http://publications.europa.eu/resource/authority/country/")
"""EU Publications Office country authority (ISO 3166-1 alpha-3 codes)."""

_PACKAGE_DIR = Path(__file__).resolve().parent


def data_dir() -> Path:
    """The folder of the ontology's Turtle files.

    Returns:
        ``kmgraph/ontology/data`` inside an installed wheel when it holds Turtle files,
        else the checkout's top-level ``ontology/`` folder.

    Raises:
        FileNotFoundError: When neither exists (a broken installation).
    """
    packaged = _PACKAGE_DIR / "data"
    if packaged.is_dir() and any(packaged.glob("*.ttl")):
        return packaged
    checkout = _PACKAGE_DIR.parent.parent / "ontology"
    if checkout.is_dir() and any(checkout.glob("*.ttl")):
        return checkout
    raise FileNotFoundError(f"ontology data not found in {packaged} or {checkout}")


def load_graph(directory: Path | None = None) -> Graph:
    """Parse every ``.ttl`` file of the ontology folder into one graph.

    Args:
        directory: The folder to read; defaults to :func:`data_dir`.

    Returns:
        A new in-memory graph with the files' prefixes bound.
    """
    graph = Graph()
    for path in sorted((directory or data_dir()).glob("*.ttl")):
        graph.parse(path, format="turtle")
    graph.bind("kmg", KMG)
    graph.bind("concept", CONCEPT)
    graph.bind("orgid", ORGID)
    graph.bind("frapo", FRAPO)
    return graph


@dataclass(frozen=True)
class Concept:
    """A concept of the KM scheme.

    Attributes:
        id: The slug of the concept's IRI (``knowledge-mobilization``).
        iri: The full IRI.
        pref_label: The preferred label (lower case, US spelling).
        alt_labels: Acronyms, other spellings and names.
        hidden_labels: Matching-only phrasings; ``…`` stands for 0 to 3 words.
        ambiguous_labels: Labels (acronyms) shared with another meaning, resolved per
            document by the tagger.
        definition: The definition, naming the source it follows.
        broader: Ids of broader concepts.
        narrower: Ids of narrower concepts (as stated or implied by ``skos:broader``).
        related: Ids of related concepts (either direction).
    """

    id: str
    iri: str
    pref_label: str
    alt_labels: tuple[str, ...] = ()
    hidden_labels: tuple[str, ...] = ()
    ambiguous_labels: tuple[str, ...] = ()
    definition: str = ""
    broader: tuple[str, ...] = ()
    narrower: tuple[str, ...] = ()
    related: tuple[str, ...] = ()


@dataclass(frozen=True)
class Organisation:
    """An organisation of the register.

    Attributes:
        id: The slug of the organisation's IRI (``esrc``).
        iri: The full IRI.
        name: The preferred name.
        aliases: Other names (not acronyms), e.g. former or translated names.
        acronyms: Acronyms and short forms, matched case-sensitively.
        country: ISO 3166-1 alpha-3 code (``CAN``, ``GBR``) or None for international ones.
        homepage: The home page URL, when known.
        parent: Id of the organisation it is part of (``org:subOrganizationOf``), or None.
        funder: True when typed ``frapo:FundingAgency``.
    """

    id: str
    iri: str
    name: str
    aliases: tuple[str, ...] = ()
    acronyms: tuple[str, ...] = ()
    country: str | None = None
    homepage: str | None = None
    parent: str | None = None
    funder: bool = False

    @property
    def labels(self) -> tuple[str, ...]:
        """The name, aliases and acronyms, without repeats."""
        return tuple(dict.fromkeys((self.name, *self.aliases, *self.acronyms)))


@dataclass(frozen=True)
class Vocabulary:
    """The concept scheme and the organisation register, in id order.

    Attributes:
        concepts: Every concept of the scheme.
        organisations: Every organisation of the register.
    """

    concepts: tuple[Concept, ...]
    organisations: tuple[Organisation, ...]

    @cached_property
    def _concepts_by_id(self) -> dict[str, Concept]:
        return {c.id: c for c in self.concepts} | {c.iri: c for c in self.concepts}

    @cached_property
    def _organisations_by_id(self) -> dict[str, Organisation]:
        return {o.id: o for o in self.organisations} | {o.iri: o for o in self.organisations}

    def concept(self, key: str) -> Concept:
        """The concept with this id or IRI.

        Raises:
            KeyError: When there is none.
        """
        return self._concepts_by_id[key]

    def organisation(self, key: str) -> Organisation:
        """The organisation with this id or IRI.

        Raises:
            KeyError: When there is none.
        """
        return self._organisations_by_id[key]


def _slug(iri: URIRef, namespace: Namespace) -> str:
    text = str(iri)
    return text.removeprefix(str(namespace))


def _texts(graph: Graph, subject: URIRef, predicate: URIRef) -> tuple[str, ...]:
    values = sorted(str(o) for o in graph.objects(subject, predicate) if isinstance(o, Literal))
    return tuple(values)


def _first(graph: Graph, subject: URIRef, predicate: URIRef, lang: str = "en") -> str | None:
    values = [o for o in graph.objects(subject, predicate) if isinstance(o, Literal)]
    if not values:
        return None
    preferred = [o for o in values if o.language in (lang, None)]
    return str(min(preferred or values, key=str))


def _ids(graph: Graph, subject: URIRef, predicate: URIRef, namespace: Namespace) -> set[str]:
    return {_slug(o, namespace) for o in graph.objects(subject, predicate) if isinstance(o, URIRef)}


def vocabulary_from_graph(graph: Graph) -> Vocabulary:
    """Read the concepts and organisations out of a graph.

    Args:
        graph: A graph holding the concept scheme and the organisation register.

    Returns:
        The vocabulary, concepts and organisations sorted by id.
    """
    concepts = []
    for subject in set(graph.subjects(RDF.type, SKOS.Concept)):
        if not isinstance(subject, URIRef):
            continue
        cid = _slug(subject, CONCEPT)
        broader = _ids(graph, subject, SKOS.broader, CONCEPT)
        narrower = _ids(graph, subject, SKOS.narrower, CONCEPT)
        narrower |= {_slug(s, CONCEPT) for s in graph.subjects(SKOS.broader, subject)}
        broader |= {_slug(s, CONCEPT) for s in graph.subjects(SKOS.narrower, subject)}
        related = _ids(graph, subject, SKOS.related, CONCEPT)
        related |= {_slug(s, CONCEPT) for s in graph.subjects(SKOS.related, subject)}
        concepts.append(
            Concept(
                id=cid,
                iri=str(subject),
                pref_label=_first(graph, subject, SKOS.prefLabel) or cid,
                alt_labels=_texts(graph, subject, SKOS.altLabel),
                hidden_labels=_texts(graph, subject, SKOS.hiddenLabel),
                ambiguous_labels=_texts(graph, subject, KMG.ambiguousLabel),
                definition=_first(graph, subject, SKOS.definition) or "",
                broader=tuple(sorted(broader)),
                narrower=tuple(sorted(narrower)),
                related=tuple(sorted(related - {cid})),
            )
        )
    organisations = []
    for subject in set(graph.subjects(RDF.type, ORG.Organization)):
        if not isinstance(subject, URIRef):
            continue
        oid = _slug(subject, ORGID)
        name = _first(graph, subject, SKOS.prefLabel) or _first(graph, subject, FOAF.name) or oid
        acronyms = _texts(graph, subject, FRAPO.hasAcronym)
        others = _texts(graph, subject, SKOS.altLabel) + _texts(graph, subject, SKOS.hiddenLabel)
        aliases = tuple(a for a in dict.fromkeys(others) if a not in acronyms and a != name)
        country = next(
            (_slug(o, COUNTRY) for o in graph.objects(subject, DCTERMS.spatial) if isinstance(o, URIRef)),
            None,
        )
        homepage = next((str(o) for o in graph.objects(subject, FOAF.homepage)), None)
        parent = next(
            (_slug(o, ORGID) for o in sorted(graph.objects(subject, ORG.subOrganizationOf))),
            None,
        )
        organisations.append(
            Organisation(
                id=oid,
                iri=str(subject),
                name=name,
                aliases=aliases,
                acronyms=acronyms,
                country=country,
                homepage=homepage,
                parent=parent,
                funder=(subject, RDF.type, FRAPO.FundingAgency) in graph,
            )
        )
    return Vocabulary(
        concepts=tuple(sorted(concepts, key=lambda c: c.id)),
        organisations=tuple(sorted(organisations, key=lambda o: o.id)),
    )


@lru_cache(maxsize=1)
def load_vocabulary() -> Vocabulary:
    """The vocabulary of the shipped ontology, read once per process."""
    return vocabulary_from_graph(load_graph())
