"""The HTML reader (``html``): lxml's recovering HTML parser, with source line numbers.

Lines: the text of each block element (``p``, ``li``, ``h1``–``h6``, ``dd``, ``dt``, ``td``,
``th``, ``blockquote``, ``div``, ``pre`` line by line, …), as ``Line(text,
number=element.sourceline)``, without the text of block elements nested in it (they give
their own lines). ``<br>`` splits a block into several lines. ``<li>`` in ``<ol>`` is
prefixed ``"N. "`` (honouring ``start`` and ``value``), elsewhere ``"- "``; headings have
``heading=True``. ``script``, ``style``, ``noscript``, ``template`` and ``head`` are skipped.

Noise: ``<nav>`` and elements with ``role="navigation"``, anywhere, and ``<header>``/
``<footer>`` (or ``role="banner"``/``"contentinfo"``) that are not inside an ``article``,
``main`` or ``section``. Their lines go to ``noise``; their links are not recorded.

Links: ``a[href]`` (text: the element's text) and ``img[src]`` (text: ``alt``).
``link[rel=canonical]`` only sets ``metadata.url``.

Metadata, by precedence: Highwire ``citation_*`` > Dublin Core (``DC.``/``dc.``/``dcterms.``)
> JSON-LD (``Article``, ``ScholarlyArticle``, ``Report``, ``WebPage``, ``CreativeWork``, …)
> OpenGraph (``og:``) > ``<title>``. Malformed JSON-LD is a warning. Funders: every
``citation_funder`` tag and the JSON-LD ``funder`` and ``funding`` (a Grant's ``funder``).
Author affiliations: the ``citation_author_institution`` (or ``_affiliation``) tags after
each ``citation_author``, else the JSON-LD authors' ``affiliation``.
"""

from __future__ import annotations

import html as _html
import json
from collections.abc import Iterable, Sequence
from typing import Any

import lxml.html
from lxml import etree

from kmgraph.ingest._inline import Locator
from kmgraph.ingest.dates import iso_date
from kmgraph.ingest.detect import split_lines
from kmgraph.ingest.urls import classify_link
from kmgraph.records import DocumentMetadata, Line, RawLink, SourceDocument

__all__ = ["html_metadata", "read_html"]

