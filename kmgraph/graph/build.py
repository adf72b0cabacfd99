"""Build the knowledge graph from the BibTeX store and the extraction of its documents.

The graph is a dataset of named graphs, which carry the provenance:

``graph:ontology``
    The shipped concept scheme, organisation register and kmgraph terms
    (``ontology/kmgraph.ttl``, ``concepts.ttl``, ``organisations.ttl``).
``graph:store``
    What the store says, rebuilt on every build (it is cheap): every entry as a work
    (``fabio:Expression`` plus a FaBiO type, ``dcterms:identifier`` the key, title,
    creators, publisher, year, URL, DOI, the raw reference as
    ``dcterms:bibliographicCitation``), ingested documents also ``kmg:SourceDocument``
    with ``kmg:documentPath``, ``cito:cites`` from ``kmgraph-cited-by``, people
    (``foaf:Person``) and organisations (the register's IRI when the name, an alias or
    an acronym is in the register, else a minted ``agent:`` IRI).
``graph:source/<key>``
    What the extractor found in one document (re-read from disk): reference-list entries
    (``biro:BibliographicReference`` with ``c4o:hasContent`` and ``biro:references``),
    typed citations (``cito:Citation``, and ``cito:citesAsRecommendedReading`` for a
    "Further reading" list), in-text markers (``c4o:InTextReferencePointer`` with the
    sentence as context), concepts (``dcterms:subject``) and organisations
    (``kmg:mentions``) with their counts (``kmg:Occurrence``), works named in prose
    (``kmg:mentions``), funders (``frapo:isFundedBy``, the funder a
    ``frapo:FundingAgency``) and the affiliations of the document's authors
    (``org:memberOf``), from the text, the metadata and the document's store entry.
``graph:provenance``
    One ``prov:Entity`` per document graph: the document it was derived from, its path,
    the SHA-256 of the document's bytes and of the store entries it depends on, and the
    extraction activity and software agent.
``graph:links``
    The latest link-check verdicts (:mod:`kmgraph.graph.linkhealth`).

IRIs are stable: ``work:<key>``, ``person:<family>-<initial>``, ``orgid:<register id>``,
``agent:<slug of the name>``, ``concept:<id>``; reference entries and pointers are
numbered in document order. The same store and documents give the same graph.

How it is made. The statements are written as N-Triples text (each term in the form
:func:`kmgraph.graph.serialize.term_nt` gives), one named graph at a time, and handed to a
*sink*: rdflib's in-memory :class:`~rdflib.Dataset` (:func:`build`), or, for
``kmgraph graph build``, straight to the saved N-Quads file or into an Oxigraph folder
(:func:`build_into`, used by :func:`kmgraph.graph.workspace.update_graph`) without an
rdflib object per statement: a graph of millions of statements then builds in about a
minute and in a fraction of the memory of rdflib's store.

The store is read through :func:`read_store`, which can keep what it derives from the
``.bib`` files (the parsed entries and their match keys) in a JSON cache, used only when
every file of the store is byte for byte the one it was made from; the ``.bib`` files
stay authoritative, and any doubt reads them again with bibtexparser.

Incremental: given the previous graph, a document whose bytes and store entries have
not changed keeps its named graph as it was (no re-extraction); only changed documents
are extracted again, and graphs of documents gone from the store are dropped.

Example:
    >>> from kmgraph.graph.build import build_graph
    >>> ds = build_graph("references")  # doctest: +SKIP
    >>> len(ds)  # doctest: +SKIP
"""

from __future__ import annotations

import collections
import hashlib
import json
import math
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from rdflib import RDF, RDFS, XSD, Dataset, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, PROV, SDO, SKOS

from kmgraph import __version__
from kmgraph.errors import InputError
from kmgraph.ontology.namespaces import (
    AGENT,
    BIBO,
    BIRO,
    C4O,
    CITATION,
    CITO,
    CONCEPT,
    FABIO,
    FRAPO,
    GRAPH,
    KMG,
    OCCURRENCE,
    ORGID,
    PERSON,
    POINTER,
    PREFIXES,
    REF,
    RUN,
    VENUE,
    WORK,
)
from kmgraph.ontology.vocabulary import data_dir, load_vocabulary
from kmgraph.references.bibtex import (
    CITED_BY,
    DOCUMENT,
    RAW,
    entry_fields,
    from_bibtex,
    latex_unescape,
    split_cited_by,
)
from kmgraph.references.dedup import (
    MatchIndex,
    MatchInfo,
    match_info,
    normalize_doi,
    normalize_title,
)
from kmgraph.references.keys import ascii_fold
from kmgraph.references.store import STATE_FILE, Store

__all__ = [
    "ONTOLOGY_FILES",
    "BuildReport",
    "BuildResult",
    "GraphSink",
    "PreviousGraph",
    "StoreSnapshot",
    "build",
    "build_graph",
    "build_into",
    "new_dataset",
    "read_store",
    "source_graph_id",
]

#: The ontology files loaded into ``graph:ontology`` (``shapes.ttl`` is not data).
ONTOLOGY_FILES = ("kmgraph.ttl", "concepts.ttl", "organisations.ttl")

ONTOLOGY_GRAPH = GRAPH["ontology"]
STORE_GRAPH = GRAPH["store"]
PROVENANCE_GRAPH = GRAPH["provenance"]
LINKS_GRAPH = GRAPH["links"]
EXTRACT_RUN = RUN["extract"]
SOFTWARE = RUN["kmgraph"]

# Entry type (after kmgraph's aliases) -> FaBiO class; the raw BibTeX type refines theses.
_FABIO_TYPES: Mapping[str, URIRef] = {
    "article": FABIO.JournalArticle,
    "book": FABIO.Book,
    "incollection": FABIO.BookChapter,
    "inbook": FABIO.BookChapter,
    "inproceedings": FABIO.ProceedingsPaper,
    "report": FABIO.ReportDocument,
    "techreport": FABIO.ReportDocument,
    "thesis": FABIO.Thesis,
    "phdthesis": FABIO.DoctoralThesis,
    "mastersthesis": FABIO.MastersThesis,
    "online": FABIO.WebContent,
    "webpage": FABIO.WebContent,
    "blogpost": FABIO.BlogPost,
    "unpublished": FABIO.Manuscript,
    "manual": FABIO.InstructionManual,
    "presentation": FABIO.Presentation,
    "slides": FABIO.Presentation,
    "preprint": FABIO.Preprint,
}
_VENUE_TYPES: Mapping[str, URIRef] = {
    "article": FABIO.Journal,
    "inproceedings": FABIO.AcademicProceedings,
    "incollection": FABIO.Book,
}
# Reference-list headings that say the works are recommended reading (CiTO typing rule).
_RECOMMENDED = re.compile(r"further reading|useful (?:links|resources)|resources|recommended|see also|reading list", re.I)
# Words that make an author without a comma an organisation rather than a person.
_ORG_WORDS = frozenset(
    """university universite college council institute institut centre center foundation agency
    network association trust commission society department ministry office project research
    government academy academies hospital group partnership alliance consortium board service
    services organization organisation committee library press bank unit school authority team""".split()
)
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")


def source_graph_id(key: str) -> URIRef:
    """The named graph of one ingested document: ``graph:source/<key>``."""
    return GRAPH[f"source/{key}"]


def new_dataset() -> Dataset:
    """An empty in-memory dataset (union default graph) with the project prefixes bound."""
    ds = Dataset(default_union=True)
    for prefix, ns in PREFIXES.items():
        ds.bind(prefix, ns, override=True, replace=True)
    return ds


@lru_cache(maxsize=300_000)
def _fold(text: str) -> str:
    """:func:`~kmgraph.references.keys.ascii_fold`, remembered: names recur across works."""
    return ascii_fold(text)


def slug(text: str) -> str:
    """Lower-case ASCII words joined by hyphens (``"UNU-INWEH"`` gives ``unu-inweh``)."""
    return "-".join(_fold(text).split())


