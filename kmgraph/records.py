"""Typed records passed between the pipeline stages.

Every record is a frozen dataclass. ``Raw*`` records are unvalidated; the stage after
them validates. Provenance (file, line, column) travels with each record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = [
    "LinkKind",
    "Line",
    "RawLink",
    "DocumentMetadata",
    "SourceDocument",
    "RawCitation",
    "Marker",
    "Mention",
    "ParsedReference",
    "ConceptHit",
    "OrganisationHit",
    "OrganisationCandidate",
    "Funder",
    "Affiliation",
]


class LinkKind(StrEnum):
    """What a link target is, decided from its text alone (no network)."""

    ABSOLUTE = "absolute"
    RELATIVE = "relative"
    FRAGMENT = "fragment"
    PLACEHOLDER = "placeholder"
    MAILTO = "mailto"


@dataclass(frozen=True)
class Line:
    """One line of a document's readable text and where it stands in the file.

    Attributes:
        text: The readable text of the line (markup removed for Markdown and HTML).
        number: 1-based line number in the file; for PDF, in the extracted text.
        page: 1-based page number for PDF, else ``None``.
        heading: True when the markup says this line is a heading (``#``, ``<h2>``).
    """

    text: str
    number: int
    page: int | None = None
    heading: bool = False


@dataclass(frozen=True)
class RawLink:
    """A link target as written in a document.

    Attributes:
        url: The target exactly as written (entities decoded, whitespace trimmed).
        path: The document's path.
        line: 1-based line of the target in the file.
        column: 1-based column of the target's first character on that line.
        text: The visible text of the link ("" for a bare URL or an image without alt).
        kind: Classification of the target.
        element: Where it came from: ``a``, ``img``, ``autolink``, ``definition``, ``bare``,
            ``meta``, ``bibtex``, ``footnote``.
    """

    url: str
    path: str
    line: int
    column: int
    text: str
    kind: LinkKind
    element: str = "a"


@dataclass(frozen=True)
class DocumentMetadata:
    """A document's own bibliographic metadata, as far as the document states it.

    ``funders`` are the funders the metadata names, as written (a name, a list of names
    or a funding statement); ``affiliations`` pairs an author, as written in ``authors``,
    with the organisations the metadata gives for that author, in document order.
    """

    title: str | None = None
    publisher: str | None = None
    date: str | None = None
    url: str | None = None
    authors: tuple[str, ...] = ()
    language: str | None = None
    description: str | None = None
    funders: tuple[str, ...] = ()
    affiliations: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class SourceDocument:
    """A document read from disk, ready for extraction.

    Attributes:
        path: The path as given by the user (POSIX separators).
        format: ``txt``, ``md``, ``html``, ``bib`` or ``pdf`` (sniffed from the content as
            well as the name: a ``.txt`` file with YAML front matter is ``md``).
        encoding: The encoding the bytes were decoded with.
        lines: The readable text, one record per line, page noise removed.
        links: Every link the reader found, in document order.
        metadata: The document's own metadata.
        front_matter: YAML front matter of a Markdown document, else empty.
        entries: For a BibTeX document, its entries as ``{"ENTRYTYPE", "ID", field: value}``.
        warnings: Human-readable warnings (``"line 3: ..."``), e.g. an encoding fallback.
        noise: Lines dropped as page noise (error notices, navigation chrome).
    """

    path: str
    format: str
    encoding: str
    lines: tuple[Line, ...]
    links: tuple[RawLink, ...] = ()
    metadata: DocumentMetadata = field(default_factory=DocumentMetadata)
    front_matter: dict[str, Any] = field(default_factory=dict)
    entries: tuple[dict[str, Any], ...] = ()
    warnings: tuple[str, ...] = ()
    noise: tuple[Line, ...] = ()

    @property
    def text(self) -> str:
        """The readable text joined with newlines."""
        return "\n".join(line.text for line in self.lines)


@dataclass(frozen=True)
class RawCitation:
    """One entry of a reference list, split but not parsed.

    Attributes:
        raw: The entry's text as written, list label included, joined to one line.
        path: The document's path.
        line: 1-based line where the entry starts.
        label: The list label ("1" for ``1.`` or ``[1]``), or None for unnumbered lists.
        section: The heading of the list ("References", "Notes"), or "" when found by form.
        end_line: The last line of the entry (the same as ``line`` for one-line entries).
    """

    raw: str
    path: str
    line: int
    label: str | None = None
    section: str = ""
    end_line: int | None = None


@dataclass(frozen=True)
class Marker:
    """An in-text citation marker and the reference-list entry it points to.

    Attributes:
        text: The marker as written ("1", "[3, 4]", "(Levin, 2008)").
        label: The label of the entry it points to; None for an unnumbered list.
        line: Line of the marker.
        column: 1-based column of the marker.
        target_line: First line of the entry it points to.
    """

    text: str
    label: str | None
    line: int
    column: int
    target_line: int | None = None


@dataclass(frozen=True)
class Mention:
    """A work named in prose that is not in a reference list."""

    raw: str
    title: str
    line: int
    type: str = "misc"
    author: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedReference:
    """A reference string split into fields.

    Attributes:
        raw: The reference string that was parsed.
        fields: The ``fields`` object of the JSON contract: ``type``, ``author`` (list of
            "Family, Given"), ``title``, ``year``, ``container``, ``volume``, ``number``,
            ``pages``, ``publisher``, ``address``, ``url``, ``doi``, ``note`` and, where
            they apply, ``editor`` (list) and ``authors_elided`` (bool). Absent fields are
            left out.
        confidence: 0..1, how sure the parser is of the whole result.
        reason: Why the parse is weak or empty, when it is.
    """

    raw: str
    fields: dict[str, Any]
    confidence: float = 1.0
    reason: str | None = None


@dataclass(frozen=True)
class ConceptHit:
    """A concept of the KM scheme found in a document."""

    id: str
    label: str
    count: int
    lines: tuple[int, ...] = ()


@dataclass(frozen=True)
class OrganisationHit:
    """An organisation of the register found in a document.

    Attributes:
        id: Register id.
        name: The register's preferred name.
        count: Number of mentions.
        lines: Lines of the mentions, in order.
        surface: The forms as written in the document, in order of first appearance.
    """

    id: str
    name: str
    count: int
    lines: tuple[int, ...] = ()
    surface: tuple[str, ...] = ()


@dataclass(frozen=True)
class OrganisationCandidate:
    """A name that looks like an organisation but is not in the register."""

    name: str
    line: int
    count: int = 1


@dataclass(frozen=True)
class Funder:
    """An organisation a document says funds its subject.

    Attributes:
        name: The funder as written ("Research England", "ESRC").
        id: Its register id when the name, an alias or an acronym is in the register.
        source: Where it was found: ``text`` (a funding sentence or a Funding /
            Acknowledgements section), ``metadata`` (meta tags, JSON-LD, front matter) or
            ``bibtex`` (a ``funding`` field of the document's store entry).
        line: The line of the funding statement (text only).
        sentence: The funding statement (text only).
        funded: What the statement says is funded ("Prairie Evidence Programme"), when it names it.
        funded_id: The register id of ``funded`` when it is exactly a registered
            organisation (then that organisation, not the document, is the one funded).
    """

    name: str
    id: str | None
    source: str
    line: int | None = None
    sentence: str = ""
    funded: str | None = None
    funded_id: str | None = None


@dataclass(frozen=True)
class Affiliation:
    """An organisation a document's metadata gives for one of its authors.

    Attributes:
        author: The author as the metadata names them.
        name: The organisation as written.
        id: Its register id when it is, or names, a registered organisation.
        source: ``metadata`` (meta tags, JSON-LD, front matter) or ``bibtex``.
    """

    author: str
    name: str
    id: str | None
    source: str
