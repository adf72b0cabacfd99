"""The pipeline from documents to the store: read, extract, parse, merge.

``extract`` does everything that needs one document only; ``ingest`` runs it over many
documents and merges the results into a :class:`~kmgraph.references.store.Store`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kmgraph.errors import InputError
from kmgraph.ingest import read_document
from kmgraph.ontology.funding import affiliations_in, find_funders, funders_in
from kmgraph.ontology.tagger import Tagger
from kmgraph.paths import SUPPORTED_SUFFIXES, DocumentPath, collect_paths, document_id
from kmgraph.records import (
    Affiliation,
    ConceptHit,
    Funder,
    LinkKind,
    Marker,
    Mention,
    OrganisationCandidate,
    OrganisationHit,
    ParsedReference,
    RawLink,
    SourceDocument,
)
from kmgraph.references.bibtex import Reference, from_bibtex
from kmgraph.references.dedup import strip_doi
from kmgraph.references.extract import AuthorYear, find_markers, find_mentions, find_reference_entries
from kmgraph.references.keys import key_base, unique_key
from kmgraph.references.parse import parse_reference
from kmgraph.references.store import MergeReport, MergeResult, Store

__all__ = [
    "SUPPORTED_SUFFIXES",
    "ExtractedReference",
    "Extraction",
    "IngestReport",
    "DocumentPath",
    "collect_paths",
    "document_id",
    "extract",
    "extract_document",
    "ingest",
    "source_fields",
]


Parser = Callable[[str], ParsedReference]


@dataclass(frozen=True)
class ExtractedReference:
    """One reference-list entry of a document, parsed.

    Attributes:
        raw: The entry as written, list label included.
        line: Line where the entry starts.
        label: The list label, when the list is numbered.
        key: The citation key it would get in an empty store (the store may give another
            one when the key is taken, or keep the key of the entry it merges with).
        fields: The parsed fields (JSON contract).
        confidence: The parser's confidence, 0..1.
    """

    raw: str
    line: int
    label: str | None
    key: str
    fields: dict[str, Any]
    confidence: float = 1.0


@dataclass(frozen=True)
class Extraction:
    """Everything found in one document."""

    document: SourceDocument
    references: tuple[ExtractedReference, ...]
    links: tuple[RawLink, ...]
    markers: tuple[Marker, ...]
    mentions: tuple[Mention, ...]
    concepts: tuple[ConceptHit, ...]
    organisations: tuple[OrganisationHit, ...]
    organisation_candidates: tuple[OrganisationCandidate, ...] = ()
    funders: tuple[Funder, ...] = ()
    affiliations: tuple[Affiliation, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON contract of ``kmgraph extract`` (see ``docs/extract-json.md``)."""
        doc = self.document
        meta = doc.metadata
        keys_by_line = {r.line: r.key for r in self.references}
        return {
            "document": {
                "path": doc.path,
                "format": doc.format,
                "title": meta.title,
                "publisher": meta.publisher,
                "date": meta.date,
                "url": meta.url,
                "authors": list(meta.authors),
                "encoding": doc.encoding,
                "front_matter": _jsonable(doc.front_matter),
                "warnings": list(doc.warnings),
                "noise": [{"line": ln.number, "text": ln.text} for ln in doc.noise],
            },
            "references": [
                {
                    "raw": r.raw,
                    "line": r.line,
                    "label": r.label,
                    "key": r.key,
                    "confidence": round(r.confidence, 3),
                    "fields": r.fields,
                }
                for r in self.references
            ],
            "links": [
                {"url": ln.url, "line": ln.line, "column": ln.column, "text": ln.text, "kind": ln.kind.value, "element": ln.element}
                for ln in self.links
            ],
            "markers": [
                {
                    "text": m.text,
                    "label": m.label,
                    "line": m.line,
                    "column": m.column,
                    "reference_line": m.target_line,
                    "reference_key": keys_by_line.get(m.target_line),
                }
                for m in self.markers
            ],
            "mentions": [
                {"raw": m.raw, "title": m.title, "type": m.type, "author": list(m.author), "line": m.line}
                for m in self.mentions
            ],
            "concepts": [{"id": c.id, "label": c.label, "count": c.count} for c in self.concepts],
            "organisations": [
                {"id": o.id, "name": o.name, "count": o.count, "surface": list(o.surface), "lines": list(o.lines)}
                for o in self.organisations
            ],
            "organisation_candidates": [
                {"name": c.name, "line": c.line, "count": c.count} for c in self.organisation_candidates
            ],
            "funders": [
                {
                    "name": f.name,
                    "id": f.id,
                    "source": f.source,
                    "line": f.line,
                    "sentence": f.sentence or None,
                    "funded": f.funded,
                    "funded_id": f.funded_id,
                }
                for f in self.funders
            ],
            "affiliations": [
                {"author": a.author, "name": a.name, "id": a.id, "source": a.source} for a in self.affiliations
            ],
        }


