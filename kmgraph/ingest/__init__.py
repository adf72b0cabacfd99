"""Readers per format: a file on disk becomes a :class:`~kmgraph.records.SourceDocument`.

>>> from kmgraph.ingest import read_document  # doctest: +SKIP
>>> doc = read_document("seeds/002_2800ca2f6e3ed7a6.txt")  # doctest: +SKIP
>>> doc.format, doc.front_matter["title"]  # doctest: +SKIP
('md', 'Introduction')

Modules: :mod:`~kmgraph.ingest.detect` (format sniffing, decoding),
:mod:`~kmgraph.ingest.noise` (page noise), :mod:`~kmgraph.ingest.text`,
:mod:`~kmgraph.ingest.markdown`, :mod:`~kmgraph.ingest.htmldoc`,
:mod:`~kmgraph.ingest.bibtex`, :mod:`~kmgraph.ingest.pdf` (one reader per format),
:mod:`~kmgraph.ingest.urls` (bare URLs and link classification).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kmgraph.ingest.detect import (
        DEFAULT_MAX_BYTES,
        FORMATS,
        PDF_MAX_BYTES,
        decode_bytes,
        sniff_format,
    )
    from kmgraph.ingest.reader import read_document
    from kmgraph.ingest.urls import classify_link, clean_url_end, find_bare_urls

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FORMATS",
    "PDF_MAX_BYTES",
    "classify_link",
    "clean_url_end",
    "decode_bytes",
    "find_bare_urls",
    "read_document",
    "sniff_format",
]

# Imported on first use (PEP 562), so that ``kmgraph.ingest.urls`` alone (the link
# checker's classifier) does not load every reader and its parser (markdown-it, lxml,
# bibtexparser, PyYAML).
_HOME = {
    "DEFAULT_MAX_BYTES": "detect",
    "FORMATS": "detect",
    "PDF_MAX_BYTES": "detect",
    "decode_bytes": "detect",
    "sniff_format": "detect",
    "read_document": "reader",
    "classify_link": "urls",
    "clean_url_end": "urls",
    "find_bare_urls": "urls",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
