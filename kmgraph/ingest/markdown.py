"""The Markdown reader (``md``): markdown-it-py tokens with source line maps.

Parser: CommonMark with tables and strikethrough, plus the footnote and front-matter
plugins of mdit-py-plugins. Nothing is found by regular expressions over Markdown markup;
the regular expressions remove Kramdown attribute lists (``{: .btn }``) and heading
attributes (``## Evidence {#evidence}``), which markdown-it does not know and leaves as
text.

Lines: one :class:`~kmgraph.records.Line` per source line, except front-matter lines and
link reference definitions (which give no line). The text is the readable text of the
line: inline markup removed, link syntax replaced by the link text, images by their alt
text, raw HTML tags removed, list markers kept as written (``1. ``, ``- ``), heading
markers removed (``heading=True``), footnote definitions ``[^1]: text`` rendered as
``[1] text`` and footnote references ``[^1]`` as ``[1]``. Blank lines and lines of
constructs without text (rules, fences, table delimiter rows) are kept as ``Line("", n)``
so that paragraph boundaries stay visible.

Links, each with line and column of the target as written: inline links (``a``),
reference-style links at their use site (``a``), autolinks (``autolink``), images
(``img``), link reference definitions (``definition``, each once, used or not), links
inside footnote definitions (``footnote``), ``a[href]``/``img[src]`` in raw HTML
(parsed by lxml) and bare URLs in text outside links and code (``bare``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Any

import yaml

from kmgraph.ingest._inline import (
    InlineWalker,
    Locator,
    html_link_elements,
    html_text,
    make_markdown,
)
from kmgraph.ingest.dates import iso_date
from kmgraph.ingest.detect import split_lines
from kmgraph.ingest.urls import classify_link
from kmgraph.records import DocumentMetadata, Line, RawLink, SourceDocument

__all__ = ["front_matter_metadata", "read_markdown"]

_IAL = re.compile(r"\s*\{:[^{}\n]*\}")
# Heading attributes of Kramdown, Pandoc and Quarto: "## Evidence {#evidence .unnumbered}".
_HEADING_ATTRS = re.compile(r"\s*\{\s*[#.][^{}\n]*\}\s*$")


def _str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value if v is not None)
    s = " ".join(str(value).split())
    return s or None


def _authors(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, (list, tuple)) else [value]
    out = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("name") or item.get("display_name")
        s = _str(item)
        if s:
            out.append(s)
    return tuple(out)


def _named(value: Any) -> list[str]:
    """Names in a front-matter value: a string, a mapping with ``name``, or a list of them."""
    items = value if isinstance(value, (list, tuple)) else [value]
    out = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("name") or item.get("funder") or item.get("display_name")
        s = _str(item) if not isinstance(item, (list, tuple, dict)) else None
        if s:
            out.append(s)
    return out


def _affiliations(value: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(author, affiliations) for each author given as a mapping with ``affiliation(s)``
    or ``institution``."""
    out = []
    for item in value if isinstance(value, (list, tuple)) else [value]:
        if not isinstance(item, dict):
            continue
        name = _str(item.get("name") or item.get("display_name"))
        orgs = _named(item.get("affiliation") or item.get("affiliations") or item.get("institution") or [])
        if name and orgs:
            out.append((name, tuple(orgs)))
    return tuple(out)


def front_matter_metadata(fm: dict[str, Any]) -> DocumentMetadata:
    """Document metadata from YAML front matter (Jekyll, Hugo, Quarto keys).

    Funders from ``funder``, ``funders`` or ``funding`` (a name, a statement, a list, or
    mappings with ``name``/``funder``); affiliations from authors given as mappings
    (``author: [{name: …, affiliation: …}]``, ``affiliations`` or ``institution``).

    >>> front_matter_metadata({"title": "KMb 101", "author": ["A. Smith", "B. Jones"]}).authors
    ('A. Smith', 'B. Jones')
    """
    low = {str(k).lower(): v for k, v in fm.items()}

    def first(*keys: str) -> Any:
        for key in keys:
            if low.get(key) not in (None, "", []):
                return low[key]
        return None

    date = first("date", "published", "pubdate", "issued")
    return DocumentMetadata(
        title=_str(first("title")),
        publisher=_str(first("publisher", "organisation", "organization")),
        date=iso_date(date) if date is not None else None,
        url=_str(first("url", "permalink", "canonical_url")),
        authors=_authors(first("authors", "author")),
        language=_str(first("lang", "language")),
        description=_str(first("description", "abstract", "summary")),
        funders=tuple(dict.fromkeys(n for key in ("funder", "funders", "funding") for n in _named(low.get(key) or []))),
        affiliations=_affiliations(first("authors", "author")),
    )


def _load_front_matter(content: str, first_line: int) -> tuple[dict[str, Any], str | None]:
    """Parse front matter; return the mapping and a warning (or None)."""
    try:
        data = yaml.safe_load(content) if content.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = first_line + (mark.line if mark is not None else 0)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return {}, f"line {line}: malformed front matter: {problem}"
    if data is None:
        return {}, None
    if not isinstance(data, dict):
        return {}, f"line {first_line}: malformed front matter: not a mapping but a {type(data).__name__}"
    return {str(k): v for k, v in data.items()}, None