def _jsonable(value: Any) -> Any:
    """Front matter as JSON can carry it: dates as ISO strings, other objects as text."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _author_year(fields: dict[str, Any]) -> AuthorYear | None:
    authors = fields.get("author") or fields.get("editor") or []
    year = str(fields.get("year") or "")
    if not authors or not year[:4].isdigit():
        return None
    families = tuple(a.split(",")[0].strip() for a in authors)
    return AuthorYear(families=families, year=year)


_TAGGER: Tagger | None = None


def _tagger() -> Tagger:
    global _TAGGER
    if _TAGGER is None:
        _TAGGER = Tagger()
    return _TAGGER




def _attach_link(fields: dict[str, Any], links: Sequence[RawLink]) -> None:
    """Give an entry the target of a link written on it (a title linked in HTML or Markdown)."""
    if fields.get("url") or fields.get("doi"):
        return
    for link in links:
        if link.kind is LinkKind.ABSOLUTE and link.element in ("a", "definition", "autolink"):
            doi = strip_doi(link.url) if "doi.org/" in link.url.lower() else None
            if doi:
                fields["doi"] = doi
            else:
                fields["url"] = link.url
            if fields.get("type") in (None, "misc"):
                fields["type"] = "online"
            return


def extract_document(doc: SourceDocument, *, parser: Parser | None = None) -> Extraction:
    """Extract references, markers, mentions, concepts, organisations, funders and
    author affiliations from a document.

    Args:
        doc: A document from :func:`kmgraph.ingest.read_document`.
        parser: The reference-string parser; :func:`kmgraph.references.parse.parse_reference`
            by default.

    Returns:
        The :class:`Extraction`.
    """
    parse = parser or parse_reference
    lines = doc.lines
    entries = find_reference_entries(lines, doc.path)
    references: list[ExtractedReference] = []
    taken: set[str] = set()
    for entry in entries:
        parsed = parse(entry.raw)
        last = entry.end_line or entry.line
        _attach_link(parsed.fields, [ln for ln in doc.links if entry.line <= ln.line <= last])
        key = unique_key(key_base(parsed.fields, raw=entry.raw), taken)
        taken.add(key)
        references.append(
            ExtractedReference(
                raw=entry.raw,
                line=entry.line,
                label=entry.label,
                key=key,
                fields=parsed.fields,
                confidence=parsed.confidence,
            )
        )
    markers = find_markers(lines, entries, [_author_year(r.fields) for r in references])
    mentions = find_mentions(lines, entries)
    tagger = _tagger()
    concepts = tagger.concepts(lines)
    organisations = tagger.organisations(lines)
    candidates = tagger.organisation_candidates(lines, organisations)
    funders = find_funders(lines, tagger)
    known = {f.id or f.name for f in funders}
    for value in doc.metadata.funders:
        for funder in funders_in(value, "metadata", tagger):
            if (funder.id or funder.name) not in known:
                known.add(funder.id or funder.name)
                funders.append(funder)
    return Extraction(
        document=doc,
        references=tuple(references),
        links=doc.links,
        markers=tuple(markers),
        mentions=tuple(mentions),
        concepts=tuple(concepts),
        organisations=tuple(organisations),
        organisation_candidates=tuple(candidates),
        funders=tuple(funders),
        affiliations=tuple(affiliations_in(doc.metadata.affiliations, "metadata", tagger)),
    )


def extract(path: str | os.PathLike[str], *, parser: Parser | None = None) -> Extraction:
    """Read one document and extract everything from it.

    >>> ex = extract("examples/briefing-note.txt")  # doctest: +SKIP
    >>> [r.key for r in ex.references]  # doctest: +SKIP
    """
    return extract_document(read_document(path), parser=parser)


_DATE_YEAR = re.compile(r"^(\d{4})")


def source_fields(doc: SourceDocument) -> dict[str, Any]:
    """The document's own entry: what the document says of itself, as JSON-contract fields."""
    meta = doc.metadata
    # An @online entry needs a URL; a local file that does not say where it lives is @misc.
    fields: dict[str, Any] = {"type": "online" if meta.url else "misc"}
    if meta.authors:
        fields["author"] = list(meta.authors)
    if meta.title:
        fields["title"] = meta.title
    if meta.date:
        fields["date"] = meta.date
        m = _DATE_YEAR.match(meta.date)
        if m:
            fields["year"] = m.group(1)
    if meta.publisher:
        fields["publisher"] = meta.publisher
    if meta.url:
        fields["url"] = meta.url
    return fields


