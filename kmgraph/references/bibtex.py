"""Conversion between kmgraph's JSON-contract fields and BibTeX, and the BibTeX middlewares.

The reference parser describes a work with the ``fields`` object of the JSON contract
(``type``, ``author``, ``title``, ``year``, ``container`` ...). The store keeps BibTeX.
:func:`to_bibtex` and :func:`from_bibtex` convert both ways; for every value kmgraph
produces, ``from_bibtex(*to_bibtex(f)) == f``.

Mapping (JSON contract → BibTeX/biblatex):

=================  ==========================================================================
``type``           ``article``, ``book``, ``incollection``, ``inproceedings``, ``report``,
                   ``thesis``, ``online`` and ``misc`` are entry types of their own. Any other
                   type (``video``, ``podcast`` ...) becomes ``@misc`` with ``type = {video}``
                   (biblatex's ``type`` field of ``@misc``), which reads back as that type.
``author``         Joined with `` and ``. A name with a comma ("Family, Given") is written
                   as is; a name without one (a corporate name, or a family name alone) is
                   wrapped in braces, ``{Canadian Council on Learning}``, so that BibTeX does
                   not split it into given and family names.
``authors_elided`` A final ``and others`` in ``author`` (styles print "et al.") plus
                   ``kmgraph-authors-elided = {true}``; either one reads back as ``True``.
``editor``         As ``author``.
``container``      ``journal`` (article), ``booktitle`` (incollection, inproceedings),
                   ``series`` (book, report, thesis), ``organization`` (online: the site),
                   ``howpublished`` (misc and every other type).
``publisher``      ``institution`` (report), ``school`` (thesis), else ``publisher``.
``year``           A four-digit year is written as ``year``. Any other form ("2008, 2013",
                   "2008a", "n.d.") keeps the number BibTeX and biblatex want in ``year``
                   (the first four-digit year; none for "n.d.") and the form as written in
                   ``kmgraph-year``. ``kmgraph-year`` is read back only while its first year
                   still equals ``year`` (so a hand-corrected ``year`` wins). The alias
                   ``year_raw`` is accepted as input.
``pages``          Ranges use ``--`` (``13--24``) in BibTeX and in the JSON fields alike.
``date``           biblatex ``date`` (ISO), for ingested documents.
others             ``volume``, ``number``, ``edition``, ``address``, ``url``, ``doi``
                   (bare ``10.x/y``), ``isbn``, ``note``: same name.
=================  ==========================================================================

LaTeX: text values are escaped (``&`` → ``\\&``, also ``% $ # _ { } ~ ^ \\``) and read back
unescaped. ``url``, ``doi``, ``date``, ``isbn`` and the ``kmgraph-*`` fields are verbatim:
only braces are escaped there. Reading also decodes common accent macros (``{\\'e}`` → é)
and drops protective braces, so that entries written by hand compare well.

kmgraph's own fields carry the prefix ``kmgraph-``: ``kmgraph-cited-by`` (sorted keys of
the source entries of the citing documents), ``kmgraph-raw`` (the reference string of the
first sighting), ``kmgraph-document`` (the ingested document of a source entry),
``kmgraph-authors-elided`` and ``kmgraph-year``.

The middlewares at the end of this module are :class:`bibtexparser.middlewares.BlockMiddleware`
subclasses, each usable on its own library.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import bibtexparser
from bibtexparser.library import Library
from bibtexparser.middlewares import (
    AddEnclosingMiddleware,
    BlockMiddleware,
    RemoveEnclosingMiddleware,
)
from bibtexparser.middlewares.names import (
    parse_single_name_into_parts,
    split_multiple_persons_names,
)
from bibtexparser.model import Block, Entry, Field
from bibtexparser.writer import BibtexFormat

__all__ = [
    "AUTHORS_ELIDED",
    "CITED_BY",
    "DOCUMENT",
    "ENTRY_TYPE_ALIASES",
    "FIELD_ORDER",
    "KMGRAPH_PREFIX",
    "RAW",
    "ROLE_SOURCE",
    "ROLE_WORK",
    "VERBATIM_FIELDS",
    "YEAR_AS_WRITTEN",
    "CanonicalFieldOrderMiddleware",
    "NormalizeDoiMiddleware",
    "NormalizeNamesMiddleware",
    "Reference",
    "canonical_field_rank",
    "entry_fields",
    "field_value",
    "from_bibtex",
    "join_cited_by",
    "latex_escape",
    "latex_unescape",
    "make_entry",
    "normalize_name",
    "parse_bibtex",
    "reference_to_bibtex",
    "render_blocks",
    "render_entry",
    "split_cited_by",
    "split_names",
    "to_bibtex",
]

ROLE_WORK = "work"
ROLE_SOURCE = "source"

KMGRAPH_PREFIX = "kmgraph-"
CITED_BY = "kmgraph-cited-by"
RAW = "kmgraph-raw"
DOCUMENT = "kmgraph-document"
AUTHORS_ELIDED = "kmgraph-authors-elided"
YEAR_AS_WRITTEN = "kmgraph-year"

#: Canonical field order; other fields follow alphabetically, then the ``kmgraph-*`` fields.
FIELD_ORDER: tuple[str, ...] = (
    "author",
    "editor",
    "title",
    "year",
    "date",
    "journal",
    "booktitle",
    "series",
    "volume",
    "number",
    "pages",
    "edition",
    "publisher",
    "institution",
    "school",
    "organization",
    "howpublished",
    "type",
    "address",
    "url",
    "doi",
    "isbn",
    "note",
)

#: Fields written verbatim (only braces escaped): identifiers, dates and kmgraph's own.
VERBATIM_FIELDS = frozenset({"url", "doi", "date", "isbn", "urldate"})

_NATIVE_TYPES = frozenset(
    {"article", "book", "incollection", "inproceedings", "report", "thesis", "online", "misc"}
)
_CONTAINER_FIELD = {
    "article": "journal",
    "incollection": "booktitle",
    "inproceedings": "booktitle",
    "book": "series",
    "report": "series",
    "thesis": "series",
    "online": "organization",
}
_PUBLISHER_FIELD = {"report": "institution", "thesis": "school"}

#: BibTeX and biblatex entry types read as one of kmgraph's own (``techreport`` → ``report``).
ENTRY_TYPE_ALIASES: Mapping[str, str] = MappingProxyType(
    {
        "techreport": "report",
        "phdthesis": "thesis",
        "mastersthesis": "thesis",
        "conference": "inproceedings",
        "inbook": "incollection",
        "electronic": "online",
        "www": "online",
    }
)
_SIMPLE_FIELDS = ("volume", "number", "edition", "address", "url", "doi", "isbn", "note", "date")
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")


@dataclass(frozen=True)
class Reference:
    """One work or document to add to the store.

    Attributes:
        fields: The JSON-contract fields (``type``, ``author``, ``title``, ``year`` ...).
        role: ``"work"`` (a cited work) or ``"source"`` (an ingested document).
        cited_by: Keys of the source entries of the documents that cite the work.
        raw: The reference string as written (works).
        document: For a source: the document's path relative to the ingest root, POSIX.
        origin: ``(document path, line)`` where the reference was found.
        key: The key the reference already has (from a ``.bib`` file a user gave), or
            None. :meth:`kmgraph.references.store.Store.add` uses it for a new entry when
            it is a valid key (:func:`kmgraph.references.keys.is_valid_key`) not taken yet;
            otherwise it generates one.
    """

    fields: dict[str, Any]
    role: str = ROLE_WORK
    cited_by: tuple[str, ...] = ()
    raw: str | None = None
    document: str | None = None
    origin: tuple[str, int] | None = None
    key: str | None = None


# --------------------------------------------------------------------------- LaTeX text

_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_LBRACE, _RBRACE, _TILDE = "\ue000", "\ue001", "\ue002"
_ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "c": "\u0327",
    "v": "\u030c",
    "u": "\u0306",
    "H": "\u030b",
    "k": "\u0328",
    "r": "\u030a",
}
_LETTER_MACROS = {
    "i": "ı",
    "o": "ø",
    "O": "Ø",
    "ss": "ß",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "aa": "å",
    "AA": "Å",
    "l": "ł",
    "L": "Ł",
}
_VERBATIM_ESCAPE = re.compile(r"\\([{}&%$#_~^])")
_UNESCAPE = re.compile(
    r"\\textbackslash(?:\{\}|\b\s?)"
    r"|\\textasciitilde(?:\{\}|\b\s?)"
    r"|\\textasciicircum(?:\{\}|\b\s?)"
    r"|\\(?P<sym>[{}&%$#_])"
    r"|\\(?P<acc>['`^\"~=.])\s*(?:\{\s*(?P<abase>\\?[A-Za-z])\s*\}|(?P<abare>\\?[A-Za-z]))"
    r"|\\(?P<lacc>[cvuHkr])(?:\s*\{\s*(?P<lbase>\\?[A-Za-z])\s*\}|\s+(?P<lbare>[A-Za-z]))"
    r"|\\(?P<letter>ss|ae|AE|oe|OE|aa|AA|[ioOlL])(?![A-Za-z])\s?(?:\{\})?"
    r"|\\(?P<cmd>[A-Za-z]+)\*?\s?"
    r"|\\(?P<space>[ ,;!])"
)


def latex_escape(text: str, *, verbatim: bool = False) -> str:
    """Escape a plain-text value for BibTeX.

    Args:
        text: Plain text.
        verbatim: Escape braces only (URLs, DOIs, kmgraph's own fields).

    Returns:
        The value to write between the braces of a field.
    """
    if verbatim:
        return text.replace("{", r"\{").replace("}", r"\}")
    return "".join(_ESCAPES.get(ch, ch) for ch in text)


def _unescape_match(match: re.Match[str]) -> str:
    whole = match.group(0)
    if whole.startswith(r"\textbackslash"):
        return "\\"
    if whole.startswith(r"\textasciitilde"):
        return _TILDE
    if whole.startswith(r"\textasciicircum"):
        return "^"
    if sym := match.group("sym"):
        return {"{": _LBRACE, "}": _RBRACE}.get(sym, sym)
    accent = match.group("acc") or match.group("lacc")
    if accent:
        base = match.group("abase") or match.group("abare") or match.group("lbase") or match.group("lbare")
        base = {"\\i": "i", "\\j": "j"}.get(base, base.lstrip("\\"))
        return unicodedata.normalize("NFC", base + _ACCENTS[accent])
    if letter := match.group("letter"):
        return _LETTER_MACROS[letter]
    if match.group("cmd"):
        return ""
    if match.group("space"):
        return " "
    return whole


def latex_unescape(value: str, *, verbatim: bool = False) -> str:
    """Turn a BibTeX value back into plain text.

    Undoes :func:`latex_escape`; for text values it also decodes common accent macros,
    drops other commands (keeping their arguments) and protective braces, and turns ``~``
    into a space.

    Args:
        value: The value as written between the field's braces.
        verbatim: The field is verbatim (URL, DOI ...): only escaped characters are undone.

    Returns:
        Plain text.
    """
    if "\\" not in value:  # no escape, no command: only braces and ties to undo (most values)
        if verbatim:
            return value
        text = value
    elif verbatim:
        return _VERBATIM_ESCAPE.sub(r"\1", value)
    else:
        text = _UNESCAPE.sub(_unescape_match, value)
    text = text.replace("{", "").replace("}", "").replace("~", " ")
    return text.replace(_LBRACE, "{").replace(_RBRACE, "}").replace(_TILDE, "~")


def _is_verbatim(name: str) -> bool:
    return name in VERBATIM_FIELDS or name.startswith(KMGRAPH_PREFIX)


# --------------------------------------------------------------------------- names


def split_names(value: str) -> list[str]:
    """Split a BibTeX name list on `` and `` outside braces.

    Args:
        value: An ``author`` or ``editor`` value as written.

    Returns:
        The names as written, stripped; empty names dropped.
    """
    if not value.strip():
        return []
    return [n.strip() for n in split_multiple_persons_names(value) if n.strip()]


def _is_braced(name: str) -> bool:
    if not (name.startswith("{") and name.endswith("}")):
        return False
    depth = 0
    for i, ch in enumerate(name):
        if ch == "{" and (i == 0 or name[i - 1] != "\\"):
            depth += 1
        elif ch == "}" and name[i - 1] != "\\":
            depth -= 1
            if depth == 0 and i != len(name) - 1:
                return False
    return True


def normalize_name(name: str) -> str:
    """One BibTeX name as plain text in the JSON form: "Family, Given" or a literal.

    A fully braced name (``{Canadian Council on Learning}``) is a literal; a name with a
    comma is already "von Family, Given"; a "Given von Family" name is turned around.

    Args:
        name: One name as written in BibTeX.

    Returns:
        The plain-text name.
    """
    name = " ".join(name.split())
    if _is_braced(name):
        return latex_unescape(name[1:-1]).strip()
    if "," in _strip_braced(name):
        parts = [" ".join(p.split()) for p in name.split(",")]
        return latex_unescape(", ".join(p for p in parts if p))
    if " " not in name:
        return latex_unescape(name)
    try:
        parts_ = parse_single_name_into_parts(name, strict=False)
    except Exception:  # noqa: BLE001 - bibtexparser raises on odd names; keep them as written
        return latex_unescape(name)
    return latex_unescape(parts_.merge_last_name_first)


def _strip_braced(text: str) -> str:
    """The text with brace groups removed (to look for top-level commas)."""
    out, depth = [], 0
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def _names_to_bibtex(names: Iterable[str], elided: bool = False) -> str:
    written = []
    for name in names:
        name = " ".join(str(name).split())
        if not name:
            continue
        written.append(latex_escape(name) if "," in name else "{" + latex_escape(name) + "}")
    if elided:
        written.append("others")
    return " and ".join(written)


def _names_from_bibtex(value: str) -> tuple[list[str], bool]:
    names = split_names(value)
    elided = bool(names) and names[-1].lower() == "others"
    if elided:
        names = names[:-1]
    return [normalize_name(n) for n in names], elided


def split_cited_by(value: str | None) -> list[str]:
    """The keys of a ``kmgraph-cited-by`` value."""
    if not value:
        return []
    return [k.strip() for k in value.split(",") if k.strip()]


def join_cited_by(keys: Iterable[str]) -> str:
    """A ``kmgraph-cited-by`` value: the unique keys, sorted, joined with ``, ``."""
    return ", ".join(sorted(set(keys)))


# --------------------------------------------------------------------------- conversion


def _pages_to_bibtex(pages: str) -> str:
    return re.sub(r"\s*(?:-+|[\u2010-\u2015])\s*", "--", pages.strip())


def _pages_from_bibtex(pages: str) -> str:
    return _pages_to_bibtex(pages)


def to_bibtex(fields: Mapping[str, Any]) -> tuple[str, dict[str, str]]:
    """Convert JSON-contract fields to a BibTeX entry type and field values.

    The values are BibTeX text (escaped, without the enclosing braces). See the module
    docstring for the mapping.

    Args:
        fields: The JSON-contract fields.

    Returns:
        ``(entry_type, {field: value})``.

    Examples:
        >>> to_bibtex({"type": "article", "author": ["Ward, Vicky"], "container": "Evidence & Policy"})
        ('article', {'author': 'Ward, Vicky', 'journal': 'Evidence \\\\& Policy'})
    """
    kind = str(fields.get("type") or "misc").strip().lower() or "misc"
    entry_type = kind if kind in _NATIVE_TYPES else "misc"
    out: dict[str, str] = {}
    if entry_type != kind:
        out["type"] = latex_escape(kind)
    elided = bool(fields.get("authors_elided"))
    authors = list(fields.get("author") or [])
    if authors or elided:
        out["author"] = _names_to_bibtex(authors, elided)
    if elided:
        out[AUTHORS_ELIDED] = "true"
    if fields.get("editor"):
        out["editor"] = _names_to_bibtex(fields["editor"])
    if fields.get("title"):
        out["title"] = latex_escape(str(fields["title"]))
    year = fields.get("year") if fields.get("year") is not None else fields.get("year_raw")
    if year is not None and str(year).strip():
        year = str(year).strip()
        if re.fullmatch(r"\d{4}", year):
            out["year"] = year
        else:
            found = _YEAR.search(year)
            if found:
                out["year"] = found.group(1)
            out[YEAR_AS_WRITTEN] = latex_escape(year, verbatim=True)
    if fields.get("container"):
        out[_CONTAINER_FIELD.get(entry_type, "howpublished")] = latex_escape(str(fields["container"]))
    if fields.get("publisher"):
        out[_PUBLISHER_FIELD.get(entry_type, "publisher")] = latex_escape(str(fields["publisher"]))
    if fields.get("pages"):
        out["pages"] = _pages_to_bibtex(str(fields["pages"]))
    for name in _SIMPLE_FIELDS:
        value = fields.get(name)
        if value is None or not str(value).strip():
            continue
        value = str(value).strip()
        if name == "doi":
            value = _bare_doi(value)
        out[name] = latex_escape(value, verbatim=_is_verbatim(name))
    return entry_type, out


def _bare_doi(value: str) -> str:
    """The DOI without resolver prefix (:func:`~kmgraph.references.dedup.strip_doi`), or the
    value as written when it is not a DOI (lint reports it)."""
    # Imported here: dedup imports this module.
    from kmgraph.references.dedup import strip_doi

    return strip_doi(value) or value.strip()


def from_bibtex(entry_type: str, fields: Mapping[str, str]) -> dict[str, Any]:
    """Convert a BibTeX entry type and field values to JSON-contract fields.

    Inverse of :func:`to_bibtex` for what kmgraph writes; for entries written by hand it
    maps the usual BibTeX and biblatex spellings (``techreport``, ``phdthesis``,
    ``journaltitle``, ``location``, ``institution`` ...). Fields outside the contract
    (``kmgraph-*``, ``abstract``, ``keywords`` ...) are left out.

    Args:
        entry_type: The entry type (any case).
        fields: Field values as BibTeX text, without enclosing braces.

    Returns:
        The JSON-contract fields; absent ones are missing.
    """
    f = {k.lower(): v for k, v in fields.items() if isinstance(v, str)}
    kind = entry_type.lower()
    kind = ENTRY_TYPE_ALIASES.get(kind, kind)
    out: dict[str, Any] = {}
    if kind == "misc" and f.get("type", "").strip():
        out["type"] = latex_unescape(f["type"]).strip().lower()
    else:
        out["type"] = kind
    if "author" in f:
        authors, elided = _names_from_bibtex(f["author"])
        if authors:
            out["author"] = authors
        if elided or f.get(AUTHORS_ELIDED, "").strip().lower() == "true":
            out["authors_elided"] = True
    elif f.get(AUTHORS_ELIDED, "").strip().lower() == "true":
        out["authors_elided"] = True
    if "editor" in f:
        editors, _ = _names_from_bibtex(f["editor"])
        if editors:
            out["editor"] = editors
    if f.get("title", "").strip():
        out["title"] = latex_unescape(f["title"]).strip()
    year = f.get("year", "").strip()
    written = latex_unescape(f.get(YEAR_AS_WRITTEN, ""), verbatim=True).strip()
    if written:
        found = _YEAR.search(written)
        if (found.group(1) if found else "") == year:
            year = written
    if year:
        out["year"] = year
    container_field = _CONTAINER_FIELD.get(kind, "howpublished")
    for name in (container_field, "journal", "journaltitle", "booktitle"):
        if f.get(name, "").strip():
            out["container"] = latex_unescape(f[name]).strip()
            break
    for name in (_PUBLISHER_FIELD.get(kind, "publisher"), "publisher", "institution", "school"):
        if f.get(name, "").strip():
            out["publisher"] = latex_unescape(f[name]).strip()
            break
    if f.get("pages", "").strip():
        out["pages"] = _pages_from_bibtex(f["pages"])
    for name in _SIMPLE_FIELDS:
        value = f.get(name, "")
        if name == "address" and not value.strip():
            value = f.get("location", "")
        if value.strip():
            out[name] = latex_unescape(value, verbatim=_is_verbatim(name)).strip()
    if "doi" in out:
        out["doi"] = _bare_doi(out["doi"])
    return out


def reference_to_bibtex(ref: Reference) -> tuple[str, dict[str, str]]:
    """The entry type and fields kmgraph generates for a reference, ``kmgraph-*`` included.

    Args:
        ref: The reference.

    Returns:
        ``(entry_type, {field: value})``: :func:`to_bibtex` of its fields plus
        ``kmgraph-cited-by``, ``kmgraph-raw`` (works) and ``kmgraph-document`` (sources).
    """
    entry_type, fields = to_bibtex(ref.fields)
    if ref.cited_by:
        fields[CITED_BY] = join_cited_by(ref.cited_by)
    if ref.raw and ref.role != ROLE_SOURCE:
        fields[RAW] = latex_escape(" ".join(ref.raw.split()), verbatim=True)
    if ref.role == ROLE_SOURCE and ref.document:
        fields[DOCUMENT] = latex_escape(ref.document.replace("\\", "/"), verbatim=True)
    return entry_type, fields


# --------------------------------------------------------------------------- entry access


def field_value(entry: Entry, name: str) -> str | None:
    """The value of a field of a parsed entry as BibTeX text, or None when absent.

    Field names compare case-insensitively.
    """
    for field in entry.fields:
        if field.key.lower() == name:
            return field.value if isinstance(field.value, str) else str(field.value)
    return None


def entry_fields(entry: Entry) -> dict[str, str]:
    """All fields of an entry as ``{lower-case name: BibTeX text}`` (first one wins)."""
    out: dict[str, str] = {}
    for field in entry.fields:
        out.setdefault(field.key.lower(), field.value if isinstance(field.value, str) else str(field.value))
    return out


# --------------------------------------------------------------------------- middlewares


class NormalizeNamesMiddleware(BlockMiddleware):
    """Rewrite ``author`` and ``editor`` as "Family, Given" names joined with `` and ``.

    "Given von Family" becomes "von Family, Given"; braced literals and ``others`` stay.
    """

    def __init__(self, allow_inplace_modification: bool = True) -> None:
        super().__init__(allow_inplace_modification=allow_inplace_modification)

    def transform_entry(self, entry: Entry, library: Library) -> Block | Collection[Block] | None:
        for field in entry.fields:
            if field.key.lower() in ("author", "editor") and isinstance(field.value, str):
                names = []
                for name in split_names(field.value):
                    if name.lower() == "others" or _is_braced(name) or "," in _strip_braced(name):
                        names.append(name)
                    else:
                        plain = normalize_name(name)
                        names.append(latex_escape(plain) if "," in plain else "{" + latex_escape(plain) + "}")
                field.value = " and ".join(names)
        return entry


class NormalizeDoiMiddleware(BlockMiddleware):
    """Strip resolver prefixes (``https://doi.org/``, ``doi:``) and trailing punctuation from ``doi``.

    See :func:`kmgraph.references.dedup.strip_doi`; a value that is not a DOI stays as written.
    """

    def __init__(self, allow_inplace_modification: bool = True) -> None:
        super().__init__(allow_inplace_modification=allow_inplace_modification)

    def transform_entry(self, entry: Entry, library: Library) -> Block | Collection[Block] | None:
        for field in entry.fields:
            if field.key.lower() == "doi" and isinstance(field.value, str):
                field.value = _bare_doi(field.value)
        return entry


def canonical_field_rank(name: str) -> tuple[int, int, str]:
    """Sort key of a field name in the canonical order (see :data:`FIELD_ORDER`)."""
    lower = name.lower()
    if lower in FIELD_ORDER:
        return (0, FIELD_ORDER.index(lower), lower)
    if lower.startswith(KMGRAPH_PREFIX):
        return (2, 0, lower)
    return (1, 0, lower)


class CanonicalFieldOrderMiddleware(BlockMiddleware):
    """Order the fields of every entry: :data:`FIELD_ORDER`, others alphabetically, ``kmgraph-*``."""

    def __init__(self, allow_inplace_modification: bool = True) -> None:
        super().__init__(allow_inplace_modification=allow_inplace_modification)

    def transform_entry(self, entry: Entry, library: Library) -> Block | Collection[Block] | None:
        entry.fields = sorted(entry.fields, key=lambda f: canonical_field_rank(f.key))
        return entry


# --------------------------------------------------------------------------- read and write


def parse_bibtex(text: str) -> Library:
    """Split BibTeX text into a library without interpreting it.

    Only the enclosing braces or quotes are removed; ``@string`` references stay as
    written (``journal = jcehp``) so that a rewrite keeps them. Failed blocks come back
    in ``library.failed_blocks``.
    """
    splitter_log = logging.getLogger("bibtexparser.splitter")
    disabled, splitter_log.disabled = splitter_log.disabled, True  # failures come back as data
    try:
        return bibtexparser.parse_string(text, parse_stack=[RemoveEnclosingMiddleware()])
    finally:
        splitter_log.disabled = disabled


def _format() -> BibtexFormat:
    fmt = BibtexFormat()
    fmt.indent = "  "
    fmt.value_column = 0
    fmt.block_separator = "\n"
    fmt.trailing_comma = False
    return fmt


def _unparse_stack(canonical_order: bool) -> list[BlockMiddleware]:
    stack: list[BlockMiddleware] = []
    if canonical_order:
        stack.append(CanonicalFieldOrderMiddleware(allow_inplace_modification=False))
    stack.append(
        AddEnclosingMiddleware(
            reuse_previous_enclosing=False,
            enclose_integers=True,
            default_enclosing="{",
            allow_inplace_modification=False,
        )
    )
    return stack


def render_blocks(blocks: list[Block], *, canonical_order: bool = True) -> str:
    """Write blocks as BibTeX: 2-space indent, braces, one blank line between blocks.

    Values that must stay bare (``@string`` references, ``month = jan``) are kept bare.

    Args:
        blocks: Entries, comments, strings, preambles (failed blocks are not accepted).
        canonical_order: Put the fields of each entry in the canonical order.

    Returns:
        The text, ending with one newline (empty for no blocks).
    """
    if not blocks:
        return ""
    library = Library(blocks=list(blocks), fail_on_duplicate_key=False)
    text = bibtexparser.write_string(
        library, unparse_stack=_unparse_stack(canonical_order), bibtex_format=_format()
    )
    return text.rstrip("\n") + "\n"


def render_entry(entry: Entry, *, canonical_order: bool = True) -> str:
    """One entry as BibTeX text, without a trailing newline."""
    return render_blocks([entry], canonical_order=canonical_order).rstrip("\n")


def make_entry(entry_type: str, key: str, fields: Mapping[str, str]) -> Entry:
    """A new entry with the fields in the canonical order."""
    items = sorted(fields.items(), key=lambda kv: canonical_field_rank(kv[0]))
    return Entry(entry_type, key, [Field(k, v) for k, v in items])
