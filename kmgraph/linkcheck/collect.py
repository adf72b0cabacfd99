"""Collect the links to check: documents, the BibTeX store and stdin, de-duplicated.

Each distinct target becomes one :class:`LinkRequest` that keeps every place it was
found. The target is normalised so that one URL written twice is checked once:

- absolute URLs stay as written (``www.…`` and ``//…`` get ``https:``);
- DOIs (``https://doi.org/10.…``, ``doi:10.…``, a bare ``10.…/…`` on stdin, the ``doi``
  field of a ``.bib`` file) become ``https://doi.org/<doi>`` and are checked at the
  resolver's handle API;
- relative links become the target file's path relative to the working directory (with
  ``#fragment``), resolved from the document's folder; with ``base_url`` they are joined
  to it and checked over the network instead; ``#fragment`` alone points into the
  document itself;
- placeholders (``#``, empty, ``javascript:``) and ``mailto:`` keep their text and are
  judged without the network.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from urllib.parse import unquote, urljoin

from kmgraph.ingest.urls import classify_link
from kmgraph.links import find_links
from kmgraph.records import LinkKind, RawLink

__all__ = [
    "STDIN",
    "LinkCollection",
    "LinkRequest",
    "Target",
    "collect_links",
    "doi_of",
    "group_links",
    "request_for",
    "stdin_links",
]

#: The path recorded for URLs read from standard input.
STDIN = "<stdin>"

_DOI_URL = re.compile(r"^(?:https?://(?:dx\.|www\.)?doi\.org/|doi:\s*)(10\.\d{4,9}/\S+)$", re.IGNORECASE)
_BARE_DOI = re.compile(r"^10\.\d{4,9}/\S+$")


class Target(StrEnum):
    """How a request is checked."""

    HTTP = "http"  #: over the network (any absolute URL; the scheme is judged by the checker)
    DOI = "doi"  #: at the DOI resolver's handle API
    FILE = "file"  #: on the file system (and its anchors)
    PLACEHOLDER = "placeholder"  #: never checked: ``#``, empty, ``javascript:``
    MAILTO = "mailto"  #: syntax only
    UNSUPPORTED = "unsupported"  #: cannot be checked as written (the reason says why)


@dataclass(frozen=True)
class LinkRequest:
    """One distinct target to check, with every place it appears.

    Attributes:
        url: The normalised target (the key of de-duplication, and the result's ``url``).
        target: How it is checked.
        places: Every place it appears, in the order found.
        doi: For :attr:`Target.DOI`, the DOI.
        path: For :attr:`Target.FILE`, the file's path.
        fragment: The ``#fragment`` (without ``#``), or None.
        reason: For :attr:`Target.UNSUPPORTED`, why.
    """

    url: str
    target: Target
    places: tuple[RawLink, ...] = ()
    doi: str | None = None
    path: str | None = None
    fragment: str | None = None
    reason: str | None = None


@dataclass
class LinkCollection:
    """The requests of some inputs, and the documents that could not be read.

    Attributes:
        requests: One request per distinct target, sorted by ``url``.
        skipped: ``(document, reason)`` for each document that could not be read.
    """

    requests: list[LinkRequest] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def doi_of(url: str) -> str | None:
    """The DOI of a resolver URL or ``doi:`` link, else None.

    >>> doi_of("https://doi.org/10.1002/chp.47"), doi_of("http://dx.doi.org/10.1002/X"), doi_of("https://x.org/")
    ('10.1002/chp.47', '10.1002/X', None)
    """
    m = _DOI_URL.match(url.strip())
    return unquote(m.group(1)) if m else None


def _split_fragment(target: str) -> tuple[str, str | None]:
    base, sep, fragment = target.partition("#")
    return base, (fragment if sep else None)


def request_for(link: RawLink, *, base_url: str | None = None) -> LinkRequest:
    """The request a single link makes (without the other places of its target).

    >>> from kmgraph.records import RawLink, LinkKind
    >>> request_for(RawLink("../b.md#x", "docs/a.md", 1, 1, "", LinkKind.RELATIVE)).url
    'b.md#x'
    >>> request_for(RawLink("doi:10.1000/x", "a.bib", 1, 1, "", LinkKind.ABSOLUTE)).url
    'https://doi.org/10.1000/x'
    """
    raw = link.url.strip()
    kind = link.kind
    if _BARE_DOI.match(raw):
        raw, kind = f"https://doi.org/{raw}", LinkKind.ABSOLUTE
    places = (link,)
    if kind is LinkKind.PLACEHOLDER:
        return LinkRequest(raw, Target.PLACEHOLDER, places)
    if kind is LinkKind.MAILTO:
        return LinkRequest(raw, Target.MAILTO, places)
    if kind is LinkKind.ABSOLUTE:
        if raw.lower().startswith("www."):
            raw = "https://" + raw
        elif raw.startswith("//"):
            raw = "https:" + raw
        doi = doi_of(raw)
        if doi:
            return LinkRequest(f"https://doi.org/{doi}", Target.DOI, places, doi=doi)
        return LinkRequest(raw, Target.HTTP, places, fragment=_split_fragment(raw)[1])
    # Relative and fragment-only links.
    if base_url and kind is LinkKind.RELATIVE:
        url = urljoin(base_url, raw)
        doi = doi_of(url)
        if doi:
            return LinkRequest(f"https://doi.org/{doi}", Target.DOI, places, doi=doi)
        return LinkRequest(url, Target.HTTP, places, fragment=_split_fragment(url)[1])
    base, fragment = _split_fragment(raw)
    base = base.split("?", 1)[0]
    folder = "" if link.path == STDIN else posixpath.dirname(Path(link.path).as_posix())
    if not base:  # "#section": the document itself
        if link.path == STDIN:
            return LinkRequest(raw, Target.UNSUPPORTED, places, reason="a fragment on stdin points nowhere")
        path = Path(link.path).as_posix()
    elif base.startswith("/"):
        return LinkRequest(raw, Target.UNSUPPORTED, places, reason="a root-relative link needs --base-url")
    else:
        path = posixpath.normpath(posixpath.join(folder, unquote(base)))
    url = path + (f"#{fragment}" if fragment is not None else "")
    return LinkRequest(url, Target.FILE, places, path=path, fragment=fragment)


def stdin_links(lines: Iterable[str]) -> list[RawLink]:
    """Links from lines of text, one URL (or DOI) per line; blank and ``#`` lines skipped.

    Each link's place is ``<stdin>`` with its line number.

    >>> [(ln.url, ln.line, ln.kind.value) for ln in stdin_links(["https://a.org", "", "# c", " b.md "])]
    [('https://a.org', 1, 'absolute'), ('b.md', 4, 'relative')]
    """
    out = []
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        out.append(RawLink(text, STDIN, number, 1, "", classify_link(text), "stdin"))
    return out


def collect_links(
    paths: Sequence[str | os.PathLike[str]] = (),
    *,
    store: str | os.PathLike[str] | None = None,
    stdin: Iterable[str] | None = None,
    base_url: str | None = None,
) -> LinkCollection:
    """Collect the links of documents, of a BibTeX store and of stdin into requests.

    Args:
        paths: Files, folders and globs (as for :func:`kmgraph.links.find_links`).
        store: A store folder whose ``.bib`` files add their ``url``, ``doi``,
            ``howpublished`` and ``\\url{}`` links.
        stdin: Lines with one URL each (see :func:`stdin_links`).
        base_url: Join relative links to this URL instead of checking files.

    Returns:
        A :class:`LinkCollection`; requests sorted by URL, each with every place.

    Raises:
        DocumentNotFound: A path matches nothing.
        StoreNotFound: ``store`` is not a store.
    """
    collection = LinkCollection()
    raw: list[RawLink] = []
    if paths:
        listing = find_links(list(paths))
        raw.extend(listing.links)
        collection.skipped.extend(listing.skipped)
    if store is not None:
        from kmgraph.errors import InputError
        from kmgraph.ingest import read_document
        from kmgraph.references.store import Store

        for bib in Store.open(store).files:
            if not bib.is_file():
                continue
            try:
                raw.extend(read_document(bib).links)
            except InputError as exc:
                collection.skipped.append((bib.as_posix(), exc.message))
    if stdin is not None:
        raw.extend(stdin_links(stdin))

    collection.requests.extend(group_links(raw, base_url=base_url))
    return collection



def group_links(links: Iterable[RawLink], *, base_url: str | None = None) -> list[LinkRequest]:
    """One request per distinct target, keeping every place (each place once).

    >>> from kmgraph.records import RawLink, LinkKind
    >>> a = RawLink("https://a.org", "x.md", 1, 1, "", LinkKind.ABSOLUTE)
    >>> b = RawLink("https://a.org", "y.md", 4, 2, "", LinkKind.ABSOLUTE)
    >>> [(r.url, len(r.places)) for r in group_links([a, b, a])]
    [('https://a.org', 2)]
    """
    merged: dict[str, LinkRequest] = {}
    places: dict[str, dict[tuple[str, int, int], RawLink]] = {}
    for link in links:
        req = request_for(link, base_url=base_url)
        if req.url not in merged:
            merged[req.url] = req
            places[req.url] = {}
        places[req.url].setdefault((link.path, link.line, link.column), link)
    return [replace(merged[url], places=tuple(places[url].values())) for url in sorted(merged)]