# --------------------------------------------------------------------------- terms
#
# Statements are tuples of three terms in N-Triples syntax, exactly as
# kmgraph.graph.serialize.term_nt writes the rdflib term (rdflib's _quoteLiteral):
# IRIs in angle brackets, literals quoted with \\ \n \" \r escaped, a datatype after ^^.

Triple = tuple[str, str, str]

_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", '"': '\\"', "\r": "\\r"})


def _n(iri: object) -> str:
    """An IRI in N-Triples syntax."""
    return f"<{iri}>"


def _lit(text: object) -> str:
    """A plain literal (``Literal(text)`` of a string)."""
    return '"' + str(text).translate(_ESCAPES) + '"'


def _typed(text: object, datatype: str) -> str:
    """A literal with a datatype given as N-Triples IRI (rdflib keeps a string lexical form as given)."""
    return '"' + str(text).translate(_ESCAPES) + '"^^' + datatype


_INTEGER = _n(XSD.integer)
_NON_NEGATIVE = _n(XSD.nonNegativeInteger)
_GYEAR = _n(XSD.gYear)
_GYEARMONTH = _n(XSD.gYearMonth)
_DATE = _n(XSD.date)
_ANYURI = _n(XSD.anyURI)


def _int(value: int) -> str:
    """``Literal(value)`` of an int: xsd:integer."""
    return f'"{int(value)}"^^{_INTEGER}'


_A = _n(RDF.type)
_LABEL = _n(RDFS.label)
_TITLE = _n(DCTERMS.title)
_CREATOR = _n(DCTERMS.creator)
_PUBLISHER = _n(DCTERMS.publisher)
_IS_PART_OF = _n(DCTERMS.isPartOf)
_HAS_PART = _n(DCTERMS.hasPart)
_IDENTIFIER = _n(DCTERMS.identifier)
_ISSUED = _n(DCTERMS.issued)
_SUBJECT = _n(DCTERMS.subject)
_BIB_CITATION = _n(DCTERMS.bibliographicCitation)
_EXPRESSION = _n(FABIO.Expression)
_PUB_YEAR = _n(FABIO.hasPublicationYear)
_HAS_URL = _n(FABIO.hasURL)
_DOI = _n(BIBO.doi)
_SOURCE_DOCUMENT = _n(KMG.SourceDocument)
_DOCUMENT_PATH = _n(KMG.documentPath)
_KMG_LINE = _n(KMG.line)
_KMG_COLUMN = _n(KMG.column)
_KMG_MENTIONS = _n(KMG.mentions)
_OCCURRENCE_CLASS = _n(KMG.Occurrence)
_OCCURS_IN = _n(KMG.occursIn)
_OCCURRENCE_OF = _n(KMG.occurrenceOf)
_COUNT = _n(KMG.count)
_CONTENT_HASH = _n(KMG.contentHash)
_STORE_HASH = _n(KMG.storeHash)
_CITES = _n(CITO.cites)
_RECOMMENDED_READING = _n(CITO.citesAsRecommendedReading)
_CITATION_CLASS = _n(CITO.Citation)
_CITING = _n(CITO.hasCitingEntity)
_CITED = _n(CITO.hasCitedEntity)
_CHARACTERIZATION = _n(CITO.hasCitationCharacterization)
_BIB_REFERENCE = _n(BIRO.BibliographicReference)
_REFERENCES = _n(BIRO.references)
_HAS_CONTENT = _n(C4O.hasContent)
_POINTER_CLASS = _n(C4O.InTextReferencePointer)
_HAS_CONTEXT = _n(C4O.hasContext)
_DENOTES = _n(C4O.denotes)
_FREQUENCY = _n(C4O.hasInTextCitationFrequency)
_PERSON_CLASS = _n(FOAF.Person)
_NAME = _n(FOAF.name)
_FAMILY_NAME = _n(FOAF.familyName)
_GIVEN_NAME = _n(FOAF.givenName)
_ORGANIZATION = _n(ORG.Organization)
_PREF_LABEL = _n(SKOS.prefLabel)
_PROV_ENTITY = _n(PROV.Entity)
_DERIVED_FROM = _n(PROV.wasDerivedFrom)
_GENERATED_BY = _n(PROV.wasGeneratedBy)
_EXTRACT_RUN = _n(EXTRACT_RUN)
_SOFTWARE = _n(SOFTWARE)
_WORK_NS = str(WORK)
_FABIO_NT = {k: _n(v) for k, v in _FABIO_TYPES.items()}
_VENUE_NT = {k: _n(v) for k, v in _VENUE_TYPES.items()}


def _work(key: str) -> str:
    return f"<{_WORK_NS}{key}>"


_UNESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.S)
_SIMPLE_ESCAPES = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text

    def one(m: re.Match[str]) -> str:
        if m.group(1) or m.group(2):
            return chr(int(m.group(1) or m.group(2), 16))
        return _SIMPLE_ESCAPES.get(m.group(3), m.group(0))

    return _UNESCAPE.sub(one, text)


