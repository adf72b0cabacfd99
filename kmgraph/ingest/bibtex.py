"""The BibTeX reader (``bib``): bibtexparser v2, failed blocks as warnings.

``entries`` holds one ``{"ENTRYTYPE", "ID", field: value}`` dict per entry (values with
their enclosing braces or quotes removed and ``@string`` macros resolved, by
bibtexparser's default middlewares). A block bibtexparser cannot read (unbalanced
braces, duplicate keys or fields) becomes a warning ``"line N: malformed BibTeX block:
<reason>"`` and the rest of the file still loads.

``lines`` are the raw lines of the file. Links (element ``bibtex``, text = the entry key):
the ``url`` field, the ``doi`` field as ``https://doi.org/<doi>``, URLs in
``howpublished``, and ``\\url{…}``/``\\href{…}{…}`` anywhere in a value (for ``\\href``
the text is its second argument). Each link has the line of its field and the column of
the URL (or DOI) in that field's source text, best effort.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import bibtexparser
from bibtexparser import model

from kmgraph.ingest._inline import Locator
from kmgraph.ingest.detect import split_lines
from kmgraph.ingest.urls import classify_link, find_bare_urls
from kmgraph.records import Line, RawLink, SourceDocument

__all__ = ["doi_url", "read_bibtex"]

_LATEX_URL = re.compile(r"\\url\s*\{([^{}]*)\}")
_LATEX_HREF = re.compile(r"\\href\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)


def doi_url(doi: str) -> str:
    """The resolver URL of a DOI written bare, as ``doi:…`` or already as a URL.

    >>> doi_url("10.1002/chp.47"), doi_url("doi:10.1002/chp.47")
    ('https://doi.org/10.1002/chp.47', 'https://doi.org/10.1002/chp.47')
    """
    return "https://doi.org/" + _DOI_PREFIX.sub("", doi.strip())


@contextmanager
def _quiet_bibtexparser() -> Iterator[None]:
    """Drop bibtexparser's log records while parsing: its problems become warnings here."""
    loggers = [logging.getLogger(name) for name in ("bibtexparser.splitter", "bibtexparser.entrypoint")]

    def drop(record: logging.LogRecord) -> bool:
        return False

    for lg in loggers:
        lg.addFilter(drop)
    try:
        yield
    finally:
        for lg in loggers:
            lg.removeFilter(drop)


def _reason(block: model.Block) -> str:
    error = getattr(block, "error", None)
    reason = getattr(error, "abort_reason", None) or (str(error) if error else "") or type(block).__name__
    return " ".join(reason.split()).split(" Note: ")[0]


def _field_links(entry: model.Entry, path: str, locator: Locator) -> list[RawLink]:
    links: list[RawLink] = []
    key = entry.key
    span = max(0, entry.raw.count("\n"))

    def add(url: str, needle: str, line: int, text: str) -> None:
        url = url.strip()
        if not url:
            return
        end = entry.start_line + 1 + span
        found_line, col = locator.locate(line, [(needle, 0)], span=max(0, end - line))
        links.append(RawLink(url, path, found_line, col, text, classify_link(url), "bibtex"))

    for fld in entry.fields:
        value = fld.value if isinstance(fld.value, str) else str(fld.value)
        line = (fld.start_line if fld.start_line is not None else entry.start_line) + 1
        name = fld.key.lower()
        seen: set[str] = set()
        for m in _LATEX_HREF.finditer(value):
            seen.add(m.group(1).strip())
            add(m.group(1), m.group(1).strip(), line, " ".join(m.group(2).split()))
        for m in _LATEX_URL.finditer(value):
            if m.group(1).strip() not in seen:
                seen.add(m.group(1).strip())
                add(m.group(1), m.group(1).strip(), line, key)
        if name == "url" and value.strip() and value.strip() not in seen:
            add(value, value.strip(), line, key)
        elif name == "doi" and value.strip():
            doi = _DOI_PREFIX.sub("", value.strip())
            add(doi_url(doi), doi, line, key)
        elif name == "howpublished":
            for _, url in find_bare_urls(value):
                if url not in seen:
                    add(url, url, line, key)
    return links


def read_bibtex(path: str, text: str, encoding: str, warnings: Sequence[str] = ()) -> SourceDocument:
    """Read decoded BibTeX into a :class:`SourceDocument`.

    Args:
        path: The document path to record.
        text: The decoded text.
        encoding: The encoding it was decoded with.
        warnings: Warnings so far (from decoding).
    """
    src = split_lines(text)
    locator = Locator(src)
    warns = list(warnings)
    with _quiet_bibtexparser():
        library = bibtexparser.parse_string("\n".join(src))
    entries: list[dict[str, Any]] = []
    links: list[RawLink] = []
    for block in library.blocks:
        if isinstance(block, model.ParsingFailedBlock):
            warns.append(f"line {block.start_line + 1}: malformed BibTeX block: {_reason(block)}")
        elif isinstance(block, model.Entry):
            entry: dict[str, Any] = {"ENTRYTYPE": block.entry_type, "ID": block.key}
            for fld in block.fields:
                entry[fld.key] = fld.value
            entries.append(entry)
            links.extend(_field_links(block, path, locator))
    return SourceDocument(
        path=path,
        format="bib",
        encoding=encoding,
        lines=tuple(Line(s, i + 1) for i, s in enumerate(src)),
        links=tuple(sorted(links, key=lambda lk: (lk.line, lk.column))),
        entries=tuple(entries),
        warnings=tuple(warns),
    )