_SKIP = {"script", "style", "noscript", "template", "head", "title", "meta", "link", "svg", "math", "iframe", "object"}
_BLOCK = {
    "address", "article", "aside", "blockquote", "body", "caption", "dd", "details", "dialog", "div",
    "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hgroup", "hr", "html", "legend", "li", "main", "menu", "nav", "ol", "p", "pre", "section",
    "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}  # fmt: skip
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_PAGE_SCOPES = {"article", "main", "section"}
_JSONLD_TYPES = (
    "ScholarlyArticle", "Article", "NewsArticle", "BlogPosting", "TechArticle", "Report", "Thesis", "Book",
    "Chapter", "Dataset", "CreativeWork", "WebPage",
)  # fmt: skip


def _tag(el: Any) -> str:
    return el.tag.lower() if isinstance(el.tag, str) else ""


def _is_noise(el: Any) -> bool:
    tag = _tag(el)
    role = (el.get("role") or "").lower()
    if tag == "nav" or role == "navigation":
        return True
    if tag in ("header", "footer") or role in ("banner", "contentinfo"):
        return not any(_tag(a) in _PAGE_SCOPES for a in el.iterancestors())
    return False


def _norm(text: str) -> str:
    return " ".join(text.split())


class _Reader:
    def __init__(self, path: str, src: Sequence[str]) -> None:
        self.path = path
        self.locator = Locator(src)
        self.lines: list[Line] = []
        self.noise: list[Line] = []
        self.links: list[RawLink] = []

    def visit(self, el: Any, noise: bool) -> None:
        tag = _tag(el)
        if not tag or tag in _SKIP:
            return
        noise = noise or _is_noise(el)
        if tag in _BLOCK:
            self._block(el, tag, noise)
        if not noise and tag in ("a", "img"):
            self._link(el, tag)
        if tag == "pre":
            for child in el.iter("a", "img"):
                if child is not el and not noise:
                    self._link(child, _tag(child))
            return
        for child in el:
            self.visit(child, noise)

    def _link(self, el: Any, tag: str) -> None:
        attr = "href" if tag == "a" else "src"
        url = el.get(attr)
        if url is None:
            return
        url = url.strip()
        text = _norm(el.text_content()) if tag == "a" else _norm(el.get("alt") or "")
        esc = _html.escape(url, quote=True)
        needles = [('"' + url, 1), ("'" + url, 1), ("=" + url, 1)]
        if esc != url:
            needles += [('"' + esc, 1), ("'" + esc, 1), ("=" + esc, 1)]
        needles.append((url, 0))
        line, col = self.locator.locate(el.sourceline or 1, needles, span=2, back=5)
        self.links.append(RawLink(url, self.path, line, col, text, classify_link(url), tag))

    def _block(self, el: Any, tag: str, noise: bool) -> None:
        target = self.noise if noise else self.lines
        start = el.sourceline or 1
        if tag == "pre":
            text = el.text_content()
            lead = len(text) - len(text.lstrip("\n"))
            for i, body in enumerate(text.strip("\n").split("\n")):
                target.append(Line(body.rstrip(), start + lead + i))
            return
        prefix = _li_prefix(el) if tag == "li" else ""
        heading = tag in _HEADINGS
        first = True
        for number, text in _segments(el, start):
            text = _norm(text)
            if not text:
                continue
            target.append(Line((prefix if first else "") + text, number, heading=heading))
            first = False


def _segments(el: Any, start: int) -> list[tuple[int, str]]:
    """The element's own text, split at ``<br>`` and nested blocks, with line numbers."""
    segs: list[tuple[int, list[str]]] = []
    lead = el.text or ""
    line = start + lead[: len(lead) - len(lead.lstrip())].count("\n")
    segs.append((line, [lead]))

    def walk(node: Any) -> None:
        for child in node:
            tag = _tag(child)
            if tag == "br" or tag in _BLOCK:
                end = child.sourceline or segs[-1][0]
                if tag in _BLOCK:
                    end += child.text_content().count("\n")
                segs.append((end, []))
            elif tag and tag not in _SKIP:
                segs[-1][1].append(child.text or "")
                walk(child)
            if child.tail:
                segs[-1][1].append(child.tail)

    walk(el)
    return [(n, "".join(parts)) for n, parts in segs]


def _li_prefix(el: Any) -> str:
    parent = el.getparent()
    if parent is None or _tag(parent) != "ol":
        return "- "
    try:
        number = int(parent.get("start", "1"))
    except ValueError:
        number = 1
    for sib in parent:
        if _tag(sib) != "li":
            continue
        value = sib.get("value")
        if value is not None and value.strip().lstrip("-").isdigit():
            number = int(value)
        if sib is el:
            return f"{number}. "
        number += 1
    return "- "


def _meta_values(root: Any) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for el in root.iter("meta"):
        key = (el.get("name") or el.get("property") or el.get("itemprop") or "").strip().lower()
        content = el.get("content")
        if not key or content is None or not content.strip():
            continue
        if key.startswith("dcterms."):
            key = "dc." + key[len("dcterms.") :]
        values.setdefault(key, []).append(_norm(content))
    return values


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _name(value: Any, ids: dict[str, dict[str, Any]]) -> str | None:
    if isinstance(value, dict) and "@id" in value and len(value) == 1:
        value = ids.get(value["@id"], value)
    if isinstance(value, dict):
        value = value.get("name") or value.get("legalName")
    if isinstance(value, list):
        value = value[0] if value else None
    return _norm(str(value)) if value else None


def _jsonld_nodes(data: Any) -> Iterable[dict[str, Any]]:
    for item in _as_list(data):
        if isinstance(item, dict):
            yield item
            for sub in _as_list(item.get("@graph")):
                yield from _jsonld_nodes(sub)


def _jsonld(root: Any, warnings: list[str]) -> dict[str, Any]:
    """The best JSON-LD node describing the document (an article before a web page)."""
    nodes: list[dict[str, Any]] = []
    for script in root.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        raw = script.text or ""
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            line = (script.sourceline or 1) + exc.lineno - 1
            warnings.append(f"line {line}: malformed JSON-LD: {exc.msg}")
            continue
        nodes.extend(_jsonld_nodes(data))
    ids = {str(n["@id"]): n for n in nodes if "@id" in n}

    def rank(node: dict[str, Any]) -> int:
        types = [str(t).split("/")[-1].split(":")[-1] for t in _as_list(node.get("@type"))]
        ranks = [_JSONLD_TYPES.index(t) for t in types if t in _JSONLD_TYPES]
        return min(ranks) if ranks else len(_JSONLD_TYPES)

    candidates = [n for n in nodes if rank(n) < len(_JSONLD_TYPES)]
    if not candidates:
        return {}
    best = min(candidates, key=rank)
    people = _as_list(best.get("author") or best.get("creator"))
    authors = [a for a in (_name(x, ids) for x in people) if a]
    url = best.get("url")
    return {
        "title": _name(best.get("headline") or best.get("name"), ids),
        "authors": authors,
        "publisher": _name(best.get("publisher"), ids),
        "date": iso_date(best.get("datePublished") or best.get("dateCreated")),
        "url": url if isinstance(url, str) else None,
        "description": _name(best.get("description"), ids),
        "language": _name(best.get("inLanguage"), ids),
        "funders": _names([*_as_list(best.get("funder")), *(g for grant in _as_list(best.get("funding")) for g in _grant_funders(grant, ids))], ids),
        "affiliations": [(a, tuple(orgs)) for a, orgs in ((_name(x, ids), _affiliations(x, ids)) for x in people) if a and orgs],
    }


def _names(values: list[Any], ids: dict[str, dict[str, Any]]) -> list[str]:
    """The name of each value (a string, a node or a reference to one), without repeats."""
    return list(dict.fromkeys(n for n in (_name(v, ids) for v in values) if n))


def _grant_funders(grant: Any, ids: dict[str, dict[str, Any]]) -> list[Any]:
    """The funders of a schema.org Grant (``funding``), followed by reference."""
    if isinstance(grant, dict) and "@id" in grant and len(grant) == 1:
        grant = ids.get(grant["@id"], grant)
    return _as_list(grant.get("funder")) if isinstance(grant, dict) else []


def _affiliations(author: Any, ids: dict[str, dict[str, Any]]) -> list[str]:
    """The names of a JSON-LD author's ``affiliation`` (one or a list)."""
    if isinstance(author, dict) and "@id" in author and len(author) == 1:
        author = ids.get(author["@id"], author)
    return _names(_as_list(author.get("affiliation")), ids) if isinstance(author, dict) else []


def _highwire_affiliations(root: Any) -> list[tuple[str, tuple[str, ...]]]:
    """Each ``citation_author`` with the ``citation_author_institution`` (or
    ``_affiliation``) tags that follow it, before the next author."""
    pairs: list[tuple[str, list[str]]] = []
    for el in root.iter("meta"):
        key = (el.get("name") or el.get("property") or "").strip().lower()
        content = _norm(el.get("content") or "")
        if not content:
            continue
        if key == "citation_author":
            pairs.append((content, []))
        elif key in ("citation_author_institution", "citation_author_affiliation") and pairs:
            pairs[-1][1].append(content)
    return [(author, tuple(orgs)) for author, orgs in pairs if orgs]


def _doi_url(doi: str) -> str:
    doi = doi.strip()
    low = doi.lower()
    for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:"):
        if low.startswith(prefix):
            doi = doi[len(prefix) :].strip()
            break
    return "https://doi.org/" + doi


def html_metadata(root: Any, warnings: list[str]) -> DocumentMetadata:
    """Document metadata from ``<head>`` (precedence in the module docstring).

    Args:
        root: The parsed document (lxml).
        warnings: Receives a warning per malformed JSON-LD block.
    """
    meta = _meta_values(root)
    ld = _jsonld(root, warnings)

    def first(*candidates: Any) -> Any:
        for c in candidates:
            if c:
                return c
        return None

    def m(key: str) -> str | None:
        vals = meta.get(key)
        return vals[0] if vals else None

    title_el = root.find(".//title")
    page_title = _norm(title_el.text_content()) if title_el is not None else None
    canonical = None
    for link in root.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            canonical = link.get("href").strip()
            break
    doi = m("citation_doi")
    dc_id = m("dc.identifier")
    dc_url = None
    if dc_id:
        low = dc_id.lower()
        if low.startswith(("http://", "https://")):
            dc_url = dc_id
        elif low.startswith(("doi:", "10.")):
            dc_url = _doi_url(dc_id)
    date = first(
        m("citation_publication_date"),
        m("citation_date"),
        m("citation_online_date"),
        m("dc.date"),
        m("dc.issued"),
        m("dc.created"),
    )
    html_el = root if _tag(root) == "html" else root.find(".//html")
    lang = html_el.get("lang") if html_el is not None else None
    return DocumentMetadata(
        title=first(m("citation_title"), m("dc.title"), ld.get("title"), m("og:title"), page_title),
        publisher=first(m("citation_publisher"), m("dc.publisher"), ld.get("publisher"), m("og:site_name")),
        date=iso_date(date) if date else first(ld.get("date"), iso_date(m("article:published_time"))),
        url=first(
            m("citation_public_url"),
            m("citation_abstract_html_url"),
            _doi_url(doi) if doi else None,
            dc_url,
            ld.get("url"),
            canonical,
            m("og:url"),
        ),
        authors=tuple(
            meta.get("citation_author") or meta.get("dc.creator") or ld.get("authors") or meta.get("author") or ()
        ),
        language=first(lang and lang.strip(), m("citation_language"), m("dc.language"), ld.get("language")),
        description=first(m("dc.description"), ld.get("description"), m("og:description"), m("description")),
        funders=tuple(dict.fromkeys([*meta.get("citation_funder", ()), *ld.get("funders", ())])),
        affiliations=tuple(_highwire_affiliations(root) or ld.get("affiliations") or ()),
    )


def read_html(path: str, text: str, encoding: str, warnings: Sequence[str] = ()) -> SourceDocument:
    """Read decoded HTML into a :class:`SourceDocument`.

    Args:
        path: The document path to record.
        text: The decoded text.
        encoding: The encoding it was decoded with.
        warnings: Warnings so far (from decoding).
    """
    src = split_lines(text)
    warns = list(warnings)
    reader = _Reader(path, src)
    metadata = DocumentMetadata()
    if text.strip():
        parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, huge_tree=True)
        try:
            root = lxml.html.document_fromstring("\n".join(src).encode("utf-8"), parser=parser)
        except (etree.ParserError, ValueError) as exc:
            warns.append(f"no HTML content: {exc}")
        else:
            reader.visit(root, False)
            metadata = html_metadata(root, warns)
    return SourceDocument(
        path=path,
        format="html",
        encoding=encoding,
        lines=tuple(sorted(reader.lines, key=lambda ln: ln.number)),
        links=tuple(reader.links),
        metadata=metadata,
        warnings=tuple(warns),
        noise=tuple(sorted(reader.noise, key=lambda ln: ln.number)),
    )
