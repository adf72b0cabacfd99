"""Checks that need no network: local files, their anchors, ``mailto:`` syntax.

Anchors of a Markdown file are its headings slugged the way GitHub does
(:func:`github_slug`, duplicates numbered ``-1``, ``-2``…) plus any HTML ``id``/``name``
written in it; anchors of an HTML file are its ``id`` attributes and ``<a name>``.
"""

from __future__ import annotations

import os
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote

__all__ = [
    "ANCHOR_SUFFIXES",
    "MARKDOWN_SUFFIXES",
    "HTML_SUFFIXES",
    "always_present",
    "fragment_found",
    "anchors_of_file",
    "github_slug",
    "html_anchors",
    "markdown_anchors",
    "mailto_problem",
]

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown", ".mdown", ".mkd", ".qmd", ".rmd"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
#: Files whose anchors kmgraph knows how to list; fragments of other files are not checked.
ANCHOR_SUFFIXES = MARKDOWN_SUFFIXES | HTML_SUFFIXES

_ID_ATTR = re.compile(r"""<[a-zA-Z][^>]*?\s(?:id|name)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+))""")
_EMAIL = re.compile(r"^[^@\s,;<>()\[\]\\]+@[^@\s,;<>()\[\]\\]+\.[^@\s,;<>()\[\]\\.]+$")


def github_slug(text: str) -> str:
    """A heading's anchor as GitHub makes it (github-slugger, without the numbering).

    Lowercase; drop every character that is not a letter, a digit, a combining mark, a
    connector (``_``), a hyphen or a space; then each space becomes a hyphen.

    >>> github_slug("Hello, World!"), github_slug("3.1 What's new?"), github_slug("Ünïcode  x_y")
    ('hello-world', '31-whats-new', 'ünïcode--x_y')
    """
    out = []
    for ch in text.lower():
        if ch in " -_" or unicodedata.category(ch)[0] in "LNM" or unicodedata.category(ch) == "Pc":
            out.append("-" if ch == " " else ch)
    return "".join(out)


def _numbered(slugs: list[str]) -> list[str]:
    """GitHub's numbering of repeated slugs: ``a``, ``a-1``, ``a-2``."""
    seen: dict[str, int] = {}
    out = []
    for slug in slugs:
        result = slug
        while result in seen:
            seen[slug] += 1
            result = f"{slug}-{seen[slug]}"
        seen[result] = 0
        out.append(result)
    return out


def _strip_front_matter(text: str) -> str:
    if text.startswith("---"):
        m = re.match(r"---[ \t]*\r?\n.*?\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)", text, flags=re.S)
        if m:
            return "\n" * m.group(0).count("\n") + text[m.end() :]
    return text


def markdown_anchors(text: str) -> frozenset[str]:
    """The anchors GitHub gives a Markdown document, plus HTML ids and names in it.

    >>> sorted(markdown_anchors("# Intro\\n\\n## Intro\\n\\n### *Set-up* `pip`\\n<a id=\\"x\\"></a>"))
    ['intro', 'intro-1', 'set-up-pip', 'x']
    """
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark")
    tokens = md.parse(_strip_front_matter(text))
    slugs: list[str] = []
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and i + 1 < len(tokens):
            inline = tokens[i + 1]
            parts: list[str] = []
            for child in inline.children or []:
                if child.type in ("text", "code_inline"):
                    parts.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    parts.append(" ")
                elif child.type == "image":
                    parts.append(child.content)
            slugs.append(github_slug("".join(parts).strip()))
    anchors = set(_numbered(slugs))
    for m in _ID_ATTR.finditer(text):
        anchors.add(next(g for g in m.groups() if g is not None))
    return frozenset(anchors)


def html_anchors(data: bytes | str) -> frozenset[str]:
    """The ``id`` attributes and ``<a name>`` values of an HTML document.

    >>> sorted(html_anchors('<h2 id="a">A</h2><a name="b"></a><p>no</p>'))
    ['a', 'b']
    """
    import lxml.html
    from lxml import etree

    if not (data.strip() if isinstance(data, str) else data.strip()):
        return frozenset()
    try:
        root = lxml.html.fromstring(data)
    except (etree.ParserError, ValueError):
        return frozenset()
    anchors = {str(v) for v in root.xpath("//@id")}
    anchors |= {str(v) for v in root.xpath("//a/@name")}
    return frozenset(anchors)


@lru_cache(maxsize=256)
def _anchors_cached(path: str, mtime_ns: int, size: int) -> frozenset[str]:
    suffix = Path(path).suffix.lower()
    data = Path(path).read_bytes()
    if suffix in HTML_SUFFIXES:
        return html_anchors(data)
    return markdown_anchors(data.decode("utf-8", errors="replace"))


def anchors_of_file(path: str | os.PathLike[str]) -> frozenset[str] | None:
    """The anchors of a local Markdown or HTML file; None for other files.

    Raises:
        OSError: The file cannot be read.
    """
    p = os.fspath(path)
    if Path(p).suffix.lower() not in ANCHOR_SUFFIXES:
        return None
    st = os.stat(p)
    return _anchors_cached(os.path.abspath(p), st.st_mtime_ns, st.st_size)


def always_present(fragment: str) -> bool:
    """Fragments every page has: empty, ``top``, text fragments (``:~:text=``), line ranges.

    >>> always_present("top"), always_present(":~:text=hello"), always_present("L10-L20"), always_present("x")
    (True, True, True, False)
    """
    return fragment in ("", "top") or fragment.startswith(":~:") or bool(re.fullmatch(r"L\d+(?:-L\d+)?", fragment))


def fragment_found(fragment: str, anchors: frozenset[str], *, case_insensitive: bool = False) -> bool:
    """True when ``fragment`` (percent-encoded or not) names one of ``anchors``.

    GitHub prefixes rendered ids with ``user-content-``; either form counts.
    """
    if always_present(fragment):
        return True
    for cand in {fragment, unquote(fragment)}:
        if cand in anchors or f"user-content-{cand}" in anchors:
            return True
        if case_insensitive and cand.lower() in {a.lower() for a in anchors}:
            return True
    return False


def mailto_problem(url: str) -> str | None:
    """Why a ``mailto:`` link is malformed, or None when its addresses look right.

    >>> mailto_problem("mailto:info@example.org?subject=Hi") is None
    True
    >>> mailto_problem("mailto:info@example")
    "malformed address 'info@example'"
    """
    body = url.strip()[len("mailto:") :]
    addresses = unquote(body.split("?", 1)[0])
    if not addresses.strip():
        query = body.split("?", 1)[1] if "?" in body else ""
        return None if re.search(r"(?:^|&)(?:to|cc|bcc)=[^&]+", query, flags=re.I) else "no address"
    for addr in addresses.split(","):
        addr = addr.strip()
        if not _EMAIL.match(addr):
            return f"malformed address {addr!r}"
    return None
