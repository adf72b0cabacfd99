"""Shared machinery of the text and Markdown readers: the markdown-it parser, an inline
token walker that yields readable text per source line and links, and a column locator.

Links are found by markdown-it (CommonMark), never by regular expressions over markup.
Columns are found afterwards by locating the target text in its source line, searching
from a per-line cursor so that two identical targets on one line get distinct columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin

from kmgraph.ingest.urls import classify_link, find_bare_urls
from kmgraph.records import RawLink

if TYPE_CHECKING:
    from lxml import etree

__all__ = ["InlineWalker", "Locator", "html_link_elements", "html_links", "html_text", "make_markdown"]


def make_markdown(*, plugins: bool = True) -> MarkdownIt:
    """A CommonMark parser (tables, strikethrough, footnotes, front matter).

    Link targets are kept as written: no percent-encoding (``normalizeLink``) and no
    rejection of ``javascript:`` targets (``validateLink``), because a link checker must
    see placeholders such as ``javascript:void(0)`` too.
    """
    md = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    if plugins:
        md.use(front_matter_plugin).use(footnote_plugin)
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    return md


class Locator:
    """Find columns of strings in source lines, left to right per line.

    Args:
        lines: The source lines (index 0 is line 1).
    """

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = lines
        self._cursor: dict[int, int] = {}

    def text(self, line: int) -> str:
        """The source text of a 1-based line ("" when out of range)."""
        return self.lines[line - 1] if 1 <= line <= len(self.lines) else ""

    def find(self, line: int, needles: Sequence[tuple[str, int]], *, advance: bool = True) -> int | None:
        """Find the first needle present on ``line`` at or after the cursor.

        Args:
            line: 1-based line number.
            needles: ``(string, offset)`` pairs tried in order; ``offset`` is added to the
                position of the match (to skip ``](`` before a target, say).
            advance: Move the cursor past the match.

        Returns:
            The 1-based column, or None when no needle is on the line.
        """
        src = self.text(line)
        start = self._cursor.get(line, 0)
        for needle, offset in needles:
            if not needle:
                continue
            pos = src.find(needle, start)
            if pos < 0:
                continue
            if advance:
                self._cursor[line] = pos + len(needle)
            return pos + offset + 1
        return None

    def locate(
        self, line: int, needles: Sequence[tuple[str, int]], *, span: int = 0, back: int = 0
    ) -> tuple[int, int]:
        """Like :meth:`find`, also trying ``span`` lines after and ``back`` lines before.

        Returns:
            ``(line, column)``; column 1 on the given line when nothing is found.
        """
        order = [line] + [line + d for d in range(1, span + 1)] + [line - d for d in range(1, back + 1)]
        for n in order:
            col = self.find(n, needles)
            if col is not None:
                return n, col
        return line, 1


@dataclass
class _OpenLink:
    href: str
    line: int
    element: str
    text: list[str] = field(default_factory=list)
    auto: bool = False


class InlineWalker:
    """Walk markdown-it inline children: readable text per line, and links.

    Args:
        path: The document path recorded in links.
        locator: Column finder over the source lines.
        bare: Find bare URLs in text tokens (outside links and code).
    """

    def __init__(self, path: str, locator: Locator, *, bare: bool = True) -> None:
        self.path = path
        self.locator = locator
        self.bare = bare
        self.links: list[RawLink] = []

    def _add(self, url: str, line: int, column: int, text: str, element: str) -> None:
        url = url.strip()
        self.links.append(RawLink(url, self.path, line, column, " ".join(text.split()), classify_link(url), element))

    def walk(self, children: Sequence[Token], first_line: int, *, footnote: bool = False) -> dict[int, list[str]]:
        """Render ``children`` of an inline token that starts on ``first_line``.

        Args:
            children: The inline token's children.
            first_line: 1-based source line of the inline token's first line.
            footnote: The inline content belongs to a footnote definition; its links
                (except images) get the element ``footnote``.

        Returns:
            Readable text pieces keyed by 1-based source line.
        """
        out: dict[int, list[str]] = {}
        line = first_line
        stack: list[_OpenLink] = []
        html_open: _OpenLink | None = None

        def emit(text: str) -> None:
            out.setdefault(line, []).append(text)
            for op in stack:
                op.text.append(text)
            if html_open is not None:
                html_open.text.append(text)

        for tok in children:
            kind = tok.type
            if kind in ("text", "text_special"):
                emit(tok.content)
                if self.bare and not stack and html_open is None:
                    for _, url in find_bare_urls(tok.content):
                        col = self.locator.find(line, [(url, 0)]) or 1
                        self._add(url, line, col, "", "footnote" if footnote else "bare")
            elif kind == "code_inline":
                emit(tok.content)
            elif kind in ("softbreak", "hardbreak"):
                line += 1
                for op in stack:
                    op.text.append(" ")
                if html_open is not None:
                    html_open.text.append(" ")
            elif kind == "link_open":
                auto = tok.info == "auto"
                element = "footnote" if footnote else ("autolink" if auto else "a")
                stack.append(_OpenLink(str(tok.attrs.get("href", "")), line, element, auto=auto))
            elif kind == "link_close" and stack:
                op = stack.pop()
                self._close(op, line)
            elif kind == "image":
                src = str(tok.attrs.get("src", ""))
                emit(tok.content)
                col = self.locator.find(line, [("](" + src, 2), ("](<" + src, 3), (src, 0)])
                if col is None:  # reference-style image: record the use site
                    col = self.locator.find(line, [("![" + tok.content, 0)]) or 1
                self._add(src, line, col, tok.content, "img")
            elif kind == "html_inline":
                content = tok.content
                low = content.lower()
                if low.startswith("</a") and html_open is not None:
                    self._add(html_open.href, html_open.line, self._html_col(html_open), "".join(html_open.text), "a")
                    html_open = None
                elif low.startswith(("<a", "<img")):
                    for url, text, element in html_links(content):
                        if element == "a" and low.startswith("<a"):
                            if html_open is not None:
                                self._add(html_open.href, html_open.line, self._html_col(html_open), "", "a")
                            html_open = _OpenLink(url, line, "a")
                        else:
                            self._add(url, line, self._html_col(_OpenLink(url, line, element)), text, element)
                line += content.count("\n")
            elif kind == "footnote_ref":
                emit(f"[{tok.meta.get('label', '')}]")
        while stack:
            self._close(stack.pop(), line)
        if html_open is not None:
            self._add(html_open.href, html_open.line, self._html_col(html_open), "".join(html_open.text), "a")
        return out

    def _html_col(self, op: _OpenLink) -> int:
        return self.locator.find(op.line, [('"' + op.href, 1), ("'" + op.href, 1), ("=" + op.href, 1), (op.href, 0)]) or 1

    def _close(self, op: _OpenLink, line: int) -> None:
        """Record a link when its closing token is reached (the target is on ``line``)."""
        text = "".join(op.text)
        if op.auto:
            target_line = op.line
            col = self.locator.find(op.line, [("<" + op.href, 1), (op.href, 0)]) or 1
        else:
            target_line = line
            col = self.locator.find(line, [("](" + op.href, 2), ("](<" + op.href, 3)])
            if col is None:
                # A reference-style link: record the use site, at its opening bracket.
                target_line = op.line
                first = text.split()[0] if text.split() else ""
                col = self.locator.find(op.line, [("[" + first, 0), ("[", 0)]) or 1
        self._add(op.href, target_line, col, text, op.element)


def html_links(fragment: str) -> list[tuple[str, str, str]]:
    """``a[href]`` and ``img[src]`` in a fragment of raw HTML, parsed by lxml.

    Returns:
        ``(url, text, element)`` triples in document order (``text`` is the link text or
        the image's alt text).
    """
    return [(url, text, element) for _, url, text, element in html_link_elements(fragment)]


def html_link_elements(fragment: str) -> list[tuple[etree._Element, str, str, str]]:
    """Like :func:`html_links`, with the lxml element (for its ``sourceline``)."""
    if not fragment.strip():
        return []
    import lxml.html  # on first use: a text file without inline HTML never needs lxml
    from lxml import etree

    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return []
    out: list[tuple[etree._Element, str, str, str]] = []
    for el in root.iter("a", "img"):
        if el.tag == "a" and el.get("href") is not None:
            out.append((el, el.get("href", "").strip(), " ".join(el.text_content().split()), "a"))
        elif el.tag == "img" and el.get("src") is not None:
            out.append((el, el.get("src", "").strip(), " ".join((el.get("alt") or "").split()), "img"))
    return out


def html_text(fragment: str) -> str:
    """The text of a fragment of raw HTML, tags removed (by lxml)."""
    if not fragment.strip():
        return ""
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return ""
    for bad in root.xpath(".//script|.//style"):
        bad.drop_tree()
    return " ".join(root.text_content().split())
