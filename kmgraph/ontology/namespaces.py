"""Namespaces of the knowledge graph as rdflib ``DefinedNamespace`` classes.

rdflib ships DCTERMS, FOAF, ORG, PROV, SKOS, SDO and friends; this module adds the
project's own terms (:class:`KMG`, kept equal to ``ontology/kmgraph.ttl`` by a test) and
the terms kmgraph uses from vocabularies rdflib lacks: FaBiO, CiTO, BiRO, C4O, FRAPO and
BIBO. Each class has ``_fail = True``: a misspelt term is an ``AttributeError`` at the
point of use, not a silent new IRI.

It also names the IRI patterns of the things the graph is about (plain namespaces, since
their members are data, not terms): works ``WORK``, people ``PERSON``, organisations
outside the register ``AGENT``, reference entries ``REF``, in-text pointers ``POINTER``,
citations ``CITATION``, occurrences ``OCCURRENCE``, named graphs ``GRAPH`` and the
extraction runs ``RUN``. Concepts and registered organisations keep the namespaces of
:mod:`kmgraph.ontology.vocabulary` (``CONCEPT``, ``ORGID``).

Example:
    >>> from kmgraph.ontology.namespaces import CITO, KMG, WORK
    >>> str(CITO.cites)
    'http://purl.org/spar/cito/cites'
    >>> str(WORK["levin2008thinking"])
    'https://w3id.org/kmgraph/work/levin2008thinking'
    >>> KMG.count in KMG
    True
"""

# No `from __future__ import annotations` here: DefinedNamespace reads the annotations
# (`name: URIRef`) as classes, e.g. in `as_jsonld_context`.

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SDO, SKOS, XSD, DefinedNamespace

from kmgraph.ontology.vocabulary import CONCEPT, COUNTRY, ORGID

__all__ = [
    "AGENT",
    "BASE",
    "BIBO",
    "BIRO",
    "C4O",
    "CITATION",
    "CITO",
    "CONCEPT",
    "FABIO",
    "FRAPO",
    "GRAPH",
    "KMG",
    "OCCURRENCE",
    "ORGID",
    "PERSON",
    "POINTER",
    "PREFIXES",
    "REF",
    "RUN",
    "SHAPES",
    "VENUE",
    "WORK",
]

BASE = "https://w3id.org/kmgraph/"


class KMG(DefinedNamespace):
    """The project's own terms, ``https://w3id.org/kmgraph/ns#`` (``ontology/kmgraph.ttl``)."""

    _NS = Namespace("https://w3id.org/kmgraph/ns#")
    _fail = True

    # concept scheme and register
    ambiguousLabel: URIRef  # an acronym shared with another meaning; resolved per document
    OrganisationRegister: URIRef  # the register of organisations (like a skos:ConceptScheme)
    inRegister: URIRef  # relates an organisation to the register that lists it
    # the graph
    SourceDocument: URIRef  # a document kmgraph read (a source of the graph)
    documentPath: URIRef  # its path relative to the working directory
    contentHash: URIRef  # SHA-256 of the bytes a named graph was extracted from
    storeHash: URIRef  # SHA-256 of the store entries a named graph depends on
    mentions: URIRef  # a document names an organisation or a work in its text
    Occurrence: URIRef  # the occurrences of one concept or organisation in one document
    occursIn: URIRef  # the document of an occurrence
    occurrenceOf: URIRef  # the concept or organisation of an occurrence
    count: URIRef  # how many times
    line: URIRef  # a 1-based line of the document
    column: URIRef  # a 1-based column of the document
    # link health (kmgraph links check)
    LinkCheck: URIRef  # the latest verdict of the link checker on one URL
    linkCheckOf: URIRef  # the source or work whose link was checked
    checkedURL: URIRef  # the URL checked
    linkStatus: URIRef  # the verdict: ok, redirected, broken ...
    httpStatus: URIRef  # the HTTP status code that decided
    finalURL: URIRef  # where the redirects ended


class FABIO(DefinedNamespace):
    """FRBR-aligned Bibliographic Ontology: the kinds of works."""

    _NS = Namespace("http://purl.org/spar/fabio/")
    _fail = True

    Expression: URIRef
    JournalArticle: URIRef
    Book: URIRef
    BookChapter: URIRef
    ProceedingsPaper: URIRef
    ReportDocument: URIRef
    Thesis: URIRef
    DoctoralThesis: URIRef
    MastersThesis: URIRef
    WebContent: URIRef
    BlogPost: URIRef
    Presentation: URIRef
    Manuscript: URIRef
    InstructionManual: URIRef
    PolicyDocument: URIRef
    WhitePaper: URIRef
    Preprint: URIRef
    Journal: URIRef
    AcademicProceedings: URIRef
    hasPublicationYear: URIRef
    hasURL: URIRef


