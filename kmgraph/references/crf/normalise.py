"""From CRF labels to the fields of the JSON contract.

The CRF labels every token with one of AnyStyle's labels; a *segment* is a maximal run
of tokens with the same label. This module turns the segments into the ``fields`` of
:class:`~kmgraph.records.ParsedReference` (the contract documented in
``docs/extract-json.md``), reusing the rule parser's normalisers for names, years,
DOIs, pages and entry types.

Label to field mapping:

================================  ==================================================
label                             field
================================  ==================================================
author                            ``author`` (list of "Family, Given"; ``authors_elided``)
editor                            ``editor`` (role words "In", "(Eds.)", "edited by" removed)
translator                        ``translator`` (list, as ``editor``)
director, producer                ``contributor`` (list)
title                             ``title`` (quotes, closing period, "[Report]" removed)
journal, container-title          ``container`` ("In:" removed); journal hints ``article``
collection-title                  ``series``
date                              ``year`` ("2012", "2008, 2013", "n.d.", "2020a")
volume                            ``volume`` and ``number`` ("10(2)", "vol. 3, no. 4")
pages                             ``pages`` ("13--24"; "pp." removed)
publisher                         ``publisher``
location                          ``address``
url                               ``url`` ("Retrieved from", "<>" removed)
doi                               ``doi`` (bare: resolver and "doi:" removed)
isbn                              ``isbn`` (as printed, "ISBN" removed)
edition                           ``edition`` ("2nd", "Rev")
genre, medium                     entry ``type`` hint (thesis, report); kept in ``note``
                                  unless it only names the type
note, source                      ``note`` (URL lead-ins such as "Retrieved from" dropped)
citation-number                   dropped (the list label)
any other label                   ``note``
================================  ==================================================

The entry ``type`` is inferred from what is present: a journal means ``article``; a
container with "Proceedings", "Conference", ... means ``inproceedings``; another
container means ``incollection``; a thesis genre ``thesis``; a report genre
``report``; then the rule parser's decision (publisher, URL, title cues).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from kmgraph.references.parse import (  # the rule parser's normalisers, shared on purpose
    _DASH,
    _EDITOR_MARK,
    _PROCEEDINGS,
    _THESIS,
    _YEAR,
    _decide_type,
    _normalise_doi,
    _split_names,
    _title_descriptors,
    _trim_url,
    _year_value,
)

__all__ = [
    "segments",
    "repair",
    "normalise",
    "access_note",
    "volume_pages",
    "names",
    "year",
    "volume_number",
    "pages",
    "edition",
]


# Patterns used per reference, compiled once.
_RE_ED_WORD = re.compile(r"\b[Ee]d")
_RE_KEEP_FINAL_PERIOD = re.compile(r"(?:\b[A-Z]|\bal|\bJr|\bSr|\bInc|\bLtd|\bCo)\.$")
_RE_OUTER_BRACKET = re.compile(r"^[(\[]\s*|\s*[)\]]$")
_RE_ND = re.compile(r"[ns]\.\s?d\.?")
_RE_ONE_YEAR = re.compile(rf"{_YEAR}[a-z]?")
_RE_YEAR_LIST = re.compile(rf"{_YEAR}[a-z]?(?:\s*[,/]\s*{_YEAR}[a-z]?)+")
_RE_YEAR_RANGE = re.compile(rf"(?:[^\d]*?\b)?({_YEAR}[a-z]?)(?:\s*{_DASH}\s*({_YEAR}|\d\d))?")
_RE_YEARS = re.compile(rf"(?<!\d)({_YEAR}[a-z]?)(?!\d)")
_RE_LEADING_YEAR = re.compile(rf"^\(?({_YEAR})\)?\s*[;:,]\s*")
_RE_PARENTHESISED = re.compile(r"^\(\s*(.*?)\s*\)$")
_RE_NUMBER_WORD = re.compile(r"^(?:[Nn]o|[Nn]r|[Ii]ssue)\.?\s*")
_RE_PAGE_WORD = re.compile(r"^\(?\s*(?:pp?|pages?|pgs?|[Ss]s?|[Aa]rt)\.?\s*")
_RE_DASH = re.compile(rf"\s*{_DASH}\s*")
_RE_EDITION_WORD = re.compile(r"[,.]?\s*\b(?:ed|edn|edition|Edition|Ed|Aufl|Auflage|éd|vyd)\b\.?\)?[,.]?$")
_RE_URL_WORD = re.compile(r"^(?:URL|[Aa]vailable\s+(?:at|from)|[Rr]etrieved\s+from)\s*:?\s*")
_RE_FINAL_INITIAL = re.compile(r"\b[A-Z]\.$")
_RE_CLOSING_QUOTE = re.compile(r"(?:[\"”»'’]|'')\s*[.,;:]?$")
_RE_EDS_MARK = re.compile(r"\(\s*[Ee]ds?\.?\s*\)|,\s*[Ee]ditors?\b")
_RE_LEADING_OF = re.compile(r"^\s*of\s+")
_RE_DOI_BRACKETS = re.compile(r"^[\[(<]+|[\])>]+[.,;]?$")


def segments(tokens: Sequence[str], labels: Sequence[str]) -> list[tuple[str, str]]:
    """Maximal runs of one label: ``[(label, text), ...]`` in order.

    Example:
        >>> segments(["Levin,", "B.", "(2011)."], ["author", "author", "date"])
        [('author', 'Levin, B.'), ('date', '(2011).')]
    """
    out: list[tuple[str, str]] = []
    prev = None
    buf: list[str] = []
    for tok, lab in zip(tokens, labels, strict=True):
        if lab != prev and buf:
            out.append((prev, " ".join(buf)))  # type: ignore[arg-type]
            buf = []
        prev = lab
        buf.append(tok)
    if buf:
        out.append((prev, " ".join(buf)))  # type: ignore[arg-type]
    return out


# ---------------------------------------------------------------------------------------
# Field normalisers
# ---------------------------------------------------------------------------------------

_LEAD_IN = re.compile(r"^\s*(?:[Ii]n|IN|[Dd]ans|[Ii]m)\s*:?\s+|^\s*[Ii]n:\s*")
_ROLE_PREFIX = re.compile(
    r"^\s*(?:(?:[Ee]dited|[Tt]ranslated|[Rr]evised|[Cc]ompiled|[Ii]ntroduced|[Hh]erausgegeben|[Hh]g\.?|[Hh]rsg\.?)"
    r"(?:\s+and\s+\w+)?\s+(?:by|von|v\.)"
    r"|(?:[Ee]ds?|[Ee]dd|[Tt]rans|[Tt]r|[Tt]rad|[Hh]rsg|[Hh]g|[Éé]d)\.?(?:\s+(?:by|par|von|fr\.\s*par))?"
    r"|[Tt]rad(?:uit|\.)?\s+(?:fr\.\s*)?par"
    r"|[Bb]y)\s+"
)
_ROLE_SUFFIX = re.compile(
    r"\s*[,(\[]*\s*(?:(?:gen\.|general|series|guest)\s+)?(?<![^\W\d_])"
    r"(?:[Ee]ds?|[Ee]dd|[Ee]ditors?|[Ee]ditor\(s\)|[Hh]rsg|[Hh]g|[Tt]rans|[Tt]ranslators?|[Tt]r|[Éé]ds?|[Dd]irs?|[Cc]oords?)"
    r"\.?\s*[)\]]*\s*[.,:;]*\s*$"
)
_ROLE_SUFFIX_SPAN = 40  # longer than any role suffix ("(gen. Translators)." ...)
_ELIDED_MARK = re.compile(r"\bet\s*al\b|…|\.\s?\.\s?\.|\band\s+others\b", re.IGNORECASE)


def _strip_edges(s: str) -> str:
    return s.strip().strip(" ,;:").strip()


def names(text: str) -> tuple[list[str], bool]:
    """An author, editor or translator segment as "Family, Given" names.

    Role words are removed first ("In", "Edited by", "(Eds.)", "trans."); corporate
    authors stay whole; "et al." and "…" set the elided flag.

    Example:
        >>> names("In D. S. Touretzky, editor,")
        (['Touretzky, D. S.'], False)
        >>> names("van der Berg, J., & De Vries, A. (Eds.).")
        (['van der Berg, J.', 'De Vries, A.'], False)
    """
    s = _strip_edges(text)
    s = _LEAD_IN.sub("", s, count=1)
    for _ in range(2):
        s2 = _ROLE_PREFIX.sub("", s, count=1)
        m = _ROLE_SUFFIX.search(s2, max(0, len(s2) - _ROLE_SUFFIX_SPAN))  # only the tail can match
        if m:
            s2 = s2[: m.start()]
        s2 = _EDITOR_MARK.sub("", s2) if _RE_ED_WORD.search(s2[-12:]) else s2
        if s2 == s:
            break
        s = _strip_edges(s2)
    s = s.strip().rstrip(",;:")
    if s.endswith(".") and not _RE_KEEP_FINAL_PERIOD.search(s):
        s = s[:-1]
    if not s:
        return [], False
    found, elided, _ = _split_names(s)
    return found, elided or bool(_ELIDED_MARK.search(s) and not found)


def year(text: str) -> str:
    """A date segment as the contract's ``year``.

    Example:
        >>> year("(2008, 2013)."), year("(n.d.)."), year("(2011, March)."), year("1999a,")
        ('2008, 2013', 'n.d.', '2011', '1999a')
    """
    s = text.strip().rstrip(".,;:").strip()
    s = _RE_OUTER_BRACKET.sub("", s).strip().rstrip(".,;:").strip()
    s = _RE_OUTER_BRACKET.sub("", s).strip()
    if not s:
        return text.strip()
    if _RE_ND.fullmatch(s):
        return s[0] + ".d."
    value = _year_value(s)
    if _RE_ONE_YEAR.fullmatch(value) or value.startswith("n.d."):
        return value
    if _RE_YEAR_LIST.fullmatch(value):
        return value
    m = _RE_YEAR_RANGE.fullmatch(value)
    if m and m.group(2):
        return value  # a range: "1999-2000"
    years = _RE_YEARS.findall(value)
    if len(years) == 1:
        return years[0]
    return value


_VOL = re.compile(
    r"^(?:(?:[Vv]ol(?:ume)?s?|[Bb]d|[Tt]ome|[Ss]eries\s+volume|[Jj]g)\.?\s*)?"
    r"(?P<v>[\dIVXLCivxlc]+[A-Za-z]?(?:\s*[-–/]\s*\d+)?)"
    r"(?:\s*[,.]?\s*\(\s*(?P<n1>[^()]+?)\s*\)"
    r"|\s*[,.:]?\s*(?:[Nn]o|[Nn]r|[Ii]ssue|[Ii]ss|[Hh]eft|[Nn]umber|n°|[Nn])\.?\s*(?P<n2>[\w/–-]+))?"
    r"\s*[.,:;]?\s*$"
)
_NUM_ONLY = re.compile(r"^(?:[Nn]o|[Nn]r|[Ii]ssue|[Nn]umber|[Hh]eft|n°)\.?\s*(?P<n>[\w/–-]+)[.,:;]?$")


def volume_number(text: str) -> tuple[str | None, str | None, str | None]:
    """A volume segment as ``(volume, number, year)``.

    Example:
        >>> volume_number("10(2),"), volume_number("vol. 3, no. 4."), volume_number("2006;26(1):")
        (('10', '2', None), ('3', '4', None), ('26', '1', '2006'))
    """
    s = text.strip()
    yr = None
    m = _RE_LEADING_YEAR.match(s)
    if m:
        yr = m.group(1)
        s = s[m.end() :]
    s = s.strip().rstrip(".,;: ").strip()
    s = _RE_PARENTHESISED.sub(r"\1", s)
    m2 = _NUM_ONLY.match(s)
    if m2:
        return None, m2.group("n").rstrip(".,"), yr
    m3 = _VOL.match(s)
    if m3:
        num = m3.group("n1") or m3.group("n2")
        if num:
            num = _RE_NUMBER_WORD.sub("", num).strip()
        return m3.group("v"), num or None, yr
    return (s or None), None, yr


def pages(text: str) -> str:
    """A pages segment as ``first--last``.

    Example:
        >>> pages("pp. 15–26."), pages("p. 143"), pages("S. 7-9,")
        ('15--26', '143', '7--9')
    """
    s = text.strip().rstrip(".,;:)").strip()
    s = _RE_PAGE_WORD.sub("", s).strip()
    s = _RE_DASH.sub("--", s)
    s = s.lstrip("(").strip()
    return s


def edition(text: str) -> str:
    """An edition segment without "ed." and brackets.

    Example:
        >>> edition("(2nd edn),"), edition("Rev. ed."), edition("3 edition,")
        ('2nd', 'Rev', '3')
    """
    s = text.strip().strip("()[],;: ").strip()
    s = _RE_EDITION_WORD.sub("", s).strip()
    s = s.strip("()[],;: ").strip()
    return s or text.strip().strip("()[],;: ")


_URL_LEADIN = re.compile(
    r"^\s*(?:[Rr]etrieved(?:\s+(?:on\s+)?(?P<date>.*?\d{4}),?)?\s+from|[Aa]vailable\s+(?:online\s+)?(?:at|from|online)"
    r"|[Aa]ccessed\s+(?:at|from|via)|URL|[Oo]nline|[Ll]ink|[Ww]eb(?:site)?|[Ff]rom)\s*:?\s*$"
)


def _url(text: str) -> str:
    s = text.strip()
    s = _RE_URL_WORD.sub("", s)
    s = s.strip("<>[]() ")
    s = "".join(s.split())  # "https://www.cia.gov/ library/..." was broken by a space
    return _trim_url(s)


def _isbn(text: str) -> str:
    s = re.sub(r"^\s*\(?ISBN(?:-1[03])?\s*:?\s*", "", text.strip(), flags=re.IGNORECASE)
    return s.strip().rstrip(".,;:)").strip()


def _plain(text: str) -> str:
    s = text.strip()
    if len(s) >= 2 and s[0] in "[(" and s[-1] in "])":
        s = s[1:-1]
    elif len(s) >= 3 and s[0] in "[(" and s[-2] in "])" and s[-1] in ".,;:":
        s = s[1:-2]
    return s.strip().rstrip(",;:").rstrip(".").strip() if not _RE_FINAL_INITIAL.search(s) else s.strip().rstrip(",;:")


def _title(text: str) -> str:
    s = text.strip()
    s = s.rstrip(",;:").strip()
    if s.endswith(".") and not s.endswith("..."):
        s = s[:-1].rstrip()
    # Surrounding quotes (MLA, Chicago, IEEE): "Title," -> Title
    if s[:1] in "\"“„«'‘" or s.startswith("``"):
        q = s[2:] if s.startswith("``") else s[1:]
        q = q.rstrip()
        q = _RE_CLOSING_QUOTE.sub("", q) if _RE_CLOSING_QUOTE.search(q) else q
        s = q.strip().rstrip(",;:").strip()
        if s.endswith(".") and not s.endswith("..."):
            s = s[:-1]
    return s.strip()


def _container(text: str) -> str:
    s = _LEAD_IN.sub("", text.strip(), count=1)
    return _title(s)


def _place(text: str) -> str:
    """A place or publisher without edge punctuation or an unpaired bracket.

    Example:
        >>> _place("(Doctoral dissertation, University of Toronto)."), _place("Toronto:")
        ('Doctoral dissertation, University of Toronto', 'Toronto')
    """
    s = text.strip().rstrip(":;,. ").strip()
    if s.startswith("(") and s.count("(") > s.count(")"):
        s = s[1:]
    if s.endswith(")") and s.count(")") > s.count("("):
        s = s[:-1].rstrip(":;,. ")
    if s.startswith("(") and s.endswith(")") and s.count("(") == 1:
        s = s[1:-1]
    return s.strip()


_VOL_ISSUE_PAGES = re.compile(
    r"^(?P<v>.*?\d[^:]*?)\s*:\s*(?P<p>[A-Za-z]?\d+[a-z]?(?:\s*(?:--|[-–—‐‑])\s*[A-Za-z]?\d+[a-z]?)?)[.,;]?$"
)


def volume_pages(text: str) -> tuple[str, str | None]:
    """Split pages off a Vancouver volume segment: ``"26(1):13-24."`` -> ``("26(1)", "13--24")``.

    Example:
        >>> volume_pages("26(1):13-24."), volume_pages("10(2),")
        (('26(1)', '13--24'), ('10(2),', None))
    """
    m = _VOL_ISSUE_PAGES.match(text.strip())
    if not m or _YEAR_ONLY.fullmatch(m.group("v").strip("()[] ")):
        return text, None
    return m.group("v"), pages(m.group("p"))


_YEAR_ONLY = re.compile(r"(?:1[5-9]\d\d|20\d\d)")
_ACCESS_NOTE = re.compile(
    r"^[\[(]?\s*(?P<w>[Aa]ccessed|[Vv]iewed|[Cc]ited|[Cc]onsulted)\s*:?\s*(?P<d>.*?)\s*"
    r"(?:\s(?:from|at|via|on))?\s*[\])]?\s*[.,;:]?$"
)


def access_note(text: str) -> str | None:
    """An access date as the contract's note: ``"[Accessed: 3 May 2020]."`` -> ``"Accessed 3 May 2020"``.

    Example:
        >>> access_note("(accessed May 3, 2020)"), access_note("Accessed 3 May 2020 from"), access_note("Vol. 3")
        ('Accessed May 3, 2020', 'Accessed 3 May 2020', None)
    """
    m = _ACCESS_NOTE.match(text.strip())
    if not m or not m.group("d") or not re.search(r"\d", m.group("d")):
        return None
    return f"{m.group('w').capitalize()} {m.group('d').rstrip(' ,;:')}"


_TYPE_ONLY = re.compile(
    r"^[\[(]?\s*(?:(?:unpublished\s+)?(?:doctoral|ph\.?\s?d\.?|master'?s?|m\.?a\.?|m\.?sc\.?|bachelor'?s?)\s+"
    r"(?:dissertation|thesis)|dissertation|thesis|th[eè]se|report|technical\s+report|tech\.?\s+rep\.?"
    r"|working\s+paper|manuscript|unpublished\s+manuscript|online|web|print|pdf)\s*[\])]?\s*[.,:;]?\s*$",
    re.IGNORECASE,
)
_REPORT_GENRE = re.compile(r"\b(?:report|rep\.|working\s+paper|white\s+paper|memo|brief)\b", re.IGNORECASE)


# ---------------------------------------------------------------------------------------
# Repairs of the labelled segments (before normalising)
# ---------------------------------------------------------------------------------------

_ORG_HEAD = re.compile(
    r"\b(?:Universit(?:y|é|ät|at|eit)|Institute|Institut|Centre|Center|Office|Ministry|Council|Foundation|Agency"
    r"|Department|Association|Society|Commission|Organi[sz]ation|College|Bureau|Secretariat|Services"
    r"|Laboratory|Network|Trust|Authority)\b"
)
_ORG_CONNECTOR = {"of", "for", "and", "&", "the", "on", "in", "de", "des", "du", "la", "et", "für", "und"}
_CONTINUES = re.compile(r"^(?:of|for)\s")
_NAME_SEGMENTS = {"publisher", "location", "title", "container-title", "journal"}
_SENTENCE_BREAK = re.compile(r"(?<=[a-z0-9\])])\.\s+(?=[A-Z])")


def _organisation_like(text: str) -> bool:
    """A name such as "Wilfrid Laurier University Office of Research Services": capitalised
    words and connectors only, with an organisation head word."""
    words = text.rstrip(". ").split()
    if not 2 <= len(words) <= 12 or not _ORG_HEAD.search(text):
        return False
    return all(w[:1].isupper() or w.lower() in _ORG_CONNECTOR for w in words)


def repair(segs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Fix two label patterns the CRF gets wrong but rules see plainly.

    - A title that stops inside a bracket it opened mid-word ("K*(KT, KE, etc.): A
      concept paper") continues through the note right after it: a bracket opened in a
      title closes in the title.
    - A title whose last sentence is an organisation's name ("Knowledge mobilization
      101. Wilfrid Laurier University Office of Research Services."), when there is no
      publisher, container or journal, ends before it; the name is the publisher.

    - A segment that starts with "of" or "for" continues the segment before it (a
      publisher, place, title or container name): "Ontario Institute" + "for Studies
      in Education."
    - A publisher between a title and "Place: Publisher" is the end of the title: the
      publisher comes after the place.

    Example:
        >>> repair([("title", "On K*(KT,"), ("note", "KE, etc.): A paper."), ("location", "Hamilton:")])
        [('title', 'On K*(KT, KE, etc.): A paper.'), ('location', 'Hamilton:')]
        >>> repair([("location", "Toronto:"), ("publisher", "Ontario Institute"), ("collection-title", "for Studies.")])
        [('location', 'Toronto:'), ('publisher', 'Ontario Institute for Studies.')]
        >>> repair([("title", "Knowledge mobilization 101. Wilfrid Laurier University Office of Research Services.")])
        [('title', 'Knowledge mobilization 101.'), ('publisher', 'Wilfrid Laurier University Office of Research Services.')]
    """
    out = list(segs)
    i = 0
    while i + 1 < len(out):
        label, text = out[i]
        if label == "title" and text.count("(") > text.count(")") and out[i + 1][0] in {"note", "genre"}:
            nxt = out[i + 1][1]
            if nxt.count(")") >= text.count("(") - text.count(")"):
                out[i : i + 2] = [("title", f"{text} {nxt}")]
                continue
        i += 1
    i = 1
    while i < len(out):
        label, text = out[i]
        prev = out[i - 1][0]
        if text[:1] in "of" and _CONTINUES.match(text) and prev in _NAME_SEGMENTS and label != prev:
            out[i - 1 : i + 1] = [(prev, f"{out[i - 1][1]} {text}")]
            continue
        i += 1
    for i in range(len(out) - 3):
        if out[i][0] == "title" and [lab for lab, _ in out[i + 1 : i + 4]] == ["publisher", "location", "publisher"]:
            out[i : i + 2] = [("title", f"{out[i][1]} {out[i + 1][1]}")]
            break
    labels = {lab for lab, _ in out}
    if not labels & {"publisher", "container-title", "journal", "collection-title"}:
        titles = [k for k, (lab, _) in enumerate(out) if lab == "title"]
        if len(titles) == 1:
            k = titles[0]
            parts = _SENTENCE_BREAK.split(out[k][1])
            if len(parts) >= 2 and _organisation_like(parts[-1]):
                head = ". ".join(parts[:-1]) + "."
                out[k : k + 1] = [("title", head), ("publisher", parts[-1])]
    return out