def term_of(nt: str) -> Any:
    """The rdflib term of an N-Triples term (an IRI, a literal; ``_:`` a blank node).

    >>> term_of('"a \\\\"b\\\\""^^<http://www.w3.org/2001/XMLSchema#string>').value
    'a "b"'
    """
    from rdflib import BNode

    if nt.startswith("<"):
        return URIRef(nt[1:-1])
    if nt.startswith("_:"):
        return BNode(nt[2:])
    end = nt.rfind('"')
    body = _unescape(nt[1:end])
    rest = nt[end + 1 :]
    if rest.startswith("^^"):
        return Literal(body, datatype=URIRef(rest[3:-1]))
    if rest.startswith("@"):
        return Literal(body, lang=rest[1:])
    return Literal(body)


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class BuildReport:
    """What a build did.

    Attributes:
        documents: Store keys of the ingested documents, sorted.
        extracted: Keys whose document was (re-)extracted this time.
        reused: Keys whose named graph was kept from the previous build.
        missing: Keys whose document is not on disk or cannot be read (described from the store alone).
        dropped: Keys whose graph was in the previous build but not in the store now.
        warnings: One line each (a document that cannot be read, a duplicate key ...).
        quads: Number of statements in the dataset.
        link_checks: Link-check verdicts put into ``graph:links``.
    """

    documents: tuple[str, ...] = ()
    extracted: tuple[str, ...] = ()
    reused: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    quads: int = 0
    link_checks: int = 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (the ``graph build --format json`` contract)."""
        return {
            "documents": list(self.documents),
            "extracted": list(self.extracted),
            "reused": list(self.reused),
            "missing": list(self.missing),
            "dropped": list(self.dropped),
            "warnings": list(self.warnings),
            "quads": self.quads,
            "link_checks": self.link_checks,
        }


class BuildResult:
    """The built dataset and the report.

    A build written straight to a file or an Oxigraph folder (:func:`build_into`) has no
    dataset in memory; ``dataset`` then opens the saved graph on first use.
    """

    def __init__(self, dataset: Dataset | None, report: BuildReport, *, opener: Callable[[], Dataset] | None = None) -> None:
        self._dataset = dataset
        self._opener = opener
        self.report = report

    @property
    def dataset(self) -> Dataset:
        """The dataset (read from where it was saved, the first time, for a streamed build)."""
        if self._dataset is None:
            if self._opener is None:
                raise ValueError("this build result has no dataset")
            self._dataset = self._opener()
        return self._dataset

    def __repr__(self) -> str:
        return f"BuildResult(report={self.report!r})"


@dataclass
class _Entry:
    key: str
    entry_type: str
    fields: dict[str, Any]
    cited_by: list[str]
    document: str | None
    raw: str | None
    part: str  # the entry's share of the store hash: JSON of [key, type, sorted BibTeX fields]
    info: MatchInfo


class GraphSink(Protocol):
    """Where :func:`build_into` puts the graph: each named graph once, complete."""

    def add_graph(self, name: str, triples: Iterable[Triple]) -> int:
        """Take one named graph (its IRI, its statements in N-Triples terms, a statement
        possibly more than once); return how many distinct statements it has."""
        ...  # pragma: no cover

    def render(self, name: str, triples: list[Triple]) -> Any:
        """A document graph in the form :meth:`add_rendered` takes; must not change the
        sink (worker processes call it)."""
        ...  # pragma: no cover

    def add_rendered(self, name: str, rendered: Any) -> int:
        """Take a document graph made by :meth:`render`; return its number of statements."""
        ...  # pragma: no cover


class PreviousGraph(Protocol):
    """The previous build, as an incremental build reads it."""

    def hashes(self) -> dict[str, tuple[str, str]]:
        """Per document key, the content and store hashes its graph was built from."""
        ...  # pragma: no cover

    def triples(self, name: str) -> Iterable[Triple]:
        """The statements of one named graph, in N-Triples terms."""
        ...  # pragma: no cover


# --------------------------------------------------------------------------- agents


def _norm_name(name: str) -> str:
    text = name.replace("\u2019", "'").replace("'s ", " ").replace("&", " and ")
    words = _fold(text).split()
    return " ".join(w for w in words if w != "the")


@lru_cache(maxsize=1)
def _register_index() -> tuple[dict[str, str], dict[str, str]]:
    """Register names and aliases (folded) and acronyms (exact) -> register id."""
    names: dict[str, str] = {}
    acronyms: dict[str, str] = {}
    for organisation in load_vocabulary().organisations:
        for label in (organisation.name, *organisation.aliases):
            names.setdefault(_norm_name(label), organisation.id)
        for acronym in organisation.acronyms:
            acronyms.setdefault(acronym, organisation.id)
    return names, acronyms


def register_id(name: str) -> str | None:
    """The register id of an organisation named ``name`` (name, alias or acronym), or None."""
    names, acronyms = _register_index()
    text = name.strip()
    if text in acronyms:
        return acronyms[text]
    return names.get(_norm_name(text))


def _looks_like_organisation(name: str) -> bool:
    words = _fold(name).split()
    return len(words) >= 4 or any(w in _ORG_WORDS for w in words)


@lru_cache(maxsize=200_000)
def _organisation_of(name: str) -> tuple[str, str | None]:
    """(IRI, local name of a minted ``agent:`` IRI or None for the register's)."""
    rid = register_id(name)
    if rid is not None:
        return _n(ORGID[rid]), None
    local = slug(name) or "unnamed"
    return f"<{AGENT}{local}>", local


@lru_cache(maxsize=200_000)
def _author_of(name: str) -> tuple[str, str, str | None, str | None]:
    """(IRI, local name, family, given) of a person, or (IRI, local, None, None) of an
    organisation (local None for the register's); ``name`` has its spaces collapsed."""
    if "," not in name:
        if register_id(name) is not None or _looks_like_organisation(name):
            iri, local = _organisation_of(name)
            return iri, local or "", None, None
        family, given = name, ""
    else:
        family, given = (part.strip() for part in name.split(",", 1))
    initial = _fold(given)[:1]
    local = "-".join(p for p in (slug(family), initial) if p) or "unnamed"
    return f"<{PERSON}{local}>", local, family, given


class _Agents:
    """People and organisations met while building one graph, with their names."""

    def __init__(self) -> None:
        self.people: dict[str, tuple[str, str, str]] = {}  # local -> (iri, family, given)
        self.orgs: dict[str, tuple[str, str]] = {}  # local -> (iri, name)

    def organisation(self, name: str) -> str:
        iri, local = _organisation_of(name)
        if local is not None:
            current = self.orgs.get(local)
            if current is None or (len(name), name) > (len(current[1]), current[1]):
                self.orgs[local] = (iri, name)
        return iri

    def author(self, name: str) -> str:
        name = " ".join(name.split())
        iri, local, family, given = _author_of(name)
        if family is None:
            return self.organisation(name)
        assert given is not None
        known = self.people.get(local)
        if known is None or (len(given), given) > (len(known[2]), known[2]):
            self.people[local] = (iri, family, given)
        return iri

    def describe(self, out: list[Triple]) -> None:
        add = out.append
        for iri, family, given in self.people.values():
            add((iri, _A, _PERSON_CLASS))
            display = " ".join(p for p in (given, family) if p)
            add((iri, _NAME, _lit(display)))
            add((iri, _FAMILY_NAME, _lit(family)))
            if given:
                add((iri, _GIVEN_NAME, _lit(given)))
        for iri, name in self.orgs.values():
            add((iri, _A, _ORGANIZATION))
            add((iri, _NAME, _lit(name)))
            add((iri, _PREF_LABEL, _lit(name)))


# --------------------------------------------------------------------------- works


def _issued(fields: Mapping[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    year_match = _YEAR.search(str(fields.get("year") or fields.get("date") or ""))
    if year_match:
        out.append((_PUB_YEAR, _typed(year_match.group(1), _GYEAR)))
    date = str(fields.get("date") or "")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        out.append((_ISSUED, _typed(date, _DATE)))
    elif re.fullmatch(r"\d{4}-\d{2}", date):
        out.append((_ISSUED, _typed(date, _GYEARMONTH)))
    elif year_match:
        out.append((_ISSUED, _typed(year_match.group(1), _GYEAR)))
    return out


def _fabio_type(entry_type: str, fields: Mapping[str, Any]) -> str | None:
    kind = str(fields.get("type") or "").lower()
    found = _FABIO_NT.get(entry_type.lower()) or _FABIO_NT.get(kind)
    if found is None and kind == "misc" and fields.get("url"):
        found = _n(FABIO.WebContent)
    return found


def _describe_work(out: list[Triple], iri: str, entry_type: str, fields: Mapping[str, Any], agents: _Agents) -> None:
    add = out.append
    add((iri, _A, _EXPRESSION))
    specific = _fabio_type(entry_type, fields)
    if specific is not None:
        add((iri, _A, specific))
    if fields.get("title"):
        add((iri, _TITLE, _lit(fields["title"])))
    for name in fields.get("author") or fields.get("editor") or ():
        add((iri, _CREATOR, agents.author(str(name))))
    kind = str(fields.get("type") or entry_type).lower()
    publisher = fields.get("publisher")
    container = fields.get("container")
    if not publisher and kind == "online" and container:
        publisher, container = container, None  # @online's organization field
    if publisher:
        add((iri, _PUBLISHER, agents.organisation(str(publisher))))
    if container and kind in _VENUE_NT:
        venue = f"<{VENUE}{slug(str(container)) or 'unnamed'}>"
        add((venue, _A, _VENUE_NT[kind]))
        add((venue, _TITLE, _lit(container)))
        add((iri, _IS_PART_OF, venue))
    for predicate, value in _issued(fields):
        add((iri, predicate, value))
    if fields.get("url"):
        add((iri, _HAS_URL, _typed(fields["url"], _ANYURI)))
    if fields.get("doi"):
        add((iri, _DOI, _lit(fields["doi"])))


# --------------------------------------------------------------------------- the store


@dataclass
class StoreSnapshot:
    """What a build needs from the store: its entries, parsed, by key (sorted).

    Attributes:
        path: The store folder.
        entries: Per key, the entry (the first definition of a key defined twice).
        warnings: Keys defined more than once.
        cached: True when it was read from the cache rather than the ``.bib`` files.
    """

    path: Path
    entries: dict[str, _Entry]
    warnings: list[str]
    cached: bool = False


#: Bumped whenever what the cache holds changes shape or meaning.
_CACHE_FORMAT = 2
#: The cache file in a workspace folder (``.kmgraph/``).
STORE_CACHE = "store-cache.json"


def _entry_of(key: str, entry_type: str, raw: dict[str, str]) -> _Entry:
    fields = from_bibtex(entry_type, raw)
    document = latex_unescape(raw[DOCUMENT], verbatim=True).strip() if raw.get(DOCUMENT) else None
    raw_ref = latex_unescape(raw[RAW], verbatim=True) if raw.get(RAW) else None
    return _Entry(
        key=key,
        entry_type=entry_type.lower(),
        fields=fields,
        cited_by=split_cited_by(raw.get(CITED_BY)),
        document=document,
        raw=" ".join(raw_ref.split()) if raw_ref else None,
        part=json.dumps([key, entry_type.lower(), sorted(raw.items())], ensure_ascii=False, sort_keys=True),
        # What bibtex_match_info(key, entry_type, raw) gives, without converting the fields twice.
        info=match_info(key, fields, raw=raw_ref, document=document),
    )


def _read_entries(store: Store) -> tuple[dict[str, _Entry], list[str]]:
    entries: dict[str, _Entry] = {}
    warnings: list[str] = []
    for path, entry in store.entries_by_file():
        if entry.key in entries:
            warnings.append(f"{path}: key '{entry.key}' is defined more than once; the first definition is used")
            continue
        entries[entry.key] = _entry_of(entry.key, entry.entry_type, entry_fields(entry))
    return dict(sorted(entries.items())), warnings


# The layout kmgraph writes (kmgraph.references.bibtex.render_entry): "@type{key," on a
# line, one "  name = {value}," per line (no comma after the last), "}" alone, blank lines
# between entries. Anything else is read by bibtexparser.
_HEAD = re.compile(r"@([A-Za-z][A-Za-z0-9_-]*)\{([^\s,{}()=\"#%'\\@~]+),")
_FIELD = re.compile(r"  ([A-Za-z][A-Za-z0-9_:.+-]*) = \{(.*)\}(,?)")
_BRACE = re.compile(r"[{}]")
_SPECIAL_BLOCKS = frozenset({"comment", "string", "preamble"})


def _balanced_inner(value: str) -> bool:
    """True when ``{value}`` is one braced value whose braces bibtexparser counts as they
    appear (no escaped brace, no trailing backslash, braces balanced inside)."""
    if "\\{" in value or "\\}" in value or value.endswith("\\") or value != value.strip():
        return False
    if "{" not in value and "}" not in value:
        return True
    depth = 0
    for m in _BRACE.finditer(value):
        depth += 1 if m.group() == "{" else -1
        if depth < 0:
            return False
    return depth == 0


def _quick_entries(text: str) -> list[tuple[str, str, dict[str, str]]] | None:
    """The entries of a ``.bib`` text in the layout kmgraph writes, as (key, type, fields
    with lower-case names), the way bibtexparser with the store's middleware reads them;
    None for any text not in that layout exactly (then bibtexparser reads it)."""
    out: list[tuple[str, str, dict[str, str]]] = []
    keys: set[str] = set()
    lines = text.split("\n")
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        i += 1
        if not line:
            continue
        head = _HEAD.fullmatch(line)
        if head is None or head.group(1).lower() in _SPECIAL_BLOCKS:
            return None
        key = head.group(2)
        if key.lower() in keys:
            return None  # bibtexparser makes the second one a failed block
        keys.add(key.lower())
        fields: dict[str, str] = {}
        last = False
        while True:
            if i >= n:
                return None
            line = lines[i]
            i += 1
            if line == "}":
                break
            m = _FIELD.fullmatch(line)
            if m is None or last:
                return None
            name, value, comma = m.group(1).lower(), m.group(2), m.group(3)
            if name in fields or not _balanced_inner(value):
                return None
            fields[name] = value
            last = not comma
        if not fields or not last:
            return None
        out.append((key, head.group(1), fields))
    return out


def _quick_read(folder: Path) -> tuple[dict[str, _Entry], list[str]] | None:
    """The entries of a store whose files are all in kmgraph's layout, without
    bibtexparser; None when a file is not (or cannot be read): then :meth:`Store.open`."""
    from kmgraph.references.store import _read_state

    files = _store_files(folder)
    if files is None:
        return None
    entries: dict[str, _Entry] = {}
    warnings: list[str] = []
    for file in files:
        if file.name == STATE_FILE:
            _read_state(file)  # a corrupt state file is the error Store.open gives
            continue
        try:
            text = file.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
        except (OSError, UnicodeDecodeError):
            return None
        found = _quick_entries(text)
        if found is None:
            return None
        for key, entry_type, fields in found:
            if key in entries:
                warnings.append(f"{file}: key '{key}' is defined more than once; the first definition is used")
                continue
            entries[key] = _entry_of(key, entry_type, fields)
    return dict(sorted(entries.items())), warnings


def _store_files(folder: Path) -> list[Path] | None:
    """The files :meth:`Store.open` reads, or None when the folder cannot be listed."""
    try:
        if not folder.is_dir():
            return None
        files = sorted(p for p in folder.glob("*.bib") if p.is_file())
        state = folder / STATE_FILE
        return files + [state] if state.is_file() else files
    except OSError:
        return None


def _fingerprint(folder: Path) -> list[list[Any]] | None:
    files = _store_files(folder)
    if files is None:
        return None
    out: list[list[Any]] = []
    try:
        for file in files:
            data = file.read_bytes()
            out.append([file.name, len(data), hashlib.sha256(data).hexdigest()])
    except OSError:
        return None
    return out


def _info_row(info: MatchInfo) -> list[Any]:
    return [info.key, info.role, info.doi, info.url, info.document, info.raw, info.title, sorted(info.years), info.author]


def _info_of(row: list[Any]) -> MatchInfo:
    key, role, doi, url, document, raw, title, years, author = row
    return MatchInfo(key, role, doi, url, document, raw, title, frozenset(years), author)


def _cache_header(folder: Path, fingerprint: list[list[Any]]) -> dict[str, Any]:
    # The folder as given too: the warnings the cache keeps name files by it.
    return {"format": _CACHE_FORMAT, "kmgraph": __version__, "store": str(folder.resolve()), "as": str(folder), "files": fingerprint}


def _load_cache(cache: Path, header: dict[str, Any]) -> tuple[dict[str, _Entry], list[str]] | None:
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or any(data.get(k) != v for k, v in header.items()):
            return None
        entries = {
            row[0]: _Entry(row[0], row[1], row[2], row[3], row[4], row[5], row[6], _info_of(row[7]))
            for row in data["entries"]
        }
        warnings = [str(w) for w in data["warnings"]]
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None  # no cache, or not one this version wrote: read the store
    return entries, warnings


def _plain_json(value: Any) -> bool:
    """Whether JSON gives ``value`` back equal (strings, numbers, lists, string-keyed dicts)."""
    if value is None or isinstance(value, (str, bool, int)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_plain_json(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain_json(v) for k, v in value.items())
    return False


def _save_cache(cache: Path, header: dict[str, Any], entries: Mapping[str, _Entry], warnings: list[str]) -> None:
    rows = [
        [e.key, e.entry_type, e.fields, e.cited_by, e.document, e.raw, e.part, _info_row(e.info)] for e in entries.values()
    ]
    # Only what reads back equal is kept (a tuple would come back a list, and so on).
    if not all(_plain_json(e.fields) for e in entries.values()):
        return
    try:
        text = json.dumps({**header, "entries": rows, "warnings": warnings}, ensure_ascii=False)
        cache.parent.mkdir(parents=True, exist_ok=True)
        temporary = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, cache)
    except (OSError, TypeError, ValueError):
        return  # a cache is an optimisation: a workspace that cannot hold one reads the store each time


def read_store(store: Store | str | os.PathLike[str], *, cache: str | os.PathLike[str] | None = None) -> StoreSnapshot:
    """Read what a build needs from the store.

    Args:
        store: An open :class:`~kmgraph.references.store.Store`, or its folder.
        cache: A JSON file that keeps the parsed entries between builds (for example
            ``.kmgraph/store-cache.json``), used when ``store`` is a folder whose files
            (every ``.bib`` file and the state file) are byte for byte those the cache
            was made from; otherwise the store is read with bibtexparser and the cache
            written again. None reads the store every time.

    Raises:
        StoreNotFound, StoreError: The store cannot be read.
    """
    if isinstance(store, Store):
        entries, warnings = _read_entries(store)
        return StoreSnapshot(store.path, entries, warnings)
    folder = Path(store)
    header = None
    if cache is not None:
        fingerprint = _fingerprint(folder)
        if fingerprint is not None:
            header = _cache_header(folder, fingerprint)
            found = _load_cache(Path(cache), header)
            if found is not None:
                return StoreSnapshot(folder, found[0], found[1], cached=True)
    quick = _quick_read(folder)
    entries, warnings = quick if quick is not None else _read_entries(Store.open(folder))
    if header is not None and cache is not None and _fingerprint(folder) == header["files"]:
        _save_cache(Path(cache), header, entries, warnings)
    return StoreSnapshot(folder, entries, warnings)


def _store_triples(entries: Mapping[str, _Entry], warnings: list[str]) -> Iterator[Triple]:
    """The statements of ``graph:store``, made as they are read (a store of 100,000 works
    has millions); a citing key that is not in the store is added to ``warnings``."""
    agents = _Agents()
    out: list[Triple] = []
    add = out.append
    for key, e in entries.items():
        iri = _work(key)
        _describe_work(out, iri, e.entry_type, e.fields, agents)
        add((iri, _IDENTIFIER, _lit(key)))
        if e.document:
            add((iri, _A, _SOURCE_DOCUMENT))
            add((iri, _DOCUMENT_PATH, _lit(e.document)))
        if e.raw:
            add((iri, _BIB_CITATION, _lit(e.raw)))
        for citing in e.cited_by:
            if citing in entries:
                add((_work(citing), _CITES, iri))
            else:
                warnings.append(f"entry '{key}': cited by '{citing}', which is not in the store")
        yield from out
        out.clear()
    agents.describe(out)
    yield from out


# --------------------------------------------------------------------------- documents


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@lru_cache(maxsize=1)
def _extractor_digest() -> str:
    """What else a document graph depends on: the kmgraph version and the ontology files."""
    h = hashlib.sha256(__version__.encode())
    for name in ONTOLOGY_FILES:
        h.update((data_dir() / name).read_bytes())
    return h.hexdigest()


def _cited_index(entries: Mapping[str, _Entry]) -> dict[str, list[str]]:
    """Citing key -> keys of the entries it cites (from ``kmgraph-cited-by``), sorted.

    Built once per build, so that each document's lookup is not a scan of the store.
    """
    index: dict[str, list[str]] = defaultdict(list)
    for k, e in entries.items():  # entries are sorted by key, so each list is too
        for citing in dict.fromkeys(e.cited_by):
            index[citing].append(k)
    return index


class _Digests:
    """The store hash of each document: SHA-256 of the JSON of the entries it depends on
    (itself and what it cites), each entry's JSON made once per build."""

    def __init__(self, entries: Mapping[str, _Entry], cited_index: Mapping[str, list[str]]) -> None:
        self.entries = entries
        self.cited_index = cited_index
        self._head = "[" + json.dumps(_extractor_digest(), ensure_ascii=False) + ", ["

    def __call__(self, key: str) -> str:
        # The same text as json.dumps([digest, [[key, type, items] ...]], ensure_ascii=False, sort_keys=True).
        entries = self.entries
        parts = [entries[k].part for k in [key, *self.cited_index.get(key, ())]]
        return _sha256((self._head + ", ".join(parts) + "]]").encode("utf-8"))


def _store_digest(key: str, entries: Mapping[str, _Entry], cited_index: Mapping[str, list[str]] | None = None) -> str:
    return _Digests(entries, cited_index if cited_index is not None else _cited_index(entries))(key)


def _sentence(text: str, column: int) -> str:
    """The sentence of ``text`` around the 1-based ``column``."""
    at = max(0, min(len(text), column - 1))
    start = 0
    for m in re.finditer(r"[.!?]\s+(?=[A-Z(\[\"'])", text[:at]):
        start = m.end()
    end_match = re.search(r"[.!?](?=\s+[A-Z(\[\"']|\s*$)", text[at:])
    end = at + end_match.end() if end_match else len(text)
    return " ".join(text[start:end].split())


def _document_graph(
    out: list[Triple],
    key: str,
    extraction: Any,
    index: MatchIndex,
    titles: Mapping[str, str],
    cited_here: set[str],
    entry: _Entry | None = None,
) -> None:
    """Describe what the extractor found in one document (see the module docstring);
    ``entry`` is the document's store entry (its ``funding`` and ``affiliation`` fields)."""
    from kmgraph.references.extract import find_reference_entries

    add = out.append
    src = _work(key)
    doc = extraction.document
    agents = _Agents()
    # Reference-list entries -> works of the store.
    # A reference's section is the text of a reference-list heading line of the document:
    # with no such line that reads like "Further reading", no reference is recommended
    # reading, and the sections (a second pass over the document) are not needed.
    sections = (
        {e.line: e.section for e in find_reference_entries(doc.lines, doc.path)}
        if extraction.references and any(_recommended_heading(line.text) for line in doc.lines)
        else {}
    )
    ref_by_line: dict[int, str] = {}
    ref_ns = str(REF)
    for n, ref in enumerate(extraction.references, 1):
        node = f"<{ref_ns}{key}/{n}>"
        ref_by_line[ref.line] = node
        add((node, _A, _BIB_REFERENCE))
        add((node, _HAS_CONTENT, _lit(" ".join(ref.raw.split()))))
        add((node, _KMG_LINE, _int(ref.line)))
        add((src, _HAS_PART, node))
        found = index.find_work(ref.fields, ref.raw)
        work_key = found.key if found is not None else None
        if work_key is None and ref.key in cited_here:
            work_key = ref.key
        if work_key is None:
            continue
        work = _work(work_key)
        add((node, _REFERENCES, work))
        add((src, _CITES, work))
        character = _RECOMMENDED_READING if _RECOMMENDED.search(sections.get(ref.line, "")) else _CITES
        if character != _CITES:
            add((src, character, work))
        citation = f"<{CITATION}{key}/{work_key}>"
        add((citation, _A, _CITATION_CLASS))
        add((citation, _CITING, src))
        add((citation, _CITED, work))
        add((citation, _CHARACTERIZATION, character))
    # In-text markers.
    lines = {line.number: line.text for line in doc.lines} if extraction.markers else {}
    frequency: dict[str, int] = defaultdict(int)
    pointer_ns = str(POINTER)
    for n, marker in enumerate(extraction.markers, 1):
        target = ref_by_line.get(marker.target_line) if marker.target_line is not None else None
        node = f"<{pointer_ns}{key}/{n}>"
        add((node, _A, _POINTER_CLASS))
        add((node, _HAS_CONTENT, _lit(marker.text)))
        add((node, _KMG_LINE, _int(marker.line)))
        add((node, _KMG_COLUMN, _int(marker.column)))
        sentence = _sentence(lines.get(marker.line, ""), marker.column)
        if sentence:
            context = f"<{pointer_ns}{key}/{n}/context>"
            add((node, _HAS_CONTEXT, context))
            add((context, _HAS_CONTENT, _lit(sentence)))
        if target is not None:
            add((node, _DENOTES, target))
            frequency[target] += 1
    for target, count in frequency.items():
        add((target, _FREQUENCY, f'"{int(count)}"^^{_NON_NEGATIVE}'))
    # Concepts and organisations with their counts.
    for hit in extraction.concepts:
        concept = _n(CONCEPT[hit.id])
        _occurrence(out, src, key, concept, f"concept-{hit.id}", hit.count, hit.lines)
        add((src, _SUBJECT, concept))
    for hit in extraction.organisations:
        organisation = _n(ORGID[hit.id])
        _occurrence(out, src, key, organisation, f"org-{hit.id}", hit.count, hit.lines)
        add((src, _KMG_MENTIONS, organisation))
    # Works named in prose.
    for n, mention in enumerate(extraction.mentions, 1):
        known = titles.get(normalize_title(mention.title))
        if known is not None:
            add((src, _KMG_MENTIONS, _work(known)))
            continue
        work = _work(f"{key}-mention-{n}")
        fields = {"type": mention.type, "title": mention.title, "author": list(mention.author)}
        _describe_work(out, work, mention.type, fields, agents)
        add((work, _KMG_LINE, _int(mention.line)))
        add((src, _KMG_MENTIONS, work))
    _funding(out, src, extraction, entry, agents)
    agents.describe(out)


_FUNDED_BY = _n(FRAPO.isFundedBy)
_FUNDING_AGENCY = _n(FRAPO.FundingAgency)
_MEMBER_OF = _n(ORG.memberOf)
_THESES = frozenset({"thesis", "phdthesis", "mastersthesis"})


def _entry_funding(entry: _Entry) -> tuple[list[Any], list[Any]]:
    """Funders and affiliations of a document's own store entry: its ``funding`` (or
    ``funder``) field, and its ``affiliation`` (``affiliations``; ``institution`` of a
    thesis) field, one affiliation per author separated by "and", or one for one author."""
    from kmgraph.ontology.funding import affiliations_in, funders_in

    if not any(f'["{name}' in entry.part for name in ("fund", "affiliation", "institution")):
        return [], []  # most entries: no such field, and their JSON is not parsed
    raw = {name: latex_unescape(value) for name, value in json.loads(entry.part)[2]}
    funders = [f for name in ("funding", "funder") if raw.get(name) for f in funders_in(raw[name], "bibtex")]
    value = raw.get("affiliation") or raw.get("affiliations") or (raw.get("institution") if entry.entry_type in _THESES else None)
    authors = [str(a) for a in entry.fields.get("author") or ()]
    pairs: list[tuple[str, list[str]]] = []
    if value and len(authors) == 1:
        pairs = [(authors[0], [value])]
    elif value:
        parts = re.split(r"\s+and\s+", value.strip())
        if len(parts) == len(authors):
            pairs = [(author, [part]) for author, part in zip(authors, parts, strict=True)]
    return funders, affiliations_in(pairs, "bibtex")


def _funding(out: list[Triple], src: str, extraction: Any, entry: _Entry | None, agents: _Agents) -> None:
    """``frapo:isFundedBy`` from what is funded (the document, or the registered
    organisation a statement says is funded) to each funder, typed ``frapo:FundingAgency``;
    ``org:memberOf`` from each of the document's authors to their affiliations."""
    funders = list(getattr(extraction, "funders", ()))
    affiliations = list(getattr(extraction, "affiliations", ()))
    if entry is not None:
        more_funders, more_affiliations = _entry_funding(entry)
        funders += more_funders
        affiliations += more_affiliations
    add = out.append
    for funder in funders:
        who = _n(ORGID[funder.id]) if funder.id else agents.organisation(funder.name)
        add((_n(ORGID[funder.funded_id]) if funder.funded_id else src, _FUNDED_BY, who))
        add((who, _A, _FUNDING_AGENCY))
    if not affiliations or entry is None:
        return
    # Only the document's authors as its store entry names them (described in graph:store).
    people = {_author_of(" ".join(str(a).split()))[0] for a in entry.fields.get("author") or ()}
    for affiliation in affiliations:
        person = _author_of(" ".join(affiliation.author.split()))[0]
        if person in people and person.startswith(f"<{PERSON}"):
            add((person, _MEMBER_OF, _n(ORGID[affiliation.id]) if affiliation.id else agents.organisation(affiliation.name)))


# Every match of _RECOMMENDED contains one of these, in lower case, unless the text has one
# of the characters that re.IGNORECASE folds onto an ASCII letter (İ ı ſ K).
_RECOMMENDED_WORDS = ("reading", "resources", "recommended", "see also", "useful links")
_FOLDS_TO_ASCII = ("\u0130", "\u0131", "\u017f", "\u212a")


def _recommended_heading(text: str) -> bool:
    """Whether a line could head a recommended-reading list: it names a reference list
    (what find_reference_entries takes for a heading) in words _RECOMMENDED matches."""
    from kmgraph.references.extract import REFERENCE_HEADINGS, _heading_name

    low = text.lower()
    if not any(word in low for word in _RECOMMENDED_WORDS) and not any(c in text for c in _FOLDS_TO_ASCII):
        return False
    return bool(_RECOMMENDED.search(text)) and _heading_name(text) in REFERENCE_HEADINGS


def _occurrence(out: list[Triple], src: str, key: str, what: str, local: str, count: int, lines: Iterable[int]) -> None:
    node = f"<{OCCURRENCE}{key}/{local}>"
    add = out.append
    add((node, _A, _OCCURRENCE_CLASS))
    add((node, _OCCURS_IN, src))
    add((node, _OCCURRENCE_OF, what))
    add((node, _COUNT, _int(count)))
    for line in sorted(set(lines)):
        add((node, _KMG_LINE, _int(line)))


def _provenance(out: list[Triple], key: str, path: str, content: str, store_hash: str) -> None:
    gid = _n(source_graph_id(key))
    out.append((gid, _A, _PROV_ENTITY))
    out.append((gid, _DERIVED_FROM, _work(key)))
    out.append((gid, _GENERATED_BY, _EXTRACT_RUN))
    out.append((gid, _DOCUMENT_PATH, _lit(path)))
    out.append((gid, _CONTENT_HASH, _lit(content)))
    out.append((gid, _STORE_HASH, _lit(store_hash)))


def _software(out: list[Triple]) -> None:
    out.append((_EXTRACT_RUN, _A, _n(PROV.Activity)))
    out.append((_EXTRACT_RUN, _LABEL, _lit("kmgraph extraction (references, markers, concepts, organisations)")))
    out.append((_EXTRACT_RUN, _n(PROV.wasAssociatedWith), _SOFTWARE))
    out.append((_SOFTWARE, _A, _n(PROV.SoftwareAgent)))
    out.append((_SOFTWARE, _LABEL, _lit("kmgraph")))
    out.append((_SOFTWARE, _n(SDO.softwareVersion), _lit(__version__)))


@lru_cache(maxsize=1)
def _ontology_triples() -> tuple[Triple, ...]:
    from kmgraph.graph.serialize import term_nt

    g = Graph()
    for name in ONTOLOGY_FILES:
        g.parse(data_dir() / name, format="turtle")
    return tuple((term_nt(s), term_nt(p), term_nt(o)) for s, p, o in g)


# --------------------------------------------------------------------------- link health


def _link_triples(out: list[Triple], entries: Mapping[str, _Entry], records: Mapping[str, Any] | None) -> int:
    """The statements :func:`kmgraph.graph.linkhealth.add_link_health` makes, from the
    entries (the works carrying each URL and DOI, the documents by path)."""
    if not records:
        return 0
    from kmgraph.graph.linkhealth import link_iri, matches

    by_url: dict[str, set[str]] = defaultdict(set)
    by_doi: dict[str, set[str]] = defaultdict(set)
    by_path: dict[str, set[str]] = defaultdict(set)
    for key, e in entries.items():
        if e.fields.get("url"):
            by_url[str(e.fields["url"]).strip()].add(key)
        if e.fields.get("doi"):
            doi = normalize_doi(str(e.fields["doi"]))
            if doi:
                by_doi[doi].add(key)
        if e.document:
            by_path[e.document].add(key)
    added = 0
    add = out.append
    for url, record, about in matches(records, by_url, by_doi, by_path):
        node = _n(link_iri(url))
        add((node, _A, _n(KMG.LinkCheck)))
        add((node, _n(KMG.checkedURL), _typed(url, _ANYURI)))
        add((node, _n(KMG.linkStatus), _lit(record.status)))
        if record.code is not None:
            add((node, _n(KMG.httpStatus), _int(record.code)))
        if record.final_url:
            add((node, _n(KMG.finalURL), _typed(record.final_url, _ANYURI)))
        if record.checked_at:
            add((node, _n(PROV.generatedAtTime), _typed(record.checked_at, _n(XSD.dateTime))))
        for key in about:
            add((node, _n(KMG.linkCheckOf), _work(key)))
        added += 1
    return added


# --------------------------------------------------------------------------- previous builds


class _DatasetPrevious:
    """A previous build held as an rdflib dataset."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset

    def hashes(self) -> dict[str, tuple[str, str]]:
        out = {}
        prov = self.dataset.graph(PROVENANCE_GRAPH)
        prefix = str(GRAPH["source/"])
        for gid in prov.subjects(RDF.type, PROV.Entity):
            content = prov.value(gid, KMG.contentHash)
            store_hash = prov.value(gid, KMG.storeHash)
            if str(gid).startswith(prefix) and content is not None and store_hash is not None:
                out[str(gid)[len(prefix) :]] = (str(content), str(store_hash))
        return out

    def triples(self, name: str) -> Iterator[Triple]:
        from kmgraph.graph.serialize import term_nt

        for s, p, o in self.dataset.graph(URIRef(name)):
            yield term_nt(s), term_nt(p), term_nt(o)


def hashes_from_provenance(triples: Iterable[Triple]) -> dict[str, tuple[str, str]]:
    """Per document key, (content hash, store hash) from the provenance graph's statements."""
    prefix = "<" + str(GRAPH["source/"])
    entities: set[str] = set()
    content: dict[str, str] = {}
    store: dict[str, str] = {}
    for s, p, o in triples:
        if not s.startswith(prefix):
            continue
        if p == _A and o == _PROV_ENTITY:
            entities.add(s)
        elif p == _CONTENT_HASH and o.startswith('"'):
            content.setdefault(s, _unescape(o[1 : o.rfind('"')]))
        elif p == _STORE_HASH and o.startswith('"'):
            store.setdefault(s, _unescape(o[1 : o.rfind('"')]))
    return {s[len(prefix) : -1]: (content[s], store[s]) for s in sorted(entities) if s in content and s in store}


# --------------------------------------------------------------------------- sinks


class _DatasetSink:
    """Puts each graph into rdflib's in-memory dataset."""

    def __init__(self) -> None:
        self.dataset = new_dataset()
        self._terms: dict[str, Any] = {}

    def _term(self, nt: str) -> Any:
        found = self._terms.get(nt)
        if found is None:
            found = term_of(nt)
            if nt.startswith("<") and len(self._terms) < 500_000:
                self._terms[nt] = found  # IRIs recur; most literals do not
        return found

    def add_graph(self, name: str, triples: Iterable[Triple]) -> int:
        graph = self.dataset.graph(URIRef(name))
        term = self._term
        before = len(graph)
        graph.addN((term(s), term(p), term(o), graph) for s, p, o in triples)
        return len(graph) - before

    @staticmethod
    def render(name: str, triples: list[Triple]) -> list[Triple]:
        return triples

    def add_rendered(self, name: str, rendered: list[Triple]) -> int:
        return self.add_graph(name, rendered)


# --------------------------------------------------------------------------- the build


class _ByPath(Mapping[str, Any]):
    """A mapping of extractions looked up by POSIX path, without reading its values first
    (a lazy mapping then makes each extraction only when its document is built)."""

    def __init__(self, extractions: Mapping[str, Any]) -> None:
        self._extractions = extractions
        self._keys = {str(k).replace("\\", "/"): k for k in extractions}

    def __getitem__(self, path: str) -> Any:
        return self._extractions[self._keys[path]]

    def __contains__(self, path: object) -> bool:
        return path in self._keys

    def __iter__(self) -> Any:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


def _extraction_map(extractions: Mapping[str, Any] | Sequence[Any] | None) -> Mapping[str, Any]:
    if extractions is None:
        return {}
    if isinstance(extractions, Mapping):
        return _ByPath(extractions)
    return {str(ex.document.path).replace("\\", "/"): ex for ex in extractions}


#: The environment variable that sets how many worker processes extract documents.
WORKERS_ENV = "KMGRAPH_WORKERS"
#: Documents below which the build stays in one process (workers cost more than they save).
_MIN_PARALLEL_DOCUMENTS = 64
_BATCH = 16
# Store-graph statements between two looks at the documents the workers have finished.
_DRAIN_EVERY = 20_000

# What the worker processes read (set before they are forked, inherited, never pickled).
_WORK: dict[str, Any] = {}


def _workers(asked: int | None, documents: int) -> int:
    """How many processes extract documents: ``asked``, else ``$KMGRAPH_WORKERS``, else
    the CPUs (at most 4); one where processes cannot be forked safely or for few documents."""
    import multiprocessing
    import threading

    if asked is None:
        try:
            asked = int(os.environ.get(WORKERS_ENV) or 0) or min(os.cpu_count() or 1, 4)
        except ValueError:
            asked = 1
    if asked <= 1 or documents < _MIN_PARALLEL_DOCUMENTS:
        return 1
    if "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1:
        return 1  # forking a process with threads can deadlock the child
    return asked


def _render_batch(batch: list[str]) -> list[tuple[str, Any, str | None]]:
    """Extract and describe a batch of documents: (key, rendered graph or None, warning)."""
    from kmgraph.ingest import read_document
    from kmgraph.pipeline import extract_document

    work = _WORK
    entries, given, base, render = work["entries"], work["given"], work["base"], work["render"]
    out: list[tuple[str, Any, str | None]] = []
    for key in batch:
        e = entries[key]
        extraction = given[e.document] if e.document in given else None
        if extraction is None:
            try:
                extraction = extract_document(read_document(base / e.document))
            except InputError as exc:
                out.append((key, None, f"{e.document}: cannot be read ({exc.message}); described from the store alone"))
                continue
        triples: list[Triple] = []
        _document_graph(triples, key, extraction, work["index"], work["titles"], set(work["cited_index"].get(key, ())), e)
        out.append((key, render(str(source_graph_id(key)), triples), None))
    return out


class _Documents:
    """The documents of ``keys`` extracted and rendered, in order (an iterator), by
    ``workers`` processes: forked when this is made, before the sink opens anything, so
    that they share the store's entries and the match index without copying them."""

    def __init__(self, keys: list[str], workers: int) -> None:
        self._batches = collections.deque(keys[i : i + _BATCH] for i in range(0, len(keys), _BATCH))
        self._pool: Any = None
        self._waiting: collections.deque[Any] = collections.deque()
        self._ahead = 4 * workers  # batches handed out before the build asks for them
        if workers > 1:
            import gc
            import multiprocessing

            gc.freeze()  # the inherited objects stay shared: the collector does not touch them
            try:
                self._pool = multiprocessing.get_context("fork").Pool(workers)
            finally:
                gc.unfreeze()
            self._top_up()
        self._pending: list[tuple[str, Any, str | None]] = []

    def _top_up(self) -> None:
        while self._batches and len(self._waiting) < self._ahead:
            self._waiting.append(self._pool.apply_async(_render_batch, (self._batches.popleft(),)))

    def ready(self) -> bool:
        """Whether the next document is there without waiting for a worker."""
        return bool(self._pending) or self._pool is None or (bool(self._waiting) and self._waiting[0].ready())

    def __next__(self) -> tuple[str, Any, str | None]:
        while not self._pending:
            if self._pool is None:
                if not self._batches:
                    raise StopIteration
                done = _render_batch(self._batches.popleft())
            else:
                if not self._waiting:
                    raise StopIteration
                done = self._waiting.popleft().get()
                self._top_up()
            self._pending = list(reversed(done))
        return self._pending.pop()

    def close(self) -> None:
        """Stop the worker processes."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None


def build_into(
    sink: GraphSink,
    store: Store | StoreSnapshot | str | os.PathLike[str],
    extractions: Mapping[str, Any] | Sequence[Any] | None = None,
    *,
    root: str | os.PathLike[str] | None = None,
    previous: PreviousGraph | Dataset | None = None,
    read_documents: bool = True,
    links: Mapping[str, Any] | None = None,
    workers: int | None = None,
) -> BuildReport:
    """Build the graph into a sink, one named graph at a time; see :func:`build`.

    The sink receives each named graph once, with its statements as N-Triples terms
    (the sink drops repeats): ``graph:ontology``, ``graph:store``, ``graph:links`` and
    ``graph:provenance`` (last), and each ``graph:source/<key>`` in the order of their
    IRIs, through :meth:`GraphSink.add_rendered` (while the store graph is being made,
    when workers describe the documents). Documents are extracted and described by
    ``workers`` forked processes when there are many (see :data:`WORKERS_ENV`); the
    graph is the same with any number.

    Returns:
        The :class:`BuildReport`.
    """
    snapshot = store if isinstance(store, StoreSnapshot) else read_store(store)
    entries = snapshot.entries
    warnings = list(snapshot.warnings)
    base = Path(root) if root is not None else Path.cwd()
    given = _extraction_map(extractions)
    before: PreviousGraph | None = _DatasetPrevious(previous) if isinstance(previous, Dataset) else previous
    old = before.hashes() if before is not None else {}

    cited_index = _cited_index(entries)
    digests = _Digests(entries, cited_index)
    index = MatchIndex()
    titles: dict[str, str] = {}
    for key, e in entries.items():
        if e.document is None:
            index.add(e.info)
        if e.info.title:
            titles.setdefault(e.info.title, key)

    # What each document needs: nothing (missing), its previous graph, or an extraction.
    plans: list[tuple[str, str, str, str]] = []  # (key, "missing" | "reuse" | "extract", content, store hash)
    # Graphs go out in the order of their IRIs (``source/a>`` sorts after ``source/a-b>``).
    for key in sorted((k for k, e in entries.items() if e.document is not None), key=lambda k: f"{k}>"):
        document = entries[key].document
        assert document is not None
        path = base / document
        has_given = document in given
        if not has_given and not read_documents:
            plans.append((key, "missing", "", ""))
            continue
        try:
            data = path.read_bytes() if not has_given or path.is_file() else None
        except OSError:
            data = None
        if not has_given and data is None:
            plans.append((key, "missing", "", ""))
            continue
        content = _sha256(data) if data is not None else "given"
        del data
        store_hash = digests(key)
        reuse = before is not None and not has_given and old.get(key) == (content, store_hash)
        plans.append((key, "reuse" if reuse else "extract", content, store_hash))

    to_extract = [key for key, kind, _, _ in plans if kind == "extract"]
    # A previous build held in a database (Oxigraph, with its threads) is not forked with.
    count = _workers(workers, len(to_extract)) if getattr(before, "fork_safe", True) else 1
    _WORK.update(entries=entries, given=given, base=base, index=index, titles=titles, cited_index=cited_index, render=sink.render)
    rendered = _Documents(to_extract, count)
    documents: list[str] = []
    extracted: list[str] = []
    reused: list[str] = []
    missing: list[str] = []
    late_warnings: dict[str, str] = {}
    prov: list[Triple] = []
    _software(prov)
    queue = collections.deque(plans)
    quads = 0

    def step(wait: bool) -> bool:
        """Hand the next document graph to the sink; False when none is left, or when
        ``wait`` is false and its worker has not finished it."""
        nonlocal quads
        if not queue or (not wait and queue[0][1] == "extract" and not rendered.ready()):
            return False
        key, kind, content, store_hash = queue.popleft()
        documents.append(key)
        gid = str(source_graph_id(key))
        if kind == "missing":
            missing.append(key)
            return True
        if kind == "reuse":
            assert before is not None
            quads += sink.add_graph(gid, before.triples(gid))
            reused.append(key)
        else:
            done, graph, warning = next(rendered)
            assert done == key
            if graph is None:
                late_warnings[key] = warning or ""
                missing.append(key)
                return True
            quads += sink.add_rendered(gid, graph)
            extracted.append(key)
        _provenance(prov, key, str(entries[key].document), content, store_hash)
        return True

    def store_triples() -> Iterator[Triple]:
        # The store graph is made here while the workers describe documents: the
        # documents they have finished go to the sink every so often, so that they
        # neither wait nor pile up.
        for n, triple in enumerate(_store_triples(entries, warnings), 1):
            yield triple
            if count > 1 and n % _DRAIN_EVERY == 0:
                while step(wait=False):
                    pass

    try:
        # (Each count is taken before it is added: step() adds to quads meanwhile.)
        added = sink.add_graph(str(ONTOLOGY_GRAPH), _ontology_triples())
        quads += added
        added = sink.add_graph(str(STORE_GRAPH), store_triples())
        quads += added
        link_triples: list[Triple] = []
        link_checks = _link_triples(link_triples, entries, links)
        added = sink.add_graph(str(LINKS_GRAPH), link_triples)
        quads += added
        while step(wait=True):
            pass
        added = sink.add_graph(str(PROVENANCE_GRAPH), prov)
        quads += added
    finally:
        rendered.close()
        _WORK.clear()

    warnings.extend(late_warnings[k] for k in sorted(late_warnings))
    dropped = sorted(k for k in old if k not in entries or entries[k].document is None)
    return BuildReport(
        documents=tuple(sorted(documents)),
        extracted=tuple(sorted(extracted)),
        reused=tuple(sorted(reused)),
        missing=tuple(sorted(missing)),
        dropped=tuple(dropped),
        warnings=tuple(warnings),
        quads=quads,
        link_checks=link_checks,
    )


def build(
    store: Store | StoreSnapshot | str | os.PathLike[str],
    extractions: Mapping[str, Any] | Sequence[Any] | None = None,
    *,
    root: str | os.PathLike[str] | None = None,
    previous: PreviousGraph | Dataset | None = None,
    read_documents: bool = True,
    links: Mapping[str, Any] | None = None,
    workers: int | None = 1,
) -> BuildResult:
    """Build the dataset in memory and report what was extracted, reused and missing.

    Args:
        store: A :class:`~kmgraph.references.store.Store`, the path of its folder, or a
            :class:`StoreSnapshot` from :func:`read_store`.
        extractions: Extractions to use instead of reading documents, keyed by the
            document path as the store records it (``kmgraph-document``), or a sequence
            of :class:`~kmgraph.pipeline.Extraction` (keyed by ``document.path``).
        root: The folder ``kmgraph-document`` paths are relative to (default: the
            working directory, where ``ingest`` was run).
        previous: The dataset of the previous build; unchanged documents keep their
            graph from it without being extracted again.
        read_documents: Read and extract documents that are on disk (default True).
        links: The latest link-check verdicts by URL
            (:func:`kmgraph.linkcheck.record.read_record`), put into the named graph
            ``graph:links`` (:mod:`kmgraph.graph.linkhealth`); None for none.
        workers: Processes that extract documents (None: ``$KMGRAPH_WORKERS`` or the
            CPUs, at most 4; see :func:`build_into`).

    Returns:
        The :class:`BuildResult`; its dataset is rdflib's in-memory store, whose default
        graph is the union of the named graphs. For graphs of millions of statements,
        :func:`kmgraph.graph.workspace.update_graph` writes the file or Oxigraph folder
        without it.

    Raises:
        StoreNotFound, StoreError: The store cannot be read.
    """
    sink = _DatasetSink()
    report = build_into(sink, store, extractions, root=root, previous=previous, read_documents=read_documents, links=links, workers=workers)
    return BuildResult(sink.dataset, report)


def build_graph(
    store: Store | str | os.PathLike[str],
    extractions: Mapping[str, Any] | Sequence[Any] | None = None,
    **options: Any,
) -> Dataset:
    """Build the knowledge graph of a store; see :func:`build` for the arguments.

    Returns:
        An rdflib :class:`~rdflib.Dataset` whose default graph is the union of the named
        graphs ``graph:ontology``, ``graph:store``, ``graph:provenance`` and one
        ``graph:source/<key>`` per ingested document found on disk.
    """
    return build(store, extractions, **options).dataset
