"""The graph build as it was before the streaming build (kmgraph 0.x, commit e212737):
the reference the tests compare the new build with, statement for statement.

Kept verbatim apart from this docstring; do not change it to make a test pass.
"""

# ruff: noqa
from __future__ import annotations

import hashlib
import json
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

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
from kmgraph.references.dedup import MatchIndex, bibtex_match_info, match_info, normalize_title
from kmgraph.references.keys import ascii_fold
from kmgraph.references.store import Store

__all__ = [
    "ONTOLOGY_FILES",
    "BuildReport",
    "BuildResult",
    "build",
    "build_graph",
    "new_dataset",
    "source_graph_id",
]

#: The ontology files loaded into ``graph:ontology`` (``shapes.ttl`` is not data).
ONTOLOGY_FILES = ("kmgraph.ttl", "concepts.ttl", "organisations.ttl")

ONTOLOGY_GRAPH = GRAPH["ontology"]
STORE_GRAPH = GRAPH["store"]
PROVENANCE_GRAPH = GRAPH["provenance"]
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


def slug(text: str) -> str:
    """Lower-case ASCII words joined by hyphens (``"UNU-INWEH"`` gives ``unu-inweh``)."""
    return "-".join(ascii_fold(text).split())


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class BuildReport:
    """What a build did.

    Attributes:
        documents: Store keys of the ingested documents, sorted.
        extracted: Keys whose document was (re-)extracted this time.
        reused: Keys whose named graph was kept from the previous build.
        missing: Keys whose document is not on disk (described from the store alone).
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


@dataclass(frozen=True)
class BuildResult:
    """The built dataset and the report."""

    dataset: Dataset
    report: BuildReport


@dataclass
class _Entry:
    key: str
    entry_type: str
    fields: dict[str, Any]
    cited_by: list[str]
    document: str | None
    raw: str | None
    bibtex: dict[str, str]


# --------------------------------------------------------------------------- agents


def _norm_name(name: str) -> str:
    text = name.replace("\u2019", "'").replace("'s ", " ").replace("&", " and ")
    words = ascii_fold(text).split()
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
    words = ascii_fold(name).split()
    return len(words) >= 4 or any(w in _ORG_WORDS for w in words)


class _Agents:
    """People and organisations met while building one graph, with their names."""

    def __init__(self) -> None:
        self.people: dict[str, dict[str, str]] = {}
        self.orgs: dict[str, str] = {}

    def organisation(self, name: str) -> URIRef:
        rid = register_id(name)
        if rid is not None:
            return ORGID[rid]
        local = slug(name) or "unnamed"
        current = self.orgs.get(local)
        if current is None or (len(name), name) > (len(current), current):
            self.orgs[local] = name
        return AGENT[local]

    def author(self, name: str) -> URIRef:
        name = " ".join(name.split())
        if "," not in name:
            if register_id(name) is not None or _looks_like_organisation(name):
                return self.organisation(name)
            family, given = name, ""
        else:
            family, given = (part.strip() for part in name.split(",", 1))
        initial = ascii_fold(given)[:1]
        local = "-".join(p for p in (slug(family), initial) if p) or "unnamed"
        known = self.people.get(local)
        if known is None or (len(given), given) > (len(known["given"]), known["given"]):
            self.people[local] = {"family": family, "given": given}
        return PERSON[local]

    def describe(self, g: Graph) -> None:
        for local, parts in self.people.items():
            iri = PERSON[local]
            g.add((iri, RDF.type, FOAF.Person))
            display = " ".join(p for p in (parts["given"], parts["family"]) if p)
            g.add((iri, FOAF.name, Literal(display)))
            g.add((iri, FOAF.familyName, Literal(parts["family"])))
            if parts["given"]:
                g.add((iri, FOAF.givenName, Literal(parts["given"])))
        for local, name in self.orgs.items():
            iri = AGENT[local]
            g.add((iri, RDF.type, ORG.Organization))
            g.add((iri, FOAF.name, Literal(name)))
            g.add((iri, SKOS.prefLabel, Literal(name)))


# --------------------------------------------------------------------------- works


def _issued(fields: Mapping[str, Any]) -> list[tuple[URIRef, Literal]]:
    out: list[tuple[URIRef, Literal]] = []
    year_match = _YEAR.search(str(fields.get("year") or fields.get("date") or ""))
    if year_match:
        out.append((FABIO.hasPublicationYear, Literal(year_match.group(1), datatype=XSD.gYear)))
    date = str(fields.get("date") or "")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        out.append((DCTERMS.issued, Literal(date, datatype=XSD.date)))
    elif re.fullmatch(r"\d{4}-\d{2}", date):
        out.append((DCTERMS.issued, Literal(date, datatype=XSD.gYearMonth)))
    elif year_match:
        out.append((DCTERMS.issued, Literal(year_match.group(1), datatype=XSD.gYear)))
    return out


def _fabio_type(entry_type: str, fields: Mapping[str, Any]) -> URIRef | None:
    kind = str(fields.get("type") or "").lower()
    found = _FABIO_TYPES.get(entry_type.lower()) or _FABIO_TYPES.get(kind)
    if found is None and kind == "misc" and fields.get("url"):
        found = FABIO.WebContent
    return found


def _describe_work(g: Graph, iri: URIRef, entry_type: str, fields: Mapping[str, Any], agents: _Agents) -> None:
    g.add((iri, RDF.type, FABIO.Expression))
    specific = _fabio_type(entry_type, fields)
    if specific is not None:
        g.add((iri, RDF.type, specific))
    if fields.get("title"):
        g.add((iri, DCTERMS.title, Literal(fields["title"])))
    for name in fields.get("author") or fields.get("editor") or ():
        g.add((iri, DCTERMS.creator, agents.author(str(name))))
    kind = str(fields.get("type") or entry_type).lower()
    publisher = fields.get("publisher")
    container = fields.get("container")
    if not publisher and kind == "online" and container:
        publisher, container = container, None  # @online's organization field
    if publisher:
        g.add((iri, DCTERMS.publisher, agents.organisation(str(publisher))))
    if container and kind in _VENUE_TYPES:
        venue = VENUE[slug(str(container)) or "unnamed"]
        g.add((venue, RDF.type, _VENUE_TYPES[kind]))
        g.add((venue, DCTERMS.title, Literal(container)))
        g.add((iri, DCTERMS.isPartOf, venue))
    for predicate, value in _issued(fields):
        g.add((iri, predicate, value))
    if fields.get("url"):
        g.add((iri, FABIO.hasURL, Literal(fields["url"], datatype=XSD.anyURI)))
    if fields.get("doi"):
        g.add((iri, BIBO.doi, Literal(fields["doi"])))


def _read_entries(store: Store) -> tuple[dict[str, _Entry], list[str]]:
    entries: dict[str, _Entry] = {}
    warnings: list[str] = []
    for path, entry in store.entries_by_file():
        if entry.key in entries:
            warnings.append(f"{path}: key '{entry.key}' is defined more than once; the first definition is used")
            continue
        raw = entry_fields(entry)
        document = raw.get(DOCUMENT)
        raw_ref = raw.get(RAW)
        entries[entry.key] = _Entry(
            key=entry.key,
            entry_type=entry.entry_type.lower(),
            fields=from_bibtex(entry.entry_type, raw),
            cited_by=split_cited_by(raw.get(CITED_BY)),
            document=latex_unescape(document, verbatim=True).strip() if document else None,
            raw=" ".join(latex_unescape(raw_ref, verbatim=True).split()) if raw_ref else None,
            bibtex=raw,
        )
    return dict(sorted(entries.items())), warnings


def _store_graph(g: Graph, entries: Mapping[str, _Entry]) -> list[str]:
    agents = _Agents()
    warnings = []
    for key, e in entries.items():
        iri = WORK[key]
        _describe_work(g, iri, e.entry_type, e.fields, agents)
        g.add((iri, DCTERMS.identifier, Literal(key)))
        if e.document:
            g.add((iri, RDF.type, KMG.SourceDocument))
            g.add((iri, KMG.documentPath, Literal(e.document)))
        if e.raw:
            g.add((iri, DCTERMS.bibliographicCitation, Literal(e.raw)))
        for citing in e.cited_by:
            if citing in entries:
                g.add((WORK[citing], CITO.cites, iri))
            else:
                warnings.append(f"entry '{key}': cited by '{citing}', which is not in the store")
    agents.describe(g)
    return warnings


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


def _store_digest(key: str, entries: Mapping[str, _Entry], cited_index: Mapping[str, list[str]] | None = None) -> str:
    if cited_index is None:
        cited_index = _cited_index(entries)
    cited = list(cited_index.get(key, ()))
    slice_ = [[k, entries[k].entry_type, sorted(entries[k].bibtex.items())] for k in [key, *cited]]
    payload = json.dumps([_extractor_digest(), slice_], ensure_ascii=False, sort_keys=True)
    return _sha256(payload.encode("utf-8"))


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
    g: Graph,
    key: str,
    extraction: Any,
    entries: Mapping[str, _Entry],
    index: MatchIndex,
    titles: Mapping[str, str],
    cited_index: Mapping[str, list[str]] | None = None,
) -> None:
    """Describe what the extractor found in one document (see the module docstring)."""
    from kmgraph.references.extract import find_reference_entries

    src = WORK[key]
    doc = extraction.document
    agents = _Agents()
    # Reference-list entries -> works of the store.
    sections = {e.line: e.section for e in find_reference_entries(doc.lines, doc.path)} if extraction.references else {}
    cited_here = set((cited_index if cited_index is not None else _cited_index(entries)).get(key, ()))
    ref_by_line: dict[int, URIRef] = {}
    for n, ref in enumerate(extraction.references, 1):
        node = REF[f"{key}/{n}"]
        ref_by_line[ref.line] = node
        g.add((node, RDF.type, BIRO.BibliographicReference))
        g.add((node, C4O.hasContent, Literal(" ".join(ref.raw.split()))))
        g.add((node, KMG.line, Literal(ref.line)))
        g.add((src, DCTERMS.hasPart, node))
        found = index.find(match_info("", ref.fields, role="work", raw=ref.raw))
        work_key = found.key if found is not None else None
        if work_key is None and ref.key in cited_here:
            work_key = ref.key
        if work_key is None:
            continue
        work = WORK[work_key]
        g.add((node, BIRO.references, work))
        g.add((src, CITO.cites, work))
        character = CITO.citesAsRecommendedReading if _RECOMMENDED.search(sections.get(ref.line, "")) else CITO.cites
        if character != CITO.cites:
            g.add((src, character, work))
        citation = CITATION[f"{key}/{work_key}"]
        g.add((citation, RDF.type, CITO.Citation))
        g.add((citation, CITO.hasCitingEntity, src))
        g.add((citation, CITO.hasCitedEntity, work))
        g.add((citation, CITO.hasCitationCharacterization, character))
    # In-text markers.
    lines = {line.number: line.text for line in doc.lines}
    frequency: dict[URIRef, int] = defaultdict(int)
    for n, marker in enumerate(extraction.markers, 1):
        target = ref_by_line.get(marker.target_line) if marker.target_line is not None else None
        node = POINTER[f"{key}/{n}"]
        g.add((node, RDF.type, C4O.InTextReferencePointer))
        g.add((node, C4O.hasContent, Literal(marker.text)))
        g.add((node, KMG.line, Literal(marker.line)))
        g.add((node, KMG.column, Literal(marker.column)))
        sentence = _sentence(lines.get(marker.line, ""), marker.column)
        if sentence:
            context = POINTER[f"{key}/{n}/context"]
            g.add((node, C4O.hasContext, context))
            g.add((context, C4O.hasContent, Literal(sentence)))
        if target is not None:
            g.add((node, C4O.denotes, target))
            frequency[target] += 1
    for target, count in frequency.items():
        g.add((target, C4O.hasInTextCitationFrequency, Literal(count, datatype=XSD.nonNegativeInteger)))
    # Concepts and organisations with their counts.
    for hit in extraction.concepts:
        _occurrence(g, src, key, CONCEPT[hit.id], f"concept-{hit.id}", hit.count, hit.lines)
        g.add((src, DCTERMS.subject, CONCEPT[hit.id]))
    for hit in extraction.organisations:
        _occurrence(g, src, key, ORGID[hit.id], f"org-{hit.id}", hit.count, hit.lines)
        g.add((src, KMG.mentions, ORGID[hit.id]))
    # Works named in prose.
    for n, mention in enumerate(extraction.mentions, 1):
        known = titles.get(normalize_title(mention.title))
        if known is not None:
            g.add((src, KMG.mentions, WORK[known]))
            continue
        work = WORK[f"{key}-mention-{n}"]
        fields = {"type": mention.type, "title": mention.title, "author": list(mention.author)}
        _describe_work(g, work, mention.type, fields, agents)
        g.add((work, KMG.line, Literal(mention.line)))
        g.add((src, KMG.mentions, work))
    agents.describe(g)


def _occurrence(g: Graph, src: URIRef, key: str, what: URIRef, local: str, count: int, lines: Iterable[int]) -> None:
    node = OCCURRENCE[f"{key}/{local}"]
    g.add((node, RDF.type, KMG.Occurrence))
    g.add((node, KMG.occursIn, src))
    g.add((node, KMG.occurrenceOf, what))
    g.add((node, KMG.count, Literal(count)))
    for line in sorted(set(lines)):
        g.add((node, KMG.line, Literal(line)))


def _provenance(g: Graph, key: str, path: str, content: str, store_hash: str) -> None:
    gid = source_graph_id(key)
    g.add((gid, RDF.type, PROV.Entity))
    g.add((gid, PROV.wasDerivedFrom, WORK[key]))
    g.add((gid, PROV.wasGeneratedBy, EXTRACT_RUN))
    g.add((gid, KMG.documentPath, Literal(path)))
    g.add((gid, KMG.contentHash, Literal(content)))
    g.add((gid, KMG.storeHash, Literal(store_hash)))


def _software(g: Graph) -> None:
    g.add((EXTRACT_RUN, RDF.type, PROV.Activity))
    g.add((EXTRACT_RUN, RDFS.label, Literal("kmgraph extraction (references, markers, concepts, organisations)")))
    g.add((EXTRACT_RUN, PROV.wasAssociatedWith, SOFTWARE))
    g.add((SOFTWARE, RDF.type, PROV.SoftwareAgent))
    g.add((SOFTWARE, RDFS.label, Literal("kmgraph")))
    g.add((SOFTWARE, SDO.softwareVersion, Literal(__version__)))


def _previous_hashes(previous: Dataset | None) -> dict[str, tuple[str, str]]:
    if previous is None:
        return {}
    out = {}
    prov = previous.graph(PROVENANCE_GRAPH)
    prefix = str(GRAPH["source/"])
    for gid in prov.subjects(RDF.type, PROV.Entity):
        content = prov.value(gid, KMG.contentHash)
        store_hash = prov.value(gid, KMG.storeHash)
        if str(gid).startswith(prefix) and content is not None and store_hash is not None:
            out[str(gid)[len(prefix) :]] = (str(content), str(store_hash))
    return out


class _ByPath(Mapping[str, Any]):
    """A mapping of extractions looked up by POSIX path, without reading its values first
    (a lazy mapping then makes each extraction only when its document is built)."""

    def __init__(self, extractions: Mapping[str, Any]) -> None:
        self._extractions = extractions
        self._keys = {str(k).replace("\\", "/"): k for k in extractions}

    def __getitem__(self, path: str) -> Any:
        return self._extractions[self._keys[path]]

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


def build(
    store: Store | str | os.PathLike[str],
    extractions: Mapping[str, Any] | Sequence[Any] | None = None,
    *,
    root: str | os.PathLike[str] | None = None,
    previous: Dataset | None = None,
    read_documents: bool = True,
    links: Mapping[str, Any] | None = None,
) -> BuildResult:
    """Build the dataset and report what was extracted, reused and missing.

    Args:
        store: A :class:`~kmgraph.references.store.Store` or the path of its folder.
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

    Returns:
        The :class:`BuildResult`.

    Raises:
        StoreNotFound, StoreError: The store cannot be read.
    """
    from kmgraph.ingest import read_document
    from kmgraph.pipeline import extract_document

    target = store if isinstance(store, Store) else Store.open(store)
    base = Path(root) if root is not None else Path.cwd()
    entries, warnings = _read_entries(target)
    given = _extraction_map(extractions)
    old = _previous_hashes(previous)

    ds = new_dataset()
    ontology = ds.graph(ONTOLOGY_GRAPH)
    for name in ONTOLOGY_FILES:
        ontology.parse(data_dir() / name, format="turtle")
    warnings.extend(_store_graph(ds.graph(STORE_GRAPH), entries))
    prov = ds.graph(PROVENANCE_GRAPH)
    _software(prov)

    cited_index = _cited_index(entries)
    index = MatchIndex()
    titles: dict[str, str] = {}
    for key, e in entries.items():
        if e.document is None:
            index.add(bibtex_match_info(key, e.entry_type, e.bibtex))
        title = normalize_title(e.fields.get("title"))
        if title:
            titles.setdefault(title, key)

    documents, extracted, reused, missing = [], [], [], []
    for key, e in entries.items():
        if e.document is None:
            continue
        documents.append(key)
        path = base / e.document
        extraction = given.get(e.document)
        if extraction is None and not read_documents:
            missing.append(key)
            continue
        try:
            data = path.read_bytes() if extraction is None or path.is_file() else None
        except OSError:
            data = None
        if extraction is None and data is None:
            missing.append(key)
            continue
        content = _sha256(data) if data is not None else "given"
        store_hash = _store_digest(key, entries, cited_index)
        gid = source_graph_id(key)
        if previous is not None and extraction is None and old.get(key) == (content, store_hash):
            target_graph = ds.graph(gid)
            for triple in previous.graph(gid):
                target_graph.add(triple)
            reused.append(key)
        else:
            if extraction is None:
                try:
                    extraction = extract_document(read_document(path))
                except InputError as exc:
                    warnings.append(f"{e.document}: cannot be read ({exc.message}); described from the store alone")
                    missing.append(key)
                    continue
            _document_graph(ds.graph(gid), key, extraction, entries, index, titles, cited_index)
            extracted.append(key)
        _provenance(prov, key, e.document, content, store_hash)

    from kmgraph.graph.linkhealth import add_link_health

    link_checks = add_link_health(ds, links)
    dropped = sorted(k for k in old if k not in documents)
    report = BuildReport(
        documents=tuple(documents),
        extracted=tuple(extracted),
        reused=tuple(reused),
        missing=tuple(missing),
        dropped=tuple(dropped),
        warnings=tuple(warnings),
        quads=_quad_count(ds),
        link_checks=link_checks,
    )
    return BuildResult(ds, report)


def _quad_count(ds: Dataset) -> int:
    """The number of statements (quads) of a dataset: the sum of its graphs' sizes, each
    O(1) on rdflib's Memory store, instead of iterating every quad."""
    return sum(len(g) for g in ds.graphs())


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