# ---------------------------------------------------------------------------------------
# Putting it together
# ---------------------------------------------------------------------------------------


def normalise(tokens: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """The contract ``fields`` of one tagged reference.

    Example:
        >>> toks = "Levin, B. (2011). Mobilising knowledge. Review of Education, 9(1), 15–26.".split()
        >>> labs = ["author"] * 2 + ["date"] + ["title"] * 2 + ["journal"] * 3 + ["volume", "pages"]
        >>> f = normalise(toks, labs)
        >>> f["type"], f["author"], f["year"], f["volume"], f["number"], f["pages"]
        ('article', ['Levin, B.'], '2011', '9', '1', '15--26')
    """
    f: dict[str, Any] = {}
    notes: list[str] = []
    hint: str | None = None
    years: list[str] = []
    for label, text in repair(segments(tokens, labels)):
        if label == "citation-number":
            continue
        if label in {"author", "editor", "translator", "director", "producer"}:
            key = {"director": "contributor", "producer": "contributor"}.get(label, label)
            if label == "author" and _RE_EDS_MARK.search(text[-14:]):
                key = "editor" if "author" in f or "editor" not in f else key
            found, elided = names(text)
            if found:
                f.setdefault(key, []).extend(found)
            if elided and key == "author":
                f["authors_elided"] = True
        elif label == "title":
            t = _title(text)
            f["title"] = f"{f['title']}. {t}" if "title" in f else t
        elif label in {"journal", "container-title"}:
            c = _container(text)
            if label == "journal":
                hint = hint or "article"
            elif hint != "article":
                hint = "inproceedings" if _PROCEEDINGS.search(c) else "incollection"
            if c:
                f["container"] = f"{f['container']}, {c}" if "container" in f else c
        elif label == "collection-title":
            f.setdefault("series", _container(_RE_LEADING_OF.sub("", text)))
        elif label == "date":
            years.append(year(text))
        elif label == "volume":
            text, pg = volume_pages(text)
            if pg:
                f.setdefault("pages", pg)
            v, n, y = volume_number(text)
            if v:
                f.setdefault("volume", v)
            if n:
                f.setdefault("number", n)
            if y:
                years.append(y)
        elif label == "pages":
            p = pages(text)
            if p:
                f.setdefault("pages", p)
        elif label in {"publisher", "location"}:
            key = "publisher" if label == "publisher" else "address"
            v = _place(text)
            if v:
                f[key] = f"{f[key]}, {v}" if key in f else v
        elif label == "url":
            u = _url(text)
            if u:
                if re.match(r"^(?:https?://)?(?:dx\.)?doi\.org/10\.", u, re.IGNORECASE):
                    f.setdefault("doi", _normalise_doi(u))
                else:
                    f.setdefault("url", u)
        elif label == "doi":
            f.setdefault("doi", _normalise_doi(_RE_DOI_BRACKETS.sub("", text.strip())))
        elif label == "isbn":
            f.setdefault("isbn", _isbn(text))
        elif label == "edition":
            f.setdefault("edition", edition(text))
        elif label in {"genre", "medium"}:
            if _THESIS.search(text):
                hint = "thesis"
            elif _REPORT_GENRE.search(text) and hint is None:
                hint = "report"
            if not _TYPE_ONLY.match(text):
                notes.append(_plain(text))
        else:  # note, source, and labels a user model may add
            m = _URL_LEADIN.match(text)
            if m:
                if m.group("date"):
                    notes.append(f"Retrieved {m.group('date').strip()}")
                continue
            v = access_note(text) or _plain(text)
            if v:
                notes.append(v)
    if years:
        f["year"] = years[0]
    if "title" in f:
        hints: dict[str, Any] = {}
        f["title"] = _title_descriptors(f["title"], hints)
        if hints.get("type") == "thesis":
            hint = "thesis"
        for k in ("edition", "volume", "number"):
            if k in hints:
                f.setdefault(k, hints[k])
        if not f["title"]:
            del f["title"]
    if notes:
        f["note"] = "; ".join(n for n in notes if n)
        if not f["note"]:
            del f["note"]
    f["type"] = _decide_type(f, hint)
    out: dict[str, Any] = {"type": f.pop("type")}
    out.update(f)
    return out