class CITO(DefinedNamespace):
    """Citation Typing Ontology: citations and their characterisation."""

    _NS = Namespace("http://purl.org/spar/cito/")
    _fail = True

    cites: URIRef
    citesAsAuthority: URIRef
    citesAsRecommendedReading: URIRef
    citesAsEvidence: URIRef
    citesForInformation: URIRef
    usesMethodIn: URIRef
    Citation: URIRef
    hasCitingEntity: URIRef
    hasCitedEntity: URIRef
    hasCitationCharacterization: URIRef


class BIRO(DefinedNamespace):
    """Bibliographic Reference Ontology: reference-list entries."""

    _NS = Namespace("http://purl.org/spar/biro/")
    _fail = True

    BibliographicReference: URIRef
    references: URIRef


class C4O(DefinedNamespace):
    """Citation Counting and Context Characterisation Ontology: in-text pointers, contexts."""

    _NS = Namespace("http://purl.org/spar/c4o/")
    _fail = True

    InTextReferencePointer: URIRef
    hasContent: URIRef
    hasContext: URIRef
    denotes: URIRef
    hasInTextCitationFrequency: URIRef


class FRAPO(DefinedNamespace):
    """Funding, Research Administration and Projects Ontology (the terms kmgraph uses)."""

    _NS = Namespace("http://purl.org/cerif/frapo/")
    _fail = True

    FundingAgency: URIRef
    hasAcronym: URIRef
    isFundedBy: URIRef


class BIBO(DefinedNamespace):
    """Bibliographic Ontology (the DOI only, bare ``10.x/...``)."""

    _NS = Namespace("http://purl.org/ontology/bibo/")
    _fail = True

    doi: URIRef


WORK = Namespace(BASE + "work/")
"""Sources and cited works; the local name is the BibTeX key."""
PERSON = Namespace(BASE + "person/")
"""People; the local name is ``family-initial`` (``levin-b``)."""
AGENT = Namespace(BASE + "agent/")
"""Organisations that are not in the register (a publisher named in a reference)."""
VENUE = Namespace(BASE + "venue/")
"""Journals and proceedings that works are part of."""
REF = Namespace(BASE + "ref/")
"""Reference-list entries: ``ref/<source key>/<n>``."""
POINTER = Namespace(BASE + "pointer/")
"""In-text reference pointers (markers): ``pointer/<source key>/<n>``."""
CITATION = Namespace(BASE + "citation/")
"""Citations with their characterisation: ``citation/<citing key>/<cited key>``."""
OCCURRENCE = Namespace(BASE + "occurrence/")
"""Occurrences of a concept or organisation: ``occurrence/<source key>/<id>``."""
GRAPH = Namespace(BASE + "graph/")
"""Named graphs: ``graph/ontology``, ``graph/store``, ``graph/provenance``, ``graph/source/<key>``."""
RUN = Namespace(BASE + "run/")
"""Extraction activities and the software agent."""
SHAPES = Namespace(BASE + "shapes#")
"""The SHACL shapes of ``ontology/shapes.ttl``."""

#: Prefixes bound in every graph, SPARQL query and Turtle export (sorted by prefix).
PREFIXES: dict[str, str] = {
    "agent": str(AGENT),
    "bibo": str(BIBO._NS),
    "biro": str(BIRO._NS),
    "c4o": str(C4O._NS),
    "citation": str(CITATION),
    "cito": str(CITO._NS),
    "concept": str(CONCEPT),
    "country": str(COUNTRY),
    "dcterms": str(DCTERMS),
    "fabio": str(FABIO._NS),
    "foaf": str(FOAF),
    "frapo": str(FRAPO._NS),
    "graph": str(GRAPH),
    "kmg": str(KMG._NS),
    "occurrence": str(OCCURRENCE),
    "org": str(ORG),
    "orgid": str(ORGID),
    "owl": str(OWL),
    "person": str(PERSON),
    "pointer": str(POINTER),
    "prov": str(PROV),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "ref": str(REF),
    "run": str(RUN),
    "schema": str(SDO),
    "skos": str(SKOS),
    "venue": str(VENUE),
    "work": str(WORK),
    "xsd": str(XSD),
}