@dataclass
class IngestReport:
    """What an ingest did: per document, and the store's merge results."""

    documents: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    results: list[MergeResult] = field(default_factory=list)
    references: int = 0

    @property
    def merge(self) -> MergeReport:
        """The store's merge report (added, merged, unchanged, near-duplicates, kept edits)."""
        return MergeReport(tuple(self.results))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        merge = self.merge
        return {
            "documents": self.documents,
            "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
            "warnings": self.warnings,
            "references": self.references,
            "added": sorted(set(merge.added)),
            "merged": sorted(set(merge.merged)),
            "unchanged": sorted(set(merge.unchanged)),
            "suppressed": sorted(set(merge.suppressed)),
            "near_duplicates": [{"key": r.key, "score": r.score} for r in merge.near_duplicates],
            "kept_edits": [{"key": k, "field": f} for k, f in merge.kept_edits],
        }


def ingest(
    paths: Sequence[str | os.PathLike[str]],
    store: Store | str | os.PathLike[str],
    *,
    parser: Parser | None = None,
    progress: Callable[[Sequence[DocumentPath]], Iterable[DocumentPath]] | None = None,
    save: bool = True,
) -> IngestReport:
    """Extract every document under ``paths`` and merge the results into the store.

    A document that cannot be read is skipped and reported; the others go on. The store
    is locked against other kmgraph processes for the whole run and written once,
    atomically, at the end. Folder walks and globs leave the store's own folder out.

    Args:
        paths: Files, folders and globs.
        store: A :class:`Store`, or the path of its folder (created when missing).
        parser: The reference-string parser (default: the built-in one).
        progress: Wraps the list of documents, e.g. in a progress bar.
        save: Write the store at the end.

    Returns:
        The :class:`IngestReport`.
    """
    target = store if isinstance(store, Store) else Store.open(store, create=True)
    docs = collect_paths(paths, exclude=[target.path])
    report = IngestReport()
    with target.locked():
        for fb in target.failed_blocks:
            report.warnings.append(f"{fb.file}:{fb.line}: malformed block kept as it is: {fb.reason}")
        report.warnings.extend(target.warnings)
        for item in progress(docs) if progress else docs:
            _ingest_one(item, target, report, parser)
        if save:
            target.save()
    return report


def _ingest_one(item: DocumentPath, target: Store, report: IngestReport, parser: Parser | None) -> None:
    doc_id = item.id
    try:
        doc = read_document(item.path)
    except InputError as exc:
        report.skipped.append((doc_id, exc.message))
        return
    report.warnings.extend(f"{doc_id}: {w}" for w in doc.warnings)
    report.documents.append(doc_id)
    if doc.format == "bib":
        # A reference list kept as BibTeX: each entry is a work, under its own key if free.
        for entry in doc.entries:
            fields = from_bibtex(entry["ENTRYTYPE"], {k: v for k, v in entry.items() if k not in ("ENTRYTYPE", "ID")})
            report.results.append(target.add(Reference(fields=fields, key=entry["ID"], origin=(doc_id, 0))))
            report.references += 1
        return
    ex = extract_document(doc, parser=parser)
    src = target.add(Reference(fields=source_fields(doc), role="source", document=doc_id, origin=(doc_id, 1)))
    report.results.append(src)
    for ref in ex.references:
        result = target.add(
            Reference(fields=ref.fields, role="work", cited_by=(src.key,), raw=ref.raw, origin=(doc_id, ref.line))
        )
        report.results.append(result)
        report.references += 1
