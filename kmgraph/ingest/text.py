"""The plain-text reader (``txt``): web-page extractions, fact sheets, abstracts.

Lines are the raw lines of the file, numbered from 1, minus page noise (see
:mod:`kmgraph.ingest.noise`), which goes to ``SourceDocument.noise``.

Links:

* Markdown-style links written into the text (``[KM at York University](#)``), images and
  autolinks, found by running markdown-it's inline parser over each line that could hold
  one (it contains ``](`` or ``<``): element ``a``, ``img`` or ``autolink``.
* Bare URLs (:func:`~kmgraph.ingest.urls.find_bare_urls`), element ``bare``, unless the
  same URL on that line is already a link target. A footnote line such as
  ``[1] https://…`` therefore gives a bare URL.

Metadata heuristics, applied to the first 15 content lines (non-blank, not noise):

* **title**: the first line with at least 2 words and 8–200 characters that is not a date
  line, does not end with "." (a sentence), is not a label ("Published by", "Abstract",
  "Table of contents", any line ending in ":"), not a byline ("By …", "Published by …",
  "Posted on …"), not a list item and
  holds no URL or link. The scan stops at the first body paragraph (over 200 characters),
  so an abstract that opens with its text has no title.
* **publisher**: the line after a "Published by" line (blank lines skipped) when it is
  short (at most 80 characters, 10 words) and not a date; or the rest of a "Published by X"
  line (cut before a following date or separator).
* **date**: the first date line ("4 March 2024, 09:15 GMT", "March 4, 2024",
  "2024-03-04", "Published: March 2019", a year alone) or the date of a "Published by X on
  <date>" line, as ISO ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kmgraph.ingest._inline import InlineWalker, Locator, make_markdown
from kmgraph.ingest.dates import find_date, is_date_line
from kmgraph.ingest.detect import split_lines
from kmgraph.ingest.noise import noise_indices
from kmgraph.ingest.urls import classify_link, find_bare_urls
from kmgraph.records import DocumentMetadata, Line, RawLink, SourceDocument

__all__ = ["guess_title", "read_text", "text_metadata"]

_SCAN = 15
_LABELS = frozenset(
    {
        "published by",
        "posted by",
        "written by",
        "produced by",
        "prepared by",
        "fact sheet",
        "table of contents",
        "on this page",
        "in this article",
        "in this section",
        "related content",
        "related articles",
        "related links",
        "useful links",
        "key messages",
        "key points",
        "key findings",
        "executive summary",
        "press release",
        "news release",
        "last updated",
        "read more",
        "sign in",
        "log in",
        "sign up",
    }
)
_PUBLISHED_BY = re.compile(r"^published\s+by\s*:?\s*$", re.IGNORECASE)
_PUBLISHED_BY_X = re.compile(r"^(?:published\s+by|publisher)\s*:?\s+(?P<name>.+)$", re.IGNORECASE)
_BYLINE = re.compile(r"^(?:by|(?:published|posted|written|produced|prepared|edited)\s+(?:by|on))\b", re.IGNORECASE)
_LIST_ITEM = re.compile(r"^\s*(?:[•*·▪◦‣–-]|\d{1,3}[.)]|\[\d{1,3}\])\s")
_HAS_LINK = re.compile(r"\]\(|https?://|www\.", re.IGNORECASE)


def _is_label(line: str) -> bool:
    s = line.strip()
    core = s.rstrip(":").strip().casefold()
    return s.endswith(":") or core in _LABELS or bool(_PUBLISHED_BY.match(s))


def guess_title(content: Sequence[str]) -> str | None:
    """The title of a plain-text document by the heuristic in the module docstring.

    Args:
        content: The content lines (non-blank, not noise), in order.

    >>> guess_title(["FACTSHEET", "What Is KM? Defining KM", "KM is any effort."])
    'What Is KM? Defining KM'
    >>> guess_title(["Abstract", "Calls to improve relationships " * 10]) is None
    True
    """
    for raw in content[:_SCAN]:
        s = " ".join(raw.split())
        if len(s) > 200:
            return None
        if not 8 <= len(s) <= 200 or len(s.split()) < 2:
            continue
        if s.endswith(".") or _is_label(s) or is_date_line(s) is not None:
            continue
        if _BYLINE.match(s) or _PUBLISHED_BY_X.match(s) or _LIST_ITEM.match(raw) or _HAS_LINK.search(s):
            continue
        if not re.search(r"[A-Za-z]", s):
            continue
        return s
    return None


def _publisher(content: Sequence[str]) -> str | None:
    for i, raw in enumerate(content[:_SCAN]):
        s = " ".join(raw.split())
        if _PUBLISHED_BY.match(s):
            if i + 1 < len(content):
                nxt = " ".join(content[i + 1].split())
                if 0 < len(nxt) <= 80 and len(nxt.split()) <= 10 and is_date_line(nxt) is None:
                    return nxt
            return None
        m = _PUBLISHED_BY_X.match(s)
        if m:
            name = m.group("name")
            found = find_date(name)
            if found:
                name = name[: found[1]]
            name = re.split(r"\s+(?:on|in)\s*$|\s[|·•–—]\s|,\s", name.strip())[0].strip(" ,;:|")
            return name or None
    return None


def text_metadata(content: Sequence[str]) -> DocumentMetadata:
    """Title, publisher and date of a plain-text document from its first content lines.

    Args:
        content: The content lines (non-blank, not noise), in order.
    """
    date = None
    for raw in content[:_SCAN]:
        date = is_date_line(raw)
        if date is None and _PUBLISHED_BY_X.match(raw.strip()):
            found = find_date(raw)
            date = found[0] if found else None
        if date:
            break
    return DocumentMetadata(title=guess_title(content), publisher=_publisher(content), date=date)


def _links(path: str, raw: Sequence[str], noise: set[int]) -> list[RawLink]:
    md = make_markdown(plugins=False)
    locator = Locator(raw)
    walker = InlineWalker(path, locator, bare=False)
    links: list[RawLink] = []
    for i, src in enumerate(raw):
        if i in noise or not src.strip():
            continue
        n = i + 1
        line_links: list[RawLink] = []
        if "](" in src or "<" in src:
            walker.links = []
            for tok in md.parseInline(src):
                walker.walk(tok.children or [], n)
            line_links = walker.links
        taken = {(lk.url, lk.line) for lk in line_links}
        spans = [(lk.column - 1, lk.column - 1 + max(1, len(lk.url))) for lk in line_links if lk.line == n]
        for offset, url in find_bare_urls(src):
            if (url, n) in taken or any(a < offset + len(url) and offset < b for a, b in spans):
                continue
            line_links.append(RawLink(url, path, n, offset + 1, "", classify_link(url), "bare"))
        links.extend(sorted(line_links, key=lambda lk: (lk.line, lk.column)))
    return links


def read_text(path: str, text: str, encoding: str, warnings: Sequence[str] = ()) -> SourceDocument:
    """Read decoded plain text into a :class:`SourceDocument`.

    Args:
        path: The document path to record.
        text: The decoded text.
        encoding: The encoding it was decoded with.
        warnings: Warnings so far (from decoding).
    """
    raw = split_lines(text)
    noise_idx = noise_indices(raw)
    lines = tuple(Line(s, i + 1) for i, s in enumerate(raw) if i not in noise_idx)
    noise = tuple(Line(s, i + 1) for i, s in enumerate(raw) if i in noise_idx)
    content = [ln.text for ln in lines if ln.text.strip()]
    return SourceDocument(
        path=path,
        format="txt",
        encoding=encoding,
        lines=lines,
        links=tuple(_links(path, raw, noise_idx)),
        metadata=text_metadata(content),
        warnings=tuple(warnings),
        noise=noise,
    )