class _Reader:
    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.src = split_lines(text)
        self.locator = Locator(self.src)
        self.walker = InlineWalker(path, self.locator)
        self.pieces: dict[int, list[str]] = {}
        self.skip: set[int] = set()
        self.headings: set[int] = set()
        self.links: list[RawLink] = []
        self.warnings: list[str] = []
        self.front_matter: dict[str, Any] = {}
        self.first_h1: str | None = None

    def put(self, line: int, text: str, *, join: str = "") -> None:
        parts = self.pieces.setdefault(line, [])
        if parts and join:
            parts.append(join)
        parts.append(text)

    def run(self, text: str) -> None:
        md = make_markdown()
        env: dict[str, Any] = {}
        tokens = md.parse(text, env)
        prefix = ""
        footnote_depth = 0
        heading: str | None = None
        table_row: int | None = None
        for tok in tokens:
            kind = tok.type
            if kind == "front_matter" and tok.map:
                start, end = tok.map
                self.skip.update(range(start + 1, end + 1))
                self.front_matter, warning = _load_front_matter(tok.content, start + 2)
                if warning:
                    self.warnings.append(warning)
            elif kind == "list_item_open":
                marker = f"{tok.info}{tok.markup} " if tok.info else f"{tok.markup} "
                prefix += marker
            elif kind == "footnote_open":
                footnote_depth += 1
                prefix = f"[{tok.meta.get('label', '')}] "
            elif kind == "footnote_close":
                footnote_depth -= 1
                prefix = ""
            elif kind == "list_item_close":
                prefix = ""
            elif kind == "heading_open" and tok.map:
                heading = tok.tag
                self.headings.add(tok.map[0] + 1)
            elif kind == "heading_close":
                heading = None
            elif kind == "tr_open":
                table_row = tok.map[0] + 1 if tok.map else None
            elif kind == "tr_close":
                table_row = None
            elif kind == "inline" and tok.map:
                first = tok.map[0] + 1
                out = self.walker.walk(tok.children or [], first, footnote=footnote_depth > 0)
                if prefix:
                    out.setdefault(first, []).insert(0, prefix)
                    prefix = ""
                for n, parts in out.items():
                    self.put(n, "".join(parts), join=" | " if table_row else "")
                if heading == "h1" and self.first_h1 is None:
                    self.first_h1 = "".join(out.get(first, [])).strip() or None
            elif kind in ("fence", "code_block") and tok.map:
                start = tok.map[0] + (1 if kind == "fence" else 0)
                lines = tok.content.split("\n")
                if lines and lines[-1] == "":
                    lines.pop()
                for i, body in enumerate(lines):
                    self.put(start + i + 1, (prefix if i == 0 else "") + body)
                prefix = ""
            elif kind == "html_block" and tok.map:
                self._html_block(tok.content, tok.map[0] + 1, prefix)
                prefix = ""
        self.links.extend(self.walker.links)
        self._definitions(env.get("references", {}))

    def _html_block(self, content: str, first: int, prefix: str) -> None:
        for i, body in enumerate(content.split("\n")):
            n = first + i
            if n > len(self.src):
                break
            text = html_text(body)
            if text or (i == 0 and prefix):
                self.put(n, (prefix if i == 0 else "") + text)
        for el, url, text, element in html_link_elements(content):
            line = first + (el.sourceline or 1) - 1
            found_line, col = self.locator.locate(
                line, [('"' + url, 1), ("'" + url, 1), ("=" + url, 1), (url, 0)], span=3, back=3
            )
            self.links.append(RawLink(url, self.path, found_line, col, text, classify_link(url), element))

    def _definitions(self, refs: dict[str, Any]) -> None:
        for label, ref in refs.items():
            start, end = ref.get("map") or (0, 0)
            self.skip.update(range(start + 1, end + 1))
            href = str(ref.get("href", ""))
            n, col = self.locator.locate(start + 1, [("<" + href, 1), (href, 0)], span=max(0, end - start - 1))
            src = self.locator.text(start + 1).lstrip()
            name = src[1 : src.find("]:")] if src.startswith("[") and "]:" in src else label
            self.links.append(RawLink(href, self.path, n, col, name, classify_link(href), "definition"))

    def lines(self) -> tuple[Line, ...]:
        out = []
        for i in range(len(self.src)):
            n = i + 1
            if n in self.skip:
                continue
            text = _IAL.sub("", "".join(self.pieces.get(n, []))).rstrip()
            if n in self.headings:
                text = _HEADING_ATTRS.sub("", text)
            out.append(Line(text, n, heading=n in self.headings))
        return tuple(out)


def read_markdown(path: str, text: str, encoding: str, warnings: Sequence[str] = ()) -> SourceDocument:
    """Read decoded Markdown into a :class:`SourceDocument`.

    Args:
        path: The document path to record.
        text: The decoded text.
        encoding: The encoding it was decoded with.
        warnings: Warnings so far (from decoding).
    """
    reader = _Reader(path, text)
    reader.run(text)
    meta = front_matter_metadata(reader.front_matter)
    if meta.title is None and reader.first_h1:
        meta = dataclasses.replace(meta, title=reader.first_h1)
    links = sorted(reader.links, key=lambda lk: (lk.line, lk.column))
    return SourceDocument(
        path=path,
        format="md",
        encoding=encoding,
        lines=reader.lines(),
        links=tuple(links),
        metadata=meta,
        front_matter=reader.front_matter,
        warnings=tuple(warnings) + tuple(reader.warnings),
    )
