"""The PDF reader (``pdf``): text per page with pypdf.

Lines are numbered continuously through the document (page 1's lines first), each with
its ``page``. Text collection stops once the text reaches the text limit (a warning says
so); a page whose text cannot be extracted is a warning, not an error.

Running headers and footers: a line among the first two or last two non-blank lines of
a page whose text, with every run of digits treated alike ("Page 3 of 9", "Journal of
KM 12 (2019) 34–50"), occurs in the same zone of at least one other page is noise. Noise
lines keep their numbers so that the line numbers of the text do not depend on it.

Broken URLs: a URL that runs to the end of its line is joined with the first token of the
next content line (headers and footers skipped, so across page breaks too) when that
token looks like a URL's continuation: the URL ends in one of ``- / _ = ? & % # ~``; or it
ends in ``.`` and the token starts in lower case or a digit; or the token holds ``/``,
``=``, ``?``, ``&`` or ends in a file extension (``guide-2019.pdf``). The link is
recorded on the line where the URL starts.

Metadata comes from the document information dictionary: ``/Title``, ``/Author`` (split on
``;``) and ``/CreationDate``.

An encrypted PDF that cannot be opened with the empty password, or a file pypdf cannot
read at all, raises :class:`~kmgraph.errors.MalformedInput`.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

from kmgraph.errors import MalformedInput
from kmgraph.ingest.dates import iso_date
from kmgraph.ingest.detect import DEFAULT_MAX_BYTES, split_lines
from kmgraph.ingest.urls import classify_link, find_bare_urls
from kmgraph.records import DocumentMetadata, Line, RawLink, SourceDocument

__all__ = ["read_pdf", "running_lines"]

_URLISH = re.compile(r"^[\w\-.~%/?#=&+:;@!$*,()']+$")
_EXT = re.compile(r"\.[A-Za-z][A-Za-z0-9]{1,4}$")
_ZONE = 2


def _key(line: str) -> str:
    return re.sub(r"\d+", "#", " ".join(line.split())).casefold()


def running_lines(pages: list[list[str]]) -> set[tuple[int, int]]:
    """``(page index, line index)`` of running headers and footers (see module docstring).

    >>> pages = [["Journal of KM 12 (2019) 34-50", "Text one", "Page 1 of 2"],
    ...          ["Journal of KM 12 (2019) 34-50", "Text two", "Page 2 of 2"]]
    >>> sorted(running_lines(pages))
    [(0, 0), (0, 2), (1, 0), (1, 2)]
    """
    zones: list[list[tuple[int, str]]] = []
    for lines in pages:
        filled = [i for i, text in enumerate(lines) if text.strip()]
        idx = sorted(set(filled[:_ZONE] + filled[-_ZONE:]))
        zones.append([(i, _key(lines[i])) for i in idx])
    counts = Counter(key for zone in zones for key in {k for _, k in zone})
    return {(p, i) for p, zone in enumerate(zones) for i, key in zone if key and counts[key] >= 2}


def _continues(token: str, nxt: str) -> bool:
    if not _URLISH.match(nxt) or nxt.lower().startswith(("http:", "https:", "ftp:", "www.")):
        return False
    if token[-1] in "-/_=?&%#~":
        return True
    if token.endswith("."):
        return nxt[0].islower() or nxt[0].isdigit()
    return any(c in nxt for c in "/=?&") or bool(_EXT.search(nxt.rstrip(".,;:)")))


def _links(path: str, content: list[Line]) -> list[RawLink]:
    links: list[RawLink] = []
    skip: dict[int, int] = {}
    for idx, line in enumerate(content):
        text = line.text
        for off, url in find_bare_urls(text):
            if off < skip.get(idx, 0):
                continue
            rest = text[off:].rstrip()
            if not any(c.isspace() for c in rest):
                token, j = rest, idx
                while j + 1 < len(content):
                    nxt = content[j + 1].text
                    stripped = nxt.lstrip()
                    if not stripped:
                        break
                    first = stripped.split()[0]
                    if not _continues(token, first):
                        break
                    token += first
                    skip[j + 1] = len(nxt) - len(stripped) + len(first)
                    j += 1
                    if len(stripped.split()) > 1:
                        break
                if j > idx:
                    joined = find_bare_urls(token)
                    url = joined[0][1] if joined else url
            links.append(RawLink(url, path, line.number, off + 1, "", classify_link(url), "bare"))
    return links


def _metadata(reader: Any) -> DocumentMetadata:
    try:
        info = reader.metadata or {}
    except Exception:  # noqa: BLE001 - a broken info dict is no reason to lose the text
        return DocumentMetadata()

    def get(key: str) -> str | None:
        try:
            value = info.get(key)
        except Exception:  # noqa: BLE001
            return None
        s = " ".join(str(value).split()) if value is not None else ""
        return s or None

    authors = tuple(a.strip() for a in (get("/Author") or "").split(";") if a.strip())
    created = get("/CreationDate")
    return DocumentMetadata(title=get("/Title"), authors=authors, date=iso_date(created) if created else None)


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def read_pdf(path: str, file: Path, *, max_chars: int = DEFAULT_MAX_BYTES) -> SourceDocument:
    """Read a PDF file into a :class:`SourceDocument`.

    Args:
        path: The document path to record.
        file: The file to open.
        max_chars: Stop collecting text after this many characters.

    Raises:
        MalformedInput: Encrypted (with a password) or unreadable PDF.
    """
    from pypdf import PdfReader  # imported here: only PDF reading needs it

    warnings: list[str] = []
    with open(file, "rb") as stream:
        try:
            reader = PdfReader(stream, strict=False)
            encrypted = reader.is_encrypted
        except Exception as exc:
            raise MalformedInput(f"not a readable PDF: {exc}", path=path) from exc
        if encrypted:
            try:
                opened = bool(reader.decrypt(""))
            except Exception as exc:
                raise MalformedInput(f"encrypted PDF that cannot be opened: {exc}", path=path) from exc
            if not opened:
                raise MalformedInput("encrypted PDF: a password is needed to read it", path=path)
        try:
            page_objects = list(reader.pages)
        except Exception as exc:
            raise MalformedInput(f"not a readable PDF: {exc}", path=path) from exc
        pages: list[list[str]] = []
        total = 0
        for number, page in enumerate(page_objects, start=1):
            try:
                text = page.extract_text() or ""
            except Exception as exc:  # noqa: BLE001 - one bad page is a warning
                warnings.append(f"page {number}: text could not be extracted: {exc}")
                text = ""
            if total + len(text) > max_chars:
                warnings.append(f"text truncated at {_mb(max_chars)} (page {number} of {len(page_objects)})")
                break
            total += len(text)
            pages.append([s.rstrip() for s in split_lines(text)])
        metadata = _metadata(reader)
    if page_objects and not any(s.strip() for lines in pages for s in lines):
        warnings.append("no extractable text (a scanned PDF?)")
    running = running_lines(pages)
    lines: list[Line] = []
    noise: list[Line] = []
    number = 0
    for p, page_lines in enumerate(pages):
        for i, text in enumerate(page_lines):
            number += 1
            (noise if (p, i) in running else lines).append(Line(text, number, page=p + 1))
    return SourceDocument(
        path=path,
        format="pdf",
        encoding="pdf",
        lines=tuple(lines),
        links=tuple(_links(path, lines)),
        metadata=metadata,
        warnings=tuple(warnings),
        noise=tuple(noise),
    )
